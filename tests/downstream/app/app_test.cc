// //app:model from C++: trained weights close to [3, -2], predictions, and a shape error.
#include <cmath>
#include <cstdio>
#include <string>

#include "app/model.h"

#define EXPECT(condition)                                                          \
  do {                                                                             \
    if (!(condition)) {                                                            \
      std::fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #condition); \
      return 1;                                                                    \
    }                                                                              \
  } while (0)

int main() {
  absl::StatusOr<model::Tensor> w = model::main();
  EXPECT(w.ok());
  EXPECT(w->shape == (std::vector<int64_t>{2, 1}));
  EXPECT(std::fabs(w->data[0] - 3) < 0.01);
  EXPECT(std::fabs(w->data[1] + 2) < 0.01);

  absl::StatusOr<model::Tensor> y =
      model::predict(model::Tensor{{2, 1}, {1, 1}}, model::Tensor{{1, 2}, {4, 5}});
  EXPECT(y.ok());
  EXPECT(y->data == std::vector<double>{9});

  absl::StatusOr<model::Tensor> bad = model::predict(*w, model::Tensor{{1, 3}, {1, 2, 3}});
  EXPECT(!bad.ok());
  EXPECT(std::string(bad.status().message()).find("app/model.noma:") != std::string::npos);
  std::printf("app_test: PASS\n");
  return 0;
}
