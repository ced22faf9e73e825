#include "tools/native_flags.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "noma/runtime/program.h"
#include "tools/paths.h"

namespace noma::tools {

const char kCodegenFlagsHelp[] =
    "  -O0 .. -O3         optimisation level (default -O2)\n"
    "  --fast-math        allow floating-point reassociation and contraction (results may\n"
    "                     then differ from the other modes)\n"
    "  --target-cpu CPU   CPU to generate code for: 'native', or an LLVM name such as\n"
    "                     'x86-64-v3' (default: the host for fast-run, the portable x86-64\n"
    "                     baseline for compile and build-exe)\n";

const char kGpuFlagsHelp[] =
    "  --target=cpu|cuda  where the tensor work runs: the CPU (default), or an NVIDIA GPU\n"
    "                     (kernels compiled to PTX by LLVM; the CUDA driver is loaded at run\n"
    "                     time, and the program's --device=cuda|auto|cpu option chooses)\n"
    "  --gpu-arch=SM      GPU architecture of the PTX: sm_80 (default; also runs on newer\n"
    "                     GPUs) or sm_90\n"
    "  --cuda-path=DIR    the CUDA toolkit, for libdevice (default $NOMA_CUDA_PREFIX, else\n"
    "                     /usr/local/cuda)\n";

GpuTarget::GpuTarget() {
  const char* env = std::getenv("NOMA_CUDA_PREFIX");
  cuda_path = env != nullptr && *env != '\0' ? env : "/usr/local/cuda";
}

bool ParseGpuFlag(const std::vector<std::string>& args, size_t* i, GpuTarget* target,
                  std::string* error) {
  const std::string& arg = args[*i];
  if (arg == "--target=cuda" || arg == "--target=cpu") {
    target->cuda = arg == "--target=cuda";
    return true;
  }
  if (absl::StartsWith(arg, "--target=") || arg == "--target") {
    *error = "unknown target '" + arg + "' (use --target=cpu or --target=cuda)";
    return true;
  }
  if (absl::StartsWith(arg, "--gpu-arch=")) {
    target->sm = arg.substr(sizeof("--gpu-arch=") - 1);
    if (target->sm != "sm_80" && target->sm != "sm_90") {
      *error = "unsupported GPU architecture '" + target->sm + "' (use sm_80 or sm_90)";
    }
    return true;
  }
  if (absl::StartsWith(arg, "--cuda-path=")) {
    target->cuda_path = arg.substr(sizeof("--cuda-path=") - 1);
    return true;
  }
  return false;
}

absl::Status PrepareGpuTarget(const driver::Compilation& compilation, const GpuTarget& target,
                              codegen::Options* options) {
  if (!target.cuda) return absl::OkStatus();
  absl::StatusOr<std::string> ptx =
      driver::CompileToPtx(compilation, target.sm, ResolveUserPath(target.cuda_path));
  if (!ptx.ok()) return ptx.status();
  options->gpu_ptx = *std::move(ptx);
  return absl::OkStatus();
}

bool ParseCodegenFlag(const std::vector<std::string>& args, size_t* i, codegen::Options* options,
                      std::string* error) {
  const std::string& arg = args[*i];
  if (arg.size() == 3 && arg[0] == '-' && arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3') {
    options->opt_level = arg[2] - '0';
    return true;
  }
  if (arg == "-O" && *i + 1 < args.size() && args[*i + 1].size() == 1 && args[*i + 1][0] >= '0' &&
      args[*i + 1][0] <= '3') {  // `-O 3`, as cc accepts it.
    options->opt_level = args[++*i][0] - '0';
    return true;
  }
  if (absl::StartsWith(arg, "-O")) {
    *error = "unknown optimisation level '" + arg + "' (use -O0 .. -O3)";
    return true;
  }
  if (arg == "--fast-math") {
    options->fast_math = true;
    return true;
  }
  if (arg == "--target-cpu" || absl::StartsWith(arg, "--target-cpu=")) {
    if (arg != "--target-cpu") {
      options->target_cpu = arg.substr(sizeof("--target-cpu=") - 1);
    } else if (*i + 1 < args.size()) {
      options->target_cpu = args[++*i];
    } else {
      *error = "--target-cpu needs a CPU name";
    }
    return true;
  }
  return false;
}

std::string FindProgramArchive(bool cuda) {
  const std::string name = cuda ? "libnoma_program_cuda.a" : "libnoma_program.a";
  const std::string package = cuda ? "noma/gpu/" : "noma/runtime/";
  if (const char* env = std::getenv(cuda ? "NOMA_PROGRAM_CUDA_ARCHIVE" : "NOMA_PROGRAM_ARCHIVE");
      env != nullptr && *env != '\0') {
    return env;
  }
  return FindCompanion(package, name);
}

}  // namespace noma::tools
