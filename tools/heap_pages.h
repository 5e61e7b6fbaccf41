// The page size of the binary's heap (mimalloc's segments), chosen once at start-up.
#ifndef FLOWSIFT_TOOLS_HEAP_PAGES_H_
#define FLOWSIFT_TOOLS_HEAP_PAGES_H_

#include <string>

namespace flowsift::tools {

// Call first in main. MIMALLOC_LARGE_OS_PAGES in the environment decides (1: 2 MiB pages, 0:
// 4 KiB). Without it the process measures what fresh pages cost now and chooses
// (MeasureHeapPageCosts and PreferHugePages, pipeline/huge_pages.h). When 2 MiB pages win it
// sets the variable and executes itself again, once: mimalloc reads it as the process loads,
// before main, and makes the main thread's first segment then (setting the option in main left
// that segment on 4 KiB pages: ~6,500 more page faults a run on 1 GiB of v2; docs/
// performance-history.md, "Forty-first session"). Not under valgrind, which follows no exec by
// default; there, or if the exec fails, the option is set in this process. When 4 KiB pages win
// nothing is executed again (mimalloc's default).
void ChooseHeapPages(char** argv);

// What ChooseHeapPages chose and why, for --version and the manifest: "2 MiB where transparent
// huge pages allow (...)" or "4 KiB (...)".
const std::string& HeapPagesText();

}  // namespace flowsift::tools

#endif  // FLOWSIFT_TOOLS_HEAP_PAGES_H_
