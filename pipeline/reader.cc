#include "pipeline/reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>

#include "kernels/split.h"
#include "kernels/types.h"
#include "pipeline/decode_internal.h"
#include "pipeline/line_shape.h"
#include "pipeline/mapped_file.h"
#include "pipeline/temporaries.h"

namespace flowsift {
namespace {

using decode_internal::CutInMagic;
using decode_internal::Decoder;
using decode_internal::ErrnoText;
using decode_internal::Fault;
using decode_internal::OtherFormat;
using decode_internal::OtherFormatOf;
using decode_internal::Produced;
using decode_internal::RawInput;
using kernels::kPadding;

// The data of empty chunks: readable for kPadding bytes like any other.
alignas(64) const uint8_t kEmptyData[kPadding] = {};

// Plain files up to this size (and one chunk) are read, not mapped (FileReader::Impl::ReadWhole):
// copying 256 KiB takes ~25 us here, under what a mapping's system calls cost.
constexpr uint64_t kReadWholeBytes = uint64_t{256} << 10;

}  // namespace

// Chunk buffers of one size, recycled once every chunk viewing them is released: one reader's,
// or a run's (SharedChunkBuffers). Shared with the chunks' keepalive deleters, so it outlives
// the readers when chunks do.
class BufferPool {
 public:
  // Room for every free buffer from the start: Put runs in a deleter, which must not throw,
  // and a push_back that allocated threw std::bad_alloc under a memory limit (terminate).
  explicit BufferPool(size_t bytes, size_t max_free = kMaxFree)
      : bytes_(bytes), max_free_(max_free) {
    free_.reserve(max_free_);
  }
  ~BufferPool() {
    for (uint8_t* b : free_) std::free(b);
  }
  size_t bytes() const { return bytes_; }

  static std::shared_ptr<uint8_t> Get(const std::shared_ptr<BufferPool>& pool) {
    uint8_t* b = nullptr;
    {
      std::lock_guard<std::mutex> lock(pool->mutex_);
      if (!pool->free_.empty()) {
        b = pool->free_.back();
        pool->free_.pop_back();
      }
    }
    if (b == nullptr) {
      b = static_cast<uint8_t*>(std::aligned_alloc(64, (pool->bytes_ + 63) & ~size_t{63}));
      if (b == nullptr) ExitOutOfMemory();
    }
    return std::shared_ptr<uint8_t>(b, [pool](uint8_t* p) { pool->Put(p); });
  }

 private:
  void Put(uint8_t* b) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.size() < max_free_) {
      free_.push_back(b);
    } else {
      std::free(b);
    }
  }
  static constexpr size_t kMaxFree = 4;
  const size_t bytes_;
  const size_t max_free_;
  std::mutex mutex_;
  std::vector<uint8_t*> free_;
};

namespace {

enum class CutKind { kChunk, kTooLong, kNeedMore };
struct Cut {
  CutKind kind;
  size_t size = 0;
};

// Where the next chunk of p[0, n) ends. `end` = no byte follows p[n - 1]. A line is too long
// when its first kMaxLineBytes bytes hold no newline and more bytes follow them (the parser's
// rule: a last line of exactly kMaxLineBytes bytes without a newline is still parsed).
Cut CutLines(const uint8_t* p, size_t n, bool end, size_t target) {
  if (n == 0) return {CutKind::kNeedMore};
  if (n <= target) {
    if (end) return {CutKind::kChunk, n};
    if (n <= kMaxLineBytes) return {CutKind::kNeedMore};
    // A full window whose front went to a header or an earlier chunk: refilling would copy
    // megabytes, so take its whole lines as they are.
    if (const void* nl = memrchr(p, '\n', n)) {
      return {CutKind::kChunk, static_cast<size_t>(static_cast<const uint8_t*>(nl) - p) + 1};
    }
    return {CutKind::kTooLong};
  } else if (const void* nl = memrchr(p, '\n', target)) {
    return {CutKind::kChunk, static_cast<size_t>(static_cast<const uint8_t*>(nl) - p) + 1};
  }
  // No newline in the first `target` bytes (or fewer than `target` bytes so far).
  if (const void* nl = memchr(p, '\n', std::min(n, kMaxLineBytes))) {
    return {CutKind::kChunk, static_cast<size_t>(static_cast<const uint8_t*>(nl) - p) + 1};
  }
  if (n > kMaxLineBytes) return {CutKind::kTooLong};
  if (end) return {CutKind::kChunk, n};
  return {CutKind::kNeedMore};
}

// A stream reader's window: one byte more than a line may hold, so a full window always
// decides (CutLines).
size_t WindowBytes(size_t chunk_bytes) {
  return std::max(std::max<size_t>(chunk_bytes, 1), kMaxLineBytes) + 1;
}

// The largest chunk a reader with `options` makes from a stream.
size_t MaxStreamChunk(const ReadOptions& options) {
  return std::max(options.chunk_bytes, options.max_chunk_bytes);
}

}  // namespace

std::string ShellQuote(const std::string& name) {
  if (!name.empty() && name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                              "0123456789._/-+:=,@%") == std::string::npos) {
    return name;
  }
  std::string out = "'";
  for (const char c : name) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::shared_ptr<BufferPool> SharedChunkBuffers(const ReadOptions& options, size_t max_free) {
  return std::make_shared<BufferPool>(WindowBytes(MaxStreamChunk(options)) + kPadding, max_free);
}

FileStatus StatusOfErrno(int error) {
  switch (error) {
    case ENOENT:
      return FileStatus::kNotFound;
    case EACCES:
    case EPERM:
      return FileStatus::kPermissionDenied;
    default:
      return FileStatus::kUnreadable;
  }
}

std::string_view FileStatusName(FileStatus s) {
  switch (s) {
    case FileStatus::kOk:
      return "ok";
    case FileStatus::kEmpty:
      return "empty";
    case FileStatus::kNotFound:
      return "not_found";
    case FileStatus::kPermissionDenied:
      return "permission_denied";
    case FileStatus::kUnreadable:
      return "unreadable";
    case FileStatus::kTruncated:
      return "truncated";
    case FileStatus::kCorrupt:
      return "corrupt";
    case FileStatus::kShrank:
      return "shrank";
  }
  return "?";
}

// A shrunk file's error after its "path: shrank: ": its size when opened and now (`now`: "N
// bytes now" or "size now unknown"), and the byte whose lines on are not read.
namespace {
std::string ShrankText(uint64_t opened, const std::string& now, uint64_t from) {
  return "file shrank while being read (" + std::to_string(opened) + " bytes when opened, " + now +
         "); lines from byte " + std::to_string(from) + " on are not read";
}
// A mapped file whose page failed (`at`: " at byte N", or "" when not known) though it is as
// long as when opened: its error after "path: unreadable: ".
std::string PageFailedText(const std::string& at, const std::string& now, uint64_t from) {
  return "a page of the mapped file could not be read" + at +
         " (an I/O error, or the file was cut and grown again; it is " + now +
         "); lines from byte " + std::to_string(from) +
         " on are not read (without --mmap the read names the error)";
}
}  // namespace

void NoteDroppedFrom(FileOutcome& outcome, uint64_t from) {
  static constexpr std::string_view kFrom = "lines from byte ";
  const std::string at = std::to_string(from);
  if (!IsFailure(outcome.status)) {
    struct stat st;
    const bool known = stat(outcome.path.c_str(), &st) == 0;
    const std::string now = known ? std::to_string(st.st_size) + " bytes now" : "size now unknown";
    if (known && static_cast<uint64_t>(st.st_size) >= outcome.disk_bytes) {
      // Not shorter: a page failed (EIO), or the file was cut and grown again, as the reader
      // says of a zero-filled page (it was "shrank (N bytes when opened, N bytes now)").
      outcome.status = FileStatus::kUnreadable;
      outcome.message = outcome.path + ": unreadable: " + PageFailedText("", now, from);
      return;
    }
    outcome.status = FileStatus::kShrank;
    outcome.message = outcome.path + ": shrank: " + ShrankText(outcome.disk_bytes, now, from);
    return;
  }
  const size_t pos = outcome.message.rfind(kFrom);
  if (pos == std::string::npos) return;
  const size_t begin = pos + kFrom.size();
  size_t end = begin;
  while (end < outcome.message.size() && outcome.message[end] >= '0' &&
         outcome.message[end] <= '9') {
    ++end;
  }
  if (end == begin || std::stoull(outcome.message.substr(begin, end - begin)) <= from) return;
  outcome.message.replace(begin, end - begin, at);
}

bool Chunk::Damaged() const {
  return mapped != nullptr && mapped->ZeroFilledFrom() < offset + size;
}

class FileReader::Impl {
 public:
  Impl(uint32_t index, InputFile file, ReadOptions options)
      : index_(index), file_(std::move(file)), options_(std::move(options)) {
    options_.chunk_bytes = std::max<size_t>(options_.chunk_bytes, 1);
    format_ = options_.format;
    outcome_.path = file_.path;
    window_bytes_ = WindowBytes(MaxStreamChunk(options_));
  }
  ~Impl() {
    if (fd_ >= 0 && file_.fd < 0) close(fd_);
  }

  const FileOutcome& outcome() const { return outcome_; }

  std::optional<Chunk> Next() {
    if (finished_) return std::nullopt;
    try {
      std::optional<Chunk> chunk = Step();
      // A stream's bytes read so far (Finish sets the last count): the progress display's
      // bytes of a .gz or .zst file (pipeline/graph.cc), which stayed at 0 until its end, the
      // bar at 0% through a single compressed input.
      if (raw_ && opened_size_ == 0) outcome_.disk_bytes = raw_->total();
      return chunk;
    } catch (const std::exception& e) {
      Fail(FileStatus::kUnreadable, std::string("internal error: ") + e.what());
    } catch (...) {
      Fail(FileStatus::kUnreadable, "internal error");
    }
    return Final();
  }

 private:
  std::optional<Chunk> Step() {
    if (!started_) {
      started_ = true;
      if (!format_) format_ = std::make_shared<const Format>(Format::Default());
      if (!Open()) return Final();
      CheckHeader();
    }
    for (;;) {
      // A plain file (mapped or read) is checked before its bytes are looked at: once it is
      // shorter than when it was opened its contents are not trusted (a rewrite, copytruncate
      // rotation). One fstat a chunk.
      if ((mapped_ || opened_size_ != 0) && !StillWhole()) {
        Shrank(offset_);
        return Final();
      }
      const size_t target = !mapped_                           ? StreamTarget()
                            : options_.mapped_chunk_bytes != 0 ? options_.mapped_chunk_bytes
                                                               : options_.chunk_bytes;
      const Cut cut = CutLines(window_ + begin_, len_ - begin_, done_, target);
      switch (cut.kind) {
        case CutKind::kChunk: {
          size_t size = cut.size;
          if (done_ && size == len_ - begin_) {  // to the file's end: its last line may be CRs'
            const void* nl = memrchr(window_ + begin_, '\n', size);
            const size_t tail = nl ? static_cast<const uint8_t*>(nl) - (window_ + begin_) + 1 : 0;
            if (tail < size && CrAloneFrom(tail, true)) {
              if (tail == 0) break;
              size = tail;
            }
          }
          if (std::optional<Chunk> c = Emit(size)) return c;
          break;  // a header line with another field order, or a byte order mark, was
                  // consumed: cut again
        }
        case CutKind::kTooLong:
          if (CrAloneFrom(0, done_)) break;
          SkipLongLine();
          break;
        case CutKind::kNeedMore:
          if (done_) return Final();
          Fill();
          break;
      }
    }
  }

  std::string Name() const { return file_.path == "-" ? "stdin" : file_.path; }

  void Fail(FileStatus status, std::string message) {
    if (IsFailure(outcome_.status)) return;  // the first failure is the one to report
    outcome_.status = status;
    outcome_.message = Name() + ": " + FileStatusName(status).data() + ": " + message;
  }

  bool Open() {
    if (file_.fd >= 0) {
      fd_ = file_.fd;
      return OpenStream();
    }
    // O_NONBLOCK: opening a FIFO without a writer must not hang the run (it then reads as
    // empty); RawInput turns blocking back on if a read would wait.
    fd_ = open(file_.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd_ < 0) {
      const int error = errno;
      // An object's URL (s3://bucket/key) given as a path: say that only files are read.
      const bool url = error == ENOENT && file_.path.find("://") != std::string::npos;
      // Out of descriptors: the process's limit (a few inputs at a time are open, with OUT's
      // files and the threads'), or the system's; say which to raise.
      const char* limit = error == EMFILE
                              ? " (the process's limit of open files: raise `ulimit -n`)"
                          : error == ENFILE ? " (the system's limit of open files: fs.file-max)"
                                            : "";
      Fail(StatusOfErrno(error),
           "cannot open: " + ErrnoText(error) +
               (url ? " (flowsift reads files, not URLs: copy the objects first, e.g. `aws s3 "
                      "sync s3://BUCKET/PREFIX logs/`, and run on logs/)"
                    : limit));
      return false;
    }
    struct stat st;
    if (fstat(fd_, &st) != 0) {
      const int error = errno;
      Fail(StatusOfErrno(error), "cannot stat: " + ErrnoText(error));
      return false;
    }
    if (S_ISDIR(st.st_mode)) {
      Fail(FileStatus::kUnreadable, "cannot read: " + ErrnoText(EISDIR));
      return false;
    }
    if (!S_ISREG(st.st_mode)) return OpenStream();
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size == 0) {
      done_ = true;
      return true;
    }
    uint8_t magic[4] = {};
    const ssize_t got = pread(fd_, magic, sizeof magic, 0);
    if (got < 0) {
      const int error = errno;
      Fail(StatusOfErrno(error), "read error: " + ErrnoText(error));
      return false;
    }
    if (const char* kind = CutInMagic(file_.path, magic, static_cast<size_t>(got))) {
      // 1-3 bytes of a gzip or zstd magic number, and nothing after them: read as text they
      // were an "ok" file of one bad line, a failed download passed as a quiet night.
      Fail(FileStatus::kTruncated, std::to_string(got) + " byte" + (got == 1 ? "" : "s") +
                                       ", the start of a " + kind +
                                       " header and nothing more (a copy or download that "
                                       "failed?)");
      return false;
    }
    if (CompressionOf(magic, static_cast<size_t>(got)) != Compression::kNone) {
      // Read as it was when opened, like a plain file: the read that would only find the end
      // is not made (a system call a file, ~1.5 us on our VMs; most S3 objects are one read).
      read_limit_ = size;
      return OpenStream();
    }
    if (size <= std::min<uint64_t>(options_.chunk_bytes, kReadWholeBytes)) return ReadWhole(size);
    if (!options_.map_files) {
      // The size when opened bounds the read and is checked like a mapping's (StillWhole).
      opened_size_ = size;
      outcome_.disk_bytes = size;
      return OpenStream();
    }
    int error = 0;
    std::unique_ptr<MappedFile> map = MappedFile::Map(fd_, size, &error);
    if (!map) return OpenStream();  // e.g. a file system without mmap: read() it instead
    mapped_ = std::shared_ptr<const MappedFile>(std::move(map));
    window_ = mapped_->data();
    len_ = size;
    done_ = true;
    outcome_.disk_bytes = size;
    outcome_.data_bytes = size;
    return true;
  }

  // A plain file of one chunk at most is read whole into a buffer of its size. For a file of a
  // few KB, mapping it costs ten times the copy: mmap, MADV_POPULATE_READ, and a munmap that
  // interrupts every other core to flush its TLB (10,000 files of 6 KB on two threads: 39% of
  // the run in those three calls). Like a mapping, the buffer holds the `size` bytes of when
  // the file was opened; a file that is shorter by the time it is read has shrunk.
  bool ReadWhole(uint64_t size) {
    pool_ = std::make_shared<BufferPool>(size + kPadding);
    std::shared_ptr<uint8_t> buf = BufferPool::Get(pool_);
    uint64_t got = 0;
    while (got < size) {
      const ssize_t n = pread(fd_, buf.get() + got, size - got, static_cast<off_t>(got));
      if (n > 0) {
        got += static_cast<uint64_t>(n);
      } else if (n == 0) {
        break;
      } else if (errno != EINTR) {
        const int error = errno;
        Fail(StatusOfErrno(error), "read error: " + ErrnoText(error));
        return false;
      }
    }
    outcome_.disk_bytes = size;
    done_ = true;
    if (got < size) {  // nothing is read of it, as of a mapped file that shrank before its chunk
      Shrank(0);
      return false;
    }
    std::memset(buf.get() + size, 0, kPadding);
    buffer_ = std::move(buf);
    window_ = buffer_.get();
    len_ = size;
    outcome_.data_bytes = size;
    return true;
  }

  bool OpenStream() {
    raw_ = std::make_unique<RawInput>(fd_, options_.read_bytes,
                                      opened_size_ != 0 ? opened_size_ : read_limit_);
    raw_->Want(4);
    outcome_.compression = CompressionOf(raw_->data(), raw_->avail());
    decoder_ = decode_internal::MakeDecoder(outcome_.compression, raw_.get());
    if (options_.buffers && options_.buffers->bytes() == window_bytes_ + kPadding) {
      pool_ = options_.buffers;
    } else {
      pool_ = std::make_shared<BufferPool>(window_bytes_ + kPadding);
    }
    Fill();
    return true;
  }

  // The target size of the next chunk of a stream (ReadOptions::chunk_target).
  size_t StreamTarget() const {
    if (options_.chunk_target == nullptr) return options_.chunk_bytes;
    const size_t t = options_.chunk_target->load(std::memory_order_relaxed);
    return std::clamp<size_t>(t == 0 ? options_.chunk_bytes : t, 1, MaxStreamChunk(options_));
  }

  // Stream files: moves the unconsumed tail of the window to the front of a buffer no chunk
  // uses and reads until the window holds what the next chunk needs (WindowBytes of its
  // target; the buffer may be larger, ReadOptions::max_chunk_bytes) or the stream ends.
  void Fill() {
    const size_t carry = len_ - begin_;
    if (!buffer_ || buffer_shared_) {
      std::shared_ptr<uint8_t> fresh = BufferPool::Get(pool_);
      if (carry > 0) std::memcpy(fresh.get(), window_ + begin_, carry);
      buffer_ = std::move(fresh);
      buffer_shared_ = false;
    } else if (begin_ > 0) {
      std::memmove(buffer_.get(), buffer_.get() + begin_, carry);
    }
    window_ = buffer_.get();
    uint8_t* buf = buffer_.get();
    begin_ = 0;
    len_ = carry;
    // At most window_bytes_ (StreamTarget is clamped to max_chunk_bytes); at least the carry: a
    // target lowered since the last fill must not cut the window short.
    const size_t fill = std::max(WindowBytes(StreamTarget()), carry);
    while (len_ < fill && !done_) {
      size_t n = 0;
      Fault fault;
      const Produced p = decoder_->Produce(buf + len_, fill - len_, &n, &fault);
      len_ += n;
      outcome_.data_bytes += n;
      if (p == Produced::kEnd) done_ = true;
      if (p == Produced::kError) {
        done_ = true;
        // Keep the complete lines before the failure; the partial last one is not a record.
        const void* nl = memrchr(buf, '\n', len_);
        const size_t keep = nl ? static_cast<const uint8_t*>(nl) - buf + 1 : 0;
        outcome_.dropped_bytes = len_ - keep;
        len_ = keep;
        std::string where = fault.message;
        if (fault.filter != nullptr) {
          where += ": decompress it first, e.g. " + Remedy(fault.filter, nullptr);
        }
        if (outcome_.dropped_bytes > 0) {
          where += "; the incomplete line at byte " + std::to_string(offset_ + keep) + " (" +
                   std::to_string(outcome_.dropped_bytes) +
                   (outcome_.dropped_bytes == 1 ? " byte) is dropped" : " bytes) is dropped");
        }
        Fail(fault.status, where);
      }
    }
    std::memset(buf + len_, 0, kPadding);
  }

  // Lines ended by CR alone from window_[begin_ + at] on, below lines ended by newlines (`cat
  // unix.log mac.log`): to the cutter they were one line, the rest of the file, and so one
  // line_too_long (or control_character) bad line of an "ok" file. The file fails from there as
  // such a file does at its start (CheckHeader), the records above kept: true if so.
  bool CrAloneFrom(size_t at, bool whole) {
    if (!LinesEndInCrAlone(window_ + begin_ + at, len_ - begin_ - at, whole, kMaxLineBytes)) {
      return false;
    }
    Fail(FileStatus::kUnreadable, "from byte " + std::to_string(offset_ + at) +
                                      " its lines end in CR alone" + CrAloneAdvice());
    len_ = begin_ + at;
    done_ = true;
    return true;
  }

  // The command that undoes the file's own compression, if it has one.
  const char* OuterFilter() const {
    return outcome_.compression == Compression::kGzip   ? "zcat"
           : outcome_.compression == Compression::kZstd ? "zstdcat"
                                                        : nullptr;
  }

  // What to do with lines ended by CR alone: " (classic Mac OS line ends), which ...: e.g. `tr`".
  std::string CrAloneAdvice() const {
    const char* outer = OuterFilter();
    return " (classic Mac OS line ends), which flowsift does not read: turn them into newlines, "
           "e.g. " +
           Remedy(outer != nullptr ? outer : "tr '\\r' '\\n'",
                  outer != nullptr ? "tr '\\r' '\\n'" : nullptr);
  }

  // The remedy as a shell command: this file's bytes through `first` (and `then`) into
  // flowsift. The file's name is quoted for the shell; stdin's bytes come from whatever fed
  // this run ("...").
  std::string Remedy(const std::string& first, const char* then) const {
    std::string command = file_.path == "-" ? "... | " + first : first + " < " + ShellQuote(Name());
    if (then != nullptr) command += std::string(" | ") + then;
    return "`" + command + " | flowsift run - ...`";
  }

  // A header line is consumed here; the parser never sees it. So is a UTF-8 byte order mark
  // (EF BB BF) that an editor on Windows puts first: it would hide the header line, or make the
  // first record a bad line. Offsets still count it.
  void CheckHeader() {
    // Data flowsift does not read fails, saying what it is and what to do, and nothing of it is
    // parsed: read as text, it was thousands of binary bad lines of an "ok" file.
    const auto refuse = [&](const std::string& why) {
      Fail(FileStatus::kUnreadable, why);
      begin_ = len_;
      done_ = true;
    };
    const char* outer = OuterFilter();
    // Compressed twice (an object gzipped again on upload).
    if (outer != nullptr) {
      const Compression inner = CompressionOf(window_ + begin_, len_ - begin_);
      if (inner != Compression::kNone) {
        refuse(std::string("its decompressed data is ") +
               (inner == Compression::kGzip ? "gzip" : "zstd") +
               (inner == outcome_.compression ? " again" : "") +
               " (compressed twice): decompress it once, e.g. " + Remedy(outer, nullptr));
        return;
      }
    }
    if (const OtherFormat* other = OtherFormatOf(window_ + begin_, len_ - begin_)) {
      // Through the outer decompressor first when it is inside one (bzip2 in gzip).
      const std::string what = other->filter == nullptr
                                   ? (outer == nullptr ? std::string(other->advice)
                                                       : std::string("decompress it (") + outer +
                                                             "), then " + other->advice)
                               : outer == nullptr ? Remedy(other->filter, nullptr)
                                                  : Remedy(outer, other->filter);
      refuse(std::string(outer != nullptr ? "its decompressed data is " : "it is ") + other->name +
             ", which flowsift does not read: " + what);
      return;
    }
    if (len_ - begin_ >= kUtf8BomBytes &&
        std::memcmp(window_ + begin_, kUtf8Bom, kUtf8BomBytes) == 0) {
      begin_ += kUtf8BomBytes;
      offset_ += kUtf8BomBytes;
    }
    // Lines ended by CR alone are one line to the cutter: a file of them was one line_too_long
    // bad line of an "ok" file (or, under 64 KiB, one control_character line), no record read.
    if (LinesEndInCrAlone(window_ + begin_, len_ - begin_, done_, kMaxLineBytes)) {
      refuse("its lines end in CR alone" + CrAloneAdvice());
      return;
    }
    if (!options_.detect_header) return;
    // Blank lines above the header (an editor's, or a header pasted below one) are consumed
    // with it, so that it is the file's header (the manifest's `header`), as at the top.
    uint32_t blank_lines = 0;
    const size_t blanks =
        BlankLinesPrefix(window_ + begin_, len_ - begin_, kMaxLineBytes, &blank_lines);
    const uint8_t* p = window_ + begin_ + blanks;
    const size_t n = len_ - begin_ - blanks;
    size_t line = 0, consumed = 0;
    if (const void* nl = memchr(p, '\n', std::min(n, kMaxLineBytes))) {
      line = static_cast<const uint8_t*>(nl) - p;
      consumed = line + 1;
    } else if (done_ && n > 0 && n <= kMaxLineBytes) {
      line = consumed = n;
    } else {
      return;
    }
    std::string_view text(reinterpret_cast<const char*>(p), line);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    std::optional<Format> header = Format::FromHeaderLine(text);
    if (!header) {
      // The log format as the console shows it, pasted above the records: its names.
      header = Format::FromLogFormatLine(text);
      if (!header) return;
      outcome_.header_log_format = true;
    }
    begin_ += blanks;
    offset_ += blanks;
    lines_before_ += blank_lines;
    UseHeader(std::move(*header), consumed);
    outcome_.header = format_;
  }

  // The header line at window_[begin_], `consumed` bytes with its newline, is consumed: the
  // file's format from the next line on.
  void UseHeader(Format format, size_t consumed) {
    format_ = std::make_shared<const Format>(std::move(format));
    // One that names a field twice is noted by run, inside the file as at its start.
    if (!outcome_.doubled_header && format_->FirstRepeat()) {
      outcome_.doubled_header = format_;
      outcome_.doubled_header_offset = offset_;
    }
    begin_ += consumed;
    offset_ += consumed;
    ++lines_before_;
  }

  // A header line inside the file that names another field order (`cat a.log b.log` of two
  // formats, gzip members or zstd frames of different files joined): the lines after it are
  // in its format. Its offset in p[0, n) (whole lines), or n if there is none; *other gets its
  // format and *bytes its length with the newline. Lines that start with a lowercase letter are the
  // candidates (kernels:: FindHeaderLineStart, one vector pass: no data line of the AWS presets
  // is one); a candidate is a header when every word of it starts with a lowercase letter, as
  // field names do, and Format::FromHeaderLine takes it (names it does not know included, as
  // at the start of a file). A data line that starts with a word (flow-direction, interface-id)
  // has a number or an address by its second or third word. A header of the current format is
  // left to the parser, which counts it.
  static bool EveryWordStartsLowercase(const uint8_t* line, size_t n) {
    bool word_start = true;
    for (size_t i = 0; i < n && line[i] != '\n'; ++i) {
      const uint8_t c = line[i];
      if (c == ' ' || c == '\t' || c == '\r') {
        word_start = true;
      } else if (word_start) {
        if (c < 'a' || c > 'z') return false;
        word_start = false;
      }
    }
    return true;
  }

  // Also a UTF-8 byte order mark at a line's start (`cat a.log b.log`, b.log saved by Notepad; a
  // gzip member or zstd frame of such a file): its offset, *other left empty and *bytes its 3
  // bytes. The chunk ends before it and it is skipped, as at the file's start: it hid the header
  // after it (the lines below then read by the format above) or made the record after it a bad
  // line. The same vector pass finds it (kernels::kBomFirstByte), so it costs the chunks nothing.
  size_t FindOtherHeader(const uint8_t* p, size_t n, std::optional<Format>* other,
                         size_t* bytes) const {
    const auto candidate = [](uint8_t c) {
      return (c >= 'a' && c <= 'z') || c == kernels::kBomFirstByte;
    };
    size_t i = n != 0 && candidate(p[0]) ? 0 : kernels::FindHeaderLineStart(p, n);
    while (i < n) {
      const uint8_t* line = p + i;
      if (n - i >= kUtf8BomBytes && std::memcmp(line, kUtf8Bom, kUtf8BomBytes) == 0) {
        other->reset();
        *bytes = kUtf8BomBytes;
        return i;
      }
      if (EveryWordStartsLowercase(line, n - i)) {
        const void* nl = memchr(line, '\n', n - i);
        const size_t len = nl ? static_cast<const uint8_t*>(nl) - line : n - i;
        std::string_view text(reinterpret_cast<const char*>(line), len);
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        std::optional<Format> header = Format::FromHeaderLine(text);
        if (header && !(*header == *format_)) {
          *other = std::move(header);
          *bytes = nl ? len + 1 : len;
          return i;
        }
      }
      i += kernels::FindHeaderLineStart(line, n - i);
    }
    return n;
  }

  // The window starts at a line with no newline in its first kMaxLineBytes bytes: drops it up
  // to and including its newline, reading through as many windows as it spans.
  void SkipLongLine() {
    const uint64_t start = offset_;
    // The window holds at least kMaxLineBytes of the line.
    std::string head(reinterpret_cast<const char*>(window_ + begin_),
                     std::min(kLineHeadBytes, len_ - begin_));
    size_t scan = begin_ + kMaxLineBytes;
    for (;;) {
      if (const void* nl = memchr(window_ + scan, '\n', len_ - scan)) {
        const size_t end = static_cast<const uint8_t*>(nl) - window_;
        offset_ += end - begin_;
        begin_ = end + 1;
        reader_errors_.push_back(
            {start, offset_ - start, lines_before_++, LineError::kLineTooLong, std::move(head)});
        ++offset_;
        break;
      }
      offset_ += len_ - begin_;
      begin_ = len_;
      if (done_) {
        reader_errors_.push_back(
            {start, offset_ - start, lines_before_++, LineError::kLineTooLong, std::move(head)});
        break;
      }
      Fill();
      scan = begin_;
    }
    ++outcome_.skipped_lines;
  }

  std::optional<Chunk> Emit(size_t size) {
    if (mapped_ && !Intact(offset_, size)) return Final();
    if (options_.detect_header) {
      std::optional<Format> other;
      size_t bytes = 0;
      const size_t at = FindOtherHeader(window_ + begin_, size, &other, &bytes);
      if (at == 0) {
        if (other) {
          UseHeader(std::move(*other), bytes);
          ++header_lines_;
        } else {  // a byte order mark: skipped, as at the file's start (FindOtherHeader)
          begin_ += bytes;
          offset_ += bytes;
        }
        return std::nullopt;
      }
      size = at;  // the chunk ends before it
    }
    Chunk c;
    c.file = index_;
    c.seq = seq_++;
    c.data = window_ + begin_;
    c.size = size;
    c.format = format_;
    c.offset = offset_;
    c.lines_before = lines_before_;
    c.header_lines = header_lines_;
    c.reader_errors = std::move(reader_errors_);
    reader_errors_.clear();
    lines_before_ = 0;
    header_lines_ = 0;
    if (mapped_) {
      c.keepalive = mapped_;
      c.mapped = mapped_.get();
    } else {
      c.keepalive = buffer_;
      buffer_shared_ = true;
    }
    begin_ += size;
    offset_ += size;
    ++outcome_.chunks;
    if (done_ && begin_ == len_) {
      finished_ = true;
      c.last = true;
      Finish();
      c.outcome = std::make_shared<const FileOutcome>(outcome_);
    }
    return c;
  }

  // Mapped files: the chunk's pages are still the file's. The size check also catches a file
  // cut inside a page (the rest of that page then reads as zeros, with no SIGBUS).
  bool Intact(uint64_t offset, size_t size) {
    const bool ok = mapped_->Populate(offset, size + kPadding) && StillWhole();
    if (!ok) Shrank(offset);
    return ok;
  }

  // The plain file (mapped or read) still has its size of when it was opened, and no page of a
  // mapping was zero-filled.
  bool StillWhole() const {
    struct stat st;
    if (mapped_ && mapped_->ZeroFilledFrom() != UINT64_MAX) return false;
    const uint64_t size = mapped_ ? mapped_->size() : opened_size_;
    return fstat(fd_, &st) != 0 || static_cast<uint64_t>(st.st_size) >= size;
  }

  // A plain file (mapped, read, or read whole) is shorter than the outcome_.disk_bytes it had
  // when opened: lines from `from` on are not read.
  void Shrank(uint64_t from) {
    struct stat st;
    const bool known = fstat(fd_, &st) == 0;
    const std::string now = known ? std::to_string(st.st_size) + " bytes now" : "size now unknown";
    // Lines skipped as too long that reach past the new end were partly zeros, not the file.
    const uint64_t valid =
        std::min<uint64_t>(mapped_ ? mapped_->ZeroFilledFrom() : UINT64_MAX,
                           known ? static_cast<uint64_t>(st.st_size) : UINT64_MAX);
    while (!reader_errors_.empty() &&
           reader_errors_.back().offset + reader_errors_.back().bytes >= valid) {
      reader_errors_.pop_back();
      --lines_before_;
      --outcome_.skipped_lines;
    }
    const uint64_t zero_from = mapped_ ? mapped_->ZeroFilledFrom() : UINT64_MAX;
    if (known && static_cast<uint64_t>(st.st_size) >= outcome_.disk_bytes &&
        zero_from != UINT64_MAX) {
      // A page of the mapping failed (SIGBUS) though the file is as long as it was: an I/O
      // error (EIO from the disk or a network file system) or a file cut and grown again. It
      // was reported as "shrank ... N bytes when opened, N bytes now".
      Fail(FileStatus::kUnreadable,
           PageFailedText(" at byte " + std::to_string(zero_from), now, from));
    } else {
      Fail(FileStatus::kShrank, ShrankText(outcome_.disk_bytes, now, from));
    }
    begin_ = len_;
    done_ = true;
  }

  void Finish() {
    // Lines skipped as too long were scanned through the mapping, maybe into zeros.
    if (mapped_ && !IsFailure(outcome_.status) && !StillWhole()) Shrank(offset_);
    if (raw_ && opened_size_ == 0) outcome_.disk_bytes = raw_->total();
    if (decoder_) outcome_.members = decoder_->members();
    if (outcome_.status == FileStatus::kOk && outcome_.data_bytes == 0) {
      // A file named as compressed that holds no byte at all is not an empty log (a gzip file
      // of no text still has its 20-byte header and trailer): a copy or download that failed.
      // As "empty" a prefix of such objects passed a nightly job as a quiet day.
      const std::string_view name = file_.path;
      if (outcome_.disk_bytes == 0 && (name.ends_with(".gz") || name.ends_with(".zst"))) {
        outcome_.status = FileStatus::kTruncated;
        outcome_.message = Name() + ": truncated: 0 bytes, where a " +
                           (name.ends_with(".gz") ? "gzip" : "zstd") +
                           " file has at least its header (a copy or download that failed?)";
      } else {
        outcome_.status = FileStatus::kEmpty;
        outcome_.message = Name() + ": empty";
      }
    }
    if (fd_ >= 0 && file_.fd < 0) close(fd_);
    fd_ = -1;
  }

  Chunk Final() {
    finished_ = true;
    ++outcome_.chunks;
    Finish();
    Chunk c;
    c.file = index_;
    c.seq = seq_++;
    c.data = kEmptyData;
    c.format = format_ ? format_ : std::make_shared<const Format>(Format::Default());
    c.offset = offset_;
    c.lines_before = lines_before_;
    c.header_lines = header_lines_;
    c.reader_errors = std::move(reader_errors_);
    c.last = true;
    c.outcome = std::make_shared<const FileOutcome>(outcome_);
    return c;
  }

  const uint32_t index_;
  const InputFile file_;
  ReadOptions options_;
  std::shared_ptr<const Format> format_;
  FileOutcome outcome_;
  size_t window_bytes_;
  int fd_ = -1;
  bool started_ = false;
  bool finished_ = false;

  // The window: window_[begin_, len_) is read and not yet handed out; done_ = nothing follows.
  const uint8_t* window_ = kEmptyData;
  size_t begin_ = 0, len_ = 0;
  bool done_ = false;
  uint64_t offset_ = 0;  // of window_[begin_] in the decompressed file

  std::shared_ptr<const MappedFile> mapped_;
  uint64_t opened_size_ = 0;  // a plain regular file read(), not mapped: its size when opened
  uint64_t read_limit_ = 0;   // a compressed regular file: its size when opened (0: stdin, pipes)
  std::unique_ptr<RawInput> raw_;
  std::unique_ptr<Decoder> decoder_;
  std::shared_ptr<BufferPool> pool_;
  std::shared_ptr<uint8_t> buffer_;
  bool buffer_shared_ = false;  // a chunk views buffer_: it may no longer be written

  uint32_t seq_ = 0;
  uint32_t lines_before_ = 0;
  uint32_t header_lines_ = 0;  // of lines_before_: headers that switched the format
  std::vector<ReaderLineError> reader_errors_;
};

FileReader::FileReader(uint32_t index, InputFile file, ReadOptions options)
    : impl_(std::make_unique<Impl>(index, std::move(file), std::move(options))) {}
FileReader::~FileReader() = default;
FileReader::FileReader(FileReader&&) noexcept = default;
FileReader& FileReader::operator=(FileReader&&) noexcept = default;
std::optional<Chunk> FileReader::Next() { return impl_->Next(); }
const FileOutcome& FileReader::outcome() const { return impl_->outcome(); }

}  // namespace flowsift
