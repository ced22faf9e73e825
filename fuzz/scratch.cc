#include "fuzz/scratch.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace noma::fuzz {

const std::string& ScratchDirectory() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/noma_fuzz.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("fuzz: mkdtemp");
      std::abort();
    }
    return new std::string(pattern);
  }();
  return *dir;
}

void WriteBytes(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr || std::fwrite(data, 1, size, file) != size || std::fclose(file) != 0) {
    std::perror(("fuzz: " + path).c_str());
    std::abort();
  }
}

}  // namespace noma::fuzz
