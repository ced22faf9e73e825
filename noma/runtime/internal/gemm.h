#ifndef NOMA_RUNTIME_INTERNAL_GEMM_H_
#define NOMA_RUNTIME_INTERNAL_GEMM_H_

// Matrix products and dot products (docs/numerics.md, docs/runtime.md "Matmul"). Every output
// element is the chain c = 0; c = fma(a[i][p], b[p][j], c) for p = 0, 1, ..., k-1: each term
// one correctly rounded fused multiply-add, in increasing p. Blocking, packing, vector width,
// kernel family and thread count change only which element is computed when, never the
// operations of an element, so every variant gives the same bits as the portable loop.
//
// Plain libc/pthread code (linked into standalone executables).

#include <cstdint>

namespace noma::runtime::internal {

// A read-only matrix operand: element (r, c) is data[r * row_stride + c * col_stride]. A
// transposed operand is the same storage with the strides swapped, so products with
// transposes need no transposed copy (packing reads either layout).
struct MatrixOperand {
  const double* data;
  int64_t row_stride;
  int64_t col_stride;
};

// c[n, m] = a[n, k] · b[k, m] with c row-major and contiguous (row stride m); every element
// of c is written. c must not overlap a or b.
void Gemm(int64_t n, int64_t k, int64_t m, MatrixOperand a, MatrixOperand b, double* c);

// The same with the kernel family of `level` (KernelLevel()'s numbering; a level the CPU
// cannot run is capped) and on one thread, for tests.
void GemmWithLevel(int level, int64_t n, int64_t k, int64_t m, MatrixOperand a, MatrixOperand b,
                   double* c);

// c[n, m] = a[n, k] @ b[k, m], all row-major and contiguous.
void MatmulKernel(const double* a, const double* b, double* c, int64_t n, int64_t k, int64_t m);
// c[n, m] = a[k, n]ᵀ @ b[k, m] (the weight gradient of a matmul), without transposing a.
void MatmulTransposedAKernel(const double* a, const double* b, double* c, int64_t n, int64_t k,
                             int64_t m);
// c[n, m] = a[n, k] @ b[m, k]ᵀ (the input gradient of a matmul), without transposing b.
void MatmulTransposedBKernel(const double* a, const double* b, double* c, int64_t n, int64_t k,
                             int64_t m);

// Σ x[i] y[i] as the same fma chain, i in increasing order.
double DotKernel(const double* x, const double* y, int64_t n);

}  // namespace noma::runtime::internal

#endif  // NOMA_RUNTIME_INTERNAL_GEMM_H_
