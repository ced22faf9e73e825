// noma-ir: prints a program's graph IR (text or Graphviz DOT), before or after autodiff.
// Built from syntax + graph + autodiff alone, without the runtime or the interpreter.
#include <iostream>
#include <string>
#include <vector>

#include "noma/autodiff/autodiff.h"
#include "noma/graph/lower.h"
#include "noma/graph/printer.h"
#include "noma/graph/verifier.h"
#include "noma/syntax/parser.h"
#include "tools/paths.h"

namespace {

constexpr char kUsage[] =
    "usage: noma-ir FILE [--stage=lowered|grad] [--format=text|dot]\n"
    "\n"
    "Prints FILE's graph IR: 'lowered' is straight from the AST, 'grad' (default) includes the\n"
    "backward and optimizer-update IR the autodiff pass generates. --format=dot prints a\n"
    "Graphviz graph (e.g. noma-ir f.noma --format=dot | dot -Tsvg > f.svg).\n";

}  // namespace

int main(int argc, char** argv) {
  std::string file, stage = "grad", format = "text";
  for (const std::string& arg : std::vector<std::string>(argv + 1, argv + argc)) {
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
  noma::syntax::Program program = noma::syntax::Parse(sources, *id, diagnostics);
  noma::graph::Module module;
  if (!diagnostics.has_errors()) module = noma::graph::Lower(program, diagnostics);
  if (!diagnostics.has_errors() && stage == "grad") {
    noma::autodiff::Differentiate(module, diagnostics);
  }
  std::cerr << diagnostics.Render(sources);
  if (diagnostics.has_errors()) return 1;
  if (absl::Status status = noma::graph::Verify(module); !status.ok()) {
    std::cerr << "error: internal compiler error: " << status.message() << "\n";
    return 1;
  }
  std::cout << (format == "dot" ? noma::graph::PrintDot(module) : noma::graph::PrintModule(module));
  return 0;
}
