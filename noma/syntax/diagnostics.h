#ifndef NOMA_SYNTAX_DIAGNOSTICS_H_
#define NOMA_SYNTAX_DIAGNOSTICS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "noma/syntax/source.h"

namespace noma::syntax {

enum class Severity { kError, kWarning, kNote };

// One message tied to a source range, rendered as
//   file:line:col: error: message
//    12 | <source line>
//       |      ^~~~~
//   hint: ...
// A range with no file renders as `error: message`; a range that names a file but no position
// in it (WholeFile) renders as `file: error: message`.
struct Diagnostic {
  Severity severity = Severity::kError;
  SourceRange range;
  std::string message;
  std::string hint;               // Optional; printed as "hint: ..." when non-empty.
  std::vector<Diagnostic> notes;  // Attached notes (severity kNote).
};

// Collects diagnostics for one compilation. Stops recording errors after `max_errors` (the
// last recorded one says how many were suppressed) so a garbage file cannot flood the terminal.
// A range naming `file` as a whole (e.g. for "cannot read" or "no fn main" messages).
inline SourceRange WholeFile(FileId file) { return {file, UINT32_MAX, UINT32_MAX}; }

class DiagnosticEngine {
 public:
  static constexpr size_t kDefaultMaxErrors = 20;
  explicit DiagnosticEngine(size_t max_errors = kDefaultMaxErrors) : max_errors_(max_errors) {}

  void Report(Diagnostic diagnostic);
  void Error(SourceRange range, std::string message, std::string hint = "");
  void Warning(SourceRange range, std::string message, std::string hint = "");

  bool has_errors() const { return error_count_ > 0; }
  size_t error_count() const { return error_count_; }
  // True once the error cap is reached; callers may stop early.
  bool at_error_limit() const { return error_count_ >= max_errors_; }
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  void Clear();
  // Orders diagnostics by file and position (stable for equal positions).
  void SortByLocation();

  // Renders all diagnostics in order, each followed by its source snippet.
  std::string Render(const SourceManager& sources) const;

 private:
  size_t max_errors_;
  size_t error_count_ = 0;
  size_t suppressed_ = 0;
  std::vector<Diagnostic> diagnostics_;
};

// Renders one diagnostic (and its notes). Used by other stages for run-time errors too.
std::string RenderDiagnostic(const Diagnostic& diagnostic, const SourceManager& sources);

// The candidate closest to `name` by edit distance (insertions, deletions, substitutions and
// swaps of adjacent characters each count 1), or "" if none is close enough to be a plausible
// typo: at most a third of the name may differ (one edit is always allowed for names longer than
// one character). Ties go to the earliest candidate. For "did you mean 'x'?" hints.
std::string ClosestName(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace noma::syntax

#endif  // NOMA_SYNTAX_DIAGNOSTICS_H_
