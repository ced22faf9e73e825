// libFuzzer target for the whole front end (`noma check`): parse, lower, infer, specialize,
// differentiate, infer-grad and verify (noma/driver/pipeline.h) on any bytes. Properties:
// - it finishes without crashing, hanging or leaking (sanitizers and libFuzzer's limits);
// - it fails exactly when it reported an error, and the errors respect the cap and render;
// - an accepted program still compiles after `noma fmt`.
// A violated property aborts, which libFuzzer reports as a finding with the input saved.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "noma/driver/pipeline.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/formatter.h"
#include "noma/syntax/source.h"

namespace {

[[noreturn]] void Fail(const char* property, const std::string& detail) {
  std::fprintf(stderr, "pipeline_fuzz: %s\n%s\n", property, detail.c_str());
  std::abort();
}

struct Compiled {
  noma::syntax::SourceManager sources;
  noma::syntax::DiagnosticEngine diagnostics;
  noma::driver::FrontEndState state;
  bool ok = false;
};

void Compile(Compiled& c, std::string text) {
  c.state.sources = &c.sources;
  c.state.file = c.sources.AddBuffer("fuzz.noma", std::move(text));
  c.state.diagnostics = &c.diagnostics;
  c.ok = noma::driver::RunFrontEnd(c.state);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Compiled original;
  Compile(original, std::string(reinterpret_cast<const char*>(data), size));
  std::string rendered = original.diagnostics.Render(original.sources);
  if (original.ok == original.diagnostics.has_errors()) {
    Fail("the result and the errors disagree", rendered);
  }
  if (original.diagnostics.error_count() > noma::syntax::DiagnosticEngine::kDefaultMaxErrors) {
    Fail("more errors than the cap", rendered);
  }
  if (!original.ok) return 0;
  Compiled formatted;
  Compile(formatted, noma::syntax::Format(original.state.program, original.sources));
  if (!formatted.ok) {
    Fail("the formatted program does not compile", formatted.diagnostics.Render(formatted.sources));
  }
  return 0;
}
