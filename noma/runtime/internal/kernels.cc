#include "noma/runtime/internal/kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string_view>

#include "noma/runtime/internal/threads.h"

namespace noma::runtime::internal {
namespace {

// Row-major strides of `shape` right-aligned to `out`; dims that are broadcast (missing or of
// size 1 where the output is larger) get stride 0.
Shape AlignedStrides(const Shape& shape, const Shape& out) {
  size_t rank = out.size();
  Shape strides(rank, 0);
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
  Shape sa = AlignedStrides(a, out);
  Shape sb = AlignedStrides(b, out);
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

using UnaryFunction = void (*)(UnaryKernel, const UnaryArgs&);
using BinaryFunction = void (*)(BinaryKernel, const BinaryArgs&);

}  // namespace

int MaxKernelLevel() {
  static const int level = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return 3;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 2;
    if (__builtin_cpu_supports("sse4.2")) return 1;
    return 0;
  }();
  return level;
}

int ParseKernelLevel(const char* name) {
  if (name == nullptr) return -1;
  std::string_view s(name);
  if (s == "portable" || s == "sse2") return 0;
  if (s == "sse4.2" || s == "sse42") return 1;
  if (s == "avx2") return 2;
  if (s == "avx512" || s == "avx512f") return 3;
  return -1;
}

namespace {

// The level in use: $NOMA_CPU when it names one (capped at what the CPU runs), else the best.
std::atomic<int> kernel_level{-1};

}  // namespace

void SetKernelLevel(int level) {
  kernel_level.store(level < 0 ? MaxKernelLevel() : std::min(level, MaxKernelLevel()),
                     std::memory_order_relaxed);
}

int KernelLevel() {
  int level = kernel_level.load(std::memory_order_relaxed);
  if (level < 0) {
    int forced = ParseKernelLevel(std::getenv("NOMA_CPU"));
    level = forced < 0 ? MaxKernelLevel() : std::min(forced, MaxKernelLevel());
    kernel_level.store(level, std::memory_order_relaxed);
  }
  return level;
}

namespace {

// Elements per thread below which an elementwise kernel stays on one thread. Measured on the
// 2-core development VM, splitting the MLP benchmark's [1024, 64] operations made the whole run
// slower (hand-off and cache traffic cost more than the halved loops), so only arrays of
// about a million elements per thread are split; the elementary functions cost 5-10x more
// per element than +, * and get a lower bound.
int64_t UnaryGrain(UnaryKernel op) {
  switch (op) {
    case UnaryKernel::kSigmoid:
    case UnaryKernel::kTanh:
    case UnaryKernel::kExp:
    case UnaryKernel::kLog:
    case UnaryKernel::kSin:
    case UnaryKernel::kCos:
    case UnaryKernel::kTan:
    case UnaryKernel::kSoftplus:
      return 1 << 18;
    case UnaryKernel::kNeg:
    case UnaryKernel::kNot:
    case UnaryKernel::kRelu:
    case UnaryKernel::kSqrt:
    case UnaryKernel::kAbs:
    case UnaryKernel::kFloor:
    case UnaryKernel::kCeil:
    case UnaryKernel::kCastF32:
    case UnaryKernel::kCastI32:
    case UnaryKernel::kCastI64:
      break;
  }
  return 1 << 20;
}

int64_t BinaryGrain(BinaryKernel op) {
  return op == BinaryKernel::kPow || op == BinaryKernel::kMod ? 1 << 18 : 1 << 20;
}

// Splits [0, n) into `threads` chunks (multiples of 8 elements, whole cache lines) and runs
// run(begin, count) for each on the pool. Every element is computed by the same code whatever
// the split.
template <typename Run>
void SplitElements(int64_t n, int threads, Run run) {
  int64_t chunk = ((n + threads - 1) / threads + 7) / 8 * 8;
  int64_t tasks = (n + chunk - 1) / chunk;
  ParallelFor(tasks, [&](int64_t t) {
    int64_t begin = t * chunk;
    run(begin, std::min(chunk, n - begin));
  });
}

}  // namespace

void UnaryArrayKernel(UnaryKernel op, const double* a, int64_t a_stride, double* out, int64_t n) {
  static const UnaryFunction kernels[] = {UnaryBaseline, UnarySse42, UnaryAvx2, UnaryAvx512};
  if (n <= 0) return;
  UnaryFunction kernel = kernels[KernelLevel()];
  int threads = ThreadsFor(n, UnaryGrain(op));
  if (threads <= 1) {
    kernel(op, UnaryArgs{a, a_stride, out, n});
    return;
  }
  // A stride-0 input may be `out`'s first element: read it before any chunk writes.
  double a0 = *a;
  if (a_stride == 0) a = &a0;
  SplitElements(n, threads, [&](int64_t begin, int64_t count) {
    kernel(op, UnaryArgs{a + begin * a_stride, a_stride, out + begin, count});
  });
}

void BinaryArrayKernel(BinaryKernel op, const double* a, int64_t a_stride, const double* b,
                       int64_t b_stride, double* out, int64_t n) {
  static const BinaryFunction kernels[] = {BinaryBaseline, BinarySse42, BinaryAvx2, BinaryAvx512};
  if (n <= 0) return;
  BinaryFunction kernel = kernels[KernelLevel()];
  int threads = ThreadsFor(n, BinaryGrain(op));
  if (threads <= 1) {
    kernel(op, BinaryArgs{a, a_stride, b, b_stride, out, n});
    return;
  }
  double a0 = *a, b0 = *b;
  if (a_stride == 0) a = &a0;
  if (b_stride == 0) b = &b0;
  SplitElements(n, threads, [&](int64_t begin, int64_t count) {
    kernel(op, BinaryArgs{a + begin * a_stride, a_stride, b + begin * b_stride, b_stride,
                          out + begin, count});
  });
}

void BroadcastBinaryKernel(BinaryKernel op, const BroadcastPlan& plan, const double* a,
                           const double* b, double* out) {
  // One call of the elementwise kernel per innermost run (the same loops, element by element,
  // as inlining them into a loop over the runs): broadcasting costs time only where the runs
  // are long, and the kernels are not compiled once more per instruction set for it.
  static const BinaryFunction kernels[] = {BinaryBaseline, BinarySse42, BinaryAvx2, BinaryAvx512};
  BinaryFunction kernel = kernels[KernelLevel()];
  int64_t sa = plan.inner_stride_a(), sb = plan.inner_stride_b();
  plan.ForEachRun([&](int64_t io, int64_t ia, int64_t ib, int64_t n) {
    kernel(op, BinaryArgs{a + ia, sa, b + ib, sb, out + io, n});
  });
}

namespace {

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
  if (KernelLevel() >= 2) {
    TransposeAvx2(a, out, n, m);
  } else {
    TransposeBaseline(a, out, n, m);
  }
}

}  // namespace noma::runtime::internal
