// Decimal integers by SWAR (SIMD within a register). See integers.h for the contract.
#include "kernels/integers.h"

#include <cstring>

namespace flowsift::kernels {
namespace {

constexpr uint64_t kZeros = 0x3030303030303030ull;  // "00000000"

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

// True when all 8 bytes of v are ASCII digits. A byte b is a digit iff its high nibble is 3
// and b + 6 still has high nibble 3 (that is, the low nibble is 0..9).
bool AllDigits(uint64_t v) {
  return ((v & 0xF0F0F0F0F0F0F0F0ull) == kZeros) &&
         (((v + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) == kZeros);
}

// Value of 8 ASCII digits, first digit in the lowest byte (a little-endian load of the text).
// Three multiply-and-shift steps combine neighbours: 1-digit -> 2-digit -> 4-digit -> 8-digit
// groups (Lemire, "Quickly parsing eight digits", 2018; also fast_float).
uint64_t EightDigits(uint64_t v) {
  v -= kZeros;
  v = (v * 10) + (v >> 8);
  v = (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
       (((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >>
      32;
  return v;
}

// The first `len` (1..8) bytes at p as a right-aligned 8-digit group: the text moves to the
// high bytes and the low bytes become '0', so "123" reads as "00000123".
// Returns false when one of the `len` bytes is not a digit.
bool LoadDigits(const uint8_t* p, size_t len, uint64_t* digits) {
  const unsigned shift = static_cast<unsigned>(8 - len) * 8;  // 0..56: never the undefined 64
  const uint64_t v = (Load64(p) << shift) | (kZeros & ~(~0ull << shift));
  *digits = v;
  return AllDigits(v);
}

}  // namespace

UintResult ParseUint(const uint8_t* p, size_t len, uint64_t max) {
  if (len - 1 < 8) {  // 1..8 digits, the common case (unsigned wrap makes len 0 fail here)
    uint64_t v;
    if (!LoadDigits(p, len, &v)) {
      if (len == 1 && p[0] == '-') return {0, FieldStatus::kMissing};
      return {0, FieldStatus::kBadSyntax};
    }
    const uint64_t value = EightDigits(v);
    if (value > max) return {0, FieldStatus::kOverflow};
    return {value, FieldStatus::kOk};
  }
  if (len - 9 < 8) {  // 9..16 digits: epoch seconds (10) and milliseconds (13)
    uint64_t hi, lo;
    const bool ok = LoadDigits(p, len - 8, &hi) & LoadDigits(p + len - 8, 8, &lo);
    if (!ok) return {0, FieldStatus::kBadSyntax};
    const uint64_t value = EightDigits(hi) * 100000000ull + EightDigits(lo);
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

void ParseUintColumn(const uint8_t* base, const FieldSpan* spans, size_t n, uint64_t max,
                     uint64_t* out, FieldStatus* status) {
  for (size_t i = 0; i < n; ++i) {
    const UintResult r = ParseUint(base + spans[i].begin, spans[i].end - spans[i].begin, max);
    out[i] = r.value;
    status[i] = r.status;
  }
}

}  // namespace flowsift::kernels
