// Conformance of the parser (Format + ParseChunk) against every fixture file under
// FLOWSIFT_FIXTURES_DIR (tests/fixtures): the AWS documentation examples, other parsers' test data
// and real lines quoted in public issues. Fixture READMEs say what each file holds and where it
// comes from; this file says what flowsift must make of it.
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

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "hwy/targets.h"
#include "kernels/addr.h"
#include "kernels/enums.h"
#include "kernels/types.h"
#include "pipeline/format.h"
#include "pipeline/parse_chunk.h"

namespace flowsift {
namespace {

using nlohmann::json;

std::string FixturePath(std::string_view relative) {
  return std::string(FLOWSIFT_FIXTURES_DIR) + "/" + std::string(relative);
}

// The file's bytes, or nullopt when it cannot be read.
std::optional<std::string> TryReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ReadFixture(std::string_view relative) {
  const std::optional<std::string> text = TryReadFile(FixturePath(relative));
  if (!text) ADD_FAILURE() << "cannot read fixture " << FixturePath(relative);
  return text.value_or("");
}

Format ParseFormat(std::string_view spec) {
  std::string error;
  const std::optional<Format> f = Format::Parse(spec, &error);
  if (!f) {
    ADD_FAILURE() << "Format::Parse(\"" << spec << "\"): " << error;
    return Format::Default();
  }
  return *f;
}

// Splits on runs of spaces: the simplest statement of what a field is.
std::vector<std::string_view> SplitRuns(std::string_view s) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) tokens.push_back(s.substr(start, i - start));
  }
  return tokens;
}

std::vector<std::string_view> SplitLines(std::string_view s) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == s.npos) nl = s.size();
    lines.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

std::string Underscored(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

std::string Hyphenated(std::string s) {
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

// A gtest parameter name: letters, digits and '_' only.
std::string TestName(std::string_view s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// "2021-03-26T03:28:12Z" -> 1616729292 (days-from-civil, proleptic Gregorian calendar).
int64_t Rfc3339ToEpoch(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &sec) != 6) {
    ADD_FAILURE() << "not an RFC 3339 UTC time: " << s;
    return -1;
  }
  y -= mo <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + h * 3600 + mi * 60 + sec;
}

// j[k0][k1]..., or null when a key is absent (operator[] on a const json must not miss).
json Path(const json& j, std::initializer_list<const char*> keys) {
  const json* at = &j;
  for (const char* k : keys) {
    if (!at->is_object() || !at->contains(k)) return nullptr;
    at = &(*at)[k];
  }
  return *at;
}

// ---------------------------------------------------------------------------------------------
// Running the parser and looking at its output.

struct Parsed {
  std::string text;  // the parsed bytes, then kPadding zero bytes; string spans point here
  Format format = Format::Default();
  bool header = false;        // the file's first line was its header (and was not parsed)
  uint32_t first_line = 0;    // file line number (0-based) of the chunk's line 0
  uint32_t first_offset = 0;  // file offset of the chunk's byte 0
  ParsedBatch batch;
};

// Parses `text` with `format`, every field wanted.
Parsed ParseText(const Format& format, std::string_view text, uint32_t first_line = 0,
                 uint32_t first_offset = 0, const FieldSet& wanted = AllFields()) {
  Parsed p;
  p.format = format;
  p.first_line = first_line;
  p.first_offset = first_offset;
  p.text.assign(text);
  p.text.append(kernels::kPadding, '\0');
  ParseScratch scratch;
  p.batch = ParseChunk(reinterpret_cast<const uint8_t*>(p.text.data()), text.size(), format, wanted,
                       scratch);
  return p;
}

// Parses a whole file as the reader does: a first line that is a header gives the format and
// is not parsed; otherwise `fallback` is the format and every line is data.
Parsed ParseFile(std::string_view file, const Format& fallback,
                 const FieldSet& wanted = AllFields()) {
  const size_t nl = file.find('\n');
  const std::string_view first = file.substr(0, nl);
  if (const std::optional<Format> header = Format::FromHeaderLine(first)) {
    const size_t rest = nl == file.npos ? file.size() : nl + 1;
    Parsed p = ParseText(*header, file.substr(rest), 1, static_cast<uint32_t>(rest), wanted);
    p.header = true;
    return p;
  }
  return ParseText(fallback, file, 0, 0, wanted);
}

// One value as JSON: integers and times as numbers, addresses in FormatAddr's text, enums as
// their spelling, strings as written; "-" (kMissing) is null.
json ValueOf(const Parsed& p, const Column& c, size_t r) {
  if (r >= c.status.size()) return "<no row " + std::to_string(r) + ">";
  if (c.status[r] == kernels::FieldStatus::kMissing) return nullptr;
  if (c.status[r] != kernels::FieldStatus::kOk) {
    return "<status " + std::to_string(static_cast<int>(c.status[r])) + ">";
  }
  switch (c.kind) {
    case FieldKind::kUint:
    case FieldKind::kTime:
      return c.u64[r];
    case FieldKind::kAddr:
      return kernels::FormatAddr(c.addr[r]);
    case FieldKind::kEnum: {
      size_t count = 0;
      const std::string_view* names = kernels::EnumNames(InfoOf(c.field).enum_kind, &count);
      if (c.code[r] >= count) return "<code " + std::to_string(c.code[r]) + ">";
      return std::string(names[c.code[r]]);
    }
    case FieldKind::kString:
      return p.text.substr(c.spans[r].begin, c.spans[r].end - c.spans[r].begin);
  }
  return "<kind?>";
}

// Row r as {field name: value}; a field of the format whose value is "-" maps to null.
json Row(const Parsed& p, size_t r) {
  json row = json::object();
  for (const Column& c : p.batch.columns) row[std::string(InfoOf(c.field).name)] = ValueOf(p, c, r);
  return row;
}

// The bad lines as "line N: reason" with 1-based file line numbers.
std::vector<std::string> BadLines(const Parsed& p) {
  std::vector<std::string> out;
  for (const BadLine& b : p.batch.bad_lines) {
    out.push_back("line " + std::to_string(p.first_line + b.line + 1) + ": " +
                  std::string(LineErrorName(b.reason)));
  }
  return out;
}

// A summary for failure messages.
std::string Describe(const Parsed& p) {
  std::string s = "rows=" + std::to_string(p.batch.rows) +
                  " lines=" + std::to_string(p.batch.lines) +
                  " header_lines=" + std::to_string(p.batch.header_lines) +
                  " blank_lines=" + std::to_string(p.batch.blank_lines) + " bad=[";
  for (const std::string& b : BadLines(p)) s += b + "; ";
  s += "] format=\"" + p.format.HeaderLine() + "\"";
  if (p.batch.rows > 0) s += " row0=" + Row(p, 0).dump();
  return s;
}

// Every key of `expected` against the same key of `got`. A null expected value means the field
// must be "-"; a key that `got` lacks (not in the format) fails.
void ExpectFields(const json& got, const json& expected, const std::string& where) {
  for (const auto& [key, want] : expected.items()) {
    if (!got.contains(key)) {
      ADD_FAILURE() << where << ": field '" << key << "' is not a column of the parsed format";
      continue;
    }
    EXPECT_EQ(got[key], want) << where << ": field '" << key << "'";
  }
}

// Expected values written as JSON text, e.g. J(R"({"srcport": 0, "action": null})").
json J(const char* text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) ADD_FAILURE() << "bad JSON in the test: " << text;
  return j;
}

// What the simplest reading of a record line gives, per field of `format`: split on runs of
// spaces, "-" is null, integers as numbers (13-digit milliseconds / 1000), the rest as written.
// Fixture addresses are written canonically, so they equal FormatAddr's text.
json ReferenceRow(const Format& format, std::string_view line) {
  const std::vector<std::string_view> tokens = SplitRuns(line);
  json row = json::object();
  if (tokens.size() != format.size()) return {{"<token count>", tokens.size()}};
  for (size_t i = 0; i < format.size(); ++i) {
    const Field f = format.field(i);
    if (f == Field::kUnknown || row.contains(format.name(i))) continue;
    const std::string t(tokens[i]);
    if (t == "-") {
      row[format.name(i)] = nullptr;
      continue;
    }
    const FieldKind kind = InfoOf(f).kind;
    const bool digits = !t.empty() && t.find_first_not_of("0123456789") == t.npos;
    if ((kind == FieldKind::kUint || kind == FieldKind::kTime) && digits && t.size() < 20) {
      uint64_t v = std::stoull(t);
      if (kind == FieldKind::kTime && t.size() == 13) v /= 1000;
      row[format.name(i)] = v;
    } else {
      row[format.name(i)] = t;
    }
  }
  return row;
}

// Every record of a fixture that has no bad lines: rows pair with the non-blank, non-header
// lines in order, and every field equals ReferenceRow's.
void ExpectRowsMatchReference(const Parsed& p, const std::string& where) {
  const std::string_view parsed(p.text.data(), p.text.size() - kernels::kPadding);
  size_t r = 0;
  uint32_t line_no = p.first_line;
  for (std::string_view line : SplitLines(parsed)) {
    ++line_no;
    if (SplitRuns(line).empty() || Format::FromHeaderLine(line)) continue;
    if (r >= p.batch.rows) {
      ADD_FAILURE() << where << ": line " << line_no << " gave no record; " << Describe(p);
      return;
    }
    ExpectFields(Row(p, r), ReferenceRow(p.format, line),
                 where + " line " + std::to_string(line_no) + " (row " + std::to_string(r) + ")");
    ++r;
  }
  EXPECT_EQ(r, p.batch.rows) << where << ": more rows than record lines";
}

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

struct IntegrationsFile {
  const char* file;
  const char* layout;  // Format::Parse preset used when the file has no header
  size_t rows;
  size_t bad;
  uint32_t header_lines;  // header lines repeated inside the data
  bool header;            // the first line is a header
};

const IntegrationsFile kIntegrationsFiles[] = {
    {"test-extra-samples.log", "v2", 7, 0, 0, false},
    {"test-with-message-field.log", "v2", 0, 1, 0, false},
    {"test-tcp-flag-sequence.log", "v3", 3, 0, 2, true},
    {"test-v5-all-fields.log", "v5", 1, 0, 0, false},
    {"test-tgw-samples.log", "tgw", 10, 0, 0, false},
    {"test-ecs-samples.log", "v7", 10, 0, 0, false},
    {"test-v8-samples.log", "v8", 1, 0, 0, false},
};

Parsed ParseIntegrationsFile(const IntegrationsFile& f) {
  return ParseFile(ReadFixture(std::string("peers/elastic-integrations/") + f.file),
                   ParseFormat(f.layout));
}

void PrintTo(const IntegrationsFile& f, std::ostream* os) { *os << f.file; }

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
    EXPECT_TRUE(covered.count(rel)) << "fixture " << rel << " has no test in fixtures_test.cc";
  }
  EXPECT_EQ(files, covered.size()) << "a covered fixture file is missing";
}

}  // namespace
}  // namespace flowsift
