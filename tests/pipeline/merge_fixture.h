// The runs that merge's tests split and merge (tests/pipeline/merge_test.cc,
// merge_parts_test.cc): a data set whose interfaces' accounts depend on input order, the run
// options, shards run as parts, a merge of part directories, and a part's run section rewritten
// as a damaged or hand-edited part would hold it. MergeRuns runs the data set once, unsharded,
// into tmp_/single: the bytes every split and order must give.
#ifndef FLOWSIFT_TESTS_PIPELINE_MERGE_FIXTURE_H_
#define FLOWSIFT_TESTS_PIPELINE_MERGE_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/generate.h"
#include "pipeline/generate_files.h"
#include "pipeline/merge.h"
#include "pipeline/partial.h"
#include "pipeline/run.h"
#include "tests/test_util.h"

namespace flowsift::merge_fixture {

namespace fs = std::filesystem;
using flowsift::testing::TempDir;
using flowsift::testing::WriteFile;

inline RunOptions Options(const std::string& in, const std::string& out) {
  RunOptions opt;
  opt.inputs = {in};
  opt.out_dir = out;
  opt.threads = 2;
  opt.chunk_bytes = 64 << 10;
  return opt;
}

// An S3-layout data set plus hand-made files in which one interface's account differs by
// file: the first in input order must win, wherever the shards put the files.
inline void WriteData(const fs::path& dir) {
  GenFilesOptions f;
  f.gen.seed = 11;
  f.gen.records = 60000;
  f.gen.interfaces = 30;
  f.gen.hours = 1;
  f.gen.attacks = AllAttacks();
  f.dir = (dir / "s3").string();
  f.layout = GenLayout::kS3;
  f.compression = GenCompression::kGzip;
  GenerateFiles(f);
  // Sorted a < b < c: a's account comes first in input order but is the largest text, so
  // a shard numbering its files from 0 would lose it to b's on the tie-break.
  const char* accounts[] = {"999999999999", "111111111111", "555555555555"};
  const char* names[] = {"a.log", "b.log", "c.log"};
  for (int i = 0; i < 3; ++i) {
    std::string text;
    for (int k = 0; k < 50; ++k) {
      text += std::string("2 ") + accounts[i] + " eni-shared0000000001 10.0.0." +
              std::to_string(k + 1) + " 8.8.8.8 443 5000" + std::to_string(i) +
              " 6 10 1000 1700000100 1700000160 ACCEPT OK\n";
    }
    WriteFile(dir / "hand" / names[i], text);
  }
}

// `opt` as the part of shard i of n (--shard I/N --partial).
inline RunOptions AsPart(RunOptions opt, uint32_t i, uint32_t n) {
  opt.shard_index = i;
  opt.shard_count = n;
  opt.partial = true;
  return opt;
}

inline void RunShards(const std::string& in, const fs::path& parts, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    const RunResult r =
        flowsift::Run(AsPart(Options(in, (parts / std::to_string(i)).string()), i, n), nullptr);
    ASSERT_EQ(r.exit_code, 0) << r.error;
    ASSERT_TRUE(fs::exists(parts / std::to_string(i) / kStateFile));
  }
}

inline MergeResult MergeDirs(std::vector<std::string> parts, const std::string& out) {
  MergeOptions m;
  m.parts = std::move(parts);
  m.out_dir = out;
  return MergeParts(m);
}

// Rewrites the run section of the part state at `state` with `change` (checksums redone): a
// part as a damaged or hand-edited file would hold it. The manifest.json beside it is rewritten
// to the manifest the state then holds, as the run would have written both.
template <typename Change>
void RewriteRun(const std::string& state, Change&& change) {
  PartialFile file;
  std::string error;
  ASSERT_EQ(ReadPartial(state, &file, &error), PartialStatus::kOk) << error;
  change(file.run);
  if (file.run.is_object() && file.run.contains("manifest")) {
    WriteFile(fs::path(state).parent_path() / "manifest.json", file.run["manifest"].dump(2));
  }
  PartialBuilder b(file.header);
  b.AddSection(static_cast<uint32_t>(PartialSection::kRun), file.run.dump());
  b.AddSection(static_cast<uint32_t>(PartialSection::kAggregate),
               *file.Find(PartialSection::kAggregate));
  b.AddSection(static_cast<uint32_t>(PartialSection::kDetection),
               *file.Find(PartialSection::kDetection));
  ASSERT_TRUE(b.Write(state, 1, &error)) << error;
}

class MergeRuns : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteData(tmp_.path() / "data");
    const RunResult r = flowsift::Run(Options(tmp_ / "data", tmp_ / "single"), nullptr);
    ASSERT_EQ(r.exit_code, 0) << r.error;
  }
  std::vector<std::string> PartDirs(const fs::path& parts, uint32_t n) {
    std::vector<std::string> dirs;
    for (uint32_t i = 0; i < n; ++i) dirs.push_back((parts / std::to_string(i)).string());
    return dirs;
  }
  TempDir tmp_;
};

}  // namespace flowsift::merge_fixture

#endif  // FLOWSIFT_TESTS_PIPELINE_MERGE_FIXTURE_H_
