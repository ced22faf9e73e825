// The `noma` command-line tool: dispatches to one function per subcommand. The commands that
// need LLVM (fast-run, build-exe, compile: code generation; lsp: LLVM's JSON) run in
// `noma-codegen`, which this process becomes (exec): so `run`, `check` and `fmt` start without
// loading LLVM.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tools/paths.h"

namespace {

constexpr char kUsage[] =
    "usage: noma <command> [options] FILE\n"
    "\n"
    "commands:\n"
    "  run FILE [--seed N]      run a program with the interpreter (training included)\n"
    "  fast-run FILE            compile a program with the LLVM JIT and run it natively\n"
    "  build-exe FILE [-o OUT]  compile a program into a standalone executable\n"
    "  compile FILE [-o OUT]    write a program's LLVM IR, assembly or object file\n"
    "  check FILE               parse and check a program; exit 0 if it is valid\n"
    "  fmt FILE [--write]       print the program canonically formatted\n"
    "  lsp                      the language server for editors (stdin/stdout)\n"
    "  version                  print the version of every compiler stage\n"
    "\n"
    "Run 'noma <command> --help' for a command's options.\n";

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&);
};

constexpr Command kCommands[] = {
    {"run", noma::tools::RunCommand},
    {"check", noma::tools::CheckCommand},
    {"fmt", noma::tools::FmtCommand},
    {"version", noma::tools::VersionCommand},
};

// Commands of noma-codegen (codegen_main.cc).
constexpr const char* kCodegenCommands[] = {"fast-run", "build-exe", "compile", "lsp"};

// Replaces this process with noma-codegen, given the same arguments; returns only on failure.
int RunCodegen(char** argv) {
  std::string path = noma::tools::FindCompanion("tools/", "noma-codegen");
  if (path.empty()) {
    std::cerr << "noma: error: cannot find noma-codegen, the code generator, beside noma\n";
    return 1;
  }
  argv[0] = path.data();
  execv(path.c_str(), argv);
  std::cerr << "noma: error: cannot run '" << path << "': " << std::strerror(errno) << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (name == "--version") name = "version";
  for (const char* codegen : kCodegenCommands) {
    if (name == codegen) return RunCodegen(argv);
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const Command& command : kCommands) {
    if (name == command.name) return command.run(args);
  }
  std::cerr << "noma: error: unknown command '" << name << "'\n\n" << kUsage;
  return 2;
}
