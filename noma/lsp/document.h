#ifndef NOMA_LSP_DOCUMENT_H_
#define NOMA_LSP_DOCUMENT_H_

// One open document of the language server: its text, the mapping between byte offsets and
// the protocol's (line, UTF-16 column) positions, and what the compiler's front end says
// about it (diagnostics, syntax tree, inferred shapes), queried for hover, definition,
// symbols and completion.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "noma/graph/ir.h"
#include "noma/syntax/ast.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/source.h"

namespace noma::lsp {

// Larger documents are not analysed (one diagnostic says so); the front end is linear, but
// an editor must stay responsive.
inline constexpr size_t kMaxDocumentBytes = size_t{8} << 20;

// A protocol position: 0-based line and UTF-16 code unit in that line.
struct Position {
  uint32_t line = 0;
  uint32_t character = 0;
  friend bool operator==(const Position& a, const Position& b) {
    return a.line == b.line && a.character == b.character;
  }
};

struct Range {
  Position start;
  Position end;
};

// Maps byte offsets of UTF-8 text to positions and back. Invalid UTF-8 counts one unit per
// byte that does not continue a sequence, so every offset maps somewhere.
class LineIndex {
 public:
  explicit LineIndex(absl::string_view text);
  Position ToPosition(uint32_t offset) const;
  // Positions past the end of a line or of the text clamp to it.
  uint32_t ToOffset(Position position) const;

 private:
  absl::string_view text_;
  std::vector<uint32_t> line_starts_;
};

// Where a name occurs and what it does there.
enum class Role {
  kFunction,    // fn NAME(...)
  kParameter,   // fn f(NAME)
  kLet,         // let NAME = ...
  kLearn,       // learn NAME = ...
  kBinding,     // alloc, load_csv, load_safetensors, batch variables: other declarations
  kAssignment,  // NAME = ...;  realloc NAME = [...];
  kUse,         // NAME in an expression (also optimize(NAME), free NAME)
  kCall,        // NAME(...)
};

struct Occurrence {
  Role role;
  std::string name;
  syntax::SourceRange range;
  int function;         // Index into the program's functions.
  const char* keyword;  // The statement that declares or sets it ("let", "alloc", ...).
};

// A completion candidate (protocol CompletionItemKind numbers in `kind`).
struct CompletionCandidate {
  std::string label;
  int kind;
  std::string detail;
  std::string documentation;
};

struct SymbolInfo {
  std::string name;
  std::string detail;
  int kind;  // Protocol SymbolKind.
  syntax::SourceRange range;
  syntax::SourceRange selection;
  std::vector<SymbolInfo> children;
};

class Document {
 public:
  // Analyses `text` (named `path` in messages) with the compiler's front end.
  Document(std::string path, std::string text, int64_t version);

  const std::string& text() const { return text_; }
  int64_t version() const { return version_; }
  const LineIndex& lines() const { return *lines_; }
  bool too_large() const { return text_.size() > kMaxDocumentBytes; }

  // Every error, warning and note of the front end on this document.
  const std::vector<syntax::Diagnostic>& diagnostics() const { return diagnostics_; }
  Range ToRange(const syntax::SourceRange& range) const;

  // Markdown for the name at `offset`, or nullopt where there is nothing to say.
  std::optional<std::string> Hover(uint32_t offset) const;
  // The declaration of the variable or function at `offset`.
  std::optional<syntax::SourceRange> Definition(uint32_t offset) const;
  std::vector<SymbolInfo> Symbols() const;
  // Candidates that start with the identifier ending at `offset`.
  std::vector<CompletionCandidate> Complete(uint32_t offset) const;
  // The canonical text (`noma fmt`), or an error when the text has syntax errors.
  absl::StatusOr<std::string> Format() const;

 private:
  const Occurrence* OccurrenceAt(uint32_t offset) const;
  // The declaration a use of a variable refers to: the closest one before it in its function.
  const Occurrence* DeclarationOf(const Occurrence& occurrence) const;
  // The inferred type of a declared variable, when inference ran.
  std::optional<graph::Type> TypeOf(const Occurrence& declaration) const;
  std::string VariableHover(const Occurrence& occurrence) const;

  std::string path_;
  std::string text_;
  int64_t version_;
  std::unique_ptr<LineIndex> lines_;
  syntax::SourceManager sources_;
  syntax::FileId file_ = syntax::kNoFile;
  syntax::Program program_;
  std::optional<graph::Module> module_;  // After shape inference, when it ran.
  std::vector<syntax::Diagnostic> diagnostics_;
  std::vector<Occurrence> occurrences_;  // In source order.
};

// Protocol SymbolKind and CompletionItemKind values used here.
inline constexpr int kSymbolFunction = 12, kSymbolVariable = 13, kSymbolField = 8;
inline constexpr int kCompletionFunction = 3, kCompletionVariable = 6, kCompletionProperty = 10,
                     kCompletionKeyword = 14, kCompletionEnum = 13;

}  // namespace noma::lsp

#endif  // NOMA_LSP_DOCUMENT_H_
