// AllocateTable's and GrowTable's memory; TableArray on it; the heap page choice: the free page
// reporting check on made-up sysfs trees, the rule on the costs measured on past hosts.
#include "pipeline/huge_pages.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <string>

#include "pipeline/distinct.h"
#include "pipeline/table_array.h"
#include "tests/test_util.h"

namespace flowsift {
namespace {

using testing::TempDir;
using testing::WriteFile;

// A balloon device's feature string as the kernel prints it: one character per bit, 64 of them.
std::string Features(std::initializer_list<int> bits) {
  std::string s(64, '0');
  for (int b : bits) s[b] = '1';
  return s + "\n";
}

TEST(FreePageReporting, ReadsBitFiveOfTheBalloonDevice) {
  TempDir sys;
  const std::filesystem::path driver = sys.path() / "bus/virtio/drivers/virtio_balloon";
  WriteFile(driver / "uevent", "DRIVER=virtio_balloon\n");
  WriteFile(driver / "virtio3/features", Features({1, 2, 32}));  // stats, deflate on OOM
  EXPECT_FALSE(FreePageReporting(sys.path().string()));
  WriteFile(driver / "virtio0/features", Features({1, 2, 5, 32}));  // the Xeon's balloon
  EXPECT_TRUE(FreePageReporting(sys.path().string()));
}

TEST(FreePageReporting, FalseWithoutABalloonOrWithAShortString) {
  TempDir sys;
  EXPECT_FALSE(FreePageReporting(sys.path().string()));  // no virtio at all: bare metal
  const std::filesystem::path driver = sys.path() / "bus/virtio/drivers/virtio_balloon";
  WriteFile(driver / "virtio0/features", "01100\n");
  EXPECT_FALSE(FreePageReporting(sys.path().string()));
  // Only the balloon driver's devices count: a block device's bit 5 means something else.
  WriteFile(sys.path() / "bus/virtio/drivers/virtio_blk/virtio1/features", Features({5}));
  EXPECT_FALSE(FreePageReporting(sys.path().string()));
  EXPECT_FALSE(FreePageReporting((sys.path() / "missing").string()));
}

HeapPageCosts Costs(bool reporting, double small, double huge) {
  HeapPageCosts c;
  c.free_page_reporting = reporting;
  c.small_ms_per_mib = small;
  c.huge_ms_per_mib = huge;
  return c;
}

TEST(PreferHugePages, ChoosesWhatWonOnEachHostMeasured) {
  // The fourteenth session's Zen 3 guest and the fifty-fourth's Xeon: reporting, 4 KiB pages
  // cheap; 4 KiB won whether or not the probe's huge pages were warm.
  EXPECT_FALSE(PreferHugePages(Costs(true, 0.65, -1)));
  EXPECT_FALSE(PreferHugePages(Costs(true, 0.42, 0.12)));
  EXPECT_FALSE(PreferHugePages(Costs(true, 0.42, 3.1)));
  // The Zen 5 PVM guests: reporting, a 4 KiB fault ~11 us; 2 MiB pages won.
  EXPECT_TRUE(PreferHugePages(Costs(true, 2.7, 0.2)));
  EXPECT_TRUE(PreferHugePages(Costs(true, 2.7, 5.4)));  // at the ratio, not above it
  EXPECT_FALSE(PreferHugePages(Costs(true, 2.7, 5.5)));
  // No reporting (bare metal, cloud instances backed up front): 2 MiB unless the probe finds
  // huge pages clearly costlier.
  EXPECT_TRUE(PreferHugePages(Costs(false, 0.3, 0.1)));
  EXPECT_TRUE(PreferHugePages(Costs(false, 0.3, 0.6)));
  EXPECT_FALSE(PreferHugePages(Costs(false, 0.3, 0.61)));
  // The boundary of "cheap": at it 4 KiB, above it the probe decides.
  EXPECT_FALSE(PreferHugePages(Costs(true, kCheapSmallPagesMsPerMib, -1)));
  EXPECT_TRUE(PreferHugePages(Costs(true, kCheapSmallPagesMsPerMib + 0.01, 0.2)));
}

TEST(MeasureHeapPageCosts, MeasuresHugePagesOnlyWhenTheyCouldWin) {
  TempDir sys;
  const std::filesystem::path driver = sys.path() / "bus/virtio/drivers/virtio_balloon";
  HeapPageCosts c = MeasureHeapPageCosts(sys.path().string());  // no balloon
  EXPECT_FALSE(c.free_page_reporting);
  EXPECT_GT(c.small_ms_per_mib, 0);
  EXPECT_GT(c.huge_ms_per_mib, 0);
  WriteFile(driver / "virtio0/features", Features({1, 2, 5, 32}));
  c = MeasureHeapPageCosts(sys.path().string());
  EXPECT_TRUE(c.free_page_reporting);
  EXPECT_GT(c.small_ms_per_mib, 0);
  // Cheap 4 KiB pages decide without the huge probe; else it ran.
  EXPECT_EQ(c.huge_ms_per_mib < 0, c.small_ms_per_mib <= kCheapSmallPagesMsPerMib);
  if (PreferHugePages(c)) {
    EXPECT_GE(c.huge_ms_per_mib, 0);
  }
}

// Without transparent huge pages (PR_SET_THP_DISABLE here; `never` and a kernel built without
// them alike) MADV_HUGEPAGE gives 4 KiB pages: the probe timed those as "fresh 2 MiB pages", and
// 4 KiB pages timed against 4 KiB pages chose 2 MiB by noise (and the binary executed itself
// again for a heap that got none).
TEST(MeasureHeapPageCosts, WithoutTransparentHugePagesFourKib) {
  HeapPageCosts none = Costs(false, 0.3, 0.3);
  none.huge_pages_given = false;
  EXPECT_FALSE(PreferHugePages(none));
  TempDir sys;  // no balloon: the huge probe runs
  EXPECT_EXIT(
      {
        if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) std::_Exit(3);
        const HeapPageCosts c = MeasureHeapPageCosts(sys.path().string());
        std::_Exit(c.huge_pages_given ? 1 : PreferHugePages(c) ? 2 : 0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(FreshPageCost, IsPositiveForBothSizes) {
  EXPECT_GT(FreshPageCost(false, 1), 0);
  EXPECT_GT(FreshPageCost(true, 2), 0);
  EXPECT_GT(FreshPageCost(true, 1), 0);
}

TEST(AllocateTable, ZeroedAlignedAndFreedBySize) {
  for (size_t bytes :
       {size_t{64}, size_t{4096} + 8, kHugeMinBytes - 64, kHugeMinBytes, kHugeMinBytes * 3 + 100}) {
    auto* p = static_cast<uint8_t*>(AllocateTable(bytes));
    ASSERT_NE(p, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << bytes;
    size_t nonzero = 0;
    for (size_t i = 0; i < bytes; ++i) nonzero += p[i] != 0;
    EXPECT_EQ(nonzero, 0u) << bytes;
    p[0] = p[bytes - 1] = 0xAB;  // all of it is writable
    FreeTable(p, bytes);
  }
  EXPECT_EQ(AllocateTable(0), nullptr);
  FreeTable(nullptr, 123);
}

// A block of kHugeMinBytes or more is its own mapping starting on a 2 MiB boundary, so that
// every page of it can be a huge page, from the smallest such size up; a smaller one comes from
// the heap. (A block of exactly kHugeMinBytes taken from the heap would be unmapped by
// FreeTable, which goes by the same size.)
TEST(AllocateTable, BlocksFromTheHugeSizeUpStartOnA2MiBBoundary) {
  for (const size_t bytes : {kHugeMinBytes, kHugeMinBytes + 1, kHugeMinBytes * 3 + 100}) {
    void* p = AllocateTable(bytes);
    ASSERT_NE(p, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kHugeMinBytes, 0u) << bytes;
    FreeTable(p, bytes);
  }
}

// Fills p[0, bytes) with a pattern of `seed`.
void Fill(uint8_t* p, size_t bytes, uint8_t seed) {
  for (size_t i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(i * 7 + seed) | 1;
}
// Whether p holds Fill's pattern up to `kept` and zeros from there to `bytes`.
::testing::AssertionResult KeptThenZero(const uint8_t* p, size_t kept, size_t bytes, uint8_t seed) {
  for (size_t i = 0; i < kept; ++i) {
    if (p[i] != (static_cast<uint8_t>(i * 7 + seed) | 1)) {
      return ::testing::AssertionFailure() << "byte " << i << " of the old block changed";
    }
  }
  for (size_t i = kept; i < bytes; ++i) {
    if (p[i] != 0) return ::testing::AssertionFailure() << "byte " << i << " not zero";
  }
  return ::testing::AssertionSuccess();
}

TEST(GrowTable, KeepsTheBytesAndZeroesTheRestAcrossEverySizeClass) {
  const size_t sizes[][2] = {
      {64, 4096},                                    // heap to heap
      {kHugeMinBytes - 64, kHugeMinBytes * 2 + 8},   // heap to a mapping
      {kHugeMinBytes, kHugeMinBytes + 64},           // within the mapping's last page
      {kHugeMinBytes + 100, kHugeMinBytes * 5 + 3},  // mapping to a larger one
  };
  uint8_t seed = 3;
  for (const auto& [from, to] : sizes) {
    auto* p = static_cast<uint8_t*>(AllocateTable(from));
    ASSERT_NE(p, nullptr);
    Fill(p, from, ++seed);
    auto* q = static_cast<uint8_t*>(GrowTable(p, from, to));
    ASSERT_NE(q, nullptr) << from << " -> " << to;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 64, 0u);
    EXPECT_TRUE(KeptThenZero(q, from, to, seed)) << from << " -> " << to;
    q[to - 1] = 0xAB;  // all of it is writable
    FreeTable(q, to);
  }
  // From nothing, as AllocateTable.
  auto* fresh = static_cast<uint8_t*>(GrowTable(nullptr, 0, 5000));
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(KeptThenZero(fresh, 0, 5000, 0));
  FreeTable(fresh, 5000);
}

TEST(GrowTable, MovesAMappingWhoseNextAddressesAreTaken) {
  const size_t from = kHugeMinBytes * 2, to = kHugeMinBytes * 4;
  auto* p = static_cast<uint8_t*>(AllocateTable(from));
  ASSERT_NE(p, nullptr);
  Fill(p, from, 9);
  // A page of someone else's right after the block: growing in place would cover it. (When
  // that address is mapped already, EEXIST, the block cannot grow in place either.)
  void* blocker = mmap(p + from, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (blocker == MAP_FAILED) {
    ASSERT_EQ(errno, EEXIST);
    blocker = nullptr;
  } else {
    ASSERT_EQ(blocker, p + from);
    std::memset(blocker, 0x5A, 4096);
  }
  auto* q = static_cast<uint8_t*>(GrowTable(p, from, to));
  ASSERT_NE(q, nullptr);
  EXPECT_NE(q, p);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % kHugeMinBytes, 0u);  // still huge-page aligned
  EXPECT_TRUE(KeptThenZero(q, from, to, 9));
  if (blocker != nullptr) {
    const auto* b = static_cast<const uint8_t*>(blocker);
    size_t changed = 0;
    for (size_t i = 0; i < 4096; ++i) changed += b[i] != 0x5A;
    EXPECT_EQ(changed, 0u);
    munmap(blocker, 4096);
  }
  FreeTable(q, to);
}

// A table element that owns heap memory (a DistinctCounter past its inline values), as the
// exposure table's entries do: relocated by its bytes when the array grows.
struct Counted {
  uint64_t key = 0;
  DistinctCounter values;
};

TEST(TableArray, GrowsPastTheHugePageSizeKeepingElementsThatOwnMemory) {
  TableArray<Counted> a;
  // 90,000 elements of 40 bytes: 3.6 MB, so growth passes from the heap to a mapping and
  // then moves pages.
  constexpr size_t kCount = 90000;
  for (size_t i = 0; i < kCount; ++i) {
    Counted& c = a.emplace_back();
    c.key = i;
    for (uint64_t v = 0; v < i % 9; ++v) c.values.Add(Mix64(i * 16 + v + 1));
  }
  ASSERT_EQ(a.size(), kCount);
  TableArray<Counted> copy = a;
  for (const TableArray<Counted>* t : {&a, &copy}) {
    for (size_t i = 0; i < kCount; ++i) {
      ASSERT_EQ((*t)[i].key, i);
      ASSERT_EQ((*t)[i].values.Count(), i % 9) << i;
    }
  }
  a.resize(kCount + 5);  // value-initialised
  EXPECT_EQ(a[kCount + 4].key, 0u);
  EXPECT_EQ(a[kCount + 4].values.Count(), 0u);
  a.resize(10);
  EXPECT_EQ(a.size(), 10u);
  EXPECT_EQ(a[9].values.Count(), 0u);
  EXPECT_EQ(a[8].values.Count(), 8u);
  TableArray<Counted> moved = std::move(a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(moved.size(), 10u);
  moved.clear();
  EXPECT_TRUE(moved.empty());
  EXPECT_GE(moved.capacity(), kCount);  // the memory stays for the next elements
}

}  // namespace
}  // namespace flowsift
