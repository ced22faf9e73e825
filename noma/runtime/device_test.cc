// Device residency in the program runtime (device.h), against a backend whose "device memory"
// is host memory and which counts what crosses between host and device.
#include "noma/runtime/device.h"

#include <cstring>
#include <map>
#include <vector>

#include "gtest/gtest.h"
#include "noma/runtime/program.h"
#include "noma/runtime/tensor.h"

namespace noma::runtime {
namespace {

class CountingDevice : public DeviceBackend {
 public:
  absl::StatusOr<DeviceAddress> Allocate(int64_t elements) override {
    buffers_.push_back(std::vector<double>(static_cast<size_t>(elements)));
    ++live;
    return reinterpret_cast<DeviceAddress>(buffers_.back().data());
  }
  void Free(DeviceAddress, int64_t) override { --live; }
  absl::Status Upload(DeviceAddress dst, const double* src, int64_t n) override {
    ++uploads;
    std::memcpy(reinterpret_cast<double*>(dst), src, static_cast<size_t>(n) * 8);
    return absl::OkStatus();
  }
  absl::Status Download(double* dst, DeviceAddress src, int64_t n) override {
    ++downloads;
    std::memcpy(dst, reinterpret_cast<const double*>(src), static_cast<size_t>(n) * 8);
    return absl::OkStatus();
  }
  // Only single additions run "on the device"; everything else declines.
  absl::Status Elementwise(absl::Span<const int32_t> program, DeviceAddress out, int64_t rows,
                           int64_t cols, absl::Span<const DeviceOperand> operands) override {
    if (program.size() != 4 || program[0] != 2 || program[1] != 0) {
      return absl::NotFoundError("no kernel");
    }
    ++kernels;
    double* o = reinterpret_cast<double*>(out);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        auto at = [&](const DeviceOperand& x) {
          return x.data == 0
                     ? x.scalar
                     : reinterpret_cast<const double*>(x.data)[r * x.row_stride + c * x.col_stride];
        };
        o[r * cols + c] = at(operands[0]) + at(operands[1]);
      }
    }
    return absl::OkStatus();
  }
  absl::Status Matmul(DeviceAddress, DeviceAddress, DeviceAddress, int64_t, int64_t,
                      int64_t) override {
    return absl::UnimplementedError("not in this test");
  }
  absl::Status Transpose(DeviceAddress, DeviceAddress, int64_t, int64_t) override {
    return absl::UnimplementedError("not in this test");
  }
  absl::Status Reduce(DeviceAddress out, DeviceAddress x, int64_t outer, int64_t n, int64_t inner,
                      double divisor) override {
    ++kernels;
    const double* in = reinterpret_cast<const double*>(x);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t j = 0; j < inner; ++j) {
        double total = 0;
        for (int64_t k = 0; k < n; ++k) total += in[(o * n + k) * inner + j];
        reinterpret_cast<double*>(out)[o * inner + j] = total / divisor;
      }
    }
    return absl::OkStatus();
  }

  int uploads = 0, downloads = 0, kernels = 0, live = 0;

 private:
  std::vector<std::vector<double>> buffers_;
};

TEST(DeviceTest, ResultsStayOnTheDeviceUntilTheHostReadsThem) {
  CountingDevice device;
  SetDeviceBackend(&device);
  {
    noma_cell a = {}, b = {}, sum = {}, total = {}, neg = {};
    const int64_t shape[] = {2, 3};
    const double values[] = {1, 2, 3, 4, 5, 6};
    ASSERT_EQ(noma_p_set_tensor(&a, shape, 2, values), 0);
    const double row[] = {10, 20, 30};
    const int64_t row_shape[] = {3};
    ASSERT_EQ(noma_p_set_tensor(&b, row_shape, 1, row), 0);
    // a + b (broadcast) on the device: both operands uploaded once, nothing downloaded.
    ASSERT_EQ(noma_p_binary(&sum, static_cast<int32_t>(BinaryKernel::kAdd), &a, &b), 0);
    ASSERT_EQ(noma_p_binary(&sum, static_cast<int32_t>(BinaryKernel::kAdd), &sum, &b), 0);
    EXPECT_EQ(device.uploads, 2);
    EXPECT_EQ(device.downloads, 0);
    EXPECT_EQ(noma_p_cell_rank(&sum), 2);  // The shape needs no copy.
    EXPECT_EQ(device.downloads, 0);
    // sum(...) is a scalar: one download of one element.
    noma_cell* args[] = {&sum};
    ASSERT_EQ(noma_p_builtin(&total, NOMA_P_BUILTIN_Sum, args, 1), 0);
    EXPECT_EQ(total.kind, NOMA_P_SCALAR);
    EXPECT_EQ(total.scalar, 21 + 2 * 120);
    EXPECT_EQ(device.downloads, 1);
    // An operation without a kernel runs on the host: the operand comes back once.
    ASSERT_EQ(noma_p_unary(&neg, static_cast<int32_t>(UnaryKernel::kNeg), &sum), 0);
    EXPECT_EQ(device.downloads, 2);
    const double* host = noma_p_cell_data(&neg);
    EXPECT_EQ(host[0], -(1 + 20));
    EXPECT_EQ(host[5], -(6 + 60));
    const double* again = noma_p_cell_data(&sum);  // Already on the host: no new copy.
    EXPECT_EQ(again[4], 5 + 40);
    EXPECT_EQ(device.downloads, 2);
    EXPECT_EQ(device.kernels, 3);
    for (noma_cell* cell : {&a, &b, &sum, &total, &neg}) noma_p_release(cell);
  }
  SetDeviceBackend(nullptr);
  EXPECT_EQ(device.live, 0);  // Every device buffer given back.
}

TEST(DeviceTest, HostWritesMakeTheDeviceCopyStale) {
  CountingDevice device;
  SetDeviceBackend(&device);
  {
    noma_cell a = {}, out = {};
    const int64_t shape[] = {4};
    const double first[] = {1, 2, 3, 4};
    ASSERT_EQ(noma_p_set_tensor(&a, shape, 1, first), 0);
    noma_cell one = {NOMA_P_SCALAR, 1.0, nullptr};
    ASSERT_EQ(noma_p_binary(&out, static_cast<int32_t>(BinaryKernel::kAdd), &a, &one), 0);
    EXPECT_EQ(noma_p_cell_data(&out)[3], 5);
    // A new host value in the same cell (its object may be recycled): uploaded afresh.
    const double second[] = {10, 20, 30, 40};
    noma_p_release(&out);
    ASSERT_EQ(noma_p_set_tensor(&a, shape, 1, second), 0);
    ASSERT_EQ(noma_p_binary(&out, static_cast<int32_t>(BinaryKernel::kAdd), &a, &one), 0);
    EXPECT_EQ(noma_p_cell_data(&out)[3], 41);
    noma_p_release(&a);
    noma_p_release(&out);
  }
  SetDeviceBackend(nullptr);
  EXPECT_EQ(device.live, 0);
}

}  // namespace
}  // namespace noma::runtime
