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

// The names of an enum as constants: Pack(names[i]) on a reference to the array was computed
// at run time, byte by byte, for every field (gcc does not fold it).
template <const auto& kNames>
struct Packed {
  static constexpr size_t kCount = kNames.size();
  static constexpr std::array<uint64_t, kCount> kValues = [] {
    std::array<uint64_t, kCount> v{};
    for (size_t i = 0; i < kCount; ++i) v[i] = Pack(kNames[i]);
    return v;
  }();
};

// Branch-free: the column loop runs for every record (two enum fields in v2), and the
// compare-and-return chain it replaces cost ~70 instructions a field (callgrind). Every name is
// compared with constants; at most one matches.
template <const auto& kNames>
[[gnu::always_inline]] inline FieldStatus Match(const uint8_t* p, size_t len, uint8_t* code) {
  uint64_t v;
  memcpy(&v, p, 8);
  // The bytes past len zeroed: a length of 0 leaves 0, one of 8 or more all 8 bytes (which
  // then match no name of another length).
  v &= len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
  unsigned c = 0;
  for (size_t i = 1; i < Packed<kNames>::kCount; ++i) {
    c |= static_cast<unsigned>((v == Packed<kNames>::kValues[i]) & (len == kNames[i].size())) *
         static_cast<unsigned>(i);
  }
  *code = static_cast<uint8_t>(c);
  const bool dash = (v == '-') & (len == 1);
  return c != 0 ? FieldStatus::kOk : dash ? FieldStatus::kMissing : FieldStatus::kBadSyntax;
}

template <const auto& kNames>
void MatchColumn(const uint8_t* base, const FieldSpan* spans, size_t n, uint8_t* code,
                 FieldStatus* status) {
  for (size_t i = 0; i < n; ++i) {
    status[i] = Match<kNames>(base + spans[i].begin, spans[i].end - spans[i].begin, &code[i]);
  }
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
      return Match<kActionNames>(p, len, code);
    case EnumKind::kLogStatus:
      return Match<kLogStatusNames>(p, len, code);
    case EnumKind::kAddrType:
      return Match<kAddrTypeNames>(p, len, code);
    case EnumKind::kFlowDirection:
      return Match<kFlowDirectionNames>(p, len, code);
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
  switch (kind) {
    case EnumKind::kAction:
      return MatchColumn<kActionNames>(base, spans, n, code, status);
    case EnumKind::kLogStatus:
      return MatchColumn<kLogStatusNames>(base, spans, n, code, status);
    case EnumKind::kAddrType:
      return MatchColumn<kAddrTypeNames>(base, spans, n, code, status);
    case EnumKind::kFlowDirection:
      return MatchColumn<kFlowDirectionNames>(base, spans, n, code, status);
  }
  for (size_t i = 0; i < n; ++i) code[i] = 0, status[i] = FieldStatus::kBadSyntax;
}

}  // namespace flowsift::kernels
