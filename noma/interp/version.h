#ifndef NOMA_INTERP_VERSION_H_
#define NOMA_INTERP_VERSION_H_

// Semantic version of the noma/interp public API; bump on any API change.
#define NOMA_INTERP_VERSION_MAJOR 0
#define NOMA_INTERP_VERSION_MINOR 1
#define NOMA_INTERP_VERSION_PATCH 1
#define NOMA_INTERP_VERSION_STRING "0.1.1"

namespace noma::interp {
inline constexpr char kVersion[] = NOMA_INTERP_VERSION_STRING;
}  // namespace noma::interp

#endif  // NOMA_INTERP_VERSION_H_
