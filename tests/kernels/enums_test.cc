// ParseEnum (8-byte compare) and ParseEnumColumn (on every Highway target) against
// ParseEnumScalar.
#include "kernels/enums.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/kernels/target_util.h"

namespace flowsift::kernels {
namespace {

using flowsift::testing::PaddedBuffer;

constexpr EnumKind kKinds[] = {EnumKind::kAction, EnumKind::kLogStatus, EnumKind::kAddrType,
                               EnumKind::kFlowDirection};

FieldStatus Fast(EnumKind kind, const std::string& s, uint8_t* code) {
  const PaddedBuffer buf(s, s.size() % 64);
  return ParseEnum(kind, buf.data(), buf.size(), code);
}

TEST(ParseEnum, EverySpellingAndItsNeighbours) {
  for (EnumKind kind : kKinds) {
    size_t count = 0;
    const std::string_view* names = EnumNames(kind, &count);
    ASSERT_GE(count, 3u);
    for (size_t i = 1; i < count; ++i) {
      const std::string name(names[i]);
      uint8_t code = 99;
      EXPECT_EQ(Fast(kind, name, &code), FieldStatus::kOk) << name;
      EXPECT_EQ(code, i) << name;
      // A prefix, an extension, and a case change are all bad.
      for (const std::string& bad :
           {name.substr(0, name.size() - 1), name + "X", name + " ",
            std::string(1, static_cast<char>(name[0] ^ 0x20)) + name.substr(1)}) {
        EXPECT_EQ(Fast(kind, bad, &code), FieldStatus::kBadSyntax) << bad;
        EXPECT_EQ(code, 0);
      }
    }
    uint8_t code = 99;
    EXPECT_EQ(Fast(kind, "-", &code), FieldStatus::kMissing);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(Fast(kind, "", &code), FieldStatus::kBadSyntax);
  }
  uint8_t code;
  EXPECT_EQ(Fast(EnumKind::kAction, "REJECT", &code), FieldStatus::kOk);
  EXPECT_EQ(static_cast<Action>(code), Action::kReject);
  EXPECT_EQ(Fast(EnumKind::kLogStatus, "SKIPDATA", &code), FieldStatus::kOk);
  EXPECT_EQ(static_cast<LogStatus>(code), LogStatus::kSkipData);
}

// Codes are stored in outputs: each spelling gives its own enumerator of enums.h (the other
// tests take the expected code from EnumNames, which would follow a reordered table), from
// ParseEnum, the scalar reference and the column on every target.
TEST(ParseEnum, EachSpellingGivesItsEnumerator) {
  struct Spelling {
    EnumKind kind;
    const char* text;
    uint8_t code;
  };
  const auto code = [](auto e) { return static_cast<uint8_t>(e); };
  const Spelling kSpellings[] = {
      {EnumKind::kAction, "ACCEPT", code(Action::kAccept)},
      {EnumKind::kAction, "REJECT", code(Action::kReject)},
      {EnumKind::kLogStatus, "OK", code(LogStatus::kOk)},
      {EnumKind::kLogStatus, "NODATA", code(LogStatus::kNoData)},
      {EnumKind::kLogStatus, "SKIPDATA", code(LogStatus::kSkipData)},
      {EnumKind::kAddrType, "IPv4", code(AddrType::kIPv4)},
      {EnumKind::kAddrType, "IPv6", code(AddrType::kIPv6)},
      {EnumKind::kAddrType, "EFA", code(AddrType::kEfa)},
      {EnumKind::kFlowDirection, "ingress", code(FlowDirection::kIngress)},
      {EnumKind::kFlowDirection, "egress", code(FlowDirection::kEgress)},
  };
  for (const Spelling& s : kSpellings) {
    const std::string text = s.text;
    uint8_t fast = 99, scalar = 99;
    EXPECT_EQ(Fast(s.kind, text, &fast), FieldStatus::kOk) << text;
    EXPECT_EQ(fast, s.code) << text;
    EXPECT_EQ(ParseEnumScalar(s.kind, reinterpret_cast<const uint8_t*>(text.data()), text.size(),
                              &scalar),
              FieldStatus::kOk)
        << text;
    EXPECT_EQ(scalar, s.code) << text;
    // A column of 17 copies: the SIMD loops' vectors of 2, 4 and 8 fields, then a tail.
    std::string column;
    std::vector<FieldSpan> spans;
    for (int i = 0; i < 17; ++i) {
      const uint32_t begin = static_cast<uint32_t>(column.size());
      column += text + ' ';
      spans.push_back({begin, static_cast<uint32_t>(begin + text.size())});
    }
    const PaddedBuffer buf(column, 0);
    flowsift::testing::ForEachTarget([&](const char*) {
      std::vector<uint8_t> codes(spans.size(), 99);
      std::vector<FieldStatus> status(spans.size(), FieldStatus::kOverflow);
      ParseEnumColumn(s.kind, buf.data(), spans.data(), spans.size(), codes.data(), status.data());
      EXPECT_EQ(codes, std::vector<uint8_t>(spans.size(), s.code)) << text;
      EXPECT_EQ(status, std::vector<FieldStatus>(spans.size(), FieldStatus::kOk)) << text;
    });
  }
}

TEST(ParseEnum, RandomStringsMatchScalar) {
  std::mt19937_64 rng(5);
  static const char kAlphabet[] = "-ACEPTRJOKNDSIvegrsIP46Fin\0\xff";
  for (int i = 0; i < 300000; ++i) {
    const EnumKind kind = kKinds[rng() % 4];
    std::string s;
    const size_t len = rng() % 11;
    for (size_t k = 0; k < len; ++k) s += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    if (rng() % 4 == 0) {
      size_t count;
      s = std::string(EnumNames(kind, &count)[rng() % count]);
    }
    uint8_t a = 0, b = 0;
    const FieldStatus sa = Fast(kind, s, &a);
    const FieldStatus sb =
        ParseEnumScalar(kind, reinterpret_cast<const uint8_t*>(s.data()), s.size(), &b);
    ASSERT_EQ(sa, sb) << s;
    ASSERT_EQ(a, b) << s;
  }
}

// The column form over one buffer of space-separated fields, each of random length (including
// 0, 8 and 9 bytes and NUL bytes), against the scalar reference field by field.
TEST(ParseEnum, ColumnMatchesScalar) {
  std::mt19937_64 rng(9);
  static const char kAlphabet[] = "-ACEPTRJOKNDSIvegrsIP46Fin\0\xff";
  for (const EnumKind kind : kKinds) {
    std::string text;
    std::vector<FieldSpan> spans;
    for (int i = 0; i < 20000; ++i) {
      std::string s;
      if (rng() % 3 == 0) {
        size_t count;
        s = std::string(EnumNames(kind, &count)[rng() % count]);
        if (rng() % 8 == 0) s += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];  // one byte more
      } else {
        const size_t len = rng() % 11;
        for (size_t k = 0; k < len; ++k) s += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
      }
      const uint32_t begin = static_cast<uint32_t>(text.size());
      text += s;
      spans.push_back({begin, static_cast<uint32_t>(text.size())});
      text += ' ';
    }
    const PaddedBuffer buf(text, 0);
    flowsift::testing::ForEachTarget([&](const char*) {
      // Every count from 0 to 9 (the SIMD loops' tails) and the whole column.
      for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{7}, size_t{8},
                       size_t{9}, spans.size()}) {
        std::vector<uint8_t> codes(n + 1, 99);
        std::vector<FieldStatus> status(n + 1, FieldStatus::kOverflow);
        ParseEnumColumn(kind, buf.data(), spans.data(), n, codes.data(), status.data());
        for (size_t i = 0; i < n; ++i) {
          uint8_t expected = 0;
          const FieldStatus st = ParseEnumScalar(kind, buf.data() + spans[i].begin,
                                                 spans[i].end - spans[i].begin, &expected);
          ASSERT_EQ(status[i], st) << i;
          ASSERT_EQ(codes[i], expected) << i;
        }
        ASSERT_EQ(codes[n], 99) << "wrote past the column";
        ASSERT_EQ(status[n], FieldStatus::kOverflow) << "wrote past the column";
      }
    });
  }
}

}  // namespace
}  // namespace flowsift::kernels
