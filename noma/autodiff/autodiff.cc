#include "noma/autodiff/autodiff.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "noma/autodiff/internal/inline.h"

namespace noma::autodiff {
namespace {

using graph::BinaryOpKind;
using graph::Builtin;
using graph::Function;
using graph::kNone;
using graph::Op;
using graph::OpCode;
using graph::OpId;
using graph::RegionId;
using graph::SlotId;
using graph::Type;
using graph::UnaryOpKind;
using graph::ValueId;
using syntax::SourceRange;

// Optimizer state of one parameter: first and second moments and the Adam step counter.
struct StateSlots {
  SlotId m = kNone;
  SlotId v = kNone;
  SlotId t = kNone;
};

// Appends ops to one region of a function.
class Builder {
 public:
  Builder(Function& fn, RegionId region, SourceRange loc) : fn_(fn), region_(region), loc_(loc) {}

  RegionId region() const { return region_; }
  void set_region(RegionId region) { region_ = region; }
  void set_loc(SourceRange loc) { loc_ = loc; }

  ValueId Emit(OpCode code, std::vector<ValueId> operands, uint8_t sub = 0,
               Type type = Type::Unknown()) {
    Op op;
    op.code = code;
    op.operands = std::move(operands);
    op.sub = sub;
    return Push(std::move(op), type);
  }
  OpId EmitVoid(Op op) {
    op.loc = loc_;
    return fn_.Append(region_, std::move(op));
  }

  ValueId Const(double value) {
    Op op;
    op.code = OpCode::kConst;
    op.number = value;
    return Push(std::move(op), Type::Scalar());
  }
  ValueId Load(SlotId slot) {
    Op op;
    op.code = OpCode::kLoad;
    op.slot = slot;
    return Push(std::move(op), Type::Unknown());
  }
  void Store(SlotId slot, ValueId value) {
    Op op;
    op.code = OpCode::kStore;
    op.slot = slot;
    op.operands = {value};
    EmitVoid(std::move(op));
  }
  ValueId Bin(BinaryOpKind kind, ValueId a, ValueId b) {
    return Emit(OpCode::kBinary, {a, b}, static_cast<uint8_t>(kind));
  }
  ValueId Add(ValueId a, ValueId b) { return Bin(BinaryOpKind::kAdd, a, b); }
  ValueId Sub(ValueId a, ValueId b) { return Bin(BinaryOpKind::kSub, a, b); }
  ValueId Mul(ValueId a, ValueId b) { return Bin(BinaryOpKind::kMul, a, b); }
  ValueId Div(ValueId a, ValueId b) { return Bin(BinaryOpKind::kDiv, a, b); }
  ValueId Neg(ValueId a) {
    return Emit(OpCode::kUnary, {a}, static_cast<uint8_t>(UnaryOpKind::kNeg));
  }
  ValueId Call(Builtin builtin, std::vector<ValueId> args) {
    return Emit(OpCode::kBuiltin, std::move(args), static_cast<uint8_t>(builtin));
  }

 private:
  // Appends `op` with a fresh result value of `type`.
  ValueId Push(Op op, Type type) {
    op.loc = loc_;
    op.result = fn_.NewValue(type);
    ValueId result = op.result;
    fn_.Append(region_, std::move(op));
    return result;
  }

  Function& fn_;
  RegionId region_;
  SourceRange loc_;
};

// Visits every op of `root` and its nested regions, with the region each op sits in.
template <typename Visit>
void ForEachOp(const Function& fn, RegionId root, Visit visit) {
  std::vector<RegionId> pending = {root};
  while (!pending.empty()) {
    RegionId r = pending.back();
    pending.pop_back();
    for (OpId id : fn.regions[r].ops) {
      visit(id, r);
      for (RegionId nested : fn.ops[id].regions) pending.push_back(nested);
    }
  }
}

bool IsDifferentiableBuiltin(Builtin builtin) {
  return graph::GetBuiltinInfo(builtin).differentiable;
}

// Whether an op's result carries derivative information from its operands.
bool PropagatesActivity(const Op& op) {
  switch (op.code) {
    case OpCode::kUnary: {
      auto kind = static_cast<UnaryOpKind>(op.sub);
      return kind == UnaryOpKind::kNeg || kind == UnaryOpKind::kCastF32;
    }
    case OpCode::kBinary: {
      auto kind = static_cast<BinaryOpKind>(op.sub);
      return kind <= BinaryOpKind::kPow;  // Arithmetic, not comparisons or logic.
    }
    case OpCode::kBuiltin:
      return IsDifferentiableBuiltin(static_cast<Builtin>(op.sub));
    case OpCode::kIndex:
    case OpCode::kTensorLit:
      return true;
      // Every op the registry (ops.def) marks not differentiable.
#define NOMA_OP(Id, name, ComputesValue, Differentiability) NOMA_AD_CASE_IF_##Differentiability(Id)
#define NOMA_AD_CASE_IF_Differentiable(Id)
#define NOMA_AD_CASE_IF_NotDifferentiable(Id) case OpCode::k##Id:
#include "noma/graph/ops.def"
#undef NOMA_AD_CASE_IF_Differentiable
#undef NOMA_AD_CASE_IF_NotDifferentiable
      return false;
  }
  return false;  // Not reached: the switch covers every op.
}

// Differentiates one region D (an optimize body, or the body of a batch holding the minimize)
// and builds its step region. See Differentiate() for the overall scheme.
class RegionDifferentiator {
 public:
  RegionDifferentiator(Function& fn, RegionId forward, const Op& optimize,
                       const std::vector<SlotId>& trained, std::map<SlotId, StateSlots>& state,
                       int* next_tape)
      : fn_(fn),
        forward_(forward),
        optimize_(optimize),
        trained_(trained),
        state_(state),
        next_tape_(next_tape) {}

  // Returns the step region (backward, then the optimizer update).
  RegionId Run(const absl::flat_hash_set<ValueId>& active_values,
               const absl::flat_hash_set<SlotId>& active_slots) {
    active_values_ = &active_values;
    active_slots_ = &active_slots;
    ForEachOp(fn_, forward_, [&](OpId id, RegionId r) {
      if (fn_.ops[id].result != kNone) defining_region_[fn_.ops[id].result] = r;
    });
    RegionId step = fn_.NewRegion(kNone);
    Builder b(fn_, step, optimize_.loc);
    // Zero every adjoint slot first; they are created while the backward code is generated,
    // so the zeroing ops are spliced in front afterwards.
    RegionId backward = fn_.NewRegion(step);
    b.set_region(backward);
    straight_backward_ = backward;
    contributed_.clear();
    for (SlotId p : trained_) SlotAdjoint(p);  // Zeroed even if a path never loads p.
    scopes_.push_back({});
    ReverseRegion(forward_, b);
    scopes_.pop_back();
    b.set_region(step);
    b.set_loc(optimize_.loc);
    ValueId zero = b.Const(0);
    for (SlotId slot : adjoint_slots_) b.Store(slot, zero);
    // A parameter's gradient starts as zeros of its shape, so it is a tensor exactly when the
    // parameter is, whichever paths of the backward code add to it.
    for (SlotId p : trained_) {
      b.Store(SlotAdjoint(p), b.Emit(OpCode::kReallocLike, {zero, b.Load(p)}));
    }
    for (OpId id : fn_.regions[backward].ops) fn_.regions[step].ops.push_back(id);
    fn_.regions[backward].ops.clear();
    EmitUpdate(b);
    ApplyForwardInsertions();
    return step;
  }

 private:
  // ------------------------------------------------------------------ adjoint storage

  bool Active(ValueId v) const { return active_values_->contains(v); }

  SlotId NewSlot(std::string name) {
    graph::Slot slot;
    slot.name = std::move(name);
    slot.synthetic = true;
    fn_.slots.push_back(std::move(slot));
    return static_cast<SlotId>(fn_.slots.size() - 1);
  }

  SlotId ValueAdjoint(ValueId v) {
    auto [it, inserted] = value_adjoint_.try_emplace(v, kNone);
    if (inserted) {
      it->second = NewSlot(absl::StrCat("d%", v));
      adjoint_slots_.push_back(it->second);
    }
    return it->second;
  }

  SlotId SlotAdjoint(SlotId s) {
    auto [it, inserted] = slot_adjoint_.try_emplace(s, kNone);
    if (inserted) {
      it->second = NewSlot(absl::StrCat("d", fn_.slots[s].name));
      adjoint_slots_.push_back(it->second);
    }
    return it->second;
  }

  // adjoint(v) += contribution, reduced to v's shape when broadcasting may have happened.
  void Accumulate(Builder& b, ValueId v, ValueId contribution, bool reduce) {
    if (!Active(v)) return;
    if (reduce) contribution = b.Emit(OpCode::kSumToShape, {contribution, Fwd(b, v)});
    SlotId slot = ValueAdjoint(v);
    // The first contribution on the backward code's straight line, where the adjoint still
    // holds the zero it starts each step with, becomes the adjoint (0 + c is c): no pass over
    // a tensor to add zero.
    bool first = contributed_.insert(slot).second;
    if (first && b.region() == straight_backward_) {
      b.Store(slot, contribution);
      return;
    }
    b.Store(slot, b.Add(b.Load(slot), contribution));
  }

  // ------------------------------------------------------------------ forward values

  // The value of forward value `v` as seen from the backward code being built. Values of D
  // itself are in scope (the step region continues D); values from nested regions are pushed
  // on a tape when computed and popped at the start of the reversed region.
  ValueId Fwd(Builder& b, ValueId v) {
    RegionId r = defining_region_.contains(v) ? defining_region_[v] : kNone;
    if (r == kNone || r == forward_) return v;  // Defined before the loop or in D.
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto found = it->popped.find(v);
      if (found != it->popped.end()) return found->second;
      if (it->forward_region == r) {
        ValueId popped = fn_.NewValue(fn_.value_types[v]);
        it->popped[v] = popped;
        it->pops.push_back({v, popped});
        return popped;
      }
    }
    (void)b;
    return v;  // Not reachable for well-formed IR: the use is nested in the definition.
  }

  struct Scope {
    RegionId forward_region = kNone;
    absl::flat_hash_map<ValueId, ValueId> popped;
    std::vector<std::pair<ValueId, ValueId>> pops;  // (forward value, popped value)
  };

  // Records that `value` must be pushed right after its defining op in the forward code.
  int TapeFor(ValueId value) {
    auto [it, inserted] = tape_of_.try_emplace(value, 0);
    if (inserted) it->second = (*next_tape_)++;
    return it->second;
  }

  // ------------------------------------------------------------------ reversal

  // Emits the reverse of region `r` (ops in reverse order) into b's current region.
  void ReverseRegion(RegionId r, Builder& b) {
    std::vector<OpId> ops = fn_.regions[r].ops;  // Copy: forward insertions come later.
    for (auto it = ops.rbegin(); it != ops.rend(); ++it) ReverseOp(*it, b);
  }

  // Reverses nested region `r` into a new region; tape pops go first.
  RegionId ReverseNested(RegionId r, Builder& b) {
    RegionId saved = b.region();
    RegionId reversed = fn_.NewRegion(saved);
    b.set_region(reversed);
    scopes_.push_back({r, {}, {}});
    ReverseRegion(r, b);
    Scope scope = std::move(scopes_.back());
    scopes_.pop_back();
    std::vector<OpId> pops;
    // Pop in reverse order of pushing: the latest forward value is on top of its own tape
    // anyway (one tape per value), so the order only has to be consistent.
    for (const auto& [forward_value, popped] : scope.pops) {
      Op pop;
      pop.code = OpCode::kTapePop;
      pop.loc = optimize_.loc;
      pop.number = TapeFor(forward_value);
      pop.result = popped;
      fn_.ops.push_back(std::move(pop));
      pops.push_back(static_cast<OpId>(fn_.ops.size() - 1));
      push_after_[definer_of(forward_value)].push_back(forward_value);
    }
    std::vector<OpId>& body = fn_.regions[reversed].ops;
    body.insert(body.begin(), pops.begin(), pops.end());
    b.set_region(saved);
    return reversed;
  }

  OpId definer_of(ValueId v) {
    if (definer_.empty()) {
      ForEachOp(fn_, forward_, [&](OpId id, RegionId) {
        if (fn_.ops[id].result != kNone) definer_[fn_.ops[id].result] = id;
      });
    }
    return definer_.at(v);
  }

  bool RegionHasActiveOps(RegionId r) {
    bool any = false;
    ForEachOp(fn_, r, [&](OpId id, RegionId) {
      const Op& op = fn_.ops[id];
      if (op.code == OpCode::kMinimize) any = true;
      if (op.result != kNone && Active(op.result)) any = true;
      if (op.slot != kNone && active_slots_->contains(op.slot)) any = true;
    });
    return any;
  }

  void ReverseOp(OpId id, Builder& b) {
    const Op op = fn_.ops[id];  // Copy: fn_.ops grows.
    b.set_loc(op.loc);
    switch (op.code) {
      case OpCode::kMinimize:
        Accumulate(b, op.operands[0], b.Const(1), false);
        return;
      case OpCode::kLoad:
        if (Active(op.result)) {
          SlotId adjoint = SlotAdjoint(op.slot);
          b.Store(adjoint, b.Add(b.Load(adjoint), ReadAndClear(b, op.result)));
        }
        return;
      case OpCode::kStore: {
        if (!active_slots_->contains(op.slot)) return;
        SlotId adjoint = SlotAdjoint(op.slot);
        ValueId g = b.Load(adjoint);
        b.Store(adjoint, b.Const(0));
        Accumulate(b, op.operands[0], g, false);
        return;
      }
      case OpCode::kAlloc:
      case OpCode::kLoadCsv:
      case OpCode::kFree:
        if (active_slots_->contains(op.slot)) b.Store(SlotAdjoint(op.slot), b.Const(0));
        return;
      case OpCode::kLoadSafetensors:
      case OpCode::kBatch:
        for (int64_t s : op.ints) {
          if (s != static_cast<int64_t>(kNone) && active_slots_->contains(static_cast<SlotId>(s))) {
            b.Store(SlotAdjoint(static_cast<SlotId>(s)), b.Const(0));
          }
        }
        return;
      case OpCode::kRealloc: {
        if (!active_slots_->contains(op.slot)) return;
        // The forward code loads the value before the resize (inserted below).
        ValueId before = before_realloc_.at(id);
        SlotId adjoint = SlotAdjoint(op.slot);
        b.Store(adjoint, b.Emit(OpCode::kReallocLike, {b.Load(adjoint), Fwd(b, before)}));
        return;
      }
      case OpCode::kIf: {
        if (!RegionHasActiveOps(op.regions[0]) && !RegionHasActiveOps(op.regions[1])) return;
        Op reversed;
        reversed.code = OpCode::kIf;
        reversed.operands = {Fwd(b, op.operands[0])};
        reversed.regions = {ReverseNested(op.regions[0], b), ReverseNested(op.regions[1], b)};
        b.EmitVoid(std::move(reversed));
        return;
      }
      case OpCode::kWhile: {
        if (!RegionHasActiveOps(op.regions[1])) return;
        ValueId trips = Fwd(b, trip_count_.at(id));
        SlotId counter = NewSlot("reverse trip");
        b.Store(counter, b.Const(0));
        Op loop;
        loop.code = OpCode::kWhile;
        RegionId cond = fn_.NewRegion(b.region());
        RegionId saved = b.region();
        b.set_region(cond);
        ValueId more = b.Bin(BinaryOpKind::kLt, b.Load(counter), trips);
        Op yield;
        yield.code = OpCode::kYield;
        yield.operands = {more};
        b.EmitVoid(std::move(yield));
        b.set_region(saved);
        RegionId body = ReverseNested(op.regions[1], b);
        b.set_region(body);
        b.Store(counter, b.Add(b.Load(counter), b.Const(1)));
        b.set_region(saved);
        loop.regions = {cond, body};
        b.EmitVoid(std::move(loop));
        return;
      }
      case OpCode::kUnary:
      case OpCode::kBinary:
      case OpCode::kBuiltin:
      case OpCode::kIndex:
      case OpCode::kTensorLit:
        // Nothing added to the result's adjoint (its uses come later and were reversed
        // already): it is zero, and reversing the op would only spread a scalar 0 through
        // operations that need its tensor shape (transpose, matmul, indexing).
        if (op.result != kNone && !value_adjoint_.contains(op.result)) return;
        if (op.result != kNone && Active(op.result) && PropagatesActivity(op)) {
          ReverseArithmetic(op, ReadAndClear(b, op.result), b);
        } else if (op.result != kNone && Active(op.result)) {
          ReadAndClear(b, op.result);
        }
        return;
      case OpCode::kConst:
      case OpCode::kStringConst:
      case OpCode::kShortCircuit:
      case OpCode::kCall:
      case OpCode::kYield:
      case OpCode::kReturn:
      case OpCode::kOptimize:
      case OpCode::kResetOptimizer:
      case OpCode::kSaveCsv:
      case OpCode::kSaveSafetensors:
      case OpCode::kTapePush:
      case OpCode::kTapePop:
      case OpCode::kSumToShape:
      case OpCode::kIndexAdjoint:
      case OpCode::kZerosLike:
      case OpCode::kReallocLike:
      case OpCode::kUnreduce:
        return;  // Constants, strings, control that cannot carry gradients, I/O.
    }
  }

  // `g`, the adjoint of `like`, with like's shape. An adjoint starts as the scalar 0 and stays
  // so when its uses sat in a branch not taken or nothing used the value; operations that
  // need the tensor's shape (transpose, matmul, indexing, axis reductions) get zeros of that
  // shape instead.
  ValueId Shaped(Builder& b, ValueId g, ValueId like) {
    return b.Emit(OpCode::kReallocLike, {g, like});
  }

  // Loads adjoint(v) and resets it, so a value recomputed by a loop starts from zero in the
  // next reversed iteration.
  ValueId ReadAndClear(Builder& b, ValueId v) {
    SlotId slot = ValueAdjoint(v);
    ValueId g = b.Load(slot);
    b.Store(slot, b.Const(0));
    return g;
  }

  // Adjoints of arithmetic and differentiable builtins. `g` is the result's adjoint.
  void ReverseArithmetic(const Op& op, ValueId g, Builder& b) {
    auto x = [&](size_t i) { return op.operands[i]; };
    auto fx = [&](size_t i) { return Fwd(b, op.operands[i]); };
    auto y = [&]() { return Fwd(b, op.result); };
    switch (op.code) {
      case OpCode::kUnary:
        // neg and the f32 cast (straight-through); other unary ops do not propagate.
        Accumulate(b, x(0), static_cast<UnaryOpKind>(op.sub) == UnaryOpKind::kNeg ? b.Neg(g) : g,
                   false);
        return;
      case OpCode::kIndex:
        if (fn_.value_types[op.result].kind != graph::Type::kScalar) g = Shaped(b, g, y());
        Accumulate(b, x(0), b.Emit(OpCode::kIndexAdjoint, {g, fx(0), fx(1)}), false);
        return;
      case OpCode::kTensorLit: {
        // Element k of the literal receives g at its multi-index.
        const std::vector<int64_t>& shape = op.ints;
        g = Shaped(b, g, y());
        for (size_t k = 0; k < op.operands.size(); ++k) {
          if (!Active(x(k))) continue;
          ValueId element = g;
          int64_t rest = static_cast<int64_t>(k);
          std::vector<int64_t> index(shape.size());
          for (size_t d = shape.size(); d-- > 0;) {
            index[d] = rest % shape[d];
            rest /= shape[d];
          }
          for (int64_t i : index) element = b.Emit(OpCode::kIndex, {element, b.Const(i)});
          Accumulate(b, x(k), element, false);
        }
        return;
      }
      case OpCode::kBinary:
        ReverseBinary(static_cast<BinaryOpKind>(op.sub), op, g, b);
        return;
      case OpCode::kBuiltin:
        break;
        // Every op the registry (ops.def) marks not differentiable.
#define NOMA_OP(Id, name, ComputesValue, Differentiability) NOMA_AD_CASE_IF_##Differentiability(Id)
#define NOMA_AD_CASE_IF_Differentiable(Id)
#define NOMA_AD_CASE_IF_NotDifferentiable(Id) case OpCode::k##Id:
#include "noma/graph/ops.def"
#undef NOMA_AD_CASE_IF_Differentiable
#undef NOMA_AD_CASE_IF_NotDifferentiable
        return;
    }
    Builtin builtin = static_cast<Builtin>(op.sub);
    ValueId one = kNone;
    auto One = [&]() { return one == kNone ? (one = b.Const(1)) : one; };
    switch (builtin) {
      case Builtin::kPrint:
        Accumulate(b, x(0), g, false);
        return;
      case Builtin::kSigmoid:  // y (1 - y)
        Accumulate(b, x(0), b.Mul(g, b.Mul(y(), b.Sub(One(), y()))), false);
        return;
      case Builtin::kTanh:  // 1 - y^2
        Accumulate(b, x(0), b.Mul(g, b.Sub(One(), b.Mul(y(), y()))), false);
        return;
      case Builtin::kExp:
        Accumulate(b, x(0), b.Mul(g, y()), false);
        return;
      case Builtin::kLog:
        Accumulate(b, x(0), b.Div(g, fx(0)), false);
        return;
      case Builtin::kSqrt:  // 1 / (2 y)
        Accumulate(b, x(0), b.Div(g, b.Mul(b.Const(2), y())), false);
        return;
      case Builtin::kSin:
        Accumulate(b, x(0), b.Mul(g, b.Call(Builtin::kCos, {fx(0)})), false);
        return;
      case Builtin::kCos:
        Accumulate(b, x(0), b.Neg(b.Mul(g, b.Call(Builtin::kSin, {fx(0)}))), false);
        return;
      case Builtin::kTan:  // 1 + y^2
        Accumulate(b, x(0), b.Mul(g, b.Add(One(), b.Mul(y(), y()))), false);
        return;
      case Builtin::kAbs: {  // sign(x), with abs'(0) = 0
        ValueId zero = b.Const(0);
        ValueId sign =
            b.Sub(b.Bin(BinaryOpKind::kGt, fx(0), zero), b.Bin(BinaryOpKind::kLt, fx(0), zero));
        Accumulate(b, x(0), b.Mul(g, sign), false);
        return;
      }
      case Builtin::kSoftplus:  // sigmoid(x)
        Accumulate(b, x(0), b.Mul(g, b.Call(Builtin::kSigmoid, {fx(0)})), false);
        return;
      case Builtin::kLeakyRelu: {  // d/dx: 1 where x > 0, else a; d/da: x where x <= 0
        ValueId positive = b.Bin(BinaryOpKind::kGt, fx(0), b.Const(0));
        ValueId negative = b.Sub(One(), positive);
        if (Active(x(0))) {
          Accumulate(b, x(0), b.Mul(g, b.Add(positive, b.Mul(negative, fx(1)))), true);
        }
        if (Active(x(1))) Accumulate(b, x(1), b.Mul(g, b.Mul(negative, fx(0))), true);
        return;
      }
      case Builtin::kRelu:  // relu'(0) = 0
        Accumulate(b, x(0), b.Mul(g, b.Bin(BinaryOpKind::kGt, fx(0), b.Const(0))), false);
        return;
      case Builtin::kPow:
        ReverseBinary(BinaryOpKind::kPow, op, g, b);
        return;
      case Builtin::kMin:
      case Builtin::kMax: {
        // The forward picks b when (b < a) for min, (b > a) for max; else a (first on ties).
        BinaryOpKind pick_b = builtin == Builtin::kMin ? BinaryOpKind::kLt : BinaryOpKind::kGt;
        ValueId takes_b = b.Bin(pick_b, fx(1), fx(0));
        Accumulate(b, x(0), b.Mul(g, b.Sub(One(), takes_b)), true);
        Accumulate(b, x(1), b.Mul(g, takes_b), true);
        return;
      }
      case Builtin::kSum:
      case Builtin::kMean: {
        bool mean = builtin == Builtin::kMean;
        if (op.operands.size() == 2) {
          g = Shaped(b, g, y());
          Accumulate(b, x(0), b.Emit(OpCode::kUnreduce, {g, fx(0), fx(1)}, mean ? 1 : 0), false);
          return;
        }
        ValueId zeros = b.Emit(OpCode::kZerosLike, {fx(0)});
        ValueId spread = g;
        if (mean) {
          ValueId count = b.Call(Builtin::kSum, {b.Add(zeros, One())});
          spread = b.Div(g, count);
        }
        Accumulate(b, x(0), b.Add(zeros, spread), false);
        return;
      }
      case Builtin::kDot:
        Accumulate(b, x(0), b.Mul(g, fx(1)), false);
        Accumulate(b, x(1), b.Mul(g, fx(0)), false);
        return;
      case Builtin::kMatmul:  // dA = G B^T, dB = A^T G
        g = Shaped(b, g, y());
        if (Active(x(0))) {
          Accumulate(b, x(0), b.Call(Builtin::kMatmul, {g, b.Call(Builtin::kTranspose, {fx(1)})}),
                     false);
        }
        if (Active(x(1))) {
          Accumulate(b, x(1), b.Call(Builtin::kMatmul, {b.Call(Builtin::kTranspose, {fx(0)}), g}),
                     false);
        }
        return;
      case Builtin::kTranspose:
        Accumulate(b, x(0), b.Call(Builtin::kTranspose, {Shaped(b, g, y())}), false);
        return;
        // Every builtin the registry marks not differentiable (floor, ceil, shape, len, random,
        // seed): no gradient flows. A differentiable one without a case above is a compile
        // error (-Werror=switch).
#define NOMA_BUILTIN(Id, name, min_args, max_args, Differentiability) \
  NOMA_AD_CASE_IF_##Differentiability(Id)
#define NOMA_AD_CASE_IF_Differentiable(Id)
#define NOMA_AD_CASE_IF_NotDifferentiable(Id) case Builtin::k##Id:
#include "noma/graph/builtins.def"
#undef NOMA_AD_CASE_IF_Differentiable
#undef NOMA_AD_CASE_IF_NotDifferentiable
        return;
    }
  }

  void ReverseBinary(BinaryOpKind kind, const Op& op, ValueId g, Builder& b) {
    ValueId a = op.operands[0], c = op.operands[1];
    switch (kind) {
      case BinaryOpKind::kAdd:
        Accumulate(b, a, g, true);
        Accumulate(b, c, g, true);
        return;
      case BinaryOpKind::kSub:
        Accumulate(b, a, g, true);
        if (Active(c)) Accumulate(b, c, b.Neg(g), true);
        return;
      case BinaryOpKind::kMul:
        if (Active(a)) Accumulate(b, a, b.Mul(g, Fwd(b, c)), true);
        if (Active(c)) Accumulate(b, c, b.Mul(g, Fwd(b, a)), true);
        return;
      case BinaryOpKind::kDiv:  // d/da = 1/c, d/dc = -a/c^2
        if (Active(a)) Accumulate(b, a, b.Div(g, Fwd(b, c)), true);
        if (Active(c)) {
          ValueId fc = Fwd(b, c);
          Accumulate(b, c, b.Neg(b.Div(b.Mul(g, Fwd(b, a)), b.Mul(fc, fc))), true);
        }
        return;
      case BinaryOpKind::kMod: {  // fmod(a, c) = a - c * trunc(a / c)
        Accumulate(b, a, g, true);
        if (Active(c)) {
          ValueId quotient = b.Emit(OpCode::kUnary, {b.Div(Fwd(b, a), Fwd(b, c))},
                                    static_cast<uint8_t>(UnaryOpKind::kCastI64));
          Accumulate(b, c, b.Neg(b.Mul(g, quotient)), true);
        }
        return;
      }
      case BinaryOpKind::kPow: {  // d/da = c a^(c-1), d/dc = log(a) a^c
        if (Active(a)) {
          ValueId fa = Fwd(b, a), fc = Fwd(b, c);
          ValueId power = b.Bin(BinaryOpKind::kPow, fa, b.Sub(fc, b.Const(1)));
          Accumulate(b, a, b.Mul(g, b.Mul(fc, power)), true);
        }
        if (Active(c)) {
          ValueId log_a = b.Call(Builtin::kLog, {Fwd(b, a)});
          Accumulate(b, c, b.Mul(g, b.Mul(log_a, Fwd(b, op.result))), true);
        }
        return;
      }
      case BinaryOpKind::kEq:
      case BinaryOpKind::kNe:
      case BinaryOpKind::kLt:
      case BinaryOpKind::kGt:
      case BinaryOpKind::kLe:
      case BinaryOpKind::kGe:
      case BinaryOpKind::kAnd:
      case BinaryOpKind::kOr:
        return;  // Comparisons and logic have zero derivative.
    }
  }

  // ------------------------------------------------------------------ optimizer update

  // For every trained parameter p with gradient dp (mapped to p's current shape, which a
  // realloc inside the body may have changed):
  //   SGD:     p -= lr dp
  //   Adam:    t += 1; m = b1 m + (1-b1) dp; v = b2 v + (1-b2) dp^2;
  //            p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
  //   RMSprop: v = b2 v + (1-b2) dp^2; p -= lr dp / (sqrt(v) + eps)
  void EmitUpdate(Builder& b) {
    b.set_loc(optimize_.loc);
    auto hyper = [&](graph::OptimizeOperand k) { return optimize_.operands[k]; };
    ValueId kind = hyper(graph::kOptKind);
    RegionId top = b.region();
    for (SlotId p : trained_) {
      b.set_region(top);
      ValueId param = b.Load(p);
      ValueId grad = b.Emit(OpCode::kReallocLike, {b.Load(SlotAdjoint(p)), param});
      const StateSlots& state = state_.at(p);
      ValueId one = b.Const(1);
      ValueId lr = hyper(graph::kOptLearningRate);
      ValueId b2 = hyper(graph::kOptBeta2);
      ValueId eps = hyper(graph::kOptEpsilon);
      // v = b2 v + (1 - b2) g^2, shared by Adam and RMSprop; emitted in b's current region.
      auto second_moment = [&]() {
        ValueId v = b.Add(b.Mul(b2, b.Load(state.v)), b.Mul(b.Sub(one, b2), b.Mul(grad, grad)));
        b.Store(state.v, v);
        return v;
      };

      Op if_adam;
      if_adam.code = OpCode::kIf;
      if_adam.operands = {b.Bin(BinaryOpKind::kEq, kind, b.Const(graph::kOptimizerAdam))};
      RegionId adam = fn_.NewRegion(top);
      RegionId not_adam = fn_.NewRegion(top);
      if_adam.regions = {adam, not_adam};

      b.set_region(adam);
      {
        ValueId b1 = hyper(graph::kOptBeta1);
        ValueId t = b.Add(b.Load(state.t), one);
        b.Store(state.t, t);
        ValueId m = b.Add(b.Mul(b1, b.Load(state.m)), b.Mul(b.Sub(one, b1), grad));
        b.Store(state.m, m);
        ValueId v = second_moment();
        ValueId m_hat = b.Div(m, b.Sub(one, b.Bin(BinaryOpKind::kPow, b1, t)));
        ValueId v_hat = b.Div(v, b.Sub(one, b.Bin(BinaryOpKind::kPow, b2, t)));
        ValueId step = b.Div(b.Mul(lr, m_hat), b.Add(b.Call(Builtin::kSqrt, {v_hat}), eps));
        b.Store(p, b.Sub(param, step));
      }

      b.set_region(not_adam);
      Op if_rmsprop;
      if_rmsprop.code = OpCode::kIf;
      if_rmsprop.operands = {b.Bin(BinaryOpKind::kEq, kind, b.Const(graph::kOptimizerRmsprop))};
      RegionId rmsprop = fn_.NewRegion(not_adam);
      RegionId sgd = fn_.NewRegion(not_adam);
      if_rmsprop.regions = {rmsprop, sgd};
      b.set_region(rmsprop);
      {
        ValueId v = second_moment();
        ValueId step = b.Div(b.Mul(lr, grad), b.Add(b.Call(Builtin::kSqrt, {v}), eps));
        b.Store(p, b.Sub(param, step));
      }
      b.set_region(sgd);
      b.Store(p, b.Sub(param, b.Mul(lr, grad)));
      b.set_region(not_adam);
      b.EmitVoid(std::move(if_rmsprop));
      b.set_region(top);
      b.EmitVoid(std::move(if_adam));
    }
    b.set_region(top);
  }

  // ------------------------------------------------------------------ forward augmentation

 public:
  // Called before Run(): records what the reversal needs from the forward pass (values before
  // a realloc, loop trip counts) as new forward ops.
  void PrepareForward(const absl::flat_hash_set<SlotId>& active_slots) {
    std::vector<std::pair<OpId, RegionId>> ops;
    ForEachOp(fn_, forward_, [&](OpId id, RegionId r) { ops.push_back({id, r}); });
    for (auto [id, region] : ops) {
      const Op op = fn_.ops[id];
      if (op.code == OpCode::kRealloc && active_slots.contains(op.slot)) {
        Op load;
        load.code = OpCode::kLoad;
        load.loc = op.loc;
        load.slot = op.slot;
        load.result = fn_.NewValue(Type::Unknown());
        before_realloc_[id] = load.result;
        fn_.ops.push_back(std::move(load));
        InsertBefore(region, id, static_cast<OpId>(fn_.ops.size() - 1));
      } else if (op.code == OpCode::kWhile) {
        // counter = 0 before the loop; counter += 1 at the end of the body; trips = counter.
        SlotId counter = NewSlot("trip count");
        Builder b(fn_, op.regions[1], op.loc);
        b.Store(counter, b.Add(b.Load(counter), b.Const(1)));
        RegionId scratch = fn_.NewRegion(kNone);
        Builder before(fn_, scratch, op.loc);
        before.Store(counter, before.Const(0));
        for (OpId added : fn_.regions[scratch].ops) InsertBefore(region, id, added);
        fn_.regions[scratch].ops.clear();
        Builder after(fn_, scratch, op.loc);
        trip_count_[id] = after.Load(counter);
        for (OpId added : fn_.regions[scratch].ops) InsertAfter(region, id, added);
        fn_.regions[scratch].ops.clear();
      }
    }
    for (auto& [region, inserts] : pending_inserts_) Splice(region, inserts);
    pending_inserts_.clear();
  }

 private:
  struct Inserts {
    absl::flat_hash_map<OpId, std::vector<OpId>> before;
    absl::flat_hash_map<OpId, std::vector<OpId>> after;
  };

  void InsertBefore(RegionId region, OpId anchor, OpId op) {
    pending_inserts_[region].before[anchor].push_back(op);
  }
  void InsertAfter(RegionId region, OpId anchor, OpId op) {
    pending_inserts_[region].after[anchor].push_back(op);
  }

  void Splice(RegionId region, const Inserts& inserts) {
    std::vector<OpId> result;
    for (OpId id : fn_.regions[region].ops) {
      auto before = inserts.before.find(id);
      if (before != inserts.before.end()) {
        result.insert(result.end(), before->second.begin(), before->second.end());
      }
      result.push_back(id);
      auto after = inserts.after.find(id);
      if (after != inserts.after.end()) {
        result.insert(result.end(), after->second.begin(), after->second.end());
      }
    }
    fn_.regions[region].ops = std::move(result);
  }

  // Inserts the tape pushes requested while generating the backward code.
  void ApplyForwardInsertions() {
    std::vector<std::pair<OpId, RegionId>> ops;
    ForEachOp(fn_, forward_, [&](OpId id, RegionId r) { ops.push_back({id, r}); });
    for (auto [id, region] : ops) {
      auto it = push_after_.find(id);
      if (it == push_after_.end()) continue;
      for (ValueId v : it->second) {
        Op push;
        push.code = OpCode::kTapePush;
        push.loc = fn_.ops[id].loc;
        push.number = TapeFor(v);
        push.operands = {v};
        fn_.ops.push_back(std::move(push));
        InsertAfter(region, id, static_cast<OpId>(fn_.ops.size() - 1));
      }
    }
    for (auto& [region, inserts] : pending_inserts_) Splice(region, inserts);
    pending_inserts_.clear();
  }

  Function& fn_;
  RegionId forward_;
  const Op optimize_;  // A copy: fn_.ops grows while differentiating.
  const std::vector<SlotId>& trained_;
  std::map<SlotId, StateSlots>& state_;
  int* next_tape_;
  const absl::flat_hash_set<ValueId>* active_values_ = nullptr;
  const absl::flat_hash_set<SlotId>* active_slots_ = nullptr;
  absl::flat_hash_map<ValueId, RegionId> defining_region_;
  absl::flat_hash_map<ValueId, OpId> definer_;
  absl::flat_hash_map<ValueId, SlotId> value_adjoint_;
  // Value adjoints that received a contribution so far, and the region whose straight-line
  // code runs first in the backward pass (Accumulate).
  absl::flat_hash_set<SlotId> contributed_;
  RegionId straight_backward_ = kNone;
  absl::flat_hash_map<SlotId, SlotId> slot_adjoint_;
  std::vector<SlotId> adjoint_slots_;
  std::vector<Scope> scopes_;
  absl::flat_hash_map<ValueId, int> tape_of_;
  absl::flat_hash_map<OpId, std::vector<ValueId>> push_after_;
  absl::flat_hash_map<OpId, ValueId> before_realloc_;
  absl::flat_hash_map<OpId, ValueId> trip_count_;
  absl::flat_hash_map<RegionId, Inserts> pending_inserts_;
};

// Forward activity from `seeds` (slots) through D: which values and slots depend
// differentiably on them. Iterates to a fixed point because loops carry values around.
void ComputeActivity(const Function& fn, RegionId d, const std::vector<SlotId>& seeds,
                     absl::flat_hash_set<ValueId>* values, absl::flat_hash_set<SlotId>* slots) {
  slots->insert(seeds.begin(), seeds.end());
  bool changed = true;
  while (changed) {
    changed = false;
    ForEachOp(fn, d, [&](OpId id, RegionId) {
      const Op& op = fn.ops[id];
      bool active = false;
      if (op.code == OpCode::kLoad) {
        active = slots->contains(op.slot);
      } else if (PropagatesActivity(op)) {
        for (ValueId v : op.operands) active |= values->contains(v);
      } else if (op.code == OpCode::kStore && values->contains(op.operands[0])) {
        changed |= slots->insert(op.slot).second;
      }
      if (active && op.result != kNone) changed |= values->insert(op.result).second;
    });
  }
}

class FunctionDifferentiator {
 public:
  FunctionDifferentiator(graph::Module& module, Function& fn, syntax::DiagnosticEngine& diags)
      : module_(module), fn_(fn), diags_(diags) {}

  void Run() {
    std::vector<OpId> optimizes;
    ForEachOp(fn_, fn_.body, [&](OpId id, RegionId) {
      if (fn_.ops[id].code == OpCode::kOptimize) optimizes.push_back(id);
    });
    if (optimizes.empty()) return;
    CreateOptimizerState();
    for (OpId id : optimizes) {
      if (!DifferentiateOptimize(id)) return;
    }
  }

 private:
  // Optimizer state slots for every `learn` slot, zeroed at function entry, shaped like their
  // parameter whenever it is stored, resized with it, and zeroed again by reset_optimizer().
  void CreateOptimizerState() {
    size_t slot_count = fn_.slots.size();
    for (SlotId s = 0; s < slot_count; ++s) {
      if (!fn_.slots[s].learnable) continue;
      StateSlots state;
      for (auto [field, suffix] :
           {std::pair<SlotId*, const char*>{&state.m, "m"}, {&state.v, "v"}, {&state.t, "t"}}) {
        graph::Slot slot;
        slot.name = absl::StrCat(fn_.slots[s].name, ".", suffix);
        slot.synthetic = true;
        fn_.slots.push_back(std::move(slot));
        *field = static_cast<SlotId>(fn_.slots.size() - 1);
      }
      state_[s] = state;
    }
    // Zero at entry.
    RegionId scratch = fn_.NewRegion(kNone);
    Builder b(fn_, scratch, fn_.loc);
    ValueId zero = b.Const(0);
    for (const auto& [param, state] : state_) {
      for (SlotId slot : {state.m, state.v, state.t}) b.Store(slot, zero);
    }
    std::vector<OpId>& body = fn_.regions[fn_.body].ops;
    body.insert(body.begin(), fn_.regions[scratch].ops.begin(), fn_.regions[scratch].ops.end());
    fn_.regions[scratch].ops.clear();
    // realloc and reset_optimizer.
    std::vector<std::pair<OpId, RegionId>> ops;
    ForEachOp(fn_, fn_.body, [&](OpId id, RegionId r) { ops.push_back({id, r}); });
    for (auto [id, region] : ops) {
      const Op op = fn_.ops[id];
      std::vector<OpId> extra;
      Builder e(fn_, scratch, op.loc);
      bool before = false;  // Insert before the op (else after it).
      if (op.code == OpCode::kRealloc && state_.count(op.slot) > 0) {
        const StateSlots& state = state_[op.slot];
        for (SlotId slot : {state.m, state.v}) {
          Op resize = op;
          resize.slot = slot;
          e.EmitVoid(std::move(resize));
        }
      } else if (op.code == OpCode::kStore && state_.count(op.slot) > 0) {
        // The moments take the parameter's shape as soon as it has a value (zeros at first;
        // kept elements if a new value has another shape), so they are tensors exactly when
        // the parameter is.
        const StateSlots& state = state_[op.slot];
        for (SlotId slot : {state.m, state.v}) {
          e.Store(slot, e.Emit(OpCode::kReallocLike, {e.Load(slot), e.Load(op.slot)}));
        }
      } else if (op.code == OpCode::kOptimize) {
        // Entering a loop, the moments of the parameters it names take their shape (after a
        // reset_optimizer they are the scalar 0), so the loop's state is typed like them.
        for (int64_t named : op.ints) {
          auto it = state_.find(static_cast<SlotId>(named));
          if (it == state_.end()) continue;
          for (SlotId slot : {it->second.m, it->second.v}) {
            e.Store(slot, e.Emit(OpCode::kReallocLike, {e.Load(slot), e.Load(it->first)}));
          }
        }
        before = true;
      } else if (op.code == OpCode::kResetOptimizer) {
        ValueId z = e.Const(0);
        for (const auto& [param, state] : state_) {
          for (SlotId slot : {state.m, state.v, state.t}) e.Store(slot, z);
        }
      } else {
        continue;
      }
      std::vector<OpId>& list = fn_.regions[region].ops;
      auto at = std::find(list.begin(), list.end(), id);
      list.insert(before ? at : at + 1, fn_.regions[scratch].ops.begin(),
                  fn_.regions[scratch].ops.end());
      fn_.regions[scratch].ops.clear();
    }
  }

  bool Error(SourceRange loc, std::string message, std::string hint = "") {
    diags_.Error(loc, std::move(message), std::move(hint));
    return false;
  }

  bool DifferentiateOptimize(OpId optimize_id) {
    RegionId body = fn_.ops[optimize_id].regions[0];
    SourceRange loc = fn_.ops[optimize_id].loc;
    if (!internal::InlineCalls(module_, fn_, body, diags_)) return false;

    // Where are the minimizes? Directly in the body, or inside batches.
    std::vector<OpId> batches_with_minimize;
    bool direct_minimize = false;
    bool nested_optimize = false;
    absl::flat_hash_map<RegionId, OpId> batch_of_region;
    ForEachOp(fn_, body, [&](OpId id, RegionId) {
      const Op& op = fn_.ops[id];
      if (op.code == OpCode::kOptimize) nested_optimize = true;
      if (op.code == OpCode::kBatch) {
        ForEachOp(fn_, op.regions[0], [&](OpId inner, RegionId) {
          if (fn_.ops[inner].code == OpCode::kMinimize) batch_of_region[op.regions[0]] = id;
        });
      }
    });
    if (nested_optimize) {
      return Error(loc, "an optimize loop cannot contain another optimize loop");
    }
    for (const auto& [region, batch] : batch_of_region) batches_with_minimize.push_back(batch);
    std::sort(batches_with_minimize.begin(), batches_with_minimize.end());
    // A minimize outside every minimize-holding batch is a direct one.
    {
      absl::flat_hash_set<OpId> in_batches;
      for (OpId batch : batches_with_minimize) {
        ForEachOp(fn_, fn_.ops[batch].regions[0],
                  [&](OpId inner, RegionId) { in_batches.insert(inner); });
      }
      ForEachOp(fn_, body, [&](OpId id, RegionId) {
        if (fn_.ops[id].code == OpCode::kMinimize && !in_batches.contains(id)) {
          direct_minimize = true;
        }
      });
    }
    if (!direct_minimize && batches_with_minimize.empty()) {
      return Error(loc, "this optimize loop never calls `minimize`",
                   "add `minimize loss;` to its body");
    }
    if (direct_minimize && !batches_with_minimize.empty()) {
      return Error(loc,
                   "`minimize` appears both inside and outside a batch loop of this "
                   "optimize body");
    }
    if (direct_minimize) {
      // A batch loop without a `minimize` is an ordinary loop of the body (§6.3).
      std::optional<RegionId> step = DifferentiateRegion(optimize_id, body);
      if (!step) return false;
      fn_.ops[optimize_id].regions.push_back(*step);
      return true;
    }
    for (OpId batch : batches_with_minimize) {
      std::optional<RegionId> step = DifferentiateRegion(optimize_id, fn_.ops[batch].regions[0]);
      if (!step) return false;
      fn_.ops[batch].regions.push_back(*step);
    }
    return true;
  }

  std::optional<RegionId> DifferentiateRegion(OpId optimize_id, RegionId d) {
    const Op& optimize = fn_.ops[optimize_id];
    // Which learn parameters does the loss depend on? (docs/language.md §6.1 rule 2)
    std::vector<ValueId> losses;
    ForEachOp(fn_, d, [&](OpId id, RegionId) {
      if (fn_.ops[id].code == OpCode::kMinimize) losses.push_back(fn_.ops[id].operands[0]);
    });
    std::vector<SlotId> trained;
    for (const auto& [slot, state] : state_) {
      absl::flat_hash_set<ValueId> values;
      absl::flat_hash_set<SlotId> slots;
      ComputeActivity(fn_, d, {slot}, &values, &slots);
      for (ValueId loss : losses) {
        if (values.contains(loss)) {
          trained.push_back(slot);
          break;
        }
      }
    }
    std::sort(trained.begin(), trained.end());
    for (size_t i = 0; i < optimize.ints.size(); ++i) {
      int64_t named = optimize.ints[i];
      if (!std::binary_search(trained.begin(), trained.end(), static_cast<SlotId>(named))) {
        // Point at the name in `optimize(...)` (the op's own location as a fallback).
        Error(i < optimize.int_locs.size() ? optimize.int_locs[i] : optimize.loc,
              absl::StrCat("the minimized loss does not depend on '",
                           fn_.slots[static_cast<SlotId>(named)].name, "'"),
              "only parameters the loss depends on can be trained");
        return std::nullopt;
      }
    }
    if (trained.empty()) {
      Error(optimize.loc, "the minimized loss does not depend on any `learn` parameter");
      return std::nullopt;
    }
    absl::flat_hash_set<ValueId> active_values;
    absl::flat_hash_set<SlotId> active_slots;
    ComputeActivity(fn_, d, trained, &active_values, &active_slots);
    RegionDifferentiator differentiator(fn_, d, optimize, trained, state_, &next_tape_);
    differentiator.PrepareForward(active_slots);
    // PrepareForward adds loads; they inherit activity from their slots.
    active_values.clear();
    active_slots.clear();
    ComputeActivity(fn_, d, trained, &active_values, &active_slots);
    return differentiator.Run(active_values, active_slots);
  }

  graph::Module& module_;
  Function& fn_;
  syntax::DiagnosticEngine& diags_;
  std::map<SlotId, StateSlots> state_;
  int next_tape_ = 0;
};

}  // namespace

void Differentiate(graph::Module& module, syntax::DiagnosticEngine& diagnostics) {
  for (Function& fn : module.functions) {
    FunctionDifferentiator(module, fn, diagnostics).Run();
    if (diagnostics.has_errors()) return;
  }
}

}  // namespace noma::autodiff
