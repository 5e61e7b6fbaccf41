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

#include "pipeline/name_key.h"
#include "pipeline/parse_chunk.h"

namespace flowsift {

// Names to ids 0, 1, 2, ... in the order they were first added; the names themselves live with
// the caller, which hands them to FindOrAdd (name_of(id)). Open addressing over the names'
// hashes, at most half full. A slot is a NameKey whose hash field holds the hash's top 32 bits
// and the id: for a name of up to kInlineNameBytes bytes (an ENI id's 21) the slot holds the
// name itself, so a lookup of such a name by its NameKey reads one slot and nothing else.
// Through name_of a match cost two more dependent cache misses (the caller's record of the
// name, then the string's heap bytes), and hashing the chunk's text a third, which with 10,000
// interfaces were most of the lookups' time (docs/performance-history.md, "Forty-ninth
// session"). Longer names (transit gateway attachments' 28 bytes) are compared through
// name_of. `Hash` is HashName but in tests, which give every name one hash to test the
// compares.
template <uint64_t (*Hash)(std::string_view)>
class BasicNameIndex {
 public:
  // The id of `name` (whose key is `key`, NameKey::Of<Hash>(name)) among the `count` names
  // added so far (name_of(id) gives id's name), or `count` itself when it is not among them:
  // then it is added as id `count`, and the caller must make name_of(count) return it from now
  // on.
  template <typename NameOf>
  uint32_t FindOrAdd(const NameKey& key, std::string_view name, uint32_t count, NameOf&& name_of) {
    if ((size_t{count} + 1) * 2 > slots_.size()) Grow(count, name_of);
    const uint64_t tag = key.hash >> 32 << 32;
    const size_t mask = slots_.size() - 1;
    for (size_t i = key.hash & mask;; i = (i + 1) & mask) {
      NameKey& slot = slots_[i];
      if (slot.hash == 0) {
        slot = key;
        slot.hash = tag | (uint64_t{count} + 1);
        return count;
      }
      if ((slot.hash & ~uint64_t{0xFFFFFFFF}) == tag && slot.SameShape(key)) {
        const uint32_t id = static_cast<uint32_t>(slot.hash) - 1;
        if (key.length != kLongName || SameBytes(name_of(id), name)) return id;
      }
    }
  }
  // The same for a name without its key.
  template <typename NameOf>
  uint32_t FindOrAdd(std::string_view name, uint32_t count, NameOf&& name_of) {
    return FindOrAdd(NameKey::Of<Hash>(name), name, count, name_of);
  }

 private:
  template <typename NameOf>
  void Grow(uint32_t count, NameOf&& name_of) {
    // Room for `count` names and one more at most half full: an index made over names that
    // exist already (a copied state's) starts at their number.
    size_t size = slots_.empty() ? 64 : slots_.size() * 2;
    while ((size_t{count} + 1) * 2 > size) size *= 2;
    slots_.assign(size, NameKey{});
    const size_t mask = slots_.size() - 1;
    for (uint32_t id = 0; id < count; ++id) {
      const NameKey key = NameKey::Of<Hash>(name_of(id));
      size_t i = key.hash & mask;
      while (slots_[i].hash != 0) i = (i + 1) & mask;
      slots_[i] = key;
      slots_[i].hash = (key.hash >> 32 << 32) | (uint64_t{id} + 1);
    }
  }

  std::vector<NameKey> slots_;  // hash: 0 empty, else the hash's top 32 bits << 32 | (id + 1)
};
using NameIndex = BasicNameIndex<HashName>;

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_NAME_INDEX_H_
