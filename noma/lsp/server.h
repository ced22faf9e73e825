#ifndef NOMA_LSP_SERVER_H_
#define NOMA_LSP_SERVER_H_

// The NOMA language server (LSP 3.17 over JSON-RPC): full text sync, diagnostics from the
// compiler's front end, formatting, hover, definition, document symbols and completion.
// Single-threaded: every message is handled to the end before the next is read.

#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "noma/lsp/document.h"

namespace noma::lsp {

// JSON-RPC and LSP error codes.
enum ErrorCode {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kServerNotInitialized = -32002,
  kRequestFailed = -32803,
};

class Server {
 public:
  // Handles the JSON text of one message; returns the messages to send (responses and
  // notifications, as JSON text) in order. Never fails: bad input gives error responses.
  std::vector<std::string> Handle(absl::string_view message);
  // An error response with a null id, for frames that could not be read (transport.h).
  static std::string FrameError(int code, absl::string_view message);

  bool exited() const { return exited_; }
  // After `exit`: 0 if `shutdown` came first, else 1 (the protocol's rule).
  int exit_code() const { return shutdown_ ? 0 : 1; }
  size_t open_documents() const { return documents_.size(); }

 private:
  struct Context;
  void Dispatch(Context& context);

  bool initialized_ = false;
  bool shutdown_ = false;
  bool exited_ = false;
  absl::flat_hash_map<std::string, std::unique_ptr<Document>> documents_;
};

// Serves one client: reads frames from `in` and writes to `out` until `exit` or the end of
// input. Returns the process exit code (Server::exit_code, or 1 at end of input).
int Serve(std::istream& in, std::ostream& out);

}  // namespace noma::lsp

#endif  // NOMA_LSP_SERVER_H_
