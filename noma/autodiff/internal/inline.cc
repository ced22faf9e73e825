#include "noma/autodiff/internal/inline.h"

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace noma::autodiff::internal {
namespace {

using graph::Function;
using graph::kNone;
using graph::Op;
using graph::OpCode;
using graph::OpId;
using graph::RegionId;
using graph::SlotId;
using graph::Type;
using graph::ValueId;

// Copies one callee body into the caller, eliminating returns.
class Inliner {
 public:
  Inliner(const Function& callee, Function& caller, const Op& call)
      : callee_(callee), caller_(caller), call_(call) {}

  // Returns the ops that replace the call (already appended to caller ops, in no region).
  std::vector<OpId> Run() {
    for (size_t s = 0; s < callee_.slots.size(); ++s) {
      graph::Slot slot = callee_.slots[s];
      slot.name = absl::StrCat(callee_.name, ".", slot.name);
      slot.learnable = false;  // Re-initialised at every call: nothing to train across steps.
      slot.synthetic = true;
      caller_.slots.push_back(std::move(slot));
      slot_map_.push_back(static_cast<SlotId>(caller_.slots.size() - 1));
    }
    result_slot_ = NewSlot(absl::StrCat("result of ", callee_.name));
    returned_slot_ = NewSlot(absl::StrCat(callee_.name, ".returned"));

    RegionId scratch = caller_.NewRegion(kNone);
    for (size_t i = 0; i < call_.operands.size(); ++i) {
      Store(scratch, slot_map_[callee_.params[i]], call_.operands[i]);
    }
    Store(scratch, returned_slot_, Const(scratch, 0));
    CopyRegion(callee_.body, scratch);
    Op load = MakeOp(OpCode::kLoad);
    load.slot = result_slot_;
    load.result = call_.result;  // Later uses of the call's value now see the loaded result.
    caller_.Append(scratch, std::move(load));
    return caller_.regions[scratch].ops;
  }

 private:
  SlotId NewSlot(std::string name) {
    graph::Slot slot;
    slot.name = std::move(name);
    slot.synthetic = true;
    slot.decl = call_.loc;
    caller_.slots.push_back(std::move(slot));
    return static_cast<SlotId>(caller_.slots.size() - 1);
  }

  Op MakeOp(OpCode code) const {
    Op op;
    op.code = code;
    op.loc = call_.loc;
    return op;
  }

  void Store(RegionId region, SlotId slot, ValueId value) {
    Op op = MakeOp(OpCode::kStore);
    op.slot = slot;
    op.operands = {value};
    caller_.Append(region, std::move(op));
  }

  ValueId Const(RegionId region, double value) {
    Op op = MakeOp(OpCode::kConst);
    op.number = value;
    op.result = caller_.NewValue(Type::Scalar());
    ValueId result = op.result;
    caller_.Append(region, std::move(op));
    return result;
  }

  // %ok = (returned == 0)
  ValueId NotReturned(RegionId region) {
    Op load = MakeOp(OpCode::kLoad);
    load.slot = returned_slot_;
    load.result = caller_.NewValue(Type::Scalar());
    ValueId flag = load.result;
    caller_.Append(region, std::move(load));
    Op eq = MakeOp(OpCode::kBinary);
    eq.sub = static_cast<uint8_t>(graph::BinaryOpKind::kEq);
    eq.operands = {flag, Const(region, 0)};
    eq.result = caller_.NewValue(Type::Scalar());
    ValueId result = eq.result;
    caller_.Append(region, std::move(eq));
    return result;
  }

  ValueId MapValue(ValueId v) const { return value_map_.at(v); }

  bool CopyRegion(RegionId src, RegionId dst) { return CopyOps(callee_.regions[src].ops, 0, dst); }

  // Copies callee ops [first, end) into caller region `dst`. Returns true if the copied code
  // may execute a return, in which case everything after that point is guarded.
  bool CopyOps(const std::vector<OpId>& ops, size_t first, RegionId dst) {
    for (size_t k = first; k < ops.size(); ++k) {
      const Op& op = callee_.ops[ops[k]];
      if (op.code == OpCode::kReturn) {
        if (!op.operands.empty()) Store(dst, result_slot_, MapValue(op.operands[0]));
        Store(dst, returned_slot_, Const(dst, 1));
        return true;  // The rest of this region is unreachable.
      }
      Op copy = op;
      for (ValueId& v : copy.operands) v = MapValue(v);
      if (op.slot != kNone) copy.slot = slot_map_[op.slot];
      if (op.code == OpCode::kBatch || op.code == OpCode::kLoadSafetensors ||
          op.code == OpCode::kOptimize) {
        for (int64_t& s : copy.ints) {
          if (s != static_cast<int64_t>(kNone)) s = slot_map_[static_cast<size_t>(s)];
        }
      }
      bool may_return = false;
      copy.regions.clear();
      for (size_t r = 0; r < op.regions.size(); ++r) {
        RegionId nested = caller_.NewRegion(dst);
        may_return |= CopyRegion(op.regions[r], nested);
        copy.regions.push_back(nested);
      }
      if (op.result != kNone) {
        copy.result = caller_.NewValue(callee_.value_types[op.result]);
        value_map_[op.result] = copy.result;
      }
      if (op.code == OpCode::kWhile && may_return) {
        // Stop looping once the body returned: cond' = (returned == 0) && cond.
        RegionId cond = copy.regions[0];
        OpId yield = caller_.regions[cond].ops.back();
        caller_.regions[cond].ops.pop_back();
        ValueId go = NotReturned(cond);
        Op both = MakeOp(OpCode::kBinary);
        both.sub = static_cast<uint8_t>(graph::BinaryOpKind::kAnd);
        both.operands = {go, caller_.ops[yield].operands[0]};
        both.result = caller_.NewValue(Type::Scalar());
        caller_.ops[yield].operands[0] = both.result;
        caller_.Append(cond, std::move(both));
        caller_.regions[cond].ops.push_back(yield);
      }
      caller_.Append(dst, std::move(copy));
      if (may_return && k + 1 < ops.size()) {
        // Guard the rest of the region: if (returned == 0) { rest }.
        Op guard = MakeOp(OpCode::kIf);
        guard.operands = {NotReturned(dst)};
        RegionId rest = caller_.NewRegion(dst);
        guard.regions = {rest, caller_.NewRegion(dst)};
        CopyOps(ops, k + 1, rest);
        caller_.Append(dst, std::move(guard));
        return true;
      }
      if (may_return) return true;
    }
    return false;
  }

  const Function& callee_;
  Function& caller_;
  const Op& call_;
  std::vector<SlotId> slot_map_;
  absl::flat_hash_map<ValueId, ValueId> value_map_;
  SlotId result_slot_ = kNone;
  SlotId returned_slot_ = kNone;
};

// Finds a call inside `root`; returns false if there is none.
bool FindCall(const Function& fn, RegionId root, RegionId* region, size_t* position) {
  std::vector<RegionId> pending = {root};
  while (!pending.empty()) {
    RegionId r = pending.back();
    pending.pop_back();
    const std::vector<OpId>& ops = fn.regions[r].ops;
    for (size_t k = 0; k < ops.size(); ++k) {
      const Op& op = fn.ops[ops[k]];
      if (op.code == OpCode::kCall) {
        *region = r;
        *position = k;
        return true;
      }
      for (RegionId nested : op.regions) pending.push_back(nested);
    }
  }
  return false;
}

}  // namespace

bool InlineCalls(const graph::Module& module, Function& fn, RegionId root,
                 syntax::DiagnosticEngine& diagnostics) {
  constexpr int kMaxInlinedCalls = 100000;  // Bounds code growth from call trees.
  RegionId region;
  size_t position;
  for (int count = 0; FindCall(fn, root, &region, &position); ++count) {
    OpId call_id = fn.regions[region].ops[position];
    if (count == kMaxInlinedCalls) {
      diagnostics.Error(fn.ops[call_id].loc, "too many calls to inline in differentiated code");
      return false;
    }
    Op call = fn.ops[call_id];  // Copy: fn.ops grows while inlining.
    std::vector<OpId> body = Inliner(module.functions[call.callee], fn, call).Run();
    std::vector<OpId>& ops = fn.regions[region].ops;
    ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(position));
    ops.insert(ops.begin() + static_cast<std::ptrdiff_t>(position), body.begin(), body.end());
  }
  return true;
}

}  // namespace noma::autodiff::internal
