#include "noma/runtime/rng.h"

#include <algorithm>
#include <cmath>

namespace noma::runtime {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

constexpr double kTwoPi = 6.283185307179586476925286766559;

}  // namespace

uint64_t SeedFromDouble(double n) {
  if (std::isnan(n)) return 0;
  // 2^63 - 1024 is the largest double below 2^63.
  double clamped = std::trunc(std::clamp(n, -9223372036854775808.0, 9223372036854774784.0));
  return static_cast<uint64_t>(static_cast<int64_t>(clamped));
}

void Rng::Seed(uint64_t seed) {
  uint64_t x = seed;
  for (uint64_t& word : state_) word = SplitMix64(x);
}

uint64_t Rng::NextU64() {  // xoshiro256**
  uint64_t result = Rotl(state_[1] * 5, 7) * 9;
  uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = Rotl(state_[3], 45);
  return result;
}

double Rng::Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

double Rng::Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

double Rng::Normal(double mean, double stddev) {
  double u1 = 1.0 - Uniform();  // (0, 1]: log is finite.
  double u2 = Uniform();
  return mean + stddev * (std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2));
}

Tensor Rng::UniformTensor(Shape shape) {
  Tensor t = Tensor::Zeros(std::move(shape));
  for (double& x : t.values()) x = Uniform();
  return t;
}

Tensor Rng::NormalTensor(double mean, double stddev, Shape shape) {
  Tensor t = Tensor::Zeros(std::move(shape));
  for (double& x : t.values()) x = Normal(mean, stddev);
  return t;
}

Tensor Rng::Xavier(double fan_in, double fan_out, Shape shape) {
  double a = std::sqrt(6.0 / (fan_in + fan_out));
  Tensor t = Tensor::Zeros(std::move(shape));
  for (double& x : t.values()) x = Uniform(-a, a);
  return t;
}

Tensor Rng::He(double fan_in, Shape shape) {
  return NormalTensor(0.0, std::sqrt(2.0 / fan_in), std::move(shape));
}

}  // namespace noma::runtime
