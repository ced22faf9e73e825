#ifndef NOMA_RUNTIME_FORMULAS_H_
#define NOMA_RUNTIME_FORMULAS_H_

// The scalar formula of every elementwise builtin of the registry (noma/graph/builtins.def),
// written once. Each formula is a template over a math policy `M` that a back end supplies, so
// the runtime's vectorized kernels (on doubles), the PTX emitter (LLVM IR with libdevice) and
// any later emitter evaluate the same operations in the same order.
//
// A policy provides a value type V and a condition type, with
//   V C(double)                              a constant
//   V Add(V, V), Sub, Mul, Div; V Neg(V)     IEEE arithmetic, never contracted
//   Cond Gt(V, V), Ge, Lt                    ordered comparisons (false on NaN)
//   V Select(Cond, V a, V b)                 a where the condition holds, else b
//   V Abs(V), Exp, Log, Sqrt, Sin, Cos, Tan, Tanh, Floor, Ceil; V Pow(V, V)
//                                            the primitives: the runtime's own vectorizable
//                                            exp/tanh (docs/runtime.md), the C library's others,
//                                            libdevice on the GPU
// Every function below is named after its registry entry (NOMA_*_ELEMENTWISE(Id, ...)).

// Every formula inlines into its caller, so that a kernel compiled for one instruction set
// evaluates it with that set's instructions (the runtime's kernels are compiled several times).
#define NOMA_FORMULA inline __attribute__((always_inline))

namespace noma::runtime::formulas {

// The logistic function, 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, with
// e = e^-|x| in (0, 1] so nothing overflows, and the rounding of 1 + e compensated.
template <typename M, typename V>
NOMA_FORMULA V Sigmoid(M& m, V x) {
  V e = m.Exp(m.Neg(m.Abs(x)));
  V d = m.Add(m.C(1), e);
  V d_err = m.Add(m.Sub(m.C(1), d), e);  // Exact: 1 >= e.
  auto positive = m.Ge(x, m.C(0));
  V s = m.Div(m.Select(positive, m.C(1), e), d);
  // s (1 - d_err / d), with 1 / d = s for x >= 0 and 1 - s below.
  return m.Sub(s, m.Mul(s, m.Mul(d_err, m.Select(positive, s, m.Sub(m.C(1), s)))));
}

// relu'(0) = 0 (autodiff), relu(NaN) = 0.
template <typename M, typename V>
NOMA_FORMULA V Relu(M& m, V x) {
  return m.Select(m.Gt(x, m.C(0)), x, m.C(0));
}

// Builtins that are one primitive of the policy.
#define NOMA_PRIMITIVE_FORMULA(Name) \
  template <typename M, typename V>  \
  NOMA_FORMULA V Name(M& m, V x) {   \
    return m.Name(x);                \
  }
NOMA_PRIMITIVE_FORMULA(Tanh)
NOMA_PRIMITIVE_FORMULA(Exp)
NOMA_PRIMITIVE_FORMULA(Log)
NOMA_PRIMITIVE_FORMULA(Sqrt)
NOMA_PRIMITIVE_FORMULA(Sin)
NOMA_PRIMITIVE_FORMULA(Cos)
NOMA_PRIMITIVE_FORMULA(Tan)
NOMA_PRIMITIVE_FORMULA(Abs)
NOMA_PRIMITIVE_FORMULA(Floor)
NOMA_PRIMITIVE_FORMULA(Ceil)
#undef NOMA_PRIMITIVE_FORMULA

// log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): nothing overflows, and log1p of e = e^-|x| is
// computed as log(u) * e / (u - 1) with u = 1 + e (exact where u rounds to 1: the result is e),
// so softplus keeps full relative accuracy far below zero (softplus(-40) = e^-40).
template <typename M, typename V>
NOMA_FORMULA V Softplus(M& m, V x) {
  V e = m.Exp(m.Neg(m.Abs(x)));
  V u = m.Add(m.C(1), e);
  V u_minus_1 = m.Sub(u, m.C(1));
  // u - 1 > 0 exactly when u did not round to 1; otherwise log1p(e) = e to within an ulp.
  V log1p = m.Select(m.Gt(u_minus_1, m.C(0)), m.Mul(m.Log(u), m.Div(e, u_minus_1)), e);
  return m.Add(m.Select(m.Gt(x, m.C(0)), x, m.C(0)), log1p);
}

template <typename M, typename V>
NOMA_FORMULA V Pow(M& m, V x, V y) {
  return m.Pow(x, y);
}
// The first operand on ties (and when the second is NaN).
template <typename M, typename V>
NOMA_FORMULA V Min(M& m, V x, V y) {
  return m.Select(m.Lt(y, x), y, x);
}
template <typename M, typename V>
NOMA_FORMULA V Max(M& m, V x, V y) {
  return m.Select(m.Gt(y, x), y, x);
}

// x for x > 0, slope * x otherwise (so leaky_relu(0, a) = 0 and the derivative there is a).
template <typename M, typename V>
NOMA_FORMULA V LeakyRelu(M& m, V x, V slope) {
  return m.Select(m.Gt(x, m.C(0)), x, m.Mul(slope, x));
}

}  // namespace noma::runtime::formulas

#endif  // NOMA_RUNTIME_FORMULAS_H_
