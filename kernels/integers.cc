// Decimal integers. See integers.h for the contract.
//
// ParseUint is SWAR on one field. ParseUintColumn runs per Highway target: on x86 SIMD targets
// each field of 1..16 digits takes one 16-byte load, a shuffle that right-aligns the digits
// (table by length), a range check, and pmaddubsw / pmaddwd / packssdw / pmaddwd to combine
// 1 -> 2 -> 4 -> 8-digit groups: two 8-digit halves in two lanes. That is about a dozen vector
// instructions against ~45 scalar ones for two SWAR words (10-digit epoch times).

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/integers.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// Must come after foreach_target.h.
#include "hwy/highway.h"
#include "kernels/integers.h"
#include "kernels/swar.h"

#if HWY_ARCH_X86
#include <immintrin.h>
#endif

#ifndef FLOWSIFT_KERNELS_INTEGERS_TABLES_
#define FLOWSIFT_KERNELS_INTEGERS_TABLES_
namespace flowsift::kernels::detail {

struct AlignTables {
  // shuffle[len][j]: the byte of the field that lands in lane j, or 0x80 (zero) left of the
  // digits; region[len][j]: 0xFF where a digit lands.
  alignas(16) uint8_t shuffle[17][16];
  alignas(16) uint8_t region[17][16];
};

constexpr AlignTables MakeAlignTables() {
  AlignTables t{};
  for (int len = 0; len <= 16; ++len) {
    for (int j = 0; j < 16; ++j) {
      const bool digit = j >= 16 - len;
      t.shuffle[len][j] = static_cast<uint8_t>(digit ? j - (16 - len) : 0x80);
      t.region[len][j] = digit ? 0xFF : 0;
    }
  }
  return t;
}

alignas(64) inline constexpr AlignTables kAlign = MakeAlignTables();

}  // namespace flowsift::kernels::detail
#endif  // FLOWSIFT_KERNELS_INTEGERS_TABLES_

HWY_BEFORE_NAMESPACE();
namespace flowsift::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_SSSE3  // raw is __m128i (not EMU128, SCALAR)
// Fields of 1..16 bytes; anything else goes to ParseUint.
HWY_INLINE UintResult ParseUpTo16(const uint8_t* HWY_RESTRICT p, size_t len, uint64_t max) {
  const hn::Full128<uint8_t> d8;
  const auto text = hn::LoadU(d8, p);
  const auto aligned = hn::TableLookupBytesOr0(text, hn::Load(d8, detail::kAlign.shuffle[len]));
  const auto region = hn::Load(d8, detail::kAlign.region[len]);
  const auto digits = hn::Sub(aligned, hn::And(hn::Set(d8, '0'), region));
  // Outside the region the lanes are 0; inside, a non-digit byte wraps to > 9.
  if (!hn::AllFalse(d8, hn::Ne(hn::Min(digits, hn::Set(d8, 9)), digits))) [[unlikely]] {
    if (len == 1 && p[0] == '-') return {0, FieldStatus::kMissing};
    return {0, FieldStatus::kBadSyntax};
  }
  // Lane values: digit pairs (0..99), then quads (0..9999, fit int16), then two 8-digit halves.
  __m128i v = _mm_maddubs_epi16(digits.raw, _mm_set1_epi16(0x010A));  // bytes {10, 1}
  v = _mm_madd_epi16(v, _mm_set1_epi32(0x00010064));                  // int16 {100, 1}
  v = _mm_packs_epi32(v, v);
  v = _mm_madd_epi16(v, _mm_set1_epi32(0x00012710));  // int16 {10000, 1}
  const uint64_t high = static_cast<uint32_t>(_mm_cvtsi128_si32(v));
  const uint64_t low = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(v, 4)));
  const uint64_t value = high * 100000000ull + low;
  if (value > max) return {0, FieldStatus::kOverflow};
  return {value, FieldStatus::kOk};
}
#endif

void ParseUintColumn(const uint8_t* HWY_RESTRICT base, const FieldSpan* HWY_RESTRICT spans,
                     size_t n, uint64_t max, uint64_t* HWY_RESTRICT out,
                     FieldStatus* HWY_RESTRICT status) {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = base + spans[i].begin;
    const size_t len = spans[i].end - spans[i].begin;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_SSSE3
    const UintResult r = len - 1 < 16 ? ParseUpTo16(p, len, max) : ParseUint(p, len, max);
#else
    const UintResult r = ParseUint(p, len, max);
#endif
    out[i] = r.value;
    status[i] = r.status;
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace flowsift::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace flowsift::kernels {

UintResult ParseUint(const uint8_t* p, size_t len, uint64_t max) {
  if (len - 1 < 8) {  // 1..8 digits, the common case (unsigned wrap makes len 0 fail here)
    uint64_t v;
    if (!swar::LoadDigits(p, len, &v)) {
      if (len == 1 && p[0] == '-') return {0, FieldStatus::kMissing};
      return {0, FieldStatus::kBadSyntax};
    }
    const uint64_t value = swar::EightDigits(v);
    if (value > max) return {0, FieldStatus::kOverflow};
    return {value, FieldStatus::kOk};
  }
  if (len - 9 < 8) {  // 9..16 digits: epoch seconds (10) and milliseconds (13)
    uint64_t hi, lo;
    const bool ok_hi = swar::LoadDigits(p, len - 8, &hi);
    const bool ok_lo = swar::LoadDigits(p + len - 8, 8, &lo);
    if (!(ok_hi & ok_lo)) return {0, FieldStatus::kBadSyntax};
    const uint64_t value = swar::EightDigits(hi) * 100000000ull + swar::EightDigits(lo);
    if (value > max) return {0, FieldStatus::kOverflow};
    return {value, FieldStatus::kOk};
  }
  return ParseUintScalar(p, len, max);  // empty, or 17+ digits: rare, the loop checks overflow
}

UintResult ParseUintScalar(const uint8_t* p, size_t len, uint64_t max) {
  if (len == 0) return {0, FieldStatus::kBadSyntax};
  if (len == 1 && p[0] == '-') return {0, FieldStatus::kMissing};
  uint64_t value = 0;
  bool overflow = false;
  for (size_t i = 0; i < len; ++i) {
    const unsigned digit = static_cast<unsigned>(p[i]) - '0';
    if (digit > 9) return {0, FieldStatus::kBadSyntax};
    if (value > (UINT64_MAX - digit) / 10) overflow = true;  // keep scanning for bad syntax
    value = value * 10 + digit;
  }
  if (overflow || value > max) return {0, FieldStatus::kOverflow};
  return {value, FieldStatus::kOk};
}

HWY_EXPORT(ParseUintColumn);

void ParseUintColumn(const uint8_t* base, const FieldSpan* spans, size_t n, uint64_t max,
                     uint64_t* out, FieldStatus* status) {
  HWY_DYNAMIC_DISPATCH(ParseUintColumn)(base, spans, n, max, out, status);
}

}  // namespace flowsift::kernels
#endif  // HWY_ONCE
