// noma-ir: prints a program's graph IR (text or Graphviz DOT), before or after autodiff.
// Built on the driver's front end (noma/driver/pipeline.h: syntax + graph + autodiff), without
// LLVM, the runtime or the interpreter.
#include <iostream>
#include <string>
#include <vector>

#include "noma/driver/pipeline.h"
#include "noma/graph/printer.h"
#include "tools/paths.h"

namespace {

constexpr char kUsage[] =
    "usage: noma-ir FILE [--stage=lowered|grad] [--format=text|dot] [--dump-ir-after=PASS]\n"
    "\n"
    "Prints FILE's graph IR: 'lowered' is straight from the AST, 'grad' (default) includes the\n"
    "backward and optimizer-update IR the autodiff pass generates. --format=dot prints a\n"
    "Graphviz graph (e.g. noma-ir f.noma --format=dot | dot -Tsvg > f.svg).\n"
    "\n" NOMA_PASS_FLAGS_HELP;

}  // namespace

int main(int argc, char** argv) {
  std::string file, stage = "grad", format = "text";
  noma::driver::PassFlags pass_flags;
  for (const std::string& arg : std::vector<std::string>(argv + 1, argv + argc)) {
    std::string error;
    int pass_flag = noma::driver::ParsePassFlag(arg, &pass_flags, &error);
    if (pass_flag < 0) {
      std::cerr << "noma-ir: error: " << error << "\n" << kUsage;
      return 2;
    }
    if (pass_flag > 0) continue;
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--stage=lowered" || arg == "--stage=grad") {
      stage = arg.substr(8);
    } else if (arg == "--format=text" || arg == "--format=dot") {
      format = arg.substr(9);
    } else if (arg.empty() || arg[0] == '-' || !file.empty()) {
      std::cerr << "noma-ir: error: unexpected argument '" << arg << "'\n" << kUsage;
      return 2;
    } else {
      file = arg;
    }
  }
  if (pass_flags.print_passes) {
    std::cout << noma::driver::DescribePasses();
    return 0;
  }
  if (file.empty()) {
    std::cerr << "noma-ir: error: no input file\n" << kUsage;
    return 2;
  }
  noma::syntax::SourceManager sources;
  noma::syntax::DiagnosticEngine diagnostics;
  auto id = sources.AddFile(noma::tools::ResolveUserPath(file), file);
  if (!id.ok()) {
    std::cerr << "error: " << id.status().message() << "\n";
    return 1;
  }
  // The driver's front end, so this tool prints exactly the IR the compiler uses.
  noma::driver::FrontEndState state;
  state.sources = &sources;
  state.file = *id;
  state.diagnostics = &diagnostics;
  noma::driver::FrontEndOptions options = noma::driver::DumpOptions(pass_flags, &std::cout);
  if (options.stop_after.empty() && stage == "lowered") options.stop_after = "infer";
  bool ok = noma::driver::RunFrontEnd(state, options);
  std::cerr << diagnostics.Render(sources);
  if (!ok) return 1;
  if (!pass_flags.dump_after.empty()) return 0;
  const noma::graph::Module& module = state.module;
  std::cout << (format == "dot" ? noma::graph::PrintDot(module) : noma::graph::PrintModule(module));
  return 0;
}
