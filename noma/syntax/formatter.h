#ifndef NOMA_SYNTAX_FORMATTER_H_
#define NOMA_SYNTAX_FORMATTER_H_

#include <string>

#include "noma/syntax/ast.h"
#include "noma/syntax/source.h"

namespace noma::syntax {

// Prints `program` in canonical form, keeping its comments. Formatting is idempotent:
// Format(Parse(Format(p))) == Format(p), and the AST of the result equals the input's.
std::string Format(const Program& program, const SourceManager& sources);

}  // namespace noma::syntax

#endif  // NOMA_SYNTAX_FORMATTER_H_
