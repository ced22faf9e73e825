#ifndef NOMA_TOOLS_NATIVE_FLAGS_H_
#define NOMA_TOOLS_NATIVE_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "noma/codegen/codegen.h"
#include "noma/driver/driver.h"
#include "noma/driver/native.h"
#include "tools/program_flags.h"

namespace noma::tools {

// Code generation flags shared by `compile`, `fast-run` and `build-exe`:
//   -O0 .. -O3, --fast-math, --target-cpu CPU
// Returns true when args[*i] was one of them (consuming its value); sets `error` on a bad one.
bool ParseCodegenFlag(const std::vector<std::string>& args, size_t* i, codegen::Options* options,
                      std::string* error);

// The help text for those flags.
extern const char kCodegenFlagsHelp[];

// Where the tensor work runs: --target=cpu|cuda, --gpu-arch=SM, --cuda-path=DIR.
struct GpuTarget {
  bool cuda = false;
  std::string sm = "sm_80";  // PTX for sm_80 also runs on newer GPUs (the driver compiles it).
  std::string cuda_path;     // The CUDA toolkit (libdevice): $NOMA_CUDA_PREFIX or /usr/local/cuda.
  GpuTarget();
};
// Like ParseCodegenFlag, for the GpuTarget flags.
bool ParseGpuFlag(const std::vector<std::string>& args, size_t* i, GpuTarget* target,
                  std::string* error);
extern const char kGpuFlagsHelp[];
// For --target=cuda: compiles the program's GPU kernels into options->gpu_ptx.
absl::Status PrepareGpuTarget(const driver::Compilation& compilation, const GpuTarget& target,
                              codegen::Options* options);

// Where `build-exe` finds the static program runtime (libnoma_program.a, or for `cuda`
// libnoma_program_cuda.a): $NOMA_PROGRAM_ARCHIVE (resp. $NOMA_PROGRAM_CUDA_ARCHIVE), else
// beside this binary in its Bazel runfiles, else ../lib/noma/ next to it (an installed
// layout). "" if none.
std::string FindProgramArchive(bool cuda = false);

}  // namespace noma::tools

#endif  // NOMA_TOOLS_NATIVE_FLAGS_H_
