#include "noma/driver/driver.h"

#include <ostream>

#include "absl/strings/str_cat.h"
#include "noma/autodiff/autodiff.h"
#include "noma/autodiff/version.h"
#include "noma/codegen/version.h"
#include "noma/driver/version.h"
#include "noma/gpu/version.h"
#include "noma/graph/lower.h"
#include "noma/graph/verifier.h"
#include "noma/graph/version.h"
#include "noma/interp/version.h"
#include "noma/runtime/version.h"
#include "noma/syntax/parser.h"
#include "noma/syntax/version.h"

namespace noma::driver {

namespace {

// Runs the front end on an already loaded file.
bool CompileLoaded(Stage last, Compilation& c) {
  c.program = syntax::Parse(c.sources, c.file, c.diagnostics);
  if (c.diagnostics.has_errors() || last == Stage::kParse) return !c.diagnostics.has_errors();
  c.module = graph::Lower(c.program, c.diagnostics);
  if (c.diagnostics.has_errors() || last == Stage::kLower) return !c.diagnostics.has_errors();
  autodiff::Differentiate(c.module, c.diagnostics);
  if (c.diagnostics.has_errors()) return false;
  if (absl::Status status = graph::Verify(c.module); !status.ok()) {
    c.diagnostics.Error({}, absl::StrCat("internal compiler error: ", status.message()));
    return false;
  }
  return true;
}

}  // namespace

bool Compile(const std::string& path, const std::string& display_name, Stage last, Compilation& c) {
  auto file = c.sources.AddFile(path, display_name);
  if (!file.ok()) {
    c.diagnostics.Error({}, std::string(file.status().message()));
    return false;
  }
  c.file = *file;
  return CompileLoaded(last, c);
}

bool CompileSource(const std::string& display_name, std::string text, Stage last, Compilation& c) {
  c.file = c.sources.AddBuffer(display_name, std::move(text));
  return CompileLoaded(last, c);
}

void PrintDiagnostics(const Compilation& c, std::ostream& err) {
  err << c.diagnostics.Render(c.sources);
}

int Interpret(const Compilation& c, const interp::Options& options) {
  absl::StatusOr<interp::Outcome> outcome = interp::Run(c.module, options);
  options.out->flush();
  if (!outcome.ok()) {
    *options.err << "error: internal interpreter error: " << outcome.status().message() << "\n";
    return 1;
  }
  if (outcome->error) {
    *options.err << syntax::RenderDiagnostic(*outcome->error, c.sources);
    return 1;
  }
  return 0;
}

std::vector<std::pair<std::string, std::string>> StageVersions() {
  return {
      {"syntax", syntax::kVersion},     {"graph", graph::kVersion},
      {"autodiff", autodiff::kVersion}, {"codegen", codegen::kVersion},
      {"runtime", runtime::kVersion},   {"gpu", gpu::kVersion},
      {"interp", interp::kVersion},     {"driver", driver::kVersion},
  };
}

}  // namespace noma::driver
