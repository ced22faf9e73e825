#include "noma/autodiff/autodiff.h"

#include <string>

#include "gtest/gtest.h"
#include "noma/graph/lower.h"
#include "noma/graph/printer.h"
#include "noma/graph/verifier.h"
#include "noma/syntax/parser.h"

namespace noma::autodiff {
namespace {

struct Differentiated {
  syntax::SourceManager sources;
  syntax::DiagnosticEngine diagnostics;
  graph::Module module;
  std::string errors;
};

std::unique_ptr<Differentiated> DifferentiateText(const std::string& text) {
  auto d = std::make_unique<Differentiated>();
  syntax::FileId file = d->sources.AddBuffer("a.noma", text);
  syntax::Program program = syntax::Parse(d->sources, file, d->diagnostics);
  d->module = graph::Lower(program, d->diagnostics);
  EXPECT_FALSE(d->diagnostics.has_errors()) << d->diagnostics.Render(d->sources);
  Differentiate(d->module, d->diagnostics);
  d->errors = d->diagnostics.Render(d->sources);
  return d;
}

const graph::Op* FindOp(const graph::Function& fn, graph::OpCode code) {
  for (const graph::Op& op : fn.ops) {
    if (op.code == code) return &op;
  }
  return nullptr;
}

TEST(AutodiffTest, AddsAStepRegionThatVerifies) {
  auto d = DifferentiateText("fn main() { learn w = 1; optimize(w) until 1 { minimize w * w; } }");
  ASSERT_FALSE(d->diagnostics.has_errors()) << d->errors;
  EXPECT_TRUE(graph::Verify(d->module).ok());
  const graph::Op* optimize = FindOp(d->module.functions[0], graph::OpCode::kOptimize);
  ASSERT_NE(optimize, nullptr);
  EXPECT_EQ(optimize->regions.size(), 3u);  // body, until, step
}

TEST(AutodiffTest, MiniBatchStepLivesOnTheBatch) {
  auto d = DifferentiateText(
      "fn main() { let x = tensor [[1], [2]]; learn w = 1; optimize(w) until 1 {"
      " batch xb in x with 1 { minimize sum(xb * w); } } }");
  ASSERT_FALSE(d->diagnostics.has_errors()) << d->errors;
  EXPECT_TRUE(graph::Verify(d->module).ok());
  const graph::Function& main = d->module.functions[d->module.main];
  EXPECT_EQ(FindOp(main, graph::OpCode::kOptimize)->regions.size(), 2u);
  EXPECT_EQ(FindOp(main, graph::OpCode::kBatch)->regions.size(), 2u);
}

TEST(AutodiffTest, CallsInTheBodyAreInlined) {
  auto d = DifferentiateText(
      "fn sq(x) { if x > 0 { return x * x; } return 0 - x; }\n"
      "fn main() { learn w = 1; optimize(w) until 1 { minimize sq(w); } print(sq(2)); }");
  ASSERT_FALSE(d->diagnostics.has_errors()) << d->errors;
  EXPECT_TRUE(graph::Verify(d->module).ok());
  const graph::Function& main = d->module.functions[d->module.main];
  const graph::Op* optimize = FindOp(main, graph::OpCode::kOptimize);
  ASSERT_NE(optimize, nullptr);
  // No call is left inside the optimize body; the one outside stays a call.
  std::vector<graph::RegionId> pending = {optimize->regions[0]};
  int calls_inside = 0;
  while (!pending.empty()) {
    graph::RegionId r = pending.back();
    pending.pop_back();
    for (graph::OpId id : main.regions[r].ops) {
      calls_inside += main.ops[id].code == graph::OpCode::kCall;
      for (graph::RegionId nested : main.ops[id].regions) pending.push_back(nested);
    }
  }
  EXPECT_EQ(calls_inside, 0);
  EXPECT_NE(FindOp(main, graph::OpCode::kCall), nullptr);
}

TEST(AutodiffTest, OptimizerStateFollowsRealloc) {
  auto d = DifferentiateText(
      "fn main() { learn w = tensor [1]; realloc w = [3]; reset_optimizer();"
      " optimize(w) until 1 { minimize sum(w); } }");
  ASSERT_FALSE(d->diagnostics.has_errors()) << d->errors;
  std::string ir = graph::PrintModule(d->module);
  // The parameter's realloc is followed by reallocs of its two moment slots.
  EXPECT_NE(ir.find("realloc @w.0 "), std::string::npos) << ir;
  EXPECT_NE(ir.find("realloc @w.m."), std::string::npos) << ir;
  EXPECT_NE(ir.find("realloc @w.v."), std::string::npos) << ir;
  EXPECT_NE(ir.find("store @w.t."), std::string::npos) << ir;
}

TEST(AutodiffTest, Errors) {
  EXPECT_NE(DifferentiateText("fn main() {\n  learn w = 1;\n  optimize(w) until 1 { }\n}")
                ->errors.find("a.noma:3:3: error: this optimize loop never calls `minimize`"),
            std::string::npos);
  EXPECT_NE(DifferentiateText("fn main() {\n  learn w = 1;\n  learn v = 1;\n"
                              "  optimize(w, v) until 1 { minimize w * 2; }\n}")
                ->errors.find("error: the minimized loss does not depend on 'v'"),
            std::string::npos);
  EXPECT_NE(DifferentiateText("fn main() {\n  learn w = 1;\n"
                              "  optimize(w) until 1 { minimize floor(w); }\n}")
                ->errors.find("does not depend on 'w'"),
            std::string::npos);
  EXPECT_NE(DifferentiateText("fn main() {\n  learn w = 1;\n  optimize(w) until 1 {\n"
                              "    optimize(w) until 1 { minimize w; }\n  }\n}")
                ->errors.find("cannot contain another optimize loop"),
            std::string::npos);
}

}  // namespace
}  // namespace noma::autodiff
