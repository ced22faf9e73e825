#include "noma/runtime/program.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "noma/graph/messages.h"
#include "noma/runtime/base.h"
#include "noma/runtime/device.h"
#include "noma/runtime/format.h"
#include "noma/runtime/io.h"
#include "noma/runtime/rng.h"
#include "noma/runtime/stack.h"
#include "noma/runtime/tensor.h"
#include "noma/runtime/threads.h"
#include "noma/runtime/watch.h"

namespace base = noma::base;

namespace {

using noma::runtime::BinaryKernel;
using noma::runtime::DeviceAddress;
using noma::runtime::DeviceBackend;
using noma::runtime::DeviceOperand;
using noma::runtime::Shape;
using noma::runtime::Tensor;
using noma::runtime::UnaryKernel;

// A reference-counted tensor snapshot (programs are single-threaded). With a device backend
// (device.h) the value may live in device memory only: then `host_stale` is set, `tensor` holds
// no meaningful data and `device_shape` is its shape until TensorOf downloads it.
struct TensorObject {
  int64_t refs;
  Tensor tensor;
  Shape device_shape;
  DeviceAddress device = 0;  // A device buffer of device_elements elements, or 0.
  int64_t device_elements = 0;
  bool host_stale = false;    // Only the device copy holds the value.
  bool device_valid = false;  // The device copy holds the value.
};

DeviceBackend*& Backend() {
  static DeviceBackend* backend = nullptr;
  return backend;
}

// The running program's process-wide state.
struct ProgramState {
  const noma_program* program = nullptr;
  noma::runtime::Rng rng{0};
  std::string error;
  int64_t max_elements = noma::runtime::kDefaultMaxElements;
  bool check_nan = false;
  int32_t optimize_depth = 0;
  int64_t call_depth = 0;
  int64_t max_call_depth = 100000;
  // The program thread's stack: where it starts and how much of it calls may use.
  const char* stack_base = nullptr;
  size_t stack_budget = 0;
  int64_t error_location = -1;
};

ProgramState& State() {
  static ProgramState* state = new ProgramState();
  return *state;
}

constexpr int64_t kMaxCallDepth = 100000;
constexpr int64_t kMaxLibraryCallDepth = 1000;
// Headroom below the budget for the frames of the call being entered and of the runtime.
constexpr size_t kStackHeadroom = size_t{64} << 20;
// Library calls run on the caller's thread: assume a default 8 MiB stack, half of it ours.
constexpr size_t kLibraryStackBudget = size_t{4} << 20;
constexpr size_t kProgramStackBytes = size_t{1} << 30;

}  // namespace

extern "C" {
int64_t noma_p_location = -1;
int32_t noma_p_error_pending = 0;
int32_t noma_p_nan_checks = 0;
}

namespace {

// Records the run's first error (see program.h: errors are deferred).
int32_t Fail(std::string message) {
  if (noma_p_error_pending) return 1;
  ProgramState& state = State();
  state.error = std::move(message);
  state.error_location = noma_p_location;
  noma_p_error_pending = 1;
  return 1;
}
int32_t Fail(const base::Status& status) { return Fail(std::string(status.message())); }

TensorObject* Object(const noma_cell* cell) { return static_cast<TensorObject*>(cell->object); }

// The host copy, downloaded first when only the device has the value.
const Tensor& HostTensor(TensorObject* object) {
  if (object->host_stale) {
    object->tensor.Reset(object->device_shape, object->device_elements);
    base::Status copied =
        Backend()->Download(object->tensor.data(), object->device, object->device_elements);
    if (!copied.ok()) Fail(copied);
    object->host_stale = false;
  }
  return object->tensor;
}
const Tensor& TensorOf(const noma_cell* cell) { return HostTensor(Object(cell)); }

// A tensor cell's shape, without copying a device-resident value to the host.
const Shape& ShapeOfTensor(const noma_cell* cell) {
  const TensorObject* object = Object(cell);
  return object->host_stale ? object->device_shape : object->tensor.shape();
}

// The object's value is about to be written on the host: any device copy becomes stale.
void MarkHostWrite(TensorObject* object) {
  object->host_stale = false;
  object->device_valid = false;
}

// Gives an unreferenced object's device buffer back to the backend (its value is dead).
void DropDeviceCopy(TensorObject* object) {
  if (object->device != 0) Backend()->Free(object->device, object->device_elements);
  object->device = 0;
  object->device_elements = 0;
  object->device_valid = false;
  object->host_stale = false;
}

void DestroyObject(TensorObject* object) {
  if (object->device != 0 && Backend() != nullptr) {
    Backend()->Free(object->device, object->device_elements);
  }
  delete object;
}

// Released tensor objects are kept (up to kPoolSize, with their storage) and handed out again:
// a training loop makes tensors of the same shapes every iteration, and reusing them saves
// the allocations that otherwise dominate programs with small tensors.
constexpr size_t kPoolSize = 64;
constexpr int64_t kPoolMaxElements = int64_t{1} << 20;
std::vector<TensorObject*>& Pool() {
  static auto* pool = new std::vector<TensorObject*>();
  return *pool;
}

void Recycle(TensorObject* object) {
  std::vector<TensorObject*>& pool = Pool();
  // Large device buffers go back to the backend (which caches them within a bound), not into
  // the pool, where 64 of them could hold on to gigabytes of device memory.
  if (object->device_elements > kPoolMaxElements) DropDeviceCopy(object);
  if (object->tensor.size() > kPoolMaxElements) {
    DestroyObject(object);
    return;
  }
  // Full: the object released longest ago goes (a network that grew leaves objects of its old
  // sizes behind; the pool keeps the sizes in use now).
  if (pool.size() >= kPoolSize) {
    DestroyObject(pool.front());
    pool.erase(pool.begin());
  }
  pool.push_back(object);
}

// A tensor object for a result of about `count` elements: a pooled one with that many when
// there is one, else the pooled one with the smallest storage that holds `count` (its storage
// is then reused by Tensor::Reset without allocating or zeroing), else a new one.
TensorObject* AcquireObject(int64_t count) {
  std::vector<TensorObject*>& pool = Pool();
  size_t best = pool.size();
  size_t best_capacity = SIZE_MAX;
  for (size_t i = pool.size(); i-- > 0;) {
    size_t size = static_cast<size_t>(pool[i]->tensor.size());
    size_t capacity = pool[i]->tensor.values().capacity();
    if (size == static_cast<size_t>(count)) {
      best = i;
      break;
    }
    if (capacity >= static_cast<size_t>(count) && capacity < best_capacity) {
      best = i;
      best_capacity = capacity;
    }
  }
  if (best == pool.size()) return new TensorObject{1, Tensor(), Shape()};
  TensorObject* object = pool[best];
  pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(best));  // Keeps release order.
  object->refs = 1;
  MarkHostWrite(object);
  return object;
}

void Release(noma_cell* cell) {
  if (cell->kind == NOMA_P_TENSOR) {
    TensorObject* object = Object(cell);
    if (--object->refs == 0) Recycle(object);
  }
  cell->kind = NOMA_P_UNSET;
  cell->object = nullptr;
}

// Rank-0 kernel results are scalars in the language.
void SetTensor(noma_cell* dst, Tensor tensor) {
  if (tensor.rank() == 0) {
    double value = tensor.scalar();
    Release(dst);
    dst->kind = NOMA_P_SCALAR;
    dst->scalar = value;
    return;
  }
  TensorObject* object;
  std::vector<TensorObject*>& pool = Pool();
  if (!pool.empty()) {  // Reuse a shell; the new tensor's storage moves in.
    object = pool.back();
    pool.pop_back();
    object->refs = 1;
    MarkHostWrite(object);
    object->tensor = std::move(tensor);
  } else {
    object = new TensorObject{1, std::move(tensor), Shape()};
  }
  Release(dst);
  dst->kind = NOMA_P_TENSOR;
  dst->object = object;
}

// Points dst at `object` (a fresh reference from AcquireObject).
void SetObject(noma_cell* dst, TensorObject* object) {
  Release(dst);
  dst->kind = NOMA_P_TENSOR;
  dst->object = object;
}

// Runs `compute(Tensor* out)` (a *Into kernel) into a recycled object and stores the result.
template <typename Kernel>
int32_t ComputeInto(noma_cell* dst, int64_t expected_elements, Kernel&& compute) {
  TensorObject* object = AcquireObject(expected_elements);
  base::Status status = compute(&object->tensor);
  if (!status.ok()) {
    object->refs = 0;
    Recycle(object);
    return Fail(status);
  }
  Release(dst);
  dst->kind = NOMA_P_TENSOR;
  dst->object = object;
  return 0;
}

// The element count of an existing tensor's shape, from the shape alone: reading the tensor
// itself could download it from a device.
int64_t ElementsOf(const Shape& shape) {
  int64_t elements = 1;
  for (int64_t d : shape) elements *= d;
  return elements;
}

// dst = a recycled tensor shaped like the tensor `like`, every element `value`.
int32_t FillLike(noma_cell* dst, const noma_cell* like, double value) {
  const Shape& shape = ShapeOfTensor(like);
  int64_t elements = ElementsOf(shape);
  return ComputeInto(dst, elements, [&](Tensor* out) {
    out->Reset(shape, elements);
    std::fill(out->data(), out->data() + elements, value);
    return base::OkStatus();
  });
}

int32_t Deliver(noma_cell* dst, base::StatusOr<Tensor> result) {
  if (!result.ok()) return Fail(result.status());
  SetTensor(dst, *std::move(result));
  return 0;
}

Tensor AsTensor(const noma_cell* cell) {
  return cell->kind == NOMA_P_TENSOR ? TensorOf(cell) : Tensor::Scalar(cell->scalar);
}

// A cell's value as a tensor without copying a tensor (a scalar becomes a rank-0 tensor).
// `*Operand(cell)` lives until the end of the full expression.
class Operand {
 public:
  // The rank-0 tensor is only built for a scalar (building one allocates).
  explicit Operand(const noma_cell* cell) : cell_(cell) {
    if (cell->kind != NOMA_P_TENSOR) scalar_.emplace(Tensor::Scalar(cell->scalar));
  }
  const Tensor& operator*() const { return scalar_ ? *scalar_ : TensorOf(cell_); }

 private:
  const noma_cell* cell_;
  std::optional<Tensor> scalar_;
};

std::string ShapeOf(const noma_cell* cell) {
  return cell->kind == NOMA_P_TENSOR ? noma::runtime::ShapeToString(ShapeOfTensor(cell)) : "scalar";
}

bool IsNumeric(const noma_cell* cell) {
  return cell->kind == NOMA_P_SCALAR || cell->kind == NOMA_P_TENSOR;
}

int32_t RequireNumeric(const noma_cell* cell) {
  if (IsNumeric(cell)) return 0;
  return Fail(noma::messages::kStringMisuse);
}

int32_t RequireTensor(const noma_cell* cell, const char* what) {
  if (cell->kind == NOMA_P_TENSOR) return 0;
  return Fail(base::StrCat(what, ": expected a tensor, got a scalar"));
}

int32_t ScalarArg(const noma_cell* cell, const char* what, double* out) {
  if (cell->kind != NOMA_P_SCALAR) {
    return Fail(base::StrCat(what, ": expected a scalar, got a tensor of shape ", ShapeOf(cell)));
  }
  *out = cell->scalar;
  return 0;
}

int32_t StringArg(const noma_cell* cell, std::string* out) {
  if (cell->kind != NOMA_P_STRING) return Fail("expected a file path (a string)");
  *out = static_cast<const char*>(cell->object);
  return 0;
}

int32_t Dims(noma_cell* const* dims, int32_t count, Shape* shape) {
  std::vector<double> values;
  for (int32_t i = 0; i < count; ++i) {
    double d;
    if (ScalarArg(dims[i], "dimension", &d)) return 1;
    values.push_back(d);
  }
  auto result = noma::runtime::ShapeFromDims(values, State().max_elements);
  if (!result.ok()) return Fail(result.status());
  *shape = *std::move(result);
  return 0;
}

// The pending error rendered with its source location, as the interpreter renders it.
std::string RenderError() {
  ProgramState& state = State();
  const noma_program* program = state.program;
  int64_t location = state.error_location;
  if (program == nullptr || location < 0 || location >= program->location_count) {
    return base::StrCat("error: ", state.error, "\n");
  }
  return base::StrCat(program->location_prefix[location], state.error,
                      program->location_suffix[location]);
}

// Prints the pending error.
void ReportError() {
  noma_p_clear_progress();
  std::fflush(stdout);
  std::string text = RenderError();
  std::fwrite(text.data(), 1, text.size(), stderr);
}

int32_t PrintLine(const std::string& text) {
  if (noma_p_error_pending) return 1;  // Nothing visible happens after an error.
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

void PrintValue(const noma_cell* cell) {
  switch (cell->kind) {
    case NOMA_P_SCALAR:
      PrintLine(noma::runtime::FormatScalar(cell->scalar));
      break;
    case NOMA_P_TENSOR:
      PrintLine(noma::runtime::FormatTensor(TensorOf(cell)));
      break;
    case NOMA_P_STRING:
      PrintLine(static_cast<const char*>(cell->object));
      break;
    default:
      PrintLine("");
      break;
  }
}

const char* const kBuiltinNames[NOMA_P_BUILTIN_COUNT] = {
#define NOMA_BUILTIN(Id, name, min_args, max_args, Differentiability) name,
#include "noma/graph/builtins.def"
};

int32_t DeviceElementwise(noma_cell* dst, int32_t arity, int32_t kernel, const noma_cell* a,
                          const noma_cell* b);

int32_t Binary(noma_cell* dst, BinaryKernel kernel, const noma_cell* a, const noma_cell* b) {
  if (a->kind == NOMA_P_SCALAR && b->kind == NOMA_P_SCALAR) {
    noma_p_set_scalar(dst, noma::runtime::ApplyBinary(kernel, a->scalar, b->scalar));
    return 0;
  }
  if (a->kind == NOMA_P_STRING || b->kind == NOMA_P_STRING) {
    return Fail(noma::messages::kStringMisuse);
  }
  if (int32_t on_device = DeviceElementwise(dst, 2, static_cast<int32_t>(kernel), a, b);
      on_device >= 0) {
    return on_device;
  }
  if ((a->kind == NOMA_P_SCALAR && b->kind == NOMA_P_TENSOR) ||
      (a->kind == NOMA_P_TENSOR && b->kind == NOMA_P_SCALAR)) {
    // A scalar and a tensor: the scalar is a stride-0 operand, which is what broadcasting it
    // as a rank-0 tensor gives, element for element, without building that tensor.
    const Tensor& t = TensorOf(a->kind == NOMA_P_TENSOR ? a : b);
    return ComputeInto(dst, t.size(), [&](Tensor* out) {
      out->Reset(t.shape(), t.size());
      const double* pa = a->kind == NOMA_P_SCALAR ? &a->scalar : t.data();
      const double* pb = b->kind == NOMA_P_SCALAR ? &b->scalar : t.data();
      noma::runtime::BinaryArray(kernel, pa, a->kind == NOMA_P_SCALAR ? 0 : 1, pb,
                                 b->kind == NOMA_P_SCALAR ? 0 : 1, out->data(), t.size());
      return base::OkStatus();
    });
  }
  // (An operand may be unset after an error that is still to be reported: Operand reads it
  // as 0.)
  Operand x(a), y(b);
  return ComputeInto(dst, std::max((*x).size(), (*y).size()),
                     [&](Tensor* out) { return noma::runtime::BinaryInto(kernel, *x, *y, out); });
}

// The generator's builtins.
int32_t RandomBuiltin(noma_cell* dst, noma_builtin_id builtin, noma_cell* const* args,
                      int32_t count, const char* name) {
  noma::runtime::Rng& rng = State().rng;
  double a = 0, b = 0;
  Shape shape;
  // The caller's switch lists exactly these builtins.
  if (builtin == NOMA_P_BUILTIN_Rand) {
    noma_p_set_scalar(dst, rng.Uniform());
  } else if (builtin == NOMA_P_BUILTIN_RandUniform || builtin == NOMA_P_BUILTIN_RandNormal) {
    if (ScalarArg(args[0], name, &a) || ScalarArg(args[1], name, &b)) return 1;
    noma_p_set_scalar(dst,
                      builtin == NOMA_P_BUILTIN_RandUniform ? rng.Uniform(a, b) : rng.Normal(a, b));
  } else if (builtin == NOMA_P_BUILTIN_RandTensor) {
    if (Dims(args, count, &shape)) return 1;
    SetTensor(dst, rng.UniformTensor(std::move(shape)));
  } else if (builtin == NOMA_P_BUILTIN_RandNormalTensor || builtin == NOMA_P_BUILTIN_XavierInit) {
    if (ScalarArg(args[0], name, &a) || ScalarArg(args[1], name, &b) ||
        Dims(args + 2, count - 2, &shape)) {
      return 1;
    }
    SetTensor(dst, builtin == NOMA_P_BUILTIN_XavierInit ? rng.Xavier(a, b, std::move(shape))
                                                        : rng.NormalTensor(a, b, std::move(shape)));
  } else if (builtin == NOMA_P_BUILTIN_HeInit) {
    if (ScalarArg(args[0], name, &a) || Dims(args + 1, count - 1, &shape)) return 1;
    SetTensor(dst, rng.He(a, std::move(shape)));
  } else {  // seed
    if (ScalarArg(args[0], name, &a)) return 1;
    rng.Seed(noma::runtime::SeedFromDouble(a));
    noma_p_set_scalar(dst, a);
  }
  return 0;
}

// A shape of rank <= 2 without allocation, for fused chains.
struct SmallShape {
  int rank = 0;
  int64_t dims[2] = {1, 1};
};

// NumPy broadcasting of two small shapes (as BroadcastShapes); false when they do not.
bool BroadcastSmall(const SmallShape& a, const SmallShape& b, SmallShape* out) {
  SmallShape result;
  result.rank = std::max(a.rank, b.rank);
  for (int k = 0; k < result.rank; ++k) {
    int64_t da = k < a.rank ? a.dims[a.rank - 1 - k] : 1;
    int64_t db = k < b.rank ? b.dims[b.rank - 1 - k] : 1;
    if (da != db && da != 1 && db != 1) return false;
    result.dims[result.rank - 1 - k] = da == 1 ? db : da;
  }
  *out = result;
  return true;
}

// How a fused chain runs: its result shape, as [rows, cols], and each leaf's row and column
// strides (0 where it is broadcast; both 0 for a scalar leaf).
struct ChainPlan {
  Shape shape;
  int64_t elements = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t row_stride[NOMA_P_FUSION_MAX_LEAVES];
  int64_t col_stride[NOMA_P_FUSION_MAX_LEAVES];
};

// Plans `program` over `leaves` with shapes broadcast exactly as the unfused operations would
// (NumPy rules; a fused result has rank 1 or 2, so any operand of higher rank declines).
// False when the chain cannot run as one pass; the operations then run one by one.
bool PlanChain(const noma_cell* const* leaves, int32_t leaf_count, const int32_t* program,
               int32_t node_count, ChainPlan* plan) {
  if (leaf_count > NOMA_P_FUSION_MAX_LEAVES || node_count > NOMA_P_FUSION_MAX_NODES ||
      node_count < 1) {
    return false;
  }
  SmallShape leaf_shapes[NOMA_P_FUSION_MAX_LEAVES];
  for (int32_t l = 0; l < leaf_count; ++l) {
    if (!IsNumeric(leaves[l])) return false;
    leaf_shapes[l] = SmallShape{};
    if (leaves[l]->kind != NOMA_P_TENSOR) continue;
    const Shape& ls = ShapeOfTensor(leaves[l]);
    if (ls.size() > 2) return false;
    leaf_shapes[l].rank = static_cast<int>(ls.size());
    for (size_t d = 0; d < ls.size(); ++d) leaf_shapes[l].dims[d] = ls[d];
  }
  SmallShape node_shapes[NOMA_P_FUSION_MAX_NODES];
  auto shape_of = [&](int32_t operand) -> const SmallShape& {
    return operand >= 0 ? leaf_shapes[operand] : node_shapes[-1 - operand];
  };
  for (int32_t k = 0; k < node_count; ++k) {
    const int32_t* node = program + 4 * k;
    if (node[0] == 1) {
      node_shapes[k] = shape_of(node[2]);
    } else if (!BroadcastSmall(shape_of(node[2]), shape_of(node[3]), &node_shapes[k])) {
      return false;
    }
  }
  const SmallShape& small = node_shapes[node_count - 1];
  if (small.rank == 0) return false;
  plan->shape.assign(small.dims, small.dims + small.rank);
  base::StatusOr<int64_t> elements = noma::runtime::ElementCount(plan->shape);
  if (!elements.ok() ||
      !noma::runtime::CheckAllocation(*elements, noma::runtime::MaxElements()).ok()) {
    return false;
  }
  plan->elements = *elements;
  plan->rows = small.rank == 2 ? small.dims[0] : 1;
  plan->cols = small.dims[small.rank - 1];
  bool contiguous = true;
  for (int32_t l = 0; l < leaf_count; ++l) {
    const SmallShape& ls = leaf_shapes[l];
    if (ls.rank == 0) {
      plan->row_stride[l] = plan->col_stride[l] = 0;
      continue;
    }
    int64_t leaf_cols = ls.dims[ls.rank - 1];
    int64_t leaf_rows = ls.rank == 2 ? ls.dims[0] : 1;
    plan->col_stride[l] = leaf_cols == plan->cols ? 1 : 0;
    plan->row_stride[l] = leaf_rows == plan->rows ? leaf_cols : 0;
    if (!(plan->col_stride[l] == 1 && (plan->row_stride[l] == plan->cols || plan->rows == 1))) {
      contiguous = false;
    }
  }
  if (contiguous) {  // Every leaf is a scalar or has the full shape: one long row.
    plan->cols *= plan->rows;
    plan->rows = 1;
  }
  return true;
}

// ---- Device residency (device.h) ----

// The cell's value in device memory, uploaded when the device has no current copy.
base::StatusOr<DeviceAddress> OnDevice(const noma_cell* cell) {
  TensorObject* object = Object(cell);
  if (object->device_valid) return object->device;
  int64_t elements = object->tensor.size();
  if (object->device != 0 && object->device_elements != elements) {
    Backend()->Free(object->device, object->device_elements);
    object->device = 0;
  }
  if (object->device == 0) {
    base::StatusOr<DeviceAddress> buffer = Backend()->Allocate(elements);
    if (!buffer.ok()) return buffer.status();
    object->device = *buffer;
    object->device_elements = elements;
  }
  if (base::Status copied = Backend()->Upload(object->device, object->tensor.data(), elements);
      !copied.ok()) {
    return copied;
  }
  object->device_valid = true;
  return object->device;
}

// A fresh object whose value a device kernel is about to write: a pooled one with a device
// buffer of that size when there is one.
base::StatusOr<TensorObject*> NewDeviceResult(Shape shape, int64_t elements) {
  std::vector<TensorObject*>& pool = Pool();
  TensorObject* object = nullptr;
  for (size_t i = pool.size(); i-- > 0;) {
    if (pool[i]->device != 0 && pool[i]->device_elements == elements) {
      object = pool[i];
      pool[i] = pool.back();
      pool.pop_back();
      break;
    }
  }
  if (object == nullptr) object = new TensorObject{0, Tensor(), Shape()};
  object->refs = 1;
  if (object->device == 0) {
    base::StatusOr<DeviceAddress> buffer = Backend()->Allocate(elements);
    if (!buffer.ok()) {
      DestroyObject(object);
      return buffer.status();
    }
    object->device = *buffer;
    object->device_elements = elements;
  }
  object->device_shape = std::move(shape);
  object->host_stale = true;
  object->device_valid = true;
  return object;
}

void DiscardDeviceResult(TensorObject* object) {
  object->refs = 0;
  object->host_stale = false;  // Nothing to download: the object is recycled unread.
  object->device_valid = false;
  Recycle(object);
}

// Stores a device result of rank >= 1 in dst, or downloads a rank-0 one as a scalar.
int32_t DeliverDevice(noma_cell* dst, TensorObject* object) {
  if (!object->device_shape.empty()) {
    SetObject(dst, object);
    return 0;
  }
  double value = 0;
  base::Status copied = Backend()->Download(&value, object->device, 1);
  DiscardDeviceResult(object);
  if (!copied.ok()) return Fail(copied);
  noma_p_set_scalar(dst, value);
  return 0;
}

// Runs a planned elementwise chain on the device. 0 (done) or 1 (error recorded), or -1 when
// there is no device, the result is empty or the device has no kernel for the chain: the host
// then computes it.
int32_t DeviceChain(noma_cell* dst, const noma_cell* const* leaves, int32_t leaf_count,
                    const int32_t* program, int32_t node_count, const ChainPlan& plan) {
  if (Backend() == nullptr || noma_p_error_pending || plan.elements == 0) return -1;
  DeviceOperand operands[NOMA_P_FUSION_MAX_LEAVES];
  for (int32_t l = 0; l < leaf_count; ++l) {
    operands[l].row_stride = plan.row_stride[l];
    operands[l].col_stride = plan.col_stride[l];
    if (leaves[l]->kind != NOMA_P_TENSOR) {
      operands[l].scalar = leaves[l]->scalar;
      continue;
    }
    base::StatusOr<DeviceAddress> data = OnDevice(leaves[l]);
    if (!data.ok()) return Fail(data.status());
    operands[l].data = *data;
  }
  base::StatusOr<TensorObject*> result = NewDeviceResult(plan.shape, plan.elements);
  if (!result.ok()) return Fail(result.status());
  base::Status ran =
      Backend()->Elementwise(base::MakeConstSpan(program, 4 * node_count), (*result)->device,
                             plan.rows, plan.cols, base::MakeConstSpan(operands, leaf_count));
  if (!ran.ok()) {
    DiscardDeviceResult(*result);
    return base::IsNotFound(ran) ? -1 : Fail(ran);
  }
  SetObject(dst, *result);
  return 0;
}

// One elementwise operation on the device (see DeviceChain).
int32_t DeviceElementwise(noma_cell* dst, int32_t arity, int32_t kernel, const noma_cell* a,
                          const noma_cell* b) {
  if (Backend() == nullptr) return -1;
  const int32_t program[4] = {arity, kernel, 0, arity == 2 ? 1 : 0};
  const noma_cell* leaves[2] = {a, b};
  ChainPlan plan;
  if (!PlanChain(leaves, arity, program, 1, &plan)) return -1;
  return DeviceChain(dst, leaves, arity, program, 1, plan);
}

// `kernel`(a, b) over a result of `shape` (rank 1 or 2) that no operand has: `a` is read with
// the given strides, `b` is a scalar. -1 declines (see DeviceChain).
int32_t DeviceBinaryOver(noma_cell* dst, BinaryKernel kernel, const Shape& shape,
                         const noma_cell* a, int64_t a_row_stride, int64_t a_col_stride,
                         const noma_cell* b) {
  if (Backend() == nullptr || noma_p_error_pending || shape.empty() || shape.size() > 2) {
    return -1;
  }
  const noma_cell* leaves[2] = {a, b};
  const int32_t program[4] = {2, static_cast<int32_t>(kernel), 0, 1};
  ChainPlan plan;
  plan.shape = shape;
  plan.elements = 1;
  for (int64_t d : shape) plan.elements *= d;
  plan.rows = shape.size() == 2 ? shape[0] : 1;
  plan.cols = shape.back();
  plan.row_stride[0] = a_row_stride;
  plan.col_stride[0] = a_col_stride;
  plan.row_stride[1] = plan.col_stride[1] = 0;
  return DeviceChain(dst, leaves, 2, program, 1, plan);
}

// Σ (or mean) of `x` viewed as [outer, n, inner] over n, into a result of `shape`.
int32_t DeviceReduce(noma_cell* dst, const noma_cell* x, int64_t outer, int64_t n, int64_t inner,
                     double divisor, Shape shape) {
  base::StatusOr<DeviceAddress> data = OnDevice(x);
  if (!data.ok()) return Fail(data.status());
  base::StatusOr<TensorObject*> result = NewDeviceResult(std::move(shape), outer * inner);
  if (!result.ok()) return Fail(result.status());
  if (base::Status ran = Backend()->Reduce((*result)->device, *data, outer, n, inner, divisor);
      !ran.ok()) {
    DiscardDeviceResult(*result);
    return Fail(ran);
  }
  return DeliverDevice(dst, *result);
}

// A device reduction applies to non-empty tensors of rank <= 2 while no error is pending.
bool DeviceReduces(const noma_cell* x) {
  if (Backend() == nullptr || noma_p_error_pending || x->kind != NOMA_P_TENSOR) return false;
  const Shape& shape = ShapeOfTensor(x);
  if (shape.size() > 2) return false;
  for (int64_t d : shape) {
    if (d == 0) return false;
  }
  return true;
}

// matmul and transpose of rank-2 tensors on the device; -1 declines (see DeviceChain).
int32_t DeviceMatmul(noma_cell* dst, const noma_cell* a, const noma_cell* b) {
  if (Backend() == nullptr || noma_p_error_pending || a->kind != NOMA_P_TENSOR ||
      b->kind != NOMA_P_TENSOR) {
    return -1;
  }
  const Shape& sa = ShapeOfTensor(a);
  const Shape& sb = ShapeOfTensor(b);
  if (sa.size() != 2 || sb.size() != 2 || sa[1] != sb[0] || sa[0] == 0 || sa[1] == 0 ||
      sb[1] == 0) {
    return -1;
  }
  Shape shape = {sa[0], sb[1]};
  base::StatusOr<int64_t> elements = noma::runtime::ElementCount(shape);
  if (!elements.ok() ||
      !noma::runtime::CheckAllocation(*elements, noma::runtime::MaxElements()).ok()) {
    return -1;
  }
  int64_t n = sa[0], k = sa[1], m = sb[1];
  base::StatusOr<DeviceAddress> x = OnDevice(a);
  if (!x.ok()) return Fail(x.status());
  base::StatusOr<DeviceAddress> y = OnDevice(b);
  if (!y.ok()) return Fail(y.status());
  base::StatusOr<TensorObject*> result = NewDeviceResult(std::move(shape), *elements);
  if (!result.ok()) return Fail(result.status());
  if (base::Status ran = Backend()->Matmul((*result)->device, *x, *y, n, k, m); !ran.ok()) {
    DiscardDeviceResult(*result);
    return Fail(ran);
  }
  SetObject(dst, *result);
  return 0;
}

int32_t DeviceTranspose(noma_cell* dst, const noma_cell* a) {
  if (!DeviceReduces(a) || ShapeOfTensor(a).size() != 2) return -1;
  Shape shape = ShapeOfTensor(a);
  int64_t rows = shape[0], cols = shape[1];
  base::StatusOr<DeviceAddress> x = OnDevice(a);
  if (!x.ok()) return Fail(x.status());
  base::StatusOr<TensorObject*> result = NewDeviceResult({cols, rows}, rows * cols);
  if (!result.ok()) return Fail(result.status());
  if (base::Status ran = Backend()->Transpose((*result)->device, *x, rows, cols); !ran.ok()) {
    DiscardDeviceResult(*result);
    return Fail(ran);
  }
  SetObject(dst, *result);
  return 0;
}

// Frees the device copies of pooled objects (before the backend changes).
void DropPooledDeviceCopies() {
  for (TensorObject* object : Pool()) DropDeviceCopy(object);
}

struct Tapes {
  std::map<int64_t, std::vector<noma_cell>> stacks;
};

struct RunTask {
  const noma_program* program;
  int32_t exit_code = 0;
};

void* RunProgramTask(void* arg) {
  auto* task = static_cast<RunTask*>(arg);
  noma_cell result = {};
  char base;
  State().stack_base = &base;
  State().stack_budget = kProgramStackBytes - kStackHeadroom;
  State().call_depth = 1;
  task->program->entry(nullptr, &result);
  if (noma_p_error_pending) {
    ReportError();
    task->exit_code = 1;
  } else if (result.kind != NOMA_P_UNSET) {
    PrintValue(&result);
  }
  Release(&result);
  noma_p_clear_progress();
  return nullptr;
}

}  // namespace

// --alloc-stats: the heap allocations the whole process made, printed at exit. The counter
// comes from heap_counter.cc, linked into the CLI and executables; elsewhere (a library in a
// user's program) it is absent and the option says so.
extern "C" uint64_t noma_p_heap_allocations(void) __attribute__((weak));

void PrintAllocStats() {
  if (noma_p_heap_allocations == nullptr) {
    std::fputs("alloc-stats: heap allocations are not counted in this build\n", stderr);
    return;
  }
  std::fprintf(stderr, "alloc-stats: %llu heap allocations\n",
               static_cast<unsigned long long>(noma_p_heap_allocations()));
}

extern "C" {

int32_t noma_p_parse_options(int argc, const char* const* argv, const char* help,
                             noma_run_options* options) {
  options->seed = 0;
  options->max_elements = noma::runtime::kDefaultMaxElements;
  options->check_nan = 0;
  options->progress = isatty(STDERR_FILENO) != 0;
  options->metrics_path = nullptr;
  auto usage = [](const std::string& message) {
    std::fprintf(stderr, "error: %s (see --help)\n", message.c_str());
    return 2;
  };
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(help, stdout);
      return 1;
    } else if (arg == "--seed") {
      int64_t seed;
      if (i + 1 >= argc || !base::SimpleAtoi(argv[++i], &seed)) {
        return usage("--seed needs an integer");
      }
      options->seed = static_cast<uint64_t>(seed);
    } else if (arg == "--threads") {
      // Process-wide (the kernels' pool, threads.h), so it is applied here rather than
      // carried in noma_run_options: `noma run` runs the interpreter, not noma_p_run.
      int64_t threads;
      if (i + 1 >= argc || !base::SimpleAtoi(argv[++i], &threads) || threads <= 0) {
        return usage("--threads needs a positive integer");
      }
      noma::runtime::SetThreadCount(static_cast<int>(std::min<int64_t>(threads, 1 << 20)));
    } else if (arg == "--check-nan") {
      options->check_nan = 1;
    } else if (arg == "--alloc-stats") {
      static bool registered = false;
      if (!registered) std::atexit(PrintAllocStats);
      registered = true;
    } else if (arg == "--progress" || arg == "--no-progress") {
      options->progress = arg == "--progress";
    } else if (arg == "--metrics") {
      if (i + 1 >= argc || argv[i + 1][0] == '\0') return usage("--metrics needs a file name");
      options->metrics_path = argv[++i];
    } else if (arg == "--max-alloc") {
      int64_t bytes;
      if (i + 1 >= argc || !base::SimpleAtoi(argv[++i], &bytes) || bytes <= 0) {
        return usage("--max-alloc needs a positive number of bytes");
      }
      options->max_elements = bytes / 8;
    } else {
      return usage(base::StrCat("unknown option '", arg, "'"));
    }
  }
  return 0;
}

int32_t noma_p_run(const noma_program* program, const noma_run_options* options) {
  ProgramState& state = State();
  state.program = program;
  state.rng.Seed(options->seed);
  state.max_elements = options->max_elements;
  state.check_nan = options->check_nan != 0;
  state.optimize_depth = 0;
  state.call_depth = 0;
  state.max_call_depth = kMaxCallDepth;
  state.error.clear();
  state.error_location = -1;
  noma_p_error_pending = 0;
  noma_p_location = -1;
  noma_p_nan_checks = 0;
  noma::runtime::SetMaxElements(options->max_elements);
  noma::runtime::TrainingWatch& watch = noma::runtime::TrainingWatch::Get();
  // Under `bazel run` (noma_binary) the program runs in its runfiles tree; a relative metrics
  // file goes where the user typed the command, like `noma run`'s.
  std::string metrics = options->metrics_path != nullptr ? options->metrics_path : "";
  const char* user_dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (!metrics.empty() && metrics[0] != '/' && user_dir != nullptr && *user_dir != '\0') {
    metrics = base::StrCat(user_dir, "/", metrics);
  }
  if (std::string error = watch.Start(metrics.c_str(), options->progress != 0); !error.empty()) {
    std::fprintf(stderr, "error: --metrics: %s\n", error.c_str());
    return 1;
  }
  // Deep recursion in the program is deep native recursion: a large stack (only the pages
  // touched are committed), and a depth limit that makes it an error instead of a crash.
  RunTask task{program};
  if (!noma::runtime::RunWithStack(kProgramStackBytes, RunProgramTask, &task)) {
    RunProgramTask(&task);
  }
  watch.Finish();
  std::fflush(stdout);
  return task.exit_code;
}

int32_t noma_p_main(const noma_program* program, int argc, char** argv) {
  static const char kHelp[] =
      "usage: PROGRAM [options]\n"
      "\n"
      "A NOMA program compiled with `noma build-exe`; it trains when it runs.\n"
      "\n"
      "options:\n" NOMA_P_OPTIONS_HELP "  -h, --help         show this help\n";
  noma_run_options options;
  int32_t parsed = noma_p_parse_options(argc - 1, argv + 1, kHelp, &options);
  if (parsed == 1) return 0;
  if (parsed != 0) return parsed;
  return noma_p_run(program, &options);
}

int32_t noma_p_error(const char* message) { return Fail(message); }

void noma_p_warn_max_iterations(const char* prefix, double max_iterations) {
  if (noma_p_error_pending) return;
  noma::runtime::TrainingWatch::Get().MaxIterationsReached();
  std::string text =
      base::StrCat(prefix, noma::runtime::FormatScalar(max_iterations), ") with cond false\n");
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void noma_p_loop_begin(const char* where, const noma_cell* lr, double max_iterations,
                       int32_t batched) {
  double rate = lr != nullptr && lr->kind == NOMA_P_SCALAR ? lr->scalar : std::nan("");
  noma::runtime::TrainingWatch::Get().LoopBegin(where, rate, max_iterations, batched != 0);
}

void noma_p_batch_step(double loss) {
  if (noma_p_error_pending) return;
  noma::runtime::TrainingWatch::Get().BatchStep(loss);
}

void noma_p_progress(const char* /*where*/, int64_t count, double loss) {
  if (noma_p_error_pending) return;
  noma::runtime::TrainingWatch::Get().Iteration(count, loss);
}

void noma_p_clear_progress(void) { noma::runtime::TrainingWatch::Get().ClearProgress(); }

void noma_p_reset_optimizer_event(void) {
  if (noma_p_error_pending) return;
  noma::runtime::TrainingWatch::Get().ResetOptimizer();
}

int32_t noma_p_call(const noma_program* program,
                    int32_t (*function)(noma_cell* const* args, noma_cell* result),
                    noma_cell* const* args, int32_t count, noma_cell* result, char** error) {
  ProgramState& state = State();
  state.program = program;
  state.error.clear();
  state.error_location = -1;
  state.optimize_depth = 0;
  state.call_depth = 1;
  state.max_call_depth = kMaxLibraryCallDepth;
  char base;
  state.stack_base = &base;
  state.stack_budget = kLibraryStackBudget;
  noma_p_error_pending = 0;
  noma_p_nan_checks = 0;
  for (int32_t i = 0; i < count; ++i) {
    if (!IsNumeric(args[i])) {
      Fail(base::StrCat("argument ", i + 1, " is not a number"));
      break;
    }
  }
  if (!noma_p_error_pending) function(args, result);
  std::fflush(stdout);
  if (!noma_p_error_pending) return 0;
  Release(result);
  if (error != nullptr) *error = strdup(RenderError().c_str());
  noma_p_error_pending = 0;
  return 1;
}

void noma_p_string_free(char* text) { std::free(text); }

int32_t noma_p_set_tensor(noma_cell* dst, const int64_t* shape, int32_t rank, const double* data) {
  if (rank == 0) {
    noma_p_set_scalar(dst, data[0]);
    return 0;
  }
  if (rank < 0 || shape == nullptr) return Fail("invalid tensor shape");
  Shape dims(shape, shape + rank);
  base::StatusOr<int64_t> count = noma::runtime::ElementCount(dims);
  if (!count.ok()) return Fail(count.status());
  SetTensor(dst, Tensor(std::move(dims), std::vector<double>(data, data + *count)));
  return 0;
}

int32_t noma_p_cell_rank(const noma_cell* cell) {
  if (cell->kind == NOMA_P_SCALAR) return 0;
  if (cell->kind == NOMA_P_TENSOR) return static_cast<int32_t>(ShapeOfTensor(cell).size());
  return -1;
}

const int64_t* noma_p_cell_shape(const noma_cell* cell) {
  return cell->kind == NOMA_P_TENSOR ? ShapeOfTensor(cell).data() : nullptr;
}

const double* noma_p_cell_data(const noma_cell* cell) {
  return cell->kind == NOMA_P_TENSOR ? TensorOf(cell).data() : &cell->scalar;
}

noma_cell* noma_p_frame_new(int64_t count) {
  return static_cast<noma_cell*>(std::calloc(static_cast<size_t>(count), sizeof(noma_cell)));
}

void noma_p_frame_delete(noma_cell* cells) { std::free(cells); }

void noma_p_release(noma_cell* cell) { Release(cell); }

void noma_p_release_all(noma_cell* cells, int64_t count) {
  for (int64_t i = 0; i < count; ++i) Release(&cells[i]);
}

void noma_p_copy(noma_cell* dst, const noma_cell* src) {
  if (dst == src) return;
  if (src->kind == NOMA_P_TENSOR) ++Object(src)->refs;
  Release(dst);
  *dst = *src;
}

void noma_p_set_scalar(noma_cell* dst, double value) {
  Release(dst);
  dst->kind = NOMA_P_SCALAR;
  dst->scalar = value;
}

void noma_p_set_string(noma_cell* dst, const char* text) {
  Release(dst);
  dst->kind = NOMA_P_STRING;
  dst->object = const_cast<char*>(text);
}

int32_t noma_p_load(noma_cell* dst, const noma_cell* slot, const char* name) {
  if (slot->kind == NOMA_P_UNSET) {
    return Fail(base::StrCat("'", name, "' is used before it is given a value"));
  }
  if (slot->kind == NOMA_P_FREED) return Fail(base::StrCat("use of '", name, "' after free"));
  noma_p_copy(dst, slot);
  return 0;
}

int32_t noma_p_scalar_arg(const noma_cell* cell, const char* what, double* out) {
  return ScalarArg(cell, what, out);
}

int32_t noma_p_truthy(const noma_cell* cell, int32_t* truth) {
  if (cell->kind == NOMA_P_STRING) return Fail("condition must be a scalar, got a string");
  if (cell->kind != NOMA_P_SCALAR) {
    return Fail(base::StrCat("condition must be a scalar, got a tensor of shape ", ShapeOf(cell)));
  }
  *truth = cell->scalar != 0;  // NaN is true.
  return 0;
}

int32_t noma_p_require_numeric(const noma_cell* cell) { return RequireNumeric(cell); }

int32_t noma_p_expect_scalar(const noma_cell* cell, double* out) {
  if (cell->kind != NOMA_P_SCALAR) {
    return Fail(base::StrCat("internal error: expected a scalar value, got ", ShapeOf(cell)));
  }
  *out = cell->scalar;
  return 0;
}

double noma_p_unary_scalar(int32_t kernel, double a) {
  return noma::runtime::ApplyUnary(static_cast<UnaryKernel>(kernel), a);
}

double noma_p_binary_scalar(int32_t kernel, double a, double b) {
  return noma::runtime::ApplyBinary(static_cast<BinaryKernel>(kernel), a, b);
}

int32_t noma_p_unary(noma_cell* dst, int32_t kernel, const noma_cell* a) {
  if (RequireNumeric(a)) return 1;
  if (a->kind == NOMA_P_SCALAR) {
    noma_p_set_scalar(dst, noma_p_unary_scalar(kernel, a->scalar));
    return 0;
  }
  if (int32_t on_device = DeviceElementwise(dst, 1, kernel, a, nullptr); on_device >= 0) {
    return on_device;
  }
  return ComputeInto(dst, TensorOf(a).size(), [&](Tensor* out) {
    noma::runtime::UnaryInto(static_cast<UnaryKernel>(kernel), TensorOf(a), out);
    return base::OkStatus();
  });
}

int32_t noma_p_binary(noma_cell* dst, int32_t kernel, const noma_cell* a, const noma_cell* b) {
  return Binary(dst, static_cast<BinaryKernel>(kernel), a, b);
}

int32_t noma_p_short_circuit(noma_cell* dst, int32_t is_and, const noma_cell* lhs) {
  if (lhs->kind == NOMA_P_SCALAR && (lhs->scalar != 0) != (is_and != 0)) {
    noma_p_set_scalar(dst, is_and ? 0 : 1);
    return 1;
  }
  return 0;
}

int32_t noma_p_builtin(noma_cell* dst, int32_t builtin, noma_cell* const* args, int32_t count) {
  if (builtin < 0 || builtin >= NOMA_P_BUILTIN_COUNT) return Fail("internal error: builtin");
  const char* name = kBuiltinNames[builtin];
  if (builtin != NOMA_P_BUILTIN_Print) {
    for (int32_t i = 0; i < count; ++i) {
      if (RequireNumeric(args[i])) return 1;
    }
  }
  switch (static_cast<noma_builtin_id>(builtin)) {
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability) \
  case NOMA_P_BUILTIN_##Id:                                 \
    return noma_p_unary(dst, static_cast<int32_t>(UnaryKernel::k##Id), args[0]);
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability) \
  case NOMA_P_BUILTIN_##Id:                                  \
    return Binary(dst, BinaryKernel::k##Id, args[0], args[1]);
#include "noma/graph/builtins.def"
    case NOMA_P_BUILTIN_Sum:
    case NOMA_P_BUILTIN_Mean: {
      bool is_sum = builtin == NOMA_P_BUILTIN_Sum;
      if (count == 1) {
        if (args[0]->kind == NOMA_P_SCALAR) {
          noma_p_set_scalar(dst, args[0]->scalar);
          return 0;
        }
        if (DeviceReduces(args[0])) {
          int64_t n = 1;
          for (int64_t d : ShapeOfTensor(args[0])) n *= d;
          return DeviceReduce(dst, args[0], 1, n, 1, is_sum ? 1.0 : static_cast<double>(n), {});
        }
        const Tensor& t = TensorOf(args[0]);
        noma_p_set_scalar(dst,
                          is_sum ? noma::runtime::SumAllValue(t) : noma::runtime::MeanAllValue(t));
        return 0;
      }
      double axis;
      if (ScalarArg(args[1], name, &axis)) return 1;
      if (axis != std::floor(axis) || !std::isfinite(axis)) {
        return Fail(base::StrCat(name, ": axis must be an integer"));
      }
      int64_t a = static_cast<int64_t>(axis);
      if (DeviceReduces(args[0])) {
        const Shape& shape = ShapeOfTensor(args[0]);
        int64_t rank = static_cast<int64_t>(shape.size());
        if (a >= -rank && a < rank) {
          int64_t d = a < 0 ? a + rank : a;
          int64_t outer = d == 1 ? shape[0] : 1;
          int64_t inner = d == 0 && rank == 2 ? shape[1] : 1;
          Shape kept;
          if (rank == 2) kept.push_back(shape[1 - d]);
          int64_t n = shape[d];
          return DeviceReduce(dst, args[0], outer, n, inner, is_sum ? 1.0 : static_cast<double>(n),
                              std::move(kept));
        }
      }
      Operand t(args[0]);
      return Deliver(dst, is_sum ? noma::runtime::SumAxis(*t, a) : noma::runtime::MeanAxis(*t, a));
    }
    case NOMA_P_BUILTIN_Dot:
      return Deliver(dst, noma::runtime::Dot(*Operand(args[0]), *Operand(args[1])));
    case NOMA_P_BUILTIN_Matmul: {
      if (int32_t on_device = DeviceMatmul(dst, args[0], args[1]); on_device >= 0) {
        return on_device;
      }
      Operand x(args[0]), y(args[1]);
      int64_t rows = (*x).rank() == 2 ? (*x).shape()[0] : 0;
      int64_t cols = (*y).rank() == 2 ? (*y).shape()[1] : 0;
      return ComputeInto(dst, rows * cols,
                         [&](Tensor* out) { return noma::runtime::MatmulInto(*x, *y, out); });
    }
    case NOMA_P_BUILTIN_Transpose:
      if (RequireTensor(args[0], name)) return 1;
      if (int32_t on_device = DeviceTranspose(dst, args[0]); on_device >= 0) return on_device;
      return ComputeInto(dst, TensorOf(args[0]).size(), [&](Tensor* out) {
        return noma::runtime::TransposeInto(TensorOf(args[0]), out);
      });
    case NOMA_P_BUILTIN_Shape: {
      if (RequireTensor(args[0], name)) return 1;
      const Shape& shape = ShapeOfTensor(args[0]);
      std::vector<double> dims(shape.begin(), shape.end());
      SetTensor(dst, Tensor({static_cast<int64_t>(dims.size())}, dims));
      return 0;
    }
    case NOMA_P_BUILTIN_Len:
      if (RequireTensor(args[0], name)) return 1;
      noma_p_set_scalar(dst, static_cast<double>(ShapeOfTensor(args[0])[0]));
      return 0;
    case NOMA_P_BUILTIN_Print:
      PrintValue(args[0]);
      noma_p_copy(dst, args[0]);
      return 0;
    case NOMA_P_BUILTIN_Rand:
    case NOMA_P_BUILTIN_RandUniform:
    case NOMA_P_BUILTIN_RandNormal:
    case NOMA_P_BUILTIN_RandTensor:
    case NOMA_P_BUILTIN_RandNormalTensor:
    case NOMA_P_BUILTIN_XavierInit:
    case NOMA_P_BUILTIN_HeInit:
    case NOMA_P_BUILTIN_Seed:
      return RandomBuiltin(dst, static_cast<noma_builtin_id>(builtin), args, count, name);
    case NOMA_P_BUILTIN_COUNT:
      break;
  }
  return Fail("internal error: builtin");
}

int32_t noma_p_tensor_literal(noma_cell* dst, noma_cell* const* elements, int64_t count,
                              const int64_t* shape, int32_t rank) {
  std::vector<double> values;
  values.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    double e;
    if (ScalarArg(elements[i], "tensor literal", &e)) return 1;
    values.push_back(e);
  }
  return Deliver(dst, noma::runtime::FromLiteral(Shape(shape, shape + rank), std::move(values)));
}

int32_t noma_p_index(noma_cell* dst, const noma_cell* base, const noma_cell* index) {
  double i;
  if (RequireTensor(base, "indexing") || ScalarArg(index, "index", &i)) return 1;
  return Deliver(dst, noma::runtime::Index(TensorOf(base), i));
}

int32_t noma_p_minimize(const noma_cell* loss, int64_t* count, double* last_loss) {
  if (loss->kind != NOMA_P_SCALAR) {
    return Fail(noma::messages::MinimizeTensor(ShapeOf(loss)));
  }
  ++*count;
  *last_loss = loss->scalar;
  return 0;
}

int32_t noma_p_check_one_minimize(int64_t count, const char* unit) {
  if (count == 1) return 0;
  return Fail(base::StrCat("each ", unit, " iteration must execute exactly one `minimize`",
                           "; this one executed ", count));
}

int32_t noma_p_check_finite(const noma_cell* cell, const char* what) {
  if (!noma_p_nan_checks) return 0;
  bool found = false;
  if (cell->kind == NOMA_P_SCALAR) {
    found = !std::isfinite(cell->scalar);
  } else if (cell->kind == NOMA_P_TENSOR) {
    for (double x : TensorOf(cell).values()) {
      if (!std::isfinite(x)) {
        found = true;
        break;
      }
    }
  }
  if (!found) return 0;
  return Fail(base::StrCat(what, " produced a NaN or infinity (--check-nan)"));
}

void noma_p_optimize_enter(void) {
  ProgramState& state = State();
  ++state.optimize_depth;
  noma_p_nan_checks = state.check_nan ? 1 : 0;
}

void noma_p_optimize_leave(void) {
  ProgramState& state = State();
  --state.optimize_depth;
  noma_p_nan_checks = state.check_nan && state.optimize_depth > 0;
  if (state.optimize_depth == 0 && !noma_p_error_pending) {
    noma::runtime::TrainingWatch::Get().LoopEnd();
  }
}

int32_t noma_p_optimize_depth(void) { return State().optimize_depth; }

void noma_p_optimize_restore(int32_t depth) {
  ProgramState& state = State();
  state.optimize_depth = depth;
  noma_p_nan_checks = state.check_nan && depth > 0;
  // Left by `return` (or an error) inside the loop: no end record.
  if (depth == 0) noma::runtime::TrainingWatch::Get().LoopAbandoned();
}

int32_t noma_p_enter_call(void) {
  ProgramState& state = State();
  char here;
  bool stack_exhausted = state.stack_base != nullptr &&
                         static_cast<size_t>(state.stack_base - &here) > state.stack_budget;
  if (++state.call_depth > state.max_call_depth || stack_exhausted) {
    --state.call_depth;
    return Fail(base::StrCat("recursion is too deep (", state.call_depth,
                             " nested calls); the program's stack is exhausted"));
  }
  return 0;
}

void noma_p_leave_call(void) { --State().call_depth; }

int32_t noma_p_returned_value(const noma_cell* result, const char* function) {
  if (result->kind != NOMA_P_UNSET) return 0;
  return Fail(base::StrCat("'", function, "' returned no value"));
}

int32_t noma_p_matmul_transposed(noma_cell* dst, const noma_cell* a, int32_t transpose_a,
                                 const noma_cell* b, int32_t transpose_b) {
  if (noma_p_nan_checks || noma_p_error_pending || Backend() != nullptr) return 1;
  if (a->kind != NOMA_P_TENSOR || b->kind != NOMA_P_TENSOR) return 1;
  const Tensor& x = TensorOf(a);
  const Tensor& y = TensorOf(b);
  if (x.rank() != 2 || y.rank() != 2) return 1;
  int64_t rows = transpose_a ? x.shape()[1] : x.shape()[0];
  int64_t k = transpose_a ? x.shape()[0] : x.shape()[1];
  int64_t k_b = transpose_b ? y.shape()[1] : y.shape()[0];
  int64_t cols = transpose_b ? y.shape()[0] : y.shape()[1];
  if (k != k_b) return 1;
  TensorObject* object = AcquireObject(rows * cols);
  base::Status status = noma::runtime::MatmulTransposedInto(x, transpose_a != 0, y,
                                                            transpose_b != 0, &object->tensor);
  if (!status.ok()) {  // Too large: the unfused operations report it.
    object->refs = 0;
    Recycle(object);
    return 1;
  }
  SetObject(dst, object);
  return 0;
}

int32_t noma_p_group_begin(noma_cell* dst, noma_cell* const* leaves, int32_t leaf_count,
                           const int32_t* program, int32_t node_count, noma_group* group) {
  if (noma_p_nan_checks || noma_p_error_pending) return 1;
  if (Backend() != nullptr) {  // The device runs the chain, or it runs op by op.
    // A lone operation has the device's kernels for single operations (DeviceElementwise).
    if (node_count == 1) return 1;
    ChainPlan plan;
    if (!PlanChain(leaves, leaf_count, program, node_count, &plan)) return 1;
    int32_t on_device = DeviceChain(dst, leaves, leaf_count, program, node_count, plan);
    if (on_device != -1) return on_device == 0 ? 2 : 1;
    group->planned = 0;
  }
  // Plan only when a leaf's shape differs from the memo's (a training loop sees the same
  // shapes every step).
  bool same = group->planned != 0 && leaf_count <= NOMA_P_FUSION_MAX_LEAVES;
  for (int32_t l = 0; l < leaf_count && same; ++l) {
    if (leaves[l]->kind == NOMA_P_SCALAR) {
      same = group->leaf_rank[l] == 0;
    } else if (leaves[l]->kind == NOMA_P_TENSOR) {
      const Shape& shape = ShapeOfTensor(leaves[l]);
      int64_t rank = static_cast<int64_t>(shape.size());
      same = group->leaf_rank[l] == rank && rank <= 2 && shape[0] == group->leaf_dims[l][0] &&
             (rank == 1 || shape[1] == group->leaf_dims[l][1]);
    } else {
      same = false;
    }
  }
  if (!same) {
    ChainPlan plan;
    if (!PlanChain(leaves, leaf_count, program, node_count, &plan)) return 1;
    for (int32_t l = 0; l < leaf_count; ++l) {
      group->row_stride[l] = plan.row_stride[l];
      group->col_stride[l] = plan.col_stride[l];
      group->leaf_rank[l] = 0;
      if (leaves[l]->kind != NOMA_P_TENSOR) continue;
      const Shape& shape = ShapeOfTensor(leaves[l]);
      group->leaf_rank[l] = static_cast<int64_t>(shape.size());
      for (size_t d = 0; d < shape.size(); ++d) group->leaf_dims[l][d] = shape[d];
    }
    group->rows = plan.rows;
    group->cols = plan.cols;
    group->elements = plan.elements;
    group->result_rank = static_cast<int64_t>(plan.shape.size());
    for (size_t d = 0; d < plan.shape.size(); ++d) group->result_dims[d] = plan.shape[d];
    group->planned = 1;
  }
  for (int32_t l = 0; l < leaf_count; ++l) {
    group->base[l] =
        leaves[l]->kind == NOMA_P_TENSOR ? TensorOf(leaves[l]).data() : &leaves[l]->scalar;
  }
  group->level = noma::runtime::KernelInstructionSet();
  // The result goes into dst's own tensor when nothing else holds it and it has the shape
  // (the previous iteration's value), else into a recycled one.
  const int64_t rank = group->result_rank;
  if (dst->kind == NOMA_P_TENSOR) {
    TensorObject* own = Object(dst);
    const Shape& shape = own->tensor.shape();
    if (own->refs == 1 && !own->host_stale && static_cast<int64_t>(shape.size()) == rank &&
        shape[0] == group->result_dims[0] && (rank == 1 || shape[1] == group->result_dims[1])) {
      MarkHostWrite(own);
      group->out = own->tensor.data();
      return 0;
    }
  }
  TensorObject* result = AcquireObject(group->elements);
  result->tensor.Reset(Shape(group->result_dims, group->result_dims + rank), group->elements);
  group->out = result->tensor.data();
  SetObject(dst, result);
  return 0;
}

void noma_p_unary_block(int32_t kernel, const double* a, int64_t a_stride, double* out, int64_t n) {
  noma::runtime::UnaryArray(static_cast<UnaryKernel>(kernel), a, a_stride, out, n);
}

void noma_p_binary_block(int32_t kernel, const double* a, int64_t a_stride, const double* b,
                         int64_t b_stride, double* out, int64_t n) {
  noma::runtime::BinaryArray(static_cast<BinaryKernel>(kernel), a, a_stride, b, b_stride, out, n);
}

int32_t noma_p_alloc(noma_cell* slot, noma_cell* const* dims, int32_t count) {
  Shape shape;
  if (Dims(dims, count, &shape)) return 1;
  SetTensor(slot, Tensor::Zeros(std::move(shape)));
  return 0;
}

int32_t noma_p_realloc(noma_cell* slot, noma_cell* const* dims, int32_t count, int32_t learnable,
                       const char* name) {
  noma_cell current = {};
  if (noma_p_load(&current, slot, name)) return 1;
  Shape shape;
  if (Dims(dims, count, &shape)) {
    Release(&current);
    return 1;
  }
  Tensor tensor = AsTensor(&current);
  Release(&current);
  if (tensor.shape() == shape) return 0;  // No-op (docs/language.md §7).
  ProgramState& state = State();
  base::StatusOr<Tensor> grown =
      learnable
          ? noma::runtime::Realloc(tensor, shape, state.max_elements,
                                   [&state](int64_t) { return state.rng.Normal(0, 0.1); })
          : noma::runtime::Realloc(tensor, shape, state.max_elements, [](int64_t) { return 0.0; });
  if (learnable && grown.ok()) {
    noma::runtime::TrainingWatch::Get().Growth(name, tensor.shape(), shape);
  }
  return Deliver(slot, std::move(grown));
}

int32_t noma_p_free(noma_cell* slot, const char* name) {
  noma_cell current = {};
  if (noma_p_load(&current, slot, name)) return 1;
  Release(&current);
  Release(slot);
  slot->kind = NOMA_P_FREED;
  return 0;
}

int32_t noma_p_load_csv(noma_cell* slot, const noma_cell* path) {
  std::string file;
  if (StringArg(path, &file)) return 1;
  return Deliver(slot, noma::runtime::LoadCsv(file));
}

int32_t noma_p_save_csv(const noma_cell* value, const noma_cell* path) {
  std::string file;
  if (StringArg(path, &file) || RequireNumeric(value) || noma_p_error_pending) return 1;
  base::Status status = noma::runtime::SaveCsv(*Operand(value), file);
  return status.ok() ? 0 : Fail(status);
}

int32_t noma_p_load_safetensors(const noma_cell* path, const char* const* keys,
                                noma_cell* const* slots, int32_t count) {
  std::string file;
  if (StringArg(path, &file)) return 1;
  auto loaded = noma::runtime::LoadSafetensors(file);
  if (!loaded.ok()) return Fail(loaded.status());
  auto list_keys = [&] {
    std::string names;
    for (const auto& [key, tensor] : *loaded)
      base::StrAppend(&names, names.empty() ? "" : ", ", key);
    return names;
  };
  if (count == 1 && keys[0][0] == '\0') {
    if (loaded->size() != 1) {
      return Fail(base::StrCat("'", file, "' holds ", loaded->size(), " tensors (", list_keys(),
                               "); bind them with `load_safetensors { key: x, ... }`"));
    }
    SetTensor(slots[0], loaded->begin()->second);
    return 0;
  }
  for (int32_t i = 0; i < count; ++i) {
    auto it = loaded->find(keys[i]);
    if (it == loaded->end()) {
      return Fail(
          base::StrCat("'", file, "' has no tensor '", keys[i], "' (it has: ", list_keys(), ")"));
    }
    SetTensor(slots[i], it->second);
  }
  return 0;
}

int32_t noma_p_save_safetensors(noma_cell* const* values, const char* const* keys, int32_t count,
                                const noma_cell* path) {
  std::string file;
  if (StringArg(path, &file)) return 1;
  std::map<std::string, Tensor> tensors;
  for (int32_t i = 0; i < count; ++i) {
    if (RequireNumeric(values[i])) return 1;
    tensors[keys[i]] = AsTensor(values[i]);
  }
  if (noma_p_error_pending) return 1;
  base::Status status = noma::runtime::SaveSafetensors(tensors, file);
  return status.ok() ? 0 : Fail(status);
}

int32_t noma_p_batch_setup(noma_cell* const* sources, int32_t count, const noma_cell* chunk,
                           int64_t* rows, int64_t* chunk_rows) {
  double size;
  if (ScalarArg(chunk, "batch size", &size)) return 1;
  if (!(size >= 1) || size != std::floor(size)) {
    return Fail(base::StrCat("batch size must be a positive integer, got ",
                             noma::runtime::FormatScalar(size)));
  }
  for (int32_t i = 0; i < count; ++i) {
    if (RequireTensor(sources[i], "batch")) return 1;
  }
  int64_t first_rows = ShapeOfTensor(sources[0])[0];
  for (int32_t i = 1; i < count; ++i) {
    if (ShapeOfTensor(sources[i])[0] != first_rows) {
      return Fail(noma::messages::BatchRows(ShapeOf(sources[0]), ShapeOf(sources[i])));
    }
  }
  *rows = first_rows;
  *chunk_rows = static_cast<int64_t>(size);
  return 0;
}

int32_t noma_p_slice_rows(noma_cell* dst, const noma_cell* source, int64_t begin, int64_t end) {
  if (RequireTensor(source, "batch")) return 1;
  return Deliver(dst, noma::runtime::SliceRows(TensorOf(source), begin, end));
}

void noma_p_tape_push(void** tapes, int64_t tape, const noma_cell* value) {
  if (*tapes == nullptr) *tapes = new Tapes();
  noma_cell copy = {};
  noma_p_copy(&copy, value);
  static_cast<Tapes*>(*tapes)->stacks[tape].push_back(copy);
}

int32_t noma_p_tape_pop(void** tapes, int64_t tape, noma_cell* dst) {
  auto* all = static_cast<Tapes*>(*tapes);
  if (all == nullptr || all->stacks[tape].empty()) {
    return Fail("internal error: autodiff tape underflow");
  }
  std::vector<noma_cell>& stack = all->stacks[tape];
  Release(dst);
  *dst = stack.back();  // The tape's reference moves to dst.
  stack.pop_back();
  return 0;
}

void noma_p_tapes_free(void* tapes) {
  auto* all = static_cast<Tapes*>(tapes);
  if (all == nullptr) return;
  for (auto& [id, stack] : all->stacks) {
    for (noma_cell& cell : stack) Release(&cell);
  }
  delete all;
}

int32_t noma_p_sum_to_shape(noma_cell* dst, const noma_cell* adjoint, const noma_cell* like) {
  if (adjoint->kind == NOMA_P_TENSOR && like->kind == NOMA_P_TENSOR &&
      ShapeOfTensor(adjoint) == ShapeOfTensor(like)) {
    noma_p_copy(dst, adjoint);  // Nothing was broadcast: share the snapshot.
    return 0;
  }
  if (DeviceReduces(adjoint)) {
    // [r, c] -> [c] / [1, c] sums rows, -> [r, 1] sums columns, -> scalar / [1] / [1, 1] sums
    // all; rank 1 [c] -> scalar / [1] / [1, 1] sums all (each in the CPU's row-major order).
    const Shape& from = ShapeOfTensor(adjoint);
    Shape to = like->kind == NOMA_P_TENSOR ? ShapeOfTensor(like) : Shape{};
    int64_t rows = from.size() == 2 ? from[0] : 1, cols = from.back();
    int64_t to_elements = 1;
    for (int64_t d : to) to_elements *= d;
    base::StatusOr<Shape> joined = noma::runtime::BroadcastShapes(to, from);
    if (joined.ok() && *joined == from && to.size() <= 2) {
      if (to_elements == 1) return DeviceReduce(dst, adjoint, 1, rows * cols, 1, 1.0, to);
      if (from.size() == 2 && to.back() == cols && to_elements == cols) {
        return DeviceReduce(dst, adjoint, 1, rows, cols, 1.0, to);
      }
      if (from.size() == 2 && to.size() == 2 && to[0] == rows && to[1] == 1) {
        return DeviceReduce(dst, adjoint, rows, cols, 1, 1.0, to);
      }
    }
  }
  if (like->kind != NOMA_P_TENSOR) {
    noma_p_set_scalar(dst, adjoint->kind == NOMA_P_TENSOR
                               ? noma::runtime::SumAllValue(TensorOf(adjoint))
                               : adjoint->scalar);
    return 0;
  }
  const Shape& target = ShapeOfTensor(like);
  Operand x(adjoint);
  return ComputeInto(dst, ElementsOf(target),
                     [&](Tensor* out) { return noma::runtime::SumToShapeInto(*x, target, out); });
}

int32_t noma_p_index_adjoint(noma_cell* dst, const noma_cell* adjoint, const noma_cell* base,
                             const noma_cell* index) {
  double i;
  if (RequireTensor(base, "indexing") || ScalarArg(index, "index", &i)) return 1;
  return Deliver(dst, noma::runtime::IndexAdjoint(*Operand(adjoint), ShapeOfTensor(base), i));
}

int32_t noma_p_zeros_like(noma_cell* dst, const noma_cell* like) {
  if (like->kind == NOMA_P_TENSOR) {
    // 0 * 0 in the shape of `like`: zeros made where they are used.
    noma_cell zero = {NOMA_P_SCALAR, 0.0, nullptr};
    if (int32_t on_device =
            DeviceBinaryOver(dst, BinaryKernel::kMul, ShapeOfTensor(like), &zero, 0, 0, &zero);
        on_device >= 0) {
      return on_device;
    }
    FillLike(dst, like, 0.0);
  } else {
    noma_p_set_scalar(dst, 0);
  }
  return 0;
}

int32_t noma_p_realloc_like(noma_cell* dst, const noma_cell* value, const noma_cell* like) {
  if (like->kind == NOMA_P_TENSOR && value->kind == NOMA_P_SCALAR) {
    // A scalar (optimizer state or a gradient that is still 0) spreads to the shape.
    return FillLike(dst, like, value->scalar);
  }
  if (like->kind != NOMA_P_TENSOR || value->kind != NOMA_P_TENSOR ||
      ShapeOfTensor(value) == ShapeOfTensor(like)) {
    noma_p_copy(dst, value);
    return 0;
  }
  return Deliver(dst, noma::runtime::Realloc(TensorOf(value), ShapeOfTensor(like),
                                             State().max_elements, [](int64_t) { return 0.0; }));
}

int32_t noma_p_unreduce(noma_cell* dst, const noma_cell* adjoint, const noma_cell* like,
                        const noma_cell* axis_cell, int32_t is_mean) {
  double axis;
  if (RequireTensor(like, "sum") || ScalarArg(axis_cell, "axis", &axis) ||
      RequireNumeric(adjoint)) {
    return 1;
  }
  Shape shape = ShapeOfTensor(like);
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t a = static_cast<int64_t>(axis);
  if (a < 0) a += rank;
  if (a < 0 || a >= rank) return Fail("internal error: reduction axis out of range");
  Shape kept = shape;
  kept[a] = 1;
  base::StatusOr<int64_t> kept_count = noma::runtime::ElementCount(kept);
  base::StatusOr<int64_t> reduced_count =
      adjoint->kind == NOMA_P_TENSOR ? noma::runtime::ElementCount(ShapeOfTensor(adjoint)) : 1;
  if (!kept_count.ok() || !reduced_count.ok() || *kept_count != *reduced_count) {
    return Fail("internal error: reduction adjoint of the wrong size");
  }
  double count = static_cast<double>(shape[a]);
  // The adjoint broadcast along `axis`, divided by the count for a mean (times 1 for a sum).
  noma_cell factor = {NOMA_P_SCALAR, is_mean ? count : 1.0, nullptr};
  bool spread = adjoint->kind != NOMA_P_TENSOR || rank == 1;
  if (int32_t on_device =
          DeviceBinaryOver(dst, is_mean ? BinaryKernel::kDiv : BinaryKernel::kMul, shape, adjoint,
                           spread || a == 0 ? 0 : 1, spread || a == 1 ? 0 : 1, &factor);
      on_device >= 0) {
    return on_device;
  }
  Tensor reshaped(kept, (*Operand(adjoint)).values());
  auto result = noma::runtime::BroadcastTo(reshaped, shape);
  if (!result.ok()) return Fail(result.status());
  if (is_mean) {
    for (double& x : result->values()) x /= count;
  }
  SetTensor(dst, *std::move(result));
  return 0;
}

const noma_p_symbol* noma_p_symbols(size_t* count) {
#define NOMA_P_SYMBOL(name) \
  { #name, reinterpret_cast < void*>(&name) }
  static const noma_p_symbol kSymbols[] = {
      NOMA_P_SYMBOL(noma_p_location),
      NOMA_P_SYMBOL(noma_p_error_pending),
      NOMA_P_SYMBOL(noma_p_error),
      NOMA_P_SYMBOL(noma_p_warn_max_iterations),
      NOMA_P_SYMBOL(noma_p_progress),
      NOMA_P_SYMBOL(noma_p_clear_progress),
      NOMA_P_SYMBOL(noma_p_loop_begin),
      NOMA_P_SYMBOL(noma_p_batch_step),
      NOMA_P_SYMBOL(noma_p_reset_optimizer_event),
      NOMA_P_SYMBOL(noma_p_frame_new),
      NOMA_P_SYMBOL(noma_p_frame_delete),
      NOMA_P_SYMBOL(noma_p_release),
      NOMA_P_SYMBOL(noma_p_release_all),
      NOMA_P_SYMBOL(noma_p_copy),
      NOMA_P_SYMBOL(noma_p_set_scalar),
      NOMA_P_SYMBOL(noma_p_set_string),
      NOMA_P_SYMBOL(noma_p_load),
      NOMA_P_SYMBOL(noma_p_scalar_arg),
      NOMA_P_SYMBOL(noma_p_truthy),
      NOMA_P_SYMBOL(noma_p_require_numeric),
      NOMA_P_SYMBOL(noma_p_expect_scalar),
      NOMA_P_SYMBOL(noma_p_unary_scalar),
      NOMA_P_SYMBOL(noma_p_binary_scalar),
      NOMA_P_SYMBOL(noma_p_unary),
      NOMA_P_SYMBOL(noma_p_binary),
      NOMA_P_SYMBOL(noma_p_short_circuit),
      NOMA_P_SYMBOL(noma_p_builtin),
      NOMA_P_SYMBOL(noma_p_tensor_literal),
      NOMA_P_SYMBOL(noma_p_index),
      NOMA_P_SYMBOL(noma_p_minimize),
      NOMA_P_SYMBOL(noma_p_check_one_minimize),
      NOMA_P_SYMBOL(noma_p_check_finite),
      NOMA_P_SYMBOL(noma_p_nan_checks),
      NOMA_P_SYMBOL(noma_p_optimize_enter),
      NOMA_P_SYMBOL(noma_p_optimize_leave),
      NOMA_P_SYMBOL(noma_p_optimize_depth),
      NOMA_P_SYMBOL(noma_p_optimize_restore),
      NOMA_P_SYMBOL(noma_p_enter_call),
      NOMA_P_SYMBOL(noma_p_leave_call),
      NOMA_P_SYMBOL(noma_p_returned_value),
      NOMA_P_SYMBOL(noma_p_group_begin),
      NOMA_P_SYMBOL(noma_p_unary_block),
      NOMA_P_SYMBOL(noma_p_binary_block),
      NOMA_P_SYMBOL(noma_p_alloc),
      NOMA_P_SYMBOL(noma_p_realloc),
      NOMA_P_SYMBOL(noma_p_free),
      NOMA_P_SYMBOL(noma_p_load_csv),
      NOMA_P_SYMBOL(noma_p_save_csv),
      NOMA_P_SYMBOL(noma_p_load_safetensors),
      NOMA_P_SYMBOL(noma_p_save_safetensors),
      NOMA_P_SYMBOL(noma_p_batch_setup),
      NOMA_P_SYMBOL(noma_p_slice_rows),
      NOMA_P_SYMBOL(noma_p_tape_push),
      NOMA_P_SYMBOL(noma_p_tape_pop),
      NOMA_P_SYMBOL(noma_p_tapes_free),
      NOMA_P_SYMBOL(noma_p_sum_to_shape),
      NOMA_P_SYMBOL(noma_p_matmul_transposed),
      NOMA_P_SYMBOL(noma_p_index_adjoint),
      NOMA_P_SYMBOL(noma_p_zeros_like),
      NOMA_P_SYMBOL(noma_p_realloc_like),
      NOMA_P_SYMBOL(noma_p_unreduce),
      NOMA_P_SYMBOL(noma_p_main),
      NOMA_P_SYMBOL(noma_p_call),
      NOMA_P_SYMBOL(noma_p_string_free),
      NOMA_P_SYMBOL(noma_p_set_tensor),
      NOMA_P_SYMBOL(noma_p_cell_rank),
      NOMA_P_SYMBOL(noma_p_cell_shape),
      NOMA_P_SYMBOL(noma_p_cell_data),
      NOMA_P_SYMBOL(noma_p_run),
  };
#undef NOMA_P_SYMBOL
  *count = sizeof(kSymbols) / sizeof(kSymbols[0]);
  return kSymbols;
}

}  // extern "C"

namespace noma::runtime {

void SetDeviceBackend(DeviceBackend* backend) {
  if (Backend() != nullptr) DropPooledDeviceCopies();
  Backend() = backend;
}

DeviceBackend* GetDeviceBackend() { return Backend(); }

}  // namespace noma::runtime
