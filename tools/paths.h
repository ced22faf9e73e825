#ifndef NOMA_TOOLS_PATHS_H_
#define NOMA_TOOLS_PATHS_H_

#include <string>

namespace noma::tools {

// `bazel run` starts tools inside their runfiles tree; Bazel passes the directory the user typed
// the command in as BUILD_WORKING_DIRECTORY. Relative user paths resolve against it when set.
std::string ResolveUserPath(const std::string& path);

// Makes the process's working directory the user's (see above), so that paths inside programs
// (load_csv "data.csv") resolve as the user expects. Returns false if the chdir failed.
bool EnterUserWorkingDirectory();

}  // namespace noma::tools

#endif  // NOMA_TOOLS_PATHS_H_
