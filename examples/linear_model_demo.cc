// Calls a NOMA program from C++: examples/linear_model.noma, compiled ahead of time by the
// noma_library //examples:linear_model_cc. Trains the model through the program's main (which
// returns the fitted parameters), predicts on new inputs, and shows how a run-time error of the
// program comes back as a status.
//
//   bazel run //examples:linear_model_demo
#include <cstdio>
#include <string>

#include "examples/linear_model_cc.h"

int main() {
  // Runs `fn main()`: the training loop, its prints, and the returned [[slope], [intercept]].
  absl::StatusOr<linear_model::Tensor> params = linear_model::main();
  if (!params.ok()) {
    std::fprintf(stderr, "training failed:\n%s\n", std::string(params.status().message()).c_str());
    return 1;
  }
  std::printf("C++ got params of shape [%lld, %lld]\n", static_cast<long long>(params->shape[0]),
              static_cast<long long>(params->shape[1]));

  // Our own inputs: three rows [x, 1].
  linear_model::Tensor x{{3, 2}, {10, 1, 20, 1, -1, 1}};
  absl::StatusOr<linear_model::Tensor> y = linear_model::predict(*params, x);
  if (!y.ok()) {
    std::fprintf(stderr, "predict failed:\n%s\n", std::string(y.status().message()).c_str());
    return 1;
  }
  for (int i = 0; i < 3; ++i) {
    std::printf("predict(%g) = %.1f\n", x.data[2 * i], y->data[i]);
  }

  // Inputs of the wrong shape: matmul fails inside the program; the status carries the
  // diagnostic (file:line:col, the source line and a caret).
  linear_model::Tensor bad{{1, 3}, {1, 2, 3}};
  absl::StatusOr<linear_model::Tensor> error = linear_model::predict(*params, bad);
  if (error.ok()) {
    std::fprintf(stderr, "predict on a [1, 3] input unexpectedly succeeded\n");
    return 1;
  }
  std::string message(error.status().message());
  std::printf("predict on a [1, 3] input: %s\n", message.substr(0, message.find('\n')).c_str());
  return 0;
}
