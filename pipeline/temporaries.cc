#include "pipeline/temporaries.h"

#include <unistd.h>

#include <algorithm>
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

}  // namespace

void AddTemporary(const fs::path& path, int lock_fd) {
  std::lock_guard<std::mutex> lock(Mutex());
  Paths().emplace_back(path, lock_fd);
}

void DropTemporary(const fs::path& path) {
  std::lock_guard<std::mutex> lock(Mutex());
  auto& paths = Paths();
  const auto it =
      std::find_if(paths.begin(), paths.end(), [&](const auto& p) { return p.first == path; });
  if (it == paths.end()) return;
  if (it->second >= 0) close(it->second);
  paths.erase(it);
}

std::unique_lock<std::mutex> LockTemporaries() { return std::unique_lock<std::mutex>(Mutex()); }

int RemoveTemporariesForExit() {
  Mutex().lock();  // never unlocked: the process ends next
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

}  // namespace flowsift
