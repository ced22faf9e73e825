// Gradient checks: for every differentiable op and builtin (alone, with broadcasting, under
// control flow and through inlined functions), the gradient produced by the compiler's
// backward IR must match central finite differences of the same loss to 1e-6 relative error.
//
// The compiler's gradient is read back through one SGD step with lr = 1 on a parameter whose
// values are chosen here: w_new = w - g, so g = w - w_new. The finite differences evaluate
// the loss expression directly (no training) at w ± h e_i.

#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "noma/driver/driver.h"

namespace noma {
namespace {

// Runs `source` and returns stdout; fails the test on any error.
std::string RunProgram(const std::string& source) {
  driver::Compilation compilation;
  bool ok = driver::CompileSource("grad.noma", source, driver::Stage::kDifferentiate, compilation);
  std::ostringstream err;
  driver::PrintDiagnostics(compilation, err);
  EXPECT_TRUE(ok) << err.str() << "\n" << source;
  if (!ok) return "";
  std::ostringstream out;
  interp::Options options;
  options.out = &out;
  options.err = &err;
  options.sources = &compilation.sources;
  int code = driver::Interpret(compilation, options);
  EXPECT_EQ(code, 0) << err.str() << "\n" << source;
  return out.str();
}

// Parses printed numbers (scalars or flattened tensors) from the program's output.
std::vector<double> ParseNumbers(const std::string& text) {
  std::vector<double> numbers;
  std::string cleaned;
  for (char c : text) cleaned += (c == '[' || c == ']' || c == ',' || c == '\n') ? ' ' : c;
  for (absl::string_view token : absl::StrSplit(cleaned, ' ', absl::SkipEmpty())) {
    double value;
    EXPECT_TRUE(absl::SimpleAtod(token, &value)) << "not a number: " << token;
    numbers.push_back(value);
  }
  return numbers;
}

std::string Literal(const std::vector<double>& values, const std::vector<int>& shape) {
  auto number = [](double v) {  // Exact: %.17g round-trips.
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.17g", v);
    return std::string(buffer);
  };
  if (shape.size() == 1) {
    std::vector<std::string> parts;
    for (double v : values) parts.push_back(number(v));
    return absl::StrCat("tensor [", absl::StrJoin(parts, ", "), "]");
  }
  std::vector<std::string> rows;
  for (int r = 0; r < shape[0]; ++r) {
    std::vector<std::string> parts;
    for (int c = 0; c < shape[1]; ++c) parts.push_back(number(values[r * shape[1] + c]));
    rows.push_back(absl::StrCat("[", absl::StrJoin(parts, ", "), "]"));
  }
  return absl::StrCat("tensor [", absl::StrJoin(rows, ", "), "]");
}

struct Case {
  const char* name;
  const char* loss;  // Expression or statements ending in `let loss = ...;` using w.
  std::vector<int> shape;
  std::vector<double> w;
  const char* helpers = "";  // Extra functions.
  bool randomize = true;     // Also check at random points (off where kinks are dense).
};

// The loss body: either an expression, or statements that bind `loss`.
std::string LossStatements(const Case& c) {
  std::string body = c.loss;
  if (body.find("let loss") == std::string::npos) body = absl::StrCat("let loss = ", body, ";");
  return body;
}

std::vector<double> CompilerGradient(const Case& c) {
  std::string program =
      absl::StrCat(c.helpers, "\nfn main() {\n  learn w = ", Literal(c.w, c.shape), ";\n",
                   "  optimize(w) with sgd(lr: 1, max_iterations: 1) until 0 {\n    ",
                   LossStatements(c), "\n    minimize loss;\n  }\n  print(w);\n}\n");
  // The capped loop warns on stderr; that is expected here.
  driver::Compilation compilation;
  EXPECT_TRUE(
      driver::CompileSource("grad.noma", program, driver::Stage::kDifferentiate, compilation))
      << program;
  std::ostringstream out, err;
  interp::Options options;
  options.out = &out;
  options.err = &err;
  options.sources = &compilation.sources;
  EXPECT_EQ(driver::Interpret(compilation, options), 0) << err.str() << program;
  // The final print(w) is the last c.w.size() numbers (the body may print too).
  std::vector<double> printed = ParseNumbers(out.str());
  std::vector<double> gradient;
  if (printed.size() < c.w.size()) return gradient;
  size_t first = printed.size() - c.w.size();
  for (size_t i = 0; i < c.w.size(); ++i) gradient.push_back(c.w[i] - printed[first + i]);
  return gradient;
}

double LossAt(const Case& c, const std::vector<double>& w) {
  std::string program = absl::StrCat(c.helpers, "\nfn main() {\n  let w = ", Literal(w, c.shape),
                                     ";\n  ", LossStatements(c), "\n  print(loss);\n}\n");
  std::vector<double> out = ParseNumbers(RunProgram(program));
  EXPECT_FALSE(out.empty()) << program;
  return out.empty() ? NAN : out.back();  // The loss is printed last.
}

class GradientCheck : public ::testing::TestWithParam<Case> {};

void CheckAt(const Case& c);

// Random points with the sign of the given ones (so log/sqrt stay in their domain), away from
// the kinks of relu/abs/min/max (0, 0.1 and 0.4) and inside tan's smooth range.
std::vector<double> RandomPoint(const std::vector<double>& like, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> magnitude(0.15, 1.2);
  std::vector<double> w;
  for (double x : like) {
    double v;
    do {
      v = magnitude(rng) * (x < 0 ? -1 : 1);
    } while (std::fabs(v - 0.4) < 0.05);
    w.push_back(v);
  }
  return w;
}

TEST_P(GradientCheck, MatchesCentralFiniteDifferences) {
  Case c = GetParam();
  CheckAt(c);
  if (!c.randomize) return;
  std::mt19937_64 rng(std::hash<std::string>()(c.name));
  for (int trial = 0; trial < 2; ++trial) {
    c.w = RandomPoint(GetParam().w, rng);
    CheckAt(c);
  }
}

void CheckAt(const Case& c) {
  SCOPED_TRACE(::testing::Message() << c.name << " at " << Literal(c.w, c.shape));
  std::vector<double> analytic = CompilerGradient(c);
  ASSERT_EQ(analytic.size(), c.w.size());
  for (size_t i = 0; i < c.w.size(); ++i) {
    double h = 1e-6 * std::max(1.0, std::fabs(c.w[i]));
    std::vector<double> plus = c.w, minus = c.w;
    plus[i] += h;
    minus[i] -= h;
    double numeric = (LossAt(c, plus) - LossAt(c, minus)) / (2 * h);
    double scale = std::max({std::fabs(numeric), std::fabs(analytic[i]), 1e-3});
    EXPECT_LT(std::fabs(numeric - analytic[i]) / scale, 1e-6)
        << c.name << " element " << i << ": compiler " << analytic[i] << " vs numeric " << numeric;
  }
}

const std::vector<double> kMatrix = {0.3, -0.7, 1.1, 0.45, -0.2, 0.9};  // 2x3
const std::vector<double> kPositive = {0.3, 0.7, 1.1, 0.45, 0.2, 0.9};

INSTANTIATE_TEST_SUITE_P(
    Ops, GradientCheck,
    ::testing::Values(
        Case{"add_sub", "sum(w + w * 2 - 0.5)", {2, 3}, kMatrix},
        Case{"mul", "sum(w * w * w)", {2, 3}, kMatrix},
        Case{"div", "sum(1 / (w + 3) + w / 4)", {2, 3}, kMatrix},
        Case{"mod", "sum((w * 5) % 2 + 7 % (w + 3))", {2, 3}, kMatrix, "", false},
        Case{"pow_op", "sum(w ^ 2 + 2 ^ w + (w + 2) ** 1.5)", {2, 3}, kMatrix},
        Case{"pow_builtin", "sum(pow(w + 2, 3) + pow(2, w))", {2, 3}, kMatrix},
        Case{"exponent_of_param", "sum(pow(w + 2, w))", {2, 3}, kMatrix},
        Case{"neg", "sum(-w * w)", {2, 3}, kMatrix},
        Case{"sigmoid", "sum(sigmoid(w * 2))", {2, 3}, kMatrix},
        Case{"tanh", "sum(tanh(w))", {2, 3}, kMatrix},
        Case{"relu", "sum(relu(w) * w)", {2, 3}, kMatrix},
        Case{"exp", "sum(exp(w))", {2, 3}, kMatrix}, Case{"log", "sum(log(w))", {2, 3}, kPositive},
        Case{"sqrt", "sum(sqrt(w))", {2, 3}, kPositive},
        Case{"sin_cos_tan", "sum(sin(w) + cos(w) * tan(w))", {2, 3}, kMatrix},
        Case{"abs", "sum(abs(w) * w)", {2, 3}, kMatrix},
        Case{"min_max", "sum(min(w, 0.4) + max(w, 0.1) + min(w * 2, w))", {2, 3}, kMatrix},
        Case{"mean", "mean(w * w)", {2, 3}, kMatrix},
        Case{"sum_axis", "sum(sum(w, 0) ^ 2) + sum(mean(w, 1) ^ 3)", {2, 3}, kMatrix},
        Case{"matmul_left", "sum(matmul(w, tensor [[1, 2], [3, 4], [5, 6]]) ^ 2)", {2, 3}, kMatrix},
        Case{
            "matmul_right", "sum(matmul(tensor [[1, 2], [3, 4], [5, 6]], w) ^ 2)", {2, 3}, kMatrix},
        Case{"matmul_both", "sum(matmul(w, transpose(w)) * 0.5)", {2, 3}, kMatrix},
        Case{"transpose", "sum(transpose(w) * tensor [[1, 2], [3, 4], [5, 6]])", {2, 3}, kMatrix},
        Case{"dot", "dot(w, w * 3) + dot(w, tensor [1, 2, 3])", {3}, {0.5, -1.5, 2.0}},
        Case{"index", "w[1][2] * w[0][1] + sum(w[0] * 2)", {2, 3}, kMatrix},
        Case{"tensor_literal",
             "sum(tensor [[w[0][0], 2], [w[1][1] * 3, w[0][2]]] ^ 2)",
             {2, 3},
             kMatrix},
        Case{"broadcast_row", "sum((w + tensor [1, 2, 3]) ^ 2)", {2, 3}, kMatrix},
        Case{"broadcast_param_row",
             "sum((tensor [[1, 2, 3], [4, 5, 6]] * w) ^ 2)",
             {1, 3},
             {0.5, -0.25, 1.5}},
        Case{"broadcast_param_col",
             "sum((tensor [[1, 2, 3], [4, 5, 6]] - w) ^ 2)",
             {2, 1},
             {0.5, -0.25}},
        Case{"scalar_mix", "sum(w * 2) * sum(w) + 3", {2, 3}, kMatrix},
        Case{"if_branch",
             "let loss = 0; if sum(w) > 0 { loss = sum(w * w); } else { loss = sum(exp(w)); }",
             {2, 3},
             kMatrix},
        Case{"if_else_taken",
             "let loss = 0; if sum(w) > 100 { loss = sum(w * w); } else { loss = sum(exp(w)); }",
             {2, 3},
             kMatrix},
        Case{"while_loop",
             "let loss = 0; let i = 0; let acc = w; while i < 3 { acc = acc * w + 1; i = i + 1; "
             "loss = loss + sum(acc); }",
             {2, 3},
             kMatrix},
        Case{"nested_loop_if",
             "let loss = 0; let i = 0; while i < 4 { if i % 2 == 0 { loss = loss + "
             "sum(sin(w * i)); } else { loss = loss + sum(w * w * i); } i = i + 1; }",
             {2, 3},
             kMatrix},
        Case{"inlined_function",
             "let loss = f(w) + g(w, 2);",
             {2, 3},
             kMatrix,
             "fn f(x) { return sum(sigmoid(x)); }\n"
             "fn g(x, k) { if k > 1 { return sum(x * x * k); } return 0; }"},
        Case{"inlined_early_return_in_loop",
             "let loss = h(w);",
             {2, 3},
             kMatrix,
             "fn h(x) { let i = 0; let acc = 0; while 1 { acc = acc + sum(x * i); "
             "if i >= 2 { return acc * acc; } i = i + 1; } return 0; }"},
        Case{"print_is_identity", "let loss = sum(print(w) * w);", {2, 3}, kMatrix},
        Case{"mlp",
             "let h = tanh(matmul(tensor [[1, 2], [0.5, -1]], w) + 0.1); "
             "let loss = mean((sigmoid(matmul(h, tensor [[1], [2], [-1]])) - 0.3) ^ 2);",
             {2, 3},
             kMatrix}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace noma
