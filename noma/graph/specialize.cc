#include "noma/graph/specialize.h"

#include <map>
#include <utility>
#include <vector>

#include "noma/graph/infer.h"

namespace noma::graph {
namespace {

constexpr int kMaxCopiesPerFunction = 8;
constexpr int kMaxRounds = 8;  // Copies can expose new signatures in their own calls.

// What specialization distinguishes about an argument: its kind and, for tensors, its rank.
using ArgumentKind = std::pair<int, int>;
using Signature = std::vector<ArgumentKind>;

Signature SignatureOf(const Function& fn, const Op& call) {
  Signature signature;
  for (ValueId v : call.operands) {
    const Type& t = fn.value_types[v];
    signature.push_back({static_cast<int>(t.kind), t.kind == Type::kTensor ? t.rank : 0});
  }
  return signature;
}

bool Precise(const Signature& signature) {
  for (const ArgumentKind& argument : signature) {
    if (argument.first == Type::kUnknown) return false;
    if (argument.first == Type::kTensor && argument.second < 0) return false;
  }
  return true;
}

}  // namespace

void SpecializeFunctions(Module& module) {
  std::vector<int> copies(module.functions.size(), 0);
  for (int round = 0; round < kMaxRounds; ++round) {
    // callee -> signature -> its call sites (function, op).
    std::map<uint32_t, std::map<Signature, std::vector<std::pair<uint32_t, OpId>>>> sites;
    for (uint32_t f = 0; f < module.functions.size(); ++f) {
      const Function& fn = module.functions[f];
      for (OpId id = 0; id < fn.ops.size(); ++id) {
        const Op& op = fn.ops[id];
        if (op.code != OpCode::kCall) continue;
        Signature signature = SignatureOf(fn, op);
        if (Precise(signature)) sites[op.callee][signature].push_back({f, id});
      }
    }
    bool changed = false;
    for (auto& [callee, by_signature] : sites) {
      if (by_signature.size() < 2) continue;
      uint32_t root = module.functions[callee].specialization_of;
      if (root == kNone) root = callee;
      bool first = true;  // The function itself keeps the first signature's calls.
      for (auto& [signature, calls] : by_signature) {
        if (first) {
          first = false;
          continue;
        }
        if (copies[root] >= kMaxCopiesPerFunction) break;
        Function copy = module.functions[callee];
        copy.specialization_of = root;
        module.functions.push_back(std::move(copy));
        copies.push_back(0);
        ++copies[root];
        uint32_t index = static_cast<uint32_t>(module.functions.size() - 1);
        for (auto [f, id] : calls) module.functions[f].ops[id].callee = index;
        changed = true;
      }
    }
    if (!changed) break;
    for (Function& fn : module.functions) fn.param_types.clear();  // From scratch.
    InferModuleTypes(module);
  }
}

}  // namespace noma::graph
