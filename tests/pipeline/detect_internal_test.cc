// The detector's small containers against plain references: the samples and interface sets
// that nearly every state update passes through, with their common cases inline.
#include "pipeline/detect_internal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace flowsift {
namespace {

TEST(AddSmallest, BoundedKeepsTheSmallestDistinctValuesInOrder) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    // Few distinct values (repeats, the last one again) or many (a full sample that moves).
    const unsigned range = trial % 2 == 0 ? 8 : 1000;
    PortSample sample;
    std::set<uint16_t> all;
    for (int i = 0; i < 60; ++i) {
      const auto x = static_cast<uint16_t>(rng() % range);
      AddSmallest(sample, x, kSamples, std::less<uint16_t>());
      all.insert(x);
      std::vector<uint16_t> want(all.begin(), all.end());
      if (want.size() > kSamples) want.resize(kSamples);
      ASSERT_EQ(std::vector<uint16_t>(sample.begin(), sample.end()), want)
          << "trial " << trial << " step " << i;
    }
  }
}

TEST(InterfaceSet, KeepsTheBytewiseSmallestNamesAsIdsSortedByName) {
  std::mt19937 rng(11);
  Names names;
  std::vector<uint32_t> ids;
  // Names of every shape the byte order has to get right: different early, sharing a long
  // prefix, prefixes of each other (shorter than 8 bytes too), bytes above 0x7f (unsigned).
  const std::vector<std::string> prefixes = {"eni-", "eni-0123", "e", "en", "eni-\xe9"};
  for (int i = 0; i < 40; ++i) {
    const std::string& prefix = prefixes[i % prefixes.size()];
    const uint32_t id = names.Id(prefix + std::to_string(rng() % (i % 2 == 0 ? 100000 : 10)));
    if (id == ids.size()) ids.push_back(id);
  }
  for (int trial = 0; trial < 100; ++trial) {
    InterfaceSet set;
    std::set<std::string> all;
    for (int i = 0; i < 30; ++i) {
      // Mostly one or two interfaces, as a state sees them, sometimes many.
      const uint32_t id = ids[trial % 3 == 0 ? rng() % ids.size() : rng() % 2];
      set.Add(id, names);
      all.insert(names.names[id]);
      std::vector<std::string> want(all.begin(), all.end());
      if (want.size() > kMaxInterfaces) want.resize(kMaxInterfaces);
      std::vector<std::string> got;
      for (uint32_t x : set.ids) got.push_back(names.names[x]);
      ASSERT_EQ(got, want) << "trial " << trial << " step " << i;
    }
  }
}

// The set of active buckets against a std::set: buckets near the first (the bitmap), far off
// on both sides (the list), below 4,096 before any other (the bitmap's first place), the last
// ones of the range, merges of two sets, and repeats.
TEST(ActiveTimes, HoldsEveryBucketOnceInOrder) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    ActiveTimes a, b;
    std::set<uint64_t> want;
    const uint64_t centre = trial % 3 == 0 ? 3 : trial % 3 == 1 ? 5'666'666 : UINT64_MAX - 100;
    const int n = 1 + static_cast<int>(rng() % 3000);
    for (int i = 0; i < n; ++i) {
      uint64_t x;
      switch (rng() % 6) {
        case 0:
          x = rng();
          break;  // anywhere
        case 1:
          x = rng() % 8192;
          break;  // 1970
        case 2:
          x = UINT64_MAX - rng() % 8192;
          break;  // the end of the range
        default:
          x = centre + rng() % 5000 - std::min<uint64_t>(centre, 2500);
          break;
      }
      (rng() % 2 ? a : b).Add(x);
      want.insert(x);
    }
    a.Merge(b);
    a.Merge(b);  // again: nothing new
    EXPECT_EQ(a.Buckets(), std::vector<uint64_t>(want.begin(), want.end())) << trial;
  }
  EXPECT_TRUE(ActiveTimes().Buckets().empty());
}

}  // namespace
}  // namespace flowsift
