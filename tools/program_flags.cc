#include "tools/program_flags.h"

#include "noma/runtime/program.h"

namespace noma::tools {

const char kProgramOptionsHelp[] = NOMA_P_OPTIONS_HELP;

std::string TakeInputFile(const std::string& arg, std::string* file) {
  if (!arg.empty() && arg[0] == '-') return "unknown option '" + arg + "'";
  if (!file->empty()) return "more than one input file";
  *file = arg;
  return "";
}

void TakeProgramArg(const std::vector<std::string>& args, size_t* i,
                    std::vector<const char*>* program_args) {
  const std::string& arg = args[*i];
  program_args->push_back(arg.c_str());
  if ((arg == "--seed" || arg == "--max-alloc" || arg == "--threads" || arg == "--device" ||
       arg == "--metrics") &&
      *i + 1 < args.size()) {
    program_args->push_back(args[++*i].c_str());
  }
}

}  // namespace noma::tools
