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

// Grows a block from AllocateTable (or GrowTable) of `old_bytes` to `new_bytes` (larger):
// returns a block whose first old_bytes bytes are p's and the rest zero, and frees p; nullptr
// when out of memory, p then unchanged. Blocks of kHugeMinBytes or more are not copied: their
// pages move (mremap), in place when the addresses after the block are free, else onto the
// start of a fresh aligned mapping. So a table grown by doubling is first touched (a page fault
// and the kernel's clearing of each page, ~1.3 ms a MB on this project's PVM guests) once over
// its final size, not once more for every copy. The bytes move, not objects: the caller's
// elements must be relocatable by their bytes (TableArray says which).
void* GrowTable(void* p, size_t old_bytes, size_t new_bytes);

inline constexpr size_t kHugeMinBytes = size_t{2} << 20;

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_HUGE_PAGES_H_
