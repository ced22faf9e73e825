#ifndef NOMA_SYNTAX_INTERNAL_CHAR_CLASS_H_
#define NOMA_SYNTAX_INTERNAL_CHAR_CLASS_H_

// Byte classification for the lexer: one table lookup per byte instead of chains of compares.

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace noma::syntax::internal {

enum CharClass : uint8_t {
  kIdentStartChar = 1 << 0,  // [A-Za-z_]
  kDigitChar = 1 << 1,       // [0-9]
  kSpaceChar = 1 << 2,       // ' ' \t \n \r (and \v \f, which editors sometimes leave behind)
};

constexpr std::array<uint8_t, 256> MakeCharClassTable() {
  std::array<uint8_t, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = kIdentStartChar;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = kIdentStartChar;
  table['_'] = kIdentStartChar;
  for (int c = '0'; c <= '9'; ++c) table[c] = kDigitChar;
  for (char c : {' ', '\t', '\n', '\r', '\v', '\f'})
    table[static_cast<unsigned char>(c)] = kSpaceChar;
  return table;
}

inline constexpr std::array<uint8_t, 256> kCharClass = MakeCharClassTable();

inline bool IsIdentStart(char c) {
  return kCharClass[static_cast<unsigned char>(c)] & kIdentStartChar;
}
inline bool IsIdentContinue(char c) {
  return kCharClass[static_cast<unsigned char>(c)] & (kIdentStartChar | kDigitChar);
}
inline bool IsDigit(char c) { return kCharClass[static_cast<unsigned char>(c)] & kDigitChar; }
inline bool IsSpace(char c) { return kCharClass[static_cast<unsigned char>(c)] & kSpaceChar; }

// Text safe to quote in a message: printable ASCII and well-formed UTF-8 stay as they are,
// other bytes become \xNN, and very long text is shortened, so diagnostics about arbitrary
// input never put control characters on the terminal.
std::string QuoteForMessage(absl::string_view text);

// Length of the well-formed UTF-8 sequence starting at text[0], or 0 if it is not one.
size_t Utf8SequenceLength(absl::string_view text);

}  // namespace noma::syntax::internal

#endif  // NOMA_SYNTAX_INTERNAL_CHAR_CLASS_H_
