// Conformance of the parser against other parsers' test data under tests/fixtures/peers: Elastic
// Beats' and Elastic Integrations' samples and goldens, the OpenTelemetry collector's
// awslogsencoding files, and the case files of flowlogs-reader, Panther and VRL. The design
// decisions these follow, and where flowsift differs from a peer, are fixtures_test.cc's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernels/types.h"
#include "pipeline/format.h"
#include "pipeline/parse_chunk.h"
#include "tests/pipeline/fixture_parse.h"

namespace flowsift {
namespace {

using namespace fixture_test;  // NOLINT: the fixture tests' own helpers (fixture_parse.h)

// ---------------------------------------------------------------------------------------------
// peers/elastic-beats/

struct BeatsGroup {
  std::string format;                // empty for groups that only merge another (`<<: *x`)
  std::vector<std::string> samples;  // unquoted, YAML comments removed
};

// A line-oriented reader of aws-vpc-flow-logs.yml, enough for its shape: top-level group
// names, `  format: ...`, and `    - sample` lines (plain, or in single quotes).
std::map<std::string, BeatsGroup> ReadBeatsYaml() {
  std::map<std::string, BeatsGroup> groups;
  std::string group;
  // The text must outlive the views SplitLines returns (a temporary in the range-init would
  // die before the loop body runs).
  const std::string text = ReadFixture("peers/elastic-beats/aws-vpc-flow-logs.yml");
  for (std::string_view line : SplitLines(text)) {
    if (line.empty() || line[0] == '#' || line == "---") continue;
    if (line[0] != ' ') {
      group = std::string(line.substr(0, line.find(':')));
      groups[group];
      continue;
    }
    constexpr std::string_view kFormat = "  format: ";
    constexpr std::string_view kSample = "    - ";
    if (line.substr(0, kFormat.size()) == kFormat) {
      groups[group].format = std::string(line.substr(kFormat.size()));
    } else if (line.substr(0, kSample.size()) == kSample) {
      std::string_view s = line.substr(kSample.size());
      if (!s.empty() && s.front() == '\'') {
        s = s.substr(1, s.rfind('\'') - 1);
      } else if (const size_t hash = s.find(" #"); hash != s.npos) {
        s = s.substr(0, hash);  // a YAML comment, not data
      }
      groups[group].samples.emplace_back(s);
    }
  }
  return groups;
}

TEST(ElasticBeats, EveryYamlSampleParsesWithItsGroupFormat) {
  const std::map<std::string, BeatsGroup> groups = ReadBeatsYaml();
  size_t samples = 0, formats = 0;
  for (const auto& [name, g] : groups) {
    if (g.format.empty()) continue;
    ++formats;
    const Format format = ParseFormat(g.format);
    for (size_t i = 0; i < g.samples.size(); ++i) {
      ++samples;
      const std::string where = "elastic-beats yml group " + name + " sample " + std::to_string(i);
      const Parsed p = ParseText(format, g.samples[i]);
      EXPECT_EQ(p.batch.rows, 1u) << where << ": " << Describe(p);
      EXPECT_EQ(BadLines(p), std::vector<std::string>{}) << where;
      if (p.batch.rows == 1) ExpectFields(Row(p, 0), ReferenceRow(format, g.samples[i]), where);
    }
  }
  // default 7, tcp-flag 8, NAT 6, TGW-ENI 4, service-name 2, v5 1, v6 1, v7 1 (README).
  EXPECT_EQ(formats, 8u);
  EXPECT_EQ(samples, 30u);
}

class ElasticBeatsGolden : public ::testing::TestWithParam<std::string> {};

// `*-original.golden.json`: aws.vpcflow.<field_with_underscores> for every field that is not
// "-"; start/end as RFC 3339; tcp_flags_array is Elastic's own addition.
TEST_P(ElasticBeatsGolden, EveryFieldEqualsTheGolden) {
  const std::string group = GetParam();
  const std::string file = "peers/elastic-beats/" + group + ".golden.json";
  const std::map<std::string, BeatsGroup> groups = ReadBeatsYaml();
  ASSERT_TRUE(groups.count(group)) << "no group " << group << " in aws-vpc-flow-logs.yml";
  const Format format = ParseFormat(groups.at(group).format);
  const json golden = json::parse(ReadFixture(file), nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(golden.is_array() && !golden.empty()) << file;
  for (size_t d = 0; d < golden.size(); ++d) {
    const std::string message = golden[d].value("message", "");
    const json vpc = Path(golden[d], {"aws", "vpcflow"});
    const std::string where = file + " doc " + std::to_string(d);
    const Parsed p = ParseText(format, message);
    ASSERT_EQ(p.batch.rows, 1u) << where << ": " << Describe(p);
    EXPECT_EQ(BadLines(p), std::vector<std::string>{}) << where;
    json row = Row(p, 0);  // not const: row[name] of a field we lack must not crash
    for (size_t i = 0; i < format.size(); ++i) {
      const std::string& name = format.name(i);
      const std::string key = Underscored(name);
      if (!vpc.contains(key)) {
        EXPECT_EQ(row[name], nullptr)
            << where << ": field '" << name << "' is absent from the golden, so it is '-'";
      } else if (name == "start" || name == "end") {
        EXPECT_EQ(row[name], Rfc3339ToEpoch(vpc[key].get<std::string>()))
            << where << ": field '" << name << "'";
      } else {
        EXPECT_EQ(row[name], vpc[key]) << where << ": field '" << name << "'";
      }
    }
    for (const auto& [key, value] : vpc.items()) {
      if (key == "tcp_flags_array") continue;
      EXPECT_TRUE(format.Has(FieldByName(Hyphenated(key))))
          << where << ": golden key " << key << " is not a field of the format";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ElasticBeatsGolden,
                         ::testing::Values("v5-fields-original", "v6-fields-original",
                                           "v7-fields-original"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return TestName(param.param);
                         });

// default-v2-format.golden.json is Elastic's `ecs` mode: ECS names (reference/siem.md sec. 5);
// only interface_id, log_status and version stay under aws.vpcflow.
TEST(ElasticBeats, DefaultV2EcsGoldenMapsToOurFields) {
  const std::string file = "peers/elastic-beats/default-v2-format.golden.json";
  const json golden = json::parse(ReadFixture(file), nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(golden.is_array()) << file;
  ASSERT_EQ(golden.size(), 7u) << file;
  for (size_t d = 0; d < golden.size(); ++d) {
    const json& doc = golden[d];
    const std::string where = file + " doc " + std::to_string(d);
    const Parsed p = ParseText(Format::Default(), doc.value("message", ""));
    ASSERT_EQ(p.batch.rows, 1u) << where << ": " << Describe(p);
    const json row = Row(p, 0);
    // ECS values; null where Elastic omitted them (a "-" field).
    auto ecs = [&doc](const char* a, const char* b) { return Path(doc, {a, b}); };
    auto event_time = [&doc](const char* name) -> json {
      const json t = Path(doc, {"event", name});
      return t.is_string() ? json(Rfc3339ToEpoch(t.get<std::string>())) : json("<no event time>");
    };
    json expected = {
        {"version", Path(doc, {"aws", "vpcflow", "version"})},
        {"interface-id", Path(doc, {"aws", "vpcflow", "interface_id"})},
        {"log-status", Path(doc, {"aws", "vpcflow", "log_status"})},
        {"account-id", Path(doc, {"cloud", "account", "id"})},
        {"srcaddr", ecs("source", "address")},
        {"dstaddr", ecs("destination", "address")},
        {"srcport", ecs("source", "port")},
        {"dstport", ecs("destination", "port")},
        {"packets", ecs("source", "packets")},
        {"bytes", ecs("source", "bytes")},
        {"start", event_time("start")},
        {"end", event_time("end")},
    };
    const json iana = ecs("network", "iana_number");
    expected["protocol"] =
        iana.is_null() ? json(nullptr) : json(std::stoi(iana.get<std::string>()));
    const json action = ecs("event", "action");  // "accept" / "reject"
    if (action.is_null()) {
      expected["action"] = nullptr;
    } else {
      std::string a = action.get<std::string>();
      std::transform(a.begin(), a.end(), a.begin(), [](char c) { return std::toupper(c); });
      expected["action"] = a;
    }
    ExpectFields(row, expected, where);
  }
}

// ---------------------------------------------------------------------------------------------
// peers/elastic-integrations/: no header (except the tcp-flag file); the layout comes from the
// README table, by preset name.

Parsed ParseIntegrationsFile(const IntegrationsFile& f) {
  return ParseFile(ReadFixture(std::string("peers/elastic-integrations/") + f.file),
                   ParseFormat(f.layout));
}

class ElasticIntegrations : public ::testing::TestWithParam<IntegrationsFile> {};

TEST_P(ElasticIntegrations, RecordBadAndHeaderCounts) {
  const IntegrationsFile& f = GetParam();
  const std::string where = std::string("elastic-integrations/") + f.file;
  const Parsed p = ParseIntegrationsFile(f);
  EXPECT_EQ(p.header, f.header) << where;
  EXPECT_EQ(p.batch.rows, f.rows) << where << ": " << Describe(p);
  EXPECT_EQ(p.batch.bad_lines.size(), f.bad) << where << ": " << Describe(p);
  EXPECT_EQ(p.batch.header_lines, f.header_lines) << where << ": " << Describe(p);
  if (f.bad == 0) ExpectRowsMatchReference(p, where);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ElasticIntegrations, ::testing::ValuesIn(kIntegrationsFiles),
                         [](const ::testing::TestParamInfo<IntegrationsFile>& param) {
                           std::string name = param.param.file;
                           return TestName(name.substr(5, name.size() - 9));  // test-*.log
                         });

const IntegrationsFile& IntegrationsFileNamed(std::string_view name) {
  for (const IntegrationsFile& f : kIntegrationsFiles) {
    if (f.file == name) return f;
  }
  ADD_FAILURE() << "no table entry for " << name;
  return kIntegrationsFiles[0];
}

TEST(ElasticIntegrationsValues, ExtraSamplesWithoutFinalNewline) {
  const Parsed p = ParseIntegrationsFile(IntegrationsFileNamed("test-extra-samples.log"));
  ASSERT_EQ(p.batch.rows, 7u) << Describe(p);
  ExpectFields(Row(p, 3), J(R"({"srcaddr": "78.24.182.42", "dstaddr": "158.109.0.1"})"),
               "extra-samples row 3");
  // The last line has no '\n'.
  ExpectFields(Row(p, 6),
               J(R"({"srcaddr": "172.31.16.139", "action": "REJECT", "log-status": "OK", )"
                 R"("end": 1432917142})"),
               "extra-samples row 6 (no final newline)");
}

// A JSON envelope ({"message":"..."}) is not plain text: it must be a counted bad line, never
// a record. It has 14 space-separated tokens, so the first value to fail is version
// (`{"message":"2`), a bad integer.
TEST(ElasticIntegrationsValues, MessageFieldEnvelopeIsABadLine) {
  const Parsed p = ParseIntegrationsFile(IntegrationsFileNamed("test-with-message-field.log"));
  EXPECT_EQ(p.batch.rows, 0u) << Describe(p);
  EXPECT_EQ(BadLines(p), std::vector<std::string>{"line 1: bad_integer"});
  ASSERT_EQ(p.batch.bad_lines.size(), 1u);
  EXPECT_EQ(p.batch.bad_lines[0].offset, 0u);
}

TEST(ElasticIntegrationsValues, TcpFlagSequenceRepeatedHeadersAndNoDataShapes) {
  const Parsed p = ParseIntegrationsFile(IntegrationsFileNamed("test-tcp-flag-sequence.log"));
  ASSERT_EQ(p.batch.rows, 3u) << Describe(p);
  EXPECT_EQ(p.batch.lines, 5u);  // after the first (header) line: 2 headers + 3 records
  ExpectFields(Row(p, 0), J(R"({"log-status": "OK", "tcp-flags": 2, "srcport": 43416})"),
               "tcp-flag-sequence ACCEPT");
  const char* statuses[] = {"SKIPDATA", "NODATA"};
  for (size_t r = 1; r < 3; ++r) {
    json expected = J(R"({"version": 3, "vpc-id": "vpc-abcdefab012345678", )"
                      R"("subnet-id": "subnet-aaaaaaaa012345678", )"
                      R"("instance-id": "i-01234567890123456", )"
                      R"("interface-id": "eni-1235b8ca123456789", )"
                      R"("account-id": "123456789010", "type": null, "srcaddr": null, )"
                      R"("dstaddr": null, "srcport": null, "dstport": null, )"
                      R"("pkt-srcaddr": null, "pkt-dstaddr": null, "protocol": null, )"
                      R"("bytes": null, "packets": null, "start": 1566848875, )"
                      R"("end": 1566848933, "action": null, "tcp-flags": null})");
    expected["log-status"] = statuses[r - 1];
    ExpectFields(Row(p, r), expected, std::string("tcp-flag-sequence ") + statuses[r - 1]);
  }
}

TEST(ElasticIntegrationsValues, V5AllFieldsNineDigitStart) {
  const Parsed p = ParseIntegrationsFile(IntegrationsFileNamed("test-v5-all-fields.log"));
  ASSERT_EQ(p.batch.rows, 1u) << Describe(p);
  EXPECT_EQ(p.format.size(), 29u);
  // 164000066 is a synthetic typo but still a valid integer: kept as is, not rejected.
  ExpectFields(Row(p, 0),
               J(R"({"version": 5, "account-id": "64111117617", "start": 164000066, )"
                 R"("end": 1640000297, "sublocation-type": null, "sublocation-id": null, )"
                 R"("pkt-src-aws-service": "AMAZON", "pkt-dst-aws-service": "CLOUDFRONT", )"
                 R"("flow-direction": "ingress", "traffic-path": 1, "tcp-flags": 1, )"
                 R"("pkt-dstaddr": "10.200.0.80"})"),
               "v5-all-fields");
}

TEST(ElasticIntegrationsValues, TgwSamples) {
  const Parsed p = ParseIntegrationsFile(IntegrationsFileNamed("test-tgw-samples.log"));
  ASSERT_EQ(p.batch.rows, 10u) << Describe(p);
  EXPECT_EQ(p.format.size(), 36u);
  EXPECT_TRUE(p.format.IsTransitGateway());
  ExpectFields(Row(p, 0),
               J(R"({"version": 3, "resource-type": null, "account-id": "748335378900", )"
                 R"("tgw-id": "tgw-0a12bc34de56f7890", )"
                 R"("tgw-attachment-id": "tgw-attach-0789ijkl", )"
                 R"("tgw-src-vpc-id": "vpc-0jkl5678", )"
                 R"("tgw-src-eni": "eni-0cc3dd4ee5f66aa7b", "srcaddr": "1.128.0.0", )"
                 R"("dstaddr": "2a02:cf40::", "srcport": 39464, "packets": 49, )"
                 R"("bytes": 8947, "log-status": "SKIPDATA", "type": null, )"
                 R"("packets-lost-no-route": null, "tcp-flags": null, )"
                 R"("flow-direction": "ingress", "pkt-dst-aws-service": null})"),
               "tgw-samples row 0");
  ExpectFields(Row(p, 9), J(R"({"srcaddr": "2a02:cf40::", "dstaddr": "175.16.199.0"})"),
               "tgw-samples row 9");
}

TEST(ElasticIntegrationsValues, EcsSamples) {
  const Parsed p = ParseIntegrationsFile(IntegrationsFileNamed("test-ecs-samples.log"));
  ASSERT_EQ(p.batch.rows, 10u) << Describe(p);
  EXPECT_EQ(p.format.size(), 39u);
  ExpectFields(Row(p, 0),
               J(R"({"account-id": "000000000000", "interface-id": null, )"
                 R"("srcaddr": "1.128.0.0", "dstaddr": "2a02:cf40::", "protocol": 17, )"
                 R"("flow-direction": "ingress", "traffic-path": null, )"
                 R"("ecs-cluster-name": "frontend-cluster", )"
                 R"("ecs-service-name": "payments-service", "ecs-task-id": "6adbd0d6-211"})"),
               "ecs-samples row 0");
  ExpectFields(Row(p, 1), J(R"({"log-status": "NODATA", "packets": 6, "action": "ACCEPT"})"),
               "ecs-samples row 1 (NODATA carrying traffic)");
}

TEST(ElasticIntegrationsValues, V8RejectReason) {
  const Parsed p = ParseIntegrationsFile(IntegrationsFileNamed("test-v8-samples.log"));
  ASSERT_EQ(p.batch.rows, 1u) << Describe(p);
  EXPECT_EQ(p.format.size(), 40u);
  ExpectFields(Row(p, 0),
               J(R"({"srcaddr": "2a02:cf40::", "dstaddr": "1.128.0.0", )"
                 R"("reject-reason": "BPA", "ecs-task-id": "e504f037-35c", )"
                 R"("log-status": "NODATA"})"),
               "v8-samples");
}

// ---------------------------------------------------------------------------------------------
// peers/otel-collector-contrib-awslogsencoding/

Parsed ParseOtelFile(const std::string& file) {
  return ParseFile(ReadFixture("peers/otel-collector-contrib-awslogsencoding/" + file),
                   Format::Default());
}

// The OTLP records of an expected yaml as our field names: resource cloud.account.id goes to
// every record; timeUnixNano = end x 1e9; network.protocol.name is the IANA name.
std::vector<json> ReadOtelExpected(const std::string& file) {
  static const std::map<std::string, std::string> kNames = {
      {"cloud.account.id", "account-id"},
      {"aws.vpc.flow.log.version", "version"},
      {"network.interface.name", "interface-id"},
      {"source.address", "srcaddr"},
      {"destination.address", "dstaddr"},
      {"source.port", "srcport"},
      {"destination.port", "dstport"},
      {"network.protocol.name", "protocol"},
      {"aws.vpc.flow.packets", "packets"},
      {"aws.vpc.flow.bytes", "bytes"},
      {"aws.vpc.flow.start", "start"},
      {"aws.vpc.flow.action", "action"},
      {"aws.vpc.flow.status", "log-status"},
  };
  static const std::map<std::string, int> kProtocols = {{"icmp", 1}, {"tcp", 6}, {"udp", 17}};
  std::vector<json> records;
  json resource = json::object();
  enum { kResource, kRecords, kScope } section = kResource;
  std::string key;
  const std::string yaml = ReadFixture("peers/otel-collector-contrib-awslogsencoding/" + file);
  for (std::string_view raw : SplitLines(yaml)) {  // views into `yaml`, which outlives them
    std::string_view line = raw.substr(std::min(raw.find_first_not_of(' '), raw.size()));
    auto after = [&line](std::string_view prefix) -> std::optional<std::string> {
      if (line.substr(0, prefix.size()) != prefix) return std::nullopt;
      std::string v(line.substr(prefix.size()));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    };
    if (line == "- logRecords:") {
      section = kRecords;
    } else if (line == "scope:") {
      section = kScope;
    } else if (section == kRecords && line == "- attributes:") {
      records.push_back(resource);
    } else if (auto k = after("- key: ")) {
      key = *k;
    } else if (auto v = after("timeUnixNano: "); v && section == kRecords && !records.empty()) {
      records.back()["end"] = std::stoull(*v) / 1000000000ull;
    } else if (auto iv = after("intValue: ")) {
      if (section == kScope || (section == kRecords && records.empty())) continue;
      json& target = section == kResource ? resource : records.back();
      if (!kNames.count(key))
        ADD_FAILURE() << file << ": unmapped key " << key;
      else
        target[kNames.at(key)] = std::stoll(*iv);
    } else if (auto sv = after("stringValue: ")) {
      if (section == kScope || key == "cloud.provider") continue;
      if (section == kRecords && records.empty()) continue;
      json& target = section == kResource ? resource : records.back();
      if (!kNames.count(key)) {
        ADD_FAILURE() << file << ": unmapped key " << key;
      } else if (key == "network.protocol.name") {
        target["protocol"] = kProtocols.count(*sv) ? kProtocols.at(*sv) : -1;
      } else {
        target[kNames.at(key)] = *sv;
      }
    }
  }
  return records;
}

TEST(OtelAwsLogs, ValidVpcFlowLogNoData) {
  const Parsed p = ParseOtelFile("valid_vpc_flow_log.log");
  EXPECT_TRUE(p.header);
  ASSERT_EQ(p.batch.rows, 1u) << Describe(p);
  EXPECT_EQ(BadLines(p), std::vector<std::string>{});
  ExpectFields(Row(p, 0),
               J(R"({"version": 2, "account-id": "12345678910", )"
                 R"("interface-id": "eni-0eb1e4178af74336c", "srcaddr": null, )"
                 R"("bytes": null, "start": 1742570089, "end": 1742570142, "action": null, )"
                 R"("log-status": "NODATA"})"),
               "valid_vpc_flow_log.log");
}

TEST(OtelAwsLogs, ValidMultiEqualsExpectedYaml) {
  const Parsed p = ParseOtelFile("valid_vpc_flow_log_multi.log");
  const std::vector<json> expected = ReadOtelExpected("valid_vpc_flow_log_expected_multi.yaml");
  ASSERT_EQ(expected.size(), 2u);
  EXPECT_EQ(expected[0].size(), 14u) << expected[0].dump();  // every key was read
  ASSERT_EQ(p.batch.rows, expected.size()) << Describe(p);
  EXPECT_EQ(BadLines(p), std::vector<std::string>{});
  for (size_t r = 0; r < expected.size(); ++r) {
    ExpectFields(Row(p, r), expected[r],
                 "valid_vpc_flow_log_multi.log vs expected yaml record " + std::to_string(r));
  }
}

TEST(OtelAwsLogs, ValidEcs) {
  const Parsed p = ParseOtelFile("valid_vpc_flow_log_ecs.log");
  ASSERT_EQ(p.batch.rows, 1u) << Describe(p);
  EXPECT_EQ(p.format.size(), 24u);
  ExpectRowsMatchReference(p, "valid_vpc_flow_log_ecs.log");
  ExpectFields(Row(p, 0),
               J(R"({"version": 5, "ecs-cluster-name": "my-cluster", )"
                 R"("ecs-container-id": "container-1", )"
                 R"("ecs-second-container-id": "container-2", )"
                 R"("ecs-task-id": "abcdef1234567890"})"),
               "valid_vpc_flow_log_ecs.log");
}

TEST(OtelAwsLogs, ValidTgwCustomOrder) {
  const Parsed p = ParseOtelFile("valid_tgw_flow_log.log");
  ASSERT_EQ(p.batch.rows, 1u) << Describe(p);
  EXPECT_EQ(p.format.size(), 31u);
  EXPECT_TRUE(p.format.IsTransitGateway());
  ExpectRowsMatchReference(p, "valid_tgw_flow_log.log");
  ExpectFields(Row(p, 0),
               J(R"({"version": 6, "packets-lost-no-route": 1, "packets-lost-blackhole": 2, )"
                 R"("packets-lost-mtu-exceeded": 3, "packets-lost-ttl-expired": 4, )"
                 R"("tgw-pair-attachment-id": "tgw-attach-0def12345abc67890", )"
                 R"("start": 1700000000, "end": 1700000060, "region": "us-east-1"})"),
               "valid_tgw_flow_log.log");
}

// The peer keeps a partial record of a 13-value line (its expected yaml: version, interface,
// start). flowsift's design: fewer values than the format names is a bad line, because a
// missing value cannot be placed (which field was dropped?).
TEST(OtelAwsLogs, TooFewFieldsIsABadLineNotAPartialRecord) {
  const Parsed p = ParseOtelFile("vpc_flow_log_too_few_fields.log");
  EXPECT_TRUE(p.header);
  EXPECT_EQ(p.batch.rows, 0u) << Describe(p);
  EXPECT_EQ(BadLines(p), std::vector<std::string>{"line 2: too_few_fields"});
  // The peer's yaml exists and describes the partial record we deliberately do not produce.
  EXPECT_EQ(ReadOtelExpected("vpc_flow_log_too_few_fields_expected.yaml").size(), 1u);
}

TEST(OtelAwsLogs, TooManyFieldsIsABadLine) {
  const Parsed p = ParseOtelFile("vpc_flow_log_too_many_fields.log");
  EXPECT_TRUE(p.header);
  EXPECT_EQ(p.batch.rows, 0u) << Describe(p);
  EXPECT_EQ(BadLines(p), std::vector<std::string>{"line 2: too_many_fields"});
}

// CloudWatch subscription envelopes: a later stage unwraps logEvents[].message; each message is
// one record line of the flow log's format (the custom one is set in the peer's test code).
TEST(OtelAwsLogs, CloudWatchEnvelopeMessages) {
  const struct {
    const char* file;
    const char* format;
  } kEnvelopes[] = {
      {"valid_vpc_flow_cw.json", "v2"},
      {"valid_vpc_flow_cw_custom.json", "version interface-id srcaddr dstaddr"},
  };
  for (const auto& e : kEnvelopes) {
    const json doc = json::parse(
        ReadFixture(std::string("peers/otel-collector-contrib-awslogsencoding/") + e.file), nullptr,
        /*allow_exceptions=*/false);
    ASSERT_TRUE(doc.contains("logEvents")) << e.file;
    ASSERT_EQ(doc["logEvents"].size(), 2u) << e.file;
    std::string text;
    for (const json& ev : doc["logEvents"]) text += ev["message"].get<std::string>() + "\n";
    const Parsed p = ParseText(ParseFormat(e.format), text);
    EXPECT_EQ(p.batch.rows, 2u) << e.file << ": " << Describe(p);
    ExpectRowsMatchReference(p, e.file);
  }
}

// ---------------------------------------------------------------------------------------------
// cases.json of obsrvbl, panther and vectordotdev-vrl, and VRL's documented examples.

struct PeerCase {
  std::string peer;
  std::string name;
  std::string format;  // header line form (hyphenated names)
  bool header_in_input = false;
  std::string input;
  json expected;
  std::string kind;  // "" for a record case
};

std::vector<PeerCase> LoadPeerCases(const std::string& peer) {
  std::vector<PeerCase> cases;
  const std::optional<std::string> text = TryReadFile(FixturePath("peers/" + peer + "/cases.json"));
  if (!text) return cases;
  const json all = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!all.is_array()) return cases;
  for (const json& c : all) {
    PeerCase pc;
    pc.peer = peer;
    pc.name = c.value("name", "");
    pc.format = c.value("format", "");
    pc.header_in_input = c.value("header_in_input", false);
    pc.input = c.value("input", "");
    pc.expected = c.contains("expected") ? c["expected"] : json("<absent>");
    pc.kind = c.value("kind", "");
    cases.push_back(std::move(pc));
  }
  return cases;
}

// VRL's generated documentation: each example's `source` holds the line and, optionally, the
// format as string literals; names use underscores.
std::vector<PeerCase> LoadVrlDocExamples() {
  std::vector<PeerCase> cases;
  const std::optional<std::string> text =
      TryReadFile(FixturePath("peers/vectordotdev-vrl/parse_aws_vpc_flow_log.json"));
  if (!text) return cases;
  const json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.contains("examples")) return cases;
  for (const json& ex : doc["examples"]) {
    const std::string source = ex.value("source", "");
    std::vector<std::string> literals;
    for (size_t i = source.find('"'); i != source.npos; i = source.find('"', i + 1)) {
      const size_t close = source.find('"', i + 1);
      if (close == source.npos) break;
      literals.push_back(source.substr(i + 1, close - i - 1));
      i = close;
    }
    PeerCase pc;
    pc.peer = "vectordotdev-vrl-doc";
    pc.name = ex.value("title", "");
    pc.input = literals.empty() ? "" : literals[0];
    pc.format = literals.size() > 1 ? Hyphenated(literals[1]) : Format::Default().HeaderLine();
    pc.expected = json::object();
    for (const auto& [key, value] : ex["return"].items()) pc.expected[Hyphenated(key)] = value;
    cases.push_back(std::move(pc));
  }
  return cases;
}

std::vector<PeerCase> AllPeerCases() {
  std::vector<PeerCase> all;
  for (const char* peer : {"obsrvbl-flowlogs-reader", "panther-labs-panther", "vectordotdev-vrl"}) {
    std::vector<PeerCase> c = LoadPeerCases(peer);
    all.insert(all.end(), c.begin(), c.end());
  }
  std::vector<PeerCase> doc = LoadVrlDocExamples();
  all.insert(all.end(), doc.begin(), doc.end());
  return all;
}

TEST(PeerCasesLoaded, EveryCaseFileIsReadWhole) {
  std::map<std::string, size_t> per_peer;
  for (const PeerCase& c : AllPeerCases()) ++per_peer[c.peer];
  EXPECT_EQ(per_peer["obsrvbl-flowlogs-reader"], 10u);
  EXPECT_EQ(per_peer["panther-labs-panther"], 4u);
  EXPECT_EQ(per_peer["vectordotdev-vrl"], 7u);
  EXPECT_EQ(per_peer["vectordotdev-vrl-doc"], 4u);
}

void PrintTo(const PeerCase& c, std::ostream* os) { *os << c.peer << " / " << c.name; }

class PeerCases : public ::testing::TestWithParam<PeerCase> {};

TEST_P(PeerCases, MatchesThePeerOrOurDesign) {
  const PeerCase& c = GetParam();
  const std::string where = c.peer + " case " + c.name;
  const Format format = ParseFormat(c.format);
  Parsed p;
  if (c.header_in_input) {
    // The peer read the format from a header line: give it one, as an S3 object would.
    p = ParseFile(c.format + "\n" + c.input + "\n", Format::Default());
    EXPECT_TRUE(p.header) << where << ": the format line must be taken as the header";
    EXPECT_EQ(p.format, format) << where;
  } else {
    p = ParseText(format, c.input);
  }

  if (c.peer == "panther-labs-panther" && c.name == "default_header_extra_trailing_value") {
    // Panther ignores a 15th value after a 14-name header. flowsift counts it as a bad line:
    // a line that does not match its format is not trusted, whichever end is off.
    EXPECT_EQ(p.batch.rows, 0u) << where << ": " << Describe(p);
    EXPECT_EQ(BadLines(p), std::vector<std::string>{"line 2: too_many_fields"}) << where;
    return;
  }
  if (c.expected.is_null()) {  // no record at all: the input is a header line
    EXPECT_EQ(p.batch.rows, 0u) << where << ": " << Describe(p);
    EXPECT_EQ(BadLines(p), std::vector<std::string>{}) << where;
    EXPECT_EQ(p.batch.header_lines, 1u) << where << ": a repeated header is counted as one";
    return;
  }
  ASSERT_EQ(p.batch.rows, 1u) << where << ": " << Describe(p);
  EXPECT_EQ(BadLines(p), std::vector<std::string>{}) << where;
  if (c.expected.is_string()) return;  // the peer only asserts that the line parses
  ASSERT_TRUE(c.expected.is_object()) << where;
  ExpectFields(Row(p, 0), c.expected, where);
  if (c.peer == "panther-labs-panther" && c.name == "nodata_unknown_account") {
    // Panther turns account-id "unknown" into null; flowsift keeps the string as written
    // (account-id is a string: "unknown" marks AWS-service ENIs, reference/flowlogs.md sec. 2).
    EXPECT_EQ(Row(p, 0)["account-id"], "unknown") << where;
  }
}

// Record cases only. The `aggregation` (5-tuple grouping) and `s3_keys` (object selection by
// the file name's time) cases test the run pipeline and the input layer; their issues add them.
std::vector<PeerCase> RecordPeerCases() {
  std::vector<PeerCase> cases;
  for (PeerCase& c : AllPeerCases()) {
    if (c.kind.empty()) cases.push_back(std::move(c));
  }
  return cases;
}

TEST(PeerCasesLoaded, ThreeCasesBelongToLaterStages) {
  std::vector<std::string> later;
  for (const PeerCase& c : AllPeerCases()) {
    if (!c.kind.empty()) later.push_back(c.kind + ":" + c.name);
  }
  EXPECT_EQ(later.size(), 3u);
  EXPECT_EQ(RecordPeerCases().size() + later.size(), AllPeerCases().size());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PeerCases, ::testing::ValuesIn(RecordPeerCases()),
                         [](const ::testing::TestParamInfo<PeerCase>& param) {
                           return TestName(param.param.peer + "_" + param.param.name);
                         });

}  // namespace
}  // namespace flowsift
