// FNV-1a, 64 bits: a stable hash of text for identities written to files (finding ids, a run's
// input list), the same on every machine and version. Not for hash tables (Mix64 is).
#ifndef FLOWSIFT_PIPELINE_FNV_H_
#define FLOWSIFT_PIPELINE_FNV_H_

#include <cstdint>
#include <string_view>

namespace flowsift {

inline constexpr uint64_t kFnvOffset = 0xCBF29CE484222325ull;

// `h` (kFnvOffset to start) after the bytes of `s`.
inline uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (const unsigned char c : s) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return h;
}

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_FNV_H_
