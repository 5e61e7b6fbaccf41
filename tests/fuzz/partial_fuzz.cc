// libFuzzer: ReadPartial, the first thing `flowsift merge` does with a part's state.bin.zst (any
// file a merge is given: another machine's, a damaged one, a stray log). It refuses the file
// with a status and a message naming it, or accepts a file whose header, sections and run
// section hold what the merge then reads (state_fuzz.cc fuzzes the sections' payloads); no
// crash, hang or runaway memory (a frame of zeros may not decompress past its bound).
//
// Input: byte 0 picks the file: even, the rest as is (a zstd frame, damaged or not); odd, the
// rest as the decompressed content, put in a zstd frame with its checksum here, so that the
// fuzzer reaches the header and sections past the checksum. Seeds: tests/fuzz/corpus/partial.
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "pipeline/partial.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool frame_here = (data[0] & 1) != 0;
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (frame_here) {
    ZSTD_CCtx* c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    std::string packed(ZSTD_compressBound(bytes.size()), '\0');
    const size_t n = ZSTD_compress2(c, packed.data(), packed.size(), bytes.data(), bytes.size());
    ZSTD_freeCCtx(c);
    if (ZSTD_isError(n)) __builtin_trap();
    packed.resize(n);
    bytes = std::move(packed);
  }
  static const int file = memfd_create("partial_fuzz", 0);
  if (file < 0 || ftruncate(file, 0) != 0) __builtin_trap();
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n =
        pwrite(file, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n <= 0) __builtin_trap();
    done += static_cast<size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(file);
  flowsift::PartialFile part;
  std::string error;
  const flowsift::PartialStatus status = flowsift::ReadPartial(path, &part, &error);
  if (status != flowsift::PartialStatus::kOk) {
    if (error.find(path) == std::string::npos) __builtin_trap();  // names the file
    return 0;
  }
  // What the merge takes from an accepted file: the three sections, each once, and a run
  // section that is a JSON object.
  if (part.Find(flowsift::PartialSection::kRun) == nullptr ||
      part.Find(flowsift::PartialSection::kAggregate) == nullptr ||
      part.Find(flowsift::PartialSection::kDetection) == nullptr || !part.run.is_object()) {
    __builtin_trap();
  }
  for (const auto& section : part.sections) {
    const std::string_view payload = section.second;
    if (payload.data() < part.content.data() ||
        payload.data() + payload.size() > part.content.data() + part.content.size()) {
      __builtin_trap();  // a view into the content
    }
  }
  return 0;
}
