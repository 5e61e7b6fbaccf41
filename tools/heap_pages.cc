#include "tools/heap_pages.h"

#include <fmt/core.h>
#include <mimalloc.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pipeline/huge_pages.h"
#include "tools/show_print.h"

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

// Whether mimalloc reads `value` of an option, as its mi_option_init (options.c, 2.0) does:
// in upper case, empty or a part of "1;TRUE;YES;ON" is 1 ("ES" too), a part of "0;FALSE;NO;OFF"
// 0, else a whole number as strtol reads one. Anything else it ignores for the option's
// default, and says so only with MIMALLOC_VERBOSE. Of a value past 64 bytes it reads the first
// 64 (mi_getenv copies into 65 bytes): 70 digits are a number to it, not an ignored value.
bool MimallocReads(const char* value) {
  std::string upper(value, std::min<size_t>(std::strlen(value), 64));
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.empty() || std::strstr("1;TRUE;YES;ON", upper.c_str()) != nullptr ||
      std::strstr("0;FALSE;NO;OFF", upper.c_str()) != nullptr) {
    return true;
  }
  char* end = nullptr;
  static_cast<void>(std::strtol(upper.c_str(), &end, 10));
  return end != upper.c_str() && *end == '\0';
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
    // `MIMALLOC_LARGE_OS_PAGES=garbage` was 4 KiB pages without a word. fprintf, not
    // fmt::print: a closed stderr is no reason to stop (fmt::print throws, outside main's try).
    if (!MimallocReads(asked)) {
      const std::string warning = fmt::format(
          "flowsift: {}={} is no value mimalloc reads (1, 0, yes, no, on, off, true, false or a "
          "whole number): it is ignored, and the heap uses {}\n",
          kLargePagesVariable, Printable(asked),
          large ? "2 MiB pages where transparent huge pages allow" : "4 KiB pages");
      std::fputs(warning.c_str(), stderr);
    }
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
