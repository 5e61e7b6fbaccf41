// An insert-only open-addressing hash map for the aggregation tables: small trivially
// comparable keys, values that only grow, no erase.
#ifndef FLOWSIFT_PIPELINE_FLAT_MAP_H_
#define FLOWSIFT_PIPELINE_FLAT_MAP_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace flowsift {

// Keys and values live in the probe table itself, so a lookup costs one cache miss (which
// Prefetch can start early) where std::unordered_map costs a bucket, a node and an allocation
// per key. Linear probing, load factor at most 3/4. `Hash` must return a well-mixed 64-bit
// value: the low bits pick the slot, the high 32 bits are a tag that screens key compares.
// Inserting may move every entry: references stay valid only until the next insert.
// Iteration order is the slot order, which depends on the keys and insertion history:
// callers sort what they output.
template <typename Key, typename Value, typename Hash>
class FlatMap {
 public:
  using Entry = std::pair<Key, Value>;

  // The value for `key`, value-initialized on first sight.
  Value& operator[](const Key& key) { return FindOrInsert(key, Hash{}(key)); }
  // The same when the caller already holds h == Hash{}(key).
  Value& FindOrInsert(const Key& key, uint64_t h) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    const uint32_t tag = TagOf(h);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.tag == 0) {
        slot.tag = tag;
        slot.entry.first = key;
        ++size_;
        return slot.entry.second;
      }
      if (slot.tag == tag && slot.entry.first == key) return slot.entry.second;
    }
  }
  // Starts loading the slot where a key of hash `h` begins its probe.
  void Prefetch(uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & mask_]);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  class const_iterator {
   public:
    const Entry& operator*() const { return it_->entry; }
    const_iterator& operator++() {
      ++it_;
      Skip();
      return *this;
    }
    bool operator==(const const_iterator& o) const { return it_ == o.it_; }

   private:
    friend class FlatMap;
    using SlotIt = typename std::vector<typename FlatMap::Slot>::const_iterator;
    const_iterator(SlotIt it, SlotIt end) : it_(it), end_(end) { Skip(); }
    void Skip() {
      while (it_ != end_ && it_->tag == 0) ++it_;
    }
    SlotIt it_, end_;
  };
  const_iterator begin() const { return {slots_.begin(), slots_.end()}; }
  const_iterator end() const { return {slots_.end(), slots_.end()}; }

 private:
  struct Slot {
    uint32_t tag = 0;  // 0 marks an empty slot
    Entry entry{};
  };
  static uint32_t TagOf(uint64_t h) {
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    return tag != 0 ? tag : 1;
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(old.empty() ? 16 : old.size() * 2);
    mask_ = slots_.size() - 1;
    for (Slot& s : old) {
      if (s.tag == 0) continue;
      // The tag holds only the hash's high half: recompute for the slot.
      size_t i = Hash{}(s.entry.first) & mask_;
      while (slots_[i].tag != 0) i = (i + 1) & mask_;
      slots_[i].tag = s.tag;
      slots_[i].entry = std::move(s.entry);
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_FLAT_MAP_H_
