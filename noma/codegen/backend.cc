// Target machines, the optimisation pipeline, textual/object output, the ORC JIT and the
// link of standalone executables.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "noma/codegen/codegen.h"

namespace noma::codegen {
namespace {

void InitializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

std::string ToString(llvm::Error error) { return llvm::toString(std::move(error)); }

// Machine code generation effort for -O0..-O3. Generated programs are mostly calls into the
// runtime, so below -O3 the fast instruction selector and register allocator are used: on the
// XOR example they compile 3.5x faster than LLVM's default (which spends most of its time in
// greedy register allocation), while a scalar-only loop ran 12% slower (docs/codegen.md).
llvm::CodeGenOptLevel CodeGenLevel(int level) {
  return level >= 3 ? llvm::CodeGenOptLevel::Aggressive : llvm::CodeGenOptLevel::None;
}

std::string CpuName(const Options& options) {
  if (options.target_cpu == "native") return llvm::sys::getHostCPUName().str();
  if (options.target_cpu.empty()) return "x86-64";
  return options.target_cpu;
}

// Features of the host CPU, for "native" (the name alone does not enable everything).
std::string CpuFeatures(const Options& options) {
  if (options.target_cpu != "native") return "";
  std::vector<std::string> features;
  for (const auto& feature : llvm::sys::getHostCPUFeatures()) {
    features.push_back(absl::StrCat(feature.second ? "+" : "-", feature.first().str()));
  }
  return absl::StrJoin(features, ",");
}

void ApplyFastMath(llvm::Module& module, const Options& options) {
  if (!options.fast_math) return;
  for (llvm::Function& function : module) {
    if (function.isDeclaration()) continue;
    function.addFnAttr("unsafe-fp-math", "true");
    function.addFnAttr("no-nans-fp-math", "true");
    function.addFnAttr("no-signed-zeros-fp-math", "true");
    for (llvm::BasicBlock& block : function) {
      for (llvm::Instruction& instruction : block) {
        if (llvm::isa<llvm::FPMathOperator>(instruction)) instruction.setFast(true);
      }
    }
  }
}

// Removes `path` unless release() was called (no partial output on failure).
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  std::string path_;
};

absl::Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("cannot write: ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Runs `argv` and returns its combined stdout/stderr; an error when it cannot start or fails.
absl::Status RunTool(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return absl::InternalError("cannot create a pipe");
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("cannot start a process");
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "%s", std::strerror(errno));
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string output;
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    output.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    return absl::NotFoundError(absl::StrCat("cannot run the linker '", argv[0], "': ", output));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("the linker '", argv[0], "' failed:\n", output));
  }
  return absl::OkStatus();
}

bool FindInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string dirs = path;
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + program;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<llvm::TargetMachine>> MakeTargetMachine(const Options& options) {
  InitializeNativeTarget();
  std::string triple = llvm::sys::getDefaultTargetTriple();
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (target == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("no LLVM target for ", triple, ": ", error));
  }
  std::string cpu = CpuName(options);
  // Checked first: LLVM would only warn and fall back to a generic CPU.
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(target->createMCSubtargetInfo(triple, "", ""));
  if (subtarget == nullptr || !subtarget->isCPUStringValid(cpu)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown target CPU '", cpu, "'"));
  }
  llvm::TargetOptions target_options;
  if (options.fast_math) {
    target_options.UnsafeFPMath = true;
    target_options.NoNaNsFPMath = true;
    target_options.NoSignedZerosFPMath = true;
  }
  // FP contraction off: no fused multiply-add unless fast-math, so results match the runtime.
  target_options.AllowFPOpFusion =
      options.fast_math ? llvm::FPOpFusion::Fast : llvm::FPOpFusion::Strict;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, CpuFeatures(options), target_options, llvm::Reloc::PIC_, std::nullopt,
      CodeGenLevel(options.opt_level)));
  if (machine == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a target machine for ", triple));
  }
  return machine;
}

void OptimizeModule(llvm::Module& module, llvm::TargetMachine& machine, const Options& options) {
  module.setDataLayout(machine.createDataLayout());
  module.setTargetTriple(machine.getTargetTriple().str());
  ApplyFastMath(module, options);
  for (llvm::Function& function : module) {
    if (function.isDeclaration()) continue;
    function.addFnAttr("target-cpu", machine.getTargetCPU());
    if (!machine.getTargetFeatureString().empty()) {
      function.addFnAttr("target-features", machine.getTargetFeatureString());
    }
  }
  if (options.opt_level <= 0) return;
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);
  llvm::OptimizationLevel level = options.opt_level == 1   ? llvm::OptimizationLevel::O1
                                  : options.opt_level == 2 ? llvm::OptimizationLevel::O2
                                                           : llvm::OptimizationLevel::O3;
  builder.buildPerModuleDefaultPipeline(level).run(module, modules);
}

absl::StatusOr<std::string> EmitOutput(llvm::Module& module, llvm::TargetMachine& machine,
                                       OutputKind kind) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  if (kind == OutputKind::kLlvmIr) {
    module.print(stream, nullptr);
    return stream.str();
  }
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream out(buffer);
  llvm::legacy::PassManager passes;
  auto file_type = kind == OutputKind::kAssembly ? llvm::CodeGenFileType::AssemblyFile
                                                 : llvm::CodeGenFileType::ObjectFile;
  if (machine.addPassesToEmitFile(passes, out, nullptr, file_type)) {
    return absl::InternalError("the target cannot emit this kind of file");
  }
  passes.run(module);
  return std::string(buffer.begin(), buffer.end());
}

absl::StatusOr<int> RunJit(const graph::Module& module, const syntax::SourceManager& sources,
                           const Options& options, const noma_run_options& run_options,
                           const ProgramRunner& runner) {
  InitializeNativeTarget();
  auto context = std::make_unique<llvm::LLVMContext>();
  absl::StatusOr<std::unique_ptr<llvm::Module>> ir =
      EmitModule(module, sources, *context, /*with_main=*/false);
  if (!ir.ok()) return ir.status();
  Options jit_options = options;
  if (jit_options.target_cpu.empty()) jit_options.target_cpu = "native";
  absl::StatusOr<std::unique_ptr<llvm::TargetMachine>> machine = MakeTargetMachine(jit_options);
  if (!machine.ok()) return machine.status();
  OptimizeModule(**ir, **machine, jit_options);

  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder) return absl::InternalError(ToString(builder.takeError()));
  builder->setCPU((*machine)->getTargetCPU().str());
  builder->setCodeGenOptLevel(CodeGenLevel(jit_options.opt_level));
  builder->getOptions() = (*machine)->Options;
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*builder)).create();
  if (!jit) return absl::InternalError(ToString(jit.takeError()));
  llvm::orc::JITDylib& dylib = (*jit)->getMainJITDylib();
  // The program ABI from this process, and libc/libm for what LLVM calls (memset).
  llvm::orc::SymbolMap symbols;
  size_t count = 0;
  const noma_p_symbol* table = noma_p_symbols(&count);
  for (size_t i = 0; i < count; ++i) {
    symbols[(*jit)->mangleAndIntern(table[i].name)] = llvm::orc::ExecutorSymbolDef(
        llvm::orc::ExecutorAddr::fromPtr(table[i].address), llvm::JITSymbolFlags::Exported);
  }
  if (llvm::Error error = dylib.define(llvm::orc::absoluteSymbols(std::move(symbols)))) {
    return absl::InternalError(ToString(std::move(error)));
  }
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process) return absl::InternalError(ToString(process.takeError()));
  dylib.addGenerator(std::move(*process));
  (*ir)->setDataLayout((*jit)->getDataLayout());
  if (llvm::Error error =
          (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(*ir), std::move(context)))) {
    return absl::InternalError(ToString(std::move(error)));
  }
  auto program = (*jit)->lookup("noma_program");
  if (!program) return absl::InternalError(ToString(program.takeError()));
  const auto* compiled = program->toPtr<const noma_program*>();
  return runner ? runner(compiled, run_options) : noma_p_run(compiled, &run_options);
}

absl::Status BuildExecutable(const graph::Module& module, const syntax::SourceManager& sources,
                             const Options& options, const std::string& runtime_archive,
                             const std::string& linker, const std::string& output) {
  llvm::LLVMContext context;
  absl::StatusOr<std::unique_ptr<llvm::Module>> ir =
      EmitModule(module, sources, context, /*with_main=*/true, options.gpu_ptx);
  if (!ir.ok()) return ir.status();
  absl::StatusOr<std::unique_ptr<llvm::TargetMachine>> machine = MakeTargetMachine(options);
  if (!machine.ok()) return machine.status();
  OptimizeModule(**ir, **machine, options);
  absl::StatusOr<std::string> object = EmitOutput(**ir, **machine, OutputKind::kObject);
  if (!object.ok()) return object.status();

  // Everything goes to temporary files next to `output`; the executable is renamed into place
  // only after the link succeeded.
  std::string object_path = absl::StrCat(output, ".noma-XXXXXX.o");
  int fd = mkstemps(object_path.data(), 2);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write '", output, "': ", std::strerror(errno)));
  }
  TempFile object_file(object_path);
  absl::Status written = WriteAll(fd, *object);
  close(fd);
  if (!written.ok()) return written;
  std::string linked_path = absl::StrCat(output, ".noma-link");
  TempFile linked_file(linked_path);
  std::vector<std::string> argv = {linker,
                                   "-no-pie",
                                   "-o",
                                   linked_path,
                                   object_path,
                                   runtime_archive,
                                   "-static-libstdc++",
                                   "-static-libgcc",
                                   "-Wl,--gc-sections",
                                   "-Wl,--as-needed",
                                   "-s",
                                   "-lm"};
#ifdef NOMA_SANITIZERS
  // A sanitizer build (.bazelrc --config=asan/ubsan) instruments the runtime archive too, so
  // its executables link the sanitizers' runtimes.
#define NOMA_STRINGIFY_(...) #__VA_ARGS__
#define NOMA_STRINGIFY(...) NOMA_STRINGIFY_(__VA_ARGS__)
  argv.push_back("-fsanitize=" NOMA_STRINGIFY(NOMA_SANITIZERS));
#endif
  // LLVM's lld links about twice as fast as GNU ld; use it when it is installed.
  if (FindInPath("ld.lld")) argv.insert(argv.begin() + 1, "-fuse-ld=lld");
  if (absl::Status linked = RunTool(argv); !linked.ok()) return linked;
  if (rename(linked_path.c_str(), output.c_str()) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write '", output, "': ", std::strerror(errno)));
  }
  linked_file.release();
  return absl::OkStatus();
}

}  // namespace noma::codegen
