// `noma run --dump-ir=grad`: the generated backward IR is real IR — it verifies, it reverses
// control flow (a replayed while loop and if), and it records only what it needs on tapes.
#include <string>

#include "gtest/gtest.h"
#include "noma/driver/driver.h"
#include "noma/graph/printer.h"
#include "noma/graph/verifier.h"

namespace noma {
namespace {

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(DumpIrTest, BackwardIrForLoopsAndBranches) {
  driver::Compilation c;
  ASSERT_TRUE(driver::CompileSource("d.noma", R"(
fn main() {
    learn w = 0.5;
    optimize(w) with adam(lr: 0.1) until loss < 0.01 {
        let loss = 0;
        let i = 0;
        while i < 3 {
            if i > 0 { loss = loss + sin(w * i); } else { loss = loss + w * w; }
            i = i + 1;
        }
        minimize loss;
    }
}
)",
                                    driver::Stage::kDifferentiate, c))
      << c.diagnostics.Render(c.sources);
  ASSERT_TRUE(graph::Verify(c.module).ok());
  std::string ir = graph::PrintModule(c.module);
  // Forward: the trip count and the values sin' and the products need inside the loop.
  EXPECT_GE(Count(ir, "tape_push"), 2) << ir;
  EXPECT_EQ(Count(ir, "tape_push"), Count(ir, "tape_pop")) << ir;
  // Backward: the loop is replayed (two whiles) and the branch too (two ifs), plus the
  // optimizer selection (two more ifs).
  EXPECT_EQ(Count(ir, "while {"), 2) << ir;
  EXPECT_GE(Count(ir, "if %"), 4) << ir;
  EXPECT_NE(ir.find("builtin.cos"), std::string::npos) << ir;   // d sin = cos.
  EXPECT_NE(ir.find("builtin.sqrt"), std::string::npos) << ir;  // Adam/RMSprop update.
  // The lowered IR has none of it.
  driver::Compilation lowered;
  ASSERT_TRUE(driver::CompileSource("d.noma",
                                    "fn main() { learn w = 1; optimize(w) until 1 {"
                                    " minimize w * w; } }",
                                    driver::Stage::kLower, lowered));
  EXPECT_EQ(graph::PrintModule(lowered.module).find("tape_"), std::string::npos);
}

}  // namespace
}  // namespace noma
