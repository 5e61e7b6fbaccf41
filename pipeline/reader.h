// Reading one input file into chunks of whole lines: plain files memory-mapped, gzip through
// ISA-L, zstd through libzstd, stdin and pipes with read(). One FileReader is one unit of
// work; the run pipeline drives many of them in parallel, each from one thread at a time.
#ifndef FLOWSIFT_PIPELINE_READER_H_
#define FLOWSIFT_PIPELINE_READER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/format.h"
#include "pipeline/input.h"
#include "pipeline/parse_chunk.h"

namespace flowsift {

class MappedFile;
class BufferPool;

// Recognised by magic bytes, never by name: gzip 1f 8b, zstd 28 b5 2f fd, anything else text.
enum class Compression : uint8_t { kNone = 0, kGzip = 1, kZstd = 2 };
// "none", "gzip", "zstd".
std::string_view CompressionName(Compression c);
// The compression the first n bytes at p (at least 4 when the data has them) say.
Compression CompressionOf(const uint8_t* p, size_t n);

// How reading one file ended. Values are stable: they name the manifest's per-input status.
// Records read before a failure are kept (truncated, corrupt, shrank); the failures make the
// run exit 1 (SPEC 2.2), kOk and kEmpty do not.
enum class FileStatus : uint8_t {
  kOk = 0,                // read to the end (bad lines are counted by the parser, not here)
  kEmpty = 1,             // no bytes at all after decompression: nothing to read, not an error
  kNotFound = 2,          // the path does not exist (ENOENT)
  kPermissionDenied = 3,  // EACCES / EPERM
  kUnreadable = 4,        // another open or read error: a directory, ENOTDIR, EIO, ...
  kTruncated = 5,         // a gzip member or zstd frame is cut short by the end of the file
  kCorrupt = 6,           // invalid compressed data, a checksum mismatch, trailing garbage
  kShrank = 7,            // a memory-mapped file got shorter while it was being read
};
// Snake-case name: "ok", "empty", "not_found", "permission_denied", "unreadable", "truncated",
// "corrupt", "shrank".
std::string_view FileStatusName(FileStatus s);
// kNotFound for ENOENT, kPermissionDenied for EACCES / EPERM, kUnreadable for any other errno.
FileStatus StatusOfErrno(int error);
inline bool IsFailure(FileStatus s) { return s >= FileStatus::kNotFound; }

// `name` as one word of a POSIX shell command: as it is when it holds only characters no
// shell treats specially, else in single quotes (a quote in it as '\\''). For the commands
// flowsift prints to be pasted (a reader's hint, the demo's `try:` and `rm -r` lines).
std::string ShellQuote(const std::string& name);

struct FileOutcome {
  std::string path;  // as listed; "-" for stdin
  FileStatus status = FileStatus::kOk;
  // Empty for kOk; otherwise one line naming the file, what happened and where, e.g.
  // "a.log.gz: truncated: gzip member 1 ends early at compressed byte 4096".
  std::string message;
  Compression compression = Compression::kNone;
  uint64_t disk_bytes = 0;     // bytes read from the file (its size when mapped)
  uint64_t data_bytes = 0;     // bytes after decompression, header and skipped lines included
  uint64_t dropped_bytes = 0;  // an incomplete last line cut off by a failure: not parsed
  uint64_t members = 0;        // complete gzip members or zstd frames
  uint64_t chunks = 0;         // chunks handed out, the last (possibly empty) one included
  uint64_t skipped_lines = 0;  // lines the reader skipped as too long
  std::shared_ptr<const Format> header;  // the file's header line, or null (default used)
  // The header line was AWS's log-format string (`${version} ${account-id} ...`), read as the
  // names it lists (run notes it).
  bool header_log_format = false;
  // The first header line of the file, at its start or inside it (files joined), that names a
  // field twice (read with the field's first column; run notes it), and that line's offset in
  // the decompressed file; null when none does.
  std::shared_ptr<const Format> doubled_header;
  uint64_t doubled_header_offset = 0;
};

// A mapped file's chunk from byte `from` on was dropped after its reader had finished with it:
// the file was cut before the chunk was parsed (Chunk::Damaged). Makes `outcome` say so:
// `shrank` when it was no failure, and a message that names `from` when it named a later byte
// ("lines from byte N on are not read").
void NoteDroppedFrom(FileOutcome& outcome, uint64_t from);

// A line the reader skipped because it could not hold it (LineError::kLineTooLong): longer
// than kMaxLineBytes with no newline in its first kMaxLineBytes bytes. All of a chunk's
// reader errors come before its data[0]; `index` places the line among the chunk's
// `lines_before` lines (LineNumbers below turns it into a line number).
struct ReaderLineError {
  uint64_t offset = 0;  // of the line's first byte in the decompressed file
  uint64_t bytes = 0;   // length without the newline
  uint32_t index = 0;   // 0 .. lines_before - 1
  LineError reason = LineError::kLineTooLong;
  std::string head;  // its first kLineHeadBytes bytes, for the bad-line samples
};
inline constexpr size_t kLineHeadBytes = 200;

// Whole lines of one file: data[0, size) ends with '\n' except at the end of the file, and is
// readable to size + kernels::kPadding. Every file, even one that cannot be opened, yields at
// least one chunk; the last one has `last` set and carries the file's outcome, and may be
// empty (size 0). Line numbers are not counted here (that would cost a pass over the bytes):
// the parser counts each chunk's lines and LineNumbers adds them up.
struct Chunk {
  uint32_t file = 0;  // index in the input list
  uint32_t seq = 0;   // 0, 1, 2 ... within the file
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::shared_ptr<const Format> format;  // the header above data[0], or the default / --format
  uint64_t offset = 0;                   // of data[0] in the decompressed file
  uint32_t lines_before = 0;  // lines consumed by the reader between the previous chunk's data
                              // and data[0]: the header line, lines skipped as too long
  // Of lines_before: header lines with another field order than the file's so far, which
  // switched `format` (FileReader reads a file of several formats joined, each line by the
  // header above it).
  uint32_t header_lines = 0;
  std::vector<ReaderLineError> reader_errors;
  std::shared_ptr<const void> keepalive;  // owns the bytes (mapping or buffer)
  const MappedFile* mapped = nullptr;     // the mapping data points into, or null
  bool last = false;
  std::shared_ptr<const FileOutcome> outcome;  // set on the last chunk only

  // True when some of data[0, size) was zero-filled because the file shrank while mapped.
  // A race the reader's size checks cannot close (the file shrinks after the chunk was handed
  // out and before it was parsed): call it after parsing and drop the batch if it says so.
  bool Damaged() const;
};

// Absolute line numbers for one file's chunks, fed in seq order by one serial consumer.
class LineNumbers {
 public:
  // 1-based line number of chunk.data[0].
  uint64_t FirstLine(const Chunk& c) const { return done_ + c.lines_before + 1; }
  // 1-based line number of one of c.reader_errors.
  uint64_t LineOf(const ReaderLineError& e) const { return done_ + e.index + 1; }
  // After the chunk: `parsed_lines` is ParsedBatch::lines of its data.
  void Advance(const Chunk& c, uint64_t parsed_lines) { done_ += c.lines_before + parsed_lines; }
  // Lines of the file so far.
  uint64_t lines() const { return done_; }

 private:
  uint64_t done_ = 0;
};

// The default chunk size (ReadOptions, GraphOptions).
inline constexpr size_t kChunkBytes = size_t{4} << 20;

struct ReadOptions {
  // Target chunk size: a chunk holds the whole lines within its first chunk_bytes bytes, or
  // one longer line of up to kMaxLineBytes. Any value >= 1 works (tests use tiny ones).
  size_t chunk_bytes = kChunkBytes;
  // Plain regular files over kReadWholeBytes (256 KiB) and one chunk: false, read() into
  // chunk buffers (256 KiB at a time into a small buffer, then copied, so the chunk is in the
  // cache when it is parsed); true, memory-mapped (chunks are views of the mapping). On the
  // PVM guests of our benchmarks each new page of a mapping costs the hypervisor ~2-3 us
  // (shadow page tables): reading 1 GiB of v2 took 0.92-0.94x the wall time of mapping it on
  // two threads, v5 0.90x (docs/performance-history.md, "Fortieth session"). Either way a
  // file is read as it was when opened: bytes appended later are not, and a file that gets
  // shorter stops with FileStatus::kShrank.
  bool map_files = false;
  // The chunk size for a memory-mapped file (its chunks are views of the mapping, so their
  // size costs no buffer); 0 = chunk_bytes.
  size_t mapped_chunk_bytes = 0;
  // Format of files without a header line (--format); null = Format::Default().
  std::shared_ptr<const Format> format;
  bool detect_header = true;
  size_t read_bytes = size_t{256} << 10;  // read() size for compressed files and pipes
  // Chunk buffers shared by the readers of a run (SharedChunkBuffers); null: each reader
  // keeps a few of its own, freed when its file is done.
  std::shared_ptr<BufferPool> buffers;
  // Read and decompressed chunks may grow up to this size (0 = chunk_bytes): their buffers are
  // made this large, and only the part a chunk fills is ever touched.
  size_t max_chunk_bytes = 0;
  // When set, the target size of read and decompressed chunks from now on (at most
  // max_chunk_bytes; chunk_bytes when 0), read once for each chunk: a run raises it while it
  // reads (the graph, for chunks of many interfaces). Mapped chunks keep mapped_chunk_bytes.
  const std::atomic<size_t>* chunk_target = nullptr;
};

// A pool of the chunk buffers that readers made with `options` fill (read() and decompressed
// files), for every reader of a run to share, keeping up to `max_free` buffers not in use. A
// buffer handed back to the allocator returns as fresh pages, each a fault and a clear when
// first touched (several microseconds a 4 KiB page on the PVM guests of our benchmarks); the
// pool lets a run reuse the same few buffers from its first file to its last.
std::shared_ptr<BufferPool> SharedChunkBuffers(const ReadOptions& options, size_t max_free);

class FileReader {
 public:
  FileReader(uint32_t index, InputFile file, ReadOptions options);
  ~FileReader();
  FileReader(FileReader&&) noexcept;
  FileReader& operator=(FileReader&&) noexcept;

  // The next chunk, or nullopt once the last one was returned. Opens the file on the first
  // call. Never throws: every failure ends the file with a status in the last chunk.
  std::optional<Chunk> Next();
  // The outcome so far; final once the last chunk was returned.
  const FileOutcome& outcome() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_READER_H_
