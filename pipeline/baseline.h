// A key's baseline over its other windows, for every window at once: the statistics that
// reject_spike and exfiltration (mean and standard deviation) and ddos_fan_in (median) compare
// one window with, each without that window (and, for reject_spike and ddos_fan_in, without the
// busy windows beside it: Guarded; for reject_spike also the busiest others: Censored).
//
// Computed window by window from scratch, a baseline is a pass over the key's timeline, and a
// key over its threshold in every window (an internet-facing interface rejecting a scan a
// second all month: 8,640 five-minute windows) cost span^2: 7.5e7 steps for each such
// interface, a year of windows 1.1e10. These take one pass (one sort for the median) and answer
// each window in O(1) (O(log n)), with the same results: the median exactly, the mean and
// deviation from exact integer sums, so within a rounding of the two-pass form they replace.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace flowsift {

// The positions a baseline leaves out: the window tested, up to two beside it (Guarded) and
// up to two busy ones elsewhere (Censored).
struct Skipped {
  size_t at[5] = {};
  size_t n = 0;
  size_t beside = 0, elsewhere = 0;  // of n: the guards, the censored
  bool Has(size_t i) const { return std::find(at, at + n, i) != at + n; }
};

// Mean and population standard deviation of `xs` without the elements at `skip` (distinct
// positions below xs.size()), in two passes: the reference, and the fallback below.
inline std::pair<double, double> MeanSdTwoPass(const std::vector<uint64_t>& xs,
                                               const Skipped& skip) {
  const size_t n = xs.size() - skip.n;
  if (n == 0) return {0, 0};
  double sum = 0;
  for (size_t i = 0; i < xs.size(); ++i) sum += skip.Has(i) ? 0 : static_cast<double>(xs[i]);
  const double mean = sum / static_cast<double>(n);
  double var = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!skip.Has(i)) {
      const double d = static_cast<double>(xs[i]) - mean;
      var += d * d;
    }
  }
  return {mean, std::sqrt(var / static_cast<double>(n))};
}
inline std::pair<double, double> MeanSdTwoPass(const std::vector<uint64_t>& xs, size_t skip) {
  Skipped s;
  if (skip < xs.size()) s.at[s.n++] = skip;
  return MeanSdTwoPass(xs, s);
}
// The same of `size` values that are xs at `positions` (ascending, below size) and 0 elsewhere,
// `skip` positions of xs (a 0 is never left out), with the very operations of the form above on
// the `size` values in order: a 0 adds nothing to the sum (of values >= 0, +0.0 leaves it as it
// is) but its square of the mean to the variance, in its place.
inline std::pair<double, double> MeanSdTwoPass(const std::vector<uint64_t>& xs,
                                               const std::vector<size_t>& positions, size_t size,
                                               const Skipped& skip) {
  const size_t n = size - skip.n;
  if (n == 0) return {0, 0};
  double sum = 0;
  for (size_t i = 0; i < xs.size(); ++i) sum += skip.Has(i) ? 0 : static_cast<double>(xs[i]);
  const double mean = sum / static_cast<double>(n);
  double var = 0;
  size_t next = 0;  // the position of the next value
  const auto zeros_until = [&](size_t end) {
    for (; next < end; ++next) {
      const double d = static_cast<double>(uint64_t{0}) - mean;
      var += d * d;
    }
  };
  for (size_t i = 0; i < xs.size(); ++i) {
    zeros_until(positions[i]);
    if (!skip.Has(i)) {
      const double d = static_cast<double>(xs[i]) - mean;
      var += d * d;
    }
    ++next;
  }
  zeros_until(size);
  return {mean, std::sqrt(var / static_cast<double>(n))};
}

// What the baseline of xs[i] leaves out: xs[i], and each window beside it in time
// (adjacent[0] for i - 1, adjacent[1] for i + 1: the timeline's neighbours are the windows
// before and after it, not across a gap in the run's spans) whose value is at least `least`,
// the detector's own minimum. An event that straddles a window boundary crosses the minimum
// in two windows, and its other half had been the largest value of its baseline: a port's
// 322 and 356 rejected flows in two 5-minute windows of an hour made z = 3.7 for the 356 (and
// less for the 322), no reject_spike, though each is far above the hour's quiet. Radar's CFAR
// detectors keep such "guard cells" out of the noise estimate for the same reason. A neighbour
// under the minimum is ordinary background and stays. When the guards would leave no window,
// only xs[i] is left out: a run of three busy windows is its own baseline, as it was.
//
// `windows`: how many windows the baseline is of, xs.size() or more when xs are only a key's
// own windows and the others silent, each 0 and so under `least` (at least 1); `adjacent` then
// says whether xs[i - 1] and xs[i + 1] are the timeline's neighbours of xs[i] and the windows
// beside it (a silent window between them is a neighbour under the minimum).
inline Skipped Guarded(const std::vector<uint64_t>& xs, size_t i, const bool adjacent[2],
                       uint64_t least, size_t windows) {
  Skipped s;
  s.at[s.n++] = i;
  if (i > 0 && adjacent[0] && xs[i - 1] >= least) s.at[s.n++] = i - 1;
  if (i + 1 < xs.size() && adjacent[1] && xs[i + 1] >= least) s.at[s.n++] = i + 1;
  s.beside = s.n - 1;
  if (s.n == windows) s = Skipped{{i}, 1};
  return s;
}
inline Skipped Guarded(const std::vector<uint64_t>& xs, size_t i, const bool adjacent[2],
                       uint64_t least) {
  return Guarded(xs, i, adjacent, least, xs.size());
}

// The positions of the kCensorCandidates largest values of xs that are at least `least`,
// largest first (equal values: the earlier position first), for Censored.
inline constexpr size_t kCensored = 2;
// The window tested and its two guards may be among the largest: kCensored more than they.
inline constexpr size_t kCensorCandidates = kCensored + 3;
struct Largest {
  size_t at[kCensorCandidates] = {};
  size_t n = 0;
};
inline Largest LargestAtLeast(const std::vector<uint64_t>& xs, uint64_t least) {
  Largest l;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (xs[i] < least) continue;
    size_t j = l.n < kCensorCandidates ? l.n++ : kCensorCandidates;
    for (; j > 0 && xs[l.at[j - 1]] < xs[i]; --j) {
      if (j < kCensorCandidates) l.at[j] = l.at[j - 1];
    }
    if (j < kCensorCandidates) l.at[j] = i;
  }
  return l;
}

// Guarded, and also without the kCensored largest other windows that reach `least` (from
// `largest`, LargestAtLeast of the same xs): two spikes of one run each in the other's
// baseline hide each other (masking). A port scan's 321 rejected flows in one 5-minute window
// and a blocked app tier's 201 in another of the same hour gave z = 1.8 and 3.3 against the
// hour's quiet (0 to 43), and neither was found. Radar's censored-mean CFAR detectors drop the
// largest reference cells for the same reason. Only windows over the minimum are left out, so
// a quiet baseline is whole, and in a run of many windows two fewer change little: an interface
// busy in every window is still compared with its others (and the detectors' ratio to the
// mean keeps a chronically busy one from counting its busier windows). When this would leave no
// window, only xs[i] is left out, as in Guarded. `windows` as Guarded's: the silent windows
// under the minimum are never among the largest.
inline Skipped Censored(const std::vector<uint64_t>& xs, size_t i, const bool adjacent[2],
                        uint64_t least, const Largest& largest, size_t windows) {
  Skipped s = Guarded(xs, i, adjacent, least, windows);
  for (size_t k = 0; k < largest.n && s.elsewhere < kCensored; ++k) {
    if (s.Has(largest.at[k])) continue;
    s.at[s.n++] = largest.at[k];
    ++s.elsewhere;
  }
  if (s.n == windows) s = Skipped{{i}, 1};
  return s;
}
inline Skipped Censored(const std::vector<uint64_t>& xs, size_t i, const bool adjacent[2],
                        uint64_t least, const Largest& largest) {
  return Censored(xs, i, adjacent, least, largest, xs.size());
}

// Leave-one-out mean and deviation from the sum and the sum of squares, held exactly in 128
// bits: n * sum(x^2) - sum(x)^2 is then exact, with no cancellation however large the values
// against their spread (bytes of 1e12 that vary by 1e3). Values whose squares overflow 128
// bits (byte counts near 2^64, only in crafted input) fall back to the two-pass form.
class LeaveOneOut {
 public:
  explicit LeaveOneOut(std::vector<uint64_t> xs) : xs_(std::move(xs)), size_(xs_.size()) {
    for (const uint64_t x : xs_) {
      sum_ += x;  // < 2^64 values of < 2^64: no overflow
      exact_ = exact_ && !__builtin_add_overflow(squares_, Square(x), &squares_);
    }
  }
  // The baselines of `size` values: xs at `positions` (ascending, below size), 0 elsewhere (a
  // key's own windows among the run's, the others silent). A 0 adds nothing to the sums, only
  // to n; the two-pass fallback takes the zeros in their places. Positions of values (i,
  // Skipped) are of xs.
  LeaveOneOut(std::vector<uint64_t> xs, std::vector<size_t> positions, size_t size)
      : LeaveOneOut(std::move(xs)) {
    positions_ = std::move(positions);
    size_ = size;
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
    const size_t n = size_ - skip.n;
    if (n == 0) return {0, 0};
    U128 s = sum_, q = squares_;
    for (size_t k = 0; k < skip.n; ++k) {
      s -= xs_[skip.at[k]];
      q -= Square(xs_[skip.at[k]]);
    }
    U128 nq = 0, ss = 0;
    if (!exact_ || __builtin_mul_overflow(q, U128{n}, &nq) || __builtin_mul_overflow(s, s, &ss)) {
      return size_ == xs_.size() ? MeanSdTwoPass(xs_, skip)
                                 : MeanSdTwoPass(xs_, positions_, size_, skip);
    }
    const double dn = static_cast<double>(n);
    // n * q >= s^2 (Cauchy-Schwarz), so the difference is exact and never negative.
    return {static_cast<double>(s) / dn, std::sqrt(static_cast<double>(nq - ss)) / dn};
  }

 private:
  using U128 = unsigned __int128;
  static U128 Square(uint64_t x) { return U128{x} * x; }

  std::vector<uint64_t> xs_;
  std::vector<size_t> positions_;  // of xs_ among size_ values; empty when size_ is xs_.size()
  size_t size_ = 0;
  U128 sum_ = 0, squares_ = 0;
  bool exact_ = true;
};

// The median of `size` sorted values without n of them (n <= 3, each one of the values, a value
// given twice taken out twice; the upper one of an even count; 0 for none): the others' middle
// element, index m of size - n, found by stepping over the removed ones' sorted positions in
// ascending order. The first `zeros` sorted values are 0s held as their number; `below(v)` is
// how many of the others (the values past the zeros) are below v, and `at(i)` the i-th of them.
// Without the value at sorted position p, the others' middle element is the m-th when m < p and
// the (m + 1)-th otherwise; equal values are interchangeable, so any position of a value serves
// (a 0's is 0; any other value's is `zeros` more than among the others).
template <typename Below, typename At>
uint64_t MedianWithout(size_t size, size_t zeros, const uint64_t* values, size_t n, Below&& below,
                       At&& at) {
  if (size <= n) return 0;
  uint64_t removed[3] = {};
  for (size_t k = 0; k < n && k < 3; ++k) {  // insertion sort of at most three
    size_t j = k;
    for (; j > 0 && removed[j - 1] > values[k]; --j) removed[j] = removed[j - 1];
    removed[j] = values[k];
  }
  size_t m = (size - n) / 2;
  for (size_t k = 0; k < n; ++k) {
    size_t p = removed[k] == 0 ? 0 : zeros + below(removed[k]);
    for (size_t e = 0; e < k; ++e) p += removed[e] == removed[k];  // its copy, the next one
    if (p <= m) ++m;
  }
  return m < zeros ? 0 : at(m - zeros);
}

// The median of `counts` without some of them, from one sorted copy (MedianWithout).
//
// `zeros` more counts of 0 (a key's silent windows) are the first `zeros` of the sorted values,
// held as their number.
class MedianOfOthers {
 public:
  explicit MedianOfOthers(const std::vector<uint64_t>& counts, size_t zeros = 0)
      : sorted_(counts), zeros_(zeros) {
    std::sort(sorted_.begin(), sorted_.end());
  }

  uint64_t Without(uint64_t value) const { return Without(&value, 1); }
  // The median without n of the values (n <= 3, each one of the counts).
  uint64_t Without(const uint64_t* values, size_t n) const {
    return MedianWithout(
        zeros_ + sorted_.size(), zeros_, values, n,
        [&](uint64_t v) {
          return static_cast<size_t>(std::lower_bound(sorted_.begin(), sorted_.end(), v) -
                                     sorted_.begin());
        },
        [&](size_t i) { return sorted_[i]; });
  }

 private:
  std::vector<uint64_t> sorted_;
  size_t zeros_ = 0;
};

// The median of a changing multiset of a key's counts (those of a range of its windows that
// slides along its timeline), each change and each median in O(log n): a Fenwick tree of how
// many of each distinct count are held, over the counts sorted once. A median of the range's
// sorted copy, window by window, would cost the range's length each (24 at an hour of 5-minute
// windows, but 8,760 at a year's reach of hourly ones); a year of windows is n (baseline.h's
// header), so n log n it is.
class RangeMedian {
 public:
  // `counts`: every value that will be added (any order, repeats allowed).
  explicit RangeMedian(const std::vector<uint64_t>& counts) : keys_(counts) {
    std::sort(keys_.begin(), keys_.end());
    keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
    tree_.assign(keys_.size() + 1, 0);
    for (top_ = 1; top_ * 2 <= keys_.size();) top_ *= 2;
  }

  // Holds one more (Add) or one fewer (Remove) of `value`, one of the constructor's counts
  // (Remove: one held).
  void Add(uint64_t value) { Change(value, true); }
  void Remove(uint64_t value) { Change(value, false); }
  size_t size() const { return held_; }

  // The median of the held values and `zeros` 0s more, without n of the held values (n <= 3),
  // as MedianOfOthers::Without.
  uint64_t Without(const uint64_t* values, size_t n, size_t zeros) const {
    return MedianWithout(
        zeros + held_, zeros, values, n, [&](uint64_t v) { return Prefix(Index(v)); },
        [&](size_t i) { return At(i); });
  }

 private:
  size_t Index(uint64_t v) const {
    return std::lower_bound(keys_.begin(), keys_.end(), v) - keys_.begin();
  }
  void Change(uint64_t value, bool add) {
    for (size_t i = Index(value) + 1; i < tree_.size(); i += i & (~i + 1)) {
      tree_[i] = add ? tree_[i] + 1 : tree_[i] - 1;
    }
    held_ = add ? held_ + 1 : held_ - 1;
  }
  // How many held values are among the first `end` distinct counts.
  size_t Prefix(size_t end) const {
    size_t n = 0;
    for (size_t i = end; i > 0; i -= i & (~i + 1)) n += tree_[i];
    return n;
  }
  // The i-th smallest held value (i < size()): the first distinct count whose prefix passes i,
  // found by descending the tree's powers of two.
  uint64_t At(size_t i) const {
    size_t pos = 0;
    for (size_t step = top_; step > 0; step /= 2) {
      if (pos + step < tree_.size() && tree_[pos + step] <= i) {
        pos += step;
        i -= tree_[pos];
      }
    }
    return keys_[pos];
  }

  std::vector<uint64_t> keys_;  // the distinct counts, ascending
  std::vector<size_t> tree_;    // Fenwick: tree_[i] holds the counts of keys (i - lowbit(i), i]
  size_t top_ = 1;              // the largest power of two <= keys_.size()
  size_t held_ = 0;
};

}  // namespace flowsift
