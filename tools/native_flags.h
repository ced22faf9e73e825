#ifndef NOMA_TOOLS_NATIVE_FLAGS_H_
#define NOMA_TOOLS_NATIVE_FLAGS_H_

#include <string>
#include <vector>

#include "noma/codegen/codegen.h"

namespace noma::tools {

// Code generation flags shared by `compile`, `fast-run` and `build-exe`:
//   -O0 .. -O3, --fast-math, --target-cpu CPU
// Returns true when args[*i] was one of them (consuming its value); sets `error` on a bad one.
bool ParseCodegenFlag(const std::vector<std::string>& args, size_t* i, codegen::Options* options,
                      std::string* error);

// The help text for those flags.
extern const char kCodegenFlagsHelp[];

// The program options (--seed, --check-nan, --max-alloc) as the runtime parses them, so that
// `noma run`, `noma fast-run` and executables accept and reject exactly the same arguments.
extern const char kProgramOptionsHelp[];

// The input file of a command: returns "" after taking `arg` as the file, or the usage error
// ("unknown option '-x'", "more than one input file").
std::string TakeInputFile(const std::string& arg, std::string* file);

// Collects args[*i] (and the value of --seed / --max-alloc) for noma_p_parse_options.
void TakeProgramArg(const std::vector<std::string>& args, size_t* i,
                    std::vector<const char*>* program_args);

// Where `build-exe` finds the static program runtime: $NOMA_PROGRAM_ARCHIVE, else beside this
// binary in its Bazel runfiles, else ../lib/noma/ next to it (an installed layout). "" if none.
std::string FindProgramArchive();

}  // namespace noma::tools

#endif  // NOMA_TOOLS_NATIVE_FLAGS_H_
