// Records written as flow-log text and a detector that reads them, for the detector's tests
// (detect_test.cc and detect_*_test.cc). A Rec is one record (its defaults: an accepted TCP SYN
// of 44 bytes at 1700000000); a Detect parses the records added to it into one Detector and
// returns its findings over the usual hour. The record builders here are those the tests of more
// than one detector family use; the others stay beside their tests.
#ifndef FLOWSIFT_TESTS_PIPELINE_DETECT_HARNESS_H_
#define FLOWSIFT_TESTS_PIPELINE_DETECT_HARNESS_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/detect.h"
#include "pipeline/generate.h"
#include "pipeline/parse_chunk.h"
#include "pipeline/serial.h"
#include "tests/pipeline/parse_text.h"

namespace flowsift::testing {

// Fields every test record has; tcp-flags and pkt-* make the v5-style cases, the `NoFlags`
// format the version-2 ones.
inline constexpr char kFields[] =
    "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "tcp-flags log-status";
inline constexpr char kNoFlagsFields[] =
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

inline std::string Line(const Rec& r, bool with_flags) {
  std::string s = r.iface + " " + r.src + " " + r.dst + " " + std::to_string(r.sport) + " " +
                  std::to_string(r.dport) + " " + std::to_string(r.proto) + " " +
                  std::to_string(r.packets) + " " + std::to_string(r.bytes) + " " +
                  std::to_string(r.start) + " " + std::to_string(r.end ? r.end : r.start) + " " +
                  r.action + " ";
  if (with_flags) s += std::to_string(r.flags) + " ";
  return s + "OK\n";
}

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

inline std::string Ip(int a, int b, int c, int d) {
  return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c) + "." +
         std::to_string(d);
}

// The tiny SYN-ACK with which `probe`'s destination answers it.
inline Rec SynAckTo(const Rec& probe) {
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
inline std::vector<Finding> FindingsOfText(const std::string& fields, const std::string& text,
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
inline void SaveAndLoad(const Detector& part, Detector& into) {
  std::string bytes;
  ByteWriter w(bytes);
  part.Save(w);
  ByteReader r(bytes);
  std::string error;
  ASSERT_TRUE(into.Load(r, &error)) << error;
}

inline void AddScan(Detect& d, int ports, const std::string& action = "REJECT", int flags = 2,
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

// 198.51.100.9 probes port 22 of 2,049 hosts, 10.0.0.7, 10.0.0.14, ..., rejected.
inline void AddRejectsTo2049Hosts(Detect& d) {
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

// `hosts` rejected probes from `src` to port `port` of 10.0.`subnet`.1, .2, ..., a second apart.
inline void AddRejectedProbes(Detect& d, const std::string& src, int subnet, int hosts, int port) {
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

inline void AddUpload(Detect& d, const std::string& src, const std::string& dst, uint64_t bytes,
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

inline void AddRejects(Detect& d, const std::string& iface, int n, uint64_t window_start) {
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

inline void AddFlood(Detect& d, int sources, uint64_t window_start, int salt = 0,
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

// `n` amplifiers answer `dst` from `sport` (UDP) within one fan-in window, or a host asks `n`
// name servers; the i-th of either is Server(i), so that both name the same hosts.
// The i-th external name server or amplifier, and a UDP record at its time in the window.
inline std::string Server(int i) { return Ip(150 + i / 65536 % 50, i / 256 % 256, i % 256, 9); }

inline Rec Udp(int i, uint64_t window_start, int packets, uint64_t bytes) {
  Rec r;
  r.proto = 17;
  r.flags = 0;
  r.packets = static_cast<uint64_t>(packets);
  r.bytes = bytes;
  r.start = window_start + static_cast<uint64_t>(i % 290);
  return r;
}

inline void AddAnswers(Detect& d, int first, int n, uint64_t window_start, int sport = 53,
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

inline std::vector<std::string> Lines(const std::vector<Finding>& fs) {
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

inline AttackSet MakeAttackSet(uint64_t records, uint64_t seed) {
  AttackSet set;
  set.g.records = records;
  set.g.seed = seed;
  set.g.attacks = AllAttacks();
  const std::string text = GenerateText(set.g);
  set.parsed = ParseText(text.substr(text.find('\n') + 1), Format::Default());
  return set;
}

}  // namespace flowsift::testing

#endif  // FLOWSIFT_TESTS_PIPELINE_DETECT_HARNESS_H_
