#ifndef FUZZ_GEN_ORACLE_H_
#define FUZZ_GEN_ORACLE_H_
// The oracles of random-program testing (docs/testing.md, "Random programs"):
// - differential: a program runs under every executor and all must agree byte for byte
//   (stdout, stderr, exit status, the files it wrote);
// - gradient: the compiler's gradient of a generated loss against central finite differences;
// - format: `noma fmt` is idempotent and the formatted program behaves identically.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fuzz/gen/generator.h"

namespace noma::fuzz {

// How one run of a program ended.
struct Outcome {
  int code = 0;
  std::string out;
  std::string err;
  std::map<std::string, std::string> files;  // Written to the working directory.
};

// The executors; each runs the program in its own fresh working directory.
enum class Executor { kInterpreter, kJit, kJitO0, kSimulatedGpu, kExecutable };
const char* ExecutorName(Executor executor);

struct OracleOptions {
  std::string scratch = "/tmp/noma_gen";  // Working directories go below it.
  std::vector<Executor> executors = {Executor::kInterpreter, Executor::kJit,
                                     Executor::kSimulatedGpu};
  // For Executor::kExecutable: the `noma` CLI (build-exe) used through a shell.
  std::string noma_binary;
};

// The differential verdict on one program.
struct Verdict {
  bool compiled = false;          // The front end accepted the program (else nothing ran).
  std::string diagnostics;        // The front end's messages when it did not.
  bool agree = true;              // Every executor gave the first one's outcome.
  std::string disagreement;       // Which executors differ, and how.
  std::vector<Outcome> outcomes;  // One per executor, in OracleOptions order.
};

Verdict RunDifferential(const std::string& text, const OracleOptions& options);

// The gradient verdict on one case: `checked` gradient entries compared, `skipped` ones at
// points where the loss is not finite; `failure` describes the first mismatch.
struct GradientVerdict {
  bool compiled = false;
  int checked = 0;
  int skipped = 0;
  std::string failure;  // Empty when every entry matched.
};

// Relative tolerance of the comparison (documented in docs/testing.md). Central differences
// with h = 1e-6·max(1, |w|) have an error of O(h²·f''') plus O(ε·|L|/h); an entry passes if it
// matches within `kGradientTolerance` relative (to max(1, |g|)), plus the loss's own rounding
// 64·ε·|L|/h, at h, h/10 or h·10.
constexpr double kGradientTolerance = 1e-4;

GradientVerdict CheckGradient(const GradientCase& c);

// `noma fmt` of the program: idempotent, the same AST, and (run with the interpreter) the
// same stdout and exit status. Returns an empty string or what went wrong.
std::string CheckFormat(const std::string& text, const std::string& scratch);

// Shrinks a failing program: deletes statements and blocks while `still_fails` holds.
// `still_fails(text)` is called with candidate programs; the result is the smallest found.
std::string Reduce(const std::string& text,
                   const std::function<bool(const std::string&)>& still_fails,
                   int max_attempts = 2000);

}  // namespace noma::fuzz

#endif  // FUZZ_GEN_ORACLE_H_
