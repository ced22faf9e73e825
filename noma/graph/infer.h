#ifndef NOMA_GRAPH_INFER_H_
#define NOMA_GRAPH_INFER_H_

#include "noma/graph/ir.h"

namespace noma::graph {

// Static type and shape inference: gives every value the most precise type that holds on every
// path — scalars, tensor ranks, and dims where they are constants (tensor literals, constant
// alloc/realloc/rand_tensor dims, matmul/transpose/broadcasting/reductions of known shapes).
// Variables (slots) get the join of everything stored into them, so the result is flow-
// insensitive and sound; what is not known stays `any` / `tensor` / `?` and is checked at run
// time. Informational: it never reports errors.
void InferTypes(Function& function);

}  // namespace noma::graph

#endif  // NOMA_GRAPH_INFER_H_
