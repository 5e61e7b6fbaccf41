#include "tools/heap_pages.h"

#include <fmt/core.h>
#include <mimalloc.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "pipeline/huge_pages.h"

namespace flowsift::tools {
namespace {

constexpr char kLargePagesVariable[] = "MIMALLOC_LARGE_OS_PAGES";
// Set only for the process's second self: what the first one measured.
constexpr char kMeasuredVariable[] = "FLOWSIFT_HEAP_PAGES_MEASURED";

std::string& Text() {
  static std::string text;
  return text;
}

std::string Described(bool large, const std::string& why) {
  return fmt::format("{} ({})", large ? "2 MiB where transparent huge pages allow" : "4 KiB", why);
}

bool UnderValgrind() {
  const char* preload = std::getenv("LD_PRELOAD");
  return preload != nullptr && std::strstr(preload, "vgpreload") != nullptr;
}

}  // namespace

void ChooseHeapPages(char** argv) {
  const char* asked = std::getenv(kLargePagesVariable);
  const char* measured = std::getenv(kMeasuredVariable);
  if (asked != nullptr && measured != nullptr) {
    // The second self: mimalloc has read the variable. Neither stays in the environment, so a
    // flowsift started from this one measures for itself.
    Text() = Described(true, measured);
    unsetenv(kMeasuredVariable);
    unsetenv(kLargePagesVariable);
    return;
  }
  if (asked != nullptr) {
    const bool large = mi_option_is_enabled(mi_option_large_os_pages);
    Text() = Described(large, fmt::format("{}={}", kLargePagesVariable, asked));
    return;
  }
  const HeapPageCosts costs = MeasureHeapPageCosts();
  std::string why = fmt::format("measured at start-up: fresh 4 KiB pages {:.2f} ms a MiB",
                                costs.small_ms_per_mib);
  if (!costs.huge_pages_given) {
    why += "; no transparent huge pages (the 2 MiB probe got 4 KiB pages)";
  } else if (costs.huge_ms_per_mib >= 0) {
    why += fmt::format(", fresh 2 MiB pages {:.2f}", costs.huge_ms_per_mib);
  }
  if (costs.free_page_reporting) why += "; the kernel reports free pages to its hypervisor";
  const bool large = PreferHugePages(costs);
  Text() = Described(large, why);
  if (!large) return;  // mimalloc's default
  if (!UnderValgrind() && setenv(kMeasuredVariable, why.c_str(), 1) == 0 &&
      setenv(kLargePagesVariable, "1", 1) == 0) {
    execv("/proc/self/exe", argv);
  }
  // Still this process: the option for the segments made from now on.
  unsetenv(kMeasuredVariable);
  unsetenv(kLargePagesVariable);
  mi_option_set(mi_option_large_os_pages, 1);
}

const std::string& HeapPagesText() { return Text(); }

}  // namespace flowsift::tools
