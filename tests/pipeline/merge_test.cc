// Distributed runs merged (docs/distributed.md): any split of one run's inputs into parts, in any
// order, gives that run's bytes; separate runs merge in their inputs' order (accounts, bad-line
// samples, manifests); a merge's exit status and the inputs that failed in its parts. The parts
// a merge refuses are in merge_parts_test.cc, the part state file in partial_test.cc.
#include "pipeline/merge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "pipeline/partial.h"
#include "pipeline/run.h"
#include "tests/pipeline/merge_fixture.h"
#include "tests/test_util.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using flowsift::testing::ReadFile;
using flowsift::testing::WriteFile;
using merge_fixture::AsPart;
using merge_fixture::MergeDirs;
using merge_fixture::MergeRuns;
using merge_fixture::Options;
using merge_fixture::RewriteRun;
using merge_fixture::RunShards;
using nlohmann::json;

const char* const kTables[] = {"windows.csv.zst", "talkers.csv.zst", "exposure.csv.zst",
                               "findings.jsonl.zst"};

TEST_F(MergeRuns, AnySplitInAnyOrderGivesTheBytesOfOneRun) {
  std::mt19937 rng(7);
  for (uint32_t n : {1u, 2u, 4u, 7u}) {
    const fs::path parts = tmp_.path() / ("parts" + std::to_string(n));
    RunShards(tmp_ / "data", parts, n);
    std::vector<std::string> dirs = PartDirs(parts, n);
    std::shuffle(dirs.begin(), dirs.end(), rng);
    const std::string out = tmp_ / ("merged" + std::to_string(n));
    const MergeResult r = MergeDirs(dirs, out);
    ASSERT_EQ(r.exit_code, 0) << r.error;
    EXPECT_EQ(r.parts_merged, n);
    for (const char* table : kTables) {
      const std::string want = ReadFile(tmp_.path() / "single" / table);
      EXPECT_FALSE(want.empty());
      // Findings of several detectors, so that their merged state is really compared.
      if (std::string(table) == "findings.jsonl.zst") {
        EXPECT_GT(want.size(), 500u);
      }
      // Compared raw (the same zstd settings give the same bytes); no dump of binary data.
      EXPECT_TRUE(ReadFile(fs::path(out) / table) == want) << table << " from " << n << " parts";
    }
    // The manifest lists every input of every part, in the order of one run.
    const json single = json::parse(ReadFile(tmp_.path() / "single" / "manifest.json"));
    const json merged = json::parse(ReadFile(fs::path(out) / "manifest.json"));
    ASSERT_EQ(merged["inputs"].size(), single["inputs"].size());
    for (size_t i = 0; i < single["inputs"].size(); ++i) {
      EXPECT_EQ(merged["inputs"][i]["path"], single["inputs"][i]["path"]) << i;
      EXPECT_EQ(merged["inputs"][i]["records"], single["inputs"][i]["records"]) << i;
    }
    EXPECT_EQ(merged["totals"]["records"], single["totals"]["records"]);
    EXPECT_EQ(merged["merged_from"].size(), n);
  }
  // The hand-made interface's account: the first file's, as in one run.
  const std::string windows = testing::ReadZstd(tmp_.path() / "merged7" / "windows.csv.zst");
  EXPECT_NE(windows.find("eni-shared0000000001,999999999999,"), std::string::npos);
}

// Parts of separate runs (a night each: every part 0/1, numbering its files from 0) take an
// interface's account from the file the merged manifest lists first, as one run over their
// directory does: the tie of their files' indices went to the smallest account text (b's),
// though the manifest listed a first.
TEST_F(MergeRuns, SeparateRunsTakeTheAccountOfTheFileTheirManifestListsFirst) {
  std::vector<std::string> dirs;
  for (const std::string name : {"c.log", "b.log", "a.log"}) {
    const std::string part = tmp_ / ("night-" + name);
    const RunResult r =
        flowsift::Run(AsPart(Options(tmp_ / ("data/hand/" + name), part), 0, 1), nullptr);
    ASSERT_EQ(r.exit_code, 0) << r.error;
    dirs.push_back(part);
  }
  const RunResult one = flowsift::Run(Options(tmp_ / "data/hand", tmp_ / "one"), nullptr);
  ASSERT_EQ(one.exit_code, 0) << one.error;
  const MergeResult m = MergeDirs(dirs, tmp_ / "nights");
  ASSERT_EQ(m.exit_code, 0) << m.error;
  const std::string windows = testing::ReadZstd(tmp_.path() / "nights" / "windows.csv.zst");
  EXPECT_NE(windows.find("eni-shared0000000001,999999999999,"), std::string::npos) << windows;
  for (const char* table : kTables) {
    EXPECT_TRUE(ReadFile(tmp_.path() / "nights" / table) == ReadFile(tmp_.path() / "one" / table))
        << table;
  }
  const json merged = json::parse(ReadFile(tmp_.path() / "nights" / "manifest.json"));
  ASSERT_EQ(merged["inputs"].size(), 3u);
  EXPECT_EQ(merged["inputs"][0]["path"], tmp_ / "data/hand/a.log");
}

// `n` records of eni-shared0000000001 under `account` (with `iface` another interface's).
std::string SharedLines(const std::string& account,
                        const std::string& iface = "eni-shared0000000001", int n = 50) {
  std::string text;
  for (int k = 0; k < n; ++k) {
    text += "2 " + account + " " + iface + " 10.0.0." + std::to_string(k + 1) +
            " 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 ACCEPT OK\n";
  }
  return text;
}

// Separate runs that are sharded themselves: a file's place in the merged manifest is its index
// in its own run's whole list (j * N + I for the j-th file of part I/N), and its path is that of
// the j-th file its part lists. Here the interface is in the second file of two runs (index 1 in
// both): z's run is split 0/2 and 1/2, y's is one part, and y/2.log comes first by path (its
// account the larger text, which the tie had given the smaller).
TEST_F(MergeRuns, SeparateShardedRunsTakeTheAccountOfTheFileTheManifestListsFirst) {
  WriteFile(tmp_.path() / "z/a.log", SharedLines("333333333333", "eni-other00000000001"));
  WriteFile(tmp_.path() / "z/b.log", SharedLines("111111111111"));
  WriteFile(tmp_.path() / "y/1.log", SharedLines("333333333333", "eni-other00000000001"));
  WriteFile(tmp_.path() / "y/2.log", SharedLines("999999999999"));
  std::vector<std::string> dirs;
  for (uint32_t i = 0; i < 2; ++i) {
    const RunOptions opt = AsPart(Options(tmp_ / "z", tmp_ / ("z" + std::to_string(i))), i, 2);
    ASSERT_EQ(flowsift::Run(opt, nullptr).exit_code, 0);
    dirs.push_back(opt.out_dir);
  }
  const RunOptions y = AsPart(Options(tmp_ / "y", tmp_ / "y0"), 0, 1);
  ASSERT_EQ(flowsift::Run(y, nullptr).exit_code, 0);
  dirs.push_back(y.out_dir);
  for (int order = 0; order < 2; ++order) {
    std::reverse(dirs.begin(), dirs.end());
    const std::string out = tmp_ / ("merged" + std::to_string(order));
    const MergeResult m = MergeDirs(dirs, out);
    ASSERT_EQ(m.exit_code, 0) << m.error;
    const json merged = json::parse(ReadFile(fs::path(out) / "manifest.json"));
    ASSERT_EQ(merged["inputs"].size(), 4u);
    EXPECT_EQ(merged["inputs"][2]["path"], tmp_ / "y/2.log");
    EXPECT_EQ(merged["inputs"][3]["path"], tmp_ / "z/b.log");
    const std::string windows = testing::ReadZstd(fs::path(out) / "windows.csv.zst");
    EXPECT_NE(windows.find("eni-shared0000000001,999999999999,"), std::string::npos) << windows;
  }
}

// Separate runs in other directories may name their inputs alike (each night's job runs `run
// logs/a.log` in its own directory): the same index and path text. Their files are then listed
// by their absolute paths, for every order of the parts (they had followed the parts' order),
// and the interface takes the account of the file listed first (it took the smaller text).
TEST_F(MergeRuns, SeparateRunsNamingTheirInputsAlikeAreOrderedByTheirAbsolutePaths) {
  WriteFile(tmp_.path() / "n1/logs/a.log", SharedLines("999999999999"));
  WriteFile(tmp_.path() / "n2/logs/a.log", SharedLines("111111111111", "eni-shared0000000001", 20));
  const fs::path cwd = fs::current_path();
  std::vector<std::string> dirs;
  for (const char* night : {"n1", "n2"}) {
    fs::current_path(tmp_.path() / night);
    RunOptions opt = AsPart(Options("logs/a.log", (tmp_.path() / night / "part").string()), 0, 1);
    const RunResult r = flowsift::Run(opt, nullptr);
    fs::current_path(cwd);
    ASSERT_EQ(r.exit_code, 0) << r.error;
    dirs.push_back(opt.out_dir);
  }
  std::vector<json> inputs;
  for (int order = 0; order < 2; ++order) {
    if (order == 1) std::reverse(dirs.begin(), dirs.end());
    const std::string out = tmp_ / ("merged" + std::to_string(order));
    const MergeResult m = MergeDirs(dirs, out);
    ASSERT_EQ(m.exit_code, 0) << m.error;
    const json merged = json::parse(ReadFile(fs::path(out) / "manifest.json"));
    ASSERT_EQ(merged["inputs"].size(), 2u);
    EXPECT_EQ(merged["inputs"][0]["records"], 50u) << order;  // n1's
    inputs.push_back(merged["inputs"]);
    const std::string windows = testing::ReadZstd(fs::path(out) / "windows.csv.zst");
    EXPECT_NE(windows.find("eni-shared0000000001,999999999999,"), std::string::npos)
        << order << ": " << windows;
  }
  EXPECT_EQ(inputs[0], inputs[1]);
}

// What could not be listed (a --files-from list that cannot be read) comes first in a part's
// manifest but is no file: the part's first file is still the first that was read. Here x's
// first (and only) file is a.log, listed after the unreadable list; y's is b.log: a.log comes
// first in the merged manifest, and its account is the interface's.
TEST_F(MergeRuns, AnUnlistableInputDoesNotShiftAPartsFiles) {
  RunOptions x = AsPart(Options(tmp_ / "data/hand/a.log", tmp_ / "x"), 0, 1);
  x.files_from = {tmp_ / "no-list"};
  ASSERT_EQ(flowsift::Run(x, nullptr).exit_code, 1);
  const RunOptions y = AsPart(Options(tmp_ / "data/hand/b.log", tmp_ / "y"), 0, 1);
  ASSERT_EQ(flowsift::Run(y, nullptr).exit_code, 0);
  const MergeResult m = MergeDirs({tmp_ / "y", tmp_ / "x"}, tmp_ / "merged");
  ASSERT_EQ(m.exit_code, 1) << m.error;  // the list's failure, as in the run
  const json merged = json::parse(ReadFile(tmp_.path() / "merged" / "manifest.json"));
  ASSERT_EQ(merged["inputs"].size(), 3u);
  EXPECT_EQ(merged["inputs"][1]["path"], tmp_ / "data/hand/a.log");
  const std::string windows = testing::ReadZstd(tmp_.path() / "merged" / "windows.csv.zst");
  EXPECT_NE(windows.find("eni-shared0000000001,999999999999,"), std::string::npos) << windows;
}

// A hand-edited part whose manifest lists fewer files than its tables were read from (or none)
// is merged without a crash: its files' paths are then unknown (empty), not read past the list.
TEST_F(MergeRuns, AManifestListingFewerFilesThanItsTablesDoesNotCrash) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 3);
  for (const char* part : {"parts/1", "parts/2"}) {
    RewriteRun((tmp_.path() / part / kStateFile).string(), [&](nlohmann::ordered_json& run) {
      auto& inputs = run["manifest"]["inputs"];
      inputs.erase(inputs.begin() + (std::string(part) == "parts/1" ? 0 : 1), inputs.end());
    });
  }
  const MergeResult m = MergeDirs(PartDirs(tmp_.path() / "parts", 3), tmp_ / "merged");
  ASSERT_EQ(m.exit_code, 0) << m.error;
  for (const char* table : kTables) {
    EXPECT_TRUE(ReadFile(tmp_.path() / "merged" / table) ==
                ReadFile(tmp_.path() / "single" / table))
        << table;
  }
}

// A missing path is one input in its place (one shard reads it); a --files-from list that cannot
// be read is listed by every shard. Merged, each appears once, where one run lists it.
TEST_F(MergeRuns, MissingPathsAndUnreadableListsAppearOnceWhereOneRunListsThem) {
  auto options = [&](const std::string& out) {
    RunOptions opt = Options(tmp_ / "data/hand/a.log", out);
    opt.inputs.push_back(tmp_ / "missing.log");
    opt.inputs.push_back(tmp_ / "data/hand/b.log");
    opt.files_from = {tmp_ / "no-list"};
    return opt;
  };
  const RunResult single = flowsift::Run(options(tmp_ / "one"), nullptr);
  ASSERT_EQ(single.exit_code, 1) << single.error;
  std::vector<std::string> dirs;
  for (uint32_t i = 0; i < 2; ++i) {
    const RunOptions opt = AsPart(options(tmp_ / ("part" + std::to_string(i))), i, 2);
    ASSERT_EQ(flowsift::Run(opt, nullptr).exit_code, 1);
    dirs.push_back(opt.out_dir);
  }
  // Exit 1 as the run's: inputs failed (the merge itself went well).
  ASSERT_EQ(MergeDirs(dirs, tmp_ / "merged").exit_code, 1);
  const json one = json::parse(ReadFile(tmp_.path() / "one" / "manifest.json"));
  const json merged = json::parse(ReadFile(tmp_.path() / "merged" / "manifest.json"));
  ASSERT_EQ(one["inputs"].size(), 4u);
  EXPECT_EQ(one["inputs"][0]["path"], tmp_ / "no-list");
  EXPECT_EQ(one["inputs"][2]["path"], tmp_ / "missing.log");
  EXPECT_EQ(merged["inputs"], one["inputs"]);
  EXPECT_EQ(merged["totals"]["inputs"], 4u);
  EXPECT_EQ(merged["totals"]["failed_inputs"], 2u);
}

TEST_F(MergeRuns, PartManifestSaysPartial) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  const json m = json::parse(ReadFile(tmp_.path() / "parts" / "0" / "manifest.json"));
  EXPECT_EQ(m["partial"]["state_file"], "state.bin.zst");
  EXPECT_EQ(m["options"]["shard"], "0/2");
  // A run without --partial writes no state.
  EXPECT_FALSE(fs::exists(tmp_.path() / "single" / kStateFile));
}

// The merged manifest lists bad lines as one run does: the reasons in the run's order and the
// samples by reason, then input order (they were by reason name, so `show --table errors`
// differed from one run's).
TEST_F(MergeRuns, BadLinesAreListedAsOneRunListsThem) {
  const std::string good =
      "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 ACCEPT OK\n";
  WriteFile(tmp_.path() / "bad" / "a.log", good + "2 123456789012 eni-b 10.0.0.1\n");
  WriteFile(tmp_.path() / "bad" / "b.log",
            good +
                "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 x 6 10 1000 1700000100 "
                "1700000160 ACCEPT OK\n");
  WriteFile(tmp_.path() / "bad" / "c.log", good +
                                               "2 1 eni-b 10.0.0.1 8.8.8.8 1 2 6 1 1 1 2 "
                                               "ACCEPT OK extra\n");
  ASSERT_EQ(flowsift::Run(Options(tmp_ / "bad", tmp_ / "bad-single"), nullptr).exit_code, 0);
  RunShards(tmp_ / "bad", tmp_.path() / "bad-parts", 2);  // a.log and c.log, b.log
  const MergeResult r = MergeDirs(PartDirs(tmp_.path() / "bad-parts", 2), tmp_ / "bad-merged");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const json one = json::parse(ReadFile(tmp_.path() / "bad-single/manifest.json"));
  const json merged = json::parse(ReadFile(tmp_.path() / "bad-merged/manifest.json"));
  ASSERT_EQ(one["totals"]["bad_lines_by_reason"].size(), 3u);
  EXPECT_EQ(merged["totals"]["bad_lines_by_reason"].dump(),
            one["totals"]["bad_lines_by_reason"].dump());
  EXPECT_EQ(merged["bad_line_samples"].dump(), one["bad_line_samples"].dump());
}

// -o naming one of the parts (or a directory holding one) is refused: publishing replaced the
// part (`merge p0 p1 -o p0 --force`). When no part can be read nothing is written: an empty
// output replaced a good one with --force.
// Parts made with --strict exit 1 merged, as one run does, when some hold bad lines; the merge
// says why (it exited 1 with nothing on stderr), naming the first bad line in input order.
TEST_F(MergeRuns, StrictPartsWithBadLinesSayWhyTheMergeExitsOne) {
  WriteFile(tmp_.path() / "strict" / "a.log", ReadFile(tmp_.path() / "data" / "hand" / "a.log"));
  WriteFile(tmp_.path() / "strict" / "b.log",
            "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 "
            "ACCEPT OK\n2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 x 6 10 1000 1700000100 "
            "1700000160 ACCEPT OK\n");
  const fs::path parts = tmp_.path() / "strict-parts";
  for (uint32_t i = 0; i < 2; ++i) {
    RunOptions opt = AsPart(Options(tmp_ / "strict", (parts / std::to_string(i)).string()), i, 2);
    opt.strict = true;
    const RunResult r = flowsift::Run(opt, nullptr);
    ASSERT_EQ(r.exit_code, i == 1 ? 1 : 0) << r.error;  // b.log is shard 1's
  }
  const MergeResult m = MergeDirs(PartDirs(parts, 2), tmp_ / "strict-merged");
  EXPECT_EQ(m.exit_code, 1);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_NE(m.notes[0].find("made with --strict and hold 1 bad line; the first is "),
            std::string::npos)
      << m.notes[0];
  EXPECT_NE(m.notes[0].find("b.log:2: bad_integer"), std::string::npos) << m.notes[0];
}

// With bad lines in several parts, the note names the first in input order (a.log, shard 0's),
// not the last one merged nor the first of the samples (which are ranked by reason first).
TEST_F(MergeRuns, StrictNoteNamesTheFirstBadLineInInputOrder) {
  const std::string good =
      "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 ACCEPT OK\n";
  WriteFile(tmp_.path() / "strict" / "a.log",
            good + good +
                "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 x 6 10 1000 1700000100 1700000160 "
                "ACCEPT OK\n");
  WriteFile(tmp_.path() / "strict" / "b.log", good + "2 123456789012 eni-b 10.0.0.1\n");
  const fs::path parts = tmp_.path() / "strict-parts";
  for (uint32_t i = 0; i < 2; ++i) {
    RunOptions opt = AsPart(Options(tmp_ / "strict", (parts / std::to_string(i)).string()), i, 2);
    opt.strict = true;
    ASSERT_EQ(flowsift::Run(opt, nullptr).exit_code, 1);
  }
  for (const bool reversed : {false, true}) {
    std::vector<std::string> dirs = PartDirs(parts, 2);
    if (reversed) std::reverse(dirs.begin(), dirs.end());
    const MergeResult m = MergeDirs(dirs, tmp_ / (reversed ? "strict-merged-r" : "strict-merged"));
    EXPECT_EQ(m.exit_code, 1);
    ASSERT_EQ(m.notes.size(), 1u);
    EXPECT_NE(m.notes[0].find("hold 2 bad lines; the first is "), std::string::npos) << m.notes[0];
    EXPECT_NE(m.notes[0].find("a.log:3: bad_integer"), std::string::npos) << m.notes[0];
  }
}

// Parts whose --since dropped some records but kept others merge with exit 0 and no note:
// only a merge that kept nothing at all is the empty day to flag.
TEST_F(MergeRuns, PartsThatKeptSomeRecordsExitZeroMerged) {
  const std::string early =
      "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 ACCEPT OK\n";
  const std::string late =
      "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700009100 1700009160 ACCEPT OK\n";
  WriteFile(tmp_.path() / "some" / "a.log", early + late);
  WriteFile(tmp_.path() / "some" / "b.log", early + late + late);
  const fs::path parts = tmp_.path() / "some-parts";
  for (uint32_t i = 0; i < 2; ++i) {
    RunOptions opt = AsPart(Options(tmp_ / "some", (parts / std::to_string(i)).string()), i, 2);
    opt.since = 1700005000;
    ASSERT_EQ(flowsift::Run(opt, nullptr).exit_code, 0);
  }
  const MergeResult m = MergeDirs(PartDirs(parts, 2), tmp_ / "some-merged");
  EXPECT_EQ(m.exit_code, 0) << m.error;
  EXPECT_EQ(m.records, 3u);
  EXPECT_TRUE(m.notes.empty()) << m.notes[0];
  const json merged = json::parse(ReadFile(tmp_.path() / "some-merged" / "manifest.json"));
  EXPECT_EQ(merged["totals"]["filtered"], 2u);
}

// An empty input is no failure, in a part as in one run: the merge exits 0 and counts no
// failed input.
TEST_F(MergeRuns, AnEmptyInputIsNoFailureMerged) {
  WriteFile(tmp_.path() / "with-empty" / "a.log",
            "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 "
            "ACCEPT OK\n");
  WriteFile(tmp_.path() / "with-empty" / "b.log", "");
  RunShards(tmp_ / "with-empty", tmp_.path() / "with-empty-parts", 2);
  const MergeResult m =
      MergeDirs(PartDirs(tmp_.path() / "with-empty-parts", 2), tmp_ / "with-empty-merged");
  EXPECT_EQ(m.exit_code, 0) << m.error;
  EXPECT_TRUE(m.input_failures.empty());
  const json merged = json::parse(ReadFile(tmp_.path() / "with-empty-merged" / "manifest.json"));
  ASSERT_EQ(merged["inputs"].size(), 2u);
  EXPECT_EQ(merged["inputs"][1]["status"], "empty");
  EXPECT_EQ(merged["totals"]["failed_inputs"], 0u);
}

// A bad-line reason this version does not know (in a part a newer flowsift wrote) is merged
// after every reason it knows, as its runs rank them.
TEST_F(MergeRuns, UnknownBadLineReasonsComeAfterTheKnownOnes) {
  WriteFile(tmp_.path() / "newer" / "a.log",
            "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 x 6 10 1000 1700000100 1700000160 "
            "ACCEPT OK\n");
  RunShards(tmp_ / "newer", tmp_.path() / "newer-parts", 1);
  RewriteRun((tmp_.path() / "newer-parts" / "0" / kStateFile).string(), [](auto& run) {
    auto& totals = run["manifest"]["totals"];
    totals["bad_lines_by_reason"]["a_newer_reason"] = 3;
    totals["bad_lines"] = totals["bad_lines"].template get<uint64_t>() + 3;
  });
  const MergeResult m = MergeDirs(PartDirs(tmp_.path() / "newer-parts", 1), tmp_ / "newer-merged");
  ASSERT_EQ(m.exit_code, 0) << m.error;
  const auto merged =
      nlohmann::ordered_json::parse(ReadFile(tmp_.path() / "newer-merged" / "manifest.json"));
  EXPECT_EQ(merged["totals"]["bad_lines_by_reason"].dump(),
            R"({"bad_integer":1,"a_newer_reason":3})");
}

// The merged manifest's options are the run's: not the first part's --threads (each part ran
// with its own) nor its shard.
TEST_F(MergeRuns, TheMergedOptionsHoldNoPartsThreadsOrShard) {
  WriteFile(tmp_.path() / "opts" / "a.log",
            "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 "
            "ACCEPT OK\n");
  WriteFile(tmp_.path() / "opts" / "b.log",
            "2 123456789012 eni-c 10.0.0.2 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 "
            "ACCEPT OK\n");
  RunShards(tmp_ / "opts", tmp_.path() / "opts-parts", 2);
  const json part = json::parse(ReadFile(tmp_.path() / "opts-parts" / "0" / "manifest.json"));
  ASSERT_TRUE(part["options"].contains("threads"));
  const MergeResult m = MergeDirs(PartDirs(tmp_.path() / "opts-parts", 2), tmp_ / "opts-merged");
  ASSERT_EQ(m.exit_code, 0) << m.error;
  const json merged = json::parse(ReadFile(tmp_.path() / "opts-merged" / "manifest.json"));
  EXPECT_FALSE(merged["options"].contains("threads")) << merged["options"].dump();
  EXPECT_TRUE(merged["options"]["shard"].is_null());
  // The merged tables' frames are counted as a run's (show compares them with the files: a
  // merged table cut at a frame's end is found only by them). No test read them.
  ASSERT_TRUE(part.contains("tables"));
  EXPECT_EQ(merged["tables"], part["tables"]) << merged.dump();
}

// What the parts may each have had their own way (the SIMD target of the machine, --internal
// spelled otherwise for the same set, --mmap) is said in the merged manifest alike for any order
// of the parts: it was the first part's, so `merge b a` and `merge a b` differed.
TEST_F(MergeRuns, TheMergedManifestSaysThePartsWaysAlikeInAnyOrder) {
  const fs::path parts = tmp_.path() / "ways";
  for (uint32_t i = 0; i < 2; ++i) {
    RunOptions opt =
        AsPart(Options(tmp_ / "data/hand", (parts / std::to_string(i)).string()), i, 2);
    opt.simd_target = i == 0 ? "AVX3" : "AVX2";
    opt.map_files = i == 0;
    if (i == 1) {
      std::string error;
      const auto internal = NetworkSet::Parse(
          "192.168.0.0/16,10.0.0.0/9,10.128.0.0/9,172.16.0.0/12,100.64.0.0/10,fc00::/7", &error);
      ASSERT_TRUE(internal) << error;
      opt.internal = *internal;
    }
    ASSERT_EQ(flowsift::Run(opt, nullptr).exit_code, 0);
  }
  std::vector<json> options;
  for (const std::vector<std::string>& order :
       {PartDirs(parts, 2), std::vector<std::string>{parts / "1", parts / "0"}}) {
    const MergeResult r = MergeDirs(order, tmp_ / "ways-merged");
    ASSERT_EQ(r.exit_code, 0) << r.error;
    const json m = json::parse(ReadFile(tmp_.path() / "ways-merged" / "manifest.json"));
    EXPECT_EQ(m["simd_target"], "AVX2,AVX3");
    options.push_back(m["options"]);
    fs::remove_all(tmp_.path() / "ways-merged");
  }
  EXPECT_EQ(options[0], options[1]);
  EXPECT_EQ(options[0]["internal"], NetworkSet::DefaultInternal().Canonical());
  EXPECT_EQ(options[0]["mmap"], false);
}

// A run without --since has no lower bound: its manifest's options.since is null, as until's
// is, not 0, which reads as 1970-01-01 (docs/outputs.md). A part of an earlier version wrote 0:
// it still merges with new parts, and the merged manifest says null.
TEST_F(MergeRuns, NoSinceIsNullInTheManifestsAndOldPartsStillMerge) {
  const fs::path parts = tmp_.path() / "parts";
  RunShards(tmp_ / "data", parts, 2);
  const auto options_of = [](const std::string& dir) {
    return nlohmann::json::parse(ReadFile(fs::path(dir) / "manifest.json"))["options"];
  };
  EXPECT_TRUE(options_of(parts / "0")["since"].is_null()) << options_of(parts / "0");
  EXPECT_TRUE(options_of(parts / "0")["until"].is_null());
  RewriteRun((parts / "1" / kStateFile).string(), [](nlohmann::ordered_json& run) {
    run["since"] = 0;
    run["manifest"]["options"]["since"] = 0;
  });
  for (const auto& order : {std::vector<std::string>{parts / "1", parts / "0"},
                            std::vector<std::string>{parts / "0", parts / "1"}}) {
    const MergeResult r = MergeDirs(order, tmp_ / "since-null");
    ASSERT_EQ(r.exit_code, 0) << r.error;
    EXPECT_TRUE(options_of(tmp_ / "since-null")["since"].is_null())
        << options_of(tmp_ / "since-null");
    fs::remove_all(tmp_.path() / "since-null");
  }
}

// Parts whose --since/--until kept none of the records they read exit 1 merged, as one run
// does (and as each part did): the merge exited 0, an empty day that a nightly job passed.
// When one part keeps a record the merge exits 0.
TEST_F(MergeRuns, PartsThatKeptNoRecordExitOneMerged) {
  const fs::path parts = tmp_.path() / "since-parts";
  const auto make_parts = [&](uint64_t since) {
    for (uint32_t i = 0; i < 2; ++i) {
      RunOptions opt = AsPart(Options(tmp_ / "data", (parts / std::to_string(i)).string()), i, 2);
      opt.force = true;
      opt.since = since;
      const RunResult r = flowsift::Run(opt, nullptr);
      ASSERT_EQ(r.exit_code, r.graph.records == 0 ? 1 : 0) << r.error;
    }
  };
  make_parts(4000000000);  // 2096: after every record
  MergeResult m = MergeDirs(PartDirs(parts, 2), tmp_ / "since-merged");
  EXPECT_EQ(m.exit_code, 1) << m.error;
  EXPECT_EQ(m.records, 0u);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_NE(m.notes[0].find(" records the parts read starts within --since 2096-10-02T07:06:40Z "
                            "(exit 1, as one run)"),
            std::string::npos)
      << m.notes[0];
  EXPECT_TRUE(fs::exists(tmp_.path() / "since-merged" / "manifest.json"));

  make_parts(1);  // every record kept
  m = MergeDirs(PartDirs(parts, 2), tmp_ / "since-merged-all");
  EXPECT_EQ(m.exit_code, 0) << m.error;
  EXPECT_GT(m.records, 0u);
  EXPECT_TRUE(m.notes.empty());
}

// The input directory missing on one worker (a volume not mounted there): that worker's shard
// 2/3 lists the path as one file, which is shard 0's, so it read nothing and exited 0, and the
// merge of the three parts lacked a third of the files and exited 0. Every shard reports it now.
TEST_F(MergeRuns, AnInputMissingOnOneWorkerFailsItsShardAndTheMerge) {
  const std::string in = tmp_ / "data";
  for (uint32_t i : {0u, 1u}) {
    ASSERT_EQ(
        flowsift::Run(AsPart(Options(in, tmp_ / ("parts/" + std::to_string(i))), i, 3), nullptr)
            .exit_code,
        0);
  }
  fs::rename(tmp_.path() / "data", tmp_.path() / "elsewhere");
  const RunResult missing = flowsift::Run(AsPart(Options(in, tmp_ / "parts/2"), 2, 3), nullptr);
  fs::rename(tmp_.path() / "elsewhere", tmp_.path() / "data");
  EXPECT_EQ(missing.exit_code, 1);
  ASSERT_EQ(missing.failures.size(), 1u);
  EXPECT_EQ(missing.failures[0], in + ": not_found: cannot open: No such file or directory");
  const MergeResult r = MergeDirs(PartDirs(tmp_.path() / "parts", 3), tmp_ / "out");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  const json merged = json::parse(ReadFile(tmp_.path() / "out/manifest.json"));
  EXPECT_EQ(merged["inputs"][0]["path"], in);
  EXPECT_EQ(merged["inputs"][0]["status"], "not_found");
  // Unsharded, the path is still a file of the list, read (and failed) in its place.
  const RunResult whole = flowsift::Run(Options(tmp_ / "nowhere", tmp_ / "whole"), nullptr);
  EXPECT_EQ(whole.exit_code, 1);
  EXPECT_EQ(whole.files.size(), 1u);
}

// An input missing on every worker (a typo in the job's command): the shard of its place fails
// it as a file, the others report it as an input that could not be listed, and the merge lists
// it once, in its place, not once per shard.
TEST_F(MergeRuns, AnInputMissingEverywhereIsListedOnceInTheMerge) {
  const std::string nowhere = tmp_ / "nowhere";
  for (uint32_t i : {0u, 1u, 2u}) {
    RunOptions opt = AsPart(Options(tmp_ / "data", tmp_ / ("parts/" + std::to_string(i))), i, 3);
    opt.inputs = {nowhere, tmp_ / "data"};
    const RunResult part = flowsift::Run(opt, nullptr);
    EXPECT_EQ(part.exit_code, 1) << i;
  }
  const MergeResult r = MergeDirs(PartDirs(tmp_.path() / "parts", 3), tmp_ / "out");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  const json merged = json::parse(ReadFile(tmp_.path() / "out/manifest.json"));
  size_t listed = 0;
  for (const json& in : merged["inputs"]) listed += in.value("path", "") == nowhere ? 1 : 0;
  EXPECT_EQ(listed, 1u) << merged["inputs"].dump(1);
  EXPECT_EQ(merged["inputs"][0]["path"], nowhere);
}

// Named files with --shard 2: a named path that is missing is reported by both shards (the
// other shard's as an input that could not be listed); the named files that are there are read
// by their own shard alone and reported by none.
TEST_F(MergeRuns, OfTwoShardsBothReportAMissingNamedFileAndOnlyIt) {
  const std::string hand = tmp_ / "data/hand";
  const std::string nowhere = tmp_ / "nowhere.log";
  for (uint32_t i : {0u, 1u}) {
    RunOptions opt = AsPart(Options(hand, tmp_ / ("parts/" + std::to_string(i))), i, 2);
    opt.inputs = {hand + "/a.log", hand + "/b.log", nowhere};  // nowhere is shard 0's
    const RunResult part = flowsift::Run(opt, nullptr);
    EXPECT_EQ(part.exit_code, 1) << i;
    ASSERT_EQ(part.failures.size(), 1u) << i;
    EXPECT_EQ(part.failures[0].rfind(nowhere + ": ", 0), 0u) << part.failures[0];
  }
  const MergeResult r = MergeDirs(PartDirs(tmp_.path() / "parts", 2), tmp_ / "out");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  EXPECT_EQ(r.records, 100u);
}

// The same with the directory a line of a --files-from list: it was no error in the other
// shards, whose files were then silently absent from the merge.
TEST_F(MergeRuns, ADirectoryOfAFilesFromListMissingFailsEveryShard) {
  const std::string gone = tmp_ / "gone";
  WriteFile(tmp_.path() / "list", gone + "\n" + (tmp_ / "data") + "\n");
  RunOptions opt = AsPart(Options(tmp_ / "data", tmp_ / "part"), 1, 2);
  opt.inputs.clear();
  opt.files_from = {tmp_ / "list"};
  const RunResult part = flowsift::Run(opt, nullptr);  // gone is shard 0's
  EXPECT_EQ(part.exit_code, 1);
  ASSERT_EQ(part.failures.size(), 1u);
  EXPECT_EQ(part.failures[0], gone + ": not_found: cannot open: No such file or directory");
}

// --- Boundaries the tests above did not reach --------------------------------------------------

// A reason's bad lines split over two parts: the merged manifest keeps kSamplesPerReason (20) of
// them, as one run keeps.
TEST_F(MergeRuns, BadLineSamplesAreCappedPerReasonAsInOneRun) {
  const std::string good =
      "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 ACCEPT OK\n";
  std::string a = good, b = good;
  for (int i = 0; i < 15; ++i) {
    a += "2 123456789012 eni-b 10.0.0.1\n";
    b += "2 123456789012 eni-b 10.0.0.2\n";
  }
  WriteFile(tmp_.path() / "many" / "a.log", a);
  WriteFile(tmp_.path() / "many" / "b.log", b);
  ASSERT_EQ(flowsift::Run(Options(tmp_ / "many", tmp_ / "many-single"), nullptr).exit_code, 0);
  RunShards(tmp_ / "many", tmp_.path() / "many-parts", 2);
  const MergeResult r = MergeDirs(PartDirs(tmp_.path() / "many-parts", 2), tmp_ / "many-merged");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const json one = json::parse(ReadFile(tmp_.path() / "many-single/manifest.json"));
  const json merged = json::parse(ReadFile(tmp_.path() / "many-merged/manifest.json"));
  EXPECT_EQ(one["bad_line_samples"].size(), 20u);
  EXPECT_EQ(merged["bad_line_samples"].dump(), one["bad_line_samples"].dump());
}

// Parts of separate runs (each 0/1, like nightly parts) both have a file at index 0: the
// merged manifest lists them by path, and keeps the first 20 samples of a reason in that
// order, as one run over both files does. Ordered by index and then line number, the samples
// were all b.log's, whose bad lines come earlier in its file, though a.log is listed first.
TEST_F(MergeRuns, SamplesOfSeparateRunsFollowTheMergedInputOrder) {
  const std::string good =
      "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 ACCEPT OK\n";
  std::string a, b;
  for (int i = 0; i < 30; ++i) a += good;
  for (int i = 0; i < 25; ++i) {
    a += "2 123456789012 eni-b 10.0.0.1\n";
    b += "2 123456789012 eni-b 10.0.0.2\n";
  }
  const fs::path dir = tmp_.path() / "separate";
  WriteFile(dir / "a.log", a);
  WriteFile(dir / "b.log", b + good);
  RunOptions both = Options(dir / "a.log", tmp_ / "separate-single");
  both.inputs.push_back(dir / "b.log");
  ASSERT_EQ(flowsift::Run(both, nullptr).exit_code, 0);
  for (const char* name : {"a", "b"}) {
    RunOptions part =
        Options(dir / (std::string(name) + ".log"), tmp_ / ("separate-" + std::string(name)));
    part.partial = true;
    ASSERT_EQ(flowsift::Run(part, nullptr).exit_code, 0);
  }
  const MergeResult r =
      MergeDirs({tmp_ / "separate-b", tmp_ / "separate-a"}, tmp_ / "separate-merged");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const json one = json::parse(ReadFile(tmp_.path() / "separate-single/manifest.json"));
  const json merged = json::parse(ReadFile(tmp_.path() / "separate-merged/manifest.json"));
  ASSERT_EQ(merged["inputs"][0]["path"], (dir / "a.log").string());
  ASSERT_EQ(one["bad_line_samples"].size(), 20u);
  EXPECT_EQ(one["bad_line_samples"][19]["path"], (dir / "a.log").string());
  EXPECT_EQ(merged["bad_line_samples"].dump(), one["bad_line_samples"].dump());
}

// One reason's bad lines in several parts are summed in the merged totals, as one run counts
// them (each reason above was in one part only, so taking one part's count passed).
TEST_F(MergeRuns, BadLinesOfOneReasonInSeveralPartsAreSummed) {
  const std::string good =
      "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 ACCEPT OK\n";
  const std::string bad = "2 123456789012 eni-b 10.0.0.1\n";
  WriteFile(tmp_.path() / "summed" / "a.log", good + bad);
  WriteFile(tmp_.path() / "summed" / "b.log", good + bad + bad);
  ASSERT_EQ(flowsift::Run(Options(tmp_ / "summed", tmp_ / "summed-single"), nullptr).exit_code, 0);
  RunShards(tmp_ / "summed", tmp_.path() / "summed-parts", 2);  // a.log, b.log
  const MergeResult r =
      MergeDirs(PartDirs(tmp_.path() / "summed-parts", 2), tmp_ / "summed-merged");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const json one = json::parse(ReadFile(tmp_.path() / "summed-single/manifest.json"));
  const json merged = json::parse(ReadFile(tmp_.path() / "summed-merged/manifest.json"));
  EXPECT_EQ(one["totals"]["bad_lines_by_reason"]["too_few_fields"], 3);
  EXPECT_EQ(merged["totals"].dump(), one["totals"].dump());
}

// Parts that each read standard input (`-`: pipes on two machines) are not the same input:
// only paths are compared across parts.
TEST_F(MergeRuns, PartsThatEachReadStandardInputMerge) {
  const fs::path parts = tmp_.path() / "stdin-parts";
  for (const char* name : {"a", "b"}) {
    RunOptions part =
        Options(tmp_.path() / "data/hand" / (std::string(name) + ".log"), parts / name);
    part.partial = true;
    ASSERT_EQ(flowsift::Run(part, nullptr).exit_code, 0);
    RewriteRun((parts / name / kStateFile).string(),
               [](nlohmann::ordered_json& run) { run["manifest"]["inputs"][0]["path"] = "-"; });
  }
  const MergeResult r = MergeDirs({parts / "a", parts / "b"}, tmp_ / "stdin-merged");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const json merged = json::parse(ReadFile(tmp_.path() / "stdin-merged/manifest.json"));
  ASSERT_EQ(merged["inputs"].size(), 2u);
  EXPECT_EQ(merged["inputs"][0]["path"], "-");
  EXPECT_EQ(merged["inputs"][1]["path"], "-");
  EXPECT_EQ(merged["totals"]["records"], 100);
}

// One run's files sharded 0/2 and 1/2: an interface first seen in the second file (shard 1's
// first) and again in the third (shard 0's second) takes the second file's account, as one
// run over the directory does. Each part numbers its files from 0; their places in the whole
// list are j * N + I (RenumberFiles), and j + I had tied the two files and given the third's.
TEST_F(MergeRuns, AShardedRunTakesTheAccountOfItsFirstFileInTheWholeList) {
  WriteFile(tmp_.path() / "w/a.log", SharedLines("333333333333", "eni-other00000000001"));
  WriteFile(tmp_.path() / "w/b.log", SharedLines("999999999999"));
  WriteFile(tmp_.path() / "w/c.log", SharedLines("111111111111"));
  const RunResult one = flowsift::Run(Options(tmp_ / "w", tmp_ / "w-one"), nullptr);
  ASSERT_EQ(one.exit_code, 0) << one.error;
  std::vector<std::string> dirs;
  for (uint32_t i = 0; i < 2; ++i) {
    const RunOptions opt = AsPart(Options(tmp_ / "w", tmp_ / ("w" + std::to_string(i))), i, 2);
    ASSERT_EQ(flowsift::Run(opt, nullptr).exit_code, 0);
    dirs.push_back(opt.out_dir);
  }
  const MergeResult m = MergeDirs(dirs, tmp_ / "w-merged");
  ASSERT_EQ(m.exit_code, 0) << m.error;
  const std::string windows = testing::ReadZstd(tmp_.path() / "w-merged" / "windows.csv.zst");
  EXPECT_NE(windows.find("eni-shared0000000001,999999999999,"), std::string::npos) << windows;
  for (const char* table : kTables) {
    EXPECT_TRUE(ReadFile(tmp_.path() / "w-merged" / table) ==
                ReadFile(tmp_.path() / "w-one" / table))
        << table;
  }
}

// Separate runs whose files tie on their index in their own runs' lists, the tie in a later
// file of a shard: z's run is split 0/2 and 1/2 and the interface is in z/d.log (index 3: the
// second file of part 1/2), y's is one part with it in y/4.log (index 3). y/4.log comes first
// by path, so its account is the interface's; the part's file is found at (3 - 1) / 2 of its
// list, not at 3 - 1 (past its end, a file with no path, which had won the tie).
TEST_F(MergeRuns, SeparateShardedRunsTieOnALaterFileOfAShard) {
  for (const char* name : {"z/a.log", "z/b.log", "z/c.log", "y/1.log", "y/2.log", "y/3.log"}) {
    WriteFile(tmp_.path() / name, SharedLines("333333333333", "eni-other00000000001"));
  }
  WriteFile(tmp_.path() / "z/d.log", SharedLines("111111111111"));
  WriteFile(tmp_.path() / "y/4.log", SharedLines("999999999999"));
  std::vector<std::string> dirs;
  for (uint32_t i = 0; i < 2; ++i) {
    const RunOptions opt = AsPart(Options(tmp_ / "z", tmp_ / ("z" + std::to_string(i))), i, 2);
    ASSERT_EQ(flowsift::Run(opt, nullptr).exit_code, 0);
    dirs.push_back(opt.out_dir);
  }
  const RunOptions y = AsPart(Options(tmp_ / "y", tmp_ / "y0"), 0, 1);
  ASSERT_EQ(flowsift::Run(y, nullptr).exit_code, 0);
  dirs.push_back(y.out_dir);
  const MergeResult m = MergeDirs(dirs, tmp_ / "zy");
  ASSERT_EQ(m.exit_code, 0) << m.error;
  const json merged = json::parse(ReadFile(tmp_.path() / "zy" / "manifest.json"));
  ASSERT_EQ(merged["inputs"].size(), 8u);
  EXPECT_EQ(merged["inputs"][6]["path"], tmp_ / "y/4.log");
  EXPECT_EQ(merged["inputs"][7]["path"], tmp_ / "z/d.log");
  const std::string windows = testing::ReadZstd(tmp_.path() / "zy" / "windows.csv.zst");
  EXPECT_NE(windows.find("eni-shared0000000001,999999999999,"), std::string::npos) << windows;
}
}  // namespace
}  // namespace flowsift
