#include "noma/runtime/format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "noma/runtime/rng.h"

namespace noma::runtime {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(FormatScalarTest, PositionalLikePythonRepr) {
  EXPECT_EQ(FormatScalar(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatScalar(0.1), "0.1");
  EXPECT_EQ(FormatScalar(3.14), "3.14");
  EXPECT_EQ(FormatScalar(-0.5), "-0.5");
  EXPECT_EQ(FormatScalar(0.0001), "0.0001");
  EXPECT_EQ(FormatScalar(0.00012345), "0.00012345");
  EXPECT_EQ(FormatScalar(123.456), "123.456");
  EXPECT_EQ(FormatScalar(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(FormatScalar(2.0 / 3), "0.6666666666666666");
  EXPECT_EQ(FormatScalar(1234567.125), "1234567.125");
  EXPECT_EQ(FormatScalar(1e15 + 0.5), "1000000000000000.5");
  EXPECT_EQ(FormatScalar(0.5e-4), "5e-05");
}

TEST(FormatScalarTest, IntegralValuesHaveNoPointZero) {
  EXPECT_EQ(FormatScalar(25), "25");
  EXPECT_EQ(FormatScalar(-3), "-3");
  EXPECT_EQ(FormatScalar(0.0), "0");
  EXPECT_EQ(FormatScalar(-0.0), "-0");
  EXPECT_EQ(FormatScalar(1), "1");
  EXPECT_EQ(FormatScalar(100), "100");
  EXPECT_EQ(FormatScalar(1e15), "1000000000000000");
  EXPECT_EQ(FormatScalar(9999999999999998.0), "9999999999999998");
  EXPECT_EQ(FormatScalar(-9007199254740993.0), "-9007199254740992");
}

TEST(FormatScalarTest, ScientificOutsideTheRange) {
  EXPECT_EQ(FormatScalar(0.00001), "1e-05");
  EXPECT_EQ(FormatScalar(2.5e-7), "2.5e-07");
  EXPECT_EQ(FormatScalar(-1.5e-10), "-1.5e-10");
  EXPECT_EQ(FormatScalar(1e16), "1e+16");
  EXPECT_EQ(FormatScalar(1.5e20), "1.5e+20");
  EXPECT_EQ(FormatScalar(123456789012345680.0), "1.2345678901234568e+17");
  EXPECT_EQ(FormatScalar(1e300), "1e+300");
  EXPECT_EQ(FormatScalar(-1e-300), "-1e-300");
  EXPECT_EQ(FormatScalar(5e-324), "5e-324");
  EXPECT_EQ(FormatScalar(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(FormatScalar(std::numeric_limits<double>::min()), "2.2250738585072014e-308");
  EXPECT_EQ(FormatScalar(1e22), "1e+22");
  EXPECT_EQ(FormatScalar(1e100), "1e+100");
}

TEST(FormatScalarTest, NonFinite) {
  EXPECT_EQ(FormatScalar(std::nan("")), "nan");
  EXPECT_EQ(FormatScalar(-std::nan("")), "nan");
  EXPECT_EQ(FormatScalar(std::copysign(std::nan(""), -1.0)), "nan");
  EXPECT_EQ(FormatScalar(kInf), "inf");
  EXPECT_EQ(FormatScalar(-kInf), "-inf");
}

TEST(FormatScalarTest, RoundTrips) {
  Rng rng(11);
  for (int i = 0; i < 20000; ++i) {
    // Values across many magnitudes, including integers and tiny/huge ones.
    double x = rng.Normal(0, 1) * std::pow(10.0, std::floor(rng.Uniform(-30, 30)));
    if (i % 3 == 0) x = std::trunc(x);
    std::string text = FormatScalar(x);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), x) << text;
  }
}

// std::to_chars's shortest round-trip digits of a positive finite value (what FormatScalar used
// before ShortestDigits): the digits and the power of ten of the first one.
std::string ToCharsDigits(double value, int* exponent) {
  char buffer[64];
  auto result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  std::string sci(buffer, result.ptr);
  size_t e = sci.find('e');
  *exponent = std::atoi(sci.c_str() + e + 1);
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  return digits;
}

void ExpectSameDigits(double value) {
  char digits[17];
  int exponent = 0;
  int n = ShortestDigits(value, digits, &exponent);
  int expected_exponent = 0;
  std::string expected = ToCharsDigits(value, &expected_exponent);
  ASSERT_EQ(std::string(digits, static_cast<size_t>(n)), expected) << value;
  ASSERT_EQ(exponent, expected_exponent) << value;
}

double FromBits(uint64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

TEST(ShortestDigitsTest, MatchesToCharsOnEdgeCases) {
  // Every power of two (their rounding interval is narrower below), the extremes, subnormals.
  for (int e = -1074; e <= 1023; ++e) ExpectSameDigits(std::ldexp(1.0, e));
  for (int e = -1074; e <= 1023; e += 7) {
    ExpectSameDigits(std::nextafter(std::ldexp(1.0, e), 0.0));
    ExpectSameDigits(std::nextafter(std::ldexp(1.0, e), kInf));
  }
  // Powers of ten and their neighbours, short decimals, integers.
  for (int e = -323; e <= 308; ++e) {
    double p = std::pow(10.0, e);
    if (p == 0 || std::isinf(p)) continue;
    ExpectSameDigits(p);
    ExpectSameDigits(std::nextafter(p, 0.0));
    ExpectSameDigits(std::nextafter(p, kInf));
  }
  for (int i = 1; i < 20000; ++i) {
    ExpectSameDigits(i);
    ExpectSameDigits(i / 1000.0);
    ExpectSameDigits(i * 0.1);
  }
  for (uint64_t bits : {uint64_t{1}, uint64_t{0x000FFFFFFFFFFFFF}, uint64_t{0x0010000000000000},
                        uint64_t{0x7FEFFFFFFFFFFFFF}, uint64_t{0x4340000000000000},
                        uint64_t{0x3FF0000000000001}, uint64_t{0x44B52D02C7E14AF6}}) {
    ExpectSameDigits(FromBits(bits));
  }
  ExpectSameDigits(9007199254740993.0);
  ExpectSameDigits(0.1 + 0.2);
}

TEST(ShortestDigitsTest, MatchesToCharsOnRandomDoubles) {
  uint64_t state = 0x9E3779B97F4A7C15;
  auto next = [&state] {  // splitmix64
    uint64_t z = (state += 0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
    return z ^ (z >> 31);
  };
  for (int i = 0; i < 300000; ++i) {
    // Uniform bit patterns cover every exponent; values in [0, 1) and products of short
    // decimals are what programs print most.
    double bits = FromBits(next() & 0x7FFFFFFFFFFFFFFF);
    if (bits != 0 && std::isfinite(bits)) ExpectSameDigits(bits);
    ExpectSameDigits(static_cast<double>(next() >> 11) * 0x1p-53 + 0x1p-60);
    ExpectSameDigits(static_cast<double>(next() % 100000) / 1000.0 * 1.5 + 1e-3);
  }
}

std::vector<double> Range(int n) {
  std::vector<double> values(n);
  for (int i = 0; i < n; ++i) values[i] = i;
  return values;
}

TEST(FormatTensorTest, NestedBrackets) {
  EXPECT_EQ(FormatTensor(Tensor({2, 2}, {1, 2, 3, 4})), "[[1, 2], [3, 4]]");
  EXPECT_EQ(FormatTensor(Tensor({3}, {0.5, -1, 1e-05})), "[0.5, -1, 1e-05]");
  EXPECT_EQ(FormatTensor(Tensor({1}, {7})), "[7]");
  EXPECT_EQ(FormatTensor(Tensor({2, 1, 2}, {1, 2, 3, 4})), "[[[1, 2]], [[3, 4]]]");
  EXPECT_EQ(FormatTensor(Tensor({3}, {std::nan(""), kInf, -kInf})), "[nan, inf, -inf]");
  EXPECT_EQ(FormatTensor(Tensor({2}, {0.1 + 0.2, -0.0})), "[0.30000000000000004, -0]");
}

TEST(FormatTensorTest, ScalarsAndEmpty) {
  EXPECT_EQ(FormatTensor(Tensor::Scalar(7)), "7");
  EXPECT_EQ(FormatTensor(Tensor::Scalar(std::nan(""))), "nan");
  EXPECT_EQ(FormatTensor(Tensor({0}, {})), "[]");
  EXPECT_EQ(FormatTensor(Tensor::Zeros({2, 0})), "[]");
  EXPECT_EQ(FormatTensor(Tensor::Zeros({0, 3})), "[]");
}

TEST(FormatTensorTest, SummarizesOverAThousandElements) {
  EXPECT_EQ(FormatTensor(Tensor({2000}, Range(2000))), "[0, 1, 2, ..., 1997, 1998, 1999]");
  EXPECT_EQ(FormatTensor(Tensor({1001}, Range(1001))), "[0, 1, 2, ..., 998, 999, 1000]");
  // 1000 elements exactly are printed in full.
  std::string full = FormatTensor(Tensor({1000}, Range(1000)));
  EXPECT_EQ(full.find("..."), std::string::npos);
  EXPECT_EQ(full.substr(0, 10), "[0, 1, 2, ");
  EXPECT_EQ(full.substr(full.size() - 10), " 998, 999]");
}

TEST(FormatTensorTest, SummarizesEveryLongAxis) {
  std::vector<double> grid(2000);
  for (int i = 0; i < 2000; ++i) grid[i] = i % 10;
  std::string rows = "[0, 1, 2, ..., 7, 8, 9]";
  std::string expected =
      "[" + rows + ", " + rows + ", " + rows + ", ..., " + rows + ", " + rows + ", " + rows + "]";
  EXPECT_EQ(FormatTensor(Tensor({200, 10}, grid)), expected);
  // Short axes (<= 6) are kept whole even when summarizing.
  std::vector<double> tall(3 * 400);
  for (int i = 0; i < 1200; ++i) tall[i] = i / 400;
  std::string text = FormatTensor(Tensor({3, 400}, tall));
  EXPECT_EQ(text, "[[0, 0, 0, ..., 0, 0, 0], [1, 1, 1, ..., 1, 1, 1], [2, 2, 2, ..., 2, 2, 2]]");
  std::string wide = FormatTensor(Tensor({1001, 1}, Range(1001)));
  EXPECT_EQ(wide, "[[0], [1], [2], ..., [998], [999], [1000]]");
}

}  // namespace
}  // namespace noma::runtime
