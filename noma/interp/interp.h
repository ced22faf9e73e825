#ifndef NOMA_INTERP_INTERP_H_
#define NOMA_INTERP_INTERP_H_

#include <cstdint>
#include <iosfwd>
#include <optional>

#include "absl/status/statusor.h"
#include "noma/graph/ir.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/source.h"

namespace noma::interp {

struct Options {
  uint64_t seed = 0;                        // --seed: initial state of the program's generator.
  int64_t max_elements = int64_t{1} << 30;  // Bound on one tensor's elements (8 GiB of f64).
  bool check_nan = false;       // --check-nan: first NaN/inf in an optimize loop is an error.
  int max_call_depth = 100000;  // Deeper user recursion is a run-time error.
  // Stack the interpreter may use before deep recursion becomes a run-time error instead of a
  // crash. The default fits a default 8 MiB thread stack; the driver runs the interpreter on
  // a thread with a large stack and raises it.
  size_t stack_budget_bytes = size_t{6} << 20;
  std::ostream* out = nullptr;  // print() and main's return value; required.
  std::ostream* err = nullptr;  // Warnings; required. The progress line and the --metrics log
                                // are runtime::TrainingWatch's (the runtime's watch.h).
  const syntax::SourceManager* sources = nullptr;  // For file:line in warnings; required.
};

// How a program run ended. Run-time errors of the program are diagnostics (with the source
// location of the failing operation), not Status errors; Status errors are compiler bugs.
struct Outcome {
  std::optional<syntax::Diagnostic> error;
};

// Executes `main` of a lowered (and, for training, differentiated) module.
absl::StatusOr<Outcome> Run(const graph::Module& module, const Options& options);

}  // namespace noma::interp

#endif  // NOMA_INTERP_INTERP_H_
