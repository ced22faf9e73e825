#ifndef NOMA_RUNTIME_BASE_H_
#define NOMA_RUNTIME_BASE_H_

// The vocabulary types of the runtime (noma::base): errors (Status, StatusOr<T>), views (Span,
// string_view), the inline vector of shapes, string building (StrCat) and the few string
// helpers the runtime needs.
//
// The runtime's sources are compiled twice (noma/runtime/BUILD.bazel):
//  - inside the compiler (interpreter, JIT, tools) with NOMA_RUNTIME_ABSL defined: these names
//    are Abseil's own types, so Abseil stays the API currency there and no adapter is needed;
//  - for standalone executables without it: small implementations of the same subset on libc
//    and a few header-only parts of the C++ library, built without exceptions or RTTI (the
//    runtime of `noma build-exe` links no Abseil, iostreams or locales).
// Only the subset the runtime uses is provided; both builds must give the same results and
// messages (base_test checks the small one against Abseil).

#include <cstddef>
#include <cstdint>
#include <string>

#ifdef NOMA_RUNTIME_ABSL

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace noma::base {

using absl::DataLossError;
using absl::FailedPreconditionError;
using absl::InternalError;
using absl::InvalidArgumentError;
using absl::IsNotFound;
using absl::MakeConstSpan;
using absl::NotFoundError;
using absl::OkStatus;
using absl::OutOfRangeError;
using absl::PermissionDeniedError;
using absl::ResourceExhaustedError;
using absl::SimpleAtoi;
using absl::Span;
using absl::StartsWith;
using absl::Status;
using absl::StatusCode;
using absl::StatusOr;
using absl::StrAppend;
using absl::StrCat;
using absl::string_view;
using absl::StripAsciiWhitespace;
using absl::UnimplementedError;
using absl::UnknownError;
template <typename T, size_t N>
using InlinedVector = absl::InlinedVector<T, N>;

}  // namespace noma::base

#else  // The small implementation.

#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

namespace noma::base {

using std::string_view;

// ---- Errors ----

// The codes of absl::StatusCode (same values).
enum class StatusCode : int {
  kOk = 0,
  kUnknown = 2,
  kInvalidArgument = 3,
  kNotFound = 5,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kDataLoss = 15,
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, string_view message)
      : code_(code), message_(code == StatusCode::kOk ? string_view() : message) {}
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  string_view message() const { return message_; }
  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }
  friend bool operator!=(const Status& a, const Status& b) { return !(a == b); }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status UnknownError(string_view m) { return Status(StatusCode::kUnknown, m); }
inline Status InvalidArgumentError(string_view m) {
  return Status(StatusCode::kInvalidArgument, m);
}
inline Status NotFoundError(string_view m) { return Status(StatusCode::kNotFound, m); }
inline Status PermissionDeniedError(string_view m) {
  return Status(StatusCode::kPermissionDenied, m);
}
inline Status ResourceExhaustedError(string_view m) {
  return Status(StatusCode::kResourceExhausted, m);
}
inline Status FailedPreconditionError(string_view m) {
  return Status(StatusCode::kFailedPrecondition, m);
}
inline Status OutOfRangeError(string_view m) { return Status(StatusCode::kOutOfRange, m); }
inline Status UnimplementedError(string_view m) { return Status(StatusCode::kUnimplemented, m); }
inline Status InternalError(string_view m) { return Status(StatusCode::kInternal, m); }
inline Status DataLossError(string_view m) { return Status(StatusCode::kDataLoss, m); }
inline bool IsNotFound(const Status& s) { return s.code() == StatusCode::kNotFound; }

// A T or the error that prevented it. Using the value of an error aborts.
template <typename T>
class StatusOr {
 public:
  StatusOr(const Status& status) : status_(status) { CheckNotOk(); }
  StatusOr(Status&& status) : status_(std::move(status)) { CheckNotOk(); }
  template <typename U = T,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, StatusOr> > >
  StatusOr(U&& value) : has_value_(true) {
    new (&value_) T(std::forward<U>(value));
  }
  StatusOr(const StatusOr& other) : status_(other.status_), has_value_(other.has_value_) {
    if (has_value_) new (&value_) T(other.value_);
  }
  StatusOr(StatusOr&& other) noexcept
      : status_(std::move(other.status_)), has_value_(other.has_value_) {
    if (has_value_) new (&value_) T(std::move(other.value_));
  }
  StatusOr& operator=(const StatusOr& other) {
    if (this != &other) Assign(other);
    return *this;
  }
  StatusOr& operator=(StatusOr&& other) noexcept {
    if (this != &other) Assign(std::move(other));
    return *this;
  }
  ~StatusOr() {
    if (has_value_) value_.~T();
  }

  bool ok() const { return has_value_; }
  const Status& status() const { return status_; }
  const T& value() const& { return Checked(), value_; }
  T& value() & { return Checked(), value_; }
  T&& value() && { return Checked(), std::move(value_); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  void CheckNotOk() const {
    if (status_.ok()) std::abort();  // A StatusOr made from OkStatus() holds nothing.
  }
  void Checked() const {
    if (!has_value_) std::abort();
  }
  template <typename Other>
  void Assign(Other&& other) {
    if (has_value_) value_.~T();
    has_value_ = other.has_value_;
    status_ = std::forward<Other>(other).status_;
    if (has_value_) new (&value_) T(std::forward<Other>(other).value_);
  }

  Status status_;
  bool has_value_ = false;
  union {
    T value_;
  };
};

// ---- Views ----

template <typename T>
class Span {
 public:
  using value_type = std::remove_cv_t<T>;
  using iterator = T*;
  using const_iterator = T*;

  constexpr Span() = default;
  constexpr Span(T* data, size_t size) : data_(data), size_(size) {}
  // Any contiguous container with data() and size() (std::vector, InlinedVector, Span).
  template <typename C, typename = std::enable_if_t<
                            std::is_convertible_v<decltype(std::declval<C&>().data()), T*> &&
                            !std::is_same_v<std::decay_t<C>, Span> > >
  constexpr Span(C& c) : data_(c.data()), size_(c.size()) {}
  template <typename C, typename U = T,
            typename = std::enable_if_t<
                std::is_const_v<U> &&
                std::is_convertible_v<decltype(std::declval<const C&>().data()), T*> &&
                !std::is_same_v<std::decay_t<C>, Span> > >
  constexpr Span(const C& c) : data_(c.data()), size_(c.size()) {}
  // For arguments only (the list lives until the end of the call), as absl::Span.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
  template <typename U = T, typename = std::enable_if_t<std::is_const_v<U> > >
  constexpr Span(std::initializer_list<value_type> list)
      : data_(list.begin()), size_(list.size()) {}
#pragma GCC diagnostic pop

  constexpr T* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr T& operator[](size_t i) const { return data_[i]; }
  constexpr T& front() const { return data_[0]; }
  constexpr T& back() const { return data_[size_ - 1]; }
  constexpr T* begin() const { return data_; }
  constexpr T* end() const { return data_ + size_; }
  constexpr Span subspan(size_t pos, size_t len = static_cast<size_t>(-1)) const {
    return Span(data_ + pos, len < size_ - pos ? len : size_ - pos);
  }
  friend bool operator==(Span a, Span b) {
    if (a.size_ != b.size_) return false;
    for (size_t i = 0; i < a.size_; ++i) {
      if (!(a.data_[i] == b.data_[i])) return false;
    }
    return true;
  }
  friend bool operator!=(Span a, Span b) { return !(a == b); }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

template <typename T>
constexpr Span<const T> MakeConstSpan(T* data, size_t size) {
  return Span<const T>(data, size);
}

// A vector of trivially copyable values, kept inline up to N (shapes: no allocation up to
// rank N).
template <typename T, size_t N>
class InlinedVector {
  static_assert(std::is_trivially_copyable_v<T>, "InlinedVector holds plain values only");

 public:
  using value_type = T;
  using size_type = size_t;
  using iterator = T*;
  using const_iterator = const T*;
  using reference = T&;
  using const_reference = const T&;

  InlinedVector() = default;
  explicit InlinedVector(size_t n, const T& value = T()) { assign(n, value); }
  InlinedVector(std::initializer_list<T> list) { assign(list.begin(), list.end()); }
  template <typename It, typename = decltype(*std::declval<It&>()),
            typename = decltype(++std::declval<It&>())>
  InlinedVector(It first, It last) {
    assign(first, last);
  }
  InlinedVector(const InlinedVector& other) { assign(other.begin(), other.end()); }
  InlinedVector(InlinedVector&& other) noexcept { Take(other); }
  InlinedVector& operator=(const InlinedVector& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  InlinedVector& operator=(InlinedVector&& other) noexcept {
    if (this != &other) {
      Free();
      Take(other);
    }
    return *this;
  }
  InlinedVector& operator=(std::initializer_list<T> list) {
    assign(list.begin(), list.end());
    return *this;
  }
  ~InlinedVector() { Free(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& front() { return data_[0]; }
  const T& front() const { return data_[0]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

  void reserve(size_t n) {
    if (n <= capacity_) return;
    T* grown = static_cast<T*>(std::malloc(n * sizeof(T)));
    if (grown == nullptr) std::abort();
    size_t size = size_;
    if (size > 0) std::memcpy(static_cast<void*>(grown), data_, size * sizeof(T));
    Free();
    data_ = grown;
    size_ = size;
    capacity_ = n;
  }
  void clear() { size_ = 0; }
  void resize(size_t n, const T& value = T()) {
    if (n > capacity_) reserve(n > 2 * capacity_ ? n : 2 * capacity_);
    for (size_t i = size_; i < n; ++i) data_[i] = value;
    size_ = n;
  }
  void assign(size_t n, const T& value) {
    clear();
    resize(n, value);
  }
  template <typename It>
  void assign(It first, It last) {
    clear();
    for (; first != last; ++first) push_back(static_cast<T>(*first));
  }
  void push_back(const T& value) {
    if (size_ == capacity_) reserve(2 * capacity_);
    data_[size_++] = value;
  }
  T& emplace_back(const T& value) {
    push_back(value);
    return back();
  }
  void pop_back() { --size_; }
  T* insert(const T* pos, const T& value) {
    size_t at = static_cast<size_t>(pos - data_);
    T copy = value;
    push_back(copy);
    for (size_t i = size_ - 1; i > at; --i) data_[i] = data_[i - 1];
    data_[at] = copy;
    return data_ + at;
  }
  template <typename It, typename = decltype(*std::declval<It&>())>
  T* insert(const T* pos, It first, It last) {
    size_t at = static_cast<size_t>(pos - data_);
    for (size_t i = at; first != last; ++first, ++i) insert(data_ + i, static_cast<T>(*first));
    return data_ + at;
  }
  T* erase(const T* pos) { return erase(pos, pos + 1); }
  T* erase(const T* first, const T* last) {
    size_t at = static_cast<size_t>(first - data_);
    size_t count = static_cast<size_t>(last - first);
    for (size_t i = at; i + count < size_; ++i) data_[i] = data_[i + count];
    size_ -= count;
    return data_ + at;
  }

  friend bool operator==(const InlinedVector& a, const InlinedVector& b) {
    if (a.size_ != b.size_) return false;
    for (size_t i = 0; i < a.size_; ++i) {
      if (!(a.data_[i] == b.data_[i])) return false;
    }
    return true;
  }
  friend bool operator!=(const InlinedVector& a, const InlinedVector& b) { return !(a == b); }

 private:
  bool Inline() const { return data_ == inline_; }
  void Free() {
    if (!Inline()) std::free(data_);
    data_ = inline_;
    capacity_ = N;
    size_ = 0;
  }
  // Takes other's elements (other must not own a heap buffer of this).
  void Take(InlinedVector& other) {
    if (other.Inline()) {
      std::memcpy(static_cast<void*>(inline_), other.inline_, other.size_ * sizeof(T));
      data_ = inline_;
      capacity_ = N;
    } else {
      data_ = other.data_;
      capacity_ = other.capacity_;
      other.data_ = other.inline_;
      other.capacity_ = N;
    }
    size_ = other.size_;
    other.size_ = 0;
  }

  T inline_[N];
  T* data_ = inline_;
  size_t size_ = 0;
  size_t capacity_ = N;
};

// ---- Strings ----

// One piece of StrCat: text, or an integer in decimal (as absl::AlphaNum).
class AlphaNum {
 public:
  AlphaNum(string_view text) : piece_(text) {}
  AlphaNum(const char* text) : piece_(text) {}
  AlphaNum(const std::string& text) : piece_(text) {}
  AlphaNum(int v) : AlphaNum(static_cast<long long>(v)) {}
  AlphaNum(long v) : AlphaNum(static_cast<long long>(v)) {}
  AlphaNum(long long v);
  AlphaNum(unsigned v) : AlphaNum(static_cast<unsigned long long>(v)) {}
  AlphaNum(unsigned long v) : AlphaNum(static_cast<unsigned long long>(v)) {}
  AlphaNum(unsigned long long v);
  // absl's six-significant-digit form (%g, "nan" without a sign).
  AlphaNum(double v);
  AlphaNum(char) = delete;
  string_view piece() const { return piece_; }

 private:
  string_view piece_;
  char digits_[32];
};

std::string StrCatPieces(std::initializer_list<string_view> pieces);
void StrAppendPieces(std::string* out, std::initializer_list<string_view> pieces);

template <typename... Args>
std::string StrCat(const Args&... args) {
  return StrCatPieces({static_cast<const AlphaNum&>(AlphaNum(args)).piece()...});
}
template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  StrAppendPieces(out, {static_cast<const AlphaNum&>(AlphaNum(args)).piece()...});
}

bool StartsWith(string_view text, string_view prefix);
// Without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
string_view StripAsciiWhitespace(string_view text);
// Decimal integers as absl::SimpleAtoi: surrounding ASCII whitespace, an optional sign, digits;
// false (and *out unspecified) on anything else or overflow.
bool SimpleAtoi(string_view text, int64_t* out);
bool SimpleAtoi(string_view text, uint64_t* out);
bool SimpleAtoi(string_view text, int32_t* out);

}  // namespace noma::base

#endif  // NOMA_RUNTIME_ABSL

#endif  // NOMA_RUNTIME_BASE_H_
