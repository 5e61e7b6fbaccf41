// The first difference between two parsed batches, for the parser's tests and its fuzzer.
#ifndef FLOWSIFT_TESTS_BATCH_DIFF_H_
#define FLOWSIFT_TESTS_BATCH_DIFF_H_

#include <cstddef>
#include <string>

#include "pipeline/parse_chunk.h"

namespace flowsift::testing {

// "" when `a` and `b` hold the same counts, bad lines (line, offset, reason) and columns (field,
// kind, every value vector, interned ids and dictionary); else what differs first.
inline std::string BatchDifference(const ParsedBatch& a, const ParsedBatch& b) {
  if (a.rows != b.rows) return "rows";
  if (a.lines != b.lines) return "lines";
  if (a.header_lines != b.header_lines) return "header_lines";
  if (a.blank_lines != b.blank_lines) return "blank_lines";
  if (a.bad_by_reason != b.bad_by_reason) return "bad lines by reason";
  if (a.bad_lines.size() != b.bad_lines.size()) return "number of bad lines";
  for (size_t i = 0; i < a.bad_lines.size(); ++i) {
    const BadLine &x = a.bad_lines[i], &y = b.bad_lines[i];
    if (x.line != y.line || x.offset != y.offset || x.reason != y.reason) {
      return "bad line " + std::to_string(i);
    }
  }
  if (a.columns.size() != b.columns.size()) return "number of columns";
  const auto same_spans = [](const auto& u, const auto& v) {
    if (u.size() != v.size()) return false;
    for (size_t r = 0; r < u.size(); ++r) {
      if (u[r].begin != v[r].begin || u[r].end != v[r].end) return false;
    }
    return true;
  };
  for (size_t k = 0; k < a.columns.size(); ++k) {
    const Column &x = a.columns[k], &y = b.columns[k];
    const std::string where = "column " + std::to_string(k) + ": ";
    if (x.field != y.field || x.kind != y.kind) return where + "field or kind";
    if (x.status != y.status) return where + "status";
    if (x.u64 != y.u64) return where + "u64";
    if (x.addr != y.addr) return where + "addr";
    if (x.code != y.code) return where + "code";
    if (!same_spans(x.spans, y.spans)) return where + "spans";
    if (x.ids != y.ids) return where + "ids";
    if (!same_spans(x.dict, y.dict)) return where + "dict";
  }
  return "";
}

}  // namespace flowsift::testing

#endif  // FLOWSIFT_TESTS_BATCH_DIFF_H_
