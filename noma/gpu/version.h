#ifndef NOMA_GPU_VERSION_H_
#define NOMA_GPU_VERSION_H_

// Semantic version of the noma/gpu public API; bump on any API change.
#define NOMA_GPU_VERSION_MAJOR 0
#define NOMA_GPU_VERSION_MINOR 1
#define NOMA_GPU_VERSION_PATCH 1
#define NOMA_GPU_VERSION_STRING "0.1.1"

namespace noma::gpu {
inline constexpr char kVersion[] = NOMA_GPU_VERSION_STRING;
}  // namespace noma::gpu

#endif  // NOMA_GPU_VERSION_H_
