#include "pipeline/generate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "kernels/addr.h"
#include "kernels/enums.h"
#include "pipeline/generate_internal.h"
#include "pipeline/parse_chunk.h"

namespace flowsift {
namespace {

using kernels::Addr128;

Format FormatOf(std::string_view spec) {
  std::string error;
  const std::optional<Format> f = Format::Parse(spec, &error);
  EXPECT_TRUE(f.has_value()) << error;
  return f.value_or(Format::Default());
}

GenOptions Options(std::string_view format, uint64_t records, uint64_t seed = 1) {
  GenOptions o;
  o.format = FormatOf(format);
  o.records = records;
  o.seed = seed;
  return o;
}

size_t CountLines(std::string_view text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Generated text parsed with every column materialised. Keeps the padded buffer the spans of
// string columns point into.
struct Parsed {
  std::vector<uint8_t> buf;
  ParsedBatch batch;

  Parsed(const std::string& text, const Format& format) : buf(text.size() + kernels::kPadding, 0) {
    std::memcpy(buf.data(), text.data(), text.size());
    ParseScratch scratch;
    batch = ParseChunk(buf.data(), text.size(), format, AllFields(), scratch);
  }

  const Column& Col(Field f) const {
    const Column* c = batch.Find(f);
    if (c == nullptr) {
      ADD_FAILURE() << "no column " << InfoOf(f).name;
      static const Column kEmpty;
      return kEmpty;
    }
    return *c;
  }
  std::string_view Str(Field f, size_t row) const {
    const kernels::FieldSpan s = Col(f).spans[row];
    return {reinterpret_cast<const char*>(buf.data()) + s.begin, s.end - s.begin};
  }
  uint64_t U64(Field f, size_t row) const { return Col(f).u64[row]; }
  uint8_t Code(Field f, size_t row) const { return Col(f).code[row]; }
  bool Present(Field f, size_t row) const { return Col(f).present(row); }
};

uint8_t Code(kernels::LogStatus s) { return static_cast<uint8_t>(s); }
uint8_t Code(kernels::Action a) { return static_cast<uint8_t>(a); }

// --- Determinism and framing -----------------------------------------------------------------

TEST(GenerateTest, SameSeedSameBytesOtherSeedOtherBytes) {
  for (const char* format : {"v2", "v11", "tgw"}) {
    const GenOptions a = Options(format, 5000, 7);
    const std::string first = GenerateText(a);
    EXPECT_EQ(first, GenerateText(a)) << format;
    const std::string other = GenerateText(Options(format, 5000, 8));
    EXPECT_NE(first, other) << format;
    EXPECT_EQ(CountLines(first), CountLines(other));
  }
}

TEST(GenerateTest, StreamingInSmallPiecesGivesTheSameBytes) {
  const GenOptions o = Options("v5", 3000, 3);
  const std::string whole = GenerateText(o);
  FlowGenerator g(o);
  std::string streamed;
  size_t calls = 0;
  bool more = true;
  while (more) {
    const size_t before = streamed.size();
    more = g.Append(streamed, 700);
    ++calls;
    // Whole lines only, at least the bytes asked for unless the records ran out.
    ASSERT_FALSE(streamed.empty());
    EXPECT_EQ(streamed.back(), '\n');
    if (more) {
      EXPECT_GE(streamed.size() - before, 700u);
    }
  }
  EXPECT_EQ(streamed, whole);
  EXPECT_GT(calls, 100u);
  EXPECT_EQ(g.records_emitted(), 3000u);
  EXPECT_FALSE(g.Append(streamed, 1000));  // nothing left
  EXPECT_EQ(streamed, whole);
}

TEST(GenerateTest, ExactRecordCountAndHeader) {
  for (const uint64_t n : {0ull, 1ull, 2ull, 3ull, 7ull, 1000ull, 12345ull}) {
    GenOptions o = Options("v3", n, n);
    const std::string text = GenerateText(o);
    ASSERT_GT(text.size(), 0u);
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(CountLines(text), n + 1) << n;
    EXPECT_EQ(text.substr(0, text.find('\n')), o.format.HeaderLine());
    o.header = false;
    const std::string bare = GenerateText(o);
    EXPECT_EQ(CountLines(bare), n);
    EXPECT_EQ(text.substr(text.find('\n') + 1), bare);  // the header changes nothing else
  }
}

TEST(GenerateTest, HeaderLineIsTheFormat) {
  for (const char* format : {"v2", "v5", "tgw", "${srcaddr} ${dstaddr} ${version} foo-bar"}) {
    const GenOptions o = Options(format, 10);
    const std::string text = GenerateText(o);
    const std::optional<Format> header = Format::FromHeaderLine(text.substr(0, text.find('\n')));
    ASSERT_TRUE(header.has_value()) << format;
    EXPECT_EQ(*header, o.format) << format;
  }
}

// --- Every format parses --------------------------------------------------------------------

TEST(GenerateTest, EveryPresetParsesWithoutBadLines) {
  const std::pair<const char*, uint64_t> kFormats[] = {{"v2", 2}, {"v3", 3},   {"v5", 5},
                                                       {"v8", 8}, {"v11", 11}, {"tgw", 6},
                                                       {"v4", 4}, {"v7", 7},   {"v10", 10}};
  for (const auto& [format, version] : kFormats) {
    const GenOptions o = Options(format, 20000, 11);
    const Parsed p(GenerateText(o), o.format);
    EXPECT_EQ(p.batch.bad_lines.size(), 0u) << format;
    if (!p.batch.bad_lines.empty()) {
      ADD_FAILURE() << format << ": first bad line " << p.batch.bad_lines[0].line << " reason "
                    << LineErrorName(p.batch.bad_lines[0].reason);
    }
    EXPECT_EQ(p.batch.rows, 20000u) << format;
    EXPECT_EQ(p.batch.header_lines, 1u) << format;
    for (size_t r = 0; r < p.batch.rows; ++r) {
      ASSERT_EQ(p.U64(Field::kVersion, r), version) << format << " row " << r;
    }
  }
}

TEST(GenerateTest, CustomFieldListFillsEveryKnownFieldAndDashesUnknownNames) {
  // Every field flowsift knows, VPC and TGW mixed, in a scrambled order, plus an unknown name.
  std::vector<std::string> names;
  for (size_t i = 0; i < kNumFields; ++i) {
    const Field f = static_cast<Field>(i);
    if (f != Field::kTgwAttachmentId) names.emplace_back(InfoOf(f).name);  // stays a VPC log
  }
  std::reverse(names.begin(), names.end());
  names.insert(names.begin() + 5, "made-up-field");
  std::string spec;
  for (const std::string& n : names) spec += "${" + n + "} ";
  spec.pop_back();
  const GenOptions o = Options(spec, 5000, 5);
  ASSERT_FALSE(o.format.IsTransitGateway());
  const std::string text = GenerateText(o);
  const Parsed p(text, o.format);
  EXPECT_EQ(p.batch.bad_lines.size(), 0u);
  EXPECT_EQ(p.batch.rows, 5000u);
  // The unknown name's column is "-" on every line.
  size_t line_start = text.find('\n') + 1;
  for (int line = 0; line < 100; ++line) {
    const size_t end = text.find('\n', line_start);
    const std::string_view l(text.data() + line_start, end - line_start);
    size_t pos = 0;
    for (int k = 0; k < 5; ++k) pos = l.find(' ', pos) + 1;
    EXPECT_EQ(l.substr(pos, 2), "- ") << l;
    line_start = end + 1;
  }
  for (size_t r = 0; r < p.batch.rows; ++r) {
    ASSERT_EQ(p.U64(Field::kVersion, r), 11u);  // the highest version among the fields
    // VPC records carry no TGW fields.
    ASSERT_FALSE(p.Present(Field::kTgwId, r));
    ASSERT_FALSE(p.Present(Field::kPacketsLostNoRoute, r));
  }
  // Every VPC field that should always be known is filled on OK records.
  for (size_t r = 0; r < p.batch.rows; ++r) {
    if (p.Code(Field::kLogStatus, r) != Code(kernels::LogStatus::kOk)) continue;
    for (Field f :
         {Field::kAccountId,     Field::kInterfaceId,     Field::kSrcAddr,  Field::kDstAddr,
          Field::kSrcPort,       Field::kDstPort,         Field::kProtocol, Field::kPackets,
          Field::kBytes,         Field::kStart,           Field::kEnd,      Field::kAction,
          Field::kVpcId,         Field::kSubnetId,        Field::kTcpFlags, Field::kType,
          Field::kPktSrcAddr,    Field::kPktDstAddr,      Field::kRegion,   Field::kAzId,
          Field::kFlowDirection, Field::kEncryptionStatus}) {
      ASSERT_TRUE(p.Present(f, r)) << InfoOf(f).name << " row " << r;
    }
  }
}

// --- Realism ----------------------------------------------------------------------------------

// Both directions: every accepted VPC record has its reverse on the same ENI, with tcp-flags
// that belong to the other side of the same connection.
void ExpectBothDirections(const GenOptions& o) {
  const Parsed p(GenerateText(o), o.format);
  ASSERT_EQ(p.batch.bad_lines.size(), 0u);
  using Key = std::tuple<std::string_view, Addr128, Addr128, uint64_t, uint64_t, uint64_t>;
  std::map<Key, std::vector<uint64_t>> flags;  // -> tcp-flags of every record with that key
  std::vector<std::pair<Key, uint64_t>> accepted;
  size_t rejects = 0;
  for (size_t r = 0; r < p.batch.rows; ++r) {
    if (p.Code(Field::kLogStatus, r) != Code(kernels::LogStatus::kOk)) continue;
    const Key k{p.Str(Field::kInterfaceId, r),  p.Col(Field::kSrcAddr).addr[r],
                p.Col(Field::kDstAddr).addr[r], p.U64(Field::kSrcPort, r),
                p.U64(Field::kDstPort, r),      p.U64(Field::kProtocol, r)};
    flags[k].push_back(p.U64(Field::kTcpFlags, r));
    if (p.Code(Field::kAction, r) == Code(kernels::Action::kAccept)) {
      accepted.emplace_back(k, p.U64(Field::kTcpFlags, r));
    } else {
      ++rejects;
    }
  }
  // The flags the other side of a connection shows within the same interval.
  auto matches = [](uint64_t proto, uint64_t mine, uint64_t theirs) {
    if (proto != 6) return mine == 0 && theirs == 0;
    switch (mine) {
      case 3:
        return theirs == 19 || theirs == 23;
      case 2:
        return theirs == 18;
      case 19:
      case 23:
        return theirs == 3;
      case 18:
        return theirs == 2;
      default:
        return mine == theirs;  // 0 (middle of a long connection) and 1 (its end)
    }
  };
  size_t paired = 0, flag_mismatch = 0;
  for (const auto& [k, k_flags] : accepted) {
    const auto& [eni, src, dst, sport, dport, k_proto] = k;
    const auto it = flags.find(Key{eni, dst, src, dport, sport, k_proto});
    if (it == flags.end()) continue;
    ++paired;
    const uint64_t proto = k_proto, mine = k_flags;  // lambdas cannot capture bindings (clang 14)
    flag_mismatch += std::none_of(it->second.begin(), it->second.end(),
                                  [&](uint64_t theirs) { return matches(proto, mine, theirs); });
  }
  EXPECT_GT(accepted.size(), o.records / 2);
  // Only a connection cut short by the record count may lack its reverse.
  EXPECT_GE(paired + 6, accepted.size());
  EXPECT_EQ(flag_mismatch, 0u);
  EXPECT_GT(rejects, 0u);
}

TEST(GenerateTest, ConnectionsHaveBothDirectionsWithMatchingFlags) {
  GenOptions o = Options("v3", 20000, 21);
  ExpectBothDirections(o);
  o.ipv6_share = 0.5;
  o.interfaces = 12;
  ExpectBothDirections(o);
}

TEST(GenerateTest, DirectionsAndTrafficPath) {
  const GenOptions o = Options("v5", 20000, 4);
  const Parsed p(GenerateText(o), o.format);
  ASSERT_EQ(p.batch.bad_lines.size(), 0u);
  size_t ingress = 0, egress = 0, nat = 0;
  for (size_t r = 0; r < p.batch.rows; ++r) {
    if (p.Code(Field::kLogStatus, r) != Code(kernels::LogStatus::kOk)) continue;
    const bool is_egress =
        p.Code(Field::kFlowDirection, r) == static_cast<uint8_t>(kernels::FlowDirection::kEgress);
    (is_egress ? egress : ingress)++;
    EXPECT_EQ(p.Present(Field::kTrafficPath, r), is_egress) << "traffic-path is egress only";
    // NAT gateway ENIs translate: pkt-* differ from src/dst.
    nat += !(p.Col(Field::kPktSrcAddr).addr[r] == p.Col(Field::kSrcAddr).addr[r]) ||
           !(p.Col(Field::kPktDstAddr).addr[r] == p.Col(Field::kDstAddr).addr[r]);
    EXPECT_EQ(p.Str(Field::kRegion, r), p.Str(Field::kRegion, 0));
  }
  EXPECT_GT(ingress, 8000u);
  EXPECT_GT(egress, 8000u);
  EXPECT_GT(nat, 200u);
}

TEST(GenerateTest, NoDataAndSkipDataShares) {
  for (const char* format : {"v2", "v5", "tgw"}) {
    const GenOptions o = Options(format, 60000, 9);
    const Parsed p(GenerateText(o), o.format);
    ASSERT_EQ(p.batch.bad_lines.size(), 0u);
    size_t nodata = 0, skipdata = 0;
    for (size_t r = 0; r < p.batch.rows; ++r) {
      const uint8_t s = p.Code(Field::kLogStatus, r);
      if (s == Code(kernels::LogStatus::kOk)) continue;
      (s == Code(kernels::LogStatus::kNoData) ? nodata : skipdata)++;
      // Shape of reference/flowlogs.md section 5: traffic fields "-", identity kept.
      EXPECT_FALSE(p.Present(Field::kSrcAddr, r));
      EXPECT_FALSE(p.Present(Field::kPackets, r));
      EXPECT_FALSE(p.Present(Field::kProtocol, r));
      EXPECT_TRUE(p.Present(Field::kAccountId, r));
      EXPECT_TRUE(p.Present(Field::kStart, r));
      EXPECT_TRUE(p.Present(Field::kEnd, r));
      if (o.format.Has(Field::kVpcId)) {
        EXPECT_TRUE(p.Present(Field::kVpcId, r));
      }
      if (o.format.Has(Field::kAction)) {
        EXPECT_FALSE(p.Present(Field::kAction, r));
      }
      if (o.format.Has(Field::kFlowDirection)) {
        EXPECT_FALSE(p.Present(Field::kFlowDirection, r));
      }
    }
    // Binomial: 2% of 60000 has a standard deviation of 34 records, 0.5% of 17.
    EXPECT_NEAR(static_cast<double>(nodata) / 60000, 0.02, 0.003) << format;
    EXPECT_NEAR(static_cast<double>(skipdata) / 60000, 0.005, 0.0015) << format;
  }
}

double Ipv6Share(const GenOptions& o) {
  const Parsed p(GenerateText(o), o.format);
  EXPECT_EQ(p.batch.bad_lines.size(), 0u);
  size_t v6 = 0, typed = 0;
  for (size_t r = 0; r < p.batch.rows; ++r) {
    if (!p.Present(Field::kType, r)) continue;
    ++typed;
    const bool is_v6 = p.Code(Field::kType, r) == static_cast<uint8_t>(kernels::AddrType::kIPv6);
    v6 += is_v6;
    // The address family agrees with the type field.
    EXPECT_EQ(kernels::IsIPv4(p.Col(Field::kSrcAddr).addr[r]), !is_v6);
    EXPECT_EQ(kernels::IsIPv4(p.Col(Field::kDstAddr).addr[r]), !is_v6);
    // ICMP is protocol 1 over IPv4, ICMPv6 58 over IPv6.
    EXPECT_NE(p.U64(Field::kProtocol, r), is_v6 ? 1u : 58u) << "row " << r;
  }
  EXPECT_GT(typed, o.records * 9 / 10);
  return static_cast<double>(v6) / static_cast<double>(typed);
}

TEST(GenerateTest, Ipv6Share) {
  GenOptions o = Options("v3", 40000, 13);
  // NAT egress over IPv6 skips the NAT gateway's records, so per record the share is a little
  // below the per-flow share.
  EXPECT_NEAR(Ipv6Share(o), 0.05, 0.015);
  o.ipv6_share = 0.3;
  EXPECT_NEAR(Ipv6Share(o), 0.3, 0.06);
  o.ipv6_share = 0;
  EXPECT_EQ(Ipv6Share(o), 0.0);
  o = Options("tgw", 40000, 13);
  o.ipv6_share = 0.2;
  EXPECT_NEAR(Ipv6Share(o), 0.2, 0.04);
}

void ExpectTimesInside(const GenOptions& o) {
  const Parsed p(GenerateText(o), o.format);
  ASSERT_EQ(p.batch.bad_lines.size(), 0u);
  ASSERT_EQ(p.batch.rows, o.records);
  const uint64_t interval = o.format.IsTransitGateway() ? 60 : o.interval;
  const uint64_t span_end = o.start + static_cast<uint64_t>(o.hours * 3600);
  uint64_t min_start = UINT64_MAX, max_start = 0;
  for (size_t r = 0; r < p.batch.rows; ++r) {
    const uint64_t start = p.U64(Field::kStart, r), end = p.U64(Field::kEnd, r);
    ASSERT_LE(start, end) << r;
    ASSERT_GE(start, o.start) << r;
    ASSERT_LT(end, span_end) << r;
    ASSERT_LT(end - start, interval) << r;
    // Records come pass by pass over the span: none starts three intervals before one written
    // earlier (a pass's records lie within an interval of it).
    ASSERT_GT(start + 3 * interval, std::max(max_start, start)) << r;
    min_start = std::min(min_start, start);
    max_start = std::max(max_start, start);
    if (p.Present(Field::kPackets, r) && p.U64(Field::kPackets, r) == 1) {
      ASSERT_EQ(start, end) << "one packet, one instant; row " << r;
    }
  }
  // Spread over the whole span, not bunched at its start.
  EXPECT_LT(min_start, o.start + interval);
  EXPECT_GE(max_start, span_end - interval);
}

TEST(GenerateTest, TimesStayInsideTheSpanAndTheInterval) {
  GenOptions o = Options("v2", 30000, 17);
  o.hours = 2.5;
  ExpectTimesInside(o);
  o.interval = 60;
  ExpectTimesInside(o);
  o.hours = 0.25;
  o.start = 1712345678;
  ExpectTimesInside(o);
  o = Options("tgw", 30000, 17);
  ExpectTimesInside(o);
}

// Each interface's capture intervals run on its own clock (reference/flowlogs.md section 6: not
// aligned to any grid). Over two hours across midnight, 600 s intervals: records cross the
// 600 s grid from --start and midnight; every interface's records fit the intervals of one phase
// (no record of it crosses that phase's boundaries, both directions included), and no one phase
// fits every interface. Every record stays in the span; the same seed gives the same bytes.
void ExpectUnalignedIntervals(const GenOptions& o) {
  const std::string text = GenerateText(o);
  EXPECT_EQ(text, GenerateText(o));
  const Parsed p(text, o.format);
  ASSERT_EQ(p.batch.bad_lines.size(), 0u);
  ASSERT_EQ(p.batch.rows, o.records);
  const uint64_t interval = o.format.IsTransitGateway() ? 60 : o.interval;
  const uint64_t span_end = o.start + static_cast<uint64_t>(o.hours * 3600);
  const uint64_t midnight = (o.start / 86400 + 1) * 86400;
  const Field id = o.format.IsTransitGateway() ? Field::kTgwAttachmentId : Field::kInterfaceId;
  std::map<std::string_view, std::vector<bool>> crossed;  // interface -> phases its records cross
  size_t across_grid = 0, across_midnight = 0;
  for (size_t r = 0; r < p.batch.rows; ++r) {
    const uint64_t start = p.U64(Field::kStart, r), end = p.U64(Field::kEnd, r);
    ASSERT_GE(start, o.start) << r;
    ASSERT_LT(end, span_end) << r;
    across_grid += (start - o.start) / interval != (end - o.start) / interval;
    across_midnight += start < midnight && end >= midnight;
    std::vector<bool>& phases = crossed[p.Str(id, r)];
    phases.resize(interval);
    for (uint64_t t = start + 1; t <= end; ++t) phases[(t - o.start) % interval] = true;
  }
  EXPECT_GT(across_grid, o.records / 50);
  EXPECT_GT(across_midnight, 0u);
  std::vector<bool> fits_all(interval, true);
  for (const auto& [iface, phases] : crossed) {
    EXPECT_NE(std::find(phases.begin(), phases.end(), false), phases.end()) << iface;
    for (uint64_t k = 0; k < interval; ++k) fits_all[k] = fits_all[k] && !phases[k];
  }
  EXPECT_EQ(std::find(fits_all.begin(), fits_all.end(), true), fits_all.end());
}

TEST(GenerateTest, IntervalsRunOnEachInterfacesOwnClock) {
  GenOptions o = Options("v5", 60000, 29);
  o.start = 1700006400 - 3600;  // 2023-11-14T23:00:00Z
  o.hours = 2;
  o.attacks = AllAttacks();
  ExpectUnalignedIntervals(o);
  o = Options("tgw", 30000, 29);
  o.start = 1700006400 - 1800;
  o.hours = 1;
  ExpectUnalignedIntervals(o);
}

TEST(GenerateTest, CountersTcpFlagsAndIdsLookReal) {
  const GenOptions o = Options("v3", 30000, 23);
  const Parsed p(GenerateText(o), o.format);
  ASSERT_EQ(p.batch.bad_lines.size(), 0u);
  std::set<std::string_view> accounts, enis;
  size_t probes = 0, icmp = 0, dns = 0, db = 0, web = 0, big = 0;
  bool leading_zero = false;
  for (size_t r = 0; r < p.batch.rows; ++r) {
    const std::string_view account = p.Str(Field::kAccountId, r);
    ASSERT_EQ(account.size(), 12u);
    ASSERT_EQ(account.find_first_not_of("0123456789"), account.npos);
    accounts.insert(account);
    leading_zero |= account[0] == '0';
    const std::string_view eni = p.Str(Field::kInterfaceId, r);
    ASSERT_EQ(eni.size(), 21u);
    ASSERT_EQ(eni.substr(0, 4), "eni-");
    ASSERT_EQ(eni.find_first_not_of("0123456789abcdef", 4), eni.npos);
    enis.insert(eni);
    ASSERT_EQ(p.Str(Field::kVpcId, r).substr(0, 4), "vpc-");
    ASSERT_EQ(p.Str(Field::kSubnetId, r).size(), 24u);
    if (!p.Present(Field::kPackets, r)) continue;
    const uint64_t packets = p.U64(Field::kPackets, r), bytes = p.U64(Field::kBytes, r);
    const uint64_t proto = p.U64(Field::kProtocol, r), flags = p.U64(Field::kTcpFlags, r);
    ASSERT_GE(packets, 1u);
    ASSERT_GE(bytes, 40 * packets) << r;
    ASSERT_LE(bytes, 1500 * packets) << r;
    if (proto != 6) {
      ASSERT_EQ(flags, 0u) << r;
    }
    if (proto == 1) {
      ++icmp;
      ASSERT_EQ(p.U64(Field::kSrcPort, r), 0u);
      ASSERT_EQ(p.U64(Field::kDstPort, r), 0u);
    }
    dns += proto == 17 && p.U64(Field::kDstPort, r) == 53;
    db += p.U64(Field::kDstPort, r) == 5432 || p.U64(Field::kDstPort, r) == 3306;
    big += bytes > 100'000'000;
    const bool reject = p.Code(Field::kAction, r) == Code(kernels::Action::kReject);
    if (reject &&
        (proto == 6 || proto == 17)) {  // a probe: one SYN or UDP datagram to a closed port
      ++probes;
      ASSERT_EQ(packets, 1u);
      ASSERT_LE(bytes, 60u);
    }
    const uint64_t dport = p.U64(Field::kDstPort, r), sport = p.U64(Field::kSrcPort, r);
    const Addr128 src = p.Col(Field::kSrcAddr).addr[r];
    if (proto == 6 && (dport == 443 || dport == 80) && (flags == 2 || flags == 3) &&
        kernels::IsIPv4(src) && (kernels::IPv4Of(src) >> 24) != 10) {
      ++web;  // an internet client opening a connection: Linux ephemeral source port
      ASSERT_GE(sport, 32768u) << r;
      ASSERT_LE(sport, 60999u) << r;
    }
  }
  EXPECT_GE(accounts.size(), 3u);
  EXPECT_TRUE(leading_zero);
  EXPECT_GT(enis.size(), 150u);  // of the 200 interfaces
  EXPECT_LE(enis.size(), 200u);
  EXPECT_GT(probes, 30u);
  EXPECT_LT(probes, 30000u / 20);  // "a few"
  EXPECT_GT(icmp, 20u);
  EXPECT_GT(dns, 1000u);
  EXPECT_GT(db, 1000u);
  EXPECT_GT(web, 1000u);
  EXPECT_GT(big, 0u);  // the backup (it runs in the last quarter of a span without a night)
}

// Every ENI owns its primary address: drawn at random per subnet, two ENIs had shared one (3 of
// 5 seeds at 200 interfaces, 1,197 addresses at 10,000). An ENI's egress records carry its own
// address (a NAT gateway's too), so no address may belong to two.
TEST(GenerateTest, EveryEniHasAnAddressOfItsOwn) {
  GenOptions o = Options("v5", 100000, 7);
  o.interfaces = 3000;
  const Parsed p(GenerateText(o), o.format);
  ASSERT_EQ(p.batch.bad_lines.size(), 0u);
  std::map<std::string, std::set<std::string_view>> owners;  // address -> ENIs
  for (size_t r = 0; r < p.batch.rows; ++r) {
    if (!p.Present(Field::kFlowDirection, r) ||
        p.Code(Field::kFlowDirection, r) != static_cast<uint8_t>(kernels::FlowDirection::kEgress)) {
      continue;
    }
    owners[kernels::FormatAddr(p.Col(Field::kSrcAddr).addr[r])].insert(
        p.Str(Field::kInterfaceId, r));
  }
  EXPECT_GT(owners.size(), 2000u);
  for (const auto& [addr, enis] : owners) EXPECT_EQ(enis.size(), 1u) << addr;
}

// An ECS task on Fargate has no instance: no instance's or Auto Scaling group's tags either.
TEST(GenerateTest, NoInstanceNoInstanceTags) {
  const GenOptions o = Options("v11", 30000, 11);
  const Parsed p(GenerateText(o), o.format);
  ASSERT_EQ(p.batch.bad_lines.size(), 0u);
  size_t without = 0;
  for (size_t r = 0; r < p.batch.rows; ++r) {
    if (p.Str(Field::kInstanceId, r) != "-") continue;
    ++without;
    for (const Field f :
         {Field::kInstanceTag, Field::kInstanceTag2, Field::kAsgTag, Field::kAsgTag2}) {
      EXPECT_EQ(p.Str(f, r), "-") << p.Str(Field::kInterfaceId, r);
    }
  }
  EXPECT_GT(without, 100u);
}

TEST(GenerateTest, TransitGatewayRecords) {
  const GenOptions o = Options("tgw", 20000, 29);
  const Parsed p(GenerateText(o), o.format);
  ASSERT_EQ(p.batch.bad_lines.size(), 0u);
  std::set<std::string_view> attachments;
  size_t lost = 0;
  for (size_t r = 0; r < p.batch.rows; ++r) {
    ASSERT_EQ(p.Str(Field::kResourceType, r), "TransitGatewayAttachment");
    ASSERT_EQ(p.Str(Field::kTgwAttachmentId, r).substr(0, 11), "tgw-attach-");
    attachments.insert(p.Str(Field::kTgwAttachmentId, r));
    if (p.Code(Field::kLogStatus, r) != Code(kernels::LogStatus::kOk)) continue;
    lost += p.U64(Field::kPacketsLostNoRoute, r) + p.U64(Field::kPacketsLostBlackhole, r) +
            p.U64(Field::kPacketsLostTtlExpired, r);
    ASSERT_TRUE(p.Present(Field::kTgwSrcVpcId, r));
    ASSERT_NE(p.Str(Field::kTgwAttachmentId, r), p.Str(Field::kTgwPairAttachmentId, r));
  }
  EXPECT_GT(attachments.size(), 150u);
  EXPECT_GT(lost, 0u);
}

// The ops host's SSH sessions keep a human rate however many records the network carries: as a
// share of the mix, a small busy VPC's ops host made ~100 sessions an hour with each host, a
// third of them "short" for brute_force, and every set had brute-force findings on it.
TEST(GenerateTest, SshSessionsKeepAHumanRateInABusyNetwork) {
  GenOptions o = Options("v2", 200000);
  o.interfaces = 20;
  o.hours = 0.25;  // 800,000 records an hour: ~500 SSH sessions by the mix's share alone
  const Parsed p(GenerateText(o), o.format);
  std::set<std::tuple<uint64_t, uint64_t, uint64_t, uint64_t>> sessions;  // client, port, server
  for (size_t r = 0; r < p.batch.rows; ++r) {
    if (!p.Present(Field::kDstPort, r) || p.U64(Field::kDstPort, r) != 22) continue;
    const Addr128& src = p.Col(Field::kSrcAddr).addr[r];
    const Addr128& dst = p.Col(Field::kDstAddr).addr[r];
    // The VPC's IPv4 hosts (10/8); internet scanners knock on 22 too.
    if (!kernels::IsIPv4(src) || (kernels::IPv4Of(src) >> 24) != 10) continue;
    sessions.insert({src.lo, p.U64(Field::kSrcPort, r), dst.hi, dst.lo});
  }
  // 12 a host an hour, counted up to the end of each 600 s interval: 20 hosts x 1,200 s.
  EXPECT_LE(sessions.size(), 12u * 20 * 1200 / 3600);
  EXPECT_GE(sessions.size(), 10u);  // still there
}

TEST(GenerateTest, TinyNetworksStillWork) {
  for (const uint32_t n : {1u, 2u, 5u, 9u, 10u}) {
    for (const char* format : {"v5", "tgw"}) {
      GenOptions o = Options(format, 2000, n);
      o.interfaces = n;
      const Parsed p(GenerateText(o), o.format);
      EXPECT_EQ(p.batch.bad_lines.size(), 0u) << format << " " << n;
      EXPECT_EQ(p.batch.rows, 2000u) << format << " " << n;
    }
  }
}

// No ENI talks to itself, and no traffic turns round at a transit gateway into the VPC it came
// from: below 9 interfaces a missing role fell back to a web server, and the health checks of a
// "load balancer" that was the web server itself (srcaddr == dstaddr) were up to a third of the
// records; a TGW of 2 or 3 attachments sent a third to a half of its records from a VPC to
// itself. The other end is now an unlogged host of the subnet, or another attachment.
TEST(GenerateTest, TinyNetworksDoNotTalkToThemselves) {
  for (uint32_t n = 1; n <= 8; ++n) {
    GenOptions o = Options("v5", 5000, n);
    o.interfaces = n;
    const Parsed p(GenerateText(o), o.format);
    ASSERT_EQ(p.batch.bad_lines.size(), 0u);
    size_t internal_egress = 0;
    for (size_t r = 0; r < p.batch.rows; ++r) {
      if (p.Code(Field::kLogStatus, r) != Code(kernels::LogStatus::kOk)) continue;
      const Addr128& src = p.Col(Field::kSrcAddr).addr[r];
      const Addr128& dst = p.Col(Field::kDstAddr).addr[r];
      ASSERT_FALSE(src.hi == dst.hi && src.lo == dst.lo) << n << " interfaces, row " << r;
      const Addr128& psrc = p.Col(Field::kPktSrcAddr).addr[r];
      const Addr128& pdst = p.Col(Field::kPktDstAddr).addr[r];
      ASSERT_FALSE(psrc.hi == pdst.hi && psrc.lo == pdst.lo) << n << " interfaces, row " << r;
      // An egress record to a host of the VPC's 10/8 stays in the VPC: traffic-path 1.
      if (p.Code(Field::kFlowDirection, r) ==
              static_cast<uint8_t>(kernels::FlowDirection::kEgress) &&
          kernels::IsIPv4(pdst) && (kernels::IPv4Of(pdst) >> 24) == 10) {
        ++internal_egress;
        ASSERT_EQ(p.U64(Field::kTrafficPath, r), 1u) << n << " interfaces, row " << r;
      }
    }
    EXPECT_GT(internal_egress, 100u) << n;  // the internal scenarios are still there
  }
  for (const uint32_t n : {2u, 3u, 4u}) {
    GenOptions o = Options("tgw", 5000, n);
    o.interfaces = n;
    const Parsed p(GenerateText(o), o.format);
    ASSERT_EQ(p.batch.bad_lines.size(), 0u);
    for (size_t r = 0; r < p.batch.rows; ++r) {
      if (p.Code(Field::kLogStatus, r) != Code(kernels::LogStatus::kOk) ||
          !p.Present(Field::kTgwPairAttachmentId, r)) {
        continue;
      }
      ASSERT_NE(p.Str(Field::kTgwAttachmentId, r), p.Str(Field::kTgwPairAttachmentId, r))
          << n << " attachments, row " << r;
      ASSERT_NE(p.Str(Field::kTgwSrcVpcId, r), p.Str(Field::kTgwDstVpcId, r))
          << n << " attachments, row " << r;
    }
  }
}

// A Transit Gateway's attachments' VPCs each have a /20 of 10/8: more than 4096 are refused, not
// given the ranges of others (attachment 4096 had attachment 0's).
TEST(GenerateTest, MoreAttachmentsThanVpcRangesAreRefused) {
  GenOptions o = Options("tgw", 1000, 3);
  o.interfaces = 4097;
  try {
    FlowGenerator g(o);
    ADD_FAILURE() << "4097 attachments accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("4096"), std::string::npos) << e.what();
  }
  o.interfaces = 4096;  // fits
  EXPECT_NO_THROW(FlowGenerator{o});
}

// `version` is the highest version of the fields the records have: a field of the other kind
// (always "-") had raised it, to 6 for VPC records ("version srcaddr tgw-id") and to 7 for TGW
// records with ecs-task-id.
TEST(GenerateTest, VersionCountsTheFieldsThatApply) {
  const auto first_token = [](std::string_view format) {
    GenOptions o = Options(format, 10);
    o.header = false;
    o.interfaces = 20;
    const std::string text = GenerateText(o);
    return text.substr(0, text.find(' '));
  };
  EXPECT_EQ(first_token("version srcaddr tgw-id"), "2");
  EXPECT_EQ(first_token("version srcaddr tcp-flags packets-lost-no-route"), "3");
  EXPECT_EQ(first_token("version tgw-attachment-id srcaddr ecs-task-id"), "6");
  EXPECT_EQ(first_token("version tgw-attachment-id srcaddr"), "6");
  EXPECT_EQ(first_token("v11"), "11");
  EXPECT_EQ(first_token("tgw"), "6");
}

// The nightly backup (rsync to port 873) runs 01:00-03:00 UTC, and a span without such a night
// has it in its last quarter (docs/gen.md). Its records lie within an interval of the passes
// it runs in. The look-alikes are left out: the backup_transfer look-alike is placed anywhere.
TEST(GenerateTest, TheBackupRunsAtNightOrInTheLastQuarterOfTheSpan) {
  const auto backup_times = [](const GenOptions& o) {
    const Parsed p(GenerateText(o), o.format);
    EXPECT_EQ(p.batch.bad_lines.size(), 0u);
    std::vector<std::pair<uint64_t, uint64_t>> times;  // start, end
    for (size_t r = 0; r < p.batch.rows; ++r) {
      if (p.Code(Field::kLogStatus, r) != Code(kernels::LogStatus::kOk) ||
          p.Code(Field::kAction, r) != Code(kernels::Action::kAccept) ||
          (p.U64(Field::kDstPort, r) != 873 && p.U64(Field::kSrcPort, r) != 873)) {
        continue;
      }
      times.emplace_back(p.U64(Field::kStart, r), p.U64(Field::kEnd, r));
    }
    return times;
  };
  GenOptions o = Options("v2", 40000, 3);
  o.lookalikes = false;
  o.start = 1700006400;  // 2023-11-15T00:00:00Z, four hours: the night is inside
  o.hours = 4;
  const uint64_t one = o.start + 3600, three = o.start + 3 * 3600;
  auto times = backup_times(o);
  ASSERT_GT(times.size(), 100u);
  uint64_t latest = 0;
  for (const auto& [start, end] : times) {
    EXPECT_GE(start, one - o.interval) << start;  // from 01:00 (a pass's interval around it)
    EXPECT_LT(end, three + o.interval) << end;    // to 03:00
    latest = std::max(latest, start);
  }
  EXPECT_GE(latest, three - 1800);  // the whole two hours, not only the first
  // The default span (22:13-23:13 UTC) has no night: its last quarter, less an interval.
  o = Options("v2", 40000, 3);
  o.lookalikes = false;
  times = backup_times(o);
  ASSERT_GT(times.size(), 10u);
  for (const auto& [start, end] : times) EXPECT_GE(start, o.start + 2700 - o.interval) << start;
}

// pkt-src-aws-service and pkt-dst-aws-service name the ip-ranges.json service of the record's own
// pkt-srcaddr and pkt-dstaddr: the prefix gen draws that service's addresses from. An internal
// address has none.
TEST(GenerateTest, AwsServiceNamesBelongToTheirOwnAddresses) {
  const std::map<std::string_view, std::pair<uint32_t, uint32_t>> kPrefixes = {
      {"S3", {52u << 24 | 216u << 16, 15}},
      {"DYNAMODB", {3u << 24 | 218u << 16 | 180u << 8, 22}},
      {"EC2", {3u << 24 | 80u << 16, 12}},
      {"AMAZON", {52u << 24 | 94u << 16, 22}},
      {"API_GATEWAY", {3u << 24 | 216u << 16 | 135u << 8, 24}},
      {"CLOUDFRONT", {13u << 24 | 224u << 16, 14}},
      {"ROUTE53_HEALTHCHECKS", {54u << 24 | 243u << 16 | 31u << 8 | 192, 26}},
  };
  const GenOptions o = Options("v5", 30000, 6);
  const Parsed p(GenerateText(o), o.format);
  ASSERT_EQ(p.batch.bad_lines.size(), 0u);
  size_t named[2] = {0, 0};
  for (size_t r = 0; r < p.batch.rows; ++r) {
    if (p.Code(Field::kLogStatus, r) != Code(kernels::LogStatus::kOk)) continue;
    int side = 0;
    for (const auto& [addr, service] : {std::pair{Field::kPktSrcAddr, Field::kPktSrcAwsService},
                                        std::pair{Field::kPktDstAddr, Field::kPktDstAwsService}}) {
      const std::string_view name = p.Str(service, r);
      if (name != "-") {
        ++named[side];
        const auto it = kPrefixes.find(name);
        ASSERT_NE(it, kPrefixes.end()) << name;
        const Addr128 a = p.Col(addr).addr[r];
        ASSERT_TRUE(kernels::IsIPv4(a)) << name << " row " << r;
        const auto [base, bits] = it->second;
        EXPECT_EQ(kernels::IPv4Of(a) >> (32 - bits), base >> (32 - bits))
            << name << " " << kernels::FormatAddr(a) << " row " << r;
      }
      ++side;
    }
  }
  EXPECT_GT(named[0], 50u);  // answers from a service
  EXPECT_GT(named[1], 50u);  // requests to one
}

// Every IPv6 address of the records (addresses, pkt-* addresses) is the text kernels::FormatAddr
// gives it: RFC 5952's canonical form, lowercase, no leading zeros, as AWS prints them.
TEST(GenerateTest, RecordsCarryCanonicalIpv6Text) {
  GenOptions o = Options("v5", 20000, 19);
  o.ipv6_share = 1;
  const std::string text = GenerateText(o);
  const Parsed p(text, o.format);
  ASSERT_EQ(p.batch.bad_lines.size(), 0u);
  std::vector<std::pair<size_t, Field>> columns;  // the address columns: index, field
  for (size_t i = 0; i < o.format.size(); ++i) {
    const Field f = o.format.field(i);
    if (f == Field::kSrcAddr || f == Field::kDstAddr || f == Field::kPktSrcAddr ||
        f == Field::kPktDstAddr) {
      columns.emplace_back(i, f);
    }
  }
  ASSERT_EQ(columns.size(), 4u);
  size_t v6 = 0, row = 0;
  std::vector<std::string_view> tokens;
  for (size_t at = text.find('\n') + 1; at < text.size(); ++row) {
    const size_t end = text.find('\n', at);
    tokens.clear();
    for (size_t t = at; t <= end;) {
      const size_t space = std::min(text.find(' ', t), end);
      tokens.emplace_back(text.data() + t, space - t);
      t = space + 1;
    }
    at = end + 1;
    if (p.Code(Field::kLogStatus, row) != Code(kernels::LogStatus::kOk)) continue;
    for (const auto& [i, f] : columns) {
      const Addr128 a = p.Col(f).addr[row];
      if (kernels::IsIPv4(a)) continue;
      ++v6;
      ASSERT_EQ(tokens[i], kernels::FormatAddr(a)) << "row " << row;
    }
  }
  EXPECT_EQ(row, o.records);
  EXPECT_GT(v6, 30000u);
}

// The text writer prints IPv6 in RFC 5952's canonical form, as AWS and kernels::FormatAddr do:
// the longest run of two or more zero groups becomes "::" (the first of equal runs), a lone zero
// group stays "0". Generated addresses seldom have the shapes that tell these apart (a lone zero
// beside no longer run, two equal runs), so they are written here directly.
TEST(GenerateTest, AddressesAreWrittenInCanonicalForm) {
  const std::pair<gen_detail::Addr, std::string_view> kCases[] = {
      {gen_detail::V6(0x20010db800000001ull, 0x0001000100010001ull), "2001:db8:0:1:1:1:1:1"},
      {gen_detail::V6(0x20010db800000000ull, 0x0001000000000001ull), "2001:db8::1:0:0:1"},
      {gen_detail::V6(0x2001000000000001ull, 0x0000000000000001ull), "2001:0:0:1::1"},
      {gen_detail::V6(0, 0), "::"},
      {gen_detail::V6(0, 1), "::1"},
      {gen_detail::V6(0x0001000000000000ull, 0), "1::"},
      {gen_detail::V4(10, 0, 100, 255), "10.0.100.255"},
  };
  for (const auto& [addr, text] : kCases) {
    char buf[64];
    EXPECT_EQ(std::string_view(buf, gen_detail::WriteAddr(buf, addr) - buf), text);
  }
}

// Attacks in a span shorter than they last (a syn flood of 120-280 s in three minutes) are
// shortened to fit: every record starts and ends in the span, start <= end. The flood's records
// had been spread over its unshortened length (the length went to it before it was cut), and
// 993 of them started after the span's end and after their own end.
TEST(GenerateTest, AttacksInASpanShorterThanTheyLastStayInIt) {
  GenOptions o = Options("v5", 60000, 4);
  o.attacks = AllAttacks();
  for (const double hours : {0.01, 0.05}) {
    o.hours = hours;
    ExpectTimesInside(o);
  }
}

// A VPC's subnets (a /20 per tier and AZ) hold 4,091 ENI addresses each: a network whose ENIs do
// not fit is refused, not given shared primary addresses (at 60,000 interfaces, 11,382 of 29,789
// addresses seen had two or more ENIs).
TEST(GenerateTest, ANetworkLargerThanItsSubnetsIsRefused) {
  GenOptions o = Options("v5", 1000, 7);
  o.interfaces = 40000;
  try {
    FlowGenerator g(o);
    ADD_FAILURE() << "40000 interfaces accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("4091"), std::string::npos) << e.what();
  }
  o.interfaces = 20000;  // fits
  EXPECT_NO_THROW(FlowGenerator{o});
}

// A NAT gateway's ENI forwards its hosts' requests to the internet by the internet gateway
// (traffic-path 8) and the answers back to them within the VPC (1). interface-type (v11) names
// its ENI.
TEST(GenerateTest, NatGatewayTrafficLeavesByTheInternetGateway) {
  const GenOptions o = Options("v11", 30000, 8);
  const Parsed p(GenerateText(o), o.format);
  ASSERT_EQ(p.batch.bad_lines.size(), 0u);
  size_t out = 0, back = 0;
  for (size_t r = 0; r < p.batch.rows; ++r) {
    if (p.Code(Field::kLogStatus, r) != Code(kernels::LogStatus::kOk) ||
        p.Str(Field::kInterfaceType, r) != "nat_gateway" ||
        p.Code(Field::kFlowDirection, r) != static_cast<uint8_t>(kernels::FlowDirection::kEgress)) {
      continue;
    }
    const Addr128 dst = p.Col(Field::kDstAddr).addr[r];
    const bool internal = kernels::IsIPv4(dst) && (kernels::IPv4Of(dst) >> 24) == 10;
    (internal ? back : out)++;
    EXPECT_EQ(p.U64(Field::kTrafficPath, r), internal ? 1u : 8u) << "row " << r;
  }
  EXPECT_GT(out, 100u);
  EXPECT_GT(back, 100u);
}

}  // namespace
}  // namespace flowsift
