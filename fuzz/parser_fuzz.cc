// libFuzzer target for the front end: any bytes must lex, parse and (when they parse) format
// and re-parse to the same AST, without crashing, hanging or leaking.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "noma/syntax/ast.h"
#include "noma/syntax/formatter.h"
#include "noma/syntax/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  noma::syntax::SourceManager sources;
  noma::syntax::DiagnosticEngine diagnostics;
  noma::syntax::FileId file =
      sources.AddBuffer("fuzz.noma", std::string(reinterpret_cast<const char*>(data), size));
  noma::syntax::Program program = noma::syntax::Parse(sources, file, diagnostics);
  std::string rendered = diagnostics.Render(sources);
  if (diagnostics.has_errors()) return 0;
  std::string formatted = noma::syntax::Format(program, sources);
  noma::syntax::SourceManager sources2;
  noma::syntax::DiagnosticEngine diagnostics2;
  noma::syntax::FileId file2 = sources2.AddBuffer("fuzz.noma", formatted);
  noma::syntax::Program reparsed = noma::syntax::Parse(sources2, file2, diagnostics2);
  // A formatted valid program must parse back to the same tree.
  if (diagnostics2.has_errors() ||
      noma::syntax::DumpAst(reparsed) != noma::syntax::DumpAst(program)) {
    std::abort();
  }
  return 0;
}
