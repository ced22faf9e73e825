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

// exp, tanh and sigmoid of the runtime (docs/runtime.md, "Elementary functions"). They use
// only +, -, *, / (correctly rounded, never contracted: -ffp-contract=off), comparisons, selects
// and integer operations on the bits, with no branches and no tables, so loops over them
// vectorize and every instruction set computes bit-identical results.
namespace math {

NOMA_ALWAYS_INLINE inline uint64_t Bits(double x) { return __builtin_bit_cast(uint64_t, x); }
NOMA_ALWAYS_INLINE inline double FromBits(uint64_t u) { return __builtin_bit_cast(double, u); }
// c ? a : b, written with bit masks: a conditional expression on doubles lets the compiler
// move each side's arithmetic into a branch, which it then cannot vectorize (without AVX-512).
NOMA_ALWAYS_INLINE inline double Select(bool c, double a, double b) {
  uint64_t mask = -static_cast<uint64_t>(c);
  return FromBits((Bits(a) & mask) | (Bits(b) & ~mask));
}
// 2^k for an integer k in [-1022, 1023] given as two's complement bits.
NOMA_ALWAYS_INLINE inline double Pow2(uint64_t k) { return FromBits((k + 1023) << 52); }

// Adding and subtracting 1.5 * 2^52 rounds a double of magnitude < 2^51 to the nearest integer
// (ties to even), and leaves that integer in the low bits of the sum.
inline constexpr double kRoundShift = 0x1.8p52;
inline constexpr double kInvLn2 = 0x1.71547652b82fep0;
// ln 2 = kLn2Hi + kLn2Lo, kLn2Hi with 32 significant bits so that k * kLn2Hi is exact.
inline constexpr double kLn2Hi = 0x1.62e42fee00000p-1;
inline constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;

// c[0] + c[1] x + ... + c[8] x^8 by Estrin's scheme: the operations of Horner's rule with
// less than half its dependency chain (scalar calls are latency-bound).
NOMA_ALWAYS_INLINE inline double Estrin8(double x, const double* c) {
  double x2 = x * x;
  double x4 = x2 * x2;
  double c01 = c[0] + c[1] * x;
  double c23 = c[2] + c[3] * x;
  double c45 = c[4] + c[5] * x;
  double c67 = c[6] + c[7] * x;
  double c03 = c01 + c23 * x2;
  double c47 = c45 + c67 * x2;
  return (c03 + c47 * x4) + c[8] * (x4 * x4);
}

// c[0] + c[1] x + ... + c[10] x^10: Estrin's scheme for the terms of degree >= 2, Horner's
// rule for the last two steps, whose roundings dominate the error when x is small. The order
// of the operations is fixed, so the result is too.
NOMA_ALWAYS_INLINE inline double Polynomial10(double x, const double (&c)[11]) {
  return c[0] + x * (c[1] + x * Estrin8(x, c + 2));
}

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

// P(y) = (tanh(sqrt y) / sqrt y - 1) / y: a degree-10 minimax fit on [0, 0.3025], error
// < 2^-56.
inline constexpr double kTanhP[11] = {
    -0x1.5555555555555p-2,  0x1.111111111103cp-3,  -0x1.ba1ba1b9ffdcep-5,  0x1.664f48776e7e7p-6,
    -0x1.226e32ff5952dp-7,  0x1.d6d33c256f363p-9,  -0x1.7d97fc086d905p-10, 0x1.34c7436f01099p-11,
    -0x1.ec2295ff021efp-13, 0x1.65358d0f706c1p-14, -0x1.5a3c3d27669f2p-16,
};

// e^x = 2^k (hi + lo) for |x| < 10^6 (so that k * kLn2Hi is exact): hi + lo approximates
// e^r, r = x - k ln 2 in [-ln2/2, ln2/2], with a relative error below 2^-55.9 (measured; the
// rounding of r^2 Q(r) dominates); |lo| is at most about ulp(hi). `k` holds the integer k as
// two's complement bits, `kf` as a double.
struct ExpParts {
  double kf;
  uint64_t k;
  double hi;
  double lo;
};

NOMA_ALWAYS_INLINE inline ExpParts ExpReduce(double x) {
  double shifted = x * kInvLn2 + kRoundShift;
  ExpParts e;
  e.k = Bits(shifted) - Bits(kRoundShift);
  e.kf = shifted - kRoundShift;
  // x - k ln 2 as r + r_lo: x - k * kLn2Hi is exact (k * kLn2Hi is, and it is within a factor
  // of two of x), the second subtraction's rounding error is recovered exactly.
  double r0 = x - e.kf * kLn2Hi;
  double t = e.kf * kLn2Lo;
  double r = r0 - t;
  double r_lo = (r0 - r) - t;
  // e^r = 1 + r + c, c = r^2 Q(r).
  double q = Polynomial10(r, kExpQ);
  double c = (r * r) * q;
  // 1 + (r + c) with both roundings' errors kept (exact two-sums: |r| > |c|, 1 > |r + c|),
  // plus the first-order effect e^r r_lo of the reduction's low part.
  double s = r + c;
  double s_err = (r - s) + c;
  e.hi = 1 + s;
  double hi_err = (1 - e.hi) + s;
  e.lo = hi_err + (s_err + r_lo * e.hi);
  return e;
}

// e^x, max error 0.58 ulp, 0.77 ulp for subnormal results (measured; docs/runtime.md).
// Overflows to inf above 709.78..., underflows (through subnormals) to 0 below -745.13...,
// NaN for NaN.
NOMA_ALWAYS_INLINE inline double Exp(double x) {
  // Clamping keeps k within [-1076, 1024] without changing the result; NaN passes through.
  double xc = Select(x < -746.0, -746.0, x);
  xc = Select(xc > 710.0, 710.0, xc);
  ExpParts e = ExpReduce(xc);
  // 2^k as two factors 2^k1 2^k2, each a normal double, k1 = round(k / 2): the first product
  // is exact, the second rounds once (to a subnormal, or overflows, where it must).
  uint64_t k1 = Bits(e.kf * 0.5 + kRoundShift) - Bits(kRoundShift);
  double y = (e.hi + e.lo) * Pow2(k1);
  return y * Pow2(e.k - k1);
}

// tanh x, exactly odd, max error 0.81 ulp (measured; docs/runtime.md).
NOMA_ALWAYS_INLINE inline double Tanh(double x) {
  double a = std::fabs(x);
  // |x| < 0.55: tanh a = a + a y P(y), y = a^2 (the term P's error feeds is at most a tenth
  // of the result).
  double y = a * a;
  double p = Polynomial10(y, kTanhP);
  double small = a + a * (y * p);
  // |x| >= 0.55: tanh a = 1 - 2 / (e^2a + 1) >= 0.5, in extra precision where it matters.
  // Above 20 the result is 1 (it is already for a > 19.06); NaN passes through to the end.
  double z = 2 * Select(a > 20.0, 20.0, a);
  ExpParts e = ExpReduce(z);
  double scale = Pow2(e.k);  // k <= 58.
  double eh = e.hi * scale;
  double el = e.lo * scale;
  // d = e^2a + 1 = dh + dl (exact two-sum, eh >= 1).
  double dh = eh + 1;
  double dl = ((eh - dh) + 1) + el;
  // q = 2 / d = qh - qh dl / dh = qh - qh^2 dl / 2 to first order; the rounding of qh (at most
  // a quarter ulp of the result) stays.
  double qh = 2 / dh;
  double th = 1 - qh;
  double th_err = (1 - th) - qh;  // Exact: 1 > qh.
  double large = th + (th_err + (qh * qh) * (0.5 * dl));
  double t = Select(a < 0.55, small, large);
  return FromBits(Bits(t) | (Bits(x) & 0x8000000000000000u));
}

}  // namespace math

// The math policy of formulas.h on doubles: the runtime's vectorizable exp and tanh, the C
// library's other functions, selects by bit masks (see math::Select). Everything inlines into
// the kernel loops, so the loops vectorize where the operations allow.
struct DoubleMath {
  NOMA_ALWAYS_INLINE static double C(double c) { return c; }
  NOMA_ALWAYS_INLINE static double Add(double a, double b) { return a + b; }
  NOMA_ALWAYS_INLINE static double Sub(double a, double b) { return a - b; }
  NOMA_ALWAYS_INLINE static double Mul(double a, double b) { return a * b; }
  NOMA_ALWAYS_INLINE static double Div(double a, double b) { return a / b; }
  NOMA_ALWAYS_INLINE static double Neg(double a) { return -a; }
  NOMA_ALWAYS_INLINE static bool Gt(double a, double b) { return a > b; }
  NOMA_ALWAYS_INLINE static bool Ge(double a, double b) { return a >= b; }
  NOMA_ALWAYS_INLINE static bool Lt(double a, double b) { return a < b; }
  NOMA_ALWAYS_INLINE static double Select(bool c, double a, double b) {
    return math::Select(c, a, b);
  }
  NOMA_ALWAYS_INLINE static double Abs(double a) { return std::fabs(a); }
  NOMA_ALWAYS_INLINE static double Exp(double a) { return math::Exp(a); }
  NOMA_ALWAYS_INLINE static double Tanh(double a) { return math::Tanh(a); }
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
