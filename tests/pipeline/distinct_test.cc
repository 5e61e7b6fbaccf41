#include "pipeline/distinct.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/serial.h"

namespace flowsift {
namespace {

TEST(DistinctCounter, ExactUpToTheLimit) {
  DistinctCounter c;
  for (uint64_t i = 0; i < DistinctCounter::kExactLimit; ++i) {
    c.Add(Mix64(i));
    c.Add(Mix64(i));  // duplicates do not count
  }
  EXPECT_TRUE(c.exact());
  EXPECT_EQ(c.Count(), DistinctCounter::kExactLimit);
  c.Add(Mix64(DistinctCounter::kExactLimit));
  EXPECT_FALSE(c.exact());
  c.Add(0);  // the empty-slot marker is still a value
  DistinctCounter zero;
  zero.Add(0);
  zero.Add(1);  // 0 and 1 are one value (documented collision)
  EXPECT_EQ(zero.Count(), 1u);
}

TEST(DistinctCounter, CountsEveryValueAsTheTableGrowsThroughEachSize) {
  // Inline values, then tables of 8, 16, 64, 256, 1,024, 2,048 and 4,096 slots: after every new
  // value the count is exact, whatever came again in between.
  DistinctCounter c;
  std::mt19937_64 rng(3);
  for (uint64_t i = 0; i < DistinctCounter::kExactLimit; ++i) {
    c.Add(Mix64(i + 1));
    c.Add(Mix64(rng() % (i + 1) + 1));  // a value seen before
    ASSERT_EQ(c.Count(), i + 1) << "after " << i + 1 << " values";
    ASSERT_TRUE(c.exact());
  }
}

TEST(DistinctCounter, CountsValuesThatAllStartTheirProbeInTheLastSlot) {
  // Every value's low 20 bits are those of the last slot of each table size up to 2^20 slots:
  // each insert walks the whole chain and wraps to slot 0, in the first table of 8 slots (4-6
  // values) and in every one after it.
  DistinctCounter c;
  for (uint64_t i = 1; i <= 300; ++i) {
    c.Add((i << 20) | 0xFFFFF);
    ASSERT_EQ(c.Count(), i);
    for (uint64_t j = 1; j <= i; j += 7) c.Add((j << 20) | 0xFFFFF);  // seen: no change
    ASSERT_EQ(c.Count(), i) << "after " << i << " values";
  }
}

TEST(DistinctCounter, ReserveChangesNoCountAndNoForm) {
  // Counters reserved for 0 .. 5,000 values (capped at the exact limit), from every form, then
  // given the same values as an unreserved one: equal counts, exact exactly as long as it is.
  for (const size_t reserve :
       {size_t{0}, size_t{2}, size_t{3}, size_t{4}, size_t{6}, size_t{7}, size_t{12}, size_t{13},
        size_t{17}, size_t{400}, size_t{1537}, DistinctCounter::kExactLimit, size_t{5000}}) {
    for (const uint64_t before : {0u, 2u, 40u}) {
      DistinctCounter plain, reserved;
      for (uint64_t i = 0; i < before; ++i) {
        plain.Add(Mix64(i));
        reserved.Add(Mix64(i));
      }
      reserved.Reserve(reserve);
      EXPECT_EQ(reserved.Count(), before);
      for (uint64_t i = 0; i <= DistinctCounter::kExactLimit; ++i) {
        plain.Add(Mix64(i % 3000));
        reserved.Add(Mix64(i % 3000));
        ASSERT_EQ(reserved.Count(), plain.Count()) << reserve << " reserved, " << i;
        ASSERT_EQ(reserved.exact(), plain.exact()) << reserve << " reserved, " << i;
      }
      EXPECT_FALSE(reserved.exact());
      EXPECT_EQ(reserved.SizeHint(), DistinctCounter::kExactLimit);
      reserved.Reserve(100);  // a sketch stays one
      EXPECT_FALSE(reserved.exact());
      EXPECT_EQ(reserved.Count(), plain.Count());
    }
  }
  DistinctCounter c;
  for (uint64_t i = 0; i < 700; ++i) c.Add(Mix64(i) | 1);
  EXPECT_EQ(c.SizeHint(), 700u);
}

TEST(DistinctCounter, SketchErrorWithinTwoPercent) {
  // Sizes across the exact/sketch switch and the whole sketch range, fixed seeds.
  for (uint64_t n : {2049u, 5000u, 20000u, 41000u, 100000u, 400000u, 2000000u}) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      DistinctCounter c;
      for (uint64_t i = 0; i < n; ++i) c.Add(Mix64(i * 0x9E3779B97F4A7C15ull + seed * 1000003));
      const double err = std::fabs(static_cast<double>(c.Count()) - static_cast<double>(n)) /
                         static_cast<double>(n);
      EXPECT_LE(err, 0.02) << "n " << n << " seed " << seed << " count " << c.Count();
    }
  }
}

// Ertl's 2017 estimator written plainly from the paper (a histogram by one loop, sigma and tau
// as their series), over the registers a sketch saves: Count's faster histogram must give the
// same estimate to the unit, for mostly-empty sketches (a busy window) and full ones.
double ReferenceSigma(double x) {
  if (x == 1.0) return INFINITY;
  double y = 1.0, z = x, before;
  do {
    x *= x;
    before = z;
    z += x * y;
    y += y;
  } while (z != before);
  return z;
}
double ReferenceTau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0, z = 1.0 - x, before;
  do {
    x = std::sqrt(x);
    before = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != before);
  return z / 3.0;
}

TEST(DistinctCounter, SketchCountEqualsThePlainEstimatorOverItsRegisters) {
  constexpr unsigned q = 64 - DistinctCounter::kPrecision;
  constexpr size_t m = size_t{1} << DistinctCounter::kPrecision;
  for (uint64_t n : {2049u, 3000u, 30000u, 1000000u}) {
    DistinctCounter c;
    for (uint64_t i = 0; i < n; ++i) c.Add(Mix64(i + 7));
    ASSERT_FALSE(c.exact());
    std::string saved;
    ByteWriter out(saved);
    c.Save(out);
    ASSERT_EQ(saved.size(), 1 + m);
    std::vector<double> histogram(q + 2, 0.0);
    for (size_t i = 1; i <= m; ++i) histogram.at(static_cast<uint8_t>(saved[i])) += 1;
    const double md = static_cast<double>(m);
    double z = md * ReferenceTau(1.0 - histogram[q + 1] / md);
    for (unsigned k = q; k >= 1; --k) z = 0.5 * (z + histogram[k]);
    z += md * ReferenceSigma(histogram[0] / md);
    const double estimate = md * md / (2.0 * std::log(2.0)) / z;
    EXPECT_EQ(c.Count(), static_cast<uint64_t>(std::llround(estimate))) << "n " << n;
  }
}

TEST(DistinctCounter, MergeIsAUnionInAnyOrderAndSplit) {
  std::mt19937_64 rng(9);
  for (uint64_t n : {100u, 3000u, 50000u}) {
    std::vector<uint64_t> values;
    for (uint64_t i = 0; i < n; ++i) values.push_back(Mix64(rng() % (n / 2 + 1)));  // repeats
    DistinctCounter whole;
    for (uint64_t v : values) whole.Add(v);
    for (int trial = 0; trial < 3; ++trial) {
      std::vector<DistinctCounter> parts(4);
      for (uint64_t v : values) parts[rng() % 4].Add(v);
      DistinctCounter merged;
      for (int i : {3, 1, 0, 2}) merged.Merge(parts[(i + trial) % 4]);
      EXPECT_EQ(merged.Count(), whole.Count()) << "n " << n << " trial " << trial;
      EXPECT_EQ(merged.exact(), whole.exact());
    }
  }
}

// A counter of Mix64(i) for i in [lo, hi).
DistinctCounter RangeCounter(uint64_t lo, uint64_t hi) {
  DistinctCounter c;
  for (uint64_t i = lo; i < hi; ++i) c.Add(Mix64(i));
  return c;
}

// Merge inserts the smaller exact set into a copy of the larger, in a table grown once: every
// pairing of inline, small and large exact sets and sketches, both ways round, with overlaps
// whose union stays exact (2,000) or crosses the limit (2,600).
TEST(DistinctCounter, MergeOfUnequalSetsIsTheirUnion) {
  struct Set {
    uint64_t lo, hi;
  };
  const std::vector<Set> sets = {{0, 2}, {0, 40}, {30, 1500}, {500, 2000}, {1100, 2600}, {0, 5000}};
  for (const Set& a : sets) {
    for (const Set& b : sets) {
      DistinctCounter merged = RangeCounter(a.lo, a.hi);
      merged.Merge(RangeCounter(b.lo, b.hi));
      DistinctCounter whole = RangeCounter(a.lo, a.hi);  // the union, one value at a time
      for (uint64_t i = b.lo; i < b.hi; ++i) whole.Add(Mix64(i));
      EXPECT_EQ(merged.exact(), whole.exact())
          << a.lo << "-" << a.hi << " + " << b.lo << "-" << b.hi;
      EXPECT_EQ(merged.Count(), whole.Count())
          << a.lo << "-" << a.hi << " + " << b.lo << "-" << b.hi;
    }
  }
}

TEST(DistinctCounter, CopiesAreIndependent) {
  DistinctCounter a;
  for (uint64_t i = 0; i < 5000; ++i) a.Add(Mix64(i));
  DistinctCounter b = a;
  for (uint64_t i = 5000; i < 10000; ++i) b.Add(Mix64(i));
  EXPECT_LT(a.Count(), 5200u);
  EXPECT_GT(b.Count(), 9700u);
}

std::string SavedBytes(const DistinctCounter& c) {
  std::string s;
  ByteWriter out(s);
  c.Save(out);
  return s;
}

// The registers a sketch of `values` must hold, written plainly from Flajolet et al. 2007:
// the top kPrecision bits pick the register, the rest's leading zeros + 1 (at most
// 64 - kPrecision + 1) is the rank, a register keeps the largest rank; 0 counts as 1.
std::string PlainRegisters(const std::vector<uint64_t>& values) {
  constexpr unsigned p = DistinctCounter::kPrecision;
  std::string regs(size_t{1} << p, '\0');
  for (uint64_t v : values) {
    if (v == 0) v = 1;
    const uint64_t index = v >> (64 - p);
    const uint64_t rest = v << p;  // 64 - p bits of rank, then p zero bits
    unsigned rank = 1;
    while (rank <= 64 - p && (rest & (uint64_t{1} << (64 - rank))) == 0) ++rank;
    if (rank > static_cast<uint8_t>(regs[index])) regs[index] = static_cast<char>(rank);
  }
  return regs;
}

// Every way a sketch is made (one value at a time through the table, a table turned into a
// sketch by a merge, an inline counter turned into one by a merge) holds exactly the plain
// HLL registers of its values, including the zero value and values of the largest rank.
// Bytes the C library's heap holds for the program (this test binary does not link mimalloc).
int64_t HeapInUse() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
}

TEST(DistinctCounter, AssignmentsFreeTheTablesTheyReplace) {
  // An exact table and a sketch (32 KiB): each assigned over the other, by copy and by move, 256
  // times. Had an assignment not freed the table it replaced, the heap would grow by ~10 MB.
  DistinctCounter table, sketch;
  for (uint64_t i = 0; i < 200; ++i) table.Add(Mix64(i + 1));
  for (uint64_t i = 0; i <= DistinctCounter::kExactLimit; ++i) sketch.Add(Mix64(i + 1));
  ASSERT_TRUE(table.exact());
  ASSERT_FALSE(sketch.exact());
  const int64_t before = HeapInUse();
  for (int k = 0; k < 256; ++k) {
    DistinctCounter a = table, b = sketch;
    a = std::move(b);  // frees a's table
    EXPECT_EQ(a.Count(), sketch.Count());
    a = table;  // frees a's sketch
    DistinctCounter c = sketch;
    c = std::move(a);  // frees c's sketch
    EXPECT_EQ(c.Count(), table.Count());
  }
  EXPECT_LT(HeapInUse() - before, int64_t{1} << 20);
}

TEST(DistinctCounter, SketchRegistersAreThePlainHyperLogLogOfItsValues) {
  for (const uint64_t n : {2049u, 2600u, 40000u}) {
    std::vector<uint64_t> values = {0, uint64_t{1} << 63, ~uint64_t{0} << 49};  // rank 50 twice
    for (uint64_t i = 0; i < n; ++i) values.push_back(Mix64(i + 11));
    const std::string want = std::string(1, '\1') + PlainRegisters(values);

    DistinctCounter one_by_one;
    for (uint64_t v : values) one_by_one.Add(v);
    ASSERT_FALSE(one_by_one.exact());
    EXPECT_EQ(SavedBytes(one_by_one), want) << n;

    // A sketch of all but the first 40 values, merged into a table of those 40 and into an
    // inline counter of the first 3 (then given the rest one by one), both ways round.
    DistinctCounter rest;
    for (size_t i = 40; i < values.size(); ++i) rest.Add(values[i]);
    for (const size_t head : {size_t{3}, size_t{40}}) {
      DistinctCounter small;
      for (size_t i = 0; i < head; ++i) small.Add(values[i]);
      ASSERT_TRUE(small.exact());
      DistinctCounter into_small = small;
      into_small.Merge(rest);
      for (size_t i = head; i < 40; ++i) into_small.Add(values[i]);
      EXPECT_EQ(SavedBytes(into_small), want) << n << " head " << head;
      DistinctCounter into_rest = rest;
      into_rest.Merge(small);
      for (size_t i = head; i < 40; ++i) into_rest.Add(values[i]);
      EXPECT_EQ(SavedBytes(into_rest), want) << n << " head " << head;
      EXPECT_EQ(into_small.Count(), one_by_one.Count());
      EXPECT_EQ(into_rest.Count(), one_by_one.Count());
    }
  }
}

// Save then Load into an empty counter gives the same counter, in every form: inline, a
// table, a sketch (one with registers of the largest rank too), and a copy of each.
TEST(DistinctCounter, SaveLoadAndCopiesKeepEveryForm) {
  for (const uint64_t n : {0u, 2u, 3u, 40u, 2048u, 2049u, 30000u}) {
    DistinctCounter c;
    for (uint64_t i = 0; i < n; ++i) c.Add(Mix64(i + 5));
    if (n > DistinctCounter::kExactLimit) c.Add(uint64_t{1} << 63);  // register 16384: rank 50
    const std::string saved = SavedBytes(c);
    DistinctCounter loaded;
    ByteReader in(saved);
    ASSERT_TRUE(loaded.Load(in)) << n;
    EXPECT_EQ(in.Left(), 0u);
    EXPECT_EQ(loaded.exact(), c.exact()) << n;
    EXPECT_EQ(loaded.Count(), c.Count()) << n;
    if (!c.exact()) {
      EXPECT_EQ(SavedBytes(loaded), saved) << n;
    }
    DistinctCounter copy(c);
    EXPECT_EQ(SavedBytes(copy), saved) << n;
    DistinctCounter moved(std::move(copy));  // leaves `copy` empty: it frees nothing of `moved`
    EXPECT_EQ(SavedBytes(moved), saved) << n;
    EXPECT_TRUE(copy.exact());  // NOLINT(bugprone-use-after-move): documented state
    EXPECT_EQ(copy.Count(), 0u);
    copy.Add(Mix64(1));
    EXPECT_EQ(copy.Count(), 1u);
    DistinctCounter assigned;
    assigned.Add(Mix64(99999));
    assigned = c;
    EXPECT_EQ(SavedBytes(assigned), saved) << n;
    EXPECT_EQ(assigned.Count(), c.Count()) << n;
    // Loading the same bytes again is a union with itself: nothing changes.
    ByteReader again(saved);
    ASSERT_TRUE(loaded.Load(again));
    EXPECT_EQ(loaded.Count(), c.Count()) << n;
  }
}

// Load merges what it reads into what the counter holds (a union, as Merge), in every pairing
// of forms: it does not replace the counter's values or registers.
TEST(DistinctCounter, LoadIsAMergeIntoWhatTheCounterHolds) {
  struct Set {
    uint64_t lo, hi;
  };
  const std::vector<Set> sets = {{0, 2},       {0, 40},   {30, 1500},
                                 {1100, 2600}, {0, 5000}, {4000, 9000}};
  for (const Set& a : sets) {
    for (const Set& b : sets) {
      DistinctCounter merged = RangeCounter(a.lo, a.hi);
      merged.Merge(RangeCounter(b.lo, b.hi));
      const std::string saved = SavedBytes(RangeCounter(b.lo, b.hi));
      DistinctCounter loaded = RangeCounter(a.lo, a.hi);
      ByteReader in(saved);
      ASSERT_TRUE(loaded.Load(in));
      EXPECT_EQ(loaded.exact(), merged.exact()) << a.lo << "-" << a.hi << " + " << b.lo;
      EXPECT_EQ(loaded.Count(), merged.Count()) << a.lo << "-" << a.hi << " + " << b.lo;
      if (!merged.exact()) {
        EXPECT_EQ(SavedBytes(loaded), SavedBytes(merged)) << a.lo << "-" << a.hi << " + " << b.lo;
      }
    }
  }
}

// Load refuses what Save never writes, and changes nothing when it does.
TEST(DistinctCounter, LoadRefusesMalformedBytesAndChangesNothing) {
  const auto exact_bytes = [](const std::vector<uint64_t>& values) {
    std::string s;
    ByteWriter out(s);
    out.U8(0);
    out.U32(static_cast<uint32_t>(values.size()));
    for (uint64_t v : values) out.U64(v);
    return s;
  };
  std::vector<uint64_t> too_many;
  for (uint64_t i = 0; i <= DistinctCounter::kExactLimit; ++i) too_many.push_back(Mix64(i + 1));
  std::string high_rank = std::string(1, '\1') + std::string(size_t{1} << 15, '\0');
  high_rank[7] = static_cast<char>(64 - DistinctCounter::kPrecision + 2);  // 51: past the cap
  std::string unknown_form = exact_bytes({5, 6});
  unknown_form[0] = 2;
  for (const std::string& bad : {exact_bytes(too_many), exact_bytes({5, 0, 6}), high_rank,
                                 unknown_form, exact_bytes({5, 6}).substr(0, 13)}) {
    DistinctCounter c;
    c.Add(Mix64(1));
    ByteReader in(bad);
    EXPECT_FALSE(c.Load(in)) << bad.size();
    EXPECT_TRUE(c.exact());
    EXPECT_EQ(c.Count(), 1u);
  }
  // The largest rank itself is valid.
  std::string top_rank = std::string(1, '\1') + std::string(size_t{1} << 15, '\0');
  top_rank[7] = static_cast<char>(64 - DistinctCounter::kPrecision + 1);
  DistinctCounter c;
  ByteReader in(top_rank);
  EXPECT_TRUE(c.Load(in));
  EXPECT_FALSE(c.exact());
}

// Partial files (docs/partial.md) hold exact counters' hashes and sketch registers made from
// HashAddr: parts written by another build merge correctly only if an address hashes the same.
// A change of Mix64 or HashAddr needs a new kPartialFormatVersion, not only new values here.
TEST(DistinctCounter, AddressHashesArePinnedByThePartialFormat) {
  EXPECT_EQ(Mix64(1), 0x5692161d100b05e5ull);
  EXPECT_EQ(HashAddr(kernels::AddrFromIPv4(0x0A000001u)), 0xd86f129c8df58328ull);  // 10.0.0.1
  EXPECT_EQ(HashAddr(kernels::Addr128{0x20010db800000000ull, 1}), 0x69e805aee61dc0f2ull);
}

}  // namespace
}  // namespace flowsift
