#ifndef NOMA_RUNTIME_RNG_H_
#define NOMA_RUNTIME_RNG_H_

#include <cstdint>

#include "noma/runtime/tensor.h"

namespace noma::runtime {

// The seed for `seed(n)` with an f64 `n`, identical in every mode: truncated toward zero,
// saturated to the int64 range (NaN gives 0), then reinterpreted as uint64 (two's complement,
// so seed(-1) is 0xffffffffffffffff).
uint64_t SeedFromDouble(double n);

// The program's single deterministic generator (docs/language.md §5). The algorithm is fixed and
// documented in docs/runtime.md so that every execution mode (interpreter, JIT, executable, GPU
// host) produces the identical stream: xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { Seed(seed); }
  void Seed(uint64_t seed);
  uint64_t NextU64();
  double Uniform();                           // [0, 1), 53 random bits.
  double Uniform(double lo, double hi);       // lo + (hi - lo) * Uniform()
  double Normal(double mean, double stddev);  // Box–Muller, two uniforms per draw, no caching.

  Tensor UniformTensor(Shape shape);  // rand_tensor: U[0, 1)
  Tensor NormalTensor(double mean, double stddev, Shape shape);
  Tensor Xavier(double fan_in, double fan_out, Shape shape);  // U(-a, a), a = sqrt(6/(in+out))
  Tensor He(double fan_in, Shape shape);                      // N(0, sqrt(2/fan_in))

 private:
  uint64_t state_[4];
};

}  // namespace noma::runtime

#endif  // NOMA_RUNTIME_RNG_H_
