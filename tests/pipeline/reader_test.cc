// FileReader on what a file's text becomes: chunks of whole lines at every chunk size, equal to
// one parse of the whole text; header lines (at the top, inside the file, after blank lines or a
// byte order mark) and the formats they select; content refused with the command that reads it;
// empty files; chunk sizes that change while a run reads. Bytes reaching the reader (decoders,
// pipes, open failures, files that change while read): reader_io_test.cc.
#include "pipeline/reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/types.h"
#include "pipeline/generate.h"
#include "pipeline/input.h"
#include "pipeline/parse_chunk.h"
#include "tests/pipeline/reader_fixture.h"

namespace flowsift {
namespace {

using reader_test::BadAt;
using reader_test::Count;
using reader_test::Gzip;
using reader_test::ParseWhole;
using reader_test::ReadAll;
using reader_test::ReaderTest;
using reader_test::ReadResult;
using reader_test::Records;
using reader_test::Zstd;

// Every chunk size, and read() sizes below, near and above it: a plain file's first read (for
// its compression's magic bytes) is buffered, the rest goes straight into the chunks.
TEST_F(ReaderTest, PlainFileComesBackWholeAtEveryChunkSize) {
  const std::string text = Records(3000);
  const std::string path = Write("a.log", text);
  for (const auto& [chunk, read] :
       std::vector<std::pair<size_t, size_t>>{{1, 256 << 10},
                                              {7, 256 << 10},
                                              {150, 256 << 10},
                                              {4096, 256 << 10},
                                              {100000, 256 << 10},
                                              {size_t{4} << 20, 256 << 10},
                                              {4096, 64},
                                              {4096, 5000},
                                              {100000, 1000},
                                              {size_t{4} << 20, 4096}}) {
    SCOPED_TRACE(std::to_string(chunk) + " " + std::to_string(read));
    ReadOptions o = Chunked(chunk);
    o.read_bytes = read;
    const ReadResult r = ReadAll(File(path), o);
    EXPECT_EQ(r.outcome.status, FileStatus::kOk);
    EXPECT_EQ(r.outcome.message, "");
    EXPECT_EQ(r.outcome.compression, Compression::kNone);
    EXPECT_EQ(r.outcome.disk_bytes, text.size());
    EXPECT_EQ(r.outcome.data_bytes, text.size());
    EXPECT_EQ(r.text, text);
    EXPECT_EQ(r.records, 3000u);
    EXPECT_EQ(r.lines, 3000u);
    EXPECT_TRUE(r.bad.empty());
    // Chunks hold the whole lines within their first chunk_bytes bytes (or one line).
    for (size_t i = 0; i + 1 < r.sizes.size(); ++i) {
      EXPECT_LE(r.sizes[i], std::max<size_t>(chunk, 160));
    }
    if (chunk >= text.size()) {
      EXPECT_EQ(r.sizes.size(), 1u);
    }
  }
}

// Sizes around the page size and the chunk size, with and without a final newline, with CRLF:
// the chunks' bytes are the file's and every line is parsed as in one piece.
TEST_F(ReaderTest, SizesAroundPageAndChunkBoundaries) {
  const std::string records = Records(200);
  std::string crlf;
  for (char ch : records) {
    if (ch == '\n') crlf += '\r';
    crlf += ch;
  }
  for (const std::string* source : std::vector<const std::string*>{&records, &crlf}) {
    for (size_t base : {size_t{4096}, size_t{8192}}) {
      for (size_t size = base - 140; size <= base + 140; size += 3) {
        const std::string text = source->substr(0, size);
        const std::string path = Write("s.log", text);
        const ReadResult whole = ParseWhole(text);
        for (size_t chunk : {size_t{1000}, size_t{4096}, size_t{8192}}) {
          SCOPED_TRACE(testing::Message() << "size " << size << " chunk " << chunk);
          const ReadResult r = ReadAll(File(path), Chunked(chunk));
          ASSERT_EQ(r.text, text);
          EXPECT_EQ(r.records, whole.records);
          EXPECT_EQ(r.lines, whole.lines);
          EXPECT_EQ(r.bad, whole.bad);
          EXPECT_EQ(r.bad_counts, whole.bad_counts);
        }
      }
    }
  }
}

// Random text mixing records, junk, CRLF and lines around kMaxLineBytes: every chunking of
// every source kind gives the same records, lines and bad lines (with the same line numbers)
// as parsing the whole text at once.
TEST_F(ReaderTest, ChunkedReadsEqualOneParseOfTheWholeText) {
  std::mt19937_64 rng(42);
  std::string text;
  for (int i = 0; i < 400; ++i) {
    const int kind = static_cast<int>(rng() % 10);
    if (kind < 6) {
      text += Records(1, rng() % 100000);
    } else if (kind == 6) {
      text += Records(1, i);
      text.insert(text.size() - 1, "\r");
    } else if (kind == 7) {
      text += "junk line " + std::to_string(rng()) + "\n";
    } else {
      const size_t len = kMaxLineBytes - 2 + rng() % 4;  // 65534 .. 65537
      text += std::string(len, 'x') + "\n";
    }
  }
  text += std::string(kMaxLineBytes + 1, 'y');  // a too-long last line without newline
  const ReadResult whole = ParseWhole(text);
  ASSERT_GT(std::count_if(whole.bad.begin(), whole.bad.end(),
                          [](const BadAt& b) { return b.reason == LineError::kLineTooLong; }),
            10);
  const std::string plain = Write("r.log", text);
  const std::string gz = Write("r.log.gz", Gzip(text));
  const std::string zst = Write("r.log.zst", Zstd(text));
  for (const std::string& path : {plain, gz, zst}) {
    for (size_t chunk : {size_t{1}, size_t{5000}, kMaxLineBytes, size_t{1} << 20}) {
      SCOPED_TRACE(testing::Message() << path << " chunk " << chunk);
      const ReadResult r = ReadAll(File(path), Chunked(chunk));
      EXPECT_EQ(r.outcome.status, FileStatus::kOk);
      EXPECT_EQ(r.outcome.data_bytes, text.size());
      EXPECT_EQ(r.records, whole.records);
      EXPECT_EQ(r.lines, whole.lines);
      EXPECT_EQ(r.bad, whole.bad);
      EXPECT_EQ(r.bad_counts, whole.bad_counts);
    }
  }
}

TEST_F(ReaderTest, TenMegabyteLineIsSkippedWherever) {
  const std::string a = Records(1000);
  const std::string b = Records(500, 1000);
  const std::string text = a + std::string(10 << 20, 'z') + "\n" + b;
  const std::string plain = Write("big.log", text);
  const std::string gz = Write("big.log.gz", Gzip(text));
  for (const std::string& path : {plain, gz}) {
    for (size_t chunk : {size_t{3000}, size_t{4} << 20}) {
      SCOPED_TRACE(testing::Message() << path << " chunk " << chunk);
      const ReadResult r = ReadAll(File(path), Chunked(chunk));
      EXPECT_EQ(r.outcome.status, FileStatus::kOk);
      EXPECT_EQ(r.outcome.skipped_lines, 1u);
      EXPECT_EQ(r.records, 1500u);
      EXPECT_EQ(r.lines, 1501u);
      EXPECT_EQ(r.bad, (std::vector<BadAt>{{1001, LineError::kLineTooLong}}));
      EXPECT_EQ(r.text, a + b);
    }
  }
  // The reader's own record of the line: offset and length.
  FileReader reader(0, File(plain), Chunked(3000));
  std::vector<ReaderLineError> errors;
  while (std::optional<Chunk> c = reader.Next()) {
    errors.insert(errors.end(), c->reader_errors.begin(), c->reader_errors.end());
  }
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].offset, a.size());
  EXPECT_EQ(errors[0].bytes, size_t{10} << 20);
}

TEST_F(ReaderTest, HeaderSelectsTheFormatAndIsNotParsed) {
  const std::string header =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status\n";
  const std::string path = Write("h.log", header + Records(10) + "bad\n" + Records(5));
  const ReadResult r = ReadAll(File(path), Chunked(300));
  EXPECT_EQ(r.outcome.status, FileStatus::kOk);
  ASSERT_NE(r.outcome.header, nullptr);
  EXPECT_EQ(*r.outcome.header, Format::Default());
  EXPECT_EQ(r.records, 15u);
  EXPECT_EQ(r.lines, 17u);
  EXPECT_EQ(r.bad, (std::vector<BadAt>{{12, LineError::kTooFewFields}}));
  EXPECT_EQ(r.text, Records(10) + "bad\n" + Records(5));

  // Without header the --format applies, and a header-looking first line is data when
  // detection is off.
  ReadOptions o;
  o.format = std::make_shared<const Format>(Format::Default());
  o.detect_header = false;
  const ReadResult off = ReadAll(File(path), o);
  EXPECT_EQ(off.outcome.header, nullptr);
  EXPECT_EQ(off.records, 15u);
}

// A UTF-8 byte order mark (a file saved by a Windows editor) is skipped: the header line after
// it is still found, and without a header the first record is still a record. Offsets count it.
// AWS's log-format string as the console shows it ("${version} ${account-id} ..."), pasted
// above the records, is the file's header, read as its names and said (outcome): every line had
// been a bad line. Inside the file it stays a bad line: the reader looks for headers among lines
// that start with a lowercase letter, and one of another field order would not switch.
TEST_F(ReaderTest, ALogFormatStringFirstIsTheHeader) {
  const std::string names =
      "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
      "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";
  for (const std::string& first : {names + "\n", "\xEF\xBB\xBF" + names + " \r\n"}) {
    const std::string path = Write("f.log", first + Records(10) + names + "\n" + Records(5));
    const ReadResult r = ReadAll(File(path), Chunked(300));
    EXPECT_EQ(r.outcome.status, FileStatus::kOk);
    ASSERT_NE(r.outcome.header, nullptr);
    EXPECT_EQ(*r.outcome.header, Format::Default());
    EXPECT_TRUE(r.outcome.header_log_format);
    EXPECT_EQ(r.records, 15u);
    EXPECT_EQ(r.bad, (std::vector<BadAt>{{12, LineError::kBadInteger}}));
  }
  // A header of names is no log-format string.
  const ReadResult plain =
      ReadAll(File(Write("p.log", Format::Default().HeaderLine() + "\n" + Records(3))));
  EXPECT_NE(plain.outcome.header, nullptr);
  EXPECT_FALSE(plain.outcome.header_log_format);
  EXPECT_EQ(plain.records, 3u);
}

TEST_F(ReaderTest, AByteOrderMarkIsSkipped) {
  const std::string bom = "\xEF\xBB\xBF";
  const std::string header =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status\n";
  const std::string with = bom + header + Records(10) + "bad\n";
  const std::string without = bom + Records(10) + "bad\n";
  for (const std::string& path :
       {Write("h.log", with), Write("h.log.gz", Gzip(with)), Write("n.log", without)}) {
    SCOPED_TRACE(path);
    const ReadResult r = ReadAll(File(path), Chunked(300));
    EXPECT_EQ(r.outcome.status, FileStatus::kOk);
    EXPECT_EQ(r.outcome.header != nullptr, path.find("/h.") != std::string::npos);
    EXPECT_EQ(r.records, 10u);
    EXPECT_EQ(r.text, Records(10) + "bad\n");
    EXPECT_EQ(r.outcome.data_bytes,
              (path.find("/n.") != std::string::npos ? without : with).size());
  }
  // The bad line's offset is its byte offset in the file, the mark included.
  FileReader reader(0, File(root_ + "/n.log"), Chunked(300));
  const std::optional<Chunk> c = reader.Next();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->offset, 3u);
}

// A byte order mark at a line's start inside a file (`cat a.log b.log` with b.log saved by
// Notepad; gzip members or zstd frames of such files joined) is skipped as at the file's
// start: the header after it switches the format, and a record after it is a record. It hid
// the header (the v2 lines were then read as v5: bad lines) and made the record a bad line.
TEST_F(ReaderTest, AByteOrderMarkInsideTheFileIsSkippedToo) {
  const std::string bom = "\xEF\xBB\xBF";
  GenOptions g;
  g.records = 300;
  g.format = *Format::Parse("v5", nullptr);
  const std::vector<std::string> parts = {GenerateText(g),
                                          bom + Format::Default().HeaderLine() + "\n" + Records(20),
                                          bom + Records(10, 20), bom + "\n" + Records(5, 30)};
  std::string joined, gz, zst;
  for (const std::string& p : parts) {
    joined += p;
    gz += Gzip(p);
    zst += Zstd(p);
  }
  for (const std::string& path :
       {Write("j.log", joined), Write("j.log.gz", gz), Write("j.log.zst", zst)}) {
    for (const size_t chunk : {size_t{100}, size_t{777}, size_t{4} << 20}) {
      for (const bool map : {false, true}) {
        SCOPED_TRACE(testing::Message() << path << " chunk " << chunk << " map " << map);
        ReadOptions o = Chunked(chunk);
        o.map_files = map;
        const ReadResult r = ReadAll(File(path), o);
        EXPECT_EQ(r.outcome.status, FileStatus::kOk) << r.outcome.message;
        EXPECT_EQ(r.records, 335u);
        EXPECT_EQ(r.BadCount(), 0u);
        EXPECT_EQ(r.lines, static_cast<uint64_t>(Count(joined, '\n')));
        EXPECT_EQ(r.header_lines, 1u);  // the v2 header switched from v5
        EXPECT_EQ(r.outcome.data_bytes, joined.size());
        EXPECT_EQ(r.text.find(bom), std::string::npos);
      }
    }
  }
  // A bad line's offset still counts the marks: the first byte of the line after the last.
  const std::string plain = Write("b.log", Records(2) + bom + "bad\n");
  FileReader reader(0, File(plain), Chunked(4096));
  std::vector<uint64_t> offsets;
  while (std::optional<Chunk> c = reader.Next()) offsets.push_back(c->offset);
  EXPECT_EQ(offsets, (std::vector<uint64_t>{0, Records(2).size() + 3}));
}

// Blank lines above the header line are consumed with it: the header is the file's (the
// manifest's `header`), not a header line inside it. It was read, but `header` was null.
TEST_F(ReaderTest, BlankLinesAboveTheHeaderAreConsumedWithIt) {
  GenOptions g;
  g.records = 50;
  g.format = *Format::Parse("v5", nullptr);
  const std::string v5 = GenerateText(g);
  const std::string v2 = Format::Default().HeaderLine() + "\n" + Records(40);
  for (const std::string& above :
       {std::string("\n"), std::string("\n \r\n\t\n"), std::string("\xEF\xBB\xBF\n\n")}) {
    for (const std::string* text : {&v5, &v2}) {
      SCOPED_TRACE(testing::Message()
                   << Count(above, '\n') << " blank lines, " << (text == &v5 ? "v5" : "v2"));
      const std::string whole = above + *text;
      for (const std::string& path : {Write("b.log", whole), Write("b.log.gz", Gzip(whole))}) {
        const ReadResult r = ReadAll(File(path), Chunked(300));
        EXPECT_EQ(r.outcome.status, FileStatus::kOk) << r.outcome.message;
        ASSERT_NE(r.outcome.header, nullptr);
        EXPECT_EQ(*r.outcome.header, text == &v5 ? g.format : Format::Default());
        EXPECT_EQ(r.header_lines, 0u);
        EXPECT_EQ(r.records, text == &v5 ? 50u : 40u);
        EXPECT_EQ(r.BadCount(), 0u);
        EXPECT_EQ(r.lines, static_cast<uint64_t>(Count(whole, '\n')));
      }
    }
  }
  // Blank lines above a record stay the parser's: no header, every record read.
  const ReadResult data = ReadAll(File(Write("d.log", "\n\n" + Records(7))), Chunked(300));
  EXPECT_EQ(data.outcome.header, nullptr);
  EXPECT_EQ(data.records, 7u);
  EXPECT_EQ(data.lines, 9u);
}

// A file whose lines end in CR alone (classic Mac OS line ends) fails as unreadable, naming
// the `tr` command that reads it (after the decompressor of a compressed one). It was one
// line to the reader: a line_too_long bad line of an "ok" file, or under 64 KiB one
// too_many_fields line, and no record. CR LF line ends, a last line ending in CR, and binary
// bytes with a CR but no newline are read as before.
TEST_F(ReaderTest, LinesEndingInCrAloneFailSayingSo) {
  std::string small = Format::Default().HeaderLine() + "\n" + Records(20);
  std::string big = Records(2000);
  ASSERT_GT(big.size(), kMaxLineBytes);
  std::replace(small.begin(), small.end(), '\n', '\r');
  std::replace(big.begin(), big.end(), '\n', '\r');
  const struct {
    std::string name, bytes, remedy;
  } cases[] = {{"s.log", small, "`tr '\\r' '\\n' < "},
               {"b.log", big, "`tr '\\r' '\\n' < "},
               {"s.log.gz", Gzip(small), "`zcat < "},
               {"b.log.zst", Zstd(big), "`zstdcat < "}};
  for (const auto& c : cases) {
    for (const size_t chunk : {size_t{100}, size_t{4} << 20}) {
      SCOPED_TRACE(testing::Message() << c.name << " chunk " << chunk);
      const std::string path = Write(c.name, c.bytes);
      const ReadResult r = ReadAll(File(path), Chunked(chunk));
      EXPECT_EQ(r.outcome.status, FileStatus::kUnreadable);
      EXPECT_NE(r.outcome.message.find(path + ": unreadable: its lines end in CR alone"),
                std::string::npos)
          << r.outcome.message;
      // Plain: `tr '\r' '\n' < F | flowsift run - ...`; compressed: through zcat first.
      const std::string then = c.remedy[1] == 't' ? "" : " | tr '\\r' '\\n'";
      EXPECT_NE(r.outcome.message.find(c.remedy + path + then + " | flowsift run - ...`"),
                std::string::npos)
          << r.outcome.message;
      EXPECT_EQ(r.records, 0u);
      EXPECT_EQ(r.BadCount(), 0u);
    }
  }
  std::string crlf = Records(30);
  for (size_t at = crlf.find('\n'); at != std::string::npos; at = crlf.find('\n', at + 2)) {
    crlf.insert(at, "\r");
  }
  std::string last = Records(1);
  last.back() = '\r';
  for (const std::string& text : {crlf, last, std::string("\x01\x02\r\x03 binary\r\x04")}) {
    const ReadResult r = ReadAll(File(Write("t.log", text)));
    EXPECT_EQ(r.outcome.status, FileStatus::kOk) << r.outcome.message;
    EXPECT_EQ(r.records, static_cast<uint64_t>(Count(text, '\n') + (text == last)));
  }
}

// The same lines below lines ended by newlines (`cat unix.log mac.log`): the rest of the file
// was one line_too_long (or, under 64 KiB, control_character) bad line of an "ok" file. It fails
// from that byte, saying so, and the records above are read.
TEST_F(ReaderTest, LinesEndingInCrAloneBelowNewlinesFailFromThere) {
  const std::string unix_part = Records(50);
  std::string big = Records(2000), small = Records(5);
  ASSERT_GT(big.size(), kMaxLineBytes);
  std::replace(big.begin(), big.end(), '\n', '\r');
  std::replace(small.begin(), small.end(), '\n', '\r');
  // Past 64 KiB the reader met one line too long; under it, the file's last line.
  for (const std::string& mac_part : {big, small}) {
    for (const size_t chunk : {size_t{100}, size_t{4} << 20}) {
      SCOPED_TRACE(testing::Message() << mac_part.size() << " bytes, chunk " << chunk);
      const std::string path = Write("m.log", unix_part + mac_part);
      const ReadResult r = ReadAll(File(path), Chunked(chunk));
      EXPECT_EQ(r.outcome.status, FileStatus::kUnreadable);
      EXPECT_NE(
          r.outcome.message.find(path + ": unreadable: from byte " +
                                 std::to_string(unix_part.size()) + " its lines end in CR alone"),
          std::string::npos)
          << r.outcome.message;
      EXPECT_NE(r.outcome.message.find("`tr '\\r' '\\n' < " + path), std::string::npos)
          << r.outcome.message;
      EXPECT_EQ(r.records, 50u);
      EXPECT_EQ(r.BadCount(), 0u);
    }
  }
  // A line too long without CRs is still one bad line of an ok file.
  const std::string long_line(kMaxLineBytes + 10, 'x');
  const ReadResult r = ReadAll(File(Write("l.log", unix_part + long_line + "\n" + Records(3))));
  EXPECT_EQ(r.outcome.status, FileStatus::kOk) << r.outcome.message;
  EXPECT_EQ(r.records, 53u);
  EXPECT_EQ(r.BadCount(), 1u);
}

TEST_F(ReaderTest, HeaderChangesBetweenFilesOfOneDirectory) {
  GenOptions g;
  g.records = 300;
  g.format = *Format::Parse("v5", nullptr);
  Write("d/1.log", GenerateText(g));
  g.format = *Format::Parse("tgw", nullptr);
  Write("d/2.log.gz", Gzip(GenerateText(g)));
  Write("d/3.log", Records(40));
  const Discovery d = DiscoverInputs({.inputs = {root_ + "/d"}});
  ASSERT_EQ(d.files.size(), 3u);
  const std::string names[] = {"v5", "tgw", "v2"};
  for (size_t i = 0; i < 3; ++i) {
    const ReadResult r = ReadAll(d.files[i], Chunked(4096));
    EXPECT_EQ(r.outcome.status, FileStatus::kOk);
    EXPECT_EQ(r.records, i < 2 ? 300u : 40u) << i;
    EXPECT_TRUE(r.bad.empty()) << i;
    const Format want = *Format::Parse(names[i], nullptr);
    for (const auto& f : r.formats) EXPECT_EQ(*f, want) << i;
    EXPECT_EQ(r.outcome.header != nullptr, i < 2);
  }
}

// Files of different formats joined into one (`cat a.log b.log`, gzip members or zstd frames
// of different objects concatenated): each header line inside switches the format from the
// next line on, so every record is read by the header above it. A repeated header of the
// current format stays the parser's to count. Formats: v5, tgw, the v2 fields reordered
// (14 fields, like v2: read as v2 its lines were bad or, worse, misread), one whose first field
// is flow-direction (every data line starts with a lowercase word), and v2 without a header
// line of its own after the first (the v2 default reaches it only through a header).
TEST_F(ReaderTest, AHeaderInsideTheFileSwitchesTheFormat) {
  const char* const kFormats[] = {
      "v5", "tgw",
      "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
      "log-status version account-id",
      "flow-direction version account-id interface-id srcaddr dstaddr srcport dstport protocol "
      "packets bytes start end action log-status",
      // A first name flowsift does not know (a field AWS adds later): still a header.
      "some-future-field version account-id interface-id srcaddr dstaddr srcport dstport "
      "protocol packets bytes start end action log-status",
      "v2"};
  std::string joined;
  std::vector<std::string> parts;
  ReadResult want;
  for (const char* name : kFormats) {
    GenOptions g;
    g.records = 700;
    g.seed = parts.size() + 1;
    g.format = *Format::Parse(name, nullptr);
    std::string text = GenerateText(g);
    const size_t nl = text.find('\n');
    const ReadResult alone = ParseWhole(text.substr(nl + 1), g.format);
    ASSERT_EQ(alone.records, 700u);
    ASSERT_EQ(alone.BadCount(), 0u);
    want.records += alone.records;
    want.bytes_total += alone.bytes_total;
    if (std::string_view(name) == "v2") {
      text += text.substr(0, nl + 1) + Records(30);  // the same header again
    }
    parts.push_back(text);
    joined += text;
  }
  want.records += 30;
  want.bytes_total += ParseWhole(Records(30)).bytes_total;
  std::string gz, zst;
  for (const std::string& p : parts) {
    gz += Gzip(p);
    zst += Zstd(p);
  }
  const std::string plain = Write("j.log", joined);
  for (const std::string& path : {plain, Write("j.log.gz", gz), Write("j.log.zst", zst)}) {
    for (const size_t chunk : {size_t{777}, size_t{64} << 10, size_t{4} << 20}) {
      for (const bool map : {false, true}) {
        SCOPED_TRACE(testing::Message() << path << " chunk " << chunk << " map " << map);
        ReadOptions o = Chunked(chunk);
        o.map_files = map;
        const ReadResult r = ReadAll(File(path), o);
        EXPECT_EQ(r.outcome.status, FileStatus::kOk) << r.outcome.message;
        EXPECT_EQ(r.records, want.records);
        EXPECT_EQ(r.BadCount(), 0u);
        EXPECT_EQ(r.bytes_total, want.bytes_total);
        EXPECT_EQ(r.lines, static_cast<uint64_t>(Count(joined, '\n')));
        EXPECT_EQ(r.header_lines, 6u);  // five switches, one repeat
        ASSERT_NE(r.outcome.header, nullptr);
        EXPECT_EQ(*r.outcome.header, *Format::Parse("v5", nullptr));  // the first one
        // The formats of the chunks go v5, tgw, ... in order, each a run.
        std::vector<Format> seen;
        for (const auto& f : r.formats) {
          if (seen.empty() || !(seen.back() == *f)) seen.push_back(*f);
        }
        std::vector<Format> order;
        for (const char* name : kFormats) order.push_back(*Format::Parse(name, nullptr));
        EXPECT_EQ(seen, order);
      }
    }
  }
}

// A file compressed twice (gzip in gzip, gzip in zstd, ...) fails naming what it is and what
// to do; its inner compressed bytes were read as thousands of binary bad lines of an ok file.
// Once compressed it is read as ever.
TEST_F(ReaderTest, AFileCompressedTwiceFailsSayingSo) {
  const std::string text = Records(500);
  // "again" only when the inner compression is the outer one's.
  const struct {
    std::string name, bytes, inner;
  } cases[] = {{"gg.log.gz", Gzip(Gzip(text)), "gzip again"},
               {"zg.log.zst", Zstd(Gzip(text)), "gzip (compressed twice)"},
               {"gz.log.gz", Gzip(Zstd(text)), "zstd (compressed twice)"},
               {"zz.log.zst", Zstd(Zstd(text)), "zstd again"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const ReadResult r = ReadAll(File(Write(c.name, c.bytes)), Chunked(4096));
    EXPECT_EQ(r.outcome.status, FileStatus::kUnreadable);
    EXPECT_NE(r.outcome.message.find("decompressed data is " + c.inner), std::string::npos)
        << r.outcome.message;
    EXPECT_EQ(r.records, 0u);
    EXPECT_EQ(r.BadCount(), 0u);
  }
  EXPECT_EQ(ReadAll(File(Write("once.log.gz", Gzip(text))), Chunked(4096)).records, 500u);
  // The remedy reads the file once through its outer decompressor, its name quoted for a
  // shell; on stdin, the stream that fed the run.
  const std::string odd = Write("my file's.log.gz", Gzip(Gzip(text)));
  const std::string dir = odd.substr(0, odd.size() - 16);
  const ReadResult quoted = ReadAll(File(odd));
  EXPECT_NE(quoted.outcome.message.find("e.g. `zcat < '" + dir +
                                        "my file'\\''s.log.gz' | flowsift run - ...`"),
            std::string::npos)
      << quoted.outcome.message;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string twice = Zstd(Gzip(text));
  std::thread writer([&] {
    EXPECT_EQ(write(fds[1], twice.data(), twice.size()), static_cast<ssize_t>(twice.size()));
    close(fds[1]);
  });
  const ReadResult piped = ReadAll({"-", fds[0]});
  writer.join();
  close(fds[0]);
  EXPECT_EQ(piped.outcome.status, FileStatus::kUnreadable);
  EXPECT_NE(piped.outcome.message.find("e.g. `... | zstdcat | flowsift run - ...`"),
            std::string::npos)
      << piped.outcome.message;
}

// Compressions and formats flowsift does not read fail naming what they are and the command
// that reads them (through the outer decompressor for one inside gzip); read as text they were
// an ok file of binary bad lines. Text that starts with the same letters is still text.
TEST_F(ReaderTest, OtherCompressionsAndFormatsFailNamingTheCommandThatReadsThem) {
  const std::string bzip2 = std::string("BZh91AY&SY") + std::string(40, '\x01');
  const std::string xz = std::string(
                             "\xFD"
                             "7zXZ\0",
                             6) +
                         std::string(40, '\x02');
  const std::string zlib = std::string("\x78\x9C") + std::string(40, '\x03');
  const struct {
    std::string name, bytes, says;
  } cases[] = {
      {"b.log", bzip2, "it is bzip2, which flowsift does not read: `bzcat < "},
      {"b.log.gz", Gzip(bzip2),
       "its decompressed data is bzip2, which flowsift does not "
       "read: `zcat "},
      {"x.log", xz, "it is xz, which flowsift does not read: `xzcat < "},
      {"l.log", std::string("\x04\x22\x4D\x18", 4) + "xxxx", "it is lz4"},
      {"z.log", zlib, "it is zlib"},
      {"a.zip", "PK\x03\x04rest",
       "it is a zip archive, which flowsift does not read: extract its files (unzip)"},
      {"f.parquet", std::string("PAR1\x15\x04rest", 10), "it is Parquet"},
      {"empty.bz2", std::string("BZh9\x17\x72\x45\x38\x50\x90\0\0\0\0", 14), "it is bzip2"},
      // UTF-16 with its byte order mark, little- and big-endian (PowerShell's `>`): every line
      // had been a control_character bad line of an "ok" file.
      {"u16.log",
       std::string("\xFF\xFE"
                   "2\0 \0"
                   "1\0\n\0",
                   10),
       "it is UTF-16 text (as PowerShell's > writes it), which flowsift does not read: `iconv -f "
       "UTF-16 -t UTF-8 < "},
      {"u16be.log", std::string("\xFE\xFF\0v\0e", 6), "it is UTF-16 text"},
      {"u16.log.gz", Gzip(std::string("\xFF\xFEv\0e\0", 6)),
       "its decompressed data is UTF-16 text (as PowerShell's > writes it), which flowsift does "
       "not read: `zcat < "}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = Write(c.name, c.bytes);
    const ReadResult r = ReadAll(File(path));
    EXPECT_EQ(r.outcome.status, FileStatus::kUnreadable);
    EXPECT_NE(r.outcome.message.find(c.says), std::string::npos) << r.outcome.message;
    EXPECT_NE(r.outcome.message.find(path), std::string::npos) << r.outcome.message;
    EXPECT_EQ(r.BadCount(), 0u);
  }
  // A name a shell would split or expand is quoted in the command.
  const std::string odd = Write("my file's.log", bzip2);
  const ReadResult quoted = ReadAll(File(odd));
  const std::string dir = odd.substr(0, odd.size() - 13);
  EXPECT_NE(quoted.outcome.message.find("`bzcat < '" + dir + "my file'\\''s.log' | flowsift run"),
            std::string::npos)
      << quoted.outcome.message;
  // Lines that begin like those magic bytes but are text.
  for (const std::string& text :
       {std::string("BZh9 is not a header\n"), std::string("x^2\n"), std::string("x^\n"),
        std::string("PAR\n"), std::string("PAR1-cluster 2 3\n"), std::string("PK stands for\n"),
        std::string("\xFF\xFE\x01\x02 binary\n")}) {
    const ReadResult r = ReadAll(File(Write("t.log", text)));
    EXPECT_NE(r.outcome.status, FileStatus::kUnreadable) << text << r.outcome.message;
  }
}

TEST_F(ReaderTest, EmptyAndHeaderOnlyFiles) {
  for (const std::string& text : {std::string(), Gzip(""), Zstd("")}) {
    const std::string path = Write("e.log", text);
    const ReadResult r = ReadAll(File(path));
    EXPECT_EQ(r.outcome.status, FileStatus::kEmpty);
    EXPECT_EQ(r.outcome.message, path + ": empty");
    EXPECT_EQ(r.outcome.disk_bytes, text.size());
    EXPECT_EQ(r.sizes, std::vector<size_t>{0});
    EXPECT_EQ(r.records, 0u);
  }
  // A file named as compressed with no byte at all (not even a header) is a failed copy: a
  // nightly job's prefix of such objects must not pass as a quiet day. Named otherwise, empty.
  for (const char* name : {"e.log.gz", "e.log.zst"}) {
    const std::string path = Write(name, "");
    const ReadResult r = ReadAll(File(path));
    EXPECT_EQ(r.outcome.status, FileStatus::kTruncated) << name;
    EXPECT_EQ(r.outcome.message,
              path + ": truncated: 0 bytes, where a " +
                  (std::string(name).ends_with(".gz") ? "gzip" : "zstd") +
                  " file has at least its header (a copy or download that failed?)");
    EXPECT_EQ(r.records, 0u);
  }
  // Cut inside the magic number: 1-3 bytes of it and nothing more were an "ok" file of one bad
  // line. Any other bytes, or another name, are read as text, as before.
  const struct {
    const char* name;
    std::string bytes;
    const char* kind;  // null: not a cut copy
  } cuts[] = {{"c.gz", "\x1f", "gzip"},          {"c.zst", "\x28", "zstd"},
              {"c.zst", "\x28\xb5\x2f", "zstd"}, {"c.log", "\x1f", nullptr},
              {"c.gz", "\x1e", nullptr},         {"c.zst", "\x28\xb5\x2e", nullptr},
              {"c.log", "\x28\xb5", nullptr}};
  for (const auto& cut : cuts) {
    const std::string path = Write(cut.name, cut.bytes);
    const ReadResult r = ReadAll(File(path));
    if (cut.kind == nullptr) {
      EXPECT_FALSE(IsFailure(r.outcome.status)) << cut.name << r.outcome.message;
      continue;
    }
    EXPECT_EQ(r.outcome.status, FileStatus::kTruncated) << cut.name << cut.bytes.size();
    EXPECT_EQ(r.outcome.message, path + ": truncated: " + std::to_string(cut.bytes.size()) +
                                     (cut.bytes.size() == 1 ? " byte" : " bytes") +
                                     ", the start of a " + cut.kind +
                                     " header and nothing more (a copy or download that failed?)");
    EXPECT_EQ(r.records, 0u);
  }
  // The whole magic number and nothing more is a member or frame that ends early.
  for (const auto& [name, bytes, what] :
       {std::tuple<std::string, std::string, std::string>{"m.gz", "\x1f\x8b", "gzip member 1"},
        {"m.zst", "\x28\xb5\x2f\xfd", "zstd frame 1"}}) {
    const std::string path = Write(name, bytes);
    const ReadResult r = ReadAll(File(path));
    EXPECT_EQ(r.outcome.status, FileStatus::kTruncated) << name;
    EXPECT_EQ(r.outcome.message, path + ": truncated: " + what + " ends early at compressed byte " +
                                     std::to_string(bytes.size()));
  }
  for (const char* header : {"version srcaddr dstaddr\n", "version srcaddr dstaddr"}) {
    const std::string path = Write("h.log", header);
    const ReadResult r = ReadAll(File(path));
    EXPECT_EQ(r.outcome.status, FileStatus::kOk);
    ASSERT_NE(r.outcome.header, nullptr);
    EXPECT_EQ(r.outcome.header->size(), 3u);
    EXPECT_EQ(r.lines, 1u);
    EXPECT_EQ(r.records, 0u);
    EXPECT_EQ(r.text, "");
  }
}

// A stream window whose front held the header is not cut into one-line chunks.
TEST_F(ReaderTest, StreamChunksStayFullSizeAfterAHeader) {
  const std::string text = Format::Default().HeaderLine() + "\n" + Records(60000);
  ASSERT_GT(text.size(), size_t{6} << 20);
  for (const std::string& path : {Write("h.log.gz", Gzip(text)), Write("h.log.zst", Zstd(text))}) {
    const ReadResult r = ReadAll(File(path));
    EXPECT_EQ(r.records, 60000u);
    ASSERT_EQ(r.sizes.size(), 2u) << path;
    EXPECT_GT(r.sizes[0], (size_t{4} << 20) - 300);
  }
}

TEST_F(ReaderTest, BinaryGarbageIsReadAsBadLines) {
  std::mt19937_64 rng(7);
  std::string junk(300000, '\0');
  for (char& ch : junk) ch = static_cast<char>(rng());
  junk[0] = 'J';  // not a compression magic
  const ReadResult whole = ParseWhole(junk);
  ASSERT_GT(whole.BadCount(), 100u);
  for (const std::string& path : {Write("j.log", junk), Write("j.log.gz", Gzip(junk))}) {
    const ReadResult r = ReadAll(File(path), Chunked(64 << 10));
    EXPECT_EQ(r.outcome.status, FileStatus::kOk);
    EXPECT_EQ(r.records, 0u);
    EXPECT_EQ(r.lines, Count(junk, '\n') + 1);
    EXPECT_EQ(r.bad, whole.bad);
    EXPECT_EQ(r.bad_counts, whole.bad_counts);
  }
}

// A chunk holds every whole line within its first chunk_bytes bytes: a line that ends exactly
// at chunk_bytes is the chunk's last, not the next chunk's first, on every path.
TEST_F(ReaderTest, ALineEndingExactlyAtTheChunkSizeEndsTheChunk) {
  std::string lines;
  for (int i = 0; i < 60; ++i) lines += std::string(99, static_cast<char>('a' + i % 26)) + "\n";
  // Without and with a last line of one byte after the last full chunk: its own last chunk.
  for (const std::string tail : {"", "z"}) {
    const std::string text = lines + tail;
    std::vector<size_t> want(20, 300);
    if (!tail.empty()) want.push_back(1);
    for (const bool map_files : {false, true}) {
      for (const std::string& path :
           {Write("l.log", text), Write("l.log.gz", Gzip(text)), Write("l.log.zst", Zstd(text))}) {
        SCOPED_TRACE(testing::Message() << path << " map " << map_files << " tail " << tail);
        ReadOptions o = Chunked(300);
        o.map_files = map_files;
        const ReadResult r = ReadAll(File(path), o);
        EXPECT_EQ(r.text, text);
        EXPECT_EQ(r.sizes, want);
      }
    }
  }
}

// A last line without a newline that is longer than the chunk size (and fits kMaxLineBytes) is
// the file's last chunk, on every path, not dropped as if the file had ended before it.
TEST_F(ReaderTest, ALastLineWithoutNewlineLongerThanTheChunkIsRead) {
  std::string text = Records(20);
  text.pop_back();
  for (const bool map_files : {false, true}) {
    for (const std::string& path :
         {Write("n.log", text), Write("n.log.gz", Gzip(text)), Write("n.log.zst", Zstd(text))}) {
      SCOPED_TRACE(testing::Message() << path << " map " << map_files);
      ReadOptions o = Chunked(50);  // every line is longer
      o.map_files = map_files;
      const ReadResult r = ReadAll(File(path), o);
      EXPECT_EQ(r.outcome.status, FileStatus::kOk);
      EXPECT_EQ(r.text, text);
      EXPECT_EQ(r.records, 20u);
      EXPECT_EQ(r.lines, 20u);
    }
  }
}

// SharedChunkBuffers: the readers of a run take their chunk buffers from one pool, so a file
// read after another reuses its buffers instead of fresh memory; a reader whose buffers have
// another size keeps its own.
TEST_F(ReaderTest, FilesOfARunShareTheirChunkBuffers) {
  const std::string a = Records(6000), b = Records(5000, 6000), c = Records(4000, 11000);
  const std::string plain = Write("a.log", a), gz = Write("b.log.gz", Gzip(b)),
                    zst = Write("c.log.zst", Zstd(c));
  ReadOptions o = Chunked(256 << 10);  // ~660 KB of `a`: 3 chunks
  o.buffers = SharedChunkBuffers(o, 8);
  // The first file's chunks all held at once: a buffer each. Its reader stays alive, so had it
  // a pool of its own (which keeps 4), no later reader could be given these buffers.
  FileReader first(0, File(plain), o);
  std::vector<Chunk> held;
  while (std::optional<Chunk> chunk = first.Next()) held.push_back(std::move(*chunk));
  std::vector<const void*> mine;
  std::string text;
  for (const Chunk& chunk : held) {
    mine.push_back(chunk.keepalive.get());
    text.append(reinterpret_cast<const char*>(chunk.data), chunk.size);
  }
  EXPECT_EQ(text, a);
  std::sort(mine.begin(), mine.end());
  mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
  ASSERT_GE(mine.size(), 3u);
  held.clear();
  // Reads the file, each chunk released before the next; the buffers its chunks were in.
  const auto buffers_of = [&](const std::string& path, const ReadOptions& options,
                              const std::string& want) {
    FileReader reader(1, File(path), options);
    std::vector<const void*> seen;
    std::string got;
    for (;;) {
      const std::optional<Chunk> chunk = reader.Next();
      if (!chunk) break;
      seen.push_back(chunk->keepalive.get());
      got.append(reinterpret_cast<const char*>(chunk->data), chunk->size);
    }
    EXPECT_EQ(got, want);
    return seen;
  };
  for (const std::string& path : {gz, zst}) {
    SCOPED_TRACE(path);
    const std::vector<const void*> seen = buffers_of(path, o, path == gz ? b : c);
    EXPECT_GE(seen.size(), 2u);
    for (const void* p : seen) EXPECT_TRUE(std::binary_search(mine.begin(), mine.end(), p));
  }
  ReadOptions other = Chunked(128 << 10);  // buffers of another size than the pool's
  other.buffers = o.buffers;
  for (const void* p : buffers_of(gz, other, b)) {
    EXPECT_FALSE(std::binary_search(mine.begin(), mine.end(), p));
  }
}

// mapped_chunk_bytes sizes the chunks of a mapped file (any plain file over chunk_bytes or
// 256 KiB); a compressed one (a buffer of its own) keeps chunk_bytes.
TEST_F(ReaderTest, MappedChunkBytesSizeOnlyMappedFiles) {
  const std::string text = Records(3000);  // ~330 KB
  const std::string plain = Write("m.log", text);
  const std::string gz = Write("m.log.gz", Gzip(text));
  const std::string small = Write("s.log", text.substr(0, 40000));
  ReadOptions o = Chunked(16 << 10);
  o.map_files = true;
  o.mapped_chunk_bytes = 64 << 10;
  const auto largest = [](const ReadResult& r) {
    return *std::max_element(r.sizes.begin(), r.sizes.end());
  };
  const ReadResult mapped = ReadAll(File(plain), o);
  EXPECT_EQ(mapped.text, text);
  EXPECT_GT(largest(mapped), size_t{32} << 10);
  EXPECT_LE(largest(mapped), size_t{64} << 10);
  const ReadResult stream = ReadAll(File(gz), o);
  EXPECT_EQ(stream.text, text);
  EXPECT_LE(largest(stream), size_t{16} << 10);
  const ReadResult one = ReadAll(File(small), o);  // mapped: over chunk_bytes
  EXPECT_EQ(one.text, text.substr(0, 40000));
  EXPECT_EQ(one.sizes.size(), 1u);
}

// ReadOptions::chunk_target, changed between Next() calls (as the graph's parse does), sizes
// the stream paths' next chunks, up to max_chunk_bytes; lowered again, the next chunks shrink
// although the window already holds more. Mapped chunks keep their size. Every byte comes back
// once, in order.
TEST_F(ReaderTest, ChunkTargetResizesTheNextStreamChunks) {
  const std::string text = Records(50000);  // ~5.2 MB
  const std::string plain = Write("t.log", text), gz = Write("t.log.gz", Gzip(text)),
                    zst = Write("t.log.zst", Zstd(text));
  constexpr size_t kSmall = 64 << 10, kLarge = 1 << 20, kMiddle = 128 << 10;
  for (const std::string& path : {plain, gz, zst}) {  // plain: read()
    SCOPED_TRACE(path);
    std::atomic<size_t> target{0};  // 0: chunk_bytes
    ReadOptions o = Chunked(kSmall);
    o.max_chunk_bytes = kLarge;
    o.chunk_target = &target;
    FileReader reader(0, File(path), o);
    std::string got;
    std::vector<size_t> sizes;
    while (std::optional<Chunk> c = reader.Next()) {
      got.append(reinterpret_cast<const char*>(c->data), c->size);
      sizes.push_back(c->size);
      if (sizes.size() == 2) target.store(kLarge);
      if (sizes.size() == 4) target.store(kMiddle);
      if (sizes.size() == 6) target.store(size_t{64} << 30);  // clamped to max_chunk_bytes
    }
    EXPECT_EQ(got, text);
    ASSERT_GE(sizes.size(), 8u);
    EXPECT_LE(std::max(sizes[0], sizes[1]), kSmall);
    EXPECT_GT(sizes[2], kLarge - 300);  // whole lines within the first kLarge bytes
    EXPECT_LE(std::max(sizes[2], sizes[3]), kLarge);
    EXPECT_GT(sizes[4], kMiddle - 300);
    EXPECT_LE(std::max(sizes[4], sizes[5]), kMiddle);
    EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()), kLarge);
    EXPECT_GT(sizes[6], kLarge - 300);
  }
  // Mapped: mapped_chunk_bytes (here 0, so chunk_bytes), whatever the target says.
  std::atomic<size_t> target{kLarge};
  ReadOptions o = Chunked(kSmall);
  o.map_files = true;
  o.max_chunk_bytes = kLarge;
  o.chunk_target = &target;
  const ReadResult mapped = ReadAll(File(plain), o);
  EXPECT_EQ(mapped.text, text);
  EXPECT_LE(*std::max_element(mapped.sizes.begin(), mapped.sizes.end()), kSmall);
}

}  // namespace
}  // namespace flowsift
