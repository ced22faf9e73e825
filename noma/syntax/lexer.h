#ifndef NOMA_SYNTAX_LEXER_H_
#define NOMA_SYNTAX_LEXER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "noma/syntax/ast.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/source.h"

namespace noma::syntax {

enum class TokenKind : uint8_t {
  kEnd,
  kError,
  kIdentifier,
  kNumber,
  kString,
  // Keywords.
  kFn,
  kLet,
  kLearn,
  kReturn,
  kIf,
  kElse,
  kWhile,
  kOptimize,
  kUntil,
  kMinimize,
  kTensor,
  kAlloc,
  kRealloc,
  kFree,
  kLoadCsv,
  kSaveCsv,
  kLoadSafetensors,
  kSaveSafetensors,
  kBatch,
  kIn,
  kWith,
  kAs,
  kResetOptimizer,
  // Operators and punctuation.
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kCaret,
  kStarStar,
  kEqEq,
  kBangEq,
  kLess,
  kGreater,
  kLessEq,
  kGreaterEq,
  kAmpAmp,
  kPipePipe,
  kBang,
  kEq,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kComma,
  kSemicolon,
  kColon,
  kDot,
};

// How a token kind is written, for messages ("expected ';'", "expected 'until'", "a name").
const char* TokenSpelling(TokenKind kind);

// True for the reserved words of docs/language.md §1 (`fn` ... `reset_optimizer`).
bool IsKeyword(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::kEnd;
  uint32_t begin = 0;
  uint32_t end = 0;
  absl::string_view text;  // Points into the source buffer.
};

// Produces tokens one at a time (the parser streams them, so no token array is built).
// Comments go to `comments`; malformed input (unknown characters, unterminated strings or
// comments, bad escapes) is reported and yields a kError token, so lexing always finishes.
class Lexer {
 public:
  Lexer(const SourceManager& sources, FileId file, DiagnosticEngine& diagnostics,
        std::vector<Comment>* comments);
  // The next token; kEnd at the end of input (and forever after).
  Token Next();

 private:
  void Error(uint32_t begin, uint32_t end, std::string message, std::string hint = "");

  FileId file_;
  absl::string_view src_;
  DiagnosticEngine& diagnostics_;
  std::vector<Comment>* comments_;
  uint32_t pos_ = 0;
};

// Splits a whole buffer into tokens (the last is kEnd): the Lexer run to the end, for tests and
// tools. Malformed input is reported and appears as kError tokens.
std::vector<Token> Lex(const SourceManager& sources, FileId file, DiagnosticEngine& diagnostics,
                       std::vector<Comment>* comments);

// Decodes the escapes of a string token's text (including its quotes). Returns false on an
// unknown escape.
bool DecodeString(absl::string_view token_text, std::string* out);

}  // namespace noma::syntax

#endif  // NOMA_SYNTAX_LEXER_H_
