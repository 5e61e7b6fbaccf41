// IP address parsing and formatting. See addr.h for the contract.
//
// IPv4 dotted quads take a SIMD path per Highway target, after Lemire's sse_inet_aton
// ("Parsing IP addresses crazily fast", 2023): one 16-byte load holds the whole field, its dot
// mask is hashed perfectly to one of the 3^4 = 81 octet-length shapes, and that shape's
// precomputed shuffles move every digit into a fixed lane. IPv6 text and anything else that is not
// a dotted quad takes the scalar reference, which follows glibc's inet_pton.
#include "kernels/addr.h"

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "kernels/types.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/addr.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#if HWY_ARCH_X86
#include <immintrin.h>
#endif

HWY_BEFORE_NAMESPACE();
namespace flowsift::kernels::HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR

// One lane has no byte shuffle to speak of; the reference is the fastest plain path.
void ParseAddrColumn(const uint8_t* base, SpanView spans, size_t n, Addr128* out,
                     FieldStatus* status) {
  for (size_t i = 0; i < n; ++i) {
    const FieldSpan s = spans[i];
    const size_t len = s.end >= s.begin ? s.end - s.begin : 0;
    status[i] = ParseAddrScalar(base + s.begin, len, &out[i]);
  }
}

#else  // HWY_TARGET != HWY_SCALAR

namespace hn = hwy::HWY_NAMESPACE;

// A dotted quad's shape is its key: the dot bits of the field plus a bit at the field's end,
// which acts as a fourth dot. The 81 shapes with octets of 1..3 digits are the only valid keys.
// Multiplying by kKeyHashMul and keeping the top 8 bits maps them to distinct slots of 256 (a
// perfect hash, found by random search over odd multipliers; BuildDottedQuadTables checks it at
// compile time). Any other key lands on some slot whose pattern key differs, so it is rejected.
constexpr uint32_t kKeyHashMul = 0xE07BDB9F;
constexpr uint32_t SlotOfKey(uint32_t key) { return (key * kKeyHashMul) >> 24; }

// Byte shuffles for one shape. Applied to the field's bytes minus '0', `hundreds_tens` yields u16
// lanes 0..3 = hundreds digit of octets 0..3 and lanes 4..7 = their tens digit; `ones` yields
// lanes 0..3 = ones digit. 0x80 selects zero, standing in for digits a short octet lacks. `min`
// is the smallest value an octet of that length has without a leading zero (0, 10, 100), so one
// range check covers both "no leading zero" and "at most 255".
struct alignas(64) DottedQuadPattern {
  uint8_t hundreds_tens[16];
  uint8_t ones[16];
  int16_t min[8];
  uint32_t key;  // 0 for the sentinel pattern of empty slots: a real key has its end bit
};

struct DottedQuadTables {
  DottedQuadPattern patterns[82];  // 81 shapes, then the sentinel
  uint8_t slot_to_pattern[256];
};

constexpr DottedQuadTables BuildDottedQuadTables() {
  DottedQuadTables t{};
  for (uint8_t& s : t.slot_to_pattern) s = 81;
  for (int index = 0; index < 81; ++index) {
    const int lengths[4] = {index / 27 + 1, index / 9 % 3 + 1, index / 3 % 3 + 1, index % 3 + 1};
    DottedQuadPattern& e = t.patterns[index];
    for (int b = 0; b < 16; ++b) {
      e.hundreds_tens[b] = 0x80;
      e.ones[b] = 0x80;
    }
    int start = 0;  // first byte of octet k
    for (int k = 0; k < 4; ++k) {
      const int last = start + lengths[k] - 1;
      if (lengths[k] == 3) e.hundreds_tens[2 * k] = static_cast<uint8_t>(start);
      if (lengths[k] >= 2) e.hundreds_tens[8 + 2 * k] = static_cast<uint8_t>(last - 1);
      e.ones[2 * k] = static_cast<uint8_t>(last);
      e.min[k] = lengths[k] == 1 ? 0 : lengths[k] == 2 ? 10 : 100;
      e.key |= 1u << (last + 1);  // the dot after the octet, or the end of the field
      start = last + 2;
    }
    uint8_t& slot = t.slot_to_pattern[SlotOfKey(e.key)];
    if (slot != 81) throw "kKeyHashMul is not a perfect hash of the 81 dotted-quad shapes";
    slot = static_cast<uint8_t>(index);
  }
  for (int b = 0; b < 16; ++b) {
    t.patterns[81].hundreds_tens[b] = 0x80;
    t.patterns[81].ones[b] = 0x80;
  }
  return t;
}

alignas(64) constexpr DottedQuadTables kDottedQuadTables = BuildDottedQuadTables();

enum class QuadResult { kOk, kBad, kNotDigitsAndDots };

// Parses a strict dotted quad of 7..15 bytes at p; p must be readable for 16 bytes.
// kNotDigitsAndDots: some byte is neither a digit nor '.', so the field may still be IPv6.
// Constants are loaded from memory rather than broadcast from immediates: the loads fold into the
// instructions that use them, where GCC would rebuild each broadcast on every call.
HWY_INLINE QuadResult ParseDottedQuad(const uint8_t* p, size_t len, uint32_t* v4) {
  const hn::CappedTag<uint8_t, 16> d8;
  const hn::Repartition<int16_t, decltype(d8)> d16;
  const hn::Repartition<uint32_t, decltype(d8)> d32;
  alignas(16) static constexpr uint8_t kZero[16] = {'0', '0', '0', '0', '0', '0', '0', '0',
                                                    '0', '0', '0', '0', '0', '0', '0', '0'};
  alignas(16) static constexpr uint8_t kDot[16] = {'.', '.', '.', '.', '.', '.', '.', '.',
                                                   '.', '.', '.', '.', '.', '.', '.', '.'};
  alignas(16) static constexpr uint8_t kTen[16] = {10, 10, 10, 10, 10, 10, 10, 10,
                                                   10, 10, 10, 10, 10, 10, 10, 10};
  alignas(16) static constexpr uint8_t kNine[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
  alignas(16) static constexpr int16_t kWeights[8] = {100, 100, 100, 100, 10, 10, 10, 10};
  alignas(16) static constexpr int16_t kMax[8] = {255, 255, 255, 255, 255, 255, 255, 255};
  // Low bytes of lanes 3,2,1,0 into bytes 0..3: a little-endian u32 read puts octet 0 on top.
  alignas(16) static constexpr uint8_t kPack[16] = {6,    4,    2,    0,    0x80, 0x80, 0x80, 0x80,
                                                    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};

  const auto bytes = hn::LoadU(d8, p);
  // Subtracting '0' wraps every non-digit to >= 10, so one unsigned compare finds the digits.
  const auto digits = hn::Sub(bytes, hn::Load(d8, kZero));
  const uint32_t end = 1u << len;
  uint32_t dot_bits;
  uint32_t valid_bits;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_SSSE3
  // On x86, SSE2 compares and movemask on every target. On the AVX-512 targets Highway's
  // compares write mask registers, and moving those to a general register made the column
  // 2.95 GB/s against 4.1 (IPv4, Zen 4). A digit is a byte with min(digit, 9) == digit.
  const __m128i dot = _mm_cmpeq_epi8(bytes.raw, hn::Load(d8, kDot).raw);
  const __m128i digit =
      _mm_cmpeq_epi8(_mm_min_epu8(digits.raw, hn::Load(d8, kNine).raw), digits.raw);
  dot_bits = static_cast<uint32_t>(_mm_movemask_epi8(dot));
  valid_bits = static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(dot, digit)));
#else
  const auto is_dot = bytes == hn::Load(d8, kDot);
  const auto is_digit = digits < hn::Load(d8, kTen);
  uint8_t dot_bytes[8];  // StoreMaskBits may write 8 bytes
  uint8_t valid_bytes[8];
  hn::StoreMaskBits(d8, is_dot, dot_bytes);
  hn::StoreMaskBits(d8, hn::Or(is_dot, is_digit), valid_bytes);
  dot_bits = dot_bytes[0] | uint32_t{dot_bytes[1]} << 8;
  valid_bits = valid_bytes[0] | uint32_t{valid_bytes[1]} << 8;
#endif
  if ((valid_bits & (end - 1)) != end - 1) return QuadResult::kNotDigitsAndDots;
  const uint32_t key = (dot_bits & (end - 1)) | end;
  const DottedQuadPattern& e =
      kDottedQuadTables.patterns[kDottedQuadTables.slot_to_pattern[SlotOfKey(key)]];
  if (e.key != key) return QuadResult::kBad;

  const auto hundreds_tens =
      hn::BitCast(d16, hn::TableLookupBytesOr0(digits, hn::LoadU(d8, e.hundreds_tens)));
  const auto ones = hn::BitCast(d16, hn::TableLookupBytesOr0(digits, hn::LoadU(d8, e.ones)));
  const auto weighted = hundreds_tens * hn::Load(d16, kWeights);
  // Lanes 0..3: 100h + 10t + o <= 999, so signed compares are exact. Lanes 4..7 hold 10t <= 90
  // and min 0 there, so they always pass.
  const auto octets = weighted + hn::ShiftRightBytes<8>(d16, weighted) + ones;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_SSSE3  // as above: no mask registers
  const __m128i out_of_range = _mm_or_si128(_mm_cmpgt_epi16(hn::Load(d16, e.min).raw, octets.raw),
                                            _mm_cmpgt_epi16(octets.raw, hn::Load(d16, kMax).raw));
  if (_mm_movemask_epi8(out_of_range) != 0) return QuadResult::kBad;
#else
  const auto out_of_range = hn::Or(hn::Load(d16, e.min) > octets, octets > hn::Load(d16, kMax));
  if (!hn::AllFalse(d16, out_of_range)) return QuadResult::kBad;
#endif

  const auto packed = hn::TableLookupBytesOr0(hn::BitCast(d8, octets), hn::Load(d8, kPack));
  *v4 = hn::GetLane(hn::BitCast(d32, packed));
  return QuadResult::kOk;
}

// GCC 12's AVX-512 headers start some intrinsics from a self-initialised "undefined" vector,
// which -Wmaybe-uninitialized reports where they are inlined (GCC bug 105593, fixed in 13): off
// for the IPv6 parsers below and ParseAddrColumn, into which they are inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#if HWY_TARGET == HWY_AVX3_DL
// The 39-byte IPv6 form, eight groups of four hex digits ("2a05:d018:...:66aa"; ParseFullIPv6 in
// the scalar reference, which this matches): the field in one 64-byte vector, the colons and hex
// digits checked by compares into masks, every byte's nibble value by a blend, the 32 nibbles put
// in order by one vpermb (VBMI), pairs joined by pmaddubsw and narrowed to the address's 16
// bytes. ~20 instructions against ~150 (32 table lookups) in the scalar pass; in generated flow
// logs three IPv6 fields in four have this form, and IPv6 fields were half the address column's
// time (docs/performance-history.md, "Forty-seventh session"). False, with nothing written, for
// anything else, which the scalar pass then decides.
constexpr uint64_t kFullIPv6Bytes = (uint64_t{1} << 39) - 1;
constexpr uint64_t kFullIPv6Colons = (uint64_t{1} << 4) | (uint64_t{1} << 9) | (uint64_t{1} << 14) |
                                     (uint64_t{1} << 19) | (uint64_t{1} << 24) |
                                     (uint64_t{1} << 29) | (uint64_t{1} << 34);
constexpr uint64_t kFullIPv6Hex = kFullIPv6Bytes & ~kFullIPv6Colons;

struct FullIPv6Tables {
  uint8_t nibble_order[64];  // byte j: the field position of the address's nibble j (j < 32)
  uint8_t swap_halves[16];   // each 8-byte half reversed: big-endian bytes -> Addr128 words
};
constexpr FullIPv6Tables BuildFullIPv6Tables() {
  FullIPv6Tables t{};
  for (int j = 0; j < 32; ++j) t.nibble_order[j] = static_cast<uint8_t>(j / 4 * 5 + j % 4);
  for (int j = 0; j < 16; ++j) t.swap_halves[j] = static_cast<uint8_t>(j < 8 ? 7 - j : 23 - j);
  return t;
}
alignas(64) constexpr FullIPv6Tables kFullIPv6Tables = BuildFullIPv6Tables();

// What both IPv6 parsers below read of a field's 64 bytes: where the colons and the hex digits
// are, and every hex digit's value (the other bytes' values are junk).
struct IPv6Bytes {
  uint64_t colon, hex;
  __m512i nibbles;
};
HWY_INLINE IPv6Bytes ClassifyIPv6Bytes(const uint8_t* p) {
  const __m512i text = _mm512_loadu_si512(p);
  const __m512i digit_value = _mm512_sub_epi8(text, _mm512_set1_epi8('0'));
  const __mmask64 digit = _mm512_cmple_epu8_mask(digit_value, _mm512_set1_epi8(9));
  // OR 0x20 maps 'A'..'F' to 'a'..'f' and no other byte into 'a'..'f'.
  const __m512i lower = _mm512_or_si512(text, _mm512_set1_epi8(0x20));
  const __mmask64 letter =
      _mm512_cmple_epu8_mask(_mm512_sub_epi8(lower, _mm512_set1_epi8('a')), _mm512_set1_epi8(5));
  return {_mm512_cmpeq_epi8_mask(text, _mm512_set1_epi8(':')), digit | letter,
          _mm512_mask_blend_epi8(digit, _mm512_sub_epi8(lower, _mm512_set1_epi8('a' - 10)),
                                 digit_value)};
}

// The address's 32 nibbles in order in the low 32 bytes of `ordered` -> *out: pairs {high, low}
// joined by pmaddubsw into 16-bit lanes, narrowed to the 16 bytes in network order, and each
// 8-byte half reversed into Addr128's words.
HWY_INLINE void StoreNibbles(__m512i ordered, Addr128* out) {
  const __m256i pairs =
      _mm256_maddubs_epi16(_mm512_castsi512_si256(ordered), _mm256_set1_epi16(0x0110));
  const __m128i bytes = _mm256_cvtepi16_epi8(pairs);
  const __m128i words = _mm_shuffle_epi8(
      bytes, _mm_load_si128(reinterpret_cast<const __m128i*>(kFullIPv6Tables.swap_halves)));
  static_assert(sizeof(Addr128) == 16 && offsetof(Addr128, lo) == 8);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), words);
}

// p must be readable for 64 bytes (a field of 39 bytes and the kPadding after a chunk).
HWY_INLINE bool ParseFullIPv6Vbmi(const uint8_t* p, Addr128* out) {
  const IPv6Bytes c = ClassifyIPv6Bytes(p);
  if (((c.colon & kFullIPv6Bytes) != kFullIPv6Colons) | ((c.hex & kFullIPv6Hex) != kFullIPv6Hex)) {
    return false;
  }
  StoreNibbles(_mm512_permutexvar_epi8(_mm512_load_si512(kFullIPv6Tables.nibble_order), c.nibbles),
               out);
  return true;
}

// IPv6 text of eight groups and no "::" with leading zeros dropped from some group
// ("2600:1f18:abc:de00:1234:5678:9abc:def0"), 15 to 38 bytes: the field in one 64-byte vector;
// the colons, hex digits and group lengths checked by compares into masks; every byte's nibble
// value by a blend; the group ends by one vpcompressb of the byte positions (VBMI2); the 32
// nibbles right-aligned into their groups by one vpermb (VBMI) that zeroes the digits a short
// group lacks; then as ParseFullIPv6Vbmi. It parses the 39-byte form too, but slower than that
// function (147 against 265 M fields/s), so it is not used there. Variable-width IPv6 fields
// (the addr benchmark's) 39 -> 147 M fields/s; the flow-log mix 139 -> 203 M. False, with
// nothing written, for anything else ("::", a dotted-quad tail, a bad byte), which the scalar
// reference then decides.
struct NoGapIPv6Tables {
  uint8_t iota[64];        // byte j: j
  uint8_t group_of[64];    // byte j < 32: j / 4, the group of the address's nibble j
  uint8_t prev_group[64];  // byte g: g - 1 (the previous group's end), for g = 1..7
  int8_t digit_back[64];   // byte j < 32: j % 4 - 4, nibble j's place back from its group's end
};
constexpr NoGapIPv6Tables BuildNoGapIPv6Tables() {
  NoGapIPv6Tables t{};
  for (int j = 0; j < 64; ++j) {
    t.iota[j] = static_cast<uint8_t>(j);
    t.group_of[j] = static_cast<uint8_t>(j < 32 ? j / 4 : 0);
    t.prev_group[j] = static_cast<uint8_t>(j >= 1 && j < 8 ? j - 1 : 0);
    t.digit_back[j] = static_cast<int8_t>(j < 32 ? j % 4 - 4 : 0);
  }
  return t;
}
alignas(64) constexpr NoGapIPv6Tables kNoGapIPv6 = BuildNoGapIPv6Tables();

// 15 <= len <= 39; p must be readable for 64 bytes (a field and the kPadding after a chunk).
HWY_INLINE bool ParseNoGapIPv6Vbmi(const uint8_t* p, size_t len, Addr128* out) {
  const uint64_t field = (uint64_t{1} << len) - 1;
  const IPv6Bytes c = ClassifyIPv6Bytes(p);
  const uint64_t colon = c.colon & field;
  if ((std::popcount(colon) != 7) | (((c.hex & field) | colon) != field)) return false;
  // Byte g of `ends`: where group g ends (its colon, or the field's end for g = 7); of `starts`:
  // where it begins (0, or one past the previous group's end).
  const __m512i ends =
      _mm512_maskz_compress_epi8(colon | (uint64_t{1} << len), _mm512_load_si512(kNoGapIPv6.iota));
  const __m512i starts = _mm512_maskz_add_epi8(
      0xFE, _mm512_permutexvar_epi8(_mm512_load_si512(kNoGapIPv6.prev_group), ends),
      _mm512_set1_epi8(1));
  // Every group 1..4 digits (an empty one is a "::" or a colon at an end).
  const __m512i group_len = _mm512_sub_epi8(ends, starts);
  if (_mm512_mask_cmpgt_epu8_mask(0xFF, _mm512_sub_epi8(group_len, _mm512_set1_epi8(1)),
                                  _mm512_set1_epi8(3)) != 0) {
    return false;
  }
  // Nibble j of the address is the byte 4 - j % 4 places before its group's end, or 0 when that
  // is before the group's start.
  const __m512i group_of = _mm512_load_si512(kNoGapIPv6.group_of);
  const __m512i source = _mm512_add_epi8(_mm512_permutexvar_epi8(group_of, ends),
                                         _mm512_load_si512(kNoGapIPv6.digit_back));
  const __mmask64 present =
      _mm512_mask_cmpge_epi8_mask(0xFFFFFFFF, source, _mm512_permutexvar_epi8(group_of, starts));
  StoreNibbles(_mm512_maskz_permutexvar_epi8(present, source, c.nibbles), out);
  return true;
}
#endif

// Marks a field for the second, scalar pass. Not a FieldStatus value; never left in `status`.
constexpr FieldStatus kNeedsScalar = static_cast<FieldStatus>(0xFF);

// Two passes so that the first, which sees nearly every field of a real log, makes no calls:
// a call clobbers every vector register (all are caller-saved), and the compiler would rebuild
// the constant vectors on each iteration. Fields that are neither a dotted quad nor "-" (IPv6,
// junk of other lengths) are marked and parsed by the scalar reference afterwards.
void ParseAddrColumn(const uint8_t* base, SpanView spans, size_t n, Addr128* out,
                     FieldStatus* status) {
  size_t needs_scalar = 0;
  for (size_t i = 0; i < n; ++i) {
    const FieldSpan s = spans[i];
    const size_t len = s.end >= s.begin ? s.end - s.begin : 0;
    const uint8_t* p = base + s.begin;
    if (len - 7 <= 15 - 7) {  // unsigned: lengths below 7 wrap and fail
      uint32_t v4;
      const QuadResult r = ParseDottedQuad(p, len, &v4);
      if (r == QuadResult::kOk) {
        out[i] = AddrFromIPv4(v4);
        status[i] = FieldStatus::kOk;
        continue;
      }
      // Only digits and dots, but not a valid quad: no ':', so not IPv6 either.
      if (r == QuadResult::kBad) {
        out[i] = Addr128{0, 0};
        status[i] = FieldStatus::kBadSyntax;
        continue;
      }
    } else if (len == 1 && p[0] == '-') {
      out[i] = Addr128{0, 0};
      status[i] = FieldStatus::kMissing;
      continue;
    }
    status[i] = kNeedsScalar;
    ++needs_scalar;
  }
  for (size_t i = 0; needs_scalar != 0; ++i) {
    if (status[i] != kNeedsScalar) continue;
    const FieldSpan s = spans[i];
    const size_t len = s.end >= s.begin ? s.end - s.begin : 0;
    --needs_scalar;
#if HWY_TARGET == HWY_AVX3_DL
    // Here, not in the first pass: a third case there cost the dotted quads 11%.
    if (len == 39 ? ParseFullIPv6Vbmi(base + s.begin, &out[i])
                  : len - 15 < 39 - 15 && ParseNoGapIPv6Vbmi(base + s.begin, len, &out[i])) {
      status[i] = FieldStatus::kOk;
      continue;
    }
#endif
    status[i] = ParseAddrScalar(base + s.begin, len, &out[i]);
  }
}
#pragma GCC diagnostic pop

#endif  // HWY_TARGET == HWY_SCALAR

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace flowsift::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace flowsift::kernels {

HWY_EXPORT(ParseAddrColumn);

void ParseAddrColumn(const uint8_t* base, SpanView spans, size_t n, Addr128* out,
                     FieldStatus* status) {
  HWY_DYNAMIC_DISPATCH(ParseAddrColumn)(base, spans, n, out, status);
}

namespace {

bool IsDigit(uint8_t c) { return static_cast<uint8_t>(c - '0') < 10; }

// Value of every byte as a hex digit, or -1. A table, because a field's group lengths vary and
// the branches of a range test mispredict.
constexpr std::array<int8_t, 256> BuildHexValues() {
  std::array<int8_t, 256> v{};
  for (int c = 0; c < 256; ++c) {
    v[c] = c >= '0' && c <= '9'   ? static_cast<int8_t>(c - '0')
           : c >= 'a' && c <= 'f' ? static_cast<int8_t>(c - 'a' + 10)
           : c >= 'A' && c <= 'F' ? static_cast<int8_t>(c - 'A' + 10)
                                  : int8_t{-1};
  }
  return v;
}
constexpr std::array<int8_t, 256> kHexValues = BuildHexValues();

int HexValue(uint8_t c) { return kHexValues[c]; }

// Strict dotted quad filling all of p[0, len): four octets 0..255 of 1..3 digits, no leading
// zeros. Same language as glibc's inet_pton4.
bool ParseIPv4Text(const uint8_t* p, size_t len, uint32_t* v4) {
  uint32_t value = 0;
  size_t i = 0;
  for (int k = 0; k < 4; ++k) {
    if (k > 0) {
      if (i == len || p[i] != '.') return false;
      ++i;
    }
    const size_t start = i;
    uint32_t octet = 0;
    while (i < len && i - start < 3 && IsDigit(p[i])) octet = octet * 10 + (p[i++] - '0');
    const size_t digits = i - start;
    if (digits == 0 || octet > 255 || (digits > 1 && p[start] == '0')) return false;
    value = value << 8 | octet;
  }
  if (i != len) return false;
  *v4 = value;
  return true;
}

// RFC 4291 2.2 text filling all of p[0, len), with glibc inet_pton6's exact rules: 1..4 hex
// digits per group; "::" at most once and standing for at least one zero group; an optional
// dotted-quad tail that must fill the last 32 bits; no zone id or prefix length.
bool ParseIPv6Text(const uint8_t* p, size_t len, Addr128* out) {
  uint16_t groups[8];
  int n = 0;     // groups written
  int gap = -1;  // index in groups where "::" stands, if seen
  size_t i = 0;
  if (len == 0) return false;
  if (p[0] == ':') {  // only as the start of a leading "::"
    if (len < 2 || p[1] != ':') return false;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    const size_t start = i;
    uint32_t group = 0;
    int value;
    while (i < len && (value = HexValue(p[i])) >= 0) {
      if (i - start == 4) return false;
      group = group << 4 | static_cast<uint32_t>(value);
      ++i;
    }
    if (i < len && p[i] == '.') {  // dotted-quad tail: re-read this token as decimal
      uint32_t v4;
      if (n > 6 || !ParseIPv4Text(p + start, len - start, &v4)) return false;
      groups[n++] = static_cast<uint16_t>(v4 >> 16);
      groups[n++] = static_cast<uint16_t>(v4);
      break;
    }
    if (i == start || n == 8) return false;
    groups[n++] = static_cast<uint16_t>(group);
    if (i == len) break;
    if (p[i] != ':') return false;
    if (++i == len) return false;  // a trailing single ':'
    if (p[i] == ':') {
      if (gap >= 0) return false;
      gap = n;
      ++i;
    }
  }
  if (gap >= 0) {
    if (n == 8) return false;  // "::" would stand for no group
    const int moved = n - gap;
    for (int k = 0; k < moved; ++k) groups[7 - k] = groups[n - 1 - k];
    for (int k = gap; k < 8 - moved; ++k) groups[k] = 0;
  } else if (n != 8) {
    return false;
  }
  uint64_t hi = 0;
  uint64_t lo = 0;
  for (int k = 0; k < 4; ++k) hi = hi << 16 | groups[k];
  for (int k = 4; k < 8; ++k) lo = lo << 16 | groups[k];
  *out = Addr128{hi, lo};
  return true;
}

// The 39-byte form, eight groups of four hex digits ("2a05:d018:...:66aa"): what RFC 5952 text
// of an address with random 16-bit groups is (15/16)^8 = 60% of the time (no leading zero to
// drop, no zero run to compress). Fixed positions, no search and no "::" bookkeeping. False
// (nothing written) for anything else, which ParseIPv6Text then decides.
bool ParseFullIPv6(const uint8_t* p, Addr128* out) {
  uint64_t words[2] = {0, 0};
  for (int g = 0; g < 8; ++g) {
    const uint8_t* q = p + 5 * g;
    if (g < 7 && q[4] != ':') return false;
    const int a = HexValue(q[0]), b = HexValue(q[1]), c = HexValue(q[2]), d = HexValue(q[3]);
    if ((a | b | c | d) < 0) return false;  // HexValue is -1 for a non-digit
    words[g >> 2] = words[g >> 2] << 16 | static_cast<uint64_t>(a << 12 | b << 8 | c << 4 | d);
  }
  *out = Addr128{words[0], words[1]};
  return true;
}

}  // namespace

FieldStatus ParseAddrScalar(const uint8_t* p, size_t len, Addr128* out) {
  *out = Addr128{0, 0};
  if (len == 1 && p[0] == '-') return FieldStatus::kMissing;
  if (len == 39 && ParseFullIPv6(p, out)) return FieldStatus::kOk;
  if (len != 0 && memchr(p, ':', len) != nullptr) {
    return ParseIPv6Text(p, len, out) ? FieldStatus::kOk : FieldStatus::kBadSyntax;
  }
  uint32_t v4;
  if (!ParseIPv4Text(p, len, &v4)) return FieldStatus::kBadSyntax;
  *out = AddrFromIPv4(v4);
  return FieldStatus::kOk;
}

std::string FormatAddr(const Addr128& a) {
  char text[48];  // "ffff:" * 8 is 40 bytes
  char* t = text;
  if (IsIPv4(a)) {
    const uint32_t v4 = IPv4Of(a);
    for (int k = 3; k >= 0; --k) {
      const uint32_t octet = (v4 >> (8 * k)) & 0xFF;
      if (octet >= 100) *t++ = static_cast<char>('0' + octet / 100);
      if (octet >= 10) *t++ = static_cast<char>('0' + octet / 10 % 10);
      *t++ = static_cast<char>('0' + octet % 10);
      if (k > 0) *t++ = '.';
    }
    return std::string(text, t);
  }
  uint16_t groups[8];
  for (int k = 0; k < 4; ++k) {
    groups[k] = static_cast<uint16_t>(a.hi >> (48 - 16 * k));
    groups[4 + k] = static_cast<uint16_t>(a.lo >> (48 - 16 * k));
  }
  // RFC 5952 4.2: compress the longest run of two or more zero groups, the first on ties.
  int best = -1;
  int best_len = 1;
  for (int k = 0; k < 8;) {
    if (groups[k] != 0) {
      ++k;
      continue;
    }
    int end = k;
    while (end < 8 && groups[end] == 0) ++end;
    if (end - k > best_len) {
      best = k;
      best_len = end - k;
    }
    k = end;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int k = 0; k < 8; ++k) {
    if (k == best) {
      *t++ = ':';
      if (k == 0) *t++ = ':';
      k += best_len - 1;
      continue;
    }
    const unsigned g = groups[k];
    for (int shift = 12; shift > 0; shift -= 4) {
      if (g >> shift) *t++ = kHex[(g >> shift) & 0xF];
    }
    *t++ = kHex[g & 0xF];
    if (k < 7) *t++ = ':';
  }
  return std::string(text, t);
}

}  // namespace flowsift::kernels
#endif  // HWY_ONCE
