// The export mapping as a library: typing findings and window rows, ATT&CK lookups, times,
// titles, regions, JSON escaping and ASFF batching.
#include "pipeline/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flowsift {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using ::testing::HasSubstr;

const char kFinding[] =
    R"({"id":"3f2a9c0d11e5b7a4","type":"port_scan","severity":3,"mitre":["T1046"],"src":"203.0.113.12","dst":"10.0.1.5","dst_port":null,"protocol":6,"interfaces":["eni-1"],"window_start":600,"window_end":1200,"first_seen":610,"last_seen":700,"flows":40,"packets":41,"bytes":2400,"distinct_dst_ports":40,"distinct_dsts":1,"evidence":{"n":1},"summary":"s","later_field":true})";

TEST(ParseFinding, TypesEverySpecField) {
  FindingRow f;
  std::string error;
  ASSERT_TRUE(ParseFinding(ordered_json::parse(kFinding), &f, &error)) << error;
  EXPECT_EQ(f.id, "3f2a9c0d11e5b7a4");
  EXPECT_EQ(f.severity, 3);
  EXPECT_EQ(f.src, "203.0.113.12");
  EXPECT_EQ(f.dst, "10.0.1.5");
  EXPECT_FALSE(f.dst_port.has_value());
  EXPECT_EQ(f.protocol, 6u);
  EXPECT_EQ(f.interfaces, std::vector<std::string>{"eni-1"});
  EXPECT_EQ(f.bytes, 2400u);
  EXPECT_EQ(f.evidence, ordered_json::parse(R"({"n":1})"));
}

TEST(ParseFinding, NamesTheFirstWrongField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("severity":3)", R"("severity":0)"},
      {R"("severity":3)", R"("severity":"high")"},
      {R"("mitre":["T1046"])", R"("mitre":[1046])"},
      {R"("src":"203.0.113.12")", R"("src":7)"},
      {R"("dst_port":null)", R"("dst_port":70000)"},
      {R"("protocol":6)", R"("protocol":256)"},
      {R"("bytes":2400)", R"("bytes":-1)"},
      {R"("evidence":{"n":1})", R"("evidence":[])"},
      {R"("summary":"s",)", ""},
  };
  const std::string good = kFinding;
  for (const auto& [from, to] : cases) {
    std::string text = good;
    text.replace(text.find(from), std::string(from).size(), to);
    FindingRow f;
    std::string error;
    EXPECT_FALSE(ParseFinding(ordered_json::parse(text), &f, &error)) << to;
    const std::string field = std::string(from).substr(1, std::string(from).find('"', 1) - 1);
    EXPECT_THAT(error, HasSubstr("`" + field + "`")) << to;
  }
}

TEST(WindowColumns, FollowsTheHeaderAndRefusesNonNumbers) {
  std::vector<std::string> header;
  for (const ColumnSpec& c : WindowsColumns()) header.emplace_back(c.name);
  std::reverse(header.begin(), header.end());  // any order
  header.push_back("a_later_column");
  WindowColumns columns;
  std::string error;
  ASSERT_TRUE(columns.Init(header, &error)) << error;
  std::vector<std::string> fields(header.size(), "7");
  fields[header.size() - 2] = "eni-x";  // interface_id: reversed, so next to last
  fields[header.size() - 1] = "ignored";
  WindowRow row;
  ASSERT_TRUE(columns.Parse(fields, &row, &error)) << error;
  EXPECT_EQ(row.interface_id, "eni-x");
  EXPECT_EQ(row.distinct_dstport, 7u);
  fields[0] = "7x";  // distinct_dstport
  EXPECT_FALSE(columns.Parse(fields, &row, &error));
  EXPECT_THAT(error, HasSubstr("column `distinct_dstport`: '7x'"));
  fields[0] = "";
  EXPECT_FALSE(columns.Parse(fields, &row, &error));
  header.erase(header.begin());
  EXPECT_FALSE(columns.Init(header, &error));
  EXPECT_THAT(error, HasSubstr("no column `distinct_dstport`"));
}

TEST(LookUpTechnique, KnowsEveryDetectorTechniqueAndItsTactic) {
  const std::pair<const char*, const char*> want[] = {
      {"T1046", "TA0007"},     {"T1595", "TA0043"},     {"T1018", "TA0007"}, {"T1110", "TA0006"},
      {"T1021.004", "TA0008"}, {"T1021.001", "TA0008"}, {"T1048", "TA0010"}, {"T1041", "TA0010"},
      {"T1030", "TA0010"},     {"T1498", "TA0040"},     {"T1499", "TA0040"}};
  for (const auto& [id, tactic] : want) {
    const AttackTechnique t = LookUpTechnique(id);
    EXPECT_EQ(t.tactic_id, tactic) << id;
    EXPECT_FALSE(t.technique_name.empty()) << id;
    EXPECT_FALSE(t.tactic_name.empty()) << id;
  }
  const AttackTechnique ssh = LookUpTechnique("T1021.004");
  EXPECT_EQ(ssh.technique_id, "T1021");
  EXPECT_EQ(ssh.technique_name, "Remote Services");
  EXPECT_EQ(ssh.sub_id, "T1021.004");
  EXPECT_EQ(ssh.sub_name, "SSH");
  EXPECT_EQ(ssh.tactic_name, "Lateral Movement");
  const AttackTechnique unknown = LookUpTechnique("T9999.001");
  EXPECT_EQ(unknown.technique_id, "T9999");
  EXPECT_EQ(unknown.sub_id, "T9999.001");
  EXPECT_TRUE(unknown.technique_name.empty());
  EXPECT_TRUE(unknown.tactic_id.empty());
}

TEST(FormatIsoTime, MatchesTheCalendar) {
  EXPECT_EQ(FormatIsoTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIsoTime(1700000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatIsoTime(951782400), "2000-02-29T00:00:00Z");   // leap day of a /400 year
  EXPECT_EQ(FormatIsoTime(4107542399), "2100-02-28T23:59:59Z");  // 2100 is not a leap year
  EXPECT_EQ(FormatIsoTime(4107542400), "2100-03-01T00:00:00Z");
}

TEST(FindingTitle, NamesThePeersThatExist) {
  FindingRow f;
  f.type = "brute_force";
  f.src = "192.0.2.44";
  f.dst = "10.0.2.9";
  f.dst_port = 22;
  EXPECT_EQ(FindingTitle(f), "Brute force from 192.0.2.44 to 10.0.2.9 port 22");
  f.dst.reset();
  EXPECT_EQ(FindingTitle(f), "Brute force from 192.0.2.44 to port 22");
  f.type = "reject_spike";
  f.src.reset();
  f.dst_port.reset();
  f.interfaces = {"eni-1"};
  EXPECT_EQ(FindingTitle(f), "Reject spike on eni-1");
  f.type = "new_kind";
  EXPECT_EQ(FindingTitle(f), "new_kind on eni-1");
}

TEST(Regions, PartitionsAndManifestKeys) {
  EXPECT_EQ(PartitionOf("us-east-1"), "aws");
  EXPECT_EQ(PartitionOf("cn-northwest-1"), "aws-cn");
  EXPECT_EQ(PartitionOf("us-gov-west-1"), "aws-us-gov");
  EXPECT_EQ(PartitionOf("us-iso-east-1"), "aws-iso");
  EXPECT_EQ(PartitionOf("us-isob-east-1"), "aws-iso-b");
  EXPECT_EQ(PartitionOf("eu-isoe-west-1"), "aws-iso-e");
  EXPECT_EQ(PartitionOf("us-isof-south-1"), "aws-iso-f");
  auto manifest = [](std::vector<std::string> paths) {
    ordered_json m = {{"inputs", ordered_json::array()}};
    for (const std::string& p : paths) m["inputs"].push_back({{"path", p}});
    return m;
  };
  EXPECT_EQ(RegionFromManifest(manifest(
                {"d/AWSLogs/1/vpcflowlogs/eu-west-1/2023/a.log.gz", "local.log",
                 "d/AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=eu-west-1/x/b"})),
            "eu-west-1");
  EXPECT_EQ(RegionFromManifest(manifest(
                {"AWSLogs/1/vpcflowlogs/eu-west-1/a", "AWSLogs/1/vpcflowlogs/us-east-2/b"})),
            "");  // two regions: none
  EXPECT_EQ(RegionFromManifest(manifest({"x/vpcflowlogs/not-a-region/a"})), "");
  EXPECT_EQ(RegionFromManifest(ordered_json::object()), "");
}

TEST(AsffBatcher, SplitsByCountAndBytes) {
  std::vector<std::string> bodies;
  auto emit = [&](std::string_view b) {
    bodies.emplace_back(b);
    return true;
  };
  {
    AsffBatcher by_count(emit, 2);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(by_count.Add("{\"n\":" + std::to_string(i) + "}"));
    ASSERT_TRUE(by_count.Flush());
  }
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0], "{\"Findings\":[{\"n\":0},{\"n\":1}]}\n");
  EXPECT_EQ(bodies[2], "{\"Findings\":[{\"n\":4}]}\n");
  bodies.clear();
  {
    // 13 bytes of head, 3 of tail: two 10-byte findings and a comma fit in 40 bytes, not three.
    AsffBatcher by_bytes(emit, 100, 40);
    const std::string ten = "{\"x\":\"12\"}";
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(by_bytes.Add(ten));
    ASSERT_TRUE(by_bytes.Flush());
  }
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_LE(bodies[0].size(), 40u);
  EXPECT_EQ(json::parse(bodies[0])["Findings"].size(), 2u);
  // A failing sink stops the batcher.
  AsffBatcher failing([](std::string_view) { return false; }, 1);
  ASSERT_TRUE(failing.Add("{}"));
  EXPECT_FALSE(failing.Add("{}"));
}

FindingRow ParsedFinding() {
  FindingRow f;
  std::string error;
  EXPECT_TRUE(ParseFinding(ordered_json::parse(kFinding), &f, &error)) << error;
  return f;
}

// ASFF takes 1..32 Resources and 50 ProductFields: a finding over more interfaces names the
// first 32 (all of them in ProductFields' flowsift/interfaces), and evidence past the 50th
// field is left out, or BatchImportFindings refuses the whole finding.
TEST(AsffFinding, ResourcesAndProductFieldsStayWithinSecurityHubsLimits) {
  FindingRow f = ParsedFinding();
  f.interfaces.clear();
  for (int i = 0; i < 40; ++i) f.interfaces.push_back("eni-" + std::to_string(1000 + i));
  for (int i = 0; i < 60; ++i) f.evidence["k" + std::to_string(100 + i)] = i;
  const ordered_json a = AsffFinding(f, "123456789012", ExportContext{});
  ASSERT_EQ(a["Resources"].size(), 32u);
  EXPECT_EQ(a["Resources"][31]["Id"],
            "arn:aws:ec2:us-east-1:123456789012:network-interface/eni-1031");
  ASSERT_EQ(a["ProductFields"].size(), 50u);
  EXPECT_EQ(a["ProductFields"]["flowsift/type"], "port_scan");
  EXPECT_TRUE(a["ProductFields"]["flowsift/interfaces"].get<std::string>().ends_with(",eni-1039"));
}

// ASFF's Description is at most 1,024 bytes: a longer summary is cut at a character boundary,
// never inside a UTF-8 sequence (which is not valid JSON text for Security Hub).
TEST(AsffFinding, ALongSummaryIsCutBetweenCharacters) {
  FindingRow f = ParsedFinding();
  f.summary = std::string(1023, 'a') + "\xC3\xA9 and more";  // U+00E9 at bytes 1023-1024
  const ordered_json a = AsffFinding(f, "123456789012", ExportContext{});
  EXPECT_EQ(a["Description"], std::string(1023, 'a'));
  f.summary = std::string(1022, 'a') + "\xC3\xA9 and more";  // ends at byte 1024: kept whole
  EXPECT_EQ(AsffFinding(f, "123456789012", ExportContext{})["Description"],
            std::string(1022, 'a') + "\xC3\xA9");
}

// ECS related.ip lists each address once: a finding whose source is its destination (a host
// talking to itself through a load balancer) has one related address.
TEST(EcsFinding, RelatedIpsAreDistinct) {
  FindingRow f = ParsedFinding();
  EXPECT_EQ(EcsFinding(f, "", ExportContext{})["related"]["ip"],
            ordered_json::array({"203.0.113.12", "10.0.1.5"}));
  f.dst = f.src;
  EXPECT_EQ(EcsFinding(f, "", ExportContext{})["related"]["ip"],
            ordered_json::array({"203.0.113.12"}));
}

}  // namespace
}  // namespace flowsift
