// A software prefetch that the compiler cannot delete.
#ifndef FLOWSIFT_KERNELS_PREFETCH_H_
#define FLOWSIFT_KERNELS_PREFETCH_H_

#include <cstdint>

namespace flowsift {

// Starts loading the cache line of `p` into L1 (prefetcht0). Never faults, whatever `p` is.
//
// Why not __builtin_prefetch: GCC 12 drops it where it judges the prefetch to have no effect.
// Detector::AddRows asked for 22 prefetches and its -O3 code had 14: the slot prefetches of
// the TRW, fan-in, exfiltration and relay tables, each alone in a lambda of the prefetch
// pipeline, were gone, so that pipeline had been waiting on every one of those misses. A small
// case (a loop calling a lambda whose only statement prefetches) loses its prefetch at -O1. A
// volatile asm statement is never removed; its operand is the address in a register, so
// nothing is dereferenced in C++ terms (a null or stale `p` is fine).
[[gnu::always_inline]] inline void PrefetchLine(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 (%0)" : : "r"(p));
#else
  __builtin_prefetch(p);
#endif
}

// PrefetchLine of the line `bytes` past `p`, for a stream read ahead of where it is consumed,
// which may be past the end of its buffer: the address is moved as an integer, so no pointer
// goes out of bounds, and the prefetch does nothing there.
[[gnu::always_inline]] inline void PrefetchLineAhead(const void* p, uintptr_t bytes) {
  PrefetchLine(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(p) + bytes));
}

}  // namespace flowsift

#endif  // FLOWSIFT_KERNELS_PREFETCH_H_
