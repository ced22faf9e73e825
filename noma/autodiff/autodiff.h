#ifndef NOMA_AUTODIFF_AUTODIFF_H_
#define NOMA_AUTODIFF_AUTODIFF_H_

#include "noma/graph/ir.h"
#include "noma/syntax/diagnostics.h"

namespace noma::autodiff {

// Differentiates every optimize loop of `module` in place (an IR-to-IR pass):
//  - calls inside the differentiated region are inlined;
//  - the forward region is augmented to record what the backward code needs (branch taken,
//    loop trip counts, values defined inside nested regions) on typed tapes;
//  - a `step` region is added holding the generated backward IR (adjoints of every
//    differentiable op, broadcast-reduced) and the optimizer update IR (SGD/Adam/RMSprop);
//  - optimizer state (moments, Adam step counter) lives in slots that follow `realloc` of
//    their parameter and are cleared by `reset_optimizer()`.
// Errors (no minimize, a named parameter the loss does not depend on, unsupported constructs)
// are reported to `diagnostics` with source locations.
void Differentiate(graph::Module& module, syntax::DiagnosticEngine& diagnostics);

}  // namespace noma::autodiff

#endif  // NOMA_AUTODIFF_AUTODIFF_H_
