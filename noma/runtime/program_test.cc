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
