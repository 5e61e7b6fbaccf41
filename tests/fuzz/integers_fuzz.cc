// libFuzzer: ParseUint (SWAR) and the column kernel == ParseUintScalar on any bytes, for any
// maximum: the bytes as one field, and as space-separated fields of one column.
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/integers.h"
#include "kernels/types.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t max = UINT64_MAX;
  if (size >= 8) {
    memcpy(&max, data, 8);
    data += 8;
    size -= 8;
  }
  std::vector<uint8_t> buf(size + flowsift::kernels::kPadding, 0xA5);
  if (size > 0) memcpy(buf.data(), data, size);
  const auto a = flowsift::kernels::ParseUint(buf.data(), size, max);
  const auto b = flowsift::kernels::ParseUintScalar(data, size, max);
  if (a.status != b.status || a.value != b.value) __builtin_trap();
  // The column kernel (SIMD on x86 targets) on the same field.
  const flowsift::kernels::FieldSpan span{0, static_cast<uint32_t>(size)};
  uint64_t value = 0;
  flowsift::kernels::FieldStatus status;
  flowsift::kernels::ParseUintColumn(buf.data(), &span, 1, max, &value, &status);
  if (status != b.status || value != b.value) __builtin_trap();
  // The same bytes as space-separated fields, one column: AVX2 and AVX-512 convert them in
  // pairs, each pair one vector, so a field's result must not depend on its neighbour.
  std::vector<flowsift::kernels::FieldSpan> spans;
  for (uint32_t i = 0, begin = 0; i <= size; ++i) {
    if (i == size || data[i] == ' ') {
      spans.push_back({begin, i});
      begin = i + 1;
    }
  }
  std::vector<uint64_t> values(spans.size());
  std::vector<flowsift::kernels::FieldStatus> statuses(spans.size());
  flowsift::kernels::ParseUintColumn(buf.data(), spans.data(), spans.size(), max, values.data(),
                                     statuses.data());
  for (size_t k = 0; k < spans.size(); ++k) {
    const auto want = flowsift::kernels::ParseUintScalar(data + spans[k].begin,
                                                         spans[k].end - spans[k].begin, max);
    if (statuses[k] != want.status || values[k] != want.value) __builtin_trap();
  }
  return 0;
}
