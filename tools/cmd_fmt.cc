// noma fmt: print a program in canonical form (built on noma/syntax alone).
#include <iostream>
#include <string>

#include "noma/syntax/formatter.h"
#include "noma/syntax/parser.h"
#include "tools/commands.h"
#include "tools/paths.h"

namespace noma::tools {
namespace {

// Writes through a temporary file and a rename, so a failure never leaves half a program.
bool WriteAtomically(const std::string& path, const std::string& text) {
  std::string temp = path + ".noma-fmt.tmp";
  FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr) return false;
  bool ok = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  ok = std::fclose(file) == 0 && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return false;
  }
  return true;
}

}  // namespace

int FmtCommand(const std::vector<std::string>& args) {
  constexpr char kUsage[] =
      "usage: noma fmt FILE [--write]\n"
      "\n"
      "Prints FILE in canonical form (4-space indentation, one statement per line, comments\n"
      "kept). With --write, replaces FILE instead; a file with syntax errors is left as is.\n";
  std::string file;
  bool write = false;
  for (const std::string& arg : args) {
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--write" || arg == "-w") {
      write = true;
    } else if ((!arg.empty() && arg[0] == '-') || !file.empty()) {
      std::cerr << "noma fmt: error: unexpected argument '" << arg << "'\n" << kUsage;
      return 2;
    } else {
      file = arg;
    }
  }
  if (file.empty()) {
    std::cerr << "noma fmt: error: no input file\n" << kUsage;
    return 2;
  }
  syntax::SourceManager sources;
  syntax::DiagnosticEngine diagnostics;
  std::string path = ResolveUserPath(file);
  auto id = sources.AddFile(path, file);
  if (!id.ok()) {
    std::cerr << "error: " << id.status().message() << "\n";
    return 1;
  }
  syntax::Program program = syntax::Parse(sources, *id, diagnostics);
  std::cerr << diagnostics.Render(sources);
  if (diagnostics.has_errors()) return 1;
  std::string formatted = syntax::Format(program, sources);
  if (!write) {
    std::cout << formatted;
    return 0;
  }
  if (formatted == sources.contents(*id)) return 0;
  if (!WriteAtomically(path, formatted)) {
    std::cerr << "error: cannot write '" << file << "'\n";
    return 1;
  }
  return 0;
}

}  // namespace noma::tools
