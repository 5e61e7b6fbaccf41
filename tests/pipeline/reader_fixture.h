// The reader tests' helpers (reader_test.cc, reader_io_test.cc): gzip and zstd files made in
// process, a file read through FileReader and parsed chunk by chunk (ReadAll) with the one parse
// of its whole text as the oracle (ParseWhole), and the fixture that writes files under a fresh
// temporary directory. One fixture type for both files: gtest requires every test of a suite to
// use the same class, so it is not in an anonymous namespace.
#ifndef FLOWSIFT_TESTS_PIPELINE_READER_FIXTURE_H_
#define FLOWSIFT_TESTS_PIPELINE_READER_FIXTURE_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernels/types.h"
#include "pipeline/format.h"
#include "pipeline/input.h"
#include "pipeline/parse_chunk.h"
#include "pipeline/reader.h"

namespace flowsift::reader_test {

// `n` valid default-format records of varying lengths, numbered from `first`.
inline std::string Records(size_t n, size_t first = 0) {
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

inline size_t Count(std::string_view s, char c) { return std::count(s.begin(), s.end(), c); }

// Members of a gzip file, compressed in process with ISA-L. `flush_at` lists offsets of
// `text` where a sync flush ends a deflate block on a byte boundary, so a file cut exactly
// there decodes to text[0, offset) and nothing more. *cut receives the compressed offsets.
inline std::string Gzip(std::string_view text, std::vector<size_t> flush_at = {},
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
inline std::string WithHeaderFields(const std::string& member, const std::string& extra,
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
inline std::string Zstd(std::string_view text, std::vector<size_t> flush_at = {},
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
inline void KeepFirstOfEachReason(std::vector<BadAt>& bad) {
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

inline uint64_t SumOfBytes(const ParsedBatch& b) {
  const Column* c = b.Find(Field::kBytes);
  uint64_t sum = 0;
  for (size_t r = 0; c != nullptr && r < b.rows; ++r) {
    if (c->status[r] == kernels::FieldStatus::kOk) sum += c->u64[r];
  }
  return sum;
}

inline ReadResult ReadAll(InputFile file, ReadOptions options = {}) {
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
    // Whole lines, readable kernels::kPadding bytes past the end (ASan / the zero page check this).
    if (c->size > 0 && !c->last) {
      EXPECT_EQ(c->data[c->size - 1], '\n');
    }
    volatile uint8_t pad = c->data[c->size + kernels::kPadding - 1];
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
inline ReadResult ParseWhole(std::string text, const Format& format = Format::Default()) {
  ReadResult r;
  const size_t size = text.size();
  text.append(kernels::kPadding, '\0');
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
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string Write(const std::string& name, std::string_view bytes) const {
    const std::string path = root_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
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

}  // namespace flowsift::reader_test

#endif  // FLOWSIFT_TESTS_PIPELINE_READER_FIXTURE_H_
