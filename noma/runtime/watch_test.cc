#include "noma/runtime/watch.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace noma::runtime {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

// The file's lines with the trailing `,"time":...}` replaced by `}`.
std::vector<std::string> RecordsWithoutTime(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    size_t time = line.rfind(",\"time\":");
    EXPECT_NE(time, std::string::npos) << line;
    EXPECT_EQ(line.back(), '}') << line;
    if (time != std::string::npos) line = line.substr(0, time) + "}";
    lines.push_back(line);
  }
  return lines;
}

TEST(WatchTest, JsonNumbersReadBackExactly) {
  EXPECT_EQ(JsonNumber(0.5), "0.5");
  EXPECT_EQ(JsonNumber(0.1), "0.1");
  EXPECT_EQ(JsonNumber(3), "3");
  EXPECT_EQ(JsonNumber(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(JsonNumber(1.0 / 3), "0.3333333333333333");  // 16 digits suffice.
  EXPECT_EQ(std::strtod(JsonNumber(1.0 / 3).c_str(), nullptr), 1.0 / 3);
  EXPECT_EQ(JsonNumber(std::nan("")), "null");
  EXPECT_EQ(JsonNumber(1.0 / 0.0), "null");
}

TEST(WatchTest, ProgressLineLooksLikeTqdm) {
  EXPECT_EQ(ProgressLine("model.noma:23", 534, 2000, false, 1.296, 3.49e-3),
            "optimize model.noma:23  534/2000 [26%]  412 it/s  ETA 0:04  loss 3.490e-03");
  EXPECT_EQ(ProgressLine("m.noma:5", 3, 100, true, 2, 0.25),
            "optimize m.noma:5  3/100 epochs [3%]  1.5 epochs/s  ETA 1:05  loss 2.500e-01");
  // No rate yet, and an unbounded loop has neither a percentage nor an ETA.
  EXPECT_EQ(ProgressLine("m.noma:5", 0, 1.0 / 0.0, false, 0, 1),
            "optimize m.noma:5  0  loss 1.000e+00");
  EXPECT_EQ(ProgressLine("m.noma:5", 10, 1e6, false, 0.01, 1),
            "optimize m.noma:5  10/1000000 [0%]  1000 it/s  ETA 16:40  loss 1.000e+00");
  EXPECT_EQ(ProgressLine("m.noma:5", 1, 1e9, false, 1, 1),
            "optimize m.noma:5  1/1000000000 [0%]  1 it/s  ETA ?  loss 1.000e+00");
}

TEST(WatchTest, RecordsEveryEventInOrder) {
  std::string path = TempPath("watch_records.jsonl");
  TrainingWatch& watch = TrainingWatch::Get();
  ASSERT_EQ(watch.Start(path.c_str(), false), "");
  EXPECT_TRUE(watch.logging());
  watch.ResetOptimizer();  // Outside a loop: no loop, no step.
  watch.LoopBegin("a.noma:3", 0.1, 1000, false);
  watch.Iteration(1, 0.5);
  watch.Growth("w", {2, 2}, {2, 16});
  watch.Iteration(2, std::nan(""));
  watch.LoopEnd();
  watch.LoopBegin("a.noma:9", std::nan(""), 2, true);
  watch.BatchStep(0.25);
  watch.BatchStep(0.125);
  watch.Iteration(1, 0.125);
  watch.BatchStep(0.0625);
  watch.MaxIterationsReached();
  watch.LoopEnd();
  watch.LoopBegin("a.noma:20", 1, 10, false);
  watch.LoopAbandoned();  // `return` from the body: no end record.
  watch.LoopEnd();
  watch.Finish();
  EXPECT_FALSE(watch.logging());
  std::vector<std::string> expected = {
      R"({"event":"reset_optimizer"})",
      R"({"event":"step","loop":"a.noma:3","step":1,"loss":0.5,"lr":0.1})",
      R"({"event":"growth","parameter":"w","old_shape":[2,2],"new_shape":[2,16],)"
      R"("loop":"a.noma:3","step":1})",
      R"({"event":"step","loop":"a.noma:3","step":2,"loss":null,"lr":0.1})",
      R"({"event":"end","loop":"a.noma:3","reason":"condition","steps":2})",
      R"({"event":"step","loop":"a.noma:9","epoch":1,"step":1,"loss":0.25,"lr":null})",
      R"({"event":"step","loop":"a.noma:9","epoch":1,"step":2,"loss":0.125,"lr":null})",
      R"({"event":"step","loop":"a.noma:9","epoch":2,"step":3,"loss":0.0625,"lr":null})",
      R"({"event":"end","loop":"a.noma:9","reason":"max_iterations","steps":3,"epochs":2})",
  };
  EXPECT_EQ(RecordsWithoutTime(path), expected);
}

TEST(WatchTest, EscapesNamesAndReportsUnwritableFiles) {
  std::string path = TempPath("watch_escape.jsonl");
  TrainingWatch& watch = TrainingWatch::Get();
  ASSERT_EQ(watch.Start(path.c_str(), false), "");
  watch.LoopBegin("dir \"x\"\\y.noma:1", 1, 1, false);
  watch.Iteration(1, 1);
  watch.Finish();
  std::vector<std::string> records = RecordsWithoutTime(path);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0],
            R"({"event":"step","loop":"dir \"x\"\\y.noma:1","step":1,"loss":1,"lr":1})");
  EXPECT_EQ(watch.Start("/nonexistent-dir/m.jsonl", false),
            "cannot write '/nonexistent-dir/m.jsonl': No such file or directory");
  watch.Finish();
}

TEST(WatchTest, NoLogNoRecords) {
  TrainingWatch& watch = TrainingWatch::Get();
  ASSERT_EQ(watch.Start(nullptr, false), "");
  EXPECT_FALSE(watch.logging());
  watch.LoopBegin("a.noma:1", 1, 1, false);
  watch.Iteration(1, 1);  // Nothing to write, nothing to draw: must not crash.
  watch.LoopEnd();
  watch.Finish();
}

}  // namespace
}  // namespace noma::runtime
