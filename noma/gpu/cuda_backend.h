#ifndef NOMA_GPU_CUDA_BACKEND_H_
#define NOMA_GPU_CUDA_BACKEND_H_

// The runtime's device backend (noma/runtime/device.h) on a CUDA GPU: the program's kernels
// (ptx.h) loaded from PTX and launched through the driver API (cuda_driver.h), device memory
// reused through a cache of freed buffers (cuMemAlloc/cuMemFree synchronise and are slow).

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"
#include "noma/gpu/cublas.h"
#include "noma/gpu/cuda_driver.h"
#include "noma/runtime/device.h"

namespace noma::gpu {

class CudaBackend : public runtime::DeviceBackend {
 public:
  // Loads `ptx` (the kernels of ptx.h) on `device`.
  static absl::StatusOr<std::unique_ptr<CudaBackend>> Create(std::unique_ptr<Device> device,
                                                             const std::string& ptx);
  ~CudaBackend() override;

  absl::StatusOr<runtime::DeviceAddress> Allocate(int64_t elements) override;
  void Free(runtime::DeviceAddress address, int64_t elements) override;
  absl::Status Upload(runtime::DeviceAddress dst, const double* src, int64_t elements) override;
  absl::Status Download(double* dst, runtime::DeviceAddress src, int64_t elements) override;
  absl::Status Elementwise(absl::Span<const int32_t> program, runtime::DeviceAddress out,
                           int64_t rows, int64_t cols,
                           absl::Span<const runtime::DeviceOperand> operands) override;
  absl::Status Matmul(runtime::DeviceAddress out, runtime::DeviceAddress a,
                      runtime::DeviceAddress b, int64_t n, int64_t k, int64_t m) override;
  absl::Status Transpose(runtime::DeviceAddress out, runtime::DeviceAddress a, int64_t rows,
                         int64_t cols) override;
  absl::Status Reduce(runtime::DeviceAddress out, runtime::DeviceAddress x, int64_t outer,
                      int64_t n, int64_t inner, double divisor) override;

  // Matmul through cuBLAS instead of the generated kernel (must be opened on this device).
  void UseBlas(std::unique_ptr<Blas> blas) { blas_ = std::move(blas); }
  // Makes the context current when called from a thread other than the last one's.
  absl::Status Enter();

  const Device& device() const { return *device_; }
  // Kernel launches so far (for tests and benchmarks).
  int64_t launches() const { return launches_; }

 private:
  CudaBackend(std::unique_ptr<Device> device, CUmodule module)
      : device_(std::move(device)), module_(module) {}
  // The kernel `name`, looked up once; NotFound when the module has none.
  absl::StatusOr<CUfunction> Kernel(const std::string& name);
  absl::Status Launch(const std::string& name, int64_t threads, std::vector<void*> params);

  std::unique_ptr<Device> device_;
  CUmodule module_;
  std::unique_ptr<Blas> blas_;
  std::unordered_map<std::string, CUfunction> kernels_;
  std::unordered_set<std::string> missing_;  // Names the module lacks.
  // Freed buffers by element count, and how many bytes they hold.
  std::unordered_map<int64_t, std::vector<CUdeviceptr>> free_buffers_;
  int64_t cached_bytes_ = 0;
  int64_t launches_ = 0;
};

}  // namespace noma::gpu

#endif  // NOMA_GPU_CUDA_BACKEND_H_
