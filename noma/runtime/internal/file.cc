#include "noma/runtime/internal/file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <utility>

#include "noma/runtime/base.h"

namespace noma::runtime::internal {
namespace {

base::Status ErrnoError(base::string_view what, const std::string& path, int error) {
  std::string message = base::StrCat(what, " '", path, "': ", std::strerror(error));
  if (error == ENOENT) return base::NotFoundError(message);
  if (error == EACCES || error == EPERM) return base::PermissionDeniedError(message);
  return base::FailedPreconditionError(message);
}

}  // namespace

base::StatusOr<InputFile> InputFile::Open(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    int error = errno;
    ::close(fd);
    return ErrnoError("cannot open", path, error);
  }
  if (S_ISDIR(info.st_mode)) {
    ::close(fd);
    return ErrnoError("cannot open", path, EISDIR);
  }
  bool regular = S_ISREG(info.st_mode);
  uint64_t size = regular ? static_cast<uint64_t>(info.st_size) : 0;
  return InputFile(path, fd, size, regular);
}

InputFile::InputFile(InputFile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      size_(other.size_),
      regular_(other.regular_) {}

InputFile& InputFile::operator=(InputFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    regular_ = other.regular_;
  }
  return *this;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

base::Status InputFile::ReadAt(uint64_t offset, size_t n, char* out) const {
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot read", path_, errno);
    }
    if (got == 0) {
      return base::DataLossError(base::StrCat("cannot read '", path_, "': the file ended after ",
                                              offset + done, " bytes"));
    }
    done += static_cast<size_t>(got);
  }
  return base::OkStatus();
}

base::StatusOr<std::string> InputFile::ReadAll() const {
  std::string text;
  if (regular_) text.reserve(size_);
  char buffer[1 << 16];
  while (true) {
    ssize_t got = ::read(fd_, buffer, sizeof(buffer));
    if (got < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot read", path_, errno);
    }
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  return text;
}

namespace {

constexpr size_t kWriteBuffer = size_t{1} << 20;

std::atomic<uint64_t> temp_counter{0};

}  // namespace

base::StatusOr<AtomicWriter> AtomicWriter::Create(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (path.empty()) return ErrnoError("cannot write", path, ENOENT);
  if (base.empty() || base == "." || base == "..") return ErrnoError("cannot write", path, EISDIR);
  while (true) {
    std::string temp = base::StrCat(dir, ".", base, ".tmp.", ::getpid(), ".",
                                    temp_counter.fetch_add(1, std::memory_order_relaxed));
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return AtomicWriter(path, std::move(temp), fd);
    if (errno == EEXIST || errno == EINTR) continue;  // A leftover name: try the next one.
    return ErrnoError("cannot write", path, errno);
  }
}

AtomicWriter::AtomicWriter(AtomicWriter&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      done_(std::exchange(other.done_, true)) {}

AtomicWriter::~AtomicWriter() { Abandon(); }

void AtomicWriter::Abandon() {
  if (done_) return;
  done_ = true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(temp_path_.c_str());
}

base::Status AtomicWriter::Fail(int error) {
  Abandon();
  return ErrnoError("cannot write", path_, error);
}

base::Status AtomicWriter::Flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t wrote = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return Fail(errno);
    }
    done += static_cast<size_t>(wrote);
  }
  buffer_.clear();
  return base::OkStatus();
}

base::Status AtomicWriter::Append(base::string_view bytes) {
  if (done_) return base::FailedPreconditionError("AtomicWriter used after Commit or failure");
  buffer_.append(bytes.data(), bytes.size());
  if (buffer_.size() >= kWriteBuffer) return Flush();
  return base::OkStatus();
}

base::Status AtomicWriter::Commit() {
  if (done_) return base::FailedPreconditionError("AtomicWriter used after Commit or failure");
  if (base::Status flushed = Flush(); !flushed.ok()) return flushed;
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return Fail(errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) return Fail(errno);
  done_ = true;
  return base::OkStatus();
}

}  // namespace noma::runtime::internal
