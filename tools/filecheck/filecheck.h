#ifndef NOMA_TOOLS_FILECHECK_FILECHECK_H_
#define NOMA_TOOLS_FILECHECK_FILECHECK_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace noma::filecheck {

// Expectations embedded in a .noma program's comments (docs/testing.md):
//   // CHECK: <line>       a stdout line (all stdout lines, in order, nothing else)
//   // CHECK-ERR: <line>   a stderr line (in order; other stderr lines may come between)
//   // EXIT: <n>           the exit code (default 0)
//   // ARGS: <args>        extra arguments for the program run
//   // MODES: <m> ...      restrict the execution modes (default: all)
// A pattern is literal text except {{...}} parts, which are RE2 regular expressions; it must
// match a whole line.
struct Expectations {
  std::vector<std::string> stdout_patterns;
  std::vector<std::string> stderr_patterns;
  int exit_code = 0;
  std::string args;
  std::vector<std::string> modes;
};

Expectations ParseExpectations(absl::string_view program);

// True if `line` matches `pattern` as a whole.
bool MatchLine(absl::string_view pattern, absl::string_view line);

// Compares a run's results with the expectations; returns "" when they hold, else a report.
std::string Check(const Expectations& expected, absl::string_view stdout_text,
                  absl::string_view stderr_text, int exit_code);

}  // namespace noma::filecheck

#endif  // NOMA_TOOLS_FILECHECK_FILECHECK_H_
