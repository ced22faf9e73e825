#include "noma/graph/printer.h"

#include <cstdio>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace noma::graph {
namespace {

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

std::string ValueName(ValueId v) { return absl::StrCat("%", v); }

class Printer {
 public:
  Printer(const Module& module, const Function& fn) : module_(module), fn_(fn) {}

  std::string Print() {
    std::vector<std::string> params;
    for (SlotId slot : fn_.params) params.push_back(SlotName(slot));
    absl::StrAppend(&out_, "func ", fn_.name, "(", absl::StrJoin(params, ", "), ")",
                    fn_.specialization_of == kNone ? "" : " specialized", " {\n");
    PrintRegion(fn_.body, 1);
    out_ += "}\n";
    return std::move(out_);
  }

 private:
  std::string SlotName(SlotId slot) const {
    if (slot == kNone) return "_";
    return absl::StrCat("@", fn_.slots[slot].name, ".", slot);
  }

  void PrintRegion(RegionId region, int depth) {
    for (OpId id : fn_.regions[region].ops) PrintOp(fn_.ops[id], depth);
  }

  void PrintOp(const Op& op, int depth) {
    std::string indent(depth * 2, ' ');
    out_ += indent;
    if (op.result != kNone) {
      absl::StrAppend(&out_, ValueName(op.result), ": ", TypeToString(fn_.value_types[op.result]),
                      " = ");
    }
    out_ += OpCodeName(op.code);
    switch (op.code) {
      case OpCode::kConst:
        absl::StrAppend(&out_, " ", Number(op.number));
        break;
      case OpCode::kStringConst:
        absl::StrAppend(&out_, " \"", absl::CEscape(op.keys[0]), "\"");
        break;
      case OpCode::kUnary:
        absl::StrAppend(&out_, ".", UnaryOpName(static_cast<UnaryOpKind>(op.sub)));
        break;
      case OpCode::kBinary:
      case OpCode::kShortCircuit:
        absl::StrAppend(&out_, ".", BinaryOpName(static_cast<BinaryOpKind>(op.sub)));
        break;
      case OpCode::kBuiltin:
        absl::StrAppend(&out_, ".", GetBuiltinInfo(static_cast<Builtin>(op.sub)).name);
        break;
      case OpCode::kCall:
        absl::StrAppend(&out_, " ", module_.functions[op.callee].name);
        break;
      case OpCode::kTapePush:
      case OpCode::kTapePop:
        absl::StrAppend(&out_, " #", static_cast<int64_t>(op.number));
        break;
      case OpCode::kTensorLit:
      case OpCode::kLoad:
      case OpCode::kStore:
      case OpCode::kIndex:
      case OpCode::kYield:
      case OpCode::kIf:
      case OpCode::kWhile:
      case OpCode::kReturn:
      case OpCode::kOptimize:
      case OpCode::kMinimize:
      case OpCode::kAlloc:
      case OpCode::kRealloc:
      case OpCode::kFree:
      case OpCode::kResetOptimizer:
      case OpCode::kLoadCsv:
      case OpCode::kSaveCsv:
      case OpCode::kLoadSafetensors:
      case OpCode::kSaveSafetensors:
      case OpCode::kBatch:
      case OpCode::kSumToShape:
      case OpCode::kIndexAdjoint:
      case OpCode::kZerosLike:
      case OpCode::kReallocLike:
      case OpCode::kUnreduce:
        break;
    }
    if (op.slot != kNone) absl::StrAppend(&out_, " ", SlotName(op.slot));
    std::vector<std::string> operands;
    for (ValueId v : op.operands) operands.push_back(ValueName(v));
    if (!operands.empty()) absl::StrAppend(&out_, " ", absl::StrJoin(operands, ", "));
    if (op.code == OpCode::kTensorLit) {
      absl::StrAppend(&out_, " shape [", absl::StrJoin(op.ints, ", "), "]");
    } else if (!op.ints.empty()) {
      std::vector<std::string> slots;
      for (int64_t s : op.ints) slots.push_back(SlotName(static_cast<SlotId>(s)));
      absl::StrAppend(&out_, " slots [", absl::StrJoin(slots, ", "), "]");
    }
    if (!op.keys.empty() && op.code != OpCode::kStringConst) {
      absl::StrAppend(&out_, " keys [", absl::StrJoin(op.keys, ", "), "]");
    }
    if (op.regions.empty()) {
      out_ += "\n";
      return;
    }
    out_ += " {\n";
    for (size_t i = 0; i < op.regions.size(); ++i) {
      if (i > 0) absl::StrAppend(&out_, indent, "} {\n");
      PrintRegion(op.regions[i], depth + 1);
    }
    absl::StrAppend(&out_, indent, "}\n");
  }

  const Module& module_;
  const Function& fn_;
  std::string out_;
};

}  // namespace

std::string PrintFunction(const Module& module, const Function& function) {
  return Printer(module, function).Print();
}

std::string PrintModule(const Module& module) {
  std::string out;
  for (size_t i = 0; i < module.functions.size(); ++i) {
    if (i > 0) out += "\n";
    out += PrintFunction(module, module.functions[i]);
  }
  return out;
}

std::string PrintDot(const Module& module) {
  std::string out = "digraph noma {\n  node [shape=box, fontname=\"monospace\"];\n";
  for (size_t f = 0; f < module.functions.size(); ++f) {
    const Function& fn = module.functions[f];
    absl::StrAppend(&out, "  subgraph cluster_f", f, " {\n    label=\"", fn.name, "\";\n");
    std::vector<OpId> defining(fn.value_types.size(), kNone);
    for (OpId id = 0; id < fn.ops.size(); ++id) {
      const Op& op = fn.ops[id];
      if (op.result != kNone) defining[op.result] = id;
      std::string label = OpCodeName(op.code);
      if (op.code == OpCode::kConst) absl::StrAppend(&label, " ", Number(op.number));
      if (op.code == OpCode::kBinary || op.code == OpCode::kShortCircuit) {
        absl::StrAppend(&label, ".", BinaryOpName(static_cast<BinaryOpKind>(op.sub)));
      }
      if (op.code == OpCode::kBuiltin) {
        absl::StrAppend(&label, ".", GetBuiltinInfo(static_cast<Builtin>(op.sub)).name);
      }
      if (op.slot != kNone) absl::StrAppend(&label, " @", fn.slots[op.slot].name);
      absl::StrAppend(&out, "    f", f, "_op", id, " [label=\"", absl::CEscape(label), "\"];\n");
    }
    for (OpId id = 0; id < fn.ops.size(); ++id) {
      for (ValueId v : fn.ops[id].operands) {
        if (v < defining.size() && defining[v] != kNone) {
          absl::StrAppend(&out, "    f", f, "_op", defining[v], " -> f", f, "_op", id, ";\n");
        }
      }
      for (RegionId r : fn.ops[id].regions) {
        for (OpId child : fn.regions[r].ops) {
          absl::StrAppend(&out, "    f", f, "_op", id, " -> f", f, "_op", child,
                          " [style=dotted];\n");
        }
      }
    }
    out += "  }\n";
  }
  out += "}\n";
  return out;
}

}  // namespace noma::graph
