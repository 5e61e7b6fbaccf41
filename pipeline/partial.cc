#include "pipeline/partial.h"

#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <system_error>

#include "pipeline/run.h"
#include "pipeline/serial.h"

namespace flowsift {

const std::string_view* PartialFile::Find(PartialSection id) const {
  for (const auto& [section, payload] : sections) {
    if (section == static_cast<uint32_t>(id)) return &payload;
  }
  return nullptr;
}

PartialBuilder::PartialBuilder(const PartialHeader& header) {
  ByteWriter w(content_);
  w.Raw(kPartialMagic.data(), kPartialMagic.size());
  w.U32(header.format_version);
  w.U32(header.output_format_version);
  w.U32(header.flags);
  w.U32(header.window);
  w.Str(header.internal);
}

void PartialBuilder::AddSection(uint32_t id, std::string_view payload) {
  ByteWriter w(content_);
  w.U32(id);
  w.U64(payload.size());
  w.Raw(payload.data(), payload.size());
  ++sections_;
}

bool PartialBuilder::Write(const std::string& path, unsigned threads, std::string* error) {
  {
    const uint64_t before = content_.size();
    ByteWriter w(content_);
    w.U32(static_cast<uint32_t>(PartialSection::kEnd));
    w.U64(4 + 8);
    w.U32(sections_);
    w.U64(before);
  }
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 1);
  // Fails harmlessly (one thread) when libzstd was built without threads.
  if (threads > 1) ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_nbWorkers, static_cast<int>(threads));
  std::string packed(ZSTD_compressBound(content_.size()), '\0');
  const size_t n =
      ZSTD_compress2(cctx.get(), packed.data(), packed.size(), content_.data(), content_.size());
  if (ZSTD_isError(n)) {
    *error = path + ": zstd: " + ZSTD_getErrorName(n);
    return false;
  }
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  const bool wrote = std::fwrite(packed.data(), 1, n, f) == n;
  const int saved = errno;
  if (std::fclose(f) != 0 || !wrote) {
    *error = "cannot write " + path + ": " + std::strerror(wrote ? errno : saved);
    return false;
  }
  return true;
}

namespace {

// The most a state file may decompress to: a zstd frame of zeros (a 94 KB file of 3 GB) took all
// memory before any check could refuse it. flowsift's states compress 3-5 times (the 1 GiB
// benchmark's: 42 MB to 152 MB); kMaxStateRatio leaves a margin of fifty for sparse ones, and
// small files may always reach kMinStateBytes.
constexpr uint64_t kMaxStateRatio = 256;
constexpr uint64_t kMinStateBytes = uint64_t{64} << 20;
uint64_t MaxStateBytes(uint64_t packed) { return kMinStateBytes + kMaxStateRatio * packed; }

}  // namespace

bool BeginsAsPartial(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) return false;
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  char head[kPartialMagic.size()];
  ZSTD_outBuffer out{head, sizeof head, 0};
  // A zstd frame's header and first block are within its first 128 KiB, the largest block.
  char packed[4096];
  for (size_t read = 0; out.pos < out.size && read < (size_t{128} << 10);) {
    const size_t n = std::fread(packed, 1, sizeof packed, f.get());
    if (n == 0) return false;
    read += n;
    ZSTD_inBuffer in{packed, n, 0};
    while (in.pos < in.size && out.pos < out.size) {
      if (ZSTD_isError(ZSTD_decompressStream(dctx.get(), &out, &in))) return false;
    }
  }
  return out.pos == out.size && std::string_view(head, sizeof head) == kPartialMagic;
}

PartialStatus ReadPartial(const std::string& path, PartialFile* file, std::string* error) {
  file->path = path;
  if (const std::string why = NotARegularFile(path); !why.empty()) {
    // A FIFO blocked the merge until something wrote to it; a link to /dev/zero read until
    // memory ran out.
    *error = path + ": unreadable: " + why;
    return PartialStatus::kUnreadable;
  }
  std::string packed;
  if (!ReadTextFile(path, &packed, error)) return PartialStatus::kUnreadable;
  // Not zstd at all (a stray file that `merge parts/*` took, a log): named as no part, not as
  // a part whose data is damaged ("corrupt (Unknown frame descriptor)"). A part's own state
  // file (a part's directory was given) is a part whose first bytes are damaged: telling to
  // give the parts' directories, which was done, misled.
  static constexpr unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};
  // A file shorter than the magic is judged by the bytes it has: a stray note of three bytes
  // ("hi\n") was "corrupt (Unknown frame descriptor)"; an empty one, or the magic's start, is a
  // part cut short.
  if (!packed.empty() &&
      std::memcmp(packed.data(), kZstdMagic, std::min(packed.size(), sizeof kZstdMagic)) != 0) {
    const bool state_file = std::filesystem::path(path).filename().string() == kStateFile;
    *error =
        path + (state_file
                    ? ": corrupt (not zstd data: its first bytes are damaged; run its part again)"
                    : ": corrupt (not a flowsift part: not zstd data; give the parts' directories, "
                      "the OUT of each `run --partial`, or their " +
                          std::string(kStateFile) + ")");
    return PartialStatus::kCorrupt;
  }

  // Decompress as a stream: the frame header's content size is not covered by the checksum,
  // so it is only compared at the end, never trusted for an allocation.
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  std::string& out = file->content;
  out.clear();
  ZSTD_inBuffer in{packed.data(), packed.size(), 0};
  size_t hint = 1;
  std::string buf(size_t{1} << 20, '\0');
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    hint = ZSTD_decompressStream(dctx.get(), &o, &in);
    if (ZSTD_isError(hint)) {
      *error = path + ": corrupt (" + ZSTD_getErrorName(hint) + ")";
      return PartialStatus::kCorrupt;
    }
    out.append(buf.data(), o.pos);
    if (out.size() > MaxStateBytes(packed.size())) {
      *error = path + ": corrupt (it decompresses to more than " +
               std::to_string(MaxStateBytes(packed.size())) + " bytes, " +
               std::to_string(kMaxStateRatio) +
               " times its size and more: no state flowsift writes, whose sketches and lists "
               "compress 3-5 times)";
      return PartialStatus::kCorrupt;
    }
    if (hint == 0 && in.pos < in.size) {
      *error = path + ": corrupt (bytes after the end of the zstd frame)";
      return PartialStatus::kCorrupt;
    }
    if (o.pos == 0 && in.pos == in.size) break;
  }
  if (hint != 0) {
    *error = path + ": truncated (the zstd frame ends early; was the part fully written?)";
    return PartialStatus::kTruncated;
  }
  const unsigned long long declared = ZSTD_getFrameContentSize(packed.data(), packed.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != out.size()) {
    *error = path + ": corrupt (content size differs from the frame header's)";
    return PartialStatus::kCorrupt;
  }

  ByteReader r(out);
  if (r.Bytes(kPartialMagic.size()) != kPartialMagic) {
    *error = path + ": not a flowsift partial state (bad magic)";
    return PartialStatus::kCorrupt;
  }
  PartialHeader& h = file->header;
  h.format_version = r.U32();
  h.output_format_version = r.U32();
  h.flags = r.U32();
  h.window = r.U32();
  h.internal = std::string(r.Str());
  if (r.failed()) {
    *error = path + ": truncated header";
    return PartialStatus::kTruncated;
  }
  if (h.format_version != kPartialFormatVersion) {
    *error = path + ": partial format version " + std::to_string(h.format_version) +
             ", this flowsift reads version " + std::to_string(kPartialFormatVersion) +
             ": make all parts with the same flowsift version as the merge";
    return PartialStatus::kVersion;
  }
  if (h.output_format_version != static_cast<uint32_t>(kOutputFormatVersion)) {
    *error = path + ": output format version " + std::to_string(h.output_format_version) +
             ", this flowsift writes version " + std::to_string(kOutputFormatVersion) +
             ": make all parts with the same flowsift version as the merge";
    return PartialStatus::kVersion;
  }
  if ((h.flags & ~kKnownPartialFlags) != 0) {
    *error = path + ": unknown header flags " + std::to_string(h.flags);
    return PartialStatus::kVersion;
  }
  // A window run never takes (601, 0) made a merged table of windows 601 s long, starts not
  // multiples of it, under a manifest saying 600.
  if (h.window != 60 && h.window != 300 && h.window != 600 && h.window != 3600) {
    *error = path + ": corrupt (window " + std::to_string(h.window) +
             " s in the header: a run writes 60, 300, 600 or 3600)";
    return PartialStatus::kCorrupt;
  }
  file->sections.clear();
  uint32_t count = 0;  // sections before the end, skipped optional ones too
  for (;;) {
    const size_t offset = out.size() - r.Left();
    const uint32_t id = r.U32();
    const uint64_t length = r.U64();
    const std::string_view payload = r.Bytes(length);
    if (r.failed()) {
      *error = path + ": truncated (section at byte " + std::to_string(offset) + ")";
      return PartialStatus::kTruncated;
    }
    if (id == static_cast<uint32_t>(PartialSection::kEnd)) {
      ByteReader end(payload);
      const uint32_t written = end.U32();
      const uint64_t before = end.U64();
      // end.Left(): an end section longer than its 12 bytes was accepted, its tail unread.
      if (end.failed() || end.Left() != 0 || written != count || before != offset ||
          r.Left() != 0) {
        *error = path + ": corrupt (end section does not match the sections)";
        return PartialStatus::kCorrupt;
      }
      break;
    }
    // Known by the whole id: bit 31 makes an optional section, a new one this version skips,
    // not a known one (0x80000002 was read as the aggregate state, a payload of another encoding
    // decoded as this one's, or a second aggregate section refused as given twice).
    const bool known = id == static_cast<uint32_t>(PartialSection::kRun) ||
                       id == static_cast<uint32_t>(PartialSection::kAggregate) ||
                       id == static_cast<uint32_t>(PartialSection::kDetection);
    if (!known && (id & kOptionalSection) == 0) {
      *error = path + ": section " + std::to_string(id) +
               " is unknown to this flowsift (written by a newer version?)";
      return PartialStatus::kVersion;
    }
    ++count;
    // A section given twice (a second detection state pasted from another part) was ignored,
    // the first one taken.
    if (known && file->Find(static_cast<PartialSection>(id)) != nullptr) {
      *error = path + ": corrupt (section " + std::to_string(id) + " is there twice)";
      return PartialStatus::kCorrupt;
    }
    if (known) file->sections.emplace_back(id, payload);
  }
  const std::string_view* run = file->Find(PartialSection::kRun);
  if (run == nullptr || file->Find(PartialSection::kAggregate) == nullptr ||
      file->Find(PartialSection::kDetection) == nullptr) {
    *error = path + ": corrupt (no run, aggregate or detection section)";
    return PartialStatus::kCorrupt;
  }
  file->run = nlohmann::ordered_json::parse(*run, nullptr, /*allow_exceptions=*/false);
  if (!file->run.is_object()) {
    *error = path + ": corrupt (run section is not a JSON object)";
    return PartialStatus::kCorrupt;
  }
  return PartialStatus::kOk;
}

}  // namespace flowsift
