#include "tools/filecheck/filecheck.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace noma::filecheck {
namespace {

std::vector<std::string> Texts(const std::vector<Pattern>& patterns) {
  std::vector<std::string> texts;
  for (const Pattern& p : patterns) texts.push_back(p.text);
  return texts;
}

Expectations Parse(const std::string& program) {
  absl::StatusOr<Expectations> e = ParseExpectations(program, "t.noma");
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *e : Expectations{};
}

Expectations Stdout(std::vector<std::string> lines) {
  Expectations e;
  e.file = "t.noma";
  for (std::string& line : lines) e.stdout_patterns.push_back({std::move(line), 0});
  return e;
}

// --- Parsing directives ---------------------------------------------------------------------

TEST(ParseTest, AllDirectives) {
  Expectations e = Parse(
      "// CHECK: 1\n"
      "fn main() {\n"
      "  print(x);  // CHECK: [1, 2]\n"
      "}\n"
      "// CHECK-ERR: x.noma:{{[0-9]+}}: oops\n"
      "// EXIT: 1\n"
      "// ARGS: --seed 3\n"
      "// MODES: run fast-run\n");
  EXPECT_EQ(Texts(e.stdout_patterns), (std::vector<std::string>{"1", "[1, 2]"}));
  EXPECT_EQ(e.stdout_patterns[0].source_line, 1);
  EXPECT_EQ(e.stdout_patterns[1].source_line, 3);
  EXPECT_EQ(Texts(e.stderr_patterns), (std::vector<std::string>{"x.noma:{{[0-9]+}}: oops"}));
  EXPECT_EQ(e.stderr_patterns[0].source_line, 5);
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_EQ(e.args, "--seed 3");
  EXPECT_EQ(e.modes, (std::vector<std::string>{"run", "fast-run"}));
  EXPECT_EQ(e.file, "t.noma");
}

TEST(ParseTest, Defaults) {
  Expectations e = Parse("fn main() {\n  // An ordinary comment.\n}\n");
  EXPECT_TRUE(e.stdout_patterns.empty());
  EXPECT_TRUE(e.stderr_patterns.empty());
  EXPECT_EQ(e.exit_code, 0);
  EXPECT_EQ(e.args, "");
  EXPECT_TRUE(e.modes.empty());
}

TEST(ParseTest, OneBlankAfterTheColonIsDropped) {
  // Further leading blanks belong to the pattern (diagnostic snippets are indented); trailing
  // blanks and '\r' are not significant.
  Expectations e = Parse("// CHECK:    5 | x\n// CHECK-ERR:  ^\n// CHECK:x  \r\n// CHECK:\n");
  EXPECT_EQ(Texts(e.stdout_patterns), (std::vector<std::string>{"   5 | x", "x", ""}));
  EXPECT_EQ(Texts(e.stderr_patterns), (std::vector<std::string>{" ^"}));
}

TEST(ParseTest, BlanksBetweenSlashesAndNameAndCrLfSource) {
  Expectations e = Parse("//CHECK: a\r\n//   CHECK: b\r\n\t// EXIT: 3\r\n");
  EXPECT_EQ(Texts(e.stdout_patterns), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(e.exit_code, 3);
}

TEST(ParseTest, ProseCommentsAreNotDirectives) {
  Expectations e = Parse(
      "// NOTE: not a directive\n"
      "// See docs/language.md §9: CHECK: is only a directive right after //\n"
      "print(\"http://example.com\");\n"
      "// check: lower case is prose\n"
      "// Prose that mentions // CHECK: x is not a directive\n"
      "let s = \"// CHECK: in a string\";\n"
      "let t = \"esc \\\" // CHECK: still in the string\";\n");
  EXPECT_TRUE(e.stdout_patterns.empty());
}

TEST(ParseTest, DirectiveAfterAnUrlInCode) {
  Expectations e = Parse("print(\"a://b\");  // CHECK: a://b\n");
  EXPECT_EQ(Texts(e.stdout_patterns), (std::vector<std::string>{"a://b"}));
}

TEST(ParseTest, ModesMaySeparateWithCommas) {
  EXPECT_EQ(Parse("// MODES: run, build-exe\n").modes,
            (std::vector<std::string>{"run", "build-exe"}));
}

TEST(ParseTest, BrokenDirectivesAreErrors) {
  for (const char* program : {
           "// EXIT: one\n",
           "// EXIT: -1\n",
           "// EXIT: 256\n",
           "// EXIT:\n",
           "// EXIT: 1\n// EXIT: 1\n",
           "// ARGS: a\n// ARGS: b\n",
           "// MODES: run\n// MODES: run\n",
           "// MODES:\n",
           "// CHECK-NEXT: x\n",
           "// CHECK-NOT: x\n",
           "// CHECKERR: x\n",
           "// CHECK: {{[0-9}}\n",
           "// CHECK: {{unclosed\n",
           "// CHECK-ERR: {{(}}\n",
       }) {
    EXPECT_FALSE(ParseExpectations(program, "t.noma").ok()) << program;
  }
}

TEST(ParseTest, ErrorsNameFileAndLine) {
  absl::StatusOr<Expectations> e = ParseExpectations("fn main() {}\n// EXIT: x\n", "a.noma");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(std::string(e.status().message()).find("a.noma:2:"), std::string::npos) << e.status();
}

// --- Patterns ---------------------------------------------------------------------------------

TEST(PatternTest, LiteralTextIsNotARegex) {
  EXPECT_TRUE(MatchLine("[1, 2]", "[1, 2]"));
  EXPECT_FALSE(MatchLine("[1, 2]", "1"));
  EXPECT_FALSE(MatchLine("[1, 2]", "2"));
  EXPECT_FALSE(MatchLine("1.5", "105"));
  EXPECT_TRUE(MatchLine("a.b*c+d?(e)|f^g$h\\i", "a.b*c+d?(e)|f^g$h\\i"));
  EXPECT_FALSE(MatchLine("a|b", "a"));
  EXPECT_TRUE(MatchLine("matmul: inner dimensions differ ([4, 2] @ [3, 1])",
                        "matmul: inner dimensions differ ([4, 2] @ [3, 1])"));
  EXPECT_TRUE(MatchLine("{ key: x }", "{ key: x }"));  // Single braces are literal.
  EXPECT_TRUE(MatchLine("a } b }", "a } b }"));
}

TEST(PatternTest, RegexParts) {
  EXPECT_TRUE(MatchLine("loss {{[0-9.]+}} done", "loss 0.25 done"));
  EXPECT_FALSE(MatchLine("loss {{[0-9.]+}} done", "loss abc done"));
  EXPECT_TRUE(MatchLine("{{.*}}", ""));
  EXPECT_TRUE(MatchLine("{{.*}}", "anything at all"));
  EXPECT_TRUE(MatchLine("a{{}}b", "ab"));
  EXPECT_TRUE(MatchLine("x{{[0-9]+}}y{{[a-z]+}}z", "x12yabcz"));
  EXPECT_FALSE(MatchLine("x{{[0-9]+}}y{{[a-z]+}}z", "x12y3z"));
  // An alternation stays inside its part.
  EXPECT_TRUE(MatchLine("v={{1|2}};", "v=2;"));
  EXPECT_FALSE(MatchLine("v={{1|2}};", "2;"));
  // A regex part may itself contain braces: the part ends at the last '}}' of a run of '}'.
  EXPECT_TRUE(MatchLine("{{a{2}}}", "aa"));
  EXPECT_FALSE(MatchLine("{{a{2}}}", "a"));
  EXPECT_TRUE(MatchLine("n={{[0-9]{3}}} end", "n=123 end"));
  // Escapes work inside regex parts.
  EXPECT_TRUE(MatchLine("a{{\\t}}b", "a\tb"));
  EXPECT_TRUE(MatchLine("a{{\\r}}b", "a\rb"));
  EXPECT_TRUE(MatchLine("{{\\[1, 2\\]}}", "[1, 2]"));
}

TEST(PatternTest, WholeLineOnly) {
  EXPECT_FALSE(MatchLine("loss {{[0-9.]+}}", "loss 0.25 done"));
  EXPECT_FALSE(MatchLine("abc", "xabc"));
  EXPECT_FALSE(MatchLine("abc", "abcx"));
  EXPECT_FALSE(MatchLine("{{a|ab}}", "abc"));
  EXPECT_FALSE(MatchLine("1", "11"));
  EXPECT_FALSE(MatchLine("", "x"));
  EXPECT_TRUE(MatchLine("", ""));
}

TEST(PatternTest, TrailingWhitespaceIsIgnoredLeadingIsNot) {
  EXPECT_TRUE(MatchLine("abc", "abc   "));
  EXPECT_TRUE(MatchLine("abc", "abc\r"));
  EXPECT_TRUE(MatchLine("abc  ", "abc"));
  EXPECT_FALSE(MatchLine("abc", " abc"));
  EXPECT_TRUE(MatchLine("   |     ^", "   |     ^"));
}

TEST(PatternTest, InvalidPatterns) {
  EXPECT_FALSE(PatternToRegex("{{[}}").ok());
  EXPECT_FALSE(PatternToRegex("a {{b").ok());
  EXPECT_FALSE(LineMatcher::Create("{{(}}").ok());
  EXPECT_FALSE(MatchLine("{{(}}", "("));
  EXPECT_TRUE(PatternToRegex("a }} b").ok());  // A lone '}}' is literal text.
  EXPECT_TRUE(MatchLine("a }} b", "a }} b"));
}

TEST(PatternTest, Utf8) {
  EXPECT_TRUE(MatchLine("θ ← θ − lr·g", "θ ← θ − lr·g"));
  EXPECT_TRUE(MatchLine("{{.}}x", "θx"));
}

TEST(SplitLinesTest, Lines) {
  EXPECT_EQ(SplitLines(""), std::vector<std::string>{});
  EXPECT_EQ(SplitLines("\n"), std::vector<std::string>{""});
  EXPECT_EQ(SplitLines("a"), std::vector<std::string>{"a"});
  EXPECT_EQ(SplitLines("a\n"), std::vector<std::string>{"a"});
  EXPECT_EQ(SplitLines("a\n\n"), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(SplitLines("a \r\nb\t\n"), (std::vector<std::string>{"a", "b"}));
}

// --- Checking a run ---------------------------------------------------------------------------

TEST(CheckTest, StdoutMustMatchExactlyInOrder) {
  Expectations e = Stdout({"1", "2"});
  EXPECT_EQ(Check(e, "1\n2\n", "", 0), "");
  EXPECT_EQ(Check(e, "1\n2", "", 0), "");  // No final newline.
  EXPECT_NE(Check(e, "2\n1\n", "", 0), "");
  EXPECT_NE(Check(e, "1\n2\n3\n", "", 0), "");  // Extra line.
  EXPECT_NE(Check(e, "1\n", "", 0), "");        // Missing line.
  EXPECT_NE(Check(e, "", "", 0), "");
  EXPECT_NE(Check(e, "1\n\n2\n", "", 0), "");  // An empty line is a line.
  EXPECT_NE(Check(e, "1\n2\n\n", "", 0), "");
}

TEST(CheckTest, NoCheckLinesMeansEmptyStdout) {
  Expectations e;
  EXPECT_EQ(Check(e, "", "", 0), "");
  EXPECT_NE(Check(e, "x\n", "", 0), "");
  EXPECT_NE(Check(e, "\n", "", 0), "");
}

TEST(CheckTest, EmptyLinePattern) {
  Expectations e = Stdout({"a", "", "b"});
  EXPECT_EQ(Check(e, "a\n\nb\n", "", 0), "");
  EXPECT_NE(Check(e, "a\nb\n", "", 0), "");
}

TEST(CheckTest, StderrLinesInOrderWithGaps) {
  Expectations e;
  e.stderr_patterns = {{"f.noma:3:5: error: {{.*}}", 0}, {"hint: x", 0}};
  e.exit_code = 1;
  EXPECT_EQ(Check(e, "", "f.noma:3:5: error: bad\n 3 | code\n   | ^\nhint: x\n", 1), "");
  EXPECT_EQ(Check(e, "", "note\nf.noma:3:5: error: bad\nhint: x\nmore\n", 1), "");
  EXPECT_NE(Check(e, "", "hint: x\nf.noma:3:5: error: bad\n", 1), "");  // Wrong order.
  EXPECT_NE(Check(e, "", "f.noma:3:5: error: bad\n", 1), "");           // One missing.
  EXPECT_NE(Check(e, "", "", 1), "");
}

TEST(CheckTest, OneStderrLineSatisfiesOnePattern) {
  Expectations e;
  e.stderr_patterns = {{"error: {{.*}}", 0}, {"error: {{.*}}", 0}};
  EXPECT_NE(Check(e, "", "error: a\n", 0), "");
  EXPECT_EQ(Check(e, "", "error: a\nerror: b\n", 0), "");
}

TEST(CheckTest, StderrMustBeEmptyWithoutCheckErr) {
  Expectations e;
  EXPECT_NE(Check(e, "", "warning: something\n", 0), "");
  EXPECT_NE(Check(e, "", "\n", 0), "");
}

TEST(CheckTest, ExitCodes) {
  Expectations e;
  EXPECT_EQ(Check(e, "", "", 0), "");
  EXPECT_NE(Check(e, "", "", 1), "");
  EXPECT_NE(Check(e, "", "", 2), "");
  e.exit_code = 1;
  EXPECT_EQ(Check(e, "", "", 1), "");
  EXPECT_NE(Check(e, "", "", 0), "");
  EXPECT_NE(Check(e, "", "", 139), "");  // A crash is never an expected error.
  e.exit_code = 2;
  EXPECT_EQ(Check(e, "", "", 2), "");
}

TEST(CheckTest, ReportNamesLinesExpectedAndActual) {
  absl::StatusOr<Expectations> e = ParseExpectations(
      "fn main() {\n"
      "  print(1);  // CHECK: 1\n"
      "  print(2);  // CHECK: 2\n"
      "}\n",
      "tests/x.noma");
  ASSERT_TRUE(e.ok());
  std::string report = Check(*e, "1\n3\n", "", 0);
  EXPECT_NE(report.find("stdout line 2"), std::string::npos) << report;
  EXPECT_NE(report.find("tests/x.noma:3"), std::string::npos) << report;
  EXPECT_NE(report.find("expected: 2"), std::string::npos) << report;
  EXPECT_NE(report.find("actual:   3"), std::string::npos) << report;
  EXPECT_EQ(report.find("stdout line 1 "), std::string::npos) << report;

  report = Check(*e, "1\n2\n4\n", "", 0);
  EXPECT_NE(report.find("line 3: 4"), std::string::npos) << report;
  report = Check(*e, "1\n", "", 0);
  EXPECT_NE(report.find("line 2 (CHECK at tests/x.noma:3): 2"), std::string::npos) << report;
  report = Check(*e, "1\n2\n", "", 1);
  EXPECT_NE(report.find("exit code: expected 0, got 1"), std::string::npos) << report;
}

TEST(CheckTest, ReportListsEveryProblemAndTheActualOutput) {
  Expectations e = Stdout({"a", "b", "c"});
  e.stderr_patterns = {{"warn", 7}};
  std::string report = Check(e, "x\nb\ny\n", "other\n", 3);
  EXPECT_NE(report.find("4 problem(s)"), std::string::npos) << report;
  EXPECT_NE(report.find("stdout line 1 "), std::string::npos) << report;
  EXPECT_NE(report.find("stdout line 3 "), std::string::npos) << report;
  EXPECT_NE(report.find("t.noma:7"), std::string::npos) << report;
  EXPECT_NE(report.find("   1 | other"), std::string::npos) << report;
}

}  // namespace
}  // namespace noma::filecheck
