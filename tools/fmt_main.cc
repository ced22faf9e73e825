// noma-fmt: the formatter as a standalone tool that links only noma/syntax.
#include <string>
#include <vector>

#include "tools/commands.h"

int main(int argc, char** argv) {
  return noma::tools::FmtCommand(std::vector<std::string>(argv + 1, argv + argc));
}
