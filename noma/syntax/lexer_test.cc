#include "noma/syntax/lexer.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "noma/syntax/testing/test_util.h"

namespace noma::syntax {
namespace {

using ::testing::HasSubstr;

struct Lexed {
  std::vector<Token> tokens;
  std::vector<Comment> comments;
  std::string errors;
  size_t error_count = 0;
};

Lexed LexText(const std::string& text) {
  SourceManager sources;
  DiagnosticEngine diagnostics;
  FileId file = sources.AddBuffer("t.noma", text);
  Lexed out;
  out.tokens = Lex(sources, file, diagnostics, &out.comments);
  out.errors = diagnostics.Render(sources);
  out.error_count = diagnostics.error_count();
  // Token texts point into `sources`, which dies here; tests compare kinds and offsets only.
  for (Token& t : out.tokens) t.text = {};
  return out;
}

std::vector<TokenKind> Kinds(const std::string& text) {
  Lexed lexed = LexText(text);
  EXPECT_EQ(lexed.error_count, 0u) << lexed.errors;
  std::vector<TokenKind> kinds;
  for (const Token& t : lexed.tokens) kinds.push_back(t.kind);
  return kinds;
}

TEST(LexerTest, EveryKeyword) {
  const std::pair<const char*, TokenKind> keywords[] = {
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
      {"reset_optimizer", TokenKind::kResetOptimizer}};
  for (const auto& [text, kind] : keywords) {
    EXPECT_EQ(Kinds(text), (std::vector<TokenKind>{kind, TokenKind::kEnd})) << text;
    EXPECT_TRUE(IsKeyword(kind)) << text;
    EXPECT_EQ(TokenSpelling(kind), absl::StrCat("'", text, "'"));
    // A keyword with more identifier characters is an ordinary name.
    EXPECT_EQ(Kinds(std::string(text) + "_x"),
              (std::vector<TokenKind>{TokenKind::kIdentifier, TokenKind::kEnd}))
        << text;
  }
}

TEST(LexerTest, NamesThatAreNotKeywords) {
  // `print`, builtins and cast types are ordinary identifiers.
  std::vector<TokenKind> names(8, TokenKind::kIdentifier);
  names.push_back(TokenKind::kEnd);
  EXPECT_EQ(Kinds("print sigmoid f32 i64 _x9 X_ lets iff"), names);
  EXPECT_FALSE(IsKeyword(TokenKind::kIdentifier));
  EXPECT_FALSE(IsKeyword(TokenKind::kPlus));
}

TEST(LexerTest, EveryOperator) {
  EXPECT_EQ(
      Kinds("+ - * / % ^ ** == != < > <= >= && || ! = ( ) { } [ ] , ; : ."),
      (std::vector<TokenKind>{
          TokenKind::kPlus,      TokenKind::kMinus,    TokenKind::kStar,     TokenKind::kSlash,
          TokenKind::kPercent,   TokenKind::kCaret,    TokenKind::kStarStar, TokenKind::kEqEq,
          TokenKind::kBangEq,    TokenKind::kLess,     TokenKind::kGreater,  TokenKind::kLessEq,
          TokenKind::kGreaterEq, TokenKind::kAmpAmp,   TokenKind::kPipePipe, TokenKind::kBang,
          TokenKind::kEq,        TokenKind::kLParen,   TokenKind::kRParen,   TokenKind::kLBrace,
          TokenKind::kRBrace,    TokenKind::kLBracket, TokenKind::kRBracket, TokenKind::kComma,
          TokenKind::kSemicolon, TokenKind::kColon,    TokenKind::kDot,      TokenKind::kEnd}));
  // Longest match without spaces.
  EXPECT_EQ(
      Kinds("a**-b<=c>=d==e!=f&&g||!h"),
      (std::vector<TokenKind>{TokenKind::kIdentifier, TokenKind::kStarStar, TokenKind::kMinus,
                              TokenKind::kIdentifier, TokenKind::kLessEq, TokenKind::kIdentifier,
                              TokenKind::kGreaterEq, TokenKind::kIdentifier, TokenKind::kEqEq,
                              TokenKind::kIdentifier, TokenKind::kBangEq, TokenKind::kIdentifier,
                              TokenKind::kAmpAmp, TokenKind::kIdentifier, TokenKind::kPipePipe,
                              TokenKind::kBang, TokenKind::kIdentifier, TokenKind::kEnd}));
  EXPECT_EQ(Kinds("***"),
            (std::vector<TokenKind>{TokenKind::kStarStar, TokenKind::kStar, TokenKind::kEnd}));
}

TEST(LexerTest, TokenSpellingsForMessages) {
  EXPECT_STREQ(TokenSpelling(TokenKind::kEnd), "end of file");
  EXPECT_STREQ(TokenSpelling(TokenKind::kIdentifier), "a name");
  EXPECT_STREQ(TokenSpelling(TokenKind::kNumber), "a number");
  EXPECT_STREQ(TokenSpelling(TokenKind::kString), "a string");
  EXPECT_STREQ(TokenSpelling(TokenKind::kError), "invalid token");
  EXPECT_STREQ(TokenSpelling(TokenKind::kSemicolon), "';'");
  EXPECT_STREQ(TokenSpelling(TokenKind::kStarStar), "'**'");
}

TEST(LexerTest, TokenOffsetsAndText) {
  SourceManager sources;
  DiagnosticEngine diagnostics;
  FileId file = sources.AddBuffer("t.noma", "let x1 = 2.5;");
  std::vector<Token> tokens = Lex(sources, file, diagnostics, nullptr);
  ASSERT_EQ(tokens.size(), 6u);
  EXPECT_EQ(tokens[1].text, "x1");
  EXPECT_EQ(tokens[1].begin, 4u);
  EXPECT_EQ(tokens[1].end, 6u);
  EXPECT_EQ(tokens[3].kind, TokenKind::kNumber);
  EXPECT_EQ(tokens[3].text, "2.5");
  EXPECT_EQ(tokens[5].kind, TokenKind::kEnd);
  EXPECT_EQ(tokens[5].begin, 13u);
}

TEST(LexerTest, StreamingLexerKeepsReturningEnd) {
  SourceManager sources;
  DiagnosticEngine diagnostics;
  FileId file = sources.AddBuffer("t.noma", "x");
  Lexer lexer(sources, file, diagnostics, nullptr);
  EXPECT_EQ(lexer.Next().kind, TokenKind::kIdentifier);
  EXPECT_EQ(lexer.Next().kind, TokenKind::kEnd);
  EXPECT_EQ(lexer.Next().kind, TokenKind::kEnd);
}

TEST(LexerTest, Numbers) {
  for (const char* number : {"42", "3.14", "0.5", ".5", "1e-3", "2.5E+4", "1e10", "007", "1."}) {
    EXPECT_EQ(Kinds(number), (std::vector<TokenKind>{TokenKind::kNumber, TokenKind::kEnd}))
        << number;
  }
  using testing::ExprDump;
  EXPECT_EQ(ExprDump("42"), "42");
  EXPECT_EQ(ExprDump("3.14"), "3.1400000000000001");
  EXPECT_EQ(ExprDump(".5"), "0.5");
  EXPECT_EQ(ExprDump("1e-3"), "0.001");
  EXPECT_EQ(ExprDump("2.5E+4"), "25000");
  EXPECT_EQ(ExprDump("1."), "1");
  EXPECT_EQ(ExprDump("1e-400"), "0");  // Underflow rounds to zero, as in C.
  // A sign is an operator, not part of the number.
  EXPECT_EQ(Kinds("-1"),
            (std::vector<TokenKind>{TokenKind::kMinus, TokenKind::kNumber, TokenKind::kEnd}));
  // `1.x`: the dot belongs to the number, which then runs into a name.
  EXPECT_THAT(LexText("1.x").errors, HasSubstr("malformed number '1.x'"));
}

TEST(LexerTest, MalformedNumbers) {
  for (const char* bad : {"12abc", "1.2.3", "1e", "1e+", "2E-x", "3_000", ".5.5"}) {
    Lexed lexed = LexText(bad);
    EXPECT_EQ(lexed.error_count, 1u) << bad << "\n" << lexed.errors;
    EXPECT_THAT(lexed.errors,
                HasSubstr(absl::StrCat("t.noma:1:1: error: malformed number '", bad, "'")));
    EXPECT_THAT(lexed.errors, HasSubstr("hint: numbers look like 42, 3.14, .5, 1e-3 or 2.5E+4"));
    EXPECT_EQ(lexed.tokens[0].kind, TokenKind::kError);
  }
}

TEST(LexerTest, Strings) {
  EXPECT_EQ(Kinds("\"\" \"abc\" \"a\\\"b\""),
            (std::vector<TokenKind>{TokenKind::kString, TokenKind::kString, TokenKind::kString,
                                    TokenKind::kEnd}));
  // Every escape of §1, and UTF-8 passes through.
  EXPECT_EQ(testing::ExprDump("\"a\\n\\t\\r\\\\\\\"b\""), "\"a\\n\\t\\r\\\\\\\"b\"");
  std::string decoded;
  EXPECT_TRUE(DecodeString("\"x\\ny\\t\\r\\\\\\\"\"", &decoded));
  EXPECT_EQ(decoded, "x\ny\t\r\\\"");
  EXPECT_TRUE(DecodeString("\"h\xC3\xA9\"", &decoded));
  EXPECT_EQ(decoded, "h\xC3\xA9");
  EXPECT_FALSE(DecodeString("\"\\q\"", &decoded));
  EXPECT_FALSE(DecodeString("\"", &decoded));
}

TEST(LexerTest, BadStrings) {
  Lexed escape = LexText("x = \"a\\qb\";");
  EXPECT_THAT(escape.errors, HasSubstr("t.noma:1:7: error: unknown escape sequence '\\q'"));
  EXPECT_THAT(escape.errors, HasSubstr("hint: valid escapes are \\n \\t \\r \\\\ and \\\""));
  EXPECT_EQ(escape.tokens[2].kind, TokenKind::kError);
  EXPECT_EQ(escape.tokens[3].kind, TokenKind::kSemicolon);  // Lexing goes on after the string.

  Lexed utf8_escape = LexText("\"\\\xC3\xA9\"");
  EXPECT_THAT(utf8_escape.errors, HasSubstr("unknown escape sequence '\\\xC3\xA9'"));

  Lexed open = LexText("print(\"abc);\nnext");
  EXPECT_THAT(open.errors, HasSubstr("t.noma:1:7: error: unterminated string"));
  EXPECT_THAT(open.errors, HasSubstr("hint: strings end with '\"' on the same line"));
  EXPECT_EQ(open.tokens[3].kind, TokenKind::kIdentifier);  // `next`, on the next line.

  // A backslash right before the newline does not continue the string.
  EXPECT_THAT(LexText("\"abc\\\n\"").errors, HasSubstr("1:1: error: unterminated string"));
  EXPECT_THAT(LexText("\"abc\\").errors, HasSubstr("unterminated string"));
  EXPECT_THAT(LexText("\"abc\r\n").errors, HasSubstr("unterminated string"));
}

TEST(LexerTest, Comments) {
  Lexed lexed = LexText("// first\nx /* block\n spans */ y // last");
  EXPECT_EQ(lexed.error_count, 0u);
  ASSERT_EQ(lexed.comments.size(), 3u);
  EXPECT_EQ(lexed.comments[0].text, "// first");
  EXPECT_EQ(lexed.comments[0].range.begin, 0u);
  EXPECT_EQ(lexed.comments[0].range.end, 8u);
  EXPECT_EQ(lexed.comments[1].text, "/* block\n spans */");
  EXPECT_EQ(lexed.comments[2].text, "// last");  // No newline at the end of the file.
  ASSERT_EQ(lexed.tokens.size(), 3u);
  EXPECT_EQ(lexed.tokens[0].kind, TokenKind::kIdentifier);
  EXPECT_EQ(lexed.tokens[1].kind, TokenKind::kIdentifier);
  // Block comments do not nest; `//` inside a block comment is part of it.
  Lexed nested = LexText("/* a /* b */ c */");
  EXPECT_EQ(nested.comments.size(), 1u);
  EXPECT_EQ(nested.tokens[0].kind, TokenKind::kIdentifier);  // c
  EXPECT_EQ(nested.tokens[1].kind, TokenKind::kStar);
  EXPECT_EQ(LexText("/* // */ x").tokens[0].kind, TokenKind::kIdentifier);
  // A CRLF line ending is not part of a line comment.
  EXPECT_EQ(LexText("// crlf\r\nx").comments[0].text, "// crlf");
  EXPECT_EQ(LexText("// cr\r\r\nx").comments[0].text, "// cr");  // Found by the fuzzer.
  // Division is not a comment.
  EXPECT_EQ(Kinds("a / b"), (std::vector<TokenKind>{TokenKind::kIdentifier, TokenKind::kSlash,
                                                    TokenKind::kIdentifier, TokenKind::kEnd}));
}

TEST(LexerTest, UnterminatedBlockComment) {
  Lexed lexed = LexText("x\n  /* open");
  EXPECT_THAT(lexed.errors, HasSubstr("t.noma:2:3: error: unterminated block comment"));
  EXPECT_THAT(lexed.errors, HasSubstr("hint: close it with '*/' (block comments do not nest)"));
  EXPECT_EQ(lexed.tokens.size(), 2u);
}

TEST(LexerTest, UnexpectedCharacters) {
  Lexed hash = LexText("x # y");
  EXPECT_THAT(hash.errors, HasSubstr("t.noma:1:3: error: unexpected character '#'"));
  EXPECT_THAT(hash.errors, HasSubstr("hint: comments start with '//'"));
  EXPECT_EQ(hash.tokens[1].kind, TokenKind::kError);
  EXPECT_EQ(hash.tokens[2].kind, TokenKind::kIdentifier);

  EXPECT_THAT(LexText("'a'").errors, HasSubstr("hint: strings use double quotes"));
  Lexed amp = LexText("a & b");
  EXPECT_THAT(amp.errors, HasSubstr("unexpected character '&'"));
  EXPECT_THAT(amp.errors, HasSubstr("hint: logical and is written '&&'"));
  Lexed pipe = LexText("a | b");
  EXPECT_THAT(pipe.errors, HasSubstr("unexpected character '|'"));
  EXPECT_THAT(pipe.errors, HasSubstr("hint: logical or is written '||'"));
  for (const char* c : {"$", "@", "?", "~", "`", "\\"}) {
    EXPECT_THAT(LexText(c).errors, HasSubstr(absl::StrCat("unexpected character '", c, "'")));
  }
  // A UTF-8 character is shown whole; control bytes and invalid UTF-8 are escaped.
  EXPECT_THAT(LexText("x \xCF\x80 y").errors, HasSubstr("unexpected character '\xCF\x80'"));
  EXPECT_THAT(LexText(std::string("x \0 y", 5)).errors, HasSubstr("unexpected character '\\x00'"));
  EXPECT_THAT(LexText("\xFF").errors, HasSubstr("unexpected character '\\xFF'"));
  // A run of junk is one error, not one per byte.
  Lexed junk = LexText("x \x01\x02\x03\xFE y");
  EXPECT_EQ(junk.error_count, 1u);
  EXPECT_THAT(junk.errors, HasSubstr("unexpected characters '\\x01\\x02\\x03\\xFE'"));
}

TEST(LexerTest, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(Kinds("\xEF\xBB\xBF"
                  "fn"),
            (std::vector<TokenKind>{TokenKind::kFn, TokenKind::kEnd}));
}

TEST(LexerTest, WhitespaceOnly) {
  EXPECT_EQ(Kinds(""), std::vector<TokenKind>{TokenKind::kEnd});
  EXPECT_EQ(Kinds(" \t\r\n\v\f"), std::vector<TokenKind>{TokenKind::kEnd});
}

TEST(LexerTest, StopsAtTheErrorCap) {
  // 1000 bad characters separated by spaces: 20 errors, then the lexer stops.
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "# ";
  Lexed lexed = LexText(text);
  EXPECT_EQ(lexed.error_count, DiagnosticEngine::kDefaultMaxErrors);
  EXPECT_EQ(lexed.tokens.back().kind, TokenKind::kEnd);
  EXPECT_LT(lexed.tokens.size(), 30u);
}

}  // namespace
}  // namespace noma::syntax
