// Sums of packets and bytes that stop at 2^63 - 1 instead of wrapping.
//
// A record carries at most 2^63 - 1 packets or bytes (AWS's INT_64; larger values are
// `integer_overflow` bad lines). Before, two damaged lines that parsed with 10^19 bytes each made
// a window's sum wrap round to 1.55 * 10^18 (and an exfiltration finding of that amount); with
// the cap alone, three lines near 2^63 still would. With these additions a sum that would pass
// 2^63 - 1 stays there: 9223372036854775807 in an output means "at least this much". That is the
// largest value a signed 64-bit reader holds (DuckDB's BIGINT, OCSF's long, a SIEM's Java long),
// so every output number stays readable downstream, and no real archive comes near it (8 EiB in
// one window or one merged run). The check is an add and a never-taken branch, off the hot
// loops' critical paths (their cache misses).
#ifndef FLOWSIFT_PIPELINE_SATURATING_H_
#define FLOWSIFT_PIPELINE_SATURATING_H_

#include <algorithm>
#include <cstdint>

namespace flowsift {

inline constexpr uint64_t kMaxSum = INT64_MAX;

// sum = min(sum + v, 2^63 - 1), for sum and v at most 2^63 - 1 (then the signed addition
// overflows exactly when the true sum passes 2^63 - 1).
inline void AddSaturating(uint64_t& sum, uint64_t v) {
  int64_t s;
  if (__builtin_add_overflow(static_cast<int64_t>(sum), static_cast<int64_t>(v), &s)) {
    s = INT64_MAX;
  }
  sum = static_cast<uint64_t>(s);
}

// A value read from outside (a partial state file) brought into AddSaturating's domain.
inline uint64_t ClampToSum(uint64_t v) { return std::min(v, kMaxSum); }

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_SATURATING_H_
