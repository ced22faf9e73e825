// Optimizer updates against values computed here by hand (the formulas of docs/language.md §6.2,
// evaluated in the same order), and growth: realloc keeps values, moments and the Adam step
// counter of kept elements, starts new elements' moments at zero; reset_optimizer clears all.

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "noma/driver/driver.h"

namespace noma {
namespace {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

RunResult RunSource(const std::string& source) {
  RunResult result;
  driver::Compilation compilation;
  std::ostringstream out, err;
  if (!driver::CompileSource("train.noma", source, driver::Stage::kDifferentiate, compilation)) {
    driver::PrintDiagnostics(compilation, err);
    result.exit_code = 1;
    result.err = err.str();
    return result;
  }
  interp::Options options;
  options.out = &out;
  options.err = &err;
  options.sources = &compilation.sources;
  result.exit_code = driver::Interpret(compilation, options);
  result.out = out.str();
  result.err = err.str();
  return result;
}

std::vector<double> Numbers(const std::string& out) {
  std::vector<double> values;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    double v;
    EXPECT_TRUE(absl::SimpleAtod(line, &v)) << line;
    values.push_back(v);
  }
  return values;
}

// Reference optimizers, written like the generated update IR.
struct Adam {
  double lr, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  double m = 0, v = 0, t = 0;
  double Step(double p, double g) {
    t = t + 1;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * (g * g);
    double m_hat = m / (1 - std::pow(b1, t));
    double v_hat = v / (1 - std::pow(b2, t));
    return p - (lr * m_hat) / (std::sqrt(v_hat) + eps);
  }
};

TEST(TrainingTest, SgdStepMatchesHandComputation) {
  // loss = (2w - 3)^2, dloss/dw = 4 (2w - 3).
  RunResult r = RunSource(
      "fn main() {\n  learn w = 1;\n"
      "  optimize(w) with sgd(lr: 0.1, max_iterations: 2) until 0 {\n"
      "    let loss = (2 * w - 3) ^ 2;\n    minimize loss;\n  }\n  print(w);\n}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  double w = 1;
  for (int i = 0; i < 2; ++i) w = w - 0.1 * (2 * std::pow(2 * w - 3, 2 - 1) * 2);
  std::vector<double> out = Numbers(r.out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0], w);
  EXPECT_NE(r.err.find("warning: optimize at train.noma:3 reached max_iterations (2) with cond "
                       "false"),
            std::string::npos)
      << r.err;
}

TEST(TrainingTest, AdamStepsMatchHandComputation) {
  RunResult r = RunSource(
      "fn main() {\n  learn w = 0.5;\n"
      "  optimize(w) with adam(lr: 0.01, max_iterations: 3) until 0 {\n"
      "    minimize w * w * 3;\n  }\n  print(w);\n}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Adam adam{0.01};
  double w = 0.5;
  for (int i = 0; i < 3; ++i) w = adam.Step(w, 6 * w);
  std::vector<double> out = Numbers(r.out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0], w);
}

TEST(TrainingTest, RmspropStepsMatchHandComputation) {
  RunResult r = RunSource(
      "fn main() {\n  learn w = 2;\n  let optimizer = 3;\n  let learning_rate = 0.05;\n"
      "  let max_iterations = 4;\n"
      "  optimize(w) until 0 {\n    minimize (w - 1) ^ 2;\n  }\n  print(w);\n}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  double w = 2, v = 0, b2 = 0.9;
  for (int i = 0; i < 4; ++i) {
    double g = 2 * std::pow(w - 1, 2 - 1) * 1;
    v = b2 * v + (1 - b2) * (g * g);
    w = w - (0.05 * g) / (std::sqrt(v) + 1e-8);
  }
  std::vector<double> out = Numbers(r.out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0], w);
}

TEST(TrainingTest, UntilIsCheckedAfterForwardBeforeStep) {
  // The condition holds on the first forward pass: no step is taken.
  RunResult r = RunSource(
      "fn main() {\n  learn w = 3;\n  optimize(w) until loss < 100 {\n"
      "    let loss = w * w;\n    minimize loss;\n  }\n  print(w);\n  print(loss);\n}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "3\n9\n");
  EXPECT_EQ(r.err, "");
}

TEST(TrainingTest, GrowthKeepsValuesMomentsAndStepCounter) {
  // Constant gradients c make the Adam state predictable.
  const char* kProgram =
      "fn main() {\n  learn w = tensor [[1, 2]];\n"
      "  optimize(w) with adam(lr: 0.1, max_iterations: 3) until 0 {\n"
      "    minimize sum(w * tensor [[1, -2]]);\n  }\n"
      "  print(w[0][0]);\n  print(w[0][1]);\n"
      "  realloc w = [1, 4];\n"
      "  print(w[0][0]);\n  print(w[0][1]);\n  print(w[0][2]);\n  print(w[0][3]);\n"
      "  %RESET%"
      "  optimize(w) with adam(lr: 0.1, max_iterations: 1) until 0 {\n"
      "    minimize sum(w * tensor [[1, -2, 3, 4]]);\n  }\n"
      "  print(w[0][0]);\n  print(w[0][1]);\n  print(w[0][2]);\n  print(w[0][3]);\n}\n";
  for (bool reset : {false, true}) {
    std::string program = kProgram;
    program.replace(program.find("%RESET%"), 7, reset ? "reset_optimizer();\n" : "");
    RunResult r = RunSource(program);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<double> out = Numbers(r.out);
    ASSERT_EQ(out.size(), 10u) << r.out;
    std::vector<Adam> kept = {Adam{0.1}, Adam{0.1}};
    double w0 = 1, w1 = 2;
    for (int i = 0; i < 3; ++i) {
      w0 = kept[0].Step(w0, 1);
      w1 = kept[1].Step(w1, -2);
    }
    EXPECT_DOUBLE_EQ(out[0], w0);
    EXPECT_DOUBLE_EQ(out[1], w1);
    // Kept elements keep their values; new ones are N(0, 0.1) draws (small, non-zero).
    EXPECT_EQ(out[2], out[0]);
    EXPECT_EQ(out[3], out[1]);
    EXPECT_NE(out[4], 0);
    EXPECT_LT(std::fabs(out[4]), 1);
    // Next step: kept elements continue from their moments and step counter (t = 4); new
    // elements start with zero moments but share the parameter's step counter. After
    // reset_optimizer() everything starts from scratch.
    Adam fresh0{0.1}, fresh1{0.1};
    Adam new2{0.1}, new3{0.1};
    if (!reset) new2.t = new3.t = 3;
    Adam& a0 = reset ? fresh0 : kept[0];
    Adam& a1 = reset ? fresh1 : kept[1];
    EXPECT_DOUBLE_EQ(out[6], a0.Step(out[2], 1)) << "reset=" << reset;
    EXPECT_DOUBLE_EQ(out[7], a1.Step(out[3], -2)) << "reset=" << reset;
    EXPECT_DOUBLE_EQ(out[8], new2.Step(out[4], 3)) << "reset=" << reset;
    EXPECT_DOUBLE_EQ(out[9], new3.Step(out[5], 4)) << "reset=" << reset;
  }
}

TEST(TrainingTest, GrowthInsideTheLoopDecidedAtRunTime) {
  RunResult r = RunSource(
      "fn main() {\n  learn w = tensor [[0.5, 0.5]];\n  let grown = 0;\n"
      "  optimize(w) with adam(lr: 0.05, max_iterations: 500) until loss < 0.001 {\n"
      "    let loss = (sum(w) - 3) ^ 2;\n    minimize loss;\n"
      "    if loss < 1 && grown == 0 { realloc w = [1, 4]; grown = 1; }\n  }\n"
      "  print(len(transpose(w)));\n  print(loss < 0.001);\n}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "4\n1\n");
}

TEST(TrainingTest, OnlyParametersTheLossDependsOnAreTrained) {
  RunResult r = RunSource(
      "fn main() {\n  learn a = 1;\n  learn b = 5;\n  let frozen = 2;\n"
      "  optimize(a) with sgd(lr: 0.1, max_iterations: 1) until 0 {\n"
      "    minimize (a * frozen) ^ 2;\n  }\n  print(b);\n  print(frozen);\n}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "5\n2\n");
  RunResult unrelated = RunSource(
      "fn main() {\n  learn a = 1;\n  learn b = 5;\n"
      "  optimize(a, b) until 1 {\n    minimize a * a;\n  }\n}\n");
  EXPECT_EQ(unrelated.exit_code, 1);
  EXPECT_NE(unrelated.err.find("the minimized loss does not depend on 'b'"), std::string::npos)
      << unrelated.err;
}

TEST(TrainingTest, MiniBatchStepsOncePerChunk) {
  // 5 rows in chunks of 2 -> 3 steps per epoch; 2 epochs -> 6 SGD steps on w with gradient 1.
  RunResult r = RunSource(
      "fn main() {\n  let data = tensor [[1], [2], [3], [4], [5]];\n  learn w = 0;\n"
      "  let chunks = 0;\n"
      "  optimize(w) with sgd(lr: 1, max_iterations: 2) until 0 {\n"
      "    batch xb, i in data with 2 {\n      chunks = chunks + 1;\n"
      "      minimize w + sum(xb) * 0;\n    }\n  }\n  print(w);\n  print(chunks);\n}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "-6\n6\n");
}

TEST(TrainingTest, MissingMinimizeIsAnError) {
  RunResult r = RunSource("fn main() {\n  learn w = 1;\n  optimize(w) until 1 { let x = w; }\n}\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("train.noma:3:3: error: this optimize loop never calls `minimize`"),
            std::string::npos)
      << r.err;
}

TEST(TrainingTest, MinimizeMustRunExactlyOncePerIteration) {
  RunResult r = RunSource(
      "fn main() {\n  learn w = 1;\n  optimize(w) until 0 {\n"
      "    if w > 100 { minimize w; }\n  }\n}\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("exactly one `minimize`"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace noma
