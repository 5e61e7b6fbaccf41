// Shard coverage of merged parts: see merge_coverage.h.
#include "pipeline/merge_coverage.h"

#include <map>
#include <numeric>
#include <utility>

namespace flowsift {
namespace {

// When the merged parts' shards (i/N) do not cover every input between them, says which are
// missing: a shard that was never run, or whose part failed, is otherwise silent (its inputs
// are simply not in OUT), and `merge parts/*` after a worker that died before making its
// directory exited 0. Shards of several counts (0/2 with 1/4 and 3/4) are checked over
// the least common multiple of the counts.
// A missing shard that a failed part's manifest says it was is named with that part: "a part
// that failed may have been one of them" left the user to open each failed part's manifest.
std::vector<std::string> ShardCoverageOfOneRun(const std::vector<const PartShard*>& parts,
                                               const std::vector<FailedShard>& failed,
                                               size_t failed_unsaid, const std::string& run,
                                               std::vector<std::string>* notes) {
  // Input k is in shard k mod N of a run of N shards: the parts cover every input when they
  // cover every class mod the least common multiple of their counts. One count (the usual
  // array) is N classes, at most a million; mixed counts whose multiple passes 2^24 are not
  // checked, and a note says so.
  constexpr uint64_t kMaxClasses = uint64_t{1} << 24;
  uint64_t classes = 1;
  for (const PartShard* p : parts) {
    classes = std::lcm(classes, uint64_t{p->count});
    if (classes > kMaxClasses) {
      notes->push_back(
          "the parts' shard counts differ too much to check that they cover every input "
          "(their least common multiple passes 2^24): make all parts with one --shard I/N");
      return {};
    }
  }
  std::vector<bool> covered(classes);
  for (const PartShard* p : parts) {
    for (uint64_t c = p->index; c < classes; c += p->count) covered[c] = true;
  }
  std::string missing;
  size_t count = 0;
  for (uint64_t c = 0; c < classes; ++c) {
    if (covered[c]) continue;
    if (count++ < 8) missing += (missing.empty() ? "" : ", ") + std::to_string(c);
  }
  if (count == 0) return {};
  if (count > 8) missing += ", ... (" + std::to_string(count) + " in all)";
  // Parts of different counts (0/2 with 1/3: a part of another run among the parts) are named,
  // a part per count: "shard(s) 3, 5 of 6" alone named none, and asked for shards of a run of
  // six that was never made.
  std::map<uint32_t, const std::string*> count_of;
  for (const PartShard* p : parts) count_of.emplace(p->count, &p->path);
  std::string counts;
  if (count_of.size() > 1) {
    size_t listed = 0;
    for (const auto& [n, path] : count_of) {
      if (listed++ == 4) {
        counts += ", ...";
        break;
      }
      counts += (counts.empty() ? "" : ", ") + *path + " is of " + std::to_string(n);
    }
    counts = " (the parts are shards of runs of different counts: " + counts +
             "; parts of one run have one count)";
  }
  // The failed parts of a count that divides the classes' (a shard of another count is only
  // part of one class) whose shard is among the missing.
  std::string named;
  size_t named_count = 0;
  for (const FailedShard& f : failed) {
    if (classes % f.count != 0) continue;
    bool among = false;
    for (uint64_t c = f.index; c < classes && !among; c += f.count) among = !covered[c];
    if (!among) continue;
    if (named_count++ == 4) {
      named += ", ...";
      break;
    }
    named += (named.empty() ? "" : ", ") + f.part + " is shard " + std::to_string(f.index) + "/" +
             std::to_string(f.count);
  }
  std::string failed_text;
  if (!named.empty()) {
    failed_text = " (of the parts that failed above, " + named +
                  (failed_unsaid != 0 ? "; another that failed may have been one of them" : "") +
                  ")";
  } else if (failed_unsaid != 0) {
    failed_text = " (a part that failed may have been one of them)";
  }
  return {"the merged parts" + run + " do not cover shard(s) " + missing + " of " +
          std::to_string(classes) + counts + failed_text +
          ": their inputs are not in the output; run them (--shard I/" + std::to_string(classes) +
          " --partial) and merge again"};
}

}  // namespace

// ShardCoverageOfOneRun for each run's parts: those that list the same inputs (the same files
// in the same order) before sharding. Pooled, another night's shard 3/4 had covered this
// night's missing one, and merge exited 0 without a word of its inputs. Parts made before runs
// saved their list are one run, as they always were.
std::vector<std::string> ShardCoverageNotes(const std::vector<PartShard>& parts,
                                            const std::vector<FailedShard>& failed,
                                            size_t failed_unsaid, std::vector<std::string>* notes) {
  std::map<std::string, std::vector<const PartShard*>> runs;
  for (const PartShard& p : parts) runs[p.run_list].push_back(&p);
  std::vector<std::string> missing;
  for (const auto& [list, of_run] : runs) {
    // Named by a part when the parts are of several runs (nights merged into a week).
    const std::string run =
        runs.size() == 1 ? "" : " of the run that " + of_run.front()->path + " is a shard of";
    for (std::string& m : ShardCoverageOfOneRun(of_run, failed, failed_unsaid, run, notes)) {
      missing.push_back(std::move(m));
    }
  }
  return missing;
}

}  // namespace flowsift
