#ifndef NOMA_GPU_PTX_H_
#define NOMA_GPU_PTX_H_

// The GPU kernels of a program, generated as LLVM IR and compiled to PTX by LLVM's NVPTX back
// end (math functions from CUDA's libdevice). One module holds:
//  - an elementwise kernel per chain (ChainKernelName): every unary and binary operation alone
//    (StandardChains) and every fused chain of the program (ProgramChains). Parameters:
//      (double* out, i64 rows, i64 cols, then per leaf: const double* base, i64 row_stride,
//       i64 col_stride, double scalar)   -- base null: the leaf is `scalar`.
//    One thread per element of the [rows, cols] result.
//  - noma_matmul(out, a, b, i64 n, i64 k, i64 m): one thread per kMatmulTile² block of outputs
//    (kernel_names.h), each output summed over k in order.
//  - noma_transpose(out, a, i64 rows, i64 cols): one thread per element.
//  - noma_reduce(out, x, i64 outer, i64 n, i64 inner, double divisor): one thread per output.
// Each result element is computed in the CPU kernels' order without contraction into FMAs
// (runtime/device.h), so results match the CPU path up to the math library.
//
// The same kernels can be built for the host (KernelTarget::kHost), where each kernel becomes
// `void NAME(void** params, i64 begin, i64 end)` running threads [begin, end): the simulator
// (simulator.h) runs programs through the real launcher with them on machines without a GPU.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "noma/graph/ir.h"

namespace noma::gpu {

// One elementwise chain: noma_p_group_begin's program over `leaf_count` leaves.
struct ChainKernel {
  std::vector<int32_t> program;
  int32_t leaf_count = 0;
};

// Every unary and every binary operation as a one-node chain.
std::vector<ChainKernel> StandardChains();
// The fused chains of every function of `module` (codegen::PlanFusionGroups).
std::vector<ChainKernel> ProgramChains(const graph::Module& module);

enum class KernelTarget { kNvptx, kHost };

// The kernel module: the standard kernels, StandardChains and `chains` (duplicates dropped).
// For kHost, math functions stay declarations named as in libdevice (__nv_exp, ...).
absl::StatusOr<std::unique_ptr<llvm::Module>> BuildKernelModule(
    llvm::LLVMContext& context, const std::vector<ChainKernel>& chains, KernelTarget target);

// PTX of BuildKernelModule(kNvptx) for `sm` ("sm_80", "sm_90"), linked with `libdevice`.
absl::StatusOr<std::string> KernelsPtx(const std::vector<ChainKernel>& chains,
                                       const std::string& sm, const std::string& libdevice);

// CUDA's libdevice under `cuda_prefix` (nvvm/libdevice/libdevice.10.bc).
std::string LibdevicePath(const std::string& cuda_prefix);

}  // namespace noma::gpu

#endif  // NOMA_GPU_PTX_H_
