// `flowsift export`: the tables of an OUT directory as SIEM events (SPEC section 5,
// docs/export.md). Rows are read with the streaming readers of pipeline/summary.h, mapped one
// at a time to one JSON object each and handed to a line sink, so a table of any length
// exports in bounded memory.
#ifndef FLOWSIFT_PIPELINE_EXPORT_H_
#define FLOWSIFT_PIPELINE_EXPORT_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/aggregate.h"
#include "pipeline/summary.h"

namespace flowsift {

enum class ExportFormat : uint8_t {
  kOcsf = 0,    // OCSF 1.1.0: windows as Network Activity 4001, findings as Detection Finding 2004
  kEcs = 1,     // Elastic Common Schema as Elastic's aws.vpcflow integration names fields
  kSplunk = 2,  // Splunk HEC envelopes with CIM Network_Traffic / Intrusion_Detection fields
  kAsff = 3,    // AWS Security Finding Format, BatchImportFindings bodies; findings only
};
// "ocsf", "ecs", "splunk", "asff" -> the format; nullopt for anything else.
std::optional<ExportFormat> ParseExportFormat(std::string_view name);

// The OCSF version the events follow: Amazon Security Lake's own VPC flow mapping is 1.1.0.
inline constexpr std::string_view kOcsfVersion = "1.1.0";
// BatchImportFindings accepts at most 100 findings and 6 MB per request.
inline constexpr size_t kAsffMaxFindings = 100;
inline constexpr size_t kAsffMaxRequestBytes = 6'000'000;

// One object of findings.jsonl.zst (SPEC 3.2) as export reads it back. `src` is null for
// findings about an interface rather than a host (reject_spike).
struct FindingRow {
  std::string id, type;
  int severity = 0;  // 1 low .. 4 critical
  std::vector<std::string> mitre;
  std::optional<std::string> src, dst;
  std::optional<uint32_t> dst_port, protocol;
  std::vector<std::string> interfaces;
  uint64_t window_start = 0, window_end = 0, first_seen = 0, last_seen = 0;
  uint64_t flows = 0, packets = 0, bytes = 0, distinct_dst_ports = 0, distinct_dsts = 0;
  nlohmann::ordered_json evidence = nlohmann::ordered_json::object();
  std::string summary;
};

// Types `object` as a FindingRow. False with *error naming the first field that is missing or of
// the wrong type (severity outside 1..4, a port over 65535, a protocol over 255 included).
// Keys SPEC 3.2 does not name are ignored: a later minor format version may add some.
[[nodiscard]] bool ParseFinding(const nlohmann::ordered_json& object, FindingRow* finding,
                                std::string* error);

// Maps a windows.csv header to the column of each WindowRow field. Columns may come in any
// order and unknown ones are skipped; false with *error naming a missing column.
class WindowColumns {
 public:
  [[nodiscard]] bool Init(const std::vector<std::string>& header, std::string* error);
  // Fills *row from one record; false with *error naming the column whose value is not an
  // unsigned integer.
  [[nodiscard]] bool Parse(const std::vector<std::string>& fields, WindowRow* row,
                           std::string* error) const;

 private:
  std::vector<size_t> index_;  // per WindowRow field, in SPEC 3.1 order
};

// What every event of one export shares.
struct ExportContext {
  std::string product_version;  // flowsift version that wrote OUT (manifest `version`)
  std::string region;           // AWS region, empty when unknown (ASFF then uses us-east-1)
  std::string account;          // --account: for findings whose own account is not known
};

// A MITRE ATT&CK technique id with what flowsift knows of it: the names of the technique and
// sub-technique and the tactic. Unknown ids keep their id and have empty names.
struct AttackTechnique {
  std::string technique_id, technique_name;  // "T1021", "Remote Services"
  std::string sub_id, sub_name;              // "T1021.004", "SSH"; empty without a sub-technique
  std::string_view tactic_id, tactic_name;   // "TA0008", "Lateral Movement"
};
AttackTechnique LookUpTechnique(std::string_view id);

// The last second export reads as a time (9999-12-31T23:59:59Z): `run` refuses records past the
// year 9999 (pipeline/format.h, kMaxTime), and RFC 3339's years have four digits.
inline constexpr uint64_t kLastExportSecond = 253402300799;
// The longest window export reads (a window's end less its start): a detection window is set by
// --config without a maximum; a year is more than any, and keeps durations in nanoseconds
// (ECS event.duration) far from 2^64.
inline constexpr uint64_t kLongestExportWindow = 366 * 86400;

// Epoch seconds -> "2023-11-14T22:13:20Z" (RFC 3339, UTC). A time past kLastExportSecond (only
// the end of the year 9999's last window reaches it) is written as kLastExportSecond: the year
// 10000 has no RFC 3339 spelling.
std::string FormatIsoTime(uint64_t epoch_seconds);
// "Port scan", "Brute force", ...; the type itself for a type SPEC 3.2 does not name.
std::string FindingTypeTitle(std::string_view type);
// `-`, a missing value (SPEC 2.1): the interface of records without an interface-id, the
// account of records without an account-id. Not an interface or an account: no SIEM field
// names it (as Elastic's integration omits "-" values).
inline bool IsMissing(std::string_view value) { return value == "-"; }
// The first of a finding's interfaces that is not IsMissing, or nullptr.
const std::string* FirstNamedInterface(const FindingRow& f);
// "Port scan from 203.0.113.12 to 10.0.1.5 port 22": type title plus the peers that exist;
// "Reject spike on eni-0a1b2c3d" without a source.
std::string FindingTitle(const FindingRow& f);
// The AWS partition of a region: "aws-cn" for cn-*, "aws-us-gov" for us-gov-*, else "aws".
std::string_view PartitionOf(std::string_view region);
// The region named by the S3 keys of the manifest's inputs (`.../vpcflowlogs/<region>/...`,
// `aws-region=<region>/`, or AWS's object name `<account>_vpcflowlogs_<region>_...`) when they
// all agree; empty otherwise.
std::string RegionFromManifest(const nlohmann::ordered_json& manifest);

// Writes windows as one format's events. A window's event is a fixed shape around its numbers,
// so it is printed straight into the line (the constant parts rendered once) rather than built
// as a JSON object: a million windows take seconds, not minutes. Not for ASFF (findings only).
class WindowEncoder {
 public:
  WindowEncoder(ExportFormat format, const ExportContext& ctx);
  // Appends the event of `w`: one line of compact JSON with its '\n'.
  void Append(const WindowRow& w, std::string& out) const;

 private:
  void AppendOcsf(const WindowRow& w, std::string& out) const;
  void AppendEcs(const WindowRow& w, std::string& out) const;
  void AppendSplunk(const WindowRow& w, std::string& out) const;
  ExportFormat format_;
  std::string region_;    // `,"region":"..."` or empty
  std::string metadata_;  // OCSF `"metadata":{...}`
};

// The events of one finding. `account` is its AWS account (empty when unknown).
nlohmann::ordered_json OcsfFinding(const FindingRow& f, std::string_view account,
                                   const ExportContext& ctx);
nlohmann::ordered_json EcsFinding(const FindingRow& f, std::string_view account,
                                  const ExportContext& ctx);
nlohmann::ordered_json SplunkFinding(const FindingRow& f, std::string_view account,
                                     const ExportContext& ctx);
// `account` must be 12 digits (AwsAccountId); the region is ctx.region or us-east-1.
// `account_of(interface)` gives an interface's own account when windows.csv.zst knows it
// (empty otherwise): a finding over interfaces of two accounts names each ENI's ARN in its own.
nlohmann::ordered_json AsffFinding(
    const FindingRow& f, std::string_view account, const ExportContext& ctx,
    const std::function<std::string(const std::string&)>& account_of = {});

// Collects ASFF findings into BatchImportFindings request bodies `{"Findings":[...]}`, one per
// line, each holding at most kAsffMaxFindings findings and kAsffMaxRequestBytes bytes.
class AsffBatcher {
 public:
  // `emit` receives each complete body with its '\n'; it returns false to stop (write error).
  explicit AsffBatcher(std::function<bool(std::string_view)> emit,
                       size_t max_findings = kAsffMaxFindings,
                       size_t max_bytes = kAsffMaxRequestBytes)
      : emit_(std::move(emit)), max_findings_(max_findings), max_bytes_(max_bytes) {}
  // Adds one finding's compact JSON; false when emitting a full batch failed.
  [[nodiscard]] bool Add(std::string_view finding_json);
  // Emits the last, partial batch; false when that failed.
  [[nodiscard]] bool Flush();

 private:
  std::function<bool(std::string_view)> emit_;
  size_t max_findings_, max_bytes_;
  std::string body_;
  size_t count_ = 0;
};

// How an export ended; tools/export.cc maps it to the exit codes of SPEC 2.2.
enum class ExportStatus : uint8_t {
  kOk = 0,
  kCorrupt = 1,  // a table in OUT is missing or corrupt: the readable rows were exported
  kUsage = 2,    // ASFF: a finding without a 12-digit account and no --account
  kOutput = 3,   // the sink refused a line (the output could not be written)
};

struct ExportResult {
  ExportStatus status = ExportStatus::kOk;
  std::vector<std::string> errors;  // each names the file (and line) or the finding
  uint64_t windows = 0, findings = 0;
  uint64_t lines = 0;  // lines handed to the sink
};

// Exports OUT: every window in windows.csv.zst order (not for ASFF), then every finding in
// findings.jsonl.zst order. `write` receives one line (with '\n') at a time and returns false
// when it cannot write, which ends the export. A row that cannot be read is reported and
// skipped (the first 10 of a table named with file and line, the rest counted), and the rows
// after it are still exported and still give findings their accounts; a table that cannot be
// opened or decompressed further ends there, and the other one is still exported. ASFF checks
// that every finding has an account before it hands over a batch (kUsage: nothing written). Memory:
// one row at a time, plus the account of each interface that a finding names, plus one ASFF batch.
ExportResult ExportSummary(const Summary& summary, ExportFormat format, const ExportContext& ctx,
                           const std::function<bool(std::string_view)>& write);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_EXPORT_H_
