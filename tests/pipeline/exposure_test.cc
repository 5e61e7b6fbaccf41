#include "pipeline/exposure.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>
#include <vector>

namespace flowsift {
namespace {

// What a key should hold, kept the plain way.
struct Want {
  uint64_t accepted = 0, rejected = 0;
  DistinctCounter sources;
};
using Reference = std::map<uint64_t, Want>;

struct Update {
  uint64_t key, source;
  bool accepted, rejected;
};

// Many one-update keys (the log's common case), a few keys with thousands of sources (their
// counters become sketches), keys over the whole 56-bit range (every radix byte varies), and
// enough updates for several folds (the log folds at 65,536 updates or the table's size).
std::vector<Update> MakeUpdates(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<Update> u;
  for (size_t i = 0; i < n; ++i) {
    uint64_t key;
    switch (rng() % 4) {
      case 0:
        key = rng() & ExposureTable::kKeyMask;
        break;
      case 1:
        key = (uint64_t{rng() % 7} << 24) | (443 << 8) | 6;  // busy
        break;
      default:
        key = (uint64_t{rng() % 300} << 24) | ((rng() % 65536) << 8) | (rng() % 3 ? 6 : 17);
    }
    const uint64_t source = Mix64(rng() % 20000 + 1);
    const int action = static_cast<int>(rng() % 3);  // accepted, rejected, neither ("-")
    u.push_back({key, source, action == 0, action == 1});
  }
  return u;
}

void Expect(const ExposureTable::Array<ExposureTable::Entry>& got, const Reference& want) {
  ASSERT_EQ(got.size(), want.size());
  size_t i = 0;
  for (const auto& [key, w] : want) {
    const ExposureTable::Entry& e = got[i++];
    ASSERT_EQ(e.key, key);
    EXPECT_EQ(e.accepted, w.accepted) << key;
    EXPECT_EQ(e.rejected, w.rejected) << key;
    EXPECT_EQ(e.sources.Count(), w.sources.Count()) << key;
    EXPECT_EQ(e.sources.exact(), w.sources.exact()) << key;
  }
}

TEST(ExposureTable, FoldsMatchAPlainMapThroughManyFolds) {
  const std::vector<Update> updates = MakeUpdates(1, 400000);
  ExposureTable table;
  Reference want;
  size_t checked = 0;
  for (size_t i = 0; i < updates.size(); ++i) {
    const Update& u = updates[i];
    table.Add(u.key, u.source, u.accepted, u.rejected);
    Want& w = want[u.key];
    w.accepted += u.accepted;
    w.rejected += u.rejected;
    w.sources.Add(u.source);
    // Half-way through a log and at a fold's edge: the unfolded table reads the same.
    if (i + 1 == 100000 || i + 1 == 65536 || i + 1 == updates.size()) {
      ExposureTable spare;
      Expect(table.Entries(&spare), want);
      EXPECT_EQ(table.size(), want.size());
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3u);
  table.Fold();
  ExposureTable unused;
  Expect(table.Entries(&unused), want);
  size_t sketches = 0;
  for (const auto& [key, w] : want) sketches += !w.sources.exact();
  EXPECT_GE(sketches, 7u);  // the busy keys passed the exact limit
}

// The fold merges the log into the table in place, from the back: new keys below, among and
// above the old ones, old keys updated, and a log of old keys alone.
TEST(ExposureTable, FoldsInPlaceWithNewKeysBelowAmongAndAboveTheOldOnes) {
  ExposureTable table;
  Reference want;
  const auto add = [&](uint64_t key, uint64_t source, bool accepted) {
    table.Add(key, Mix64(source), accepted, !accepted);
    Want& w = want[key];
    w.accepted += accepted;
    w.rejected += !accepted;
    w.sources.Add(Mix64(source));
  };
  for (uint64_t k = 1000; k < 1100; k += 2) add(k, k, true);  // the first table: even keys
  table.Fold();
  ExposureTable spare;
  Expect(table.Entries(&spare), want);
  // Below every old key, between each pair, above every one, and an old key.
  for (uint64_t k : {uint64_t{5}, uint64_t{999}, uint64_t{1001}, uint64_t{1051}, uint64_t{1097},
                     uint64_t{1099}, uint64_t{4000}, uint64_t{1050}}) {
    add(k, k + 7, false);
    add(k, k + 8, true);
  }
  for (uint64_t k = 1001; k < 1100; k += 2) add(k, 3, true);  // every gap filled
  add(1000, 1000, true);                                      // a source seen before
  table.Fold();
  Expect(table.Entries(&spare), want);
  EXPECT_EQ(table.size(), 103u);  // 50 even keys, 50 odd ones, 5, 999 and 4000
  for (uint64_t k = 1000; k < 1100; k += 3) add(k, 9, false);  // old keys only
  add(5, 99, true);
  table.Fold();
  Expect(table.Entries(&spare), want);
  // 200,000 more keys, all new and below and above: the table grows past 2 MiB in place.
  for (uint64_t k = 0; k < 200000; ++k) add(k % 2 ? 10000 + k : k / 2 + 200, k, k % 3 == 0);
  table.Fold();
  Expect(table.Entries(&spare), want);
}

TEST(ExposureTable, MergeEqualsOneTableFedEverything) {
  const std::vector<Update> a = MakeUpdates(2, 150000), b = MakeUpdates(3, 120000);
  ExposureTable one, left, right;
  for (const Update& u : a) one.Add(u.key, u.source, u.accepted, u.rejected);
  for (const Update& u : b) one.Add(u.key, u.source, u.accepted, u.rejected);
  for (const Update& u : a) left.Add(u.key, u.source, u.accepted, u.rejected);
  for (const Update& u : b) right.Add(u.key, u.source, u.accepted, u.rejected);
  // Entries in reverse order and split in two, so that Merge meets unsorted input and keys
  // that repeat within it.
  ExposureTable spare;
  const auto& r = right.Entries(&spare);
  std::vector<ExposureTable::Entry> more(r.rbegin(), r.rend());
  std::vector<ExposureTable::Entry> again(more.begin(), more.begin() + more.size() / 2);
  for (auto& e : again) e.accepted = e.rejected = 0;  // the same sources: counts unchanged
  more.insert(more.end(), again.begin(), again.end());
  left.Merge(std::move(more));
  ExposureTable s1, s2;
  const auto& got = left.Entries(&s1);
  const auto& want = one.Entries(&s2);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].key, want[i].key);
    EXPECT_EQ(got[i].accepted, want[i].accepted);
    EXPECT_EQ(got[i].rejected, want[i].rejected);
    EXPECT_EQ(got[i].sources.Count(), want[i].sources.Count());
  }
}

TEST(ExposureTable, EmptyAndOneKey) {
  ExposureTable t;
  ExposureTable spare;
  EXPECT_TRUE(t.Entries(&spare).empty());
  EXPECT_EQ(t.size(), 0u);
  t.Add(5, Mix64(9), true, false);
  t.Add(5, Mix64(9), false, true);
  t.Add(5, Mix64(10), false, false);
  const auto& e = t.Entries(&spare);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].key, 5u);
  EXPECT_EQ(e[0].accepted, 1u);
  EXPECT_EQ(e[0].rejected, 1u);
  EXPECT_EQ(e[0].sources.Count(), 2u);
}

// A log whose keys differ in one bit of a byte, the byte's top bit (interfaces 0 and 128,
// ports 80 and 208, protocols 6 and 134), is still sorted by that byte: the radix sort skips
// only a byte that is the same in every key.
TEST(ExposureTable, KeysDifferingOnlyInAByteTopBitFoldApart) {
  for (const uint64_t bit : {uint64_t{1} << 31, uint64_t{1} << 15, uint64_t{1} << 7}) {
    const uint64_t base = (uint64_t{5} << 24) | (80 << 8) | 6;
    ExposureTable table;
    Reference want;
    for (uint64_t i = 0; i < 1000; ++i) {
      const uint64_t key = i % 2 == 0 ? base | bit : base;
      table.Add(key, Mix64(i % 7 + 1), true, false);
      Want& w = want[key];
      ++w.accepted;
      w.sources.Add(Mix64(i % 7 + 1));
    }
    ExposureTable spare;
    Expect(table.Entries(&spare), want);
    table.Fold();
    Expect(table.Entries(&spare), want);
  }
}

}  // namespace
}  // namespace flowsift
