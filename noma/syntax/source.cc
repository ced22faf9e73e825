#include "noma/syntax/source.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace noma::syntax {

FileId SourceManager::AddBuffer(std::string name, std::string contents) {
  Buffer buffer;
  buffer.name = std::move(name);
  buffer.contents = std::move(contents);
  buffer.line_starts.push_back(0);
  for (uint32_t i = 0; i < buffer.contents.size(); ++i) {
    if (buffer.contents[i] == '\n') buffer.line_starts.push_back(i + 1);
  }
  buffers_.push_back(std::move(buffer));
  return static_cast<FileId>(buffers_.size());  // Ids start at 1; 0 is kNoFile.
}

absl::StatusOr<FileId> SourceManager::AddFile(const std::string& path, std::string display_name) {
  // stdio rather than a stream, so that a failure carries the OS's reason (errno).
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot open '", display_name, "': ", std::strerror(errno)));
  }
  std::string contents;
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, in)) > 0) contents.append(chunk, n);
  int error = std::ferror(in) ? errno : 0;
  std::fclose(in);
  if (error != 0) {
    return absl::DataLossError(
        absl::StrCat("cannot read '", display_name, "': ", std::strerror(error)));
  }
  if (contents.size() >= UINT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("'", display_name, "' is too large"));
  }
  return AddBuffer(std::move(display_name), std::move(contents));
}

const SourceManager::Buffer& SourceManager::buffer(FileId file) const {
  return buffers_.at(file - 1);
}

absl::string_view SourceManager::name(FileId file) const { return buffer(file).name; }

absl::string_view SourceManager::contents(FileId file) const { return buffer(file).contents; }

LineColumn SourceManager::Resolve(FileId file, uint32_t offset) const {
  const Buffer& b = buffer(file);
  auto it = std::upper_bound(b.line_starts.begin(), b.line_starts.end(), offset);
  uint32_t line_index = static_cast<uint32_t>(it - b.line_starts.begin()) - 1;
  return {line_index + 1, offset - b.line_starts[line_index] + 1};
}

absl::string_view SourceManager::LineText(FileId file, uint32_t line) const {
  const Buffer& b = buffer(file);
  if (line == 0 || line > b.line_starts.size()) return {};
  uint32_t begin = b.line_starts[line - 1];
  uint32_t end = line < b.line_starts.size() ? b.line_starts[line] - 1
                                             : static_cast<uint32_t>(b.contents.size());
  absl::string_view text(b.contents.data() + begin, end - begin);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

}  // namespace noma::syntax
