#ifndef NOMA_GRAPH_INFER_H_
#define NOMA_GRAPH_INFER_H_

#include <optional>
#include <vector>

#include "noma/graph/ir.h"

namespace noma::graph {

// Static type and shape inference: gives every value the most precise type that holds on every
// path — scalars, tensor ranks, and dims where they are constants (tensor literals, constant
// alloc/realloc/rand_tensor dims, matmul/transpose/broadcasting/reductions of known shapes).
// Variables (slots) get the join of everything stored into them, so the result is flow-
// insensitive and sound; what is not known stays `any` / `tensor` / `?` and is checked at run
// time. Informational: it never reports errors.
void InferTypes(Function& function);
// The same over a whole module, interprocedurally: a function's parameters get the join of the
// argument types at its call sites, calls get the join of the callee's returns (iterated to a
// fixed point, so recursion is fine). The pipeline's `infer` passes run this.
void InferModuleTypes(Module& module);

// NumPy broadcasting on static types (the result type of elementwise binary operations).
Type BroadcastTypes(const Type& a, const Type& b);

// The static result type of a builtin call. `constants[i]` is argument i's value when it is a
// compile-time constant (dims, axes), else nullopt; it may be shorter than `args`.
Type BuiltinResultType(Builtin builtin, const std::vector<Type>& args,
                       const std::vector<std::optional<double>>& constants);

}  // namespace noma::graph

#endif  // NOMA_GRAPH_INFER_H_
