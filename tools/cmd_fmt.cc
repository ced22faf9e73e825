// noma fmt: print a program in canonical form. Built on noma/syntax alone, so it also links
// into the standalone noma-fmt tool (fmt_main.cc).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "noma/syntax/formatter.h"
#include "noma/syntax/parser.h"
#include "tools/commands.h"
#include "tools/paths.h"

namespace noma::tools {
namespace {

constexpr char kUsage[] =
    "usage: noma fmt FILE [--write]\n"
    "\n"
    "Prints FILE in canonical form: 4-space indentation, one statement per line, spaces around\n"
    "binary operators, only the parentheses the meaning needs, comments kept in place.\n"
    "\n"
    "  --write, -w   replace FILE with the formatted program instead of printing it\n"
    "  --help, -h    show this message\n"
    "\n"
    "A file with syntax errors is reported (exit status 1) and never rewritten.\n";

// Writes `text` to a new file next to `path`, then renames it over `path`, so that a failure
// (disk full, killed process) never leaves half a program behind. Keeps the file's permissions.
bool WriteAtomically(const std::string& path, const std::string& text, std::string* error) {
  std::string temp = path + ".fmt-XXXXXX";
  int fd = mkstemp(temp.data());
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  struct stat original;
  if (stat(path.c_str(), &original) == 0) fchmod(fd, original.st_mode & 07777);
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  bool ok = written == text.size();
  if (!ok) *error = std::strerror(errno);
  if (fsync(fd) != 0 && ok) {
    *error = std::strerror(errno);
    ok = false;
  }
  if (close(fd) != 0 && ok) {
    *error = std::strerror(errno);
    ok = false;
  }
  if (ok && std::rename(temp.c_str(), path.c_str()) != 0) {
    *error = std::strerror(errno);
    ok = false;
  }
  if (!ok) std::remove(temp.c_str());
  return ok;
}

}  // namespace

int FmtCommand(const std::vector<std::string>& args) {
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
  const std::string path = ResolveUserPath(file);
  syntax::SourceManager sources;
  syntax::DiagnosticEngine diagnostics;
  absl::StatusOr<syntax::Program> program = syntax::ParseFile(sources, path, file, diagnostics);
  if (!program.ok()) {
    std::cerr << "noma fmt: error: " << program.status().message() << "\n";
    return 1;
  }
  std::cerr << diagnostics.Render(sources);
  if (diagnostics.has_errors()) return 1;
  std::string formatted = syntax::Format(*program, sources);
  if (!write) {
    std::cout << formatted;
    return std::cout.good() ? 0 : 1;
  }
  if (formatted == sources.contents(program->file)) return 0;  // Already canonical.
  std::string error;
  if (!WriteAtomically(path, formatted, &error)) {
    std::cerr << "noma fmt: error: cannot write '" << file << "': " << error << "\n";
    return 1;
  }
  return 0;
}

}  // namespace noma::tools
