#ifndef NOMA_DRIVER_NATIVE_H_
#define NOMA_DRIVER_NATIVE_H_

// The code-generating half of the driver (LLVM): `fast-run`, `build-exe`, `compile`. Kept out
// of driver.h so that `noma run`, `check` and `fmt` link (and load) no LLVM.

#include <iosfwd>
#include <string>

#include "absl/status/statusor.h"
#include "noma/codegen/codegen.h"
#include "noma/driver/driver.h"

namespace noma::driver {

// Executes a compiled program as native code through the JIT (`fast-run`). Returns the exit
// code like Interpret; internal failures print "error: ..." and give 1. `runner` runs the
// compiled program (nullptr: on the CPU; gpu::RunProgram for --target=cuda).
int RunNative(const Compilation& compilation, const codegen::Options& options,
              const noma_run_options& run_options, std::ostream& err,
              const codegen::ProgramRunner& runner = nullptr);

// `build-exe`: writes a standalone executable to `output` (nothing on failure). Returns false
// after printing the error to `err`.
bool BuildExecutable(const Compilation& compilation, const codegen::Options& options,
                     const std::string& runtime_archive, const std::string& linker,
                     const std::string& output, std::ostream& err);

// `compile`: LLVM IR, assembly or an object file of the program: with a C main, or, when
// `library` is not empty, as a library with one C entry point per function (noma_library).
absl::StatusOr<std::string> CompileToText(const Compilation& compilation,
                                          const codegen::Options& options, codegen::OutputKind kind,
                                          const std::string& library = "");

// `compile --emit=ptx` and `--target=cuda`: the PTX (for `sm`, e.g. "sm_80") of the program's
// GPU kernels (noma/gpu/ptx.h) with libdevice from `cuda_prefix`.
absl::StatusOr<std::string> CompileToPtx(const Compilation& compilation, const std::string& sm,
                                         const std::string& cuda_prefix);

}  // namespace noma::driver

#endif  // NOMA_DRIVER_NATIVE_H_
