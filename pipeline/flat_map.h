// Insert-only hash maps for the aggregation and detection tables: small trivially comparable
// keys, values that only grow, no erase. FlatMap keeps entries in its probe table; DenseMap
// keeps big values apart, in insertion order.
#ifndef FLOWSIFT_PIPELINE_FLAT_MAP_H_
#define FLOWSIFT_PIPELINE_FLAT_MAP_H_

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/prefetch.h"
#include "pipeline/huge_pages.h"
#include "pipeline/temporaries.h"

namespace flowsift {

// Keys and values live in the probe table itself, so a lookup costs one cache miss (which
// Prefetch can start early) where std::unordered_map costs a bucket, a node and an allocation
// per key. Linear probing, load factor at most 3/4. `Hash` must return a well-mixed 64-bit
// value: the low bits pick the slot, the high 32 bits are a tag that screens key compares.
// Big tables live on huge pages (huge_pages.h). Inserting may move every entry: references
// stay valid only until the next insert. Iteration order is the slot order, which depends on
// the keys and insertion history: callers sort what they output.
template <typename Key, typename Value, typename Hash>
class FlatMap {
 public:
  using Entry = std::pair<Key, Value>;

 private:
  // An entry exists only in slots with a non-zero tag: the table starts as zeroed memory (a
  // fresh mapping is zero without touching it) and entries are constructed on insert.
  struct Slot {
    uint32_t tag;  // 0 marks an empty slot
    union {
      Entry entry;
    };
    Slot() : tag(0) {}
    ~Slot() {}
  };

 public:
  FlatMap() = default;
  ~FlatMap() { Release(); }
  FlatMap(const FlatMap&) = delete;
  FlatMap& operator=(const FlatMap&) = delete;
  FlatMap(FlatMap&& o) noexcept : slots_(o.slots_), capacity_(o.capacity_), size_(o.size_) {
    o.slots_ = nullptr;
    o.capacity_ = o.size_ = 0;
  }
  FlatMap& operator=(FlatMap&& o) noexcept {
    if (this != &o) {
      Release();
      slots_ = o.slots_, capacity_ = o.capacity_, size_ = o.size_;
      o.slots_ = nullptr;
      o.capacity_ = o.size_ = 0;
    }
    return *this;
  }

  // The value for `key`, value-initialized on first sight.
  Value& operator[](const Key& key) { return FindOrInsert(key, Hash{}(key)); }
  // The same when the caller already holds h == Hash{}(key).
  Value& FindOrInsert(const Key& key, uint64_t h) {
    if ((size_ + 1) * 4 > capacity_ * 3) Rehash(capacity_ == 0 ? kMinCapacity : capacity_ * 2);
    const uint32_t tag = TagOf(h);
    const size_t mask = capacity_ - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.tag == 0) {
        new (&slot.entry) Entry(key, Value());
        slot.tag = tag;  // after: a constructor that throws leaves the slot empty
        ++size_;
        return slot.entry.second;
      }
      if (slot.tag == tag && slot.entry.first == key) return slot.entry.second;
    }
  }
  // The value for `key`, or null when absent.
  const Value* Find(const Key& key) const {
    if (capacity_ == 0) return nullptr;
    const uint64_t h = Hash{}(key);
    const uint32_t tag = TagOf(h);
    const size_t mask = capacity_ - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.tag == 0) return nullptr;
      if (slot.tag == tag && slot.entry.first == key) return &slot.entry.second;
    }
  }
  // Starts loading the slot where a key of hash `h` begins its probe. A slot smaller than a
  // line whose size does not divide it (the talkers' and relays' 48 bytes) spans two lines in
  // half the slots, and the key compare reads both: its last byte's line is loaded too (this
  // core's prefetchers do not fetch it: random probes of 48-byte slots 16 ahead, 6 MB, 7.30 ->
  // 6.22 ns; 50 MB, 16.7 -> 14.0 ns; history "Thirty-fifth session").
  void Prefetch(uint64_t h) const {
    if (capacity_ == 0) return;
    const auto* slot = reinterpret_cast<const char*>(&slots_[h & (capacity_ - 1)]);
    PrefetchLine(slot);
    if constexpr (sizeof(Slot) < 64 && 64 % sizeof(Slot) != 0) {
      PrefetchLine(slot + sizeof(Slot) - 1);
    }
  }
  // Makes room for `n` keys in all, so that inserting them moves nothing.
  void Reserve(size_t n) {
    size_t capacity = kMinCapacity;
    while (capacity * 3 < n * 4) capacity *= 2;
    if (capacity > capacity_) Rehash(capacity);
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
    const_iterator(const typename FlatMap::Slot* it, const typename FlatMap::Slot* end)
        : it_(it), end_(end) {
      Skip();
    }
    void Skip() {
      while (it_ != end_ && it_->tag == 0) ++it_;
    }
    const typename FlatMap::Slot* it_;
    const typename FlatMap::Slot* end_;
  };
  const_iterator begin() const { return {slots_, slots_ + capacity_}; }
  const_iterator end() const { return {slots_ + capacity_, slots_ + capacity_}; }

 private:
  // Small: there is a talker table per window, and a run with a short --window over sparse
  // logs has about as many windows as records.
  static constexpr size_t kMinCapacity = 4;

  static uint32_t TagOf(uint64_t h) {
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    return tag != 0 ? tag : 1;
  }

  // Rare (each doubling), so out of line: inlined into FindOrInsert it made the probe loop
  // around it slower (callgrind, 64 MB of v2: the talkers' FindOrInsert 31.0 -> 23.9 M).
  [[gnu::noinline]] void Rehash(size_t capacity) {
    Slot* old = slots_;
    const size_t old_capacity = capacity_;
    Slot* fresh = static_cast<Slot*>(AllocateTable(capacity * sizeof(Slot)));
    if (fresh == nullptr) ExitOutOfMemory();
    slots_ = fresh;
    capacity_ = capacity;
    const size_t mask = capacity_ - 1;
    for (size_t k = 0; k < old_capacity; ++k) {
      Slot& s = old[k];
      if (s.tag == 0) continue;
      // The tag holds only the hash's high half: recompute for the slot.
      size_t i = Hash{}(s.entry.first) & mask;
      while (slots_[i].tag != 0) i = (i + 1) & mask;
      slots_[i].tag = s.tag;
      new (&slots_[i].entry) Entry(std::move(s.entry));
      s.entry.~Entry();
    }
    FreeTable(old, old_capacity * sizeof(Slot));
  }

  void Release() {
    if constexpr (!std::is_trivially_destructible_v<Entry>) {
      for (size_t k = 0; k < capacity_; ++k) {
        if (slots_[k].tag != 0) slots_[k].entry.~Entry();
      }
    }
    FreeTable(slots_, capacity_ * sizeof(Slot));
    slots_ = nullptr;
  }

  Slot* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t size_ = 0;
};

// A FlatMap from keys to the index of their entry in blocks that never move, for tables whose
// values are big and mostly cold (detection's port-scan and sweep states, ~200-300 bytes).
// Entries fill their blocks densely, in insertion order, and are written once: a FlatMap of
// such values keeps a quarter to half of its slots empty and copies every entry into fresh
// memory at each doubling, and fresh memory is what a run pays for most in page faults (the
// kernel zeroing pages). A lookup of an existing key costs a second cache miss (the entry).
// References stay valid across inserts; iteration is in insertion order.
template <typename Key, typename Value, typename Hash>
class DenseMap {
 public:
  using Entry = std::pair<Key, Value>;

  DenseMap() = default;
  ~DenseMap() { Release(); }
  DenseMap(const DenseMap&) = delete;
  DenseMap& operator=(const DenseMap&) = delete;
  DenseMap(DenseMap&& o) noexcept
      : index_(std::move(o.index_)), blocks_(std::move(o.blocks_)), size_(o.size_) {
    o.blocks_.clear();
    o.size_ = 0;
  }
  DenseMap& operator=(DenseMap&& o) noexcept {
    if (this != &o) {
      Release();
      index_ = std::move(o.index_);
      blocks_ = std::move(o.blocks_);
      size_ = o.size_;
      o.blocks_.clear();
      o.size_ = 0;
    }
    return *this;
  }

  // The value for `key`, value-initialized on first sight.
  Value& operator[](const Key& key) { return FindOrInsert(key, Hash{}(key)); }
  // The same when the caller already holds h == Hash{}(key).
  Value& FindOrInsert(const Key& key, uint64_t h) {
    uint32_t& index = index_.FindOrInsert(key, h);  // 1 + the entry's index; 0 when new
    if (index == 0) {
      // Blocks are raw memory, each entry constructed as it comes: a small map (detection
      // builds one per short attempt list) touches only what it uses.
      if (size_ % kBlock == 0) {
        blocks_.push_back(static_cast<Entry*>(
            ::operator new (kBlock * sizeof(Entry), std::align_val_t{alignof(Entry)})));
      }
      Entry* e = new (&At(size_)) Entry(key, Value());
      index = static_cast<uint32_t>(++size_);
      return e->second;
    }
    return At(index - 1).second;
  }
  // The value for `key`, or null when absent.
  const Value* Find(const Key& key) const {
    const uint32_t* index = index_.Find(key);
    return index != nullptr ? &At(*index - 1).second : nullptr;
  }
  void Prefetch(uint64_t h) const { index_.Prefetch(h); }
  void Reserve(size_t n) { index_.Reserve(n); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  template <bool kConst>
  class Iterator {
   public:
    using Map = std::conditional_t<kConst, const DenseMap, DenseMap>;
    using Ref = std::conditional_t<kConst, const Entry&, Entry&>;
    Ref operator*() const { return map_->At(i_); }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    friend class DenseMap;
    Iterator(Map* map, size_t i) : map_(map), i_(i) {}
    Map* map_;
    size_t i_;
  };
  Iterator<true> begin() const { return {this, 0}; }
  Iterator<true> end() const { return {this, size_}; }
  Iterator<false> begin() { return {this, 0}; }
  Iterator<false> end() { return {this, size_}; }

 private:
  // Blocks of about 64 KiB (a power of two of entries, at least one).
  static constexpr size_t kBlock = std::bit_floor(std::max<size_t>(1, (64 << 10) / sizeof(Entry)));
  static constexpr unsigned kShift = std::countr_zero(kBlock);

  Entry& At(size_t i) { return blocks_[i >> kShift][i & (kBlock - 1)]; }
  const Entry& At(size_t i) const { return blocks_[i >> kShift][i & (kBlock - 1)]; }

  void Release() {
    for (size_t i = 0; i < size_; ++i) At(i).~Entry();
    for (Entry* b : blocks_) ::operator delete (b, std::align_val_t{alignof(Entry)});
    blocks_.clear();
    size_ = 0;
  }

  FlatMap<Key, uint32_t, Hash> index_;
  std::vector<Entry*> blocks_;
  size_t size_ = 0;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_FLAT_MAP_H_
