#include "noma/syntax/internal/char_class.h"

#include "absl/strings/str_format.h"

namespace noma::syntax::internal {

size_t Utf8SequenceLength(absl::string_view text) {
  if (text.empty()) return 0;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  size_t length = 0;
  if (lead < 0x80) {
    length = 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
  }
  if (length == 0 || length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  // Reject overlong forms, surrogates and code points above U+10FFFF.
  if (lead == 0xE0 && byte(1) < 0xA0) return 0;
  if (lead == 0xED && byte(1) > 0x9F) return 0;
  if (lead == 0xF0 && byte(1) < 0x90) return 0;
  if (lead == 0xF4 && byte(1) > 0x8F) return 0;
  return length;
}

std::string QuoteForMessage(absl::string_view text) {
  constexpr size_t kMaxShown = 40;
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (i >= kMaxShown) {
      out += "...";
      break;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t length = c >= 0x80 ? Utf8SequenceLength(text.substr(i)) : 0;
    if (length > 0) {
      out.append(text.data() + i, length);
      i += length;
    } else {
      out += absl::StrFormat("\\x%02X", c);
      ++i;
    }
  }
  return out;
}

}  // namespace noma::syntax::internal
