#include "noma/graph/shapes.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "noma/graph/internal/inferrer.h"
#include "noma/graph/messages.h"

namespace noma::graph {

std::string ShapeText(const Type& type) {
  if (type.kind == Type::kScalar) return "[]";
  if (type.kind != Type::kTensor || type.rank < 0) return "tensor";
  std::vector<std::string> dims;
  for (int64_t d : type.dims) dims.push_back(IsConstantDim(d) ? absl::StrCat(d) : "?");
  return absl::StrCat("[", absl::StrJoin(dims, ", "), "]");
}

namespace {

// The rank of a value the runtime treats as a tensor (a scalar has rank 0), or -1 if unknown.
int KnownRank(const Type& t) {
  if (t.kind == Type::kScalar) return 0;
  return t.kind == Type::kTensor ? t.rank : -1;
}

// True if broadcasting `a` with `b` fails whatever the run-time dims are.
bool BroadcastFails(const Type& a, const Type& b) {
  int ra = KnownRank(a), rb = KnownRank(b);
  if (ra < 0 || rb < 0) return false;
  for (int k = 1; k <= std::min(ra, rb); ++k) {
    int64_t da = a.dims[ra - k], db = b.dims[rb - k];
    if (IsConstantDim(da) && IsConstantDim(db) && da != db && da != 1 && db != 1) return true;
  }
  return false;
}

// Where an operand's shape was set, for a note; what the op that set it did.
const char* SetVerb(OpCode code) {
  if (code == OpCode::kAlloc) return "allocated as";
  if (code == OpCode::kRealloc) return "reallocated to";
  return "set to";
}

// Instances are keyed by function and argument types, symbols included.
using InstanceKey = std::pair<uint32_t, std::vector<std::tuple<int, int, std::vector<int64_t>>>>;

InstanceKey KeyOf(uint32_t function, const std::vector<Type>& params) {
  InstanceKey key{function, {}};
  for (const Type& t : params) key.second.emplace_back(t.kind, t.rank, t.dims);
  return key;
}

class ShapeChecker : public internal::OpObserver {
 public:
  ShapeChecker(Module& module, syntax::DiagnosticEngine& diagnostics)
      : module_(module), diagnostics_(diagnostics) {}

  void Run() {
    // Roots: `main`, and functions no call reaches (library entry points), whose arguments
    // are unknown. Everything else is checked through the calls that reach it.
    std::vector<bool> called(module_.functions.size(), false);
    for (const Function& fn : module_.functions) {
      for (const Op& op : fn.ops) {
        if (op.code == OpCode::kCall) called[op.callee] = true;
      }
    }
    for (uint32_t f = 0; f < module_.functions.size(); ++f) {
      if (f != module_.main && called[f]) continue;
      std::vector<Type> params(module_.functions[f].params.size(), Type::Unknown());
      Analyze(f, params, /*check=*/true, {});
    }
  }

  void Observe(const Function& fn, OpId id, const std::vector<Type>& types,
               const std::vector<OpId>& origins) override {
    const Op& op = fn.ops[id];
    auto type = [&](size_t i) -> const Type& { return types[op.operands[i]]; };
    auto report = [&](const std::string& message, std::vector<size_t> operands) {
      Report(fn, op, message, operands, types, origins);
    };
    auto any_string = [&]() {
      for (ValueId v : op.operands) {
        if (types[v].kind == Type::kString) return true;
      }
      return false;
    };
    // Only some ops can fail on shapes or kinds; an if-chain, not a switch, names just those.
    if (op.code == OpCode::kUnary || op.code == OpCode::kCall) {
      if (any_string()) report(messages::kStringMisuse, {});
    } else if (op.code == OpCode::kBinary) {
      if (any_string()) {
        report(messages::kStringMisuse, {});
      } else if (BroadcastFails(type(0), type(1))) {
        report(messages::CannotBroadcast(ShapeText(type(0)), ShapeText(type(1))), {0, 1});
      }
    } else if (op.code == OpCode::kBuiltin) {
      CheckBuiltin(fn, op, types, report, any_string());
    } else if (op.code == OpCode::kIndex) {
      CheckIndex(fn, op, types, report);
    } else if (op.code == OpCode::kMinimize) {
      if (type(0).kind == Type::kTensor && type(0).rank >= 0) {
        report(messages::MinimizeTensor(ShapeText(type(0))), {0});
      }
    } else if (op.code == OpCode::kBatch) {
      CheckBatch(op, types, report);
    }
  }

 private:
  template <typename Report>
  void CheckIndex(const Function& fn, const Op& op, const std::vector<Type>& types,
                  const Report& report) {
    const Type& base = types[op.operands[0]];
    std::optional<double> index = ConstantOf(fn, op.operands[1]);
    if (base.kind != Type::kTensor || base.rank < 1 || !IsConstantDim(base.dims[0]) || !index ||
        !std::isfinite(*index)) {
      return;
    }
    double truncated = std::trunc(*index);
    // Beyond 1e15 the runtime prints the index in exponent form; leave those to it.
    if (truncated >= static_cast<double>(base.dims[0]) && truncated < 1e15) {
      report(messages::IndexOutOfRange(absl::StrCat(static_cast<int64_t>(truncated)), base.dims[0]),
             {0});
    }
  }

  // The runtime checks the batch size first; a scalar one may still be invalid, but then the
  // program fails either way. Sources must be tensors with known first dims to disagree.
  template <typename Report>
  void CheckBatch(const Op& op, const std::vector<Type>& types, const Report& report) {
    auto type = [&](size_t i) -> const Type& { return types[op.operands[i]]; };
    size_t sources = op.operands.size() - 1;
    if (type(sources).kind != Type::kScalar) return;
    const Type& first = type(0);
    if (first.kind != Type::kTensor || first.rank < 1) return;
    for (size_t i = 1; i < sources; ++i) {
      const Type& other = type(i);
      if (other.kind != Type::kTensor || other.rank < 1) return;
      if (IsConstantDim(first.dims[0]) && IsConstantDim(other.dims[0]) &&
          first.dims[0] != other.dims[0]) {
        report(messages::BatchRows(ShapeText(first), ShapeText(other)), {0, i});
        return;
      }
    }
  }

  template <typename Report>
  void CheckBuiltin(const Function& fn, const Op& op, const std::vector<Type>& types,
                    const Report& report, bool has_string) {
    Builtin builtin = static_cast<Builtin>(op.sub);
    if (builtin == Builtin::kPrint) return;
    if (has_string) {
      report(messages::kStringMisuse, {});
      return;
    }
    auto type = [&](size_t i) -> const Type& { return types[op.operands[i]]; };
    const BuiltinInfo& info = GetBuiltinInfo(builtin);
    if (info.elementwise_arity == 2 && BroadcastFails(type(0), type(1))) {
      report(messages::CannotBroadcast(ShapeText(type(0)), ShapeText(type(1))), {0, 1});
      return;
    }
    if (builtin == Builtin::kMatmul) {
      int ra = KnownRank(type(0)), rb = KnownRank(type(1));
      if (ra < 0 || rb < 0) return;
      if (ra != 2 || rb != 2) {
        report(messages::MatmulRanks(ShapeText(type(0)), ShapeText(type(1))), {0, 1});
      } else if (IsConstantDim(type(0).dims[1]) && IsConstantDim(type(1).dims[0]) &&
                 type(0).dims[1] != type(1).dims[0]) {
        report(messages::MatmulInnerDims(ShapeText(type(0)), ShapeText(type(1))), {0, 1});
      }
    } else if (builtin == Builtin::kDot) {
      int ra = KnownRank(type(0)), rb = KnownRank(type(1));
      if (ra < 0 || rb < 0) return;
      if (ra != 1 || rb != 1 ||
          (IsConstantDim(type(0).dims[0]) && IsConstantDim(type(1).dims[0]) &&
           type(0).dims[0] != type(1).dims[0])) {
        report(messages::DotShapes(ShapeText(type(0)), ShapeText(type(1))), {0, 1});
      }
    } else if ((builtin == Builtin::kSum || builtin == Builtin::kMean) && op.operands.size() == 2) {
      int rank = KnownRank(type(0));
      std::optional<double> axis = ConstantOf(fn, op.operands[1]);
      if (rank < 0 || !axis || *axis != std::floor(*axis) || std::fabs(*axis) > 1e15) return;
      int64_t a = static_cast<int64_t>(*axis);
      if (a < -rank || a >= rank) report(messages::AxisOutOfRange(info.name, a, rank), {0});
    }
  }

  // The value of `v` if an operand is a literal number.
  std::optional<double> ConstantOf(const Function& fn, ValueId v) {
    std::vector<OpId>& defs = definitions_[&fn];
    if (defs.empty()) {
      defs.assign(fn.value_types.size(), kNone);
      for (OpId id = 0; id < fn.ops.size(); ++id) {
        if (fn.ops[id].result != kNone) defs[fn.ops[id].result] = id;
      }
    }
    OpId def = defs[v];
    if (def == kNone || fn.ops[def].code != OpCode::kConst) return std::nullopt;
    return fn.ops[def].number;
  }

  // The error at `op`, once per place and message, with notes for where the shapes of
  // `operands` were set and for the calls that led here.
  void Report(const Function& fn, const Op& op, const std::string& message,
              const std::vector<size_t>& operands, const std::vector<Type>& types,
              const std::vector<OpId>& origins) {
    if (!reported_.insert({op.loc.file, op.loc.begin, message}).second) return;
    syntax::Diagnostic diagnostic;
    diagnostic.range = op.loc;
    diagnostic.message = message;
    for (size_t i : operands) {
      ValueId v = op.operands[i];
      OpId origin = origins[v];
      if (origin == kNone) continue;
      const Op& set = fn.ops[origin];
      const Slot& slot = fn.slots[set.slot];
      if (slot.synthetic || types[v].kind != Type::kTensor) continue;
      syntax::Diagnostic note;
      note.severity = syntax::Severity::kNote;
      note.range = set.loc;
      note.message =
          absl::StrCat(slot.name, " was ", SetVerb(set.code), " ", ShapeText(types[v]), " here");
      diagnostic.notes.push_back(std::move(note));
    }
    for (size_t k = call_sites_.size(); k-- > 0;) {
      if (!call_sites_[k].valid()) break;
      syntax::Diagnostic note;
      note.severity = syntax::Severity::kNote;
      note.range = call_sites_[k];
      note.message = absl::StrCat("in this call of '", module_.functions[active_[k]].name, "'");
      diagnostic.notes.push_back(std::move(note));
    }
    diagnostics_.Report(std::move(diagnostic));
  }

  // Infers function `f` for these parameter types; with `check`, then reports what it proves
  // (and checks the calls it makes, with their final argument types). Returns what it
  // returns. Each (function, argument types) is analysed once.
  std::optional<Type> Analyze(uint32_t f, const std::vector<Type>& params, bool check,
                              syntax::SourceRange call_site) {
    InstanceKey key = KeyOf(f, params);
    auto it = instances_.find(key);
    if (it != instances_.end() && (it->second.checked || !check)) return it->second.result;
    const Function& fn = module_.functions[f];
    // Recursion, or a program with very many distinct calls: the whole-module result (sound,
    // less precise), and no per-call-site check of that call.
    if (std::find(active_.begin(), active_.end(), f) != active_.end() ||
        analyses_ >= kMaxAnalyses) {
      return fn.result_type;
    }
    ++analyses_;
    active_.push_back(f);
    call_sites_.push_back(call_site);
    std::vector<Type> types(fn.value_types.size());
    internal::FunctionSignature own;
    own.params.assign(params.begin(), params.end());
    bool checking = false;
    internal::Inferrer inferrer(&module_, fn, f, &types);
    inferrer.UseResolver(&own, [&](const Op& call, const std::vector<Type>& args) {
      // A call with a string argument fails before its body runs (reported at the call).
      bool enters = std::none_of(args.begin(), args.end(),
                                 [](const Type& t) { return t.kind == Type::kString; });
      return Analyze(call.callee, args, checking && enters, call.loc);
    });
    inferrer.RunToFixedPoint();
    if (check) {
      checking = true;
      inferrer.Pass(this);
    }
    active_.pop_back();
    call_sites_.pop_back();
    Instance& instance = instances_[key];
    instance.result = own.result;
    instance.checked |= check;
    return own.result;
  }

  struct Instance {
    std::optional<Type> result;
    bool checked = false;
  };
  static constexpr int kMaxAnalyses = 4096;

  Module& module_;
  syntax::DiagnosticEngine& diagnostics_;
  std::map<InstanceKey, Instance> instances_;
  std::vector<uint32_t> active_;                 // Functions being analysed, innermost last.
  std::vector<syntax::SourceRange> call_sites_;  // The call that led to each (roots: none).
  int analyses_ = 0;
  std::set<std::tuple<syntax::FileId, uint32_t, std::string>> reported_;
  std::map<const Function*, std::vector<OpId>> definitions_;
};

}  // namespace

void CheckShapes(Module& module, syntax::DiagnosticEngine& diagnostics) {
  ShapeChecker(module, diagnostics).Run();
}

std::string DescribeVariableShapes(const Module& module, const syntax::SourceManager& sources) {
  std::string out;
  std::map<int64_t, int> numbers;  // Symbol dim -> its number in this listing.
  std::vector<int64_t> order;
  auto where = [&](const syntax::SourceRange& range) {
    syntax::LineColumn at = sources.Resolve(range.file, range.begin);
    return absl::StrCat(sources.name(range.file), ":", at.line, ":", at.column);
  };
  auto render = [&](const Type& t) -> std::string {
    switch (t.kind) {
      case Type::kScalar:
        return "scalar";
      case Type::kString:
        return "string";
      case Type::kVoid:
      case Type::kUnknown:
        return "any";
      case Type::kTensor:
        break;
    }
    if (t.rank < 0) return "tensor";
    std::vector<std::string> dims;
    for (int64_t d : t.dims) {
      if (IsConstantDim(d)) {
        dims.push_back(absl::StrCat(d));
      } else if (IsSymbolDim(d)) {
        auto [it, added] = numbers.emplace(d, static_cast<int>(numbers.size()));
        if (added) order.push_back(d);
        dims.push_back(absl::StrCat("n", it->second));
      } else {
        dims.push_back("?");
      }
    }
    return absl::StrCat("[", absl::StrJoin(dims, ", "), "]");
  };
  for (const Function& fn : module.functions) {
    if (fn.specialization_of != kNone) continue;
    std::vector<SlotId> named;
    for (SlotId s = 0; s < fn.slots.size(); ++s) {
      if (!fn.slots[s].synthetic && fn.slots[s].decl.valid()) named.push_back(s);
    }
    std::stable_sort(named.begin(), named.end(), [&](SlotId a, SlotId b) {
      return fn.slots[a].decl.begin < fn.slots[b].decl.begin;
    });
    for (SlotId s : named) {
      Type t = s < fn.slot_types.size() ? fn.slot_types[s] : Type::Unknown();
      absl::StrAppend(&out, where(fn.slots[s].decl), ": ", fn.slots[s].name, ": ", render(t), "\n");
    }
  }
  for (int64_t d : order) {
    const ShapeSymbol& symbol = module.symbols.Get(d);
    absl::StrAppend(&out, "n", numbers[d], ": ", symbol.origin);
    if (symbol.loc.valid()) absl::StrAppend(&out, " (", where(symbol.loc), ")");
    out += "\n";
  }
  return out;
}

}  // namespace noma::graph
