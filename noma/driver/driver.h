#ifndef NOMA_DRIVER_DRIVER_H_
#define NOMA_DRIVER_DRIVER_H_

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "noma/codegen/codegen.h"
#include "noma/driver/pipeline.h"
#include "noma/graph/ir.h"
#include "noma/interp/interp.h"
#include "noma/syntax/ast.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/source.h"

namespace noma::driver {

// One compilation: the source, its diagnostics and every intermediate form.
struct Compilation {
  syntax::SourceManager sources;
  syntax::DiagnosticEngine diagnostics;
  syntax::FileId file = syntax::kNoFile;
  syntax::Program program;
  graph::Module module;
};

// How far Compile runs the front end's passes (pipeline.h): parse; lower (with inference, the
// typed lowered IR); or everything (differentiate, infer again, verify).
enum class Stage { kParse, kLower, kDifferentiate };

// Reads `path` (shown as `display_name` in messages) and runs the front end up to `last`.
// Returns false if any error was reported; the diagnostics are in `compilation.diagnostics`
// (an unreadable file is reported there too, without a location).
// `options` can stop earlier than `last` and observe the IR after each pass.
bool Compile(const std::string& path, const std::string& display_name, Stage last,
             Compilation& compilation, const FrontEndOptions& options = {});

// Like Compile, for in-memory source text (tests, tools that generate programs).
bool CompileSource(const std::string& display_name, std::string text, Stage last,
                   Compilation& compilation, const FrontEndOptions& options = {});

// Prints the diagnostics collected so far to `err`.
void PrintDiagnostics(const Compilation& compilation, std::ostream& err);

// Executes a compiled program with the interpreter. Returns the process exit code (0, or 1
// after printing a run-time error to `err`).
int Interpret(const Compilation& compilation, const interp::Options& options);

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

// (stage, version) for `noma version`.
std::vector<std::pair<std::string, std::string>> StageVersions();

}  // namespace noma::driver

#endif  // NOMA_DRIVER_DRIVER_H_
