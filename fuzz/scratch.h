#ifndef FUZZ_SCRATCH_H_
#define FUZZ_SCRATCH_H_
// Files for the fuzz targets whose input is a file (CSV, safetensors).
#include <cstddef>
#include <cstdint>
#include <string>

namespace noma::fuzz {

// A private directory for this process, made on first use ($TEST_TMPDIR or /tmp).
const std::string& ScratchDirectory();

// Writes `size` bytes to `path` (replacing it); aborts if it cannot.
void WriteBytes(const std::string& path, const uint8_t* data, size_t size);

}  // namespace noma::fuzz

#endif  // FUZZ_SCRATCH_H_
