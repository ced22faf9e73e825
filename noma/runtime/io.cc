#include "noma/runtime/io.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "noma/runtime/base.h"
#include "noma/runtime/format.h"
#include "noma/runtime/internal/file.h"
#include "noma/runtime/internal/float16.h"
#include "noma/runtime/internal/json.h"

namespace noma::runtime {

using internal::AtomicWriter;
using internal::InputFile;

base::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  base::StatusOr<AtomicWriter> writer = AtomicWriter::Create(path);
  if (!writer.ok()) return writer.status();
  if (base::Status appended = writer->Append(contents); !appended.ok()) return appended;
  return writer->Commit();
}

// ---------------------------------------------------------------------------- CSV

namespace {

bool IsCellSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool EqualsIgnoringCase(base::string_view text, base::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
    if (c != lower[i]) return false;
  }
  return true;
}

// The syntax std::from_chars accepts for a double in its general format: an optional '-',
// then digits with an optional fraction (at least one digit) and an optional exponent, or
// inf, infinity, nan or nan(letters, digits, _) in any case. Unlike strtod: no leading
// whitespace or '+', no hexadecimal.
bool IsNumberSyntax(base::string_view text) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  if (EqualsIgnoringCase(text, "inf") || EqualsIgnoringCase(text, "infinity") ||
      EqualsIgnoringCase(text, "nan")) {
    return true;
  }
  if (text.size() >= 5 && EqualsIgnoringCase(text.substr(0, 4), "nan(") && text.back() == ')') {
    for (char c : text.substr(4, text.size() - 5)) {
      if (!IsDigit(c) && c != '_' && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return false;
    }
    return true;
  }
  size_t i = 0, digits = 0;
  while (i < text.size() && IsDigit(text[i])) ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    size_t exponent = i + 1;
    if (exponent < text.size() && (text[exponent] == '+' || text[exponent] == '-')) ++exponent;
    size_t start = exponent;
    while (exponent < text.size() && IsDigit(text[exponent])) ++exponent;
    // from_chars leaves a bare "e" unparsed (the cell is then not a number as a whole).
    if (exponent == start) return false;
    i = exponent;
  }
  return i == text.size();
}

// A whole cell (already trimmed) as a number: decimal or scientific notation with an optional
// sign, or inf/infinity/nan in any case. Magnitudes beyond the double range become ±inf, tiny
// ones round to a subnormal or 0, as strtod does.
bool ParseNumber(base::string_view cell, double* value) {
  if (cell.empty()) return false;
  base::string_view body = cell;
  if (body[0] == '+') {
    body.remove_prefix(1);
    if (body.empty() || body[0] == '-' || body[0] == '+') return false;
  }
  if (!IsNumberSyntax(body)) return false;
  std::string copy(body);
  *value = std::strtod(copy.c_str(), nullptr);
  return true;
}

std::string Quoted(base::string_view cell) {
  constexpr size_t kMax = 40;
  if (cell.size() <= kMax) return base::StrCat("'", cell, "'");
  return base::StrCat("'", cell.substr(0, kMax), "...'");
}

}  // namespace

base::StatusOr<Tensor> LoadCsv(const std::string& path) {
  base::StatusOr<InputFile> file = InputFile::Open(path);
  if (!file.ok()) return file.status();
  base::StatusOr<std::string> contents = file->ReadAll();
  if (!contents.ok()) return contents.status();
  base::string_view text = *contents;
  if (base::StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark.

  std::vector<double> values;
  std::vector<double> row;
  int64_t rows = 0;
  int64_t columns = -1;
  bool header_allowed = true;
  int64_t line_number = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    base::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == base::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    base::string_view content = base::StripAsciiWhitespace(line);
    if (content.empty() || content[0] == '#') continue;

    // Split into cells, remembering each cell's 1-based column (its first non-blank byte).
    row.clear();
    bool header = false;
    int64_t cell_count = 0;
    size_t start = 0;
    struct BadCell {
      size_t column;
      base::string_view text;
    };
    bool has_bad = false;
    BadCell bad{0, {}};
    while (true) {
      size_t comma = line.find(',', start);
      base::string_view cell = line.substr(
          start, comma == base::string_view::npos ? base::string_view::npos : comma - start);
      size_t lead = 0;
      while (lead < cell.size() && IsCellSpace(cell[lead])) ++lead;
      size_t trail = cell.size();
      while (trail > lead && IsCellSpace(cell[trail - 1])) --trail;
      base::string_view trimmed = cell.substr(lead, trail - lead);
      ++cell_count;
      double value;
      if (ParseNumber(trimmed, &value)) {
        row.push_back(value);
      } else if (!has_bad) {
        has_bad = true;
        bad = BadCell{start + lead + 1, trimmed};
      }
      if (comma == base::string_view::npos) break;
      start = comma + 1;
    }
    if (has_bad && header_allowed) header = true;  // A non-numeric first line is a header.
    header_allowed = false;
    if (header) continue;
    if (columns >= 0 && cell_count != columns) {
      return base::InvalidArgumentError(base::StrCat(path, ":", line_number, ":1: expected ",
                                                     columns, " columns, found ", cell_count));
    }
    if (has_bad) {
      if (bad.text.empty()) {
        return base::InvalidArgumentError(
            base::StrCat(path, ":", line_number, ":", bad.column, ": empty cell"));
      }
      return base::InvalidArgumentError(base::StrCat(path, ":", line_number, ":", bad.column,
                                                     ": non-numeric cell ", Quoted(bad.text)));
    }
    columns = cell_count;
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  }
  if (rows == 0) return base::InvalidArgumentError(base::StrCat(path, ": no data rows"));
  return Tensor({rows, columns}, std::move(values));
}

base::Status SaveCsv(const Tensor& tensor, const std::string& path) {
  if (tensor.rank() > 2) {
    return base::InvalidArgumentError(
        base::StrCat("save_csv: cannot write a tensor of shape ", ShapeToString(tensor.shape()),
                     " (rank ", tensor.rank(), ") as CSV; only rank 0, 1 and 2 are supported"));
  }
  base::StatusOr<AtomicWriter> writer = AtomicWriter::Create(path);
  if (!writer.ok()) return writer.status();
  int64_t columns = tensor.rank() == 2 ? tensor.shape()[1] : 1;
  int64_t rows = tensor.rank() == 2 ? tensor.shape()[0] : tensor.size();
  const double* data = tensor.data();
  std::string line;
  for (int64_t r = 0; r < rows; ++r) {
    line.clear();
    for (int64_t c = 0; c < columns; ++c) {
      if (c > 0) line += ',';
      line += FormatScalar(data[r * columns + c]);
    }
    line += '\n';
    if (base::Status appended = writer->Append(line); !appended.ok()) return appended;
  }
  return writer->Commit();
}

// ---------------------------------------------------------------------------- safetensors

namespace {

using internal::JsonValue;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // As the reference implementation.
constexpr size_t kMaxRank = 64;

enum class Dtype { kF64, kF32, kF16, kBF16 };

struct DtypeInfo {
  const char* name;
  Dtype dtype;
  uint64_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {"F64", Dtype::kF64, 8},
    {"F32", Dtype::kF32, 4},
    {"F16", Dtype::kF16, 2},
    {"BF16", Dtype::kBF16, 2},
};

struct Entry {
  const std::string* name;
  DtypeInfo dtype;
  Shape shape;
  int64_t count;
  uint64_t begin;
  uint64_t end;
};

uint64_t LoadLittleEndian(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

double Widen(Dtype dtype, const unsigned char* p) {
  switch (dtype) {
    case Dtype::kF64: {
      uint64_t bits = LoadLittleEndian(p, 8);
      double value;
      std::memcpy(&value, &bits, sizeof(value));
      return value;
    }
    case Dtype::kF32:
      return internal::Float32BitsToDouble(static_cast<uint32_t>(LoadLittleEndian(p, 4)));
    case Dtype::kF16:
      return internal::HalfToDouble(static_cast<uint16_t>(LoadLittleEndian(p, 2)));
    case Dtype::kBF16:
      return internal::BFloat16ToDouble(static_cast<uint16_t>(LoadLittleEndian(p, 2)));
  }
  return 0;
}

std::string OffsetsText(uint64_t begin, uint64_t end) {
  return base::StrCat("[", begin, ", ", end, "]");
}

}  // namespace

base::StatusOr<std::map<std::string, Tensor>> LoadSafetensors(const std::string& path) {
  auto bad = [&path](auto&&... parts) {
    return base::InvalidArgumentError(base::StrCat(path, ": ", parts...));
  };
  base::StatusOr<InputFile> file = InputFile::Open(path);
  if (!file.ok()) return file.status();
  uint64_t file_size = file->size();
  if (file_size < 8) {
    return bad("truncated header (the file has ", file_size,
               " bytes; the header length alone takes 8)");
  }
  unsigned char prefix[8];
  if (base::Status read = file->ReadAt(0, 8, reinterpret_cast<char*>(prefix)); !read.ok()) {
    return read;
  }
  uint64_t header_length = LoadLittleEndian(prefix, 8);
  if (header_length > kMaxHeaderBytes) {
    return bad("header length ", header_length, " exceeds the limit of ", kMaxHeaderBytes,
               " bytes");
  }
  if (header_length > file_size - 8) {
    return bad("truncated header (header length ", header_length, ", but only ", file_size - 8,
               " bytes follow)");
  }
  std::string header(header_length, '\0');
  if (base::Status read = file->ReadAt(8, header_length, header.data()); !read.ok()) {
    return read;
  }
  base::StatusOr<JsonValue> json = internal::ParseJson(header);
  if (!json.ok()) return bad("malformed JSON header: ", json.status().message());
  if (json->kind != JsonValue::Kind::kObject) return bad("the JSON header is not an object");

  // Validate every entry before allocating anything for the data.
  const uint64_t data_start = 8 + header_length;
  const uint64_t data_size = file_size - data_start;
  std::vector<Entry> entries;
  for (const auto& [name, info] : json->members) {
    if (name == "__metadata__") {
      bool strings = info.kind == JsonValue::Kind::kObject;
      for (const auto& [key, value] : info.members) {
        strings = strings && value.kind == JsonValue::Kind::kString;
      }
      if (!strings) return bad("\"__metadata__\" must be an object of strings");
      continue;
    }
    std::string what = base::StrCat("tensor '", name, "'");
    if (info.kind != JsonValue::Kind::kObject) return bad(what, ": entry is not a JSON object");
    const JsonValue* dtype = info.Find("dtype");
    const JsonValue* shape = info.Find("shape");
    const JsonValue* offsets = info.Find("data_offsets");
    if (dtype == nullptr || dtype->kind != JsonValue::Kind::kString) {
      return bad(what, ": missing or non-string \"dtype\"");
    }
    const DtypeInfo* found = nullptr;
    for (const DtypeInfo& candidate : kDtypes) {
      if (dtype->text == candidate.name) found = &candidate;
    }
    if (found == nullptr) {
      return bad(what, " has unsupported dtype '", dtype->text,
                 "' (supported: F64, F32, F16, BF16)");
    }
    if (shape == nullptr || shape->kind != JsonValue::Kind::kArray) {
      return bad(what, ": missing \"shape\" (a list of non-negative integers)");
    }
    if (shape->items.size() > kMaxRank) {
      return bad(what, ": shape has ", shape->items.size(), " dimensions (at most ", kMaxRank,
                 " are supported)");
    }
    Shape dims;
    for (const JsonValue& d : shape->items) {
      if (!d.is_count || d.count > static_cast<uint64_t>(INT64_MAX)) {
        return bad(what, ": \"shape\" must be a list of non-negative integers");
      }
      dims.push_back(static_cast<int64_t>(d.count));
    }
    base::StatusOr<int64_t> count = ElementCount(dims);
    if (!count.ok()) return bad(what, ": shape ", ShapeToString(dims), " has too many elements");
    if (offsets == nullptr || offsets->kind != JsonValue::Kind::kArray ||
        offsets->items.size() != 2 || !offsets->items[0].is_count || !offsets->items[1].is_count) {
      return bad(what, ": \"data_offsets\" must be a list of two non-negative integers");
    }
    uint64_t begin = offsets->items[0].count;
    uint64_t end = offsets->items[1].count;
    if (begin > end) return bad(what, ": data_offsets ", OffsetsText(begin, end), " are reversed");
    if (end > data_size) {
      return bad(what, ": data_offsets ", OffsetsText(begin, end),
                 " are out of range (the data section has ", data_size, " bytes)");
    }
    uint64_t span = end - begin;
    uint64_t elements = static_cast<uint64_t>(*count);
    if (elements > span / found->size || elements * found->size != span) {
      return bad(what, ": shape ", ShapeToString(dims), " of ", found->name, " needs ",
                 elements > span / found->size ? base::StrCat("more than ", span)
                                               : base::StrCat(elements * found->size),
                 " bytes, but data_offsets ", OffsetsText(begin, end), " span ", span);
    }
    entries.push_back(Entry{&name, *found, std::move(dims), *count, begin, end});
  }
  std::vector<const Entry*> by_offset;
  for (const Entry& entry : entries) {
    if (entry.end > entry.begin) by_offset.push_back(&entry);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end) {
      return bad("tensors '", *by_offset[i - 1]->name, "' and '", *by_offset[i]->name,
                 "' overlap in the data section");
    }
  }

  // Every size is now bounded by the file's size: read and widen.
  std::map<std::string, Tensor> tensors;
  std::vector<char> buffer;
  for (Entry& entry : entries) {
    std::vector<double> values(static_cast<size_t>(entry.count));
    uint64_t element_size = entry.dtype.size;
    uint64_t chunk_elements = std::max<uint64_t>(1, (uint64_t{1} << 20) / element_size);
    for (uint64_t first = 0; first < values.size(); first += chunk_elements) {
      uint64_t n = std::min<uint64_t>(chunk_elements, values.size() - first);
      buffer.resize(n * element_size);
      base::Status read = file->ReadAt(data_start + entry.begin + first * element_size,
                                       buffer.size(), buffer.data());
      if (!read.ok()) return bad("truncated data: ", read.message());
      const unsigned char* p = reinterpret_cast<const unsigned char*>(buffer.data());
      for (uint64_t i = 0; i < n; ++i) {
        values[first + i] = Widen(entry.dtype.dtype, p + i * element_size);
      }
    }
    tensors.emplace(*entry.name, Tensor(std::move(entry.shape), std::move(values)));
  }
  return tensors;
}

base::Status SaveSafetensors(const std::map<std::string, Tensor>& tensors,
                             const std::string& path) {
  if (tensors.count("__metadata__") != 0) {
    return base::InvalidArgumentError(
        base::StrCat(path, ": '__metadata__' is reserved and cannot name a tensor"));
  }
  std::string header = "{";
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {  // std::map: keys in sorted (byte) order.
    if (header.size() > 1) header += ',';
    internal::AppendJsonString(name, &header);
    base::StrAppend(&header, ":{\"dtype\":\"F64\",\"shape\":[");
    for (size_t d = 0; d < tensor.shape().size(); ++d) {
      base::StrAppend(&header, d > 0 ? "," : "", tensor.shape()[d]);
    }
    uint64_t bytes = static_cast<uint64_t>(tensor.size()) * 8;
    base::StrAppend(&header, "],\"data_offsets\":[", offset, ",", offset + bytes, "]}");
    offset += bytes;
  }
  header += '}';
  header.append((8 - header.size() % 8) % 8, ' ');

  base::StatusOr<AtomicWriter> writer = AtomicWriter::Create(path);
  if (!writer.ok()) return writer.status();
  char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  if (base::Status s = writer->Append(base::string_view(prefix, 8)); !s.ok()) return s;
  if (base::Status s = writer->Append(header); !s.ok()) return s;
  std::string chunk;
  for (const auto& [name, tensor] : tensors) {
    const double* data = tensor.data();
    for (int64_t i = 0; i < tensor.size(); ++i) {
      uint64_t bits;
      std::memcpy(&bits, &data[i], sizeof(bits));
      for (int b = 0; b < 8; ++b) chunk += static_cast<char>((bits >> (8 * b)) & 0xFF);
      if (chunk.size() >= (size_t{1} << 16)) {
        if (base::Status s = writer->Append(chunk); !s.ok()) return s;
        chunk.clear();
      }
    }
  }
  if (base::Status s = writer->Append(chunk); !s.ok()) return s;
  return writer->Commit();
}

}  // namespace noma::runtime
