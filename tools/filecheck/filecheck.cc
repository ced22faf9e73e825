#include "tools/filecheck/filecheck.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "re2/re2.h"

namespace noma::filecheck {
namespace {

absl::string_view StripTrailing(absl::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  return line;
}

std::vector<std::string> Lines(absl::string_view text) {
  std::vector<std::string> lines;
  if (text.empty()) return lines;
  if (text.back() == '\n') text.remove_suffix(1);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    lines.push_back(std::string(StripTrailing(line)));
  }
  return lines;
}

// Turns a pattern into an anchored RE2 expression: literal text quoted, {{...}} kept.
re2::StringPiece Piece(absl::string_view s) { return re2::StringPiece(s.data(), s.size()); }

std::string ToRegex(absl::string_view pattern) {
  std::string regex = "^";
  while (!pattern.empty()) {
    size_t open = pattern.find("{{");
    if (open == absl::string_view::npos) {
      regex += RE2::QuoteMeta(Piece(pattern));
      break;
    }
    size_t close = pattern.find("}}", open + 2);
    if (close == absl::string_view::npos) {
      regex += RE2::QuoteMeta(Piece(pattern));
      break;
    }
    regex += RE2::QuoteMeta(Piece(pattern.substr(0, open)));
    absl::StrAppend(&regex, "(?:", pattern.substr(open + 2, close - open - 2), ")");
    pattern.remove_prefix(close + 2);
  }
  return regex + "$";
}

}  // namespace

Expectations ParseExpectations(absl::string_view program) {
  Expectations expected;
  for (absl::string_view line : absl::StrSplit(program, '\n')) {
    line = absl::StripLeadingAsciiWhitespace(StripTrailing(line));
    auto directive = [&](absl::string_view name, std::string* value) {
      // A directive may stand alone or trail code on the same line.
      std::string prefix = absl::StrCat("// ", name, ":");
      size_t at = line.find(prefix);
      if (at == absl::string_view::npos) return false;
      absl::string_view rest = line.substr(at + prefix.size());
      if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
      *value = std::string(rest);
      return true;
    };
    std::string value;
    if (directive("CHECK", &value)) {
      expected.stdout_patterns.push_back(value);
    } else if (directive("CHECK-ERR", &value)) {
      expected.stderr_patterns.push_back(value);
    } else if (directive("EXIT", &value)) {
      absl::SimpleAtoi(value, &expected.exit_code);
    } else if (directive("ARGS", &value)) {
      expected.args = value;
    } else if (directive("MODES", &value)) {
      expected.modes = absl::StrSplit(value, ' ', absl::SkipEmpty());
    }
  }
  return expected;
}

bool MatchLine(absl::string_view pattern, absl::string_view line) {
  RE2 regex(ToRegex(pattern));
  return regex.ok() && RE2::FullMatch(Piece(line), regex);
}

std::string Check(const Expectations& expected, absl::string_view stdout_text,
                  absl::string_view stderr_text, int exit_code) {
  std::string report;
  if (exit_code != expected.exit_code) {
    absl::StrAppend(&report, "exit code: expected ", expected.exit_code, ", got ", exit_code, "\n");
  }
  std::vector<std::string> out = Lines(stdout_text);
  size_t n = std::max(out.size(), expected.stdout_patterns.size());
  for (size_t i = 0; i < n; ++i) {
    if (i >= out.size()) {
      absl::StrAppend(&report, "stdout line ", i + 1, ": expected '", expected.stdout_patterns[i],
                      "', got end of output\n");
      break;
    }
    if (i >= expected.stdout_patterns.size()) {
      absl::StrAppend(&report, "stdout line ", i + 1, ": unexpected extra line '", out[i], "'\n");
      break;
    }
    if (!MatchLine(expected.stdout_patterns[i], out[i])) {
      absl::StrAppend(&report, "stdout line ", i + 1, ": expected '", expected.stdout_patterns[i],
                      "', got '", out[i], "'\n");
    }
  }
  std::vector<std::string> err = Lines(stderr_text);
  if (expected.stderr_patterns.empty() && !err.empty()) {
    absl::StrAppend(&report, "stderr: expected nothing, got '", err[0], "'",
                    err.size() > 1 ? " ..." : "", "\n");
  }
  size_t at = 0;
  for (const std::string& pattern : expected.stderr_patterns) {
    while (at < err.size() && !MatchLine(pattern, err[at])) ++at;
    if (at == err.size()) {
      absl::StrAppend(&report, "stderr: no line (in order) matches '", pattern, "'\n");
      break;
    }
    ++at;
  }
  if (!report.empty()) {
    absl::StrAppend(&report, "--- stdout ---\n", stdout_text, "--- stderr ---\n", stderr_text);
  }
  return report;
}

}  // namespace noma::filecheck
