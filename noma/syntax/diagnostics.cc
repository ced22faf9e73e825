#include "noma/syntax/diagnostics.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace noma::syntax {

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
  const char* severity = diagnostic.severity == Severity::kError     ? "error"
                         : diagnostic.severity == Severity::kWarning ? "warning"
                                                                     : "note";
  std::string out;
  const SourceRange& range = diagnostic.range;
  if (!range.valid()) {
    absl::StrAppend(&out, severity, ": ", diagnostic.message, "\n");
  } else {
    LineColumn start = sources.Resolve(range.file, range.begin);
    absl::StrAppend(&out, sources.name(range.file), ":", start.line, ":", start.column, ": ",
                    severity, ": ", diagnostic.message, "\n");
    absl::string_view line = sources.LineText(range.file, start.line);
    std::string gutter = absl::StrCat(start.line);
    absl::StrAppend(&out, " ", gutter, " | ", line, "\n");
    // Underline: caret at the start, tildes to the end of the range (clipped to the line).
    size_t column = start.column - 1;
    size_t length = range.end > range.begin ? range.end - range.begin : 1;
    length = std::max<size_t>(1, std::min(length, line.size() > column ? line.size() - column : 1));
    std::string pad;
    for (size_t i = 0; i < column && i < line.size(); ++i) pad += line[i] == '\t' ? '\t' : ' ';
    absl::StrAppend(&out, " ", std::string(gutter.size(), ' '), " | ", pad, "^",
                    std::string(length - 1, '~'), "\n");
  }
  if (!diagnostic.hint.empty()) absl::StrAppend(&out, "hint: ", diagnostic.hint, "\n");
  for (const Diagnostic& note : diagnostic.notes) out += RenderDiagnostic(note, sources);
  return out;
}

std::string ClosestName(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& candidate : candidates) {
    if (candidate == name) continue;
    // Levenshtein distance with one row.
    std::vector<size_t> row(candidate.size() + 1);
    for (size_t j = 0; j <= candidate.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= name.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= candidate.size(); ++j) {
        size_t up = row[j];
        row[j] = std::min(
            {row[j] + 1, row[j - 1] + 1, diagonal + (name[i - 1] == candidate[j - 1] ? 0 : 1)});
        diagonal = up;
      }
    }
    size_t distance = row[candidate.size()];
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  // Suggest only plausible typos: at most a third of the name changed (and at least 1 edit).
  size_t limit = std::max<size_t>(1, name.size() / 3);
  return best_distance <= limit ? best : "";
}

}  // namespace noma::syntax
