#ifndef NOMA_GRAPH_INTERNAL_INFERRER_H_
#define NOMA_GRAPH_INTERNAL_INFERRER_H_

// The abstract interpreter behind type and shape inference (infer.h) and the shape check
// (shapes.h): one walk over a function's regions with an environment of slot types, repeated
// until nothing changes. What differs between its users is how calls and parameters are
// resolved, so that is configured.

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "noma/graph/ir.h"

namespace noma::graph::internal {

// What a function's calls pass and its returns give: the join over every call site and every
// `return` seen so far (absent: nothing yet).
struct FunctionSignature {
  std::vector<std::optional<Type>> params;
  std::optional<Type> result;
};

// Sees every op of an observed pass whose operands are typed, before the op is interpreted.
class OpObserver {
 public:
  virtual ~OpObserver() = default;
  // `origins[v]`: for a value loaded from a variable, the op that last set the variable on
  // every path to the load (an alloc, realloc or store), else kNone.
  virtual void Observe(const Function& fn, OpId id, const std::vector<Type>& types,
                       const std::vector<OpId>& origins) = 0;
};

// The result type of a call with these argument types (nullopt: not known yet).
using CallResolver = std::function<std::optional<Type>(const Op& call, const std::vector<Type>&)>;

class Inferrer {
 public:
  // Infers function `index` of `module` into `types`, which has one entry per value of the
  // function; the module's symbols name its run-time dims. A lone function (no module) keeps
  // kUnknownDim for them.
  Inferrer(Module* module, const Function& fn, uint32_t index, std::vector<Type>* types);

  // Parameters and returns go through `own`; calls join their arguments into the callee's
  // entry of `all` and read its result from there (whole-module inference).
  void UseSignatures(FunctionSignature* own, std::vector<FunctionSignature>* all);
  // Parameters and returns go through `own`; calls ask `resolver` (the shape check's
  // per-call-site analysis).
  void UseResolver(FunctionSignature* own, CallResolver resolver);
  // Neither: parameters are unknown and calls give nothing (a lone function).

  // One walk over the body. With an observer, it sees each op (use after a fixed point).
  void Pass(OpObserver* observer = nullptr);
  // Passes until nothing changes (bounded).
  void RunToFixedPoint();
  // Values never reached get the type `any`.
  void Finish();

  bool changed() const { return changed_; }
  bool signatures_changed() const { return signatures_changed_; }
  void clear_changed() { changed_ = signatures_changed_ = false; }
  // Per slot, the join of every type it held in the last pass (kUnknown kind: never written).
  std::vector<Type> SlotTypes() const;

 private:
  struct SlotState {
    Type type;
    OpId origin = kNone;  // The alloc/realloc/store that set it, if one op did on every path.
    // Only the type matters for reaching a fixed point.
    friend bool operator==(const SlotState& a, const SlotState& b) { return a.type == b.type; }
    friend bool operator!=(const SlotState& a, const SlotState& b) { return !(a == b); }
  };
  using Env = std::map<SlotId, SlotState>;

  void Set(OpId op, ValueId v, Type t);
  void Write(Env& env, SlotId slot, const Type& type, OpId origin);
  Env JoinEnv(const Env& a, const Env& b, OpId site);
  Env& LoopHead(OpId op, const Env& entry);
  void BackEdge(OpId op, const Env& back);
  bool OperandsKnown(const Op& op) const;
  const Type& TypeOf(ValueId v) const { return types_[v]; }
  std::optional<double> Constant(ValueId v) const;
  std::vector<std::optional<double>> Constants(const Op& op) const;
  // The dim naming `site`, or kUnknownDim without a module.
  int64_t SymbolAt(const ShapeSymbols::Site& site);
  ShapeSymbol Describe(const ShapeSymbols::Site& site) const;
  // `t` with every dim the rules could not name replaced by a symbol of op `id`'s result
  // (`slot`: the variable it is bound to, for ops that bind several).
  Type Named(OpId id, Type t, SlotId slot = kNone);
  // Joins `t` into `*into` at `site` (its kind, id and slot; dims fill in); true on change.
  bool JoinInto(std::optional<Type>* into, const Type& t, ShapeSymbols::Site site);
  void Visit(RegionId region, Env& env);
  std::optional<Type> YieldType(RegionId region) const;

  Module* module_;
  const Function& fn_;
  uint32_t index_;
  std::vector<Type>& types_;
  FunctionSignature* own_ = nullptr;
  std::vector<FunctionSignature>* signatures_ = nullptr;
  CallResolver resolver_;
  OpObserver* observer_ = nullptr;
  bool signatures_changed_ = false;
  bool changed_ = false;
  std::map<int64_t, std::optional<Type>> tapes_;  // Join of everything pushed per tape.
  std::map<OpId, Env> loop_heads_;  // Per loop op: entry joined with back edges, so far.
  std::map<ValueId, double> constants_;
  std::vector<bool> known_;                      // Per value: typed yet (else bottom).
  std::vector<OpId> origins_;                    // Per value: see OpObserver::Observe.
  std::vector<std::optional<Type>> slot_types_;  // Per slot: join over the last pass.
};

// The most precise type describing both `a` and `b`; a dim that differs becomes `dim_at(i)`.
Type JoinTypes(const Type& a, const Type& b, const std::function<int64_t(int)>& dim_at);

}  // namespace noma::graph::internal

#endif  // NOMA_GRAPH_INTERNAL_INFERRER_H_
