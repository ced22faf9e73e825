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

// The directory of the running executable (symbolic links resolved), or "" if unknown.
std::string SelfDirectory();

// A file that travels with the tool, `package` + `name` in the workspace (package ends with
// '/': "noma/runtime/"), or "" if not found. Looked for in the tool's runfiles
// (SELF/noma.runfiles, $RUNFILES_DIR, $TEST_SRCDIR), in the bazel-bin layout
// (SELF/../PACKAGE), and in the installed layout (SELF/../lib/noma/NAME for bin/noma, SELF/NAME
// for the pieces in lib/noma/ themselves).
std::string FindCompanion(const std::string& package, const std::string& name);

}  // namespace noma::tools

#endif  // NOMA_TOOLS_PATHS_H_
