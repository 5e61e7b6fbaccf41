// ParseUint (SWAR) against ParseUintScalar, and both against hand-checked values.
#include "kernels/integers.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/kernels/target_util.h"

namespace flowsift::kernels {
namespace {

using flowsift::testing::ForEachTarget;
using flowsift::testing::PaddedBuffer;

UintResult Swar(const std::string& s, uint64_t max = UINT64_MAX, size_t misalign = 0) {
  const PaddedBuffer buf(s, misalign);
  return ParseUint(buf.data(), buf.size(), max);
}
UintResult Ref(const std::string& s, uint64_t max = UINT64_MAX) {
  return ParseUintScalar(reinterpret_cast<const uint8_t*>(s.data()), s.size(), max);
}

void ExpectSame(const std::string& s, uint64_t max, size_t misalign = 0) {
  const UintResult a = Swar(s, max, misalign), b = Ref(s, max);
  ASSERT_EQ(a.status, b.status) << "'" << s << "' max " << max;
  ASSERT_EQ(a.value, b.value) << "'" << s << "' max " << max;
}

TEST(ParseUint, KnownValues) {
  EXPECT_EQ(Swar("0").value, 0u);
  EXPECT_EQ(Swar("7").value, 7u);
  EXPECT_EQ(Swar("443").value, 443u);
  EXPECT_EQ(Swar("65535", 65535).status, FieldStatus::kOk);
  EXPECT_EQ(Swar("65536", 65535).status, FieldStatus::kOverflow);
  EXPECT_EQ(Swar("12345678").value, 12345678u);
  EXPECT_EQ(Swar("1620140761").value, 1620140761u);
  EXPECT_EQ(Swar("1512564058000").value, 1512564058000u);
  EXPECT_EQ(Swar("007").value, 7u);
  EXPECT_EQ(Swar("18446744073709551615").value, UINT64_MAX);
  EXPECT_EQ(Swar("18446744073709551616").status, FieldStatus::kOverflow);
  EXPECT_EQ(Swar("99999999999999999999").status, FieldStatus::kOverflow);
  EXPECT_EQ(Swar("-").status, FieldStatus::kMissing);
  EXPECT_EQ(Swar("").status, FieldStatus::kBadSyntax);
  EXPECT_EQ(Swar("--").status, FieldStatus::kBadSyntax);
  EXPECT_EQ(Swar("-1").status, FieldStatus::kBadSyntax);
  EXPECT_EQ(Swar("+1").status, FieldStatus::kBadSyntax);
  EXPECT_EQ(Swar("12a").status, FieldStatus::kBadSyntax);
  EXPECT_EQ(Swar("1234567890x").status, FieldStatus::kBadSyntax);
  EXPECT_EQ(Swar("x234567890").status, FieldStatus::kBadSyntax);
  EXPECT_EQ(Swar("1 2").status, FieldStatus::kBadSyntax);
}

TEST(ParseUint, EveryPortAndEveryEdge) {
  for (uint64_t v = 0; v <= 70000; ++v) ExpectSame(std::to_string(v), 65535, v % 64);
  for (uint64_t v = 0; v <= 300; ++v) ExpectSame(std::to_string(v), 255);
  // Powers of ten and their neighbours, at every length 1..20.
  uint64_t p = 1;
  for (int i = 0; i < 20; ++i, p *= 10) {
    for (uint64_t v : {p - 1, p, p + 1}) {
      ExpectSame(std::to_string(v), UINT64_MAX);
      ExpectSame(std::to_string(v), p);
    }
  }
  ExpectSame("18446744073709551615", UINT64_MAX - 1);
  ExpectSame("00000000000000000000000000001", 1);
}

// Past 20 digits the value wraps around 2^64 and the digits after an overflow can make the
// wrapped value small again: the overflow must stand whatever follows it.
TEST(ParseUint, AnOverflowStandsWhateverDigitsFollowIt) {
  for (const char* s : {"184467440737095516160",   // 2^64 (wraps to 0), then a 0
                        "1844674407370955161600",  // and another
                        "100000000000000000000",   // 10^20: the last digit overflows
                        "36893488147419103232",    // 2^65, 20 digits
                        "0000018446744073709551616"}) {
    EXPECT_EQ(Swar(s).status, FieldStatus::kOverflow) << s;
    EXPECT_EQ(Ref(s).status, FieldStatus::kOverflow) << s;
  }
  EXPECT_EQ(Swar("0000018446744073709551615").value, UINT64_MAX);
  EXPECT_EQ(Swar("0000018446744073709551615").status, FieldStatus::kOk);
}

TEST(ParseUint, EveryNonDigitByteAtEveryPosition) {
  for (size_t len = 1; len <= 20; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int b = 0; b < 256; ++b) {
        if (b >= '0' && b <= '9') continue;
        std::string s(len, '5');
        s[pos] = static_cast<char>(b);
        ExpectSame(s, UINT64_MAX);
        ASSERT_NE(Swar(s).status, FieldStatus::kOk) << len << " " << pos << " " << b;
      }
    }
  }
}

TEST(ParseUint, RandomDigitStringsMatchScalar) {
  std::mt19937_64 rng(2024);
  for (int i = 0; i < 200000; ++i) {
    const size_t len = rng() % 22;
    std::string s;
    for (size_t k = 0; k < len; ++k) s += static_cast<char>('0' + rng() % 10);
    if (rng() % 8 == 0 && len > 0) s[rng() % len] = static_cast<char>(rng() % 256);
    ExpectSame(s, rng() % 2 ? UINT64_MAX : rng(), i % 64);
  }
}

TEST(ParseUintColumn, ConvertsEveryField) {
  const std::string text = "80 - 65536 x 443";
  const PaddedBuffer buf(text, 0);
  const FieldSpan spans[] = {{0, 2}, {3, 4}, {5, 10}, {11, 12}, {13, 16}};
  uint64_t out[5];
  FieldStatus st[5];
  ParseUintColumn(buf.data(), spans, 5, 65535, out, st);
  EXPECT_EQ(out[0], 80u);
  EXPECT_EQ(st[1], FieldStatus::kMissing);
  EXPECT_EQ(st[2], FieldStatus::kOverflow);
  EXPECT_EQ(st[3], FieldStatus::kBadSyntax);
  EXPECT_EQ(out[4], 443u);
  EXPECT_EQ(st[4], FieldStatus::kOk);
}

// ParseUintColumn picks its SIMD path by max: from 16 nines up no field of 1..16 digits can
// exceed it, so there is no range check; below that a range check; below 10^8 eight fields of
// 1..8 bytes a vector. Maxima on both sides of each edge, with fields on both sides of each
// maximum, starting at every offset 0..7 so that every field meets every lane, on every target.
TEST(ParseUintColumn, MaximaAtThePathEdgesMatchScalar) {
  const uint64_t kMaxima[] = {99999998ull,         99999999ull,         100000000ull,
                              999999999999999ull,  9999999999999998ull, 9999999999999999ull,
                              10000000000000000ull};
  std::string text;
  std::vector<FieldSpan> spans;
  for (const uint64_t m : kMaxima) {
    for (const uint64_t v : {m - 1, m, m + 1}) {
      const uint32_t begin = static_cast<uint32_t>(text.size());
      text += std::to_string(v);
      spans.push_back({begin, static_cast<uint32_t>(text.size())});
      text += ' ';
    }
  }
  const size_t n = spans.size();
  const PaddedBuffer buf(text, 0);
  for (const uint64_t max : kMaxima) {
    ForEachTarget([&](const char*) {
      for (size_t skip = 0; skip < 8; ++skip) {
        std::vector<uint64_t> got(n, 12345);
        std::vector<FieldStatus> got_status(n, FieldStatus::kMissing);
        ParseUintColumn(buf.data(), spans.data() + skip, n - skip, max, got.data() + skip,
                        got_status.data() + skip);
        for (size_t i = skip; i < n; ++i) {
          const std::string field = text.substr(spans[i].begin, spans[i].end - spans[i].begin);
          const UintResult want = Ref(field, max);
          ASSERT_EQ(got_status[i], want.status) << "field " << field << " max " << max;
          ASSERT_EQ(got[i], want.value) << "field " << field << " max " << max;
        }
      }
    });
  }
  EXPECT_EQ(Ref("9999999999999999", 9999999999999998ull).status, FieldStatus::kOverflow);
}

// A SpanView adds begin_add to each span's first word (types.h). Fields of 1..8 digits packed
// with no byte between them, read through {at, 2, 1} whose words are begin - 1 and end: a
// kernel that drops the 1 reads a digit of the neighbour as part of the field.
TEST(ParseUintColumn, ReadsSpanViewsWithBeginAdd) {
  std::mt19937_64 rng(31);
  std::string text = "7";  // the byte before the first field
  std::vector<uint32_t> words;
  for (int i = 0; i < 200; ++i) {
    words.push_back(static_cast<uint32_t>(text.size() - 1));
    const size_t len = 1 + rng() % 8;
    for (size_t k = 0; k < len; ++k) text += static_cast<char>('0' + rng() % 10);
    words.push_back(static_cast<uint32_t>(text.size()));
  }
  const size_t n = words.size() / 2;
  const PaddedBuffer buf(text, 0);
  const SpanView view{words.data(), 2, 1};
  ForEachTarget([&](const char*) {
    for (const uint64_t max : {uint64_t{65535}, uint64_t{99999999}, UINT64_MAX}) {
      std::vector<uint64_t> got(n, 12345);
      std::vector<FieldStatus> got_status(n, FieldStatus::kMissing);
      ParseUintColumn(buf.data(), view, n, max, got.data(), got_status.data());
      for (size_t i = 0; i < n; ++i) {
        const std::string field =
            text.substr(words[2 * i] + 1, words[2 * i + 1] - words[2 * i] - 1);
        const UintResult want = Ref(field, max);
        ASSERT_EQ(got_status[i], want.status) << "field " << field << " max " << max;
        ASSERT_EQ(got[i], want.value) << "field " << field << " max " << max;
      }
    }
  });
}

// The column kernel is SIMD per target (pmaddubsw on x86): compare it with the scalar reference
// on every target, for random fields of every length 0..20 (digits, some bad bytes, "-") at
// every misalignment, separated by random bytes that must not leak into a field; odd and even
// counts and both pairings of neighbours; maxima of 3, 5 and 20 digits.
TEST(ParseUintColumn, EveryTargetMatchesScalar) {
  std::mt19937_64 rng(77);
  std::string text;
  std::vector<FieldSpan> spans;
  for (int i = 0; i < 20000; ++i) {
    text += static_cast<char>(rng() % 3 == 0 ? ' ' : '0' + rng() % 10);  // a separator byte
    // Runs of 64 fields of one length, then lengths 1..8 mixed (AVX-512 takes eight such
    // fields a vector when max has at most 8 digits), then 0..20 mixed.
    const size_t len = i < 21 * 64          ? (i / 64) % 21
                       : i < 21 * 64 + 4000 ? 1 + rng() % 8
                                            : rng() % 21;
    const uint32_t begin = static_cast<uint32_t>(text.size());
    if (rng() % 50 == 0) {
      text += '-';
    } else {
      for (size_t k = 0; k < len; ++k) text += static_cast<char>('0' + rng() % 10);
      if (len > 0 && rng() % 10 == 0) text[begin + rng() % len] = static_cast<char>(rng());
    }
    spans.push_back({begin, static_cast<uint32_t>(text.size())});
  }
  const size_t n = spans.size();
  for (uint64_t max : {uint64_t{65535}, uint64_t{255}, UINT64_MAX - 1, UINT64_MAX}) {
    std::vector<uint64_t> want(n);
    std::vector<FieldStatus> want_status(n);
    for (size_t i = 0; i < n; ++i) {
      const UintResult r =
          ParseUintScalar(reinterpret_cast<const uint8_t*>(text.data()) + spans[i].begin,
                          spans[i].end - spans[i].begin, max);
      want[i] = r.value;
      want_status[i] = r.status;
    }
    ForEachTarget([&](const char*) {
      for (size_t misalign : {0, 1, 2, 7, 15, 33, 63}) {
        const PaddedBuffer buf(text, misalign);
        // AVX-512 converts fields in fours, then AVX2 in pairs: starting 0..3 fields later
        // groups every field with other neighbours, and counts of every remainder mod 4 leave
        // 0..3 fields for the pair and tail loops.
        const size_t skip = misalign % 4;
        const size_t count = n - skip - misalign % 5;
        std::vector<uint64_t> got(n, 12345);
        std::vector<FieldStatus> got_status(n, FieldStatus::kMissing);
        ParseUintColumn(buf.data(), spans.data() + skip, count, max, got.data() + skip,
                        got_status.data() + skip);
        for (size_t i = skip; i < skip + count; ++i) {
          ASSERT_EQ(got_status[i], want_status[i])
              << "field '" << text.substr(spans[i].begin, spans[i].end - spans[i].begin) << "' max "
              << max << " misalign " << misalign;
          ASSERT_EQ(got[i], want[i]) << text.substr(spans[i].begin, spans[i].end - spans[i].begin);
        }
      }
    });
  }
}

}  // namespace
}  // namespace flowsift::kernels
