#include "noma/gpu/program_cuda.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "noma/gpu/cuda_backend.h"
#include "noma/runtime/device.h"

namespace noma::gpu {

const char kGpuProgramHelp[] =
    "usage: PROGRAM [options]\n"
    "\n"
    "A NOMA program compiled with `noma build-exe --target=cuda`; it trains on an NVIDIA GPU\n"
    "when it runs.\n"
    "\n"
    "options:\n"
    "  --device=cuda|auto|cpu  where tensors are computed: the GPU (default; an error without\n"
    "                     one), the GPU when there is one (else the CPU, with a notice), or\n"
    "                     the CPU\n"
    "  --gpu-matmul=generated|cublas  matmul by NOMA's kernel (default: sums in the CPU's\n"
    "                     order) or by cuBLAS, loaded at run time (faster; last bits "
    "differ)\n" NOMA_P_OPTIONS_HELP "  -h, --help         show this help\n";

std::string TakeGpuOptions(std::vector<const char*>* args, GpuRunOptions* options) {
  std::vector<const char*> rest;
  for (size_t i = 0; i < args->size(); ++i) {
    std::string arg = (*args)[i];
    if (arg.rfind("--gpu-matmul=", 0) == 0) {
      std::string value = arg.substr(sizeof("--gpu-matmul=") - 1);
      if (value != "generated" && value != "cublas") {
        return absl::StrCat("--gpu-matmul must be generated or cublas, not '", value, "'");
      }
      options->cublas = value == "cublas";
      continue;
    }
    std::string value;
    if (arg.rfind("--device=", 0) == 0) {
      value = arg.substr(sizeof("--device=") - 1);
    } else if (arg == "--device") {
      if (i + 1 >= args->size()) return "--device needs a value: cuda, auto or cpu";
      value = (*args)[++i];
    } else {
      rest.push_back((*args)[i]);
      continue;
    }
    if (value == "cuda") {
      options->device = DeviceChoice::kCuda;
    } else if (value == "auto") {
      options->device = DeviceChoice::kAuto;
    } else if (value == "cpu") {
      options->device = DeviceChoice::kCpu;
    } else {
      return absl::StrCat("--device must be cuda, auto or cpu, not '", value, "'");
    }
  }
  *args = std::move(rest);
  return "";
}

namespace {

absl::StatusOr<std::unique_ptr<CudaBackend>> OpenBackend(const std::string& ptx,
                                                         const GpuRunOptions& gpu,
                                                         const DriverApi* driver,
                                                         const BlasApi* blas) {
  DriverApi api;
  if (driver != nullptr) {
    api = *driver;
  } else {
    absl::StatusOr<DriverApi> loaded = LoadDriver();
    if (!loaded.ok()) return loaded.status();
    api = *loaded;
  }
  absl::StatusOr<std::unique_ptr<Device>> device = Device::Open(api);
  if (!device.ok()) return device.status();
  absl::StatusOr<std::unique_ptr<CudaBackend>> backend =
      CudaBackend::Create(*std::move(device), ptx);
  if (!backend.ok() || !gpu.cublas) return backend;
  absl::StatusOr<BlasApi> blas_api = blas != nullptr ? *blas : LoadBlas();
  // Not "no GPU": the GPU is there, the library asked for is not.
  if (!blas_api.ok()) return absl::UnavailableError(blas_api.status().message());
  // A cuBLAS handle belongs to the context current when it is made.
  if (absl::Status entered = (*backend)->Enter(); !entered.ok()) return entered;
  absl::StatusOr<std::unique_ptr<Blas>> opened = Blas::Open(*blas_api);
  if (!opened.ok()) return opened.status();
  (*backend)->UseBlas(*std::move(opened));
  return backend;
}

}  // namespace

int32_t RunProgram(const noma_program* program, const std::string& ptx,
                   const noma_run_options& options, const GpuRunOptions& gpu,
                   const DriverApi* driver, const BlasApi* blas) {
  DeviceChoice choice = gpu.device;
  if (choice == DeviceChoice::kCpu) return noma_p_run(program, &options);
  absl::StatusOr<std::unique_ptr<CudaBackend>> backend = OpenBackend(ptx, gpu, driver, blas);
  if (!backend.ok()) {
    std::string reason(backend.status().message());
    if (choice == DeviceChoice::kAuto) {
      std::fprintf(stderr, "noma: no usable CUDA GPU (%s); running on the CPU\n", reason.c_str());
      return noma_p_run(program, &options);
    }
    // No driver (NotFound) or no device (FailedPrecondition), or a GPU that cannot run it.
    bool absent =
        absl::IsNotFound(backend.status()) || absl::IsFailedPrecondition(backend.status());
    std::fprintf(stderr, "error: %s: %s (use --device=auto to run on the CPU instead)\n",
                 absent ? "this program runs on an NVIDIA GPU, but there is none"
                        : "this program cannot start on the GPU",
                 reason.c_str());
    return 1;
  }
  runtime::SetDeviceBackend(backend->get());
  int32_t code = noma_p_run(program, &options);
  runtime::SetDeviceBackend(nullptr);
  return code;
}

}  // namespace noma::gpu

extern "C" int32_t noma_gpu_main(const noma_program* program, const char* ptx, int argc,
                                 char** argv) {
  std::vector<const char*> args(argv + 1, argv + argc);
  noma::gpu::GpuRunOptions gpu;
  std::string error = noma::gpu::TakeGpuOptions(&args, &gpu);
  if (!error.empty()) {
    std::fprintf(stderr, "error: %s (see --help)\n", error.c_str());
    return 2;
  }
  noma_run_options options;
  int32_t parsed = noma_p_parse_options(static_cast<int>(args.size()), args.data(),
                                        noma::gpu::kGpuProgramHelp, &options);
  if (parsed == 1) return 0;
  if (parsed != 0) return parsed;
  return noma::gpu::RunProgram(program, ptx, options, gpu);
}
