// Reading an OUT directory back: zstd streams, RFC 4180 records as tables.cc writes them,
// JSON Lines, and the manifest's format-version check.
#include "pipeline/summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zstd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/run.h"
#include "pipeline/tables.h"
#include "tests/test_util.h"

namespace flowsift {
namespace {

using flowsift::testing::ReadFile;
using flowsift::testing::TempDir;
using flowsift::testing::WriteFile;
using flowsift::testing::WriteZstd;
using nlohmann::ordered_json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Every record of a CSV table; *error gets the reader's error, if any.
std::vector<std::vector<std::string>> ReadAll(const std::string& path, std::string* error) {
  CsvTableReader r;
  std::vector<std::vector<std::string>> rows;
  if (!r.Open(path, error)) return rows;
  rows.push_back(r.header());
  std::vector<std::string> fields;
  while (r.Next(&fields)) rows.push_back(fields);
  *error = r.error();
  return rows;
}

TEST(SplitCsvRecord, QuotingAsRfc4180) {
  std::vector<std::string> f;
  ASSERT_TRUE(SplitCsvRecord("a,,b", &f));
  EXPECT_THAT(f, ElementsAre("a", "", "b"));
  ASSERT_TRUE(SplitCsvRecord("", &f));
  EXPECT_THAT(f, ElementsAre(""));
  ASSERT_TRUE(SplitCsvRecord("x,", &f));
  EXPECT_THAT(f, ElementsAre("x", ""));
  ASSERT_TRUE(SplitCsvRecord("\"a,b\",\"say \"\"hi\"\"\",\"\",\"l1\nl2\r\"", &f));
  EXPECT_THAT(f, ElementsAre("a,b", "say \"hi\"", "", "l1\nl2\r"));
  for (const char* bad : {"a\"b,c", "\"open,c", "\"a\"b,c", "x,\"y\"z"}) {
    EXPECT_FALSE(SplitCsvRecord(bad, &f)) << bad;
  }
}

TEST(CsvTableReader, RoundTripsEveryQuotingCaseOfTheWriters) {
  TempDir tmp;
  const std::vector<std::string> ids = {"eni-a",       "eni,comma", "eni\"quote\"", "eni\nnewline",
                                        "eni\r\nboth", "",          "eni-\xd0\x96", ",\",\n"};
  std::vector<WindowRow> rows;
  for (size_t i = 0; i < ids.size(); ++i) {
    rows.push_back({ids[i], i % 2 ? "unknown" : "000000000001", 600 * i, 600 * i + 600, i, 0, 0, i,
                    0, 2 * i, UINT64_MAX - i, 0, 0, 0, 1, 1, 1});
  }
  std::string error;
  ASSERT_TRUE(WriteWindows(tmp / "w.csv.zst", rows, &error)) << error;
  const auto read = ReadAll(tmp / "w.csv.zst", &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(read.size(), rows.size() + 1);
  std::vector<std::string> header;
  ASSERT_TRUE(SplitCsvRecord(WindowsHeader(), &header));
  EXPECT_EQ(read[0], header);
  ASSERT_EQ(WindowsColumns().size(), header.size());
  for (size_t i = 0; i < header.size(); ++i) EXPECT_EQ(WindowsColumns()[i].name, header[i]);
  for (size_t i = 0; i < rows.size(); ++i) {
    // Written back field by field, the record is the writer's line again.
    std::string line;
    for (size_t c = 0; c < read[i + 1].size(); ++c) {
      if (c > 0) line += ',';
      AppendCsvField(read[i + 1][c], line);
    }
    std::string want;
    AppendCsv(rows[i], want);
    EXPECT_EQ(line + "\n", want) << i;
    EXPECT_EQ(read[i + 1][0], ids[i]);
    EXPECT_EQ(read[i + 1][10], std::to_string(UINT64_MAX - i));
  }
}

TEST(CsvTableReader, StreamsTablesLargerThanItsBuffers) {
  TempDir tmp;
  std::vector<TalkerRow> rows;
  for (uint32_t i = 0; i < 200000; ++i) rows.push_back({600ull * i, 1, "10.0.0.1", i, i, 1});
  std::string error;
  ASSERT_TRUE(WriteTalkers(tmp / "t.csv.zst", rows, &error)) << error;
  CsvTableReader r;
  ASSERT_TRUE(r.Open(tmp / "t.csv.zst", &error)) << error;
  EXPECT_THAT(r.header(),
              ElementsAre("window_start", "rank", "srcaddr", "bytes", "packets", "flows"));
  std::vector<std::string> f;
  uint64_t n = 0;
  while (r.Next(&f)) {
    ASSERT_EQ(f[0], std::to_string(600ull * n));
    ASSERT_EQ(f[3], std::to_string(n));
    ++n;
  }
  EXPECT_EQ(r.error(), "");
  EXPECT_EQ(n, rows.size());
}

TEST(CsvTableReader, CrLfFramesAndErrorsNameTheFileAndLine) {
  TempDir tmp;
  std::string error;
  // CRLF line ends and two zstd frames, as another tool might write them.
  const std::string two_frames = [&] {
    WriteZstd(tmp / "a.zst", "h1,h2\r\n1,\"x\r\ny\"\r\n");
    WriteZstd(tmp / "b.zst", "2,z\r\n");
    return ReadFile(tmp / "a.zst") + ReadFile(tmp / "b.zst");
  }();
  WriteFile(tmp / "frames.csv.zst", two_frames);
  auto rows = ReadAll(tmp / "frames.csv.zst", &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(rows[1], ElementsAre("1", "x\r\ny"));
  EXPECT_THAT(rows[2], ElementsAre("2", "z"));

  WriteZstd(tmp / "short.csv.zst", "a,b,c\n1,2,3\n4,5\n");
  rows = ReadAll(tmp / "short.csv.zst", &error);
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_THAT(error, HasSubstr("short.csv.zst:3: 2 fields, the header has 3"));

  WriteZstd(tmp / "open.csv.zst", "a,b\n1,\"never\nclosed\n");
  rows = ReadAll(tmp / "open.csv.zst", &error);
  EXPECT_THAT(error, HasSubstr("open.csv.zst:2: unterminated quoted field"));

  WriteZstd(tmp / "quote.csv.zst", "a,b\n1,x\"\"y\n");
  rows = ReadAll(tmp / "quote.csv.zst", &error);
  EXPECT_THAT(error, HasSubstr("quote.csv.zst:2: malformed CSV quoting"));

  WriteZstd(tmp / "empty.csv.zst", "");
  CsvTableReader r;
  EXPECT_FALSE(r.Open(tmp / "empty.csv.zst", &error));
  EXPECT_THAT(error, HasSubstr("empty.csv.zst: empty table"));
}

// A quoted field that holds a line end may follow an empty field (",," then a quote) or start a
// record with an empty field before it: the comma that ends the empty field starts the next
// field, whose quote opens it; the record goes on over the line end.
TEST(CsvTableReader, AQuotedLineEndAfterAnEmptyFieldStaysInItsRecord) {
  TempDir tmp;
  std::string error;
  WriteZstd(tmp / "t.csv.zst", "a,b,c\n1,,\"x\ny\"\n,\"p\nq\",2\n");
  const auto rows = ReadAll(tmp / "t.csv.zst", &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(rows[1], ElementsAre("1", "", "x\ny"));
  EXPECT_THAT(rows[2], ElementsAre("", "p\nq", "2"));
}

// After a record it cannot read, the reader says so (AtBadRow) and goes on with the next one;
// a quote open to the end of the file and corrupt zstd data end the table.
TEST(CsvTableReader, GoesOnAfterABadRowAndNamesItsFirstLine) {
  TempDir tmp;
  WriteZstd(tmp / "bad.csv.zst", "a,b\n1,2\n3\n4,\"x\ny\",z\n5,x\"\"y\n6,7\n8,\"open\n9,9\n");
  CsvTableReader r;
  std::string error;
  ASSERT_TRUE(r.Open(tmp / "bad.csv.zst", &error)) << error;
  std::vector<std::string> fields;
  std::vector<std::string> seen;  // "line: first field" or "line: error"
  for (;;) {
    if (r.Next(&fields)) {
      seen.push_back(std::to_string(r.line_number()) + ": " + fields[0]);
    } else if (r.AtBadRow()) {
      seen.push_back(std::to_string(r.line_number()) + ": " + r.error());
    } else {
      break;
    }
  }
  const std::string path = tmp / "bad.csv.zst";
  EXPECT_THAT(seen, ElementsAre("2: 1", "3: " + path + ":3: 1 fields, the header has 2",
                                "4: " + path + ":4: 3 fields, the header has 2",
                                "6: " + path + ":6: malformed CSV quoting", "7: 6"));
  EXPECT_EQ(r.error(), path + ":8: unterminated quoted field");

  // One stray quote inside an unquoted field opens nothing: that row is malformed, the next
  // are read (counting quotes had joined every line after it into one unterminated record).
  WriteZstd(tmp / "stray.csv.zst", "a,b\n1,x\"y\n2,3\n4,\"p,q\"\n");
  CsvTableReader stray;
  ASSERT_TRUE(stray.Open(tmp / "stray.csv.zst", &error)) << error;
  seen.clear();
  for (;;) {
    if (stray.Next(&fields)) {
      seen.push_back(std::to_string(stray.line_number()) + ": " + fields[0] + " " + fields[1]);
    } else if (stray.AtBadRow()) {
      seen.push_back(std::to_string(stray.line_number()) + ": " + stray.error());
    } else {
      break;
    }
  }
  const std::string stray_path = tmp / "stray.csv.zst";
  EXPECT_THAT(seen,
              ElementsAre("2: " + stray_path + ":2: malformed CSV quoting", "3: 2 3", "4: 4 p,q"));
  EXPECT_EQ(stray.error(), "");

  const std::string frame = ReadFile(tmp / "bad.csv.zst");
  WriteFile(tmp / "corrupt.csv.zst", frame + "not zstd");
  CsvTableReader c;
  ASSERT_TRUE(c.Open(tmp / "corrupt.csv.zst", &error)) << error;
  while (c.Next(&fields) || c.AtBadRow()) {
  }
  EXPECT_THAT(c.error(), HasSubstr("corrupt.csv.zst: corrupt zstd data"));
}

// A line or a row past kMaxOutputLineBytes stops the reading with an error naming it: a 50 KB
// file of one 1.5 GB row was buffered whole (show and export ran out of memory, naming
// nothing), and so was a quote left open over line after line.
TEST(CsvTableReader, ALineOrRowLongerThanAnyTableHasIsAnErrorNotBuffered) {
  TempDir tmp;
  const std::string long_line(kMaxOutputLineBytes + 1, 'a');
  WriteZstd(tmp / "line.csv.zst", "a,b\n1,2\n" + long_line + "\n3,4\n");
  std::string error;
  std::vector<std::vector<std::string>> rows = ReadAll(tmp / "line.csv.zst", &error);
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_EQ(error, (tmp / "line.csv.zst") + ":3: a line longer than 16 MiB: not a file " +
                       "flowsift wrote");
  std::string open_quote = "a,b\n1,\"";
  for (size_t i = 0; i < (kMaxOutputLineBytes >> 10) + 1; ++i) {
    open_quote += std::string(1023, 'q') + "\n";
  }
  WriteZstd(tmp / "quote.csv.zst", open_quote + "\",2\n");
  rows = ReadAll(tmp / "quote.csv.zst", &error);
  EXPECT_EQ(rows.size(), 1u);
  EXPECT_EQ(error, (tmp / "quote.csv.zst") + ":2: a row longer than 16 MiB: not a " +
                       "table flowsift wrote");
}

TEST(ZstdFileReader, CorruptTruncatedMissingAndNotZstdAreErrorsNamingTheFile) {
  TempDir tmp;
  std::vector<TalkerRow> rows;
  for (uint32_t i = 0; i < 50000; ++i)
    rows.push_back({600ull * i, 1, "10.0.0." + std::to_string(i % 251), i, i, 1});
  std::string error;
  ASSERT_TRUE(WriteTalkers(tmp / "good.csv.zst", rows, &error)) << error;
  const std::string good = ReadFile(tmp / "good.csv.zst");
  ASSERT_GT(good.size(), 1000u);

  // The frame's checksum (its last 4 bytes) no longer matching: the decoder says so.
  std::string flipped = good;
  for (size_t i = good.size() - 4; i < good.size(); ++i) flipped[i] ^= 0x5a;
  WriteFile(tmp / "flipped.csv.zst", flipped);
  ReadAll(tmp / "flipped.csv.zst", &error);
  EXPECT_THAT(error, HasSubstr("flipped.csv.zst: corrupt zstd data"));
  // Bytes flipped mid-stream: an error naming the file, from the decoder or, when the flip
  // lands in literal bytes that decode to garbage text before the checksum is reached, from
  // the CSV reader with its line.
  std::string middle = good;
  for (size_t i = good.size() / 2; i < good.size() / 2 + 8; ++i) middle[i] ^= 0x5a;
  WriteFile(tmp / "middle.csv.zst", middle);
  error.clear();
  ReadAll(tmp / "middle.csv.zst", &error);
  EXPECT_THAT(error, HasSubstr("middle.csv.zst"));

  WriteFile(tmp / "cut.csv.zst", good.substr(0, good.size() / 2));
  ReadAll(tmp / "cut.csv.zst", &error);
  EXPECT_THAT(error, HasSubstr("cut.csv.zst: truncated zstd data"));

  WriteFile(tmp / "plain.csv.zst", "window_start,rank\n1,2\n");
  ReadAll(tmp / "plain.csv.zst", &error);
  EXPECT_THAT(error, HasSubstr("plain.csv.zst: corrupt zstd data"));

  WriteFile(tmp / "zero.csv.zst", "");
  ReadAll(tmp / "zero.csv.zst", &error);
  EXPECT_THAT(error, HasSubstr("zero.csv.zst: empty file (not zstd data)"));

  ReadAll(tmp / "missing.csv.zst", &error);
  EXPECT_THAT(error, HasSubstr("cannot open " + (tmp / "missing.csv.zst")));
  EXPECT_THAT(error, HasSubstr("No such file"));
}

TEST(JsonLinesReader, ObjectsInOrderBlankLinesSkippedBadLinesNamed) {
  TempDir tmp;
  WriteZstd(tmp / "f.jsonl.zst",
            "{\"id\":\"a\",\"type\":\"port_scan\",\"severity\":3,\"dst\":null}\n\n"
            "{\"id\":\"b\",\"bytes\":18446744073709551615}\n");
  JsonLinesReader r;
  std::string error;
  ASSERT_TRUE(r.Open(tmp / "f.jsonl.zst", &error)) << error;
  ordered_json o;
  ASSERT_TRUE(r.Next(&o));
  EXPECT_EQ(o["type"], "port_scan");
  EXPECT_EQ(o["severity"], 3);
  EXPECT_TRUE(o["dst"].is_null());
  EXPECT_EQ(o.begin().key(), "id");  // key order kept
  ASSERT_TRUE(r.Next(&o));
  EXPECT_EQ(o["bytes"].get<uint64_t>(), UINT64_MAX);
  EXPECT_FALSE(r.Next(&o));
  EXPECT_EQ(r.error(), "");

  WriteZstd(tmp / "bad.jsonl.zst", "{\"id\":\"a\"}\n{\"id\":\n[1,2]\n");
  JsonLinesReader bad;
  ASSERT_TRUE(bad.Open(tmp / "bad.jsonl.zst", &error));
  ASSERT_TRUE(bad.Next(&o));
  EXPECT_FALSE(bad.Next(&o));
  EXPECT_THAT(bad.error(), HasSubstr("bad.jsonl.zst:2: not valid JSON"));

  WriteZstd(tmp / "array.jsonl.zst", "[1,2]\n");
  JsonLinesReader array;
  ASSERT_TRUE(array.Open(tmp / "array.jsonl.zst", &error));
  EXPECT_FALSE(array.Next(&o));
  EXPECT_THAT(array.error(), HasSubstr("array.jsonl.zst:1: not a JSON object"));
}

// A findings file with CRLF line ends (edited on Windows) may hold blank lines: a line of a lone
// CR is blank and skipped, not "not valid JSON".
TEST(JsonLinesReader, ACrLfBlankLineIsSkipped) {
  TempDir tmp;
  WriteZstd(tmp / "crlf.jsonl.zst", "{\"id\":\"a\"}\r\n\r\n \t\r\n{\"id\":\"b\"}\r\n");
  JsonLinesReader r;
  std::string error;
  ASSERT_TRUE(r.Open(tmp / "crlf.jsonl.zst", &error)) << error;
  ordered_json o;
  ASSERT_TRUE(r.Next(&o)) << r.error();
  EXPECT_EQ(o["id"], "a");
  ASSERT_TRUE(r.Next(&o)) << r.error();
  EXPECT_EQ(o["id"], "b");
  EXPECT_FALSE(r.Next(&o));
  EXPECT_EQ(r.error(), "");
}

TEST(FormatMajor, IntegersAndDottedStrings) {
  EXPECT_EQ(FormatMajor(ordered_json(1)), 1);
  EXPECT_EQ(FormatMajor(ordered_json(2)), 2);
  EXPECT_EQ(FormatMajor(ordered_json("1")), 1);
  EXPECT_EQ(FormatMajor(ordered_json("1.7")), 1);
  EXPECT_EQ(FormatMajor(ordered_json("12.0")), 12);
  // Major.minor and no more: "1.2.3" is no version flowsift wrote (it had been read as 1).
  for (const ordered_json& bad :
       {ordered_json(-1), ordered_json("x"), ordered_json("1."), ordered_json(".1"),
        ordered_json("1.a"), ordered_json(nullptr), ordered_json::array({1}), ordered_json("1.2.3"),
        ordered_json("12.0.3"), ordered_json("1.2."), ordered_json("1..2"),
        ordered_json("1.2.3.4")}) {
    EXPECT_EQ(FormatMajor(bad), -1) << bad.dump();
  }
}

// Numbers without leading zeros, as JSON writes them and "1.2.3" is refused: "01" is no version
// flowsift wrote (it was read as 1), nor "1.01".
TEST(FormatMajor, LeadingZerosAreNoVersion) {
  EXPECT_EQ(FormatMajor(ordered_json("0")), 0);
  EXPECT_EQ(FormatMajor(ordered_json("1.0")), 1);
  EXPECT_EQ(FormatMajor(ordered_json("10.20")), 10);
  for (const char* bad : {"01", "00", "001", "01.2", "1.01", "1.00", "007.0"}) {
    EXPECT_EQ(FormatMajor(ordered_json(bad)), -1) << bad;
  }
}

// A major too large for an int is no version, not one cut to its low bits (2^32 + 1 read as
// version 1, a manifest of another format accepted) nor a string std::stoi throws on.
TEST(FormatMajor, MajorsPastAnIntAreNoVersion) {
  EXPECT_EQ(FormatMajor(ordered_json((1 << 30) - 1)), (1 << 30) - 1);
  EXPECT_EQ(FormatMajor(ordered_json("999999999")), 999999999);  // nine digits: read
  for (const ordered_json& bad : {ordered_json(1 << 30), ordered_json((uint64_t{1} << 32) + 1),
                                  ordered_json(int64_t{1} << 40), ordered_json("1234567890"),
                                  ordered_json("9999999999"), ordered_json("99999999999.1")}) {
    EXPECT_EQ(FormatMajor(bad), -1) << bad.dump();
  }
}

class OpenSummaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(tmp_.path() / "in" / "a.log",
              "2 123456789012 eni-a 10.0.0.1 10.0.0.2 1 2 6 1 40 1700000000 1700000001 "
              "ACCEPT OK\n");
    RunOptions opt;
    opt.inputs = {tmp_ / "in"};
    opt.out_dir = out_;
    const RunResult r = flowsift::Run(opt, nullptr);
    ASSERT_EQ(r.exit_code, 0) << r.error;
  }
  void SetManifest(const std::function<void(ordered_json&)>& edit) {
    ordered_json m = ordered_json::parse(ReadFile(out_ + "/manifest.json"));
    edit(m);
    WriteFile(out_ + "/manifest.json", m.dump(2));
  }
  SummaryStatus Open(std::string* error) {
    Summary s;
    return OpenSummary(out_, &s, error);
  }
  TempDir tmp_;
  std::string out_ = tmp_ / "out";
};

TEST_F(OpenSummaryTest, AcceptsARunsOutputAndReadsItsTables) {
  Summary s;
  std::string error;
  ASSERT_EQ(OpenSummary(out_, &s, &error), SummaryStatus::kOk) << error;
  EXPECT_EQ(s.manifest["totals"]["records"], 1);
  std::string table_error;
  const auto rows = ReadAll(s.PathOf(kWindowsFile), &table_error);
  EXPECT_EQ(table_error, "");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][0], "eni-a");
  JsonLinesReader findings;
  ASSERT_TRUE(findings.Open(s.PathOf(kFindingsFile), &error)) << error;
  ordered_json o;
  EXPECT_FALSE(findings.Next(&o));  // empty until detection lands, but a valid zstd frame
  EXPECT_EQ(findings.error(), "");
}

TEST_F(OpenSummaryTest, SameMajorIsAcceptedAnotherMajorRefusedNamingBothVersions) {
  std::string error;
  SetManifest(
      [](ordered_json& m) { m["format_version"] = std::to_string(kOutputFormatVersion) + ".4"; });
  EXPECT_EQ(Open(&error), SummaryStatus::kOk) << error;

  SetManifest([](ordered_json& m) {
    m["format_version"] = kOutputFormatVersion + 1;
    m["version"] = "9.0.0";
  });
  EXPECT_EQ(Open(&error), SummaryStatus::kOtherVersion);
  EXPECT_THAT(error, HasSubstr("output format version " + std::to_string(kOutputFormatVersion + 1) +
                               " (written by flowsift 9.0.0)"));
  EXPECT_THAT(error, HasSubstr("this flowsift reads format version " +
                               std::to_string(kOutputFormatVersion)));
  EXPECT_THAT(error, HasSubstr("newer one"));

  SetManifest([](ordered_json& m) { m["format_version"] = 0; });
  EXPECT_EQ(Open(&error), SummaryStatus::kOtherVersion);
  EXPECT_THAT(error, HasSubstr("re-run `flowsift run`"));

  SetManifest([](ordered_json& m) { m["format_version"] = "one"; });
  EXPECT_EQ(Open(&error), SummaryStatus::kOtherVersion);
  EXPECT_THAT(error, HasSubstr("\"one\""));
  EXPECT_THAT(error, HasSubstr("not a format version any flowsift writes"));
  // A float is none either: it was told to re-run "with this flowsift", as an older version.
  SetManifest([](ordered_json& m) { m["format_version"] = 1.5; });
  EXPECT_EQ(Open(&error), SummaryStatus::kOtherVersion);
  EXPECT_THAT(error, HasSubstr("output format version 1.5 (written by"));
  EXPECT_THAT(error, HasSubstr("not a format version any flowsift writes"));
  EXPECT_THAT(error, Not(HasSubstr("with this flowsift")));
  // Nor a third part: "1.2.3" had been read as major 1, this format.
  SetManifest(
      [](ordered_json& m) { m["format_version"] = std::to_string(kOutputFormatVersion) + ".2.3"; });
  EXPECT_EQ(Open(&error), SummaryStatus::kOtherVersion);
  EXPECT_THAT(error, HasSubstr("not a format version any flowsift writes"));

  // 2^32 + kOutputFormatVersion is another version, not this one by its low 32 bits.
  SetManifest(
      [](ordered_json& m) { m["format_version"] = (uint64_t{1} << 32) + kOutputFormatVersion; });
  EXPECT_EQ(Open(&error), SummaryStatus::kOtherVersion) << error;
}

TEST_F(OpenSummaryTest, MissingNotOursAndCorruptManifestsAreTold) {
  std::string error;
  Summary s;
  EXPECT_EQ(OpenSummary(tmp_ / "nope", &s, &error), SummaryStatus::kNotFound);
  EXPECT_THAT(error, HasSubstr("no such directory"));
  EXPECT_EQ(OpenSummary(tmp_ / "in", &s, &error), SummaryStatus::kNotSummary);
  EXPECT_THAT(error, HasSubstr("not a flowsift output directory (it has no manifest.json)"));
  EXPECT_EQ(OpenSummary((tmp_.path() / "in" / "a.log").string(), &s, &error),
            SummaryStatus::kNotSummary);
  EXPECT_THAT(error, HasSubstr("is not a directory"));

  SetManifest([](ordered_json& m) { m["tool"] = "other"; });
  EXPECT_EQ(Open(&error), SummaryStatus::kNotSummary);
  EXPECT_THAT(error, HasSubstr("not written by flowsift run"));

  WriteFile(out_ + "/manifest.json", "{\"tool\": \"flowsift\", \"format_vers");
  EXPECT_EQ(Open(&error), SummaryStatus::kCorrupt);
  EXPECT_THAT(error, HasSubstr(out_ + "/manifest.json: corrupt"));
}

// zstd `text` as one frame: streamed (its size unknown: no content size, a window byte) or
// whole (single segment, the content size in 1 to 8 bytes), with or without a checksum.
std::string ZstdFrame(const std::string& text, bool checksum, bool streamed) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum ? 1 : 0);
  std::string out(ZSTD_compressBound(text.size()) + 64, '\0');
  size_t n = 0;
  if (streamed) {
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    ZSTD_inBuffer i{text.data(), text.size(), 0};
    ZSTD_compressStream2(c, &o, &i, ZSTD_e_continue);
    while (ZSTD_compressStream2(c, &o, &i, ZSTD_e_end) != 0) {
    }
    n = o.pos;
  } else {
    n = ZSTD_compress2(c, out.data(), out.size(), text.data(), text.size());
  }
  ZSTD_freeCCtx(c);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// CountZstdFrames walks the headers and blocks without decoding them: every header form (a
// single-segment frame's one-byte content size, a streamed frame's window byte, 2-, 4- and
// 8-byte sizes), RLE blocks (one byte for many), checksums and skippable frames (not counted),
// each checked against zstd's own frame sizes. Only the show overview's comparison with
// manifest.json's `tables` tested it, on two frames of one form.
TEST(CountZstdFrames, CountsEveryFrameFormAsZstdSizesThem) {
  TempDir tmp;
  std::string text;
  for (int i = 0; i < 3000; ++i) text += std::to_string(i * 7919 % 10007) + ",";
  const std::string skippable("\x50\x2a\x4d\x18\x03\x00\x00\x00xyz", 11);
  const std::vector<std::string> frames = {
      ZstdFrame(std::string(300000, 'a'), false, false),  // RLE blocks
      ZstdFrame("hi", false, false),                      // a one-byte content size
      ZstdFrame("", true, false),
      ZstdFrame(text.substr(0, 300), true, false),  // a two-byte content size
      ZstdFrame(text, true, true),                  // no content size: a window byte
      ZstdFrame(std::string(200000, 'b'), true, true),
      ZstdFrame(text + text, false, false),
  };
  std::string all;
  for (const std::string& f : frames) {
    ASSERT_EQ(ZSTD_findFrameCompressedSize(f.data(), f.size()), f.size());
    all += f;
    all += skippable;
  }
  const std::string path = (tmp.path() / "t.zst").string();
  uint64_t n = 0;
  std::string error;
  for (size_t k = 0; k <= frames.size(); ++k) {
    std::string some;
    for (size_t i = 0; i < k; ++i) some += frames[i] + (i % 2 == 0 ? skippable : "");
    WriteFile(path, some);
    ASSERT_TRUE(CountZstdFrames(path, &n, &error)) << error;
    EXPECT_EQ(n, k);
    // Each frame after the others too, so that a frame misread from its start is not hidden by
    // the file's end.
    if (k < frames.size()) {
      WriteFile(path, frames[k] + frames[k] + skippable + frames[k]);
      ASSERT_TRUE(CountZstdFrames(path, &n, &error)) << k << ": " << error;
      EXPECT_EQ(n, 3u) << k;
    }
  }
  WriteFile(path, all);
  ASSERT_TRUE(CountZstdFrames(path, &n, &error)) << error;
  EXPECT_EQ(n, frames.size());
  // A file that ends inside a frame's magic, or holds no zstd frame, is said.
  WriteFile(path, frames[1] + frames[1].substr(0, 3));
  EXPECT_FALSE(CountZstdFrames(path, &n, &error));
  EXPECT_THAT(error, HasSubstr(path + ": truncated zstd data"));
  WriteFile(path, frames[1] + "not zstd");
  EXPECT_FALSE(CountZstdFrames(path, &n, &error));
  EXPECT_THAT(error, HasSubstr(path + ": corrupt zstd data"));
}

}  // namespace
}  // namespace flowsift
