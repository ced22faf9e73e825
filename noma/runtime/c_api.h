#ifndef NOMA_RUNTIME_C_API_H_
#define NOMA_RUNTIME_C_API_H_

/* The C ABI of the NOMA runtime, for compiled programs (JIT, executables, GPU host code).
 * A thin layer over the C++ API in tensor.h, rng.h, format.h and io.h; see docs/runtime.md.
 *
 * Conventions:
 *  - Functions that can fail return an int status: NOMA_RT_OK (0) on success, otherwise the
 *    numeric absl::StatusCode of the error (always non-zero), and set a thread-local message
 *    readable with noma_rt_last_error(). On failure the out-parameters are left unchanged.
 *  - A tensor returned through `noma_rt_tensor** out` is new and owned by the caller, who
 *    releases it with noma_rt_tensor_free(). Input tensors are never modified or taken over.
 *  - Errors carry no source location; compiled code prefixes its own.
 *  - Tensors are f64, row-major; rank 0 is a scalar. The global generator and the allocation
 *    limit are shared by all threads (the generator is locked; its stream is deterministic
 *    when used from one thread). */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NOMA_RT_OK 0

typedef struct noma_rt_tensor noma_rt_tensor;
typedef struct noma_rt_tensor_map noma_rt_tensor_map;

/* Same order as noma::runtime::BinaryKernel / UnaryKernel. */
enum {
  NOMA_RT_ADD = 0,
  NOMA_RT_SUB,
  NOMA_RT_MUL,
  NOMA_RT_DIV,
  NOMA_RT_MOD,
  NOMA_RT_POW,
  NOMA_RT_EQ,
  NOMA_RT_NE,
  NOMA_RT_LT,
  NOMA_RT_GT,
  NOMA_RT_LE,
  NOMA_RT_GE,
  NOMA_RT_MIN,
  NOMA_RT_MAX,
  NOMA_RT_AND,
  NOMA_RT_OR
};
enum {
  NOMA_RT_NEG = 0,
  NOMA_RT_NOT,
  NOMA_RT_SIGMOID,
  NOMA_RT_RELU,
  NOMA_RT_TANH,
  NOMA_RT_EXP,
  NOMA_RT_LOG,
  NOMA_RT_SQRT,
  NOMA_RT_SIN,
  NOMA_RT_COS,
  NOMA_RT_TAN,
  NOMA_RT_ABS,
  NOMA_RT_FLOOR,
  NOMA_RT_CEIL,
  NOMA_RT_CAST_F32,
  NOMA_RT_CAST_I32,
  NOMA_RT_CAST_I64
};

/* ---- Errors, version, limits ---- */
const char* noma_rt_version(void);
/* The message of the last failure on this thread ("" if none); valid until the next failing
 * call on this thread. */
const char* noma_rt_last_error(void);
void noma_rt_clear_error(void);
/* Bound on the element count of tensors made by noma_rt_alloc/noma_rt_realloc_* (default
 * 2^30, i.e. 8 GiB of f64). Values <= 0 are ignored. Also bounds the results of the kernels
 * (noma::runtime::SetMaxElements). */
void noma_rt_set_max_elements(int64_t max_elements);
int64_t noma_rt_max_elements(void);

/* ---- Tensors ---- */
/* A zero-filled tensor; shape may be NULL when rank is 0. Fails on negative dims, overflow
 * or a size over the limit. */
int noma_rt_tensor_zeros(const int64_t* shape, int32_t rank, noma_rt_tensor** out);
/* A tensor holding a copy of the product-of-shape values at `data`. */
int noma_rt_tensor_from_data(const int64_t* shape, int32_t rank, const double* data,
                             noma_rt_tensor** out);
noma_rt_tensor* noma_rt_tensor_scalar(double value); /* Rank 0. */
noma_rt_tensor* noma_rt_tensor_copy(const noma_rt_tensor* t);
void noma_rt_tensor_free(noma_rt_tensor* t); /* NULL is allowed. */
int32_t noma_rt_tensor_rank(const noma_rt_tensor* t);
const int64_t* noma_rt_tensor_shape(const noma_rt_tensor* t); /* rank entries. */
int64_t noma_rt_tensor_size(const noma_rt_tensor* t);
double* noma_rt_tensor_data(noma_rt_tensor* t);
const double* noma_rt_tensor_const_data(const noma_rt_tensor* t);

/* ---- Kernels ---- */
double noma_rt_binary_scalar(int32_t op, double a, double b); /* NaN for an unknown op. */
double noma_rt_unary_scalar(int32_t op, double a);
/* Elementwise with NumPy broadcasting ("cannot broadcast shapes [2, 3] and [4]"). */
int noma_rt_binary(int32_t op, const noma_rt_tensor* a, const noma_rt_tensor* b,
                   noma_rt_tensor** out);
int noma_rt_unary(int32_t op, const noma_rt_tensor* a, noma_rt_tensor** out);
int noma_rt_matmul(const noma_rt_tensor* a, const noma_rt_tensor* b, noma_rt_tensor** out);
int noma_rt_transpose(const noma_rt_tensor* a, noma_rt_tensor** out);
int noma_rt_dot(const noma_rt_tensor* a, const noma_rt_tensor* b, double* out);
double noma_rt_sum(const noma_rt_tensor* t);
double noma_rt_mean(const noma_rt_tensor* t); /* NaN for an empty tensor. */
int noma_rt_sum_axis(const noma_rt_tensor* t, int64_t axis, noma_rt_tensor** out);
int noma_rt_mean_axis(const noma_rt_tensor* t, int64_t axis, noma_rt_tensor** out);
int noma_rt_sum_to_shape(const noma_rt_tensor* t, const int64_t* shape, int32_t rank,
                         noma_rt_tensor** out);
int noma_rt_broadcast_to(const noma_rt_tensor* t, const int64_t* shape, int32_t rank,
                         noma_rt_tensor** out);
/* t[index]: truncated toward zero; a rank-1 tensor gives a rank-0 tensor. */
int noma_rt_index(const noma_rt_tensor* t, double index, noma_rt_tensor** out);
/* `alloc b = [dims...]`: dims are the program's doubles (checked as in ShapeFromDims). */
int noma_rt_alloc(const double* dims, int32_t rank, noma_rt_tensor** out);
/* `realloc`: new elements 0 (buffers), or drawn from N(mean, stddev) of the global generator
 * in row-major order of the new flat index (learn parameters: mean 0, stddev 0.1). */
int noma_rt_realloc_zero(const noma_rt_tensor* t, const double* dims, int32_t rank,
                         noma_rt_tensor** out);
int noma_rt_realloc_normal(const noma_rt_tensor* t, const double* dims, int32_t rank, double mean,
                           double stddev, noma_rt_tensor** out);

/* ---- The program's generator (LANGUAGE.md §5), seeded with 0 at start ---- */
void noma_rt_seed(uint64_t seed);
void noma_rt_seed_f64(double n); /* The language's seed(n): noma::runtime::SeedFromDouble. */
uint64_t noma_rt_next_u64(void);
double noma_rt_uniform(void); /* [0, 1) */
double noma_rt_uniform_range(double lo, double hi);
double noma_rt_normal(double mean, double stddev);
int noma_rt_rand_tensor(const double* dims, int32_t rank, noma_rt_tensor** out);
int noma_rt_rand_normal_tensor(double mean, double stddev, const double* dims, int32_t rank,
                               noma_rt_tensor** out);
int noma_rt_xavier(double fan_in, double fan_out, const double* dims, int32_t rank,
                   noma_rt_tensor** out);
int noma_rt_he(double fan_in, const double* dims, int32_t rank, noma_rt_tensor** out);

/* ---- Output (LANGUAGE.md §9): one line on stdout ---- */
int noma_rt_print_scalar(double value);
int noma_rt_print_tensor(const noma_rt_tensor* t);
int noma_rt_print_string(const char* text);
/* Writes the §9 text of `value` and a NUL into buffer (truncated to capacity) and returns its
 * length without the NUL, like snprintf. 32 bytes always suffice. */
size_t noma_rt_format_scalar(double value, char* buffer, size_t capacity);
/* The §9 text of a tensor, malloc'ed; release with noma_rt_string_free. */
char* noma_rt_format_tensor(const noma_rt_tensor* t);
void noma_rt_string_free(char* text);

/* ---- Files (LANGUAGE.md §8) ---- */
int noma_rt_load_csv(const char* path, noma_rt_tensor** out);
int noma_rt_save_csv(const noma_rt_tensor* t, const char* path);

/* A name -> tensor map in sorted key order, for safetensors. */
noma_rt_tensor_map* noma_rt_map_new(void);
void noma_rt_map_free(noma_rt_tensor_map* map); /* NULL is allowed. */
int noma_rt_map_set(noma_rt_tensor_map* map, const char* key, const noma_rt_tensor* t);
size_t noma_rt_map_size(const noma_rt_tensor_map* map);
/* The i-th key in sorted order, or NULL when i >= size. Valid until the map changes. */
const char* noma_rt_map_key(const noma_rt_tensor_map* map, size_t i);
/* Borrowed; NULL when absent. Valid until the map changes or is freed. */
const noma_rt_tensor* noma_rt_map_get(const noma_rt_tensor_map* map, const char* key);
int noma_rt_load_safetensors(const char* path, noma_rt_tensor_map** out);
int noma_rt_save_safetensors(const noma_rt_tensor_map* map, const char* path);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NOMA_RUNTIME_C_API_H_ */
