#ifndef NOMA_RUNTIME_VERSION_H_
#define NOMA_RUNTIME_VERSION_H_

// Semantic version of the noma/runtime public API; bump on any API change.
#define NOMA_RUNTIME_VERSION_MAJOR 0
#define NOMA_RUNTIME_VERSION_MINOR 6
#define NOMA_RUNTIME_VERSION_PATCH 0
#define NOMA_RUNTIME_VERSION_STRING "0.6.0"

namespace noma::runtime {
inline constexpr char kVersion[] = NOMA_RUNTIME_VERSION_STRING;
}  // namespace noma::runtime

#endif  // NOMA_RUNTIME_VERSION_H_
