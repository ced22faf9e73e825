#ifndef NOMA_RUNTIME_IO_H_
#define NOMA_RUNTIME_IO_H_

#include <map>
#include <string>

#include "noma/runtime/base.h"
#include "noma/runtime/tensor.h"

namespace noma::runtime {

// docs/language.md §8. Errors name the file, and for CSV the line and column
// ("data.csv:3:5: non-numeric cell 'abc'"). Rank-2 result [rows, cols].
base::StatusOr<Tensor> LoadCsv(const std::string& path);
// Rank <= 2; rank 1 writes one value per line. Written to a temporary file and renamed, so a
// failed write never leaves a partial file behind.
base::Status SaveCsv(const Tensor& tensor, const std::string& path);

// Reads F64/F32/F16/BF16 tensors (widened to f64). Every malformed input is an error.
base::StatusOr<std::map<std::string, Tensor>> LoadSafetensors(const std::string& path);
// Writes F64, keys sorted, header padded to 8 bytes; atomic like SaveCsv.
base::Status SaveSafetensors(const std::map<std::string, Tensor>& tensors, const std::string& path);

// Writes `contents` to `path` through a temporary file in the same directory and a rename.
base::Status WriteFileAtomically(const std::string& path, const std::string& contents);

}  // namespace noma::runtime

#endif  // NOMA_RUNTIME_IO_H_
