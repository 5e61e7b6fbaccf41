// The exposure table (SPEC 3.3): per (interface, destination port, protocol), the flows from
// external sources accepted and rejected, and their distinct sources.
//
// Its keys are many and mostly cold: on the 1 GiB benchmark 611k keys, 512k of them seen from
// one source only (internet servers' replies to ever new ephemeral ports), so a hash table of
// them (64 MB) took a cache miss for nearly every one of its 1.79 M updates, ~0.3 s of a
// one-thread run however it was prefetched or queued (docs/performance-history.md, sessions
// 19, 20 and 25). Here an update is appended to a log instead; when the log holds as many
// updates as the table has keys (rounded up to a power of two, at least 65,536), it is sorted
// by key (a radix sort) and merged into the table, an array sorted by key, in place from its
// back end: both are sequential passes, and a busy key's updates arrive together, so its
// distinct counter stays in cache while they are added. Each update is sorted a few times and
// each entry moved once per fold, so the cost per update stays constant as the table grows,
// and the log (16 bytes an update) is bounded by the table's keys: memory follows the keys,
// not the input. One thread, 1 GiB:
// aggregation CPU -15% with detection, -20% without (history, "Twenty-fifth session").
#ifndef FLOWSIFT_PIPELINE_EXPOSURE_H_
#define FLOWSIFT_PIPELINE_EXPOSURE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "pipeline/distinct.h"
#include "pipeline/table_array.h"

namespace flowsift {

class ExposureTable {
 public:
  // Keys are interface id << 24 | port << 8 | protocol: below 2^56.
  static constexpr uint64_t kKeyMask = (uint64_t{1} << 56) - 1;

  // Blocks of 2 MiB or more are their own mappings on 2 MiB pages (a fresh 34 MB array on 4 KiB
  // pages cost ~9k page faults), grown by moving their pages (table_array.h).
  template <typename T>
  using Array = TableArray<T>;

  // Relocatable by its bytes (TableArray): integers and a DistinctCounter.
  struct Entry {
    uint64_t key = 0;
    uint64_t accepted = 0, rejected = 0;
    DistinctCounter sources;
  };

  // One record from an external source: a flow to `key`, from the source whose HashAddr is
  // `source_hash`. Inlined into the aggregation's row loop.
  void Add(uint64_t key, uint64_t source_hash, bool accepted, bool rejected) {
    log_.push_back(
        {key | (uint64_t{accepted} << kAcceptedBit) | (uint64_t{rejected} << kRejectedBit),
         source_hash});
    if (log_.size() >= log_limit_) [[unlikely]]
      Fold();
  }

  // Adds entries (any order; a key may repeat) to the table: their counts summed and their
  // counters merged into those of the same key.
  void Merge(std::vector<Entry> more);

  // Folds the log into the table. The readers below give the same answer either way.
  void Fold();

  // The entries in ascending key order, one per key: this table's own when its log is empty,
  // otherwise those of a folded copy made in *spare (so const readers of an unfolded table
  // change nothing and may run at once).
  const Array<Entry>& Entries(ExposureTable* spare) const;

  // The number of keys (folding a copy of the log if it is not empty).
  size_t size() const;

 private:
  static constexpr unsigned kAcceptedBit = 62;
  static constexpr unsigned kRejectedBit = 63;
  // The log folds when it holds as many updates as the table has keys, and at least this many.
  static constexpr size_t kMinLog = size_t{1} << 16;

  struct Update {
    uint64_t key_bits;  // key | accepted << 62 | rejected << 63
    uint64_t source;
  };

  // Sorts log_ by key (stable), a byte a pass from the lowest, skipping bytes all keys share.
  void SortLog();
  // Makes room in spare_ for n entries, at least doubling its capacity when it grows.
  void ReserveSpare(size_t n);

  // Grown by doubling and never shrunk; growing moves their pages, copies nothing.
  Array<Update> log_;
  Array<Update> sort_buffer_;
  Array<Entry> entries_;  // ascending keys, each once
  Array<Entry> spare_;    // Merge's output; kept for its capacity
  size_t log_limit_ = kMinLog;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_EXPOSURE_H_
