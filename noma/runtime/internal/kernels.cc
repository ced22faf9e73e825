// The vector policies below pass GCC vector types between always-inline functions; GCC warns
// that their ABI differs without AVX, which never applies: none of them is ever called.
#pragma GCC diagnostic ignored "-Wpsabi"

#include "noma/runtime/internal/kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cmath>
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

// The math policy of kernels.h and formulas.h on 4 (AVX2) or 8 (AVX-512) lanes, written with
// GCC's generic vector types: their operators and the fma builtins carry no target of their
// own, so everything inlines into the functions below compiled for each instruction set (and
// would fail to compile, not silently run scalar, anywhere else). Each operation is the one of
// DoubleMath on every lane, so the lanes compute DoubleMath's bits.
typedef double V4 __attribute__((vector_size(32)));
typedef int64_t I4 __attribute__((vector_size(32)));
typedef int32_t H4 __attribute__((vector_size(32)));
typedef double V8 __attribute__((vector_size(64)));
typedef int64_t I8 __attribute__((vector_size(64)));
typedef int32_t H8 __attribute__((vector_size(64)));

NOMA_ALWAYS_INLINE inline V4 FusedMultiplyAdd(V4 a, V4 b, V4 c) {
  return __builtin_ia32_vfmaddpd256(a, b, c);
}
NOMA_ALWAYS_INLINE inline V8 FusedMultiplyAdd(V8 a, V8 b, V8 c) {
  return __builtin_ia32_vfmaddpd512_mask(a, b, c, -1, /*_MM_FROUND_CUR_DIRECTION*/ 4);
}
// a < b ? a : b and a > b ? a : b in one instruction (minpd, maxpd).
NOMA_ALWAYS_INLINE inline V4 MinLanes(V4 a, V4 b) { return __builtin_ia32_minpd256(a, b); }
NOMA_ALWAYS_INLINE inline V4 MaxLanes(V4 a, V4 b) { return __builtin_ia32_maxpd256(a, b); }
NOMA_ALWAYS_INLINE inline V8 MinLanes(V8 a, V8 b) {
  return __builtin_ia32_minpd512_mask(a, b, V8{}, -1, /*_MM_FROUND_CUR_DIRECTION*/ 4);
}
NOMA_ALWAYS_INLINE inline V8 MaxLanes(V8 a, V8 b) {
  return __builtin_ia32_maxpd512_mask(a, b, V8{}, -1, /*_MM_FROUND_CUR_DIRECTION*/ 4);
}

template <typename V, typename I, typename H, int kLanes>
struct LaneMath : RuntimeExpTanh<LaneMath<V, I, H, kLanes>> {
  using Cond = I;  // All ones where true.
  static constexpr int kWidth = kLanes;
  NOMA_ALWAYS_INLINE static V C(double c) { return V{} + c; }
  NOMA_ALWAYS_INLINE static V Load(const double* p) {
    V v;
    __builtin_memcpy(&v, p, sizeof(V));
    return v;
  }
  NOMA_ALWAYS_INLINE static void Store(double* p, V v) { __builtin_memcpy(p, &v, sizeof(V)); }
  NOMA_ALWAYS_INLINE static V Add(V a, V b) { return a + b; }
  NOMA_ALWAYS_INLINE static V Sub(V a, V b) { return a - b; }
  NOMA_ALWAYS_INLINE static V Mul(V a, V b) { return a * b; }
  NOMA_ALWAYS_INLINE static V Div(V a, V b) { return a / b; }
  NOMA_ALWAYS_INLINE static V Neg(V a) { return -a; }
  NOMA_ALWAYS_INLINE static V Fma(V a, V b, V c) { return FusedMultiplyAdd(a, b, c); }
  NOMA_ALWAYS_INLINE static V Fnma(V a, V b, V c) { return FusedMultiplyAdd(-a, b, c); }
  NOMA_ALWAYS_INLINE static Cond Gt(V a, V b) { return a > b; }
  NOMA_ALWAYS_INLINE static Cond Ge(V a, V b) { return a >= b; }
  NOMA_ALWAYS_INLINE static Cond Lt(V a, V b) { return a < b; }
  NOMA_ALWAYS_INLINE static V Select(Cond c, V a, V b) { return c ? a : b; }
  NOMA_ALWAYS_INLINE static V Min(V a, V b) { return MinLanes(a, b); }
  NOMA_ALWAYS_INLINE static V Max(V a, V b) { return MaxLanes(a, b); }
  NOMA_ALWAYS_INLINE static V IntSub(V a, V b) { return V(I(a) - I(b)); }
  // An arithmetic shift of the low 32 bits (AVX2 has none of 64), which for k in [-2^31, 2^31)
  // is the 64-bit one: the high 32 bits are all zeros or all ones, and stay so.
  NOMA_ALWAYS_INLINE static V HalfInt(V k) { return V(H(k) >> 1); }
  NOMA_ALWAYS_INLINE static V Pow2(V k) { return V((I(k) + 1023) << 52); }
  NOMA_ALWAYS_INLINE static V CopySign(V a, V s) {
    return V(I(a) | (I(s) & static_cast<int64_t>(0x8000000000000000u)));
  }
  NOMA_ALWAYS_INLINE static V Abs(V a) { return V(I(a) & 0x7fffffffffffffff); }
  // The C library's log per lane (softplus): the same calls as DoubleMath's.
  NOMA_ALWAYS_INLINE static V Log(V a) {
    for (int i = 0; i < kLanes; ++i) a[i] = std::log(a[i]);
    return a;
  }
};

using Avx2Math = LaneMath<V4, I4, H4, 4>;
using Avx512Math = LaneMath<V8, I8, H8, 8>;

// Calls body(f) with f(m, x) the formula of `op` over a math policy m, for the elementary
// functions that have vector policies; returns false for other ops.
template <typename Body>
NOMA_ALWAYS_INLINE inline bool DispatchLanes(UnaryKernel op, Body&& body) {
  switch (op) {
    case UnaryKernel::kExp:
      body([](auto& m, auto x) NOMA_ALWAYS_INLINE { return formulas::Exp(m, x); });
      return true;
    case UnaryKernel::kTanh:
      body([](auto& m, auto x) NOMA_ALWAYS_INLINE { return formulas::Tanh(m, x); });
      return true;
    case UnaryKernel::kSigmoid:
      body([](auto& m, auto x) NOMA_ALWAYS_INLINE { return formulas::Sigmoid(m, x); });
      return true;
    case UnaryKernel::kSoftplus:
      body([](auto& m, auto x) NOMA_ALWAYS_INLINE { return formulas::Softplus(m, x); });
      return true;
    default:
      return false;
  }
}

// The unit-stride loop of an elementary function on the lanes of policy VM, two vectors per
// iteration (independent chains for the out-of-order core); other strides and the last
// elements use DoubleMath, whose code inlined here computes the same bits.
template <typename VM>
struct LanesLoop {
  const UnaryArgs& args;
  template <typename F>
  NOMA_ALWAYS_INLINE void operator()(F f) const {
    const double* a = args.a;
    double* out = args.out;
    int64_t n = args.n;
    DoubleMath d;
    if (args.sa != 1) {
      UnaryLoops([&](double x) NOMA_ALWAYS_INLINE { return f(d, x); }, a, args.sa, out, n);
      return;
    }
    VM m;
    constexpr int kW = VM::kWidth;
    int64_t i = 0;
    for (; i + 2 * kW <= n; i += 2 * kW) {
      auto x0 = VM::Load(a + i);
      auto x1 = VM::Load(a + i + kW);
      auto y0 = f(m, x0);
      auto y1 = f(m, x1);
      VM::Store(out + i, y0);
      VM::Store(out + i + kW, y1);
    }
    for (; i < n; ++i) out[i] = f(d, a[i]);
  }
};

// tanh over blocks of four vectors: the first stage (math::TanhStage1) of all four, then the
// second. Measured on the development VM's AVX2 path, 20% faster than whole calls one vector
// at a time (shorter dependency chains per pass; blocks of 2, 8 or 16 gain little). The same
// operations per element, so the same bits.
template <typename VM>
NOMA_ALWAYS_INLINE inline void TanhLanesLoop(const UnaryArgs& args) {
  constexpr int kW = VM::kWidth;
  constexpr int kBlock = 4;
  const double* a = args.a;
  double* out = args.out;
  VM m;
  int64_t i = 0;
  for (; i + kBlock * kW <= args.n; i += kBlock * kW) {
    math::TanhParts<decltype(VM::C(0))> parts[kBlock];
    for (int b = 0; b < kBlock; ++b) parts[b] = math::TanhStage1(m, VM::Load(a + i + b * kW));
    // Loaded again: `out` may be `a` (in place), and each block reads before it writes.
    for (int b = 0; b < kBlock; ++b) {
      VM::Store(out + i + b * kW, math::TanhStage2(m, parts[b], VM::Load(a + i + b * kW)));
    }
  }
  DoubleMath d;
  for (; i < args.n; ++i) out[i] = math::Tanh(d, a[i]);
}

void UnaryBaseline(UnaryKernel op, const UnaryArgs& args) { DispatchUnary(op, args); }
// SSE4.2 is the first level at which the compiler vectorizes the selects of the elementwise
// formulas (it cannot turn a double comparison into a 64-bit mask with SSE2 alone); exp and
// tanh need fma, which is a C library call per operation below AVX2.
__attribute__((target("sse4.2"))) void UnarySse42(UnaryKernel op, const UnaryArgs& args) {
  DispatchUnary(op, args);
}
__attribute__((target("avx2,fma"))) void UnaryAvx2(UnaryKernel op, const UnaryArgs& args) {
  if (op == UnaryKernel::kTanh && args.sa == 1) return TanhLanesLoop<Avx2Math>(args);
  if (DispatchLanes(op, LanesLoop<Avx2Math>{args})) return;
  DispatchUnary(op, args);
}
__attribute__((target("avx512f,fma"))) void UnaryAvx512(UnaryKernel op, const UnaryArgs& args) {
  if (op == UnaryKernel::kTanh && args.sa == 1) return TanhLanesLoop<Avx512Math>(args);
  if (DispatchLanes(op, LanesLoop<Avx512Math>{args})) return;
  DispatchUnary(op, args);
}

void BinaryBaseline(BinaryKernel op, const BinaryArgs& args) { DispatchBinary(op, args); }
__attribute__((target("sse4.2"))) void BinarySse42(BinaryKernel op, const BinaryArgs& args) {
  DispatchBinary(op, args);
}
__attribute__((target("avx2,fma"))) void BinaryAvx2(BinaryKernel op, const BinaryArgs& args) {
  DispatchBinary(op, args);
}
__attribute__((target("avx512f,fma"))) void BinaryAvx512(BinaryKernel op, const BinaryArgs& args) {
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

// Elements per thread below which an elementwise kernel stays on one thread: about 10 us of
// work (a hand-off to the pool's spinning workers costs about a microsecond); the elementary
// functions cost 5-20x more per element than +, * and get a lower bound.
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
      return 1 << 12;
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
  return 1 << 15;
}

int64_t BinaryGrain(BinaryKernel op) {
  return op == BinaryKernel::kPow || op == BinaryKernel::kMod ? 1 << 12 : 1 << 15;
}

// Splits [0, n) into kTasksPerThread chunks per thread (multiples of 8 elements, whole cache
// lines) and runs run(begin, count) for each on the pool. Every element is computed by the
// same code whatever the split.
template <typename Run>
void SplitElements(int64_t n, int threads, Run run) {
  int64_t pieces = int64_t{threads} * kTasksPerThread;
  int64_t chunk = ((n + pieces - 1) / pieces + 7) / 8 * 8;
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
