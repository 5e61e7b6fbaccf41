// Types shared by every kernel family. SIMD-free.
#ifndef FLOWSIFT_KERNELS_TYPES_H_
#define FLOWSIFT_KERNELS_TYPES_H_

#include <cstddef>
#include <cstdint>

namespace flowsift::kernels {

// Every input buffer handed to a kernel must stay readable for kPadding bytes past its end, so
// kernels load whole vectors and 8-byte words without special-casing the tail. The reader pads
// each chunk once (zeros are fine); kernels never look at the padding's values as data.
inline constexpr size_t kPadding = 64;

// The byte range [begin, end) of one field, as offsets into a chunk.
struct FieldSpan {
  uint32_t begin;
  uint32_t end;
};

// A column of spans as the column kernels read them: span r is
// {at[r * stride] + begin_add, at[r * stride + 1]}. An array of FieldSpan is {&spans[0].begin,
// 2, 0} (ViewOf). A run of consecutive simple lines of an nf-field format is
// {delims + prev + i, nf, 1} for field i (kernels/split.h): such a line's field i starts one
// past delimiter prev + i and ends at delimiter prev + i + 1, and the next line's `prev` is
// nf further, so the kernels read the spans where stage 1 wrote them (copying them into
// columns first was 14% of the full parse; docs/performance-history.md, "Forty-fourth session").
struct SpanView {
  const uint32_t* at;
  size_t stride;  // in uint32_t
  uint32_t begin_add;
  FieldSpan operator[](size_t r) const {
    const uint32_t* p = at + r * stride;
    return {p[0] + begin_add, p[1]};
  }
  // The view of spans r, r + 1, ...
  SpanView From(size_t r) const { return {at + r * stride, stride, begin_add}; }
};

inline SpanView ViewOf(const FieldSpan* spans) {
  static_assert(sizeof(FieldSpan) == 2 * sizeof(uint32_t));
  return {reinterpret_cast<const uint32_t*>(spans), 2, 0};
}

// Outcome of converting one field. Stable values: they are stored in columns and tests.
enum class FieldStatus : uint8_t {
  kOk = 0,         // value written
  kMissing = 1,    // the field is "-" (AWS: does not apply / could not be computed)
  kBadSyntax = 2,  // not a valid spelling of this field's type (empty, non-digit, bad address)
  kOverflow = 3,   // syntactically valid but larger than the field's maximum
};

// An IPv4 or IPv6 address as 128 bits in network order: `hi` holds bytes 0..7 and `lo` bytes
// 8..15, each read big-endian. IPv4 a.b.c.d is stored IPv4-mapped (::ffff:a.b.c.d, RFC 4291
// 2.5.5.2), so one column and one hash serve both families and v4 sorts before other v6.
struct Addr128 {
  uint64_t hi;
  uint64_t lo;
  friend constexpr bool operator==(const Addr128&, const Addr128&) = default;
  friend constexpr bool operator<(const Addr128& a, const Addr128& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
  }
};

inline constexpr uint64_t kIPv4MappedHi = 0;
inline constexpr uint64_t kIPv4MappedLoPrefix = 0x0000FFFF00000000ull;

constexpr Addr128 AddrFromIPv4(uint32_t v4) { return {kIPv4MappedHi, kIPv4MappedLoPrefix | v4}; }
constexpr bool IsIPv4(const Addr128& a) {
  return a.hi == kIPv4MappedHi && (a.lo >> 32) == (kIPv4MappedLoPrefix >> 32);
}
constexpr uint32_t IPv4Of(const Addr128& a) { return static_cast<uint32_t>(a.lo); }

}  // namespace flowsift::kernels

#endif  // FLOWSIFT_KERNELS_TYPES_H_
