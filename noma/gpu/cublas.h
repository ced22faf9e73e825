#ifndef NOMA_GPU_CUBLAS_H_
#define NOMA_GPU_CUBLAS_H_

// cuBLAS, loaded at run time like the driver (dlopen): an alternative to the generated matmul
// kernel (`--gpu-matmul=cublas`). Its DGEMM is faster but sums in its own order, so results
// differ from the CPU's in the last bits (docs/gpu.md).

#include <cuda.h>

#include <string>

#include "absl/status/statusor.h"

namespace noma::gpu {

// The cuBLAS entry points NOMA uses, with cuBLAS's ABI: statuses and operations are C enums
// (0 = CUBLAS_STATUS_SUCCESS, 0 = CUBLAS_OP_N), the handle is opaque. Tests fill it with fakes.
struct BlasApi {
  int (*create)(void** handle);
  int (*destroy)(void* handle);
  // Column-major C[m, n] = alpha op(A)[m, k] op(B)[k, n] + beta C (cublasDgemm_v2).
  int (*dgemm)(void* handle, int transa, int transb, int m, int n, int k, const double* alpha,
               const double* a, int lda, const double* b, int ldb, const double* beta, double* c,
               int ldc);
};

// Resolves cuBLAS from $NOMA_CUBLAS, else libcublas.so.13/.12/.11/.so. NotFound when absent.
absl::StatusOr<BlasApi> LoadBlas();

// A cuBLAS handle (on the current context) and row-major DGEMM.
class Blas {
 public:
  static absl::StatusOr<std::unique_ptr<Blas>> Open(const BlasApi& api);
  ~Blas();
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;
  // Row-major out[n, m] = a[n, k] · b[k, m] on device memory.
  absl::Status Matmul(CUdeviceptr out, CUdeviceptr a, CUdeviceptr b, int64_t n, int64_t k,
                      int64_t m);

 private:
  Blas(const BlasApi& api, void* handle) : api_(api), handle_(handle) {}
  BlasApi api_;
  void* handle_;
};

}  // namespace noma::gpu

#endif  // NOMA_GPU_CUBLAS_H_
