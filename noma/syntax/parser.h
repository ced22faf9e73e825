#ifndef NOMA_SYNTAX_PARSER_H_
#define NOMA_SYNTAX_PARSER_H_

#include "noma/syntax/ast.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/source.h"

namespace noma::syntax {

// Parses one buffer. Always returns a Program (possibly partial); errors go to `diagnostics`.
// The parser recovers at statement and function boundaries, so several errors are reported.
Program Parse(const SourceManager& sources, FileId file, DiagnosticEngine& diagnostics);

}  // namespace noma::syntax

#endif  // NOMA_SYNTAX_PARSER_H_
