// noma lsp: the language server for editors, over stdin/stdout.
#include <iostream>
#include <string>
#include <vector>

#include "noma/lsp/server.h"
#include "tools/commands.h"

namespace noma::tools {

int LspCommand(const std::vector<std::string>& args) {
  constexpr char kUsage[] =
      "usage: noma lsp [--stdio]\n"
      "\n"
      "Runs the NOMA language server (Language Server Protocol 3.17) on stdin and stdout, for\n"
      "editors (editors/vscode). It reports the errors and warnings of `noma check` while you\n"
      "type, formats like `noma fmt`, and answers hover (a variable's kind, inferred shape and\n"
      "where it is set; a builtin's signature), go to definition, document symbols and\n"
      "completion. Exit status 0 after the client's shutdown and exit, 1 otherwise.\n"
      "\n"
      "options:\n"
      "  --stdio   accepted for editors that pass it; stdio is the only transport\n";
  for (const std::string& arg : args) {
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg != "--stdio") {
      std::cerr << "noma lsp: error: unexpected argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  // Binary-safe, unsynchronised streams: the protocol counts bytes.
  std::cin.tie(nullptr);
  return lsp::Serve(std::cin, std::cout);
}

}  // namespace noma::tools
