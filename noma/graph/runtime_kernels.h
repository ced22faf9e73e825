#ifndef NOMA_GRAPH_RUNTIME_KERNELS_H_
#define NOMA_GRAPH_RUNTIME_KERNELS_H_

// Which runtime kernel implements an IR operator: the one mapping shared by the executors
// (interpreter, code generator), so they cannot disagree about what an operator computes.

#include "noma/graph/ir.h"
#include "noma/runtime/tensor.h"

namespace noma::graph {

runtime::BinaryKernel BinaryKernelOf(BinaryOpKind op);
runtime::UnaryKernel UnaryKernelOf(UnaryOpKind op);
// The kernel of an elementwise one-argument builtin (sigmoid ... ceil); false for the others.
bool UnaryKernelOf(Builtin builtin, runtime::UnaryKernel* kernel);
// pow, min and max as binary kernels; false for the others.
bool BinaryKernelOf(Builtin builtin, runtime::BinaryKernel* kernel);

}  // namespace noma::graph

#endif  // NOMA_GRAPH_RUNTIME_KERNELS_H_
