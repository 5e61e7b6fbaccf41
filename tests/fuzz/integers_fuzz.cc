// libFuzzer: ParseUint (SWAR) == ParseUintScalar on any bytes, for any maximum.
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
  return 0;
}
