#include "noma/graph/shapes.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "noma/graph/infer.h"
#include "noma/graph/lower.h"
#include "noma/syntax/parser.h"

namespace noma::graph {
namespace {

struct Checked {
  syntax::SourceManager sources;
  syntax::DiagnosticEngine diagnostics;
  Module module;
  std::string rendered;  // The diagnostics as a user sees them.
};

// Parses, lowers (which infers types) and runs the shape check on `text`.
std::unique_ptr<Checked> Check(const std::string& text) {
  auto result = std::make_unique<Checked>();
  syntax::FileId file = result->sources.AddBuffer("t.noma", text);
  syntax::Program program = syntax::Parse(result->sources, file, result->diagnostics);
  result->module = Lower(program, result->diagnostics);
  EXPECT_FALSE(result->diagnostics.has_errors()) << result->diagnostics.Render(result->sources);
  CheckShapes(result->module, result->diagnostics);
  result->rendered = result->diagnostics.Render(result->sources);
  return result;
}

// The type of the variable `name` of `main` (the join of everything it held).
Type VariableType(const Checked& checked, const std::string& name) {
  const Function& main = checked.module.functions[checked.module.main];
  for (SlotId s = 0; s < main.slots.size(); ++s) {
    if (main.slots[s].name == name) return main.slot_types[s];
  }
  ADD_FAILURE() << "no variable " << name;
  return Type::Unknown();
}

TEST(ShapesTest, CsvDimsAreSymbolsThatPropagateThroughMatmul) {
  auto checked = Check(
      "fn main() {\n  load_csv x = \"d.csv\";\n  let w = rand_tensor(16, 64);\n"
      "  let h = matmul(x, w);\n  let r = transpose(h);\n}\n");
  ASSERT_FALSE(checked->diagnostics.has_errors()) << checked->rendered;
  Type x = VariableType(*checked, "x"), h = VariableType(*checked, "h");
  ASSERT_EQ(x.rank, 2);
  EXPECT_TRUE(IsSymbolDim(x.dims[0]));
  EXPECT_TRUE(IsSymbolDim(x.dims[1]));
  EXPECT_NE(x.dims[0], x.dims[1]);
  ASSERT_EQ(h.rank, 2);
  EXPECT_EQ(h.dims[0], x.dims[0]);  // [n0, 16] @ [16, 64] = [n0, 64].
  EXPECT_EQ(h.dims[1], 64);
  Type r = VariableType(*checked, "r");
  EXPECT_EQ(r.dims, (std::vector<int64_t>{64, x.dims[0]}));
  EXPECT_EQ(checked->module.symbols.Get(x.dims[0]).origin, "rows of the table read by load_csv");
}

TEST(ShapesTest, BranchesThatDisagreeJoinToASymbolAndAgreeingDimsStay) {
  auto checked = Check(
      "fn main() {\n  let m = rand_tensor(2, 4);\n  if 1 { m = rand_tensor(5, 4); }\n"
      "  let s = sum(m, 0);\n}\n");
  ASSERT_FALSE(checked->diagnostics.has_errors()) << checked->rendered;
  Type m = VariableType(*checked, "m");
  ASSERT_EQ(m.rank, 2);
  EXPECT_TRUE(IsSymbolDim(m.dims[0]));
  EXPECT_EQ(m.dims[1], 4);
  EXPECT_EQ(VariableType(*checked, "s"), Type::TensorOf({4}));
}

TEST(ShapesTest, GrowthInALoopEndsWithASymbolicDim) {
  auto checked = Check(
      "fn main() {\n  alloc w = [1, 2];\n  let n = 2;\n  while n < 100 {\n    n = n + 1;\n"
      "    realloc w = [1, n];\n    w = w * 2;\n  }\n  let s = w + 1;\n}\n");
  ASSERT_FALSE(checked->diagnostics.has_errors()) << checked->rendered;
  Type s = VariableType(*checked, "s");
  ASSERT_EQ(s.rank, 2);
  EXPECT_EQ(s.dims[0], 1);
  EXPECT_TRUE(IsSymbolDim(s.dims[1]));
}

TEST(ShapesTest, ReportsAProvenMismatchWithTheRuntimeMessageAndANote) {
  auto checked = Check(
      "fn main() {\n  let x = rand_tensor(4, 3);\n  alloc w = [3, 1];\n  realloc w = [10, 1];\n"
      "  print(matmul(x, w));\n}\n");
  EXPECT_EQ(checked->diagnostics.error_count(), 1u);
  EXPECT_NE(checked->rendered.find("t.noma:5:9: error: matmul: inner dimensions differ "
                                   "([4, 3] @ [10, 1])"),
            std::string::npos)
      << checked->rendered;
  EXPECT_NE(checked->rendered.find("t.noma:4:3: note: w was reallocated to [10, 1] here"),
            std::string::npos)
      << checked->rendered;
}

TEST(ShapesTest, ChecksEachCallSiteWithItsOwnShapes) {
  auto checked = Check(
      "fn f(a) { return a + tensor [1, 2, 3]; }\n"
      "fn main() {\n  print(f(tensor [1, 1, 1]));\n  print(f(5));\n  print(f(tensor [1, 2]));\n"
      "}\n");
  EXPECT_EQ(checked->diagnostics.error_count(), 1u) << checked->rendered;
  EXPECT_NE(checked->rendered.find("t.noma:1:20: error: cannot broadcast shapes [2] and [3]"),
            std::string::npos)
      << checked->rendered;
  EXPECT_NE(checked->rendered.find("t.noma:5:9: note: in this call of 'f'"), std::string::npos)
      << checked->rendered;
}

TEST(ShapesTest, RunTimeSizesAreNeverReported) {
  // Every operation here may fail or succeed depending on the file and on run-time values.
  auto checked = Check(
      "fn main() {\n  load_csv x = \"d.csv\";\n  load_csv y = \"e.csv\";\n"
      "  let a = x + y;\n  let b = matmul(x, y);\n  let c = dot(x[0], y[0]);\n"
      "  let i = 7;\n  let d = x[i];\n  let e = x + tensor [1, 2, 3];\n"
      "  batch xb in x, yb in y with 4 { print(xb - yb); }\n}\n");
  EXPECT_FALSE(checked->diagnostics.has_errors()) << checked->rendered;
}

TEST(ShapesTest, RecursionWithChangingShapesTerminates) {
  auto checked = Check(
      "fn grow(t, n) {\n  if n < 1 { return t; }\n  alloc u = [n, 2];\n"
      "  return grow(u, n - 1) * 1;\n}\n"
      "fn main() {\n  print(grow(tensor [[1, 2]], 3));\n}\n");
  EXPECT_FALSE(checked->diagnostics.has_errors()) << checked->rendered;
}

TEST(ShapesTest, ListsVariablesWithSymbolsAndALegend) {
  auto checked = Check(
      "fn main() {\n  load_csv x = \"d.csv\";\n  let w = rand_tensor(3, 8);\n"
      "  let n = 1;\n  let s = \"name\";\n}\n");
  ASSERT_FALSE(checked->diagnostics.has_errors()) << checked->rendered;
  EXPECT_EQ(DescribeVariableShapes(checked->module, checked->sources),
            "t.noma:2:12: x: [n0, n1]\n"
            "t.noma:3:7: w: [3, 8]\n"
            "t.noma:4:7: n: scalar\n"
            "t.noma:5:7: s: string\n"
            "n0: rows of the table read by load_csv (t.noma:2:3)\n"
            "n1: columns of the table read by load_csv (t.noma:2:3)\n");
}

TEST(ShapesTest, ShapeTextShowsRunTimeDimsAsQuestionMarks) {
  EXPECT_EQ(ShapeText(Type::TensorOf({2, SymbolDim(0), kUnknownDim})), "[2, ?, ?]");
  EXPECT_EQ(ShapeText(Type::Scalar()), "[]");
  EXPECT_EQ(ShapeText(Type::Tensor()), "tensor");
}

}  // namespace
}  // namespace noma::graph
