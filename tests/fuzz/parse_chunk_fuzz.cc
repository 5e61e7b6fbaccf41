// libFuzzer: ParseChunk never crashes, accounts for every line, and gives the same batch with
// the best SIMD target as with the scalar target (so stage 1 and the column kernels agree with
// their references inside the whole parser).
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hwy/targets.h"
#include "pipeline/parse_chunk.h"

namespace {

using flowsift::Column;
using flowsift::ParsedBatch;

bool SameBatch(const ParsedBatch& a, const ParsedBatch& b) {
  if (a.rows != b.rows || a.lines != b.lines || a.header_lines != b.header_lines ||
      a.blank_lines != b.blank_lines || a.columns.size() != b.columns.size() ||
      a.bad_lines.size() != b.bad_lines.size()) {
    return false;
  }
  for (size_t i = 0; i < a.bad_lines.size(); ++i) {
    if (a.bad_lines[i].line != b.bad_lines[i].line ||
        a.bad_lines[i].offset != b.bad_lines[i].offset ||
        a.bad_lines[i].reason != b.bad_lines[i].reason) {
      return false;
    }
  }
  for (size_t c = 0; c < a.columns.size(); ++c) {
    const Column &x = a.columns[c], &y = b.columns[c];
    if (x.status != y.status || x.u64 != y.u64 || x.addr != y.addr || x.code != y.code) {
      return false;
    }
    for (size_t r = 0; r < x.spans.size(); ++r) {
      if (x.spans[r].begin != y.spans[r].begin || x.spans[r].end != y.spans[r].end) return false;
    }
  }
  return true;
}

}  // namespace

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
  const ParsedBatch best =
      flowsift::ParseChunk(buf.data(), size, *format, flowsift::AllFields(), scratch);
  hwy::SetSupportedTargetsForTest(HWY_SCALAR);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  const ParsedBatch scalar =
      flowsift::ParseChunk(buf.data(), size, *format, flowsift::AllFields(), scratch);
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());

  if (!SameBatch(best, scalar)) __builtin_trap();
  if (best.rows + best.bad_lines.size() + best.header_lines + best.blank_lines != best.lines) {
    __builtin_trap();
  }
  return 0;
}
