#ifndef NOMA_GPU_PROGRAM_CUDA_H_
#define NOMA_GPU_PROGRAM_CUDA_H_

// Running a compiled program (noma/runtime/program.h) with its tensor work on a CUDA GPU:
// `--target=cuda` executables start in noma_gpu_main, and `noma fast-run --target=cuda` calls
// RunProgram. Without a usable GPU the program stops with a clear error, or, with
// `--device=auto`, says so in one line on stderr and runs on the CPU.

#include <string>
#include <vector>

#include "noma/gpu/cublas.h"
#include "noma/gpu/cuda_driver.h"
#include "noma/runtime/program.h"

namespace noma::gpu {

enum class DeviceChoice {
  kCuda,  // The GPU or an error (the default of a GPU build).
  kAuto,  // The GPU when there is one, else the CPU.
  kCpu,
};

// The program options of GPU builds.
struct GpuRunOptions {
  DeviceChoice device = DeviceChoice::kCuda;  // --device=cuda|auto|cpu
  bool cublas = false;                        // --gpu-matmul=cublas (default: generated)
};

// Takes the GpuRunOptions (`--device=V`, `--device V`, `--gpu-matmul=V`) out of `args`.
// Returns "" or the usage error.
std::string TakeGpuOptions(std::vector<const char*>* args, GpuRunOptions* options);

// Runs `program` (as noma_p_run) with its kernels from `ptx`. `driver` / `blas`: the CUDA
// driver and cuBLAS to use; nullptr loads libcuda.so.1 / libcublas. Returns the exit code.
int32_t RunProgram(const noma_program* program, const std::string& ptx,
                   const noma_run_options& options, const GpuRunOptions& gpu,
                   const DriverApi* driver = nullptr, const BlasApi* blas = nullptr);

// The help of a GPU executable's options.
extern const char kGpuProgramHelp[];

}  // namespace noma::gpu

extern "C" {
// main() of a `--target=cuda` executable.
int32_t noma_gpu_main(const noma_program* program, const char* ptx, int argc, char** argv);
}

#endif  // NOMA_GPU_PROGRAM_CUDA_H_
