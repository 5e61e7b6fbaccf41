// Runs a libFuzzer harness without libFuzzer, so every CI build (gcc, no sanitizer runtime)
// exercises it: each file of the seed corpus as is, then deterministic mutations of it (byte
// flips, inserted delimiters, '\r', 0xFF and NUL, truncations, splices of two seeds).
// Usage: <harness>_replay CORPUS_DIR [MUTATIONS_PER_SEED]
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

uint64_t Next(uint64_t& s) {  // splitmix64
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string Mutate(const std::string& seed, const std::string& other, uint64_t& rng) {
  static const char kInserts[] = {' ', '\n', '\r', '\t', '\0', '\xff', '-', ':', '.', '9'};
  std::string s = seed;
  const int steps = 1 + static_cast<int>(Next(rng) % 4);
  for (int i = 0; i < steps; ++i) {
    const size_t pos = s.empty() ? 0 : Next(rng) % (s.size() + 1);
    switch (Next(rng) % 5) {
      case 0:
        if (pos < s.size()) s[pos] = static_cast<char>(Next(rng));
        break;
      case 1:
        s.insert(pos, 1, kInserts[Next(rng) % sizeof kInserts]);
        break;
      case 2:
        if (pos < s.size()) s.erase(pos, 1 + Next(rng) % 8);
        break;
      case 3:
        s.resize(pos);
        break;
      case 4:
        s.insert(pos, other.substr(0, Next(rng) % (other.size() + 1)));
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS_PER_SEED]\n", argv[0]);
    return 2;
  }
  const int mutations = argc > 2 ? std::atoi(argv[2]) : 2000;
  std::vector<std::string> seeds;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(argv[1])) paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "no seeds in %s\n", argv[1]);
    return 1;
  }
  uint64_t rng = 1;
  size_t runs = 0;
  for (size_t i = 0; i < seeds.size(); ++i) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(seeds[i].data()), seeds[i].size());
    for (int m = 0; m < mutations; ++m) {
      const std::string input = Mutate(seeds[i], seeds[Next(rng) % seeds.size()], rng);
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
      ++runs;
    }
  }
  std::printf("%zu seeds, %zu mutated inputs: no crash, no mismatch\n", seeds.size(), runs);
  return 0;
}
