#ifndef NOMA_GPU_PROGRAM_CUDA_H_
#define NOMA_GPU_PROGRAM_CUDA_H_

// Running a compiled program (noma/runtime/program.h) with its tensor work on a CUDA GPU:
// `--target=cuda` executables start in noma_gpu_main, and `noma fast-run --target=cuda` calls
// RunProgram. Without a usable GPU the program stops with a clear error, or, with
// `--device=auto`, says so in one line on stderr and runs on the CPU.

#include <string>
#include <vector>

#include "noma/gpu/cuda_driver.h"
#include "noma/runtime/program.h"

namespace noma::gpu {

enum class DeviceChoice {
  kCuda,  // The GPU or an error (the default of a GPU build).
  kAuto,  // The GPU when there is one, else the CPU.
  kCpu,
};

// Takes `--device=cuda|auto|cpu` (or `--device VALUE`) out of `args`. Returns "" or the usage
// error.
std::string TakeDeviceOption(std::vector<const char*>* args, DeviceChoice* choice);

// Runs `program` (as noma_p_run) with its kernels from `ptx`. `driver`: the CUDA driver to
// use; nullptr loads libcuda.so.1. Returns the process exit code.
int32_t RunProgram(const noma_program* program, const std::string& ptx,
                   const noma_run_options& options, DeviceChoice choice,
                   const DriverApi* driver = nullptr);

// The help of a GPU executable's options.
extern const char kGpuProgramHelp[];

}  // namespace noma::gpu

extern "C" {
// main() of a `--target=cuda` executable.
int32_t noma_gpu_main(const noma_program* program, const char* ptx, int argc, char** argv);
}

#endif  // NOMA_GPU_PROGRAM_CUDA_H_
