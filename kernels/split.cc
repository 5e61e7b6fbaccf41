// Stage 1: delimiter index. See split.h for the contract.
//
// Each 64-byte block becomes three u64 bitmasks (delimiter, newline, control-or-high byte)
// using whole-vector compares, then the delimiter mask is "flattened" into offsets without a
// branch per bit: AVX-512 compresses lane offsets by the mask, AVX2 looks up each mask byte's
// bit positions in a table, and the other targets take 8 or 16
// unconditional tzcnt/blsr steps. On real logs the number of delimiters per block varies (field
// widths vary), so a loop with a branch per bit mispredicts (reference/performance.md, "Stage
// 1"; docs/performance-history.md, "Tenth session").
//
// The text is prefetched kTextAhead bytes ahead (one prefetcht0 a block). Stage 1 is where a
// chunk's text first comes in from memory, and the hardware's stream prefetchers stop at each
// 4 KiB page: without the software prefetch the kernel stalled at every page. On the Emerald
// Rapids Xeon, AVX3_DL: 6.1 -> 14.3 GB/s over the 64 MiB benchmark text, 6.4 -> 11.0 over 1 GiB
// (docs/parsing.md; docs/performance-history.md, "Thirty-first session").

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/split.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// Must come after foreach_target.h.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "kernels/prefetch.h"
#include "kernels/split.h"

HWY_BEFORE_NAMESPACE();
namespace flowsift::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// How far ahead IndexDelimiters prefetches its text (top of the file). Over 64 MiB, 512 bytes
// and 1 KiB kept about half of the gain; 2 to 16 KiB ran within each other's noise.
constexpr uintptr_t kTextAhead = 4096;

struct BlockMasks {
  uint64_t delim;    // ' ' or '\n'
  uint64_t newline;  // '\n'
  uint64_t ctrl;     // byte < 0x20 or >= 0x80 (includes '\n'; callers remove it)
};

#if HWY_TARGET != HWY_SCALAR
// A byte mask's bits as an integer, lane i in bit i. On x86 straight from the register (a
// kmask, or movemask): StoreMaskBits would store each vector's bits to memory, and reading
// two 4-byte stores back as one u64 defeats store forwarding (a ~10-cycle stall, three times
// a block on AVX2).
template <class D, class M>
HWY_INLINE uint64_t MaskBits(D d, M m) {
#if HWY_TARGET <= HWY_AVX3
  (void)d;
  return static_cast<uint64_t>(m.raw);
#elif HWY_ARCH_X86 && HWY_TARGET != HWY_EMU128
  (void)d;
  return hn::detail::BitsFromMask(m);
#else
  uint8_t bytes[16] = {};
  hn::StoreMaskBits(d, m, bytes);
  uint64_t bits;
  memcpy(&bits, bytes, 8);
  return bits;
#endif
}
#endif

HWY_INLINE BlockMasks ClassifyBlock(const uint8_t* HWY_RESTRICT p) {
  BlockMasks m{0, 0, 0};
#if HWY_TARGET == HWY_SCALAR
  for (size_t i = 0; i < 64; ++i) {
    const uint8_t c = p[i];
    m.delim |= uint64_t{c == ' ' || c == '\n'} << i;
    m.newline |= uint64_t{c == '\n'} << i;
    m.ctrl |= uint64_t{c < 0x20 || c >= 0x80} << i;
  }
#else
  const hn::ScalableTag<uint8_t> d;
  const hn::RebindToSigned<decltype(d)> di;
  constexpr size_t kN = hn::MaxLanes(d);
  static_assert(64 % kN == 0 && kN >= 8 && kN <= 64, "whole vectors per block");
  const auto space_v = hn::Set(d, ' ');
  const auto newline_v = hn::Set(d, '\n');
  // As signed bytes, 0x80..0xFF are negative, so one signed compare finds both < 0x20 and
  // >= 0x80.
  const auto ctrl_v = hn::Set(di, 0x20);
  for (size_t i = 0; i < 64; i += kN) {
    const auto v = hn::LoadU(d, p + i);
    const auto is_newline = hn::Eq(v, newline_v);
    m.delim |= MaskBits(d, hn::Or(hn::Eq(v, space_v), is_newline)) << i;
    m.newline |= MaskBits(d, is_newline) << i;
    m.ctrl |= MaskBits(di, hn::Lt(hn::BitCast(di, v), ctrl_v)) << i;
  }
#endif
  return m;
}

// Writes base + (index of each set bit) to out in ascending order; may write up to 64 entries
// past the returned count of set bits.
#if HWY_TARGET == HWY_AVX3_DL
// VBMI2 compresses bytes (vpcompressb): the byte positions 0..63 compressed by the whole
// delimiter mask at once are the delimiters' positions in order, and a block of flow-log text
// holds ~8 of them (records are ~90-250 bytes of ~14-30 fields), so the first 16, widened to
// u32 and offset, are usually all: one compress and one store a block where the u32 compress
// below takes four of each.
HWY_INLINE size_t FlattenBits(uint64_t bits, uint32_t base, uint32_t* HWY_RESTRICT out) {
  const hn::ScalableTag<uint8_t> d8;
  const hn::ScalableTag<uint32_t> d32;
  static_assert(hn::MaxLanes(d8) == 64 && hn::MaxLanes(d32) == 16, "AVX-512");
  hn::Mask512<uint8_t> m;
  m.raw = static_cast<__mmask64>(bits);
  const auto positions = hn::Compress(hn::Iota(d8, 0), m);
  const auto offset = hn::Set(d32, base);
  const hn::Half<decltype(d8)> d8h;   // 32 bytes
  const hn::Half<decltype(d8h)> d8q;  // 16 bytes
  const auto low = hn::LowerHalf(d8h, positions);
  hn::StoreU(hn::Add(hn::PromoteTo(d32, hn::LowerHalf(d8q, low)), offset), d32, out);
  const size_t n = static_cast<size_t>(std::popcount(bits));
  if (HWY_UNLIKELY(n > 16)) {
    const auto high = hn::UpperHalf(d8h, positions);
    hn::StoreU(hn::Add(hn::PromoteTo(d32, hn::UpperHalf(d8q, low)), offset), d32, out + 16);
    hn::StoreU(hn::Add(hn::PromoteTo(d32, hn::LowerHalf(d8q, high)), offset), d32, out + 32);
    hn::StoreU(hn::Add(hn::PromoteTo(d32, hn::UpperHalf(d8q, high)), offset), d32, out + 48);
  }
  return n;
}
#elif HWY_TARGET <= HWY_AVX3
// AVX-512 compresses 16 u32 lanes natively (vpcompressd): the offsets base+0..63 are four
// vectors, each compressed by 16 mask bits and stored whole; no per-bit work at all. The
// register form plus a full store beats the memory form of vpcompressd, which is microcoded
// on Intel cores.
HWY_INLINE size_t FlattenBits(uint64_t bits, uint32_t base, uint32_t* HWY_RESTRICT out) {
  const hn::ScalableTag<uint32_t> d32;
  static_assert(hn::MaxLanes(d32) == 16, "AVX-512: 16 u32 lanes");
  const auto offsets = hn::Add(hn::Iota(d32, 0), hn::Set(d32, base));
  const auto sixteen = hn::Set(d32, 16);
  uint8_t mask_bytes[16] = {};
  memcpy(mask_bytes, &bits, 8);
  size_t n = 0;
  auto v = offsets;
  for (size_t j = 0; j < 4; ++j) {
    const auto m = hn::LoadMaskBits(d32, mask_bytes + 2 * j);
    hn::StoreU(hn::Compress(v, m), d32, out + n);
    n += static_cast<size_t>(std::popcount(static_cast<uint16_t>(bits >> (16 * j))));
    v = hn::Add(v, sixteen);
  }
  return n;
}
#elif HWY_TARGET == HWY_AVX2
// Without a compress instruction: one table lookup per mask byte. kBitIndex[b] lists the set
// bits of b (0-7) as bytes; widened to u32, offset and stored as 8 lanes whatever b's
// popcount, the store pointer advancing by the popcount. No branch and no dependency between
// the bytes: a tzcnt/blsr loop is a serial chain of 8-16 steps, and its "more than 8?" branch
// is a coin toss on flow logs (~7.7 delimiters per 64 bytes), so it mispredicted on about
// every other block. (SSE4 and SSSE3 keep the loop: with 4-lane stores, and SSSE3 without a
// byte-to-u32 widening instruction, the table was no faster there.)
struct BitIndexTable {
  uint8_t index[256][8];
};
constexpr BitIndexTable MakeBitIndexTable() {
  BitIndexTable t{};
  for (unsigned b = 0; b < 256; ++b) {
    unsigned n = 0;
    for (unsigned i = 0; i < 8; ++i) {
      if (b & (1u << i)) t.index[b][n++] = static_cast<uint8_t>(i);
    }
  }
  return t;
}
alignas(64) constexpr BitIndexTable kBitIndex = MakeBitIndexTable();

HWY_INLINE size_t FlattenBits(uint64_t bits, uint32_t base, uint32_t* HWY_RESTRICT out) {
  const hn::FixedTag<uint32_t, 8> d32;  // one AVX2 vector per mask byte
  const hn::Rebind<uint8_t, decltype(d32)> d8;
  size_t n = 0;
  auto at = hn::Set(d32, base);
  const auto eight = hn::Set(d32, 8);
  for (size_t k = 0; k < 8; ++k, at = hn::Add(at, eight)) {
    const uint32_t byte = static_cast<uint32_t>(bits >> (8 * k)) & 0xFF;
    const auto index = hn::PromoteTo(d32, hn::LoadU(d8, kBitIndex.index[byte]));
    hn::StoreU(hn::Add(index, at), d32, out + n);
    n += static_cast<size_t>(std::popcount(byte));
  }
  return n;
}
#else
// Index of the lowest set bit, and 63 for 0 (any value works there, see FlattenBits). The
// forced top bit keeps the builtin defined for 0 without the branch std::countr_zero adds.
HWY_INLINE uint32_t LowestBit(uint64_t bits) {
  return static_cast<uint32_t>(__builtin_ctzll(bits | (uint64_t{1} << 63)));
}

// 8 or 16 unconditional tzcnt/blsr steps, then a loop for dense blocks. The writes past the
// last set bit store harmless values that the next block overwrites.
HWY_INLINE size_t FlattenBits(uint64_t bits, uint32_t base, uint32_t* HWY_RESTRICT out) {
  const size_t count = static_cast<size_t>(std::popcount(bits));
  for (size_t i = 0; i < 8; ++i) {
    out[i] = base + LowestBit(bits);
    bits &= bits - 1;
  }
  if (HWY_UNLIKELY(count > 8)) {
    for (size_t i = 8; i < 16; ++i) {
      out[i] = base + LowestBit(bits);
      bits &= bits - 1;
    }
    for (size_t i = 16; i < count; ++i) {
      out[i] = base + LowestBit(bits);
      bits &= bits - 1;
    }
  }
  return count;
}
#endif

DelimiterCounts IndexDelimiters(const uint8_t* HWY_RESTRICT in, size_t size,
                                uint32_t* HWY_RESTRICT delims, uint32_t* HWY_RESTRICT line_ends,
                                uint32_t* HWY_RESTRICT oddities) {
  DelimiterCounts c{0, 0, 0};
  uint64_t prev_delim = 1;  // offset 0 counts as "after a delimiter": a leading space is odd
  for (size_t pos = 0; pos < size; pos += 64) {
    PrefetchLineAhead(in + pos, kTextAhead);  // past the text's end too: does nothing there
    BlockMasks m = ClassifyBlock(in + pos);
    if (HWY_UNLIKELY(size - pos < 64)) {  // the tail: bytes past `size` are padding
      const uint64_t valid = (uint64_t{1} << (size - pos)) - 1;
      m.delim &= valid;
      m.newline &= valid;
      m.ctrl &= valid;
    }
    const uint32_t base = static_cast<uint32_t>(pos);
    // A delimiter whose predecessor is a delimiter: bit i of (delim << 1 | carry) is bit i-1.
    const uint64_t after_delim = (m.delim << 1) | prev_delim;
    prev_delim = m.delim >> 63;
    uint64_t odd = (m.ctrl & ~m.newline) | (m.delim & after_delim);

    // Each newline's index in `delims` = delimiters before this block + those below it here.
    // A block of flow-log text holds no newline or one (records are ~90-250 bytes), in no
    // pattern a branch predicts, so the first is written unconditionally (past the count when
    // there is none, which the contract allows) and only lines under 64 bytes take the loop.
    // A second unconditional step cost 10% of the kernel's speed on v2 records.
    uint64_t nl = m.newline;
    {
      const uint64_t below = (nl & (0 - nl)) - 1;  // all ones when nl is 0: harmless
      line_ends[c.lines] = static_cast<uint32_t>(c.delimiters + std::popcount(m.delim & below));
      c.lines += nl != 0;
      nl &= nl - 1;
    }
    while (HWY_UNLIKELY(nl != 0)) {
      const uint64_t below = (nl & (0 - nl)) - 1;
      line_ends[c.lines++] = static_cast<uint32_t>(c.delimiters + std::popcount(m.delim & below));
      nl &= nl - 1;
    }
    while (HWY_UNLIKELY(odd != 0)) {
      oddities[c.oddities++] = base + static_cast<uint32_t>(__builtin_ctzll(odd));
      odd &= odd - 1;
    }
    c.delimiters += FlattenBits(m.delim, base, delims + c.delimiters);
  }
  return c;
}

// Bit i: p[i] is '\n'; and bit i: p[i] is in 'a'..'z' (as signed bytes, 0x80..0xFF are
// negative and fail the first compare) or is 0xEF, a UTF-8 byte order mark's first byte.
HWY_INLINE void LineStartMasks(const uint8_t* HWY_RESTRICT p, uint64_t* newline, uint64_t* lower) {
  uint64_t nl = 0, lo = 0;
#if HWY_TARGET == HWY_SCALAR
  for (size_t i = 0; i < 64; ++i) {
    nl |= uint64_t{p[i] == '\n'} << i;
    lo |= uint64_t{(p[i] >= 'a' && p[i] <= 'z') || p[i] == kBomFirstByte} << i;
  }
#else
  const hn::ScalableTag<uint8_t> d;
  const hn::RebindToSigned<decltype(d)> di;
  constexpr size_t kN = hn::MaxLanes(d);
  const auto newline_v = hn::Set(d, '\n');
  const auto before_a = hn::Set(di, 'a' - 1);
  const auto after_z = hn::Set(di, 'z' + 1);
  const auto bom_v = hn::Set(d, kBomFirstByte);
  for (size_t i = 0; i < 64; i += kN) {
    const auto v = hn::LoadU(d, p + i);
    const auto vi = hn::BitCast(di, v);
    nl |= MaskBits(d, hn::Eq(v, newline_v)) << i;
    lo |= (MaskBits(di, hn::And(hn::Gt(vi, before_a), hn::Lt(vi, after_z))) |
           MaskBits(d, hn::Eq(v, bom_v)))
          << i;
  }
#endif
  *newline = nl;
  *lower = lo;
}

size_t FindHeaderLineStart(const uint8_t* HWY_RESTRICT in, size_t size) {
  uint64_t carry = 0;  // the previous block's last byte was a newline
  for (size_t pos = 0; pos < size; pos += 64) {
    PrefetchLineAhead(in + pos, kTextAhead);
    uint64_t nl, lower;
    LineStartMasks(in + pos, &nl, &lower);
    if (HWY_UNLIKELY(size - pos < 64)) lower &= (uint64_t{1} << (size - pos)) - 1;
    const uint64_t starts = ((nl << 1) | carry) & lower;
    carry = nl >> 63;
    if (HWY_UNLIKELY(starts != 0)) return pos + static_cast<size_t>(std::countr_zero(starts));
  }
  return size;
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace flowsift::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace flowsift::kernels {

HWY_EXPORT(IndexDelimiters);
HWY_EXPORT(FindHeaderLineStart);

size_t FindHeaderLineStart(const uint8_t* in, size_t size) {
  return HWY_DYNAMIC_DISPATCH(FindHeaderLineStart)(in, size);
}

size_t FindHeaderLineStartScalar(const uint8_t* in, size_t size) {
  for (size_t i = 1; i < size; ++i) {
    if (in[i - 1] == '\n' && ((in[i] >= 'a' && in[i] <= 'z') || in[i] == kBomFirstByte)) return i;
  }
  return size;
}

DelimiterCounts IndexDelimiters(const uint8_t* in, size_t size, uint32_t* delims,
                                uint32_t* line_ends, uint32_t* oddities) {
  return HWY_DYNAMIC_DISPATCH(IndexDelimiters)(in, size, delims, line_ends, oddities);
}

DelimiterCounts IndexDelimitersScalar(const uint8_t* in, size_t size, uint32_t* delims,
                                      uint32_t* line_ends, uint32_t* oddities) {
  DelimiterCounts c{0, 0, 0};
  bool prev_delim = true;
  for (size_t i = 0; i < size; ++i) {
    const uint8_t ch = in[i];
    const bool is_delim = ch == ' ' || ch == '\n';
    if (ch == '\n') line_ends[c.lines++] = static_cast<uint32_t>(c.delimiters);
    if (is_delim) delims[c.delimiters++] = static_cast<uint32_t>(i);
    const bool ctrl = (ch < 0x20 && ch != '\n') || ch >= 0x80;
    if (ctrl || (is_delim && prev_delim)) oddities[c.oddities++] = static_cast<uint32_t>(i);
    prev_delim = is_delim;
  }
  return c;
}

}  // namespace flowsift::kernels
#endif  // HWY_ONCE
