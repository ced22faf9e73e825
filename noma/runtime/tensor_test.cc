#include "noma/runtime/tensor.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "noma/runtime/rng.h"

namespace noma::runtime {
namespace {

using Values = std::vector<double>;

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::nan("");

Tensor Iota(Shape shape, double start = 0) {
  Tensor t = Tensor::Zeros(std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = start + static_cast<double>(i);
  return t;
}

// Broadcasting reference: index arithmetic straight from the NumPy rules.
Tensor NaiveBroadcastBinary(BinaryKernel op, const Tensor& a, const Tensor& b) {
  Shape out = *BroadcastShapes(a.shape(), b.shape());
  Tensor result = Tensor::Zeros(out);
  size_t rank = out.size();
  for (int64_t flat = 0; flat < result.size(); ++flat) {
    std::vector<int64_t> index(rank);
    int64_t rest = flat;
    for (size_t d = rank; d-- > 0;) {
      index[d] = rest % out[d];
      rest /= out[d];
    }
    auto offset = [&](const Shape& s) {
      int64_t o = 0;
      for (size_t k = 0; k < s.size(); ++k) {
        int64_t i = index[rank - s.size() + k];
        o = o * s[k] + (s[k] == 1 ? 0 : i);
      }
      return o;
    };
    result.data()[flat] = ApplyBinary(op, a.data()[offset(a.shape())], b.data()[offset(b.shape())]);
  }
  return result;
}

TEST(ShapeTest, ToStringAndCount) {
  EXPECT_EQ(ShapeToString({}), "[]");
  EXPECT_EQ(ShapeToString({2, 3}), "[2, 3]");
  EXPECT_EQ(*ElementCount({}), 1);
  EXPECT_EQ(*ElementCount({2, 3, 4}), 24);
  EXPECT_EQ(*ElementCount({5, 0, 7}), 0);
  EXPECT_FALSE(ElementCount({2, -1}).ok());
  EXPECT_FALSE(ElementCount({int64_t{1} << 40, int64_t{1} << 40}).ok());
  EXPECT_EQ(*ElementCount({int64_t{1} << 40, int64_t{1} << 40, 0}), 0);
}

TEST(TensorTest, Construction) {
  Tensor scalar;
  EXPECT_EQ(scalar.rank(), 0);
  EXPECT_EQ(scalar.size(), 1);
  EXPECT_EQ(scalar.scalar(), 0);
  EXPECT_EQ(Tensor::Scalar(2.5).scalar(), 2.5);
  Tensor zeros = Tensor::Zeros({2, 0});
  EXPECT_EQ(zeros.size(), 0);
  EXPECT_EQ(Tensor::Zeros({2, 3}).values(), Values(6, 0.0));
  EXPECT_EQ(Tensor({2}, {1, 2}), Tensor({2}, {1, 2}));
  EXPECT_FALSE(Tensor({2}, {1, 2}) == Tensor({1, 2}, {1, 2}));
}

TEST(ScalarKernelTest, Arithmetic) {
  EXPECT_EQ(ApplyBinary(BinaryKernel::kAdd, 1, 2), 3);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kSub, 1, 2), -1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMul, 3, 2), 6);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kDiv, 1, 4), 0.25);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kDiv, 1, 0), kInf);
  EXPECT_TRUE(std::isnan(ApplyBinary(BinaryKernel::kDiv, 0, 0)));
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMod, 7, 3), 1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMod, -7, 3), -1);  // C fmod: sign of the dividend.
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMod, 7, -3), 1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMod, 5.5, 2), 1.5);
  EXPECT_TRUE(std::isnan(ApplyBinary(BinaryKernel::kMod, 1, 0)));
  EXPECT_EQ(ApplyBinary(BinaryKernel::kPow, 2, 10), 1024);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kPow, 4, 0.5), 2);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kPow, 0, 0), 1);
  EXPECT_TRUE(std::isnan(ApplyBinary(BinaryKernel::kPow, -8, 1.0 / 3)));
}

TEST(ScalarKernelTest, ComparisonsAndLogic) {
  EXPECT_EQ(ApplyBinary(BinaryKernel::kEq, 1, 1), 1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kEq, kNaN, kNaN), 0);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kNe, kNaN, kNaN), 1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kLt, 1, 2), 1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kGt, 1, 2), 0);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kLe, 2, 2), 1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kGe, 1, 2), 0);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kLt, kNaN, 1), 0);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kAnd, 2, -1), 1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kAnd, 2, 0), 0);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kAnd, kNaN, 1), 1);  // NaN is true.
  EXPECT_EQ(ApplyBinary(BinaryKernel::kOr, 0, 0), 0);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kOr, 0, kNaN), 1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kNot, 0), 1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kNot, -0.0), 1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kNot, 3), 0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kNot, kNaN), 0);
}

TEST(ScalarKernelTest, MinMaxPreferFirstOperand) {
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMin, 1, 2), 1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMin, 2, 1), 1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMax, 1, 2), 2);
  // Ties keep the first operand: visible with signed zeros.
  EXPECT_TRUE(std::signbit(ApplyBinary(BinaryKernel::kMin, -0.0, 0.0)));
  EXPECT_FALSE(std::signbit(ApplyBinary(BinaryKernel::kMin, 0.0, -0.0)));
  EXPECT_TRUE(std::signbit(ApplyBinary(BinaryKernel::kMax, -0.0, 0.0)));
  // NaN: the first operand is kept unless the second compares smaller/larger.
  EXPECT_TRUE(std::isnan(ApplyBinary(BinaryKernel::kMin, kNaN, 1)));
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMin, 1, kNaN), 1);
  EXPECT_EQ(ApplyBinary(BinaryKernel::kMax, 1, kNaN), 1);
}

TEST(ScalarKernelTest, Unary) {
  EXPECT_EQ(ApplyUnary(UnaryKernel::kNeg, 2), -2);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, 0), 0.5);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, 800), 1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, -800), 0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, kInf), 1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, -kInf), 0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, 2), 0.8807970779778824);  // Correctly rounded.
  EXPECT_NEAR(ApplyUnary(UnaryKernel::kSigmoid, -30), std::exp(-30.0), 1e-25);
  EXPECT_TRUE(std::isnan(ApplyUnary(UnaryKernel::kSigmoid, kNaN)));
  EXPECT_EQ(ApplyUnary(UnaryKernel::kRelu, -1), 0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kRelu, 0), 0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kRelu, 2.5), 2.5);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kTanh, 0), 0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kExp, 0), 1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kLog, 1), 0);
  EXPECT_TRUE(std::isnan(ApplyUnary(UnaryKernel::kLog, -1)));  // IEEE, not an error.
  EXPECT_EQ(ApplyUnary(UnaryKernel::kLog, 0), -kInf);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSqrt, 9), 3);
  EXPECT_TRUE(std::isnan(ApplyUnary(UnaryKernel::kSqrt, -1)));
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSin, 0), 0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCos, 0), 1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kTan, 0), 0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kAbs, -3), 3);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kFloor, -1.5), -2);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCeil, -1.5), -1);
}

TEST(ScalarKernelTest, Casts) {
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastF32, 0.1), static_cast<double>(0.1f));
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastF32, 1e300), kInf);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastI32, -2.7), -2);
  EXPECT_FALSE(std::signbit(ApplyUnary(UnaryKernel::kCastI32, -0.5)));  // 0, not -0.
  EXPECT_FALSE(std::signbit(ApplyUnary(UnaryKernel::kCastI64, -0.0)));
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastI32, 2.7), 2);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastI32, 1e10), 2147483647.0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastI32, -1e10), -2147483648.0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastI32, kInf), 2147483647.0);
  EXPECT_TRUE(std::isnan(ApplyUnary(UnaryKernel::kCastI32, kNaN)));
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastI64, 1e30), 9223372036854774784.0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastI64, -1e30), -9223372036854775808.0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kCastI64, -3.99), -3);
}

TEST(BroadcastTest, Shapes) {
  EXPECT_EQ(*BroadcastShapes({3, 1}, {1, 4}), (Shape{3, 4}));
  EXPECT_EQ(*BroadcastShapes({2, 3}, {3}), (Shape{2, 3}));
  EXPECT_EQ(*BroadcastShapes({}, {2, 3}), (Shape{2, 3}));
  EXPECT_EQ(*BroadcastShapes({}, {}), (Shape{}));
  EXPECT_EQ(*BroadcastShapes({5, 1, 4}, {3, 1}), (Shape{5, 3, 4}));
  EXPECT_EQ(*BroadcastShapes({0}, {1}), (Shape{0}));
  EXPECT_EQ(*BroadcastShapes({2, 0}, {2, 1}), (Shape{2, 0}));
  EXPECT_EQ(BroadcastShapes({2, 3}, {4}).status().message(),
            "cannot broadcast shapes [2, 3] and [4]");
  EXPECT_EQ(BroadcastShapes({0}, {2}).status().message(), "cannot broadcast shapes [0] and [2]");
}

TEST(BroadcastTest, ColumnPlusRow) {
  Tensor col({3, 1}, {1, 2, 3});
  Tensor row({1, 4}, {10, 20, 30, 40});
  auto sum = Binary(BinaryKernel::kAdd, col, row);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->shape(), (Shape{3, 4}));
  EXPECT_EQ(sum->values(), (Values{11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43}));
}

TEST(BroadcastTest, MatrixAndVector) {
  auto product =
      Binary(BinaryKernel::kMul, Tensor({2, 3}, {1, 2, 3, 4, 5, 6}), Tensor({3}, {1, 10, 100}));
  ASSERT_TRUE(product.ok());
  EXPECT_EQ(product->shape(), (Shape{2, 3}));
  EXPECT_EQ(product->values(), (Values{1, 20, 300, 4, 50, 600}));
  auto reversed =
      Binary(BinaryKernel::kSub, Tensor({3}, {1, 10, 100}), Tensor({2, 3}, {1, 2, 3, 4, 5, 6}));
  ASSERT_TRUE(reversed.ok());
  EXPECT_EQ(reversed->values(), (Values{0, 8, 97, -3, 5, 94}));
}

TEST(BroadcastTest, ScalarAndTensor) {
  auto left = Binary(BinaryKernel::kSub, Tensor::Scalar(1), Tensor({2}, {1, 2}));
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->shape(), (Shape{2}));
  EXPECT_EQ(left->values(), (Values{0, -1}));
  auto right = Binary(BinaryKernel::kDiv, Tensor({2, 2}, {2, 4, 6, 8}), Tensor::Scalar(2));
  ASSERT_TRUE(right.ok());
  EXPECT_EQ(right->values(), (Values{1, 2, 3, 4}));
  auto both = Binary(BinaryKernel::kPow, Tensor::Scalar(2), Tensor::Scalar(3));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->rank(), 0);
  EXPECT_EQ(both->scalar(), 8);
  // A [1]-shaped tensor broadcasts like a scalar but keeps rank 1.
  auto one = Binary(BinaryKernel::kAdd, Tensor({1}, {5}), Tensor({3}, {1, 2, 3}));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->values(), (Values{6, 7, 8}));
}

TEST(BroadcastTest, ComparisonsGiveZeroOneTensors) {
  auto less = Binary(BinaryKernel::kLt, Tensor({4}, {1, 2, 3, kNaN}), Tensor::Scalar(2.5));
  ASSERT_TRUE(less.ok());
  EXPECT_EQ(less->values(), (Values{1, 1, 0, 0}));
}

TEST(BroadcastTest, EdgeShapes) {
  auto empty = Binary(BinaryKernel::kAdd, Tensor({0}, {}), Tensor::Scalar(1));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->shape(), (Shape{0}));
  EXPECT_EQ(empty->size(), 0);
  auto empty2 = Binary(BinaryKernel::kAdd, Tensor::Zeros({2, 0}), Tensor::Zeros({2, 1}));
  ASSERT_TRUE(empty2.ok());
  EXPECT_EQ(empty2->shape(), (Shape{2, 0}));
  auto ones = Binary(BinaryKernel::kAdd, Tensor({1, 1}, {1}), Tensor({1}, {2}));
  ASSERT_TRUE(ones.ok());
  EXPECT_EQ(ones->shape(), (Shape{1, 1}));
  EXPECT_EQ(ones->scalar(), 3);
}

TEST(BroadcastTest, MatchesNaiveReferenceOnManyShapes) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 1}, {1, 4}},
      {{2, 3}, {3}},
      {{4, 1, 3}, {5, 1}},
      {{1}, {7}},
      {{2, 1, 3, 1}, {4, 1, 5}},
      {{6, 1}, {6, 5}},
      {{1, 5}, {6, 5}},
      {{3, 4, 5}, {1}},
      {{2, 3, 4}, {2, 1, 4}},
      {{1, 1, 9}, {8, 1, 1}},
      {{5}, {}},
      {{2, 1, 1}, {1, 3, 1}},
  };
  for (const auto& [sa, sb] : cases) {
    Tensor a = Iota(sa, 1);
    Tensor b = Iota(sb, 100);
    for (BinaryKernel op : {BinaryKernel::kAdd, BinaryKernel::kSub, BinaryKernel::kMax}) {
      auto fast = Binary(op, a, b);
      ASSERT_TRUE(fast.ok()) << ShapeToString(sa) << " " << ShapeToString(sb);
      EXPECT_EQ(*fast, NaiveBroadcastBinary(op, a, b))
          << ShapeToString(sa) << " " << ShapeToString(sb);
      auto swapped = Binary(op, b, a);
      ASSERT_TRUE(swapped.ok());
      EXPECT_EQ(*swapped, NaiveBroadcastBinary(op, b, a));
    }
  }
}

TEST(BroadcastTest, MismatchNamesBothShapes) {
  auto result = Binary(BinaryKernel::kAdd, Tensor::Zeros({2, 3}), Tensor::Zeros({4}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "cannot broadcast shapes [2, 3] and [4]");
  EXPECT_EQ(
      Binary(BinaryKernel::kMul, Tensor::Zeros({3, 2}), Tensor::Zeros({2, 3})).status().message(),
      "cannot broadcast shapes [3, 2] and [2, 3]");
}

TEST(BroadcastTest, BroadcastTo) {
  auto up = BroadcastTo(Tensor({3}, {1, 2, 3}), {2, 3});
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->values(), (Values{1, 2, 3, 1, 2, 3}));
  auto col = BroadcastTo(Tensor({2, 1}, {1, 2}), {2, 3});
  ASSERT_TRUE(col.ok());
  EXPECT_EQ(col->values(), (Values{1, 1, 1, 2, 2, 2}));
  auto scalar = BroadcastTo(Tensor::Scalar(4), {2});
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->values(), (Values{4, 4}));
  EXPECT_EQ(BroadcastTo(Tensor::Zeros({2, 3}), {3}).status().message(),
            "cannot broadcast shape [2, 3] to [3]");
}

TEST(UnaryTest, MapsOverTensors) {
  Tensor t({2, 2}, {-1, 0, 2, -3});
  EXPECT_EQ(Unary(UnaryKernel::kRelu, t).values(), (Values{0, 0, 2, 0}));
  EXPECT_EQ(Unary(UnaryKernel::kAbs, t).values(), (Values{1, 0, 2, 3}));
  EXPECT_EQ(Unary(UnaryKernel::kNeg, t).shape(), (Shape{2, 2}));
  EXPECT_EQ(Unary(UnaryKernel::kExp, Tensor::Scalar(0)).scalar(), 1);
  EXPECT_EQ(Unary(UnaryKernel::kExp, Tensor::Zeros({0})).size(), 0);
}

constexpr int kUnaryKernelCount = static_cast<int>(UnaryKernel::kCastI64) + 1;
constexpr int kBinaryKernelCount = static_cast<int>(BinaryKernel::kOr) + 1;

uint64_t BitsOf(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

double FromBitsOf(uint64_t bits) {
  double x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// The same double, or two NaNs: a NaN computed from two NaN operands takes the payload of one
// of them, and which one depends on the operand order the compiler picks for a commutative
// instruction.
bool SameValue(double a, double b) { return BitsOf(a) == BitsOf(b) || (a != a && b != b); }

// Values where elementwise kernels have edges: zeros, infinities, NaNs, subnormals, the limits
// of the integer casts, exp's overflow and underflow thresholds, tanh's saturation, ...
std::vector<double> SpecialValues() {
  const double kMax = std::numeric_limits<double>::max();
  const double kMin = std::numeric_limits<double>::min();
  const double kTrueMin = std::numeric_limits<double>::denorm_min();
  std::vector<double> values = {0.0,
                                kInf,
                                kNaN,
                                FromBitsOf(0x7ff4000000000001),  // Signaling NaN.
                                kTrueMin,
                                kMin,
                                kMin - kTrueMin,  // Largest subnormal.
                                kMax,
                                1e-300,
                                1e-20,
                                1e-8,
                                0.5,
                                0.5493061443340548,  // atanh(0.5)
                                0.55,
                                1,
                                1.5,
                                2,
                                3,
                                7.5,
                                19.06,
                                20,
                                36,
                                100,
                                709.782712893384,  // Largest x with a finite exp(x).
                                709.7827128933841,
                                710,
                                745.1332191019411,  // -x: smallest with a non-zero exp(x).
                                745.1332191019412,
                                746,
                                2147483647.5,
                                2147483648.0,
                                9223372036854775807.0,
                                1e300};
  size_t positive = values.size();
  for (size_t i = 0; i < positive; ++i) values.push_back(-values[i]);
  return values;
}

// SpecialValues, then `random_count` values: random bit patterns (every exponent, NaN payloads)
// and random values of moderate magnitude.
std::vector<double> KernelInputs(int random_count) {
  std::vector<double> values = SpecialValues();
  Rng rng(7);
  for (int i = 0; i < random_count; ++i) {
    values.push_back(i % 2 == 0 ? FromBitsOf(rng.NextU64()) : rng.Uniform(-40, 40));
  }
  return values;
}

// Reports a mismatch of an array kernel with the scalar one (at most a few per test).
void ExpectSame(double array, double scalar, int op, double a, double b, int* failures) {
  if (SameValue(array, scalar) || ++*failures > 10) return;
  ADD_FAILURE() << "kernel " << op << " on " << std::hexfloat << a << ", " << b << ": array "
                << array << ", scalar " << scalar;
}

TEST(ArrayKernelTest, UnaryMatchesTheScalarKernelForEveryInput) {
  std::vector<double> x = KernelInputs(20000);
  int64_t n = static_cast<int64_t>(x.size());
  std::vector<double> out(x.size());
  int failures = 0;
  for (int k = 0; k < kUnaryKernelCount; ++k) {
    auto op = static_cast<UnaryKernel>(k);
    UnaryArray(op, x.data(), 1, out.data(), n);
    for (int64_t i = 0; i < n; ++i) ExpectSame(out[i], ApplyUnary(op, x[i]), k, x[i], 0, &failures);
    // Other strides: every third element, backwards, and one value repeated.
    UnaryArray(op, x.data() + 1, 3, out.data(), n / 3);
    for (int64_t i = 0; i < n / 3; ++i) {
      ExpectSame(out[i], ApplyUnary(op, x[1 + 3 * i]), k, x[1 + 3 * i], 0, &failures);
    }
    UnaryArray(op, x.data() + n - 1, -1, out.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      ExpectSame(out[i], ApplyUnary(op, x[n - 1 - i]), k, x[n - 1 - i], 0, &failures);
    }
    for (double v : SpecialValues()) {
      UnaryArray(op, &v, 0, out.data(), 37);
      for (int64_t i = 0; i < 37; ++i) ExpectSame(out[i], ApplyUnary(op, v), k, v, 0, &failures);
    }
  }
  // Length 0 reads nothing.
  UnaryArray(UnaryKernel::kExp, nullptr, 0, nullptr, 0);
}

TEST(ArrayKernelTest, BinaryMatchesTheScalarKernelForEveryInput) {
  std::vector<double> special = SpecialValues();
  // All pairs of special values, then random pairs.
  std::vector<double> a, b;
  for (double u : special) {
    for (double v : special) {
      a.push_back(u);
      b.push_back(v);
    }
  }
  std::vector<double> random = KernelInputs(8000);
  for (size_t i = 0; i < random.size(); ++i) {
    a.push_back(random[i]);
    b.push_back(random[(i * 7919) % random.size()]);
  }
  int64_t n = static_cast<int64_t>(a.size());
  std::vector<double> out(a.size());
  std::vector<double> x = KernelInputs(1000);
  int64_t nx = static_cast<int64_t>(x.size());
  int failures = 0;
  for (int k = 0; k < kBinaryKernelCount; ++k) {
    auto op = static_cast<BinaryKernel>(k);
    BinaryArray(op, a.data(), 1, b.data(), 1, out.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      ExpectSame(out[i], ApplyBinary(op, a[i], b[i]), k, a[i], b[i], &failures);
    }
    // One operand broadcast (stride 0) against special and random values, both broadcast,
    // and general strides.
    for (double v : special) {
      BinaryArray(op, x.data(), 1, &v, 0, out.data(), nx);
      for (int64_t i = 0; i < nx; ++i) {
        ExpectSame(out[i], ApplyBinary(op, x[i], v), k, x[i], v, &failures);
      }
      BinaryArray(op, &v, 0, x.data(), 1, out.data(), nx);
      for (int64_t i = 0; i < nx; ++i) {
        ExpectSame(out[i], ApplyBinary(op, v, x[i]), k, v, x[i], &failures);
      }
      BinaryArray(op, &v, 0, &special[3], 0, out.data(), 5);
      for (int64_t i = 0; i < 5; ++i) {
        ExpectSame(out[i], ApplyBinary(op, v, special[3]), k, v, special[3], &failures);
      }
    }
    int64_t m = n / 3;
    BinaryArray(op, a.data(), 3, b.data() + n - 1, -2, out.data(), m);
    for (int64_t i = 0; i < m; ++i) {
      double x = a[3 * i], y = b[n - 1 - 2 * i];
      ExpectSame(out[i], ApplyBinary(op, x, y), k, x, y, &failures);
    }
  }
}

TEST(ArrayKernelTest, BroadcastingMatchesTheScalarKernelForEveryInput) {
  // Short and long runs, either operand broadcast, over special values and random bits.
  const std::vector<std::pair<Shape, Shape>> cases = {{{300, 2}, {2}},
                                                      {{3, 1, 5}, {4, 1}},
                                                      {{70, 1}, {1, 33}},
                                                      {{1, 40}, {60, 1}},
                                                      {{9, 130}, {130}}};
  std::vector<double> values = KernelInputs(2000);
  int failures = 0;
  for (const auto& [sa, sb] : cases) {
    Tensor a = Tensor::Zeros(sa), b = Tensor::Zeros(sb);
    for (int64_t i = 0; i < a.size(); ++i) a.data()[i] = values[i % values.size()];
    for (int64_t i = 0; i < b.size(); ++i) b.data()[i] = values[(i * 31 + 7) % values.size()];
    for (int k = 0; k < kBinaryKernelCount; ++k) {
      auto op = static_cast<BinaryKernel>(k);
      for (bool swap : {false, true}) {
        const Tensor& x = swap ? b : a;
        const Tensor& y = swap ? a : b;
        absl::StatusOr<Tensor> fast = Binary(op, x, y);
        ASSERT_TRUE(fast.ok());
        Tensor naive = NaiveBroadcastBinary(op, x, y);
        ASSERT_EQ(fast->shape(), naive.shape());
        for (int64_t i = 0; i < naive.size(); ++i) {
          ExpectSame(fast->data()[i], naive.data()[i], k, i, swap, &failures);
        }
      }
    }
  }
}

TEST(ArrayKernelTest, WorksInPlace) {
  std::vector<double> x = {1, -2, 3, -4, 5, -6, 7, -8, 9};
  std::vector<double> y = x;
  UnaryArray(UnaryKernel::kNeg, y.data(), 1, y.data(), 9);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(y[i], -x[i]);
  BinaryArray(BinaryKernel::kMul, y.data(), 1, &y[2], 0, y.data(), 9);  // y *= y[2] (read first).
  for (int i = 0; i < 9; ++i) EXPECT_EQ(y[i], x[i] * 3);
}

// Error of `y` in units in the last place at the correctly rounded result of `exact`
// (subnormal spacing below the normal range).
double UlpError(double y, long double exact) {
  double nearest = static_cast<double>(exact);
  if (std::isnan(nearest) || std::isinf(nearest)) return SameValue(y, nearest) ? 0 : 1e9;
  int exponent;
  std::frexp(nearest == 0 ? std::numeric_limits<double>::min() : nearest, &exponent);
  long double ulp = std::ldexp(1.0L, std::max(exponent - 53, -1074));
  return static_cast<double>(std::fabs(static_cast<long double>(y) - exact) / ulp);
}

// Inputs for the accuracy tests: uniform over [lo, hi), and +-2^u for u uniform in
// [-60, log2(hi)) (small magnitudes).
std::vector<double> AccuracyInputs(double lo, double hi, int count) {
  std::vector<double> x = SpecialValues();
  Rng rng(11);
  for (int i = 0; i < count; ++i) {
    x.push_back(i % 4 == 3 ? (i % 8 == 3 ? -1 : 1) * std::exp2(rng.Uniform(-60, std::log2(hi)))
                           : rng.Uniform(lo, hi));
  }
  return x;
}

// Max error over `x` of UnaryArray(op) against `exact` (long double).
template <typename Exact>
double MaxUlpError(UnaryKernel op, const std::vector<double>& x, Exact exact, double* worst) {
  std::vector<double> y(x.size());
  UnaryArray(op, x.data(), 1, y.data(), static_cast<int64_t>(x.size()));
  double max_error = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double error = UlpError(y[i], exact(static_cast<long double>(x[i])));
    if (error > max_error) {
      max_error = error;
      *worst = x[i];
    }
  }
  return max_error;
}

// docs/runtime.md gives the errors measured over 10^7 inputs; these are smaller samples.
TEST(ElementaryFunctionTest, TanhIsWithinOneUlp) {
  double worst = 0;
  for (double range : {0.6, 1.2, 25.0}) {
    std::vector<double> x = AccuracyInputs(-range, range, 100000);
    EXPECT_LE(MaxUlpError(
                  UnaryKernel::kTanh, x, [](long double v) { return tanhl(v); }, &worst),
              1.0)
        << "at " << std::hexfloat << worst;
  }
}

TEST(ElementaryFunctionTest, TanhEdgeCases) {
  for (double x : KernelInputs(20000)) {
    double t = ApplyUnary(UnaryKernel::kTanh, x);
    if (std::isnan(x)) {
      EXPECT_TRUE(std::isnan(t));
      continue;
    }
    EXPECT_EQ(BitsOf(ApplyUnary(UnaryKernel::kTanh, -x)), BitsOf(-t)) << x;  // Exactly odd.
    EXPECT_LE(std::fabs(t), 1) << x;
    if (std::fabs(x) >= 19.1) {
      EXPECT_EQ(t, std::copysign(1.0, x)) << x;  // Saturated.
    }
  }
  EXPECT_EQ(BitsOf(ApplyUnary(UnaryKernel::kTanh, 0.0)), BitsOf(0.0));
  EXPECT_EQ(BitsOf(ApplyUnary(UnaryKernel::kTanh, -0.0)), BitsOf(-0.0));
  EXPECT_EQ(ApplyUnary(UnaryKernel::kTanh, kInf), 1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kTanh, -kInf), -1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kTanh, 1e-300), 1e-300);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kTanh, 5e-324), 5e-324);
}

TEST(ElementaryFunctionTest, ExpIsWithinOneUlp) {
  double worst = 0;
  for (double range : {1.0, 40.0, 800.0}) {
    std::vector<double> x = AccuracyInputs(-range, range, 100000);
    EXPECT_LE(MaxUlpError(
                  UnaryKernel::kExp, x, [](long double v) { return expl(v); }, &worst),
              1.0)
        << "at " << std::hexfloat << worst;
  }
  // Subnormal results (the only ones above 0.6 ulp: rounded twice).
  std::vector<double> x = AccuracyInputs(-745.2, -708, 20000);
  EXPECT_LE(MaxUlpError(
                UnaryKernel::kExp, x, [](long double v) { return expl(v); }, &worst),
            1.0)
      << "at " << std::hexfloat << worst;
}

TEST(ElementaryFunctionTest, ExpEdgeCases) {
  auto exp = [](double x) { return ApplyUnary(UnaryKernel::kExp, x); };
  EXPECT_EQ(exp(0), 1);
  EXPECT_EQ(exp(-0.0), 1);
  EXPECT_EQ(exp(1), 2.718281828459045);
  EXPECT_EQ(exp(kInf), kInf);
  EXPECT_EQ(exp(-kInf), 0);
  EXPECT_TRUE(std::isnan(exp(kNaN)));
  EXPECT_EQ(exp(709.782712893384), 1.7976931348622732e308);
  EXPECT_EQ(exp(709.7827128933841), kInf);
  EXPECT_EQ(exp(1e300), kInf);
  EXPECT_EQ(exp(-745.1332191019411), 5e-324);
  EXPECT_EQ(exp(-745.1332191019412), 0);
  EXPECT_EQ(exp(-1e300), 0);
  EXPECT_EQ(exp(1e-300), 1);
}

TEST(ElementaryFunctionTest, SigmoidIsWithinTwoUlpAndNeverOverflows) {
  double worst = 0;
  std::vector<double> x = AccuracyInputs(-40, 40, 100000);
  auto exact = [](long double v) {
    long double e = expl(-fabsl(v));
    return v >= 0 ? 1 / (1 + e) : e / (1 + e);
  };
  EXPECT_LE(MaxUlpError(UnaryKernel::kSigmoid, x, exact, &worst), 2.0)
      << "at " << std::hexfloat << worst;
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, 710), 1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, -710), 4.47628622567513e-309);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, -746), 0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, 1e300), 1);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, -1e300), 0);
  EXPECT_EQ(ApplyUnary(UnaryKernel::kSigmoid, -0.0), 0.5);
}

TEST(SumToShapeTest, ReversesBroadcast) {
  Tensor grad({2, 3}, {1, 2, 3, 4, 5, 6});
  auto rows = SumToShape(grad, {3});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->shape(), (Shape{3}));
  EXPECT_EQ(rows->values(), (Values{5, 7, 9}));
  auto cols = SumToShape(grad, {2, 1});
  ASSERT_TRUE(cols.ok());
  EXPECT_EQ(cols->values(), (Values{6, 15}));
  auto row1 = SumToShape(grad, {1, 3});
  ASSERT_TRUE(row1.ok());
  EXPECT_EQ(row1->shape(), (Shape{1, 3}));
  EXPECT_EQ(row1->values(), (Values{5, 7, 9}));
  auto all = SumToShape(grad, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->rank(), 0);
  EXPECT_EQ(all->scalar(), 21);
  auto one = SumToShape(grad, {1});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->values(), (Values{21}));
  auto same = SumToShape(grad, {2, 3});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, grad);
  EXPECT_EQ(SumToShape(grad, {2}).status().message(), "cannot reduce shape [2, 3] to [2]");
  EXPECT_FALSE(SumToShape(grad, {4, 3}).ok());
}

// An adjoint that nothing added to is the scalar 0 (found by the random-program generator: an
// unused value computed from a tensor parameter failed the backward pass).
TEST(SumToShapeTest, BroadcastsAScalarAdjoint) {
  auto zeros = SumToShape(Tensor::Scalar(0), {1, 2});
  ASSERT_TRUE(zeros.ok()) << zeros.status();
  EXPECT_EQ(zeros->shape(), (Shape{1, 2}));
  EXPECT_EQ(zeros->values(), (Values{0, 0}));
  auto twos = SumToShape(Tensor::Scalar(2), {3});
  ASSERT_TRUE(twos.ok()) << twos.status();
  EXPECT_EQ(twos->values(), (Values{2, 2, 2}));
  // 0 times a [1]-shaped operand, for a [4] parameter.
  auto spread = SumToShape(Tensor({1}, {0}), {4});
  ASSERT_TRUE(spread.ok()) << spread.status();
  EXPECT_EQ(spread->values(), (Values{0, 0, 0, 0}));
  // Broadcast up along one axis and summed down along the other.
  auto both = SumToShape(Tensor({1, 2}, {1, 2}), {3, 1});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->values(), (Values{3, 3, 3}));
}

TEST(SumToShapeTest, IsTheAdjointOfBroadcasting) {
  // <broadcast(x), y> == <x, sum_to_shape(y)> for random x, y.
  Rng rng(3);
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 1}, {3, 4}}, {{4}, {2, 3, 4}}, {{1, 3, 1}, {2, 3, 5}}, {{}, {2, 2}}};
  for (const auto& [small, big] : cases) {
    Tensor x = rng.UniformTensor(small);
    Tensor y = rng.UniformTensor(big);
    double lhs = SumAll(*Binary(BinaryKernel::kMul, *BroadcastTo(x, big), y)).scalar();
    double rhs = SumAll(*Binary(BinaryKernel::kMul, x, *SumToShape(y, small))).scalar();
    EXPECT_NEAR(lhs, rhs, 1e-12) << ShapeToString(small);
  }
}

TEST(ReductionTest, SumAndMeanAll) {
  Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(SumAll(t).rank(), 0);
  EXPECT_EQ(SumAll(t).scalar(), 21);
  EXPECT_EQ(MeanAll(t).scalar(), 3.5);
  EXPECT_EQ(SumAll(Tensor::Zeros({0})).scalar(), 0);
  EXPECT_TRUE(std::isnan(MeanAll(Tensor::Zeros({0})).scalar()));
  EXPECT_EQ(SumAll(Tensor::Scalar(4)).scalar(), 4);
  EXPECT_TRUE(std::isnan(SumAll(Tensor({2}, {1, kNaN})).scalar()));
  // Sequential order: (1e16 + 1) + 1 loses both ones.
  EXPECT_EQ(SumAll(Tensor({3}, {1e16, 1, 1})).scalar(), 1e16);
}

TEST(ReductionTest, Axes) {
  Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
  auto axis0 = SumAxis(t, 0);
  ASSERT_TRUE(axis0.ok());
  EXPECT_EQ(axis0->shape(), (Shape{3}));
  EXPECT_EQ(axis0->values(), (Values{5, 7, 9}));
  auto axis1 = SumAxis(t, 1);
  ASSERT_TRUE(axis1.ok());
  EXPECT_EQ(axis1->values(), (Values{6, 15}));
  auto mean_last = MeanAxis(t, -1);
  ASSERT_TRUE(mean_last.ok());
  EXPECT_EQ(mean_last->values(), (Values{2, 5}));
  auto mean_first = MeanAxis(t, -2);
  ASSERT_TRUE(mean_first.ok());
  EXPECT_EQ(mean_first->values(), (Values{2.5, 3.5, 4.5}));
  auto vector = SumAxis(Tensor({3}, {1, 2, 3}), 0);
  ASSERT_TRUE(vector.ok());
  EXPECT_EQ(vector->rank(), 0);
  EXPECT_EQ(vector->scalar(), 6);
  Tensor cube = Iota({2, 3, 4});
  auto middle = SumAxis(cube, 1);
  ASSERT_TRUE(middle.ok());
  EXPECT_EQ(middle->shape(), (Shape{2, 4}));
  EXPECT_EQ(middle->values(), (Values{12, 15, 18, 21, 48, 51, 54, 57}));
  auto empty_axis = MeanAxis(Tensor::Zeros({0, 2}), 0);
  ASSERT_TRUE(empty_axis.ok());
  EXPECT_TRUE(std::isnan(empty_axis->values()[0]));
}

TEST(ReductionTest, AxisErrors) {
  Tensor t = Tensor::Zeros({2, 3});
  EXPECT_EQ(SumAxis(t, 2).status().message(), "sum: axis 2 is out of range for a tensor of rank 2");
  EXPECT_EQ(MeanAxis(t, -3).status().message(),
            "mean: axis -3 is out of range for a tensor of rank 2");
  EXPECT_FALSE(SumAxis(Tensor::Scalar(1), 0).ok());
}

Tensor NaiveMatmul(const Tensor& a, const Tensor& b) {
  int64_t n = a.shape()[0], k = a.shape()[1], m = b.shape()[1];
  Tensor c = Tensor::Zeros({n, m});
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      double total = 0;  // docs/numerics.md: one fma per term, in increasing p.
      for (int64_t p = 0; p < k; ++p) {
        total = std::fma(a.data()[i * k + p], b.data()[p * m + j], total);
      }
      c.data()[i * m + j] = total;
    }
  }
  return c;
}

TEST(MatmulTest, Small) {
  Tensor a({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b({3, 2}, {7, 8, 9, 10, 11, 12});
  auto c = Matmul(a, b);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->shape(), (Shape{2, 2}));
  EXPECT_EQ(c->values(), (Values{58, 64, 139, 154}));
}

TEST(MatmulTest, BitIdenticalToTheFmaLoopOnManyShapes) {
  Rng rng(1);
  const std::vector<std::array<int64_t, 3>> shapes = {
      {1, 1, 1},  {1, 5, 1},      {4, 8, 8}, {5, 9, 11}, {70, 130, 9}, {3, 300, 17},
      {8, 1, 16}, {33, 257, 520}, {4, 0, 3}, {0, 3, 4},  {2, 3, 0},    {13, 64, 1}};
  for (const auto& [n, k, m] : shapes) {
    Tensor a = rng.NormalTensor(0, 1, {n, k});
    Tensor b = rng.NormalTensor(0, 1, {k, m});
    auto c = Matmul(a, b);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(*c, NaiveMatmul(a, b)) << n << "x" << k << "x" << m;
  }
}

TEST(MatmulTest, Errors) {
  auto bad = Matmul(Tensor::Zeros({4, 2}), Tensor({3, 1}, {1, 2, 3}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "matmul: inner dimensions differ ([4, 2] @ [3, 1])");
  EXPECT_EQ(Matmul(Tensor::Zeros({3}), Tensor::Zeros({3, 1})).status().message(),
            "matmul: expected rank-2 tensors, got [3] and [3, 1]");
  EXPECT_EQ(Matmul(Tensor::Zeros({2, 2}), Tensor::Scalar(1)).status().message(),
            "matmul: expected rank-2 tensors, got [2, 2] and []");
}

TEST(TransposeTest, Shapes) {
  auto t = Transpose(Tensor({2, 3}, {1, 2, 3, 4, 5, 6}));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape(), (Shape{3, 2}));
  EXPECT_EQ(t->values(), (Values{1, 4, 2, 5, 3, 6}));
  auto vector = Transpose(Tensor({3}, {1, 2, 3}));
  ASSERT_TRUE(vector.ok());
  EXPECT_EQ(*vector, Tensor({3}, {1, 2, 3}));
  Tensor big = Iota({45, 70});
  auto twice = Transpose(*Transpose(big));
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(*twice, big);
  EXPECT_EQ(Transpose(*Transpose(big))->shape(), (Shape{45, 70}));
  EXPECT_EQ(Transpose(big)->values()[1], 70);
  EXPECT_EQ(Transpose(Tensor::Zeros({0, 3}))->shape(), (Shape{3, 0}));
  EXPECT_EQ(Transpose(Tensor::Zeros({2, 2, 2})).status().message(),
            "transpose: expected a rank-2 tensor, got [2, 2, 2]");
}

TEST(TransposeTest, MatchesTheNaiveLoopOnManyShapes) {
  // Full and partial 8 x 8 blocks and 32 x 32 tiles, power-of-two strides, empty and 1-wide.
  for (int64_t n : {0, 1, 3, 8, 9, 31, 32, 33, 64, 100, 256}) {
    for (int64_t m : {0, 1, 7, 8, 16, 40, 65, 128}) {
      Tensor a = Iota({n, m}, 1);
      if (a.size() > 0) a.data()[0] = -0.0;
      auto t = Transpose(a);
      ASSERT_TRUE(t.ok());
      ASSERT_EQ(t->shape(), (Shape{m, n}));
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < m; ++j) {
          ASSERT_EQ(BitsOf(t->data()[j * n + i]), BitsOf(a.data()[i * m + j]))
              << n << "x" << m << " at " << i << ", " << j;
        }
      }
    }
  }
}

TEST(DotTest, RankOne) {
  auto d = Dot(Tensor({3}, {1, 2, 3}), Tensor({3}, {4, 5, 6}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->rank(), 0);
  EXPECT_EQ(d->scalar(), 32);
  EXPECT_EQ(Dot(Tensor::Zeros({0}), Tensor::Zeros({0}))->scalar(), 0);
  EXPECT_EQ(Dot(Tensor::Zeros({3}), Tensor::Zeros({2})).status().message(),
            "dot: expected two rank-1 tensors of the same length, got [3] and [2]");
  EXPECT_FALSE(Dot(Tensor::Zeros({2, 2}), Tensor::Zeros({2, 2})).ok());
}

TEST(IndexTest, RowsAndElements) {
  Tensor m({2, 2}, {1, 2, 3, 4});
  auto row = Index(m, 1.9);  // Truncated toward zero.
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->shape(), (Shape{2}));
  EXPECT_EQ(row->values(), (Values{3, 4}));
  auto element = Index(*row, 0);
  ASSERT_TRUE(element.ok());
  EXPECT_EQ(element->rank(), 0);
  EXPECT_EQ(element->scalar(), 3);
  EXPECT_EQ(Index(m, -0.5)->values(), (Values{1, 2}));  // -0.5 truncates to 0.
  auto slab = Index(Iota({2, 2, 3}), 1);
  ASSERT_TRUE(slab.ok());
  EXPECT_EQ(slab->shape(), (Shape{2, 3}));
  EXPECT_EQ(slab->values(), (Values{6, 7, 8, 9, 10, 11}));
}

TEST(IndexTest, Errors) {
  Tensor m({3}, {1, 2, 3});
  EXPECT_EQ(Index(m, 5).status().message(), "index 5 out of range for dimension of size 3");
  EXPECT_EQ(Index(m, 3).status().message(), "index 3 out of range for dimension of size 3");
  EXPECT_EQ(Index(m, -1).status().message(), "negative index -1");
  EXPECT_EQ(Index(m, -1.5).status().message(), "negative index -1");
  EXPECT_EQ(Index(m, kNaN).status().message(), "index is NaN");
  EXPECT_EQ(Index(m, kInf).status().message(), "index inf out of range for dimension of size 3");
  EXPECT_EQ(Index(m, -kInf).status().message(), "negative index -inf");
  EXPECT_EQ(Index(m, 1e300).status().message(),
            "index 1e+300 out of range for dimension of size 3");
  EXPECT_EQ(Index(Tensor::Zeros({0}), 0).status().message(),
            "index 0 out of range for dimension of size 0");
  EXPECT_EQ(Index(Tensor::Scalar(1), 0).status().message(), "cannot index a scalar");
}

TEST(IndexTest, Adjoint) {
  auto adjoint = IndexAdjoint(Tensor({2}, {5, 6}), {2, 2}, 0);
  ASSERT_TRUE(adjoint.ok());
  EXPECT_EQ(adjoint->values(), (Values{5, 6, 0, 0}));
  auto element = IndexAdjoint(Tensor::Scalar(7), {3}, 2.5);
  ASSERT_TRUE(element.ok());
  EXPECT_EQ(element->values(), (Values{0, 0, 7}));
  auto broadcast = IndexAdjoint(Tensor::Scalar(1), {2, 2}, 1);
  ASSERT_TRUE(broadcast.ok());
  EXPECT_EQ(broadcast->values(), (Values{0, 0, 1, 1}));
  EXPECT_FALSE(IndexAdjoint(Tensor::Scalar(1), {2}, 2).ok());
  EXPECT_FALSE(IndexAdjoint(Tensor::Zeros({3}), {2, 2}, 0).ok());
}

TEST(SliceRowsTest, Chunks) {
  Tensor t = Iota({5, 2});
  auto chunk = SliceRows(t, 3, 5);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(chunk->shape(), (Shape{2, 2}));
  EXPECT_EQ(chunk->values(), (Values{6, 7, 8, 9}));
  EXPECT_EQ(SliceRows(t, 5, 5)->shape(), (Shape{0, 2}));
  EXPECT_EQ(SliceRows(Tensor({3}, {1, 2, 3}), 1, 2)->values(), (Values{2}));
  EXPECT_EQ(SliceRows(t, 4, 6).status().message(), "rows [4, 6) out of range for shape [5, 2]");
  EXPECT_FALSE(SliceRows(t, -1, 2).ok());
  EXPECT_FALSE(SliceRows(t, 3, 2).ok());
}

TEST(FromLiteralTest, ChecksCount) {
  auto t = FromLiteral({2, 2}, {1, 2, 3, 4});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape(), (Shape{2, 2}));
  EXPECT_EQ(FromLiteral({2, 2}, {1, 2, 3}).status().message(),
            "tensor literal of shape [2, 2] has 3 elements");
}

TEST(ReallocTest, GrowKeepsMultiIndex) {
  Tensor m({2, 2}, {1, 2, 3, 4});
  auto wide = Realloc(m, {2, 3}, 1000, [](int64_t) { return -1.0; });
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide->values(), (Values{1, 2, -1, 3, 4, -1}));
  auto grown = Realloc(m, {3, 3}, 1000, [](int64_t i) { return 100.0 + i; });
  ASSERT_TRUE(grown.ok());
  EXPECT_EQ(grown->values(), (Values{1, 2, 102, 3, 4, 105, 106, 107, 108}));
  // 2x2 grown to 2x16 keeps W[i][j] at W[i][j] (docs/language.md §7).
  auto spec = Realloc(m, {2, 16}, 1000, [](int64_t) { return 0.0; });
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->values()[0], 1);
  EXPECT_EQ(spec->values()[1], 2);
  EXPECT_EQ(spec->values()[16], 3);
  EXPECT_EQ(spec->values()[17], 4);
  EXPECT_EQ(SumAll(*spec).scalar(), 10);
}

TEST(ReallocTest, FillRunsInFlatOrderForNewElementsOnly) {
  std::vector<int64_t> calls;
  auto grown = Realloc(Iota({2, 2}, 1), {3, 3}, 1000, [&](int64_t i) {
    calls.push_back(i);
    return 0.0;
  });
  ASSERT_TRUE(grown.ok());
  EXPECT_EQ(calls, (std::vector<int64_t>{2, 5, 6, 7, 8}));
}

TEST(ReallocTest, ShrinkDropsOthers) {
  Tensor m = Iota({3, 3});
  auto shrunk = Realloc(m, {2, 2}, 1000, [](int64_t) { return -1.0; });
  ASSERT_TRUE(shrunk.ok());
  EXPECT_EQ(shrunk->values(), (Values{0, 1, 3, 4}));
  auto mixed = Realloc(m, {1, 4}, 1000, [](int64_t) { return -1.0; });
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->values(), (Values{0, 1, 2, -1}));
  auto empty = Realloc(m, {0, 3}, 1000, [](int64_t) { return -1.0; });
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->shape(), (Shape{0, 3}));
  auto from_empty = Realloc(*empty, {1, 2}, 1000, [](int64_t) { return 7.0; });
  ASSERT_TRUE(from_empty.ok());
  EXPECT_EQ(from_empty->values(), (Values{7, 7}));
}

TEST(ReallocTest, RankChangeIsFlat) {
  Tensor m({2, 2}, {1, 2, 3, 4});
  auto flat = Realloc(m, {5}, 1000, [](int64_t) { return 9.0; });
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->values(), (Values{1, 2, 3, 4, 9}));
  auto cube = Realloc(m, {1, 1, 3}, 1000, [](int64_t) { return 9.0; });
  ASSERT_TRUE(cube.ok());
  EXPECT_EQ(cube->shape(), (Shape{1, 1, 3}));
  EXPECT_EQ(cube->values(), (Values{1, 2, 3}));
  auto from_scalar = Realloc(Tensor::Scalar(5), {3}, 1000, [](int64_t) { return 0.0; });
  ASSERT_TRUE(from_scalar.ok());
  EXPECT_EQ(from_scalar->values(), (Values{5, 0, 0}));
}

TEST(ReallocTest, IdentityAndLimits) {
  Tensor m({2, 2}, {1, 2, 3, 4});
  int calls = 0;
  auto same = Realloc(m, {2, 2}, 1000, [&](int64_t) {
    ++calls;
    return 0.0;
  });
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, m);
  EXPECT_EQ(calls, 0);
  auto big = Realloc(m, {100, 100}, 1000, [](int64_t) { return 0.0; });
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(big.status().message().find("allocation of 10000 elements"), std::string::npos)
      << big.status().message();
  EXPECT_FALSE(Realloc(m, {-1, 2}, 1000, [](int64_t) { return 0.0; }).ok());
}

TEST(AllocationTest, ShapeFromDims) {
  EXPECT_EQ(*ShapeFromDims({2, 3.7}, 100), (Shape{2, 3}));
  EXPECT_EQ(*ShapeFromDims({}, 100), (Shape{}));
  EXPECT_EQ(*ShapeFromDims({0, 5}, 100), (Shape{0, 5}));
  EXPECT_EQ(*ShapeFromDims({-0.5}, 100), (Shape{0}));
  EXPECT_EQ(ShapeFromDims({-1}, 100).status().message(), "negative dimension -1");
  EXPECT_EQ(ShapeFromDims({kNaN}, 100).status().message(), "invalid dimension nan");
  EXPECT_EQ(ShapeFromDims({kInf}, 100).status().message(), "invalid dimension inf");
  EXPECT_EQ(ShapeFromDims({10, 11}, 100).status().message(),
            "allocation of 110 elements (880 bytes) exceeds the limit of 800 bytes "
            "(100 elements)");
  EXPECT_EQ(ShapeFromDims({1e6, 1e6}, kDefaultMaxElements).status().message(),
            "allocation of 1000000000000 elements (7.3 TiB) exceeds the limit of 8 GiB "
            "(1073741824 elements)");
  EXPECT_EQ(ShapeFromDims({0, 1e300}, kDefaultMaxElements).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ShapeFromDims({1e300, 1e300}, kDefaultMaxElements).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(ShapeFromDims({1 << 15, 1 << 15}, kDefaultMaxElements).ok());
  EXPECT_TRUE(CheckAllocation(kDefaultMaxElements, kDefaultMaxElements).ok());
  EXPECT_FALSE(CheckAllocation(kDefaultMaxElements + 1, kDefaultMaxElements).ok());
}

TEST(AllocationTest, KernelResultsRespectTheLimit) {
  EXPECT_EQ(MaxElements(), kDefaultMaxElements);
  SetMaxElements(100);
  EXPECT_EQ(MaxElements(), 100);
  auto outer = Binary(BinaryKernel::kAdd, Tensor::Zeros({20, 1}), Tensor::Zeros({1, 20}));
  EXPECT_EQ(outer.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(outer.status().message(),
            "allocation of 400 elements (3.1 KiB) exceeds the limit of 800 bytes (100 elements)");
  EXPECT_FALSE(Matmul(Tensor::Zeros({20, 1}), Tensor::Zeros({1, 20})).ok());
  EXPECT_FALSE(BroadcastTo(Tensor::Scalar(1), {11, 10}).ok());
  EXPECT_FALSE(IndexAdjoint(Tensor::Scalar(1), {11, 10}, 0).ok());
  EXPECT_TRUE(Binary(BinaryKernel::kAdd, Tensor::Zeros({10, 1}), Tensor::Zeros({1, 10})).ok());
  SetMaxElements(0);  // Ignored.
  EXPECT_EQ(MaxElements(), 100);
  SetMaxElements(kDefaultMaxElements);
  // Huge dims next to a zero dim: an empty result, no overflow.
  auto empty = Binary(BinaryKernel::kAdd, Tensor::Zeros({int64_t{1} << 40, 1, 0}),
                      Tensor::Zeros({1, int64_t{1} << 40, 0}));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->shape(), (Shape{int64_t{1} << 40, int64_t{1} << 40, 0}));
  EXPECT_EQ(empty->size(), 0);
}

}  // namespace
}  // namespace noma::runtime

namespace noma::runtime {
namespace {

// Reading an operand transposed in place gives the bits of transposing it first.
TEST(MatmulTransposedTest, MatchesTransposeThenMatmulBitForBit) {
  Rng rng;
  rng.Seed(7);
  for (auto [n, k, m] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {3, 5, 2}, {17, 13, 29}}) {
    Tensor a = rng.UniformTensor({n, k}), at = rng.UniformTensor({k, n});
    Tensor b = rng.UniformTensor({k, m}), bt = rng.UniformTensor({m, k});
    struct Case {
      const Tensor& x;
      bool tx;
      const Tensor& y;
      bool ty;
    };
    for (const Case& c : {Case{at, true, b, false}, Case{a, false, bt, true},
                          Case{at, true, bt, true}, Case{a, false, b, false}}) {
      Tensor expected;
      ASSERT_TRUE(
          MatmulInto(c.tx ? *Transpose(c.x) : c.x, c.ty ? *Transpose(c.y) : c.y, &expected).ok());
      Tensor actual;
      ASSERT_TRUE(MatmulTransposedInto(c.x, c.tx, c.y, c.ty, &actual).ok());
      ASSERT_EQ(actual.shape(), expected.shape());
      EXPECT_EQ(std::memcmp(actual.data(), expected.data(), sizeof(double) * actual.size()), 0);
    }
  }
}

TEST(MatmulTransposedTest, ReportsTheTransposedShapes) {
  Tensor out;
  absl::Status status = MatmulTransposedInto(Iota({2, 3}), true, Iota({2, 4}), false, &out);
  EXPECT_TRUE(status.ok()) << status;  // [3, 2] @ [2, 4].
  status = MatmulTransposedInto(Iota({2, 3}), true, Iota({3, 4}), false, &out);
  EXPECT_EQ(status.message(), "matmul: inner dimensions differ ([3, 2] @ [3, 4])");
}

}  // namespace
}  // namespace noma::runtime
