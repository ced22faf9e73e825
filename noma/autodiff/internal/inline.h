#ifndef NOMA_AUTODIFF_INTERNAL_INLINE_H_
#define NOMA_AUTODIFF_INTERNAL_INLINE_H_

#include "noma/graph/ir.h"
#include "noma/syntax/diagnostics.h"

namespace noma::autodiff::internal {

// Replaces every user-function call inside `root` (and its nested regions) of `fn` with the
// callee's body, repeatedly, so differentiated code is call-free. Early `return`s in a callee
// become a result slot plus a "returned" flag that guards the rest of the body. Recursion was
// rejected by lowering; `fn` must not be one of `module.functions` being read (callers pass
// a function they own or that is not called).
bool InlineCalls(const graph::Module& module, graph::Function& fn, graph::RegionId root,
                 syntax::DiagnosticEngine& diagnostics);

}  // namespace noma::autodiff::internal

#endif  // NOMA_AUTODIFF_INTERNAL_INLINE_H_
