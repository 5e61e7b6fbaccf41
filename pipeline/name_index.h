// Dense ids for interface names, shared by the aggregator's interfaces and the detector's
// names: each consumer looks up every name of every chunk it is handed (LocalIdMap, once per
// name and chunk), which with 10,000 interfaces is 10,000 lookups a 16 MiB chunk.
#ifndef FLOWSIFT_PIPELINE_NAME_INDEX_H_
#define FLOWSIFT_PIPELINE_NAME_INDEX_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "pipeline/distinct.h"
#include "pipeline/parse_chunk.h"

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

// Names to ids 0, 1, 2, ... in the order they were first added; the names themselves live with
// the caller, which hands them to Find (name_of(id)). Open addressing over HashName: a slot
// holds tag << 32 | (id + 1), 0 empty, so a lookup allocates nothing and compares a name's
// bytes only on a match of the hash's top 32 bits. At most half full.
class NameIndex {
 public:
  // The id of `name` among the `count` names added so far (name_of(id) gives id's name), or
  // `count` itself when it is not among them: then it is added as id `count`, and the caller
  // must make name_of(count) return it from now on.
  template <typename NameOf>
  uint32_t FindOrAdd(std::string_view name, uint32_t count, NameOf&& name_of) {
    if ((size_t{count} + 1) * 2 > slots_.size()) Grow(count, name_of);
    const uint64_t h = HashName(name);
    const uint64_t tag = h >> 32 << 32;
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint64_t slot = slots_[i];
      if (slot == 0) {
        slots_[i] = tag | (uint64_t{count} + 1);
        return count;
      }
      if ((slot & ~uint64_t{0xFFFFFFFF}) == tag) {
        const uint32_t id = static_cast<uint32_t>(slot) - 1;
        if (SameBytes(name_of(id), name)) return id;
      }
    }
  }

 private:
  template <typename NameOf>
  void Grow(uint32_t count, NameOf&& name_of) {
    // Room for `count` names and one more at most half full: an index made over names that
    // exist already (a copied state's) starts at their number.
    size_t size = slots_.empty() ? 64 : slots_.size() * 2;
    while ((size_t{count} + 1) * 2 > size) size *= 2;
    slots_.assign(size, 0);
    const size_t mask = slots_.size() - 1;
    for (uint32_t id = 0; id < count; ++id) {
      const uint64_t h = HashName(name_of(id));
      size_t i = h & mask;
      while (slots_[i] != 0) i = (i + 1) & mask;
      slots_[i] = (h >> 32 << 32) | (uint64_t{id} + 1);
    }
  }

  std::vector<uint64_t> slots_;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_NAME_INDEX_H_
