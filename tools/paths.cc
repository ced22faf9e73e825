#include "tools/paths.h"

#include <unistd.h>

#include <cstdlib>

namespace noma::tools {

std::string ResolveUserPath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const char* base = std::getenv("BUILD_WORKING_DIRECTORY");
  if (base == nullptr || *base == '\0') return path;
  return std::string(base) + "/" + path;
}

bool EnterUserWorkingDirectory() {
  const char* base = std::getenv("BUILD_WORKING_DIRECTORY");
  if (base == nullptr || *base == '\0') return true;
  return chdir(base) == 0;
}

}  // namespace noma::tools
