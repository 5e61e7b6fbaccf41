// Distinct counts that stay exact while small and become a HyperLogLog sketch when large, so a
// window with a million scanning sources costs 16 KiB, not a million set entries.
#ifndef FLOWSIFT_PIPELINE_DISTINCT_H_
#define FLOWSIFT_PIPELINE_DISTINCT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/prefetch.h"
#include "kernels/types.h"

namespace flowsift {

class ByteReader;
class ByteWriter;

// Counts distinct 64-bit hashes. Exact (a set of hashes; 64-bit hashes of addresses collide
// with negligible probability) up to kExactLimit values, then a HyperLogLog with 2^15 one-byte
// registers (32 KiB) and Ertl's 2017 estimator: standard error 1.04 / sqrt(32768) = 0.57%;
// measured worst case over 20 seeds at 16 sizes from 2,049 to 5 million: 1.7% (SPEC 3.1 allows
// 2%; 2^14 registers measured 2.1%). Merge is a union in both forms, and whether a counter is
// exact depends only on the union's size, so the count is a function of the set of values
// alone: partial results from threads or machines combine to the same count in any order.
class DistinctCounter {
 public:
  static constexpr size_t kExactLimit = 2048;
  static constexpr unsigned kPrecision = 15;

  DistinctCounter() = default;
  ~DistinctCounter() {
    if (capacity_ != 0) delete[] heap_;
  }
  DistinctCounter(const DistinctCounter& other);
  DistinctCounter& operator=(const DistinctCounter& other);
  DistinctCounter(DistinctCounter&& other) noexcept
      : size_(other.size_), capacity_(other.capacity_) {
    std::memcpy(inline_, other.inline_, sizeof inline_);  // the inline values or heap_
    other.size_ = other.capacity_ = 0;
  }
  DistinctCounter& operator=(DistinctCounter&& other) noexcept;

  // `hash` must be a well-mixed 64-bit hash (e.g. Mix64 below), not a raw value. Inlined into
  // the aggregation's and detection's row loops, which call it for most rows; AddSlow is not.
  [[gnu::always_inline]] void Add(uint64_t hash) {
    if (hash == 0) hash = 1;  // 0 marks an empty slot; one value for all forms keeps them equal
    if (capacity_ == 0) {
      // Most exposure keys see one or two sources: a scan of the inline values, no heap.
      for (uint32_t i = 0; i < size_; ++i) {
        if (inline_[i] == hash) return;
      }
      if (size_ < kInline) {
        inline_[size_++] = hash;
        return;
      }
    } else if (capacity_ == kSketch) {
      // Busy windows' counters are sketches: the register update inline, no call.
      const size_t index = hash >> (64 - kPrecision);
      uint8_t* r = reinterpret_cast<uint8_t*>(heap_) + index;
      const uint8_t rank = SketchRank(hash);
      if (rank > *r) *r = rank;
      return;
    } else {
      // A table: probe inline; AddSlow only grows it or turns it into a sketch. Most values
      // are present already, so the load factor is checked only for a new one (the table
      // always has an empty slot: it grows before an insert would pass 3/4).
      const uint32_t mask = capacity_ - 1;
      for (uint32_t i = static_cast<uint32_t>(hash) & mask;; i = (i + 1) & mask) {
        if (heap_[i] == hash) return;
        if (heap_[i] == 0) {
          // The value that makes it a sketch, or one that needs a larger table.
          if (size_ + 1 > kExactLimit || Overloaded(uint64_t{size_} + 1, capacity_)) break;
          heap_[i] = hash;
          ++size_;
          return;
        }
      }
    }
    AddSlow(hash);
  }
  // The HLL rank of `hash`: the position of the first 1 after the kPrecision index bits
  // (1-based, as in Flajolet et al. 2007); the sentinel bit caps it at 64 - kPrecision + 1.
  static uint8_t SketchRank(uint64_t hash) {
    const uint64_t rest = (hash << kPrecision) | (uint64_t{1} << (kPrecision - 1));
    return static_cast<uint8_t>(__builtin_clzll(rest) + 1);
  }
  void Merge(const DistinctCounter& other);
  // Makes room for `n` values (at most kExactLimit) in an exact counter, so that adding them
  // grows nothing: a hint from a similar counter (a window's counters from its interface's
  // previous window), which saves the table's growth through 8, 16, 64, 256 and 1,024 slots.
  // Changes no count; a sketch stays as it is.
  void Reserve(size_t n);
  // What Reserve wants to make room for this counter's values again: its exact size, or
  // kExactLimit once a sketch.
  size_t SizeHint() const { return capacity_ == kSketch ? kExactLimit : size_; }
  // Exact count while exact(), else the HLL estimate (with the small-range correction).
  uint64_t Count() const;
  bool exact() const { return capacity_ != kSketch; }

  // Appends the counter (docs/partial.md): form byte 0, u32 n and n hashes while exact;
  // form byte 1 and the 2^kPrecision registers once a sketch.
  void Save(ByteWriter& out) const;
  // Reads what Save wrote and merges it into this counter, so that Load into an empty counter
  // gives one whose Count and Merge equal the saved one's. False (nothing changed) on
  // malformed bytes: an unknown form, more than kExactLimit or zero hashes, a register
  // above its maximum rank.
  [[nodiscard]] bool Load(ByteReader& in);
  // Starts loading the memory Add(hash) will touch: lets a caller hide the cache miss of a
  // large table or sketch behind other rows' work. A hint only; changes nothing.
  void Prefetch(uint64_t hash) const {
    if (capacity_ == kSketch) {
      PrefetchLine(reinterpret_cast<const uint8_t*>(heap_) + (hash >> (64 - kPrecision)));
    } else if (capacity_ != 0) {
      PrefetchLine(heap_ + (hash & (capacity_ - 1)));
    }
  }

 private:
  // Values held without a heap table, in the bytes of heap_ and two more words: the whole
  // counter is 32 bytes, so an exposure slot fills one cache line.
  static constexpr uint32_t kInline = 3;
  // capacity_ of a sketch: registers_ live in heap_ as 2^kPrecision bytes.
  static constexpr uint32_t kSketch = UINT32_MAX;

  // Whether an exact table of `capacity` slots holding `n` values is past its load factor, 3/4.
  static bool Overloaded(uint64_t n, uint64_t capacity) { return n * 4 > capacity * 3; }
  // The sizes a table grows through: kFirstTable slots, 16, then fourfold up to 1,024, then
  // doubling (InsertTable says why). The first table is one cache line: a sparse window's
  // counters hold 4-6 values (a day of 10,000 interfaces has 1.26 M windows of ~7 records,
  // and 16 slots there were ~220 MB of its heap; docs/performance-history.md, "Fiftieth
  // session").
  static constexpr uint32_t kFirstTable = 8;
  static uint64_t NextCapacity(uint64_t capacity) {
    return capacity * (capacity < 16 ? 2 : capacity < 1024 ? 4 : 2);
  }

  void AddSlow(uint64_t hash);
  void InsertTable(uint64_t hash);
  void GrowTable(uint32_t capacity);
  void ToSketch();
  void AddToSketch(uint64_t hash);
  uint8_t* registers() const { return reinterpret_cast<uint8_t*>(heap_); }

  // Three forms, chosen by capacity_: 0, the first size_ values in inline_; a power of two,
  // open addressing over non-zero hashes in heap_[0, capacity_) (0 marks an empty slot, a zero
  // hash is stored as 1); kSketch, HLL registers in heap_. heap_ is read only when capacity_
  // is not 0, inline_ only when it is.
  union {
    uint64_t inline_[kInline] = {};
    uint64_t* heap_;
  };
  uint32_t size_ = 0;
  uint32_t capacity_ = 0;
};
static_assert(sizeof(DistinctCounter) == 32);

// A strong 64-bit mixer (the splitmix64 / Murmur3 finalizer): equal inputs give equal outputs
// on every machine, so counts are deterministic.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

// An address's hash for the distinct counters and the tables keyed by address. Always inlined:
// the aggregation and detection row loops hash one or two addresses a row, and as calls from
// those big functions (which gcc stops inlining into) they cost as much again as the hash.
[[gnu::always_inline]] inline uint64_t HashAddr(const kernels::Addr128& a) {
  return Mix64(a.hi ^ Mix64(a.lo));
}

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_DISTINCT_H_
