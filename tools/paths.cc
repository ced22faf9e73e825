#include "tools/paths.h"

#include <unistd.h>

#include <cstdlib>
#include <vector>

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

std::string SelfDirectory() {
  char buffer[4096];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return "";
  std::string path(buffer, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string FindCompanion(const std::string& package, const std::string& name) {
  const std::string runfile = "noma/" + package + name;
  std::string self = SelfDirectory();
  std::vector<std::string> candidates = {self + "/noma.runfiles/" + runfile};
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* dir = std::getenv(var); dir != nullptr && *dir != '\0') {
      candidates.push_back(std::string(dir) + "/" + runfile);
    }
  }
  candidates.push_back(self + "/../" + package + name);  // bazel-bin layout.
  candidates.push_back(self + "/../lib/noma/" + name);   // Installed layout, from bin/.
  candidates.push_back(self + "/" + name);               // Installed layout, from lib/noma/.
  for (const std::string& candidate : candidates) {
    if (access(candidate.c_str(), R_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace noma::tools
