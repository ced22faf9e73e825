#include "noma/runtime/internal/kernels.h"

#include <algorithm>

namespace noma::runtime::internal {
namespace {

// Row-major strides of `shape` right-aligned to `out`; dims that are broadcast (missing or of
// size 1 where the output is larger) get stride 0.
std::vector<int64_t> AlignedStrides(const Shape& shape, const Shape& out) {
  size_t rank = out.size();
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (size_t k = 0; k < shape.size(); ++k) {
    size_t d = shape.size() - 1 - k;
    size_t od = rank - 1 - k;
    strides[od] = (shape[d] == 1 && out[od] != 1) ? 0 : stride;
    stride *= shape[d];
  }
  return strides;
}

}  // namespace

BroadcastPlan::BroadcastPlan(const Shape& out, const Shape& a, const Shape& b) {
  std::vector<int64_t> sa = AlignedStrides(a, out);
  std::vector<int64_t> sb = AlignedStrides(b, out);
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) continue;  // Contributes nothing to the iteration.
    if (!dims_.empty() && stride_a_.back() == sa[d] * out[d] &&
        stride_b_.back() == sb[d] * out[d]) {
      // The previous (outer) dim steps exactly over this one in both operands: merge.
      dims_.back() *= out[d];
      stride_a_.back() = sa[d];
      stride_b_.back() = sb[d];
      continue;
    }
    dims_.push_back(out[d]);
    stride_a_.push_back(sa[d]);
    stride_b_.push_back(sb[d]);
  }
  if (dims_.empty()) {  // A single element.
    dims_.push_back(1);
    stride_a_.push_back(1);
    stride_b_.push_back(1);
  }
}

void MatmulKernel(const double* a, const double* b, double* c, int64_t n, int64_t k, int64_t m) {
  // Register tiles of kRows x kCols outputs stay in registers while p runs over a block of
  // the inner dimension; blocks over k and over columns keep the panel of b in cache. The
  // order of the additions into each c[i][j] is p = 0, 1, ..., k-1 whatever the blocking.
  constexpr int64_t kRows = 4;
  constexpr int64_t kCols = 8;
  constexpr int64_t kInnerBlock = 256;
  constexpr int64_t kColBlock = 512;
  for (int64_t j0 = 0; j0 < m; j0 += kColBlock) {
    int64_t j1 = std::min(m, j0 + kColBlock);
    for (int64_t k0 = 0; k0 < k; k0 += kInnerBlock) {
      int64_t k1 = std::min(k, k0 + kInnerBlock);
      int64_t i = 0;
      for (; i + kRows <= n; i += kRows) {
        int64_t j = j0;
        for (; j + kCols <= j1; j += kCols) {
          double acc[kRows][kCols];
          for (int64_t r = 0; r < kRows; ++r) {
            for (int64_t q = 0; q < kCols; ++q) acc[r][q] = c[(i + r) * m + j + q];
          }
          for (int64_t p = k0; p < k1; ++p) {
            const double* bp = b + p * m + j;
            for (int64_t r = 0; r < kRows; ++r) {
              double av = a[(i + r) * k + p];
              for (int64_t q = 0; q < kCols; ++q) acc[r][q] += av * bp[q];
            }
          }
          for (int64_t r = 0; r < kRows; ++r) {
            for (int64_t q = 0; q < kCols; ++q) c[(i + r) * m + j + q] = acc[r][q];
          }
        }
        // Columns left over after the last full tile (i-k-j order, unit-stride inner loop).
        if (j < j1) {
          for (int64_t r = 0; r < kRows; ++r) {
            double* crow = c + (i + r) * m;
            for (int64_t p = k0; p < k1; ++p) {
              double av = a[(i + r) * k + p];
              const double* brow = b + p * m;
              for (int64_t q = j; q < j1; ++q) crow[q] += av * brow[q];
            }
          }
        }
      }
      // Rows left over after the last full tile.
      for (; i < n; ++i) {
        double* crow = c + i * m;
        for (int64_t p = k0; p < k1; ++p) {
          double av = a[i * k + p];
          const double* brow = b + p * m;
          for (int64_t q = j0; q < j1; ++q) crow[q] += av * brow[q];
        }
      }
    }
  }
}

}  // namespace noma::runtime::internal
