// noma check: run the front end (parse, name resolution, shape check, differentiation) without
// executing; with --shapes, list the inferred shape of every variable.
#include <iostream>
#include <string>

#include "noma/driver/driver.h"
#include "noma/graph/shapes.h"
#include "tools/commands.h"
#include "tools/paths.h"

namespace noma::tools {

int CheckCommand(const std::vector<std::string>& args) {
  constexpr char kUsage[] =
      "usage: noma check [--shapes] FILE\n"
      "\n"
      "Parses FILE and checks names, calls, shapes and training loops without running it.\n"
      "Exit status 0 if the program is valid, 1 if it has errors.\n"
      "\n"
      "options:\n"
      "  --shapes   print every variable with its inferred shape, one per line\n"
      "             (file:line:col: name: [1024, 16]); a dim known only at run time is a\n"
      "             symbol n0, n1, ... and a legend at the end says where each comes from\n";
  std::string file;
  bool shapes = false;
  for (const std::string& arg : args) {
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--shapes") {
      shapes = true;
      continue;
    }
    if ((!arg.empty() && arg[0] == '-') || !file.empty()) {
      std::cerr << "noma check: error: unexpected argument '" << arg << "'\n" << kUsage;
      return 2;
    }
    file = arg;
  }
  if (file.empty()) {
    std::cerr << "noma check: error: no input file\n" << kUsage;
    return 2;
  }
  driver::Compilation compilation;
  // The listing describes the program as written: the module after the shape check, before
  // specialization copies functions and differentiation adds its own variables.
  std::string listing;
  driver::FrontEndOptions options;
  if (shapes) {
    options.after_pass = [&](const driver::Pass& pass, const graph::Module& module) {
      if (std::string(pass.name) == "check-shapes") {
        listing = graph::DescribeVariableShapes(module, compilation.sources);
      }
    };
  }
  bool ok = driver::Compile(ResolveUserPath(file), file, driver::Stage::kDifferentiate, compilation,
                            options);
  driver::PrintDiagnostics(compilation, std::cerr);
  if (ok) std::cout << listing;
  return ok ? 0 : 1;
}

}  // namespace noma::tools
