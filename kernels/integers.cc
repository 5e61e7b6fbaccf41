// Decimal integers. See integers.h for the contract.
//
// ParseUint is SWAR on one field. ParseUintColumn runs per Highway target: on x86 SIMD targets
// each field of 1..16 digits takes one 16-byte load, a shuffle that right-aligns the digits
// (table by length), a range check, and pmaddubsw / pmaddwd / packssdw / pmaddwd to combine
// 1 -> 2 -> 4 -> 8-digit groups: two 8-digit halves in two lanes. That is about a dozen vector
// instructions against ~45 scalar ones for two SWAR words (10-digit epoch times). On AVX2 and
// AVX-512 two fields share one 256-bit vector, one per 128-bit lane (ParsePairUpTo16):
// callgrind, 64 MB of v2 in a run, 175.8 -> 150.6 M instructions in this kernel; the parse
// benchmark +2.7% (medians of 8 alternating rounds): the loop waits on its loads (span, then
// text) more than it executes. On AVX-512 four fields share one 512-bit vector
// (ParseQuadUpTo16), and columns whose max is above 16 digits (counters, times) skip the range
// check: BM_ParseUintColumnBytes / Start 600 / 605 -> 690-760 / 810-830 M fields/s on Zen 4
// (docs/performance-history.md, "Twenty-fifth session"). Computing the shuffle from the
// lengths instead of loading it from the table was no faster. Columns of small values (ports,
// protocols, flags: max below 10^8) go eight fields a vector on AVX-512 (ParseOctUpTo8): a
// field's first 8 bytes shifted left by its missing length right-align its digits, no table;
// the full parse +2.8% on the Zen 5 guest. Tried on every column it cost the times (10 digits,
// never 8) 18% and gained nothing on the byte counts (history, "Forty-seventh session").

#include <cstring>

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

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2  // AVX2 and AVX-512: 256-bit integer ops
// The constants, made once per column: GCC otherwise rematerialises them in the loop.
struct PairConstants {
  __m256i minus_one = _mm256_set1_epi8(-1);
  __m256i zero_char = _mm256_set1_epi8('0');
  __m256i nine = _mm256_set1_epi8(9);
  __m256i tens = _mm256_set1_epi16(0x010A);               // bytes {10, 1}
  __m256i hundreds = _mm256_set1_epi32(0x00010064);       // int16 {100, 1}
  __m256i ten_thousands = _mm256_set1_epi32(0x00012710);  // int16 {10000, 1}
  __m256i hundred_millions = _mm256_set1_epi64x(100000000);
  __m128i sign = _mm_set1_epi64x(INT64_MIN);  // unsigned compare by signed after a flip
  __m128i max_flipped;
  explicit PairConstants(uint64_t max)
      : max_flipped(_mm_xor_si128(_mm_set1_epi64x(static_cast<int64_t>(max)), sign)) {}
};

// Two fields of 1..16 bytes at once, one per 128-bit lane of a 256-bit vector: the steps of
// ParseUpTo16, whose shuffles and multiply-adds all work within a lane, for both fields, and
// the two values assembled and range-checked in the vector. False, with nothing written, when
// either field has a byte that is not a digit: the caller then parses each alone, which sorts
// out "-" and bad syntax.
HWY_INLINE bool ParsePairUpTo16(const uint8_t* HWY_RESTRICT p0, size_t len0,
                                const uint8_t* HWY_RESTRICT p1, size_t len1, const PairConstants& c,
                                uint64_t* HWY_RESTRICT out, FieldStatus* HWY_RESTRICT status) {
  const __m256i text = _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p0))),
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(p1)), 1);
  const __m256i shuffle = _mm256_inserti128_si256(
      _mm256_castsi128_si256(
          _mm_load_si128(reinterpret_cast<const __m128i*>(detail::kAlign.shuffle[len0]))),
      _mm_load_si128(reinterpret_cast<const __m128i*>(detail::kAlign.shuffle[len1])), 1);
  const __m256i aligned = _mm256_shuffle_epi8(text, shuffle);  // 0x80 in the table gives 0
  // Where a digit lands the table holds its index (0..15), elsewhere 0x80 (negative).
  const __m256i region = _mm256_cmpgt_epi8(shuffle, c.minus_one);
  const __m256i digits = _mm256_sub_epi8(aligned, _mm256_and_si256(c.zero_char, region));
  const __m256i ok = _mm256_cmpeq_epi8(_mm256_min_epu8(digits, c.nine), digits);
  if (_mm256_movemask_epi8(ok) != -1) [[unlikely]] {
    return false;
  }
  __m256i v = _mm256_maddubs_epi16(digits, c.tens);
  v = _mm256_madd_epi16(v, c.hundreds);
  v = _mm256_packs_epi32(v, v);
  v = _mm256_madd_epi16(v, c.ten_thousands);
  // Each lane's 64-bit word 0 now holds the high 8 digits in its low half and the low 8 in its
  // high half: value = high * 10^8 + low, in words 0 and 2.
  const __m256i values =
      _mm256_add_epi64(_mm256_mul_epu32(v, c.hundred_millions), _mm256_srli_epi64(v, 32));
  const __m128i pair = _mm256_castsi256_si128(_mm256_permute4x64_epi64(values, 0x08));
  const __m128i over = _mm_cmpgt_epi64(_mm_xor_si128(pair, c.sign), c.max_flipped);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_andnot_si128(over, pair));
  // Both statuses in one 2-byte store: kOk is 0, kOverflow 3.
  static constexpr uint16_t kStatus[4] = {0x0000, 0x0003, 0x0300, 0x0303};
  static_assert(static_cast<int>(FieldStatus::kOk) == 0 &&
                static_cast<int>(FieldStatus::kOverflow) == 3);
  std::memcpy(status, &kStatus[_mm_movemask_pd(_mm_castsi128_pd(over))], 2);
  return true;
}
#endif

// GCC 12's AVX-512 headers start some intrinsics from a self-initialised "undefined" vector,
// which -Wmaybe-uninitialized reports where they are inlined (GCC bug 105593, fixed in 13):
// off for ParseQuadUpTo16 and ParseUintColumn, into which it is inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3  // AVX-512 (BW, VL, DQ): 512-bit integer ops
// ParsePairUpTo16's constants at 512 bits, made once per column.
struct QuadConstants {
  __m512i high_bit = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512i zero_char = _mm512_set1_epi8('0');
  __m512i nine = _mm512_set1_epi8(9);
  __m512i tens = _mm512_set1_epi16(0x010A);
  __m512i hundreds = _mm512_set1_epi32(0x00010064);
  __m512i ten_thousands = _mm512_set1_epi32(0x00012710);
  __m512i hundred_millions = _mm512_set1_epi64(100000000);
  __m512i words = _mm512_setr_epi64(0, 2, 4, 6, 0, 2, 4, 6);  // each lane's value word
  __m256i max;
  explicit QuadConstants(uint64_t m) : max(_mm256_set1_epi64x(static_cast<int64_t>(m))) {}
};

// Four fields of 1..16 bytes at once, one per 128-bit lane of a 512-bit vector: the steps of
// ParsePairUpTo16 for four fields (every shuffle and multiply-add works within a lane). The
// digit test and the range check are compares into mask registers that feed a masked
// subtract, a kortest and a masked store: nothing moves a mask to a general register but the
// four-bit overflow mask, once. False, with nothing written, when a field has a byte that is
// not a digit.
template <bool kCheckMax>
HWY_INLINE bool ParseQuadUpTo16(const uint8_t* HWY_RESTRICT base, const FieldSpan (&spans)[4],
                                const QuadConstants& c, uint64_t* HWY_RESTRICT out,
                                FieldStatus* HWY_RESTRICT status) {
  const auto text128 = [&](size_t k) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + spans[k].begin));
  };
  const auto shuffle128 = [&](size_t k) {
    return _mm_load_si128(
        reinterpret_cast<const __m128i*>(detail::kAlign.shuffle[spans[k].end - spans[k].begin]));
  };
  __m512i text = _mm512_castsi128_si512(text128(0));
  text = _mm512_inserti32x4(text, text128(1), 1);
  text = _mm512_inserti32x4(text, text128(2), 2);
  text = _mm512_inserti32x4(text, text128(3), 3);
  __m512i shuffle = _mm512_castsi128_si512(shuffle128(0));
  shuffle = _mm512_inserti32x4(shuffle, shuffle128(1), 1);
  shuffle = _mm512_inserti32x4(shuffle, shuffle128(2), 2);
  shuffle = _mm512_inserti32x4(shuffle, shuffle128(3), 3);
  const __m512i aligned = _mm512_shuffle_epi8(text, shuffle);  // 0x80 in the table gives 0
  // Where a digit lands the table holds its index (0..15), elsewhere 0x80.
  const __mmask64 region = _mm512_testn_epi8_mask(shuffle, c.high_bit);
  const __m512i digits = _mm512_maskz_sub_epi8(region, aligned, c.zero_char);
  if (_mm512_cmpgt_epu8_mask(digits, c.nine) != 0) [[unlikely]] {
    return false;
  }
  __m512i v = _mm512_maddubs_epi16(digits, c.tens);
  v = _mm512_madd_epi16(v, c.hundreds);
  v = _mm512_packs_epi32(v, v);
  v = _mm512_madd_epi16(v, c.ten_thousands);
  // Each lane's 64-bit word 0 holds the high 8 digits in its low half and the low 8 in its
  // high half: value = high * 10^8 + low, in words 0, 2, 4 and 6.
  const __m512i values =
      _mm512_add_epi64(_mm512_mul_epu32(v, c.hundred_millions), _mm512_srli_epi64(v, 32));
  const __m256i four = _mm512_castsi512_si256(_mm512_permutexvar_epi64(c.words, values));
  if constexpr (!kCheckMax) {  // 16 digits are below max: every status is kOk
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), four);
    std::memset(status, 0, 4);
    return true;
  }
  const __mmask8 over = _mm256_cmpgt_epu64_mask(four, c.max);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_maskz_mov_epi64(~over, four));
  // The four statuses in one 4-byte store: kOk is 0, kOverflow 3.
  static_assert(static_cast<int>(FieldStatus::kOk) == 0 &&
                static_cast<int>(FieldStatus::kOverflow) == 3);
  const __m128i bytes = _mm_and_si128(_mm_movm_epi8(over), _mm_set1_epi8(3));
  const uint32_t four_status = static_cast<uint32_t>(_mm_cvtsi128_si32(bytes));
  std::memcpy(status, &four_status, 4);
  return true;
}
#endif

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// ParseOctUpTo8's constants, made once per column.
struct OctConstants {
  __m512i zero_char = _mm512_set1_epi8('0');
  __m512i nine = _mm512_set1_epi8(9);
  __m512i tens = _mm512_set1_epi16(0x010A);          // bytes {10, 1}
  __m512i hundreds = _mm512_set1_epi32(0x00010064);  // int16 {100, 1}
  __m512i ten_thousand = _mm512_set1_epi64(10000);
  __m512i ones = _mm512_set1_epi64(-1);
  __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF);
  __m512i seven = _mm512_set1_epi64(7);
  __m512i eight = _mm512_set1_epi64(8);
  __m512i begin_add;
  __m512i max;
  OctConstants(uint32_t add, uint64_t m)
      : begin_add(_mm512_set1_epi64(add)), max(_mm512_set1_epi64(static_cast<int64_t>(m))) {}
};

// Eight 64-bit words, lane k read from p[k]: loads and inserts (a gather is slower on the Zen 5
// guest, kernels/enums.cc).
HWY_INLINE __m512i LoadEightWords(const uint8_t* const (&p)[8]) {
  const auto pair = [&](size_t k) {
    const __m128i lo = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p[k]));
    int64_t hi;
    std::memcpy(&hi, p[k + 1], 8);
    return _mm_insert_epi64(lo, hi, 1);
  };
  const __m256i low = _mm256_inserti128_si256(_mm256_castsi128_si256(pair(0)), pair(2), 1);
  const __m256i high = _mm256_inserti128_si256(_mm256_castsi128_si256(pair(4)), pair(6), 1);
  return _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
}

// Eight fields of 1..8 bytes at once, one per 64-bit lane of a 512-bit vector, for columns whose
// largest value has at most 8 digits (ports, protocols, flags: every value a few digits). Each
// lane holds the field's first 8 bytes shifted left by 8 - len bytes, which drops the bytes past
// the field and right-aligns its digits without a shuffle table; pmaddubsw and pmaddwd make two
// 4-digit halves, one 32x32 multiply and an add the value, and one compare the range check. Half
// the vector work a field of ParseQuadUpTo16. False, with nothing written, when a field is
// empty, longer than 8 bytes or has a byte that is not a digit.
HWY_INLINE bool ParseOctUpTo8(const uint8_t* HWY_RESTRICT base, SpanView spans,
                              const OctConstants& c, uint64_t* HWY_RESTRICT out,
                              FieldStatus* HWY_RESTRICT status) {
  const uint8_t* span_at[8];
  for (size_t k = 0; k < 8; ++k) {
    span_at[k] = reinterpret_cast<const uint8_t*>(spans.at + k * spans.stride);
  }
  const __m512i span = LoadEightWords(span_at);  // begin | end << 32
  const __m512i begin = _mm512_and_si512(_mm512_add_epi64(span, c.begin_add), c.low32);
  // In 64 bits: end < begin gives a huge length, which fails the length test.
  const __m512i len = _mm512_sub_epi64(_mm512_srli_epi64(span, 32), begin);
  // len - 1 > 7: empty or longer than 8 bytes.
  if (_mm512_cmpgt_epu64_mask(_mm512_add_epi64(len, c.ones), c.seven) != 0) return false;
  const uint8_t* text_at[8];
  for (size_t k = 0; k < 8; ++k) text_at[k] = base + spans[k].begin;
  const __m512i shift = _mm512_slli_epi64(_mm512_sub_epi64(c.eight, len), 3);
  const __m512i aligned = _mm512_sllv_epi64(LoadEightWords(text_at), shift);
  const __mmask64 region = _mm512_test_epi8_mask(_mm512_sllv_epi64(c.ones, shift), c.ones);
  const __m512i digits = _mm512_maskz_sub_epi8(region, aligned, c.zero_char);
  if (_mm512_cmpgt_epu8_mask(digits, c.nine) != 0) [[unlikely]] {
    return false;
  }
  // Byte 0 of a lane is its most significant digit: pairs, then quads (the high four digits in
  // the low half of the lane), then high * 10^4 + low.
  __m512i v = _mm512_maddubs_epi16(digits, c.tens);
  v = _mm512_madd_epi16(v, c.hundreds);
  const __m512i values =
      _mm512_add_epi64(_mm512_mul_epu32(v, c.ten_thousand), _mm512_srli_epi64(v, 32));
  const __mmask8 over = _mm512_cmpgt_epu64_mask(values, c.max);
  _mm512_storeu_si512(out, _mm512_maskz_mov_epi64(static_cast<__mmask8>(~over), values));
  // The eight statuses in one 8-byte store: kOk is 0, kOverflow 3.
  static_assert(static_cast<int>(FieldStatus::kOk) == 0 &&
                static_cast<int>(FieldStatus::kOverflow) == 3);
  const __m128i bytes = _mm_and_si128(_mm_movm_epi8(over), _mm_set1_epi8(3));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(status), bytes);
  return true;
}
#endif

HWY_INLINE void ParseOne(const uint8_t* HWY_RESTRICT p, size_t len, uint64_t max,
                         uint64_t* HWY_RESTRICT out, FieldStatus* HWY_RESTRICT status) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_SSSE3
  const UintResult r = len - 1 < 16 ? ParseUpTo16(p, len, max) : ParseUint(p, len, max);
#else
  const UintResult r = ParseUint(p, len, max);
#endif
  *out = r.value;
  *status = r.status;
}

void ParseUintColumn(const uint8_t* HWY_RESTRICT base, SpanView spans, size_t n, uint64_t max,
                     uint64_t* HWY_RESTRICT out, FieldStatus* HWY_RESTRICT status) {
  size_t i = 0;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  const QuadConstants q(max);
  const auto quads = [&]<bool kCheckMax>(size_t end) {
    for (; i + 4 <= end; i += 4) {
      const FieldSpan s[4] = {spans[i], spans[i + 1], spans[i + 2], spans[i + 3]};
      bool short_fields = true;
      for (size_t k = 0; k < 4; ++k) short_fields &= s[k].end - s[k].begin - 1 < 16;
      if (short_fields && ParseQuadUpTo16<kCheckMax>(base, s, q, out + i, status + i)) {
        continue;
      }
      for (size_t k = 0; k < 4; ++k) {
        ParseOne(base + s[k].begin, s[k].end - s[k].begin, max, out + i + k, status + i + k);
      }
    }
  };
  // Counters (max 2^63 - 1) and times (2^64 - 2) cannot overflow in 16 digits: no range check
  // there. Columns of small values go by eights while their fields fit 8 bytes (times, with 10
  // digits, would never fit, and counters often not).
  if (max >= 9999999999999999ull) {
    quads.template operator()<false>(n);
  } else if (max >= 99999999ull) {
    quads.template operator()<true>(n);
  } else {
    const OctConstants o(spans.begin_add, max);
    while (i + 8 <= n) {
      if (ParseOctUpTo8(base, spans.From(i), o, out + i, status + i)) {
        i += 8;
      } else {
        quads.template operator()<true>(i + 8);
      }
    }
    quads.template operator()<true>(n);
  }
#endif
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  const PairConstants c(max);
  for (; i + 2 <= n; i += 2) {
    const FieldSpan s0 = spans[i], s1 = spans[i + 1];
    const uint8_t* p0 = base + s0.begin;
    const uint8_t* p1 = base + s1.begin;
    const size_t len0 = s0.end - s0.begin;
    const size_t len1 = s1.end - s1.begin;
    if ((len0 - 1 < 16) & (len1 - 1 < 16) &&
        ParsePairUpTo16(p0, len0, p1, len1, c, out + i, status + i)) {
      continue;
    }
    ParseOne(p0, len0, max, out + i, status + i);
    ParseOne(p1, len1, max, out + i + 1, status + i + 1);
  }
#endif
  for (; i < n; ++i) {
    const FieldSpan s = spans[i];
    ParseOne(base + s.begin, s.end - s.begin, max, out + i, status + i);
  }
}

#pragma GCC diagnostic pop

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

void ParseUintColumn(const uint8_t* base, SpanView spans, size_t n, uint64_t max, uint64_t* out,
                     FieldStatus* status) {
  HWY_DYNAMIC_DISPATCH(ParseUintColumn)(base, spans, n, max, out, status);
}

}  // namespace flowsift::kernels
#endif  // HWY_ONCE
