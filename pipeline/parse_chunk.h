// Stage 2 of parsing: a chunk of flow-log text -> a columnar batch of records.
#ifndef FLOWSIFT_PIPELINE_PARSE_CHUNK_H_
#define FLOWSIFT_PIPELINE_PARSE_CHUNK_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/types.h"
#include "pipeline/format.h"
#include "pipeline/name_key.h"

namespace flowsift {

// Why a line was not turned into a record. Values are stable: they name counters in the
// manifest. NODATA and SKIPDATA records are valid records, never errors; blank lines and header
// lines repeated inside the data are skipped and counted apart.
enum class LineError : uint8_t {
  kTooFewFields = 0,      // fewer fields than the format names
  kTooManyFields = 1,     // more fields than the format names
  kBadInteger = 2,        // an integer field that is not all digits (or "-")
  kIntegerOverflow = 3,   // an integer above its field's maximum (port > 65535, ...)
  kBadAddress = 4,        // an address field that is neither IPv4, IPv6 nor "-"
  kBadEnum = 5,           // action, log-status, type or flow-direction with an unknown spelling
  kLineTooLong = 6,       // longer than kMaxLineBytes: binary data or a broken file
  kInvalidUtf8 = 7,       // bytes >= 0x80 that are not valid UTF-8
  kControlCharacter = 8,  // NUL, tab or another control byte: binary data in a text file
};
inline constexpr size_t kNumLineErrors = 9;
// Snake-case name for manifests and messages, e.g. "too_few_fields".
std::string_view LineErrorName(LineError e);

// Lines longer than this are rejected as kLineTooLong. The longest real record (v11, all 54
// fields with ECS ARNs and tags) is under 2 KiB.
inline constexpr size_t kMaxLineBytes = 64 * 1024;

// A std::allocator whose value-initialisation (resize, the (n) constructor) leaves trivial
// values uninitialised. The parser sizes a column for a block of rows and then writes every
// row: zero-filling first was ~100 instructions and two cache-line writes per record
// (callgrind, 64 MB of v2: 55 M instructions and 0.9 M write misses in memset).
template <typename T>
struct NoInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = NoInitAllocator<U>;
  };
  NoInitAllocator() = default;
  template <typename U>
  NoInitAllocator(const NoInitAllocator<U>&) noexcept {}  // NOLINT: converting, as std's
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;  // default-, not value-initialised
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
// A column's storage: a vector that `resize` does not zero.
template <typename T>
using ColumnVector = std::vector<T, NoInitAllocator<T>>;

// One materialised column. `status[r]` is kOk or kMissing for every row r; the value vector
// that matches `kind` holds the value (zero / {0,0} / code 0 / empty span when missing).
struct Column {
  Field field = Field::kUnknown;
  FieldKind kind = FieldKind::kString;
  ColumnVector<kernels::FieldStatus> status;
  ColumnVector<uint64_t> u64;              // kUint, kTime (seconds)
  ColumnVector<kernels::Addr128> addr;     // kAddr
  ColumnVector<uint8_t> code;              // kEnum: kernels::Action, LogStatus, ...
  ColumnVector<kernels::FieldSpan> spans;  // kString: offsets into the chunk's bytes
  // Interned kString columns (Interned(field): the interface and transit gateway attachment
  // ids, which the router, the aggregator and the detectors look up for every record): ids[r]
  // is the row's value as an index into dict, the span of that value's first row in the
  // chunk. Equal texts have equal ids within one chunk. Empty for other columns.
  ColumnVector<uint32_t> ids;
  std::vector<kernels::FieldSpan> dict;
  std::vector<NameKey> dict_keys;  // NameKey::Of each dict entry's text

  bool present(size_t row) const { return status[row] == kernels::FieldStatus::kOk; }
};

// A column's arrays as raw pointers, taken once per batch; empty for an absent column. For the
// row loops of Aggregator::AddRows and Detector::AddRows, which store pointers: a store of a
// pointer may alias a std::vector's own pointer to its data, so read through `const Column*`
// each array's address was loaded again for every row (callgrind: 8 instructions a record
// fewer in the aggregation's loop, 4 in detection's; docs/performance-history.md,
// "Twenty-seventh session").
struct ColumnView {
  const kernels::FieldStatus* status = nullptr;
  const uint64_t* u64 = nullptr;
  const kernels::Addr128* addr = nullptr;
  const uint8_t* code = nullptr;
  const uint32_t* ids = nullptr;
  explicit ColumnView(const Column* c) {
    if (c == nullptr) return;
    status = c->status.data();
    u64 = c->u64.data();
    addr = c->addr.data();
    code = c->code.data();
    ids = c->ids.data();
  }
  bool exists() const { return status != nullptr; }
  bool present(size_t row) const { return status[row] == kernels::FieldStatus::kOk; }
  // The row's number; 0 for a missing field or an absent column.
  uint64_t U64Or0(size_t row) const { return exists() && present(row) ? u64[row] : 0; }
};

// The address a record speaks for: pkt-srcaddr (pkt-dstaddr) when the format has it and the
// field is there, else srcaddr (dstaddr); nullptr when neither is (NODATA, SKIPDATA).
inline const kernels::Addr128* EffectiveAddr(const ColumnView& pkt, const ColumnView& plain,
                                             size_t row) {
  if (pkt.exists() && pkt.present(row)) return &pkt.addr[row];
  if (plain.exists() && plain.present(row)) return &plain.addr[row];
  return nullptr;
}

// Whether ParseChunk interns `f`'s column (Column::ids, Column::dict).
inline bool Interned(Field f) { return f == Field::kInterfaceId || f == Field::kTgwAttachmentId; }

// The text a span covers in the chunk's `bytes`.
inline std::string_view SpanText(const uint8_t* bytes, kernels::FieldSpan s) {
  return {reinterpret_cast<const char*>(bytes + s.begin), s.end - s.begin};
}

// The text of a kString column's row in the chunk's `bytes`; "-" for an absent column.
inline std::string_view TextOf(const Column* col, size_t row, const uint8_t* bytes) {
  return col != nullptr ? SpanText(bytes, col->spans[row]) : "-";
}

// Equality of short strings without a call to memcmp: interface names are ~21 bytes, compared
// by the parser's interning (once per change of value) and the interface tables' probes.
[[gnu::always_inline]] inline bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const size_t n = a.size();
  if (n < 8) return a == b;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t x, y;
    memcpy(&x, a.data() + i, 8);
    memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  uint64_t x, y;  // the last 8 bytes, overlapping the loop's when n % 8 != 0
  memcpy(&x, a.data() + n - 8, 8);
  memcpy(&y, b.data() + n - 8, 8);
  return x == y;
}

// The chunk-local id of `row`'s value in an interned column (Column::ids); 0 for an absent
// column, which stands for the one text "-".
inline uint32_t LocalId(const Column* col, size_t row) {
  return col != nullptr ? col->ids[row] : 0;
}
// The text of chunk-local id `local` of an interned column; "-" for an absent column.
inline std::string_view LocalText(const Column* col, uint32_t local, const uint8_t* bytes) {
  return col != nullptr ? SpanText(bytes, col->dict[local]) : "-";
}

// A line that did not become a record: its 0-based line number within the chunk, the byte
// offset of its first byte within the chunk, and the reason. A serial reporter adds the
// chunk's first line number and file offset.
struct BadLine {
  uint32_t line;
  uint32_t offset;
  LineError reason;
};

// The bad lines a batch keeps of each reason: the first ones by line number (a reporter wants
// the first 20 of each reason in a run as samples). The rest are only counted: a file of short
// garbage lines ("x\n" over and over) held 12 bytes a line, six times the text, and a run over
// 128 MB of them 3.3 GB.
inline constexpr size_t kBadLinesKeptPerReason = 32;

struct ParsedBatch {
  uint64_t serial = 0;        // unique per ParseChunk call in this process (LocalIdMap)
  size_t rows = 0;            // records
  uint32_t lines = 0;         // every line, including bad, blank and header lines
  uint32_t header_lines = 0;  // lines that are a header (repeated header lines are skipped)
  uint32_t blank_lines = 0;
  std::vector<Column> columns;  // wanted fields present in the format, in Field order
  // The first kBadLinesKeptPerReason bad lines of each reason, in line order.
  std::vector<BadLine> bad_lines;
  std::array<uint32_t, kNumLineErrors> bad_by_reason{};  // every bad line, by reason

  // Every bad line of the batch (bad_lines.size() when no reason passed the cap).
  uint32_t BadLineCount() const;

  // The column of `f`, or nullptr when it was not wanted or the format lacks it.
  const Column* Find(Field f) const;
  // The column that names each record's interface: interface-id, or tgw-attachment-id in the
  // transit gateway formats; nullptr when neither was wanted or the format has neither.
  const Column* FindInterface() const;
};

// A consumer's own ids (the aggregator's interfaces, a detector's names) for the chunk-local
// ids of one interned column: each local id is looked up once per batch, on first use, so a
// record costs an array load instead of reading and hashing its text. Values that only bad
// (dropped) rows had are never looked up.
class LocalIdMap {
 public:
  // Starts on `col` of batch `b`; keeps what it has looked up while `b` is the same batch (a
  // run hands each batch over in blocks of rows).
  void Reset(const ParsedBatch& b, const Column* col) {
    if (b.serial != 0 && b.serial == serial_) return;
    serial_ = b.serial;
    ids_.assign(col != nullptr ? col->dict.size() : 1, UINT32_MAX);
  }
  // lookup(text, key) -> id for a local id not seen since Reset; `key` is the text's NameKey.
  template <typename Lookup>
  [[gnu::always_inline]] uint32_t Get(const Column* col, uint32_t local, const uint8_t* bytes,
                                      Lookup&& lookup) {
    uint32_t& id = ids_[local];
    if (id == UINT32_MAX) [[unlikely]] {
      id = col != nullptr ? lookup(SpanText(bytes, col->dict[local]), col->dict_keys[local])
                          : lookup(std::string_view("-"), AbsentKey());
    }
    return id;
  }

 private:
  static const NameKey& AbsentKey() {
    static const NameKey key = NameKey::Of("-");
    return key;
  }

  std::vector<uint32_t> ids_;
  uint64_t serial_ = 0;  // ParsedBatch::serial of the batch ids_ is for
};

// Reusable per-thread buffers for one 64 KiB block at a time; contents are meaningless
// between calls.
// Sized for the worst case of a block (a row per byte: 14 span columns of 64 Ki rows are
// 7.4 MB) but written only as far as a block's rows go (~560 rows of v2): ColumnVectors, so
// the rest is never zero-filled and never becomes resident.
struct ParseScratch {
  ColumnVector<uint32_t> delims;
  ColumnVector<uint32_t> line_ends;
  ColumnVector<uint32_t> oddities;
  ColumnVector<kernels::FieldSpan> spans;  // per converted field, per block row
  ColumnVector<uint32_t> row_line;         // line number of each block row
  ColumnVector<uint32_t> row_offset;       // offset of each block row's line
  ColumnVector<uint8_t> row_error;         // 0, or 1 + LineError of a block row
  std::vector<kernels::FieldSpan> tokens;  // slow path: one line's fields
  std::vector<Column> check_only;          // typed fields nobody wants, one block's rows
};

// Parses bytes[0, size) as records of `format`, materialising the columns in `wanted`. Typed
// fields outside `wanted` are converted and checked too, so the verdict on each line does not
// depend on `wanted`.
// Lines end with '\n'; a last line without one is parsed too. Fields are separated by single
// spaces; lines with runs of spaces, a trailing space or '\r', or non-ASCII bytes take a slower
// path that accepts them. Never fails: bad lines are counted in `bad_lines` and skipped.
// `bytes` must be readable to size + kernels::kPadding; size < 2^31.
ParsedBatch ParseChunk(const uint8_t* bytes, size_t size, const Format& format,
                       const FieldSet& wanted, ParseScratch& scratch);

// The same, writing into the storage of `recycled`, a batch its consumers are done with: its
// columns keep their capacity, so a run that recycles its batches writes each chunk's columns
// (~6 MB for 4 MiB of v2 text) into memory that is already mapped. Fresh columns for every
// chunk were page faults: the allocator hands a freed block of that size back to the kernel,
// and the next chunk's first writes fault it in again, zeroed (0.16 M faults of 0.23 M on
// the 1 GiB benchmark file, 0.6 s of system time).
ParsedBatch ParseChunk(const uint8_t* bytes, size_t size, const Format& format,
                       const FieldSet& wanted, ParseScratch& scratch, ParsedBatch recycled);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_PARSE_CHUNK_H_
