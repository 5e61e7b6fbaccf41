// `flowsift export` as users run it: every line of every format checked against its JSON
// Schema (tests/schemas/), every window and finding found exactly once with its numbers,
// goldens of a small fixed OUT, and what each format says of findings, windows and accounts.
// The files export writes and the damaged tables it reads are in export_files_test.cc.
//
// To rewrite the goldens after an intended change: FLOWSIFT_UPDATE_GOLDEN=1 tools_test
// --gtest_filter='*ExportGolden*', then read the diff before committing it.
#include "pipeline/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pipeline/summary.h"
#include "pipeline/tables.h"
#include "tests/schema_validator.h"
#include "tests/test_util.h"
#include "tests/tools/export_fixture.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using export_fixture::Export;
using export_fixture::ExportTest;
using export_fixture::kFindings;
using export_fixture::Lines;
using export_fixture::Replace;
using export_fixture::Result;
using export_fixture::SmallFindings;
using flowsift::testing::ReadFile;
using flowsift::testing::WriteFile;
using flowsift::testing::WriteZstd;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

uint64_t ParseIso(const std::string& s) {
  std::tm tm{};
  EXPECT_NE(strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm), nullptr) << s;
  return static_cast<uint64_t>(timegm(&tm));
}

class ExportFormatTest : public ExportTest, public ::testing::WithParamInterface<std::string> {};

// ---------------------------------------------------------------------------------------------
// Goldens.

using ExportGolden = ExportFormatTest;

TEST_P(ExportGolden, MatchesTheCheckedInOutput) {
  const std::string args = "small --as " + GetParam() + " --account 111122223333";
  const Result r = Export(*dir_, args);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const fs::path golden =
      fs::path(FLOWSIFT_SOURCE_DIR) / "tests" / "golden" / "export" / (GetParam() + ".jsonl");
  if (std::getenv("FLOWSIFT_UPDATE_GOLDEN") != nullptr) WriteFile(golden, r.out);
  ASSERT_TRUE(fs::exists(golden)) << golden;
  EXPECT_EQ(r.out, ReadFile(golden)) << "flowsift export " << args << " differs from " << golden;
}

INSTANTIATE_TEST_SUITE_P(Formats, ExportGolden,
                         ::testing::Values<std::string>("ocsf", "ecs", "splunk", "asff"));

// ---------------------------------------------------------------------------------------------
// Schemas.

flowsift::testing::SchemaValidator LoadSchema(const std::string& name) {
  flowsift::testing::SchemaValidator v;
  const fs::path path = fs::path(FLOWSIFT_SOURCE_DIR) / "tests" / "schemas" / (name + ".json");
  std::string error;
  EXPECT_TRUE(v.Load(json::parse(ReadFile(path)), &error)) << path << ": " << error;
  return v;
}

using ExportSchema = ExportFormatTest;

TEST_P(ExportSchema, EveryLineMatchesItsSchema) {
  const std::string format = GetParam();
  const Result r = Export(*dir_, "generated --as " + format + " --account 111122223333");
  ASSERT_EQ(r.code, 0) << r.err;
  std::map<std::string, flowsift::testing::SchemaValidator> schemas;
  for (const char* name : {"ocsf_network_activity", "ocsf_detection_finding", "ecs_window",
                           "ecs_finding", "splunk_hec", "asff_batch"}) {
    schemas[name] = LoadSchema(name);
  }
  std::map<std::string, int> seen;
  for (const json& line : Lines(r.out)) {
    std::string schema;
    if (format == "ocsf") {
      schema =
          line.value("class_uid", 0) == 4001 ? "ocsf_network_activity" : "ocsf_detection_finding";
    } else if (format == "ecs") {
      schema = line["event"].value("kind", "") == "alert" ? "ecs_finding" : "ecs_window";
    } else if (format == "splunk") {
      schema = "splunk_hec";
    } else {
      schema = "asff_batch";
    }
    ++seen[schema];
    if (line.contains("start_time")) {  // OCSF: the event's time lies in its interval
      EXPECT_LE(line["start_time"].get<uint64_t>(), line["time"].get<uint64_t>()) << line.dump();
      EXPECT_LE(line["time"].get<uint64_t>(), line["end_time"].get<uint64_t>()) << line.dump();
    }
    const std::vector<std::string> errors = schemas[schema].Validate(line);
    EXPECT_TRUE(errors.empty()) << schema << ": " << ::testing::PrintToString(errors) << "\n"
                                << line.dump();
  }
  // Both kinds of event were checked (windows are not exported to ASFF).
  if (format == "ocsf") {
    EXPECT_GT(seen["ocsf_network_activity"], 50);
    EXPECT_EQ(seen["ocsf_detection_finding"], 7);
  } else if (format == "ecs") {
    EXPECT_GT(seen["ecs_window"], 50);
    EXPECT_EQ(seen["ecs_finding"], 7);
  } else if (format == "splunk") {
    EXPECT_GT(seen["splunk_hec"], 57);
  } else {
    EXPECT_EQ(seen["asff_batch"], 2);  // one per account of the generated set
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, ExportSchema,
                         ::testing::Values<std::string>("ocsf", "ecs", "splunk", "asff"));

// ---------------------------------------------------------------------------------------------
// Round trip: every window and finding exactly once, with its numbers.

// (interface, window_start) -> the other columns, or finding id -> its fields, as text.
using Keyed = std::multimap<std::string, std::string>;

std::string WindowKey(const std::string& iface, uint64_t ws) {
  return iface + "@" + std::to_string(ws);
}

std::string WindowValue(uint64_t we, uint64_t records, uint64_t bytes, uint64_t packets,
                        const json& counters, const std::string& account) {
  std::string v = std::to_string(we) + " " + std::to_string(records) + " " + std::to_string(bytes) +
                  " " + std::to_string(packets) + " " + account;
  for (const char* c :
       {"nodata", "skipdata", "accepted", "rejected", "rejected_bytes", "bytes_out_external",
        "bytes_in_external", "distinct_srcaddr", "distinct_dstaddr", "distinct_dstport"}) {
    v += " " + std::to_string(counters.at(c).get<uint64_t>());
  }
  return v;
}

std::string FindingValue(uint64_t severity, uint64_t ws, uint64_t we, uint64_t first, uint64_t last,
                         uint64_t flows, uint64_t packets, uint64_t bytes, uint64_t ports,
                         uint64_t dsts, const std::string& src, const std::string& dst,
                         const std::string& port, const std::string& protocol) {
  std::ostringstream s;
  s << severity << " " << ws << " " << we << " " << first << " " << last << " " << flows << " "
    << packets << " " << bytes << " " << ports << " " << dsts << " src=" << src << " dst=" << dst
    << " port=" << port << " proto=" << protocol;
  return s.str();
}

std::string Str(const json& j, const char* key) {
  return j.contains(key) ? (j[key].is_string() ? j[key].get<std::string>() : j[key].dump()) : "";
}

void ExpectedRows(const fs::path& out, Keyed* windows, Keyed* findings) {
  CsvTableReader reader;
  std::string error;
  ASSERT_TRUE(reader.Open((out / kWindowsFile).string(), &error)) << error;
  WindowColumns columns;
  ASSERT_TRUE(columns.Init(reader.header(), &error)) << error;
  std::vector<std::string> fields;
  WindowRow w;
  while (reader.Next(&fields)) {
    ASSERT_TRUE(columns.Parse(fields, &w, &error)) << error;
    const json counters = {{"nodata", w.nodata},
                           {"skipdata", w.skipdata},
                           {"accepted", w.accepted},
                           {"rejected", w.rejected},
                           {"rejected_bytes", w.rejected_bytes},
                           {"bytes_out_external", w.bytes_out_external},
                           {"bytes_in_external", w.bytes_in_external},
                           {"distinct_srcaddr", w.distinct_srcaddr},
                           {"distinct_dstaddr", w.distinct_dstaddr},
                           {"distinct_dstport", w.distinct_dstport}};
    windows->emplace(
        WindowKey(w.interface_id, w.window_start),
        WindowValue(w.window_end, w.records, w.bytes, w.packets, counters, w.account_id));
  }
  ASSERT_EQ(reader.error(), "");
  JsonLinesReader lines;
  ASSERT_TRUE(lines.Open((out / kFindingsFile).string(), &error)) << error;
  nlohmann::ordered_json o;
  while (lines.Next(&o)) {
    FindingRow f;
    ASSERT_TRUE(ParseFinding(o, &f, &error)) << error;
    findings->emplace(
        f.id,
        FindingValue(f.severity, f.window_start, f.window_end, f.first_seen, f.last_seen, f.flows,
                     f.packets, f.bytes, f.distinct_dst_ports, f.distinct_dsts, f.src.value_or(""),
                     f.dst.value_or(""), f.dst_port ? std::to_string(*f.dst_port) : "",
                     f.protocol ? std::to_string(*f.protocol) : ""));
  }
}

void ExportedRows(const std::string& format, const std::string& text, Keyed* windows,
                  Keyed* findings) {
  for (const json& j : Lines(text)) {
    if (format == "ocsf" && j["class_uid"] == 4001) {
      const uint64_t ws = j["start_time"].get<uint64_t>() / 1000;
      windows->emplace(
          WindowKey(j["dst_endpoint"]["interface_uid"], ws),
          WindowValue(j["end_time"].get<uint64_t>() / 1000, j["count"], j["traffic"]["bytes"],
                      j["traffic"]["packets"], j["unmapped"], j["cloud"]["account"]["uid"]));
    } else if (format == "ocsf") {
      const json& fi = j["finding_info"];
      const json& e = j["evidences"][0];
      const json src = e.value("src_endpoint", json::object());
      const json dst = e.value("dst_endpoint", json::object());
      const json& u = j["unmapped"];
      findings->emplace(
          fi["uid"], FindingValue(u["severity"], j["start_time"].get<uint64_t>() / 1000,
                                  j["end_time"].get<uint64_t>() / 1000,
                                  fi["first_seen_time"].get<uint64_t>() / 1000,
                                  fi["last_seen_time"].get<uint64_t>() / 1000, j["count"],
                                  u["packets"], u["bytes"], u["distinct_dst_ports"],
                                  u["distinct_dsts"], Str(src, "ip") + Str(src, "name"),
                                  Str(dst, "ip") + Str(dst, "name"), Str(dst, "port"),
                                  Str(e.value("connection_info", json::object()), "protocol_num")));
    } else if (format == "ecs" && j["event"]["kind"] == "event") {
      const json& v = j["aws"]["vpcflow"];
      windows->emplace(WindowKey(v["interface_id"], ParseIso(j["event"]["start"])),
                       WindowValue(ParseIso(j["event"]["end"]), v["records"], j["network"]["bytes"],
                                   j["network"]["packets"], v, j["cloud"]["account"]["id"]));
    } else if (format == "ecs") {
      const json& f = j["flowsift"]["finding"];
      const json dst = j.value("destination", json::object());
      const std::string proto = Str(j["network"], "iana_number");
      findings->emplace(
          j["event"]["id"],
          FindingValue(j["event"]["severity"], ParseIso(f["window_start"]),
                       ParseIso(f["window_end"]), ParseIso(j["event"]["start"]),
                       ParseIso(j["event"]["end"]), f["flows"], j["network"]["packets"],
                       j["network"]["bytes"], f["distinct_dst_ports"], f["distinct_dsts"],
                       Str(j.value("source", json::object()), "address"), Str(dst, "address"),
                       Str(dst, "port"), proto));
    } else if (format == "splunk" && j["sourcetype"] == "flowsift:window") {
      const json& e = j["event"];
      EXPECT_EQ(j["time"], e["window_start"]);
      windows->emplace(WindowKey(e["interface_id"], e["window_start"]),
                       WindowValue(e["window_end"], e["records"], e["bytes"], e["packets"], e,
                                   e["vendor_account"]));
    } else if (format == "splunk") {
      const json& e = j["event"];
      findings->emplace(
          e["finding_id"],
          FindingValue(e["severity_id"], e["window_start"], e["window_end"], e["first_seen"],
                       e["last_seen"], e["flows"], e["packets"], e["bytes"],
                       e["distinct_dst_ports"], e["distinct_dsts"], Str(e, "src"), Str(e, "dest"),
                       Str(e, "dest_port"), Str(e, "protocol_number")));
    } else {
      for (const json& f : j["Findings"]) {
        const json& p = f["ProductFields"];
        auto n = [&](const char* key) { return std::stoull(p[key].get<std::string>()); };
        findings->emplace(
            f["Id"].get<std::string>().substr(std::string("flowsift/").size()),
            FindingValue(std::stoull(f["Severity"]["Original"].get<std::string>()),
                         ParseIso(p["flowsift/window_start"]), ParseIso(p["flowsift/window_end"]),
                         ParseIso(f["FirstObservedAt"]), ParseIso(f["LastObservedAt"]),
                         n("flowsift/flows"), n("flowsift/packets"), n("flowsift/bytes"),
                         n("flowsift/distinct_dst_ports"), n("flowsift/distinct_dsts"),
                         Str(p, "flowsift/src"), Str(p, "flowsift/dst"),
                         Str(p, "flowsift/dst_port"), Str(p, "flowsift/protocol")));
      }
    }
  }
}

using ExportRoundTrip = ExportFormatTest;

TEST_P(ExportRoundTrip, EveryRowOnceWithItsNumbers) {
  const std::string format = GetParam();
  const Result r = Export(*dir_, "generated --as " + format + " --account 111122223333");
  ASSERT_EQ(r.code, 0) << r.err;
  Keyed want_windows, want_findings, got_windows, got_findings;
  ExpectedRows(*dir_ / "generated", &want_windows, &want_findings);
  ExportedRows(format, r.out, &got_windows, &got_findings);
  ASSERT_GT(want_windows.size(), 50u);
  ASSERT_EQ(want_findings.size(), 7u);
  if (format == "asff") {
    EXPECT_TRUE(got_windows.empty());
  } else {
    EXPECT_EQ(got_windows, want_windows);
  }
  EXPECT_EQ(got_findings, want_findings);
}

INSTANTIATE_TEST_SUITE_P(Formats, ExportRoundTrip,
                         ::testing::Values<std::string>("ocsf", "ecs", "splunk", "asff"));

// Windows and findings of records without an interface-id have the interface "-": not an
// interface, so no SIEM field names it (interface_uid, aws.vpcflow.interface_id, HEC host and
// dvc, ASFF and OCSF resources); an ASFF finding with no other interface names its source, a
// finding's title names no interface, and an OCSF window, which needs an endpoint, has one named
// for what it stands for. An account "-" (records without an account-id) is left out too.
TEST_F(ExportTest, TheMissingInterfaceIsNotExportedAsOne) {
  const fs::path out = CopyOfSmall("nameless");
  // "-" sorts before "eni-": the rows stay in order.
  const std::string windows = flowsift::testing::ReadZstd(out / kWindowsFile);
  const std::string kNamed = "\neni-0a1b2c3d4e5f60718,";
  const size_t at = windows.find(kNamed) + kNamed.size();
  const std::string account = windows.substr(at, windows.find(',', at) - at);
  ASSERT_EQ(account.size(), 12u) << windows;
  WriteZstd(out / kWindowsFile, Replace(windows, kNamed + account + ",", "\n-,-,"));
  WriteZstd(out / kFindingsFile,
            Replace(Replace(kFindings, "IFACE_A", "-"), "IFACE_B", "eni-0f00000000000000b"));
  const flowsift::testing::SchemaValidator ocsf_window = LoadSchema("ocsf_network_activity");
  for (const char* as : {"ocsf", "ecs", "splunk", "asff"}) {
    // --account for eni-0ffffffffffffffff's finding, which is in no window.
    const Result r = Export(*dir_, std::string("nameless --account 111122223333 --as ") + as);
    ASSERT_EQ(r.code, 0) << as << ": " << r.err;
    for (const char* field :
         {"\"interface_uid\":\"-\"", "\"interface_id\":\"-\"", "\"host\":\"-\"", "\"dvc\":\"-\"",
          "\"uid\":\"-\"", "\"Id\":\"-\"", "network-interface/-", "\"id\":\"-\"",
          "\"vendor_account\":\"-\"", " on -"}) {
      EXPECT_THAT(r.out, Not(HasSubstr(field))) << as;
    }
    if (std::string_view(as) == "ocsf") {
      int nameless = 0;
      for (const json& line : Lines(r.out)) {
        if (line.value("class_uid", 0) != 4001) continue;
        EXPECT_TRUE(ocsf_window.Validate(line).empty()) << line.dump();
        if (line.contains("dst_endpoint") && line["dst_endpoint"].contains("name")) {
          EXPECT_EQ(line["dst_endpoint"]["name"], "records without an interface-id");
          EXPECT_FALSE(line["cloud"].contains("account")) << line.dump();
          ++nameless;
        }
      }
      EXPECT_GT(nameless, 0);
    }
    if (std::string_view(as) == "asff") {
      bool fell_back = false;
      for (const json& body : Lines(r.out)) {
        for (const json& f : body["Findings"]) {
          if (f["Id"] == "flowsift/3f2a9c0d11e5b7a4") {
            EXPECT_EQ(f["Resources"].size(), 1u);
            EXPECT_EQ(f["Resources"][0]["Id"], "203.0.113.12");  // its source
            fell_back = true;
          }
        }
      }
      EXPECT_TRUE(fell_back);
    } else {
      EXPECT_THAT(r.out, HasSubstr("eni-0f00000000000000b")) << as;  // the named one stays
    }
  }
}

// CIM's transport is tcp, udp or icmp: ICMPv6 is icmp, GRE has none (its number stays); ECS
// keeps the IANA keyword.
TEST_F(ExportTest, SplunkTransportIsACimValue) {
  const fs::path out = CopyOfSmall("protocols");
  const std::string findings = SmallFindings();
  const std::string first = findings.substr(0, findings.find('\n') + 1);
  WriteZstd(out / kFindingsFile, Replace(first, "\"protocol\":6", "\"protocol\":58") +
                                     Replace(Replace(first, "\"protocol\":6", "\"protocol\":47"),
                                             "3f2a9c0d11e5b7a4", "3f2a9c0d11e5b7a5"));
  Result r = Export(*dir_, "protocols --as splunk");
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<json> events;
  for (const json& e : Lines(r.out)) {
    if (e["sourcetype"] == "flowsift:finding") events.push_back(e["event"]);
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["transport"], "icmp");
  EXPECT_EQ(events[0]["protocol_number"], 58);
  EXPECT_FALSE(events[1].contains("transport"));
  EXPECT_EQ(events[1]["protocol_number"], 47);
  r = Export(*dir_, "protocols --as ecs");
  EXPECT_THAT(r.out, HasSubstr("\"transport\":\"ipv6-icmp\""));
}

// A finding's flows may lie outside its window (a TRW verdict spans windows): OCSF's interval
// covers both, so `time` (last_seen) is inside it; the window is kept in `unmapped`.
TEST_F(ExportTest, OcsfFindingTimeLiesInItsInterval) {
  const fs::path out = CopyOfSmall("spanning");
  std::string line = std::string(kFindings).substr(0, std::string(kFindings).find('\n') + 1);
  line = Replace(Replace(Replace(line, "IFACE_A", "eni-0a1b2c3d4e5f60718"),
                         "\"first_seen\":1700000000", "\"first_seen\":1699999000"),
                 "\"last_seen\":1700000060", "\"last_seen\":1700009000");
  WriteZstd(out / kFindingsFile, line);
  const Result r = Export(*dir_, "spanning --as ocsf");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<json> lines = Lines(r.out);
  ASSERT_FALSE(lines.empty());
  const json& f = lines.back();
  ASSERT_EQ(f["class_uid"], 2004);
  EXPECT_EQ(f["time"], 1700009000000u);
  EXPECT_EQ(f["start_time"], 1699999000000u);  // first_seen, before the window
  EXPECT_EQ(f["end_time"], 1700009000000u);    // last_seen, after it
  EXPECT_EQ(f["unmapped"]["window_start"], 1699999800000u);
  EXPECT_EQ(f["unmapped"]["window_end"], 1700000100000u);
}

// A technique listed with its sub-technique (brute force: T1110 and T1110.001) is one OCSF
// attack entry, the sub-technique's; it was also an entry of its own, a duplicate.
TEST_F(ExportTest, OcsfAttacksNameATechniqueOnce) {
  const Result r = Export(*dir_, "small --as ocsf");
  ASSERT_EQ(r.code, 0) << r.err;
  bool seen = false;
  for (const json& f : Lines(r.out)) {
    if (f["class_uid"] != 2004 || f["finding_info"]["types"][0] != "brute_force") continue;
    seen = true;
    std::vector<std::string> entries;
    for (const json& a : f["finding_info"]["attacks"]) {
      entries.push_back(a["technique"]["uid"].get<std::string>() + "/" +
                        (a.contains("sub_technique") ? a["sub_technique"]["uid"].get<std::string>()
                                                     : std::string("-")));
    }
    EXPECT_EQ(entries, (std::vector<std::string>{"T1110/T1110.001", "T1021/T1021.001"}));
  }
  EXPECT_TRUE(seen);
}

// OCSF observables (siem.md: recommended for a Detection Finding): the evidence's addresses
// (type_id 2) and the resources' uids (10), named by attribute path without array positions, so
// that a SIEM finds an indicator's address in any event without walking it. A source that is no
// address (an endpoint `name`) is no IP observable.
TEST_F(ExportTest, OcsfFindingsListTheirAddressesAndInterfacesAsObservables) {
  const fs::path out = CopyOfSmall("observables");
  std::string line = std::string(kFindings).substr(0, std::string(kFindings).find('\n') + 1);
  line = Replace(line, "IFACE_A", "eni-0a1b2c3d4e5f60718");
  WriteZstd(out / kFindingsFile,
            line + Replace(Replace(line, "\"src\":\"203.0.113.12\"", "\"src\":\"a-host\""),
                           "3f2a9c0d11e5b7a4", "3f2a9c0d11e5b7a5"));
  const Result r = Export(*dir_, "observables --as ocsf");
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<json> findings;
  for (const json& e : Lines(r.out)) {
    if (e["class_uid"] == 2004) findings.push_back(e);
  }
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0]["observables"], json::parse(R"([
      {"name":"evidences.src_endpoint.ip","type_id":2,"type":"IP Address","value":"203.0.113.12"},
      {"name":"evidences.dst_endpoint.ip","type_id":2,"type":"IP Address","value":"10.0.1.5"},
      {"name":"resources.uid","type_id":10,"type":"Resource UID",
       "value":"eni-0a1b2c3d4e5f60718"}])"));
  EXPECT_EQ(findings[1]["evidences"][0]["src_endpoint"]["name"], "a-host");
  ASSERT_EQ(findings[1]["observables"].size(), 2u);
  EXPECT_EQ(findings[1]["observables"][0]["value"], "10.0.1.5");
}

// A window whose account_id is not 12 digits gives its findings no account ("12345678901-"
// passed for one: '-' sorts below '0').
TEST_F(ExportTest, OnlyTwelveDigitsAreAnAccountForFindings) {
  const fs::path out = CopyOfSmall("oddaccount");
  WriteZstd(out / kWindowsFile, Replace(flowsift::testing::ReadZstd(out / kWindowsFile),
                                        ",123456789012,", ",12345678901-,"));
  const Result r = Export(*dir_, "oddaccount --as ocsf");
  EXPECT_EQ(r.code, 0) << r.err;
  const std::vector<json> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u + 7);
  EXPECT_EQ(lines[0]["cloud"]["account"]["uid"], "12345678901-");  // a window's, as written
  EXPECT_EQ(lines[3]["finding_info"]["uid"], "3f2a9c0d11e5b7a4");
  EXPECT_FALSE(lines[3]["cloud"].contains("account")) << lines[3]["cloud"].dump();
}

TEST_F(ExportTest, AsffNeedsAnAccountAndTakesTheRegion) {
  // eni-0ffffffffffffffff is in no window: without --account that finding has none.
  Result r = Export(*dir_, "small --as asff");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("finding d0d0d0d0d0d0d0d0 (small/findings.jsonl.zst:7): its "
                               "interfaces have no 12-digit account"));
  EXPECT_THAT(r.err, HasSubstr("--account"));
  EXPECT_EQ(r.out, "");  // the export ends there: not the other findings' batches
  r = Export(*dir_, "small --as asff -o a.json");
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(fs::exists(*dir_ / "a.json"));  // nothing half-written

  r = Export(*dir_, "small --as asff --account 111122223333");
  ASSERT_EQ(r.code, 0) << r.err;
  std::map<std::string, std::string> accounts;  // finding id -> AwsAccountId
  const std::vector<json> bodies = Lines(r.out);
  // A batch per account (BatchImportFindings takes only the caller's account's findings), the
  // last partial batches in account order.
  ASSERT_EQ(bodies.size(), 3u);
  std::vector<std::string> batch_accounts;
  for (const json& body : bodies) {
    std::set<std::string> in_batch;
    for (const json& f : body["Findings"]) {
      accounts[f["Id"]] = f["AwsAccountId"];
      in_batch.insert(f["AwsAccountId"]);
      EXPECT_THAT(f["ProductArn"].get<std::string>(), HasSubstr(":securityhub:us-east-1:"));
    }
    ASSERT_EQ(in_batch.size(), 1u) << body.dump();
    batch_accounts.push_back(*in_batch.begin());
  }
  EXPECT_THAT(batch_accounts,
              ::testing::ElementsAre("000000000007", "111122223333", "123456789012"));
  EXPECT_EQ(accounts["flowsift/3f2a9c0d11e5b7a4"], "123456789012");  // from windows.csv
  EXPECT_EQ(accounts["flowsift/5e0c1a9d2b7f4e31"], "000000000007");  // leading zeros kept
  EXPECT_EQ(accounts["flowsift/d0d0d0d0d0d0d0d0"], "111122223333");  // --account

  r = Export(*dir_, "small --as asff --account 111122223333 --region cn-north-1");
  ASSERT_EQ(r.code, 0);
  const json f = Lines(r.out).at(2)["Findings"][0];  // 123456789012's batch
  EXPECT_EQ(f["ProductArn"],
            "arn:aws-cn:securityhub:cn-north-1:123456789012:product/123456789012/default");
  EXPECT_EQ(f["Resources"][0]["Id"],
            "arn:aws-cn:ec2:cn-north-1:123456789012:network-interface/eni-0a1b2c3d4e5f60718");
  // An isolated partition has no Security Hub and no ASFF Partition value: refused, not a
  // Partition "aws-iso-b" that would not import; the other formats take the region.
  r = Export(*dir_, "small --as asff --account 111122223333 --region us-isob-east-1");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("the region us-isob-east-1 is in the aws-iso-b partition"));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Export(*dir_, "small --as ocsf --region us-isob-east-1").code, 0);

  // The region of the inputs' S3 keys, when the manifest has them.
  const fs::path out = CopyOfSmall("s3");
  auto m = json::parse(ReadFile(out / kManifestFile));
  m["inputs"][0]["path"] =
      "AWSLogs/123456789012/vpcflowlogs/eu-west-1/2023/11/14/x_vpcflowlogs_eu-west-1_fl.log.gz";
  WriteFile(out / kManifestFile, m.dump());
  r = Export(*dir_, "s3 --as ocsf");
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(Lines(r.out).at(0)["cloud"]["region"], "eu-west-1");
}

TEST_F(ExportTest, AsffBatchesHoldAtMostOneHundredFindings) {
  const fs::path out = CopyOfSmall("many");
  std::string text;
  for (int i = 0; i < 250; ++i) {
    char id[17];
    std::snprintf(id, sizeof id, "%016x", i);
    text += Replace(Replace(std::string(kFindings).substr(0, std::string(kFindings).find('\n') + 1),
                            "3f2a9c0d11e5b7a4", id),
                    "IFACE_A", "eni-0a1b2c3d4e5f60718");
  }
  WriteZstd(out / kFindingsFile, text);
  const Result r = Export(*dir_, "many --as asff");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<json> bodies = Lines(r.out);
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0]["Findings"].size(), 100u);
  EXPECT_EQ(bodies[1]["Findings"].size(), 100u);
  EXPECT_EQ(bodies[2]["Findings"].size(), 50u);
  EXPECT_EQ(bodies[2]["Findings"][49]["Id"], "flowsift/00000000000000f9");  // file order
}

TEST_F(ExportTest, HelpSaysAsffIsFindingsOnly) {
  const Result r = Export(*dir_, "--help");
  EXPECT_EQ(r.code, 0);
  for (const char* s : {"--as", "-o,--output", "--region", "--account", "FINDINGS ONLY",
                        "windows are not findings", "Exit codes", ".zst"}) {
    EXPECT_THAT(r.out, HasSubstr(s));
  }
}

// Windows of records without an interface-id or account-id (AWS's own NAT-gateway and
// encryption-status example formats) are exported without interface_id / cloud.account (ECS)
// and host / dvc / interface_id / vendor_account (HEC), as docs/export.md says; the schemas had
// required them, and every such window failed its own schema.
TEST_F(ExportTest, NamelessWindowsMatchTheirSchemasInEveryFormat) {
  const fs::path out = CopyOfSmall("nameless-schema");
  const std::string windows = flowsift::testing::ReadZstd(out / kWindowsFile);
  const std::string kNamed = "\neni-0a1b2c3d4e5f60718,";
  const size_t at = windows.find(kNamed) + kNamed.size();
  const std::string account = windows.substr(at, windows.find(',', at) - at);
  WriteZstd(out / kWindowsFile, Replace(windows, kNamed + account + ",", "\n-,-,"));
  const std::vector<std::pair<std::string, std::string>> formats = {
      {"ocsf", "ocsf_network_activity"}, {"ecs", "ecs_window"}, {"splunk", "splunk_hec"}};
  for (const auto& [as, schema] : formats) {
    const flowsift::testing::SchemaValidator validator = LoadSchema(schema);
    const Result r = Export(*dir_, "nameless-schema --account 111122223333 --as " + as);
    ASSERT_EQ(r.code, 0) << as << ": " << r.err;
    int checked = 0;
    for (const json& line : Lines(r.out)) {
      if (as == "ocsf" && line.value("class_uid", 0) != 4001) continue;
      if (as == "ecs" && line["event"].value("kind", "") != "event") continue;
      if (as == "splunk" && line["sourcetype"] != "flowsift:window") continue;
      ++checked;
      EXPECT_TRUE(validator.Validate(line).empty())
          << schema << ": " << ::testing::PrintToString(validator.Validate(line)) << "\n"
          << line.dump();
    }
    EXPECT_GT(checked, 0) << as;
  }
}
}  // namespace
}  // namespace flowsift
