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
  EXPECT_LT(r.file_bytes * 3, r.text_bytes);  // it did compress
}

}  // namespace
}  // namespace flowsift
