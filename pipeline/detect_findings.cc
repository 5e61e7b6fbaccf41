// Evaluating the detectors' state into findings (pipeline/detect.h, docs/detection.md): the
// attempt detectors' (port_scan, port_sweep, scan_trw, brute_force; the volume detectors' are
// detect_volumes.cc's), and for all of them the gateway duplicates, the order, ids and JSON.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "kernels/addr.h"
#include "pipeline/allowlist.h"
#include "pipeline/detect.h"
#include "pipeline/detect_findings_internal.h"
#include "pipeline/detect_internal.h"
#include "pipeline/fnv.h"
#include "pipeline/json_text.h"

namespace flowsift {

// --- Findings ------------------------------------------------------------------------------------

namespace {

std::string Where(bool internal) { return internal ? "internal host" : "external host"; }

// A NAT gateway's own records of what it forwards (its address as the source, as AWS logs the
// gateway's egress even with pkt-* fields) make a port_sweep or brute_force of the gateway beside
// the one of the host behind it (seen on the gateway's ingress through pkt-dstaddr, or on its own
// interface). A finding whose source relayed traffic to that port on its interface
// (`evidence.relayed_bytes`, AppendAttemptFindings) at least half and at most twice the finding's
// own bytes (a gateway forwards what it receives: no more, and no less), in at least a quarter as
// many flows (`relayed_flows`: a relayed flow for each attempt, which the gateway's egress and its
// targets' ingress log twice; an admin's one SSH session into a sweeper, as many bytes as its 28
// attempts, had made the sweeper a gateway) is dropped when a finding of the same type, port,
// destination and window by another, internal source is there and, for a sweep, shares a
// sampled destination: the host behind the gateway, the actor, reported once. A host that only
// received some traffic on the port (an admin session) keeps its finding, as does one swept by
// an unrelated scanner, and one that received far more on the port than it sent (an SSH
// session of 300 KB into a host that brute-forced with 75 KB beside another compromised host:
// the relay table does not say from whom, and dropping it lost a real attacker); a gateway
// alone (its interface logged without pkt-*, where the host's requests end at the gateway)
// keeps its own, the only trace. The cost of the upper bound: a gateway that also forwards
// others' traffic on the port (SSH to a code host) keeps a finding beside its actor's.
void DropRelayedDuplicates(std::vector<Finding>& out, const NetworkSet& internal) {
  const auto sweep_or_brute = [](const Finding& f) {
    return f.type == "port_sweep" || f.type == "brute_force";
  };
  const auto relayed = [&](const Finding& f) {
    if (!sweep_or_brute(f)) return false;
    const auto r = f.evidence.find("relayed_bytes");
    const auto n = f.evidence.find("relayed_flows");
    if (r == f.evidence.end() || !r->is_number_unsigned() || n == f.evidence.end() ||
        !n->is_number_unsigned()) {
      return false;
    }
    const uint64_t bytes = r->get<uint64_t>(), flows = n->get<uint64_t>();
    // At least half, rounded up, and at most twice (bytes / 2 <= f.bytes had let 2 * f.bytes + 1
    // pass; 2 * f.bytes may not fit).
    return bytes >= f.bytes / 2 + f.bytes % 2 && (bytes <= f.bytes || bytes - f.bytes <= f.bytes) &&
           flows >= f.flows / 4;
  };
  const auto internal_src = [&](const Finding& f) {
    kernels::Addr128 a;
    return f.src &&
           kernels::ParseAddrScalar(reinterpret_cast<const uint8_t*>(f.src->data()), f.src->size(),
                                    &a) == kernels::FieldStatus::kOk &&
           internal.Contains(a);
  };
  using Key = std::tuple<std::string, std::string, int64_t, uint64_t>;
  const auto key = [](const Finding& f) {
    return Key(f.type, f.dst.value_or(""), f.dst_port ? int64_t{*f.dst_port} : int64_t{-1},
               f.window_start);
  };
  std::map<Key, std::vector<size_t>> actors;  // unrelayed findings by internal sources
  bool any = false;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!sweep_or_brute(out[i])) continue;
    if (relayed(out[i])) {
      any = true;
    } else if (internal_src(out[i])) {
      actors[key(out[i])].push_back(i);
    }
  }
  if (!any || actors.empty()) return;
  const auto shares_a_destination = [](const Finding& a, const Finding& b) {
    if (a.type != "port_sweep") return true;  // brute force: the same dst is in the key
    const auto sa = a.evidence.find("sample_dsts"), sb = b.evidence.find("sample_dsts");
    if (sa == a.evidence.end() || sb == b.evidence.end()) return false;
    for (const auto& x : *sa) {
      for (const auto& y : *sb) {
        if (x == y) return true;
      }
    }
    return false;
  };
  std::vector<bool> drop(out.size());
  // (type, actor, gateway, port, window) of each gateway's dropped finding: the actor's
  // requests to the gateway itself (its ingress, where dstaddr is the gateway) are then the
  // relay's way in, not an attack on the gateway: a brute force of 10.0.0.100:22 by the host
  // behind it had been reported beside the real one.
  std::set<std::tuple<std::string, std::string, std::string, int64_t, uint64_t>> relay_ways_in;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!relayed(out[i])) continue;
    const auto it = actors.find(key(out[i]));
    if (it == actors.end()) continue;
    for (size_t j : it->second) {
      if (out[j].src != out[i].src && shares_a_destination(out[i], out[j])) {
        drop[i] = true;
        relay_ways_in.emplace(out[i].type, *out[j].src, *out[i].src, std::get<2>(key(out[i])),
                              out[i].window_start);
      }
    }
  }
  for (size_t i = 0; i < out.size() && !relay_ways_in.empty(); ++i) {
    const Finding& f = out[i];
    if (sweep_or_brute(f) && f.src && f.dst &&
        relay_ways_in.count({f.type, *f.src, *f.dst, std::get<2>(key(f)), f.window_start})) {
      drop[i] = true;
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (drop[i]) continue;
    if (kept != i) out[kept] = std::move(out[i]);
    ++kept;
  }
  out.resize(kept);
}

}  // namespace

std::vector<Finding> Detector::Findings(const InterfaceLives* lives, FindingCounts* allowed) const {
  // The times with records, from every absorbed state: runs of adjacent buckets as spans.
  ActiveTimes all = state_->active;
  for (const auto& shard : state_->shards) all.Merge(shard->active);
  const uint64_t step = state_->ActiveStep();
  std::vector<TimeSpan> spans;
  for (uint64_t b : all.Buckets()) {
    const uint64_t begin = b * step;  // b <= UINT64_MAX / step: b is some start / step
    const uint64_t end = begin > UINT64_MAX - step ? UINT64_MAX : begin + step;
    if (!spans.empty() && spans.back().end == begin) {
      spans.back().end = end;
    } else {
      spans.push_back({begin, end});
    }
  }
  return Findings(spans, lives, allowed);
}

std::vector<Finding> Detector::Findings(const std::vector<TimeSpan>& spans,
                                        const InterfaceLives* lives, FindingCounts* allowed) const {
  std::vector<Finding> out;
  if (!state_->o.enabled) return out;
  // Absorbed partitions hold disjoint keys, and every finding depends on one key's state (a
  // host's exfiltration on its own relays, a probe on its own answers): each makes its own.
  State::UploadTotals uploads;
  state_->AddUploads(uploads);
  for (const auto& shard : state_->shards) shard->AddUploads(uploads);
  state_->AppendFindings(spans, lives, uploads, out);
  for (const auto& shard : state_->shards) shard->AppendFindings(spans, lives, uploads, out);
  DropRelayedDuplicates(out, state_->o.internal);
  // Last, on what would be written: an allowed actor's finding had made its gateway's copy of a
  // sweep a duplicate (DropRelayedDuplicates), which must stay dropped.
  DropAllowed(state_->o, out, allowed);
  for (Finding& f : out) {
    // A walk is its source's from its first window: the port its contacts shared (named since
    // the sixty-third session) is not part of what it is, and its id stays as it was.
    const std::optional<uint32_t> port = f.type == "scan_trw" ? std::nullopt : f.dst_port;
    f.id = FindingId(f.type, f.src, f.dst, port, f.window_start, f.scope);
    // A sketch's estimate (past 2,048 values) is off by up to ~1%, either way: never more
    // distinct values than the flows that held them.
    f.distinct_dsts = std::min(f.distinct_dsts, f.flows);
    f.distinct_dst_ports = std::min(f.distinct_dst_ports, f.flows);
  }
  // Sorted as indices, then moved once: swapping whole findings (strings, a JSON object) in
  // the sort took ~12,000 instructions a finding. The key is total: SPEC's sort fields, then
  // the interfaces, which tell reject spikes of one window and port apart; without them their
  // order was that of the partitions, so it depended on --threads.
  const auto key = [&](uint32_t i) {
    const Finding& f = out[i];
    // The scope last: a reflection and a direct flood of one host in one window tie on the rest.
    return std::tuple<uint64_t, std::string_view, std::string_view, std::string_view, int64_t,
                      const std::vector<std::string>&, std::string_view>(
        f.window_start, f.type, f.src ? std::string_view(*f.src) : std::string_view(),
        f.dst ? std::string_view(*f.dst) : std::string_view(),
        f.dst_port ? int64_t{*f.dst_port} : int64_t{-1}, f.interfaces, f.scope);
  };
  std::vector<uint32_t> order(out.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
  std::vector<Finding> sorted;
  sorted.reserve(out.size());
  for (const uint32_t i : order) sorted.push_back(std::move(out[i]));
  return sorted;
}

void Detector::State::AppendFindings(const std::vector<TimeSpan>& spans,
                                     const InterfaceLives* lives, const UploadTotals& uploads,
                                     std::vector<Finding>& out) const {
  AppendAttemptFindings(out);
  AppendVolumeFindings(spans, lives, uploads, out);
}

void Detector::State::AppendAttemptFindings(std::vector<Finding>& out) const {
  const State& s = *this;
  const auto internal = [&](const Addr128& a) { return o.internal.Contains(a); };
  // Bytes and flows other internal hosts sent `host` for `port` on the activity's interfaces in
  // the exfiltration windows that [begin, f.window_end) overlaps: what a NAT gateway or proxy
  // relays, as f's relayed_bytes and relayed_flows when there were any (DropRelayedDuplicates).
  // The relay table's entries sorted by (host, interface, port, window), made at the first call:
  // a key's windows in [begin, end) are then one binary search and a short run, where stepping
  // through every exfiltration window of the range was a hang for a --config whose sweep or
  // brute-force window is many exfiltration windows long (1e13 s: years of steps).
  struct RelayEntry {
    RelayKey key;
    Relayed relayed;
  };
  const auto relay_less = [](const RelayKey& a, const RelayKey& b) {
    if (a.host != b.host) return AddrLess(a.host, b.host);
    return std::tie(a.iface, a.port, a.window) < std::tie(b.iface, b.port, b.window);
  };
  std::vector<RelayEntry> relay_sorted;  // empty until the first call (or with no relays)
  const auto add_relayed = [&](Finding& f, const Addr128& host, const Activity& a, uint64_t begin,
                               uint16_t port) {
    const uint64_t end = f.window_end;
    if (relay_sorted.size() != s.relay.size()) {
      relay_sorted.reserve(s.relay.size());
      for (const auto& [k, v] : s.relay) relay_sorted.push_back({k, v});
      std::sort(relay_sorted.begin(), relay_sorted.end(),
                [&](const RelayEntry& x, const RelayEntry& y) { return relay_less(x.key, y.key); });
    }
    Relayed sum;
    const uint64_t first = WindowOf(begin, o.exfil_window);
    for (uint32_t id : a.ifaces.ids) {
      auto it = std::lower_bound(
          relay_sorted.begin(), relay_sorted.end(), RelayKey{host, first, id, port},
          [&](const RelayEntry& x, const RelayKey& k) { return relay_less(x.key, k); });
      for (; it != relay_sorted.end() && it->key.host == host && it->key.iface == id &&
             it->key.port == port && it->key.window < end;
           ++it) {
        sum.Add(it->relayed.bytes, it->relayed.flows);
      }
    }
    if (sum.flows == 0) return;
    f.evidence["relayed_bytes"] = sum.bytes;
    f.evidence["relayed_flows"] = sum.flows;
  };

  // port_scan: `v` holds the failed attempts of the key, `answered` the ports that answered.
  const auto scan_finding = [&](const PairKey& k, const ScanState& v, const PortSet& answered) {
    if (v.failed.size() == 0) return;
    std::vector<uint16_t> failed;
    v.failed.ForEach([&](uint16_t p) {
      if (!answered.Contains(p)) failed.push_back(p);
    });
    if (failed.size() < o.scan_min_ports) return;
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
    f.evidence["answered_ports"] = answered.size();
    f.evidence["rejected_flows"] = v.rejected;
    f.evidence["sample_ports"] = PortsJson(failed);
    f.summary = Where(inside) + " " + *f.src + " made failed attempts at " +
                Plural(f.distinct_dst_ports, "port", "ports") + " of " + *f.dst + " within " +
                DurationText(o.scan_window) + " (threshold " + std::to_string(o.scan_min_ports) +
                ").";
    out.push_back(std::move(f));
  };
  for (const auto& [k, v] : s.scans) scan_finding(k, v, v.answered);

  // port_sweep. The hosts that answered a prober's SYN with a tiny SYN-ACK (the scan table's
  // `answered`, keyed by prober and host) are not failures: counted per (prober, sweep window,
  // port) and taken off the sweep's destinations, as port_scan takes answered ports off. A
  // sweep's destinations are a distinct count, not a list, so this assumes every answering host
  // was probed in the same sweep window (it is the answer to a probe).
  // The answers are keyed by scan window: with other port-scan and sweep windows a host could
  // be counted once per scan window, or against a sweep window it did not answer in, so they
  // are used only when the two are equal (the default). A scan key is one (prober, host), so
  // each host counts once. SYN-ACKs answer TCP, accepted ICMP answers ICMP (port 0): UDP
  // sweeps keep their count.
  // The hosts that answered a probe of theirs that had failed: a (prober, host) key whose port
  // is both failed and answered. Hosts that answered other connections of the prober's (a
  // worm's file server with 80 working SMB sessions) are not among its failed destinations,
  // and taking them off the count hid the sweep of 100 others.
  using AnsweredKey = std::tuple<uint64_t, uint64_t, uint64_t, uint16_t>;
  std::map<AnsweredKey, uint64_t> answered_hosts;
  const auto count_answered = [](std::map<AnsweredKey, uint64_t>& into, const PairKey& k,
                                 const PortSet& failed, const PortSet& answered) {
    answered.ForEach([&](uint16_t port) {
      if (failed.Contains(port)) ++into[{k.src.hi, k.src.lo, k.window, port}];
    });
  };
  if (o.scan_window == o.sweep_window) {
    for (const auto& [k, v] : s.scans) {
      if (v.answered.size() != 0) count_answered(answered_hosts, k, v.failed, v.answered);
    }
  }
  const auto sweep_finding = [&](const SweepKey& k, const SweepState& v,
                                 const std::map<AnsweredKey, uint64_t>& answered_of) {
    // A sketch's estimate (past 2,048 hosts) never counts more hosts than attempts.
    const uint64_t probed = std::min(v.dsts.Count(), v.activity.flows);
    if (probed < o.sweep_min_dsts) return;
    const uint32_t proto = k.port_proto & 0xFF;
    const auto answers = proto == kTcp || proto == kIcmp || proto == kIcmp6
                             ? answered_of.find({k.src.hi, k.src.lo, k.window,
                                                 static_cast<uint16_t>(k.port_proto >> 8)})
                             : answered_of.end();
    const uint64_t answered = answers != answered_of.end() ? answers->second : 0;
    const uint64_t dsts = probed - std::min(probed, answered);
    if (dsts < o.sweep_min_dsts) return;
    Finding f;
    f.type = "port_sweep";
    const bool inside = internal(k.src);
    f.severity = inside ? 3 : 2;
    f.mitre = inside ? std::vector<std::string>{"T1046", "T1018"}
                     : std::vector<std::string>{"T1046", "T1595.001"};
    f.src = Text(k.src);
    f.dst_port = k.port_proto >> 8;
    // Protocol 0 is a record without one (no protocol field, or "-"): unknown, not HOPOPT.
    if (proto != 0) f.protocol = proto;
    f.window_start = k.window;
    f.window_end = k.window + o.sweep_window;
    SetActivity(f, v.activity, s.names);
    f.distinct_dst_ports = 1;
    f.distinct_dsts = dsts;
    f.evidence["threshold"] = {{"failed_dsts", o.sweep_min_dsts},
                               {"window_seconds", o.sweep_window}};
    f.evidence["failed_dsts"] = dsts;
    f.evidence["answered_dsts"] = answered;
    f.evidence["rejected_flows"] = v.rejected;
    if (inside) add_relayed(f, k.src, v.activity, k.window, *f.dst_port);
    nlohmann::ordered_json sample = nlohmann::ordered_json::array();
    for (const Addr128& a : v.sample) sample.push_back(Text(a));
    f.evidence["sample_dsts"] = std::move(sample);
    // A sweep of one port over TCP and one over UDP are two findings: the protocol is in the
    // id (as its scope; TCP's ids are as they were) and in the summary. ICMP has no ports.
    if (proto != kTcp) f.scope = "protocol " + std::to_string(proto);
    // Protocol 0 is unknown (above): its port alone, as TCP's.
    const std::string what =
        proto == kTcp || proto == 0 ? "port " + std::to_string(*f.dst_port)
        : proto == kUdp             ? "UDP port " + std::to_string(*f.dst_port)
        // A protocol without ports (GRE, ESP) is logged with port 0: no "port 0" of it.
        : *f.dst_port == 0
            ? "protocol " + std::to_string(proto)
            : "port " + std::to_string(*f.dst_port) + " of protocol " + std::to_string(proto);
    // ICMP has no port to make attempts at: its hosts were pinged ("made failed attempts at
    // ICMP (pings) of 25 hosts" before); nor has GRE or ESP ("made failed attempts at protocol
    // 47 of 25 hosts" before).
    const std::string made =
        proto == kIcmp || proto == kIcmp6
            ? std::string(" sent failed pings (") + (proto == kIcmp ? "ICMP" : "ICMPv6") + ") to "
        : proto != kTcp && proto != 0 && proto != kUdp && *f.dst_port == 0
            ? " made failed " + what + " attempts at "
            : " made failed attempts at " + what + " of ";
    f.summary = Where(inside) + " " + *f.src + made + Plural(dsts, "host", "hosts") + " within " +
                DurationText(o.sweep_window) + " (threshold " + std::to_string(o.sweep_min_dsts) +
                ").";
    out.push_back(std::move(f));
  };
  for (const auto& [k, v] : s.sweeps) sweep_finding(k, v, answered_hosts);

  // Attempts still in their lists (detect_internal.h, AttemptLog): evaluated a list at a time,
  // through the same scan and sweep states the tables hold, so that a list never costs more
  // than its own keys. The tables hold at most the answered ports of such a key.
  {
    Detector::State local;
    local.o = o;
    local.names = s.names;
    const PortSet none;
    std::map<AnsweredKey, uint64_t> local_answered;
    // A key's failed ports and a sweep's destinations each come from distinct attempts, so a
    // list shorter than both thresholds cannot make a finding: on an internet-wide scan that is
    // every one of a million lists, which would each build two small tables here.
    const uint64_t fewest = std::min(o.scan_min_ports, o.sweep_min_dsts);
    for (const auto& [k, log] : s.attempts) {
      if (log.promoted || log.attempts.empty() || log.attempts.size() < fewest) continue;
      local.scans = {};
      local.sweeps = {};
      for (const Attempt& a : log.attempts) local.ApplyAttempt(k.host, a);
      // The list's failed ports against the answers the table holds for its keys (lists exist
      // only when the scan and sweep windows are equal: LogAttempts).
      local_answered.clear();
      for (const auto& [pk, v] : local.scans) {
        const ScanState* main = s.scans.Find(pk);
        scan_finding(pk, v, main != nullptr ? main->answered : none);
        if (main != nullptr && main->answered.size() != 0) {
          count_answered(local_answered, pk, v.failed, main->answered);
        }
      }
      for (const auto& [sk, v] : local.sweeps) sweep_finding(sk, v, local_answered);
    }
  }

  // scan_trw: Wald's SPRT over first contacts in (window, destination) order.
  const double step_success = std::log(o.trw_theta1 / o.trw_theta0);
  const double step_failure = std::log((1 - o.trw_theta1) / (1 - o.trw_theta0));
  const double upper = std::log(o.trw_beta / o.trw_alpha);
  const double lower = std::log((1 - o.trw_beta) / (1 - o.trw_alpha));
  struct Walk {
    double llr = 0;
    uint64_t successes = 0, failures = 0;
    size_t decided = SIZE_MAX;  // the contact at which the walk crossed `upper`, if it did
  };
  // A contact is also a success when its host answered the source's SYN with a tiny SYN-ACK
  // (the scan table's `answered`, keyed by prober and host): Jung et al.'s established
  // connection. `src` null: the contacts' own outcomes only, which can only make more
  // scanners (an answer turns a failure into a success), so the first pass below uses it.
  // The answer may be in any scan window the contact's TRW window overlaps: with a longer
  // scan_trw.window than port_scan.window, looking in the first one only had every answered
  // client of a window's later minutes walk as a scanner. It may also be in a scan window that
  // starts less than kRecordLagSeconds after the TRW window's end (the next one, at the
  // defaults): a record's start may lag its packets by up to a minute, so a SYN sent just
  // before a boundary can have its SYN-ACK's record in the next window (the answers are kept
  // per scan window, so one that came up to a window later counts too). The answered scan
  // keys, sorted by (prober, host, window), are made at the first ask (only for sources that
  // walk to a decision on their own outcomes, few), and each ask is one binary search.
  using AnsweredAt = std::tuple<uint64_t, uint64_t, uint64_t, uint64_t, uint64_t>;
  std::vector<AnsweredAt> answered_at;
  bool answered_ready = false;
  const auto answered = [&](const Addr128& src, const Contact& c) {
    if (!answered_ready) {
      for (const auto& [k, v] : s.scans) {
        if (v.answered.size() != 0) {
          answered_at.emplace_back(k.src.hi, k.src.lo, k.dst.hi, k.dst.lo, k.window);
        }
      }
      std::sort(answered_at.begin(), answered_at.end());
      answered_ready = true;
    }
    const uint64_t from = WindowOf(c.window, o.scan_window);
    const uint64_t reach = o.trw_window > UINT64_MAX - kRecordLagSeconds
                               ? UINT64_MAX
                               : o.trw_window + kRecordLagSeconds;
    const uint64_t to = c.window + std::min(reach, UINT64_MAX - c.window);  // exclusive
    const auto it = std::lower_bound(answered_at.begin(), answered_at.end(),
                                     AnsweredAt{src.hi, src.lo, c.dst.hi, c.dst.lo, from});
    return it != answered_at.end() && std::get<0>(*it) == src.hi && std::get<1>(*it) == src.lo &&
           std::get<2>(*it) == c.dst.hi && std::get<3>(*it) == c.dst.lo && std::get<4>(*it) < to;
  };
  const auto walk = [&](const TrwState& v, const Addr128* src) {
    Walk w;
    for (size_t i = 0; i < v.contacts.size(); ++i) {
      const bool ok = v.contacts[i].success || (src != nullptr && answered(*src, v.contacts[i]));
      w.llr += ok ? step_success : step_failure;
      w.successes += ok;
      w.failures += !ok;
      if (w.llr >= upper) {
        w.decided = i;
        break;
      }
      if (w.llr <= lower) break;
    }
    return w;
  };
  // The walks first, over the states in their own order: the table's slot order visits them
  // (and their contact lists) at random, a cache miss or two for each of the 174k sources of the
  // 1 GiB benchmark; then the table, for the few sources whose walk decided.
  std::vector<bool> scanner(s.trw_states.size());
  for (size_t i = 0; i < s.trw_states.size(); ++i) {
    scanner[i] = walk(s.trw_states[i], nullptr).decided != SIZE_MAX;
  }
  for (const auto& [src, index] : s.trw) {
    if (!scanner[index - 1]) continue;
    const TrwState& v = s.trw_states[index - 1];
    const auto [llr, successes, failures, decided] = walk(v, &src);
    if (decided == SIZE_MAX) continue;  // its answered contacts make it no scanner
    Finding f;
    f.type = "scan_trw";
    f.severity = 2;
    f.mitre = {"T1046", "T1595"};
    f.src = Text(src);
    f.window_start = v.contacts.front().window;
    f.window_end = v.contacts[decided].window + o.trw_window;
    SetActivity(f, v.activity, s.names);
    // The walk keeps a source's first kTrwContacts contacts: a count of 32 means "at least".
    f.distinct_dsts = v.contacts.size();
    f.distinct_dst_ports = v.ports.size();
    // Exact below the sample's cap: one port is every contact's port. (The walk keeps no
    // protocols: `protocol` stays null.)
    if (v.ports.size() == 1) f.dst_port = v.ports[0];
    // Both are counted from what the walk keeps (its first kTrwContacts contacts, its kSamples
    // smallest ports): at a cap they are lower bounds, as docs/outputs.md says; say so here.
    if (v.contacts.size() == kTrwContacts || v.ports.size() == kSamples) {
      f.evidence["distinct_counts_are_at_least"] = true;
    }
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
                " of its first " + Plural(decided + 1, "contact", "contacts") +
                " with internal hosts: a scanner by the threshold random walk "
                "(likelihood ratio " +
                ShortNumber(Round3(std::exp(llr))) +
                " >= " + ShortNumber(Round3(o.trw_beta / o.trw_alpha)) + ").";
    out.push_back(std::move(f));
  }

  // brute_force
  for (const auto& [k, v] : s.brutes) {
    // Distinct source ports, capped at the flows like every distinct count of a finding.
    const uint64_t tries = std::min(v.attempts.Count(), v.activity.flows);
    if (tries < o.brute_min_attempts) continue;
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
    // With what an attempt is: at most max_packets and max_bytes, or failed (detect.cc).
    f.evidence["threshold"] = {{"attempts", o.brute_min_attempts},
                               {"window_seconds", o.brute_window},
                               {"max_packets", o.brute_max_packets},
                               {"max_bytes", o.brute_max_bytes}};
    f.evidence["attempts"] = tries;
    f.evidence["rejected_flows"] = v.rejected;
    f.evidence["probe_flows"] = v.probes;
    f.evidence["role"] = inside ? "actor" : "target";
    if (inside) add_relayed(f, k.src, v.activity, k.window, static_cast<uint16_t>(k.port));
    f.summary = Where(inside) + " " + *f.src + " made " +
                Plural(tries, "short or failed connection", "short or failed connections") +
                " to port " + std::to_string(k.port) + " of " + *f.dst + " within " +
                DurationText(o.brute_window) + " (threshold " +
                std::to_string(o.brute_min_attempts) + ").";
    out.push_back(std::move(f));
  }
}

std::string FindingId(std::string_view type, const std::optional<std::string>& src,
                      const std::optional<std::string>& dst, std::optional<uint32_t> dst_port,
                      uint64_t window_start, std::string_view scope) {
  // FNV-1a 64 over the key fields, separated by a byte no field holds; then a mixer so that
  // ids of similar keys share no prefix.
  uint64_t h = kFnvOffset;
  const auto feed = [&](std::string_view s) { h = Fnv1a(Fnv1a(h, s), "\xFF"); };
  feed(type);
  feed(src ? *src : "null");
  feed(dst ? *dst : "null");
  feed(dst_port ? std::to_string(*dst_port) : "null");
  feed(std::to_string(window_start));
  if (!scope.empty()) feed(scope);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(Mix64(h)));
  return buf;
}

namespace {

void AppendJsonStrings(const std::vector<std::string>& v, std::string& out) {
  out += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(v[i], out);
  }
  out += ']';
}

}  // namespace

// Written field by field rather than built as an ordered_json and dumped: on a day with tens of
// thousands of findings that took ~60,000 instructions a finding (nlohmann's ordered map looks
// every key up linearly, and its serializer decodes UTF-8 byte by byte). The bytes are the same
// (detect_files_test.cc compares them with the ordered_json form's dump), except that invalid
// UTF-8, on which that dump threw, is written as U+FFFD (pipeline/json_text.h).
std::string FindingJson(const Finding& f) {
  std::string out;
  out.reserve(512 + f.summary.size());
  const auto key = [&](std::string_view name) {
    out += out.empty() ? '{' : ',';
    out += '"';
    out += name;
    out += "\":";
  };
  const auto number = [&](std::string_view name, uint64_t value) {
    key(name);
    AppendUint(value, out);
  };
  const auto optional_text = [&](std::string_view name, const std::optional<std::string>& v) {
    key(name);
    if (v) {
      AppendJsonString(*v, out);
    } else {
      out += "null";
    }
  };
  const auto optional_number = [&](std::string_view name, const std::optional<uint32_t>& v) {
    key(name);
    if (v) {
      AppendUint(*v, out);
    } else {
      out += "null";
    }
  };
  key("id");
  AppendJsonString(f.id, out);
  key("type");
  AppendJsonString(f.type, out);
  key("severity");
  out += std::to_string(f.severity);  // an int
  key("mitre");
  AppendJsonStrings(f.mitre, out);
  optional_text("src", f.src);
  optional_text("dst", f.dst);
  optional_number("dst_port", f.dst_port);
  optional_number("protocol", f.protocol);
  key("interfaces");
  AppendJsonStrings(f.interfaces, out);
  number("window_start", f.window_start);
  number("window_end", f.window_end);
  number("first_seen", f.first_seen);
  number("last_seen", f.last_seen);
  number("flows", f.flows);
  number("packets", f.packets);
  number("bytes", f.bytes);
  number("distinct_dst_ports", f.distinct_dst_ports);
  number("distinct_dsts", f.distinct_dsts);
  key("evidence");
  AppendJson(f.evidence, out);
  key("summary");
  AppendJsonString(f.summary, out);
  out += '}';
  return out;
}

}  // namespace flowsift
