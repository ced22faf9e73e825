// Interpreter dispatch overhead: a scalar loop whose body is a handful of IR ops, so the time
// is dominated by executing ops, not by kernels.
#include <sstream>
#include <string>

#include "benchmark/benchmark.h"
#include "noma/driver/driver.h"

namespace {

void BM_ScalarLoop(benchmark::State& state) {
  const int64_t iterations = state.range(0);
  std::string program = "fn main() {\n  let i = 0;\n  let acc = 0;\n  while i < " +
                        std::to_string(iterations) +
                        " {\n    acc = acc + i * 0.5;\n    i = i + 1;\n  }\n  print(acc);\n}\n";
  noma::driver::Compilation compilation;
  if (!noma::driver::CompileSource("bench.noma", program, noma::driver::Stage::kDifferentiate,
                                   compilation)) {
    state.SkipWithError("program does not compile");
    return;
  }
  // Ops per iteration: cond region (load, const, lt, yield) + body (load, load, const, mul,
  // add, store, load, const, add, store).
  constexpr int64_t kOpsPerIteration = 14;
  for (auto _ : state) {
    std::ostringstream out, err;
    noma::interp::Options options;
    options.out = &out;
    options.err = &err;
    options.sources = &compilation.sources;
    benchmark::DoNotOptimize(noma::driver::Interpret(compilation, options));
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * iterations * kOpsPerIteration),
                         benchmark::Counter::kIsRate);
}
// The interpreter runs on its own large-stack thread: CPU time of the calling thread would
// miss it, so report wall-clock time.
BENCHMARK(BM_ScalarLoop)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
