// The executable's operator new and delete, on mimalloc, ending the process with "out of
// memory" (exit 3) when memory runs out.
//
// libmimalloc's own operator new calls mi_new, which on failure asks the C++ new-handler, and
// with none found aborts: it is C, and the weak std::get_new_handler it declares binds to its
// own definition that returns null, so std::set_new_handler does not reach it. Under a memory limit
// (`ulimit -v`, a container's or a batch job's) a run then died by SIGABRT with no message and
// left its temporary OUT behind. Defined here, in the executable, these take precedence over
// the library's: a failed allocation ends the process with "out of memory", exit 3, its
// temporaries removed (ExitOutOfMemory: no unwinding through tables caught half-way). The
// nothrow forms return null, as the standard says. Every form the standard has is defined, so
// that no new of one allocator meets a delete of another.
#include <mimalloc.h>

#include <cstddef>
#include <new>

#include "pipeline/temporaries.h"

namespace {

void* Allocate(std::size_t n) {
  void* p = mi_malloc(n);
  if (p == nullptr) flowsift::ExitOutOfMemory();
  return p;
}

void* AllocateAligned(std::size_t n, std::align_val_t align) {
  void* p = mi_malloc_aligned(n, static_cast<std::size_t>(align));
  if (p == nullptr) flowsift::ExitOutOfMemory();
  return p;
}

}  // namespace

void* operator new(std::size_t n) { return Allocate(n); }
void* operator new[](std::size_t n) { return Allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return mi_malloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return mi_malloc(n); }
void* operator new(std::size_t n, std::align_val_t a) { return AllocateAligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return AllocateAligned(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return mi_malloc_aligned(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return mi_malloc_aligned(n, static_cast<std::size_t>(a));
}

void operator delete(void* p) noexcept { mi_free(p); }
void operator delete[](void* p) noexcept { mi_free(p); }
void operator delete(void* p, std::size_t) noexcept { mi_free(p); }
void operator delete[](void* p, std::size_t) noexcept { mi_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { mi_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { mi_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { mi_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { mi_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { mi_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { mi_free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { mi_free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { mi_free(p); }
