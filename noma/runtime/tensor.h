#ifndef NOMA_RUNTIME_TENSOR_H_
#define NOMA_RUNTIME_TENSOR_H_

// Tensor storage and kernels shared by the interpreter and compiled programs.
// Errors are returned as base::Status without a source location; callers attach one.

#include <cstdint>
#include <string>
#include <vector>

#include "noma/runtime/base.h"

namespace noma::runtime {

// Dims, outermost first. Inline up to rank 4, so making a shape never allocates in practice:
// steady-state training loops make no heap allocations (--alloc-stats).
using Shape = base::InlinedVector<int64_t, 4>;

// "[2, 3]" — how shapes appear in error messages.
std::string ShapeToString(base::Span<const int64_t> shape);
// Product of dims (1 for rank 0). Fails on negative dims or overflow.
base::StatusOr<int64_t> ElementCount(base::Span<const int64_t> shape);

// Dense row-major f64 tensor. Rank 0 is allowed and means a scalar (so kernels broadcast
// scalars and tensors uniformly); the language only exposes rank >= 1 tensors.
class Tensor {
 public:
  Tensor() = default;  // Rank 0, value 0.
  static Tensor Scalar(double value);
  static Tensor Zeros(Shape shape);  // Caller guarantees the shape is valid (see ElementCount).
  Tensor(Shape shape, std::vector<double> data);

  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t size() const { return static_cast<int64_t>(data_.size()); }
  double* data() { return data_.data(); }
  const double* data() const { return data_.data(); }
  std::vector<double>& values() { return data_; }
  const std::vector<double>& values() const { return data_; }
  double scalar() const { return data_[0]; }  // Rank 0 (or size-1) only.
  // Takes a valid `shape` of `elements` elements, keeping the buffer when it already has that
  // many (the contents are then unspecified until written): for kernels that overwrite
  // every element of a recycled tensor (the *Into variants below).
  void Reset(Shape shape, int64_t elements) {
    shape_ = std::move(shape);
    data_.resize(static_cast<size_t>(elements));
  }

  friend bool operator==(const Tensor& a, const Tensor& b) {
    return a.shape_ == b.shape_ && a.data_ == b.data_;
  }

 private:
  Shape shape_;
  std::vector<double> data_ = {0.0};
};

// Elementwise kernels: the operators' own, then one per elementwise builtin of the registry
// (noma/graph/builtins.def), which computes that builtin's formula (formulas.h).
enum class BinaryKernel {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kEq,
  kNe,
  kLt,
  kGt,
  kLe,
  kGe,
  kAnd,
  kOr,
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability) k##Id,
#include "noma/graph/builtins.def"
};
enum class UnaryKernel {
  kNeg,
  kNot,
  kCastF32,
  kCastI32,
  kCastI64,
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability) k##Id,
#include "noma/graph/builtins.def"
};

inline constexpr int kBinaryKernelCount = static_cast<int>(BinaryKernel::kOr) + 1
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability) +1
#include "noma/graph/builtins.def"
    ;
inline constexpr int kUnaryKernelCount = static_cast<int>(UnaryKernel::kCastI64) + 1
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability) +1
#include "noma/graph/builtins.def"
    ;

// The instruction set the kernels use (0 portable, 1 SSE4.2, 2 AVX2 + FMA, 3 AVX-512F): the
// CPU's best, capped by $NOMA_CPU. Every level computes the same bits (docs/numerics.md).
int KernelInstructionSet();

double ApplyBinary(BinaryKernel op, double a, double b);  // Scalar semantics (fmod, pow, 1/0 ...).
double ApplyUnary(UnaryKernel op, double a);

// Elementwise kernels over raw arrays, per element identical to Unary/Binary (which use them).
// Strides are in elements; a stride of 0 repeats one value (broadcasting).
void UnaryArray(UnaryKernel op, const double* a, int64_t a_stride, double* out, int64_t n);
void BinaryArray(BinaryKernel op, const double* a, int64_t a_stride, const double* b,
                 int64_t b_stride, double* out, int64_t n);

// NumPy broadcasting of two shapes; error "cannot broadcast shapes [2, 3] and [4]".
base::StatusOr<Shape> BroadcastShapes(base::Span<const int64_t> a, base::Span<const int64_t> b);
base::StatusOr<Tensor> Binary(BinaryKernel op, const Tensor& a, const Tensor& b);
Tensor Unary(UnaryKernel op, const Tensor& a);
// The same into `out` (see Tensor::Reset; out must not be an operand). Compiled programs
// recycle their tensors, so steady-state training loops allocate and zero-fill nothing.
base::Status BinaryInto(BinaryKernel op, const Tensor& a, const Tensor& b, Tensor* out);
void UnaryInto(UnaryKernel op, const Tensor& a, Tensor* out);

// Sums `t` down to `shape` (the reverse of broadcasting `shape` up to t.shape()); used for
// adjoints. A `t` smaller than `shape` stands for its broadcast (an adjoint that is still the
// scalar 0); fails if the shapes do not broadcast together.
base::StatusOr<Tensor> SumToShape(const Tensor& t, base::Span<const int64_t> shape);
// SumToShape into a recycled tensor (`out` must not be `t`).
base::Status SumToShapeInto(const Tensor& t, base::Span<const int64_t> shape, Tensor* out);
// Broadcasts `t` up to `shape`.
base::StatusOr<Tensor> BroadcastTo(const Tensor& t, base::Span<const int64_t> shape);

Tensor SumAll(const Tensor& t);        // Rank 0 result.
Tensor MeanAll(const Tensor& t);       // Rank 0 result; NaN for an empty tensor.
double SumAllValue(const Tensor& t);   // SumAll's value, without building a tensor.
double MeanAllValue(const Tensor& t);  // MeanAll's value.
// Reduces one axis (negative counts from the end). Rank-1 input gives rank 0.
base::StatusOr<Tensor> SumAxis(const Tensor& t, int64_t axis);
base::StatusOr<Tensor> MeanAxis(const Tensor& t, int64_t axis);

// Rank-2 @ rank-2. Error: "matmul: inner dimensions differ ([4, 2] @ [3, 1])".
base::StatusOr<Tensor> Matmul(const Tensor& a, const Tensor& b);
base::Status MatmulInto(const Tensor& a, const Tensor& b, Tensor* out);  // As BinaryInto.
// matmul(a or transpose(a), b or transpose(b)) of rank-2 `a` and `b`, without a transposed
// copy: the same bits and the same errors (naming the transposed shapes) as transposing first.
base::Status MatmulTransposedInto(const Tensor& a, bool transpose_a, const Tensor& b,
                                  bool transpose_b, Tensor* out);
base::StatusOr<Tensor> Transpose(const Tensor& a);         // Rank 2 (rank 1 returned unchanged).
base::Status TransposeInto(const Tensor& a, Tensor* out);  // Into a recycled tensor (not `a`).
base::StatusOr<Tensor> Dot(const Tensor& a, const Tensor& b);  // Rank 1 · rank 1 -> rank 0.

// t[i]: for rank 1 a rank-0 tensor, for rank >= 2 the sub-tensor (row). `index` is truncated
// toward zero; negative or out-of-range is an error naming the index and the dimension.
base::StatusOr<Tensor> Index(const Tensor& t, double index);
// Adjoint of Index: a zero tensor of `shape` with `adjoint` added at position `index`.
base::StatusOr<Tensor> IndexAdjoint(const Tensor& adjoint, base::Span<const int64_t> shape,
                                    double index);

// Rows [begin, end) of the first axis (used by `batch`).
base::StatusOr<Tensor> SliceRows(const Tensor& t, int64_t begin, int64_t end);

// Builds a tensor from a nested literal already flattened by the caller.
base::StatusOr<Tensor> FromLiteral(Shape shape, std::vector<double> values);

// Resizes keeping elements whose multi-index exists in both shapes; new elements come from
// `fill(i)` where i is the new flat index. For a rank change the mapping is flat (by position).
// `max_elements` bounds the new size (error names the size and the limit).
template <typename Fill>
base::StatusOr<Tensor> Realloc(const Tensor& t, Shape new_shape, int64_t max_elements, Fill fill);

// OK when a tensor of `elements` f64 values fits under `max_elements`; otherwise the error
// "allocation of N elements (X GiB) exceeds the limit of 8 GiB". Shared by alloc and realloc.
base::Status CheckAllocation(int64_t elements, int64_t max_elements);

// Validates run-time dims from the program (each a finite non-negative integer-valued double,
// total <= max_elements) and converts them. Error names the bad dimension or the total size.
base::StatusOr<Shape> ShapeFromDims(base::Span<const double> dims, int64_t max_elements);

// Default bound on one tensor's element count (8 GiB of f64), overridable with --max-alloc.
inline constexpr int64_t kDefaultMaxElements = (int64_t{8} << 30) / 8;

// Process-wide bound on the tensors that kernels create from valid operands (Binary's
// broadcast result, Matmul's product, BroadcastTo/IndexAdjoint targets): a larger result is
// the CheckAllocation error instead of an exhausted memory. Default kDefaultMaxElements;
// values <= 0 are ignored. Thread-safe.
void SetMaxElements(int64_t max_elements);
int64_t MaxElements();

}  // namespace noma::runtime

#include "noma/runtime/internal/realloc_impl.h"  // IWYU pragma: keep

#endif  // NOMA_RUNTIME_TENSOR_H_
