#include "noma/lsp/transport.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace noma::lsp {
namespace {

constexpr size_t kMaxHeaderLine = 4096;
constexpr int kMaxHeaderLines = 64;

// Reads a line without its terminator, keeping at most kMaxHeaderLine bytes. False at end of
// input before any byte.
bool ReadHeaderLine(std::istream& in, std::string* line) {
  line->clear();
  bool any = false;
  for (int c = in.get(); c != std::char_traits<char>::eof(); c = in.get()) {
    any = true;
    if (c == '\n') break;
    if (line->size() < kMaxHeaderLine) line->push_back(static_cast<char>(c));
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return any;
}

}  // namespace

ReadResult ReadMessage(std::istream& in, std::string* body, std::string* error) {
  std::string line;
  bool have_length = false;
  bool bad_length = false;
  uint64_t length = 0;
  int lines = 0;
  // Skip blank lines between frames (some clients send a stray "\r\n").
  do {
    if (!ReadHeaderLine(in, &line)) return ReadResult::kEnd;
  } while (line.empty());
  do {
    if (++lines > kMaxHeaderLines) {
      *error = "too many header lines";
      return ReadResult::kBadFrame;
    }
    size_t colon = line.find(':');
    if (colon != std::string::npos &&
        absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(line.substr(0, colon)),
                               "Content-Length")) {
      have_length = absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(colon + 1)), &length);
      bad_length = !have_length;
    }
    if (!ReadHeaderLine(in, &line)) return ReadResult::kEnd;
  } while (!line.empty());
  if (!have_length) {
    *error = bad_length ? "the Content-Length header is not a number"
                        : "the message has no Content-Length header";
    return ReadResult::kBadFrame;
  }
  if (length > kMaxMessageBytes) {
    in.ignore(static_cast<std::streamsize>(length));
    if (static_cast<uint64_t>(in.gcount()) < length) return ReadResult::kEnd;
    *error = absl::StrCat("message of ", length, " bytes is over the limit of ", kMaxMessageBytes,
                          " bytes");
    return ReadResult::kTooLarge;
  }
  body->resize(length);
  in.read(body->data(), static_cast<std::streamsize>(length));
  if (static_cast<uint64_t>(in.gcount()) < length) return ReadResult::kEnd;
  return ReadResult::kMessage;
}

void WriteMessage(std::ostream& out, absl::string_view body) {
  out << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  out.flush();
}

}  // namespace noma::lsp
