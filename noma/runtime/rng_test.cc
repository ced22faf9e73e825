#include "noma/runtime/rng.h"

#include <cmath>
#include <cstdint>

#include "gtest/gtest.h"

namespace noma::runtime {
namespace {

// Reference values from an independent implementation (a few lines of Python over
// arbitrary-precision integers) of splitmix64 seeding + xoshiro256** and of the documented
// uniform/normal transforms. See docs/runtime.md.
TEST(RngTest, RawStreamMatchesReference) {
  Rng rng(0);
  EXPECT_EQ(rng.NextU64(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(rng.NextU64(), 0xbf6e1f784956452aULL);
  EXPECT_EQ(rng.NextU64(), 0x1a5f849d4933e6e0ULL);
  EXPECT_EQ(rng.NextU64(), 0x6aa594f1262d2d2cULL);
  Rng other(42);
  EXPECT_EQ(other.NextU64(), 0x15780b2e0c2ec716ULL);
  EXPECT_EQ(other.NextU64(), 0x6104d9866d113a7eULL);
  EXPECT_EQ(other.NextU64(), 0xae17533239e499a1ULL);
  EXPECT_EQ(other.NextU64(), 0xecb8ad4703b360a1ULL);
}

TEST(RngTest, UniformMatchesReference) {
  Rng rng(0);
  EXPECT_EQ(rng.Uniform(), 0.6012629994179048);
  EXPECT_EQ(rng.Uniform(), 0.7477740925472398);
  EXPECT_EQ(rng.Uniform(), 0.10301998939503632);
  EXPECT_EQ(rng.Uniform(), 0.4165890778296456);
  Rng other(42);
  EXPECT_EQ(other.Uniform(), 0.08386297105988216);
  EXPECT_EQ(other.Uniform(), 0.3789802506626686);
}

TEST(RngTest, NormalMatchesReference) {
  // log and cos come from the C library; allow the last bit to differ between libms.
  Rng rng(0);
  EXPECT_DOUBLE_EQ(rng.Normal(0, 1), -0.01896499060631051);
  EXPECT_DOUBLE_EQ(rng.Normal(0, 1), -0.40372109705088766);
  EXPECT_DOUBLE_EQ(rng.Normal(0, 1), 1.6251100012755157);
  Rng other(42);
  EXPECT_DOUBLE_EQ(other.Normal(0, 1), -0.303263064678738);
  EXPECT_DOUBLE_EQ(other.Normal(0, 1), 1.3438117634372806);
}

TEST(RngTest, NormalUsesTwoUniformsPerDraw) {
  Rng a(7), b(7);
  a.Normal(0, 1);
  b.Uniform();
  b.Uniform();
  EXPECT_EQ(a.NextU64(), b.NextU64());
  Rng c(7), d(7);
  double z = c.Normal(0, 1);
  EXPECT_DOUBLE_EQ(d.Normal(3, 2), 3 + 2 * z);
}

TEST(RngTest, InitializersMatchReference) {
  Rng rng(0);
  Tensor xavier = rng.Xavier(3, 5, {3});
  EXPECT_EQ(xavier.shape(), (Shape{3}));
  EXPECT_DOUBLE_EQ(xavier.values()[0], 0.17539265991862885);
  EXPECT_DOUBLE_EQ(xavier.values()[1], 0.4291573170910925);
  EXPECT_DOUBLE_EQ(xavier.values()[2], -0.6875895479570288);
  rng.Seed(0);
  Tensor he = rng.He(4, {1, 3});
  EXPECT_EQ(he.shape(), (Shape{1, 3}));
  EXPECT_DOUBLE_EQ(he.values()[0], -0.013410273462861336);
  EXPECT_DOUBLE_EQ(he.values()[1], -0.28547392543275496);
  EXPECT_DOUBLE_EQ(he.values()[2], 1.149126302075996);
  Rng again(42);
  Tensor xavier42 = again.Xavier(3, 5, {3});
  EXPECT_DOUBLE_EQ(xavier42.values()[0], -0.7207704770350443);
}

TEST(RngTest, TensorsFillInRowMajorOrder) {
  Rng a(5), b(5);
  Tensor t = a.UniformTensor({2, 3});
  for (double x : t.values()) EXPECT_EQ(x, b.Uniform());
  Tensor n = a.NormalTensor(1, 0.5, {4});
  for (double x : n.values()) EXPECT_EQ(x, b.Normal(1, 0.5));
  Tensor empty = a.UniformTensor({0, 3});
  EXPECT_EQ(empty.size(), 0);
  EXPECT_EQ(a.NextU64(), b.NextU64());  // An empty tensor draws nothing.
}

TEST(RngTest, SeedRestartsTheStream) {
  Rng rng(123);
  double first = rng.Uniform();
  rng.Uniform();
  rng.Seed(123);
  EXPECT_EQ(rng.Uniform(), first);
  Rng defaulted;
  EXPECT_EQ(defaulted.NextU64(), 0x99ec5f36cb75f2b4ULL);  // Seed 0 by default.
}

TEST(RngTest, SeedFromDouble) {
  EXPECT_EQ(SeedFromDouble(0), 0u);
  EXPECT_EQ(SeedFromDouble(42.9), 42u);
  EXPECT_EQ(SeedFromDouble(-1), UINT64_MAX);
  EXPECT_EQ(SeedFromDouble(-0.5), 0u);
  EXPECT_EQ(SeedFromDouble(std::nan("")), 0u);
  EXPECT_EQ(SeedFromDouble(1e300), 9223372036854774784u);
  EXPECT_EQ(SeedFromDouble(-1e300), uint64_t{1} << 63);
  EXPECT_EQ(SeedFromDouble(9007199254740993.0), 9007199254740992u);
}

TEST(RngTest, RangesAndMoments) {
  Rng rng(9);
  double total = 0, squares = 0;
  constexpr int kDraws = 200000;
  for (int i = 0; i < kDraws; ++i) {
    double u = rng.Uniform();
    ASSERT_GE(u, 0);
    ASSERT_LT(u, 1);
    double r = rng.Uniform(-2, 3);
    ASSERT_GE(r, -2);
    ASSERT_LT(r, 3);
    double z = rng.Normal(0, 1);
    ASSERT_TRUE(std::isfinite(z));
    total += z;
    squares += z * z;
  }
  EXPECT_NEAR(total / kDraws, 0, 0.01);
  EXPECT_NEAR(squares / kDraws, 1, 0.02);
  Tensor xavier = rng.Xavier(2, 2, {1000});
  for (double x : xavier.values()) EXPECT_LE(std::fabs(x), std::sqrt(6.0 / 4));
}

}  // namespace
}  // namespace noma::runtime
