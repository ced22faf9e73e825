#include "noma/graph/lower.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "noma/graph/infer.h"

namespace noma::graph {
namespace {

using syntax::SourceRange;

// Optimizer clause keys and the hyperparameter each one sets.
struct HyperKey {
  const char* key;
  OptimizeOperand operand;
};
constexpr HyperKey kClauseKeys[] = {
    {"lr", kOptLearningRate},
    {"learning_rate", kOptLearningRate},
    {"beta1", kOptBeta1},
    {"beta2", kOptBeta2},
    {"epsilon", kOptEpsilon},
    {"eps", kOptEpsilon},
    {"max_iterations", kOptMaxIterations},
    {"max_iter", kOptMaxIterations},
};

// The optimizers of `with NAME(...)`.
constexpr const char* kOptimizerNames[] = {"sgd", "adam", "rmsprop"};
// Variables that choose the optimizer when there is no `with` clause.
constexpr const char* kOptimizerSelectors[] = {"optimizer", "use_adam", "use_rmsprop"};

// Magic variables read when an optimize loop starts, in order of preference.
struct MagicVariable {
  OptimizeOperand operand;
  const char* names[2];
  double default_value;
};
constexpr MagicVariable kMagicVariables[] = {
    {kOptLearningRate, {"learning_rate", "lr"}, 0.01},
    {kOptMaxIterations, {"max_iterations", "max_iter"}, 1000},
    {kOptBeta1, {"beta1", nullptr}, 0.9},
    {kOptEpsilon, {"epsilon", "eps"}, 1e-8},
};

class FunctionLowerer {
 public:
  FunctionLowerer(Module& module, Function& function, syntax::DiagnosticEngine& diagnostics,
                  const absl::flat_hash_map<std::string, int>& function_index,
                  const std::vector<const syntax::Function*>& asts)
      : module_(module),
        fn_(function),
        diags_(diagnostics),
        function_index_(function_index),
        asts_(asts) {}

  void Lower(const syntax::Function& ast) {
    fn_.name = ast.name.name;
    fn_.loc = ast.range;
    fn_.body = fn_.NewRegion(kNone);
    for (const syntax::Identifier& param : ast.parameters) {
      if (names_.contains(param.name)) {
        diags_.Error(param.range, absl::StrCat("duplicate parameter '", param.name, "'"));
        continue;
      }
      fn_.params.push_back(Declare(param, /*learnable=*/false));
    }
    region_ = fn_.body;
    LowerBlock(ast.body);
  }

 private:
  // ------------------------------------------------------------------ names and slots

  SlotId NewSlot(const syntax::Identifier& id, bool learnable) {
    Slot slot;
    slot.name = id.name;
    slot.learnable = learnable;
    slot.decl = id.range;
    fn_.slots.push_back(std::move(slot));
    return static_cast<SlotId>(fn_.slots.size() - 1);
  }

  // `let` reuses the name's slot (so a binding made inside a block stays visible after it),
  // except that `let` after `learn` (freezing) and `learn` after `let` start a new slot:
  // whether a slot is trained is a property of the slot.
  SlotId Declare(const syntax::Identifier& id, bool learnable) {
    freed_.erase(id.name);
    auto it = names_.find(id.name);
    if (it != names_.end() && fn_.slots[it->second].learnable == learnable) return it->second;
    SlotId slot = NewSlot(id, learnable);
    names_[id.name] = slot;
    declared_order_.push_back(id.name);
    return slot;
  }

  // Resolves a use of a name; reports unknown and statically freed names.
  bool Resolve(const syntax::Identifier& id, SlotId* slot) {
    auto it = names_.find(id.name);
    if (it == names_.end()) {
      std::string hint;
      std::string close = syntax::ClosestName(id.name, declared_order_);
      if (!close.empty()) hint = absl::StrCat("did you mean '", close, "'?");
      diags_.Error(id.range, absl::StrCat("unknown name '", id.name, "'"), hint);
      return false;
    }
    if (freed_.contains(id.name)) {
      diags_.Error(id.range, absl::StrCat("use of '", id.name, "' after free"));
      return false;
    }
    *slot = it->second;
    return true;
  }

  // ------------------------------------------------------------------ emitting

  ValueId Emit(Op op, Type type) {
    if (type.kind != Type::kVoid) op.result = fn_.NewValue(type);
    ValueId result = op.result;
    fn_.Append(region_, std::move(op));
    return result;
  }

  void EmitVoid(Op op) { fn_.Append(region_, std::move(op)); }

  static Op MakeOp(OpCode code, SourceRange loc, std::vector<ValueId> operands = {}) {
    Op op;
    op.code = code;
    op.loc = loc;
    op.operands = std::move(operands);
    return op;
  }

  ValueId Const(double value, SourceRange loc) {
    Op op = MakeOp(OpCode::kConst, loc);
    op.number = value;
    return Emit(std::move(op), Type::Scalar());
  }

  ValueId Load(SlotId slot, SourceRange loc) {
    Op op = MakeOp(OpCode::kLoad, loc);
    op.slot = slot;
    return Emit(std::move(op), Type::Unknown());
  }

  void Store(SlotId slot, ValueId value, SourceRange loc) {
    Op op = MakeOp(OpCode::kStore, loc, {value});
    op.slot = slot;
    EmitVoid(std::move(op));
  }

  ValueId Binary(BinaryOpKind kind, ValueId a, ValueId b, SourceRange loc) {
    Op op = MakeOp(OpCode::kBinary, loc, {a, b});
    op.sub = static_cast<uint8_t>(kind);
    return Emit(std::move(op), BroadcastTypes(TypeOf(a), TypeOf(b)));
  }

  const Type& TypeOf(ValueId v) const { return fn_.value_types[v]; }

  // Reports a string used where a number or tensor is required.
  bool RequireNumeric(ValueId v, SourceRange loc) {
    if (TypeOf(v).kind == Type::kString) {
      diags_.Error(loc, "a string can only be printed or used as a file path");
      return false;
    }
    return true;
  }

  // ------------------------------------------------------------------ expressions

  // Returns kNone after reporting an error.
  ValueId LowerExpr(const syntax::Expr& expr) {
    switch (expr.kind) {
      case syntax::ExprKind::kNumber:
        return Const(static_cast<const syntax::NumberExpr&>(expr).value, expr.range);
      case syntax::ExprKind::kString: {
        Op op = MakeOp(OpCode::kStringConst, expr.range);
        op.keys.push_back(static_cast<const syntax::StringExpr&>(expr).value);
        return Emit(std::move(op), Type::String());
      }
      case syntax::ExprKind::kName: {
        const auto& name = static_cast<const syntax::NameExpr&>(expr);
        SlotId slot;
        if (!Resolve({name.name, name.range}, &slot)) return kNone;
        return Load(slot, expr.range);
      }
      case syntax::ExprKind::kUnary: {
        const auto& unary = static_cast<const syntax::UnaryExpr&>(expr);
        ValueId operand = LowerExpr(*unary.operand);
        if (operand == kNone || !RequireNumeric(operand, unary.operand->range)) return kNone;
        Op op = MakeOp(OpCode::kUnary, expr.range, {operand});
        op.sub = static_cast<uint8_t>(unary.op == syntax::UnaryOp::kNegate ? UnaryOpKind::kNeg
                                                                           : UnaryOpKind::kNot);
        return Emit(std::move(op), TypeOf(operand));
      }
      case syntax::ExprKind::kBinary:
        return LowerBinary(static_cast<const syntax::BinaryExpr&>(expr));
      case syntax::ExprKind::kCall:
        return LowerCall(static_cast<const syntax::CallExpr&>(expr));
      case syntax::ExprKind::kIndex: {
        const auto& index = static_cast<const syntax::IndexExpr&>(expr);
        ValueId base = LowerExpr(*index.base);
        ValueId at = LowerExpr(*index.index);
        if (base == kNone || at == kNone) return kNone;
        if (!RequireNumeric(base, index.base->range) || !RequireNumeric(at, index.index->range)) {
          return kNone;
        }
        if (TypeOf(base).kind == Type::kScalar) {
          diags_.Error(index.base->range, "cannot index a scalar");
          return kNone;
        }
        Type type = Type::Unknown();
        const Type& base_type = TypeOf(base);
        if (base_type.kind == Type::kTensor && base_type.rank == 1) type = Type::Scalar();
        if (base_type.kind == Type::kTensor && base_type.rank > 1) {
          type = Type::Tensor(base_type.rank - 1);
        }
        return Emit(MakeOp(OpCode::kIndex, expr.range, {base, at}), type);
      }
      case syntax::ExprKind::kCast: {
        const auto& cast = static_cast<const syntax::CastExpr&>(expr);
        ValueId operand = LowerExpr(*cast.operand);
        if (operand == kNone || !RequireNumeric(operand, cast.operand->range)) return kNone;
        if (cast.type == syntax::CastType::kF64) return operand;
        Op op = MakeOp(OpCode::kUnary, expr.range, {operand});
        UnaryOpKind kind = cast.type == syntax::CastType::kF32   ? UnaryOpKind::kCastF32
                           : cast.type == syntax::CastType::kI32 ? UnaryOpKind::kCastI32
                                                                 : UnaryOpKind::kCastI64;
        op.sub = static_cast<uint8_t>(kind);
        return Emit(std::move(op), TypeOf(operand));
      }
      case syntax::ExprKind::kArray:
        diags_.Error(expr.range, "a bracketed list is not a value here",
                     "write a tensor literal as `tensor [...]`");
        return kNone;
      case syntax::ExprKind::kTensorLiteral:
        return LowerTensorLiteral(static_cast<const syntax::TensorLiteralExpr&>(expr));
    }
    return kNone;
  }

  ValueId LowerBinary(const syntax::BinaryExpr& binary) {
    ValueId lhs = LowerExpr(*binary.lhs);
    if (lhs == kNone) return kNone;
    if (!RequireNumeric(lhs, binary.lhs->range)) return kNone;
    if (binary.op == syntax::BinaryOp::kAnd || binary.op == syntax::BinaryOp::kOr) {
      Op op = MakeOp(OpCode::kShortCircuit, binary.op_range, {lhs});
      op.sub = static_cast<uint8_t>(binary.op == syntax::BinaryOp::kAnd ? BinaryOpKind::kAnd
                                                                        : BinaryOpKind::kOr);
      RegionId rhs_region = fn_.NewRegion(region_);
      RegionId saved = region_;
      region_ = rhs_region;
      ValueId rhs = LowerExpr(*binary.rhs);
      if (rhs != kNone && RequireNumeric(rhs, binary.rhs->range)) {
        EmitVoid(MakeOp(OpCode::kYield, binary.rhs->range, {rhs}));
      }
      region_ = saved;
      if (rhs == kNone) return kNone;
      op.regions.push_back(rhs_region);
      return Emit(std::move(op), BroadcastTypes(TypeOf(lhs), TypeOf(rhs)));
    }
    ValueId rhs = LowerExpr(*binary.rhs);
    if (rhs == kNone || !RequireNumeric(rhs, binary.rhs->range)) return kNone;
    BinaryOpKind kind = BinaryOpKind::kAdd;
    switch (binary.op) {
      case syntax::BinaryOp::kAdd:
        kind = BinaryOpKind::kAdd;
        break;
      case syntax::BinaryOp::kSub:
        kind = BinaryOpKind::kSub;
        break;
      case syntax::BinaryOp::kMul:
        kind = BinaryOpKind::kMul;
        break;
      case syntax::BinaryOp::kDiv:
        kind = BinaryOpKind::kDiv;
        break;
      case syntax::BinaryOp::kMod:
        kind = BinaryOpKind::kMod;
        break;
      case syntax::BinaryOp::kPow:
        kind = BinaryOpKind::kPow;
        break;
      case syntax::BinaryOp::kEq:
        kind = BinaryOpKind::kEq;
        break;
      case syntax::BinaryOp::kNe:
        kind = BinaryOpKind::kNe;
        break;
      case syntax::BinaryOp::kLt:
        kind = BinaryOpKind::kLt;
        break;
      case syntax::BinaryOp::kGt:
        kind = BinaryOpKind::kGt;
        break;
      case syntax::BinaryOp::kLe:
        kind = BinaryOpKind::kLe;
        break;
      case syntax::BinaryOp::kGe:
        kind = BinaryOpKind::kGe;
        break;
      case syntax::BinaryOp::kAnd:
      case syntax::BinaryOp::kOr:
        break;  // Handled above.
    }
    return Binary(kind, lhs, rhs, binary.op_range);
  }

  ValueId LowerTensorLiteral(const syntax::TensorLiteralExpr& literal) {
    // Walk the nested arrays breadth-first to find the shape, then check rectangularity.
    std::vector<int64_t> shape;
    std::vector<const syntax::ArrayExpr*> level = {literal.value.get()};
    std::vector<const syntax::Expr*> leaves;
    while (!level.empty()) {
      size_t width = level[0]->elements.size();
      shape.push_back(static_cast<int64_t>(width));
      bool nested = width > 0 && level[0]->elements[0]->kind == syntax::ExprKind::kArray;
      std::vector<const syntax::ArrayExpr*> next;
      for (const syntax::ArrayExpr* array : level) {
        if (array->elements.size() != width) {
          diags_.Error(array->range,
                       absl::StrCat("tensor literal is not rectangular: expected ", width,
                                    " elements, found ", array->elements.size()));
          return kNone;
        }
        for (const syntax::ExprPtr& element : array->elements) {
          bool is_array = element->kind == syntax::ExprKind::kArray;
          if (is_array != nested) {
            diags_.Error(element->range, "tensor literal mixes rows and scalars");
            return kNone;
          }
          if (is_array) {
            next.push_back(static_cast<const syntax::ArrayExpr*>(element.get()));
          } else {
            leaves.push_back(element.get());
          }
        }
      }
      level = std::move(next);
    }
    Op op = MakeOp(OpCode::kTensorLit, literal.range);
    for (const syntax::Expr* leaf : leaves) {
      ValueId v = LowerExpr(*leaf);
      if (v == kNone) return kNone;
      if (TypeOf(v).kind == Type::kTensor || TypeOf(v).kind == Type::kString) {
        diags_.Error(leaf->range, "tensor literal elements must be scalars");
        return kNone;
      }
      op.operands.push_back(v);
    }
    op.ints = shape;
    return Emit(std::move(op), Type::Tensor(static_cast<int>(shape.size())));
  }

  ValueId LowerCall(const syntax::CallExpr& call) {
    const std::string& name = call.callee.name;
    auto user = function_index_.find(name);
    Builtin builtin;
    bool is_builtin = user == function_index_.end() && LookupBuiltin(name, &builtin);
    if (user == function_index_.end() && !is_builtin) {
      // Builtins first: ties go to the earliest candidate, and `maen(x)` means `mean`, not
      // `main` (which takes no arguments).
      std::vector<std::string> candidates;
      for (int i = 0; i < kBuiltinCount; ++i) {
        candidates.push_back(GetBuiltinInfo(static_cast<Builtin>(i)).name);
      }
      std::vector<std::string> functions;
      for (const auto& [fname, index] : function_index_) functions.push_back(fname);
      std::sort(functions.begin(), functions.end());  // Deterministic ties.
      candidates.insert(candidates.end(), functions.begin(), functions.end());
      std::string close = syntax::ClosestName(name, candidates);
      diags_.Error(call.callee.range, absl::StrCat("unknown function '", name, "'"),
                   close.empty() ? "" : absl::StrCat("did you mean '", close, "'?"));
      return kNone;
    }
    std::vector<ValueId> args;
    for (const syntax::ExprPtr& arg : call.args) {
      ValueId v = LowerExpr(*arg);
      if (v == kNone) return kNone;
      args.push_back(v);
    }
    if (!is_builtin) {
      const syntax::Function& callee = *asts_[user->second];
      if (callee.parameters.size() != args.size()) {
        diags_.Error(call.range, absl::StrCat("'", name, "' takes ", callee.parameters.size(),
                                              " argument", callee.parameters.size() == 1 ? "" : "s",
                                              ", but ", args.size(), " were given"));
        return kNone;
      }
      for (size_t i = 0; i < args.size(); ++i) {
        if (!RequireNumeric(args[i], call.args[i]->range)) return kNone;
      }
      Op op = MakeOp(OpCode::kCall, call.range, std::move(args));
      op.callee = static_cast<uint32_t>(user->second);
      return Emit(std::move(op), Type::Unknown());
    }
    const BuiltinInfo& info = GetBuiltinInfo(builtin);
    int count = static_cast<int>(args.size());
    if (count < info.min_args || (info.max_args >= 0 && count > info.max_args)) {
      std::string expected = info.max_args < 0 ? absl::StrCat("at least ", info.min_args)
                             : info.min_args == info.max_args
                                 ? absl::StrCat(info.min_args)
                                 : absl::StrCat(info.min_args, " or ", info.max_args);
      diags_.Error(call.range,
                   absl::StrCat("'", name, "' takes ", expected, " argument",
                                expected == "1" ? "" : "s", ", but ", count, " were given"));
      return kNone;
    }
    if (builtin != Builtin::kPrint) {
      for (size_t i = 0; i < args.size(); ++i) {
        if (!RequireNumeric(args[i], call.args[i]->range)) return kNone;
      }
    }
    Op op = MakeOp(OpCode::kBuiltin, call.range, std::move(args));
    op.sub = static_cast<uint8_t>(builtin);
    // The type first: the order in which arguments are evaluated is unspecified, and moving
    // `op` into Emit's parameter first (clang does) would leave no operands to type.
    Type type = BuiltinType(builtin, op.operands);
    return Emit(std::move(op), std::move(type));
  }

  // Constants are only known once lowering is done; InferTypes refines these types.
  Type BuiltinType(Builtin builtin, const std::vector<ValueId>& args) const {
    std::vector<Type> types;
    for (ValueId v : args) types.push_back(TypeOf(v));
    return BuiltinResultType(builtin, types, {});
  }

  // Lowers a path operand: a string literal or a string-valued binding.
  ValueId LowerPath(const syntax::Expr& expr) {
    ValueId v = LowerExpr(expr);
    if (v == kNone) return kNone;
    Type::Kind kind = TypeOf(v).kind;
    if (kind == Type::kScalar || kind == Type::kTensor) {
      diags_.Error(expr.range, "expected a file path (a string)");
      return kNone;
    }
    return v;
  }

  // ------------------------------------------------------------------ statements

  void LowerBlock(const syntax::Block& block) {
    for (const syntax::StmtPtr& stmt : block.statements) {
      if (diags_.at_error_limit()) return;
      LowerStmt(*stmt);
    }
  }

  // Lowers `block` into a fresh region nested in the current one. Names freed inside the
  // block are not known to be freed after it (the block may not run), so they are restored.
  RegionId LowerNested(const syntax::Block& block) {
    RegionId region = fn_.NewRegion(region_);
    RegionId saved = region_;
    absl::flat_hash_set<std::string> freed = freed_;
    region_ = region;
    LowerBlock(block);
    region_ = saved;
    freed_ = std::move(freed);
    return region;
  }

  void LowerStmt(const syntax::Stmt& stmt) {
    switch (stmt.kind) {
      case syntax::StmtKind::kLet:
      case syntax::StmtKind::kLearn: {
        const auto& bind = static_cast<const syntax::BindStmt&>(stmt);
        ValueId value = LowerExpr(*bind.value);
        bool learn = stmt.kind == syntax::StmtKind::kLearn;
        if (value == kNone) {
          Declare(bind.name, learn);  // Declared anyway: later uses should not cascade.
          return;
        }
        if (learn && !RequireNumeric(value, bind.value->range)) return;
        Store(Declare(bind.name, learn), value, stmt.range);
        return;
      }
      case syntax::StmtKind::kAssign: {
        const auto& bind = static_cast<const syntax::BindStmt&>(stmt);
        ValueId value = LowerExpr(*bind.value);
        auto it = names_.find(bind.name.name);
        if (it == names_.end()) {
          diags_.Error(bind.name.range,
                       absl::StrCat("assignment to undeclared name '", bind.name.name, "'"),
                       absl::StrCat("declare it first with `let ", bind.name.name, " = ...;`"));
          return;
        }
        if (value == kNone) return;
        freed_.erase(bind.name.name);
        Store(it->second, value, stmt.range);
        return;
      }
      case syntax::StmtKind::kExpr:
        LowerExpr(*static_cast<const syntax::ExprStmt&>(stmt).expr);
        return;
      case syntax::StmtKind::kReturn: {
        const auto& ret = static_cast<const syntax::ReturnStmt&>(stmt);
        Op op = MakeOp(OpCode::kReturn, stmt.range);
        if (ret.value) {
          ValueId v = LowerExpr(*ret.value);
          if (v == kNone || !RequireNumeric(v, ret.value->range)) return;
          op.operands.push_back(v);
        }
        EmitVoid(std::move(op));
        return;
      }
      case syntax::StmtKind::kIf: {
        const auto& if_stmt = static_cast<const syntax::IfStmt&>(stmt);
        ValueId cond = LowerExpr(*if_stmt.condition);
        if (cond == kNone || !RequireNumeric(cond, if_stmt.condition->range)) return;
        Op op = MakeOp(OpCode::kIf, if_stmt.condition->range, {cond});
        op.regions.push_back(LowerNested(if_stmt.then_block));
        if (if_stmt.else_block) {
          op.regions.push_back(LowerNested(*if_stmt.else_block));
        } else {
          op.regions.push_back(fn_.NewRegion(region_));
        }
        EmitVoid(std::move(op));
        return;
      }
      case syntax::StmtKind::kWhile: {
        const auto& loop = static_cast<const syntax::WhileStmt&>(stmt);
        Op op = MakeOp(OpCode::kWhile, loop.condition->range);
        RegionId cond_region = LowerCondition(*loop.condition);
        if (cond_region == kNone) return;
        op.regions.push_back(cond_region);
        op.regions.push_back(LowerNested(loop.body));
        EmitVoid(std::move(op));
        return;
      }
      case syntax::StmtKind::kOptimize:
        LowerOptimize(static_cast<const syntax::OptimizeStmt&>(stmt));
        return;
      case syntax::StmtKind::kMinimize: {
        const auto& minimize = static_cast<const syntax::MinimizeStmt&>(stmt);
        if (optimize_depth_ == 0) {
          diags_.Error(stmt.range, "`minimize` outside of an optimize body",
                       "put it inside `optimize(...) until ... { ... }`");
          return;
        }
        ValueId loss = LowerExpr(*minimize.loss);
        if (loss == kNone || !RequireNumeric(loss, minimize.loss->range)) return;
        EmitVoid(MakeOp(OpCode::kMinimize, minimize.loss->range, {loss}));
        return;
      }
      case syntax::StmtKind::kAlloc:
      case syntax::StmtKind::kRealloc: {
        const auto& alloc = static_cast<const syntax::AllocStmt&>(stmt);
        std::vector<ValueId> dims;
        for (const syntax::ExprPtr& dim : alloc.dims->elements) {
          ValueId v = LowerExpr(*dim);
          if (v == kNone) return;
          if (TypeOf(v).kind == Type::kTensor || TypeOf(v).kind == Type::kString) {
            diags_.Error(dim->range, "a dimension must be a scalar");
            return;
          }
          dims.push_back(v);
        }
        if (dims.empty()) {
          diags_.Error(alloc.dims->range, "a tensor needs at least one dimension");
          return;
        }
        Op op = MakeOp(stmt.kind == syntax::StmtKind::kAlloc ? OpCode::kAlloc : OpCode::kRealloc,
                       stmt.range, std::move(dims));
        if (stmt.kind == syntax::StmtKind::kAlloc) {
          op.slot = Declare(alloc.name, /*learnable=*/false);
        } else if (!Resolve(alloc.name, &op.slot)) {
          return;
        }
        EmitVoid(std::move(op));
        return;
      }
      case syntax::StmtKind::kFree: {
        const auto& free_stmt = static_cast<const syntax::FreeStmt&>(stmt);
        Op op = MakeOp(OpCode::kFree, stmt.range);
        if (!Resolve(free_stmt.name, &op.slot)) return;
        freed_.insert(free_stmt.name.name);
        EmitVoid(std::move(op));
        return;
      }
      case syntax::StmtKind::kResetOptimizer:
        EmitVoid(MakeOp(OpCode::kResetOptimizer, stmt.range));
        return;
      case syntax::StmtKind::kLoadCsv: {
        const auto& load = static_cast<const syntax::LoadCsvStmt&>(stmt);
        ValueId path = LowerPath(*load.path);
        if (path == kNone) return;
        Op op = MakeOp(OpCode::kLoadCsv, stmt.range, {path});
        op.slot = Declare(load.name, /*learnable=*/false);
        EmitVoid(std::move(op));
        return;
      }
      case syntax::StmtKind::kSaveCsv: {
        const auto& save = static_cast<const syntax::SaveCsvStmt&>(stmt);
        ValueId value = LowerExpr(*save.value);
        ValueId path = LowerPath(*save.path);
        if (value == kNone || path == kNone || !RequireNumeric(value, save.value->range)) return;
        EmitVoid(MakeOp(OpCode::kSaveCsv, stmt.range, {value, path}));
        return;
      }
      case syntax::StmtKind::kLoadSafetensors: {
        const auto& load = static_cast<const syntax::LoadSafetensorsStmt&>(stmt);
        ValueId path = LowerPath(*load.path);
        if (path == kNone) return;
        Op op = MakeOp(OpCode::kLoadSafetensors, stmt.range, {path});
        if (load.single) {
          op.keys.push_back("");
          op.ints.push_back(Declare(*load.single, /*learnable=*/false));
        } else {
          absl::flat_hash_set<std::string> seen;
          for (const auto& binding : load.bindings) {
            if (!seen.insert(binding.key.name).second) {
              diags_.Error(binding.key.range,
                           absl::StrCat("tensor '", binding.key.name, "' is bound twice"));
              return;
            }
            op.keys.push_back(binding.key.name);
            op.ints.push_back(Declare(binding.name, /*learnable=*/false));
          }
        }
        EmitVoid(std::move(op));
        return;
      }
      case syntax::StmtKind::kSaveSafetensors: {
        const auto& save = static_cast<const syntax::SaveSafetensorsStmt&>(stmt);
        Op op = MakeOp(OpCode::kSaveSafetensors, stmt.range);
        absl::flat_hash_set<std::string> seen;
        for (const auto& entry : save.entries) {
          if (!seen.insert(entry.key.name).second) {
            diags_.Error(entry.key.range,
                         absl::StrCat("tensor '", entry.key.name, "' is saved twice"));
            return;
          }
          ValueId v = LowerExpr(*entry.value);
          if (v == kNone || !RequireNumeric(v, entry.value->range)) return;
          op.operands.push_back(v);
          op.keys.push_back(entry.key.name);
        }
        ValueId path = LowerPath(*save.path);
        if (path == kNone) return;
        op.operands.push_back(path);
        EmitVoid(std::move(op));
        return;
      }
      case syntax::StmtKind::kBatch:
        LowerBatch(static_cast<const syntax::BatchStmt&>(stmt));
        return;
    }
  }

  // A condition region: evaluates `expr` and yields it.
  RegionId LowerCondition(const syntax::Expr& expr) {
    RegionId region = fn_.NewRegion(region_);
    RegionId saved = region_;
    region_ = region;
    ValueId cond = LowerExpr(expr);
    bool ok = cond != kNone && RequireNumeric(cond, expr.range);
    if (ok) EmitVoid(MakeOp(OpCode::kYield, expr.range, {cond}));
    region_ = saved;
    return ok ? region : kNone;
  }

  void LowerBatch(const syntax::BatchStmt& batch) {
    Op op = MakeOp(OpCode::kBatch, batch.range);
    for (const auto& source : batch.sources) {
      ValueId data = LowerExpr(*source.data);
      if (data == kNone || !RequireNumeric(data, source.data->range)) return;
      op.operands.push_back(data);
    }
    ValueId chunk = LowerExpr(*batch.chunk_size);
    if (chunk == kNone || !RequireNumeric(chunk, batch.chunk_size->range)) return;
    op.operands.push_back(chunk);
    for (const auto& source : batch.sources) {
      op.ints.push_back(Declare(source.name, /*learnable=*/false));
    }
    op.ints.push_back(batch.index ? Declare(*batch.index, /*learnable=*/false) : kNone);
    op.regions.push_back(LowerNested(batch.body));
    EmitVoid(std::move(op));
  }

  // Returns the slot of a declared name, or kNone (no diagnostics).
  SlotId Lookup(const char* name) const {
    auto it = names_.find(name);
    return it == names_.end() ? kNone : it->second;
  }

  void LowerOptimize(const syntax::OptimizeStmt& optimize) {
    Op op = MakeOp(OpCode::kOptimize, optimize.range);
    for (const syntax::Identifier& param : optimize.parameters) {
      SlotId slot;
      if (!Resolve(param, &slot)) return;
      if (!fn_.slots[slot].learnable) {
        diags_.Error(param.range, absl::StrCat("'", param.name, "' is not a `learn` parameter"),
                     absl::StrCat("declare it with `learn ", param.name, " = ...;` to train it"));
        return;
      }
      op.ints.push_back(slot);
      op.int_locs.push_back(param.range);
    }
    if (!LowerHyperparameters(optimize, &op.operands)) return;
    ++optimize_depth_;
    op.regions.push_back(LowerNested(optimize.body));
    --optimize_depth_;
    RegionId until = LowerCondition(*optimize.until);
    if (until == kNone) return;
    op.regions.push_back(until);
    EmitVoid(std::move(op));
  }

  // Computes the hyperparameter operands of an optimize loop: the `with` clause wins, then the
  // magic variables in scope, then the defaults of docs/language.md §6.2.
  bool LowerHyperparameters(const syntax::OptimizeStmt& optimize, std::vector<ValueId>* operands) {
    SourceRange loc = optimize.range;
    std::vector<ValueId> values(kOptOperandCount, kNone);
    if (optimize.clause) {
      const syntax::OptimizerClause& clause = *optimize.clause;
      const std::string& name = clause.optimizer.name;
      double kind = name == "sgd"       ? kOptimizerSgd
                    : name == "adam"    ? kOptimizerAdam
                    : name == "rmsprop" ? kOptimizerRmsprop
                                        : 0;
      if (kind == 0) {
        std::string close = syntax::ClosestName(
            name, std::vector<std::string>(std::begin(kOptimizerNames), std::end(kOptimizerNames)));
        diags_.Error(clause.optimizer.range, absl::StrCat("unknown optimizer '", name, "'"),
                     close.empty() ? "use sgd, adam or rmsprop"
                                   : absl::StrCat("did you mean '", close, "'?"));
        return false;
      }
      values[kOptKind] = Const(kind, clause.optimizer.range);
      for (const syntax::NamedExpr& arg : clause.arguments) {
        const HyperKey* key = nullptr;
        for (const HyperKey& candidate : kClauseKeys) {
          if (arg.key.name == candidate.key) key = &candidate;
        }
        if (key == nullptr) {
          std::vector<std::string> names;
          for (const HyperKey& candidate : kClauseKeys) names.push_back(candidate.key);
          std::string close = syntax::ClosestName(arg.key.name, names);
          diags_.Error(arg.key.range,
                       absl::StrCat("unknown optimizer setting '", arg.key.name, "'"),
                       close.empty() ? absl::StrCat("settings: ", absl::StrJoin(names, ", "))
                                     : absl::StrCat("did you mean '", close, "'?"));
          return false;
        }
        if (values[key->operand] != kNone && key->operand != kOptKind) {
          diags_.Error(arg.key.range,
                       absl::StrCat("optimizer setting '", arg.key.name, "' is given twice"));
          return false;
        }
        ValueId v = LowerExpr(*arg.value);
        if (v == kNone) return false;
        if (TypeOf(v).kind == Type::kTensor || TypeOf(v).kind == Type::kString) {
          diags_.Error(arg.value->range, "an optimizer setting must be a scalar");
          return false;
        }
        values[key->operand] = v;
      }
    } else {
      // optimizer (1 SGD, 2 Adam, 3 RMSprop), overridden by use_rmsprop / use_adam != 0.
      SlotId optimizer = Lookup(kOptimizerSelectors[0]);
      ValueId kind = optimizer != kNone ? Load(optimizer, loc) : Const(kOptimizerSgd, loc);
      for (auto [flag, flag_kind] :
           {std::pair<const char*, double>{kOptimizerSelectors[2], kOptimizerRmsprop},
            std::pair<const char*, double>{kOptimizerSelectors[1], kOptimizerAdam}}) {
        SlotId slot = Lookup(flag);
        if (slot == kNone) continue;
        // kind = on ? flag_kind : kind, as arithmetic on the 0/1 result of `!= 0`.
        ValueId on = Binary(BinaryOpKind::kNe, Load(slot, loc), Const(0, loc), loc);
        ValueId off = Binary(BinaryOpKind::kSub, Const(1, loc), on, loc);
        kind =
            Binary(BinaryOpKind::kAdd, Binary(BinaryOpKind::kMul, on, Const(flag_kind, loc), loc),
                   Binary(BinaryOpKind::kMul, off, kind, loc), loc);
      }
      values[kOptKind] = kind;
    }
    for (const MagicVariable& magic : kMagicVariables) {
      if (values[magic.operand] != kNone) continue;
      for (const char* name : magic.names) {
        if (name == nullptr) continue;
        SlotId slot = Lookup(name);
        if (slot != kNone) {
          values[magic.operand] = Load(slot, loc);
          break;
        }
      }
      if (values[magic.operand] == kNone) values[magic.operand] = Const(magic.default_value, loc);
    }
    if (values[kOptBeta2] == kNone) {
      SlotId slot = optimize.clause ? kNone : Lookup("beta2");
      if (slot != kNone) {
        values[kOptBeta2] = Load(slot, loc);
      } else {
        // Default depends on the optimizer: 0.9 for RMSprop, 0.999 otherwise.
        ValueId is_rmsprop =
            Binary(BinaryOpKind::kEq, values[kOptKind], Const(kOptimizerRmsprop, loc), loc);
        ValueId not_rmsprop = Binary(BinaryOpKind::kSub, Const(1, loc), is_rmsprop, loc);
        values[kOptBeta2] =
            Binary(BinaryOpKind::kAdd, Binary(BinaryOpKind::kMul, is_rmsprop, Const(0.9, loc), loc),
                   Binary(BinaryOpKind::kMul, not_rmsprop, Const(0.999, loc), loc), loc);
      }
    }
    *operands = std::move(values);
    return true;
  }

  Module& module_;
  Function& fn_;
  syntax::DiagnosticEngine& diags_;
  const absl::flat_hash_map<std::string, int>& function_index_;
  const std::vector<const syntax::Function*>& asts_;
  RegionId region_ = kNone;
  absl::flat_hash_map<std::string, SlotId> names_;
  std::vector<std::string> declared_order_;
  absl::flat_hash_set<std::string> freed_;
  int optimize_depth_ = 0;
};

// Collects the user functions called (directly) from the ops of `region` and its nested regions.
void CollectCalls(const Function& fn, RegionId region, std::vector<const Op*>* calls) {
  std::vector<RegionId> pending = {region};
  while (!pending.empty()) {
    RegionId r = pending.back();
    pending.pop_back();
    for (OpId id : fn.regions[r].ops) {
      const Op& op = fn.ops[id];
      if (op.code == OpCode::kCall) calls->push_back(&op);
      for (RegionId nested : op.regions) pending.push_back(nested);
    }
  }
}

// Differentiated code is inlined, so recursion reachable from an optimize body is an error.
void CheckNoRecursionInOptimize(const Module& module, syntax::DiagnosticEngine& diagnostics) {
  size_t n = module.functions.size();
  std::vector<std::vector<const Op*>> calls(n);
  for (size_t f = 0; f < n; ++f)
    CollectCalls(module.functions[f], module.functions[f].body, &calls[f]);
  // can_reach[f] = functions reachable from f through one or more calls.
  std::vector<std::vector<bool>> can_reach(n, std::vector<bool>(n, false));
  for (size_t f = 0; f < n; ++f) {
    std::vector<uint32_t> stack;
    for (const Op* call : calls[f]) stack.push_back(call->callee);
    while (!stack.empty()) {
      uint32_t g = stack.back();
      stack.pop_back();
      if (can_reach[f][g]) continue;
      can_reach[f][g] = true;
      for (const Op* call : calls[g]) stack.push_back(call->callee);
    }
  }
  for (size_t f = 0; f < n; ++f) {
    const Function& fn = module.functions[f];
    for (const Op& op : fn.ops) {
      if (op.code != OpCode::kOptimize) continue;
      std::vector<const Op*> body_calls;
      for (RegionId r : op.regions) CollectCalls(fn, r, &body_calls);
      for (const Op* call : body_calls) {
        uint32_t g = call->callee;
        if (g == f || can_reach[g][g] || can_reach[g][f]) {
          diagnostics.Error(call->loc, "recursive call in differentiated code",
                            "functions called from an optimize body are inlined for "
                            "differentiation and cannot recurse");
          return;
        }
      }
    }
  }
}

}  // namespace

Module Lower(const syntax::Program& program, syntax::DiagnosticEngine& diagnostics) {
  Module module;
  module.file = program.file;
  absl::flat_hash_map<std::string, int> function_index;
  std::vector<const syntax::Function*> asts;
  for (const syntax::Function& fn : program.functions) {
    auto [it, inserted] = function_index.emplace(fn.name.name, static_cast<int>(asts.size()));
    if (!inserted) {
      syntax::Diagnostic diagnostic;
      diagnostic.range = fn.name.range;
      diagnostic.message = absl::StrCat("function '", fn.name.name, "' is already defined");
      syntax::Diagnostic note;
      note.severity = syntax::Severity::kNote;
      note.range = asts[it->second]->name.range;
      note.message = "first defined here";
      diagnostic.notes.push_back(std::move(note));
      diagnostics.Report(std::move(diagnostic));
      continue;
    }
    asts.push_back(&fn);
  }
  module.functions.resize(asts.size());
  for (size_t i = 0; i < asts.size(); ++i) {
    FunctionLowerer lowerer(module, module.functions[i], diagnostics, function_index, asts);
    lowerer.Lower(*asts[i]);
  }
  auto main_it = function_index.find("main");
  if (main_it == function_index.end()) {
    syntax::Diagnostic diagnostic;
    diagnostic.range = {program.file, 0, 0};
    diagnostic.message = "the program has no `fn main()`";
    diagnostic.hint = "execution starts at `fn main() { ... }`";
    diagnostics.Report(std::move(diagnostic));
  } else {
    module.main = static_cast<uint32_t>(main_it->second);
    if (!asts[main_it->second]->parameters.empty()) {
      diagnostics.Error(asts[main_it->second]->name.range, "`main` takes no parameters");
    }
  }
  if (!diagnostics.has_errors()) CheckNoRecursionInOptimize(module, diagnostics);
  if (!diagnostics.has_errors()) {
    InferModuleTypes(module);
  }
  return module;
}

OptimizerWords GetOptimizerWords() {
  OptimizerWords words;
  for (const char* name : kOptimizerNames) words.optimizers.push_back(name);
  for (const HyperKey& key : kClauseKeys) words.clause_keys.push_back(key.key);
  for (const char* name : kOptimizerSelectors) words.variables.push_back(name);
  for (const MagicVariable& magic : kMagicVariables) {
    for (const char* name : magic.names) {
      if (name != nullptr) words.variables.push_back(name);
    }
  }
  words.variables.push_back("beta2");  // Read in LowerHyperparameters (its default varies).
  return words;
}

}  // namespace noma::graph
