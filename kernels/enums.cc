// Enumerated fields by one 8-byte compare; the column form two fields a vector on SSE4, four on
// AVX2 and eight on AVX-512. See enums.h for the contract.
#include "kernels/enums.h"

#include <array>
#include <cstring>

// Target-independent: the spellings, their packed forms, and the scalar matcher (which the
// SIMD loops use for their tails). Compiled once although foreach_target includes this file
// once per target.
#ifndef FLOWSIFT_KERNELS_ENUMS_SHARED_
#define FLOWSIFT_KERNELS_ENUMS_SHARED_
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
void MatchColumn(const uint8_t* base, SpanView spans, size_t n, uint8_t* code,
                 FieldStatus* status) {
  for (size_t i = 0; i < n; ++i) {
    const FieldSpan s = spans[i];
    status[i] = Match<kNames>(base + s.begin, s.end - s.begin, &code[i]);
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
}  // namespace flowsift::kernels
#endif  // FLOWSIFT_KERNELS_ENUMS_SHARED_

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/enums.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace flowsift::kernels::HWY_NAMESPACE {

#if HWY_TARGET > HWY_AVX2

// SSE4 and below: 64-bit lanes two a vector, and the compares of 64-bit lanes emulated on
// SSSE3, gained nothing over the scalar loop (SSE4 113 M fields/s against 563 M).
template <const auto& kNames>
void MatchColumnOnTarget(const uint8_t* base, SpanView spans, size_t n, uint8_t* code,
                         FieldStatus* status) {
  MatchColumn<kNames>(base, spans, n, code, status);
}

#else

namespace hn = hwy::HWY_NAMESPACE;

// Match over a vector of fields: each lane's first 8 bytes and length are read field by field
// into aligned buffers and loaded as vectors, the bytes past the length masked, and every name
// compared in every lane; codes and statuses are narrowed to bytes and stored. 2 fields a
// vector on SSE4, 4 on AVX2, 8 on AVX-512. The lanes are not gathered: on the Zen 5 guest a
// gather of the spans from the delimiter index and one of the words from the text cost the full
// parse 8-10% against these loads (BM_ParseChunkAllFieldsOnTarget/AVX3_DL; the action column
// from an array 1.38 -> 1.65 G fields/s on AVX3_DL, 730 -> 960 M on AVX2;
// docs/performance-history.md, "Forty-seventh session").
template <const auto& kNames>
void MatchColumnOnTarget(const uint8_t* base, SpanView spans, size_t n, uint8_t* code,
                         FieldStatus* status) {
  static_assert(sizeof(FieldStatus) == 1);
  const hn::ScalableTag<uint64_t> d;
  const hn::Rebind<uint8_t, decltype(d)> d8;
  constexpr size_t kLanes = hn::MaxLanes(d);
  const auto ones = hn::Set(d, ~uint64_t{0});
  const auto eight = hn::Set(d, 8);
  const auto low32 = hn::Set(d, 0xFFFFFFFFu);
  const uint32_t* at = spans.at;
  const size_t stride = spans.stride;
  const uint32_t begin_add = spans.begin_add;
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes, at += kLanes * stride) {
    // Each lane's span (begin and end are adjacent: 8 bytes) and first 8 bytes of text.
    HWY_ALIGN uint64_t span_words[kLanes];
    HWY_ALIGN uint64_t text_words[kLanes];
    for (size_t k = 0; k < kLanes; ++k) memcpy(&span_words[k], at + k * stride, 8);
    for (size_t k = 0; k < kLanes; ++k) {
      memcpy(&text_words[k], base + static_cast<uint32_t>(at[k * stride] + begin_add), 8);
    }
    const auto span = hn::Load(d, span_words);
    const auto begin = hn::And(hn::Add(span, hn::Set(d, begin_add)), low32);
    // In 64 bits: a span with end < begin (never made by the splitter) gives a huge length,
    // as the scalar path's 32-bit difference does, and matches nothing either way.
    const auto len = hn::Sub(hn::ShiftRight<32>(span), begin);
    auto v = hn::Load(d, text_words);
    // The bytes past len zeroed (shift counts kept below 64: a length of 8 or more keeps all).
    const auto keep = hn::Not(hn::Shl(ones, hn::ShiftLeft<3>(hn::Min(len, hn::Set(d, 7)))));
    v = hn::And(v, hn::IfThenElse(hn::Lt(len, eight), keep, ones));
    auto c = hn::Zero(d);
    for (size_t k = 1; k < Packed<kNames>::kCount; ++k) {
      const auto hit = hn::And(hn::Eq(v, hn::Set(d, Packed<kNames>::kValues[k])),
                               hn::Eq(len, hn::Set(d, kNames[k].size())));
      c = hn::IfThenElse(hit, hn::Set(d, k), c);
    }
    const auto dash = hn::And(hn::Eq(v, hn::Set(d, uint64_t{'-'})), hn::Eq(len, hn::Set(d, 1)));
    const auto st = hn::IfThenElse(
        hn::Ne(c, hn::Zero(d)), hn::Set(d, static_cast<uint64_t>(FieldStatus::kOk)),
        hn::IfThenElse(dash, hn::Set(d, static_cast<uint64_t>(FieldStatus::kMissing)),
                       hn::Set(d, static_cast<uint64_t>(FieldStatus::kBadSyntax))));
    hn::StoreU(hn::TruncateTo(d8, c), d8, code + i);
    hn::StoreU(hn::TruncateTo(d8, st), d8, reinterpret_cast<uint8_t*>(status + i));
  }
  MatchColumn<kNames>(base, spans.From(i), n - i, code + i, status + i);
}

#endif  // HWY_TARGET > HWY_AVX2

void ParseEnumColumn(EnumKind kind, const uint8_t* base, SpanView spans, size_t n, uint8_t* code,
                     FieldStatus* status) {
  // One loop per kind, so the spelling table is a compile-time constant inside the loop.
  switch (kind) {
    case EnumKind::kAction:
      return MatchColumnOnTarget<kActionNames>(base, spans, n, code, status);
    case EnumKind::kLogStatus:
      return MatchColumnOnTarget<kLogStatusNames>(base, spans, n, code, status);
    case EnumKind::kAddrType:
      return MatchColumnOnTarget<kAddrTypeNames>(base, spans, n, code, status);
    case EnumKind::kFlowDirection:
      return MatchColumnOnTarget<kFlowDirectionNames>(base, spans, n, code, status);
  }
  for (size_t i = 0; i < n; ++i) code[i] = 0, status[i] = FieldStatus::kBadSyntax;
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace flowsift::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace flowsift::kernels {
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

HWY_EXPORT(ParseEnumColumn);

void ParseEnumColumn(EnumKind kind, const uint8_t* base, SpanView spans, size_t n, uint8_t* code,
                     FieldStatus* status) {
  HWY_DYNAMIC_DISPATCH(ParseEnumColumn)(kind, base, spans, n, code, status);
}

}  // namespace flowsift::kernels
#endif  // HWY_ONCE
