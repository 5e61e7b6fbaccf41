// Allowlists of detection findings (pipeline/allowlist.h): the config keys, and which findings
// Detector::Findings leaves out and counts.
#include "pipeline/allowlist.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/types.h"
#include "pipeline/detect.h"
#include "pipeline/parse_chunk.h"
#include "tests/pipeline/parse_text.h"

namespace flowsift {
namespace {

const char kFields[] =
    "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "tcp-flags log-status";
constexpr uint64_t kStart = 1700000100;  // in the 300 s window from 1700000100

// One record line of kFields.
std::string Line(const std::string& src, const std::string& dst, int dport,
                 const std::string& action, uint64_t start, uint64_t packets = 1,
                 uint64_t bytes = 44, int flags = 2, int sport = 40000) {
  return "eni-a " + src + " " + dst + " " + std::to_string(sport) + " " + std::to_string(dport) +
         " 6 " + std::to_string(packets) + " " + std::to_string(bytes) + " " +
         std::to_string(start) + " " + std::to_string(start) + " " + action + " " +
         std::to_string(flags) + " OK\n";
}

// `src` rejected at 15 ports of `dst`: a port_scan (and, from outside, a scan_trw).
std::string Scan(const std::string& src, const std::string& dst) {
  std::string text;
  for (int p = 0; p < 15; ++p) text += Line(src, dst, 1000 + p, "REJECT", kStart + p);
  return text;
}

// `src` rejected at port 445 of 25 hosts 10.0.5.x: a port_sweep.
std::string Sweep(const std::string& src) {
  std::string text;
  for (int h = 1; h <= 25; ++h) {
    text += Line(src, "10.0.5." + std::to_string(h), 445, "REJECT", kStart + h);
  }
  return text;
}

// 10.0.4.4 uploading 512 MiB to each of `dsts` (1 GiB to two: an exfiltration).
std::string Upload(const std::vector<std::string>& dsts) {
  std::string text;
  const uint64_t bytes = uint64_t{512} << 20;
  for (size_t i = 0; i < dsts.size(); ++i) {
    text += Line("10.0.4.4", dsts[i], 443, "ACCEPT", kStart + i, bytes / 1400 + 1, bytes, 3,
                 40000 + static_cast<int>(i));
  }
  return text;
}

struct Result {
  std::vector<Finding> findings;
  FindingCounts allowed;
};

// The findings of `text` with the options of `config` (a config file's text).
Result FindingsOf(const std::string& text, const std::string& config = "") {
  DetectOptions o;
  std::string error;
  EXPECT_TRUE(ParseDetectConfig(config, &o, &error)) << error;
  const auto format = Format::Parse(kFields, &error);
  EXPECT_TRUE(format) << error;
  const testing::ParsedText p = testing::ParseText(text, *format);
  EXPECT_TRUE(p.batch.bad_lines.empty());
  Detector d(o);
  d.Add(p.batch, p.base());
  Result r;
  r.findings = d.Findings(std::vector<TimeSpan>{{1700000000, 1700003600}}, nullptr, &r.allowed);
  return r;
}

// Each finding's line (id and all), for comparing what remains with the run without a list.
std::vector<std::string> Lines(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) out.push_back(FindingJson(f));
  return out;
}

// The findings of `all` whose src is not `src`.
std::vector<std::string> LinesWithoutSource(const std::vector<Finding>& all,
                                            const std::string& src) {
  std::vector<Finding> kept;
  for (const Finding& f : all) {
    if (f.src != src) kept.push_back(f);
  }
  return Lines(kept);
}

FindingCounts CountsOfSource(const std::vector<Finding>& all, const std::string& src) {
  FindingCounts counts;
  for (const Finding& f : all) {
    if (f.src == src) ++counts[f.type];
  }
  return counts;
}

// --- the config keys -----------------------------------------------------------------------

TEST(AllowConfig, ListsAreReadAsSetsAndPrintedInOneSpelling) {
  DetectOptions o;
  std::string error;
  ASSERT_TRUE(
      ParseDetectConfig("allow.sources = 10.9.0.0/17, 2001:db8::/32,10.9.128.0/17\n"
                        "port_scan.allow_destinations = 192.0.2.7\n"
                        "exfiltration.allow_destinations =\n",
                        &o, &error))
      << error;
  ASSERT_EQ(o.allow.size(), 2u);  // the empty one is no list
  const std::string text = DetectConfigText(o);
  EXPECT_NE(text.find("\nallow.sources = 10.9.0.0/16,2001:db8::/32  # "), std::string::npos)
      << text;
  EXPECT_NE(text.find("\nport_scan.allow_destinations = 192.0.2.7/32  # "), std::string::npos);
  EXPECT_NE(text.find("\nexfiltration.allow_destinations =  # "), std::string::npos);
  DetectOptions again;
  ASSERT_TRUE(ParseDetectConfig(text, &again, &error)) << error;
  EXPECT_EQ(DetectConfigText(again), text);
  EXPECT_EQ(DetectOptionsJson(again), DetectOptionsJson(o));
  EXPECT_EQ(DetectOptionsJson(o)["allow.sources"], "10.9.0.0/16,2001:db8::/32");
  EXPECT_EQ(DetectOptionsJson(o)["ddos_fan_in.allow_destinations"], "");

  // With an origin, a list the file set says so.
  const std::string marked = DetectConfigText(o, "--config a.conf");
  EXPECT_NE(marked.find("allow.sources = 10.9.0.0/16,2001:db8::/32  # from --config a.conf "
                        "(default empty); "),
            std::string::npos)
      << marked;
}

TEST(AllowConfig, TheDefaultsPrintEveryKeyThatCanApplyEmpty) {
  const std::string text = DefaultDetectConfig();
  for (const std::string& key : AllowKeys()) {
    EXPECT_NE(text.find("\n" + key + " =  # "), std::string::npos) << key;
  }
  EXPECT_EQ(AllowKeys().size(), 2u + 5 + 4);  // 5 types with a src, 4 with a dst
  EXPECT_EQ(text.find("reject_spike.allow"), std::string::npos);
  EXPECT_EQ(text.find("port_sweep.allow_destinations"), std::string::npos);
}

TEST(AllowConfig, BadListsAndKeysThatCannotApplyAreRefusedByLine) {
  const struct {
    std::string text, error;
  } cases[] = {
      {"# c\nallow.sources = 10.0.0.0/33\n",
       "line 2: allow.sources wants CIDR blocks (IPv4 or IPv6, e.g. 10.20.0.0/16,2001:db8::/32) "
       "separated by commas: '10.0.0.0/33': prefix length must be 0..32"},
      {"port_scan.allow_sources = scanner.example.com\n",
       "line 1: port_scan.allow_sources wants CIDR blocks (IPv4 or IPv6, e.g. "
       "10.20.0.0/16,2001:db8::/32) separated by commas: 'scanner.example.com' is not an address "
       "or CIDR block (e.g. 10.0.0.0/8)"},
      {"allow.destinations = 10.0.0.1,,10.0.0.2\n",
       "line 1: allow.destinations wants CIDR "
       "blocks"},
      {"allow.destinations = 10.0.0.1,\n", "is empty (a comma too many?)"},
      {"reject_spike.allow_sources = 10.0.0.0/8\n",
       "line 1: reject_spike.allow_sources: a reject_spike finding has no single source (its src "
       "is null: an interface's rejected flows, from many sources to many hosts), so no source "
       "can allow it; raise its thresholds instead"},
      {"port_sweep.allow_destinations = 10.0.0.0/8\n",
       "a port_sweep finding has no single destination (its dst is null: one source to many "
       "hosts), so no destination can allow it; port_sweep.allow_sources can"},
      {"ddos_fan_in.allow_sources = 10.0.0.0/8\n",
       "its src is null: many sources to one host), so no source can allow it; "
       "ddos_fan_in.allow_destinations can"},
      {"portscan.allow_sources = 10.0.0.0/8\n", "no finding type `portscan`"},
      {"allow.source = 10.0.0.0/8\n", "allow.sources and allow.destinations"},
      {"allow.sources = 10.0.0.1\nallow.sources = 10.0.0.2\n",
       "line 2: allow.sources is given "
       "twice (line 1 too)"},
  };
  for (const auto& c : cases) {
    DetectOptions o;
    std::string error;
    EXPECT_FALSE(ParseDetectConfig(c.text, &o, &error)) << c.text;
    EXPECT_NE(error.find(c.error), std::string::npos) << c.text << "\n" << error;
    EXPECT_TRUE(o.allow.empty());
  }
  // An empty entry is named by its place.
  DetectOptions o;
  std::string error;
  ASSERT_FALSE(ParseDetectConfig("allow.sources = 10.0.0.1,,10.0.0.2\n", &o, &error));
  EXPECT_NE(error.find("entry 2 of '10.0.0.1,,10.0.0.2' is empty"), std::string::npos) << error;
}

// --- which findings are left out -----------------------------------------------------------

TEST(Allowlist, AnAllowedScannersFindingsVanishAndTheOthersKeepTheirIds) {
  const std::string a = "198.51.100.7", b = "203.0.113.9";
  const std::string text = Scan(a, "10.0.1.5") + Sweep(a) + Scan(b, "10.0.1.6");
  const Result all = FindingsOf(text);
  const FindingCounts of_a = CountsOfSource(all.findings, a);
  ASSERT_EQ(of_a.count("port_scan"), 1u);
  ASSERT_EQ(of_a.count("port_sweep"), 1u);
  ASSERT_EQ(CountsOfSource(all.findings, b).count("port_scan"), 1u);
  EXPECT_TRUE(all.allowed.empty());

  const Result allowed = FindingsOf(text, "allow.sources = 198.51.100.0/24\n");
  EXPECT_EQ(Lines(allowed.findings), LinesWithoutSource(all.findings, a));
  EXPECT_EQ(allowed.allowed, of_a);

  // The same through the IPv6 side of a list, and a per-type key adds to the global one.
  const Result v6 =
      FindingsOf(text, "allow.sources = 2001:db8::/32\nport_scan.allow_sources = " + a + "\n");
  EXPECT_EQ(v6.allowed, (FindingCounts{{"port_scan", 1}}));
  EXPECT_EQ(v6.findings.size(), all.findings.size() - 1);
}

TEST(Allowlist, APerTypeKeyAllowsThatTypeAlone) {
  const std::string a = "198.51.100.7";
  const std::string text = Scan(a, "10.0.1.5") + Sweep(a);
  const Result all = FindingsOf(text);
  const Result scans = FindingsOf(text, "port_scan.allow_sources = 198.51.100.7\n");
  EXPECT_EQ(scans.allowed, (FindingCounts{{"port_scan", 1}}));
  std::vector<Finding> want;
  for (const Finding& f : all.findings) {
    if (f.type != "port_scan") want.push_back(f);
  }
  EXPECT_EQ(Lines(scans.findings), Lines(want));
  // Another type's key leaves port_scan alone.
  const Result sweeps = FindingsOf(text, "port_sweep.allow_sources = 198.51.100.7\n");
  EXPECT_EQ(sweeps.allowed, (FindingCounts{{"port_sweep", 1}}));
}

TEST(Allowlist, DestinationsAllowTheFindingsAboutThem) {
  const std::string text = Scan("198.51.100.7", "10.0.1.5") + Scan("203.0.113.9", "10.0.1.6");
  const Result all = FindingsOf(text);
  const Result r = FindingsOf(text, "allow.destinations = 10.0.1.6\n");
  std::vector<Finding> want;
  for (const Finding& f : all.findings) {
    if (f.dst != "10.0.1.6") want.push_back(f);
  }
  EXPECT_EQ(Lines(r.findings), Lines(want));
  EXPECT_EQ(r.allowed, (FindingCounts{{"port_scan", 1}}));
  // A source list does not match destinations.
  EXPECT_TRUE(FindingsOf(text, "allow.sources = 10.0.1.6\n").allowed.empty());
}

// An exfiltration to several hosts has no dst: it is allowed by destinations when its top_dsts
// names every one and each is allowed; one of two allowed is not enough.
TEST(Allowlist, AnExfiltrationToSeveralHostsIsAllowedWhenEveryOneIs) {
  const std::string text = Upload({"203.0.113.80", "203.0.113.81"});
  const Result all = FindingsOf(text);
  ASSERT_EQ(all.findings.size(), 1u);
  ASSERT_EQ(all.findings[0].type, "exfiltration");
  ASSERT_EQ(all.findings[0].dst, std::nullopt);
  EXPECT_EQ(FindingsOf(text, "exfiltration.allow_destinations = 203.0.113.80\n").findings.size(),
            1u);
  const FindingCounts one = {{"exfiltration", 1}};
  EXPECT_EQ(FindingsOf(text, "exfiltration.allow_destinations = 203.0.113.80/31\n").allowed, one);
  EXPECT_EQ(FindingsOf(text, "allow.destinations = 203.0.113.0/24\n").allowed, one);
  EXPECT_EQ(FindingsOf(text, "exfiltration.allow_sources = 10.0.4.4\n").allowed, one);
  // Another type's destinations do not allow it.
  EXPECT_TRUE(FindingsOf(text, "port_scan.allow_destinations = 203.0.113.0/24\n").allowed.empty());

  // Past the five top_dsts names, not every destination is known: not allowed by them.
  const Result six = FindingsOf(Upload({"203.0.113.80", "203.0.113.81", "203.0.113.82",
                                        "203.0.113.83", "203.0.113.84", "203.0.113.85"}),
                                "allow.destinations = 203.0.113.0/24\n");
  EXPECT_EQ(six.findings.size(), 1u);
  EXPECT_TRUE(six.allowed.empty());
}

TEST(Allowlist, AnAllowedNoteCountsByType) {
  EXPECT_EQ(AllowedNote({}), "");
  EXPECT_EQ(AllowedNote({{"port_scan", 1}}),
            "1 finding matched the allowlist (not written: 1 port_scan)");
  EXPECT_EQ(AllowedNote({{"port_scan", 100}, {"port_sweep", 28}}),
            "128 findings matched the allowlist (not written: 100 port_scan, 28 port_sweep)");
}

}  // namespace
}  // namespace flowsift
