// libFuzzer target for the front end. For any bytes:
// - lexing, parsing and rendering the diagnostics finish without crashing, hanging or leaking
//   (AddressSanitizer and libFuzzer's -timeout/-rss_limit_mb catch the rest);
// - the number of errors respects the cap;
// - when the input parses, its formatted form parses back to the same AST, and formatting that
//   again changes nothing (formatting is idempotent) and keeps every comment.
// A violated property aborts, which libFuzzer reports as a finding with the input saved.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "noma/syntax/ast.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/formatter.h"
#include "noma/syntax/parser.h"

namespace {

struct Parsed {
  noma::syntax::SourceManager sources;
  noma::syntax::DiagnosticEngine diagnostics;
  noma::syntax::Program program;
};

void ParseInto(Parsed& parsed, std::string text) {
  noma::syntax::FileId file = parsed.sources.AddBuffer("fuzz.noma", std::move(text));
  parsed.program = noma::syntax::Parse(parsed.sources, file, parsed.diagnostics);
}

[[noreturn]] void Fail(const char* property, const std::string& detail) {
  std::fprintf(stderr, "parser_fuzz: %s\n%s\n", property, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Parsed original;
  ParseInto(original, std::string(reinterpret_cast<const char*>(data), size));
  std::string rendered = original.diagnostics.Render(original.sources);
  if (original.diagnostics.error_count() > noma::syntax::DiagnosticEngine::kDefaultMaxErrors) {
    Fail("more errors than the cap", rendered);
  }
  if (original.diagnostics.has_errors()) return 0;

  std::string formatted = noma::syntax::Format(original.program, original.sources);
  Parsed reparsed;
  ParseInto(reparsed, formatted);
  if (reparsed.diagnostics.has_errors()) {
    Fail("formatted program does not parse",
         formatted + "\n" + reparsed.diagnostics.Render(reparsed.sources));
  }
  if (noma::syntax::DumpAst(reparsed.program) != noma::syntax::DumpAst(original.program)) {
    Fail("formatting changed the AST", formatted);
  }
  if (noma::syntax::Format(reparsed.program, reparsed.sources) != formatted) {
    Fail("formatting is not idempotent", formatted);
  }
  if (reparsed.program.comments.size() != original.program.comments.size()) {
    Fail("formatting lost or split a comment", formatted);
  }
  for (size_t i = 0; i < original.program.comments.size(); ++i) {
    if (reparsed.program.comments[i].text != original.program.comments[i].text) {
      Fail("formatting changed a comment", formatted);
    }
  }
  return 0;
}
