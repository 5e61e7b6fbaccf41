// The one-pass baselines against their definitions: every window's leave-one-out mean and
// deviation against the two-pass form, and its median of the others against a sort of them.
#include "pipeline/baseline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace flowsift {
namespace {

// Values of the shapes the detectors see: small counts with many zeros (an interface's rejects
// over silent windows), large byte counts that vary little against their size (where a sum of
// squares in doubles cancels), and one outlier far above the rest (the window that is a spike).
std::vector<uint64_t> Values(std::mt19937_64& rng, int shape, size_t n) {
  std::vector<uint64_t> xs(n);
  for (uint64_t& x : xs) {
    switch (shape) {
      case 0:
        x = rng() % 3 == 0 ? rng() % 200 : 0;
        break;
      case 1:
        x = (uint64_t{1} << 40) + rng() % 1000;
        break;
      default:
        x = rng() % 100;
        break;
    }
  }
  if (shape == 2 && n > 0) xs[rng() % n] = uint64_t{1} << 50;
  return xs;
}

TEST(LeaveOneOut, MatchesTheTwoPassMeanAndDeviationOfTheOtherValues) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const auto xs = Values(rng, trial % 3, 1 + rng() % 60);
    const LeaveOneOut baseline(xs);
    for (size_t i = 0; i < xs.size(); ++i) {
      const auto [mean, sd] = baseline.Without(i);
      // The exact value, from long double sums of the others around their own mean.
      long double sum = 0;
      for (size_t j = 0; j < xs.size(); ++j) sum += j == i ? 0 : xs[j];
      const size_t n = xs.size() - 1;
      const long double want_mean = n == 0 ? 0 : sum / n;
      long double var = 0;
      for (size_t j = 0; j < xs.size(); ++j) {
        if (j != i) var += (xs[j] - want_mean) * (xs[j] - want_mean);
      }
      const long double want_sd = n == 0 ? 0 : std::sqrt(var / n);
      ASSERT_NEAR(mean, want_mean, 1e-12 * (1 + want_mean)) << "trial " << trial << " i " << i;
      ASSERT_NEAR(sd, want_sd, 1e-9 * (1 + want_sd)) << "trial " << trial << " i " << i;
      // The form the detectors used before, on values whose sums doubles hold exactly.
      if (trial % 3 != 1) {
        const auto [mean2, sd2] = MeanSdTwoPass(xs, i);
        ASSERT_EQ(mean, mean2) << "trial " << trial << " i " << i;
        ASSERT_NEAR(sd, sd2, 1e-12 * (1 + sd2)) << "trial " << trial << " i " << i;
      }
    }
  }
}

TEST(LeaveOneOut, LargeValuesWithASmallSpreadKeepTheirDeviation) {
  // 2^40 + {0, 1000, 2000}: a sum of squares in doubles (2^81) has no bits left for a spread
  // of 1000; the exact sums give sqrt(2/3) * 1000 for all three.
  const uint64_t base = uint64_t{1} << 40;
  const LeaveOneOut baseline({base, base + 1000, base + 2000, base + 1000});
  const auto [mean, sd] = baseline.Without(1);
  EXPECT_EQ(mean, static_cast<double>(base + 1000));
  EXPECT_NEAR(sd, std::sqrt(2.0 / 3.0) * 1000, 1e-9);
}

TEST(LeaveOneOut, SquaresBeyond128BitsFallBackToTwoPasses) {
  const uint64_t big = std::numeric_limits<uint64_t>::max();
  const std::vector<uint64_t> xs = {big, big, big - 4, 0, 7};
  const LeaveOneOut baseline(xs);
  for (size_t i = 0; i < xs.size(); ++i) {
    EXPECT_EQ(baseline.Without(i), MeanSdTwoPass(xs, i)) << i;
  }
}

TEST(LeaveOneOut, ASingleWindowHasNoBaseline) {
  const LeaveOneOut baseline({500});
  EXPECT_EQ(baseline.Without(0), std::make_pair(0.0, 0.0));
  // The two-pass forms too, the one of a key's own windows among silent ones included (0 / 0
  // would be NaN): no value is left.
  EXPECT_EQ(MeanSdTwoPass({500}, 0), std::make_pair(0.0, 0.0));
  Skipped both;
  both.at[both.n++] = 0;
  both.at[both.n++] = 1;
  EXPECT_EQ(MeanSdTwoPass({UINT64_MAX, 7}, {0, 1}, 2, both), std::make_pair(0.0, 0.0));
}

TEST(MedianOfOthers, MatchesTheMiddleOfTheOtherValuesSorted) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    // Few distinct values (ties around the middle) or many.
    const uint64_t range = trial % 2 == 0 ? 4 : 100000;
    std::vector<uint64_t> counts(1 + rng() % 40);
    for (uint64_t& c : counts) c = rng() % range;
    const MedianOfOthers medians(counts);
    for (size_t i = 0; i < counts.size(); ++i) {
      std::vector<uint64_t> others;
      for (size_t j = 0; j < counts.size(); ++j) {
        if (j != i) others.push_back(counts[j]);
      }
      std::sort(others.begin(), others.end());
      const uint64_t want = others.empty() ? 0 : others[others.size() / 2];
      ASSERT_EQ(medians.Without(counts[i]), want) << "trial " << trial << " i " << i;
    }
  }
}

// A key's silent windows given as their number (key_baseline.h) are the same as that many zeros
// among its counts: for the median of the others, and for the mean and deviation bit for bit,
// through the two-pass fallback too (values whose squares overflow 128 bits), where each 0 is
// taken in its place.
TEST(MedianOfOthers, ZerosGivenAsTheirNumberAreZerosAmongTheCounts) {
  std::mt19937_64 rng(4);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint64_t> counts(rng() % 12);
    for (uint64_t& c : counts) c = rng() % 3 == 0 ? 0 : rng() % (trial % 2 == 0 ? 4 : 1000);
    const size_t zeros = rng() % 3 == 0 ? 0 : rng() % 20;
    std::vector<uint64_t> all = counts;
    all.insert(all.end(), zeros, 0);
    const MedianOfOthers sparse(counts, zeros), dense(all);
    for (int k = 0; k < 10 && !all.empty(); ++k) {
      // Up to three of the values, each at most as often as it is there.
      std::vector<uint64_t> pool = all;
      std::shuffle(pool.begin(), pool.end(), rng);
      const size_t n = std::min<size_t>(pool.size(), rng() % 4);
      ASSERT_EQ(sparse.Without(pool.data(), n), dense.Without(pool.data(), n))
          << "trial " << trial << " n " << n;
    }
  }
}

TEST(LeaveOneOut, ZerosInTheirPlacesAreZerosAmongTheValues) {
  std::mt19937_64 rng(9);
  for (int trial = 0; trial < 2000; ++trial) {
    const size_t size = 1 + rng() % 40;
    std::vector<uint64_t> dense(size, 0), xs;
    std::vector<size_t> positions;
    for (size_t p = 0; p < size; ++p) {
      if (rng() % 3 != 0) continue;
      const uint64_t big = trial % 3 == 0 ? UINT64_MAX - rng() % 100 : uint64_t{1} << 62;
      dense[p] = rng() % 2 == 0 ? big : rng() % 500;
      xs.push_back(dense[p]);
      positions.push_back(p);
    }
    const LeaveOneOut sparse(xs, positions, size), whole(dense);
    for (size_t i = 0; i < xs.size(); ++i) {
      Skipped skip, dense_skip;
      skip.at[skip.n++] = i;
      dense_skip.at[dense_skip.n++] = positions[i];
      if (i + 1 < xs.size() && rng() % 2 == 0) {
        skip.at[skip.n++] = i + 1;
        dense_skip.at[dense_skip.n++] = positions[i + 1];
      }
      const auto got = sparse.Without(skip), want = whole.Without(dense_skip);
      ASSERT_EQ(std::memcmp(&got, &want, sizeof got), 0)
          << "trial " << trial << " i " << i << ": " << got.first << " " << got.second << " vs "
          << want.first << " " << want.second;
    }
  }
}

}  // namespace
// Leaving out up to three positions (the window tested and the busy ones beside it) gives the
// mean, deviation and median of the values that remain, as computed from them directly.
TEST(Baseline, LeavingOutSeveralPositionsMatchesTheRemainingValues) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const auto xs = Values(rng, trial % 3, 1 + rng() % 30);
    const LeaveOneOut baseline(xs);
    const MedianOfOthers medians(xs);
    for (size_t i = 0; i < xs.size(); ++i) {
      Skipped skip;
      skip.at[skip.n++] = i;
      for (const size_t j : {i - 1, i + 1}) {  // i - 1 wraps past the end for i = 0
        if (j < xs.size() && rng() % 2 == 0) skip.at[skip.n++] = j;
      }
      std::vector<uint64_t> rest, left_out;
      for (size_t j = 0; j < xs.size(); ++j) (skip.Has(j) ? left_out : rest).push_back(xs[j]);
      const auto [mean, sd] = baseline.Without(skip);
      const auto [want_mean, want_sd] = MeanSdTwoPass(rest, rest.size());
      ASSERT_NEAR(mean, want_mean, 1e-9 * (1 + want_mean)) << "trial " << trial << " i " << i;
      ASSERT_NEAR(sd, want_sd, 1e-6 * (1 + want_sd)) << "trial " << trial << " i " << i;
      std::sort(rest.begin(), rest.end());
      const uint64_t want_median = rest.empty() ? 0 : rest[rest.size() / 2];
      ASSERT_EQ(medians.Without(left_out.data(), left_out.size()), want_median)
          << "trial " << trial << " i " << i;
    }
  }
}

TEST(Baseline, GuardsLeaveOutOnlyBusyAdjacentNeighboursAndNeverEveryWindow) {
  const bool both[2] = {true, true}, none[2] = {false, false};
  const std::vector<uint64_t> xs = {0, 5, 322, 356, 99, 100, 0};
  // 356's busy neighbour 322 is left out; 99 is under the minimum of 100 and stays.
  Skipped s = Guarded(xs, 3, both, 100);
  EXPECT_EQ(s.n, 2u);
  EXPECT_TRUE(s.Has(3) && s.Has(2) && !s.Has(4));
  s = Guarded(xs, 2, both, 100);
  EXPECT_TRUE(s.n == 2 && s.Has(3));
  // Not adjacent in time (a gap in the run's spans): nothing beside it is left out.
  EXPECT_EQ(Guarded(xs, 3, none, 100).n, 1u);
  s = Guarded(xs, 5, both, 100);
  EXPECT_EQ(s.n, 1u);  // 99 and 0 beside it are under the minimum
  // Three busy windows: the middle one's guards would leave nothing, so only it is left out.
  const std::vector<uint64_t> three = {150, 150, 150};
  EXPECT_EQ(Guarded(three, 1, both, 100).n, 1u);
  EXPECT_EQ(Guarded(three, 0, both, 100).n, 2u);
  EXPECT_EQ(Guarded(std::vector<uint64_t>{500, 500}, 0, both, 100).n, 1u);
}

TEST(Baseline, LargestAtLeastKeepsTheLargestOverTheMinimumEarlierFirstOnTies) {
  const std::vector<uint64_t> xs = {300, 5, 100, 700, 99, 300, 150, 100, 900};
  const Largest l = LargestAtLeast(xs, 100);
  ASSERT_EQ(l.n, kCensorCandidates);  // 7 reach 100: the 5 largest kept
  const size_t want[kCensorCandidates] = {8, 3, 0, 5, 6};
  for (size_t k = 0; k < l.n; ++k) EXPECT_EQ(l.at[k], want[k]) << k;
  EXPECT_EQ(LargestAtLeast(xs, 1000).n, 0u);
  const Largest two = LargestAtLeast(std::vector<uint64_t>{100, 100}, 100);
  ASSERT_EQ(two.n, 2u);
  EXPECT_EQ(two.at[0], 0u);
  EXPECT_EQ(two.at[1], 1u);
}

TEST(Baseline, CensoredLeavesOutTheTwoLargestOthersNotAlreadyOutAndNeverEveryWindow) {
  const bool both[2] = {true, true};
  const std::vector<uint64_t> xs = {0, 43, 201, 156, 1, 0, 0, 0, 0, 2, 321, 1};
  const Largest l = LargestAtLeast(xs, 100);
  // 201: its neighbour 156 beside it, then the largest other, 321 (156 is out already).
  Skipped s = Censored(xs, 2, both, 100, l);
  EXPECT_EQ(s.n, 3u);
  EXPECT_EQ(s.beside, 1u);
  EXPECT_EQ(s.elsewhere, 1u);
  EXPECT_TRUE(s.Has(2) && s.Has(3) && s.Has(10));
  // 321: nothing busy beside it; the two largest others, 201 and 156.
  s = Censored(xs, 10, both, 100, l);
  EXPECT_EQ(s.n, 3u);
  EXPECT_EQ(s.beside, 0u);
  EXPECT_EQ(s.elsewhere, 2u);
  EXPECT_TRUE(s.Has(2) && s.Has(3));
  // Four busy windows of four: the guard and the censored would leave none, so only the window.
  const std::vector<uint64_t> four = {150, 160, 170, 180};
  s = Censored(four, 0, both, 100, LargestAtLeast(four, 100));
  EXPECT_EQ(s.n, 1u);
  EXPECT_EQ(s.beside + s.elsewhere, 0u);
  // Five: the window, its neighbour and the two largest others; one stays.
  const std::vector<uint64_t> five = {150, 160, 170, 180, 190};
  s = Censored(five, 0, both, 100, LargestAtLeast(five, 100));
  EXPECT_EQ(s.n, 4u);
  EXPECT_TRUE(s.Has(0) && s.Has(1) && s.Has(4) && s.Has(3) && !s.Has(2));
}

}  // namespace flowsift
