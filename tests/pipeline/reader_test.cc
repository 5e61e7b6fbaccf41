#include "pipeline/reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/types.h"
#include "pipeline/generate.h"
#include "pipeline/input.h"
#include "pipeline/mapped_file.h"
#include "pipeline/parse_chunk.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using kernels::kPadding;

// `n` valid default-format records of varying lengths, numbered from `first`.
std::string Records(size_t n, size_t first = 0) {
  std::string out;
  for (size_t i = first; i < first + n; ++i) {
    out += "2 123456789012 eni-0a1b2c3d4e5f6" + std::to_string(i % 7) + " 10.0." +
           std::to_string(i % 256) + "." + std::to_string(i * 7 % 256) + " 172.16.0.1 " +
           std::to_string(i * 37 % 65536) + " 443 6 " + std::to_string(i % 1000 + 1) + " " +
           std::to_string(i * i % 100000) + " 1700000000 1700000060 " +
           (i % 3 ? "ACCEPT" : "REJECT") + " OK\n";
  }
  return out;
}

size_t Count(std::string_view s, char c) { return std::count(s.begin(), s.end(), c); }

// Members of a gzip file, compressed in process with ISA-L. `flush_at` lists offsets of
// `text` where a sync flush ends a deflate block on a byte boundary, so a file cut exactly
// there decodes to text[0, offset) and nothing more. *cut receives the compressed offsets.
std::string Gzip(std::string_view text, std::vector<size_t> flush_at = {},
                 std::vector<size_t>* cut = nullptr) {
  std::string out(text.size() + text.size() / 8 + 4096, '\0');
  std::vector<uint8_t> level_buf(ISAL_DEF_LVL1_DEFAULT);
  isal_zstream z;
  isal_deflate_init(&z);
  z.gzip_flag = IGZIP_GZIP;
  z.level = 1;
  z.level_buf = level_buf.data();
  z.level_buf_size = static_cast<uint32_t>(level_buf.size());
  z.next_out = reinterpret_cast<uint8_t*>(out.data());
  z.avail_out = static_cast<uint32_t>(out.size());
  flush_at.push_back(text.size());
  size_t from = 0;
  for (size_t i = 0; i < flush_at.size(); ++i) {
    z.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(text.data())) + from;
    z.avail_in = static_cast<uint32_t>(flush_at[i] - from);
    z.end_of_stream = i + 1 == flush_at.size();
    z.flush = z.end_of_stream ? NO_FLUSH : SYNC_FLUSH;
    EXPECT_EQ(isal_deflate(&z), COMP_OK);
    EXPECT_EQ(z.avail_in, 0u);
    if (cut != nullptr && !z.end_of_stream) cut->push_back(z.total_out);
    from = flush_at[i];
  }
  EXPECT_EQ(z.internal_state.state, ZSTATE_END);
  out.resize(z.total_out);
  return out;
}

// A member of Gzip() (whose header has no optional field) with the header fields RFC 1952 2.3
// lets a writer add: an extra field (FEXTRA, its 2-byte little-endian length first), a name
// (FNAME) and a comment (FCOMMENT) where not empty, and always a header CRC (FHCRC: the low 16
// bits of the CRC-32 of the header before it).
std::string WithHeaderFields(const std::string& member, const std::string& extra,
                             const std::string& name, const std::string& comment) {
  std::string header = member.substr(0, 10);
  header[3] = 0x02;  // FHCRC
  if (!extra.empty()) {
    header[3] |= 0x04;
    header += static_cast<char>(extra.size() & 0xff);
    header += static_cast<char>(extra.size() >> 8);
    header += extra;
  }
  if (!name.empty()) {
    header[3] |= 0x08;
    header += name + '\0';
  }
  if (!comment.empty()) {
    header[3] |= 0x10;
    header += comment + '\0';
  }
  uint32_t crc = 0xffffffff;
  for (const char ch : header) {
    crc ^= static_cast<uint8_t>(ch);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320 & (0u - (crc & 1)));
  }
  crc = ~crc;
  header += static_cast<char>(crc & 0xff);
  header += static_cast<char>((crc >> 8) & 0xff);
  return header + member.substr(10);
}

// One zstd frame with a content checksum (as the zstd CLI writes), flushed at `flush_at`.
std::string Zstd(std::string_view text, std::vector<size_t> flush_at = {},
                 std::vector<size_t>* cut = nullptr) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
  std::string out(ZSTD_compressBound(text.size()) + 1024, '\0');
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  flush_at.push_back(text.size());
  size_t from = 0;
  for (size_t i = 0; i < flush_at.size(); ++i) {
    ZSTD_inBuffer in{text.data() + from, flush_at[i] - from, 0};
    const bool end = i + 1 == flush_at.size();
    size_t left;
    do {
      left = ZSTD_compressStream2(c, &o, &in, end ? ZSTD_e_end : ZSTD_e_flush);
      EXPECT_FALSE(ZSTD_isError(left));
    } while (left != 0);
    if (cut != nullptr && !end) cut->push_back(o.pos);
    from = flush_at[i];
  }
  ZSTD_freeCCtx(c);
  out.resize(o.pos);
  return out;
}

struct BadAt {
  uint64_t line;
  LineError reason;
  friend bool operator==(const BadAt&, const BadAt&) = default;
};

// Keeps the first kBadLinesKeptPerReason of each reason, as a batch does: the chunks of a read
// each keep their first ones, and of those the first per reason are the whole text's.
void KeepFirstOfEachReason(std::vector<BadAt>& bad) {
  std::array<size_t, kNumLineErrors> kept{};
  std::erase_if(bad, [&](const BadAt& b) {
    return kept[static_cast<size_t>(b.reason)]++ >= kBadLinesKeptPerReason;
  });
}

// Everything a file read gives, parsed with ParseChunk.
struct ReadResult {
  FileOutcome outcome;
  uint64_t records = 0;
  uint64_t lines = 0;
  std::vector<BadAt> bad;  // absolute line numbers, in order: the first of each reason
  std::array<uint64_t, kNumLineErrors> bad_counts{};  // every bad line
  uint64_t BadCount() const { return std::accumulate(bad_counts.begin(), bad_counts.end(), 0ull); }
  std::string text;  // the chunks' bytes, concatenated
  std::vector<size_t> sizes;
  std::vector<std::shared_ptr<const Format>> formats;
  uint64_t header_lines = 0;  // the reader's (a format switched) and the parser's
  uint64_t bytes_total = 0;   // the sum of the records' bytes field
};

uint64_t SumOfBytes(const ParsedBatch& b) {
  const Column* c = b.Find(Field::kBytes);
  uint64_t sum = 0;
  for (size_t r = 0; c != nullptr && r < b.rows; ++r) {
    if (c->status[r] == kernels::FieldStatus::kOk) sum += c->u64[r];
  }
  return sum;
}

ReadResult ReadAll(InputFile file, ReadOptions options = {}) {
  ReadResult r;
  FileReader reader(3, std::move(file), std::move(options));
  LineNumbers numbers;
  ParseScratch scratch;
  uint32_t seq = 0;
  bool last = false;
  while (std::optional<Chunk> c = reader.Next()) {
    EXPECT_FALSE(last) << "a chunk after the last one";
    EXPECT_EQ(c->file, 3u);
    EXPECT_EQ(c->seq, seq++);
    // Whole lines, readable kPadding bytes past the end (ASan / the zero page check this).
    if (c->size > 0 && !c->last) {
      EXPECT_EQ(c->data[c->size - 1], '\n');
    }
    volatile uint8_t pad = c->data[c->size + kPadding - 1];
    static_cast<void>(pad);
    for (const ReaderLineError& e : c->reader_errors) {
      r.bad.push_back({numbers.LineOf(e), e.reason});
      ++r.bad_counts[static_cast<size_t>(e.reason)];
    }
    const ParsedBatch b = ParseChunk(c->data, c->size, *c->format, AllFields(), scratch);
    for (const BadLine& l : b.bad_lines)
      r.bad.push_back({numbers.FirstLine(*c) + l.line, l.reason});
    for (size_t k = 0; k < kNumLineErrors; ++k) r.bad_counts[k] += b.bad_by_reason[k];
    numbers.Advance(*c, b.lines);
    r.records += b.rows;
    r.header_lines += c->header_lines + b.header_lines;
    r.bytes_total += SumOfBytes(b);
    r.text.append(reinterpret_cast<const char*>(c->data), c->size);
    r.sizes.push_back(c->size);
    r.formats.push_back(c->format);
    EXPECT_FALSE(c->Damaged());
    last = c->last;
    EXPECT_EQ(c->outcome != nullptr, c->last);
    if (c->last) r.outcome = *c->outcome;
  }
  EXPECT_TRUE(last) << "no last chunk";
  EXPECT_EQ(r.outcome.chunks, seq);
  r.lines = numbers.lines();
  KeepFirstOfEachReason(r.bad);
  return r;
}

// What ParseChunk says about the whole text at once: the oracle for chunked reads.
ReadResult ParseWhole(std::string text, const Format& format = Format::Default()) {
  ReadResult r;
  const size_t size = text.size();
  text.append(kPadding, '\0');
  ParseScratch scratch;
  const ParsedBatch b =
      ParseChunk(reinterpret_cast<const uint8_t*>(text.data()), size, format, AllFields(), scratch);
  r.records = b.rows;
  r.lines = b.lines;
  r.header_lines = b.header_lines;
  r.bytes_total = SumOfBytes(b);
  for (const BadLine& l : b.bad_lines) r.bad.push_back({l.line + 1, l.reason});
  for (size_t k = 0; k < kNumLineErrors; ++k) r.bad_counts[k] = b.bad_by_reason[k];
  return r;
}

class ReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/flowsift_reader_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string Write(const std::string& name, std::string_view bytes) const {
    const std::string path = root_ + "/" + name;
    fs::create_directories(fs::path(path).parent_path());
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    close(fd);
    return path;
  }
  static InputFile File(const std::string& path) { return {path, -1}; }
  // Every read() size from `lo` to `hi`.
  static std::vector<size_t> ReadSizes(size_t lo, size_t hi) {
    std::vector<size_t> sizes;
    for (size_t read = lo; read <= hi; ++read) sizes.push_back(read);
    return sizes;
  }
  // The gzip file at `path` read with each read() size of `reads`: all `members` of it, giving
  // `text`, wherever a read ends in a member's header, data or trailer.
  static void ExpectReadWholeAtSizes(const std::string& path, const std::vector<size_t>& reads,
                                     uint64_t members, const std::string& text) {
    for (const size_t read : reads) {
      SCOPED_TRACE(read);
      ReadOptions o;
      o.read_bytes = read;
      const ReadResult r = ReadAll(File(path), o);
      ASSERT_EQ(r.outcome.status, FileStatus::kOk) << r.outcome.message;
      EXPECT_EQ(r.outcome.members, members);
      EXPECT_EQ(r.text, text);
    }
  }
  static ReadOptions Chunked(size_t bytes) {
    ReadOptions o;
    o.chunk_bytes = bytes;
    return o;
  }
  // A reader of the plain file at `path` in 64 KiB chunks, read() or mapped.
  FileReader Reader64K(const std::string& path, bool map_files) {
    ReadOptions o = Chunked(64 << 10);
    o.map_files = map_files;
    return FileReader(0, File(path), o);
  }

  std::string root_;
};

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

// A compressed file's bytes on disk are counted as its chunks come, not at its end: the
// progress display's bytes (pipeline/graph.cc) of a single .gz or .zst input stayed at 0, its
// bar at 0%, until the file was done.
TEST_F(ReaderTest, CompressedFileCountsItsDiskBytesAsItIsRead) {
  const std::string text = Records(20000);
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"p.log.gz", Gzip(text)}, {"p.log.zst", Zstd(text)}}) {
    SCOPED_TRACE(name);
    ReadOptions o = Chunked(16 << 10);
    o.read_bytes = 4096;
    FileReader reader(0, File(Write(name, bytes)), o);
    std::optional<Chunk> first = reader.Next();
    ASSERT_TRUE(first.has_value());
    ASSERT_FALSE(first->last);
    EXPECT_GT(reader.outcome().disk_bytes, 0u);
    EXPECT_LT(reader.outcome().disk_bytes, bytes.size());
    uint64_t before = reader.outcome().disk_bytes;
    while (std::optional<Chunk> c = reader.Next()) {
      EXPECT_GE(reader.outcome().disk_bytes, before);
      before = reader.outcome().disk_bytes;
    }
    EXPECT_EQ(reader.outcome().disk_bytes, bytes.size());
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

// Out of descriptors (EMFILE: every one the process may have is open), an input's error says
// which limit to raise; it was strerror's "Too many open files" alone.
TEST_F(ReaderTest, AnInputOpenedWithoutDescriptorsLeftNamesUlimit) {
  const std::string file = Write("f.log", Records(3));
  // A low soft limit first: a container's may be a billion descriptors.
  rlimit was{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &was), 0);
  rlimit low = was;
  low.rlim_cur = std::min<rlim_t>(was.rlim_cur, 512);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> held;
  for (int fd; (fd = dup(STDERR_FILENO)) >= 0;) held.push_back(fd);
  const int dup_error = errno;
  const ReadResult r = ReadAll(File(file));
  for (const int fd : held) close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &was), 0);
  ASSERT_EQ(dup_error, EMFILE);
  EXPECT_EQ(r.outcome.status, FileStatus::kUnreadable);
  EXPECT_EQ(r.outcome.message,
            file +
                ": unreadable: cannot open: Too many open files (the process's limit of open "
                "files: raise `ulimit -n`)");
}

TEST_F(ReaderTest, OpenFailuresAreStatusesNotCrashes) {
  const std::string file = Write("f.log", Records(3));
  const ReadResult missing = ReadAll(File(root_ + "/missing.log"));
  EXPECT_EQ(missing.outcome.status, FileStatus::kNotFound);
  EXPECT_EQ(missing.outcome.message,
            root_ + "/missing.log: not_found: cannot open: No such file or directory");
  EXPECT_EQ(missing.sizes, std::vector<size_t>{0});
  // An object's URL taken for a path: the message says files are read, and how to get them.
  const ReadResult url = ReadAll(File("s3://bucket/AWSLogs/x.log.gz"));
  EXPECT_EQ(url.outcome.status, FileStatus::kNotFound);
  EXPECT_NE(url.outcome.message.find("flowsift reads files, not URLs: copy the objects first, "
                                     "e.g. `aws s3 sync s3://BUCKET/PREFIX logs/`"),
            std::string::npos)
      << url.outcome.message;

  // As root, permissions do not stop open(): a path through a regular file does.
  const ReadResult notdir = ReadAll(File(file + "/x"));
  EXPECT_EQ(notdir.outcome.status, FileStatus::kUnreadable);
  EXPECT_EQ(notdir.outcome.message, file + "/x: unreadable: cannot open: Not a directory");

  const ReadResult dir = ReadAll(File(root_));
  EXPECT_EQ(dir.outcome.status, FileStatus::kUnreadable);
  EXPECT_EQ(dir.outcome.message, root_ + ": unreadable: cannot read: Is a directory");
  EXPECT_TRUE(IsFailure(dir.outcome.status));
  EXPECT_FALSE(IsFailure(FileStatus::kEmpty));
}

TEST_F(ReaderTest, FifoWithoutWriterReadsAsEmptyInsteadOfHanging) {
  const std::string path = root_ + "/fifo.log";
  ASSERT_EQ(mkfifo(path.c_str(), 0644), 0);
  const ReadResult r = ReadAll(File(path));
  EXPECT_EQ(r.outcome.status, FileStatus::kEmpty);
}

TEST_F(ReaderTest, GzipAndZstdMultiMemberAndMultiFrame) {
  const std::string a = Records(20000), b = Records(7000, 20000), c = Records(3, 27000);
  const std::string gz = Write("m.log.gz", Gzip(a) + Gzip(b) + Gzip(c) + std::string(9, '\0'));
  const std::string zst = Write("m.log.zst", Zstd(a) + Zstd(b) + Zstd(c));
  for (const std::string& path : {gz, zst}) {
    for (size_t chunk : {size_t{777}, size_t{4} << 20}) {
      SCOPED_TRACE(testing::Message() << path << " chunk " << chunk);
      const ReadResult r = ReadAll(File(path), Chunked(chunk));
      EXPECT_EQ(r.outcome.status, FileStatus::kOk) << r.outcome.message;
      EXPECT_EQ(r.outcome.members, 3u);
      EXPECT_EQ(r.outcome.compression, path == gz ? Compression::kGzip : Compression::kZstd);
      EXPECT_EQ(r.outcome.disk_bytes, fs::file_size(path));
      EXPECT_EQ(r.outcome.data_bytes, a.size() + b.size() + c.size());
      EXPECT_EQ(r.records, 27003u);
      EXPECT_EQ(r.text, a + b + c);
    }
  }
}

// A gzip member's header may carry a file name and a CRC-16 of itself (FNAME, FHCRC; RFC 1952
// 2.3.1). ISA-L's inflate checks that CRC wrongly when the header reaches it in two calls (a
// member's header across two read()s): the file was `corrupt` from there on, though gzip -t
// takes it.
TEST_F(ReaderTest, GzipHeadersWithNameAndCrcAcrossReads) {
  std::string gz, text;
  for (size_t i = 0; i < 40; ++i) {
    const std::string part = Records(3 + i % 5, i * 10);
    gz += WithHeaderFields(Gzip(part), "", "flows-" + std::to_string(i) + ".log", "");
    text += part;
  }
  const std::string path = Write("n.log.gz", gz);
  ExpectReadWholeAtSizes(path, {size_t{64}, size_t{100}, size_t{333}, size_t{256} << 10}, 40u,
                         text);
  // From a pipe written a few bytes at a time, the first member's header too comes in pieces.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    for (size_t done = 0; done < gz.size(); done += 5) {
      const size_t n = std::min<size_t>(5, gz.size() - done);
      if (write(fds[1], gz.data() + done, n) != static_cast<ssize_t>(n)) break;
      std::this_thread::yield();
    }
    close(fds[1]);
  });
  const ReadResult r = ReadAll({"-", fds[0]});
  writer.join();
  close(fds[0]);
  EXPECT_EQ(r.outcome.status, FileStatus::kOk) << r.outcome.message;
  EXPECT_EQ(r.text, text);
}

// The rest of a gzip member header (RFC 1952 2.3): an extra field (FEXTRA, a 2-byte
// little-endian length, here past 255) and a comment (FCOMMENT) are buffered whole too, before a
// header CRC (FHCRC). Read sizes from 400 to 900 bytes put a read's end in each header after the
// first, its last bytes included.
TEST_F(ReaderTest, GzipHeadersWithExtraFieldAndCommentAcrossReads) {
  const std::string extra(300, 'x');  // no NUL: a name's end is not found in it
  const std::string comment = "exported by a hand-written tool";
  // An extra field alone (its end is not a NUL's), with a name and a comment, a comment alone.
  const struct {
    std::string extra, name, comment;
  } headers[] = {
      {"", "", ""}, {extra, "", ""}, {"ab", "f.log", comment}, {"", "", comment}, {extra, "", ""}};
  std::string gz, text;
  for (size_t i = 0; i < std::size(headers); ++i) {
    const std::string part = Records(2 + i, i * 10);
    gz += WithHeaderFields(Gzip(part), headers[i].extra, headers[i].name, headers[i].comment);
    text += part;
  }
  const std::string path = Write("x.log.gz", gz);
  ExpectReadWholeAtSizes(path, ReadSizes(400, 900), std::size(headers), text);
}

// A header with a CRC and a name, a comment and an extra field longer than the read buffer (the
// default 256 KiB and a small one): streamed through it, not buffered whole (a name of 300 KB
// had failed as corrupt, ISA-L checking the CRC over the header's last read alone). A damaged
// header CRC is corrupt, a header cut in its name truncated, and neither keeps a byte.
TEST_F(ReaderTest, GzipHeadersLongerThanTheReadBuffer) {
  const std::string name(300 << 10, 'n'), comment(600 << 10, 'c'), extra(65535, 'x');
  const std::string a = Records(20), b = Records(30, 20);
  const std::string gz = WithHeaderFields(Gzip(a), extra, name, comment) +
                         WithHeaderFields(Gzip(b), "", name + name, "");
  const std::string path = Write("long.log.gz", gz);
  ExpectReadWholeAtSizes(path, {size_t{64}, size_t{4096} + 3, size_t{256} << 10}, 2u, a + b);
  // The header CRC is the header's last two bytes, just before the deflate data.
  const std::string one = WithHeaderFields(Gzip(a), "", name, "");
  const size_t crc_at = one.size() - (Gzip(a).size() - 10) - 2;
  std::string bad_crc = one;
  bad_crc[crc_at] ^= 1;
  ReadResult r = ReadAll(File(Write("crc.log.gz", bad_crc)));
  EXPECT_EQ(r.outcome.status, FileStatus::kCorrupt) << r.outcome.message;
  EXPECT_NE(r.outcome.message.find("member 1"), std::string::npos) << r.outcome.message;
  EXPECT_NE(r.outcome.message.find("header CRC"), std::string::npos) << r.outcome.message;
  EXPECT_EQ(r.records, 0u);
  r = ReadAll(File(Write("cut.log.gz", one.substr(0, 100 << 10))));
  EXPECT_EQ(r.outcome.status, FileStatus::kTruncated) << r.outcome.message;
  EXPECT_NE(r.outcome.message.find("member 1 ends early at compressed byte 102400"),
            std::string::npos)
      << r.outcome.message;
  // A method other than deflate (8) is refused as ISA-L refused it.
  std::string method = Gzip(a);
  method[2] = 7;
  r = ReadAll(File(Write("method.log.gz", method)));
  EXPECT_EQ(r.outcome.status, FileStatus::kCorrupt) << r.outcome.message;
  EXPECT_NE(r.outcome.message.find("unsupported compression method"), std::string::npos)
      << r.outcome.message;
}

// A compression is said by its whole magic number: two bytes for gzip, four for zstd.
TEST(CompressionOf, TakesTheWholeMagicNumber) {
  const auto of = [](std::string_view bytes) {
    return CompressionOf(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  };
  EXPECT_EQ(of("\x1f\x8b"), Compression::kGzip);
  EXPECT_EQ(of("\x1f"), Compression::kNone);
  EXPECT_EQ(of("\x28\xb5\x2f\xfd"), Compression::kZstd);
  EXPECT_EQ(of("\x28\xb5\x2f"), Compression::kNone);
  EXPECT_EQ(of("\x28\xb5\x2f\xfe"), Compression::kNone);
}

// A zstd file may start with a skippable frame (seekable-format or pzstd metadata): it is
// zstd by that magic too, not plain text whose every line is binary garbage.
TEST_F(ReaderTest, ZstdMayStartWithASkippableFrame) {
  const std::string a = Records(2000), b = Records(500, 2000);
  const auto skippable = [](uint8_t low, std::string_view payload) {
    std::string f = {static_cast<char>(0x50 | low), 0x2a, 0x4d, 0x18};
    const auto n = static_cast<uint32_t>(payload.size());
    for (int i = 0; i < 4; ++i) f += static_cast<char>((n >> (8 * i)) & 0xff);
    return f + std::string(payload);
  };
  const std::string path =
      Write("s.log.zst", skippable(0, "seek table") + Zstd(a) + skippable(0xf, "x") + Zstd(b));
  const ReadResult r = ReadAll(File(path));
  EXPECT_EQ(r.outcome.status, FileStatus::kOk) << r.outcome.message;
  EXPECT_EQ(r.outcome.compression, Compression::kZstd);
  EXPECT_EQ(r.records, 2500u);
  EXPECT_EQ(r.text, a + b);
}

// A frame written with `zstd --long=28` or more needs a window over libzstd's default limit
// (128 MiB). Not damaged: it fails as unreadable, naming the command that reads it, with the
// frames before it kept. It was "corrupt zstd data ... Frame requires too much memory".
TEST_F(ReaderTest, ZstdFrameWithAWindowOverTheLimitNamesZstdLong) {
  const std::string a = Records(300), b = Records(20, 300);
  // Frame header: no content size, no checksum, window 2^28; the text in one raw last block.
  std::string wide = {0x28, static_cast<char>(0xb5),          0x2f, static_cast<char>(0xfd),
                      0,    static_cast<char>((28 - 10) << 3)};
  const uint32_t block = static_cast<uint32_t>(b.size()) << 3 | 1;
  for (int i = 0; i < 3; ++i) wide += static_cast<char>((block >> (8 * i)) & 0xff);
  wide += b;
  const std::string path = Write("l.log.zst", Zstd(a) + wide);
  for (const bool pipe_it : {false, true}) {
    SCOPED_TRACE(pipe_it);
    ReadResult r;
    std::string name = path;
    if (pipe_it) {
      int fds[2];
      ASSERT_EQ(pipe(fds), 0);
      const std::string bytes = Zstd(a) + wide;
      std::thread writer([&] {
        EXPECT_EQ(write(fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
        close(fds[1]);
      });
      r = ReadAll({"-", fds[0]});
      writer.join();
      close(fds[0]);
      name = "stdin";
    } else {
      r = ReadAll(File(path));
    }
    EXPECT_EQ(r.outcome.status, FileStatus::kUnreadable);
    EXPECT_EQ(
        r.outcome.message,
        name +
            ": unreadable: zstd frame 2 needs a window of over 128 MiB (written with zstd "
            "--long), more memory than flowsift's decoder takes: decompress it first, e.g. `" +
            (pipe_it ? "... | zstd -dc --long=31" : "zstd -dc --long=31 < " + path) +
            " | flowsift run - ...`");
    EXPECT_EQ(r.text, a);
    EXPECT_EQ(r.records, 300u);
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

// A stream cut exactly after a flushed block decodes to the text before it: the records before
// the cut are kept, the incomplete line at the cut is dropped and named.
TEST_F(ReaderTest, TruncatedGzipAndZstdKeepEveryCompleteLine) {
  const std::string text = Records(5000);
  size_t cut_text = 0;
  for (int i = 0; i < 3000; ++i) cut_text = text.find('\n', cut_text) + 1;
  cut_text += 17;  // inside line 3001
  for (Compression kind : {Compression::kGzip, Compression::kZstd}) {
    std::vector<size_t> cut;
    const std::string full =
        kind == Compression::kGzip ? Gzip(text, {cut_text}, &cut) : Zstd(text, {cut_text}, &cut);
    ASSERT_EQ(cut.size(), 1u);
    const std::string path = Write("t.log.x", full.substr(0, cut[0]));
    const ReadResult r = ReadAll(File(path), Chunked(10000));
    EXPECT_EQ(r.outcome.status, FileStatus::kTruncated);
    EXPECT_EQ(r.records, 3000u);
    EXPECT_EQ(r.outcome.dropped_bytes, 17u);
    EXPECT_EQ(r.text, text.substr(0, cut_text - 17));
    const std::string what = kind == Compression::kGzip ? "gzip member 1" : "zstd frame 1";
    EXPECT_EQ(r.outcome.message, path + ": truncated: " + what + " ends early at compressed byte " +
                                     std::to_string(cut[0]) + "; the incomplete line at byte " +
                                     std::to_string(cut_text - 17) + " (17 bytes) is dropped");
  }
}

TEST_F(ReaderTest, CorruptGzipKeepsTheRecordsBeforeTheDamage) {
  const std::string text = Records(5000);
  size_t cut_text = 0;
  for (int i = 0; i < 1234; ++i) cut_text = text.find('\n', cut_text) + 1;
  std::vector<size_t> cut;
  std::string gz = Gzip(text, {cut_text}, &cut);
  // The block after the flush starts with BTYPE = 11, which deflate reserves: invalid at once.
  gz[cut[0]] = static_cast<char>(0xff);
  const std::string path = Write("c.log.gz", gz);
  const ReadResult r = ReadAll(File(path), Chunked(10000));
  EXPECT_EQ(r.outcome.status, FileStatus::kCorrupt);
  EXPECT_EQ(r.records, 1234u);
  EXPECT_EQ(r.outcome.dropped_bytes, 0u);
  EXPECT_EQ(r.outcome.message.substr(0, path.size() + 46),
            path + ": corrupt: corrupt gzip data in member 1 near ");
  EXPECT_NE(r.outcome.message.find(": invalid deflate block"), std::string::npos)
      << r.outcome.message;

  // Bytes flipped in the middle of a whole file: a failure, never a crash, never more records.
  std::string flipped = Gzip(text);
  for (size_t i = 0; i < 16; ++i) flipped[flipped.size() / 2 + i] ^= 0x5a;
  const ReadResult f = ReadAll(File(Write("f.log.gz", flipped)));
  EXPECT_EQ(f.outcome.status, FileStatus::kCorrupt) << f.outcome.message;
  EXPECT_LT(f.records, 5000u);

  // A whole member followed by garbage: every record is kept, the file is still reported.
  const std::string trailing = Write("g.log.gz", Gzip(text) + "garbage");
  const ReadResult g = ReadAll(File(trailing));
  EXPECT_EQ(g.outcome.status, FileStatus::kCorrupt);
  EXPECT_EQ(g.records, 5000u);
  EXPECT_EQ(g.outcome.message, trailing +
                                   ": corrupt: trailing garbage after gzip member 1 at "
                                   "compressed byte " +
                                   std::to_string(Gzip(text).size()));
}

TEST_F(ReaderTest, CorruptZstdKeepsTheRecordsBeforeTheDamage) {
  const std::string a = Records(1500), b = Records(100, 1500);
  std::string bad_frame = Zstd(b);
  bad_frame[0] ^= 0x01;  // not a zstd magic number any more
  const std::string path = Write("c.log.zst", Zstd(a) + bad_frame);
  const ReadResult r = ReadAll(File(path));
  EXPECT_EQ(r.outcome.status, FileStatus::kCorrupt);
  EXPECT_EQ(r.records, 1500u);
  EXPECT_EQ(r.outcome.members, 1u);
  EXPECT_NE(r.outcome.message.find(": corrupt: corrupt zstd data in frame 2 near compressed "),
            std::string::npos)
      << r.outcome.message;
  EXPECT_NE(r.outcome.message.find("Unknown frame descriptor"), std::string::npos)
      << r.outcome.message;

  std::string sum = Zstd(a);
  sum[sum.size() - 1] ^= 0x01;  // the content checksum
  const ReadResult s = ReadAll(File(Write("s.log.zst", sum)));
  EXPECT_EQ(s.outcome.status, FileStatus::kCorrupt);
  // zstd decodes a frame it holds whole in one pass and releases none of it when the checksum
  // fails; the reader then decodes the frame again a slice at a time, so the blocks before the
  // failing call are kept: here the first of its two 128 KiB blocks (all were lost before).
  EXPECT_GE(s.records, 1000u);
  EXPECT_LT(s.records, 1500u);
  EXPECT_EQ(s.text, a.substr(0, s.text.size()));
  EXPECT_NE(s.outcome.message.find("checksum"), std::string::npos) << s.outcome.message;
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

// Writes `bytes` to a pipe in writes of at most `piece` bytes, then closes it: the reader at the
// other end sees them arrive as they come.
void WriteAndClose(int fd, std::string_view bytes, size_t piece) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, std::min(piece, bytes.size() - done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
}

TEST_F(ReaderTest, StdinPipePlainAndGzip) {
  const std::string text = Records(20000);
  for (const std::string& bytes : {text, Gzip(text)}) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    std::thread writer([&] { WriteAndClose(fds[1], bytes, 4000); });
    const ReadResult r = ReadAll({"-", fds[0]}, Chunked(100000));
    writer.join();
    close(fds[0]);
    EXPECT_EQ(r.outcome.status, FileStatus::kOk);
    EXPECT_EQ(r.outcome.path, "-");
    EXPECT_EQ(r.outcome.disk_bytes, bytes.size());
    EXPECT_EQ(r.records, 20000u);
    EXPECT_EQ(r.text, text);
  }
  // A truncated gzip on stdin names stdin.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string gz = Gzip(text).substr(0, 100);
  ASSERT_EQ(write(fds[1], gz.data(), gz.size()), 100);
  close(fds[1]);
  const ReadResult r = ReadAll({"-", fds[0]});
  close(fds[0]);
  EXPECT_EQ(r.outcome.status, FileStatus::kTruncated);
  EXPECT_EQ(r.outcome.message.rfind("stdin: truncated: gzip member 1 ends early", 0), 0u)
      << r.outcome.message;
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

// A read() interrupted by a signal (a handler installed without SA_RESTART, as a tool's
// progress timer or a profiler may) is made again: the stream is not "unreadable: Interrupted
// system call".
TEST_F(ReaderTest, AReadInterruptedByASignalIsMadeAgain) {
  struct sigaction sa = {}, old = {};
  sa.sa_handler = [](int) {};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read() returns EINTR
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  const std::string text = Records(2000);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pthread_t reader_thread = pthread_self();
  std::thread writer([&] {
    // The reader is blocked in read() on the empty pipe by now.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    pthread_kill(reader_thread, SIGUSR1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    WriteAndClose(fds[1], text, SIZE_MAX);
  });
  const ReadResult r = ReadAll({"-", fds[0]}, Chunked(100000));
  writer.join();
  close(fds[0]);
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(r.outcome.status, FileStatus::kOk) << r.outcome.message;
  EXPECT_EQ(r.text, text);
  EXPECT_EQ(r.records, 2000u);
}

// A FIFO is opened non-blocking (one without a writer must not hang the run), so a read before
// its writer has written finds nothing yet (EAGAIN): the reader waits for the data instead of
// failing the file.
TEST_F(ReaderTest, AFifoWhoseWriterIsSlowIsWaitedFor) {
  const std::string path = root_ + "/slow.fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0644), 0);
  // Held open for writing before the reader opens: the FIFO has a writer from the start.
  const int w = open(path.c_str(), O_RDWR);
  ASSERT_GE(w, 0);
  const std::string text = Records(300);
  ASSERT_LT(text.size(), size_t{64} << 10);  // fits the pipe's buffer: one write
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(write(w, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(w);
  });
  const ReadResult r = ReadAll(File(path));
  writer.join();
  EXPECT_EQ(r.outcome.status, FileStatus::kOk) << r.outcome.message;
  EXPECT_EQ(r.text, text);
  EXPECT_EQ(r.records, 300u);
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

// A stream cut before its first newline: the incomplete line is all there is, and it is
// dropped and named like any other, not parsed as a record or a bad line.
TEST_F(ReaderTest, ATruncatedStreamWithoutANewlineKeepsNothing) {
  const std::string text = Records(50);
  for (Compression kind : {Compression::kGzip, Compression::kZstd}) {
    std::vector<size_t> cut;
    const std::string full =
        kind == Compression::kGzip ? Gzip(text, {17}, &cut) : Zstd(text, {17}, &cut);
    ASSERT_EQ(cut.size(), 1u);
    const std::string path = Write("t.log.x", full.substr(0, cut[0]));
    const ReadResult r = ReadAll(File(path), Chunked(10000));
    EXPECT_EQ(r.outcome.status, FileStatus::kTruncated);
    EXPECT_EQ(r.outcome.data_bytes, 17u);
    EXPECT_EQ(r.outcome.dropped_bytes, 17u);
    EXPECT_EQ(r.text, "");
    EXPECT_EQ(r.lines, 0u);
    EXPECT_EQ(r.BadCount(), 0u);
    EXPECT_NE(r.outcome.message.find("; the incomplete line at byte 0 (17 bytes) is dropped"),
              std::string::npos)
        << r.outcome.message;
  }
}

// The next gzip member may start on the last byte of a read: its magic's second byte is read
// before it is taken for trailing garbage.
TEST_F(ReaderTest, AGzipMemberMayStartOnTheLastByteOfARead) {
  const std::string a = Records(7), b = Records(5, 7), c = Records(3, 12);
  const std::string path = Write("m.log.gz", Gzip(a) + Gzip(b) + Gzip(c));
  ExpectReadWholeAtSizes(path, ReadSizes(64, 400), 3u, a + b + c);
}

// A plain file of one chunk, up to 256 KiB, is read whole into a buffer; a larger one, or one of
// several chunks, is read() in chunks, or mapped with map_files. All give the same chunks.
TEST_F(ReaderTest, SmallPlainFilesAreReadWholeLargeOnesReadOrMapped) {
  const std::string small = Records(1000);  // ~110 KB
  ASSERT_LT(small.size(), size_t{256} << 10);
  const std::string big = Records(3000);  // ~330 KB
  ASSERT_GT(big.size(), size_t{256} << 10);
  const struct {
    std::string name;
    const std::string* text;
    size_t chunk;
    bool map_files;
    bool mapped;
  } cases[] = {{"small.log", &small, size_t{4} << 20, false, false},
               {"small-mmap.log", &small, size_t{4} << 20, true, false},
               {"small-chunked.log", &small, 16 << 10, false, false},
               {"small-chunked-mmap.log", &small, 16 << 10, true, true},
               {"big.log", &big, size_t{4} << 20, false, false},
               {"big-mmap.log", &big, size_t{4} << 20, true, true}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ReadOptions o = Chunked(c.chunk);
    o.map_files = c.map_files;
    FileReader reader(0, File(Write(c.name, *c.text)), o);
    std::string text;
    size_t chunks = 0;
    std::optional<Chunk> chunk;
    while ((chunk = reader.Next())) {
      ++chunks;
      EXPECT_EQ(chunk->mapped != nullptr, c.mapped);
      EXPECT_NE(chunk->keepalive, nullptr);
      text.append(reinterpret_cast<const char*>(chunk->data), chunk->size);
      if (chunk->last) {
        // After the file's last byte: kPadding zeros (a buffer's own, or the mapping's page).
        for (size_t i = 0; i < kPadding; ++i) ASSERT_EQ(chunk->data[chunk->size + i], 0) << i;
        EXPECT_EQ(chunk->outcome->status, FileStatus::kOk) << chunk->outcome->message;
        EXPECT_EQ(chunk->outcome->data_bytes, c.text->size());
        EXPECT_EQ(chunk->outcome->disk_bytes, c.text->size());
      }
    }
    EXPECT_EQ(text, *c.text);
    EXPECT_EQ(chunks == 1, c.chunk > c.text->size());
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

TEST_F(ReaderTest, FileThatShrinksBetweenChunksStopsWithShrank) {
  for (const bool map_files : {false, true}) {
    SCOPED_TRACE(map_files ? "mapped" : "read");
    const std::string text = Records(20000);
    const std::string path = Write(map_files ? "sm.log" : "s.log", text);
    FileReader reader = Reader64K(path, map_files);
    std::optional<Chunk> first = reader.Next();
    ASSERT_TRUE(first.has_value());
    ASSERT_FALSE(first->last);
    const size_t first_end = text.rfind('\n', (64 << 10) - 1) + 1;
    EXPECT_EQ(first->size, first_end);
    ASSERT_EQ(truncate(path.c_str(), 100000), 0);
    std::optional<Chunk> next = reader.Next();
    ASSERT_TRUE(next.has_value());
    EXPECT_TRUE(next->last);
    EXPECT_EQ(next->size, 0u);
    ASSERT_NE(next->outcome, nullptr);
    EXPECT_EQ(next->outcome->status, FileStatus::kShrank);
    EXPECT_EQ(next->outcome->message,
              path + ": shrank: file shrank while being read (" + std::to_string(text.size()) +
                  " bytes when opened, 100000 bytes now); lines from byte " +
                  std::to_string(first_end) + " on are not read");
    EXPECT_FALSE(reader.Next().has_value());
    // The chunk handed out before the truncation lies within the file's new size: intact.
    EXPECT_FALSE(first->Damaged());
    ParseScratch scratch;
    EXPECT_EQ(ParseChunk(first->data, first->size, *first->format, AllFields(), scratch).rows,
              Count(text.substr(0, first_end), '\n'));
  }
}

// A file is read as it was when opened: lines appended while it is read are not (a log still
// being written could end in a partial line), mapped or not.
TEST_F(ReaderTest, LinesAppendedWhileReadingAreNotRead) {
  for (const bool map_files : {false, true}) {
    SCOPED_TRACE(map_files ? "mapped" : "read");
    const std::string text = Records(20000);
    const std::string path = Write(map_files ? "gm.log" : "g.log", text);
    FileReader reader = Reader64K(path, map_files);
    std::optional<Chunk> chunk = reader.Next();
    ASSERT_TRUE(chunk.has_value());
    std::string got(reinterpret_cast<const char*>(chunk->data), chunk->size);
    {
      std::ofstream more(path, std::ios::app);
      more << Records(100);
    }
    while ((chunk = reader.Next())) {
      got.append(reinterpret_cast<const char*>(chunk->data), chunk->size);
      if (chunk->last) {
        EXPECT_EQ(chunk->outcome->status, FileStatus::kOk) << chunk->outcome->message;
        EXPECT_EQ(chunk->outcome->disk_bytes, text.size());
        EXPECT_EQ(chunk->outcome->data_bytes, text.size());
      }
    }
    EXPECT_EQ(got, text);
  }
}

// The same for a compressed file: a gzip member appended while the file is read is not read
// (the size when opened bounds the reads, which also saves the read that would only find the
// end).
TEST_F(ReaderTest, MembersAppendedWhileReadingAGzipFileAreNotRead) {
  const std::string text = Records(20000);
  const std::string gz = Gzip(text);
  const std::string path = Write("appended.log.gz", gz);
  FileReader reader = Reader64K(path, false);
  std::optional<Chunk> chunk = reader.Next();
  ASSERT_TRUE(chunk.has_value());
  ASSERT_FALSE(chunk->last) << "the file must take more than one chunk";
  std::string got(reinterpret_cast<const char*>(chunk->data), chunk->size);
  {
    std::ofstream more(path, std::ios::app | std::ios::binary);
    more << Gzip(Records(100));
  }
  while ((chunk = reader.Next())) {
    got.append(reinterpret_cast<const char*>(chunk->data), chunk->size);
    if (chunk->last) {
      EXPECT_EQ(chunk->outcome->status, FileStatus::kOk) << chunk->outcome->message;
      EXPECT_EQ(chunk->outcome->disk_bytes, gz.size());
    }
  }
  EXPECT_EQ(got, text);
}

// The race the size checks cannot close: the file shrinks after a chunk was handed out and
// before it is parsed. The parse reads zeros instead of dying of SIGBUS, and the chunk says
// it is damaged.
TEST_F(ReaderTest, ChunkOfAFileThatShrankAfterwardsIsDamagedNotFatal) {
  const std::string text = Records(20000);
  const std::string path = Write("r.log", text);
  ReadOptions o = Chunked(256 << 10);
  o.map_files = true;
  FileReader reader(0, File(path), o);
  std::optional<Chunk> first = reader.Next();
  std::optional<Chunk> second = reader.Next();
  ASSERT_TRUE(second.has_value());
  ASSERT_FALSE(second->last);
  ASSERT_EQ(truncate(path.c_str(), 4096), 0);
  ParseScratch scratch;
  const ParsedBatch b =
      ParseChunk(second->data, second->size, *second->format, AllFields(), scratch);
  EXPECT_EQ(b.rows, 0u);  // all zeros now
  EXPECT_TRUE(second->Damaged());
  std::optional<Chunk> last = reader.Next();
  ASSERT_TRUE(last.has_value());
  ASSERT_TRUE(last->last);
  EXPECT_EQ(last->outcome->status, FileStatus::kShrank);
}

// A mapped page that fails while the file keeps its size (an I/O error: EIO from a disk or a
// network file system raises SIGBUS as a cut file does; here the file is cut and grown back) is
// "unreadable" with the failing byte, not "shrank ... N bytes when opened, N bytes now".
TEST_F(ReaderTest, AMappedPageThatFailsInAWholeFileIsUnreadableNotShrank) {
  const std::string text = Records(20000);
  const std::string path = Write("eio.log", text);
  FileReader reader = Reader64K(path, true);
  std::optional<Chunk> first = reader.Next();
  ASSERT_TRUE(first.has_value());
  ASSERT_FALSE(first->last);
  ASSERT_EQ(truncate(path.c_str(), 4096), 0);
  // A page past the cut faults (zero-filled by the handler), then the file is whole again.
  EXPECT_EQ(static_cast<volatile const uint8_t*>(first->data)[8 * 4096], 0);
  ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(text.size())), 0);
  std::optional<Chunk> next = reader.Next();
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->last);
  ASSERT_NE(next->outcome, nullptr);
  EXPECT_EQ(next->outcome->status, FileStatus::kUnreadable);
  EXPECT_EQ(next->outcome->message,
            path + ": unreadable: a page of the mapped file could not be read at byte " +
                std::to_string(8 * 4096) +
                " (an I/O error, or the file was cut and grown again; "
                "it is " +
                std::to_string(text.size()) + " bytes now); lines from byte " +
                std::to_string(first->size) +
                " on are not read (without --mmap the read names "
                "the error)");
  EXPECT_TRUE(first->Damaged());
}

// A temporary file for the mapping tests, open for reading and writing, closed and removed when
// the test ends (also when an assertion ends it early).
struct TempFd {
  char path[32] = "/tmp/flowsift_mapped_XXXXXX";
  int fd = mkstemp(path);
  TempFd() = default;
  TempFd(const TempFd&) = delete;
  TempFd& operator=(const TempFd&) = delete;
  ~TempFd() {
    if (fd >= 0) {
      close(fd);
      unlink(path);
    }
  }
};

TEST(MappedFile, ZeroFillsPagesPastTheNewEndInsteadOfSigbus) {
  const TempFd file;
  const int fd = file.fd;
  ASSERT_GE(fd, 0);
  const std::string data(5 * 4096 + 100, 'q');
  ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  int error = 0;
  std::unique_ptr<MappedFile> m = MappedFile::Map(fd, data.size(), &error);
  ASSERT_NE(m, nullptr) << error;
  EXPECT_TRUE(m->Populate(0, data.size() + kPadding));
  EXPECT_EQ(m->data()[data.size() + kPadding - 1], 0);  // the zero page after the file
  EXPECT_EQ(m->ZeroFilledFrom(), UINT64_MAX);
  ASSERT_EQ(ftruncate(fd, 4096), 0);
  EXPECT_EQ(static_cast<volatile const uint8_t*>(m->data())[3 * 4096 + 5], 0);
  EXPECT_EQ(m->ZeroFilledFrom(), 3u * 4096);
  EXPECT_EQ(m->data()[10], 'q');
  EXPECT_FALSE(m->Populate(4096, 4096));
}

// A file whose size is a whole number of pages still has kPadding readable zeros after its
// last byte: the page of zeros reserved after the mapping, not whatever lies next in memory.
TEST(MappedFile, AFileOfWholePagesIsFollowedByAPageOfZeros) {
  const TempFd file;
  const int fd = file.fd;
  ASSERT_GE(fd, 0);
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const std::string data(3 * page, 'q');
  ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  int error = 0;
  std::unique_ptr<MappedFile> m = MappedFile::Map(fd, data.size(), &error);
  ASSERT_NE(m, nullptr) << error;
  // The memory after the file is the mapping's own: an anonymous read-only page.
  const uintptr_t after = reinterpret_cast<uintptr_t>(m->data()) + data.size();
  std::ifstream maps("/proc/self/maps");
  std::string line, found;
  while (std::getline(maps, line)) {
    uintptr_t begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &begin, &end) == 2 && begin <= after && after < end) {
      found = line;
    }
  }
  ASSERT_FALSE(found.empty()) << "nothing mapped after the file";
  std::istringstream fields(found);
  std::string range, perms, offset, device, inode;
  fields >> range >> perms >> offset >> device >> inode;
  EXPECT_EQ(perms, "r--p") << found;
  EXPECT_EQ(inode, "0") << found;
  for (size_t i = 0; i < kPadding; ++i) ASSERT_EQ(m->data()[data.size() + i], 0) << i;
}

// A mapping hands its slot of the SIGBUS handler's registry back when it is destroyed: a run
// maps far more files, one after another, than the registry has slots (1024).
TEST(MappedFile, SlotsAreReusedAfterTheMappingsAreGone) {
  const TempFd file;
  const int fd = file.fd;
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "qqqq\n", 5), 5);
  for (int i = 0; i < 1500; ++i) {
    int error = 0;
    const std::unique_ptr<MappedFile> m = MappedFile::Map(fd, 5, &error);
    ASSERT_NE(m, nullptr) << "mapping " << i << ": " << std::strerror(error);
    ASSERT_EQ(m->data()[0], 'q');
  }
}

// A chunk dropped after its reader had finished, of a file that is not shorter than when it
// was opened (a page that failed, a file cut and grown again): not "shrank (N bytes when opened,
// N bytes now)", but unreadable, as the reader says of such a page.
TEST_F(ReaderTest, ADroppedChunkOfAFileNotShorterIsUnreadableNotShrank) {
  const std::string path = Write("same.log", std::string(100, 'x'));
  FileOutcome o;
  o.path = path;
  o.disk_bytes = 100;
  NoteDroppedFrom(o, 40);
  EXPECT_EQ(o.status, FileStatus::kUnreadable) << o.message;
  EXPECT_EQ(o.message, path +
                           ": unreadable: a page of the mapped file could not be read (an I/O "
                           "error, or the file was cut and grown again; it is 100 bytes now); "
                           "lines from byte 40 on are not read (without --mmap the read names "
                           "the error)");
  FileOutcome cut;
  cut.path = path;
  cut.disk_bytes = 200;
  NoteDroppedFrom(cut, 40);
  EXPECT_EQ(cut.status, FileStatus::kShrank) << cut.message;
  EXPECT_NE(cut.message.find("(200 bytes when opened, 100 bytes now); lines from byte 40 on"),
            std::string::npos)
      << cut.message;
}

}  // namespace
}  // namespace flowsift
