#include "pipeline/mapped_file.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14
#endif

namespace flowsift {
namespace {

// The registry the SIGBUS handler searches. Lock-free, because a signal handler may not take
// locks: a slot is published by storing `end` then `begin`, and retired by clearing `begin`
// before the range is unmapped. 1024 live mappings is far more than the readers in flight.
struct Slot {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<uint64_t> zero_from{UINT64_MAX};
  std::atomic<bool> used{false};
};
constexpr int kSlots = 1024;
Slot g_slots[kSlots];
std::atomic<int> g_slot_limit{0};  // slots at or above it were never used
size_t g_page = 4096;
struct sigaction g_previous;
std::once_flag g_install_once;

void ForwardSigbus(int sig, siginfo_t* info, void* context) {
  if ((g_previous.sa_flags & SA_SIGINFO) != 0) {
    if (g_previous.sa_sigaction != nullptr) {
      g_previous.sa_sigaction(sig, info, context);
      return;
    }
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  // Default action: reinstate it and return; the access faults again and the process dies
  // with SIGBUS as it would have without us.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGBUS, &dfl, nullptr);
}

void OnSigbus(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  if (info != nullptr && info->si_code == BUS_ADRERR) {
    const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    const int limit = g_slot_limit.load(std::memory_order_acquire);
    for (int i = 0; i < limit; ++i) {
      Slot& s = g_slots[i];
      const uintptr_t begin = s.begin.load(std::memory_order_acquire);
      if (begin == 0 || addr < begin || addr >= s.end.load(std::memory_order_acquire)) continue;
      const uintptr_t page = addr & ~(uintptr_t{g_page} - 1);
      // mmap is a plain system call on Linux, safe in a signal handler in practice (POSIX
      // does not list it; libsigsegv and JVMs rely on the same).
      void* zero = mmap(reinterpret_cast<void*>(page), g_page, PROT_READ,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (zero == MAP_FAILED) break;
      const uint64_t offset = page - begin;
      uint64_t seen = s.zero_from.load(std::memory_order_relaxed);
      while (offset < seen &&
             !s.zero_from.compare_exchange_weak(seen, offset, std::memory_order_release)) {
      }
      errno = saved_errno;
      return;
    }
  }
  errno = saved_errno;
  ForwardSigbus(sig, info, context);
}

void InstallHandler() {
  g_page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  struct sigaction sa = {};
  sa.sa_sigaction = OnSigbus;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &g_previous);
}

int AcquireSlot(uintptr_t begin, uintptr_t end) {
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (!g_slots[i].used.compare_exchange_strong(expected, true)) continue;
    Slot& s = g_slots[i];
    s.zero_from.store(UINT64_MAX, std::memory_order_relaxed);
    s.end.store(end, std::memory_order_release);
    s.begin.store(begin, std::memory_order_release);
    int limit = g_slot_limit.load();
    while (limit < i + 1 && !g_slot_limit.compare_exchange_weak(limit, i + 1)) {
    }
    return i;
  }
  return -1;
}

}  // namespace

std::unique_ptr<MappedFile> MappedFile::Map(int fd, uint64_t size, int* error) {
  std::call_once(g_install_once, InstallHandler);
  const size_t file_bytes = (size + g_page - 1) & ~(g_page - 1);
  const size_t region = file_bytes + g_page;
  // Reserve the file's pages plus one anonymous zero page, then map the file over the front
  // of the reservation: the zero page is the padding of the last chunk, with no copy.
  void* base = mmap(nullptr, region, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    *error = errno;
    return nullptr;
  }
  if (mmap(base, size, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
    *error = errno;
    munmap(base, region);
    return nullptr;
  }
  // Sequential: larger readahead on a cold cache. MADV_HUGEPAGE is not asked for: page-cache
  // pages of ext4/xfs files are not mapped with huge pages by this kernel generation, so it
  // would be a no-op (docs/input.md).
  madvise(base, file_bytes, MADV_SEQUENTIAL);
  const uintptr_t begin = reinterpret_cast<uintptr_t>(base);
  const int slot = AcquireSlot(begin, begin + file_bytes);
  if (slot < 0) {
    munmap(base, region);
    *error = ENFILE;
    return nullptr;
  }
  return std::unique_ptr<MappedFile>(
      new MappedFile(static_cast<const uint8_t*>(base), size, region, slot));
}

MappedFile::~MappedFile() {
  Slot& s = g_slots[slot_];
  s.begin.store(0, std::memory_order_release);
  munmap(const_cast<uint8_t*>(data_), region_);
  s.used.store(false, std::memory_order_release);
}

uint64_t MappedFile::ZeroFilledFrom() const {
  return g_slots[slot_].zero_from.load(std::memory_order_acquire);
}

bool MappedFile::Populate(uint64_t offset, uint64_t length) const {
  const uint64_t file_bytes = (size_ + g_page - 1) & ~(uint64_t{g_page} - 1);
  const uint64_t begin = offset & ~(uint64_t{g_page} - 1);
  const uint64_t end = std::min<uint64_t>(offset + length, file_bytes);
  if (end <= begin) return ZeroFilledFrom() == UINT64_MAX;
  uint8_t* p = const_cast<uint8_t*>(data_) + begin;
  if (madvise(p, end - begin, MADV_POPULATE_READ) != 0) {
    if (errno == EFAULT) return false;  // "a SIGBUS would have been generated"
    // An older kernel: touch each page; the handler zero-fills what is gone.
    for (uint64_t i = 0; i < end - begin; i += g_page) {
      static_cast<void>(*static_cast<volatile const uint8_t*>(p + i));
    }
  }
  return ZeroFilledFrom() >= end;
}

}  // namespace flowsift
