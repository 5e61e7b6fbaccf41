// Memory for the aggregation's big tables, backed by 2 MiB pages where the kernel allows; what
// fresh pages cost this host, which chooses the heap's page size (tools/heap_pages.h).
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

// Whether this kernel is a guest that hands free memory back to its hypervisor (virtio-balloon
// free page reporting: feature bit VIRTIO_BALLOON_F_REPORTING, 5, the sixth character of the
// balloon device's feature string under `sysfs`). It reports only whole free blocks of 2 MiB or
// more, the blocks a huge page needs, and hands the reported ones out last: memory that stayed
// free a few seconds is no longer backed, and past the first few warm blocks each fresh 2 MiB
// page costs the host a fault and a clear. 4 KiB pages come from the small free fragments,
// which are never reported and stay backed.
bool FreePageReporting(const std::string& sysfs = "/sys");

// Milliseconds a MiB to first touch fresh anonymous memory now (one byte written a 4 KiB page):
// `blocks` 2 MiB blocks advised MADV_NOHUGEPAGE, the mean; or advised MADV_HUGEPAGE, the second
// most expensive block, because the first blocks handed out may still be warm (1 to 56 after
// idle on the fifty-fourth session's Xeon) where the rest of a run's are not, and one slow
// block may be a preemption. 0 when nothing could be mapped. The blocks are unmapped again,
// backed, for what the process does next. With `huge_given`, a huge probe says whether the
// kernel gave its blocks any 2 MiB page (AnonHugePages in /proc/self/smaps_rollup grew; true
// when that cannot be read): without transparent huge pages (`never`, a kernel built without
// them, PR_SET_THP_DISABLE) MADV_HUGEPAGE fails or is ignored and the probe times 4 KiB pages.
double FreshPageCost(bool huge, int blocks, bool* huge_given = nullptr);

// The heap's page size, chosen by what fresh pages cost this host. Measured on 1 GiB of v2:
//   host                                 4 KiB pages   fresh 2 MiB pages        faster heap
//   Zen 3 guest, reporting (14th)        0.57-0.73     2.8-4.2 after idle       4 KiB 0.93x
//   Zen 5 PVM guests, reporting (41st)   ~2.7          (not measured)           2 MiB 0.81-0.87x
//   Xeon Firecracker, reporting (54th)   0.37-0.65     ~3.1 idle, 0.12 warm     4 KiB 0.78-0.87x
// (ms a MiB; docs/performance-history.md by session.) Where the kernel reports free pages and
// a 4 KiB page is cheap, 4 KiB pages win: the huge pages a run needs are mostly cold after a
// few seconds of idle, and the probe cannot see past the warm blocks it is handed first. Else
// 2 MiB pages, unless the probe itself finds them kSmallPagesWinAbove times as costly a byte
// or got none (huge_pages_given).
// Huge pages also save TLB misses on the heap's randomly probed blocks, worth up to -7.5% CPU
// on hosts whose faults cost nothing ("Eighth session"), nothing measurable on the 14th's and
// 54th's (user time within 3%): the big hash tables have their own 2 MiB pages (above).
inline constexpr double kCheapSmallPagesMsPerMib = 1.0;
inline constexpr double kSmallPagesWinAbove = 2.0;
struct HeapPageCosts {
  bool free_page_reporting = false;
  double small_ms_per_mib = 0;
  double huge_ms_per_mib = -1;  // < 0: not measured
  // False when the huge probe's blocks got no 2 MiB page: 4 KiB pages then, whatever it timed.
  bool huge_pages_given = true;
};
bool PreferHugePages(const HeapPageCosts& costs);

// Reads FreePageReporting, measures 4 KiB pages (one block) and, unless that decides, 2 MiB
// pages (eight blocks): 1-50 ms depending on the host and how long it has been idle.
HeapPageCosts MeasureHeapPageCosts(const std::string& sysfs = "/sys");

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_HUGE_PAGES_H_
