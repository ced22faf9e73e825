#ifndef NOMA_LSP_VERSION_H_
#define NOMA_LSP_VERSION_H_

// Semantic version of the noma/lsp public API; bump on any API change.
#define NOMA_LSP_VERSION_MAJOR 0
#define NOMA_LSP_VERSION_MINOR 1
#define NOMA_LSP_VERSION_PATCH 0
#define NOMA_LSP_VERSION_STRING "0.1.0"

namespace noma::lsp {
inline constexpr char kVersion[] = NOMA_LSP_VERSION_STRING;
}  // namespace noma::lsp

#endif  // NOMA_LSP_VERSION_H_
