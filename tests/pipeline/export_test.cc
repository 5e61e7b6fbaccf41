// The export mapping as a library: typing findings and window rows, ATT&CK lookups, times,
// titles, regions, JSON escaping and ASFF batching.
#include "pipeline/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <utility>
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
      // An id and a type as run writes them: an empty one had made an OCSF finding_info.uid of
      // "" and an ASFF Title of nothing; a 600-character id an ASFF Id past its 512.
      {R"("id":"3f2a9c0d11e5b7a4")", R"("id":"")"},
      {R"("id":"3f2a9c0d11e5b7a4")", R"("id":"3f2a9c0d11e5b7a")"},
      {R"("id":"3f2a9c0d11e5b7a4")", R"("id":"3f2a9c0d11e5b7a4f")"},
      {R"("id":"3f2a9c0d11e5b7a4")", R"("id":"3F2A9C0D11E5B7A4")"},
      {R"("id":"3f2a9c0d11e5b7a4")", R"("id":"3f2a9c0d11e5b7g4")"},
      {R"("type":"port_scan")", R"("type":"")"},
      {R"("type":"port_scan")", R"("type":"port scan")"},
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

// The ranges' ends are values: port 65535, protocol 255, a window of exactly
// kLongestExportWindow (one second more is refused).
TEST(ParseFinding, TheEndsOfEachRangeAreValues) {
  std::string text = kFinding;
  text.replace(text.find(R"("dst_port":null)"), 15, R"("dst_port":65535)");
  text.replace(text.find(R"("protocol":6)"), 12, R"("protocol":255)");
  FindingRow f;
  std::string error;
  ASSERT_TRUE(ParseFinding(ordered_json::parse(text), &f, &error)) << error;
  EXPECT_EQ(f.dst_port, 65535u);
  EXPECT_EQ(f.protocol, 255u);
  ordered_json o = ordered_json::parse(text);
  o["window_end"] = 600 + kLongestExportWindow;
  EXPECT_TRUE(ParseFinding(o, &f, &error)) << error;
  o["window_end"] = 600 + kLongestExportWindow + 1;
  EXPECT_FALSE(ParseFinding(o, &f, &error));
  EXPECT_THAT(error, HasSubstr("not within a year after window_start"));
  o["window_end"] = 599;  // before its start
  EXPECT_FALSE(ParseFinding(o, &f, &error));
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
  // AWS's object names say the region too: a prefix synced to a directory of another name, or
  // a run given the key relative (`vpcflowlogs/...`, from AWSLogs/<account>).
  const std::string object =
      "123456789012_vpcflowlogs_ap-southeast-2_fl-0a1b_20231114T2210Z_e7.log.gz";
  EXPECT_EQ(RegionFromManifest(manifest({"logs/2023/11/14/" + object, object})), "ap-southeast-2");
  EXPECT_EQ(RegionFromManifest(manifest({"vpcflowlogs/eu-west-1/2023/a.log.gz"})), "eu-west-1");
  EXPECT_EQ(RegionFromManifest(manifest({"logs/" + object, "AWSLogs/1/vpcflowlogs/eu-west-1/b"})),
            "");  // two regions: none
  EXPECT_EQ(RegionFromManifest(manifest({"my_vpcflowlogs_eu-west-1_notes.log"})), "");
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
  // At the limit: a body of two is 13 + 10 + 1 + 10 + 3 = 37 bytes, its "]}\n" counted.
  for (const size_t limit : {size_t{37}, size_t{36}}) {
    bodies.clear();
    AsffBatcher exact(emit, 100, limit);
    const std::string ten = "{\"x\":\"12\"}";
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(exact.Add(ten));
    ASSERT_TRUE(exact.Flush());
    ASSERT_EQ(bodies.size(), limit == 37 ? 1u : 2u) << limit;
    for (const std::string& b : bodies) EXPECT_LE(b.size(), limit);
  }
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
  // Evidence of control bytes (6 escaped bytes each): 40 values of 2,048 were a 469 KB finding,
  // past Security Hub's 240 KB; the pairs past 200,000 escaped bytes go, the others stay whole.
  FindingRow c = ParsedFinding();
  for (int i = 0; i < 40; ++i)
    c.evidence["c" + std::to_string(100 + i)] = std::string(3000, '\x01');
  const ordered_json b = AsffFinding(c, "123456789012", ExportContext{});
  EXPECT_LE(b.dump().size(), 240'000u);
  EXPECT_GT(b.dump().size(), 190'000u);
  EXPECT_EQ(b["ProductFields"]["flowsift/type"], "port_scan");
  EXPECT_EQ(b["ProductFields"]["flowsift/evidence/c100"].get<std::string>().size(), 2048u);
  EXPECT_FALSE(b["ProductFields"].contains("flowsift/evidence/c139"));
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

// ProductFields' values, Description and a resource's Id are Security Hub NonEmptyStrings
// (pattern `.*\S.*`): a finding without ATT&CK ids (SPEC 3.2's `mitre` may be empty) had
// "flowsift/mitre":"", which BatchImportFindings refuses. Empty values are left out, a blank
// summary gives the title as Description, and a blank source names the finding as resource.
TEST(AsffFinding, NoValueIsEmptyOrBlank) {
  FindingRow f = ParsedFinding();
  f.mitre.clear();
  f.evidence = ordered_json{{"note", ""}, {"pad", " \t"}, {"flows", 3}};
  f.summary = "  ";
  ordered_json a = AsffFinding(f, "123456789012", ExportContext{});
  EXPECT_FALSE(a["ProductFields"].contains("flowsift/mitre")) << a["ProductFields"];
  EXPECT_FALSE(a["ProductFields"].contains("flowsift/evidence/note"));
  EXPECT_FALSE(a["ProductFields"].contains("flowsift/evidence/pad"));
  EXPECT_EQ(a["ProductFields"]["flowsift/evidence/flows"], "3");
  EXPECT_EQ(a["Description"], "Port scan from 203.0.113.12 to 10.0.1.5");
  f.interfaces.clear();
  f.src = " ";
  a = AsffFinding(f, "123456789012", ExportContext{});
  EXPECT_EQ(a["Resources"][0]["Id"], "flowsift/3f2a9c0d11e5b7a4");
  EXPECT_FALSE(a["ProductFields"].contains("flowsift/src"));
}

// A value or summary whose text starts past the cut (2,048 bytes of a value, 1,024 of the
// Description) is blank once cut: left out, and the title given, as a blank one is.
TEST(AsffFinding, AValueBlankOnceCutIsLeftOut) {
  FindingRow f = ParsedFinding();
  f.evidence = ordered_json{{"pad", std::string(2048, ' ') + "x"}, {"flows", 3}};
  f.summary = std::string(1024, ' ') + "text past the cut";
  const ordered_json a = AsffFinding(f, "123456789012", ExportContext{});
  EXPECT_FALSE(a["ProductFields"].contains("flowsift/evidence/pad")) << a["ProductFields"];
  EXPECT_EQ(a["ProductFields"]["flowsift/evidence/flows"], "3");
  EXPECT_EQ(a["Description"], "Port scan from 203.0.113.12 to 10.0.1.5");
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

// ---------------------------------------------------------------------------------------------
// Gaps found by a mutation audit: paths the goldens (no region, ENI interfaces only, addresses
// as peers, protocols 6/17, known sub-techniques, non-empty short summaries) never reach.

// With a region, every format names it, and OCSF and ASFF resources carry its partition
// (aws-cn here, not aws). Without one, OCSF, ECS and Splunk leave it out.
TEST(ExportGap, EveryFormatNamesTheRegionAndItsPartition) {
  FindingRow f = ParsedFinding();  // interfaces {"eni-1"}
  ExportContext ctx;
  ctx.region = "cn-north-1";
  ordered_json o = OcsfFinding(f, "123456789012", ctx);
  EXPECT_EQ(o["cloud"]["region"], "cn-north-1");
  ASSERT_EQ(o["resources"].size(), 1u);
  EXPECT_EQ(o["resources"][0],
            ordered_json::parse(R"({"uid":"eni-1","type":"AwsEc2NetworkInterface",)"
                                R"("region":"cn-north-1","cloud_partition":"aws-cn"})"));
  EXPECT_EQ(EcsFinding(f, "123456789012", ctx)["cloud"]["region"], "cn-north-1");
  EXPECT_EQ(SplunkFinding(f, "123456789012", ctx)["event"]["region"], "cn-north-1");
  ordered_json a = AsffFinding(f, "123456789012", ctx);
  ASSERT_EQ(a["Resources"].size(), 1u);
  EXPECT_EQ(a["Resources"][0]["Partition"], "aws-cn");
  EXPECT_EQ(a["Resources"][0]["Region"], "cn-north-1");

  const ExportContext none;
  EXPECT_FALSE(OcsfFinding(f, "123456789012", none)["cloud"].contains("region"));
  EXPECT_EQ(OcsfFinding(f, "123456789012", none)["resources"][0],
            ordered_json::parse(R"({"uid":"eni-1","type":"AwsEc2NetworkInterface"})"));
  EXPECT_FALSE(EcsFinding(f, "123456789012", none)["cloud"].contains("region"));
  EXPECT_FALSE(SplunkFinding(f, "123456789012", none)["event"].contains("region"));
}

// A `src` that is not an address (SPEC 3.2 allows any string) is a name: OCSF
// src_endpoint.name, ECS source.address only, no Splunk src_ip, not in ECS related.ip.
TEST(ExportGap, ASourceThatIsNotAnAddressIsNotExportedAsAnIp) {
  FindingRow f = ParsedFinding();
  f.src = "scanner.example";
  EXPECT_EQ(OcsfFinding(f, "", ExportContext{})["evidences"][0]["src_endpoint"],
            ordered_json::parse(R"({"name":"scanner.example"})"));
  ordered_json e = EcsFinding(f, "", ExportContext{});
  EXPECT_EQ(e["source"], ordered_json::parse(R"({"address":"scanner.example"})"));
  EXPECT_EQ(e["related"]["ip"], ordered_json::array({"10.0.1.5"}));
  ordered_json s = SplunkFinding(f, "", ExportContext{})["event"];
  EXPECT_EQ(s["src"], "scanner.example");
  EXPECT_FALSE(s.contains("src_ip"));
  EXPECT_EQ(s["dest_ip"], "10.0.1.5");
}

// A sub-technique flowsift has no name for keeps its id: OCSF sub_technique without a name
// (not an empty one), ECS subtechnique.name falls back to the id.
TEST(ExportGap, AnUnknownSubTechniqueKeepsItsId) {
  FindingRow f = ParsedFinding();
  f.mitre = {"T1595.009"};
  ordered_json attacks = OcsfFinding(f, "", ExportContext{})["finding_info"]["attacks"];
  ASSERT_EQ(attacks.size(), 1u);
  EXPECT_EQ(attacks[0]["technique"]["name"], "Active Scanning");
  EXPECT_EQ(attacks[0]["sub_technique"], ordered_json::parse(R"({"uid":"T1595.009"})"));
  ordered_json sub = EcsFinding(f, "", ExportContext{})["threat"]["technique"]["subtechnique"];
  EXPECT_EQ(sub["id"], ordered_json::array({"T1595.009"}));
  EXPECT_EQ(sub["name"], ordered_json::array({"T1595.009"}));
}

// Protocol keywords: ICMP is icmp everywhere; ESP has an IANA keyword (OCSF protocol_name,
// ECS network.transport) but no CIM transport; a number without a keyword has neither.
TEST(ExportGap, ProtocolKeywordsInEveryFormat) {
  FindingRow f = ParsedFinding();
  auto ocsf = [&] {
    return OcsfFinding(f, "", ExportContext{})["evidences"][0]["connection_info"];
  };
  auto ecs = [&] { return EcsFinding(f, "", ExportContext{})["network"]; };
  auto cim = [&] { return SplunkFinding(f, "", ExportContext{})["event"]; };
  f.protocol = 1;
  EXPECT_EQ(ocsf()["protocol_name"], "icmp");
  EXPECT_EQ(ecs()["transport"], "icmp");
  EXPECT_EQ(cim()["transport"], "icmp");
  f.protocol = 50;
  EXPECT_EQ(ocsf()["protocol_name"], "esp");
  EXPECT_EQ(ecs()["transport"], "esp");
  EXPECT_FALSE(cim().contains("transport"));
  EXPECT_EQ(cim()["protocol_number"], 50);
  for (const auto& [number, keyword] :
       std::vector<std::pair<uint32_t, std::string>>{{47, "gre"}, {51, "ah"}, {132, "sctp"}}) {
    f.protocol = number;
    EXPECT_EQ(ocsf()["protocol_name"], keyword) << number;
    EXPECT_EQ(ecs()["transport"], keyword) << number;
    EXPECT_FALSE(cim().contains("transport")) << number;
  }
  f.protocol = 99;
  EXPECT_EQ(ocsf()["protocol_num"], 99);
  EXPECT_FALSE(ocsf().contains("protocol_name"));
  EXPECT_EQ(ecs()["iana_number"], "99");
  EXPECT_FALSE(ecs().contains("transport"));
  EXPECT_FALSE(cim().contains("transport"));
}

// Security Hub's limits: Title at most 256 characters, ProductFields keys 128 and values
// 2,048; an empty summary gives the title as Description (1..1024 characters, never empty).
TEST(ExportGap, AsffTitleKeysValuesAndDescriptionStayWithinLimits) {
  FindingRow f = ParsedFinding();
  f.src = std::string(300, 'h');  // a name, so the title is longer than 256
  f.evidence = ordered_json::object();
  f.evidence[std::string(200, 'k')] = std::string(3000, 'v');
  ordered_json a = AsffFinding(f, "123456789012", ExportContext{});
  EXPECT_EQ(a["Title"], FindingTitle(f).substr(0, 256));
  EXPECT_EQ(a["ProductFields"]["flowsift/src"], std::string(300, 'h'));  // under the limit
  const std::string key = ("flowsift/evidence/" + std::string(200, 'k')).substr(0, 128);
  ASSERT_TRUE(a["ProductFields"].contains(key)) << a["ProductFields"].dump();
  EXPECT_EQ(a["ProductFields"][key], std::string(2048, 'v'));
  f.summary.clear();
  f.src = "203.0.113.12";
  a = AsffFinding(f, "123456789012", ExportContext{});
  EXPECT_EQ(a["Description"], "Port scan from 203.0.113.12 to 10.0.1.5");
}

// An evidence value not measured (null: a ratio to a zero baseline) is left out of ASFF's
// string pairs; it had been the string "null".
TEST(ExportGap, AsffLeavesOutEvidenceThatIsNull) {
  FindingRow f = ParsedFinding();
  f.evidence = ordered_json::object();
  f.evidence["ratio"] = nullptr;
  f.evidence["flows"] = 150;
  const ordered_json a = AsffFinding(f, "123456789012", ExportContext{});
  EXPECT_FALSE(a["ProductFields"].contains("flowsift/evidence/ratio")) << a["ProductFields"];
  EXPECT_EQ(a["ProductFields"]["flowsift/evidence/flows"], "150");
}

// An interface that is not an ENI (a Transit Gateway attachment) is an `Other` resource named
// by its id, in ASFF and OCSF; an ENI is an ARN in the interface's own account.
TEST(ExportGap, InterfacesThatAreNotEnisAreOtherResources) {
  FindingRow f = ParsedFinding();
  f.interfaces = {"tgw-attach-0123456789abcdef0", "eni-2"};
  ordered_json a = AsffFinding(f, "123456789012", ExportContext{},
                               [](const std::string&) { return std::string(); });
  ASSERT_EQ(a["Resources"].size(), 2u);
  EXPECT_EQ(a["Resources"][0],
            ordered_json::parse(R"({"Type":"Other","Id":"tgw-attach-0123456789abcdef0",)"
                                R"("Partition":"aws","Region":"us-east-1"})"));
  EXPECT_EQ(a["Resources"][1]["Id"], "arn:aws:ec2:us-east-1:123456789012:network-interface/eni-2");
  ordered_json o = OcsfFinding(f, "123456789012", ExportContext{});
  EXPECT_EQ(o["resources"][0]["type"], "Other");
  EXPECT_EQ(o["resources"][1]["type"], "AwsEc2NetworkInterface");
}

// docs/export.md: ECS `network.type` is "ipv4 / ipv6 from the source (else the destination)":
// also when the source is a name, not an address (it gave no type).
TEST(EcsFinding, NetworkTypeFallsBackToTheDestination) {
  FindingRow f = ParsedFinding();  // dst 10.0.1.5
  f.src = "scanner.example";
  EXPECT_EQ(EcsFinding(f, "", ExportContext{})["network"]["type"], "ipv4");
}

// Times past the year 9999 (a damaged or foreign OUT: run refuses such records) are refused
// with the field named: OCSF's milliseconds wrapped round 2^64 (last_seen 2^64 - 1 gave
// `time` 18446744073709550616) and ECS's and ASFF's years took 12 digits.
TEST(ParseFinding, RefusesTimesPastTheYear9999) {
  for (const auto& [from, to, named] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {R"("last_seen":700)", R"("last_seen":18446744073709551615)", "`last_seen`"},
           {R"("last_seen":700)", R"("last_seen":253402300800)", "`last_seen`"},
           {R"("first_seen":610)", R"("first_seen":9223372036854775808)", "`first_seen`"},
           {R"("window_end":1200)", R"("window_end":99999999999)", "window_end"}}) {
    std::string text = kFinding;
    ASSERT_NE(text.find(from), std::string::npos) << from;
    text.replace(text.find(from), from.size(), to);
    FindingRow f;
    std::string error;
    EXPECT_FALSE(ParseFinding(ordered_json::parse(text), &f, &error)) << to;
    EXPECT_THAT(error, HasSubstr(named)) << to;
  }
  // The last second of 9999 is a time.
  std::string text = kFinding;
  text.replace(text.find(R"("last_seen":700)"), 15, R"("last_seen":253402300799)");
  FindingRow f;
  std::string error;
  EXPECT_TRUE(ParseFinding(ordered_json::parse(text), &f, &error)) << error;
  EXPECT_EQ(EcsFinding(f, "", ExportContext{})["@timestamp"], "9999-12-31T23:59:59Z");
}

// The year 9999's last window ends at 10000-01-01T00:00:00Z, which RFC 3339 cannot spell: its
// end is written as the last second of 9999 (ECS @timestamp was "10000-01-01T00:00:00Z").
TEST(FormatIsoTime, TheEndOfTheYear9999IsItsLastSecond) {
  EXPECT_EQ(FormatIsoTime(253402300799), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatIsoTime(253402300800), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatIsoTime(UINT64_MAX), "9999-12-31T23:59:59Z");
  std::vector<std::string> header;
  for (const ColumnSpec& c : WindowsColumns()) header.emplace_back(c.name);
  WindowColumns columns;
  std::string error;
  ASSERT_TRUE(columns.Init(header, &error)) << error;
  std::vector<std::string> fields(header.size(), "7");
  fields[0] = "eni-x";
  fields[1] = "123456789012";
  fields[2] = "253402300200";  // the last 10 minutes of 9999
  fields[3] = "253402300800";
  WindowRow row;
  ASSERT_TRUE(columns.Parse(fields, &row, &error)) << error;
  fields[2] = "253402300800";  // a window starting in 10000
  fields[3] = "253402301400";
  EXPECT_FALSE(columns.Parse(fields, &row, &error));
  EXPECT_THAT(error, HasSubstr("`window_start` 253402300800 is past the year 9999"));
  fields[2] = "600";  // ends before it starts
  fields[3] = "0";
  EXPECT_FALSE(columns.Parse(fields, &row, &error));
  EXPECT_THAT(error, HasSubstr("window_end 0 is not within a year after window_start 600"));
}

}  // namespace
}  // namespace flowsift
