#include "pipeline/aggregate.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "kernels/addr.h"
#include "kernels/enums.h"
#include "pipeline/distinct.h"
#include "pipeline/flat_map.h"

namespace flowsift {
namespace {

using kernels::Addr128;

uint64_t HashAddr(const Addr128& a) { return Mix64(a.hi ^ Mix64(a.lo)); }

// Equality of short strings without a call to memcmp: interface names are ~21 bytes.
bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const size_t n = a.size();
  if (n < 8) return a == b;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t x, y;
    memcpy(&x, a.data() + i, 8);
    memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  uint64_t x, y;  // the last 8 bytes, overlapping the loop's when n % 8 != 0
  memcpy(&x, a.data() + n - 8, 8);
  memcpy(&y, b.data() + n - 8, 8);
  return x == y;
}

// Every byte of an interface name, 8 at a time: ids like eni-0123456789abcdef0 differ anywhere.
uint64_t HashName(std::string_view name) {
  uint64_t h = name.size();
  size_t i = 0;
  for (; i + 8 <= name.size(); i += 8) {
    uint64_t word;
    memcpy(&word, name.data() + i, 8);
    h = Mix64(h ^ word);
  }
  if (i < name.size()) {
    uint64_t word = 0;
    memcpy(&word, name.data() + i, name.size() - i);
    h = Mix64(h ^ word);
  }
  return h;
}

// Exact distinct destination ports: a short list, then a 65,536-bit map (8 KiB).
class PortCounter {
 public:
  void Add(uint16_t port) {
    if (bits_) {
      uint64_t& word = bits_[port >> 6];
      const uint64_t bit = uint64_t{1} << (port & 63);
      count_ += (word & bit) == 0;
      word |= bit;
      return;
    }
    if (std::find(small_.begin(), small_.end(), port) != small_.end()) return;
    small_.push_back(port);
    ++count_;
    if (small_.size() > kSmall) {
      bits_ = std::make_unique<uint64_t[]>(1024);
      std::fill(bits_.get(), bits_.get() + 1024, 0);
      for (uint16_t p : small_) bits_[p >> 6] |= uint64_t{1} << (p & 63);
      small_.clear();
      small_.shrink_to_fit();
    }
  }
  void Merge(const PortCounter& other) {
    if (other.bits_) {
      for (uint32_t w = 0; w < 1024; ++w) {
        for (uint64_t b = other.bits_[w]; b != 0; b &= b - 1) {
          Add(static_cast<uint16_t>(w * 64 + static_cast<uint32_t>(__builtin_ctzll(b))));
        }
      }
      return;
    }
    for (uint16_t p : other.small_) Add(p);
  }
  uint64_t Count() const { return count_; }
  // Starts loading the bitmap word Add(port) will touch (8 KiB per busy window).
  void Prefetch(uint16_t port) const {
    if (bits_) __builtin_prefetch(&bits_[port >> 6]);
  }

 private:
  // A busy window sees hundreds of ports; past 16 a bit test beats the scan.
  static constexpr size_t kSmall = 16;
  std::vector<uint16_t> small_;
  std::unique_ptr<uint64_t[]> bits_;
  uint64_t count_ = 0;
};

struct WindowKey {
  uint32_t iface;
  uint64_t start;
  bool operator==(const WindowKey&) const = default;
};
struct TalkerKey {
  uint64_t window_start;
  Addr128 src;
  bool operator==(const TalkerKey&) const = default;
};
// (interface, dst port, protocol) packed as iface << 24 | port << 8 | protocol.
using ExposureKey = uint64_t;
ExposureKey PackExposure(uint32_t iface, uint16_t port, uint8_t protocol) {
  return (uint64_t{iface} << 24) | (uint64_t{port} << 8) | protocol;
}

// Talker hashes reuse the source's HashAddr, which AddRows computes once per row anyway.
uint64_t HashTalker(uint64_t window_start, uint64_t src_hash) {
  return Mix64(window_start ^ src_hash);
}
struct KeyHash {
  uint64_t operator()(const WindowKey& k) const {
    return Mix64(k.start * 0x9E3779B97F4A7C15ull ^ k.iface);
  }
  uint64_t operator()(const TalkerKey& k) const {
    return HashTalker(k.window_start, HashAddr(k.src));
  }
  uint64_t operator()(ExposureKey k) const { return Mix64(k); }
};

struct WindowAgg {
  uint64_t records = 0, nodata = 0, skipdata = 0, accepted = 0, rejected = 0;
  uint64_t packets = 0, bytes = 0, rejected_bytes = 0, out_external = 0, in_external = 0;
  DistinctCounter src, dst;
  PortCounter ports;

  void Merge(const WindowAgg& o) {
    records += o.records, nodata += o.nodata, skipdata += o.skipdata;
    accepted += o.accepted, rejected += o.rejected, packets += o.packets, bytes += o.bytes;
    rejected_bytes += o.rejected_bytes, out_external += o.out_external;
    in_external += o.in_external;
    src.Merge(o.src);
    dst.Merge(o.dst);
    ports.Merge(o.ports);
  }
};

struct TalkerAgg {
  uint64_t bytes = 0, packets = 0, flows = 0;
};

struct ExposureAgg {
  uint64_t accepted = 0, rejected = 0;
  DistinctCounter sources;
};

// "First seen" order of a value: the batch's order, then the row within it.
using SeenOrder = std::pair<uint64_t, uint64_t>;

struct Interface {
  std::string name;
  std::string account;
  SeenOrder account_seen{UINT64_MAX, UINT64_MAX};
};

std::string_view TextOf(const Column* col, size_t row, const uint8_t* bytes) {
  if (col == nullptr) return "-";
  const kernels::FieldSpan s = col->spans[row];
  return {reinterpret_cast<const char*>(bytes + s.begin), s.end - s.begin};
}

}  // namespace

struct Aggregator::State {
  AggregateOptions options;
  std::vector<Interface> interfaces;
  // Open addressing over interfaces by HashName: tag << 32 | (id + 1), 0 empty. A lookup
  // allocates nothing and compares the name bytes only on a 32-bit tag match.
  std::vector<uint64_t> interface_slots;
  // Windows stay put (a deque) so AddRows can hold pointers to them across inserts.
  std::deque<std::pair<WindowKey, WindowAgg>> window_aggs;
  FlatMap<WindowKey, WindowAgg*, KeyHash> windows;
  FlatMap<TalkerKey, TalkerAgg, KeyHash> talkers;
  FlatMap<ExposureKey, ExposureAgg, KeyHash> exposure;
  uint64_t records = 0;

  uint32_t InterfaceId(std::string_view name) {
    if ((interfaces.size() + 1) * 2 > interface_slots.size()) GrowInterfaces();
    const uint64_t h = HashName(name);
    const uint64_t tag = h >> 32 << 32;
    const size_t mask = interface_slots.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint64_t slot = interface_slots[i];
      if (slot == 0) {
        const uint32_t id = static_cast<uint32_t>(interfaces.size());
        interfaces.push_back({std::string(name), "-", {UINT64_MAX, UINT64_MAX}});
        interface_slots[i] = tag | (id + 1);
        return id;
      }
      if ((slot & ~uint64_t{0xFFFFFFFF}) == tag) {
        const uint32_t id = static_cast<uint32_t>(slot) - 1;
        if (SameBytes(interfaces[id].name, name)) return id;
      }
    }
  }

  WindowAgg& Window(const WindowKey& key) {
    WindowAgg*& agg = windows[key];
    if (agg == nullptr) agg = &window_aggs.emplace_back(key, WindowAgg()).second;
    return *agg;
  }

  void GrowInterfaces() {
    interface_slots.assign(interface_slots.empty() ? 64 : interface_slots.size() * 2, 0);
    const size_t mask = interface_slots.size() - 1;
    for (uint32_t id = 0; id < interfaces.size(); ++id) {
      const uint64_t h = HashName(interfaces[id].name);
      size_t i = h & mask;
      while (interface_slots[i] != 0) i = (i + 1) & mask;
      interface_slots[i] = (h >> 32 << 32) | (id + 1);
    }
  }

  void SeeAccount(uint32_t iface, std::string_view account, SeenOrder seen) {
    Interface& i = interfaces[iface];
    if (seen < i.account_seen) {
      i.account_seen = seen;
      i.account = std::string(account);
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

uint64_t Aggregator::records() const { return state_->records; }

void Aggregator::Add(const ParsedBatch& b, const uint8_t* bytes, uint64_t order) {
  AddRows(b, bytes, order, nullptr, b.rows);
}

void Aggregator::AddRows(const ParsedBatch& b, const uint8_t* bytes, uint64_t order,
                         const uint32_t* rows, size_t n) {
  State& s = *state_;
  const Column* iface = b.Find(Field::kInterfaceId);
  if (iface == nullptr) iface = b.Find(Field::kTgwAttachmentId);
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
  const uint64_t w = s.options.window;

  // Consecutive rows often share an interface (both directions of a flow) and a window:
  // remember the last name's id and the last window.
  std::string_view last_name;
  uint32_t last_id = 0;
  bool have_last = false;
  WindowKey last_window{0, 0};
  WindowAgg* last_agg = nullptr;

  auto effective = [](const Column* pkt, const Column* plain, size_t r) -> const Addr128* {
    if (pkt != nullptr && pkt->present(r)) return &pkt->addr[r];
    if (plain != nullptr && plain->present(r)) return &plain->addr[r];
    return nullptr;
  };
  auto row_of = [rows](size_t i) -> size_t { return rows != nullptr ? rows[i] : i; };

  // Two stages kDepth rows apart. The first resolves a row's keys and hashes and prefetches
  // every table slot the row will update (distinct counters, talkers, exposure, the text
  // kDepth rows further on); the second updates them. With ~1,400 windows of up to 32 KiB
  // counters and 600k exposure keys nearly every update is a cache miss: this overlaps them.
  constexpr size_t kDepth = 16;
  struct Staged {
    size_t r;
    uint32_t id;
    WindowAgg* agg;
    const Addr128* from;
    uint64_t window_start, from_hash, to_hash, talker_hash, exposure_hash;
    ExposureKey exposure_key;
    uint64_t n_bytes, n_packets;
    bool has_to, rejected, accepted, exposed, has_port;
    uint16_t port;
  };
  Staged ring[kDepth];

  auto stage = [&](size_t i, Staged& st) {
    const size_t r = row_of(i);
    if (iface != nullptr && i + kDepth < n) {
      __builtin_prefetch(bytes + iface->spans[row_of(i + kDepth)].begin);
    }
    const std::string_view name = TextOf(iface, r, bytes);
    if (!have_last || !SameBytes(name, last_name)) {
      last_id = s.InterfaceId(name);
      last_name = name;
      have_last = true;
      // Within one call `order` is fixed and rows ascend, so only an interface's first row
      // of a run can be its earliest: later rows of the run never win SeeAccount.
      s.SeeAccount(last_id, TextOf(account, r, bytes), {order, r});
    }
    st.r = r;
    st.id = last_id;
    const uint64_t t = (start != nullptr && start->present(r)) ? start->u64[r] : 0;
    st.window_start = t - t % w;
    const WindowKey window_key{st.id, st.window_start};
    if (last_agg == nullptr || !(window_key == last_window)) {
      last_agg = &s.Window(window_key);  // deque entries never move
      last_window = window_key;
    }
    st.agg = last_agg;

    st.rejected = action != nullptr &&
                  static_cast<kernels::Action>(action->code[r]) == kernels::Action::kReject;
    st.accepted = action != nullptr &&
                  static_cast<kernels::Action>(action->code[r]) == kernels::Action::kAccept;
    st.n_packets = (packets != nullptr && packets->present(r)) ? packets->u64[r] : 0;
    st.n_bytes = (bytes_col != nullptr && bytes_col->present(r)) ? bytes_col->u64[r] : 0;
    st.has_port = dstport != nullptr && dstport->present(r);
    st.port = st.has_port ? static_cast<uint16_t>(dstport->u64[r]) : 0;
    if (st.has_port) st.agg->ports.Prefetch(st.port);

    st.from = effective(pkt_src, src, r);
    const Addr128* to = effective(pkt_dst, dst, r);
    st.has_to = to != nullptr;
    st.exposed = false;
    const bool from_internal = st.from != nullptr && s.options.internal.Contains(*st.from);
    if (st.from != nullptr && to != nullptr) {
      const bool to_internal = s.options.internal.Contains(*to);
      if (from_internal && !to_internal) st.agg->out_external += st.n_bytes;
      if (!from_internal && to_internal) st.agg->in_external += st.n_bytes;
    }
    if (to != nullptr) {
      st.to_hash = HashAddr(*to);
      st.agg->dst.Prefetch(st.to_hash);
    }
    if (st.from != nullptr) {
      st.from_hash = HashAddr(*st.from);
      st.agg->src.Prefetch(st.from_hash);
      st.talker_hash = HashTalker(st.window_start, st.from_hash);
      s.talkers.Prefetch(st.talker_hash);
      if (!from_internal && st.has_port && protocol != nullptr && protocol->present(r)) {
        st.exposed = true;
        st.exposure_key = PackExposure(st.id, st.port, static_cast<uint8_t>(protocol->u64[r]));
        st.exposure_hash = KeyHash{}(st.exposure_key);
        s.exposure.Prefetch(st.exposure_hash);
      }
    }
  };

  auto apply = [&](const Staged& st) {
    WindowAgg& agg = *st.agg;
    const size_t r = st.r;
    ++agg.records;
    if (status != nullptr) {
      const auto code = static_cast<kernels::LogStatus>(status->code[r]);
      agg.nodata += code == kernels::LogStatus::kNoData;
      agg.skipdata += code == kernels::LogStatus::kSkipData;
    }
    agg.accepted += st.accepted;
    agg.rejected += st.rejected;
    agg.packets += st.n_packets;
    agg.bytes += st.n_bytes;
    if (st.rejected) agg.rejected_bytes += st.n_bytes;
    if (st.has_to) agg.dst.Add(st.to_hash);
    if (st.has_port) agg.ports.Add(st.port);
    if (st.from != nullptr) {
      agg.src.Add(st.from_hash);
      TalkerAgg& talker = s.talkers.FindOrInsert({st.window_start, *st.from}, st.talker_hash);
      talker.bytes += st.n_bytes;
      talker.packets += st.n_packets;
      ++talker.flows;
      if (st.exposed) {
        ExposureAgg& e = s.exposure.FindOrInsert(st.exposure_key, st.exposure_hash);
        e.accepted += st.accepted;
        e.rejected += st.rejected;
        e.sources.Add(st.from_hash);
      }
    }
  };

  for (size_t i = 0; i < n + kDepth; ++i) {
    if (i >= kDepth) apply(ring[(i - kDepth) % kDepth]);
    if (i < n) stage(i, ring[i % kDepth]);
  }
  s.records += n;
}

void Aggregator::Merge(const Aggregator& other) {
  State& s = *state_;
  const State& o = *other.state_;
  std::vector<uint32_t> remap(o.interfaces.size());
  for (size_t i = 0; i < o.interfaces.size(); ++i) {
    remap[i] = s.InterfaceId(o.interfaces[i].name);
    s.SeeAccount(remap[i], o.interfaces[i].account, o.interfaces[i].account_seen);
  }
  for (const auto& [key, agg] : o.window_aggs) s.Window({remap[key.iface], key.start}).Merge(agg);
  for (const auto& [key, agg] : o.talkers) {
    TalkerAgg& t = s.talkers[key];
    t.bytes += agg.bytes, t.packets += agg.packets, t.flows += agg.flows;
  }
  for (const auto& [key, agg] : o.exposure) {
    ExposureAgg& e = s.exposure[PackExposure(remap[key >> 24], static_cast<uint16_t>(key >> 8),
                                             static_cast<uint8_t>(key))];
    e.accepted += agg.accepted;
    e.rejected += agg.rejected;
    e.sources.Merge(agg.sources);
  }
  s.records += o.records;
}

std::vector<WindowRow> Aggregator::Windows() const {
  const State& s = *state_;
  std::vector<WindowRow> rows;
  rows.reserve(s.windows.size());
  for (const auto& [key, a] : s.window_aggs) {
    const Interface& i = s.interfaces[key.iface];
    rows.push_back({i.name, i.account, key.start, key.start + s.options.window, a.records, a.nodata,
                    a.skipdata, a.accepted, a.rejected, a.packets, a.bytes, a.rejected_bytes,
                    a.out_external, a.in_external, a.src.Count(), a.dst.Count(), a.ports.Count()});
  }
  std::sort(rows.begin(), rows.end(), [](const WindowRow& a, const WindowRow& b) {
    return a.interface_id != b.interface_id ? a.interface_id < b.interface_id
                                            : a.window_start < b.window_start;
  });
  return rows;
}

std::vector<TalkerRow> Aggregator::Talkers() const {
  const State& s = *state_;
  std::unordered_map<uint64_t, std::vector<std::pair<const TalkerKey*, const TalkerAgg*>>>
      by_window;
  for (const auto& [key, agg] : s.talkers) by_window[key.window_start].push_back({&key, &agg});
  std::vector<uint64_t> windows;
  for (const auto& [w, v] : by_window) windows.push_back(w);
  std::sort(windows.begin(), windows.end());
  std::vector<TalkerRow> rows;
  for (uint64_t w : windows) {
    auto& v = by_window[w];
    // Only sources tied with the 20th by bytes need their text for the tie-break.
    std::sort(v.begin(), v.end(),
              [](const auto& a, const auto& b) { return a.second->bytes > b.second->bytes; });
    size_t n = std::min(v.size(), kTopTalkers);
    while (n < v.size() && v[n].second->bytes == v[n - 1].second->bytes) ++n;
    std::vector<TalkerRow> candidates;
    for (size_t i = 0; i < n; ++i) {
      candidates.push_back({w, 0, kernels::FormatAddr(v[i].first->src), v[i].second->bytes,
                            v[i].second->packets, v[i].second->flows});
    }
    std::sort(candidates.begin(), candidates.end(), [](const TalkerRow& a, const TalkerRow& b) {
      return a.bytes != b.bytes ? a.bytes > b.bytes : a.srcaddr < b.srcaddr;
    });
    candidates.resize(std::min(candidates.size(), kTopTalkers));
    for (size_t i = 0; i < candidates.size(); ++i) {
      candidates[i].rank = static_cast<uint32_t>(i + 1);
      rows.push_back(std::move(candidates[i]));
    }
  }
  return rows;
}

std::vector<ExposureRow> Aggregator::Exposure() const {
  const State& s = *state_;
  // Sort packed keys with the interface id replaced by its name's rank: integer compares
  // instead of string compares over ~600k rows, and the same order.
  std::vector<uint32_t> by_name(s.interfaces.size());
  for (uint32_t i = 0; i < by_name.size(); ++i) by_name[i] = i;
  std::sort(by_name.begin(), by_name.end(),
            [&](uint32_t a, uint32_t b) { return s.interfaces[a].name < s.interfaces[b].name; });
  std::vector<uint32_t> rank(by_name.size());
  for (uint32_t i = 0; i < by_name.size(); ++i) rank[by_name[i]] = i;
  std::vector<std::pair<uint64_t, const ExposureAgg*>> keys;
  keys.reserve(s.exposure.size());
  for (const auto& [key, e] : s.exposure) {
    keys.push_back({(uint64_t{rank[key >> 24]} << 24) | (key & 0xFFFFFF), &e});
  }
  std::sort(keys.begin(), keys.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<ExposureRow> rows;
  rows.reserve(keys.size());
  for (const auto& [key, e] : keys) {
    rows.push_back({s.interfaces[by_name[key >> 24]].name,
                    static_cast<uint32_t>((key >> 8) & 0xFFFF), static_cast<uint32_t>(key & 0xFF),
                    e->accepted, e->rejected, e->sources.Count()});
  }
  return rows;
}

}  // namespace flowsift
