// The noma_library //examples:linear_model_cc from C++: training through main(), predictions on
// our own tensors, and run-time errors of the program as statuses.
#include <cmath>
#include <string>

#include "examples/linear_model_cc.h"
#include "gtest/gtest.h"

namespace {

using linear_model::Tensor;

TEST(LinearModel, PredictAppliesGivenParameters) {
  Tensor params{{2, 1}, {3, -1}};          // y = 3x - 1
  Tensor x{{3, 2}, {0, 1, 1, 1, 2.5, 1}};  // rows [x, 1]
  absl::StatusOr<Tensor> y = linear_model::predict(params, x);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->shape, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(y->data, (std::vector<double>{-1, 2, 6.5}));
}

TEST(LinearModel, MainTrainsAndItsParametersPredict) {
  absl::StatusOr<Tensor> params = linear_model::main();
  ASSERT_TRUE(params.ok()) << params.status();
  ASSERT_EQ(params->shape, (std::vector<int64_t>{2, 1}));
  const double slope = params->data[0];
  const double intercept = params->data[1];
  EXPECT_NEAR(slope, 2.0, 0.01);
  EXPECT_NEAR(intercept, 1.0, 0.01);

  Tensor x{{2, 2}, {10, 1, -4, 1}};
  absl::StatusOr<Tensor> y = linear_model::predict(*params, x);
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_EQ(y->shape, (std::vector<int64_t>{2, 1}));
  EXPECT_DOUBLE_EQ(y->data[0], 10 * slope + intercept);
  EXPECT_DOUBLE_EQ(y->data[1], -4 * slope + intercept);
  EXPECT_NEAR(y->data[0], 21.0, 0.1);
}

TEST(LinearModel, RunTimeErrorIsAStatusWithTheDiagnostic) {
  Tensor params{{2, 1}, {2, 1}};
  Tensor bad{{1, 3}, {1, 2, 3}};
  absl::StatusOr<Tensor> y = linear_model::predict(params, bad);
  ASSERT_FALSE(y.ok());
  const std::string message(y.status().message());
  EXPECT_NE(message.find("examples/linear_model.noma:5:"), std::string::npos) << message;
  EXPECT_NE(message.find("matmul"), std::string::npos) << message;
}

TEST(LinearModel, DataThatDoesNotMatchTheShapeIsRejected) {
  Tensor params{{2, 1}, {2}};
  Tensor x{{1, 2}, {1, 1}};
  absl::StatusOr<Tensor> y = linear_model::predict(params, x);
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
