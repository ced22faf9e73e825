#include "noma/runtime/internal/json.h"

#include <set>
#include <string>

#include "noma/runtime/base.h"

namespace noma::runtime::internal {

const JsonValue* JsonValue::Find(base::string_view key) const {
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

namespace {

class Parser {
 public:
  Parser(base::string_view text, JsonLimits limits) : text_(text), limits_(limits) {}

  base::StatusOr<JsonValue> ParseDocument() {
    JsonValue value;
    if (!Value(&value, 0)) return Error();
    SkipSpace();
    if (pos_ != text_.size()) {
      Fail("unexpected data after the JSON value");
      return Error();
    }
    return value;
  }

 private:
  base::Status Error() const {
    return base::InvalidArgumentError(base::StrCat(message_, " at byte ", error_pos_));
  }

  bool Fail(const char* message) {
    if (message_.empty()) {
      message_ = message;
      error_pos_ = pos_;
    }
    return false;
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\n' || Peek() == '\r' || Peek() == '\t')) {
      ++pos_;
    }
  }

  bool Expect(char c, const char* message) {
    SkipSpace();
    if (AtEnd() || Peek() != c) return Fail(message);
    ++pos_;
    return true;
  }

  bool Value(JsonValue* out, int depth) {
    if (depth > limits_.max_depth) return Fail("JSON nested too deeply");
    SkipSpace();
    if (++values_ > limits_.max_values) return Fail("JSON document has too many values");
    if (AtEnd()) return Fail("unexpected end of JSON");
    switch (Peek()) {
      case '{':
        return Object(out, depth);
      case '[':
        return Array(out, depth);
      case '"':
        out->kind = JsonValue::Kind::kString;
        return String(&out->text);
      case 't':
        out->kind = JsonValue::Kind::kBool;
        out->boolean = true;
        return Literal("true");
      case 'f':
        out->kind = JsonValue::Kind::kBool;
        return Literal("false");
      case 'n':
        out->kind = JsonValue::Kind::kNull;
        return Literal("null");
      default:
        return Number(out);
    }
  }

  bool Literal(base::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return Fail("invalid JSON literal");
    pos_ += word.size();
    return true;
  }

  bool Object(JsonValue* out, int depth) {
    ++pos_;  // '{'
    out->kind = JsonValue::Kind::kObject;
    SkipSpace();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return true;
    }
    std::set<std::string> keys;
    while (true) {
      SkipSpace();
      if (AtEnd() || Peek() != '"') return Fail("expected a string key");
      size_t key_pos = pos_;
      std::string key;
      if (!String(&key)) return false;
      if (!keys.insert(key).second) {
        pos_ = key_pos;
        return Fail("duplicate key in JSON object");
      }
      if (!Expect(':', "expected ':' after an object key")) return false;
      JsonValue value;
      if (!Value(&value, depth + 1)) return false;
      out->members.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (AtEnd()) return Fail("unterminated JSON object");
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or '}' in a JSON object");
    }
  }

  bool Array(JsonValue* out, int depth) {
    ++pos_;  // '['
    out->kind = JsonValue::Kind::kArray;
    SkipSpace();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      JsonValue value;
      if (!Value(&value, depth + 1)) return false;
      out->items.push_back(std::move(value));
      SkipSpace();
      if (AtEnd()) return Fail("unterminated JSON array");
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or ']' in a JSON array");
    }
  }

  bool Hex4(uint32_t* out) {
    if (text_.size() - pos_ < 4) return Fail("truncated \\u escape");
    uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      char h = text_[pos_++];
      code <<= 4;
      if (h >= '0' && h <= '9') {
        code |= static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        code |= static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        code |= static_cast<uint32_t>(h - 'A' + 10);
      } else {
        --pos_;
        return Fail("invalid hex digit in \\u escape");
      }
    }
    *out = code;
    return true;
  }

  static void AppendUtf8(uint32_t code, std::string* out) {
    if (code < 0x80) {
      *out += static_cast<char>(code);
    } else if (code < 0x800) {
      *out += static_cast<char>(0xC0 | (code >> 6));
      *out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      *out += static_cast<char>(0xE0 | (code >> 12));
      *out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (code >> 18));
      *out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  bool String(std::string* out) {
    ++pos_;  // '"'
    while (true) {
      if (AtEnd()) return Fail("unterminated JSON string");
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in JSON string");
      ++pos_;
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (AtEnd()) return Fail("unterminated JSON string");
      char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          *out += e;
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'u': {
          uint32_t code;
          if (!Hex4(&code)) return false;
          if (code >= 0xDC00 && code <= 0xDFFF) return Fail("unpaired surrogate in \\u escape");
          if (code >= 0xD800 && code <= 0xDBFF) {
            uint32_t low;
            if (text_.substr(pos_, 2) != "\\u") return Fail("unpaired surrogate in \\u escape");
            pos_ += 2;
            if (!Hex4(&low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return Fail("unpaired surrogate in \\u escape");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(code, out);
          break;
        }
        default:
          --pos_;
          return Fail("invalid escape in JSON string");
      }
    }
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  bool Number(JsonValue* out) {
    size_t start = pos_;
    bool plain = true;  // No sign, fraction or exponent.
    if (Peek() == '-') {
      plain = false;
      ++pos_;
    }
    if (AtEnd() || !IsDigit(Peek())) return Fail("invalid JSON value");
    if (Peek() == '0') {
      ++pos_;
      if (!AtEnd() && IsDigit(Peek())) {
        pos_ = start;
        return Fail("leading zero in JSON number");
      }
    } else {
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    if (!AtEnd() && Peek() == '.') {
      plain = false;
      ++pos_;
      if (AtEnd() || !IsDigit(Peek())) return Fail("digit expected after '.' in JSON number");
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      plain = false;
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (AtEnd() || !IsDigit(Peek())) return Fail("digit expected in JSON number exponent");
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    out->kind = JsonValue::Kind::kNumber;
    out->text = std::string(text_.substr(start, pos_ - start));
    if (plain) {
      uint64_t value = 0;
      bool fits = true;
      for (char c : out->text) {
        uint64_t digit = static_cast<uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) {
          fits = false;
          break;
        }
        value = value * 10 + digit;
      }
      out->is_count = fits;
      out->count = fits ? value : 0;
    }
    return true;
  }

  base::string_view text_;
  JsonLimits limits_;
  size_t pos_ = 0;
  int64_t values_ = 0;
  std::string message_;
  size_t error_pos_ = 0;
};

}  // namespace

base::StatusOr<JsonValue> ParseJson(base::string_view text, JsonLimits limits) {
  return Parser(text, limits).ParseDocument();
}

void AppendJsonString(base::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out += '"';
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      *out += '\\';
      *out += c;
    } else if (u < 0x20) {
      *out += "\\u00";
      *out += kHex[u >> 4];
      *out += kHex[u & 0xF];
    } else {
      *out += c;
    }
  }
  *out += '"';
}

}  // namespace noma::runtime::internal
