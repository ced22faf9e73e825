// noma_filecheck: checks a program run against the expectations in the program's comments.
//   noma_filecheck --program P.noma --stdout OUT --stderr ERR --exit-code N
//   noma_filecheck --print-args P.noma | --print-modes P.noma
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "tools/filecheck/filecheck.h"

namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

int Usage() {
  std::cerr << "usage: noma_filecheck --program P.noma --stdout OUT --stderr ERR --exit-code N\n"
               "       noma_filecheck --print-args P.noma | --print-modes P.noma\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string program_path, stdout_path, stderr_path, print_what;
  int exit_code = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string value = argv[++i];
    if (arg == "--program") {
      program_path = value;
    } else if (arg == "--stdout") {
      stdout_path = value;
    } else if (arg == "--stderr") {
      stderr_path = value;
    } else if (arg == "--exit-code") {
      if (!absl::SimpleAtoi(value, &exit_code)) return Usage();
    } else if (arg == "--print-args" || arg == "--print-modes") {
      print_what = arg;
      program_path = value;
    } else {
      return Usage();
    }
  }
  std::string program;
  if (program_path.empty() || !ReadFile(program_path, &program)) {
    std::cerr << "noma_filecheck: cannot read program '" << program_path << "'\n";
    return 2;
  }
  noma::filecheck::Expectations expected = noma::filecheck::ParseExpectations(program);
  if (print_what == "--print-args") {
    std::cout << expected.args << "\n";
    return 0;
  }
  if (print_what == "--print-modes") {
    std::cout << absl::StrJoin(expected.modes, " ") << "\n";
    return 0;
  }
  std::string out, err;
  if (!ReadFile(stdout_path, &out) || !ReadFile(stderr_path, &err)) {
    std::cerr << "noma_filecheck: cannot read the captured output\n";
    return 2;
  }
  std::string report = noma::filecheck::Check(expected, out, err, exit_code);
  if (!report.empty()) {
    std::cerr << program_path << ": mismatch\n" << report;
    return 1;
  }
  return 0;
}
