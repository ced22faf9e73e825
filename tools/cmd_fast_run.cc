// noma fast-run: compile a program to native code with the ORC JIT and run it in-process.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "noma/driver/driver.h"
#include "noma/driver/native.h"
#include "noma/gpu/program_cuda.h"
#include "noma/runtime/program.h"
#include "tools/commands.h"
#include "tools/native_flags.h"
#include "tools/paths.h"

namespace noma::tools {
namespace {

std::string FastRunUsage() {
  return absl::StrCat(
      "usage: noma fast-run FILE [options]\n"
      "\n"
      "Compiles FILE (gradients included) to native code with LLVM's ORC JIT, in this\n"
      "process and without temporary files, and runs it: training happens at run time.\n"
      "\n"
      "options:\n",
      kProgramOptionsHelp,
      "  --device=cuda|auto|cpu  with --target=cuda: the GPU (default; an error without one),\n"
      "                     the GPU when there is one (else the CPU, with a notice), or the CPU\n"
      "  --gpu-matmul=generated|cublas  with --target=cuda: matmul by NOMA's kernel (default)\n"
      "                     or by cuBLAS, loaded at run time\n",
      kCodegenFlagsHelp, kGpuFlagsHelp, "  -h, --help         show this help\n");
}

}  // namespace

int FastRunCommand(const std::vector<std::string>& args) {
  std::string file;
  codegen::Options options;
  options.target_cpu = "native";
  GpuTarget gpu;
  std::vector<const char*> program_args;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string error;
    if (arg == "-h" || arg == "--help") {
      std::cout << FastRunUsage();
      return 0;
    }
    if (ParseCodegenFlag(args, &i, &options, &error) || ParseGpuFlag(args, &i, &gpu, &error)) {
      if (!error.empty()) {
        std::cerr << "noma fast-run: error: " << error << "\n";
        return 2;
      }
    } else if (file.empty() && !arg.empty() && arg[0] != '-') {
      file = arg;
    } else {
      TakeProgramArg(args, &i, &program_args);
    }
  }
  if (file.empty()) {
    std::cerr << "noma fast-run: error: no input file\n" << FastRunUsage();
    return 2;
  }
  gpu::GpuRunOptions gpu_options;
  std::vector<const char*> cpu_args = program_args;
  if (std::string problem = gpu::TakeGpuOptions(&program_args, &gpu_options); !problem.empty()) {
    std::cerr << "error: " << problem << " (see --help)\n";
    return 2;
  }
  if (!gpu.cuda && program_args.size() != cpu_args.size()) {
    std::cerr << "error: --device and --gpu-matmul need a program compiled with --target=cuda "
                 "(see --help)\n";
    return 2;
  }
  std::string help = FastRunUsage();
  noma_run_options run_options;
  int parsed = noma_p_parse_options(static_cast<int>(program_args.size()), program_args.data(),
                                    help.c_str(), &run_options);
  if (parsed == 1) return 0;
  if (parsed != 0) return parsed;

  driver::Compilation compilation;
  bool ok =
      driver::Compile(ResolveUserPath(file), file, driver::Stage::kDifferentiate, compilation);
  driver::PrintDiagnostics(compilation, std::cerr);
  if (!ok) return 1;
  if (!EnterUserWorkingDirectory()) {
    std::cerr << "noma fast-run: error: cannot enter the working directory\n";
    return 1;
  }
  if (absl::Status prepared = PrepareGpuTarget(compilation, gpu, &options); !prepared.ok()) {
    std::cerr << "noma fast-run: error: " << prepared.message() << "\n";
    return 1;
  }
  std::cout.flush();
  if (!gpu.cuda) return driver::RunNative(compilation, options, run_options, std::cerr);
  const std::string ptx = options.gpu_ptx;
  return driver::RunNative(compilation, options, run_options, std::cerr,
                           [&](const noma_program* program, const noma_run_options& run) {
                             return gpu::RunProgram(program, ptx, run, gpu_options);
                           });
}

}  // namespace noma::tools
