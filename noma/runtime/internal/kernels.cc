#include "noma/runtime/internal/kernels.h"

#include <immintrin.h>

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

struct BroadcastArgs {
  const BroadcastPlan* plan;
  const double* a;
  const double* b;
  double* out;
  template <typename F>
  NOMA_ALWAYS_INLINE void operator()(F f) const {
    int64_t sa = plan->inner_stride_a(), sb = plan->inner_stride_b();
    plan->ForEachRun([&](int64_t io, int64_t ia, int64_t ib, int64_t n) NOMA_ALWAYS_INLINE {
      BinaryLoops(f, a + ia, sa, b + ib, sb, out + io, n);
    });
  }
};

void UnaryBaseline(UnaryKernel op, const UnaryArgs& args) { DispatchUnary(op, args); }
// SSE4.2 is the first level at which the compiler vectorizes exp, tanh and sigmoid (it
// cannot turn a double comparison into a 64-bit mask with SSE2 alone).
__attribute__((target("sse4.2"))) void UnarySse42(UnaryKernel op, const UnaryArgs& args) {
  DispatchUnary(op, args);
}
__attribute__((target("avx2"))) void UnaryAvx2(UnaryKernel op, const UnaryArgs& args) {
  DispatchUnary(op, args);
}
__attribute__((target("avx512f"))) void UnaryAvx512(UnaryKernel op, const UnaryArgs& args) {
  DispatchUnary(op, args);
}

void BinaryBaseline(BinaryKernel op, const BinaryArgs& args) { DispatchBinary(op, args); }
__attribute__((target("sse4.2"))) void BinarySse42(BinaryKernel op, const BinaryArgs& args) {
  DispatchBinary(op, args);
}
__attribute__((target("avx2"))) void BinaryAvx2(BinaryKernel op, const BinaryArgs& args) {
  DispatchBinary(op, args);
}
__attribute__((target("avx512f"))) void BinaryAvx512(BinaryKernel op, const BinaryArgs& args) {
  DispatchBinary(op, args);
}

void BroadcastBaseline(BinaryKernel op, const BroadcastArgs& args) { DispatchBinary(op, args); }
__attribute__((target("sse4.2"))) void BroadcastSse42(BinaryKernel op, const BroadcastArgs& args) {
  DispatchBinary(op, args);
}
__attribute__((target("avx2"))) void BroadcastAvx2(BinaryKernel op, const BroadcastArgs& args) {
  DispatchBinary(op, args);
}
__attribute__((target("avx512f"))) void BroadcastAvx512(BinaryKernel op,
                                                        const BroadcastArgs& args) {
  DispatchBinary(op, args);
}

using UnaryFunction = void (*)(UnaryKernel, const UnaryArgs&);
using BinaryFunction = void (*)(BinaryKernel, const BinaryArgs&);
using BroadcastFunction = void (*)(BinaryKernel, const BroadcastArgs&);

// The best instruction set the CPU supports, an index into the tables of variants below:
// 3 (AVX-512F), 2 (AVX2), 1 (SSE4.2) or 0 (SSE2, the x86-64 baseline).
int CpuLevel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 3;
  if (__builtin_cpu_supports("avx2")) return 2;
  if (__builtin_cpu_supports("sse4.2")) return 1;
  return 0;
}

int Level() {
  static const int level = CpuLevel();
  return level;
}

}  // namespace

void UnaryArrayKernel(UnaryKernel op, const double* a, int64_t a_stride, double* out, int64_t n) {
  static const UnaryFunction kernels[] = {UnaryBaseline, UnarySse42, UnaryAvx2, UnaryAvx512};
  if (n <= 0) return;
  kernels[Level()](op, UnaryArgs{a, a_stride, out, n});
}

void BinaryArrayKernel(BinaryKernel op, const double* a, int64_t a_stride, const double* b,
                       int64_t b_stride, double* out, int64_t n) {
  static const BinaryFunction kernels[] = {BinaryBaseline, BinarySse42, BinaryAvx2, BinaryAvx512};
  if (n <= 0) return;
  kernels[Level()](op, BinaryArgs{a, a_stride, b, b_stride, out, n});
}

void BroadcastBinaryKernel(BinaryKernel op, const BroadcastPlan& plan, const double* a,
                           const double* b, double* out) {
  static const BroadcastFunction kernels[] = {BroadcastBaseline, BroadcastSse42, BroadcastAvx2,
                                              BroadcastAvx512};
  kernels[Level()](op, BroadcastArgs{&plan, a, b, out});
}

namespace {

// The blocked product c = a @ b (c is overwritten), inlined into one function per instruction
// set below, so the same loops are vectorized with SSE2, AVX2 or AVX-512 and the CPU picks at
// run time. Every element is computed by exactly one of the tile shapes, always as
// ((0 + a[i][0]·b[0][j]) + a[i][1]·b[1][j]) + ... in the order p = 0, 1, ..., k-1 with separate
// multiplies and adds (the runtime is built with -ffp-contract=off), so all variants and tile
// shapes give bit-identical results (docs/runtime.md).
//
// Columns [j0, j1) in register tiles of kRows x kCols, for the inner block [k0, k1); the first
// inner block starts from 0 instead of loading c.
template <int64_t kRows, int64_t kCols>
__attribute__((always_inline)) inline void MatmulTileColumns(const double* a, const double* b,
                                                             double* c, int64_t n, int64_t k,
                                                             int64_t m, int64_t j0, int64_t j1,
                                                             int64_t k0, int64_t k1) {
  bool first = k0 == 0;
  int64_t i = 0;
  for (; i + kRows <= n; i += kRows) {
    for (int64_t j = j0; j + kCols <= j1; j += kCols) {
      double acc[kRows][kCols];
      for (int64_t r = 0; r < kRows; ++r) {
        for (int64_t q = 0; q < kCols; ++q) acc[r][q] = first ? 0.0 : c[(i + r) * m + j + q];
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
  }
  // Rows after the last full tile: one row at a time, unit stride over the columns.
  for (; i < n; ++i) {
    double* crow = c + i * m;
    if (first) {
      for (int64_t q = j0; q < j1; ++q) crow[q] = 0;
    }
    for (int64_t p = k0; p < k1; ++p) {
      double av = a[i * k + p];
      const double* brow = b + p * m;
      for (int64_t q = j0; q < j1; ++q) crow[q] += av * brow[q];
    }
  }
}

// Columns [j0, j1) narrower than a vector (a product with one output column, say): four rows at
// a time as independent sums, which is 8-16x faster than the row loop on [1024, 64] @ [64, 1].
__attribute__((always_inline)) inline void MatmulNarrowColumns(const double* a, const double* b,
                                                               double* c, int64_t n, int64_t k,
                                                               int64_t m, int64_t j0, int64_t j1,
                                                               int64_t k0, int64_t k1) {
  constexpr int64_t kRows = 4;
  bool first = k0 == 0;
  int64_t i = 0;
  for (; i + kRows <= n; i += kRows) {
    for (int64_t j = j0; j < j1; ++j) {
      double acc[kRows];
      for (int64_t r = 0; r < kRows; ++r) acc[r] = first ? 0.0 : c[(i + r) * m + j];
      for (int64_t p = k0; p < k1; ++p) {
        double bv = b[p * m + j];
        for (int64_t r = 0; r < kRows; ++r) acc[r] += a[(i + r) * k + p] * bv;
      }
      for (int64_t r = 0; r < kRows; ++r) c[(i + r) * m + j] = acc[r];
    }
  }
  for (; i < n; ++i) {
    for (int64_t j = j0; j < j1; ++j) {
      double sum = first ? 0.0 : c[i * m + j];
      for (int64_t p = k0; p < k1; ++p) sum += a[i * k + p] * b[p * m + j];
      c[i * m + j] = sum;
    }
  }
}

// Blocks of kColBlock columns and kInnerBlock inner indices keep the panel of b in cache; in
// each, tiles kWide columns wide, then 16 and 8 wide, then the narrow rest.
template <int64_t kWide>
__attribute__((always_inline)) inline void MatmulBlocked(const double* a, const double* b,
                                                         double* c, int64_t n, int64_t k,
                                                         int64_t m) {
  constexpr int64_t kInnerBlock = 256;
  constexpr int64_t kColBlock = 512;
  if (k == 0) {
    for (int64_t e = 0; e < n * m; ++e) c[e] = 0;
    return;
  }
  for (int64_t j0 = 0; j0 < m; j0 += kColBlock) {
    int64_t j1 = std::min(m, j0 + kColBlock);
    for (int64_t k0 = 0; k0 < k; k0 += kInnerBlock) {
      int64_t k1 = std::min(k, k0 + kInnerBlock);
      int64_t j = j0 + (j1 - j0) / kWide * kWide;
      if (j > j0) MatmulTileColumns<4, kWide>(a, b, c, n, k, m, j0, j, k0, k1);
      if (kWide > 16 && j + 16 <= j1) {
        MatmulTileColumns<4, 16>(a, b, c, n, k, m, j, j + 16, k0, k1);
        j += 16;
      }
      if (kWide > 8 && j + 8 <= j1) {
        MatmulTileColumns<4, 8>(a, b, c, n, k, m, j, j + 8, k0, k1);
        j += 8;
      }
      if (j < j1) MatmulNarrowColumns(a, b, c, n, k, m, j, j1, k0, k1);
    }
  }
}

// 4 x 8 tiles fill SSE2's 16 registers; AVX2 keeps 4 x 8 (eight ymm accumulators: 4 x 16 spills
// and ran 10x slower); AVX-512 uses 4 x 32 (sixteen zmm accumulators).
void MatmulBaseline(const double* a, const double* b, double* c, int64_t n, int64_t k, int64_t m) {
  MatmulBlocked<8>(a, b, c, n, k, m);
}

__attribute__((target("avx2"))) void MatmulAvx2(const double* a, const double* b, double* c,
                                                int64_t n, int64_t k, int64_t m) {
  MatmulBlocked<8>(a, b, c, n, k, m);
}

__attribute__((target("avx512f"))) void MatmulAvx512(const double* a, const double* b, double* c,
                                                     int64_t n, int64_t k, int64_t m) {
  MatmulBlocked<32>(a, b, c, n, k, m);
}

using MatmulFunction = void (*)(const double*, const double*, double*, int64_t, int64_t, int64_t);

// Transposes in 32 x 32 tiles of 8 x 8 blocks: each block reads 8 source rows of 8 elements
// and writes 8 destination rows of 8 (a cache line each when aligned). `block` transposes one
// full 8 x 8 block; partial blocks at the edges are copied element by element. Tiles and blocks
// are visited along the rows of whichever side has the longer rows (the larger stride): those
// rows are then read or written sequentially, and the short-strided side takes the jumps.
// (With a power-of-two stride of 4 KiB or more, jumping along the long rows' side would map
// every row of a tile to the same cache set.)
constexpr int64_t kTransposeTile = 32;

template <typename Block>
NOMA_ALWAYS_INLINE inline void TransposeTile(const double* x, double* o, int64_t n, int64_t m,
                                             int64_t i0, int64_t j0, bool along_output_rows,
                                             Block block) {
  int64_t i1 = std::min(n, i0 + kTransposeTile);
  int64_t j1 = std::min(m, j0 + kTransposeTile);
  auto one_block = [&](int64_t i, int64_t j) NOMA_ALWAYS_INLINE {
    int64_t ie = std::min(i1, i + 8);
    int64_t je = std::min(j1, j + 8);
    if (ie - i == 8 && je - j == 8) {
      block(x + i * m + j, o + j * n + i, n, m);
      return;
    }
    for (int64_t c = j; c < je; ++c) {
      for (int64_t r = i; r < ie; ++r) o[c * n + r] = x[r * m + c];
    }
  };
  if (along_output_rows) {
    for (int64_t j = j0; j < j1; j += 8) {
      for (int64_t i = i0; i < i1; i += 8) one_block(i, j);
    }
  } else {
    for (int64_t i = i0; i < i1; i += 8) {
      for (int64_t j = j0; j < j1; j += 8) one_block(i, j);
    }
  }
}

template <typename Block>
NOMA_ALWAYS_INLINE inline void TransposeTiles(const double* x, double* o, int64_t n, int64_t m,
                                              Block block) {
  // Output rows have n elements, input rows m.
  if (n >= m) {
    for (int64_t j0 = 0; j0 < m; j0 += kTransposeTile) {
      for (int64_t i0 = 0; i0 < n; i0 += kTransposeTile) {
        TransposeTile(x, o, n, m, i0, j0, true, block);
      }
    }
  } else {
    for (int64_t i0 = 0; i0 < n; i0 += kTransposeTile) {
      for (int64_t j0 = 0; j0 < m; j0 += kTransposeTile) {
        TransposeTile(x, o, n, m, i0, j0, false, block);
      }
    }
  }
}

// o[c][r] = x[r][c] for an 8 x 8 block (source row stride m, destination row stride n).
struct TransposeBlockBaseline {
  NOMA_ALWAYS_INLINE void operator()(const double* src, double* dst, int64_t n, int64_t m) const {
    for (int64_t c = 0; c < 8; ++c) {
      for (int64_t r = 0; r < 8; ++r) dst[c * n + r] = src[r * m + c];
    }
  }
};

// The same with 4 x 4 register transposes: 8 rows x 4 columns are loaded, and each of the 4
// destination rows is written as two adjacent 32-byte stores.
struct TransposeBlockAvx2 {
  __attribute__((target("avx2"))) void operator()(const double* src, double* dst, int64_t n,
                                                  int64_t m) const {
    for (int64_t c = 0; c < 8; c += 4) {
      __m256d rows[8];
      for (int64_t r = 0; r < 8; ++r) rows[r] = _mm256_loadu_pd(src + r * m + c);
      for (int64_t h = 0; h < 8; h += 4) {
        __m256d t0 = _mm256_unpacklo_pd(rows[h], rows[h + 1]);      // r0c0 r1c0 r0c2 r1c2
        __m256d t1 = _mm256_unpackhi_pd(rows[h], rows[h + 1]);      // r0c1 r1c1 r0c3 r1c3
        __m256d t2 = _mm256_unpacklo_pd(rows[h + 2], rows[h + 3]);  // r2c0 r3c0 r2c2 r3c2
        __m256d t3 = _mm256_unpackhi_pd(rows[h + 2], rows[h + 3]);  // r2c1 r3c1 r2c3 r3c3
        _mm256_storeu_pd(dst + c * n + h, _mm256_permute2f128_pd(t0, t2, 0x20));
        _mm256_storeu_pd(dst + (c + 1) * n + h, _mm256_permute2f128_pd(t1, t3, 0x20));
        _mm256_storeu_pd(dst + (c + 2) * n + h, _mm256_permute2f128_pd(t0, t2, 0x31));
        _mm256_storeu_pd(dst + (c + 3) * n + h, _mm256_permute2f128_pd(t1, t3, 0x31));
      }
    }
  }
};

void TransposeBaseline(const double* x, double* o, int64_t n, int64_t m) {
  TransposeTiles(x, o, n, m, TransposeBlockBaseline());
}

__attribute__((target("avx2"))) void TransposeAvx2(const double* x, double* o, int64_t n,
                                                   int64_t m) {
  TransposeTiles(x, o, n, m, TransposeBlockAvx2());
}

}  // namespace

void TransposeKernel(const double* a, double* out, int64_t n, int64_t m) {
  if (Level() >= 2) {
    TransposeAvx2(a, out, n, m);
  } else {
    TransposeBaseline(a, out, n, m);
  }
}

void MatmulKernel(const double* a, const double* b, double* c, int64_t n, int64_t k, int64_t m) {
  static const MatmulFunction kernels[] = {MatmulBaseline, MatmulBaseline, MatmulAvx2,
                                           MatmulAvx512};
  kernels[Level()](a, b, c, n, k, m);
}

}  // namespace noma::runtime::internal
