#include "noma/gpu/cuda_driver.h"

#include <dlfcn.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace noma::gpu {
namespace {

template <typename Function>
bool Resolve(void* library, const char* symbol, Function* out) {
  void* address = dlsym(library, symbol);
  *out = reinterpret_cast<Function>(address);
  return address != nullptr;
}

}  // namespace

absl::StatusOr<DriverApi> LoadDriver(const std::string& library) {
  // Kept loaded for the life of the process: the driver is needed until exit.
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = dlerror();
    return absl::NotFoundError(
        absl::StrCat("no CUDA driver: ", reason != nullptr ? reason : library));
  }
  DriverApi api;
  struct Entry {
    const char* symbol;
    bool ok;
  };
  const Entry entries[] = {
      {"cuInit", Resolve(handle, "cuInit", &api.init)},
      {"cuDeviceGetCount", Resolve(handle, "cuDeviceGetCount", &api.device_get_count)},
      {"cuDeviceGet", Resolve(handle, "cuDeviceGet", &api.device_get)},
      {"cuDeviceGetName", Resolve(handle, "cuDeviceGetName", &api.device_get_name)},
      {"cuDevicePrimaryCtxRetain",
       Resolve(handle, "cuDevicePrimaryCtxRetain", &api.primary_ctx_retain)},
      {"cuDevicePrimaryCtxRelease_v2",
       Resolve(handle, "cuDevicePrimaryCtxRelease_v2", &api.primary_ctx_release)},
      {"cuCtxSetCurrent", Resolve(handle, "cuCtxSetCurrent", &api.ctx_set_current)},
      {"cuModuleLoadData", Resolve(handle, "cuModuleLoadData", &api.module_load_data)},
      {"cuModuleUnload", Resolve(handle, "cuModuleUnload", &api.module_unload)},
      {"cuModuleGetFunction", Resolve(handle, "cuModuleGetFunction", &api.module_get_function)},
      {"cuMemAlloc_v2", Resolve(handle, "cuMemAlloc_v2", &api.mem_alloc)},
      {"cuMemFree_v2", Resolve(handle, "cuMemFree_v2", &api.mem_free)},
      {"cuMemcpyHtoD_v2", Resolve(handle, "cuMemcpyHtoD_v2", &api.memcpy_htod)},
      {"cuMemcpyDtoH_v2", Resolve(handle, "cuMemcpyDtoH_v2", &api.memcpy_dtoh)},
      {"cuLaunchKernel", Resolve(handle, "cuLaunchKernel", &api.launch_kernel)},
      {"cuCtxSynchronize", Resolve(handle, "cuCtxSynchronize", &api.ctx_synchronize)},
      {"cuGetErrorName", Resolve(handle, "cuGetErrorName", &api.get_error_name)},
  };
  for (const Entry& entry : entries) {
    if (!entry.ok) {
      return absl::FailedPreconditionError(
          absl::StrCat("the CUDA driver ", library, " has no ", entry.symbol));
    }
  }
  return api;
}

absl::Status CheckCuda(const DriverApi& api, CUresult result, const char* call,
                       const std::string& where) {
  if (result == CUDA_SUCCESS) return absl::OkStatus();
  const char* name = nullptr;
  if (api.get_error_name == nullptr || api.get_error_name(result, &name) != CUDA_SUCCESS ||
      name == nullptr) {
    name = "unknown CUDA error";
  }
  std::string message = absl::StrCat(name, " (", static_cast<int>(result), ") in ", call);
  if (!where.empty()) absl::StrAppend(&message, " (at ", where, ")");
  return result == CUDA_ERROR_OUT_OF_MEMORY ? absl::ResourceExhaustedError(message)
                                            : absl::InternalError(message);
}

absl::StatusOr<std::unique_ptr<Device>> Device::Open(const DriverApi& api, int ordinal) {
  CUresult initialised = api.init(0);
  if (initialised == CUDA_ERROR_NO_DEVICE) return absl::FailedPreconditionError("no CUDA device");
  if (absl::Status s = CheckCuda(api, initialised, "cuInit", ""); !s.ok()) return s;
  int count = 0;
  if (absl::Status s = CheckCuda(api, api.device_get_count(&count), "cuDeviceGetCount", "");
      !s.ok()) {
    return s;
  }
  if (count <= ordinal) {
    return absl::FailedPreconditionError(
        count == 0 ? std::string("no CUDA device")
                   : absl::StrCat("no CUDA device ", ordinal, " (", count, " present)"));
  }
  CUdevice device;
  if (absl::Status s = CheckCuda(api, api.device_get(&device, ordinal), "cuDeviceGet", "");
      !s.ok()) {
    return s;
  }
  std::unique_ptr<Device> result(new Device(api, device));
  char name[256] = {};
  if (absl::Status s =
          CheckCuda(api, api.device_get_name(name, sizeof name - 1, device), "cuDeviceGetName", "");
      !s.ok()) {
    return s;
  }
  result->name_ = name;
  if (absl::Status s = CheckCuda(api, api.primary_ctx_retain(&result->context_, device),
                                 "cuDevicePrimaryCtxRetain", "");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckCuda(api, api.ctx_set_current(result->context_), "cuCtxSetCurrent", "");
      !s.ok()) {
    return s;
  }
  return result;
}

absl::Status Device::MakeCurrent() {
  return CheckCuda(api_, api_.ctx_set_current(context_), "cuCtxSetCurrent", "");
}

Device::~Device() {
  for (CUmodule module : modules_) api_.module_unload(module);
  if (context_ != nullptr) api_.primary_ctx_release(device_);
}

absl::StatusOr<CUmodule> Device::LoadModule(const std::string& ptx, const std::string& where) {
  CUmodule module;
  if (absl::Status s =
          CheckCuda(api_, api_.module_load_data(&module, ptx.c_str()), "cuModuleLoadData", where);
      !s.ok()) {
    return s;
  }
  modules_.push_back(module);
  return module;
}

absl::StatusOr<CUfunction> Device::Function(CUmodule module, const std::string& name,
                                            const std::string& where) {
  CUfunction function;
  CUresult found = api_.module_get_function(&function, module, name.c_str());
  absl::Status checked = CheckCuda(api_, found, "cuModuleGetFunction", where);
  if (found == CUDA_ERROR_NOT_FOUND) {  // Callers may fall back to the host.
    return absl::NotFoundError(absl::StrCat("no GPU kernel ", name, ": ", checked.message()));
  }
  if (!checked.ok()) return checked;
  return function;
}

absl::StatusOr<CUdeviceptr> Device::Allocate(size_t bytes, const std::string& where) {
  CUdeviceptr pointer = 0;
  if (bytes == 0) return pointer;
  if (absl::Status s = CheckCuda(api_, api_.mem_alloc(&pointer, bytes), "cuMemAlloc", where);
      !s.ok()) {
    return s;
  }
  return pointer;
}

absl::Status Device::Free(CUdeviceptr pointer, const std::string& where) {
  if (pointer == 0) return absl::OkStatus();
  return CheckCuda(api_, api_.mem_free(pointer), "cuMemFree", where);
}

absl::Status Device::Upload(CUdeviceptr dst, const void* src, size_t bytes,
                            const std::string& where) {
  if (bytes == 0) return absl::OkStatus();
  return CheckCuda(api_, api_.memcpy_htod(dst, src, bytes), "cuMemcpyHtoD", where);
}

absl::Status Device::Download(void* dst, CUdeviceptr src, size_t bytes, const std::string& where) {
  if (bytes == 0) return absl::OkStatus();
  return CheckCuda(api_, api_.memcpy_dtoh(dst, src, bytes), "cuMemcpyDtoH", where);
}

absl::Status Device::Launch(CUfunction function, int64_t threads, unsigned int block,
                            std::vector<void*> params, const std::string& where) {
  if (threads <= 0) return absl::OkStatus();
  if (block == 0) return absl::InvalidArgumentError("a launch needs a block size");
  int64_t grid = (threads + block - 1) / block;
  if (grid > int64_t{0x7fffffff}) {
    return absl::InvalidArgumentError(absl::StrCat("launch of ", threads, " threads is too large"));
  }
  return CheckCuda(api_,
                   api_.launch_kernel(function, static_cast<unsigned int>(grid), 1, 1, block, 1, 1,
                                      0, nullptr, params.data(), nullptr),
                   "cuLaunchKernel", where);
}

absl::Status Device::Synchronize(const std::string& where) {
  return CheckCuda(api_, api_.ctx_synchronize(), "cuCtxSynchronize", where);
}

}  // namespace noma::gpu
