// Speed and accuracy of the runtime's elementary functions (exp, tanh, sigmoid, softplus; log
// for comparison) for every kernel family the CPU runs: M elements/s of UnaryArrayKernel over
// 65536 elements of [-4, 4) (one thread, median of repetitions), the max error in ulp against
// long double references over dense sweeps, and whether every family gives the portable
// family's bits. Built and run by run_elementary_bench.sh (bench/RESULTS.md).
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iterator>
#include <limits>
#include <vector>

#include "noma/runtime/internal/kernels.h"
#include "noma/runtime/threads.h"

namespace {

using noma::runtime::UnaryKernel;
using noma::runtime::internal::KernelLevel;
using noma::runtime::internal::MaxKernelLevel;
using noma::runtime::internal::SetKernelLevel;
using noma::runtime::internal::UnaryArrayKernel;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// CPU time of this thread: on a machine that other jobs load, time spent descheduled does not
// count (a per-core rate).
double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

long double SigmoidRef(long double x) {
  long double e = expl(-fabsl(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}
long double SoftplusRef(long double x) { return (x > 0 ? x : 0) + log1pl(expl(-fabsl(x))); }

struct Function {
  const char* name;
  UnaryKernel op;
  long double (*exact)(long double);
  // Sweep ranges: [lo, hi) dense, plus +-2^u for small magnitudes.
  double lo, hi;
};

const Function kFunctions[] = {
    {"tanh", UnaryKernel::kTanh, tanhl, -20, 20},
    {"exp", UnaryKernel::kExp, expl, -708, 709.78},
    {"sigmoid", UnaryKernel::kSigmoid, SigmoidRef, -40, 40},
    {"softplus", UnaryKernel::kSoftplus, SoftplusRef, -40, 40},
    {"log", UnaryKernel::kLog, logl, 1e-3, 1e3},
};

// Further accuracy sweeps: where the reduction's k changes from 0 to 1 and from 52 to 53
// (tanh), subnormal results (exp), and wide ranges.
const Function kAccuracyOnly[] = {
    {"tanh", UnaryKernel::kTanh, tanhl, -1.5, 1.5},
    {"tanh", UnaryKernel::kTanh, tanhl, 0.1, 0.25},
    {"tanh", UnaryKernel::kTanh, tanhl, 17.5, 19.5},
    {"exp", UnaryKernel::kExp, expl, -1, 1},
    {"exp", UnaryKernel::kExp, expl, -745.2, -708},
    {"sigmoid", UnaryKernel::kSigmoid, SigmoidRef, -740, 740},
    {"softplus", UnaryKernel::kSoftplus, SoftplusRef, -740, 740},
};

// Error in ulp of the correctly rounded result (subnormal spacing below the normal range).
double UlpError(double y, long double exact) {
  double nearest = static_cast<double>(exact);
  if (std::isnan(nearest) || std::isinf(nearest)) {
    return (y == nearest || (y != y && nearest != nearest)) ? 0 : 1e9;
  }
  int exponent;
  std::frexp(nearest == 0 ? std::numeric_limits<double>::min() : nearest, &exponent);
  long double ulp = std::ldexp(1.0L, std::max(exponent - 53, -1074));
  return static_cast<double>(fabsl(static_cast<long double>(y) - exact) / ulp);
}

}  // namespace

int main(int argc, char** argv) {
  int reps = argc > 1 ? std::atoi(argv[1]) : 9;
  long sweep = argc > 2 ? std::atol(argv[2]) : 4000000;
  noma::runtime::SetThreadCount(1);
  const char* level_names[] = {"portable", "sse4.2", "avx2", "avx512"};
  // Speed.
  const int n = 1 << 16;
  std::vector<double> x(n), y(n);
  for (int i = 0; i < n; ++i) x[i] = -4.0 + 8.0 * i / n;
  std::printf("M elements/s (thread CPU time), 65536 elements of [-4, 4), 1 thread, median of %d\n",
              reps);
  std::printf("%-9s", "");
  for (int level = 0; level <= MaxKernelLevel(); ++level) std::printf("%10s", level_names[level]);
  std::printf("\n");
  for (const Function& f : kFunctions) {
    std::printf("%-9s", f.name);
    for (int level = 0; level <= MaxKernelLevel(); ++level) {
      SetKernelLevel(level);
      std::vector<double> t;
      int calls = level < 2 ? 20 : 200;
      for (int rep = 0; rep < reps; ++rep) {
        double start = ThreadSeconds();
        for (int c = 0; c < calls; ++c) UnaryArrayKernel(f.op, x.data(), 1, y.data(), n);
        t.push_back((ThreadSeconds() - start) / calls);
      }
      std::printf("%10.0f", n / Median(t) / 1e6);
    }
    std::printf("\n");
  }
  // Accuracy and identity: a dense uniform sweep of [lo, hi), +-2^u for u in [-70, log2(hi)),
  // and random bit patterns (identity only).
  std::printf("\nmax error in ulp over %ld points per function; families vs portable bits\n",
              sweep);
  std::vector<Function> sweeps(std::begin(kFunctions), std::end(kFunctions));
  sweeps.insert(sweeps.end(), std::begin(kAccuracyOnly), std::end(kAccuracyOnly));
  for (const Function& f : sweeps) {
    std::vector<double> in;
    in.reserve(sweep + sweep / 4 + 4096);
    for (long i = 0; i < sweep; ++i) in.push_back(f.lo + (f.hi - f.lo) * (i + 0.5) / sweep);
    double top = std::log2(std::max(std::fabs(f.lo), std::fabs(f.hi)));
    for (long i = 0; i < sweep / 4; ++i) {
      double v = std::exp2(-70 + (top + 70) * (i + 0.5) / (sweep / 4));
      in.push_back(i % 2 ? -v : v);
    }
    size_t measured = in.size();
    uint64_t state = 88172645463325252ull;
    for (int i = 0; i < 4096; ++i) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      double v;
      std::memcpy(&v, &state, sizeof v);
      in.push_back(v);
    }
    std::vector<double> want(in.size()), got(in.size());
    SetKernelLevel(0);
    UnaryArrayKernel(f.op, in.data(), 1, want.data(), static_cast<int64_t>(in.size()));
    double worst = 0, at = 0;
    for (size_t i = 0; i < measured; ++i) {
      if (f.op == UnaryKernel::kLog && in[i] <= 0) continue;
      double e = UlpError(want[i], f.exact(in[i]));
      if (e > worst) worst = e, at = in[i];
    }
    std::printf("%-9s [%g, %g): max %.3f ulp (at %a)", f.name, f.lo, f.hi, worst, at);
    for (int level = 1; level <= MaxKernelLevel(); ++level) {
      SetKernelLevel(level);
      UnaryArrayKernel(f.op, in.data(), 1, got.data(), static_cast<int64_t>(in.size()));
      size_t diff = 0;
      for (size_t i = 0; i < in.size(); ++i) {
        bool same = std::memcmp(&got[i], &want[i], sizeof(double)) == 0 ||
                    (got[i] != got[i] && want[i] != want[i]);
        diff += !same;
      }
      std::printf("  %s: %s", level_names[level], diff == 0 ? "same" : "DIFFERENT");
      if (diff) std::printf(" (%zu)", diff);
    }
    std::printf("\n");
  }
  SetKernelLevel(-1);
  return 0;
}
