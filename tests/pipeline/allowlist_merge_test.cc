// The detection allowlists through `run` and `merge`: the manifest's findings_allowed, parts
// that carry their lists, and merge refusing parts whose lists differ.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/detect.h"
#include "pipeline/merge.h"
#include "pipeline/partial.h"
#include "pipeline/run.h"
#include "tests/test_util.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using flowsift::testing::ReadFile;
using flowsift::testing::ReadZstd;
using flowsift::testing::TempDir;
using flowsift::testing::WriteFile;
using nlohmann::json;

// Version 2 records (no header: the default format) of `src` rejected at 15 ports of `dst`,
// and at port 445 of 25 hosts when `sweep`.
std::string Scan(const std::string& src, const std::string& dst, bool sweep) {
  std::string text;
  const auto line = [&](const std::string& to, int port, int i) {
    const std::string start = std::to_string(1700000100 + i);
    text += "2 123456789012 eni-a " + src + " " + to + " 40000 " + std::to_string(port) +
            " 6 1 44 " + start + " " + start + " REJECT OK\n";
  };
  for (int p = 0; p < 15; ++p) line(dst, 1000 + p, p);
  for (int h = 1; sweep && h <= 25; ++h) line("10.0.5." + std::to_string(h), 445, h);
  return text;
}

class AllowlistRuns : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(tmp_.path() / "data" / "a.log", Scan("198.51.100.7", "10.0.1.5", true));
    WriteFile(tmp_.path() / "data" / "b.log", Scan("203.0.113.9", "10.0.1.6", false));
  }
  // `config` (a config file's text) as the detection options of a run over data/ into `out`.
  RunResult RunWith(const std::string& config, const std::string& out, uint32_t shard = 0,
                    uint32_t shards = 1, bool partial = false) {
    RunOptions opt;
    opt.inputs = {(tmp_.path() / "data").string()};
    opt.out_dir = (tmp_.path() / out).string();
    opt.threads = 2;
    std::string error;
    EXPECT_TRUE(ParseDetectConfig(config, &opt.detect, &error)) << error;
    opt.shard_index = shard;
    opt.shard_count = shards;
    opt.partial = partial;
    return flowsift::Run(opt, nullptr);
  }
  MergeResult Merge(const std::vector<std::string>& parts, const std::string& out) {
    MergeOptions m;
    for (const std::string& p : parts) m.parts.push_back((tmp_.path() / p).string());
    m.out_dir = (tmp_.path() / out).string();
    return MergeParts(m);
  }
  json Manifest(const std::string& out) {
    return json::parse(ReadFile(tmp_.path() / out / "manifest.json"));
  }
  std::string Findings(const std::string& out) {
    return ReadZstd(tmp_.path() / out / "findings.jsonl.zst");
  }
  TempDir tmp_;
};

constexpr char kAllowA[] = "allow.sources = 198.51.100.0/24\n";

TEST_F(AllowlistRuns, TheManifestCountsTheAllowedFindingsByType) {
  RunResult r = RunWith("", "plain");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(Manifest("plain")["findings_allowed"], json::object());
  const std::string plain = Findings("plain");
  ASSERT_NE(plain.find("\"src\":\"198.51.100.7\""), std::string::npos) << plain;
  ASSERT_NE(plain.find("\"src\":\"203.0.113.9\""), std::string::npos);

  r = RunWith(kAllowA, "allowed");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const json m = Manifest("allowed");
  EXPECT_EQ(m["findings_allowed"]["port_scan"], 1);
  EXPECT_EQ(m["findings_allowed"]["port_sweep"], 1);
  EXPECT_EQ(m["detection"]["allow.sources"], "198.51.100.0/24");
  // Every line of the allowed run is one of the plain run's, ids and all; A's are gone.
  const std::string allowed = Findings("allowed");
  EXPECT_EQ(allowed.find("198.51.100.7"), std::string::npos) << allowed;
  EXPECT_NE(allowed.find("\"src\":\"203.0.113.9\""), std::string::npos);
  size_t lines = 0;
  for (size_t pos = 0, nl; (nl = allowed.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    EXPECT_NE(plain.find(allowed.substr(pos, nl - pos + 1)), std::string::npos);
    ++lines;
  }
  uint64_t counted = 0;
  for (const auto& [type, n] : m["findings_allowed"].items()) counted += n.get<uint64_t>();
  EXPECT_EQ(lines + counted, static_cast<size_t>(std::count(plain.begin(), plain.end(), '\n')));
}

TEST_F(AllowlistRuns, PartsCarryTheirListAndMergeAppliesItAsOneRun) {
  ASSERT_EQ(RunWith(kAllowA, "single").exit_code, 0);
  for (uint32_t i = 0; i < 2; ++i) {
    const RunResult r = RunWith(kAllowA, "part" + std::to_string(i), i, 2, true);
    ASSERT_EQ(r.exit_code, 0) << r.error;
  }
  const MergeResult m = Merge({"part1", "part0"}, "merged");
  ASSERT_EQ(m.exit_code, 0) << m.error;
  EXPECT_EQ(Findings("merged"), Findings("single"));
  EXPECT_EQ(Manifest("merged")["findings_allowed"], Manifest("single")["findings_allowed"]);
  EXPECT_EQ(m.findings_allowed.at("port_scan"), 1u);
  EXPECT_EQ(m.findings_allowed.at("port_sweep"), 1u);

  // A part whose list is the same set in another spelling merges with them.
  ASSERT_EQ(RunWith("allow.sources = 198.51.100.128/25,198.51.100.0/25\n", "respelt", 1, 2, true)
                .exit_code,
            0);
  EXPECT_EQ(Merge({"part0", "respelt"}, "merged2").exit_code, 0);
  EXPECT_EQ(Findings("merged2"), Findings("single"));
}

TEST_F(AllowlistRuns, MergeRefusesPartsWhoseListsDiffer) {
  ASSERT_EQ(RunWith(kAllowA, "part0", 0, 2, true).exit_code, 0);
  ASSERT_EQ(RunWith("", "none1", 1, 2, true).exit_code, 0);
  ASSERT_EQ(RunWith("port_scan.allow_sources = 203.0.113.9\n" + std::string(kAllowA), "other1", 1,
                    2, true)
                .exit_code,
            0);
  MergeResult r = Merge({"part0", "none1"}, "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("(detection option allow.sources = ) with"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("(detection option allow.sources = 198.51.100.0/24)"), std::string::npos)
      << r.error;
  r = Merge({"part0", "other1"}, "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("port_scan.allow_sources = 203.0.113.9/32"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(tmp_.path() / "out"));
}

// A part of a version before the allowlists has no line of them in its options: it merges with
// a part of this version made without a list (read as "(none)" against "", they had differed).
TEST_F(AllowlistRuns, APartFromBeforeTheAllowlistsMergesWithOneWithoutAList) {
  ASSERT_EQ(RunWith("", "part0", 0, 2, true).exit_code, 0);
  ASSERT_EQ(RunWith("", "old1", 1, 2, true).exit_code, 0);
  const std::string state = (tmp_.path() / "old1" / kStateFile).string();
  PartialFile file;
  std::string error;
  ASSERT_EQ(ReadPartial(state, &file, &error), PartialStatus::kOk) << error;
  std::string text = file.run["detection"].get<std::string>(), old;
  for (size_t pos = 0, nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    const std::string line = text.substr(pos, nl - pos + 1);
    if (line.find("allow") == std::string::npos) old += line;
  }
  ASSERT_NE(old, text);
  file.run["detection"] = old;
  PartialBuilder b(file.header);
  b.AddSection(static_cast<uint32_t>(PartialSection::kRun), file.run.dump());
  b.AddSection(static_cast<uint32_t>(PartialSection::kAggregate),
               *file.Find(PartialSection::kAggregate));
  b.AddSection(static_cast<uint32_t>(PartialSection::kDetection),
               *file.Find(PartialSection::kDetection));
  ASSERT_TRUE(b.Write(state, 1, &error)) << error;
  const MergeResult r = Merge({"part0", "old1"}, "merged");
  EXPECT_EQ(r.exit_code, 0) << r.error;
}

}  // namespace
}  // namespace flowsift
