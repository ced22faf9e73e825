#ifndef NOMA_GRAPH_MESSAGES_H_
#define NOMA_GRAPH_MESSAGES_H_

// The text of the language's shape and kind errors (docs/language.md §9). The runtime reports
// them when it finds them while a program runs; the compiler's shape check reports the same
// words, at the same place, when it proves them before the program runs. Shapes arrive
// rendered ("[2, 3]"; a dim the compiler only knows at run time is "?").
//
// Header-only and dependency-free, like the registry, so the runtime can include it.

#include <cstdint>
#include <string>

namespace noma::messages {

inline constexpr char kStringMisuse[] = "a string can only be printed or used as a file path";
inline constexpr char kIndexScalar[] = "cannot index a scalar";

inline std::string CannotBroadcast(const std::string& a, const std::string& b) {
  return "cannot broadcast shapes " + a + " and " + b;
}
inline std::string MatmulRanks(const std::string& a, const std::string& b) {
  return "matmul: expected rank-2 tensors, got " + a + " and " + b;
}
inline std::string MatmulInnerDims(const std::string& a, const std::string& b) {
  return "matmul: inner dimensions differ (" + a + " @ " + b + ")";
}
inline std::string DotShapes(const std::string& a, const std::string& b) {
  return "dot: expected two rank-1 tensors of the same length, got " + a + " and " + b;
}
// `builtin` is "sum" or "mean".
inline std::string AxisOutOfRange(const char* builtin, int64_t axis, int64_t rank) {
  return std::string(builtin) + ": axis " + std::to_string(axis) +
         " is out of range for a tensor of rank " + std::to_string(rank);
}
// `index` is the truncated index as printed ("3").
inline std::string IndexOutOfRange(const std::string& index, int64_t size) {
  return "index " + index + " out of range for dimension of size " + std::to_string(size);
}
inline std::string NegativeIndex(const std::string& index) { return "negative index " + index; }
inline std::string MinimizeTensor(const std::string& shape) {
  return "minimize needs a scalar loss, got a tensor of shape " + shape;
}
inline std::string BatchRows(const std::string& a, const std::string& b) {
  return "batch sources have different numbers of rows (" + a + " and " + b + ")";
}

}  // namespace noma::messages

#endif  // NOMA_GRAPH_MESSAGES_H_
