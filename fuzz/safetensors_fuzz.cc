// libFuzzer target for the safetensors reader (language §8), user-supplied data. For any bytes:
// - LoadSafetensors finishes without crashing, hanging, leaking or allocating beyond what the
//   file holds, and an error names the file;
// - saving what it loaded (as F64) and loading that back gives the same tensors, bit for bit.
// A violated property aborts, which libFuzzer reports as a finding with the input saved.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "fuzz/scratch.h"
#include "noma/runtime/io.h"
#include "noma/runtime/tensor.h"

namespace {

[[noreturn]] void Fail(const char* property, const std::string& detail) {
  std::fprintf(stderr, "safetensors_fuzz: %s\n%s\n", property, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = noma::fuzz::ScratchDirectory();
  const std::string path = dir + "/in.safetensors";
  noma::fuzz::WriteBytes(path, data, size);
  absl::StatusOr<std::map<std::string, noma::runtime::Tensor>> tensors =
      noma::runtime::LoadSafetensors(path);
  if (!tensors.ok()) {
    if (!absl::StrContains(tensors.status().message(), "in.safetensors")) {
      Fail("the error does not name the file", std::string(tensors.status().message()));
    }
    return 0;
  }
  int64_t elements = 0;
  for (const auto& [key, tensor] : *tensors) elements += tensor.size();
  // Every element comes from at least two bytes of the file (F16/BF16).
  if (elements > static_cast<int64_t>(size)) Fail("more elements than the file holds", "");
  const std::string copy = dir + "/copy.safetensors";
  if (absl::Status saved = noma::runtime::SaveSafetensors(*tensors, copy); !saved.ok()) {
    Fail("loaded tensors do not save", std::string(saved.message()));
  }
  absl::StatusOr<std::map<std::string, noma::runtime::Tensor>> again =
      noma::runtime::LoadSafetensors(copy);
  if (!again.ok()) Fail("saved tensors do not load", std::string(again.status().message()));
  if (again->size() != tensors->size()) Fail("save and load changed the keys", "");
  for (const auto& [key, tensor] : *tensors) {
    auto it = again->find(key);
    if (it == again->end()) Fail("save and load lost a key", key);
    if (it->second.shape() != tensor.shape() ||
        (tensor.size() > 0 &&
         std::memcmp(it->second.data(), tensor.data(), sizeof(double) * tensor.size()) != 0)) {
      Fail("save and load changed a tensor", key);
    }
  }
  return 0;
}
