// noma version: the version of every compiler stage.
#include <iostream>

#include "noma/driver/driver.h"
#include "tools/commands.h"

namespace noma::tools {

int VersionCommand(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: noma version\n\nPrints the version of every compiler stage.\n";
      return 0;
    }
    std::cerr << "noma version: error: unexpected argument '" << arg << "'\n";
    return 2;
  }
  std::cout << "noma\n";
  for (const auto& [stage, version] : driver::StageVersions()) {
    std::cout << "  " << stage << " " << version << "\n";
  }
  return 0;
}

}  // namespace noma::tools
