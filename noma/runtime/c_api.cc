#include "noma/runtime/c_api.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "noma/runtime/format.h"
#include "noma/runtime/io.h"
#include "noma/runtime/rng.h"
#include "noma/runtime/tensor.h"
#include "noma/runtime/version.h"

struct noma_rt_tensor {
  noma::runtime::Tensor value;
};

struct noma_rt_tensor_map {
  std::map<std::string, noma_rt_tensor> tensors;
};

namespace {

using noma::runtime::BinaryKernel;
using noma::runtime::Shape;
using noma::runtime::Tensor;
using noma::runtime::UnaryKernel;

static_assert(static_cast<int>(BinaryKernel::kAdd) == NOMA_RT_ADD);
static_assert(static_cast<int>(BinaryKernel::kGe) == NOMA_RT_GE);
static_assert(static_cast<int>(BinaryKernel::kOr) == NOMA_RT_OR);
static_assert(static_cast<int>(UnaryKernel::kNeg) == NOMA_RT_NEG);
static_assert(static_cast<int>(UnaryKernel::kCeil) == NOMA_RT_CEIL);
static_assert(static_cast<int>(UnaryKernel::kCastI64) == NOMA_RT_CAST_I64);

thread_local std::string last_error;

absl::Mutex rng_mutex(absl::kConstInit);
noma::runtime::Rng& GlobalRng() ABSL_EXCLUSIVE_LOCKS_REQUIRED(rng_mutex) {
  static noma::runtime::Rng* rng = new noma::runtime::Rng(0);
  return *rng;
}

int Report(const absl::Status& status) {
  if (status.ok()) return NOMA_RT_OK;
  last_error = std::string(status.message());
  return static_cast<int>(status.code());
}

int InvalidArgument(const char* message) { return Report(absl::InvalidArgumentError(message)); }

noma_rt_tensor* Wrap(Tensor t) { return new noma_rt_tensor{std::move(t)}; }

int Deliver(absl::StatusOr<Tensor> result, noma_rt_tensor** out) {
  if (out == nullptr) return InvalidArgument("null output pointer");
  if (!result.ok()) return Report(result.status());
  *out = Wrap(*std::move(result));
  return NOMA_RT_OK;
}

bool ValidBinary(int32_t op) { return op >= NOMA_RT_ADD && op <= NOMA_RT_OR; }
bool ValidUnary(int32_t op) { return op >= NOMA_RT_NEG && op <= NOMA_RT_CAST_I64; }

absl::StatusOr<Shape> ShapeArg(const int64_t* shape, int32_t rank) {
  if (rank < 0 || (rank > 0 && shape == nullptr)) {
    return absl::InvalidArgumentError("invalid shape argument");
  }
  return Shape(shape, shape + rank);
}

absl::StatusOr<Shape> DimsArg(const double* dims, int32_t rank) {
  if (rank < 0 || (rank > 0 && dims == nullptr)) {
    return absl::InvalidArgumentError("invalid dimensions argument");
  }
  return noma::runtime::ShapeFromDims(absl::MakeConstSpan(dims, static_cast<size_t>(rank)),
                                      noma::runtime::MaxElements());
}

int PrintLine(const std::string& text) {
  bool ok = std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
            std::fputc('\n', stdout) != EOF;
  return ok ? NOMA_RT_OK : Report(absl::UnavailableError("cannot write to standard output"));
}

}  // namespace

extern "C" {

const char* noma_rt_version(void) { return noma::runtime::kVersion; }
const char* noma_rt_last_error(void) { return last_error.c_str(); }
void noma_rt_clear_error(void) { last_error.clear(); }

void noma_rt_set_max_elements(int64_t limit) { noma::runtime::SetMaxElements(limit); }
int64_t noma_rt_max_elements(void) { return noma::runtime::MaxElements(); }

int noma_rt_tensor_zeros(const int64_t* shape, int32_t rank, noma_rt_tensor** out) {
  absl::StatusOr<Shape> dims = ShapeArg(shape, rank);
  if (!dims.ok()) return Report(dims.status());
  absl::StatusOr<int64_t> count = noma::runtime::ElementCount(*dims);
  if (!count.ok()) return Report(count.status());
  absl::Status limit = noma::runtime::CheckAllocation(*count, noma::runtime::MaxElements());
  if (!limit.ok()) return Report(limit);
  return Deliver(Tensor::Zeros(*std::move(dims)), out);
}

int noma_rt_tensor_from_data(const int64_t* shape, int32_t rank, const double* data,
                             noma_rt_tensor** out) {
  absl::StatusOr<Shape> dims = ShapeArg(shape, rank);
  if (!dims.ok()) return Report(dims.status());
  absl::StatusOr<int64_t> count = noma::runtime::ElementCount(*dims);
  if (!count.ok()) return Report(count.status());
  if (*count > 0 && data == nullptr) return InvalidArgument("null data pointer");
  std::vector<double> values(data, data + *count);
  return Deliver(Tensor(*std::move(dims), std::move(values)), out);
}

noma_rt_tensor* noma_rt_tensor_scalar(double value) { return Wrap(Tensor::Scalar(value)); }
noma_rt_tensor* noma_rt_tensor_copy(const noma_rt_tensor* t) {
  return t == nullptr ? nullptr : Wrap(t->value);
}
void noma_rt_tensor_free(noma_rt_tensor* t) { delete t; }
int32_t noma_rt_tensor_rank(const noma_rt_tensor* t) { return t->value.rank(); }
const int64_t* noma_rt_tensor_shape(const noma_rt_tensor* t) { return t->value.shape().data(); }
int64_t noma_rt_tensor_size(const noma_rt_tensor* t) { return t->value.size(); }
double* noma_rt_tensor_data(noma_rt_tensor* t) { return t->value.data(); }
const double* noma_rt_tensor_const_data(const noma_rt_tensor* t) { return t->value.data(); }

double noma_rt_binary_scalar(int32_t op, double a, double b) {
  if (!ValidBinary(op)) return std::numeric_limits<double>::quiet_NaN();
  return noma::runtime::ApplyBinary(static_cast<BinaryKernel>(op), a, b);
}

double noma_rt_unary_scalar(int32_t op, double a) {
  if (!ValidUnary(op)) return std::numeric_limits<double>::quiet_NaN();
  return noma::runtime::ApplyUnary(static_cast<UnaryKernel>(op), a);
}

int noma_rt_binary(int32_t op, const noma_rt_tensor* a, const noma_rt_tensor* b,
                   noma_rt_tensor** out) {
  if (!ValidBinary(op)) return InvalidArgument("unknown binary operation");
  if (a == nullptr || b == nullptr) return InvalidArgument("null tensor argument");
  return Deliver(noma::runtime::Binary(static_cast<BinaryKernel>(op), a->value, b->value), out);
}

int noma_rt_unary(int32_t op, const noma_rt_tensor* a, noma_rt_tensor** out) {
  if (!ValidUnary(op)) return InvalidArgument("unknown unary operation");
  if (a == nullptr) return InvalidArgument("null tensor argument");
  return Deliver(noma::runtime::Unary(static_cast<UnaryKernel>(op), a->value), out);
}

int noma_rt_matmul(const noma_rt_tensor* a, const noma_rt_tensor* b, noma_rt_tensor** out) {
  if (a == nullptr || b == nullptr) return InvalidArgument("null tensor argument");
  return Deliver(noma::runtime::Matmul(a->value, b->value), out);
}

int noma_rt_transpose(const noma_rt_tensor* a, noma_rt_tensor** out) {
  if (a == nullptr) return InvalidArgument("null tensor argument");
  return Deliver(noma::runtime::Transpose(a->value), out);
}

int noma_rt_dot(const noma_rt_tensor* a, const noma_rt_tensor* b, double* out) {
  if (a == nullptr || b == nullptr || out == nullptr) return InvalidArgument("null argument");
  absl::StatusOr<Tensor> result = noma::runtime::Dot(a->value, b->value);
  if (!result.ok()) return Report(result.status());
  *out = result->scalar();
  return NOMA_RT_OK;
}

double noma_rt_sum(const noma_rt_tensor* t) { return noma::runtime::SumAll(t->value).scalar(); }
double noma_rt_mean(const noma_rt_tensor* t) { return noma::runtime::MeanAll(t->value).scalar(); }

int noma_rt_sum_axis(const noma_rt_tensor* t, int64_t axis, noma_rt_tensor** out) {
  if (t == nullptr) return InvalidArgument("null tensor argument");
  return Deliver(noma::runtime::SumAxis(t->value, axis), out);
}

int noma_rt_mean_axis(const noma_rt_tensor* t, int64_t axis, noma_rt_tensor** out) {
  if (t == nullptr) return InvalidArgument("null tensor argument");
  return Deliver(noma::runtime::MeanAxis(t->value, axis), out);
}

int noma_rt_sum_to_shape(const noma_rt_tensor* t, const int64_t* shape, int32_t rank,
                         noma_rt_tensor** out) {
  if (t == nullptr) return InvalidArgument("null tensor argument");
  absl::StatusOr<Shape> dims = ShapeArg(shape, rank);
  if (!dims.ok()) return Report(dims.status());
  return Deliver(noma::runtime::SumToShape(t->value, *dims), out);
}

int noma_rt_broadcast_to(const noma_rt_tensor* t, const int64_t* shape, int32_t rank,
                         noma_rt_tensor** out) {
  if (t == nullptr) return InvalidArgument("null tensor argument");
  absl::StatusOr<Shape> dims = ShapeArg(shape, rank);
  if (!dims.ok()) return Report(dims.status());
  return Deliver(noma::runtime::BroadcastTo(t->value, *dims), out);
}

int noma_rt_index(const noma_rt_tensor* t, double index, noma_rt_tensor** out) {
  if (t == nullptr) return InvalidArgument("null tensor argument");
  return Deliver(noma::runtime::Index(t->value, index), out);
}

int noma_rt_alloc(const double* dims, int32_t rank, noma_rt_tensor** out) {
  absl::StatusOr<Shape> shape = DimsArg(dims, rank);
  if (!shape.ok()) return Report(shape.status());
  return Deliver(Tensor::Zeros(*std::move(shape)), out);
}

int noma_rt_realloc_zero(const noma_rt_tensor* t, const double* dims, int32_t rank,
                         noma_rt_tensor** out) {
  if (t == nullptr) return InvalidArgument("null tensor argument");
  absl::StatusOr<Shape> shape = DimsArg(dims, rank);
  if (!shape.ok()) return Report(shape.status());
  return Deliver(noma::runtime::Realloc(t->value, *std::move(shape), noma::runtime::MaxElements(),
                                        [](int64_t) { return 0.0; }),
                 out);
}

int noma_rt_realloc_normal(const noma_rt_tensor* t, const double* dims, int32_t rank, double mean,
                           double stddev, noma_rt_tensor** out) {
  if (t == nullptr) return InvalidArgument("null tensor argument");
  absl::StatusOr<Shape> shape = DimsArg(dims, rank);
  if (!shape.ok()) return Report(shape.status());
  absl::MutexLock lock(&rng_mutex);
  noma::runtime::Rng& rng = GlobalRng();
  return Deliver(
      noma::runtime::Realloc(t->value, *std::move(shape), noma::runtime::MaxElements(),
                             [&rng, mean, stddev](int64_t) { return rng.Normal(mean, stddev); }),
      out);
}

void noma_rt_seed(uint64_t seed) {
  absl::MutexLock lock(&rng_mutex);
  GlobalRng().Seed(seed);
}

void noma_rt_seed_f64(double n) { noma_rt_seed(noma::runtime::SeedFromDouble(n)); }

uint64_t noma_rt_next_u64(void) {
  absl::MutexLock lock(&rng_mutex);
  return GlobalRng().NextU64();
}

double noma_rt_uniform(void) {
  absl::MutexLock lock(&rng_mutex);
  return GlobalRng().Uniform();
}

double noma_rt_uniform_range(double lo, double hi) {
  absl::MutexLock lock(&rng_mutex);
  return GlobalRng().Uniform(lo, hi);
}

double noma_rt_normal(double mean, double stddev) {
  absl::MutexLock lock(&rng_mutex);
  return GlobalRng().Normal(mean, stddev);
}

int noma_rt_rand_tensor(const double* dims, int32_t rank, noma_rt_tensor** out) {
  absl::StatusOr<Shape> shape = DimsArg(dims, rank);
  if (!shape.ok()) return Report(shape.status());
  absl::MutexLock lock(&rng_mutex);
  return Deliver(GlobalRng().UniformTensor(*std::move(shape)), out);
}

int noma_rt_rand_normal_tensor(double mean, double stddev, const double* dims, int32_t rank,
                               noma_rt_tensor** out) {
  absl::StatusOr<Shape> shape = DimsArg(dims, rank);
  if (!shape.ok()) return Report(shape.status());
  absl::MutexLock lock(&rng_mutex);
  return Deliver(GlobalRng().NormalTensor(mean, stddev, *std::move(shape)), out);
}

int noma_rt_xavier(double fan_in, double fan_out, const double* dims, int32_t rank,
                   noma_rt_tensor** out) {
  absl::StatusOr<Shape> shape = DimsArg(dims, rank);
  if (!shape.ok()) return Report(shape.status());
  absl::MutexLock lock(&rng_mutex);
  return Deliver(GlobalRng().Xavier(fan_in, fan_out, *std::move(shape)), out);
}

int noma_rt_he(double fan_in, const double* dims, int32_t rank, noma_rt_tensor** out) {
  absl::StatusOr<Shape> shape = DimsArg(dims, rank);
  if (!shape.ok()) return Report(shape.status());
  absl::MutexLock lock(&rng_mutex);
  return Deliver(GlobalRng().He(fan_in, *std::move(shape)), out);
}

int noma_rt_print_scalar(double value) { return PrintLine(noma::runtime::FormatScalar(value)); }

int noma_rt_print_tensor(const noma_rt_tensor* t) {
  if (t == nullptr) return InvalidArgument("null tensor argument");
  return PrintLine(noma::runtime::FormatTensor(t->value));
}

int noma_rt_print_string(const char* text) {
  if (text == nullptr) return InvalidArgument("null string argument");
  return PrintLine(text);
}

size_t noma_rt_format_scalar(double value, char* buffer, size_t capacity) {
  std::string text = noma::runtime::FormatScalar(value);
  if (buffer != nullptr && capacity > 0) {
    size_t n = std::min(text.size(), capacity - 1);
    std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
  }
  return text.size();
}

char* noma_rt_format_tensor(const noma_rt_tensor* t) {
  if (t == nullptr) return nullptr;
  std::string text = noma::runtime::FormatTensor(t->value);
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) return nullptr;
  std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

void noma_rt_string_free(char* text) { std::free(text); }

int noma_rt_load_csv(const char* path, noma_rt_tensor** out) {
  if (path == nullptr) return InvalidArgument("null path");
  return Deliver(noma::runtime::LoadCsv(path), out);
}

int noma_rt_save_csv(const noma_rt_tensor* t, const char* path) {
  if (t == nullptr || path == nullptr) return InvalidArgument("null argument");
  return Report(noma::runtime::SaveCsv(t->value, path));
}

noma_rt_tensor_map* noma_rt_map_new(void) { return new noma_rt_tensor_map; }
void noma_rt_map_free(noma_rt_tensor_map* map) { delete map; }

int noma_rt_map_set(noma_rt_tensor_map* map, const char* key, const noma_rt_tensor* t) {
  if (map == nullptr || key == nullptr || t == nullptr) return InvalidArgument("null argument");
  map->tensors[key] = noma_rt_tensor{t->value};
  return NOMA_RT_OK;
}

size_t noma_rt_map_size(const noma_rt_tensor_map* map) { return map->tensors.size(); }

const char* noma_rt_map_key(const noma_rt_tensor_map* map, size_t i) {
  if (map == nullptr || i >= map->tensors.size()) return nullptr;
  return std::next(map->tensors.begin(), static_cast<std::ptrdiff_t>(i))->first.c_str();
}

const noma_rt_tensor* noma_rt_map_get(const noma_rt_tensor_map* map, const char* key) {
  if (map == nullptr || key == nullptr) return nullptr;
  auto it = map->tensors.find(key);
  return it == map->tensors.end() ? nullptr : &it->second;
}

int noma_rt_load_safetensors(const char* path, noma_rt_tensor_map** out) {
  if (path == nullptr || out == nullptr) return InvalidArgument("null argument");
  absl::StatusOr<std::map<std::string, Tensor>> loaded = noma::runtime::LoadSafetensors(path);
  if (!loaded.ok()) return Report(loaded.status());
  auto* map = new noma_rt_tensor_map;
  for (auto& [key, tensor] : *loaded) map->tensors.emplace(key, noma_rt_tensor{std::move(tensor)});
  *out = map;
  return NOMA_RT_OK;
}

int noma_rt_save_safetensors(const noma_rt_tensor_map* map, const char* path) {
  if (map == nullptr || path == nullptr) return InvalidArgument("null argument");
  std::map<std::string, Tensor> tensors;
  for (const auto& [key, tensor] : map->tensors) tensors.emplace(key, tensor.value);
  return Report(noma::runtime::SaveSafetensors(tensors, path));
}

}  // extern "C"
