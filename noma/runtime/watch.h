#ifndef NOMA_RUNTIME_WATCH_H_
#define NOMA_RUNTIME_WATCH_H_

// Watching training: the metrics log (`--metrics FILE`, JSON Lines) and the live progress line
// on stderr. The interpreter and compiled programs (through program.h) report the same events
// here, so every execution mode writes the same records and draws the same line.
//
// Records, one JSON object per line, written and flushed as they happen (a killed run keeps
// every record written before). Every record ends with "time", the seconds since the run
// started; everything before it is the same in every mode.
//   {"event":"step","loop":"f.noma:7","step":1,"loss":0.5,"lr":0.1,"time":...}
//       one per optimizer step; in a batch loop also "epoch" (1-based) before "step"
//   {"event":"growth","parameter":"w1","old_shape":[2,2],"new_shape":[2,16],"loop":...,
//    "step":200,"time":...}     a `learn` parameter's realloc that changed its shape
//   {"event":"reset_optimizer","loop":...,"step":...,"time":...}
//   {"event":"end","loop":"f.noma:7","reason":"condition"|"max_iterations","steps":N,
//    ["epochs":E,] "time":...}
// "loop" and "step" (the steps taken so far) appear on growth and reset records only inside an
// optimize loop. Numbers print with 17 significant digits (they read back exactly); a NaN or
// infinite loss is null.
//
// Process-wide, like the rest of a program's state: one program runs per process at a time.
// Uses stdio only (it is part of the standalone executables' runtime; base.h).

#include <cstdint>
#include <cstdio>
#include <string>

#include "noma/runtime/base.h"

namespace noma::runtime {

class TrainingWatch {
 public:
  static TrainingWatch& Get();

  // Starts a run: opens (truncates) `metrics_path` unless it is null or empty, and turns the
  // progress line on or off. Returns "" or the error ("cannot write 'm.jsonl': <reason>").
  std::string Start(const char* metrics_path, bool progress);
  // Ends the run: clears the progress line and closes the log.
  void Finish();

  // An optimize loop starts at `where` ("file:line"). `lr` is its learning rate (NaN when it
  // is not a scalar: printed as null); `batched` when its steps happen per batch chunk.
  void LoopBegin(const char* where, double lr, double max_iterations, bool batched);
  // One optimizer step of a batch loop (a chunk), with that chunk's loss.
  void BatchStep(double loss);
  // The end of one iteration of the loop: `count` steps (or epochs, in a batch loop) are done;
  // `loss` is the last minimized loss. Records the step of an unbatched loop and draws the line.
  void Iteration(int64_t count, double loss);
  // The loop stops because it reached max_iterations (call before the warning is printed; it
  // clears the progress line).
  void MaxIterationsReached();
  // The loop ended (after its condition held or max_iterations): writes the end record.
  void LoopEnd();
  // A loop left by `return` or an error: forgets it without a record.
  void LoopAbandoned();

  void Growth(const char* parameter, base::Span<const int64_t> old_shape,
              base::Span<const int64_t> new_shape);
  void ResetOptimizer();

  // Erases the progress line if it is shown (before a warning or an error is printed).
  void ClearProgress();

  bool logging() const { return log_ != nullptr; }

 private:
  TrainingWatch() = default;
  double Now() const;
  void Write(const std::string& record);
  void AppendLoopAndStep(std::string* record) const;
  void DrawProgress(double loss);

  std::FILE* log_ = nullptr;
  bool progress_ = false;
  bool progress_shown_ = false;
  double start_ = 0;
  // The running loop.
  bool in_loop_ = false;
  std::string where_;
  double lr_ = 0;
  double max_iterations_ = 0;
  bool batched_ = false;
  bool reached_max_ = false;
  int64_t steps_ = 0;
  int64_t epochs_ = 0;  // Finished passes over the data (batch loops).
  int64_t count_ = 0;   // Iterations finished (steps, or epochs in a batch loop).
  double loop_start_ = 0;
  double last_draw_ = -1;
};

// The progress line for a loop at `where` after `count` of at most `max_iterations` iterations
// (`epochs` says which) in `seconds`: "optimize f.noma:23  534/2000 [27%]  412 it/s  ETA 0:04
// loss 3.490e-03". Exposed for tests.
std::string ProgressLine(const std::string& where, int64_t count, double max_iterations,
                         bool epochs, double seconds, double loss);

// A JSON number for a double: 17 significant digits, integers without a fraction, null for NaN
// and infinities. Exposed for tests.
std::string JsonNumber(double value);

}  // namespace noma::runtime

#endif  // NOMA_RUNTIME_WATCH_H_
