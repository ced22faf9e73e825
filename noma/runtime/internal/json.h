#ifndef NOMA_RUNTIME_INTERNAL_JSON_H_
#define NOMA_RUNTIME_INTERNAL_JSON_H_

// A small strict JSON reader (RFC 8259) for safetensors headers. Not part of the public API.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "noma/runtime/base.h"

namespace noma::runtime::internal {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  bool boolean = false;
  // Numbers: the literal text; `is_count` when it is a plain non-negative integer (no sign,
  // fraction or exponent) that fits in uint64, whose value is then `count`.
  std::string text;  // Also the (unescaped, UTF-8) value of a string.
  bool is_count = false;
  uint64_t count = 0;
  std::vector<JsonValue> items;                            // Arrays.
  std::vector<std::pair<std::string, JsonValue>> members;  // Objects, in document order.

  // The member named `key` of an object, or nullptr.
  const JsonValue* Find(base::string_view key) const;
};

struct JsonLimits {
  int max_depth = 64;
  int64_t max_values = int64_t{1} << 21;  // Bounds the memory a hostile document can claim.
};

// Parses exactly one JSON value surrounded by optional whitespace. Rejects trailing data,
// duplicate object keys, invalid escapes, unpaired surrogates, control characters in strings,
// leading zeros, and documents deeper or larger than `limits`. Errors name the byte offset.
base::StatusOr<JsonValue> ParseJson(base::string_view text, JsonLimits limits = {});

// Appends `text` as a JSON string literal (with quotes) to `out`.
void AppendJsonString(base::string_view text, std::string* out);

}  // namespace noma::runtime::internal

#endif  // NOMA_RUNTIME_INTERNAL_JSON_H_
