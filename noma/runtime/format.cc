#include "noma/runtime/format.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace noma::runtime {

namespace {

// value = mantissa * 10^exponent, mantissa with `digits` digits.
struct Decimal {
  uint64_t mantissa;
  int exponent;
};

// Whether `d` reads back (strtod, round to nearest even) as `value`.
bool RoundTrips(Decimal d, double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%llue%d", static_cast<unsigned long long>(d.mantissa),
                d.exponent);
  return std::strtod(text, nullptr) == value;
}

// The decimal of `digits` significant digits nearest to `value` (printf's exact rounding).
Decimal Nearest(double value, int digits) {
  char text[40];
  std::snprintf(text, sizeof text, "%.*e", digits - 1, value);
  Decimal d{0, 0};
  const char* p = text;
  for (; *p != 'e'; ++p) {
    if (*p != '.') d.mantissa = d.mantissa * 10 + static_cast<uint64_t>(*p - '0');
  }
  d.exponent = std::atoi(p + 1) - (digits - 1);
  return d;
}

// Of the decimals of `digits` digits, one that reads back as `value`, the nearest to it:
// printf's rounding, or (when `value` is a power of two, whose rounding interval is narrower
// below than above) the next one up or down.
bool ShortestAt(double value, int digits, Decimal* out) {
  Decimal nearest = Nearest(value, digits);
  if (RoundTrips(nearest, value)) {
    *out = nearest;
    return true;
  }
  int exponent = 0;
  if (std::frexp(value, &exponent) != 0.5) return false;
  for (int64_t step : {-1, 1}) {
    Decimal next{nearest.mantissa + static_cast<uint64_t>(step), nearest.exponent};
    if (RoundTrips(next, value)) {
      *out = next;
      return true;
    }
  }
  return false;
}

}  // namespace

int ShortestDigits(double value, char digits[17], int* exponent) {
  // A decimal that reads back at p <= 15 digits is also the (15-digit) nearest one, so one
  // test at 15 tells whether to search from 1 up or only 16 and 17.
  Decimal d{0, 0};
  int count = 15;
  if (ShortestAt(value, 15, &d)) {
    for (count = 1; count < 15 && !ShortestAt(value, count, &d); ++count) {
    }
  } else if (!ShortestAt(value, ++count, &d)) {
    d = Nearest(value, ++count);  // 17 digits always read back.
  }
  char text[24];
  int n = std::snprintf(text, sizeof text, "%llu", static_cast<unsigned long long>(d.mantissa));
  // A step up may carry into one more digit (99 -> 100); trailing zeros are not digits.
  while (n > 1 && text[n - 1] == '0') {
    --n;
    ++d.exponent;
  }
  std::memcpy(digits, text, static_cast<size_t>(n));
  *exponent = d.exponent + n - 1;
  return n;
}

std::string FormatScalar(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  bool negative = value < 0;
  char buffer[17];
  int exponent = 0;
  std::string digits(buffer,
                     static_cast<size_t>(ShortestDigits(std::fabs(value), buffer, &exponent)));
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    // Python repr: mantissa digits, then e±XX with at least two exponent digits.
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exponent < 0 ? "e-" : "e+";
    int magnitude = std::abs(exponent);
    if (magnitude < 10) out += "0";
    out += base::StrCat(magnitude);
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
