// The four export formats: one window or one finding -> one JSON object. Field by field
// mappings, with the reason for each choice, are in docs/export.md; the JSON Schemas in
// tests/schemas/ check the result.
#include <arpa/inet.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "pipeline/export.h"

namespace flowsift {
namespace {

using nlohmann::ordered_json;

constexpr std::string_view kProduct = "flowsift";

// 4 for a dotted quad, 6 for an IPv6 address, 0 for anything else (a finding's `src` may one
// day name something that is not an address; it is then exported as a name, not an ip).
int AddressFamily(const std::string& s) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return 4;
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return 6;
  return 0;
}

// IANA protocol numbers as lower-case keywords (ECS network.transport, CIM transport); empty
// for numbers without a common keyword.
std::string_view TransportName(uint32_t protocol) {
  switch (protocol) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 47:
      return "gre";
    case 50:
      return "esp";
    case 51:
      return "ah";
    case 58:
      return "ipv6-icmp";
    case 132:
      return "sctp";
    default:
      return {};
  }
}

uint64_t Millis(uint64_t s) { return s * 1000; }

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string Truncate(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

// False for a string of white space alone (or none): Security Hub's NonEmptyString, the type of
// ProductFields' values and of Description, has a character that is not white space.
bool HasText(std::string_view s) {
  return s.find_first_not_of(" \t\n\v\f\r") != std::string_view::npos;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

// flowsift severity 1 low .. 4 critical as each format spells it.
constexpr std::string_view kOcsfSeverity[] = {"Unknown", "Low", "Medium", "High", "Critical"};
constexpr std::string_view kCimSeverity[] = {"informational", "low", "medium", "high", "critical"};
constexpr std::string_view kAsffSeverity[] = {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
// ECS event.risk_score 0..100 as Elastic's detection rules use it per severity.
constexpr int kRiskScore[] = {0, 21, 47, 73, 99};

// ---------------------------------------------------------------------------------------------
// OCSF 1.1.0

ordered_json OcsfMetadata(const ExportContext& ctx, std::string_view feature) {
  return {{"version", kOcsfVersion},
          {"product",
           {{"name", kProduct},
            {"vendor_name", kProduct},
            {"version", ctx.product_version},
            {"feature", {{"name", feature}}}}},
          {"profiles", ordered_json::array({"cloud"})}};
}

ordered_json OcsfCloud(std::string_view account, const ExportContext& ctx) {
  ordered_json c = {{"provider", "AWS"}};
  if (!account.empty()) c["account"] = {{"uid", account}};
  if (!ctx.region.empty()) c["region"] = ctx.region;
  return c;
}

// A network_endpoint: `ip` for an address, `name` for anything else.
ordered_json OcsfEndpoint(const std::string& address, std::optional<uint32_t> port) {
  ordered_json e = ordered_json::object();
  e[AddressFamily(address) != 0 ? "ip" : "name"] = address;
  if (port) e["port"] = *port;
  return e;
}

// Detection Finding analytic.type_id: 1 Rule (fixed thresholds), 2 Behavioral (a baseline of
// the source or interface), 3 Statistical (a sequential hypothesis test).
std::pair<int, std::string_view> OcsfAnalyticType(std::string_view type) {
  if (type == "scan_trw") return {3, "Statistical"};
  if (type == "exfiltration" || type == "reject_spike") return {2, "Behavioral"};
  return {1, "Rule"};
}

// ---------------------------------------------------------------------------------------------
// ASFF

bool IsEni(std::string_view id) { return id.starts_with("eni-"); }

std::string AsffRegion(const ExportContext& ctx) {
  return ctx.region.empty() ? "us-east-1" : ctx.region;
}

// ASFF Types `namespace/category/classifier` from the Security Hub taxonomy; the classifier is
// the finding type.
std::string AsffType(std::string_view type) {
  std::string_view path = "Unusual Behaviors/Network Flow";
  if (type == "port_scan" || type == "port_sweep" || type == "scan_trw") {
    path = "TTPs/Discovery";
  } else if (type == "brute_force") {
    path = "TTPs/Credential Access";
  } else if (type == "exfiltration") {
    path = "Effects/Data Exfiltration";
  } else if (type == "ddos_fan_in") {
    path = "Effects/Denial of Service";
  }
  return std::string(path) + "/" + std::string(type);
}

}  // namespace

ordered_json OcsfFinding(const FindingRow& f, std::string_view account, const ExportContext& ctx) {
  ordered_json attacks = ordered_json::array();
  for (const std::string& id : f.mitre) {
    // A technique listed with one of its sub-techniques (T1110 and T1110.001) is one attack
    // entry, the sub-technique's, which names the technique too.
    if (std::any_of(f.mitre.begin(), f.mitre.end(),
                    [&](const std::string& other) { return other.starts_with(id + "."); })) {
      continue;
    }
    const AttackTechnique t = LookUpTechnique(id);
    ordered_json a = ordered_json::object();
    if (!t.tactic_id.empty()) a["tactic"] = {{"uid", t.tactic_id}, {"name", t.tactic_name}};
    a["technique"] = {{"uid", t.technique_id}};
    if (!t.technique_name.empty()) a["technique"]["name"] = t.technique_name;
    if (!t.sub_id.empty()) {
      a["sub_technique"] = {{"uid", t.sub_id}};
      if (!t.sub_name.empty()) a["sub_technique"]["name"] = t.sub_name;
    }
    attacks.push_back(std::move(a));
  }
  const auto [analytic_id, analytic_name] = OcsfAnalyticType(f.type);
  ordered_json evidence = ordered_json::object();
  if (f.src) evidence["src_endpoint"] = OcsfEndpoint(*f.src, std::nullopt);
  if (f.dst) {
    evidence["dst_endpoint"] = OcsfEndpoint(*f.dst, f.dst_port);
  } else if (f.dst_port) {
    evidence["dst_endpoint"] = {{"port", *f.dst_port}};
  }
  if (f.protocol) {
    evidence["connection_info"] = {
        {"direction_id", 0}, {"direction", "Unknown"}, {"protocol_num", *f.protocol}};
    if (!TransportName(*f.protocol).empty()) {
      evidence["connection_info"]["protocol_name"] = TransportName(*f.protocol);
    }
  }
  evidence["data"] = f.evidence;
  ordered_json resources = ordered_json::array();
  for (const std::string& i : f.interfaces) {
    if (IsMissing(i)) continue;  // records without an interface-id: not a resource
    ordered_json r = {{"uid", i}, {"type", IsEni(i) ? "AwsEc2NetworkInterface" : "Other"}};
    if (!ctx.region.empty()) {
      r["region"] = ctx.region;
      r["cloud_partition"] = PartitionOf(ctx.region);
    }
    resources.push_back(std::move(r));
  }
  // OCSF's observables: the values a SIEM searches every event for without walking its
  // structure (an indicator's address), each named by its attribute path without array
  // positions ("evidences.src_endpoint.ip"); type_id 2 IP Address, 10 Resource UID (OCSF 1.1.0).
  ordered_json observables = ordered_json::array();
  for (const char* side : {"src_endpoint", "dst_endpoint"}) {
    if (evidence.contains(side) && evidence[side].contains("ip")) {
      observables.push_back({{"name", std::string("evidences.") + side + ".ip"},
                             {"type_id", 2},
                             {"type", "IP Address"},
                             {"value", evidence[side]["ip"]}});
    }
  }
  for (const ordered_json& r : resources) {
    observables.push_back({{"name", "resources.uid"},
                           {"type_id", 10},
                           {"type", "Resource UID"},
                           {"value", r["uid"]}});
  }
  return {{"class_uid", 2004},
          {"class_name", "Detection Finding"},
          {"category_uid", 2},
          {"category_name", "Findings"},
          {"activity_id", 1},
          {"activity_name", "Create"},
          {"type_uid", 200401},
          {"type_name", "Detection Finding: Create"},
          {"severity_id", f.severity + 1},  // 1 low .. 4 critical -> 2 Low .. 5 Critical
          {"severity", kOcsfSeverity[f.severity]},
          {"status_id", 1},
          {"status", "New"},
          {"time", Millis(f.last_seen)},
          // The window and the activity together: a TRW verdict or a baseline finding has
          // flows outside its window, and `time` (last_seen) must lie in [start, end].
          {"start_time", Millis(std::min(f.window_start, f.first_seen))},
          {"end_time", Millis(std::max(f.window_end, f.last_seen))},
          {"count", f.flows},
          {"message", f.summary},
          {"finding_info",
           {{"uid", f.id},
            {"title", FindingTitle(f)},
            {"desc", f.summary},
            {"types", ordered_json::array({f.type})},
            {"analytic",
             {{"uid", f.type},
              {"name", FindingTypeTitle(f.type)},
              {"type_id", analytic_id},
              {"type", analytic_name}}},
            {"attacks", std::move(attacks)},
            {"first_seen_time", Millis(f.first_seen)},
            {"last_seen_time", Millis(f.last_seen)},
            {"data_sources", ordered_json::array({"AWS VPC Flow Logs"})}}},
          {"evidences", ordered_json::array({std::move(evidence)})},
          {"resources", std::move(resources)},
          {"observables", std::move(observables)},
          {"cloud", OcsfCloud(account, ctx)},
          {"metadata", OcsfMetadata(ctx, "findings")},
          {"unmapped",
           {{"severity", f.severity},
            {"packets", f.packets},
            {"bytes", f.bytes},
            {"distinct_dst_ports", f.distinct_dst_ports},
            {"distinct_dsts", f.distinct_dsts},
            {"window_start", Millis(f.window_start)},
            {"window_end", Millis(f.window_end)}}}};
}

// ---------------------------------------------------------------------------------------------
// ECS

namespace {

ordered_json EcsCloud(std::string_view account, const ExportContext& ctx) {
  ordered_json c = {{"provider", "aws"}};
  if (!account.empty()) c["account"] = {{"id", account}};
  if (!ctx.region.empty()) c["region"] = ctx.region;
  return c;
}

// source.* / destination.*: `address` always, `ip` when it is one (as the aws.vpcflow
// processor writes both).
ordered_json EcsEndpoint(const std::string& address, std::optional<uint32_t> port) {
  ordered_json e = {{"address", address}};
  if (AddressFamily(address) != 0) e["ip"] = address;
  if (port) e["port"] = *port;
  return e;
}

}  // namespace

ordered_json EcsFinding(const FindingRow& f, std::string_view account, const ExportContext& ctx) {
  ordered_json technique_ids = ordered_json::array(), technique_names = ordered_json::array();
  ordered_json sub_ids = ordered_json::array(), sub_names = ordered_json::array();
  ordered_json tactic_ids = ordered_json::array(), tactic_names = ordered_json::array();
  for (const std::string& id : f.mitre) {
    const AttackTechnique t = LookUpTechnique(id);
    if (std::find(technique_ids.begin(), technique_ids.end(), t.technique_id) ==
        technique_ids.end()) {
      technique_ids.push_back(t.technique_id);
      technique_names.push_back(t.technique_name.empty() ? t.technique_id : t.technique_name);
    }
    if (!t.sub_id.empty()) {
      sub_ids.push_back(t.sub_id);
      sub_names.push_back(t.sub_name.empty() ? t.sub_id : t.sub_name);
    }
    if (!t.tactic_id.empty() &&
        std::find(tactic_ids.begin(), tactic_ids.end(), t.tactic_id) == tactic_ids.end()) {
      tactic_ids.push_back(t.tactic_id);
      tactic_names.push_back(t.tactic_name);
    }
  }
  ordered_json threat = {{"framework", "MITRE ATT&CK"}};
  if (!technique_ids.empty()) {
    threat["technique"] = {{"id", technique_ids}, {"name", technique_names}};
    if (!sub_ids.empty())
      threat["technique"]["subtechnique"] = {{"id", sub_ids}, {"name", sub_names}};
  }
  if (!tactic_ids.empty()) threat["tactic"] = {{"id", tactic_ids}, {"name", tactic_names}};

  ordered_json network = ordered_json::object();
  if (f.protocol) {
    network["iana_number"] = std::to_string(*f.protocol);
    if (!TransportName(*f.protocol).empty()) network["transport"] = TransportName(*f.protocol);
  }
  // From the source, else the destination: also when the source is a name, not an address.
  int family = f.src ? AddressFamily(*f.src) : 0;
  if (family == 0 && f.dst) family = AddressFamily(*f.dst);
  if (family != 0) network["type"] = family == 4 ? "ipv4" : "ipv6";
  network["bytes"] = f.bytes;
  network["packets"] = f.packets;
  ordered_json related_ips = ordered_json::array();
  if (f.src && AddressFamily(*f.src) != 0) related_ips.push_back(*f.src);
  if (f.dst && AddressFamily(*f.dst) != 0 && f.dst != f.src) related_ips.push_back(*f.dst);

  ordered_json doc = {
      {"@timestamp", FormatIsoTime(f.last_seen)},
      {"message", f.summary},
      {"event",
       {{"kind", "alert"},
        {"category", ordered_json::array({"network", "intrusion_detection"})},
        {"type", ordered_json::array({"info"})},
        // Findings are not flow records: their own dataset keeps them out of aws.vpcflow.
        {"dataset", "flowsift.finding"},
        {"module", "flowsift"},
        {"id", f.id},
        {"severity", f.severity},
        {"risk_score", kRiskScore[f.severity]},
        {"start", FormatIsoTime(f.first_seen)},
        {"end", FormatIsoTime(f.last_seen)}}},
      {"rule", {{"id", f.type}, {"name", FindingTypeTitle(f.type)}, {"ruleset", kProduct}}},
      {"threat", std::move(threat)}};
  if (f.src) doc["source"] = EcsEndpoint(*f.src, std::nullopt);
  if (f.dst) {
    doc["destination"] = EcsEndpoint(*f.dst, f.dst_port);
  } else if (f.dst_port) {
    doc["destination"] = {{"port", *f.dst_port}};
  }
  doc["network"] = std::move(network);
  if (!related_ips.empty()) doc["related"] = {{"ip", std::move(related_ips)}};
  doc["cloud"] = EcsCloud(account, ctx);
  doc["flowsift"] = {{"finding",
                      {{"id", f.id},
                       {"type", f.type},
                       {"severity", f.severity},
                       {"window_start", FormatIsoTime(f.window_start)},
                       {"window_end", FormatIsoTime(f.window_end)},
                       {"flows", f.flows},
                       {"distinct_dst_ports", f.distinct_dst_ports},
                       {"distinct_dsts", f.distinct_dsts},
                       {"interfaces", f.interfaces},
                       {"evidence", f.evidence}}}};
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Splunk HEC + CIM

ordered_json SplunkFinding(const FindingRow& f, std::string_view account,
                           const ExportContext& ctx) {
  std::string category = "Network anomaly";  // a finding without ATT&CK techniques
  for (const std::string& id : f.mitre) {
    const AttackTechnique t = LookUpTechnique(id);
    if (!t.tactic_name.empty()) {
      category = std::string(t.tactic_name);
      break;
    }
  }
  ordered_json event = {{"signature", FindingTypeTitle(f.type)},
                        {"signature_id", f.type},
                        {"category", category},
                        {"severity", kCimSeverity[f.severity]},
                        {"severity_id", f.severity},
                        {"ids_type", "network"},
                        {"vendor_product", kProduct}};
  if (f.src) {
    event["src"] = *f.src;
    if (AddressFamily(*f.src) != 0) event["src_ip"] = *f.src;
  }
  if (f.dst) {
    event["dest"] = *f.dst;
    if (AddressFamily(*f.dst) != 0) event["dest_ip"] = *f.dst;
  }
  if (f.dst_port) event["dest_port"] = *f.dst_port;
  if (f.protocol) {
    event["protocol"] = "ip";
    event["protocol_number"] = *f.protocol;
    // CIM's transport is tcp, udp or icmp only: ICMPv6 is icmp, and other protocols (GRE, ESP)
    // leave it out, their number still in protocol_number.
    const uint32_t proto = *f.protocol;
    if (proto == 6 || proto == 17 || proto == 1 || proto == 58) {
      event["transport"] = proto == 58 ? "icmp" : TransportName(proto);
    }
  }
  const std::string* named = FirstNamedInterface(f);
  if (named != nullptr) event["dvc"] = *named;
  if (!account.empty()) event["vendor_account"] = account;
  if (!ctx.region.empty()) event["region"] = ctx.region;
  event.update(ordered_json{{"mitre_technique_id", f.mitre},
                            {"finding_id", f.id},
                            {"summary", f.summary},
                            {"interfaces", f.interfaces},
                            {"window_start", f.window_start},
                            {"window_end", f.window_end},
                            {"first_seen", f.first_seen},
                            {"last_seen", f.last_seen},
                            {"flows", f.flows},
                            {"packets", f.packets},
                            {"bytes", f.bytes},
                            {"distinct_dst_ports", f.distinct_dst_ports},
                            {"distinct_dsts", f.distinct_dsts},
                            {"evidence", f.evidence}});
  ordered_json hec = {{"time", f.last_seen}};
  if (named != nullptr) hec["host"] = *named;
  hec["source"] = kProduct;
  hec["sourcetype"] = "flowsift:finding";
  hec["event"] = std::move(event);
  return hec;
}

// ---------------------------------------------------------------------------------------------
// ASFF

// The escaped bytes of an ASFF finding's ProductFields (AsffFinding).
constexpr size_t kAsffFieldBytes = 200'000;

ordered_json AsffFinding(const FindingRow& f, std::string_view account, const ExportContext& ctx,
                         const std::function<std::string(const std::string&)>& account_of) {
  const std::string region = AsffRegion(ctx);
  const std::string partition(PartitionOf(region));
  const std::string acct(account);
  const std::string title = FindingTitle(f);
  const std::string created = FormatIsoTime(f.last_seen);

  // Resources: 1..32 objects. Interfaces beyond 32 are listed in ProductFields only; a finding
  // without interfaces names its source (or itself) as an `Other` resource.
  ordered_json resources = ordered_json::array();
  for (const std::string& i : f.interfaces) {
    if (resources.size() == 32) break;
    if (IsMissing(i)) continue;  // records without an interface-id: not a resource
    std::string owner = account_of ? account_of(i) : std::string();
    if (owner.empty()) owner = acct;
    ordered_json r = IsEni(i) ? ordered_json{{"Type", "AwsEc2NetworkInterface"},
                                             {"Id", "arn:" + partition + ":ec2:" + region + ":" +
                                                        owner + ":network-interface/" + i}}
                              : ordered_json{{"Type", "Other"}, {"Id", i}};
    r["Partition"] = partition;
    r["Region"] = region;
    resources.push_back(std::move(r));
  }
  if (resources.empty()) {
    resources.push_back({{"Type", "Other"},
                         {"Id", f.src && HasText(*f.src) ? *f.src : "flowsift/" + f.id},
                         {"Partition", partition},
                         {"Region", region}});
  }

  // ProductFields: at most 50 string pairs, keys up to 128 and values up to 2048 characters.
  // A finding is at most 240 KB (siem.md section 7); the cuts are in bytes before escaping, and a
  // control byte escapes to 6 (`\u0001`): 50 pairs of them made 469 KB. The pairs' escaped bytes
  // stay within 200,000, leaving the rest (32 resources, title, description) ~40 KB; pairs past
  // that go (flowsift's own evidence, numbers and addresses, is far below).
  ordered_json fields = ordered_json::object();
  size_t field_bytes = 0;
  auto field = [&](const std::string& key, std::string value) {
    // An empty value (no ATT&CK ids, an empty evidence string) is left out: BatchImportFindings
    // refuses a request with one. Checked once cut: 2,048 blanks and then text are blank cut.
    if (fields.size() >= 50) return;
    std::string k = Truncate(key, 128), v = Truncate(std::move(value), 2048);
    if (!HasText(v)) return;
    const size_t escaped =
        ordered_json(k).dump(-1, ' ', false, ordered_json::error_handler_t::replace).size() +
        ordered_json(v).dump(-1, ' ', false, ordered_json::error_handler_t::replace).size() + 2;
    if (field_bytes + escaped > kAsffFieldBytes) return;
    field_bytes += escaped;
    fields[std::move(k)] = std::move(v);
  };
  field("flowsift/type", f.type);
  if (f.src) field("flowsift/src", *f.src);
  if (f.dst) field("flowsift/dst", *f.dst);
  if (f.dst_port) field("flowsift/dst_port", std::to_string(*f.dst_port));
  if (f.protocol) field("flowsift/protocol", std::to_string(*f.protocol));
  field("flowsift/mitre", Join(f.mitre, ","));
  field("flowsift/interfaces", Join(f.interfaces, ","));
  field("flowsift/window_start", FormatIsoTime(f.window_start));
  field("flowsift/window_end", FormatIsoTime(f.window_end));
  field("flowsift/flows", std::to_string(f.flows));
  field("flowsift/packets", std::to_string(f.packets));
  field("flowsift/bytes", std::to_string(f.bytes));
  field("flowsift/distinct_dst_ports", std::to_string(f.distinct_dst_ports));
  field("flowsift/distinct_dsts", std::to_string(f.distinct_dsts));
  for (const auto& [key, value] : f.evidence.items()) {
    // A value not measured (a ratio to a zero baseline is null) has no string: left out, as
    // the text "null" would read as one.
    if (value.is_null()) continue;
    field("flowsift/evidence/" + key,
          value.is_string() ? value.get<std::string>()
                            : value.dump(-1, ' ', false, ordered_json::error_handler_t::replace));
  }

  // Blank once cut (1,024 blanks before the text) is blank: the title instead.
  const std::string description = Truncate(f.summary, 1024);
  return {{"SchemaVersion", "2018-10-08"},
          {"Id", "flowsift/" + f.id},
          {"ProductArn", "arn:" + partition + ":securityhub:" + region + ":" + acct + ":product/" +
                             acct + "/default"},
          {"ProductName", kProduct},
          {"CompanyName", kProduct},
          {"GeneratorId", "flowsift/" + f.type},
          {"AwsAccountId", acct},
          {"Types", ordered_json::array({AsffType(f.type)})},
          {"FirstObservedAt", FormatIsoTime(f.first_seen)},
          {"LastObservedAt", FormatIsoTime(f.last_seen)},
          // The finding's last evidence: re-exporting the same OUT re-imports the same
          // finding unchanged rather than bumping UpdatedAt.
          {"CreatedAt", created},
          {"UpdatedAt", created},
          {"Severity",
           {{"Label", kAsffSeverity[f.severity]}, {"Original", std::to_string(f.severity)}}},
          // The provider's own copy of Severity and Types, which BatchImportFindings updates
          // on a re-import even after an analyst changed the top-level ones with
          // BatchUpdateFindings (siem.md, section 7): without it a finding whose severity rose
          // in a later export kept the one first imported there.
          {"FindingProviderFields",
           {{"Severity",
             {{"Label", kAsffSeverity[f.severity]}, {"Original", std::to_string(f.severity)}}},
            {"Types", ordered_json::array({AsffType(f.type)})}}},
          {"Title", Truncate(title, 256)},
          {"Description", HasText(description) ? description : Truncate(title, 1024)},
          {"ProductFields", std::move(fields)},
          {"Resources", std::move(resources)}};
}

}  // namespace flowsift
