// The parts a merge refuses or names, and the rest it merges: parts of another window or
// networks, truncated, corrupt or copied states, shards no part covers, a merged output or OUT
// given as a part, one input under two names, manifests of the wrong types; and the outputs
// it never replaces with nothing.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/merge.h"
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

TEST_F(MergeRuns, RefusesPartsOfAnotherWindowOrNetworks) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  // Shard 1/2 as a part in `name`, with `change` applied to its options.
  const auto other_part = [&](const std::string& name, const auto& change) {
    RunOptions o = Options(tmp_ / "data", tmp_ / name);
    change(o);
    ASSERT_EQ(flowsift::Run(AsPart(o, 1, 2), nullptr).exit_code, 0) << name;
  };
  other_part("hourly", [](RunOptions& o) { o.window = 3600; });
  MergeResult r = MergeDirs({tmp_ / "parts/0", tmp_ / "hourly"}, tmp_ / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("--window 3600"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("hourly"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(tmp_.path() / "out"));

  other_part("nets", [](RunOptions& o) { o.internal = *NetworkSet::Parse("10.0.0.0/8", nullptr); });
  r = MergeDirs({tmp_ / "parts/0", tmp_ / "nets"}, tmp_ / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("--internal"), std::string::npos) << r.error;

  // The same networks in another order, with a block inside another: the same part.
  other_part("nets-again", [](RunOptions& o) {
    o.internal = *NetworkSet::Parse(
        "fc00::/7,192.168.0.0/16,100.64.0.0/10,10.0.0.0/8,172.16.0.0/12,10.1.0.0/16", nullptr);
  });
  r = MergeDirs({tmp_ / "parts/0", tmp_ / "nets-again"}, tmp_ / "out");
  EXPECT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(ReadFile(tmp_.path() / "out/windows.csv.zst"),
            ReadFile(tmp_.path() / "single/windows.csv.zst"));
  fs::remove_all(tmp_.path() / "out");

  // Another time range: named, an unset bound as "not given" (it was "0" for --since), a time
  // in ISO-8601 UTC as run's messages write it (it was epoch seconds).
  other_part("since", [](RunOptions& o) { o.since = 1700000000; });
  r = MergeDirs({tmp_ / "parts/0", tmp_ / "since"}, tmp_ / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("(--since 2023-11-14T22:13:20Z) with " + tmp_ / "parts/0" +
                         "/state.bin.zst" + " (--since not given)"),
            std::string::npos)
      << r.error;
  other_part("until", [](RunOptions& o) { o.until = 1800000000; });
  r = MergeDirs({tmp_ / "parts/0", tmp_ / "until"}, tmp_ / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("(--until 2027-01-15T08:00:00Z) with"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("(--until not given)"), std::string::npos) << r.error;
  // Both set, to other times: each part's in its words.
  other_part("both", [](RunOptions& o) { o.since = 1700000060, o.until = 1800000000; });
  r = MergeDirs({tmp_ / "since", tmp_ / "both"}, tmp_ / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("(--since 2023-11-14T22:14:20Z) with " + tmp_ / "since" +
                         "/state.bin.zst (--since 2023-11-14T22:13:20Z)"),
            std::string::npos)
      << r.error;

  // --strict in one part and not the other: the merge's exit status depended on their order.
  other_part("strict", [](RunOptions& o) { o.strict = true; });
  for (const auto& order : {std::vector<std::string>{tmp_ / "parts/0", tmp_ / "strict"},
                            std::vector<std::string>{tmp_ / "strict", tmp_ / "parts/0"}}) {
    r = MergeDirs(order, tmp_ / "out");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.error.find("--strict"), std::string::npos) << r.error;
    EXPECT_FALSE(fs::exists(tmp_.path() / "out"));
  }

  // Other detection options: the first setting that differs is named, both ways.
  other_part("nodetect", [](RunOptions& o) { o.detect.enabled = false; });
  r = MergeDirs({tmp_ / "parts/0", tmp_ / "nodetect"}, tmp_ / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("(detection option detection.enabled = false) with"), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("(detection option detection.enabled = true)"), std::string::npos)
      << r.error;

  // The same shard in two parts (a copy; the same part twice is its own refusal): its inputs
  // would count twice.
  fs::copy(tmp_.path() / "parts/0", tmp_.path() / "copy", fs::copy_options::recursive);
  r = MergeDirs({tmp_ / "parts/0", tmp_ / "parts/1", tmp_ / "copy"}, tmp_ / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("count twice"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(tmp_.path() / "out"));
}

TEST_F(MergeRuns, NamesTruncatedAndCorruptPartsAndMergesTheRest) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 4);
  const fs::path truncated = tmp_.path() / "parts/1" / kStateFile;
  const std::string bytes = ReadFile(truncated);
  WriteFile(truncated, bytes.substr(0, bytes.size() - 100));
  const fs::path corrupt = tmp_.path() / "parts/2" / kStateFile;
  std::string flipped = ReadFile(corrupt);
  flipped[flipped.size() / 2] ^= 0x20;
  WriteFile(corrupt, flipped);

  const MergeResult r = MergeDirs(PartDirs(tmp_.path() / "parts", 4), tmp_ / "out");
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_NE(r.failures[0].find(truncated.string()), std::string::npos) << r.failures[0];
  EXPECT_NE(r.failures[0].find("truncated"), std::string::npos) << r.failures[0];
  EXPECT_NE(r.failures[1].find(corrupt.string()), std::string::npos) << r.failures[1];
  EXPECT_NE(r.failures[1].find("corrupt"), std::string::npos) << r.failures[1];
  EXPECT_EQ(r.parts_merged, 2u);
  // The two good parts, merged (exit 1 still: shards 1 and 2 are missing).
  const MergeResult good = MergeDirs({tmp_ / "parts/0", tmp_ / "parts/3"}, tmp_ / "good");
  ASSERT_EQ(good.exit_code, 1) << good.error;
  EXPECT_TRUE(good.error.empty()) << good.error;
  EXPECT_TRUE(ReadFile(tmp_.path() / "out/windows.csv.zst") ==
              ReadFile(tmp_.path() / "good/windows.csv.zst"));
  const json m = json::parse(ReadFile(tmp_.path() / "out/manifest.json"));
  EXPECT_EQ(m["merged_from"].size(), 4u);
  EXPECT_EQ(m["merged_from"][3]["status"], "failed");
  // A failed part is named in merged_from by its path (it was null), and the shards no merged
  // part covers are said.
  EXPECT_EQ(m["merged_from"][2]["path"], truncated.string());
  EXPECT_EQ(m["merged_from"][3]["path"], corrupt.string());
  ASSERT_EQ(r.missing_shards.size(), 1u);
  EXPECT_NE(r.missing_shards[0].find("do not cover shard(s) 1, 2 of 4"), std::string::npos)
      << r.missing_shards[0];
  EXPECT_TRUE(good.missing_shards.size() == 1 &&
              good.missing_shards[0].find("1, 2 of 4") != std::string::npos);
  // Which failed part was which missing shard, from their manifests (it was "a part that failed
  // may have been one of them").
  EXPECT_NE(r.missing_shards[0].find(" of 4 (of the parts that failed above, " +
                                     (tmp_.path() / "parts/1").string() + " is shard 1/4, " +
                                     (tmp_.path() / "parts/2").string() + " is shard 2/4): "),
            std::string::npos)
      << r.missing_shards[0];
  EXPECT_EQ(good.missing_shards[0].find("failed"), std::string::npos) << good.missing_shards[0];
}

// A failed part whose manifest says its shard is named with the missing shard it was; one that
// says none (a state file collected on its own, a damaged manifest) as one that may have been.
TEST_F(MergeRuns, AMissingShardIsNamedWithTheFailedPartThatWasIt) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 4);
  fs::remove(tmp_.path() / "parts/1" / kStateFile);  // lost: its manifest says partial
  const fs::path alone = tmp_.path() / "p2.state.zst";
  const std::string bytes = ReadFile(tmp_.path() / "parts/2" / kStateFile);
  WriteFile(alone, bytes.substr(0, bytes.size() / 2));  // cut short, no manifest beside it
  MergeResult r = MergeDirs({tmp_ / "parts/0", tmp_ / "parts/1", alone.string(), tmp_ / "parts/3"},
                            tmp_ / "out");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  ASSERT_EQ(r.failures.size(), 2u);
  ASSERT_EQ(r.missing_shards.size(), 1u);
  EXPECT_NE(r.missing_shards[0].find("do not cover shard(s) 1, 2 of 4 (of the parts that failed "
                                     "above, " +
                                     (tmp_.path() / "parts/1").string() +
                                     " is shard 1/4; another that failed may have been one of "
                                     "them): their inputs are not in the output"),
            std::string::npos)
      << r.missing_shards[0];
  // A failed part whose shard is covered (a copy of parts/3 cut short) is not named.
  fs::copy(tmp_.path() / "parts/3", tmp_.path() / "copy3", fs::copy_options::recursive);
  WriteFile(tmp_.path() / "copy3" / kStateFile, "");
  r = MergeDirs(
      {tmp_ / "parts/0", tmp_ / "parts/1", tmp_ / "parts/2", tmp_ / "copy3", tmp_ / "parts/3"},
      tmp_ / "out2");
  ASSERT_EQ(r.missing_shards.size(), 1u);
  EXPECT_NE(r.missing_shards[0].find("do not cover shard(s) 1 of 4 (of the parts that failed "
                                     "above, " +
                                     (tmp_.path() / "parts/1").string() + " is shard 1/4): "),
            std::string::npos)
      << r.missing_shards[0];
}

// A state file that is no regular file, or that decompresses to far more than any state does,
// is named and the rest merged: a FIFO in its place hung the merge, a link to /dev/zero and a
// 94 KB frame of 3 GB of zeros took all memory (the global OOM killer; under a limit exit 3,
// naming nothing).
TEST_F(MergeRuns, AStateThatIsNoFileOrABombIsNamedAndTheRestMerged) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 4);
  const fs::path fifo = tmp_.path() / "parts/1" / kStateFile;
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const fs::path zero = tmp_.path() / "parts/2" / kStateFile;
  fs::remove(zero);
  fs::create_symlink("/dev/zero", zero);
  // The state's own magic, then 80 MB of zeros: a few KB compressed.
  const fs::path bomb = tmp_.path() / "parts/3" / kStateFile;
  const std::string header = testing::ReadZstd(tmp_.path() / "parts/0" / kStateFile).substr(0, 16);
  testing::WriteZstd(bomb, header + std::string(80 << 20, '\0'));
  ASSERT_LT(fs::file_size(bomb), 64u << 10);

  const MergeResult r = MergeDirs(PartDirs(tmp_.path() / "parts", 4), tmp_ / "out");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  ASSERT_EQ(r.failures.size(), 3u);
  EXPECT_NE(r.failures[0].find(fifo.string() + ": unreadable: not a regular file (a FIFO)"),
            std::string::npos)
      << r.failures[0];
  EXPECT_NE(r.failures[1].find(zero.string() + ": unreadable: not a regular file (a device)"),
            std::string::npos)
      << r.failures[1];
  EXPECT_NE(r.failures[2].find(bomb.string() + ": corrupt (it decompresses to more than "),
            std::string::npos)
      << r.failures[2];
  EXPECT_EQ(r.parts_merged, 1u);
  EXPECT_TRUE(fs::exists(tmp_.path() / "out/windows.csv.zst"));
}

// A shard never run is said (a merge of three of four parts was silent); parts that cover every
// input between them, in any split, say nothing. A missing shard is exit 1 (inputs missing from
// OUT, as one run's missing input), with OUT written: a worker that died before making its
// directory made `merge parts/*` exit 0.
TEST_F(MergeRuns, ShardsNoPartCoversAreSaid) {
  RunShards(tmp_ / "data", tmp_.path() / "four", 4);
  RunShards(tmp_ / "data", tmp_.path() / "two", 2);
  MergeResult r = MergeDirs({tmp_ / "four/0", tmp_ / "four/1", tmp_ / "four/2"}, tmp_ / "a");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_TRUE(fs::exists(tmp_.path() / "a" / "windows.csv.zst"));
  ASSERT_EQ(r.missing_shards.size(), 1u);
  EXPECT_NE(r.missing_shards[0].find("shard(s) 3 of 4"), std::string::npos) << r.missing_shards[0];
  r = MergeDirs({tmp_ / "two/0", tmp_ / "four/1", tmp_ / "four/3"}, tmp_ / "b");
  EXPECT_EQ(r.exit_code, 0) << r.error;
  EXPECT_TRUE(r.missing_shards.empty()) << r.missing_shards[0];
  r = MergeDirs({tmp_ / "two/0", tmp_ / "four/1"}, tmp_ / "c");
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.missing_shards.size(), 1u);
  EXPECT_NE(r.missing_shards[0].find("shard(s) 3 of 4"), std::string::npos) << r.missing_shards[0];
  // Parts of different counts are named, a part per count (a part of another run among them
  // was named nowhere).
  EXPECT_NE(r.missing_shards[0].find(" (the parts are shards of runs of different counts: " +
                                     (tmp_.path() / "two/0" / kStateFile).string() + " is of 2, " +
                                     (tmp_.path() / "four/1" / kStateFile).string() + " is of 4;"),
            std::string::npos)
      << r.missing_shards[0];
  r = MergeDirs({tmp_ / "four/0", tmp_ / "four/1", tmp_ / "four/2"}, tmp_ / "d");
  ASSERT_EQ(r.missing_shards.size(), 1u);
  EXPECT_EQ(r.missing_shards[0].find("different counts"), std::string::npos) << r.missing_shards[0];
}

// Coverage is checked run by run: the parts that listed the same inputs before sharding. Two
// nights of shards merged into a week, the second night's shard 1/2 never run: pooled with the
// first night's 1/2 the shards looked covered, and merge exited 0 without a word of the
// second night's lost inputs.
TEST_F(MergeRuns, EachRunsShardsAreCheckedForCoverageOnTheirOwn) {
  fs::copy(tmp_.path() / "data", tmp_.path() / "night2", fs::copy_options::recursive);
  RunShards(tmp_ / "data", tmp_.path() / "one", 2);
  RunShards(tmp_ / "night2", tmp_.path() / "two", 2);
  MergeResult r = MergeDirs({tmp_ / "one/0", tmp_ / "one/1", tmp_ / "two/0"}, tmp_ / "a");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  ASSERT_EQ(r.missing_shards.size(), 1u);
  EXPECT_NE(r.missing_shards[0].find("the merged parts of the run that " +
                                     (tmp_.path() / "two/0" / kStateFile).string() +
                                     " is a shard of do not cover shard(s) 1 of 2"),
            std::string::npos)
      << r.missing_shards[0];
  r = MergeDirs({tmp_ / "two/1", tmp_ / "one/0", tmp_ / "two/0", tmp_ / "one/1"}, tmp_ / "b");
  EXPECT_EQ(r.exit_code, 0) << r.error;
  EXPECT_TRUE(r.missing_shards.empty()) << r.missing_shards[0];
  // The run's list as the part saves it: its length, and a hash of the absolute paths.
  PartialFile file;
  std::string error;
  ASSERT_EQ(ReadPartial((tmp_.path() / "one/0" / kStateFile).string(), &file, &error),
            PartialStatus::kOk)
      << error;
  EXPECT_TRUE(file.run["listed_files"]["count"].is_number_unsigned()) << file.run.dump();
  EXPECT_EQ(file.run["listed_files"]["hash"].get<std::string>().size(), 16u) << file.run.dump();
}

// Coverage is checked for any count (past 4096 shards it was not: a merge of one part of 5,000
// exited 0). A part whose shard is not [I, N] with I < N, or that holds no manifest, is a
// damaged part: taken as 0/1 it had passed the check.
TEST_F(MergeRuns, CoverageIsCheckedForAnyShardCountAndAPartsShardIsChecked) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  const std::string state0 = (tmp_.path() / "parts/0" / kStateFile).string();
  RewriteRun(state0, [](nlohmann::ordered_json& run) { run["shard"] = {0, 5000}; });
  MergeResult r = MergeDirs({tmp_ / "parts/0"}, tmp_ / "a");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  ASSERT_EQ(r.missing_shards.size(), 1u);
  EXPECT_NE(r.missing_shards[0].find("shard(s) 1, 2, 3, 4, 5, 6, 7, 8, ... (4999 in all) of 5000"),
            std::string::npos)
      << r.missing_shards[0];
  const std::string state1 = (tmp_.path() / "parts/1" / kStateFile).string();
  for (const nlohmann::ordered_json& shard :
       {nlohmann::ordered_json{5, 4}, nlohmann::ordered_json{0, 0}, nlohmann::ordered_json("1/2"),
        nlohmann::ordered_json()}) {
    RewriteRun(state1, [&](nlohmann::ordered_json& run) { run["shard"] = shard; });
    r = MergeDirs({tmp_ / "parts/1"}, tmp_ / "b");
    EXPECT_EQ(r.exit_code, 1) << shard;
    ASSERT_EQ(r.failures.size(), 1u) << shard;
    EXPECT_NE(r.failures[0].find(state1 + ": corrupt (its shard is " + shard.dump()),
              std::string::npos)
        << r.failures[0];
  }
  // A manifest whose record count is not its tables' (the merged manifest sums the counts).
  RewriteRun(state1, [](nlohmann::ordered_json& run) {
    run["shard"] = {1, 2};
    run["manifest"]["totals"]["records"] = 7;
  });
  r = MergeDirs({tmp_ / "parts/1"}, tmp_ / "b");
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_NE(r.failures[0].find("corrupt (its manifest counts 7 records, its tables "),
            std::string::npos)
      << r.failures[0];
  RewriteRun(state1, [](nlohmann::ordered_json& run) {
    run["shard"] = {1, 2};
    run.erase("manifest");
  });
  r = MergeDirs({tmp_ / "parts/1"}, tmp_ / "c");
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_NE(r.failures[0].find("corrupt (it holds no manifest of its run)"), std::string::npos)
      << r.failures[0];
}

// A merge's output keeps no state; given to merge again, it is named as what it is (it was
// called "an output of a run without --partial" and told to run with a flag merge has not),
// and refused with nothing written (exit 2), as a mistake no retry mends.
TEST_F(MergeRuns, AMergedOutputGivenAsAPartIsNamedAsSuch) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  ASSERT_EQ(MergeDirs(PartDirs(tmp_.path() / "parts", 2), tmp_ / "merged").exit_code, 0);
  const MergeResult r = MergeDirs({tmp_ / "parts/0", tmp_ / "merged"}, tmp_ / "again");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.failures.empty());
  EXPECT_NE(r.error.find("an output of flowsift merge, which keeps no state.bin.zst: merge "
                         "the parts it was made of"),
            std::string::npos)
      << r.error;
  EXPECT_FALSE(fs::exists(tmp_.path() / "again"));
}

// Two nightly runs of one staging file that each night's job rewrites (`run stage/night.log`)
// list one path read with other sizes: still refused (inputs are told apart by path), but not
// as records that "would count twice", which sent the operator looking for a duplicate.
TEST_F(MergeRuns, OneNameReadWithOtherSizesIsSaidAsTwoFiles) {
  const std::string line =
      "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700000100 1700000160 ACCEPT OK\n";
  const fs::path staged = tmp_.path() / "stage" / "night.log";
  std::vector<std::string> nights;
  for (int night = 1; night <= 2; ++night) {
    std::string text;
    for (int k = 0; k < night; ++k) text += line;
    WriteFile(staged, text);
    nights.push_back(tmp_ / ("night" + std::to_string(night)));
    RunOptions opt = AsPart(Options(staged.string(), nights.back()), 0, 1);
    ASSERT_EQ(flowsift::Run(opt, nullptr).exit_code, 0);
  }
  const MergeResult r = MergeDirs(nights, tmp_ / "staged-merged");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find(", read with other sizes (" + std::to_string(line.size()) + " and " +
                         std::to_string(2 * line.size()) +
                         " bytes): two files under one name (a file each run rewrites?)"),
            std::string::npos)
      << r.error;
  EXPECT_EQ(r.error.find("would count twice"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(tmp_.path() / "staged-merged"));
}

// Workers given the INPUT arguments in other orders (`run A B --shard 0/2`, `run B A --shard
// 1/2`) list the inputs in other orders (argument order is kept), so their shards share a file:
// the refusal names that cause too. It asked only whether files were added or removed.
TEST_F(MergeRuns, ArgumentsInAnotherOrderAreNamedAmongTheCausesOfASharedInput) {
  for (const char* dir : {"A", "B"}) {
    for (int i = 0; i < 3; ++i) {
      WriteFile(tmp_.path() / "args" / dir / (std::to_string(i) + ".log"),
                "2 123456789012 eni-b 10.0.0.1 8.8.8.8 443 50000 6 10 1000 1700000100 "
                "1700000160 ACCEPT OK\n");
    }
  }
  const fs::path parts = tmp_.path() / "args-parts";
  for (uint32_t i = 0; i < 2; ++i) {
    RunOptions opt = AsPart(Options(tmp_ / "args/A", (parts / std::to_string(i)).string()), i, 2);
    opt.inputs = {tmp_ / (i == 0 ? "args/A" : "args/B"), tmp_ / (i == 0 ? "args/B" : "args/A")};
    ASSERT_EQ(flowsift::Run(opt, nullptr).exit_code, 0);
  }
  const MergeResult r = MergeDirs(PartDirs(parts, 2), tmp_ / "args-merged");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("or the INPUT arguments given in another order (the list keeps their "
                         "order)? Run every part again with one input list"),
            std::string::npos)
      << r.error;
  EXPECT_FALSE(fs::exists(tmp_.path() / "args-merged"));
}

// The second night of `merge nights/* -o nights/week --force` lists the first night's output
// among the parts: refused as that (exit 2, the output kept), not called "the part
// nights/week", which it is not.
TEST_F(MergeRuns, AnEarlierOutputListedAsAPartAndAsOutIsSaidAsSuch) {
  const fs::path parts = tmp_.path() / "nights";
  RunShards(tmp_ / "data/hand", parts, 2);
  std::vector<std::string> list = PartDirs(parts, 2);
  ASSERT_EQ(MergeDirs(list, parts / "week").exit_code, 0);
  const std::string before = ReadFile(parts / "week" / "windows.csv.zst");
  list.push_back(parts / "week");
  MergeOptions m;
  m.parts = list;
  m.out_dir = parts / "week";
  m.force = true;
  const MergeResult r = MergeParts(m);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("is given as a part too (" + (parts / "week").string() +
                         "), and it is none: it has no state.bin.zst"),
            std::string::npos)
      << r.error;
  EXPECT_EQ(r.error.find("the part "), std::string::npos) << r.error;
  EXPECT_EQ(ReadFile(parts / "week" / "windows.csv.zst"), before);
}

// A part whose state file is gone (deleted, or not copied with the rest) is named as such,
// not as "an output of a run without --partial" told to run with a flag it was run with; nor
// is one whose manifest does not read as JSON either (nothing says how it was run). Both are a
// part that cannot be read, as one whose state file is cut short (SPEC 2.2's exit 1: the rest
// merged, the part named in merged_from): a rerun of that part mends it. They had been exit 2
// with nothing written, a usage error, while a truncated state file was exit 1.
TEST_F(MergeRuns, APartWhoseStateFileIsGoneIsNotCalledARunWithoutPartial) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  ASSERT_TRUE(fs::remove(tmp_.path() / "parts/1" / kStateFile));
  MergeOptions m;
  m.parts = PartDirs(tmp_.path() / "parts", 2);
  m.out_dir = tmp_ / "merged";
  const std::pair<std::string, std::string> kCases[] = {
      {"",
       ": a part of a run with --partial, but its state.bin.zst is missing (deleted, or not "
       "copied with the rest): run that part again"},
      {"{\"tool\": \"flowsift\", \"partial\": ",
       ": it has no state.bin.zst, and its " +
           (tmp_.path() / "parts/1" / "manifest.json").string() +
           " is not a manifest flowsift can read (damaged?)"}};
  m.force = true;
  for (const auto& [manifest, said] : kCases) {
    if (!manifest.empty()) WriteFile(tmp_.path() / "parts/1" / "manifest.json", manifest);
    const MergeResult r = MergeParts(m);
    EXPECT_EQ(r.exit_code, 1) << r.error;
    EXPECT_TRUE(r.error.empty()) << r.error;
    ASSERT_EQ(r.failures.size(), 1u);
    EXPECT_NE(r.failures[0].find(tmp_ / "parts/1" + said), std::string::npos) << r.failures[0];
    EXPECT_EQ(r.failures[0].find("without --partial"), std::string::npos) << r.failures[0];
    EXPECT_EQ(r.parts_merged, 1u);
    EXPECT_EQ(r.missing_shards.size(), 1u);  // shard 1 of 2
    const nlohmann::json written = nlohmann::json::parse(ReadFile(tmp_ / "merged/manifest.json"));
    ASSERT_EQ(written["merged_from"].size(), 2u);
    EXPECT_EQ(written["merged_from"][1]["status"], "failed");
    EXPECT_EQ(written["merged_from"][1]["error"], r.failures[0]);
  }
  // Given twice, it is still the list's mistake: exit 2, nothing written.
  m.parts.push_back(tmp_.path() / "parts/./1");
  m.out_dir = tmp_ / "merged-twice";
  const MergeResult r = MergeParts(m);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find(" is given twice"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(tmp_.path() / "merged-twice"));
}

// A part's state file is its own manifest's: one copied from another part (night a's into night
// b's directory) was merged as b, a's records counted in b's name and b's missing, exit 0. It is
// a part that cannot be merged, named (exit 1, the rest merged), whether the part is given as
// its directory or its state file.
TEST_F(MergeRuns, AStateFileCopiedFromAnotherPartIsAFailedPart) {
  const fs::path nights = tmp_.path() / "nights";
  for (const char* name : {"a", "b", "c"}) {
    RunOptions part =
        Options(tmp_.path() / "data/hand" / (std::string(name) + ".log"), nights / name);
    part.partial = true;
    ASSERT_EQ(flowsift::Run(part, nullptr).exit_code, 0);
  }
  fs::copy_file(nights / "a" / kStateFile, nights / "b" / kStateFile,
                fs::copy_options::overwrite_existing);
  for (const fs::path& b : {nights / "b", nights / "b" / kStateFile}) {
    const MergeResult r = MergeDirs({b, nights / "c"}, tmp_ / "merged");
    EXPECT_EQ(r.exit_code, 1) << r.error;
    EXPECT_TRUE(r.error.empty()) << r.error;
    ASSERT_EQ(r.failures.size(), 1u) << b;
    EXPECT_NE(r.failures[0].find((nights / "b" / kStateFile).string() +
                                 ": not this part's state: the manifest it holds is not " +
                                 (nights / "b" / "manifest.json").string() + " (its inputs differ"),
              std::string::npos)
        << r.failures[0];
    EXPECT_NE(r.failures[0].find("copied from another part?"), std::string::npos) << r.failures[0];
    EXPECT_EQ(r.parts_merged, 1u);
    const json m = json::parse(ReadFile(tmp_.path() / "merged/manifest.json"));
    EXPECT_EQ(m["totals"]["records"], 50);  // c's alone
    ASSERT_EQ(m["merged_from"].size(), 2u);
    EXPECT_EQ(m["merged_from"][1]["status"], "failed");  // after the merged parts
    EXPECT_EQ(m["merged_from"][1]["path"], (nights / "b" / kStateFile).string());
    fs::remove_all(tmp_.path() / "merged");
  }
  // A state with its own manifest, or with none beside it (state files collected on their
  // own): merged.
  fs::create_directories(tmp_.path() / "collected" / "c");
  fs::copy_file(nights / "c" / kStateFile, tmp_.path() / "collected" / "c" / kStateFile);
  const MergeResult good =
      MergeDirs({nights / "a", tmp_.path() / "collected" / "c" / kStateFile}, tmp_ / "merged");
  EXPECT_EQ(good.exit_code, 0) << good.error;
  EXPECT_TRUE(good.failures.empty()) << good.failures[0];
  EXPECT_EQ(good.records, 100u);
}

TEST_F(MergeRuns, NeverReplacesAPartOrAGoodOutputWithNothing) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  MergeOptions m;
  m.parts = PartDirs(tmp_.path() / "parts", 2);
  m.force = true;
  for (const std::string& out : {tmp_ / "parts/0", tmp_ / "parts"}) {
    m.out_dir = out;
    const MergeResult r = MergeParts(m);
    EXPECT_EQ(r.exit_code, 2) << out;
    EXPECT_NE(r.error.find("choose another -o"), std::string::npos) << r.error;
  }
  EXPECT_TRUE(fs::exists(tmp_.path() / "parts/0" / kStateFile));
  const std::string before = ReadFile(tmp_.path() / "single/windows.csv.zst");
  m.parts = {tmp_ / "no-such-part", tmp_ / "data"};
  m.out_dir = tmp_ / "single";
  const MergeResult r = MergeParts(m);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.error.find("nothing written"), std::string::npos) << r.error;
  EXPECT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(ReadFile(tmp_.path() / "single/windows.csv.zst"), before);
  // A run's output made without --partial is named as such (it said only "No such file"), and
  // it is a mistake in the list, not a part that failed this time: exit 2 and nothing written,
  // wherever it is in the list (it was exit 1 with OUT written from the other parts).
  for (const std::vector<std::string>& list :
       {std::vector<std::string>{tmp_ / "single", tmp_ / "parts/0"},
        std::vector<std::string>{tmp_ / "parts/0", tmp_ / "parts/1", tmp_ / "single"}}) {
    m.parts = list;
    m.out_dir = tmp_ / "with-single";
    const MergeResult s = MergeParts(m);
    EXPECT_EQ(s.exit_code, 2);
    EXPECT_TRUE(s.failures.empty());
    EXPECT_NE(s.error.find(tmp_ / "single" +
                           ": an output of a run without --partial (it has no state.bin.zst): "
                           "run it again with --partial"),
              std::string::npos)
        << s.error;
    EXPECT_FALSE(fs::exists(tmp_.path() / "with-single"));
  }
}

// Inputs that change between the parts' runs (a file removed after shard 0 ran moves every later
// file one place down, into another shard): an input lands in two shards of one count, and the
// refusal says why that happens (it said only that the input was in both parts).
TEST_F(MergeRuns, AnInputListThatChangedBetweenThePartsIsNamedAsSuch) {
  fs::copy(tmp_.path() / "data", tmp_.path() / "changing", fs::copy_options::recursive);
  const std::string in = tmp_ / "changing";
  ASSERT_EQ(flowsift::Run(AsPart(Options(in, tmp_ / "parts/0"), 0, 3), nullptr).exit_code, 0);
  fs::remove(tmp_.path() / "changing/hand/a.log");
  for (uint32_t i : {1u, 2u}) {
    ASSERT_EQ(
        flowsift::Run(AsPart(Options(in, tmp_ / ("parts/" + std::to_string(i))), i, 3), nullptr)
            .exit_code,
        0);
  }
  const MergeResult r = MergeDirs(PartDirs(tmp_.path() / "parts", 3), tmp_ / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("would count twice (shards 0/3 and 2/3 of one input list never share an "
                         "input: were files added to or removed from the inputs between the "
                         "parts' runs, or the INPUT arguments given in another order"),
            std::string::npos)
      << r.error;
  EXPECT_FALSE(fs::exists(tmp_.path() / "out"));
}

// Parts of two shardings (2 and 3 shards) share inputs: refused, but not as an input list that
// changed between the runs of one sharding, which they are not.
TEST_F(MergeRuns, PartsOfTwoShardCountsAreNotCalledAChangedInputList) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  // Shard 2/3's first file (the third) is shard 0/2's: two shards of other indexes.
  ASSERT_EQ(flowsift::Run(AsPart(Options(tmp_ / "data", tmp_ / "third"), 2, 3), nullptr).exit_code,
            0);
  const MergeResult r =
      MergeDirs({tmp_ / "parts/0", tmp_ / "parts/1", tmp_ / "third"}, tmp_ / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("would count twice"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("added to or removed"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(tmp_.path() / "out"));
}

// A part whose manifest.json is damaged (not JSON) beside its own state file: the state is
// judged by itself and merged, not taken for another part's.
TEST_F(MergeRuns, AStateBesideADamagedManifestIsMerged) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  WriteFile(tmp_.path() / "parts/1/manifest.json", "{\"tool\": \"flowsift\", cut short");
  const MergeResult whole = MergeDirs(PartDirs(tmp_.path() / "parts", 2), tmp_ / "out");
  EXPECT_EQ(whole.exit_code, 0) << whole.error;
  EXPECT_TRUE(whole.failures.empty()) << whole.failures[0];
  EXPECT_EQ(whole.parts_merged, 2u);
}

// The same input read by two parts under two spellings (a re-run shard given `data/../data/`,
// `./data`, or the absolute path) is refused like the same spelling: inputs are compared by
// their absolute, normalised paths (the part records the directory it ran in). They were
// counted twice, silently.
TEST_F(MergeRuns, TheSameInputUnderTwoSpellingsIsRefused) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  ASSERT_EQ(flowsift::Run(AsPart(Options(tmp_ / "data/../data/", tmp_ / "again"), 0, 2), nullptr)
                .exit_code,
            0);
  const MergeResult r =
      MergeDirs({tmp_ / "parts/0", tmp_ / "parts/1", tmp_ / "again"}, tmp_ / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("would count twice"), std::string::npos) << r.error;
  // One shard (0/2) twice: not a changed input list.
  EXPECT_EQ(r.error.find("added to or removed"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(tmp_.path() / "out"));
  const PartialFile part = [&] {
    PartialFile f;
    std::string error;
    EXPECT_EQ(ReadPartial((tmp_.path() / "again" / kStateFile).string(), &f, &error),
              PartialStatus::kOk);
    return f;
  }();
  EXPECT_EQ(part.run["cwd"], fs::current_path().string());
}

// A part given twice is refused as such, exit 2 and nothing written, under one name or two
// (`P P`, `P parts/./0`, a symbolic link to P, `P P/state.bin.zst`): it was refused as "input
// X is in both P/state.bin.zst and P/state.bin.zst", which named no mistake.
TEST_F(MergeRuns, APartGivenTwiceIsRefusedAsSuch) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  const std::string p0 = tmp_ / "parts/0", p1 = tmp_ / "parts/1";
  fs::create_directory_symlink(p0, tmp_.path() / "link");
  const std::vector<std::vector<std::string>> kLists = {
      {p0, p1, p0},
      {p0, p1, tmp_ / "parts/./0"},
      {tmp_ / "link", p1, p0},
      {p0, p1, (fs::path(p0) / kStateFile).string()}};
  for (const std::vector<std::string>& list : kLists) {
    const MergeResult r = MergeDirs(list, tmp_ / "out");
    EXPECT_EQ(r.exit_code, 2) << list[2];
    EXPECT_NE(r.error.find("the part " + list[2] + " is given twice"), std::string::npos)
        << r.error;
    EXPECT_EQ(r.error.find("in both"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("give each part once"), std::string::npos) << r.error;
    EXPECT_FALSE(fs::exists(tmp_.path() / "out"));
  }
  // The other spellings name the first.
  EXPECT_NE(MergeDirs(kLists[2], tmp_ / "out").error.find("(as " + tmp_ / "link" + " too"),
            std::string::npos);
  EXPECT_EQ(MergeDirs({p0, p1}, tmp_ / "out").exit_code, 0);
}

// The same for the values the merged manifest adds up and the input check reads: `inputs` null
// listed 16 of 25 inputs and let one part's inputs count twice with exit 0, a total of text was
// summed as nothing, a bad-line sample of junk was copied into the merged manifest.
TEST_F(MergeRuns, APartWhoseInputsTotalsOrSamplesHaveWrongTypesIsCorrupt) {
  using nlohmann::ordered_json;
  const std::pair<const char*, std::function<void(ordered_json&)>> kChanges[] = {
      {"its inputs are not a list", [](ordered_json& m) { m["inputs"] = nullptr; }},
      {"an input is not an object with a path",
       [](ordered_json& m) { m["inputs"].push_back(ordered_json::array({1})); }},
      {"its total nodata is \"x\", not a count",
       [](ordered_json& m) { m["totals"]["nodata"] = "x"; }},
      {"its total nodata is -5, not a count", [](ordered_json& m) { m["totals"]["nodata"] = -5; }},
      {"a bad-line sample is {\"x\":1}",
       [](ordered_json& m) {
         m["bad_line_samples"] = ordered_json::array({{{"x", 1}}});
       }},
  };
  for (const auto& [why, change] : kChanges) {
    const fs::path parts = tmp_.path() / "typed";
    fs::remove_all(parts);
    RunShards(tmp_ / "data", parts, 2);
    RewriteRun((parts / "1" / kStateFile).string(),
               [&](ordered_json& run) { change(run["manifest"]); });
    const MergeResult r = MergeDirs(PartDirs(parts, 2), tmp_ / "typed-out");
    EXPECT_EQ(r.exit_code, 1) << why << ": " << r.error;
    ASSERT_EQ(r.failures.size(), 1u) << why;
    EXPECT_NE(r.failures[0].find(": corrupt (its manifest: " + std::string(why) + ")"),
              std::string::npos)
        << r.failures[0];
    EXPECT_EQ(r.parts_merged, 1u);
    fs::remove_all(tmp_.path() / "typed-out");
  }
}

// A part whose checksummed state holds a manifest value of another type (an input's path that
// is an array) is a corrupt part, named, and the others are merged (exit 1); it threw in the
// middle of the merge (exit 3, the JSON library's words, nothing written).
TEST_F(MergeRuns, APartWhoseManifestHasWrongTypesIsCorrupt) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  const std::string state = (tmp_.path() / "parts/1" / kStateFile).string();
  RewriteRun(state, [](nlohmann::ordered_json& run) {
    run["manifest"]["inputs"][0]["path"] = nlohmann::ordered_json::array({1, 2});
  });
  const MergeResult r = MergeDirs(PartDirs(tmp_.path() / "parts", 2), tmp_ / "out");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_NE(r.failures[0].find(state + ": corrupt (its manifest"), std::string::npos)
      << r.failures[0];
  EXPECT_EQ(r.parts_merged, 1u);
}

// `-o` naming an earlier output that holds parts (replaceable with --force) is refused: the
// check for -o holding a part was tested only with a directory --force refuses anyway.
TEST_F(MergeRuns, AnOutputHoldingThePartsIsNotReplaced) {
  const fs::path holder = tmp_.path() / "holder";
  ASSERT_EQ(flowsift::Run(Options(tmp_ / "data/hand", holder), nullptr).exit_code, 0);
  RunShards(tmp_ / "data", holder / "parts", 2);
  MergeOptions m;
  m.parts = PartDirs(holder / "parts", 2);
  m.out_dir = holder;
  m.force = true;
  const std::string before = ReadFile(holder / "windows.csv.zst");
  const MergeResult r = MergeParts(m);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("is a directory holding the part"), std::string::npos) << r.error;
  EXPECT_EQ(ReadFile(holder / "windows.csv.zst"), before);
  EXPECT_TRUE(fs::exists(holder / "parts/0" / kStateFile));
}

// The directory the parts are in, given for the parts (`merge parts` for `merge parts/*`), is
// named as such, with nothing written (exit 2, a mistake in the list); it was "parts/
// state.bin.zst: No such file or directory". A path with nothing there, or a directory that is
// no output, is a part that failed (exit 1, the rest merged), said as such.
TEST_F(MergeRuns, ADirectoryOfPartsOrAMissingPartIsSaidAsSuch) {
  const fs::path parts = tmp_.path() / "parts";
  RunShards(tmp_ / "data", parts, 2);
  const MergeResult r = MergeDirs({parts}, tmp_ / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.error, parts.string() + ": a directory of parts (" + (parts / "0").string() + ", " +
                         (parts / "1").string() + "), not a part (it has no state.bin.zst): " +
                         "give the parts themselves (each the OUT of a `run --partial`, or its "
                         "state file under any name), e.g. " +
                         (parts / "*").string());
  EXPECT_FALSE(fs::exists(tmp_.path() / "out"));
  // So is a directory of state files renamed as they were collected (it was a part that could
  // not be read, exit 1); a file in it that is no state is not named.
  const fs::path states = tmp_.path() / "states";
  fs::create_directories(states);
  fs::copy_file(parts / "0" / kStateFile, states / "p0.state.zst");
  fs::copy_file(parts / "1" / kStateFile, states / "p1.bin");
  fs::copy_file(parts / "1" / "windows.csv.zst", states / "windows.csv.zst");
  const MergeResult s = MergeDirs({states}, tmp_ / "out");
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_EQ(s.error, states.string() + ": a directory of parts (" +
                         (states / "p0.state.zst").string() + ", " + (states / "p1.bin").string() +
                         "), not a part (it has no state.bin.zst): " +
                         "give the parts themselves (each the OUT of a `run --partial`, or its "
                         "state file under any name), e.g. " +
                         (states / "*").string());
  EXPECT_FALSE(fs::exists(tmp_.path() / "out"));
  fs::create_directories(tmp_.path() / "not-a-part");
  const MergeResult m = MergeDirs(
      {parts / "0", tmp_ / "no-such-part", tmp_ / "not-a-part", parts / "1"}, tmp_ / "out");
  EXPECT_EQ(m.exit_code, 1) << m.error;
  EXPECT_EQ(m.parts_merged, 2u);
  ASSERT_EQ(m.failures.size(), 2u);
  EXPECT_EQ(m.failures[0], tmp_ / "no-such-part" +
                               ": no such part (nothing at that path): check it; a part that was "
                               "never written: run it with --partial and merge again");
  EXPECT_EQ(m.failures[1], tmp_ / "not-a-part" +
                               ": not a part: a directory without state.bin.zst or manifest.json "
                               "(give the OUT of each `run --partial`)");
}

// The largest shard count a run takes (kMaxShards) is a part's shard; one more is not.
TEST_F(MergeRuns, TheLargestShardCountIsAPartsShard) {
  RunShards(tmp_ / "data", tmp_.path() / "parts", 2);
  const std::string state0 = (tmp_.path() / "parts/0" / kStateFile).string();
  RewriteRun(state0, [](nlohmann::ordered_json& run) { run["shard"] = {0, kMaxShards}; });
  MergeResult r = MergeDirs({tmp_ / "parts/0"}, tmp_ / "a");
  EXPECT_TRUE(r.failures.empty()) << r.failures[0];
  EXPECT_EQ(r.missing_shards.size(), 1u);
  RewriteRun(state0, [](nlohmann::ordered_json& run) { run["shard"] = {0, kMaxShards + 1}; });
  r = MergeDirs({tmp_ / "parts/0"}, tmp_ / "b");
  EXPECT_EQ(r.failures.size(), 1u);
}
}  // namespace
}  // namespace flowsift
