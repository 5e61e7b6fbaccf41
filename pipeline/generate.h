// Synthetic flow-log text: the background traffic of a realistic VPC (or Transit Gateway), with
// injected attacks and benign look-alikes whose ground truth is known, for kernel benchmarks,
// the demo, detector evaluation and `flowsift gen` (SPEC section 4; docs/gen.md).
//
// The generator models a network once (subnets, ENIs with roles, accounts, a Transit Gateway's
// attachments), plans the injected events, then walks the aggregation intervals in time order
// and, in each, draws connections from a weighted set of scenarios (internet clients to web
// servers, app to database, NAT egress, DNS, health checks, backups, ICMP, rejected probes) and
// interleaves the injected records of that interval. A connection is written as one record per
// direction on every logged interface it crosses, as AWS does. Files, S3 layouts and
// compression: generate_files.h.
#ifndef FLOWSIFT_PIPELINE_GENERATE_H_
#define FLOWSIFT_PIPELINE_GENERATE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/format.h"

namespace flowsift {

// The attacks `gen` can inject; names as SPEC 3.2's finding types.
enum class AttackKind : uint8_t {
  kPortScan,
  kPortSweep,
  kBruteForce,
  kExfiltration,
  kRejectSpike,
  kDdosFanIn,
};
inline constexpr std::string_view kAttackNames[] = {"port_scan",    "port_sweep",   "brute_force",
                                                    "exfiltration", "reject_spike", "ddos_fan_in"};

// Every kind, in kAttackNames' order: what "all" means to ParseAttackList.
std::vector<AttackKind> AllAttacks();

// "port_scan,brute_force", "all" or "none" (or ""). Duplicates collapse; order is kept. On an
// unknown or empty name (a stray comma anywhere, trailing ones too) returns nullopt and sets *error
// to a message that lists the valid names.
std::optional<std::vector<AttackKind>> ParseAttackList(std::string_view list, std::string* error);

struct GenOptions {
  uint64_t seed = 1;
  uint64_t records = 100000;          // data records to emit, injected ones included
  Format format = Format::Default();  // any field list, incl. the "v5" and "tgw" presets
  uint64_t start = 1700000000;        // epoch seconds: the span's start
  double hours = 1.0;                 // records spread over [start, start + hours*3600)
  uint32_t interfaces = 200;          // number of ENIs (or TGW attachments)
  uint32_t interval = 600;            // AWS aggregation interval: 60 or 600 (TGW: always 60)
  double ipv6_share = 0.05;           // share of flows over IPv6
  bool header = true;                 // first line = format.HeaderLine()
  std::vector<AttackKind> attacks;    // kinds to inject (VPC formats only)
  // Benign look-alikes of attacks (a monitoring poller, a backup, a NAT burst, health checks).
  // Left out automatically in TGW mode, below 10 interfaces, or when they would take more than
  // a tenth of `records`.
  bool lookalikes = true;
};

// The injected attacks would be more than half of the records asked for: `min_records` is the
// least that takes them (twice their records), so that callers can say it in their own units
// (gen's --records or --bytes, demo's --bytes).
class TooFewRecords : public std::invalid_argument {
 public:
  TooFewRecords(uint64_t attack_records, uint64_t asked)
      : std::invalid_argument("the injected attacks need " + std::to_string(attack_records) +
                              " records, more than half of the " + std::to_string(asked) +
                              " asked for: ask for at least " + std::to_string(attack_records * 2) +
                              " records"),
        min_records(attack_records * 2) {}
  uint64_t min_records;
};

// Streams realistic flow-log text for `options`, deterministic for a seed: the same options give
// the same bytes on every machine (own PRNG and integer arithmetic only; no std:: distributions
// or libm, whose results differ between standard libraries).
//
// Shape of the output: every interface (ENI or attachment) captures on its own clock, in
// intervals [start + phase + k * interval, ...) with a phase in [0, interval) drawn from the
// seed, cut at the span's ends (AWS's intervals are aligned to no grid: a record may begin
// before an hour or midnight and end after it). Every record lies in one interval of its
// interface, both directions of a connection on an interface in the same one: start <= end,
// end - start < interval, both in [options.start, options.start + hours*3600). The generator
// passes over the span an interval at a time from `start`: records come pass by pass (as AWS
// files hold one period's records), a record at most one interval before its pass
// (next_start_bound). About 2% of records
// are NODATA and 0.5% SKIPDATA. The last background connection may be cut short by `records`;
// injected records never are. A format holding tgw-attachment-id but not interface-id
// (Format::IsTransitGateway) gets Transit Gateway traffic with 60 s intervals; any other gets
// VPC traffic. Fields a record has no value for, and names flowsift does not know, are "-".
// Works with any interfaces >= 1, but the scenarios need about 10 interfaces to all appear
// (below 9 a missing role falls back to a web server, and a connection that would have had one
// ENI at both ends goes to an unlogged host of its subnet instead).
//
// Throws std::invalid_argument when attacks are asked for in TGW mode or with fewer than 10
// interfaces, or when a VPC's interfaces do not fit its subnets (4091 ENI addresses a tier and
// AZ: about 30,000 interfaces fill the web tier's) or a Transit Gateway's do not fit 10.0.0.0/8
// (a /20 VPC an attachment: 4096), and TooFewRecords (one) when their records
// would exceed half of `records`.
class FlowGenerator {
 public:
  explicit FlowGenerator(const GenOptions& options);
  ~FlowGenerator();
  FlowGenerator(FlowGenerator&&) noexcept;
  FlowGenerator& operator=(FlowGenerator&&) noexcept;

  // Appends whole lines to `out` until it holds at least `min_bytes` more bytes or the records
  // run out; returns false once every record has been emitted. The header, when asked for, is
  // the first line of the first call.
  bool Append(std::string& out, size_t min_bytes);
  // The same, stopping also once records_emitted() reaches `until` (files of exact counts).
  bool Append(std::string& out, size_t min_bytes, uint64_t until);
  // Appends the next data record (never the header) and sets its start and end; returns false,
  // appending nothing, once every record has been emitted. Mixes freely with Append().
  bool AppendRecord(std::string& out, uint64_t* start, uint64_t* end);
  // Data records appended so far (the header is not a record).
  uint64_t records_emitted() const;
  // No record still to come starts before this (epoch seconds): what S3 objects by end time
  // may be closed on.
  uint64_t next_start_bound() const;
  // Records of the injected attacks and look-alikes, all emitted by the end.
  uint64_t injected_records() const;

  // One JSON object per injected attack, in injection order (docs/gen.md: truth.jsonl), and
  // per look-alike (lookalikes.jsonl). Each line without its newline.
  const std::vector<std::string>& truth() const;
  const std::vector<std::string>& lookalikes() const;
  // The background's internet scanners (scanners.jsonl): sources that probe closed ports all
  // along, as real internet background radiation does. Not attacks of truth.jsonl, but a scan
  // detector is right to report them: detection evaluation counts such findings as correct
  // without expecting them. One JSON object per address (IPv4 and IPv6 form of each scanner).
  std::vector<std::string> background_scanners() const;

  // The simulated flow log's identity, for S3 object names.
  std::string_view account() const;  // the VPC owner (TGW: the network account)
  std::string_view region() const;
  std::string_view flow_log_id() const;  // "fl-0123456789abcdef0"

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// All of it at once (tests, small benchmarks).
std::string GenerateText(const GenOptions& options);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_GENERATE_H_
