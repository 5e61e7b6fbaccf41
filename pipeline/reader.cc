#include "pipeline/reader.h"

#include <fcntl.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

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
#include "pipeline/line_shape.h"
#include "pipeline/mapped_file.h"
#include "pipeline/temporaries.h"

namespace flowsift {
namespace {

using kernels::kPadding;

// The data of empty chunks: readable for kPadding bytes like any other.
alignas(64) const uint8_t kEmptyData[kPadding] = {};

// Plain files up to this size (and one chunk) are read, not mapped (FileReader::Impl::ReadWhole):
// copying 256 KiB takes ~25 us here, under what a mapping's system calls cost.
constexpr uint64_t kReadWholeBytes = uint64_t{256} << 10;

std::string ErrnoText(int error) { return std::strerror(error); }

const char* IsalErrorName(int ret) {
  switch (ret) {
    case ISAL_INVALID_BLOCK:
      return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
      return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
      return "invalid deflate distance";
    case ISAL_INVALID_WRAPPER:
      return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
      return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM:
      return "CRC-32 or length mismatch";
    case ISAL_NEED_DICT:
      return "needs a preset dictionary";
    default:
      return "inflate error";
  }
}

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

// A descriptor read with read() into a buffer that the decoders consume from.
class RawInput {
 public:
  // The buffer is not zeroed (new[] without "()"): a run over 10,000 small .gz files spent 7%
  // of its time clearing one 256 KiB buffer per file, of which a few KB are read.
  // `limit`: read at most that many bytes of the file (0: to its end).
  RawInput(int fd, size_t bytes, uint64_t limit = 0)
      : fd_(fd), size_(std::max<size_t>(bytes, 64)), buf_(new uint8_t[size_]), limit_(limit) {}
  const uint8_t* data() const { return buf_.get() + pos_; }
  size_t avail() const { return len_ - pos_; }
  void Consume(size_t n) {
    pos_ += n;
    consumed_ += n;
  }
  uint64_t consumed() const { return consumed_; }  // offset of data() in the file
  uint64_t total() const { return total_; }
  int error() const { return error_; }
  // Reads more bytes after the unconsumed ones; false at the end of the file or on an error.
  bool Refill() {
    if (pos_ > 0) {
      std::memmove(buf_.get(), buf_.get() + pos_, len_ - pos_);
      len_ -= pos_;
      pos_ = 0;
    }
    const size_t n = ReadSome(buf_.get() + len_, size_ - len_);
    len_ += n;
    return n > 0;
  }
  // With nothing buffered (avail() == 0): reads up to `want` bytes straight to dst and consumes
  // them; 0 at the end of the file or on an error. A plain file's bytes need no decoding, so
  // they go from the page cache to the chunk in the kernel's one copy, not through buf_ and a
  // memcpy: the read stage's CPU 0.117 -> 0.098 s on 1 GiB of v2, the parse's unchanged
  // (docs/performance-history.md, "Forty-ninth session").
  size_t ReadInto(uint8_t* dst, size_t want) {
    const size_t n = ReadSome(dst, want);
    consumed_ += n;
    return n;
  }
  // Makes at least `n` bytes available unless the file ends first.
  void Want(size_t n) {
    while (avail() < n && Refill()) {
    }
  }

 private:
  // One read() of up to `want` bytes (fewer past `limit_`): the bytes read, 0 at the end of the
  // file or on an error (error_).
  size_t ReadSome(uint8_t* dst, size_t want) {
    if (limit_ != 0) want = static_cast<size_t>(std::min<uint64_t>(want, limit_ - total_));
    if (want == 0) return 0;
    for (;;) {
      const ssize_t n = read(fd_, dst, want);
      if (n > 0) {
        total_ += static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
      }
      if (n == 0) return 0;
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {  // a pipe opened non-blocking: wait for its writer
        fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
        continue;
      }
      error_ = errno;
      return 0;
    }
  }

  int fd_;
  size_t size_;
  std::unique_ptr<uint8_t[]> buf_;
  size_t pos_ = 0, len_ = 0;
  uint64_t consumed_ = 0, total_ = 0;
  int error_ = 0;
  uint64_t limit_;
};

struct Fault {
  FileStatus status = FileStatus::kOk;
  std::string message;  // without the path
  // A command that turns the file into text flowsift reads (stdin to stdout), or null: the
  // message then says to run it first.
  const char* filter = nullptr;
};

enum class Produced { kMore, kEnd, kError };

// Turns the raw bytes into the file's text, `cap` bytes at a time.
class Decoder {
 public:
  virtual ~Decoder() = default;
  // Appends up to `cap` bytes at dst and adds their count to *n. kMore: call again. kEnd:
  // the stream is complete. kError: *fault says why; the bytes produced before still count.
  virtual Produced Produce(uint8_t* dst, size_t cap, size_t* n, Fault* fault) = 0;
  virtual uint64_t members() const { return 0; }
};

Fault ReadFault(int error) { return {StatusOfErrno(error), "read error: " + ErrnoText(error)}; }

class PlainDecoder final : public Decoder {
 public:
  explicit PlainDecoder(RawInput* in) : in_(in) {}
  Produced Produce(uint8_t* dst, size_t cap, size_t* n, Fault* fault) override {
    size_t got = 0;
    while (got < cap) {
      if (in_->avail() > 0) {  // the bytes read to sniff the compression
        const size_t take = std::min(cap - got, in_->avail());
        std::memcpy(dst + got, in_->data(), take);
        in_->Consume(take);
        got += take;
        continue;
      }
      const size_t read = in_->ReadInto(dst + got, cap - got);
      if (read == 0) {
        *n += got;
        if (in_->error() != 0) {
          *fault = ReadFault(in_->error());
          return Produced::kError;
        }
        return Produced::kEnd;
      }
      got += read;
    }
    *n += got;
    return Produced::kMore;
  }

 private:
  RawInput* in_;
};

class GzipDecoder final : public Decoder {
 public:
  explicit GzipDecoder(RawInput* in) : in_(in) {
    isal_inflate_init(&state_);
    state_.crc_flag = ISAL_GZIP;
  }
  uint64_t members() const override { return members_; }

  Produced Produce(uint8_t* dst, size_t cap, size_t* n, Fault* fault) override {
    // ISA-L counts output in 32 bits.
    cap = std::min<size_t>(cap, uint32_t{1} << 30);
    uint8_t* out = dst;
    for (;;) {
      if (!in_member_) {
        const Produced p = StartMember(fault);
        if (p != Produced::kMore) {
          *n += out - dst;
          return p;
        }
      }
      state_.next_in = const_cast<uint8_t*>(in_->data());
      state_.avail_in = static_cast<uint32_t>(in_->avail());
      state_.next_out = out;
      state_.avail_out = static_cast<uint32_t>(cap - (out - dst));
      const int ret = isal_inflate(&state_);
      in_->Consume(in_->avail() - state_.avail_in);
      out = state_.next_out;
      if (ret < 0) {
        *n += out - dst;
        *fault = {FileStatus::kCorrupt,
                  "corrupt gzip data in member " + std::to_string(members_ + 1) +
                      " near compressed byte " + std::to_string(in_->consumed()) + ": " +
                      IsalErrorName(ret)};
        return Produced::kError;
      }
      if (state_.block_state == ISAL_BLOCK_FINISH) {
        ++members_;
        in_member_ = false;
        if (out == dst + cap) break;
        continue;
      }
      if (out == dst + cap) break;
      if (in_->avail() != 0) {
        // isal_inflate returns early only when input or output runs out, or on an error.
        *n += out - dst;
        *fault = {FileStatus::kCorrupt,
                  "gzip decoder stalled near compressed byte " + std::to_string(in_->consumed())};
        return Produced::kError;
      }
      if (!in_->Refill()) {
        *n += out - dst;
        if (in_->error() != 0) {
          *fault = ReadFault(in_->error());
        } else {
          *fault = {FileStatus::kTruncated, "gzip member " + std::to_string(members_ + 1) +
                                                " ends early at compressed byte " +
                                                std::to_string(in_->consumed())};
        }
        return Produced::kError;
      }
    }
    *n += out - dst;
    return Produced::kMore;
  }

 private:
  // Between members: the end of the file, another member (`cat a.gz b.gz`), zero padding
  // (tolerated, as gzip(1) does), or garbage.
  Produced StartMember(Fault* fault) {
    for (;;) {
      in_->Want(2);
      const uint8_t* p = in_->data();
      size_t zeros = 0;
      while (zeros < in_->avail() && p[zeros] == 0) ++zeros;
      if (zeros > 0) {
        in_->Consume(zeros);
        continue;
      }
      if (in_->avail() == 0) {
        if (in_->error() != 0) {
          *fault = ReadFault(in_->error());
          return Produced::kError;
        }
        return Produced::kEnd;
      }
      if (in_->avail() >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
        const Produced header = SkipHeader(fault);
        if (header != Produced::kMore) return header;
        isal_inflate_reset(&state_);
        state_.crc_flag = ISAL_GZIP_NO_HDR_VER;  // the deflate data, then the CRC-32 and length
        in_member_ = true;
        return Produced::kMore;
      }
      *fault = {FileStatus::kCorrupt, "trailing garbage after gzip member " +
                                          std::to_string(members_) + " at compressed byte " +
                                          std::to_string(in_->consumed())};
      return Produced::kError;
    }
  }

  // Reads a member's header (RFC 1952 2.3: 10 bytes, then FEXTRA, FNAME, FCOMMENT and FHCRC as
  // its flags say) through, checking what ISA-L checks: the method (deflate) and the header's
  // CRC-16. ISA-L's own header parsing checks an FHCRC over the bytes of its last call alone
  // (intel/isa-l#224), so a header that came in two reads failed a valid file as corrupt; it
  // had been buffered whole first, which a name or comment longer than the read buffer (256
  // KiB) could not be. Here it streams through the read buffer, whatever its length.
  Produced SkipHeader(Fault* fault) {
    uint32_t crc = 0;
    const auto take = [&](size_t n) {
      crc = crc32_gzip_refl(crc, in_->data(), n);
      in_->Consume(n);
    };
    // Makes `n` bytes available; false when the input ends (or fails) first.
    const auto want = [&](size_t n) {
      in_->Want(n);
      return in_->avail() >= n;
    };
    const auto cut = [&] {
      if (in_->error() != 0) {
        *fault = ReadFault(in_->error());
      } else {
        *fault = {FileStatus::kTruncated, "gzip member " + std::to_string(members_ + 1) +
                                              " ends early at compressed byte " +
                                              std::to_string(in_->consumed() + in_->avail())};
      }
      return Produced::kError;
    };
    const auto corrupt = [&](const char* what) {
      *fault = {FileStatus::kCorrupt, "corrupt gzip data in member " +
                                          std::to_string(members_ + 1) + " near compressed byte " +
                                          std::to_string(in_->consumed()) + ": " + what};
      return Produced::kError;
    };
    if (!want(10)) return cut();
    const uint8_t method = in_->data()[2], flags = in_->data()[3];
    if (method != 8) return corrupt(IsalErrorName(ISAL_UNSUPPORTED_METHOD));
    take(10);
    if (flags & 0x04) {  // FEXTRA: a 2-byte little-endian length, then that many bytes
      if (!want(2)) return cut();
      size_t left = in_->data()[0] | (size_t{in_->data()[1]} << 8);
      take(2);
      while (left > 0) {
        if (!want(1)) return cut();
        const size_t n = std::min(left, in_->avail());
        take(n);
        left -= n;
      }
    }
    for (const uint8_t zero_ended : {uint8_t{0x08}, uint8_t{0x10}}) {  // FNAME, FCOMMENT
      if (!(flags & zero_ended)) continue;
      for (;;) {
        if (!want(1)) return cut();
        const void* z = std::memchr(in_->data(), 0, in_->avail());
        take(z != nullptr ? static_cast<const uint8_t*>(z) - in_->data() + 1 : in_->avail());
        if (z != nullptr) break;
      }
    }
    if (flags & 0x02) {  // FHCRC: the low 16 bits of the CRC-32 of the header before it
      if (!want(2)) return cut();
      const uint32_t stored = in_->data()[0] | (uint32_t{in_->data()[1]} << 8);
      if (stored != (crc & 0xffff)) return corrupt("header CRC-16 mismatch");
      in_->Consume(2);
    }
    return Produced::kMore;
  }

  RawInput* in_;
  inflate_state state_;
  // False: the next bytes start a member, or end the file. The first member goes through
  // StartMember too, so that its header is buffered whole (from a pipe, a first read() may
  // hold part of it).
  bool in_member_ = false;
  uint64_t members_ = 0;
};

class ZstdDecoder final : public Decoder {
 public:
  explicit ZstdDecoder(RawInput* in) : in_(in), dctx_(ZSTD_createDCtx()) {}
  ~ZstdDecoder() override { ZSTD_freeDCtx(dctx_); }
  uint64_t members() const override { return frames_; }

  Produced Produce(uint8_t* dst, size_t cap, size_t* n, Fault* fault) override {
    if (dctx_ == nullptr) ExitOutOfMemory();
    ZSTD_outBuffer out{dst, cap, 0};
    for (;;) {
      ZSTD_inBuffer in{in_->data(), std::min(in_->avail(), max_in_), 0};
      const size_t before = out.pos;
      const size_t ret = ZSTD_decompressStream(dctx_, &out, &in);
      in_->Consume(in.pos);
      if (ZSTD_isError(ret) && ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge) {
        // Written with `zstd --long` (a window of 256 MiB or more): not damaged, but it needs
        // more memory than libzstd decodes with by default (128 MiB), a window per file being
        // read. It was reported as "corrupt zstd data ... Frame requires too much memory".
        *n += out.pos;
        *fault = {FileStatus::kUnreadable,
                  "zstd frame " + std::to_string(frames_ + 1) +
                      " needs a window of over 128 MiB (written with zstd --long), more memory "
                      "than flowsift's decoder takes",
                  "zstd -dc --long=31"};
        return Produced::kError;
      }
      if (ZSTD_isError(ret) && in.pos == 0 && out.pos == before && !in_frame_ &&
          max_in_ == SIZE_MAX) {
        // With a whole frame in the input and room for all of its content, zstd decodes it in
        // one pass, and a damaged block then returns an error with nothing produced: a 1.4 MB
        // frame damaged in its last block lost all 12,500 lines. Decoded again from its start,
        // given a slice of input at a time, it streams block by block, and the blocks before
        // the damage are kept. The frame's bytes were not consumed; its state is reset.
        ZSTD_DCtx_reset(dctx_, ZSTD_reset_session_only);
        max_in_ = kStreamSlice;
        continue;
      }
      if (ZSTD_isError(ret)) {
        *n += out.pos;
        *fault = {FileStatus::kCorrupt, "corrupt zstd data in frame " +
                                            std::to_string(frames_ + 1) + " near compressed byte " +
                                            std::to_string(in_->consumed()) + ": " +
                                            ZSTD_getErrorName(ret)};
        return Produced::kError;
      }
      if (ret == 0) {
        // A frame ends; the decoder stops there, the next frame starts with the next call.
        ++frames_;
        in_frame_ = false;
        max_in_ = SIZE_MAX;
        if (out.pos == out.size) break;
        if (in_->avail() != 0) continue;
      } else if (in.pos > 0 || out.pos > before) {
        in_frame_ = true;
      }
      if (out.pos == out.size) break;
      // Output not full: the decoder has flushed everything it can and wants input: the
      // next slice, or else it stalled on what it was given.
      if (in_->avail() != 0 && in.pos == in.size) continue;
      if (in_->avail() != 0) {
        *n += out.pos;
        *fault = {FileStatus::kCorrupt,
                  "zstd decoder stalled near compressed byte " + std::to_string(in_->consumed())};
        return Produced::kError;
      }
      if (!in_->Refill()) {
        *n += out.pos;
        if (in_->error() != 0) {
          *fault = ReadFault(in_->error());
          return Produced::kError;
        }
        if (in_frame_) {
          *fault = {FileStatus::kTruncated, "zstd frame " + std::to_string(frames_ + 1) +
                                                " ends early at compressed byte " +
                                                std::to_string(in_->consumed())};
          return Produced::kError;
        }
        return Produced::kEnd;
      }
    }
    *n += out.pos;
    return Produced::kMore;
  }

 private:
  // Small: a call that fails returns none of the output it made (output->pos is set at its
  // end only), so the blocks decoded in the failing call are lost; with 1 KiB of input a call
  // that is at most the block or two it completes, as `zstd -dc` loses.
  static constexpr size_t kStreamSlice = 1024;
  RawInput* in_;
  ZSTD_DCtx* dctx_;
  bool in_frame_ = false;
  uint64_t frames_ = 0;
  size_t max_in_ = SIZE_MAX;  // input given a call: kStreamSlice while a damaged frame is redone
};

constexpr uint8_t kGzipMagic[] = {0x1f, 0x8b}, kZstdMagic[] = {0x28, 0xb5, 0x2f, 0xfd};

}  // namespace

Compression CompressionOf(const uint8_t* p, size_t n) {
  if (n >= sizeof kGzipMagic && std::memcmp(p, kGzipMagic, sizeof kGzipMagic) == 0) {
    return Compression::kGzip;
  }
  if (n >= sizeof kZstdMagic && std::memcmp(p, kZstdMagic, sizeof kZstdMagic) == 0) {
    return Compression::kZstd;
  }
  // A zstd skippable frame (magic 0x184D2A50-0x184D2A5F, little-endian) may come first, e.g.
  // seekable-format or pzstd metadata; the decoder skips it.
  if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

namespace {

// "gzip" or "zstd" when a file named .gz or .zst holds fewer bytes than its magic number and
// they are its first ones (p[0, n) is the whole file, 0 < n < 4); null otherwise.
const char* CutInMagic(std::string_view name, const uint8_t* p, size_t n) {
  if (n == 0) return nullptr;
  if (name.ends_with(".gz") && n < sizeof kGzipMagic && std::memcmp(p, kGzipMagic, n) == 0) {
    return "gzip";
  }
  if (name.ends_with(".zst") && n < sizeof kZstdMagic && std::memcmp(p, kZstdMagic, n) == 0) {
    return "zstd";
  }
  return nullptr;
}

// The formats a flow-log object may come in that flowsift does not read, by their magic bytes,
// with what turns each into text: read as text, they were an "ok" file of binary bad lines and
// no records. Null for anything else.
struct OtherFormat {
  const char* name;
  const char* filter;  // a command from stdin to the text on stdout, or null
  const char* advice;  // what to do instead, when there is no such filter
};
const OtherFormat* OtherFormatOf(const uint8_t* p, size_t n) {
  static constexpr OtherFormat kBzip2{"bzip2", "bzcat", nullptr};
  static constexpr OtherFormat kXz{"xz", "xzcat", nullptr};
  static constexpr OtherFormat kLz4{"lz4", "lz4cat", nullptr};
  static constexpr OtherFormat kUtf16{"UTF-16 text (as PowerShell's > writes it)",
                                      "iconv -f UTF-16 -t UTF-8", nullptr};
  static constexpr OtherFormat kZip{"a zip archive", nullptr,
                                    "extract its files (unzip) and run on them"};
  static constexpr OtherFormat kZlib{
      "zlib (deflate without gzip's header)",
      "python3 -c 'import sys,zlib; sys.stdout.buffer.write(zlib.decompress("
      "sys.stdin.buffer.read()))'",
      nullptr};
  static constexpr OtherFormat kParquet{
      "Parquet (flow logs delivered with the parquet file format)", nullptr,
      "convert it to space-separated text with a header line first (log-format field names, "
      "'-' for nulls), or have the flow log deliver plain-text"};
  // bzip2: "BZh", the block size digit, then a block's magic (pi) or the end of an empty
  // stream's (sqrt pi).
  if (n >= 10 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9' &&
      (std::memcmp(p + 4, "\x31\x41\x59\x26\x53\x59", 6) == 0 ||
       std::memcmp(p + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0)) {
    return &kBzip2;
  }
  if (n >= 6 && std::memcmp(p,
                            "\xFD"
                            "7zXZ\x00",
                            6) == 0)
    return &kXz;
  if (n >= 4 && std::memcmp(p, "\x04\x22\x4D\x18", 4) == 0) return &kLz4;
  if (n >= 4 && std::memcmp(p, "PK\x03\x04", 4) == 0) return &kZip;
  // Parquet: "PAR1", then the first page's Thrift header, whose first byte is a field header
  // no text has (0x15 in practice): "PAR1-cluster ..." is text.
  if (n >= 5 && std::memcmp(p, "PAR1", 4) == 0 && (p[4] < 0x20 || p[4] >= 0x7F)) {
    return &kParquet;
  }
  // UTF-16 (PowerShell's `>` and Out-File write it, with a byte order mark): its ASCII text
  // has a NUL after or before each byte, every line a control_character bad line of an "ok"
  // file. The mark, then a first character of ASCII.
  if (n >= 4 && ((p[0] == 0xFF && p[1] == 0xFE && p[2] >= 0x20 && p[2] < 0x7F && p[3] == 0) ||
                 (p[0] == 0xFE && p[1] == 0xFF && p[2] == 0 && p[3] >= 0x20 && p[3] < 0x7F))) {
    return &kUtf16;
  }
  // zlib: CMF 0x78 (deflate, 32 KiB window) and the FLG byte of the usual levels without a
  // preset dictionary: 01 (fastest), 9C (default), DA (best); not 5E ('^': "x^" is text).
  if (n >= 2 && p[0] == 0x78 && (p[1] == 0x01 || p[1] == 0x9C || p[1] == 0xDA)) return &kZlib;
  return nullptr;
}

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

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
  }
  return "?";
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
        case CutKind::kChunk:
          if (std::optional<Chunk> c = Emit(cut.size)) return c;
          break;  // a header line with another field order, or a byte order mark, was
                  // consumed: cut again
        case CutKind::kTooLong:
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
    switch (outcome_.compression) {
      case Compression::kNone:
        decoder_ = std::make_unique<PlainDecoder>(raw_.get());
        break;
      case Compression::kGzip:
        decoder_ = std::make_unique<GzipDecoder>(raw_.get());
        break;
      case Compression::kZstd:
        decoder_ = std::make_unique<ZstdDecoder>(raw_.get());
        break;
    }
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
    // The command that undoes the file's own compression, if it has one.
    const char* outer = outcome_.compression == Compression::kGzip   ? "zcat"
                        : outcome_.compression == Compression::kZstd ? "zstdcat"
                                                                     : nullptr;
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
      refuse(
          "its lines end in CR alone (classic Mac OS line ends), which flowsift does not "
          "read: turn them into newlines, e.g. " +
          Remedy(outer != nullptr ? outer : "tr '\\r' '\\n'",
                 outer != nullptr ? "tr '\\r' '\\n'" : nullptr));
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
