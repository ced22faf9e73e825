// The program ABI behind compiled code: values, checks and their messages.
#include "noma/runtime/program.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"

namespace {

// The pending error message, read through noma_p_fail's table-less form is awkward in a test,
// so errors are observed through their status and the kinds they leave behind.
class Cells {
 public:
  ~Cells() { noma_p_release_all(cells_, kCount); }
  noma_cell* operator[](int i) { return &cells_[i]; }

 private:
  static constexpr int kCount = 8;
  noma_cell cells_[kCount] = {};
};

TEST(ProgramTest, ScalarsAndCopies) {
  Cells c;
  noma_p_set_scalar(c[0], 2.5);
  noma_p_copy(c[1], c[0]);
  EXPECT_EQ(c[1]->kind, NOMA_P_SCALAR);
  EXPECT_EQ(c[1]->scalar, 2.5);
  int32_t truth = 0;
  EXPECT_EQ(noma_p_truthy(c[1], &truth), 0);
  EXPECT_EQ(truth, 1);
  noma_p_set_scalar(c[2], std::nan(""));
  EXPECT_EQ(noma_p_truthy(c[2], &truth), 0);
  EXPECT_EQ(truth, 1);  // NaN is true.
}

TEST(ProgramTest, TensorsAreSharedSnapshots) {
  Cells c;
  noma_p_set_scalar(c[0], 2);
  noma_p_set_scalar(c[1], 3);
  noma_cell* dims[] = {c[0], c[1]};
  ASSERT_EQ(noma_p_alloc(c[2], dims, 2), 0);
  EXPECT_EQ(c[2]->kind, NOMA_P_TENSOR);
  noma_p_copy(c[3], c[2]);
  EXPECT_EQ(c[3]->object, c[2]->object);  // Shared, reference-counted.
  // A rank-0 kernel result becomes a scalar.
  noma_cell* args[] = {c[2]};
  ASSERT_EQ(noma_p_builtin(c[4], NOMA_P_BUILTIN_Sum, args, 1), 0);
  EXPECT_EQ(c[4]->kind, NOMA_P_SCALAR);
  EXPECT_EQ(c[4]->scalar, 0);
  int32_t truth;
  EXPECT_EQ(noma_p_truthy(c[2], &truth), 1);  // A tensor is not a condition.
}

TEST(ProgramTest, BinaryBroadcastsAndReportsShapes) {
  Cells c;
  noma_p_set_scalar(c[0], 2);
  noma_p_set_scalar(c[1], 3);
  noma_cell* two_by_three[] = {c[0], c[1]};
  ASSERT_EQ(noma_p_alloc(c[2], two_by_three, 2), 0);
  ASSERT_EQ(noma_p_binary(c[3], 0 /* add */, c[2], c[1]), 0);
  EXPECT_EQ(c[3]->kind, NOMA_P_TENSOR);
  noma_cell* two[] = {c[0]};
  ASSERT_EQ(noma_p_alloc(c[4], two, 1), 0);
  EXPECT_EQ(noma_p_binary(c[5], 0, c[2], c[4]), 1);  // [2, 3] + [2]
  EXPECT_EQ(c[5]->kind, NOMA_P_UNSET);
}

// A fused group's loop is generated code; the runtime plans it (noma_p_group_begin): strides
// per leaf, the plan kept in the descriptor while shapes stay, the result written in place when
// nothing else holds it.
TEST(ProgramTest, GroupsArePlannedOnceAndWriteInPlace) {
  noma_p_error_pending = 0;
  Cells c;
  const int64_t matrix_shape[] = {2, 3};
  const double matrix[] = {1, 2, 3, 4, 5, 6};
  const int64_t row_shape[] = {1, 3};
  const double row[] = {10, 20, 30};
  ASSERT_EQ(noma_p_set_tensor(c[0], matrix_shape, 2, matrix), 0);
  ASSERT_EQ(noma_p_set_tensor(c[1], row_shape, 2, row), 0);
  noma_p_set_scalar(c[2], 2);
  noma_cell* leaves[] = {c[0], c[1], c[2]};
  // (leaf 0 + leaf 1) * leaf 2
  const int32_t program[] = {2, 0, 0, 1, 2, 2, -1, 2};
  noma_group group = {};
  ASSERT_EQ(noma_p_group_begin(c[3], leaves, 3, program, 2, &group), 0);
  EXPECT_EQ(group.rows, 2);
  EXPECT_EQ(group.cols, 3);
  EXPECT_EQ(group.row_stride[0], 3);
  EXPECT_EQ(group.col_stride[0], 1);
  EXPECT_EQ(group.row_stride[1], 0);  // Broadcast over rows.
  EXPECT_EQ(group.col_stride[1], 1);
  EXPECT_EQ(group.row_stride[2], 0);  // A scalar.
  EXPECT_EQ(group.col_stride[2], 0);
  EXPECT_EQ(group.base[0], noma_p_cell_data(c[0]));
  EXPECT_EQ(group.base[2], &c[2]->scalar);
  ASSERT_EQ(noma_p_cell_rank(c[3]), 2);
  EXPECT_EQ(noma_p_cell_shape(c[3])[0], 2);
  EXPECT_EQ(noma_p_cell_shape(c[3])[1], 3);
  EXPECT_EQ(group.out, noma_p_cell_data(c[3]));
  EXPECT_NE(group.planned, 0);
  for (int i = 0; i < 6; ++i) group.out[i] = i;

  // Same shapes: the result is written into dst's own tensor, which nothing else holds.
  double* first = group.out;
  ASSERT_EQ(noma_p_group_begin(c[3], leaves, 3, program, 2, &group), 0);
  EXPECT_EQ(group.out, first);
  // Held elsewhere too (a snapshot): a new tensor, the snapshot keeps its values.
  noma_p_copy(c[4], c[3]);
  ASSERT_EQ(noma_p_group_begin(c[3], leaves, 3, program, 2, &group), 0);
  EXPECT_NE(group.out, first);
  EXPECT_EQ(noma_p_cell_data(c[4])[5], 5);

  // A leaf's shape changed: planned again ([2, 1] broadcast over columns).
  const int64_t column_shape[] = {2, 1};
  ASSERT_EQ(noma_p_set_tensor(c[1], column_shape, 2, row), 0);
  ASSERT_EQ(noma_p_group_begin(c[3], leaves, 3, program, 2, &group), 0);
  EXPECT_EQ(group.row_stride[1], 1);
  EXPECT_EQ(group.col_stride[1], 0);

  // Shapes that do not broadcast, and strings, decline: the caller runs the ops one by one
  // (which reports the error).
  const int64_t four[] = {4};
  ASSERT_EQ(noma_p_set_tensor(c[1], four, 1, matrix), 0);
  EXPECT_EQ(noma_p_group_begin(c[5], leaves, 3, program, 2, &group), 1);
  EXPECT_EQ(c[5]->kind, NOMA_P_UNSET);
  noma_p_set_string(c[1], "text");
  EXPECT_EQ(noma_p_group_begin(c[5], leaves, 3, program, 2, &group), 1);
  EXPECT_EQ(noma_p_error_pending, 0);
}

TEST(ProgramTest, BlockKernelsAreTheRuntimeKernels) {
  const double a[] = {-1, 0, 0.5, 3};
  double out[4];
  noma_p_unary_block(0 /* neg */, a, 1, out, 4);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[3], -3);
  const double two = 2;
  noma_p_binary_block(2 /* mul */, a, 1, &two, 0, out, 4);
  EXPECT_EQ(out[2], 1);
  EXPECT_EQ(out[3], 6);
}

TEST(ProgramTest, LoadChecksUnsetAndFreed) {
  Cells c;
  EXPECT_EQ(noma_p_load(c[1], c[0], "x"), 1);
  noma_p_set_scalar(c[0], 1);
  EXPECT_EQ(noma_p_load(c[1], c[0], "x"), 0);
  EXPECT_EQ(noma_p_free(c[0], "x"), 0);
  EXPECT_EQ(c[0]->kind, NOMA_P_FREED);
  EXPECT_EQ(noma_p_load(c[1], c[0], "x"), 1);
}

TEST(ProgramTest, TapesAreLastInFirstOut) {
  Cells c;
  void* tapes = nullptr;
  noma_p_set_scalar(c[0], 1);
  noma_p_tape_push(&tapes, 7, c[0]);
  noma_p_set_scalar(c[0], 2);
  noma_p_tape_push(&tapes, 7, c[0]);
  ASSERT_EQ(noma_p_tape_pop(&tapes, 7, c[1]), 0);
  EXPECT_EQ(c[1]->scalar, 2);
  ASSERT_EQ(noma_p_tape_pop(&tapes, 7, c[1]), 0);
  EXPECT_EQ(c[1]->scalar, 1);
  EXPECT_EQ(noma_p_tape_pop(&tapes, 7, c[1]), 1);  // Underflow is an error, not a crash.
  noma_p_tapes_free(tapes);
}

TEST(ProgramTest, MinimizeCountsAndNeedsAScalar) {
  Cells c;
  int64_t count = 0;
  double loss = 0;
  noma_p_set_scalar(c[0], 0.25);
  ASSERT_EQ(noma_p_minimize(c[0], &count, &loss), 0);
  EXPECT_EQ(count, 1);
  EXPECT_EQ(loss, 0.25);
  EXPECT_EQ(noma_p_check_one_minimize(count, "optimize"), 0);
  EXPECT_EQ(noma_p_check_one_minimize(2, "optimize"), 1);
  noma_cell* dims[] = {c[0]};
  noma_p_set_scalar(c[1], 3);
  dims[0] = c[1];
  ASSERT_EQ(noma_p_alloc(c[2], dims, 1), 0);
  EXPECT_EQ(noma_p_minimize(c[2], &count, &loss), 1);
}

TEST(ProgramTest, ParsesProgramOptions) {
  noma_run_options options;
  const char* args[] = {"--seed", "7", "--check-nan", "--max-alloc", "800"};
  ASSERT_EQ(noma_p_parse_options(5, args, "help", &options), 0);
  EXPECT_EQ(options.seed, 7u);
  EXPECT_EQ(options.check_nan, 1);
  EXPECT_EQ(options.max_elements, 100);
  const char* bad[] = {"--no-such-option"};
  EXPECT_EQ(noma_p_parse_options(1, bad, "help", &options), 2);
  const char* bad_seed[] = {"--seed", "x"};
  EXPECT_EQ(noma_p_parse_options(2, bad_seed, "help", &options), 2);
}

TEST(ProgramTest, ParsesWatchOptions) {
  noma_run_options options;
  const char* args[] = {"--metrics", "m.jsonl", "--progress"};
  ASSERT_EQ(noma_p_parse_options(3, args, "help", &options), 0);
  EXPECT_STREQ(options.metrics_path, "m.jsonl");
  EXPECT_EQ(options.progress, 1);
  const char* off[] = {"--progress", "--no-progress"};  // The last one wins.
  ASSERT_EQ(noma_p_parse_options(2, off, "help", &options), 0);
  EXPECT_EQ(options.progress, 0);
  EXPECT_EQ(options.metrics_path, nullptr);
  const char* missing[] = {"--metrics"};
  EXPECT_EQ(noma_p_parse_options(1, missing, "help", &options), 2);
}

TEST(ProgramTest, SymbolTableNamesEveryEntryPoint) {
  size_t count = 0;
  const noma_p_symbol* symbols = noma_p_symbols(&count);
  ASSERT_GT(count, 40u);
  for (size_t i = 0; i < count; ++i) {
    EXPECT_NE(symbols[i].address, nullptr) << symbols[i].name;
    EXPECT_EQ(std::string(symbols[i].name).rfind("noma_p_", 0), 0u);
  }
}

}  // namespace
