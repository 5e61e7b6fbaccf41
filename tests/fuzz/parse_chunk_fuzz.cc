// libFuzzer: ParseChunk never crashes, accounts for every line, and gives the same batch with
// the best SIMD target as with the scalar target (so stage 1 and the column kernels agree with
// their references inside the whole parser), and that interned columns' ids name their rows'
// texts, one id a text.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hwy/targets.h"
#include "pipeline/parse_chunk.h"
#include "tests/batch_diff.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // First byte picks the format, so custom orders and IPv6-bearing formats get fuzzed too.
  if (size == 0) return 0;
  static const char* kFormats[] = {"v2", "v3", "v5", "tgw", "srcaddr dstaddr bytes action"};
  std::string error;
  const auto format = flowsift::Format::Parse(kFormats[data[0] % 5], &error);
  ++data;
  --size;
  std::vector<uint8_t> buf(size + flowsift::kernels::kPadding, 0);
  if (size > 0) memcpy(buf.data(), data, size);

  flowsift::ParseScratch scratch;
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  const flowsift::ParsedBatch best =
      flowsift::ParseChunk(buf.data(), size, *format, flowsift::AllFields(), scratch);
  hwy::SetSupportedTargetsForTest(HWY_SCALAR);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  const flowsift::ParsedBatch scalar =
      flowsift::ParseChunk(buf.data(), size, *format, flowsift::AllFields(), scratch);
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());

  if (!flowsift::testing::BatchDifference(best, scalar).empty()) __builtin_trap();
  if (best.rows + best.BadLineCount() + best.header_lines + best.blank_lines != best.lines) {
    __builtin_trap();
  }
  // The kept bad lines: in line order, the first of each reason, as many as the cap allows.
  std::array<uint32_t, flowsift::kNumLineErrors> kept{};
  for (size_t i = 0; i < best.bad_lines.size(); ++i) {
    if (i > 0 && best.bad_lines[i - 1].line >= best.bad_lines[i].line) __builtin_trap();
    ++kept[static_cast<size_t>(best.bad_lines[i].reason)];
  }
  for (size_t k = 0; k < flowsift::kNumLineErrors; ++k) {
    if (kept[k] != std::min<uint32_t>(best.bad_by_reason[k], flowsift::kBadLinesKeptPerReason)) {
      __builtin_trap();
    }
  }
  // Interned columns: every row's id names its own text, and no two ids name one text.
  for (const flowsift::Column& col : best.columns) {
    if (col.ids.empty()) continue;
    if (col.ids.size() != best.rows) __builtin_trap();
    for (size_t r = 0; r < best.rows; ++r) {
      if (col.ids[r] >= col.dict.size()) __builtin_trap();
      if (flowsift::LocalText(&col, col.ids[r], buf.data()) !=
          flowsift::SpanText(buf.data(), col.spans[r])) {
        __builtin_trap();
      }
    }
    std::set<std::string_view> texts;
    for (uint32_t id = 0; id < col.dict.size(); ++id) {
      if (!texts.insert(flowsift::LocalText(&col, id, buf.data())).second) __builtin_trap();
    }
  }
  return 0;
}
