#include "noma/graph/verifier.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace noma::graph {
namespace {

class FunctionVerifier {
 public:
  FunctionVerifier(const Module& module, const Function& fn)
      : module_(module),
        fn_(fn),
        defined_(fn.value_types.size(), false),
        region_owned_(fn.regions.size(), false) {}

  absl::Status Run() {
    if (fn_.body >= fn_.regions.size()) return Fail("body region out of range");
    region_owned_[fn_.body] = true;
    for (SlotId slot : fn_.params) {
      if (slot >= fn_.slots.size()) return Fail("parameter slot out of range");
    }
    return VerifyRegion(fn_.body);
  }

 private:
  absl::Status Fail(const std::string& message) const {
    return absl::InternalError(absl::StrCat("IR verifier: function '", fn_.name, "': ", message));
  }

  // `kept` receives the region's own values instead of them silently going out of scope.
  absl::Status VerifyRegion(RegionId region, std::vector<ValueId>* kept = nullptr) {
    // Values defined in this region go out of scope when it ends.
    std::vector<ValueId> local;
    const std::vector<OpId>& ops = fn_.regions[region].ops;
    for (size_t i = 0; i < ops.size(); ++i) {
      OpId id = ops[i];
      if (id >= fn_.ops.size()) return Fail(absl::StrCat("op id ", id, " out of range"));
      const Op& op = fn_.ops[id];
      for (ValueId v : op.operands) {
        if (v >= defined_.size() || !defined_[v]) {
          return Fail(absl::StrCat(OpCodeName(op.code), " uses %", v,
                                   " which is not defined before it in scope"));
        }
      }
      if (op.code == OpCode::kYield && i + 1 != ops.size()) {
        return Fail("yield is not the last op of its region");
      }
      if (auto status = VerifyOp(op); !status.ok()) return status;
      // The step region of optimize/batch continues region 0: its values stay in scope.
      size_t continued = op.code == OpCode::kOptimize && op.regions.size() > 2 ? 2
                         : op.code == OpCode::kBatch && op.regions.size() > 1  ? 1
                                                                               : 0;
      std::vector<ValueId> body_values;
      for (size_t k = 0; k < op.regions.size(); ++k) {
        RegionId r = op.regions[k];
        if (r >= fn_.regions.size()) return Fail("region id out of range");
        if (region_owned_[r]) return Fail(absl::StrCat("region ", r, " has two parents"));
        region_owned_[r] = true;
        if (k == continued && continued != 0) {
          for (ValueId v : body_values) defined_[v] = true;
        }
        if (auto status = VerifyRegion(r, k == 0 && continued != 0 ? &body_values : nullptr);
            !status.ok()) {
          return status;
        }
        if (k == continued && continued != 0) {
          for (ValueId v : body_values) defined_[v] = false;
        }
      }
      if (op.result != kNone) {
        if (op.result >= defined_.size()) return Fail("result id out of range");
        if (defined_[op.result]) return Fail(absl::StrCat("%", op.result, " defined twice"));
        defined_[op.result] = true;
        local.push_back(op.result);
      }
    }
    for (ValueId v : local) defined_[v] = false;
    if (kept != nullptr) *kept = std::move(local);
    return absl::OkStatus();
  }

  bool EndsInYield(RegionId r) const {
    const auto& ops = fn_.regions[r].ops;
    return !ops.empty() && fn_.ops[ops.back()].code == OpCode::kYield;
  }

  absl::Status VerifyOp(const Op& op) {
    auto need = [&](bool ok, const char* what) {
      return ok ? absl::OkStatus() : Fail(absl::StrCat(OpCodeName(op.code), ": ", what));
    };
    bool slot_ok = op.slot == kNone || op.slot < fn_.slots.size();
    if (!slot_ok) return Fail(absl::StrCat(OpCodeName(op.code), ": slot out of range"));
    switch (op.code) {
      case OpCode::kLoad:
      case OpCode::kFree:
        return need(op.slot != kNone && op.operands.empty(), "needs a slot and no operands");
      case OpCode::kStore:
        return need(op.slot != kNone && op.operands.size() == 1, "needs a slot and one operand");
      case OpCode::kUnary:
      case OpCode::kYield:
      case OpCode::kMinimize:
      case OpCode::kZerosLike:
      case OpCode::kTapePush:
        return need(op.operands.size() == 1, "needs one operand");
      case OpCode::kBinary:
      case OpCode::kIndex:
      case OpCode::kSaveCsv:
      case OpCode::kSumToShape:
      case OpCode::kReallocLike:
        return need(op.operands.size() == 2, "needs two operands");
      case OpCode::kIndexAdjoint:
      case OpCode::kUnreduce:
        return need(op.operands.size() == 3, "needs three operands");
      case OpCode::kShortCircuit:
        return need(op.operands.size() == 1 && op.regions.size() == 1 && EndsInYield(op.regions[0]),
                    "needs one operand and a yielding region");
      case OpCode::kIf:
        return need(op.operands.size() == 1 && op.regions.size() == 2,
                    "needs a condition and two regions");
      case OpCode::kWhile:
        return need(op.regions.size() == 2 && EndsInYield(op.regions[0]),
                    "needs a yielding condition region and a body");
      case OpCode::kOptimize: {
        if (op.operands.size() != kOptOperandCount || op.regions.size() < 2 ||
            !EndsInYield(op.regions[1])) {
          return Fail("optimize: needs hyperparameters, a body and a yielding until region");
        }
        for (int64_t s : op.ints) {
          if (s < 0 || static_cast<size_t>(s) >= fn_.slots.size()) {
            return Fail("optimize: parameter slot out of range");
          }
        }
        return absl::OkStatus();
      }
      case OpCode::kCall:
        return need(op.callee < module_.functions.size() &&
                        module_.functions[op.callee].params.size() == op.operands.size(),
                    "callee out of range or arity mismatch");
      case OpCode::kTensorLit: {
        int64_t count = 1;
        for (int64_t d : op.ints) count *= d;
        return need(!op.ints.empty() && count == static_cast<int64_t>(op.operands.size()),
                    "element count does not match shape");
      }
      case OpCode::kAlloc:
      case OpCode::kRealloc:
        return need(op.slot != kNone && !op.operands.empty(), "needs a slot and dims");
      case OpCode::kLoadCsv:
        return need(op.slot != kNone && op.operands.size() == 1, "needs a slot and a path");
      case OpCode::kLoadSafetensors:
        return need(op.operands.size() == 1 && op.keys.size() == op.ints.size() && !op.keys.empty(),
                    "needs a path and matching keys and slots");
      case OpCode::kSaveSafetensors:
        return need(op.operands.size() == op.keys.size() + 1, "needs values, keys and a path");
      case OpCode::kBatch:
        return need(op.regions.size() >= 1 && op.operands.size() >= 2 &&
                        op.ints.size() == op.operands.size(),
                    "needs data, a chunk size, chunk slots and a body");
      case OpCode::kConst:
      case OpCode::kStringConst:
      case OpCode::kBuiltin:
      case OpCode::kReturn:
      case OpCode::kResetOptimizer:
      case OpCode::kTapePop:
        return absl::OkStatus();
    }
    return absl::OkStatus();  // Not reached: the switch covers every op.
  }

  const Module& module_;
  const Function& fn_;
  std::vector<bool> defined_;
  std::vector<bool> region_owned_;
};

}  // namespace

absl::Status Verify(const Module& module) {
  if (module.main != kNone && module.main >= module.functions.size()) {
    return absl::InternalError("IR verifier: main index out of range");
  }
  for (const Function& fn : module.functions) {
    if (auto status = FunctionVerifier(module, fn).Run(); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace noma::graph
