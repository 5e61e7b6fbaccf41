// `flowsift run` end to end through the library: generated files in, OUT directory out. Bad and
// damaged inputs: run_bad_input_test.cc.
#include "pipeline/run.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "pipeline/aggregate.h"
#include "pipeline/generate.h"
#include "pipeline/graph.h"
#include "pipeline/tables.h"
#include "pipeline/temporaries.h"
#include "tests/pipeline/run_dir.h"
#include "tests/test_util.h"

namespace flowsift {
namespace {

using flowsift::testing::ReadFile;
using flowsift::testing::ReadZstd;
using flowsift::testing::RunDir;
using flowsift::testing::TempDir;
using flowsift::testing::WriteFile;
using flowsift::testing::WriteGenerated;
using nlohmann::json;

TEST(Run, OutputsEqualDirectAggregationAndDoNotDependOnThreads) {
  TempDir tmp;
  // Injected scans: findings by design, not by the background scanners' chance.
  const std::string text = WriteGenerated(tmp.path() / "in", 21, /*port_scans=*/true);
  const RunResult one = RunDir(tmp / "in", tmp / "out1", 1);
  ASSERT_EQ(one.exit_code, 0) << one.error;
  // With detection, two threads run one partition (its aggregator and its detector side by
  // side) and four threads two partitions, merged after the graph.
  for (const unsigned threads : {2u, 4u}) {
    const std::string out = "out" + std::to_string(threads);
    const RunResult many = RunDir(tmp / "in", tmp / out, threads, 16 << 10);
    ASSERT_EQ(many.exit_code, 0) << many.error;
    for (const char* name :
         {"windows.csv.zst", "talkers.csv.zst", "exposure.csv.zst", "findings.jsonl.zst"}) {
      const std::string a = ReadZstd(tmp.path() / "out1" / name);
      EXPECT_EQ(a, ReadZstd(tmp.path() / out / name)) << name << ", " << threads << " threads";
      EXPECT_NE(a, "<corrupt>");
    }
  }
  EXPECT_NE(ReadZstd(tmp.path() / "out1" / "findings.jsonl.zst"), "");
  // Without detection, two threads split a partition's tables between two serial nodes
  // (windows and talkers; exposure), four threads make two such partitions: the same tables.
  for (const unsigned threads : {1u, 2u, 4u}) {
    const std::string out = "plain" + std::to_string(threads);
    const RunResult plain = RunDir(tmp / "in", tmp / out, threads, 16 << 10, false);
    ASSERT_EQ(plain.exit_code, 0) << plain.error;
    for (const char* name : {"windows.csv.zst", "talkers.csv.zst", "exposure.csv.zst"}) {
      EXPECT_EQ(ReadZstd(tmp.path() / "out1" / name), ReadZstd(tmp.path() / out / name))
          << name << ", " << threads << " threads without detection";
    }
    EXPECT_EQ(ReadZstd(tmp.path() / out / "findings.jsonl.zst"), "");
  }
  // The same rows as one Aggregator fed the whole text directly.
  Aggregator direct(AggregateOptions{});
  std::string padded = text;
  padded.append(kernels::kPadding, '\0');
  ParseScratch scratch;
  const ParsedBatch b = ParseChunk(reinterpret_cast<const uint8_t*>(padded.data()), text.size(),
                                   Format::Default(), Aggregator::NeededFields(), scratch);
  direct.Add(b, reinterpret_cast<const uint8_t*>(padded.data()), 0);
  std::string want(WindowsHeader());
  want += '\n';
  for (const WindowRow& r : direct.Windows()) AppendCsv(r, want);
  EXPECT_EQ(ReadZstd(tmp.path() / "out1" / "windows.csv.zst"), want);
  EXPECT_EQ(one.graph.records, 60000u);

  const json m = json::parse(ReadFile(tmp.path() / "out1" / "manifest.json"));
  EXPECT_EQ(m["tool"], "flowsift");
  EXPECT_EQ(m["format_version"], kOutputFormatVersion);
  EXPECT_EQ(m["totals"]["records"], 60000);
  EXPECT_EQ(m["totals"]["bad_lines"], 0);
  ASSERT_EQ(m["inputs"].size(), 3u);
  EXPECT_EQ(m["inputs"][0]["status"], "ok");
  EXPECT_EQ(m["inputs"][0]["records"], 20000);
  EXPECT_EQ(m["inputs"][0]["header"].size(), 14u);
  // The run's wall time covers the graph and the output phase after it, and the throughput is
  // over the whole run: what the user waited for, not the graph alone.
  const double wall = m["timings"]["wall_s"].get<double>();
  const double graph = m["timings"]["graph_s"].get<double>();
  const double output = m["timings"]["output_s"].get<double>();
  EXPECT_GT(graph, 0.0);
  EXPECT_GT(output, 0.0);
  EXPECT_GE(wall, graph + output);
  EXPECT_NEAR(m["throughput"]["records_per_s"].get<double>(), 60000 / wall, 60000 / wall * 1e-9);
  // No temporary directory is left behind.
  for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
    EXPECT_EQ(e.path().filename().string().find(".out"), std::string::npos) << e.path();
  }
}

// The default chunking: one thread cuts mapped files (--mmap) into kOneThreadChunkBytes chunks,
// one in flight; two threads, and files read rather than mapped, into kChunkBytes. Same outputs,
// other chunk counts.
TEST(Run, DefaultChunksOfOneThreadGiveTheSameOutputs) {
  TempDir tmp;
  GenOptions g;
  g.seed = 5;
  g.records = 330000;  // ~36 MB: three large chunks, nine small ones
  g.interfaces = 40;
  WriteFile(tmp.path() / "in" / "big.log", GenerateText(g));
  const RunResult one = RunDir(tmp / "in", tmp / "one", 1, 0, true, /*map_files=*/true);
  ASSERT_EQ(one.exit_code, 0) << one.error;
  const RunResult two = RunDir(tmp / "in", tmp / "two", 2, 0, true, /*map_files=*/true);
  ASSERT_EQ(two.exit_code, 0) << two.error;
  const RunResult read = RunDir(tmp / "in", tmp / "read", 1, 0);  // read(), not mapped
  ASSERT_EQ(read.exit_code, 0) << read.error;
  const uint64_t size = std::filesystem::file_size(tmp.path() / "in" / "big.log");
  ASSERT_GT(size, 2 * kOneThreadChunkBytes);
  // Chunks hold the whole lines within their first N bytes; the last may be empty.
  const uint64_t large = one.graph.files.at(0).outcome.chunks;
  EXPECT_GE(large, size / kOneThreadChunkBytes + 1);
  EXPECT_LE(large, size / kOneThreadChunkBytes + 2);
  EXPECT_GE(two.graph.files.at(0).outcome.chunks, size / kChunkBytes + 1);
  EXPECT_GE(read.graph.files.at(0).outcome.chunks, size / kChunkBytes + 1);
  for (const char* name :
       {"windows.csv.zst", "talkers.csv.zst", "exposure.csv.zst", "findings.jsonl.zst"}) {
    EXPECT_EQ(ReadZstd(tmp.path() / "one" / name), ReadZstd(tmp.path() / "two" / name)) << name;
    EXPECT_EQ(ReadZstd(tmp.path() / "one" / name), ReadZstd(tmp.path() / "read" / name)) << name;
  }
  EXPECT_EQ(one.graph.records, 330000u);
  // The manifest says which way the file was read.
  EXPECT_EQ(json::parse(ReadFile(tmp.path() / "one" / "manifest.json"))["options"]["mmap"], true);
  EXPECT_EQ(json::parse(ReadFile(tmp.path() / "read" / "manifest.json"))["options"]["mmap"], false);
  // Every stage did work and timed it.
  for (const RunResult* r : {&one, &two, &read}) {
    EXPECT_GT(r->graph.times.read, 0);
    EXPECT_GT(r->graph.times.parse, 0);
    EXPECT_GT(r->graph.times.aggregate, 0);
    EXPECT_GT(r->graph.times.detect, 0);
  }
}

// One thread, a file read() (not mapped) with thousands of interfaces: once a chunk holds
// kManyNamesPerChunk names, the next chunks are kManyNamesChunkBytes; two threads keep
// kChunkBytes. Same outputs.
TEST(Run, ManyInterfacesGrowOneThreadsReadChunks) {
  TempDir tmp;
  GenOptions g;
  g.seed = 5;
  g.records = 110000;   // ~12.8 MB
  g.interfaces = 3000;  // ~2,900 of them in the first 4 MiB
  WriteFile(tmp.path() / "in" / "many.log", GenerateText(g));
  g.interfaces = 40;
  WriteFile(tmp.path() / "few" / "few.log", GenerateText(g));
  const uint64_t size = std::filesystem::file_size(tmp.path() / "in" / "many.log");
  ASSERT_GT(size, 3 * kChunkBytes);
  ASSERT_LT(size - kChunkBytes, kManyNamesChunkBytes);
  const RunResult one = RunDir(tmp / "in", tmp / "one", 1, 0);
  ASSERT_EQ(one.exit_code, 0) << one.error;
  const RunResult two = RunDir(tmp / "in", tmp / "two", 2, 0);
  ASSERT_EQ(two.exit_code, 0) << two.error;
  // A 4 MiB chunk, then the rest in one (and the empty last chunk).
  EXPECT_LE(one.graph.files.at(0).outcome.chunks, 3u);
  EXPECT_GE(two.graph.files.at(0).outcome.chunks, size / kChunkBytes + 1);
  for (const char* name :
       {"windows.csv.zst", "talkers.csv.zst", "exposure.csv.zst", "findings.jsonl.zst"}) {
    EXPECT_EQ(ReadZstd(tmp.path() / "one" / name), ReadZstd(tmp.path() / "two" / name)) << name;
  }
  EXPECT_EQ(one.graph.records, 110000u);
  // Few interfaces: chunks stay kChunkBytes.
  const RunResult few = RunDir(tmp / "few", tmp / "few-out", 1, 0);
  ASSERT_EQ(few.exit_code, 0) << few.error;
  EXPECT_GE(few.graph.files.at(0).outcome.chunks,
            std::filesystem::file_size(tmp.path() / "few" / "few.log") / kChunkBytes + 1);
}

TEST(Run, StageTimesCountTheThreadsCpuNotItsWaits) {
  // The manifest's *_cpu_s: a node's thread descheduled or asleep mid-chunk is not its stage's
  // work, so the clock is the thread's CPU time.
  double start = ThreadCpuSeconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LT(ThreadCpuSeconds() - start, 0.02);
  // Spinning: the CPU clock advances, and never faster than the wall clock.
  const auto wall = std::chrono::steady_clock::now();
  start = ThreadCpuSeconds();
  volatile uint64_t sink = 0;
  while (ThreadCpuSeconds() - start < 0.03) sink = sink + 1;
  EXPECT_GE(SecondsSince(wall), 0.03);
}

TEST(Run, SmallChunksAreTimedOnTheMonotonicClock) {
  // The CPU clock is a system call (~1.5 us on our VMs), two a node body: for a file of a few
  // KB that was ~5% of the run, so a small chunk's node is timed on the monotonic clock (an
  // asleep thread counts) and a big one's on the thread's CPU clock (it does not).
  EXPECT_FALSE(StageClock::ForChunk(StageClock::kCpuClockBytes - 1).cpu());
  EXPECT_TRUE(StageClock::ForChunk(StageClock::kCpuClockBytes).cpu());
  const StageClock small = StageClock::ForChunk(13 << 10);
  const StageClock big = StageClock::ForChunk(4 << 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_GE(small.Seconds(), 0.059);
  EXPECT_LT(big.Seconds(), 0.02);
}

TEST(Run, ManifestIsWhatItsJsonDumpsTo) {
  // The inputs array is written by hand (AppendInputsText); the whole text must be exactly what
  // nlohmann's dump(2) makes of the parsed manifest, for every kind of input: with and without
  // a header, with bad lines of several reasons, empty, not found, and names to escape.
  TempDir tmp;
  WriteGenerated(tmp.path() / "in", 3);
  WriteFile(tmp.path() / "in" / "headerless.log",
            "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.0.1 10.0.0.2 443 49152 6 10 840 "
            "1700000000 1700000060 ACCEPT OK\n");
  WriteFile(tmp.path() / "in" / "bad lines.log",
            "version srcaddr dstaddr bytes\n2 10.0.0.1 10.0.0.2 12\n2 10.0.0.1 x 12\n2 1\n"
            "2 10.0.0.1 10.0.0.2 NaN\n");
  WriteFile(tmp.path() / "in" / "empty.log", "");
  WriteFile(tmp.path() / "in" / "quote\"tab\t\xff.log", "version bytes\n2 7\n");
  RunOptions opt;
  opt.inputs = {tmp / "missing.log", tmp / "in"};
  opt.files_from = {tmp / "no-list"};  // a list that cannot be read: an entry of its own
  opt.out_dir = tmp / "out";
  opt.threads = 2;
  // A string written before the inputs array that is exactly the array's stand-in (run.cc).
  opt.options_text = "\x01inputs\x01";
  const RunResult r = flowsift::Run(opt, nullptr);
  ASSERT_EQ(r.exit_code, 1) << r.error;
  const auto manifest = nlohmann::ordered_json::parse(r.manifest_json);
  EXPECT_EQ(manifest["command_line"], opt.options_text);
  const auto& inputs = manifest["inputs"];
  ASSERT_EQ(inputs.size(), 9u);
  // The unreadable list first (lists are read before the inputs), then the arguments in order.
  EXPECT_EQ(inputs[0]["path"], tmp / "no-list");
  EXPECT_EQ(inputs[0]["status"], "not_found");
  EXPECT_EQ(inputs[0]["error"], tmp / "no-list" +
                                    ": not_found: cannot read the --files-from list: No such "
                                    "file or directory");
  EXPECT_EQ(inputs[1]["path"], tmp / "missing.log");
  EXPECT_EQ(inputs[1]["status"], "not_found");
  EXPECT_EQ(inputs[1]["error"], tmp / "missing.log" +
                                    ": not_found: cannot open: No such file or "
                                    "directory");
  // Every entry has the same keys (docs/outputs.md), a failed one too; the totals are the sums.
  uint64_t data_bytes = 0, bytes = 0;
  for (const auto& in : inputs) {
    std::vector<std::string> keys, want;
    for (const auto& [k, v] : in.items()) keys.push_back(k);
    for (const auto& [k, v] : inputs[2].items()) want.push_back(k);
    EXPECT_EQ(keys, want) << in.dump();
    data_bytes += in["data_bytes"].get<uint64_t>();
    bytes += in["bytes"].get<uint64_t>();
  }
  EXPECT_EQ(manifest["totals"]["data_bytes"], data_bytes);
  EXPECT_EQ(manifest["totals"]["bytes"], bytes);
  EXPECT_EQ(manifest["totals"]["inputs"], 9u);
  EXPECT_EQ(manifest["totals"]["failed_inputs"], 2u);
  EXPECT_EQ(r.manifest_json,
            manifest.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
}

// docs/outputs.md lists manifest.json's keys in the order a run writes them, and every one: a
// part's (`--partial`), so that `partial` is there too. The table's first column names the keys
// (`inputs[]` is `inputs`); `merged_from` is a merge's alone.
TEST(Run, TheManifestKeysAreTheDocumentedOnesInOrder) {
  TempDir tmp;
  WriteGenerated(tmp.path() / "in", 5);
  RunOptions opt;
  opt.inputs = {tmp / "in"};
  opt.out_dir = tmp / "out";
  opt.threads = 1;
  opt.partial = true;
  const RunResult r = flowsift::Run(opt, nullptr);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  std::vector<std::string> written;
  const auto manifest = nlohmann::ordered_json::parse(r.manifest_json);
  for (const auto& [k, v] : manifest.items()) written.push_back(k);
  std::ifstream docs(std::string(FLOWSIFT_SOURCE_DIR) + "/docs/outputs.md");
  ASSERT_TRUE(docs);
  std::vector<std::string> documented;
  bool in_section = false;
  for (std::string line; std::getline(docs, line);) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## manifest.json";
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    const std::string cell = line.substr(1, line.find('|', 1) - 1);
    const std::regex key(R"(`([a-z_]+)(\[\])?`)");
    for (std::sregex_iterator k(cell.begin(), cell.end(), key), end; k != end; ++k) {
      if ((*k)[1].str() != "merged_from") documented.push_back((*k)[1].str());
    }
  }
  EXPECT_EQ(written, documented);
}

// An interface's account is the first seen in input order, file by file: a later file's first
// chunk does not come before an earlier file's third.
TEST(Run, AnInterfacesAccountIsTheFirstSeenInFileOrder) {
  TempDir tmp;
  const auto line = [](const std::string& account, const std::string& eni) {
    return "2 " + account + " " + eni +
           " 10.0.0.1 10.0.0.2 1 2 6 3 4 1700000000 1700000060 ACCEPT OK\n";
  };
  std::string a;
  while (a.size() < (40 << 10)) a += line("123456789010", "eni-1");
  a += line("111111111111", "eni-9");  // in a.log's third 16 KiB chunk
  WriteFile(tmp.path() / "in" / "a.log", a);
  WriteFile(tmp.path() / "in" / "b.log", line("222222222222", "eni-9"));
  for (const unsigned threads : {1u, 2u}) {
    const std::string out = tmp / ("out" + std::to_string(threads));
    const RunResult r = RunDir(tmp / "in", out, threads, 16 << 10, false);
    ASSERT_EQ(r.exit_code, 0) << r.error;
    std::istringstream rows(ReadZstd(std::filesystem::path(out) / "windows.csv.zst"));
    std::string row, account;
    while (std::getline(rows, row)) {
      if (row.rfind("eni-9,", 0) == 0) account = row.substr(6, row.find(',', 6) - 6);
    }
    EXPECT_EQ(account, "111111111111") << threads << " threads";
  }
}

// A temporary that holds files flowsift does not write is named ("kept ...") only when no live
// run holds its lock: a live run's (the earlier OUT at its temporary's name while its files
// move out, locked) is not called left by a run that did not finish.
TEST(Run, ATemporaryWithOtherFilesIsNamedOnlyWhenNoRunHoldsIt) {
  namespace fs = std::filesystem;
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  fs::path first;
  std::string error;
  ASSERT_TRUE(MakeSiblingTempDir(out, &first, &error)) << error;
  const std::string name = first.filename().string();
  const fs::path other = tmp.path() / (name.substr(0, name.size() - 6) + "abcdef");
  DropTemporary(first);
  fs::remove_all(first);
  fs::create_directories(other);
  WriteFile(other / "notes.txt", "mine\n");
  const timespec old[2] = {{time(nullptr) - 120, 0}, {time(nullptr) - 120, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, other.c_str(), old, 0), 0);
  const int fd = open(other.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
  std::vector<std::string> notes;
  fs::path second;
  ASSERT_TRUE(MakeSiblingTempDir(out, &second, &error, &notes)) << error;
  DropTemporary(second);
  EXPECT_TRUE(notes.empty()) << notes.front();
  close(fd);
  fs::path third;
  ASSERT_TRUE(MakeSiblingTempDir(out, &third, &error, &notes)) << error;
  DropTemporary(third);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].rfind("kept " + other.string() + ", left by a run that did not finish", 0), 0u)
      << notes[0];
  EXPECT_TRUE(fs::exists(other / "notes.txt"));
}

// A run leaves no descriptor open: the lock of its temporary OUT is closed once OUT is in place.
TEST(Run, ARunLeavesNoDescriptorOpen) {
  TempDir tmp;
  WriteFile(tmp.path() / "in" / "a.log",
            "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1700000000 1700000060 ACCEPT OK\n");
  const auto open_descriptors = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                         std::filesystem::directory_iterator());
  };
  ASSERT_EQ(RunDir(tmp / "in", tmp / "out1", 2).exit_code, 0);  // whatever a first run keeps
  const auto before = open_descriptors();
  ASSERT_EQ(RunDir(tmp / "in", tmp / "out2", 2).exit_code, 0);
  EXPECT_EQ(open_descriptors(), before);
}

// The progress counters end where the run does: every input byte (on disk, for a compressed
// file), every file and every record.
TEST(Run, ProgressEndsWithEveryByteFileAndRecordCounted) {
  TempDir tmp;
  const std::string good =
      "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1700000000 1700000060 ACCEPT OK\n";
  std::string text;
  for (int i = 0; i < 3000; ++i) text += good;
  // A header line, as on every file AWS delivers: the reader takes it before the first chunk,
  // and progress had stopped short of the total by its bytes.
  // So are lines too long for a record (skipped, counted as bad), here one in the middle.
  WriteFile(tmp.path() / "in" / "a.log",
            Format::Default().HeaderLine() + "\n" + text + std::string(70000, 'x') + "\n" + text);
  flowsift::testing::WriteZstd(tmp.path() / "in" / "b.log.zst", text + text);
  RunOptions opt;
  opt.inputs = {tmp / "in"};
  opt.out_dir = tmp / "out";
  opt.threads = 2;
  opt.chunk_bytes = 64 << 10;
  Progress progress;
  const RunResult r = flowsift::Run(opt, &progress);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(progress.files_total, 2u);
  EXPECT_EQ(progress.files_done, 2u);
  EXPECT_EQ(progress.bytes_total, r.input_bytes);
  EXPECT_EQ(progress.bytes_done, r.input_bytes);
  EXPECT_LT(r.input_bytes, 4 * text.size());  // the compressed file counts its disk bytes
  EXPECT_EQ(progress.records, 12000u);
  EXPECT_TRUE(progress.writing);
}

// The total is known only when every input's size is. With stdin or a FIFO among the inputs
// (here a device, read to its end as they are) it is unknown (0: "?" on the bar), not the
// others' sizes: a run of `-` and a file of 11.6 KB showed "314.7 MB of 11.6 KB on disk
// (100%)" from its start.
TEST(Run, ProgressTotalIsUnknownWhenAnInputsSizeIs) {
  TempDir tmp;
  const std::string line =
      "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1700000000 1700000060 ACCEPT OK\n";
  WriteFile(tmp.path() / "a.log", line);
  for (const bool device : {false, true}) {
    SCOPED_TRACE(device);
    RunOptions opt;
    opt.inputs = {tmp / "a.log"};
    if (device) opt.inputs.push_back("/dev/null");
    opt.out_dir = tmp / (device ? "out2" : "out1");
    opt.threads = 1;
    Progress progress;
    const RunResult r = flowsift::Run(opt, &progress);
    ASSERT_EQ(r.exit_code, 0) << r.error;
    EXPECT_EQ(progress.files_total, device ? 2u : 1u);
    EXPECT_EQ(progress.bytes_total, device ? 0u : line.size());
  }
}

TEST(Run, OutIsReplacedOnlyWithForce) {
  TempDir tmp;
  WriteGenerated(tmp.path() / "in", 3);
  WriteFile(tmp.path() / "out" / "old.txt", "old");
  RunResult r = RunDir(tmp / "in", tmp / "out", 1);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.error.find("--force"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "out" / "old.txt"));
  RunOptions opt;
  opt.inputs = {tmp / "in"};
  opt.out_dir = tmp / "out";
  opt.force = true;
  // --force replaces an earlier output only: not a directory without a manifest.json (the
  // inputs themselves, here: `run in -o in --force` deleted the logs), nor a file.
  for (const std::string& target : {tmp / "out", tmp / "in", tmp / "in/f0.log"}) {
    opt.out_dir = target;
    r = flowsift::Run(opt, nullptr);
    EXPECT_EQ(r.exit_code, 2) << target;
    EXPECT_NE(r.error.find("choose another -o"), std::string::npos) << r.error;
  }
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "out" / "old.txt"));
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "in" / "f0.log"));
  // Nor one whose manifest.json is another tool's: --force deleted that directory's files.
  WriteFile(tmp.path() / "out" / "manifest.json", "{\"sourceBucket\": \"logs\"}");
  opt.out_dir = tmp / "out";
  r = flowsift::Run(opt, nullptr);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("no manifest.json of flowsift"), std::string::npos) << r.error;
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "out" / "old.txt"));
  std::filesystem::remove_all(tmp.path() / "out");
  opt.out_dir = tmp / "out";
  r = flowsift::Run(opt, nullptr);  // OUT does not exist: written
  ASSERT_EQ(r.exit_code, 0) << r.error;
  // An earlier output is replaced, and what flowsift did not write in it (logs copied there, a
  // --stats-json file, an export, a directory) is moved into the new one, never deleted.
  WriteFile(tmp.path() / "out" / "kept.log", "logs");
  WriteFile(tmp.path() / "out" / "sub" / "deep.log", "deep");
  const std::string old_windows = ReadFile(tmp.path() / "out" / "windows.csv.zst");
  WriteFile(tmp.path() / "out" / "windows.csv.zst", "stale");
  r = flowsift::Run(opt, nullptr);
  EXPECT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(ReadFile(tmp.path() / "out" / "kept.log"), "logs");
  EXPECT_EQ(ReadFile(tmp.path() / "out" / "sub" / "deep.log"), "deep");
  EXPECT_EQ(ReadFile(tmp.path() / "out" / "windows.csv.zst"), old_windows);  // its own: new
  for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
    EXPECT_EQ(e.path().filename().string().find("out.old-"), std::string::npos) << e.path();
  }
  r = flowsift::Run(opt, nullptr);
  EXPECT_EQ(r.exit_code, 0) << r.error;
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "out" / "manifest.json"));
  opt.partial = true;  // a part (with state.bin.zst) is an earlier output too
  r = flowsift::Run(opt, nullptr);
  EXPECT_EQ(r.exit_code, 0) << r.error;
  opt.partial = false;
  r = flowsift::Run(opt, nullptr);
  EXPECT_EQ(r.exit_code, 0) << r.error;
  std::filesystem::create_directories(tmp.path() / "empty");
  opt.out_dir = tmp / "empty";
  r = flowsift::Run(opt, nullptr);
  EXPECT_EQ(r.exit_code, 0) << r.error;
}

// An OUT of generated inputs (seed `seed`) under tmp/out, made with `*opt` (--force, as the
// tests then replace it); returns its manifest.
std::string MakeOut(const TempDir& tmp, uint64_t seed, RunOptions* opt) {
  WriteGenerated(tmp.path() / "in", seed);
  opt->inputs = {tmp / "in"};
  opt->out_dir = tmp / "out";
  opt->force = true;
  EXPECT_EQ(flowsift::Run(*opt, nullptr).exit_code, 0);
  return ReadFile(tmp.path() / "out" / "manifest.json");
}

// When not one input can be read, an existing OUT is kept (as merge keeps it when no part can
// be read), not replaced by an empty summary of the failures; a new OUT is written, its
// manifest naming them.
TEST(Run, AnExistingOutIsKeptWhenNoInputCanBeRead) {
  TempDir tmp;
  RunOptions opt;
  const std::string manifest = MakeOut(tmp, 2, &opt);
  std::filesystem::create_directories(tmp.path() / "empty");
  for (const std::string& input : {tmp / "missing.log", tmp / "empty"}) {
    opt.inputs = {input};
    const RunResult r = flowsift::Run(opt, nullptr);
    EXPECT_EQ(r.exit_code, 1) << input;
    EXPECT_NE(r.error.find("none of the inputs could be read: " + tmp / "out" + " is kept"),
              std::string::npos)
        << r.error;
    EXPECT_EQ(ReadFile(tmp.path() / "out" / "manifest.json"), manifest) << input;
  }
  // A part is always written: kept, an earlier run's part would be merged as this one's.
  opt.partial = true;
  const RunResult part = flowsift::Run(opt, nullptr);
  EXPECT_EQ(part.exit_code, 1);
  EXPECT_TRUE(part.error.empty()) << part.error;
  EXPECT_NE(ReadFile(tmp.path() / "out" / "manifest.json"), manifest);
  opt.partial = false;
  opt.out_dir = tmp / "new";
  const RunResult r = flowsift::Run(opt, nullptr);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_NE(ReadFile(tmp.path() / "new" / "manifest.json").find("no flow-log files in it"),
            std::string::npos);
}

// An input truncated after some of its lines was read: they replace an existing OUT, as they
// are summarised beside other inputs (exit 1, the file named), not dropped with a message that
// nothing could be read. Cut before its first line, it was not read: OUT is kept.
TEST(Run, AnInputCutShortAfterSomeLinesIsSummarisedInPlaceOfAnExistingOut) {
  TempDir tmp;
  RunOptions opt;
  const std::string manifest = MakeOut(tmp, 3, &opt);

  std::string text;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path() / "in")) {
    text += ReadFile(e.path());
  }
  ASSERT_GT(text.size(), 1u << 20);  // several zstd blocks of 128 KiB: some decode before the cut
  flowsift::testing::WriteZstd(tmp.path() / "whole.log.zst", text);
  const std::string packed = ReadFile(tmp.path() / "whole.log.zst");
  WriteFile(tmp.path() / "cut" / "half.log.zst", packed.substr(0, packed.size() / 2));
  WriteFile(tmp.path() / "head" / "head.log.zst", packed.substr(0, 8));

  opt.inputs = {tmp / "head"};
  RunResult r = flowsift::Run(opt, nullptr);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.error.find("is kept"), std::string::npos) << r.error;
  EXPECT_EQ(ReadFile(tmp.path() / "out" / "manifest.json"), manifest);

  opt.inputs = {tmp / "cut"};
  r = flowsift::Run(opt, nullptr);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_NE(r.failures[0].find("half.log.zst: truncated"), std::string::npos) << r.failures[0];
  const json m = json::parse(ReadFile(tmp.path() / "out" / "manifest.json"));
  EXPECT_GT(m["totals"]["records"].get<uint64_t>(), 1000u);
  EXPECT_EQ(m["inputs"][0]["status"], "truncated");
}

// The lines read before the cut count whatever became of them: all outside --since/--until (exit
// 1 for nothing kept, as for a whole input) or all bad lines, they replace an existing OUT as a
// whole input's would, its manifest saying so; not "none of the inputs could be read".
TEST(Run, AnInputCutShortAfterLinesNoneKeptOrAllBadStillReplacesAnExistingOut) {
  TempDir tmp;
  WriteGenerated(tmp.path() / "in", 1);
  RunOptions opt;
  opt.inputs = {tmp / "in"};
  opt.out_dir = tmp / "out";
  opt.force = true;
  ASSERT_EQ(flowsift::Run(opt, nullptr).exit_code, 0);
  std::string records, bad;
  while (records.size() < (2u << 20)) {
    records +=
        "2 123456789012 eni-0a1b2c3d4e5f67890 10.0.0.1 8.8.8.8 443 50000 6 10 1000 "
        "1700000100 1700000160 ACCEPT OK\n";
    bad += "not a flow log line " + std::to_string(records.size() * 7919 % 1000003) + "\n";
  }
  for (const auto& [name, text] : {std::pair{"filtered", records}, std::pair{"bad", bad}}) {
    flowsift::testing::WriteZstd(tmp.path() / "whole.log.zst", text);
    const std::string packed = ReadFile(tmp.path() / "whole.log.zst");
    WriteFile(tmp.path() / name / "half.log.zst", packed.substr(0, packed.size() / 2));
    const std::string before = ReadFile(tmp.path() / "out" / "manifest.json");
    opt.inputs = {tmp / name};
    opt.since = std::string(name) == "filtered" ? 1800000000 : 0;
    const RunResult r = flowsift::Run(opt, nullptr);
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_TRUE(r.error.empty()) << name << ": " << r.error;
    const std::string after = ReadFile(tmp.path() / "out" / "manifest.json");
    EXPECT_NE(after, before) << name;
    const json m = json::parse(after);
    EXPECT_EQ(m["inputs"][0]["status"], "truncated") << name;
    EXPECT_EQ(m["totals"]["records"], 0u) << name;
    if (std::string(name) == "filtered") {
      EXPECT_TRUE(r.nothing_kept);
      EXPECT_GT(m["totals"]["filtered"].get<uint64_t>(), 1000u);
    } else {
      EXPECT_GT(m["totals"]["bad_lines"].get<uint64_t>(), 1000u);
    }
  }
}

// An OUT whose parent cannot be made names the parent and why (no permission, a file in the
// way), not mkdtemp's consequent "No such file or directory".
TEST(Run, AnOutWhoseParentCannotBeMadeSaysWhy) {
  TempDir tmp;
  WriteGenerated(tmp.path() / "in", 1);
  WriteFile(tmp.path() / "afile", "x");
  RunOptions opt;
  opt.inputs = {tmp / "in"};
  opt.out_dir = tmp / "afile/sub/out";
  const RunResult r = flowsift::Run(opt, nullptr);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.error.find("cannot create " + tmp / "afile/sub" + ": Not a directory"),
            std::string::npos)
      << r.error;
}

TEST(Run, SinceUntilAndWindowOptions) {
  TempDir tmp;
  const std::string text = WriteGenerated(tmp.path() / "in", 8);  // three hours from 1700000000
  constexpr uint64_t kSince = 1700003000, kUntil = 1700009000;    // through two files
  // The same records filtered here, by each line's start field (the 11th of version 2), with
  // their NODATA count.
  std::string kept =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
      "packets bytes start end action log-status\n";
  uint64_t kept_records = 0, kept_nodata = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    std::istringstream fields(line);
    std::string f[14];
    for (std::string& x : f) fields >> x;
    const uint64_t start = f[10] == "-" ? 0 : std::stoull(f[10]);
    if (start < kSince || start >= kUntil) continue;
    kept += line + "\n";
    ++kept_records;
    kept_nodata += f[13] == "NODATA";
  }
  ASSERT_GT(kept_records, 1000u);
  WriteFile(tmp.path() / "kept" / "kept.log", kept);
  for (const unsigned threads : {1u, 2u}) {
    RunOptions opt;
    opt.inputs = {tmp / "in"};
    opt.out_dir = tmp / ("out" + std::to_string(threads));
    opt.window = 3600;
    opt.threads = threads;
    opt.since = kSince;
    opt.until = kUntil;
    const RunResult r = flowsift::Run(opt, nullptr);
    ASSERT_EQ(r.exit_code, 0);
    const std::string windows = ReadZstd(std::filesystem::path(opt.out_dir) / "windows.csv.zst");
    EXPECT_NE(windows.find(",1700002800,1700006400,"), std::string::npos);  // hour grid
    EXPECT_EQ(windows.find(",1699999200,"), std::string::npos);
    uint64_t filtered = 0, nodata = 0;
    for (const FileReport& f : r.graph.files) filtered += f.filtered, nodata += f.nodata;
    EXPECT_EQ(r.graph.records, kept_records);
    EXPECT_EQ(nodata, kept_nodata);
    EXPECT_EQ(r.graph.records + filtered, 60000u);
    // Every table equals that of a run over the kept lines alone.
    opt.inputs = {tmp / "kept"};
    opt.out_dir = tmp / ("kept_out" + std::to_string(threads));
    opt.since = 0;
    opt.until = UINT64_MAX;
    const RunResult alone = flowsift::Run(opt, nullptr);
    ASSERT_EQ(alone.exit_code, 0);
    EXPECT_EQ(alone.graph.records, kept_records);
    for (const char* table : {"windows.csv.zst", "talkers.csv.zst", "exposure.csv.zst"}) {
      EXPECT_EQ(ReadZstd(tmp.path() / ("out" + std::to_string(threads)) / table),
                ReadZstd(std::filesystem::path(opt.out_dir) / table))
          << table << ", " << threads << " threads";
    }
  }
}

// Two hours of 12 interfaces with every attack.
GenOptions TwoHoursOfAttacks(uint64_t seed, uint64_t records) {
  GenOptions g;
  g.seed = seed;
  g.records = records;
  g.interfaces = 12;
  g.hours = 2;
  g.attacks = AllAttacks();
  return g;
}

// A damaged record whose start time is decades on gets a window of its own, and no more: the
// findings' baselines leave out the gap (Detector::Findings' active times). The findings of the
// good records stay the same ones, with the same baselines: the record's windows lie outside the
// life of every interface whose windows the baselines count (before the interfaces' lives, they
// gained its two 300 s windows), and none is added, but to a reflection flood's, which is judged
// over the whole run: its one window (baseline_windows in its evidence since issue 5; a zero
// more, which can only lower the median); over one span from the first window to the
// record's, every interface's baseline held a million zero windows and 348 false reject spikes
// and 284 fan-ins were found on the 1 GiB set.
TEST(Run, ARecordDecadesOnChangesNoFinding) {
  TempDir tmp;
  const GenOptions g = TwoHoursOfAttacks(5, 200000);
  WriteFile(tmp.path() / "in" / "a.log", GenerateText(g));
  const RunResult clean = RunDir(tmp / "in", tmp / "clean", 2);
  ASSERT_EQ(clean.exit_code, 0) << clean.error;
  WriteFile(tmp.path() / "in" / "b.log",
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
            "bytes start end action log-status\n"
            "2 123456789012 eni-0a 203.0.113.5 10.0.1.10 4000 22 6 1 44 9999999999 9999999999 "
            "REJECT OK\n");
  const RunResult damaged = RunDir(tmp / "in", tmp / "damaged", 2);
  ASSERT_EQ(damaged.exit_code, 0) << damaged.error;
  // Each finding's id and its baseline's window count, in order; a reflection flood's count
  // less the record's window.
  const auto findings = [&](const char* dir) {
    std::vector<std::pair<std::string, int64_t>> out;
    std::istringstream lines(ReadZstd(tmp.path() / dir / "findings.jsonl.zst"));
    for (std::string line; std::getline(lines, line);) {
      const nlohmann::json f = nlohmann::json::parse(line);
      const bool whole_run =
          std::string_view(dir) == "damaged" && f["evidence"].contains("reflection");
      out.emplace_back(f["id"], f["evidence"].value("baseline_windows", int64_t{-1}) - whole_run);
    }
    return out;
  };
  const auto want = findings("clean"), got = findings("damaged");
  ASSERT_EQ(got.size(), want.size());
  size_t baselines = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first);
    EXPECT_EQ(got[i].second, want[i].second) << want[i].first;  // spikes, exfiltration, fan-in
    baselines += want[i].second >= 0;
  }
  EXPECT_GT(baselines, 0u);  // findings with a baseline were compared
  EXPECT_NE(ReadZstd(tmp.path() / "damaged" / "windows.csv.zst").find(",9999999600,"),
            std::string::npos);
}

// --window is the windows table's width, not a detection setting: the findings are the same
// for every width. The baselines took the run's times from the windows table, so at -w 3600
// the empty 5-minute windows after an hour's last record were quiet ones (zeros) in every
// reject-spike and fan-in baseline, and findings came and went with the flag.
TEST(Run, FindingsDoNotDependOnTheWindowsWidth) {
  TempDir tmp;
  GenOptions g = TwoHoursOfAttacks(7, 150000);
  g.start = 1700000000 + 1500;  // the data ends mid-hour
  WriteFile(tmp.path() / "in" / "a.log", GenerateText(g));
  std::string want;
  for (const uint32_t window : {300u, 60u, 600u, 3600u}) {
    RunOptions opt;
    opt.inputs = {tmp / "in"};
    opt.out_dir = tmp / ("out" + std::to_string(window));
    opt.threads = 2;
    opt.window = window;
    const RunResult r = flowsift::Run(opt, nullptr);
    ASSERT_EQ(r.exit_code, 0) << r.error;
    const std::string findings =
        ReadZstd(std::filesystem::path(opt.out_dir) / "findings.jsonl.zst");
    if (want.empty()) {
      want = findings;
      ASSERT_NE(want, "");
    }
    EXPECT_EQ(findings, want) << "--window " << window;
  }
}

TEST(Run, ShardsPartitionTheSortedInputs) {
  std::vector<InputFile> files;
  for (int i = 0; i < 10; ++i) files.push_back({"f" + std::to_string(i), -1});
  std::vector<std::string> seen;
  for (uint32_t s = 0; s < 3; ++s) {
    for (const InputFile& f : SelectShard(files, s, 3)) seen.push_back(f.path);
  }
  std::sort(seen.begin(), seen.end());
  std::vector<std::string> all;
  for (const InputFile& f : files) all.push_back(f.path);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(seen, all);
  EXPECT_EQ(SelectShard(files, 1, 3).size(), 3u);
  EXPECT_EQ(SelectShard(files, 0, 3).size(), 4u);
}

TEST(Run, AwsDocumentationExamplesEndToEnd) {
  TempDir tmp;
  RunOptions opt;
  opt.inputs = {std::string(FLOWSIFT_FIXTURES_DIR) + "/aws-examples"};
  opt.out_dir = tmp / "out";
  const RunResult r = flowsift::Run(opt, nullptr);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(r.graph.files.size(), 10u);
  EXPECT_EQ(r.bad_lines, 0u);
  const std::string exposure = ReadZstd(tmp.path() / "out" / "exposure.csv.zst");
  // 01: RDP from 172.31.9.69 is internal; 03: ping from 203.0.113.12 (ICMP, port 0) is external.
  EXPECT_NE(exposure.find(",0,1,"), std::string::npos) << exposure;
}

// ReadTextFile's limit counts the bytes it appends, not those *out held before: it stops once
// it appended more than the limit (so the caller can tell the file was longer), and reads a
// shorter file whole.
TEST(Run, ReadTextFileLimitsTheBytesItAppends) {
  TempDir tmp;
  const std::string file = tmp / "text";
  std::ofstream(file, std::ios::binary) << std::string(300 << 10, 'x');
  const std::string before(50 << 10, 'b');
  std::string out = before, error;
  ASSERT_TRUE(ReadTextFile(file, &out, &error, 100 << 10)) << error;
  EXPECT_GT(out.size() - before.size(), size_t{100} << 10);
  EXPECT_LE(out.size() - before.size(), size_t{300} << 10);
  out = before;
  ASSERT_TRUE(ReadTextFile(file, &out, &error, 300 << 10)) << error;
  EXPECT_EQ(out, before + std::string(300 << 10, 'x'));
}

}  // namespace
}  // namespace flowsift
