#ifndef NOMA_GPU_KERNEL_NAMES_H_
#define NOMA_GPU_KERNEL_NAMES_H_

// Names of the generated GPU kernels, shared by the compiler (which generates them) and the
// launcher (which looks them up): an elementwise chain's kernel is named after its content, so
// the launcher finds the kernel of any chain from the chain alone.

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/types/span.h"

namespace noma::gpu {

inline constexpr char kMatmulKernel[] = "noma_matmul";
inline constexpr char kTransposeKernel[] = "noma_transpose";
inline constexpr char kReduceKernel[] = "noma_reduce";
// Each thread of noma_matmul computes a kMatmulTile x kMatmulTile block of the result.
inline constexpr int64_t kMatmulTile = 4;

// "noma_ew_" + 64-bit FNV-1a of the leaf count and the chain's words (noma_p_group_begin's
// encoding).
inline std::string ChainKernelName(int32_t leaf_count, absl::Span<const int32_t> program) {
  uint64_t hash = 14695981039346656037ull;
  auto mix = [&hash](int32_t word) {
    for (int shift = 0; shift < 32; shift += 8) {
      hash ^= (static_cast<uint32_t>(word) >> shift) & 0xff;
      hash *= 1099511628211ull;
    }
  };
  mix(leaf_count);
  for (int32_t word : program) mix(word);
  char name[32];
  std::snprintf(name, sizeof name, "noma_ew_%016llx", static_cast<unsigned long long>(hash));
  return name;
}

}  // namespace noma::gpu

#endif  // NOMA_GPU_KERNEL_NAMES_H_
