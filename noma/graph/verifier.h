#ifndef NOMA_GRAPH_VERIFIER_H_
#define NOMA_GRAPH_VERIFIER_H_

#include "absl/status/status.h"
#include "noma/graph/ir.h"

namespace noma::graph {

// Checks structural invariants: every operand is defined before use in its region or an
// enclosing one, every value is defined once, slots/callees/regions are in range, regions
// have one parent op, condition regions end in a yield, and op arities match their opcode.
// Passes run it on their output in tests; a failure is a compiler bug, not a user error.
absl::Status Verify(const Module& module);

}  // namespace noma::graph

#endif  // NOMA_GRAPH_VERIFIER_H_
