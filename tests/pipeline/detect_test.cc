// The detector as a whole: any split, order and partitioning of the records gives the same
// findings, Save and Load keep them, findings sort as SPEC 3.2 says, and the evidence and
// summaries every detector writes.
#include "pipeline/detect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/aggregate.h"
#include "pipeline/generate.h"
#include "pipeline/parse_chunk.h"
#include "tests/pipeline/detect_harness.h"

namespace flowsift {
namespace {

using flowsift::testing::AddAnswers;
using flowsift::testing::AddFlood;
using flowsift::testing::AddRejects;
using flowsift::testing::AddScan;
using flowsift::testing::AddUpload;
using flowsift::testing::Detect;
using flowsift::testing::Ip;
using flowsift::testing::kFields;
using flowsift::testing::Line;
using flowsift::testing::Lines;
using flowsift::testing::MakeAttackSet;
using flowsift::testing::ParsedText;
using flowsift::testing::ParseText;
using flowsift::testing::Rec;
using flowsift::testing::SaveAndLoad;

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

// --- determinism and merge -----------------------------------------------------------------------

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

TEST(Detector, DisabledFindsNothing) {
  DetectOptions o;
  o.enabled = false;
  Detect d(o);
  AddScan(d, 40);
  EXPECT_TRUE(d.Run().empty());
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

}  // namespace
}  // namespace flowsift
