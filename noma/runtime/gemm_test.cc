// The numerics contract of matrix and dot products (docs/numerics.md): every kernel family this
// machine runs, every thread count and every operand layout gives the bits of the plain
// fma chain in increasing k order.

#include "noma/runtime/internal/gemm.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "noma/runtime/internal/kernels.h"
#include "noma/runtime/internal/threads.h"
#include "noma/runtime/tensor.h"
#include "noma/runtime/threads.h"

namespace noma::runtime::internal {
namespace {

// The definition: c[i][j] = fma chain over p = 0..k-1 starting from +0.
std::vector<double> Reference(int64_t n, int64_t k, int64_t m, MatrixOperand a, MatrixOperand b) {
  std::vector<double> c(n * m);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        acc = std::fma(a.data[i * a.row_stride + p * a.col_stride],
                       b.data[p * b.row_stride + j * b.col_stride], acc);
      }
      c[i * m + j] = acc;
    }
  }
  return c;
}

// Values with long mantissas and mixed signs and magnitudes, so that any change of rounding
// (a separate multiply and add, a reordered sum) shows in the last bits.
std::vector<double> RandomValues(int64_t count, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-8, 8);
  std::vector<double> v(count);
  for (double& x : v) x = std::ldexp(mantissa(rng), exponent(rng));
  return v;
}

bool SameBits(const std::vector<double>& x, const std::vector<double>& y) {
  // memcmp must not see the null data() of empty vectors (UBSan, --config=asan).
  return x.size() == y.size() &&
         (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
}

struct Shape3 {
  int64_t n, k, m;
};

// 1, primes, the MLP's thin panels, tile and block edges (4, 6, 8, 16; 144, 256), a long k.
const Shape3 kShapes[] = {
    {1, 1, 1},       {1, 7, 1},      {3, 5, 7},      {1, 300, 17},  {17, 300, 1}, {13, 1, 29},
    {6, 8, 8},       {8, 16, 16},    {7, 9, 15},     {31, 37, 41},  {64, 64, 64}, {97, 257, 89},
    {145, 513, 19},  {1024, 16, 64}, {64, 1024, 64}, {128, 64, 16}, {5, 2000, 3}, {200, 3, 300},
    {2, 1031, 2049}, {0, 5, 4},      {4, 0, 5},
};

// Runs every stored layout of a and b (row-major, transposed) for `shape` and compares with the
// reference: every kernel family on one thread, then the selected family on 1, 2 and 3
// threads.
void CheckShape(const Shape3& s, std::mt19937_64& rng) {
  std::vector<double> a = RandomValues(s.n * s.k, rng);
  std::vector<double> b = RandomValues(s.k * s.m, rng);
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      // Transposed storage: a is stored [k, n], b is stored [m, k].
      MatrixOperand ao = ta ? MatrixOperand{a.data(), 1, s.n} : MatrixOperand{a.data(), s.k, 1};
      MatrixOperand bo = tb ? MatrixOperand{b.data(), 1, s.k} : MatrixOperand{b.data(), s.m, 1};
      std::vector<double> want = Reference(s.n, s.k, s.m, ao, bo);
      for (int level = 0; level <= MaxKernelLevel(); ++level) {
        std::vector<double> c(s.n * s.m, std::nan(""));
        GemmWithLevel(level, s.n, s.k, s.m, ao, bo, c.data());
        EXPECT_TRUE(SameBits(c, want)) << "level " << level << " shape " << s.n << "x" << s.k << "x"
                                       << s.m << " ta " << ta << " tb " << tb;
      }
      SetGrainDivisorForTesting(1 << 20);  // Split even small products.
      for (int threads : {1, 2, 3}) {
        SetThreadCount(threads);
        std::vector<double> c(s.n * s.m, std::nan(""));
        Gemm(s.n, s.k, s.m, ao, bo, c.data());
        EXPECT_TRUE(SameBits(c, want)) << threads << " threads, shape " << s.n << "x" << s.k << "x"
                                       << s.m << " ta " << ta << " tb " << tb;
      }
      SetGrainDivisorForTesting(1);
      SetThreadCount(0);
    }
  }
}

TEST(GemmTest, EveryFamilyAndThreadCountMatchesTheFmaChain) {
  std::mt19937_64 rng(17);
  for (const Shape3& s : kShapes) CheckShape(s, rng);
}

TEST(GemmTest, RandomShapes) {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int64_t> dim(1, 70);
  for (int trial = 0; trial < 40; ++trial) CheckShape({dim(rng), dim(rng), dim(rng)}, rng);
}

// Products split over every thread count, by rows and by columns, and the one-row and
// one-column products.
TEST(GemmTest, ThreadSplitsAreBitIdentical) {
  SetGrainDivisorForTesting(1 << 20);
  std::mt19937_64 rng(5);
  for (Shape3 s :
       {Shape3{300, 200, 150}, Shape3{40, 700, 600}, Shape3{2000, 300, 1}, Shape3{1, 300, 3000}}) {
    std::vector<double> a = RandomValues(s.n * s.k, rng);
    std::vector<double> b = RandomValues(s.k * s.m, rng);
    std::vector<double> want = Reference(s.n, s.k, s.m, {a.data(), s.k, 1}, {b.data(), s.m, 1});
    for (int threads : {1, 2, 3, 4, 7}) {
      SetThreadCount(threads);
      std::vector<double> c(s.n * s.m);
      MatmulKernel(a.data(), b.data(), c.data(), s.n, s.k, s.m);
      EXPECT_TRUE(SameBits(c, want)) << threads << " threads, " << s.n << "x" << s.k << "x" << s.m;
    }
  }
  SetGrainDivisorForTesting(1);
  SetThreadCount(0);
}

TEST(GemmTest, TransposedOperandKernels) {
  std::mt19937_64 rng(6);
  const int64_t n = 37, k = 53, m = 29;
  std::vector<double> at = RandomValues(k * n, rng);  // a stored transposed: [k, n]
  std::vector<double> b = RandomValues(k * m, rng);
  std::vector<double> bt = RandomValues(m * k, rng);  // b stored transposed: [m, k]
  std::vector<double> a = RandomValues(n * k, rng);
  std::vector<double> c(n * m);
  MatmulTransposedAKernel(at.data(), b.data(), c.data(), n, k, m);
  EXPECT_TRUE(SameBits(c, Reference(n, k, m, {at.data(), 1, n}, {b.data(), m, 1})));
  MatmulTransposedBKernel(a.data(), bt.data(), c.data(), n, k, m);
  EXPECT_TRUE(SameBits(c, Reference(n, k, m, {a.data(), k, 1}, {bt.data(), 1, k})));
}

TEST(GemmTest, SpecialValuesFollowTheChain) {
  // inf * 0 is NaN, an overflow stays inf, and -0 products: the chain's first term is
  // fma(a, b, +0), so -0 * 1 gives +0 as in the reference.
  double inf = INFINITY;
  std::vector<double> a = {-0.0, 1.0, inf, 0.0, 1e308, 1e308, -0.0, -0.0};
  std::vector<double> b = {1.0, -0.0, 0.0, 1.0, 10.0, -10.0, 1.0, 1.0};
  // a as [4, 2], b as [2, 4].
  std::vector<double> want = Reference(4, 2, 4, {a.data(), 2, 1}, {b.data(), 4, 1});
  for (int level = 0; level <= MaxKernelLevel(); ++level) {
    std::vector<double> c(16);
    GemmWithLevel(level, 4, 2, 4, {a.data(), 2, 1}, {b.data(), 4, 1}, c.data());
    EXPECT_TRUE(SameBits(c, want)) << "level " << level;
  }
}

TEST(GemmTest, DotIsTheFmaChain) {
  std::mt19937_64 rng(7);
  for (int64_t n : {0, 1, 2, 3, 1000, 4097}) {
    std::vector<double> x = RandomValues(n, rng), y = RandomValues(n, rng);
    double want = 0.0;
    for (int64_t i = 0; i < n; ++i) want = std::fma(x[i], y[i], want);
    for (int level = 0; level <= MaxKernelLevel(); ++level) {
      SetKernelLevel(level);
      double got = DotKernel(x.data(), y.data(), n);
      EXPECT_EQ(std::memcmp(&got, &want, sizeof(double)), 0) << "level " << level << " n " << n;
    }
    SetKernelLevel(-1);
    absl::StatusOr<Tensor> dot = Dot(Tensor({n}, x), Tensor({n}, y));
    ASSERT_TRUE(dot.ok());
    double got = dot->scalar();
    EXPECT_EQ(std::memcmp(&got, &want, sizeof(double)), 0) << "Dot, n " << n;
  }
}

TEST(GemmTest, MatmulUsesTheKernel) {
  std::mt19937_64 rng(8);
  std::vector<double> a = RandomValues(6 * 5, rng), b = RandomValues(5 * 4, rng);
  absl::StatusOr<Tensor> c = Matmul(Tensor({6, 5}, a), Tensor({5, 4}, b));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(SameBits(c->values(), Reference(6, 5, 4, {a.data(), 5, 1}, {b.data(), 4, 1})));
}

// Inputs at the elementary functions' edges, then dense sweeps and random bit patterns.
std::vector<double> ElementwiseInputs() {
  std::vector<double> x = {0.0,
                           5e-324,
                           2.2250738585072009e-308,
                           2.2250738585072014e-308,
                           1e-300,
                           1e-20,
                           1e-8,
                           0.17,
                           0.1733,
                           0.3466,
                           0.5493061443340548,
                           0.55,
                           1,
                           2,
                           18.02,
                           18.3,
                           19.06,
                           19.07,
                           20,
                           36,
                           40,
                           100,
                           709.782712893384,
                           709.7827128933841,
                           710,
                           745.1332191019411,
                           745.1332191019412,
                           746,
                           1e300,
                           1.7976931348623157e308,
                           INFINITY,
                           NAN};
  size_t positive = x.size();
  for (size_t i = 0; i < positive; ++i) x.push_back(-x[i]);
  for (int i = 0; i < 20000; ++i) x.push_back(-25.0 + 50.0 * i / 20000);
  for (int i = 0; i < 2000; ++i) x.push_back(-750.0 + 1500.0 * i / 2000);
  std::mt19937_64 rng(9);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    x.push_back(v);
  }
  return x;
}

bool SameOrBothNan(double a, double b) {
  return std::memcmp(&a, &b, sizeof(double)) == 0 || (a != a && b != b);
}

// Every kernel family computes the portable family's bits for every elementwise function
// (the vectorized exp, tanh, sigmoid and softplus included), on unit and other strides, in
// place, and for every length (vector bodies and scalar tails).
TEST(KernelLevelTest, ElementwiseFamiliesAreBitIdentical) {
  std::vector<double> x = ElementwiseInputs();
  int64_t n = static_cast<int64_t>(x.size());
  SetThreadCount(1);
  for (int k = 0; k < kUnaryKernelCount; ++k) {
    auto op = static_cast<UnaryKernel>(k);
    SetKernelLevel(0);
    std::vector<double> want(n), want3(n / 3);
    UnaryArrayKernel(op, x.data(), 1, want.data(), n);
    UnaryArrayKernel(op, x.data(), 3, want3.data(), n / 3);
    for (int level = 1; level <= MaxKernelLevel(); ++level) {
      SetKernelLevel(level);
      std::vector<double> got(n), got3(n / 3);
      UnaryArrayKernel(op, x.data(), 1, got.data(), n);
      UnaryArrayKernel(op, x.data(), 3, got3.data(), n / 3);
      int failures = 0;
      for (int64_t i = 0; i < n && failures < 5; ++i) {
        if (!SameOrBothNan(got[i], want[i])) {
          ++failures;
          ADD_FAILURE() << "op " << k << " level " << level << " x " << std::hexfloat << x[i]
                        << ": " << got[i] << " vs portable " << want[i];
        }
      }
      for (int64_t i = 0; i < n / 3 && failures < 5; ++i) {
        if (!SameOrBothNan(got3[i], want3[i])) {
          ++failures;
          ADD_FAILURE() << "op " << k << " level " << level << " stride 3, x " << std::hexfloat
                        << x[3 * i];
        }
      }
      // Every length up to 40 (tails of 4- and 8-lane loops and blocks of four vectors), in
      // place.
      for (int64_t len = 0; len <= 40; ++len) {
        std::vector<double> y(x.begin() + 1000, x.begin() + 1000 + len);
        UnaryArrayKernel(op, y.data(), 1, y.data(), len);
        for (int64_t i = 0; i < len; ++i) {
          EXPECT_TRUE(SameOrBothNan(y[i], want[1000 + i])) << "op " << k << " len " << len;
        }
      }
    }
  }
  SetKernelLevel(-1);
  SetThreadCount(0);
}

// The scalar functions (interpreter, compiled scalar code) compute the array kernels' bits.
TEST(KernelLevelTest, ScalarFunctionsMatchTheArrayKernels) {
  std::vector<double> x = ElementwiseInputs();
  int64_t n = static_cast<int64_t>(x.size());
  for (UnaryKernel op :
       {UnaryKernel::kExp, UnaryKernel::kTanh, UnaryKernel::kSigmoid, UnaryKernel::kSoftplus}) {
    std::vector<double> got(n);
    UnaryArrayKernel(op, x.data(), 1, got.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_TRUE(SameOrBothNan(got[i], ApplyUnary(op, x[i])))
          << static_cast<int>(op) << " at " << std::hexfloat << x[i];
    }
  }
}

TEST(KernelLevelTest, ParsesNomaCpuNames) {
  EXPECT_EQ(ParseKernelLevel("portable"), 0);
  EXPECT_EQ(ParseKernelLevel("sse2"), 0);
  EXPECT_EQ(ParseKernelLevel("sse4.2"), 1);
  EXPECT_EQ(ParseKernelLevel("avx2"), 2);
  EXPECT_EQ(ParseKernelLevel("avx512"), 3);
  EXPECT_EQ(ParseKernelLevel("avx9"), -1);
  EXPECT_EQ(ParseKernelLevel(nullptr), -1);
  SetKernelLevel(99);  // Capped at what the CPU runs.
  EXPECT_EQ(KernelLevel(), MaxKernelLevel());
  SetKernelLevel(0);
  EXPECT_EQ(KernelLevel(), 0);
  SetKernelLevel(-1);
  EXPECT_EQ(KernelLevel(), MaxKernelLevel());
}

}  // namespace
}  // namespace noma::runtime::internal
