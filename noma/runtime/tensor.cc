#include "noma/runtime/tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "noma/runtime/format.h"

namespace noma::runtime {

std::string ShapeToString(absl::Span<const int64_t> shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

absl::StatusOr<int64_t> ElementCount(absl::Span<const int64_t> shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("negative dimension in shape ", ShapeToString(shape)));
    }
    if (d != 0 && count > std::numeric_limits<int64_t>::max() / d) {
      return absl::ResourceExhaustedError(
          absl::StrCat("shape ", ShapeToString(shape), " has too many elements"));
    }
    count *= d;
  }
  return count;
}

Tensor Tensor::Scalar(double value) {
  Tensor t;
  t.data_[0] = value;
  return t;
}

Tensor Tensor::Zeros(Shape shape) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return Tensor(std::move(shape), std::vector<double>(static_cast<size_t>(count), 0.0));
}

Tensor::Tensor(Shape shape, std::vector<double> data)
    : shape_(std::move(shape)), data_(std::move(data)) {}

double ApplyBinary(BinaryKernel op, double a, double b) {
  switch (op) {
    case BinaryKernel::kAdd: return a + b;
    case BinaryKernel::kSub: return a - b;
    case BinaryKernel::kMul: return a * b;
    case BinaryKernel::kDiv: return a / b;
    case BinaryKernel::kMod: return std::fmod(a, b);
    case BinaryKernel::kPow: return std::pow(a, b);
    case BinaryKernel::kEq: return a == b ? 1.0 : 0.0;
    case BinaryKernel::kNe: return a != b ? 1.0 : 0.0;
    case BinaryKernel::kLt: return a < b ? 1.0 : 0.0;
    case BinaryKernel::kGt: return a > b ? 1.0 : 0.0;
    case BinaryKernel::kLe: return a <= b ? 1.0 : 0.0;
    case BinaryKernel::kGe: return a >= b ? 1.0 : 0.0;
    case BinaryKernel::kMin: return b < a ? b : a;  // First operand on ties.
    case BinaryKernel::kMax: return b > a ? b : a;
    case BinaryKernel::kAnd: return (a != 0 && b != 0) ? 1.0 : 0.0;
    case BinaryKernel::kOr: return (a != 0 || b != 0) ? 1.0 : 0.0;
  }
  return 0;
}

namespace {

// Truncates toward zero into the integer range (NaN stays NaN, beyond the range saturates).
double TruncateTo(double x, double lo, double hi) {
  if (std::isnan(x)) return x;
  return std::trunc(std::clamp(x, lo, hi));
}

}  // namespace

double ApplyUnary(UnaryKernel op, double a) {
  switch (op) {
    case UnaryKernel::kNeg: return -a;
    case UnaryKernel::kNot: return a == 0 ? 1.0 : 0.0;
    case UnaryKernel::kSigmoid:
      // Split by sign so exp never overflows.
      if (a >= 0) return 1.0 / (1.0 + std::exp(-a));
      {
        double e = std::exp(a);
        return e / (1.0 + e);
      }
    case UnaryKernel::kRelu: return a > 0 ? a : 0.0;
    case UnaryKernel::kTanh: return std::tanh(a);
    case UnaryKernel::kExp: return std::exp(a);
    case UnaryKernel::kLog: return std::log(a);
    case UnaryKernel::kSqrt: return std::sqrt(a);
    case UnaryKernel::kSin: return std::sin(a);
    case UnaryKernel::kCos: return std::cos(a);
    case UnaryKernel::kTan: return std::tan(a);
    case UnaryKernel::kAbs: return std::fabs(a);
    case UnaryKernel::kFloor: return std::floor(a);
    case UnaryKernel::kCeil: return std::ceil(a);
    case UnaryKernel::kCastF32: return static_cast<double>(static_cast<float>(a));
    case UnaryKernel::kCastI32: return TruncateTo(a, -2147483648.0, 2147483647.0);
    case UnaryKernel::kCastI64:
      return TruncateTo(a, -9223372036854775808.0, 9223372036854774784.0);
  }
  return 0;
}

absl::StatusOr<Shape> BroadcastShapes(absl::Span<const int64_t> a, absl::Span<const int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      return absl::InvalidArgumentError(absl::StrCat("cannot broadcast shapes ",
                                                     ShapeToString(a), " and ",
                                                     ShapeToString(b)));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

// Row-major strides of `shape` aligned to `rank` dims; broadcast (size-1 or missing) dims get 0.
std::vector<int64_t> BroadcastStrides(const Shape& shape, size_t rank, const Shape& out) {
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (size_t k = 0; k < shape.size(); ++k) {
    size_t d = shape.size() - 1 - k;
    size_t od = rank - 1 - k;
    strides[od] = (shape[d] == 1 && out[od] != 1) ? 0 : stride;
    stride *= shape[d];
  }
  return strides;
}

// Calls body(out_index, a_index, b_index) for every element of `out`.
template <typename Body>
void ForEachBroadcast(const Shape& out, const Shape& a, const Shape& b, Body body) {
  size_t rank = out.size();
  int64_t count = 1;
  for (int64_t d : out) count *= d;
  if (count == 0) return;
  std::vector<int64_t> sa = BroadcastStrides(a, rank, out);
  std::vector<int64_t> sb = BroadcastStrides(b, rank, out);
  std::vector<int64_t> index(rank, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t flat = 0; flat < count; ++flat) {
    body(flat, ia, ib);
    for (size_t d = rank; d-- > 0;) {
      ++index[d];
      ia += sa[d];
      ib += sb[d];
      if (index[d] < out[d]) break;
      ia -= sa[d] * out[d];
      ib -= sb[d] * out[d];
      index[d] = 0;
    }
  }
}

}  // namespace

absl::StatusOr<Tensor> Binary(BinaryKernel op, const Tensor& a, const Tensor& b) {
  if (a.shape() == b.shape()) {
    std::vector<double> data(a.values().size());
    const double* x = a.data();
    const double* y = b.data();
    for (size_t i = 0; i < data.size(); ++i) data[i] = ApplyBinary(op, x[i], y[i]);
    return Tensor(a.shape(), std::move(data));
  }
  absl::StatusOr<Shape> shape = BroadcastShapes(a.shape(), b.shape());
  if (!shape.ok()) return shape.status();
  Tensor out = Tensor::Zeros(*shape);
  double* o = out.data();
  const double* x = a.data();
  const double* y = b.data();
  ForEachBroadcast(*shape, a.shape(), b.shape(), [&](int64_t i, int64_t ia, int64_t ib) {
    o[i] = ApplyBinary(op, x[ia], y[ib]);
  });
  return out;
}

Tensor Unary(UnaryKernel op, const Tensor& a) {
  std::vector<double> data(a.values().size());
  for (size_t i = 0; i < data.size(); ++i) data[i] = ApplyUnary(op, a.data()[i]);
  return Tensor(a.shape(), std::move(data));
}

absl::StatusOr<Tensor> SumToShape(const Tensor& t, absl::Span<const int64_t> shape) {
  Shape target(shape.begin(), shape.end());
  if (t.shape() == target) return t;
  absl::StatusOr<Shape> joined = BroadcastShapes(target, t.shape());
  if (!joined.ok() || *joined != t.shape()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot reduce shape ",
                                                   ShapeToString(t.shape()), " to ",
                                                   ShapeToString(target)));
  }
  Tensor out = Tensor::Zeros(target);
  double* o = out.data();
  const double* x = t.data();
  ForEachBroadcast(t.shape(), t.shape(), target,
                   [&](int64_t i, int64_t, int64_t it) { o[it] += x[i]; });
  return out;
}

absl::StatusOr<Tensor> BroadcastTo(const Tensor& t, absl::Span<const int64_t> shape) {
  Shape target(shape.begin(), shape.end());
  absl::StatusOr<Shape> joined = BroadcastShapes(t.shape(), target);
  if (!joined.ok() || *joined != target) {
    return absl::InvalidArgumentError(absl::StrCat("cannot broadcast shape ",
                                                   ShapeToString(t.shape()), " to ",
                                                   ShapeToString(target)));
  }
  Tensor out = Tensor::Zeros(target);
  double* o = out.data();
  const double* x = t.data();
  ForEachBroadcast(target, t.shape(), target,
                   [&](int64_t i, int64_t it, int64_t) { o[i] = x[it]; });
  return out;
}

Tensor SumAll(const Tensor& t) {
  double total = 0;
  for (double x : t.values()) total += x;
  return Tensor::Scalar(total);
}

Tensor MeanAll(const Tensor& t) {
  if (t.size() == 0) return Tensor::Scalar(std::nan(""));
  return Tensor::Scalar(SumAll(t).scalar() / static_cast<double>(t.size()));
}

namespace {

absl::StatusOr<Tensor> ReduceAxis(const Tensor& t, int64_t axis, bool mean, const char* name) {
  int64_t rank = t.rank();
  if (rank == 0 || axis < -rank || axis >= rank) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": axis ", axis,
                                                   " is out of range for a tensor of rank ",
                                                   rank));
  }
  if (axis < 0) axis += rank;
  const Shape& shape = t.shape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= shape[d];
  int64_t n = shape[axis];
  Shape out_shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (d != axis) out_shape.push_back(shape[d]);
  }
  Tensor out = Tensor::Zeros(out_shape);
  double* o = out.data();
  const double* x = t.data();
  for (int64_t i = 0; i < outer; ++i) {
    for (int64_t k = 0; k < n; ++k) {
      const double* row = x + (i * n + k) * inner;
      double* dst = o + i * inner;
      for (int64_t j = 0; j < inner; ++j) dst[j] += row[j];
    }
  }
  if (mean) {
    for (double& v : out.values()) v /= static_cast<double>(n);
  }
  return out;
}

}  // namespace

absl::StatusOr<Tensor> SumAxis(const Tensor& t, int64_t axis) {
  return ReduceAxis(t, axis, false, "sum");
}
absl::StatusOr<Tensor> MeanAxis(const Tensor& t, int64_t axis) {
  return ReduceAxis(t, axis, true, "mean");
}

absl::StatusOr<Tensor> Matmul(const Tensor& a, const Tensor& b) {
  if (a.rank() != 2 || b.rank() != 2) {
    return absl::InvalidArgumentError(absl::StrCat("matmul: expected rank-2 tensors, got ",
                                                   ShapeToString(a.shape()), " and ",
                                                   ShapeToString(b.shape())));
  }
  int64_t n = a.shape()[0], k = a.shape()[1], m = b.shape()[1];
  if (b.shape()[0] != k) {
    return absl::InvalidArgumentError(absl::StrCat("matmul: inner dimensions differ (",
                                                   ShapeToString(a.shape()), " @ ",
                                                   ShapeToString(b.shape()), ")"));
  }
  Tensor out = Tensor::Zeros({n, m});
  double* o = out.data();
  const double* x = a.data();
  const double* y = b.data();
  // i-k-j order keeps the innermost loop contiguous in both b and the output (vectorizable);
  // blocking over k keeps a panel of b in cache.
  constexpr int64_t kBlock = 64;
  for (int64_t k0 = 0; k0 < k; k0 += kBlock) {
    int64_t k1 = std::min(k, k0 + kBlock);
    for (int64_t i = 0; i < n; ++i) {
      double* row = o + i * m;
      for (int64_t p = k0; p < k1; ++p) {
        double scale = x[i * k + p];
        const double* brow = y + p * m;
        for (int64_t j = 0; j < m; ++j) row[j] += scale * brow[j];
      }
    }
  }
  return out;
}

absl::StatusOr<Tensor> Transpose(const Tensor& a) {
  if (a.rank() == 1) return a;
  if (a.rank() != 2) {
    return absl::InvalidArgumentError(absl::StrCat("transpose: expected a rank-2 tensor, got ",
                                                   ShapeToString(a.shape())));
  }
  int64_t n = a.shape()[0], m = a.shape()[1];
  Tensor out = Tensor::Zeros({m, n});
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) out.data()[j * n + i] = a.data()[i * m + j];
  }
  return out;
}

absl::StatusOr<Tensor> Dot(const Tensor& a, const Tensor& b) {
  if (a.rank() != 1 || b.rank() != 1 || a.size() != b.size()) {
    return absl::InvalidArgumentError(absl::StrCat("dot: expected two rank-1 tensors of the "
                                                   "same length, got ",
                                                   ShapeToString(a.shape()), " and ",
                                                   ShapeToString(b.shape())));
  }
  double total = 0;
  for (int64_t i = 0; i < a.size(); ++i) total += a.data()[i] * b.data()[i];
  return Tensor::Scalar(total);
}

namespace {

absl::StatusOr<int64_t> CheckIndex(double index, int64_t size) {
  if (std::isnan(index)) return absl::OutOfRangeError("index is NaN");
  double truncated = std::trunc(index);
  if (truncated < 0) {
    return absl::OutOfRangeError(absl::StrCat("negative index ", FormatScalar(truncated)));
  }
  if (truncated >= static_cast<double>(size)) {
    return absl::OutOfRangeError(absl::StrCat("index ", FormatScalar(truncated),
                                              " out of range for dimension of size ", size));
  }
  return static_cast<int64_t>(truncated);
}

}  // namespace

absl::StatusOr<Tensor> Index(const Tensor& t, double index) {
  if (t.rank() == 0) return absl::InvalidArgumentError("cannot index a scalar");
  absl::StatusOr<int64_t> i = CheckIndex(index, t.shape()[0]);
  if (!i.ok()) return i.status();
  Shape rest(t.shape().begin() + 1, t.shape().end());
  int64_t stride = 1;
  for (int64_t d : rest) stride *= d;
  std::vector<double> data(t.data() + *i * stride, t.data() + (*i + 1) * stride);
  return Tensor(std::move(rest), std::move(data));
}

absl::StatusOr<Tensor> IndexAdjoint(const Tensor& adjoint, absl::Span<const int64_t> shape,
                                    double index) {
  if (shape.empty()) return absl::InvalidArgumentError("cannot index a scalar");
  absl::StatusOr<int64_t> i = CheckIndex(index, shape[0]);
  if (!i.ok()) return i.status();
  Tensor out = Tensor::Zeros(Shape(shape.begin(), shape.end()));
  int64_t stride = 1;
  for (size_t d = 1; d < shape.size(); ++d) stride *= shape[d];
  Shape row_shape(shape.begin() + 1, shape.end());
  absl::StatusOr<Tensor> row = BroadcastTo(adjoint, row_shape);
  if (!row.ok()) return row.status();
  std::copy(row->data(), row->data() + stride, out.data() + *i * stride);
  return out;
}

absl::StatusOr<Tensor> SliceRows(const Tensor& t, int64_t begin, int64_t end) {
  if (t.rank() == 0 || begin < 0 || end < begin || end > t.shape()[0]) {
    return absl::OutOfRangeError(absl::StrCat("rows [", begin, ", ", end,
                                              ") out of range for shape ",
                                              ShapeToString(t.shape())));
  }
  Shape shape = t.shape();
  int64_t stride = 1;
  for (size_t d = 1; d < shape.size(); ++d) stride *= shape[d];
  shape[0] = end - begin;
  std::vector<double> data(t.data() + begin * stride, t.data() + end * stride);
  return Tensor(std::move(shape), std::move(data));
}

absl::StatusOr<Tensor> FromLiteral(Shape shape, std::vector<double> values) {
  absl::StatusOr<int64_t> count = ElementCount(shape);
  if (!count.ok()) return count.status();
  if (*count != static_cast<int64_t>(values.size())) {
    return absl::InvalidArgumentError(absl::StrCat("tensor literal of shape ",
                                                   ShapeToString(shape), " has ",
                                                   values.size(), " elements"));
  }
  return Tensor(std::move(shape), std::move(values));
}

absl::StatusOr<Shape> ShapeFromDims(absl::Span<const double> dims, int64_t max_elements) {
  Shape shape;
  double total = 1;
  for (double d : dims) {
    if (!std::isfinite(d) || d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid dimension ", FormatScalar(d),
                       ": dimensions must be finite and non-negative"));
    }
    double truncated = std::trunc(d);
    total *= truncated;
    if (total > static_cast<double>(max_elements)) {
      return absl::ResourceExhaustedError(
          absl::StrCat("allocation of ", FormatScalar(total), " elements (",
                       FormatScalar(total * 8 / (1 << 30)), " GiB) exceeds the limit of ",
                       FormatScalar(static_cast<double>(max_elements) * 8 / (1 << 30)),
                       " GiB"));
    }
    shape.push_back(static_cast<int64_t>(truncated));
  }
  return shape;
}

}  // namespace noma::runtime
