// FileReader on how bytes reach it: open failures as statuses; gzip members and zstd frames
// (headers across reads, skippable frames, windows over the limit, truncated and corrupt data);
// stdin, pipes and FIFOs; small files read whole and large ones read or mapped, with their
// buffers shared across a run; files that shrink or grow while read, and MappedFile's
// zero-filled pages. What the text becomes (chunks, headers, formats): reader_test.cc.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "kernels/types.h"
#include "pipeline/input.h"
#include "pipeline/mapped_file.h"
#include "pipeline/parse_chunk.h"
#include "pipeline/reader.h"
#include "tests/pipeline/reader_fixture.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using kernels::kPadding;
using reader_test::Count;
using reader_test::Gzip;
using reader_test::ReadAll;
using reader_test::ReaderTest;
using reader_test::ReadResult;
using reader_test::Records;
using reader_test::WithHeaderFields;
using reader_test::Zstd;

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
