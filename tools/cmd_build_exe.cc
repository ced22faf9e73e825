// noma build-exe: compile a program into a standalone executable that trains when it runs.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "noma/driver/driver.h"
#include "noma/driver/native.h"
#include "tools/commands.h"
#include "tools/native_flags.h"
#include "tools/paths.h"

namespace noma::tools {
namespace {

std::string BuildExeUsage() {
  return absl::StrCat(
      "usage: noma build-exe FILE [-o OUT] [options]\n"
      "\n"
      "Compiles FILE (gradients included) to an object file with LLVM and links it with the\n"
      "static NOMA runtime into OUT, a standalone executable that needs only libc and libm\n"
      "and runs the whole program, training included, when it is started. OUT accepts the\n"
      "options of `noma run` (--seed N, --check-nan, --max-alloc BYTES, --threads N); built\n"
      "with --target=cuda it also takes --device=cuda|auto|cpu.\n"
      "\n"
      "options:\n"
      "  -o OUT             the executable to write (written only if everything succeeds;\n"
      "                     default: FILE's name without .noma, in the current directory)\n",
      kCodegenFlagsHelp, kGpuFlagsHelp,
      "  --linker CC        C++ compiler driver used to link (default: $CXX, else c++)\n"
      "  --runtime-archive A  the static program runtime (default: found next to noma)\n"
      "  -h, --help         show this help\n");
}

int Usage(const std::string& message) {
  std::cerr << "noma build-exe: error: " << message << "\n" << BuildExeUsage();
  return 2;
}

}  // namespace

int BuildExeCommand(const std::vector<std::string>& args) {
  std::string file, output, linker, archive;
  codegen::Options options;
  GpuTarget gpu;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string error;
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << BuildExeUsage();
      return 0;
    } else if (ParseCodegenFlag(args, &i, &options, &error) ||
               ParseGpuFlag(args, &i, &gpu, &error)) {
      if (!error.empty()) return Usage(error);
    } else if (arg == "-o") {
      if (!value(&output)) return Usage("-o needs a file name");
    } else if (arg == "--linker") {
      if (!value(&linker)) return Usage("--linker needs a program");
    } else if (arg == "--runtime-archive") {
      if (!value(&archive)) return Usage("--runtime-archive needs a file");
    } else if (std::string problem = TakeInputFile(arg, &file); !problem.empty()) {
      return Usage(problem);
    }
  }
  if (file.empty()) return Usage("no input file");
  if (output.empty()) {
    // Like cc's a.out, but named after the program: `build-exe dir/xor.noma` writes ./xor.
    std::string base = file.substr(file.rfind('/') + 1);
    if (base.size() <= 5 || base.compare(base.size() - 5, 5, ".noma") != 0) {
      return Usage(absl::StrCat("no output file: '", file,
                                "' does not end in .noma, so name the executable with -o OUT"));
    }
    output = base.substr(0, base.size() - 5);
  }
  if (linker.empty()) {
    const char* cxx = std::getenv("CXX");
    linker = cxx != nullptr && *cxx != '\0' ? cxx : "c++";
  }
  if (archive.empty()) archive = FindProgramArchive(gpu.cuda);
  if (archive.empty()) {
    std::cerr << "noma build-exe: error: cannot find the NOMA program runtime ("
              << (gpu.cuda ? "libnoma_program_cuda.a); set NOMA_PROGRAM_CUDA_ARCHIVE"
                           : "libnoma_program.a); set NOMA_PROGRAM_ARCHIVE")
              << " or --runtime-archive\n";
    return 1;
  }

  driver::Compilation compilation;
  bool ok =
      driver::Compile(ResolveUserPath(file), file, driver::Stage::kDifferentiate, compilation);
  driver::PrintDiagnostics(compilation, std::cerr);
  if (!ok) return 1;
  if (absl::Status prepared = PrepareGpuTarget(compilation, gpu, &options); !prepared.ok()) {
    std::cerr << "noma build-exe: error: " << prepared.message() << "\n";
    return 1;
  }
  return driver::BuildExecutable(compilation, options, ResolveUserPath(archive), linker,
                                 ResolveUserPath(output), std::cerr)
             ? 0
             : 1;
}

}  // namespace noma::tools
