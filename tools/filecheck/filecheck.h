#ifndef NOMA_TOOLS_FILECHECK_FILECHECK_H_
#define NOMA_TOOLS_FILECHECK_FILECHECK_H_

// The checker behind the end-to-end tests (docs/testing.md): a .noma program states what running
// it must produce in `//` comments, and Check() compares a run's stdout, stderr and exit code
// with that.
//
//   // CHECK: <pattern>       the next stdout line; stdout is exactly the CHECK lines, in order
//   // CHECK-ERR: <pattern>   a stderr line; in order, other stderr lines may come between.
//                             Without CHECK-ERR lines stderr must be empty.
//   // EXIT: <n>              the exit code (default 0)
//   // ARGS: <args>           extra command-line arguments for the run (split at whitespace)
//   // MODES: <mode> ...      run only in these execution modes (default: every mode)
//
// A pattern is literal text except for `{{...}}` parts, which are RE2 regular expressions; the
// pattern must match a whole line (trailing whitespace and '\r' of the line are ignored).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace noma::filecheck {

// One CHECK or CHECK-ERR pattern and where it was written (for reports).
struct Pattern {
  std::string text;
  int source_line = 0;  // 1-based line in the program; 0 when not from a file.
};

struct Expectations {
  std::string file;  // The program's name, used in reports.
  std::vector<Pattern> stdout_patterns;
  std::vector<Pattern> stderr_patterns;
  int exit_code = 0;
  std::string args;                // Verbatim; "" when there is no ARGS directive.
  std::vector<std::string> modes;  // Empty: every mode.
};

// Reads the directives from a program's text. Errors (the test itself is broken): an invalid
// pattern (bad regex, `{{` without `}}`), an EXIT that is not an integer in [0, 255], a repeated
// EXIT/ARGS/MODES directive, an empty MODES, or an unknown directive that starts with CHECK
// (e.g. CHECK-NEXT, which this checker does not support).
absl::StatusOr<Expectations> ParseExpectations(absl::string_view program,
                                               absl::string_view file = "program");

// Translates a pattern into an RE2 expression for the whole line: literal text is quoted,
// `{{re}}` becomes `(?:re)`. The closing `}}` of a regex part is the first `}}` after its
// `{{`, extended over any further `}` right after it, so `{{a{2}}}` is the regex `a{2}`.
absl::StatusOr<std::string> PatternToRegex(absl::string_view pattern);

// A compiled pattern.
class LineMatcher {
 public:
  static absl::StatusOr<LineMatcher> Create(absl::string_view pattern);
  // True when the whole `line` (trailing whitespace ignored) matches.
  bool Matches(absl::string_view line) const;

 private:
  explicit LineMatcher(std::shared_ptr<const re2::RE2> regex) : regex_(std::move(regex)) {}
  std::shared_ptr<const re2::RE2> regex_;
};

// Convenience: whether `line` matches `pattern`; false for an invalid pattern.
bool MatchLine(absl::string_view pattern, absl::string_view line);

// Splits captured output into lines: the final '\n' ends the last line (it does not start an
// empty one), trailing spaces, tabs and '\r' are removed from every line.
std::vector<std::string> SplitLines(absl::string_view text);

// Compares a run with the expectations. Returns "" when everything holds, otherwise a report
// for a human: every problem found (with the line numbers of the output and of the directive
// in the program), followed by the expected and the actual output.
std::string Check(const Expectations& expected, absl::string_view stdout_text,
                  absl::string_view stderr_text, int exit_code);

}  // namespace noma::filecheck

#endif  // NOMA_TOOLS_FILECHECK_FILECHECK_H_
