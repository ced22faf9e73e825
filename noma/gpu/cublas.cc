#include "noma/gpu/cublas.h"

#include <dlfcn.h>

#include <climits>
#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"

namespace noma::gpu {

absl::StatusOr<BlasApi> LoadBlas() {
  std::vector<std::string> names;
  if (const char* path = std::getenv("NOMA_CUBLAS"); path != nullptr && *path != '\0') {
    names.push_back(path);
  }
  for (const char* name :
       {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"}) {
    names.push_back(name);
  }
  void* library = nullptr;
  std::string tried;
  for (const std::string& name : names) {
    library = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library != nullptr) break;
    absl::StrAppend(&tried, tried.empty() ? "" : ", ", name);
  }
  if (library == nullptr) {
    return absl::NotFoundError(absl::StrCat("no cuBLAS (tried ", tried, "; set NOMA_CUBLAS)"));
  }
  BlasApi api;
  auto resolve = [&](auto** slot, const char* symbol) {
    *slot = reinterpret_cast<std::remove_reference_t<decltype(*slot)>>(dlsym(library, symbol));
    return *slot != nullptr;
  };
  if (!resolve(&api.create, "cublasCreate_v2") || !resolve(&api.destroy, "cublasDestroy_v2") ||
      !resolve(&api.dgemm, "cublasDgemm_v2")) {
    return absl::FailedPreconditionError("cuBLAS lacks cublasCreate_v2/cublasDgemm_v2");
  }
  return api;
}

absl::StatusOr<std::unique_ptr<Blas>> Blas::Open(const BlasApi& api) {
  void* handle = nullptr;
  if (int status = api.create(&handle); status != 0) {
    return absl::InternalError(absl::StrCat("cublasCreate_v2 failed (status ", status, ")"));
  }
  return std::unique_ptr<Blas>(new Blas(api, handle));
}

Blas::~Blas() { api_.destroy(handle_); }

absl::Status Blas::Matmul(CUdeviceptr out, CUdeviceptr a, CUdeviceptr b, int64_t n, int64_t k,
                          int64_t m) {
  if (n > INT_MAX || k > INT_MAX || m > INT_MAX) {
    return absl::InvalidArgumentError("matmul too large for cuBLAS's 32-bit sizes");
  }
  // Row-major out = a · b is column-major outᵀ = bᵀ · aᵀ: the same buffers, operands swapped.
  const double one = 1.0, zero = 0.0;
  int status = api_.dgemm(
      handle_, 0, 0, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), &one,
      reinterpret_cast<const double*>(b), static_cast<int>(m), reinterpret_cast<const double*>(a),
      static_cast<int>(k), &zero, reinterpret_cast<double*>(out), static_cast<int>(m));
  if (status != 0) {
    return absl::InternalError(absl::StrCat("cublasDgemm_v2 failed (status ", status, ")"));
  }
  return absl::OkStatus();
}

}  // namespace noma::gpu
