// Whether the parts of `flowsift merge` cover every shard of their runs (docs/distributed.md),
// and which failed part was a shard that is missing: the notes merge prints after the parts are
// read (pipeline/merge.cc, MergeParts).
#ifndef FLOWSIFT_PIPELINE_MERGE_COVERAGE_H_
#define FLOWSIFT_PIPELINE_MERGE_COVERAGE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace flowsift {

// A merged part's shard I/N.
struct PartShard {
  std::string path;  // as merge names the part (its state file)
  uint32_t index = 0, count = 1;
  // Its run's list of inputs before sharding ("count:hash"; "" from a part made before
  // flowsift saved it): the parts of one run share it.
  std::string run_list;
};

// A part that failed, by the shard its manifest.json says (options.shard, "I/N"): a part whose
// state file is missing or damaged still has the manifest its run wrote beside it.
struct FailedShard {
  std::string part;  // its directory
  uint32_t index, count;
};

// A message per run whose merged `parts` do not cover every shard of it, naming the missing
// shards and, of the `failed` parts, those that were one of them (`failed_unsaid` more failed
// parts say no shard); none when every shard is covered. A run's parts are those that list the
// same inputs (the same files in the same order) before sharding: pooled, another night's shard
// 3/4 had covered this night's missing one, and merge exited 0 without a word of its inputs.
// Parts made before runs saved their list are one run, as they always were. Shard counts too
// different to check (their least common multiple past 2^24) are a line in *notes instead.
std::vector<std::string> ShardCoverageNotes(const std::vector<PartShard>& parts,
                                            const std::vector<FailedShard>& failed,
                                            size_t failed_unsaid, std::vector<std::string>* notes);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_MERGE_COVERAGE_H_
