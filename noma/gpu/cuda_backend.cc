#include "noma/gpu/cuda_backend.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "noma/gpu/kernel_names.h"

namespace noma::gpu {
namespace {

constexpr unsigned int kBlock = 256;
// Freed device memory kept for reuse, at most this much.
constexpr int64_t kMaxCachedBytes = int64_t{4} << 30;

CUdeviceptr Pointer(runtime::DeviceAddress address) { return static_cast<CUdeviceptr>(address); }

}  // namespace

absl::StatusOr<std::unique_ptr<CudaBackend>> CudaBackend::Create(std::unique_ptr<Device> device,
                                                                 const std::string& ptx) {
  absl::StatusOr<CUmodule> module = device->LoadModule(ptx, "");
  if (!module.ok()) return module.status();
  return std::unique_ptr<CudaBackend>(new CudaBackend(std::move(device), *module));
}

CudaBackend::~CudaBackend() {
  for (auto& [elements, buffers] : free_buffers_) {
    for (CUdeviceptr buffer : buffers) device_->Free(buffer, "").IgnoreError();
  }
}

absl::Status CudaBackend::Enter() {
  thread_local const CudaBackend* current = nullptr;
  if (current == this) return absl::OkStatus();
  if (absl::Status made = device_->MakeCurrent(); !made.ok()) return made;
  current = this;
  return absl::OkStatus();
}

absl::StatusOr<runtime::DeviceAddress> CudaBackend::Allocate(int64_t elements) {
  if (absl::Status entered = Enter(); !entered.ok()) return entered;
  if (auto it = free_buffers_.find(elements); it != free_buffers_.end() && !it->second.empty()) {
    CUdeviceptr buffer = it->second.back();
    it->second.pop_back();
    cached_bytes_ -= elements * 8;
    return buffer;
  }
  absl::StatusOr<CUdeviceptr> buffer = device_->Allocate(static_cast<size_t>(elements) * 8, "");
  if (absl::IsResourceExhausted(buffer.status()) && cached_bytes_ > 0) {
    // Out of device memory: give the cached buffers back and try once more.
    for (auto& [count, buffers] : free_buffers_) {
      for (CUdeviceptr cached : buffers) device_->Free(cached, "").IgnoreError();
      buffers.clear();
    }
    cached_bytes_ = 0;
    buffer = device_->Allocate(static_cast<size_t>(elements) * 8, "");
  }
  if (!buffer.ok()) return buffer.status();
  return static_cast<runtime::DeviceAddress>(*buffer);
}

void CudaBackend::Free(runtime::DeviceAddress address, int64_t elements) {
  if (address == 0 || !Enter().ok()) return;
  if (cached_bytes_ + elements * 8 <= kMaxCachedBytes) {
    free_buffers_[elements].push_back(Pointer(address));
    cached_bytes_ += elements * 8;
    return;
  }
  device_->Free(Pointer(address), "").IgnoreError();  // Freeing cannot be reported usefully.
}

absl::Status CudaBackend::Upload(runtime::DeviceAddress dst, const double* src, int64_t elements) {
  if (absl::Status entered = Enter(); !entered.ok()) return entered;
  return device_->Upload(Pointer(dst), src, static_cast<size_t>(elements) * 8, "");
}

absl::Status CudaBackend::Download(double* dst, runtime::DeviceAddress src, int64_t elements) {
  // cuMemcpyDtoH waits for the kernels before it on the default stream.
  if (absl::Status entered = Enter(); !entered.ok()) return entered;
  return device_->Download(dst, Pointer(src), static_cast<size_t>(elements) * 8, "");
}

absl::StatusOr<CUfunction> CudaBackend::Kernel(const std::string& name) {
  if (auto it = kernels_.find(name); it != kernels_.end()) return it->second;
  if (missing_.count(name)) return absl::NotFoundError(absl::StrCat("no GPU kernel ", name));
  absl::StatusOr<CUfunction> function = device_->Function(module_, name, "");
  if (!function.ok()) {
    if (absl::IsNotFound(function.status())) missing_.insert(name);
    return function.status();
  }
  kernels_[name] = *function;
  return *function;
}

absl::Status CudaBackend::Launch(const std::string& name, int64_t threads,
                                 std::vector<void*> params) {
  if (absl::Status entered = Enter(); !entered.ok()) return entered;
  absl::StatusOr<CUfunction> function = Kernel(name);
  if (!function.ok()) return function.status();
  ++launches_;
  return device_->Launch(*function, threads, kBlock, std::move(params), "");
}

absl::Status CudaBackend::Elementwise(absl::Span<const int32_t> program, runtime::DeviceAddress out,
                                      int64_t rows, int64_t cols,
                                      absl::Span<const runtime::DeviceOperand> operands) {
  int32_t leaf_count = static_cast<int32_t>(operands.size());
  CUdeviceptr out_pointer = Pointer(out);
  // The kernel reads each parameter through a pointer; these live until the launch returns.
  std::vector<CUdeviceptr> bases(operands.size());
  std::vector<runtime::DeviceOperand> values(operands.begin(), operands.end());
  std::vector<void*> params = {&out_pointer, &rows, &cols};
  for (size_t l = 0; l < operands.size(); ++l) {
    bases[l] = Pointer(values[l].data);
    params.insert(params.end(),
                  {&bases[l], &values[l].row_stride, &values[l].col_stride, &values[l].scalar});
  }
  return Launch(ChainKernelName(leaf_count, program), rows * cols, std::move(params));
}

absl::Status CudaBackend::Matmul(runtime::DeviceAddress out, runtime::DeviceAddress a,
                                 runtime::DeviceAddress b, int64_t n, int64_t k, int64_t m) {
  if (blas_ != nullptr) {
    if (absl::Status entered = Enter(); !entered.ok()) return entered;
    ++launches_;
    return blas_->Matmul(Pointer(out), Pointer(a), Pointer(b), n, k, m);
  }
  CUdeviceptr pointers[3] = {Pointer(out), Pointer(a), Pointer(b)};
  auto tiles = [](int64_t extent) { return (extent + kMatmulTile - 1) / kMatmulTile; };
  return Launch(kMatmulKernel, tiles(n) * tiles(m),
                {&pointers[0], &pointers[1], &pointers[2], &n, &k, &m});
}

absl::Status CudaBackend::Transpose(runtime::DeviceAddress out, runtime::DeviceAddress a,
                                    int64_t rows, int64_t cols) {
  CUdeviceptr pointers[2] = {Pointer(out), Pointer(a)};
  return Launch(kTransposeKernel, rows * cols, {&pointers[0], &pointers[1], &rows, &cols});
}

absl::Status CudaBackend::Reduce(runtime::DeviceAddress out, runtime::DeviceAddress x,
                                 int64_t outer, int64_t n, int64_t inner, double divisor) {
  CUdeviceptr pointers[2] = {Pointer(out), Pointer(x)};
  return Launch(kReduceKernel, outer * inner,
                {&pointers[0], &pointers[1], &outer, &n, &inner, &divisor});
}

}  // namespace noma::gpu
