#include "pipeline/temporaries.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <utility>
#include <vector>

namespace flowsift {
namespace fs = std::filesystem;
namespace {

std::mutex& Mutex() {
  static std::mutex m;
  return m;
}
// Each temporary with its lock descriptor (-1 for none).
std::vector<std::pair<fs::path, int>>& Paths() {
  static std::vector<std::pair<fs::path, int>> paths;
  return paths;
}

// The registry's entry of `path`, or its end (with the registry's lock held).
std::vector<std::pair<fs::path, int>>::iterator Find(const fs::path& path) {
  auto& paths = Paths();
  return std::find_if(paths.begin(), paths.end(), [&](const auto& p) { return p.first == path; });
}

}  // namespace

void AddTemporary(const fs::path& path, int lock_fd) {
  std::lock_guard<std::mutex> lock(Mutex());
  AddTemporaryLocked(path, lock_fd);
}

void AddTemporaryLocked(const fs::path& path, int lock_fd) { Paths().emplace_back(path, lock_fd); }

void DropTemporary(const fs::path& path) {
  std::lock_guard<std::mutex> lock(Mutex());
  DropTemporaryLocked(path);
}

void DropTemporaryLocked(const fs::path& path) {
  const auto it = Find(path);
  if (it == Paths().end()) return;
  if (it->second >= 0) close(it->second);
  Paths().erase(it);
}

MadeDirectories::~MadeDirectories() {
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) RemoveTemporary(*it);
}

bool MadeDirectories::Create(const fs::path& dir, std::error_code* ec, fs::path* failed) {
  std::vector<fs::path> missing;  // dir, then each missing parent
  ec->clear();
  for (fs::path p = dir; !p.empty() && !fs::exists(p, *ec); p = p.parent_path()) {
    if (p.has_filename()) missing.push_back(p);  // "a/b/" is made as "a/b"
    if (!p.has_relative_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    // Made and registered under the registry's lock: an interrupt in between waits for it.
    auto registry = LockTemporaries();
    if (fs::create_directory(*it, *ec) && !*ec) {
      made_.push_back(*it);
      AddTemporaryLocked(*it);
    }
    if (*ec) {
      *failed = *it;
      return false;
    }
  }
  return true;
}

void MadeDirectories::Keep() {
  for (const fs::path& dir : made_) DropTemporary(dir);
  made_.clear();
}

void RemoveTemporary(const fs::path& path) {
  std::lock_guard<std::mutex> lock(Mutex());
  const auto it = Find(path);
  if (it != Paths().end() && it->second >= 0) {
    close(it->second);
    it->second = -1;
  }
  std::error_code ec;
  fs::remove_all(path, ec);
  if (it != Paths().end()) Paths().erase(it);
}

std::unique_lock<std::mutex> LockTemporaries() { return std::unique_lock<std::mutex>(Mutex()); }

namespace {

// Set with the registry's lock held, read with it held.
bool output_published = false;

// RemoveTemporariesForExit with the registry's lock held (and kept).
int RemoveTemporariesLocked() {
  int left = 0;
  for (const auto& entry : Paths()) {
    const fs::path& path = entry.first;
    // Worker threads may still be creating files in a temporary directory: a few tries.
    std::error_code ec;
    for (int attempt = 0; attempt < 5; ++attempt) {
      fs::remove_all(path, ec);
      if (!fs::exists(fs::symlink_status(path, ec))) break;
    }
    left += fs::exists(fs::symlink_status(path, ec)) ? 1 : 0;
  }
  return left;
}

}  // namespace

int RemoveTemporariesForExit() {
  Mutex().lock();  // never unlocked: the process ends next
  return RemoveTemporariesLocked();
}

void PauseForTest(const char* variable) {
  const char* text = std::getenv(variable);
  if (text == nullptr) return;
  const char* end = text + std::strlen(text);
  uint64_t seconds = 0;
  const auto [at, ec] = std::from_chars(text, end, seconds);
  if (ec != std::errc() || at != end || at == text) return;
  sleep(static_cast<unsigned>(std::min<uint64_t>(seconds, 60)));
}

void MarkOutputPublishedLocked() { output_published = true; }

namespace {
std::atomic<int> report_status{-1};
}  // namespace

void SetReportStatus(int status) { report_status.store(status); }
int ReportStatus() { return report_status.load(); }

bool RemoveTemporariesUnlessPublished() {
  Mutex().lock();
  if (output_published) {
    Mutex().unlock();
    return false;
  }
  RemoveTemporariesLocked();  // the lock is kept: the process ends next
  return true;
}

namespace {

// Removes the file or directory tree at `path` (relative to `dir_fd`) with system calls alone:
// no heap, which has just run out (std::filesystem::remove_all allocates, and failed, leaving
// the temporary behind). Entries come from getdents64 into a buffer on the stack.
void RemoveTreeWithoutHeap(int dir_fd, const char* path) {
  if (unlinkat(dir_fd, path, 0) == 0) return;
  const int fd = openat(dir_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  alignas(8) char buf[4096];
  for (;;) {
    const long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      struct Dirent64 {
        uint64_t ino;
        int64_t off;
        unsigned short reclen;
        unsigned char type;
        char name[1];
      };
      const auto* d = reinterpret_cast<const Dirent64*>(buf + off);
      off += d->reclen;
      if (std::strcmp(d->name, ".") == 0 || std::strcmp(d->name, "..") == 0) continue;
      RemoveTreeWithoutHeap(fd, d->name);
    }
  }
  close(fd);
  unlinkat(dir_fd, path, AT_REMOVEDIR);
}

}  // namespace

namespace {

// Held across a progress line's write.
std::mutex& ProgressLineMutex() {
  static std::mutex m;
  return m;
}
// With ProgressLineMutex held: the last progress line left its line unended.
bool progress_line_open = false;
// Set once by CloseProgressLine: no progress line after it.
std::atomic<bool> progress_closed{false};

}  // namespace

void WriteProgressLine(std::string_view text, bool open) {
  std::lock_guard<std::mutex> lock(ProgressLineMutex());
  if (progress_closed) return;
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
  progress_line_open = open;
}

void CloseProgressLine() {
  progress_closed = true;  // first: a line waiting for the lock is not written after this one
  // write(2) below: no stdio buffer, no heap (ExitOutOfMemory calls this).
  std::unique_lock<std::mutex> lock(ProgressLineMutex(), std::defer_lock);
  for (int i = 0; i < 100 && !lock.try_lock(); ++i) usleep(1000);
  if (lock.owns_lock() && progress_line_open) {
    [[maybe_unused]] const ssize_t n = write(STDERR_FILENO, "\n", 1);
    progress_line_open = false;
  }
}

void ExitOutOfMemory() {
  // Once: a second thread out of memory meanwhile just waits for the exit.
  static std::atomic<bool> exiting{false};
  if (!exiting.exchange(true)) {
    // The bar's line ended first, and no line after the message. A progress line being
    // written is waited for briefly: it may be this thread's own (its formatting ran out of
    // memory), whose lock is never released.
    CloseProgressLine();
    // write(2): no stdio buffer, no heap.
    constexpr char kPrefix[] = "flowsift: ";
    [[maybe_unused]] ssize_t n = write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
    n = write(STDERR_FILENO, kOutOfMemoryMessage, sizeof kOutOfMemoryMessage - 1);
    n = write(STDERR_FILENO, "\n", 1);
    // The registry's lock, never unlocked: nothing is published after this. This thread may
    // hold it already (a temporary's registration ran out of memory: Paths().emplace_back), and
    // waiting for it then hung the process; so it is tried for a second and the registry read
    // without it after that. Read so it is whole: a vector whose growth failed still has its
    // old buffer, and an element whose construction failed is not counted yet.
    // (try_lock by its owner is undefined for std::mutex; glibc's default mutex says busy.)
    for (int i = 0; i < 1000 && !Mutex().try_lock(); ++i) usleep(1000);
    for (const auto& entry : Paths()) RemoveTreeWithoutHeap(AT_FDCWD, entry.first.c_str());
    _exit(3);
  }
  for (;;) pause();
}

}  // namespace flowsift
