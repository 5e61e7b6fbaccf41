// An interface name as the name index compares it (NameIndex): its hash, its length and, up to
// kInlineNameBytes bytes (an ENI id's 21), its bytes. The parser makes one for each distinct
// name of a chunk while the name's text is in cache (Column::dict_keys), so that the consumers
// that look the chunk's names up in their own indexes read neither the chunk's text nor the
// names they hold.
#ifndef FLOWSIFT_PIPELINE_NAME_KEY_H_
#define FLOWSIFT_PIPELINE_NAME_KEY_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "pipeline/distinct.h"

namespace flowsift {

// Every byte of an interface name: ids like eni-0123456789abcdef0 differ anywhere. Up to 24
// bytes, three overlapping 8-byte words (first, middle, last) cover them all, so one mix
// serves the common 21-byte eni and tgw ids; longer names mix 8 bytes at a time. Equal names
// hash equal everywhere (Aggregator::Route relies on it).
inline uint64_t HashName(std::string_view name) {
  const size_t n = name.size();
  const char* p = name.data();
  if (n >= 8 && n <= 24) {
    uint64_t a, b, c;
    memcpy(&a, p, 8);
    memcpy(&b, p + n / 2 - 4, 8);
    memcpy(&c, p + n - 8, 8);
    // Odd multipliers and distinct rotations keep the three words from cancelling.
    return Mix64((a * 0x9E3779B97F4A7C15ull) ^ std::rotl(b * 0xC2B2AE3D27D4EB4Full, 21) ^
                 std::rotl(c * 0x165667B19E3779F9ull, 42) ^ n);
  }
  uint64_t h = n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    memcpy(&word, p + i, 8);
    h = Mix64(h ^ word);
  }
  if (i < n) {
    uint64_t word = 0;
    memcpy(&word, p + i, n - i);
    h = Mix64(h ^ word);
  }
  return h;
}

inline constexpr size_t kInlineNameBytes = 23;
inline constexpr uint8_t kLongName = 255;  // NameKey::length of a name over kInlineNameBytes

struct alignas(32) NameKey {
  uint64_t hash = 0;                 // Hash(name): HashName, or a test's
  uint8_t length = 0;                // the name's length, or kLongName
  char text[kInlineNameBytes] = {};  // a short name's bytes, zero after them

  template <uint64_t (*Hash)(std::string_view) = HashName>
  static NameKey Of(std::string_view name) {
    NameKey k;
    k.hash = Hash(name);
    if (name.size() <= kInlineNameBytes) {
      k.length = static_cast<uint8_t>(name.size());
      memcpy(k.text, name.data(), name.size());
    } else {
      k.length = kLongName;
    }
    return k;
  }
  // The length and the bytes (not the hash) equal: for short names, the names are equal. Three
  // words of the key's object bytes past the hash, compared without a branch.
  [[gnu::always_inline]] bool SameShape(const NameKey& o) const {
    uint64_t a[3], b[3];
    memcpy(a, reinterpret_cast<const char*>(this) + offsetof(NameKey, length), 24);
    memcpy(b, reinterpret_cast<const char*>(&o) + offsetof(NameKey, length), 24);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2])) == 0;
  }
};
static_assert(sizeof(NameKey) == 32 && offsetof(NameKey, length) == 8);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_NAME_KEY_H_
