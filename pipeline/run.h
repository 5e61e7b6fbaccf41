// `flowsift run` as a library call: inputs -> the summary directory OUT (SPEC sections 2, 3).
#ifndef FLOWSIFT_PIPELINE_RUN_H_
#define FLOWSIFT_PIPELINE_RUN_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/detect.h"
#include "pipeline/graph.h"
#include "pipeline/networks.h"

namespace flowsift {

// Bumped when a file in OUT changes incompatibly; `show` and `merge` read the same major.
inline constexpr int kOutputFormatVersion = 1;
// The most shards a run may be split into (--shard I/N, an array job's size).
inline constexpr uint32_t kMaxShards = 1000000;

struct RunOptions {
  std::vector<std::string> inputs;      // files, directories, "-"
  std::vector<std::string> files_from;  // lists of paths ("-" = stdin)
  std::string out_dir;
  bool force = false;  // replace an existing out_dir
  uint32_t window = 600;
  unsigned threads = 1;
  NetworkSet internal = NetworkSet::DefaultInternal();
  std::shared_ptr<const Format> format;  // files without a header; null = default v2
  uint64_t since = 0, until = UINT64_MAX;
  uint32_t shard_index = 0, shard_count = 1;  // run inputs i with i % count == index
  bool strict = false;                        // any bad line makes the exit code 1
  bool partial = false;    // also write OUT/state.bin.zst for `flowsift merge` (docs/partial.md)
  size_t chunk_bytes = 0;  // 0 = GraphOptions' choice
  bool map_files = false;  // --mmap: map plain files instead of read() (ReadOptions::map_files)
  std::string version = "dev";  // tool version for the manifest
  std::string simd_target;      // for the manifest
  std::string heap_pages;       // for the manifest: the heap's page size and why
  std::string options_text;     // the command line, for the manifest
  DetectOptions detect;         // thresholds; detect.enabled = false skips detection
};

struct RunResult {
  // SPEC 2.2: 0, 1 (inputs failed, or records read and every one left out by --since/--until)
  // or 3 (outputs).
  int exit_code = 0;
  std::string error;  // why outputs could not be written (exit 3)
  GraphResult graph;
  std::vector<InputFile> files;  // after discovery and sharding
  // The list the shards were taken from (every shard of one run lists the same files): its
  // length and a hash of its absolute paths in order, saved in a part so that merge checks
  // each run's shards for coverage on their own (merge.cc; computed for --partial alone).
  uint64_t listed_files = 0, listed_files_hash = 0;
  std::vector<InputError> missing;    // inputs that could not be listed
  std::vector<std::string> failures;  // one message per failed input
  std::vector<std::string> notes;     // what the run chose not to read, and why
  uint64_t bad_lines = 0;
  // Records read and left out by --since/--until, and the earliest and latest start of the
  // records read when a filter was given (FileReport's first_start and last_start).
  uint64_t filtered = 0;
  uint64_t first_start = UINT64_MAX, last_start = 0;
  // Records were read and --since/--until kept none of them: exit 1.
  bool nothing_kept = false;
  uint64_t input_bytes = 0;        // bytes read from disk
  std::vector<Finding> findings;   // the lines of findings.jsonl.zst
  FindingCounts findings_allowed;  // left out by the allowlists, by type
  std::string manifest_json;
  // --stats-json: the manifest's totals, timings and throughput with the SIMD target and the
  // threads (no trailing newline).
  std::string stats_json;
  // Wall seconds from the start of Run to the four data files written (graph.times.wall is the
  // graph's share), and of the output phase: findings, the tables' rows, compression, writing.
  double wall_seconds = 0, output_seconds = 0;
};

// Reads the inputs, aggregates them on `threads` threads and writes OUT atomically: every
// file goes to a temporary sibling directory that is renamed into place at the end, so a
// killed run never leaves a half-written OUT. Exceptions only for programming errors; every
// input or output problem is in the result. `progress` may be null.
RunResult Run(const RunOptions& options, Progress* progress);

// Writes findings.jsonl.zst: one FindingJson line per finding.
[[nodiscard]] bool WriteFindings(const std::string& path, const std::vector<Finding>& findings,
                                 std::string* error);
// Each interface's life in `rows`: from the hour of its first window to the end of the hour of
// its last (the rows are in (name, start) order), in whole hours so that it is the same for every
// --window. For Detector::Findings.
InterfaceLives LivesOf(const WindowRows& rows);

// Writes the four output tables into `dir` under their SPEC names (pipeline/summary.h): the
// windows rows and findings that `windows_and_findings` makes, and the talkers and exposure rows
// built from `agg`. The three builds and their zstd streams run as concurrent tasks within the
// caller's thread limit, so the windows and findings (a serial few tens of milliseconds) overlap
// the exposure table; with one thread they run in that order. `windows_and_findings` sets the
// windows view (the aggregator's windows in order, Aggregator::WindowsInOrder, which the writer
// formats frame by frame), returns the findings (which the caller keeps), and may free what it no
// longer needs (the detector) before the other two tasks build their rows. False with *error (the
// first failure's message) when any file could not be written.
[[nodiscard]] bool WriteTables(
    const std::filesystem::path& dir, const Aggregator& agg,
    const std::function<const std::vector<Finding>&(WindowRows&)>& windows_and_findings,
    std::string* error);

// The zstd frames of each of the four tables in `dir`, for manifest.json's `tables`
// ({"windows.csv.zst": {"frames": N}, ...}): a table cut exactly at the end of one of its
// frames still decodes whole, and `show` finds it by its frame count (docs/outputs.md).
nlohmann::ordered_json TableFrames(const std::filesystem::path& dir);

// Empty when `path` is a regular file, or nothing (opening it says so); else why it is not
// read: "not a regular file (a FIFO)". A file of OUT or of a part is a regular file: a FIFO put
// in its place blocked the open until something wrote to it, and a link to /dev/zero read until
// memory ran out (show, export, merge).
std::string NotARegularFile(const std::string& path);
// Appends the bytes of the file at `path` to *out; false with *error naming the file and why
// ("path: No such file or directory", "path: read error: Is a directory": a stream would read
// a directory as empty). It stops once it appended more than `max_bytes` (a stream that never
// ends, `<(yes)`): the caller tells that from what it appended.
[[nodiscard]] bool ReadTextFile(const std::string& path, std::string* out, std::string* error,
                                size_t max_bytes = SIZE_MAX);
// Writes `text` to `path` (binary); false with *error naming the file.
[[nodiscard]] bool WriteTextFile(const std::filesystem::path& path, const std::string& text,
                                 std::string* error);
// This host's name as part of a temporary's file name ('/' and control bytes replaced, at most
// 64 bytes), so that a command never takes another host's temporary on a shared file system
// for one of its own (run's and merge's OUT, export's FILE).
std::string HostForFileName();
// A temporary (a `directory`, else a regular file) of a process that ended without removing it
// (SIGKILL, a crash): older than a minute (a live one may be between creating it and taking its
// lock) and its flock(2) free (the kernel drops a process's locks however it ends). Returns a
// descriptor holding its lock, to close once it is removed; -1 for any other (young, held, of
// another type, gone).
int LockAbandonedTemporary(const std::filesystem::path& path, bool directory);
// Creates an empty hidden directory next to `out` (same filesystem, so PublishOutput's rename
// is atomic), `.OUT.tmp-HOST-XXXXXX`, locked while this process has it; false with *error.
// First removes this host's temporaries of `out` that no live run holds (left by a run that was
// killed), each with a line in *notes.
[[nodiscard]] bool MakeSiblingTempDir(const std::filesystem::path& out, std::filesystem::path* tmp,
                                      std::string* error,
                                      std::vector<std::string>* notes = nullptr);
// True for the names of the files run, merge and demo write into OUT (the four tables,
// manifest.json, state.bin.zst): what --force replaces. Anything else in OUT is kept.
bool IsOwnOutputFile(std::string_view name);
// Empty when `out` may be replaced with --force: it does not exist, or it is a directory that
// is empty or holds flowsift's manifest.json (an earlier output of run, merge or demo).
// Otherwise why not, naming `out`: --force must not take a log file, a directory of logs or
// another tool's directory for an output (`run logs -o logs --force` replaced the logs with
// their summary).
std::string WhyNotReplaceable(const std::filesystem::path& out);
// Replaces the directory `out` by `tmp` with renames only, so a reader sees the old OUT or the
// new one; an existing `out` only when `force` and WhyNotReplaceable says nothing. What the
// old `out` held besides flowsift's own files (a --stats-json file, an export, logs put there)
// is then moved into the new one, never deleted; one that cannot be moved stays in
// `out`.old-PID. False with *error (and `out` unchanged).
[[nodiscard]] bool PublishOutput(const std::filesystem::path& tmp, const std::filesystem::path& out,
                                 bool force, std::string* error);
// `error` of a write into the temporary `tmp` (removed by then) or of PublishOutput, for the
// user: its files named as `out`'s ("cannot write OUT/windows.csv.zst: No space left on
// device", not ".OUT.tmp-HOST-X/..."), then what `out` is: "(OUT is kept as it was)" or
// "(nothing was written)".
std::string FailedOutputText(const std::filesystem::path& tmp, const std::filesystem::path& out,
                             std::string error);

// Picks this shard's inputs: those whose index in the sorted list is index mod count.
std::vector<InputFile> SelectShard(std::vector<InputFile> files, uint32_t index, uint32_t count);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_RUN_H_
