#include "pipeline/name_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace flowsift {
namespace {

// Names of every length from 0 to max_len, each also with one byte changed to each of `chars`
// anywhere.
std::vector<std::string> OneByteVariants(size_t max_len, std::string_view chars) {
  const std::string full = "eni-0123456789abcdef0123456789abcdef0123";
  std::vector<std::string> pool;
  for (size_t len = 0; len <= max_len; ++len) {
    const std::string base = full.substr(0, len);
    pool.push_back(base);
    for (size_t at = 0; at < len; ++at) {
      for (const char c : chars) {
        std::string s = base;
        s[at] = c;
        pool.push_back(s);
      }
    }
  }
  return pool;
}

// `lookups` names drawn from `pool` get the ids a std::map assigns in first-seen order, and
// every name added gets its id again; returns how many were added.
template <typename Index>
size_t ExpectIdsOfAMap(Index& index, const std::vector<std::string>& pool, int lookups,
                       uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> names;
  std::map<std::string, uint32_t> reference;
  const auto name_of = [&](uint32_t k) -> std::string_view { return names[k]; };
  for (int i = 0; i < lookups; ++i) {
    const std::string& name = pool[rng() % pool.size()];
    const auto count = static_cast<uint32_t>(names.size());
    const uint32_t id = index.FindOrAdd(name, count, name_of);
    const auto [it, added] = reference.emplace(name, count);
    EXPECT_EQ(id, it->second) << i << " '" << name << "'";
    if (id == count) names.push_back(name);
    if (names.size() != reference.size()) return 0;
  }
  for (uint32_t k = 0; k < names.size(); ++k) {
    EXPECT_EQ(index.FindOrAdd(names[k], static_cast<uint32_t>(names.size()), name_of), k)
        << names[k];
  }
  return names.size();
}

// Interface-like names of every length from 0 to 40 bytes that differ in one byte anywhere
// (HashName reads names of 8 to 24 bytes as three overlapping words), drawn so that most
// repeat: ids are dense in first-seen order and stable through the index's growth, as a
// std::map assigns them.
TEST(NameIndex, IdsInFirstSeenOrderThroughGrowth) {
  std::vector<std::string> pool = OneByteVariants(40, std::string_view("xy\0", 3));
  std::mt19937_64 rng(5);
  for (int i = 0; i < 3000; ++i) pool.push_back("eni-" + std::to_string(rng()));
  NameIndex index;
  EXPECT_GT(ExpectIdsOfAMap(index, pool, 60000, 5), 3000u);
}

// Every name hashed alike: each lookup then probes past every other name, so the compares alone
// tell names apart, both a short name's bytes kept in its slot and a long one's through
// name_of. Names of every length from 0 to 30 and each with one byte changed anywhere.
uint64_t OneHash(std::string_view) { return 0x9E3779B97F4A7C15ull; }

TEST(NameIndex, CompareAloneWhenEveryHashCollides) {
  const std::vector<std::string> pool = OneByteVariants(30, std::string_view("x\0", 2));
  BasicNameIndex<OneHash> index;
  EXPECT_GT(ExpectIdsOfAMap(index, pool, 8000, 7), 900u);  // nearly all of the pool
}

// HashName reads every byte of a name (name_key.h): names of every length from 0 to 40 that
// differ in one byte anywhere hash apart. The index would still tell such names apart by their
// bytes, but names that differ only where the hash did not look would share one probe chain,
// and every lookup of one would walk past the others.
TEST(HashName, NamesThatDifferInOneByteHashApart) {
  const std::vector<std::string> pool = OneByteVariants(40, std::string_view("xy\0", 3));
  std::map<uint64_t, std::string> seen;
  size_t names = 0;
  for (const std::string& name : pool) {
    const auto [it, added] = seen.emplace(HashName(name), name);
    if (!added && it->second != name) {
      ADD_FAILURE() << "'" << name << "' and '" << it->second << "' hash alike";
    }
    names += added;
  }
  EXPECT_GT(names, 2000u);
}

// An index rebuilt from names it did not see being added (an aggregator's state copied without
// its index) finds them all.
TEST(NameIndex, FreshIndexOverExistingNames) {
  std::vector<std::string> names;
  for (int i = 0; i < 500; ++i) names.push_back("tgw-attach-" + std::to_string(i * 7919));
  const auto name_of = [&](uint32_t k) -> std::string_view { return names[k]; };
  NameIndex index;
  const auto count = static_cast<uint32_t>(names.size());
  for (uint32_t k = 0; k < count; ++k) ASSERT_EQ(index.FindOrAdd(names[k], count, name_of), k);
  EXPECT_EQ(index.FindOrAdd("tgw-attach-new", count, name_of), count);
}

}  // namespace
}  // namespace flowsift
