#include "pipeline/human_bytes.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

namespace flowsift {

std::string HumanBytes(double b) {
  // Up to EiB: a saturated sum (2^63 - 1) had read "8388608.0 TiB". Powers of 1024, as --bytes
  // and the detection thresholds (1 GiB) count: show had printed "1.5 GB" beside a finding's
  // "1.3 GiB" of the same 1.5e9 bytes.
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  size_t u = 0;
  b = std::max(b, 0.0);
  while (b >= 1024 && u + 1 < std::size(units)) b /= 1024, ++u;
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%.0f B", std::floor(b));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", std::floor(b * 10) / 10, units[u]);
  }
  return buf;
}

std::string SizeAtLeast(double bytes) {
  // One decimal of the largest unit that keeps the value at 1 or more, rounded up: "3.4M".
  const char* units[] = {"", "K", "M", "G", "T"};
  size_t u = 0;
  double scaled = bytes;
  while (u + 1 < std::size(units) && scaled >= 1024) {
    scaled /= 1024;
    ++u;
  }
  // Rounded up, what is just under 1024 of a unit is 1024 of it ("1024.0K" for 1 MiB - 1 byte,
  // "1024" for 1023.5 bytes): said as 1.0 of the next unit, which is as much.
  const auto rounded = [&] { return u == 0 ? std::ceil(scaled) : std::ceil(scaled * 10) / 10; };
  if (rounded() >= 1024 && u + 1 < std::size(units)) {
    scaled /= 1024;
    ++u;
  }
  if (u == 0) return std::to_string(static_cast<uint64_t>(rounded()));
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f%s", rounded(), units[u]);
  return buf;
}

}  // namespace flowsift
