// `flowsift run` on bad and damaged inputs, end to end through the library: unreadable files
// named beside the summarised good ones, bad lines counted by reason and sampled in input order
// with their file line numbers, files without records, and mapped files cut while being read.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/generate.h"
#include "pipeline/run.h"
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

TEST(Run, BadInputsAreNamedAndTheGoodOnesStillSummarised) {
  TempDir tmp;
  WriteGenerated(tmp.path() / "good", 40);
  const RunResult good = RunDir(tmp / "good", tmp / "good-out", 2);
  ASSERT_EQ(good.exit_code, 0);

  // The same good files plus: garbage, a header-only file, a truncated and a corrupt gzip
  // (a gzip header and junk), and a missing path.
  std::filesystem::copy(tmp.path() / "good", tmp.path() / "mixed");
  WriteFile(tmp.path() / "mixed" / "garbage.log", std::string("\x01\x02 not a flow log\n"));
  WriteFile(tmp.path() / "mixed" / "header-only.log", Format::Default().HeaderLine() + "\n");
  WriteFile(tmp.path() / "mixed" / "zero.log", "");
  WriteFile(tmp.path() / "mixed" / "corrupt.log.gz",
            std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbagegarbage", 24));
  RunOptions opt;
  opt.inputs = {tmp / "mixed", tmp / "no-such-file.log"};
  opt.out_dir = tmp / "mixed-out";
  opt.threads = 2;
  const RunResult mixed = flowsift::Run(opt, nullptr);
  EXPECT_EQ(mixed.exit_code, 1);
  ASSERT_EQ(mixed.failures.size(), 2u);  // the corrupt gzip and the missing path
  EXPECT_EQ(ReadZstd(tmp.path() / "mixed-out" / "windows.csv.zst"),
            ReadZstd(tmp.path() / "good-out" / "windows.csv.zst"));

  const json m = json::parse(ReadFile(tmp.path() / "mixed-out" / "manifest.json"));
  std::map<std::string, std::string> status;
  for (const json& in : m["inputs"]) {
    status[std::filesystem::path(in["path"].get<std::string>()).filename()] = in["status"];
    // An error only where the status is a failure: an empty object (S3 has many) is none.
    const std::string s = in["status"];
    EXPECT_EQ(in["error"].is_null(), s == "ok" || s == "empty") << in.dump();
  }
  EXPECT_EQ(status["zero.log"], "empty");
  EXPECT_EQ(status["no-such-file.log"], "not_found");
  EXPECT_NE(status["corrupt.log.gz"], "ok");
  EXPECT_EQ(status["garbage.log"], "ok");  // readable; its line is a bad line
  EXPECT_EQ(status["header-only.log"], "ok");
  EXPECT_EQ(m["totals"]["bad_lines"], 1);
  ASSERT_EQ(m["bad_line_samples"].size(), 1u);
  EXPECT_EQ(m["bad_line_samples"][0]["line"], 1);
  EXPECT_EQ(m["bad_line_samples"][0]["reason"], "control_character");
}

// Logs of two formats joined into one file (`cat v2.log custom.log`) give the outputs of the
// two files apart, on one and two threads: the header inside switches the format (it was only
// counted, and the custom lines, read as v2, were bad lines, or hung the parser). The manifest
// counts that header in header_lines.
TEST(Run, FilesOfTwoFormatsJoinedGiveTheOutputsOfTheFilesApart) {
  TempDir tmp;
  GenOptions g;
  g.records = 20000;
  g.interfaces = 30;
  const std::string a = GenerateText(g);
  g.seed = 2;
  g.start = 1700003600;
  g.format = *Format::Parse(
      "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
      "log-status version account-id",
      nullptr);
  const std::string b = GenerateText(g);
  WriteFile(tmp.path() / "apart" / "a.log", a);
  WriteFile(tmp.path() / "apart" / "b.log", b);
  WriteFile(tmp.path() / "joined" / "ab.log", a + b);
  const RunResult apart = RunDir(tmp / "apart", tmp / "apart-out", 2);
  ASSERT_EQ(apart.exit_code, 0);
  for (const unsigned threads : {1u, 2u}) {
    const std::string out = tmp / ("joined-out" + std::to_string(threads));
    const RunResult joined = RunDir(tmp / "joined", out, threads);
    ASSERT_EQ(joined.exit_code, 0);
    for (const char* file :
         {"windows.csv.zst", "talkers.csv.zst", "exposure.csv.zst", "findings.jsonl.zst"}) {
      EXPECT_EQ(ReadZstd(std::filesystem::path(out) / file),
                ReadZstd(tmp.path() / "apart-out" / file))
          << file << " threads " << threads;
    }
    const json m = json::parse(ReadFile(std::filesystem::path(out) / "manifest.json"));
    EXPECT_EQ(m["totals"]["records"], 40000);
    EXPECT_EQ(m["totals"]["bad_lines"], 0);
    EXPECT_EQ(m["inputs"][0]["header_lines"], 1);
    EXPECT_EQ(m["inputs"][0]["lines"], 40002);
  }
}

// A file of 300,000 short garbage lines with bad integers among them, in chunks of 16 KiB and
// of 4 MiB: every bad line counted, by reason and by file, and the samples the first 20 of each
// reason with their file line numbers. (Each chunk keeps only its first bad lines of a reason.)
TEST(Run, EveryBadLineCountedAndTheFirstOfEachReasonSampled) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.path() / "in");
  const std::string good =
      "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1700000000 1700000060 ACCEPT OK\n";
  std::string bad_int = good;
  bad_int.replace(bad_int.find(" 3 4 "), 5, " 3 x ");
  std::string text;
  uint64_t records = 0, too_few = 0, bad_ints = 0;
  std::vector<uint64_t> first_too_few, first_bad_int;  // 1-based line numbers
  for (uint64_t i = 1; i <= 300000; ++i) {
    if (i % 1000 == 0) {
      text += good, ++records;
    } else if (i % 97 == 0) {
      text += bad_int, ++bad_ints;
      if (first_bad_int.size() < 20) first_bad_int.push_back(i);
    } else {
      text += "x\n", ++too_few;
      if (first_too_few.size() < 20) first_too_few.push_back(i);
    }
  }
  WriteFile(tmp.path() / "in" / "a.log", text);
  for (const size_t chunk : {size_t{16} << 10, size_t{4} << 20}) {
    const std::string out = tmp / ("out" + std::to_string(chunk));
    const RunResult r = RunDir(tmp / "in", out, 2, chunk, false);
    EXPECT_EQ(r.exit_code, 0);
    const json m = json::parse(ReadFile(std::filesystem::path(out) / "manifest.json"));
    EXPECT_EQ(m["totals"]["records"], records);
    EXPECT_EQ(m["totals"]["bad_lines"], too_few + bad_ints);
    EXPECT_EQ(m["totals"]["bad_lines_by_reason"]["too_few_fields"], too_few);
    EXPECT_EQ(m["totals"]["bad_lines_by_reason"]["bad_integer"], bad_ints);
    EXPECT_EQ(m["inputs"][0]["bad_lines"], too_few + bad_ints);
    std::vector<uint64_t> sampled_too_few, sampled_bad_int;
    for (const json& s : m["bad_line_samples"]) {
      (s["reason"] == "too_few_fields" ? sampled_too_few : sampled_bad_int).push_back(s["line"]);
    }
    EXPECT_EQ(sampled_too_few, first_too_few) << chunk;
    EXPECT_EQ(sampled_bad_int, first_bad_int) << chunk;
  }
}

// A line too long to hold (over 64 KiB with no newline; the reader skips it, in a chunk of its
// own or not) is sampled with its first 200 bytes, as the parser samples one that fits its
// chunk: it said "(N bytes, not kept)". The lines around it are records.
TEST(Run, ALineTooLongIsSampledWithItsFirstBytes) {
  TempDir tmp;
  const std::string good =
      "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1700000000 1700000060 ACCEPT OK\n";
  std::string huge = "2 123456789010 eni-1 ";
  for (int i = 0; huge.size() < 300000; ++i) huge += std::to_string(i) + ' ';
  WriteFile(tmp.path() / "in" / "a.log", good + huge + "\n" + good);
  const RunResult r = RunDir(tmp / "in", tmp / "out", 1, 64 << 10, false);
  EXPECT_EQ(r.exit_code, 0);
  const json m = json::parse(ReadFile(tmp.path() / "out" / "manifest.json"));
  EXPECT_EQ(m["totals"]["records"], 2);
  ASSERT_EQ(m["bad_line_samples"].size(), 1u);
  const json& s = m["bad_line_samples"][0];
  EXPECT_EQ(s["reason"], "line_too_long");
  EXPECT_EQ(s["line"], 2);
  EXPECT_EQ(s["text"], huge.substr(0, 200));
}

// Samples carry the line numbers of the file: a header line and a line the reader skipped as
// too long count as lines before the bad line, in whichever chunk it is; offsets are the
// lines' own byte offsets in the file.
TEST(Run, BadLineSamplesCountTheHeaderAndSkippedLinesBefore) {
  TempDir tmp;
  const std::string good =
      "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1700000000 1700000060 ACCEPT OK\n";
  const std::string header = Format::Default().HeaderLine() + "\n";
  std::string text = header;
  for (int i = 0; i < 10; ++i) text += good;
  const uint64_t bad_at = text.size();
  const std::string bad = "bad " + std::string(300, 'b');  // line 12, sampled in part
  text += bad + "\n";
  const uint64_t long_at = text.size();
  text += "2 " + std::string(70000, '7') + "\n";  // line 13: too long, the reader's
  for (int i = 0; i < 1000; ++i) text += good;
  const uint64_t last_at = text.size();
  text += "worse\n";  // line 1014
  WriteFile(tmp.path() / "in" / "a.log", text);
  const RunResult r = RunDir(tmp / "in", tmp / "out", 2, 16 << 10, false);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  ASSERT_EQ(r.graph.files.size(), 1u);
  EXPECT_EQ(r.graph.files[0].lines, 1014u);
  EXPECT_EQ(r.graph.files[0].bad_lines, 3u);
  EXPECT_EQ(r.graph.records, 1010u);
  std::vector<std::pair<uint64_t, uint64_t>> samples;  // line, offset
  for (const BadLineSample& s : r.graph.samples) {
    samples.emplace_back(s.line, s.offset);
    if (s.line == 12) {
      EXPECT_EQ(s.text, bad.substr(0, kSampleBytes));
    }
  }
  std::sort(samples.begin(), samples.end());
  EXPECT_EQ(samples, (std::vector<std::pair<uint64_t, uint64_t>>{
                         {12, bad_at}, {13, long_at}, {1014, last_at}}));
}

// The samples of a reason are its first bad lines in input order: file by file, then line by
// line, not the lowest line numbers of any file.
TEST(Run, SamplesAreTheFirstBadLinesOfTheInputsInOrder) {
  TempDir tmp;
  const std::string good =
      "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1700000000 1700000060 ACCEPT OK\n";
  std::string a, b;
  for (int i = 0; i < 30; ++i) a += good;
  for (int i = 0; i < 25; ++i) a += "x\n", b += "x\n";  // a.log lines 31-55, b.log 1-25
  WriteFile(tmp.path() / "in" / "a.log", a);
  WriteFile(tmp.path() / "in" / "b.log", b);
  for (const unsigned threads : {1u, 2u}) {
    const RunResult r =
        RunDir(tmp / "in", tmp / ("out" + std::to_string(threads)), threads, 64 << 10, false);
    ASSERT_EQ(r.exit_code, 0) << r.error;
    ASSERT_EQ(r.graph.samples.size(), kSamplesPerReason);
    for (size_t i = 0; i < kSamplesPerReason; ++i) {
      EXPECT_EQ(r.graph.samples[i].file, 0u) << i;
      EXPECT_EQ(r.graph.samples[i].line, 31 + i) << i;
    }
  }
}

// Chunks without a record (an empty file, a header alone, lines that are all bad) free their
// slot too: with more such files than chunks may be in flight, every file is still read.
TEST(Run, FilesWithoutRecordsDoNotHoldTheirChunkSlots) {
  TempDir tmp;
  const std::string good =
      "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1700000000 1700000060 ACCEPT OK\n";
  for (int i = 0; i < 12; ++i) {
    const std::string name = "f" + std::to_string(10 + i) + ".log";
    WriteFile(tmp.path() / "in" / name, i % 3 == 0   ? std::string()
                                        : i % 3 == 1 ? Format::Default().HeaderLine() + "\n"
                                                     : std::string("x\ny\n"));
  }
  WriteFile(tmp.path() / "in" / "z.log", good + good);
  for (const unsigned threads : {1u, 2u}) {  // 4 and 8 chunks in flight
    const RunResult r =
        RunDir(tmp / "in", tmp / ("out" + std::to_string(threads)), threads, 64 << 10, false);
    ASSERT_EQ(r.graph.files.size(), 13u);
    for (const FileReport& f : r.graph.files) EXPECT_FALSE(f.outcome.path.empty());
    EXPECT_EQ(r.graph.files.back().records, 2u);
    EXPECT_EQ(r.graph.records, 2u);
    EXPECT_EQ(r.bad_lines, 8u);
  }
}

// 20,000 generated records in `path`, for the cuts below; returns the text.
std::string WriteLogToCut(const std::string& path) {
  GenOptions gen;
  gen.seed = 9;
  gen.records = 20000;
  std::string text = GenerateText(gen);
  WriteFile(path, text);
  return text;
}

// A mapped file cut after its last chunk was handed out (the reader's size checks all passed)
// and before that chunk was parsed: the parse reads zeros and the chunk is dropped. The file
// is `shrank` from that chunk's first byte, with no lines or records of it: it was reported
// `ok` (exit 0) with its lines counted and none of its records.
TEST(Run, AMappedFileCutBeforeItsChunkIsParsedIsShrankNotOk) {
  TempDir tmp;
  const std::string path = (tmp.path() / "cut.log").string();
  const std::string text = WriteLogToCut(path);
  const std::string records_from = std::to_string(text.find('\n') + 1);  // after the header
  GraphOptions g;
  g.threads = 1;
  g.map_files = true;  // one chunk of kOneThreadChunkBytes: the whole file
  bool cut = false;
  g.before_parse = [&](const Chunk& c) {
    if (!cut && c.size > 0) {
      cut = true;
      ASSERT_EQ(truncate(path.c_str(), 4096), 0);
    }
  };
  const GraphResult r = RunGraph({InputFile{path}}, g, nullptr);
  ASSERT_TRUE(cut);
  ASSERT_EQ(r.files.size(), 1u);
  const FileReport& f = r.files[0];
  EXPECT_EQ(f.outcome.status, FileStatus::kShrank) << f.outcome.message;
  EXPECT_NE(f.outcome.message.find(path + ": shrank: file shrank while being read ("),
            std::string::npos)
      << f.outcome.message;
  EXPECT_NE(f.outcome.message.find("lines from byte " + records_from + " on are not read"),
            std::string::npos)
      << f.outcome.message;
  EXPECT_EQ(f.records, 0u);
  EXPECT_EQ(f.lines, 1u);  // the header line, read before the chunk
  EXPECT_EQ(r.records, 0u);
}

// The same cut after the reader had found the file shorter and named the byte past the chunks
// it handed out: the message names the first byte of the dropped chunk instead.
TEST(Run, AShrankFilesMessageNamesTheFirstByteOfADroppedChunk) {
  TempDir tmp;
  const std::string path = (tmp.path() / "cut.log").string();
  WriteLogToCut(path);
  GraphOptions g;
  g.threads = 1;
  g.map_files = true;
  g.chunk_bytes = 256 << 10;
  g.max_chunks_in_flight = 1;
  uint64_t cut_at = UINT64_MAX;
  int chunks = 0;
  g.before_parse = [&](const Chunk& c) {
    if (c.size > 0 && ++chunks == 2) {  // the second chunk of records
      cut_at = c.offset;
      ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(c.offset)), 0);
    }
  };
  const GraphResult r = RunGraph({InputFile{path}}, g, nullptr);
  ASSERT_NE(cut_at, UINT64_MAX);
  const FileReport& f = r.files.at(0);
  EXPECT_EQ(f.outcome.status, FileStatus::kShrank) << f.outcome.message;
  EXPECT_NE(
      f.outcome.message.find("lines from byte " + std::to_string(cut_at) + " on are not read"),
      std::string::npos)
      << f.outcome.message;
  EXPECT_GT(f.records, 0u);
  EXPECT_EQ(f.lines, f.records + 1);  // the header and the records of the first chunk
}

}  // namespace
}  // namespace flowsift
