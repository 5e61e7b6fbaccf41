// `flowsift gen`'s attacks, ground truth, look-alikes, layouts and compression (docs/gen.md).
#include <gtest/gtest.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/generate.h"
#include "pipeline/generate_files.h"
#include "pipeline/parse_chunk.h"
#include "tests/test_util.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Format FormatOf(std::string_view spec) {
  std::string error;
  const std::optional<Format> f = Format::Parse(spec, &error);
  EXPECT_TRUE(f.has_value()) << error;
  return f.value_or(Format::Default());
}

GenOptions AttackOptions(uint64_t seed, std::string_view format = "v5") {
  GenOptions o;
  o.seed = seed;
  o.format = FormatOf(format);
  o.records = 120000;
  std::string error;
  o.attacks = ParseAttackList("all", &error).value();
  return o;
}

// Records as name -> text, from text with a header line.
struct Table {
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> rows;
  std::map<std::string, size_t> index;

  explicit Table(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      std::vector<std::string> tokens;
      std::istringstream ls(line);
      for (std::string t; ls >> t;) tokens.push_back(t);
      if (header) {
        names = tokens;
        for (size_t i = 0; i < names.size(); ++i) index[names[i]] = i;
        header = false;
      } else {
        rows.push_back(std::move(tokens));
      }
    }
  }
  const std::string& At(size_t row, const std::string& name) const {
    return rows[row][index.at(name)];
  }
  uint64_t U(size_t row, const std::string& name) const { return std::stoull(At(row, name)); }
};

std::vector<json> Lines(const std::vector<std::string>& lines) {
  std::vector<json> out;
  for (const std::string& l : lines) out.push_back(json::parse(l));
  return out;
}

bool Internal(const std::string& a) { return a.rfind("10.", 0) == 0; }

size_t BadLines(const std::string& text, const Format& format) {
  std::vector<uint8_t> buf(text.size() + kernels::kPadding, 0);
  std::memcpy(buf.data(), text.data(), text.size());
  ParseScratch scratch;
  const ParsedBatch b = ParseChunk(buf.data(), text.size(), format, AllFields(), scratch);
  return b.bad_lines.size();
}

// --- Attack lists -------------------------------------------------------------------------------

TEST(GenAttacksTest, AttackListParsing) {
  std::string error;
  EXPECT_EQ(ParseAttackList("none", &error)->size(), 0u);
  EXPECT_EQ(ParseAttackList("all", &error)->size(), 6u);
  const auto two = ParseAttackList("brute_force,port_scan,brute_force", &error);
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(*two, (std::vector<AttackKind>{AttackKind::kBruteForce, AttackKind::kPortScan}));
  EXPECT_FALSE(ParseAttackList("port_scan,syn_flood", &error).has_value());
  EXPECT_NE(error.find("syn_flood"), std::string::npos);
  for (std::string_view name : kAttackNames) EXPECT_NE(error.find(name), std::string::npos);
  // Spaces after the commas, as gen.md lists them, are the same list.
  const auto spaced = ParseAttackList(" brute_force, port_scan ", &error);
  ASSERT_TRUE(spaced.has_value()) << error;
  EXPECT_EQ(*spaced, *two);
  // all and none in a list are said to stand alone (it named 'all' unknown and listed it valid).
  EXPECT_FALSE(ParseAttackList("all,none", &error).has_value());
  EXPECT_NE(error.find("'all' in a list (all and none stand alone"), std::string::npos) << error;
  // An empty name is refused wherever its stray comma is: a trailing one had been taken as the
  // end of the list ("port_scan," injected port scans) while ",port_scan" and "a,,b" were refused.
  for (const char* list :
       {"port_scan,", "port_scan, ", ",port_scan", "port_scan,,brute_force", ","}) {
    error.clear();
    EXPECT_FALSE(ParseAttackList(list, &error).has_value()) << list;
    EXPECT_NE(error.find("an empty name in '"), std::string::npos) << list << ": " << error;
    EXPECT_NE(error.find("port_sweep"), std::string::npos) << error;  // the valid names
  }
  // A blank list is refused too, saying how to ask for none: it had been taken as none.
  for (const char* list : {"", " ", "   ", "\t", " \t "}) {
    error.clear();
    EXPECT_FALSE(ParseAttackList(list, &error).has_value()) << "'" << list << "'";
    EXPECT_NE(error.find("an empty list of attacks; write --attacks none for none"),
              std::string::npos)
        << error;
    EXPECT_NE(error.find("ddos_fan_in"), std::string::npos) << error;
  }
  EXPECT_EQ(ParseAttackList(" none ", &error)->size(), 0u);
}

TEST(GenAttacksTest, ImpossibleRequestsThrow) {
  GenOptions o = AttackOptions(1);
  o.records = 5000;
  EXPECT_THROW(FlowGenerator{o}, std::invalid_argument);
  o = AttackOptions(1, "tgw");
  EXPECT_THROW(FlowGenerator{o}, std::invalid_argument);
  o = AttackOptions(1);
  o.interfaces = 5;
  EXPECT_THROW(FlowGenerator{o}, std::invalid_argument);
}

// A span shorter than a look-alike's period (six minutes): the look-alikes with no record in it
// are not listed (they were, with no flows and a start past their end), and every listed one
// has records in its span.
TEST(GenAttacksTest, LookAlikesWithoutRecordsAreNotListed) {
  GenOptions o;
  o.seed = 1;
  o.format = FormatOf("v5");
  o.records = 100000;
  o.hours = 0.1;
  FlowGenerator g(o);
  std::string text;
  while (g.Append(text, 1 << 20)) {
  }
  const std::vector<json> lookalikes = Lines(g.lookalikes());
  EXPECT_LT(lookalikes.size(), 4u);
  for (size_t i = 0; i < lookalikes.size(); ++i) {
    const json& e = lookalikes[i];
    EXPECT_EQ(e["id"], "lookalike-" + std::to_string(i + 1));
    EXPECT_GT(e["flows"].get<uint64_t>(), 0u) << e.dump();
    EXPECT_LE(e["start"].get<uint64_t>(), e["end"].get<uint64_t>()) << e.dump();
    EXPECT_FALSE(e["interfaces"].empty()) << e.dump();
  }
}

// The recursive resolver look-alike comes with the fan-in attacks only, so that sets without
// them (the benchmarks') keep their bytes (docs/gen.md).
TEST(GenAttacksTest, TheResolverLookAlikeComesWithTheFanInOnly) {
  const auto types = [](const GenOptions& o) {
    std::set<std::string> out;
    for (const json& e : Lines(FlowGenerator(o).lookalikes())) out.insert(e["type"]);
    return out;
  };
  GenOptions o = AttackOptions(42);
  o.attacks = {AttackKind::kPortScan};
  const std::set<std::string> without = types(o);
  EXPECT_TRUE(without.count("monitoring_poller"));  // the other look-alikes are there
  EXPECT_FALSE(without.count("recursive_resolver"));
  o.attacks = {AttackKind::kDdosFanIn};
  EXPECT_TRUE(types(o).count("recursive_resolver"));
}

// The slow scan's peak is its failed first contacts, one a distinct target: a VPC with few web
// servers gives it the same host more than once (10 interfaces: one host, and truth said 6, an
// event no detector could find).
TEST(GenTruth, TheSlowScansPeakCountsDistinctTargets) {
  for (const uint32_t interfaces : {10u, 12u, 200u}) {
    GenOptions o = AttackOptions(2);
    o.interfaces = interfaces;
    FlowGenerator g(o);
    std::string text;
    while (g.Append(text, 1 << 20)) {
    }
    bool seen = false;
    for (const json& e : Lines(g.truth())) {
      if (e["variant"] != "slow_external") continue;
      seen = true;
      EXPECT_EQ(e["peak"].get<uint64_t>(), e["dsts"].size()) << interfaces << " " << e.dump();
      if (interfaces == 200) {
        EXPECT_EQ(e["peak"], 6) << e.dump();
      }
    }
    EXPECT_TRUE(seen) << interfaces;
  }
}

// --- Truth
// ----------------------------------------------------------------------------------------

class GenTruthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    options_ = new GenOptions(AttackOptions(42));
    FlowGenerator g(*options_);
    text_ = new std::string;
    while (g.Append(*text_, 1 << 20)) {
    }
    truth_ = new std::vector<json>(Lines(g.truth()));
    lookalikes_ = new std::vector<json>(Lines(g.lookalikes()));
    injected_ = g.injected_records();
    table_ = new Table(*text_);
  }
  static void TearDownTestSuite() {
    delete options_;
    delete text_;
    delete truth_;
    delete lookalikes_;
    delete table_;
  }
  // Rows whose fields match every (name, value) pair.
  static std::vector<size_t> Rows(const std::map<std::string, std::string>& match) {
    std::vector<size_t> out;
    for (size_t r = 0; r < table_->rows.size(); ++r) {
      if (table_->At(r, "log-status") != "OK") continue;
      bool ok = true;
      for (const auto& [k, v] : match) ok = ok && table_->At(r, k) == v;
      if (ok) out.push_back(r);
    }
    return out;
  }

  static GenOptions* options_;
  static std::string* text_;
  static std::vector<json>* truth_;
  static std::vector<json>* lookalikes_;
  static uint64_t injected_;
  static Table* table_;
};
GenOptions* GenTruthTest::options_ = nullptr;
std::string* GenTruthTest::text_ = nullptr;
std::vector<json>* GenTruthTest::truth_ = nullptr;
std::vector<json>* GenTruthTest::lookalikes_ = nullptr;
uint64_t GenTruthTest::injected_ = 0;
Table* GenTruthTest::table_ = nullptr;

TEST_F(GenTruthTest, ExactCountsAndCleanText) {
  EXPECT_EQ(table_->rows.size(), options_->records);
  EXPECT_EQ(BadLines(*text_, options_->format), 0u);
  uint64_t flows = 0;
  for (const json& e : *truth_) flows += e["flows"].get<uint64_t>();
  for (const json& e : *lookalikes_) flows += e["flows"].get<uint64_t>();
  EXPECT_EQ(flows, injected_);  // the truth accounts for every injected record
  std::set<std::string> types;
  for (const json& e : *truth_) {
    types.insert(e["type"].get<std::string>());
    for (const char* key : {"id", "type", "src", "dst", "dst_port", "start", "end", "protocol",
                            "flows", "bytes", "near_threshold", "threshold", "peak"}) {
      EXPECT_TRUE(e.contains(key)) << key << " in " << e.dump();
    }
    EXPECT_LE(e["start"].get<uint64_t>(), e["end"].get<uint64_t>());
    EXPECT_GE(e["start"].get<uint64_t>(), options_->start);
    EXPECT_LT(e["start"].get<uint64_t>(), options_->start + 3600);
  }
  EXPECT_EQ(types.size(), 6u);
  EXPECT_EQ(lookalikes_->size(), 5u);  // with the fan-in attacks: the recursive resolver too
}

// An upload is one connection however many intervals its records span: truth's `attempts` of
// bulk_external is its transfers, one per destination (it counted a record per interval).
TEST_F(GenTruthTest, AnUploadIsOneAttempt) {
  size_t seen = 0;
  for (const json& e : *truth_) {
    if (e["variant"] != "bulk_external") continue;
    ++seen;
    EXPECT_EQ(e["attempts"], e["distinct_dsts"]) << e.dump();
    EXPECT_LE(e["attempts"].get<uint64_t>(), 3u);
  }
  EXPECT_EQ(seen, 1u);
}

// Records leaving the VPC for the internet go by a gateway (traffic-path 8, or 2 through a NAT
// gateway), the attacks' answers too: a load balancer's SYN-ACKs to a flood's sources and a
// scanned server's had path 1, "within the VPC". And no record is smaller than its packets'
// headers (a 52-byte IPv6 TCP packet).
TEST_F(GenTruthTest, AnswersToTheInternetLeaveByAGatewayAndHeadersFit) {
  size_t external_egress = 0;
  for (size_t r = 0; r < table_->rows.size(); ++r) {
    if (table_->At(r, "log-status") != "OK") continue;
    const std::string& dst = table_->At(r, "pkt-dstaddr");
    const bool v6 = dst.find(':') != std::string::npos;
    // A server's answer (from a service port to a client's) to an internet client.
    if (table_->At(r, "flow-direction") == "egress" && !v6 && dst.rfind("10.", 0) != 0 &&
        std::stoul(table_->At(r, "srcport")) < 1024 &&
        std::stoul(table_->At(r, "dstport")) >= 1024) {
      ++external_egress;
      EXPECT_EQ(table_->At(r, "traffic-path"), "8") << "row " << r;
    }
    const uint64_t packets = std::stoull(table_->At(r, "packets"));
    const uint64_t bytes = std::stoull(table_->At(r, "bytes"));
    const std::string& proto = table_->At(r, "protocol");
    const uint64_t l4 = proto == "6" ? 20 : proto == "17" || proto == "1" || proto == "58" ? 8 : 0;
    EXPECT_GE(bytes, packets * ((v6 ? 40 : 20) + l4)) << "row " << r;
  }
  EXPECT_GT(external_egress, 1000u);
}

TEST_F(GenTruthTest, SameSeedSameTruthOtherSeedOther) {
  FlowGenerator a(*options_);
  GenOptions other = *options_;
  other.seed = 43;
  FlowGenerator b(other);
  std::vector<json> same = Lines(a.truth());
  EXPECT_EQ(same, *truth_);
  EXPECT_NE(Lines(b.truth()), *truth_);
}

TEST_F(GenTruthTest, EveryAttackIsInTheRecords) {
  for (const json& e : *truth_) {
    const std::string type = e["type"], variant = e["variant"];
    const uint64_t start = e["start"], end = e["end"];
    SCOPED_TRACE(e.dump().substr(0, 300));
    if (type == "port_scan" && variant != "slow_external") {
      std::set<std::string> ports, rejected;
      for (size_t r : Rows({{"srcaddr", e["src"]}, {"dstaddr", e["dst"]}})) {
        // The internal scanner also talks to its target as usual: count the probes only.
        const std::string flags = table_->At(r, "tcp-flags");
        if (table_->U(r, "start") < start || table_->U(r, "end") > end) continue;
        if (flags != "2" && flags != "6") continue;
        ports.insert(table_->At(r, "dstport"));
        if (table_->At(r, "action") == "REJECT") {
          rejected.insert(table_->At(r, "dstport"));
          EXPECT_EQ(table_->U(r, "packets"), 1u);  // a bare SYN probe
          EXPECT_LE(table_->U(r, "bytes"), 60u);
        }
      }
      EXPECT_GE(ports.size(), e["distinct_dst_ports"].get<size_t>());
      EXPECT_LE(ports.size(), e["distinct_dst_ports"].get<size_t>() + 2);
      EXPECT_GE(rejected.size() + 2, ports.size());  // only 80/443 (or 5432/3306) answer
    } else if (type == "port_scan") {
      std::set<std::string> dsts;
      for (size_t r : Rows({{"srcaddr", e["src"]}, {"action", "REJECT"}})) {
        dsts.insert(table_->At(r, "dstaddr"));
      }
      EXPECT_GE(dsts.size(), e["threshold"]["value"].get<size_t>());  // TRW's net failures
    } else if (type == "port_sweep") {
      std::set<std::string> dsts;
      for (size_t r :
           Rows({{"srcaddr", e["src"]}, {"dstport", std::to_string(e["dst_port"].get<int>())}})) {
        dsts.insert(table_->At(r, "dstaddr"));
        EXPECT_EQ(table_->At(r, "tcp-flags"), "2");
      }
      EXPECT_EQ(dsts.size(), e["distinct_dsts"].get<size_t>());
    } else if (type == "brute_force") {
      const auto rows = Rows({{"srcaddr", e["src"]},
                              {"dstaddr", e["dst"]},
                              {"dstport", std::to_string(e["dst_port"].get<int>())}});
      std::set<std::string> attempts;
      for (size_t r : rows) attempts.insert(table_->At(r, "srcport"));
      EXPECT_EQ(attempts.size(), e["attempts"].get<size_t>());
    } else if (type == "exfiltration") {
      uint64_t bytes = 0;
      for (size_t r : Rows({{"srcaddr", e["src"]}, {"flow-direction", "egress"}})) {
        if (!Internal(table_->At(r, "dstaddr"))) bytes += table_->U(r, "bytes");
      }
      if (e["near_threshold"].get<bool>()) {
        EXPECT_EQ(bytes, e["bytes"].get<uint64_t>());  // a quiet host: nothing else goes out
      } else {
        EXPECT_GE(bytes, e["bytes"].get<uint64_t>());
      }
      EXPECT_GT(e["bytes"].get<uint64_t>(), uint64_t{800} << 20);
    } else if (type == "reject_spike") {
      const auto rows = Rows({{"dstaddr", e["dst"]}, {"action", "REJECT"}});
      EXPECT_GE(rows.size(), e["attempts"].get<size_t>());
      EXPECT_GE(e["peak"].get<uint64_t>(), 100u);
    } else if (type == "ddos_fan_in" && e["variant"] == "reflection") {
      // UDP answers to the victim's one port, each from its amplifier's service port.
      std::set<std::string> srcs, sports;
      for (size_t r : Rows({{"dstaddr", e["dst"]},
                            {"dstport", std::to_string(e["dst_port"].get<int>())},
                            {"protocol", "17"}})) {
        srcs.insert(table_->At(r, "srcaddr"));
        sports.insert(table_->At(r, "srcport"));
      }
      EXPECT_EQ(srcs.size(), e["distinct_srcs"].get<size_t>());  // a quiet target
      EXPECT_EQ(sports.size(), 1u);
    } else if (type == "ddos_fan_in") {
      std::set<std::string> srcs;
      for (size_t r : Rows({{"dstaddr", e["dst"]}, {"dstport", "443"}, {"tcp-flags", "2"}})) {
        srcs.insert(table_->At(r, "srcaddr"));
      }
      EXPECT_EQ(srcs.size(), e["distinct_srcs"].get<size_t>());  // a quiet target
    }
  }
}

TEST_F(GenTruthTest, NearThresholdAttacksStraddleTheirThresholds) {
  std::map<std::string, std::set<std::string>> sides;
  for (const json& e : *truth_) {
    if (!e["near_threshold"].get<bool>()) {
      if (e["variant"] != "slow_external") {
        EXPECT_GT(e["peak"].get<double>(), 1.2 * e["threshold"]["value"].get<double>())
            << e.dump().substr(0, 300);
      }
      continue;
    }
    const double ratio = e["peak"].get<double>() / e["threshold"]["value"].get<double>();
    EXPECT_GE(ratio, 0.8) << e.dump().substr(0, 300);
    EXPECT_LE(ratio, 1.2) << e.dump().substr(0, 300);
    EXPECT_EQ(e["side"].get<std::string>(), ratio >= 1 ? "above" : "below");
    // Inside one aligned 5-minute window.
    EXPECT_EQ(e["start"].get<uint64_t>() / 300, e["end"].get<uint64_t>() / 300)
        << e.dump().substr(0, 300);
    sides[e["type"]].insert(e["side"].get<std::string>());
  }
  for (const char* type :
       {"port_scan", "port_sweep", "brute_force", "exfiltration", "ddos_fan_in"}) {
    EXPECT_EQ(sides[type], (std::set<std::string>{"above", "below"})) << type;
  }
}

TEST_F(GenTruthTest, LookAlikesAreInTheRecords) {
  std::map<std::string, json> by_type;
  for (const json& e : *lookalikes_) by_type[e["type"]] = e;
  {  // The poller: >= 20 ports on one server within five minutes, every one answered.
    const json& e = by_type.at("monitoring_poller");
    std::map<std::pair<std::string, uint64_t>, std::set<std::string>> ports;
    for (size_t r : Rows({{"srcaddr", e["src"]}, {"flow-direction", "egress"}})) {
      if (table_->At(r, "tcp-flags") != "3") continue;
      ports[{table_->At(r, "dstaddr"), table_->U(r, "start") / 300}].insert(
          table_->At(r, "dstport"));
    }
    size_t wide = 0;
    for (const auto& [k, v] : ports) wide += v.size() >= 20;
    EXPECT_GE(wide, 6u);
    EXPECT_TRUE(Rows({{"srcaddr", e["src"]}, {"action", "REJECT"}}).empty());
  }
  {  // Health checks: one port, >= 26 targets in each five minutes.
    const json& e = by_type.at("health_checks");
    std::set<std::string> dsts;
    for (size_t r : Rows({{"srcaddr", e["src"]}, {"dstport", "80"}}))
      dsts.insert(table_->At(r, "dstaddr"));
    EXPECT_GE(dsts.size(), 26u);
  }
  {  // The backup: gigabytes to an internal address.
    const json& e = by_type.at("backup_transfer");
    EXPECT_TRUE(Internal(e["dst"]));
    EXPECT_GT(e["bytes"].get<uint64_t>(), uint64_t{1} << 30);
  }
  EXPECT_EQ(by_type.at("nat_burst")["resembles"], "port_sweep");
  {  // The resolver: >= 1,100 name servers answer it from 53, and it asked every one of them.
    const json& e = by_type.at("recursive_resolver");
    std::set<std::string> asked, answering;
    for (size_t r : Rows({{"srcaddr", e["src"]}, {"dstport", "53"}, {"protocol", "17"}})) {
      asked.insert(table_->At(r, "dstaddr"));
    }
    for (size_t r : Rows({{"dstaddr", e["src"]}, {"srcport", "53"}, {"protocol", "17"}})) {
      if (!Internal(table_->At(r, "srcaddr"))) answering.insert(table_->At(r, "srcaddr"));
    }
    EXPECT_GE(answering.size(), 1100u);
    for (const std::string& a : answering) EXPECT_TRUE(asked.count(a)) << a;
  }
}

// The reference thresholds of docs/gen.md's table, and the near-threshold events' documented
// counts (17 and 13 ports, 28 and 22 addresses, 34 and 26 attempts, 1.15 and 0.85 GiB, 1150 and
// 850 sources), the boundary tests of scripts/eval-detect rest on both.
TEST_F(GenTruthTest, ThresholdsAndNearThresholdCountsAreTheDocumentedOnes) {
  const auto threshold = [](const char* metric, uint64_t value, uint64_t window) {
    return json{{"metric", metric}, {"value", value}, {"window_seconds", window}};
  };
  const std::map<std::string, json> kThresholds = {
      {"port_scan", threshold("distinct_dst_ports", 15, 300)},
      {"port_sweep", threshold("distinct_dsts", 25, 300)},
      {"brute_force", threshold("attempts", 30, 1800)},
      {"exfiltration", threshold("bytes_out_external", uint64_t{1} << 30, 3600)},
      {"reject_spike", threshold("rejected_flows", 100, 300)},
      {"ddos_fan_in", threshold("distinct_srcs", 1000, 300)},
  };
  const uint64_t gib = uint64_t{1} << 30;
  const std::map<std::string, std::vector<uint64_t>> kNear = {
      {"port_scan", {17, 13}},      {"port_sweep", {28, 22}},
      {"brute_force", {34, 26}},    {"exfiltration", {gib * 1150 / 1000, gib * 850 / 1000}},
      {"ddos_fan_in", {1150, 850}},
  };
  std::map<std::string, std::vector<uint64_t>> near;
  for (const json& e : *truth_) {
    SCOPED_TRACE(e.dump().substr(0, 300));
    const std::string type = e["type"];
    if (e["variant"] == "slow_external") {
      EXPECT_EQ(e["threshold"], threshold("trw_net_failures", 4, 0));  // SiLK rwscan's TRW
    } else {
      EXPECT_EQ(e["threshold"], kThresholds.at(type));
    }
    if (e["near_threshold"].get<bool>()) near[type].push_back(e["peak"].get<uint64_t>());
  }
  EXPECT_EQ(near, kNear);
}

// intensity is the peak over the threshold's value with three decimals (docs/gen.md), written
// as such: 1.133, 0.866, 12.040.
TEST_F(GenTruthTest, IntensityIsPeakOverThresholdWithThreeDecimals) {
  const std::regex intensity(R"("intensity":(\d+)\.(\d{3}),)");
  FlowGenerator g(*options_);
  for (const std::string& line : g.truth()) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(line, m, intensity)) << line.substr(0, 300);
    const json e = json::parse(line);
    const uint64_t milli =
        e["peak"].get<uint64_t>() * 1000 / e["threshold"]["value"].get<uint64_t>();
    EXPECT_EQ(std::stoull(m[1]) * 1000 + std::stoull(m[2]), milli) << line.substr(0, 300);
  }
}

// The schema's single values and lists: src, dst, dst_port and protocol when the event has
// exactly one, else null; srcs and dsts when at most 20 addresses, else null. So a sweep has dst
// null, a fan-in and a reject spike src null, a vertical scan dst_port null.
TEST_F(GenTruthTest, SingleValuesAndListsFollowTheSchema) {
  for (const json& e : *truth_) {
    SCOPED_TRACE(e.dump().substr(0, 300));
    const size_t srcs = e["distinct_srcs"], dsts = e["distinct_dsts"];
    EXPECT_EQ(e["src"].is_null(), srcs != 1);
    EXPECT_EQ(e["dst"].is_null(), dsts != 1);
    EXPECT_EQ(e["dst_port"].is_null(), e["distinct_dst_ports"] != 1);
    EXPECT_EQ(e["srcs"].is_null(), srcs > 20);
    EXPECT_EQ(e["dsts"].is_null(), dsts > 20);
    if (!e["srcs"].is_null()) {
      EXPECT_EQ(e["srcs"].size(), srcs);
    }
    if (!e["dsts"].is_null()) {
      EXPECT_EQ(e["dsts"].size(), dsts);
    }
    const std::string type = e["type"];
    if (type == "port_sweep") {
      EXPECT_TRUE(e["dst"].is_null());
    } else if (type == "ddos_fan_in" || type == "reject_spike") {
      EXPECT_TRUE(e["src"].is_null());
    } else if (type == "port_scan") {
      EXPECT_TRUE(e["dst_port"].is_null());
    }
  }
}

// Ids number the events from 1 in their file's order: attack-1, attack-2 ..., lookalike-1 ...
TEST_F(GenTruthTest, IdsNumberTheEventsFromOne) {
  for (size_t i = 0; i < truth_->size(); ++i) {
    EXPECT_EQ((*truth_)[i]["id"], "attack-" + std::to_string(i + 1));
  }
  for (size_t i = 0; i < lookalikes_->size(); ++i) {
    EXPECT_EQ((*lookalikes_)[i]["id"], "lookalike-" + std::to_string(i + 1));
  }
}

// The attacks' tcp-flags as docs/gen.md describes them: a fast scan's open ports (80, 443)
// answer SYN-ACK (18) and the scanner's record shows SYN+RST (6); a failed SSH login is a short
// complete connection (3 / 19); an upload's records open (2), go on (0) and close (1) over its
// intervals. And a reflection's victim never answers its amplifiers.
TEST_F(GenTruthTest, AttacksCarryTheirDocumentedTcpFlags) {
  using Flags = std::set<std::string>;
  const auto flags = [](const std::vector<size_t>& rows) {
    Flags out;
    for (size_t r : rows) out.insert(table_->At(r, "tcp-flags"));
    return out;
  };
  size_t seen = 0;
  for (const json& e : *truth_) {
    SCOPED_TRACE(e.dump().substr(0, 300));
    const std::string variant = e["variant"];
    if (variant == "fast_external") {
      ++seen;
      for (const char* port : {"80", "443"}) {
        EXPECT_EQ(flags(Rows({{"srcaddr", e["src"]}, {"dstaddr", e["dst"]}, {"dstport", port}})),
                  Flags{"6"});
        EXPECT_EQ(flags(Rows({{"srcaddr", e["dst"]}, {"dstaddr", e["src"]}, {"srcport", port}})),
                  Flags{"18"});
      }
    } else if (variant == "ssh_external") {
      ++seen;
      EXPECT_EQ(flags(Rows({{"srcaddr", e["src"]}, {"dstaddr", e["dst"]}})), Flags{"3"});
      EXPECT_EQ(flags(Rows({{"srcaddr", e["dst"]}, {"dstaddr", e["src"]}})), Flags{"19"});
    } else if (variant == "bulk_external") {
      ++seen;
      for (const json& dst : e["dsts"]) {
        const Flags f = flags(Rows({{"srcaddr", e["src"]}, {"dstaddr", dst}, {"dstport", "443"}}));
        EXPECT_TRUE(f.count("2") && f.count("1")) << dst;
        for (const std::string& x : f) EXPECT_TRUE(x == "2" || x == "0" || x == "1") << x;
      }
    } else if (variant == "reflection") {
      ++seen;
      for (size_t r : Rows({{"srcaddr", e["dst"]},
                            {"srcport", std::to_string(e["dst_port"].get<int>())},
                            {"protocol", "17"}})) {
        EXPECT_TRUE(Internal(table_->At(r, "dstaddr"))) << "row " << r;
      }
    }
  }
  EXPECT_EQ(seen, 4u);
}

// Near-threshold fan-ins' targets are quiet (docs/gen.md): no internet source but the attack's
// reaches them in the event's aligned 5-minute window, so the window's count of sources at the
// interface is the event's own (the background's internet scanners had probed them too).
TEST_F(GenTruthTest, NearThresholdFanInTargetsHearOnlyTheirAttack) {
  size_t seen = 0;
  for (const json& e : *truth_) {
    if (e["type"] != "ddos_fan_in" || !e["near_threshold"].get<bool>()) continue;
    ++seen;
    const uint64_t window = e["start"].get<uint64_t>() / 300 * 300;
    std::set<std::string> srcs;
    for (size_t r : Rows({{"dstaddr", e["dst"]}})) {
      const std::string& src = table_->At(r, "srcaddr");
      if (!Internal(src) && table_->U(r, "start") >= window &&
          table_->U(r, "start") < window + 300) {
        srcs.insert(src);
      }
    }
    EXPECT_EQ(srcs.size(), e["distinct_srcs"].get<size_t>()) << e.dump().substr(0, 300);
  }
  EXPECT_EQ(seen, 2u);
}

// --- Files
// ----------------------------------------------------------------------------------------

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Gunzip(const std::string& data) {
  inflate_state state;
  isal_inflate_init(&state);
  state.crc_flag = ISAL_GZIP;
  state.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(data.data()));
  state.avail_in = static_cast<uint32_t>(data.size());
  std::string out;
  std::vector<uint8_t> buf(1 << 20);
  while (state.block_state != ISAL_BLOCK_FINISH) {
    state.next_out = buf.data();
    state.avail_out = static_cast<uint32_t>(buf.size());
    if (isal_inflate(&state) != ISAL_DECOMP_OK) return "<corrupt>";
    out.append(reinterpret_cast<char*>(buf.data()), buf.size() - state.avail_out);
    if (state.avail_in == 0 && state.avail_out != 0 && state.block_state != ISAL_BLOCK_FINISH) {
      return "<truncated>";
    }
  }
  EXPECT_EQ(state.avail_in, 0u) << "a single gzip member";
  return out;
}

class GenFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("flowsift-gen-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  GenFilesOptions Options(GenLayout layout, GenCompression c, std::string sub) const {
    GenFilesOptions o;
    o.gen = AttackOptions(7, "v3");
    o.gen.records = 60000;
    o.gen.interval = 60;
    o.dir = (dir_ / sub).string();
    o.layout = layout;
    o.compression = c;
    return o;
  }
  // Every data file decoded; checks the header and that the text parses cleanly.
  std::vector<std::pair<fs::path, std::string>> Decode(const GenFilesResult& r,
                                                       const GenFilesOptions& o) {
    std::vector<std::pair<fs::path, std::string>> out;
    for (const std::string& p : r.paths) {
      const std::string raw = ReadFile(p);
      const std::string text = o.compression == GenCompression::kGzip ? Gunzip(raw)
                               : o.compression == GenCompression::kZstd
                                   ? flowsift::testing::DecodeZstd(raw)
                                   : raw;
      EXPECT_EQ(text.substr(0, text.find('\n')), o.gen.format.HeaderLine()) << p;
      EXPECT_EQ(BadLines(text, o.gen.format), 0u) << p;
      out.emplace_back(p, text);
    }
    return out;
  }
  fs::path dir_;
};

uint64_t CountRecords(const std::vector<std::pair<fs::path, std::string>>& files) {
  uint64_t n = 0;
  for (const auto& [p, text] : files) n += std::count(text.begin(), text.end(), '\n') - 1;
  return n;
}

TEST_F(GenFilesTest, S3LayoutsNameObjectsLikeAwsAndHoldTheirFiveMinutes) {
  for (const GenLayout layout : {GenLayout::kS3, GenLayout::kS3Hive}) {
    const bool hive = layout == GenLayout::kS3Hive;
    const GenFilesOptions o = Options(layout, GenCompression::kGzip, hive ? "hive" : "s3");
    const GenFilesResult r = GenerateFiles(o);
    ASSERT_GE(r.paths.size(), 12u);  // one hour, one object per 5 minutes
    const std::regex key(
        hive
            ? R"(AWSLogs/aws-account-id=(\d{12})/aws-service=vpcflowlogs/aws-region=([a-z0-9-]+)/year=(\d{4})/month=(\d\d)/day=(\d\d)/\1_vpcflowlogs_\2_fl-0[0-9a-f]{16}_(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z_[0-9a-f]{8}\.log\.gz)"
            : R"(AWSLogs/(\d{12})/vpcflowlogs/([a-z0-9-]+)/(\d{4})/(\d\d)/(\d\d)/\1_vpcflowlogs_\2_fl-0[0-9a-f]{16}_(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z_[0-9a-f]{8}\.log\.gz)");
    const auto files = Decode(r, o);
    EXPECT_EQ(CountRecords(files), o.gen.records);
    for (const auto& [path, text] : files) {
      const std::string rel = fs::relative(path, o.dir).string();
      std::smatch m;
      ASSERT_TRUE(std::regex_match(rel, m, key)) << rel;
      EXPECT_EQ(m[3], m[6]);  // the folder's date is the name's
      EXPECT_EQ(m[4], m[7]);
      EXPECT_EQ(m[5], m[8]);
      std::tm tm{};
      tm.tm_year = std::stoi(m[6]) - 1900;
      tm.tm_mon = std::stoi(m[7]) - 1;
      tm.tm_mday = std::stoi(m[8]);
      tm.tm_hour = std::stoi(m[9]);
      tm.tm_min = std::stoi(m[10]);
      const uint64_t period = static_cast<uint64_t>(timegm(&tm));
      EXPECT_EQ(period % 300, 0u);
      const Table t(text);
      ASSERT_GT(t.rows.size(), 0u);
      for (size_t row = 0; row < t.rows.size(); ++row) {
        const uint64_t end = t.U(row, "end");
        ASSERT_GE(end, period) << rel;  // records *ending* in the object's five minutes
        ASSERT_LT(end, period + 300) << rel;
      }
    }
    EXPECT_TRUE(fs::exists(fs::path(o.dir) / "truth.jsonl"));
  }
}

// Interfaces capture on their own clocks, so a day's folder (objects by record end) holds records
// that started the day before, as AWS's do; no object is written twice (a record that starts
// before an earlier one must not reopen a closed period: all the records are there).
TEST_F(GenFilesTest, S3DayFolderHoldsRecordsThatStartedTheDayBefore) {
  GenFilesOptions o = Options(GenLayout::kS3, GenCompression::kNone, "day");
  o.gen.interval = 600;
  o.gen.start = 1700006400 - 3600;  // 2023-11-14T23:00:00Z
  o.gen.hours = 2;
  const GenFilesResult r = GenerateFiles(o);
  const auto files = Decode(r, o);
  EXPECT_EQ(CountRecords(files), o.gen.records);
  size_t from_the_day_before = 0;
  for (const auto& [path, text] : files) {
    if (path.parent_path().filename() != "15") continue;
    const Table t(text);
    for (size_t row = 0; row < t.rows.size(); ++row) {
      from_the_day_before += t.U(row, "start") < 1700006400;
    }
  }
  EXPECT_GT(from_the_day_before, 0u);
}

TEST_F(GenFilesTest, FlatFilesZstdAndDeterminism) {
  GenFilesOptions o = Options(GenLayout::kFlat, GenCompression::kZstd, "a");
  o.files = 3;
  const GenFilesResult a = GenerateFiles(o);
  ASSERT_EQ(a.paths.size(), 3u);
  const std::regex name(R"(flows-0000[0-2]\.log\.zst)");
  for (const std::string& p : a.paths)
    EXPECT_TRUE(std::regex_match(fs::path(p).filename().string(), name)) << p;
  const auto files = Decode(a, o);
  EXPECT_EQ(CountRecords(files), o.gen.records);
  for (const auto& [p, text] : files) {
    EXPECT_NEAR(static_cast<double>(std::count(text.begin(), text.end(), '\n') - 1), 20000.0, 1.0);
  }
  // Same options: the same bytes in every file, truth included. Another seed: other bytes.
  o.dir = (dir_ / "b").string();
  const GenFilesResult b = GenerateFiles(o);
  o.dir = (dir_ / "c").string();
  o.gen.seed = 8;
  const GenFilesResult c = GenerateFiles(o);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ReadFile(a.paths[i]), ReadFile(b.paths[i]));
    EXPECT_NE(ReadFile(a.paths[i]), ReadFile(c.paths[i]));
  }
  EXPECT_EQ(ReadFile(dir_ / "a" / "truth.jsonl"), ReadFile(dir_ / "b" / "truth.jsonl"));
  EXPECT_NE(ReadFile(dir_ / "a" / "truth.jsonl"), ReadFile(dir_ / "c" / "truth.jsonl"));
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST_F(GenFilesTest, GzipFlatIsOneMemberAndTruthIsEmptyWithoutAttacks) {
  GenFilesOptions o = Options(GenLayout::kFlat, GenCompression::kGzip, "g");
  o.gen.attacks.clear();
  const GenFilesResult r = GenerateFiles(o);
  ASSERT_EQ(r.paths.size(), 1u);
  EXPECT_EQ(CountRecords(Decode(r, o)), o.gen.records);
  EXPECT_EQ(ReadFile(fs::path(o.dir) / "truth.jsonl"), "");
  EXPECT_TRUE(fs::exists(fs::path(o.dir) / "lookalikes.jsonl"));  // always written
  EXPECT_FALSE(fs::exists(fs::path(o.dir) / "scanners.jsonl"));   // with attacks only
  EXPECT_LT(r.file_bytes * 3, r.text_bytes);                      // it did compress
}

// With attacks, scanners.jsonl lists the background's 400 internet scanners, the IPv4 and IPv6
// form of each; without, there is none: an earlier gen's in the directory goes, as it would name
// another data set's scanners beside an empty truth.jsonl (docs/gen.md).
TEST_F(GenFilesTest, ScannersAreListedWithAttacksOnly) {
  GenFilesOptions o = Options(GenLayout::kFlat, GenCompression::kNone, "s");
  o.gen.records = 6000;
  o.gen.attacks = {AttackKind::kPortScan};
  GenerateFiles(o);
  std::vector<json> scanners;
  std::istringstream in(ReadFile(fs::path(o.dir) / "scanners.jsonl"));
  for (std::string line; std::getline(in, line);) scanners.push_back(json::parse(line));
  ASSERT_EQ(scanners.size(), 800u);
  std::set<std::string> addresses;
  for (const json& s : scanners) {
    EXPECT_EQ(s["type"], "background_scanner") << s.dump();
    addresses.insert(s["src"].get<std::string>());
  }
  EXPECT_EQ(addresses.size(), 800u);
  EXPECT_EQ(scanners[1]["scanner"], 0);  // the IPv6 form of the first
  EXPECT_NE(scanners[1]["src"].get<std::string>().find(':'), std::string::npos);
  o.gen.attacks.clear();
  GenerateFiles(o);
  EXPECT_FALSE(fs::exists(fs::path(o.dir) / "scanners.jsonl"));
  EXPECT_EQ(ReadFile(fs::path(o.dir) / "truth.jsonl"), "");
}

}  // namespace
}  // namespace flowsift
