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

namespace {

// Elementwise loops. Each stride pattern has its own loop, so the compiler sees unit-stride or
// loop-invariant operands and vectorizes; a stride-0 operand is read once, before anything is
// written (so `out` may alias it). Inlined into one function per instruction set below.
template <typename F>
NOMA_ALWAYS_INLINE inline void UnaryLoops(F f, const double* a, int64_t sa, double* out,
                                          int64_t n) {
  if (sa == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i]);
  } else if (sa == 0) {
    double v = f(a[0]);
    for (int64_t i = 0; i < n; ++i) out[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i * sa]);
  }
}

template <typename F>
NOMA_ALWAYS_INLINE inline void BinaryLoops(F f, const double* a, int64_t sa, const double* b,
                                           int64_t sb, double* out, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    double y = b[0];
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], y);
  } else if (sa == 0 && sb == 1) {
    double x = a[0];
    for (int64_t i = 0; i < n; ++i) out[i] = f(x, b[i]);
  } else if (sa == 0 && sb == 0) {
    double v = f(a[0], b[0]);
    for (int64_t i = 0; i < n; ++i) out[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i * sa], b[i * sb]);
  }
}

struct UnaryArgs {
  const double* a;
  int64_t sa;
  double* out;
  int64_t n;
  template <typename F>
  NOMA_ALWAYS_INLINE void operator()(F f) const {
    UnaryLoops(f, a, sa, out, n);
  }
};

struct BinaryArgs {
  const double* a;
  int64_t sa;
  const double* b;
  int64_t sb;
  double* out;
  int64_t n;
  template <typename F>
  NOMA_ALWAYS_INLINE void operator()(F f) const {
    BinaryLoops(f, a, sa, b, sb, out, n);
  }
};

void UnaryBaseline(UnaryKernel op, const UnaryArgs& args) { DispatchUnary(op, args); }
__attribute__((target("avx2"))) void UnaryAvx2(UnaryKernel op, const UnaryArgs& args) {
  DispatchUnary(op, args);
}
__attribute__((target("avx512f"))) void UnaryAvx512(UnaryKernel op, const UnaryArgs& args) {
  DispatchUnary(op, args);
}

void BinaryBaseline(BinaryKernel op, const BinaryArgs& args) { DispatchBinary(op, args); }
__attribute__((target("avx2"))) void BinaryAvx2(BinaryKernel op, const BinaryArgs& args) {
  DispatchBinary(op, args);
}
__attribute__((target("avx512f"))) void BinaryAvx512(BinaryKernel op, const BinaryArgs& args) {
  DispatchBinary(op, args);
}

using UnaryFunction = void (*)(UnaryKernel, const UnaryArgs&);
using BinaryFunction = void (*)(BinaryKernel, const BinaryArgs&);

// The instruction sets the CPU supports, best first: 2 (AVX-512F), 1 (AVX2) or 0 (SSE2).
int CpuLevel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 2;
  if (__builtin_cpu_supports("avx2")) return 1;
  return 0;
}

int Level() {
  static const int level = CpuLevel();
  return level;
}

}  // namespace

void UnaryArrayKernel(UnaryKernel op, const double* a, int64_t a_stride, double* out, int64_t n) {
  static const UnaryFunction kernels[] = {UnaryBaseline, UnaryAvx2, UnaryAvx512};
  if (n <= 0) return;
  kernels[Level()](op, UnaryArgs{a, a_stride, out, n});
}

void BinaryArrayKernel(BinaryKernel op, const double* a, int64_t a_stride, const double* b,
                       int64_t b_stride, double* out, int64_t n) {
  static const BinaryFunction kernels[] = {BinaryBaseline, BinaryAvx2, BinaryAvx512};
  if (n <= 0) return;
  kernels[Level()](op, BinaryArgs{a, a_stride, b, b_stride, out, n});
}

namespace {

// The blocked product for one register-tile size. Inlined into one function per instruction
// set below, so the same loops are vectorized with SSE2, AVX2 or AVX-512 and the CPU picks at
// run time. Every variant adds into each c[i][j] in the order p = 0, 1, ..., k-1 with separate
// multiplies and adds (the runtime is built with -ffp-contract=off), so all of them give
// bit-identical results.
template <int64_t kRows, int64_t kCols>
__attribute__((always_inline)) inline void MatmulTiles(const double* a, const double* b, double* c,
                                                       int64_t n, int64_t k, int64_t m) {
  // Register tiles of kRows x kCols outputs stay in registers while p runs over a block of
  // the inner dimension; blocks over k and over columns keep the panel of b in cache.
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

void MatmulBaseline(const double* a, const double* b, double* c, int64_t n, int64_t k, int64_t m) {
  MatmulTiles<4, 8>(a, b, c, n, k, m);
}

__attribute__((target("avx2"))) void MatmulAvx2(const double* a, const double* b, double* c,
                                                int64_t n, int64_t k, int64_t m) {
  MatmulTiles<4, 16>(a, b, c, n, k, m);
}

__attribute__((target("avx512f"))) void MatmulAvx512(const double* a, const double* b, double* c,
                                                     int64_t n, int64_t k, int64_t m) {
  MatmulTiles<4, 32>(a, b, c, n, k, m);
}

using MatmulFunction = void (*)(const double*, const double*, double*, int64_t, int64_t, int64_t);

}  // namespace

void MatmulKernel(const double* a, const double* b, double* c, int64_t n, int64_t k, int64_t m) {
  static const MatmulFunction kernels[] = {MatmulBaseline, MatmulAvx2, MatmulAvx512};
  kernels[Level()](a, b, c, n, k, m);
}

}  // namespace noma::runtime::internal
