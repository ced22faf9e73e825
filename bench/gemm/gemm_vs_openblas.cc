// NOMA's matmul kernel against OpenBLAS's dgemm in the same process, alternating, on the same
// operands: 1024^3 and the MLP benchmark's forward and backward shapes. Built and run by
// bench/gemm/run_gemm_bench.sh (OpenBLAS is a system library, not a Bazel dependency).
//
//   gemm_vs_openblas [repetitions]     (NOMA_CPU, NOMA_THREADS and OPENBLAS_NUM_THREADS apply)
//
// Prints one line per shape: GFLOP/s of each (median over the repetitions, each the mean of
// enough calls for about 0.2 s) and their ratio, and whether NOMA's result equals the fma chain
// of docs/numerics.md.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "noma/runtime/internal/gemm.h"
#include "noma/runtime/internal/kernels.h"
#include "noma/runtime/threads.h"

extern "C" void cblas_dgemm(int order, int trans_a, int trans_b, int m, int n, int k, double alpha,
                            const double* a, int lda, const double* b, int ldb, double beta,
                            double* c, int ldc);

namespace {

constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

struct Case {
  const char* name;
  int n, k, m;
  bool ta, tb;  // Operand stored transposed (a as [k, n], b as [m, k]).
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F>
double SecondsPerCall(F f, int calls) {
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / calls;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace noma::runtime::internal;
  int reps = argc > 1 ? std::atoi(argv[1]) : 7;
  const Case cases[] = {
      {"1024^3", 1024, 1024, 1024, false, false},
      {"fwd x@w1 1024x16 @ 16x64", 1024, 16, 64, false, false},
      {"fwd h1@w2 1024x64 @ 64x64", 1024, 64, 64, false, false},
      {"fwd h2@w3 1024x64 @ 64x1", 1024, 64, 1, false, false},
      {"bwd g@w2T 1024x64 @ (64x64)T", 1024, 64, 64, false, true},
      {"bwd g@w3T 1024x1 @ (64x1)T", 1024, 1, 64, false, true},
      {"bwd h1T@g (1024x64)T @ 1024x64", 64, 1024, 64, true, false},
      {"bwd xT@g (1024x16)T @ 1024x64", 16, 1024, 64, true, false},
      {"bwd h2T@g (1024x64)T @ 1024x1", 64, 1024, 1, true, false},
  };
  std::printf("kernel level %d (max %d), %d NOMA thread(s), OPENBLAS_NUM_THREADS=%s\n",
              KernelLevel(), MaxKernelLevel(), noma::runtime::ThreadCount(),
              std::getenv("OPENBLAS_NUM_THREADS") ? std::getenv("OPENBLAS_NUM_THREADS") : "unset");
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> value(-1.0, 1.0);
  for (const Case& cs : cases) {
    std::vector<double> a(static_cast<size_t>(cs.n) * cs.k), b(static_cast<size_t>(cs.k) * cs.m);
    for (double& x : a) x = value(rng);
    for (double& x : b) x = value(rng);
    std::vector<double> c(static_cast<size_t>(cs.n) * cs.m), r(c.size());
    MatrixOperand ao = cs.ta ? MatrixOperand{a.data(), 1, cs.n} : MatrixOperand{a.data(), cs.k, 1};
    MatrixOperand bo = cs.tb ? MatrixOperand{b.data(), 1, cs.k} : MatrixOperand{b.data(), cs.m, 1};
    auto noma = [&] { Gemm(cs.n, cs.k, cs.m, ao, bo, c.data()); };
    auto blas = [&] {
      cblas_dgemm(kRowMajor, cs.ta ? kTrans : kNoTrans, cs.tb ? kTrans : kNoTrans, cs.n, cs.m, cs.k,
                  1.0, a.data(), cs.ta ? cs.n : cs.k, b.data(), cs.tb ? cs.k : cs.m, 0.0, r.data(),
                  cs.m);
    };
    double flops = 2.0 * cs.n * cs.k * cs.m;
    int calls = std::max(1, static_cast<int>(0.2 * 40e9 / flops));
    noma();
    blas();
    std::vector<double> tn, tb;
    for (int rep = 0; rep < reps; ++rep) {
      tn.push_back(SecondsPerCall(noma, calls));
      tb.push_back(SecondsPerCall(blas, calls));
    }
    // The fma chain, element by element, on a sample of outputs.
    bool exact = true;
    for (size_t e = 0; e < c.size(); e += 1 + c.size() / 997) {
      int64_t i = e / cs.m, j = e % cs.m;
      double acc = 0.0;
      for (int64_t p = 0; p < cs.k; ++p) {
        acc = std::fma(ao.data[i * ao.row_stride + p * ao.col_stride],
                       bo.data[p * bo.row_stride + j * bo.col_stride], acc);
      }
      exact = exact && std::memcmp(&acc, &c[e], sizeof(double)) == 0;
    }
    double gn = flops / Median(tn) / 1e9, gb = flops / Median(tb) / 1e9;
    std::printf("%-34s NOMA %6.1f GFLOP/s  OpenBLAS %6.1f GFLOP/s  ratio %5.2f  %s\n", cs.name, gn,
                gb, gn / gb, exact ? "fma-chain exact" : "NOT EXACT");
  }
  // The elementary functions over 65536 elements of [-4, 4), one call at a time.
  const int n = 1 << 16;
  std::vector<double> x(n), y(n);
  for (int i = 0; i < n; ++i) x[i] = -4.0 + 8.0 * i / n;
  const struct {
    const char* name;
    noma::runtime::UnaryKernel op;
  } unary[] = {{"tanh", noma::runtime::UnaryKernel::kTanh},
               {"exp", noma::runtime::UnaryKernel::kExp},
               {"sigmoid", noma::runtime::UnaryKernel::kSigmoid},
               {"log", noma::runtime::UnaryKernel::kLog}};
  for (const auto& u : unary) {
    std::vector<double> t;
    for (int rep = 0; rep < reps; ++rep) {
      t.push_back(SecondsPerCall([&] { UnaryArrayKernel(u.op, x.data(), 1, y.data(), n); }, 200));
    }
    std::printf("%-8s %6.0f M elements/s\n", u.name, n / Median(t) / 1e6);
  }
  return 0;
}
