#ifndef NOMA_RUNTIME_INTERNAL_REALLOC_IMPL_H_
#define NOMA_RUNTIME_INTERNAL_REALLOC_IMPL_H_

// Implementation of the Realloc template declared in tensor.h.

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace noma::runtime {

template <typename Fill>
absl::StatusOr<Tensor> Realloc(const Tensor& t, Shape new_shape, int64_t max_elements,
                               Fill fill) {
  absl::StatusOr<int64_t> count = ElementCount(new_shape);
  if (!count.ok()) return count.status();
  if (*count > max_elements) {
    return absl::ResourceExhaustedError(
        absl::StrCat("realloc to ", ShapeToString(new_shape), " needs ", *count,
                     " elements, more than the limit of ", max_elements));
  }
  std::vector<double> data(static_cast<size_t>(*count));
  const Shape& old_shape = t.shape();
  if (old_shape.size() != new_shape.size() || old_shape.empty()) {
    // Rank change: the mapping is flat, by position.
    for (int64_t i = 0; i < *count; ++i) data[i] = i < t.size() ? t.data()[i] : fill(i);
    return Tensor(std::move(new_shape), std::move(data));
  }
  // Same rank: keep every element whose multi-index exists in both shapes.
  size_t rank = new_shape.size();
  std::vector<int64_t> index(rank, 0);
  for (int64_t flat = 0; flat < *count; ++flat) {
    bool inside = true;
    int64_t old_flat = 0;
    for (size_t d = 0; d < rank; ++d) {
      if (index[d] >= old_shape[d]) inside = false;
      old_flat = old_flat * old_shape[d] + index[d];
    }
    data[flat] = inside ? t.data()[old_flat] : fill(flat);
    for (size_t d = rank; d-- > 0;) {  // Row-major increment.
      if (++index[d] < new_shape[d]) break;
      index[d] = 0;
    }
  }
  return Tensor(std::move(new_shape), std::move(data));
}

}  // namespace noma::runtime

#endif  // NOMA_RUNTIME_INTERNAL_REALLOC_IMPL_H_
