#include "noma/runtime/internal/float16.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace noma::runtime::internal {

double HalfToDouble(uint16_t bits) {
  bool negative = (bits & 0x8000) != 0;
  int exponent = (bits >> 10) & 0x1F;
  int fraction = bits & 0x3FF;
  double magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<double>(fraction), -24);  // Zero or subnormal.
  } else if (exponent == 0x1F) {
    magnitude = fraction == 0 ? std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::quiet_NaN();
  } else {
    magnitude = std::ldexp(static_cast<double>(fraction | 0x400), exponent - 25);
  }
  return negative ? -magnitude : magnitude;
}

double Float32BitsToDouble(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return static_cast<double>(value);
}

double BFloat16ToDouble(uint16_t bits) {
  return Float32BitsToDouble(static_cast<uint32_t>(bits) << 16);
}

}  // namespace noma::runtime::internal
