// Detection of scans, sweeps, brute force, exfiltration, reject spikes and fan-in from flow
// records (SPEC 3.2; thresholds and their sources: detect_config.cc and the README table).
//
// Flow logs have no TCP state machine, so every detector works on what one record shows:
//   * direction: a record is a reply when it carries SYN-ACK (tcp-flags & 18 == 18), else a
//     request when it carries a bare SYN or was rejected, else a reply when its source port is
//     the service: the one in DetectOptions::service_ports (or below 1024) when the other is
//     not, else the lower one; replies are never counted as contacts;
//   * a failed attempt: a REJECT, or a TCP request that shows no payload: at most 3 packets
//     of at most 80 bytes each and, when the format has tcp-flags, exactly a SYN (2). A port
//     that answered with SYN-ACK in the reverse direction within the same window is not a
//     failure (port scans, whose two directions meet in one partition).
// Addresses are the effective ones (pkt-srcaddr / pkt-dstaddr when present).
//
// One Detector per aggregation partition is fed serially with the rows whose source that
// partition owns (no locks); the run merges them at the end. Every piece of state is a sum, a
// min, a max, a set (exact, then HyperLogLog) or "the k smallest" of a total order, so Merge
// gives the same findings for any split of the records and any order of adds: findings do not
// depend on --threads, and partial results from several machines merge exactly. State is
// bounded per key: a million scanning sources cost a few hundred bytes each.
#ifndef FLOWSIFT_PIPELINE_DETECT_H_
#define FLOWSIFT_PIPELINE_DETECT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/aggregate.h"
#include "pipeline/networks.h"
#include "pipeline/parse_chunk.h"
#include "pipeline/serial.h"

namespace flowsift {

// Registered service ports above 1024 (databases, proxies, web and admin consoles, message
// brokers, Kubernetes' API, kubelet and NodePort range 30000-32767 ...): the default of
// DetectOptions::service_ports, ascending.
std::vector<uint16_t> DefaultServicePorts();

// Every threshold and window of every detector. Defaults, their sources and the config-file
// keys are in one table in detect_config.cc; `flowsift run --print-config` prints it.
struct DetectOptions {
  bool enabled = true;
  NetworkSet internal = NetworkSet::DefaultInternal();

  // A probe: an accepted TCP request of this few packets, this small each, is a failed attempt
  // when it has no tcp-flags or only SYN (scans, sweeps, TRW, brute force; REJECT always is).
  uint64_t probe_max_packets = 3;            // a SYN and its retransmissions
  uint64_t probe_max_bytes_per_packet = 80;  // a SYN with every option (IPv6 adds 20)

  // Service ports for a record's direction when tcp-flags do not tell it: of a record between
  // a port in this set (or below 1024, always) and one not in it, the one in it is the service
  // (the server's side), whatever their order; between two of them or two others, the lower
  // port is. A server on a port above its clients' (8443, 8080, a Kubernetes NodePort, to
  // clients behind a carrier NAT that uses ports from 1024) had its answers taken for uploads.
  std::vector<uint16_t> service_ports = DefaultServicePorts();

  // port_scan: one source, failed attempts at many ports of one destination.
  uint64_t scan_window = 300;
  uint64_t scan_min_ports = 15;
  // port_sweep: one source, failed attempts at one port of many destinations.
  uint64_t sweep_window = 300;
  uint64_t sweep_min_dsts = 25;
  // scan_trw: Wald's sequential test over each external source's first contacts.
  double trw_theta0 = 0.8, trw_theta1 = 0.2, trw_alpha = 0.01, trw_beta = 0.99;
  uint64_t trw_window = 300;  // the resolution of "first contact" times
  // brute_force: connections (distinct source ports) to an admin port of one destination.
  uint64_t brute_window = 1800;
  uint64_t brute_min_attempts = 30;
  std::vector<uint16_t> brute_ports = {22, 23, 3389, 5900, 5985, 5986};
  uint64_t brute_max_packets = 100;  // a longer connection is a session, not an attempt
  uint64_t brute_max_bytes = 50000;
  // exfiltration: bytes from an internal source to external destinations per window.
  uint64_t exfil_window = 3600;
  uint64_t exfil_min_bytes = uint64_t{1} << 30;
  uint64_t exfil_baseline_min_bytes = uint64_t{100} << 20;
  double exfil_baseline_z = 4.0;
  double exfil_baseline_ratio = 5.0;
  uint64_t exfil_baseline_windows = 6;
  // reject_spike: rejected flows on one interface per window against its other windows.
  uint64_t reject_window = 300;
  uint64_t reject_min_flows = 100;
  double reject_z = 4.0;
  double reject_ratio = 5.0;
  // ddos_fan_in: distinct external sources to one destination per window.
  uint64_t fanin_window = 300;
  uint64_t fanin_min_sources = 1000;
  double fanin_ratio = 4.0;
  // and against the median of its windows within local_span either side (0: none).
  uint64_t fanin_local_span = 3600;
  double fanin_local_ratio = 2.0;
  // ddos_fan_in by reflection: UDP answers from these (amplifier) source ports to a host from
  // external sources it never sent to at such a port, at least this share of the answering
  // sources; min_sources, ratio and the window as above.
  std::vector<uint16_t> reflection_ports = {17,  19,  53,   69,   111,  123,  137,  161,
                                            389, 520, 1900, 3283, 3702, 5353, 5683, 11211};
  double reflection_unsolicited_share = 0.5;

  // Allowlists (pipeline/allowlist.h): by config key ("allow.sources", "port_scan.allow_sources"
  // ... AllowKeys()), the networks whose findings Findings() counts and does not return. A key
  // is here only with a network in it: an empty map is no allowlist.
  std::map<std::string, NetworkSet, std::less<>> allow;
};

// Parses a config file's text ("key = value" lines, '#' comments; keys as --print-config
// prints them) over `options`. False with *error naming the line on an unknown key or a bad
// value.
[[nodiscard]] bool ParseDetectConfig(std::string_view text, DetectOptions* options,
                                     std::string* error);
// The defaults as a commented config file.
std::string DefaultDetectConfig();
// `options` as a config file that ParseDetectConfig reads back to the same options. With an
// `origin` (e.g. "--config tuned.conf"), every value that is not the default is marked as
// coming from it, with the default beside it; `enabled_origin` ("--no-detect"), when given, is
// where detection.enabled's value comes from instead.
std::string DetectConfigText(const DetectOptions& options, std::string_view origin = {},
                             std::string_view enabled_origin = {});
// Markdown table of every key, default and source (for the README).
std::string DetectConfigTable();
// The options as a JSON object (for the manifest).
nlohmann::ordered_json DetectOptionsJson(const DetectOptions& options);

// A stretch of time [begin, end), in epoch seconds.
struct TimeSpan {
  uint64_t begin = 0, end = 0;
};
// Each interface's life in the run: from the hour of its first window in windows.csv.zst to the
// end of the hour of its last (LivesOf in run.h), by name.
using InterfaceLives = std::map<std::string, TimeSpan, std::less<>>;

// One line of findings.jsonl.zst, SPEC 3.2.
struct Finding {
  std::string id;  // 16 hex digits: a hash of type, src, dst, dst_port, window_start (FindingId)
  std::string type;
  int severity = 1;  // 1 low .. 4 critical
  std::vector<std::string> mitre;
  std::optional<std::string> src, dst;
  std::optional<uint32_t> dst_port, protocol;
  std::vector<std::string> interfaces;  // bytewise sorted, at most kMaxInterfaces
  uint64_t window_start = 0, window_end = 0, first_seen = 0, last_seen = 0;
  uint64_t flows = 0, packets = 0, bytes = 0, distinct_dst_ports = 0, distinct_dsts = 0;
  nlohmann::ordered_json evidence = nlohmann::ordered_json::object();
  std::string summary;
  // Not written: what tells this finding's key apart beside the fields FindingId hashes (a
  // reject spike's interface; "reflection" for a reflection flood, beside a direct one on the
  // same destination and window). Hashed into `id` and the sort's last key.
  std::string scope;
};
inline constexpr size_t kMaxInterfaces = 8;
// Findings by type (e.g. those an allowlist left out).
using FindingCounts = std::map<std::string, uint64_t, std::less<>>;

// The finding as one JSON object, fields in SPEC order (no newline).
std::string FindingJson(const Finding& f);
// SPEC 3.2's id: 16 hex digits of a 64-bit hash of the key fields. `scope` is hashed too when
// not empty: the interface of a finding with neither src nor dst (reject_spike), so that spikes
// of two interfaces in one window (one security-group change hits several) get two ids; and
// "reflection" for a reflection flood, so that it and a direct flood of the same destination
// and window get two. Every other finding passes none and keeps SPEC's id.
std::string FindingId(std::string_view type, const std::optional<std::string>& src,
                      const std::optional<std::string>& dst, std::optional<uint32_t> dst_port,
                      uint64_t window_start, std::string_view scope = {});

class Detector {
 public:
  explicit Detector(const DetectOptions& options);
  ~Detector();
  Detector(Detector&&) noexcept;
  Detector& operator=(Detector&&) noexcept;

  // The fields AddRows and Route read.
  static FieldSet NeededFields();

  // Adds the rows rows[i] (ascending) of `batch` whose tables[i] has kTalkerTable: a run's
  // partition detects the rows whose source it owns (Aggregator::Route), so a source's state is
  // never split. A null `tables` adds every row listed; a null `rows` means rows 0..n-1.
  void AddRows(const ParsedBatch& batch, const uint8_t* bytes, const uint32_t* rows,
               const uint8_t* tables, size_t n);
  // Every row of the batch.
  void Add(const ParsedBatch& batch, const uint8_t* bytes) {
    AddRows(batch, bytes, nullptr, nullptr, batch.rows);
  }

  // Adds everything `other` holds; the findings do not depend on how records were split.
  void Merge(const Detector& other);
  // The same, consuming `other` (left empty, usable only to be destroyed or assigned): its
  // tables are freed one by one as they are merged, which lowers the peak memory.
  void Merge(Detector&& other);

  // Takes over `other`'s state in O(1) (`other` is left usable only to be destroyed or
  // assigned, as after the consuming Merge), when no key of any table is in both: their
  // findings are then made apart, with no merge.
  void Absorb(Detector&& other);
  // Combines partitions a run fed by Aggregator::Route (each row in the partition of its
  // source) into parts[0]. The tables a row updates for another host than its source (a
  // probe's answers, keyed by the prober; relays and fan-in, by the destination) and an
  // interface's reject counts then hold keys in several partitions: those entries move to the
  // partition that owns their host (AddrOwner; rejects to parts[0]) and merge there, so every
  // key has one owner, and parts[0] absorbs the others. The findings then equal one detector's
  // fed every row. The rest of `parts` is left as after Absorb.
  static void CombinePartitions(std::vector<Detector>& parts);
  // Folds absorbed detectors into one state, freeing each as it goes: before Save, which
  // otherwise copies them into one. Merge, AddRows and Load do it themselves.
  void Consolidate();

  // The complete state for a partial output (docs/partial.md, section "detection").
  void Save(ByteWriter& out) const;
  // Adds a state written by Save, as Merge would add that detector; false with *error when
  // the bytes are malformed (then nothing was added).
  [[nodiscard]] bool Load(ByteReader& in, std::string* error);

  // The findings, sorted by (window_start, type, src, dst, dst_port). The baselines of reject
  // spikes, fan-in and exfiltration count a key's silent windows as zero over the times the
  // rows had records in: buckets of the gcd of those three windows (300 s by default), kept as
  // the rows are added and merged with the state. A gap in them is no data, not a quiet window:
  // one record with a start time decades off (a damaged line) does not fill every baseline
  // with a million zeros, and the part of a window with no record in it is not a quiet window
  // either, whatever the run's --window.
  //
  // With `lives` (the windows table's interfaces), a direct ddos_fan_in's baseline counts a
  // host's silent windows only within the lives of its interfaces: an instance an autoscaling
  // group ran from noon to four is compared with those hours, not with the day's silence.
  //
  // Findings the options' allowlists allow (DetectOptions::allow) are left out, after every
  // other decision (so the rest are the findings without the allowlists, ids and all), and
  // counted by type in `*allowed` when it is not null.
  std::vector<Finding> Findings(const InterfaceLives* lives = nullptr,
                                FindingCounts* allowed = nullptr) const;
  // The same over the given `spans` (ascending, disjoint) instead: for tests.
  std::vector<Finding> Findings(const std::vector<TimeSpan>& spans,
                                const InterfaceLives* lives = nullptr,
                                FindingCounts* allowed = nullptr) const;
  // The same over the one span [span_begin, span_end).
  std::vector<Finding> Findings(uint64_t span_begin, uint64_t span_end) const {
    return Findings(std::vector<TimeSpan>{{span_begin, span_end}});
  }

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_DETECT_H_
