// Google Benchmark for the noma/runtime tensor kernels.
//   bazel run -c opt //bench:runtime_bench -- --benchmark_counters_tabular=true

#include <cstdint>

#include "benchmark/benchmark.h"
#include "noma/runtime/rng.h"
#include "noma/runtime/tensor.h"
#include "noma/runtime/threads.h"

namespace noma::runtime {
namespace {

Tensor Random(Shape shape, uint64_t seed = 1) {
  Rng rng(seed);
  return rng.UniformTensor(std::move(shape));
}

void SetFlops(benchmark::State& state, double flops_per_iteration) {
  state.counters["FLOP/s"] =
      benchmark::Counter(flops_per_iteration, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::OneK::kIs1000);
}

void BM_Matmul(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = Random({n, n}, 1);
  Tensor b = Random({n, n}, 2);
  for (auto _ : state) {
    auto c = Matmul(a, b);
    benchmark::DoNotOptimize(c);
  }
  SetFlops(state, 2.0 * n * n * n);
}
BENCHMARK(BM_Matmul)->Arg(64)->Arg(128)->Arg(256)->Arg(512);

// MatmulInto [n, k] @ [k, m] into a reused result (the kernel without the allocation) on
// `threads` threads: 1024^3 and the MLP benchmark's shapes (bench/codegen/mlp.noma: batch 1024,
// 16 -> 64 -> 64 -> 1; forward products, then the backward ones after their transposes).
// Real time, since with threads the CPU time of the calling thread undercounts.
// NOMA_CPU=avx2 measures the AVX2 kernels on an AVX-512 CPU.
void BM_Gemm(benchmark::State& state) {
  int64_t n = state.range(0), k = state.range(1), m = state.range(2);
  SetThreadCount(static_cast<int>(state.range(3)));
  Tensor a = Random({n, k}, 1);
  Tensor b = Random({k, m}, 2);
  Tensor c;
  for (auto _ : state) {
    benchmark::DoNotOptimize(MatmulInto(a, b, &c));
    benchmark::DoNotOptimize(c.data());
  }
  SetFlops(state, 2.0 * n * k * m);
  SetThreadCount(0);
}
BENCHMARK(BM_Gemm)
    ->ArgNames({"n", "k", "m", "threads"})
    ->ArgsProduct({{1024}, {1024}, {1024}, {1, 2}})
    ->Args({1024, 16, 64, 1})  // Forward: x @ w1.
    ->Args({1024, 64, 64, 1})  // Forward: h1 @ w2; backward: g @ w2ᵀ.
    ->Args({1024, 64, 1, 1})   // Forward: h2 @ w3.
    ->Args({1024, 1, 64, 1})   // Backward: g @ w3ᵀ.
    ->Args({64, 1024, 64, 1})  // Backward: h1ᵀ @ g (weight gradient).
    ->Args({16, 1024, 64, 1})  // Backward: xᵀ @ g.
    ->Args({64, 1024, 1, 1})   // Backward: h2ᵀ @ g.
    ->Args({1024, 64, 16, 1})  // Backward: g @ w1ᵀ (not needed by the program, but typical).
    ->UseRealTime();

// The textbook i-j-p loop, for comparison with the blocked kernel.
void BM_MatmulTextbook(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = Random({n, n}, 1);
  Tensor b = Random({n, n}, 2);
  for (auto _ : state) {
    Tensor c = Tensor::Zeros({n, n});
    const double* x = a.data();
    const double* y = b.data();
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double total = 0;
        for (int64_t p = 0; p < n; ++p) total += x[i * n + p] * y[p * n + j];
        c.data()[i * n + j] = total;
      }
    }
    benchmark::DoNotOptimize(c);
  }
  SetFlops(state, 2.0 * n * n * n);
}
BENCHMARK(BM_MatmulTextbook)->Arg(64)->Arg(128)->Arg(256);

// Elementwise add of [n, n] with a second operand of the given kind.
enum Operand { kSameShape = 0, kRow = 1, kColumn = 2, kScalar = 3 };

void BM_Add(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = Random({n, n}, 1);
  Tensor b;
  switch (state.range(1)) {
    case kSameShape:
      b = Random({n, n}, 2);
      state.SetLabel("[n,n]+[n,n]");
      break;
    case kRow:
      b = Random({n}, 2);
      state.SetLabel("[n,n]+[n]");
      break;
    case kColumn:
      b = Random({n, 1}, 2);
      state.SetLabel("[n,n]+[n,1]");
      break;
    default:
      b = Tensor::Scalar(0.5);
      state.SetLabel("[n,n]+scalar");
      break;
  }
  for (auto _ : state) {
    auto c = Binary(BinaryKernel::kAdd, a, b);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * n * n);
}
BENCHMARK(BM_Add)->ArgsProduct({{512}, {kSameShape, kRow, kColumn, kScalar}});

void BM_OuterBroadcast(benchmark::State& state) {  // [n,1] + [1,n]
  int64_t n = state.range(0);
  Tensor a = Random({n, 1}, 1);
  Tensor b = Random({1, n}, 2);
  for (auto _ : state) {
    auto c = Binary(BinaryKernel::kMul, a, b);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * n * n);
}
BENCHMARK(BM_OuterBroadcast)->Arg(512);

void BM_Sigmoid(benchmark::State& state) {
  Tensor a = Random({state.range(0)});
  for (auto _ : state) {
    Tensor c = Unary(UnaryKernel::kSigmoid, a);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sigmoid)->Arg(1 << 16);

// UnaryArray over 65536 elements into a preallocated output: the kernel alone, without the
// result tensor's allocation. Inputs are uniform in [-4, 4) (the range where tanh and sigmoid
// are not saturated and exp neither overflows nor underflows).
void BM_UnaryArray(benchmark::State& state) {
  auto op = static_cast<UnaryKernel>(state.range(0));
  int64_t n = state.range(1);
  SetThreadCount(static_cast<int>(state.range(2)));
  Tensor a = Random({n});
  for (double& x : a.values()) x = 8 * x - 4;
  Tensor out = Tensor::Zeros({n});
  for (auto _ : state) {
    UnaryArray(op, a.data(), 1, out.data(), n);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(op == UnaryKernel::kTanh  ? "tanh"
                 : op == UnaryKernel::kExp ? "exp"
                 : op == UnaryKernel::kLog ? "log"
                                           : "sigmoid");
  state.SetItemsProcessed(state.iterations() * n);
  SetThreadCount(0);
}
BENCHMARK(BM_UnaryArray)
    ->ArgNames({"op", "n", "threads"})
    ->ArgsProduct(
        {{static_cast<int64_t>(UnaryKernel::kTanh), static_cast<int64_t>(UnaryKernel::kExp),
          static_cast<int64_t>(UnaryKernel::kSigmoid), static_cast<int64_t>(UnaryKernel::kLog)},
         {1 << 16},
         {1, 2}})
    ->UseRealTime();

// Unary() with the result's allocation: what the interpreter pays per tanh of a [1024, 64]
// layer.
void BM_UnaryTanh(benchmark::State& state) {
  Tensor a = Random({1024, 64});
  for (double& x : a.values()) x = 8 * x - 4;
  for (auto _ : state) {
    Tensor c = Unary(UnaryKernel::kTanh, a);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * a.size());
}
BENCHMARK(BM_UnaryTanh);

void BM_SumAll(benchmark::State& state) {
  Tensor a = Random({state.range(0)});
  for (auto _ : state) {
    Tensor s = SumAll(a);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SumAll)->Arg(1 << 20);

void BM_SumAxis(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = Random({n, n});
  for (auto _ : state) {
    auto s = SumAxis(a, state.range(1));
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * n * n);
}
BENCHMARK(BM_SumAxis)->Args({1024, 0})->Args({1024, 1});

void BM_SumToShape(benchmark::State& state) {  // Bias gradient: [n, n] -> [n].
  int64_t n = state.range(0);
  Tensor a = Random({n, n});
  for (auto _ : state) {
    auto s = SumToShape(a, {n});
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * n * n);
}
BENCHMARK(BM_SumToShape)->Arg(1024);

// Transpose of [n, m], including the result's allocation; [1024, 64] and [64, 1024] are the
// MLP benchmark's activations and their gradients.
void BM_Transpose(benchmark::State& state) {
  int64_t n = state.range(0), m = state.range(1);
  Tensor a = Random({n, m});
  for (auto _ : state) {
    auto t = Transpose(a);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations() * n * m);
}
BENCHMARK(BM_Transpose)
    ->Args({1024, 1024})
    ->Args({1000, 999})
    ->Args({512, 512})
    ->Args({1024, 64})
    ->Args({64, 1024});

// Tensor::Zeros alone: the zero fill (and allocation) every kernel result pays, since
// std::vector<double> value-initialises.
void BM_Zeros(benchmark::State& state) {
  int64_t n = state.range(0), m = state.range(1);
  for (auto _ : state) {
    Tensor t = Tensor::Zeros({n, m});
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations() * n * m);
}
BENCHMARK(BM_Zeros)->Args({1024, 64})->Args({1024, 1024});

}  // namespace
}  // namespace noma::runtime
