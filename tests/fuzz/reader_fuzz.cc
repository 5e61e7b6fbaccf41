// libFuzzer: FileReader on any file content (plain, gzip, zstd, damaged or not) never crashes or
// hangs; it hands out non-empty chunks of whole lines at increasing offsets (so it always makes
// progress; a small compressed input may still decompress to many chunks), then one last chunk
// with the file's outcome; its byte counts add up; and every chunk parses with every line
// accounted for.
//
// Input: byte 0 picks how the file is read: bits 0-3 the chunk size (16 bytes << k), bits 4-5
// the read() size for streams (64 bytes << k), bit 6 map plain files (ReadOptions::map_files),
// bit 7 a descriptor (the stream path) instead of a path (plain files read whole, read() or
// mapped); the rest is the file. Seeds: tests/fuzz/corpus/reader. Streams may grow their
// chunks to 4x the chunk size: after each chunk the target (ReadOptions::chunk_target) moves to
// 1x, 2x or 4x by the chunk's first byte, as the run's parse raises it between chunks; no chunk
// is larger than that, or than one line of kMaxLineBytes.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "pipeline/parse_chunk.h"
#include "pipeline/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  ++data;
  --size;
  static const int file = memfd_create("reader_fuzz", 0);
  if (file < 0 || ftruncate(file, 0) != 0) __builtin_trap();
  for (size_t done = 0; done < size;) {
    const ssize_t n = pwrite(file, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) __builtin_trap();
    done += static_cast<size_t>(n);
  }

  flowsift::ReadOptions options;
  options.chunk_bytes = size_t{16} << (mode & 15);
  options.read_bytes = size_t{64} << ((mode >> 4) & 3);
  options.map_files = (mode >> 6) & 1;
  std::atomic<size_t> target{0};
  options.max_chunk_bytes = options.chunk_bytes * 4;
  options.chunk_target = &target;
  const std::string path = "/proc/self/fd/" + std::to_string(file);
  flowsift::InputFile input;
  int stream = -1;
  if (mode & 0x80) {
    stream = open(path.c_str(), O_RDONLY);
    if (stream < 0) __builtin_trap();
    input.path = "fuzz";
    input.fd = stream;
  } else {
    input.path = path;
  }

  flowsift::ParseScratch scratch;
  uint64_t bytes = 0, next_offset = 0;
  bool ended = false;
  flowsift::FileReader reader(0, input, options);
  while (std::optional<flowsift::Chunk> c = reader.Next()) {
    if (ended) __builtin_trap();  // a chunk after the last one
    if (c->offset < next_offset) __builtin_trap();
    next_offset = c->offset + c->size;
    bytes += c->size;
    if (!c->last && (c->size == 0 || c->data[c->size - 1] != '\n')) __builtin_trap();
    if (c->last != (c->outcome != nullptr)) __builtin_trap();
    ended = c->last;
    if (c->format == nullptr) __builtin_trap();
    const flowsift::ParsedBatch b =
        flowsift::ParseChunk(c->data, c->size, *c->format, flowsift::AllFields(), scratch);
    if (b.rows + b.BadLineCount() + b.header_lines + b.blank_lines != b.lines) __builtin_trap();
    if (c->size > std::max(options.max_chunk_bytes, flowsift::kMaxLineBytes)) __builtin_trap();
    if (c->size > 0) target.store(options.chunk_bytes << (c->data[0] % 3));
  }
  if (!ended) __builtin_trap();
  const flowsift::FileOutcome& outcome = reader.outcome();
  if (bytes + outcome.dropped_bytes > outcome.data_bytes) __builtin_trap();
  if (!(mode & 0x80) && outcome.status == flowsift::FileStatus::kOk &&
      outcome.compression == flowsift::Compression::kNone && outcome.data_bytes != size) {
    __builtin_trap();
  }
  if (stream >= 0) close(stream);
  return 0;
}
