// `flowsift export`: typing the rows of OUT, the shared vocabulary of the four formats (ATT&CK,
// titles, times, regions), ASFF batching and the streaming driver. The per-format mappings are
// in export_formats.cc.
#include "pipeline/export.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <map>
#include <regex>
#include <unordered_map>

namespace flowsift {
namespace {

using nlohmann::ordered_json;

struct Tactic {
  std::string_view id, name;
};
constexpr Tactic kReconnaissance{"TA0043", "Reconnaissance"};
constexpr Tactic kDiscovery{"TA0007", "Discovery"};
constexpr Tactic kCredentialAccess{"TA0006", "Credential Access"};
constexpr Tactic kLateralMovement{"TA0008", "Lateral Movement"};
constexpr Tactic kExfiltration{"TA0010", "Exfiltration"};
constexpr Tactic kImpact{"TA0040", "Impact"};

struct Technique {
  std::string_view id, name;
  Tactic tactic;
};
// The techniques flowsift's detectors name (SPEC 3.2) with their sub-techniques, from MITRE
// ATT&CK Enterprise. A technique that belongs to several tactics is listed under the one its
// network evidence shows (T1021 Remote Services: Lateral Movement).
constexpr Technique kTechniques[] = {
    {"T1046", "Network Service Discovery", kDiscovery},
    {"T1595", "Active Scanning", kReconnaissance},
    {"T1018", "Remote System Discovery", kDiscovery},
    {"T1110", "Brute Force", kCredentialAccess},
    {"T1021", "Remote Services", kLateralMovement},
    {"T1048", "Exfiltration Over Alternative Protocol", kExfiltration},
    {"T1041", "Exfiltration Over C2 Channel", kExfiltration},
    {"T1030", "Data Transfer Size Limits", kExfiltration},
    {"T1498", "Network Denial of Service", kImpact},
    {"T1499", "Endpoint Denial of Service", kImpact},
};
struct SubTechnique {
  std::string_view id, name;
};
constexpr SubTechnique kSubTechniques[] = {
    {"T1595.001", "Scanning IP Blocks"},
    {"T1595.002", "Vulnerability Scanning"},
    {"T1595.003", "Wordlist Scanning"},
    {"T1110.001", "Password Guessing"},
    {"T1110.002", "Password Cracking"},
    {"T1110.003", "Password Spraying"},
    {"T1110.004", "Credential Stuffing"},
    {"T1021.001", "Remote Desktop Protocol"},
    {"T1021.004", "SSH"},
    {"T1048.001", "Exfiltration Over Symmetric Encrypted Non-C2 Protocol"},
    {"T1048.002", "Exfiltration Over Asymmetric Encrypted Non-C2 Protocol"},
    {"T1048.003", "Exfiltration Over Unencrypted Non-C2 Protocol"},
    {"T1498.001", "Direct Network Flood"},
    {"T1498.002", "Reflection Amplification"},
    {"T1499.001", "OS Exhaustion Flood"},
    {"T1499.002", "Service Exhaustion Flood"},
    {"T1499.003", "Application Exhaustion Flood"},
    {"T1499.004", "Application or System Exploitation"},
};

struct TypeTitle {
  std::string_view type, title;
};
constexpr TypeTitle kTypeTitles[] = {
    {"port_scan", "Port scan"},       {"port_sweep", "Port sweep"},
    {"scan_trw", "Scanner"},          {"brute_force", "Brute force"},
    {"exfiltration", "Exfiltration"}, {"reject_spike", "Reject spike"},
    {"ddos_fan_in", "DDoS fan-in"},
};

bool GetUnsigned(const ordered_json& o, const char* key, uint64_t* out, std::string* error) {
  const auto it = o.find(key);
  if (it == o.end() || !it->is_number_unsigned()) {
    *error = std::string("`") + key + "` must be an unsigned integer";
    return false;
  }
  *out = it->get<uint64_t>();
  return true;
}

// A finding's or window's times: at most kLastExportSecond, and a window's end at most
// kLongestExportWindow after its start (neither is a time `run` writes otherwise: a damaged or
// foreign OUT). Past them OCSF's milliseconds and ECS's nanoseconds wrapped round 2^64, and
// ECS's and ASFF's years took 12 digits.
bool CheckTimes(uint64_t start, uint64_t end,
                std::initializer_list<std::pair<const char*, uint64_t>> times, std::string* error) {
  for (const auto& [key, t] : times) {
    if (t > kLastExportSecond) {
      *error = std::string("`") + key + "` " + std::to_string(t) +
               " is past the year 9999 (at most " + std::to_string(kLastExportSecond) + ")";
      return false;
    }
  }
  if (end < start || end - start > kLongestExportWindow) {
    *error = "window_end " + std::to_string(end) + " is not within a year after window_start " +
             std::to_string(start);
    return false;
  }
  return true;
}

bool GetString(const ordered_json& o, const char* key, std::string* out, std::string* error) {
  const auto it = o.find(key);
  if (it == o.end() || !it->is_string()) {
    *error = std::string("`") + key + "` must be a string";
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

bool GetStrings(const ordered_json& o, const char* key, std::vector<std::string>* out,
                std::string* error) {
  const auto it = o.find(key);
  out->clear();
  if (it != o.end() && it->is_array()) {
    for (const ordered_json& v : *it) {
      if (!v.is_string()) break;
      out->push_back(v.get<std::string>());
    }
    if (out->size() == it->size()) return true;
  }
  *error = std::string("`") + key + "` must be a list of strings";
  return false;
}

// An optional string: absent and null are both "none".
bool GetOptionalString(const ordered_json& o, const char* key, std::optional<std::string>* out,
                       std::string* error) {
  const auto it = o.find(key);
  out->reset();
  if (it == o.end() || it->is_null()) return true;
  if (!it->is_string()) {
    *error = std::string("`") + key + "` must be a string or null";
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

// An optional unsigned integer of at most `max`: absent and null are both "none".
bool GetOptional(const ordered_json& o, const char* key, uint32_t max, std::optional<uint32_t>* out,
                 std::string* error) {
  const auto it = o.find(key);
  out->reset();
  if (it == o.end() || it->is_null()) return true;
  if (!it->is_number_unsigned() || it->get<uint64_t>() > max) {
    *error = std::string("`") + key + "` must be null or an integer 0.." + std::to_string(max);
    return false;
  }
  *out = static_cast<uint32_t>(it->get<uint64_t>());
  return true;
}

}  // namespace

std::optional<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "ocsf") return ExportFormat::kOcsf;
  if (name == "ecs") return ExportFormat::kEcs;
  if (name == "splunk") return ExportFormat::kSplunk;
  if (name == "asff") return ExportFormat::kAsff;
  return std::nullopt;
}

bool ParseFinding(const ordered_json& o, FindingRow* f, std::string* error) {
  uint64_t severity = 0;
  if (!GetString(o, "id", &f->id, error) || !GetString(o, "type", &f->type, error)) return false;
  // What run writes (docs/outputs.md): an empty id had made an OCSF finding_info.uid of "" and
  // an empty type an ASFF Title of nothing, and an id past 503 characters an ASFF Id past its
  // 512; such a row is damaged, not exported.
  if (f->id.size() != 16 || !std::all_of(f->id.begin(), f->id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    *error = "`id` must be 16 hex digits, not '" + f->id.substr(0, 40) + "'";
    return false;
  }
  if (f->type.empty() || !std::all_of(f->type.begin(), f->type.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    *error = "`type` must be a finding type (port_scan, ...), not '" + f->type.substr(0, 40) + "'";
    return false;
  }
  if (!GetUnsigned(o, "severity", &severity, error)) return false;
  if (severity < 1 || severity > 4) {
    *error = "`severity` must be 1..4, not " + std::to_string(severity);
    return false;
  }
  f->severity = static_cast<int>(severity);
  if (!GetStrings(o, "mitre", &f->mitre, error) || !GetOptionalString(o, "src", &f->src, error) ||
      !GetOptionalString(o, "dst", &f->dst, error) ||
      !GetOptional(o, "dst_port", 65535, &f->dst_port, error) ||
      !GetOptional(o, "protocol", 255, &f->protocol, error) ||
      !GetStrings(o, "interfaces", &f->interfaces, error) ||
      !GetUnsigned(o, "window_start", &f->window_start, error) ||
      !GetUnsigned(o, "window_end", &f->window_end, error) ||
      !GetUnsigned(o, "first_seen", &f->first_seen, error) ||
      !GetUnsigned(o, "last_seen", &f->last_seen, error) ||
      !GetUnsigned(o, "flows", &f->flows, error) ||
      !GetUnsigned(o, "packets", &f->packets, error) ||
      !GetUnsigned(o, "bytes", &f->bytes, error) ||
      !GetUnsigned(o, "distinct_dst_ports", &f->distinct_dst_ports, error) ||
      !GetUnsigned(o, "distinct_dsts", &f->distinct_dsts, error) ||
      !GetString(o, "summary", &f->summary, error) ||
      !CheckTimes(f->window_start, f->window_end,
                  {{"window_start", f->window_start},
                   {"first_seen", f->first_seen},
                   {"last_seen", f->last_seen}},
                  error)) {
    return false;
  }
  const auto evidence = o.find("evidence");
  if (evidence == o.end() || !evidence->is_object()) {
    *error = "`evidence` must be an object";
    return false;
  }
  f->evidence = *evidence;
  return true;
}

bool WindowColumns::Init(const std::vector<std::string>& header, std::string* error) {
  index_.clear();
  for (const ColumnSpec& c : WindowsColumns()) {
    const auto it = std::find(header.begin(), header.end(), c.name);
    if (it == header.end()) {
      *error = "no column `" + std::string(c.name) + "` in the header";
      return false;
    }
    index_.push_back(static_cast<size_t>(it - header.begin()));
  }
  return true;
}

bool WindowColumns::Parse(const std::vector<std::string>& fields, WindowRow* row,
                          std::string* error) const {
  row->interface_id = fields[index_[0]];
  row->account_id = fields[index_[1]];
  uint64_t* const numbers[] = {&row->window_start,
                               &row->window_end,
                               &row->records,
                               &row->nodata,
                               &row->skipdata,
                               &row->accepted,
                               &row->rejected,
                               &row->packets,
                               &row->bytes,
                               &row->rejected_bytes,
                               &row->bytes_out_external,
                               &row->bytes_in_external,
                               &row->distinct_srcaddr,
                               &row->distinct_dstaddr,
                               &row->distinct_dstport};
  for (size_t i = 0; i < std::size(numbers); ++i) {
    const std::string& s = fields[index_[i + 2]];
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *numbers[i]);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
      *error = "column `" + std::string(WindowsColumns()[i + 2].name) + "`: '" + s.substr(0, 40) +
               "' is not an unsigned integer";
      return false;
    }
  }
  return CheckTimes(row->window_start, row->window_end, {{"window_start", row->window_start}},
                    error);
}

AttackTechnique LookUpTechnique(std::string_view id) {
  AttackTechnique t;
  const size_t dot = id.find('.');
  t.technique_id = std::string(id.substr(0, dot));
  if (dot != std::string_view::npos) {
    t.sub_id = std::string(id);
    for (const SubTechnique& s : kSubTechniques) {
      if (s.id == id) t.sub_name = std::string(s.name);
    }
  }
  for (const Technique& k : kTechniques) {
    if (k.id != t.technique_id) continue;
    t.technique_name = std::string(k.name);
    t.tactic_id = k.tactic.id;
    t.tactic_name = k.tactic.name;
  }
  return t;
}

std::string FormatIsoTime(uint64_t s) {
  s = std::min(s, kLastExportSecond);
  // Days to civil date: Howard Hinnant's days_from_civil inverse, valid for every uint64 input
  // that fits a 64-bit day count (no gmtime range limits, no failure path).
  const int64_t z = static_cast<int64_t>(s / 86400) + 719468;
  const uint64_t secs = s % 86400;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02llu:%02llu:%02lluZ",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<unsigned long long>(secs / 3600),
                static_cast<unsigned long long>(secs / 60 % 60),
                static_cast<unsigned long long>(secs % 60));
  return buf;
}

std::string FindingTypeTitle(std::string_view type) {
  for (const TypeTitle& t : kTypeTitles) {
    if (t.type == type) return std::string(t.title);
  }
  return std::string(type);
}

const std::string* FirstNamedInterface(const FindingRow& f) {
  for (const std::string& name : f.interfaces) {
    if (!IsMissing(name)) return &name;
  }
  return nullptr;
}

std::string FindingTitle(const FindingRow& f) {
  std::string t = FindingTypeTitle(f.type);
  if (f.src) {
    t += " from " + *f.src;
  } else if (const std::string* name = FirstNamedInterface(f)) {
    t += " on " + *name;
  }
  if (f.dst) t += " to " + *f.dst;
  if (f.dst_port) t += (f.dst ? " port " : " to port ") + std::to_string(*f.dst_port);
  return t;
}

std::string_view PartitionOf(std::string_view region) {
  if (region.starts_with("cn-")) return "aws-cn";
  if (region.starts_with("us-gov-")) return "aws-us-gov";
  // The isolated partitions: us-iso-east-1 is aws-iso, us-isob-east-1 aws-iso-b, and so on
  // (eu-isoe-west-1 aws-iso-e, us-isof-south-1 aws-iso-f).
  if (const size_t iso = region.find("-iso"); iso != std::string_view::npos) {
    const size_t letter = iso + 4;
    if (letter < region.size() && region[letter] == '-') return "aws-iso";
    if (letter + 1 < region.size() && region[letter + 1] == '-') {
      switch (region[letter]) {
        case 'b':
          return "aws-iso-b";
        case 'e':
          return "aws-iso-e";
        case 'f':
          return "aws-iso-f";
        default:
          break;
      }
    }
  }
  return "aws";
}

std::string RegionFromManifest(const ordered_json& manifest) {
  // AWS region names: two letters, optional -gov/-iso*, a direction word, a number.
  static const std::regex kRegion("[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+");
  // The key's prefix, or AWS's object name (`<account>_vpcflowlogs_<region>_<flow-log-id>_...`),
  // which names it too: a prefix synced to a directory of another name (`aws s3 sync
  // s3://b/AWSLogs/1/vpcflowlogs/eu-west-1/ logs`), or a run given `vpcflowlogs/...` relative,
  // kept only the file names, and the events had no region.
  static const std::regex kKey(
      "(?:(?:^|/)vpcflowlogs/|aws-region=)([a-z0-9-]+)/"  // the prefix: region in [1]
      "|(?:^|/)[0-9]{12}_vpcflowlogs_([a-z0-9-]+)_");     // the object's name: in [2]
  std::string region;
  const auto inputs = manifest.find("inputs");
  if (inputs == manifest.end() || !inputs->is_array()) return {};
  for (const ordered_json& in : *inputs) {
    const auto path = in.find("path");
    if (path == in.end() || !path->is_string()) continue;
    std::smatch m;
    const std::string& p = path->get_ref<const std::string&>();
    if (!std::regex_search(p, m, kKey)) continue;
    const std::string found = m[1].matched ? m[1].str() : m[2].str();
    if (!std::regex_match(found, kRegion)) continue;
    if (!region.empty() && region != found) return {};  // several regions: none is the one
    region = found;
  }
  return region;
}

bool AsffBatcher::Add(std::string_view finding) {
  constexpr std::string_view kHead = "{\"Findings\":[";
  constexpr size_t kTail = 3;  // "]}\n"
  if (count_ > 0 &&
      (count_ == max_findings_ || body_.size() + 1 + finding.size() + kTail > max_bytes_)) {
    if (!Flush()) return false;
  }
  if (count_ == 0) body_.assign(kHead);
  if (count_ > 0) body_ += ',';
  body_ += finding;
  ++count_;
  return true;
}

bool AsffBatcher::Flush() {
  if (count_ == 0) return true;
  body_ += "]}\n";
  count_ = 0;
  return emit_(body_);
}

namespace {

// A finding's account: that of the first of its interfaces whose windows.csv account is 12
// digits, else --account, else empty.
std::string AccountOf(const FindingRow& f,
                      const std::unordered_map<std::string, std::string>& accounts,
                      const ExportContext& ctx) {
  for (const std::string& i : f.interfaces) {
    const auto it = accounts.find(i);
    if (it != accounts.end() && !it->second.empty()) return it->second;
  }
  return ctx.account;
}

bool IsAwsAccount(std::string_view s) {
  return s.size() == 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

class Exporter {
 public:
  Exporter(const Summary& s, ExportFormat format, const ExportContext& ctx,
           const std::function<bool(std::string_view)>& write)
      : s_(s), format_(format), ctx_(ctx), write_(write) {}

  ExportResult Run() {
    CollectFindingInterfaces();
    if (!ScanWindows()) return std::move(result_);
    // ASFF refuses the whole export when a finding has no account (a usage error), so that is
    // found before a batch goes out: a pass that only checks, its reports kept if it fails.
    // Found while exporting, the full batches before that finding (past stdout's 1 MiB
    // buffer) had reached a pipe into batch-import-findings, and the last ones had not.
    if (format_ == ExportFormat::kAsff && !IsAwsAccount(ctx_.account)) {
      ExportResult before = result_;
      check_accounts_only_ = true;
      ExportFindings();
      check_accounts_only_ = false;
      if (result_.status == ExportStatus::kUsage) return std::move(result_);
      result_ = std::move(before);
    }
    ExportFindings();
    return std::move(result_);
  }

 private:
  bool Emit(const ordered_json& event) {
    line_ = event.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
    line_ += '\n';
    return EmitLine();
  }
  bool EmitLine() {
    if (!write_(line_)) return Fail(ExportStatus::kOutput, "");
    ++result_.lines;
    return true;
  }
  bool Fail(ExportStatus status, std::string message) {
    // Usage and output errors end the export; corrupt tables are reported and skipped.
    if (result_.status == ExportStatus::kOk || status != ExportStatus::kCorrupt) {
      result_.status = status;
    }
    if (!message.empty()) result_.errors.push_back(std::move(message));
    return false;
  }

  // A row that cannot be read is reported and skipped: the rows after it are still exported.
  // The first kRowErrorsShown of a table are named, the rest counted (MoreRowErrors), so a
  // table of garbage does not flood stderr.
  static constexpr uint64_t kRowErrorsShown = 10;
  void RowError(uint64_t* count, std::string message) {
    Fail(ExportStatus::kCorrupt, ++*count <= kRowErrorsShown ? std::move(message) : "");
  }
  void MoreRowErrors(uint64_t count, const std::string& path) {
    if (count > kRowErrorsShown) {
      const uint64_t more = count - kRowErrorsShown;
      result_.errors.push_back(path + ": " + std::to_string(more) + " more unreadable row" +
                               (more == 1 ? "" : "s") + " skipped (" + std::to_string(count) +
                               " in all)");
    }
  }

  // First pass over the findings: the interfaces whose account a finding needs. Errors are
  // left to the second pass, which reports them after exporting the rows before them; a line
  // that is not JSON is passed over here too, so the findings after it keep their accounts.
  void CollectFindingInterfaces() {
    JsonLinesReader reader;
    std::string error;
    if (!reader.Open(s_.PathOf(kFindingsFile), &error)) return;
    ordered_json o;
    for (;;) {
      if (!reader.Next(&o)) {
        if (reader.AtBadLine()) continue;
        break;
      }
      const auto it = o.find("interfaces");
      if (it == o.end() || !it->is_array()) continue;
      for (const ordered_json& i : *it) {
        if (i.is_string()) accounts_.emplace(i.get<std::string>(), std::string());
      }
    }
  }

  // Exports the windows (not for ASFF) and notes the account of each interface a finding
  // names. False when the export must stop.
  bool ScanWindows() {
    const bool export_rows = format_ != ExportFormat::kAsff;
    if (!export_rows && accounts_.empty()) return true;
    CsvTableReader reader;
    std::string error;
    const std::string path = s_.PathOf(kWindowsFile);
    WindowColumns columns;
    if (!reader.Open(path, &error)) {
      Fail(ExportStatus::kCorrupt, error);
      return true;  // the findings are still exported
    }
    if (!columns.Init(reader.header(), &error)) {
      Fail(ExportStatus::kCorrupt, path + ":1: " + error);
      return true;
    }
    std::vector<std::string> fields;
    WindowRow row;
    const WindowEncoder encoder(format_, ctx_);
    uint64_t bad = 0;
    for (;;) {
      if (!reader.Next(&fields)) {
        // Malformed quoting or another number of fields: the reader has named the row.
        if (!reader.AtBadRow()) break;
        RowError(&bad, reader.error());
        continue;
      }
      if (!columns.Parse(fields, &row, &error)) {
        RowError(&bad, path + ":" + std::to_string(reader.line_number()) + ": " + error);
        continue;
      }
      if (!accounts_.empty() && IsAwsAccount(row.account_id)) {
        const auto it = accounts_.find(row.interface_id);
        if (it != accounts_.end() && it->second.empty()) it->second = row.account_id;
      }
      if (!export_rows) continue;
      ++result_.windows;
      line_.clear();
      encoder.Append(row, line_);
      if (!EmitLine()) return false;
    }
    MoreRowErrors(bad, path);
    if (!reader.error().empty()) {
      Fail(ExportStatus::kCorrupt, reader.error());
    } else if (std::string cut = TableFramesProblem(s_, kWindowsFile); !cut.empty()) {
      Fail(ExportStatus::kCorrupt, std::move(cut));  // cut at a frame's end: decoded whole
    }
    return true;
  }

  void ExportFindings() {
    const std::string path = s_.PathOf(kFindingsFile);
    ZstdLineReader lines;
    std::string error;
    if (!lines.Open(path, &error)) {
      Fail(ExportStatus::kCorrupt, error);
      return;
    }
    const auto emit = [this](std::string_view body) {
      if (!write_(body)) return Fail(ExportStatus::kOutput, "");
      ++result_.lines;
      return true;
    };
    // One batcher per account: BatchImportFindings wants every finding's AwsAccountId to be
    // the calling account's, so a batch holds one account's findings (mixed, a batch partly
    // failed whatever credentials imported it). The last, partial batches go out at the end,
    // in account order.
    std::map<std::string, AsffBatcher> batchers;
    std::string line;
    FindingRow f;
    // The lines are read here rather than with JsonLinesReader to name the exact line of a
    // finding whose fields are wrong, blank lines included.
    uint64_t bad = 0;
    while (lines.Next(&line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string where = path + ":" + std::to_string(lines.line_number()) + ": ";
      const ordered_json o = ordered_json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!o.is_object()) {
        RowError(&bad, where + (o.is_discarded() ? "not valid JSON" : "not a JSON object"));
        continue;
      }
      if (!ParseFinding(o, &f, &error)) {
        RowError(&bad, where + "not a finding: " + error);
        continue;
      }
      ++result_.findings;
      const std::string account = AccountOf(f, accounts_, ctx_);
      bool ok = true;
      switch (format_) {
        case ExportFormat::kOcsf:
          ok = Emit(OcsfFinding(f, account, ctx_));
          break;
        case ExportFormat::kEcs:
          ok = Emit(EcsFinding(f, account, ctx_));
          break;
        case ExportFormat::kSplunk:
          ok = Emit(SplunkFinding(f, account, ctx_));
          break;
        case ExportFormat::kAsff:
          if (!IsAwsAccount(account)) {
            Fail(ExportStatus::kUsage,
                 "finding " + f.id + " (" + where.substr(0, where.size() - 2) +
                     "): its interfaces have no 12-digit account in windows.csv.zst; give the "
                     "AwsAccountId with --account ID");
            return;
          }
          if (check_accounts_only_) break;
          ok = batchers.try_emplace(account, emit)
                   .first->second.Add(
                       AsffFinding(f, account, ctx_, [&](const std::string& i) {
                         const auto it = accounts_.find(i);
                         return it != accounts_.end() ? it->second : std::string();
                       }).dump(-1, ' ', false, ordered_json::error_handler_t::replace));
          break;
      }
      if (!ok) return;
    }
    MoreRowErrors(bad, path);
    if (!lines.error().empty()) {
      Fail(ExportStatus::kCorrupt, lines.error());
    } else if (std::string cut = TableFramesProblem(s_, kFindingsFile); !cut.empty()) {
      Fail(ExportStatus::kCorrupt, std::move(cut));  // cut at a frame's end: decoded whole
    }
    for (auto& [account, batcher] : batchers) {
      if (result_.status == ExportStatus::kOutput || !batcher.Flush()) break;
    }
  }

  const Summary& s_;
  const ExportFormat format_;
  const ExportContext& ctx_;
  const std::function<bool(std::string_view)>& write_;
  // Interface -> its first 12-digit account in windows.csv ("" until seen), for the
  // interfaces that findings name.
  std::unordered_map<std::string, std::string> accounts_;
  ExportResult result_;
  std::string line_;
  // ASFF's first pass over the findings (Run): their accounts checked, nothing written.
  bool check_accounts_only_ = false;
};

}  // namespace

ExportResult ExportSummary(const Summary& summary, ExportFormat format, const ExportContext& ctx,
                           const std::function<bool(std::string_view)>& write) {
  return Exporter(summary, format, ctx, write).Run();
}

}  // namespace flowsift
