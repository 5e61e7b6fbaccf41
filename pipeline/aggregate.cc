#include "pipeline/aggregate.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <deque>
#include <map>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "kernels/addr.h"
#include "kernels/enums.h"
#include "kernels/prefetch.h"
#include "pipeline/distinct.h"
#include "pipeline/exposure.h"
#include "pipeline/flat_map.h"
#include "pipeline/name_index.h"
#include "pipeline/saturating.h"
#include "pipeline/serial.h"

namespace flowsift {
namespace {

using kernels::Addr128;

}  // namespace

size_t InterfaceOwner(std::string_view name, size_t parts) {
  return OwnerOfHash(HashName(name), parts);
}

namespace {

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
ExposureKey PackExposure(uint32_t iface, uint16_t port, uint8_t protocol) {
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
bool EarlierSeen(SeenOrder seen, std::string_view account, const Interface& i) {
  return seen < i.account_seen || (seen == i.account_seen && account < i.account);
}

}  // namespace

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
  // through every doubling, each of which re-inserts the table into fresh memory.
  TalkerTable& Talkers(uint64_t window_start, bool hint = false) {
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

Aggregator::Aggregator(const AggregateOptions& options) : state_(std::make_unique<State>()) {
  state_->options = options;
}
Aggregator::~Aggregator() = default;
Aggregator::Aggregator(Aggregator&&) noexcept = default;
Aggregator& Aggregator::operator=(Aggregator&&) noexcept = default;

FieldSet Aggregator::NeededFields() {
  FieldSet f;
  for (Field x :
       {Field::kAccountId, Field::kInterfaceId, Field::kTgwAttachmentId, Field::kSrcAddr,
        Field::kDstAddr, Field::kPktSrcAddr, Field::kPktDstAddr, Field::kDstPort, Field::kProtocol,
        Field::kPackets, Field::kBytes, Field::kStart, Field::kAction, Field::kLogStatus}) {
    f.set(static_cast<size_t>(x));
  }
  return f;
}

uint64_t Aggregator::records() const {
  uint64_t n = 0;
  state_->ForEach([&](const State& s) { n += s.records; });
  return n;
}

void Aggregator::Add(const ParsedBatch& b, const uint8_t* bytes, uint64_t order) {
  AddRows(b, bytes, order, nullptr, nullptr, b.rows);
}

void Aggregator::AddRows(const ParsedBatch& b, const uint8_t* bytes, uint64_t order,
                         const uint32_t* rows, size_t n) {
  AddRows(b, bytes, order, rows, nullptr, n);
}

void Aggregator::AddRows(const ParsedBatch& b, const uint8_t* bytes, uint64_t order,
                         const uint32_t* rows, const uint8_t* tables, size_t n, uint8_t mask) {
  State& s = *state_;
  if (!s.shards.empty()) s.Collapse();
  const Column* iface = b.FindInterface();
  const Column* account = b.Find(Field::kAccountId);
  const Column* src = b.Find(Field::kSrcAddr);
  const Column* dst = b.Find(Field::kDstAddr);
  const Column* pkt_src = b.Find(Field::kPktSrcAddr);
  const Column* pkt_dst = b.Find(Field::kPktDstAddr);
  const Column* dstport = b.Find(Field::kDstPort);
  const Column* protocol = b.Find(Field::kProtocol);
  const Column* packets = b.Find(Field::kPackets);
  const Column* bytes_col = b.Find(Field::kBytes);
  const Column* start = b.Find(Field::kStart);
  const Column* action = b.Find(Field::kAction);
  const Column* status = b.Find(Field::kLogStatus);

  // Interfaces come as chunk-local ids (ParseChunk interns them): one array load per row
  // maps them to this state's ids. Rows of different interfaces interleave, so a two-way cache
  // of windows by interface id skips most of the window table probes (two ways: near a
  // window's end an interface's rows alternate between it and the next). Remembering the last
  // row's interface and window too, to skip those two loads, was a branch that went either
  // way at random (consecutive rows share their interface about half the time): callgrind's
  // branch simulation, 64 MB of v2, 6.53 -> 6.45 M mispredicts without it, and 4.8 M fewer
  // instructions.
  uint32_t last_id = 0;
  s.local_ids.Reset(b, iface);
  const ColumnView v_iface(iface);
  const auto interface_of = [&](size_t r) {
    const uint32_t local = v_iface.exists() ? v_iface.ids[r] : 0;
    return s.local_ids.Get(iface, local, bytes, [&](std::string_view text, const NameKey& key) {
      const uint32_t id = s.InterfaceId(text, key);
      // The batch's first row of this interface (local_ids resolves each once per batch):
      // `order` is the batch's and its rows come in ascending blocks, so no later row of
      // the batch can be the interface's earliest in SeeAccount's order.
      s.SeeAccount(id, TextOf(account, r, bytes), {order, r});
      return id;
    });
  };

  if (mask == kExposureTable) {
    // The exposure table alone (a run's second aggregator beside one that keeps windows and
    // talkers, graph.cc): an external source's row appends one update to the table's log,
    // which needs no prefetch, so none of the staged loop below. Through that loop this
    // aggregator repeated every row's window, counters and destination work for nothing
    // (callgrind, 64 MB of v2, two threads without detection: ~130 M instructions more than
    // one thread's single aggregator).
    const ColumnView v_src(src), v_pkt_src(pkt_src), v_port(dstport), v_protocol(protocol),
        v_action(action);
    if (!v_port.exists() || !v_protocol.exists()) return;
    for (size_t i = 0; i < n; ++i) {
      if (tables != nullptr && (tables[i] & kExposureTable) == 0) continue;
      const size_t r = rows != nullptr ? rows[i] : i;
      // The interface first, for every row the table is asked about, as the staged loop
      // does: SeeAccount then sees the same rows.
      const uint32_t id = interface_of(r);
      const Addr128* from = EffectiveAddr(v_pkt_src, v_src, r);
      if (from == nullptr || !v_port.present(r) || !v_protocol.present(r)) continue;
      // Only a record from an external source updates the exposure table (SPEC 3.3).
      if (s.options.internal.Contains(*from)) continue;
      const auto act = v_action.exists() ? static_cast<kernels::Action>(v_action.code[r])
                                         : kernels::Action::kMissing;
      s.exposure.Add(PackExposure(id, static_cast<uint16_t>(v_port.u64[r]),
                                  static_cast<uint8_t>(v_protocol.u64[r])),
                     HashAddr(*from), act == kernels::Action::kAccept,
                     act == kernels::Action::kReject);
    }
    return;
  }

  // Room for every interface this batch may add (at most its distinct names), so the row loop
  // indexes a pointer it keeps: a size check and the vector's pointers reloaded each row
  // were ~38 instructions a record (callgrind, 64 MB of v2).
  s.window_cache.resize(s.interfaces.size() + (iface != nullptr ? iface->dict.size() : 1));
  LastTwo<WindowKey, WindowAgg>* const window_cache = s.window_cache.data();
  const auto window_of = [&](const WindowKey& key) {
    return window_cache[key.iface].Get(key, [&] { return &s.Window(key); });
  };
  WindowDivider window(s.options.window);       // window starts by a multiply
  LastTwo<uint64_t, TalkerTable> talker_cache;  // by window start
  const auto talkers_of = [&](uint64_t window_start) {
    return talker_cache.Get(window_start, [&] { return &s.Talkers(window_start, true); });
  };

  const ColumnView v_src(src), v_dst(dst), v_pkt_src(pkt_src), v_pkt_dst(pkt_dst),
      v_dstport(dstport), v_protocol(protocol), v_packets(packets), v_bytes(bytes_col),
      v_start(start), v_action(action), v_status(status);
  auto row_of = [rows](size_t i) -> size_t { return rows != nullptr ? rows[i] : i; };

  // Two stages kDepth rows apart. The first resolves a row's keys and hashes and prefetches
  // every table slot the row will update (distinct counters, talkers, the text kDepth rows
  // further on); the second updates them. With ~1,400 windows of up to 32 KiB counters nearly
  // every update is a cache miss: this overlaps them. Exposure updates are appended to the
  // table's log (exposure.h), which needs no prefetch.
  constexpr size_t kDepth = 16;
  struct Staged {
    size_t r;
    uint8_t tables;
    uint32_t id;
    WindowAgg* agg;
    const Addr128* from;
    TalkerTable* talkers;
    uint64_t window_start, from_hash, to_hash;
    ExposureKey exposure_key;
    uint64_t n_bytes, n_packets;
    bool has_to, rejected, accepted, exposed, has_port;
    uint16_t port;
  };
  Staged ring[kDepth];

  // Talker updates alone need no interface.
  constexpr uint8_t kNeedsInterface = kWindowTable | kExposureTable;
  auto stage = [&](size_t i, Staged& st) {
    const size_t r = row_of(i);
    st.tables = (tables != nullptr ? tables[i] : kAllTables) & mask;
    if (st.tables & kNeedsInterface) {
      // One load from an L1-resident array. Skipping it when the row's interface is the last
      // row's was a branch taken for about half the rows at random (callgrind: 205 k
      // mispredicts on 64 MB of v2).
      last_id = interface_of(r);
    }
    st.r = r;
    st.id = last_id;
    const uint64_t t = v_start.U64Or0(r);
    st.window_start = window.Of(t);
    st.agg = nullptr;
    if (st.tables & kWindowTable) st.agg = window_of(WindowKey{st.id, st.window_start});

    st.rejected = v_action.exists() &&
                  static_cast<kernels::Action>(v_action.code[r]) == kernels::Action::kReject;
    st.accepted = v_action.exists() &&
                  static_cast<kernels::Action>(v_action.code[r]) == kernels::Action::kAccept;
    st.n_packets = v_packets.U64Or0(r);
    st.n_bytes = v_bytes.U64Or0(r);
    st.has_port = v_dstport.exists() && v_dstport.present(r);
    st.port = st.has_port ? static_cast<uint16_t>(v_dstport.u64[r]) : 0;
    if (st.agg != nullptr && st.has_port) st.agg->ports.Prefetch(st.port);

    st.from = EffectiveAddr(v_pkt_src, v_src, r);
    const Addr128* to = EffectiveAddr(v_pkt_dst, v_dst, r);
    st.has_to = to != nullptr;
    st.exposed = false;
    const bool need_from_internal =
        st.from != nullptr && (st.agg != nullptr || (st.tables & kExposureTable));
    const bool from_internal = need_from_internal && s.options.internal.Contains(*st.from);
    if (st.agg != nullptr) {
      if (st.from != nullptr && to != nullptr) {
        const bool to_internal = s.options.internal.Contains(*to);
        if (from_internal && !to_internal) AddSaturating(st.agg->out_external, st.n_bytes);
        if (!from_internal && to_internal) AddSaturating(st.agg->in_external, st.n_bytes);
      }
      if (to != nullptr) {
        st.to_hash = HashAddr(*to);
        st.agg->dst.Prefetch(st.to_hash);
      }
    }
    if (st.from != nullptr) {
      st.from_hash = HashAddr(*st.from);
      if (st.agg != nullptr) st.agg->src.Prefetch(st.from_hash);
      if (st.tables & kTalkerTable) {
        st.talkers = talkers_of(st.window_start);
        st.talkers->Prefetch(st.from_hash);
      }
      if ((st.tables & kExposureTable) && !from_internal && st.has_port && v_protocol.exists() &&
          v_protocol.present(r)) {
        st.exposed = true;
        st.exposure_key = PackExposure(st.id, st.port, static_cast<uint8_t>(v_protocol.u64[r]));
      }
    }
  };

  auto apply = [&](const Staged& st) {
    if (st.agg != nullptr) {
      WindowAgg& agg = *st.agg;
      const size_t r = st.r;
      ++agg.records;
      if (v_status.exists()) {
        const auto code = static_cast<kernels::LogStatus>(v_status.code[r]);
        agg.nodata += code == kernels::LogStatus::kNoData;
        agg.skipdata += code == kernels::LogStatus::kSkipData;
      }
      agg.accepted += st.accepted;
      agg.rejected += st.rejected;
      AddSaturating(agg.packets, st.n_packets);
      AddSaturating(agg.bytes, st.n_bytes);
      if (st.rejected) AddSaturating(agg.rejected_bytes, st.n_bytes);
      if (st.has_to) agg.dst.Add(st.to_hash);
      if (st.has_port) agg.ports.Add(st.port);
      if (st.from != nullptr) agg.src.Add(st.from_hash);
    }
    if (st.from != nullptr && (st.tables & kTalkerTable)) {
      TalkerAgg& talker = st.talkers->FindOrInsert(*st.from, st.from_hash);
      AddSaturating(talker.bytes, st.n_bytes);
      AddSaturating(talker.packets, st.n_packets);
      ++talker.flows;
    }
    if (st.exposed) s.exposure.Add(st.exposure_key, st.from_hash, st.accepted, st.rejected);
  };

  for (size_t i = 0; i < n + kDepth; ++i) {
    if (i >= kDepth) apply(ring[(i - kDepth) % kDepth]);
    if (i < n) stage(i, ring[i % kDepth]);
  }
  // A record counts once, in the partition that owns its window.
  if ((mask & kWindowTable) == 0) return;
  if (tables == nullptr) {
    s.records += n;
  } else {
    for (size_t i = 0; i < n; ++i) s.records += (tables[i] & kWindowTable) != 0;
  }
}

void Aggregator::State::MergeFrom(const State& o) {
  State& s = *this;
  std::vector<uint32_t> remap(o.interfaces.size());
  for (size_t i = 0; i < o.interfaces.size(); ++i) {
    remap[i] = s.InterfaceId(o.interfaces[i].name);
    s.SeeAccount(remap[i], o.interfaces[i].account, o.interfaces[i].account_seen);
  }
  for (const auto& [key, agg] : o.window_aggs) s.Window({remap[key.iface], key.start}).Merge(agg);
  for (const TalkerWindow& w : o.talker_windows) {
    TalkerTable& table = s.Talkers(w.start);
    table.Reserve(table.size() + w.sources.size());
    for (const auto& [src, agg] : w.sources) {
      TalkerAgg& t = table.FindOrInsert(src, HashAddr(src));
      AddSaturating(t.bytes, agg.bytes);
      AddSaturating(t.packets, agg.packets);
      t.flows += agg.flows;
    }
  }
  ExposureTable spare;
  const ExposureTable::Array<ExposureTable::Entry>& theirs = o.exposure.Entries(&spare);
  std::vector<ExposureTable::Entry> more;
  more.reserve(theirs.size());
  for (const ExposureTable::Entry& e : theirs) {
    more.push_back(e);
    more.back().key = PackExposure(remap[e.key >> 24], static_cast<uint16_t>(e.key >> 8),
                                   static_cast<uint8_t>(e.key));
  }
  s.exposure.Merge(std::move(more));
  s.records += o.records;
  for (const auto& shard : o.shards) MergeFrom(*shard);
}

void Aggregator::State::Collapse() {
  std::vector<std::unique_ptr<State>> taken = std::move(shards);
  shards.clear();
  for (const auto& shard : taken) MergeFrom(*shard);
}

void Aggregator::Merge(const Aggregator& other) {
  state_->Collapse();
  state_->MergeFrom(*other.state_);
}

void Aggregator::Absorb(Aggregator&& other) {
  std::vector<std::unique_ptr<State>> more = std::move(other.state_->shards);
  other.state_->shards.clear();
  state_->shards.push_back(std::move(other.state_));
  for (auto& shard : more) state_->shards.push_back(std::move(shard));
  other.state_ = std::make_unique<State>();
  other.state_->options = state_->options;
}

void Aggregator::AbsorbPartition(Aggregator&& other) {
  State& o = *other.state_;
  // Its windows go through a state of their own (with its interface ids) into MergeFrom; what
  // is left, its talkers and exposure, is disjoint from every other partition's.
  State shared;
  shared.options = o.options;
  shared.interfaces = o.interfaces;
  shared.account_seen = o.account_seen;
  shared.window_aggs = std::move(o.window_aggs);
  o.window_aggs.clear();
  o.windows = {};
  o.latest_windows.clear();
  o.window_cache.clear();
  // Absorbed shards hold no windows, so this state's stay unique without a Collapse.
  state_->MergeFrom(shared);
  Absorb(std::move(other));
}

void Aggregator::RenumberFiles(uint32_t index, uint32_t count) {
  if (count <= 1) return;
  const auto renumber = [&](State& s) {
    for (size_t k = 0; k < s.interfaces.size(); ++k) {
      SeenOrder& seen = s.interfaces[k].account_seen;
      if (seen.first == UINT64_MAX) continue;  // never seen: stays last
      const uint64_t file = (seen.first >> 32) * count + index;
      seen.first = (file << 32) | (seen.first & 0xFFFFFFFF);
      s.account_seen[k] = seen;
    }
  };
  renumber(*state_);
  for (auto& shard : state_->shards) renumber(*shard);
}

// Section layout (docs/partial.md): u64 records; u32 interfaces {str name, str account, u64
// order, u64 row}; u64 windows {u32 interface, u64 start, 10 x u64 counters, src, dst, ports};
// u64 talkers {u64 window_start, u64 hi, u64 lo, u64 bytes, packets, flows}; u64 exposure
// {u32 interface, u16 port, u8 protocol, u64 accepted, rejected, sources}. Interfaces are
// numbered once over all the states an output walks (this one and Absorb's shards).
void Aggregator::Save(ByteWriter& out) const {
  const State& top = *state_;
  std::unordered_map<std::string_view, uint32_t> ids;
  std::vector<const Interface*> interfaces;
  top.ForEach([&](const State& s) {
    for (const Interface& i : s.interfaces) {
      auto [it, inserted] = ids.emplace(i.name, static_cast<uint32_t>(interfaces.size()));
      if (inserted) {
        interfaces.push_back(&i);
      } else if (EarlierSeen(i.account_seen, i.account, *interfaces[it->second])) {
        interfaces[it->second] = &i;
      }
    }
  });
  out.U64(records());
  out.U32(static_cast<uint32_t>(interfaces.size()));
  for (const Interface* i : interfaces) {
    out.Str(i->name);
    out.Str(i->account);
    out.U64(i->account_seen.first);
    out.U64(i->account_seen.second);
  }
  uint64_t windows = 0, talkers = 0, exposure = 0;
  // Each state's exposure entries, folded once (a copy only for a table with a log, which a
  // run never leaves): counted here, written below.
  std::vector<ExposureTable> spares;
  spares.reserve(1 + top.shards.size());
  std::vector<const ExposureTable::Array<ExposureTable::Entry>*> exposure_tables;
  top.ForEach([&](const State& s) {
    windows += s.window_aggs.size();
    talkers += s.TalkerCount();
    exposure_tables.push_back(&s.exposure.Entries(&spares.emplace_back()));
    exposure += exposure_tables.back()->size();
  });
  const auto global_ids = [&](const State& s) {
    std::vector<uint32_t> id(s.interfaces.size());
    for (size_t i = 0; i < id.size(); ++i) id[i] = ids.at(s.interfaces[i].name);
    return id;
  };
  out.U64(windows);
  top.ForEach([&](const State& s) {
    const std::vector<uint32_t> id = global_ids(s);
    for (const auto& [key, a] : s.window_aggs) {
      out.U32(id[key.iface]);
      out.U64(key.start);
      for (const uint64_t* v : WindowAgg::Counters(a)) out.U64(*v);
      a.src.Save(out);
      a.dst.Save(out);
      a.ports.Save(out);
    }
  });
  out.U64(talkers);
  top.ForEach([&](const State& s) {
    for (const TalkerWindow& w : s.talker_windows) {
      for (const auto& [src, t] : w.sources) {
        for (uint64_t v : {w.start, src.hi, src.lo, t.bytes, t.packets, t.flows}) out.U64(v);
      }
    }
  });
  out.U64(exposure);
  size_t state = 0;
  top.ForEach([&](const State& s) {
    const std::vector<uint32_t> id = global_ids(s);
    for (const ExposureTable::Entry& e : *exposure_tables[state++]) {
      out.U32(id[e.key >> 24]);
      out.U16(static_cast<uint16_t>(e.key >> 8));
      out.U8(static_cast<uint8_t>(e.key));
      out.U64(e.accepted);
      out.U64(e.rejected);
      e.sources.Save(out);
    }
  });
}

bool Aggregator::Load(ByteReader& in, std::string* error) {
  State& s = *state_;
  s.Collapse();
  const auto fail = [&](const char* what) {
    in.Fail();
    *error = std::string("malformed aggregate state: ") + what;
    return false;
  };
  const uint64_t records = in.U64();
  const uint32_t n_interfaces = in.U32();
  // Each entry takes at least 24 bytes: two empty strings' lengths and the order.
  if (!in.Expect(n_interfaces, 24)) return fail("interface count");
  std::vector<uint32_t> remap(n_interfaces);
  for (uint32_t k = 0; k < n_interfaces; ++k) {
    const std::string_view name = in.Str();
    const std::string_view account = in.Str();
    const uint64_t order = in.U64();
    const uint64_t row = in.U64();
    if (in.failed()) return fail("interfaces");
    remap[k] = s.InterfaceId(name);
    s.SeeAccount(remap[k], account, {order, row});
  }
  const uint64_t n_windows = in.U64();
  // The key (interface 4 bytes, start 8), the ten counters, two distinct counters (5 bytes each
  // when empty) and the ports (3 bytes when empty).
  if (!in.Expect(n_windows, 4 + 8 + 10 * 8 + 13)) return fail("window count");
  for (uint64_t k = 0; k < n_windows; ++k) {
    const uint32_t iface = in.U32();
    const uint64_t start = in.U64();
    if (in.failed() || iface >= n_interfaces) return fail("window key");
    WindowAgg& a = s.Window({remap[iface], start});
    for (uint64_t* v : WindowAgg::Counters(a)) AddSaturating(*v, ClampToSum(in.U64()));
    if (!a.src.Load(in) || !a.dst.Load(in) || !a.ports.Load(in)) return fail("window counters");
  }
  const uint64_t n_talkers = in.U64();
  if (!in.Expect(n_talkers, 6 * 8)) return fail("talker count");
  for (uint64_t k = 0; k < n_talkers; ++k) {
    const uint64_t window_start = in.U64();
    Addr128 src;
    src.hi = in.U64();
    src.lo = in.U64();
    TalkerAgg& t = s.Talkers(window_start)[src];
    AddSaturating(t.bytes, ClampToSum(in.U64()));
    AddSaturating(t.packets, ClampToSum(in.U64()));
    t.flows += in.U64();
  }
  const uint64_t n_exposure = in.U64();
  if (!in.Expect(n_exposure, 4 + 2 + 1 + 16 + 5)) return fail("exposure count");
  std::vector<ExposureTable::Entry> exposure(n_exposure);
  for (ExposureTable::Entry& e : exposure) {
    const uint32_t iface = in.U32();
    const uint16_t port = in.U16();
    const uint8_t protocol = in.U8();
    if (in.failed() || iface >= n_interfaces) return fail("exposure key");
    e.key = PackExposure(remap[iface], port, protocol);
    e.accepted = in.U64();
    e.rejected = in.U64();
    if (!e.sources.Load(in)) return fail("exposure sources");
  }
  if (in.failed()) return fail("truncated");
  // Bytes after the state are a damage the counts did not catch (the detection state refused
  // them already; sixteen zeros after this one were merged, exit 0).
  if (in.Left() != 0) return fail("bytes after its end");
  s.exposure.Merge(std::move(exposure));
  s.records += records;
  return true;
}

void Aggregator::Route(const ParsedBatch& b, const uint8_t* bytes, const uint32_t* rows, size_t n,
                       const NetworkSet& internal, std::vector<PartitionRows>& out) {
  const size_t parts = out.size();
  const Column* iface = b.FindInterface();
  const Column* src = b.Find(Field::kSrcAddr);
  const Column* pkt_src = b.Find(Field::kPktSrcAddr);
  // Up to n rows each, trimmed at the end. Plain stores into sized arrays: this loop runs for
  // every record on the parse threads.
  struct Out {
    uint32_t* rows;
    uint8_t* tables;
    size_t n;
  };
  std::vector<Out> outs(parts);
  for (size_t k = 0; k < parts; ++k) {
    out[k].rows.resize(n);
    out[k].tables.resize(n);
    outs[k] = {out[k].rows.data(), out[k].tables.data(), 0};
  }
  const ColumnView v_src(src), v_pkt_src(pkt_src);
  std::vector<uint32_t> by_interface(iface != nullptr ? iface->dict.size() : 1);
  for (uint32_t local = 0; local < by_interface.size(); ++local) {
    by_interface[local] =
        static_cast<uint32_t>(InterfaceOwner(LocalText(iface, local, bytes), parts));
  }
  // What a row's source partition updates: everything but the exposure table.
  constexpr uint8_t kBySource = kWindowTable | kTalkerTable;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = rows[i];
    const auto put = [&](size_t k, uint8_t tables) {
      Out& o = outs[k];
      o.rows[o.n] = r;
      o.tables[o.n++] = tables;
    };
    const Addr128* from = EffectiveAddr(v_pkt_src, v_src, r);
    if (from == nullptr) {  // NODATA, SKIPDATA: a window count and nothing else
      put(by_interface[LocalId(iface, r)], kBySource);
      continue;
    }
    const size_t by_source = AddrOwner(*from, parts);
    // Only a record from an external source updates the exposure table (SPEC 3.3).
    if (internal.Contains(*from)) {
      put(by_source, kBySource);
      continue;
    }
    const size_t by_iface = by_interface[LocalId(iface, r)];
    if (by_iface == by_source) {
      put(by_source, kAllTables);
    } else {
      put(by_source, kBySource);
      put(by_iface, kExposureTable);
    }
  }
  for (size_t k = 0; k < parts; ++k) {
    out[k].rows.resize(outs[k].n);
    out[k].tables.resize(outs[k].n);
  }
}

namespace {

// Each interface name's first-seen interface (its account) over all the states an output
// walks, and the name's rank in byte order (the map's order).
struct FirstSeen {
  const Interface* first;
  uint32_t rank;
};
std::map<std::string_view, FirstSeen> FirstSeenByName(
    const std::vector<const std::vector<Interface>*>& all) {
  std::map<std::string_view, FirstSeen> first;
  for (const auto* interfaces : all) {
    for (const Interface& i : *interfaces) {
      auto [it, inserted] = first.emplace(i.name, FirstSeen{&i, 0});
      if (!inserted && EarlierSeen(i.account_seen, i.account, *it->second.first)) {
        it->second.first = &i;
      }
    }
  }
  uint32_t rank = 0;
  for (auto& [name, seen] : first) seen.rank = rank++;
  return first;
}

}  // namespace

std::vector<Aggregator::SeenAccount> Aggregator::Accounts() const {
  std::vector<const std::vector<Interface>*> all;
  state_->ForEach([&](const State& s) { all.push_back(&s.interfaces); });
  std::vector<SeenAccount> out;
  for (const auto& [name, seen] : FirstSeenByName(all)) {
    const Interface& i = *seen.first;
    out.push_back({i.name, i.account, i.account_seen.first, i.account_seen.second});
  }
  return out;
}

void Aggregator::SetAccounts(const std::unordered_map<std::string, std::string>& accounts) {
  const auto set = [&](State& s) {
    for (Interface& i : s.interfaces) {
      if (const auto it = accounts.find(i.name); it != accounts.end()) i.account = it->second;
    }
  };
  set(*state_);
  for (auto& shard : state_->shards) set(*shard);
}

std::vector<WindowRow> WindowRows::ToVector() const {
  std::vector<WindowRow> rows;
  rows.reserve(size());
  ForEach(0, size(), [&](const WindowRow& r) { rows.push_back(r); });
  return rows;
}

static_assert(sizeof(WindowAgg) <= WindowRows::kWindowBytes);

void WindowRows::Fill(const Entry& e, WindowRow& row) const {
  const auto& a = *static_cast<const WindowAgg*>(e.window);
  const Name& n = names_[e.rank];
  row.interface_id.assign(*n.name);
  row.account_id.assign(*n.account);
  row.window_start = e.start;
  row.window_end = e.start + width_;
  row.records = a.records, row.nodata = a.nodata, row.skipdata = a.skipdata;
  row.accepted = a.accepted, row.rejected = a.rejected;
  row.packets = a.packets, row.bytes = a.bytes, row.rejected_bytes = a.rejected_bytes;
  row.bytes_out_external = a.out_external, row.bytes_in_external = a.in_external;
  // A sketch's estimate (past 2,048 values) is off by up to ~1%, either way: never more
  // distinct values than records (an exposure row's records are not counted, so its sources
  // are not capped: docs/outputs.md).
  row.distinct_srcaddr = std::min(a.src.Count(), a.records);
  row.distinct_dstaddr = std::min(a.dst.Count(), a.records);
  row.distinct_dstport = std::min(a.ports.Count(), a.records);
}

std::vector<WindowRow> Aggregator::Windows() const { return WindowsInOrder().ToVector(); }

WindowRows Aggregator::WindowsInOrder() const {
  const State& top = *state_;
  std::vector<const std::vector<Interface>*> all;
  size_t count = 0;
  top.ForEach([&](const State& s) {
    all.push_back(&s.interfaces);
    count += s.window_aggs.size();
  });
  const auto first = FirstSeenByName(all);
  // Each name looked up once per interface of a state: the windows then sort as (name rank,
  // start) integers. Sorting the rows by name compared the names for every pair (most pairs
  // have one name) and moved their strings.
  WindowRows out;
  out.width_ = top.options.window;
  out.entries_.reserve(count);
  out.names_.resize(first.size());
  for (const auto& [name, f] : first) out.names_[f.rank] = {&f.first->name, &f.first->account};
  top.ForEach([&](const State& s) {
    std::vector<uint32_t> rank(s.interfaces.size());
    for (size_t i = 0; i < rank.size(); ++i) rank[i] = first.at(s.interfaces[i].name).rank;
    for (const auto& [key, agg] : s.window_aggs) {
      out.entries_.push_back({key.start, &agg, rank[key.iface]});
    }
  });
  std::sort(out.entries_.begin(), out.entries_.end(),
            [](const WindowRows::Entry& a, const WindowRows::Entry& b) {
              return a.rank != b.rank ? a.rank < b.rank : a.start < b.start;
            });
  return out;
}

std::vector<TalkerRow> Aggregator::Talkers() const {
  // Every state's talker windows by start (a source is in one state's table of a window, so
  // the windows of one start are only concatenated). Sorting the windows, not a map of them:
  // a run of millions of sparse windows (years of logs in 1-minute windows) spent most of its
  // output phase making and probing a hash map entry and a vector per window.
  std::vector<std::pair<uint64_t, const TalkerWindow*>> windows;
  state_->ForEach([&](const State& s) {
    for (const TalkerWindow& w : s.talker_windows) windows.push_back({w.start, &w});
  });
  std::sort(windows.begin(), windows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<TalkerRow> rows;
  std::vector<std::pair<const Addr128*, const TalkerAgg*>> v;
  for (size_t first = 0, end = 0; first < windows.size(); first = end) {
    const uint64_t w = windows[first].first;
    v.clear();
    for (end = first; end < windows.size() && windows[end].first == w; ++end) {
      for (const auto& [src, agg] : windows[end].second->sources) v.push_back({&src, &agg});
    }
    // Only sources tied with the 20th by bytes need their text for the tie-break; the rest
    // need not be ordered at all.
    const auto more_bytes = [](const auto& a, const auto& b) {
      return a.second->bytes > b.second->bytes;
    };
    size_t n = std::min(v.size(), kTopTalkers);
    if (n < v.size()) {
      std::nth_element(v.begin(), v.begin() + (n - 1), v.end(), more_bytes);
      const uint64_t cut = v[n - 1].second->bytes;
      // Everything at or above the 20th's bytes, ties included, to the front.
      n = std::partition(v.begin(), v.end(),
                         [cut](const auto& x) { return x.second->bytes >= cut; }) -
          v.begin();
    }
    std::vector<TalkerRow> candidates;
    for (size_t i = 0; i < n; ++i) {
      candidates.push_back({w, 0, kernels::FormatAddr(*v[i].first), v[i].second->bytes,
                            v[i].second->packets, v[i].second->flows});
    }
    // Only the first 20 in order: with many ties at the cut (a scan's million one-packet
    // probes) the candidates are millions, and a full sort of their text was most of the time.
    const size_t top = std::min(candidates.size(), kTopTalkers);
    std::partial_sort(candidates.begin(), candidates.begin() + top, candidates.end(),
                      [](const TalkerRow& a, const TalkerRow& b) {
                        return a.bytes != b.bytes ? a.bytes > b.bytes : a.srcaddr < b.srcaddr;
                      });
    candidates.resize(top);
    for (size_t i = 0; i < candidates.size(); ++i) {
      candidates[i].rank = static_cast<uint32_t>(i + 1);
      rows.push_back(std::move(candidates[i]));
    }
  }
  return rows;
}

std::vector<ExposureRow> ExposureRows::ToVector() const {
  std::vector<ExposureRow> rows;
  rows.reserve(size_);
  ForEach(0, size_, [&](const ExposureRow& r) { rows.push_back(r); });
  return rows;
}

std::vector<ExposureRow> Aggregator::Exposure() const { return ExposureInOrder().ToVector(); }

ExposureRows Aggregator::ExposureInOrder() const {
  // A table's entries are in (interface id, port, protocol) order, so each interface's are a
  // run of them, already in the output's order within it: the output is those runs in the
  // order of their interfaces' names. Exposure keys have one owner each (Route), so an
  // interface's keys are normally in one table; when they are in several (Absorb of states
  // that split them), its rows are made and sorted here.
  const State& top = *state_;
  ExposureRows out;
  struct Piece {
    std::string_view name;
    const ExposureTable::Entry* entries;
    size_t count;
  };
  std::vector<Piece> pieces;
  top.ForEach([&](const State& s) {
    const ExposureTable::Array<ExposureTable::Entry>& entries =
        s.exposure.Entries(out.spares_.emplace_back(std::make_unique<ExposureTable>()).get());
    for (size_t i = 0; i < entries.size();) {
      const uint64_t id = entries[i].key >> 24;
      size_t j = i + 1;
      while (j < entries.size() && entries[j].key >> 24 == id) ++j;
      pieces.push_back({s.interfaces[id].name, &entries[i], j - i});
      i = j;
    }
  });
  // Stable: pieces of one name keep the order of their states, as rows with equal keys did.
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const Piece& a, const Piece& b) { return a.name < b.name; });
  for (size_t i = 0; i < pieces.size();) {
    size_t j = i + 1;
    while (j < pieces.size() && pieces[j].name == pieces[i].name) ++j;
    ExposureRows::Run run;
    run.name = pieces[i].name;
    run.first_row = out.size_;
    if (j == i + 1) {
      run.entries = pieces[i].entries;
      run.count = pieces[i].count;
    } else {
      std::vector<ExposureRow>& rows = out.made_.emplace_back();
      for (size_t k = i; k < j; ++k) {
        for (size_t e = 0; e < pieces[k].count; ++e) {
          rows.push_back(ExposureRows::RowOf(pieces[k].name, pieces[k].entries[e]));
        }
      }
      std::stable_sort(rows.begin(), rows.end(), [](const ExposureRow& a, const ExposureRow& b) {
        return a.dst_port != b.dst_port ? a.dst_port < b.dst_port : a.protocol < b.protocol;
      });
      run.rows = rows.data();
      run.count = rows.size();
    }
    out.size_ += run.count;
    out.runs_.push_back(run);
    i = j;
  }
  return out;
}

void Aggregator::Flush() {
  state_->exposure.Fold();
  for (auto& shard : state_->shards) shard->exposure.Fold();
}

}  // namespace flowsift
