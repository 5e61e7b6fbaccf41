// The exfiltration detector (absolute and baseline thresholds, server replies, relays through a
// NAT gateway, the destination list and its sketch), and formats without ports or protocol.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kernels/types.h"
#include "pipeline/detect.h"
#include "pipeline/distinct.h"
#include "tests/pipeline/detect_harness.h"

namespace flowsift {
namespace {

using flowsift::testing::AddUpload;
using flowsift::testing::Detect;
using flowsift::testing::FindingsOfText;
using flowsift::testing::Ip;
using flowsift::testing::kFields;
using flowsift::testing::Lines;
using flowsift::testing::ParsedText;
using flowsift::testing::ParseText;
using flowsift::testing::Rec;
using flowsift::testing::SaveAndLoad;

// --- formats without ports or protocol --------------------------------------------------------

// Without srcport/dstport an accepted record without SYN or SYN-ACK may be a request or a reply:
// an internal web server's answers (100 MiB to each of 12 clients) had been an exfiltration, and
// a host's downloads from 1,500 servers a flood. With the ports, neither is (the reference).
TEST(NoPorts, AnswersAreNeitherUploadsNorAFlood) {
  const std::string no_ports =
      "version account-id interface-id srcaddr dstaddr protocol packets bytes start end action "
      "log-status";
  const std::string with_ports =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status";
  std::string answers, answers_with_ports, downloads;
  for (int i = 1; i <= 12; ++i) {
    const std::string client = "203.0.113." + std::to_string(i);
    const std::string t = std::to_string(1700000060 + 60 * i);
    answers += "2 123456789012 eni-a " + client + " 10.0.5.5 6 200 20000 " + t + " " + t +
               " ACCEPT OK\n2 123456789012 eni-a 10.0.5.5 " + client + " 6 80000 104857600 " + t +
               " " + t + " ACCEPT OK\n";
    answers_with_ports +=
        "2 123456789012 eni-a " + client + " 10.0.5.5 " + std::to_string(50000 + i) +
        " 443 6 200 20000 " + t + " " + t + " ACCEPT OK\n2 123456789012 eni-a 10.0.5.5 " + client +
        " 443 " + std::to_string(50000 + i) + " 6 80000 104857600 " + t + " " + t + " ACCEPT OK\n";
  }
  for (int i = 0; i < 1500; ++i) {
    downloads += "2 123456789012 eni-b " + Ip(198, 18, i / 250, 1 + i % 250) +
                 " 10.0.7.7 6 20 30000 1700000400 1700000410 ACCEPT OK\n";
  }
  EXPECT_TRUE(FindingsOfText(with_ports, answers_with_ports, "exfiltration").empty());
  EXPECT_TRUE(FindingsOfText(no_ports, answers, "exfiltration").empty());
  EXPECT_TRUE(FindingsOfText(no_ports, downloads, "ddos_fan_in").empty());
  // A REJECT is still a probe: 1,500 rejected sources are a flood without ports too.
  std::string rejected = downloads;
  for (size_t at; (at = rejected.find("ACCEPT")) != std::string::npos;) {
    rejected.replace(at, 6, "REJECT");
  }
  EXPECT_EQ(FindingsOfText(no_ports, rejected, "ddos_fan_in").size(), 1u);
}

// Without a protocol, rejected attempts at an admin port are a brute force (SSH, RDP and WinRM
// are TCP); they had needed protocol 6.
TEST(NoProtocol, RejectedAttemptsAtSshAreABruteForce) {
  std::string text;
  for (int i = 0; i < 40; ++i) {
    text += "2 123456789012 eni-a 198.51.100.10 10.0.4.4 " + std::to_string(43000 + i) +
            " 22 1 60 " + std::to_string(1700000000 + 20 * i) + " " +
            std::to_string(1700000005 + 20 * i) + " REJECT OK\n";
  }
  const auto f = FindingsOfText(
      "version account-id interface-id srcaddr dstaddr srcport dstport packets bytes start end "
      "action log-status",
      text, "brute_force");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "198.51.100.10");
  EXPECT_EQ(f[0].dst_port, 22u);
  EXPECT_EQ(f[0].flows, 40u);
}

// An upload whose records have no ports (a SYN says they are requests) keeps its bytes for the
// relay under port 0, which is no port of its: distinct_dst_ports had counted it.
TEST(NoPorts, AnUploadWithoutPortsCountsNoPort) {
  std::string text;
  for (int i = 0; i < 2; ++i) {
    text += "2 123456789012 eni-a 10.0.4.4 203.0.113.99 6 400000 629145600 " +
            std::to_string(1700000100 + 60 * i) + " " + std::to_string(1700000150 + 60 * i) +
            " ACCEPT OK 2\n";
  }
  const auto f = FindingsOfText(
      "version account-id interface-id srcaddr dstaddr protocol packets bytes start end action "
      "log-status tcp-flags",
      text, "exfiltration");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].dst_port, std::nullopt);
  EXPECT_EQ(f[0].distinct_dst_ports, 0u);
}

// --- exfiltration ------------------------------------------------------------------------------

// A record whose end is before its start (damaged) is taken as ending at its start: no
// finding's last_seen before its first_seen (exfiltration, reject spikes and fan-in kept the
// end as it was; the scan states did not).
TEST(Exfiltration, AnEndBeforeTheStartIsTheStart) {
  Detect d;
  Rec r;
  r.iface = "eni-app";
  r.src = "10.0.4.4";
  r.dst = "203.0.113.80";
  r.dport = 443;
  r.flags = 3;
  r.bytes = uint64_t{1} << 30;
  r.packets = r.bytes / 1400 + 1;
  r.start = 1700003000;
  r.end = 1700002000;
  d.Add(r);
  const auto f = d.Of("exfiltration");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].first_seen, 1700003000u);
  EXPECT_EQ(f[0].last_seen, 1700003000u);
}

TEST(Exfiltration, AbsoluteThreshold) {
  const uint64_t gib = uint64_t{1} << 30;
  Detect below;
  AddUpload(below, "10.0.4.4", "203.0.113.80", gib / 2, 1700000000);
  AddUpload(below, "10.0.4.4", "203.0.113.81", gib / 2 - 1, 1700000100);
  EXPECT_TRUE(below.Of("exfiltration").empty());

  Detect at;
  AddUpload(at, "10.0.4.4", "203.0.113.80", gib / 2, 1700000000);
  AddUpload(at, "10.0.4.4", "203.0.113.81", gib / 2, 1700000100);
  const auto f = at.Of("exfiltration");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "10.0.4.4");
  EXPECT_EQ(f[0].dst, std::nullopt);  // two destinations
  EXPECT_EQ(f[0].distinct_dsts, 2u);
  EXPECT_EQ(f[0].bytes, gib);
  EXPECT_EQ(f[0].evidence["crossed"], "absolute");
  EXPECT_EQ(f[0].protocol, 6u);
  EXPECT_EQ(f[0].dst_port, 443u);
  EXPECT_EQ(f[0].evidence["top_dsts"].size(), 2u);
  EXPECT_EQ(f[0].window_start, 1700000000u - 1700000000u % 3600);
  EXPECT_EQ(f[0].evidence["threshold"]["baseline_min_bytes"],
            DetectOptions{}.exfil_baseline_min_bytes);
  EXPECT_EQ(f[0].evidence["threshold"]["baseline_windows"], DetectOptions{}.exfil_baseline_windows);

  // Uploads to 12 ports: every port counts (the sample kept only the 10 smallest).
  Detect ports;
  for (int i = 0; i < 12; ++i) {
    Rec r;
    r.iface = "eni-app";
    r.src = "10.0.4.4";
    r.dst = Ip(203, 0, 113, 80 + i);
    r.sport = 50000 + i;
    r.dport = 8000 + i;
    r.flags = 3;
    r.packets = gib / 12 / 1400 + 1;
    r.bytes = gib / 12 + 1;
    r.start = 1700000000 + static_cast<uint64_t>(i);
    ports.Add(r);
  }
  const auto g = ports.Of("exfiltration");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].distinct_dst_ports, 12u);
  EXPECT_EQ(g[0].dst_port, std::nullopt);
}

// Without tcp-flags a record's service side is the port in direction.service_ports (or below
// 1024) when the other is not, else the lower port. A public API on 8443 and a Kubernetes
// NodePort answer clients whose carrier NAT gave them ports below theirs: those answers are
// not uploads (they were an exfiltration of 1.2 GiB). A client on a listed port (31000, given
// by its NAT) that talks to 443 is still the client.
TEST(Exfiltration, AServersAnswersToLowerClientPortsAreNoUpload) {
  // A server's answers of 60 MiB from `service` to 20 external clients on ports 2000-2019.
  const auto answers = [](const DetectOptions& o, int service) {
    Detect d(o, /*with_flags=*/false);
    for (int c = 0; c < 20; ++c) {
      Rec r;
      r.src = "10.0.1.80";
      r.dst = Ip(203, 0, 113, 10 + c);
      r.sport = service;
      r.dport = 2000 + c;
      r.packets = 45000;
      r.bytes = uint64_t{60} << 20;
      r.start = 1700000100 + static_cast<uint64_t>(c) * 60;
      d.Add(r);
    }
    return d.Of("exfiltration").size();
  };
  EXPECT_EQ(answers(DetectOptions{}, 8443), 0u);
  EXPECT_EQ(answers(DetectOptions{}, 31080), 0u);
  // Not the lower port: the listed one, against a port neither listed nor below 1024.
  DetectOptions unlisted;
  unlisted.service_ports = {};
  EXPECT_EQ(answers(unlisted, 8443), 1u);  // what the list is for
  // A client whose NAT gave it a listed port, uploading to 443: an upload.
  Detect client(DetectOptions{}, /*with_flags=*/false);
  Rec up;
  up.src = "10.0.4.4";
  up.dst = "203.0.113.80";
  up.sport = 31000;
  up.dport = 443;
  up.packets = 800000;
  up.bytes = uint64_t{1} << 30;
  up.start = 1700000100;
  client.Add(up);
  EXPECT_EQ(client.Of("exfiltration").size(), 1u);
}

// Uploads of 9 * 10^18 bytes each: the finding's sums stop at 2^63 - 1 (they wrapped round to
// a few EiB before), merged and loaded states too.
TEST(Exfiltration, SumsStopAtTheLargestSignedValue) {
  const uint64_t max = INT64_MAX, big = 9000000000000000000;
  Detect d;
  AddUpload(d, "10.0.4.4", "203.0.113.80", big, 1700000000);
  AddUpload(d, "10.0.4.4", "203.0.113.80", big, 1700000100);
  AddUpload(d, "10.0.4.4", "203.0.113.81", big, 1700000200);
  const auto f = d.Of("exfiltration");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].bytes, max);
  EXPECT_EQ(f[0].packets, 3 * (big / 1400 + 1));  // far below
  EXPECT_EQ(f[0].evidence["net_bytes"], max);
  EXPECT_EQ(f[0].evidence["top_dsts"][0]["bytes"], max);
  EXPECT_EQ(f[0].evidence["top_dsts"][1]["bytes"], big);
  // In the largest unit (2^63 - 1 is 2^63 as a double): it read "8388608.0 TiB".
  EXPECT_THAT(f[0].summary, ::testing::HasSubstr(" sent 8.0 EiB to ")) << f[0].summary;

  // Each half in its own detector, saved and loaded into one.
  Detect a, b;
  AddUpload(a, "10.0.4.4", "203.0.113.80", big, 1700000000);
  AddUpload(b, "10.0.4.4", "203.0.113.80", big, 1700000100);
  a.Flush();
  b.Flush();
  Detector loaded{DetectOptions{}};
  for (Detect* part : {&a, &b}) ASSERT_NO_FATAL_FAILURE(SaveAndLoad(part->detector(), loaded));
  const auto g = loaded.Findings(1700000000, 1700003600);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].bytes, max);
}

TEST(Exfiltration, ANatGatewayRelayingOthersBytesIsNotTheSource) {
  // v2 view of a NAT gateway ENI: the instance's bytes arrive addressed to the NAT (relay),
  // the NAT sends them out as its own. Only the instance is reported.
  const uint64_t bytes = uint64_t{2} << 30;
  Detect d;
  AddUpload(d, "10.0.4.4", "203.0.113.80", bytes, 1700000000, "eni-app");  // instance ENI
  AddUpload(d, "10.0.4.4", "10.0.0.5", bytes, 1700000000, "eni-nat");      // NAT ingress
  AddUpload(d, "10.0.0.5", "203.0.113.80", bytes, 1700000000, "eni-nat");  // NAT egress
  const auto f = d.Of("exfiltration");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "10.0.4.4");
  EXPECT_EQ(f[0].interfaces, std::vector<std::string>{"eni-app"});
}

// The gateway's records and the instance's own of one upload start up to an aggregation
// interval apart (each interface keeps its capture phase): the gateway's 2.4 GB from 35 s
// before the hour, the instance's 0.46 GB in that hour and the rest in the next. Its upload in
// the next hour shows the relayed host logged, so the gateway is not reported (it was, for
// the 0.46 GB in its own hour fell under half of what it relayed).
TEST(Exfiltration, AGatewaysRelayedHostUploadingInTheNextHourIsSeen) {
  const uint64_t hour = 1700002800, next = hour + 3600;  // exfiltration windows, aligned
  const uint64_t relayed = 2'420'000'000, early = 464'000'000, late = relayed - early;
  Detect d({}, /*with_flags=*/false);
  AddUpload(d, "10.0.4.4", "10.0.0.5", relayed, next - 35, "eni-nat");      // NAT ingress
  AddUpload(d, "10.0.0.5", "203.0.113.80", relayed, next - 35, "eni-nat");  // NAT egress
  AddUpload(d, "10.0.4.4", "203.0.113.80", early, next - 20, "eni-app");    // the instance
  AddUpload(d, "10.0.4.4", "203.0.113.80", late, next + 100, "eni-app");
  const auto f = d.Of("exfiltration", hour, next + 3600);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "10.0.4.4");
  EXPECT_EQ(f[0].window_start, next);
  // Two hours apart, the instance's upload says nothing of the gateway's relay: still its own.
  Detect far({}, false);
  AddUpload(far, "10.0.4.4", "10.0.0.5", relayed, next - 35, "eni-nat");
  AddUpload(far, "10.0.0.5", "203.0.113.80", relayed, next - 35, "eni-nat");
  AddUpload(far, "10.0.4.4", "203.0.113.80", relayed, next + 3600 + 100, "eni-app");
  const auto g = far.Of("exfiltration", hour, next + 2 * 3600);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].src, "10.0.0.5");
  EXPECT_EQ(g[0].evidence["bytes_relayed_unseen"], relayed);
}

// Only the gateway's interface logged (flow logs on the NAT gateway alone, for egress): the
// instance is never seen sending out, so the gateway's upload is the only trace and is
// reported, saying how much of it it relayed (the relay was subtracted and nothing reported).
// With a second instance's own upload on another port, the relay on 443 is still unseen.
TEST(Exfiltration, AGatewayWhoseRelayedHostsAreNotLoggedIsTheOnlyTrace) {
  const uint64_t bytes = uint64_t{2} << 30;
  Detect d;
  AddUpload(d, "10.0.4.4", "10.0.0.5", bytes, 1700000000, "eni-nat");      // NAT ingress
  AddUpload(d, "10.0.0.5", "203.0.113.80", bytes, 1700000000, "eni-nat");  // NAT egress
  Rec other;  // another host's own upload, on port 22: not what the gateway relayed on 443
  other.iface = "eni-b";
  other.src = "10.0.7.7";
  other.dst = "198.51.100.9";
  other.dport = 22;
  other.flags = 3;
  other.bytes = bytes;
  other.packets = bytes / 1400 + 1;
  other.start = 1700000100;
  d.Add(other);
  const auto f = d.Of("exfiltration");
  ASSERT_EQ(f.size(), 2u);
  const Finding& gateway = f[0].src == "10.0.0.5" ? f[0] : f[1];
  EXPECT_EQ(gateway.src, "10.0.0.5");
  EXPECT_EQ(gateway.evidence["net_bytes"], bytes);
  EXPECT_EQ(gateway.evidence["bytes_relayed"], 0);
  EXPECT_EQ(gateway.evidence["bytes_relayed_unseen"], bytes);
  EXPECT_THAT(gateway.summary,
              ::testing::HasSubstr(", 2.0 GiB of it relayed for internal hosts these logs do not "
                                   "show uploading."));
}

TEST(Exfiltration, ADatabaseWithHeavyQueriesIsNotARelay) {
  // The database receives 3 GiB of queries from app servers on 5432 (on its own ENI) and
  // uploads 1.2 GiB to the internet on 443: only same-port traffic counts as relayed.
  Detect d;
  for (int i = 0; i < 3; ++i) {
    Rec q;
    q.iface = "eni-db";
    q.src = "10.0.2." + std::to_string(10 + i);
    q.dst = "10.0.4.4";
    q.sport = 40000 + i;
    q.dport = 5432;
    q.flags = 3;
    q.packets = 800000;
    q.bytes = uint64_t{1} << 30;
    d.Add(q);
  }
  AddUpload(d, "10.0.4.4", "203.0.113.80", (uint64_t{12} << 30) / 10, 1700000000, "eni-db");
  const auto f = d.Of("exfiltration");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["bytes_relayed"], 0);
}

// With pkt-dstaddr in the format a record is relayed only when dstaddr (the gateway) is not the
// packet's destination. A web server's inbound requests (pkt-dstaddr = dstaddr = the server) on
// 443 are its own traffic, not bytes it relays, so its 1.5 GiB upload on 443 is reported; the
// NAT gateway's ingress (dstaddr the gateway, pkt-dstaddr the internet host) is relayed, and
// the gateway is not reported.
TEST(Exfiltration, WithPktDstaddrOnlyRecordsForAnotherDestinationAreRelayed) {
  const uint64_t gib = uint64_t{1} << 30;
  std::string text;
  const auto add = [&](const char* iface, const char* src, const char* dst, const char* pkt_src,
                       const char* pkt_dst, uint64_t bytes) {
    text += std::string(iface) + " " + src + " " + dst + " 40000 443 6 " +
            std::to_string(bytes / 1400 + 1) + " " + std::to_string(bytes) +
            " 1700000000 1700000060 ACCEPT 3 OK " + pkt_src + " " + pkt_dst + "\n";
  };
  add("eni-app", "10.0.4.4", "203.0.113.80", "10.0.4.4", "203.0.113.80", 2 * gib);
  add("eni-nat", "10.0.4.4", "10.0.0.5", "10.0.4.4", "203.0.113.80", 2 * gib);  // NAT ingress
  add("eni-nat", "10.0.0.5", "203.0.113.80", "10.0.0.5", "203.0.113.80", 2 * gib);
  add("eni-web", "10.0.2.10", "10.0.2.7", "10.0.2.10", "10.0.2.7", 2 * gib);  // requests in
  add("eni-web", "10.0.2.7", "198.51.100.9", "10.0.2.7", "198.51.100.9", gib * 3 / 2);
  std::string err;
  const auto format = Format::Parse(std::string(kFields) + " pkt-srcaddr pkt-dstaddr", &err);
  ASSERT_TRUE(format) << err;
  const ParsedText p = ParseText(text, *format);
  ASSERT_TRUE(p.batch.bad_lines.empty());
  Detector d{DetectOptions{}};
  d.Add(p.batch, p.base());
  std::map<std::string, Finding> by_src;
  for (Finding& f : d.Findings(1700000000, 1700003600)) {
    if (f.type == "exfiltration") by_src[f.src.value_or("")] = std::move(f);
  }
  ASSERT_EQ(by_src.size(), 2u);
  ASSERT_TRUE(by_src.count("10.0.4.4"));
  ASSERT_TRUE(by_src.count("10.0.2.7"));
  EXPECT_EQ(by_src["10.0.2.7"].evidence["bytes_relayed"], 0);
  EXPECT_EQ(by_src["10.0.2.7"].evidence["net_bytes"], gib * 3 / 2);
}

TEST(Exfiltration, ServerRepliesAreNotUploads) {
  Detect d;
  Rec r;
  r.src = "10.0.1.5";
  r.dst = "198.51.100.7";
  r.sport = 443;
  r.dport = 50000;
  r.flags = 19;
  r.packets = 2000000;
  r.bytes = uint64_t{3} << 30;
  d.Add(r);
  EXPECT_TRUE(d.Run().empty());
}

// The summary's count of destinations is the finding's distinct_dsts: past 2,048 destinations
// the sketch's estimate may pass the flows, and the summary said "2050 external destinations"
// (the estimate) beside a distinct_dsts of 2049 (capped at the flows after the summary was made).
TEST(Exfiltration, SummaryNamesNoMoreDestinationsThanFlows) {
  Detect d;
  DistinctCounter raw;
  for (uint32_t n = 1; n <= 2049; ++n) {
    const uint32_t v4 = (11u << 24) + 7 * n;  // as RejectSpikeAndFanIn's test
    raw.Add(HashAddr(kernels::AddrFromIPv4(v4)));
    AddUpload(d, "10.0.4.4",
              Ip(11, static_cast<int>((v4 >> 16) & 255), static_cast<int>((v4 >> 8) & 255),
                 static_cast<int>(v4 & 255)),
              600000, 1700000100 + n % 200, "eni-app", static_cast<int>(40000 + n % 20000));
  }
  ASSERT_GT(raw.Count(), 2049u);  // the estimate this test is about
  const auto f = d.Of("exfiltration");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].flows, 2049u);
  EXPECT_EQ(f[0].distinct_dsts, 2049u);
  EXPECT_THAT(f[0].summary, ::testing::HasSubstr(" to 2049 external destinations within "));
}

TEST(Exfiltration, FarAboveItsOwnBaseline) {
  // Seven hours of ~10 MB, then 600 MB: under the absolute threshold, far above the baseline.
  Detect d;
  for (uint64_t h = 0; h < 7; ++h) {
    AddUpload(d, "10.0.4.4", "203.0.113.80", (10 + h) << 20, 1700002800 + h * 3600);
  }
  AddUpload(d, "10.0.4.4", "203.0.113.99", uint64_t{600} << 20, 1700002800 + 7 * 3600);
  const auto f = d.Of("exfiltration", 1700002800, 1700002800 + 8 * 3600);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["crossed"], "baseline");
  // The summary's z is the evidence's, and the measured multiple of the mean is beside it.
  const double z = f[0].evidence.at("z").get<double>();
  char zs[64];
  std::snprintf(zs, sizeof zs, "(%g standard deviations above", z);
  EXPECT_THAT(f[0].summary, ::testing::HasSubstr(zs));
  EXPECT_NEAR(f[0].evidence.at("ratio").get<double>(), 600.0 / 13, 1e-3);  // mean of 10..16 MiB
  EXPECT_EQ(f[0].dst, "203.0.113.99");

  EXPECT_THAT(f[0].summary, ::testing::HasSubstr(" standard deviations above its own baseline"));
  EXPECT_GT(f[0].evidence["baseline_sd_bytes"].get<uint64_t>(), 0u);

  // A steady baseline (a backup of one size every hour) has no deviation: the summary gives the
  // multiple of it, not the excess in bytes as "standard deviations".
  Detect steady;
  for (uint64_t h = 0; h < 6; ++h) {
    AddUpload(steady, "10.0.4.4", "203.0.113.80", 10000000, 1700002800 + h * 3600);
  }
  AddUpload(steady, "10.0.4.4", "203.0.113.99", 205000000, 1700002800 + 6 * 3600);
  const auto g = steady.Of("exfiltration", 1700002800, 1700002800 + 7 * 3600);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].evidence["baseline_sd_bytes"], 0);
  EXPECT_EQ(g[0].evidence.at("ratio"), 20.5);  // the measured multiple, as the summary gives it
  EXPECT_THAT(g[0].summary, ::testing::HasSubstr("(20.5 times the 9.5 MiB of each of its other "
                                                 "windows)"));
  EXPECT_THAT(g[0].summary, ::testing::Not(::testing::HasSubstr("standard deviations")));

  // The same 600 MB with no history (cold start): no finding.
  Detect cold;
  AddUpload(cold, "10.0.4.4", "203.0.113.99", uint64_t{600} << 20, 1700002800);
  EXPECT_TRUE(cold.Of("exfiltration").empty());
}

// --- determinism and merge -----------------------------------------------------------------------

// A source's destination list is dropped past 64 destinations in a window for the sketch of
// the heaviest: merged with a part that passed 64, a part's own short list goes into the
// sketch too, or the merge named the three destinations of one part as the top ones, exact.
TEST(Exfiltration, AMergeWithAPartPastTheDestinationListDropsTheList) {
  Detect whole, few, many;
  for (int i = 0; i < 3; ++i) {
    for (Detect* d : {&whole, &few}) {
      AddUpload(*d, "10.0.1.5", Ip(198, 51, 100, 1 + i), 800'000'000 + i, 1700000100 + i);
    }
  }
  for (int i = 0; i < 1030; ++i) {
    for (Detect* d : {&whole, &many}) {
      AddUpload(*d, "10.0.1.5", Ip(203, 0, 113 + i / 250, 1 + i % 250), 2'000'000, 1700000200 + i);
    }
  }
  const std::vector<Finding> all = whole.Run();
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].type, "exfiltration");
  EXPECT_EQ(all[0].distinct_dsts, 1033u);
  // The three uploads, heaviest first, each an upper bound marked as estimated.
  const auto& top = all[0].evidence["top_dsts"];
  ASSERT_EQ(top.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(top[i]["dst"], Ip(198, 51, 100, 3 - i));
    EXPECT_GE(top[i]["bytes"].get<uint64_t>(), 800'000'002u - i);
    EXPECT_LE(top[i]["bytes"].get<uint64_t>(), 800'000'002u - i + uint64_t{1030} * 2'000'000);
    EXPECT_EQ(top[i]["estimated"], true);
  }
  few.Flush();
  many.Flush();
  Detector merged{DetectOptions{}};
  merged.Merge(few.detector());
  merged.Merge(many.detector());
  EXPECT_EQ(Lines(merged.Findings(1700000000, 1700003600)), Lines(all));
  Detector other_order{DetectOptions{}};
  other_order.Merge(many.detector());
  other_order.Merge(few.detector());
  EXPECT_EQ(Lines(other_order.Findings(1700000000, 1700003600)), Lines(all));
  // The sketch saved and loaded (a partial state) merges to the same.
  Detector loaded{DetectOptions{}};
  ASSERT_NO_FATAL_FAILURE(SaveAndLoad(many.detector(), loaded));
  loaded.Merge(few.detector());
  EXPECT_EQ(Lines(loaded.Findings(1700000000, 1700003600)), Lines(all));
}

// Up to 64 destinations the list is exact (no estimate); one more makes it the sketch's, which
// names the upload's destination among the small ones from its records of 1 MiB or more.
TEST(Exfiltration, TopDestinationsAreExactUpToTheListsSize) {
  for (const int others : {63, 64}) {
    Detect d;
    AddUpload(d, "10.0.1.5", "198.51.100.9", 2'000'000'000, 1700000100);
    for (int i = 0; i < others; ++i) {
      AddUpload(d, "10.0.1.5", Ip(203, 0, 113, 1 + i), 1'000 + i, 1700000200);
    }
    const std::vector<Finding> f = d.Run();
    ASSERT_EQ(f.size(), 1u) << others;
    const auto& top = f[0].evidence["top_dsts"];
    ASSERT_FALSE(top.empty()) << others;
    EXPECT_EQ(top[0]["dst"], "198.51.100.9");
    if (others == 63) {
      ASSERT_EQ(top.size(), 5u);
      EXPECT_EQ(top[0]["bytes"], 2'000'000'000u);
      EXPECT_FALSE(top[0].contains("estimated"));
      EXPECT_EQ(top[1]["bytes"], 1'000u + 62);
    } else {
      ASSERT_EQ(top.size(), 1u);  // the small records are not in the sketch
      EXPECT_EQ(top[0]["estimated"], true);
      EXPECT_EQ(top[0]["bytes"], 2'000'000'000u);
    }
  }
}

// Past the list, a destination is named from its records of 1 MiB or more: an upload of 2.1 GB
// in records of 1,048,576 bytes is named, one in records of 1,048,575 is not (the threshold - 1).
// Its records came while it was in the list, and the sketch takes all of them when the list is
// dropped: alone in the sketch, its bytes are exact.
TEST(Exfiltration, TheSketchTakesRecordsOf1MiBOrMore) {
  for (const uint64_t record : {uint64_t{1'048'576}, uint64_t{1'048'575}}) {
    Detect d;
    for (int i = 0; i < 2'000; ++i) {
      AddUpload(d, "10.0.1.5", "198.51.100.9", record, 1700000100 + i / 10, "eni-app",
                40000 + i % 20000);
    }
    for (int i = 0; i < 70; ++i) AddUpload(d, "10.0.1.5", Ip(203, 0, 113, 1 + i), 500, 1700000200);
    const std::vector<Finding> f = d.Run();
    ASSERT_EQ(f.size(), 1u) << record;
    const auto& top = f[0].evidence["top_dsts"];
    ASSERT_EQ(top.size(), record == 1'048'576 ? 1u : 0u) << record;
    if (!top.empty()) {
      EXPECT_EQ(top[0]["bytes"], uint64_t{2'000} * 1'048'576);
    }
  }
}

// --- Boundaries, severities and techniques the tests above did not reach ----------------------
// (each fails when its comparison or constant is changed: a mutation audit's survivors)

// Port 1024 is no service port: against a listed one (5432) the listed one is the server, so
// 2 GiB from 5432 to a client's port 1024 is answers, not an upload.
TEST(Exfiltration, AServiceAnsweringClientPort1024IsNoUpload) {
  Detect d({}, /*with_flags=*/false);
  AddUpload(d, "10.0.4.4", "203.0.113.80", uint64_t{2} << 30, 1700000000, "eni-db", 5432, 1024);
  EXPECT_TRUE(d.Of("exfiltration").empty());
}

// Severity 4 from exactly 10 times exfiltration.min_bytes (10 GiB), 3 below it.
TEST(Exfiltration, ExfiltrationIsCriticalFromTenTimesTheThreshold) {
  const uint64_t gib = uint64_t{1} << 30;
  for (const uint64_t bytes : {10 * gib - 1, 10 * gib}) {
    Detect d;
    AddUpload(d, "10.0.4.4", "203.0.113.80", bytes, 1700000000);
    const auto f = d.Of("exfiltration");
    ASSERT_EQ(f.size(), 1u) << bytes;
    EXPECT_EQ(f[0].severity, bytes == 10 * gib ? 4 : 3) << bytes;
  }
}

// exfiltration.baseline_windows (6) counts the host's other windows: five and the spike are a
// cold start (absolute threshold only), six make a baseline.
TEST(Exfiltration, FiveOtherWindowsAreNoBaseline) {
  for (const uint64_t others : {uint64_t{5}, uint64_t{6}}) {
    Detect d;
    for (uint64_t h = 0; h < others; ++h) {
      AddUpload(d, "10.0.4.4", "203.0.113.80", 10000000, 1700002800 + h * 3600);
    }
    AddUpload(d, "10.0.4.4", "203.0.113.99", 200000000, 1700002800 + others * 3600);
    EXPECT_EQ(d.Of("exfiltration", 1700002800, 1700002800 + (others + 1) * 3600).size(),
              others == 6 ? 1u : 0u)
        << others;
  }
}

// ANatGatewayRelayingOthersBytesIsNotTheSource over UDP from an amplifier's port (123) to a
// lower one: the gateway's ingress is an internal host's request it relays (counted as relayed),
// not an unsolicited answer.
TEST(Exfiltration, ANatGatewayRelayingUdpFromAnAmplifierPortIsNotTheSource) {
  const uint64_t bytes = uint64_t{2} << 30;
  Detect d({}, /*with_flags=*/false);
  const auto add = [&](const std::string& iface, const std::string& src, const std::string& dst) {
    Rec r;
    r.iface = iface;
    r.src = src;
    r.dst = dst;
    r.sport = 123;
    r.dport = 80;
    r.proto = 17;
    r.bytes = bytes;
    r.packets = bytes / 1400 + 1;
    r.start = 1700000000;
    d.Add(r);
  };
  add("eni-app", "10.0.4.4", "203.0.113.80");  // instance ENI
  add("eni-nat", "10.0.4.4", "10.0.0.5");      // NAT ingress
  add("eni-nat", "10.0.0.5", "203.0.113.80");  // NAT egress
  const auto f = d.Of("exfiltration");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "10.0.4.4");
}

// A SYN-ACK with more flags (19: the server's SYN-ACK and FIN in one record) is a reply
// whatever its ports: a server on 50000 answering a client on 40000 uploads nothing. The same
// record with a client's flags (3) is a request by its flags, and an upload.
TEST(Exfiltration, ASynAckWithMoreFlagsIsAReplyWhateverThePorts) {
  for (const int flags : {19, 3}) {
    Detect d;
    Rec r;
    r.src = "10.0.1.5";
    r.dst = "198.51.100.7";
    r.sport = 50000;
    r.dport = 40000;
    r.flags = flags;
    r.packets = 2000000;
    r.bytes = uint64_t{3} << 30;
    d.Add(r);
    EXPECT_EQ(d.Of("exfiltration").size(), flags == 19 ? 0u : 1u) << flags;
  }
}

// Records whose two ports are equal have no service side: they are requests (docs/detection.md),
// above 1024 as below. An internal host's 2 GiB of UDP from 4500 to 4500 (IPsec NAT traversal)
// to an external host is an upload.
TEST(Exfiltration, EqualPortsAboveTheServicePortsAreARequest) {
  Detect d({}, /*with_flags=*/false);
  Rec r;
  r.src = "10.0.4.4";
  r.dst = "203.0.113.80";
  r.sport = r.dport = 4500;
  r.proto = 17;
  r.packets = 2000000;
  r.bytes = uint64_t{2} << 30;
  d.Add(r);
  const auto f = d.Of("exfiltration");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].dst_port, 4500u);
}

// The answers a network ACL drops are replies for exfiltration too: an internal server's 2 GiB
// of rejected answers (from 443 to a client's port 50000) upload nothing.
TEST(Exfiltration, RejectedAnswersAreNoUpload) {
  Detect d;
  Rec r;
  r.src = "10.0.1.5";
  r.dst = "198.51.100.7";
  r.sport = 443;
  r.dport = 50000;
  r.flags = 0;
  r.packets = 2000000;
  r.bytes = uint64_t{2} << 30;
  r.action = "REJECT";
  d.Add(r);
  EXPECT_TRUE(d.Of("exfiltration").empty());
}

// Without ports a REJECT is a probe of no port: an external host's rejected records to 30 hosts
// are no sweep of "port 0" (they count for scan_trw, which keeps no port).
TEST(NoPorts, RejectedProbesAreNoSweepOfPortZero) {
  std::string text;
  for (int i = 0; i < 30; ++i) {
    text += "2 123456789012 eni-a 198.51.100.10 10.0.4." + std::to_string(1 + i) + " 6 1 44 " +
            std::to_string(1700000000 + i) + " " + std::to_string(1700000000 + i) + " REJECT OK\n";
  }
  const std::string fields =
      "version account-id interface-id srcaddr dstaddr protocol packets bytes start end action "
      "log-status";
  EXPECT_TRUE(FindingsOfText(fields, text, "port_sweep").empty());
  EXPECT_EQ(FindingsOfText(fields, text, "scan_trw").size(), 1u);
}

// A tiny accepted record of unknown direction (no ports, no tcp-flags) shows no exchange and no
// failure: it is no TRW contact. An external host's three tiny records and two REJECTs are two
// failed contacts (4^2 < 99); as failures, the tiny ones made it a scanner (4^5).
TEST(NoPorts, TinyRecordsOfUnknownDirectionAreNoContacts) {
  for (const std::string outcomes : {"TTTFF", "FFFFF"}) {
    std::string text;
    for (int i = 0; i < 5; ++i) {
      const bool tiny = outcomes[i] == 'T';
      const std::string t = std::to_string(1700000000 + 300 * i);
      text += "2 123456789012 eni-a 203.0.113.50 10.0.1." + std::to_string(10 + i) + " 6 " +
              (tiny ? "2 80 " : "1 44 ") + t + " " + t + (tiny ? " ACCEPT" : " REJECT") + " OK\n";
    }
    const std::string fields =
        "version account-id interface-id srcaddr dstaddr protocol packets bytes start end action "
        "log-status";
    EXPECT_EQ(FindingsOfText(fields, text, "scan_trw").size(), outcomes == "FFFFF" ? 1u : 0u)
        << outcomes;
  }
}

// --- A third mutation audit of detect_findings.cc and detect_config.cc --------------------------
// (each test fails on a mutant that survived every test above)

// The baseline's tests are inclusive: z exactly baseline_z, exactly baseline_ratio times the mean
// and exactly baseline_min_bytes is a finding. Six other hours of 1 and 3 MB (mean 2 MB, sigma
// 1 MB) and one of 6 MB: z 4, ratio 3.
TEST(Exfiltration, ABaselineFindingAtExactlyEveryThreshold) {
  DetectOptions o;
  o.exfil_baseline_ratio = 3;
  o.exfil_baseline_min_bytes = 6'000'000;
  Detect d(o);
  const uint64_t h0 = 1700002800;  // an hour's start
  for (uint64_t h = 0; h < 6; ++h) {
    AddUpload(d, "10.0.4.4", "203.0.113.80", h % 2 ? 3'000'000 : 1'000'000, h0 + h * 3600);
  }
  AddUpload(d, "10.0.4.4", "203.0.113.80", 6'000'000, h0 + 6 * 3600);
  const auto f = d.Of("exfiltration", h0, h0 + 7 * 3600);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].window_start, h0 + 6 * 3600);
  EXPECT_EQ(f[0].evidence["z"], 4.0);
  EXPECT_EQ(f[0].evidence["ratio"], 3.0);
  EXPECT_EQ(f[0].evidence["crossed"], "baseline");
}

// Against a steady baseline (sigma 0) z is the excess in bytes; a window over both thresholds
// says so; an hour is "1 hour" in the summary.
TEST(Exfiltration, ASteadyBaselinesZIsTheExcessAndBothThresholdsAreNamed) {
  Detect d;
  const uint64_t h0 = 1700002800;
  for (uint64_t h = 0; h < 6; ++h) {
    AddUpload(d, "10.0.4.4", "203.0.113.80", 200'000'000, h0 + h * 3600);
  }
  AddUpload(d, "10.0.4.4", "203.0.113.80", uint64_t{2} << 30, h0 + 6 * 3600);
  const auto f = d.Of("exfiltration", h0, h0 + 7 * 3600);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["crossed"], "absolute,baseline");
  EXPECT_EQ(f[0].evidence["baseline_sd_bytes"], 0);
  EXPECT_EQ(f[0].evidence["z"], 2147483648.0 - 200'000'000.0);
  EXPECT_THAT(f[0].summary, ::testing::HasSubstr(" within 1 hour (threshold 1.0 GiB)."));
}

// Ties go to the lower: destinations of equal bytes by address, interfaces of equal bytes by
// name (whichever was seen first).
TEST(Exfiltration, TiesGoToTheLowerAddressAndInterfaceName) {
  Detect d;
  for (const char* iface : {"eni-b", "eni-a"}) {
    AddUpload(d, "10.0.4.4", "203.0.113.9", uint64_t{1} << 30, 1700000100, iface);
    AddUpload(d, "10.0.4.4", "203.0.113.8", uint64_t{1} << 30, 1700000200, iface);
  }
  const auto f = d.Of("exfiltration");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].interfaces, std::vector<std::string>{"eni-a"});
  const auto& top = f[0].evidence["top_dsts"];
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0]["dst"], "203.0.113.8");
  EXPECT_EQ(top[1]["dst"], "203.0.113.9");
}

// A gateway's relay is the hosts' when they are seen uploading at least half of it: exactly
// half of an odd count is not (2^31 + 1 relayed, 2^30 seen: the gateway is the only trace of
// the rest and is reported), one byte more is.
TEST(Exfiltration, ARelayIsSeenFromAtLeastHalfOfIt) {
  const uint64_t relayed = (uint64_t{2} << 30) + 1, half = uint64_t{1} << 30;
  for (const uint64_t seen : {half, half + 1}) {
    Detect d;
    AddUpload(d, "10.0.4.4", "10.0.0.5", relayed, 1700000000, "eni-nat");      // NAT ingress
    AddUpload(d, "10.0.0.5", "203.0.113.80", relayed, 1700000000, "eni-nat");  // NAT egress
    AddUpload(d, "10.0.4.4", "203.0.113.80", seen, 1700000000, "eni-app");     // the instance
    const auto f = d.Of("exfiltration");
    std::set<std::string> sources;
    for (const Finding& x : f) sources.insert(*x.src);
    const std::set<std::string> expected = seen == half
                                               ? std::set<std::string>{"10.0.0.5", "10.0.4.4"}
                                               : std::set<std::string>{"10.0.4.4"};
    EXPECT_EQ(sources, expected) << seen;
  }
}

// The mirror of AGatewaysRelayedHostUploadingInTheNextHourIsSeen: the instance's records of the
// upload start in the hour before the gateway's, which is not reported.
TEST(Exfiltration, AGatewaysRelayedHostUploadingInTheHourBeforeIsSeen) {
  const uint64_t hour = 1700002800, next = hour + 3600;
  const uint64_t relayed = 2'420'000'000, late = 464'000'000, early = relayed - late;
  Detect d({}, /*with_flags=*/false);
  AddUpload(d, "10.0.4.4", "10.0.0.5", relayed, next + 35, "eni-nat");      // NAT ingress
  AddUpload(d, "10.0.0.5", "203.0.113.80", relayed, next + 35, "eni-nat");  // NAT egress
  AddUpload(d, "10.0.4.4", "203.0.113.80", early, next - 100, "eni-app");   // the instance
  AddUpload(d, "10.0.4.4", "203.0.113.80", late, next + 20, "eni-app");
  const auto f = d.Of("exfiltration", hour, next + 3600);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "10.0.4.4");
  EXPECT_EQ(f[0].window_start, hour);
}

// What the relayed hosts uploaded is what others sent on the relayed port, less the gateway's
// own bytes on that port only: the gateway's own 1.5 GiB on port 22 is its upload, and the
// 2 GiB it relayed on 443 for a host seen uploading them is not.
TEST(Exfiltration, AGatewaysOwnUploadOnAnotherPortIsItsOwn) {
  const uint64_t relayed = uint64_t{2} << 30, own = uint64_t{3} << 29;
  Detect d;
  AddUpload(d, "10.0.4.4", "10.0.0.5", relayed, 1700000000, "eni-nat");      // NAT ingress
  AddUpload(d, "10.0.0.5", "203.0.113.80", relayed, 1700000000, "eni-nat");  // NAT egress
  AddUpload(d, "10.0.4.4", "203.0.113.80", relayed, 1700000000, "eni-app");  // the instance
  AddUpload(d, "10.0.0.5", "198.51.100.9", own, 1700000100, "eni-nat", 40001, 22);
  const auto f = d.Of("exfiltration");
  ASSERT_EQ(f.size(), 2u);
  const Finding& gateway = f[0].src == "10.0.0.5" ? f[0] : f[1];
  ASSERT_EQ(gateway.src, "10.0.0.5");
  EXPECT_EQ(gateway.evidence["net_bytes"], own);
  EXPECT_EQ(gateway.evidence["bytes_relayed"], relayed);
  EXPECT_FALSE(gateway.evidence.contains("bytes_relayed_unseen"));
}

}  // namespace
}  // namespace flowsift
