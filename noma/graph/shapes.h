#ifndef NOMA_GRAPH_SHAPES_H_
#define NOMA_GRAPH_SHAPES_H_

// The shape check: proves shape and kind errors before a program runs (docs/language.md,
// "Static shapes"), and lists what inference knows about every variable.

#include <string>

#include "noma/graph/ir.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/source.h"

namespace noma::graph {

// Reports, with the run-time error's words and location, every error that holds whenever the
// operation runs: both dims involved are constants (or ranks are known) and they disagree.
// Calls are checked per call site: a function is analysed again for each distinct list of
// argument types it is called with, so a function used with two shapes is checked with both.
// Nothing is reported for shapes known only at run time. Run after InferModuleTypes.
void CheckShapes(Module& module, syntax::DiagnosticEngine& diagnostics);

// `noma check --shapes`: one line per named variable of every function, in source order,
//   file:line:col: name: [1024, 16]     (or [n0, 64], scalar, string, tensor, any)
// then one line per symbol used, saying where its size comes from:
//   n0: rows of the table read by load_csv (file:3:13)
std::string DescribeVariableShapes(const Module& module, const syntax::SourceManager& sources);

// "[2, 3]" for messages: constant dims as numbers, run-time dims as "?"; a scalar is "[]" (the
// shape the runtime gives it); "tensor" when the rank is unknown.
std::string ShapeText(const Type& type);

}  // namespace noma::graph

#endif  // NOMA_GRAPH_SHAPES_H_
