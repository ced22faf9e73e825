#ifndef NOMA_RUNTIME_FORMAT_H_
#define NOMA_RUNTIME_FORMAT_H_

#include <string>

#include "noma/runtime/tensor.h"

namespace noma::runtime {

// docs/language.md §9: shortest round-trip digits laid out like Python's repr(float), integral
// values without ".0" ("25", "-3", "-0"), scientific when the exponent is < -4 or >= 16 ("1e-05",
// "1e+16"), and "nan", "inf", "-inf".
std::string FormatScalar(double value);
// The shortest decimal that reads back as `value` (positive, finite), nearest to it among
// those (std::to_chars's digits): writes its significant digits to `digits` (no terminator),
// sets *exponent to the power of ten of the first digit, and returns the number of digits.
int ShortestDigits(double value, char digits[17], int* exponent);
// Nested brackets "[[1, 2], [3, 4]]"; over 1000 elements, NumPy-style summary keeping the first
// and last 3 entries of every axis with "..." between. Rank 0 prints as a scalar.
std::string FormatTensor(const Tensor& tensor);

}  // namespace noma::runtime

#endif  // NOMA_RUNTIME_FORMAT_H_
