// The small implementation of base.h (the runtime of standalone executables); the compiler's
// build of the runtime uses Abseil's and compiles nothing here.
#include "noma/runtime/base.h"

#ifndef NOMA_RUNTIME_ABSL

#include <cmath>
#include <cstdio>
#include <limits>

namespace noma::base {

AlphaNum::AlphaNum(long long v) {
  int n = std::snprintf(digits_, sizeof digits_, "%lld", v);
  piece_ = string_view(digits_, static_cast<size_t>(n));
}

AlphaNum::AlphaNum(unsigned long long v) {
  int n = std::snprintf(digits_, sizeof digits_, "%llu", v);
  piece_ = string_view(digits_, static_cast<size_t>(n));
}

AlphaNum::AlphaNum(double v) {
  if (std::isnan(v)) {
    piece_ = "nan";
    return;
  }
  int n = std::snprintf(digits_, sizeof digits_, "%g", v);
  piece_ = string_view(digits_, static_cast<size_t>(n));
}

std::string StrCatPieces(std::initializer_list<string_view> pieces) {
  std::string out;
  StrAppendPieces(&out, pieces);
  return out;
}

void StrAppendPieces(std::string* out, std::initializer_list<string_view> pieces) {
  size_t size = out->size();
  for (string_view piece : pieces) size += piece.size();
  out->reserve(size);
  for (string_view piece : pieces) out->append(piece.data(), piece.size());
}

bool StartsWith(string_view text, string_view prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Parses a decimal integer with an optional sign into its magnitude; false on anything else
// or when the magnitude exceeds `limit` (a negative number may reach `negative_limit`).
bool ParseDecimal(string_view text, uint64_t limit, uint64_t negative_limit, bool* negative,
                  uint64_t* magnitude) {
  text = StripAsciiWhitespace(text);
  *negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    *negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return false;
  uint64_t max = *negative ? negative_limit : limit;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *magnitude = value;
  return true;
}

template <typename Signed>
bool ParseSigned(string_view text, Signed* out) {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<Signed>::max());
  bool negative = false;
  uint64_t magnitude = 0;
  if (!ParseDecimal(text, kMax, kMax + 1, &negative, &magnitude)) return false;
  *out = negative ? static_cast<Signed>(0 - magnitude) : static_cast<Signed>(magnitude);
  return true;
}

}  // namespace

string_view StripAsciiWhitespace(string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool SimpleAtoi(string_view text, int64_t* out) { return ParseSigned(text, out); }
bool SimpleAtoi(string_view text, int32_t* out) { return ParseSigned(text, out); }

bool SimpleAtoi(string_view text, uint64_t* out) {
  bool negative = false;
  uint64_t magnitude = 0;
  if (!ParseDecimal(text, UINT64_MAX, 0, &negative, &magnitude) || negative) return false;
  *out = magnitude;
  return true;
}

}  // namespace noma::base

#endif  // NOMA_RUNTIME_ABSL
