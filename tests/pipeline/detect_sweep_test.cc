// The port-sweep and brute-force detectors: thresholds, answers that take a host off a sweep,
// and who the actor is when a NAT gateway relays the records.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/detect.h"
#include "tests/pipeline/detect_harness.h"

namespace flowsift {
namespace {

using flowsift::testing::AddRejectedProbes;
using flowsift::testing::AddRejectsTo2049Hosts;
using flowsift::testing::Detect;
using flowsift::testing::FindingsOfText;
using flowsift::testing::Ip;
using flowsift::testing::kFields;
using flowsift::testing::ParsedText;
using flowsift::testing::ParseText;
using flowsift::testing::Rec;
using flowsift::testing::SynAckTo;

// --- port_sweep --------------------------------------------------------------------------------

// Past 2,048 destinations a sweep's count is a sketch's estimate, which may be above the truth:
// never above its attempts. 2,049 hosts 10.0.0.7, 10.0.0.14, ... are estimated 2,056.
TEST(PortSweep, ADistinctCountIsNeverAboveTheAttempts) {
  Detect d;
  AddRejectsTo2049Hosts(d);
  const auto f = d.Of("port_sweep");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].flows, 2049u);
  EXPECT_EQ(f[0].distinct_dsts, 2049u);
  EXPECT_EQ(f[0].evidence["failed_dsts"], 2049);
}

void AddSweep(Detect& d, int hosts, int port = 445) {
  for (int h = 0; h < hosts; ++h) {
    Rec r;
    r.src = "10.0.9.9";
    r.dst = Ip(10, 0, 5, 1 + h);
    r.dport = port;
    r.start = 1700000000 + static_cast<uint64_t>(h);
    r.action = h % 2 ? "REJECT" : "ACCEPT";  // unused addresses: nothing answers
    d.Add(r);
  }
}

TEST(PortSweep, ThresholdMinusOneGivesNothingThresholdGivesOne) {
  Detect below;
  AddSweep(below, 24);
  EXPECT_TRUE(below.Of("port_sweep").empty());
  Detect at;
  AddSweep(at, 25);
  const auto f = at.Of("port_sweep");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "10.0.9.9");
  EXPECT_EQ(f[0].dst, std::nullopt);
  EXPECT_EQ(f[0].dst_port, 445u);
  EXPECT_EQ(f[0].distinct_dsts, 25u);
  EXPECT_EQ(f[0].evidence["rejected_flows"], 12);  // the others unanswered accepted SYNs
  EXPECT_EQ(f[0].evidence["sample_dsts"].size(), 10u);
  EXPECT_EQ(f[0].evidence["sample_dsts"][0], "10.0.5.1");
  EXPECT_EQ(f[0].severity, 3);
}

// port_sweep.window longer than port_scan.window: a sweep's attempts are counted over its own
// window, here 25 hosts across two 5-minute windows of one 10-minute one.
TEST(PortSweep, ASweepIsCountedOverItsOwnWindow) {
  DetectOptions o;
  o.sweep_window = 600;
  Detect d(o);
  for (int h = 0; h < 25; ++h) {
    Rec r;
    r.src = "10.0.9.9";
    r.dst = Ip(10, 0, 5, 1 + h);
    r.dport = 445;
    r.start = 1700000000 + static_cast<uint64_t>(h) * 8;  // 13 before 1700000100, 12 after
    r.action = "REJECT";
    d.Add(r);
  }
  const auto f = d.Of("port_sweep");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].distinct_dsts, 25u);
  EXPECT_EQ(f[0].window_start, 1699999800u);
  EXPECT_EQ(f[0].window_end, 1700000400u);
}

// A format without a protocol field: the sweep's protocol is unknown (null), not 0, and the
// summary names the port alone ("port 22 of protocol 0" before).
TEST(PortSweep, WithoutAProtocolFieldTheProtocolIsUnknown) {
  std::string text;
  for (int h = 0; h < 25; ++h) {
    text += "eni-a 10.0.9.9 " + Ip(10, 0, 5, 1 + h) + " 40000 22 REJECT " +
            std::to_string(1700000000 + h) + " " + std::to_string(1700000000 + h) + " 1 44\n";
  }
  const std::vector<Finding> sweeps =
      FindingsOfText("interface-id srcaddr dstaddr srcport dstport action start end packets bytes",
                     text, "port_sweep");
  ASSERT_EQ(sweeps.size(), 1u);
  EXPECT_EQ(sweeps[0].protocol, std::nullopt);
  EXPECT_EQ(sweeps[0].dst_port, 22u);
  EXPECT_THAT(sweeps[0].summary, ::testing::HasSubstr("failed attempts at port 22 of 25 hosts"));
}

// Hosts that answered the SYN with a tiny SYN-ACK are not failed attempts, as answered ports
// are not for port_scan: 26 probed, 2 answered is 24 failed, under the threshold; 27 probed is
// 25. Before, the answers were ignored and 26 "failed" hosts made a sweep. Promoted (more than
// 64 attempts) or still in its list, the same.
TEST(PortSweep, HostsThatAnsweredAreNotFailures) {
  const auto sweep = [](int probed, int answering, int extra_ports) {
    Detect d;
    AddSweep(d, probed);
    for (int p = 0; p < extra_ports; ++p) {  // other ports of one host: promotes the list
      Rec r;
      r.src = "10.0.9.9";
      r.dst = "10.0.6.1";
      r.dport = 2000 + p;
      r.action = "REJECT";
      r.start = 1700000100;
      d.Add(r);
    }
    for (int h = 0; h < answering; ++h) {
      Rec r;
      r.src = Ip(10, 0, 5, 2 + 2 * h);  // an ACCEPTed probe's host (odd h are REJECTs)
      r.dst = "10.0.9.9";
      r.sport = 445;
      r.dport = 40000;
      r.flags = 18;
      r.start = 1700000050;
      d.Add(r);
    }
    return d.Of("port_sweep");
  };
  for (const int extra : {0, 70}) {
    EXPECT_EQ(sweep(26, 0, extra).size(), 1u) << extra;
    EXPECT_TRUE(sweep(26, 2, extra).empty()) << extra;
    const auto f = sweep(27, 2, extra);
    ASSERT_EQ(f.size(), 1u) << extra;
    EXPECT_EQ(f[0].distinct_dsts, 25u);
    EXPECT_EQ(f[0].evidence["answered_dsts"], 2);
  }
}

// An instance sweeps port 445 of 30 internet hosts through a NAT gateway, whose interface is
// logged with pkt-* fields: its ingress records name the instance (pkt-dstaddr the target), its
// egress records the gateway (AWS logs the translated source there). One sweep, by the instance:
// the gateway's own records made a second one, of its address, beside it. SSH tries the same
// way: one brute force. With the gateway's interface alone in a format without pkt-*, the
// instance's requests end at the gateway: its sweep is the only trace and stays, saying what
// it relayed.
// Five hosts that answer a prober once a minute, and 25 that reject it: a sweep of 25 failed
// hosts in one 5-minute window, whatever the port-scan window. With 1-minute scan windows the
// answers sat in five scan keys per host and were taken off 25 times (no finding); answers are
// now used only when the two windows are equal.
TEST(PortSweep, AnswersCountOncePerHost) {
  for (const uint64_t scan_window : {300u, 60u}) {
    DetectOptions o;
    o.scan_window = scan_window;
    Detect d(o);
    for (int minute = 0; minute < 5; ++minute) {
      for (int h = 0; h < 5; ++h) {
        Rec probe;
        probe.src = "198.51.100.9";
        probe.dst = Ip(10, 0, 3, 1 + h);
        probe.dport = 22;
        probe.start = 1700000100 + static_cast<uint64_t>(minute) * 60;
        d.Add(probe);
        d.Add(SynAckTo(probe));
      }
    }
    AddRejectedProbes(d, "198.51.100.9", 4, 25, 22);
    const auto f = d.Of("port_sweep");
    ASSERT_EQ(f.size(), 1u) << scan_window;
    EXPECT_EQ(f[0].evidence["answered_dsts"], scan_window == 300 ? 5 : 0);
  }
}

// The AWS documentation's ICMP example (fixtures/aws-examples/03): a security group lets a
// ping in, a network ACL rejects the echo reply. ICMP is logged with ports 0 0, so the rejected
// reply looked like the host's failed attempt at "port 0" of the pinger; 30 pingers made the
// host an internal sweeper (severity 3). An accepted ICMP record now answers the other side's,
// as a tiny SYN-ACK does. A ping sweep that security groups reject is still a sweep.
TEST(PortSweep, EchoRepliesANetworkAclRejectsAreNotASweep) {
  Detect pinged({}, /*with_flags=*/false);
  Detect sweep({}, /*with_flags=*/false);
  for (int i = 0; i < 30; ++i) {
    Rec ping;
    ping.src = Ip(203, 0, 113, 1 + i);
    ping.dst = "172.31.16.139";
    ping.sport = ping.dport = 0;
    ping.proto = 1;
    ping.packets = 4;
    ping.bytes = 336;
    ping.start = 1700000000 + static_cast<uint64_t>(i);
    pinged.Add(ping);
    Rec reply = ping;
    std::swap(reply.src, reply.dst);
    reply.action = "REJECT";
    pinged.Add(reply);
    Rec probe = ping;
    probe.src = "203.0.113.9";
    probe.dst = Ip(172, 31, 17, 1 + i);
    probe.packets = 1;
    probe.bytes = 84;
    probe.action = "REJECT";
    sweep.Add(probe);
  }
  EXPECT_TRUE(pinged.Of("port_sweep").empty());
  const auto f = sweep.Of("port_sweep");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "203.0.113.9");
  EXPECT_EQ(f[0].protocol, 1u);
}

TEST(PortSweep, ANatGatewayIsNotTheActorOfWhatItRelays) {
  const auto findings = [](bool pkt_fields, bool instance_logged, int port, int hosts) {
    std::string text;
    const auto add = [&](const char* iface, const std::string& src, const std::string& dst,
                         const std::string& pkt_src, const std::string& pkt_dst, int sport,
                         uint64_t start) {
      text += std::string(iface) + " " + src + " " + dst + " " + std::to_string(sport) + " " +
              std::to_string(port) + " 6 1 44 " + std::to_string(start) + " " +
              std::to_string(start + 5) + " ACCEPT 2 OK";
      if (pkt_fields) text += " " + pkt_src + " " + pkt_dst;
      text += "\n";
    };
    for (int h = 0; h < hosts; ++h) {
      const std::string target = Ip(198, 51, 100, 1 + (port == 22 ? 0 : h));
      const int sport = 40000 + h;
      const uint64_t start = 1700000000 + static_cast<uint64_t>(h);
      if (instance_logged) add("eni-inst", "10.0.1.5", target, "10.0.1.5", target, sport, start);
      add("eni-nat", "10.0.1.5", "10.0.0.220", "10.0.1.5", target, sport, start);  // ingress
      add("eni-nat", "10.0.0.220", target, "10.0.0.220", target, sport, start);    // egress
    }
    std::string err;
    const auto format =
        Format::Parse(std::string(kFields) + (pkt_fields ? " pkt-srcaddr pkt-dstaddr" : ""), &err);
    EXPECT_TRUE(format) << err;
    const ParsedText p = ParseText(text, *format);
    EXPECT_TRUE(p.batch.bad_lines.empty());
    Detector d{DetectOptions{}};
    d.Add(p.batch, p.base());
    std::vector<std::pair<std::string, std::string>> out;  // (type, src)
    for (const Finding& f : d.Findings(1700000000, 1700003600)) {
      if (f.type == "port_sweep" || f.type == "brute_force") out.emplace_back(f.type, *f.src);
    }
    return out;
  };
  using Found = std::vector<std::pair<std::string, std::string>>;
  for (const bool instance_logged : {true, false}) {
    EXPECT_EQ(findings(true, instance_logged, 445, 30), (Found{{"port_sweep", "10.0.1.5"}}));
    EXPECT_EQ(findings(true, instance_logged, 22, 30), (Found{{"brute_force", "10.0.1.5"}}));
  }
  EXPECT_EQ(findings(false, true, 445, 30), (Found{{"port_sweep", "10.0.1.5"}}));
  EXPECT_EQ(findings(false, false, 445, 30), (Found{{"port_sweep", "10.0.0.220"}}));
}

// Two internal hosts sweep port 22 of one subnet in one window, and the ops host's SSH session
// into the first (2,800 bytes, one flow) is under twice its 28 probes' 1,512 bytes: the shape
// of a NAT gateway's copy by bytes, but one relayed flow for 28 attempts. Both sweeps are
// reported (the first was dropped as the second's copy: a generated 9-minute set, 4,320 bytes
// in against 2,188 out with the probes' rejected copies, recall 0.667).
TEST(PortSweep, AnAdminSessionIntoASweeperDoesNotMakeItAGateway) {
  Detect d({}, /*with_flags=*/false);
  const auto sweep = [&](const std::string& src, const std::string& iface, int first, int n) {
    for (int h = first; h < first + n; ++h) {
      Rec r;
      r.iface = iface;
      r.src = src;
      r.dst = Ip(10, 41, 5, 1 + h);
      r.sport = 43000 + h;
      r.dport = 22;
      r.bytes = 54;
      r.start = 1700000100 + static_cast<uint64_t>(h);
      d.Add(r);
    }
  };
  sweep("10.41.88.199", "eni-s", 0, 28);
  sweep("10.41.84.207", "eni-t", 0, 36);  // the first's hosts and more: samples shared
  Rec admin;
  admin.iface = "eni-s";
  admin.src = "10.41.228.209";
  admin.dst = "10.41.88.199";
  admin.sport = 46041;
  admin.dport = 22;
  admin.packets = 40;
  admin.bytes = 2800;
  admin.start = 1700000300;
  d.Add(admin);
  std::set<std::string> sources;
  for (const Finding& f : d.Of("port_sweep")) sources.insert(*f.src);
  EXPECT_EQ(sources, (std::set<std::string>{"10.41.84.207", "10.41.88.199"}));
}

// Only a host whose probe failed and then answered is taken off a sweep's count: a worm that
// sweeps 445 of 100 hosts (rejected) while it has 80 working SMB sessions with others (their
// SYN-ACKs answer it) made 100 - 80 = 20 failed hosts, under the threshold: no finding.
TEST(PortSweep, AnswersFromHostsItDidNotFailAtAreNotTakenOff) {
  for (const int probes : {100, 30}) {  // a list of attempts (30) and a promoted one (100)
    Detect d;
    for (int h = 0; h < probes; ++h) {
      Rec r;
      r.src = "10.9.9.9";
      r.dst = Ip(10, 0, 1, 1 + h);
      r.sport = 40000 + h;
      r.dport = 445;
      r.action = "REJECT";
      r.start = 1700000100 + static_cast<uint64_t>(h);
      d.Add(r);
    }
    for (int h = 0; h < 80; ++h) {
      Rec session;
      session.src = "10.9.9.9";
      session.dst = Ip(10, 0, 2, 1 + h);
      session.sport = 50000 + h;
      session.dport = 445;
      session.flags = 3;
      session.packets = 20;
      session.bytes = 9000;
      session.start = 1700000100 + static_cast<uint64_t>(h);
      d.Add(session);
      Rec answer = session;
      std::swap(answer.src, answer.dst);
      std::swap(answer.sport, answer.dport);
      answer.flags = 19;
      answer.packets = 2;
      answer.bytes = 120;
      d.Add(answer);
    }
    const auto f = d.Of("port_sweep");
    ASSERT_EQ(f.size(), 1u) << probes;
    EXPECT_EQ(f[0].distinct_dsts, static_cast<uint64_t>(probes));
    EXPECT_EQ(f[0].evidence["answered_dsts"], 0);
  }
}

// One source sweeping port 53 over TCP and over UDP makes two findings with two ids (the id
// left the protocol out: two findings, one id, one summary); the summary names UDP and ICMP,
// and a TCP sweep's id is what it was.
TEST(PortSweep, TcpAndUdpSweepsOfOnePortAreTwoFindings) {
  Detect d({}, /*with_flags=*/false);
  for (int h = 0; h < 25; ++h) {
    for (const int proto : {6, 17, 1}) {
      Rec r;
      r.src = "198.51.100.7";
      r.dst = Ip(10, 0, 5, 1 + h);
      r.dport = proto == 1 ? 0 : 53;
      r.sport = proto == 1 ? 0 : 40000 + h;
      r.proto = proto;
      r.action = "REJECT";
      r.start = 1700000000 + static_cast<uint64_t>(h);
      d.Add(r);
    }
  }
  const auto f = d.Of("port_sweep");
  ASSERT_EQ(f.size(), 3u);
  std::set<std::string> ids, summaries;
  for (const Finding& x : f) {
    ids.insert(x.id);
    summaries.insert(x.summary);
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_TRUE(ids.count(
      FindingId("port_sweep", std::string("198.51.100.7"), std::nullopt, 53, 1699999800, "")));
  const std::string head = "external host 198.51.100.7 made failed attempts at ";
  EXPECT_TRUE(summaries.count(head + "port 53 of 25 hosts within 5 minutes (threshold 25)."));
  EXPECT_TRUE(summaries.count(head + "UDP port 53 of 25 hosts within 5 minutes (threshold 25)."));
  // ICMP has no port: not "failed attempts at ICMP (pings) of 25 hosts".
  EXPECT_TRUE(summaries.count(
      "external host 198.51.100.7 sent failed pings (ICMP) to 25 hosts within 5 minutes "
      "(threshold 25)."))
      << ::testing::PrintToString(summaries);
}

// A protocol without ports (GRE 47, ESP 50) is logged with ports 0 0: its sweep's summary names
// the protocol, not "port 0 of protocol 47".
TEST(PortSweep, AProtocolWithoutPortsIsNamedWithoutPort0) {
  Detect d({}, /*with_flags=*/false);
  for (int h = 0; h < 25; ++h) {
    Rec r;
    r.src = "198.51.100.7";
    r.dst = Ip(10, 0, 5, 1 + h);
    r.sport = r.dport = 0;
    r.proto = 47;
    r.action = "REJECT";
    r.start = 1700000000 + static_cast<uint64_t>(h);
    d.Add(r);
  }
  const auto f = d.Of("port_sweep");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].summary,
            "external host 198.51.100.7 made failed protocol 47 attempts at 25 hosts within 5 "
            "minutes (threshold 25).");
}

// A sweep's relayed bytes are those of every exfiltration window its own window overlaps, for
// any pair of windows: one, several, or a sweep window of 1e13 s (a --config value the config
// accepts), which stepped through 1.7e10 exfiltration windows, a hang.
TEST(PortSweep, RelayedBytesOverAnyWindows) {
  std::string text;
  for (int h = 0; h < 30; ++h) {  // a gateway's interface only: relayed requests, then its own
    const std::string target = Ip(198, 51, 100, 1 + h);
    const uint64_t start = 1699999200 + static_cast<uint64_t>(h) * 100;  // 50 minutes of an hour
    for (const std::string& line :
         {"eni-nat 10.0.1.5 10.0.0.220 " + std::to_string(40000 + h) + " 445 6 1 44 ",
          "eni-nat 10.0.0.220 " + target + " " + std::to_string(40000 + h) + " 445 6 1 44 "}) {
      text += line + std::to_string(start) + " " + std::to_string(start + 5) + " ACCEPT 2 OK\n";
    }
  }
  std::string err;
  const auto format = Format::Parse(kFields, &err);
  ASSERT_TRUE(format) << err;
  const ParsedText p = ParseText(text, *format);
  ASSERT_TRUE(p.batch.bad_lines.empty());
  for (const auto& [window, exfil_window] : std::vector<std::pair<uint64_t, uint64_t>>{
           {3600, 3600}, {3600, 600}, {10000000000000, 600}}) {
    DetectOptions o;
    o.scan_window = o.sweep_window = window;
    o.exfil_window = exfil_window;
    Detector d(o);
    d.Add(p.batch, p.base());
    std::vector<Finding> sweeps;
    for (Finding& f : d.Findings(1699999200, 1700002800)) {
      if (f.type == "port_sweep") sweeps.push_back(std::move(f));
    }
    ASSERT_EQ(sweeps.size(), 1u) << window << " " << exfil_window;
    EXPECT_EQ(*sweeps[0].src, "10.0.0.220");
    EXPECT_EQ(sweeps[0].evidence["relayed_bytes"], 30 * 44) << window << " " << exfil_window;
  }
}

// The other side of the NAT rule: a host that only received traffic on the port (one admin SSH
// session) and then swept it is the actor, even when an internet scanner sweeps the same port
// in the same window, and a worm's second host keeps its sweep beside the first's. The first
// version of the rule dropped both: it took any other sweep of the port for the host behind a
// gateway.
TEST(PortSweep, AHostThatOnlyReceivedOnThePortKeepsItsSweep) {
  Detect d({}, /*with_flags=*/false);
  Rec admin;  // 40 KB over SSH from a bastion
  admin.src = "10.0.0.10";
  admin.dst = "10.0.2.1";
  admin.dport = 22;
  admin.packets = 80;
  admin.bytes = 40000;
  admin.start = 1700000010;
  d.Add(admin);
  for (int h = 0; h < 30; ++h) {
    Rec out;  // the compromised host sweeps 22 outward
    out.src = "10.0.2.1";
    out.dst = Ip(198, 51, 100, 1 + h);
    out.dport = 22;
    out.start = 1700000020 + static_cast<uint64_t>(h);
    d.Add(out);
    Rec in;  // an internet scanner sweeps 22 inward
    in.src = "45.33.1.1";
    in.dst = Ip(10, 0, 3, 1 + h);
    in.dport = 22;
    in.action = "REJECT";
    in.start = 1700000020 + static_cast<uint64_t>(h);
    d.Add(in);
    Rec worm;  // and another internal host sweeps 22 over internal hosts, 10.0.2.1 among them
    worm.src = "10.0.1.1";
    worm.dst = h == 0 ? "10.0.2.1" : Ip(10, 0, 4, h);
    worm.dport = 22;
    worm.action = "REJECT";
    worm.start = 1700000020 + static_cast<uint64_t>(h);
    d.Add(worm);
  }
  std::set<std::string> sources;
  for (const Finding& f : d.Of("port_sweep")) sources.insert(*f.src);
  EXPECT_EQ(sources, (std::set<std::string>{"10.0.1.1", "10.0.2.1", "45.33.1.1"}));
}

// A brute force through a NAT gateway, both interfaces logged in v2: the instance's own records,
// the gateway's ingress (the instance to the gateway's address) and its egress (the gateway to
// the target). One finding, the instance's against the target: not the gateway's relay, and
// not a brute force of the gateway by the instance (its way in), which was reported too.
TEST(BruteForce, ThroughANatGatewayTheActorIsReportedOnce) {
  Detect d({}, /*with_flags=*/false);
  for (int i = 0; i < 30; ++i) {
    const uint64_t t = 1700000100 + static_cast<uint64_t>(i) * 10;
    const auto add = [&](const char* iface, const char* src, const char* dst, int sport) {
      Rec r;
      r.iface = iface;
      r.src = src;
      r.dst = dst;
      r.sport = sport;
      r.dport = 22;
      r.packets = 12;
      r.bytes = 2500;
      r.start = t;
      d.Add(r);
    };
    add("eni-inst", "10.0.1.5", "203.0.113.50", 40000 + i);
    add("eni-nat", "10.0.1.5", "10.0.0.100", 40000 + i);
    add("eni-nat", "10.0.0.100", "203.0.113.50", 50000 + i);
  }
  const auto f = d.Of("brute_force");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "10.0.1.5");
  EXPECT_EQ(f[0].dst, "203.0.113.50");
}

// Two compromised hosts brute-force one target with 30 attempts of 2.5 KB (75 KB) each, and
// SSH traffic goes into the first. An admin's session of 300 KB is four times what it sent: no
// gateway forwards that. One of 60 KB is as many bytes as a gateway forwarding the other's
// attack, but one flow for 30 attempts: no gateway's either (it was dropped as the relay of the
// other's attack). 30 flows of 2 KB in from the other are that relay's shape: its finding is
// the copy, and the other's requests to it are the relay's way in, no brute force of it.
// Two hosts (10.0.0.10 on eni-a, 10.0.0.11 on eni-b) make `attempts` SSH attempts of
// `attempt_bytes` each, `spacing` s apart, at one target; then `in_src` sends 10.0.0.10 `bytes`
// on port 22 in `flows` flows of `in_packets` packets. The sources of the brute_force findings;
// 10.0.0.10's, when kept, names what it received as relayed.
std::set<std::string> RelayedBruteForceSources(int attempts, uint64_t attempt_bytes,
                                               uint64_t spacing, const char* in_src, uint64_t bytes,
                                               int flows, uint64_t in_packets) {
  Detect d({}, /*with_flags=*/false);
  for (int i = 0; i < attempts; ++i) {
    for (const char* host : {"10.0.0.10", "10.0.0.11"}) {
      Rec r;
      r.iface = host == std::string("10.0.0.10") ? "eni-a" : "eni-b";
      r.src = host;
      r.dst = "203.0.113.50";
      r.sport = 40000 + i;
      r.dport = 22;
      r.packets = 12;
      r.bytes = attempt_bytes;
      r.start = 1700000100 + static_cast<uint64_t>(i) * spacing;
      d.Add(r);
    }
  }
  for (int k = 0; k < flows; ++k) {
    Rec in;
    in.iface = "eni-a";
    in.src = in_src;
    in.dst = "10.0.0.10";
    in.sport = 51000 + k;
    in.dport = 22;
    in.packets = in_packets;
    in.bytes =
        bytes / static_cast<uint64_t>(flows) + (k == 0 ? bytes % static_cast<uint64_t>(flows) : 0);
    in.start = 1700000150 + static_cast<uint64_t>(k);
    d.Add(in);
  }
  std::set<std::string> sources;
  for (const Finding& f : d.Of("brute_force")) {
    sources.insert(*f.src);
    if (*f.src == "10.0.0.10") {
      EXPECT_EQ(f.bytes, attempt_bytes * static_cast<uint64_t>(attempts));
      EXPECT_EQ(f.evidence["relayed_bytes"], bytes);
      EXPECT_EQ(f.evidence["relayed_flows"], flows);
    }
  }
  return sources;
}

TEST(BruteForce, AnAttackerThatReceivedMoreThanItSentIsNoRelay) {
  struct Case {
    uint64_t bytes;
    int flows;
    bool kept;
  };
  for (const Case c : {Case{300000, 1, true}, Case{60000, 1, true}, Case{60000, 30, false}}) {
    const std::set<std::string> sources =
        RelayedBruteForceSources(30, 2500, 10, c.flows == 1 ? "10.0.9.9" : "10.0.0.11", c.bytes,
                                 c.flows, 2000 / static_cast<uint64_t>(c.flows));
    const std::set<std::string> both = {"10.0.0.10", "10.0.0.11"}, other = {"10.0.0.11"};
    EXPECT_EQ(sources, c.kept ? both : other) << c.bytes << " in " << c.flows;
  }
}

TEST(PortSweep, HealthChecksThatCompleteAreNotASweep) {
  // A load balancer checks port 80 of 40 targets: complete connections with payload.
  Detect d;
  for (int h = 0; h < 40; ++h) {
    Rec r;
    r.src = "10.0.0.10";
    r.dst = Ip(10, 0, 5, 1 + h);
    r.flags = 3;
    r.packets = 6;
    r.bytes = 600;
    d.Add(r);
  }
  EXPECT_TRUE(d.Run().empty());
}

TEST(PortSweep, RepliesAreNotContacts) {
  // A web server answering 100 internet clients: SYN-ACK and data replies, never requests.
  Detect d;
  for (int h = 0; h < 100; ++h) {
    Rec r;
    r.src = "10.0.1.5";
    r.dst = Ip(198, 51, 100, 1 + h);
    r.sport = 443;
    r.dport = 50000 + h;
    r.flags = 18;
    d.Add(r);
  }
  EXPECT_TRUE(d.Run().empty());
}

// --- brute_force -------------------------------------------------------------------------------

void AddLogins(Detect& d, int n, const std::string& iface = "eni-a",
               const std::string& src = "192.0.2.44", const std::string& dst = "10.0.3.3",
               int dport = 22) {
  for (int i = 0; i < n; ++i) {
    Rec r;
    r.iface = iface;
    r.src = src;
    r.dst = dst;
    r.sport = 41000 + i;
    r.dport = dport;
    r.flags = 3;
    r.packets = 20;
    r.bytes = 3000;
    r.start = 1700000000 + static_cast<uint64_t>(i) * 20;
    d.Add(r);
  }
}

TEST(BruteForce, ThresholdMinusOneGivesNothingThresholdGivesOne) {
  Detect below;
  AddLogins(below, 29);
  EXPECT_TRUE(below.Of("brute_force").empty());
  Detect at;
  AddLogins(at, 30);
  const auto f = at.Of("brute_force");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].dst_port, 22u);
  EXPECT_EQ(f[0].evidence["attempts"], 30);
  EXPECT_EQ(f[0].evidence["role"], "target");
  EXPECT_EQ(f[0].mitre, (std::vector<std::string>{"T1110", "T1110.001", "T1021.004"}));
  EXPECT_EQ(f[0].window_start, 1700000000u - 1700000000u % 1800);
}

TEST(BruteForce, OneConnectionSeenOnTwoInterfacesCountsOnce) {
  Detect d;
  AddLogins(d, 20, "eni-a");
  AddLogins(d, 20, "eni-b");  // the same 20 connections logged by the target's ENI too
  EXPECT_TRUE(d.Of("brute_force").empty());
}

TEST(BruteForce, LongSessionsAreNotAttempts) {
  Detect d;
  for (int i = 0; i < 40; ++i) {
    Rec r;
    r.src = "192.0.2.44";
    r.dst = "10.0.3.3";
    r.sport = 41000 + i;
    r.dport = 22;
    r.flags = 3;
    r.packets = 5000;
    r.bytes = 4000000;
    d.Add(r);
  }
  EXPECT_TRUE(d.Of("brute_force").empty());
}

// --- Boundaries, severities and techniques the tests above did not reach ----------------------
// (each fails when its comparison or constant is changed: a mutation audit's survivors)

// Hosts that answered a ping sweep come off it for ICMPv6 as for ICMP.
TEST(PortSweep, AnsweredPingsComeOffIcmpAndIcmp6Sweeps) {
  for (const int proto : {1, 58}) {
    const bool v6 = proto == 58;
    const std::string prober = v6 ? "2001:db8::9" : "203.0.113.9";
    const auto host = [&](int h) {
      return v6 ? "fd00::" + std::to_string(h + 1) : Ip(10, 0, 4, 1 + h);
    };
    Detect d({}, /*with_flags=*/false);
    for (int h = 0; h < 27; ++h) {
      Rec ping;
      ping.src = prober;
      ping.dst = host(h);
      ping.sport = ping.dport = 0;
      ping.proto = proto;
      ping.bytes = 84;
      ping.action = "REJECT";
      ping.start = 1700000100 + static_cast<uint64_t>(h);
      d.Add(ping);
    }
    for (int h = 0; h < 2; ++h) {
      Rec reply;
      reply.src = host(h);
      reply.dst = prober;
      reply.sport = reply.dport = 0;
      reply.proto = proto;
      reply.bytes = 84;
      reply.start = 1700000150;
      d.Add(reply);
    }
    const auto f = d.Of("port_sweep");
    ASSERT_EQ(f.size(), 1u) << proto;
    EXPECT_EQ(f[0].evidence["answered_dsts"], 2) << proto;
    EXPECT_EQ(f[0].distinct_dsts, 25u) << proto;
    // Its summary names the protocol pinged: ICMPv6's had no test.
    EXPECT_THAT(f[0].summary, ::testing::HasSubstr(std::string(" sent failed pings (") +
                                                   (v6 ? "ICMPv6" : "ICMP") + ") to 25 hosts"))
        << f[0].summary;
  }
}

// RDP brute force is tagged T1021.001 as SSH's is T1021.004.
TEST(BruteForce, RdpBruteForceHasItsMitreTechnique) {
  Detect d;
  AddLogins(d, 30, "eni-a", "192.0.2.44", "10.0.3.3", 3389);
  const auto f = d.Of("brute_force");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].mitre, (std::vector<std::string>{"T1110", "T1110.001", "T1021.001"}));
  EXPECT_EQ(f[0].severity, 2);  // an external actor
}

// An internal host brute-forcing: severity 3 (GuardDuty: high when our instance is the actor).
TEST(BruteForce, AnInternalBruteForcerIsSeverityThree) {
  Detect d;
  AddLogins(d, 30, "eni-a", "10.0.3.9", "198.51.100.3");
  const auto f = d.Of("brute_force");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, 3);
  EXPECT_EQ(f[0].evidence["role"], "actor");
}

// An accepted ICMP record is an answer only when it has no direction (AWS logs ports 0 0): one
// whose ports differ (type/code in the ports, as some converters write) is no answer, and the
// sweep keeps its 26 hosts.
TEST(PortSweep, OnlyDirectionlessIcmpRecordsAnswer) {
  Detect d({}, /*with_flags=*/false);
  for (int h = 0; h < 26; ++h) {
    Rec ping;
    ping.src = "203.0.113.9";
    ping.dst = Ip(10, 0, 4, 1 + h);
    ping.sport = 0;
    ping.dport = 8;
    ping.proto = 1;
    ping.bytes = 84;
    ping.action = "REJECT";
    ping.start = 1700000100 + static_cast<uint64_t>(h);
    d.Add(ping);
  }
  for (int h = 0; h < 2; ++h) {
    Rec reply;
    reply.src = Ip(10, 0, 4, 1 + h);
    reply.dst = "203.0.113.9";
    reply.sport = 8;
    reply.dport = 0;
    reply.proto = 1;
    reply.bytes = 84;
    reply.start = 1700000150;
    d.Add(reply);
  }
  const auto f = d.Of("port_sweep");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].distinct_dsts, 26u);
}

// A rejected ICMP record never reached its destination, so it answers nothing: the targets of a
// rejected ping sweep whose own pings to the sweeper are rejected stay in the sweep.
TEST(PortSweep, RejectedEchoesAnswerNothing) {
  Detect d({}, /*with_flags=*/false);
  for (int h = 0; h < 26; ++h) {
    Rec ping;
    ping.src = "203.0.113.9";
    ping.dst = Ip(10, 0, 4, 1 + h);
    ping.sport = ping.dport = 0;
    ping.proto = 1;
    ping.bytes = 84;
    ping.action = "REJECT";
    ping.start = 1700000100 + static_cast<uint64_t>(h);
    d.Add(ping);
    Rec back = ping;
    std::swap(back.src, back.dst);
    d.Add(back);
  }
  const auto f = d.Of("port_sweep");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "203.0.113.9");
  EXPECT_EQ(f[0].distinct_dsts, 26u);
  EXPECT_EQ(f[0].evidence["answered_dsts"], 0);
}

// A connection of at most brute_force.max_packets (100) and max_bytes (50,000) is an attempt,
// a longer one a session; a REJECT is an attempt whatever its size (a SYN retried all along).
TEST(BruteForce, TheSessionLimitsAreThresholdsAndRejectsAlwaysCount) {
  const auto brutes_of = [](uint64_t packets, uint64_t bytes, const std::string& action) {
    Detect d;
    for (int i = 0; i < 30; ++i) {
      Rec r;
      r.src = "192.0.2.44";
      r.dst = "10.0.3.3";
      r.sport = 41000 + i;
      r.dport = 22;
      r.flags = action == "REJECT" ? 2 : 3;
      r.packets = packets;
      r.bytes = bytes;
      r.action = action;
      r.start = 1700000000 + static_cast<uint64_t>(i) * 20;
      d.Add(r);
    }
    return d.Of("brute_force").size();
  };
  EXPECT_EQ(brutes_of(100, 50000, "ACCEPT"), 1u);
  EXPECT_EQ(brutes_of(101, 50000, "ACCEPT"), 0u);
  EXPECT_EQ(brutes_of(100, 50001, "ACCEPT"), 0u);
  EXPECT_EQ(brutes_of(120, 7200, "REJECT"), 1u);
}

// What an attempt is (brute_force.max_packets, max_bytes) is in the finding's threshold beside
// the attempts and the window: a finding of 30 attempts of 20 packets does not say by itself
// whether a session of 60 would have counted.
TEST(BruteForce, TheThresholdSaysWhatAnAttemptIs) {
  DetectOptions o;
  o.brute_max_packets = 25;
  o.brute_max_bytes = 4000;
  Detect d(o);
  AddLogins(d, 30);  // 20 packets and 3,000 bytes each
  const auto f = d.Of("brute_force");
  ASSERT_EQ(f.size(), 1u);
  const auto& threshold = f[0].evidence.at("threshold");
  EXPECT_EQ(threshold.value("attempts", 0), 30) << threshold;
  EXPECT_EQ(threshold.value("window_seconds", 0), 1800) << threshold;
  EXPECT_EQ(threshold.value("max_packets", 0), 25) << threshold;
  EXPECT_EQ(threshold.value("max_bytes", 0), 4000) << threshold;
}

// probe_flows counts every failed attempt: accepted SYNs that were never answered as well as
// REJECTs.
TEST(BruteForce, UnansweredSynsAreProbeFlows) {
  Detect d;
  for (int i = 0; i < 30; ++i) {
    Rec r;
    r.src = "192.0.2.44";
    r.dst = "10.0.3.3";
    r.sport = 41000 + i;
    r.dport = 22;
    r.start = 1700000000 + static_cast<uint64_t>(i) * 20;
    d.Add(r);  // an accepted SYN: 1 packet of 44 bytes
  }
  const auto f = d.Of("brute_force");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["probe_flows"], 30);
}

// --- A third mutation audit of detect_findings.cc and detect_config.cc --------------------------
// (each test fails on a mutant that survived every test above)

// An internal sweeper's techniques: discovery of services and of remote systems.
TEST(PortSweep, AnInternalSweeperIsRemoteSystemDiscovery) {
  Detect d;
  AddSweep(d, 25);
  const auto f = d.Of("port_sweep");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, 3);
  EXPECT_EQ(f[0].mitre, (std::vector<std::string>{"T1046", "T1018"}));
}

TEST(BruteForce, TheProtocolIsTcp) {
  Detect d;
  AddLogins(d, 30);
  const auto f = d.Of("brute_force");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].protocol, 6u);
}

// A sweep's relayed bytes are those of the exfiltration windows its window overlaps: a relay in
// the hour that begins as the sweep's window ends is not its.
TEST(PortSweep, RelayedBytesAfterTheSweepsWindowAreNotItsOwn) {
  std::string text;
  for (int h = 0; h < 30; ++h) {
    const std::string target = Ip(198, 51, 100, 1 + h);
    const uint64_t swept = 1700002500 + static_cast<uint64_t>(h) * 5;  // ends at 1700002800
    const uint64_t relayed = 1700002800 + static_cast<uint64_t>(h);    // the next hour
    text += "eni-nat 10.0.0.220 " + target + " " + std::to_string(40000 + h) + " 445 6 1 44 " +
            std::to_string(swept) + " " + std::to_string(swept + 5) + " ACCEPT 2 OK\n";
    text += "eni-nat 10.0.1.5 10.0.0.220 " + std::to_string(40000 + h) + " 445 6 1 44 " +
            std::to_string(relayed) + " " + std::to_string(relayed + 5) + " ACCEPT 2 OK\n";
  }
  const auto sweeps = FindingsOfText(kFields, text, "port_sweep");
  ASSERT_EQ(sweeps.size(), 1u);
  EXPECT_EQ(sweeps[0].src, "10.0.0.220");
  EXPECT_FALSE(sweeps[0].evidence.contains("relayed_bytes")) << sweeps[0].evidence;
}

// The bounds of a gateway's relay (DropRelayedDuplicates): it received at least half of what it
// sent (rounded up), at most twice, in at least a quarter of its flows (rounded down). Two hosts
// make 31 attempts of 2,501 bytes (77,531) each at one target; the second sends the first
// `bytes` in `flows` flows: the first's finding is dropped as the second's copy inside the
// bounds, and kept outside them.
TEST(BruteForce, TheBoundsOfARelayAreInclusive) {
  struct Case {
    uint64_t bytes;
    int flows;
    bool kept;
  };
  for (const Case c : {Case{38765, 8, true}, Case{38766, 8, false}, Case{155062, 8, false},
                       Case{155063, 8, true}, Case{77531, 7, false}, Case{77531, 6, true}}) {
    const std::set<std::string> sources =
        RelayedBruteForceSources(31, 2501, 9, "10.0.0.11", c.bytes, c.flows, 20);
    const std::set<std::string> both = {"10.0.0.10", "10.0.0.11"}, other = {"10.0.0.11"};
    EXPECT_EQ(sources, c.kept ? both : other) << c.bytes << " in " << c.flows;
  }
}

}  // namespace
}  // namespace flowsift
