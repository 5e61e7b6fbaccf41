// A key's baseline over its other windows, for every window at once: the statistics that
// reject_spike and exfiltration (mean and standard deviation) and ddos_fan_in (median) compare
// one window with, each without that window.
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

// Mean and population standard deviation of `xs` without element `skip` (all of `xs` when
// skip >= xs.size()), in two passes: the reference, and the fallback below.
inline std::pair<double, double> MeanSdTwoPass(const std::vector<uint64_t>& xs, size_t skip) {
  const size_t n = xs.size() - (skip < xs.size() ? 1 : 0);
  if (n == 0) return {0, 0};
  double sum = 0;
  for (size_t i = 0; i < xs.size(); ++i) sum += i == skip ? 0 : static_cast<double>(xs[i]);
  const double mean = sum / static_cast<double>(n);
  double var = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i != skip) {
      const double d = static_cast<double>(xs[i]) - mean;
      var += d * d;
    }
  }
  return {mean, std::sqrt(var / static_cast<double>(n))};
}

// Leave-one-out mean and deviation from the sum and the sum of squares, held exactly in 128
// bits: n * sum(x^2) - sum(x)^2 is then exact, with no cancellation however large the values
// against their spread (bytes of 1e12 that vary by 1e3). Values whose squares overflow 128
// bits (byte counts near 2^64, only in crafted input) fall back to the two-pass form.
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
    const size_t n = xs_.size() - 1;
    if (n == 0) return {0, 0};
    const U128 s = sum_ - xs_[i];
    const U128 q = squares_ - Square(xs_[i]);
    U128 nq = 0, ss = 0;
    if (!exact_ || __builtin_mul_overflow(q, U128{n}, &nq) || __builtin_mul_overflow(s, s, &ss)) {
      return MeanSdTwoPass(xs_, i);
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

// The median of `counts` without its i-th value (the upper one of an even count; 0 for none),
// from one sorted copy: without the value at sorted position p, the others' middle element
// (index m of n - 1) is sorted[m] when m < p and sorted[m + 1] otherwise. Equal values are
// interchangeable, so any position of the value serves.
class MedianOfOthers {
 public:
  explicit MedianOfOthers(const std::vector<uint64_t>& counts) : sorted_(counts) {
    std::sort(sorted_.begin(), sorted_.end());
  }

  uint64_t Without(uint64_t value) const {
    if (sorted_.size() < 2) return 0;
    const size_t m = (sorted_.size() - 1) / 2;
    const size_t p = std::lower_bound(sorted_.begin(), sorted_.end(), value) - sorted_.begin();
    return m < p ? sorted_[m] : sorted_[m + 1];
  }

 private:
  std::vector<uint64_t> sorted_;
};

}  // namespace flowsift
