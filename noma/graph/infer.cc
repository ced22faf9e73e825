#include "noma/graph/infer.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

namespace noma::graph {
namespace {

// The most precise type describing both `a` and `b`.
Type Join(const Type& a, const Type& b) {
  if (a == b) return a;
  if (a.kind == Type::kTensor && b.kind == Type::kTensor) {
    if (a.rank != b.rank || a.rank < 0) return Type::Tensor();
    Type t = Type::Tensor(a.rank);
    for (int i = 0; i < a.rank; ++i) t.dims[i] = a.dims[i] == b.dims[i] ? a.dims[i] : -1;
    return t;
  }
  return Type::Unknown();
}

}  // namespace

Type BroadcastTypes(const Type& a, const Type& b) {
  if (a.kind == Type::kScalar && b.kind == Type::kScalar) return Type::Scalar();
  if (a.kind == Type::kScalar && b.kind == Type::kTensor) return b;
  if (b.kind == Type::kScalar && a.kind == Type::kTensor) return a;
  if (a.kind != Type::kTensor || b.kind != Type::kTensor) {
    return a.kind == Type::kTensor || b.kind == Type::kTensor ? Type::Tensor() : Type::Unknown();
  }
  if (a.rank < 0 || b.rank < 0) return Type::Tensor();
  int rank = std::max(a.rank, b.rank);
  Type t = Type::Tensor(rank);
  for (int i = 0; i < rank; ++i) {
    int ia = i - (rank - a.rank), ib = i - (rank - b.rank);
    int64_t da = ia < 0 ? 1 : a.dims[ia], db = ib < 0 ? 1 : b.dims[ib];
    t.dims[i] = da == 1 ? db : db == 1 ? da : (da == db ? da : -1);
  }
  return t;
}

namespace {

// A tensor type whose dims come from constant arguments [first, end); -1 where not constant.
Type ShapeFromConstants(const std::vector<std::optional<double>>& constants, size_t first,
                        size_t end) {
  std::vector<int64_t> dims;
  for (size_t i = first; i < end; ++i) {
    std::optional<double> d = i < constants.size() ? constants[i] : std::nullopt;
    dims.push_back(d && *d >= 0 && *d == static_cast<int64_t>(*d) ? static_cast<int64_t>(*d) : -1);
  }
  return Type::TensorOf(std::move(dims));
}

}  // namespace

// What the call sites of a function pass and what its returns give: parameter types are the
// join over every call site (a function never called keeps unknown parameters), the result the
// join over every `return`.
struct FunctionSignature {
  std::vector<std::optional<Type>> params;
  std::optional<Type> result;
};

namespace {

// Joins `t` into `*into`; true if that changed it.
bool JoinInto(std::optional<Type>* into, const Type& t) {
  Type joined = into->has_value() ? Join(**into, t) : t;
  if (into->has_value() && **into == joined) return false;
  *into = joined;
  return true;
}

class Inferrer {
 public:
  Inferrer(Function& fn, FunctionSignature* own, std::vector<FunctionSignature>* signatures)
      : fn_(fn), own_(own), signatures_(signatures) {}

  // True if the last pass changed what the module knows about signatures.
  bool signatures_changed() const { return signatures_changed_; }

  // Inference is optimistic: a value starts "not yet known" (bottom) and gets a type once its
  // operands have one; slots, parameters, call results and tapes join everything that flows
  // into them. Passes repeat until nothing changes, which is the least fixed point: sound, and
  // precise through loops and recursion. What stays unknown (code no call reaches) is `any`.
  //
  // Slot types are flow-sensitive: an environment maps each slot to the type of the value it
  // holds at that point of the walk; a store replaces it, branches join, and a loop's head joins
  // its entry with its back edge (kept across passes, so loops reach their fixed point too).
  void Pass() {
    if (known_.empty()) known_.assign(fn_.value_types.size(), false);
    Env env;
    for (size_t i = 0; i < fn_.params.size(); ++i) {
      if (own_ == nullptr) {
        env[fn_.params[i]] = Type::Unknown();  // A lone function: arguments unknown.
      } else if (i < own_->params.size() && own_->params[i]) {
        env[fn_.params[i]] = *own_->params[i];
      }
    }
    Visit(fn_.body, env);
  }

  // Runs passes until this function alone is stable (lone functions).
  void Run() {
    for (int round = 0; round < 64; ++round) {
      changed_ = false;
      Pass();
      if (!changed_) break;
    }
    Finish();
  }

  // Values never reached keep the type `any`.
  void Finish() {
    for (size_t v = 0; v < known_.size(); ++v) {
      if (!known_[v]) fn_.value_types[v] = Type::Unknown();
    }
  }

  bool changed() const { return changed_; }
  void clear_changed() { changed_ = signatures_changed_ = false; }

 private:
  void Set(ValueId v, const Type& t) {
    if (v == kNone) return;
    if (!known_[v] || fn_.value_types[v] != t) {
      known_[v] = true;
      fn_.value_types[v] = t;
      changed_ = true;
    }
  }

  bool Known(ValueId v) const { return known_[v]; }
  bool OperandsKnown(const Op& op) const {
    for (ValueId v : op.operands) {
      if (!known_[v]) return false;
    }
    return true;
  }

  // Slot -> the type of its value on the current path (absent: nothing stored yet).
  using Env = std::map<SlotId, Type>;

  static Env JoinEnv(const Env& a, const Env& b) {
    Env out = a;
    for (const auto& [slot, type] : b) {
      auto it = out.find(slot);
      if (it == out.end()) {
        out.emplace(slot, type);
      } else {
        it->second = Join(it->second, type);
      }
    }
    return out;
  }

  // The environment at the head of loop `op`: its entry joined with every back edge seen.
  Env& LoopHead(OpId op, const Env& entry) {
    Env& head = loop_heads_[op];
    Env joined = JoinEnv(head, entry);
    if (joined != head) {
      head = std::move(joined);
      changed_ = true;
    }
    return head;
  }
  void BackEdge(OpId op, const Env& back) {
    Env& head = loop_heads_[op];
    Env joined = JoinEnv(head, back);
    if (joined != head) {
      head = std::move(joined);
      changed_ = true;
    }
  }

  const Type& TypeOf(ValueId v) const { return fn_.value_types[v]; }

  // The constant behind a value, if it is one.
  std::optional<double> Constant(ValueId v) const {
    auto it = constants_.find(v);
    if (it == constants_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<std::optional<double>> Constants(const Op& op) const {
    std::vector<std::optional<double>> constants;
    for (ValueId v : op.operands) constants.push_back(Constant(v));
    return constants;
  }

  Type BuiltinResult(const Op& op) const {
    std::vector<Type> args;
    for (ValueId v : op.operands) args.push_back(TypeOf(v));
    return BuiltinResultType(static_cast<Builtin>(op.sub), args, Constants(op));
  }

  void Visit(RegionId region, Env& env) {
    for (OpId id : fn_.regions[region].ops) {
      const Op& op = fn_.ops[id];
      if (!OperandsKnown(op)) {
        // Not yet: a later pass gets here with the operands typed. What it would store is
        // unknown for now.
        if (op.slot != kNone) env.erase(op.slot);
        for (int64_t s : op.ints) {
          if (op.code == OpCode::kBatch || op.code == OpCode::kLoadSafetensors) {
            if (s != static_cast<int64_t>(kNone)) env.erase(static_cast<SlotId>(s));
          }
        }
        for (RegionId nested : op.regions) {
          Env inner = env;
          Visit(nested, inner);
        }
        continue;
      }
      switch (op.code) {
        case OpCode::kConst:
          constants_[op.result] = op.number;
          Set(op.result, Type::Scalar());
          break;
        case OpCode::kStringConst:
          Set(op.result, Type::String());
          break;
        case OpCode::kTensorLit:
          Set(op.result, Type::TensorOf(op.ints));
          break;
        case OpCode::kLoad: {
          auto it = env.find(op.slot);
          if (it != env.end()) Set(op.result, it->second);
          break;
        }
        case OpCode::kStore:
          env[op.slot] = TypeOf(op.operands[0]);
          break;
        case OpCode::kAlloc:
        case OpCode::kRealloc:
          env[op.slot] = ShapeFromConstants(Constants(op), 0, op.operands.size());
          break;
        case OpCode::kLoadCsv:
          env[op.slot] = Type::Tensor(2);
          break;
        case OpCode::kLoadSafetensors:
          // A file's tensors: rank and dims are only known when it is read.
          for (int64_t s : op.ints) env[static_cast<SlotId>(s)] = Type::Tensor();
          break;
        case OpCode::kBatch: {
          // A loop over chunks: chunk k of data operand k has its rows (at most the chunk size)
          // and its other dims; then the chunk index, a scalar. Body, then the step if any.
          Env head = LoopHead(id, env);
          size_t data = op.operands.size() - 1;
          for (size_t k = 0; k < op.ints.size(); ++k) {
            if (op.ints[k] == static_cast<int64_t>(kNone)) continue;
            Type chunk = Type::Tensor();
            if (k < data) {
              const Type& t = TypeOf(op.operands[k]);
              if (t.kind == Type::kTensor && t.rank >= 1) {
                chunk = t;
                chunk.dims[0] = -1;
              }
            } else {
              chunk = Type::Scalar();
            }
            head[static_cast<SlotId>(op.ints[k])] = chunk;
          }
          Env e = head;
          for (RegionId nested : op.regions) Visit(nested, e);
          BackEdge(id, e);
          env = JoinEnv(loop_heads_[id], e);
          continue;
        }
        case OpCode::kIf: {
          Env then_env = env;
          Visit(op.regions[0], then_env);
          if (op.regions.size() > 1) Visit(op.regions[1], env);
          env = JoinEnv(then_env, env);
          continue;
        }
        case OpCode::kWhile: {
          Env e = LoopHead(id, env);
          Visit(op.regions[0], e);  // The condition.
          Env exit = e;
          Visit(op.regions[1], e);
          BackEdge(id, e);
          env = std::move(exit);
          continue;
        }
        case OpCode::kOptimize: {
          // body, until, and the step (backward + update) when differentiated; the loop ends
          // after `until` or, at max_iterations, after a step.
          Env e = LoopHead(id, env);
          Visit(op.regions[0], e);
          Visit(op.regions[1], e);
          Env exit = e;
          for (size_t r = 2; r < op.regions.size(); ++r) Visit(op.regions[r], e);
          BackEdge(id, e);
          env = JoinEnv(exit, e);
          continue;
        }
        case OpCode::kUnary:
          Set(op.result, TypeOf(op.operands[0]));
          break;
        case OpCode::kBinary:
          Set(op.result, BroadcastTypes(TypeOf(op.operands[0]), TypeOf(op.operands[1])));
          break;
        case OpCode::kShortCircuit: {
          // A scalar lhs that decides gives 0 or 1; otherwise lhs op rhs, elementwise. The rhs
          // region may not run.
          Env rhs_env = env;
          Visit(op.regions[0], rhs_env);
          env = JoinEnv(env, rhs_env);
          std::optional<Type> rhs = YieldType(op.regions[0]);
          if (rhs) Set(op.result, BroadcastTypes(TypeOf(op.operands[0]), *rhs));
          continue;  // Its region is visited.
        }
        case OpCode::kBuiltin:
          Set(op.result, BuiltinResult(op));
          break;
        case OpCode::kIndex: {
          const Type& t = TypeOf(op.operands[0]);
          if (t.kind == Type::kTensor && t.rank == 1) {
            Set(op.result, Type::Scalar());
          } else if (t.kind == Type::kTensor && t.rank > 1) {
            Set(op.result, Type::TensorOf(std::vector<int64_t>(t.dims.begin() + 1, t.dims.end())));
          }
          break;
        }
        case OpCode::kCall:
          if (signatures_ != nullptr) {
            FunctionSignature& callee = (*signatures_)[op.callee];
            callee.params.resize(std::max(callee.params.size(), op.operands.size()));
            for (size_t i = 0; i < op.operands.size(); ++i) {
              signatures_changed_ |= JoinInto(&callee.params[i], TypeOf(op.operands[i]));
            }
            if (callee.result) Set(op.result, *callee.result);
          }
          break;
        case OpCode::kReturn:
          if (own_ != nullptr) {
            signatures_changed_ |= JoinInto(
                &own_->result, op.operands.empty() ? Type::Void() : TypeOf(op.operands[0]));
          }
          break;
        case OpCode::kTapePush: {
          std::optional<Type>& tape = tapes_[static_cast<int64_t>(op.number)];
          changed_ |= JoinInto(&tape, TypeOf(op.operands[0]));
          break;
        }
        case OpCode::kTapePop: {
          const std::optional<Type>& tape = tapes_[static_cast<int64_t>(op.number)];
          if (tape) Set(op.result, *tape);
          break;
        }
        case OpCode::kReallocLike: {
          // Shaped like a tensor operand 1 (a scalar operand 0 spreads to it); with a scalar
          // operand 1, operand 0 passes through unchanged.
          const Type& like = TypeOf(op.operands[1]);
          Set(op.result, like.kind == Type::kTensor   ? like
                         : like.kind == Type::kScalar ? TypeOf(op.operands[0])
                                                      : Type::Unknown());
          break;
        }
        case OpCode::kSumToShape:
        case OpCode::kIndexAdjoint:
        case OpCode::kUnreduce:
          // Shaped like operand 1 (the forward value whose adjoint this is).
          Set(op.result, TypeOf(op.operands[1]));
          break;
        case OpCode::kZerosLike:
          Set(op.result, TypeOf(op.operands[0]));
          break;
        case OpCode::kYield:
        case OpCode::kMinimize:
        case OpCode::kFree:
        case OpCode::kResetOptimizer:
        case OpCode::kSaveCsv:
        case OpCode::kSaveSafetensors:
          break;
      }
      for (RegionId nested : op.regions) {  // Not reached: region ops continue above.
        Env inner = env;
        Visit(nested, inner);
      }
    }
  }

  // The value a condition region yields (its last op).
  std::optional<Type> YieldType(RegionId region) const {
    const std::vector<OpId>& ops = fn_.regions[region].ops;
    if (ops.empty() || fn_.ops[ops.back()].code != OpCode::kYield) return Type::Unknown();
    ValueId v = fn_.ops[ops.back()].operands[0];
    if (!Known(v)) return std::nullopt;
    return TypeOf(v);
  }

  Function& fn_;
  FunctionSignature* own_;                      // nullptr: a lone function.
  std::vector<FunctionSignature>* signatures_;  // nullptr: calls stay unknown.
  bool signatures_changed_ = false;
  std::map<int64_t, std::optional<Type>> tapes_;  // Join of everything pushed per tape.
  std::map<OpId, Env> loop_heads_;  // Per loop op: entry joined with back edges, so far.
  std::map<ValueId, double> constants_;
  std::vector<bool> known_;  // Per value: typed yet (else bottom).
  bool changed_ = false;
};

}  // namespace

void InferTypes(Function& function) { Inferrer(function, nullptr, nullptr).Run(); }

void InferModuleTypes(Module& module) {
  std::vector<FunctionSignature> signatures(module.functions.size());
  for (size_t f = 0; f < module.functions.size(); ++f) {
    const std::vector<Type>& known = module.functions[f].param_types;
    signatures[f].params.assign(known.begin(), known.end());
  }
  std::vector<Inferrer> inferrers;
  inferrers.reserve(module.functions.size());
  for (size_t f = 0; f < module.functions.size(); ++f) {
    inferrers.emplace_back(module.functions[f], &signatures[f], &signatures);
  }
  // Types only move up a shallow lattice, so this ends quickly; the bound is a safety net.
  for (int round = 0; round < 256; ++round) {
    bool changed = false;
    for (Inferrer& inferrer : inferrers) {
      inferrer.clear_changed();
      inferrer.Pass();
      changed |= inferrer.changed() || inferrer.signatures_changed();
    }
    if (!changed) break;
  }
  for (Inferrer& inferrer : inferrers) inferrer.Finish();
  for (size_t f = 0; f < module.functions.size(); ++f) {
    Function& fn = module.functions[f];
    const std::vector<std::optional<Type>>& params = signatures[f].params;
    bool all_known = params.size() == fn.params.size();
    for (const std::optional<Type>& t : params) all_known &= t.has_value();
    if (!all_known) continue;
    fn.param_types.clear();
    for (const std::optional<Type>& t : params) fn.param_types.push_back(*t);
  }
}

Type BuiltinResultType(Builtin builtin, const std::vector<Type>& args,
                       const std::vector<std::optional<double>>& constants) {
  auto constant = [&](size_t i) { return i < constants.size() ? constants[i] : std::nullopt; };
  switch (builtin) {
    case Builtin::kSum:
    case Builtin::kMean: {
      if (args.size() == 1) return Type::Scalar();
      const Type& t = args[0];
      if (t.kind != Type::kTensor || t.rank < 1) return Type::Unknown();
      if (t.rank == 1) return Type::Scalar();
      Type out = Type::Tensor(t.rank - 1);
      if (std::optional<double> axis = constant(1)) {
        int a = static_cast<int>(*axis);
        if (a < 0) a += t.rank;
        if (a >= 0 && a < t.rank) {
          out.dims = t.dims;
          out.dims.erase(out.dims.begin() + a);
        }
      }
      return out;
    }
    case Builtin::kMatmul: {
      Type out = Type::Tensor(2);
      if (args[0].rank == 2) out.dims[0] = args[0].dims[0];
      if (args[1].rank == 2) out.dims[1] = args[1].dims[1];
      return out;
    }
    case Builtin::kTranspose: {
      const Type& t = args[0];
      if (t.rank == 2) return Type::TensorOf({t.dims[1], t.dims[0]});
      return t.rank == 1 ? t : Type::Tensor(2);
    }
    case Builtin::kShape:
      return Type::TensorOf({args[0].rank});
    case Builtin::kDot:
    case Builtin::kLen:
    case Builtin::kRand:
    case Builtin::kRandUniform:
    case Builtin::kRandNormal:
    case Builtin::kSeed:
      return Type::Scalar();
    case Builtin::kRandTensor:
      return ShapeFromConstants(constants, 0, args.size());
    case Builtin::kRandNormalTensor:
    case Builtin::kXavierInit:
      return ShapeFromConstants(constants, 2, args.size());
    case Builtin::kHeInit:
      return ShapeFromConstants(constants, 1, args.size());
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability) case Builtin::k##Id:
#include "noma/graph/builtins.def"
      return BroadcastTypes(args[0], args[1]);
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability) case Builtin::k##Id:
#include "noma/graph/builtins.def"
    case Builtin::kPrint:
      return args[0];  // Unary elementwise builtins and print keep their operand's type.
  }
  return Type::Unknown();
}

}  // namespace noma::graph
