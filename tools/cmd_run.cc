// noma run: compile a program and execute it with the interpreter.
#include <iostream>
#include <string>

#include "noma/driver/driver.h"
#include "noma/graph/printer.h"
#include "noma/runtime/program.h"
#include "noma/runtime/watch.h"
#include "tools/commands.h"
#include "tools/paths.h"
#include "tools/program_flags.h"

namespace noma::tools {
namespace {

constexpr char kRunUsage[] =
    "usage: noma run FILE [options]\n"
    "\n"
    "Compiles FILE (gradients included) and runs it with the interpreter.\n"
    "\n"
    "options:\n" NOMA_P_OPTIONS_HELP
    "  --dump-ir[=KIND]   print the IR instead of running. KIND: 'grad' (default: after\n"
    "                     autodiff, with the generated backward and update IR), 'lowered'\n"
    "                     (before autodiff) or 'dot' (the 'grad' IR as a Graphviz "
    "graph)\n" NOMA_PASS_FLAGS_HELP "  -h, --help         show this help\n";

int UsageError(const std::string& message) {
  std::cerr << "noma run: error: " << message << "\n" << kRunUsage;
  return 2;
}

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  std::string file;
  interp::Options options;
  std::string dump;
  driver::PassFlags pass_flags;
  std::vector<const char*> program_args;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string error;
    int pass_flag = driver::ParsePassFlag(arg, &pass_flags, &error);
    if (pass_flag < 0) return UsageError(error);
    if (pass_flag > 0) continue;
    if (arg == "-h" || arg == "--help") {
      std::cout << kRunUsage;
      return 0;
    } else if (arg == "--dump-ir" || arg == "--dump-ir=grad") {
      dump = "grad";
    } else if (arg == "--dump-ir=lowered") {
      dump = "lowered";
    } else if (arg == "--dump-ir=dot") {
      dump = "dot";
    } else if (file.empty() && !arg.empty() && arg[0] != '-') {
      file = arg;
    } else {
      // Program options are parsed by the runtime, exactly as fast-run and executables do.
      TakeProgramArg(args, &i, &program_args);
    }
  }
  noma_run_options run_options;
  int parsed = noma_p_parse_options(static_cast<int>(program_args.size()), program_args.data(),
                                    kRunUsage, &run_options);
  if (parsed == 1) return 0;
  if (parsed != 0) return parsed;
  options.seed = run_options.seed;
  options.check_nan = run_options.check_nan != 0;
  options.max_elements = run_options.max_elements;
  if (pass_flags.print_passes) {
    std::cout << driver::DescribePasses();
    return 0;
  }
  if (file.empty()) return UsageError("no input file");

  driver::Compilation compilation;
  driver::Stage last = dump == "lowered" ? driver::Stage::kLower : driver::Stage::kDifferentiate;
  bool ok = driver::Compile(ResolveUserPath(file), file, last, compilation,
                            driver::DumpOptions(pass_flags, &std::cout));
  driver::PrintDiagnostics(compilation, std::cerr);
  if (!ok) return 1;
  if (!pass_flags.dump_after.empty()) return 0;
  if (!dump.empty()) {
    std::cout << (dump == "dot" ? graph::PrintDot(compilation.module)
                                : graph::PrintModule(compilation.module));
    return 0;
  }
  if (!EnterUserWorkingDirectory()) {
    std::cerr << "noma run: error: cannot enter the working directory\n";
    return 1;
  }
  runtime::TrainingWatch& watch = runtime::TrainingWatch::Get();
  if (std::string error = watch.Start(run_options.metrics_path, run_options.progress != 0);
      !error.empty()) {
    std::cerr << "error: --metrics: " << error << "\n";
    return 1;
  }
  options.out = &std::cout;
  options.err = &std::cerr;
  options.sources = &compilation.sources;
  int code = driver::Interpret(compilation, options);
  watch.Finish();
  std::cout.flush();
  return code;
}

}  // namespace noma::tools
