#include "noma/runtime/format.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace noma::runtime {
namespace {

TEST(FormatScalarTest, LikePythonReprWithoutTrailingPointZero) {
  EXPECT_EQ(FormatScalar(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatScalar(25), "25");
  EXPECT_EQ(FormatScalar(-3), "-3");
  EXPECT_EQ(FormatScalar(-0.0), "-0");
  EXPECT_EQ(FormatScalar(0.0), "0");
  EXPECT_EQ(FormatScalar(0.0001), "0.0001");
  EXPECT_EQ(FormatScalar(0.00001), "1e-05");
  EXPECT_EQ(FormatScalar(1e16), "1e+16");
  EXPECT_EQ(FormatScalar(9999999999999998.0), "9999999999999998");
  EXPECT_EQ(FormatScalar(123456789012345680.0), "1.2345678901234568e+17");
  EXPECT_EQ(FormatScalar(2.5e-7), "2.5e-07");
  EXPECT_EQ(FormatScalar(1.5e20), "1.5e+20");
  EXPECT_EQ(FormatScalar(3.14), "3.14");
  EXPECT_EQ(FormatScalar(-0.5), "-0.5");
  EXPECT_EQ(FormatScalar(1e300), "1e+300");
  EXPECT_EQ(FormatScalar(5e-324), "5e-324");
}

TEST(FormatScalarTest, NonFinite) {
  EXPECT_EQ(FormatScalar(std::nan("")), "nan");
  EXPECT_EQ(FormatScalar(-std::nan("")), "nan");
  EXPECT_EQ(FormatScalar(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatScalar(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(FormatTensorTest, NestedBrackets) {
  EXPECT_EQ(FormatTensor(Tensor({2, 2}, {1, 2, 3, 4})), "[[1, 2], [3, 4]]");
  EXPECT_EQ(FormatTensor(Tensor({3}, {0.5, -1, 1e-05})), "[0.5, -1, 1e-05]");
  EXPECT_EQ(FormatTensor(Tensor({0}, {})), "[]");
  EXPECT_EQ(FormatTensor(Tensor::Scalar(7)), "7");
}

TEST(FormatTensorTest, SummarizesLargeTensors) {
  std::vector<double> values(2000);
  for (int i = 0; i < 2000; ++i) values[i] = i;
  EXPECT_EQ(FormatTensor(Tensor({2000}, values)), "[0, 1, 2, ..., 1997, 1998, 1999]");
  std::vector<double> grid(100 * 20);
  for (int i = 0; i < 2000; ++i) grid[i] = i % 20;
  std::string text = FormatTensor(Tensor({100, 20}, grid));
  EXPECT_EQ(text.substr(0, 28), "[[0, 1, 2, ..., 17, 18, 19],");
  EXPECT_NE(text.find("], ..., ["), std::string::npos);
  // 1000 elements exactly are printed in full.
  std::vector<double> thousand(1000, 1);
  EXPECT_EQ(FormatTensor(Tensor({1000}, thousand)).find("..."), std::string::npos);
}

}  // namespace
}  // namespace noma::runtime
