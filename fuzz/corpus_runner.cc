// A main for any libFuzzer target in the default (gcc) build, where libFuzzer is not
// available: runs LLVMFuzzerTestOneInput on every seed input, then on `--runs` mutants made
// from them by a deterministic mutator (bit flips, byte changes, insertions of bytes and
// dictionary words, deletions, duplications, splices). The same flags give the same inputs,
// so a failure reproduces; a finding aborts (the property checks in the target), which fails
// the test. The clang build (fuzz/build.sh) links the same target with libFuzzer instead.
//
//   TARGET_smoke [--runs=N] [--seed=S] [--max_len=L] [--dict=FILE] SEED_FILES_OR_DIRS...
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Dictionary words: lines `"word"` or `name="word"` of a libFuzzer dictionary (\xNN escapes).
std::vector<std::string> ReadDictionary(const std::string& path) {
  std::vector<std::string> words;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t open = line.find('"');
    size_t close = line.rfind('"');
    if (line.empty() || line[0] == '#' || open == std::string::npos || close <= open) continue;
    std::string word;
    for (size_t i = open + 1; i < close; ++i) {
      if (line[i] == '\\' && i + 1 < close && line[i + 1] == 'x' && i + 3 < close) {
        word += static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16));
        i += 3;
      } else if (line[i] == '\\' && i + 1 < close) {
        word += line[++i];
      } else {
        word += line[i];
      }
    }
    words.push_back(word);
  }
  return words;
}

class Mutator {
 public:
  Mutator(uint64_t seed, std::vector<std::string> dictionary)
      : rng_(seed), dictionary_(std::move(dictionary)) {}

  std::string Mutate(const std::vector<std::string>& corpus, size_t max_len) {
    std::string input = corpus[Below(corpus.size())];
    int steps = 1 + static_cast<int>(Below(4));
    for (int s = 0; s < steps; ++s) Step(input, corpus);
    if (input.size() > max_len) input.resize(max_len);
    return input;
  }

 private:
  size_t Below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }

  void Step(std::string& input, const std::vector<std::string>& corpus) {
    static const char kInteresting[] = {'\0', '\n', '"', '\\', '{', '}', '[', ']',    ',',   '-',
                                        '.',  'e',  '0', '9',  ';', '(', ')', '\xff', '\x80'};
    size_t at = Below(input.size() + 1);
    switch (Below(8)) {
      case 0:
        if (!input.empty()) input[Below(input.size())] ^= static_cast<char>(1 << Below(8));
        break;
      case 1:
        if (!input.empty()) input[Below(input.size())] = static_cast<char>(Below(256));
        break;
      case 2:
        input.insert(at, 1, kInteresting[Below(sizeof kInteresting)]);
        break;
      case 3:
        if (!dictionary_.empty()) input.insert(at, dictionary_[Below(dictionary_.size())]);
        break;
      case 4:
        if (!input.empty()) input.erase(Below(input.size()), 1 + Below(16));
        break;
      case 5:
        if (!input.empty()) {
          size_t from = Below(input.size());
          input.insert(at, input.substr(from, 1 + Below(32)));
        }
        break;
      case 6: {
        const std::string& other = corpus[Below(corpus.size())];
        input = input.substr(0, at) + other.substr(Below(other.size() + 1));
        break;
      }
      default:
        if (!input.empty()) input.resize(Below(input.size()));
        break;
    }
  }

  std::mt19937_64 rng_;
  std::vector<std::string> dictionary_;
};

}  // namespace

int main(int argc, char** argv) {
  int64_t runs = 2000;
  uint64_t seed = 1;
  size_t max_len = 8192;
  std::vector<std::string> dictionary;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--runs=", 0) == 0) {
      runs = std::atoll(arg.c_str() + 7);
    } else if (arg.rfind("--seed=", 0) == 0) {
      seed = std::strtoull(arg.c_str() + 7, nullptr, 10);
    } else if (arg.rfind("--max_len=", 0) == 0) {
      max_len = std::strtoull(arg.c_str() + 10, nullptr, 10);
    } else if (arg.rfind("--dict=", 0) == 0) {
      dictionary = ReadDictionary(arg.substr(7));
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) corpus.push_back(ReadFile(entry.path().string()));
      }
    } else if (std::filesystem::is_regular_file(arg)) {
      corpus.push_back(ReadFile(arg));
    } else {
      std::fprintf(stderr, "corpus_runner: no such input or flag '%s'\n", argv[i]);
      return 2;
    }
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "corpus_runner: no seed inputs\n");
    return 2;
  }
  for (const std::string& input : corpus) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  Mutator mutator(seed, dictionary);
  for (int64_t n = 0; n < runs; ++n) {
    std::string input = mutator.Mutate(corpus, max_len);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("corpus_runner: %zu seed inputs and %lld mutants (seed %llu), no finding\n",
              corpus.size(), static_cast<long long>(runs), static_cast<unsigned long long>(seed));
  return 0;
}
