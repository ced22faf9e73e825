#include "noma/runtime/io.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "noma/runtime/format.h"

namespace noma::runtime {
namespace {

absl::Status OpenError(const std::string& path) {
  return absl::NotFoundError(absl::StrCat("cannot open '", path, "': ", std::strerror(errno)));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return OpenError(path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read '", path, "'"));
  return text.str();
}

// A strict number: the whole cell (after trimming) must parse.
bool ParseNumber(absl::string_view cell, double* value) {
  cell = absl::StripAsciiWhitespace(cell);
  if (cell.empty()) return false;
  return absl::SimpleAtod(cell, value);
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  std::string temp = absl::StrCat(path, ".tmp-", getpid());
  FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write '", path, "': ", std::strerror(errno)));
  }
  bool ok = std::fwrite(contents.data(), 1, contents.size(), file) == contents.size();
  ok = (std::fclose(file) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    std::remove(temp.c_str());
    return absl::DataLossError(absl::StrCat("cannot write '", path, "': ", std::strerror(error)));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------- CSV

absl::StatusOr<Tensor> LoadCsv(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::vector<double> values;
  int64_t rows = 0;
  int64_t columns = -1;
  bool first_content_line = true;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    std::vector<absl::string_view> cells = absl::StrSplit(line, ',');
    std::vector<double> row;
    size_t column_offset = 0;
    for (size_t c = 0; c < cells.size(); ++c) {
      double value;
      if (!ParseNumber(cells[c], &value)) {
        if (first_content_line) {
          row.clear();
          break;  // A non-numeric first line is a header.
        }
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line_number, ":", column_offset + 1, ": non-numeric cell '",
                         absl::StripAsciiWhitespace(cells[c]), "'"));
      }
      row.push_back(value);
      column_offset += cells[c].size() + 1;
    }
    bool was_header = first_content_line && row.size() != cells.size();
    first_content_line = false;
    if (was_header) continue;
    if (columns < 0) columns = static_cast<int64_t>(row.size());
    if (static_cast<int64_t>(row.size()) != columns) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_number, ":1: expected ",
                                                     columns, " columns, found ", row.size()));
    }
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  }
  if (rows == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": no data rows"));
  return Tensor({rows, columns}, std::move(values));
}

absl::Status SaveCsv(const Tensor& tensor, const std::string& path) {
  if (tensor.rank() > 2) {
    return absl::InvalidArgumentError(absl::StrCat("save_csv: cannot write a tensor of shape ",
                                                   ShapeToString(tensor.shape()),
                                                   " (rank > 2) as CSV"));
  }
  std::string out;
  if (tensor.rank() <= 1) {
    for (double v : tensor.values()) absl::StrAppend(&out, FormatScalar(v), "\n");
  } else {
    int64_t columns = tensor.shape()[1];
    for (int64_t r = 0; r < tensor.shape()[0]; ++r) {
      for (int64_t c = 0; c < columns; ++c) {
        absl::StrAppend(&out, c > 0 ? "," : "", FormatScalar(tensor.data()[r * columns + c]));
      }
      out += "\n";
    }
  }
  return WriteFileAtomically(path, out);
}

// ---------------------------------------------------------------------------- safetensors

namespace {

// A minimal strict JSON reader for safetensors headers.
struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  double number = 0;
  std::string text;
  std::vector<Json> items;                            // Arrays.
  std::vector<std::pair<std::string, Json>> members;  // Objects, in order.
};

class JsonParser {
 public:
  explicit JsonParser(absl::string_view text) : text_(text) {}

  bool Parse(Json* out) {
    if (!Value(out, 0)) return false;
    SkipSpace();
    return pos_ == text_.size();
  }

 private:
  static constexpr int kMaxDepth = 64;

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool String(std::string* out) {
    if (!Consume('"')) return false;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (pos_ >= text_.size()) return false;
      char e = text_[pos_++];
      switch (e) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          if (pos_ + 4 > text_.size()) return false;
          unsigned code = 0;
          for (int i = 0; i < 4; ++i) {
            char h = text_[pos_++];
            code <<= 4;
            if (h >= '0' && h <= '9') code |= h - '0';
            else if (h >= 'a' && h <= 'f') code |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F') code |= h - 'A' + 10;
            else return false;
          }
          // Keys are compared as bytes; encode the code unit as UTF-8 (BMP only).
          if (code < 0x80) {
            *out += static_cast<char>(code);
          } else if (code < 0x800) {
            *out += static_cast<char>(0xC0 | (code >> 6));
            *out += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            *out += static_cast<char>(0xE0 | (code >> 12));
            *out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool Value(Json* out, int depth) {
    if (depth > kMaxDepth) return false;
    SkipSpace();
    if (pos_ >= text_.size()) return false;
    char c = text_[pos_];
    if (c == '{') {
      ++pos_;
      out->kind = Json::kObject;
      if (Consume('}')) return true;
      do {
        std::string key;
        Json value;
        if (!String(&key) || !Consume(':') || !Value(&value, depth + 1)) return false;
        out->members.emplace_back(std::move(key), std::move(value));
      } while (Consume(','));
      return Consume('}');
    }
    if (c == '[') {
      ++pos_;
      out->kind = Json::kArray;
      if (Consume(']')) return true;
      do {
        Json value;
        if (!Value(&value, depth + 1)) return false;
        out->items.push_back(std::move(value));
      } while (Consume(','));
      return Consume(']');
    }
    if (c == '"') {
      out->kind = Json::kString;
      return String(&out->text);
    }
    for (const char* word : {"true", "false", "null"}) {
      if (text_.substr(pos_, std::strlen(word)) == word) {
        pos_ += std::strlen(word);
        out->kind = word[0] == 'n' ? Json::kNull : Json::kBool;
        return true;
      }
    }
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '-' || text_[pos_] == '+' ||
                                   text_[pos_] == '.' || text_[pos_] == 'e' ||
                                   text_[pos_] == 'E')) {
      ++pos_;
    }
    if (start == pos_) return false;
    out->kind = Json::kNumber;
    return absl::SimpleAtod(text_.substr(start, pos_ - start), &out->number);
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

// A non-negative integer that fits in int64 exactly.
bool AsCount(const Json& j, int64_t* out) {
  if (j.kind != Json::kNumber || j.number < 0 || j.number != std::floor(j.number) ||
      j.number > 9007199254740992.0) {
    return false;
  }
  *out = static_cast<int64_t>(j.number);
  return true;
}

double HalfToDouble(uint16_t h) {
  int sign = (h >> 15) & 1;
  int exponent = (h >> 10) & 0x1F;
  int fraction = h & 0x3FF;
  double value;
  if (exponent == 0) {
    value = std::ldexp(fraction, -24);  // Subnormal.
  } else if (exponent == 31) {
    value = fraction == 0 ? std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::quiet_NaN();
  } else {
    value = std::ldexp(fraction + 1024, exponent - 25);
  }
  return sign ? -value : value;
}

uint64_t ReadLittleEndian(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

constexpr uint64_t kMaxHeaderBytes = 100 << 20;

}  // namespace

absl::StatusOr<std::map<std::string, Tensor>> LoadSafetensors(const std::string& path) {
  absl::StatusOr<std::string> file = ReadFile(path);
  if (!file.ok()) return file.status();
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  };
  const std::string& bytes = *file;
  if (bytes.size() < 8) return bad("truncated file (no header length)");
  uint64_t header_length =
      ReadLittleEndian(reinterpret_cast<const unsigned char*>(bytes.data()), 8);
  if (header_length > kMaxHeaderBytes || header_length > bytes.size() - 8) {
    return bad(absl::StrCat("header length ", header_length, " exceeds the file size"));
  }
  Json header;
  if (!JsonParser(absl::string_view(bytes).substr(8, header_length)).Parse(&header) ||
      header.kind != Json::kObject) {
    return bad("malformed JSON header");
  }
  const unsigned char* data =
      reinterpret_cast<const unsigned char*>(bytes.data()) + 8 + header_length;
  uint64_t data_size = bytes.size() - 8 - header_length;
  std::map<std::string, Tensor> tensors;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (const auto& [name, entry] : header.members) {
    if (name == "__metadata__") continue;
    if (entry.kind != Json::kObject) return bad(absl::StrCat("entry '", name, "' is not an object"));
    const Json* dtype = nullptr;
    const Json* shape = nullptr;
    const Json* offsets = nullptr;
    for (const auto& [key, value] : entry.members) {
      if (key == "dtype") dtype = &value;
      if (key == "shape") shape = &value;
      if (key == "data_offsets") offsets = &value;
    }
    if (dtype == nullptr || dtype->kind != Json::kString || shape == nullptr ||
        shape->kind != Json::kArray || offsets == nullptr || offsets->kind != Json::kArray ||
        offsets->items.size() != 2) {
      return bad(absl::StrCat("entry '", name, "' needs dtype, shape and data_offsets"));
    }
    int element_size = dtype->text == "F64"   ? 8
                       : dtype->text == "F32" ? 4
                       : (dtype->text == "F16" || dtype->text == "BF16") ? 2
                                                                         : 0;
    if (element_size == 0) {
      return bad(absl::StrCat("tensor '", name, "' has unsupported dtype '", dtype->text,
                              "' (supported: F64, F32, F16, BF16)"));
    }
    Shape dims;
    for (const Json& d : shape->items) {
      int64_t dim;
      if (!AsCount(d, &dim)) return bad(absl::StrCat("tensor '", name, "' has a bad shape"));
      dims.push_back(dim);
    }
    absl::StatusOr<int64_t> count = ElementCount(dims);
    int64_t begin, end;
    if (!count.ok() || !AsCount(offsets->items[0], &begin) ||
        !AsCount(offsets->items[1], &end) || begin > end ||
        static_cast<uint64_t>(end) > data_size) {
      return bad(absl::StrCat("tensor '", name, "' has data offsets out of range"));
    }
    if (*count > (end - begin) / element_size || *count * element_size != end - begin) {
      return bad(absl::StrCat("tensor '", name, "': shape ", ShapeToString(dims), " needs ",
                              *count, " elements of ", element_size, " bytes but its data has ",
                              end - begin, " bytes"));
    }
    ranges.push_back({begin, end});
    std::vector<double> values(static_cast<size_t>(*count));
    const unsigned char* p = data + begin;
    for (int64_t i = 0; i < *count; ++i, p += element_size) {
      uint64_t raw = ReadLittleEndian(p, element_size);
      if (element_size == 8) {
        double v;
        std::memcpy(&v, &raw, 8);
        values[i] = v;
      } else if (element_size == 4) {
        uint32_t r = static_cast<uint32_t>(raw);
        float f;
        std::memcpy(&f, &r, 4);
        values[i] = f;
      } else if (dtype->text == "F16") {
        values[i] = HalfToDouble(static_cast<uint16_t>(raw));
      } else {  // BF16: the top half of an f32.
        uint32_t r = static_cast<uint32_t>(raw) << 16;
        float f;
        std::memcpy(&f, &r, 4);
        values[i] = f;
      }
    }
    tensors[name] = Tensor(std::move(dims), std::move(values));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) return bad("tensor data ranges overlap");
  }
  return tensors;
}

absl::Status SaveSafetensors(const std::map<std::string, Tensor>& tensors,
                             const std::string& path) {
  std::string header = "{";
  uint64_t offset = 0;
  bool first = true;
  for (const auto& [name, tensor] : tensors) {  // std::map: keys sorted.
    std::string escaped;
    for (char c : name) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    std::vector<std::string> dims;
    for (int64_t d : tensor.shape()) dims.push_back(std::to_string(d));
    uint64_t size = static_cast<uint64_t>(tensor.size()) * 8;
    absl::StrAppend(&header, first ? "" : ",", "\"", escaped, "\":{\"dtype\":\"F64\",\"shape\":[",
                    absl::StrJoin(dims, ","), "],\"data_offsets\":[", offset, ",",
                    offset + size, "]}");
    offset += size;
    first = false;
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';
  std::string out;
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) out += static_cast<char>((length >> (8 * i)) & 0xFF);
  out += header;
  for (const auto& [name, tensor] : tensors) {
    for (double v : tensor.values()) {
      uint64_t raw;
      std::memcpy(&raw, &v, 8);
      for (int i = 0; i < 8; ++i) out += static_cast<char>((raw >> (8 * i)) & 0xFF);
    }
  }
  return WriteFileAtomically(path, out);
}

}  // namespace noma::runtime
