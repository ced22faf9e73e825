#ifndef NOMA_RUNTIME_INTERNAL_FLOAT16_H_
#define NOMA_RUNTIME_INTERNAL_FLOAT16_H_

// Exact widening of 16-bit floats (IEEE binary16 and bfloat16) to double. Not public API.

#include <cstdint>

namespace noma::runtime::internal {

// IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits; subnormals, ±inf and NaN
// are widened exactly (NaN keeps its sign; the payload is not preserved).
double HalfToDouble(uint16_t bits);
// bfloat16: the upper 16 bits of an IEEE binary32.
double BFloat16ToDouble(uint16_t bits);
// IEEE binary32 bit pattern to double (exact).
double Float32BitsToDouble(uint32_t bits);

}  // namespace noma::runtime::internal

#endif  // NOMA_RUNTIME_INTERNAL_FLOAT16_H_
