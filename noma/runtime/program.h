#ifndef NOMA_RUNTIME_PROGRAM_H_
#define NOMA_RUNTIME_PROGRAM_H_

/* The C ABI that compiled NOMA programs (JIT and standalone executables) call: the language's
 * values and operations with their run-time checks and error messages (docs/language.md §3-§9), on
 * top of the kernels in tensor.h. Generated code owns control flow, scalar arithmetic and the
 * frames; everything that touches a tensor, a file or the generator goes through here, so a
 * compiled program computes exactly what the interpreter computes. See docs/codegen.md.
 *
 * Conventions:
 *  - A value lives in a `noma_cell` (kind, scalar, object). Cells start zeroed (kind unset).
 *    Tensors are reference-counted immutable snapshots; strings point at constant text.
 *    Every function that writes a cell releases what the cell held before.
 *  - Errors are deferred: a failing call (returning 1) records the first error of the run,
 *    with the location that generated code stored in noma_p_location before the call, and
 *    sets noma_p_error_pending. Later calls cannot replace it and perform no visible side
 *    effect (printing, writing files); generated code tests the flag before it branches, and
 *    noma_p_run prints the located diagnostic when the program stops.
 *  - One program runs per process at a time (the generator and counters are process-wide). */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  NOMA_P_UNSET = 0,
  NOMA_P_SCALAR = 1,
  NOMA_P_TENSOR = 2,
  NOMA_P_STRING = 3,
  NOMA_P_FREED = 4,
};

typedef struct noma_cell {
  int64_t kind;
  double scalar;
  void* object; /* NOMA_P_TENSOR: a reference-counted tensor; NOMA_P_STRING: const char*. */
} noma_cell;

/* Builtins: the ids of noma_p_builtin, numbered by the registry (noma/graph/builtins.def) in
 * the order of noma::graph::Builtin: NOMA_P_BUILTIN_Sigmoid, ... */
typedef enum noma_builtin_id {
#define NOMA_BUILTIN(Id, name, min_args, max_args, Differentiability) NOMA_P_BUILTIN_##Id,
#include "noma/graph/builtins.def"
  NOMA_P_BUILTIN_COUNT
} noma_builtin_id;

/* What the generated module describes about itself for the runtime. */
typedef struct noma_program {
  /* Rendered diagnostics per source location: prefix + message + suffix. */
  const char* const* location_prefix;
  const char* const* location_suffix;
  int64_t location_count;
  /* The compiled `main`: 0 ok, 1 after an error (already reported). */
  int32_t (*entry)(noma_cell* const* args, noma_cell* result);
} noma_program;

typedef struct noma_run_options {
  uint64_t seed;
  int64_t max_elements;
  int32_t check_nan;
  int32_t progress;         /* Live training progress on stderr. */
  const char* metrics_path; /* --metrics FILE (JSON Lines; watch.h), or null. */
} noma_run_options;

/* The help of the program options noma_p_parse_options accepts, one line each (a string
 * literal, so every --help that lists them can embed it). */
#define NOMA_P_OPTIONS_HELP                                                                   \
  "  --seed N           seed of the program's random generator (default 0)\n"                 \
  "  --check-nan        make the first NaN/inf produced in an optimize loop an error\n"       \
  "  --max-alloc BYTES  largest tensor a program may allocate (default 8589934592 = 8 GiB)\n" \
  "  --threads N        threads for the tensor kernels (default: $NOMA_THREADS, else the\n"   \
  "                     CPUs this process may use; results are identical for every N)\n"      \
  "  --alloc-stats      at exit, print the number of heap allocations the process made\n"     \
  "  --metrics FILE     log every optimizer step, growth, optimizer reset and loop end to\n"  \
  "                     FILE as JSON Lines, flushed as they happen\n"                         \
  "  --progress         show the training progress line on stderr (default: when stderr\n"    \
  "                     is a terminal); --no-progress never shows it\n"

/* ---- Running a program ---- */
/* Parses the program options (--seed N, --check-nan, --max-alloc BYTES, --threads N,
 * --alloc-stats, --metrics FILE, --progress, --no-progress, --help;
 * --threads takes effect at once: noma::runtime::SetThreadCount) shared by
 * `noma run`/`fast-run` and executables. Returns 0 (ok), 1 (--help printed: exit 0) or 2 (a
 * usage error was printed to stderr: exit 2). `help` is the text printed for --help. */
int32_t noma_p_parse_options(int argc, const char* const* argv, const char* help,
                             noma_run_options* options);
/* Runs `program` on a thread with a large stack; prints main's returned value; flushes
 * stdout. Returns the process exit code (0, or 1 after a run-time error). */
int32_t noma_p_run(const noma_program* program, const noma_run_options* options);
/* main() of a standalone executable. */
int32_t noma_p_main(const noma_program* program, int argc, char** argv);

/* ---- Libraries (noma_library): compiled functions called from C/C++ ---- */
/* Calls `function` of `program` (count args) on the calling thread. Returns 0, or 1 with the
 * located diagnostic in *error (malloc'ed; release with noma_p_string_free) when the program
 * failed. Recursion is limited to 1000 nested calls here (the caller's stack is not ours). */
int32_t noma_p_call(const noma_program* program,
                    int32_t (*function)(noma_cell* const* args, noma_cell* result),
                    noma_cell* const* args, int32_t count, noma_cell* result, char** error);
void noma_p_string_free(char* text);
/* Tensors in and out of cells. Rank 0 makes a scalar. */
int32_t noma_p_set_tensor(noma_cell* dst, const int64_t* shape, int32_t rank, const double* data);
int32_t noma_p_cell_rank(const noma_cell* cell); /* 0 for a scalar; -1 if not a number. */
const int64_t* noma_p_cell_shape(const noma_cell* cell);
const double* noma_p_cell_data(const noma_cell* cell);

/* ---- Errors ---- */
/* Index into the program's location table of the operation being executed. */
extern int64_t noma_p_location;
/* Nonzero once an error was recorded. */
extern int32_t noma_p_error_pending;
/* Records an error detected by generated code (at noma_p_location). */
int32_t noma_p_error(const char* message);
void noma_p_warn_max_iterations(const char* prefix, double max_iterations);
/* Training events (watch.h: the --metrics log and the progress line). An optimize loop at
 * `where` ("file:line") starts, with its learning rate (a scalar cell, else logged as null);
 * `batched` when its steps happen per batch chunk. */
void noma_p_loop_begin(const char* where, const noma_cell* lr, double max_iterations,
                       int32_t batched);
/* One optimizer step of a batch chunk, with the chunk's loss. */
void noma_p_batch_step(double loss);
/* The end of an optimize iteration: `count` steps (epochs in a batch loop) done. `where` is
 * unused (the loop's own is kept since noma_p_loop_begin). */
void noma_p_progress(const char* where, int64_t count, double loss);
void noma_p_clear_progress(void);
/* reset_optimizer() ran. */
void noma_p_reset_optimizer_event(void);

/* ---- Cells ---- */
/* Zeroed cells for a large frame (generated code keeps small frames on the stack). */
noma_cell* noma_p_frame_new(int64_t count);
void noma_p_frame_delete(noma_cell* cells);
void noma_p_release(noma_cell* cell);
void noma_p_release_all(noma_cell* cells, int64_t count);
void noma_p_copy(noma_cell* dst, const noma_cell* src);
void noma_p_set_scalar(noma_cell* dst, double value);
void noma_p_set_string(noma_cell* dst, const char* text);
/* `'x' is used before it is given a value` / `use of 'x' after free`. */
int32_t noma_p_load(noma_cell* dst, const noma_cell* slot, const char* name);
/* A scalar, or "WHAT: expected a scalar, got a tensor of shape [..]". */
int32_t noma_p_scalar_arg(const noma_cell* cell, const char* what, double* out);
/* "condition must be a scalar, got ..." */
int32_t noma_p_truthy(const noma_cell* cell, int32_t* truth);
int32_t noma_p_require_numeric(const noma_cell* cell);
/* Internal consistency: the cell must hold a scalar (statically typed scalar values). */
int32_t noma_p_expect_scalar(const noma_cell* cell, double* out);

/* ---- Operations ---- */
double noma_p_unary_scalar(int32_t kernel, double a);
double noma_p_binary_scalar(int32_t kernel, double a, double b);
int32_t noma_p_unary(noma_cell* dst, int32_t kernel, const noma_cell* a);
int32_t noma_p_binary(noma_cell* dst, int32_t kernel, const noma_cell* a, const noma_cell* b);
/* Short circuit: 1 when a scalar lhs decides `&&` (is_and) / `||` and sets dst. */
int32_t noma_p_short_circuit(noma_cell* dst, int32_t is_and, const noma_cell* lhs);
int32_t noma_p_builtin(noma_cell* dst, int32_t builtin, noma_cell* const* args, int32_t count);
int32_t noma_p_tensor_literal(noma_cell* dst, noma_cell* const* elements, int64_t count,
                              const int64_t* shape, int32_t rank);
int32_t noma_p_index(noma_cell* dst, const noma_cell* base, const noma_cell* index);
int32_t noma_p_minimize(const noma_cell* loss, int64_t* count, double* last_loss);
int32_t noma_p_check_one_minimize(int64_t count, const char* unit);
int32_t noma_p_check_finite(const noma_cell* cell, const char* what);
/* Nonzero while --check-nan applies (inside an optimize loop). */
extern int32_t noma_p_nan_checks;
void noma_p_optimize_enter(void);
void noma_p_optimize_leave(void);
int32_t noma_p_optimize_depth(void);
void noma_p_optimize_restore(int32_t depth);
/* Counts a call; an error (the interpreter's message) past the depth limit or when the native
 * stack is nearly used up, so deep recursion never crashes. */
int32_t noma_p_enter_call(void);
void noma_p_leave_call(void);
int32_t noma_p_returned_value(const noma_cell* result, const char* function);

/* ---- Fused elementwise groups ----
 * A chain of elementwise operations computed in one pass over its operands, without
 * intermediate tensors. `program` has 4 int32 per node, in evaluation order:
 * {arity (1 or 2), kernel (NOMA_RT_* unary or binary), operand 0, operand 1}; an operand >= 0
 * names a leaf, -1 - k names node k. The last node is the result. */
enum { NOMA_P_FUSION_MAX_NODES = 16, NOMA_P_FUSION_MAX_LEAVES = 16 };

/* The generated code runs a group's loop itself; the runtime checks the shapes, provides
 * the result tensor and describes where every leaf's elements are:
 *   out[r * cols + c] = chain(leaf l at base[l][r * row_stride[l] + c * col_stride[l]])
 * for r < rows, c < cols (strides 0 where a leaf is broadcast, both 0 for a scalar leaf). */
typedef struct noma_group {
  double* out;
  int64_t rows;
  int64_t cols;
  const double* base[NOMA_P_FUSION_MAX_LEAVES];
  int64_t row_stride[NOMA_P_FUSION_MAX_LEAVES];
  int64_t col_stride[NOMA_P_FUSION_MAX_LEAVES];
  /* The instruction set the loop may use (the runtime kernels' level: 0 portable, 1 SSE4.2,
   * 2 AVX2, 3 AVX-512; NOMA_CPU caps it); every level computes the same bits. */
  int64_t level;
  /* The runtime's memo between runs of the same group in a frame (generated code zeroes it
   * once): the leaf shapes the strides were planned for, so unchanged shapes skip planning. */
  int64_t planned; /* 0: nothing planned yet. */
  int64_t elements;
  int64_t result_rank;
  int64_t result_dims[2];
  int64_t leaf_rank[NOMA_P_FUSION_MAX_LEAVES]; /* 0 for a scalar. */
  int64_t leaf_dims[NOMA_P_FUSION_MAX_LEAVES][2];
} noma_group;
/* Prepares the loop of the chain `program` and points dst at its result,
 * whose elements the caller must all write (dst's own tensor when nothing else holds it). Returns
 * 0: run the loop described in *group; 1: declined (a leaf is not a number, shapes do not
 * broadcast, the result has rank 0 or > 2, --check-nan is active, an error is pending), run the
 * operations one by one, which reports any error exactly; 2: done (the chain ran on the device). */
int32_t noma_p_group_begin(noma_cell* dst, noma_cell* const* leaves, int32_t leaf_count,
                           const int32_t* program, int32_t node_count, noma_group* group);
/* The runtime's array kernels on `n` elements (strides in elements, 0 repeats one value), for
 * the operations of a generated loop that are not generated inline (exp, tanh, ...). */
void noma_p_unary_block(int32_t kernel, const double* a, int64_t a_stride, double* out, int64_t n);
void noma_p_binary_block(int32_t kernel, const double* a, int64_t a_stride, const double* b,
                         int64_t b_stride, double* out, int64_t n);

/* matmul(transpose(a) or a, transpose(b) or b) without the transposed copies (the backward
 * pass's products). Returns 1 without doing anything when it cannot run so (an operand that
 * is not a rank-2 tensor in host memory, an error the matmul would report, --check-nan active,
 * an error pending): the caller then runs the transposes and the matmul one by one. */
int32_t noma_p_matmul_transposed(noma_cell* dst, const noma_cell* a, int32_t transpose_a,
                                 const noma_cell* b, int32_t transpose_b);

/* ---- Slots ---- */
int32_t noma_p_alloc(noma_cell* slot, noma_cell* const* dims, int32_t count);
int32_t noma_p_realloc(noma_cell* slot, noma_cell* const* dims, int32_t count, int32_t learnable,
                       const char* name);
int32_t noma_p_free(noma_cell* slot, const char* name);
int32_t noma_p_load_csv(noma_cell* slot, const noma_cell* path);
int32_t noma_p_save_csv(const noma_cell* value, const noma_cell* path);
/* keys[0] == "" : the single-tensor form. */
int32_t noma_p_load_safetensors(const noma_cell* path, const char* const* keys,
                                noma_cell* const* slots, int32_t count);
int32_t noma_p_save_safetensors(noma_cell* const* values, const char* const* keys, int32_t count,
                                const noma_cell* path);

/* ---- Batches ---- */
/* Checks the chunk size and that every source is a tensor with the same number of rows. */
int32_t noma_p_batch_setup(noma_cell* const* sources, int32_t count, const noma_cell* chunk,
                           int64_t* rows, int64_t* chunk_rows);
int32_t noma_p_slice_rows(noma_cell* dst, const noma_cell* source, int64_t begin, int64_t end);

/* ---- Autodiff support ---- */
void noma_p_tape_push(void** tapes, int64_t tape, const noma_cell* value);
int32_t noma_p_tape_pop(void** tapes, int64_t tape, noma_cell* dst);
void noma_p_tapes_free(void* tapes);
int32_t noma_p_sum_to_shape(noma_cell* dst, const noma_cell* adjoint, const noma_cell* like);
int32_t noma_p_index_adjoint(noma_cell* dst, const noma_cell* adjoint, const noma_cell* base,
                             const noma_cell* index);
int32_t noma_p_zeros_like(noma_cell* dst, const noma_cell* like);
int32_t noma_p_realloc_like(noma_cell* dst, const noma_cell* value, const noma_cell* like);
int32_t noma_p_unreduce(noma_cell* dst, const noma_cell* adjoint, const noma_cell* like,
                        const noma_cell* axis, int32_t is_mean);

/* Every function above by name, for a JIT that resolves the generated code's references. */
typedef struct noma_p_symbol {
  const char* name;
  void* address;
} noma_p_symbol;
const noma_p_symbol* noma_p_symbols(size_t* count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NOMA_RUNTIME_PROGRAM_H_ */
