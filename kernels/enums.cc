// Enumerated fields by one 8-byte compare. See enums.h for the contract.
#include "kernels/enums.h"

#include <array>
#include <cstring>

namespace flowsift::kernels {
namespace {

constexpr std::array<std::string_view, 3> kActionNames = {"-", "ACCEPT", "REJECT"};
constexpr std::array<std::string_view, 4> kLogStatusNames = {"-", "OK", "NODATA", "SKIPDATA"};
constexpr std::array<std::string_view, 4> kAddrTypeNames = {"-", "IPv4", "IPv6", "EFA"};
constexpr std::array<std::string_view, 3> kFlowDirectionNames = {"-", "ingress", "egress"};

// Every spelling is at most 8 bytes, so a field matches a name iff its length is equal and its
// first 8 bytes, with the bytes past `len` zeroed, equal the name zero-padded to 8 bytes.
constexpr uint64_t Pack(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < s.size(); ++i) v |= uint64_t{static_cast<uint8_t>(s[i])} << (8 * i);
  return v;
}

template <size_t N>
FieldStatus Match(const std::array<std::string_view, N>& names, const uint8_t* p, size_t len,
                  uint8_t* code) {
  *code = 0;
  if (len - 1 >= 8) return FieldStatus::kBadSyntax;  // 0 or > 8 bytes matches nothing
  uint64_t v;
  memcpy(&v, p, 8);
  v &= len == 8 ? ~0ull : ((1ull << (8 * len)) - 1);
  if (len == 1 && v == '-') return FieldStatus::kMissing;
  for (size_t i = 1; i < N; ++i) {
    if (v == Pack(names[i]) && len == names[i].size()) {
      *code = static_cast<uint8_t>(i);
      return FieldStatus::kOk;
    }
  }
  return FieldStatus::kBadSyntax;
}

template <size_t N>
FieldStatus MatchScalar(const std::array<std::string_view, N>& names, const uint8_t* p, size_t len,
                        uint8_t* code) {
  *code = 0;
  const std::string_view text(reinterpret_cast<const char*>(p), len);
  if (text == "-") return FieldStatus::kMissing;
  for (size_t i = 1; i < N; ++i) {
    if (text == names[i]) {
      *code = static_cast<uint8_t>(i);
      return FieldStatus::kOk;
    }
  }
  return FieldStatus::kBadSyntax;
}

}  // namespace

const std::string_view* EnumNames(EnumKind kind, size_t* count) {
  switch (kind) {
    case EnumKind::kAction:
      *count = kActionNames.size();
      return kActionNames.data();
    case EnumKind::kLogStatus:
      *count = kLogStatusNames.size();
      return kLogStatusNames.data();
    case EnumKind::kAddrType:
      *count = kAddrTypeNames.size();
      return kAddrTypeNames.data();
    case EnumKind::kFlowDirection:
      *count = kFlowDirectionNames.size();
      return kFlowDirectionNames.data();
  }
  *count = 0;
  return nullptr;
}

FieldStatus ParseEnum(EnumKind kind, const uint8_t* p, size_t len, uint8_t* code) {
  switch (kind) {
    case EnumKind::kAction:
      return Match(kActionNames, p, len, code);
    case EnumKind::kLogStatus:
      return Match(kLogStatusNames, p, len, code);
    case EnumKind::kAddrType:
      return Match(kAddrTypeNames, p, len, code);
    case EnumKind::kFlowDirection:
      return Match(kFlowDirectionNames, p, len, code);
  }
  *code = 0;
  return FieldStatus::kBadSyntax;
}

FieldStatus ParseEnumScalar(EnumKind kind, const uint8_t* p, size_t len, uint8_t* code) {
  switch (kind) {
    case EnumKind::kAction:
      return MatchScalar(kActionNames, p, len, code);
    case EnumKind::kLogStatus:
      return MatchScalar(kLogStatusNames, p, len, code);
    case EnumKind::kAddrType:
      return MatchScalar(kAddrTypeNames, p, len, code);
    case EnumKind::kFlowDirection:
      return MatchScalar(kFlowDirectionNames, p, len, code);
  }
  *code = 0;
  return FieldStatus::kBadSyntax;
}

void ParseEnumColumn(EnumKind kind, const uint8_t* base, const FieldSpan* spans, size_t n,
                     uint8_t* code, FieldStatus* status) {
  // One loop per kind, so the spelling table is a compile-time constant inside the loop.
  const auto each = [&](const auto& names) {
    for (size_t i = 0; i < n; ++i) {
      status[i] = Match(names, base + spans[i].begin, spans[i].end - spans[i].begin, &code[i]);
    }
  };
  switch (kind) {
    case EnumKind::kAction:
      return each(kActionNames);
    case EnumKind::kLogStatus:
      return each(kLogStatusNames);
    case EnumKind::kAddrType:
      return each(kAddrTypeNames);
    case EnumKind::kFlowDirection:
      return each(kFlowDirectionNames);
  }
  for (size_t i = 0; i < n; ++i) code[i] = 0, status[i] = FieldStatus::kBadSyntax;
}

}  // namespace flowsift::kernels
