#ifndef NOMA_GRAPH_PRINTER_H_
#define NOMA_GRAPH_PRINTER_H_

#include <string>

#include "noma/graph/ir.h"

namespace noma::graph {

// Stable text form, one op per line with nested regions indented; used by golden tests and
// `noma run --dump-ir`.
std::string PrintModule(const Module& module);
std::string PrintFunction(const Module& module, const Function& function);
// Graphviz DOT: one cluster per region, data edges between ops.
std::string PrintDot(const Module& module);

}  // namespace noma::graph

#endif  // NOMA_GRAPH_PRINTER_H_
