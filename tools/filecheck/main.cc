// noma_filecheck: checks one run of a .noma program against the expectations written in the
// program's comments (docs/testing.md).
//
//   noma_filecheck --program P.noma --stdout OUT --stderr ERR --exit-code N
//       exit 0 when the run matches, 1 with a report on stderr when it does not
//   noma_filecheck --print-args P.noma     prints the ARGS directive ("" if none)
//   noma_filecheck --print-modes P.noma    prints the MODES directive ("" = every mode)
//
// Exit status 2: wrong usage, an unreadable file, or broken directives in the program.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "tools/filecheck/filecheck.h"

namespace {

constexpr char kUsage[] =
    "usage: noma_filecheck --program P.noma --stdout OUT --stderr ERR --exit-code N\n"
    "       noma_filecheck --print-args P.noma\n"
    "       noma_filecheck --print-modes P.noma\n"
    "Checks a run of P.noma against its // CHECK:, // CHECK-ERR:, // EXIT: directives\n"
    "(docs/testing.md). Exit status: 0 match, 1 mismatch, 2 usage or broken directives.\n";

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return !in.bad();
}

int Usage(const std::string& why) {
  if (!why.empty()) std::cerr << "noma_filecheck: " << why << "\n";
  std::cerr << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string program_path, stdout_path, stderr_path, print_what;
  bool have_exit_code = false;
  int exit_code = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc) return Usage("missing value after " + arg);
    std::string value = argv[++i];
    if (arg == "--program") {
      program_path = value;
    } else if (arg == "--stdout") {
      stdout_path = value;
    } else if (arg == "--stderr") {
      stderr_path = value;
    } else if (arg == "--exit-code") {
      if (!absl::SimpleAtoi(value, &exit_code)) return Usage("bad exit code '" + value + "'");
      have_exit_code = true;
    } else if (arg == "--print-args" || arg == "--print-modes") {
      if (!print_what.empty()) return Usage("only one of --print-args, --print-modes");
      print_what = arg;
      program_path = value;
    } else {
      return Usage("unknown option " + arg);
    }
  }
  if (program_path.empty()) return Usage("no program given");
  std::string program;
  if (!ReadFile(program_path, &program)) {
    std::cerr << "noma_filecheck: cannot read '" << program_path << "'\n";
    return 2;
  }
  absl::StatusOr<noma::filecheck::Expectations> expected =
      noma::filecheck::ParseExpectations(program, program_path);
  if (!expected.ok()) {
    std::cerr << "noma_filecheck: " << expected.status().message() << "\n";
    return 2;
  }
  if (print_what == "--print-args") {
    std::cout << expected->args << "\n";
    return 0;
  }
  if (print_what == "--print-modes") {
    std::cout << absl::StrJoin(expected->modes, " ") << "\n";
    return 0;
  }
  if (stdout_path.empty() || stderr_path.empty() || !have_exit_code) {
    return Usage("--stdout, --stderr and --exit-code are required with --program");
  }
  std::string out, err;
  if (!ReadFile(stdout_path, &out) || !ReadFile(stderr_path, &err)) {
    std::cerr << "noma_filecheck: cannot read the captured output '" << stdout_path << "' / '"
              << stderr_path << "'\n";
    return 2;
  }
  std::string report = noma::filecheck::Check(*expected, out, err, exit_code);
  if (!report.empty()) {
    std::cerr << report;
    return 1;
  }
  return 0;
}
