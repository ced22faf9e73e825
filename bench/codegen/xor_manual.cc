// Hand-written C++17 baseline for examples/xor_growth.noma: the same training (2-layer sigmoid
// network on XOR, Adam, growth from 2 to 16 hidden units when the loss plateaus) with manual
// gradients, dynamic sizes (std::vector) and plain loops, no BLAS. It prints the same lines as the
// NOMA program. The random numbers come from the generator NOMA documents for every program
// (docs/runtime.md: xoshiro256** seeded through splitmix64, 53-bit uniforms, Box-Muller normals),
// drawn in the same order, so both programs start from the same weights and grow the same
// units; it prints the number of training steps to stderr for comparison.
//
// Build and run:
//   g++ -O2 -std=c++17 bench/codegen/xor_manual.cc -o /tmp/xor_manual
//   /tmp/xor_manual            # optional argument: a seed (default 0, like noma's --seed)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

// NOMA's program generator, written from its documentation.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& word : state_) {
      uint64_t z = (x += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      word = z ^ (z >> 31);
    }
  }

  uint64_t Next() {
    const uint64_t result = Rotate(state_[1] * 5, 7) * 9;
    const uint64_t shifted = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= shifted;
    state_[3] = Rotate(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

  // Box-Muller with two uniforms per normal, u1 in (0, 1].
  double Normal(double mean, double sigma) {
    const double u1 = 1.0 - Uniform();
    const double u2 = Uniform();
    const double kTwoPi = 6.283185307179586476925286766559;
    return mean + sigma * (std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2));
  }

 private:
  static uint64_t Rotate(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t state_[4];
};

// Row-major rank-2 matrix with run-time dimensions.
struct Mat {
  int rows = 0;
  int cols = 0;
  std::vector<double> data;

  Mat() = default;
  Mat(int r, int c) : rows(r), cols(c), data(static_cast<size_t>(r) * c, 0.0) {}

  double& at(int i, int j) { return data[static_cast<size_t>(i) * cols + j]; }
  double at(int i, int j) const { return data[static_cast<size_t>(i) * cols + j]; }
};

// xavier_init(fan_in, fan_out, rows, cols): U(-a, a), a = sqrt(6 / (fan_in + fan_out)).
Mat Xavier(Rng& rng, int fan_in, int fan_out, int rows, int cols) {
  Mat m(rows, cols);
  const double a = std::sqrt(6.0 / (fan_in + fan_out));
  for (double& v : m.data) v = rng.Uniform(-a, a);
  return m;
}

// Resizes m to rows x cols keeping m[i][j] at the same multi-index. New elements come from
// fill() in row-major order of the new shape.
template <typename Fill>
void Resize(Mat& m, int rows, int cols, Fill fill) {
  Mat out(rows, cols);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      out.at(i, j) = (i < m.rows && j < m.cols) ? m.at(i, j) : fill();
    }
  }
  m = std::move(out);
}

// c = a @ b
void MatMul(const Mat& a, const Mat& b, Mat& c) {
  c = Mat(a.rows, b.cols);
  for (int i = 0; i < a.rows; ++i) {
    for (int k = 0; k < a.cols; ++k) {
      const double aik = a.at(i, k);
      for (int j = 0; j < b.cols; ++j) c.at(i, j) += aik * b.at(k, j);
    }
  }
}

// c = transpose(a) @ b
void MatMulTN(const Mat& a, const Mat& b, Mat& c) {
  c = Mat(a.cols, b.cols);
  for (int k = 0; k < a.rows; ++k) {
    for (int i = 0; i < a.cols; ++i) {
      const double aki = a.at(k, i);
      for (int j = 0; j < b.cols; ++j) c.at(i, j) += aki * b.at(k, j);
    }
  }
}

// c = a @ transpose(b)
void MatMulNT(const Mat& a, const Mat& b, Mat& c) {
  c = Mat(a.rows, b.rows);
  for (int i = 0; i < a.rows; ++i) {
    for (int j = 0; j < b.rows; ++j) {
      double s = 0.0;
      for (int k = 0; k < a.cols; ++k) s += a.at(i, k) * b.at(j, k);
      c.at(i, j) = s;
    }
  }
}

double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// A trained parameter with its Adam state (per element moments, per parameter step counter).
struct Param {
  Mat value;
  Mat m;
  Mat v;
  int64_t t = 0;

  explicit Param(Mat init)
      : value(std::move(init)), m(value.rows, value.cols), v(value.rows, value.cols) {}

  // realloc for a learn parameter: kept elements (and their moments) stay at their multi-index,
  // new values ~ N(0, 0.1), new moments 0, t kept.
  void Grow(Rng& rng, int rows, int cols) {
    Resize(value, rows, cols, [&] { return rng.Normal(0.0, 0.1); });
    Resize(m, rows, cols, [] { return 0.0; });
    Resize(v, rows, cols, [] { return 0.0; });
  }

  // One bias-corrected Adam step. grad may have the shape from before a realloc in this
  // iteration; it is mapped onto the current shape with zeros for the new elements.
  void AdamStep(const Mat& grad_in, double lr, double beta1, double beta2, double eps) {
    const Mat* grad = &grad_in;
    Mat padded;
    if (grad_in.rows != value.rows || grad_in.cols != value.cols) {
      padded = grad_in;
      Resize(padded, value.rows, value.cols, [] { return 0.0; });
      grad = &padded;
    }
    ++t;
    const double c1 = 1.0 - std::pow(beta1, static_cast<double>(t));
    const double c2 = 1.0 - std::pow(beta2, static_cast<double>(t));
    for (size_t i = 0; i < value.data.size(); ++i) {
      const double g = grad->data[i];
      m.data[i] = beta1 * m.data[i] + (1.0 - beta1) * g;
      v.data[i] = beta2 * v.data[i] + (1.0 - beta2) * g * g;
      value.data[i] -= lr * (m.data[i] / c1) / (std::sqrt(v.data[i] / c2) + eps);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  const uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 0;
  Rng rng(seed);

  Mat x(4, 2);
  Mat y(4, 1);
  const double xs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const double ys[4] = {0, 1, 1, 0};
  for (int i = 0; i < 4; ++i) {
    x.at(i, 0) = xs[i][0];
    x.at(i, 1) = xs[i][1];
    y.at(i, 0) = ys[i];
  }

  Param w1(Xavier(rng, 2, 2, 2, 2));
  Param b1(Mat(1, 2));
  Param w2(Xavier(rng, 2, 1, 2, 1));
  Param b2(Mat(1, 1));

  const double lr = 0.05, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  const int64_t max_iterations = 20000;
  int hidden = 2;
  int64_t step = 0;
  double previous = 1.0;
  double loss = 0.0;

  Mat z1, h, z2, out, dz2, dw2, dh, dz1, dw1;
  Mat db1, db2;
  bool converged = false;
  for (int64_t iter = 0; iter < max_iterations; ++iter) {
    // Forward: h = sigmoid(x @ w1 + b1); out = sigmoid(h @ w2 + b2); loss = mean((out - y)^2).
    MatMul(x, w1.value, z1);
    h = Mat(z1.rows, z1.cols);
    for (int i = 0; i < z1.rows; ++i) {
      for (int j = 0; j < z1.cols; ++j) h.at(i, j) = Sigmoid(z1.at(i, j) + b1.value.at(0, j));
    }
    MatMul(h, w2.value, z2);
    out = Mat(z2.rows, z2.cols);
    for (int i = 0; i < z2.rows; ++i) {
      for (int j = 0; j < z2.cols; ++j) out.at(i, j) = Sigmoid(z2.at(i, j) + b2.value.at(0, j));
    }
    const double n = static_cast<double>(out.rows) * out.cols;
    loss = 0.0;
    for (size_t i = 0; i < out.data.size(); ++i) {
      const double d = out.data[i] - y.data[i];
      loss += d * d;
    }
    loss /= n;

    // Backward (gradient of loss with respect to the parameters as they were in the forward pass).
    dz2 = Mat(out.rows, out.cols);
    for (size_t i = 0; i < out.data.size(); ++i) {
      const double o = out.data[i];
      dz2.data[i] = 2.0 * (o - y.data[i]) / n * o * (1.0 - o);
    }
    MatMulTN(h, dz2, dw2);
    db2 = Mat(1, dz2.cols);
    for (int i = 0; i < dz2.rows; ++i) {
      for (int j = 0; j < dz2.cols; ++j) db2.at(0, j) += dz2.at(i, j);
    }
    MatMulNT(dz2, w2.value, dh);
    dz1 = Mat(dh.rows, dh.cols);
    for (size_t i = 0; i < dh.data.size(); ++i) {
      const double hv = h.data[i];
      dz1.data[i] = dh.data[i] * hv * (1.0 - hv);
    }
    MatMulTN(x, dz1, dw1);
    db1 = Mat(1, dz1.cols);
    for (int i = 0; i < dz1.rows; ++i) {
      for (int j = 0; j < dz1.cols; ++j) db1.at(0, j) += dz1.at(i, j);
    }

    // The rest of the body: step counter and growth decision.
    step = step + 1;
    if (hidden == 2 && step % 200 == 0) {
      if (previous - loss < 0.0005) {
        w1.Grow(rng, 2, 16);
        b1.Grow(rng, 1, 16);
        w2.Grow(rng, 16, 1);
        hidden = 16;
        std::printf("grew to 16 hidden units at step\n");
        std::printf("%lld\n", static_cast<long long>(step));
      }
      previous = loss;
    }

    // until loss < 0.002: checked after the forward pass, before the update.
    if (loss < 0.002) {
      converged = true;
      break;
    }

    w1.AdamStep(dw1, lr, beta1, beta2, eps);
    b1.AdamStep(db1, lr, beta1, beta2, eps);
    w2.AdamStep(dw2, lr, beta1, beta2, eps);
    b2.AdamStep(db2, lr, beta1, beta2, eps);
  }
  // Diagnostics on stderr so that stdout matches the NOMA program's output.
  std::fprintf(stderr, "xor_manual: seed %llu, %lld forward passes, final loss %.17g\n",
               static_cast<unsigned long long>(seed), static_cast<long long>(step), loss);
  if (!converged) {
    std::fprintf(stderr, "warning: optimize reached max_iterations (%lld) with cond false\n",
                 static_cast<long long>(max_iterations));
  }

  std::printf("hidden units:\n");
  std::printf("%d\n", hidden);
  std::printf("converged:\n");
  std::printf("%d\n", loss < 0.002 ? 1 : 0);
  return 0;
}
