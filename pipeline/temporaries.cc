#include "pipeline/temporaries.h"

#include <algorithm>
#include <system_error>
#include <vector>

namespace flowsift {
namespace fs = std::filesystem;
namespace {

std::mutex& Mutex() {
  static std::mutex m;
  return m;
}
std::vector<fs::path>& Paths() {
  static std::vector<fs::path> paths;
  return paths;
}

}  // namespace

void AddTemporary(const fs::path& path) {
  std::lock_guard<std::mutex> lock(Mutex());
  Paths().push_back(path);
}

void DropTemporary(const fs::path& path) {
  std::lock_guard<std::mutex> lock(Mutex());
  std::vector<fs::path>& paths = Paths();
  const auto it = std::find(paths.begin(), paths.end(), path);
  if (it != paths.end()) paths.erase(it);
}

std::unique_lock<std::mutex> LockTemporaries() { return std::unique_lock<std::mutex>(Mutex()); }

int RemoveTemporariesForExit() {
  Mutex().lock();  // never unlocked: the process ends next
  int left = 0;
  for (const fs::path& path : Paths()) {
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
