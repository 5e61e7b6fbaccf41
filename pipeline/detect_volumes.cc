// Evaluating the volume detectors' state into findings (pipeline/detect.h, docs/detection.md):
// exfiltration, reject_spike and ddos_fan_in (direct and by reflection), each of which measures
// a key's window against the key's own other windows (baseline.h, key_baseline.h). The attempt
// detectors' findings, and the sorting, ids and JSON of all findings, are detect_findings.cc's.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/baseline.h"
#include "pipeline/detect.h"
#include "pipeline/detect_findings_internal.h"
#include "pipeline/detect_internal.h"
#include "pipeline/human_bytes.h"
#include "pipeline/key_baseline.h"

namespace flowsift {

namespace {

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

void Detector::State::AppendVolumeFindings(const std::vector<TimeSpan>& spans,
                                           const InterfaceLives* lives, const UploadTotals& uploads,
                                           std::vector<Finding>& out) const {
  const State& s = *this;
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

}  // namespace flowsift
