// The OUT directories that `flowsift export`'s tests read (tests/tools/export_test.cc,
// export_files_test.cc): `flowsift run` output with a hand-written findings.jsonl.zst holding
// every SPEC 3.2 type, null dst/dst_port/protocol/src and IPv6 peers; a helper that runs
// `flowsift export` in a directory, and one that parses its JSON lines.
#ifndef FLOWSIFT_TESTS_TOOLS_EXPORT_FIXTURE_H_
#define FLOWSIFT_TESTS_TOOLS_EXPORT_FIXTURE_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/run.h"
#include "pipeline/summary.h"
#include "pipeline/tables.h"
#include "tests/test_util.h"

namespace flowsift::export_fixture {

namespace fs = std::filesystem;
using flowsift::testing::ReadFile;
using flowsift::testing::WriteFile;
using flowsift::testing::WriteZstd;
using nlohmann::json;

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

inline std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

// The findings of the `small` output: kFindings on its two interfaces.
inline std::string SmallFindings() {
  return Replace(Replace(kFindings, "IFACE_A", "eni-0a1b2c3d4e5f60718"), "IFACE_B",
                 "eni-0f00000000000000b");
}

struct Result {
  int code;
  std::string out, err;
};

inline Result Export(const fs::path& dir, const std::string& args) {
  const fs::path err = dir / "stderr.txt";
  const auto r = flowsift::testing::RunCommand("cd '" + dir.string() + "' && " + FLOWSIFT_BINARY +
                                               " export " + args + " 2>'" + err.string() + "'");
  return {r.code, r.out, ReadFile(err)};
}

inline std::vector<json> Lines(const std::string& text) {
  std::vector<json> v;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) v.push_back(json::parse(line));
  return v;
}

// The interfaces of windows.csv.zst in order of first appearance.
inline std::vector<std::string> Interfaces(const fs::path& out) {
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
  inline static fs::path* dir_ = nullptr;
};

}  // namespace flowsift::export_fixture

#endif  // FLOWSIFT_TESTS_TOOLS_EXPORT_FIXTURE_H_
