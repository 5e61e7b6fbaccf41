#include "pipeline/tables.h"

#include <tbb/parallel_for.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#include "pipeline/json_text.h"

namespace flowsift {
namespace {

// Level 1: on the generated 1 GiB benchmark's tables both faster and smaller than level 3
// (exposure 2.23 -> 2.13 MB, windows 61 -> 55 KB, findings 24.5 -> 23.8 KB; the million-source
// scan's exposure 9.21 -> 8.74 MB): rows sorted by key repeat their neighbours' text, which
// level 1's small window finds as well. The one-thread run's output phase 0.205 -> 0.178 s.
constexpr int kZstdLevel = 1;

// Whether a CSV field needs quotes. Names and addresses hold only bytes above ',' (the
// largest of the four), so the common case is one compare per byte; find_first_of was a
// search of the four characters per byte, half the cost of formatting an exposure row.
bool NeedsQuotes(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) <= ',' && (c == ',' || c == '"' || c == '\r' || c == '\n')) {
      return true;
    }
  }
  return false;
}

void AppendText(std::string_view s, std::string& out) {
  if (!NeedsQuotes(s)) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// ",v1,v2,...,vn\n", the numbers that end a row, formatted on the stack and appended once: one
// append per number and comma was most of the cost of an exposure row.
template <size_t N>
void AppendUintsLine(const uint64_t (&values)[N], std::string& out) {
  char buf[N * 21 + 1];  // N values of up to 20 digits and a comma each, and the newline
  char* p = buf;
  for (uint64_t v : values) {
    *p++ = ',';
    p = std::to_chars(p, buf + sizeof buf, v).ptr;
  }
  *p++ = '\n';
  out.append(buf, p);
}

// Rows per zstd frame. A table is cut into frames by row count alone and the frames are
// formatted and compressed in parallel, then written in order: the exposure table of 1 GiB of
// logs (611k rows) had been one frame, a serial tail of 0.25-0.35 s after the graph. The same
// rows give the same bytes for every --threads.
constexpr size_t kFrameRows = size_t{1} << 16;

// Writes a table of `n` rows whose text format(begin, end, text) appends, rows [begin, end).
template <class Format>
bool WriteTableBy(const std::string& path, std::string_view header, size_t n, Format&& format,
                  std::string* error) {
  ZstdFileWriter w;
  if (!w.Open(path, error)) return false;
  const size_t frames = std::max<size_t>(1, (n + kFrameRows - 1) / kFrameRows);
  // In waves of kWave frames, so that a table of a hundred million rows does not hold all its
  // compressed frames at once.
  constexpr size_t kWave = 16;
  std::vector<std::string> packed(kWave);
  for (size_t first = 0; first < frames; first += kWave) {
    const size_t last = std::min(frames, first + kWave);
    tbb::parallel_for(first, last, [&](size_t f) {
      std::string text;
      if (f == 0) {
        text = header;
        text += '\n';
      }
      format(f * kFrameRows, std::min(n, (f + 1) * kFrameRows), text);
      packed[f - first] = CompressFrame(text);
    });
    for (size_t f = first; f < last; ++f) w.WriteFrames(packed[f - first]);
  }
  return w.Close(error);
}

template <class Row>
bool WriteTable(const std::string& path, std::string_view header, const std::vector<Row>& rows,
                std::string* error) {
  return WriteTableBy(
      path, header, rows.size(),
      [&](size_t begin, size_t end, std::string& text) {
        for (size_t i = begin; i < end; ++i) AppendCsv(rows[i], text);
      },
      error);
}

// The same from a view of an aggregator's rows made one at a time (WindowRows, ExposureRows:
// size() and ForEach(begin, end, f)), with no copy of the table.
template <class View>
bool WriteView(const std::string& path, std::string_view header, const View& rows,
               std::string* error) {
  return WriteTableBy(
      path, header, rows.size(),
      [&](size_t begin, size_t end, std::string& text) {
        rows.ForEach(begin, end, [&](const auto& r) { AppendCsv(r, text); });
      },
      error);
}

ZSTD_CCtx* NewContext() {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, kZstdLevel);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  return cctx;
}

}  // namespace

ZstdFileWriter::~ZstdFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_));
}

bool ZstdFileWriter::Open(const std::string& path, std::string* error) {
  path_ = path;
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) {
    *error = "cannot create " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

std::string CompressFrame(std::string_view text) {
  // One context per thread, kept: a context allocates its ~1 MB of tables at first use, and a
  // table of many frames would pay that (and its page faults) per frame. ZSTD_compress2 resets
  // the session and keeps the parameters.
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(NewContext(), ZSTD_freeCCtx);
  // Compressed into a kept per-thread buffer of the worst-case size, then copied out at its
  // size: a string of compressBound bytes cut down by resize keeps its capacity, and a wave of
  // frames held ~5.8 MB each for ~1 MB of output (92 MB of a day of 10,000 interfaces' peak
  // heap; docs/performance-history.md, "Fiftieth session").
  thread_local std::string bound;
  bound.resize(std::max(bound.size(), ZSTD_compressBound(text.size())));
  const size_t n = ZSTD_compress2(cctx.get(), bound.data(), bound.size(), text.data(), text.size());
  if (ZSTD_isError(n)) return {};  // only on allocation failure: Close reports it
  return std::string(bound.data(), n);
}

void ZstdFileWriter::Put(std::string_view bytes) {
  if (file_ == nullptr || !error_.empty()) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    error_ = "cannot write " + path_ + ": " + std::strerror(errno);
  }
}

void ZstdFileWriter::WriteFrames(std::string_view frames) {
  framed_ = true;
  if (frames.empty() && error_.empty()) error_ = "zstd: cannot compress " + path_;
  Put(frames);
}

void ZstdFileWriter::Compress(std::string_view bytes, bool end) {
  if (file_ == nullptr || !error_.empty()) return;
  if (cctx_ == nullptr) {  // the first streamed bytes: WriteFrames needs neither
    cctx_ = NewContext();
    out_.resize(ZSTD_CStreamOutSize());
  }
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  for (;;) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    const size_t left = ZSTD_compressStream2(static_cast<ZSTD_CCtx*>(cctx_), &out, &in,
                                             end ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(left)) {
      error_ = path_ + ": zstd: " + ZSTD_getErrorName(left);
      return;
    }
    Put({out_.data(), out.pos});
    if (!error_.empty()) return;
    if (end ? left == 0 : in.pos == in.size) return;
  }
}

void ZstdFileWriter::Write(std::string_view bytes) { Compress(bytes, false); }

bool ZstdFileWriter::Close(std::string* error) {
  if (!framed_) Compress({}, true);  // ends Write's frame, or writes an empty one
  if (file_ != nullptr) {
    if (std::fflush(file_) != 0 && error_.empty()) {
      error_ = "cannot write " + path_ + ": " + std::strerror(errno);
    }
    if (std::fclose(file_) != 0 && error_.empty()) {
      error_ = "cannot close " + path_ + ": " + std::strerror(errno);
    }
    file_ = nullptr;
  }
  if (!error_.empty()) {
    *error = error_;
    return false;
  }
  return true;
}

std::string_view WindowsHeader() {
  return "interface_id,account_id,window_start,window_end,records,nodata,skipdata,accepted,"
         "rejected,packets,bytes,rejected_bytes,bytes_out_external,bytes_in_external,"
         "distinct_srcaddr,distinct_dstaddr,distinct_dstport";
}
std::string_view TalkersHeader() { return "window_start,rank,srcaddr,bytes,packets,flows"; }
std::string_view ExposureHeader() {
  return "interface_id,dst_port,protocol,accepted_external,rejected_external,"
         "distinct_external_sources";
}

void AppendCsv(const WindowRow& r, std::string& out) {
  AppendText(r.interface_id, out);
  out += ',';
  AppendText(r.account_id, out);
  AppendUintsLine({r.window_start, r.window_end, r.records, r.nodata, r.skipdata, r.accepted,
                   r.rejected, r.packets, r.bytes, r.rejected_bytes, r.bytes_out_external,
                   r.bytes_in_external, r.distinct_srcaddr, r.distinct_dstaddr, r.distinct_dstport},
                  out);
}

void AppendCsv(const TalkerRow& r, std::string& out) {
  AppendUint(r.window_start, out);
  out += ',';
  AppendUint(r.rank, out);
  out += ',';
  AppendText(r.srcaddr, out);
  AppendUintsLine({r.bytes, r.packets, r.flows}, out);
}

void AppendCsv(const ExposureRow& r, std::string& out) {
  AppendText(r.interface_id, out);
  AppendUintsLine({r.dst_port, r.protocol, r.accepted_external, r.rejected_external,
                   r.distinct_external_sources},
                  out);
}

bool WriteWindows(const std::string& path, const std::vector<WindowRow>& rows, std::string* error) {
  return WriteTable(path, WindowsHeader(), rows, error);
}
bool WriteTalkers(const std::string& path, const std::vector<TalkerRow>& rows, std::string* error) {
  return WriteTable(path, TalkersHeader(), rows, error);
}
bool WriteExposure(const std::string& path, const std::vector<ExposureRow>& rows,
                   std::string* error) {
  return WriteTable(path, ExposureHeader(), rows, error);
}
bool WriteWindows(const std::string& path, const WindowRows& rows, std::string* error) {
  return WriteView(path, WindowsHeader(), rows, error);
}
bool WriteExposure(const std::string& path, const ExposureRows& rows, std::string* error) {
  return WriteView(path, ExposureHeader(), rows, error);
}

}  // namespace flowsift
