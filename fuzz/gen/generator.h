#ifndef FUZZ_GEN_GENERATOR_H_
#define FUZZ_GEN_GENERATOR_H_
// A generator of random, well-formed, terminating NOMA programs (docs/testing.md, "Random
// programs"). The same seed always gives the same program.
#include <cstdint>
#include <string>
#include <vector>

namespace noma::fuzz {

struct GenOptions {
  int max_functions = 3;       // User functions besides main.
  int max_statements = 14;     // Statements of one block (main has more).
  int max_depth = 3;           // Expression nesting.
  bool training = true;        // learn/optimize/batch/realloc/reset_optimizer.
  bool files = true;           // CSV and safetensors round trips (relative paths).
  bool runtime_errors = true;  // Sometimes end with a statement that fails when it runs.
};

// A program for the differential oracle: every executor must print the same bytes.
std::string GenerateProgram(uint64_t seed, const GenOptions& options = {});

// A program for the gradient oracle: `fn loss_fn(p0, ...)` returning a scalar built from
// differentiable operations, plus the parameters' values. GradientProgram() trains them one
// SGD step with lr = 1 and prints them (so the gradient is before - after);
// LossProgram(points) prints loss_fn at each point.
struct GradientCase {
  std::string functions;                     // loss_fn and its helpers.
  std::vector<std::vector<int64_t>> shapes;  // Per parameter ({} for a scalar).
  std::vector<std::vector<double>> values;   // Per parameter, row-major.
  std::string GradientProgram() const;
  std::string LossProgram(const std::vector<std::vector<std::vector<double>>>& points) const;
};
GradientCase GenerateGradientCase(uint64_t seed);

// A NOMA literal for `values` of `shape` (exact: 17 significant digits).
std::string Literal(const std::vector<int64_t>& shape, const std::vector<double>& values);

}  // namespace noma::fuzz

#endif  // FUZZ_GEN_GENERATOR_H_
