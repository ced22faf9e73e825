// Trains the NOMA model of //app:model through its main() and predicts with the result.
#include <cstdio>
#include <string>

#include "app/model.h"

int main() {
  absl::StatusOr<model::Tensor> w = model::main();
  if (!w.ok()) {
    std::fprintf(stderr, "%s\n", std::string(w.status().message()).c_str());
    return 1;
  }
  model::Tensor x{{2, 2}, {10, 1, 0, 5}};
  absl::StatusOr<model::Tensor> y = model::predict(*w, x);
  if (!y.ok()) {
    std::fprintf(stderr, "%s\n", std::string(y.status().message()).c_str());
    return 1;
  }
  std::printf("w = [%.2f, %.2f]\n", w->data[0], w->data[1]);
  std::printf("predict([10, 1]) = %.1f\n", y->data[0]);
  std::printf("predict([0, 5]) = %.1f\n", y->data[1]);
  return 0;
}
