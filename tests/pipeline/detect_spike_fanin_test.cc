// The reject-spike and DDoS fan-in detectors: thresholds against each interface's and host's own
// baseline within its life, reflection floods, and the distinct counts past the sketch's size.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernels/types.h"
#include "pipeline/detect.h"
#include "pipeline/distinct.h"
#include "tests/pipeline/detect_harness.h"

namespace flowsift {
namespace {

using flowsift::testing::AddAnswers;
using flowsift::testing::AddFlood;
using flowsift::testing::AddRejects;
using flowsift::testing::AddRejectsTo2049Hosts;
using flowsift::testing::AddScan;
using flowsift::testing::Detect;
using flowsift::testing::Ip;
using flowsift::testing::ParsedText;
using flowsift::testing::ParseText;
using flowsift::testing::Rec;
using flowsift::testing::SaveAndLoad;
using flowsift::testing::Server;
using flowsift::testing::Udp;

// As for a sweep's hosts (PortSweep.ADistinctCountIsNeverAboveTheAttempts), the same for the
// sources of a reject spike and a flood, and a brute force's connections
// (distinct source ports): 2,049 external sources 11.0.0.7, 11.0.0.14, ... are estimated 2,051
// (the aggregator's test), and 2,049 source ports 40001.. 2,062.
TEST(RejectSpikeAndFanIn, ADistinctCountIsNeverAboveTheFlows) {
  Detect d;
  DistinctCounter raw_sources, raw_ports;
  for (uint32_t n = 1; n <= 2049; ++n) {
    const uint32_t v4 = (11u << 24) + 7 * n;
    raw_sources.Add(HashAddr(kernels::AddrFromIPv4(v4)));
    Rec r;
    r.src = Ip(11, static_cast<int>((v4 >> 16) & 255), static_cast<int>((v4 >> 8) & 255),
               static_cast<int>(v4 & 255));
    r.dst = "10.0.1.5";
    r.dport = 443;
    r.action = "REJECT";
    r.start = 1700000100 + n % 200;
    d.Add(r);
    // One host's SSH connections to another, each from a port of its own.
    Rec b;
    b.src = "198.51.100.9";
    b.dst = "10.0.1.6";
    b.sport = static_cast<int>(40000 + n);
    b.dport = 22;  // accepted SYNs: no reject spike of their own
    b.start = 1700000100 + n % 200;
    raw_ports.Add(Mix64(uint64_t{40000 + n} + 1));
    d.Add(b);
  }
  ASSERT_GT(raw_sources.Count(), 2049u);  // the estimates this test is about
  ASSERT_GT(raw_ports.Count(), 2049u);
  const auto spikes = d.Of("reject_spike");
  ASSERT_EQ(spikes.size(), 1u);
  EXPECT_EQ(spikes[0].flows, 2049u);
  EXPECT_EQ(spikes[0].evidence["distinct_sources"], 2049);
  EXPECT_THAT(spikes[0].summary, ::testing::HasSubstr("rejected 2049 flows from 2049 sources"));
  const auto floods = d.Of("ddos_fan_in");
  ASSERT_EQ(floods.size(), 1u);
  EXPECT_EQ(floods[0].flows, 2049u);
  EXPECT_EQ(floods[0].evidence["distinct_sources"], 2049);
  EXPECT_THAT(floods[0].summary, ::testing::StartsWith("2049 external sources sent 2049 flows"));
  const auto brutes = d.Of("brute_force");
  ASSERT_EQ(brutes.size(), 1u);
  EXPECT_EQ(brutes[0].flows, 2049u);
  EXPECT_EQ(brutes[0].evidence["attempts"], 2049);
}

// --- reject_spike ------------------------------------------------------------------------------

TEST(RejectSpike, QuietInterfaceThresholdMinusOneAndThreshold) {
  Detect below;
  AddRejects(below, "eni-db", 99, 1700001600);
  EXPECT_TRUE(below.Of("reject_spike").empty());
  Detect at;
  AddRejects(at, "eni-db", 100, 1700001600);
  const auto f = at.Of("reject_spike");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].interfaces, std::vector<std::string>{"eni-db"});
  EXPECT_EQ(f[0].flows, 100u);
  EXPECT_EQ(f[0].dst_port, 5432u);
  EXPECT_EQ(f[0].protocol, 6u);  // every rejected flow TCP (it was always null)
  EXPECT_EQ(f[0].src, std::nullopt);
  EXPECT_EQ(f[0].window_start, 1700001600u);
}

// A security-group change often hits several interfaces at once. Their spikes share type,
// window and port and have no src or dst, so the interface must tell them apart: in the id
// (a SIEM deduplicates on it) and in the order, whichever partition each interface landed in
// (absorbed first or second), or the findings' bytes would depend on --threads.
// A stateless network ACL drops a server's replies (tcp-flags 19: SYN-ACK, then FIN, with
// payload): the windows table counts them as rejected, and so does the spike. They were dropped
// as replies before the reject counter saw them, while the same records without tcp-flags or
// tiny made the finding.
TEST(RejectSpike, RejectedRepliesCountLikeAnyRejectedFlow) {
  for (const bool with_flags : {true, false}) {
    Detect d({}, with_flags);
    for (int i = 0; i < 150; ++i) {
      Rec r;
      r.iface = "eni-rs";
      r.src = "10.0.0.70";
      r.dst = Ip(198, 51, 100, 1 + i % 200);
      r.sport = 443;
      r.dport = 50000 + i;
      r.flags = 19;
      r.packets = 10;
      r.bytes = 5000;
      r.action = "REJECT";
      r.start = 1700001600 + static_cast<uint64_t>(i % 290);
      d.Add(r);
    }
    const auto f = d.Of("reject_spike");
    ASSERT_EQ(f.size(), 1u) << with_flags;
    EXPECT_EQ(f[0].flows, 150u);
    EXPECT_EQ(f[0].distinct_dsts, 150u);  // it was always 1
    EXPECT_EQ(f[0].interfaces, std::vector<std::string>{"eni-rs"});
  }
}

TEST(RejectSpike, SpikesOnTwoInterfacesInOneWindowHaveTheirOwnIdsAndOrder) {
  const auto spikes = [](const char* first, const char* second) {
    Detect a, b;
    AddRejects(a, first, 120, 1700001600);
    AddRejects(b, second, 130, 1700001600);
    a.Flush();
    b.Flush();
    a.detector().Absorb(std::move(b.detector()));
    std::vector<Finding> out;
    for (Finding& f : a.detector().Findings(1700000000, 1700003600)) {
      if (f.type == "reject_spike") out.push_back(std::move(f));
    }
    return out;
  };
  const auto ab = spikes("eni-a", "eni-b");
  const auto ba = spikes("eni-b", "eni-a");
  ASSERT_EQ(ab.size(), 2u);
  ASSERT_EQ(ba.size(), 2u);
  EXPECT_NE(ab[0].id, ab[1].id);
  for (const auto* v : {&ab, &ba}) {
    EXPECT_EQ((*v)[0].interfaces, std::vector<std::string>{"eni-a"});
    EXPECT_EQ((*v)[1].interfaces, std::vector<std::string>{"eni-b"});
  }
  EXPECT_EQ(ab[0].id, ba[0].id);
  EXPECT_EQ(ab[1].id, ba[1].id);
  // Other types keep the id SPEC gives: a hash of type, src, dst, dst_port and window_start.
  Detect scan;
  AddScan(scan, 15);
  const auto f = scan.Of("port_scan");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].id, FindingId("port_scan", "198.51.100.7", "10.0.1.5", std::nullopt, 1700000100));
}

TEST(RejectSpike, SteadyRejectsAreTheBaseline) {
  Detect d;
  for (uint64_t w = 1700001300; w < 1700001300 + 12 * 300; w += 300) {
    AddRejects(d, "eni-web", 150, w);
  }
  EXPECT_TRUE(d.Of("reject_spike", 1700001300, 1700001300 + 12 * 300).empty());
}

// A gap in the run's spans is no data, not quiet windows: the same steady interface is no spike
// when its baseline's span is the hour it logged plus one far-off window (a damaged record's
// start time decades on), where a single span over both made every window a spike against a
// million zeros.
TEST(RejectSpike, AGapInTheRunsSpansIsNotABaselineOfZeros) {
  Detect d;
  for (uint64_t w = 1700001300; w < 1700001300 + 12 * 300; w += 300) {
    AddRejects(d, "eni-web", 150, w);
  }
  d.Flush();
  const uint64_t begin = 1700001300, end = begin + 12 * 300, far = 9999999600;
  const auto spikes = [](const std::vector<Finding>& all) {
    return std::count_if(all.begin(), all.end(),
                         [](const Finding& f) { return f.type == "reject_spike"; });
  };
  EXPECT_EQ(spikes(d.detector().Findings({{begin, end}, {far, far + 600}})), 0);
  // A span that ends at the end of time (a part's active times can name the last bucket): its
  // last window is the last one, not the start of a million windows wrapped round past 2^64.
  EXPECT_EQ(spikes(d.detector().Findings({{begin, end}, {UINT64_MAX - 450, UINT64_MAX}})), 0);
  EXPECT_EQ(spikes(d.detector().Findings(begin, far + 600)), 12);  // the one span: every window
  // Spans that touch or overlap count their shared windows once.
  EXPECT_EQ(spikes(d.detector().Findings({{begin, begin + 1800}, {begin + 1800, end}})), 0);
}

// With the windows table's interface lives, an interface started mid-run that rejects the
// internet's usual probes (150 a window) all its life is compared with that life: against the
// day's silence its every window was a spike.
TEST(RejectSpike, AnInterfaceIsComparedWithinItsLife) {
  const uint64_t begin = 1700000100, hour = 3600;
  Detect d;
  for (uint64_t w = 0; w < 12; ++w) AddRejects(d, "eni-new", 150, begin + 10 * hour + w * 300);
  d.Flush();
  const std::vector<TimeSpan> day = {{begin, begin + 24 * hour}};
  const auto spikes = [&](const InterfaceLives* lives) {
    size_t n = 0;
    for (const Finding& f : d.detector().Findings(day, lives)) n += f.type == "reject_spike";
    return n;
  };
  EXPECT_EQ(spikes(nullptr), 12u);
  const InterfaceLives lives = {{"eni-new", {begin + 10 * hour, begin + 11 * hour}}};
  EXPECT_EQ(spikes(&lives), 0u);
}

// A spike that straddles a window boundary crosses the minimum in two windows; each half is left
// out of the other's baseline (baseline.h, Guarded). 322 and 356 rejected flows in two windows
// of an otherwise quiet hour, as in a generated set where the 322 in its baseline made the 356
// z = 3.7: no finding. Three steady busy windows are still each other's baseline.
TEST(RejectSpike, ASpikeAcrossAWindowBoundaryIsNotItsOwnBaseline) {
  const uint64_t begin = 1700001300;
  Detect d;
  AddRejects(d, "eni-db", 5, begin + 300);
  AddRejects(d, "eni-db", 322, begin + 7 * 300);
  AddRejects(d, "eni-db", 356, begin + 8 * 300);
  AddRejects(d, "eni-db", 99, begin + 9 * 300);  // under the minimum: in the baseline
  const auto f = d.Of("reject_spike", begin, begin + 12 * 300);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].window_start, begin + 7 * 300);
  EXPECT_EQ(f[1].window_start, begin + 8 * 300);
  EXPECT_EQ(f[1].evidence["baseline_windows"], 10);  // 12 less itself and the 322
  EXPECT_NEAR(f[1].evidence["baseline_mean_flows"].get<double>(), 10.4, 1e-9);  // (5 + 99) / 10
  EXPECT_NE(f[1].summary.find("not counting the busy window beside it"), std::string::npos);

  Detect steady;
  for (uint64_t k = 0; k < 3; ++k) AddRejects(steady, "eni-web", 150, begin + k * 300);
  EXPECT_TRUE(steady.Of("reject_spike", begin, begin + 3 * 300).empty());
}

// Two spikes of one run are each out of the other's baseline (baseline.h, Censored): a port
// scan's 321 rejected flows and a blocked app tier's 201 (and 156 in the window after it) in
// one hour of a generated 10-interface network, where the quiet windows hold 0 to 43. Each had
// the other in its baseline (z 1.8 and 3.3) and neither was found.
TEST(RejectSpike, TwoSpikesOfOneRunDoNotHideEachOther) {
  const uint64_t begin = 1700001300;
  const int hour[12] = {0, 43, 201, 156, 1, 0, 0, 0, 0, 2, 321, 1};
  Detect d;
  for (uint64_t k = 0; k < 12; ++k) {
    if (hour[k] != 0) AddRejects(d, "eni-db", hour[k], begin + k * 300);
  }
  const auto f = d.Of("reject_spike", begin, begin + 12 * 300);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].window_start, begin + 2 * 300);
  EXPECT_EQ(f[1].window_start, begin + 3 * 300);
  EXPECT_EQ(f[2].window_start, begin + 10 * 300);
  // The 201's baseline: the 12 windows less itself, the 156 beside it and the 321.
  EXPECT_EQ(f[0].evidence["baseline_windows"], 9);
  EXPECT_NEAR(f[0].evidence["baseline_mean_flows"].get<double>(), 47.0 / 9, 1e-3);  // rounded
  EXPECT_NE(f[0].summary.find("(not counting the busy window beside it and its busiest other "
                              "window)"),
            std::string::npos)
      << f[0].summary;
  // The 321's: less itself and the two busiest others, the 201 and the 156.
  EXPECT_EQ(f[2].evidence["baseline_windows"], 9);
  EXPECT_NE(f[2].summary.find("(not counting its two busiest other windows)"), std::string::npos)
      << f[2].summary;
}

// Censoring takes out windows over the minimum only: an hour whose other windows are all quiet
// but one under the minimum keeps that one, and a spike three times as high as the hour's other
// busy windows (which are its baseline's largest) is still judged with the quiet ones.
TEST(RejectSpike, CensoringLeavesWindowsUnderTheMinimumInTheBaseline) {
  const uint64_t begin = 1700001300;
  Detect d;
  AddRejects(d, "eni-db", 99, begin + 300);
  AddRejects(d, "eni-db", 400, begin + 6 * 300);
  const auto f = d.Of("reject_spike", begin, begin + 12 * 300);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["baseline_windows"], 11);
  EXPECT_NEAR(f[0].evidence["baseline_mean_flows"].get<double>(), 9.0, 1e-9);  // 99 / 11
  EXPECT_EQ(f[0].summary.find("not counting"), std::string::npos) << f[0].summary;
}

// --- ddos_fan_in -------------------------------------------------------------------------------

TEST(DdosFanIn, ThresholdMinusOneGivesNothingThresholdGivesOne) {
  Detect below;
  AddFlood(below, 999, 1700001600);
  EXPECT_TRUE(below.Of("ddos_fan_in").empty());
  Detect at;
  AddFlood(at, 1000, 1700001600);
  const auto f = at.Of("ddos_fan_in");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].dst, "10.0.0.20");
  EXPECT_EQ(f[0].src, std::nullopt);
  EXPECT_EQ(f[0].dst_port, 443u);
  EXPECT_EQ(f[0].evidence["distinct_sources"], 1000);
  EXPECT_EQ(f[0].mitre, (std::vector<std::string>{"T1498", "T1498.001"}));
}

// With the windows table's interface lives, a host's baseline is the life of its interfaces:
// an instance an autoscaling group ran for an hour of the day, busy all that hour, is compared
// with that hour, not with the day's silent windows (a median of 0 made every window of its
// life a finding). A flood within its life is still one; an interface the table does not
// name is judged over the whole run, as without lives.
TEST(DdosFanIn, AHostIsComparedWithinItsInterfacesLife) {
  const uint64_t begin = 1700000100, hour = 3600;
  Detect d;
  for (uint64_t w = 0; w < 12; ++w) {  // an hour of 1,200 clients a window, from hour 10
    AddFlood(d, 1200, begin + 10 * hour + w * 300, static_cast<int>(w * 37));
  }
  const std::vector<TimeSpan> day = {{begin, begin + 24 * hour}};
  const auto floods = [&](const InterfaceLives* lives) {
    size_t n = 0;
    for (const Finding& f : d.detector().Findings(day, lives)) n += f.type == "ddos_fan_in";
    return n;
  };
  d.Flush();
  EXPECT_EQ(floods(nullptr), 12u);  // against the day's silence: every window
  const InterfaceLives lives = {{"eni-a", {begin + 10 * hour, begin + 11 * hour}}};
  EXPECT_EQ(floods(&lives), 0u);
  const InterfaceLives other = {{"eni-b", {begin, begin + 24 * hour}}};
  EXPECT_EQ(floods(&other), 12u);
  // A flood in the middle of that life: 6,000 sources more, six times the others' median.
  AddFlood(d, 6000, begin + 10 * hour + 5 * 300, 50000);
  d.Flush();
  std::vector<Finding> f;
  for (Finding& x : d.detector().Findings(day, &lives)) {
    if (x.type == "ddos_fan_in") f.push_back(std::move(x));
  }
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].window_start, begin + 10 * hour + 5 * 300);
  EXPECT_EQ(f[0].evidence["baseline_median_sources"], 1200);
}

// A DNS reflection flood a security group rejects: 1,000 resolvers send from port 53 to the
// victim's high ports. Those rows look like the answers a stateless NACL drops (a reply for the
// scans) but still count for fan-in; they did not with the first version of that rule.
TEST(DdosFanIn, ARejectedReflectionFloodIsAFanIn) {
  Detect d;
  for (int i = 0; i < 1000; ++i) {
    Rec r;
    r.src = Ip(100 + i / 65536 % 50, i / 256 % 256, i % 256, 53);
    r.dst = "10.0.0.20";
    r.sport = 53;
    r.dport = 33000 + i % 20000;
    r.proto = 17;
    r.flags = 0;
    r.packets = 1;
    r.bytes = 3000;
    r.action = "REJECT";
    r.start = 1700001600 + static_cast<uint64_t>(i % 290);
    d.Add(r);
  }
  const auto f = d.Of("ddos_fan_in");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].dst, "10.0.0.20");
  EXPECT_EQ(f[0].protocol, 17u);
  EXPECT_TRUE(d.Of("port_scan").empty());
}

void AskServers(Detect& d, int first, int n, uint64_t window_start,
                const std::string& src = "10.0.0.30") {
  for (int i = first; i < first + n; ++i) {
    Rec r = Udp(i, window_start, 1, 80);
    r.src = src;
    r.dst = Server(i);
    r.sport = 40000;
    r.dport = 53;
    d.Add(r);
  }
}

TEST(DdosFanIn, AReflectionFloodIsAnswersNobodyAskedFor) {
  Detect below;
  AddAnswers(below, 0, 999, 1700001600);
  EXPECT_TRUE(below.Of("ddos_fan_in").empty());
  Detect at;
  AddAnswers(at, 0, 1000, 1700001600);
  const auto f = at.Of("ddos_fan_in");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].dst, "10.0.0.30");
  EXPECT_EQ(f[0].src, std::nullopt);
  EXPECT_EQ(f[0].dst_port, 40000u);
  EXPECT_EQ(f[0].protocol, 17u);
  EXPECT_EQ(f[0].flows, 1000u);
  EXPECT_EQ(f[0].bytes, 2900000u);
  EXPECT_EQ(f[0].mitre, (std::vector<std::string>{"T1498", "T1498.002"}));
  EXPECT_EQ(f[0].evidence["reflection"], true);
  EXPECT_EQ(f[0].evidence["unsolicited_sources"], 1000);
  EXPECT_EQ(f[0].evidence["answering_sources"], 1000);
  EXPECT_EQ(f[0].evidence["asked_hosts"], 0);
  EXPECT_EQ(f[0].evidence["source_ports"], nlohmann::json::array({53}));
  // No finding of the direct kind: answers are not requests.
  EXPECT_EQ(f[0].evidence.count("distinct_sources"), 0u);
  EXPECT_TRUE(at.Of("scan_trw").empty());
}

TEST(DdosFanIn, AReflectionAndADirectFloodOfOneHostAreTwoFindings) {
  Detect d;
  AddAnswers(d, 0, 1200, 1700001600, 123, "10.0.0.20");
  AddFlood(d, 1200, 1700001600);  // SYNs to 10.0.0.20:443 from other sources
  const auto f = d.Of("ddos_fan_in");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].dst, f[1].dst);
  EXPECT_EQ(f[0].window_start, f[1].window_start);
  EXPECT_NE(f[0].id, f[1].id);
  // In one order whatever the order they were made in: the direct one first (its scope, "",
  // sorts first), so the file's bytes do not depend on --threads.
  EXPECT_FALSE(f[0].evidence.contains("reflection"));
  EXPECT_TRUE(f[1].evidence.contains("reflection"));
}

// A recursive resolver's busy window: 1,500 name servers answer from port 53, each asked first.
TEST(DdosFanIn, AResolverThatAskedIsNoReflection) {
  Detect d;
  AskServers(d, 0, 1500, 1700001600);
  AddAnswers(d, 0, 1500, 1700001600);
  EXPECT_TRUE(d.Of("ddos_fan_in").empty());
  // Asked in the window before or after (a record's start lags its packets by up to a
  // minute): asked for. Two windows before: not.
  for (const uint64_t asked_at : {1700001300u, 1700001900u}) {
    Detect beside;
    AskServers(beside, 0, 1500, asked_at);
    AddAnswers(beside, 0, 1500, 1700001600);
    EXPECT_TRUE(beside.Of("ddos_fan_in").empty()) << asked_at;
  }
  Detect late;
  AskServers(late, 0, 1500, 1700001000);
  AddAnswers(late, 0, 1500, 1700001600);
  EXPECT_EQ(late.Of("ddos_fan_in").size(), 1u);
}

// Windows shorter than a record's lag (60 s): as many windows either side as cover the minute.
TEST(DdosFanIn, ShortWindowsPairAQuestionAndItsAnswerAMinuteApart) {
  DetectOptions o;
  o.fanin_window = 30;
  o.fanin_min_sources = 100;
  const auto run = [&](uint64_t answered_at) {
    Detect d(o);
    for (int i = 0; i < 150; ++i) {
      Rec ask = Udp(0, 1700001600, 1, 80), answer = Udp(0, answered_at, 1, 400);
      ask.src = answer.dst = "10.0.0.30";
      ask.dst = answer.src = Server(i);
      ask.sport = answer.dport = 40000;
      ask.dport = answer.sport = 53;
      d.Add(ask);
      d.Add(answer);
    }
    return d.Of("ddos_fan_in").size();
  };
  EXPECT_EQ(run(1700001660), 0u);  // two windows later: within the minute
  EXPECT_EQ(run(1700001690), 1u);  // three: not the answers to these questions
}

// A host's questions from a port no amplifier uses to CoAP's 5683 (4000 -> 5683: a reply by the
// lower-port rule) are questions all the same, and make the answers to them (5683 -> 4000)
// solicited.
TEST(DdosFanIn, QuestionsToAHigherAmplifierPortAreAsked) {
  Detect d;
  for (int i = 0; i < 1200; ++i) {
    Rec ask = Udp(i, 1700001600, 1, 60), answer = Udp(i, 1700001600, 1, 300);
    ask.src = answer.dst = "10.0.0.30";
    ask.dst = answer.src = Server(i);
    ask.sport = answer.dport = 4000;
    ask.dport = answer.sport = 5683;
    d.Add(ask);
    d.Add(answer);
  }
  EXPECT_TRUE(d.Of("ddos_fan_in").empty());
}

// Memcached, NTP or CLDAP answers aimed at the victim's 80 or 443: the amplifier's port is the
// higher one, but 443 is no amplifier's: answers, not 1,200 clients of a UDP service on 443
// (which is what the lower-port rule alone made them: a direct flood).
TEST(DdosFanIn, AnswersToALowerPortAreAReflectionToo) {
  for (const int sport : {11211, 123, 389}) {
    Detect d;
    AddAnswers(d, 0, 1200, 1700001600, sport, "10.0.0.30", 443);
    const auto f = d.Of("ddos_fan_in");
    ASSERT_EQ(f.size(), 1u) << sport;
    EXPECT_EQ(f[0].mitre, (std::vector<std::string>{"T1498", "T1498.002"})) << sport;
    EXPECT_EQ(f[0].dst_port, 443u);
    EXPECT_EQ(f[0].evidence["source_ports"], nlohmann::json::array({sport}));
  }
  // From one amplifier port to another (NTP 123 to SNMP 161): the lower-port rule decides, as
  // for equal ports; 123 -> 161 is an answer, 161 -> 123 a request.
  Detect up, down;
  AddAnswers(up, 0, 1200, 1700001600, 123, "10.0.0.30", 161);
  AddAnswers(down, 0, 1200, 1700001600, 161, "10.0.0.30", 123);
  const auto f = up.Of("ddos_fan_in"), g = down.Of("ddos_fan_in");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["reflection"], true);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_FALSE(g[0].evidence.contains("reflection"));
}

// v5 with pkt-srcaddr but not pkt-dstaddr, a NAT gateway's interface only: the gateway passes
// 1,500 name servers' answers on to the instance that asked it (srcaddr the gateway,
// pkt-srcaddr the server). The instance asked the gateway, not the servers; the gateway asked
// them and got their answers. No reflection either way.
TEST(DdosFanIn, AnswersANatGatewayPassesOnAreNotUnsolicited) {
  std::string err;
  const auto format = Format::Parse(
      "interface-id srcaddr dstaddr pkt-srcaddr srcport dstport protocol packets bytes start "
      "end action log-status",
      &err);
  ASSERT_TRUE(format) << err;
  std::string text;
  const auto line = [&](const std::string& src, const std::string& dst, const std::string& pkt,
                        int sport, int dport, uint64_t t) {
    text += "eni-nat " + src + " " + dst + " " + pkt + " " + std::to_string(sport) + " " +
            std::to_string(dport) + " 17 1 300 " + std::to_string(t) + " " + std::to_string(t) +
            " ACCEPT OK\n";
  };
  for (int i = 0; i < 1500; ++i) {
    const std::string server = Ip(150, i / 256 % 256, i % 256, 9);
    const uint64_t t = 1700001600 + static_cast<uint64_t>(i % 290);
    line("10.2.1.5", "10.2.0.9", "10.2.1.5", 40000 + i % 9000, 53, t);  // instance -> gateway
    line("10.2.0.9", server, "10.2.0.9", 2000 + i, 53, t);              // gateway -> server
    line(server, "10.2.0.9", server, 53, 2000 + i, t);                  // server -> gateway
    line("10.2.0.9", "10.2.1.5", server, 53, 40000 + i % 9000, t);      // gateway -> instance
  }
  const ParsedText p = ParseText(text, *format);
  ASSERT_TRUE(p.batch.bad_lines.empty());
  Detector d{DetectOptions{}};
  d.Add(p.batch, p.base());
  for (const Finding& f : d.Findings(1700000000, 1700003600)) {
    EXPECT_NE(f.type, "ddos_fan_in") << f.summary;
  }
}

// The asking and the answers in different parts (files of other hours of a day, other
// machines): saved, loaded and merged, the answers were asked for. Each alone: its own verdict.
TEST(DdosFanIn, AskingAndAnswersInTwoPartsMerge) {
  Detect asking, answers;
  AskServers(asking, 0, 1500, 1700001600);
  AddAnswers(answers, 0, 1500, 1700001600);
  asking.Flush();
  answers.Flush();
  const auto reflections = [](const std::vector<Finding>& fs) {
    size_t n = 0;
    for (const Finding& f : fs) n += f.evidence.contains("reflection");
    return n;
  };
  EXPECT_EQ(reflections(answers.detector().Findings(1700000000, 1700003600)), 1u);
  for (const bool answers_first : {false, true}) {
    Detector loaded{DetectOptions{}};
    for (Detect* part : answers_first ? std::vector<Detect*>{&answers, &asking}
                                      : std::vector<Detect*>{&asking, &answers}) {
      ASSERT_NO_FATAL_FAILURE(SaveAndLoad(part->detector(), loaded));
    }
    EXPECT_EQ(reflections(loaded.Findings(1700000000, 1700003600)), 0u) << answers_first;
  }
}

// reflection_unsolicited_share (0.5), with min_sources 100 so that the sets stay exact: 1,000
// answering sources, of which the host asked 400 (600 unsolicited: a finding), 501 (499,
// under half: none) or 500 (half: a finding).
TEST(DdosFanIn, MostAnsweringSourcesMustBeUnsolicited) {
  DetectOptions o;
  o.fanin_min_sources = 100;
  Detect half(o);
  AskServers(half, 0, 400, 1700001600);
  AddAnswers(half, 0, 1000, 1700001600);
  const auto f = half.Of("ddos_fan_in");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["unsolicited_sources"], 600);
  EXPECT_EQ(f[0].evidence["asked_hosts"], 400);
  // Its threshold counts unsolicited sources, and the evidence gives the measured share beside
  // unsolicited_share, and the multiple of the median (none: a median of 0).
  EXPECT_EQ(f[0].evidence.at("unsolicited_share"), 0.6);
  EXPECT_TRUE(f[0].evidence.at("ratio_to_median").is_null());
  EXPECT_EQ(f[0].evidence.at("baseline_windows"), 12);  // the run's 13 windows less its own
  EXPECT_THAT(f[0].summary,
              ::testing::EndsWith(": a reflection flood, against a median of 0 unsolicited "
                                  "sources in its other 12 windows (threshold: 100 unsolicited "
                                  "sources)."));
  EXPECT_THAT(f[0].summary, ::testing::Not(::testing::HasSubstr("median window")));
  // The 1,000 flows are every answer's, the asked sources' too: the summary says so (it had
  // credited them all to the 600).
  EXPECT_THAT(f[0].summary, ::testing::HasSubstr("1000 external sources sent 10."));
  EXPECT_THAT(f[0].summary,
              ::testing::HasSubstr(" 1000 flows of UDP answers from port 53 within 5 minutes, "
                                   "600 of them never asked"));
  Detect less(o);
  AskServers(less, 0, 501, 1700001600);
  AddAnswers(less, 0, 1000, 1700001600);
  EXPECT_TRUE(less.Of("ddos_fan_in").empty());
  // The share is inclusive: exactly half (the host asked 500) is a reflection flood.
  Detect exactly(o);
  AskServers(exactly, 0, 500, 1700001600);
  AddAnswers(exactly, 0, 1000, 1700001600);
  const auto g = exactly.Of("ddos_fan_in");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].evidence["unsolicited_sources"], 500);
}

// Answers from ports that are not amplifiers' (443) are a client's, never a reflection.
TEST(DdosFanIn, OnlyAmplifierPortsReflect) {
  Detect d;
  AddAnswers(d, 0, 1500, 1700001600, 443);
  EXPECT_TRUE(d.Of("ddos_fan_in").empty());
  DetectOptions o;
  o.reflection_ports = {443};
  Detect configured(o);
  AddAnswers(configured, 0, 1500, 1700001600, 443);
  EXPECT_EQ(configured.Of("ddos_fan_in").size(), 1u);
}

TEST(DdosFanIn, ABusyServerIsItsOwnBaseline) {
  Detect d;
  for (uint64_t k = 0; k < 6; ++k) {
    AddFlood(d, 1500, 1700001600 + k * 300, static_cast<int>(k) * 100000);
  }
  EXPECT_TRUE(d.Of("ddos_fan_in", 1700001600, 1700001600 + 6 * 300).empty());
}

// A flood in two of three windows: the median of the other two was the flood's other half (ratio
// 1, no finding); without it, the quiet window is the baseline. A busy server seen in only two
// or three windows is still its own baseline: the guards never leave a window without one.
TEST(DdosFanIn, AFloodAcrossAWindowBoundaryIsNotItsOwnBaseline) {
  const uint64_t begin = 1700001600;
  Detect d;
  AddFlood(d, 1200, begin);
  AddFlood(d, 1300, begin + 300, 200000);
  const auto f = d.Of("ddos_fan_in", begin, begin + 3 * 300);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].evidence["baseline_median_sources"], 0);
  EXPECT_EQ(f[1].evidence["baseline_median_sources"], 0);
  for (const uint64_t windows : {2, 3}) {
    Detect busy;
    for (uint64_t k = 0; k < windows; ++k) {
      AddFlood(busy, 1500, begin + k * 300, static_cast<int>(k) * 100000);
    }
    EXPECT_TRUE(busy.Of("ddos_fan_in", begin, begin + windows * 300).empty()) << windows;
  }
}

// --- Boundaries, severities and techniques the tests above did not reach ----------------------
// (each fails when its comparison or constant is changed: a mutation audit's survivors)

// A busy interface's ordinary variation is no spike: 300 rejects against a steady 200 pass the
// z test (no deviation) but not reject_spike.ratio (5 times the mean).
TEST(RejectSpike, ARejectSpikeNeedsTheRatioToo) {
  const uint64_t base = 1699999800;  // a 5-minute window's start
  Detect d;
  for (uint64_t w = 0; w < 11; ++w) AddRejects(d, "eni-db", 200, base + w * 300);
  AddRejects(d, "eni-db", 300, base + 11 * 300);
  EXPECT_TRUE(d.Of("reject_spike", base, base + 12 * 300).empty());
  Detect spike;
  for (uint64_t w = 0; w < 11; ++w) AddRejects(spike, "eni-db", 200, base + w * 300);
  AddRejects(spike, "eni-db", 1000, base + 11 * 300);
  EXPECT_EQ(spike.Of("reject_spike", base, base + 12 * 300).size(), 1u);
}

// An interface's life begins at its first window (LivesOf: whole hours): the window before it
// is not one of its silent baseline windows. (90 rejects a window, under the minimum, so that
// the one beside the spike stays in its baseline: Guarded.)
TEST(RejectSpike, AnInterfacesBaselineStartsWithItsLife) {
  const uint64_t begin = 1700000100, hour = 3600;  // begin: a 5-minute window's start
  Detect d;
  for (uint64_t w = 0; w < 11; ++w) AddRejects(d, "eni-new", 90, begin + 10 * hour + w * 300);
  AddRejects(d, "eni-new", 1000, begin + 10 * hour + 11 * 300);
  d.Flush();
  const std::vector<TimeSpan> day = {{begin, begin + 24 * hour}};
  const InterfaceLives lives = {{"eni-new", {begin + 10 * hour, begin + 11 * hour}}};
  std::vector<Finding> spikes;
  for (Finding& f : d.detector().Findings(day, &lives)) {
    if (f.type == "reject_spike") spikes.push_back(std::move(f));
  }
  ASSERT_EQ(spikes.size(), 1u);
  EXPECT_EQ(spikes[0].evidence["baseline_windows"], 11);
  EXPECT_EQ(spikes[0].evidence["baseline_mean_flows"], 90);
}

// Fan-in counts external sources only, the answers a network ACL rejects too: the rejected
// answers of 1,000 internal name servers (their way back to a client dropped) are no flood.
TEST(DdosFanIn, RejectedAnswersFromInternalSourcesAreNoFanIn) {
  Detect d;
  for (int i = 0; i < 1000; ++i) {
    Rec r;
    r.src = Ip(10, 1 + i / 256, i % 256, 53);
    r.dst = "10.0.0.20";
    r.sport = 53;
    r.dport = 33000 + i % 20000;
    r.proto = 17;
    r.flags = 0;
    r.packets = 1;
    r.bytes = 3000;
    r.action = "REJECT";
    r.start = 1700001600 + static_cast<uint64_t>(i % 290);
    d.Add(r);
  }
  EXPECT_TRUE(d.Of("ddos_fan_in").empty());
}

// Only UDP questions solicit answers (the asked sets keep the hosts a host sent UDP requests
// to): a host that reached 1,500 name servers over TCP port 53 did not ask for their UDP answers.
TEST(DdosFanIn, QuestionsOverTcpSolicitNoUdpAnswers) {
  Detect d;
  for (int i = 0; i < 1500; ++i) {
    Rec r = Udp(i, 1700001600, 1, 80);
    r.proto = 6;
    r.src = "10.0.0.30";
    r.dst = Server(i);
    r.sport = 40000;
    r.dport = 53;
    d.Add(r);
  }
  AddAnswers(d, 0, 1500, 1700001600);
  const auto f = d.Of("ddos_fan_in");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["reflection"], true);
  EXPECT_EQ(f[0].evidence["asked_hosts"], 0);
}

// A flood's target is an internal host: 1,000 external sources' requests to an external address
// (traffic these logs only see pass) are no ddos_fan_in.
TEST(DdosFanIn, RequestsToAnExternalHostAreNoFanIn) {
  Detect d;
  AddFlood(d, 1000, 1700001600, 0, "203.0.113.20");
  EXPECT_TRUE(d.Of("ddos_fan_in").empty());
}

// A spike's last_seen is the last end of its records, not their last start.
TEST(RejectSpike, LastSeenIsTheLastRecordsEnd) {
  Detect d;
  AddRejects(d, "eni-db", 99, 1700001600);  // starts to 1700001698
  Rec r;
  r.iface = "eni-db";
  r.src = "10.0.7.1";
  r.dst = "10.0.8.8";
  r.dport = 5432;
  r.action = "REJECT";
  r.start = 1700001650;
  r.end = 1700001760;
  d.Add(r);
  const auto f = d.Of("reject_spike");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].first_seen, 1700001600u);
  EXPECT_EQ(f[0].last_seen, 1700001760u);
}

// --- A third mutation audit of detect_findings.cc and detect_config.cc --------------------------
// (each test fails on a mutant that survived every test above)

// A reject spike's distinct destinations, past 2,048 an estimate, are never above its flows:
// 2,049 hosts 10.0.0.7, 10.0.0.14, ... are estimated 2,056.
TEST(RejectSpike, DistinctDestinationsAreNeverAboveTheFlows) {
  Detect d;
  AddRejectsTo2049Hosts(d);
  const auto f = d.Of("reject_spike");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].flows, 2049u);
  EXPECT_EQ(f[0].distinct_dsts, 2049u);
}

// z exactly reject_z (and exactly ratio times the mean) is a spike: 40 and 0 rejected flows
// (mean 20, sigma 20), then 100: z 4, ratio 5.
TEST(RejectSpike, AtExactlyZItIsASpike) {
  Detect d;
  const uint64_t t = 1700001600;
  AddRejects(d, "eni-db", 40, t);
  AddRejects(d, "eni-db", 100, t + 600);
  const auto f = d.Of("reject_spike", t, t + 900);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["z"], 4.0);
  EXPECT_EQ(f[0].evidence["ratio"], 5.0);
}

// A window the run's spans enter twice (a gap inside a 900 s window) is one window of the
// baseline, not two.
TEST(RejectSpike, AWindowTwoSpansShareIsOneWindow) {
  DetectOptions o;
  o.reject_window = 900;
  Detect d(o);
  const uint64_t t = 1700001000;  // a multiple of 900
  AddRejects(d, "eni-db", 150, t + 2700);
  d.Flush();
  std::vector<Finding> spikes;
  for (Finding& f :
       d.detector().Findings(std::vector<TimeSpan>{{t, t + 300}, {t + 600, t + 3600}})) {
    if (f.type == "reject_spike") spikes.push_back(std::move(f));
  }
  ASSERT_EQ(spikes.size(), 1u);
  EXPECT_EQ(spikes[0].evidence["baseline_windows"], 3);  // t, t + 900, t + 1800
}

// A flood at two ports has no one dst_port; its rates are its flows' and packets' per second.
TEST(DdosFanIn, AFloodAtTwoPortsHasNoPortAndItsOwnRates) {
  Detect d;
  AddFlood(d, 1000, 1700001600);
  Rec r;
  r.src = Ip(100, 0, 0, 7);
  r.dst = "10.0.0.20";
  r.dport = 80;
  r.packets = 601;
  r.bytes = 601 * 60;
  r.start = 1700001700;
  d.Add(r);
  const auto f = d.Of("ddos_fan_in");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].dst_port, std::nullopt);
  EXPECT_EQ(f[0].flows, 1001u);
  EXPECT_EQ(f[0].packets, 1601u);
  EXPECT_EQ(f[0].evidence["flows_per_second"], 3.337);
  EXPECT_EQ(f[0].evidence["packets_per_second"], 5.337);
}

// A host beside whom an interface the lives do not name also brought requests is judged over
// the whole run, as a host of that interface alone is: not within the named one's life.
TEST(DdosFanIn, AHostWithAnInterfaceTheLivesDoNotNameIsJudgedOverTheRun) {
  const uint64_t begin = 1700000100, hour = 3600;
  Detect d;
  for (uint64_t w = 0; w < 12; ++w) {
    AddFlood(d, 1200, begin + 10 * hour + w * 300, static_cast<int>(w * 37));
  }
  Rec r;  // one request on another interface
  r.iface = "eni-x";
  r.src = Ip(100, 0, 0, 7);
  r.dst = "10.0.0.20";
  r.dport = 443;
  r.start = begin + 10 * hour;
  d.Add(r);
  d.Flush();
  const InterfaceLives lives = {{"eni-a", {begin + 10 * hour, begin + 11 * hour}}};
  size_t n = 0;
  for (const Finding& f : d.detector().Findings({{begin, begin + 24 * hour}}, &lives)) {
    n += f.type == "ddos_fan_in";
  }
  EXPECT_EQ(n, 12u);
}

}  // namespace
}  // namespace flowsift
