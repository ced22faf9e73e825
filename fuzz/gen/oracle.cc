#include "fuzz/gen/oracle.h"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "noma/driver/driver.h"
#include "noma/driver/native.h"
#include "noma/gpu/program_cuda.h"
#include "noma/gpu/ptx.h"
#include "noma/gpu/simulator.h"
#include "noma/runtime/program.h"
#include "noma/syntax/formatter.h"
#include "noma/syntax/parser.h"

namespace noma::fuzz {
namespace {

namespace fs = std::filesystem;

constexpr char kProgramName[] = "gen.noma";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A fresh, empty working directory.
std::string FreshDirectory(const std::string& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
  fs::create_directories(path);
  return path;
}

// Every file below `dir` except the program and the executable, by relative name.
std::map<std::string, std::string> FilesIn(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string name = fs::relative(entry.path(), dir).string();
    if (name == kProgramName || name == "gen.exe" || name.rfind("exe.", 0) == 0) continue;
    files[name] = ReadFile(entry.path().string());
  }
  return files;
}

// Runs `body` with the process's stdout and stderr (file descriptors 1 and 2) sent to files,
// from inside `dir`; returns what they received.
template <typename Body>
void CaptureIn(const std::string& dir, Outcome& outcome, Body body) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::cout.flush();
  std::string out_path = dir + "/../stdout.capture";
  std::string err_path = dir + "/../stderr.capture";
  int saved_out = dup(1);
  int saved_err = dup(2);
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  close(out_fd);
  close(err_fd);
  std::string previous = fs::current_path().string();
  fs::current_path(dir);
  outcome.code = body();
  std::cout.flush();
  std::cerr.flush();
  std::fflush(stdout);
  std::fflush(stderr);
  fs::current_path(previous);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  outcome.out = ReadFile(out_path);
  outcome.err = ReadFile(err_path);
}

noma_run_options DefaultRunOptions() {
  noma_run_options options;
  noma_p_parse_options(0, nullptr, "", &options);
  options.progress = 0;
  return options;
}

Outcome RunInterpreter(const driver::Compilation& compilation, const std::string& dir) {
  Outcome outcome;
  std::ostringstream out, err;
  noma_run_options defaults = DefaultRunOptions();
  interp::Options options;
  options.seed = defaults.seed;
  options.max_elements = defaults.max_elements;
  options.check_nan = defaults.check_nan != 0;
  options.out = &out;
  options.err = &err;
  options.sources = &compilation.sources;
  std::string previous = fs::current_path().string();
  fs::current_path(dir);
  outcome.code = driver::Interpret(compilation, options);
  fs::current_path(previous);
  outcome.out = out.str();
  outcome.err = err.str();
  return outcome;
}

Outcome RunJit(const driver::Compilation& compilation, const std::string& dir, int opt_level) {
  Outcome outcome;
  codegen::Options options;
  options.target_cpu = "native";
  options.opt_level = opt_level;
  CaptureIn(dir, outcome, [&] {
    return driver::RunNative(compilation, options, DefaultRunOptions(), std::cerr);
  });
  return outcome;
}

Outcome RunSimulatedGpu(const driver::Compilation& compilation, const std::string& dir) {
  Outcome outcome;
  absl::StatusOr<std::unique_ptr<gpu::Simulator>> simulator =
      gpu::Simulator::Create(gpu::ProgramChains(compilation.module));
  if (!simulator.ok()) {
    outcome.code = -1;
    outcome.err = absl::StrCat("simulator: ", simulator.status().message());
    return outcome;
  }
  gpu::DriverApi api = (*simulator)->api();
  codegen::Options options;
  options.target_cpu = "native";
  CaptureIn(dir, outcome, [&] {
    return driver::RunNative(compilation, options, DefaultRunOptions(), std::cerr,
                             [&](const noma_program* program, const noma_run_options& run_options) {
                               return gpu::RunProgram(
                                   program, "(PTX: the simulator runs host kernels)", run_options,
                                   gpu::GpuRunOptions{}, &api, nullptr);
                             });
  });
  if ((*simulator)->counters().live_buffers != 0) {
    outcome.err += absl::StrCat(
        "\n[oracle] device memory leaked: ", (*simulator)->counters().live_buffers, " buffers\n");
  }
  return outcome;
}

// `noma build-exe` through the CLI, then the executable, in `dir`.
Outcome RunExecutable(const std::string& text, const std::string& noma, const std::string& dir) {
  Outcome outcome;
  {
    std::ofstream program(dir + "/" + kProgramName, std::ios::binary);
    program << text;
  }
  std::string command = absl::StrCat("cd '", dir, "' && '", noma, "' build-exe ", kProgramName,
                                     " -o gen.exe >exe.out 2>exe.err </dev/null && ./gen.exe",
                                     " >exe.out 2>exe.err </dev/null");
  int status = std::system(command.c_str());
  outcome.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  outcome.out = ReadFile(dir + "/exe.out");
  outcome.err = ReadFile(dir + "/exe.err");
  return outcome;
}

// A short, readable description of how two outcomes differ.
std::string Difference(const Outcome& a, const Outcome& b) {
  std::string what;
  if (a.code != b.code) absl::StrAppend(&what, "exit ", a.code, " vs ", b.code, "; ");
  auto first_difference = [](const std::string& x, const std::string& y) {
    size_t i = 0;
    while (i < x.size() && i < y.size() && x[i] == y[i]) ++i;
    size_t start = i > 60 ? i - 60 : 0;
    return absl::StrCat("at byte ", i, ":\n    <<", x.substr(start, 160), ">>\n    <<",
                        y.substr(start, 160), ">>\n");
  };
  if (a.out != b.out) absl::StrAppend(&what, "stdout differs ", first_difference(a.out, b.out));
  if (a.err != b.err) absl::StrAppend(&what, "stderr differs ", first_difference(a.err, b.err));
  if (a.files != b.files) {
    absl::StrAppend(&what, "files differ:");
    for (const auto& [name, contents] : a.files) {
      auto it = b.files.find(name);
      if (it == b.files.end()) {
        absl::StrAppend(&what, " ", name, " (only first)");
      } else if (it->second != contents) {
        absl::StrAppend(&what, " ", name, " (contents)");
      }
    }
    for (const auto& [name, contents] : b.files) {
      if (a.files.count(name) == 0) absl::StrAppend(&what, " ", name, " (only second)");
    }
    absl::StrAppend(&what, "\n");
  }
  return what;
}

bool Same(const Outcome& a, const Outcome& b) {
  return a.code == b.code && a.out == b.out && a.err == b.err && a.files == b.files;
}

// Numbers printed by a program (scalars and the elements of tensors, in order).
std::vector<double> Numbers(const std::string& text) {
  std::string cleaned;
  for (char c : text) cleaned += (c == '[' || c == ']' || c == ',' || c == '\n') ? ' ' : c;
  std::vector<double> numbers;
  for (absl::string_view token : absl::StrSplit(cleaned, ' ', absl::SkipEmpty())) {
    double value;
    if (token == "nan" || token == "-nan") {
      value = NAN;
    } else if (token == "inf") {
      value = INFINITY;
    } else if (token == "-inf") {
      value = -INFINITY;
    } else if (!absl::SimpleAtod(token, &value)) {
      continue;
    }
    numbers.push_back(value);
  }
  return numbers;
}

// Compiles and interprets `text`; false if it does not compile or fails.
bool Interpret(const std::string& text, std::string* out, std::string* err) {
  driver::Compilation compilation;
  if (!driver::CompileSource("grad.noma", text, driver::Stage::kDifferentiate, compilation)) {
    std::ostringstream diagnostics;
    driver::PrintDiagnostics(compilation, diagnostics);
    *err = diagnostics.str();
    return false;
  }
  std::ostringstream out_stream, err_stream;
  interp::Options options;
  options.out = &out_stream;
  options.err = &err_stream;
  options.sources = &compilation.sources;
  int code = driver::Interpret(compilation, options);
  *out = out_stream.str();
  *err = err_stream.str();
  return code == 0;
}

}  // namespace

const char* ExecutorName(Executor executor) {
  switch (executor) {
    case Executor::kInterpreter:
      return "run";
    case Executor::kJit:
      return "fast-run";
    case Executor::kJitO0:
      return "fast-run -O0";
    case Executor::kSimulatedGpu:
      return "simulated-gpu";
    case Executor::kExecutable:
      return "build-exe";
  }
  return "?";
}

Verdict RunDifferential(const std::string& text, const OracleOptions& options) {
  Verdict verdict;
  driver::Compilation compilation;
  verdict.compiled =
      driver::CompileSource(kProgramName, text, driver::Stage::kDifferentiate, compilation);
  if (!verdict.compiled) {
    std::ostringstream diagnostics;
    driver::PrintDiagnostics(compilation, diagnostics);
    verdict.diagnostics = diagnostics.str();
    return verdict;
  }
  int index = 0;
  for (Executor executor : options.executors) {
    std::string dir = FreshDirectory(absl::StrCat(options.scratch, "/", index++, "/work"));
    Outcome outcome;
    switch (executor) {
      case Executor::kInterpreter:
        outcome = RunInterpreter(compilation, dir);
        break;
      case Executor::kJit:
        outcome = RunJit(compilation, dir, 2);
        break;
      case Executor::kJitO0:
        outcome = RunJit(compilation, dir, 0);
        break;
      case Executor::kSimulatedGpu:
        outcome = RunSimulatedGpu(compilation, dir);
        break;
      case Executor::kExecutable:
        outcome = RunExecutable(text, options.noma_binary, dir);
        break;
    }
    outcome.files = FilesIn(dir);
    if (!verdict.outcomes.empty() && !Same(verdict.outcomes.front(), outcome)) {
      verdict.agree = false;
      absl::StrAppend(&verdict.disagreement, ExecutorName(options.executors.front()), " vs ",
                      ExecutorName(executor), ": ", Difference(verdict.outcomes.front(), outcome));
    }
    verdict.outcomes.push_back(std::move(outcome));
  }
  return verdict;
}

GradientVerdict CheckGradient(const GradientCase& c) {
  GradientVerdict verdict;
  std::string out, err;
  std::string gradient_program = c.GradientProgram();
  verdict.compiled = Interpret(gradient_program, &out, &err) || !out.empty();
  std::vector<double> after = Numbers(out);
  size_t total = 0;
  for (const std::vector<double>& v : c.values) total += v.size();
  if (after.size() != total) {
    verdict.compiled = false;
    verdict.failure = absl::StrCat("the gradient program failed:\n", err, "\n", gradient_program);
    return verdict;
  }
  // Every perturbed point, for three step sizes: +h, -h per entry.
  const double kScales[] = {1.0, 0.1, 10.0};
  std::vector<std::vector<std::vector<double>>> points;
  std::vector<std::pair<size_t, size_t>> entries;  // (parameter, element)
  for (size_t p = 0; p < c.values.size(); ++p) {
    for (size_t e = 0; e < c.values[p].size(); ++e) entries.push_back({p, e});
  }
  for (double scale : kScales) {
    for (const auto& [p, e] : entries) {
      double h = 1e-6 * scale * std::max(1.0, std::fabs(c.values[p][e]));
      for (double sign : {1.0, -1.0}) {
        std::vector<std::vector<double>> point = c.values;
        point[p][e] += sign * h;
        points.push_back(point);
      }
    }
  }
  std::string loss_program = c.LossProgram(points);
  if (!Interpret(loss_program, &out, &err)) {
    verdict.failure = absl::StrCat("the loss program failed:\n", err, "\n", loss_program);
    return verdict;
  }
  std::vector<double> losses = Numbers(out);
  if (losses.size() != points.size()) {
    verdict.failure = absl::StrCat("the loss program printed ", losses.size(), " numbers, not ",
                                   points.size(), "\n", loss_program);
    return verdict;
  }
  size_t flat = 0;
  for (size_t k = 0; k < entries.size(); ++k, ++flat) {
    auto [p, e] = entries[k];
    double w = c.values[p][e];
    double compiled = w - after[flat];
    bool finite = std::isfinite(compiled);
    bool matched = false;
    std::string detail;
    for (size_t s = 0; s < 3; ++s) {
      double h = 1e-6 * kScales[s] * std::max(1.0, std::fabs(w));
      double plus = losses[2 * (s * entries.size() + k)];
      double minus = losses[2 * (s * entries.size() + k) + 1];
      if (!std::isfinite(plus) || !std::isfinite(minus)) finite = false;
      double numeric = (plus - minus) / (2 * h);
      double scale = std::max({1.0, std::fabs(compiled), std::fabs(numeric)});
      // Rounding the two losses costs up to ε·|L| each, divided by 2h.
      double rounding = 64 * 2.2e-16 * std::max(std::fabs(plus), std::fabs(minus)) / h;
      if (std::fabs(compiled - numeric) <= kGradientTolerance * scale + rounding) matched = true;
      absl::StrAppend(&detail, " h=", h, ": ", numeric);
    }
    if (!finite) {
      ++verdict.skipped;
      continue;
    }
    ++verdict.checked;
    if (!matched && verdict.failure.empty()) {
      verdict.failure = absl::StrCat("parameter p", p, " element ", e, ": compiler ", compiled,
                                     ", finite differences", detail, "\n", gradient_program);
    }
  }
  return verdict;
}

std::string CheckFormat(const std::string& text, const std::string& scratch) {
  syntax::SourceManager sources;
  syntax::DiagnosticEngine diagnostics;
  syntax::Program program =
      syntax::Parse(sources, sources.AddBuffer(kProgramName, text), diagnostics);
  if (diagnostics.has_errors()) return "the program does not parse";
  std::string formatted = syntax::Format(program, sources);
  syntax::SourceManager sources2;
  syntax::DiagnosticEngine diagnostics2;
  syntax::Program reparsed =
      syntax::Parse(sources2, sources2.AddBuffer(kProgramName, formatted), diagnostics2);
  if (diagnostics2.has_errors()) return "the formatted program does not parse:\n" + formatted;
  if (syntax::DumpAst(reparsed) != syntax::DumpAst(program)) {
    return "formatting changed the AST:\n" + formatted;
  }
  if (syntax::Format(reparsed, sources2) != formatted) {
    return "formatting is not idempotent:\n" + formatted;
  }
  OracleOptions options;
  options.scratch = scratch;
  options.executors = {Executor::kInterpreter};
  Verdict original = RunDifferential(text, options);
  Verdict after = RunDifferential(formatted, options);
  if (original.compiled != after.compiled) return "formatting changed whether it compiles";
  if (!original.compiled) return "";
  const Outcome& a = original.outcomes[0];
  const Outcome& b = after.outcomes[0];
  if (a.code != b.code || a.out != b.out || a.files != b.files) {
    return "the formatted program behaves differently: " + Difference(a, b) + formatted;
  }
  // Diagnostics carry line:column, which formatting may move; same text when nothing moved.
  if (formatted == text && a.err != b.err) return "stderr differs after formatting";
  return "";
}

namespace {

int BraceBalance(const std::string& line) {
  int balance = 0;
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++balance;
    } else if (c == '}') {
      --balance;
    }
  }
  return balance;
}

// The line that closes the block opened on line `start`, or -1.
int BlockEnd(const std::vector<std::string>& lines, size_t start) {
  int depth = 0;
  for (size_t i = start; i < lines.size(); ++i) {
    depth += BraceBalance(lines[i]);
    if (depth == 0 && i > start) return static_cast<int>(i);
    if (depth <= 0 && i == start) return -1;
  }
  return -1;
}

// `i = i + 1;`: a while loop's step, which the reducer keeps so that loops still end.
bool IsLoopStep(const std::string& line) {
  absl::string_view text = absl::StripAsciiWhitespace(line);
  size_t eq = text.find(" = ");
  if (eq == absl::string_view::npos) return false;
  absl::string_view name = text.substr(0, eq);
  return text == absl::StrCat(name, " = ", name, " + 1;");
}

std::string Join(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) absl::StrAppend(&text, line, "\n");
  return text;
}

}  // namespace

std::string Reduce(const std::string& text,
                   const std::function<bool(const std::string&)>& still_fails, int max_attempts) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  int attempts = 0;
  bool progress = true;
  while (progress && attempts < max_attempts) {
    progress = false;
    // Whole blocks and single statements, from the end (later code depends on earlier).
    for (size_t i = lines.size(); i-- > 0 && attempts < max_attempts;) {
      if (i >= lines.size()) continue;
      const std::string& line = lines[i];
      if (line.rfind("fn main()", 0) == 0) continue;
      int balance = BraceBalance(line);
      std::vector<std::vector<std::string>> candidates;
      if (balance > 0 && line.find('}') == std::string::npos) {
        int end = BlockEnd(lines, i);
        if (end < 0) continue;
        std::vector<std::string> removed = lines;
        removed.erase(removed.begin() + i, removed.begin() + end + 1);
        candidates.push_back(removed);
        // The block's body without its header (an if/while/batch unwrapped).
        bool has_else = false;
        for (int k = static_cast<int>(i) + 1; k < end; ++k) {
          has_else |= lines[k].find("} else") != std::string::npos;
        }
        if (!has_else && line.rfind("fn ", 0) != 0) {
          std::vector<std::string> unwrapped = lines;
          unwrapped.erase(unwrapped.begin() + end);
          unwrapped.erase(unwrapped.begin() + i);
          candidates.push_back(unwrapped);
        }
      } else if (balance == 0 && line.find('{') == std::string::npos &&
                 line.find('}') == std::string::npos && !IsLoopStep(line)) {
        std::vector<std::string> removed = lines;
        removed.erase(removed.begin() + i);
        candidates.push_back(removed);
      }
      for (const std::vector<std::string>& candidate : candidates) {
        ++attempts;
        if (still_fails(Join(candidate))) {
          lines = candidate;
          progress = true;
          break;
        }
      }
    }
  }
  return Join(lines);
}

}  // namespace noma::fuzz
