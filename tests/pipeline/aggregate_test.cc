#include "pipeline/aggregate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>

#include "kernels/addr.h"
#include "pipeline/distinct.h"
#include "pipeline/generate.h"
#include "pipeline/parse_chunk.h"
#include "pipeline/run.h"
#include "pipeline/saturating.h"
#include "pipeline/serial.h"

namespace flowsift {
namespace {

// Parses `text` (no header line) in chunks of about `chunk_bytes` that end at line ends and
// calls f(batch, base, k) for the k-th chunk, whose string spans point into base.
template <typename F>
void ForEachChunk(const std::string& text, const Format& format, size_t chunk_bytes, F&& f) {
  std::string padded = text;
  padded.append(kernels::kPadding, '\0');
  ParseScratch scratch;
  size_t pos = 0, k = 0;
  while (pos < text.size()) {
    size_t end = std::min(text.size(), pos + chunk_bytes);
    while (end < text.size() && text[end - 1] != '\n') ++end;
    const auto* base = reinterpret_cast<const uint8_t*>(padded.data()) + pos;
    const ParsedBatch b = ParseChunk(base, end - pos, format, Aggregator::NeededFields(), scratch);
    f(b, base, k++);
    pos = end;
  }
}

// Parses `text` and adds it to `agg` in chunks of about `chunk_bytes`, each chunk's order being
// first_order + its index; returns the number of chunks.
size_t AddText(Aggregator& agg, const std::string& text, const Format& format,
               size_t chunk_bytes = 1 << 30, size_t first_order = 0) {
  size_t chunks = 0;
  ForEachChunk(text, format, chunk_bytes, [&](const ParsedBatch& b, const uint8_t* base, size_t k) {
    EXPECT_TRUE(b.bad_lines.empty());
    agg.Add(b, base, first_order + k);
    chunks = k + 1;
  });
  return chunks;
}

// Two interfaces, two 600 s windows, hand-computed below.
const char kLines[] =
    // eni-a, window 1700000400: inbound web traffic from the internet, a reject, NODATA.
    "2 111111111111 eni-a 198.51.100.7 10.0.1.5 50000 443 6 10 5000 1700000401 1700000460 ACCEPT "
    "OK\n"
    "2 111111111111 eni-a 10.0.1.5 198.51.100.7 443 50000 6 8 20000 1700000401 1700000460 ACCEPT "
    "OK\n"
    "2 111111111111 eni-a 203.0.113.9 10.0.1.5 40000 22 6 1 40 1700000500 1700000500 REJECT OK\n"
    "2 111111111111 eni-a - - - - - - - 1700000600 1700000660 - NODATA\n"
    // eni-a, window 1700001000: internal only; skipdata.
    "2 111111111111 eni-a 10.0.1.5 10.0.2.7 33000 5432 6 4 400 1700001001 1700001050 ACCEPT OK\n"
    "2 111111111111 eni-a - - - - - - - 1700001100 1700001160 - SKIPDATA\n"
    // eni-b (account first seen 222..., later 333...), window 1700000400.
    "2 222222222222 eni-b 203.0.113.9 10.0.1.6 40001 22 6 1 44 1700000410 1700000410 REJECT OK\n"
    "2 333333333333 eni-b 203.0.113.10 10.0.1.6 40002 3389 6 2 120 1700000420 1700000430 ACCEPT "
    "OK\n";

// WindowDivider's multiply equals the division for every width and time: at and around every
// multiple of the width near 0, 1.7e9 and the 2^40 limit of the multiply, at the limit itself
// and above it (where it divides), and at random times.
TEST(WindowDivider, EqualsTheDivisionForEveryWidthAndTime) {
  std::mt19937_64 rng(11);
  std::vector<uint64_t> widths = {
      1,         2,     3,      7,       60,      300,           600,        1800,
      3600,      86400, 604800, 1000003, 1 << 24, (1 << 24) + 1, 1000000000, (1ull << 40) + 3,
      UINT64_MAX};
  for (int i = 0; i < 40; ++i) widths.push_back(1 + rng() % (i < 20 ? 100000 : UINT64_MAX));
  for (const uint64_t w : widths) {
    const WindowDivider divider(w);
    std::vector<uint64_t> times = {0, 1, UINT64_MAX, UINT64_MAX - 1};
    for (const uint64_t base : {uint64_t{0}, uint64_t{1700000000}, (uint64_t{1} << 40) - 1,
                                uint64_t{1} << 40, uint64_t{1} << 63}) {
      const uint64_t start = WindowOf(base, w);
      for (uint64_t k = 0; k < 4; ++k) {
        for (const int64_t d : {-1, 0, 1}) times.push_back(start + k * w + d);
      }
      times.push_back(base);
    }
    for (int i = 0; i < 2000; ++i) {
      times.push_back(i % 2 ? rng() % (uint64_t{1} << 40) : rng());
    }
    for (const uint64_t t : times)
      ASSERT_EQ(divider.Of(t), WindowOf(t, w)) << "t=" << t << " w=" << w;
  }
}

TEST(Aggregator, HandComputedWindows) {
  AggregateOptions opt;
  Aggregator agg(opt);
  AddText(agg, kLines, Format::Default());
  const std::vector<WindowRow> rows = agg.Windows();
  ASSERT_EQ(rows.size(), 3u);
  const WindowRow want0{"eni-a", "111111111111", 1700000400, 1700001000, 4,    1, 0, 2, 1,
                        19,      25040,          40,         20000,      5040, 3, 2, 3};
  EXPECT_EQ(rows[0], want0);
  const WindowRow want1{
      "eni-a", "111111111111", 1700001000, 1700001600, 2, 0, 1, 1, 0, 4, 400, 0, 0, 0, 1, 1, 1};
  EXPECT_EQ(rows[1], want1);
  const WindowRow want2{
      "eni-b", "222222222222", 1700000400, 1700001000, 2, 0, 0, 1, 1, 3, 164, 44, 0, 164, 2, 1, 2};
  EXPECT_EQ(rows[2], want2);
  EXPECT_EQ(agg.records(), 8u);
}

// One window's lines from one source to one destination, a line per port, each port twice, in
// a shuffled order.
std::string PortLines(const std::vector<uint16_t>& ports, uint64_t start, uint64_t seed) {
  std::vector<uint16_t> all = ports;
  all.insert(all.end(), ports.begin(), ports.end());
  std::shuffle(all.begin(), all.end(), std::mt19937_64(seed));
  std::string text;
  for (const uint16_t p : all) {
    text += "2 111111111111 eni-a 10.0.1.5 10.0.2.7 40000 " + std::to_string(p) + " 6 1 40 " +
            std::to_string(start) + " " + std::to_string(start) + " ACCEPT OK\n";
  }
  return text;
}

// Each interface's life for detection (LivesOf): the hour of its first window to the end of the
// hour of its last, from the windows in (name, start) order: the same for every --window.
TEST(Aggregator, TheInterfacesLivesAreTheirFirstAndLastWindows) {
  const std::string text =
      "2 111111111111 eni-b 10.0.0.1 10.0.0.2 40000 443 6 1 40 1700000401 1700000402 ACCEPT OK\n"
      "2 111111111111 eni-a 10.0.0.1 10.0.0.2 40000 443 6 1 40 1700003000 1700003001 ACCEPT OK\n"
      "2 111111111111 eni-a 10.0.0.1 10.0.0.2 40000 443 6 1 40 1700000100 1700000101 ACCEPT OK\n"
      "2 111111111111 eni-b 10.0.0.1 10.0.0.2 40000 443 6 1 40 1700000500 1700000501 ACCEPT OK\n";
  Aggregator agg(AggregateOptions{});  // 600 s windows
  AddText(agg, text, Format::Default());
  const InterfaceLives lives = LivesOf(agg.WindowsInOrder());
  ASSERT_EQ(lives.size(), 2u);
  EXPECT_EQ(lives.at("eni-a").begin, 1699999200u);
  EXPECT_EQ(lives.at("eni-a").end, 1700006400u);
  EXPECT_EQ(lives.at("eni-b").begin, 1699999200u);
  EXPECT_EQ(lives.at("eni-b").end, 1700002800u);
}

// Past 2,048 values a distinct count is a sketch's estimate, which may be above the truth: never
// above the window's records, nor an exposure row's sources above its flows. 2,049 sources
// 10.0.0.7, 10.0.0.14, ... are estimated 2,056, and 11.0.0.7, 11.0.0.14, ... (external) 2,051.
TEST(Aggregator, ADistinctCountIsNeverAboveTheRecords) {
  // Records from 2,049 sources a.0.0.7, a.0.0.14, ... to 10.9.9.9:443, and the sources' estimate.
  const auto sources = [](uint32_t a) {
    std::string text;
    DistinctCounter raw;
    for (uint32_t n = 1; n <= 2049; ++n) {
      const uint32_t v4 = (a << 24) + 7 * n;
      raw.Add(HashAddr(kernels::AddrFromIPv4(v4)));
      text += "2 111111111111 eni-a " + std::to_string(v4 >> 24) + "." +
              std::to_string((v4 >> 16) & 255) + "." + std::to_string((v4 >> 8) & 255) + "." +
              std::to_string(v4 & 255) +
              " 10.9.9.9 40000 443 6 1 40 1700000401 1700000402 ACCEPT OK\n";
    }
    return std::make_pair(text, raw.Count());
  };
  const auto [internal, internal_estimate] = sources(10);
  ASSERT_GT(internal_estimate, 2049u);  // the estimate this test is about
  Aggregator agg(AggregateOptions{});
  AddText(agg, internal, Format::Default());
  ASSERT_EQ(agg.Windows().size(), 1u);
  EXPECT_EQ(agg.Windows()[0].records, 2049u);
  EXPECT_EQ(agg.Windows()[0].distinct_srcaddr, 2049u);

  const auto [external, external_estimate] = sources(11);
  ASSERT_GT(external_estimate, 2049u);
  Aggregator exposed(AggregateOptions{});
  AddText(exposed, external, Format::Default());
  const std::vector<ExposureRow> rows = exposed.Exposure();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].accepted_external, 2049u);
  EXPECT_EQ(rows[0].distinct_external_sources, 2049u);
}

// A window's distinct ports are exact in each of the port counter's forms (inline, a table of
// 16 to 256 slots, the bitmap) and at each change of form, port 0 (a table's empty slot value)
// included; through merges of counters of different forms, a saved and loaded state, and a
// window reserved from an interface's previous one.
TEST(Aggregator, DistinctPortsExactInEveryForm) {
  std::mt19937_64 rng(21);
  std::vector<uint16_t> every(65536);
  std::iota(every.begin(), every.end(), 0);
  for (const size_t n : {1, 4, 5, 12, 13, 48, 49, 191, 192, 193, 194, 700, 65536}) {
    std::shuffle(every.begin() + 1, every.end(), rng);
    // Port 0 and n - 1 others; ports in runs too (a table hashes them apart).
    std::vector<uint16_t> ports(every.begin(), every.begin() + n);
    if (n > 100) std::iota(ports.begin() + n - 50, ports.end(), uint16_t{1000});
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    const size_t want = ports.size();
    const std::string text = PortLines(ports, 1700000400, n);
    Aggregator whole(AggregateOptions{});
    AddText(whole, text, Format::Default());
    ASSERT_EQ(whole.Windows().size(), 1u);
    EXPECT_EQ(whole.Windows()[0].distinct_dstport, want) << n;

    // Two overlapping parts, each in its own form, merged either way and through a state.
    const std::vector<uint16_t> first(ports.begin(), ports.begin() + (want * 2 + 2) / 3);
    const std::vector<uint16_t> second(ports.begin() + want / 3, ports.end());
    for (const bool saved : {false, true}) {
      Aggregator a(AggregateOptions{}), b(AggregateOptions{});
      AddText(a, PortLines(first, 1700000400, 1), Format::Default());
      AddText(b, PortLines(second, 1700000400, 2), Format::Default());
      if (saved) {
        std::string state;
        ByteWriter w(state);
        b.Save(w);
        Aggregator loaded(AggregateOptions{});
        ByteReader r(state);
        std::string error;
        ASSERT_TRUE(loaded.Load(r, &error)) << error;
        EXPECT_EQ(loaded.Windows(), b.Windows()) << n;
        b = std::move(loaded);
      }
      b.Merge(a);
      EXPECT_EQ(b.Windows()[0].distinct_dstport, want) << n << (saved ? " saved" : "");
    }

    // The next window of the interface starts at this one's size: three ports there.
    Aggregator next(AggregateOptions{});
    AddText(next, text + PortLines({7, 0, 9}, 1700001000, 3), Format::Default());
    ASSERT_EQ(next.Windows().size(), 2u);
    EXPECT_EQ(next.Windows()[1].distinct_dstport, 3u) << n;
  }
}

// A saved window's port list holds at most 192 ports: a longer one is malformed.
TEST(Aggregator, LoadRefusesAPortListPastItsLimit) {
  std::vector<uint16_t> ports(192);
  std::iota(ports.begin(), ports.end(), uint16_t{1});
  Aggregator agg(AggregateOptions{});
  AddText(agg, PortLines(ports, 1700000400, 1), Format::Default());
  std::string state;
  ByteWriter w(state);
  agg.Save(w);
  // The list is the last thing before the talkers: u8 0, u16 192, then ports 1..192 ascending.
  std::string list = std::string(1, '\0') + std::string("\xC0\x00", 2);
  for (uint16_t p = 1; p <= 192; ++p) list += std::string{static_cast<char>(p), '\0'};
  const size_t at = state.find(list);
  ASSERT_NE(at, std::string::npos);
  {
    Aggregator loaded(AggregateOptions{});
    ByteReader r(state);
    std::string error;
    EXPECT_TRUE(loaded.Load(r, &error)) << error;
  }
  std::string bad = state;
  bad[at + 1] = static_cast<char>(193);  // n = 193, one port too many claimed
  Aggregator loaded(AggregateOptions{});
  ByteReader r(bad);
  std::string error;
  EXPECT_FALSE(loaded.Load(r, &error));
}

// A window or exposure entry whose interface id is past the state's interface list (a damaged
// state) is refused, not looked up beyond the list; the last valid id is taken.
TEST(Aggregator, LoadRefusesAnInterfaceIdPastItsList) {
  Aggregator agg(AggregateOptions{});
  AddText(agg, kLines, Format::Default());  // two interfaces: eni-a 0, eni-b 1
  std::string state;
  ByteWriter w(state);
  agg.Save(w);
  const auto load = [](const std::string& bytes) {
    Aggregator loaded(AggregateOptions{});
    ByteReader r(bytes);
    std::string error;
    return loaded.Load(r, &error);
  };
  ASSERT_TRUE(load(state));
  // eni-b's window key (u32 1, u64 1700000400) and its last exposure key (u32 1, u16 3389, u8 6).
  const std::string window_key("\x01\x00\x00\x00\x90\xf2\x53\x65\x00\x00\x00\x00", 12);
  const std::string exposure_key("\x01\x00\x00\x00\x3d\x0d\x06", 7);
  for (const std::string& key : {window_key, exposure_key}) {
    const size_t at = state.rfind(key);
    ASSERT_NE(at, std::string::npos);
    std::string bad = state;
    bad[at] = 2;  // == the interface count
    EXPECT_FALSE(load(bad)) << "at " << at;
  }
}

TEST(Aggregator, HandComputedTalkersAndExposure) {
  Aggregator agg(AggregateOptions{});
  AddText(agg, kLines, Format::Default());
  const std::vector<TalkerRow> talkers = agg.Talkers();
  // Window 1700000400: 10.0.1.5 20000, 198.51.100.7 5000, 203.0.113.10 120, 203.0.113.9 84.
  // Window 1700001000: 10.0.1.5 400.
  const std::vector<TalkerRow> want = {{1700000400, 1, "10.0.1.5", 20000, 8, 1},
                                       {1700000400, 2, "198.51.100.7", 5000, 10, 1},
                                       {1700000400, 3, "203.0.113.10", 120, 2, 1},
                                       {1700000400, 4, "203.0.113.9", 84, 2, 2},
                                       {1700001000, 1, "10.0.1.5", 400, 4, 1}};
  EXPECT_EQ(talkers, want);
  const std::vector<ExposureRow> exposure = agg.Exposure();
  const std::vector<ExposureRow> want_exposure = {{"eni-a", 22, 6, 0, 1, 1},
                                                  {"eni-a", 443, 6, 1, 0, 1},
                                                  {"eni-b", 22, 6, 0, 1, 1},
                                                  {"eni-b", 3389, 6, 1, 0, 1}};
  EXPECT_EQ(exposure, want_exposure);
}

TEST(Aggregator, ExposureCountsTheSourcesOfRecordsWithoutAnAction) {
  // Two external sources to eni-x:443/6, one of them in a record without an action: one flow
  // counted (accepted), two sources. The cap "never more than the flows" is for a sketch's
  // estimate; it had cut this exact 2 to 1 (docs/outputs.md, exposure).
  Aggregator agg(AggregateOptions{});
  AddText(agg,
          "2 1 eni-x 5.5.5.5 10.2.2.2 1234 443 6 1 100 1700000000 1700000060 - OK\n"
          "2 1 eni-x 5.5.5.6 10.2.2.2 1234 443 6 1 100 1700000000 1700000060 ACCEPT OK\n",
          Format::Default());
  const std::vector<ExposureRow> want = {{"eni-x", 443, 6, 1, 0, 2}};
  EXPECT_EQ(agg.Exposure(), want);
}

TEST(Aggregator, PktAddressesAreTheEffectiveAddresses) {
  // A NAT gateway ENI: srcaddr/dstaddr are the gateway's own address, pkt-* the real peers.
  std::string error;
  const auto f = Format::Parse(
      "interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr dstport protocol bytes start action",
      &error);
  ASSERT_TRUE(f) << error;
  Aggregator agg(AggregateOptions{});
  AddText(agg,
          "eni-nat 10.0.0.220 203.0.113.5 10.0.1.5 203.0.113.5 443 6 1000 1700000000 ACCEPT\n"
          "eni-nat 203.0.113.5 10.0.0.220 203.0.113.5 10.0.1.5 51000 6 9000 1700000000 ACCEPT\n"
          "eni-nat 203.0.113.5 10.0.0.220 - - 51000 6 7 1700000000 ACCEPT\n",
          *f);
  const auto rows = agg.Windows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].bytes_out_external, 1000u);
  EXPECT_EQ(rows[0].bytes_in_external, 9007u);
  EXPECT_EQ(rows[0].distinct_srcaddr, 2u);  // 10.0.1.5 and 203.0.113.5
  EXPECT_EQ(rows[0].account_id, "-");       // the format has no account-id
  const auto talkers = agg.Talkers();
  ASSERT_EQ(talkers.size(), 2u);
  EXPECT_EQ(talkers[0].srcaddr, "203.0.113.5");
  EXPECT_EQ(talkers[1].srcaddr, "10.0.1.5");
}

TEST(Aggregator, TopTwentyWithTiesBrokenBySourceText) {
  std::string text;
  for (int i = 0; i < 30; ++i) {
    // 30 sources; 10.0.0.10..10.0.0.39, all 100 bytes except .25 (500).
    text += "2 1 eni-a 10.0.0." + std::to_string(10 + i) + " 10.9.9.9 1 2 6 1 " +
            (i == 15 ? "500" : "100") + " 1700000000 1700000001 ACCEPT OK\n";
  }
  Aggregator agg(AggregateOptions{});
  AddText(agg, text, Format::Default());
  const auto talkers = agg.Talkers();
  ASSERT_EQ(talkers.size(), kTopTalkers);
  EXPECT_EQ(talkers[0].srcaddr, "10.0.0.25");
  // Then ties at 100 bytes, ascending as text: 10.0.0.10, 10.0.0.11, ... (text order).
  EXPECT_EQ(talkers[1].srcaddr, "10.0.0.10");
  EXPECT_EQ(talkers[19].srcaddr, "10.0.0.29");
  for (size_t i = 0; i < talkers.size(); ++i) EXPECT_EQ(talkers[i].rank, i + 1);
}

TEST(Aggregator, TransitGatewayInterfaceIsTheAttachment) {
  std::string error;
  const auto f = Format::Parse("tgw-attachment-id srcaddr dstaddr bytes start", &error);
  Aggregator agg(AggregateOptions{});
  AddText(agg, "tgw-attach-1 10.0.0.1 10.1.0.1 5 1700000000\n", *f);
  ASSERT_EQ(agg.Windows().size(), 1u);
  EXPECT_EQ(agg.Windows()[0].interface_id, "tgw-attach-1");
}

// Generated v2 records over `hours`, without a header line (pipeline/generate.h).
std::string Generated(uint64_t seed, size_t records, uint32_t interfaces, double hours = 1.0) {
  GenOptions g;
  g.seed = seed;
  g.records = records;
  g.hours = hours;
  g.interfaces = interfaces;
  g.header = false;
  return GenerateText(g);
}

// The references' reading of a line: its fields split on spaces.
std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> f;
  std::istringstream fs(line);
  for (std::string t; fs >> t;) f.push_back(t);
  return f;
}

// The references' reading of an address field (the scalar parser, no SIMD kernel).
kernels::Addr128 RefAddr(const std::string& s) {
  kernels::Addr128 a;
  EXPECT_EQ(kernels::ParseAddrScalar(reinterpret_cast<const uint8_t*>(s.data()), s.size(), &a),
            kernels::FieldStatus::kOk)
      << s;
  return a;
}

// The independent reference: split each line on spaces, maps and std::set, no kernels.
std::vector<WindowRow> ReferenceWindows(const std::string& text, uint64_t w) {
  const NetworkSet internal = NetworkSet::DefaultInternal();
  struct Acc {
    WindowRow row;
    std::set<std::string> src, dst, ports;
  };
  std::map<std::pair<std::string, uint64_t>, Acc> acc;
  std::map<std::string, std::string> account;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = Fields(line);
    EXPECT_EQ(f.size(), 14u);
    if (f.size() != 14) continue;
    account.emplace(f[2], f[1]);  // first one seen
    const uint64_t start = std::stoull(f[10]);
    Acc& a = acc[{f[2], start - start % w}];
    WindowRow& r = a.row;
    ++r.records;
    r.nodata += f[13] == "NODATA";
    r.skipdata += f[13] == "SKIPDATA";
    r.accepted += f[12] == "ACCEPT";
    r.rejected += f[12] == "REJECT";
    const uint64_t bytes = f[9] == "-" ? 0 : std::stoull(f[9]);
    r.packets += f[8] == "-" ? 0 : std::stoull(f[8]);
    r.bytes += bytes;
    if (f[12] == "REJECT") r.rejected_bytes += bytes;
    if (f[3] != "-") a.src.insert(kernels::FormatAddr(RefAddr(f[3])));
    if (f[4] != "-") a.dst.insert(kernels::FormatAddr(RefAddr(f[4])));
    if (f[6] != "-") a.ports.insert(f[6]);
    if (f[3] != "-" && f[4] != "-") {
      const bool si = internal.Contains(RefAddr(f[3])), di = internal.Contains(RefAddr(f[4]));
      if (si && !di) r.bytes_out_external += bytes;
      if (!si && di) r.bytes_in_external += bytes;
    }
  }
  std::vector<WindowRow> rows;
  for (auto& [key, a] : acc) {
    a.row.interface_id = key.first;
    a.row.account_id = account[key.first];
    a.row.window_start = key.second;
    a.row.window_end = key.second + w;
    a.row.distinct_srcaddr = a.src.size();
    a.row.distinct_dstaddr = a.dst.size();
    a.row.distinct_dstport = a.ports.size();
    rows.push_back(a.row);
  }
  return rows;  // std::map order = (interface_id, window_start)
}

// 40 interfaces, and 700: more than AddRows once kept window caches for (256, by the id's low
// byte), with the windows cached per interface across the chunks' AddRows calls.
TEST(Aggregator, GeneratedDataMatchesAnIndependentReferenceExactly) {
  for (const uint32_t interfaces : {40u, 700u}) {
    const std::string text = Generated(11, 60000, interfaces, 2);
    for (uint32_t w : {60u, 600u, 3600u}) {
      AggregateOptions opt;
      opt.window = w;
      Aggregator agg(opt);
      AddText(agg, text, Format::Default(), 256 << 10);
      const auto want = ReferenceWindows(text, w);
      const auto got = agg.Windows();
      ASSERT_EQ(got.size(), want.size()) << "window " << w << ", " << interfaces;
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << "window " << w << " row " << i << " " << got[i].interface_id;
      }
    }
  }
}

// Exposure by the same reference's rules: records from an external source with a port and a
// protocol, per (interface, dst port, protocol), in key order.
std::vector<ExposureRow> ReferenceExposure(const std::string& text,
                                           std::vector<std::string>& names) {
  const NetworkSet internal = NetworkSet::DefaultInternal();
  struct Acc {
    uint64_t accepted = 0, rejected = 0;
    std::set<std::string> sources;
  };
  std::map<std::tuple<std::string, uint32_t, uint32_t>, Acc> acc;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = Fields(line);
    if (f.size() != 14 || f[3] == "-" || f[6] == "-" || f[7] == "-") continue;
    const kernels::Addr128 src = RefAddr(f[3]);
    if (internal.Contains(src)) continue;
    Acc& a = acc[{f[2], std::stoul(f[6]), std::stoul(f[7])}];
    a.accepted += f[12] == "ACCEPT";
    a.rejected += f[12] == "REJECT";
    a.sources.insert(kernels::FormatAddr(src));
  }
  names.clear();
  for (const auto& [key, a] : acc) names.push_back(std::get<0>(key));
  std::vector<ExposureRow> rows;
  size_t i = 0;
  for (const auto& [key, a] : acc) {
    rows.push_back(
        {names[i++], std::get<1>(key), std::get<2>(key), a.accepted, a.rejected, a.sources.size()});
  }
  return rows;
}

// The exposure table of generated data (external scanners on random ports, web clients,
// rejects), read once half-way and once at the end, equals the reference's row for row.
TEST(Aggregator, ExposureMatchesAnIndependentReference) {
  const std::string text = Generated(12, 40000, 30);
  const size_t half = text.find('\n', text.size() / 2) + 1;
  std::vector<std::string> names, half_names;
  const auto want_half = ReferenceExposure(text.substr(0, half), half_names);
  const auto want = ReferenceExposure(text, names);
  ASSERT_GT(want.size(), 1000u);
  Aggregator agg(AggregateOptions{});
  AddText(agg, text.substr(0, half), Format::Default(), 32 << 10);
  EXPECT_EQ(agg.Exposure(), want_half);
  AddText(agg, text.substr(half), Format::Default(), 32 << 10, 1000);
  const auto got = agg.Exposure();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << "row " << i;
}

// Exposure rows come as runs of one interface's keys (a table's entries in key order), the runs
// in the order of the interfaces' names: with more than 256 interfaces, and with TCP alone (one
// protocol byte), both orders equal the reference's.
TEST(Aggregator, ExposureOrderHoldsForManyInterfacesAndOneProtocol) {
  const std::string text = Generated(13, 30000, 300);
  std::vector<std::string> names;
  const auto want = ReferenceExposure(text, names);
  std::set<std::string> interfaces(names.begin(), names.end());
  ASSERT_GT(interfaces.size(), 256u);
  Aggregator agg(AggregateOptions{});
  AddText(agg, text, Format::Default(), 64 << 10);
  EXPECT_EQ(agg.Exposure(), want);

  std::string tcp;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const std::vector<std::string> f = Fields(line);
    if (f.size() == 14 && f[7] == "6") tcp += line + "\n";
  }
  const auto want_tcp = ReferenceExposure(tcp, names);
  ASSERT_GT(want_tcp.size(), 1000u);
  Aggregator tcp_only(AggregateOptions{});
  AddText(tcp_only, tcp, Format::Default(), 64 << 10);
  EXPECT_EQ(tcp_only.Exposure(), want_tcp);
}

// The writer formats the exposure rows by frames of rows, each from ExposureRows::ForEach over
// a range that may start and end anywhere in an interface's run: every range gives those rows.
TEST(Aggregator, ExposureRowsOfAnyRangeAreThoseRows) {
  const std::string text = Generated(14, 20000, 40);
  Aggregator agg(AggregateOptions{});
  AddText(agg, text, Format::Default(), 64 << 10);
  const ExposureRows view = agg.ExposureInOrder();
  const std::vector<ExposureRow> rows = agg.Exposure();
  ASSERT_GT(rows.size(), 1000u);
  ASSERT_EQ(view.size(), rows.size());
  // Every range that starts or ends at an interface's first row, or one row either side of it.
  std::vector<size_t> edges = {0, 1, rows.size() - 1, rows.size()};
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].interface_id != rows[i - 1].interface_id)
      edges.insert(edges.end(), {i - 1, i, i + 1});
  }
  ASSERT_GT(edges.size(), 60u);
  std::mt19937_64 rng(14);
  for (int trial = 0; trial < 400; ++trial) {
    size_t begin = edges[rng() % edges.size()], end = edges[rng() % edges.size()];
    if (trial % 2 == 1) end = rng() % (rows.size() + 1);
    if (begin > end) std::swap(begin, end);
    std::vector<ExposureRow> got;
    view.ForEach(begin, end, [&](const ExposureRow& r) { got.push_back(r); });
    ASSERT_EQ(got, std::vector<ExposureRow>(rows.begin() + begin, rows.begin() + end))
        << begin << ".." << end;
  }
}

// The writer formats the windows rows by frames of rows, each from WindowRows::ForEach over a
// range (one row object refilled for each): every range of the view, over absorbed states whose
// names interleave in the output, gives the independent reference's rows, and start() and
// width() their window bounds.
TEST(Aggregator, WindowRowsOfAnyRangeAreTheReferenceRows) {
  const std::string text = Generated(15, 20000, 40);
  const auto want = ReferenceWindows(text, 300);
  ASSERT_GT(want.size(), 200u);
  AggregateOptions opt;
  opt.window = 300;
  // Three aggregators, each given the interfaces of one hash class, absorbed into the first.
  std::string parts[3];
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    parts[std::hash<std::string>()(Fields(line)[2]) % 3] += line + "\n";
  }
  Aggregator agg(opt);
  AddText(agg, parts[0], Format::Default(), 64 << 10);
  for (int k = 1; k < 3; ++k) {
    ASSERT_FALSE(parts[k].empty());
    Aggregator other(opt);
    AddText(other, parts[k], Format::Default(), 64 << 10);
    agg.Absorb(std::move(other));
  }
  const WindowRows view = agg.WindowsInOrder();
  ASSERT_EQ(view.size(), want.size());
  EXPECT_EQ(view.width(), 300u);
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(view.start(i), want[i].window_start) << i;
    ASSERT_EQ(view.start(i) + view.width(), want[i].window_end) << i;
  }
  std::mt19937_64 rng(15);
  for (int trial = 0; trial < 300; ++trial) {
    size_t begin = rng() % (want.size() + 1), end = rng() % (want.size() + 1);
    if (begin > end) std::swap(begin, end);
    std::vector<WindowRow> got;
    view.ForEach(begin, end, [&](const WindowRow& r) { got.push_back(r); });
    ASSERT_EQ(got, std::vector<WindowRow>(want.begin() + begin, want.begin() + end))
        << begin << ".." << end;
  }
  EXPECT_EQ(view.ToVector(), want);
}

// An interface whose exposure keys are in two absorbed states (its even ports in one, its odd
// ports in the other, which holds nothing else): its rows are made and merged in port order.
TEST(Aggregator, ExposureOfAnInterfaceSplitOverAbsorbedStates) {
  const std::string text = Generated(15, 20000, 12);
  Aggregator whole(AggregateOptions{});
  AddText(whole, text, Format::Default(), 64 << 10);
  Aggregator even(AggregateOptions{}), odd(AggregateOptions{});
  ForEachChunk(text, Format::Default(), 64 << 10,
               [&](const ParsedBatch& b, const uint8_t* base, size_t order) {
                 const Column* port = b.Find(Field::kDstPort);
                 ASSERT_NE(port, nullptr);
                 std::vector<uint32_t> rows[2];
                 for (uint32_t r = 0; r < b.rows; ++r) rows[port->u64[r] % 2].push_back(r);
                 even.AddRows(b, base, order, rows[0].data(), nullptr, rows[0].size());
                 odd.AddRows(b, base, order, rows[1].data(), nullptr, rows[1].size(),
                             kExposureTable);
               });
  const std::vector<ExposureRow> want = whole.Exposure();
  size_t split = 0;  // interfaces with both even and odd ports
  std::map<std::string_view, int> parities;
  for (const ExposureRow& r : want) parities[r.interface_id] |= 1 << (r.dst_port % 2);
  for (const auto& [name, bits] : parities) split += bits == 3;
  ASSERT_GT(split, 5u);
  even.Absorb(std::move(odd));
  EXPECT_EQ(even.Exposure(), want);
}

// A run without detection splits each partition's work over two aggregators: one keeps its
// windows and talkers, the other its exposure table alone (a loop of its own, AddRows). Their
// union equals one aggregator's tables, on formats with pkt-srcaddr, without protocol and with
// a missing interface, with rows that Route sends to another partition for their exposure.
TEST(Aggregator, ExposureAloneBesideWindowsAndTalkersEqualsOneAggregator) {
  // (format, whether it can have exposure rows: it needs dstport and protocol)
  for (const auto& [spec, exposed] : std::vector<std::pair<const char*, bool>>{
           {"v2", true},
           {"v5", true},
           {"interface-id pkt-srcaddr srcaddr dstaddr dstport protocol bytes start action", true},
           {"interface-id srcaddr dstaddr dstport bytes start action", false},
           {"srcaddr dstaddr dstport protocol packets start log-status", true}}) {
    std::string error;
    const std::optional<Format> format = Format::Parse(spec, &error);
    ASSERT_TRUE(format) << spec << ": " << error;
    GenOptions g;
    g.seed = 21;
    g.records = 20000;
    g.interfaces = 12;
    g.header = false;
    g.format = *format;
    const std::string text = GenerateText(g);
    Aggregator whole(AggregateOptions{});
    AddText(whole, text, *format, 64 << 10);
    ASSERT_FALSE(whole.Windows().empty()) << spec;
    ASSERT_EQ(whole.Exposure().empty(), !exposed) << spec;
    for (const size_t parts : {1u, 3u}) {
      std::vector<Aggregator> first, exposure;
      for (size_t k = 0; k < parts; ++k) {
        first.emplace_back(AggregateOptions{});
        exposure.emplace_back(AggregateOptions{});
      }
      ForEachChunk(
          text, *format, 64 << 10, [&](const ParsedBatch& b, const uint8_t* base, size_t order) {
            std::vector<uint32_t> rows(b.rows);
            for (uint32_t r = 0; r < rows.size(); ++r) rows[r] = r;
            std::vector<PartitionRows> out(parts);
            Aggregator::Route(b, base, rows.data(), rows.size(), AggregateOptions{}.internal, out);
            for (size_t k = 0; k < parts; ++k) {
              const uint8_t* tables = parts == 1 ? nullptr : out[k].tables.data();
              first[k].AddRows(b, base, order, out[k].rows.data(), tables, out[k].rows.size(),
                               kWindowTable | kTalkerTable);
              exposure[k].AddRows(b, base, order, out[k].rows.data(), tables, out[k].rows.size(),
                                  kExposureTable);
            }
          });
      EXPECT_EQ(exposure[0].records(), 0u) << spec;
      EXPECT_TRUE(exposure[0].Windows().empty()) << spec;
      Aggregator combined = std::move(first[0]);
      combined.AbsorbPartition(std::move(exposure[0]));
      for (size_t k = 1; k < parts; ++k) {
        combined.AbsorbPartition(std::move(first[k]));
        combined.AbsorbPartition(std::move(exposure[k]));
      }
      EXPECT_EQ(combined.Windows(), whole.Windows()) << spec << " " << parts;
      EXPECT_EQ(combined.Talkers(), whole.Talkers()) << spec << " " << parts;
      EXPECT_EQ(combined.Exposure(), whole.Exposure()) << spec << " " << parts;
      EXPECT_EQ(combined.records(), whole.records()) << spec << " " << parts;
    }
  }
}

TEST(AddSaturating, StopsAtTheLargestSignedValue) {
  const uint64_t max = INT64_MAX;
  for (const auto& [a, b, want] :
       std::vector<std::tuple<uint64_t, uint64_t, uint64_t>>{{0, 0, 0},
                                                             {1, 2, 3},
                                                             {max - 1, 1, max},
                                                             {max - 1, 2, max},
                                                             {max, 1, max},
                                                             {max, max, max},
                                                             {max / 2 + 1, max / 2 + 1, max},
                                                             {max / 2, max / 2, max - 1}}) {
    uint64_t sum = a;
    AddSaturating(sum, b);
    EXPECT_EQ(sum, want) << a << " + " << b;
  }
  EXPECT_EQ(ClampToSum(UINT64_MAX), max);
  EXPECT_EQ(ClampToSum(max), max);
  EXPECT_EQ(ClampToSum(7), 7u);
}

// Two records out and two in of 9 * 10^18 bytes each (lines that parse, as damaged ones may)
// leave every packets and bytes sum at 2^63 - 1, in one aggregator, merged, and through a
// partial state; bytes wrapped round to 3.6 * 10^19 - 2^64 before.
TEST(Aggregator, SumsStopAtTheLargestSignedValue) {
  const uint64_t max = INT64_MAX;
  const std::string out =
      "2 111111111111 eni-a 10.0.1.5 198.51.100.7 443 50000 6 5000000000000000000 "
      "9000000000000000000 1700000401 1700000460 REJECT OK\n";
  const std::string in =
      "2 111111111111 eni-a 198.51.100.7 10.0.1.5 50000 443 6 5000000000000000000 "
      "9000000000000000000 1700000401 1700000460 REJECT OK\n";
  Aggregator whole(AggregateOptions{});
  AddText(whole, out + in + out + in, Format::Default());
  const std::vector<WindowRow> want = {{"eni-a", "111111111111", 1700000400, 1700001000, 4, 0, 0, 0,
                                        4, max, max, max, max, max, 2, 2, 2}};
  EXPECT_EQ(whole.Windows(), want);
  const std::vector<TalkerRow> want_talkers = {{1700000400, 1, "10.0.1.5", max, max, 2},
                                               {1700000400, 2, "198.51.100.7", max, max, 2}};
  EXPECT_EQ(whole.Talkers(), want_talkers);

  Aggregator a(AggregateOptions{}), b(AggregateOptions{});
  AddText(a, out + in, Format::Default());
  AddText(b, out + in, Format::Default());
  std::string state;
  ByteWriter w(state);
  b.Save(w);
  a.Merge(b);
  EXPECT_EQ(a.Windows(), want);
  EXPECT_EQ(a.Talkers(), want_talkers);
  Aggregator loaded(AggregateOptions{});
  for (int i = 0; i < 2; ++i) {
    ByteReader r(state);
    std::string error;
    ASSERT_TRUE(loaded.Load(r, &error)) << error;
  }
  EXPECT_EQ(loaded.Windows(), want);
  EXPECT_EQ(loaded.Talkers(), want_talkers);
}

TEST(Aggregator, MergeOfAnySplitEqualsOneAggregator) {
  const std::string text = Generated(5, 30000, 25);
  Aggregator whole(AggregateOptions{});
  const size_t chunks = AddText(whole, text, Format::Default(), 64 << 10);
  ASSERT_GT(chunks, 8u);

  // The same chunks, dealt at random to 3 aggregators, merged in a random order.
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<Aggregator> parts;
    for (int i = 0; i < 3; ++i) parts.emplace_back(AggregateOptions{});
    ForEachChunk(text, Format::Default(), 64 << 10,
                 [&](const ParsedBatch& b, const uint8_t* base, size_t order) {
                   parts[rng() % 3].Add(b, base, order);
                 });
    const size_t first = rng() % 3;
    Aggregator merged = std::move(parts[first]);
    for (size_t i = 0; i < 3; ++i) {
      if (i != first) merged.Merge(parts[i]);
    }
    EXPECT_EQ(merged.Windows(), whole.Windows()) << "trial " << trial;
    EXPECT_EQ(merged.Talkers(), whole.Talkers()) << "trial " << trial;
    EXPECT_EQ(merged.Exposure(), whole.Exposure()) << "trial " << trial;
    EXPECT_EQ(merged.records(), whole.records());
  }
}

// An interface's account is the one of its first record in input order. States of separate
// runs both start at order 0: at an equal order the bytewise-smaller account wins, whichever
// state is merged into which; a later sighting never replaces an earlier one, and an earlier
// one always does, whatever came between.
TEST(Aggregator, AccountOfTheFirstRecordAndTheSmallerOneAtEqualOrders) {
  const auto line = [](const char* account, uint64_t start) {
    return "2 " + std::string(account) + " eni-a 10.0.1.5 10.0.2.7 33000 5432 6 4 400 " +
           std::to_string(start) + " " + std::to_string(start + 10) + " ACCEPT OK\n";
  };
  const auto account_of = [](const Aggregator& a) {
    const std::vector<WindowRow> rows = a.Windows();
    return rows.empty() ? std::string("none") : rows[0].account_id;
  };
  for (const bool smaller_first : {true, false}) {
    Aggregator small(AggregateOptions{}), large(AggregateOptions{});
    AddText(small, line("111111111111", 1700000401), Format::Default(), 1 << 30, 5);
    AddText(large, line("999999999999", 1700000401), Format::Default(), 1 << 30, 5);
    Aggregator& into = smaller_first ? small : large;
    into.Merge(smaller_first ? large : small);
    EXPECT_EQ(account_of(into), "111111111111") << smaller_first;
  }
  Aggregator a(AggregateOptions{});
  AddText(a, line("333333333333", 1700000401), Format::Default(), 1 << 30, 7);
  AddText(a, line("444444444444", 1700000402), Format::Default(), 1 << 30, 9);  // later
  EXPECT_EQ(account_of(a), "333333333333");
  AddText(a, line("555555555555", 1700000403), Format::Default(), 1 << 30, 8);  // between
  EXPECT_EQ(account_of(a), "333333333333");
  AddText(a, line("222222222222", 1700000404), Format::Default(), 1 << 30, 2);  // earlier
  EXPECT_EQ(account_of(a), "222222222222");
  AddText(a, line("000000000000", 1700000405), Format::Default(), 1 << 30, 3);  // after that
  EXPECT_EQ(account_of(a), "222222222222");
}

TEST(Aggregator, RoutedPartitionsCombinedEqualOneAggregator) {
  const std::string text = Generated(7, 30000, 25);
  Aggregator whole(AggregateOptions{});
  AddText(whole, text, Format::Default(), 64 << 10);

  for (size_t parts : {2u, 3u, 5u}) {
    std::vector<Aggregator> aggs;
    for (size_t k = 0; k < parts; ++k) aggs.emplace_back(AggregateOptions{});
    bool split_rows = false;  // some row's tables went to more than one partition
    ForEachChunk(text, Format::Default(), 64 << 10,
                 [&](const ParsedBatch& b, const uint8_t* base, size_t order) {
                   std::vector<uint32_t> rows(b.rows);
                   for (uint32_t r = 0; r < rows.size(); ++r) rows[r] = r;
                   std::vector<PartitionRows> out(parts);
                   Aggregator::Route(b, base, rows.data(), rows.size(), AggregateOptions{}.internal,
                                     out);
                   size_t visits = 0;
                   for (size_t k = 0; k < parts; ++k) {
                     ASSERT_EQ(out[k].rows.size(), out[k].tables.size());
                     visits += out[k].rows.size();
                     for (uint8_t t : out[k].tables) split_rows |= t != kAllTables;
                     aggs[k].AddRows(b, base, order, out[k].rows.data(), out[k].tables.data(),
                                     out[k].rows.size());
                   }
                   // Every row once, and a second time at most (its exposure, where its
                   // interface is).
                   EXPECT_GE(visits, rows.size());
                   EXPECT_LT(visits, rows.size() * 2);
                 });
    EXPECT_TRUE(split_rows);
    Aggregator combined = std::move(aggs[parts - 1]);
    for (size_t k = 0; k + 1 < parts; ++k) combined.AbsorbPartition(std::move(aggs[k]));
    EXPECT_EQ(combined.Windows(), whole.Windows()) << parts;
    EXPECT_EQ(combined.Talkers(), whole.Talkers()) << parts;
    EXPECT_EQ(combined.Exposure(), whole.Exposure()) << parts;
    EXPECT_EQ(combined.records(), whole.records()) << parts;
    // Merging into an absorbed aggregator folds the parts together first.
    Aggregator empty(AggregateOptions{});
    combined.Merge(empty);
    EXPECT_EQ(combined.Windows(), whole.Windows()) << parts;
    EXPECT_EQ(combined.Exposure(), whole.Exposure()) << parts;
  }
}

// A window's distinct destinations are capped by its records as its sources are: 2,049 records
// from one host to 2,049 destinations whose sketch estimate is above 2,049.
TEST(Aggregator, DistinctDestinationsAreNeverAboveTheRecords) {
  std::string text;
  DistinctCounter raw;
  for (uint32_t n = 1; n <= 2049; ++n) {
    const uint32_t v4 = (10u << 24) + 7 * n;
    raw.Add(HashAddr(kernels::AddrFromIPv4(v4)));
    text += "2 111111111111 eni-a 10.9.9.9 " + std::to_string(v4 >> 24) + "." +
            std::to_string((v4 >> 16) & 255) + "." + std::to_string((v4 >> 8) & 255) + "." +
            std::to_string(v4 & 255) + " 40000 443 6 1 40 1700000401 1700000402 ACCEPT OK\n";
  }
  ASSERT_GT(raw.Count(), 2049u);  // the estimate this test is about
  Aggregator agg(AggregateOptions{});
  AddText(agg, text, Format::Default());
  ASSERT_EQ(agg.Windows().size(), 1u);
  EXPECT_EQ(agg.Windows()[0].records, 2049u);
  EXPECT_EQ(agg.Windows()[0].distinct_srcaddr, 1u);
  EXPECT_EQ(agg.Windows()[0].distinct_dstaddr, 2049u);
}

// rejected_bytes are the bytes of REJECT records only: a format without action (a Transit
// Gateway's) or a record whose action is "-" adds its bytes to `bytes` and not to them.
TEST(Aggregator, RejectedBytesAreOnlyThoseOfRejectedRecords) {
  std::string error;
  const auto tgw = Format::Parse("tgw-attachment-id srcaddr dstaddr packets bytes start", &error);
  ASSERT_TRUE(tgw) << error;
  Aggregator agg(AggregateOptions{});
  AddText(agg, "tgw-attach-1 10.0.0.1 10.1.0.1 3 500 1700000000\n", *tgw);
  ASSERT_EQ(agg.Windows().size(), 1u);
  EXPECT_EQ(agg.Windows()[0].bytes, 500u);
  EXPECT_EQ(agg.Windows()[0].rejected_bytes, 0u);
  EXPECT_EQ(agg.Windows()[0].accepted, 0u);
  EXPECT_EQ(agg.Windows()[0].rejected, 0u);
  const auto f = Format::Parse("interface-id srcaddr dstaddr bytes start action", &error);
  ASSERT_TRUE(f) << error;
  Aggregator mixed(AggregateOptions{});
  AddText(mixed,
          "eni-a 10.0.0.1 10.1.0.1 500 1700000000 -\n"
          "eni-a 10.0.0.1 10.1.0.1 40 1700000000 REJECT\n"
          "eni-a 10.0.0.1 10.1.0.1 7 1700000000 ACCEPT\n",
          *f);
  ASSERT_EQ(mixed.Windows().size(), 1u);
  EXPECT_EQ(mixed.Windows()[0].bytes, 547u);
  EXPECT_EQ(mixed.Windows()[0].rejected_bytes, 40u);
}

// Partitions of one batch each see an interface's first row of theirs at the batch's order: the
// row number tells which came first. An interface whose account changes after the batch's
// first row takes that row's account through the partitions' combine, as in one aggregator
// (an equal order had gone to the smaller account text).
TEST(Aggregator, PartitionsOfOneBatchKeepTheAccountOfItsFirstRow) {
  std::string text;
  for (int k = 1; k <= 40; ++k) {
    text += std::string("2 ") + (k == 1 ? "999999999999" : "111111111111") + " eni-a 10.0.0." +
            std::to_string(k) + " 10.0.2.7 33000 5432 6 4 400 1700000401 1700000411 ACCEPT OK\n";
  }
  Aggregator whole(AggregateOptions{});
  AddText(whole, text, Format::Default());
  ASSERT_EQ(whole.Windows().size(), 1u);
  EXPECT_EQ(whole.Windows()[0].account_id, "999999999999");
  std::vector<Aggregator> aggs;
  for (size_t k = 0; k < 2; ++k) aggs.emplace_back(AggregateOptions{});
  ForEachChunk(text, Format::Default(), 1 << 30,
               [&](const ParsedBatch& b, const uint8_t* base, size_t order) {
                 std::vector<uint32_t> rows(b.rows);
                 for (uint32_t r = 0; r < rows.size(); ++r) rows[r] = r;
                 std::vector<PartitionRows> out(2);
                 Aggregator::Route(b, base, rows.data(), rows.size(), AggregateOptions{}.internal,
                                   out);
                 // Row 0 in one partition, some row of the other account in the other.
                 ASSERT_FALSE(out[0].rows.empty());
                 ASSERT_FALSE(out[1].rows.empty());
                 for (size_t k = 0; k < 2; ++k) {
                   aggs[k].AddRows(b, base, order, out[k].rows.data(), out[k].tables.data(),
                                   out[k].rows.size());
                 }
               });
  for (const size_t first : {0u, 1u}) {
    std::vector<Aggregator> copies;
    for (Aggregator& a : aggs) {
      Aggregator copy(AggregateOptions{});
      copy.Merge(a);
      copies.push_back(std::move(copy));
    }
    Aggregator combined = std::move(copies[first]);
    combined.AbsorbPartition(std::move(copies[1 - first]));
    ASSERT_EQ(combined.Windows().size(), 1u);
    EXPECT_EQ(combined.Windows()[0].account_id, "999999999999") << first;
    EXPECT_EQ(combined.Windows(), whole.Windows()) << first;
  }
}

}  // namespace
}  // namespace flowsift
