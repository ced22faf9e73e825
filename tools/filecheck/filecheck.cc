#include "tools/filecheck/filecheck.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "re2/re2.h"

namespace noma::filecheck {
namespace {

// How many individual problems of one kind a report lists before it summarises.
constexpr int kMaxListed = 20;

re2::StringPiece Piece(absl::string_view s) { return re2::StringPiece(s.data(), s.size()); }

absl::string_view StripTrailingSpace(absl::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsDirectiveNameChar(char c) {
  return absl::ascii_isupper(static_cast<unsigned char>(c)) ||
         absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

struct Directive {
  std::string name;
  absl::string_view value;  // After the ':' and one optional blank.
};

// The directive in `line`, if its comment starts with one: the line's comment begins at the
// first `//` outside a string literal, and its text (after optional blanks) must start with an
// upper-case NAME (letters, digits, '-', '_') directly followed by ':'. So prose comments
// (`// See §9: ...`), and directive names mentioned later in a comment, are not directives.
std::optional<Directive> FindDirective(absl::string_view line) {
  size_t comment = absl::string_view::npos;
  bool in_string = false;
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    if (in_string) {
      if (line[i] == '\\') {
        ++i;
      } else if (line[i] == '"') {
        in_string = false;
      }
    } else if (line[i] == '"') {
      in_string = true;
    } else if (line[i] == '/' && line[i + 1] == '/') {
      comment = i;
      break;
    }
  }
  if (comment == absl::string_view::npos) return std::nullopt;
  size_t i = comment + 2;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  size_t start = i;
  while (i < line.size() && IsDirectiveNameChar(line[i])) ++i;
  if (i == start || i == line.size() || line[i] != ':' ||
      !absl::ascii_isupper(static_cast<unsigned char>(line[start]))) {
    return std::nullopt;
  }
  absl::string_view value = line.substr(i + 1);
  if (!value.empty() && (value[0] == ' ' || value[0] == '\t')) value.remove_prefix(1);
  return Directive{std::string(line.substr(start, i - start)), value};
}

std::string Numbered(const std::vector<std::string>& lines) {
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::StrAppend(&text, absl::StrFormat("%4d | ", static_cast<int>(i + 1)), lines[i], "\n");
  }
  if (lines.empty()) text = "     (empty)\n";
  return text;
}

std::string Where(const Expectations& e, const Pattern& p) {
  if (p.source_line <= 0) return e.file;
  return absl::StrCat(e.file, ":", p.source_line);
}

}  // namespace

absl::StatusOr<std::string> PatternToRegex(absl::string_view pattern) {
  std::string regex;
  size_t pos = 0;
  while (pos < pattern.size()) {
    size_t open = pattern.find("{{", pos);
    if (open == absl::string_view::npos) {
      regex += RE2::QuoteMeta(Piece(pattern.substr(pos)));
      break;
    }
    regex += RE2::QuoteMeta(Piece(pattern.substr(pos, open - pos)));
    size_t close = pattern.find("}}", open + 2);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("'{{' at column ", open + 1, " has no matching '}}' in: ", pattern));
    }
    // `{{a{2}}}`: the regex part ends at the last '}}' of a run of '}'.
    while (close + 2 < pattern.size() && pattern[close + 2] == '}') ++close;
    absl::string_view part = pattern.substr(open + 2, close - open - 2);
    RE2 alone(Piece(part), RE2::Quiet);
    if (!alone.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid regular expression {{", part, "}}: ", alone.error()));
    }
    absl::StrAppend(&regex, "(?:", part, ")");
    pos = close + 2;
  }
  return regex;
}

absl::StatusOr<LineMatcher> LineMatcher::Create(absl::string_view pattern) {
  absl::StatusOr<std::string> regex = PatternToRegex(StripTrailingSpace(pattern));
  if (!regex.ok()) return regex.status();
  auto compiled = std::make_shared<const RE2>(*regex, RE2::Quiet);
  if (!compiled->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid pattern '", pattern, "': ", compiled->error()));
  }
  return LineMatcher(std::move(compiled));
}

bool LineMatcher::Matches(absl::string_view line) const {
  return RE2::FullMatch(Piece(StripTrailingSpace(line)), *regex_);
}

bool MatchLine(absl::string_view pattern, absl::string_view line) {
  absl::StatusOr<LineMatcher> matcher = LineMatcher::Create(pattern);
  return matcher.ok() && matcher->Matches(line);
}

std::vector<std::string> SplitLines(absl::string_view text) {
  std::vector<std::string> lines;
  if (text.empty()) return lines;
  if (text.back() == '\n') text.remove_suffix(1);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    lines.emplace_back(StripTrailingSpace(line));
  }
  return lines;
}

absl::StatusOr<Expectations> ParseExpectations(absl::string_view program, absl::string_view file) {
  Expectations expected;
  expected.file = std::string(file);
  bool seen_exit = false, seen_args = false, seen_modes = false;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(program, '\n')) {
    ++line_number;
    std::optional<Directive> d = FindDirective(StripTrailingSpace(raw));
    if (!d) continue;
    auto error = [&](absl::string_view message) {
      return absl::InvalidArgumentError(absl::StrCat(file, ":", line_number, ": ", message));
    };
    auto once = [&](bool& seen) {
      if (seen) return false;
      seen = true;
      return true;
    };
    if (d->name == "CHECK" || d->name == "CHECK-ERR") {
      absl::StatusOr<LineMatcher> matcher = LineMatcher::Create(d->value);
      if (!matcher.ok()) return error(matcher.status().message());
      Pattern pattern{std::string(d->value), line_number};
      (d->name == "CHECK" ? expected.stdout_patterns : expected.stderr_patterns)
          .push_back(std::move(pattern));
    } else if (d->name == "EXIT") {
      if (!once(seen_exit)) return error("more than one EXIT directive");
      int code = -1;
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(d->value), &code) || code < 0 ||
          code > 255) {
        return error(absl::StrCat("EXIT needs an exit code in [0, 255], got '", d->value, "'"));
      }
      expected.exit_code = code;
    } else if (d->name == "ARGS") {
      if (!once(seen_args)) return error("more than one ARGS directive");
      expected.args = std::string(absl::StripAsciiWhitespace(d->value));
    } else if (d->name == "MODES") {
      if (!once(seen_modes)) return error("more than one MODES directive");
      expected.modes = absl::StrSplit(d->value, absl::ByAnyChar(" \t,"), absl::SkipEmpty());
      if (expected.modes.empty()) return error("MODES lists no mode");
    } else if (absl::StartsWith(d->name, "CHECK")) {
      return error(absl::StrCat("unknown directive '", d->name,
                                "' (supported: CHECK, CHECK-ERR, EXIT, ARGS, MODES)"));
    }
    // Any other upper-case word followed by ':' (`// NOTE: ...`) is an ordinary comment.
  }
  return expected;
}

std::string Check(const Expectations& expected, absl::string_view stdout_text,
                  absl::string_view stderr_text, int exit_code) {
  std::vector<std::string> problems;
  if (exit_code != expected.exit_code) {
    problems.push_back(
        absl::StrCat("exit code: expected ", expected.exit_code, ", got ", exit_code));
  }

  // stdout: exactly the CHECK lines, in order.
  std::vector<std::string> out = SplitLines(stdout_text);
  const std::vector<Pattern>& want = expected.stdout_patterns;
  int listed = 0;
  for (size_t i = 0; i < std::min(out.size(), want.size()); ++i) {
    absl::StatusOr<LineMatcher> matcher = LineMatcher::Create(want[i].text);
    if (matcher.ok() && matcher->Matches(out[i])) continue;
    if (++listed > kMaxListed) continue;
    problems.push_back(absl::StrCat("stdout line ", i + 1, " does not match the CHECK at ",
                                    Where(expected, want[i]), "\n  expected: ", want[i].text,
                                    "\n  actual:   ", out[i]));
  }
  if (listed > kMaxListed) {
    problems.push_back(
        absl::StrCat("... and ", listed - kMaxListed, " more mismatching stdout lines"));
  }
  if (out.size() < want.size()) {
    std::string missing = absl::StrCat("stdout ends after ", out.size(), " line(s); ",
                                       want.size() - out.size(), " more expected:");
    for (size_t i = out.size(); i < want.size() && i < out.size() + kMaxListed; ++i) {
      absl::StrAppend(&missing, "\n  line ", i + 1, " (CHECK at ", Where(expected, want[i]),
                      "): ", want[i].text);
    }
    problems.push_back(std::move(missing));
  } else if (out.size() > want.size()) {
    std::string extra =
        absl::StrCat("stdout has ", out.size() - want.size(), " unexpected line(s) after the ",
                     want.size(), " CHECK line(s):");
    for (size_t i = want.size(); i < out.size() && i < want.size() + kMaxListed; ++i) {
      absl::StrAppend(&extra, "\n  line ", i + 1, ": ", out[i]);
    }
    problems.push_back(std::move(extra));
  }

  // stderr: the CHECK-ERR lines as an ordered subsequence; nothing at all without them.
  std::vector<std::string> err = SplitLines(stderr_text);
  if (expected.stderr_patterns.empty()) {
    if (!err.empty()) {
      problems.push_back(
          absl::StrCat("stderr must be empty (the program has no CHECK-ERR "
                       "lines), but it has ",
                       err.size(), " line(s); line 1: ", err[0]));
    }
  } else {
    size_t at = 0;  // The first stderr line a later pattern may match.
    for (const Pattern& pattern : expected.stderr_patterns) {
      absl::StatusOr<LineMatcher> matcher = LineMatcher::Create(pattern.text);
      size_t i = at;
      while (i < err.size() && !(matcher.ok() && matcher->Matches(err[i]))) ++i;
      if (i == err.size()) {
        problems.push_back(absl::StrCat(
            "no stderr line ", at == 0 ? "" : absl::StrCat("after line ", at, " "),
            "matches the CHECK-ERR at ", Where(expected, pattern), "\n  expected: ", pattern.text));
        continue;  // Later patterns are still searched from `at`.
      }
      at = i + 1;
    }
  }

  if (problems.empty()) return "";
  std::string report = absl::StrCat(expected.file, ": the run does not match the expectations (",
                                    problems.size(), " problem(s))\n");
  for (const std::string& p : problems) absl::StrAppend(&report, "* ", p, "\n");
  std::vector<std::string> want_text;
  for (const Pattern& p : want) want_text.push_back(p.text);
  absl::StrAppend(&report, "--- expected stdout (CHECK lines) ---\n", Numbered(want_text));
  absl::StrAppend(&report, "--- actual stdout ---\n", Numbered(out));
  if (!expected.stderr_patterns.empty()) {
    std::vector<std::string> err_want;
    for (const Pattern& p : expected.stderr_patterns) err_want.push_back(p.text);
    absl::StrAppend(&report, "--- expected stderr (CHECK-ERR lines, in order) ---\n",
                    Numbered(err_want));
  }
  absl::StrAppend(&report, "--- actual stderr ---\n", Numbered(err));
  absl::StrAppend(&report, "--- exit code: expected ", expected.exit_code, ", got ", exit_code,
                  " ---\n");
  return report;
}

}  // namespace noma::filecheck
