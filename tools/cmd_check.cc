// noma check: run the front end (parse, name resolution, differentiation) without executing.
#include <iostream>
#include <string>

#include "noma/driver/driver.h"
#include "tools/commands.h"
#include "tools/paths.h"

namespace noma::tools {

int CheckCommand(const std::vector<std::string>& args) {
  constexpr char kUsage[] =
      "usage: noma check FILE\n"
      "\n"
      "Parses FILE and checks names, calls and training loops without running it.\n"
      "Exit status 0 if the program is valid, 1 if it has errors.\n";
  std::string file;
  for (const std::string& arg : args) {
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
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
  bool ok =
      driver::Compile(ResolveUserPath(file), file, driver::Stage::kDifferentiate, compilation);
  driver::PrintDiagnostics(compilation, std::cerr);
  return ok ? 0 : 1;
}

}  // namespace noma::tools
