#ifndef NOMA_SYNTAX_SOURCE_H_
#define NOMA_SYNTAX_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace noma::syntax {

// Identifies one buffer owned by a SourceManager. Id 0 means "no file".
using FileId = uint32_t;
inline constexpr FileId kNoFile = 0;

// A half-open byte range [begin, end) in one source buffer.
struct SourceRange {
  FileId file = kNoFile;
  uint32_t begin = 0;
  uint32_t end = 0;

  bool valid() const { return file != kNoFile; }
  friend bool operator==(const SourceRange& a, const SourceRange& b) {
    return a.file == b.file && a.begin == b.begin && a.end == b.end;
  }
};

// A resolved, 1-based human position.
struct LineColumn {
  uint32_t line = 0;
  uint32_t column = 0;
};

// Owns source buffers and maps byte offsets to lines and columns.
class SourceManager {
 public:
  SourceManager() = default;
  SourceManager(const SourceManager&) = delete;
  SourceManager& operator=(const SourceManager&) = delete;

  // Adds an in-memory buffer; `name` is what diagnostics print as the file name.
  FileId AddBuffer(std::string name, std::string contents);
  // Reads a file from disk. Errors name the path.
  absl::StatusOr<FileId> AddFile(const std::string& path, std::string display_name);

  absl::string_view name(FileId file) const;
  absl::string_view contents(FileId file) const;
  // 1-based line and column (column counts bytes) of an offset.
  LineColumn Resolve(FileId file, uint32_t offset) const;
  // The text of a 1-based line without its newline.
  absl::string_view LineText(FileId file, uint32_t line) const;

 private:
  struct Buffer {
    std::string name;
    std::string contents;
    std::vector<uint32_t> line_starts;  // Offsets at which each line begins.
  };
  const Buffer& buffer(FileId file) const;
  std::vector<Buffer> buffers_;
};

}  // namespace noma::syntax

#endif  // NOMA_SYNTAX_SOURCE_H_
