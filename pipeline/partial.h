// The mergeable state of a partial run (`flowsift run --partial`): one zstd file,
// OUT/state.bin.zst, that `flowsift merge` combines with others into the outputs one run over all
// inputs would have written. The layout is in docs/partial.md: a fixed header (magic, versions,
// flags, window, internal networks), then sections (id, length, payload) so that a new kind of
// state is a new section and leaves the others' encoding alone, then an end section. The zstd frame
// carries its content size and an XXH64 checksum of the content, so a truncated or damaged
// file is detected before any of it is used.
#ifndef FLOWSIFT_PIPELINE_PARTIAL_H_
#define FLOWSIFT_PIPELINE_PARTIAL_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/aggregate.h"

namespace flowsift {

inline constexpr std::string_view kStateFile = "state.bin.zst";
// The first 16 bytes of the decompressed content.
inline constexpr std::string_view kPartialMagic = "flowsift-partial";
// Bumped when the header or the encoding of an existing section changes. A reader accepts
// only its own version: merging parts of different versions is refused.
// Version 2: a detection state's attempt lists hold up to 64 attempts (16 in version 1).
// Version 3: a window's port list holds up to 192 ports (16 in version 2).
// Version 4: the detection state ends with its active times, and reject windows count their
// destinations and protocols.
// Version 5: the detection state has reflection states (after fan-in).
// Version 6: a detection state's relays count their flows (after their bytes).
// Version 7: an exfiltration side's destinations carry their bytes in records of 64 KiB or
// more, and past the list it keeps a sketch of the heaviest (before its distinct counter).
inline constexpr uint32_t kPartialFormatVersion = 7;

// Section ids. A reader refuses a section id it does not know unless bit 31 (kOptional) is
// set: a required section it cannot apply would silently change the merged outputs.
enum class PartialSection : uint32_t {
  kEnd = 0,        // last: u32 number of sections before it, u64 bytes before it
  kRun = 1,        // JSON: options that must match between parts, shard, the part's manifest
  kAggregate = 2,  // Aggregator::Save
  kDetection = 3,  // Detector::Save
};
inline constexpr uint32_t kOptionalSection = 0x80000000u;

// Header flags (none defined in version 1); a reader refuses a file with bits it does not
// know.
inline constexpr uint32_t kKnownPartialFlags = 0;

struct PartialHeader {
  uint32_t format_version = kPartialFormatVersion;
  uint32_t output_format_version = 0;  // kOutputFormatVersion of the writer (pipeline/run.h)
  uint32_t flags = 0;
  uint32_t window = 0;   // seconds
  std::string internal;  // NetworkSet::ToString()
};

// A whole partial state file, decompressed and checked: header, and the sections in file
// order as (id, payload) views into `content`.
struct PartialFile {
  std::string path;
  PartialHeader header;
  std::string content;
  std::vector<std::pair<uint32_t, std::string_view>> sections;
  nlohmann::ordered_json run;  // the kRun section, parsed

  // The payload of section `id`, or null when the file has none.
  const std::string_view* Find(PartialSection id) const;
};

// Builds the content: header, sections in the given order, end section.
class PartialBuilder {
 public:
  explicit PartialBuilder(const PartialHeader& header);
  // Appends a section; `payload` is copied.
  void AddSection(uint32_t id, std::string_view payload);
  // Ends the content and writes it to `path` as one zstd frame (level 3, content size,
  // checksum), compressed on `threads` threads. False with *error on an I/O failure.
  [[nodiscard]] bool Write(const std::string& path, unsigned threads, std::string* error);

 private:
  std::string content_;
  uint32_t sections_ = 0;
};

// Why a partial state file was refused.
enum class PartialStatus : uint8_t {
  kOk = 0,
  kUnreadable = 1,  // cannot open or read the file
  kCorrupt = 2,     // not a zstd frame, checksum mismatch, bad magic, malformed sections
  kTruncated = 3,   // the zstd frame or the sections end early
  kVersion = 4,     // another partial or output format version, or unknown flags / sections
};

// Reads, decompresses and checks `path` (magic, versions, flags, section structure, the run
// section's JSON). Every message in *error names the file.
[[nodiscard]] PartialStatus ReadPartial(const std::string& path, PartialFile* file,
                                        std::string* error);

// Whether `path` is a regular file whose content begins with kPartialMagic: a state file under
// any name (one renamed when collected, p0.state.zst). Decompresses its first bytes only; the
// rest is not checked (ReadPartial does that).
[[nodiscard]] bool BeginsAsPartial(const std::string& path);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_PARTIAL_H_
