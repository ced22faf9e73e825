#ifndef NOMA_GPU_PTX_H_
#define NOMA_GPU_PTX_H_

// PTX for NVIDIA GPUs through LLVM's NVPTX back end: one kernel per fused elementwise chain
// (codegen::FusionProgram), math functions from CUDA's libdevice.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace noma::gpu {

// The PTX of kernel `name` evaluating `program` (noma_p_fused's encoding, over `leaf_count`
// leaves) elementwise on a [rows, cols] result, one thread per element. Parameters:
//   (double* out, i64 rows, i64 cols, then per leaf: const double* base, i64 row_stride,
//    i64 col_stride)   -- strides in elements, 0 where the leaf is broadcast.
// `sm` is the target architecture ("sm_80", "sm_90"); `libdevice` the path of CUDA's
// libdevice.10.bc.
absl::StatusOr<std::string> ElementwiseKernelPtx(const std::vector<int32_t>& program,
                                                 int32_t leaf_count, const std::string& name,
                                                 const std::string& sm,
                                                 const std::string& libdevice);

// One fused chain to compile: its noma_p_fused program, leaf count and kernel name.
struct ChainKernel {
  std::vector<int32_t> program;
  int32_t leaf_count = 0;
  std::string name;
};

// One PTX module with a kernel per chain (ElementwiseKernelPtx's calling convention).
absl::StatusOr<std::string> ChainsPtx(const std::vector<ChainKernel>& chains, const std::string& sm,
                                      const std::string& libdevice);

// CUDA's libdevice under `cuda_prefix` (nvvm/libdevice/libdevice.10.bc).
std::string LibdevicePath(const std::string& cuda_prefix);

}  // namespace noma::gpu

#endif  // NOMA_GPU_PTX_H_
