#include "noma/gpu/simulator.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/Support/TargetSelect.h"
#include "noma/runtime/tensor.h"

namespace noma::gpu {

using HostKernel = void (*)(void** params, int64_t begin, int64_t end);

struct Simulator::State {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::map<CUdeviceptr, size_t> buffers;  // Live allocations.
  Counters* counters = nullptr;
};

namespace {

Simulator::State* active = nullptr;

// libdevice's functions as the CPU runtime computes them.
double Unary(runtime::UnaryKernel op, double x) { return runtime::ApplyUnary(op, x); }
extern "C" {
double noma_sim_exp(double x) { return Unary(runtime::UnaryKernel::kExp, x); }
double noma_sim_tanh(double x) { return Unary(runtime::UnaryKernel::kTanh, x); }
double noma_sim_log(double x) { return Unary(runtime::UnaryKernel::kLog, x); }
double noma_sim_sqrt(double x) { return Unary(runtime::UnaryKernel::kSqrt, x); }
double noma_sim_sin(double x) { return Unary(runtime::UnaryKernel::kSin, x); }
double noma_sim_cos(double x) { return Unary(runtime::UnaryKernel::kCos, x); }
double noma_sim_tan(double x) { return Unary(runtime::UnaryKernel::kTan, x); }
double noma_sim_fabs(double x) { return std::fabs(x); }
double noma_sim_floor(double x) { return std::floor(x); }
double noma_sim_ceil(double x) { return std::ceil(x); }
double noma_sim_trunc(double x) { return std::trunc(x); }
double noma_sim_fmod(double x, double y) { return std::fmod(x, y); }
double noma_sim_pow(double x, double y) {
  return runtime::ApplyBinary(runtime::BinaryKernel::kPow, x, y);
}
}

std::string ErrorText(llvm::Error error) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  stream << error;
  return stream.str();
}

// Copies must stay inside one allocation, as on a device.
bool Inside(CUdeviceptr pointer, size_t bytes) {
  auto it = active->buffers.upper_bound(pointer);
  if (it == active->buffers.begin()) return false;
  --it;
  return pointer + bytes <= it->first + it->second;
}

DriverApi SimulatedApi() {
  DriverApi api{};
  api.init = [](unsigned) { return CUDA_SUCCESS; };
  api.device_get_count = [](int* count) {
    *count = 1;
    return CUDA_SUCCESS;
  };
  api.device_get = [](CUdevice* device, int) {
    *device = 0;
    return CUDA_SUCCESS;
  };
  api.device_get_name = [](char* name, int length, CUdevice) {
    std::snprintf(name, static_cast<size_t>(length), "NOMA simulated GPU");
    return CUDA_SUCCESS;
  };
  api.primary_ctx_retain = [](CUcontext* context, CUdevice) {
    *context = reinterpret_cast<CUcontext>(0x1);
    return CUDA_SUCCESS;
  };
  api.primary_ctx_release = [](CUdevice) { return CUDA_SUCCESS; };
  api.ctx_set_current = [](CUcontext) { return CUDA_SUCCESS; };
  api.module_load_data = [](CUmodule* module, const void* image) {
    // The real driver compiles the PTX; the simulator only checks that there is some.
    if (image == nullptr) return CUDA_ERROR_INVALID_IMAGE;
    *module = reinterpret_cast<CUmodule>(0x2);
    return CUDA_SUCCESS;
  };
  api.module_unload = [](CUmodule) { return CUDA_SUCCESS; };
  api.module_get_function = [](CUfunction* function, CUmodule, const char* name) {
    auto symbol = active->jit->lookup(name);
    if (!symbol) {
      llvm::consumeError(symbol.takeError());
      return CUDA_ERROR_NOT_FOUND;
    }
    *function = reinterpret_cast<CUfunction>(symbol->toPtr<void*>());
    return CUDA_SUCCESS;
  };
  api.mem_alloc = [](CUdeviceptr* pointer, size_t bytes) {
    void* memory = std::malloc(bytes);
    if (memory == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
    std::memset(memory, 0xff, bytes);  // Garbage, as fresh device memory is: NaNs.
    *pointer = reinterpret_cast<CUdeviceptr>(memory);
    active->buffers[*pointer] = bytes;
    ++active->counters->live_buffers;
    return CUDA_SUCCESS;
  };
  api.mem_free = [](CUdeviceptr pointer) {
    if (active->buffers.erase(pointer) == 0) return CUDA_ERROR_INVALID_VALUE;
    std::free(reinterpret_cast<void*>(pointer));
    --active->counters->live_buffers;
    return CUDA_SUCCESS;
  };
  api.memcpy_htod = [](CUdeviceptr dst, const void* src, size_t bytes) {
    if (!Inside(dst, bytes)) return CUDA_ERROR_INVALID_VALUE;
    std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
    active->counters->uploaded_bytes += static_cast<int64_t>(bytes);
    return CUDA_SUCCESS;
  };
  api.memcpy_dtoh = [](void* dst, CUdeviceptr src, size_t bytes) {
    if (!Inside(src, bytes)) return CUDA_ERROR_INVALID_VALUE;
    std::memcpy(dst, reinterpret_cast<const void*>(src), bytes);
    active->counters->downloaded_bytes += static_cast<int64_t>(bytes);
    return CUDA_SUCCESS;
  };
  api.launch_kernel = [](CUfunction function, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                         unsigned block_x, unsigned block_y, unsigned block_z, unsigned, CUstream,
                         void** params, void** extra) {
    if (grid_y != 1 || grid_z != 1 || block_y != 1 || block_z != 1 || extra != nullptr ||
        block_x == 0 || block_x > 1024) {
      return CUDA_ERROR_INVALID_VALUE;
    }
    ++active->counters->launches;
    reinterpret_cast<HostKernel>(function)(
        params, 0, static_cast<int64_t>(grid_x) * static_cast<int64_t>(block_x));
    return CUDA_SUCCESS;
  };
  api.ctx_synchronize = [] { return CUDA_SUCCESS; };
  api.get_error_name = [](CUresult error, const char** name) {
    *name = error == CUDA_ERROR_NOT_FOUND       ? "CUDA_ERROR_NOT_FOUND"
            : error == CUDA_ERROR_OUT_OF_MEMORY ? "CUDA_ERROR_OUT_OF_MEMORY"
            : error == CUDA_ERROR_INVALID_VALUE ? "CUDA_ERROR_INVALID_VALUE"
                                                : "CUDA_ERROR_UNKNOWN";
    return CUDA_SUCCESS;
  };
  return api;
}

BlasApi SimulatedBlas() {
  BlasApi blas{};
  blas.create = [](void** handle) {
    *handle = reinterpret_cast<void*>(0x3);
    ++active->counters->live_handles;
    return 0;
  };
  blas.destroy = [](void*) {
    --active->counters->live_handles;
    return 0;
  };
  blas.dgemm = [](void*, int transa, int transb, int m, int n, int k, const double* alpha,
                  const double* a, int lda, const double* b, int ldb, const double* beta, double* c,
                  int ldc) {
    if (transa != 0 || transb != 0 || lda < m || ldb < k || ldc < m) return 7;  // INVALID_VALUE
    ++active->counters->dgemms;
    for (int j = 0; j < n; ++j) {
      for (int i = 0; i < m; ++i) {
        double total = 0;
        for (int p = 0; p < k; ++p) total += a[i + p * lda] * b[p + j * ldb];
        c[i + j * ldc] = *alpha * total + (*beta == 0 ? 0 : *beta * c[i + j * ldc]);
      }
    }
    return 0;
  };
  return blas;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Simulator>> Simulator::Create(
    const std::vector<ChainKernel>& chains) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  auto context = std::make_unique<llvm::LLVMContext>();
  absl::StatusOr<std::unique_ptr<llvm::Module>> module =
      BuildKernelModule(*context, chains, KernelTarget::kHost);
  if (!module.ok()) return module.status();
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit) return absl::InternalError(ErrorText(jit.takeError()));
  llvm::orc::SymbolMap math;
  const std::pair<const char*, void*> functions[] = {
      {"__nv_exp", reinterpret_cast<void*>(noma_sim_exp)},
      {"__nv_tanh", reinterpret_cast<void*>(noma_sim_tanh)},
      {"__nv_log", reinterpret_cast<void*>(noma_sim_log)},
      {"__nv_sqrt", reinterpret_cast<void*>(noma_sim_sqrt)},
      {"__nv_sin", reinterpret_cast<void*>(noma_sim_sin)},
      {"__nv_cos", reinterpret_cast<void*>(noma_sim_cos)},
      {"__nv_tan", reinterpret_cast<void*>(noma_sim_tan)},
      {"__nv_fabs", reinterpret_cast<void*>(noma_sim_fabs)},
      {"__nv_floor", reinterpret_cast<void*>(noma_sim_floor)},
      {"__nv_ceil", reinterpret_cast<void*>(noma_sim_ceil)},
      {"__nv_trunc", reinterpret_cast<void*>(noma_sim_trunc)},
      {"__nv_fmod", reinterpret_cast<void*>(noma_sim_fmod)},
      {"__nv_pow", reinterpret_cast<void*>(noma_sim_pow)},
  };
  for (const auto& [name, address] : functions) {
    math[(*jit)->mangleAndIntern(name)] = llvm::orc::ExecutorSymbolDef(
        llvm::orc::ExecutorAddr::fromPtr(address), llvm::JITSymbolFlags::Exported);
  }
  if (llvm::Error error =
          (*jit)->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(math)))) {
    return absl::InternalError(ErrorText(std::move(error)));
  }
  (*module)->setDataLayout((*jit)->getDataLayout());
  if (llvm::Error error = (*jit)->addIRModule(
          llvm::orc::ThreadSafeModule(*std::move(module), std::move(context)))) {
    return absl::InternalError(ErrorText(std::move(error)));
  }
  std::unique_ptr<Simulator> simulator(new Simulator());
  simulator->state_ = std::make_unique<State>();
  simulator->state_->jit = std::move(*jit);
  simulator->state_->counters = &simulator->counters_;
  simulator->api_ = SimulatedApi();
  simulator->blas_ = SimulatedBlas();
  active = simulator->state_.get();
  return simulator;
}

Simulator::~Simulator() {
  for (const auto& [pointer, bytes] : state_->buffers) std::free(reinterpret_cast<void*>(pointer));
  if (active == state_.get()) active = nullptr;
}

}  // namespace noma::gpu
