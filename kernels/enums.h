// Enumerated text fields (action, log-status, type, flow-direction, ...) to small codes.
#ifndef FLOWSIFT_KERNELS_ENUMS_H_
#define FLOWSIFT_KERNELS_ENUMS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernels/types.h"

namespace flowsift::kernels {

// Code 0 of every enum means "missing" ("-"). Values are stable: they are stored in outputs.
enum class Action : uint8_t { kMissing = 0, kAccept = 1, kReject = 2 };
enum class LogStatus : uint8_t { kMissing = 0, kOk = 1, kNoData = 2, kSkipData = 3 };
enum class AddrType : uint8_t { kMissing = 0, kIPv4 = 1, kIPv6 = 2, kEfa = 3 };
enum class FlowDirection : uint8_t { kMissing = 0, kIngress = 1, kEgress = 2 };

// Which enumerated field a column holds.
enum class EnumKind : uint8_t { kAction, kLogStatus, kAddrType, kFlowDirection };

// The spellings of `kind`, indexed by code (index 0 is "-"). Matching is exact and
// case-sensitive, as AWS writes them: ACCEPT REJECT / OK NODATA SKIPDATA / IPv4 IPv6 EFA /
// ingress egress.
const std::string_view* EnumNames(EnumKind kind, size_t* count);

// Parses base[0, len) as a value of `kind`: kOk with the code, kMissing (code 0) for "-",
// kBadSyntax for anything else. Reads 8 bytes from p whatever len is (chunk padding).
FieldStatus ParseEnum(EnumKind kind, const uint8_t* p, size_t len, uint8_t* code);

// Scalar reference: compares against EnumNames with memcmp. Reads only p[0, len).
FieldStatus ParseEnumScalar(EnumKind kind, const uint8_t* p, size_t len, uint8_t* code);

// Column form: code[i] and status[i] for field i = base[spans[i].begin, spans[i].end).
void ParseEnumColumn(EnumKind kind, const uint8_t* base, SpanView spans, size_t n, uint8_t* code,
                     FieldStatus* status);
inline void ParseEnumColumn(EnumKind kind, const uint8_t* base, const FieldSpan* spans, size_t n,
                            uint8_t* code, FieldStatus* status) {
  ParseEnumColumn(kind, base, ViewOf(spans), n, code, status);
}

}  // namespace flowsift::kernels

#endif  // FLOWSIFT_KERNELS_ENUMS_H_
