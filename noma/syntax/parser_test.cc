#include "noma/syntax/parser.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "noma/syntax/testing/test_util.h"

namespace noma::syntax {
namespace {

using testing::ExprDump;
using testing::FirstError;
using ::testing::HasSubstr;
using testing::ParseText;

// ---------------------------------------------------------------- precedence

TEST(ParserTest, PowerIsRightAssociativeAndAboveUnaryMinus) {
  EXPECT_EQ(ExprDump("2^3^2"), "(^ 2 (^ 3 2))");  // = 2^9 = 512
  EXPECT_EQ(ExprDump("2**3**2"), "(^ 2 (^ 3 2))");
  EXPECT_EQ(ExprDump("2^3**2"), "(^ 2 (^ 3 2))");
  EXPECT_EQ(ExprDump("-x^2"), "(- (^ x 2))");  // = -(x^2)
  EXPECT_EQ(ExprDump("(-x)^2"), "(^ (- x) 2)");
  EXPECT_EQ(ExprDump("2^-1"), "(^ 2 (- 1))");
  EXPECT_EQ(ExprDump("2^-x^2"), "(^ 2 (- (^ x 2)))");
  EXPECT_EQ(ExprDump("!x^2"), "(! (^ x 2))");
  EXPECT_EQ(ExprDump("a * b ^ c"), "(* a (^ b c))");
}

TEST(ParserTest, EveryBinaryLevel) {
  EXPECT_EQ(ExprDump("a * b % c / d"), "(/ (% (* a b) c) d)");
  EXPECT_EQ(ExprDump("a + b * c"), "(+ a (* b c))");
  EXPECT_EQ(ExprDump("a - b - c"), "(- (- a b) c)");
  EXPECT_EQ(ExprDump("a - b + c"), "(+ (- a b) c)");
  EXPECT_EQ(ExprDump("a + b < c"), "(< (+ a b) c)");
  EXPECT_EQ(ExprDump("a < b > c <= d >= e"), "(>= (<= (> (< a b) c) d) e)");
  EXPECT_EQ(ExprDump("a < b == c >= d"), "(== (< a b) (>= c d))");
  EXPECT_EQ(ExprDump("a == b != c"), "(!= (== a b) c)");
  EXPECT_EQ(ExprDump("a == b && c != d"), "(&& (== a b) (!= c d))");
  EXPECT_EQ(ExprDump("a || b && c"), "(|| a (&& b c))");
  EXPECT_EQ(ExprDump("a && b || c && d"), "(|| (&& a b) (&& c d))");
  EXPECT_EQ(ExprDump("a || b || c"), "(|| (|| a b) c)");
  EXPECT_EQ(ExprDump("(a + b) * c"), "(* (+ a b) c)");
  EXPECT_EQ(ExprDump("a - (b - c)"), "(- a (- b c))");
}

TEST(ParserTest, UnaryOperators) {
  EXPECT_EQ(ExprDump("-x"), "(- x)");
  EXPECT_EQ(ExprDump("!x"), "(! x)");
  EXPECT_EQ(ExprDump("--x"), "(- (- x))");
  EXPECT_EQ(ExprDump("!-x"), "(! (- x))");
  EXPECT_EQ(ExprDump("-a * b"), "(* (- a) b)");
  EXPECT_EQ(ExprDump("!a && b"), "(&& (! a) b)");
  EXPECT_EQ(ExprDump("a - -b"), "(- a (- b))");
  EXPECT_EQ(ExprDump("!0 + 1"), "(+ (! 0) 1)");
}

TEST(ParserTest, PostfixBindsTightest) {
  EXPECT_EQ(ExprDump("m[i][j] ^ 2"), "(^ (index (index m i) j) 2)");
  EXPECT_EQ(ExprDump("f(x, 1)[0] as i32"), "(as (index (call f x 1) 0) i32)");
  EXPECT_EQ(ExprDump("-x as f32"), "(- (as x f32))");
  EXPECT_EQ(ExprDump("x as f32 as i64"), "(as (as x f32) i64)");
  EXPECT_EQ(ExprDump("x as f32 ^ 2"), "(^ (as x f32) 2)");
  EXPECT_EQ(ExprDump("(a + b)[0]"), "(index (+ a b) 0)");
  EXPECT_EQ(ExprDump("x as f64"), "(as x f64)");
  EXPECT_EQ(ExprDump("x as i32"), "(as x i32)");
}

TEST(ParserTest, PrimaryExpressions) {
  EXPECT_EQ(ExprDump("f()"), "(call f)");
  EXPECT_EQ(ExprDump("print(\"hi\")"), "(call print \"hi\")");
  EXPECT_EQ(ExprDump("g(a, b + 1, h(c))"), "(call g a (+ b 1) (call h c))");
  EXPECT_EQ(ExprDump("tensor [[1, 2], [3, -x]]"), "(tensor [[1 2] [3 (- x)]])");
  EXPECT_EQ(ExprDump("tensor [1, 2,]"), "(tensor [1 2])");  // Trailing comma.
  EXPECT_EQ(ExprDump("tensor []"), "(tensor [])");
  EXPECT_EQ(ExprDump("tensor [[1]][0]"), "(index (tensor [[1]]) 0)");
  EXPECT_EQ(ExprDump("[1, 2]"), "[1 2]");  // Rejected later, by name resolution.
  EXPECT_EQ(ExprDump("((x))"), "x");
}

// ---------------------------------------------------------------- statements

TEST(ParserTest, EveryStatementForm) {
  auto p = ParseText(R"(
fn helper(a, b) { return a + b; }
fn none() { }
fn main() {
    let x = 1;
    x = 2;
    learn w = tensor [[0.5]];
    print(x);
    if x > 1 { x = 0; } else if x < 0 { x = 1; } else { return; }
    if x { }
    if x { } else { }
    while x < 3 { x = x + 1; }
    optimize(w) with adam(lr: 0.1, beta1: 0.9) until loss < 0.1 {
        let loss = sum(w ^ 2);
        minimize loss;
    }
    optimize(w, v) until 1 { }
    optimize() with sgd() until 1 { }
    alloc b = [2, x];
    realloc b = [3, 3];
    free b;
    reset_optimizer();
    load_csv d = "d.csv";
    save_csv d, "e.csv";
    load_safetensors t = "m.safetensors";
    load_safetensors { w: w2, b: b2 } = "m.safetensors";
    save_safetensors { w: w, d: d * 2 }, path;
    batch xb, i in d with 2 { print(i); }
    batch xb in d with 2 { }
    batch xb in d, yb in d with 2 { print(xb); }
    return x;
}
)");
  ASSERT_TRUE(p->ok()) << p->errors;
  EXPECT_EQ(p->dump(),
            "(fn helper a b (block (return (+ a b))))\n"
            "(fn none (block))\n"
            "(fn main (block (let x 1) (assign x 2) (learn w (tensor [[0.5]])) (expr (call print "
            "x)) (if (> x 1) (block (assign x 0)) (block (if (< x 0) (block (assign x 1)) "
            "(block (return null))))) (if x (block)) (if x (block) (block)) (while (< x 3) "
            "(block (assign x (+ x 1)))) (optimize (w) (with adam lr:0.10000000000000001 "
            "beta1:0.90000000000000002) (< loss 0.10000000000000001) (block (let loss (call sum "
            "(^ w 2))) (minimize loss))) (optimize (w v) 1 (block)) (optimize () (with sgd) 1 "
            "(block)) (alloc b [2 x]) (realloc b [3 3]) (free b) (reset_optimizer) (load_csv d "
            "\"d.csv\") (save_csv d \"e.csv\") (load_safetensors t \"m.safetensors\") "
            "(load_safetensors w:w2 b:b2 \"m.safetensors\") (save_safetensors w:w d:(* d 2) "
            "path) (batch xb in d index i with 2 (block (expr (call print i)))) (batch xb in d "
            "with 2 (block)) (batch xb in d yb in d with 2 (block (expr (call print xb)))) "
            "(return x)))\n");
}

TEST(ParserTest, StatementNodesCarryTheirDetails) {
  auto p = ParseText(
      "fn main() {\n"
      "  if a { } else if b { } else { }\n"
      "  optimize(w) with rmsprop(lr: 1, beta2: 0.9) until 1 { }\n"
      "  batch xb, i in X with 4 { }\n"
      "  load_safetensors { k: v } = \"f\";\n"
      "}\n");
  ASSERT_TRUE(p->ok()) << p->errors;
  const auto& statements = p->program.functions[0].body.statements;
  ASSERT_EQ(statements.size(), 4u);
  const auto& if_stmt = static_cast<const IfStmt&>(*statements[0]);
  ASSERT_TRUE(if_stmt.else_block.has_value());
  EXPECT_TRUE(if_stmt.else_is_if);
  ASSERT_EQ(if_stmt.else_block->statements.size(), 1u);
  const auto& nested = static_cast<const IfStmt&>(*if_stmt.else_block->statements[0]);
  EXPECT_FALSE(nested.else_is_if);
  EXPECT_TRUE(nested.else_block.has_value());
  const auto& optimize = static_cast<const OptimizeStmt&>(*statements[1]);
  ASSERT_TRUE(optimize.clause.has_value());
  EXPECT_EQ(optimize.clause->optimizer.name, "rmsprop");
  ASSERT_EQ(optimize.clause->arguments.size(), 2u);
  EXPECT_EQ(optimize.clause->arguments[1].key.name, "beta2");
  const auto& batch = static_cast<const BatchStmt&>(*statements[2]);
  ASSERT_TRUE(batch.index.has_value());
  EXPECT_EQ(batch.index->name, "i");
  EXPECT_EQ(batch.sources.size(), 1u);
  const auto& load = static_cast<const LoadSafetensorsStmt&>(*statements[3]);
  EXPECT_FALSE(load.single.has_value());
  ASSERT_EQ(load.bindings.size(), 1u);
  EXPECT_EQ(load.bindings[0].key.name, "k");
  EXPECT_EQ(load.bindings[0].name.name, "v");
}

TEST(ParserTest, LeadingOptimizerValueIsTheLearningRate) {
  auto p = ParseText(
      "fn main() {\n"
      "  optimize(w) with adam(0.01) until 1 { }\n"
      "  optimize(w) with sgd(rate, max_iterations: 5) until 1 { }\n"
      "}\n");
  ASSERT_TRUE(p->ok()) << p->errors;
  const auto& statements = p->program.functions[0].body.statements;
  ASSERT_EQ(statements.size(), 2u);
  const auto& adam = static_cast<const OptimizeStmt&>(*statements[0]);
  ASSERT_TRUE(adam.clause.has_value());
  ASSERT_EQ(adam.clause->arguments.size(), 1u);
  EXPECT_EQ(adam.clause->arguments[0].key.name, "lr");
  EXPECT_NE(adam.clause->arguments[0].value, nullptr);
  const auto& sgd = static_cast<const OptimizeStmt&>(*statements[1]);
  ASSERT_EQ(sgd.clause->arguments.size(), 2u);
  EXPECT_EQ(sgd.clause->arguments[0].key.name, "lr");
  EXPECT_EQ(sgd.clause->arguments[1].key.name, "max_iterations");
}

TEST(ParserTest, SourceRanges) {
  auto p = ParseText("fn main() {\n  let y = a + b * 2;\n}\n");
  ASSERT_TRUE(p->ok()) << p->errors;
  const Function& fn = p->program.functions[0];
  EXPECT_EQ(fn.range.begin, 0u);
  EXPECT_EQ(fn.range.end, 34u);  // Through the closing brace.
  EXPECT_EQ(fn.name.range.begin, 3u);
  EXPECT_EQ(fn.body.range.begin, 10u);
  const auto& let = static_cast<const BindStmt&>(*fn.body.statements[0]);
  EXPECT_EQ(let.range.begin, 14u);
  EXPECT_EQ(let.range.end, 32u);  // Includes the ';'.
  EXPECT_EQ(let.name.range.begin, 18u);
  const auto& sum = static_cast<const BinaryExpr&>(*let.value);
  EXPECT_EQ(sum.range.begin, 22u);
  EXPECT_EQ(sum.range.end, 31u);
  EXPECT_EQ(sum.op_range.begin, 24u);
  EXPECT_EQ(sum.op_range.end, 25u);
  EXPECT_EQ(sum.range.file, p->program.file);
}

// Every code example of docs/language.md parses.
TEST(ParserTest, SpecExamplesParse) {
  auto p = ParseText(R"(
fn name(a, b) { return a + b; }
fn main() {
    let x = 2 ^ 3 ^ 2;
    let y = -x ^ 2;
    let a = 42 + 3.14 + 0.5 + .5 + 1e-3 + 2.5E+4;
    let s = "tab\tnew\nline\r\\ \"q\"";
    let t = tensor [[1, 2], [3, 4]];
    let c = x as f64 + x as f32 + x as i32 + x as i64;
    let m = t[1][0] + t[0][1];
    let r = a % 3;
    learn W = xavier_init(2, 1, 2, 1);
    optimize(W) with adam(lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8) until loss < 0.01 {
        let loss = mean((matmul(t, W) - 1) ^ 2);
        minimize loss;
        if loss > 0.5 { realloc W = [10, 1]; }
    }
    optimize(W) with sgd(lr: 0.1) until loss < 1 { minimize loss; }
    optimize(W) with rmsprop(lr: 0.1, beta2: 0.9, epsilon: 1e-8) until loss < 1 { minimize loss; }
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
  EXPECT_TRUE(p->ok()) << p->errors;
  EXPECT_EQ(p->program.functions.size(), 2u);
}

TEST(ParserTest, EmptyAndCommentOnlyFiles) {
  auto empty = ParseText("");
  EXPECT_TRUE(empty->ok());
  EXPECT_TRUE(empty->program.functions.empty());
  auto comments = ParseText("// nothing here\n/* at all */");
  EXPECT_TRUE(comments->ok());
  EXPECT_EQ(comments->program.comments.size(), 2u);
}

TEST(ParserTest, ParseFileReadsFromDisk) {
  std::string path =
      std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/parse_file_test.noma";
  std::ofstream(path) << "fn main() { print(1); }\n";
  SourceManager sources;
  DiagnosticEngine diagnostics;
  absl::StatusOr<Program> program = ParseFile(sources, path, "shown.noma", diagnostics);
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_FALSE(diagnostics.has_errors());
  EXPECT_EQ(program->functions.size(), 1u);
  EXPECT_EQ(sources.name(program->file), "shown.noma");
  std::remove(path.c_str());
  absl::StatusOr<Program> missing = ParseFile(sources, path + ".missing", "gone.noma", diagnostics);
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(std::string(missing.status().message()),
            "cannot open 'gone.noma': No such file or directory");
}

// ---------------------------------------------------------------- errors

TEST(ParserTest, CodeOutsideFunctionSuggestsMain) {
  auto p = ParseText("let x = 1;\nprint(x);\nfn main() { }\nx = 2;\n");
  EXPECT_EQ(p->diagnostics.error_count(), 2u) << p->errors;  // One per stretch.
  EXPECT_THAT(p->errors, HasSubstr("t.noma:1:1: error: code outside a function"));
  EXPECT_THAT(p->errors, HasSubstr("t.noma:4:1: error: code outside a function"));
  EXPECT_THAT(p->errors, HasSubstr("hint: execution starts at `fn main()`: wrap the code in "
                                   "`fn main() { ... }`"));
  EXPECT_EQ(p->program.functions.size(), 1u);  // `main` still parsed.
}

TEST(ParserTest, UnmatchedClosingBrace) {
  auto p = ParseText("fn main() { }\n}\nfn g() { }");
  EXPECT_THAT(p->errors, HasSubstr("t.noma:2:1: error: unmatched '}'"));
  EXPECT_EQ(p->diagnostics.error_count(), 1u) << p->errors;
  EXPECT_EQ(p->program.functions.size(), 2u);
}

TEST(ParserTest, MissingSemicolonPointsAfterThePreviousToken) {
  std::string error = FirstError("fn main() {\n    let a = 1\n    let b = 2;\n}");
  EXPECT_THAT(error, HasSubstr("t.noma:2:14: error: expected ';' after the value, found 'let'"));
  EXPECT_THAT(error, HasSubstr("\n   |              ^\n"));
}

TEST(ParserTest, RecoversAndReportsSeveralErrors) {
  auto p = ParseText(
      "fn main() {\n  let a = 1\n  let b = (2 + ;\n  let c = 3;\n  print(c;\n}\n"
      "fn other() { x = ; }\n");
  EXPECT_EQ(p->diagnostics.error_count(), 4u) << p->errors;
  EXPECT_THAT(p->errors,
              HasSubstr("t.noma:2:12: error: expected ';' after the value, found 'let'"));
  EXPECT_THAT(p->errors, HasSubstr("t.noma:3:16: error: expected an expression here, found ';'"));
  EXPECT_THAT(p->errors,
              HasSubstr("t.noma:5:10: error: expected ')' after the arguments, found ';'"));
  EXPECT_THAT(p->errors, HasSubstr("t.noma:7:18: error: expected an expression here, found ';'"));
  // The statements around the errors still parsed.
  EXPECT_THAT(p->dump(), HasSubstr("(let c 3)"));
  EXPECT_EQ(p->program.functions.size(), 2u);
}

TEST(ParserTest, RecoveryInsideNestedBlocks) {
  auto p = ParseText(
      "fn main() {\n"
      "  while x < { y = 1; }\n"           // Broken condition: the block is skipped.
      "  if a { let = 2; let ok = 1; }\n"  // Error inside a block: the block goes on.
      "  let after = 3;\n"
      "}\n");
  EXPECT_EQ(p->diagnostics.error_count(), 2u) << p->errors;
  EXPECT_THAT(p->errors, HasSubstr("2:13: error: expected an expression here, found '{'"));
  EXPECT_THAT(p->errors, HasSubstr("3:14: error: expected a name after 'let', found '='"));
  EXPECT_THAT(p->dump(), HasSubstr("(if a (block (let ok 1)))"));
  EXPECT_THAT(p->dump(), HasSubstr("(let after 3)"));
}

TEST(ParserTest, LexerErrorsDoNotCascade) {
  auto p = ParseText("fn main() {\n  let x = 1 # 2;\n  let 9a = 2;\n  let z = \"\\q\";\n}\n");
  EXPECT_EQ(p->diagnostics.error_count(), 3u) << p->errors;
  EXPECT_THAT(p->errors, HasSubstr("2:13: error: unexpected character '#'"));
  EXPECT_THAT(p->errors, HasSubstr("3:7: error: malformed number '9a'"));
  EXPECT_THAT(p->errors, HasSubstr("4:12: error: unknown escape sequence '\\q'"));
}

TEST(ParserTest, DiagnosticsComeInFileOrder) {
  auto p = ParseText("fn main() {\n  let = 1;\n  let y = \"\\q\";\n  let = 2;\n}\n");
  const auto& diagnostics = p->diagnostics.diagnostics();
  ASSERT_EQ(diagnostics.size(), 3u) << p->errors;
  EXPECT_LT(diagnostics[0].range.begin, diagnostics[1].range.begin);
  EXPECT_LT(diagnostics[1].range.begin, diagnostics[2].range.begin);
}

TEST(ParserTest, ErrorCapIsTwenty) {
  std::string text = "fn main() {\n";
  for (int i = 0; i < 40; ++i) text += "  let = 1;\n";
  text += "}\n";
  auto p = ParseText(text);
  EXPECT_EQ(p->diagnostics.error_count(), 20u);
  EXPECT_THAT(p->errors, HasSubstr("note: stopped after 20 errors"));
}

TEST(ParserTest, DeepParenthesesAreAnErrorNotACrash) {
  auto p = ParseText("fn main() { let x = " + std::string(100000, '(') + "1" +
                     std::string(100000, ')') + "; }");
  EXPECT_EQ(p->diagnostics.error_count(), 1u) << p->errors;
  EXPECT_THAT(p->errors, HasSubstr("error: nesting is too deep (more than 256 levels)"));
  EXPECT_THAT(p->errors, HasSubstr("hint: split it into smaller pieces"));
  // Just under the limit is fine.
  EXPECT_TRUE(ParseText("fn main() { let x = " + std::string(200, '(') + "1" +
                        std::string(200, ')') + "; }")
                  ->ok());
}

TEST(ParserTest, DeepBlocksAreAnErrorNotACrash) {
  std::string blocks = "fn main() {";
  for (int i = 0; i < 5000; ++i) blocks += "if 1 {";
  blocks += std::string(5001, '}');
  auto p = ParseText(blocks);
  EXPECT_EQ(p->diagnostics.error_count(), 1u) << p->errors;
  EXPECT_THAT(p->errors, HasSubstr("nesting is too deep"));
  std::string fine = "fn main() {";
  for (int i = 0; i < 200; ++i) fine += "while 1 {";
  fine += std::string(201, '}');
  EXPECT_TRUE(ParseText(fine)->ok());
}

TEST(ParserTest, DeepOperatorsAreAnErrorNotACrash) {
  EXPECT_THAT(ParseText("fn main() { let x = " + std::string(100000, '-') + "x; }")->errors,
              HasSubstr("nesting is too deep"));
  EXPECT_THAT(ParseText("fn main() { let x = " + std::string(100000, '!') + "x; }")->errors,
              HasSubstr("nesting is too deep"));
  std::string power = "x";
  for (int i = 0; i < 100000; ++i) power += "^x";
  EXPECT_THAT(ParseText("fn main() { let y = " + power + "; }")->errors,
              HasSubstr("nesting is too deep"));
  std::string nested_calls = "x";
  for (int i = 0; i < 10000; ++i) nested_calls = "f(" + nested_calls;
  EXPECT_THAT(ParseText("fn main() { let y = " + nested_calls + "; }")->errors,
              HasSubstr("nesting is too deep"));
  EXPECT_THAT(ParseText("fn main() { let y = tensor " + std::string(10000, '[') + "; }")->errors,
              HasSubstr("nesting is too deep"));
  EXPECT_THAT(ParseText("fn main() { let y = a" + std::string(10000, '[') + "; }")->errors,
              HasSubstr("nesting is too deep"));
}

TEST(ParserTest, LongOperatorChainsAreBoundedToo) {
  // The tree of `1 + 1 + ... + 1` is as deep as the chain is long, and later stages walk it
  // recursively, so its height is limited like any other nesting.
  std::string chain = "1";
  for (int i = 1; i < kMaxNestingDepth; ++i) chain += " + 1";  // 256 operands: the most.
  EXPECT_TRUE(ParseText("fn main() { let x = " + chain + "; }")->ok());
  EXPECT_THAT(ParseText("fn main() { let x = " + chain + " + 1; }")->errors,
              HasSubstr("nesting is too deep"));
  for (int i = 0; i < 1000000; ++i) chain += "+1";
  auto p = ParseText("fn main() { let x = " + chain + "; }");
  EXPECT_EQ(p->diagnostics.error_count(), 1u);
  EXPECT_THAT(p->errors, HasSubstr("nesting is too deep (more than 256 levels)"));
  // An else-if chain nests too.
  std::string ifs = "fn main() { if a { }";
  for (int i = 0; i < 100000; ++i) ifs += " else if a { }";
  EXPECT_THAT(ParseText(ifs + " }")->errors, HasSubstr("nesting is too deep"));
  // Many statements, arguments or elements side by side are not nesting.
  std::string wide = "fn main() { let t = tensor [";
  for (int i = 0; i < 100000; ++i) wide += "1, ";
  EXPECT_TRUE(ParseText(wide + "]; }")->ok());
}

TEST(ParserTest, KeywordsAreNotNames) {
  std::string error = FirstError("fn main() { let in = 1; }");
  EXPECT_THAT(error, HasSubstr("expected a name after 'let', found 'in'"));
  EXPECT_THAT(error, HasSubstr("hint: 'in' is a keyword and cannot be used as a name"));
}

TEST(ParserTest, BadStatementForms) {
  struct Case {
    const char* body;
    const char* message;
  };
  const Case cases[] = {
      {"else { }", "error: 'else' without a matching 'if'"},
      {"{ x = 1; }", "error: a block cannot stand on its own"},
      {"a[0] = 1;", "1:13: error: only a name can be assigned to"},
      {"x += 1;", "1:15: error: '+=' is not an operator"},
      {"x ^= 2;", "error: '^=' is not an operator"},
      {"let x = 1 as u8;", "error: unknown type 'u8'"},
      {"let x = 1 as 3;", "expected a type (f64, f32, i32 or i64) after 'as', found '3'"},
      {"let x = (1)(2);", "error: only a function name can be called"},
      {"let x = 1e999;", "error: number '1e999' is too large for f64"},
      {"alloc b = 3;", "expected '[' to start the dimensions, found '3'"},
      {"alloc = [1];", "expected a name after 'alloc', found '='"},
      {"realloc b [1];", "expected '=' after the name, found '['"},
      {"free 3;", "expected a name after 'free', found '3'"},
      {"free b", "expected ';' after the name, found '}'"},
      {"reset_optimizer;", "expected '(' after 'reset_optimizer', found ';'"},
      {"reset_optimizer(1);", "expected ')' (reset_optimizer takes no arguments), found '1'"},
      {"optimize(w) { }", "expected 'until' after optimize(...), found '{'"},
      {"optimize w until 1 { }", "expected '(' after 'optimize', found 'w'"},
      {"optimize(1) until 1 { }", "expected a name as a parameter to optimize, found '1'"},
      {"optimize(w) with 3() until 1 { }", "expected a name after 'with' (sgd, adam or rmsprop)"},
      {"optimize(w) with adam until 1 { }", "expected '(' after the optimizer name, found 'until'"},
      {"optimize(w) with adam(lr 1) until 1 { }", "expected ':' after the setting name, found '1'"},
      {"optimize(w) with adam(lr: 1, 2: 3) until 1 { }", "expected a name as an optimizer setting"},
      {"optimize(w) with adam(1: 2) until 1 { }", "expected ')' after the optimizer settings"},
      {"optimize(w) with adam(lr: 1 until 1 { }",
       "expected ')' after the optimizer settings, found 'until'"},
      {"optimize(w) until 1 minimize x;", "expected '{' to start the optimize body"},
      {"optimize(w until 1 { }", "expected ')' after the parameters, found 'until'"},
      {"minimize;", "expected an expression here, found ';'"},
      {"minimize x", "expected ';' after the loss, found '}'"},
      {"while 1 print(1);", "expected '{' after the while condition, found 'print'"},
      {"if 1 print(1);", "expected '{' after the if condition, found 'print'"},
      {"if 1 { } else print(1);", "expected '{' or 'if' after 'else', found 'print'"},
      {"let x = tensor 3;", "expected '[' after 'tensor', found '3'"},
      {"let x = [1, 2;", "expected ']' to close '[', found ';'"},
      {"let x = (1;", "expected ')' to close '(', found ';'"},
      {"let x = a[1;", "expected ']' after the index, found ';'"},
      {"let x = f(1;", "expected ')' after the arguments, found ';'"},
      {"let x = f(1,);", "expected an expression here, found ')'"},
      {"let x 1;", "expected '=' after the name, found '1'"},
      {"learn = 1;", "expected a name after 'learn', found '='"},
      {"let x = ;", "expected an expression here, found ';'"},
      {"let x = \"s\" \"t\";", "expected ';' after the value, found a string"},
      {"return 1", "expected ';' after return, found '}'"},
      {"x = 1", "expected ';' after the value, found '}'"},
      {"print(1)", "expected ';' after the expression, found '}'"},
      {"load_csv = \"p\";", "expected a name after 'load_csv', found '='"},
      {"load_csv x \"p\";", "expected '=' after the name, found a string"},
      {"load_csv x = \"p\"", "expected ';' after the path, found '}'"},
      {"save_csv x \"p\";", "expected ',' between the value and the path, found a string"},
      {"load_safetensors 3 = \"p\";", "expected a name after 'load_safetensors', found '3'"},
      {"load_safetensors {} = \"p\";", "error: load_safetensors needs at least one binding"},
      {"load_safetensors { k x } = \"p\";", "expected ':' after the tensor name, found 'x'"},
      {"load_safetensors { k: 1 } = \"p\";", "expected a name as the variable to bind, found '1'"},
      {"load_safetensors { 1: x } = \"p\";", "expected a name as a tensor name, found '1'"},
      {"load_safetensors { k: x = \"p\";", "expected '}' after the bindings, found '='"},
      {"load_safetensors x \"p\";", "expected '=' before the path, found a string"},
      {"save_safetensors {}, \"p\";", "error: save_safetensors needs at least one tensor"},
      {"save_safetensors x, \"p\";", "expected '{' after 'save_safetensors', found 'x'"},
      {"save_safetensors { k: x } \"p\";", "expected ',' before the path, found a string"},
      {"save_safetensors { k: x, \"p\";", "expected a name as a tensor name, found a string"},
      {"save_safetensors { k: x \"p\";", "expected '}' after the tensors, found a string"},
      {"batch 1 in X with 2 { }", "expected a name after 'batch', found '1'"},
      {"batch x, 1 in X with 2 { }", "expected a name as the chunk index, found '1'"},
      {"batch x X with 2 { }", "expected 'in' after the chunk name, found 'X'"},
      {"batch x in X { }", "expected 'with' before the chunk size, found '{'"},
      {"batch x in X, 1 in Y with 2 { }", "expected a name as the second chunk name, found '1'"},
      {"batch x in X, y Y with 2 { }", "expected 'in' after the chunk name, found 'Y'"},
      {"batch x in X with 2 print(x);", "expected '{' to start the batch body"},
  };
  for (const Case& c : cases) {
    auto p = ParseText(absl::StrCat("fn main() { ", c.body, " }"));
    EXPECT_THAT(p->errors, HasSubstr(c.message)) << c.body;
    EXPECT_EQ(p->diagnostics.error_count(), 1u) << c.body << "\n" << p->errors;
  }
  std::string index_and_two = FirstError("fn main() { batch x, i in X, y in Y with 2 { } }");
  EXPECT_THAT(index_and_two, HasSubstr("expected 'with' before the chunk size, found ','"));
  EXPECT_THAT(index_and_two,
              HasSubstr("hint: a chunk index cannot be combined with a second source"));
  EXPECT_THAT(FirstError("fn main() { optimize(w) { } }"),
              HasSubstr("hint: a training loop is `optimize(w) until loss < 0.01 { ... }`"));
}

TEST(ParserTest, HintsForBadForms) {
  const std::pair<const char*, const char*> cases[] = {
      {"fn main() { else { } }", "hint: 'else' must follow the '}' of an if block"},
      {"fn main() { { } }", "hint: blocks follow if, else, while, optimize or batch"},
      {"fn main() { a[0] = 1; }", "hint: assignment is `name = value;`"},
      {"fn main() { x -= 1; }", "hint: write `x = x - value;`"},
      {"fn main() { let y = x as u8; }", "hint: casts take f64, f32, i32 or i64"},
      {"fn main() { let y = (f)(1); }", "hint: calls look like `name(arguments)`"},
      {"fn main() { let y = 2e400; }", "hint: the largest f64 is about 1.8e308"},
      {"}", "hint: there is no '{' left open here"},
      {"fn main() { alloc b = 3; }", "hint: dimensions are a list: [rows, cols]"},
      {"fn main() { let t = tensor 1; }",
       "hint: tensor literals look like tensor [[1, 2], [3, 4]]"},
      {"fn main() { load_safetensors {} = \"p\"; }",
       "hint: write `{ key: name, ... }` or a single name"},
      {"fn main() { save_safetensors {}, \"p\"; }",
       "hint: write `save_safetensors { key: value, ... }, path;`"},
  };
  for (const auto& [text, hint] : cases) EXPECT_THAT(FirstError(text), HasSubstr(hint)) << text;
}

TEST(ParserTest, BadFunctionForms) {
  EXPECT_THAT(FirstError("fn 3() { }"), HasSubstr("expected a name after 'fn', found '3'"));
  EXPECT_THAT(FirstError("fn main { }"),
              HasSubstr("expected '(' after the function name, found '{'"));
  EXPECT_THAT(FirstError("fn main( { }"), HasSubstr("expected a name as a parameter, found '{'"));
  EXPECT_THAT(FirstError("fn main(a b) { }"),
              HasSubstr("expected ')' after the parameters, found 'b'"));
  EXPECT_THAT(FirstError("fn main() let x = 1;"),
              HasSubstr("expected '{' to start the function body, found 'let'"));
  // Errors inside the body of a function with a broken header are still found.
  auto p = ParseText("fn main( { let = 1; }\nfn ok() { }");
  EXPECT_EQ(p->diagnostics.error_count(), 2u) << p->errors;
  EXPECT_THAT(p->errors, HasSubstr("expected a name after 'let'"));
  EXPECT_EQ(p->program.functions.size(), 1u);

  auto nested = ParseText("fn main() {\n  fn inner() { }\n}");
  EXPECT_THAT(nested->errors, HasSubstr("2:3: error: expected '}' before the next function"));
  EXPECT_THAT(nested->errors, HasSubstr("hint: functions cannot be nested"));
  auto deeper = ParseText("fn main() {\n  if x { while y {\nfn g() { }");
  EXPECT_EQ(deeper->diagnostics.error_count(), 1u) << deeper->errors;
  EXPECT_EQ(deeper->program.functions.size(), 2u);

  auto unclosed = ParseText("fn main() {\n  print(1);\n");
  EXPECT_THAT(unclosed->errors,
              HasSubstr("t.noma:3:1: error: expected '}' to close the block, found end of file"));
  EXPECT_THAT(unclosed->errors, HasSubstr("t.noma:1:11: note: the block starts here"));
  auto nested_unclosed = ParseText("fn main() {\n  if x {\n    while y {\n");
  EXPECT_EQ(nested_unclosed->diagnostics.error_count(), 1u) << nested_unclosed->errors;
  EXPECT_THAT(nested_unclosed->errors, HasSubstr("t.noma:3:13: note: the block starts here"));
}

TEST(ParserTest, ArbitraryBytesNeverCrash) {
  // A deterministic sample of garbage; the fuzz target explores this much further.
  uint32_t state = 12345;
  const std::string alphabet = "fn main(){}[];,=+-*/^!<>&|\"\\ \nletifwhile12.5e_x#\x01\xC3";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    int length = static_cast<int>(state % 80);
    for (int i = 0; i < length; ++i) {
      state = state * 1103515245u + 12345u;
      text += alphabet[(state >> 16) % alphabet.size()];
    }
    auto p = ParseText(text);
    EXPECT_LE(p->diagnostics.error_count(), DiagnosticEngine::kDefaultMaxErrors);
    if (p->ok()) {
      EXPECT_EQ(ParseText(p->formatted())->dump(), p->dump()) << text;
    }
  }
}

}  // namespace
}  // namespace noma::syntax
