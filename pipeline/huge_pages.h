// Memory for the aggregation's big tables, backed by 2 MiB pages where the kernel allows.
#ifndef FLOWSIFT_PIPELINE_HUGE_PAGES_H_
#define FLOWSIFT_PIPELINE_HUGE_PAGES_H_

#include <cstddef>

namespace flowsift {

// Returns zero-filled memory for `bytes` bytes, aligned to 64, or nullptr when out of memory.
// Blocks of kHugeMinBytes or more are mapped directly and advised MADV_HUGEPAGE: a probe into a
// 100 MB hash table then costs one cache miss instead of a TLB miss plus a page walk that
// misses too (4 KiB pages: the second-level TLB covers ~6 MiB). Smaller blocks come from the
// heap. Free with FreeTable and the same size.
void* AllocateTable(size_t bytes);
void FreeTable(void* p, size_t bytes);

inline constexpr size_t kHugeMinBytes = size_t{2} << 20;

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_HUGE_PAGES_H_
