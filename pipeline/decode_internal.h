// The reader's byte sources (pipeline/reader.cc): a descriptor read() into a buffer (RawInput),
// the decoders that turn its bytes into a file's text (plain, gzip through ISA-L, zstd through
// libzstd), and what a file's first bytes say it is when flowsift cannot read it. Internal to
// reader.cc and decode.cc; not part of the pipeline's interface. RawInput stays inline here: the
// decoders call it for every read() and every block.
#ifndef FLOWSIFT_PIPELINE_DECODE_INTERNAL_H_
#define FLOWSIFT_PIPELINE_DECODE_INTERNAL_H_

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/reader.h"

namespace flowsift {
namespace decode_internal {

inline std::string ErrnoText(int error) { return std::strerror(error); }

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

// The decoder for a stream of compression `c`, reading from `in` (which must outlive it).
std::unique_ptr<Decoder> MakeDecoder(Compression c, RawInput* in);

// "gzip" or "zstd" when a file named .gz or .zst holds fewer bytes than its magic number and
// they are its first ones (p[0, n) is the whole file, 0 < n < 4); null otherwise.
const char* CutInMagic(std::string_view name, const uint8_t* p, size_t n);

// The formats a flow-log object may come in that flowsift does not read, by their magic bytes,
// with what turns each into text: read as text, they were an "ok" file of binary bad lines and
// no records. Null for anything else.
struct OtherFormat {
  const char* name;
  const char* filter;  // a command from stdin to the text on stdout, or null
  const char* advice;  // what to do instead, when there is no such filter
};
const OtherFormat* OtherFormatOf(const uint8_t* p, size_t n);

}  // namespace decode_internal
}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_DECODE_INTERNAL_H_
