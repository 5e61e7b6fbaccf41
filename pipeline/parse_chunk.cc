// Stage 2: lines -> columns. See parse_chunk.h for the contract.
//
// The chunk is indexed in 64 KiB blocks (kernels/split.h) so the delimiter index stays in L2.
// A line whose delimiter count equals the format's field count and that holds no "oddity"
// (run of spaces, control byte, non-ASCII byte) is simple: field i of a line whose previous
// newline is delimiter P ends at delimiter P + i + 1 and starts after delimiter P + i, with no
// search. Other lines are re-split by a byte loop. Values are then converted column by column
// with the kernels, and rows with a bad value are dropped afterwards, rarely.
#include "pipeline/parse_chunk.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>

#include "kernels/addr.h"
#include "kernels/enums.h"
#include "kernels/integers.h"
#include "kernels/split.h"
#include "pipeline/distinct.h"

namespace flowsift {
namespace {

using kernels::FieldSpan;
using kernels::FieldStatus;

constexpr size_t kBlockBytes = kMaxLineBytes;

// RFC 3629 well-formed UTF-8: no overlongs, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += len;
  }
  return true;
}

// A string column's spans of one segment, moved from segment to chunk offsets (+ add), "-"
// marked missing. Out of line: inlined into ConvertBlock, the loop kept its offsets on the
// stack, a store and two reloads a row (perf annotate: half of ParseChunk's own samples).
// Two 32-bit additions: a block's first begin wraps from UINT32_MAX to 0 (SegmentView), so a
// span moved as one 64-bit word would carry into its end. The view's begin_add is folded into
// `add` once, not applied per row by SpanView::operator[] (which took 15 instructions a row
// against 13: BM_ParseChunkAllFields 0.986x, 4/10 pairs).
[[gnu::noinline]] void CopySpans(const uint8_t* bytes, kernels::SpanView view, size_t n,
                                 uint32_t add, FieldSpan* out, FieldStatus* status) {
  const uint32_t begin_add = view.begin_add + add;
  const uint32_t* at = view.at;
  for (size_t r = 0; r < n; ++r, at += view.stride) {
    const FieldSpan s = {at[0] + begin_add, at[1] + add};
    out[r] = s;
    const bool dash = s.end - s.begin == 1 && bytes[s.begin] == '-';
    status[r] = dash ? FieldStatus::kMissing : FieldStatus::kOk;
  }
}

// The last 8 bytes of `s` (fewer, zero-extended, when shorter) as a word: where interface
// names differ (their last hex digits), for InternHash. A constant-size load, no memcpy call.
[[gnu::always_inline]] inline uint64_t LastWord(std::string_view s) {
  uint64_t w = 0;
  if (s.size() >= 8) {
    memcpy(&w, s.data() + s.size() - 8, 8);
  } else {
    for (size_t i = 0; i < s.size(); ++i) w |= uint64_t{static_cast<uint8_t>(s[i])} << (8 * i);
  }
  return w;
}

// Interned names of 1..kMaxLen bytes (every VPC interface id: "eni-" and 17 hex digits, 21
// bytes), found without reading any earlier row's text. A name is three words loaded from its
// field (the chunk is readable kPadding bytes past its end) and masked to its length, and each
// slot holds those words beside the name's id, so a probe compares registers with one slot of a
// table that stays in L1. Interning by the text (hash, probe, then a word loop over the first
// row's text of the id found) was 15% of the full parse benchmark's samples, most on that
// loop's branches.
class ShortNames {
 public:
  static constexpr size_t kMaxLen = 24;
  struct Key {
    uint64_t w0, w1, w2;
    uint32_t len;
  };
  // `p` must be readable for kMaxLen bytes; 1 <= len <= kMaxLen.
  [[gnu::always_inline]] static Key KeyOf(const uint8_t* p, size_t len) {
    const auto word = [&](size_t at) {
      uint64_t w;
      memcpy(&w, p + at, 8);
      const size_t have = len > at ? std::min<size_t>(len - at, 8) : 0;
      return w & kMask[have];
    };
    return {word(0), word(8), word(16), static_cast<uint32_t>(len)};
  }
  // An id no name gets: FindAll's mark of a row it did not resolve.
  static constexpr uint32_t kUnresolved = UINT32_MAX;
  // Looks up the names text[spans[r]] of rows r < n into ids[r], adding none: a name not in
  // the table, or not of 1..kMaxLen bytes, gets kUnresolved. True when any row did.
  bool FindAll(const uint8_t* text, const FieldSpan* spans, size_t n, uint32_t* ids) const {
    if (slots_.empty()) {
      std::fill(ids, ids + n, kUnresolved);
      return n != 0;
    }
    const Slot* const slots = slots_.data();
    const size_t mask = slots_.size() - 1;
    const int shift = shift_;
    uint32_t unresolved = 0;
    for (size_t r = 0; r < n; ++r) {
      const size_t len = spans[r].end - spans[r].begin;
      uint32_t id = kUnresolved;
      if (len - 1 < kMaxLen) [[likely]] {
        const Key key = KeyOf(text + spans[r].begin, len);
        for (size_t i = Hash(key) >> shift;; i = (i + 1) & mask) {
          const Slot& slot = slots[i];
          if (Matches(slot, key)) {
            id = slot.id;
            break;
          }
          if (slot.len == 0) break;
        }
      }
      ids[r] = id;
      unresolved |= id == kUnresolved;
    }
    return unresolved != 0;
  }
  // The id of `key`; a new name gets `next_id` (and *added is set). The table is kept at most
  // a quarter full: at half, a fifth of the lookups of 200 names probed a second slot, and
  // the probe loop's branch mispredicted (callgrind, 64 MB of v2: 200 k -> 81 k mispredicts).
  [[gnu::always_inline]] uint32_t FindOrAdd(const Key& key, uint32_t next_id, bool* added) {
    if ((used_ + 1) * 4 > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = Hash(key) >> shift_;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (Matches(slot, key)) return slot.id;
      if (slot.len == 0) {  // empty: no name has length 0
        slot = {key.w0, key.w1, key.w2, key.len, next_id};
        ++used_;
        *added = true;
        return next_id;
      }
    }
  }

 private:
  struct Slot {  // 32 bytes: two a cache line
    uint64_t w0 = 0, w1 = 0, w2 = 0;
    uint32_t len = 0, id = 0;
  };
  // Non-short-circuit: one branch for the four compares.
  [[gnu::always_inline]] static bool Matches(const Slot& slot, const Key& key) {
    return (slot.w0 == key.w0) & (slot.w1 == key.w1) & (slot.w2 == key.w2) & (slot.len == key.len);
  }
  static constexpr uint64_t kMask[9] = {0,           0xFF,         0xFFFF,         0xFFFFFF,
                                        0xFFFFFFFF,  0xFFFFFFFFFF, 0xFFFFFFFFFFFF, 0xFFFFFFFFFFFFFF,
                                        ~uint64_t{0}};
  // One multiply: the high bits of the product depend on every bit of the words (interface
  // ids differ in their hex digits, in all three words).
  template <typename K>
  static uint64_t Hash(const K& k) {
    return (k.w0 ^ std::rotl(k.w1, 21) ^ std::rotl(k.w2, 42) ^ k.len) * 0x9E3779B97F4A7C15ull;
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    const size_t size = old.empty() ? 256 : old.size() * 2;
    slots_.assign(size, Slot{});
    shift_ = 64 - std::countr_zero(size);
    for (const Slot& s : old) {
      if (s.len == 0) continue;
      for (size_t i = Hash(s) >> shift_;; i = (i + 1) & (size - 1)) {
        if (slots_[i].len == 0) {
          slots_[i] = s;
          break;
        }
      }
    }
  }
  std::vector<Slot> slots_;
  size_t used_ = 0;
  int shift_ = 64;
};

LineError ErrorFor(FieldKind kind, FieldStatus status) {
  switch (kind) {
    case FieldKind::kUint:
    case FieldKind::kTime:
      return status == FieldStatus::kOverflow ? LineError::kIntegerOverflow
                                              : LineError::kBadInteger;
    case FieldKind::kAddr:
      return LineError::kBadAddress;
    case FieldKind::kEnum:
      return LineError::kBadEnum;
    case FieldKind::kString:
      break;
  }
  return LineError::kInvalidUtf8;  // strings fail only on their bytes
}

// Where ParseBlock's line loop is: line r of the block, rows made, the slot of the previous
// line's newline, the next oddity.
struct LineScan {
  size_t r, rows, prev, odd;
};

// ParseBlock's line loop over the lines that take the fast path, from `at` up to the first
// that does not (or the block's end): each such line becomes a row of its block. A function of
// its own, with no call inside: in ParseBlock, with SlowLine's call in the same loop, gcc kept
// the line counter in a stack slot, a store and a reload every line, and the loop's speed then
// depended on where the linker put it (the parse time of a run moved by 15% with changes to
// other files; docs/performance-history.md, "Twenty-fifth session").
[[gnu::noinline]] LineScan ScanFastLines(const uint32_t* d, const uint32_t* line_ends, size_t lines,
                                         const uint32_t* oddities, size_t n_oddities, size_t nf,
                                         uint32_t base, uint32_t first_line, LineScan at,
                                         uint32_t* row_line, uint32_t* row_offset) {
  size_t r = at.r, rows = at.rows, prev = at.prev, odd = at.odd;
  for (; r < lines; ++r) {
    const size_t next = line_ends[r] + 1;
    const uint32_t line_begin = d[prev] + 1;  // relative to the block
    const uint32_t line_end = d[next];        // the newline
    while (odd < n_oddities && oddities[odd] < line_begin) ++odd;
    const bool has_odd = odd < n_oddities && oddities[odd] <= line_end;
    if (next - prev != nf || has_odd) [[unlikely]] {
      break;
    }
    // Its fields' spans are not stored (that cost ~15 instructions a field, callgrind): the
    // kernels read them from the delimiter index (ConvertBlock).
    row_line[rows] = first_line + static_cast<uint32_t>(r);
    row_offset[rows] = base + line_begin;
    ++rows;
    prev = next;
  }
  return {r, rows, prev, odd};
}

class ChunkParser {
 public:
  ChunkParser(const uint8_t* bytes, size_t size, const Format& format, const FieldSet& wanted,
              ParseScratch& scratch, ParsedBatch recycled)
      : bytes_(bytes), size_(size), format_(format), s_(scratch), check_only_(scratch.check_only) {
    // Wanted fields become output columns. Typed fields nobody wants are still converted, into
    // scratch, so that whether a line is a record or a bad line never depends on the command
    // (a garbage line is bad whatever is asked of it); strings are checked by the line pass.
    // Columns are reused in order from `recycled` and from the scratch's last chunk: with the
    // same format each comes back as the same field, with its capacity.
    std::vector<Column> spare = std::move(recycled.columns);
    out_.bad_lines = std::move(recycled.bad_lines);
    out_.bad_lines.clear();
    out_.bad_by_reason = {};
    size_t spare_used = 0, check_used = 0;
    for (size_t f = 0; f < kNumFields; ++f) {
      const Field field = static_cast<Field>(f);
      if (!format.Has(field)) continue;
      const FieldKind kind = InfoOf(field).kind;
      if (wanted[f]) {
        out_.columns.push_back(spare_used < spare.size() ? std::move(spare[spare_used++])
                                                         : Column());
        Reset(out_.columns.back(), field, kind);
      } else if (kind != FieldKind::kString) {
        if (check_used == check_only_.size()) check_only_.emplace_back();
        Reset(check_only_[check_used++], field, kind);
      }
    }
    check_only_.resize(check_used);
    for (Column& c : out_.columns) slots_.push_back({&c, Position(c.field), true});
    for (Column& c : check_only_) slots_.push_back({&c, Position(c.field), false});
    for (const Slot& slot : slots_) typed_slots_ += slot.col->kind != FieldKind::kString;
    // Slots in format order: a row's error is that of its first bad field.
    check_order_.resize(slots_.size());
    for (size_t k = 0; k < check_order_.size(); ++k) check_order_[k] = k;
    std::sort(check_order_.begin(), check_order_.end(),
              [&](size_t a, size_t b) { return slots_[a].format_index < slots_[b].format_index; });
    // A block of B bytes holds at most B lines, plus the unterminated last one. (resize only
    // grows: a thread's scratch reaches its final size on its first full block.)
    const size_t block = std::min(size, kBlockBytes);
    // The span columns share one buffer. Each column's stride is 64 bytes more than a
    // multiple of 4 KiB, so the fast path's per-column store streams fall into different L1
    // sets; with equal 4 KiB alignment 14+ streams thrash one set (measured: 36% of the
    // line loop on a store).
    span_stride_ = (block + 1 + 511) / 512 * 512 + 8;
    s_.spans.resize(std::max(s_.spans.size(), span_stride_ * slots_.size()));
    // The two row arrays start one and two cache lines into their buffers (the
    // allocator gives both the same address modulo 4 KiB): the line loop stores to the
    // same index of each, and at equal low address bits those stores cost a run ~0.1 s of
    // parse time in some builds (docs/performance-history.md, "Twenty-fifth session").
    constexpr size_t kStagger = 64 / sizeof(uint32_t);
    s_.row_line.resize(std::max(s_.row_line.size(), block + 1 + 3 * kStagger));
    s_.row_offset.resize(std::max(s_.row_offset.size(), block + 1 + 3 * kStagger));
    row_line_ = s_.row_line.data() + kStagger;
    row_offset_ = s_.row_offset.data() + 2 * kStagger;
    s_.row_error.resize(std::max(s_.row_error.size(), block + 1));
    // +1: slot 0 is a virtual delimiter at offset -1, so line 0 starts at slot0 + 1 = 0.
    s_.delims.resize(std::max(s_.delims.size(), block + 64 + 1));
    s_.line_ends.resize(std::max(s_.line_ends.size(), block + 64));
    s_.oddities.resize(std::max(s_.oddities.size(), block + 64));
  }

  ParsedBatch Run() {
    size_t pos = 0;
    while (pos < size_) {
      pos = ParseBlock(pos);
      if (!reserved_ && rows_ > 0) ReserveColumns(pos);
    }
    out_.lines = line_;
    DropBadRows();
    TrimBadLines();
    return std::move(out_);
  }

 private:
  // The block's rows in runs: fast rows r0.. whose first line's previous newline is delimiter
  // `prev` (the next row's is nf further), or slow rows (kSlowRows) whose spans are in SpansOf.
  static constexpr uint32_t kSlowRows = UINT32_MAX;
  struct Segment {
    uint32_t row0, n, prev;
  };

  // Splits the lines of the block starting at `pos` into spans, converts them while the
  // block's bytes are still in L2, and returns where the next block starts.
  size_t ParseBlock(size_t pos) {
    const size_t nf = format_.size();
    const size_t len = std::min(kBlockBytes, size_ - pos);
    uint32_t* d = s_.delims.data();
    d[0] = UINT32_MAX;
    const kernels::DelimiterCounts c =
        kernels::IndexDelimiters(bytes_ + pos, len, d + 1, s_.line_ends.data(), s_.oddities.data());
    block_rows_ = 0;
    block_base_ = static_cast<uint32_t>(pos);
    segments_.clear();
    if (c.lines == 0) {
      if (pos + len == size_) {  // the last line has no newline
        SlowLine(static_cast<uint32_t>(pos), static_cast<uint32_t>(size_));
        ++line_;
        ConvertBlock();
        return size_;
      }
      // No newline in a whole block: skip the line, wherever it ends.
      AddBadLine(line_++, static_cast<uint32_t>(pos), LineError::kLineTooLong);
      const void* nl = memchr(bytes_ + pos + len, '\n', size_ - pos - len);
      return nl ? static_cast<const uint8_t*>(nl) - bytes_ + 1 : size_;
    }
    const uint32_t base = static_cast<uint32_t>(pos);
    // Hoisted out of the line loop into locals: the stores are uint32_t, so the compiler must
    // assume they may alias any uint32_t member and would reload members on every line.
    uint32_t* const row_line = row_line_;
    uint32_t* const row_offset = row_offset_;
    const uint32_t* const line_ends = s_.line_ends.data();
    const uint32_t* const oddities = s_.oddities.data();
    const uint32_t first_line = line_;  // line r of the block is first_line + r
    LineScan at{0, block_rows_, 0, 0};
    while (true) {
      const LineScan from = at;
      at = ScanFastLines(d, line_ends, c.lines, oddities, c.oddities, nf, base, first_line, at,
                         row_line, row_offset);
      if (at.rows > from.rows) {
        segments_.push_back({static_cast<uint32_t>(from.rows),
                             static_cast<uint32_t>(at.rows - from.rows),
                             static_cast<uint32_t>(from.prev)});
      }
      if (at.r == c.lines) break;
      const size_t next = line_ends[at.r] + 1;
      block_rows_ = at.rows;
      line_ = first_line + static_cast<uint32_t>(at.r);
      SlowLine(base + d[at.prev] + 1, base + d[next]);
      at.rows = block_rows_;
      at.prev = next;
      ++at.r;
    }
    const size_t prev = at.prev;
    block_rows_ = at.rows;
    line_ = first_line + static_cast<uint32_t>(c.lines);
    ConvertBlock();
    return pos + d[prev] + 1;
  }

  // Re-splits the line [begin, end) (without its '\n') by a byte loop: runs of spaces
  // collapse, trailing spaces and '\r' go, control bytes and invalid UTF-8 are errors.
  void SlowLine(uint32_t begin, uint32_t end) {
    while (end > begin && (bytes_[end - 1] == '\r' || bytes_[end - 1] == ' ')) --end;
    if (end == begin) {
      ++out_.blank_lines;
      return;
    }
    bool ascii = true;
    for (uint32_t i = begin; i < end; ++i) {
      const uint8_t ch = bytes_[i];
      if (ch < 0x20) return Bad(begin, LineError::kControlCharacter);
      ascii &= ch < 0x80;
    }
    if (!ascii && !IsValidUtf8(bytes_ + begin, end - begin)) {
      return Bad(begin, LineError::kInvalidUtf8);
    }
    auto& tokens = s_.tokens;
    tokens.clear();
    for (uint32_t i = begin; i < end;) {
      while (i < end && bytes_[i] == ' ') ++i;
      const uint32_t start = i;
      while (i < end && bytes_[i] != ' ') ++i;
      if (i > start) tokens.push_back({start, i});
    }
    if (tokens.size() != format_.size()) {
      const std::string_view text(reinterpret_cast<const char*>(bytes_ + begin), end - begin);
      if (Format::FromHeaderLine(text)) {
        ++out_.header_lines;
        return;
      }
      return Bad(begin, tokens.size() < format_.size() ? LineError::kTooFewFields
                                                       : LineError::kTooManyFields);
    }
    for (size_t k = 0; k < slots_.size(); ++k) {
      SpansOf(k)[block_rows_] = tokens[slots_[k].format_index];
    }
    if (!segments_.empty() && segments_.back().prev == kSlowRows &&
        segments_.back().row0 + segments_.back().n == block_rows_) {
      ++segments_.back().n;
    } else {
      segments_.push_back({static_cast<uint32_t>(block_rows_), 1, kSlowRows});
    }
    row_line_[block_rows_] = line_;
    row_offset_[block_rows_] = begin;
    ++block_rows_;
  }

  // Empties a reused column for `field`, keeping its vectors' capacity.
  static void Reset(Column& col, Field field, FieldKind kind) {
    col.field = field;
    col.kind = kind;
    col.status.clear();
    col.u64.clear();
    col.addr.clear();
    col.code.clear();
    col.spans.clear();
    col.ids.clear();
    col.dict.clear();
    col.dict_keys.clear();
  }

  void Bad(uint32_t offset, LineError reason) { AddBadLine(line_, offset, reason); }

  // Counts a bad line and keeps it for now. The line loop and the conversion checks add lines
  // block by block, so one reason's lines may come out of order; a trim every few hundred lines
  // keeps the first kBadLinesKeptPerReason of each by line number (a line it drops has that
  // many earlier lines of its reason before it), so memory stays bounded and the sorts cost
  // O(log) a line.
  void AddBadLine(uint32_t line, uint32_t offset, LineError reason) {
    ++out_.bad_by_reason[static_cast<size_t>(reason)];
    out_.bad_lines.push_back({line, offset, reason});
    if (out_.bad_lines.size() >= 2 * kNumLineErrors * kBadLinesKeptPerReason) TrimBadLines();
  }
  // Sorts the kept bad lines by line and drops all but the first kBadLinesKeptPerReason of
  // each reason.
  void TrimBadLines() {
    std::vector<BadLine>& v = out_.bad_lines;
    std::sort(v.begin(), v.end(),
              [](const BadLine& a, const BadLine& b) { return a.line < b.line; });
    std::array<size_t, kNumLineErrors> kept{};
    std::erase_if(v, [&](const BadLine& b) {
      return kept[static_cast<size_t>(b.reason)]++ >= kBadLinesKeptPerReason;
    });
  }

  // Sizes the output columns once for the whole chunk, from the rows per byte of the first
  // block (+1/16 and 64 rows of slack), so they do not grow by copying block after block.
  void ReserveColumns(size_t parsed_bytes) {
    reserved_ = true;
    const double rows_per_byte = static_cast<double>(rows_) / static_cast<double>(parsed_bytes);
    size_t rows = static_cast<size_t>(rows_per_byte * static_cast<double>(size_) * 1.0625) + 64;
    // Rounded up to an eighth of its power of two. The estimate moves by a percent or two from
    // chunk to chunk, and a recycled batch's columns grew again for each estimate above their
    // capacity, into fresh memory each time (1 GiB of v2, two threads: 390 column growths for 257
    // chunks; the kernel's page clearing under ParseChunk ~4% of the run's samples, history
    // "Forty-fifth session"). Now a batch's columns stop growing after a chunk or two.
    const size_t step = std::bit_floor(rows) / 8;
    rows = (rows + step - 1) / step * step;
    for (Column& col : out_.columns) {
      col.status.reserve(rows);
      switch (col.kind) {
        case FieldKind::kUint:
        case FieldKind::kTime:
          col.u64.reserve(rows);
          break;
        case FieldKind::kAddr:
          col.addr.reserve(rows);
          break;
        case FieldKind::kEnum:
          col.code.reserve(rows);
          break;
        case FieldKind::kString:
          col.spans.reserve(rows);
          if (Interned(col.field)) col.ids.reserve(rows);
          break;
      }
    }
  }

  // Converts the block's rows into the output columns at rows [rows_, rows_ + block_rows_),
  // and into the check-only columns at rows [0, block_rows_), segment by segment: a run of
  // fast rows is read from the delimiter index, a run of slow ones from SpansOf.
  void ConvertBlock() {
    const size_t n = block_rows_;
    if (n == 0) return;
    for (size_t k = 0; k < slots_.size(); ++k) {
      Column& col = *slots_[k].col;
      const size_t r0 = slots_[k].keep ? rows_ : 0;
      col.status.resize(r0 + n);
      FieldStatus* status = col.status.data() + r0;
      switch (col.kind) {
        case FieldKind::kUint:
        case FieldKind::kTime: {
          col.u64.resize(r0 + n);
          uint64_t* v = col.u64.data() + r0;
          const uint64_t max = InfoOf(col.field).max;
          for (const Segment& g : segments_) {
            const auto [base, view] = SegmentView(g, k);
            kernels::ParseUintColumn(base, view, g.n, max, v + g.row0, status + g.row0);
          }
          if (col.kind == FieldKind::kTime) {
            // Milliseconds are rare: an OR over the block first (vectorised; at least the
            // largest value, so it misses no millisecond value), the division only when it
            // may be needed. The loop with the division in it stayed scalar: 13% of
            // ConvertBlock's samples (docs/performance-history.md, "Twenty-seventh session").
            uint64_t bits = 0;
            for (size_t r = 0; r < n; ++r) bits |= v[r];
            if (bits >= kMillisecondTimes) {
              for (size_t r = 0; r < n; ++r) v[r] = v[r] >= kMillisecondTimes ? v[r] / 1000 : v[r];
            }
          }
          break;
        }
        case FieldKind::kAddr: {
          col.addr.resize(r0 + n);
          kernels::Addr128* a = col.addr.data() + r0;
          for (const Segment& g : segments_) {
            const auto [base, view] = SegmentView(g, k);
            kernels::ParseAddrColumn(base, view, g.n, a + g.row0, status + g.row0);
          }
          break;
        }
        case FieldKind::kEnum: {
          col.code.resize(r0 + n);
          uint8_t* code = col.code.data() + r0;
          const kernels::EnumKind kind = InfoOf(col.field).enum_kind;
          for (const Segment& g : segments_) {
            const auto [base, view] = SegmentView(g, k);
            kernels::ParseEnumColumn(kind, base, view, g.n, code + g.row0, status + g.row0);
          }
          break;
        }
        case FieldKind::kString: {
          // Strings are kept as spans of the chunk; "-" is missing. (The length test first and
          // a branch: it is never taken on real logs, and a load of every field's first byte
          // cost more than the branch.)
          col.spans.resize(r0 + n);
          FieldSpan* spans = col.spans.data() + r0;
          for (const Segment& g : segments_) {
            const auto [base, view] = SegmentView(g, k);
            CopySpans(bytes_, view, g.n, static_cast<uint32_t>(base - bytes_), spans + g.row0,
                      status + g.row0);
          }
          if (Interned(col.field)) InternBlock(col, k, spans, n);
          break;
        }
      }
    }
    FindBadRows(n);
    rows_ += n;
  }

  // Where a segment's spans of slot k are: the text they index into and the view.
  std::pair<const uint8_t*, kernels::SpanView> SegmentView(const Segment& g, size_t k) {
    if (g.prev == kSlowRows) return {bytes_, kernels::ViewOf(SpansOf(k) + g.row0)};
    // Block-relative offsets; delims[0] is UINT32_MAX, so the first line's begin wraps to 0.
    return {bytes_ + block_base_,
            {s_.delims.data() + g.prev + slots_[k].format_index, format_.size(), 1}};
  }

  // Appends the block's ids of an interned column (Column::ids), growing its dict. The text
  // is in cache here, while the block is converted; the consumers read only the ids.
  // Two passes: the first looks every short name up and adds nothing, so its loop makes no
  // call and keeps its state in registers (with the insertion in the same loop gcc kept the
  // row counter and the table in stack slots: 11.6% of the full parse's samples); the rows it
  // did not resolve (a name not seen before in the chunk, or a long one) go through the second
  // in row order, so ids are still given in order of first appearance.
  void InternBlock(Column& col, size_t slot, const FieldSpan* spans, size_t n) {
    if (intern_.size() <= slot) {
      intern_.resize(slot + 1);
      short_names_.resize(slot + 1);
    }
    std::vector<uint32_t>& table = intern_[slot];
    ShortNames& short_names = short_names_[slot];
    col.ids.resize(rows_ + n);
    uint32_t* ids = col.ids.data() + rows_;
    if (!short_names.FindAll(bytes_, spans, n, ids)) return;
    std::string_view last;  // the last long name
    uint32_t last_id = 0;
    for (size_t r = 0; r < n; ++r) {
      if (ids[r] != ShortNames::kUnresolved) continue;
      const size_t len = spans[r].end - spans[r].begin;
      if (len - 1 < ShortNames::kMaxLen) {
        const ShortNames::Key key = ShortNames::KeyOf(bytes_ + spans[r].begin, len);
        bool added = false;
        ids[r] = short_names.FindOrAdd(key, static_cast<uint32_t>(col.dict.size()), &added);
        if (added) AddToDict(col, spans[r]);
        continue;
      }
      // Longer names (and empty ones, which the line pass never makes) by their text.
      // Consecutive rows often share the value (both directions of a flow).
      const std::string_view text = Text(spans[r]);
      if (last.empty() || !SameBytes(text, last)) {
        last_id = Intern(col, table, spans[r], text);
        last = text;
      }
      ids[r] = last_id;
    }
  }

  // A new value of an interned column, with its NameKey made while its text is in cache.
  void AddToDict(Column& col, FieldSpan span) {
    col.dict.push_back(span);
    col.dict_keys.push_back(NameKey::Of(Text(span)));
  }

  // The id of `text` in col.dict, adding it (as `span`) when new. `table`: open addressing
  // over dict ids, 1 + id per slot, 0 empty, at most half full. It holds every id, the short
  // names' too (ShortNames adds those to col.dict without it), so it grows to fit them all.
  uint32_t Intern(Column& col, std::vector<uint32_t>& table, FieldSpan span,
                  std::string_view text) {
    if ((col.dict.size() + 1) * 2 > table.size()) {
      table.assign(std::max<size_t>(256, std::bit_ceil((col.dict.size() + 1) * 2)), 0);
      const size_t mask = table.size() - 1;
      for (uint32_t id = 0; id < col.dict.size(); ++id) {
        size_t i = InternHash(Text(col.dict[id])) & mask;
        while (table[i] != 0) i = (i + 1) & mask;
        table[i] = id + 1;
      }
    }
    const size_t mask = table.size() - 1;
    for (size_t i = InternHash(text) & mask;; i = (i + 1) & mask) {
      const uint32_t slot = table[i];
      if (slot == 0) {
        AddToDict(col, span);
        table[i] = static_cast<uint32_t>(col.dict.size());
        return static_cast<uint32_t>(col.dict.size() - 1);
      }
      if (SameBytes(Text(col.dict[slot - 1]), text)) return slot - 1;
    }
  }
  // Interface ids differ in their last hex digits; the first word and the length separate
  // the kinds of id (eni-, tgw-attach-).
  static uint64_t InternHash(std::string_view text) {
    uint64_t first = 0;
    memcpy(&first, text.data(), std::min<size_t>(text.size(), 8));
    return Mix64(LastWord(text) ^ std::rotl(first, 29) ^ text.size());
  }
  std::string_view Text(FieldSpan s) const { return SpanText(bytes_, s); }

  // Marks block rows with a value that failed conversion; the reason is that of the first bad
  // field in the format's order. A header line repeated inside the data lands here too (a
  // field name is not a number, address or enum) and is counted as a header, not as a bad
  // line. A format of strings only has nothing to fail, so there every row is header-checked.
  void FindBadRows(size_t n) {
    uint8_t* error = s_.row_error.data();
    std::fill(error, error + n, 0);
    bool any = typed_slots_ == 0;
    for (size_t k : check_order_) {
      const Slot& slot = slots_[k];
      const FieldStatus* status = slot.col->status.data() + (slot.keep ? rows_ : 0);
      // The failed statuses are the two with bit 1 set: one OR over the bytes finds any.
      static_assert(static_cast<int>(FieldStatus::kOk) < 2 &&
                    static_cast<int>(FieldStatus::kMissing) < 2 &&
                    static_cast<int>(FieldStatus::kBadSyntax) == 2 &&
                    static_cast<int>(FieldStatus::kOverflow) == 3);
      const uint8_t* bytes = reinterpret_cast<const uint8_t*>(status);
      uint8_t bits = 0;
      for (size_t r = 0; r < n; ++r) bits |= bytes[r];
      if ((bits & 2) == 0) [[likely]]
        continue;
      any = true;
      for (size_t r = 0; r < n; ++r) {
        if (status[r] >= FieldStatus::kBadSyntax && error[r] == 0) {
          error[r] =
              static_cast<uint8_t>(1 + static_cast<uint8_t>(ErrorFor(slot.col->kind, status[r])));
        }
      }
    }
    if (!any) return;
    for (size_t r = 0; r < n; ++r) {
      if (error[r] == 0 && typed_slots_ != 0) continue;
      const uint32_t offset = row_offset_[r];
      const uint8_t* line = bytes_ + offset;
      const void* nl = memchr(line, '\n', size_ - offset);
      const size_t len = nl ? static_cast<const uint8_t*>(nl) - line : size_ - offset;
      if (Format::FromHeaderLine({reinterpret_cast<const char*>(line), len})) {
        ++out_.header_lines;
      } else if (error[r] != 0) {
        AddBadLine(row_line_[r], offset, static_cast<LineError>(error[r] - 1));
      } else {
        continue;  // a good row of a strings-only format
      }
      dropped_.push_back(rows_ + r);
    }
  }

  // Removes the rows in dropped_ (ascending) from every column.
  void DropBadRows() {
    out_.rows = rows_ - dropped_.size();
    if (dropped_.empty()) return;
    for (Column& col : out_.columns) {
      Compact(col.status);
      Compact(col.u64);
      Compact(col.addr);
      Compact(col.code);
      Compact(col.spans);
      Compact(col.ids);
    }
  }

  template <class V>
  void Compact(V& v) {
    if (v.empty()) return;
    size_t w = 0, next_drop = 0;
    for (size_t r = 0; r < v.size(); ++r) {
      if (next_drop < dropped_.size() && dropped_[next_drop] == r) {
        ++next_drop;
        continue;
      }
      v[w++] = v[r];
    }
    v.resize(w);
  }

  const uint8_t* bytes_;
  size_t size_;
  const Format& format_;
  ParseScratch& s_;
  ParsedBatch out_;
  // A converted field: an output column (keep) or a check-only one (rows of one block).
  struct Slot {
    Column* col;
    uint32_t format_index;  // the field's position in the format
    bool keep;
  };
  uint32_t Position(Field f) const { return static_cast<uint32_t>(format_.IndexOf(f)); }
  FieldSpan* SpansOf(size_t slot) { return s_.spans.data() + slot * span_stride_; }
  size_t span_stride_ = 0;  // entries between two slots' spans in s_.spans

  std::vector<Column>& check_only_;            // ParseScratch::check_only
  std::vector<Slot> slots_;                    // output columns first, then check-only ones
  size_t typed_slots_ = 0;                     // slots that can fail conversion
  std::vector<size_t> check_order_;            // slot indexes in format order
  std::vector<size_t> dropped_;                // rows with a bad value, ascending
  bool reserved_ = false;                      // ReserveColumns ran
  std::vector<std::vector<uint32_t>> intern_;  // by slot: InternBlock's tables of long names
  std::vector<ShortNames> short_names_;        // by slot: InternBlock's short names
  size_t rows_ = 0;                            // rows converted so far, dropped ones included
  size_t block_rows_ = 0;                      // rows of the current block
  uint32_t line_ = 0;
  // The block rows' line numbers and line offsets, in s_ (see the constructor).
  uint32_t* row_line_ = nullptr;
  uint32_t* row_offset_ = nullptr;
  std::vector<Segment> segments_;
  uint32_t block_base_ = 0;  // the block's offset in the chunk
};

}  // namespace

std::string_view LineErrorName(LineError e) {
  static constexpr std::string_view kNames[kNumLineErrors] = {
      "too_few_fields", "too_many_fields", "bad_integer",  "integer_overflow", "bad_address",
      "bad_enum",       "line_too_long",   "invalid_utf8", "control_character"};
  const size_t i = static_cast<size_t>(e);
  return i < kNumLineErrors ? kNames[i] : "unknown";
}

uint32_t ParsedBatch::BadLineCount() const {
  uint32_t n = 0;
  for (const uint32_t c : bad_by_reason) n += c;
  return n;
}

const Column* ParsedBatch::Find(Field f) const {
  for (const Column& c : columns) {
    if (c.field == f) return &c;
  }
  return nullptr;
}

const Column* ParsedBatch::FindInterface() const {
  const Column* c = Find(Field::kInterfaceId);
  return c != nullptr ? c : Find(Field::kTgwAttachmentId);
}

ParsedBatch ParseChunk(const uint8_t* bytes, size_t size, const Format& format,
                       const FieldSet& wanted, ParseScratch& scratch, ParsedBatch recycled) {
  static std::atomic<uint64_t> serial{0};
  ParsedBatch b = ChunkParser(bytes, size, format, wanted, scratch, std::move(recycled)).Run();
  b.serial = ++serial;
  return b;
}

ParsedBatch ParseChunk(const uint8_t* bytes, size_t size, const Format& format,
                       const FieldSet& wanted, ParseScratch& scratch) {
  return ParseChunk(bytes, size, format, wanted, scratch, ParsedBatch());
}

}  // namespace flowsift
