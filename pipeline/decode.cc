#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/decode_internal.h"
#include "pipeline/reader.h"
#include "pipeline/temporaries.h"

namespace flowsift {
namespace {

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

namespace decode_internal {
namespace {

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

}  // namespace

std::unique_ptr<Decoder> MakeDecoder(Compression c, RawInput* in) {
  switch (c) {
    case Compression::kGzip:
      return std::make_unique<GzipDecoder>(in);
    case Compression::kZstd:
      return std::make_unique<ZstdDecoder>(in);
    case Compression::kNone:
      break;
  }
  return std::make_unique<PlainDecoder>(in);
}

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

}  // namespace decode_internal
}  // namespace flowsift
