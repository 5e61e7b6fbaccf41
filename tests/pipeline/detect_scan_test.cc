// The port-scan and TRW scan detectors (SPEC 3.2's port_scan and scan_trw): thresholds, what
// counts as a probe or an answer, the walk's bounds, and merges of listed and promoted attempts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "pipeline/detect.h"
#include "tests/pipeline/detect_harness.h"

namespace flowsift {
namespace {

using flowsift::testing::AddRejectedProbes;
using flowsift::testing::AddScan;
using flowsift::testing::Detect;
using flowsift::testing::FindingsOfText;
using flowsift::testing::Ip;
using flowsift::testing::kFields;
using flowsift::testing::Line;
using flowsift::testing::Lines;
using flowsift::testing::ParsedText;
using flowsift::testing::ParseText;
using flowsift::testing::Rec;
using flowsift::testing::SynAckTo;

// --- port_scan ---------------------------------------------------------------------------------

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

// --- determinism and merge -----------------------------------------------------------------------

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

// --- Boundaries, severities and techniques the tests above did not reach ----------------------
// (each fails when its comparison or constant is changed: a mutation audit's survivors)

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

// --- A third mutation audit of detect_findings.cc and detect_config.cc --------------------------
// (each test fails on a mutant that survived every test above)

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

}  // namespace
}  // namespace flowsift
