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
