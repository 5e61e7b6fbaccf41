#include "pipeline/flat_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "pipeline/distinct.h"

namespace flowsift {
namespace {

struct Key {
  uint64_t a = 0;
  uint32_t b = 0;
  bool operator==(const Key&) const = default;
  bool operator<(const Key& o) const { return a != o.a ? a < o.a : b < o.b; }
};
struct KeyHash {
  uint64_t operator()(const Key& k) const { return Mix64(k.a ^ (uint64_t{k.b} << 40)); }
};
// A value that owns memory, as detection's states do (vectors, port sets).
struct Value {
  uint64_t sum = 0;
  std::vector<uint32_t> seen;
};

// Keys drawn from a small range so that most repeat, through many doublings of the tables.
std::vector<Key> RandomKeys(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Key> keys(n);
  for (Key& k : keys) k = {rng() % 5000, static_cast<uint32_t>(rng() % 3)};
  return keys;
}

TEST(FlatMap, AgreesWithStdMapThroughRehashes) {
  FlatMap<Key, uint64_t, KeyHash> map;
  std::map<Key, uint64_t> reference;
  for (const Key& k : RandomKeys(40000, 1)) {
    map[k] += k.a + 1;
    reference[k] += k.a + 1;
  }
  ASSERT_EQ(map.size(), reference.size());
  size_t seen = 0;
  for (const auto& [k, v] : map) {
    EXPECT_EQ(v, reference.at(k));
    ++seen;
  }
  EXPECT_EQ(seen, reference.size());
  EXPECT_EQ(map.Find(Key{999999, 0}), nullptr);
}

// Checks `map` against `reference`: every key found with its value, and iteration visits each
// entry once.
template <typename Map>
void ExpectSameEntries(const Map& map, const std::map<Key, Value>& reference) {
  ASSERT_EQ(map.size(), reference.size());
  for (const auto& [k, v] : reference) {
    const Value* found = map.Find(k);
    ASSERT_NE(found, nullptr) << k.a << "/" << k.b;
    EXPECT_EQ(found->sum, v.sum);
    EXPECT_EQ(found->seen, v.seen);
  }
  size_t seen = 0;
  for (const auto& entry : map) {
    EXPECT_EQ(entry.second.sum, reference.at(entry.first).sum);
    ++seen;
  }
  EXPECT_EQ(seen, reference.size());
}

// Tables of 2 MiB and more grow in place (GrowTable, then RehashInPlace): 300,000 keys with
// values that own memory take the table through four in-place doublings.
TEST(FlatMap, GrowsBigTablesInPlaceKeepingEveryEntry) {
  FlatMap<Key, Value, KeyHash> map;
  std::map<Key, Value> reference;
  std::mt19937_64 rng(5);
  for (uint32_t i = 0; i < 400000; ++i) {
    const Key k{rng() % 300000, 0};
    Value& v = map[k];
    v.sum += i;
    v.seen.push_back(i);
    reference[k].sum += i;
    reference[k].seen.push_back(i);
  }
  ExpectSameEntries(map, reference);
}

// A hash that sends one key in 40 to the table's last slot: a cluster there that wraps around
// to the first slots, through every doubling, so that the in-place rehash meets probes that run
// off the end into slots it has not visited yet.
struct EndHeavyHash {
  uint64_t operator()(const Key& k) const {
    const uint64_t h = KeyHash{}(k);
    return k.a % 40 == 0 ? h | 0xFFFFFFFFull : h;
  }
};

TEST(FlatMap, GrowsInPlaceWhenClustersWrapAroundTheEnd) {
  FlatMap<Key, Value, EndHeavyHash> map;
  std::map<Key, Value> reference;
  for (uint32_t i = 0; i < 200000; ++i) {
    const Key k{i, 1};
    map[k].sum = i;
    reference[k].sum = i;
  }
  ExpectSameEntries(map, reference);
  // Reserve may grow by more than a doubling.
  map.Reserve(1200000);
  ExpectSameEntries(map, reference);
}

// Values of 2 KiB make a table of 1,024 slots 2 MiB, so small key sets take the in-place path;
// many random ones, with a fifth of the keys piled up just before the table's end (wrapping
// around it), try the orders of clusters a doubling can meet.
struct BigValue {
  uint64_t sum = 0;
  char pad[2040] = {};
};
struct ClusteredHash {
  uint64_t operator()(const Key& k) const {
    const uint64_t h = KeyHash{}(k);
    return k.b == 0 ? (h & ~uint64_t{0xFFF}) | (0xFFF - k.a % 9) : h;
  }
};

TEST(FlatMap, GrowsInPlaceCorrectlyForRandomClusters) {
  for (uint32_t seed = 0; seed < 60; ++seed) {
    FlatMap<Key, BigValue, ClusteredHash> map;
    std::map<Key, uint64_t> reference;
    std::mt19937_64 rng(seed);
    const size_t n = 700 + rng() % 2500;
    for (size_t i = 0; i < n; ++i) {
      const Key k{rng() % 4000, rng() % 5 == 0 ? 0u : 1u};
      map[k].sum += i + 1;
      reference[k] += i + 1;
    }
    ASSERT_EQ(map.size(), reference.size()) << "seed " << seed;
    for (const auto& [k, sum] : reference) {
      const BigValue* v = map.Find(k);
      ASSERT_NE(v, nullptr) << "seed " << seed << " key " << k.a << "/" << k.b;
      EXPECT_EQ(v->sum, sum);
    }
  }
}

TEST(DenseMap, AgreesWithStdMapIteratesInInsertionOrderAndKeepsReferences) {
  DenseMap<Key, Value, KeyHash> map;
  std::map<Key, Value> reference;
  std::vector<Key> order;  // first sight of each key
  std::vector<std::pair<Key, const Value*>> held;
  for (const Key& k : RandomKeys(40000, 2)) {
    if (!reference.count(k)) order.push_back(k);
    Value& v = map.FindOrInsert(k, KeyHash{}(k));
    v.sum += k.a + 1;
    v.seen.push_back(static_cast<uint32_t>(v.sum));
    Value& r = reference[k];
    r.sum += k.a + 1;
    r.seen.push_back(static_cast<uint32_t>(r.sum));
    if (held.size() < 100) held.push_back({k, &v});
  }
  ASSERT_EQ(map.size(), reference.size());
  size_t i = 0;
  for (const auto& [k, v] : map) {
    ASSERT_LT(i, order.size());
    EXPECT_EQ(k, order[i++]);
    EXPECT_EQ(v.sum, reference.at(k).sum);
    EXPECT_EQ(v.seen, reference.at(k).seen);
  }
  EXPECT_EQ(i, order.size());
  // References taken early still point at their keys' values after thousands of inserts.
  for (const auto& [k, v] : held) EXPECT_EQ(map.Find(k), v);
  EXPECT_EQ(map.Find(Key{999999, 0}), nullptr);
}

TEST(DenseMap, MovesLeaveTheSourceEmptyAndUsable) {
  DenseMap<Key, Value, KeyHash> a;
  for (uint64_t i = 0; i < 3000; ++i) a[Key{i, 0}].sum = i;
  DenseMap<Key, Value, KeyHash> b(std::move(a));
  EXPECT_EQ(b.size(), 3000u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(a.begin(), a.end());
  a[Key{7, 1}].sum = 70;  // a moved-from map takes new keys
  EXPECT_EQ(a.size(), 1u);
  b = std::move(a);  // replaces (and frees) b's 3000 entries
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b.Find(Key{7, 1})->sum, 70u);
  EXPECT_EQ(b.Find(Key{7, 0}), nullptr);
  b = {};
  EXPECT_TRUE(b.empty());
}

}  // namespace
}  // namespace flowsift
