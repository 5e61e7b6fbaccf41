// Memory for the aggregation's big tables, backed by 2 MiB pages where the kernel allows.
#ifndef FLOWSIFT_PIPELINE_HUGE_PAGES_H_
#define FLOWSIFT_PIPELINE_HUGE_PAGES_H_

#include <cstddef>
#include <string>

namespace flowsift {

// Returns zero-filled memory for `bytes` bytes, aligned to 64, or nullptr when out of memory.
// Blocks of kHugeMinBytes or more are mapped directly and advised MADV_HUGEPAGE: a probe into a
// 100 MB hash table then costs one cache miss instead of a TLB miss plus a page walk that
// misses too (4 KiB pages: the second-level TLB covers ~6 MiB). Smaller blocks come from the
// heap. Free with FreeTable and the same size.
void* AllocateTable(size_t bytes);
void FreeTable(void* p, size_t bytes);

inline constexpr size_t kHugeMinBytes = size_t{2} << 20;

// Whether this kernel is a guest that hands free memory back to its hypervisor (virtio-balloon
// free page reporting: feature bit VIRTIO_BALLOON_F_REPORTING, 5, the sixth character of the
// balloon device's feature string under `sysfs`). There, memory that stayed free for a few
// seconds is no longer backed, and the first touch of each of its 2 MiB pages costs the host a
// fault and a clear: measured 3.3 ms a MB, against 0.2 ms for a 2 MiB page freed just before
// and 0.65 ms for 4 KiB pages either way (docs/performance-history.md, "Fourteenth session").
bool FreePageReporting(const std::string& sysfs = "/sys");

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_HUGE_PAGES_H_
