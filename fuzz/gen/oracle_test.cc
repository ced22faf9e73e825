// The generator makes the same valid programs from the same seed, and the oracles and the
// reducer judge and shrink programs as documented.
#include "fuzz/gen/oracle.h"

#include <string>

#include "absl/strings/match.h"
#include "fuzz/gen/generator.h"
#include "gtest/gtest.h"

namespace noma::fuzz {
namespace {

std::string Scratch(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name;
}

TEST(GeneratorTest, TheSameSeedGivesTheSameProgram) {
  EXPECT_EQ(GenerateProgram(7), GenerateProgram(7));
  EXPECT_NE(GenerateProgram(7), GenerateProgram(8));
  EXPECT_EQ(GenerateGradientCase(3).GradientProgram(), GenerateGradientCase(3).GradientProgram());
}

TEST(GeneratorTest, ProgramsCompileAndEveryExecutorAgrees) {
  OracleOptions options;
  options.scratch = Scratch("agree");
  options.executors = {Executor::kInterpreter, Executor::kJit};
  int trained = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    std::string text = GenerateProgram(seed);
    trained += absl::StrContains(text, "optimize(");
    Verdict verdict = RunDifferential(text, options);
    EXPECT_TRUE(verdict.compiled) << verdict.diagnostics << text;
    EXPECT_TRUE(verdict.agree) << verdict.disagreement << text;
    EXPECT_EQ(verdict.outcomes.size(), 2u);
  }
  EXPECT_GT(trained, 0);  // The mix includes training loops.
}

TEST(OracleTest, ReportsWhatTheExecutorsPrint) {
  OracleOptions options;
  options.scratch = Scratch("report");
  options.executors = {Executor::kInterpreter, Executor::kJit};
  Verdict verdict = RunDifferential(
      "fn main() {\n    save_csv tensor [1, 2], \"a.csv\";\n    print(1 / 0);\n"
      "    load_csv t = \"a.csv\";\n    print(t[len(t) + 1][0]);\n}\n",
      options);
  ASSERT_TRUE(verdict.compiled);
  EXPECT_TRUE(verdict.agree) << verdict.disagreement;
  for (const Outcome& outcome : verdict.outcomes) {
    EXPECT_EQ(outcome.code, 1);
    EXPECT_EQ(outcome.out, "inf\n");
    EXPECT_TRUE(absl::StrContains(outcome.err, "gen.noma:5:")) << outcome.err;
    ASSERT_EQ(outcome.files.count("a.csv"), 1u);
    EXPECT_EQ(outcome.files.at("a.csv"), "1\n2\n");
  }
}

TEST(OracleTest, RejectedProgramsCarryTheDiagnostics) {
  OracleOptions options;
  options.scratch = Scratch("rejected");
  Verdict verdict = RunDifferential("fn main() { print(nope); }\n", options);
  EXPECT_FALSE(verdict.compiled);
  EXPECT_TRUE(absl::StrContains(verdict.diagnostics, "nope")) << verdict.diagnostics;
}

TEST(OracleTest, GradientsMatchFiniteDifferences) {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    GradientVerdict verdict = CheckGradient(GenerateGradientCase(seed));
    EXPECT_TRUE(verdict.compiled) << verdict.failure;
    EXPECT_EQ(verdict.failure, "");
    checked += verdict.checked;
  }
  EXPECT_GT(checked, 20);
}

TEST(OracleTest, AWrongGradientIsCaught) {
  // floor has no gradient (language §5) but the finite differences of p*1e6 rounded see the
  // slope 1e6 between steps: the oracle must flag the mismatch.
  GradientCase c;
  c.functions = "fn loss_fn(p0) {\n    return floor(p0 * 1000000) / 1000000 + 0 * p0;\n}\n";
  c.shapes = {{}};
  c.values = {{0.3}};
  GradientVerdict verdict = CheckGradient(c);
  EXPECT_TRUE(verdict.compiled);
  EXPECT_NE(verdict.failure, "");
}

TEST(OracleTest, FormattingIsHarmless) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    EXPECT_EQ(CheckFormat(GenerateProgram(seed), Scratch("fmt")), "") << seed;
  }
}

TEST(ReducerTest, KeepsOnlyWhatTheFailureNeeds) {
  const std::string program =
      "fn main() {\n"
      "    let a = 1;\n"
      "    if a > 0 {\n"
      "        print(2);\n"
      "        print(7);\n"
      "    }\n"
      "    let i = 0;\n"
      "    while i < 2 {\n"
      "        i = i + 1;\n"
      "    }\n"
      "}\n";
  int calls = 0;
  std::string reduced = Reduce(program, [&](const std::string& candidate) {
    ++calls;
    return absl::StrContains(candidate, "print(7)") && absl::StrContains(candidate, "fn main");
  });
  EXPECT_EQ(reduced, "fn main() {\n        print(7);\n}\n");
  EXPECT_GT(calls, 0);
}

}  // namespace
}  // namespace noma::fuzz
