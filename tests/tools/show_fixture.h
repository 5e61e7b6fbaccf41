// The OUT that `flowsift show`'s tests read (tests/tools/show_test.cc and show_*_test.cc):
// hand-written flow logs run through flowsift::Run, with a hand-written findings file, and a
// helper that runs the flowsift binary on it.
#ifndef FLOWSIFT_TESTS_TOOLS_SHOW_FIXTURE_H_
#define FLOWSIFT_TESTS_TOOLS_SHOW_FIXTURE_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "pipeline/run.h"
#include "pipeline/tables.h"
#include "tests/test_util.h"

namespace flowsift::show_fixture {

namespace fs = std::filesystem;
using flowsift::testing::ReadFile;
using flowsift::testing::WriteFile;

// With a header line; traffic in two 10-minute windows on two interfaces, external peers.
const char kLogA[] =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.12 10.0.1.5 49152 22 6 3 180 1700000000 "
    "1700000050 REJECT OK\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.12 10.0.1.5 49153 23 6 3 180 1700000010 "
    "1700000060 REJECT OK\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 198.51.100.7 443 51000 6 1200 1500000 "
    "1700000100 1700000160 ACCEPT OK\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.7 10.0.1.5 51000 443 6 800 64000 "
    "1700000100 1700000160 ACCEPT OK\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1700000700 1700000760 - NODATA\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.9 40000 5432 6 20 4096 1700000700 "
    "1700000760 ACCEPT OK\n"
    "2 000000000007 eni-0f00000000000000b 10.0.2.9 10.0.1.5 5432 40000 6 18 2300000000 "
    "1700000720 1700000780 ACCEPT OK\n"
    "2 000000000007 eni-0f00000000000000b 192.0.2.44 10.0.2.9 55555 3389 6 2 120 1700000800 "
    "1700000810 REJECT OK\n";
// Without a header (default format), with broken lines: too few fields, a typo, a tab.
const char kLogB[] =
    "2 123456789012 eni-0a1b2c3d4e5f60718 2001:db8::1 10.0.1.5 443 60000 6 10 5000 1700001300 "
    "1700001360 ACCEPT OK\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 203.0.113.12\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 203.0.113.12 443 5432 6 12 4096 1700001300 "
    "1700001360 ACCPET OK\n"
    "2 123456789012 eni-0a1b2c3d4e5f60718\t10.0.1.5 203.0.113.12 443 5432 6 12 4096 1700001300 "
    "1700001360 ACCEPT OK\n"
    "2 123456789012 eni-0f00000000000000b - - - - - - - 1700001300 1700001360 - SKIPDATA\n";
// SPEC 3.2 findings, sorted by (window_start, type, src, dst, dst_port).
const char kFindings[] =
    R"({"id":"5e0c1a9d2b7f4e31","type":"exfiltration","severity":4,"mitre":["T1048","T1041"],"src":"10.0.1.5","dst":"198.51.100.7","dst_port":51000,"protocol":6,"interfaces":["eni-0a1b2c3d4e5f60718"],"window_start":1699999800,"window_end":1700000400,"first_seen":1700000100,"last_seen":1700000160,"flows":1,"packets":1200,"bytes":1500000,"distinct_dst_ports":1,"distinct_dsts":1,"evidence":{"bytes_out":1500000,"threshold":1000000},"summary":"10.0.1.5 sent 1.5 MB to 198.51.100.7, over the 1 MB threshold"})"
    "\n"
    R"({"id":"3f2a9c0d11e5b7a4","type":"port_scan","severity":3,"mitre":["T1046"],"src":"203.0.113.12","dst":"10.0.1.5","dst_port":null,"protocol":6,"interfaces":["eni-0a1b2c3d4e5f60718"],"window_start":1699999800,"window_end":1700000400,"first_seen":1700000000,"last_seen":1700000060,"flows":2,"packets":6,"bytes":360,"distinct_dst_ports":2,"distinct_dsts":1,"evidence":{"distinct_dst_ports":2,"threshold":2,"sample_ports":[22,23]},"summary":"203.0.113.12 probed 2 ports on 10.0.1.5, all rejected"})"
    "\n"
    R"({"id":"a07d5c22e9f18b60","type":"brute_force","severity":2,"mitre":["T1110"],"src":"192.0.2.44","dst":"10.0.2.9","dst_port":3389,"protocol":6,"interfaces":["eni-0f00000000000000b"],"window_start":1700000400,"window_end":1700001000,"first_seen":1700000800,"last_seen":1700000810,"flows":1,"packets":2,"bytes":120,"distinct_dst_ports":1,"distinct_dsts":1,"evidence":{"attempts":1,"rejected":1},"summary":"192.0.2.44 tried \"RDP\" on 10.0.2.9, rejected, once"})"
    "\n"
    R"({"id":"c4b3f2e1d0a99887","type":"reject_spike","severity":1,"mitre":[],"src":"192.0.2.44","dst":null,"dst_port":null,"protocol":null,"interfaces":["eni-0f00000000000000b","eni-0a1b2c3d4e5f60718"],"window_start":1700000400,"window_end":1700001000,"first_seen":1700000800,"last_seen":1700000810,"flows":1,"packets":2,"bytes":120,"distinct_dst_ports":1,"distinct_dsts":1,"evidence":{},"summary":"rejected flows on eni-0f00000000000000b rose above their baseline"})"
    "\n";

struct Result {
  int code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `flowsift ARGS` in `dir`, with `env` (NAME=VALUE ...) in its environment and without
// the COLUMNS of the shell that runs the tests (the goldens are 100 columns wide), in a UTF-8
// locale (the goldens cut text with "…"; `env` may set LC_ALL again: the last one counts).
inline Result RunIn(const fs::path& dir, const std::string& args, const std::string& env = "") {
  const fs::path err = dir / "stderr.txt";
  const flowsift::testing::CommandResult run = flowsift::testing::RunCommand(
      "cd '" + dir.string() + "' && env -u COLUMNS LC_ALL=C.UTF-8 " + env + " " + FLOWSIFT_BINARY +
      " " + args + " 2>'" + err.string() + "'");
  Result r{run.code, run.out, ""};
  r.err = ReadFile(err);
  return r;
}

class ShowTest : public ::testing::Test {
 protected:
  // Makes dir_/out with relative input paths, so the manifest (and the goldens) hold no
  // temporary directory names.
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("flowsift-show-" + std::to_string(::getpid()) + "-" +
            testing::FileNamePart(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    WriteFile(dir_ / "in" / "a.log", kLogA);
    WriteFile(dir_ / "in" / "b.log", kLogB);
    const fs::path cwd = fs::current_path();
    fs::current_path(dir_);
    RunOptions opt;
    opt.inputs = {"in", "in/missing.log"};
    opt.out_dir = "out";
    opt.threads = 2;
    opt.version = "test";
    const RunResult r = flowsift::Run(opt, nullptr);
    fs::current_path(cwd);
    ASSERT_EQ(r.exit_code, 1) << r.error;  // in/missing.log
    ZstdFileWriter w;
    std::string error;
    ASSERT_TRUE(w.Open((dir_ / "out" / "findings.jsonl.zst").string(), &error)) << error;
    w.Write(kFindings);
    ASSERT_TRUE(w.Close(&error)) << error;
  }
  void TearDown() override { fs::remove_all(dir_); }
  Result Show(const std::string& args) { return RunIn(dir_, "show out " + args); }
  // The overview as JSON of an OUT with a damaged part: exit 1, the object printed all the same.
  nlohmann::ordered_json DamagedOverviewJson() {
    const Result r = Show("--as json");
    EXPECT_EQ(r.code, 1) << r.err;
    return nlohmann::ordered_json::parse(r.out);
  }
  fs::path dir_;
};

}  // namespace flowsift::show_fixture

#endif  // FLOWSIFT_TESTS_TOOLS_SHOW_FIXTURE_H_
