#ifndef NOMA_GPU_CUDA_DRIVER_H_
#define NOMA_GPU_CUDA_DRIVER_H_

// The CUDA driver API, loaded at run time (dlopen("libcuda.so.1")): nothing links against
// libcuda, so a program built for the GPU still starts on a machine without one and says so.
// Every call is checked; errors name the CUDA error, the driver function and the caller's
// source location.

#include <cuda.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace noma::gpu {

// The driver entry points NOMA uses. Tests fill it with fakes.
struct DriverApi {
  CUresult (*init)(unsigned int flags);
  CUresult (*device_get_count)(int* count);
  CUresult (*device_get)(CUdevice* device, int ordinal);
  CUresult (*device_get_name)(char* name, int length, CUdevice device);
  CUresult (*primary_ctx_retain)(CUcontext* context, CUdevice device);
  CUresult (*primary_ctx_release)(CUdevice device);
  CUresult (*ctx_set_current)(CUcontext context);
  CUresult (*module_load_data)(CUmodule* module, const void* image);
  CUresult (*module_unload)(CUmodule module);
  CUresult (*module_get_function)(CUfunction* function, CUmodule module, const char* name);
  CUresult (*mem_alloc)(CUdeviceptr* pointer, size_t bytes);
  CUresult (*mem_free)(CUdeviceptr pointer);
  CUresult (*memcpy_htod)(CUdeviceptr dst, const void* src, size_t bytes);
  CUresult (*memcpy_dtoh)(void* dst, CUdeviceptr src, size_t bytes);
  CUresult (*launch_kernel)(CUfunction function, unsigned int grid_x, unsigned int grid_y,
                            unsigned int grid_z, unsigned int block_x, unsigned int block_y,
                            unsigned int block_z, unsigned int shared_bytes, CUstream stream,
                            void** params, void** extra);
  CUresult (*ctx_synchronize)();
  CUresult (*get_error_name)(CUresult error, const char** name);
};

// Resolves every entry point of `library` (dlopen + dlsym). NotFound ("no CUDA driver: ...")
// when the library is missing, e.g. on a machine without a GPU driver.
absl::StatusOr<DriverApi> LoadDriver(const std::string& library = "libcuda.so.1");

// "CUDA_ERROR_OUT_OF_MEMORY in cuMemAlloc (at model.noma:12:5)"; OK for CUDA_SUCCESS.
absl::Status CheckCuda(const DriverApi& api, CUresult result, const char* call,
                       const std::string& where);

// One GPU: the primary context of a device, modules and memory. Not thread-safe.
class Device {
 public:
  // Initialises the driver and retains device `ordinal`'s primary context. FailedPrecondition
  // "no CUDA device" when the driver reports none.
  static absl::StatusOr<std::unique_ptr<Device>> Open(const DriverApi& api, int ordinal = 0);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const std::string& name() const { return name_; }
  // Makes the device's context current on the calling thread (contexts are per thread).
  absl::Status MakeCurrent();
  // Loads PTX text (NUL-terminated by this call) and returns the module.
  absl::StatusOr<CUmodule> LoadModule(const std::string& ptx, const std::string& where);
  absl::StatusOr<CUfunction> Function(CUmodule module, const std::string& name,
                                      const std::string& where);
  absl::StatusOr<CUdeviceptr> Allocate(size_t bytes, const std::string& where);
  absl::Status Free(CUdeviceptr pointer, const std::string& where);
  absl::Status Upload(CUdeviceptr dst, const void* src, size_t bytes, const std::string& where);
  absl::Status Download(void* dst, CUdeviceptr src, size_t bytes, const std::string& where);
  // A 1-D launch of `threads` threads in blocks of `block` (the grid is rounded up), followed
  // by nothing: launches are asynchronous until Synchronize or a download.
  absl::Status Launch(CUfunction function, int64_t threads, unsigned int block,
                      std::vector<void*> params, const std::string& where);
  absl::Status Synchronize(const std::string& where);

 private:
  Device(const DriverApi& api, CUdevice device) : api_(api), device_(device) {}
  DriverApi api_;
  CUdevice device_;
  CUcontext context_ = nullptr;
  std::string name_;
  std::vector<CUmodule> modules_;
};

}  // namespace noma::gpu

#endif  // NOMA_GPU_CUDA_DRIVER_H_
