#ifndef NOMA_SYNTAX_VERSION_H_
#define NOMA_SYNTAX_VERSION_H_

// Semantic version of the noma/syntax public API; bump on any API change.
#define NOMA_SYNTAX_VERSION_MAJOR 0
#define NOMA_SYNTAX_VERSION_MINOR 2
#define NOMA_SYNTAX_VERSION_PATCH 0
#define NOMA_SYNTAX_VERSION_STRING "0.2.0"

namespace noma::syntax {
inline constexpr char kVersion[] = NOMA_SYNTAX_VERSION_STRING;
}  // namespace noma::syntax

#endif  // NOMA_SYNTAX_VERSION_H_
