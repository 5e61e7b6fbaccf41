// The aggregator's state (pipeline/aggregate.h): the per-window counters, talker tables and
// interfaces that Aggregator::State holds. Internal to aggregate.cc (adding rows, merging,
// saving, routing) and aggregate_rows.cc (the output tables in their order).
#ifndef FLOWSIFT_PIPELINE_AGGREGATE_INTERNAL_H_
#define FLOWSIFT_PIPELINE_AGGREGATE_INTERNAL_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernels/addr.h"
#include "kernels/prefetch.h"
#include "pipeline/aggregate.h"
#include "pipeline/distinct.h"
#include "pipeline/exposure.h"
#include "pipeline/flat_map.h"
#include "pipeline/name_index.h"
#include "pipeline/saturating.h"
#include "pipeline/serial.h"

namespace flowsift {
namespace aggregate_internal {

using kernels::Addr128;

// Exact distinct destination ports, in one of three forms by how many it has seen: up to
// kInline inline; an open-addressing table of 16-bit ports (16, 64 or 256 slots, at most 3/4
// full; port 0, the empty slot's value, is a flag); past kTableMost (192) a 65,536-bit map
// (8 KiB). A sparse window's few dozen ports (the replies' ephemeral ones) took the bitmap
// once they passed 16: a day of 10,000 interfaces in hourly windows (249,000 windows) held
// 2 GB of bitmaps at a run's 2.1 GB peak, now a table of 64 slots (128 bytes) each.
class PortCounter {
 public:
  PortCounter() = default;
  ~PortCounter() { Free(); }
  PortCounter(const PortCounter&) = delete;
  PortCounter& operator=(const PortCounter&) = delete;
  PortCounter(PortCounter&& o) noexcept
      : heap_(o.heap_), capacity_(o.capacity_), count_(o.count_), zero_(o.zero_) {
    o.capacity_ = o.count_ = 0;
    o.zero_ = false;
  }

  // The bitmap's update inline (a busy window's ports are a bitmap), the other forms out of
  // line (a table's lookup inline too: +0.4% instructions).
  [[gnu::always_inline]] void Add(uint16_t port) {
    if (capacity_ == kBitmap) {
      uint64_t& word = bits()[port >> 6];
      const uint64_t bit = uint64_t{1} << (port & 63);
      count_ += (word & bit) == 0;
      word |= bit;
      return;
    }
    AddSmall(port);
  }
  void Merge(const PortCounter& other) {
    other.ForEachPort([&](uint16_t p) { Add(p); });
  }
  uint64_t Count() const { return count_; }
  // Form 0, u16 n and the n ports (ascending) up to kTableMost; form 1 and the 1,024 bitmap
  // words after.
  void Save(ByteWriter& out) const {
    if (capacity_ == kBitmap) {
      out.U8(1);
      out.Raw(bits(), 1024 * sizeof(uint64_t));
      return;
    }
    uint16_t ports[kTableMost];
    size_t n = 0;
    ForEachPort([&](uint16_t p) { ports[n++] = p; });
    std::sort(ports, ports + n);
    out.U8(0);
    out.U16(static_cast<uint16_t>(n));
    out.Raw(ports, n * sizeof(uint16_t));
  }
  // Adds the ports Save wrote; false on malformed bytes.
  bool Load(ByteReader& in) {
    const uint8_t form = in.U8();
    if (form == 1) {
      const std::string_view words = in.Bytes(1024 * sizeof(uint64_t));
      if (in.failed()) return false;
      for (uint32_t w = 0; w < 1024; ++w) {
        uint64_t word;
        memcpy(&word, words.data() + w * sizeof(uint64_t), sizeof word);
        for (; word != 0; word &= word - 1) {
          Add(static_cast<uint16_t>(w * 64 + static_cast<uint32_t>(__builtin_ctzll(word))));
        }
      }
      return true;
    }
    const uint16_t n = in.U16();
    if (form != 0 || n > kTableMost) return in.Fail(), false;
    const std::string_view ports = in.Bytes(size_t{n} * sizeof(uint16_t));
    if (in.failed()) return false;
    for (uint16_t i = 0; i < n; ++i) {
      uint16_t port;
      memcpy(&port, ports.data() + i * sizeof(uint16_t), sizeof port);
      Add(port);
    }
    return true;
  }
  // Starts loading the bitmap word Add(port) will touch (8 KiB per busy window; a table is
  // at most 512 bytes, cached while its window is busy).
  void Prefetch(uint16_t port) const {
    if (capacity_ == kBitmap) PrefetchLine(&bits()[port >> 6]);
  }
  // What Reserve wants to make room for this counter's ports again.
  size_t SizeHint() const { return count_; }
  // Makes room for `n` ports, so that adding them grows nothing (a hint: the interface's
  // previous windows saw about as many). Changes no count.
  void Reserve(size_t n) {
    if (capacity_ == kBitmap || n <= kInline) return;
    if (n > kTableMost) return ToBitmap();
    uint32_t capacity = capacity_ != 0 ? capacity_ : kFirstTable;
    while (n * 4 > capacity * 3) capacity *= 4;
    if (capacity > capacity_) Rehash(capacity);
  }

 private:
  static constexpr uint32_t kInline = 4;                     // ports in the pointer's bytes
  static constexpr uint32_t kFirstTable = 16;                // slots; grows fourfold
  static constexpr uint32_t kMaxTable = 256;                 // slots (512 bytes)
  static constexpr uint32_t kTableMost = kMaxTable / 4 * 3;  // ports a table holds: 192
  static constexpr uint32_t kBitmap = UINT32_MAX;            // capacity_ of the bitmap form

  // A port's first slot in a table of `capacity` slots: the top bits of a multiplicative
  // hash, so that runs of consecutive ports spread.
  static uint32_t Slot(uint16_t port, uint32_t capacity) {
    return (uint32_t{port} * 0x9E3779B1u) >> (32 - std::countr_zero(capacity));
  }
  uint64_t* bits() const { return reinterpret_cast<uint64_t*>(heap_); }

  // Calls f(port) for every port, in no particular order.
  template <typename F>
  void ForEachPort(F&& f) const {
    if (capacity_ == kBitmap) {
      const uint64_t* b = bits();
      for (uint32_t w = 0; w < 1024; ++w) {
        for (uint64_t word = b[w]; word != 0; word &= word - 1) {
          f(static_cast<uint16_t>(w * 64 + static_cast<uint32_t>(__builtin_ctzll(word))));
        }
      }
    } else if (capacity_ == 0) {
      for (uint32_t i = 0; i < count_; ++i) f(inline_[i]);
    } else {
      if (zero_) f(0);
      for (uint32_t i = 0; i < capacity_; ++i) {
        if (heap_[i] != 0) f(heap_[i]);
      }
    }
  }

  [[gnu::noinline]] void AddSmall(uint16_t port) {
    if (capacity_ == 0) {
      for (uint32_t i = 0; i < count_; ++i) {
        if (inline_[i] == port) return;
      }
      if (count_ < kInline) {
        inline_[count_++] = port;
        return;
      }
      Rehash(kFirstTable);
    }
    if (port == 0) {
      if (zero_) return;
    } else {
      const uint32_t mask = capacity_ - 1;
      for (uint32_t i = Slot(port, capacity_);; i = (i + 1) & mask) {
        if (heap_[i] == port) return;
        if (heap_[i] == 0) break;
      }
    }
    // A new port.
    if (count_ + 1 > kTableMost) {
      ToBitmap();
      Add(port);
      return;
    }
    if (port == 0) {
      zero_ = true;
    } else {
      if ((count_ + 1) * 4 > capacity_ * 3) Rehash(capacity_ * 4);
      Insert(port);
    }
    ++count_;
  }
  // Puts a non-zero port that is not in the table into its slot.
  void Insert(uint16_t port) {
    const uint32_t mask = capacity_ - 1;
    uint32_t i = Slot(port, capacity_);
    while (heap_[i] != 0) i = (i + 1) & mask;
    heap_[i] = port;
  }
  // Moves the ports into a table of `capacity` slots (inline or table form).
  void Rehash(uint32_t capacity) {
    uint16_t ports[kTableMost];
    uint32_t n = 0;
    ForEachPort([&](uint16_t p) { ports[n++] = p; });
    const bool zero = zero_;
    Free();
    heap_ = new uint16_t[capacity]();
    capacity_ = capacity;
    count_ = n;
    zero_ = zero;
    for (uint32_t i = 0; i < n; ++i) {
      if (ports[i] == 0) {
        zero_ = true;
      } else {
        Insert(ports[i]);
      }
    }
  }
  void ToBitmap() {
    uint64_t* b = new uint64_t[1024]();
    ForEachPort([&](uint16_t p) { b[p >> 6] |= uint64_t{1} << (p & 63); });
    const uint32_t n = count_;
    Free();
    heap_ = reinterpret_cast<uint16_t*>(b);
    capacity_ = kBitmap;
    count_ = n;
  }
  void Free() {
    if (capacity_ == kBitmap) {
      delete[] bits();
    } else if (capacity_ != 0) {
      delete[] heap_;
    }
    capacity_ = 0;
    count_ = 0;
    zero_ = false;
  }

  // The forms by capacity_: 0, count_ ports in inline_; a power of two, a table of non-zero
  // ports in heap_ (0 empty) with port 0 in zero_; kBitmap, 1,024 words at heap_.
  union {
    uint16_t inline_[kInline] = {};
    uint16_t* heap_;
  };
  uint32_t capacity_ = 0;
  uint32_t count_ = 0;
  bool zero_ = false;
};

struct WindowKey {
  uint32_t iface;
  uint64_t start;
  bool operator==(const WindowKey&) const = default;
};
// (interface, dst port, protocol) packed as iface << 24 | port << 8 | protocol.
using ExposureKey = uint64_t;
inline ExposureKey PackExposure(uint32_t iface, uint16_t port, uint8_t protocol) {
  return (uint64_t{iface} << 24) | (uint64_t{port} << 8) | protocol;
}

struct KeyHash {
  uint64_t operator()(const WindowKey& k) const {
    return Mix64(k.start * 0x9E3779B97F4A7C15ull ^ k.iface);
  }
  // A talker: its source's HashAddr, which AddRows computes once per row anyway.
  uint64_t operator()(const Addr128& a) const { return HashAddr(a); }
  uint64_t operator()(ExposureKey k) const { return Mix64(k); }
};

struct WindowAgg {
  uint64_t records = 0, nodata = 0, skipdata = 0, accepted = 0, rejected = 0;
  uint64_t packets = 0, bytes = 0, rejected_bytes = 0, out_external = 0, in_external = 0;
  DistinctCounter src, dst;
  PortCounter ports;

  // The counters, in the order of the state file (Aggregator::Save): the one list that Merge,
  // Save and Load go through. `Self` is WindowAgg or const WindowAgg.
  template <typename Self>
  static auto Counters(Self& a) {
    return std::array{&a.records, &a.nodata, &a.skipdata,       &a.accepted,     &a.rejected,
                      &a.packets, &a.bytes,  &a.rejected_bytes, &a.out_external, &a.in_external};
  }

  void Merge(const WindowAgg& o) {
    const auto into = Counters(*this);
    const auto from = Counters(o);
    for (size_t i = 0; i < into.size(); ++i) AddSaturating(*into[i], *from[i]);
    src.Merge(o.src);
    dst.Merge(o.dst);
    ports.Merge(o.ports);
  }
};

struct TalkerAgg {
  uint64_t bytes = 0, packets = 0, flows = 0;
};

// One window's talkers, by source. A table per window rather than one keyed by (window,
// source): logs come roughly in time order, so a stretch of input updates one or two windows'
// tables (~6 MB each on the 1 GiB benchmark, in cache) where one table over all windows spread
// every window's sources over all of its 56 MB, a cache miss per row.
using TalkerTable = FlatMap<Addr128, TalkerAgg, KeyHash>;
struct TalkerWindow {
  uint64_t start;
  TalkerTable sources;
};

// The values of the last two keys looked up, the latest first. AddRows keeps its windows and
// talker tables in these: near a window's end, rows alternate between it and the next one.
// Values must not move (AddRows' come from deques).
template <typename Key, typename Value>
class LastTwo {
 public:
  // The value for `key`, from make() when it is neither of the last two.
  template <typename Make>
  Value* Get(const Key& key, Make&& make) {
    if (value_[0] != nullptr && key_[0] == key) return value_[0];
    if (value_[1] == nullptr || !(key_[1] == key)) {
      key_[1] = key;
      value_[1] = make();
    }
    std::swap(key_[0], key_[1]);
    std::swap(value_[0], value_[1]);
    return value_[0];
  }

 private:
  Key key_[2] = {};
  Value* value_[2] = {nullptr, nullptr};  // null: no key yet
};

// "First seen" order of a value: the batch's order, then the row within it.
using SeenOrder = std::pair<uint64_t, uint64_t>;

struct Interface {
  std::string name;
  std::string account;
  SeenOrder account_seen{UINT64_MAX, UINT64_MAX};
};

// Whether (seen, account) comes before i's account in input order. Within one run no two
// values share an order; states of separate runs merged later may (both start at file 0), and
// the smaller account text wins then, so the result does not depend on the merge order
// (merge then sets each account by its manifest's order of the files: SetAccounts).
inline bool EarlierSeen(SeenOrder seen, std::string_view account, const Interface& i) {
  return seen < i.account_seen || (seen == i.account_seen && account < i.account);
}

}  // namespace aggregate_internal

using namespace aggregate_internal;  // NOLINT: this header serves the aggregator's own files only

struct Aggregator::State {
  AggregateOptions options;
  std::vector<Interface> interfaces;
  // interfaces[k].account_seen by k, kept in step wherever those change (InterfaceId,
  // SeeAccount, RenumberFiles, AbsorbPartition's copy): SeeAccount's usual answer, read
  // without the interface's record.
  std::vector<SeenOrder> account_seen;
  NameIndex interface_index;  // names of `interfaces` -> their ids
  // Windows stay put (a deque) so AddRows can hold pointers to them across inserts.
  std::deque<std::pair<WindowKey, WindowAgg>> window_aggs;
  FlatMap<WindowKey, WindowAgg*, KeyHash> windows;
  // By interface id: the last two windows made, the latest first.
  std::vector<std::array<const WindowAgg*, 2>> latest_windows;
  // By interface id: the last two windows AddRows looked up, which skip most probes of
  // `windows`. One per interface: rows of thousands of interfaces interleave, and 256 caches
  // by the id's low byte (per AddRows call) missed for most rows of a day of 10,000 interfaces,
  // each miss a probe of a table of 1.26 M windows (docs/performance-history.md, "Forty-ninth
  // session"). Its pointers stay valid as window_aggs grows; cleared where window_aggs moves.
  std::vector<LastTwo<WindowKey, WindowAgg>> window_cache;
  // Talker tables stay put (a deque) so AddRows can hold pointers to them across inserts.
  std::deque<TalkerWindow> talker_windows;
  FlatMap<uint64_t, TalkerTable*, KeyHash> talkers_by_window;
  ExposureTable exposure;
  uint64_t records = 0;
  // Aggregators taken over by Absorb: their keys are disjoint from these tables' and from
  // each other's, so the outputs concatenate them. Empty except in a run's final result.
  std::vector<std::unique_ptr<State>> shards;
  LocalIdMap local_ids;  // AddRows' scratch: the batch's interface ids -> `interfaces`

  // Every state the outputs walk: this one, then the shards.
  template <typename F>
  void ForEach(F&& f) const {
    f(*this);
    for (const auto& shard : shards) f(*shard);
  }
  // Folds the shards into this state's tables (Merge and Add keep keys unique only there).
  void Collapse();
  void MergeFrom(const State& o);

  uint32_t InterfaceId(std::string_view name) { return InterfaceId(name, NameKey::Of(name)); }
  uint32_t InterfaceId(std::string_view name, const NameKey& key) {
    const auto count = static_cast<uint32_t>(interfaces.size());
    const uint32_t id = interface_index.FindOrAdd(
        key, name, count, [&](uint32_t k) -> std::string_view { return interfaces[k].name; });
    if (id == count) {
      interfaces.push_back({std::string(name), "-", {UINT64_MAX, UINT64_MAX}});
      account_seen.push_back(interfaces.back().account_seen);
    }
    return id;
  }

  // The talker table of a window. With `hint`, a new table starts at the size of the latest
  // one made (a window sees about as many sources as the one before it) instead of growing
  // through every doubling, each of which re-inserts the table into fresh memory. Out of line,
  // as it was while these types were local to aggregate.cc: AddRows calls it only for a window
  // new to its cache, and inlined there it grew AddRows by 540 bytes.
  [[gnu::noinline]] TalkerTable& Talkers(uint64_t window_start, bool hint = false) {
    TalkerTable*& table = talkers_by_window[window_start];
    if (table == nullptr) {
      const size_t latest = talker_windows.empty() ? 0 : talker_windows.back().sources.size();
      table = &talker_windows.emplace_back(TalkerWindow{window_start, {}}).sources;
      if (hint) table->Reserve(latest);
    }
    return *table;
  }
  size_t TalkerCount() const {
    size_t n = 0;
    for (const TalkerWindow& w : talker_windows) n += w.sources.size();
    return n;
  }

  WindowAgg& Window(const WindowKey& key) {
    WindowAgg*& agg = windows[key];
    if (agg == nullptr) {
      agg = &window_aggs.emplace_back(key, WindowAgg()).second;
      // An interface's windows see similar numbers of hosts and ports: a new window's counters
      // start at the sizes of the interface's two latest ones instead of growing through every
      // size (each growth re-inserts the table into a fresh one). Two, because rows come in
      // time order only roughly (start times jitter by minutes): when a window is made, the
      // one before it has often just begun, and the one before that is nearly complete.
      if (latest_windows.size() <= key.iface) latest_windows.resize(key.iface + 1);
      std::array<const WindowAgg*, 2>& latest = latest_windows[key.iface];
      size_t src_hint = 0, dst_hint = 0, port_hint = 0;
      for (const WindowAgg* previous : latest) {
        if (previous == nullptr) continue;
        src_hint = std::max(src_hint, previous->src.SizeHint());
        dst_hint = std::max(dst_hint, previous->dst.SizeHint());
        port_hint = std::max(port_hint, previous->ports.SizeHint());
      }
      // Only hints past what a 16-slot table holds: below that a counter grows at most once
      // (8 -> 16 slots, 6 values re-inserted), and a sparse window (a day of 10,000 interfaces:
      // ~7 records a window) whose latest had 4-12 hosts often needs no table at all (3 inline).
      // Peak RSS there -50 MB (docs/performance-history.md, "Fiftieth session").
      constexpr size_t kHintFrom = 13;
      if (src_hint >= kHintFrom) agg->src.Reserve(src_hint);
      if (dst_hint >= kHintFrom) agg->dst.Reserve(dst_hint);
      agg->ports.Reserve(port_hint);
      latest = {agg, latest[0]};
    }
    return *agg;
  }

  void SeeAccount(uint32_t iface, std::string_view account, SeenOrder seen) {
    // Nearly always a later sighting: told by the dense copy of the orders, without the miss
    // on the interface's record (10,000 of them: 2.5% of a one-thread day of 10,000
    // interfaces, each looked up once a chunk).
    if (account_seen[iface] < seen) return;
    Interface& i = interfaces[iface];
    if (EarlierSeen(seen, account, i)) {
      i.account_seen = seen;
      i.account = std::string(account);
      account_seen[iface] = seen;
    }
  }
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_AGGREGATE_INTERNAL_H_
