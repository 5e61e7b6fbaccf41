// libFuzzer harness for the address kernels. The input is one field. ParseAddrColumn (whichever
// target dispatch picks) must equal ParseAddrScalar in status and value, and an accepted address
// must survive FormatAddr -> ParseAddrScalar unchanged.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/addr.h"
#include "kernels/types.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using flowsift::kernels::Addr128;
  using flowsift::kernels::FieldSpan;
  using flowsift::kernels::FieldStatus;
  if (size > 4096) return 0;

  // Exactly kPadding readable bytes after the field, as the reader guarantees, and no more, so
  // AddressSanitizer catches a kernel that loads beyond them. The padding is junk, not zeros.
  std::vector<uint8_t> buf(size + flowsift::kernels::kPadding, 0xA5);
  if (size != 0) memcpy(buf.data(), data, size);
  const FieldSpan span{0, static_cast<uint32_t>(size)};

  Addr128 column{1, 1};
  FieldStatus column_status = FieldStatus::kOverflow;
  flowsift::kernels::ParseAddrColumn(buf.data(), &span, 1, &column, &column_status);
  Addr128 scalar{2, 2};
  const FieldStatus scalar_status = flowsift::kernels::ParseAddrScalar(data, size, &scalar);
  if (column_status != scalar_status || column != scalar) __builtin_trap();

  if (scalar_status == FieldStatus::kOk) {
    const std::string text = flowsift::kernels::FormatAddr(scalar);
    Addr128 back{3, 3};
    const FieldStatus back_status = flowsift::kernels::ParseAddrScalar(
        reinterpret_cast<const uint8_t*>(text.data()), text.size(), &back);
    if (back_status != FieldStatus::kOk || back != scalar) __builtin_trap();
  } else if (scalar != Addr128{0, 0}) {
    __builtin_trap();  // kMissing and kBadSyntax promise {0, 0}
  }
  return 0;
}
