// libFuzzer target for the CSV reader (language §8), user-supplied data. For any bytes:
// - LoadCsv finishes without crashing, hanging or leaking, and an error names the file;
// - a loaded table is rank 2 with every element in place;
// - saving it and loading it back gives the same table, bit for bit (finite values).
// A violated property aborts, which libFuzzer reports as a finding with the input saved.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "fuzz/scratch.h"
#include "noma/runtime/io.h"
#include "noma/runtime/tensor.h"

namespace {

[[noreturn]] void Fail(const char* property, const std::string& detail) {
  std::fprintf(stderr, "csv_fuzz: %s\n%s\n", property, detail.c_str());
  std::abort();
}

bool AllFinite(const noma::runtime::Tensor& t) {
  for (double v : t.values()) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = noma::fuzz::ScratchDirectory();
  const std::string path = dir + "/in.csv";
  noma::fuzz::WriteBytes(path, data, size);
  absl::StatusOr<noma::runtime::Tensor> table = noma::runtime::LoadCsv(path);
  if (!table.ok()) {
    if (!absl::StrContains(table.status().message(), "in.csv")) {
      Fail("the error does not name the file", std::string(table.status().message()));
    }
    return 0;
  }
  if (table->rank() != 2) Fail("a loaded CSV is not rank 2", "");
  if (table->shape()[0] * table->shape()[1] != table->size()) Fail("shape and size differ", "");
  if (!AllFinite(*table)) return 0;
  const std::string copy = dir + "/copy.csv";
  if (absl::Status saved = noma::runtime::SaveCsv(*table, copy); !saved.ok()) {
    Fail("a loaded table does not save", std::string(saved.message()));
  }
  absl::StatusOr<noma::runtime::Tensor> again = noma::runtime::LoadCsv(copy);
  if (!again.ok()) Fail("a saved table does not load", std::string(again.status().message()));
  if (again->shape() != table->shape() ||
      (table->size() > 0 &&
       std::memcmp(again->data(), table->data(), sizeof(double) * table->size()) != 0)) {
    Fail("save and load changed the table", "");
  }
  return 0;
}
