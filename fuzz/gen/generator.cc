#include "fuzz/gen/generator.h"

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace noma::fuzz {
namespace {

using Shape = std::vector<int64_t>;

int64_t Elements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string Number(double v) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

std::string DimList(const Shape& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

struct Var {
  std::string name;
  Shape shape;
  bool assignable = true;  // Loop counters and optimizer settings are never assigned.
};

struct Function {
  std::string name;
  std::vector<Shape> params;
  Shape result;
  bool recursive = false;  // Never called from an optimize body.
};

// What a block may contain.
struct Context {
  bool in_function = false;  // A user function (return allowed, no training, no files).
  bool in_optimize = false;  // No recursion, no nested optimize.
  int loop_depth = 0;
};

class Generator {
 public:
  Generator(uint64_t seed, const GenOptions& options) : rng_(seed), options_(options) {}

  std::string Program();
  GradientCase Gradient();

 private:
  // ---- randomness ----
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Int(0, static_cast<int>(items.size()) - 1)];
  }

  // ---- output ----
  void Line(const std::string& text) {
    out_ += std::string(4 * indent_, ' ');
    out_ += text;
    out_ += '\n';
  }
  std::string Fresh(const char* prefix) { return absl::StrCat(prefix, counter_++); }

  // ---- scopes ----
  void Push() { scopes_.emplace_back(); }
  void Pop() { scopes_.pop_back(); }
  void Bind(const std::string& name, const Shape& shape, bool assignable = true) {
    scopes_.back().push_back({name, shape, assignable});
  }
  std::vector<const Var*> Visible(const Shape* shape, bool assignable_only) const;
  void Forget(const std::string& name);

  // ---- types ----
  Shape RandomShape(bool allow_scalar = true);
  Shape BroadcastPartner(const Shape& shape);

  // ---- expressions ----
  std::string NumberLiteral();
  std::string Leaf(const Shape& shape);
  std::string Expr(const Shape& shape, int depth);
  std::string Scalar(int depth);
  std::string Tensor(const Shape& shape, int depth);
  std::string Call(const Shape& shape, int depth);
  std::string TensorLiteral(const Shape& shape, int depth);
  std::string Condition(int depth);

  // ---- statements ----
  void Block(int statements, const Context& context);
  void Statement(const Context& context);
  void Let(const Context& context);
  void Assign();
  void If(const Context& context);
  void While(const Context& context);
  void Alloc();
  void Files();
  void Batch();
  void Training();
  void Growth();
  void RuntimeError();
  void Functions();

  std::mt19937_64 rng_;
  GenOptions options_;
  std::string out_;
  int indent_ = 0;
  int counter_ = 0;
  std::vector<std::vector<Var>> scopes_;
  std::vector<Function> functions_;
  bool growth_done_ = false;
  bool no_recursion_ = false;  // Inside an optimize body (language §2).
  // Gradient mode: only smooth operations on values away from the domains' edges.
  bool smooth_ = false;
};

std::vector<const Var*> Generator::Visible(const Shape* shape, bool assignable_only) const {
  std::vector<const Var*> found;
  for (const std::vector<Var>& scope : scopes_) {
    for (const Var& var : scope) {
      if (shape != nullptr && var.shape != *shape) continue;
      if (assignable_only && !var.assignable) continue;
      // A later binding of the same name shadows an earlier one.
      bool shadowed = false;
      for (const Var* other : found) shadowed |= other->name == var.name;
      if (!shadowed) found.push_back(&var);
    }
  }
  return found;
}

void Generator::Forget(const std::string& name) {
  for (std::vector<Var>& scope : scopes_) {
    for (size_t i = 0; i < scope.size();) {
      if (scope[i].name == name) {
        scope.erase(scope.begin() + i);
      } else {
        ++i;
      }
    }
  }
}

Shape Generator::RandomShape(bool allow_scalar) {
  int rank = allow_scalar ? Int(0, 2) : Int(1, 2);
  Shape shape;
  for (int i = 0; i < rank; ++i) shape.push_back(Chance(0.2) ? 1 : Int(1, 4));
  return shape;
}

// A shape that broadcasts with `shape` to `shape` (NumPy rules).
Shape Generator::BroadcastPartner(const Shape& shape) {
  switch (Int(0, 3)) {
    case 0:
      return shape;
    case 1:
      return {};
    case 2: {  // A suffix.
      Shape suffix(shape.begin() + Int(0, static_cast<int>(shape.size())), shape.end());
      return suffix;
    }
    default: {  // Some dims set to 1.
      Shape partner = shape;
      for (int64_t& d : partner) {
        if (Chance(0.5)) d = 1;
      }
      return partner;
    }
  }
}

std::string Generator::NumberLiteral() {
  if (smooth_) return Number(Int(3, 12) / 8.0);
  static const std::vector<std::string> kNumbers = {
      "0", "1", "2", "3", "0.5", "0.25", "1.5", "2.5", "10", "0.1", "1e-3", "7", "100", "0.75"};
  std::string n = Pick(kNumbers);
  return Chance(0.2) ? absl::StrCat("-", n) : n;
}

std::string Generator::Leaf(const Shape& shape) {
  std::vector<const Var*> vars = Visible(&shape, false);
  if (!vars.empty() && Chance(0.75)) return Pick(vars)->name;
  if (shape.empty()) return NumberLiteral();
  return TensorLiteral(shape, 0);
}

std::string Generator::TensorLiteral(const Shape& shape, int depth) {
  auto element = [&]() { return depth > 0 && Chance(0.2) ? Scalar(depth - 1) : NumberLiteral(); };
  std::vector<std::string> rows;
  if (shape.size() == 1) {
    for (int64_t i = 0; i < shape[0]; ++i) rows.push_back(element());
  } else {
    for (int64_t r = 0; r < shape[0]; ++r) {
      std::vector<std::string> row;
      for (int64_t c = 0; c < shape[1]; ++c) row.push_back(element());
      rows.push_back(absl::StrCat("[", absl::StrJoin(row, ", "), "]"));
    }
  }
  return absl::StrCat("tensor [", absl::StrJoin(rows, ", "), "]");
}

std::string Generator::Expr(const Shape& shape, int depth) {
  if (depth <= 0 || Chance(0.15)) return Leaf(shape);
  return shape.empty() ? Scalar(depth) : Tensor(shape, depth);
}

// Unary builtins; the smooth subset for gradient checks.
const std::vector<std::string>& UnaryBuiltins(bool smooth) {
  static const std::vector<std::string> kAll = {"sigmoid", "relu", "tanh",    "exp", "log",
                                                "sqrt",    "sin",  "cos",     "tan", "abs",
                                                "floor",   "ceil", "softplus"};
  static const std::vector<std::string> kSmooth = {"sigmoid", "tanh",     "sin",
                                                   "cos",     "softplus", "exp"};
  return smooth ? kSmooth : kAll;
}

std::string Generator::Condition(int depth) {
  Shape scalar;
  std::string a = Expr(scalar, depth);
  std::string b = Expr(scalar, depth);
  static const std::vector<std::string> kOps = {"<", ">", "<=", ">=", "==", "!="};
  std::string c = absl::StrCat("(", a, " ", Pick(kOps), " ", b, ")");
  if (!smooth_ && Chance(0.2)) {
    c = absl::StrCat("(", c, Chance(0.5) ? " && " : " || ", "(", Expr(scalar, depth - 1), " > 0))");
  }
  if (!smooth_ && Chance(0.1)) c = absl::StrCat("!", c);
  return c;
}

std::string Generator::Scalar(int depth) {
  Shape scalar;
  int d = depth - 1;
  int choice = Int(0, smooth_ ? 9 : 14);
  switch (choice) {
    case 0:
    case 1: {
      static const std::vector<std::string> kOps = {"+", "-", "*", "/", "%"};
      std::string op = smooth_ ? Pick(std::vector<std::string>{"+", "-", "*"}) : Pick(kOps);
      return absl::StrCat("(", Expr(scalar, d), " ", op, " ", Expr(scalar, d), ")");
    }
    case 2:
      return absl::StrCat(Pick(UnaryBuiltins(smooth_)), "(", Expr(scalar, d), ")");
    case 3: {
      Shape t = RandomShape(false);
      if (t.size() == 2 && Chance(0.3)) {
        // A reduction along an axis, then the whole.
        return absl::StrCat(Chance(0.5) ? "sum(" : "mean(", Chance(0.5) ? "sum(" : "mean(",
                            Tensor(t, d), ", ", Int(0, 1) - (Chance(0.3) ? 2 : 0), "))");
      }
      return absl::StrCat(Chance(0.5) ? "sum(" : "mean(", Expr(t, d), ")");
    }
    case 4: {
      Shape v = {Int(1, 4)};
      return absl::StrCat("dot(", Expr(v, d), ", ", Expr(v, d), ")");
    }
    case 5: {
      Shape t = RandomShape(false);
      std::vector<const Var*> vars = Visible(&t, false);
      std::string base = vars.empty() ? absl::StrCat("(", Tensor(t, d), ")") : Pick(vars)->name;
      std::string index = absl::StrCat(base, "[", Int(0, static_cast<int>(t[0]) - 1), "]");
      if (t.size() == 2) absl::StrAppend(&index, "[", Int(0, static_cast<int>(t[1]) - 1), "]");
      return index;
    }
    case 6:
      return Call(scalar, d);
    case 7:
      return absl::StrCat("(", Expr(scalar, d), " ^ ",
                          smooth_ ? "2" : Pick<std::string>({"2", "3", "0.5", "(-1)"}), ")");
    case 8: {
      static const std::vector<std::string> kBinary = {"min", "max", "leaky_relu", "pow"};
      std::string f = smooth_ ? "pow" : Pick(kBinary);
      if (f == "pow") return absl::StrCat("pow(", Expr(scalar, d), ", 2)");
      return absl::StrCat(f, "(", Expr(scalar, d), ", ", Expr(scalar, d), ")");
    }
    case 9:
      return absl::StrCat("(-", Expr(scalar, d), ")");
    case 10:
      return Condition(d);
    case 11:
      return absl::StrCat("len(", Expr(RandomShape(false), d), ")");
    case 12: {
      static const std::vector<std::string> kCasts = {"f32", "i32", "i64", "f64"};
      return absl::StrCat("(", Expr(scalar, d), " as ", Pick(kCasts), ")");
    }
    case 13:
      return Chance(0.5) ? "rand()"
                         : absl::StrCat(Chance(0.5) ? "rand_uniform(" : "rand_normal(",
                                        NumberLiteral(), ", 2)");
    default:
      return NumberLiteral();
  }
}

std::string Generator::Tensor(const Shape& shape, int depth) {
  Shape scalar;
  int d = depth - 1;
  int choice = Int(0, smooth_ ? 8 : 13);
  switch (choice) {
    case 0:
    case 1: {
      static const std::vector<std::string> kOps = {"+", "-", "*", "/"};
      std::string op = smooth_ ? Pick(std::vector<std::string>{"+", "-", "*"}) : Pick(kOps);
      std::string a = Expr(shape, d);
      std::string b = Expr(BroadcastPartner(shape), d);
      if (Chance(0.5)) std::swap(a, b);
      return absl::StrCat("(", a, " ", op, " ", b, ")");
    }
    case 2:
      return absl::StrCat(Pick(UnaryBuiltins(smooth_)), "(", Expr(shape, d), ")");
    case 3:
      if (shape.size() == 2) {
        Shape a = {shape[0], Int(1, 4)};
        Shape b = {a[1], shape[1]};
        return absl::StrCat("matmul(", Expr(a, d), ", ", Expr(b, d), ")");
      }
      return Expr(shape, d);
    case 4:
      if (shape.size() == 2) {
        return absl::StrCat("transpose(", Expr(Shape{shape[1], shape[0]}, d), ")");
      }
      return Expr(shape, d);
    case 5:
      if (shape.size() == 1) {
        int64_t other = Int(1, 3);
        bool first = Chance(0.5);
        Shape t = first ? Shape{other, shape[0]} : Shape{shape[0], other};
        int axis = first ? 0 : (Chance(0.5) ? 1 : -1);
        return absl::StrCat(Chance(0.5) ? "sum(" : "mean(", Expr(t, d), ", ", axis, ")");
      }
      return Expr(shape, d);
    case 6:
      return Call(shape, d);
    case 7:
      if (shape.size() == 1) {  // A row of a matrix.
        Shape m = {Int(1, 3), shape[0]};
        std::vector<const Var*> vars = Visible(&m, false);
        std::string base = vars.empty() ? absl::StrCat("(", Tensor(m, d), ")") : Pick(vars)->name;
        return absl::StrCat(base, "[", Int(0, static_cast<int>(m[0]) - 1), "]");
      }
      return absl::StrCat("(", Expr(shape, d), " ^ 2)");
    case 8:
      return TensorLiteral(shape, d);
    case 9: {
      static const std::vector<std::string> kBinary = {"min", "max", "leaky_relu", "pow"};
      std::string f = Pick(kBinary);
      std::string a = Expr(shape, d);
      std::string b = Expr(BroadcastPartner(shape), d);
      if (f == "pow") b = Pick<std::string>({"2", "0.5", "3"});
      if (f == "leaky_relu") b = Expr(scalar, d);
      return absl::StrCat(f, "(", a, ", ", b, ")");
    }
    case 10: {
      static const std::vector<std::string> kOps = {"<", ">", "==", "!=", "<=", ">="};
      return absl::StrCat("(", Expr(shape, d), " ", Pick(kOps), " ",
                          Expr(BroadcastPartner(shape), d), ")");
    }
    case 11:
      if (shape.size() == 1 && shape[0] <= 2) {  // The dims of a tensor of that rank.
        Shape of = shape[0] == 1 ? Shape{Int(1, 4)} : Shape{Int(1, 3), Int(1, 3)};
        return absl::StrCat("shape(", Expr(of, d), ")");
      }
      return absl::StrCat("(-", Expr(shape, d), ")");
    case 12: {
      std::string dims = absl::StrJoin(shape, ", ");
      switch (Int(0, 3)) {
        case 0:
          return absl::StrCat("rand_tensor(", dims, ")");
        case 1:
          return absl::StrCat("rand_normal_tensor(0, 1, ", dims, ")");
        case 2:
          return absl::StrCat("xavier_init(", Int(1, 4), ", ", Int(1, 4), ", ", dims, ")");
        default:
          return absl::StrCat("he_init(", Int(1, 4), ", ", dims, ")");
      }
    }
    default:
      return absl::StrCat("(", Expr(shape, d), " as f32)");
  }
}

std::string Generator::Call(const Shape& shape, int depth) {
  std::vector<const Function*> fits;
  for (const Function& f : functions_) {
    if (f.result == shape && !(f.recursive && no_recursion_)) fits.push_back(&f);
  }
  if (fits.empty()) return Expr(shape, depth);
  const Function* f = fits[Int(0, static_cast<int>(fits.size()) - 1)];
  std::vector<std::string> args;
  for (size_t i = 0; i < f->params.size(); ++i) {
    args.push_back(f->recursive && i == 0 ? std::to_string(Int(0, 12)) : Expr(f->params[i], depth));
  }
  return absl::StrCat(f->name, "(", absl::StrJoin(args, ", "), ")");
}

void Generator::Block(int statements, const Context& context) {
  for (int i = 0; i < statements; ++i) Statement(context);
}

void Generator::Let(const Context& context) {
  (void)context;
  Shape shape = RandomShape();
  std::string name = Fresh("v");
  Line(absl::StrCat("let ", name, " = ", Expr(shape, options_.max_depth), ";"));
  Bind(name, shape);
}

void Generator::Assign() {
  std::vector<const Var*> targets = Visible(nullptr, true);
  if (targets.empty()) return;
  const Var* target = Pick(targets);
  Line(absl::StrCat(target->name, " = ", Expr(target->shape, options_.max_depth), ";"));
}

void Generator::If(const Context& context) {
  Line(absl::StrCat("if ", Condition(2), " {"));
  ++indent_;
  Push();
  Block(Int(1, 3), context);
  Pop();
  --indent_;
  if (Chance(0.5)) {
    Line("} else {");
    ++indent_;
    Push();
    Block(Int(1, 3), context);
    Pop();
    --indent_;
  }
  Line("}");
}

void Generator::While(const Context& context) {
  std::string counter = Fresh("i");
  int trips = Int(0, 4);
  Line(absl::StrCat("let ", counter, " = 0;"));
  Bind(counter, {}, false);
  Line(absl::StrCat("while ", counter, " < ", trips, " {"));
  ++indent_;
  Push();
  Context inner = context;
  ++inner.loop_depth;
  Block(Int(1, 3), inner);
  Line(absl::StrCat(counter, " = ", counter, " + 1;"));
  Pop();
  --indent_;
  Line("}");
}

void Generator::Alloc() {
  // Dims computed when the program runs.
  Shape t = RandomShape(false);
  std::vector<const Var*> vars = Visible(&t, false);
  if (vars.empty()) return;
  std::string name = Fresh("b");
  Shape shape = {t[0], Int(1, 3)};
  Line(absl::StrCat("alloc ", name, " = [len(", Pick(vars)->name, "), ", shape[1], "];"));
  Bind(name, shape);
  if (Chance(0.5)) {
    Line(absl::StrCat(name, " = ", name, " + ", Expr(BroadcastPartner(shape), 2), ";"));
  }
  if (Chance(0.4)) {  // Grow and shrink a buffer; elements that stay keep their values.
    Shape grown = {shape[0] + Int(0, 2), shape[1] + Int(-1, 1)};
    if (grown[1] < 1) grown[1] = 1;
    Line(absl::StrCat("realloc ", name, " = ", DimList(grown), ";"));
    Forget(name);
    Bind(name, grown);
    Line(absl::StrCat("print(", name, ");"));
  }
}

void Generator::Files() {
  Shape shape = RandomShape(false);
  std::string source = Expr(shape, 2);
  std::string loaded = Fresh("f");
  if (Chance(0.5)) {
    std::string path = absl::StrCat(loaded, ".csv");
    Line(absl::StrCat("save_csv ", source, ", \"", path, "\";"));
    Line(absl::StrCat("load_csv ", loaded, " = \"", path, "\";"));
    Bind(loaded, shape.size() == 1 ? Shape{shape[0], 1} : shape);
  } else {
    std::string path = absl::StrCat(loaded, ".safetensors");
    std::string other = Fresh("f");
    Shape second = RandomShape(false);
    Line(absl::StrCat("save_safetensors { b: ", source, ", a: ", Expr(second, 1), " }, \"", path,
                      "\";"));
    Line(absl::StrCat("load_safetensors { a: ", other, ", b: ", loaded, " } = \"", path, "\";"));
    Bind(loaded, shape);
    Bind(other, second);
  }
  Line(absl::StrCat("print(", loaded, ");"));
}

void Generator::Batch() {
  Shape data = {Int(1, 5), Int(1, 3)};
  std::string x = Fresh("x");
  Line(absl::StrCat("let ", x, " = ", TensorLiteral(data, 0), ";"));
  Bind(x, data);
  std::string chunk = Fresh("xb");
  std::string index = Fresh("k");
  Line(absl::StrCat("batch ", chunk, ", ", index, " in ", x, " with ", Int(1, 3), " {"));
  ++indent_;
  // The chunk's first dim varies: only shape-agnostic uses.
  Line(absl::StrCat("print(", index, ");"));
  Line(absl::StrCat("print(", chunk, " * ", Expr(Shape{}, 1), ");"));
  Line(absl::StrCat("print(sum(", chunk, ", 1) + mean(", chunk, "));"));
  --indent_;
  Line("}");
}

// learn/optimize with every optimizer, clause or scope settings, control flow in the body.
void Generator::Training() {
  std::vector<std::string> params;
  std::vector<Shape> shapes;
  int count = Int(1, 2);
  for (int i = 0; i < count; ++i) {
    Shape shape = RandomShape();
    std::string name = Fresh("w");
    Line(absl::StrCat("learn ", name, " = ",
                      shape.empty() ? NumberLiteral() : TensorLiteral(shape, 0), ";"));
    params.push_back(name);
    shapes.push_back(shape);
  }
  int iterations = Int(1, 12);
  std::string header = absl::StrCat("optimize(", absl::StrJoin(params, ", "), ")");
  int optimizer = Int(1, 3);
  if (Chance(0.7)) {
    static const std::vector<std::string> kLr = {"0.1", "0.01", "0.5", "0.05"};
    std::string clause;
    if (optimizer == 1) clause = absl::StrCat("sgd(lr: ", Pick(kLr));
    if (optimizer == 2) {
      clause =
          absl::StrCat("adam(lr: ", Pick(kLr), Chance(0.5) ? ", beta1: 0.8" : "",
                       Chance(0.5) ? ", beta2: 0.99" : "", Chance(0.3) ? ", epsilon: 1e-6" : "");
    }
    if (optimizer == 3) {
      clause = absl::StrCat("rmsprop(lr: ", Pick(kLr), Chance(0.5) ? ", beta2: 0.8" : "");
    }
    absl::StrAppend(&header, " with ", clause, ", max_iterations: ", iterations, ")");
  } else {
    // Settings read from the scope when the loop starts (language §6.2).
    Line(absl::StrCat("let optimizer = ", optimizer, ";"));
    Line(absl::StrCat("let learning_rate = ", Pick<std::string>({"0.1", "0.02"}), ";"));
    Line(absl::StrCat("let max_iterations = ", iterations, ";"));
    Bind("optimizer", {}, false);
    Bind("learning_rate", {}, false);
    Bind("max_iterations", {}, false);
  }
  std::string loss = Fresh("loss");
  absl::StrAppend(&header, " until ", loss, " < ", Pick<std::string>({"0.001", "0.5", "0"}), " {");
  Line(header);
  ++indent_;
  Push();
  for (size_t i = 0; i < params.size(); ++i) Bind(params[i], shapes[i], false);
  Context inner;
  inner.in_optimize = true;
  no_recursion_ = true;
  if (Chance(0.4)) Block(Int(1, 2), inner);
  std::string terms;
  for (size_t i = 0; i < params.size(); ++i) {
    const Shape& shape = shapes[i];
    std::string fit = absl::StrCat("(", params[i], " - ", Expr(shape, 2), ") ^ 2");
    absl::StrAppend(&terms, i ? " + " : "", shape.empty() ? fit : absl::StrCat("mean(", fit, ")"));
  }
  if (Chance(0.5)) absl::StrAppend(&terms, " + 0.01 * ", Expr(Shape{}, 2));
  if (Chance(0.3)) {
    Line(absl::StrCat("let ", loss, " = 0;"));
    Line(absl::StrCat("if ", Condition(1), " {"));
    Line(absl::StrCat("    ", loss, " = ", terms, ";"));
    Line("} else {");
    Line(absl::StrCat("    ", loss, " = 2 * (", terms, ");"));
    Line("}");
  } else {
    Line(absl::StrCat("let ", loss, " = ", terms, ";"));
  }
  if (Chance(0.3)) Line(absl::StrCat("print(", loss, ");"));
  Line(absl::StrCat("minimize ", loss, ";"));
  no_recursion_ = false;
  Pop();
  --indent_;
  Line("}");
  for (size_t i = 0; i < params.size(); ++i) {
    Bind(params[i], shapes[i], false);
    Line(absl::StrCat("print(", params[i], ");"));
  }
  Line(absl::StrCat("print(", loss, ");"));
  Bind(loss, {}, false);
  if (Chance(0.3)) Line("reset_optimizer();");
}

// A parameter that grows inside its training loop, and a mini-batch loop.
void Generator::Growth() {
  growth_done_ = true;
  Shape shape = {Int(1, 3), Int(1, 3)};
  std::string w = Fresh("g");
  std::string step = Fresh("s");
  std::string loss = Fresh("loss");
  Line(absl::StrCat("learn ", w, " = ", TensorLiteral(shape, 0), ";"));
  Line(absl::StrCat("let ", step, " = 0;"));
  std::string optimizer = Pick<std::string>({"sgd(lr: 0.1", "adam(lr: 0.05", "rmsprop(lr: 0.01"});
  if (Chance(0.5)) {
    Line(absl::StrCat("optimize(", w, ") with ", optimizer, ", max_iterations: ", Int(2, 8),
                      ") until ", loss, " < 0.0001 {"));
    ++indent_;
    Line(absl::StrCat(step, " = ", step, " + 1;"));
    Line(absl::StrCat("if ", step, " == ", Int(1, 3), " {"));
    Line(absl::StrCat("    realloc ", w, " = ",
                      DimList({shape[0] + Int(0, 2), shape[1] + Int(0, 1)}), ";"));
    Line("}");
    Line(absl::StrCat("let ", loss, " = mean((", w, " - 0.5) ^ 2) + 0.01 * sum(", w, ");"));
    Line(absl::StrCat("minimize ", loss, ";"));
    --indent_;
    Line("}");
  } else {
    Shape data = {Int(2, 5), shape[0]};
    std::string x = Fresh("x");
    Line(absl::StrCat("let ", x, " = ", TensorLiteral(data, 0), ";"));
    Line(absl::StrCat("let ", loss, " = 0;"));
    Line(absl::StrCat("optimize(", w, ") with ", optimizer, ", max_iterations: ", Int(1, 4),
                      ") until ", loss, " < 0.0001 {"));
    ++indent_;
    Line(absl::StrCat(loss, " = 0;"));
    std::string xb = Fresh("xb");
    Line(absl::StrCat("batch ", xb, " in ", x, " with ", Int(1, 3), " {"));
    Line(absl::StrCat("    let l = mean((matmul(", xb, ", ", w, ") - 1) ^ 2);"));
    Line("    minimize l;");
    Line(absl::StrCat("    ", loss, " = ", loss, " + l;"));
    Line("}");
    Line(absl::StrCat(step, " = ", step, " + 1;"));
    --indent_;
    Line("}");
  }
  Line(absl::StrCat("print(shape(", w, "));"));
  Line(absl::StrCat("print(", w, ");"));
  Line(absl::StrCat("print(", step, ");"));
}

// A last statement that fails when it runs, with a value computed at run time.
void Generator::RuntimeError() {
  Shape t = RandomShape(false);
  std::vector<const Var*> vars = Visible(&t, false);
  if (vars.empty()) return;
  const std::string& name = Pick(vars)->name;
  switch (Int(0, 2)) {
    case 0:
      Line(absl::StrCat("let bad = len(", name, ") + ", Int(0, 2), ";"));
      Line(absl::StrCat("print(", name, "[bad]);"));
      break;
    case 1:
      Line(absl::StrCat("alloc bad = [len(", name, ") + 1, 5];"));
      Line(absl::StrCat("print(bad + ", name, ");"));
      break;
    default:
      Line(absl::StrCat("alloc bad = [len(", name, ") + 1, 7];"));
      Line(absl::StrCat("print(matmul(bad, bad));"));
      break;
  }
}

void Generator::Statement(const Context& context) {
  int choice = Int(0, 19);
  bool top = context.loop_depth == 0 && scopes_.size() <= 2 && !context.in_optimize;
  switch (choice) {
    case 0:
    case 1:
    case 2:
    case 3:
      Let(context);
      return;
    case 4:
    case 5:
    case 6:
      Assign();
      return;
    case 7:
    case 8:
    case 9:
      if (smooth_) return Let(context);  // Gradient checks parse the output.
      Line(absl::StrCat("print(", Expr(RandomShape(), options_.max_depth), ");"));
      return;
    case 10:
      if (smooth_ || !Chance(0.3)) return Statement(context);
      Line(Pick<std::string>(
          {"print(\"tab\\there\");", "print(\"quote \\\" \\\\ done\");", "print(\"\");"}));
      return;
    case 11:
      if (scopes_.size() > 3) return Let(context);
      return If(context);
    case 12:
      if (scopes_.size() > 3) return Assign();
      return While(context);
    case 13:
      if (!top || context.in_function) return Let(context);
      return Alloc();
    case 14:
      if (!top || context.in_function || !options_.files) return Assign();
      return Files();
    case 15:
      if (!top || context.in_function) return Let(context);
      return Batch();
    case 16:
    case 17:
      if (!top || context.in_function || !options_.training) return Let(context);
      return Training();
    case 18:
      if (!top || context.in_function || !options_.training || growth_done_) return Assign();
      return Growth();
    default:
      if (Chance(0.15)) {  // Restart the random generator (language §5).
        std::string name = Fresh("v");
        Line(absl::StrCat("let ", name, " = seed(", Int(0, 5), ");"));
        Bind(name, {});
        return;
      }
      if (top && !context.in_function && Chance(0.15)) {  // Release a value; never used again.
        std::vector<const Var*> vars = Visible(nullptr, true);
        if (!vars.empty()) {
          std::string name = Pick(vars)->name;
          Line(absl::StrCat("free ", name, ";"));
          Forget(name);
          return;
        }
      }
      Let(context);
      return;
  }
}

void Generator::Functions() {
  int count = Int(0, options_.max_functions);
  for (int k = 0; k < count; ++k) {
    Function f;
    f.name = Fresh("fn");
    int arity = Int(1, 3);
    std::vector<std::string> names;
    Push();
    for (int i = 0; i < arity; ++i) {
      f.params.push_back(RandomShape());
      names.push_back(absl::StrCat("a", i));
      Bind(names.back(), f.params.back());
    }
    f.result = RandomShape();
    Line(absl::StrCat("fn ", f.name, "(", absl::StrJoin(names, ", "), ") {"));
    ++indent_;
    Context context;
    context.in_function = true;
    Block(Int(0, 4), context);
    if (Chance(0.3)) {
      Line(absl::StrCat("if ", Condition(1), " {"));
      Line(absl::StrCat("    return ", Expr(f.result, 2), ";"));
      Line("}");
    }
    Line(absl::StrCat("return ", Expr(f.result, options_.max_depth), ";"));
    --indent_;
    Line("}");
    Pop();
    functions_.push_back(f);
  }
  if (Chance(0.25)) {
    // Bounded recursion (depth <= 12), never reached from an optimize body.
    Function f;
    f.name = Fresh("rec");
    f.params = {{}, {}};
    f.result = {};
    f.recursive = true;
    Line(absl::StrCat("fn ", f.name, "(n, x) {"));
    Line("    if n < 1 {");
    Line("        return x;");
    Line("    }");
    Line(absl::StrCat("    return ", f.name, "(n - 1, x * 0.5 + 1);"));
    Line("}");
    functions_.push_back(f);
  }
}

std::string Generator::Program() {
  Push();
  Functions();
  Line("fn main() {");
  ++indent_;
  Push();
  Context context;
  Block(Int(4, options_.max_statements), context);
  if (options_.runtime_errors && Chance(0.05)) RuntimeError();
  if (Chance(0.2)) Line(absl::StrCat("return ", Expr(RandomShape(), 2), ";"));
  Pop();
  --indent_;
  Line("}");
  return out_;
}

GradientCase Generator::Gradient() {
  smooth_ = true;
  GradientCase c;
  Push();
  int count = Int(1, 2);
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    Shape shape = RandomShape();
    std::vector<double> values;
    std::uniform_real_distribution<double> value(-1.2, 1.2);
    for (int64_t e = 0; e < Elements(shape); ++e) values.push_back(value(rng_));
    c.shapes.push_back(shape);
    c.values.push_back(values);
    names.push_back(absl::StrCat("p", i));
    Bind(names.back(), shape);
  }
  Line(absl::StrCat("fn loss_fn(", absl::StrJoin(names, ", "), ") {"));
  ++indent_;
  Context context;
  context.in_function = true;
  context.in_optimize = true;
  // Straight-line code, loops and branches on the parameters' values.
  int statements = Int(0, 3);
  for (int i = 0; i < statements; ++i) {
    int kind = Int(0, 3);
    if (kind == 0) {
      If(context);
    } else if (kind == 1) {
      While(context);
    } else {
      Let(context);
    }
  }
  std::string loss;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string term = c.shapes[i].empty() ? absl::StrCat("(", names[i], " ^ 2)")
                                           : absl::StrCat("sum(", names[i], " ^ 2)");
    absl::StrAppend(&loss, i ? " + " : "", "0.1 * ", term);
  }
  Line(absl::StrCat("return ", loss, " + ", Expr(Shape{}, options_.max_depth), ";"));
  --indent_;
  Line("}");
  Pop();
  c.functions = out_;
  return c;
}

}  // namespace

std::string Literal(const std::vector<int64_t>& shape, const std::vector<double>& values) {
  if (shape.empty()) return values.empty() ? "0" : absl::StrCat("(", Number(values[0]), ")");
  std::vector<std::string> rows;
  if (shape.size() == 1) {
    for (double v : values) rows.push_back(Number(v));
  } else {
    for (int64_t r = 0; r < shape[0]; ++r) {
      std::vector<std::string> row;
      for (int64_t c = 0; c < shape[1]; ++c) row.push_back(Number(values[r * shape[1] + c]));
      rows.push_back(absl::StrCat("[", absl::StrJoin(row, ", "), "]"));
    }
  }
  return absl::StrCat("tensor [", absl::StrJoin(rows, ", "), "]");
}

std::string GenerateProgram(uint64_t seed, const GenOptions& options) {
  return Generator(seed, options).Program();
}

GradientCase GenerateGradientCase(uint64_t seed) {
  GenOptions options;
  options.max_depth = 3;
  return Generator(seed, options).Gradient();
}

std::string GradientCase::GradientProgram() const {
  std::string text = functions + "fn main() {\n";
  std::vector<std::string> names;
  for (size_t i = 0; i < shapes.size(); ++i) {
    names.push_back(absl::StrCat("p", i));
    absl::StrAppend(&text, "    learn p", i, " = ", Literal(shapes[i], values[i]), ";\n");
  }
  absl::StrAppend(&text, "    optimize(", absl::StrJoin(names, ", "),
                  ") with sgd(lr: 1, max_iterations: 1) until 0 {\n", "        let loss = loss_fn(",
                  absl::StrJoin(names, ", "), ");\n        minimize loss;\n    }\n");
  for (const std::string& name : names) absl::StrAppend(&text, "    print(", name, ");\n");
  absl::StrAppend(&text, "}\n");
  return text;
}

std::string GradientCase::LossProgram(
    const std::vector<std::vector<std::vector<double>>>& points) const {
  std::string text = functions + "fn main() {\n";
  for (const std::vector<std::vector<double>>& point : points) {
    std::vector<std::string> args;
    for (size_t i = 0; i < shapes.size(); ++i) args.push_back(Literal(shapes[i], point[i]));
    absl::StrAppend(&text, "    print(loss_fn(", absl::StrJoin(args, ", "), "));\n");
  }
  absl::StrAppend(&text, "}\n");
  return text;
}

}  // namespace noma::fuzz
