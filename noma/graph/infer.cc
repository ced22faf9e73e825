#include "noma/graph/infer.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "noma/graph/internal/inferrer.h"

namespace noma::graph {

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
    // A run-time dim against a constant other than 1 must be that constant or 1 (else the
    // operation fails), so the result has the constant.
    if (da == 1 || (IsConstantDim(db) && db != 1 && !IsConstantDim(da))) {
      t.dims[i] = db;
    } else if (db == 1 || da == db || (IsConstantDim(da) && !IsConstantDim(db))) {
      t.dims[i] = da;
    } else {
      t.dims[i] = kUnknownDim;  // Two different symbols (either may be 1), or a mismatch.
    }
  }
  return t;
}

namespace {

// A tensor type whose dims come from constant arguments [first, end); unknown where not
// constant (inference names those after the op).
Type ShapeFromConstants(const std::vector<std::optional<double>>& constants, size_t first,
                        size_t end) {
  std::vector<int64_t> dims;
  for (size_t i = first; i < end; ++i) {
    std::optional<double> d = i < constants.size() ? constants[i] : std::nullopt;
    dims.push_back(d && *d >= 0 && *d == static_cast<int64_t>(*d) ? static_cast<int64_t>(*d)
                                                                  : kUnknownDim);
  }
  return Type::TensorOf(std::move(dims));
}

}  // namespace

namespace internal {

Type JoinTypes(const Type& a, const Type& b, const std::function<int64_t(int)>& dim_at) {
  if (a == b) return a;
  if (a.kind == Type::kTensor && b.kind == Type::kTensor) {
    if (a.rank != b.rank || a.rank < 0) return Type::Tensor();
    Type t = Type::Tensor(a.rank);
    for (int i = 0; i < a.rank; ++i) t.dims[i] = a.dims[i] == b.dims[i] ? a.dims[i] : dim_at(i);
    return t;
  }
  return Type::Unknown();
}

Inferrer::Inferrer(Module* module, const Function& fn, uint32_t index, std::vector<Type>* types)
    : module_(module), fn_(fn), index_(index), types_(*types) {}

void Inferrer::UseSignatures(FunctionSignature* own, std::vector<FunctionSignature>* all) {
  own_ = own;
  signatures_ = all;
}

void Inferrer::UseResolver(FunctionSignature* own, CallResolver resolver) {
  own_ = own;
  resolver_ = std::move(resolver);
}

// Inference is optimistic: a value starts "not yet known" (bottom) and gets a type once its
// operands have one; slots, parameters, call results and tapes join everything that flows
// into them. Passes repeat until nothing changes, which is the least fixed point: sound, and
// precise through loops and recursion. What stays unknown (code no call reaches) is `any`.
// A dim that differs where paths join becomes the symbol of that join, so every dim moves at
// most from bottom to a value to one symbol: passes always end.
//
// Slot types are flow-sensitive: an environment maps each slot to the type of the value it
// holds at that point of the walk; a store replaces it, branches join, and a loop's head joins
// its entry with its back edge (kept across passes, so loops reach their fixed point too).
void Inferrer::Pass(OpObserver* observer) {
  if (known_.empty()) {
    known_.assign(fn_.value_types.size(), false);
    origins_.assign(fn_.value_types.size(), kNone);
  }
  observer_ = observer;
  slot_types_.assign(fn_.slots.size(), std::nullopt);
  Env env;
  for (size_t i = 0; i < fn_.params.size(); ++i) {
    if (own_ == nullptr) {
      Write(env, fn_.params[i], Type::Unknown(), kNone);  // A lone function: arguments unknown.
    } else if (i < own_->params.size() && own_->params[i]) {
      Write(env, fn_.params[i], *own_->params[i], kNone);
    }
  }
  Visit(fn_.body, env);
  observer_ = nullptr;
}

void Inferrer::RunToFixedPoint() {
  for (int round = 0; round < 64; ++round) {
    clear_changed();
    Pass();
    if (!changed_ && !signatures_changed_) break;
  }
}

void Inferrer::Finish() {
  for (size_t v = 0; v < known_.size(); ++v) {
    if (!known_[v]) types_[v] = Type::Unknown();
  }
}

std::vector<Type> Inferrer::SlotTypes() const {
  std::vector<Type> out(fn_.slots.size());
  for (size_t s = 0; s < slot_types_.size(); ++s) {
    if (slot_types_[s]) out[s] = *slot_types_[s];
  }
  return out;
}

int64_t Inferrer::SymbolAt(const ShapeSymbols::Site& site) {
  if (module_ == nullptr) return kUnknownDim;
  return module_->symbols.DimFor(site, [&] { return Describe(site); });
}

ShapeSymbol Inferrer::Describe(const ShapeSymbols::Site& site) const {
  auto slot_name = [&](const Function& fn, uint32_t slot) {
    return absl::StrCat("'", fn.slots[slot].name, "'");
  };
  std::string dim = absl::StrCat("dim ", site.dim, " of ");
  switch (site.kind) {
    case ShapeSymbols::SiteKind::kOpResult: {
      const Op& op = fn_.ops[site.id];
      if (op.code == OpCode::kLoadCsv) {
        return {site.dim == 0 ? "rows of the table read by load_csv"
                              : "columns of the table read by load_csv",
                op.loc};
      }
      if (op.code == OpCode::kAlloc || op.code == OpCode::kRealloc) {
        return {absl::StrCat(dim, slot_name(fn_, op.slot), ", computed at run time"), op.loc};
      }
      if (op.code == OpCode::kBatch) {
        return {"rows of each chunk of this batch (the batch size, or fewer in the last chunk)",
                op.loc};
      }
      return {absl::StrCat(dim, "the result of ", NanCheckName(op), ", known at run time"), op.loc};
    }
    case ShapeSymbols::SiteKind::kJoin: {
      const Op& op = fn_.ops[site.id];
      const char* where = op.code == OpCode::kIf ? ", which differs between the branches here"
                          : op.code == OpCode::kShortCircuit
                              ? ", which depends on whether the right operand runs"
                              : ", which can change in this loop";
      return {absl::StrCat(dim, slot_name(fn_, site.slot), where), op.loc};
    }
    case ShapeSymbols::SiteKind::kParam: {
      const Function& callee = module_->functions[site.function];
      return {absl::StrCat(dim, "parameter ", slot_name(callee, callee.params[site.id]), " of '",
                           callee.name, "', which differs between its calls"),
              callee.slots[callee.params[site.id]].decl};
    }
    case ShapeSymbols::SiteKind::kReturn: {
      const Function& fn = module_->functions[site.function];
      return {absl::StrCat(dim, "what '", fn.name, "' returns, which differs between returns"),
              fn.loc};
    }
    case ShapeSymbols::SiteKind::kTape:
      return {absl::StrCat(dim, "a value saved for the backward pass"), fn_.loc};
    case ShapeSymbols::SiteKind::kVariable:
      return {absl::StrCat(dim, slot_name(fn_, site.id), ", which changes as the program runs"),
              fn_.slots[site.id].decl};
  }
  return {};
}

Type Inferrer::Named(OpId id, Type t, SlotId slot) {
  if (t.kind != Type::kTensor) return t;
  for (size_t k = 0; k < t.dims.size(); ++k) {
    if (t.dims[k] == kUnknownDim) {
      t.dims[k] =
          SymbolAt({ShapeSymbols::SiteKind::kOpResult, index_, id, slot, static_cast<int32_t>(k)});
    }
  }
  return t;
}

bool Inferrer::JoinInto(std::optional<Type>* into, const Type& t, ShapeSymbols::Site site) {
  Type joined = into->has_value() ? JoinTypes(**into, t,
                                              [&](int dim) {
                                                site.dim = dim;
                                                return SymbolAt(site);
                                              })
                                  : t;
  if (into->has_value() && **into == joined) return false;
  *into = std::move(joined);
  return true;
}

void Inferrer::Set(OpId op, ValueId v, Type t) {
  if (v == kNone) return;
  t = Named(op, std::move(t));
  if (!known_[v] || types_[v] != t) {
    known_[v] = true;
    types_[v] = std::move(t);
    changed_ = true;
  }
}

void Inferrer::Write(Env& env, SlotId slot, const Type& type, OpId origin) {
  env[slot] = {type, origin};
  JoinInto(&slot_types_[slot], type, {ShapeSymbols::SiteKind::kVariable, index_, slot, kNone, 0});
}

bool Inferrer::OperandsKnown(const Op& op) const {
  for (ValueId v : op.operands) {
    if (!known_[v]) return false;
  }
  return true;
}

Inferrer::Env Inferrer::JoinEnv(const Env& a, const Env& b, OpId site) {
  Env out = a;
  for (const auto& [slot, state] : b) {
    auto it = out.find(slot);
    if (it == out.end()) {
      out.emplace(slot, state);
      continue;
    }
    if (it->second.origin != state.origin) it->second.origin = kNone;
    SlotId joined_slot = slot;
    it->second.type = JoinTypes(it->second.type, state.type, [&](int dim) {
      return SymbolAt({ShapeSymbols::SiteKind::kJoin, index_, site, joined_slot, dim});
    });
  }
  return out;
}

// The environment at the head of loop `op`: its entry joined with every back edge seen.
Inferrer::Env& Inferrer::LoopHead(OpId op, const Env& entry) {
  Env& head = loop_heads_[op];
  Env joined = JoinEnv(head, entry, op);
  if (joined != head) {
    head = std::move(joined);
    changed_ = true;
  }
  return head;
}

void Inferrer::BackEdge(OpId op, const Env& back) {
  Env& head = loop_heads_[op];
  Env joined = JoinEnv(head, back, op);
  if (joined != head) {
    head = std::move(joined);
    changed_ = true;
  }
}

std::optional<double> Inferrer::Constant(ValueId v) const {
  auto it = constants_.find(v);
  if (it == constants_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::optional<double>> Inferrer::Constants(const Op& op) const {
  std::vector<std::optional<double>> constants;
  for (ValueId v : op.operands) constants.push_back(Constant(v));
  return constants;
}

void Inferrer::Visit(RegionId region, Env& env) {
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
    if (observer_ != nullptr) observer_->Observe(fn_, id, types_, origins_);
    switch (op.code) {
      case OpCode::kConst:
        constants_[op.result] = op.number;
        Set(id, op.result, Type::Scalar());
        break;
      case OpCode::kStringConst:
        Set(id, op.result, Type::String());
        break;
      case OpCode::kTensorLit:
        Set(id, op.result, Type::TensorOf(op.ints));
        break;
      case OpCode::kLoad: {
        auto it = env.find(op.slot);
        if (it != env.end()) {
          Set(id, op.result, it->second.type);
          origins_[op.result] = it->second.origin;
        }
        break;
      }
      case OpCode::kStore:
        Write(env, op.slot, TypeOf(op.operands[0]), id);
        break;
      case OpCode::kAlloc:
      case OpCode::kRealloc:
        Write(env, op.slot, Named(id, ShapeFromConstants(Constants(op), 0, op.operands.size())),
              id);
        break;
      case OpCode::kLoadCsv:
        Write(env, op.slot, Named(id, Type::Tensor(2)), id);
        break;
      case OpCode::kLoadSafetensors:
        // A file's tensors: rank and dims are only known when it is read.
        for (int64_t s : op.ints) Write(env, static_cast<SlotId>(s), Type::Tensor(), id);
        break;
      case OpCode::kBatch: {
        // A loop over chunks: chunk k of data operand k has its rows (at most the chunk size)
        // and its other dims; then the chunk index, a scalar. Body, then the step if any.
        Env head = LoopHead(id, env);
        size_t data = op.operands.size() - 1;
        for (size_t k = 0; k < op.ints.size(); ++k) {
          if (op.ints[k] == static_cast<int64_t>(kNone)) continue;
          SlotId slot = static_cast<SlotId>(op.ints[k]);
          Type chunk = Type::Tensor();
          if (k < data) {
            const Type& t = TypeOf(op.operands[k]);
            if (t.kind == Type::kTensor && t.rank >= 1) {
              chunk = t;
              chunk.dims[0] = kUnknownDim;
              // Every source has the same rows (the runtime checks), so one symbol.
              chunk = Named(id, std::move(chunk));
            }
          } else {
            chunk = Type::Scalar();
          }
          head[slot] = {chunk, kNone};
          JoinInto(&slot_types_[slot], chunk,
                   {ShapeSymbols::SiteKind::kVariable, index_, slot, kNone, 0});
        }
        Env e = head;
        for (RegionId nested : op.regions) Visit(nested, e);
        BackEdge(id, e);
        env = JoinEnv(loop_heads_[id], e, id);
        continue;
      }
      case OpCode::kIf: {
        Env then_env = env;
        Visit(op.regions[0], then_env);
        if (op.regions.size() > 1) Visit(op.regions[1], env);
        env = JoinEnv(then_env, env, id);
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
        env = JoinEnv(exit, e, id);
        continue;
      }
      case OpCode::kUnary:
        Set(id, op.result, TypeOf(op.operands[0]));
        break;
      case OpCode::kBinary:
        Set(id, op.result, BroadcastTypes(TypeOf(op.operands[0]), TypeOf(op.operands[1])));
        break;
      case OpCode::kShortCircuit: {
        // A scalar lhs that decides gives 0 or 1; otherwise lhs op rhs, elementwise. The rhs
        // region may not run.
        Env rhs_env = env;
        Visit(op.regions[0], rhs_env);
        env = JoinEnv(env, rhs_env, id);
        std::optional<Type> rhs = YieldType(op.regions[0]);
        if (rhs) Set(id, op.result, BroadcastTypes(TypeOf(op.operands[0]), *rhs));
        continue;  // Its region is visited.
      }
      case OpCode::kBuiltin: {
        std::vector<Type> args;
        for (ValueId v : op.operands) args.push_back(TypeOf(v));
        Set(id, op.result, BuiltinResultType(static_cast<Builtin>(op.sub), args, Constants(op)));
        break;
      }
      case OpCode::kIndex: {
        const Type& t = TypeOf(op.operands[0]);
        if (t.kind == Type::kTensor && t.rank == 1) {
          Set(id, op.result, Type::Scalar());
        } else if (t.kind == Type::kTensor && t.rank > 1) {
          Set(id, op.result,
              Type::TensorOf(std::vector<int64_t>(t.dims.begin() + 1, t.dims.end())));
        }
        break;
      }
      case OpCode::kCall: {
        std::vector<Type> args;
        for (ValueId v : op.operands) args.push_back(TypeOf(v));
        if (signatures_ != nullptr) {
          FunctionSignature& callee = (*signatures_)[op.callee];
          callee.params.resize(std::max(callee.params.size(), op.operands.size()));
          for (size_t i = 0; i < op.operands.size(); ++i) {
            signatures_changed_ |= JoinInto(
                &callee.params[i], args[i],
                {ShapeSymbols::SiteKind::kParam, op.callee, static_cast<uint32_t>(i), kNone, 0});
          }
          if (callee.result) Set(id, op.result, *callee.result);
        } else if (resolver_) {
          if (std::optional<Type> result = resolver_(op, args)) Set(id, op.result, *result);
        }
        break;
      }
      case OpCode::kReturn:
        if (own_ != nullptr) {
          signatures_changed_ |=
              JoinInto(&own_->result, op.operands.empty() ? Type::Void() : TypeOf(op.operands[0]),
                       {ShapeSymbols::SiteKind::kReturn, index_, 0, kNone, 0});
        }
        break;
      case OpCode::kTapePush: {
        int64_t tape = static_cast<int64_t>(op.number);
        changed_ |= JoinInto(
            &tapes_[tape], TypeOf(op.operands[0]),
            {ShapeSymbols::SiteKind::kTape, index_, static_cast<uint32_t>(tape), kNone, 0});
        break;
      }
      case OpCode::kTapePop: {
        const std::optional<Type>& tape = tapes_[static_cast<int64_t>(op.number)];
        if (tape) Set(id, op.result, *tape);
        break;
      }
      case OpCode::kReallocLike: {
        // Shaped like a tensor operand 1 (a scalar operand 0 spreads to it); with a scalar
        // operand 1, operand 0 passes through unchanged.
        const Type& like = TypeOf(op.operands[1]);
        Set(id, op.result,
            like.kind == Type::kTensor   ? like
            : like.kind == Type::kScalar ? TypeOf(op.operands[0])
                                         : Type::Unknown());
        break;
      }
      case OpCode::kSumToShape:
      case OpCode::kIndexAdjoint:
      case OpCode::kUnreduce:
        // Shaped like operand 1 (the forward value whose adjoint this is).
        Set(id, op.result, TypeOf(op.operands[1]));
        break;
      case OpCode::kZerosLike:
        Set(id, op.result, TypeOf(op.operands[0]));
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
std::optional<Type> Inferrer::YieldType(RegionId region) const {
  const std::vector<OpId>& ops = fn_.regions[region].ops;
  if (ops.empty() || fn_.ops[ops.back()].code != OpCode::kYield) return Type::Unknown();
  ValueId v = fn_.ops[ops.back()].operands[0];
  if (!known_[v]) return std::nullopt;
  return TypeOf(v);
}

}  // namespace internal

void InferTypes(Function& function) {
  internal::Inferrer inferrer(nullptr, function, 0, &function.value_types);
  inferrer.RunToFixedPoint();
  inferrer.Finish();
  function.slot_types = inferrer.SlotTypes();
}

void InferModuleTypes(Module& module) {
  using internal::FunctionSignature;
  std::vector<FunctionSignature> signatures(module.functions.size());
  for (size_t f = 0; f < module.functions.size(); ++f) {
    const std::vector<Type>& known = module.functions[f].param_types;
    signatures[f].params.assign(known.begin(), known.end());
  }
  std::vector<internal::Inferrer> inferrers;
  inferrers.reserve(module.functions.size());
  for (uint32_t f = 0; f < module.functions.size(); ++f) {
    Function& fn = module.functions[f];
    inferrers.emplace_back(&module, fn, f, &fn.value_types);
    inferrers.back().UseSignatures(&signatures[f], &signatures);
  }
  // Types only move up a shallow lattice, so this ends quickly; the bound is a safety net.
  for (int round = 0; round < 256; ++round) {
    bool changed = false;
    for (internal::Inferrer& inferrer : inferrers) {
      inferrer.clear_changed();
      inferrer.Pass();
      changed |= inferrer.changed() || inferrer.signatures_changed();
    }
    if (!changed) break;
  }
  for (size_t f = 0; f < module.functions.size(); ++f) {
    Function& fn = module.functions[f];
    inferrers[f].Finish();
    fn.slot_types = inferrers[f].SlotTypes();
    fn.result_type = signatures[f].result.value_or(Type::Unknown());
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
