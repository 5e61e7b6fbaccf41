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
// the caller, which hands them to FindOrAdd (name_of(id)). Open addressing over HashName, at
// most half full. A slot holds the hash's top 32 bits, the id and, for a name of up to
// kInlineBytes bytes (an ENI id's 21), the name itself: a lookup of such a name reads its slot
// and nothing else. Through name_of a match cost two more dependent cache misses (the caller's
// record of the name, then the string's heap bytes), which with 10,000 interfaces were most of
// the lookups' time (a day of 10,000 interfaces: docs/performance-history.md, "Forty-ninth
// session"). Longer names (transit gateway attachments' 28 bytes) are compared through
// name_of. `Hash` is HashName but in tests, which give every name one hash to test the compares.
template <uint64_t (*Hash)(std::string_view)>
class BasicNameIndex {
 public:
  // The id of `name` among the `count` names added so far (name_of(id) gives id's name), or
  // `count` itself when it is not among them: then it is added as id `count`, and the caller
  // must make name_of(count) return it from now on.
  template <typename NameOf>
  uint32_t FindOrAdd(std::string_view name, uint32_t count, NameOf&& name_of) {
    if ((size_t{count} + 1) * 2 > slots_.size()) Grow(count, name_of);
    const uint64_t h = Hash(name);
    const uint64_t tag = h >> 32 << 32;
    const uint8_t length = LengthCode(name);
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.head == 0) {
        Fill(slot, tag, count, name);
        return count;
      }
      if ((slot.head & ~uint64_t{0xFFFFFFFF}) == tag && slot.length == length) {
        const uint32_t id = static_cast<uint32_t>(slot.head) - 1;
        if (length != kLong ? InlineEqual(slot.text, name) : SameBytes(name_of(id), name)) {
          return id;
        }
      }
    }
  }

 private:
  static constexpr size_t kInlineBytes = 23;
  static constexpr uint8_t kLong = 255;  // Slot::length of a name longer than kInlineBytes

  struct alignas(32) Slot {
    uint64_t head = 0;             // 0 empty, else the hash's top 32 bits << 32 | (id + 1)
    uint8_t length = 0;            // the name's length, or kLong
    char text[kInlineBytes] = {};  // a short name's bytes, zero after them
  };
  static_assert(sizeof(Slot) == 32);

  static uint8_t LengthCode(std::string_view name) {
    return name.size() <= kInlineBytes ? static_cast<uint8_t>(name.size()) : kLong;
  }
  static void Fill(Slot& slot, uint64_t tag, uint32_t id, std::string_view name) {
    slot.head = tag | (uint64_t{id} + 1);
    slot.length = LengthCode(name);
    if (slot.length != kLong) memcpy(slot.text, name.data(), name.size());
  }
  // A short name against a slot's text of the same length, in 8-byte words where it has them
  // (the last word overlapping the others; the slot's text is kInlineBytes long either way).
  [[gnu::always_inline]] static bool InlineEqual(const char* text, std::string_view name) {
    const size_t n = name.size();
    if (n < 8) return memcmp(text, name.data(), n) == 0;
    uint64_t x, y;
    for (size_t i = 0; i + 8 <= n; i += 8) {
      memcpy(&x, text + i, 8);
      memcpy(&y, name.data() + i, 8);
      if (x != y) return false;
    }
    memcpy(&x, text + n - 8, 8);
    memcpy(&y, name.data() + n - 8, 8);
    return x == y;
  }

  template <typename NameOf>
  void Grow(uint32_t count, NameOf&& name_of) {
    // Room for `count` names and one more at most half full: an index made over names that
    // exist already (a copied state's) starts at their number.
    size_t size = slots_.empty() ? 64 : slots_.size() * 2;
    while ((size_t{count} + 1) * 2 > size) size *= 2;
    slots_.assign(size, Slot{});
    const size_t mask = slots_.size() - 1;
    for (uint32_t id = 0; id < count; ++id) {
      const std::string_view name = name_of(id);
      const uint64_t h = Hash(name);
      size_t i = h & mask;
      while (slots_[i].head != 0) i = (i + 1) & mask;
      Fill(slots_[i], h >> 32 << 32, id, name);
    }
  }

  std::vector<Slot> slots_;
};
using NameIndex = BasicNameIndex<HashName>;

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_NAME_INDEX_H_
