// ParseAddrScalar is checked against glibc's inet_pton and hand-computed values; ParseAddrColumn is
// compared with ParseAddrScalar on every Highway target; FormatAddr with RFC 5952 and inet_ntop.
#include "kernels/addr.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "kernels/types.h"
#include "tests/kernels/target_util.h"

namespace flowsift::kernels {
namespace {

using flowsift::testing::ForEachTarget;
using flowsift::testing::PaddedBuffer;

constexpr uint64_t kSeed = 0x5EED'ADD2'0F10'4E11ull;

FieldStatus ParseText(const std::string& s, Addr128* out) {
  return ParseAddrScalar(reinterpret_cast<const uint8_t*>(s.data()), s.size(), out);
}

std::string Describe(const Addr128& a) {
  char buf[40];
  snprintf(buf, sizeof(buf), "%016llx:%016llx", static_cast<unsigned long long>(a.hi),
           static_cast<unsigned long long>(a.lo));
  return buf;
}

// glibc's verdict on s, or nullopt when s holds a NUL (inet_pton would stop there).
std::optional<std::pair<FieldStatus, Addr128>> ParseWithInetPton(const std::string& s) {
  if (s.find('\0') != std::string::npos) return std::nullopt;
  if (s == "-") return std::make_pair(FieldStatus::kMissing, Addr128{0, 0});
  uint8_t bytes[16];
  if (inet_pton(AF_INET, s.c_str(), bytes) == 1) {
    uint32_t v4 = 0;
    for (int k = 0; k < 4; ++k) v4 = v4 << 8 | bytes[k];
    return std::make_pair(FieldStatus::kOk, AddrFromIPv4(v4));
  }
  if (inet_pton(AF_INET6, s.c_str(), bytes) == 1) {
    Addr128 a{0, 0};
    for (int k = 0; k < 8; ++k) a.hi = a.hi << 8 | bytes[k];
    for (int k = 8; k < 16; ++k) a.lo = a.lo << 8 | bytes[k];
    return std::make_pair(FieldStatus::kOk, a);
  }
  return std::make_pair(FieldStatus::kBadSyntax, Addr128{0, 0});
}

// Expects ParseAddrScalar to agree with inet_pton on every string; returns how many were compared.
size_t ExpectScalarMatchesInetPton(const std::vector<std::string>& fields) {
  size_t compared = 0;
  size_t mismatches = 0;
  for (const std::string& s : fields) {
    const auto expected = ParseWithInetPton(s);
    if (!expected) continue;
    ++compared;
    Addr128 got{1, 1};
    const FieldStatus status = ParseText(s, &got);
    if (status != expected->first || got != expected->second) {
      if (++mismatches <= 10) {
        ADD_FAILURE() << "\"" << s << "\": scalar " << static_cast<int>(status) << " "
                      << Describe(got) << ", inet_pton " << static_cast<int>(expected->first) << " "
                      << Describe(expected->second);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  return compared;
}

// Joins fields into one buffer separated by random bytes that could continue a field ('.', a
// digit, ':') or by nothing, so a kernel that reads past a field's end gives a wrong answer.
struct Column {
  std::string text;
  std::vector<FieldSpan> spans;
};

Column BuildColumn(const std::vector<std::string>& fields, std::mt19937_64& rng) {
  static constexpr char kSeparators[] = " .1:9\n";
  Column c;
  for (const std::string& f : fields) {
    const uint32_t begin = static_cast<uint32_t>(c.text.size());
    c.text += f;
    c.spans.push_back({begin, static_cast<uint32_t>(c.text.size())});
    const size_t pick = rng() % (sizeof(kSeparators));  // the last pick means "no separator"
    if (pick < sizeof(kSeparators) - 1) c.text += kSeparators[pick];
  }
  return c;
}

// Runs ParseAddrColumn on the current target at the given misalignment and expects it to equal
// ParseAddrScalar field by field. Reports the first few mismatches.
void ExpectColumnMatchesScalar(const std::vector<std::string>& fields, const Column& column,
                               size_t misalign) {
  const PaddedBuffer buf(column.text, misalign);
  const size_t n = fields.size();
  std::vector<Addr128> out(n, Addr128{0xDEAD, 0xBEEF});
  std::vector<FieldStatus> status(n, static_cast<FieldStatus>(0xFF));
  ParseAddrColumn(buf.data(), column.spans.data(), n, out.data(), status.data());
  size_t mismatches = 0;
  for (size_t i = 0; i < n; ++i) {
    Addr128 want{1, 1};
    const FieldStatus want_status = ParseText(fields[i], &want);
    if (status[i] != want_status || out[i] != want) {
      if (++mismatches <= 10) {
        ADD_FAILURE() << "misalign " << misalign << " \"" << fields[i] << "\": column "
                      << static_cast<int>(status[i]) << " " << Describe(out[i]) << ", scalar "
                      << static_cast<int>(want_status) << " " << Describe(want);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << n << " fields";
}

void ExpectColumnMatchesScalarOnEveryTarget(const std::vector<std::string>& fields, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const Column column = BuildColumn(fields, rng);
  ForEachTarget([&](const char*) { ExpectColumnMatchesScalar(fields, column, 0); });
}

// ---------------------------------------------------------------- generators

std::string RandomOctet(std::mt19937_64& rng) { return std::to_string(rng() % 256); }

// A valid dotted quad with octet lengths spread over 1..3.
std::string RandomIPv4(std::mt19937_64& rng) {
  std::string s;
  for (int k = 0; k < 4; ++k) {
    if (k > 0) s += '.';
    switch (rng() % 3) {
      case 0:
        s += std::to_string(rng() % 10);
        break;
      case 1:
        s += std::to_string(10 + rng() % 90);
        break;
      default:
        s += std::to_string(100 + rng() % 156);
    }
  }
  return s;
}

// A valid IPv6 spelling: groups are often zero; each group takes 1..4 digits with random
// leading zeros and case; a random zero run (even of one group) may become "::"; the last 32
// bits may be written as a dotted quad.
std::string RandomIPv6(std::mt19937_64& rng) {
  uint16_t groups[8];
  for (uint16_t& g : groups) {
    const uint64_t r = rng();
    g = (r % 5 < 2) ? 0 : static_cast<uint16_t>(r >> 8 >> (4 * (r % 4)));
  }
  const bool v4_tail = rng() % 5 == 0;
  const int hex_groups = v4_tail ? 6 : 8;
  int gap_begin = -1;
  int gap_end = -1;
  if (rng() % 4 != 0) {
    const int start = static_cast<int>(rng() % hex_groups);
    if (groups[start] == 0) {
      gap_begin = start;
      gap_end = start;
      while (gap_end < hex_groups && groups[gap_end] == 0 && rng() % 8 != 0) ++gap_end;
      if (gap_end == gap_begin) gap_end = gap_begin + 1;
    }
  }
  static constexpr char kLower[] = "0123456789abcdef";
  static constexpr char kUpper[] = "0123456789ABCDEF";
  const int case_mode = static_cast<int>(rng() % 3);  // lower, upper, mixed
  std::string s;
  for (int k = 0; k < hex_groups; ++k) {
    if (k == gap_begin) {
      s += k == 0 ? "::" : ":";
      k = gap_end - 1;
      continue;
    }
    int digits = 1;
    while (digits < 4 && (groups[k] >> (4 * digits)) != 0) ++digits;
    const int width = digits + static_cast<int>(rng() % (5 - digits));
    for (int d = width - 1; d >= 0; --d) {
      const int nibble = (groups[k] >> (4 * d)) & 0xF;
      const bool upper = case_mode == 1 || (case_mode == 2 && rng() % 2);
      s += (upper ? kUpper : kLower)[nibble];
    }
    if (k < hex_groups - 1 || v4_tail) s += ':';
  }
  if (v4_tail) {
    s +=
        RandomOctet(rng) + "." + RandomOctet(rng) + "." + RandomOctet(rng) + "." + RandomOctet(rng);
  }
  return s;
}

// One random edit of s: replace, insert, delete, duplicate a slice, truncate or swap.
std::string Mutate(std::string s, std::mt19937_64& rng) {
  static constexpr char kAlphabet[] = "0123456789abcdefABCDEF..::-xg /%\xff\x7f";
  const char c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  const size_t pos = s.empty() ? 0 : rng() % s.size();
  switch (rng() % 6) {
    case 0:
      if (!s.empty()) s[pos] = c;
      break;
    case 1:
      s.insert(s.begin() + static_cast<std::ptrdiff_t>(rng() % (s.size() + 1)), c);
      break;
    case 2:
      if (!s.empty()) s.erase(pos, 1);
      break;
    case 3:
      if (!s.empty()) s.insert(pos, s.substr(pos, 1 + rng() % 4));
      break;
    case 4:
      s.resize(rng() % (s.size() + 1));
      break;
    default:
      if (s.size() >= 2) std::swap(s[pos], s[(pos + 1) % s.size()]);
  }
  return s;
}

// Valid IPv4 and IPv6 spellings, each followed by one to three mutations of itself.
std::vector<std::string> RandomFields(size_t count, std::mt19937_64& rng) {
  std::vector<std::string> fields;
  while (fields.size() < count) {
    std::string s = rng() % 3 == 0 ? RandomIPv6(rng) : RandomIPv4(rng);
    fields.push_back(s);
    const int mutations = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < mutations; ++m) {
      s = Mutate(s, rng);
      fields.push_back(s);
    }
  }
  return fields;
}

// Every spelling of 1..3 digits ("0".."999", "00".."099", "000".."009"...) plus some of 4.
std::vector<std::string> EveryOctetSpelling() {
  std::vector<std::string> spellings;
  for (int digits = 1; digits <= 3; ++digits) {
    int count = 1;
    for (int d = 0; d < digits; ++d) count *= 10;
    for (int v = 0; v < count; ++v) {
      std::string s = std::to_string(v);
      spellings.push_back(std::string(digits - s.size(), '0') + s);
    }
  }
  for (const char* s : {"0000", "0001", "0255", "1000", "2555", "9999"}) spellings.push_back(s);
  return spellings;
}

// ---------------------------------------------------------------- hand-written cases

struct Case {
  const char* text;
  FieldStatus status;
  uint64_t hi;
  uint64_t lo;
};

constexpr FieldStatus kOk = FieldStatus::kOk;
constexpr FieldStatus kBad = FieldStatus::kBadSyntax;
constexpr uint64_t kV4 = kIPv4MappedLoPrefix;

const Case kCases[] = {
    {"0.0.0.0", kOk, 0, kV4},
    {"255.255.255.255", kOk, 0, kV4 | 0xFFFFFFFF},
    {"192.168.1.10", kOk, 0, kV4 | 0xC0A8010A},
    {"10.0.100.9", kOk, 0, kV4 | 0x0A006409},
    {"-", FieldStatus::kMissing, 0, 0},
    {"::", kOk, 0, 0},
    {"::1", kOk, 0, 1},
    {"1::", kOk, 0x0001000000000000, 0},
    {"a:b::c", kOk, 0x000A000B00000000, 0x000000000000000C},
    {"2001:DB8::FF00:42:8329", kOk, 0x20010DB800000000, 0x0000FF0000428329},
    {"2001:0db8:0000:0000:0000:ff00:0042:8329", kOk, 0x20010DB800000000, 0x0000FF0000428329},
    {"2001:db8:0:0:1:0:0:1", kOk, 0x20010DB800000000, 0x0001000000000001},
    {"::ffff:1.2.3.4", kOk, 0, kV4 | 0x01020304},
    {"::FFFF:10.0.0.1", kOk, 0, kV4 | 0x0A000001},
    {"::1.2.3.4", kOk, 0, 0x01020304},
    {"64:ff9b::192.0.2.33", kOk, 0x0064FF9B00000000, 0x00000000C0000221},
    {"1:2:3:4:5:6:1.2.3.4", kOk, 0x0001000200030004, 0x0005000601020304},
    {"1:2:3:4:5:6:7::", kOk, 0x0001000200030004, 0x0005000600070000},
    {"::2:3:4:5:6:7:8", kOk, 0x0000000200030004, 0x0005000600070008},
    {"1:2:3:4:5:6:7:8", kOk, 0x0001000200030004, 0x0005000600070008},
    {"1:2:3:4:5::6:7", kOk, 0x0001000200030004, 0x0005000000060007},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kOk, ~0ull, ~0ull},
    {"", kBad, 0, 0},
    {"--", kBad, 0, 0},
    {"- ", kBad, 0, 0},
    {"1.2.3", kBad, 0, 0},
    {"1.2.3.4.5", kBad, 0, 0},
    {"1.2.3.4.", kBad, 0, 0},
    {".1.2.3.4", kBad, 0, 0},
    {"1..2.3", kBad, 0, 0},
    {" 1.2.3.4", kBad, 0, 0},
    {"1.2.3.4 ", kBad, 0, 0},
    {"01.2.3.4", kBad, 0, 0},
    {"1.2.3.00", kBad, 0, 0},
    {"256.1.1.1", kBad, 0, 0},
    {"1.2.3.1000", kBad, 0, 0},
    {"+1.2.3.4", kBad, 0, 0},
    {"1.2.3.-4", kBad, 0, 0},
    {"1.2.3.4/32", kBad, 0, 0},
    {"123.123.123.1234", kBad, 0, 0},
    {":", kBad, 0, 0},
    {":::", kBad, 0, 0},
    {":1", kBad, 0, 0},
    {"1:", kBad, 0, 0},
    {":1::", kBad, 0, 0},
    {"1:::2", kBad, 0, 0},
    {"1::2::3", kBad, 0, 0},
    {"1:2:3:4:5:6:7", kBad, 0, 0},
    {"1:2:3:4:5:6:7:8:9", kBad, 0, 0},
    {"1:2:3:4:5:6:7:8::", kBad, 0, 0},
    {"::1:2:3:4:5:6:7:8", kBad, 0, 0},
    {"1:2:3:4:5:6:7::8", kBad, 0, 0},
    {"12345::", kBad, 0, 0},
    {"::00000", kBad, 0, 0},
    {"g::1", kBad, 0, 0},
    {"::1 ", kBad, 0, 0},
    {"fe80::1%eth0", kBad, 0, 0},
    {"2001:db8::/32", kBad, 0, 0},
    {"1:2:3:4:5:6:7:1.2.3.4", kBad, 0, 0},
    {"1:2:3:4:5:6::1.2.3.4", kBad, 0, 0},
    {"::1.2.3.4:1", kBad, 0, 0},
    {"1.2.3.4::", kBad, 0, 0},
    {"::ffff:01.2.3.4", kBad, 0, 0},
    {"::ffff:1.2.3", kBad, 0, 0},
    {"::ffff:a.2.3.4", kBad, 0, 0},
    {"::ffff:256.2.3.4", kBad, 0, 0},
};

TEST(AddrScalarTest, HandWrittenCases) {
  for (const Case& c : kCases) {
    Addr128 got{1, 1};
    EXPECT_EQ(ParseText(c.text, &got), c.status) << "\"" << c.text << "\"";
    EXPECT_EQ(got, (Addr128{c.hi, c.lo})) << "\"" << c.text << "\": " << Describe(got);
  }
}

TEST(AddrColumnTest, HandWrittenCasesOnEveryTarget) {
  std::vector<std::string> fields;
  for (const Case& c : kCases) fields.push_back(c.text);
  ExpectColumnMatchesScalarOnEveryTarget(fields, kSeed);
}

TEST(AddrScalarTest, MatchesInetPtonOnHandWrittenCases) {
  std::vector<std::string> fields;
  for (const Case& c : kCases) fields.push_back(c.text);
  EXPECT_EQ(ExpectScalarMatchesInetPton(fields), fields.size());
}

// ---------------------------------------------------------------- IPv4 octets, exhaustively

// Expected verdict for a quad of octet spellings: valid iff every spelling is canonical decimal.
std::pair<FieldStatus, Addr128> ExpectedQuad(const std::vector<std::string>& octets) {
  uint32_t v4 = 0;
  for (const std::string& o : octets) {
    const int value = std::stoi(o);
    if (o.size() > 3 || value > 255 || std::to_string(value) != o) {
      return {FieldStatus::kBadSyntax, Addr128{0, 0}};
    }
    v4 = v4 << 8 | static_cast<uint32_t>(value);
  }
  return {FieldStatus::kOk, AddrFromIPv4(v4)};
}

TEST(AddrColumnTest, EveryOctetSpellingInEveryPosition) {
  std::mt19937_64 rng(kSeed + 1);
  const std::vector<std::string> spellings = EveryOctetSpelling();
  std::vector<std::string> fields;
  size_t wrong = 0;
  size_t valid = 0;
  for (int position = 0; position < 4; ++position) {
    for (const std::string& spelling : spellings) {
      std::vector<std::string> octets(4);
      for (int k = 0; k < 4; ++k) {
        octets[k] = k == position ? spelling : std::to_string(rng() % 256);
      }
      const std::string s = octets[0] + "." + octets[1] + "." + octets[2] + "." + octets[3];
      const auto want = ExpectedQuad(octets);
      Addr128 got{1, 1};
      const FieldStatus status = ParseText(s, &got);
      valid += want.first == FieldStatus::kOk;
      if ((status != want.first || got != want.second) && ++wrong <= 10) {
        ADD_FAILURE() << "\"" << s << "\" scalar " << static_cast<int>(status);
      }
      fields.push_back(s);
    }
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(valid, 4u * 256);  // each position sees exactly the 256 canonical spellings
  EXPECT_EQ(ExpectScalarMatchesInetPton(fields), fields.size());
  ExpectColumnMatchesScalarOnEveryTarget(fields, kSeed + 2);
}

// All 81 combinations of octet lengths, each with edge values and leading-zero spellings.
TEST(AddrColumnTest, EveryOctetLengthPattern) {
  std::mt19937_64 rng(kSeed + 3);
  const char* const kByLength[4][8] = {
      {},
      {"0", "1", "5", "9", "0", "7", "3", "8"},
      {"10", "99", "00", "01", "09", "42", "55", "20"},
      {"100", "255", "256", "999", "000", "010", "099", "199"},
  };
  std::vector<std::string> fields;
  for (int pattern = 0; pattern < 81; ++pattern) {
    const int lengths[4] = {pattern / 27 + 1, pattern / 9 % 3 + 1, pattern / 3 % 3 + 1,
                            pattern % 3 + 1};
    for (int trial = 0; trial < 40; ++trial) {
      std::string s;
      for (int k = 0; k < 4; ++k) {
        if (k > 0) s += '.';
        s += kByLength[lengths[k]][rng() % 8];
      }
      fields.push_back(s);
    }
  }
  EXPECT_EQ(ExpectScalarMatchesInetPton(fields), fields.size());
  ExpectColumnMatchesScalarOnEveryTarget(fields, kSeed + 4);
}

// ---------------------------------------------------------------- random and mutated

TEST(AddrScalarTest, MatchesInetPtonOnRandomAndMutatedFields) {
  std::mt19937_64 rng(kSeed + 5);
  const std::vector<std::string> fields = RandomFields(200000, rng);
  size_t valid = 0;
  for (const std::string& s : fields) {
    Addr128 a;
    valid += ParseText(s, &a) == FieldStatus::kOk;
  }
  // Both verdicts must be common, or the comparison below proves little.
  EXPECT_GT(valid, fields.size() / 5);
  EXPECT_LT(valid, fields.size() * 4 / 5);
  EXPECT_GT(ExpectScalarMatchesInetPton(fields), fields.size() * 9 / 10);
}

TEST(AddrColumnTest, RandomAndMutatedFieldsOnEveryTarget) {
  std::mt19937_64 rng(kSeed + 6);
  ExpectColumnMatchesScalarOnEveryTarget(RandomFields(50000, rng), kSeed + 7);
}

// Fields of every length 0..40 drawn from the characters addresses are made of.
TEST(AddrColumnTest, EveryLengthOfAddressCharacters) {
  std::mt19937_64 rng(kSeed + 8);
  static constexpr char kChars[] = "0123456789..........::::abcdefABCDEF-";
  std::vector<std::string> fields;
  for (int len = 0; len <= 40; ++len) {
    for (int trial = 0; trial < 300; ++trial) {
      std::string s;
      for (int i = 0; i < len; ++i) s += kChars[rng() % (sizeof(kChars) - 1)];
      fields.push_back(s);
    }
  }
  ExpectScalarMatchesInetPton(fields);
  ExpectColumnMatchesScalarOnEveryTarget(fields, kSeed + 9);
}

// Eight groups and no "::" (a SIMD path of its own on AVX3_DL): random addresses with groups of
// 1..4 digits (leading zeros kept, every width mix) in lower, upper and mixed case, the 39-byte
// form among them, and every position of some of them replaced by bytes next to the hex ranges
// ('/', ':', '@', 'G', '`', 'g', 0x10-0x19, which OR 0x20 makes digits) or by a colon or digit
// where the other belongs.
TEST(AddrColumnTest, IPv6WithoutGapAndItsNeighbours) {
  std::mt19937_64 rng(kSeed + 12);
  static constexpr char kLower[] = "0123456789abcdef";
  static constexpr char kUpper[] = "0123456789ABCDEF";
  static constexpr char kNeighbours[] =
      "/:@G`g\x10\x19\x16"
      "FfAa09 .\xff";
  std::vector<std::string> fields;
  for (int n = 0; n < 3000; ++n) {
    std::string s;
    const int case_mode = n % 3;
    const bool full = n % 2 == 0;  // half in the 39-byte form
    for (int g = 0; g < 8; ++g) {
      const int width = full ? 4 : 1 + static_cast<int>(rng() % 4);
      for (int d = 0; d < width; ++d) {
        const bool upper = case_mode == 1 || (case_mode == 2 && rng() % 2);
        s += (upper ? kUpper : kLower)[rng() % 16];
      }
      if (g < 7) s += ':';
    }
    if (full) {
      ASSERT_EQ(s.size(), 39u);
    }
    fields.push_back(s);
    if (n < 40) {
      for (size_t pos = 0; pos < s.size(); ++pos) {
        for (size_t c = 0; c + 1 < sizeof(kNeighbours); ++c) {
          std::string t = s;
          t[pos] = kNeighbours[c];
          fields.push_back(t);
        }
        // A byte dropped or doubled: groups of 0 or 5 digits, 6 or 8 colons.
        fields.push_back(s.substr(0, pos) + s.substr(pos + 1));
        fields.push_back(s.substr(0, pos + 1) + s.substr(pos));
      }
    }
  }
  ExpectScalarMatchesInetPton(fields);
  ExpectColumnMatchesScalarOnEveryTarget(fields, kSeed + 13);
}

TEST(AddrColumnTest, EveryMisalignment) {
  std::mt19937_64 rng(kSeed + 10);
  std::vector<std::string> fields = RandomFields(2000, rng);
  fields.push_back("255.255.255.255");  // last: its 16-byte load reaches into the junk padding
  const Column column = BuildColumn(fields, rng);
  ForEachTarget([&](const char*) {
    for (size_t misalign = 0; misalign < 64; ++misalign) {
      ExpectColumnMatchesScalar(fields, column, misalign);
    }
  });
}

TEST(AddrColumnTest, MissingAndBadFieldsClearTheValue) {
  const std::vector<std::string> fields = {"-", "", "1.2.3.4", "nope", "::1", "1::2::3"};
  std::mt19937_64 rng(kSeed + 11);
  const Column column = BuildColumn(fields, rng);
  const PaddedBuffer buf(column.text, 0);
  ForEachTarget([&](const char*) {
    std::vector<Addr128> out(fields.size(), Addr128{7, 7});
    std::vector<FieldStatus> status(fields.size(), FieldStatus::kOverflow);
    ParseAddrColumn(buf.data(), column.spans.data(), fields.size(), out.data(), status.data());
    EXPECT_EQ(status[0], FieldStatus::kMissing);
    EXPECT_EQ(status[1], FieldStatus::kBadSyntax);
    EXPECT_EQ(status[2], FieldStatus::kOk);
    EXPECT_EQ(status[3], FieldStatus::kBadSyntax);
    EXPECT_EQ(status[4], FieldStatus::kOk);
    EXPECT_EQ(status[5], FieldStatus::kBadSyntax);
    EXPECT_EQ(out[0], (Addr128{0, 0}));
    EXPECT_EQ(out[1], (Addr128{0, 0}));
    EXPECT_EQ(out[2], AddrFromIPv4(0x01020304));
    EXPECT_EQ(out[3], (Addr128{0, 0}));
    EXPECT_EQ(out[4], (Addr128{0, 1}));
    EXPECT_EQ(out[5], (Addr128{0, 0}));
  });
}

// ---------------------------------------------------------------- FormatAddr

TEST(FormatAddrTest, Rfc5952Examples) {
  const std::pair<const char*, const char*> kExamples[] = {
      {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},         // 4.2.1: shorten as much as possible
      {"2001:db8::1", "2001:db8::1"},                    // 4.1: no leading zeros
      {"2001:0db8::0001", "2001:db8::1"},                // 4.1
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // 4.2.2: one zero group stays
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},           // 4.2.3: longest run
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // 4.2.3: first of equal runs
      {"2001:DB8::AAAA:BBBB:CCCC:DDDD", "2001:db8::aaaa:bbbb:cccc:dddd"},  // 4.3: lowercase
      {"::", "::"},
      {"::1", "::1"},
      {"1::", "1::"},
      {"1:0:0:0:0:0:0:0", "1::"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"},
      {"0:1:2:3:4:5:6:0", "0:1:2:3:4:5:6:0"},
      {"1000:200:30:4:ffff:fff:ff:f", "1000:200:30:4:ffff:fff:ff:f"},
      {"::ffff:1.2.3.4", "1.2.3.4"},  // stored IPv4-mapped: printed as the dotted quad
      {"0.0.0.0", "0.0.0.0"},
      {"255.10.0.1", "255.10.0.1"},
      {"::1.2.3.4", "::102:304"},  // IPv4-compatible is not IPv4 here
      {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
  };
  for (const auto& [in, want] : kExamples) {
    Addr128 a;
    ASSERT_EQ(ParseText(in, &a), FieldStatus::kOk) << in;
    EXPECT_EQ(FormatAddr(a), want) << in;
  }
}

Addr128 RandomAddr(std::mt19937_64& rng) {
  if (rng() % 3 == 0) return AddrFromIPv4(static_cast<uint32_t>(rng()));
  Addr128 a{0, 0};
  for (int k = 0; k < 8; ++k) {
    const uint64_t r = rng();
    const uint64_t g = r % 2 ? 0 : (r >> 16) & (0xFFFF >> (4 * (r >> 8 & 3)));
    (k < 4 ? a.hi : a.lo) = (k < 4 ? a.hi : a.lo) << 16 | g;
  }
  return a;
}

TEST(FormatAddrTest, RoundTripsRandomAddresses) {
  std::mt19937_64 rng(kSeed + 12);
  for (int i = 0; i < 100000; ++i) {
    const Addr128 a = RandomAddr(rng);
    const std::string text = FormatAddr(a);
    Addr128 back{1, 1};
    ASSERT_EQ(ParseText(text, &back), FieldStatus::kOk) << text;
    ASSERT_EQ(back, a) << text;
  }
}

// glibc's inet_ntop also follows RFC 5952, except that it writes ::a.b.c.d and ::ffff:a.b.c.d;
// skip exactly the addresses it treats that way.
TEST(FormatAddrTest, MatchesInetNtop) {
  std::mt19937_64 rng(kSeed + 13);
  size_t compared = 0;
  for (int i = 0; i < 100000; ++i) {
    const Addr128 a = RandomAddr(rng);
    uint8_t bytes[16];
    for (int k = 0; k < 8; ++k) {
      bytes[k] = static_cast<uint8_t>(a.hi >> (56 - 8 * k));
      bytes[8 + k] = static_cast<uint8_t>(a.lo >> (56 - 8 * k));
    }
    const bool compatible = a.hi == 0 && (a.lo >> 32) == 0 && (a.lo & 0xFFFF0000) != 0;
    if (IsIPv4(a) || compatible) continue;
    char text[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, bytes, text, sizeof(text)), nullptr);
    EXPECT_EQ(FormatAddr(a), text);
    ++compared;
  }
  EXPECT_GT(compared, 50000u);
}

}  // namespace
}  // namespace flowsift::kernels
