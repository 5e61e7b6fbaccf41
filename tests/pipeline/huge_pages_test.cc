// AllocateTable's memory, and the free page reporting check on made-up sysfs trees.
#include "pipeline/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>

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
  WriteFile(driver / "virtio0/features", Features({1, 2, 5, 32}));  // this machine's balloon
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

}  // namespace
}  // namespace flowsift
