// ddos_fan_in's local baseline (ddos_fan_in.local_span, local_ratio): a destination with a
// day/night cycle, built record by record, against floods of several lengths. Before it, every
// busy window of a site with office hours was a flood against the night's median.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/types.h"
#include "pipeline/detect.h"
#include "pipeline/parse_chunk.h"
#include "tests/pipeline/parse_text.h"

namespace flowsift {
namespace {

constexpr uint64_t kBegin = 1700006400;  // a multiple of 300 and of 3600
constexpr uint64_t kWindow = 300, kDay = 288;

// A day of `sources[w]` distinct external clients of 10.0.0.20:443 in window w (the same
// clients each window: a site's users come back), as AWS logs them, plus `extra[w]` more (a
// flood's spoofed sources, none of them a client). `answers`: UDP answers from port 53 to
// 10.0.0.30:40000 instead, which never asked (reflection's unsolicited sources).
std::string DayText(const std::vector<uint64_t>& sources, const std::vector<uint64_t>& extra,
                    bool answers = false) {
  std::string text;
  const auto add = [&](uint64_t i, uint64_t t) {
    text += "eni-a " + std::to_string(100 + i / 65536 % 50) + "." + std::to_string(i / 256 % 256) +
            "." + std::to_string(i % 256) +
            (answers ? ".7 10.0.0.30 53 40000 17 2 2900 " : ".7 10.0.0.20 40000 443 6 1 44 ") +
            std::to_string(t) + " " + std::to_string(t) +
            (answers ? " ACCEPT 0 OK\n" : " ACCEPT 2 OK\n");
  };
  for (uint64_t w = 0; w < sources.size(); ++w) {
    const uint64_t t = kBegin + w * kWindow;
    for (uint64_t i = 0; i < sources[w]; ++i) add(i, t + i % 290);
    for (uint64_t i = 0; i < extra[w]; ++i) add(1000000 + w * 10000 + i, t + i % 290);
  }
  return text;
}

void AddText(Detector& d, const std::string& text) {
  std::string err;
  const auto format = Format::Parse(
      "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
      "tcp-flags log-status",
      &err);
  ASSERT_TRUE(format) << err;
  const testing::ParsedText p = testing::ParseText(text, *format);
  ASSERT_TRUE(p.batch.bad_lines.empty());
  d.Add(p.batch, p.base());
}

std::vector<Finding> FanIns(Detector& d) {
  std::vector<Finding> out;
  for (Finding& f : d.Findings(kBegin, kBegin + kDay * kWindow)) {
    if (f.type == "ddos_fan_in") out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> FanInsOf(const std::vector<uint64_t>& sources,
                              const std::vector<uint64_t>& extra, DetectOptions o = {}) {
  Detector d(o);
  AddText(d, DayText(sources, extra));
  return FanIns(d);
}

// The windows of the findings, counted from the day's start.
std::vector<uint64_t> WindowsOf(const std::vector<Finding>& fs) {
  std::vector<uint64_t> w;
  for (const Finding& f : fs) w.push_back((f.window_start - kBegin) / kWindow);
  return w;
}

// 100 clients a window at night, 1,200 from 09:00 to 17:00 (windows 108 to 203).
std::vector<uint64_t> OfficeHours() {
  std::vector<uint64_t> s(kDay, 100);
  for (uint64_t w = 108; w < 204; ++w) s[w] = 1200;
  return s;
}
const std::vector<uint64_t> kNone(kDay, 0);

std::vector<uint64_t> Flood(uint64_t first, uint64_t windows, uint64_t sources) {
  std::vector<uint64_t> e(kDay, 0);
  for (uint64_t w = first; w < first + windows; ++w) e[w] = sources;
  return e;
}

// Against the run's median alone (the night's 100) each of the 96 busy windows was a flood.
// Against the hour either side too, only the two windows at the steps are: the first busy
// window has the night's 12 windows and 11 busy ones around it (its busy neighbour is left
// out), median 100; the second has 11 and 11, and the median of an even count is the upper one.
TEST(FanInLocal, AnOfficeDayIsAFloodOnlyAtItsSteps) {
  DetectOptions run_median_only;
  run_median_only.fanin_local_span = 0;
  EXPECT_EQ(FanInsOf(OfficeHours(), kNone, run_median_only).size(), 96u);
  const auto f = FanInsOf(OfficeHours(), kNone);
  EXPECT_EQ(WindowsOf(f), (std::vector<uint64_t>{108, 203}));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].evidence.at("baseline_median_sources"), 100);
  EXPECT_EQ(f[0].evidence.at("baseline_local_median_sources"), 100);
  EXPECT_EQ(f[0].evidence.at("baseline_local_windows"), 23);
  EXPECT_EQ(f[0].evidence.at("ratio_to_local_median"), 12.0);
  EXPECT_EQ(f[0].evidence.at("threshold").at("local_span_seconds"), 3600);
}

// The same day whose clients come and go over an hour (12 windows of 191 to 1,200 sources, and
// back in the evening): no window is twice the median of the hour around it.
TEST(FanInLocal, AnOfficeDayThatRampsUpOverAnHourIsNoFlood) {
  std::vector<uint64_t> s(kDay, 100);
  for (uint64_t k = 0; k < 12; ++k) {
    s[96 + k] = s[203 - k] = 100 + (k + 1) * 1100 / 12;
  }
  for (uint64_t w = 108; w < 192; ++w) s[w] = 1200;
  DetectOptions run_median_only;
  run_median_only.fanin_local_span = 0;
  EXPECT_EQ(FanInsOf(s, kNone, run_median_only).size(), 90u);
  EXPECT_TRUE(FanInsOf(s, kNone).empty());
}

// A 20-minute flood of 3,000 spoofed sources at 12:30, over the site's 1,200: each of its four
// windows is 3.5 times the busy hour's median, which decides, and the summary says so (past
// 2,048 sources the count is the sketch's estimate: 4,192 of the 4,200).
TEST(FanInLocal, AFloodInTheBusyHoursIsFoundWhole) {
  const auto f = FanInsOf(OfficeHours(), Flood(150, 4, 3000));
  EXPECT_EQ(WindowsOf(f), (std::vector<uint64_t>{108, 150, 151, 152, 153, 203}));
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(f[1].evidence.at("distinct_sources"), 4192);
  EXPECT_EQ(f[1].evidence.at("baseline_median_sources"), 100);
  EXPECT_EQ(f[1].evidence.at("baseline_local_median_sources"), 1200);
  EXPECT_EQ(f[1].evidence.at("ratio_to_local_median"), 3.493);
  EXPECT_EQ(f[1].evidence.at("baseline_local_windows"), 22);
  EXPECT_EQ(f[1].evidence.at("baseline_windows"), 285);
  EXPECT_EQ(f[1].summary,
            "4192 external sources sent 4200 flows to 10.0.0.20 within 5 minutes, 3.493 times the "
            "median of 1200 sources in the 22 windows around it (not counting the busy windows "
            "beside it; thresholds: 1000 sources, 2 times the median around it and 4 times the "
            "median of 100 sources in its other 285 windows).");
  // Where the run's median decides, the sentence is the one it was.
  EXPECT_EQ(f[0].summary,
            "1200 external sources sent 1200 flows to 10.0.0.20 within 5 minutes, 12 times the "
            "median of 100 sources in its other 286 windows (not counting the busy window beside "
            "it; thresholds: 1000 sources and 4 times the median).");
}

// The same flood at 02:00, and a 3-hour one: the night around the short one is its baseline, so
// each window is found; a flood longer than the hour either side (65 minutes, 13 windows) is its
// own baseline past its first and last windows, which are found.
TEST(FanInLocal, AFloodAtNightIsFoundAndALongOneAtItsEnds) {
  EXPECT_EQ(WindowsOf(FanInsOf(OfficeHours(), Flood(24, 4, 3000))),
            (std::vector<uint64_t>{24, 25, 26, 27, 108, 203}));
  EXPECT_EQ(WindowsOf(FanInsOf(OfficeHours(), Flood(24, 13, 3000))).size(), 15u);
  EXPECT_EQ(WindowsOf(FanInsOf(OfficeHours(), Flood(24, 36, 3000))),
            (std::vector<uint64_t>{24, 59, 108, 203}));
}

// Reflection's unsolicited sources are judged the same way: a resolver-like host that gets
// answers nobody asked for on a day/night cycle is a flood at the steps alone.
TEST(FanInLocal, AReflectionDayIsAFloodOnlyAtItsSteps) {
  Detector d{DetectOptions{}};
  AddText(d, DayText(OfficeHours(), kNone, true));
  const auto f = FanIns(d);
  EXPECT_EQ(WindowsOf(f), (std::vector<uint64_t>{108, 203}));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].evidence.at("reflection"), true);
  EXPECT_EQ(f[0].evidence.at("baseline_local_median_unsolicited_sources"), 100);
  EXPECT_EQ(f[0].evidence.at("baseline_local_windows"), 23);
}

// The baselines are computed from the merged state: two parts (the night and the day's records
// in one, a flood in the other) give the findings of one run, byte for byte.
TEST(FanInLocal, MergedPartsGiveOneRunsFindings) {
  const std::vector<uint64_t> s = OfficeHours(), e = Flood(150, 4, 3000);
  const auto one = FanInsOf(s, e);
  Detector a{DetectOptions{}}, b{DetectOptions{}}, merged{DetectOptions{}};
  AddText(a, DayText(s, kNone));
  AddText(b, DayText(std::vector<uint64_t>(kDay, 0), e));
  merged.Merge(a);
  merged.Merge(b);
  const auto parts = FanIns(merged);
  ASSERT_EQ(parts.size(), one.size());
  for (size_t i = 0; i < one.size(); ++i) EXPECT_EQ(FindingJson(parts[i]), FindingJson(one[i]));
}

}  // namespace
}  // namespace flowsift
