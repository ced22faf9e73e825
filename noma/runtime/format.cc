#include "noma/runtime/format.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace noma::runtime {

std::string FormatScalar(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  // Shortest round-trip digits in scientific form: d[.ddd]e±X.
  char buffer[64];
  auto result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  std::string sci(buffer, result.ptr);
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  int exponent = std::atoi(sci.c_str() + e + 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    // Python repr: mantissa digits, then e±XX with at least two exponent digits.
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exponent < 0 ? "e-" : "e+";
    int magnitude = std::abs(exponent);
    if (magnitude < 10) out += "0";
    out += std::to_string(magnitude);
  } else if (exponent < 0) {
    out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
    // Integral: no ".0" (docs/language.md §9).
    out = digits + std::string(static_cast<size_t>(exponent) + 1 - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<size_t>(exponent) + 1) + "." +
          digits.substr(static_cast<size_t>(exponent) + 1);
  }
  return negative ? "-" + out : out;
}

namespace {

constexpr int64_t kSummaryThreshold = 1000;
constexpr int64_t kEdgeItems = 3;

void FormatAxis(const Tensor& t, size_t axis, int64_t offset, bool summarize, std::string& out) {
  const Shape& shape = t.shape();
  int64_t n = shape[axis];
  int64_t stride = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d) stride *= shape[d];
  out += '[';
  bool elide = summarize && n > 2 * kEdgeItems;
  for (int64_t i = 0; i < n; ++i) {
    if (elide && i == kEdgeItems) {
      out += "..., ";
      i = n - kEdgeItems;
    }
    if (axis + 1 == shape.size()) {
      out += FormatScalar(t.data()[offset + i]);
    } else {
      FormatAxis(t, axis + 1, offset + i * stride, summarize, out);
    }
    if (i + 1 < n) out += ", ";
  }
  out += ']';
}

}  // namespace

std::string FormatTensor(const Tensor& tensor) {
  if (tensor.rank() == 0) return FormatScalar(tensor.scalar());
  if (tensor.size() == 0) return "[]";  // Like NumPy's str() of any empty array.
  std::string out;
  FormatAxis(tensor, 0, 0, tensor.size() > kSummaryThreshold, out);
  return out;
}

}  // namespace noma::runtime
