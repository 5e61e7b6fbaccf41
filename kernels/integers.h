// Decimal integer fields: ports, protocol, packets, bytes, epoch seconds, tcp-flags, ...
#ifndef FLOWSIFT_KERNELS_INTEGERS_H_
#define FLOWSIFT_KERNELS_INTEGERS_H_

#include <cstddef>
#include <cstdint>

#include "kernels/types.h"

namespace flowsift::kernels {

// The result of parsing one field: `value` is meaningful only when `status` is kOk.
struct UintResult {
  uint64_t value;
  FieldStatus status;
};

// Parses base[0, len) as an unsigned decimal integer no larger than `max`.
// "-" is kMissing; empty, a sign, or any non-digit is kBadSyntax; a value above `max` (or
// above 2^64 - 1) is kOverflow. Leading zeros are accepted ("007" = 7). Reads max(len, 8) bytes
// from p, so p + 8 must be readable whatever len is (the chunk padding guarantees it).
// SWAR: up to 16 digits take two 8-byte loads and no per-digit branch.
UintResult ParseUint(const uint8_t* p, size_t len, uint64_t max);

// Scalar reference: a digit loop with identical results. Reads only p[0, len).
UintResult ParseUintScalar(const uint8_t* p, size_t len, uint64_t max);

// Converts n fields: field i is base[spans[i].begin, spans[i].end). Writes out[i] (0 unless
// kOk) and status[i]. `base` must be readable to the largest span end + kPadding.
void ParseUintColumn(const uint8_t* base, SpanView spans, size_t n, uint64_t max, uint64_t* out,
                     FieldStatus* status);
inline void ParseUintColumn(const uint8_t* base, const FieldSpan* spans, size_t n, uint64_t max,
                            uint64_t* out, FieldStatus* status) {
  ParseUintColumn(base, ViewOf(spans), n, max, out, status);
}

}  // namespace flowsift::kernels

#endif  // FLOWSIFT_KERNELS_INTEGERS_H_
