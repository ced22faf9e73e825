#ifndef NOMA_GPU_SIMULATOR_H_
#define NOMA_GPU_SIMULATOR_H_

// A simulated CUDA GPU for tests on machines without one: a driver function table (DriverApi)
// whose device memory is host memory and whose kernels are the generated GPU kernels compiled
// for the host (ptx.h, KernelTarget::kHost) by LLVM's JIT, with the CPU runtime's math
// functions in place of libdevice's. Programs then run through the real launcher
// (cuda_backend.h, program_cuda.h): kernel selection, parameter passing, grid sizes, device
// residency and the copies between host and device are those of a real GPU run.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "noma/gpu/cublas.h"
#include "noma/gpu/cuda_driver.h"
#include "noma/gpu/ptx.h"

namespace noma::gpu {

class Simulator {
 public:
  // Compiles the standard kernels and `chains` for the host. One simulator at a time.
  static absl::StatusOr<std::unique_ptr<Simulator>> Create(const std::vector<ChainKernel>& chains);
  ~Simulator();

  const DriverApi& api() const { return api_; }
  // A cuBLAS whose DGEMM follows cuBLAS's column-major contract on the simulated memory.
  const BlasApi& blas() const { return blas_; }

  struct Counters {
    int64_t launches = 0;
    int64_t uploaded_bytes = 0;
    int64_t downloaded_bytes = 0;
    int64_t live_buffers = 0;  // Allocated and not freed.
    int64_t dgemms = 0;
    int64_t live_handles = 0;  // cuBLAS handles created and not destroyed.
  };
  const Counters& counters() const { return counters_; }

  struct State;  // The JIT and the fake device (simulator.cc).

 private:
  Simulator() = default;
  DriverApi api_{};
  BlasApi blas_{};
  Counters counters_;
  std::unique_ptr<State> state_;
};

}  // namespace noma::gpu

#endif  // NOMA_GPU_SIMULATOR_H_
