#include "noma/graph/lower.h"

#include <string>

#include "gtest/gtest.h"
#include "noma/graph/printer.h"
#include "noma/graph/specialize.h"
#include "noma/graph/verifier.h"
#include "noma/syntax/parser.h"

namespace noma::graph {
namespace {

struct Lowered {
  syntax::SourceManager sources;
  syntax::DiagnosticEngine diagnostics;
  Module module;
  std::string rendered;
};

// Parses and lowers `text`; `rendered` holds the diagnostics as a user would see them.
std::unique_ptr<Lowered> LowerText(const std::string& text) {
  auto result = std::make_unique<Lowered>();
  syntax::FileId file = result->sources.AddBuffer("t.noma", text);
  syntax::Program program = syntax::Parse(result->sources, file, result->diagnostics);
  EXPECT_FALSE(result->diagnostics.has_errors()) << result->diagnostics.Render(result->sources);
  result->module = Lower(program, result->diagnostics);
  result->rendered = result->diagnostics.Render(result->sources);
  return result;
}

TEST(LowerTest, StraightLineProgramVerifiesAndPrints) {
  auto lowered = LowerText("fn main() {\n  let x = 2;\n  let y = x * 3 + 1;\n  print(y);\n}\n");
  ASSERT_FALSE(lowered->diagnostics.has_errors()) << lowered->rendered;
  EXPECT_TRUE(Verify(lowered->module).ok());
  EXPECT_EQ(PrintModule(lowered->module),
            "func main() {\n"
            "  %0: scalar = const 2\n"
            "  store @x.0 %0\n"
            "  %1: scalar = load @x.0\n"
            "  %2: scalar = const 3\n"
            "  %3: scalar = binary.mul %1, %2\n"
            "  %4: scalar = const 1\n"
            "  %5: scalar = binary.add %3, %4\n"
            "  store @y.1 %5\n"
            "  %6: scalar = load @y.1\n"
            "  %7: scalar = builtin.print %6\n"
            "}\n");
}

TEST(LowerTest, InfersRanksAndConstantShapes) {
  auto lowered = LowerText(
      "fn f(p) { return p; }\n"
      "fn main() {\n  let a = tensor [[1, 2, 3], [4, 5, 6]];\n  let b = rand_tensor(3, 4);\n"
      "  let c = matmul(a, b) + tensor [1, 2, 3, 4];\n  let d = sum(c, 0);\n"
      "  let e = transpose(c)[1];\n  alloc z = [5, 2];\n  let n = 4;\n  alloc y = [n, 2];\n"
      "  let u = f(a);\n  let v = 1;\n  if 1 { v = tensor [1]; }\n  print(z + y + v);\n}\n");
  ASSERT_FALSE(lowered->diagnostics.has_errors()) << lowered->rendered;
  std::string ir = PrintFunction(lowered->module, lowered->module.functions[1]);
  for (const char* expected :
       {"tensor<2x3> = tensor", "tensor<3x4> = builtin.rand_tensor", "tensor<2x4> = builtin.matmul",
        "tensor<2x4> = binary.add", "tensor<4> = builtin.sum", "tensor<2> = index",
        "tensor<5x2> = load @z", "tensor<?x2> = load @y", "tensor<2x3> = call f",
        "any = load @v"}) {
    EXPECT_NE(ir.find(expected), std::string::npos) << expected << "\n" << ir;
  }
}

// A function called with a scalar and with a tensor gets a copy per kind; every value of both
// is typed, calls go to their copy, and dims-only differences make no copy.
TEST(SpecializeTest, OneCopyPerArgumentKind) {
  auto lowered = LowerText(
      "fn twice(x) { return x + x; }\n"
      "fn main() {\n  print(twice(2));\n  print(twice(tensor [1, 2]));\n"
      "  print(twice(tensor [1, 2, 3]));\n  print(twice(tensor [[1]]));\n}\n");
  ASSERT_FALSE(lowered->diagnostics.has_errors()) << lowered->rendered;
  SpecializeFunctions(lowered->module);
  const Module& module = lowered->module;
  ASSERT_EQ(module.functions.size(), 4u);  // twice, main, and copies for rank 1 and rank 2.
  EXPECT_TRUE(Verify(module).ok());
  std::string ir = PrintModule(module);
  EXPECT_EQ(ir.find("any"), std::string::npos) << ir;
  EXPECT_NE(ir.find("func twice(@x.0) specialized {"), std::string::npos) << ir;
  for (const Function& fn : module.functions) {
    if (fn.name == "twice" && fn.specialization_of != kNone) {
      EXPECT_EQ(module.functions[fn.specialization_of].name, "twice");
    }
  }
  EXPECT_NE(ir.find("scalar = call twice"), std::string::npos) << ir;
  EXPECT_NE(ir.find("tensor<?> = call twice"), std::string::npos) << ir;  // [2] and [3] joined.
  EXPECT_NE(ir.find("tensor<1x1> = call twice"), std::string::npos) << ir;
}

TEST(LowerTest, ControlFlowBecomesRegions) {
  auto lowered = LowerText(
      "fn main() {\n  let i = 0;\n  while i < 3 {\n    if i == 1 { print(i); } else { i = i; }\n"
      "    i = i + 1;\n  }\n}\n");
  ASSERT_FALSE(lowered->diagnostics.has_errors()) << lowered->rendered;
  EXPECT_TRUE(Verify(lowered->module).ok());
  std::string ir = PrintModule(lowered->module);
  EXPECT_NE(ir.find("while {"), std::string::npos) << ir;
  EXPECT_NE(ir.find("yield"), std::string::npos) << ir;
  EXPECT_NE(ir.find("if %"), std::string::npos) << ir;
}

TEST(LowerTest, LetReusesSlotSoBlockBindingsStayVisible) {
  auto lowered = LowerText("fn main() {\n  let x = 1;\n  if 1 { let x = 2; }\n  print(x);\n}\n");
  ASSERT_FALSE(lowered->diagnostics.has_errors()) << lowered->rendered;
  const Function& main = lowered->module.functions[0];
  int x_slots = 0;
  for (const Slot& slot : main.slots) x_slots += slot.name == "x";
  EXPECT_EQ(x_slots, 1);
}

TEST(LowerTest, UnknownNameSuggestsClosest) {
  auto lowered = LowerText("fn main() {\n  let learning_rate = 1;\n  print(lerning_rate);\n}\n");
  EXPECT_TRUE(lowered->diagnostics.has_errors());
  EXPECT_NE(lowered->rendered.find("t.noma:3:9: error: unknown name 'lerning_rate'"),
            std::string::npos)
      << lowered->rendered;
  EXPECT_NE(lowered->rendered.find("did you mean 'learning_rate'?"), std::string::npos)
      << lowered->rendered;
}

TEST(LowerTest, AssignmentToUndeclaredName) {
  auto lowered = LowerText("fn main() {\n  y = 3;\n}\n");
  EXPECT_NE(lowered->rendered.find("t.noma:2:3: error: assignment to undeclared name 'y'"),
            std::string::npos)
      << lowered->rendered;
}

TEST(LowerTest, UnknownFunctionAndArity) {
  auto lowered = LowerText(
      "fn f(a, b) { return a + b; }\nfn main() {\n  print(f(1));\n  print(sigmod(2));\n"
      "  print(sum());\n}\n");
  EXPECT_NE(lowered->rendered.find("t.noma:3:9: error: 'f' takes 2 arguments, but 1 were given"),
            std::string::npos)
      << lowered->rendered;
  EXPECT_NE(lowered->rendered.find("error: unknown function 'sigmod'"), std::string::npos)
      << lowered->rendered;
  EXPECT_NE(lowered->rendered.find("did you mean 'sigmoid'?"), std::string::npos);
  EXPECT_NE(lowered->rendered.find("'sum' takes 1 or 2 arguments, but 0 were given"),
            std::string::npos)
      << lowered->rendered;
}

TEST(LowerTest, CallTyposPreferBuiltins) {
  // `maen` is one swap from `mean` and one substitution from `main`: the builtin wins.
  auto lowered = LowerText("fn main() {\n  let x = tensor [1, 2];\n  print(maen(x));\n}\n");
  EXPECT_NE(lowered->rendered.find("t.noma:3:9: error: unknown function 'maen'"), std::string::npos)
      << lowered->rendered;
  EXPECT_NE(lowered->rendered.find("did you mean 'mean'?"), std::string::npos) << lowered->rendered;
}

TEST(LowerTest, UserFunctionShadowsBuiltin) {
  auto lowered = LowerText("fn relu(x) { return 7; }\nfn main() { print(relu(1)); }\n");
  ASSERT_FALSE(lowered->diagnostics.has_errors()) << lowered->rendered;
  bool calls_user = false;
  for (const Op& op : lowered->module.functions[lowered->module.main].ops) {
    calls_user |= op.code == OpCode::kCall;
  }
  EXPECT_TRUE(calls_user);
}

TEST(LowerTest, MissingMainAndDuplicateFunction) {
  auto lowered = LowerText("fn f() { }\nfn f() { }\n");
  EXPECT_NE(lowered->rendered.find("error: function 'f' is already defined"), std::string::npos)
      << lowered->rendered;
  EXPECT_NE(lowered->rendered.find("note: first defined here"), std::string::npos);
  EXPECT_NE(lowered->rendered.find("error: the program has no `fn main()`"), std::string::npos);
}

TEST(LowerTest, OptimizeChecksParameters) {
  auto lowered =
      LowerText("fn main() {\n  let w = 1;\n  optimize(w) until 1 { minimize w * w; }\n}\n");
  EXPECT_NE(lowered->rendered.find("t.noma:3:12: error: 'w' is not a `learn` parameter"),
            std::string::npos)
      << lowered->rendered;
}

TEST(LowerTest, MinimizeOutsideOptimize) {
  auto lowered = LowerText("fn main() {\n  minimize 3;\n}\n");
  EXPECT_NE(lowered->rendered.find("t.noma:2:3: error: `minimize` outside of an optimize body"),
            std::string::npos)
      << lowered->rendered;
}

TEST(LowerTest, RecursionInDifferentiatedCode) {
  auto lowered = LowerText(
      "fn f(x) { if x > 0 { return f(x - 1); } return x; }\n"
      "fn main() {\n  learn w = 1;\n  optimize(w) until 1 { minimize f(w); }\n}\n");
  EXPECT_NE(lowered->rendered.find("error: recursive call in differentiated code"),
            std::string::npos)
      << lowered->rendered;
}

TEST(LowerTest, RecursionOutsideOptimizeIsFine) {
  auto lowered = LowerText(
      "fn f(x) { if x > 0 { return f(x - 1); } return x; }\nfn main() { print(f(3)); }\n");
  EXPECT_FALSE(lowered->diagnostics.has_errors()) << lowered->rendered;
}

TEST(LowerTest, UseAfterFreeIsStaticWhenCertain) {
  auto lowered = LowerText("fn main() {\n  alloc b = [2];\n  free b;\n  print(b);\n}\n");
  EXPECT_NE(lowered->rendered.find("t.noma:4:9: error: use of 'b' after free"), std::string::npos)
      << lowered->rendered;
  auto maybe = LowerText("fn main() {\n  alloc b = [2];\n  if 1 { free b; }\n  print(b);\n}\n");
  EXPECT_FALSE(maybe->diagnostics.has_errors()) << maybe->rendered;
}

TEST(LowerTest, UnknownOptimizerAndSetting) {
  auto lowered = LowerText(
      "fn main() {\n  learn w = 1;\n  optimize(w) with adma(lr: 1) until 1 { minimize w; }\n"
      "  optimize(w) with adam(lrr: 1) until 1 { minimize w; }\n}\n");
  EXPECT_NE(lowered->rendered.find("error: unknown optimizer 'adma'"), std::string::npos)
      << lowered->rendered;
  EXPECT_NE(lowered->rendered.find("error: unknown optimizer setting 'lrr'"), std::string::npos)
      << lowered->rendered;
}

TEST(LowerTest, NonRectangularTensorLiteral) {
  auto lowered = LowerText("fn main() {\n  let t = tensor [[1, 2], [3]];\n  print(t);\n}\n");
  EXPECT_NE(lowered->rendered.find("error: tensor literal is not rectangular"), std::string::npos)
      << lowered->rendered;
  // The failed binding still declares `t`: no cascading "unknown name".
  EXPECT_EQ(lowered->diagnostics.error_count(), 1u) << lowered->rendered;
}

TEST(LowerTest, DotPrinterEmitsAGraph) {
  auto lowered = LowerText("fn main() {\n  let x = 1 + 2;\n}\n");
  std::string dot = PrintDot(lowered->module);
  EXPECT_EQ(dot.rfind("digraph noma {", 0), 0u);
  EXPECT_NE(dot.find("binary.add"), std::string::npos);
  EXPECT_NE(dot.find("->"), std::string::npos);
}

}  // namespace
}  // namespace noma::graph
