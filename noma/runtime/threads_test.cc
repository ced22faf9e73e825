#include "noma/runtime/threads.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "noma/runtime/internal/threads.h"
#include "noma/runtime/tensor.h"

namespace noma::runtime {
namespace {

TEST(ThreadsTest, DefaultIsPositiveAndSetThreadCountSticks) {
  EXPECT_GE(DefaultThreadCount(), 1);
  SetThreadCount(3);
  EXPECT_EQ(ThreadCount(), 3);
  SetThreadCount(0);
  EXPECT_EQ(ThreadCount(), DefaultThreadCount());
  SetThreadCount(-5);
  EXPECT_EQ(ThreadCount(), DefaultThreadCount());
}

TEST(ThreadsTest, ParallelForRunsEveryTaskOnce) {
  for (int threads : {1, 2, 3, 8}) {
    SetThreadCount(threads);
    for (int64_t tasks : {0, 1, 2, 5, 100, 1000}) {
      std::vector<std::atomic<int>> runs(tasks);
      for (auto& r : runs) r = 0;
      internal::ParallelFor(tasks, [&](int64_t t) { runs[t].fetch_add(1); });
      for (int64_t t = 0; t < tasks; ++t) EXPECT_EQ(runs[t].load(), 1) << t;
    }
  }
  SetThreadCount(0);
}

TEST(ThreadsTest, NestedParallelForRunsInline) {
  SetThreadCount(4);
  std::atomic<int64_t> total{0};
  internal::ParallelFor(
      8, [&](int64_t) { internal::ParallelFor(10, [&](int64_t t) { total.fetch_add(t); }); });
  EXPECT_EQ(total.load(), 8 * 45);
  SetThreadCount(0);
}

TEST(ThreadsTest, ManyJobsInARow) {
  // Workers that wake late must never see a finished job's state.
  SetThreadCount(3);
  std::vector<int64_t> out(64);
  for (int round = 0; round < 2000; ++round) {
    internal::ParallelFor(64, [&](int64_t t) { out[t] = round + t; });
    for (int64_t t = 0; t < 64; ++t) ASSERT_EQ(out[t], round + t);
  }
  SetThreadCount(0);
}

TEST(ThreadsTest, ThreadsForKeepsSmallWorkOnOneThread) {
  SetThreadCount(4);
  EXPECT_EQ(internal::ThreadsFor(10, 1000), 1);
  EXPECT_EQ(internal::ThreadsFor(2500, 1000), 2);  // Two grains of work: two threads.
  EXPECT_EQ(internal::ThreadsFor(1000000, 1000), 4);
  SetThreadCount(1);
  EXPECT_EQ(internal::ThreadsFor(1000000, 1000), 1);
  SetThreadCount(0);
}

bool SameBits(const Tensor& x, const Tensor& y) {
  return x.shape() == y.shape() && std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0;
}

// Elementwise kernels and axis sums split over threads compute every element exactly as on
// one thread.
TEST(ThreadsTest, KernelsAreBitIdenticalForEveryThreadCount) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> value(-6.0, 6.0);
  std::vector<double> xs(600 * 517), ys(600 * 517);
  for (double& v : xs) v = value(rng);
  for (double& v : ys) v = value(rng);
  Tensor x({600, 517}, xs), y({600, 517}, ys),
      row({517}, std::vector<double>(ys.begin(), ys.begin() + 517));
  auto compute = [&] {
    std::vector<Tensor> results;
    for (UnaryKernel op : {UnaryKernel::kTanh, UnaryKernel::kExp, UnaryKernel::kSigmoid,
                           UnaryKernel::kLog, UnaryKernel::kNeg}) {
      results.push_back(Unary(op, x));
    }
    for (BinaryKernel op : {BinaryKernel::kAdd, BinaryKernel::kMul, BinaryKernel::kPow}) {
      results.push_back(*Binary(op, x, y));
      results.push_back(*Binary(op, x, row));
      results.push_back(*Binary(op, x, Tensor::Scalar(1.5)));
    }
    results.push_back(*SumAxis(x, 0));
    results.push_back(*SumAxis(x, 1));
    results.push_back(*MeanAxis(x, 0));
    results.push_back(*SumToShape(x, {517}));
    results.push_back(*SumToShape(x, {600, 1}));
    results.push_back(SumAll(x));
    results.push_back(*Matmul(x, *Transpose(y)));
    return results;
  };
  // Split even these small operations (the production grains keep them on one thread).
  internal::SetGrainDivisorForTesting(1 << 20);
  SetThreadCount(1);
  std::vector<Tensor> want = compute();
  for (int threads : {2, 3, 5}) {
    SetThreadCount(threads);
    std::vector<Tensor> got = compute();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_TRUE(SameBits(got[i], want[i])) << "result " << i << ", " << threads << " threads";
    }
  }
  internal::SetGrainDivisorForTesting(1);
  SetThreadCount(0);
}

// In place with a stride-0 operand that is the output's first element: every chunk must use
// the value from before the call.
TEST(ThreadsTest, InPlaceBroadcastOperandIsReadFirst) {
  internal::SetGrainDivisorForTesting(1 << 20);
  SetThreadCount(3);
  std::vector<double> v(300000, 2.0);
  v[0] = 5.0;
  BinaryArray(BinaryKernel::kMul, v.data(), 1, v.data(), 0, v.data(), v.size());
  EXPECT_EQ(v[0], 25.0);
  EXPECT_EQ(v[1], 10.0);
  EXPECT_EQ(v.back(), 10.0);
  internal::SetGrainDivisorForTesting(1);
  SetThreadCount(0);
}

}  // namespace
}  // namespace noma::runtime
