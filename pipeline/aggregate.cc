#include "pipeline/aggregate.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "kernels/addr.h"
#include "kernels/enums.h"
#include "pipeline/distinct.h"

namespace flowsift {
namespace {

using kernels::Addr128;

uint64_t HashAddr(const Addr128& a) { return Mix64(a.hi ^ Mix64(a.lo)); }

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

 private:
  static constexpr size_t kSmall = 64;
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
struct ExposureKey {
  uint32_t iface;
  uint16_t port;
  uint8_t protocol;
  bool operator==(const ExposureKey&) const = default;
};
struct KeyHash {
  size_t operator()(const WindowKey& k) const {
    return Mix64(k.start * 0x9E3779B97F4A7C15ull ^ k.iface);
  }
  size_t operator()(const TalkerKey& k) const { return Mix64(k.window_start ^ HashAddr(k.src)); }
  size_t operator()(const ExposureKey& k) const {
    return Mix64((uint64_t{k.iface} << 24) | (uint64_t{k.port} << 8) | k.protocol);
  }
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
  std::unordered_map<std::string, uint32_t> interface_index;
  std::unordered_map<WindowKey, WindowAgg, KeyHash> windows;
  std::unordered_map<TalkerKey, TalkerAgg, KeyHash> talkers;
  std::unordered_map<ExposureKey, ExposureAgg, KeyHash> exposure;
  uint64_t records = 0;

  uint32_t InterfaceId(std::string_view name) {
    auto it = interface_index.find(std::string(name));
    if (it != interface_index.end()) return it->second;
    const uint32_t id = static_cast<uint32_t>(interfaces.size());
    interfaces.push_back({std::string(name), "-", {UINT64_MAX, UINT64_MAX}});
    interface_index.emplace(std::string(name), id);
    return id;
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

  // Rows of one chunk mostly repeat a few interfaces: remember the last one's id.
  std::string_view last_name;
  uint32_t last_id = 0;
  bool have_last = false;

  auto effective = [](const Column* pkt, const Column* plain, size_t r) -> const Addr128* {
    if (pkt != nullptr && pkt->present(r)) return &pkt->addr[r];
    if (plain != nullptr && plain->present(r)) return &plain->addr[r];
    return nullptr;
  };

  for (size_t i = 0; i < n; ++i) {
    const size_t r = rows != nullptr ? rows[i] : i;
    const std::string_view name = TextOf(iface, r, bytes);
    if (!have_last || name != last_name) {
      last_id = s.InterfaceId(name);
      last_name = name;
      have_last = true;
    }
    const uint32_t id = last_id;
    s.SeeAccount(id, TextOf(account, r, bytes), {order, r});

    const uint64_t t = (start != nullptr && start->present(r)) ? start->u64[r] : 0;
    const uint64_t window_start = t - t % w;
    WindowAgg& agg = s.windows[{id, window_start}];
    ++agg.records;
    if (status != nullptr) {
      const auto code = static_cast<kernels::LogStatus>(status->code[r]);
      agg.nodata += code == kernels::LogStatus::kNoData;
      agg.skipdata += code == kernels::LogStatus::kSkipData;
    }
    const bool rejected = action != nullptr &&
                          static_cast<kernels::Action>(action->code[r]) == kernels::Action::kReject;
    if (action != nullptr) {
      agg.accepted += static_cast<kernels::Action>(action->code[r]) == kernels::Action::kAccept;
      agg.rejected += rejected;
    }
    const uint64_t n_packets = (packets != nullptr && packets->present(r)) ? packets->u64[r] : 0;
    const uint64_t n_bytes =
        (bytes_col != nullptr && bytes_col->present(r)) ? bytes_col->u64[r] : 0;
    agg.packets += n_packets;
    agg.bytes += n_bytes;
    if (rejected) agg.rejected_bytes += n_bytes;

    const Addr128* from = effective(pkt_src, src, r);
    const Addr128* to = effective(pkt_dst, dst, r);
    const bool from_internal = from != nullptr && s.options.internal.Contains(*from);
    const bool to_internal = to != nullptr && s.options.internal.Contains(*to);
    if (from != nullptr && to != nullptr) {
      if (from_internal && !to_internal) agg.out_external += n_bytes;
      if (!from_internal && to_internal) agg.in_external += n_bytes;
    }
    if (from != nullptr) agg.src.Add(HashAddr(*from));
    if (to != nullptr) agg.dst.Add(HashAddr(*to));
    const bool has_port = dstport != nullptr && dstport->present(r);
    if (has_port) agg.ports.Add(static_cast<uint16_t>(dstport->u64[r]));

    if (from != nullptr) {
      TalkerAgg& talker = s.talkers[{window_start, *from}];
      talker.bytes += n_bytes;
      talker.packets += n_packets;
      ++talker.flows;
      if (!from_internal && has_port && protocol != nullptr && protocol->present(r)) {
        ExposureAgg& e = s.exposure[{id, static_cast<uint16_t>(dstport->u64[r]),
                                     static_cast<uint8_t>(protocol->u64[r])}];
        if (action != nullptr) {
          e.accepted += static_cast<kernels::Action>(action->code[r]) == kernels::Action::kAccept;
          e.rejected += rejected;
        }
        e.sources.Add(HashAddr(*from));
      }
    }
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
  for (const auto& [key, agg] : o.windows) s.windows[{remap[key.iface], key.start}].Merge(agg);
  for (const auto& [key, agg] : o.talkers) {
    TalkerAgg& t = s.talkers[key];
    t.bytes += agg.bytes, t.packets += agg.packets, t.flows += agg.flows;
  }
  for (const auto& [key, agg] : o.exposure) {
    ExposureAgg& e = s.exposure[{remap[key.iface], key.port, key.protocol}];
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
  for (const auto& [key, a] : s.windows) {
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
  std::vector<ExposureRow> rows;
  rows.reserve(s.exposure.size());
  for (const auto& [key, e] : s.exposure) {
    rows.push_back({s.interfaces[key.iface].name, key.port, key.protocol, e.accepted, e.rejected,
                    e.sources.Count()});
  }
  std::sort(rows.begin(), rows.end(), [](const ExposureRow& a, const ExposureRow& b) {
    if (a.interface_id != b.interface_id) return a.interface_id < b.interface_id;
    if (a.dst_port != b.dst_port) return a.dst_port < b.dst_port;
    return a.protocol < b.protocol;
  });
  return rows;
}

}  // namespace flowsift
