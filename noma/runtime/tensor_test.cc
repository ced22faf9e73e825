#include "noma/runtime/tensor.h"

#include <cmath>

#include "gtest/gtest.h"
#include "noma/runtime/rng.h"

namespace noma::runtime {
namespace {

TEST(TensorTest, BroadcastingFollowsNumpy) {
  Tensor col({3, 1}, {1, 2, 3});
  Tensor row({1, 4}, {10, 20, 30, 40});
  auto sum = Binary(BinaryKernel::kAdd, col, row);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->shape(), (Shape{3, 4}));
  EXPECT_EQ(sum->values()[0], 11);
  EXPECT_EQ(sum->values()[11], 43);
  auto with_vector = Binary(BinaryKernel::kMul, Tensor({2, 3}, {1, 2, 3, 4, 5, 6}),
                            Tensor({3}, {1, 10, 100}));
  ASSERT_TRUE(with_vector.ok());
  EXPECT_EQ(with_vector->values(), (std::vector<double>{1, 20, 300, 4, 50, 600}));
  auto with_scalar = Binary(BinaryKernel::kSub, Tensor::Scalar(1), Tensor({2}, {1, 2}));
  ASSERT_TRUE(with_scalar.ok());
  EXPECT_EQ(with_scalar->values(), (std::vector<double>{0, -1}));
}

TEST(TensorTest, BroadcastMismatchNamesBothShapes) {
  auto result = Binary(BinaryKernel::kAdd, Tensor({2, 3}, std::vector<double>(6)),
                       Tensor({4}, std::vector<double>(4)));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "cannot broadcast shapes [2, 3] and [4]");
}

TEST(TensorTest, SumToShapeReversesBroadcast) {
  Tensor grad({2, 3}, {1, 2, 3, 4, 5, 6});
  auto rows = SumToShape(grad, {3});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->values(), (std::vector<double>{5, 7, 9}));
  auto cols = SumToShape(grad, {2, 1});
  ASSERT_TRUE(cols.ok());
  EXPECT_EQ(cols->values(), (std::vector<double>{6, 15}));
  auto all = SumToShape(grad, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->scalar(), 21);
}

TEST(TensorTest, ScalarSemantics) {
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMod, -7, 3), std::fmod(-7.0, 3.0));
  EXPECT_EQ(ApplyBinary(BinaryKernel::kPow, 2, 10), 1024);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kLt, 1, 2), 1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMin, 1, 1), 1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastI32, -2.7), -2);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastF32, 0.1), static_cast<double>(0.1f));
  EXPECT_NEAR(ApplyUnary(UnaryKernel::kSigmoid, -800), 0, 1e-300);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, 800), 1);
  EXPECT_TRUE(std::isnan(ApplyUnary(UnaryKernel::kLog, -1)));
}

TEST(TensorTest, ReductionsAndAxes) {
  Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(SumAll(t).scalar(), 21);
  EXPECT_EQ(MeanAll(t).scalar(), 3.5);
  auto axis0 = SumAxis(t, 0);
  ASSERT_TRUE(axis0.ok());
  EXPECT_EQ(axis0->values(), (std::vector<double>{5, 7, 9}));
  auto axis1 = MeanAxis(t, -1);
  ASSERT_TRUE(axis1.ok());
  EXPECT_EQ(axis1->values(), (std::vector<double>{2, 5}));
  EXPECT_FALSE(SumAxis(t, 2).ok());
}

TEST(TensorTest, MatmulMatchesNaiveAndReportsShapes) {
  Tensor a({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b({3, 2}, {7, 8, 9, 10, 11, 12});
  auto c = Matmul(a, b);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->values(), (std::vector<double>{58, 64, 139, 154}));
  auto bad = Matmul(Tensor({4, 2}, std::vector<double>(8)), Tensor({3, 1}, {1, 2, 3}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "matmul: inner dimensions differ ([4, 2] @ [3, 1])");
  // A larger product against the definition (exercises the blocking).
  Rng rng(1);
  Tensor x = rng.UniformTensor({70, 130});
  Tensor y = rng.UniformTensor({130, 9});
  auto z = Matmul(x, y);
  ASSERT_TRUE(z.ok());
  for (int i = 0; i < 70; i += 13) {
    for (int j = 0; j < 9; ++j) {
      double expected = 0;
      for (int k = 0; k < 130; ++k) expected += x.values()[i * 130 + k] * y.values()[k * 9 + j];
      EXPECT_NEAR(z->values()[i * 9 + j], expected, 1e-12);
    }
  }
}

TEST(TensorTest, IndexingAndErrors) {
  Tensor m({2, 2}, {1, 2, 3, 4});
  auto row = Index(m, 1.9);  // Truncated toward zero.
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->values(), (std::vector<double>{3, 4}));
  EXPECT_EQ(Index(m, 2).status().message(), "index 2 out of range for dimension of size 2");
  EXPECT_EQ(Index(m, -1).status().message(), "negative index -1");
  auto adjoint = IndexAdjoint(Tensor({2}, {5, 6}), {2, 2}, 0);
  ASSERT_TRUE(adjoint.ok());
  EXPECT_EQ(adjoint->values(), (std::vector<double>{5, 6, 0, 0}));
}

TEST(TensorTest, ReallocKeepsMultiIndexElements) {
  Tensor m({2, 2}, {1, 2, 3, 4});
  auto grown = Realloc(m, {2, 3}, 1000, [](int64_t) { return -1.0; });
  ASSERT_TRUE(grown.ok());
  EXPECT_EQ(grown->values(), (std::vector<double>{1, 2, -1, 3, 4, -1}));
  auto shrunk = Realloc(m, {1, 2}, 1000, [](int64_t) { return 0.0; });
  ASSERT_TRUE(shrunk.ok());
  EXPECT_EQ(shrunk->values(), (std::vector<double>{1, 2}));
  auto flat = Realloc(m, {5}, 1000, [](int64_t) { return 9.0; });
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->values(), (std::vector<double>{1, 2, 3, 4, 9}));
  EXPECT_FALSE(Realloc(m, {100, 100}, 1000, [](int64_t) { return 0.0; }).ok());
}

TEST(TensorTest, ShapeFromDimsValidates) {
  EXPECT_EQ(*ShapeFromDims({2, 3.7}, 100), (Shape{2, 3}));
  EXPECT_FALSE(ShapeFromDims({-1}, 100).ok());
  EXPECT_FALSE(ShapeFromDims({std::nan("")}, 100).ok());
  EXPECT_FALSE(ShapeFromDims({1e6, 1e6}, kDefaultMaxElements).ok());
}

TEST(RngTest, DeterministicAndInRange) {
  Rng a(0), b(0), c(1);
  double first = a.Uniform();
  EXPECT_EQ(first, b.Uniform());
  EXPECT_NE(first, c.Uniform());
  for (int i = 0; i < 1000; ++i) {
    double u = a.Uniform();
    EXPECT_GE(u, 0);
    EXPECT_LT(u, 1);
  }
  Tensor xavier = a.Xavier(2, 2, {100});
  for (double x : xavier.values()) EXPECT_LE(std::fabs(x), std::sqrt(6.0 / 4));
  a.Seed(0);
  EXPECT_EQ(a.Uniform(), first);
}

}  // namespace
}  // namespace noma::runtime
