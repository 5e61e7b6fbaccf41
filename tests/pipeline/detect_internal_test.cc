// The detector's small containers against plain references: the samples and interface sets
// that nearly every state update passes through, with their common cases inline.
#include "pipeline/detect_internal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "pipeline/serial.h"

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

// --- the heaviest destinations past the list ---------------------------------------------------

Addr128 V4(uint32_t x) { return kernels::AddrFromIPv4(x); }

// Uploads to many destinations with a few heavy ones: every heavy one is named, with an upper
// bound of its bytes that is at least its bytes and within the bucket's others; nothing that
// is not a destination is ever named, whatever the mix.
TEST(HeavyDsts, NamesTheHeavyDestinationsAndNothingElse) {
  std::mt19937_64 rng(21);
  for (int trial = 0; trial < 40; ++trial) {
    HeavyDsts sketch;
    std::map<Addr128, uint64_t> truth;
    const int light = 1100 + static_cast<int>(rng() % 4000);
    uint64_t light_total = 0;
    for (int i = 0; i < light; ++i) {
      // IPv6 destinations in a third of the trials: every bit of the address counts.
      const Addr128 a = trial % 3 == 0 ? Addr128{rng(), rng()} : V4(static_cast<uint32_t>(rng()));
      const uint64_t bytes = 1 + rng() % 2'000'000;
      sketch.Add(a, bytes);
      truth[a] += bytes;
      light_total += bytes;
    }
    // 1-3 destinations each with more than every light byte together: the majority of their
    // buckets however the light ones fall.
    const int heavy = 1 + trial % 3;
    std::vector<Addr128> heavies;
    for (int i = 0; i < heavy; ++i) {
      const Addr128 a = V4(0xC6336400u + static_cast<uint32_t>(i));  // 198.51.100.x
      for (int part = 0; part < 4; ++part) sketch.Add(a, light_total / 4 + 1 + i);
      truth[a] += 4 * (light_total / 4 + 1 + i);
      heavies.push_back(a);
    }
    const auto top = sketch.Top(5);
    for (const Addr128& a : heavies) {
      const auto it =
          std::find_if(top.begin(), top.end(), [&](const auto& e) { return e.first == a; });
      ASSERT_NE(it, top.end()) << "trial " << trial;
      EXPECT_GE(it->second, truth[a]);
      EXPECT_LE(it->second, truth[a] + light_total);
    }
    for (const auto& [a, bytes] : top) {
      ASSERT_TRUE(truth.count(a)) << "named a destination never sent to, trial " << trial;
      EXPECT_GE(bytes, truth[a]);
    }
    EXPECT_TRUE(std::is_sorted(top.begin(), top.end(),
                               [](const auto& x, const auto& y) { return x.second > y.second; }));
  }
}

// A destination that shares its bucket with `a` (the sketch's bucket is the hash's remainder).
Addr128 SameBucket(const Addr128& a, uint32_t from) {
  for (uint32_t i = from;; ++i) {
    const Addr128 b = V4(i);
    if (b != a && HashAddr(b) % HeavyDsts::kBuckets == HashAddr(a) % HeavyDsts::kBuckets) return b;
  }
}

// Two destinations of equal bytes in one bucket: neither is a majority, and the sketch names
// nothing rather than a mixture of their bits; a byte more makes one the majority, named with
// its exact bytes.
TEST(HeavyDsts, NoMajorityNamesNothing) {
  const Addr128 a = V4(0x0A000001);
  const Addr128 b = SameBucket(a, 0x0A000002);
  HeavyDsts tie;
  tie.Add(a, 500);
  tie.Add(b, 250);
  tie.Add(b, 250);
  EXPECT_TRUE(tie.Top(5).empty());
  HeavyDsts more = tie;
  more.Add(a, 1);
  ASSERT_EQ(more.Top(5).size(), 1u);
  EXPECT_EQ(more.Top(5)[0].first, a);
  EXPECT_EQ(more.Top(5)[0].second, 501u);
  EXPECT_TRUE(HeavyDsts().Top(5).empty());
  // IPv6 the same (every bit added, none implied by the IPv4 prefix).
  const Addr128 v6{0x20010DB800000000, 7};
  HeavyDsts six;
  six.Add(v6, 3);
  six.Add(a, 1);
  ASSERT_FALSE(six.Top(5).empty());
  EXPECT_EQ(six.Top(5)[0].first, v6);
}

// With one other destination in a bucket the bound is exact: the bucket's total less the bytes
// on the side of a bit the two differ in. With two that each differ in a bit of their own, it
// may count one of them (never less than the true bytes).
TEST(HeavyDsts, TheBoundIsExactWithOneOther) {
  const Addr128 a = V4(0xC6336407);
  HeavyDsts sketch;
  sketch.Add(a, 900);
  sketch.Add(SameBucket(a, 0xC6336408), 100);
  ASSERT_EQ(sketch.Top(5).size(), 1u);
  EXPECT_EQ(sketch.Top(5)[0].first, a);
  EXPECT_EQ(sketch.Top(5)[0].second, 900u);
  sketch.Add(SameBucket(a, 0xC6336500), 100);
  ASSERT_EQ(sketch.Top(5).size(), 1u);
  EXPECT_GE(sketch.Top(5)[0].second, 900u);
  EXPECT_LE(sketch.Top(5)[0].second, 1000u);
  // At most n, heaviest first.
  HeavyDsts many;
  for (uint32_t i = 0; i < 8; ++i) many.Add(V4(0x0A000000 + i), 1000 * (i + 1));
  EXPECT_LE(many.Top(2).size(), 2u);
}

// Sums near 2^63 saturate together: the total stays the largest sum (Load's check), and the
// heaviest destination is still named.
TEST(HeavyDsts, SaturatedSumsStayConsistent) {
  const Addr128 a = V4(0xC6336401), b = SameBucket(a, 0xC6336402);
  HeavyDsts sketch;
  sketch.Add(a, kMaxSum - 10);
  sketch.Add(a, 100);
  sketch.Add(b, 5);
  ASSERT_EQ(sketch.Top(5).size(), 1u);
  EXPECT_EQ(sketch.Top(5)[0].first, a);
  EXPECT_LE(sketch.Top(5)[0].second, kMaxSum);
  std::string bytes;
  ByteWriter w(bytes);
  sketch.Save(w);
  HeavyDsts loaded;
  ByteReader r(bytes);
  ASSERT_TRUE(loaded.Load(r));
  EXPECT_EQ(loaded.Top(5), sketch.Top(5));
}

// The sketch is its pairs' sums: any order, any split merged, a save and load give the same.
TEST(HeavyDsts, OrderSplitsAndSavesDoNotChangeIt) {
  std::mt19937_64 rng(8);
  std::vector<std::pair<Addr128, uint64_t>> pairs;
  for (int i = 0; i < 3000; ++i)
    pairs.push_back({V4(static_cast<uint32_t>(rng() % 500)), rng() % 1000});
  pairs.push_back({V4(0xC6336401), 10'000'000});
  HeavyDsts whole;
  for (const auto& [a, b] : pairs) whole.Add(a, b);
  std::shuffle(pairs.begin(), pairs.end(), rng);
  HeavyDsts x, y;
  for (size_t i = 0; i < pairs.size(); ++i)
    (i % 3 == 0 ? x : y).Add(pairs[i].first, pairs[i].second);
  std::string saved;
  ByteWriter w(saved);
  y.Save(w);
  HeavyDsts loaded;
  ByteReader r(saved);
  ASSERT_TRUE(loaded.Load(r));
  loaded.Merge(x);
  EXPECT_EQ(loaded.Top(5), whole.Top(5));
  ASSERT_FALSE(whole.Top(5).empty());
  EXPECT_EQ(whole.Top(5)[0].first, V4(0xC6336401));
  // Merged into an empty sketch, and an empty one merged in: the same again.
  HeavyDsts copy;
  copy.Merge(whole);
  copy.Merge(HeavyDsts());
  EXPECT_EQ(copy.Top(5), whole.Top(5));
  // An empty sketch saves as one byte and loads as empty.
  std::string empty;
  ByteWriter e(empty);
  HeavyDsts().Save(e);
  EXPECT_EQ(empty.size(), 1u);
}

TEST(HeavyDsts, LoadRefusesMalformedSketches) {
  HeavyDsts sketch;
  sketch.Add(V4(0x0A000001), 100);
  std::string bytes;
  ByteWriter w(bytes);
  sketch.Save(w);
  // A bit's sum above its bucket's total (every bucket's total cleared: 10.0.0.1's bits and
  // IPv4 bytes are 100 in its own).
  std::string bad = bytes;
  for (size_t i = 0; i < HeavyDsts::kBuckets; ++i) {
    std::memset(bad.data() + 1 + i * HeavyDsts::kStride * 8, 0, 8);
  }
  HeavyDsts a;
  ByteReader r1(bad);
  EXPECT_FALSE(a.Load(r1));
  std::string form = bytes;
  form[0] = 2;
  HeavyDsts b;
  ByteReader r2(form);
  EXPECT_FALSE(b.Load(r2));
  HeavyDsts c;
  ByteReader r3(std::string_view(bytes).substr(0, bytes.size() - 1));
  EXPECT_FALSE(c.Load(r3));
  HeavyDsts d;
  ByteReader r4(bytes);
  ASSERT_TRUE(d.Load(r4));
  EXPECT_EQ(d.Top(5), sketch.Top(5));
}

}  // namespace
}  // namespace flowsift
