#ifndef NOMA_CODEGEN_CODEGEN_H_
#define NOMA_CODEGEN_CODEGEN_H_

// IR -> LLVM 19. The generated code runs the whole program at run time: control flow (if,
// while, optimize, batch, calls) becomes native branches and loops, statically scalar values
// live in registers with native arithmetic, and tensor work, files and the generator go through
// the runtime's program ABI (noma/runtime/program.h), so every mode computes the same values
// and reports the same errors as the interpreter. See docs/codegen.md.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"
#include "noma/graph/ir.h"
#include "noma/runtime/program.h"
#include "noma/syntax/source.h"

namespace noma::codegen {

struct Options {
  int opt_level = 2;       // -O0 .. -O3.
  bool fast_math = false;  // Fast-math flags on generated floating-point arithmetic.
  // CPU to generate code for: "" = a portable x86-64 baseline (executables), "native" = this
  // machine (the JIT's default), or an LLVM CPU name such as "skylake-avx512".
  std::string target_cpu;
  // --target=cuda: the PTX of the program's GPU kernels (noma/gpu/ptx.h). When set, an
  // executable's main starts through noma_gpu_main (noma/gpu/program_cuda.h) with the PTX
  // embedded, and must be linked with the GPU program runtime.
  std::string gpu_ptx;
};

// Builds the LLVM module of a lowered and differentiated `module`. It defines the global
// `noma_program` (noma/runtime/program.h) and, when `with_main` is set, a C `main` that runs it
// (on the GPU, through noma_gpu_main, when `gpu_ptx` is not empty: see Options::gpu_ptx).
absl::StatusOr<std::unique_ptr<llvm::Module>> EmitModule(const graph::Module& module,
                                                         const syntax::SourceManager& sources,
                                                         llvm::LLVMContext& context, bool with_main,
                                                         const std::string& gpu_ptx = "");

// Library mode (`noma_library`): no main; the program descriptor is private and each NOMA
// function f gets the C entry point `int32_t LIBRARY_f(noma_cell* const* args,
// noma_cell* result, char** error)` (see LibraryHeader).
absl::StatusOr<std::unique_ptr<llvm::Module>> EmitLibraryModule(
    const graph::Module& module, const syntax::SourceManager& sources, llvm::LLVMContext& context,
    const std::string& library);
// True for a C identifier.
bool IsLibraryName(const std::string& name);
std::string LibraryEntryName(const std::string& library, const std::string& function);

// The C++ header of a library: a namespace `library` with a Tensor type and one function per
// NOMA function, documented in the header itself. `source` names the program in comments.
std::string LibraryHeader(const graph::Module& module, const std::string& library,
                          const std::string& source);

// Fusion of elementwise chains (docs/codegen.md): an elementwise op whose non-scalar result has
// a single use, by a later elementwise op of the same region, is computed in that op's chain;
// a chain is a contiguous run of its region (loads and constants may sit between its ops).
struct FusionGroup {
  std::vector<graph::OpId> members;    // In program order; the last is the root.
  std::vector<graph::ValueId> leaves;  // The values the chain reads.
};
std::vector<FusionGroup> PlanFusionGroups(const graph::Function& function);
// The chain as noma_p_group_begin's program: 4 int32 per node {arity, kernel, operand 0, operand
// 1}.
std::vector<int32_t> FusionProgram(const graph::Function& function, const FusionGroup& group);

// A target machine for `options` (the host's triple).
absl::StatusOr<std::unique_ptr<llvm::TargetMachine>> MakeTargetMachine(const Options& options);

// Runs LLVM's standard pipeline at options.opt_level.
void OptimizeModule(llvm::Module& module, llvm::TargetMachine& machine, const Options& options);

enum class OutputKind { kLlvmIr, kAssembly, kObject };
// Textual IR, assembly or an object file of an optimised module.
absl::StatusOr<std::string> EmitOutput(llvm::Module& module, llvm::TargetMachine& machine,
                                       OutputKind kind);

// Runs a compiled program (noma_p_run, or the GPU's runner) and returns its exit code.
using ProgramRunner = std::function<int32_t(const noma_program*, const noma_run_options&)>;

// fast-run: compiles with ORC LLJIT in this process (no files, no external tools) and runs
// `main` with `runner` (nullptr: noma_p_run). Returns the process exit code (0, or 1 after a
// run-time error was printed).
absl::StatusOr<int> RunJit(const graph::Module& module, const syntax::SourceManager& sources,
                           const Options& options, const noma_run_options& run_options,
                           const ProgramRunner& runner = nullptr);

// build-exe: an object file linked with the static program runtime `runtime_archive` by the
// system C++ driver (`linker`, e.g. "c++") into a standalone executable at `output` that
// needs only libc and libm. Writes `output` only when everything succeeded.
absl::Status BuildExecutable(const graph::Module& module, const syntax::SourceManager& sources,
                             const Options& options, const std::string& runtime_archive,
                             const std::string& linker, const std::string& output);

}  // namespace noma::codegen

#endif  // NOMA_CODEGEN_CODEGEN_H_
