// Distributed runs (docs/distributed.md): `flowsift run --partial` writes its mergeable state
// beside the usual files, and `flowsift merge PART... -o OUT` combines any number of such
// parts, from any split of the inputs and in any order, into the outputs one run over all the
// inputs writes.
#ifndef FLOWSIFT_PIPELINE_MERGE_H_
#define FLOWSIFT_PIPELINE_MERGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/partial.h"
#include "pipeline/run.h"

namespace flowsift {

// Writes the state of a finished run `r` (options `opt`, manifest r.manifest_json) to `path`
// (OUT/state.bin.zst). False with *error when it cannot be written.
[[nodiscard]] bool WritePartialState(const std::string& path, const RunOptions& opt,
                                     const RunResult& r, std::string* error);

struct MergeOptions {
  // Part directories (OUT of `run --partial`) or their state.bin.zst files.
  std::vector<std::string> parts;
  std::string out_dir;
  bool force = false;  // replace an existing out_dir
  std::string version = "dev";
  std::string options_text;  // the command line, for the manifest
};

struct MergeResult {
  // SPEC 2.2: 0; 1 some parts unreadable, corrupt, truncated, without their state file or
  // with another part's (each named in failures, the
  // rest merged; when none could be read nothing is written), or some part's inputs failed, as
  // one run would exit, or the parts do not cover every shard (missing_shards: their inputs are
  // missing from OUT, which is written); 2 the parts cannot be
  // merged (made with other windows, networks, time filters, default formats or format
  // versions; a part given twice; an output without state, a run's without --partial or a
  // merge's; the directory holding the parts; an input in two parts; no parts; OUT is or holds a
  // part) and nothing is written; 3 outputs.
  int exit_code = 0;
  std::string error;                        // why nothing was written (exit 2 or 3)
  std::vector<std::string> failures;        // one message per part that could not be merged
  std::vector<std::string> input_failures;  // failed inputs recorded in the merged parts
  std::vector<std::string> missing_shards;  // shards that no merged part covers (exit 1)
  std::vector<std::string> notes;           // e.g. the bad lines of --strict parts
  size_t parts_merged = 0;
  uint64_t records = 0;
  uint64_t findings = 0;
  FindingCounts findings_allowed;  // left out by the parts' allowlists, by type
  double read_seconds = 0, merge_seconds = 0, write_seconds = 0, wall_seconds = 0;
  std::string manifest_json;
};

// Reads the parts one at a time, merging each into one aggregator (memory: the merged keys
// plus one part), and writes OUT atomically like Run.
MergeResult MergeParts(const MergeOptions& options);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_MERGE_H_
