#include "noma/syntax/lexer.h"

#include <array>

#include "absl/strings/str_cat.h"

namespace noma::syntax {
namespace {

struct Keyword {
  absl::string_view text;
  TokenKind kind;
};

constexpr std::array<Keyword, 23> kKeywords = {{
    {"fn", TokenKind::kFn},
    {"let", TokenKind::kLet},
    {"learn", TokenKind::kLearn},
    {"return", TokenKind::kReturn},
    {"if", TokenKind::kIf},
    {"else", TokenKind::kElse},
    {"while", TokenKind::kWhile},
    {"optimize", TokenKind::kOptimize},
    {"until", TokenKind::kUntil},
    {"minimize", TokenKind::kMinimize},
    {"tensor", TokenKind::kTensor},
    {"alloc", TokenKind::kAlloc},
    {"realloc", TokenKind::kRealloc},
    {"free", TokenKind::kFree},
    {"load_csv", TokenKind::kLoadCsv},
    {"save_csv", TokenKind::kSaveCsv},
    {"load_safetensors", TokenKind::kLoadSafetensors},
    {"save_safetensors", TokenKind::kSaveSafetensors},
    {"batch", TokenKind::kBatch},
    {"in", TokenKind::kIn},
    {"with", TokenKind::kWith},
    {"as", TokenKind::kAs},
    {"reset_optimizer", TokenKind::kResetOptimizer},
}};

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

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
    default:
      for (const Keyword& k : kKeywords) {
        if (k.kind == kind) return k.text.data();
      }
      return "token";
  }
}

bool DecodeString(absl::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (c != '\\') {
      *out += c;
      continue;
    }
    char e = text[++i];
    switch (e) {
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
    : file_(file), src_(sources.contents(file)), diagnostics_(diagnostics), comments_(comments) {}

void Lexer::Error(uint32_t begin, uint32_t end, std::string message, std::string hint) {
  diagnostics_.Error({file_, begin, end}, std::move(message), std::move(hint));
}

Token Lexer::Next() {
  absl::string_view src = src_;
  uint32_t n = static_cast<uint32_t>(src.size());
  uint32_t& i = pos_;
  FileId file = file_;
  auto error = [&](uint32_t begin, uint32_t end, std::string message, std::string hint = "") {
    Error(begin, end, std::move(message), std::move(hint));
  };
  while (i < n && !diagnostics_.at_error_limit()) {
    char c = src[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    uint32_t start = i;
    if (c == '/' && i + 1 < n && src[i + 1] == '/') {
      while (i < n && src[i] != '\n') ++i;
      uint32_t end = i;
      if (end > start && src[end - 1] == '\r') --end;
      if (comments_) {
        comments_->push_back({{file, start, end}, std::string(src.substr(start, end - start))});
      }
      continue;
    }
    if (c == '/' && i + 1 < n && src[i + 1] == '*') {
      size_t close = src.find("*/", i + 2);
      if (close == absl::string_view::npos) {
        error(start, start + 2, "unterminated block comment", "close it with '*/'");
        i = n;
        break;
      }
      i = static_cast<uint32_t>(close) + 2;
      if (comments_) {
        comments_->push_back({{file, start, i}, std::string(src.substr(start, i - start))});
      }
      continue;
    }
    Token token;
    token.begin = start;
    if (IsIdentStart(c)) {
      while (i < n && (IsIdentStart(src[i]) || IsDigit(src[i]))) ++i;
      token.kind = TokenKind::kIdentifier;
      absl::string_view word = src.substr(start, i - start);
      for (const Keyword& k : kKeywords) {
        if (k.text == word) {
          token.kind = k.kind;
          break;
        }
      }
    } else if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(src[i + 1]))) {
      while (i < n && IsDigit(src[i])) ++i;
      if (i < n && src[i] == '.') {
        ++i;
        while (i < n && IsDigit(src[i])) ++i;
      }
      if (i < n && (src[i] == 'e' || src[i] == 'E')) {
        uint32_t mark = i;
        ++i;
        if (i < n && (src[i] == '+' || src[i] == '-')) ++i;
        if (i < n && IsDigit(src[i])) {
          while (i < n && IsDigit(src[i])) ++i;
        } else {
          i = mark;  // Not an exponent; `e` starts the next token.
        }
      }
      token.kind = TokenKind::kNumber;
      if (i < n && (IsIdentStart(src[i]) || src[i] == '.')) {
        uint32_t bad_end = i;
        while (bad_end < n &&
               (IsIdentStart(src[bad_end]) || IsDigit(src[bad_end]) || src[bad_end] == '.')) {
          ++bad_end;
        }
        error(start, bad_end,
              absl::StrCat("malformed number '", src.substr(start, bad_end - start), "'"));
        token.kind = TokenKind::kError;
        i = bad_end;
      }
    } else if (c == '"') {
      ++i;
      bool closed = false;
      bool bad_escape = false;
      uint32_t escape_at = 0;
      while (i < n && src[i] != '\n') {
        if (src[i] == '\\' && i + 1 < n) {
          char e = src[i + 1];
          if (e != 'n' && e != 't' && e != 'r' && e != '\\' && e != '"' && !bad_escape) {
            bad_escape = true;
            escape_at = i;
          }
          i += 2;
          continue;
        }
        if (src[i] == '"') {
          ++i;
          closed = true;
          break;
        }
        ++i;
      }
      token.kind = TokenKind::kString;
      if (!closed) {
        error(start, i, "unterminated string", "strings end with '\"' on the same line");
        token.kind = TokenKind::kError;
      } else if (bad_escape) {
        error(escape_at, escape_at + 2,
              absl::StrCat("unknown escape sequence '", src.substr(escape_at, 2), "'"),
              "valid escapes are \\n \\t \\r \\\\ \\\"");
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
            error(start, i, "unexpected character '&'", "logical and is written '&&'");
            token.kind = TokenKind::kError;
          }
          break;
        case '|':
          if (next_is('|')) {
            token.kind = TokenKind::kPipePipe;
          } else {
            error(start, i, "unexpected character '|'", "logical or is written '||'");
            token.kind = TokenKind::kError;
          }
          break;
        default: {
          // Skip a whole UTF-8 sequence so the message shows the character.
          while (i < n && (static_cast<unsigned char>(src[i]) & 0xC0) == 0x80) ++i;
          error(start, i,
                absl::StrCat("unexpected character '", src.substr(start, i - start), "'"));
          token.kind = TokenKind::kError;
        }
      }
    }
    token.end = i;
    token.text = src.substr(start, i - start);
    return token;
  }
  Token end;
  end.kind = TokenKind::kEnd;
  end.begin = end.end = n;
  return end;
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
