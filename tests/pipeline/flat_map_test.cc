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

// Mix64 is a bijection: its inverse gives keys whose hashes are chosen by the test (a tag
// shared by many keys, a hash whose high half is zero), with KeyHash as it is.
uint64_t InverseOdd(uint64_t c) {
  uint64_t inv = c;  // Newton's iteration: each step doubles the correct low bits
  for (int i = 0; i < 6; ++i) inv *= 2 - c * inv;
  return inv;
}
uint64_t InverseMix64(uint64_t x) {
  x ^= (x >> 31) ^ (x >> 62);
  x *= InverseOdd(0x94D049BB133111EBull);
  x ^= (x >> 27) ^ (x >> 54);
  x *= InverseOdd(0xBF58476D1CE4E5B9ull);
  x ^= (x >> 30) ^ (x >> 60);
  return x;
}
Key KeyWithHash(uint64_t h) {
  const Key k{InverseMix64(h), 0};
  EXPECT_EQ(KeyHash{}(k), h);
  return k;
}

TEST(FlatMap, FindsNothingInAnEmptyMapAndNothingAbsentAfterAnyInsert) {
  FlatMap<Key, uint64_t, KeyHash> map;
  EXPECT_EQ(map.Find(Key{1, 0}), nullptr);
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.begin(), map.end());
  for (uint64_t i = 0; i < 200; ++i) {
    map[Key{i, 0}] = i + 1;
    for (uint64_t j = 0; j <= i; j += 1 + i / 8) ASSERT_EQ(*map.Find(Key{j, 0}), j + 1);
    for (uint64_t j = 1000; j < 1010; ++j) ASSERT_EQ(map.Find(Key{j, 0}), nullptr) << i;
  }
}

// The tag (a hash's high half) only screens key compares: keys that share it, start their
// probe in one slot, or have a high half of zero (tag 0 marks an empty slot) all stay apart.
TEST(FlatMap, KeysThatShareATagOrHaveAZeroHighHalfStayApart) {
  std::vector<Key> keys;
  for (uint64_t j = 0; j < 30; ++j) keys.push_back(KeyWithHash(0xABCD123400000000ull | j << 24));
  for (uint64_t j = 0; j < 30; ++j) keys.push_back(KeyWithHash(j << 8 | 5));  // high half 0
  for (uint64_t j = 0; j < 30; ++j) keys.push_back(KeyWithHash(uint64_t{1} << 32 | j << 8 | 5));
  FlatMap<Key, uint64_t, KeyHash> map;
  std::map<Key, uint64_t> reference;
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < keys.size(); ++i) {
      map[keys[i]] += i + 1;
      reference[keys[i]] += i + 1;
    }
  }
  ASSERT_EQ(map.size(), keys.size());
  size_t seen = 0;
  for (const auto& [k, v] : map) {
    EXPECT_EQ(v, reference.at(k));
    ++seen;
  }
  EXPECT_EQ(seen, keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint64_t* v = map.Find(keys[i]);
    ASSERT_NE(v, nullptr) << i;
    EXPECT_EQ(*v, 2 * (i + 1)) << i;
  }
}

// Reserve only makes room: asking for fewer keys than the map holds keeps them all.
TEST(FlatMap, ReserveForFewerKeysThanHeldKeepsThemAll) {
  FlatMap<Key, uint64_t, KeyHash> map;
  for (uint64_t i = 0; i < 1000; ++i) map[Key{i, 1}] = i;
  for (const size_t n : {size_t{0}, size_t{10}, size_t{999}, size_t{5000}}) {
    map.Reserve(n);
    ASSERT_EQ(map.size(), 1000u);
    for (uint64_t i = 0; i < 1000; ++i) ASSERT_EQ(*map.Find(Key{i, 1}), i) << n;
  }
  for (uint64_t i = 1000; i < 5000; ++i) map[Key{i, 1}] = i;
  EXPECT_EQ(map.size(), 5000u);
  FlatMap<Key, uint64_t, KeyHash> moved(std::move(map));
  EXPECT_EQ(moved.size(), 5000u);
  EXPECT_TRUE(map.empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(map.Find(Key{1, 1}), nullptr);
  map[Key{1, 1}] = 7;
  moved = std::move(map);
  EXPECT_EQ(moved.size(), 1u);
  EXPECT_EQ(*moved.Find(Key{1, 1}), 7u);
}

}  // namespace
}  // namespace flowsift
