// SWAR (SIMD within a register) digit helpers shared by the integer kernels of every target.
// Plain C++, no Highway types.
#ifndef FLOWSIFT_KERNELS_SWAR_H_
#define FLOWSIFT_KERNELS_SWAR_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/integers.h"

namespace flowsift::kernels::swar {

inline constexpr uint64_t kZeros = 0x3030303030303030ull;  // "00000000"

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

// True when all 8 bytes of v are ASCII digits. A byte b is a digit iff its high nibble is 3
// and b + 6 still has high nibble 3 (that is, the low nibble is 0..9).
inline bool AllDigits(uint64_t v) {
  return ((v & 0xF0F0F0F0F0F0F0F0ull) == kZeros) &&
         (((v + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) == kZeros);
}

// Value of 8 ASCII digits, first digit in the lowest byte (a little-endian load of the text).
// Three multiply-and-shift steps combine neighbours: 1-digit -> 2-digit -> 4-digit -> 8-digit
// groups (Lemire, "Quickly parsing eight digits", 2018; also fast_float).
inline uint64_t EightDigits(uint64_t v) {
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
inline bool LoadDigits(const uint8_t* p, size_t len, uint64_t* digits) {
  const unsigned shift = static_cast<unsigned>(8 - len) * 8;  // 0..56: never the undefined 64
  const uint64_t v = (Load64(p) << shift) | (kZeros & ~(~0ull << shift));
  *digits = v;
  return AllDigits(v);
}

}  // namespace flowsift::kernels::swar

#endif  // FLOWSIFT_KERNELS_SWAR_H_
