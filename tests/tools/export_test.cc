// `flowsift export` as users run it: every line of every format checked against its JSON
// Schema (tests/schemas/), every window and finding found exactly once with its numbers,
// goldens of a small fixed OUT, atomic and zstd output, exit codes.
//
// OUT directories come from `flowsift run` with a hand-written findings.jsonl.zst holding every
// SPEC 3.2 type, null dst/dst_port/protocol/src and IPv6 peers. To rewrite the goldens after an
// intended change: FLOWSIFT_UPDATE_GOLDEN=1 tools_test --gtest_filter='*ExportGolden*', then
// read the diff before committing it.
#include "pipeline/export.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "pipeline/run.h"
#include "pipeline/summary.h"
#include "pipeline/tables.h"
#include "tests/schema_validator.h"
#include "tests/test_util.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using flowsift::testing::ReadFile;
using flowsift::testing::WriteFile;
using flowsift::testing::WriteZstd;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const char kLog[] =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.12 10.0.1.5 49152 22 6 3 180 1700000000 "
    "1700000050 REJECT OK\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 198.51.100.7 443 51000 6 1200 1500000 "
    "1700000100 1700000160 ACCEPT OK\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1700000700 1700000760 - NODATA\n"
    "2 000000000007 eni-0f00000000000000b 2001:db8::7 10.0.2.9 5432 40000 6 18 2300000000 "
    "1700000720 1700000780 ACCEPT OK\n"
    "2 000000000007 eni-0f00000000000000b 192.0.2.44 10.0.2.9 55555 3389 6 2 120 1700000800 "
    "1700000810 REJECT OK\n";

// Findings of every SPEC 3.2 type; IFACE_A and IFACE_B are replaced by interfaces of the OUT,
// eni-0ffffffffffffffff is in no window (its account is --account's).
const char kFindings[] =
    R"({"id":"3f2a9c0d11e5b7a4","type":"port_scan","severity":3,"mitre":["T1046","T1595.001"],"src":"203.0.113.12","dst":"10.0.1.5","dst_port":null,"protocol":6,"interfaces":["IFACE_A"],"window_start":1699999800,"window_end":1700000100,"first_seen":1700000000,"last_seen":1700000060,"flows":40,"packets":41,"bytes":2400,"distinct_dst_ports":40,"distinct_dsts":1,"evidence":{"failed_ports":40,"threshold":{"failed_ports":15},"sample_ports":[22,23]},"summary":"external host 203.0.113.12 probed 40 ports of 10.0.1.5"})"
    "\n"
    R"({"id":"0badc0ffee000001","type":"port_sweep","severity":2,"mitre":["T1046","T1018"],"src":"203.0.113.99","dst":null,"dst_port":22,"protocol":6,"interfaces":["IFACE_A","IFACE_B"],"window_start":1699999800,"window_end":1700000400,"first_seen":1700000001,"last_seen":1700000301,"flows":64,"packets":64,"bytes":3840,"distinct_dst_ports":1,"distinct_dsts":64,"evidence":{"distinct_dsts":64},"summary":"external host 203.0.113.99 tried port 22 on 64 hosts"})"
    "\n"
    R"({"id":"0badc0ffee000002","type":"scan_trw","severity":2,"mitre":["T1595"],"src":"2001:db8:bad::1","dst":null,"dst_port":null,"protocol":null,"interfaces":["IFACE_A"],"window_start":1699999800,"window_end":1700000400,"first_seen":1700000002,"last_seen":1700000302,"flows":12,"packets":12,"bytes":720,"distinct_dst_ports":3,"distinct_dsts":12,"evidence":{"log_likelihood_ratio":4.7},"summary":"2001:db8:bad::1 failed 12 of its first 12 connections"})"
    "\n"
    R"({"id":"a07d5c22e9f18b60","type":"brute_force","severity":2,"mitre":["T1110","T1110.001","T1021.001"],"src":"192.0.2.44","dst":"10.0.2.9","dst_port":3389,"protocol":6,"interfaces":["IFACE_B"],"window_start":1700000400,"window_end":1700002200,"first_seen":1700000800,"last_seen":1700000810,"flows":31,"packets":62,"bytes":3720,"distinct_dst_ports":1,"distinct_dsts":1,"evidence":{"attempts":31},"summary":"192.0.2.44 tried \"RDP\" on 10.0.2.9 31 times"})"
    "\n"
    R"({"id":"5e0c1a9d2b7f4e31","type":"exfiltration","severity":4,"mitre":["T1048","T1041","T1030"],"src":"2001:db8::7","dst":null,"dst_port":null,"protocol":null,"interfaces":["IFACE_B"],"window_start":1700000400,"window_end":1700004000,"first_seen":1700000720,"last_seen":1700000780,"flows":1,"packets":18,"bytes":2300000000,"distinct_dst_ports":1,"distinct_dsts":1,"evidence":{"bytes_out_external":2300000000,"top_dsts":["198.51.100.7"]},"summary":"internal host 2001:db8::7 sent 2.3 GB to 1 external destination"})"
    "\n"
    R"({"id":"c4b3f2e1d0a99887","type":"reject_spike","severity":1,"mitre":[],"src":null,"dst":null,"dst_port":null,"protocol":null,"interfaces":["IFACE_B"],"window_start":1700000400,"window_end":1700001000,"first_seen":1700000800,"last_seen":1700000810,"flows":1,"packets":2,"bytes":120,"distinct_dst_ports":1,"distinct_dsts":1,"evidence":{},"summary":"interface rejected flows rose above their baseline"})"
    "\n"
    R"({"id":"d0d0d0d0d0d0d0d0","type":"ddos_fan_in","severity":4,"mitre":["T1498.001","T1499","T9999"],"src":"198.51.100.0","dst":"2001:db8::80","dst_port":443,"protocol":17,"interfaces":["eni-0ffffffffffffffff"],"window_start":1700000400,"window_end":1700001000,"first_seen":1700000400,"last_seen":1700000999,"flows":90000,"packets":900000,"bytes":54000000,"distinct_dst_ports":1,"distinct_dsts":1,"evidence":{"distinct_srcs":5000},"summary":"5000 sources flooded 2001:db8::80 port 443"})"
    "\n";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

// The findings of the `small` output: kFindings on its two interfaces.
std::string SmallFindings() {
  return Replace(Replace(kFindings, "IFACE_A", "eni-0a1b2c3d4e5f60718"), "IFACE_B",
                 "eni-0f00000000000000b");
}

struct Result {
  int code;
  std::string out, err;
};

Result Export(const fs::path& dir, const std::string& args) {
  const fs::path err = dir / "stderr.txt";
  const auto r = flowsift::testing::RunCommand("cd '" + dir.string() + "' && " + FLOWSIFT_BINARY +
                                               " export " + args + " 2>'" + err.string() + "'");
  return {r.code, r.out, ReadFile(err)};
}

std::vector<json> Lines(const std::string& text) {
  std::vector<json> v;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) v.push_back(json::parse(line));
  return v;
}

uint64_t ParseIso(const std::string& s) {
  std::tm tm{};
  EXPECT_NE(strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm), nullptr) << s;
  return static_cast<uint64_t>(timegm(&tm));
}

// The interfaces of windows.csv.zst in order of first appearance.
std::vector<std::string> Interfaces(const fs::path& out) {
  CsvTableReader reader;
  std::string error;
  EXPECT_TRUE(reader.Open((out / kWindowsFile).string(), &error)) << error;
  std::vector<std::string> fields, ids;
  while (reader.Next(&fields)) {
    if (ids.empty() || ids.back() != fields[0]) ids.push_back(fields[0]);
  }
  return ids;
}

// Two OUT directories shared by every test: `small` from kLog (goldens), `generated` from
// `flowsift gen` (schemas, round trips). Both get kFindings.
class ExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ =
        new fs::path(fs::temp_directory_path() / ("flowsift-export-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    WriteFile(*dir_ / "in" / "a.log", kLog);
    const fs::path cwd = fs::current_path();
    fs::current_path(*dir_);
    RunOptions opt;
    opt.inputs = {"in"};
    opt.out_dir = "small";
    opt.threads = 2;
    opt.version = "test";
    const RunResult r = flowsift::Run(opt, nullptr);
    fs::current_path(cwd);
    ASSERT_EQ(r.exit_code, 0) << r.error;
    WriteZstd(*dir_ / "small" / kFindingsFile, SmallFindings());

    const std::string bin = FLOWSIFT_BINARY;
    const std::string d = dir_->string();
    ASSERT_EQ(flowsift::testing::RunCommand(bin + " gen -o " + d +
                                            "/data --records 40000 --interfaces 12 --seed 3 "
                                            "--attacks all >/dev/null 2>&1")
                  .code,
              0);
    ASSERT_EQ(
        flowsift::testing::RunCommand(bin + " run " + d + "/data -o " + d + "/generated -j 2 2>&1")
            .code,
        0);
    const std::vector<std::string> ids = Interfaces(*dir_ / "generated");
    ASSERT_GE(ids.size(), 2u);
    WriteZstd(*dir_ / "generated" / kFindingsFile,
              Replace(Replace(kFindings, "IFACE_A", ids[0]), "IFACE_B", ids[1]));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  // A fresh copy of the `small` output named `name`, for a test to damage.
  static fs::path CopyOfSmall(const std::string& name) {
    const fs::path out = *dir_ / name;
    fs::remove_all(out);
    fs::copy(*dir_ / "small", out);
    return out;
  }
  static fs::path* dir_;
};
fs::path* ExportTest::dir_ = nullptr;

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

// ---------------------------------------------------------------------------------------------
// Behaviour.

TEST_F(ExportTest, WritesFilesAtomicallyAndZstdWhenNamedSo) {
  const fs::path dir = *dir_ / "files";
  fs::create_directories(dir);
  const Result stdout_run = Export(*dir_, "small --as ecs");
  ASSERT_EQ(stdout_run.code, 0);
  WriteFile(dir / "e.jsonl", "old content\n");
  Result r = Export(*dir_, "small --as ecs -o files/e.jsonl");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(ReadFile(dir / "e.jsonl"), stdout_run.out);  // replaced whole
  // A file made private stays private when replaced (it had become 0644 by the umask).
  fs::permissions(dir / "e.jsonl", fs::perms::owner_read | fs::perms::owner_write);
  r = Export(*dir_, "small --as ecs -o files/e.jsonl");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(fs::status(dir / "e.jsonl").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  r = Export(*dir_, "small --as ecs --output files/e.jsonl.zst");
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string packed = ReadFile(dir / "e.jsonl.zst");
  EXPECT_EQ(packed.substr(0, 4), std::string("\x28\xB5\x2F\xFD", 4));  // zstd magic
  EXPECT_EQ(flowsift::testing::DecodeZstd(packed), stdout_run.out);
  // No temporary file is left behind.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"e.jsonl", "e.jsonl.zst"}));
  EXPECT_EQ(Export(*dir_, "small --as ocsf -o -").out, Export(*dir_, "small --as ocsf").out);
  // The extension in capitals is zstd too; a gzip name (which held plain text) is refused.
  r = Export(*dir_, "small --as ecs --output files/E.JSONL.ZST");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(flowsift::testing::DecodeZstd(ReadFile(dir / "E.JSONL.ZST")), stdout_run.out);
  r = Export(*dir_, "small --as ecs --output files/e.jsonl.gz");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("zstd only"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "e.jsonl.gz"));
  for (const char* name : {"e.jsonl.gzip", "e.jsonl.bz2", "e.jsonl.xz", "e.jsonl.lz4"}) {
    r = Export(*dir_, std::string("small --as ecs --output files/") + name);
    EXPECT_EQ(r.code, 2) << name;
    EXPECT_NE(r.err.find("zstd only"), std::string::npos) << name << ": " << r.err;
    EXPECT_FALSE(fs::exists(dir / name)) << name;
  }
}

// Only a regular file is replaced by a renamed temporary: a FIFO (or a device such as
// /dev/null) is written in place, and a symbolic link stays a link to the file it names
// (renaming over -o /dev/full had made it a regular file).
TEST_F(ExportTest, PipesAndLinksAreWrittenThroughNotReplaced) {
  const std::string stdout_lines = Export(*dir_, "small --as ecs").out;
  ASSERT_FALSE(stdout_lines.empty());
  const fs::path pipe = *dir_ / "pipe";
  fs::remove(pipe);
  ASSERT_EQ(::mkfifo(pipe.c_str(), 0600), 0);
  // The export runs in the background (with `cd`), a reader drains the pipe (not forever, if
  // the pipe was replaced and has no writer), and `wait`
  // gives the export's exit code.
  Result r = Export(*dir_, "small --as ecs -o pipe & timeout 20 cat '" + pipe.string() + "' > '" +
                               (*dir_ / "from-pipe.txt").string() + "'; wait $!");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_fifo(pipe));
  EXPECT_EQ(ReadFile(*dir_ / "from-pipe.txt"), stdout_lines);
  fs::remove(pipe);
  for (const char* name : {"to.jsonl", "link.jsonl", "dangling.jsonl", "made.jsonl"}) {
    fs::remove(*dir_ / name);
  }
  std::ofstream(*dir_ / "to.jsonl") << "old\n";
  fs::create_symlink("to.jsonl", *dir_ / "link.jsonl");
  r = Export(*dir_, "small --as ecs -o link.jsonl");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(*dir_ / "link.jsonl"));
  EXPECT_EQ(ReadFile(*dir_ / "to.jsonl"), stdout_lines);
  fs::create_symlink("made.jsonl", *dir_ / "dangling.jsonl");
  r = Export(*dir_, "small --as ecs -o dangling.jsonl");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(*dir_ / "dangling.jsonl"));
  EXPECT_EQ(ReadFile(*dir_ / "made.jsonl"), stdout_lines);
  for (const auto& e : fs::directory_iterator(*dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

TEST_F(ExportTest, UnwritableOutputExitsThreeAndLeavesNothing) {
  Result r = Export(*dir_, "small --as ocsf -o nowhere/x.jsonl");
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("cannot create nowhere/x.jsonl"));
  EXPECT_FALSE(fs::exists(*dir_ / "nowhere"));
  r = Export(*dir_, "small --as ocsf -o small");  // a directory
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("cannot write small: Is a directory"));
  EXPECT_TRUE(fs::exists(*dir_ / "small" / kManifestFile));
  for (const auto& e : fs::directory_iterator(*dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
  if (fs::exists("/dev/full")) {
    r = Export(*dir_, "generated --as splunk > /dev/full");
    EXPECT_EQ(r.code, 3);
    EXPECT_THAT(r.err, HasSubstr("cannot write"));
  }
}

// An export killed by SIGKILL leaves its temporary behind; the next export to the same FILE
// removes it once no live export holds its lock, and says so. A locked one (a live export's) is
// never taken, however old; nor a young one, another host's, an older version's unlabelled one,
// or another FILE's.
TEST_F(ExportTest, ATemporaryLeftByAKilledExportIsRemovedByTheNextExport) {
  const fs::path dir = *dir_ / "stale";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string host = HostForFileName();
  const std::string dead = ".e.jsonl.tmp-" + host + "-abcdef";
  const std::vector<std::string> kept = {
      ".e.jsonl.tmp-" + host + "-ghijkl",  // locked below: a live export's
      ".e.jsonl.tmp-" + host + "-mnopqr",  // young: made old below it is not
      ".e.jsonl.tmp-elsewhere-abcdef",     // another host's
      ".e.jsonl.tmp-abcdef",               // an older version's, which held no lock
      ".f.jsonl.tmp-" + host + "-abcdef",  // another FILE's
  };
  const auto two_minutes_ago = fs::file_time_type::clock::now() - std::chrono::minutes(2);
  for (const std::string& name : kept) WriteFile(dir / name, "half an export\n");
  WriteFile(dir / dead, "half an export\n");
  for (const std::string& name : {dead, kept[0], kept[2], kept[3], kept[4]}) {
    fs::last_write_time(dir / name, two_minutes_ago);
  }
  const int live = ::open((dir / kept[0]).c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(live, 0);
  ASSERT_EQ(::flock(live, LOCK_EX | LOCK_NB), 0);
  const Result r = Export(*dir_, "small --as ecs -o stale/e.jsonl");
  ::close(live);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("note: removed stale/" + dead +
                               ", the temporary output of an export that did not finish"));
  EXPECT_EQ(ReadFile(dir / "e.jsonl"), Export(*dir_, "small --as ecs").out);
  std::vector<std::string> names, want = kept;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  want.push_back("e.jsonl");
  std::sort(names.begin(), names.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(names, want);  // the dead one gone, the export's own temporary too
}

// A FILE whose name the file system takes is written, however long: the temporary's longer
// name failed with "File name too long" (exit 3) from 245 bytes on.
TEST_F(ExportTest, AFileOfTheLongestNameIsWritten) {
  const std::string name = std::string(249, 'a') + ".json";  // 254 bytes
  fs::remove(*dir_ / name);
  const Result r = Export(*dir_, "small --as ocsf -o " + name);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ReadFile(*dir_ / name), Export(*dir_, "small --as ocsf").out);
  fs::remove(*dir_ / name);
}

// One name longer than the file system takes is refused before the export, named as given: it
// had been exported whole to the temporary (cut to fit), then failed at the rename naming that
// removed temporary.
TEST_F(ExportTest, AFileNameTooLongIsRefusedFirst) {
  const std::string name = std::string(300, 'a') + ".json";
  const Result r = Export(*dir_, "small --as ocsf -o " + name);
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("flowsift: cannot write " + name + ": File name too long\n"));
  EXPECT_THAT(r.err, Not(HasSubstr(".tmp-"))) << r.err;
  for (const auto& e : fs::directory_iterator(*dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

// A failed write says why, and names the FILE given: stdout's had said only "cannot write
// stdout", and a .zst FILE's named its removed temporary (".x.jsonl.zst.tmp-...: File too large").
TEST_F(ExportTest, AFailedWriteSaysWhyAndNamesTheFileGiven) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  // More than stdout's 1 MiB buffer (a write fails: 4,000 windows of ~650 bytes), and less
  // (Finish's flush fails).
  const fs::path many = CopyOfSmall("many");
  std::string csv = std::string(WindowsHeader()) + "\n";
  for (int i = 0; i < 4000; ++i) {
    csv += "eni-0a1b2c3d4e5f60718,123456789012," + std::to_string(1700000000 + 600 * i) + "," +
           std::to_string(1700000600 + 600 * i) + ",1,0,0,1,0,1,1,0,0,0,1,1,1\n";
  }
  WriteZstd(many / kWindowsFile, csv);
  for (const char* args : {"many --as splunk > /dev/full", "small --as splunk > /dev/full"}) {
    const Result r = Export(*dir_, args);
    EXPECT_EQ(r.code, 3) << args;
    EXPECT_THAT(r.err, HasSubstr("cannot write to stdout: No space left on device")) << args;
  }
  for (const char* name : {"limited.jsonl.zst", "limited.jsonl"}) {
    const auto r = flowsift::testing::RunCommand(
        "cd '" + dir_->string() + "' && ulimit -f 1 && " + FLOWSIFT_BINARY +
        " export generated --as ocsf -o " + name + " 2>&1");
    EXPECT_EQ(r.code, 3) << r.out;
    EXPECT_THAT(r.out, HasSubstr(std::string("cannot write ") + name + ": File too large"));
    EXPECT_THAT(r.out, Not(HasSubstr(".tmp-")));
    EXPECT_FALSE(fs::exists(*dir_ / name));
  }
}

TEST_F(ExportTest, UsageErrorsExitTwo) {
  for (const char* args : {"small", "small --as xml", "--as ocsf", "small --as ocsf --bogus",
                           "small --as asff --account 12345", "small --as ocsf --region mars",
                           "small --as ocsf --account 11112222333x"}) {
    EXPECT_EQ(Export(*dir_, args).code, 2) << args;
  }
  Result r = Export(*dir_, "nowhere --as ocsf");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("nowhere: no such directory"));
  r = Export(*dir_, "in --as ocsf");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("in is not a flowsift output directory"));
  auto m = json::parse(ReadFile(*dir_ / "small" / kManifestFile));
  m["format_version"] = kOutputFormatVersion + 1;
  WriteFile(*dir_ / "future" / kManifestFile, m.dump());
  r = Export(*dir_, "future --as ocsf");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("this flowsift reads format version"));
}

// An export aimed at one of the summary's own files would replace the table it reads.
TEST_F(ExportTest, RefusesToOverwriteAFileOfTheSummary) {
  const fs::path out = CopyOfSmall("self");
  const std::string before = ReadFile(out / "windows.csv.zst");
  fs::create_symlink(out / "windows.csv.zst", *dir_ / "w.lnk");  // through a link too
  for (const char* target :
       {"self/windows.csv.zst", "self/./manifest.json", "./self/windows.csv.zst", "w.lnk",
        "self/../self/findings.jsonl.zst"}) {
    const Result r = Export(*dir_, std::string("self --as ocsf -o ") + target);
    EXPECT_EQ(r.code, 2) << target;
    EXPECT_THAT(r.err, HasSubstr("the summary being exported")) << target;
  }
  EXPECT_EQ(ReadFile(out / "windows.csv.zst"), before);
  // Another file inside it is not one of its tables: written, and written again.
  EXPECT_EQ(Export(*dir_, "self --as ocsf -o self/events.ndjson").code, 0);
  EXPECT_EQ(Export(*dir_, "self --as ocsf -o self/events.ndjson").code, 0);
  EXPECT_TRUE(fs::exists(out / "events.ndjson"));
}

// Nor one of another output: it had become the events, and show and merge read it as corrupt.
TEST_F(ExportTest, RefusesToOverwriteAFileOfAnotherOutput) {
  const fs::path other = CopyOfSmall("other");
  const std::string windows = ReadFile(other / "windows.csv.zst");
  const std::string manifest = ReadFile(other / "manifest.json");
  for (const char* target :
       {"other/windows.csv.zst", "other/manifest.json", "./other/../other/findings.jsonl.zst"}) {
    const Result r = Export(*dir_, std::string("small --as ocsf -o ") + target);
    EXPECT_EQ(r.code, 2) << target;
    EXPECT_THAT(r.err, HasSubstr("an output of flowsift that the export would damage")) << target;
  }
  EXPECT_EQ(ReadFile(other / "windows.csv.zst"), windows);
  EXPECT_EQ(ReadFile(other / "manifest.json"), manifest);
  // A table's name in a directory that is no output is a file like any other.
  fs::create_directories(*dir_ / "plain");
  EXPECT_EQ(Export(*dir_, "small --as ocsf -o plain/windows.csv.zst").code, 0);
  EXPECT_TRUE(fs::exists(*dir_ / "plain" / "windows.csv.zst"));
}

TEST_F(ExportTest, CorruptTablesExitOneNamingFileAndLine) {
  const fs::path out = CopyOfSmall("corrupt");
  // A bad finding on line 3: it is named and skipped, the findings before and after it are
  // exported, in every format.
  const std::string good = SmallFindings();
  const std::string two = good.substr(0, good.find('\n', good.find('\n') + 1) + 1);
  const std::string rest = good.substr(two.size());  // five more findings
  WriteZstd(out / kFindingsFile,
            two + R"({"id":"0000000000000bad","type":"port_scan","severity":9})" + "\n" + rest);
  for (const char* as : {"splunk", "ocsf", "ecs", "asff --account 111122223333"}) {
    const Result r = Export(*dir_, std::string("corrupt --as ") + as);
    EXPECT_EQ(r.code, 1) << as;
    EXPECT_THAT(r.err, HasSubstr("corrupt/findings.jsonl.zst:3: not a finding: `severity` must "
                                 "be 1..4, not 9"))
        << as;
    if (std::string(as) == "splunk") {
      EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3 + 7);  // 3 windows, 7 findings
    } else if (std::string(as).starts_with("asff")) {
      // A request body per account (three), the windows are not findings.
      size_t findings = 0;
      for (const json& body : Lines(r.out)) findings += body["Findings"].size();
      EXPECT_EQ(Lines(r.out).size(), 3u);
      EXPECT_EQ(findings, 7u);
    } else {
      EXPECT_EQ(Lines(r.out).size(), 3u + 7) << as;
    }
  }
  WriteZstd(out / kFindingsFile, two + "\n{oops\n" + rest);
  Result r = Export(*dir_, "corrupt --as ocsf -o corrupt.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("corrupt/findings.jsonl.zst:4: not valid JSON"));
  EXPECT_EQ(Lines(ReadFile(*dir_ / "corrupt.jsonl")).size(), 3u + 7);  // the readable rows

  // Many bad lines: the first 10 are named, the rest counted.
  std::string garbage;
  for (int i = 0; i < 25; ++i) garbage += "[" + std::to_string(i) + "]\n";
  WriteZstd(out / kFindingsFile, two + garbage + rest);
  r = Export(*dir_, "corrupt --as ocsf");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("corrupt/findings.jsonl.zst:12: not a JSON object"));
  EXPECT_THAT(r.err, Not(HasSubstr("corrupt/findings.jsonl.zst:13:")));
  EXPECT_THAT(r.err, HasSubstr("corrupt/findings.jsonl.zst: 15 more unreadable rows skipped (25 "
                               "in all)"));
  EXPECT_EQ(Lines(r.out).size(), 3u + 7);

  // A window with a non-number on line 3: named and skipped; the windows before and after it
  // and every finding are exported.
  std::string csv = flowsift::testing::ReadZstd(out / kWindowsFile);
  const size_t line3 = csv.find('\n', csv.find('\n') + 1) + 1;
  csv.replace(csv.find(",1700001000,", line3), 12, ",17000O1000,");
  WriteZstd(out / kWindowsFile, csv);
  WriteZstd(out / kFindingsFile, good);
  r = Export(*dir_, "corrupt --as ecs");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("corrupt/windows.csv.zst:3: column `window_end`: '17000O1000' is "
                               "not an unsigned integer"));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2 + 7);

  const std::string packed = ReadFile(*dir_ / "small" / kWindowsFile);
  WriteFile(out / kWindowsFile, packed.substr(0, packed.size() - 6));
  r = Export(*dir_, "corrupt --as ocsf");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("corrupt/windows.csv.zst"));
  fs::remove(out / kFindingsFile);
  r = Export(*dir_, "corrupt --as asff --account 111122223333");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot open corrupt/findings.jsonl.zst"));
}

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

// Bad rows in the middle of both tables, in every format: each is named with its line and
// skipped, the rows after it are exported (and still give the findings their accounts), exit 1,
// and FILE is still written.
TEST_F(ExportTest, RowsAfterAnUnreadableRowAreExportedInEveryFormat) {
  const fs::path out = CopyOfSmall("bad-rows");
  // windows.csv.zst: the header, then the window of IFACE_A at 1699999800, a row of 3 fields,
  // a row with a quote inside an unquoted field, and the window of IFACE_B, which is the only
  // source of IFACE_B's account.
  const std::string csv = flowsift::testing::ReadZstd(out / kWindowsFile);
  const size_t line2 = csv.find('\n') + 1, line3 = csv.find('\n', line2) + 1;
  const size_t line4 = csv.find('\n', line3) + 1;
  ASSERT_NE(csv.find("eni-0f00000000000000b,000000000007,", line4), std::string::npos);
  const std::string quoted =
      Replace(csv.substr(line3, line4 - line3), ",123456789012,", ",1234\"5678\"9012,");
  WriteZstd(out / kWindowsFile, csv.substr(0, line3) +
                                    "eni-0a1b2c3d4e5f60718,123456789012,1700000400\n" + quoted +
                                    csv.substr(line4));
  // findings.jsonl.zst: a line that is not JSON first, then every finding.
  const std::string good = SmallFindings();
  WriteZstd(out / kFindingsFile, "{oops\n" + good);
  for (const std::string as : {"splunk", "ocsf", "ecs", "asff --account 111122223333"}) {
    const Result r = Export(*dir_, "bad-rows --as " + as);
    EXPECT_EQ(r.code, 1) << as;
    EXPECT_THAT(r.err, HasSubstr("bad-rows/windows.csv.zst:3: 3 fields, the header has 17")) << as;
    EXPECT_THAT(r.err, HasSubstr("bad-rows/windows.csv.zst:4: malformed CSV quoting")) << as;
    EXPECT_THAT(r.err, HasSubstr("bad-rows/findings.jsonl.zst:1: not valid JSON")) << as;
    if (as.starts_with("asff")) {
      // One batch per account (BatchImportFindings takes one account's findings).
      const std::vector<json> bodies = Lines(r.out);
      ASSERT_EQ(bodies.size(), 3u) << r.err;
      std::map<std::string, std::string> accounts;  // finding id -> AwsAccountId
      for (const json& body : bodies) {
        for (const json& f : body["Findings"]) accounts[f["Id"]] = f["AwsAccountId"];
      }
      EXPECT_EQ(accounts.size(), 7u);
      // From the windows before and after the bad rows, not --account.
      EXPECT_EQ(accounts["flowsift/3f2a9c0d11e5b7a4"], "123456789012");
      EXPECT_EQ(accounts["flowsift/a07d5c22e9f18b60"], "000000000007");
      EXPECT_EQ(accounts["flowsift/d0d0d0d0d0d0d0d0"], "111122223333");
      continue;
    }
    const std::vector<json> lines = Lines(r.out);
    ASSERT_EQ(lines.size(), 2u + 7) << as;  // the windows before and after, every finding
    EXPECT_THAT(lines[1].dump(), HasSubstr("eni-0f00000000000000b")) << as;
    // The finding on IFACE_B has the account of the window after the bad rows.
    EXPECT_THAT(lines[2 + 3].dump(), HasSubstr("a07d5c22e9f18b60")) << as;
    EXPECT_THAT(lines[2 + 3].dump(), HasSubstr("000000000007")) << as;
  }
  Result r = Export(*dir_, "bad-rows --as ecs -o bad-rows.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(Lines(ReadFile(*dir_ / "bad-rows.jsonl")).size(), 2u + 7);
  for (const auto& entry : fs::directory_iterator(*dir_)) {
    EXPECT_FALSE(entry.path().filename().string().starts_with(".bad-rows.jsonl.tmp-"));
  }

  // With whole windows, the findings after a line that is not JSON still get the accounts of
  // their interfaces' windows (the first pass over the findings stopped at that line, so ASFF
  // gave them --account's).
  WriteZstd(out / kWindowsFile, csv);
  r = Export(*dir_, "bad-rows --as asff --account 111122223333");
  EXPECT_EQ(r.code, 1);
  std::map<std::string, std::string> account_of;  // finding id -> AwsAccountId
  for (const json& body : Lines(r.out)) {
    for (const json& f : body["Findings"]) account_of[f["Id"]] = f["AwsAccountId"];
  }
  ASSERT_EQ(account_of.size(), 7u) << r.err;
  EXPECT_EQ(account_of["flowsift/3f2a9c0d11e5b7a4"], "123456789012");
  EXPECT_EQ(account_of["flowsift/a07d5c22e9f18b60"], "000000000007");
}

// A table whose zstd data cannot be decompressed past some point ends there: the rows before
// it are exported, the damage is named, and the next table is still exported (exit 1).
// Gaps that mutants of pipeline/export.cc survived.

// An OUT without findings (`run --no-detect`, a quiet night) exports every window: the windows
// were read only when a finding named an interface (a mutant skipping them passed every test).
TEST_F(ExportTest, AnOutWithoutFindingsExportsItsWindows) {
  const fs::path out = CopyOfSmall("quiet");
  WriteZstd(out / kFindingsFile, "");
  for (const char* as : {"ocsf", "ecs", "splunk"}) {
    const Result r = Export(*dir_, std::string("quiet --as ") + as);
    EXPECT_EQ(r.code, 0) << as << ": " << r.err;
    EXPECT_EQ(Lines(r.out).size(), 3u) << as;
  }
  const Result r = Export(*dir_, "quiet --as asff");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

// Blank lines between findings are passed over (exit 0), and a bad row after them is named by
// its own line.
TEST_F(ExportTest, BlankLinesBetweenFindingsArePassedOver) {
  const fs::path out = CopyOfSmall("blank");
  const std::string good = SmallFindings();
  const std::string first = good.substr(0, good.find('\n') + 1);
  WriteZstd(out / kFindingsFile, "\n" + first + "  \n\r\n" + good.substr(first.size()));
  Result r = Export(*dir_, "blank --as ecs");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 3u + 7);
  WriteZstd(out / kFindingsFile, "\n" + first + "  \n[1]\n");
  r = Export(*dir_, "blank --as ecs");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("blank/findings.jsonl.zst:4: not a JSON object"));
}

// Exactly 10 bad rows are all named, with no "0 more unreadable rows" line.
TEST_F(ExportTest, TenBadRowsAreAllNamedAndNoneCounted) {
  const fs::path out = CopyOfSmall("ten");
  std::string garbage;
  for (int i = 0; i < 10; ++i) garbage += "[" + std::to_string(i) + "]\n";
  WriteZstd(out / kFindingsFile, garbage + SmallFindings());
  const Result r = Export(*dir_, "ten --as ocsf");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("ten/findings.jsonl.zst:10: not a JSON object"));
  EXPECT_THAT(r.err, Not(HasSubstr("more unreadable rows"))) << r.err;
}

// Eleven bad rows: the one past the ten named is counted in the singular, as every count the
// commands print is ("1 more unreadable rows skipped" before).
TEST_F(ExportTest, OneBadRowPastTheTenNamedIsCountedInTheSingular) {
  const fs::path out = CopyOfSmall("eleven");
  std::string garbage;
  for (int i = 0; i < 11; ++i) garbage += "[" + std::to_string(i) + "]\n";
  WriteZstd(out / kFindingsFile, garbage + SmallFindings());
  const Result r = Export(*dir_, "eleven --as ocsf");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("eleven/findings.jsonl.zst: 1 more unreadable row skipped (11 in "
                               "all)\n"))
      << r.err;
}

// A finding ASFF cannot name an account for is a usage error (exit 2, FILE not written) also
// after a bad row: the bad row's exit 1 had won, and FILE was written without that finding and
// those after it.
TEST_F(ExportTest, AsffWithoutAnAccountAfterABadRowIsStillAUsageError) {
  const fs::path out = CopyOfSmall("badthenusage");
  WriteZstd(out / kFindingsFile, "{oops\n" + SmallFindings());
  const Result r = Export(*dir_, "badthenusage --as asff -o badthenusage.json");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("badthenusage/findings.jsonl.zst:1: not valid JSON"));
  EXPECT_THAT(r.err, HasSubstr("finding d0d0d0d0d0d0d0d0"));
  EXPECT_FALSE(fs::exists(*dir_ / "badthenusage.json"));
}

// The accounts' first pass keeps its reports only when it fails: without --account, a bad row
// among findings that all have accounts is named once (the first pass's report of it had been
// kept too), exit 1, and the findings around it still go out (not ended as a failed check).
TEST_F(ExportTest, AsffWithoutAnAccountNamesABadRowOnceAndExportsTheRest) {
  const fs::path out = CopyOfSmall("badbetween");
  const std::string first = SmallFindings().substr(0, SmallFindings().find('\n') + 1);
  WriteZstd(out / kFindingsFile,
            first + "{oops\n" + Replace(first, "3f2a9c0d11e5b7a4", "3f2a9c0d11e5b7a5"));
  const Result r = Export(*dir_, "badbetween --as asff");
  EXPECT_EQ(r.code, 1) << r.err;
  const std::string bad = "badbetween/findings.jsonl.zst:2: not valid JSON";
  ASSERT_THAT(r.err, HasSubstr(bad));
  EXPECT_EQ(r.err.find(bad), r.err.rfind(bad)) << r.err;
  const std::vector<json> batches = Lines(r.out);
  ASSERT_EQ(batches.size(), 1u) << r.out;
  EXPECT_EQ(batches[0]["Findings"].size(), 2u);
}

// A finding without an account is a usage error for the whole ASFF export, also to stdout after
// batches of other findings: 1,000 findings with an account came first, 10 full batches, more
// than stdout's 1 MiB buffer, and went out before the error (a pipe into batch-import-findings
// had imported them, and the last partial batches not).
TEST_F(ExportTest, AsffWithoutAnAccountWritesNoBatchToStdout) {
  const fs::path out = CopyOfSmall("latenoaccount");
  const std::string first = SmallFindings().substr(0, SmallFindings().find('\n') + 1);
  std::string text;
  for (int i = 0; i < 1000; ++i) {
    char id[17];
    std::snprintf(id, sizeof id, "%016x", i);
    text += Replace(first, "3f2a9c0d11e5b7a4", id);
  }
  const std::string all = SmallFindings();
  text += all.substr(all.find(R"({"id":"d0d0d0d0d0d0d0d0")"));  // eni-0ff..: in no window
  WriteZstd(out / kFindingsFile, text);
  Result r = Export(*dir_, "latenoaccount --as asff");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("finding d0d0d0d0d0d0d0d0 (latenoaccount/findings.jsonl.zst:1001)"));
  EXPECT_EQ(r.out.size(), 0u);
  r = Export(*dir_, "latenoaccount --as asff --account 111122223333");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 11u);  // 10 batches of 123456789012's, 1 of 111122223333's
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

// A windows.csv.zst whose header lacks a column is reported (line 1), and the findings are
// still exported (the header's failure had ended the export in a mutant no test caught).
TEST_F(ExportTest, AWindowsHeaderWithoutAColumnStillExportsTheFindings) {
  const fs::path out = CopyOfSmall("badheader");
  WriteZstd(out / kWindowsFile, Replace(flowsift::testing::ReadZstd(out / kWindowsFile),
                                        "distinct_dstport", "distinct_dst_port"));
  const Result r = Export(*dir_, "badheader --as splunk");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err,
              HasSubstr("badheader/windows.csv.zst:1: no column `distinct_dstport` in the header"));
  EXPECT_EQ(Lines(r.out).size(), 7u);
}

TEST_F(ExportTest, CorruptZstdEndsTheTableAndTheNextIsExported) {
  const fs::path out = CopyOfSmall("bad-zstd");
  const std::string good = SmallFindings();
  // A valid frame with the header and the first window, then bytes that are not zstd.
  const std::string csv = flowsift::testing::ReadZstd(out / kWindowsFile);
  WriteZstd(out / kWindowsFile, csv.substr(0, csv.find('\n', csv.find('\n') + 1) + 1));
  const std::string junk = "this is not zstd data at all\n";
  WriteFile(out / kWindowsFile, ReadFile(out / kWindowsFile) + junk);
  WriteZstd(out / kFindingsFile, good);
  Result r = Export(*dir_, "bad-zstd --as splunk");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad-zstd/windows.csv.zst: corrupt zstd data"));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 7);

  // The same in findings.jsonl.zst: the windows and the first two findings are exported.
  WriteZstd(out / kWindowsFile, csv);
  WriteZstd(out / kFindingsFile, good.substr(0, good.find('\n', good.find('\n') + 1) + 1));
  WriteFile(out / kFindingsFile, ReadFile(out / kFindingsFile) + junk);
  r = Export(*dir_, "bad-zstd --as ocsf");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad-zstd/findings.jsonl.zst: corrupt zstd data"));
  EXPECT_EQ(Lines(r.out).size(), 3u + 2);
}

// `text` as two zstd frames, its first `lines` lines in the first (as run writes a frame per
// 65,536 rows); returns the size of the first frame.
size_t WriteTwoFrames(const fs::path& path, const std::string& text, size_t lines) {
  size_t cut = 0;
  for (size_t i = 0; i < lines; ++i) cut = text.find('\n', cut) + 1;
  WriteZstd(path, text.substr(0, cut));
  const std::string first = ReadFile(path);
  WriteZstd(path, text.substr(cut));
  WriteFile(path, first + ReadFile(path));
  return first.size();
}

// A table of more than 65,536 rows is several zstd frames, and one cut exactly at the end of a
// frame decodes whole, its last rows missing: export wrote them short with exit 0. manifest.json's
// `tables` keeps each table's frame count (as `show` checks it); a manifest of an earlier
// version has none and is read as before.
TEST_F(ExportTest, ATableCutAtTheEndOfAFrameIsTruncated) {
  const fs::path out = CopyOfSmall("frame-cut");
  const std::string csv = flowsift::testing::ReadZstd(out / kWindowsFile);
  const std::string findings = SmallFindings();
  const size_t windows_first = WriteTwoFrames(out / kWindowsFile, csv, 2);
  const size_t findings_first = WriteTwoFrames(out / kFindingsFile, findings, 3);
  const std::string windows_whole = ReadFile(out / kWindowsFile);
  const std::string findings_whole = ReadFile(out / kFindingsFile);
  json manifest = json::parse(ReadFile(out / kManifestFile));
  ASSERT_TRUE(manifest.contains("tables")) << manifest.dump();
  manifest["tables"]["windows.csv.zst"]["frames"] = 2;
  manifest["tables"]["findings.jsonl.zst"]["frames"] = 2;
  WriteFile(out / kManifestFile, manifest.dump(2));
  const size_t windows = std::count(csv.begin(), csv.end(), '\n') - 1;
  Result r = Export(*dir_, "frame-cut --as splunk");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), windows + 7);

  WriteFile(out / kWindowsFile, windows_whole.substr(0, windows_first));
  r = Export(*dir_, "frame-cut --as splunk");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("frame-cut/windows.csv.zst: truncated (1 of the 2 zstd frames "
                               "manifest.json lists"));
  EXPECT_EQ(Lines(r.out).size(), 1u + 7);  // the findings are still exported
  // ASFF reads the windows for the findings' accounts: as cut short for it.
  r = Export(*dir_, "frame-cut --as asff --account 123456789012 -o frame-cut.asff");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("frame-cut/windows.csv.zst: truncated"));

  WriteFile(out / kWindowsFile, windows_whole);
  WriteFile(out / kFindingsFile, findings_whole.substr(0, findings_first));
  r = Export(*dir_, "frame-cut --as ocsf -o frame-cut.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("frame-cut/findings.jsonl.zst: truncated (1 of the 2 zstd frames "
                               "manifest.json lists"));
  EXPECT_EQ(Lines(ReadFile(*dir_ / "frame-cut.jsonl")).size(), windows + 3);  // still written

  // An earlier version's manifest has no `tables`: nothing to compare it with.
  manifest.erase("tables");
  WriteFile(out / kManifestFile, manifest.dump(2));
  r = Export(*dir_, "frame-cut --as ocsf");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), windows + 3);
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
