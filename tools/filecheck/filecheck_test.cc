#include "tools/filecheck/filecheck.h"

#include "gtest/gtest.h"

namespace noma::filecheck {
namespace {

TEST(FileCheckTest, ParsesDirectives) {
  Expectations e = ParseExpectations(
      "// CHECK: 1\nfn main() {\n  print(x);  // CHECK: [1, 2]\n}\n// CHECK-ERR: "
      "x.noma:{{[0-9]+}}: oops\n"
      "// EXIT: 1\n// ARGS: --seed 3\n// MODES: run fast-run\n");
  EXPECT_EQ(e.stdout_patterns, (std::vector<std::string>{"1", "[1, 2]"}));
  EXPECT_EQ(e.stderr_patterns.size(), 1u);
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_EQ(e.args, "--seed 3");
  EXPECT_EQ(e.modes, (std::vector<std::string>{"run", "fast-run"}));
}

TEST(FileCheckTest, LiteralTextIsNotARegex) {
  EXPECT_TRUE(MatchLine("[1, 2] (x)*", "[1, 2] (x)*"));
  EXPECT_FALSE(MatchLine("[1, 2]", "1"));
  EXPECT_FALSE(MatchLine("1.5", "105"));
}

TEST(FileCheckTest, RegexPartsAndWholeLine) {
  EXPECT_TRUE(MatchLine("loss {{[0-9.]+}} done", "loss 0.25 done"));
  EXPECT_FALSE(MatchLine("loss {{[0-9.]+}}", "loss 0.25 done"));
  EXPECT_FALSE(MatchLine("abc", "xabc"));
}

TEST(FileCheckTest, StdoutMustMatchExactlyInOrder) {
  Expectations e;
  e.stdout_patterns = {"1", "2"};
  EXPECT_EQ(Check(e, "1\n2\n", "", 0), "");
  EXPECT_NE(Check(e, "2\n1\n", "", 0), "");
  EXPECT_NE(Check(e, "1\n2\n3\n", "", 0), "");  // Extra line.
  EXPECT_NE(Check(e, "1\n", "", 0), "");        // Missing line.
}

TEST(FileCheckTest, StderrLinesInOrderWithGaps) {
  Expectations e;
  e.stderr_patterns = {"f.noma:3:5: error: {{.*}}", "hint: x"};
  e.exit_code = 1;
  EXPECT_EQ(Check(e, "", "f.noma:3:5: error: bad\n 3 | code\n   | ^\nhint: x\n", 1), "");
  EXPECT_NE(Check(e, "", "hint: x\nf.noma:3:5: error: bad\n", 1), "");
}

TEST(FileCheckTest, UnexpectedStderrAndExitCode) {
  Expectations e;
  EXPECT_NE(Check(e, "", "warning: something\n", 0), "");
  EXPECT_NE(Check(e, "", "", 1), "");
}

}  // namespace
}  // namespace noma::filecheck
