#ifndef NOMA_SYNTAX_PARSER_H_
#define NOMA_SYNTAX_PARSER_H_

#include <string>

#include "absl/status/statusor.h"
#include "noma/syntax/ast.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/source.h"

namespace noma::syntax {

// Parses one buffer. Always returns a Program (possibly partial); errors go to `diagnostics`.
// The parser recovers at statement and function boundaries, so several errors are reported.
// Syntax errors are reported at most once per statement; nesting deeper than kMaxNestingDepth
// (blocks, brackets, operators, and expression trees such as very long `a + b + ...` chains)
// stops the parse with one error, so any input is handled without deep recursion.
Program Parse(const SourceManager& sources, FileId file, DiagnosticEngine& diagnostics);

// Reads `path` into `sources` (messages call it `display_name`) and parses it: the syntax-level
// check behind `noma check` and `noma fmt`. A file that cannot be read is an error status;
// syntax errors go to `diagnostics`, as with Parse. The Program's `file` names the buffer.
absl::StatusOr<Program> ParseFile(SourceManager& sources, const std::string& path,
                                  std::string display_name, DiagnosticEngine& diagnostics);

}  // namespace noma::syntax

#endif  // NOMA_SYNTAX_PARSER_H_
