// AllocateTable's memory.
#include "pipeline/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace flowsift {
namespace {

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
