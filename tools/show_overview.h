// The overview of `flowsift show OUT` (no --table): where OUT came from, its inputs and
// failures, the totals, the busiest windows and the findings by type and severity; every table
// of OUT is read or checked to its end, so that the overview serves as a check of a whole OUT.
#ifndef FLOWSIFT_TOOLS_SHOW_OVERVIEW_H_
#define FLOWSIFT_TOOLS_SHOW_OVERVIEW_H_

#include "pipeline/summary.h"
#include "tools/commands.h"
#include "tools/show_rows.h"

namespace flowsift::tools {

// Prints the overview (--as table or json; csv is a usage error, thrown as
// CLI::ValidationError); returns the exit code (1 when a table is missing or damaged).
int ShowOverview(const Summary& s, const ShowFlags& flags, const Filters& filters);

}  // namespace flowsift::tools

#endif  // FLOWSIFT_TOOLS_SHOW_OVERVIEW_H_
