#include "noma/runtime/tensor.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "noma/graph/messages.h"
#include "noma/runtime/base.h"
#include "noma/runtime/format.h"
#include "noma/runtime/internal/gemm.h"
#include "noma/runtime/internal/kernels.h"
#include "noma/runtime/internal/threads.h"

namespace noma::runtime {

namespace {

std::string JoinDims(base::Span<const int64_t> shape) {
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i) base::StrAppend(&out, i == 0 ? "" : ", ", shape[i]);
  return out;
}

}  // namespace

std::string ShapeToString(base::Span<const int64_t> shape) {
  return base::StrCat("[", JoinDims(shape), "]");
}

base::StatusOr<int64_t> ElementCount(base::Span<const int64_t> shape) {
  int64_t count = 1;
  bool overflow = false;
  for (int64_t d : shape) {
    if (d < 0) {
      return base::InvalidArgumentError(
          base::StrCat("negative dimension in shape ", ShapeToString(shape)));
    }
    // Keep checking the other dims for negatives; a zero dim makes the product 0 anyway.
    if (d != 0 && count > std::numeric_limits<int64_t>::max() / d) {
      overflow = true;
    } else {
      count *= d;
    }
  }
  if (overflow && count != 0) {
    return base::ResourceExhaustedError(
        base::StrCat("shape ", ShapeToString(shape), " has too many elements"));
  }
  return overflow ? 0 : count;
}

Tensor Tensor::Scalar(double value) {
  Tensor t;
  t.data_[0] = value;
  return t;
}

Tensor Tensor::Zeros(Shape shape) {
  // The caller guarantees a valid shape; a zero dim makes the count 0 whatever the others.
  int64_t count = 1;
  for (int64_t d : shape) count = d == 0 ? 0 : count;
  for (int64_t d : shape) count *= count == 0 ? 1 : d;
  return Tensor(std::move(shape), std::vector<double>(static_cast<size_t>(count), 0.0));
}

Tensor::Tensor(Shape shape, std::vector<double> data)
    : shape_(std::move(shape)), data_(std::move(data)) {}

namespace {

std::atomic<int64_t> max_elements{kDefaultMaxElements};

// Checks a kernel's result shape: no overflow, within MaxElements().
base::Status CheckResult(base::Span<const int64_t> shape) {
  base::StatusOr<int64_t> count = ElementCount(shape);
  if (!count.ok()) return count.status();
  return CheckAllocation(*count, MaxElements());
}

}  // namespace

void SetMaxElements(int64_t limit) {
  if (limit > 0) max_elements.store(limit, std::memory_order_relaxed);
}

int64_t MaxElements() { return max_elements.load(std::memory_order_relaxed); }

int KernelInstructionSet() { return internal::KernelLevel(); }

double ApplyBinary(BinaryKernel op, double a, double b) {
  return internal::DispatchBinary(op, [a, b](auto f) { return f(a, b); });
}

double ApplyUnary(UnaryKernel op, double a) {
  return internal::DispatchUnary(op, [a](auto f) { return f(a); });
}

void UnaryArray(UnaryKernel op, const double* a, int64_t a_stride, double* out, int64_t n) {
  internal::UnaryArrayKernel(op, a, a_stride, out, n);
}

void BinaryArray(BinaryKernel op, const double* a, int64_t a_stride, const double* b,
                 int64_t b_stride, double* out, int64_t n) {
  internal::BinaryArrayKernel(op, a, a_stride, b, b_stride, out, n);
}

base::StatusOr<Shape> BroadcastShapes(base::Span<const int64_t> a, base::Span<const int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      return base::InvalidArgumentError(
          messages::CannotBroadcast(ShapeToString(a), ShapeToString(b)));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

base::StatusOr<Tensor> Binary(BinaryKernel op, const Tensor& a, const Tensor& b) {
  Tensor out;
  if (base::Status status = BinaryInto(op, a, b, &out); !status.ok()) return status;
  return out;
}

base::Status BinaryInto(BinaryKernel op, const Tensor& a, const Tensor& b, Tensor* out) {
  if (a.shape() == b.shape()) {
    out->Reset(a.shape(), a.size());
    BinaryArray(op, a.data(), 1, b.data(), 1, out->data(), out->size());
    return base::OkStatus();
  }
  base::StatusOr<Shape> shape = BroadcastShapes(a.shape(), b.shape());
  if (!shape.ok()) return shape.status();
  if (base::Status size = CheckResult(*shape); !size.ok()) return size;
  // ElementCount, not a plain product: huge dims next to a zero dim overflow the product
  // before the zero is reached (UBSan, --config=asan).
  int64_t elements = *ElementCount(*shape);  // Checked by CheckResult.
  out->Reset(*shape, elements);
  if (elements == 0) return base::OkStatus();
  internal::BroadcastPlan plan(*shape, a.shape(), b.shape());
  // BinaryArray's loops for each run, with the operation and instruction set chosen once.
  internal::BroadcastBinaryKernel(op, plan, a.data(), b.data(), out->data());
  return base::OkStatus();
}

Tensor Unary(UnaryKernel op, const Tensor& a) {
  Tensor out;
  UnaryInto(op, a, &out);
  return out;
}

void UnaryInto(UnaryKernel op, const Tensor& a, Tensor* out) {
  out->Reset(a.shape(), a.size());
  UnaryArray(op, a.data(), 1, out->data(), out->size());
}

base::StatusOr<Tensor> SumToShape(const Tensor& t, base::Span<const int64_t> shape) {
  if (t.shape() == Shape(shape.begin(), shape.end())) return t;
  Tensor out;
  if (base::Status status = SumToShapeInto(t, shape, &out); !status.ok()) return status;
  return out;
}

base::Status SumToShapeInto(const Tensor& t, base::Span<const int64_t> shape, Tensor* result) {
  Shape target(shape.begin(), shape.end());
  if (t.shape() == target) {
    result->Reset(target, t.size());
    std::copy(t.data(), t.data() + t.size(), result->data());
    return base::OkStatus();
  }
  base::StatusOr<Shape> joined = BroadcastShapes(target, t.shape());
  if (!joined.ok()) {
    return base::InvalidArgumentError(base::StrCat("cannot reduce shape ", ShapeToString(t.shape()),
                                                   " to ", ShapeToString(target)));
  }
  if (*joined != t.shape()) {
    // An adjoint smaller than the value's shape stands for its broadcast: adjoints start as the
    // scalar 0, which stays when nothing adds to them (a value nothing uses, a branch not
    // taken), and 0 times an operand has the operand's shape.
    base::StatusOr<Tensor> spread = BroadcastTo(t, *joined);
    if (!spread.ok()) return spread.status();
    return SumToShapeInto(*spread, target, result);
  }
  int64_t elements = 1;
  for (int64_t d : target) elements *= d;
  Tensor& out = *result;
  out.Reset(target, elements);
  std::fill(out.data(), out.data() + elements, 0.0);
  if (t.size() == 0) return base::OkStatus();
  // Iterate over t (row-major); each element is added to the target element it was broadcast
  // from, so every target element sums its contributions in row-major order.
  internal::BroadcastPlan plan(t.shape(), t.shape(), target);
  const double* x = t.data();
  double* o = out.data();
  int64_t target_stride = plan.inner_stride_b();
  plan.ForEachRun([&](int64_t, int64_t ia, int64_t ib, int64_t n) {
    if (target_stride == 1) {
      for (int64_t j = 0; j < n; ++j) o[ib + j] += x[ia + j];
    } else {
      double total = o[ib];
      for (int64_t j = 0; j < n; ++j) total += x[ia + j];
      o[ib] = total;
    }
  });
  return base::OkStatus();
}

base::StatusOr<Tensor> BroadcastTo(const Tensor& t, base::Span<const int64_t> shape) {
  Shape target(shape.begin(), shape.end());
  if (t.shape() == target) return t;
  base::StatusOr<Shape> joined = BroadcastShapes(t.shape(), target);
  if (!joined.ok() || *joined != target) {
    return base::InvalidArgumentError(base::StrCat(
        "cannot broadcast shape ", ShapeToString(t.shape()), " to ", ShapeToString(target)));
  }
  if (base::Status size = CheckResult(target); !size.ok()) return size;
  Tensor out = Tensor::Zeros(target);
  if (out.size() == 0) return out;
  internal::BroadcastPlan plan(target, t.shape(), target);
  const double* x = t.data();
  double* o = out.data();
  int64_t stride = plan.inner_stride_a();
  plan.ForEachRun([&](int64_t io, int64_t ia, int64_t, int64_t n) {
    if (stride == 1) {
      std::copy(x + ia, x + ia + n, o + io);
    } else {
      std::fill(o + io, o + io + n, x[ia]);
    }
  });
  return out;
}

double SumAllValue(const Tensor& t) {
  // Sequential, in row-major order: every execution mode sums in this order.
  double total = 0;
  for (double x : t.values()) total += x;
  return total;
}

double MeanAllValue(const Tensor& t) {
  if (t.size() == 0) return std::numeric_limits<double>::quiet_NaN();
  return SumAllValue(t) / static_cast<double>(t.size());
}

Tensor SumAll(const Tensor& t) { return Tensor::Scalar(SumAllValue(t)); }

Tensor MeanAll(const Tensor& t) { return Tensor::Scalar(MeanAllValue(t)); }

namespace {

base::StatusOr<Tensor> ReduceAxis(const Tensor& t, int64_t axis, bool mean, const char* name) {
  int64_t rank = t.rank();
  if (axis < -rank || axis >= rank) {
    return base::InvalidArgumentError(messages::AxisOutOfRange(name, axis, rank));
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
  // Each output element sums its inputs in increasing index order along `axis`. Blocks of
  // outer rows [i0, i1) and inner columns [j0, j1) are independent, so threads take blocks and
  // every element is summed as on one thread.
  auto reduce = [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    if (inner == 1) {  // Reducing the last axis: a running sum per contiguous row.
      for (int64_t i = i0; i < i1; ++i) {
        double total = 0;
        for (int64_t k = 0; k < n; ++k) total += x[i * n + k];
        o[i] = total;
      }
      return;
    }
    for (int64_t i = i0; i < i1; ++i) {
      double* dst = o + i * inner;
      for (int64_t k = 0; k < n; ++k) {
        const double* row = x + (i * n + k) * inner;
        for (int64_t j = j0; j < j1; ++j) dst[j] += row[j];
      }
    }
  };
  int threads = internal::ThreadsFor(t.size(), 1 << 15);
  if (threads <= 1) {
    reduce(0, outer, 0, inner);
  } else if (inner >= 64 * threads) {  // Column blocks of whole cache lines.
    int64_t chunk = ((inner + threads - 1) / threads + 7) / 8 * 8;
    internal::ParallelFor((inner + chunk - 1) / chunk, [&](int64_t task) {
      reduce(0, outer, task * chunk, std::min(inner, (task + 1) * chunk));
    });
  } else {
    int64_t chunk = (outer + threads - 1) / threads;
    internal::ParallelFor((outer + chunk - 1) / chunk, [&](int64_t task) {
      reduce(task * chunk, std::min(outer, (task + 1) * chunk), 0, inner);
    });
  }
  if (mean) {
    double count = static_cast<double>(n);
    for (double& v : out.values()) v /= count;
  }
  return out;
}

}  // namespace

base::StatusOr<Tensor> SumAxis(const Tensor& t, int64_t axis) {
  return ReduceAxis(t, axis, false, "sum");
}
base::StatusOr<Tensor> MeanAxis(const Tensor& t, int64_t axis) {
  return ReduceAxis(t, axis, true, "mean");
}

base::StatusOr<Tensor> Matmul(const Tensor& a, const Tensor& b) {
  Tensor out;
  if (base::Status status = MatmulInto(a, b, &out); !status.ok()) return status;
  return out;
}

base::Status MatmulInto(const Tensor& a, const Tensor& b, Tensor* out) {
  if (a.rank() != 2 || b.rank() != 2) {
    return base::InvalidArgumentError(
        messages::MatmulRanks(ShapeToString(a.shape()), ShapeToString(b.shape())));
  }
  int64_t n = a.shape()[0], k = a.shape()[1], m = b.shape()[1];
  if (b.shape()[0] != k) {
    return base::InvalidArgumentError(
        messages::MatmulInnerDims(ShapeToString(a.shape()), ShapeToString(b.shape())));
  }
  if (base::Status size = CheckResult({n, m}); !size.ok()) return size;
  out->Reset({n, m}, n * m);
  internal::MatmulKernel(a.data(), b.data(), out->data(), n, k, m);  // Overwrites every element.
  return base::OkStatus();
}

base::Status MatmulTransposedInto(const Tensor& a, bool transpose_a, const Tensor& b,
                                  bool transpose_b, Tensor* out) {
  if (a.rank() != 2 || b.rank() != 2) {
    return base::InvalidArgumentError("matmul of transposes: expected rank-2 tensors");
  }
  Shape sa = a.shape(), sb = b.shape();
  if (transpose_a) std::swap(sa[0], sa[1]);
  if (transpose_b) std::swap(sb[0], sb[1]);
  int64_t n = sa[0], k = sa[1], m = sb[1];
  if (sb[0] != k) {
    return base::InvalidArgumentError(
        messages::MatmulInnerDims(ShapeToString(sa), ShapeToString(sb)));
  }
  if (base::Status size = CheckResult({n, m}); !size.ok()) return size;
  out->Reset({n, m}, n * m);
  // A transposed operand is its storage with the strides swapped (gemm.h).
  int64_t a_cols = a.shape()[1], b_cols = b.shape()[1];
  internal::MatrixOperand pa = transpose_a ? internal::MatrixOperand{a.data(), 1, a_cols}
                                           : internal::MatrixOperand{a.data(), a_cols, 1};
  internal::MatrixOperand pb = transpose_b ? internal::MatrixOperand{b.data(), 1, b_cols}
                                           : internal::MatrixOperand{b.data(), b_cols, 1};
  internal::Gemm(n, k, m, pa, pb, out->data());  // Writes every element.
  return base::OkStatus();
}

base::StatusOr<Tensor> Transpose(const Tensor& a) {
  if (a.rank() == 1) return a;
  Tensor out;
  if (base::Status status = TransposeInto(a, &out); !status.ok()) return status;
  return out;
}

base::Status TransposeInto(const Tensor& a, Tensor* out) {
  if (a.rank() == 1) {
    out->Reset(a.shape(), a.size());
    std::copy(a.data(), a.data() + a.size(), out->data());
    return base::OkStatus();
  }
  if (a.rank() != 2) {
    return base::InvalidArgumentError(
        base::StrCat("transpose: expected a rank-2 tensor, got ", ShapeToString(a.shape())));
  }
  int64_t n = a.shape()[0], m = a.shape()[1];
  out->Reset({m, n}, n * m);
  internal::TransposeKernel(a.data(), out->data(), n, m);  // Writes every element.
  return base::OkStatus();
}

base::StatusOr<Tensor> Dot(const Tensor& a, const Tensor& b) {
  if (a.rank() != 1 || b.rank() != 1 || a.size() != b.size()) {
    return base::InvalidArgumentError(
        messages::DotShapes(ShapeToString(a.shape()), ShapeToString(b.shape())));
  }
  // The fma chain of every inner product (docs/numerics.md).
  return Tensor::Scalar(internal::DotKernel(a.data(), b.data(), a.size()));
}

namespace {

base::StatusOr<int64_t> CheckIndex(double index, int64_t size) {
  if (std::isnan(index)) return base::OutOfRangeError("index is NaN");
  double truncated = std::trunc(index);
  if (truncated < 0) {
    return base::OutOfRangeError(messages::NegativeIndex(FormatScalar(truncated)));
  }
  if (truncated >= static_cast<double>(size)) {
    return base::OutOfRangeError(messages::IndexOutOfRange(FormatScalar(truncated), size));
  }
  return static_cast<int64_t>(truncated);
}

int64_t RowStride(base::Span<const int64_t> shape) {
  int64_t stride = 1;
  for (size_t d = 1; d < shape.size(); ++d) stride *= shape[d];
  return stride;
}

}  // namespace

base::StatusOr<Tensor> Index(const Tensor& t, double index) {
  if (t.rank() == 0) return base::InvalidArgumentError(messages::kIndexScalar);
  base::StatusOr<int64_t> i = CheckIndex(index, t.shape()[0]);
  if (!i.ok()) return i.status();
  Shape rest(t.shape().begin() + 1, t.shape().end());
  int64_t stride = RowStride(t.shape());
  std::vector<double> data(t.data() + *i * stride, t.data() + (*i + 1) * stride);
  return Tensor(std::move(rest), std::move(data));
}

base::StatusOr<Tensor> IndexAdjoint(const Tensor& adjoint, base::Span<const int64_t> shape,
                                    double index) {
  if (shape.empty()) return base::InvalidArgumentError(messages::kIndexScalar);
  if (base::Status size = CheckResult(shape); !size.ok()) return size;
  base::StatusOr<int64_t> i = CheckIndex(index, shape[0]);
  if (!i.ok()) return i.status();
  Shape row_shape(shape.begin() + 1, shape.end());
  base::StatusOr<Tensor> row = BroadcastTo(adjoint, row_shape);
  if (!row.ok()) return row.status();
  Tensor out = Tensor::Zeros(Shape(shape.begin(), shape.end()));
  int64_t stride = RowStride(shape);
  std::copy(row->data(), row->data() + stride, out.data() + *i * stride);
  return out;
}

base::StatusOr<Tensor> SliceRows(const Tensor& t, int64_t begin, int64_t end) {
  if (t.rank() == 0 || begin < 0 || end < begin || end > t.shape()[0]) {
    return base::OutOfRangeError(base::StrCat(
        "rows [", begin, ", ", end, ") out of range for shape ", ShapeToString(t.shape())));
  }
  Shape shape = t.shape();
  int64_t stride = RowStride(shape);
  shape[0] = end - begin;
  std::vector<double> data(t.data() + begin * stride, t.data() + end * stride);
  return Tensor(std::move(shape), std::move(data));
}

base::StatusOr<Tensor> FromLiteral(Shape shape, std::vector<double> values) {
  base::StatusOr<int64_t> count = ElementCount(shape);
  if (!count.ok()) return count.status();
  if (*count != static_cast<int64_t>(values.size())) {
    return base::InvalidArgumentError(base::StrCat("tensor literal of shape ", ShapeToString(shape),
                                                   " has ", values.size(), " elements"));
  }
  return Tensor(std::move(shape), std::move(values));
}

namespace {

// "8 GiB", "7.5 TiB", "512 MiB", "24 bytes": one decimal at most, no trailing ".0".
std::string HumanBytes(double bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return base::StrCat(FormatScalar(bytes), " bytes");
  int unit = -1;
  while (unit + 1 < 6 && bytes >= 1024) {
    bytes /= 1024;
    ++unit;
  }
  return base::StrCat(FormatScalar(std::round(bytes * 10) / 10), " ", kUnits[unit]);
}

base::Status AllocationError(double elements, int64_t max_elements) {
  return base::ResourceExhaustedError(base::StrCat(
      "allocation of ", FormatScalar(elements), " elements (", HumanBytes(elements * 8),
      ") exceeds the limit of ", HumanBytes(static_cast<double>(max_elements) * 8), " (",
      max_elements, " elements)"));
}

}  // namespace

base::Status CheckAllocation(int64_t elements, int64_t max_elements) {
  if (elements <= max_elements) return base::OkStatus();
  return AllocationError(static_cast<double>(elements), max_elements);
}

base::StatusOr<Shape> ShapeFromDims(base::Span<const double> dims, int64_t max_elements) {
  Shape shape;
  shape.reserve(dims.size());
  double total = 1;
  bool too_large = false;
  for (double d : dims) {
    if (std::isnan(d)) return base::InvalidArgumentError("invalid dimension nan");
    double truncated = std::trunc(d);
    if (truncated < 0) {
      return base::InvalidArgumentError(
          base::StrCat("negative dimension ", FormatScalar(truncated)));
    }
    if (std::isinf(truncated)) return base::InvalidArgumentError("invalid dimension inf");
    // A single dim beyond the limit cannot be represented safely even next to a zero dim.
    if (truncated > static_cast<double>(max_elements)) too_large = true;
    total *= truncated;
    shape.push_back(too_large ? 0 : static_cast<int64_t>(truncated));
  }
  if (too_large || total > static_cast<double>(max_elements)) {
    if (total == 0) {
      for (double d : dims) total = std::max(total, std::trunc(d));
    }
    return AllocationError(total, max_elements);
  }
  return shape;
}

}  // namespace noma::runtime
