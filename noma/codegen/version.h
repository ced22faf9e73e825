#ifndef NOMA_CODEGEN_VERSION_H_
#define NOMA_CODEGEN_VERSION_H_

// Semantic version of the noma/codegen public API; bump on any API change.
#define NOMA_CODEGEN_VERSION_MAJOR 0
#define NOMA_CODEGEN_VERSION_MINOR 3
#define NOMA_CODEGEN_VERSION_PATCH 0
#define NOMA_CODEGEN_VERSION_STRING "0.3.0"

namespace noma::codegen {
inline constexpr char kVersion[] = NOMA_CODEGEN_VERSION_STRING;
}  // namespace noma::codegen

#endif  // NOMA_CODEGEN_VERSION_H_
