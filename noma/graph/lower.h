#ifndef NOMA_GRAPH_LOWER_H_
#define NOMA_GRAPH_LOWER_H_

#include "noma/graph/ir.h"
#include "noma/syntax/ast.h"
#include "noma/syntax/diagnostics.h"

namespace noma::graph {

// Lowers a parsed program to the graph IR: resolves names (one scope per function, `let` may
// shadow), checks calls against user functions and builtins (arity, unknown names with "did
// you mean"), reads optimizer hyperparameters, infers static types where known, and rejects
// recursion reachable from an optimize body. Errors go to `diagnostics`; the returned module
// is only meaningful when no error was reported.
Module Lower(const syntax::Program& program, syntax::DiagnosticEngine& diagnostics);

}  // namespace noma::graph

#endif  // NOMA_GRAPH_LOWER_H_
