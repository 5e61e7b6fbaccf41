#include "pipeline/detect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/types.h"
#include "pipeline/aggregate.h"
#include "pipeline/generate.h"
#include "pipeline/parse_chunk.h"
#include "tests/pipeline/parse_text.h"

namespace flowsift {
namespace {

// Fields every test record has; tcp-flags and pkt-* make the v5-style cases, the `NoFlags`
// format the version-2 ones.
const char kFields[] =
    "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "tcp-flags log-status";
const char kNoFlagsFields[] =
    "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status";

struct Rec {
  std::string iface = "eni-a";
  std::string src, dst;
  int sport = 40000, dport = 80, proto = 6;
  uint64_t packets = 1, bytes = 44, start = 1700000000, end = 0;
  std::string action = "ACCEPT";
  int flags = 2;
};

std::string Line(const Rec& r, bool with_flags) {
  std::string s = r.iface + " " + r.src + " " + r.dst + " " + std::to_string(r.sport) + " " +
                  std::to_string(r.dport) + " " + std::to_string(r.proto) + " " +
                  std::to_string(r.packets) + " " + std::to_string(r.bytes) + " " +
                  std::to_string(r.start) + " " + std::to_string(r.end ? r.end : r.start) + " " +
                  r.action + " ";
  if (with_flags) s += std::to_string(r.flags) + " ";
  return s + "OK\n";
}

using flowsift::testing::ParsedText;
using flowsift::testing::ParseText;

class Detect {
 public:
  explicit Detect(DetectOptions o = {}, bool with_flags = true)
      : detector_(o), with_flags_(with_flags) {}
  void Add(const Rec& r) { text_ += Line(r, with_flags_); }
  // Parses what was added into the detector and returns every finding.
  std::vector<Finding> Run(uint64_t span_begin = 1700000000, uint64_t span_end = 1700003600) {
    Flush();
    return detector_.Findings(span_begin, span_end);
  }
  std::vector<Finding> Of(const std::string& type, uint64_t b = 1700000000,
                          uint64_t e = 1700003600) {
    std::vector<Finding> all = Run(b, e), out;
    for (Finding& f : all) {
      if (f.type == type) out.push_back(std::move(f));
    }
    return out;
  }
  void Flush() {
    if (text_.empty()) return;
    std::string err;
    const auto format = Format::Parse(with_flags_ ? kFields : kNoFlagsFields, &err);
    ASSERT_TRUE(format) << err;
    const ParsedText p = ParseText(text_, *format);
    ASSERT_TRUE(p.batch.bad_lines.empty()) << "line " << p.batch.bad_lines[0].line;
    detector_.Add(p.batch, p.base());
    text_.clear();
  }
  Detector& detector() { return detector_; }

 private:
  Detector detector_;
  bool with_flags_;
  std::string text_;
};

std::string Ip(int a, int b, int c, int d) {
  return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c) + "." +
         std::to_string(d);
}

// The tiny SYN-ACK with which `probe`'s destination answers it.
Rec SynAckTo(const Rec& probe) {
  Rec a;
  a.src = probe.dst;
  a.dst = probe.src;
  a.sport = probe.dport;
  a.dport = probe.sport;
  a.flags = 18;
  a.start = probe.start;
  return a;
}

// Every finding of `text` (records of `fields`, no header line) over the usual hour.
std::vector<Finding> FindingsOfText(const std::string& fields, const std::string& text,
                                    const std::string& type) {
  std::string err;
  const auto format = Format::Parse(fields, &err);
  EXPECT_TRUE(format) << err;
  if (!format) return {};
  const ParsedText p = ParseText(text, *format);
  EXPECT_TRUE(p.batch.bad_lines.empty());
  Detector d{DetectOptions{}};
  d.Add(p.batch, p.base());
  std::vector<Finding> out;
  for (Finding& f : d.Findings(1700000000, 1700003600)) {
    if (f.type == type) out.push_back(std::move(f));
  }
  return out;
}

// Saves `part` as a partial state holds it and loads it into `into` (a Load merges).
void SaveAndLoad(const Detector& part, Detector& into) {
  std::string bytes;
  ByteWriter w(bytes);
  part.Save(w);
  ByteReader r(bytes);
  std::string error;
  ASSERT_TRUE(into.Load(r, &error)) << error;
}

// --- port_scan ---------------------------------------------------------------------------------

void AddScan(Detect& d, int ports, const std::string& action = "REJECT", int flags = 2,
             uint64_t packets = 1, uint64_t bytes = 44) {
  for (int p = 0; p < ports; ++p) {
    Rec r;
    r.src = "198.51.100.7";
    r.dst = "10.0.1.5";
    r.dport = 1000 + p;
    r.action = action;
    r.flags = flags;
    r.packets = packets;
    r.bytes = bytes;
    r.start = 1700000100 + static_cast<uint64_t>(p) * 10;  // one aligned 300 s window
    d.Add(r);
  }
}

// With pkt-srcaddr, the packets' source is the actor: a pod's scan logged on its node's interface
// (srcaddr the node's address, pkt-srcaddr the pod's) is the pod's, not the node's.
TEST(PortScan, ThePacketsSourceIsTheScanner) {
  std::string text;
  for (int p = 0; p < 15; ++p) {
    const std::string t = std::to_string(1700000100 + p);
    text += "eni-a 10.0.1.5 10.0.2.9 40000 " + std::to_string(1000 + p) + " 6 1 44 " + t + " " + t +
            " REJECT 2 OK 10.0.1.77 10.0.2.9\n";
  }
  const auto f =
      FindingsOfText(std::string(kFields) + " pkt-srcaddr pkt-dstaddr", text, "port_scan");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "10.0.1.77");
  EXPECT_EQ(f[0].dst, "10.0.2.9");
}

// A format with the packets' addresses and not the interface's (pkt-srcaddr, pkt-dstaddr
// without srcaddr, dstaddr) is read with them as the record's: it had found nothing.
TEST(PortScan, AFormatWithPktAddressesAloneIsDetected) {
  std::string text;
  for (int p = 0; p < 15; ++p) {
    Rec r;
    r.src = "198.51.100.7";
    r.dst = "10.0.1.5";
    r.dport = 1000 + p;
    r.action = "REJECT";
    r.start = 1700000100 + static_cast<uint64_t>(p) * 10;
    text += Line(r, true);
  }
  for (const char* fields :
       {"interface-id pkt-srcaddr pkt-dstaddr srcport dstport protocol packets bytes start end "
        "action tcp-flags log-status",
        "interface-id pkt-srcaddr dstaddr srcport dstport protocol packets bytes start end action "
        "tcp-flags log-status",
        "interface-id srcaddr pkt-dstaddr srcport dstport protocol packets bytes start end action "
        "tcp-flags log-status"}) {
    std::string err;
    const auto format = Format::Parse(fields, &err);
    ASSERT_TRUE(format) << err;
    const ParsedText parsed = ParseText(text, *format);
    Detector d{DetectOptions{}};
    d.Add(parsed.batch, parsed.base());
    const auto all = d.Findings(1700000000, 1700003600);
    const auto scan = std::find_if(all.begin(), all.end(),
                                   [](const Finding& f) { return f.type == "port_scan"; });
    ASSERT_NE(scan, all.end()) << fields;
    EXPECT_EQ(scan->src, "198.51.100.7") << fields;
    EXPECT_EQ(scan->dst, "10.0.1.5") << fields;
  }
}

// Past 2,048 destinations a sweep's count is a sketch's estimate, which may be above the truth:
// never above its attempts. 2,049 hosts 10.0.0.7, 10.0.0.14, ... are estimated 2,056.
// 198.51.100.9 probes port 22 of 2,049 hosts, 10.0.0.7, 10.0.0.14, ..., rejected.
void AddRejectsTo2049Hosts(Detect& d) {
  for (uint32_t n = 1; n <= 2049; ++n) {
    const uint32_t v4 = (10u << 24) + 7 * n;
    Rec r;
    r.src = "198.51.100.9";
    r.dst = Ip(10, static_cast<int>((v4 >> 16) & 255), static_cast<int>((v4 >> 8) & 255),
               static_cast<int>(v4 & 255));
    r.dport = 22;
    r.action = "REJECT";
    r.start = 1700000100 + n % 200;
    d.Add(r);
  }
}

TEST(PortSweep, ADistinctCountIsNeverAboveTheAttempts) {
  Detect d;
  AddRejectsTo2049Hosts(d);
  const auto f = d.Of("port_sweep");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].flows, 2049u);
  EXPECT_EQ(f[0].distinct_dsts, 2049u);
  EXPECT_EQ(f[0].evidence["failed_dsts"], 2049);
}

// The same for the sources of a reject spike and a flood, and a brute force's connections
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

TEST(PortScan, ThresholdMinusOneGivesNothingThresholdGivesOne) {
  Detect below;
  AddScan(below, 14);
  EXPECT_TRUE(below.Of("port_scan").empty());

  Detect at;
  AddScan(at, 15);
  const auto f = at.Of("port_scan");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "198.51.100.7");
  EXPECT_EQ(f[0].dst, "10.0.1.5");
  EXPECT_EQ(f[0].dst_port, std::nullopt);
  EXPECT_EQ(f[0].protocol, 6u);
  EXPECT_EQ(f[0].distinct_dst_ports, 15u);
  EXPECT_EQ(f[0].flows, 15u);
  EXPECT_EQ(f[0].window_start, 1700000100u);
  EXPECT_EQ(f[0].window_end, 1700000400u);
  EXPECT_EQ(f[0].first_seen, 1700000100u);
  EXPECT_EQ(f[0].last_seen, 1700000240u);
  EXPECT_EQ(f[0].severity, 2);  // external scanner
  EXPECT_EQ(f[0].evidence["failed_ports"], 15);
  EXPECT_EQ(f[0].evidence["threshold"]["failed_ports"], 15);
  EXPECT_EQ(f[0].interfaces, std::vector<std::string>{"eni-a"});
  EXPECT_NE(f[0].summary.find("15 ports"), std::string::npos) << f[0].summary;
}

TEST(PortScan, SynOnlyCountsUnlessTheReverseAnsweredWithSynAck) {
  Detect d;
  AddScan(d, 16, "ACCEPT", 2);  // SYN-only, no payload: failed attempts
  // Two of the ports answered: a tiny SYN-ACK from the target in the same window.
  for (int p : {1000, 1001}) {
    Rec r;
    r.src = "10.0.1.5";
    r.dst = "198.51.100.7";
    r.sport = p;
    r.dport = 40000;
    r.flags = 18;
    r.start = 1700000100;
    d.Add(r);
  }
  EXPECT_TRUE(d.Of("port_scan").empty());  // 14 unanswered

  Detect completed;  // the same ports with payload-carrying connections: no failures at all
  for (int p = 0; p < 30; ++p) {
    Rec r;
    r.src = "198.51.100.7";
    r.dst = "10.0.1.5";
    r.dport = 1000 + p;
    r.flags = 3;
    r.packets = 12;
    r.bytes = 4000;
    completed.Add(r);
  }
  EXPECT_TRUE(completed.Run().empty());
}

// A SYN-ACK that the host's own rules REJECT never reached the prober: its probe failed, as an
// ICMP answer has to be accepted to answer. A NACL that dropped a host's SYN-ACKs had made every
// probe of it answered, so a scan of 16 of its ports was nothing (TRW: below).
TEST(PortScan, ASynAckTheHostRejectsIsNoAnswer) {
  for (const char* action : {"ACCEPT", "REJECT"}) {
    SCOPED_TRACE(action);
    Detect d;
    AddScan(d, 16, "ACCEPT", 2);
    for (int p = 1000; p < 1016; ++p) {
      Rec r;
      r.src = "10.0.1.5";
      r.dst = "198.51.100.7";
      r.sport = p;
      r.dport = 40000;
      r.flags = 18;
      r.action = action;
      r.start = 1700000100;
      d.Add(r);
    }
    EXPECT_EQ(d.Of("port_scan").size(), std::string(action) == "REJECT" ? 1u : 0u);
  }
}

// A stateless network ACL that drops the way back: an internal client's HTTPS requests are
// accepted, the server's answers (443 to the client's ephemeral port) REJECTed. They are
// replies, not probes of 20 ports by the server (nor failed TRW contacts of four clients). A
// scanner from a low source port (nmap -g 53) still counts at ports below 32768. Client ports
// from 32768 too, Linux's first ephemeral port (with "> 32768" each client's answer to it was a
// failed contact: four made the server a scan_trw).
TEST(PortScan, AnswersANetworkAclDropsAreNotProbes) {
  // 443, and a registered service port: 8443's answers made the API a scanner of its clients.
  for (const auto& [with_flags, service, first_port] :
       std::vector<std::tuple<bool, int, int>>{{false, 443, 50000},
                                               {true, 443, 50000},
                                               {false, 8443, 50000},
                                               {true, 8443, 50000},
                                               {false, 443, 32768},
                                               {true, 443, 32768}}) {
    Detect d({}, with_flags);
    for (int client = 0; client < 4; ++client) {
      for (int i = 0; i < 20; ++i) {
        Rec request;
        request.src = Ip(10, 0, 0, 61 + client);
        request.dst = "203.0.113.80";
        request.sport = first_port + i;
        request.dport = service;
        request.flags = 3;
        request.packets = 6;
        request.bytes = 900;
        request.start = 1700000100 + static_cast<uint64_t>(i) * 10;
        d.Add(request);
        Rec answer = request;
        std::swap(answer.src, answer.dst);
        std::swap(answer.sport, answer.dport);
        answer.flags = 0;  // the server's later packets (no SYN): what a NACL drops
        answer.packets = 3;
        answer.bytes = 180;
        answer.action = "REJECT";
        d.Add(answer);
      }
    }
    EXPECT_TRUE(d.Of("port_scan").empty()) << with_flags << " " << service;
    EXPECT_TRUE(d.Of("scan_trw", 1700000000, 1700003600).empty()) << with_flags << " " << service;
    EXPECT_EQ(d.Of("reject_spike").size(), 0u);  // 80 rejects: under the 100 of a spike
  }
  Detect low_source;
  for (int p = 0; p < 15; ++p) {
    Rec r;
    r.src = "198.51.100.7";
    r.dst = "10.0.1.5";
    r.sport = 53;
    r.dport = 1000 + p;
    r.action = "REJECT";
    r.start = 1700000100 + static_cast<uint64_t>(p) * 10;
    low_source.Add(r);
  }
  EXPECT_EQ(low_source.Of("port_scan").size(), 1u);
}

TEST(PortScan, WithoutTcpFlagsTinyAcceptedFlowsAndRejectsCount) {
  DetectOptions o;
  Detect d(o, /*with_flags=*/false);
  AddScan(d, 15, "ACCEPT");
  ASSERT_EQ(d.Of("port_scan").size(), 1u);
}

// What a probe is, configured: 4-packet SYNs of 160 bytes (one more retransmission) are no
// probes by default, and are with probe.max_packets = 4; the bytes are per packet, exactly.
TEST(PortScan, TheProbeSizeIsAThreshold) {
  const auto scan_of = [](const DetectOptions& o, uint64_t packets, uint64_t bytes) {
    Detect d(o);
    AddScan(d, 15, "ACCEPT", 2, packets, bytes);
    return d.Of("port_scan").size();
  };
  DetectOptions o;
  EXPECT_EQ(scan_of(o, 3, 240), 1u);
  EXPECT_EQ(scan_of(o, 3, 241), 0u);
  EXPECT_EQ(scan_of(o, 4, 160), 0u);
  EXPECT_EQ(scan_of(o, 0, 0), 0u);  // no packet, no probe
  std::string err;
  ASSERT_TRUE(ParseDetectConfig("probe.max_packets = 4\n", &o, &err)) << err;
  EXPECT_EQ(scan_of(o, 4, 160), 1u);
  ASSERT_TRUE(ParseDetectConfig("probe.max_bytes_per_packet = 40\n", &o, &err)) << err;
  EXPECT_EQ(scan_of(o, 4, 160), 1u);
  EXPECT_EQ(scan_of(o, 4, 161), 0u);
  ASSERT_TRUE(ParseDetectConfig("probe.max_packets = 0\n", &o, &err)) << err;
  EXPECT_EQ(scan_of(o, 1, 40), 0u);  // no accepted record is a probe; REJECTs still are
}

TEST(PortScan, InternalScannerIsMoreSevere) {
  Detect d;
  for (int p = 0; p < 20; ++p) {
    Rec r;
    r.src = "10.0.2.9";
    r.dst = "10.0.1.5";
    r.dport = 2000 + p;
    r.action = "REJECT";
    d.Add(r);
  }
  const auto f = d.Of("port_scan");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, 3);
  EXPECT_EQ(f[0].mitre, std::vector<std::string>{"T1046"});
}

// --- port_sweep --------------------------------------------------------------------------------

// `hosts` rejected probes from `src` to port `port` of 10.0.`subnet`.1, .2, ..., a second apart.
void AddRejectedProbes(Detect& d, const std::string& src, int subnet, int hosts, int port) {
  for (int h = 0; h < hosts; ++h) {
    Rec r;
    r.src = src;
    r.dst = Ip(10, 0, subnet, 1 + h);
    r.dport = port;
    r.action = "REJECT";
    r.start = 1700000100 + static_cast<uint64_t>(h);
    d.Add(r);
  }
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

// Counts of one read as one ("1 port", "1 flow"), not "1 ports".
TEST(Summaries, OneIsSingular) {
  DetectOptions o;
  o.scan_min_ports = o.sweep_min_dsts = o.brute_min_attempts = o.fanin_min_sources =
      o.reject_min_flows = 1;
  Detect d(o);
  Rec r;
  r.src = "198.51.100.8";
  r.dst = "10.0.6.1";
  r.dport = 22;
  r.action = "REJECT";
  d.Add(r);
  std::vector<Finding> all = d.Run();
  ASSERT_FALSE(all.empty());
  // A flood of 4 sources against a median of 1 (one source in the window before the one beside
  // it, which is left out): "the median of 1 source in its other window".
  Detect flood(o);
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < (k == 2 ? 4 : 1); ++i) {
      Rec x;
      x.src = Ip(198, 51, 100, 20 + i);
      x.dst = "10.0.6.9";
      x.dport = 443;
      x.start = 1700000100 + static_cast<uint64_t>(k) * 300;
      flood.Add(x);
    }
  }
  const auto floods = flood.Of("ddos_fan_in", 1700000100, 1700000100 + 3 * 300);
  ASSERT_EQ(floods.size(), 1u);
  EXPECT_THAT(floods[0].summary,
              ::testing::HasSubstr("the median of 1 source in its other window"));
  all.insert(all.end(), floods.begin(), floods.end());
  for (const Finding& f : all) {
    for (const char* plural :
         {" 1 ports", " 1 hosts", " 1 connections", " 1 flows", " 1 sources", " 1 contacts",
          " 1 short or failed connections", " 1 windows", " 1 unsolicited sources"}) {
      EXPECT_EQ(f.summary.find(plural), std::string::npos) << f.summary;
    }
  }
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

// --- scan_trw ----------------------------------------------------------------------------------

// One contact per 5-minute window: too slow for any count threshold.
void AddContacts(Detect& d, const std::string& outcomes) {
  for (size_t i = 0; i < outcomes.size(); ++i) {
    Rec r;
    r.src = "203.0.113.50";
    r.dst = Ip(10, 0, 1, 10 + static_cast<int>(i));
    r.dport = 22;
    r.start = 1700000000 + i * 300;
    if (outcomes[i] == 'F') {
      r.action = "REJECT";
    } else {
      r.flags = 3;
      r.packets = 10;
      r.bytes = 3000;
    }
    d.Add(r);
  }
}

TEST(ScanTrw, NetFourFailuresIsAScannerThreeIsNot) {
  Detect three;
  AddContacts(three, "FFF");
  EXPECT_TRUE(three.Of("scan_trw", 1700000000, 1700010000).empty());

  Detect four;
  AddContacts(four, "FFSFF");  // net 3 after five, net 4 never... add one more below
  EXPECT_TRUE(four.Of("scan_trw", 1700000000, 1700010000).empty());

  Detect five;
  AddContacts(five, "FFSFFF");  // 5 failures, 1 success: Lambda = 4^4 = 256 >= 99
  const auto f = five.Of("scan_trw", 1700000000, 1700010000);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].src, "203.0.113.50");
  EXPECT_EQ(f[0].window_start, 1700000000u - 1700000000u % 300);
  EXPECT_EQ(f[0].evidence["first_contacts"], 6);
  EXPECT_EQ(f[0].evidence["failed_first_contacts"], 5);
  EXPECT_EQ(f[0].evidence["likelihood_ratio"], 256);
  EXPECT_THAT(f[0].summary, ::testing::HasSubstr("(likelihood ratio 256 >= 99)"));
  EXPECT_FALSE(f[0].evidence.contains("distinct_counts_are_at_least"));
  EXPECT_EQ(f[0].dst_port, 22u);           // every contact's port (it was null)
  EXPECT_EQ(f[0].protocol, std::nullopt);  // the walk keeps no protocols
  EXPECT_TRUE(five.Of("port_scan", 1700000000, 1700010000).empty());
}

// The summary's numbers are the evidence's, rounded alike: beta / alpha = 0.95 / 0.05 is
// 18.999... in binary, which a cast to an integer printed as "18" beside the evidence's 19.
TEST(ScanTrw, TheSummarySaysTheEvidencesNumbers) {
  DetectOptions o;
  o.trw_alpha = 0.05;
  o.trw_beta = 0.95;
  Detect d(o);
  AddContacts(d, "FFF");  // 4^3 = 64 >= 19
  const auto f = d.Of("scan_trw", 1700000000, 1700010000);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["threshold"]["likelihood_ratio"], 19.0);
  EXPECT_THAT(f[0].summary, ::testing::HasSubstr("(likelihood ratio 64 >= 19)"));
}

// distinct_dst_ports of a scanner that probed 14 ports: the walk keeps the 10 smallest, so the
// count is a lower bound, and the evidence says so.
TEST(ScanTrw, CountsAtTheirCapsAreMarkedAsLowerBounds) {
  Detect d;
  for (int i = 0; i < 14; ++i) {
    Rec r;
    r.src = "203.0.113.50";
    r.dst = Ip(10, 0, 1, 10 + i);
    r.dport = 1000 + i;
    r.action = "REJECT";
    r.start = 1700000000 + static_cast<uint64_t>(i) * 300;
    d.Add(r);
  }
  const auto f = d.Of("scan_trw", 1700000000, 1700010000);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].distinct_dst_ports, 10u);
  EXPECT_EQ(f[0].evidence["distinct_counts_are_at_least"], true);
  EXPECT_EQ(f[0].dst_port, std::nullopt);
}

// Five SYN probes of port 443 (1 packet of 44 bytes: failed attempts unless answered) from
// 203.0.113.50 to 10.0.1.10-14, `step` seconds apart from `start`; the first `answering` hosts
// answer with a tiny SYN-ACK.
void AddAnsweredSyns(Detect& d, int answering, uint64_t start, uint64_t step) {
  for (int i = 0; i < 5; ++i) {
    Rec r;
    r.src = "203.0.113.50";
    r.dst = Ip(10, 0, 1, 10 + i);
    r.dport = 443;
    r.start = start + static_cast<uint64_t>(i) * step;
    d.Add(r);
    if (i < answering) d.Add(SynAckTo(r));
  }
}

// A contact whose host answered the source's SYN with a tiny SYN-ACK is a success (an
// established connection, Jung et al.): five SYN probes that all answered are no scanner.
TEST(ScanTrw, ContactsThatAnsweredAreSuccesses) {
  for (const int answering : {0, 5}) {
    Detect d;
    AddAnsweredSyns(d, answering, 1700000000, 10);
    EXPECT_EQ(d.Of("scan_trw", 1700000000, 1700003600).size(), answering == 0 ? 1u : 0u)
        << answering;
  }
}

// A contact whose host's SYN-ACK its own rules REJECT is a failure, as for port scans.
TEST(ScanTrw, ASynAckTheHostRejectsIsNoSuccess) {
  for (const char* action : {"ACCEPT", "REJECT"}) {
    SCOPED_TRACE(action);
    Detect d;
    for (int i = 0; i < 5; ++i) {
      Rec r;
      r.src = "203.0.113.50";
      r.dst = Ip(10, 0, 1, 10 + i);
      r.dport = 443;
      r.start = 1700000000 + static_cast<uint64_t>(i) * 10;
      d.Add(r);
      Rec answer = SynAckTo(r);
      answer.action = action;
      d.Add(answer);
    }
    EXPECT_EQ(d.Of("scan_trw", 1700000000, 1700003600).size(),
              std::string(action) == "REJECT" ? 1u : 0u);
  }
}

// The same with a TRW window longer than the port-scan window: the answers of a TRW window's
// later scan windows count too (only its first scan window was looked in, so clients answered
// a few minutes into a 10-minute window were scanners). Shorter, the containing one.
TEST(ScanTrw, AnswersInAnyScanWindowOfTheContactsWindowCount) {
  for (const uint64_t trw_window : {600u, 60u}) {
    for (const int answering : {0, 5}) {
      DetectOptions o;
      o.trw_window = trw_window;
      Detect d(o);
      // In the second scan window (from 1700000700) of the 600 s TRW window from 1700000400;
      // in the 60 s TRW window from 1700000760, not at its scan window's start.
      AddAnsweredSyns(d, answering, trw_window == 600 ? 1700000701 : 1700000761, 1);
      const auto f = d.Of("scan_trw", 1700000000, 1700003600);
      ASSERT_EQ(f.size(), answering == 0 ? 1u : 0u) << trw_window << " " << answering;
      if (!f.empty()) {  // the TRW window's, not the scan window's
        EXPECT_EQ(f[0].window_start, trw_window == 600 ? 1700000400u : 1700000760u);
        EXPECT_EQ(f[0].window_end, f[0].window_start + trw_window);
      }
    }
  }
}

TEST(ScanTrw, BenignAfterNetFourSuccessesStaysBenign) {
  Detect d;
  AddContacts(d, "SSSSFFFFFF");  // the walk stops at 4^-4 <= 0.0101 before the failures
  EXPECT_TRUE(d.Of("scan_trw", 1700000000, 1700010000).empty());
}

TEST(ScanTrw, OnlyTheFirstContactWithAHostCounts) {
  // Three failed hosts, then the same three hosts again (all failures): still three.
  Detect d;
  AddContacts(d, "FFF");
  AddContacts(d, "FFF");
  EXPECT_TRUE(d.Of("scan_trw", 1700000000, 1700010000).empty());
}

// A host's first contact is its earliest window's, answered if any record of that window was
// (records come in no order): "FFF" and a fourth host, in any order of its records.
TEST(ScanTrw, TheFirstContactIsTheEarliestWindowsAndAnyAnswerInItCounts) {
  Rec answered;
  answered.src = "203.0.113.50";
  answered.dst = Ip(10, 0, 1, 13);
  answered.dport = 22;
  answered.flags = 3;
  answered.packets = 10;
  answered.bytes = 3000;
  Rec rejected = answered;
  rejected.action = "REJECT";
  rejected.flags = 2;
  rejected.packets = 1;
  rejected.bytes = 44;
  for (const bool answered_first : {true, false}) {
    // Answered and rejected in its first window: a success, net two failures.
    answered.start = 1700000000 + 3 * 300;
    rejected.start = answered.start + 10;
    Detect one_window;
    AddContacts(one_window, "FFF");
    one_window.Add(answered_first ? answered : rejected);
    one_window.Add(answered_first ? rejected : answered);
    EXPECT_TRUE(one_window.Of("scan_trw", 1700000000, 1700010000).empty()) << answered_first;

    // Rejected in its first window, answered two windows later: a failure, net four.
    answered.start = 1700000000 + 5 * 300;
    rejected.start = 1700000000 + 3 * 300;
    Detect two_windows;
    AddContacts(two_windows, "FFF");
    two_windows.Add(answered_first ? answered : rejected);
    two_windows.Add(answered_first ? rejected : answered);
    const auto f = two_windows.Of("scan_trw", 1700000000, 1700010000);
    ASSERT_EQ(f.size(), 1u) << answered_first;
    EXPECT_EQ(f[0].evidence["failed_first_contacts"], 4);
  }
}

// A full contact list (kTrwContacts = 32) in one window: 28 contacts alternating failure and
// success (net 0), then four failures: a scanner at its 32nd contact (4^4 = 256 >= 99).
void AddFullWindow(Detect& d) {
  for (int i = 0; i < 32; ++i) {
    Rec r;
    r.src = "203.0.113.51";
    r.dst = Ip(10, 0, 2, 10 + i);  // (window, destination) order is i's
    r.dport = 22;
    r.start = 1699999800 + static_cast<uint64_t>(i);  // one 5-minute window
    if (i < 28 && i % 2 == 1) {
      r.flags = 3;
      r.packets = 10;
      r.bytes = 3000;
    } else {
      r.action = "REJECT";
    }
    d.Add(r);
  }
}

TEST(ScanTrw, AFullListKeepsTheFirstContactsAndTheSuccessOfItsLast) {
  Detect scanner;
  AddFullWindow(scanner);
  // Later in the window, a 33rd destination that answered (above every kept one: left out);
  // in the next window, the first destination answering (not a first contact: it stays a
  // failure).
  Rec later;
  later.src = "203.0.113.51";
  later.dport = 22;
  later.start = 1699999900;
  later.flags = 3;
  later.packets = 10;
  later.bytes = 3000;
  later.dst = Ip(10, 0, 2, 200);
  scanner.Add(later);
  later.dst = Ip(10, 0, 2, 10);
  later.start = 1700000300;
  scanner.Add(later);
  const auto f = scanner.Of("scan_trw", 1699999800, 1700003600);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["first_contacts"], 32);
  EXPECT_EQ(f[0].evidence["failed_first_contacts"], 18);
  EXPECT_EQ(f[0].distinct_dsts, 32u);

  // The 32nd destination answering in the same window makes that first contact a success:
  // net two failures, no scanner.
  Detect answered;
  AddFullWindow(answered);
  later.dst = Ip(10, 0, 2, 41);
  later.start = 1699999950;
  answered.Add(later);
  EXPECT_TRUE(answered.Of("scan_trw", 1699999800, 1700003600).empty());
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

void AddUpload(Detect& d, const std::string& src, const std::string& dst, uint64_t bytes,
               uint64_t start, const std::string& iface = "eni-app", int sport = 40000,
               int dport = 443) {
  Rec r;
  r.iface = iface;
  r.src = src;
  r.dst = dst;
  r.sport = sport;
  r.dport = dport;
  r.flags = 3;
  r.packets = bytes / 1400 + 1;
  r.bytes = bytes;
  r.start = start;
  d.Add(r);
}

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
    const uint32_t v4 = (11u << 24) + 7 * n;  // as ADistinctCountIsNeverAboveTheFlows
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

// --- reject_spike ------------------------------------------------------------------------------

void AddRejects(Detect& d, const std::string& iface, int n, uint64_t window_start) {
  for (int i = 0; i < n; ++i) {
    Rec r;
    r.iface = iface;
    r.src = Ip(10, 0, 7, 1 + i % 10);
    r.dst = "10.0.8.8";
    r.sport = 40000 + i;
    r.dport = 5432;
    r.action = "REJECT";
    r.start = window_start + static_cast<uint64_t>(i % 290);
    d.Add(r);
  }
}

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

void AddFlood(Detect& d, int sources, uint64_t window_start, int salt = 0,
              const std::string& dst = "10.0.0.20") {
  for (int i = 0; i < sources; ++i) {
    Rec r;
    r.src = Ip(100 + (i + salt) / 65536 % 50, (i + salt) / 256 % 256, (i + salt) % 256, 7);
    r.dst = dst;
    r.dport = 443;
    r.start = window_start + static_cast<uint64_t>(i % 290);
    d.Add(r);
  }
}

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

// `n` amplifiers answer `dst` from `sport` (UDP) within one fan-in window, or a host asks `n`
// name servers; the i-th of either is Server(i), so that both name the same hosts.
// The i-th external name server or amplifier, and a UDP record at its time in the window.
std::string Server(int i) { return Ip(150 + i / 65536 % 50, i / 256 % 256, i % 256, 9); }
Rec Udp(int i, uint64_t window_start, int packets, uint64_t bytes) {
  Rec r;
  r.proto = 17;
  r.flags = 0;
  r.packets = static_cast<uint64_t>(packets);
  r.bytes = bytes;
  r.start = window_start + static_cast<uint64_t>(i % 290);
  return r;
}
void AddAnswers(Detect& d, int first, int n, uint64_t window_start, int sport = 53,
                const std::string& dst = "10.0.0.30", int dport = 40000) {
  for (int i = first; i < first + n; ++i) {
    Rec r = Udp(i, window_start, 2, 2900);
    r.src = Server(i);
    r.dst = dst;
    r.sport = sport;
    r.dport = dport;
    d.Add(r);
  }
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

// --- determinism and merge -----------------------------------------------------------------------

std::vector<std::string> Lines(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const Finding& f : fs) out.push_back(FindingJson(f));
  return out;
}

// `records` generated records (v2, seed `seed`, every attack) after the header line, parsed
// with the fields detection reads.
struct AttackSet {
  GenOptions g;
  ParsedText parsed;
};
AttackSet MakeAttackSet(uint64_t records, uint64_t seed) {
  AttackSet set;
  set.g.records = records;
  set.g.seed = seed;
  set.g.attacks = AllAttacks();
  const std::string text = GenerateText(set.g);
  set.parsed = ParseText(text.substr(text.find('\n') + 1), Format::Default());
  return set;
}

// A source's failed attempts in a scan window stay in a list until there are more than
// kAttemptLog (64) of them, then go to the port-scan and sweep tables (detect_internal.h); the
// findings must not depend on which. One scanner makes 110 attempts in one window (promoted in
// one detector); dealt at random to 2 to 40 detectors (about 55 down to 3 each: listed) and
// merged, the findings are the same.
TEST(PortScan, PromotedOrListedAttemptsGiveTheSameFindings) {
  std::vector<Rec> recs;
  const auto attempt = [&](const std::string& dst, int port, uint64_t at) {
    Rec r;
    r.src = "203.0.113.9";
    r.dst = dst;
    r.dport = port;
    r.action = "REJECT";
    r.start = 1700000100 + at;  // one aligned 300 s window
    recs.push_back(r);
  };
  for (int p = 0; p < 20; ++p) attempt("10.0.7.1", 1000 + p, p);  // a port scan of one host
  for (const int port : {445, 22, 23}) {                          // and three sweeps
    for (int h = 0; h < 30; ++h) attempt(Ip(10, 0, 7, 1 + h), port, 20 + h);
  }
  Detect one;
  for (const Rec& r : recs) one.Add(r);
  const std::vector<Finding> all = one.Run();
  const auto count = [&](const std::string& type) {
    return std::count_if(all.begin(), all.end(), [&](const Finding& f) { return f.type == type; });
  };
  ASSERT_EQ(count("port_scan"), 1);
  ASSERT_EQ(count("port_sweep"), 3);
  const std::vector<std::string> want = Lines(all);
  std::mt19937_64 rng(3);
  for (const size_t parts : {2u, 5u, 40u}) {
    std::vector<Detect> ds(parts);
    for (const Rec& r : recs) ds[rng() % parts].Add(r);
    Detector merged{DetectOptions{}};
    for (Detect& d : ds) {
      d.Flush();
      merged.Merge(d.detector());
    }
    EXPECT_EQ(Lines(merged.Findings(1700000000, 1700003600)), want) << parts << " parts";
  }
}

TEST(Detector, AnySplitAndOrderGivesTheSameFindings) {
  const auto set = MakeAttackSet(300000, 11);
  const GenOptions& g = set.g;
  const ParsedBatch& all = set.parsed.batch;
  const uint8_t* base = set.parsed.base();
  ASSERT_TRUE(all.bad_lines.empty());
  const uint64_t begin = g.start, end = g.start + 3600;

  Detector one{DetectOptions{}};
  one.Add(all, base);
  const std::vector<std::string> want = Lines(one.Findings(begin, end));
  ASSERT_GE(want.size(), 10u);
  std::set<std::string> types;
  for (const Finding& f : one.Findings(begin, end)) types.insert(f.type);
  EXPECT_EQ(types.size(), 7u);

  std::mt19937_64 rng(5);
  for (const size_t parts : {2u, 3u, 7u}) {
    // Rows dealt at random to `parts` detectors, merged in a random order.
    std::vector<std::vector<uint32_t>> rows(parts);
    for (uint32_t r = 0; r < all.rows; ++r) rows[rng() % parts].push_back(r);
    std::vector<Detector> ds;
    for (size_t k = 0; k < parts; ++k) {
      ds.emplace_back(DetectOptions{});
      ds.back().AddRows(all, base, rows[k].data(), nullptr, rows[k].size());
    }
    std::vector<size_t> order(parts);
    for (size_t k = 0; k < parts; ++k) order[k] = k;
    std::shuffle(order.begin(), order.end(), rng);
    Detector merged{DetectOptions{}};
    for (size_t k : order) merged.Merge(ds[k]);
    EXPECT_EQ(Lines(merged.Findings(begin, end)), want) << parts << " parts";
    // Consuming merges (each part's tables freed as they are merged) agree, and the first one
    // merged into an empty detector does not depend on it being empty.
    Detector consumed{DetectOptions{}};
    for (size_t k : order) consumed.Merge(std::move(ds[k]));
    EXPECT_EQ(Lines(consumed.Findings(begin, end)), want) << parts << " parts, consumed";
  }
}

// Aggregator::Route detects each row in its source's partition; Detector::CombinePartitions
// then moves the keys of another host than the source (a probe's SYN-ACK answers, fan-in,
// relays) and the interfaces' rejects to one owner each, and the findings equal one
// detector's. Absorbing the partitions without that step would split a fan-in's sources, a
// probe's answers (v5 has tcp-flags) or a relay (v5 has pkt-dstaddr): it must give other
// findings, or this test could not tell.
TEST(Detector, RoutedPartitionsCombinedMakeTheSameFindings) {
  for (const char* spec : {"v2", "v5"}) {
    std::string err;
    GenOptions g;
    g.records = 200000;
    g.seed = 13;
    g.format = *Format::Parse(spec, &err);
    g.header = false;
    g.attacks = AllAttacks();
    const ParsedText parsed =
        ParseText(GenerateText(g), g.format, Aggregator::NeededFields() | Detector::NeededFields());
    const ParsedBatch& all = parsed.batch;
    const uint8_t* base = parsed.base();
    ASSERT_TRUE(all.bad_lines.empty()) << spec;
    const uint64_t begin = g.start, end = g.start + 3600;
    Detector one{DetectOptions{}};
    one.Add(all, base);
    const std::vector<std::string> want = Lines(one.Findings(begin, end));
    ASSERT_GE(want.size(), 10u) << spec;
    // Over the detector's own active times, as a run makes them: partitions and a saved
    // state must carry those times too.
    const std::vector<std::string> want_active = Lines(one.Findings());
    ASSERT_GE(want_active.size(), 10u) << spec;

    std::vector<uint32_t> rows(all.rows);
    for (uint32_t r = 0; r < all.rows; ++r) rows[r] = r;
    for (const size_t parts : {2u, 3u, 5u}) {
      std::vector<PartitionRows> out(parts);
      const DetectOptions options;
      Aggregator::Route(all, base, rows.data(), rows.size(), options.internal, out);
      const auto feed = [&] {
        std::vector<Detector> ds;
        for (size_t k = 0; k < parts; ++k) {
          ds.emplace_back(options);
          ds.back().AddRows(all, base, out[k].rows.data(), out[k].tables.data(),
                            out[k].rows.size());
        }
        return ds;
      };
      std::vector<Detector> naive = feed();
      for (size_t k = 1; k < parts; ++k) naive[0].Absorb(std::move(naive[k]));
      EXPECT_NE(Lines(naive[0].Findings(begin, end)), want) << spec << " " << parts;

      std::vector<Detector> ds = feed();
      Detector::CombinePartitions(ds);
      Detector& combined = ds[0];
      EXPECT_EQ(Lines(combined.Findings(begin, end)), want) << spec << " " << parts << " parts";
      EXPECT_EQ(Lines(combined.Findings()), want_active) << spec << " " << parts << " parts";
      // Saved as one state, with or without consolidating first.
      for (const bool consolidate : {false, true}) {
        if (consolidate) combined.Consolidate();
        Detector loaded{options};
        ASSERT_NO_FATAL_FAILURE(SaveAndLoad(combined, loaded));
        EXPECT_EQ(Lines(loaded.Findings(begin, end)), want) << spec << " " << parts;
        EXPECT_EQ(Lines(loaded.Findings()), want_active) << spec << " " << parts;
      }
    }
  }
}

// 40 hosts, each under a SYN flood and a reflection flood in one window: pairs of findings that
// agree on every field of the sort but the kind. Their order in the file must not depend on
// how many partitions made them (an unstable sort of ties swapped them at 4 threads).
TEST(Detector, TwoFloodsOfOneHostSortAlikeFromAnyPartitions) {
  std::string text;
  for (int h = 0; h < 40; ++h) {
    const std::string victim = Ip(10, 0, 1, 10 + h);
    for (int i = 0; i < 1100; ++i) {
      Rec syn, answer;
      syn.src = Ip(100 + h, i / 256, i % 256, 7);
      syn.dst = answer.dst = victim;
      syn.start = answer.start = 1700001600 + static_cast<uint64_t>(i % 290);
      answer.src = Ip(150 + h, i / 256, i % 256, 9);
      answer.sport = 53;
      answer.dport = 80;
      answer.proto = 17;
      answer.flags = 0;
      answer.bytes = 3000;
      text += Line(syn, true) + Line(answer, true);
    }
  }
  std::string err;
  const ParsedText parsed = ParseText(text, *Format::Parse(kFields, &err),
                                      Aggregator::NeededFields() | Detector::NeededFields());
  const ParsedBatch& all = parsed.batch;
  Detector one{DetectOptions{}};
  one.Add(all, parsed.base());
  const std::vector<std::string> want = Lines(one.Findings(1700000000, 1700003600));
  ASSERT_EQ(want.size(), 80u);
  std::vector<uint32_t> rows(all.rows);
  for (uint32_t r = 0; r < all.rows; ++r) rows[r] = r;
  for (const size_t parts : {2u, 3u, 4u, 5u}) {
    std::vector<PartitionRows> out(parts);
    const DetectOptions options;
    Aggregator::Route(all, parsed.base(), rows.data(), rows.size(), options.internal, out);
    std::vector<Detector> ds;
    for (size_t k = 0; k < parts; ++k) {
      ds.emplace_back(options);
      ds.back().AddRows(all, parsed.base(), out[k].rows.data(), out[k].tables.data(),
                        out[k].rows.size());
    }
    Detector::CombinePartitions(ds);
    EXPECT_EQ(Lines(ds[0].Findings(1700000000, 1700003600)), want) << parts << " parts";
  }
}

// Columns that say nothing new change nothing: the same records with a tcp-flags column of
// "-" (no flags, as in v2) and pkt-srcaddr equal to srcaddr give v2's tables and findings, and
// v5's records, their pkt-srcaddr made equal to srcaddr, give the same without that column.
// (A tried variant compiled the row loops for the v2 and v5 layouts with each column's
// existence known; this test held them to the general loop.)
// docs/outputs.md's table of evidence keys by type against the findings of a generated day
// with every attack: each key a finding has is documented, and each documented key appears
// (but the two that only some findings have), so the table cannot drift from the code.
TEST(Detector, TheEvidenceKeysAreTheDocumentedOnes) {
  std::ifstream docs(std::string(FLOWSIFT_SOURCE_DIR) + "/docs/outputs.md");
  ASSERT_TRUE(docs) << "docs/outputs.md";
  std::map<std::string, std::set<std::string>>
      documented;  // type -> keys, threshold's as "threshold.k"
  // A type's row, or a kind's: "`ddos_fan_in` (reflection)", keyed "ddos_fan_in (reflection)".
  const std::regex row(R"(^\| `([a-z_]+)`( \([a-z]+\))? \| (.*) \| (.*) \|$)"),
      key(R"(`([a-z0-9_]+)`)");
  bool in_table = false;
  for (std::string line; std::getline(docs, line);) {
    if (line.rfind("| type | `threshold` keys | measured values |", 0) == 0) in_table = true;
    std::smatch m;
    if (!in_table || !std::regex_match(line, m, row)) continue;
    std::set<std::string>& keys = documented[m[1].str() + m[2].str()];
    keys.insert("threshold");
    const std::string thresholds = m[3], measured = m[4];
    for (std::sregex_iterator k(thresholds.begin(), thresholds.end(), key), end; k != end; ++k) {
      keys.insert("threshold." + (*k)[1].str());
    }
    // A measured value's name starts its entry; names inside its parentheses are values.
    int depth = 0;
    std::string word;
    bool quoted = false, first = true;
    for (char c : measured) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
      if (c == ',' && depth == 0) first = true;
      if (c == '`' && depth == 0) {
        if (quoted && first) {
          keys.insert(word);
          first = false;
        }
        quoted = !quoted;
        word.clear();
      } else if (quoted) {
        word += c;
      }
    }
  }
  ASSERT_EQ(documented.size(), 8u);
  for (auto& [type, keys] : documented) keys.insert("threshold.window_seconds");

  GenOptions g;
  g.records = 300000;
  g.seed = 1;
  g.interval = 60;
  g.format = *Format::Parse("v5", nullptr);
  g.header = false;
  g.attacks = AllAttacks();
  const ParsedText parsed = ParseText(GenerateText(g), g.format, Detector::NeededFields());
  Detector d{DetectOptions{}};
  d.Add(parsed.batch, parsed.base());
  std::map<std::string, std::set<std::string>> seen;
  for (const Finding& f : d.Findings()) {
    std::set<std::string>& keys =
        seen[f.type + (f.evidence.contains("reflection") ? " (reflection)" : "")];
    for (const auto& [k, v] : f.evidence.items()) {
      keys.insert(k);
      if (k == "threshold") {
        for (const auto& [t, unused] : v.items()) keys.insert("threshold." + t);
      }
    }
  }
  EXPECT_EQ(seen.size(), 8u);
  for (const auto& [type, keys] : seen) {
    for (const std::string& k : keys) {
      EXPECT_TRUE(documented[type].count(k)) << type << ": evidence." << k << " is not in docs";
    }
    for (const std::string& k : documented[type]) {
      if (k == "relayed_bytes" || k == "distinct_counts_are_at_least" ||
          k == "bytes_relayed_unseen" || k == "threshold.window_seconds") {
        continue;  // only some findings have them
      }
      EXPECT_TRUE(keys.count(k)) << type << ": docs name evidence." << k << ", no finding has it";
    }
  }
}

TEST(Detector, ColumnsThatSayNothingNewChangeNoTableOrFinding) {
  struct Outputs {
    std::vector<WindowRow> windows;
    std::vector<TalkerRow> talkers;
    std::vector<std::string> exposure;  // ExposureRow's name lives in its Aggregator
    std::vector<std::string> findings;
  };
  const auto run = [](const std::string& text, const Format& format) {
    const ParsedText parsed =
        ParseText(text, format, Aggregator::NeededFields() | Detector::NeededFields());
    const ParsedBatch& all = parsed.batch;
    const uint8_t* base = parsed.base();
    EXPECT_TRUE(all.bad_lines.empty());
    Aggregator a{AggregateOptions{}};
    a.Add(all, base, 0);
    Detector d{DetectOptions{}};
    d.Add(all, base);
    std::vector<std::string> exposure;
    for (const ExposureRow& e : a.Exposure()) {
      exposure.push_back(std::string(e.interface_id) + " " + std::to_string(e.dst_port) + " " +
                         std::to_string(e.protocol) + " " + std::to_string(e.accepted_external) +
                         " " + std::to_string(e.rejected_external) + " " +
                         std::to_string(e.distinct_external_sources));
    }
    return Outputs{a.Windows(), a.Talkers(), exposure,
                   Lines(d.Findings(1700000000, 1700000000 + 3600))};
  };
  const auto expect_same = [](const Outputs& got, const Outputs& want, const char* what) {
    EXPECT_EQ(got.windows, want.windows) << what;
    EXPECT_EQ(got.talkers, want.talkers) << what;
    EXPECT_EQ(got.exposure, want.exposure) << what;
    EXPECT_EQ(got.findings, want.findings) << what;
  };
  // Each record's fields, edited by `edit`, joined again.
  const auto rewrite = [](const std::string& text, const auto& edit) {
    std::string out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      std::vector<std::string> f;
      std::istringstream words(line);
      for (std::string w; words >> w;) f.push_back(w);
      edit(f);
      for (size_t k = 0; k < f.size(); ++k) out += (k ? " " : "") + f[k];
      out += '\n';
    }
    return out;
  };
  const auto names_of = [](const Format& format) {
    std::vector<std::string> n;
    for (size_t k = 0; k < format.size(); ++k) n.push_back(format.name(k));
    return n;
  };
  const auto index_of = [](const std::vector<std::string>& names, std::string_view name) {
    return static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
  };
  std::string err;
  GenOptions g;
  g.records = 150000;
  g.seed = 21;
  g.header = false;
  g.start = 1700000000;
  g.attacks = AllAttacks();

  g.format = *Format::Parse("v2", &err);
  const std::string v2 = GenerateText(g);
  const Outputs want_v2 = run(v2, g.format);
  ASSERT_GE(want_v2.findings.size(), 10u);
  ASSERT_GE(want_v2.exposure.size(), 10u);
  const size_t v2_src = index_of(names_of(g.format), "srcaddr");
  const std::optional<Format> v2_more =
      Format::Parse(g.format.HeaderLine() + " tcp-flags pkt-srcaddr", &err);
  ASSERT_TRUE(v2_more) << err;
  expect_same(run(rewrite(v2,
                          [&](std::vector<std::string>& f) {
                            const std::string copy = f[v2_src];
                            f.push_back("-");
                            f.push_back(copy);
                          }),
                  *v2_more),
              want_v2, "v2");

  g.format = *Format::Parse("v5", &err);
  const std::vector<std::string> names = names_of(g.format);
  const size_t src = index_of(names, "srcaddr"), pkt_src = index_of(names, "pkt-srcaddr");
  ASSERT_LT(pkt_src, names.size());
  const std::string v5 = rewrite(GenerateText(g), [&](std::vector<std::string>& f) {
    if (f[pkt_src] != "-") f[pkt_src] = f[src];
  });
  const Outputs want_v5 = run(v5, g.format);
  ASSERT_GE(want_v5.findings.size(), 10u);
  std::string without;
  for (size_t k = 0; k < names.size(); ++k) {
    if (k != pkt_src) without += (without.empty() ? "" : " ") + names[k];
  }
  const std::optional<Format> no_pkt_src = Format::Parse(without, &err);
  ASSERT_TRUE(no_pkt_src) << err;
  expect_same(run(rewrite(v5,
                          [&](std::vector<std::string>& f) {
                            f.erase(f.begin() + static_cast<std::ptrdiff_t>(pkt_src));
                          }),
                  *no_pkt_src),
              want_v5, "v5");
}

TEST(Detector, SaveThenLoadGivesTheSameFindingsAndTruncationFails) {
  const auto set = MakeAttackSet(150000, 12);
  const GenOptions& g = set.g;
  const ParsedBatch& all = set.parsed.batch;
  const uint8_t* base = set.parsed.base();
  Detector one{DetectOptions{}};
  one.Add(all, base);
  const auto want = Lines(one.Findings(g.start, g.start + 3600));
  ASSERT_FALSE(want.empty());

  std::string bytes;
  ByteWriter w(bytes);
  one.Save(w);
  Detector loaded{DetectOptions{}};
  ByteReader r(bytes);
  std::string error;
  ASSERT_TRUE(loaded.Load(r, &error)) << error;
  EXPECT_EQ(Lines(loaded.Findings(g.start, g.start + 3600)), want);

  // Damaged bytes load or are refused, never crash or allocate wildly (ASan runs this too).
  std::mt19937_64 rng(99);
  size_t refused = 0;
  for (int trial = 0; trial < 100; ++trial) {
    std::string damaged = bytes;
    for (int k = 0; k < 1 + trial % 4; ++k) {
      damaged[rng() % damaged.size()] = static_cast<char>(rng());
    }
    Detector x{DetectOptions{}};
    ByteReader rr(damaged);
    if (!x.Load(rr, &error)) {
      ++refused;
      EXPECT_TRUE(x.Findings(g.start, g.start + 3600).empty()) << "nothing half-loaded";
    }
  }
  EXPECT_GT(refused, 0u);

  for (const size_t cut : {size_t{0}, size_t{3}, bytes.size() / 3, bytes.size() - 1}) {
    Detector x{DetectOptions{}};
    ByteReader rr(std::string_view(bytes).substr(0, cut));
    EXPECT_FALSE(x.Load(rr, &error)) << "cut at " << cut;
    EXPECT_TRUE(x.Findings(g.start, g.start + 3600).empty()) << "nothing half-loaded";
  }
}

// Every field that a later merge or a finding reads survives Save and Load: one part saved,
// loaded and merged with a second gives the findings of one detector fed both. The parts are
// made so that each such field differs from its neighbour in the saved bytes, which the
// generated set above does not: a brute force of REJECTs and unanswered SYNs (rejected_flows
// 20, probe_flows 35), a flood of one host on ports 80 and 443 in the saved part and on 443 in
// the other (port_lo 80, port_hi 443: swapped, the merge made it a flood of 443 alone), a
// reflection flood's answers likewise, and a port scan of accepted SYNs (attempts listed with
// a protocol and not rejected).
TEST(Detector, SaveAndLoadKeepEveryFieldAMergeOrAFindingReads) {
  Detect whole, saved, other;
  const auto add = [&](Detect& part, Rec r) {
    whole.Add(r);
    part.Add(r);
  };
  for (int i = 0; i < 35; ++i) {
    Rec r;
    r.src = "192.0.2.44";
    r.dst = "10.0.3.3";
    r.sport = 41000 + i;
    r.dport = 22;
    r.start = 1700000000 + static_cast<uint64_t>(i) * 20;
    if (i < 20) r.action = "REJECT";
    add(saved, r);
  }
  for (int i = 0; i < 1800; ++i) {
    Rec r;
    r.src = Ip(100 + i / 65536 % 50, i / 256 % 256, i % 256, 7);
    r.dst = "10.0.0.20";
    r.dport = i < 600 ? 80 : 443;
    r.start = 1700001600 + static_cast<uint64_t>(i % 290);
    add(i < 1200 ? saved : other, r);
  }
  for (int i = 0; i < 1800; ++i) {
    Rec r;
    r.src = Ip(60 + i / 65536 % 50, i / 256 % 256, i % 256, 9);
    r.dst = "10.0.0.30";
    r.sport = 53;
    r.dport = i < 600 ? 40000 : 50000;
    r.proto = 17;
    r.flags = 0;
    r.packets = 2;
    r.bytes = 2900;
    r.start = 1700001600 + static_cast<uint64_t>(i % 290);
    add(i < 1200 ? saved : other, r);
  }
  for (int p = 0; p < 40; ++p) {
    Rec r;
    r.src = "198.51.100.7";
    r.dst = "10.0.0.40";
    r.dport = 1000 + p;
    r.start = 1700000100 + static_cast<uint64_t>(p);
    add(saved, r);
  }
  const std::vector<Finding> all = whole.Run();
  const auto one = [&](const std::string& type, const std::string& dst) {
    return std::count_if(all.begin(), all.end(),
                         [&](const Finding& f) { return f.type == type && f.dst == dst; }) == 1;
  };
  ASSERT_TRUE(one("brute_force", "10.0.3.3"));
  ASSERT_TRUE(one("ddos_fan_in", "10.0.0.20"));
  ASSERT_TRUE(one("ddos_fan_in", "10.0.0.30"));
  ASSERT_TRUE(one("port_scan", "10.0.0.40"));

  saved.Flush();
  other.Flush();
  Detector merged{DetectOptions{}};
  ASSERT_NO_FATAL_FAILURE(SaveAndLoad(saved.detector(), merged));
  merged.Merge(other.detector());
  EXPECT_EQ(Lines(merged.Findings(1700000000, 1700003600)), Lines(all));
}

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

TEST(Detector, DisabledFindsNothing) {
  DetectOptions o;
  o.enabled = false;
  Detect d(o);
  AddScan(d, 40);
  EXPECT_TRUE(d.Run().empty());
}

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

// Port 1024 is no service port: against a listed one (5432) the listed one is the server, so
// 2 GiB from 5432 to a client's port 1024 is answers, not an upload.
TEST(Exfiltration, AServiceAnsweringClientPort1024IsNoUpload) {
  Detect d({}, /*with_flags=*/false);
  AddUpload(d, "10.0.4.4", "203.0.113.80", uint64_t{2} << 30, 1700000000, "eni-db", 5432, 1024);
  EXPECT_TRUE(d.Of("exfiltration").empty());
}

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

// The walk decides when the likelihood ratio reaches beta / alpha (">=", as the summary says):
// with theta0 0.75, theta1 0.25 a failure multiplies it by 3, and beta / alpha = 9 is reached
// exactly by two failures (all values exact in binary).
TEST(ScanTrw, TheWalkDecidesAtTheUpperBoundItself) {
  DetectOptions o;
  o.trw_theta0 = 0.75;
  o.trw_theta1 = 0.25;
  o.trw_alpha = 0.0625;
  o.trw_beta = 0.5625;
  Detect d(o);
  AddRejectedProbes(d, "198.51.100.77", 2, 2, 22);
  const auto f = d.Of("scan_trw");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["first_contacts"], 2);
}

// The finding is the walk up to its decision: contacts after the fourth failure (here two
// successes) change neither its counts nor its end, the deciding contact's window's.
TEST(ScanTrw, TheFindingEndsAtTheDecidingContact) {
  Detect d;
  AddContacts(d, "FFFFSS");
  const auto f = d.Of("scan_trw", 1700000000, 1700010000);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["first_contacts"], 4);
  EXPECT_EQ(f[0].evidence["failed_first_contacts"], 4);
  EXPECT_EQ(f[0].evidence["successful_first_contacts"], 0);
  EXPECT_EQ(f[0].evidence["sample_dsts"].size(), 4u);
  EXPECT_EQ(f[0].window_start, 1699999800u);
  EXPECT_EQ(f[0].window_end, 1699999800u + 4 * 300);  // the fourth contact's window's end
}

// And stops as benign at the lower bound itself, (1 - beta) / (1 - alpha) (detections.md: "benign
// if Lambda <= eta0"): with a step of 3 and a bound of 1/9, two successes end the walk, and the
// failures after them are no scanner.
TEST(ScanTrw, TheWalkStopsAsBenignAtTheLowerBoundItself) {
  DetectOptions o;
  o.trw_theta0 = 0.75;
  o.trw_theta1 = 0.25;
  o.trw_alpha = 0.1;
  o.trw_beta = 0.9;
  Detect d(o);
  AddContacts(d, "SSFFFFFF");
  EXPECT_TRUE(d.Of("scan_trw", 1700000000, 1700010000).empty());
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

// A REJECT from 32768, the first ephemeral port, is no answer a network ACL dropped (those come
// from a port below 32768): rejected probes from it at ports 40000-40014 are a port scan.
TEST(PortScan, ProbesFromTheFirstEphemeralPortAreAScan) {
  Detect d;
  for (int p = 0; p < 15; ++p) {
    Rec r;
    r.src = "198.51.100.7";
    r.dst = "10.0.1.5";
    r.sport = 32768;
    r.dport = 40000 + p;
    r.flags = 0;  // no SYN: the REJECT rule decides
    r.action = "REJECT";
    r.start = 1700000100 + static_cast<uint64_t>(p) * 10;
    d.Add(r);
  }
  const auto f = d.Of("port_scan");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].distinct_dst_ports, 15u);
}

// With tcp-flags only exactly a SYN is a probe: a tiny connection opened and closed at once
// (SYN and FIN, 3 packets of 52 bytes: a TCP connect check) was answered.
TEST(PortScan, TinyConnectionsThatClosedAreNotFailures) {
  for (const int flags : {3, 2}) {
    Detect d;
    AddScan(d, 15, "ACCEPT", flags, /*packets=*/3, /*bytes=*/156);
    EXPECT_EQ(d.Of("port_scan").size(), flags == 2 ? 1u : 0u) << flags;
  }
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

// rejected_flows counts the REJECTs alone: a scan of unanswered accepted SYNs has none.
TEST(PortScan, UnansweredSynsAreNoRejectedFlows) {
  Detect d;
  AddScan(d, 15, "ACCEPT", 2);
  const auto f = d.Of("port_scan");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence["rejected_flows"], 0);
  Detect rejected;
  AddScan(rejected, 15);
  const auto g = rejected.Of("port_scan");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].evidence["rejected_flows"], 15);
}

// A key promoted in one part (past kAttemptLog, 64 attempts: kept in the tables) and listed in
// the other is promoted in their merge: one port scan of all 90 ports, not one of 70 and
// another of the list's 20.
TEST(PortScan, AttemptsListedInOnePartAndPromotedInTheOtherMergeIntoOneScan) {
  Detect listed, promoted;
  for (int p = 0; p < 90; ++p) {
    Rec r;
    r.src = "198.51.100.7";
    r.dst = "10.0.1.5";
    r.dport = 1000 + p;
    r.action = "REJECT";
    r.start = 1700000100 + static_cast<uint64_t>(p);
    (p < 20 ? listed : promoted).Add(r);
  }
  listed.Flush();
  promoted.Flush();
  Detector merged{DetectOptions{}};
  merged.Merge(listed.detector());
  merged.Merge(promoted.detector());
  std::vector<Finding> scans;
  for (Finding& f : merged.Findings(1700000000, 1700003600)) {
    if (f.type == "port_scan") scans.push_back(std::move(f));
  }
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_EQ(scans[0].distinct_dst_ports, 90u);
}

// --- evidence and summaries (issue 5) -----------------------------------------------------------

// A direct flood's summary says what the 1,000 counts and what its baseline was, in one sentence;
// its evidence gives the measured multiple of the median beside the threshold's (null when the
// median is 0: no multiple of it), and how many windows the median is of. It had ended in
// "(threshold 1000, median window 0)".
TEST(Summaries, AFloodSaysWhatItsThresholdsCountAndItsBaseline) {
  const uint64_t begin = 1700000100;  // 12 windows of 300 s from begin
  Detect steady;
  for (uint64_t k = 0; k < 12; ++k) {
    AddFlood(steady, k == 6 ? 1500 : 300, begin + k * 300, static_cast<int>(k) * 10000);
  }
  const auto f = steady.Of("ddos_fan_in", begin, begin + 12 * 300);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].evidence.at("baseline_median_sources"), 300);
  EXPECT_EQ(f[0].evidence.at("ratio_to_median"), 5.0);
  EXPECT_EQ(f[0].evidence.at("baseline_windows"), 11);
  EXPECT_EQ(f[0].summary,
            "1500 external sources sent 1500 flows to 10.0.0.20 within 5 minutes, 5 times the "
            "median of 300 sources in its other 11 windows (thresholds: 1000 sources and 4 times "
            "the median).");

  Detect quiet;
  AddFlood(quiet, 1000, begin + 6 * 300);
  const auto g = quiet.Of("ddos_fan_in", begin, begin + 12 * 300);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_TRUE(g[0].evidence.at("ratio_to_median").is_null());
  EXPECT_EQ(g[0].evidence.at("baseline_windows"), 11);
  EXPECT_EQ(g[0].summary,
            "1000 external sources sent 1000 flows to 10.0.0.20 within 5 minutes, against a "
            "median of 0 sources in its other 11 windows (threshold: 1000 sources).");
  const std::string json = FindingJson(g[0]);
  EXPECT_THAT(json, ::testing::HasSubstr("\"ratio_to_median\":null"));

  Detect alone;  // a run of one window: nothing to compare with
  AddFlood(alone, 1000, begin);
  const auto h = alone.Of("ddos_fan_in", begin, begin + 300);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].evidence.at("baseline_windows"), 0);
  EXPECT_TRUE(h[0].evidence.at("ratio_to_median").is_null());
  EXPECT_THAT(h[0].summary,
              ::testing::EndsWith(" within 5 minutes, in its only window with records (no "
                                  "baseline to compare; threshold: 1000 sources)."));

  // A busy neighbour left out of the median is named, as reject_spike names it.
  Detect halves;
  AddFlood(halves, 1200, begin + 5 * 300);
  AddFlood(halves, 1300, begin + 6 * 300, 200000);
  const auto two = halves.Of("ddos_fan_in", begin, begin + 12 * 300);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].evidence.at("baseline_windows"), 10);
  EXPECT_THAT(two[0].summary,
              ::testing::EndsWith(", against a median of 0 sources in its other 10 windows (not "
                                  "counting the busy window beside it; threshold: 1000 "
                                  "sources)."));
}

// reject_spike tests a multiple of the mean (reject_spike.ratio): its evidence gives the measured
// one, and the summary's numbers are the evidence's (the mean had been rounded to a whole number:
// "a mean of 10" beside baseline_mean_flows 10.4).
TEST(Summaries, ASpikeGivesItsMultipleOfTheMean) {
  const uint64_t begin = 1700001300;
  Detect d;
  AddRejects(d, "eni-db", 5, begin + 300);
  AddRejects(d, "eni-db", 322, begin + 7 * 300);
  AddRejects(d, "eni-db", 356, begin + 8 * 300);
  AddRejects(d, "eni-db", 99, begin + 9 * 300);
  const auto f = d.Of("reject_spike", begin, begin + 12 * 300);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_NEAR(f[1].evidence.at("baseline_mean_flows").get<double>(), 10.4, 1e-9);
  EXPECT_EQ(f[1].evidence.at("ratio"), 34.231);  // 356 / 10.4
  EXPECT_EQ(f[1].summary,
            "interface eni-db rejected 356 flows from 10 sources within 5 minutes, 34.231 times "
            "the mean of 10.4 in its other windows (not counting the busy window beside it).");

  Detect quiet;  // a mean of 0: no multiple of it
  AddRejects(quiet, "eni-db", 100, 1700001600);
  const auto g = quiet.Of("reject_spike");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_TRUE(g[0].evidence.at("ratio").is_null());
  EXPECT_THAT(FindingJson(g[0]), ::testing::HasSubstr("\"ratio\":null"));
  EXPECT_THAT(g[0].summary, ::testing::HasSubstr(", against a mean of 0 in its other windows."));

  Detect alone;
  AddRejects(alone, "eni-db", 100, 1700001600);
  const auto h = alone.Of("reject_spike", 1700001600, 1700001900);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_TRUE(h[0].evidence.at("ratio").is_null());
  EXPECT_THAT(h[0].summary, ::testing::HasSubstr("(no baseline to compare)"));

  // One rejected flow in 3,000 windows: a mean of 0.000333, which the evidence rounds to 0; the
  // summary gives the evidence's mean, no multiple of a mean it calls 0.
  Detect sparse;
  AddRejects(sparse, "eni-db", 1, begin);
  AddRejects(sparse, "eni-db", 100, begin + 3000 * 300);
  const auto s = sparse.Of("reject_spike", begin, begin + 3001 * 300);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].evidence.at("baseline_mean_flows"), 0.0) << s[0].evidence;
  EXPECT_TRUE(s[0].evidence.at("ratio").is_null()) << s[0].evidence;  // no multiple of 0
  EXPECT_THAT(s[0].summary, ::testing::HasSubstr(", against a mean of 0 in its other windows."))
      << s[0].summary;
}

// exfiltration's baseline test is a z and a multiple of the mean (baseline_ratio): the measured
// multiple is in the evidence (Exfiltration.FarAboveItsOwnBaseline), and both are null
// at a cold start.
TEST(Summaries, AnUploadGivesNoMultipleAtAColdStart) {
  Detect cold;  // 1 GiB, no other window: no multiple
  AddUpload(cold, "10.0.4.4", "203.0.113.99", uint64_t{1} << 30, 1700002800);
  const auto c = cold.Of("exfiltration");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0].evidence.at("z").is_null()) << c[0].evidence;
  EXPECT_TRUE(c[0].evidence.at("ratio").is_null());

  // 1 GiB after three windows of 10 MB: fewer than baseline_windows (6), a cold start, whose
  // mean is no baseline tested: no multiple of it, as no z.
  Detect young;
  for (uint64_t h = 0; h < 3; ++h) {
    AddUpload(young, "10.0.4.4", "203.0.113.80", 10000000, 1700002800 + h * 3600);
  }
  AddUpload(young, "10.0.4.4", "203.0.113.99", uint64_t{1} << 30, 1700002800 + 3 * 3600);
  const auto y = young.Of("exfiltration", 1700002800, 1700002800 + 4 * 3600);
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].evidence.at("baseline_windows"), 3);
  EXPECT_TRUE(y[0].evidence.at("z").is_null()) << y[0].evidence;  // it was 0 beside a null ratio
  EXPECT_TRUE(y[0].evidence.at("ratio").is_null()) << y[0].evidence;
}

// Every threshold a finding crossed has its measured value in the evidence, past it; and
// docs/outputs.md's evidence table names every evidence key of every type.
TEST(Summaries, EvidenceNamesEveryThresholdsMeasuredValueAndTheDocsNameEveryKey) {
  const auto set = MakeAttackSet(200000, 3);
  Detector d{DetectOptions{}};
  d.Add(set.parsed.batch, set.parsed.base());
  std::vector<Finding> fs = d.Findings(set.g.start, set.g.start + 3600);
  std::ifstream in(std::string(FLOWSIFT_SOURCE_DIR) + "/docs/outputs.md");
  ASSERT_TRUE(in);
  std::map<std::string, std::string> rows;  // "| `type` |" or "| `ddos_fan_in` (reflection) |"
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex(R"(^\| (`[a-z_]+`( \(reflection\))?) \| `)"))) {
      rows[m[1].str()] = line;
    }
  }
  // threshold key -> the measured key it is compared with, by type (window_seconds, TRW's
  // theta0 and theta1 and brute_force's max_packets and max_bytes are settings, not thresholds
  // crossed).
  const std::map<std::string, std::map<std::string, std::string>> measured = {
      {"port_scan", {{"failed_ports", "failed_ports"}}},
      {"port_sweep", {{"failed_dsts", "failed_dsts"}}},
      {"scan_trw", {{"likelihood_ratio", "likelihood_ratio"}}},
      {"brute_force", {{"attempts", "attempts"}}},
      {"exfiltration",
       {{"bytes_out_external", "net_bytes"},
        {"baseline_z", "z"},
        {"baseline_ratio", "ratio"},
        {"baseline_min_bytes", "net_bytes"},
        {"baseline_windows", "baseline_windows"}}},
      {"reject_spike", {{"rejected_flows", "rejected_flows"}, {"z", "z"}, {"ratio", "ratio"}}},
      {"ddos_fan_in",
       {{"distinct_sources", "distinct_sources"},
        {"ratio_to_median", "ratio_to_median"},
        {"ratio_to_local_median", "ratio_to_local_median"}}},
      {"ddos_fan_in (reflection)",
       {{"distinct_sources", "unsolicited_sources"},
        {"ratio_to_median", "ratio_to_median"},
        {"ratio_to_local_median", "ratio_to_local_median"},
        {"unsolicited_share", "unsolicited_share"}}},
  };
  std::set<std::string> seen;
  for (const Finding& f : fs) {
    const bool reflection = f.evidence.contains("reflection");
    const std::string kind = f.type + (reflection ? " (reflection)" : "");
    seen.insert(kind);
    const std::string row = rows["`" + f.type + "`" + (reflection ? " (reflection)" : "")];
    ASSERT_FALSE(row.empty()) << kind << " has no row in docs/outputs.md";
    for (const auto& [key, value] : f.evidence.items()) {
      if (key == "threshold") continue;  // every type's, the table's own column
      EXPECT_THAT(row, ::testing::HasSubstr("`" + key + "`")) << kind << ": " << key;
    }
    ASSERT_TRUE(f.evidence.contains("threshold")) << kind;
    for (const auto& [key, value] : f.evidence.at("threshold").items()) {
      if (key == "window_seconds") continue;
      EXPECT_THAT(row, ::testing::HasSubstr("`" + key + "`")) << kind << ": threshold " << key;
      // Settings, not thresholds crossed: TRW's probabilities, what a brute-force attempt is,
      // how far a fan-in's local baseline reaches.
      if (key == "theta0" || key == "theta1" || key == "max_packets" || key == "max_bytes" ||
          key == "local_span_seconds") {
        continue;
      }
      const auto m = measured.at(kind).find(key);
      ASSERT_NE(m, measured.at(kind).end()) << kind << ": threshold " << key;
      ASSERT_TRUE(f.evidence.contains(m->second)) << kind << ": " << m->second;
      const auto& v = f.evidence[m->second];
      EXPECT_TRUE(v.is_number() || v.is_null()) << kind << ": " << m->second << " " << v;
    }
  }
  EXPECT_EQ(seen.size(), 8u);
}

// --- A third mutation audit of detect_findings.cc and detect_config.cc --------------------------
// (each test fails on a mutant that survived every test above)

// SPEC 3.2's order: window_start, type, src, dst, dst_port; a null port before every port. Two
// scans whose sources and destinations sort the other way round, and two spikes of one window
// whose interfaces and ports do: the spike at many ports (null dst_port) comes first.
TEST(Detector, FindingsSortBySourceBeforeDestinationAndANullPortFirst) {
  Detect d;
  for (int p = 0; p < 15; ++p) {
    Rec a;
    a.src = "198.51.100.7";
    a.dst = "10.0.1.9";
    a.dport = 1000 + p;
    a.action = "REJECT";
    a.start = 1700000100 + static_cast<uint64_t>(p);
    d.Add(a);
    Rec b = a;
    b.src = "198.51.100.8";
    b.dst = "10.0.1.5";
    d.Add(b);
  }
  AddRejects(d, "eni-a", 120, 1700001600);  // all at port 5432
  for (int i = 0; i < 120; ++i) {
    Rec r;
    r.iface = "eni-b";
    r.src = Ip(10, 0, 7, 1 + i % 10);
    r.dst = "10.0.8.9";
    r.sport = 40000 + i;
    r.dport = 6000 + i;
    r.action = "REJECT";
    r.start = 1700001600 + static_cast<uint64_t>(i);
    d.Add(r);
  }
  const std::vector<Finding> all = d.Run();
  std::vector<const Finding*> f;
  for (const Finding& x : all) {
    if (x.type == "port_scan" || x.type == "reject_spike") f.push_back(&x);
  }
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0]->src, "198.51.100.7");
  EXPECT_EQ(f[1]->src, "198.51.100.8");
  EXPECT_EQ(f[2]->interfaces, std::vector<std::string>{"eni-b"});
  EXPECT_EQ(f[2]->dst_port, std::nullopt);  // 120 ports: no one port
  EXPECT_EQ(f[3]->interfaces, std::vector<std::string>{"eni-a"});
  EXPECT_EQ(f[3]->dst_port, 5432u);
}

// A port scan's sample holds its 10 smallest failed ports; answered_ports counts the ports that
// answered also for a key still in its attempt list; window_end is the scan's own window.
TEST(PortScan, SampleAnsweredPortsAndItsOwnWindow) {
  Detect d;
  AddScan(d, 17);  // ports 1000..1016, rejected
  for (int p = 2000; p < 2002; ++p) {
    Rec probe;
    probe.src = "198.51.100.7";
    probe.dst = "10.0.1.5";
    probe.dport = p;
    probe.start = 1700000150;
    d.Add(probe);
    d.Add(SynAckTo(probe));
  }
  const auto f = d.Of("port_scan");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].distinct_dst_ports, 17u);
  EXPECT_EQ(f[0].evidence["answered_ports"], 2);
  EXPECT_EQ(f[0].evidence["sample_ports"],
            nlohmann::ordered_json({1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009}));
  EXPECT_EQ(f[0].window_end, f[0].window_start + 300);

  DetectOptions o;
  o.scan_window = 600;
  Detect longer(o);
  AddScan(longer, 15);
  const auto g = longer.Of("port_scan");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].window_end, g[0].window_start + 600);
  EXPECT_THAT(g[0].summary, ::testing::HasSubstr("within 10 minutes"));
}

// An internal sweeper's techniques: discovery of services and of remote systems.
TEST(PortSweep, AnInternalSweeperIsRemoteSystemDiscovery) {
  Detect d;
  AddSweep(d, 25);
  const auto f = d.Of("port_sweep");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, 3);
  EXPECT_EQ(f[0].mitre, (std::vector<std::string>{"T1046", "T1018"}));
}

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

TEST(BruteForce, TheProtocolIsTcp) {
  Detect d;
  AddLogins(d, 30);
  const auto f = d.Of("brute_force");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].protocol, 6u);
}

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

// What the walk reports is what it had when it decided: its fourth failure here, of eight.
TEST(ScanTrw, TheFindingIsTheWalkUpToItsDecision) {
  Detect d;
  AddContacts(d, "FFFFFFFF");
  const auto f = d.Of("scan_trw", 1700000000, 1700010000);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].window_start, 1699999800u);
  EXPECT_EQ(f[0].window_end, 1699999800u + 4 * 300);
  EXPECT_EQ(f[0].evidence["first_contacts"], 4);
  EXPECT_EQ(f[0].evidence["sample_dsts"].size(), 4u);
  EXPECT_EQ(f[0].dst_port, 22u);
  EXPECT_EQ(f[0].id, FindingId("scan_trw", std::string("203.0.113.50"), std::nullopt, std::nullopt,
                               1699999800));
}

// The walk stops as benign at exactly its lower bound: theta0 0.5, theta1 0.25, alpha 0.25,
// beta 0.625 make one success exactly (1 - beta) / (1 - alpha) = 0.5; the failures after it
// (which would reach beta / alpha) are not walked.
TEST(ScanTrw, TheWalkStopsAtTheLowerBoundItself) {
  DetectOptions o;
  o.trw_theta0 = 0.5;
  o.trw_theta1 = 0.25;
  o.trw_alpha = 0.25;
  o.trw_beta = 0.625;
  Detect benign(o);
  AddContacts(benign, "SFFFF");
  EXPECT_TRUE(benign.Of("scan_trw", 1700000000, 1700010000).empty());
  Detect scanner(o);
  AddContacts(scanner, "FFFF");
  EXPECT_EQ(scanner.Of("scan_trw", 1700000000, 1700010000).size(), 1u);
}

// A contact's answer counts in the scan windows its TRW window overlaps and in one that starts
// within a minute of its end (a record's start lags its packets by up to a minute), no later:
// a SYN-ACK two windows later does not answer it; with a longer port_scan.window, the scan
// window that began before the contact's TRW window does.
TEST(ScanTrw, AnswersCountInTheScanWindowsTheContactsWindowOverlaps) {
  const auto probes = [](Detect& d, uint64_t start, uint64_t answer_after) {
    for (int i = 0; i < 4; ++i) {
      Rec probe;
      probe.src = "203.0.113.50";
      probe.dst = Ip(10, 0, 1, 10 + i);
      probe.dport = 22;
      probe.start = start;
      d.Add(probe);
      Rec answer = SynAckTo(probe);
      answer.start = start + answer_after;
      d.Add(answer);
    }
  };
  Detect late;  // answered two 300 s windows later: four failures
  probes(late, 1700000100, 600);
  EXPECT_EQ(late.Of("scan_trw", 1700000000, 1700010000).size(), 1u);

  // Sent 2 s before a boundary, answered 20 s after it (a late record): no scanner. Its answers
  // had not counted, and a client that opened four connections at once was a scanner.
  Detect next;
  probes(next, 1700000398, 22);
  EXPECT_TRUE(next.Of("scan_trw", 1700000000, 1700010000).empty());
  // The same with 60 s TRW windows: the answer's scan window starts within a minute of the
  // contact window's end.
  DetectOptions minute;
  minute.trw_window = 60;
  Detect next_minute(minute);
  probes(next_minute, 1700000398, 22);
  EXPECT_TRUE(next_minute.Of("scan_trw", 1700000000, 1700010000).empty());

  DetectOptions o;
  o.scan_window = 600;
  o.sweep_window = 600;
  Detect overlap(o);  // the contacts' TRW window is the second half of the answers' scan window
  probes(overlap, 1700000100, 10);  // scan window 1699999800, TRW window 1700000100
  EXPECT_TRUE(overlap.Of("scan_trw", 1700000000, 1700010000).empty());
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

// When no answering source was asked, the summary says so once, not "1000 of them never asked".
TEST(Summaries, AReflectionFloodOfSourcesNeverAskedSaysItOnce) {
  Detect d;
  AddAnswers(d, 0, 1000, 1700001600);
  const auto f = d.Of("ddos_fan_in");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0].summary,
              ::testing::StartsWith("1000 external sources sent 10.0.0.30 1000 flows of UDP "
                                    "answers from port 53 within 5 minutes that it never asked "
                                    "for (it sent none of them a request at such a port): a "
                                    "reflection flood, "));
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

// What a spike's summary says its baseline left out: both busy windows beside it (plural), and
// a busy window before a gap in the run's spans, which is not beside it but the busiest other.
TEST(Summaries, ASpikeNamesTheWindowsItsBaselineLeftOut) {
  const uint64_t t = 1700001600;
  Detect d;
  AddRejects(d, "eni-db", 150, t + 900);
  AddRejects(d, "eni-db", 400, t + 1200);
  AddRejects(d, "eni-db", 150, t + 1500);
  std::vector<Finding> spikes = d.Of("reject_spike", t, t + 3600);
  ASSERT_EQ(spikes.size(), 3u);
  EXPECT_THAT(spikes[1].summary,
              ::testing::EndsWith(" in its other windows (not counting the busy windows beside "
                                  "it)."));

  Detect gap;
  AddRejects(gap, "eni-db", 150, t + 1500);  // the last window before the gap
  AddRejects(gap, "eni-db", 400, t + 3600);  // the first after it
  gap.Flush();
  spikes.clear();
  for (Finding& f : gap.detector().Findings({{t, t + 1800}, {t + 3600, t + 5400}})) {
    if (f.type == "reject_spike") spikes.push_back(std::move(f));
  }
  ASSERT_EQ(spikes.size(), 2u);
  EXPECT_EQ(spikes[1].window_start, t + 3600);
  EXPECT_THAT(
      spikes[1].summary,
      ::testing::EndsWith(" in its other windows (not counting its busiest other window)."));
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
