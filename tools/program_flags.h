#ifndef NOMA_TOOLS_PROGRAM_FLAGS_H_
#define NOMA_TOOLS_PROGRAM_FLAGS_H_

// Arguments shared by every command that runs a program (`run`, `fast-run`, `build-exe`);
// no LLVM, so the interpreter's commands link it too.

#include <string>
#include <vector>

namespace noma::tools {

// The program options (--seed, --check-nan, --max-alloc, --threads) as the runtime parses them, so
// that `noma run`, `noma fast-run` and executables accept and reject exactly the same arguments.
extern const char kProgramOptionsHelp[];

// The input file of a command: returns "" after taking `arg` as the file, or the usage error
// ("unknown option '-x'", "more than one input file").
std::string TakeInputFile(const std::string& arg, std::string* file);

// Collects args[*i] (and the value of --seed / --max-alloc / --threads / --metrics) for
// noma_p_parse_options.
void TakeProgramArg(const std::vector<std::string>& args, size_t* i,
                    std::vector<const char*>* program_args);

}  // namespace noma::tools

#endif  // NOMA_TOOLS_PROGRAM_FLAGS_H_
