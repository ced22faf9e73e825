#include "noma/driver/pipeline.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "noma/autodiff/autodiff.h"
#include "noma/graph/infer.h"
#include "noma/graph/lower.h"
#include "noma/graph/printer.h"
#include "noma/graph/shapes.h"
#include "noma/graph/specialize.h"
#include "noma/graph/verifier.h"
#include "noma/syntax/parser.h"

namespace noma::driver {
namespace {

void ParsePass(FrontEndState& s) { s.program = syntax::Parse(*s.sources, s.file, *s.diagnostics); }

void LowerPass(FrontEndState& s) { s.module = graph::Lower(s.program, *s.diagnostics); }

void InferPass(FrontEndState& s) { graph::InferModuleTypes(s.module); }

void CheckShapesPass(FrontEndState& s) { graph::CheckShapes(s.module, *s.diagnostics); }

void SpecializePass(FrontEndState& s) { graph::SpecializeFunctions(s.module); }

void DifferentiatePass(FrontEndState& s) { autodiff::Differentiate(s.module, *s.diagnostics); }

void VerifyPass(FrontEndState& s) {
  if (absl::Status status = graph::Verify(s.module); !status.ok()) {
    s.diagnostics->Error({}, absl::StrCat("internal compiler error: ", status.message()));
  }
}

}  // namespace

const std::vector<Pass>& FrontEndPasses() {
  static const std::vector<Pass> passes = {
      {"parse", "source text to syntax tree", false, ParsePass},
      {"lower", "syntax tree to graph IR: names resolved, control flow as regions", true,
       LowerPass},
      {"infer", "types and shapes of every value, across calls", true, InferPass},
      {"check-shapes", "shape and kind errors proven before the program runs, per call site", true,
       CheckShapesPass},
      {"specialize", "a copy of a function per kind of arguments its calls pass", true,
       SpecializePass},
      {"differentiate", "inline calls in optimize loops; backward pass and optimizer update as IR",
       true, DifferentiatePass},
      {"infer-grad", "types and shapes again, for the generated gradient code", true, InferPass},
      {"verify", "structural checks of the final IR", true, VerifyPass},
  };
  return passes;
}

const Pass* FindPass(const std::string& name) {
  for (const Pass& pass : FrontEndPasses()) {
    if (name == pass.name) return &pass;
  }
  return nullptr;
}

std::string DescribePasses() {
  std::string out;
  for (const Pass& pass : FrontEndPasses()) {
    absl::StrAppendFormat(&out, "  %-14s %s\n", pass.name, pass.description);
  }
  return out;
}

int ParsePassFlag(const std::string& arg, PassFlags* flags, std::string* error) {
  if (arg == "--print-passes") {
    flags->print_passes = true;
    return 1;
  }
  constexpr absl::string_view kDump = "--dump-ir-after=";
  if (!absl::StartsWith(arg, kDump)) return 0;
  std::string name = arg.substr(kDump.size());
  const Pass* pass = FindPass(name);
  if (pass == nullptr || !pass->produces_ir) {
    *error = absl::StrCat("unknown pass '", name, "' for --dump-ir-after (see --print-passes)");
    return -1;
  }
  flags->dump_after = name;
  return 1;
}

FrontEndOptions DumpOptions(const PassFlags& flags, std::ostream* out) {
  FrontEndOptions options;
  if (flags.dump_after.empty()) return options;
  options.stop_after = flags.dump_after;
  std::string wanted = flags.dump_after;
  options.after_pass = [wanted, out](const Pass& pass, const graph::Module& module) {
    if (wanted == pass.name) *out << graph::PrintModule(module);
  };
  return options;
}

bool RunFrontEnd(FrontEndState& state, const FrontEndOptions& options) {
  for (const Pass& pass : FrontEndPasses()) {
    pass.run(state);
    if (state.diagnostics->has_errors()) return false;
    if (pass.produces_ir && options.after_pass) options.after_pass(pass, state.module);
    if (options.stop_after == pass.name) break;
  }
  return true;
}

}  // namespace noma::driver
