#include "noma/interp/interp.h"

#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "noma/autodiff/autodiff.h"
#include "noma/graph/lower.h"
#include "noma/syntax/parser.h"

namespace noma::interp {
namespace {

struct Result {
  std::string out;
  std::string err;
  std::string error;  // Rendered run-time error, if any.
};

Result RunText(const std::string& text, Options options = {}) {
  syntax::SourceManager sources;
  syntax::DiagnosticEngine diagnostics;
  syntax::FileId file = sources.AddBuffer("i.noma", text);
  syntax::Program program = syntax::Parse(sources, file, diagnostics);
  graph::Module module = graph::Lower(program, diagnostics);
  autodiff::Differentiate(module, diagnostics);
  EXPECT_FALSE(diagnostics.has_errors()) << diagnostics.Render(sources);
  std::ostringstream out, err;
  options.out = &out;
  options.err = &err;
  options.sources = &sources;
  absl::StatusOr<Outcome> outcome = Run(module, options);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  Result result{out.str(), err.str(), ""};
  if (outcome.ok() && outcome->error) {
    result.error = syntax::RenderDiagnostic(*outcome->error, sources);
  }
  return result;
}

TEST(InterpTest, WhileRunsAtRunTimeWithoutCap) {
  Result r = RunText("fn main() { let i = 0; while i < 250000 { i = i + 1; } print(i); }");
  EXPECT_EQ(r.out, "250000\n");
}

TEST(InterpTest, IfIsDecidedEachTimeItIsReached) {
  Result r = RunText(
      "fn main() { let i = 0; let s = 0; while i < 6 { if i % 3 == 0 { s = s + 10; } else "
      "{ s = s + 1; } i = i + 1; } print(s); }");
  EXPECT_EQ(r.out, "24\n");
}

TEST(InterpTest, ReturnLeavesNestedLoops) {
  Result r = RunText(
      "fn f() { let i = 0; while 1 { while 1 { i = i + 1; if i == 7 { return i; } } } return 0; }"
      "fn main() { print(f()); print(\"after\"); }");
  EXPECT_EQ(r.out, "7\nafter\n");
}

TEST(InterpTest, ValuesAreSnapshots) {
  Result r = RunText(
      "fn bump(t) { t = t + 1; return t; }"
      "fn main() { let a = tensor [1]; let b = a; let c = bump(a); a = a * 10; "
      "print(b); print(c); print(a); }");
  EXPECT_EQ(r.out, "[1]\n[2]\n[10]\n");
}

TEST(InterpTest, MainReturnValueIsPrintedLast) {
  EXPECT_EQ(RunText("fn main() { print(1); return tensor [2, 3]; }").out, "1\n[2, 3]\n");
  EXPECT_EQ(RunText("fn main() { print(1); return; }").out, "1\n");
}

TEST(InterpTest, DeepRecursionIsALocatedError) {
  Options options;
  options.max_call_depth = 50;
  Result r = RunText("fn f(n) { return f(n + 1); }\nfn main() { print(f(0)); }", options);
  EXPECT_NE(r.error.find("i.noma:1:18: error: recursion is too deep (50 nested calls)"),
            std::string::npos)
      << r.error;
}

TEST(InterpTest, StackBudgetTurnsDeepRecursionIntoAnError) {
  Options options;
  options.max_call_depth = 1 << 30;              // Only the stack budget can stop it.
  options.stack_budget_bytes = size_t{1} << 20;  // Well inside the test thread's stack.
  Result r = RunText("fn f(n) { return f(n + 1); }\nfn main() { print(f(0)); }", options);
  EXPECT_NE(r.error.find("error: recursion is too deep"), std::string::npos) << r.error;
}

TEST(InterpTest, UnsetVariableFromUntakenBranch) {
  Result r = RunText("fn main() {\n  if 0 { let x = 1; }\n  print(x);\n}");
  EXPECT_NE(r.error.find("i.noma:3:9: error: 'x' is used before it is given a value"),
            std::string::npos)
      << r.error;
}

TEST(InterpTest, CheckNanNamesTheOperation) {
  Options options;
  options.check_nan = true;
  Result r = RunText(
      "fn main() {\n  learn w = 1;\n  optimize(w) with sgd(lr: 1) until 0 {\n"
      "    minimize w * w + log(w - 5);\n  }\n}",
      options);
  EXPECT_NE(r.error.find("i.noma:4:22: error: 'log' produced a NaN or infinity (--check-nan)"),
            std::string::npos)
      << r.error;
  // Without the flag NaN just flows (IEEE), and the loop runs to its cap.
  Result quiet = RunText(
      "fn main() {\n  learn w = 1;\n  optimize(w) with sgd(lr: 1, max_iterations: 2) until 0 {\n"
      "    let loss = w * w + log(w - 5);\n    minimize loss;\n  }\n  print(loss);\n}");
  EXPECT_EQ(quiet.error, "");
  EXPECT_EQ(quiet.out, "nan\n");
}

TEST(InterpTest, AllocationLimitApplies) {
  Options options;
  options.max_elements = 1000;
  Result r = RunText("fn main() {\n  alloc b = [10, 200];\n}", options);
  EXPECT_NE(r.error.find("i.noma:2:3: error: allocation of 2000 elements"), std::string::npos)
      << r.error;
}

TEST(InterpTest, BatchWalksChunksWithShorterLast) {
  Result r = RunText(
      "fn main() { let x = tensor [[1], [2], [3], [4], [5]]; "
      "batch xb, i in x with 2 { print(i); print(sum(xb)); } }");
  EXPECT_EQ(r.out, "0\n3\n1\n7\n2\n5\n");
}

TEST(InterpTest, StringsOnlyPrintOrPath) {
  Result r = RunText("fn main() {\n  let s = \"a\";\n  print(s + 1);\n}");
  EXPECT_NE(r.error.find("i.noma:3:11: error: a string can only be printed or used as a file "
                         "path"),
            std::string::npos)
      << r.error;
}

}  // namespace
}  // namespace noma::interp
