// noma compile: LLVM IR, assembly or an object file of a program.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "noma/driver/driver.h"
#include "noma/driver/native.h"
#include "noma/runtime/io.h"
#include "tools/commands.h"
#include "tools/native_flags.h"
#include "tools/paths.h"

namespace noma::tools {
namespace {

std::string CompileUsage() {
  return absl::StrCat(
      "usage: noma compile FILE [-o OUT] [--emit=llvm|asm|obj] [options]\n"
      "\n"
      "Compiles FILE (gradients included) and writes its LLVM IR (default), assembly or an\n"
      "object file with a C `main` (link it with the NOMA program runtime, or use build-exe).\n"
      "OUT defaults to FILE's name with .ll, .s or .o in the current directory; '-' is stdout.\n"
      "\n"
      "options:\n"
      "  -o OUT             output file\n"
      "  --emit=KIND        llvm (textual LLVM IR), asm, obj, or ptx (the program's GPU\n"
      "                     kernels for NVIDIA GPUs, through LLVM's NVPTX back end); with\n"
      "                     --target=cuda, the main of llvm/asm/obj runs them on the GPU (link\n"
      "                     with libnoma_program_cuda.a)\n"
      "  --library=NAME     compile as a library: no main, a C entry point NAME_f for every\n"
      "                     function f (link with libnoma_program.a; see noma_library)\n"
      "  --header=PATH      with --library: also write the C++ header declaring namespace NAME\n",
      kCodegenFlagsHelp, kGpuFlagsHelp, NOMA_PASS_FLAGS_HELP,
      "  -h, --help         show this help\n");
}

int Usage(const std::string& message) {
  std::cerr << "noma compile: error: " << message << "\n" << CompileUsage();
  return 2;
}

std::string DefaultOutput(const std::string& file, const char* extension) {
  std::string base = file.substr(file.rfind('/') == std::string::npos ? 0 : file.rfind('/') + 1);
  size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  return base + extension;
}

}  // namespace

int CompileCommand(const std::vector<std::string>& args) {
  std::string file, output, library, header;
  GpuTarget gpu;
  bool ptx = false;
  codegen::Options options;
  codegen::OutputKind kind = codegen::OutputKind::kLlvmIr;
  const char* extension = ".ll";
  driver::PassFlags pass_flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string error;
    int pass_flag = driver::ParsePassFlag(arg, &pass_flags, &error);
    if (pass_flag < 0) return Usage(error);
    if (pass_flag > 0) continue;
    if (arg == "-h" || arg == "--help") {
      std::cout << CompileUsage();
      return 0;
    } else if (ParseCodegenFlag(args, &i, &options, &error) ||
               ParseGpuFlag(args, &i, &gpu, &error)) {
      if (!error.empty()) return Usage(error);
    } else if (arg == "-o") {
      if (i + 1 >= args.size()) return Usage("-o needs a file name");
      output = args[++i];
    } else if (arg.rfind("--library=", 0) == 0) {
      library = arg.substr(sizeof("--library=") - 1);
      if (!codegen::IsLibraryName(library)) {
        return Usage("invalid library name '" + library + "' (use a C identifier)");
      }
    } else if (arg.rfind("--header=", 0) == 0) {
      header = arg.substr(sizeof("--header=") - 1);
    } else if (arg == "--emit=ptx") {
      ptx = true;
      extension = ".ptx";
    } else if (arg == "--emit=llvm" || arg == "--emit=ll") {
      kind = codegen::OutputKind::kLlvmIr;
      extension = ".ll";
    } else if (arg == "--emit=asm") {
      kind = codegen::OutputKind::kAssembly;
      extension = ".s";
    } else if (arg == "--emit=obj") {
      kind = codegen::OutputKind::kObject;
      extension = ".o";
    } else if (std::string problem = TakeInputFile(arg, &file); !problem.empty()) {
      return Usage(problem);
    }
  }
  if (pass_flags.print_passes) {
    std::cout << driver::DescribePasses();
    return 0;
  }
  if (file.empty()) return Usage("no input file");
  if (!header.empty() && library.empty()) return Usage("--header needs --library=NAME");
  if (output.empty()) output = DefaultOutput(file, extension);

  driver::Compilation compilation;
  bool ok = driver::Compile(ResolveUserPath(file), file, driver::Stage::kDifferentiate, compilation,
                            driver::DumpOptions(pass_flags, &std::cout));
  driver::PrintDiagnostics(compilation, std::cerr);
  if (!ok) return 1;
  if (!pass_flags.dump_after.empty()) return 0;  // The IR was the output.
  if (ptx && !library.empty()) return Usage("--emit=ptx does not take --library");
  if (gpu.cuda && !library.empty()) return Usage("--target=cuda does not take --library");
  absl::Status prepared = ptx ? absl::OkStatus() : PrepareGpuTarget(compilation, gpu, &options);
  absl::StatusOr<std::string> text =
      !prepared.ok() ? absl::StatusOr<std::string>(prepared)
      : ptx          ? driver::CompileToPtx(compilation, gpu.sm, ResolveUserPath(gpu.cuda_path))
                     : driver::CompileToText(compilation, options, kind, library);
  if (!text.ok()) {
    std::cerr << "noma compile: error: " << text.status().message() << "\n";
    return 1;
  }
  if (!header.empty()) {
    // The header names the program by the path given on the command line: no absolute paths
    // in outputs (reproducible builds).
    absl::Status written = runtime::WriteFileAtomically(
        ResolveUserPath(header), codegen::LibraryHeader(compilation.module, library, file));
    if (!written.ok()) {
      std::cerr << "noma compile: error: " << written.message() << "\n";
      return 1;
    }
  }
  if (output == "-") {
    std::cout << *text;
    return 0;
  }
  absl::Status written = runtime::WriteFileAtomically(ResolveUserPath(output), *text);
  if (!written.ok()) {
    std::cerr << "noma compile: error: " << written.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace noma::tools
