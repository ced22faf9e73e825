#ifndef NOMA_RUNTIME_INTERNAL_REALLOC_IMPL_H_
#define NOMA_RUNTIME_INTERNAL_REALLOC_IMPL_H_

// Implementation of the Realloc template declared in tensor.h (included at its end).

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "noma/runtime/base.h"

namespace noma::runtime {

template <typename Fill>
base::StatusOr<Tensor> Realloc(const Tensor& t, Shape new_shape, int64_t max_elements, Fill fill) {
  base::StatusOr<int64_t> count = ElementCount(new_shape);
  if (!count.ok()) return count.status();
  if (base::Status limit = CheckAllocation(*count, max_elements); !limit.ok()) return limit;
  const Shape& old_shape = t.shape();
  if (new_shape == old_shape) return t;  // Same shape: an unchanged copy.
  std::vector<double> data(static_cast<size_t>(*count));
  const double* src = t.data();
  if (old_shape.size() != new_shape.size()) {
    // Rank change: the mapping is flat, by position.
    int64_t keep = std::min(*count, t.size());
    std::copy(src, src + keep, data.begin());
    for (int64_t i = keep; i < *count; ++i) data[i] = fill(i);
    return Tensor(std::move(new_shape), std::move(data));
  }
  if (*count == 0) return Tensor(std::move(new_shape), std::move(data));
  // Same rank (>= 1): keep every element whose multi-index exists in both shapes. Rows along
  // the last axis are copied as a prefix; `fill` is called in increasing flat-index order.
  size_t outer_rank = new_shape.size() - 1;
  int64_t width = new_shape.back();
  int64_t old_width = old_shape.back();
  int64_t kept_width = std::min(width, old_width);
  int64_t rows = *count / width;
  std::vector<int64_t> index(outer_rank, 0);
  for (int64_t row = 0; row < rows; ++row) {
    bool inside = true;
    int64_t old_row = 0;
    for (size_t d = 0; d < outer_rank; ++d) {
      if (index[d] >= old_shape[d]) {
        inside = false;
        break;
      }
      old_row = old_row * old_shape[d] + index[d];
    }
    int64_t base = row * width;
    int64_t j = 0;
    if (inside) {
      std::copy(src + old_row * old_width, src + old_row * old_width + kept_width,
                data.begin() + base);
      j = kept_width;
    }
    for (; j < width; ++j) data[base + j] = fill(base + j);
    for (size_t d = outer_rank; d-- > 0;) {  // Row-major increment of the outer index.
      if (++index[d] < new_shape[d]) break;
      index[d] = 0;
    }
  }
  return Tensor(std::move(new_shape), std::move(data));
}

}  // namespace noma::runtime

#endif  // NOMA_RUNTIME_INTERNAL_REALLOC_IMPL_H_
