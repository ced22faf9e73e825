#include "noma/syntax/diagnostics.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "noma/syntax/internal/char_class.h"

namespace noma::syntax {
namespace {

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNote:
      return "note";
  }
  return "error";
}

// Lines longer than this are shown as a window around the caret.
constexpr size_t kMaxShownLineBytes = 120;
constexpr size_t kContextBeforeCaret = 40;

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The source line under a diagnostic and the underline below it. Carets line up in a terminal:
// tabs are copied into the padding, a UTF-8 character takes one column, and bytes that would
// disturb the terminal (control characters, invalid UTF-8) are shown as '?'.
struct Snippet {
  std::string line;
  std::string underline;
};

Snippet MakeSnippet(absl::string_view line, size_t caret, size_t underline_end) {
  size_t window_begin = 0;
  size_t window_end = line.size();
  if (line.size() > kMaxShownLineBytes) {
    window_begin = caret > kContextBeforeCaret ? caret - kContextBeforeCaret : 0;
    while (window_begin > 0 && IsContinuationByte(line[window_begin])) --window_begin;
    window_end = std::min(line.size(), window_begin + kMaxShownLineBytes);
    while (window_end < line.size() && IsContinuationByte(line[window_end])) ++window_end;
  }
  Snippet snippet;
  std::string pad;
  if (window_begin > 0) {
    snippet.line = "...";
    pad = "   ";
  }
  size_t i = window_begin;
  while (i < window_end) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    size_t length = 1;
    if (c == '\t' || (c >= 0x20 && c < 0x7F)) {
      snippet.line += static_cast<char>(c);
    } else if (c >= 0x80 && (length = internal::Utf8SequenceLength(line.substr(i))) > 0) {
      snippet.line.append(line.data() + i, length);
    } else {
      length = 1;
      snippet.line += '?';
    }
    if (i + length <= caret) {
      pad += c == '\t' ? '\t' : ' ';
    } else if (i < underline_end) {
      snippet.underline += snippet.underline.empty() ? '^' : '~';
    }
    i += length;
  }
  if (window_end < line.size()) snippet.line += "...";
  if (snippet.underline.empty()) snippet.underline = "^";  // At the end of the line.
  snippet.underline = pad + snippet.underline;
  return snippet;
}

}  // namespace

void DiagnosticEngine::Report(Diagnostic diagnostic) {
  if (diagnostic.severity == Severity::kError) {
    if (error_count_ >= max_errors_) {
      ++suppressed_;
      return;
    }
    ++error_count_;
  }
  diagnostics_.push_back(std::move(diagnostic));
}

void DiagnosticEngine::Error(SourceRange range, std::string message, std::string hint) {
  Report({Severity::kError, range, std::move(message), std::move(hint), {}});
}

void DiagnosticEngine::Warning(SourceRange range, std::string message, std::string hint) {
  Report({Severity::kWarning, range, std::move(message), std::move(hint), {}});
}

void DiagnosticEngine::Clear() {
  diagnostics_.clear();
  error_count_ = 0;
  suppressed_ = 0;
}

void DiagnosticEngine::SortByLocation() {
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.range.file != b.range.file) return a.range.file < b.range.file;
                     return a.range.begin < b.range.begin;
                   });
}

std::string DiagnosticEngine::Render(const SourceManager& sources) const {
  std::string out;
  for (const Diagnostic& d : diagnostics_) out += RenderDiagnostic(d, sources);
  if (error_count_ >= max_errors_) {
    absl::StrAppend(&out, "note: stopped after ", max_errors_, " errors");
    if (suppressed_ > 0) absl::StrAppend(&out, " (", suppressed_, " more not shown)");
    out += "\n";
  }
  return out;
}

std::string RenderDiagnostic(const Diagnostic& diagnostic, const SourceManager& sources) {
  const char* severity = SeverityName(diagnostic.severity);
  const SourceRange& range = diagnostic.range;
  std::string out;
  if (!range.valid()) {
    absl::StrAppend(&out, severity, ": ", diagnostic.message, "\n");
  } else if (range.begin > sources.contents(range.file).size()) {
    absl::StrAppend(&out, sources.name(range.file), ": ", severity, ": ", diagnostic.message, "\n");
  } else {
    LineColumn start = sources.Resolve(range.file, range.begin);
    absl::StrAppend(&out, sources.name(range.file), ":", start.line, ":", start.column, ": ",
                    severity, ": ", diagnostic.message, "\n");
    absl::string_view line = sources.LineText(range.file, start.line);
    size_t caret = start.column - 1;
    size_t underline_end =
        caret + std::max<size_t>(1, range.end > range.begin ? range.end - range.begin : 1);
    Snippet snippet = MakeSnippet(line, caret, underline_end);
    std::string gutter = absl::StrCat(start.line);
    absl::StrAppend(&out, " ", gutter, " | ", snippet.line, "\n");
    absl::StrAppend(&out, " ", std::string(gutter.size(), ' '), " | ", snippet.underline, "\n");
  }
  if (!diagnostic.hint.empty()) absl::StrAppend(&out, "hint: ", diagnostic.hint, "\n");
  for (const Diagnostic& note : diagnostic.notes) out += RenderDiagnostic(note, sources);
  return out;
}

std::string ClosestName(const std::string& name, const std::vector<std::string>& candidates) {
  // Optimal string alignment distance: Levenshtein plus adjacent swaps ("lr" vs "rl").
  auto distance = [&name](const std::string& candidate) {
    const size_t m = name.size();
    const size_t n = candidate.size();
    std::vector<size_t> before_previous(n + 1), previous(n + 1), current(n + 1);
    for (size_t j = 0; j <= n; ++j) previous[j] = j;
    for (size_t i = 1; i <= m; ++i) {
      current[0] = i;
      for (size_t j = 1; j <= n; ++j) {
        size_t cost = name[i - 1] == candidate[j - 1] ? 0 : 1;
        current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
        if (i > 1 && j > 1 && name[i - 1] == candidate[j - 2] && name[i - 2] == candidate[j - 1]) {
          current[j] = std::min(current[j], before_previous[j - 2] + 1);
        }
      }
      std::swap(before_previous, previous);
      std::swap(previous, current);
    }
    return previous[n];
  };
  size_t allowed = std::max<size_t>(1, name.size() / 3);
  if (allowed >= name.size()) return "";  // One-letter names: any other name is "close".
  std::string best;
  size_t best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    if (candidate == name) continue;
    // Cheap rejection: the length difference alone is a lower bound on the distance.
    size_t length_gap = candidate.size() > name.size() ? candidate.size() - name.size()
                                                       : name.size() - candidate.size();
    if (length_gap >= best_distance) continue;
    size_t d = distance(candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

}  // namespace noma::syntax
