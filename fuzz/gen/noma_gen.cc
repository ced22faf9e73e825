// noma_gen: random-program campaigns (docs/testing.md, "Random programs").
//
//   noma_gen --print --seed N              print the program of seed N
//   noma_gen --seed N --count K [options]  run K programs (seeds N .. N+K-1) through the oracles
//
// options:
//   --mode=diff|grad|fmt|all  which oracles (default all: differential, gradient and format)
//   --seed=time               a seed from the clock (printed, to reproduce a failure)
//   --exe-every=M             also build-exe every M-th program (needs --noma)
//   --noma=PATH               the noma CLI for build-exe
//   --O0                      also run the JIT at -O0
//   --no-gpu                  leave out the simulated GPU
//   --scratch=DIR             working directories (default $TEST_TMPDIR or /tmp, + /noma_gen)
//   --reduce                  shrink a failing program before reporting it
//   --keep-going              count failures instead of stopping at the first
//   --progress=N              a status line every N programs
// Exit status: 0 when every oracle agreed, 1 on a finding, 2 on wrong usage.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "fuzz/gen/generator.h"
#include "fuzz/gen/oracle.h"

namespace {

struct Flags {
  uint64_t seed = 1;
  int64_t count = 1;
  bool print = false;
  bool diff = true, grad = true, fmt = true;
  int64_t exe_every = 0;
  std::string noma;
  bool o0 = false;
  bool gpu = true;
  std::string scratch;
  bool reduce = false;
  bool keep_going = false;
  int64_t progress = 0;
};

int Usage(const std::string& message) {
  std::cerr << "noma_gen: error: " << message << " (see the comment at the top of noma_gen.cc)\n";
  return 2;
}

bool ParseFlags(int argc, char** argv, Flags* flags, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if ((arg == "--seed" || arg == "--count" || arg == "--mode" || arg == "--noma" ||
                arg == "--exe-every" || arg == "--scratch" || arg == "--progress") &&
               i + 1 < argc) {
      value = argv[++i];
    }
    auto number = [&](int64_t* out) {
      if (!absl::SimpleAtoi(value, out) || *out < 0) {
        *error = arg + " needs a non-negative number";
        return false;
      }
      return true;
    };
    if (arg == "--seed") {
      if (value == "time") {
        flags->seed = static_cast<uint64_t>(
            std::chrono::system_clock::now().time_since_epoch().count() % 1000000007);
      } else if (!absl::SimpleAtoi(value, &flags->seed)) {
        *error = "--seed needs a number or 'time'";
        return false;
      }
    } else if (arg == "--count") {
      if (!number(&flags->count)) return false;
    } else if (arg == "--print") {
      flags->print = true;
    } else if (arg == "--mode") {
      flags->diff = value == "diff" || value == "all";
      flags->grad = value == "grad" || value == "all";
      flags->fmt = value == "fmt" || value == "all";
      if (!flags->diff && !flags->grad && !flags->fmt) {
        *error = "--mode is diff, grad, fmt or all";
        return false;
      }
    } else if (arg == "--exe-every") {
      if (!number(&flags->exe_every)) return false;
    } else if (arg == "--noma") {
      flags->noma = std::filesystem::absolute(value).string();  // Runs in other directories.
    } else if (arg == "--O0") {
      flags->o0 = true;
    } else if (arg == "--no-gpu") {
      flags->gpu = false;
    } else if (arg == "--scratch") {
      flags->scratch = value;
    } else if (arg == "--reduce") {
      flags->reduce = true;
    } else if (arg == "--keep-going") {
      flags->keep_going = true;
    } else if (arg == "--progress") {
      if (!number(&flags->progress)) return false;
    } else {
      *error = "unknown flag '" + std::string(argv[i]) + "'";
      return false;
    }
  }
  if (flags->exe_every > 0 && flags->noma.empty()) {
    *error = "--exe-every needs --noma";
    return false;
  }
  return true;
}

// What kind of gradient failure this is, so a reduction keeps the same one: the error
// message without its location, or "mismatch".
std::string FailureKind(const std::string& failure) {
  if (failure.empty()) return "";
  size_t error = failure.find("error: ");
  if (error == std::string::npos) return "mismatch";
  return failure.substr(error, failure.find('\n', error) - error);
}

struct Totals {
  int64_t programs = 0, compiled = 0, executions = 0, disagreements = 0;
  int64_t gradient_cases = 0, gradient_entries = 0, gradient_skipped = 0, gradient_failures = 0;
  int64_t formatted = 0, format_failures = 0, not_compiled = 0, executables = 0;
  int64_t proven_errors = 0;  // Deliberate run-time errors the compiler rejects already.
};

}  // namespace

int main(int argc, char** argv) {
  using noma::fuzz::Executor;
  Flags flags;
  std::string error;
  if (!ParseFlags(argc, argv, &flags, &error)) return Usage(error);
  if (flags.print) {
    std::cout << noma::fuzz::GenerateProgram(flags.seed);
    return 0;
  }
  if (flags.scratch.empty()) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    flags.scratch = std::string(tmp != nullptr ? tmp : "/tmp") + "/noma_gen";
  }
  std::cout << "noma_gen: seeds " << flags.seed << " .. " << flags.seed + flags.count - 1
            << " (reproduce one with: noma_gen --print --seed N)" << std::endl;

  Totals totals;
  auto report_failure = [&](const std::string& kind, uint64_t seed, const std::string& what) {
    std::cout << "noma_gen: FINDING (" << kind << ") at seed " << seed << ":\n" << what << "\n";
  };
  for (int64_t n = 0; n < flags.count; ++n) {
    uint64_t seed = flags.seed + static_cast<uint64_t>(n);
    bool failed = false;
    if (flags.diff) {
      std::string text = noma::fuzz::GenerateProgram(seed);
      noma::fuzz::OracleOptions options;
      options.scratch = flags.scratch;
      options.executors = {Executor::kInterpreter, Executor::kJit};
      if (flags.o0) options.executors.push_back(Executor::kJitO0);
      if (flags.gpu) options.executors.push_back(Executor::kSimulatedGpu);
      if (flags.exe_every > 0 && n % flags.exe_every == 0) {
        options.executors.push_back(Executor::kExecutable);
        options.noma_binary = flags.noma;
        ++totals.executables;
      }
      noma::fuzz::Verdict verdict = noma::fuzz::RunDifferential(text, options);
      ++totals.programs;
      if (!verdict.compiled && absl::StrContains(text, " bad = ")) {
        // A deliberate error (Generator::RuntimeError) that the static shape check proves
        // before the program runs: all executors share that verdict.
        ++totals.proven_errors;
      } else if (!verdict.compiled) {
        // The generator makes valid programs: a rejected one is a generator or compiler bug.
        ++totals.not_compiled;
        failed = true;
        report_failure("does not compile", seed, verdict.diagnostics + "\n" + text);
      } else {
        ++totals.compiled;
        totals.executions += static_cast<int64_t>(verdict.outcomes.size());
        if (!verdict.agree) {
          ++totals.disagreements;
          failed = true;
          std::string reduced;
          if (flags.reduce) {
            reduced = noma::fuzz::Reduce(text, [&](const std::string& candidate) {
              noma::fuzz::Verdict v = noma::fuzz::RunDifferential(candidate, options);
              return v.compiled && !v.agree;
            });
            reduced = "reduced:\n" + reduced;
          }
          report_failure("executors disagree", seed,
                         verdict.disagreement + "program:\n" + text + reduced);
        }
      }
      if (flags.fmt) {
        std::string problem = noma::fuzz::CheckFormat(text, flags.scratch + "/fmt");
        ++totals.formatted;
        if (!problem.empty()) {
          ++totals.format_failures;
          failed = true;
          report_failure("fmt", seed, problem + "\nprogram:\n" + text);
        }
      }
    }
    if (flags.grad) {
      noma::fuzz::GradientCase c = noma::fuzz::GenerateGradientCase(seed);
      noma::fuzz::GradientVerdict verdict = noma::fuzz::CheckGradient(c);
      ++totals.gradient_cases;
      totals.gradient_entries += verdict.checked;
      totals.gradient_skipped += verdict.skipped;
      if (!verdict.failure.empty()) {
        ++totals.gradient_failures;
        failed = true;
        std::string reduced;
        if (flags.reduce) {
          std::string kind = FailureKind(verdict.failure);
          noma::fuzz::GradientCase smaller = c;
          smaller.functions = noma::fuzz::Reduce(c.functions, [&](const std::string& candidate) {
            noma::fuzz::GradientCase attempt = c;
            attempt.functions = candidate;
            return FailureKind(noma::fuzz::CheckGradient(attempt).failure) == kind;
          });
          reduced = "reduced:\n" + smaller.GradientProgram();
        }
        report_failure("gradient", seed, verdict.failure + reduced);
      }
    }
    if (flags.progress > 0 && (n + 1) % flags.progress == 0) {
      std::cout << "noma_gen: " << n + 1 << " done, " << totals.disagreements << " disagreements, "
                << totals.gradient_failures << " gradient failures" << std::endl;
    }
    if (failed && !flags.keep_going) break;
  }
  std::cout << "noma_gen: " << totals.programs << " programs (" << totals.compiled << " compiled, "
            << totals.executions << " executions, " << totals.executables << " with build-exe), "
            << totals.disagreements << " disagreements, " << totals.not_compiled
            << " rejected by the compiler; " << totals.formatted << " fmt checks, "
            << totals.format_failures << " failed; " << totals.gradient_cases << " gradient cases ("
            << totals.gradient_entries << " entries checked, " << totals.gradient_skipped
            << " at non-finite points), " << totals.gradient_failures << " failed" << std::endl;
  bool clean = totals.disagreements == 0 && totals.not_compiled == 0 &&
               totals.format_failures == 0 && totals.gradient_failures == 0;
  return clean ? 0 : 1;
}
