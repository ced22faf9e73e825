#ifndef NOMA_GRAPH_LOWER_H_
#define NOMA_GRAPH_LOWER_H_

#include <string>
#include <vector>

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

// The words of optimize loops that the lowering accepts, for editors (completion): optimizer
// names (`with adam(...)`), the keys of that clause, and the variables a loop reads when it
// starts (docs/language.md §6.2).
struct OptimizerWords {
  std::vector<std::string> optimizers;
  std::vector<std::string> clause_keys;
  std::vector<std::string> variables;
};
OptimizerWords GetOptimizerWords();

}  // namespace noma::graph

#endif  // NOMA_GRAPH_LOWER_H_
