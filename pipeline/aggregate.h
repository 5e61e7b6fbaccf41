// Per-(interface, window) aggregation, top talkers and exposure: the summary tables of SPEC
// section 3. One Aggregator per partition, fed serially; partial aggregators merge exactly.
#ifndef FLOWSIFT_PIPELINE_AGGREGATE_H_
#define FLOWSIFT_PIPELINE_AGGREGATE_H_

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kernels/types.h"
#include "pipeline/distinct.h"
#include "pipeline/exposure.h"
#include "pipeline/format.h"
#include "pipeline/networks.h"
#include "pipeline/parse_chunk.h"

namespace flowsift {

class ByteReader;
class ByteWriter;

struct AggregateOptions {
  uint32_t window = 600;  // seconds; window_start = start - start % window
  NetworkSet internal = NetworkSet::DefaultInternal();
};

// The partition of `parts` that owns a key whose hash is `h`: the top bits of a multiplicative
// hash scaled to `parts` (Lemire's multiply-shift, no division). The tables pick slots by the
// low bits of other hashes, so a partition's keys still spread over all of its slots.
inline size_t OwnerOfHash(uint64_t h, size_t parts) {
  return static_cast<size_t>(((h * 0x9E3779B97F4A7C15ull) >> 32) * parts >> 32);
}

// The partition that owns address `a` (as a source, and as a destination in detection's
// tables). One Mix64 first, so every bit of the address counts.
inline size_t AddrOwner(const kernels::Addr128& a, size_t parts) {
  return OwnerOfHash(Mix64(a.lo ^ std::rotl(a.hi, 32)), parts);
}

// The partition of `parts` that owns interface `name`'s exposure keys.
size_t InterfaceOwner(std::string_view name, size_t parts);

// The start of the window of width `w` that holds time `t`.
inline uint64_t WindowOf(uint64_t t, uint64_t w) { return t - t % w; }

// WindowOf for every row (w >= 1), without a division or a branch on the data: t / w is
// (t * m) >> k, with k = 40 + ceil(log2 w) and m = floor(2^k / w) + 1, exact for t < 2^40
// (the error t * (m - 2^k / w) / 2^k is below 2^40 / 2^k <= 1 / w, and t / w's fraction is at
// most (w - 1) / w); larger t (not a time: 2^40 seconds is 35,000 years) are divided. It
// replaced WindowCache, a cache of the last row's window, whose test went either way at random: a
// flow log's start times jitter by minutes, so consecutive rows cross a 5-minute boundary about
// every fifth row (callgrind's branch simulation, 64 MB of v2: 311 k mispredicts there). Real
// predictors get most of those right (caches of one width cross together): 1.20 -> 1.01 ns a
// call on the Emerald Rapids Xeon (performance-history.md, "Thirty-fourth session").
class WindowDivider {
 public:
  explicit WindowDivider(uint64_t w)
      : w_(w),
        shift_(kExactBits + std::bit_width(w - 1)),
        m_(static_cast<uint64_t>((static_cast<unsigned __int128>(1) << shift_) / w) + 1) {}
  uint64_t Of(uint64_t t) const { return Index(t) * w_; }
  // t / w: the window's number.
  uint64_t Index(uint64_t t) const {
    if (t >> kExactBits) [[unlikely]] {
      return t / w_;
    }
    return static_cast<uint64_t>((static_cast<unsigned __int128>(t) * m_) >> shift_);
  }

 private:
  static constexpr int kExactBits = 40;
  uint64_t w_;
  int shift_;
  uint64_t m_;  // below 2^41
};

// windows.csv.zst, SPEC 3.1 (one row per interface and window).
struct WindowRow {
  std::string interface_id;
  std::string account_id;
  uint64_t window_start = 0, window_end = 0;
  uint64_t records = 0, nodata = 0, skipdata = 0, accepted = 0, rejected = 0;
  uint64_t packets = 0, bytes = 0, rejected_bytes = 0;
  uint64_t bytes_out_external = 0, bytes_in_external = 0;
  uint64_t distinct_srcaddr = 0, distinct_dstaddr = 0, distinct_dstport = 0;
  friend bool operator==(const WindowRow&, const WindowRow&) = default;
};

// talkers.csv.zst, SPEC 3.3.
struct TalkerRow {
  uint64_t window_start = 0;
  uint32_t rank = 0;
  std::string srcaddr;
  uint64_t bytes = 0, packets = 0, flows = 0;
  friend bool operator==(const TalkerRow&, const TalkerRow&) = default;
};

// exposure.csv.zst, SPEC 3.3.
struct ExposureRow {
  // A name the Aggregator holds: rows are valid while it lives. Millions of rows on an
  // internet-wide scan, so no copy of the name per row.
  std::string_view interface_id;
  uint32_t dst_port = 0;
  uint32_t protocol = 0;
  uint64_t accepted_external = 0, rejected_external = 0, distinct_external_sources = 0;
  friend bool operator==(const ExposureRow&, const ExposureRow&) = default;
};

inline constexpr size_t kTopTalkers = 20;

// windows.csv.zst's rows in output order, made one at a time from an Aggregator's tables
// (Aggregator::WindowsInOrder) instead of copied out: a day of 10,000 interfaces in 10-minute
// windows is up to 1.44 million rows, whose copies (a WindowRow and its name's heap string,
// ~220 bytes each) were a fifth of such a run's peak memory. Valid while the Aggregator lives
// unchanged.
class WindowRows {
 public:
  size_t size() const { return entries_.size(); }
  // Row i's window_start, without making the row.
  uint64_t start(size_t i) const { return entries_[i].start; }
  // Row i's interface name, without making the row.
  const std::string& name(size_t i) const { return *names_[entries_[i].rank].name; }
  // Every window's length in seconds (window_end - window_start).
  uint64_t width() const { return width_; }
  // Calls f(const WindowRow&) for rows [begin, end) in order (end <= size()). The row is one
  // object refilled for each (its strings keep their capacity): copy it to keep it.
  // The rows are in (name, start) order and their counters in the order the windows were made:
  // each row's counters are a cache miss, so they are prefetched kAhead rows ahead (a day of
  // 10,000 interfaces has 1.26 M windows; docs/performance-history.md, "Forty-ninth session").
  template <typename F>
  void ForEach(size_t begin, size_t end, F&& f) const {
    constexpr size_t kAhead = 8;
    WindowRow row;
    for (size_t i = begin; i < end; ++i) {
      if (i + kAhead < end) {
        const auto* w = static_cast<const char*>(entries_[i + kAhead].window);
        for (size_t at = 0; at < kWindowBytes; at += 64) PrefetchLine(w + at);
      }
      Fill(entries_[i], row);
      f(static_cast<const WindowRow&>(row));
    }
  }
  std::vector<WindowRow> ToVector() const;
  // The bytes of a window's counters that Fill reads (aggregate_internal.h's WindowAgg;
  // aggregate_rows.cc checks).
  static constexpr size_t kWindowBytes = 192;

 private:
  friend class Aggregator;
  // 24 bytes: a row's name and account are its rank's (names_), not two pointers a row
  // (a day of 10,000 interfaces has 1.26 M rows and 10,000 names; 40-byte entries were 50 MB
  // of its output phase's peak, and the sort moved them).
  struct Entry {
    uint64_t start;
    const void* window;  // its counters: aggregate_internal.h's WindowAgg
    uint32_t rank;       // the name's place among all names (the sort's first key)
  };
  struct Name {
    const std::string* name;
    const std::string* account;  // the first seen for the name, over every state
  };
  void Fill(const Entry& e, WindowRow& row) const;
  std::vector<Entry> entries_;
  std::vector<Name> names_;  // by rank
  uint64_t width_ = 0;       // the window's length in seconds
};

// exposure.csv.zst's rows in output order, made one at a time from an Aggregator's tables
// (Aggregator::ExposureInOrder) instead of copied out and sorted: the 1 GiB benchmark has
// ~600k of them. Valid while the Aggregator lives unchanged.
class ExposureRows {
 public:
  size_t size() const { return size_; }
  // Calls f(const ExposureRow&) for rows [begin, end) in order (end <= size()).
  template <typename F>
  void ForEach(size_t begin, size_t end, F&& f) const {
    if (begin >= end) return;
    // The run that holds row `begin`: the last whose first row is not after it.
    size_t r = static_cast<size_t>(
        std::upper_bound(runs_.begin(), runs_.end(), begin,
                         [](size_t i, const Run& run) { return i < run.first_row; }) -
        runs_.begin() - 1);
    for (size_t i = begin; i < end; ++r) {
      const Run& run = runs_[r];
      const size_t stop = std::min(end, run.first_row + run.count);
      for (; i < stop; ++i) f(run.Row(i - run.first_row));
    }
  }
  std::vector<ExposureRow> ToVector() const;

 private:
  friend class Aggregator;
  // Consecutive rows of one interface: entries of one table (its keys ascending: port, then
  // protocol), or rows made ahead when the interface's keys are in several tables.
  struct Run {
    std::string_view name;
    size_t first_row = 0, count = 0;
    const ExposureTable::Entry* entries = nullptr;
    const ExposureRow* rows = nullptr;
    ExposureRow Row(size_t k) const {
      return entries == nullptr ? rows[k] : RowOf(name, entries[k]);
    }
  };
  // A table entry's row, its interface named `name`.
  static ExposureRow RowOf(std::string_view name, const ExposureTable::Entry& e) {
    // A sketch's estimate (past 2,048 sources) is off by up to ~1%, either way: never more
    // sources than flows. A Transit Gateway attachment's records have no action (0 accepted,
    // 0 rejected, and its sources): those rows are not capped. An exact count is never capped:
    // records without an action (`-`) add a source but no flow, so a cap cut an exact 2 sources
    // of one accepted and one action-less record to 1.
    const uint64_t flows = e.accepted + e.rejected;
    const uint64_t sources = e.sources.Count();
    return {name,
            static_cast<uint32_t>((e.key >> 8) & 0xFFFF),
            static_cast<uint32_t>(e.key & 0xFF),
            e.accepted,
            e.rejected,
            flows != 0 && !e.sources.exact() ? std::min(sources, flows) : sources};
  }
  std::vector<Run> runs_;                               // by first_row
  std::vector<std::unique_ptr<ExposureTable>> spares_;  // folded copies of tables with a log
  std::vector<std::vector<ExposureRow>> made_;          // the rows of split interfaces
  size_t size_ = 0;
};

// The tables a row updates in one partition (bits of a mask): its window's row (key: interface,
// window), its talker (window, source) and its exposure (interface, port, protocol). Detection
// (Detector::AddRows) rides kTalkerTable: a row is detected where its source's state lives.
inline constexpr uint8_t kWindowTable = 1, kTalkerTable = 2, kExposureTable = 4;
inline constexpr uint8_t kAllTables = kWindowTable | kTalkerTable | kExposureTable;

// One partition's share of a batch: rows ascending, and the tables each row updates there.
// Route sizes them for every row of the batch and then writes each partition's share, so they
// are ColumnVectors: resizing does not zero-fill what is then overwritten or trimmed.
struct PartitionRows {
  ColumnVector<uint32_t> rows;
  ColumnVector<uint8_t> tables;
};

class Aggregator {
 public:
  explicit Aggregator(const AggregateOptions& options);
  ~Aggregator();
  Aggregator(Aggregator&&) noexcept;
  Aggregator& operator=(Aggregator&&) noexcept;

  // The fields Add reads; parse with at least these wanted.
  static FieldSet NeededFields();

  // Adds every row of `batch`, whose string spans point into `bytes`. `order` ranks the batch
  // in input order (e.g. file index << 32 | chunk seq): "first seen" values such as an
  // interface's account id are taken from the smallest order, whatever order batches arrive
  // in. A Transit Gateway format's interface is its tgw-attachment-id.
  void Add(const ParsedBatch& batch, const uint8_t* bytes, uint64_t order);
  // The same for the rows rows[0, n) of `batch` only (ascending): a partition's share. A
  // batch may come in several calls (blocks of its rows) when they come in ascending order.
  void AddRows(const ParsedBatch& batch, const uint8_t* bytes, uint64_t order, const uint32_t* rows,
               size_t n);
  // The same, updating for rows[i] only the tables in tables[i] (kAllTables if null) that are
  // also in `mask`: two Aggregators given the same rows with masks kWindowTable | kTalkerTable
  // and kExposureTable share the work between them, to be combined with AbsorbPartition (the
  // mask kExposureTable alone has a lean loop of its own).
  void AddRows(const ParsedBatch& batch, const uint8_t* bytes, uint64_t order, const uint32_t* rows,
               const uint8_t* tables, size_t n, uint8_t mask = kAllTables);

  // Deals rows[0, n) of `batch` to out[0, parts): each row to the partition that owns its
  // effective source (AddrOwner; its interface's, InterfaceOwner, when it has none) with its
  // window and talker, and detection there too (Detector::AddRows); a row from a source outside
  // `internal` also updates the exposure table, in the partition that owns its interface (the
  // same one or a second visit). So a row is added once, or twice at most, and its
  // source-keyed state (talkers, a source's whole scan walk across windows) lives in one
  // partition. Talkers and exposure keys then have one owner each; window keys are in many
  // partitions: combine the partitions with AbsorbPartition, not Absorb. The owner depends
  // only on the key, not on the batch.
  static void Route(const ParsedBatch& batch, const uint8_t* bytes, const uint32_t* rows, size_t n,
                    const NetworkSet& internal, std::vector<PartitionRows>& out);
  // Takes over `other`, a partition Route fed: merges its windows (whose keys other partitions
  // hold too) into this aggregator's tables and absorbs its talkers and exposure (one owner per
  // key) in O(1), as Absorb does. Then the outputs equal one aggregator's fed every row.
  void AbsorbPartition(Aggregator&& other);

  // Adds everything `other` holds, like Merge, when no key of any table is in both: O(1)
  // here; the outputs then walk both aggregators' tables.
  void Absorb(Aggregator&& other);
  // Adds everything `other` holds. The result does not depend on how records were split
  // between aggregators or on the order of Adds and Merges.
  void Merge(const Aggregator& other);

  // Folds the updates AddRows buffers (the exposure table's log, exposure.h) into the tables.
  // The readers below give the same results either way, but on an aggregator with buffered
  // updates each reader folds a copy of them: call this once after the last AddRows.
  void Flush();

  // The tables, sorted by key: (interface_id, window_start); (window_start, rank);
  // (interface_id, dst_port, protocol). Strings compare bytewise.
  std::vector<WindowRow> Windows() const;
  std::vector<TalkerRow> Talkers() const;
  std::vector<ExposureRow> Exposure() const;
  // The same rows, made one at a time (what the run writes: no copy of the table).
  WindowRows WindowsInOrder() const;
  ExposureRows ExposureInOrder() const;

  uint64_t records() const;

  // A shard of a run read files f of its own list that are files f * count + index of the
  // whole sorted input list (SelectShard): renumbers the file part (order >> 32) of every
  // "first seen" order, so that states of different shards compare as one run's would.
  // Within one aggregator the mapping is monotone, so its outputs do not change.
  void RenumberFiles(uint32_t index, uint32_t count);

  // Each interface's account and the "first seen" order it was taken at (file << 32 | chunk,
  // row; UINT64_MAX for an interface whose records had none), one per name over every state.
  struct SeenAccount {
    std::string name, account;
    uint64_t order = UINT64_MAX, row = UINT64_MAX;
  };
  std::vector<SeenAccount> Accounts() const;
  // Sets the account of each interface named in `accounts` (name -> account) in every state.
  // merge uses it where the order of the parts' files is not their "first seen" orders' (parts
  // of separate runs each number their files from 0).
  void SetAccounts(const std::unordered_map<std::string, std::string>& accounts);

  // Appends the complete state (every key of every table, sketches and first-seen orders;
  // docs/partial.md, section "aggregate"). Saving then Loading into an empty aggregator gives
  // the same outputs and the same Merge results as the original.
  void Save(ByteWriter& out) const;
  // Adds a state written by Save, as Merge would add that aggregator. False with *error when
  // the bytes are malformed; the aggregator is then partly updated, so load into a fresh one
  // unless the bytes were checked (partial.h checks them with a checksum first).
  [[nodiscard]] bool Load(ByteReader& in, std::string* error);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_AGGREGATE_H_
