#ifndef NOMA_LSP_TRANSPORT_H_
#define NOMA_LSP_TRANSPORT_H_

// The base protocol's framing: `Content-Length: N\r\n\r\n` then N bytes of JSON.

#include <cstddef>
#include <istream>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"

namespace noma::lsp {

// A frame larger than this is skipped (its bytes are read and dropped), never held in memory.
inline constexpr size_t kMaxMessageBytes = size_t{64} << 20;

enum class ReadResult {
  kMessage,   // `body` holds one message.
  kEnd,       // End of input (also in the middle of a frame).
  kBadFrame,  // The header had no valid Content-Length; `error` says why. Reading can go on.
  kTooLarge,  // Content-Length over kMaxMessageBytes; the body was skipped.
};

// Reads one frame. Header lines may end in "\r\n" or "\n"; overlong header lines are
// truncated rather than buffered.
ReadResult ReadMessage(std::istream& in, std::string* body, std::string* error);

// Writes one frame and flushes.
void WriteMessage(std::ostream& out, absl::string_view body);

}  // namespace noma::lsp

#endif  // NOMA_LSP_TRANSPORT_H_
