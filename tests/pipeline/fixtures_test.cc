// Conformance of the parser (Format + ParseChunk) against every fixture file under
// FLOWSIFT_FIXTURES_DIR (tests/fixtures): the AWS documentation examples and real lines quoted in
// public issues here, other parsers' test data in peer_fixtures_test.cc, and every file's
// parse on every target here. Fixture READMEs say what each file holds and where it comes from;
// these files say what flowsift must make of it.
//
// Where a peer's expectation differs from flowsift's documented design, the test asserts the
// design and the comment at the case says why. Design decisions followed here:
//  - a file's first line is its header when Format::FromHeaderLine accepts it; the rest of the
//    file is parsed with that format (otherwise with the format the fixture states);
//  - header lines repeated inside the data are counted in header_lines, never as bad lines;
//  - account-id stays a string as written (leading zeros, "unknown");
//  - 13-digit millisecond start/end are divided by 1000; runs of spaces are one separator;
//  - a line with more or fewer values than the format names is a bad line (too_many_fields /
//    too_few_fields), never a partial or truncated record; an invalid address is bad_address.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hwy/targets.h"
#include "kernels/types.h"
#include "pipeline/format.h"
#include "pipeline/parse_chunk.h"
#include "tests/pipeline/fixture_parse.h"

namespace flowsift {
namespace {

using namespace fixture_test;  // NOLINT: the fixture tests' own helpers (fixture_parse.h)

// ---------------------------------------------------------------------------------------------
// aws-examples/: every file has its header line, no bad line, and one record per line.

struct AwsExample {
  const char* file;
  size_t records;
  bool default_format;  // 01-04 and 10 are the default format (README table)
};

const AwsExample kAwsExamples[] = {
    {"01-accepted-rejected.log", 2, true},
    {"02-nodata-skipdata.log", 2, true},
    {"03-sg-nacl-icmp.log", 2, true},
    {"04-ipv6.log", 1, true},
    {"05-tcp-flag-sequence.log", 8, false},
    {"06-nat-gateway.log", 6, false},
    {"07-transit-gateway-vpc-records.log", 4, false},
    {"08-service-name-traffic-path.log", 2, false},
    {"09-encryption-status-blog.log", 3, false},
    {"10-legacy-2019-default.log", 7, true},
};

Parsed ParseAwsExample(const std::string& file) {
  return ParseFile(ReadFixture("aws-examples/" + file), Format::Default());
}

void PrintTo(const AwsExample& e, std::ostream* os) { *os << e.file; }

class AwsExamples : public ::testing::TestWithParam<AwsExample> {};

TEST_P(AwsExamples, ParsesWithItsHeaderWithoutBadLines) {
  const AwsExample& ex = GetParam();
  const std::string text = ReadFixture(std::string("aws-examples/") + ex.file);
  const Parsed p = ParseFile(text, Format::Default());
  const std::string where = std::string("aws-examples/") + ex.file;
  EXPECT_TRUE(p.header) << where << ": the first line must be taken as the header";
  const std::optional<Format> header = Format::FromHeaderLine(SplitLines(text).at(0));
  ASSERT_TRUE(header.has_value()) << where;
  EXPECT_EQ(p.format.HeaderLine(), header->HeaderLine()) << where;
  if (ex.default_format) {
    EXPECT_EQ(p.format, Format::Default()) << where;
  }
  EXPECT_EQ(SplitLines(text).size(), ex.records + 1) << where << ": README record count";
  EXPECT_EQ(p.batch.rows, ex.records) << where << ": " << Describe(p);
  EXPECT_EQ(p.batch.lines, ex.records) << where;
  EXPECT_EQ(BadLines(p), std::vector<std::string>{}) << where;
  EXPECT_EQ(p.batch.header_lines, 0u) << where;
  EXPECT_EQ(p.batch.blank_lines, 0u) << where;
  ExpectRowsMatchReference(p, where);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, AwsExamples, ::testing::ValuesIn(kAwsExamples),
                         [](const ::testing::TestParamInfo<AwsExample>& param) {
                           const std::string file = param.param.file;  // NN-name.log
                           return TestName("F" + file.substr(0, file.size() - 4));
                         });

TEST(AwsExampleValues, F01AcceptedRejected) {
  const Parsed p = ParseAwsExample("01-accepted-rejected.log");
  ASSERT_EQ(p.batch.rows, 2u) << Describe(p);
  ExpectFields(Row(p, 0),
               J(R"({"version": 2, "account-id": "123456789010", )"
                 R"("srcaddr": "172.31.16.139", "dstaddr": "172.31.16.21", )"
                 R"("srcport": 20641, "dstport": 22, "protocol": 6, "packets": 20, )"
                 R"("bytes": 4249, "start": 1418530010, "end": 1418530070, )"
                 R"("action": "ACCEPT", "log-status": "OK"})"),
               "01 row 0");
  ExpectFields(Row(p, 1), J(R"({"dstport": 3389, "action": "REJECT"})"), "01 row 1");
}

TEST(AwsExampleValues, F02NoDataSkipDataHaveMissingTrafficFields) {
  const Parsed p = ParseAwsExample("02-nodata-skipdata.log");
  ASSERT_EQ(p.batch.rows, 2u) << Describe(p);
  const char* statuses[] = {"NODATA", "SKIPDATA"};
  const char* enis[] = {"eni-1235b8ca123456789", "eni-11111111aaaaaaaaa"};
  for (size_t r = 0; r < 2; ++r) {
    json expected = J(R"({"version": 2, "account-id": "123456789010", "srcaddr": null, )"
                      R"("dstaddr": null, "srcport": null, "dstport": null, )"
                      R"("protocol": null, "packets": null, "bytes": null, )"
                      R"("start": 1431280876, "end": 1431280934, "action": null})");
    expected["interface-id"] = enis[r];
    expected["log-status"] = statuses[r];
    ExpectFields(Row(p, r), expected, std::string("02 ") + statuses[r]);
  }
}

TEST(AwsExampleValues, F03IcmpHasPortsZeroNotMissing) {
  const Parsed p = ParseAwsExample("03-sg-nacl-icmp.log");
  ASSERT_EQ(p.batch.rows, 2u) << Describe(p);
  ExpectFields(Row(p, 0),
               J(R"({"srcaddr": "203.0.113.12", "srcport": 0, "dstport": 0, "protocol": 1, )"
                 R"("action": "ACCEPT", "start": 1432917027})"),
               "03 request");
  ExpectFields(Row(p, 1),
               J(R"({"srcaddr": "172.31.16.139", "srcport": 0, "dstport": 0, "protocol": 1, )"
                 R"("action": "REJECT", "start": 1432917094})"),
               "03 reply");
}

TEST(AwsExampleValues, F04Ipv6AddressesAreNotIPv4Mapped) {
  const Parsed p = ParseAwsExample("04-ipv6.log");
  ASSERT_EQ(p.batch.rows, 1u) << Describe(p);
  ExpectFields(Row(p, 0),
               J(R"({"srcaddr": "2001:db8:1234:a100:8d6e:3477:df66:f105", )"
                 R"("dstaddr": "2001:db8:1234:a102:3304:8879:34cf:4071", "srcport": 34892, )"
                 R"("packets": 54, "bytes": 8855})"),
               "04");
  const Column* src = p.batch.Find(Field::kSrcAddr);
  ASSERT_NE(src, nullptr);
  EXPECT_FALSE(kernels::IsIPv4(src->addr[0]));
  EXPECT_EQ(src->addr[0].hi, 0x20010db81234a100ull);
  EXPECT_EQ(src->addr[0].lo, 0x8d6e3477df66f105ull);
}

TEST(AwsExampleValues, F05TcpFlagsAndTheDoubleSpaceLine) {
  const Parsed p = ParseAwsExample("05-tcp-flag-sequence.log");
  ASSERT_EQ(p.batch.rows, 8u) << Describe(p);
  const uint64_t flags[] = {2, 18, 2, 18, 1, 1, 3, 19};
  for (size_t r = 0; r < 8; ++r) {
    ExpectFields(Row(p, r), json{{"tcp-flags", flags[r]}}, "05 row " + std::to_string(r));
  }
  // The 180 s record (FIN both ways in the next interval).
  ExpectFields(Row(p, 4), J(R"({"start": 1566848933, "end": 1566849113, "bytes": 63388})"),
               "05 row 4");
  // "5001 43638  10.0.0.62": the run of two spaces is one separator, so nothing shifts.
  ExpectFields(Row(p, 7),
               J(R"({"srcaddr": "10.0.0.62", "dstaddr": "52.213.180.42", "srcport": 5001, )"
                 R"("dstport": 43638, "pkt-srcaddr": "10.0.0.62", )"
                 R"("pkt-dstaddr": "52.213.180.42", "protocol": 6, "bytes": 967, )"
                 R"("packets": 14, "start": 1566933133, "end": 1566933193, )"
                 R"("action": "ACCEPT", "tcp-flags": 19, "log-status": "OK", )"
                 R"("type": "IPv4", "account-id": "123456789010"})"),
               "05 double-space line (row 7)");
}

TEST(AwsExampleValues, F06NatGatewayPktAddrDiffersFromSrcAddr) {
  const Parsed p = ParseAwsExample("06-nat-gateway.log");
  ASSERT_EQ(p.batch.rows, 6u) << Describe(p);
  EXPECT_FALSE(p.format.Has(Field::kVersion));
  ExpectFields(Row(p, 0),
               J(R"({"instance-id": null, "srcaddr": "10.0.1.5", "dstaddr": "10.0.0.220", )"
                 R"("pkt-srcaddr": "10.0.1.5", "pkt-dstaddr": "203.0.113.5"})"),
               "06 row 0");
  ExpectFields(Row(p, 3),
               J(R"({"srcaddr": "10.0.0.220", "dstaddr": "10.0.1.5", )"
                 R"("pkt-srcaddr": "203.0.113.5", "pkt-dstaddr": "10.0.1.5"})"),
               "06 row 3");
  for (size_t r = 4; r < 6; ++r) {
    json row = Row(p, r);
    EXPECT_EQ(row["instance-id"], "i-01234567890123456") << "06 row " << r;
    EXPECT_EQ(row["srcaddr"], row["pkt-srcaddr"]) << "06 row " << r;
    EXPECT_EQ(row["dstaddr"], row["pkt-dstaddr"]) << "06 row " << r;
  }
}

TEST(AwsExampleValues, F07TransitGatewayEniRecords) {
  const Parsed p = ParseAwsExample("07-transit-gateway-vpc-records.log");
  ASSERT_EQ(p.batch.rows, 4u) << Describe(p);
  ExpectFields(Row(p, 2),
               J(R"({"interface-id": "eni-11111111111111111", "instance-id": null, )"
                 R"("srcaddr": "10.40.1.175", "pkt-srcaddr": "10.20.33.164", )"
                 R"("tcp-flags": 3, "type": "IPv4"})"),
               "07 row 2");
  ExpectFields(Row(p, 3), J(R"({"dstaddr": "10.40.2.31", "pkt-dstaddr": "10.20.33.164"})"),
               "07 row 3");
}

TEST(AwsExampleValues, F08ServiceNameTrafficPath) {
  const Parsed p = ParseAwsExample("08-service-name-traffic-path.log");
  ASSERT_EQ(p.batch.rows, 2u) << Describe(p);
  ExpectFields(Row(p, 0),
               J(R"({"version": 5, "pkt-src-aws-service": "S3", )"
                 R"("pkt-dst-aws-service": null, "traffic-path": null, )"
                 R"("flow-direction": "ingress", "sublocation-type": null, )"
                 R"("az-id": "apse2-az3", "tcp-flags": 19})"),
               "08 ingress");
  ExpectFields(Row(p, 1),
               J(R"({"pkt-src-aws-service": null, "pkt-dst-aws-service": "S3", )"
                 R"("traffic-path": 8, "flow-direction": "egress", "bytes": 471})"),
               "08 egress");
}

TEST(AwsExampleValues, F09EncryptionStatus) {
  const Parsed p = ParseAwsExample("09-encryption-status-blog.log");
  ASSERT_EQ(p.batch.rows, 3u) << Describe(p);
  ExpectFields(Row(p, 0),
               J(R"({"flow-direction": "ingress", "traffic-path": null, )"
                 R"("encryption-status": 1, "dstport": 80})"),
               "09 row 0");
  ExpectFields(Row(p, 1),
               J(R"({"flow-direction": "egress", "traffic-path": 1, "encryption-status": 1})"),
               "09 row 1");
}

TEST(AwsExampleValues, F10LegacyEniIds) {
  const Parsed p = ParseAwsExample("10-legacy-2019-default.log");
  ASSERT_EQ(p.batch.rows, 7u) << Describe(p);
  const char* enis[] = {"eni-abc123de", "eni-abc123de", "eni-1a2b3c4d", "eni-4b118871",
                        "eni-1235b8ca", "eni-1235b8ca", "eni-f41c42bf"};
  for (size_t r = 0; r < 7; ++r) {
    ExpectFields(Row(p, r), json{{"interface-id", enis[r]}}, "10 row " + std::to_string(r));
  }
  ExpectFields(Row(p, 3), J(R"({"log-status": "SKIPDATA", "bytes": null})"), "10 row 3");
}

// ---------------------------------------------------------------------------------------------
// peers/real-world-from-issues/

Parsed ParseRealWorld(const std::string& file, const Format& fallback = Format::Default()) {
  return ParseFile(ReadFixture("peers/real-world-from-issues/" + file), fallback);
}

constexpr std::string_view kAlphabetical29 =
    "account-id action az-id bytes dstaddr dstport end flow-direction instance-id interface-id "
    "log-status packets pkt-dst-aws-service pkt-dstaddr pkt-src-aws-service pkt-srcaddr "
    "protocol region srcaddr srcport start sublocation-id sublocation-type subnet-id tcp-flags "
    "traffic-path type version vpc-id";

// elastic/integrations#8532: a layout guessed from the field count mis-parsed this line.
TEST(RealWorld, Skipdata29FieldsWithDefaultFormatIsABadLine) {
  const Parsed p = ParseRealWorld("elastic-integrations-8532-skipdata-29-fields.log");
  EXPECT_FALSE(p.header);
  EXPECT_EQ(p.batch.rows, 0u) << Describe(p);
  EXPECT_EQ(BadLines(p), std::vector<std::string>{"line 1: too_many_fields"});
}

TEST(RealWorld, Skipdata29FieldsWithAlphabeticalOrderIsASkipdataRecord) {
  const Format format = ParseFormat(kAlphabetical29);
  ASSERT_EQ(format.size(), 29u);
  const Parsed p = ParseRealWorld("elastic-integrations-8532-skipdata-29-fields.log", format);
  ASSERT_EQ(p.batch.rows, 1u) << Describe(p);
  EXPECT_EQ(BadLines(p), std::vector<std::string>{});
  ExpectRowsMatchReference(p, "8532 alphabetical");
  ExpectFields(Row(p, 0),
               J(R"({"version": 5, "account-id": "325352056000", "log-status": "SKIPDATA", )"
                 R"("az-id": "apne1-az1", "region": "ap-northeast-1", )"
                 R"("instance-id": "i-085c8f3d12aa57000", )"
                 R"("interface-id": "eni-03a3504cbdd789000", )"
                 R"("subnet-id": "subnet-f27b1000", "vpc-id": "vpc-bcd5b000", )"
                 R"("start": 1700185000, "end": 1700185000, "action": null, )"
                 R"("srcaddr": null, "packets": null, "flow-direction": null})"),
               "8532 alphabetical");
}

// CloudWatch export lines with an ISO time prefix have 15 tokens for 14 fields: bad lines,
// never records with every field shifted by one. The NODATA line is no different.
TEST(RealWorld, GoaccessIsoPrefixedLinesAreBadLines) {
  const Parsed p = ParseRealWorld("goaccess-1341-cloudwatch-iso-prefix.log");
  EXPECT_FALSE(p.header);
  EXPECT_EQ(p.batch.rows, 0u) << Describe(p);
  EXPECT_EQ(BadLines(p),
            (std::vector<std::string>{"line 1: too_many_fields", "line 2: too_many_fields",
                                      "line 3: too_many_fields", "line 4: too_many_fields",
                                      "line 5: too_many_fields"}));
}

TEST(RealWorld, Otel38861S3ObjectHeaderAndTwoNoData) {
  const Parsed p = ParseRealWorld("otel-38861-s3-object.log");
  EXPECT_TRUE(p.header);
  EXPECT_EQ(p.format, Format::Default());
  ASSERT_EQ(p.batch.rows, 2u) << Describe(p);
  EXPECT_EQ(BadLines(p), std::vector<std::string>{});
  ExpectFields(Row(p, 0),
               J(R"({"account-id": "12345678910", "log-status": "NODATA", )"
                 R"("start": 1742569968, "end": 1742570020, "srcaddr": null})"),
               "otel-38861 row 0");
  ExpectFields(Row(p, 1), J(R"({"start": 1742570029, "end": 1742570081})"), "otel-38861 row 1");
}

// A console CSV export (`timestamp,message`) is not flow-log text: its heading has 1 token
// (too few), its data line glues the ms timestamp to the version ("1742570569000,2": bad int).
TEST(RealWorld, Otel38861CsvExportGivesBadLinesOnly) {
  const Parsed p = ParseRealWorld("otel-38861-cloudwatch-console-export.csv");
  EXPECT_FALSE(p.header);
  EXPECT_EQ(p.batch.rows, 0u) << Describe(p);
  EXPECT_EQ(BadLines(p),
            (std::vector<std::string>{"line 1: too_few_fields", "line 2: bad_integer"}));
}

TEST(RealWorld, StreamalertUnknownAccountIsKept) {
  const Parsed p = ParseRealWorld("streamalert-315-unknown-account.log");
  ASSERT_EQ(p.batch.rows, 2u) << Describe(p);
  EXPECT_EQ(BadLines(p), std::vector<std::string>{});
  EXPECT_EQ(Row(p, 0)["account-id"], "123456789010");
  EXPECT_EQ(Row(p, 1)["account-id"], "unknown");
  ExpectRowsMatchReference(p, "streamalert-315");
}

TEST(RealWorld, GraylogNoDataIsARecord) {
  const Parsed p = ParseRealWorld("graylog-336-nodata.log");
  ASSERT_EQ(p.batch.rows, 1u) << Describe(p);
  EXPECT_EQ(BadLines(p), std::vector<std::string>{});
  ExpectFields(Row(p, 0),
               J(R"({"account-id": "459220251735", "log-status": "NODATA", )"
                 R"("start": 1575609521, "end": 1575609563, "dstport": null})"),
               "graylog-336");
}

TEST(RealWorld, ClassmethodRedactedAddressesAreBadAddressLines) {
  const std::string text =
      ReadFixture("peers/real-world-from-issues/classmethod-blog-2024-s3-head-redacted.log");
  const Parsed p = ParseFile(text, Format::Default());
  EXPECT_TRUE(p.header);
  EXPECT_EQ(p.batch.rows, 0u) << Describe(p);
  EXPECT_EQ(BadLines(p), (std::vector<std::string>{"line 2: bad_address", "line 3: bad_address"}));
  ASSERT_EQ(p.batch.bad_lines.size(), 2u);
  const size_t line2 = text.find('\n') + 1;
  const size_t line3 = text.find('\n', line2) + 1;
  EXPECT_EQ(p.first_offset + p.batch.bad_lines[0].offset, line2);
  EXPECT_EQ(p.first_offset + p.batch.bad_lines[1].offset, line3);
}

// ---------------------------------------------------------------------------------------------
// Every SIMD target (kernels/split.cc and kernels/addr.cc are compiled per Highway target) must
// give the same output as the dispatched one, which the tests above hold to the expectations.

// Everything a parse produced, for comparing runs.
json Snapshot(const Parsed& p) {
  json rows = json::array();
  for (size_t r = 0; r < p.batch.rows; ++r) rows.push_back(Row(p, r));
  json bad = json::array();
  for (const BadLine& b : p.batch.bad_lines) {
    bad.push_back({b.line, b.offset, std::string(LineErrorName(b.reason))});
  }
  return {{"rows", rows},
          {"bad", bad},
          {"lines", p.batch.lines},
          {"header_lines", p.batch.header_lines},
          {"blank_lines", p.batch.blank_lines}};
}

// Every record-text fixture with the format it is read with when it has no header.
std::vector<std::pair<std::string, Format>> TextFixtures() {
  std::vector<std::pair<std::string, Format>> files;
  for (const AwsExample& e : kAwsExamples) {
    files.emplace_back(std::string("aws-examples/") + e.file, Format::Default());
  }
  for (const IntegrationsFile& f : kIntegrationsFiles) {
    files.emplace_back(std::string("peers/elastic-integrations/") + f.file, ParseFormat(f.layout));
  }
  for (const char* f : {"valid_vpc_flow_log.log", "valid_vpc_flow_log_multi.log",
                        "valid_vpc_flow_log_ecs.log", "valid_tgw_flow_log.log",
                        "vpc_flow_log_too_few_fields.log", "vpc_flow_log_too_many_fields.log"}) {
    files.emplace_back(std::string("peers/otel-collector-contrib-awslogsencoding/") + f,
                       Format::Default());
  }
  for (const char* f :
       {"elastic-integrations-8532-skipdata-29-fields.log",
        "goaccess-1341-cloudwatch-iso-prefix.log", "otel-38861-s3-object.log",
        "otel-38861-cloudwatch-console-export.csv", "streamalert-315-unknown-account.log",
        "graylog-336-nodata.log", "classmethod-blog-2024-s3-head-redacted.log"}) {
    files.emplace_back(std::string("peers/real-world-from-issues/") + f, Format::Default());
  }
  files.emplace_back(
      "peers/real-world-from-issues/elastic-integrations-8532-skipdata-29-fields.log",
      ParseFormat(kAlphabetical29));
  return files;
}

TEST(FixtureFiles, EveryTargetGivesTheSameOutput) {
  const std::vector<std::pair<std::string, Format>> files = TextFixtures();
  std::vector<std::string> texts;
  std::vector<json> want;
  for (const auto& [file, format] : files) {
    texts.push_back(ReadFixture(file));
    want.push_back(Snapshot(ParseFile(texts.back(), format)));
  }
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    for (size_t i = 0; i < files.size(); ++i) {
      EXPECT_EQ(Snapshot(ParseFile(texts[i], files[i].second)), want[i])
          << files[i].first << " on target " << hwy::TargetName(target);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

// The counts of a parse without its values.
json Counts(const Parsed& p) {
  json s = Snapshot(p);
  s.erase("rows");
  s["records"] = p.batch.rows;
  return s;
}

// A run materialises only the columns it needs. Which lines are records, headers or bad must
// not depend on that: a repeated header line is a header, not a record of strings (the design
// counts repeated headers in header_lines, and parse_chunk.cc's DropBadRows relies on "version"
// failing to convert, which only happens when version is wanted), and a line with an invalid
// value is a bad line whichever columns were asked for, or record and bad-line counts (manifest
// counters) would change from one query to the next over the same file.
TEST(FixtureFiles, LineVerdictsDoNotDependOnTheWantedColumns) {
  for (const auto& [file, fallback] : TextFixtures()) {
    const std::string text = ReadFixture(file);
    const Parsed all = ParseFile(text, fallback);
    const json want_counts = Counts(all);
    std::map<std::string, std::string> wrong;  // wrong counts -> the fields wanted alone
    for (size_t i = 0; i < all.format.size(); ++i) {
      const Field f = all.format.field(i);
      if (f == Field::kUnknown) continue;
      FieldSet one;
      one.set(static_cast<size_t>(f));
      const Parsed p = ParseFile(text, fallback, one);
      if (Counts(p) != want_counts) {
        wrong[Counts(p).dump()] += " " + all.format.name(i);
        continue;
      }
      ASSERT_EQ(p.batch.columns.size(), 1u) << file;
      for (size_t r = 0; r < p.batch.rows; ++r) {
        EXPECT_EQ(ValueOf(p, p.batch.columns[0], r), Row(all, r)[all.format.name(i)])
            << file << " row " << r << " field '" << all.format.name(i) << "' wanted alone";
      }
    }
    for (const auto& [counts, fields] : wrong) {
      ADD_FAILURE() << file << " parsed with only one of {" << fields << " } wanted gives\n  "
                    << counts << "\nbut with every field wanted\n  " << want_counts.dump();
    }
  }
}

// The fixtures are smaller than one 64 KiB block; repeated, their lines (double spaces,
// Cyrillic bytes, bad lines, repeated headers) straddle block boundaries at many offsets.
TEST(FixtureFiles, RepeatedAcrossBlocksGivesTheSameOutput) {
  for (const auto& [file, fallback] : TextFixtures()) {
    const Parsed once = ParseFile(ReadFixture(file), fallback);
    std::string body(once.text.data(), once.text.size() - kernels::kPadding);
    if (body.empty()) continue;
    if (body.back() != '\n') body += '\n';
    const size_t copies = 3 * kMaxLineBytes / body.size() + 2;
    std::string text;
    for (size_t c = 0; c < copies; ++c) text += body;
    const Parsed many = ParseText(once.format, text);
    ASSERT_EQ(many.batch.rows, copies * once.batch.rows) << file << ": " << Describe(many);
    ASSERT_EQ(once.batch.BadLineCount(), once.batch.bad_lines.size()) << file << ": all kept";
    for (size_t k = 0; k < kNumLineErrors; ++k) {
      EXPECT_EQ(many.batch.bad_by_reason[k], copies * once.batch.bad_by_reason[k]) << file;
    }
    EXPECT_EQ(many.batch.header_lines, copies * once.batch.header_lines) << file;
    for (size_t r = 0; r < many.batch.rows; ++r) {
      const json got = Row(many, r), want = Row(once, r % once.batch.rows);
      if (got != want) {
        ADD_FAILURE() << file << " copy " << r / once.batch.rows << " row " << r % once.batch.rows
                      << ": " << got.dump() << " != " << want.dump();
        break;
      }
    }
    // Every copy's bad lines, shifted; the batch keeps the first of each reason.
    std::vector<BadLine> want;
    std::array<size_t, kNumLineErrors> per_reason{};
    for (size_t c = 0; c < copies; ++c) {
      for (const BadLine& x : once.batch.bad_lines) {
        if (per_reason[static_cast<size_t>(x.reason)]++ >= kBadLinesKeptPerReason) continue;
        want.push_back({static_cast<uint32_t>(x.line + c * once.batch.lines),
                        static_cast<uint32_t>(x.offset + c * body.size()), x.reason});
      }
    }
    ASSERT_EQ(many.batch.bad_lines.size(), want.size()) << file;
    for (size_t b = 0; b < want.size(); ++b) {
      const BadLine& got = many.batch.bad_lines[b];
      EXPECT_EQ(got.reason, want[b].reason) << file << " bad line " << b;
      EXPECT_EQ(got.line, want[b].line) << file << " bad line " << b;
      EXPECT_EQ(got.offset, want[b].offset) << file << " bad line " << b;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A fixture file added later must get a test here too.

TEST(FixtureFiles, EveryFileIsCovered) {
  std::set<std::string> covered;
  for (const AwsExample& e : kAwsExamples) covered.insert(std::string("aws-examples/") + e.file);
  for (const IntegrationsFile& f : kIntegrationsFiles) {
    covered.insert(std::string("peers/elastic-integrations/") + f.file);
  }
  for (const char* f :
       {"peers/elastic-beats/aws-vpc-flow-logs.yml",
        "peers/elastic-beats/default-v2-format.golden.json",
        "peers/elastic-beats/v5-fields-original.golden.json",
        "peers/elastic-beats/v6-fields-original.golden.json",
        "peers/elastic-beats/v7-fields-original.golden.json",
        "peers/otel-collector-contrib-awslogsencoding/valid_vpc_flow_log.log",
        "peers/otel-collector-contrib-awslogsencoding/valid_vpc_flow_log_multi.log",
        "peers/otel-collector-contrib-awslogsencoding/valid_vpc_flow_log_expected_multi.yaml",
        "peers/otel-collector-contrib-awslogsencoding/valid_vpc_flow_log_ecs.log",
        "peers/otel-collector-contrib-awslogsencoding/valid_tgw_flow_log.log",
        "peers/otel-collector-contrib-awslogsencoding/vpc_flow_log_too_few_fields.log",
        "peers/otel-collector-contrib-awslogsencoding/vpc_flow_log_too_few_fields_expected.yaml",
        "peers/otel-collector-contrib-awslogsencoding/vpc_flow_log_too_many_fields.log",
        "peers/otel-collector-contrib-awslogsencoding/valid_vpc_flow_cw.json",
        "peers/otel-collector-contrib-awslogsencoding/valid_vpc_flow_cw_custom.json",
        "peers/obsrvbl-flowlogs-reader/cases.json",
        "peers/panther-labs-panther/cases.json",
        "peers/vectordotdev-vrl/cases.json",
        "peers/vectordotdev-vrl/parse_aws_vpc_flow_log.json",
        "peers/real-world-from-issues/elastic-integrations-8532-skipdata-29-fields.log",
        "peers/real-world-from-issues/goaccess-1341-cloudwatch-iso-prefix.log",
        "peers/real-world-from-issues/otel-38861-s3-object.log",
        "peers/real-world-from-issues/otel-38861-cloudwatch-console-export.csv",
        "peers/real-world-from-issues/streamalert-315-unknown-account.log",
        "peers/real-world-from-issues/graylog-336-nodata.log",
        "peers/real-world-from-issues/classmethod-blog-2024-s3-head-redacted.log"}) {
    covered.insert(f);
  }
  const std::filesystem::path root = FixturePath("");
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
    ++files;
    const std::string rel = std::filesystem::relative(entry.path(), root).generic_string();
    EXPECT_TRUE(covered.count(rel))
        << "fixture " << rel << " has no test in fixtures_test.cc or peer_fixtures_test.cc";
  }
  EXPECT_EQ(files, covered.size()) << "a covered fixture file is missing";
}

}  // namespace
}  // namespace flowsift
