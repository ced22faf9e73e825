#ifndef NOMA_GRAPH_SPECIALIZE_H_
#define NOMA_GRAPH_SPECIALIZE_H_

#include "noma/graph/ir.h"

namespace noma::graph {

// Per-call-site specialization: a function whose call sites pass arguments of different kinds
// (a scalar at one, a tensor at another) or tensors of different ranks is cloned, one copy per
// such signature, and each call goes to the copy for its signature, so inference types every
// copy's body precisely. Dims alone never cause a copy (their join keeps the rank). Copies keep
// the function's name and record `specialization_of`; at most 8 copies per function. Needs
// inferred types and leaves the module re-inferred (InferModuleTypes).
void SpecializeFunctions(Module& module);

}  // namespace noma::graph

#endif  // NOMA_GRAPH_SPECIALIZE_H_
