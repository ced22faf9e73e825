#ifndef NOMA_RUNTIME_INTERNAL_KERNELS_H_
#define NOMA_RUNTIME_INTERNAL_KERNELS_H_

// Loop machinery behind the tensor kernels of tensor.h. Not part of the public API.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "noma/runtime/tensor.h"

namespace noma::runtime::internal {

// Truncates toward zero into [lo, hi]; NaN stays NaN, values beyond the range saturate.
// Integers have no negative zero, so -0.5 as i32 is 0, not -0 (hence the + 0.0).
inline double TruncateTo(double x, double lo, double hi) {
  if (std::isnan(x)) return x;
  return std::trunc(std::clamp(x, lo, hi)) + 0.0;
}

// Calls body(f) with f a function object computing `op` on two doubles. Inside body the
// operation is a compile-time constant, so loops over f vectorize where the operation allows.
template <typename Body>
decltype(auto) DispatchBinary(BinaryKernel op, Body&& body) {
  switch (op) {
    case BinaryKernel::kAdd:
      return body([](double a, double b) { return a + b; });
    case BinaryKernel::kSub:
      return body([](double a, double b) { return a - b; });
    case BinaryKernel::kMul:
      return body([](double a, double b) { return a * b; });
    case BinaryKernel::kDiv:
      return body([](double a, double b) { return a / b; });
    case BinaryKernel::kMod:
      return body([](double a, double b) { return std::fmod(a, b); });
    case BinaryKernel::kPow:
      return body([](double a, double b) { return std::pow(a, b); });
    case BinaryKernel::kEq:
      return body([](double a, double b) { return a == b ? 1.0 : 0.0; });
    case BinaryKernel::kNe:
      return body([](double a, double b) { return a != b ? 1.0 : 0.0; });
    case BinaryKernel::kLt:
      return body([](double a, double b) { return a < b ? 1.0 : 0.0; });
    case BinaryKernel::kGt:
      return body([](double a, double b) { return a > b ? 1.0 : 0.0; });
    case BinaryKernel::kLe:
      return body([](double a, double b) { return a <= b ? 1.0 : 0.0; });
    case BinaryKernel::kGe:
      return body([](double a, double b) { return a >= b ? 1.0 : 0.0; });
    case BinaryKernel::kMin:  // The first operand on ties (and when b is NaN).
      return body([](double a, double b) { return b < a ? b : a; });
    case BinaryKernel::kMax:
      return body([](double a, double b) { return b > a ? b : a; });
    case BinaryKernel::kAnd:  // Elementwise, not short-circuit; NaN is true.
      return body([](double a, double b) { return (a != 0 && b != 0) ? 1.0 : 0.0; });
    case BinaryKernel::kOr:
      return body([](double a, double b) { return (a != 0 || b != 0) ? 1.0 : 0.0; });
  }
  // Not reached for valid enumerators; an out-of-range value computes NaN.
  return body([](double, double) { return std::nan(""); });
}

template <typename Body>
decltype(auto) DispatchUnary(UnaryKernel op, Body&& body) {
  switch (op) {
    case UnaryKernel::kNeg:
      return body([](double a) { return -a; });
    case UnaryKernel::kNot:
      return body([](double a) { return a == 0 ? 1.0 : 0.0; });
    case UnaryKernel::kSigmoid:
      // Split by sign so exp never overflows: exp(-|a|) is in (0, 1].
      return body([](double a) {
        if (a >= 0) return 1.0 / (1.0 + std::exp(-a));
        double e = std::exp(a);
        return e / (1.0 + e);
      });
    case UnaryKernel::kRelu:
      return body([](double a) { return a > 0 ? a : 0.0; });
    case UnaryKernel::kTanh:
      return body([](double a) { return std::tanh(a); });
    case UnaryKernel::kExp:
      return body([](double a) { return std::exp(a); });
    case UnaryKernel::kLog:
      return body([](double a) { return std::log(a); });
    case UnaryKernel::kSqrt:
      return body([](double a) { return std::sqrt(a); });
    case UnaryKernel::kSin:
      return body([](double a) { return std::sin(a); });
    case UnaryKernel::kCos:
      return body([](double a) { return std::cos(a); });
    case UnaryKernel::kTan:
      return body([](double a) { return std::tan(a); });
    case UnaryKernel::kAbs:
      return body([](double a) { return std::fabs(a); });
    case UnaryKernel::kFloor:
      return body([](double a) { return std::floor(a); });
    case UnaryKernel::kCeil:
      return body([](double a) { return std::ceil(a); });
    case UnaryKernel::kCastF32:
      return body([](double a) { return static_cast<double>(static_cast<float>(a)); });
    case UnaryKernel::kCastI32:
      return body([](double a) { return TruncateTo(a, -2147483648.0, 2147483647.0); });
    case UnaryKernel::kCastI64:
      // 2^63 - 1024 is the largest double below 2^63.
      return body(
          [](double a) { return TruncateTo(a, -9223372036854775808.0, 9223372036854774784.0); });
  }
  return body([](double) { return std::nan(""); });
}

// o[i] = f(x[i * sx], y[i * sy]) for i < n, with sx, sy in {0, 1}. Each stride pattern gets
// its own loop so the compiler sees unit-stride or loop-invariant operands.
template <typename F>
inline void MapContiguous(const double* x, int64_t sx, const double* y, int64_t sy, double* o,
                          int64_t n, F f) {
  if (sx == 1 && sy == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
  } else if (sx == 1) {
    double b = y[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], b);
  } else if (sy == 1) {
    double a = x[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(a, y[i]);
  } else {
    double v = f(x[0], y[0]);
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  }
}

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
  void ForEachRun(Run&& run) const {
    size_t outer_rank = dims_.size() - 1;
    int64_t n = dims_.back();
    int64_t runs = 1;
    for (size_t d = 0; d < outer_rank; ++d) runs *= dims_[d];
    std::vector<int64_t> index(outer_rank, 0);
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
  std::vector<int64_t> dims_;  // Never empty.
  std::vector<int64_t> stride_a_;
  std::vector<int64_t> stride_b_;
};

// c[n, m] = a[n, k] @ b[k, m], all row-major and contiguous; c must be zero-filled. Every
// c[i][j] is accumulated as ((0 + a[i][0] b[0][j]) + a[i][1] b[1][j]) + ..., the order of the
// textbook loop, so the result is bit-identical to it.
void MatmulKernel(const double* a, const double* b, double* c, int64_t n, int64_t k, int64_t m);

}  // namespace noma::runtime::internal

#endif  // NOMA_RUNTIME_INTERNAL_KERNELS_H_
