#include "pipeline/name_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace flowsift {
namespace {

// Interface-like names of every length from 0 to 40 bytes that differ in one byte anywhere
// (HashName reads names of 8 to 24 bytes as three overlapping words), drawn so that most
// repeat: ids are dense in first-seen order and stable through the index's growth, as a
// std::map assigns them.
TEST(NameIndex, IdsInFirstSeenOrderThroughGrowth) {
  std::mt19937_64 rng(5);
  std::vector<std::string> pool;
  for (size_t len = 0; len <= 40; ++len) {
    const std::string base = std::string("eni-0123456789abcdef0123456789abcdef0123").substr(0, len);
    pool.push_back(base);
    for (size_t at = 0; at < len; ++at) {
      for (const char c : {'x', 'y', '\0'}) {
        std::string s = base;
        s[at] = c;
        pool.push_back(s);
      }
    }
  }
  for (int i = 0; i < 3000; ++i) pool.push_back("eni-" + std::to_string(rng()));
  NameIndex index;
  std::vector<std::string> names;
  std::map<std::string, uint32_t> reference;
  const auto name_of = [&](uint32_t k) -> std::string_view { return names[k]; };
  for (int i = 0; i < 60000; ++i) {
    const std::string& name = pool[rng() % pool.size()];
    const auto count = static_cast<uint32_t>(names.size());
    const uint32_t id = index.FindOrAdd(name, count, name_of);
    const auto [it, added] = reference.emplace(name, count);
    ASSERT_EQ(id, it->second) << i << " '" << name << "'";
    if (id == count) names.push_back(name);
    ASSERT_EQ(names.size(), reference.size());
  }
  EXPECT_GT(names.size(), 3000u);
  // Every name again: its id, nothing added.
  for (uint32_t k = 0; k < names.size(); ++k) {
    ASSERT_EQ(index.FindOrAdd(names[k], static_cast<uint32_t>(names.size()), name_of), k);
  }
}

// Every name hashed alike: each lookup then probes past every other name, so the compares alone
// tell names apart, both a short name's bytes kept in its slot and a long one's through
// name_of. Names of every length from 0 to 30 and each with one byte changed anywhere.
uint64_t OneHash(std::string_view) { return 0x9E3779B97F4A7C15ull; }

TEST(NameIndex, CompareAloneWhenEveryHashCollides) {
  std::vector<std::string> pool;
  for (size_t len = 0; len <= 30; ++len) {
    const std::string base = std::string("eni-0123456789abcdef0123456789").substr(0, len);
    pool.push_back(base);
    for (size_t at = 0; at < len; ++at) {
      for (const char c : {'x', '\0'}) {
        std::string s = base;
        s[at] = c;
        pool.push_back(s);
      }
    }
  }
  BasicNameIndex<OneHash> index;
  std::vector<std::string> names;
  std::map<std::string, uint32_t> reference;
  const auto name_of = [&](uint32_t k) -> std::string_view { return names[k]; };
  std::mt19937_64 rng(7);
  for (int i = 0; i < 8000; ++i) {
    const std::string& name = pool[rng() % pool.size()];
    const auto count = static_cast<uint32_t>(names.size());
    const uint32_t id = index.FindOrAdd(name, count, name_of);
    const auto [it, added] = reference.emplace(name, count);
    ASSERT_EQ(id, it->second) << i << " '" << name << "'";
    if (id == count) names.push_back(name);
  }
  for (uint32_t k = 0; k < names.size(); ++k) {
    ASSERT_EQ(index.FindOrAdd(names[k], static_cast<uint32_t>(names.size()), name_of), k)
        << names[k];
  }
  EXPECT_GT(names.size(), 900u);  // nearly all of the pool
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
