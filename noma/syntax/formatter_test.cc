#include "noma/syntax/formatter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "noma/syntax/lexer.h"
#include "noma/syntax/testing/test_util.h"

namespace noma::syntax {
namespace {

using ::testing::HasSubstr;
using testing::ParseText;

// Formats `source` and checks the formatter's guarantees: the result parses to the same AST,
// formatting it again changes nothing, and every comment survives, in order. Returns the
// formatted text ("" if `source` does not parse).
std::string CheckedFormat(const std::string& source) {
  auto original = ParseText(source);
  EXPECT_TRUE(original->ok()) << original->errors;
  if (!original->ok()) return "";
  std::string formatted = original->formatted();
  auto reparsed = ParseText(formatted);
  EXPECT_TRUE(reparsed->ok()) << reparsed->errors << "\n" << formatted;
  EXPECT_EQ(reparsed->dump(), original->dump()) << formatted;
  EXPECT_EQ(reparsed->formatted(), formatted) << "not idempotent:\n" << formatted;
  std::vector<std::string> before, after;
  for (const Comment& c : original->program.comments) before.push_back(c.text);
  for (const Comment& c : reparsed->program.comments) after.push_back(c.text);
  EXPECT_EQ(after, before) << formatted;
  return formatted;
}

// The formatted text of the single statement `text` inside main.
std::string FormatExpr(const std::string& expr) {
  std::string formatted = CheckedFormat("fn main() { " + expr + "; }");
  const std::string prefix = "fn main() {\n    ";
  const std::string suffix = ";\n}\n";
  if (formatted.size() < prefix.size() + suffix.size()) return formatted;
  return formatted.substr(prefix.size(), formatted.size() - prefix.size() - suffix.size());
}

TEST(FormatterTest, CanonicalLayout) {
  EXPECT_EQ(CheckedFormat("fn f(a,b){return a+b;}fn main(){let x=f(1,2);if x>1{print(x);}"
                          "else if x<0{print(0);}else{x=-x;}while x<3{x=x+1;}}"),
            "fn f(a, b) {\n"
            "    return a + b;\n"
            "}\n"
            "\n"
            "fn main() {\n"
            "    let x = f(1, 2);\n"
            "    if x > 1 {\n"
            "        print(x);\n"
            "    } else if x < 0 {\n"
            "        print(0);\n"
            "    } else {\n"
            "        x = -x;\n"
            "    }\n"
            "    while x < 3 {\n"
            "        x = x + 1;\n"
            "    }\n"
            "}\n");
}

TEST(FormatterTest, EveryStatementForm) {
  EXPECT_EQ(CheckedFormat(R"(fn main() {
  learn w = xavier_init(2, 1, 2, 1);
  optimize(w,v) with adam(lr:0.01, beta1 : 0.9) until loss<1e-3 { let loss = sum(w^2); minimize loss; }
  optimize(w) until 1 { reset_optimizer(); }
  alloc b = [2,3]; realloc b = [4, 3,]; free b;
  load_csv d = "d.csv"; save_csv d*2, "e.csv";
  load_safetensors t = "m.st"; load_safetensors {w:w2,b:b2} = path;
  save_safetensors {w:w, d:d*2}, "n.st";
  batch xb,i in d with 2 { print(i); }
  batch xb in d, yb in y with n { }
  return;
})"),
            R"(fn main() {
    learn w = xavier_init(2, 1, 2, 1);
    optimize(w, v) with adam(lr: 0.01, beta1: 0.9) until loss < 1e-3 {
        let loss = sum(w ^ 2);
        minimize loss;
    }
    optimize(w) until 1 {
        reset_optimizer();
    }
    alloc b = [2, 3];
    realloc b = [4, 3];
    free b;
    load_csv d = "d.csv";
    save_csv d * 2, "e.csv";
    load_safetensors t = "m.st";
    load_safetensors { w: w2, b: b2 } = path;
    save_safetensors { w: w, d: d * 2 }, "n.st";
    batch xb, i in d with 2 {
        print(i);
    }
    batch xb in d, yb in y with n {}
    return;
}
)");
}

TEST(FormatterTest, MinimalParentheses) {
  EXPECT_EQ(FormatExpr("((a + b)) * (c)"), "(a + b) * c");
  EXPECT_EQ(FormatExpr("a + (b * c)"), "a + b * c");
  EXPECT_EQ(FormatExpr("(a - b) - c"), "a - b - c");
  EXPECT_EQ(FormatExpr("a - (b - c)"), "a - (b - c)");
  EXPECT_EQ(FormatExpr("a / (b * c)"), "a / (b * c)");
  EXPECT_EQ(FormatExpr("(a < b) == (c < d)"), "a < b == c < d");
  EXPECT_EQ(FormatExpr("a < (b < c)"), "a < (b < c)");
  EXPECT_EQ(FormatExpr("(a || b) && c"), "(a || b) && c");
  EXPECT_EQ(FormatExpr("a || (b && c)"), "a || b && c");
  EXPECT_EQ(FormatExpr("2 ** (3 ** 2)"), "2 ^ 3 ^ 2");
  EXPECT_EQ(FormatExpr("(2 ^ 3) ^ 2"), "(2 ^ 3) ^ 2");
  EXPECT_EQ(FormatExpr("-(x ^ 2)"), "-x ^ 2");
  EXPECT_EQ(FormatExpr("(-x) ^ 2"), "(-x) ^ 2");
  EXPECT_EQ(FormatExpr("2 ^ (-1)"), "2 ^ -1");
  EXPECT_EQ(FormatExpr("2 ^ (a * b)"), "2 ^ (a * b)");
  EXPECT_EQ(FormatExpr("-(-x)"), "--x");
  EXPECT_EQ(FormatExpr("-(a + b)"), "-(a + b)");
  EXPECT_EQ(FormatExpr("!(a && b)"), "!(a && b)");
  EXPECT_EQ(FormatExpr("(-x) as f32"), "(-x) as f32");
  EXPECT_EQ(FormatExpr("-(x as f32)"), "-x as f32");
  EXPECT_EQ(FormatExpr("(a + b) as i32"), "(a + b) as i32");
  EXPECT_EQ(FormatExpr("(a + b)[0][1]"), "(a + b)[0][1]");
  EXPECT_EQ(FormatExpr("(m[0])[1]"), "m[0][1]");
  EXPECT_EQ(FormatExpr("f((a + b), (c))"), "f(a + b, c)");
  EXPECT_EQ(FormatExpr("tensor [[(1 + 2), -3], [4, 5]]"), "tensor [[1 + 2, -3], [4, 5]]");
  EXPECT_EQ(FormatExpr("(tensor [1])[0]"), "tensor [1][0]");
  EXPECT_EQ(FormatExpr("a - -b"), "a - -b");
}

TEST(FormatterTest, KeepsNumberSpellingsAndNormalizesStrings) {
  EXPECT_EQ(FormatExpr("f(.5, 1e-3, 2.5E+4, 007, 1.)"), "f(.5, 1e-3, 2.5E+4, 007, 1.)");
  EXPECT_EQ(FormatExpr("print(\"a\\tb\\n\\\"q\\\" \\\\ \\r\")"),
            "print(\"a\\tb\\n\\\"q\\\" \\\\ \\r\")");
  // A raw tab inside a string becomes its escape; the value is the same.
  EXPECT_EQ(FormatExpr("print(\"a\tb\")"), "print(\"a\\tb\")");
}

TEST(FormatterTest, EmptyBlocksAndFunctions) {
  EXPECT_EQ(CheckedFormat("fn main() {\n\n}\nfn g() { if x { } else { } }"),
            "fn main() {}\n\nfn g() {\n    if x {} else {}\n}\n");
  EXPECT_EQ(CheckedFormat(""), "");
}

TEST(FormatterTest, TrailingComments) {
  EXPECT_EQ(CheckedFormat("fn main() { // entry\n"
                          "  let x = 1;  // one\n"
                          "  let y = 2; /* two */ // and more\n"
                          "  if x { /* inside */ } // after if\n"
                          "} // end of main\n"),
            "fn main() { // entry\n"
            "    let x = 1; // one\n"
            "    let y = 2; /* two */ // and more\n"
            "    if x { /* inside */\n"
            "    } // after if\n"
            "} // end of main\n");
}

TEST(FormatterTest, OwnLineComments) {
  EXPECT_EQ(CheckedFormat("// file header\n"
                          "\n"
                          "// about f\n"
                          "fn f() {\n"
                          "  // before x\n"
                          "  let x = 1;\n"
                          "      /* odd indent */\n"
                          "  let y = 2;\n"
                          "  // end of f\n"
                          "}\n"
                          "// between\n"
                          "fn g() {\n"
                          "  while 1 {\n"
                          "    // only a comment\n"
                          "  }\n"
                          "}\n"
                          "// end of file\n"),
            "// file header\n"
            "\n"
            "// about f\n"
            "fn f() {\n"
            "    // before x\n"
            "    let x = 1;\n"
            "    /* odd indent */\n"
            "    let y = 2;\n"
            "    // end of f\n"
            "}\n"
            "\n"
            "// between\n"
            "fn g() {\n"
            "    while 1 {\n"
            "        // only a comment\n"
            "    }\n"
            "}\n"
            "// end of file\n");
}

TEST(FormatterTest, CommentsInsideStatementsMoveAboveThem) {
  EXPECT_EQ(CheckedFormat("fn main() {\n"
                          "  let x = f(a, // first argument\n"
                          "            b /* second */);\n"
                          "  if x /* odd place */ > 1 {\n"
                          "    print(x);\n"
                          "  } /* before else */ else {\n"
                          "  }\n"
                          "}\n"),
            "fn main() {\n"
            "    // first argument\n"
            "    /* second */\n"
            "    let x = f(a, b);\n"
            "    /* odd place */\n"
            "    if x > 1 {\n"
            "        print(x);\n"
            "    } else {\n"
            "        /* before else */\n"
            "    }\n"
            "}\n");
  EXPECT_EQ(CheckedFormat("fn /* name */ main(/* no params */) { }"),
            "/* name */\n/* no params */\nfn main() {}\n");
}

TEST(FormatterTest, KeepsSingleBlankLines) {
  EXPECT_EQ(CheckedFormat("fn main() {\n"
                          "\n"
                          "  let a = 1;\n"
                          "\n"
                          "\n"
                          "\n"
                          "  let b = 2;\n"
                          "  let c = 3;\n"
                          "\n"
                          "  // about d\n"
                          "  let d = 4;\n"
                          "\n"
                          "}\n"
                          "\n"
                          "\n"
                          "fn g() { }\n"),
            "fn main() {\n"
            "    let a = 1;\n"
            "\n"
            "    let b = 2;\n"
            "    let c = 3;\n"
            "\n"
            "    // about d\n"
            "    let d = 4;\n"
            "}\n"
            "\n"
            "fn g() {}\n");
}

TEST(FormatterTest, MultiLineBlockCommentsAreKeptVerbatim) {
  std::string formatted = CheckedFormat(
      "fn main() {\n"
      "  /* line one\n"
      "     line two */\n"
      "  let x = 1; /* trailing\n"
      "  spans */\n"
      "  let y = 2;\n"
      "}\n");
  EXPECT_THAT(formatted, HasSubstr("    /* line one\n     line two */\n    let x = 1;"));
  EXPECT_THAT(formatted, HasSubstr("let x = 1; /* trailing\n  spans */\n    let y = 2;"));
}

TEST(FormatterTest, CrlfSourcesFormatToLf) {
  EXPECT_EQ(CheckedFormat("fn main() {\r\n  let x = 1; // c\r\n\r\n  let y = 2;\r\n}\r\n"),
            "fn main() {\n    let x = 1; // c\n\n    let y = 2;\n}\n");
}

// Inputs the fuzz target once found to break a formatter property.
TEST(FormatterTest, FuzzFindings) {
  CheckedFormat(std::string("//\0\r\r\n//", 8));  // Comment ending in two CRs.
}

TEST(FormatterTest, RoundTripOfALargerProgram) {
  CheckedFormat(R"(// header comment
fn main() {
  let x = -(2 ^ 3) ^ 2;  // trailing
  let y = (1 + 2) * 3 - (4 - 5);
  /* block */
  if x > 1 { print("a\tb"); } else if x < 0 { print(2); } else { x = 1 as f32; }
  optimize(w) with adam(lr: 0.1) until loss < 1e-3 { minimize loss; }
  batch xb, i in d with 2 { print(xb[i][0]); }
  let t = tensor [[1, 2], [3, 4]] * 2 ** -x;
  // end of block
}
// last
)");
}

// A comment may stand between any two tokens: wherever it is, formatting keeps the AST, keeps
// the comment, and is idempotent.
TEST(FormatterTest, CommentsBetweenAnyTwoTokens) {
  const std::string program =
      "fn f(a, b) { return a + b; }\n"
      "fn main() {\n"
      "  let x = -f(1, 2) ^ 2;\n"
      "  if x > 1 { x = 0; } else if x < 0 { print(\"n\"); } else { }\n"
      "  optimize(w) with adam(lr: 0.1) until x < 1 { minimize x; }\n"
      "  load_safetensors { k: v } = \"p\";\n"
      "  batch xb, i in d with 2 { print(xb[i] as f32); }\n"
      "}\n";
  SourceManager sources;
  DiagnosticEngine diagnostics;
  std::vector<Token> tokens =
      Lex(sources, sources.AddBuffer("t.noma", program), diagnostics, nullptr);
  ASSERT_FALSE(diagnostics.has_errors());
  for (const Token& token : tokens) {
    for (const char* comment : {" /* c */ ", "// c\n", "\n\n// c\n\n"}) {
      std::string text = program;
      text.insert(token.begin, comment);
      SCOPED_TRACE(text);
      CheckedFormat(text);
    }
  }
}

}  // namespace
}  // namespace noma::syntax
