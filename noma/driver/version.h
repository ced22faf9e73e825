#ifndef NOMA_DRIVER_VERSION_H_
#define NOMA_DRIVER_VERSION_H_

// Semantic version of the noma/driver public API; bump on any API change.
#define NOMA_DRIVER_VERSION_MAJOR 0
#define NOMA_DRIVER_VERSION_MINOR 4
#define NOMA_DRIVER_VERSION_PATCH 0
#define NOMA_DRIVER_VERSION_STRING "0.4.0"

namespace noma::driver {
inline constexpr char kVersion[] = NOMA_DRIVER_VERSION_STRING;
}  // namespace noma::driver

#endif  // NOMA_DRIVER_VERSION_H_
