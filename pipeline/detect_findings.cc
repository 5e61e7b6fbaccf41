// Evaluating the detectors' state into findings (pipeline/detect.h, docs/detection.md).
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
#include "pipeline/baseline.h"
#include "pipeline/detect.h"
#include "pipeline/detect_internal.h"
#include "pipeline/fnv.h"
#include "pipeline/human_bytes.h"
#include "pipeline/json_text.h"
#include "pipeline/key_baseline.h"

namespace flowsift {

// --- Findings ------------------------------------------------------------------------------------

namespace {

// A number for a summary sentence as the evidence rounds it (Round3): "19", "18.5". A cast to
// an integer turned 0.95 / 0.05 (18.999... in binary) into "18" beside the evidence's 19.
std::string ShortNumber(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  std::string s(buf);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::vector<std::string> IfaceNames(const InterfaceSet& set, const Names& names) {
  std::vector<std::string> out;
  for (uint32_t id : set.ids) out.push_back(names.names[id]);
  return out;
}

template <typename Ports>
nlohmann::ordered_json PortsJson(const Ports& ports) {
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

std::string Where(bool internal) { return internal ? "internal host" : "external host"; }

// Groups keyed windows by key: `items` (key, value), each (key, window) once; sorted by key
// and then window_of(value), f(key, values) for each key with its values in window order. A
// sorted vector instead of a std::map of std::maps: with a million keyed windows (a day of
// 10,000 interfaces) the trees' inserts were 6% of a one-thread run
// (docs/performance-history.md, "Forty-ninth session").
template <typename Key, typename Value, typename WindowOf, typename F>
void ForEachKey(std::vector<std::pair<Key, Value>>& items, WindowOf&& window_of, F&& f) {
  std::sort(items.begin(), items.end(), [&](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : window_of(a.second) < window_of(b.second);
  });
  std::vector<Value> values;
  for (size_t first = 0, end = 0; first < items.size(); first = end) {
    values.clear();
    for (end = first; end < items.size() && items[end].first == items[first].first; ++end) {
      values.push_back(items[end].second);
    }
    f(items[first].first, values);
  }
}
// The window of a (window, state) pair, ForEachKey's value for a key's windows and states.
template <typename T>
uint64_t WindowOfPair(const std::pair<uint64_t, const T*>& v) {
  return v.first;
}

// What a spike's summary says of the windows its baseline left out besides its own (Censored):
// "not counting the busy window beside it", or empty.
std::string NotCounting(const Skipped& skip) {
  std::string parts;
  if (skip.beside != 0) {
    parts = skip.beside == 1 ? "the busy window beside it" : "the busy windows beside it";
  }
  if (skip.elsewhere != 0) {
    if (!parts.empty()) parts += " and ";
    parts += skip.elsewhere == 1 ? "its busiest other window" : "its two busiest other windows";
  }
  return parts.empty() ? "" : "not counting " + parts;
}
std::string LeftOutText(const Skipped& skip) {
  const std::string parts = NotCounting(skip);
  return parts.empty() ? "" : " (" + parts + ")";
}

// A measured multiple of a baseline, for the evidence beside the threshold's ratio: rounded as
// every measured double (Round3), null when the baseline is 0 (no multiple of it; a division
// would be inf, which JSON has not).
nlohmann::ordered_json RatioJson(double value, double baseline) {
  if (!(baseline > 0)) return nullptr;
  return Round3(value / baseline);
}

// The end of a ddos_fan_in's summary: how `count` (of `what`: "source", "unsolicited source")
// compares with the baseline that decided, and the thresholds that are what a flood is. `b`'s
// window counts are the windows each median is of (FanInWindows), `skip` the windows left out.
// The run's median decides unless the local one, times its ratio, is the larger: then the
// sentence compares with the windows around it and names the run's median among the thresholds.
std::string FanInBaselineText(uint64_t count, const FanInBaseline& b, const Skipped& skip,
                              const DetectOptions& o, const std::string& what) {
  const auto of = [&](uint64_t n) { return Plural(n, what, what + "s"); };
  const auto times = [&](uint64_t median) {
    return ShortNumber(Round3(static_cast<double>(count) / static_cast<double>(median)));
  };
  const std::string at_least = of(o.fanin_min_sources);
  if (b.windows == 0) {
    return "in its only window with records (no baseline to compare; threshold: " + at_least + ")";
  }
  std::string left_out = NotCounting(skip);
  if (!left_out.empty()) left_out += "; ";
  const std::string others =
      b.windows == 1 ? "its other window" : "its other " + std::to_string(b.windows) + " windows";
  if (o.fanin_local_ratio * static_cast<double>(b.local_median) >
      o.fanin_ratio * static_cast<double>(b.median)) {
    const std::string around =
        b.local_windows == 1 ? "the window around it"
                             : "the " + std::to_string(b.local_windows) + " windows around it";
    return times(b.local_median) + " times the median of " + of(b.local_median) + " in " + around +
           " (" + left_out + "thresholds: " + at_least + ", " + ShortNumber(o.fanin_local_ratio) +
           " times the median around it and " + ShortNumber(o.fanin_ratio) +
           " times the median of " + of(b.median) + " in " + others + ")";
  }
  if (b.median == 0) {
    return "against a median of " + of(0) + " in " + others + " (" + left_out +
           "threshold: " + at_least + ")";
  }
  return times(b.median) + " times the median of " + of(b.median) + " in " + others + " (" +
         left_out + "thresholds: " + at_least + " and " + ShortNumber(o.fanin_ratio) +
         " times the median)";
}

// The evidence of a ddos_fan_in's baselines (`what`: "sources", "unsolicited_sources"): the
// run's median and the local one, the measured multiples of each (null for a median of 0) and
// the windows each is of.
void SetFanInBaselines(nlohmann::ordered_json& evidence, uint64_t count, const FanInBaseline& b,
                       const std::string& what) {
  evidence["baseline_median_" + what] = b.median;
  evidence["ratio_to_median"] =
      RatioJson(static_cast<double>(count), static_cast<double>(b.median));
  evidence["baseline_windows"] = b.windows;
  evidence["baseline_local_median_" + what] = b.local_median;
  evidence["ratio_to_local_median"] =
      RatioJson(static_cast<double>(count), static_cast<double>(b.local_median));
  evidence["baseline_local_windows"] = b.local_windows;
}

// The test both kinds of ddos_fan_in make of a (destination, fan-in window) table: a window
// whose count(dst, window, state) of sources is at least min_sources, at least ratio times the
// median of the destination's other windows (silent ones 0, over `span`) and at least
// local_ratio times the median of its windows within local_span either side goes to
// emit(dst, window, state, count, baseline, skip), the baseline's window counts those its
// medians are of and `skip` those left out (the window itself among them). at_most(state)
// bounds count cheaply: a destination none of whose windows reaches min_sources by it is
// skipped. life(windows), when it gives a span, keeps only the silent windows that overlap it
// (the destination's own windows always count).
template <typename State, typename AtMost, typename Count, typename Life, typename Emit>
void FanInWindows(const FlatMap<HostKey, State, KeyHash>& table, const std::vector<uint64_t>& span,
                  const DetectOptions& o, AtMost&& at_most, Count&& count, Life&& life,
                  Emit&& emit) {
  std::vector<std::pair<std::pair<uint64_t, uint64_t>, std::pair<uint64_t, const State*>>> by_dst;
  by_dst.reserve(table.size());
  for (const auto& [k, v] : table) by_dst.push_back({{k.host.hi, k.host.lo}, {k.window, &v}});
  // Whole windows either side: an hour is 12 five-minute windows.
  const size_t reach = static_cast<size_t>(o.fanin_local_span / o.fanin_window);
  ForEachKey(by_dst, WindowOfPair<State>,
             [&](const std::pair<uint64_t, uint64_t>& addr, const auto& key_windows) {
               bool any = false;
               for (const auto& [t, v] : key_windows) any |= at_most(*v) >= o.fanin_min_sources;
               if (!any) return;
               const Addr128 dst{addr.first, addr.second};
               const std::optional<TimeSpan> lived = life(key_windows);
               std::vector<uint64_t> times, counts;
               for (const auto& [t, v] : key_windows) {
                 times.push_back(t);
                 counts.push_back(count(dst, t, *v));
               }
               // Without the flood's other half in a window beside it (baseline.h, Guarded).
               ForEachFanInBaseline(
                   SpanWindows(span, o.fanin_window, lived ? &*lived : nullptr), o.fanin_window,
                   times, counts, o.fanin_min_sources, reach,
                   [&](size_t j, const Skipped& skip, FanInBaseline b) {
                     const double n = static_cast<double>(counts[j]);
                     if (n < o.fanin_ratio * static_cast<double>(b.median) ||
                         n < o.fanin_local_ratio * static_cast<double>(b.local_median)) {
                       return;
                     }
                     b.windows -= skip.n;
                     b.local_windows = reach > 0 ? b.local_windows - skip.n : 0;
                     emit(dst, times[j], *key_windows[j].second, counts[j], b, skip);
                   });
             });
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

namespace {

// A NAT gateway's own records of what it forwards (its address as the source, as AWS logs the
// gateway's egress even with pkt-* fields) make a port_sweep or brute_force of the gateway beside
// the one of the host behind it (seen on the gateway's ingress through pkt-dstaddr, or on its own
// interface). A finding whose source relayed traffic to that port on its interface
// (`evidence.relayed_bytes`, AppendFindings) at least half and at most twice the finding's own
// bytes (a gateway forwards what it receives: no more, and no less), in at least a quarter as
// many flows (`relayed_flows`: a relayed flow for each attempt, which the gateway's egress and
// its targets' ingress log twice; an admin's one SSH session into a sweeper, as many bytes as
// its 28 attempts, had made the sweeper a gateway) is dropped when a finding of the same type,
// port,
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

namespace {
// What `host` sent out on `port` in exfiltration window `window`, over its interfaces.
uint64_t HostBytesOut(const FlatMap<HostKey, ExfilHost, KeyHash>& hosts, const Addr128& host,
                      uint64_t window, uint16_t port) {
  const ExfilHost* h = hosts.Find(HostKey{host, window});
  if (h == nullptr) return 0;
  uint64_t sum = 0;
  for (const ExfilSide& side : h->sides) {
    for (const auto& [p, sent] : side.port_bytes) {
      if (p == port) AddSaturating(sum, sent);
    }
  }
  return sum;
}
}  // namespace

void Detector::State::AddUploads(UploadTotals& totals) const {
  for (const auto& [k, h] : hosts) {
    for (const ExfilSide& side : h.sides) {
      for (const auto& [port, sent] : side.port_bytes)
        AddSaturating(totals[{k.window, port}], sent);
    }
  }
}

void Detector::State::AppendFindings(const std::vector<TimeSpan>& spans,
                                     const InterfaceLives* lives, const UploadTotals& uploads,
                                     std::vector<Finding>& out) const {
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

  // exfiltration: per source, its windows' net external bytes (the busiest interface's bytes
  // out minus what it relayed for other internal hosts there, so a NAT gateway does not count).
  struct ExfilWindow {
    uint64_t window;
    const ExfilHost* state;
    const ExfilSide* side;
    uint64_t net, relay, unseen;
  };
  std::vector<std::pair<std::pair<uint64_t, uint64_t>, ExfilWindow>> by_source;  // (hi, lo)
  for (const auto& [k, h] : s.hosts) {
    const ExfilSide* best = nullptr;
    uint64_t best_net = 0, best_relay = 0, best_unseen = 0;
    for (const ExfilSide& side : h.sides) {
      // Port by port: what was relayed to this address on this interface for a port is
      // taken off what it sent out on that port, when the hosts it relayed for are seen
      // uploading that much themselves (their own interfaces logged): then they are reported,
      // and the gateway is not. When other hosts sent less than half of it out in the window,
      // the relayed hosts are not in these logs (only the gateway's interface is): the gateway
      // is the only trace of the upload and keeps it (it was no finding at all).
      //
      // The others' uploads count from the window before to the window after: a host's own
      // records and the gateway's of the same upload start up to an aggregation interval apart
      // (each interface keeps its own capture phase), so a relay near the hour's end may have
      // its host's upload in the next hour (a gateway's 2.4 GB from 35 s before the hour
      // against the host's 464 MB in it and the rest after: the gateway was reported).
      uint64_t net = 0, rel = 0, unseen = 0;
      for (const auto& [port, sent] : side.port_bytes) {
        const Relayed* relayed = s.relay.Find(RelayKey{k.host, k.window, side.iface, port});
        const uint64_t r = relayed != nullptr ? std::min(relayed->bytes, sent) : 0;
        uint64_t others = 0;
        if (r > 0) {
          for (const int step : {-1, 0, 1}) {
            const uint64_t w = k.window + static_cast<uint64_t>(step) * o.exfil_window;
            if ((step < 0 && k.window < o.exfil_window) || (step > 0 && w < k.window)) continue;
            const auto total = uploads.find({w, port});
            if (total == uploads.end()) continue;
            const uint64_t mine = HostBytesOut(s.hosts, k.host, w, port);  // all its interfaces
            AddSaturating(others, total->second - std::min(total->second, mine));
          }
        }
        if (others >= r / 2 + r % 2) {
          AddSaturating(rel, r);
          AddSaturating(net, sent - r);
        } else {
          AddSaturating(unseen, r);
          AddSaturating(net, sent);
        }
      }
      if (best == nullptr || net > best_net ||
          (net == best_net && s.names.names[side.iface] < s.names.names[best->iface])) {
        best = &side;
        best_net = net;
        best_relay = rel;
        best_unseen = unseen;
      }
    }
    if (best == nullptr || best_net == 0) continue;
    by_source.push_back(
        {{k.host.hi, k.host.lo}, {k.window, &h, best, best_net, best_relay, best_unseen}});
  }
  const auto exfil_window_of = [](const ExfilWindow& w) { return w.window; };
  ForEachKey(
      by_source, exfil_window_of,
      [&](const std::pair<uint64_t, uint64_t>& addr, const std::vector<ExfilWindow>& windows) {
        std::vector<uint64_t> nets;
        for (const ExfilWindow& w : windows) nets.push_back(w.net);
        const LeaveOneOut baselines(std::move(nets));
        for (size_t i = 0; i < windows.size(); ++i) {
          const ExfilWindow& w = windows[i];
          const bool absolute = w.net >= o.exfil_min_bytes;
          const bool warm = windows.size() - 1 >= o.exfil_baseline_windows;
          const bool may_be_baseline = warm && w.net >= o.exfil_baseline_min_bytes;
          if (!absolute && !may_be_baseline) continue;
          const auto [mean, sd] = baselines.Without(i);
          const double net = static_cast<double>(w.net);
          const double z = (net - mean) / std::max(sd, 1.0);
          const bool baseline =
              may_be_baseline && z >= o.exfil_baseline_z && net >= o.exfil_baseline_ratio * mean;
          if (!absolute && !baseline) continue;
          const Addr128 src{addr.first, addr.second};
          Finding f;
          f.type = "exfiltration";
          // 10x the threshold, saturated: a threshold past 2^64 / 10 has no critical level.
          f.severity =
              o.exfil_min_bytes <= UINT64_MAX / 10 && w.net >= 10 * o.exfil_min_bytes ? 4 : 3;
          f.mitre = {"T1048", "T1041"};
          f.src = Text(src);
          const ExfilSide& side = *w.side;
          if (!side.too_many && side.dsts.size() == 1) f.dst = Text(side.dsts[0].dst);
          if (side.ports.size() == 1) f.dst_port = side.ports[0];
          f.protocol = side.protocols.Single();
          f.window_start = w.window;
          f.window_end = w.window + o.exfil_window;
          f.first_seen = w.state->first;
          f.last_seen = w.state->last;
          f.flows = side.flows;
          f.packets = side.packets;
          f.bytes = side.Out();
          f.interfaces = {s.names.names[side.iface]};
          // Capped at the flows here, not only after (Findings): past 2,048 destinations the
          // sketch's estimate may pass them, and the summary said "2506 external destinations"
          // beside a distinct_dsts of 2500.
          f.distinct_dsts = std::min(side.distinct.Count(), side.flows);
          // Every port's bytes are kept (a relay is subtracted port by port): an exact count,
          // where the port sample holds only the 10 smallest. Records without ports keep their
          // bytes under port 0, which is no port of theirs: port 0 counts only when a record
          // with ports had it, and then the sample, which holds the smallest, has it.
          const bool portless_only = !side.port_bytes.empty() && side.port_bytes[0].first == 0 &&
                                     (side.ports.empty() || side.ports[0] != 0);
          f.distinct_dst_ports = side.port_bytes.size() - (portless_only ? 1 : 0);
          f.evidence["threshold"] = {{"bytes_out_external", o.exfil_min_bytes},
                                     {"window_seconds", o.exfil_window},
                                     {"baseline_z", o.exfil_baseline_z},
                                     {"baseline_ratio", o.exfil_baseline_ratio},
                                     {"baseline_min_bytes", o.exfil_baseline_min_bytes},
                                     {"baseline_windows", o.exfil_baseline_windows}};
          f.evidence["bytes_out_external"] = f.bytes;
          f.evidence["bytes_relayed"] = w.relay;
          if (w.unseen != 0) f.evidence["bytes_relayed_unseen"] = w.unseen;
          f.evidence["net_bytes"] = w.net;
          f.evidence["crossed"] = absolute && baseline ? "absolute,baseline"
                                  : absolute           ? "absolute"
                                                       : "baseline";
          f.evidence["baseline_windows"] = windows.size() - 1;
          f.evidence["baseline_mean_bytes"] = static_cast<uint64_t>(mean);
          f.evidence["baseline_sd_bytes"] = static_cast<uint64_t>(sd);
          // The deviation and the multiple of the mean tested against baseline_z and
          // baseline_ratio: none at a cold start, both null (z had been 0 beside a null ratio).
          f.evidence["z"] =
              warm ? nlohmann::ordered_json(Round3(z)) : nlohmann::ordered_json(nullptr);
          f.evidence["ratio"] = warm ? RatioJson(net, mean) : nlohmann::ordered_json(nullptr);
          // The top destinations by bytes (ties by address): exact from the list; past it, those
          // the sketch can name (each the majority of its buckets), with upper bounds.
          std::vector<std::pair<Addr128, uint64_t>> top;
          if (side.too_many) {
            top = side.heavy.Top(kTopDsts);
          } else {
            for (const DstBytes& d : side.dsts) top.push_back({d.dst, d.bytes});
            std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
              return a.second != b.second ? a.second > b.second : AddrLess(a.first, b.first);
            });
            top.resize(std::min(top.size(), kTopDsts));
          }
          nlohmann::ordered_json tops = nlohmann::ordered_json::array();
          for (const auto& [a, bytes] : top) {
            tops.push_back({{"dst", Text(a)}, {"bytes", bytes}});
            if (side.too_many) tops.back()["estimated"] = true;
          }
          f.evidence["top_dsts"] = std::move(tops);
          f.summary =
              "internal host " + *f.src + " sent " + HumanBytes(static_cast<double>(w.net)) +
              " to " + Plural(f.distinct_dsts, "external destination", "external destinations") +
              " within " + DurationText(o.exfil_window) +
              (absolute ? " (threshold " + HumanBytes(static_cast<double>(o.exfil_min_bytes)) + ")"
               : sd < 1 && mean >= 1
                   // A steady baseline (a nightly backup of one size) has no deviation:
                   // its z is the excess in bytes, no number of standard deviations.
                   ? " (" + ShortNumber(Round3(net / mean)) + " times the " +
                         HumanBytes(std::floor(mean)) + " of each of its other windows)"
                   : " (" + ShortNumber(Round3(z)) +
                         " standard deviations above its own baseline)") +
              (w.unseen != 0 ? ", " + HumanBytes(static_cast<double>(w.unseen)) +
                                   " of it relayed for internal hosts these logs do not "
                                   "show uploading"
                             : std::string()) +
              ".";
          out.push_back(std::move(f));
        }
      });

  // The windows of length w that overlap the run's spans, ascending, each once: a key's
  // silent ones among them count as zero in its baseline.
  const auto span_windows = [&](uint64_t w) {
    std::vector<uint64_t> v;
    for (const TimeSpan& span : spans) {
      if (span.end <= span.begin) continue;
      uint64_t t = WindowOf(span.begin, w);
      if (!v.empty() && t <= v.back()) {  // the last span's last window
        if (v.back() > UINT64_MAX - w) break;
        t = v.back() + w;
      }
      for (; t < span.end && v.size() < 1'000'000; t += w) {
        v.push_back(t);
        if (t > UINT64_MAX - w) break;  // the last window of time: t += w would wrap round
      }
    }
    return v;
  };

  // reject_spike
  {
    std::vector<std::pair<uint32_t, std::pair<uint64_t, const RejectState*>>> by_iface;
    by_iface.reserve(s.rejects.size());
    for (const auto& [k, v] : s.rejects) by_iface.push_back({k.iface, {k.window, &v}});
    const std::vector<uint64_t> span = span_windows(o.reject_window);
    ForEachKey(by_iface, WindowOfPair<RejectState>, [&](uint32_t iface, const auto& key_windows) {
      // Most interfaces have no window of reject_min_flows: skipped before their baselines.
      // (When each was a timeline of the run's whole span, 120,000 interfaces of one REJECT
      // each over as many 5-minute windows took 52 s, interfaces x span; a key's baselines now
      // cost its own windows x log span, key_baseline.h.)
      bool any = false;
      for (const auto& [t, v] : key_windows) any |= v->flows >= o.reject_min_flows;
      if (!any) return;
      const std::string& name = s.names.names[iface];
      // Within the interface's life when the run gives it (as ddos_fan_in's hosts, below): an
      // interface started mid-run is not compared with the hours before it existed.
      const auto lived = lives != nullptr ? lives->find(name) : InterfaceLives::const_iterator();
      const bool in_life = lives != nullptr && lived != lives->end();
      std::vector<uint64_t> times, flows;
      for (const auto& [t, v] : key_windows) {
        times.push_back(t);
        flows.push_back(v->flows);
      }
      // Without the spike's other half in a window beside it, nor the run's two busiest other
      // windows (baseline.h, Guarded and Censored).
      ForEachSpikeBaseline(
          SpanWindows(span, o.reject_window, in_life ? &lived->second : nullptr), o.reject_window,
          times, std::move(flows), o.reject_min_flows,
          [&](size_t j, const Skipped& skip, double mean, double sd, size_t windows) {
            const RejectState& v = *key_windows[j].second;
            const double x = static_cast<double>(v.flows);
            const double z = (x - mean) / std::max(sd, 1.0);
            if (z < o.reject_z || x < o.reject_ratio * mean) return;
            // A sketch's estimate (past 2,048 sources) never counts more sources than flows.
            const uint64_t sources = std::min(v.sources.Count(), v.flows);
            Finding f;
            f.type = "reject_spike";
            f.severity = 2;
            f.mitre = {"T1498", "T1499"};
            f.window_start = times[j];
            f.window_end = times[j] + o.reject_window;
            f.first_seen = v.first;
            f.last_seen = v.last;
            f.flows = v.flows;
            f.packets = v.packets;
            f.bytes = v.bytes;
            f.interfaces = {name};
            f.scope = name;  // spikes of several interfaces in one window: an id each
            f.distinct_dsts = v.dsts.Count();
            f.distinct_dst_ports = v.ports.Count();
            f.protocol = v.protocols.Single();
            if (f.distinct_dst_ports == 1 && !v.sample_ports.empty())
              f.dst_port = v.sample_ports[0];
            f.evidence["threshold"] = {{"rejected_flows", o.reject_min_flows},
                                       {"window_seconds", o.reject_window},
                                       {"z", o.reject_z},
                                       {"ratio", o.reject_ratio}};
            f.evidence["rejected_flows"] = v.flows;
            f.evidence["baseline_mean_flows"] = Round3(mean);
            f.evidence["baseline_sd_flows"] = Round3(sd);
            f.evidence["baseline_windows"] = windows - skip.n;
            f.evidence["z"] = Round3(z);
            // Of the mean as the evidence gives it: a mean that rounds to 0 has no multiple (it had
            // been ~300000 beside baseline_mean_flows 0).
            const nlohmann::ordered_json ratio = RatioJson(x, Round3(mean));
            f.evidence["ratio"] = ratio;
            f.evidence["distinct_sources"] = sources;
            f.evidence["sample_ports"] = PortsJson(v.sample_ports);
            f.summary =
                "interface " + name + " rejected " + Plural(v.flows, "flow", "flows") + " from " +
                Plural(sources, "source", "sources") + " within " + DurationText(o.reject_window) +
                // The mean as the evidence rounds it ("10.4", not "10"), and its multiple.
                (windows <= 1 ? ", in its only window with records (no baseline to compare)."
                 : !ratio.is_null()
                     ? ", " + ShortNumber(ratio.get<double>()) + " times the mean of " +
                           ShortNumber(Round3(mean)) + " in its other windows" + LeftOutText(skip) +
                           "."
                     : ", against a mean of 0 in its other windows" + LeftOutText(skip) + ".");
            out.push_back(std::move(f));
          });
    });
  }

  // ddos_fan_in
  {
    // Capped at the flows, as every distinct count of a finding: past 2,048 sources the
    // sketch's estimate is off by up to ~1% either way ("3107 external sources sent 3100
    // flows"), and the threshold is tested on the capped count.
    const auto sources = [](const FaninState& h) {
      return std::min(h.sources.Count(), h.in_flows);
    };
    // A host's silent windows count only within the lives of the interfaces its requests came
    // in on (when the run gives them: the windows table's): an instance an autoscaling group
    // ran from noon to four, counted against the whole day's silence, had a median of 0 and
    // made a finding in every window of its life (an audit's 24-hour run: 48; a host with the
    // same load all day had none). Not the host's own first request: a host behind a load
    // balancer that keeps client addresses may get its first external request in the flood
    // (every generated flood's victim does), and was then compared with the flood alone.
    const auto life = [&](const auto& key_windows) -> std::optional<TimeSpan> {
      if (lives == nullptr) return std::nullopt;
      TimeSpan l{UINT64_MAX, 0};
      for (const auto& [t, v] : key_windows) {
        for (const uint32_t id : v->in_ifaces.ids) {
          const auto it = lives->find(s.names.names[id]);
          if (it == lives->end()) return std::nullopt;  // not in the table: the whole run
          l.begin = std::min(l.begin, it->second.begin);
          l.end = std::max(l.end, it->second.end);
        }
      }
      if (l.begin >= l.end) return std::nullopt;
      return l;
    };
    FanInWindows(
        s.fanin, span_windows(o.fanin_window), o, sources,
        [&](const Addr128&, uint64_t, const FaninState& h) { return sources(h); }, life,
        [&](const Addr128& dst, uint64_t window, const FaninState& h, uint64_t count,
            const FanInBaseline& b, const Skipped& skip) {
          Finding f;
          f.type = "ddos_fan_in";
          f.severity = 3;
          f.mitre = {"T1498", "T1498.001"};
          f.dst = Text(dst);
          if (h.port_lo == h.port_hi) f.dst_port = h.port_lo;
          f.protocol = h.in_protocols.Single();
          f.window_start = window;
          f.window_end = window + o.fanin_window;
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
                                     {"ratio_to_median", o.fanin_ratio},
                                     {"local_span_seconds", o.fanin_local_span},
                                     {"ratio_to_local_median", o.fanin_local_ratio}};
          f.evidence["distinct_sources"] = count;
          SetFanInBaselines(f.evidence, count, b, "sources");
          f.evidence["flows_per_second"] =
              Round3(static_cast<double>(h.in_flows) / static_cast<double>(o.fanin_window));
          f.evidence["packets_per_second"] =
              Round3(static_cast<double>(h.in_packets) / static_cast<double>(o.fanin_window));
          f.summary = Plural(count, "external source", "external sources") + " sent " +
                      Plural(h.in_flows, "flow", "flows") + " to " + *f.dst + " within " +
                      DurationText(o.fanin_window) + ", " +
                      FanInBaselineText(count, b, skip, o, "source") + ".";
          out.push_back(std::move(f));
        });
  }

  // ddos_fan_in by reflection: UDP answers from amplifier ports from sources the host never
  // sent to at such a port in that window or the windows beside it (a record's start may lag
  // its packets by up to a minute, kRecordLagSeconds: a question and its answer can be records
  // of two windows).
  // Counted as |answered U asked| - |asked|: exact while both sets are (up to 2,048 values),
  // else from the sketches' union, a function of the sets alone.
  {
    const auto asked_around = [&](const Addr128& host, uint64_t window) {
      // Enough windows either side to cover the minute (one at the default 300 s, two at 30 s).
      const uint64_t beside = (kRecordLagSeconds + o.fanin_window - 1) / o.fanin_window;
      DistinctCounter around;
      const auto add = [&](uint64_t w) {
        if (const DistinctCounter* c = s.asked.Find(HostKey{host, w})) around.Merge(*c);
      };
      add(window);
      for (uint64_t k = 1; k <= beside; ++k) {
        if (window >= k * o.fanin_window) add(window - k * o.fanin_window);
        if (window <= UINT64_MAX - k * o.fanin_window) add(window + k * o.fanin_window);
      }
      return around;
    };
    // The answering sources, capped at the answers (flows) as the direct kind's sources are.
    const auto answering_of = [](const ReflectState& v) {
      return std::min(v.answered.Count(), v.activity.flows);
    };
    const auto unsolicited = [&](const Addr128& host, uint64_t window, const ReflectState& v) {
      const uint64_t answering = answering_of(v);
      if (answering == 0) return uint64_t{0};
      DistinctCounter all = asked_around(host, window);
      const uint64_t n_asked = all.Count();
      all.Merge(v.answered);
      const uint64_t n = all.Count();
      return std::min(n > n_asked ? n - n_asked : 0, answering);
    };
    FanInWindows(
        s.reflect, span_windows(o.fanin_window), o, answering_of, unsolicited,
        // The whole run: a host seldom gets UDP answers from an amplifier port before it is
        // the target of a reflection flood, and an interface's life is not what is asked.
        [](const auto&) { return std::optional<TimeSpan>(); },
        [&](const Addr128& dst, uint64_t window, const ReflectState& v, uint64_t count,
            const FanInBaseline& b, const Skipped& skip) {
          const uint64_t answering = answering_of(v);
          if (static_cast<double>(count) <
              o.reflection_unsolicited_share * static_cast<double>(answering)) {
            return;
          }
          Finding f;
          f.type = "ddos_fan_in";
          f.scope = "reflection";
          f.severity = 3;
          f.mitre = {"T1498", "T1498.002"};
          f.dst = Text(dst);
          if (v.port_lo == v.port_hi) f.dst_port = v.port_lo;
          f.protocol = kUdp;
          f.window_start = window;
          f.window_end = window + o.fanin_window;
          SetActivity(f, v.activity, s.names);
          f.distinct_dsts = 1;
          f.distinct_dst_ports = v.dst_ports.Count();
          f.evidence["threshold"] = {{"distinct_sources", o.fanin_min_sources},
                                     {"window_seconds", o.fanin_window},
                                     {"ratio_to_median", o.fanin_ratio},
                                     {"local_span_seconds", o.fanin_local_span},
                                     {"ratio_to_local_median", o.fanin_local_ratio},
                                     {"unsolicited_share", o.reflection_unsolicited_share}};
          f.evidence["reflection"] = true;
          f.evidence["unsolicited_sources"] = count;
          f.evidence["answering_sources"] = answering;
          f.evidence["unsolicited_share"] =
              RatioJson(static_cast<double>(count), static_cast<double>(answering));
          f.evidence["asked_hosts"] = asked_around(dst, window).Count();
          SetFanInBaselines(f.evidence, count, b, "unsolicited_sources");
          f.evidence["source_ports"] = std::vector<uint16_t>(v.ports.begin(), v.ports.end());
          f.evidence["flows_per_second"] =
              Round3(static_cast<double>(v.activity.flows) / static_cast<double>(o.fanin_window));
          f.evidence["packets_per_second"] =
              Round3(static_cast<double>(v.activity.packets) / static_cast<double>(o.fanin_window));
          std::string ports;
          for (uint16_t p : v.ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
          if (v.ports.size() == kSamples) ports += " ...";
          // The flows are all the answers': those of the sources it did ask are among them.
          const std::string answers =
              " " + Plural(v.activity.flows, "flow", "flows") + " of UDP answers from port" +
              (v.ports.size() > 1 ? "s " : " ") + ports + " within " + DurationText(o.fanin_window);
          f.summary =
              (count < answering
                   ? Plural(answering, "external source", "external sources") + " sent " + *f.dst +
                         answers + ", " + std::to_string(count) +
                         " of them never asked (it sent them no request at such a port)"
                   : Plural(count, "external source", "external sources") + " sent " + *f.dst +
                         answers +
                         " that it never asked for (it sent none of them a request at such a "
                         "port)") +
              ": a reflection flood, " +
              FanInBaselineText(count, b, skip, o, "unsolicited source") + ".";
          out.push_back(std::move(f));
        });
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
// (detect_test.cc compares them with the ordered_json form's dump), except that invalid UTF-8,
// on which that dump threw, is written as U+FFFD (pipeline/json_text.h).
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
