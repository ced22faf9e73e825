#include "noma/runtime/watch.h"

#include <time.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace noma::runtime {
namespace {

constexpr double kRedrawSeconds = 0.25;  // The progress line changes at most 4 times a second.

double MonotonicSeconds() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

std::string Int(int64_t value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(value));
  return buffer;
}

std::string ShapeJson(base::Span<const int64_t> shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ",";
    out += Int(shape[i]);
  }
  return out + "]";
}

// A JSON string of `text` (file names and parameter names: escapes what JSON requires).
std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "?";
  auto total = static_cast<long long>(seconds + 0.5);
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60,
                  total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld", total / 60, total % 60);
  }
  return buffer;
}

}  // namespace

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[40];
  // The shortest of 15, 16 or 17 significant digits that reads back as the same double.
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
    if (digits == 17 || std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string ProgressLine(const std::string& where, int64_t count, double max_iterations,
                         bool epochs, double seconds, double loss) {
  std::string line = "optimize " + where + "  " + Int(count);
  bool bounded = std::isfinite(max_iterations) && max_iterations > 0 && max_iterations < 1e15;
  char buffer[64];
  if (bounded) {
    std::snprintf(buffer, sizeof buffer, "/%.0f", max_iterations);
    line += buffer;
  }
  if (epochs) line += " epochs";
  if (bounded) {
    std::snprintf(buffer, sizeof buffer, " [%d%%]",
                  static_cast<int>(100.0 * static_cast<double>(count) / max_iterations));
    line += buffer;
  }
  double rate = seconds > 0 ? static_cast<double>(count) / seconds : 0;
  if (rate > 0) {
    std::snprintf(buffer, sizeof buffer, rate >= 100 ? "  %.0f %s/s" : "  %.3g %s/s", rate,
                  epochs ? "epochs" : "it");
    line += buffer;
    if (bounded) {
      line += "  ETA " + Duration((max_iterations - static_cast<double>(count)) / rate);
    }
  }
  std::snprintf(buffer, sizeof buffer, "  loss %.3e", loss);
  return line + buffer;
}

TrainingWatch& TrainingWatch::Get() {
  static TrainingWatch* watch = new TrainingWatch();
  return *watch;
}

std::string TrainingWatch::Start(const char* metrics_path, bool progress) {
  Finish();
  progress_ = progress;
  start_ = MonotonicSeconds();
  in_loop_ = false;
  if (metrics_path != nullptr && *metrics_path != '\0') {
    log_ = std::fopen(metrics_path, "w");
    if (log_ == nullptr) {
      return std::string("cannot write '") + metrics_path + "': " + std::strerror(errno);
    }
  }
  return "";
}

void TrainingWatch::Finish() {
  ClearProgress();
  if (log_ != nullptr) std::fclose(log_);
  log_ = nullptr;
  in_loop_ = false;
}

double TrainingWatch::Now() const { return MonotonicSeconds() - start_; }

void TrainingWatch::Write(const std::string& record) {
  if (log_ == nullptr) return;
  std::string line = record + ",\"time\":" + JsonNumber(std::round(Now() * 1e6) / 1e6) + "}\n";
  std::fwrite(line.data(), 1, line.size(), log_);
  std::fflush(log_);
}

void TrainingWatch::AppendLoopAndStep(std::string* record) const {
  if (!in_loop_) return;
  *record += ",\"loop\":" + JsonString(where_) + ",\"step\":" + Int(steps_);
}

void TrainingWatch::LoopBegin(const char* where, double lr, double max_iterations, bool batched) {
  in_loop_ = true;
  where_ = where;
  lr_ = lr;
  max_iterations_ = max_iterations;
  batched_ = batched;
  reached_max_ = false;
  steps_ = 0;
  epochs_ = 0;
  count_ = 0;
  loop_start_ = MonotonicSeconds();
  last_draw_ = -1;
}

void TrainingWatch::BatchStep(double loss) {
  if (!in_loop_) return;
  ++steps_;
  if (log_ == nullptr) return;
  Write("{\"event\":\"step\",\"loop\":" + JsonString(where_) + ",\"epoch\":" + Int(epochs_ + 1) +
        ",\"step\":" + Int(steps_) + ",\"loss\":" + JsonNumber(loss) +
        ",\"lr\":" + JsonNumber(lr_));
}

void TrainingWatch::Iteration(int64_t count, double loss) {
  if (!in_loop_) return;
  count_ = count;
  if (batched_) {
    epochs_ = count;
  } else {
    steps_ = count;
    if (log_ != nullptr) {
      Write("{\"event\":\"step\",\"loop\":" + JsonString(where_) + ",\"step\":" + Int(steps_) +
            ",\"loss\":" + JsonNumber(loss) + ",\"lr\":" + JsonNumber(lr_));
    }
  }
  if (progress_) DrawProgress(loss);
}

void TrainingWatch::DrawProgress(double loss) {
  double now = MonotonicSeconds();
  // The first iteration draws at once; then a few times a second.
  if (last_draw_ >= 0 && now - last_draw_ < kRedrawSeconds) return;
  last_draw_ = now;
  std::string line =
      "\r\033[K" + ProgressLine(where_, count_, max_iterations_, batched_, now - loop_start_, loss);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  progress_shown_ = true;
}

void TrainingWatch::ClearProgress() {
  if (!progress_shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  progress_shown_ = false;
}

void TrainingWatch::MaxIterationsReached() {
  reached_max_ = true;
  ClearProgress();
}

void TrainingWatch::LoopEnd() {
  ClearProgress();
  if (!in_loop_) return;
  in_loop_ = false;
  if (log_ == nullptr) return;
  std::string record = "{\"event\":\"end\",\"loop\":" + JsonString(where_) + ",\"reason\":\"" +
                       (reached_max_ ? "max_iterations" : "condition") +
                       "\",\"steps\":" + Int(steps_);
  // A loop ends right after a pass (its condition held, or the cap): that pass never reached
  // Iteration.
  if (batched_) record += ",\"epochs\":" + Int(epochs_ + 1);
  Write(record);
}

void TrainingWatch::LoopAbandoned() {
  ClearProgress();
  in_loop_ = false;
}

void TrainingWatch::Growth(const char* parameter, base::Span<const int64_t> old_shape,
                           base::Span<const int64_t> new_shape) {
  if (log_ == nullptr) return;
  std::string record = "{\"event\":\"growth\",\"parameter\":" + JsonString(parameter) +
                       ",\"old_shape\":" + ShapeJson(old_shape) +
                       ",\"new_shape\":" + ShapeJson(new_shape);
  AppendLoopAndStep(&record);
  Write(record);
}

void TrainingWatch::ResetOptimizer() {
  if (log_ == nullptr) return;
  std::string record = "{\"event\":\"reset_optimizer\"";
  AppendLoopAndStep(&record);
  Write(record);
}

}  // namespace noma::runtime
