#ifndef NOMA_RUNTIME_INTERNAL_KERNELS_H_
#define NOMA_RUNTIME_INTERNAL_KERNELS_H_

// Loop machinery behind the tensor kernels of tensor.h. Not part of the public API.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "noma/runtime/formulas.h"
#include "noma/runtime/tensor.h"

// Forces inlining (into functions compiled for another instruction set, too).
#define NOMA_ALWAYS_INLINE __attribute__((always_inline))

namespace noma::runtime::internal {

// Truncates toward zero into [lo, hi]; NaN stays NaN, values beyond the range saturate.
// Integers have no negative zero, so -0.5 as i32 is 0, not -0 (hence the + 0.0).
NOMA_ALWAYS_INLINE inline double TruncateTo(double x, double lo, double hi) {
  if (std::isnan(x)) return x;
  return std::trunc(std::clamp(x, lo, hi)) + 0.0;
}

// exp and tanh of the runtime (docs/runtime.md, "Elementary functions"), written once as
// templates over a math policy `M` (value type V) like the formulas of formulas.h, with these
// operations beyond formulas.h's:
//   V Fma(V a, V b, V c)    a * b + c rounded once (IEEE fused multiply-add)
//   V Fnma(V a, V b, V c)   c - a * b rounded once
//   V Min(V a, V b)         a < b ? a : b (b when either is NaN, as x86's minpd)
//   V Max(V a, V b)         a > b ? a : b
//   V IntSub(V a, V b)      the 64-bit two's complement difference of the bit patterns
//   V Pow2(V k)             2^k for k in [-1022, 1023] given as two's complement bits
//   V HalfInt(V k)          floor(k / 2) for k in [-2^31, 2^31) as two's complement bits
//   V CopySign(V a, V s)    a with the sign bit of s or'ed in (a >= +0)
// Every one is correctly rounded or exact, and there are no branches and no tables, so the
// scalar policy (std::fma: an instruction where the CPU has one, the C library's exact
// software fma otherwise) and the AVX2 + FMA and AVX-512F vector policies of kernels.cc compute
// bit-identical results.
namespace math {

NOMA_ALWAYS_INLINE inline uint64_t Bits(double x) { return __builtin_bit_cast(uint64_t, x); }
NOMA_ALWAYS_INLINE inline double FromBits(uint64_t u) { return __builtin_bit_cast(double, u); }
// c ? a : b, written with bit masks: a conditional expression on doubles lets the compiler
// move each side's arithmetic into a branch, which it then cannot vectorize (without AVX-512).
NOMA_ALWAYS_INLINE inline double Select(bool c, double a, double b) {
  uint64_t mask = -static_cast<uint64_t>(c);
  return FromBits((Bits(a) & mask) | (Bits(b) & ~mask));
}

// Adding 1.5 * 2^52 rounds a double of magnitude < 2^51 to the nearest integer (ties to even),
// and leaves that integer in the low bits of the sum.
inline constexpr double kRoundShift = 0x1.8p52;
inline constexpr double kInvLn2 = 0x1.71547652b82fep0;
// ln 2 = kLn2Hi + kLn2Lo, kLn2Hi with 32 significant bits so that k * kLn2Hi is exact.
inline constexpr double kLn2Hi = 0x1.62e42fee00000p-1;
inline constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;

// Q(r) = (e^r - 1 - r) / r^2: a degree-10 minimax fit on [-ln2/2, ln2/2], error < 2^-59.
inline constexpr double kExpQ[11] = {
    0x1.0p-1,
    0x1.5555555555557p-3,
    0x1.5555555555558p-5,
    0x1.11111111100dfp-7,
    0x1.6c16c16c15201p-10,
    0x1.a01a01abe6501p-13,
    0x1.a01a01acf8ef2p-16,
    0x1.71de0236f77dcp-19,
    0x1.27e4ccd26ebffp-22,
    0x1.af4dde3396716p-26,
    0x1.1f8b44c44e29dp-29,
};

// Q(r) by Horner's rule with fused multiply-adds: the fewest operations (array loops are
// bound by the throughput of the multiply-add units, not by the chain's latency).
template <typename M, typename V>
NOMA_ALWAYS_INLINE inline V ExpQ(M& m, V r) {
  V q = m.C(kExpQ[10]);
  for (int i = 9; i >= 0; --i) q = m.Fma(q, r, m.C(kExpQ[i]));
  return q;
}

// x = k ln 2 + r + r_lo for |x| < 10^6 (so that k * kLn2Hi is exact), k = round(x / ln 2),
// |r| <= ln2/2 + tiny, |r_lo| <= ulp(r). `k` holds k as two's complement bits, `kf` as a
// double.
template <typename V>
struct Reduced {
  V kf;
  V k;
  V r;
  V r_lo;
};

template <typename M, typename V>
NOMA_ALWAYS_INLINE inline Reduced<V> ReduceLn2(M& m, V x) {
  V shifted = m.Fma(x, m.C(kInvLn2), m.C(kRoundShift));
  Reduced<V> e;
  e.k = m.IntSub(shifted, m.C(kRoundShift));
  e.kf = m.Sub(shifted, m.C(kRoundShift));
  // x - k * kLn2Hi is exact; the rounding error of subtracting t = k * kLn2Lo is kept in r_lo
  // (r0 - r is exact), t's own (2^-53 t, t < 2^-22) is negligible.
  V r0 = m.Fnma(e.kf, m.C(kLn2Hi), x);
  V t = m.Mul(e.kf, m.C(kLn2Lo));
  e.r = m.Sub(r0, t);
  e.r_lo = m.Sub(m.Sub(r0, e.r), t);
  return e;
}

// e^x = 2^k (hi + lo): x reduced by ReduceLn2, then e^r = 1 + r + r^2 Q(r) = 1 + s + s_err
// (s_err exact to first order: |r^2 Q| < |r| / 5, so r - s is exact), plus e^r r_lo for the
// reduction's low part, with 1 + s as an exact two-sum (1 > |s|). hi + lo has a relative
// error below 2^-58; |lo| is at most about ulp(hi).
template <typename V>
struct ExpParts {
  Reduced<V> e;
  V hi;
  V lo;
};

template <typename M, typename V>
NOMA_ALWAYS_INLINE inline ExpParts<V> ExpHiLo(M& m, V x) {
  ExpParts<V> p;
  p.e = ReduceLn2(m, x);
  V r = p.e.r;
  V r2 = m.Mul(r, r);
  V q = ExpQ(m, r);
  V s = m.Fma(r2, q, r);
  V s_err = m.Fma(r2, q, m.Sub(r, s));
  p.hi = m.Add(m.C(1), s);
  V hi_err = m.Add(m.Sub(m.C(1), p.hi), s);
  p.lo = m.Add(hi_err, m.Fma(p.e.r_lo, p.hi, s_err));
  return p;
}

// e^x, max error 0.55 ulp, 0.77 ulp for subnormal results (measured; docs/numerics.md).
// Overflows to inf above 709.78..., underflows (through subnormals) to 0 below -745.13...,
// NaN for NaN.
template <typename M, typename V>
NOMA_ALWAYS_INLINE inline V Exp(M& m, V x) {
  // Clamping keeps k within [-1076, 1024] without changing the result; NaN passes through.
  ExpParts<V> p = ExpHiLo(m, m.Min(m.C(710.0), m.Max(m.C(-746.0), x)));
  V y = m.Add(p.hi, p.lo);
  // 2^k as two factors 2^k1 2^k2, each a normal double, k1 = floor(k / 2): the first product
  // is exact, the second rounds once (to a subnormal, or overflows, where it must).
  V k1 = m.HalfInt(p.e.k);
  return m.Mul(m.Mul(y, m.Pow2(k1)), m.Pow2(m.IntSub(p.e.k, k1)));
}

// tanh x, exactly odd, max error 0.6 ulp (measured; docs/numerics.md). One path for every x:
// with a = |x| and e^2a = 2^k w (w = hi + lo from ExpHiLo, k in [0, 58]) and q = 2^-k,
// tanh a = (e^2a - 1) / (e^2a + 1) = (w - q) / (w + q). |w| >= |q| (w >= 1 where k = 0, since
// 2a >= 0; w > 0.7 and q <= 0.5 otherwise), so w - q and w + q are exact two-sums plus lo;
// w - q keeps full relative accuracy for small a (hi - 1 is exact; lo carries the rest). The
// quotient is corrected by its exact remainder and rounded once.
// Tanh in two stages, (w - q, w + q) as double-doubles and the quotient, so that array loops
// can run the first stage over a block of vectors before the second (two shorter dependency
// chains let the out-of-order core overlap more vectors).
template <typename V>
struct TanhParts {
  V nh;
  V nl;
  V dh;
  V dl;
};

template <typename M, typename V>
NOMA_ALWAYS_INLINE inline TanhParts<V> TanhStage1(M& m, V x) {
  // Above 20 the result is 1 (it is already for a > 19.06); NaN passes through to the end.
  V a = m.Min(m.C(20.0), m.Abs(x));
  V z = m.Add(a, a);
  ExpParts<V> p = ExpHiLo(m, z);
  V q = m.Pow2(m.IntSub(m.C(0), p.e.k));
  TanhParts<V> t;
  t.nh = m.Sub(p.hi, q);
  t.nl = m.Add(m.Sub(m.Sub(p.hi, t.nh), q), p.lo);
  t.dh = m.Add(p.hi, q);
  t.dl = m.Add(m.Add(m.Sub(p.hi, t.dh), q), p.lo);
  return t;
}

template <typename M, typename V>
NOMA_ALWAYS_INLINE inline V TanhStage2(M& m, const TanhParts<V>& p, V x) {
  V inv = m.Div(m.C(1), p.dh);
  V th = m.Mul(p.nh, inv);
  V rem = m.Fnma(th, p.dh, p.nh);
  V t = m.Fma(m.Fnma(th, p.dl, m.Add(rem, p.nl)), inv, th);
  return m.CopySign(t, x);
}

template <typename M, typename V>
NOMA_ALWAYS_INLINE inline V Tanh(M& m, V x) {
  return TanhStage2(m, TanhStage1(m, x), x);
}

}  // namespace math

// The runtime's exp and tanh as members of a math policy `Self` (formulas.h calls m.Exp(x)).
template <typename Self>
struct RuntimeExpTanh {
  template <typename V>
  NOMA_ALWAYS_INLINE static V Exp(V a) {
    Self m;
    return math::Exp(m, a);
  }
  template <typename V>
  NOMA_ALWAYS_INLINE static V Tanh(V a) {
    Self m;
    return math::Tanh(m, a);
  }
};

// The math policy of formulas.h on doubles: the runtime's vectorizable exp and tanh, the C
// library's other functions, selects by bit masks (see math::Select). Everything inlines into
// the kernel loops, so the loops vectorize where the operations allow; the vector policies of
// kernels.cc compute the same operations on 4 and 8 lanes.
struct DoubleMath : RuntimeExpTanh<DoubleMath> {
  NOMA_ALWAYS_INLINE static double C(double c) { return c; }
  NOMA_ALWAYS_INLINE static double Add(double a, double b) { return a + b; }
  NOMA_ALWAYS_INLINE static double Sub(double a, double b) { return a - b; }
  NOMA_ALWAYS_INLINE static double Mul(double a, double b) { return a * b; }
  NOMA_ALWAYS_INLINE static double Div(double a, double b) { return a / b; }
  NOMA_ALWAYS_INLINE static double Neg(double a) { return -a; }
  NOMA_ALWAYS_INLINE static double Fma(double a, double b, double c) { return std::fma(a, b, c); }
  NOMA_ALWAYS_INLINE static double Fnma(double a, double b, double c) { return std::fma(-a, b, c); }
  NOMA_ALWAYS_INLINE static bool Gt(double a, double b) { return a > b; }
  NOMA_ALWAYS_INLINE static bool Ge(double a, double b) { return a >= b; }
  NOMA_ALWAYS_INLINE static bool Lt(double a, double b) { return a < b; }
  NOMA_ALWAYS_INLINE static double Select(bool c, double a, double b) {
    return math::Select(c, a, b);
  }
  NOMA_ALWAYS_INLINE static double Min(double a, double b) { return math::Select(a < b, a, b); }
  NOMA_ALWAYS_INLINE static double Max(double a, double b) { return math::Select(a > b, a, b); }
  NOMA_ALWAYS_INLINE static double IntSub(double a, double b) {
    return math::FromBits(math::Bits(a) - math::Bits(b));
  }
  NOMA_ALWAYS_INLINE static double HalfInt(double k) {
    return math::FromBits(static_cast<uint64_t>(static_cast<int64_t>(math::Bits(k)) >> 1));
  }
  NOMA_ALWAYS_INLINE static double Pow2(double k) {
    return math::FromBits((math::Bits(k) + 1023) << 52);
  }
  NOMA_ALWAYS_INLINE static double CopySign(double a, double s) {
    return math::FromBits(math::Bits(a) | (math::Bits(s) & 0x8000000000000000u));
  }
  NOMA_ALWAYS_INLINE static double Abs(double a) { return std::fabs(a); }
  NOMA_ALWAYS_INLINE static double Log(double a) { return std::log(a); }
  NOMA_ALWAYS_INLINE static double Sqrt(double a) { return std::sqrt(a); }
  NOMA_ALWAYS_INLINE static double Sin(double a) { return std::sin(a); }
  NOMA_ALWAYS_INLINE static double Cos(double a) { return std::cos(a); }
  NOMA_ALWAYS_INLINE static double Tan(double a) { return std::tan(a); }
  // a + a: a signaling NaN comes back quiet whether floor is the C library's or an
  // instruction.
  NOMA_ALWAYS_INLINE static double Floor(double a) {
    return math::Select(a != a, a + a, std::floor(a));
  }
  NOMA_ALWAYS_INLINE static double Ceil(double a) {
    return math::Select(a != a, a + a, std::ceil(a));
  }
  NOMA_ALWAYS_INLINE static double Pow(double a, double b) { return std::pow(a, b); }
};

// Calls body(f) with f a function object computing `op` on two doubles. Inside body the
// operation is a compile-time constant, so loops over f vectorize where the operation allows.
// Everything is force-inlined so that the loops take the instruction set of the function they
// end up in (see UnaryArrayKernel).
template <typename Body>
NOMA_ALWAYS_INLINE inline decltype(auto) DispatchBinary(BinaryKernel op, Body&& body) {
  switch (op) {
    case BinaryKernel::kAdd:
      return body([](double a, double b) NOMA_ALWAYS_INLINE { return a + b; });
    case BinaryKernel::kSub:
      return body([](double a, double b) NOMA_ALWAYS_INLINE { return a - b; });
    case BinaryKernel::kMul:
      return body([](double a, double b) NOMA_ALWAYS_INLINE { return a * b; });
    case BinaryKernel::kDiv:
      return body([](double a, double b) NOMA_ALWAYS_INLINE { return a / b; });
    case BinaryKernel::kMod:
      return body([](double a, double b) NOMA_ALWAYS_INLINE { return std::fmod(a, b); });
    case BinaryKernel::kEq:
      return body([](double a, double b) NOMA_ALWAYS_INLINE { return a == b ? 1.0 : 0.0; });
    case BinaryKernel::kNe:
      return body([](double a, double b) NOMA_ALWAYS_INLINE { return a != b ? 1.0 : 0.0; });
    case BinaryKernel::kLt:
      return body([](double a, double b) NOMA_ALWAYS_INLINE { return a < b ? 1.0 : 0.0; });
    case BinaryKernel::kGt:
      return body([](double a, double b) NOMA_ALWAYS_INLINE { return a > b ? 1.0 : 0.0; });
    case BinaryKernel::kLe:
      return body([](double a, double b) NOMA_ALWAYS_INLINE { return a <= b ? 1.0 : 0.0; });
    case BinaryKernel::kGe:
      return body([](double a, double b) NOMA_ALWAYS_INLINE { return a >= b ? 1.0 : 0.0; });
    case BinaryKernel::kAnd:  // Elementwise, not short-circuit; NaN is true.
      return body([](double a, double b)
                      NOMA_ALWAYS_INLINE { return (a != 0 && b != 0) ? 1.0 : 0.0; });
    case BinaryKernel::kOr:
      return body([](double a, double b)
                      NOMA_ALWAYS_INLINE { return (a != 0 || b != 0) ? 1.0 : 0.0; });
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability) \
  case BinaryKernel::k##Id:                                  \
    return body([](double a, double b) NOMA_ALWAYS_INLINE {  \
      DoubleMath m;                                          \
      return formulas::Id(m, a, b);                          \
    });
#include "noma/graph/builtins.def"
  }
  // Not reached for valid enumerators; an out-of-range value computes NaN.
  return body([](double, double) NOMA_ALWAYS_INLINE { return std::nan(""); });
}

template <typename Body>
NOMA_ALWAYS_INLINE inline decltype(auto) DispatchUnary(UnaryKernel op, Body&& body) {
  switch (op) {
    case UnaryKernel::kNeg:
      return body([](double a) NOMA_ALWAYS_INLINE { return -a; });
    case UnaryKernel::kNot:
      return body([](double a) NOMA_ALWAYS_INLINE { return a == 0 ? 1.0 : 0.0; });
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability) \
  case UnaryKernel::k##Id:                                  \
    return body([](double a) NOMA_ALWAYS_INLINE {           \
      DoubleMath m;                                         \
      return formulas::Id(m, a);                            \
    });
#include "noma/graph/builtins.def"
    case UnaryKernel::kCastF32:
      return body([](double a)
                      NOMA_ALWAYS_INLINE { return static_cast<double>(static_cast<float>(a)); });
    case UnaryKernel::kCastI32:
      return body([](double a)
                      NOMA_ALWAYS_INLINE { return TruncateTo(a, -2147483648.0, 2147483647.0); });
    case UnaryKernel::kCastI64:
      // 2^63 - 1024 is the largest double below 2^63.
      return body([](double a) NOMA_ALWAYS_INLINE {
        return TruncateTo(a, -9223372036854775808.0, 9223372036854774784.0);
      });
  }
  return body([](double) NOMA_ALWAYS_INLINE { return std::nan(""); });
}

// Kernel families ("levels"), one per instruction set the runtime has variants for:
// 0 portable (the x86-64 baseline, SSE2; matmul with std::fma), 1 SSE4.2, 2 AVX2 + FMA,
// 3 AVX-512F. Every level gives bit-identical results (docs/numerics.md).
//
// The best level this CPU runs.
int MaxKernelLevel();
// The level in use: $NOMA_CPU (portable, sse2, sse4.2, avx2, avx512), capped at
// MaxKernelLevel(), read at the first call; else MaxKernelLevel().
int KernelLevel();
// Selects a level for the kernels called after it (capped at MaxKernelLevel(); < 0: the
// best), for tests and benchmarks; not while another thread runs kernels.
void SetKernelLevel(int level);
// The level NOMA_CPU's value names, -1 if none.
int ParseKernelLevel(const char* name);

// The loops behind UnaryArray and BinaryArray (tensor.h, same contract): one variant per
// instruction set (SSE2, SSE4.2, AVX2, AVX-512F), chosen at run time, all bit-identical.
void UnaryArrayKernel(UnaryKernel op, const double* a, int64_t a_stride, double* out, int64_t n);
void BinaryArrayKernel(BinaryKernel op, const double* a, int64_t a_stride, const double* b,
                       int64_t b_stride, double* out, int64_t n);

// Iteration plan for an output shape `out` that operands of shapes `a` and `b` broadcast to
// (the caller has checked that they do). Size-1 output dims are dropped and adjacent dims
// that stay contiguous in both operands are merged, so the innermost run is as long as
// possible; within a run each operand's stride is 1 (it varies) or 0 (it is broadcast).
class BroadcastPlan {
 public:
  BroadcastPlan(const Shape& out, const Shape& a, const Shape& b);

  int64_t inner_stride_a() const { return stride_a_.back(); }
  int64_t inner_stride_b() const { return stride_b_.back(); }

  // Calls run(out_offset, a_offset, b_offset, n) for each innermost run of n elements, in
  // row-major order of the output. Requires a non-empty output.
  template <typename Run>
  NOMA_ALWAYS_INLINE void ForEachRun(Run&& run) const {
    size_t outer_rank = dims_.size() - 1;
    int64_t n = dims_.back();
    int64_t runs = 1;
    for (size_t d = 0; d < outer_rank; ++d) runs *= dims_[d];
    Shape index(outer_rank, 0);
    int64_t ia = 0, ib = 0;
    for (int64_t r = 0; r < runs; ++r) {
      run(r * n, ia, ib, n);
      for (size_t d = outer_rank; d-- > 0;) {
        ia += stride_a_[d];
        ib += stride_b_[d];
        if (++index[d] < dims_[d]) break;
        ia -= stride_a_[d] * dims_[d];
        ib -= stride_b_[d] * dims_[d];
        index[d] = 0;
      }
    }
  }

 private:
  Shape dims_;  // Never empty.
  Shape stride_a_;
  Shape stride_b_;
};

// out = op(a, b) broadcast by `plan` (of out's, a's and b's shapes; out non-empty): for each run
// the loops of BinaryArrayKernel, with the operation and the instruction set chosen once (so
// short runs, as in [n, 2] + [2], cost no dispatch each).
void BroadcastBinaryKernel(BinaryKernel op, const BroadcastPlan& plan, const double* a,
                           const double* b, double* out);

// out[m, n] = transpose of a[n, m], both row-major and contiguous; every element of out is
// written. Cache-blocked (32 x 32 tiles of 8 x 8 blocks).
void TransposeKernel(const double* a, double* out, int64_t n, int64_t m);

}  // namespace noma::runtime::internal

#endif  // NOMA_RUNTIME_INTERNAL_KERNELS_H_
