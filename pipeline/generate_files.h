// `flowsift gen` output: generated flow logs written as files the way AWS delivers them (flat
// files, or S3 object keys with 5-minute objects), plain, gzip (ISA-L) or zstd, plus the ground
// truth. docs/gen.md describes the layouts and truth.jsonl.
#ifndef FLOWSIFT_PIPELINE_GENERATE_FILES_H_
#define FLOWSIFT_PIPELINE_GENERATE_FILES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/generate.h"

namespace flowsift {

enum class GenLayout : uint8_t {
  kFlat,    // DIR/flows-NNNNN.log[.gz|.zst], `files` files of equal record counts
  kS3,      // DIR/AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/<object>
  kS3Hive,  // DIR/AWSLogs/aws-account-id=<id>/aws-service=vpcflowlogs/aws-region=<r>/year=...
};
enum class GenCompression : uint8_t { kNone, kGzip, kZstd };

struct GenFilesOptions {
  GenOptions gen;  // gen.header is ignored: every file starts with the header line
  std::string dir;
  GenLayout layout = GenLayout::kFlat;
  GenCompression compression = GenCompression::kNone;
  uint32_t files = 1;  // flat layout only
};

struct GenFilesResult {
  uint64_t records = 0;
  uint64_t text_bytes = 0;         // uncompressed, headers included
  uint64_t file_bytes = 0;         // as written
  std::vector<std::string> paths;  // data files, in time order
  size_t attacks = 0, lookalikes = 0;
};

// Writes the data files, DIR/truth.jsonl (one line per injected attack, possibly none) and
// DIR/lookalikes.jsonl, and with attacks DIR/scanners.jsonl (without, an earlier output's is
// removed). Each file is written to a hidden temporary name and renamed into place.
// The bytes depend on the options only. S3 layouts put each record into the object of the
// 5-minute period its `end` falls in (AWS: "records ending 16:20:00-16:24:59" go into the
// object named ..._20180620T1620Z_...), so records are grouped by period, not by interval.
// Throws std::invalid_argument for impossible options (FlowGenerator's) and std::runtime_error
// when a file cannot be written.
GenFilesResult GenerateFiles(const GenFilesOptions& options);

// The name of the i-th data file of the flat layout ("flows-00000.log" and its compression's
// extension), relative to DIR.
std::string FlatFileName(unsigned i, GenCompression compression);

// The object key of one S3 object, relative to DIR: `period` is the epoch second its 5-minute
// period starts at, `hash` its 8 hex digits' value.
std::string S3ObjectKey(GenLayout layout, std::string_view account, std::string_view region,
                        std::string_view flow_log_id, uint64_t period, uint32_t hash,
                        GenCompression compression);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_GENERATE_FILES_H_
