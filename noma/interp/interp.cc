#include "noma/interp/interp.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "noma/graph/messages.h"
#include "noma/graph/runtime_kernels.h"
#include "noma/runtime/format.h"
#include "noma/runtime/io.h"
#include "noma/runtime/rng.h"
#include "noma/runtime/tensor.h"
#include "noma/runtime/watch.h"

namespace noma::interp {
namespace {

using graph::Builtin;
using graph::Op;
using graph::OpCode;
using graph::RegionId;
using graph::ValueId;
using runtime::Tensor;
using syntax::SourceRange;

// A run-time value. Tensors are shared immutable snapshots: `let y = x;` shares storage and
// every operation that "changes" a tensor builds a new one, so bindings never alias updates.
struct Value {
  enum class Kind : uint8_t { kUnset, kScalar, kTensor, kString, kFreed };
  Kind kind = Kind::kUnset;
  double scalar = 0;
  std::shared_ptr<const Tensor> tensor;
  std::shared_ptr<const std::string> text;

  static Value Scalar(double v) {
    Value value;
    value.kind = Kind::kScalar;
    value.scalar = v;
    return value;
  }
  // Rank-0 kernel results are scalars in the language.
  static Value FromTensor(Tensor t) {
    if (t.rank() == 0) return Scalar(t.scalar());
    Value value;
    value.kind = Kind::kTensor;
    value.tensor = std::make_shared<const Tensor>(std::move(t));
    return value;
  }
  static Value String(std::string s) {
    Value value;
    value.kind = Kind::kString;
    value.text = std::make_shared<const std::string>(std::move(s));
    return value;
  }
};

// Thrown nowhere: errors travel as this struct through the Exec* return values.
struct Error {
  SourceRange range;
  std::string message;
};

enum class Flow : uint8_t { kNext, kReturn, kError };

struct Frame {
  const graph::Function* fn;
  std::vector<Value> values;
  std::vector<Value> slots;
  absl::flat_hash_map<int64_t, std::vector<Value>> tapes;
  Value returned;
  int minimize_count = 0;
  double last_loss = 0;
};

std::string ShapeOf(const Value& v) {
  return v.kind == Value::Kind::kTensor ? runtime::ShapeToString(v.tensor->shape()) : "scalar";
}

class Interpreter {
 public:
  Interpreter(const graph::Module& module, const Options& options)
      : module_(module), options_(options), rng_(options.seed) {}

  Outcome RunMain() {
    char marker;
    stack_base_ = &marker;
    Outcome outcome;
    Value result;
    if (!Call(module_.functions[module_.main], {}, module_.functions[module_.main].loc, &result)) {
      outcome.error = ToDiagnostic(error_);
      return outcome;
    }
    if (result.kind != Value::Kind::kUnset) Print(result);
    return outcome;
  }

 private:
  static syntax::Diagnostic ToDiagnostic(const Error& error) {
    syntax::Diagnostic diagnostic;
    diagnostic.range = error.range;
    diagnostic.message = error.message;
    return diagnostic;
  }

  bool Fail(SourceRange range, std::string message) {
    error_ = {range, std::move(message)};
    return false;
  }
  bool Fail(SourceRange range, const absl::Status& status) {
    return Fail(range, std::string(status.message()));
  }

  void Print(const Value& v) {
    std::ostream& out = *options_.out;
    switch (v.kind) {
      case Value::Kind::kScalar:
        out << runtime::FormatScalar(v.scalar);
        break;
      case Value::Kind::kTensor:
        out << runtime::FormatTensor(*v.tensor);
        break;
      case Value::Kind::kString:
        out << *v.text;
        break;
      default:
        break;
    }
    out << '\n';
  }

  // ------------------------------------------------------------------ calls and regions

  // Stack used so far (the stack grows down on every platform this runs on).
  size_t StackUsed() const {
    char here;
    return static_cast<size_t>(stack_base_ - &here);
  }

  bool Call(const graph::Function& fn, std::vector<Value> args, SourceRange loc, Value* result) {
    if (++depth_ > options_.max_call_depth || StackUsed() > options_.stack_budget_bytes) {
      --depth_;
      return Fail(loc, absl::StrCat("recursion is too deep (", depth_,
                                    " nested calls); the program's stack is exhausted"));
    }
    Frame frame;
    frame.fn = &fn;
    frame.values.resize(fn.value_types.size());
    frame.slots.resize(fn.slots.size());
    for (size_t i = 0; i < args.size(); ++i) frame.slots[fn.params[i]] = std::move(args[i]);
    Flow flow = ExecRegion(frame, fn.body);
    --depth_;
    if (flow == Flow::kError) return false;
    *result = std::move(frame.returned);
    return true;
  }

  Flow ExecRegion(Frame& frame, RegionId region) {
    if (StackUsed() > options_.stack_budget_bytes) {
      const Op& first =
          frame.fn
              ->ops[frame.fn->regions[region].ops.empty() ? 0
                                                          : frame.fn->regions[region].ops.front()];
      Fail(first.loc, "nesting is too deep at run time; the interpreter's stack is exhausted");
      return Flow::kError;
    }
    for (graph::OpId id : frame.fn->regions[region].ops) {
      Flow flow = ExecOp(frame, frame.fn->ops[id]);
      if (flow != Flow::kNext) return flow;
    }
    return Flow::kNext;
  }

  // Runs a condition region and returns its yielded value.
  bool EvalRegion(Frame& frame, RegionId region, Value* out) {
    if (ExecRegion(frame, region) == Flow::kError) return false;
    const Op& yield = frame.fn->ops[frame.fn->regions[region].ops.back()];
    *out = frame.values[yield.operands[0]];
    return true;
  }

  bool Truthy(const Value& v, SourceRange loc, bool* truth) {
    if (v.kind == Value::Kind::kString)
      return Fail(loc, "condition must be a scalar, got a string");
    if (v.kind != Value::Kind::kScalar) {
      return Fail(loc,
                  absl::StrCat("condition must be a scalar, got a tensor of shape ", ShapeOf(v)));
    }
    *truth = v.scalar != 0;  // NaN is true.
    return true;
  }

  bool Cond(Frame& frame, RegionId region, SourceRange loc, bool* truth) {
    Value v;
    return EvalRegion(frame, region, &v) && Truthy(v, loc, truth);
  }

  // ------------------------------------------------------------------ operand helpers

  const Value& Operand(Frame& frame, const Op& op, size_t i) {
    return frame.values[op.operands[i]];
  }

  static Tensor AsTensor(const Value& v) {
    return v.kind == Value::Kind::kTensor ? *v.tensor : Tensor::Scalar(v.scalar);
  }

  // Strings exist only as print arguments and file paths.
  bool RequireNumeric(const Value& v, SourceRange loc) {
    if (v.kind == Value::Kind::kScalar || v.kind == Value::Kind::kTensor) return true;
    return Fail(loc, messages::kStringMisuse);
  }

  bool RequireTensor(const Value& v, SourceRange loc, const char* what) {
    if (v.kind == Value::Kind::kTensor) return true;
    return Fail(loc, absl::StrCat(what, ": expected a tensor, got a scalar"));
  }

  bool ScalarArg(const Value& v, SourceRange loc, const char* what, double* out) {
    if (v.kind != Value::Kind::kScalar) {
      return Fail(loc,
                  absl::StrCat(what, ": expected a scalar, got a tensor of shape ", ShapeOf(v)));
    }
    *out = v.scalar;
    return true;
  }

  bool StringArg(const Value& v, SourceRange loc, std::string* out) {
    if (v.kind != Value::Kind::kString) return Fail(loc, "expected a file path (a string)");
    *out = *v.text;
    return true;
  }

  // Dims from operands [first, operands.size()).
  bool Dims(Frame& frame, const Op& op, size_t first, runtime::Shape* shape) {
    std::vector<double> dims;
    for (size_t i = first; i < op.operands.size(); ++i) {
      double d;
      if (!ScalarArg(Operand(frame, op, i), op.loc, "dimension", &d)) return false;
      dims.push_back(d);
    }
    auto result = runtime::ShapeFromDims(dims, options_.max_elements);
    if (!result.ok()) return Fail(op.loc, result.status());
    *shape = *std::move(result);
    return true;
  }

  bool SetResult(Frame& frame, const Op& op, absl::StatusOr<Tensor> result) {
    if (!result.ok()) return Fail(op.loc, result.status());
    frame.values[op.result] = Value::FromTensor(*std::move(result));
    return true;
  }

  bool LoadSlot(Frame& frame, const Op& op, Value* out) {
    const Value& v = frame.slots[op.slot];
    const std::string& name = frame.fn->slots[op.slot].name;
    if (v.kind == Value::Kind::kUnset) {
      return Fail(op.loc, absl::StrCat("'", name, "' is used before it is given a value"));
    }
    if (v.kind == Value::Kind::kFreed) {
      return Fail(op.loc, absl::StrCat("use of '", name, "' after free"));
    }
    *out = v;
    return true;
  }

  // ------------------------------------------------------------------ ops

  Flow ExecOp(Frame& frame, const Op& op) {
    if (!ExecOpImpl(frame, op)) return Flow::kError;
    if (options_.check_nan && optimize_depth_ > 0 && op.result != graph::kNone &&
        graph::ComputesValue(op.code) && !CheckFinite(frame.values[op.result], op)) {
      return Flow::kError;
    }
    Flow flow = next_flow_;  // Set by kReturn, or propagated from a nested region.
    next_flow_ = Flow::kNext;
    return flow;
  }

  bool ExecOpImpl(Frame& frame, const Op& op) {
    switch (op.code) {
      case OpCode::kConst:
        frame.values[op.result] = Value::Scalar(op.number);
        return true;
      case OpCode::kStringConst:
        frame.values[op.result] = Value::String(op.keys[0]);
        return true;
      case OpCode::kTensorLit: {
        std::vector<double> elements;
        elements.reserve(op.operands.size());
        for (size_t i = 0; i < op.operands.size(); ++i) {
          double e;
          if (!ScalarArg(Operand(frame, op, i), op.loc, "tensor literal", &e)) return false;
          elements.push_back(e);
        }
        return SetResult(frame, op,
                         runtime::FromLiteral(runtime::Shape(op.ints.begin(), op.ints.end()),
                                              std::move(elements)));
      }
      case OpCode::kLoad:
        return LoadSlot(frame, op, &frame.values[op.result]);
      case OpCode::kStore:
        frame.slots[op.slot] = Operand(frame, op, 0);
        return true;
      case OpCode::kUnary: {
        const Value& a = Operand(frame, op, 0);
        if (!RequireNumeric(a, op.loc)) return false;
        return ExecUnaryKernel(frame, op,
                               graph::UnaryKernelOf(static_cast<graph::UnaryOpKind>(op.sub)), a);
      }
      case OpCode::kBinary:
        return ExecBinary(frame, op,
                          graph::BinaryKernelOf(static_cast<graph::BinaryOpKind>(op.sub)),
                          Operand(frame, op, 0), Operand(frame, op, 1));
      case OpCode::kShortCircuit: {
        const Value& lhs = Operand(frame, op, 0);
        bool is_and = static_cast<graph::BinaryOpKind>(op.sub) == graph::BinaryOpKind::kAnd;
        if (lhs.kind == Value::Kind::kScalar && (lhs.scalar != 0) != is_and) {
          frame.values[op.result] = Value::Scalar(is_and ? 0 : 1);  // Decided by lhs.
          return true;
        }
        Value lhs_copy = lhs;
        Value rhs;
        if (!EvalRegion(frame, op.regions[0], &rhs)) return false;
        return ExecBinary(frame, op,
                          is_and ? runtime::BinaryKernel::kAnd : runtime::BinaryKernel::kOr,
                          lhs_copy, rhs);
      }
      case OpCode::kBuiltin:
        return ExecBuiltin(frame, op);
      case OpCode::kCall: {
        std::vector<Value> args;
        for (size_t i = 0; i < op.operands.size(); ++i) {
          if (!RequireNumeric(Operand(frame, op, i), op.loc)) return false;
          args.push_back(Operand(frame, op, i));
        }
        Value result;
        if (!Call(module_.functions[op.callee], std::move(args), op.loc, &result)) return false;
        if (result.kind == Value::Kind::kUnset) {
          return Fail(op.loc,
                      absl::StrCat("'", module_.functions[op.callee].name, "' returned no value"));
        }
        frame.values[op.result] = std::move(result);
        return true;
      }
      case OpCode::kIndex: {
        const Value& base = Operand(frame, op, 0);
        double index;
        if (!RequireTensor(base, op.loc, "indexing") ||
            !ScalarArg(Operand(frame, op, 1), op.loc, "index", &index)) {
          return false;
        }
        return SetResult(frame, op, runtime::Index(*base.tensor, index));
      }
      case OpCode::kYield:
        return true;
      case OpCode::kIf: {
        bool truth = false;
        if (!Truthy(Operand(frame, op, 0), op.loc, &truth)) return false;
        return Continue(ExecRegion(frame, op.regions[truth ? 0 : 1]));
      }
      case OpCode::kWhile:
        while (true) {
          bool truth = false;
          if (!Cond(frame, op.regions[0], op.loc, &truth)) return false;
          if (!truth) return true;
          Flow flow = ExecRegion(frame, op.regions[1]);
          if (flow != Flow::kNext) return Continue(flow);
        }
      case OpCode::kReturn:
        frame.returned = op.operands.empty() ? Value() : Operand(frame, op, 0);
        next_flow_ = Flow::kReturn;
        return true;
      case OpCode::kOptimize:
        return ExecOptimize(frame, op);
      case OpCode::kMinimize: {
        const Value& loss = Operand(frame, op, 0);
        if (loss.kind != Value::Kind::kScalar) {
          return Fail(op.loc, messages::MinimizeTensor(ShapeOf(loss)));
        }
        ++frame.minimize_count;
        frame.last_loss = loss.scalar;
        return true;
      }
      case OpCode::kAlloc: {
        runtime::Shape shape;
        if (!Dims(frame, op, 0, &shape)) return false;
        frame.slots[op.slot] = Value::FromTensor(Tensor::Zeros(std::move(shape)));
        return true;
      }
      case OpCode::kRealloc:
        return ExecRealloc(frame, op);
      case OpCode::kFree: {
        Value current;
        if (!LoadSlot(frame, op, &current)) return false;
        frame.slots[op.slot] = Value();
        frame.slots[op.slot].kind = Value::Kind::kFreed;
        return true;
      }
      case OpCode::kResetOptimizer:
        // The autodiff pass turns it into stores to the optimizer state slots; the event is
        // logged.
        runtime::TrainingWatch::Get().ResetOptimizer();
        return true;
      case OpCode::kLoadCsv: {
        std::string path;
        if (!StringArg(Operand(frame, op, 0), op.loc, &path)) return false;
        auto loaded = runtime::LoadCsv(path);
        if (!loaded.ok()) return Fail(op.loc, loaded.status());
        frame.slots[op.slot] = Value::FromTensor(*std::move(loaded));
        return true;
      }
      case OpCode::kSaveCsv: {
        std::string path;
        if (!StringArg(Operand(frame, op, 1), op.loc, &path) ||
            !RequireNumeric(Operand(frame, op, 0), op.loc)) {
          return false;
        }
        absl::Status status = runtime::SaveCsv(AsTensor(Operand(frame, op, 0)), path);
        return status.ok() || Fail(op.loc, status);
      }
      case OpCode::kLoadSafetensors:
        return ExecLoadSafetensors(frame, op);
      case OpCode::kSaveSafetensors: {
        std::string path;
        if (!StringArg(Operand(frame, op, op.operands.size() - 1), op.loc, &path)) return false;
        std::map<std::string, Tensor> tensors;
        for (size_t i = 0; i + 1 < op.operands.size(); ++i) {
          if (!RequireNumeric(Operand(frame, op, i), op.loc)) return false;
          tensors[op.keys[i]] = AsTensor(Operand(frame, op, i));
        }
        absl::Status status = runtime::SaveSafetensors(tensors, path);
        return status.ok() || Fail(op.loc, status);
      }
      case OpCode::kBatch:
        return ExecBatch(frame, op);
      case OpCode::kTapePush:
        frame.tapes[static_cast<int64_t>(op.number)].push_back(Operand(frame, op, 0));
        return true;
      case OpCode::kTapePop: {
        auto& tape = frame.tapes[static_cast<int64_t>(op.number)];
        if (tape.empty()) return Fail(op.loc, "internal error: autodiff tape underflow");
        frame.values[op.result] = std::move(tape.back());
        tape.pop_back();
        return true;
      }
      case OpCode::kSumToShape: {
        const Value& adjoint = Operand(frame, op, 0);
        const Value& like = Operand(frame, op, 1);
        if (like.kind == Value::Kind::kScalar) {
          frame.values[op.result] = Value::FromTensor(runtime::SumAll(AsTensor(adjoint)));
          return true;
        }
        return SetResult(frame, op, runtime::SumToShape(AsTensor(adjoint), like.tensor->shape()));
      }
      case OpCode::kIndexAdjoint: {
        const Value& base = Operand(frame, op, 1);
        double index;
        if (!RequireTensor(base, op.loc, "indexing") ||
            !ScalarArg(Operand(frame, op, 2), op.loc, "index", &index)) {
          return false;
        }
        return SetResult(
            frame, op,
            runtime::IndexAdjoint(AsTensor(Operand(frame, op, 0)), base.tensor->shape(), index));
      }
      case OpCode::kZerosLike: {
        const Value& like = Operand(frame, op, 0);
        frame.values[op.result] = like.kind == Value::Kind::kTensor
                                      ? Value::FromTensor(Tensor::Zeros(like.tensor->shape()))
                                      : Value::Scalar(0);
        return true;
      }
      case OpCode::kReallocLike: {
        const Value& v = Operand(frame, op, 0);
        const Value& like = Operand(frame, op, 1);
        if (like.kind == Value::Kind::kTensor && v.kind == Value::Kind::kScalar) {
          // A scalar (optimizer state or a gradient that is still 0) spreads to the shape.
          const runtime::Shape& shape = like.tensor->shape();
          std::vector<double> values(static_cast<size_t>(like.tensor->size()), v.scalar);
          frame.values[op.result] = Value::FromTensor(Tensor(shape, std::move(values)));
          return true;
        }
        if (like.kind != Value::Kind::kTensor || v.kind != Value::Kind::kTensor ||
            v.tensor->shape() == like.tensor->shape()) {
          frame.values[op.result] = v;
          return true;
        }
        return SetResult(frame, op,
                         runtime::Realloc(*v.tensor, like.tensor->shape(), options_.max_elements,
                                          [](int64_t) { return 0.0; }));
      }
      case OpCode::kUnreduce:
        return ExecUnreduce(frame, op);
    }
    return Fail(op.loc, "internal error: unknown operation");
  }

  // --check-nan: the first NaN or infinity produced inside an optimize loop is an error.
  bool CheckFinite(const Value& v, const Op& op) {
    auto bad = [](double x) { return !std::isfinite(x); };
    bool found = false;
    if (v.kind == Value::Kind::kScalar) {
      found = bad(v.scalar);
    } else if (v.kind == Value::Kind::kTensor) {
      for (double x : v.tensor->values()) {
        if (bad(x)) {
          found = true;
          break;
        }
      }
    }
    if (!found) return true;
    std::string what = graph::NanCheckName(op);
    return Fail(op.loc, absl::StrCat(what, " produced a NaN or infinity (--check-nan)"));
  }

  // Maps a nested region's flow to this op's: kReturn propagates.
  bool Continue(Flow flow) {
    if (flow == Flow::kError) return false;
    next_flow_ = flow;
    return true;
  }

  // Broadcasts the adjoint of sum/mean(t, axis) back to t's shape.
  bool ExecUnreduce(Frame& frame, const Op& op) {
    Tensor adjoint = AsTensor(Operand(frame, op, 0));
    const Value& like = Operand(frame, op, 1);
    double axis;
    if (!RequireTensor(like, op.loc, "sum") ||
        !ScalarArg(Operand(frame, op, 2), op.loc, "axis", &axis)) {
      return false;
    }
    runtime::Shape shape = like.tensor->shape();
    int64_t rank = static_cast<int64_t>(shape.size());
    int64_t a = static_cast<int64_t>(axis);
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return Fail(op.loc, "internal error: reduction axis out of range");
    runtime::Shape kept = shape;
    kept[a] = 1;
    absl::StatusOr<int64_t> kept_count = runtime::ElementCount(kept);
    if (!kept_count.ok() || *kept_count != adjoint.size()) {
      return Fail(op.loc, "internal error: reduction adjoint of the wrong size");
    }
    Tensor reshaped(kept, adjoint.values());
    auto result = runtime::BroadcastTo(reshaped, shape);
    if (!result.ok()) return Fail(op.loc, result.status());
    if (op.sub == 1) {
      double count = static_cast<double>(shape[a]);
      for (double& x : result->values()) x /= count;
    }
    frame.values[op.result] = Value::FromTensor(*std::move(result));
    return true;
  }

  bool ExecBinary(Frame& frame, const Op& op, runtime::BinaryKernel kernel, const Value& a,
                  const Value& b) {
    if (a.kind == Value::Kind::kScalar && b.kind == Value::Kind::kScalar) {
      frame.values[op.result] = Value::Scalar(runtime::ApplyBinary(kernel, a.scalar, b.scalar));
      return true;
    }
    if (a.kind == Value::Kind::kString || b.kind == Value::Kind::kString) {
      return Fail(op.loc, messages::kStringMisuse);
    }
    return SetResult(frame, op, runtime::Binary(kernel, AsTensor(a), AsTensor(b)));
  }

  bool ExecRealloc(Frame& frame, const Op& op) {
    Value current;
    if (!LoadSlot(frame, op, &current)) return false;
    runtime::Shape shape;
    if (!Dims(frame, op, 0, &shape)) return false;
    Tensor tensor = AsTensor(current);
    if (tensor.shape() == shape) return true;  // No-op (docs/language.md §7).
    bool learnable = frame.fn->slots[op.slot].learnable;
    absl::StatusOr<Tensor> grown =
        learnable
            ? runtime::Realloc(tensor, shape, options_.max_elements,
                               [this](int64_t) { return rng_.Normal(0, 0.1); })
            : runtime::Realloc(tensor, shape, options_.max_elements, [](int64_t) { return 0.0; });
    if (!grown.ok()) return Fail(op.loc, grown.status());
    if (learnable) {
      runtime::TrainingWatch::Get().Growth(frame.fn->slots[op.slot].name.c_str(), tensor.shape(),
                                           shape);
    }
    frame.slots[op.slot] = Value::FromTensor(*std::move(grown));
    return true;
  }

  bool ExecLoadSafetensors(Frame& frame, const Op& op) {
    std::string path;
    if (!StringArg(Operand(frame, op, 0), op.loc, &path)) return false;
    auto loaded = runtime::LoadSafetensors(path);
    if (!loaded.ok()) return Fail(op.loc, loaded.status());
    auto list_keys = [&] {
      std::string keys;
      for (const auto& [key, tensor] : *loaded)
        absl::StrAppend(&keys, keys.empty() ? "" : ", ", key);
      return keys;
    };
    if (op.keys.size() == 1 && op.keys[0].empty()) {
      if (loaded->size() != 1) {
        return Fail(op.loc,
                    absl::StrCat("'", path, "' holds ", loaded->size(), " tensors (", list_keys(),
                                 "); bind them with `load_safetensors { key: x, ... }`"));
      }
      frame.slots[op.ints[0]] = Value::FromTensor(loaded->begin()->second);
      return true;
    }
    for (size_t i = 0; i < op.keys.size(); ++i) {
      auto it = loaded->find(op.keys[i]);
      if (it == loaded->end()) {
        return Fail(op.loc, absl::StrCat("'", path, "' has no tensor '", op.keys[i],
                                         "' (it has: ", list_keys(), ")"));
      }
      frame.slots[op.ints[i]] = Value::FromTensor(it->second);
    }
    return true;
  }

  bool ExecBatch(Frame& frame, const Op& op) {
    size_t sources = op.operands.size() - 1;
    double chunk;
    if (!ScalarArg(Operand(frame, op, sources), op.loc, "batch size", &chunk)) return false;
    if (!(chunk >= 1) || chunk != std::floor(chunk)) {
      return Fail(op.loc, absl::StrCat("batch size must be a positive integer, got ",
                                       runtime::FormatScalar(chunk)));
    }
    std::vector<Value> data;
    for (size_t i = 0; i < sources; ++i) {
      data.push_back(Operand(frame, op, i));
      if (!RequireTensor(data.back(), op.loc, "batch")) return false;
    }
    int64_t rows = data[0].tensor->shape()[0];
    for (size_t i = 1; i < sources; ++i) {
      if (data[i].tensor->shape()[0] != rows) {
        return Fail(op.loc, messages::BatchRows(ShapeOf(data[0]), ShapeOf(data[i])));
      }
    }
    int64_t n = static_cast<int64_t>(chunk);
    bool steps = op.regions.size() > 1;  // Minimize inside: one optimizer step per chunk.
    for (int64_t begin = 0, index = 0; begin < rows; begin += n, ++index) {
      int64_t end = std::min(rows, begin + n);
      for (size_t i = 0; i < sources; ++i) {
        auto slice = runtime::SliceRows(*data[i].tensor, begin, end);
        if (!slice.ok()) return Fail(op.loc, slice.status());
        frame.slots[op.ints[i]] = Value::FromTensor(*std::move(slice));
      }
      if (op.ints[sources] != static_cast<int64_t>(graph::kNone)) {
        frame.slots[op.ints[sources]] = Value::Scalar(static_cast<double>(index));
      }
      frame.minimize_count = 0;
      Flow flow = ExecRegion(frame, op.regions[0]);
      if (flow != Flow::kNext) return Continue(flow);
      if (steps) {
        if (!CheckOneMinimize(frame, op.loc, "batch")) return false;
        if (ExecRegion(frame, op.regions[1]) == Flow::kError) return false;
        runtime::TrainingWatch::Get().BatchStep(frame.last_loss);
      }
    }
    return true;
  }

  bool CheckOneMinimize(Frame& frame, SourceRange loc, const char* unit) {
    if (frame.minimize_count == 1) return true;
    return Fail(loc, absl::StrCat("each ", unit, " iteration must execute exactly one `minimize`",
                                  "; this one executed ", frame.minimize_count));
  }

  // docs/language.md §6: forward, check `until`, then one optimizer step, at most max_iterations
  // steps. When the minimize sits in a batch loop, the steps happen per chunk inside the body
  // and max_iterations counts passes over the data (epochs).
  bool ExecOptimize(Frame& frame, const Op& op) {
    double max_iterations;
    if (!ScalarArg(Operand(frame, op, graph::kOptMaxIterations), op.loc, "max_iterations",
                   &max_iterations)) {
      return false;
    }
    bool step_here = op.regions.size() >= 3;
    int64_t count = 0;
    ++optimize_depth_;
    runtime::TrainingWatch& watch = runtime::TrainingWatch::Get();
    {
      const Value& lr = Operand(frame, op, graph::kOptLearningRate);
      syntax::LineColumn lc = options_.sources->Resolve(op.loc.file, op.loc.begin);
      watch.LoopBegin(absl::StrCat(options_.sources->name(op.loc.file), ":", lc.line).c_str(),
                      lr.kind == Value::Kind::kScalar ? lr.scalar : std::nan(""), max_iterations,
                      !step_here);
    }
    while (true) {
      frame.minimize_count = 0;
      Flow flow = ExecRegion(frame, op.regions[0]);
      if (flow != Flow::kNext) {
        --optimize_depth_;
        watch.LoopAbandoned();
        return Continue(flow);
      }
      if (step_here && !CheckOneMinimize(frame, op.loc, "optimize")) return false;
      if (!step_here) ++count;  // One epoch done.
      bool done = false;
      if (!Cond(frame, op.regions[1], op.loc, &done)) return false;
      if (done) break;
      if (static_cast<double>(count) >= max_iterations) {
        watch.MaxIterationsReached();
        syntax::LineColumn lc = options_.sources->Resolve(op.loc.file, op.loc.begin);
        *options_.err << "warning: optimize at " << options_.sources->name(op.loc.file) << ":"
                      << lc.line << " reached max_iterations ("
                      << runtime::FormatScalar(max_iterations) << ") with cond false\n";
        break;
      }
      if (step_here) {
        if (ExecRegion(frame, op.regions[2]) == Flow::kError) return false;
        ++count;
      }
      watch.Iteration(count, frame.last_loss);
    }
    --optimize_depth_;
    watch.LoopEnd();
    return true;
  }

  bool ExecBuiltin(Frame& frame, const Op& op) {
    Builtin builtin = static_cast<Builtin>(op.sub);
    const char* name = graph::GetBuiltinInfo(builtin).name;
    if (builtin != Builtin::kPrint) {
      for (size_t i = 0; i < op.operands.size(); ++i) {
        if (!RequireNumeric(Operand(frame, op, i), op.loc)) return false;
      }
    }
    auto scalar = [&](size_t i, double* out) {
      return ScalarArg(Operand(frame, op, i), op.loc, name, out);
    };
    switch (builtin) {
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability) \
  case Builtin::k##Id:                                      \
    return ExecUnaryKernel(frame, op, runtime::UnaryKernel::k##Id, Operand(frame, op, 0));
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability)                          \
  case Builtin::k##Id:                                                                \
    return ExecBinary(frame, op, runtime::BinaryKernel::k##Id, Operand(frame, op, 0), \
                      Operand(frame, op, 1));
#include "noma/graph/builtins.def"
      case Builtin::kSum:
      case Builtin::kMean: {
        Tensor t = AsTensor(Operand(frame, op, 0));
        bool is_sum = builtin == Builtin::kSum;
        if (op.operands.size() == 1) {
          frame.values[op.result] =
              Value::FromTensor(is_sum ? runtime::SumAll(t) : runtime::MeanAll(t));
          return true;
        }
        double axis;
        if (!scalar(1, &axis)) return false;
        if (axis != std::floor(axis) || !std::isfinite(axis)) {
          return Fail(op.loc, absl::StrCat(name, ": axis must be an integer"));
        }
        int64_t a = static_cast<int64_t>(axis);
        return SetResult(frame, op, is_sum ? runtime::SumAxis(t, a) : runtime::MeanAxis(t, a));
      }
      case Builtin::kDot:
        return SetResult(
            frame, op,
            runtime::Dot(AsTensor(Operand(frame, op, 0)), AsTensor(Operand(frame, op, 1))));
      case Builtin::kMatmul:
        return SetResult(
            frame, op,
            runtime::Matmul(AsTensor(Operand(frame, op, 0)), AsTensor(Operand(frame, op, 1))));
      case Builtin::kTranspose:
        if (!RequireTensor(Operand(frame, op, 0), op.loc, name)) return false;
        return SetResult(frame, op, runtime::Transpose(*Operand(frame, op, 0).tensor));
      case Builtin::kShape: {
        const Value& a = Operand(frame, op, 0);
        if (!RequireTensor(a, op.loc, name)) return false;
        const runtime::Shape& shape = a.tensor->shape();
        std::vector<double> dims(shape.begin(), shape.end());
        return SetResult(frame, op, Tensor({static_cast<int64_t>(dims.size())}, dims));
      }
      case Builtin::kLen: {
        const Value& a = Operand(frame, op, 0);
        if (!RequireTensor(a, op.loc, name)) return false;
        frame.values[op.result] = Value::Scalar(static_cast<double>(a.tensor->shape()[0]));
        return true;
      }
      case Builtin::kRand:
        frame.values[op.result] = Value::Scalar(rng_.Uniform());
        return true;
      case Builtin::kRandUniform:
      case Builtin::kRandNormal: {
        double a, b;
        if (!scalar(0, &a) || !scalar(1, &b)) return false;
        frame.values[op.result] = Value::Scalar(
            builtin == Builtin::kRandUniform ? rng_.Uniform(a, b) : rng_.Normal(a, b));
        return true;
      }
      case Builtin::kRandTensor: {
        runtime::Shape shape;
        if (!Dims(frame, op, 0, &shape)) return false;
        frame.values[op.result] = Value::FromTensor(rng_.UniformTensor(std::move(shape)));
        return true;
      }
      case Builtin::kRandNormalTensor:
      case Builtin::kXavierInit: {
        double a, b;
        runtime::Shape shape;
        if (!scalar(0, &a) || !scalar(1, &b) || !Dims(frame, op, 2, &shape)) return false;
        frame.values[op.result] = Value::FromTensor(
            builtin == Builtin::kXavierInit ? rng_.Xavier(a, b, std::move(shape))
                                            : rng_.NormalTensor(a, b, std::move(shape)));
        return true;
      }
      case Builtin::kHeInit: {
        double fan_in;
        runtime::Shape shape;
        if (!scalar(0, &fan_in) || !Dims(frame, op, 1, &shape)) return false;
        frame.values[op.result] = Value::FromTensor(rng_.He(fan_in, std::move(shape)));
        return true;
      }
      case Builtin::kSeed: {
        double seed;
        if (!scalar(0, &seed)) return false;
        rng_.Seed(runtime::SeedFromDouble(seed));
        frame.values[op.result] = Value::Scalar(seed);
        return true;
      }
      case Builtin::kPrint:
        Print(Operand(frame, op, 0));
        frame.values[op.result] = Operand(frame, op, 0);
        return true;
    }
    return Fail(op.loc, absl::StrCat("internal error: builtin ", name, " not handled"));
  }

  bool ExecUnaryKernel(Frame& frame, const Op& op, runtime::UnaryKernel kernel, const Value& a) {
    if (a.kind == Value::Kind::kScalar) {
      frame.values[op.result] = Value::Scalar(runtime::ApplyUnary(kernel, a.scalar));
    } else {
      frame.values[op.result] = Value::FromTensor(runtime::Unary(kernel, *a.tensor));
    }
    return true;
  }

  const graph::Module& module_;
  const Options& options_;
  runtime::Rng rng_;
  Error error_;
  Flow next_flow_ = Flow::kNext;
  int depth_ = 0;
  const char* stack_base_ = nullptr;
  int optimize_depth_ = 0;  // > 0 while inside an optimize loop (for --check-nan).
};

}  // namespace

absl::StatusOr<Outcome> Run(const graph::Module& module, const Options& options) {
  if (module.main == graph::kNone) return absl::InvalidArgumentError("module has no main");
  if (options.out == nullptr || options.err == nullptr || options.sources == nullptr) {
    return absl::InvalidArgumentError("interp::Run needs out, err and sources");
  }
  // Kernels that create tensors (broadcasts, products) check this process-wide bound.
  runtime::SetMaxElements(options.max_elements);
  Interpreter interpreter(module, options);
  return interpreter.RunMain();
}

}  // namespace noma::interp
