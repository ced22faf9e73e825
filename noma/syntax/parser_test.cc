#include "noma/syntax/parser.h"

#include <string>

#include "gtest/gtest.h"
#include "noma/syntax/formatter.h"
#include "noma/syntax/lexer.h"

namespace noma::syntax {
namespace {

struct Parsed {
  SourceManager sources;
  DiagnosticEngine diagnostics;
  Program program;
  std::string errors;
};

std::unique_ptr<Parsed> ParseText(const std::string& text) {
  auto p = std::make_unique<Parsed>();
  FileId file = p->sources.AddBuffer("t.noma", text);
  p->program = Parse(p->sources, file, p->diagnostics);
  p->errors = p->diagnostics.Render(p->sources);
  return p;
}

// The S-expression of the single expression statement in `fn main() { <expr>; }`.
std::string ExprDump(const std::string& expr) {
  auto p = ParseText("fn main() { " + expr + "; }");
  EXPECT_FALSE(p->diagnostics.has_errors()) << p->errors;
  std::string dump = DumpAst(p->program);
  // "(fn main (block (expr X)))\n" -> X
  size_t start = dump.find("(expr ") + 6;
  return dump.substr(start, dump.size() - start - 4);
}

std::vector<TokenKind> Kinds(const std::string& text) {
  SourceManager sources;
  DiagnosticEngine diagnostics;
  FileId file = sources.AddBuffer("t.noma", text);
  std::vector<TokenKind> kinds;
  for (const Token& t : Lex(sources, file, diagnostics, nullptr)) kinds.push_back(t.kind);
  EXPECT_FALSE(diagnostics.has_errors()) << diagnostics.Render(sources);
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
  }
  EXPECT_EQ(Kinds("lets _x9 print"),
            (std::vector<TokenKind>{TokenKind::kIdentifier, TokenKind::kIdentifier,
                                    TokenKind::kIdentifier, TokenKind::kEnd}));
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
}

TEST(LexerTest, NumbersStringsAndComments) {
  EXPECT_EQ(ExprDump("42"), "42");
  EXPECT_EQ(ExprDump("3.14"), "3.1400000000000001");
  EXPECT_EQ(ExprDump(".5"), "0.5");
  EXPECT_EQ(ExprDump("1e-3"), "0.001");
  EXPECT_EQ(ExprDump("2.5E+4"), "25000");
  EXPECT_EQ(ExprDump("\"a\\n\\t\\r\\\\\\\"b\""), "\"a\\n\\t\\r\\\\\\\"b\"");
  auto p = ParseText("// leading\nfn main() { /* block\n comment */ print(1); } // last");
  EXPECT_FALSE(p->diagnostics.has_errors()) << p->errors;
  ASSERT_EQ(p->program.comments.size(), 3u);
  EXPECT_EQ(p->program.comments[2].text, "// last");
}

TEST(LexerTest, MalformedTokensAreLocatedErrors) {
  EXPECT_NE(ParseText("fn main() { print(\"a\\q\"); }")
                ->errors.find("t.noma:1:21: error: unknown escape sequence '\\q'"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { print(\"abc); }")->errors.find("error: unterminated string"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { } /* open")
                ->errors.find("t.noma:1:15: error: unterminated block comment"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { let x = 1 # 2; }")
                ->errors.find("t.noma:1:23: error: unexpected character '#'"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { let x = 1 & 2; }")->errors.find("'&&'"), std::string::npos);
  EXPECT_NE(ParseText("fn main() { let x = 12abc; }")->errors.find("malformed number '12abc'"),
            std::string::npos);
}

TEST(ParserTest, PrecedenceLevels) {
  EXPECT_EQ(ExprDump("2^3^2"), "(^ 2 (^ 3 2))");
  EXPECT_EQ(ExprDump("2**3**2"), "(^ 2 (^ 3 2))");
  EXPECT_EQ(ExprDump("-x^2"), "(- (^ x 2))");
  EXPECT_EQ(ExprDump("2^-1"), "(^ 2 (- 1))");
  EXPECT_EQ(ExprDump("a + b * c"), "(+ a (* b c))");
  EXPECT_EQ(ExprDump("a - b - c"), "(- (- a b) c)");
  EXPECT_EQ(ExprDump("a * b % c / d"), "(/ (% (* a b) c) d)");
  EXPECT_EQ(ExprDump("a + b < c"), "(< (+ a b) c)");
  EXPECT_EQ(ExprDump("a < b == c >= d"), "(== (< a b) (>= c d))");
  EXPECT_EQ(ExprDump("a || b && c"), "(|| a (&& b c))");
  EXPECT_EQ(ExprDump("!a && b"), "(&& (! a) b)");
  EXPECT_EQ(ExprDump("(a + b) * c"), "(* (+ a b) c)");
  EXPECT_EQ(ExprDump("m[i][j] ^ 2"), "(^ (index (index m i) j) 2)");
  EXPECT_EQ(ExprDump("f(x, 1)[0] as i32"), "(as (index (call f x 1) 0) i32)");
  EXPECT_EQ(ExprDump("-x as f32"), "(- (as x f32))");
  EXPECT_EQ(ExprDump("tensor [[1, 2], [3, -x]]"), "(tensor [[1 2] [3 (- x)]])");
}

TEST(ParserTest, EveryStatementForm) {
  auto p = ParseText(R"(
fn helper(a, b) { return a + b; }
fn main() {
    let x = 1;
    x = 2;
    learn w = tensor [[0.5]];
    print(x);
    if x > 1 { x = 0; } else if x < 0 { x = 1; } else { return; }
    while x < 3 { x = x + 1; }
    optimize(w) with adam(lr: 0.1, beta1: 0.9) until loss < 0.1 {
        let loss = sum(w ^ 2);
        minimize loss;
    }
    alloc b = [2, x];
    realloc b = [3, 3];
    free b;
    reset_optimizer();
    load_csv d = "d.csv";
    save_csv d, "e.csv";
    load_safetensors t = "m.safetensors";
    load_safetensors { w: w2, b: b2 } = "m.safetensors";
    save_safetensors { w: w, d: d * 2 }, "n.safetensors";
    batch xb, i in d with 2 { print(i); }
    batch xb in d, yb in d with 2 { print(xb); }
    return x;
}
)");
  ASSERT_FALSE(p->diagnostics.has_errors()) << p->errors;
  EXPECT_EQ(DumpAst(p->program),
            "(fn helper a b (block (return (+ a b))))\n"
            "(fn main (block (let x 1) (assign x 2) (learn w (tensor [[0.5]])) (expr (call print "
            "x)) (if (> x 1) (block (assign x 0)) (block (if (< x 0) (block (assign x 1)) "
            "(block (return null))))) (while (< x 3) (block (assign x (+ x 1)))) (optimize (w) "
            "(with adam lr:0.10000000000000001 beta1:0.90000000000000002) (< loss "
            "0.10000000000000001) (block (let loss (call sum (^ w 2))) (minimize loss))) (alloc "
            "b [2 x]) (realloc b [3 3]) (free b) (reset_optimizer) (load_csv d \"d.csv\") "
            "(save_csv d \"e.csv\") (load_safetensors t \"m.safetensors\") (load_safetensors "
            "w:w2 b:b2 \"m.safetensors\") (save_safetensors w:w d:(* d 2) \"n.safetensors\") "
            "(batch xb in d index i with 2 (block (expr (call print i)))) (batch xb in d yb in "
            "d with 2 (block (expr (call print xb)))) (return x)))\n");
}

TEST(ParserTest, CodeOutsideFunctionSuggestsMain) {
  auto p = ParseText("let x = 1;\nprint(x);\n");
  EXPECT_NE(p->errors.find("t.noma:1:1: error: code outside a function"), std::string::npos);
  EXPECT_NE(p->errors.find("hint: execution starts at `fn main()`: wrap the code in "
                           "`fn main() { ... }`"),
            std::string::npos)
      << p->errors;
}

TEST(ParserTest, RecoversAndReportsSeveralErrors) {
  auto p = ParseText(
      "fn main() {\n  let a = 1\n  let b = (2 + ;\n  let c = 3;\n  print(c;\n}\n"
      "fn other() { x = ; }\n");
  EXPECT_EQ(p->diagnostics.error_count(), 4u) << p->errors;
  EXPECT_NE(p->errors.find("t.noma:2:12: error: expected ';' after the value, found 'let'"),
            std::string::npos)
      << p->errors;
  EXPECT_NE(p->errors.find("t.noma:3:16: error: expected an expression here, found ';'"),
            std::string::npos);
  EXPECT_NE(p->errors.find("t.noma:5:10: error: expected ')' after the arguments, found ';'"),
            std::string::npos)
      << p->errors;
  // The statement after the errors still parsed.
  EXPECT_NE(DumpAst(p->program).find("(let c 3)"), std::string::npos);
}

TEST(ParserTest, ErrorCapIsTwenty) {
  std::string text = "fn main() {\n";
  for (int i = 0; i < 40; ++i) text += "  let = 1;\n";
  text += "}\n";
  auto p = ParseText(text);
  EXPECT_EQ(p->diagnostics.error_count(), 20u);
  EXPECT_NE(p->errors.find("stopped after 20 errors"), std::string::npos) << p->errors;
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string text =
      "fn main() { let x = " + std::string(100000, '(') + "1" + std::string(100000, ')') + "; }";
  auto p = ParseText(text);
  EXPECT_NE(p->errors.find("error: nesting is too deep"), std::string::npos);
  std::string blocks = "fn main() {";
  for (int i = 0; i < 5000; ++i) blocks += "if 1 {";
  blocks += std::string(5001, '}');
  EXPECT_NE(ParseText(blocks)->errors.find("nesting is too deep"), std::string::npos);
}

TEST(ParserTest, OtherBadForms) {
  EXPECT_NE(ParseText("fn main() { else { } }")->errors.find("'else' without a matching 'if'"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { let x = 1 as u8; }")->errors.find("unknown type 'u8'"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { alloc b = 3; }")->errors.find("expected '['"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { optimize(w) { } }")->errors.find("expected until"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { fn inner() {} }")->errors.find("functions cannot be nested"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main( { }")->errors.find("error: expected a name as a parameter"),
            std::string::npos);
}

// Every code example of LANGUAGE.md parses.
TEST(ParserTest, SpecExamplesParse) {
  auto p = ParseText(R"(
fn main() {
    let x = 2 ^ 3 ^ 2;
    let y = -x ^ 2;
    let a = 42 + 3.14 + 0.5 + .5 + 1e-3 + 2.5E+4;
    let s = "tab\tnew\nline\r\\ \"q\"";
    let t = tensor [[1, 2], [3, 4]];
    let c = x as f64 + x as f32 + x as i32 + x as i64;
    let m = t[1][0] + t[0][1];
    learn W = xavier_init(2, 1, 2, 1);
    optimize(W) with adam(lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8) until loss < 0.01 {
        let loss = mean((matmul(t, W) - 1) ^ 2);
        minimize loss;
        if loss > 0.5 { realloc W = [10, 1]; }
    }
    optimize(W) with sgd(lr: 0.1) until loss < 1 { let loss = sum(W); minimize loss; }
    optimize(W) with rmsprop(lr: 0.1, beta2: 0.9, epsilon: 1e-8) until loss < 1 {
        let loss = sum(W);
        minimize loss;
    }
    alloc b = [d1, d2];
    realloc b = [d1];
    free b;
    reset_optimizer();
    load_csv X = "path";
    save_csv e, "path";
    load_safetensors x = "path";
    load_safetensors { key: x, other: z } = "path";
    save_safetensors { key: e, k2: e * 2 }, "path";
    batch xb in X with n { print(xb); }
    batch xb, i in X with n { print(i); }
    batch xb in X, yb in Y with n { print(yb); }
    print(sigmoid(x) + relu(x) + tanh(x) + exp(x) + log(x) + sqrt(x) + sin(x) + cos(x));
    print(tan(x) + abs(x) + pow(x, 2) + min(x, 1) + max(x, 1) + floor(x) + ceil(x));
    print(sum(t) + mean(t) + sum(t, 0) + mean(t, 1) + dot(v, v) + matmul(t, t) + transpose(t));
    print(shape(t) + len(t) + rand() + rand_uniform(0, 1) + rand_normal(0, 1));
    print(rand_tensor(2, 3) + rand_normal_tensor(0, 1, 2, 3) + he_init(2, 2, 3));
    seed(3);
    if c { } else if c2 { } else { }
    while c { }
    return;
}
)");
  EXPECT_FALSE(p->diagnostics.has_errors()) << p->errors;
}

TEST(ParserTest, RemainingDiagnostics) {
  EXPECT_NE(ParseText("fn main() { let x = (1)(2); }")->errors.find(
                "only a function name can be called"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { load_safetensors {} = \"p\"; }")->errors.find(
                "load_safetensors needs at least one binding"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { save_safetensors {}, \"p\"; }")->errors.find(
                "save_safetensors needs at least one tensor"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { while 1 print(1); }")->errors.find(
                "expected '{' after the while condition"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { if 1 print(1); }")->errors.find(
                "expected '{' after the if condition"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { if 1 { } else print(1); }")->errors.find(
                "expected '{' or 'if' after 'else'"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { let x = tensor 3; }")->errors.find(
                "expected '[' after 'tensor'"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { let x = [1, 2; }")->errors.find("expected ']' to close '['"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { batch x in X { } }")->errors.find(
                "expected with before the chunk size"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { optimize(w) with adam(lr 1) until 1 { } }")
                ->errors.find("expected ':' after the setting name"),
            std::string::npos);
  EXPECT_NE(ParseText("fn main() { print(1); ")->errors.find("expected '}' to close the block"),
            std::string::npos);
  EXPECT_NE(ParseText("fn 3() { }")->errors.find("expected a name after 'fn'"),
            std::string::npos);
  // Warnings and notes share the error format.
  SourceManager sources;
  FileId file = sources.AddBuffer("w.noma", "fn main() { }\n");
  Diagnostic warning{Severity::kWarning, {file, 3, 7}, "unused", "remove it", {}};
  warning.notes.push_back({Severity::kNote, {file, 0, 2}, "declared here", "", {}});
  std::string text = RenderDiagnostic(warning, sources);
  EXPECT_NE(text.find("w.noma:1:4: warning: unused"), std::string::npos) << text;
  EXPECT_NE(text.find("hint: remove it"), std::string::npos);
  EXPECT_NE(text.find("w.noma:1:1: note: declared here"), std::string::npos);
}

TEST(FormatterTest, RoundTripKeepsTheAstAndIsIdempotent) {
  const char* source = R"(// header comment
fn main() {
  let x = -(2 ^ 3) ^ 2;  // trailing
  let y = (1 + 2) * 3 - (4 - 5);
  /* block */
  if x > 1 { print("a\tb"); } else if x < 0 { print(2); } else { x = 1 as f32; }
  optimize(w) with adam(lr: 0.1) until loss < 1e-3 { minimize loss; }
  batch xb, i in d with 2 { print(xb[i][0]); }
  // end of block
}
// last
)";
  auto original = ParseText(source);
  ASSERT_FALSE(original->diagnostics.has_errors()) << original->errors;
  std::string formatted = Format(original->program, original->sources);
  auto reparsed = ParseText(formatted);
  ASSERT_FALSE(reparsed->diagnostics.has_errors()) << reparsed->errors << formatted;
  EXPECT_EQ(DumpAst(reparsed->program), DumpAst(original->program)) << formatted;
  EXPECT_EQ(Format(reparsed->program, reparsed->sources), formatted);
  for (const char* comment :
       {"// header comment", "// trailing", "/* block */", "// end of block", "// last"}) {
    EXPECT_NE(formatted.find(comment), std::string::npos) << comment << "\n" << formatted;
  }
  EXPECT_NE(formatted.find("    let x = -(2 ^ 3) ^ 2; // trailing"), std::string::npos)
      << formatted;
}

}  // namespace
}  // namespace noma::syntax
