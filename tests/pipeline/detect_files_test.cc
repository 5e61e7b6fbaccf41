// The two files of detection: the findings file's JSON lines (field order, ids) and the config
// file (keys, values, units, errors and the README's table of defaults).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/detect.h"
#include "tests/pipeline/detect_harness.h"

namespace flowsift {
namespace {

using flowsift::testing::Lines;
using flowsift::testing::MakeAttackSet;

// --- findings file and config
// ---------------------------------------------------------------------

TEST(FindingJson, FieldsInSpecOrderAndAStableId) {
  Finding f;
  f.type = "port_scan";
  f.src = "198.51.100.7";
  f.dst = "10.0.1.5";
  f.window_start = 1700000100;
  f.window_end = 1700000400;
  f.id = FindingId(f.type, f.src, f.dst, f.dst_port, f.window_start);
  EXPECT_EQ(f.id.size(), 16u);
  EXPECT_EQ(f.id, FindingId("port_scan", std::string("198.51.100.7"), std::string("10.0.1.5"),
                            std::nullopt, 1700000100));
  EXPECT_NE(f.id, FindingId("port_scan", std::string("198.51.100.7"), std::string("10.0.1.5"),
                            std::nullopt, 1700000400));
  const std::string j = FindingJson(f);
  const std::vector<std::string> keys = {"id",
                                         "type",
                                         "severity",
                                         "mitre",
                                         "src",
                                         "dst",
                                         "dst_port",
                                         "protocol",
                                         "interfaces",
                                         "window_start",
                                         "window_end",
                                         "first_seen",
                                         "last_seen",
                                         "flows",
                                         "packets",
                                         "bytes",
                                         "distinct_dst_ports",
                                         "distinct_dsts",
                                         "evidence",
                                         "summary"};
  size_t pos = 0;
  for (const std::string& k : keys) {
    const size_t at = j.find("\"" + k + "\":", pos);
    ASSERT_NE(at, std::string::npos) << k << " in " << j;
    pos = at;
  }
  EXPECT_NE(j.find("\"dst_port\":null"), std::string::npos);
}

// FindingJson as it was: the finding built as an ordered_json and dumped. FindingJson now writes
// the fields itself and must give the same bytes.
std::string FindingJsonByNlohmann(const Finding& f) {
  nlohmann::ordered_json j;
  j["id"] = f.id;
  j["type"] = f.type;
  j["severity"] = f.severity;
  j["mitre"] = f.mitre;
  j["src"] = f.src ? nlohmann::ordered_json(*f.src) : nlohmann::ordered_json(nullptr);
  j["dst"] = f.dst ? nlohmann::ordered_json(*f.dst) : nlohmann::ordered_json(nullptr);
  j["dst_port"] =
      f.dst_port ? nlohmann::ordered_json(*f.dst_port) : nlohmann::ordered_json(nullptr);
  j["protocol"] =
      f.protocol ? nlohmann::ordered_json(*f.protocol) : nlohmann::ordered_json(nullptr);
  j["interfaces"] = f.interfaces;
  j["window_start"] = f.window_start;
  j["window_end"] = f.window_end;
  j["first_seen"] = f.first_seen;
  j["last_seen"] = f.last_seen;
  j["flows"] = f.flows;
  j["packets"] = f.packets;
  j["bytes"] = f.bytes;
  j["distinct_dst_ports"] = f.distinct_dst_ports;
  j["distinct_dsts"] = f.distinct_dsts;
  j["evidence"] = f.evidence;
  j["summary"] = f.summary;
  return j.dump();
}

TEST(FindingJson, BytesEqualTheOrderedJsonDump) {
  // Findings of every type from a detection run over generated attacks...
  const auto set = MakeAttackSet(200000, 3);
  Detector d{DetectOptions{}};
  d.Add(set.parsed.batch, set.parsed.base());
  std::vector<Finding> fs = d.Findings(set.g.start, set.g.start + 3600);
  std::set<std::string> types;
  for (const Finding& f : fs) types.insert(f.type);
  EXPECT_EQ(types.size(), 7u);

  // ... and made by hand: every character class a JSON string escapes or keeps, every kind of
  // evidence value, empty and absent fields.
  Finding odd;
  odd.id = "0123456789abcdef";
  odd.type = "port_scan";
  odd.severity = 4;
  odd.src =
      "quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f bel \x07 us \x1f del \x7f";
  odd.dst = std::string("nul \0 byte", 10);
  odd.dst_port = 0;
  odd.protocol = 255;
  odd.interfaces = {"eni-0123", "caf\xc3\xa9 \xe4\xb8\xad", ""};
  odd.window_start = UINT64_MAX;
  odd.flows = 1;
  odd.evidence["threshold"] = {{"ratio", 0.8},        {"z", 3.0},         {"tiny", 1e-7},
                               {"huge", 1e21},        {"third", 1.0 / 3}, {"minus_zero", -0.0},
                               {"nan", std::nan("")}, {"inf", HUGE_VAL}};
  odd.evidence["negative"] = -3;
  odd.evidence["unsigned"] = uint64_t{18446744073709551615ull};
  odd.evidence["flag"] = true;
  odd.evidence["off"] = false;
  odd.evidence["none"] = nullptr;
  odd.evidence["empty_object"] = nlohmann::ordered_json::object();
  odd.evidence["empty_array"] = nlohmann::ordered_json::array();
  odd.evidence["nested"] = {{"list", {1, 2.5, "a\"b", nlohmann::ordered_json::array()}}};
  odd.evidence["key \"quoted\" \x01"] = "caf\xc3\xa9";
  odd.summary = "one sentence, with \"quotes\" and a \\ and 100% of \u00e9.";
  fs.push_back(odd);
  fs.push_back(Finding{});  // every optional absent, empty lists and evidence

  for (const Finding& f : fs) EXPECT_EQ(FindingJson(f), FindingJsonByNlohmann(f)) << f.type;
  // Invalid UTF-8 (which the parser keeps out of findings) is written as U+FFFD, not thrown
  // out of the output tasks.
  Finding bad;
  bad.summary = "a\xff";
  EXPECT_NE(FindingJson(bad).find("\"summary\":\"a\xef\xbf\xbd\"}"), std::string::npos);
}

TEST(DetectConfig, OverridesAndErrors) {
  DetectOptions o;
  std::string err;
  ASSERT_TRUE(ParseDetectConfig(
      "# comment\n port_scan.min_ports = 40  # trailing\nexfiltration.min_bytes = 2G\n"
      "brute_force.ports = 22, 2222\ndetection.enabled = true\n",
      &o, &err))
      << err;
  EXPECT_EQ(o.scan_min_ports, 40u);
  EXPECT_EQ(o.exfil_min_bytes, uint64_t{2} << 30);
  EXPECT_EQ(o.brute_ports, (std::vector<uint16_t>{22, 2222}));
  // A port list is a set: in order, each port once (merge compares the options as text).
  ASSERT_TRUE(ParseDetectConfig("brute_force.ports = 3389, 22, 3389, 21\n", &o, &err)) << err;
  EXPECT_EQ(o.brute_ports, (std::vector<uint16_t>{21, 22, 3389}));

  DetectOptions bad;
  EXPECT_FALSE(ParseDetectConfig("port_scan.min_portz = 3\n", &bad, &err));
  EXPECT_NE(err.find("line 1"), std::string::npos);
  EXPECT_NE(err.find("min_portz"), std::string::npos);
  EXPECT_FALSE(ParseDetectConfig("\nport_scan.min_ports = ten\n", &bad, &err));
  EXPECT_NE(err.find("line 2"), std::string::npos);
  EXPECT_FALSE(ParseDetectConfig("scan_trw.theta1 = 0.9\n", &bad, &err));
  EXPECT_FALSE(ParseDetectConfig("port_scan.window = 0\n", &bad, &err));
  // Thresholds that would make everything a finding, and a key given twice.
  for (const char* text :
       {"port_scan.min_ports = 0\n", "ddos_fan_in.min_sources = 0\n",
        "exfiltration.min_bytes = 0\n", "reject_spike.z = -1\n", "reject_spike.ratio = 0\n",
        "ddos_fan_in.ratio = -2\n", "exfiltration.baseline_z = -0.5\n",
        "ddos_fan_in.reflection_unsolicited_share = 0\n",
        "ddos_fan_in.reflection_unsolicited_share = 1.5\n"}) {
    EXPECT_FALSE(ParseDetectConfig(text, &bad, &err)) << text;
    EXPECT_NE(err.find("must be"), std::string::npos) << text << ": " << err;
  }
  EXPECT_FALSE(
      ParseDetectConfig("port_scan.min_ports = 20\n\nport_scan.min_ports = 30\n", &bad, &err));
  EXPECT_EQ(err, "line 3: port_scan.min_ports is given twice (line 1 too)");
  EXPECT_EQ(bad.scan_min_ports, DetectOptions{}.scan_min_ports);  // untouched on error
  // Zero stays valid where it means "none": the baseline's byte floor, an empty port list.
  ASSERT_TRUE(
      ParseDetectConfig("exfiltration.baseline_min_bytes = 0\nreject_spike.z = 0\n"
                        "brute_force.ports =\n",
                        &o, &err))
      << err;
  EXPECT_TRUE(o.brute_ports.empty());
  // Each port list is its own key.
  ASSERT_TRUE(ParseDetectConfig(
      "ddos_fan_in.reflection_ports = 53, 123\nddos_fan_in.reflection_unsolicited_share = 1\n", &o,
      &err))
      << err;
  EXPECT_EQ(o.reflection_ports, (std::vector<uint16_t>{53, 123}));
  EXPECT_TRUE(o.brute_ports.empty());
  EXPECT_EQ(o.reflection_unsolicited_share, 1.0);
  EXPECT_NE(DetectConfigText(o).find("\nddos_fan_in.reflection_ports = 53,123  #"),
            std::string::npos);
  EXPECT_EQ(DetectOptionsJson(o)["ddos_fan_in.reflection_ports"], "53,123");

  // Port lists take ranges, printed back as ranges of three or more.
  ASSERT_TRUE(
      ParseDetectConfig("direction.service_ports = 8443, 30000 - 30002,7000-7001\n", &o, &err))
      << err;
  EXPECT_EQ(o.service_ports, (std::vector<uint16_t>{7000, 7001, 8443, 30000, 30001, 30002}));
  EXPECT_NE(DetectConfigText(o).find("\ndirection.service_ports = 7000,7001,8443,30000-30002  #"),
            std::string::npos);
  for (const char* range : {"5-3", "1-65536", "-3", "4-", "8443-8443-8444"}) {
    EXPECT_FALSE(ParseDetectConfig(std::string("direction.service_ports = ") + range, &o, &err))
        << range;
    EXPECT_NE(err.find("ranges of them"), std::string::npos) << err;
  }
  // An empty entry (a trailing or doubled comma) is named, not skipped: "22," had been port 22.
  for (const auto& [list, entry] :
       std::vector<std::pair<std::string, std::string>>{{"22,", "entry 2 of `22,`"},
                                                        {"22, ,3389", "entry 2 of `22, ,3389`"},
                                                        {",22", "entry 1 of `,22`"},
                                                        {",", "entry 1 of `,`"}}) {
    EXPECT_FALSE(ParseDetectConfig("brute_force.ports = " + list + "\n", &o, &err)) << list;
    EXPECT_EQ(err, "line 1: brute_force.ports: " + entry +
                       " is empty (a comma too many?): give ports 0-65535 or ranges of them "
                       "(30000-32767) separated by single commas");
  }
  // Ranges that overlap, nest, touch or repeat make one set, each port once, ascending; a range
  // nested in another after one nested in it too (23-24 after 21-22 in 20-30).
  ASSERT_TRUE(ParseDetectConfig(
      "brute_force.ports = 8-12, 5-10, 9, 13, 0-1, 5-10, 65534-65535, 20-30, 21-22, 23-24\n", &o,
      &err))
      << err;
  EXPECT_EQ(o.brute_ports,
            (std::vector<uint16_t>{0,  1,  5,  6,  7,  8,  9,  10, 11, 12, 13,    20,
                                   21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 65534, 65535}));
  std::string every = "brute_force.ports = 0-65535";
  for (int i = 0; i < 1000; ++i) every += ",0-65535,7";
  ASSERT_TRUE(ParseDetectConfig(every + "\n", &o, &err)) << err;
  ASSERT_EQ(o.brute_ports.size(), 65536u);
  EXPECT_EQ(o.brute_ports.front(), 0);
  EXPECT_EQ(o.brute_ports.back(), 65535);
  EXPECT_TRUE(std::is_sorted(o.brute_ports.begin(), o.brute_ports.end()));

  // The printed defaults parse back to the defaults.
  DetectOptions round;
  ASSERT_TRUE(ParseDetectConfig(DefaultDetectConfig(), &round, &err)) << err;
  EXPECT_EQ(DetectOptionsJson(round), DetectOptionsJson(DetectOptions{}));
}

// A refused value is said with its key and the values that key takes: "wants a whole number,
// got `-1`" (or a whole number past 2^64 - 1) and "wants a number, got `inf`" did not say them.
// An unknown key's message names `meant` as the key it most likely meant ("" for none).
void ExpectUnknownKeySuggests(const std::string& text, const std::string& meant) {
  DetectOptions bad;
  std::string err;
  EXPECT_FALSE(ParseDetectConfig(text, &bad, &err)) << text;
  EXPECT_NE(err.find("unknown key"), std::string::npos) << err;
  EXPECT_NE(err.find("(flowsift run --print-config lists them)"), std::string::npos) << err;
  if (meant.empty()) {
    EXPECT_EQ(err.find("did you mean"), std::string::npos) << text << ": " << err;
  } else {
    EXPECT_NE(err.find(": did you mean `" + meant + "`?"), std::string::npos)
        << text << ": " << err;
  }
}

// An unknown key names the key it most likely meant, as an unknown flag does: a typo within two
// edits, or a key's last part without its section when one section has it. A word near two
// keys, or near none, names none.
TEST(DetectConfig, AnUnknownKeySaysWhichKeyWasMeant) {
  ExpectUnknownKeySuggests("port_scan.min_port = 20\n", "port_scan.min_ports");
  ExpectUnknownKeySuggests("portscan.window = 300\n", "port_scan.window");
  ExpectUnknownKeySuggests("brute_force.min_attempt = 5\n", "brute_force.min_attempts");
  ExpectUnknownKeySuggests("min_attempts = 5\n", "brute_force.min_attempts");
  ExpectUnknownKeySuggests("detection.enable = false\n", "detection.enabled");
  // A key of megabytes is refused at once (an edit distance to each key would take minutes).
  const std::string long_key(8 << 20, 'k');
  const auto started = std::chrono::steady_clock::now();
  ExpectUnknownKeySuggests(long_key + " = 1\n", "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  // `window` ends eight keys; `x.y` is near none.
  for (const char* text : {"window = 300\n", "x.y = 1\n", "port_scan.threshold = 20\n"}) {
    ExpectUnknownKeySuggests(text, "");
  }
}

// The nearest key is by edit distance (insertions, deletions and substitutions each one), at
// most two, and unique: two substitutions (`wondew`) or two deletions (`min_por`) are near; a
// word one edit from two keys (`theta`), three from any (`windowxyz`, `xyport_scan.windo`), is
// near none; a key one edit away is named past two keys two edits away (`tbeta`: `theta0` and
// `theta1` come first).
TEST(DetectConfig, TheNearestKeyIsWithinTwoEditsAndUnique) {
  ExpectUnknownKeySuggests("port_scan.wondew = 300\n", "port_scan.window");
  ExpectUnknownKeySuggests("port_scan.min_por = 20\n", "port_scan.min_ports");
  ExpectUnknownKeySuggests("scan_trw.tbeta = 0.9\n", "scan_trw.beta");
  for (const char* text :
       {"scan_trw.theta = 0.5\n", "port_scan.windowxyz = 1\n", "xyport_scan.windo = 1\n"}) {
    ExpectUnknownKeySuggests(text, "");
  }
}

// Without an origin (merge compares the parts' options as this text) no value is marked, also
// one that is not the default, detection.enabled's included.
TEST(DetectConfig, TheTextWithoutAnOriginMarksNoValue) {
  DetectOptions o;
  o.enabled = false;
  o.scan_min_ports = 20;
  const std::string text = DetectConfigText(o);
  EXPECT_NE(text.find("\ndetection.enabled = false\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nport_scan.min_ports = 20  # Zeek"), std::string::npos) << text;
  EXPECT_EQ(text.find("from "), std::string::npos) << text;
  EXPECT_EQ(text.find("default 15"), std::string::npos) << text;
}

TEST(DetectConfig, ARefusedValueNamesTheRangeOfItsKey) {
  const std::string any = " to 18446744073709551615";
  const std::pair<std::string, std::string> cases[] = {
      {"port_scan.min_ports = -1",
       "port_scan.min_ports wants a whole number from 1" + any + ", got `-1`"},
      {"port_scan.min_ports = 18446744073709551616",
       "port_scan.min_ports wants a whole number from 1" + any + ", got `18446744073709551616`"},
      {"probe.max_packets = 1.5",
       "probe.max_packets wants a whole number from 0" + any + ", got `1.5`"},
      {"exfiltration.baseline_windows = 1e3",
       "exfiltration.baseline_windows wants a whole number from 2" + any + ", got `1e3`"},
      {"port_scan.window = -300",
       "port_scan.window wants a whole number of seconds (or with s, m, h, d) from 1" + any +
           ", got `-300`"},
      {"exfiltration.baseline_min_bytes = -1K",
       "exfiltration.baseline_min_bytes wants a whole number of bytes (K, M, G, T allowed) from 0" +
           any + ", got `-1K`"},
      {"exfiltration.min_bytes = 16777216T",
       "exfiltration.min_bytes wants a whole number of bytes (K, M, G, T allowed) from 1" + any +
           ", got `16777216T`"},
      {"reject_spike.z = inf", "reject_spike.z wants a finite number (0 or more), got `inf`"},
      {"exfiltration.baseline_ratio = 1e309",
       "exfiltration.baseline_ratio wants a finite number (above 0), got `1e309`"},
      {"ddos_fan_in.reflection_unsolicited_share = nan",
       "ddos_fan_in.reflection_unsolicited_share wants a finite number (above 0 and at most 1), "
       "got `nan`"},
      {"scan_trw.alpha = -inf",
       "scan_trw.alpha wants a finite number (above 0 and below 1), got `-inf`"},
      // Numbers out of a key's range, as they were said before.
      {"port_scan.window = 0s", "port_scan.window must be at least 1 second"},
      {"exfiltration.baseline_windows = 1",
       "exfiltration.baseline_windows must be at least 2 (a deviation needs two windows)"},
      {"ddos_fan_in.min_sources = 0",
       "ddos_fan_in.min_sources must be at least 1 (0 would make every key a finding)"},
      {"reject_spike.z = -0.5", "reject_spike.z must be 0 or more, got `-0.5`"},
      {"ddos_fan_in.ratio = 0", "ddos_fan_in.ratio must be above 0, got `0`"},
      {"ddos_fan_in.reflection_unsolicited_share = 1.5",
       "ddos_fan_in.reflection_unsolicited_share must be above 0 and at most 1, got `1.5`"},
  };
  for (const auto& [text, want] : cases) {
    DetectOptions o;
    std::string err;
    EXPECT_FALSE(ParseDetectConfig("\n" + text + "\n", &o, &err)) << text;
    EXPECT_EQ(err, "line 2: " + want) << text;
  }
}

TEST(DetectConfig, SuffixesByUnitLinesAndMarks) {
  // Sizes take K/M/G/T, windows s/m/h/d; counts and ports no suffix (5M had been 60 days).
  DetectOptions o;
  std::string err;
  ASSERT_TRUE(
      ParseDetectConfig("port_scan.window = 5m\nbrute_force.window = 1h\n"
                        "exfiltration.window = 1d\nreject_spike.window = 30s\n"
                        "brute_force.max_bytes = 4K\n",
                        &o, &err))
      << err;
  EXPECT_EQ(o.scan_window, 300u);
  EXPECT_EQ(o.brute_window, 3600u);
  EXPECT_EQ(o.exfil_window, 86400u);
  EXPECT_EQ(o.reject_window, 30u);
  EXPECT_EQ(o.brute_max_bytes, 4096u);
  DetectOptions bad;
  for (const char* text :
       {"port_scan.window = 5M\n", "exfiltration.min_bytes = 1h\n", "brute_force.ports = 22K\n",
        "port_scan.min_ports = 1K\n", "port_scan.window = m\n"}) {
    EXPECT_FALSE(ParseDetectConfig(text, &bad, &err)) << text;
    EXPECT_NE(err.find("line 1: "), std::string::npos) << err;
  }
  EXPECT_FALSE(ParseDetectConfig("port_scan.window = 5M\n", &bad, &err));
  EXPECT_NE(err.find("of seconds (or with s, m, h, d)"), std::string::npos) << err;
  EXPECT_EQ(bad.scan_window, DetectOptions{}.scan_window);

  // A byte-order mark is not part of the first key.
  ASSERT_TRUE(ParseDetectConfig("\xEF\xBB\xBFport_scan.min_ports = 40\n", &o, &err)) << err;
  EXPECT_EQ(o.scan_min_ports, 40u);
  // Lines ending in a lone \r (old Mac editors) are lines: it joined them into one value.
  ASSERT_TRUE(ParseDetectConfig("port_scan.min_ports = 16\rport_scan.window = 60\r", &o, &err))
      << err;
  EXPECT_EQ(o.scan_min_ports, 16u);
  EXPECT_EQ(o.scan_window, 60u);
  // UTF-16 (PowerShell 5's `>`) is named as such: it was `unknown key` of raw bytes, cut at a NUL.
  const std::string utf16("\xFF\xFEp\0o\0r\0t\0", 10);
  EXPECT_FALSE(ParseDetectConfig(utf16, &bad, &err));
  EXPECT_EQ(err,
            "the file is UTF-16 or binary, not text: save it as UTF-8 (PowerShell: Out-File "
            "-Encoding utf8)");

  // TRW probabilities out of order are named by the lines that set them.
  EXPECT_FALSE(ParseDetectConfig("\n\nscan_trw.alpha = 0.999\n", &bad, &err));
  EXPECT_EQ(err.find("line 3: scan_trw needs"), 0u) << err;
  EXPECT_FALSE(ParseDetectConfig("scan_trw.theta1 = 0.5\nscan_trw.theta0 = 0.4\n", &bad, &err));
  EXPECT_EQ(err.find("lines 1, 2: scan_trw needs"), 0u) << err;

  // A baseline of fewer than two windows has no deviation.
  for (const char* text :
       {"exfiltration.baseline_windows = 0\n", "exfiltration.baseline_windows = 1\n"}) {
    EXPECT_FALSE(ParseDetectConfig(text, &bad, &err)) << text;
    EXPECT_NE(err.find("at least 2"), std::string::npos) << err;
  }
  ASSERT_TRUE(ParseDetectConfig("exfiltration.baseline_windows = 2\n", &o, &err)) << err;
}

TEST(DetectConfig, TheReadmeTableIsTheDefaults) {
  // The README's threshold table is this code's table: one documented place for defaults.
  std::ifstream in(std::string(FLOWSIFT_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const std::string begin = "<!-- detect-config:begin -->\n", end = "<!-- detect-config:end -->";
  const size_t b = readme.find(begin), e = readme.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(readme.substr(b + begin.size(), e - b - begin.size()), DetectConfigTable())
      << "update README.md's table between the detect-config markers";
}

// Each key sets its own option: every key given a value of its own (none the default) reads
// into its own field, and the file printed from them reads back to the same options. Keys whose
// defaults are equal (five 300 s windows, two z of 4, two ratios of 5) could be read into each
// other's fields and every other test would still pass.
TEST(DetectConfig, EveryKeySetsItsOwnOption) {
  const std::string text =
      "detection.enabled = false\n"
      "probe.max_packets = 4\nprobe.max_bytes_per_packet = 81\n"
      "direction.service_ports = 8443\n"
      "port_scan.window = 301\nport_scan.min_ports = 16\n"
      "port_sweep.window = 302\nport_sweep.min_dsts = 26\n"
      "scan_trw.theta0 = 0.7\nscan_trw.theta1 = 0.3\nscan_trw.alpha = 0.02\n"
      "scan_trw.beta = 0.98\nscan_trw.window = 303\n"
      "brute_force.window = 1801\nbrute_force.min_attempts = 31\nbrute_force.ports = 2222\n"
      "brute_force.max_packets = 101\nbrute_force.max_bytes = 50001\n"
      "exfiltration.window = 3601\nexfiltration.min_bytes = 1000\n"
      "exfiltration.baseline_min_bytes = 999\nexfiltration.baseline_z = 4.5\n"
      "exfiltration.baseline_ratio = 5.5\nexfiltration.baseline_windows = 7\n"
      "reject_spike.window = 304\nreject_spike.min_flows = 101\nreject_spike.z = 4.25\n"
      "reject_spike.ratio = 5.25\n"
      "ddos_fan_in.window = 305\nddos_fan_in.min_sources = 1001\nddos_fan_in.ratio = 4.75\n"
      "ddos_fan_in.local_span = 2h\nddos_fan_in.local_ratio = 2.25\n"
      "ddos_fan_in.reflection_ports = 53\nddos_fan_in.reflection_unsolicited_share = 0.6\n";
  DetectOptions o;
  std::string err;
  ASSERT_TRUE(ParseDetectConfig(text, &o, &err)) << err;
  EXPECT_FALSE(o.enabled);
  EXPECT_EQ(o.probe_max_packets, 4u);
  EXPECT_EQ(o.probe_max_bytes_per_packet, 81u);
  EXPECT_EQ(o.service_ports, std::vector<uint16_t>{8443});
  EXPECT_EQ(o.scan_window, 301u);
  EXPECT_EQ(o.scan_min_ports, 16u);
  EXPECT_EQ(o.sweep_window, 302u);
  EXPECT_EQ(o.sweep_min_dsts, 26u);
  EXPECT_EQ(o.trw_theta0, 0.7);
  EXPECT_EQ(o.trw_theta1, 0.3);
  EXPECT_EQ(o.trw_alpha, 0.02);
  EXPECT_EQ(o.trw_beta, 0.98);
  EXPECT_EQ(o.trw_window, 303u);
  EXPECT_EQ(o.brute_window, 1801u);
  EXPECT_EQ(o.brute_min_attempts, 31u);
  EXPECT_EQ(o.brute_ports, std::vector<uint16_t>{2222});
  EXPECT_EQ(o.brute_max_packets, 101u);
  EXPECT_EQ(o.brute_max_bytes, 50001u);
  EXPECT_EQ(o.exfil_window, 3601u);
  EXPECT_EQ(o.exfil_min_bytes, 1000u);
  EXPECT_EQ(o.exfil_baseline_min_bytes, 999u);
  EXPECT_EQ(o.exfil_baseline_z, 4.5);
  EXPECT_EQ(o.exfil_baseline_ratio, 5.5);
  EXPECT_EQ(o.exfil_baseline_windows, 7u);
  EXPECT_EQ(o.reject_window, 304u);
  EXPECT_EQ(o.reject_min_flows, 101u);
  EXPECT_EQ(o.reject_z, 4.25);
  EXPECT_EQ(o.reject_ratio, 5.25);
  EXPECT_EQ(o.fanin_window, 305u);
  EXPECT_EQ(o.fanin_min_sources, 1001u);
  EXPECT_EQ(o.fanin_ratio, 4.75);
  EXPECT_EQ(o.fanin_local_span, 7200u);
  EXPECT_EQ(o.fanin_local_ratio, 2.25);
  EXPECT_EQ(o.reflection_ports, std::vector<uint16_t>{53});
  EXPECT_EQ(o.reflection_unsolicited_share, 0.6);

  // Printed and read back: the same options (the manifest's JSON of them, key by key).
  DetectOptions again;
  ASSERT_TRUE(ParseDetectConfig(DetectConfigText(o), &again, &err)) << err;
  EXPECT_EQ(DetectOptionsJson(again), DetectOptionsJson(o));
  const nlohmann::ordered_json j = DetectOptionsJson(o);
  EXPECT_EQ(j["enabled"], false);
  EXPECT_EQ(j["port_sweep.window"], 302u);
  EXPECT_EQ(j["scan_trw.window"], 303u);
  EXPECT_EQ(j["reject_spike.window"], 304u);
  EXPECT_EQ(j["ddos_fan_in.window"], 305u);
  EXPECT_EQ(j["reject_spike.z"], 4.25);
  EXPECT_EQ(j["exfiltration.baseline_z"], 4.5);
  EXPECT_EQ(j["reject_spike.ratio"], 5.25);
  EXPECT_EQ(j["exfiltration.baseline_ratio"], 5.5);

  // Tabs around the key, the value and the comment are blanks too.
  ASSERT_TRUE(ParseDetectConfig("\tport_scan.min_ports\t=\t40\t# a comment\n", &o, &err)) << err;
  EXPECT_EQ(o.scan_min_ports, 40u);
}

// Values no detector can use are refused, each naming its line; the options stay as they were.
TEST(DetectConfig, ValuesNoDetectorCanUseAreRefused) {
  const std::vector<std::string> refused = {
      // A window of 0 seconds, for every detector's window.
      "port_scan.window = 0", "port_sweep.window = 0", "scan_trw.window = 0",
      "brute_force.window = 0", "exfiltration.window = 0", "reject_spike.window = 0",
      "ddos_fan_in.window = 0",
      // A count threshold of 0, for each of them.
      "port_sweep.min_dsts = 0", "brute_force.min_attempts = 0", "reject_spike.min_flows = 0",
      // Past 2^64: 2^64 + 1 GiB had wrapped round to 1 GiB, 2^64 + 1 day to a day.
      "exfiltration.min_bytes = 17179869185G", "exfiltration.baseline_min_bytes = 16777217T",
      "exfiltration.window = 213503982334602d", "port_scan.min_ports = 18446744073709551616",
      // Packets are counts: no size suffix.
      "probe.max_packets = 1K", "brute_force.max_packets = 1K",
      // Not a finite number, or none at all.
      "reject_spike.z = inf", "exfiltration.baseline_z = nan", "ddos_fan_in.ratio = inf",
      "reject_spike.ratio = nan", "ddos_fan_in.reflection_unsolicited_share = nan",
      "reject_spike.z =", "exfiltration.baseline_ratio =", "scan_trw.theta0 =",
      // TRW's probabilities: strictly between 0 and 1 and strictly in order.
      "scan_trw.alpha = 0", "scan_trw.beta = 1", "scan_trw.theta1 = 0", "scan_trw.theta0 = 1",
      "scan_trw.theta1 = 0.8", "scan_trw.alpha = 0.99"};
  for (const std::string& line : refused) {
    DetectOptions o;
    std::string err;
    EXPECT_FALSE(ParseDetectConfig("\n" + line + "\n", &o, &err)) << line;
    EXPECT_EQ(err.rfind("line 2: ", 0), 0u) << line << ": " << err;
    EXPECT_EQ(DetectOptionsJson(o), DetectOptionsJson(DetectOptions{})) << line;
  }
  // The TRW error names the lines of its probabilities, not its window's.
  DetectOptions o;
  std::string err;
  EXPECT_FALSE(ParseDetectConfig("scan_trw.window = 600\nscan_trw.alpha = 0.999\n", &o, &err));
  EXPECT_EQ(err.rfind("line 2: scan_trw needs", 0), 0u) << err;
  // A NUL byte anywhere is no text (UTF-16 without its mark, a binary file).
  EXPECT_FALSE(ParseDetectConfig(std::string("port_scan.min_ports = 40\n\0\n", 27), &o, &err));
  EXPECT_EQ(err.rfind("the file is UTF-16 or binary", 0), 0u) << err;
}

// --- Boundaries, severities and techniques the tests above did not reach ----------------------
// (each fails when its comparison or constant is changed: a mutation audit's survivors)

// M, G and T are 2^20, 2^30 and 2^40 bytes.
TEST(DetectConfig, ConfigSizeSuffixesAreBinary) {
  DetectOptions o;
  std::string err;
  ASSERT_TRUE(
      ParseDetectConfig("exfiltration.min_bytes = 2T\nexfiltration.baseline_min_bytes = 3G\n"
                        "brute_force.max_bytes = 5M\n",
                        &o, &err))
      << err;
  EXPECT_EQ(o.exfil_min_bytes, uint64_t{2} << 40);
  EXPECT_EQ(o.exfil_baseline_min_bytes, uint64_t{3} << 30);
  EXPECT_EQ(o.brute_max_bytes, uint64_t{5} << 20);
}

// --- A third mutation audit of detect_findings.cc and detect_config.cc --------------------------
// (each test fails on a mutant that survived every test above)

// Ids are stable across versions (a SIEM deduplicates by them): these are SPEC's hash of the
// key fields, pinned. A walk's id leaves out the port its contacts shared.
TEST(FindingJson, IdsArePinned) {
  EXPECT_EQ(FindingId("port_scan", std::string("198.51.100.7"), std::string("10.0.1.5"),
                      std::nullopt, 1700000100),
            "ba8fdbee776b58ff");
  EXPECT_EQ(
      FindingId("brute_force", std::string("192.0.2.44"), std::string("10.0.3.3"), 22, 1699999200),
      "6638be9cb751e20c");
  EXPECT_EQ(
      FindingId("reject_spike", std::nullopt, std::nullopt, std::nullopt, 1700001600, "eni-db"),
      "c4aff003385b9e01");
}

}  // namespace
}  // namespace flowsift
