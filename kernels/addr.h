// IP address parsing: IPv4 dotted quads (SIMD, per Highway target) and IPv6 text (RFC 4291).
#ifndef FLOWSIFT_KERNELS_ADDR_H_
#define FLOWSIFT_KERNELS_ADDR_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/types.h"

namespace flowsift::kernels {

// Converts n address fields. Field i is base[spans[i].begin, spans[i].end). Writes out[i] and
// status[i]: kOk (IPv4 stored IPv4-mapped, or IPv6), kMissing for "-", kBadSyntax otherwise
// (out[i] is then {0, 0}). `base` must be readable up to the largest span end + kPadding.
// IPv4 is the strict dotted quad: four decimal octets 0..255, no leading zeros ("01" is bad),
// no spaces or signs. IPv6 accepts every RFC 4291 section 2.2 text form: full, leading zeros
// dropped, "::" compression (at most once), and an embedded IPv4 tail (::ffff:1.2.3.4,
// 64:ff9b::192.0.2.33); hex digits in either case; no zone ids ("%eth0") or prefixes ("/64").
// Dispatches once per call to the best SIMD target; IPv6 fields take a scalar path.
void ParseAddrColumn(const uint8_t* base, SpanView spans, size_t n, Addr128* out,
                     FieldStatus* status);
inline void ParseAddrColumn(const uint8_t* base, const FieldSpan* spans, size_t n, Addr128* out,
                            FieldStatus* status) {
  ParseAddrColumn(base, ViewOf(spans), n, out, status);
}

// Scalar reference for one field: the definition of correct for ParseAddrColumn.
// Needs no padding.
FieldStatus ParseAddrScalar(const uint8_t* p, size_t len, Addr128* out);

// Text form for outputs: dotted quad for IPv4-mapped addresses, RFC 5952 canonical text
// (lowercase, longest zero run compressed) for the rest.
std::string FormatAddr(const Addr128& a);

}  // namespace flowsift::kernels

#endif  // FLOWSIFT_KERNELS_ADDR_H_
