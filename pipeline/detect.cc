#include "pipeline/detect.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <tuple>
#include <unordered_map>

#include "kernels/addr.h"
#include "kernels/enums.h"
#include "pipeline/distinct.h"
#include "pipeline/flat_map.h"

namespace flowsift {
namespace {

using kernels::Addr128;

bool AddrLess(const Addr128& a, const Addr128& b) {
  return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
}
uint64_t HashAddr(const Addr128& a) { return Mix64(a.hi ^ Mix64(a.lo)); }
std::string Text(const Addr128& a) { return kernels::FormatAddr(a); }

// A TCP request without payload: what a SYN probe, a retransmitted SYN or a flood packet
// looks like. 80 bytes per packet covers a SYN with every option (IPv6 adds 20).
constexpr uint64_t kMaxProbePackets = 3, kMaxProbeBytesPerPacket = 80;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kSyn = 2, kSynAck = 18;
// TRW contacts kept per source: the walk decides after 5.4 contacts on average (Wald's
// expectation with SiLK's constants, detections.md section 3); 32 leave room for mixed walks.
constexpr size_t kTrwContacts = 32;
// Sample values kept as evidence: the smallest ones, so that merges agree.
constexpr size_t kSamples = 10;
// Exfiltration destinations tracked exactly per (source, window, interface); past this many
// the per-destination bytes are dropped (whether that happens depends on the set alone).
constexpr size_t kExfilDsts = 64;

// Interned interface names; ids are per Detector and remapped by Merge.
struct Names {
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> names;
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> ids;
  uint32_t Id(std::string_view name) {
    auto it = ids.find(name);
    if (it != ids.end()) return it->second;
    const uint32_t id = static_cast<uint32_t>(names.size());
    names.emplace_back(name);
    ids.emplace(names.back(), id);
    return id;
  }
};

// The kMaxInterfaces bytewise-smallest interface names seen, as ids sorted by name.
struct InterfaceSet {
  std::vector<uint32_t> ids;
  void Add(uint32_t id, const Names& n) {
    // Almost always present already: integer compares before any string compare.
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) return;
    const std::string& name = n.names[id];
    auto it = std::lower_bound(ids.begin(), ids.end(), name,
                               [&](uint32_t x, const std::string& v) { return n.names[x] < v; });
    if (it != ids.end() && *it == id) return;
    if (ids.size() == kMaxInterfaces && it == ids.end()) return;
    ids.insert(it, id);
    if (ids.size() > kMaxInterfaces) ids.pop_back();
  }
};

// Flows, packets, bytes and times of the records behind one piece of state.
struct Activity {
  uint64_t flows = 0, packets = 0, bytes = 0;
  uint64_t first = UINT64_MAX, last = 0;
  InterfaceSet ifaces;
  void Add(uint64_t p, uint64_t b, uint64_t start, uint64_t end, uint32_t iface, const Names& n) {
    ++flows;
    packets += p;
    bytes += b;
    first = std::min(first, start);
    last = std::max(last, std::max(end, start));
    ifaces.Add(iface, n);
  }
  void Merge(const Activity& o, const std::vector<uint32_t>& remap, const Names& n) {
    flows += o.flows, packets += o.packets, bytes += o.bytes;
    first = std::min(first, o.first);
    last = std::max(last, o.last);
    for (uint32_t id : o.ifaces.ids) ifaces.Add(remap[id], n);
  }
};

// The k smallest values of a total order.
template <typename T, typename Less>
void AddSmallest(std::vector<T>& v, const T& x, size_t k, Less less) {
  auto it = std::lower_bound(v.begin(), v.end(), x, less);
  if (it != v.end() && !less(x, *it)) return;  // equal: present
  if (v.size() == k && it == v.end()) return;
  v.insert(it, x);
  if (v.size() > k) v.pop_back();
}

// An exact set of ports: a sorted list, then a 65,536-bit map.
class PortSet {
 public:
  void Add(uint16_t p) {
    if (bits_) {
      uint64_t& w = bits_[p >> 6];
      const uint64_t bit = uint64_t{1} << (p & 63);
      count_ += (w & bit) == 0;
      w |= bit;
      return;
    }
    auto it = std::lower_bound(small_.begin(), small_.end(), p);
    if (it != small_.end() && *it == p) return;
    small_.insert(it, p);
    ++count_;
    if (small_.size() > 64) {
      bits_ = std::make_unique<uint64_t[]>(1024);
      std::fill(bits_.get(), bits_.get() + 1024, 0);
      for (uint16_t x : small_) bits_[x >> 6] |= uint64_t{1} << (x & 63);
      small_ = {};
    }
  }
  bool Contains(uint16_t p) const {
    if (bits_) return (bits_[p >> 6] >> (p & 63)) & 1;
    return std::binary_search(small_.begin(), small_.end(), p);
  }
  template <typename F>
  void ForEach(F&& f) const {
    if (!bits_) {
      for (uint16_t p : small_) f(p);
      return;
    }
    for (uint32_t w = 0; w < 1024; ++w) {
      for (uint64_t b = bits_[w]; b != 0; b &= b - 1) {
        f(static_cast<uint16_t>(w * 64 + static_cast<uint32_t>(__builtin_ctzll(b))));
      }
    }
  }
  void Merge(const PortSet& o) {
    o.ForEach([&](uint16_t p) { Add(p); });
  }
  uint64_t size() const { return count_; }

 private:
  std::vector<uint16_t> small_;
  std::unique_ptr<uint64_t[]> bits_;
  uint64_t count_ = 0;
};

// Protocol numbers seen: the finding names one when there was one.
struct Protocols {
  uint16_t lo = 256, hi = 0;
  void Add(uint8_t p) {
    lo = std::min<uint16_t>(lo, p);
    hi = std::max<uint16_t>(hi, p);
  }
  void Merge(const Protocols& o) {
    lo = std::min(lo, o.lo);
    hi = std::max(hi, o.hi);
  }
  std::optional<uint32_t> Single() const {
    return lo == hi ? std::optional<uint32_t>(lo) : std::nullopt;
  }
};

// --- State keys ----------------------------------------------------------------------------------

struct PairKey {  // port_scan: (src, dst, window)
  Addr128 src, dst;
  uint64_t window;
  bool operator==(const PairKey&) const = default;
};
struct BruteKey {  // brute_force: (src, dst, port, window)
  Addr128 src, dst;
  uint64_t window;
  uint32_t port;
  bool operator==(const BruteKey&) const = default;
};
struct SweepKey {  // port_sweep: (src, port, protocol, window)
  Addr128 src;
  uint64_t window;
  uint32_t port_proto;  // port << 8 | protocol
  bool operator==(const SweepKey&) const = default;
};
struct HostKey {  // exfiltration (src) and fan-in (dst): (host, window)
  Addr128 host;
  uint64_t window;
  bool operator==(const HostKey&) const = default;
};
struct RelayKey {  // exfiltration: (host, window, interface id)
  Addr128 host;
  uint64_t window;
  uint32_t iface;
  bool operator==(const RelayKey&) const = default;
};
struct IfaceKey {  // reject_spike: (interface name, window)
  std::string iface;
  uint64_t window;
  bool operator==(const IfaceKey&) const = default;
};

struct KeyHash {
  size_t operator()(const PairKey& k) const {
    return Mix64(HashAddr(k.src) ^ std::rotl(HashAddr(k.dst), 17) ^ k.window);
  }
  size_t operator()(const BruteKey& k) const {
    return Mix64(HashAddr(k.src) ^ std::rotl(HashAddr(k.dst), 17) ^ k.window ^
                 (uint64_t{k.port} << 48));
  }
  size_t operator()(const SweepKey& k) const {
    return Mix64(HashAddr(k.src) ^ k.window ^ (uint64_t{k.port_proto} << 40));
  }
  uint64_t operator()(const HostKey& k) const { return Mix64(HashAddr(k.host) ^ k.window); }
  uint64_t operator()(const RelayKey& k) const {
    return Mix64(HashAddr(k.host) ^ k.window ^ (uint64_t{k.iface} << 40));
  }
  uint64_t operator()(const Addr128& a) const { return HashAddr(a); }
  size_t operator()(const IfaceKey& k) const {
    return Mix64(std::hash<std::string>{}(k.iface) ^ k.window);
  }
};

// --- State values --------------------------------------------------------------------------------

struct ScanState {
  PortSet failed, answered;
  uint64_t rejected = 0;
  Protocols protocols;
  Activity activity;
};

struct SweepState {
  DistinctCounter dsts;
  std::vector<Addr128> sample;  // smallest failed destinations
  uint64_t rejected = 0;
  Activity activity;
};

struct BruteState {
  DistinctCounter attempts;  // distinct source ports: one per connection
  uint64_t rejected = 0, probes = 0;
  Activity activity;
};

struct Contact {
  uint64_t window;
  Addr128 dst;
  bool success;
};
bool ContactLess(const Contact& a, const Contact& b) {
  return a.window != b.window ? a.window < b.window : AddrLess(a.dst, b.dst);
}

struct TrwState {
  std::vector<Contact> contacts;  // the kTrwContacts first, by (window, dst)
  DistinctCounter dsts;
  std::vector<uint16_t> ports;  // smallest destination ports
  Activity activity;

  void See(uint64_t window, const Addr128& dst, bool success) {
    for (Contact& c : contacts) {
      if (c.dst == dst) {
        if (window < c.window) {
          c.window = window;
          c.success = success;
          std::sort(contacts.begin(), contacts.end(), ContactLess);
        } else if (window == c.window) {
          c.success |= success;
        }
        return;
      }
    }
    AddSmallest(contacts, Contact{window, dst, success}, kTrwContacts, ContactLess);
  }
};

// Bytes an internal host sent to external destinations, and relayed for other internal hosts,
// as seen on one interface in one window.
struct ExfilSide {
  uint32_t iface = 0;
  uint64_t out = 0, flows = 0, packets = 0;
  std::vector<std::pair<Addr128, uint64_t>> dsts;  // sorted by address; empty when too many
  bool too_many = false;
  DistinctCounter distinct;
  std::vector<uint16_t> ports;  // smallest
};

struct HostState {
  std::vector<ExfilSide> sides;  // by interface id
  uint64_t first = UINT64_MAX, last = 0;
  // Fan-in: external sources sending requests to this host.
  DistinctCounter sources;
  uint64_t in_flows = 0, in_packets = 0, in_bytes = 0;
  uint64_t in_first = UINT64_MAX, in_last = 0;
  InterfaceSet in_ifaces;
  Protocols in_protocols;
  uint32_t port_lo = 65536, port_hi = 0;
  DistinctCounter in_ports;

  ExfilSide& Side(uint32_t iface) {
    for (ExfilSide& s : sides) {
      if (s.iface == iface) return s;
    }
    sides.push_back({});
    sides.back().iface = iface;
    return sides.back();
  }
};

struct RejectState {
  uint64_t flows = 0, packets = 0, bytes = 0;
  uint64_t first = UINT64_MAX, last = 0;
  DistinctCounter sources, ports;
  std::vector<uint16_t> sample_ports;
};

void AddDst(ExfilSide& s, const Addr128& dst, uint64_t bytes) {
  s.distinct.Add(HashAddr(dst));
  if (s.too_many) return;
  auto it = std::lower_bound(s.dsts.begin(), s.dsts.end(), dst,
                             [](const auto& e, const Addr128& a) { return AddrLess(e.first, a); });
  if (it != s.dsts.end() && it->first == dst) {
    it->second += bytes;
    return;
  }
  s.dsts.insert(it, {dst, bytes});
  if (s.dsts.size() > kExfilDsts) {
    s.dsts = {};
    s.too_many = true;
  }
}

std::string_view TextOf(const Column* col, size_t row, const uint8_t* bytes) {
  if (col == nullptr) return "-";
  const kernels::FieldSpan s = col->spans[row];
  return {reinterpret_cast<const char*>(bytes + s.begin), s.end - s.begin};
}

uint64_t WindowOf(uint64_t t, uint64_t w) { return t - t % w; }

double Round3(double x) { return std::round(x * 1000) / 1000; }

}  // namespace

struct Detector::State {
  DetectOptions o;
  Names names;
  std::unordered_map<PairKey, ScanState, KeyHash> scans;
  std::unordered_map<SweepKey, SweepState, KeyHash> sweeps;
  std::unordered_map<BruteKey, BruteState, KeyHash> brutes;
  FlatMap<Addr128, TrwState, KeyHash> trw;
  FlatMap<HostKey, HostState, KeyHash> hosts;  // window = exfil window
  // Bytes internal hosts sent to `host` (as dstaddr) on an interface: what a NAT gateway or
  // proxy relays, subtracted from its bytes out there.
  FlatMap<RelayKey, uint64_t, KeyHash> relay;
  FlatMap<HostKey, HostState, KeyHash> fanin;  // window = fan-in window
  std::unordered_map<IfaceKey, RejectState, KeyHash> rejects;
  std::vector<bool> brute_port;  // 65,536 flags

  void MergeFrom(const State& other);
};

Detector::Detector(const DetectOptions& options) : state_(std::make_unique<State>()) {
  state_->o = options;
  state_->brute_port.assign(65536, false);
  for (uint16_t p : options.brute_ports) state_->brute_port[p] = true;
}
Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

FieldSet Detector::NeededFields() {
  FieldSet f;
  for (Field x : {Field::kInterfaceId, Field::kTgwAttachmentId, Field::kSrcAddr, Field::kDstAddr,
                  Field::kPktSrcAddr, Field::kPktDstAddr, Field::kSrcPort, Field::kDstPort,
                  Field::kProtocol, Field::kPackets, Field::kBytes, Field::kStart, Field::kEnd,
                  Field::kAction, Field::kTcpFlags}) {
    f.set(static_cast<size_t>(x));
  }
  return f;
}

void Detector::AddRows(const ParsedBatch& b, const uint8_t* bytes, const uint32_t* rows,
                       const uint8_t* tables, size_t n) {
  State& s = *state_;
  const DetectOptions& o = s.o;
  if (!o.enabled) return;
  const Column* iface = b.Find(Field::kInterfaceId);
  if (iface == nullptr) iface = b.Find(Field::kTgwAttachmentId);
  const Column* src = b.Find(Field::kSrcAddr);
  const Column* dst = b.Find(Field::kDstAddr);
  const Column* pkt_src = b.Find(Field::kPktSrcAddr);
  const Column* pkt_dst = b.Find(Field::kPktDstAddr);
  const Column* sport_col = b.Find(Field::kSrcPort);
  const Column* dport_col = b.Find(Field::kDstPort);
  const Column* proto_col = b.Find(Field::kProtocol);
  const Column* packets_col = b.Find(Field::kPackets);
  const Column* bytes_col = b.Find(Field::kBytes);
  const Column* start_col = b.Find(Field::kStart);
  const Column* end_col = b.Find(Field::kEnd);
  const Column* action = b.Find(Field::kAction);
  const Column* flags_col = b.Find(Field::kTcpFlags);
  if (src == nullptr || dst == nullptr) return;  // nothing to say who talked to whom

  const auto effective = [](const Column* pkt, const Column* plain, size_t r) -> const Addr128* {
    if (pkt != nullptr && pkt->present(r)) return &pkt->addr[r];
    if (plain->present(r)) return &plain->addr[r];
    return nullptr;
  };
  const auto u64 = [](const Column* c, size_t r) -> uint64_t {
    return c != nullptr && c->present(r) ? c->u64[r] : 0;
  };

  std::string_view last_name;
  uint32_t last_id = 0;
  bool have_name = false;
  for (size_t i = 0; i < n; ++i) {
    if (tables != nullptr && (tables[i] & kWindowTable) == 0) continue;
    const size_t r = rows != nullptr ? rows[i] : i;
    const Addr128* from = effective(pkt_src, src, r);
    const Addr128* to = effective(pkt_dst, dst, r);
    if (from == nullptr || to == nullptr) continue;  // NODATA, SKIPDATA

    const bool rejected = action != nullptr &&
                          static_cast<kernels::Action>(action->code[r]) == kernels::Action::kReject;
    const bool has_ports = sport_col != nullptr && dport_col != nullptr && sport_col->present(r) &&
                           dport_col->present(r);
    const uint16_t sport = has_ports ? static_cast<uint16_t>(sport_col->u64[r]) : 0;
    const uint16_t dport = has_ports ? static_cast<uint16_t>(dport_col->u64[r]) : 0;
    const bool has_proto = proto_col != nullptr && proto_col->present(r);
    const uint8_t proto = has_proto ? static_cast<uint8_t>(proto_col->u64[r]) : 0;
    const bool has_flags = flags_col != nullptr && flags_col->present(r);
    const uint64_t flags = has_flags ? flags_col->u64[r] : 0;
    const uint64_t packets = u64(packets_col, r), nbytes = u64(bytes_col, r);
    const uint64_t start = u64(start_col, r);
    const uint64_t end = end_col != nullptr && end_col->present(r) ? end_col->u64[r] : start;

    // Direction (see detect.h): SYN-ACK marks a reply, a bare SYN or a REJECT a request,
    // otherwise the service port is the lower one.
    const bool synack = has_flags && (flags & kSynAck) == kSynAck;
    bool reply;
    if (synack) {
      reply = true;
    } else if ((has_flags && (flags & kSynAck) == kSyn) || rejected || !has_ports) {
      reply = false;
    } else {
      reply = sport < dport;
    }
    const bool no_payload = has_proto && proto == kTcp && packets >= 1 &&
                            packets <= kMaxProbePackets &&
                            nbytes <= packets * kMaxProbeBytesPerPacket;
    const bool failed = rejected || (no_payload && (!has_flags || flags == kSyn));

    const bool want_reject = rejected;
    const bool want_scan = (!reply && failed && has_ports) || (synack && no_payload && has_ports);
    const bool want_brute =
        !reply && has_ports && proto == kTcp && s.brute_port[dport] &&
        (failed || (packets <= o.brute_max_packets && nbytes <= o.brute_max_bytes));
    const bool from_internal = o.internal.Contains(*from);
    const bool to_internal = o.internal.Contains(*to);
    const bool want_inbound = !reply && !from_internal && to_internal;  // TRW, fan-in
    const bool want_exfil = !reply && from_internal && !to_internal;
    // Relay: an internal host receiving from another internal host on this interface (a NAT
    // gateway's ingress shows its own address as dstaddr).
    const bool want_relay =
        !reply && src->present(r) && dst->present(r) &&
        (from == &src->addr[r] ? from_internal : o.internal.Contains(src->addr[r])) &&
        (to == &dst->addr[r] ? to_internal : o.internal.Contains(dst->addr[r]));
    if (!(want_reject || want_scan || want_brute || want_inbound || want_exfil || want_relay)) {
      continue;
    }
    const std::string_view name = TextOf(iface, r, bytes);
    if (!have_name || name != last_name) {
      last_id = s.names.Id(name);
      last_name = name;
      have_name = true;
    }
    const uint32_t id = last_id;

    if (want_reject) {
      RejectState& st = s.rejects[IfaceKey{std::string(name), WindowOf(start, o.reject_window)}];
      ++st.flows;
      st.packets += packets;
      st.bytes += nbytes;
      st.first = std::min(st.first, start);
      st.last = std::max(st.last, end);
      st.sources.Add(HashAddr(*from));
      if (has_ports) {
        st.ports.Add(Mix64(dport + 1));
        AddSmallest(st.sample_ports, dport, kSamples, std::less<uint16_t>());
      }
    }
    if (want_scan) {
      if (!reply) {
        ScanState& st = s.scans[PairKey{*from, *to, WindowOf(start, o.scan_window)}];
        st.failed.Add(dport);
        st.rejected += rejected;
        if (has_proto) st.protocols.Add(proto);
        st.activity.Add(packets, nbytes, start, end, id, s.names);
      } else {  // a tiny SYN-ACK: the port (our sport) answered the other side's probe
        s.scans[PairKey{*to, *from, WindowOf(start, o.scan_window)}].answered.Add(sport);
      }
      if (!reply) {
        SweepState& sw = s.sweeps[SweepKey{*from, WindowOf(start, o.sweep_window),
                                           (uint32_t{dport} << 8) | proto}];
        sw.dsts.Add(HashAddr(*to));
        AddSmallest(sw.sample, *to, kSamples, AddrLess);
        sw.rejected += rejected;
        sw.activity.Add(packets, nbytes, start, end, id, s.names);
      }
    }
    if (want_brute) {
      BruteState& st = s.brutes[BruteKey{*from, *to, WindowOf(start, o.brute_window), dport}];
      st.attempts.Add(Mix64(uint64_t{sport} + 1));
      st.rejected += rejected;
      st.probes += failed;
      st.activity.Add(packets, nbytes, start, end, id, s.names);
    }
    if (want_inbound) {
      TrwState& t = s.trw[*from];
      t.See(WindowOf(start, o.trw_window), *to, !failed);
      t.dsts.Add(HashAddr(*to));
      if (has_ports) AddSmallest(t.ports, dport, kSamples, std::less<uint16_t>());
      t.activity.Add(packets, nbytes, start, end, id, s.names);

      HostState& h = s.fanin[HostKey{*to, WindowOf(start, o.fanin_window)}];
      h.sources.Add(HashAddr(*from));
      ++h.in_flows;
      h.in_packets += packets;
      h.in_bytes += nbytes;
      h.in_first = std::min(h.in_first, start);
      h.in_last = std::max(h.in_last, end);
      h.in_ifaces.Add(id, s.names);
      if (has_proto) h.in_protocols.Add(proto);
      if (has_ports) {
        h.port_lo = std::min<uint32_t>(h.port_lo, dport);
        h.port_hi = std::max<uint32_t>(h.port_hi, dport);
        h.in_ports.Add(Mix64(dport + 1));
      }
    }
    if (want_exfil) {
      HostState& h = s.hosts[HostKey{*from, WindowOf(start, o.exfil_window)}];
      ExfilSide& side = h.Side(id);
      side.out += nbytes;
      ++side.flows;
      side.packets += packets;
      AddDst(side, *to, nbytes);
      if (has_ports) AddSmallest(side.ports, dport, kSamples, std::less<uint16_t>());
      h.first = std::min(h.first, start);
      h.last = std::max(h.last, end);
    }
    if (want_relay) {
      s.relay[RelayKey{dst->addr[r], WindowOf(start, o.exfil_window), id}] += nbytes;
    }
  }
}

void Detector::State::MergeFrom(const State& other) {
  std::vector<uint32_t> remap(other.names.names.size());
  for (size_t i = 0; i < remap.size(); ++i) remap[i] = names.Id(other.names.names[i]);
  const auto merge_ifaces = [&](InterfaceSet& into, const InterfaceSet& from) {
    for (uint32_t id : from.ids) into.Add(remap[id], names);
  };
  for (const auto& [k, v] : other.scans) {
    ScanState& st = scans[k];
    st.failed.Merge(v.failed);
    st.answered.Merge(v.answered);
    st.rejected += v.rejected;
    st.protocols.Merge(v.protocols);
    st.activity.Merge(v.activity, remap, names);
  }
  for (const auto& [k, v] : other.sweeps) {
    SweepState& st = sweeps[k];
    st.dsts.Merge(v.dsts);
    for (const Addr128& a : v.sample) AddSmallest(st.sample, a, kSamples, AddrLess);
    st.rejected += v.rejected;
    st.activity.Merge(v.activity, remap, names);
  }
  for (const auto& [k, v] : other.brutes) {
    BruteState& st = brutes[k];
    st.attempts.Merge(v.attempts);
    st.rejected += v.rejected;
    st.probes += v.probes;
    st.activity.Merge(v.activity, remap, names);
  }
  for (const auto& [k, v] : other.trw) {
    TrwState& st = trw[k];
    for (const Contact& c : v.contacts) st.See(c.window, c.dst, c.success);
    st.dsts.Merge(v.dsts);
    for (uint16_t p : v.ports) AddSmallest(st.ports, p, kSamples, std::less<uint16_t>());
    st.activity.Merge(v.activity, remap, names);
  }
  for (const auto& [k, v] : other.hosts) {
    HostState& h = hosts[k];
    for (const ExfilSide& side : v.sides) {
      ExfilSide& into = h.Side(remap[side.iface]);
      into.out += side.out;
      into.flows += side.flows, into.packets += side.packets;
      into.distinct.Merge(side.distinct);
      if (side.too_many) {
        into.too_many = true;
        into.dsts = {};
      }
      for (const auto& [a, bytes] : side.dsts) {
        if (into.too_many) break;
        // AddDst would count `a` in `distinct` again: harmless (a set), and keeps one path.
        AddDst(into, a, bytes);
      }
      for (uint16_t p : side.ports) AddSmallest(into.ports, p, kSamples, std::less<uint16_t>());
    }
    h.first = std::min(h.first, v.first);
    h.last = std::max(h.last, v.last);
  }
  for (const auto& [k, v] : other.relay) relay[RelayKey{k.host, k.window, remap[k.iface]}] += v;
  for (const auto& [k, v] : other.fanin) {
    HostState& h = fanin[k];
    h.sources.Merge(v.sources);
    h.in_flows += v.in_flows, h.in_packets += v.in_packets, h.in_bytes += v.in_bytes;
    h.in_first = std::min(h.in_first, v.in_first);
    h.in_last = std::max(h.in_last, v.in_last);
    merge_ifaces(h.in_ifaces, v.in_ifaces);
    h.in_protocols.Merge(v.in_protocols);
    h.port_lo = std::min(h.port_lo, v.port_lo);
    h.port_hi = std::max(h.port_hi, v.port_hi);
    h.in_ports.Merge(v.in_ports);
  }
  for (const auto& [k, v] : other.rejects) {
    RejectState& st = rejects[k];
    st.flows += v.flows, st.packets += v.packets, st.bytes += v.bytes;
    st.first = std::min(st.first, v.first);
    st.last = std::max(st.last, v.last);
    st.sources.Merge(v.sources);
    st.ports.Merge(v.ports);
    for (uint16_t p : v.sample_ports)
      AddSmallest(st.sample_ports, p, kSamples, std::less<uint16_t>());
  }
}

void Detector::Merge(const Detector& other) { state_->MergeFrom(*other.state_); }

// --- Findings ------------------------------------------------------------------------------------

namespace {

std::vector<std::string> IfaceNames(const InterfaceSet& set, const Names& names) {
  std::vector<std::string> out;
  for (uint32_t id : set.ids) out.push_back(names.names[id]);
  return out;
}

nlohmann::ordered_json PortsJson(const std::vector<uint16_t>& ports) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (uint16_t p : ports) j.push_back(p);
  return j;
}

std::string Plural(uint64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string DurationText(uint64_t seconds) {
  if (seconds % 3600 == 0) return Plural(seconds / 3600, "hour", "hours");
  if (seconds % 60 == 0) return Plural(seconds / 60, "minute", "minutes");
  return Plural(seconds, "second", "seconds");
}

std::string BytesText(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double x = static_cast<double>(b);
  size_t u = 0;
  while (x >= 1024 && u + 1 < std::size(units)) x /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", x, units[u]);
  return buf;
}

std::string Where(bool internal) { return internal ? "internal host" : "external host"; }

// Mean and standard deviation of `xs` without element `skip` (population form).
std::pair<double, double> MeanSd(const std::vector<double>& xs, size_t skip) {
  const size_t n = xs.size() - (skip < xs.size() ? 1 : 0);
  if (n == 0) return {0, 0};
  double sum = 0;
  for (size_t i = 0; i < xs.size(); ++i) sum += i == skip ? 0 : xs[i];
  const double mean = sum / static_cast<double>(n);
  double var = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i != skip) var += (xs[i] - mean) * (xs[i] - mean);
  }
  return {mean, std::sqrt(var / static_cast<double>(n))};
}

void SetActivity(Finding& f, const Activity& a, const Names& names) {
  f.flows = a.flows;
  f.packets = a.packets;
  f.bytes = a.bytes;
  f.first_seen = a.first == UINT64_MAX ? 0 : a.first;
  f.last_seen = a.last;
  f.interfaces = IfaceNames(a.ifaces, names);
}

}  // namespace

std::vector<Finding> Detector::Findings(uint64_t span_begin, uint64_t span_end) const {
  const State& s = *state_;
  const DetectOptions& o = s.o;
  std::vector<Finding> out;
  if (!o.enabled) return out;
  const auto internal = [&](const Addr128& a) { return o.internal.Contains(a); };

  // port_scan
  for (const auto& [k, v] : s.scans) {
    if (v.failed.size() == 0) continue;
    std::vector<uint16_t> failed;
    v.failed.ForEach([&](uint16_t p) {
      if (!v.answered.Contains(p)) failed.push_back(p);
    });
    if (failed.size() < o.scan_min_ports) continue;
    Finding f;
    f.type = "port_scan";
    const bool inside = internal(k.src);
    f.severity = inside ? 3 : 2;
    f.mitre =
        inside ? std::vector<std::string>{"T1046"} : std::vector<std::string>{"T1046", "T1595.001"};
    f.src = Text(k.src);
    f.dst = Text(k.dst);
    f.protocol = v.protocols.Single();
    f.window_start = k.window;
    f.window_end = k.window + o.scan_window;
    SetActivity(f, v.activity, s.names);
    f.distinct_dst_ports = failed.size();
    f.distinct_dsts = 1;
    failed.resize(std::min(failed.size(), kSamples));
    f.evidence["threshold"] = {{"failed_ports", o.scan_min_ports},
                               {"window_seconds", o.scan_window}};
    f.evidence["failed_ports"] = f.distinct_dst_ports;
    f.evidence["answered_ports"] = v.answered.size();
    f.evidence["rejected_flows"] = v.rejected;
    f.evidence["sample_ports"] = PortsJson(failed);
    f.summary = Where(inside) + " " + *f.src + " made failed attempts at " +
                std::to_string(f.distinct_dst_ports) + " ports of " + *f.dst + " within " +
                DurationText(o.scan_window) + " (threshold " + std::to_string(o.scan_min_ports) +
                ").";
    out.push_back(std::move(f));
  }

  // port_sweep
  for (const auto& [k, v] : s.sweeps) {
    const uint64_t dsts = v.dsts.Count();
    if (dsts < o.sweep_min_dsts) continue;
    Finding f;
    f.type = "port_sweep";
    const bool inside = internal(k.src);
    f.severity = inside ? 3 : 2;
    f.mitre = inside ? std::vector<std::string>{"T1046", "T1018"}
                     : std::vector<std::string>{"T1046", "T1595.001"};
    f.src = Text(k.src);
    f.dst_port = k.port_proto >> 8;
    f.protocol = k.port_proto & 0xFF;
    f.window_start = k.window;
    f.window_end = k.window + o.sweep_window;
    SetActivity(f, v.activity, s.names);
    f.distinct_dst_ports = 1;
    f.distinct_dsts = dsts;
    f.evidence["threshold"] = {{"failed_dsts", o.sweep_min_dsts},
                               {"window_seconds", o.sweep_window}};
    f.evidence["failed_dsts"] = dsts;
    f.evidence["rejected_flows"] = v.rejected;
    nlohmann::ordered_json sample = nlohmann::ordered_json::array();
    for (const Addr128& a : v.sample) sample.push_back(Text(a));
    f.evidence["sample_dsts"] = std::move(sample);
    f.summary = Where(inside) + " " + *f.src + " made failed attempts at port " +
                std::to_string(*f.dst_port) + " of " + std::to_string(dsts) + " hosts within " +
                DurationText(o.sweep_window) + " (threshold " + std::to_string(o.sweep_min_dsts) +
                ").";
    out.push_back(std::move(f));
  }

  // scan_trw: Wald's SPRT over first contacts in (window, destination) order.
  const double step_success = std::log(o.trw_theta1 / o.trw_theta0);
  const double step_failure = std::log((1 - o.trw_theta1) / (1 - o.trw_theta0));
  const double upper = std::log(o.trw_beta / o.trw_alpha);
  const double lower = std::log((1 - o.trw_beta) / (1 - o.trw_alpha));
  for (const auto& [src, v] : s.trw) {
    double llr = 0;
    uint64_t successes = 0, failures = 0;
    size_t decided = SIZE_MAX;
    for (size_t i = 0; i < v.contacts.size(); ++i) {
      const bool ok = v.contacts[i].success;
      llr += ok ? step_success : step_failure;
      successes += ok;
      failures += !ok;
      if (llr >= upper) {
        decided = i;
        break;
      }
      if (llr <= lower) break;
    }
    if (decided == SIZE_MAX) continue;
    Finding f;
    f.type = "scan_trw";
    f.severity = 2;
    f.mitre = {"T1046", "T1595"};
    f.src = Text(src);
    f.window_start = v.contacts.front().window;
    f.window_end = v.contacts[decided].window + o.trw_window;
    SetActivity(f, v.activity, s.names);
    f.distinct_dsts = v.dsts.Count();
    f.distinct_dst_ports = v.ports.size();
    f.evidence["threshold"] = {{"likelihood_ratio", Round3(o.trw_beta / o.trw_alpha)},
                               {"theta0", o.trw_theta0},
                               {"theta1", o.trw_theta1}};
    f.evidence["likelihood_ratio"] = Round3(std::exp(llr));
    f.evidence["first_contacts"] = decided + 1;
    f.evidence["failed_first_contacts"] = failures;
    f.evidence["successful_first_contacts"] = successes;
    nlohmann::ordered_json sample = nlohmann::ordered_json::array();
    for (size_t i = 0; i <= decided && i < kSamples; ++i) sample.push_back(Text(v.contacts[i].dst));
    f.evidence["sample_dsts"] = std::move(sample);
    f.evidence["sample_ports"] = PortsJson(v.ports);
    f.summary = "external host " + *f.src + " failed " + std::to_string(failures) +
                " of its first " + std::to_string(decided + 1) +
                " contacts with internal hosts: a scanner by the threshold random walk "
                "(likelihood ratio " +
                std::to_string(static_cast<uint64_t>(std::exp(llr))) +
                " >= " + std::to_string(static_cast<uint64_t>(o.trw_beta / o.trw_alpha)) + ").";
    out.push_back(std::move(f));
  }

  // brute_force
  for (const auto& [k, v] : s.brutes) {
    const uint64_t attempts = v.attempts.Count();
    if (attempts < o.brute_min_attempts) continue;
    Finding f;
    f.type = "brute_force";
    const bool inside = internal(k.src);
    f.severity = inside ? 3 : 2;  // GuardDuty: high when our instance is the actor
    f.mitre = {"T1110", "T1110.001"};
    if (k.port == 22) f.mitre.push_back("T1021.004");
    if (k.port == 3389) f.mitre.push_back("T1021.001");
    f.src = Text(k.src);
    f.dst = Text(k.dst);
    f.dst_port = k.port;
    f.protocol = kTcp;
    f.window_start = k.window;
    f.window_end = k.window + o.brute_window;
    SetActivity(f, v.activity, s.names);
    f.distinct_dst_ports = 1;
    f.distinct_dsts = 1;
    f.evidence["threshold"] = {{"attempts", o.brute_min_attempts},
                               {"window_seconds", o.brute_window}};
    f.evidence["attempts"] = attempts;
    f.evidence["rejected_flows"] = v.rejected;
    f.evidence["probe_flows"] = v.probes;
    f.evidence["role"] = inside ? "actor" : "target";
    f.summary = Where(inside) + " " + *f.src + " made " + std::to_string(attempts) +
                " short or failed connections to port " + std::to_string(k.port) + " of " + *f.dst +
                " within " + DurationText(o.brute_window) + " (threshold " +
                std::to_string(o.brute_min_attempts) + ").";
    out.push_back(std::move(f));
  }

  // exfiltration: per source, its windows' net external bytes (the busiest interface's bytes
  // out minus what it relayed for other internal hosts there, so a NAT gateway does not count).
  struct ExfilWindow {
    uint64_t window;
    const HostState* state;
    const ExfilSide* side;
    uint64_t net, relay;
  };
  std::map<std::pair<uint64_t, uint64_t>, std::vector<ExfilWindow>> by_source;  // (hi, lo)
  for (const auto& [k, h] : s.hosts) {
    const ExfilSide* best = nullptr;
    uint64_t best_net = 0, best_relay = 0;
    for (const ExfilSide& side : h.sides) {
      const uint64_t* relayed = s.relay.Find(RelayKey{k.host, k.window, side.iface});
      const uint64_t rel = relayed != nullptr ? *relayed : 0;
      const uint64_t net = side.out > rel ? side.out - rel : 0;
      if (best == nullptr || net > best_net ||
          (net == best_net && s.names.names[side.iface] < s.names.names[best->iface])) {
        best = &side;
        best_net = net;
        best_relay = rel;
      }
    }
    if (best == nullptr || best_net == 0) continue;
    by_source[{k.host.hi, k.host.lo}].push_back({k.window, &h, best, best_net, best_relay});
  }
  for (auto& [addr, windows] : by_source) {
    std::sort(windows.begin(), windows.end(),
              [](const ExfilWindow& a, const ExfilWindow& b) { return a.window < b.window; });
    std::vector<double> xs;
    for (const ExfilWindow& w : windows) xs.push_back(static_cast<double>(w.net));
    for (size_t i = 0; i < windows.size(); ++i) {
      const ExfilWindow& w = windows[i];
      const bool absolute = w.net >= o.exfil_min_bytes;
      const auto [mean, sd] = MeanSd(xs, i);
      const bool warm = windows.size() - 1 >= o.exfil_baseline_windows;
      const double z = (xs[i] - mean) / std::max(sd, 1.0);
      const bool baseline = warm && w.net >= o.exfil_baseline_min_bytes &&
                            z >= o.exfil_baseline_z && xs[i] >= o.exfil_baseline_ratio * mean;
      if (!absolute && !baseline) continue;
      const Addr128 src{addr.first, addr.second};
      Finding f;
      f.type = "exfiltration";
      f.severity = w.net >= 10 * o.exfil_min_bytes ? 4 : 3;
      f.mitre = {"T1048", "T1041"};
      f.src = Text(src);
      const ExfilSide& side = *w.side;
      if (!side.too_many && side.dsts.size() == 1) f.dst = Text(side.dsts[0].first);
      if (side.ports.size() == 1) f.dst_port = side.ports[0];
      f.window_start = w.window;
      f.window_end = w.window + o.exfil_window;
      f.first_seen = w.state->first;
      f.last_seen = w.state->last;
      f.flows = side.flows;
      f.packets = side.packets;
      f.bytes = side.out;
      f.interfaces = {s.names.names[side.iface]};
      f.distinct_dsts = side.distinct.Count();
      f.distinct_dst_ports = side.ports.size();
      f.evidence["threshold"] = {{"bytes_out_external", o.exfil_min_bytes},
                                 {"window_seconds", o.exfil_window},
                                 {"baseline_z", o.exfil_baseline_z},
                                 {"baseline_ratio", o.exfil_baseline_ratio}};
      f.evidence["bytes_out_external"] = side.out;
      f.evidence["bytes_relayed"] = w.relay;
      f.evidence["net_bytes"] = w.net;
      f.evidence["crossed"] = absolute && baseline ? "absolute,baseline"
                              : absolute           ? "absolute"
                                                   : "baseline";
      f.evidence["baseline_windows"] = windows.size() - 1;
      f.evidence["baseline_mean_bytes"] = static_cast<uint64_t>(mean);
      f.evidence["z"] = warm ? Round3(z) : 0.0;
      // The top destinations by bytes (ties by address).
      std::vector<std::pair<Addr128, uint64_t>> top = side.dsts;
      std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : AddrLess(a.first, b.first);
      });
      top.resize(std::min<size_t>(top.size(), 5));
      nlohmann::ordered_json tops = nlohmann::ordered_json::array();
      for (const auto& [a, bytes] : top) tops.push_back({{"dst", Text(a)}, {"bytes", bytes}});
      f.evidence["top_dsts"] = std::move(tops);
      f.summary = "internal host " + *f.src + " sent " + BytesText(w.net) + " to " +
                  Plural(f.distinct_dsts, "external destination", "external destinations") +
                  " within " + DurationText(o.exfil_window) +
                  (absolute ? " (threshold " + BytesText(o.exfil_min_bytes) + ")"
                            : " (" + std::to_string(static_cast<uint64_t>(z)) +
                                  " standard deviations above its own baseline)") +
                  ".";
      out.push_back(std::move(f));
    }
  }

  // Windows of the run span for a window length w: silent ones count as zero in baselines.
  const auto span_windows = [&](uint64_t w) {
    std::vector<uint64_t> v;
    if (span_end <= span_begin) return v;
    for (uint64_t t = WindowOf(span_begin, w); t < span_end && v.size() < 1'000'000; t += w) {
      v.push_back(t);
    }
    return v;
  };

  // reject_spike
  {
    std::map<std::string, std::map<uint64_t, const RejectState*>> by_iface;
    for (const auto& [k, v] : s.rejects) by_iface[k.iface][k.window] = &v;
    const std::vector<uint64_t> span = span_windows(o.reject_window);
    for (const auto& [name, windows] : by_iface) {
      std::vector<uint64_t> times = span;
      for (const auto& [t, v] : windows) {
        if (!std::binary_search(times.begin(), times.end(), t)) {
          times.insert(std::lower_bound(times.begin(), times.end(), t), t);
        }
      }
      std::vector<double> xs(times.size(), 0);
      for (size_t i = 0; i < times.size(); ++i) {
        auto it = windows.find(times[i]);
        if (it != windows.end()) xs[i] = static_cast<double>(it->second->flows);
      }
      for (size_t i = 0; i < times.size(); ++i) {
        auto it = windows.find(times[i]);
        if (it == windows.end() || it->second->flows < o.reject_min_flows) continue;
        const auto [mean, sd] = MeanSd(xs, i);
        const double z = (xs[i] - mean) / std::max(sd, 1.0);
        if (z < o.reject_z || xs[i] < o.reject_ratio * mean) continue;
        const RejectState& v = *it->second;
        Finding f;
        f.type = "reject_spike";
        f.severity = 2;
        f.mitre = {"T1498", "T1499"};
        f.window_start = times[i];
        f.window_end = times[i] + o.reject_window;
        f.first_seen = v.first;
        f.last_seen = v.last;
        f.flows = v.flows;
        f.packets = v.packets;
        f.bytes = v.bytes;
        f.interfaces = {name};
        f.distinct_dsts = 1;
        f.distinct_dst_ports = v.ports.Count();
        if (f.distinct_dst_ports == 1 && !v.sample_ports.empty()) f.dst_port = v.sample_ports[0];
        f.evidence["threshold"] = {{"rejected_flows", o.reject_min_flows},
                                   {"window_seconds", o.reject_window},
                                   {"z", o.reject_z},
                                   {"ratio", o.reject_ratio}};
        f.evidence["rejected_flows"] = v.flows;
        f.evidence["baseline_mean_flows"] = Round3(mean);
        f.evidence["baseline_windows"] = times.size() - 1;
        f.evidence["z"] = Round3(z);
        f.evidence["distinct_sources"] = v.sources.Count();
        f.evidence["sample_ports"] = PortsJson(v.sample_ports);
        f.summary = "interface " + name + " rejected " + std::to_string(v.flows) + " flows from " +
                    Plural(v.sources.Count(), "source", "sources") + " within " +
                    DurationText(o.reject_window) + ", against a mean of " +
                    std::to_string(static_cast<uint64_t>(std::round(mean))) +
                    " in its other windows.";
        out.push_back(std::move(f));
      }
    }
  }

  // ddos_fan_in
  {
    std::map<std::pair<uint64_t, uint64_t>, std::map<uint64_t, const HostState*>> by_dst;
    for (const auto& [k, h] : s.fanin) by_dst[{k.host.hi, k.host.lo}][k.window] = &h;
    const std::vector<uint64_t> span = span_windows(o.fanin_window);
    for (const auto& [addr, windows] : by_dst) {
      bool any = false;
      for (const auto& [t, h] : windows) any |= h->sources.Count() >= o.fanin_min_sources;
      if (!any) continue;
      std::vector<uint64_t> times = span;
      for (const auto& [t, h] : windows) {
        if (!std::binary_search(times.begin(), times.end(), t)) {
          times.insert(std::lower_bound(times.begin(), times.end(), t), t);
        }
      }
      std::vector<uint64_t> counts(times.size(), 0);
      for (size_t i = 0; i < times.size(); ++i) {
        auto it = windows.find(times[i]);
        if (it != windows.end()) counts[i] = it->second->sources.Count();
      }
      for (size_t i = 0; i < times.size(); ++i) {
        if (counts[i] < o.fanin_min_sources) continue;
        std::vector<uint64_t> others;
        for (size_t j = 0; j < counts.size(); ++j) {
          if (j != i) others.push_back(counts[j]);
        }
        uint64_t median = 0;
        if (!others.empty()) {
          std::nth_element(others.begin(), others.begin() + others.size() / 2, others.end());
          median = others[others.size() / 2];
        }
        if (static_cast<double>(counts[i]) < o.fanin_ratio * static_cast<double>(median)) continue;
        const HostState& h = *windows.at(times[i]);
        const Addr128 dst{addr.first, addr.second};
        Finding f;
        f.type = "ddos_fan_in";
        f.severity = 3;
        f.mitre = {"T1498", "T1498.001"};
        f.dst = Text(dst);
        if (h.port_lo == h.port_hi) f.dst_port = h.port_lo;
        f.protocol = h.in_protocols.Single();
        f.window_start = times[i];
        f.window_end = times[i] + o.fanin_window;
        f.first_seen = h.in_first;
        f.last_seen = h.in_last;
        f.flows = h.in_flows;
        f.packets = h.in_packets;
        f.bytes = h.in_bytes;
        f.interfaces = IfaceNames(h.in_ifaces, s.names);
        f.distinct_dsts = 1;
        f.distinct_dst_ports = h.in_ports.Count();
        f.evidence["threshold"] = {{"distinct_sources", o.fanin_min_sources},
                                   {"window_seconds", o.fanin_window},
                                   {"ratio_to_median", o.fanin_ratio}};
        f.evidence["distinct_sources"] = counts[i];
        f.evidence["baseline_median_sources"] = median;
        f.evidence["flows_per_second"] =
            Round3(static_cast<double>(h.in_flows) / static_cast<double>(o.fanin_window));
        f.evidence["packets_per_second"] =
            Round3(static_cast<double>(h.in_packets) / static_cast<double>(o.fanin_window));
        f.summary = std::to_string(counts[i]) + " external sources sent " +
                    std::to_string(h.in_flows) + " flows to " + *f.dst + " within " +
                    DurationText(o.fanin_window) + " (threshold " +
                    std::to_string(o.fanin_min_sources) + ", median window " +
                    std::to_string(median) + ").";
        out.push_back(std::move(f));
      }
    }
  }

  for (Finding& f : out) f.id = FindingId(f.type, f.src, f.dst, f.dst_port, f.window_start);
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    const auto key = [](const Finding& f) {
      return std::make_tuple(f.window_start, std::string_view(f.type),
                             f.src ? std::string_view(*f.src) : std::string_view(),
                             f.dst ? std::string_view(*f.dst) : std::string_view(),
                             f.dst_port ? int64_t{*f.dst_port} : int64_t{-1});
    };
    return key(a) < key(b);
  });
  return out;
}

std::string FindingId(std::string_view type, const std::optional<std::string>& src,
                      const std::optional<std::string>& dst, std::optional<uint32_t> dst_port,
                      uint64_t window_start) {
  // FNV-1a 64 over the key fields, separated by a byte no field holds; then a mixer so that
  // ids of similar keys share no prefix.
  uint64_t h = 0xCBF29CE484222325ull;
  const auto feed = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001B3ull;
    }
    h ^= 0xFF;
    h *= 0x100000001B3ull;
  };
  feed(type);
  feed(src ? *src : "null");
  feed(dst ? *dst : "null");
  feed(dst_port ? std::to_string(*dst_port) : "null");
  feed(std::to_string(window_start));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(Mix64(h)));
  return buf;
}

std::string FindingJson(const Finding& f) {
  nlohmann::ordered_json j;
  j["id"] = f.id;
  j["type"] = f.type;
  j["severity"] = f.severity;
  j["mitre"] = f.mitre;
  j["src"] = f.src ? nlohmann::ordered_json(*f.src) : nlohmann::ordered_json(nullptr);
  j["dst"] = f.dst ? nlohmann::ordered_json(*f.dst) : nlohmann::ordered_json(nullptr);
  j["dst_port"] =
      f.dst_port ? nlohmann::ordered_json(*f.dst_port) : nlohmann::ordered_json(nullptr);
  j["protocol"] =
      f.protocol ? nlohmann::ordered_json(*f.protocol) : nlohmann::ordered_json(nullptr);
  j["interfaces"] = f.interfaces;
  j["window_start"] = f.window_start;
  j["window_end"] = f.window_end;
  j["first_seen"] = f.first_seen;
  j["last_seen"] = f.last_seen;
  j["flows"] = f.flows;
  j["packets"] = f.packets;
  j["bytes"] = f.bytes;
  j["distinct_dst_ports"] = f.distinct_dst_ports;
  j["distinct_dsts"] = f.distinct_dsts;
  j["evidence"] = f.evidence;
  j["summary"] = f.summary;
  return j.dump();
}

}  // namespace flowsift
