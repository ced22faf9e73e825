#include "noma/runtime/internal/gemm.h"

#include <immintrin.h>
#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "noma/runtime/internal/kernels.h"
#include "noma/runtime/internal/threads.h"

// The GotoBLAS / BLIS structure: C is computed in column blocks of kNC, the inner dimension in
// blocks of kKC, and for each a panel of B (kKC x kNC) is packed into kNR-wide slivers; rows in
// blocks of kMC, each packing a block of A (kMC x kKC) into kMR-tall slivers; then a
// register-blocked micro-kernel computes each kMR x kNR tile of C over the kKC block with its
// accumulators in registers. The micro-kernel of the first inner block starts the
// accumulators at 0, later blocks reload the partial sums from C, so each element's chain of
// fused multiply-adds runs in increasing p without any reassociation: blocking never changes a
// result, only the order in which elements are visited.

namespace noma::runtime::internal {
namespace {

struct Problem {
  int64_t n, k, m;
  MatrixOperand a, b;
  double* c;  // Row stride m.
};

// Packing buffers, one pair per thread, grown on demand and kept (kernels run many times),
// freed when the thread ends. A pthread key rather than a thread_local with a destructor,
// which would bring the C++ exception runtime into standalone executables.
struct PackBuffers {
  double* a;
  size_t a_size;
  double* b;
  size_t b_size;
};

thread_local PackBuffers* pack_buffers = nullptr;
pthread_key_t pack_key;
pthread_once_t pack_once = PTHREAD_ONCE_INIT;

void FreePackBuffers(void* p) {
  auto* buffers = static_cast<PackBuffers*>(p);
  std::free(buffers->a);
  std::free(buffers->b);
  std::free(buffers);
}

// This thread's buffers; nullptr when memory is exhausted.
PackBuffers* ThreadPackBuffers() {
  if (pack_buffers == nullptr) {
    pthread_once(&pack_once, [] { pthread_key_create(&pack_key, FreePackBuffers); });
    pack_buffers = static_cast<PackBuffers*>(std::calloc(1, sizeof(PackBuffers)));
    if (pack_buffers != nullptr) pthread_setspecific(pack_key, pack_buffers);
  }
  return pack_buffers;
}

// A 64-byte aligned buffer of at least `need` doubles, or nullptr when memory is exhausted.
double* Reserve(double** buffer, size_t* size, size_t need) {
  if (*size >= need) return *buffer;
  std::free(*buffer);
  *size = 0;
  size_t bytes = (need * sizeof(double) + 63) / 64 * 64;
  *buffer = static_cast<double*>(std::aligned_alloc(64, bytes));
  if (*buffer != nullptr) *size = need;
  return *buffer;
}

// The definition itself, element by element: the fallback when packing buffers cannot be
// allocated, and the loop every other path must equal.
void ReferenceRegion(const Problem& pr, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  for (int64_t i = i0; i < i1; ++i) {
    for (int64_t j = j0; j < j1; ++j) {
      double c = 0.0;
      for (int64_t p = 0; p < pr.k; ++p) {
        c = std::fma(pr.a.data[i * pr.a.row_stride + p * pr.a.col_stride],
                     pr.b.data[p * pr.b.row_stride + j * pr.b.col_stride], c);
      }
      pr.c[i * pr.m + j] = c;
    }
  }
}

// Rows [i0, i0 + mc) and inner indices [p0, p0 + kc) of A into slivers of kMR rows: sliver s
// holds a[i0 + s kMR + r][p0 + p] at [p kMR + r]; rows past the end are zeros.
template <int kMR>
void PackA(const MatrixOperand& a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, double* out) {
  for (int64_t s = 0; s < mc; s += kMR, out += kMR * kc) {
    int64_t rows = std::min<int64_t>(kMR, mc - s);
    const double* base = a.data + (i0 + s) * a.row_stride + p0 * a.col_stride;
    if (rows == kMR && a.row_stride == 1) {  // A transposed: each p is kMR contiguous values.
      for (int64_t p = 0; p < kc; ++p) {
        std::memcpy(out + p * kMR, base + p * a.col_stride, kMR * sizeof(double));
      }
      continue;
    }
    for (int64_t r = 0; r < kMR; ++r) {
      if (r < rows) {
        const double* row = base + r * a.row_stride;
        for (int64_t p = 0; p < kc; ++p) out[p * kMR + r] = row[p * a.col_stride];
      } else {
        for (int64_t p = 0; p < kc; ++p) out[p * kMR + r] = 0.0;
      }
    }
  }
}

// Inner indices [p0, p0 + kc) and columns [j0, j0 + nc) of B into slivers of kNR columns:
// sliver s holds b[p0 + p][j0 + s kNR + q] at [p kNR + q]; columns past the end are zeros.
template <int kNR>
void PackB(const MatrixOperand& b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, double* out) {
  for (int64_t s = 0; s < nc; s += kNR, out += kNR * kc) {
    int64_t cols = std::min<int64_t>(kNR, nc - s);
    const double* base = b.data + p0 * b.row_stride + (j0 + s) * b.col_stride;
    if (cols == kNR && b.col_stride == 1) {
      for (int64_t p = 0; p < kc; ++p) {
        std::memcpy(out + p * kNR, base + p * b.row_stride, kNR * sizeof(double));
      }
      continue;
    }
    for (int64_t p = 0; p < kc; ++p) {
      const double* row = base + p * b.row_stride;
      for (int64_t q = 0; q < kNR; ++q) out[p * kNR + q] = q < cols ? row[q * b.col_stride] : 0.0;
    }
  }
}

// The blocked product for C's rows [i0, i1) and columns [j0, j1), all of k. `Family` gives
// the block sizes and Micro(kc, a_sliver, b_sliver, c, ldc, first): c[r][q] (row stride ldc)
// = fma chain over the kc packed terms, starting from 0 when `first`, else from c.
template <typename Family>
void GemmRegion(const Problem& pr, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  constexpr int kMR = Family::kMR, kNR = Family::kNR;
  const int64_t kc_max = std::min<int64_t>(Family::kKC, pr.k);
  const int64_t nc_max = std::min<int64_t>(Family::kNC, (j1 - j0 + kNR - 1) / kNR * kNR);
  const int64_t mc_max = std::min<int64_t>(Family::kMC, (i1 - i0 + kMR - 1) / kMR * kMR);
  PackBuffers* buffers = ThreadPackBuffers();
  double* ap = buffers == nullptr
                   ? nullptr
                   : Reserve(&buffers->a, &buffers->a_size, static_cast<size_t>(mc_max * kc_max));
  double* bp = buffers == nullptr
                   ? nullptr
                   : Reserve(&buffers->b, &buffers->b_size, static_cast<size_t>(nc_max * kc_max));
  if (ap == nullptr || bp == nullptr) {
    ReferenceRegion(pr, i0, i1, j0, j1);
    return;
  }
  const int64_t ldc = pr.m;
  for (int64_t jc = j0; jc < j1; jc += Family::kNC) {
    int64_t nc = std::min<int64_t>(Family::kNC, j1 - jc);
    for (int64_t pc = 0; pc < pr.k; pc += Family::kKC) {
      int64_t kc = std::min<int64_t>(Family::kKC, pr.k - pc);
      bool first = pc == 0;
      PackB<kNR>(pr.b, pc, kc, jc, nc, bp);
      for (int64_t ic = i0; ic < i1; ic += Family::kMC) {
        int64_t mc = std::min<int64_t>(Family::kMC, i1 - ic);
        PackA<kMR>(pr.a, ic, mc, pc, kc, ap);
        for (int64_t jr = 0; jr < nc; jr += kNR) {
          int64_t nr = std::min<int64_t>(kNR, nc - jr);
          const double* b_sliver = bp + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += kMR) {
            int64_t mr = std::min<int64_t>(kMR, mc - ir);
            const double* a_sliver = ap + ir * kc;
            double* c = pr.c + (ic + ir) * ldc + jc + jr;
            if (mr == kMR && nr == kNR) {
              Family::Micro(kc, a_sliver, b_sliver, c, ldc, first);
              continue;
            }
            // An edge tile: through a full-size tile in memory (its padding rows and
            // columns compute products with the packed zeros and are dropped).
            alignas(64) double tile[kMR * kNR] = {};
            for (int64_t r = 0; r < mr && !first; ++r) {
              std::memcpy(tile + r * kNR, c + r * ldc, nr * sizeof(double));
            }
            Family::Micro(kc, a_sliver, b_sliver, tile, kNR, first);
            for (int64_t r = 0; r < mr; ++r) {
              std::memcpy(c + r * ldc, tile + r * kNR, nr * sizeof(double));
            }
          }
        }
      }
    }
  }
}

// Products with a single output column (m = 1): kRows independent chains at a time, so the
// fused multiply-adds overlap instead of waiting for each other.
NOMA_ALWAYS_INLINE inline void ColumnRegion(const Problem& pr, int64_t i0, int64_t i1) {
  constexpr int64_t kRows = 8;
  const MatrixOperand& a = pr.a;
  const MatrixOperand& b = pr.b;
  int64_t i = i0;
  for (; i + kRows <= i1; i += kRows) {
    double acc[kRows] = {};
    for (int64_t p = 0; p < pr.k; ++p) {
      double bv = b.data[p * b.row_stride];
      for (int64_t r = 0; r < kRows; ++r) {
        acc[r] = std::fma(a.data[(i + r) * a.row_stride + p * a.col_stride], bv, acc[r]);
      }
    }
    for (int64_t r = 0; r < kRows; ++r) pr.c[(i + r) * pr.m] = acc[r];
  }
  for (; i < i1; ++i) {
    double acc = 0.0;
    for (int64_t p = 0; p < pr.k; ++p) {
      acc = std::fma(a.data[i * a.row_stride + p * a.col_stride], b.data[p * b.row_stride], acc);
    }
    pr.c[i * pr.m] = acc;
  }
}

// Products with a single output row (n = 1): the chains of a block of columns advance together
// over p (unit stride over the columns of b when b is row-major, which vectorizes).
NOMA_ALWAYS_INLINE inline void RowRegion(const Problem& pr, int64_t j0, int64_t j1) {
  constexpr int64_t kBlock = 512;  // Partial sums that stay in L1.
  const MatrixOperand& a = pr.a;
  const MatrixOperand& b = pr.b;
  for (int64_t jb = j0; jb < j1; jb += kBlock) {
    int64_t je = std::min(j1, jb + kBlock);
    double* c = pr.c;
    for (int64_t j = jb; j < je; ++j) c[j] = 0.0;
    for (int64_t p = 0; p < pr.k; ++p) {
      double av = a.data[p * a.col_stride];
      const double* brow = b.data + p * b.row_stride;
      if (b.col_stride == 1) {
        for (int64_t j = jb; j < je; ++j) c[j] = std::fma(av, brow[j], c[j]);
      } else {
        for (int64_t j = jb; j < je; ++j) c[j] = std::fma(av, brow[j * b.col_stride], c[j]);
      }
    }
  }
}

NOMA_ALWAYS_INLINE inline double DotLoop(const double* x, const double* y, int64_t n) {
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) total = std::fma(x[i], y[i], total);
  return total;
}

// ---- Portable: scalar std::fma (a libm call where the build has no FMA instructions). ----

struct PortableFamily {
  static constexpr int kMR = 4, kNR = 4;
  static constexpr int64_t kMC = 128, kKC = 256, kNC = 1024;
  static void Micro(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc,
                    bool first) {
    double acc[kMR][kNR];
    for (int r = 0; r < kMR; ++r) {
      for (int q = 0; q < kNR; ++q) acc[r][q] = first ? 0.0 : c[r * ldc + q];
    }
    for (int64_t p = 0; p < kc; ++p, ap += kMR, bp += kNR) {
      for (int r = 0; r < kMR; ++r) {
        for (int q = 0; q < kNR; ++q) acc[r][q] = std::fma(ap[r], bp[q], acc[r][q]);
      }
    }
    for (int r = 0; r < kMR; ++r) {
      for (int q = 0; q < kNR; ++q) c[r * ldc + q] = acc[r][q];
    }
  }
};

void ColumnPortable(const Problem& pr, int64_t i0, int64_t i1) { ColumnRegion(pr, i0, i1); }
void RowPortable(const Problem& pr, int64_t j0, int64_t j1) { RowRegion(pr, j0, j1); }
double DotPortable(const double* x, const double* y, int64_t n) { return DotLoop(x, y, n); }

// ---- AVX2 + FMA: 6 x 8 tiles, twelve ymm accumulators (BLIS's Haswell shape): each step
// loads two vectors of b and broadcasts six values of a, for twelve fused multiply-adds. ----

struct Avx2Family {
  static constexpr int kMR = 6, kNR = 8;
  static constexpr int64_t kMC = 144, kKC = 256, kNC = 2048;
  __attribute__((target("avx2,fma"))) static void Micro(int64_t kc, const double* ap,
                                                        const double* bp, double* c, int64_t ldc,
                                                        bool first) {
    // Named accumulators: GCC keeps an array of vectors on the stack inside the loop.
    __m256d c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (first) {
      c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_pd();
    } else {
      c00 = _mm256_loadu_pd(c), c01 = _mm256_loadu_pd(c + 4);
      c10 = _mm256_loadu_pd(c + ldc), c11 = _mm256_loadu_pd(c + ldc + 4);
      c20 = _mm256_loadu_pd(c + 2 * ldc), c21 = _mm256_loadu_pd(c + 2 * ldc + 4);
      c30 = _mm256_loadu_pd(c + 3 * ldc), c31 = _mm256_loadu_pd(c + 3 * ldc + 4);
      c40 = _mm256_loadu_pd(c + 4 * ldc), c41 = _mm256_loadu_pd(c + 4 * ldc + 4);
      c50 = _mm256_loadu_pd(c + 5 * ldc), c51 = _mm256_loadu_pd(c + 5 * ldc + 4);
    }
    for (int64_t p = 0; p < kc; ++p, ap += kMR, bp += kNR) {
      __m256d b0 = _mm256_load_pd(bp);
      __m256d b1 = _mm256_load_pd(bp + 4);
      __m256d av = _mm256_broadcast_sd(ap);
      c00 = _mm256_fmadd_pd(av, b0, c00), c01 = _mm256_fmadd_pd(av, b1, c01);
      av = _mm256_broadcast_sd(ap + 1);
      c10 = _mm256_fmadd_pd(av, b0, c10), c11 = _mm256_fmadd_pd(av, b1, c11);
      av = _mm256_broadcast_sd(ap + 2);
      c20 = _mm256_fmadd_pd(av, b0, c20), c21 = _mm256_fmadd_pd(av, b1, c21);
      av = _mm256_broadcast_sd(ap + 3);
      c30 = _mm256_fmadd_pd(av, b0, c30), c31 = _mm256_fmadd_pd(av, b1, c31);
      av = _mm256_broadcast_sd(ap + 4);
      c40 = _mm256_fmadd_pd(av, b0, c40), c41 = _mm256_fmadd_pd(av, b1, c41);
      av = _mm256_broadcast_sd(ap + 5);
      c50 = _mm256_fmadd_pd(av, b0, c50), c51 = _mm256_fmadd_pd(av, b1, c51);
    }
    _mm256_storeu_pd(c, c00), _mm256_storeu_pd(c + 4, c01);
    _mm256_storeu_pd(c + ldc, c10), _mm256_storeu_pd(c + ldc + 4, c11);
    _mm256_storeu_pd(c + 2 * ldc, c20), _mm256_storeu_pd(c + 2 * ldc + 4, c21);
    _mm256_storeu_pd(c + 3 * ldc, c30), _mm256_storeu_pd(c + 3 * ldc + 4, c31);
    _mm256_storeu_pd(c + 4 * ldc, c40), _mm256_storeu_pd(c + 4 * ldc + 4, c41);
    _mm256_storeu_pd(c + 5 * ldc, c50), _mm256_storeu_pd(c + 5 * ldc + 4, c51);
  }
};

__attribute__((target("avx2,fma"))) void ColumnAvx2(const Problem& pr, int64_t i0, int64_t i1) {
  ColumnRegion(pr, i0, i1);
}
__attribute__((target("avx2,fma"))) void RowAvx2(const Problem& pr, int64_t j0, int64_t j1) {
  RowRegion(pr, j0, j1);
}
__attribute__((target("avx2,fma"))) double DotAvx2(const double* x, const double* y, int64_t n) {
  return DotLoop(x, y, n);
}

// ---- AVX-512F: 8 x 16 tiles, sixteen zmm accumulators. ----

struct Avx512Family {
  static constexpr int kMR = 8, kNR = 16;
  static constexpr int64_t kMC = 128, kKC = 256, kNC = 2048;
  __attribute__((target("avx512f"))) static void Micro(int64_t kc, const double* ap,
                                                       const double* bp, double* c, int64_t ldc,
                                                       bool first) {
    __m512d acc[kMR][2];
    for (int r = 0; r < kMR; ++r) {
      for (int v = 0; v < 2; ++v) {
        acc[r][v] = first ? _mm512_setzero_pd() : _mm512_loadu_pd(c + r * ldc + 8 * v);
      }
    }
    for (int64_t p = 0; p < kc; ++p, ap += kMR, bp += kNR) {
      __m512d b0 = _mm512_load_pd(bp);
      __m512d b1 = _mm512_load_pd(bp + 8);
      for (int r = 0; r < kMR; ++r) {
        __m512d av = _mm512_set1_pd(ap[r]);
        acc[r][0] = _mm512_fmadd_pd(av, b0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_pd(av, b1, acc[r][1]);
      }
    }
    for (int r = 0; r < kMR; ++r) {
      for (int v = 0; v < 2; ++v) _mm512_storeu_pd(c + r * ldc + 8 * v, acc[r][v]);
    }
  }
};

__attribute__((target("avx512f"))) void ColumnAvx512(const Problem& pr, int64_t i0, int64_t i1) {
  ColumnRegion(pr, i0, i1);
}
__attribute__((target("avx512f"))) void RowAvx512(const Problem& pr, int64_t j0, int64_t j1) {
  RowRegion(pr, j0, j1);
}

// One kernel family's entry points.
struct Family {
  void (*region)(const Problem&, int64_t, int64_t, int64_t, int64_t);
  void (*column)(const Problem&, int64_t, int64_t);
  void (*row)(const Problem&, int64_t, int64_t);
  double (*dot)(const double*, const double*, int64_t);
  int64_t mr, nr;  // Tile shape: thread splits are multiples of it.
};

const Family& FamilyFor(int level) {
  static const Family kPortable = {
      GemmRegion<PortableFamily>, ColumnPortable,     RowPortable, DotPortable,
      PortableFamily::kMR,        PortableFamily::kNR};
  static const Family kAvx2 = {GemmRegion<Avx2Family>, ColumnAvx2,     RowAvx2, DotAvx2,
                               Avx2Family::kMR,        Avx2Family::kNR};
  // A single chain has nothing to vectorize: AVX-512 adds nothing to the dot product.
  static const Family kAvx512 = {GemmRegion<Avx512Family>, ColumnAvx512,     RowAvx512, DotAvx2,
                                 Avx512Family::kMR,        Avx512Family::kNR};
  level = std::min(level, MaxKernelLevel());
  if (level >= 3) return kAvx512;
  if (level == 2) return kAvx2;
  return kPortable;
}

// Below this many multiply-adds per thread (about 10 us) a product stays on one thread. With
// the pool's workers spinning between kernels a hand-off costs about a microsecond, so the
// MLP benchmark's [1024, 64] products (1-4 M multiply-adds) are split.
constexpr int64_t kGemmGrain = int64_t{1} << 18;

void RunGemm(const Family& family, const Problem& pr, int threads) {
  if (pr.k == 0) {
    std::fill(pr.c, pr.c + pr.n * pr.m, 0.0);
    return;
  }
  // Output blocks per task: bands of rows when there are enough, else of columns; each task
  // computes its elements completely, so the split changes no result.
  bool by_rows = pr.m == 1 || (pr.n != 1 && pr.n / family.mr >= pr.m / family.nr);
  int64_t extent = by_rows ? pr.n : pr.m;
  int64_t unit = pr.m == 1 || pr.n == 1 ? 64 : (by_rows ? family.mr : family.nr);
  int64_t units = (extent + unit - 1) / unit;
  // One task per thread (not kTasksPerThread): every task packs the whole shared operand, which
  // for the k-heavy weight gradients (64 x 1024 . 1024 x 64) costs as much as its products.
  int64_t tasks = std::min<int64_t>(threads, units);
  int64_t per_task = (units + tasks - 1) / tasks * unit;
  tasks = (extent + per_task - 1) / per_task;
  auto task = [&](int64_t t) {
    int64_t lo = t * per_task, hi = std::min(extent, lo + per_task);
    if (pr.m == 1) {
      family.column(pr, lo, hi);
    } else if (pr.n == 1) {
      family.row(pr, lo, hi);
    } else if (by_rows) {
      family.region(pr, lo, hi, 0, pr.m);
    } else {
      family.region(pr, 0, pr.n, lo, hi);
    }
  };
  if (tasks <= 1) {
    task(0);
  } else {
    ParallelFor(tasks, task);
  }
}

}  // namespace

void Gemm(int64_t n, int64_t k, int64_t m, MatrixOperand a, MatrixOperand b, double* c) {
  if (n <= 0 || m <= 0) return;
  RunGemm(FamilyFor(KernelLevel()), Problem{n, k, m, a, b, c}, ThreadsFor(n * k * m, kGemmGrain));
}

void GemmWithLevel(int level, int64_t n, int64_t k, int64_t m, MatrixOperand a, MatrixOperand b,
                   double* c) {
  if (n <= 0 || m <= 0) return;
  RunGemm(FamilyFor(level), Problem{n, k, m, a, b, c}, 1);
}

void MatmulKernel(const double* a, const double* b, double* c, int64_t n, int64_t k, int64_t m) {
  Gemm(n, k, m, {a, k, 1}, {b, m, 1}, c);
}

void MatmulTransposedAKernel(const double* a, const double* b, double* c, int64_t n, int64_t k,
                             int64_t m) {
  Gemm(n, k, m, {a, 1, n}, {b, m, 1}, c);
}

void MatmulTransposedBKernel(const double* a, const double* b, double* c, int64_t n, int64_t k,
                             int64_t m) {
  Gemm(n, k, m, {a, k, 1}, {b, 1, k}, c);
}

double DotKernel(const double* x, const double* y, int64_t n) {
  return FamilyFor(KernelLevel()).dot(x, y, n);
}

}  // namespace noma::runtime::internal
