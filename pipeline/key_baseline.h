// One key's baselines over the run's windows, for reject_spike and ddos_fan_in: the key's own
// windows and its silent ones, each 0 (baseline.h's statistics over the timeline of both).
//
// A silent window is 0, under the detectors' minimum (at least 1): never a window tested, a
// guard or one censored, and adjacency is a question of the key's own windows ("has it one at
// t - w, with no silent window between?"). A baseline needs only how many silent windows there
// are: they add to n and not to the sums, and sort first for a median. So a key is evaluated
// from its own windows and binary searches of the run's span, O(own windows x log span), not
// over a timeline of the whole span: 4,000 interfaces with one burst of REJECTs each in a run of
// 400,000 five-minute windows had taken 26 s (0.6 s without detection), and four times as long
// at twice the input. The findings are those of the dense timeline, byte for byte
// (key_baseline_test.cc keeps that form and compares them on random timelines).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "pipeline/baseline.h"
#include "pipeline/detect.h"

namespace flowsift {

// The run's windows that a key's baseline counts: `span` (the windows' starts, strictly
// ascending, each of length `window`), or when `life` is given those that overlap it
// (t < life.end and t + window > life.begin, in uint64_t arithmetic, so the last window of
// time's end wraps round), as at most two ranges of span's positions. `span` must outlive it.
class SpanWindows {
 public:
  SpanWindows(const std::vector<uint64_t>& span, uint64_t window, const TimeSpan* life)
      : span_(&span) {
    const size_t n = span.size();
    if (life == nullptr) {
      range_[0] = {0, n};
      return;
    }
    const size_t end = Position(life->end);  // t < life.end: a prefix
    // t + window does not wrap before `wraps`; from there on it is t - (2^64 - window).
    const size_t wraps = window == 0 ? n : After(UINT64_MAX - window);
    // Not wrapping: t + window > begin is t > begin - window, or every t when begin < window.
    const size_t first = life->begin >= window ? After(life->begin - window) : 0;
    // Wrapping: t - (2^64 - window) > begin; none when begin >= window, else t > begin -
    // window + 2^64, which is begin - window in uint64_t.
    const size_t first_wrapped = life->begin >= window ? n : After(life->begin - window);
    range_[0] = {std::min(first, wraps), std::min(wraps, end)};
    range_[1] = {std::max(first_wrapped, wraps), end};
    for (auto& r : range_) r.second = std::max(r.first, r.second);
  }

  size_t size() const { return Size(range_[0]) + Size(range_[1]); }
  // How many of the windows start before t.
  size_t Below(uint64_t t) const {
    const size_t p = Position(t);
    size_t below = 0;
    for (const auto& r : range_) below += std::clamp(p, r.first, r.second) - r.first;
    return below;
  }
  bool Contains(uint64_t t) const {
    const size_t p = Position(t);
    if (p == span_->size() || (*span_)[p] != t) return false;
    return std::any_of(range_.begin(), range_.end(),
                       [&](const auto& r) { return p >= r.first && p < r.second; });
  }
  // f(t) for each window, ascending.
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& r : range_) {
      for (size_t p = r.first; p < r.second; ++p) f((*span_)[p]);
    }
  }

 private:
  static size_t Size(const std::pair<size_t, size_t>& r) { return r.second - r.first; }
  // The position of the first window at or after t, and after t (span's size when none is).
  size_t Position(uint64_t t) const {
    return std::lower_bound(span_->begin(), span_->end(), t) - span_->begin();
  }
  size_t After(uint64_t t) const {
    return std::upper_bound(span_->begin(), span_->end(), t) - span_->begin();
  }

  const std::vector<uint64_t>* span_;
  std::array<std::pair<size_t, size_t>, 2> range_{};  // [first, end), ascending, disjoint
};

// A key's own windows (`times`, ascending and distinct) in its timeline: the union of them and
// the SpanWindows, in order. Both may hold a window; the key's own windows outside the span
// (past its cap, or outside a life) are in the timeline too.
class KeyTimeline {
 public:
  KeyTimeline(const SpanWindows& silent, const std::vector<uint64_t>& times, uint64_t window)
      : positions_(times.size()), beside_(times.size() + 1) {
    size_t shared = 0;  // own windows that are span windows too, so far
    size_t below_last = 0;
    bool in_last = false;
    for (size_t j = 0; j < times.size(); ++j) {
      const size_t below = silent.Below(times[j]);
      const bool in = silent.Contains(times[j]);
      // Before it: the own windows, and the span's below it that are not own windows.
      positions_[j] = j + below - shared;
      // Its neighbour before it is the own window j - 1 when no span window lies between.
      beside_[j] = j > 0 && times[j - 1] + window == times[j] && below - below_last - in_last == 0;
      shared += in;
      below_last = below;
      in_last = in;
    }
    size_ = silent.size() + times.size() - shared;
  }

  // The timeline's length: the windows a baseline is of (with the tested one).
  size_t size() const { return size_; }
  // Each own window's position in the timeline.
  const std::vector<size_t>& positions() const { return positions_; }
  // Whether own windows j - 1 and j + 1 are j's neighbours in the timeline and the windows just
  // before and after it (AdjacentWindows of the timeline, where the neighbour counts: a silent
  // one, 0, is never a guard).
  std::array<bool, 2> Beside(size_t j) const { return {beside_[j], beside_[j + 1]}; }

 private:
  std::vector<size_t> positions_;
  std::vector<bool> beside_;  // [j]: own windows j - 1 and j are neighbours, a window apart
  size_t size_ = 0;
};

// A ddos_fan_in window's two baselines: the median of the key's whole timeline and the median
// of the timeline's positions within a reach either side of it (its local baseline: a site's
// busy hours are compared with its busy hours, not with the night), both without the windows
// Guarded leaves out (silent windows 0). `windows` and `local_windows` count the timeline's
// positions each is of, the tested window and the ones left out among them.
struct FanInBaseline {
  uint64_t median = 0;
  size_t windows = 0;
  uint64_t local_median = 0;
  size_t local_windows = 0;
};

namespace key_baseline_internal {

inline constexpr size_t kSilent = SIZE_MAX;

// The timeline with every window as an own one, silent ones 0, and `own` the index in `times`
// of each (kSilent for a silent one): a detector's minimum of 0 makes silent windows guards and
// censored ones, so they are then evaluated as own windows (a configuration refuses a minimum
// of 0; DetectOptions may still hold one).
struct Dense {
  std::vector<uint64_t> times, values;
  std::vector<size_t> own;
};
inline Dense Densify(const SpanWindows& silent, const std::vector<uint64_t>& times,
                     const std::vector<uint64_t>& values) {
  Dense d;
  size_t j = 0;
  const auto own_until = [&](uint64_t t, bool inclusive) {
    for (; j < times.size() && (times[j] < t || (inclusive && times[j] == t)); ++j) {
      d.times.push_back(times[j]);
      d.values.push_back(values[j]);
      d.own.push_back(j);
    }
  };
  silent.ForEach([&](uint64_t t) {
    own_until(t, false);
    if (j < times.size() && times[j] == t) {
      own_until(t, true);
    } else {
      d.times.push_back(t);
      d.values.push_back(0);
      d.own.push_back(kSilent);
    }
  });
  own_until(UINT64_MAX, true);
  return d;
}

template <typename Emit>
void SpikeBaselinesOf(const SpanWindows& silent, uint64_t window,
                      const std::vector<uint64_t>& times, std::vector<uint64_t> values,
                      uint64_t least, const std::vector<size_t>* own, Emit&& emit) {
  const KeyTimeline timeline(silent, times, window);
  const LeaveOneOut baselines(std::move(values), timeline.positions(), timeline.size());
  const std::vector<uint64_t>& xs = baselines.values();
  const Largest largest = LargestAtLeast(xs, least);
  for (size_t j = 0; j < xs.size(); ++j) {
    if ((own != nullptr && (*own)[j] == kSilent) || xs[j] < least) continue;
    const Skipped skip =
        Censored(xs, j, timeline.Beside(j).data(), least, largest, timeline.size());
    const auto [mean, sd] = baselines.Without(skip);
    emit(own != nullptr ? (*own)[j] : j, skip, mean, sd, timeline.size());
  }
}

template <typename Emit>
void FanInBaselinesOf(const SpanWindows& silent, uint64_t window,
                      const std::vector<uint64_t>& times, const std::vector<uint64_t>& counts,
                      uint64_t least, size_t reach, const std::vector<size_t>* own, Emit&& emit) {
  const KeyTimeline timeline(silent, times, window);
  const MedianOfOthers medians(counts, timeline.size() - counts.size());
  const std::vector<size_t>& at = timeline.positions();
  RangeMedian local(reach > 0 ? counts : std::vector<uint64_t>());
  size_t first = 0, end = 0;  // the own windows in the local range: [first, end)
  for (size_t j = 0; j < counts.size(); ++j) {
    if ((own != nullptr && (*own)[j] == kSilent) || counts[j] < least) continue;
    const Skipped skip = Guarded(counts, j, timeline.Beside(j).data(), least, timeline.size());
    uint64_t left_out[3];
    for (size_t k = 0; k < skip.n; ++k) left_out[k] = counts[skip.at[k]];
    FanInBaseline b;
    b.median = medians.Without(left_out, skip.n);
    b.windows = timeline.size();
    if (reach > 0) {
      // Timeline positions [lo, hi]; the guards are positions beside at[j], so within them.
      const size_t lo = at[j] >= reach ? at[j] - reach : 0;
      const size_t hi = std::min(timeline.size() - 1, at[j] + std::min(reach, SIZE_MAX - at[j]));
      for (; end < counts.size() && at[end] <= hi; ++end) local.Add(counts[end]);
      for (; at[first] < lo; ++first) local.Remove(counts[first]);
      b.local_windows = hi - lo + 1;
      b.local_median = local.Without(left_out, skip.n, b.local_windows - local.size());
    }
    emit(own != nullptr ? (*own)[j] : j, skip, b);
  }
}

}  // namespace key_baseline_internal

// reject_spike's baselines of one key: its own windows at `times` (ascending, distinct) with
// `values`, the SpanWindows `silent` 0. For each own window j whose value is at least `least`,
// in order, emit(j, skip, mean, sd, windows): the mean and deviation without `skip` (Censored:
// the window, its busy neighbours, the two busiest others; positions of `values`, or of the
// whole timeline when `least` is 0), `windows` the timeline's length.
template <typename Emit>
void ForEachSpikeBaseline(const SpanWindows& silent, uint64_t window,
                          const std::vector<uint64_t>& times, std::vector<uint64_t> values,
                          uint64_t least, Emit&& emit) {
  using namespace key_baseline_internal;
  if (least == 0) {
    Dense d = Densify(silent, times, values);
    SpikeBaselinesOf(silent, window, d.times, std::move(d.values), least, &d.own, emit);
    return;
  }
  SpikeBaselinesOf(silent, window, times, std::move(values), least, nullptr, emit);
}

// ddos_fan_in's: for each own window j whose count is at least `least`, emit(j, skip,
// FanInBaseline): the medians of the timeline's counts without `skip` (Guarded), of all of it
// and of the positions within `reach` of j's (none when `reach` is 0).
template <typename Emit>
void ForEachFanInBaseline(const SpanWindows& silent, uint64_t window,
                          const std::vector<uint64_t>& times, const std::vector<uint64_t>& counts,
                          uint64_t least, size_t reach, Emit&& emit) {
  using namespace key_baseline_internal;
  if (least == 0) {
    const Dense d = Densify(silent, times, counts);
    FanInBaselinesOf(silent, window, d.times, d.values, least, reach, &d.own, emit);
    return;
  }
  FanInBaselinesOf(silent, window, times, counts, least, reach, nullptr, emit);
}

}  // namespace flowsift
