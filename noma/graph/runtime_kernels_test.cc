#include "noma/graph/runtime_kernels.h"

#include <cmath>
#include <set>

#include "gtest/gtest.h"
#include "noma/graph/ir.h"

namespace noma::graph {
namespace {

// Every builtin the registry marks elementwise has exactly one kernel of the matching arity,
// distinct from every other builtin's; the others have none.
TEST(RuntimeKernelsTest, ElementwiseBuiltinsMapToTheirOwnKernels) {
  std::set<int> unary_kernels, binary_kernels;
  for (int i = 0; i < kBuiltinCount; ++i) {
    auto builtin = static_cast<Builtin>(i);
    const BuiltinInfo& info = GetBuiltinInfo(builtin);
    runtime::UnaryKernel unary;
    runtime::BinaryKernel binary;
    bool has_unary = UnaryKernelOf(builtin, &unary);
    bool has_binary = BinaryKernelOf(builtin, &binary);
    EXPECT_EQ(has_unary, info.elementwise_arity == 1) << info.name;
    EXPECT_EQ(has_binary, info.elementwise_arity == 2) << info.name;
    if (has_unary) {
      EXPECT_TRUE(unary_kernels.insert(static_cast<int>(unary)).second) << info.name;
    }
    if (has_binary) {
      EXPECT_TRUE(binary_kernels.insert(static_cast<int>(binary)).second) << info.name;
    }
  }
}

// Spot values through the builtin -> kernel -> formula path.
TEST(RuntimeKernelsTest, KernelsComputeTheBuiltinsFormulas) {
  runtime::UnaryKernel unary;
  runtime::BinaryKernel binary;
  ASSERT_TRUE(UnaryKernelOf(Builtin::kFloor, &unary));
  EXPECT_EQ(runtime::ApplyUnary(unary, -1.5), -2);
  ASSERT_TRUE(UnaryKernelOf(Builtin::kSigmoid, &unary));
  EXPECT_EQ(runtime::ApplyUnary(unary, 0), 0.5);
  ASSERT_TRUE(BinaryKernelOf(Builtin::kPow, &binary));
  EXPECT_EQ(runtime::ApplyBinary(binary, 2, 10), 1024);
  ASSERT_TRUE(BinaryKernelOf(Builtin::kMax, &binary));
  EXPECT_EQ(runtime::ApplyBinary(binary, 3, 4), 4);
  ASSERT_TRUE(BinaryKernelOf(Builtin::kMin, &binary));
  EXPECT_EQ(runtime::ApplyBinary(binary, 3, 4), 3);
  EXPECT_FALSE(UnaryKernelOf(Builtin::kPow, &unary));
  EXPECT_FALSE(BinaryKernelOf(Builtin::kSum, &binary));
}

}  // namespace
}  // namespace noma::graph
