#ifndef NOMA_TOOLS_COMMANDS_H_
#define NOMA_TOOLS_COMMANDS_H_

#include <string>
#include <vector>

namespace noma::tools {

// One function per `noma` subcommand (one file each: cmd_<name>.cc). `args` excludes the
// command name. Each returns the process exit code: 0 ok, 1 compile/run-time error, 2 usage.
int RunCommand(const std::vector<std::string>& args);       // noma run
int CheckCommand(const std::vector<std::string>& args);     // noma check
int FmtCommand(const std::vector<std::string>& args);       // noma fmt
int VersionCommand(const std::vector<std::string>& args);   // noma version
int FastRunCommand(const std::vector<std::string>& args);   // noma fast-run
int BuildExeCommand(const std::vector<std::string>& args);  // noma build-exe
int CompileCommand(const std::vector<std::string>& args);   // noma compile
int LspCommand(const std::vector<std::string>& args);       // noma lsp

}  // namespace noma::tools

#endif  // NOMA_TOOLS_COMMANDS_H_
