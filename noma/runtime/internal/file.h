#ifndef NOMA_RUNTIME_INTERNAL_FILE_H_
#define NOMA_RUNTIME_INTERNAL_FILE_H_

// POSIX file reading with error messages that name the path. Not part of the public API.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "noma/runtime/base.h"

namespace noma::runtime::internal {

// A file opened for reading; closed on destruction. Directories are rejected at Open.
class InputFile {
 public:
  // Error: "cannot open 'path': No such file or directory" (strerror text).
  static base::StatusOr<InputFile> Open(const std::string& path);

  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  // The size reported when the file was opened (0 for pipes and other non-regular files).
  uint64_t size() const { return size_; }
  bool regular() const { return regular_; }

  // Reads exactly `n` bytes at `offset`; an error if the file ends before (it may have been
  // truncated since Open).
  base::Status ReadAt(uint64_t offset, size_t n, char* out) const;
  // Reads everything from the current position to the end of the file.
  base::StatusOr<std::string> ReadAll() const;

 private:
  InputFile(std::string path, int fd, uint64_t size, bool regular)
      : path_(std::move(path)), fd_(fd), size_(size), regular_(regular) {}

  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool regular_ = false;
};

// Writes a file through a temporary file in the same directory that is renamed over `path` by
// Commit(), so that readers never see a partial file. Output is buffered. If Commit() is not
// reached (an error, an early return), the destructor removes the temporary file. Errors name
// `path` and the strerror text: "cannot write 'out/x.csv': No such file or directory".
class AtomicWriter {
 public:
  static base::StatusOr<AtomicWriter> Create(const std::string& path);

  AtomicWriter(AtomicWriter&& other) noexcept;
  AtomicWriter& operator=(AtomicWriter&&) = delete;
  AtomicWriter(const AtomicWriter&) = delete;
  AtomicWriter& operator=(const AtomicWriter&) = delete;
  ~AtomicWriter();

  base::Status Append(base::string_view bytes);
  base::Status Commit();

  const std::string& temp_path() const { return temp_path_; }

 private:
  AtomicWriter(std::string path, std::string temp_path, int fd)
      : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {}
  base::Status Flush();
  base::Status Fail(int error);
  void Abandon();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  std::string buffer_;
  bool done_ = false;
};

}  // namespace noma::runtime::internal

#endif  // NOMA_RUNTIME_INTERNAL_FILE_H_
