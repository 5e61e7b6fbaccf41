// Injected attacks and benign look-alikes, with their ground truth (docs/gen.md).
//
// Everything here is planned once, in the constructor, from its own random stream: the
// background draws the same connections with or without attacks (only the number of background
// records changes). Each event is a list of connections built like the background's (Conn, then
// EmitVpc), so its records carry the right interfaces, directions, tcp-flags and actions.
//
// Reference thresholds, one per kind, pick the published default the detections reference
// (../shared/reference/detections.md) lists first for flow data. Near-threshold events put all
// their records into one 5-minute window aligned to the epoch; every aligned 10-, 30- and
// 60-minute window then holds either all or none of them, so their counts do not depend on the
// detector's window length.
#include <map>
#include <set>
#include <stdexcept>

#include "pipeline/generate_internal.h"

namespace flowsift {
namespace {

struct Threshold {
  std::string_view metric;
  uint64_t value;
  uint64_t window;  // seconds
};
// Zeek scan.zeek: 15 ports per (scanner, victim) in 5 min; 25 hosts per (scanner, port).
constexpr Threshold kScanThreshold{"distinct_dst_ports", 15, 300};
constexpr Threshold kSweepThreshold{"distinct_dsts", 25, 300};
// SiLK rwscan TRW: scanner after a net 4 failed first contacts (4^4 = 256 >= 99).
constexpr Threshold kTrwThreshold{"trw_net_failures", 4, 0};
// Zeek detect-bruteforcing: 30 failed logins in 30 min.
constexpr Threshold kBruteThreshold{"attempts", 30, 1800};
// Panther's cold-start volume: 1 GiB per hour to external destinations.
constexpr Threshold kExfilThreshold{"bytes_out_external", uint64_t{1} << 30, 3600};
// [J] no published count: 100 rejected flows in 5 min on an interface that had none.
constexpr Threshold kRejectThreshold{"rejected_flows", 100, 300};
// [J] Snort's distributed-scan source counts scaled to a flood: 1000 sources in 5 min.
constexpr Threshold kFanInThreshold{"distinct_srcs", 1000, 300};

constexpr uint64_t kSlot = 300;  // near-threshold events fit one aligned 5-minute window

// Ports nmap's default TCP scan tries first (nmap-services frequency order, abridged).
constexpr uint16_t kNmapTop[] = {80,    23,   443,   21,   22,   25,   3389,  110,  445,   139,
                                 143,   53,   135,   3306, 8080, 1723, 111,   995,  993,   5900,
                                 1025,  587,  8888,  199,  1720, 465,  548,   113,  81,    6001,
                                 10000, 514,  5060,  179,  1026, 2000, 8443,  8000, 32768, 554,
                                 26,    1433, 49152, 2001, 515,  8008, 49154, 1027, 5666,  646};
// Ports a monitoring agent checks on a server (Nagios/Prometheus exporters and services).
constexpr uint16_t kMonitorPorts[] = {22,    80,   443,  3306, 5432, 6379, 8080, 8443,
                                      9090,  9100, 9104, 9113, 9121, 9187, 9200, 9300,
                                      11211, 2049, 111,  123,  161,  5666, 25,   53};

std::string AddrText(const Addr& a) {
  char buf[64];
  return std::string(buf, WriteAddr(buf, a));
}

// Collects one event's connections and records into its truth.jsonl line.
struct Event {
  std::string id, type, variant, resembles;
  Threshold threshold{};
  bool near = false;
  std::set<std::string> srcs, dsts, ifaces;
  std::set<uint16_t> ports;
  std::set<uint8_t> protos;
  uint64_t start = UINT64_MAX, end = 0, records = 0, attempts = 0, packets = 0, bytes = 0;
  uint64_t peak = 0;
  // Per aligned threshold window: the metric's distinct values or summed amount.
  std::map<uint64_t, std::set<std::string>> distinct;
  std::map<uint64_t, uint64_t> amount;

  uint64_t Window(uint64_t t) const { return threshold.window ? t - t % threshold.window : 0; }
};

void Put(std::string& s, std::string_view key, std::string_view raw, bool first = false) {
  if (!first) s += ',';
  s += '"';
  s += key;
  s += "\":";
  s += raw;
}
std::string Quote(std::string_view v) { return "\"" + std::string(v) + "\""; }
std::string List(const std::set<std::string>& items) {
  std::string s = "[";
  for (const std::string& i : items) s += (s.size() > 1 ? "," : "") + Quote(i);
  return s + "]";
}

std::string ToJson(const Event& e) {
  std::string s = "{";
  Put(s, "id", Quote(e.id), true);
  Put(s, "type", Quote(e.type));
  Put(s, "variant", Quote(e.variant));
  if (!e.resembles.empty()) Put(s, "resembles", Quote(e.resembles));
  Put(s, "src", e.srcs.size() == 1 ? Quote(*e.srcs.begin()) : "null");
  Put(s, "dst", e.dsts.size() == 1 ? Quote(*e.dsts.begin()) : "null");
  Put(s, "dst_port", e.ports.size() == 1 ? std::to_string(*e.ports.begin()) : "null");
  Put(s, "protocol", e.protos.size() == 1 ? std::to_string(*e.protos.begin()) : "null");
  Put(s, "start", std::to_string(e.start));
  Put(s, "end", std::to_string(e.end));
  Put(s, "srcs", e.srcs.size() <= 20 ? List(e.srcs) : "null");
  Put(s, "dsts", e.dsts.size() <= 20 ? List(e.dsts) : "null");
  Put(s, "distinct_srcs", std::to_string(e.srcs.size()));
  Put(s, "distinct_dsts", std::to_string(e.dsts.size()));
  Put(s, "distinct_dst_ports", std::to_string(e.ports.size()));
  Put(s, "interfaces", List(e.ifaces));
  Put(s, "flows", std::to_string(e.records));
  Put(s, "attempts", std::to_string(e.attempts));
  Put(s, "packets", std::to_string(e.packets));
  Put(s, "bytes", std::to_string(e.bytes));
  std::string th = "{";
  Put(th, "metric", Quote(e.threshold.metric), true);
  Put(th, "value", std::to_string(e.threshold.value));
  Put(th, "window_seconds", std::to_string(e.threshold.window));
  Put(s, "threshold", th + "}");
  Put(s, "peak", std::to_string(e.peak));
  // Intensity: peak over threshold, in thousandths so that the text never depends on printf.
  const uint64_t milli = e.threshold.value ? e.peak * 1000 / e.threshold.value : 0;
  Put(s, "intensity",
      std::to_string(milli / 1000) + "." + std::to_string(1000 + milli % 1000).substr(1));
  Put(s, "near_threshold", e.near ? "true" : "false");
  Put(s, "side", !e.near ? "null" : e.peak >= e.threshold.value ? "\"above\"" : "\"below\"");
  return s + "}";
}

}  // namespace

void FlowGenerator::Impl::InjectConn(Conn c, int32_t only) {
  const uint64_t last =
      only >= 0 ? IntervalOf(only, c.req_start).second : SharedInterval(c, c.req_start).second;
  c.req_end = std::min(c.req_end, last);
  c.resp_start = std::min(c.resp_start, last);
  c.resp_end = std::min(c.resp_end, last);
  scratch_.clear();
  EmitVpc(c, scratch_);
  for (const Rec& r : scratch_) {
    if (only < 0 || r.iface == only) inj_.push_back({WindowOf(r.start), r});
  }
}

void FlowGenerator::Impl::PlanInjections() {
  const bool want_lookalikes = o_.lookalikes && !tgw_ && ifaces_.size() >= 10;
  if (o_.attacks.empty() && !want_lookalikes) return;
  if (!o_.attacks.empty() && tgw_) {
    throw std::invalid_argument("attacks are injected into VPC flow logs only, not --format tgw");
  }
  if (!o_.attacks.empty() && ifaces_.size() < 10) {
    throw std::invalid_argument("attacks need a network of at least 10 interfaces");
  }
  Rng r(Hash64(o_.seed, 0xA77AC4ED));
  const uint64_t t_begin = o_.start, t_end = o_.start + span_;
  const uint64_t attacker_salt = r.Next(), dst_salt = r.Next();
  uint64_t attacker_index = 0;
  auto attacker = [&]() -> Endpoint {
    const uint64_t h = Hash64(attacker_salt, attacker_index++);
    const uint32_t a = kPublicFirstOctets[h % std::size(kPublicFirstOctets)];
    return {V4(a, (h >> 16) & 255, (h >> 24) & 255, 1 + (h >> 32) % 254), -1, 0};
  };
  auto external_dst = [&](uint64_t i) -> Endpoint {
    const uint64_t h = Hash64(dst_salt, i);
    const uint32_t a = kPublicFirstOctets[h % std::size(kPublicFirstOctets)];
    return {V4(a, (h >> 16) & 255, (h >> 24) & 255, 1 + (h >> 32) % 254), -1, 0};
  };
  auto role = [&](Role x) -> const std::vector<int32_t>& {
    return by_role_[static_cast<size_t>(x)];
  };
  // The i-th interface of a role, cyclically (the web role stands in for a missing one).
  auto nth = [&](Role x, size_t i) -> int32_t {
    const auto& v = role(x);
    if (v.empty()) return Pick(Role::kWeb);
    return v[i % v.size()];
  };
  auto host = [&](int32_t i) -> Endpoint { return {ifaces_[i].v4, i, 0}; };
  auto ephemeral = [&] { return static_cast<uint16_t>(r.Range(kEphemeralLo, kEphemeralHi)); };
  // A start time for an event lasting `d` seconds (shortened to fit short spans).
  auto place = [&](uint64_t& d) {
    d = std::min(d, span_);
    return t_begin + r.Below(span_ - d + 1);
  };
  // A random aligned 5-minute window inside the span, or nothing when none fits.
  auto slot = [&]() -> std::optional<uint64_t> {
    const uint64_t first = (t_begin + kSlot - 1) / kSlot * kSlot;
    if (first + kSlot > t_end) return std::nullopt;
    return first + kSlot * r.Below((t_end - first - kSlot) / kSlot + 1);
  };

  std::vector<Event> events;
  Event* ev = nullptr;
  auto begin_event = [&](std::string_view type, std::string_view variant, Threshold th, bool near) {
    events.emplace_back();
    ev = &events.back();
    ev->type = type;
    ev->variant = variant;
    ev->threshold = th;
    ev->near = near;
  };
  // Adds one connection to the current event; `metric` keys the event's threshold metric. Its
  // records end within the interval its interfaces share at its start (InjectConn).
  // `more_of_one` is a later interval's record of a connection already added (one transfer,
  // a record per interval): not another attempt. `only`: the records of that interface alone,
  // counted in the event's attempts, packets, bytes and metric when it is the client's.
  auto add = [&](const Conn& drawn, std::string_view metric_key, uint64_t amount = 0,
                 bool more_of_one = false, int32_t only = -1) {
    Conn c = drawn;
    FitHeaders(c);
    const size_t before = inj_.size();
    InjectConn(c, only);
    for (size_t i = before; i < inj_.size(); ++i) {
      const Rec& x = inj_[i].rec;
      ev->records += 1;
      ev->start = std::min(ev->start, x.start);
      ev->end = std::max(ev->end, x.end);
      ev->ifaces.insert(ifaces_[x.iface].id);
    }
    if (only >= 0 && only != c.client.iface) return;
    if (!more_of_one) ev->attempts += 1;
    ev->packets += c.req_packets;
    ev->bytes += c.req_bytes;
    ev->srcs.insert(AddrText(c.client.addr));
    ev->dsts.insert(AddrText(c.server.addr));
    ev->ports.insert(c.dport);
    ev->protos.insert(c.proto);
    const uint64_t w = ev->Window(c.req_start);
    if (!metric_key.empty()) ev->distinct[w].insert(std::string(metric_key));
    ev->amount[w] += amount;
  };
  auto finish_event = [&] {
    for (const auto& [w, s] : ev->distinct) ev->peak = std::max<uint64_t>(ev->peak, s.size());
    for (const auto& [w, a] : ev->amount) ev->peak = std::max(ev->peak, a);
  };

  // Connection shapes.
  auto syn_probe = [&](Endpoint from, Endpoint to, uint16_t port, uint64_t t, bool open) {
    Conn c;
    c.client = from;
    c.server = to;
    c.sport = ephemeral();
    c.dport = port;
    // Within the VPC only to an internal address no logged ENI has: a logged target's answer
    // to an internet scanner leaves by the internet gateway (8), as background replies do.
    c.path_out = to.iface < 0 && !to.addr.v6 && (to.addr.lo >> 24) == 10 ? 1 : 8;
    c.req_start = c.req_end = t;
    c.req_packets = 1;
    c.req_bytes = r.Range(40, 60);  // a SYN with or without options
    c.client_flags = 2;
    if (open) {  // SYN-ACK back; the scanner's RST closes it (SYN|RST = 6)
      c.req_packets = 2;
      c.req_bytes = 84 + r.Below(16);
      c.client_flags = 6;
      c.server_flags = 18;
      c.resp_packets = 1;
      c.resp_bytes = 44;
      c.resp_start = c.resp_end = t;
    } else {
      c.reject = to.iface >= 0;  // a security group drops it, or
      c.silent = to.iface < 0;   // an unused address: nothing answers, nothing is logged there
    }
    c.encryption = 0;
    return c;
  };
  auto session = [&](Endpoint from, Endpoint to, uint16_t port, uint64_t t) {
    // A failed login: a short complete connection, 2-5 KB each way (CIC-IDS2017 SSH-Patator).
    Conn c;
    c.client = from;
    c.server = to;
    c.sport = ephemeral();
    c.dport = port;
    c.path_out = 8;
    c.req_packets = r.Range(12, 30);
    c.resp_packets = r.Range(10, 25);
    c.req_bytes = Bytes(r, c.req_packets, 120, 180);
    c.resp_bytes = Bytes(r, c.resp_packets, 150, 230);
    c.req_start = t;
    c.req_end = c.resp_end = t + r.Range(2, 8);
    c.resp_start = std::min(c.req_end, t + 1);
    c.client_flags = 3;
    c.server_flags = 19;
    c.encryption = 0;
    return c;
  };
  // Bulk upload client -> server between t0 and t1 (inside one interval of each interface it
  // is kept on).
  auto bulk = [&](Endpoint from, Endpoint to, uint16_t port, uint64_t t0, uint64_t t1,
                  uint64_t bytes, Phase phase, int32_t nat) {
    Conn c;
    c.client = from;
    c.server = to;
    c.sport = ephemeral();
    c.dport = port;
    c.nat = nat;
    c.nat_port = static_cast<uint16_t>(r.Range(1024, 65535));
    c.path_out = 8;
    c.req_packets = bytes / 1400 + 1;
    c.req_bytes = bytes;
    c.resp_packets = c.req_packets / 2 + 1;
    c.resp_bytes = c.resp_packets * 52;
    c.req_start = t0;
    c.req_end = c.resp_end = t1;
    c.resp_start = std::min(t1, t0 + 1);
    // tcp-flags ORed over the interval, as the background's Flags() (without its randomness).
    c.client_flags = phase == Phase::kComplete  ? 3
                     : phase == Phase::kOpening ? 2
                     : phase == Phase::kClosing ? 1
                                                : 0;
    c.server_flags = phase == Phase::kComplete  ? 19
                     : phase == Phase::kOpening ? 18
                     : phase == Phase::kClosing ? 1
                                                : 0;
    c.encryption = 0;
    return c;
  };
  auto nat_for = [&](int32_t client) {
    int32_t nat = -1;
    for (int32_t n : role(Role::kNat)) {
      if (nat < 0 || ifaces_[n].az == ifaces_[client].az) nat = n;
    }
    return nat;
  };
  // A transfer of `total` bytes from t0 for d seconds: on each interface it crosses, one record
  // per direction per interval of that interface, cut where its own intervals end.
  auto transfer = [&](Endpoint from, Endpoint to, uint16_t port, uint64_t t0, uint64_t d,
                      uint64_t total, int32_t nat) {
    const uint64_t t1 = std::min(t0 + d, t_end - 1);
    const uint16_t sport = ephemeral();
    const uint16_t nat_port = static_cast<uint16_t>(r.Range(1024, 65535));
    for (const int32_t side : {from.iface, nat, to.iface}) {
      if (side < 0) continue;
      uint64_t done = 0;
      for (uint64_t t = t0; t <= t1;) {
        const uint64_t last = std::min(IntervalOf(side, t).second, t1);
        const uint64_t share = last == t1
                                   ? total - done
                                   : static_cast<uint64_t>(static_cast<unsigned __int128>(total) *
                                                           (last - t + 1) / (t1 - t0 + 1));
        const Phase phase = t == t0 && last == t1 ? Phase::kComplete
                            : t == t0             ? Phase::kOpening
                            : last == t1          ? Phase::kClosing
                                                  : Phase::kMiddle;
        Conn c = bulk(from, to, port, t, last, share, phase, nat);
        c.sport = sport;  // one flow, one record per interval
        c.nat_port = nat_port;
        add(c, "", share, /*more_of_one=*/t != t0, side);
        done += share;
        t = last + 1;
      }
    }
  };

  // Near-threshold events' targets get no internet background (see Iface::quiet).
  size_t web_i = r.Below(1000), app_i = r.Below(1000), db_i = r.Below(1000);
  auto next_web = [&] { return nth(Role::kWeb, web_i++); };
  auto next_app = [&] { return nth(Role::kApp, app_i++); };
  auto next_db = [&] { return nth(Role::kDb, db_i++); };
  auto want = [&](AttackKind k) {
    return std::find(o_.attacks.begin(), o_.attacks.end(), k) != o_.attacks.end();
  };

  // --- Attacks ---------------------------------------------------------------------------------
  if (want(AttackKind::kPortScan)) {
    {  // Fast external SYN scan of one web server: hundreds of ports in a few minutes.
      begin_event("port_scan", "fast_external", kScanThreshold, false);
      const Endpoint src = attacker(), dst = host(next_web());
      const uint64_t n = r.Range(300, 1000);
      uint64_t d = r.Range(120, 300);
      const uint64_t t0 = place(d);
      std::set<uint16_t> ports(std::begin(kNmapTop), std::end(kNmapTop));
      while (ports.size() < n) ports.insert(static_cast<uint16_t>(r.Range(1, 65535)));
      uint64_t i = 0;
      for (const uint16_t p : ports) {
        const uint64_t t = t0 + i++ * d / n;
        const bool open = p == 80 || p == 443;
        add(syn_probe(src, dst, p, t, open), open ? "" : std::to_string(p));
      }
      finish_event();
    }
    {  // A compromised app server scans a database server from inside.
      begin_event("port_scan", "fast_internal", kScanThreshold, false);
      const Endpoint src = host(next_app()), dst = host(next_db());
      const uint64_t n = r.Range(200, 500);
      uint64_t d = r.Range(60, 240);
      const uint64_t t0 = place(d);
      std::set<uint16_t> ports;
      while (ports.size() < n) ports.insert(static_cast<uint16_t>(r.Range(1, 10000)));
      uint64_t i = 0;
      for (const uint16_t p : ports) {
        const bool open = p == 5432 || p == 3306;
        add(syn_probe(src, dst, p, t0 + i++ * d / n, open), open ? "" : std::to_string(p));
      }
      finish_event();
    }
    {  // Slow scan: a few probes per interval over the whole span, to several web servers, so
       // that no window reaches a count threshold but the failed first contacts add up (TRW).
      begin_event("port_scan", "slow_external", kTrwThreshold, false);
      const Endpoint src = attacker();
      std::vector<Endpoint> targets;
      for (int i = 0; i < 6; ++i) targets.push_back(host(next_web()));
      const uint64_t n = std::max<uint64_t>(12, span_ / 300);
      for (uint64_t i = 0; i < n; ++i) {
        const Endpoint& dst = targets[i % targets.size()];
        const uint16_t p =
            r.Chance(0.7) ? r.Of(kProbePorts) : static_cast<uint16_t>(r.Range(1024, 65535));
        add(syn_probe(src, dst, p, t_begin + i * span_ / n + r.Below(span_ / n), false), "");
      }
      // Failed first contacts: one a distinct target. A VPC with few web servers gives the same
      // one more than once (10 interfaces: all six were one host, and truth said 6).
      std::set<std::string> distinct;
      for (size_t i = 0; i < std::min<uint64_t>(targets.size(), n); ++i) {
        distinct.insert(AddrText(targets[i].addr));
      }
      ev->peak = distinct.size();
      finish_event();
    }
    for (const uint64_t ports : {17u, 13u}) {  // 113% and 87% of 15 ports in 5 minutes
      const std::optional<uint64_t> s = slot();
      if (!s) break;
      begin_event("port_scan", "near_threshold", kScanThreshold, true);
      const Endpoint src = attacker(), dst = host(next_web());
      // Closed ports only (80 and 443 are open and would not be failures).
      std::set<uint16_t> set;
      for (size_t i = 0; set.size() < ports; ++i) {
        const uint16_t p = i < 8 ? kNmapTop[r.Below(std::size(kNmapTop))]
                                 : static_cast<uint16_t>(r.Range(1024, 65535));
        if (p != 80 && p != 443) set.insert(p);
      }
      uint64_t i = 0;
      for (const uint16_t p : set) {
        add(syn_probe(src, dst, p, *s + i++ * (kSlot - 1) / ports, false), std::to_string(p));
      }
      finish_event();
    }
  }

  // Internal sweep targets: every interface of the VPC plus unused addresses of its /16.
  const uint32_t vpc_base = static_cast<uint32_t>(ifaces_[0].v4.lo) & 0xFFFF0000u;
  auto sweep_targets = [&](uint64_t n, int32_t exclude) {
    std::vector<Endpoint> out;
    std::set<uint32_t> seen{static_cast<uint32_t>(ifaces_[exclude].v4.lo)};
    for (size_t i = 0; i < ifaces_.size() && out.size() < n / 2; ++i) {
      const Role x = ifaces_[i].role;
      if (static_cast<int32_t>(i) == exclude || x == Role::kNat || x == Role::kLb) continue;
      if (seen.insert(static_cast<uint32_t>(ifaces_[i].v4.lo)).second) {
        out.push_back(host(static_cast<int32_t>(i)));
      }
    }
    while (out.size() < n) {
      const uint32_t a = vpc_base | static_cast<uint32_t>(r.Range(4, 0xFFFE));
      bool used = !seen.insert(a).second;
      for (size_t i = 0; i < ifaces_.size() && !used; ++i) used = ifaces_[i].v4.lo == a;
      if (!used) out.push_back({V4(a), -1, 0});
    }
    for (size_t i = out.size(); i > 1; --i) std::swap(out[i - 1], out[r.Below(i)]);
    return out;
  };

  if (want(AttackKind::kPortSweep)) {
    {  // Lateral movement: an app server tries SMB or SSH on every address of the VPC.
      begin_event("port_sweep", "internal", kSweepThreshold, false);
      const int32_t src_i = next_app();
      const uint16_t port = r.Chance(0.5) ? 445 : 22;
      const auto targets = sweep_targets(r.Range(60, 200), src_i);
      uint64_t d = r.Range(60, 240);
      const uint64_t t0 = place(d);
      for (size_t i = 0; i < targets.size(); ++i) {
        const std::string key = AddrText(targets[i].addr);
        add(syn_probe(host(src_i), targets[i], port, t0 + i * d / targets.size(), false), key);
      }
      finish_event();
    }
    std::vector<int32_t> exposed;  // interfaces reachable from the internet
    for (Role x : {Role::kWeb, Role::kLb}) {
      for (int32_t i : role(x)) {
        if (!ifaces_[i].quiet) exposed.push_back(i);
      }
    }
    if (exposed.size() >= 30) {  // An internet sweep for RDP over the public servers.
      begin_event("port_sweep", "external", kSweepThreshold, false);
      const Endpoint src = attacker();
      const size_t n = std::min<size_t>(exposed.size(), 60);
      uint64_t d = r.Range(60, 200);
      const uint64_t t0 = place(d);
      for (size_t i = 0; i < n; ++i) {
        const Endpoint dst = host(exposed[i]);
        add(syn_probe(src, dst, 3389, t0 + i * d / n, false), AddrText(dst.addr));
      }
      finish_event();
    }
    for (const uint64_t hosts : {28u, 22u}) {  // 112% and 88% of 25 hosts in 5 minutes
      const std::optional<uint64_t> s = slot();
      if (!s) break;
      begin_event("port_sweep", "near_threshold", kSweepThreshold, true);
      const int32_t src_i = next_app();
      const auto targets = sweep_targets(hosts, src_i);
      for (size_t i = 0; i < targets.size(); ++i) {
        add(syn_probe(host(src_i), targets[i], 22, *s + i * (kSlot - 1) / hosts, false),
            AddrText(targets[i].addr));
      }
      finish_event();
    }
  }

  if (want(AttackKind::kBruteForce)) {
    const int32_t bastion = nth(Role::kOps, 0);  // SSH open to the world
    {
      begin_event("brute_force", "ssh_external", kBruteThreshold, false);
      const Endpoint src = attacker();
      const uint64_t n = r.Range(80, 200);
      uint64_t d = r.Range(600, 1500);
      const uint64_t t0 = place(d);
      for (uint64_t i = 0; i < n; ++i) {
        add(session(src, host(bastion), 22, t0 + i * d / n), std::to_string(i));
      }
      finish_event();
    }
    {  // RDP on a web server whose security group does not allow it: SYNs, retransmitted.
      begin_event("brute_force", "rdp_rejected", kBruteThreshold, false);
      const Endpoint src = attacker(), dst = host(next_web());
      const uint64_t n = r.Range(60, 150);
      uint64_t d = r.Range(300, 900);
      const uint64_t t0 = place(d);
      for (uint64_t i = 0; i < n; ++i) {
        Conn c = syn_probe(src, dst, 3389, t0 + i * d / n, false);
        c.req_packets = r.Range(1, 3);
        c.req_bytes = c.req_packets * 52;
        c.req_end = c.req_start + (c.req_packets - 1) * 3;
        add(c, std::to_string(i));
      }
      finish_event();
    }
    {  // A compromised app server guesses SSH passwords on a database server (the actor).
      begin_event("brute_force", "ssh_internal", kBruteThreshold, false);
      const Endpoint src = host(next_app()), dst = host(next_db());
      const uint64_t n = r.Range(50, 120);
      uint64_t d = r.Range(300, 1200);
      const uint64_t t0 = place(d);
      for (uint64_t i = 0; i < n; ++i)
        add(session(src, dst, 22, t0 + i * d / n), std::to_string(i));
      finish_event();
    }
    for (const uint64_t n : {34u, 26u}) {  // 113% and 87% of 30 attempts
      const std::optional<uint64_t> s = slot();
      if (!s) break;
      begin_event("brute_force", "near_threshold", kBruteThreshold, true);
      const Endpoint src = attacker();
      for (uint64_t i = 0; i < n; ++i) {
        add(session(src, host(bastion), 22, *s + i * (kSlot - 10) / n), std::to_string(i));
      }
      finish_event();
    }
  }

  if (want(AttackKind::kExfiltration)) {
    {  // Gigabytes from an app server to a few internet hosts over 20-40 minutes, via NAT.
      begin_event("exfiltration", "bulk_external", kExfilThreshold, false);
      const int32_t src_i = next_app();
      const uint64_t dsts = r.Range(1, 3);
      uint64_t d = r.Range(1200, 2400);
      const uint64_t t0 = place(d);
      const uint64_t total = r.Range(3, 8) << 30;
      for (uint64_t k = 0; k < dsts; ++k) {
        transfer(host(src_i), external_dst(k), 443, t0, d, total / dsts, nat_for(src_i));
      }
      finish_event();
    }
    for (const uint64_t milli : {1150u, 850u}) {  // 115% and 85% of 1 GiB, one destination
      const std::optional<uint64_t> s = slot();
      if (!s) break;
      begin_event("exfiltration", "near_threshold", kExfilThreshold, true);
      const int32_t src_i = next_db();
      ifaces_[src_i].quiet = true;
      const uint64_t total = (uint64_t{1} << 30) * milli / 1000;
      const Endpoint dst = external_dst(100 + milli);
      for (uint64_t k = 0; k < 4; ++k) {
        const uint64_t t0 = *s + k * 70;
        transfer(host(src_i), dst, 443, t0, 60, total / 4 + (k == 3 ? total % 4 : 0),
                 nat_for(src_i));
      }
      finish_event();
    }
  }

  if (want(AttackKind::kRejectSpike)) {
    // After a security-group change the app tier's connection pools hammer a database port
    // that no longer admits them: a burst of REJECTs on the database's interface.
    begin_event("reject_spike", "blocked_app_tier", kRejectThreshold, false);
    const int32_t db = next_db();
    const uint16_t port = ifaces_[db].v4.lo & 1 ? 6379 : 5432;
    std::vector<Endpoint> srcs;
    const uint64_t k = r.Range(5, 15);
    for (uint64_t i = 0; i < k; ++i) srcs.push_back(host(next_app()));
    const uint64_t n = r.Range(400, 1000);
    uint64_t d = r.Range(300, 600);
    const uint64_t t0 = place(d);
    for (uint64_t i = 0; i < n; ++i) {
      Conn c = syn_probe(srcs[i % k], host(db), port, t0 + i * d / n, false);
      c.req_packets = r.Range(1, 3);
      c.req_bytes = c.req_packets * 60;
      c.req_end = c.req_start + (c.req_packets - 1) * 2;
      add(c, "", 1);
    }
    finish_event();
  }

  if (want(AttackKind::kDdosFanIn)) {
    size_t lb_i = 0;
    auto flood = [&](uint64_t sources, uint64_t t0, uint64_t d) {
      const int32_t lb = nth(Role::kLb, lb_i++);
      ifaces_[lb].quiet = true;
      for (uint64_t i = 0; i < sources; ++i) {
        const Endpoint src = attacker();  // spoofed: every source once
        Conn c = syn_probe(src, host(lb), 443, t0 + i * d / sources, true);
        c.req_packets = 1;
        c.req_bytes = r.Range(40, 60);
        c.client_flags = 2;
        c.resp_packets = r.Range(1, 5);  // SYN-ACK retransmits to an address that never answers
        c.resp_bytes = c.resp_packets * 44;
        c.resp_end = c.req_start + c.resp_packets - 1;
        add(c, AddrText(src.addr));
      }
    };
    {
      begin_event("ddos_fan_in", "syn_flood", kFanInThreshold, false);
      uint64_t d = r.Range(120, 280);
      // Separate statements: place() shortens d to a short span, and arguments are evaluated
      // in no set order (GCC's, right to left, passed d before place() had cut it, and records
      // of a span shorter than the flood started after it). The draws keep that order.
      const uint64_t t0 = place(d);
      const uint64_t sources = r.Range(2000, 5000);
      flood(sources, t0, d);
      finish_event();
    }
    for (const uint64_t n : {1150u, 850u}) {
      const std::optional<uint64_t> s = slot();
      if (!s) break;
      begin_event("ddos_fan_in", "near_threshold", kFanInThreshold, true);
      flood(n, *s, kSlot - 10);  // SYN-ACK retries end inside the window too
      finish_event();
    }
    // Reflection (T1498.002): open amplifiers answer queries the attacker sent in the victim's
    // name: UDP from one service port (DNS, NTP, CLDAP, memcached, SSDP) to one port of the
    // victim, which never asked and does not answer. Accepted: a security group that lets UDP in.
    // In one aligned 5-minute window, so that 1250-1400 amplifiers are above the threshold (the
    // records of every attack must fit in half of a 40,000-record set; the boundary itself is the
    // direct kind's, near-threshold events above, and detect_spike_fanin_test's).
    auto reflect = [&](uint64_t sources, uint64_t t0, uint64_t d) {
      constexpr uint16_t kAmplifierPorts[] = {53, 123, 389, 11211, 1900};
      const int32_t victim = next_web();
      ifaces_[victim].quiet = true;
      const uint16_t port = r.Of(kAmplifierPorts);
      const uint16_t victim_port = r.Chance(0.5) ? 80 : ephemeral();
      for (uint64_t i = 0; i < sources; ++i) {
        const Endpoint src = attacker();  // every amplifier once
        Conn c;
        c.client = src;
        c.server = host(victim);
        c.sport = port;
        c.dport = victim_port;
        c.proto = 17;
        c.req_start = t0 + i * d / sources;
        c.req_packets = r.Range(1, 4);
        c.req_bytes = Bytes(r, c.req_packets, 1200, 1480);  // amplified: answers fill packets
        c.req_end = c.req_start + c.req_packets - 1;
        c.silent = true;  // nothing answers an answer
        c.encryption = 0;
        add(c, AddrText(src.addr));
      }
    };
    if (const std::optional<uint64_t> s = slot()) {
      begin_event("ddos_fan_in", "reflection", kFanInThreshold, false);
      reflect(r.Range(1250, 1400), *s, kSlot - 10);
      finish_event();
    }
  }
  const size_t attack_records = inj_.size();
  const size_t attack_events = events.size();

  // --- Look-alikes: benign traffic with an attack's shape ---------------------------------------
  if (want_lookalikes) {
    const uint64_t first = (t_begin + kSlot - 1) / kSlot * kSlot;
    // Look-alikes are background: past a tenth of the records they are all dropped (below).
    // The periodic ones stop there too, instead of being made for every 5 minutes of the span
    // first (1,000 records over 240 hours took 392 MB; a year's span ran out of memory). Only
    // `r` and local state are spent, and both end here: the bytes written are the same.
    const auto over_budget = [&] { return (inj_.size() - attack_records) * 10 > o_.records; };
    if (want(AttackKind::kDdosFanIn)) {
      // A recursive resolver's busy five minutes: 1,100-1,500 external name servers answer
      // from port 53, like a reflection flood's amplifiers, but it asked each one first. Made
      // with the fan-in attacks only, so that sets without attacks (the benchmarks') keep their
      // bytes; first, before the periodic look-alikes fill their share, and left out when its
      // records alone do not fit.
      begin_event("recursive_resolver", "dns_burst", kFanInThreshold, false);
      ev->resembles = "ddos_fan_in";
      const int32_t resolver = nth(Role::kDns, 0);
      const uint64_t n = r.Range(1100, 1500);
      if (const std::optional<uint64_t> s = slot()) {
        for (uint64_t i = 0; i < n; ++i) {
          const Endpoint server = external_dst(100000 + i);
          Conn c;
          c.client = host(resolver);  // with its own public address: no NAT gateway
          c.server = server;
          c.sport = ephemeral();
          c.dport = 53;
          c.proto = 17;
          c.req_start = c.req_end = *s + i * (kSlot - 10) / n;
          c.resp_start = c.resp_end = c.req_start;
          c.req_packets = c.resp_packets = 1;
          c.req_bytes = r.Range(60, 100);
          c.resp_bytes = r.Range(90, 500);
          c.encryption = 0;
          add(c, AddrText(server.addr));
        }
      }
      finish_event();
      if (over_budget() || inj_.size() == attack_records) {
        inj_.resize(attack_records);
        events.pop_back();
      }
    }
    {  // A monitoring host checks 20 ports on three servers every five minutes: many ports,
       // one destination, like a vertical scan, but every connection completes.
      begin_event("monitoring_poller", "monitor", kScanThreshold, false);
      ev->resembles = "port_scan";
      const int32_t mon = nth(Role::kOps, 0);
      std::vector<int32_t> servers = {next_app(), next_db(), next_app()};
      for (uint64_t w = first; w + kSlot <= t_end && !over_budget(); w += kSlot) {
        for (const int32_t s : servers) {
          for (size_t p = 0; p < 20; ++p) {
            const uint64_t t = w + r.Below(kSlot - 10);
            Conn c = session(host(mon), host(s), kMonitorPorts[p], t);
            c.req_packets = r.Range(4, 8);
            c.resp_packets = r.Range(4, 8);
            c.req_bytes = Bytes(r, c.req_packets, 60, 120);
            c.resp_bytes = Bytes(r, c.resp_packets, 80, 400);
            c.encryption = 1;
            add(c, std::to_string(kMonitorPorts[p]) + AddrText(ifaces_[s].v4));
          }
        }
      }
      finish_event();
      ev->peak /= servers.size();
    }
    if (role(Role::kBackup).size() > 0) {  // The nightly dump: gigabytes, internal destination.
      begin_event("backup_transfer", "db_to_backup", kExfilThreshold, false);
      ev->resembles = "exfiltration";
      uint64_t d = r.Range(900, 1500);
      const uint64_t t0 = place(d);
      transfer(host(next_db()), host(nth(Role::kBackup, 0)), 873, t0, d, r.Range(2, 4) << 30, -1);
      finish_event();
    }
    if (!role(Role::kNat).empty()) {  // Deploy time: 40-60 hosts fetch packages through NAT.
      begin_event("nat_burst", "package_fetch", kSweepThreshold, false);
      ev->resembles = "port_sweep";
      const uint64_t bursts = std::max<uint64_t>(1, span_ / 3600);
      for (uint64_t b = 0; b < bursts && !over_budget(); ++b) {
        const std::optional<uint64_t> s = slot();
        if (!s) break;
        const uint64_t n = r.Range(40, 60);
        for (uint64_t i = 0; i < n; ++i) {
          const int32_t client = next_app();
          Conn c = session(host(client), external_dst(1000 + b * 100 + i), 443, *s + i * 4);
          c.nat = nat_for(client);
          c.nat_port = static_cast<uint16_t>(r.Range(1024, 65535));
          c.resp_packets = r.Range(50, 400);
          c.resp_bytes = Bytes(r, c.resp_packets, 1200, 1400);
          c.encryption = 0;
          add(c, std::to_string(i));
        }
      }
      finish_event();
    }
    if (role(Role::kWeb).size() >= 26 && !role(Role::kLb).empty()) {
      // A load balancer's health checks: one port, 26-40 targets, every five minutes.
      begin_event("health_checks", "load_balancer", kSweepThreshold, false);
      ev->resembles = "port_sweep";
      const int32_t lb = nth(Role::kLb, role(Role::kLb).size() - 1);
      const size_t n = std::min<size_t>(role(Role::kWeb).size(), 40);
      for (uint64_t w = first; w + kSlot <= t_end && !over_budget(); w += kSlot) {
        for (size_t i = 0; i < n; ++i) {
          const int32_t target = role(Role::kWeb)[i];
          Conn c = session(host(lb), host(target), 80, w + i * (kSlot - 10) / n);
          c.req_packets = r.Range(5, 7);
          c.resp_packets = r.Range(4, 6);
          c.req_bytes = Bytes(r, c.req_packets, 60, 110);
          c.resp_bytes = Bytes(r, c.resp_packets, 90, 250);
          c.encryption = 1;
          add(c, AddrText(ifaces_[target].v4));
        }
      }
      finish_event();
    }
    // Look-alikes are background: they must not crowd out the traffic they hide in.
    if (over_budget()) {
      inj_.resize(attack_records);
      events.resize(attack_events);
    }
  }

  if (attack_records * 2 > o_.records) {
    throw TooFewRecords(attack_records, o_.records);
  }
  std::stable_sort(inj_.begin(), inj_.end(),
                   [](const Injected& a, const Injected& b) { return a.window < b.window; });
  size_t attack_no = 0, lookalike_no = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    Event& e = events[i];
    if (i < attack_events) {
      e.id = "attack-" + std::to_string(++attack_no);
      truth_.push_back(ToJson(e));
    } else if (e.records != 0) {
      // A look-alike none of whose records fit the span (a periodic one in a span shorter than
      // its period) is not listed: it was, with no flows and a start past its end.
      e.id = "lookalike-" + std::to_string(++lookalike_no);
      lookalikes_.push_back(ToJson(e));
    }
  }
}

}  // namespace flowsift
