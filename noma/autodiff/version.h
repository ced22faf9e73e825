#ifndef NOMA_AUTODIFF_VERSION_H_
#define NOMA_AUTODIFF_VERSION_H_

// Semantic version of the noma/autodiff public API; bump on any API change.
#define NOMA_AUTODIFF_VERSION_MAJOR 0
#define NOMA_AUTODIFF_VERSION_MINOR 1
#define NOMA_AUTODIFF_VERSION_PATCH 1
#define NOMA_AUTODIFF_VERSION_STRING "0.1.1"

namespace noma::autodiff {
inline constexpr char kVersion[] = NOMA_AUTODIFF_VERSION_STRING;
}  // namespace noma::autodiff

#endif  // NOMA_AUTODIFF_VERSION_H_
