// Distinct counts that stay exact while small and become a HyperLogLog sketch when large, so a
// window with a million scanning sources costs 16 KiB, not a million set entries.
#ifndef FLOWSIFT_PIPELINE_DISTINCT_H_
#define FLOWSIFT_PIPELINE_DISTINCT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace flowsift {

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
  DistinctCounter(const DistinctCounter& other);
  DistinctCounter& operator=(const DistinctCounter& other);
  DistinctCounter(DistinctCounter&&) noexcept = default;
  DistinctCounter& operator=(DistinctCounter&&) noexcept = default;

  // `hash` must be a well-mixed 64-bit hash (e.g. Mix64 below), not a raw value.
  void Add(uint64_t hash);
  void Merge(const DistinctCounter& other);
  // Exact count while exact(), else the HLL estimate (with the small-range correction).
  uint64_t Count() const;
  bool exact() const { return registers_ == nullptr; }

 private:
  void InsertExact(uint64_t hash);
  void ToSketch();
  void AddToSketch(uint64_t hash);

  // Open addressing over non-zero hashes (0 marks an empty slot; a zero hash is stored as 1).
  std::vector<uint64_t> set_;
  size_t set_size_ = 0;
  std::unique_ptr<uint8_t[]> registers_;  // 2^kPrecision when a sketch
};

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

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_DISTINCT_H_
