// The code-generating half of the driver (native.h).
#include "noma/driver/native.h"

#include <memory>
#include <ostream>

#include "noma/gpu/ptx.h"

namespace noma::driver {

int RunNative(const Compilation& c, const codegen::Options& options,
              const noma_run_options& run_options, std::ostream& err,
              const codegen::ProgramRunner& runner) {
  err.flush();
  absl::StatusOr<int> code = codegen::RunJit(c.module, c.sources, options, run_options, runner);
  if (!code.ok()) {
    err << "error: " << code.status().message() << "\n";
    return 1;
  }
  return *code;
}

bool BuildExecutable(const Compilation& c, const codegen::Options& options,
                     const std::string& runtime_archive, const std::string& linker,
                     const std::string& output, std::ostream& err) {
  absl::Status status =
      codegen::BuildExecutable(c.module, c.sources, options, runtime_archive, linker, output);
  if (!status.ok()) err << "noma build-exe: error: " << status.message() << "\n";
  return status.ok();
}

absl::StatusOr<std::string> CompileToText(const Compilation& c, const codegen::Options& options,
                                          codegen::OutputKind kind, const std::string& library) {
  llvm::LLVMContext context;
  absl::StatusOr<std::unique_ptr<llvm::Module>> ir =
      library.empty()
          ? codegen::EmitModule(c.module, c.sources, context, /*with_main=*/true, options.gpu_ptx)
          : codegen::EmitLibraryModule(c.module, c.sources, context, library);
  if (!ir.ok()) return ir.status();
  absl::StatusOr<std::unique_ptr<llvm::TargetMachine>> machine =
      codegen::MakeTargetMachine(options);
  if (!machine.ok()) return machine.status();
  codegen::OptimizeModule(**ir, **machine, options);
  return codegen::EmitOutput(**ir, **machine, kind);
}

absl::StatusOr<std::string> CompileToPtx(const Compilation& c, const std::string& sm,
                                         const std::string& cuda_prefix) {
  return gpu::KernelsPtx(gpu::ProgramChains(c.module), sm, gpu::LibdevicePath(cuda_prefix));
}

}  // namespace noma::driver
