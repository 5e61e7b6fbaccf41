// Distributed runs: state serialization (DistinctCounter, Aggregator), the partial file format,
// and `merge` of shards giving the bytes of one run over all inputs.
#include "pipeline/merge.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "pipeline/aggregate.h"
#include "pipeline/detect.h"
#include "pipeline/distinct.h"
#include "pipeline/generate.h"
#include "pipeline/generate_files.h"
#include "pipeline/partial.h"
#include "pipeline/serial.h"
#include "pipeline/tables.h"
#include "tests/test_util.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using flowsift::testing::ReadFile;
using flowsift::testing::TempDir;
using flowsift::testing::WriteFile;
using nlohmann::json;

const char* const kTables[] = {"windows.csv.zst", "talkers.csv.zst", "exposure.csv.zst",
                               "findings.jsonl.zst"};

DistinctCounter CounterOf(uint64_t first, uint64_t n) {
  DistinctCounter c;
  for (uint64_t i = first; i < first + n; ++i) c.Add(Mix64(i));
  return c;
}

std::string SaveCounter(const DistinctCounter& c) {
  std::string bytes;
  ByteWriter w(bytes);
  c.Save(w);
  return bytes;
}

TEST(DistinctSerial, LoadGivesTheSameCountsAndMerges) {
  // Every form: empty, inline, table, the last exact size, sketches.
  for (uint64_t n : {0, 1, 3, 4, 100, 2048, 2049, 30000}) {
    const DistinctCounter c = CounterOf(0, n);
    const std::string bytes = SaveCounter(c);
    DistinctCounter loaded;
    ByteReader r(bytes);
    ASSERT_TRUE(loaded.Load(r)) << n;
    EXPECT_EQ(r.Left(), 0u);
    EXPECT_EQ(loaded.Count(), c.Count()) << n;
    EXPECT_EQ(loaded.exact(), c.exact()) << n;
    // Merging with an overlapping counter: the loaded copy behaves as the original.
    for (uint64_t m : {1, 1500, 40000}) {
      DistinctCounter a = CounterOf(n / 2, m), b = CounterOf(n / 2, m);
      a.Merge(c);
      b.Merge(loaded);
      EXPECT_EQ(a.Count(), b.Count()) << n << " " << m;
      EXPECT_EQ(a.exact(), b.exact()) << n << " " << m;
    }
    // Every shorter prefix fails to load.
    for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 50) {
      DistinctCounter x;
      ByteReader rr(bytes.data(), cut);
      EXPECT_FALSE(x.Load(rr)) << n << " cut " << cut;
    }
  }
}

TEST(DistinctSerial, RejectsMalformedBytes) {
  std::string sketch = SaveCounter(CounterOf(0, 5000));
  sketch[100] = 60;  // above the maximum rank 64 - 15 + 1
  DistinctCounter a;
  ByteReader r1(sketch);
  EXPECT_FALSE(a.Load(r1));

  std::string exact;
  ByteWriter w(exact);
  w.U8(0);
  w.U32(2);
  w.U64(5);
  w.U64(0);  // zero marks an empty slot: never a stored hash
  DistinctCounter b;
  ByteReader r2(exact);
  EXPECT_FALSE(b.Load(r2));

  std::string big;
  ByteWriter wb(big);
  wb.U8(0);
  wb.U32(DistinctCounter::kExactLimit + 1);
  for (uint32_t i = 0; i <= DistinctCounter::kExactLimit; ++i) wb.U64(i + 1);
  DistinctCounter c;
  ByteReader r3(big);
  EXPECT_FALSE(c.Load(r3));

  std::string form;
  ByteWriter wf(form);
  wf.U8(7);
  DistinctCounter d;
  ByteReader r4(form);
  EXPECT_FALSE(d.Load(r4));
}

// An aggregator fed generated text (two formats so both address kinds and NAT fields occur).
Aggregator Aggregated(uint64_t seed, uint64_t records, std::string* keep) {
  GenOptions g;
  g.seed = seed;
  g.records = records;
  g.interfaces = 40;
  g.header = false;
  *keep = GenerateText(g);
  const size_t size = keep->size();
  keep->append(kernels::kPadding, '\0');
  ParseScratch scratch;
  const ParsedBatch b = ParseChunk(reinterpret_cast<const uint8_t*>(keep->data()), size,
                                   Format::Default(), Aggregator::NeededFields(), scratch);
  Aggregator a(AggregateOptions{});
  a.Add(b, reinterpret_cast<const uint8_t*>(keep->data()), seed);
  return a;
}

// The state fuzzer's seeds (tests/fuzz/corpus/state) are sections of real states: each must
// load whole with this build's encoding, or the fuzzer mutates bytes that its loaders refuse at
// the first changed field and reaches none of what follows.
TEST(StateSeeds, EverySeedLoadsWithThisEncoding) {
  size_t seeds = 0;
  for (const auto& e :
       fs::directory_iterator(fs::path(FLOWSIFT_SOURCE_DIR) / "tests/fuzz/corpus/state")) {
    const std::string bytes = ReadFile(e.path());
    ASSERT_FALSE(bytes.empty()) << e.path();
    ByteReader r(std::string_view(bytes).substr(1));
    std::string error;
    const bool loaded = (bytes[0] & 1) != 0 ? Detector(DetectOptions{}).Load(r, &error)
                                            : Aggregator(AggregateOptions{}).Load(r, &error);
    EXPECT_TRUE(loaded)
        << e.path() << ": " << error
        << " (after a change to Save: tests/fuzz/make-state-seeds build/ci/tools/flowsift)";
    ++seeds;
  }
  EXPECT_GE(seeds, 10u);
}

TEST(AggregateSerial, SaveLoadKeepsEveryTableAndMergesAlike) {
  std::string t1, t2;
  const Aggregator a = Aggregated(3, 60000, &t1);
  const Aggregator b = Aggregated(4, 30000, &t2);
  std::string bytes;
  ByteWriter w(bytes);
  a.Save(w);
  Aggregator loaded(AggregateOptions{});
  ByteReader r(bytes);
  std::string error;
  ASSERT_TRUE(loaded.Load(r, &error)) << error;
  EXPECT_EQ(r.Left(), 0u);
  EXPECT_EQ(loaded.Windows(), a.Windows());
  EXPECT_EQ(loaded.Talkers(), a.Talkers());
  EXPECT_EQ(loaded.Exposure(), a.Exposure());
  EXPECT_EQ(loaded.records(), a.records());
  ASSERT_FALSE(a.Windows().empty());

  Aggregator in_memory(AggregateOptions{});
  in_memory.Merge(b);
  in_memory.Merge(a);
  Aggregator from_bytes(AggregateOptions{});
  from_bytes.Merge(b);
  ByteReader again(bytes);
  ASSERT_TRUE(from_bytes.Load(again, &error)) << error;
  EXPECT_EQ(from_bytes.Windows(), in_memory.Windows());
  EXPECT_EQ(from_bytes.Talkers(), in_memory.Talkers());
  EXPECT_EQ(from_bytes.Exposure(), in_memory.Exposure());

  for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 40) {
    Aggregator x(AggregateOptions{});
    ByteReader rr(bytes.data(), cut);
    std::string e;
    EXPECT_FALSE(x.Load(rr, &e)) << "cut " << cut;
    EXPECT_NE(e, "");
  }
}

// Accounts() names each interface once over every state an output walks (this one and those
// Absorb took), and SetAccounts sets the account in all of them: the windows of an absorbed
// state's interfaces carry the account set too.
TEST(AggregateAccounts, SetAccountsReachesEveryStateTheOutputsWalk) {
  std::string t1, t2;
  Aggregator a = Aggregated(3, 20000, &t1);
  Aggregator b = Aggregated(4, 20000, &t2);
  a.Absorb(std::move(b));
  const std::vector<Aggregator::SeenAccount> seen = a.Accounts();
  std::set<std::string> names;
  for (const WindowRow& row : a.Windows()) names.insert(row.interface_id);
  ASSERT_EQ(seen.size(), names.size());
  std::unordered_map<std::string, std::string> accounts;
  for (const Aggregator::SeenAccount& s : seen) {
    EXPECT_TRUE(names.count(s.name)) << s.name;
    EXPECT_NE(s.order, UINT64_MAX) << s.name;  // every generated record has an account
    accounts[s.name] = "acct-" + s.name;
  }
  a.SetAccounts(accounts);
  const std::vector<WindowRow> rows = a.Windows();
  ASSERT_FALSE(rows.empty());
  for (const WindowRow& row : rows) EXPECT_EQ(row.account_id, "acct-" + row.interface_id);
  for (const Aggregator::SeenAccount& s : a.Accounts()) EXPECT_EQ(s.account, "acct-" + s.name);
}

// Shards and runs ------------------------------------------------------------------------

RunOptions Options(const std::string& in, const std::string& out) {
  RunOptions opt;
  opt.inputs = {in};
  opt.out_dir = out;
  opt.threads = 2;
  opt.chunk_bytes = 64 << 10;
  return opt;
}

// An S3-layout data set plus hand-made files in which one interface's account differs by
// file: the first in input order must win, wherever the shards put the files.
void WriteData(const fs::path& dir) {
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
RunOptions AsPart(RunOptions opt, uint32_t i, uint32_t n) {
  opt.shard_index = i;
  opt.shard_count = n;
  opt.partial = true;
  return opt;
}

void RunShards(const std::string& in, const fs::path& parts, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    const RunResult r =
        flowsift::Run(AsPart(Options(in, (parts / std::to_string(i)).string()), i, n), nullptr);
    ASSERT_EQ(r.exit_code, 0) << r.error;
    ASSERT_TRUE(fs::exists(parts / std::to_string(i) / kStateFile));
  }
}

MergeResult MergeDirs(std::vector<std::string> parts, const std::string& out) {
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

TEST(Partial, RefusesOtherVersionsUnknownSectionsAndGarbage) {
  TempDir tmp;
  std::string error;
  PartialHeader h;
  h.output_format_version = kOutputFormatVersion;
  h.window = 600;
  h.internal = "10.0.0.0/8";
  Aggregator empty(AggregateOptions{});
  std::string state;
  ByteWriter w(state);
  empty.Save(w);
  std::string detect_state;
  ByteWriter dw(detect_state);
  Detector(DetectOptions{}).Save(dw);

  const auto write = [&](const PartialHeader& header, uint32_t extra, const std::string& name) {
    PartialBuilder b(header);
    b.AddSection(static_cast<uint32_t>(PartialSection::kRun), "{}");
    b.AddSection(static_cast<uint32_t>(PartialSection::kAggregate), state);
    b.AddSection(static_cast<uint32_t>(PartialSection::kDetection), detect_state);
    if (extra != 0) b.AddSection(extra, "x");
    EXPECT_TRUE(b.Write(tmp / name, 1, &error)) << error;
    return tmp / name;
  };
  PartialFile f;
  EXPECT_EQ(ReadPartial(write(h, 0, "ok"), &f, &error), PartialStatus::kOk) << error;
  EXPECT_EQ(f.header.window, 600u);
  EXPECT_EQ(f.header.internal, "10.0.0.0/8");
  // An optional section this version does not know is skipped.
  EXPECT_EQ(ReadPartial(write(h, kOptionalSection | 77, "opt"), &f, &error), PartialStatus::kOk)
      << error;
  EXPECT_EQ(ReadPartial(write(h, 77, "req"), &f, &error), PartialStatus::kVersion);
  EXPECT_NE(error.find("section 77"), std::string::npos) << error;
  PartialHeader next = h;
  next.format_version = kPartialFormatVersion + 1;
  EXPECT_EQ(ReadPartial(write(next, 0, "next"), &f, &error), PartialStatus::kVersion);
  EXPECT_NE(error.find("version " + std::to_string(kPartialFormatVersion + 1)), std::string::npos)
      << error;
  PartialHeader out2 = h;
  out2.output_format_version = kOutputFormatVersion + 1;
  EXPECT_EQ(ReadPartial(write(out2, 0, "out2"), &f, &error), PartialStatus::kVersion);
  PartialHeader flags = h;
  flags.flags = 4;
  EXPECT_EQ(ReadPartial(write(flags, 0, "flags"), &f, &error), PartialStatus::kVersion);
  // A section twice is corrupt (the first was taken, the second ignored), and so are bytes
  // after the aggregate state (sixteen zeros were merged, exit 0).
  {
    PartialBuilder b(h);
    b.AddSection(static_cast<uint32_t>(PartialSection::kRun), "{}");
    b.AddSection(static_cast<uint32_t>(PartialSection::kAggregate), state);
    b.AddSection(static_cast<uint32_t>(PartialSection::kDetection), detect_state);
    b.AddSection(static_cast<uint32_t>(PartialSection::kDetection), detect_state);
    ASSERT_TRUE(b.Write(tmp / "twice", 1, &error)) << error;
    EXPECT_EQ(ReadPartial(tmp / "twice", &f, &error), PartialStatus::kCorrupt);
    EXPECT_NE(error.find("corrupt (section 3 is there twice)"), std::string::npos) << error;
  }
  {
    Aggregator loaded(AggregateOptions{});
    const std::string padded = state + std::string(16, '\0');
    ByteReader r(padded);
    EXPECT_FALSE(loaded.Load(r, &error));
    EXPECT_EQ(error, "malformed aggregate state: bytes after its end");
    ByteReader whole(state);
    EXPECT_TRUE(loaded.Load(whole, &error)) << error;
  }
  // A window run never takes is corrupt: 601 made windows 601 s long under a manifest of 600.
  for (const uint32_t window : {0u, 1u, 601u, 86400u}) {
    PartialHeader odd = h;
    odd.window = window;
    EXPECT_EQ(ReadPartial(write(odd, 0, "window"), &f, &error), PartialStatus::kCorrupt) << window;
    EXPECT_NE(error.find("corrupt (window " + std::to_string(window) + " s in the header"),
              std::string::npos)
        << error;
  }

  WriteFile(tmp.path() / "text", "hello");
  EXPECT_EQ(ReadPartial(tmp / "text", &f, &error), PartialStatus::kCorrupt);
  EXPECT_EQ(ReadPartial(tmp / "missing", &f, &error), PartialStatus::kUnreadable);
  EXPECT_NE(error.find("missing"), std::string::npos);
  // Every truncation of a valid file is detected.
  const std::string whole = ReadFile(tmp.path() / "ok");
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    WriteFile(tmp.path() / "cut", whole.substr(0, cut));
    const PartialStatus s = ReadPartial(tmp / "cut", &f, &error);
    EXPECT_TRUE(s == PartialStatus::kTruncated || s == PartialStatus::kCorrupt) << cut;
  }
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

// --- The container's checks the tests above did not reach (docs/partial.md, "Container") --------

// The smallest valid part state: a header and the three required sections' payloads (an empty
// aggregator's and detector's states).
struct StatePieces {
  PartialHeader header;
  std::string run = "{}";
  std::string aggregate;
  std::string detection;
};

StatePieces SmallState() {
  StatePieces s;
  s.header.output_format_version = kOutputFormatVersion;
  s.header.window = 600;
  s.header.internal = "10.0.0.0/8";
  ByteWriter aw(s.aggregate);
  Aggregator(AggregateOptions{}).Save(aw);
  ByteWriter dw(s.detection);
  Detector(DetectOptions{}).Save(dw);
  return s;
}

// Writes `s` to `path` as PartialBuilder does, with the sections `ids` in that order (1 run,
// 2 aggregate, 3 detection, any other id a one-byte payload), and returns `path`.
std::string WriteState(const StatePieces& s, const std::string& path,
                       const std::vector<uint32_t>& ids = {1, 2, 3}) {
  PartialBuilder b(s.header);
  for (const uint32_t id : ids) {
    b.AddSection(id, id == 1 ? s.run : id == 2 ? s.aggregate : id == 3 ? s.detection : "x");
  }
  std::string error;
  EXPECT_TRUE(b.Write(path, 1, &error)) << error;
  return path;
}

// Reads `path` and returns its status, the message in *error.
PartialStatus Read(const std::string& path, std::string* error) {
  PartialFile f;
  return ReadPartial(path, &f, error);
}

// Versions other than this one are refused both ways: an older part (made by the flowsift
// before a section's encoding changed) would be decoded with the new encoding.
TEST(Partial, RefusesOlderFormatVersionsToo) {
  TempDir tmp;
  std::string error;
  StatePieces s = SmallState();
  s.header.format_version = kPartialFormatVersion - 1;
  EXPECT_EQ(Read(WriteState(s, tmp / "older"), &error), PartialStatus::kVersion);
  EXPECT_NE(error.find("partial format version " + std::to_string(kPartialFormatVersion - 1)),
            std::string::npos)
      << error;
  s = SmallState();
  s.header.output_format_version = kOutputFormatVersion - 1;
  EXPECT_EQ(Read(WriteState(s, tmp / "older-output"), &error), PartialStatus::kVersion);
  EXPECT_NE(error.find("output format version " + std::to_string(kOutputFormatVersion - 1)),
            std::string::npos)
      << error;
  // What to do, as for the partial format's version.
  EXPECT_NE(error.find(": make all parts with the same flowsift version as the merge"),
            std::string::npos)
      << error;
}

// An id with bit 31 set is an optional section, skipped when this version does not know it,
// whatever its low bits: 0x80000002 is not the aggregate state (docs/partial.md). It had been
// read as section 2: beside a real one, "section 2 is there twice"; in its place, its payload
// decoded as an aggregate state.
TEST(Partial, AnOptionalSectionIsNeverAKnownOne) {
  TempDir tmp;
  std::string error;
  const StatePieces s = SmallState();
  const uint32_t optional_aggregate =
      kOptionalSection | static_cast<uint32_t>(PartialSection::kAggregate);
  PartialFile f;
  EXPECT_EQ(ReadPartial(WriteState(s, tmp / "beside", {1, 2, optional_aggregate, 3}), &f, &error),
            PartialStatus::kOk)
      << error;
  ASSERT_NE(f.Find(PartialSection::kAggregate), nullptr);
  EXPECT_EQ(*f.Find(PartialSection::kAggregate), s.aggregate);
  EXPECT_EQ(f.sections.size(), 3u);
  // In place of the aggregate section: the part has none, which is corrupt.
  EXPECT_EQ(Read(WriteState(s, tmp / "instead", {1, optional_aggregate, 3}), &error),
            PartialStatus::kCorrupt);
  EXPECT_NE(error.find("no run, aggregate or detection section"), std::string::npos) << error;
  // An optional id whose low bits are the end section's is skipped too, not taken as the end.
  EXPECT_EQ(Read(WriteState(s, tmp / "end", {1, 2, kOptionalSection, 3}), &error),
            PartialStatus::kOk)
      << error;
}

// Every --window a run takes is a part's window (the refusals of others are above).
TEST(Partial, ReadsEveryWindowARunTakes) {
  TempDir tmp;
  for (const uint32_t window : {60u, 300u, 600u, 3600u}) {
    StatePieces s = SmallState();
    s.header.window = window;
    PartialFile f;
    std::string error;
    EXPECT_EQ(ReadPartial(WriteState(s, tmp / "w"), &f, &error), PartialStatus::kOk) << error;
    EXPECT_EQ(f.header.window, window);
  }
}

// The frame carries zstd's content checksum (a flipped byte is found by every zstd decoder)
// and the content size, as docs/partial.md says.
TEST(Partial, TheFrameCarriesAChecksumAndTheContentSize) {
  TempDir tmp;
  const std::string packed = ReadFile(WriteState(SmallState(), tmp / "s"));
  ASSERT_GT(packed.size(), 5u);
  // Frame_Header_Descriptor (the byte after the 4-byte magic): bit 2 is Content_Checksum_flag.
  EXPECT_EQ((static_cast<uint8_t>(packed[4]) >> 2) & 1, 1);
  EXPECT_EQ(ZSTD_getFrameContentSize(packed.data(), packed.size()),
            testing::DecodeZstd(packed).size());
}

// A valid frame followed by anything (a second state appended, one stray byte) is corrupt, not
// the first frame's state.
TEST(Partial, BytesAfterTheFrameAreCorrupt) {
  TempDir tmp;
  std::string error;
  const std::string packed = ReadFile(WriteState(SmallState(), tmp / "s"));
  ASSERT_EQ(Read(tmp / "s", &error), PartialStatus::kOk) << error;
  for (const std::string& after : {std::string(1, '\0'), packed}) {
    WriteFile(tmp.path() / "after", packed + after);
    EXPECT_EQ(Read(tmp / "after", &error), PartialStatus::kCorrupt) << after.size();
    EXPECT_NE(error.find(tmp / "after" + ": corrupt (bytes after the end of the zstd frame)"),
              std::string::npos)
        << error;
  }
}

// A file that is not zstd at all (a note or a log that `merge parts/*` took) is named as no part
// and told what to give, not reported as a part with damaged data ("Unknown frame descriptor").
TEST(Partial, AFileThatIsNotZstdIsNamedAsNoPart) {
  TempDir tmp;
  std::string error;
  WriteFile(tmp.path() / "notes.txt", "parts of the 28th\n");
  EXPECT_EQ(Read(tmp / "notes.txt", &error), PartialStatus::kCorrupt);
  EXPECT_NE(error.find(tmp / "notes.txt" + ": corrupt (not a flowsift part: not zstd data; give " +
                       "the parts' directories"),
            std::string::npos)
      << error;
  // Shorter than zstd's four-byte magic: judged by the bytes there are. A three-byte note was
  // "corrupt (Unknown frame descriptor)"; the magic's first bytes are a part cut short.
  WriteFile(tmp.path() / "hi.txt", "hi\n");
  EXPECT_EQ(Read(tmp / "hi.txt", &error), PartialStatus::kCorrupt);
  EXPECT_NE(error.find(tmp / "hi.txt" + ": corrupt (not a flowsift part: not zstd data"),
            std::string::npos)
      << error;
  WriteFile(tmp.path() / "start", std::string("\x28\xb5", 2));
  EXPECT_EQ(Read(tmp / "start", &error), PartialStatus::kTruncated) << error;
  // zstd that is damaged is still corrupt data, in zstd's words.
  const std::string packed = ReadFile(WriteState(SmallState(), tmp / "s"));
  WriteFile(tmp.path() / "cut", packed.substr(0, 4) + std::string(64, '\xff'));
  EXPECT_EQ(Read(tmp / "cut", &error), PartialStatus::kCorrupt);
  EXPECT_EQ(error.find("not a flowsift part"), std::string::npos) << error;
}

// A part's own state file whose first bytes are damaged (the part's directory was given, as
// the message for a stray file asks) is a damaged part, not "not a flowsift part ... give the
// parts' directories".
TEST(Partial, AStateFileWithoutTheZstdMagicIsADamagedPart) {
  TempDir tmp;
  std::string error;
  std::string packed = ReadFile(WriteState(SmallState(), tmp / "s"));
  packed[0] = '\x29';
  WriteFile(tmp.path() / "part" / kStateFile, packed);
  const std::string state = (tmp.path() / "part" / kStateFile).string();
  EXPECT_EQ(Read(state, &error), PartialStatus::kCorrupt);
  EXPECT_NE(error.find(state + ": corrupt (not zstd data: its first bytes are damaged"),
            std::string::npos)
      << error;
  EXPECT_EQ(error.find("not a flowsift part"), std::string::npos) << error;
}

// The content inside a whole, valid zstd frame is checked on its own: a header cut short is
// truncated (not a window of 0), content without the magic is no state, and a file without one
// of the three sections, or whose run section is no JSON object, is corrupt.
TEST(Partial, AWholeFrameWithABadHeaderOrAMissingSectionIsRefused) {
  TempDir tmp;
  std::string error;
  const std::string content = testing::ReadZstd(WriteState(SmallState(), tmp / "s"));
  // The magic and the format version only.
  testing::WriteZstd(tmp.path() / "short", content.substr(0, kPartialMagic.size() + 4));
  EXPECT_EQ(Read(tmp / "short", &error), PartialStatus::kTruncated);
  EXPECT_EQ(error, tmp / "short" + ": truncated header");
  // Another zstd file in the state's place (a table), or the magic with one letter changed.
  std::string other = content;
  other[0] = 'F';
  for (const std::string& text : {std::string(WindowsHeader()) + "\n", other}) {
    testing::WriteZstd(tmp.path() / "other", text);
    EXPECT_EQ(Read(tmp / "other", &error), PartialStatus::kCorrupt);
    EXPECT_EQ(error, tmp / "other" + ": not a flowsift partial state (bad magic)");
  }

  for (const std::vector<uint32_t>& ids :
       {std::vector<uint32_t>{1, 2}, std::vector<uint32_t>{1, 3}, std::vector<uint32_t>{2, 3}}) {
    EXPECT_EQ(Read(WriteState(SmallState(), tmp / "missing", ids), &error), PartialStatus::kCorrupt)
        << ids[0] << ids[1];
    EXPECT_NE(error.find("corrupt (no run, aggregate or detection section)"), std::string::npos)
        << error;
  }
  for (const char* run : {"[1, 2]", "{", "17"}) {
    StatePieces s = SmallState();
    s.run = run;
    EXPECT_EQ(Read(WriteState(s, tmp / "run"), &error), PartialStatus::kCorrupt) << run;
    EXPECT_NE(error.find("corrupt (run section is not a JSON object)"), std::string::npos) << error;
  }
}

// The end section ties the file to what was written (docs/partial.md): a count or an offset
// other than the sections', bytes after it, or no end section at all (a content cut at a
// section boundary) is refused, in a frame whose checksum is right.
TEST(Partial, AnEndSectionThatDoesNotMatchTheSectionsIsRefused) {
  TempDir tmp;
  std::string error;
  const std::string content = testing::ReadZstd(WriteState(SmallState(), tmp / "s"));
  // The end section: u32 0, u64 12, u32 count, u64 offset of the end section.
  const size_t end = content.size() - 24;
  ASSERT_EQ(content.substr(end, 12), std::string("\0\0\0\0\x0c\0\0\0\0\0\0\0", 12));
  const auto packed = [&](const std::string& text) {
    testing::WriteZstd(tmp.path() / "edited", text);
    return tmp / "edited";
  };
  // Packed again as it is: read as it was.
  ASSERT_EQ(Read(packed(content), &error), PartialStatus::kOk) << error;

  const auto with_u32 = [&](size_t at, uint32_t v) {
    std::string c = content;
    memcpy(c.data() + at, &v, 4);
    return c;
  };
  const auto with_u64 = [&](size_t at, uint64_t v) {
    std::string c = content;
    memcpy(c.data() + at, &v, 8);
    return c;
  };
  uint32_t count;
  memcpy(&count, content.data() + end + 12, 4);
  ASSERT_EQ(count, 3u);
  const std::string bad[] = {
      with_u32(end + 12, count + 1),   // a section more than there are
      with_u32(end + 12, count - 1),   // one fewer
      with_u64(end + 16, end - 1),     // the end section said to start earlier
      with_u64(end + 16, end + 1),     // or later
      content + std::string(1, '\0'),  // a byte after the end section
  };
  for (size_t i = 0; i < std::size(bad); ++i) {
    EXPECT_EQ(Read(packed(bad[i]), &error), PartialStatus::kCorrupt) << i;
    EXPECT_NE(error.find("corrupt (end section does not match the sections)"), std::string::npos)
        << i << ": " << error;
  }
  EXPECT_EQ(Read(packed(content.substr(0, end)), &error), PartialStatus::kTruncated);
  EXPECT_NE(error.find("truncated (section at byte " + std::to_string(end) + ")"),
            std::string::npos)
      << error;
}

// The end section is 12 bytes (u32 count, u64 offset): one declared longer, its count and
// offset right and 8 bytes of anything after them, was accepted, the only bytes of the content
// no check looked at.
TEST(Partial, AnEndSectionLongerThanItsTwelveBytesIsRefused) {
  TempDir tmp;
  std::string error;
  const std::string content = testing::ReadZstd(WriteState(SmallState(), tmp / "s"));
  const size_t end = content.size() - 24;  // u32 0, u64 12, u32 count, u64 offset
  std::string longer = content;
  const uint64_t length = 20;
  memcpy(longer.data() + end + 4, &length, 8);
  longer += std::string(8, '\x5a');
  testing::WriteZstd(tmp.path() / "longer", longer);
  EXPECT_EQ(Read(tmp / "longer", &error), PartialStatus::kCorrupt);
  EXPECT_NE(error.find(tmp / "longer" + ": corrupt (end section does not match the sections)"),
            std::string::npos)
      << error;
}

// A state that cannot be written whole (a full disk: /dev/full takes the open and fails every
// write) is an error naming the file, whether the bytes fail in fwrite (a state larger than
// stdio's buffer) or only when fclose flushes them (a small one).
TEST(Partial, AFailedWriteIsAnErrorNamingTheFile) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  std::mt19937_64 rng(3);
  std::string noise(size_t{256} << 10, '\0');  // does not compress: 256 KB written
  for (char& c : noise) c = static_cast<char>(rng());
  for (const bool large : {false, true}) {
    const StatePieces s = SmallState();
    PartialBuilder b(s.header);
    b.AddSection(static_cast<uint32_t>(PartialSection::kRun), s.run);
    if (large) b.AddSection(kOptionalSection | 77, noise);
    std::string error;
    EXPECT_FALSE(b.Write("/dev/full", 1, &error)) << large;
    EXPECT_NE(error.find("cannot write /dev/full: "), std::string::npos) << error;
  }
}

// The bound on what a state may decompress to is 64 MiB and 256 times the file's size
// (docs/partial.md): under 64 MiB a state is never refused, however well it compresses (a part
// of few, sparse records can be mostly zeros); past it, one that decompresses to 150 times its
// size is a state and one of 400 times is refused while decompressing. The states are 64 KB that
// do not compress and an optional section of zeros, whose zstd blocks take a few bytes each.
TEST(Partial, TheBoundOnWhatAStateDecompressesToIs64MiBAnd256TimesItsSize) {
  TempDir tmp;
  std::mt19937_64 rng(5);
  std::string noise(size_t{64} << 10, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  constexpr uint64_t kFloor = uint64_t{64} << 20;
  // Writes a state of `zeros` bytes of zeros (and the noise, when `noisy`) and returns its
  // path, its decompressed size in *content and its file size in *packed.
  const auto write = [&](size_t zeros, bool noisy, uint64_t* content, uint64_t* packed) {
    const StatePieces s = SmallState();
    PartialBuilder b(s.header);
    b.AddSection(static_cast<uint32_t>(PartialSection::kRun), s.run);
    b.AddSection(static_cast<uint32_t>(PartialSection::kAggregate), s.aggregate);
    b.AddSection(static_cast<uint32_t>(PartialSection::kDetection), s.detection);
    if (noisy) b.AddSection(kOptionalSection | 78, noise);
    b.AddSection(kOptionalSection | 77, std::string(zeros, '\0'));
    std::string error;
    EXPECT_TRUE(b.Write(tmp / "state", 1, &error)) << error;
    *packed = fs::file_size(tmp.path() / "state");
    *content = testing::ReadZstd(tmp.path() / "state").size();
    return tmp / "state";
  };
  uint64_t content = 0, packed = 0;
  std::string error;
  // 60 MiB in a few KB: thousands of times its size.
  const std::string sparse = write(size_t{60} << 20, false, &content, &packed);
  ASSERT_GT(content, 1000 * packed);
  EXPECT_EQ(Read(sparse, &error), PartialStatus::kOk) << error;
  // Past the floor, 150 and 400 times the 64 KB of noise (the file a little larger than it).
  for (const uint64_t times : {150u, 400u}) {
    const std::string path =
        write(kFloor + times * noise.size() - noise.size(), true, &content, &packed);
    ASSERT_GT(content, kFloor);
    const uint64_t ratio = (content - kFloor) / packed;
    ASSERT_TRUE(times == 150 ? ratio > 100 && ratio < 200 : ratio > 300) << ratio;
    const PartialStatus status = Read(path, &error);
    if (times == 150) {
      EXPECT_EQ(status, PartialStatus::kOk) << error;
    } else {
      EXPECT_EQ(status, PartialStatus::kCorrupt);
      EXPECT_NE(error.find(path + ": corrupt (it decompresses to more than " +
                           std::to_string(kFloor + 256 * packed) + " bytes, 256 times"),
                std::string::npos)
          << error;
    }
  }
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

// The window counters are written in docs/partial.md's order, which parts of other builds of
// this format version are read in: a state's first window, read by that layout, holds its
// row's numbers column for column (Save and Load going through one list in another order had
// agreed with each other, and parts of another build would have had their external bytes in
// and out swapped).
TEST(AggregateSerial, WindowCountersAreInTheDocumentedOrder) {
  std::string text;
  const Aggregator a = Aggregated(3, 60000, &text);
  std::string bytes;
  ByteWriter w(bytes);
  a.Save(w);
  ByteReader r(bytes);
  r.U64();  // records
  std::vector<std::string> names(r.U32());
  for (std::string& name : names) {
    name = std::string(r.Str());
    r.Str();  // account
    r.U64();  // order
    r.U64();  // row
  }
  ASSERT_GE(r.U64(), 1u);  // windows
  const uint32_t iface = r.U32();
  const uint64_t start = r.U64();
  uint64_t counters[10];
  for (uint64_t& c : counters) c = r.U64();
  ASSERT_FALSE(r.failed());
  ASSERT_LT(iface, names.size());
  const std::vector<WindowRow> rows = a.Windows();
  const auto row = std::find_if(rows.begin(), rows.end(), [&](const WindowRow& x) {
    return x.interface_id == names[iface] && x.window_start == start;
  });
  ASSERT_NE(row, rows.end());
  ASSERT_NE(row->bytes_out_external, row->bytes_in_external);
  const uint64_t want[10] = {row->records,
                             row->nodata,
                             row->skipdata,
                             row->accepted,
                             row->rejected,
                             row->packets,
                             row->bytes,
                             row->rejected_bytes,
                             row->bytes_out_external,
                             row->bytes_in_external};
  for (size_t k = 0; k < 10; ++k) EXPECT_EQ(counters[k], want[k]) << k;
}

}  // namespace
}  // namespace flowsift
