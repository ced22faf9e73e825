#ifndef NOMA_SYNTAX_TESTING_TEST_UTIL_H_
#define NOMA_SYNTAX_TESTING_TEST_UTIL_H_

// Helpers shared by the noma/syntax unit tests.

#include <memory>
#include <string>

#include "noma/syntax/ast.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/formatter.h"
#include "noma/syntax/parser.h"
#include "noma/syntax/source.h"

namespace noma::syntax::testing {

// One parsed buffer with everything that refers to it.
struct Parsed {
  SourceManager sources;
  DiagnosticEngine diagnostics;
  Program program;
  std::string errors;  // Rendered diagnostics.
  bool ok() const { return !diagnostics.has_errors(); }
  std::string dump() const { return DumpAst(program); }
  std::string formatted() const { return Format(program, sources); }
};

inline std::unique_ptr<Parsed> ParseText(const std::string& text,
                                         const std::string& name = "t.noma") {
  auto p = std::make_unique<Parsed>();
  FileId file = p->sources.AddBuffer(name, text);
  p->program = Parse(p->sources, file, p->diagnostics);
  p->errors = p->diagnostics.Render(p->sources);
  return p;
}

// The S-expression of `expr` parsed as the only statement of `fn main() { <expr>; }`, or the
// rendered errors if it does not parse.
inline std::string ExprDump(const std::string& expr) {
  auto p = ParseText("fn main() { " + expr + "; }");
  if (!p->ok()) return p->errors;
  std::string dump = p->dump();
  const std::string prefix = "(fn main (block (expr ";
  const std::string suffix = ")))\n";
  if (dump.compare(0, prefix.size(), prefix) != 0 || dump.size() < prefix.size() + suffix.size()) {
    return "unexpected dump: " + dump;
  }
  return dump.substr(prefix.size(), dump.size() - prefix.size() - suffix.size());
}

// The first rendered error for `text`, or "" when it parses.
inline std::string FirstError(const std::string& text) {
  auto p = ParseText(text);
  if (p->diagnostics.diagnostics().empty()) return "";
  return RenderDiagnostic(p->diagnostics.diagnostics().front(), p->sources);
}

}  // namespace noma::syntax::testing

#endif  // NOMA_SYNTAX_TESTING_TEST_UTIL_H_
