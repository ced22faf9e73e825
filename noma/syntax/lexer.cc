#include "noma/syntax/lexer.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "noma/syntax/internal/char_class.h"

namespace noma::syntax {
namespace {

using internal::IsDigit;
using internal::IsIdentContinue;
using internal::IsIdentStart;
using internal::IsSpace;
using internal::QuoteForMessage;

// Keyword lookup by length first: at most five same-length comparisons per identifier, which
// keeps identifier-heavy code fast.
TokenKind KeywordOrIdentifier(absl::string_view word) {
  switch (word.size()) {
    case 2:
      if (word == "fn") return TokenKind::kFn;
      if (word == "if") return TokenKind::kIf;
      if (word == "in") return TokenKind::kIn;
      if (word == "as") return TokenKind::kAs;
      break;
    case 3:
      if (word == "let") return TokenKind::kLet;
      break;
    case 4:
      if (word == "else") return TokenKind::kElse;
      if (word == "free") return TokenKind::kFree;
      if (word == "with") return TokenKind::kWith;
      break;
    case 5:
      if (word == "learn") return TokenKind::kLearn;
      if (word == "while") return TokenKind::kWhile;
      if (word == "until") return TokenKind::kUntil;
      if (word == "alloc") return TokenKind::kAlloc;
      if (word == "batch") return TokenKind::kBatch;
      break;
    case 6:
      if (word == "return") return TokenKind::kReturn;
      if (word == "tensor") return TokenKind::kTensor;
      break;
    case 7:
      if (word == "realloc") return TokenKind::kRealloc;
      break;
    case 8:
      if (word == "optimize") return TokenKind::kOptimize;
      if (word == "minimize") return TokenKind::kMinimize;
      if (word == "load_csv") return TokenKind::kLoadCsv;
      if (word == "save_csv") return TokenKind::kSaveCsv;
      break;
    case 15:
      if (word == "reset_optimizer") return TokenKind::kResetOptimizer;
      break;
    case 16:
      if (word == "load_safetensors") return TokenKind::kLoadSafetensors;
      if (word == "save_safetensors") return TokenKind::kSaveSafetensors;
      break;
    default:
      break;
  }
  return TokenKind::kIdentifier;
}

// Bytes that can start some token (or whitespace); anything else is an unexpected character.
bool CanStartToken(char c) {
  if (IsIdentContinue(c) || IsSpace(c)) return true;
  return c != '\0' && std::strchr("+-*/%^=!<>(){}[],;:.&|\"", c) != nullptr;
}

bool IsValidEscape(char c) { return c == 'n' || c == 't' || c == 'r' || c == '\\' || c == '"'; }

}  // namespace

const char* TokenSpelling(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEnd:
      return "end of file";
    case TokenKind::kError:
      return "invalid token";
    case TokenKind::kIdentifier:
      return "a name";
    case TokenKind::kNumber:
      return "a number";
    case TokenKind::kString:
      return "a string";
    case TokenKind::kFn:
      return "'fn'";
    case TokenKind::kLet:
      return "'let'";
    case TokenKind::kLearn:
      return "'learn'";
    case TokenKind::kReturn:
      return "'return'";
    case TokenKind::kIf:
      return "'if'";
    case TokenKind::kElse:
      return "'else'";
    case TokenKind::kWhile:
      return "'while'";
    case TokenKind::kOptimize:
      return "'optimize'";
    case TokenKind::kUntil:
      return "'until'";
    case TokenKind::kMinimize:
      return "'minimize'";
    case TokenKind::kTensor:
      return "'tensor'";
    case TokenKind::kAlloc:
      return "'alloc'";
    case TokenKind::kRealloc:
      return "'realloc'";
    case TokenKind::kFree:
      return "'free'";
    case TokenKind::kLoadCsv:
      return "'load_csv'";
    case TokenKind::kSaveCsv:
      return "'save_csv'";
    case TokenKind::kLoadSafetensors:
      return "'load_safetensors'";
    case TokenKind::kSaveSafetensors:
      return "'save_safetensors'";
    case TokenKind::kBatch:
      return "'batch'";
    case TokenKind::kIn:
      return "'in'";
    case TokenKind::kWith:
      return "'with'";
    case TokenKind::kAs:
      return "'as'";
    case TokenKind::kResetOptimizer:
      return "'reset_optimizer'";
    case TokenKind::kPlus:
      return "'+'";
    case TokenKind::kMinus:
      return "'-'";
    case TokenKind::kStar:
      return "'*'";
    case TokenKind::kSlash:
      return "'/'";
    case TokenKind::kPercent:
      return "'%'";
    case TokenKind::kCaret:
      return "'^'";
    case TokenKind::kStarStar:
      return "'**'";
    case TokenKind::kEqEq:
      return "'=='";
    case TokenKind::kBangEq:
      return "'!='";
    case TokenKind::kLess:
      return "'<'";
    case TokenKind::kGreater:
      return "'>'";
    case TokenKind::kLessEq:
      return "'<='";
    case TokenKind::kGreaterEq:
      return "'>='";
    case TokenKind::kAmpAmp:
      return "'&&'";
    case TokenKind::kPipePipe:
      return "'||'";
    case TokenKind::kBang:
      return "'!'";
    case TokenKind::kEq:
      return "'='";
    case TokenKind::kLParen:
      return "'('";
    case TokenKind::kRParen:
      return "')'";
    case TokenKind::kLBrace:
      return "'{'";
    case TokenKind::kRBrace:
      return "'}'";
    case TokenKind::kLBracket:
      return "'['";
    case TokenKind::kRBracket:
      return "']'";
    case TokenKind::kComma:
      return "','";
    case TokenKind::kSemicolon:
      return "';'";
    case TokenKind::kColon:
      return "':'";
    case TokenKind::kDot:
      return "'.'";
  }
  return "a token";
}

bool IsKeyword(TokenKind kind) {
  return kind >= TokenKind::kFn && kind <= TokenKind::kResetOptimizer;
}

bool DecodeString(absl::string_view text, std::string* out) {
  out->clear();
  if (text.size() < 2) return false;
  absl::string_view body = text.substr(1, text.size() - 2);
  out->reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      *out += c;
      continue;
    }
    if (++i == body.size()) return false;
    switch (body[i]) {
      case 'n':
        *out += '\n';
        break;
      case 't':
        *out += '\t';
        break;
      case 'r':
        *out += '\r';
        break;
      case '\\':
        *out += '\\';
        break;
      case '"':
        *out += '"';
        break;
      default:
        return false;
    }
  }
  return true;
}

Lexer::Lexer(const SourceManager& sources, FileId file, DiagnosticEngine& diagnostics,
             std::vector<Comment>* comments)
    : file_(file), src_(sources.contents(file)), diagnostics_(diagnostics), comments_(comments) {
  // Editors on some systems start UTF-8 files with a byte-order mark; it is not code.
  if (src_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

void Lexer::Error(uint32_t begin, uint32_t end, std::string message, std::string hint) {
  diagnostics_.Error({file_, begin, end}, std::move(message), std::move(hint));
}

Token Lexer::Next() {
  const char* src = src_.data();
  const uint32_t n = static_cast<uint32_t>(src_.size());
  uint32_t i = pos_;
  // Skip whitespace and comments.
  while (true) {
    while (i < n && IsSpace(src[i])) ++i;
    if (i >= n || diagnostics_.at_error_limit()) {
      pos_ = n;  // Past the error cap nothing more is worth reporting.
      Token end;
      end.kind = TokenKind::kEnd;
      end.begin = end.end = n;
      return end;
    }
    if (src[i] != '/' || i + 1 >= n) break;
    uint32_t start = i;
    if (src[i + 1] == '/') {
      const void* newline = std::memchr(src + i, '\n', n - i);
      i = newline ? static_cast<uint32_t>(static_cast<const char*>(newline) - src) : n;
      uint32_t end = i;
      while (end > start && src[end - 1] == '\r') --end;  // CRLF (or stray CRs) end the line.
      if (comments_)
        comments_->push_back({{file_, start, end}, std::string(src + start, end - start)});
      continue;
    }
    if (src[i + 1] == '*') {
      size_t close = src_.find("*/", i + 2);
      if (close == absl::string_view::npos) {
        Error(start, start + 2, "unterminated block comment",
              "close it with '*/' (block comments do not nest)");
        i = n;
        continue;
      }
      i = static_cast<uint32_t>(close) + 2;
      if (comments_) comments_->push_back({{file_, start, i}, std::string(src + start, i - start)});
      continue;
    }
    break;
  }

  Token token;
  const uint32_t start = i;
  token.begin = start;
  const char c = src[i];
  if (IsIdentStart(c)) {
    ++i;
    while (i < n && IsIdentContinue(src[i])) ++i;
    token.kind = KeywordOrIdentifier(absl::string_view(src + start, i - start));
  } else if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(src[i + 1]))) {
    while (i < n && IsDigit(src[i])) ++i;
    if (i < n && src[i] == '.') {
      ++i;
      while (i < n && IsDigit(src[i])) ++i;
    }
    bool bad_exponent = false;
    if (i < n && (src[i] == 'e' || src[i] == 'E')) {
      ++i;
      if (i < n && (src[i] == '+' || src[i] == '-')) ++i;
      bad_exponent = i >= n || !IsDigit(src[i]);  // `1e`, `1e+`, `2E-x`
      while (i < n && IsDigit(src[i])) ++i;
    }
    token.kind = TokenKind::kNumber;
    if (bad_exponent || (i < n && (IsIdentContinue(src[i]) || src[i] == '.'))) {
      // `12abc`, `1.2.3`, `1e`: one error for the whole run rather than a cascade.
      while (i < n && (IsIdentContinue(src[i]) || src[i] == '.')) ++i;
      Error(start, i,
            absl::StrCat("malformed number '",
                         QuoteForMessage(absl::string_view(src + start, i - start)), "'"),
            "numbers look like 42, 3.14, .5, 1e-3 or 2.5E+4");
      token.kind = TokenKind::kError;
    }
  } else if (c == '"') {
    ++i;
    bool closed = false;
    uint32_t bad_escape = UINT32_MAX;
    while (i < n && src[i] != '\n') {
      char d = src[i];
      if (d == '"') {
        ++i;
        closed = true;
        break;
      }
      if (d == '\\' && i + 1 < n && src[i + 1] != '\n') {
        if (!IsValidEscape(src[i + 1]) && bad_escape == UINT32_MAX) bad_escape = i;
        i += 2;
        continue;
      }
      ++i;
    }
    token.kind = TokenKind::kString;
    if (!closed) {
      uint32_t end = i;
      if (end > start && src[end - 1] == '\r') --end;
      Error(start, end, "unterminated string", "strings end with '\"' on the same line");
      token.kind = TokenKind::kError;
    } else if (bad_escape != UINT32_MAX) {
      absl::string_view rest(src + bad_escape + 1, n - bad_escape - 1);
      size_t escaped_length = internal::Utf8SequenceLength(rest);
      if (escaped_length == 0) escaped_length = 1;
      uint32_t escape_end = bad_escape + 1 + static_cast<uint32_t>(escaped_length);
      Error(bad_escape, escape_end,
            absl::StrCat(
                "unknown escape sequence '",
                QuoteForMessage(absl::string_view(src + bad_escape, escape_end - bad_escape)), "'"),
            "valid escapes are \\n \\t \\r \\\\ and \\\"");
      token.kind = TokenKind::kError;
    }
  } else {
    ++i;
    auto next_is = [&](char expected) {
      if (i < n && src[i] == expected) {
        ++i;
        return true;
      }
      return false;
    };
    switch (c) {
      case '+':
        token.kind = TokenKind::kPlus;
        break;
      case '-':
        token.kind = TokenKind::kMinus;
        break;
      case '*':
        token.kind = next_is('*') ? TokenKind::kStarStar : TokenKind::kStar;
        break;
      case '/':
        token.kind = TokenKind::kSlash;
        break;
      case '%':
        token.kind = TokenKind::kPercent;
        break;
      case '^':
        token.kind = TokenKind::kCaret;
        break;
      case '=':
        token.kind = next_is('=') ? TokenKind::kEqEq : TokenKind::kEq;
        break;
      case '!':
        token.kind = next_is('=') ? TokenKind::kBangEq : TokenKind::kBang;
        break;
      case '<':
        token.kind = next_is('=') ? TokenKind::kLessEq : TokenKind::kLess;
        break;
      case '>':
        token.kind = next_is('=') ? TokenKind::kGreaterEq : TokenKind::kGreater;
        break;
      case '(':
        token.kind = TokenKind::kLParen;
        break;
      case ')':
        token.kind = TokenKind::kRParen;
        break;
      case '{':
        token.kind = TokenKind::kLBrace;
        break;
      case '}':
        token.kind = TokenKind::kRBrace;
        break;
      case '[':
        token.kind = TokenKind::kLBracket;
        break;
      case ']':
        token.kind = TokenKind::kRBracket;
        break;
      case ',':
        token.kind = TokenKind::kComma;
        break;
      case ';':
        token.kind = TokenKind::kSemicolon;
        break;
      case ':':
        token.kind = TokenKind::kColon;
        break;
      case '.':
        token.kind = TokenKind::kDot;
        break;
      case '&':
        if (next_is('&')) {
          token.kind = TokenKind::kAmpAmp;
        } else {
          Error(start, i, "unexpected character '&'", "logical and is written '&&'");
          token.kind = TokenKind::kError;
        }
        break;
      case '|':
        if (next_is('|')) {
          token.kind = TokenKind::kPipePipe;
        } else {
          Error(start, i, "unexpected character '|'", "logical or is written '||'");
          token.kind = TokenKind::kError;
        }
        break;
      default: {
        // One error for a run of characters that start no token (binary junk, emoji, ...).
        while (i < n && !CanStartToken(src[i])) ++i;
        absl::string_view junk(src + start, i - start);
        std::string hint;
        if (c == '#') hint = "comments start with '//'";
        if (c == '\'') hint = "strings use double quotes: \"...\"";
        bool one_character = junk.size() == 1 || internal::Utf8SequenceLength(junk) == junk.size();
        Error(start, i,
              absl::StrCat(one_character ? "unexpected character '" : "unexpected characters '",
                           QuoteForMessage(junk), "'"),
              std::move(hint));
        token.kind = TokenKind::kError;
      }
    }
  }
  token.end = i;
  token.text = absl::string_view(src + start, i - start);
  pos_ = i;
  return token;
}

std::vector<Token> Lex(const SourceManager& sources, FileId file, DiagnosticEngine& diagnostics,
                       std::vector<Comment>* comments) {
  Lexer lexer(sources, file, diagnostics, comments);
  std::vector<Token> tokens;
  do {
    tokens.push_back(lexer.Next());
  } while (tokens.back().kind != TokenKind::kEnd);
  return tokens;
}

}  // namespace noma::syntax
