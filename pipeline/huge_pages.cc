#include "pipeline/huge_pages.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <numeric>
#include <system_error>
#include <vector>

namespace flowsift {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

// This process's anonymous memory on transparent huge pages in KiB (AnonHugePages in
// /proc/self/smaps_rollup), -1 when that cannot be read (no /proc, kernels before 4.14).
int64_t AnonHugeKib() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string key;
  while (in >> key) {
    if (key == "AnonHugePages:") {
      int64_t kib = 0;
      return in >> kib ? kib : -1;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return -1;
}

// Maps `blocks` fresh 2 MiB blocks advised `advice` and returns how many milliseconds a MiB the
// first touch of each took (empty when nothing could be mapped). With `huge_given`, whether any
// of them came as a 2 MiB page (true when that cannot be told).
std::vector<double> TouchFresh(int blocks, int advice, bool* huge_given) {
  const size_t size = static_cast<size_t>(blocks) * kHugePage;
  void* raw =
      mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return {};
  // 2 MiB aligned, so that the huge-page mapping can be huge pages from its first byte.
  volatile char* p =
      reinterpret_cast<volatile char*>(RoundUp(reinterpret_cast<uintptr_t>(raw), kHugePage));
  const bool advised = madvise(const_cast<char*>(p), size, advice) == 0;
  std::vector<double> ms_per_mib;
  ms_per_mib.reserve(static_cast<size_t>(blocks));
  const int64_t huge_before = huge_given != nullptr && advised ? AnonHugeKib() : -1;
  for (int b = 0; b < blocks; ++b) {
    const auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < kHugePage; i += 4096) p[b * kHugePage + i] = 1;
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    ms_per_mib.push_back(took.count() / static_cast<double>(kHugePage >> 20));
  }
  if (huge_given != nullptr) {
    // MADV_HUGEPAGE fails (EINVAL) on a kernel built without transparent huge pages.
    const int64_t huge_after = advised ? AnonHugeKib() : -1;
    *huge_given = advised && (huge_before < 0 || huge_after < 0 || huge_after > huge_before);
  }
  munmap(raw, size + kHugePage);
  return ms_per_mib;
}

// The first clause of PreferHugePages, which decides without a huge-page probe: the kernel
// reports free pages and a fresh 4 KiB page is cheap.
bool SmallPagesWinUnprobed(const HeapPageCosts& costs) {
  return costs.free_page_reporting && costs.small_ms_per_mib <= kCheapSmallPagesMsPerMib;
}

}  // namespace

void* AllocateTable(size_t bytes) {
  if (bytes == 0) return nullptr;
  if (bytes < kHugeMinBytes) {
    void* p = std::aligned_alloc(64, RoundUp(bytes, 64));
    if (p != nullptr) memset(p, 0, bytes);
    return p;
  }
  // Over-map by one huge page and trim both ends, so the block starts on a 2 MiB boundary
  // and every page of it can be a huge page.
  const size_t size = RoundUp(bytes, kHugePage);
  void* raw =
      mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = RoundUp(begin, kHugePage);
  if (aligned > begin) munmap(raw, aligned - begin);
  const uintptr_t tail = aligned + size;
  const uintptr_t end = begin + size + kHugePage;
  if (end > tail) munmap(reinterpret_cast<void*>(tail), end - tail);
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, size, MADV_HUGEPAGE);  // a hint: without THP the table still works
  return p;                         // anonymous mappings are zero-filled
}

void* GrowTable(void* p, size_t old_bytes, size_t new_bytes) {
  if (p == nullptr || old_bytes == 0) return AllocateTable(new_bytes);
  if (old_bytes < kHugeMinBytes || new_bytes < kHugeMinBytes) {
    void* q = AllocateTable(new_bytes);
    if (q == nullptr) return nullptr;
    memcpy(q, p, old_bytes < new_bytes ? old_bytes : new_bytes);
    FreeTable(p, old_bytes);
    return q;
  }
  const size_t old_size = RoundUp(old_bytes, kHugePage);
  const size_t new_size = RoundUp(new_bytes, kHugePage);
  if (new_size <= old_size) return p;  // the mapping's tail holds it, zero
  // In place: the mapping grows into the free addresses after it, still 2 MiB aligned.
  void* r = mremap(p, old_size, new_size, 0);
  if (r != MAP_FAILED) return r;
  // Elsewhere: the old pages move onto the start of a fresh aligned mapping, replacing its
  // (untouched) pages there; its tail stays as mapped, zero.
  void* q = AllocateTable(new_bytes);
  if (q == nullptr) return nullptr;
  // A block that moved once is two mappings (the moved pages, the fresh tail), which no
  // kernel extends in place (EFAULT) and older ones do not move either: then the bytes copy.
  r = mremap(p, old_size, old_size, MREMAP_MAYMOVE | MREMAP_FIXED, q);
  if (r == MAP_FAILED) {
    memcpy(q, p, old_bytes);
    munmap(p, old_size);
  }
  return q;
}

void FreeTable(void* p, size_t bytes) {
  if (p == nullptr) return;
  if (bytes < kHugeMinBytes) {
    std::free(p);
    return;
  }
  munmap(p, RoundUp(bytes, kHugePage));
}

bool FreePageReporting(const std::string& sysfs) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path driver = fs::path(sysfs) / "bus/virtio/drivers/virtio_balloon";
  for (fs::directory_iterator it(driver, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind("virtio", 0) != 0) continue;  // bind, uevent, ...
    std::ifstream in(it->path() / "features");
    std::string features;
    if (in >> features && features.size() > 5 && features[5] == '1') return true;
  }
  return false;
}

double FreshPageCost(bool huge, int blocks, bool* huge_given) {
  std::vector<double> ms = TouchFresh(std::max(blocks, 1), huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE,
                                      huge ? huge_given : nullptr);
  if (ms.empty()) return 0;
  if (!huge) return std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  std::sort(ms.begin(), ms.end(), std::greater<>());
  return ms[ms.size() > 1 ? 1 : 0];
}

bool PreferHugePages(const HeapPageCosts& costs) {
  if (SmallPagesWinUnprobed(costs) || !costs.huge_pages_given) return false;
  return !(costs.huge_ms_per_mib > kSmallPagesWinAbove * costs.small_ms_per_mib);
}

HeapPageCosts MeasureHeapPageCosts(const std::string& sysfs) {
  HeapPageCosts costs;
  costs.free_page_reporting = FreePageReporting(sysfs);
  costs.small_ms_per_mib = FreshPageCost(false, 1);
  if (SmallPagesWinUnprobed(costs)) return costs;  // no huge page probed
  costs.huge_ms_per_mib = FreshPageCost(true, 8, &costs.huge_pages_given);
  return costs;
}

}  // namespace flowsift
