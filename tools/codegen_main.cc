// `noma-codegen`: the commands of `noma` that need LLVM: fast-run, build-exe and compile
// (code generation) and lsp (LLVM's JSON). `noma` execs it with its own arguments (noma_main.cc);
// it lives beside `noma` (bazel-bin/tools, or lib/noma/ of an installed tree).
#include <iostream>
#include <string>
#include <vector>

#include "tools/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&);
};

constexpr Command kCommands[] = {
    {"fast-run", noma::tools::FastRunCommand},
    {"build-exe", noma::tools::BuildExeCommand},
    {"compile", noma::tools::CompileCommand},
    {"lsp", noma::tools::LspCommand},
};

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::string name = argc >= 2 ? argv[1] : "";
  std::vector<std::string> args(argv + (argc >= 2 ? 2 : argc), argv + argc);
  for (const Command& command : kCommands) {
    if (name == command.name) return command.run(args);
  }
  std::cerr << "noma-codegen: error: expected fast-run, build-exe, compile or lsp (run it through "
               "'noma')\n";
  return 2;
}
