#ifndef NOMA_DRIVER_PIPELINE_H_
#define NOMA_DRIVER_PIPELINE_H_

// The compiler's front end as a list of named passes, in order (docs/architecture.md). Every
// tool that compiles a program runs these, so they all see the same IR; this library needs no
// LLVM, so single-stage tools (noma-ir) use it too.

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "noma/graph/ir.h"
#include "noma/syntax/ast.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/source.h"

namespace noma::driver {

// The state the passes transform.
struct FrontEndState {
  const syntax::SourceManager* sources = nullptr;
  syntax::FileId file = syntax::kNoFile;
  syntax::DiagnosticEngine* diagnostics = nullptr;
  syntax::Program program;
  graph::Module module;
};

struct Pass {
  const char* name;
  const char* description;
  bool produces_ir;  // The IR exists after it (every pass but parse).
  void (*run)(FrontEndState& state);
};

// parse, lower, infer, check-shapes, specialize, differentiate, infer-grad, verify: in the order
// they run.
const std::vector<Pass>& FrontEndPasses();
// The pass called `name`, or nullptr.
const Pass* FindPass(const std::string& name);
// "  parse          source text to syntax tree\n..." for --print-passes.
std::string DescribePasses();

struct FrontEndOptions {
  // Stop after this pass (empty: run them all).
  std::string stop_after;
  // Called with the pass's name after each pass that left IR, while there are no errors
  // (--dump-ir-after).
  std::function<void(const Pass&, const graph::Module&)> after_pass;
};

// Runs the passes on `state` (sources, file and diagnostics set). Returns false as soon as a
// pass reported an error; the diagnostics say what.
bool RunFrontEnd(FrontEndState& state, const FrontEndOptions& options = {});

// The pass flags that `noma run`, `noma compile` and `noma-ir` share.
#define NOMA_PASS_FLAGS_HELP                                            \
  "  --print-passes     list the compiler's passes in order and exit\n" \
  "  --dump-ir-after=PASS  print the IR after PASS (see --print-passes) and exit\n"
struct PassFlags {
  bool print_passes = false;
  std::string dump_after;  // A pass name, or empty.
};
// 1 if `arg` is one of the pass flags (recorded in `flags`), 0 if it is not, -1 (with
// `error` set) for an unknown pass name.
int ParsePassFlag(const std::string& arg, PassFlags* flags, std::string* error);
// Front-end options that print the IR after `flags.dump_after` to `out` and stop there.
FrontEndOptions DumpOptions(const PassFlags& flags, std::ostream* out);

}  // namespace noma::driver

#endif  // NOMA_DRIVER_PIPELINE_H_
