#include "pipeline/cpus.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>

namespace flowsift {
namespace {

namespace fs = std::filesystem;

// The first line of a small file, "" when it cannot be read.
std::string FirstLine(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// `text` as a decimal integer, all of it ("-1" too, v1's no quota); nullopt for anything else
// ("150000abc", "1.5", "", out of range), which std::stoll read as the digits it starts with.
std::optional<int64_t> Integer(std::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

// The tighter of two limits, 0 standing for none.
unsigned Tighter(unsigned a, unsigned b) { return a == 0 ? b : b == 0 ? a : std::min(a, b); }

// quota / period rounded up, 0 for no quota (or nonsense). Rounded up without quota + period - 1,
// which overflowed for a quota near INT64_MAX, and at most the largest unsigned: a quota of more
// CPUs than that (the kernel takes quotas up to 2^44 - 1 us and periods from 1,000 us) was cut to
// its low 32 bits, as few as 1.
unsigned Cpus(int64_t quota, int64_t period) {
  if (quota <= 0 || period <= 0) return 0;
  const int64_t cpus = quota / period + (quota % period != 0 ? 1 : 0);
  return static_cast<unsigned>(std::min<int64_t>(cpus, std::numeric_limits<unsigned>::max()));
}

// quota / period as Cpus, 0 unless both are whole integers: a malformed file is no limit.
unsigned CpusOf(std::string_view quota, std::string_view period) {
  const std::optional<int64_t> q = Integer(quota);
  const std::optional<int64_t> p = Integer(period);
  return q && p ? Cpus(*q, *p) : 0;
}

// One cgroup directory's quota: cgroup v2's cpu.max, else v1's two files.
unsigned LimitOf(const fs::path& dir) {
  std::istringstream max(FirstLine(dir / "cpu.max"));
  std::string quota;
  std::string period;
  if (max >> quota >> period) return quota == "max" ? 0 : CpusOf(quota, period);
  return CpusOf(FirstLine(dir / "cpu.cfs_quota_us"), FirstLine(dir / "cpu.cfs_period_us"));
}

// The smallest quota of the cgroup at `cgroup_path` under `top` (a hierarchy's mount) and of its
// ancestors up to `top`, 0 for none. A path that does not exist under the mount is the host's
// view of a cgroup namespace: the mount itself is then this process's cgroup.
unsigned LimitUpFrom(const fs::path& top, const std::string& cgroup_path) {
  std::error_code ec;
  const fs::path base = top.lexically_normal();
  fs::path dir = (base / fs::path(cgroup_path).relative_path()).lexically_normal();
  const fs::path rel = dir.lexically_relative(base);
  if (rel.empty() || rel == "." || *rel.begin() == ".." || !fs::is_directory(dir, ec)) dir = base;
  unsigned limit = 0;
  for (;; dir = dir.parent_path()) {
    limit = Tighter(limit, LimitOf(dir));
    if (dir == base || dir == dir.parent_path()) break;
  }
  return limit;
}

}  // namespace

unsigned CgroupCpuLimit(const std::string& root) {
  std::ifstream in(root + "/proc/self/cgroup");
  std::string line;
  unsigned limit = 0;
  // Lines are "hierarchy-id:controllers:path"; v2's is "0::path".
  while (std::getline(in, line)) {
    const size_t a = line.find(':');
    const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    if (line.compare(0, a, "0") == 0 && controllers.empty()) {
      limit = Tighter(limit, LimitUpFrom(root + "/sys/fs/cgroup", path));
      continue;
    }
    std::istringstream list(controllers);
    std::string c;
    bool cpu = false;
    while (std::getline(list, c, ',')) cpu |= c == "cpu";
    if (!cpu) continue;
    // Distributions mount the v1 cpu controller under one of these names (the others are links).
    for (const char* mount : {"cpu", "cpu,cpuacct", "cpuacct,cpu"}) {
      std::error_code ec;
      const fs::path top = root + "/sys/fs/cgroup/" + mount;
      if (!fs::is_directory(top, ec)) continue;
      limit = Tighter(limit, LimitUpFrom(top, path));
      break;
    }
  }
  return limit;
}

unsigned UsableCpus() {
  unsigned cpus = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus = static_cast<unsigned>(CPU_COUNT(&set));
  if (cpus == 0) cpus = std::thread::hardware_concurrency();
  return std::max(1u, Tighter(cpus, CgroupCpuLimit()));
}

}  // namespace flowsift
