// The key-by-key baselines of reject_spike and ddos_fan_in (key_baseline.h), evaluated from a
// key's own windows and the number of its silent ones, against the dense form they replace:
// a timeline of the run's whole span for each key (the code of detect_findings.cc and
// baseline.h before, kept below as it was), compared exactly on random timelines.
#include "pipeline/key_baseline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "pipeline/baseline.h"
#include "pipeline/detect.h"

namespace flowsift {
namespace {

// --- The dense form, as detect_findings.cc and baseline.h had it ---------------------------------

namespace dense {

// A key's baseline windows: the run's span (ascending) and the key's own windows merged, each
// with the key's state there, or null where the key was silent (a zero in the baseline).
template <typename T>
std::vector<std::pair<uint64_t, const T*>> Timeline(
    const std::vector<uint64_t>& span, const std::vector<std::pair<uint64_t, const T*>>& windows) {
  std::vector<std::pair<uint64_t, const T*>> out;
  out.reserve(span.size() + windows.size());
  auto w = windows.begin();
  for (const uint64_t t : span) {
    for (; w != windows.end() && w->first < t; ++w) out.emplace_back(w->first, w->second);
    if (w != windows.end() && w->first == t) {
      out.emplace_back(t, w->second);
      ++w;
    } else {
      out.emplace_back(t, nullptr);
    }
  }
  for (; w != windows.end(); ++w) out.emplace_back(w->first, w->second);
  return out;
}

// The windows of `span` (starts, ascending) of length `window` that overlap `life`: the silent
// windows a key's baseline counts when the run gives its interfaces' lives.
std::vector<uint64_t> WithinLife(const std::vector<uint64_t>& span, const TimeSpan& life,
                                 uint64_t window) {
  std::vector<uint64_t> out;
  for (const uint64_t t : span) {
    if (t < life.end && t + window > life.begin) out.push_back(t);
  }
  return out;
}

// Whether the timeline's entries before and after i are the windows just before and after it
// (Timeline skips the gaps between the run's spans), for Guarded.
template <typename Times>
std::array<bool, 2> AdjacentWindows(const Times& times, size_t i, uint64_t window) {
  return {i > 0 && times[i - 1].first + window == times[i].first,
          i + 1 < times.size() && times[i].first + window == times[i + 1].first};
}

inline Skipped Guarded(const std::vector<uint64_t>& xs, size_t i, const bool adjacent[2],
                       uint64_t least) {
  Skipped s;
  s.at[s.n++] = i;
  if (i > 0 && adjacent[0] && xs[i - 1] >= least) s.at[s.n++] = i - 1;
  if (i + 1 < xs.size() && adjacent[1] && xs[i + 1] >= least) s.at[s.n++] = i + 1;
  s.beside = s.n - 1;
  if (s.n == xs.size()) s = Skipped{{i}, 1};
  return s;
}

inline Skipped Censored(const std::vector<uint64_t>& xs, size_t i, const bool adjacent[2],
                        uint64_t least, const Largest& largest) {
  Skipped s = Guarded(xs, i, adjacent, least);
  for (size_t k = 0; k < largest.n && s.elsewhere < kCensored; ++k) {
    if (s.Has(largest.at[k])) continue;
    s.at[s.n++] = largest.at[k];
    ++s.elsewhere;
  }
  if (s.n == xs.size()) s = Skipped{{i}, 1};
  return s;
}

class LeaveOneOut {
 public:
  explicit LeaveOneOut(std::vector<uint64_t> xs) : xs_(std::move(xs)) {
    for (const uint64_t x : xs_) {
      sum_ += x;  // < 2^64 values of < 2^64: no overflow
      exact_ = exact_ && !__builtin_add_overflow(squares_, Square(x), &squares_);
    }
  }

  const std::vector<uint64_t>& values() const { return xs_; }

  // {mean, standard deviation} of every value but the i-th; {0, 0} when there is no other.
  std::pair<double, double> Without(size_t i) const {
    Skipped skip;
    skip.at[skip.n++] = i;
    return Without(skip);
  }
  // The same without every value at `skip`'s positions.
  std::pair<double, double> Without(const Skipped& skip) const {
    const size_t n = xs_.size() - skip.n;
    if (n == 0) return {0, 0};
    U128 s = sum_, q = squares_;
    for (size_t k = 0; k < skip.n; ++k) {
      s -= xs_[skip.at[k]];
      q -= Square(xs_[skip.at[k]]);
    }
    U128 nq = 0, ss = 0;
    if (!exact_ || __builtin_mul_overflow(q, U128{n}, &nq) || __builtin_mul_overflow(s, s, &ss)) {
      return MeanSdTwoPass(xs_, skip);
    }
    const double dn = static_cast<double>(n);
    // n * q >= s^2 (Cauchy-Schwarz), so the difference is exact and never negative.
    return {static_cast<double>(s) / dn, std::sqrt(static_cast<double>(nq - ss)) / dn};
  }

 private:
  using U128 = unsigned __int128;
  static U128 Square(uint64_t x) { return U128{x} * x; }

  std::vector<uint64_t> xs_;
  U128 sum_ = 0, squares_ = 0;
  bool exact_ = true;
};

class MedianOfOthers {
 public:
  explicit MedianOfOthers(const std::vector<uint64_t>& counts) : sorted_(counts) {
    std::sort(sorted_.begin(), sorted_.end());
  }

  uint64_t Without(uint64_t value) const { return Without(&value, 1); }
  // The median without n of the values (n <= 3, each one of the counts, a value given twice
  // taken out twice): the others' middle element, index m of size - n, found by stepping over
  // the removed ones' sorted positions in ascending order.
  uint64_t Without(const uint64_t* values, size_t n) const {
    if (sorted_.size() <= n) return 0;
    uint64_t removed[3] = {};
    for (size_t k = 0; k < n && k < 3; ++k) {  // insertion sort of at most three
      size_t j = k;
      for (; j > 0 && removed[j - 1] > values[k]; --j) removed[j] = removed[j - 1];
      removed[j] = values[k];
    }
    size_t m = (sorted_.size() - n) / 2;
    for (size_t k = 0; k < n; ++k) {
      size_t p = std::lower_bound(sorted_.begin(), sorted_.end(), removed[k]) - sorted_.begin();
      for (size_t e = 0; e < k; ++e) p += removed[e] == removed[k];  // its copy, the next one
      if (p <= m) ++m;
    }
    return sorted_[m];
  }

 private:
  std::vector<uint64_t> sorted_;
};

}  // namespace dense

// What a finding shows of a window's baseline: how many windows it is of, what it left out and
// why, and the statistics (compared bit for bit).
struct Result {
  size_t own = 0;  // the key's window
  size_t windows = 0, left_out = 0, beside = 0, elsewhere = 0;
  std::vector<uint64_t> left_out_values;  // in Skipped's order
  double mean = 0, sd = 0;
  uint64_t median = 0;
  uint64_t local_median = 0;
  size_t local_windows = 0;
  bool operator==(const Result& o) const {
    return own == o.own && windows == o.windows && left_out == o.left_out && beside == o.beside &&
           elsewhere == o.elsewhere && left_out_values == o.left_out_values &&
           std::memcmp(&mean, &o.mean, sizeof mean) == 0 &&
           std::memcmp(&sd, &o.sd, sizeof sd) == 0 && median == o.median &&
           local_median == o.local_median && local_windows == o.local_windows;
  }
};

Result ResultOf(size_t own, size_t windows, const Skipped& skip) {
  Result r;
  r.own = own;
  r.windows = windows;
  r.left_out = skip.n;
  r.beside = skip.beside;
  r.elsewhere = skip.elsewhere;
  return r;
}

// One key: its windows (ascending, distinct) and their values, in a run's span.
struct Key {
  std::vector<uint64_t> span;  // strictly ascending
  uint64_t window = 300;
  std::optional<TimeSpan> life;
  std::vector<uint64_t> times, values;
  uint64_t least = 1;
  size_t reach = 0;  // ddos_fan_in's local baseline: timeline positions either side
};

using KeyWindows = std::vector<std::pair<uint64_t, const uint64_t*>>;
KeyWindows WindowsOf(const Key& k) {
  KeyWindows w;
  for (size_t j = 0; j < k.times.size(); ++j) w.emplace_back(k.times[j], &k.values[j]);
  return w;
}

// The key's timeline as the dense code built it (its life's span windows and its own), and
// each window's value (0 for a silent one).
auto DenseTimeline(const Key& k, const KeyWindows& key_windows) {
  return dense::Timeline(k.life ? dense::WithinLife(k.span, *k.life, k.window) : k.span,
                         key_windows);
}
template <typename Timeline>
std::vector<uint64_t> DenseValues(const Timeline& times) {
  std::vector<uint64_t> values(times.size(), 0);
  for (size_t i = 0; i < times.size(); ++i) {
    if (times[i].second != nullptr) values[i] = *times[i].second;
  }
  return values;
}

// reject_spike's loop as detect_findings.cc had it.
std::vector<Result> DenseSpikes(const Key& k) {
  const KeyWindows key_windows = WindowsOf(k);
  const auto times = DenseTimeline(k, key_windows);
  const dense::LeaveOneOut baselines(DenseValues(times));
  const Largest largest = LargestAtLeast(baselines.values(), k.least);
  std::vector<Result> out;
  for (size_t i = 0; i < times.size(); ++i) {
    if (times[i].second == nullptr || *times[i].second < k.least) continue;
    const Skipped skip = dense::Censored(
        baselines.values(), i, dense::AdjacentWindows(times, i, k.window).data(), k.least, largest);
    const auto [mean, sd] = baselines.Without(skip);
    Result r = ResultOf(times[i].second - k.values.data(), times.size(), skip);
    for (size_t m = 0; m < skip.n; ++m) r.left_out_values.push_back(baselines.values()[skip.at[m]]);
    r.mean = mean;
    r.sd = sd;
    out.push_back(r);
  }
  return out;
}

// FanInWindows's loop as it was.
std::vector<Result> DenseFanIns(const Key& k) {
  const KeyWindows key_windows = WindowsOf(k);
  const auto times = DenseTimeline(k, key_windows);
  const std::vector<uint64_t> counts = DenseValues(times);
  const dense::MedianOfOthers medians(counts);
  std::vector<Result> out;
  for (size_t i = 0; i < times.size(); ++i) {
    if (times[i].second == nullptr || counts[i] < k.least) continue;
    const Skipped skip =
        dense::Guarded(counts, i, dense::AdjacentWindows(times, i, k.window).data(), k.least);
    uint64_t left_out[3];
    for (size_t m = 0; m < skip.n; ++m) left_out[m] = counts[skip.at[m]];
    Result r = ResultOf(times[i].second - k.values.data(), times.size(), skip);
    r.left_out_values.assign(left_out, left_out + skip.n);
    r.median = medians.Without(left_out, skip.n);
    // The local median by its definition: the positions within reach, sorted, without skip.
    if (k.reach > 0) {
      const size_t lo = i >= k.reach ? i - k.reach : 0;
      const size_t hi = std::min(times.size() - 1, i + k.reach);
      std::vector<uint64_t> around;
      for (size_t p = lo; p <= hi; ++p) {
        if (!skip.Has(p)) around.push_back(counts[p]);
      }
      std::sort(around.begin(), around.end());
      r.local_median = around.empty() ? 0 : around[around.size() / 2];
      r.local_windows = hi - lo + 1;
    }
    out.push_back(r);
  }
  return out;
}

std::vector<Result> SparseSpikes(const Key& k) {
  std::vector<Result> out;
  ForEachSpikeBaseline(SpanWindows(k.span, k.window, k.life ? &*k.life : nullptr), k.window,
                       k.times, k.values, k.least,
                       [&](size_t j, const Skipped& skip, double mean, double sd, size_t windows) {
                         Result r = ResultOf(j, windows, skip);
                         // Positions of the key's values (of the whole timeline when the minimum is
                         // 0).
                         if (k.least > 0) {
                           for (size_t m = 0; m < skip.n; ++m)
                             r.left_out_values.push_back(k.values[skip.at[m]]);
                         }
                         r.mean = mean;
                         r.sd = sd;
                         out.push_back(r);
                       });
  return out;
}

std::vector<Result> SparseFanIns(const Key& k) {
  std::vector<Result> out;
  ForEachFanInBaseline(SpanWindows(k.span, k.window, k.life ? &*k.life : nullptr), k.window,
                       k.times, k.values, k.least, k.reach,
                       [&](size_t j, const Skipped& skip, const FanInBaseline& b) {
                         Result r = ResultOf(j, b.windows, skip);
                         if (k.least > 0) {
                           for (size_t m = 0; m < skip.n; ++m) {
                             r.left_out_values.push_back(k.values[skip.at[m]]);
                           }
                         }
                         r.median = b.median;
                         r.local_median = b.local_median;
                         r.local_windows = b.local_windows;
                         out.push_back(r);
                       });
  return out;
}

// Without the left-out values, which the sparse form gives as positions of the whole timeline
// when the minimum is 0.
std::vector<Result> WithoutValues(std::vector<Result> rs) {
  for (Result& r : rs) r.left_out_values.clear();
  return rs;
}

// A random key of one of the shapes the detectors meet and their edges: a span of one to three
// runs of windows with gaps (aligned, or at arbitrary starts), near 0 or the end of time (where
// t + window wraps), the key busy in a few or most of its windows or all of them, some outside
// the span; lives that cut the span anywhere (before it, after it, empty); values of 0, at and
// around the minimum, ties, and huge ones whose squares and sums overflow 128 bits (the
// two-pass fallback).
Key RandomKey(std::mt19937_64& rng) {
  Key k;
  const auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
  const uint64_t windows[] = {1, 5, 60, 300, 3600};
  k.window = windows[pick(5)];
  const bool aligned = pick(4) != 0;
  uint64_t t0;
  switch (pick(4)) {
    case 0:
      t0 = 0;
      break;
    case 1:  // the end of time: the last windows wrap round
      t0 = UINT64_MAX - pick(40) * k.window - pick(k.window);
      break;
    default:
      t0 = 1700000000 + pick(1000000);
      break;
  }
  if (aligned) t0 -= t0 % k.window;
  // The span: runs of windows one window apart, gaps between them.
  std::set<uint64_t> span;
  const int runs = 1 + static_cast<int>(pick(3));
  uint64_t t = t0;
  for (int r = 0; r < runs; ++r) {
    const uint64_t length = pick(4) == 0 ? pick(3) : pick(120);
    for (uint64_t i = 0; i < length; ++i) {
      span.insert(t);
      if (t > UINT64_MAX - k.window) break;
      t += aligned ? k.window : k.window + pick(2) * pick(k.window + 1);
    }
    const uint64_t gap = (1 + pick(5)) * k.window + (aligned ? 0 : pick(7));
    if (t > UINT64_MAX - gap) break;
    t += gap;
  }
  k.span.assign(span.begin(), span.end());
  // The key's windows: span windows with a probability, and a few of the gaps and beyond.
  const double busy[] = {0.02, 0.2, 0.6, 1.0};
  const double p = busy[pick(4)];
  std::set<uint64_t> own;
  for (const uint64_t s : k.span) {
    if (std::uniform_real_distribution<double>(0, 1)(rng) < p) own.insert(s);
  }
  const uint64_t extra = pick(3) == 0 ? pick(6) : 0;
  for (uint64_t e = 0; e < extra; ++e) {
    const uint64_t base = k.span.empty() ? t0 : k.span[pick(k.span.size())];
    const uint64_t off = pick(8) * k.window + (aligned ? 0 : pick(k.window + 1));
    if (pick(2) == 0 && base >= off) {
      own.insert(base - off);
    } else if (base <= UINT64_MAX - off) {
      own.insert(base + off);
    }
  }
  if (own.empty()) own.insert(k.span.empty() ? t0 : k.span[pick(k.span.size())]);
  k.times.assign(own.begin(), own.end());
  // The minimum and the values.
  const uint64_t leasts[] = {0, 1, 2, 3, 100};
  k.least = leasts[pick(5)];
  const int shape = static_cast<int>(pick(6));
  for (size_t j = 0; j < k.times.size(); ++j) {
    uint64_t v;
    switch (shape) {
      case 0:  // ties: few distinct values around the minimum
        v = std::max<uint64_t>(k.least, 1) * pick(4);
        break;
      case 1:  // zero-heavy
        v = pick(3) == 0 ? pick(4) * (k.least + 1) : 0;
        break;
      case 2:  // huge: sums of squares past 128 bits
        v = UINT64_MAX - pick(1000);
        break;
      case 3:  // large: n * sum of squares past 128 bits
        v = (uint64_t{1} << 62) + pick(1000);
        break;
      case 4:  // a mix of everything
        v = pick(5) == 0 ? UINT64_MAX - pick(3) : pick(3) == 0 ? 0 : pick(300);
        break;
      default:  // background with a spike or two
        v = pick(10) == 0 ? 1000 + pick(3000) : pick(k.least + 2);
        break;
    }
    k.values.push_back(v);
  }
  // The life: none, or one cutting the span anywhere.
  if (pick(2) == 0) {
    const auto around = [&]() -> uint64_t {
      if (pick(6) == 0) return pick(k.window + 2);  // near 0: begin < window
      if (pick(6) == 0) return UINT64_MAX - pick(k.window + 2);
      // A window of the span, often its first or last (the end of time's, when it wraps).
      const uint64_t s = k.span.empty() ? t0
                         : pick(3) == 0 ? (pick(2) == 0 ? k.span.front() : k.span.back())
                                        : k.span[pick(k.span.size())];
      if (pick(2) == 0) {
        // At a window's edges, t + window wrapping round as the dense form's sum does.
        const uint64_t edges[] = {0, 1, k.window - 1, k.window, k.window + 1};
        const uint64_t d = edges[pick(5)];
        return pick(2) == 0 ? s - d : s + d;
      }
      const uint64_t d = pick(3 * k.window + 1);
      return pick(2) == 0 ? (s >= d ? s - d : 0) : (s <= UINT64_MAX - d ? s + d : UINT64_MAX);
    };
    uint64_t a = around(), b = around();
    if (pick(8) != 0 && a > b) std::swap(a, b);  // now and then an empty or reversed life
    k.life = TimeSpan{a, b};
  }
  return k;
}

TEST(KeyBaseline, SpanWindowsAreTheDenseFormsWindowsWithinALife) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 5000; ++trial) {
    const Key k = RandomKey(rng);
    const std::vector<uint64_t> want =
        k.life ? dense::WithinLife(k.span, *k.life, k.window) : k.span;
    const SpanWindows got(k.span, k.window, k.life ? &*k.life : nullptr);
    std::vector<uint64_t> listed;
    got.ForEach([&](uint64_t t) { listed.push_back(t); });
    ASSERT_EQ(listed, want) << "trial " << trial;
    ASSERT_EQ(got.size(), want.size());
    std::vector<uint64_t> probes = k.times;
    for (const uint64_t s : k.span) {
      probes.push_back(s);
      probes.push_back(s + 1);
      probes.push_back(s - 1);
    }
    probes.push_back(0);
    probes.push_back(UINT64_MAX);
    for (const uint64_t t : probes) {
      ASSERT_EQ(got.Below(t),
                static_cast<size_t>(std::lower_bound(want.begin(), want.end(), t) - want.begin()))
          << "trial " << trial << " t " << t;
      ASSERT_EQ(got.Contains(t), std::binary_search(want.begin(), want.end(), t));
    }
  }
}

TEST(KeyBaseline, SpikeBaselinesAreTheDenseTimelinesExactly) {
  std::mt19937_64 rng(5);
  size_t results = 0, huge = 0, with_life = 0, least_zero = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const Key k = RandomKey(rng);
    const std::vector<Result> want = DenseSpikes(k);
    const std::vector<Result> got = SparseSpikes(k);
    if (k.least == 0) {
      ASSERT_EQ(WithoutValues(got), WithoutValues(want)) << "trial " << trial;
      least_zero += want.size();
    } else {
      ASSERT_EQ(got, want) << "trial " << trial;
    }
    results += want.size();
    with_life += k.life ? want.size() : 0;
    for (const uint64_t v : k.values) {
      if (v > (uint64_t{1} << 63)) {
        huge += want.size();
        break;
      }
    }
  }
  // Every kind of case was met.
  EXPECT_GT(results, 50000u);
  EXPECT_GT(huge, 1000u);
  EXPECT_GT(with_life, 10000u);
  EXPECT_GT(least_zero, 1000u);
}

TEST(KeyBaseline, FanInBaselinesAreTheDenseTimelinesExactly) {
  std::mt19937_64 rng(6);
  size_t results = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    Key k = RandomKey(rng);
    const size_t reaches[] = {0, 1, 2, 12, 1000};
    k.reach = reaches[trial % 5];
    const std::vector<Result> want = DenseFanIns(k);
    const std::vector<Result> got = SparseFanIns(k);
    if (k.least == 0) {
      ASSERT_EQ(WithoutValues(got), WithoutValues(want)) << "trial " << trial;
    } else {
      ASSERT_EQ(got, want) << "trial " << trial;
    }
    results += want.size();
  }
  EXPECT_GT(results, 50000u);
}

// What a detector's baseline is in the cases it was made for, by hand: an interface quiet but
// for one burst in a day of windows, and two bursts side by side (the guard), beside a silent
// window between two of its own (no guard).
TEST(KeyBaseline, ABurstInASilentSpanHasTheSilentWindowsAsItsBaseline) {
  std::vector<uint64_t> span;
  for (uint64_t t = 0; t < 288 * 300; t += 300) span.push_back(t);
  const SpanWindows all(span, 300, nullptr);
  std::vector<Result> got;
  const auto keep = [&](size_t j, const Skipped& skip, double mean, double sd, size_t windows) {
    Result r = ResultOf(j, windows, skip);
    r.mean = mean;
    r.sd = sd;
    got.push_back(r);
  };
  ForEachSpikeBaseline(all, 300, {600, 900, 1500}, {500, 400, 10}, 100, keep);
  ASSERT_EQ(got.size(), 2u);
  // 600 and 900 guard each other; 1500 (10 flows) stays, with the 285 silent windows.
  EXPECT_EQ(got[0].windows, 288u);
  EXPECT_EQ(got[0].left_out, 2u);
  EXPECT_EQ(got[0].beside, 1u);
  EXPECT_EQ(got[0].mean, 10.0 / 286);
  EXPECT_EQ(got[1].beside, 1u);
  got.clear();
  // A silent window between: not beside it, and then censored as the busiest other window.
  ForEachSpikeBaseline(all, 300, {600, 1200}, {500, 400}, 100, keep);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].beside, 0u);
  EXPECT_EQ(got[0].elsewhere, 1u);
  EXPECT_EQ(got[0].mean, 0.0);
}

}  // namespace
}  // namespace flowsift
