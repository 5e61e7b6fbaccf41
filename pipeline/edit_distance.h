// Edit distance for "did you mean" suggestions: an unknown command or flag (tools/flowsift.cc)
// and an unknown --config key (pipeline/detect_config.cc).
#ifndef FLOWSIFT_PIPELINE_EDIT_DISTANCE_H_
#define FLOWSIFT_PIPELINE_EDIT_DISTANCE_H_

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

namespace flowsift {

// Edits (insertions, deletions, substitutions) from a to b: one row of the table at a time, so
// O(|a| |b|) time and O(|b|) memory. Callers skip names whose lengths differ by more than the
// distance they accept (at least that many edits), so a long word costs no table.
inline size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_EDIT_DISTANCE_H_
