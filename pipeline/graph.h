// The run's oneTBB flow graph: input files -> chunks (read/decompress) -> parallel parse ->
// partitions by source (a row's window, talker and detection where its source is; its
// exposure where its interface is) -> per partition, a serial aggregator and beside it a serial
// detector (without detection: a second aggregator for the exposure table), merged after the
// graph, with a serial reporter that turns chunk-relative bad lines into absolute line numbers.
// This file and graph.cc alone know TBB; the stages are plain functions and classes.
#ifndef FLOWSIFT_PIPELINE_GRAPH_H_
#define FLOWSIFT_PIPELINE_GRAPH_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/aggregate.h"
#include "pipeline/detect.h"
#include "pipeline/input.h"
#include "pipeline/parse_chunk.h"
#include "pipeline/reader.h"

namespace flowsift {

inline constexpr size_t kOneThreadChunkBytes = size_t{16} << 20;
// On one thread, once a chunk holds kManyNamesPerChunk distinct interface names or more, read
// and decompressed chunks grow to kManyNamesChunkBytes (graph.cc says why).
inline constexpr size_t kManyNamesPerChunk = 2048;
inline constexpr size_t kManyNamesChunkBytes = size_t{32} << 20;

struct GraphOptions {
  unsigned threads = 1;
  // Target bytes of a chunk; 0 = kChunkBytes, or kOneThreadChunkBytes for memory-mapped files
  // on one thread (graph.cc says why).
  size_t chunk_bytes = 0;
  std::shared_ptr<const Format> format;  // files without a header line; null = default
  AggregateOptions aggregate;
  DetectOptions detect;  // detect.enabled = false skips detection
  // Chunks alive at once (read, parsed or being aggregated): bounds memory whatever the input
  // size. 0 = 4 per thread; 1 with kOneThreadChunkBytes.
  size_t max_chunks_in_flight = 0;
  // Aggregation partitions; 0 = one per two threads (a partition is two serial nodes: its
  // aggregator and its detector, or without detection its exposure table's aggregator).
  unsigned partitions = 0;
  // Records whose start lies outside [since, until) are skipped (counted as filtered).
  uint64_t since = 0, until = UINT64_MAX;
  bool map_files = false;  // ReadOptions::map_files (--mmap)
  // Called with each chunk in the parse node before it is parsed (tests: a mapped file cut
  // after its chunk was handed out). Null in runs.
  std::function<void(const Chunk&)> before_parse;
};

// What happened to one input file.
struct FileReport {
  FileOutcome outcome;
  uint64_t lines = 0, records = 0, nodata = 0, skipdata = 0, filtered = 0;
  // With a time filter (since or until given) alone: the earliest and latest start of the
  // records read, kept or filtered (0 for a record without one), so that a filter that kept
  // nothing can say where the data is. UINT64_MAX and 0 otherwise.
  uint64_t first_start = UINT64_MAX, last_start = 0;
  uint64_t header_lines = 0, blank_lines = 0, bad_lines = 0;
  std::array<uint64_t, kNumLineErrors> bad_by_reason{};
  // The first byte other than a blank (space, tab, CR) of the file's first bad line (0 when
  // there is none): in a file without a record, its first line that is not blank, so what the
  // file holds (JSON's `{`, also after blank lines or indented), whichever lines the samples
  // kept (the first 20 of each reason in the whole run).
  char first_bad_line_byte = 0;
};

// A bad line kept as an example: the first kSamplesPerReason per reason in input order.
struct BadLineSample {
  uint32_t file = 0;
  uint64_t line = 0;    // 1-based, in the decompressed file
  uint64_t offset = 0;  // byte offset of the line in the decompressed file
  LineError reason = LineError::kTooFewFields;
  std::string text;  // its first 200 bytes
};
inline constexpr size_t kSamplesPerReason = 20;
static_assert(kSamplesPerReason <= kBadLinesKeptPerReason,
              "a batch keeps every bad line that can be a sample");
inline constexpr size_t kSampleBytes = kLineHeadBytes;  // 200, the reader's too

// Live counters for a progress display; written by the graph, read by anyone.
struct Progress {
  std::atomic<uint64_t> bytes_total{0};  // input bytes known (file sizes; stdin unknown)
  std::atomic<uint64_t> files_total{0};
  std::atomic<uint64_t> bytes_done{0};  // input bytes consumed (on disk for compressed files)
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> files_done{0};
  // Every input is read: the run is making its findings and writing its tables (set by Run).
  std::atomic<bool> writing{false};
};

// Wall seconds since `start` on the steady clock: the stage, run and merge timings.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU seconds (user and system) the calling thread has run, CLOCK_THREAD_CPUTIME_ID, so that a
// node's thread descheduled mid-chunk does not count as its stage's work. A system call, not
// the vDSO: ~1.5 us on the PVM guests we measure (the monotonic clock: ~30-70 ns).
inline double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Seconds on the monotonic clock (the vDSO: no system call).
inline double MonotonicSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A stage timing: one node body's work on one chunk. A big chunk is timed on the thread's CPU
// clock; a small one (a file of a few KB, as S3 delivers a quiet flow log every five minutes)
// on the monotonic clock, because the CPU clock's two system calls were ~5% of such a run
// (20,000 objects of 13 KB, `.gz`, two threads: 160,000 calls, ~0.26 s of ~4 s of CPU) and a
// body of ~0.1 ms is seldom descheduled midway.
class StageClock {
 public:
  // Chunks of this many bytes or more (a few ms of work) take the CPU clock.
  static constexpr size_t kCpuClockBytes = size_t{256} << 10;

  explicit StageClock(bool big) : cpu_(big), start_(Now()) {}
  static StageClock ForChunk(size_t bytes) { return StageClock(bytes >= kCpuClockBytes); }
  double Seconds() const { return Now() - start_; }
  bool cpu() const { return cpu_; }

 private:
  double Now() const { return cpu_ ? ThreadCpuSeconds() : MonotonicSeconds(); }
  bool cpu_;
  double start_;
};

// CPU seconds spent in each stage, summed over threads, and the wall time.
struct StageTimes {
  double read = 0, parse = 0, aggregate = 0, detect = 0, merge = 0, wall = 0;
};

struct GraphResult {
  Aggregator aggregate{AggregateOptions{}};
  Detector detect{DetectOptions{}};    // every partition's detection state, absorbed
  std::vector<FileReport> files;       // one per input, in input order
  std::vector<BadLineSample> samples;  // sorted by (reason, file, line)
  StageTimes times;
  uint64_t records = 0;
  uint64_t data_bytes = 0;  // decompressed bytes read: the sum of the files' data_bytes
};

// Runs the graph over `files` on the current TBB arena (the caller limits threads with
// tbb::global_control). Output does not depend on the number of threads.
GraphResult RunGraph(const std::vector<InputFile>& files, const GraphOptions& options,
                     Progress* progress);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_GRAPH_H_
