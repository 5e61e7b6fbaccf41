// The flow graph of `flowsift run`. Shape (see graph.h):
//
//   tokens -> queue -> limiter -> read -> parse -> aggregate[k]  (serial, one per partition)
//                        ^        |        |    \-> detect[k] or exposure[k]  (serial, beside it)
//                        |        |        +-> reporter (serial: line numbers, counts, samples)
//                        |        +-> next token of the same file, or of the next file -> queue
//                        +------------ slot released when a chunk's last serial node is done
//
// A read token stands for "read the next chunk of file f"; only one exists per open file, so
// a file is read in order by one thread at a time while different files decompress on all
// cores. The limiter admits a token only while fewer than max_chunks_in_flight chunks are
// alive; the last serial node to finish a chunk releases its slot. Memory is therefore bounded
// by chunk size x slots plus the aggregation state, whatever the input size.
//
// Partitions own sources: Aggregator::Route sends each row to the partition that owns its
// source, which updates its window, its talker and all of its detection (scan walks, attempts,
// brute force, exfiltration, fan-in, relays, rejects). A row from an external source also
// updates its interface's exposure, in the partition that owns the interface: a second visit
// for about half of those rows. So a source's state is never split, and nothing is done twice.
//
// An earlier design gave every key of every table one owner (windows by interface, fan-in by
// destination, ...) so that combining was O(1); but then most rows visited two partitions, and
// two threads executed 19% more instructions than one (callgrind, 64 MB of v2). Now windows,
// and detection's keys of another host than the row's source, are in several partitions and
// merge after the graph: Aggregator::AbsorbPartition and Detector::CombinePartitions (~0.1 s
// on 1 GiB, both at once).
//
// Aggregation and detection of a partition are two serial nodes, so they run at once on two
// threads: with detection, two threads get one partition (one aggregator, one detector, and
// the parse wherever a thread is free) instead of two partitions that each do both. That
// avoids the routing, the second visits and a second copy of every table, and keeps both
// threads busy: on the Zen 4 machine 1.91 -> 1.72 s for the 1 GiB v2 file on two threads,
// 3.26 -> 2.88 s of user CPU, peak RSS 481 -> 417 MB (docs/performance-history.md,
// "Twenty-first session"). An earlier version ran both in one node, a block of rows at a time
// while its columns were in the L2 cache; one thread was not faster for it. Without detection
// the second node is a second Aggregator that keeps only the partition's exposure table (the
// first keeps windows and talkers; AddRows' mask), absorbed after the graph like a partition:
// two threads 1.36-1.40 -> 1.18-1.28 s, peak RSS -52 MB. It runs a loop of its own, an
// external source's row one append to the table's log: through the windows' staged loop it
// repeated each row's window and counter work (callgrind, 64 MB of v2: two threads 1,126 ->
// 1,016 M instructions, one thread's single aggregator 974 M). One thread keeps a single
// aggregator, which reads each row's interface and source once for all three tables.
#include "pipeline/graph.h"

#include <sys/mman.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/flow_graph.h>
#include <tbb/parallel_invoke.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <string_view>

#include "kernels/enums.h"
#include "pipeline/distinct.h"

namespace flowsift {
namespace {

using Clock = std::chrono::steady_clock;
namespace flow = tbb::flow;

// Per-thread stage clocks, one cache line each so threads never share one (false sharing cost
// 30% in the prototype, reference/performance.md).
struct alignas(64) ThreadTimes {
  double read = 0, parse = 0, aggregate = 0, detect = 0;
};

struct ReadToken {
  uint32_t file = 0;
};

// One parsed chunk on its way through the partitions.
struct Work {
  std::shared_ptr<const Chunk> chunk;
  ParsedBatch batch;
  std::vector<PartitionRows> parts;  // per partition; empty tables = every table
  std::atomic<unsigned> pending{0};  // serial nodes still to see its rows
};

// Work objects handed back by their last serial node, to be parsed into again (ParseChunk's
// `recycled`): a run maps each chunk's columns once per pooled Work, not once per chunk. The
// limiter bounds the Works alive, so the pool holds at most max_chunks_in_flight plus one per
// thread (a slot is released just before its Work is).
class WorkPool {
 public:
  std::shared_ptr<Work> Get() {
    std::unique_ptr<Work> w;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        w = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!w) w = std::make_unique<Work>();
    return std::shared_ptr<Work>(w.release(), [this](Work* p) { Put(p); });
  }

 private:
  void Put(Work* p) {
    std::unique_ptr<Work> w(p);
    w->chunk.reset();  // the chunk's bytes (a mapping's pages, a reader's buffer) go now
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(w));
  }

  std::mutex mu_;
  std::vector<std::unique_ptr<Work>> free_;
};

struct PartMsg {
  std::shared_ptr<Work> work;
  unsigned part = 0;
};

// What the serial reporter needs to know about one chunk.
struct ChunkReport {
  uint32_t file = 0, seq = 0;
  bool last = false;
  uint32_t lines_before = 0;
  uint64_t offset = 0;
  std::vector<ReaderLineError> reader_errors;
  uint64_t lines = 0, records = 0, nodata = 0, skipdata = 0, filtered = 0;
  uint64_t first_start = UINT64_MAX, last_start = 0;  // FileReport's
  uint64_t header_lines = 0, blank_lines = 0;
  std::vector<BadLine> bad;           // the batch's kept bad lines (the first of each reason)
  std::vector<std::string> bad_text;  // parallel to `bad`; empty past the per-reason cap
  std::array<uint32_t, kNumLineErrors> bad_by_reason{};  // every bad line
  std::shared_ptr<const FileOutcome> outcome;
  bool damaged = false;  // a mapped file cut before the chunk was parsed: its rows dropped
};

// Turns chunk-relative line numbers into file line numbers, file by file in chunk order, and
// keeps the per-file counts and the first bad-line samples. Plain class, fed serially.
class Reporter {
 public:
  explicit Reporter(size_t files) : files_(files) {}

  void Add(ChunkReport r) {
    PerFile& f = files_[r.file];
    if (r.seq != f.next_seq) {
      f.pending.emplace(r.seq, std::move(r));
      return;
    }
    Apply(f, r);
    for (auto it = f.pending.begin(); it != f.pending.end() && it->first == f.next_seq;
         it = f.pending.erase(it)) {
      Apply(f, it->second);
    }
  }

  std::vector<FileReport> TakeFiles() {
    std::vector<FileReport> out;
    for (PerFile& f : files_) out.push_back(std::move(f.report));
    return out;
  }

  std::vector<BadLineSample> TakeSamples() {
    std::vector<BadLineSample> out;
    for (auto& s : samples_) {
      for (auto& x : s) out.push_back(std::move(x));
    }
    return out;
  }

 private:
  struct PerFile {
    uint64_t done = 0;  // lines before the next chunk's data
    uint32_t next_seq = 0;
    uint64_t dropped_from = UINT64_MAX;  // the first byte of the first damaged chunk
    std::map<uint32_t, ChunkReport> pending;
    FileReport report;
  };

  void Sample(BadLineSample s) {
    auto& v = samples_[static_cast<size_t>(s.reason)];
    const auto before = [](const BadLineSample& a, const BadLineSample& b) {
      return a.file != b.file ? a.file < b.file : a.line < b.line;
    };
    if (v.size() == kSamplesPerReason && !before(s, v.back())) return;
    v.insert(std::upper_bound(v.begin(), v.end(), s, before), std::move(s));
    if (v.size() > kSamplesPerReason) v.pop_back();
  }

  void Apply(PerFile& f, const ChunkReport& r) {
    FileReport& rep = f.report;
    // The file's first bad line: a chunk's reader errors come before its data, and its parser's
    // bad lines are in line order. Its first byte that is not a blank, so that JSON after blank
    // lines or indented (`  {`) is told as JSON too (it had been line 1's first byte alone).
    bool first_bad = rep.bad_lines == 0;
    const auto note_first = [&](const std::string& text) {
      if (!first_bad) return;
      first_bad = false;
      const size_t at = text.find_first_not_of(" \t\r");
      rep.first_bad_line_byte = at != std::string::npos ? text[at] : 0;
    };
    for (const ReaderLineError& e : r.reader_errors) {
      ++rep.bad_lines;
      ++rep.bad_by_reason[static_cast<size_t>(e.reason)];
      note_first(e.head);
      Sample({r.file, f.done + e.index + 1, e.offset, e.reason, e.head});
    }
    for (size_t k = 0; k < kNumLineErrors; ++k) {
      rep.bad_lines += r.bad_by_reason[k];
      rep.bad_by_reason[k] += r.bad_by_reason[k];
    }
    const uint64_t first_line = f.done + r.lines_before + 1;
    for (size_t i = 0; i < r.bad.size(); ++i) {
      const BadLine& b = r.bad[i];
      if (i == 0) note_first(i < r.bad_text.size() ? r.bad_text[i] : std::string());
      Sample({r.file, first_line + b.line, r.offset + b.offset, b.reason,
              i < r.bad_text.size() ? r.bad_text[i] : std::string()});
    }
    // A damaged chunk's lines were partly zeros: none of them are counted, as none of its
    // records or bad lines are, and the file's outcome says from where (its reader, finished
    // before the cut, may have called the file whole or named a later byte).
    if (r.damaged) f.dropped_from = std::min(f.dropped_from, r.offset);
    rep.lines += r.lines_before + (r.damaged ? 0 : r.lines);
    rep.records += r.records;
    rep.nodata += r.nodata;
    rep.skipdata += r.skipdata;
    rep.filtered += r.filtered;
    rep.first_start = std::min(rep.first_start, r.first_start);
    rep.last_start = std::max(rep.last_start, r.last_start);
    rep.header_lines += r.header_lines;
    rep.blank_lines += r.blank_lines;
    if (r.last && r.outcome) {
      rep.outcome = *r.outcome;
      if (f.dropped_from != UINT64_MAX) NoteDroppedFrom(rep.outcome, f.dropped_from);
    }
    f.done += r.lines_before + r.lines;
    ++f.next_seq;
  }

  std::vector<PerFile> files_;
  std::array<std::vector<BadLineSample>, kNumLineErrors> samples_;
};

// Drops the pages wholly inside a consumed chunk of a mapped file from this process (they stay
// in the page cache). Without it peak RSS grows with the input: every page of a 1 GiB file
// stays mapped until the file's last chunk is gone. Pages shared with the neighbouring chunks
// are kept; those chunks may still be parsing.
void ReleasePages(const Chunk& chunk) {
  if (chunk.mapped == nullptr || chunk.size == 0) return;
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(chunk.data) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(chunk.data) + chunk.size) & ~(page - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace

GraphResult RunGraph(const std::vector<InputFile>& files, const GraphOptions& options,
                     Progress* progress) {
  const Clock::time_point wall_start = Clock::now();
  const unsigned threads = std::max(1u, options.threads);
  // A partition is two serial nodes (one, on one thread without detection), so one partition
  // per two threads.
  const unsigned parts = options.partitions ? options.partitions : std::max(1u, threads / 2);
  const bool detect = options.detect.enabled;
  // Without detection a partition's second node keeps its exposure table; on one thread that
  // would only repeat each row's interface, window and address work (+6% there).
  const bool exposure_apart = !detect && threads > 1;
  // One thread runs the parse and the serial nodes by turns, a chunk each, and each turn
  // first reloads the lines of its tables that the others evicted. Larger chunks are fewer
  // turns: mapped (--mmap) v2 and v5 files in 16 MiB chunks, one in flight, ran 4-8% faster
  // with detection (aggregator and detector take turns) and ~3% without
  // (docs/performance-history.md, "Twenty-third session"). A mapped chunk is a view of the
  // mapping, so its size costs only its parsed columns (+18 MB peak RSS on 1 GiB of v2 with
  // detection); decompressed and read() chunks are buffers of their own and stay at
  // kChunkBytes, one in flight (16 MiB was slower for `.gz`; v2 read in 4 MiB chunks took
  // 0.94-0.96x the wall time of mapped 16 MiB ones, "Fortieth session"). On two threads the
  // serial nodes mostly run at once, each on its own thread, and 16 MiB chunks measured no
  // faster there.
  const bool larger_mapped_chunks = threads == 1 && options.chunk_bytes == 0;
  const size_t chunk_bytes = options.chunk_bytes ? options.chunk_bytes : kChunkBytes;
  // Each consumer resolves a chunk's interface names once per chunk (LocalIdMap), and the parse
  // interns them afresh in each chunk: work per chunk and name, as large as the per-record work
  // when each 4 MiB chunk of a day of 10,000 interfaces holds ~10,000 names. So on one thread,
  // once a chunk shows kManyNamesPerChunk names, the reader's next chunks are
  // kManyNamesChunkBytes: on that day (1 GiB, read()), parse CPU 1.13 -> 0.82 s, user CPU
  // 4.76 -> 4.62 s, wall within the machine's noise (median of 9 6.80 -> 6.37 s), +28 MB RSS;
  // instructions -3.5% (callgrind, 128 MB of it). Few interfaces gain nothing from larger
  // chunks (1 GiB of v2 in 32 MiB chunks: 1.81 -> 1.87 s, `.gz` 2.04 -> 2.24 s, +90-120 MB),
  // and on two threads each chunk in flight would be one of these.
  // (docs/performance-history.md, "Fifty-third session".)
  const bool grow_chunks = larger_mapped_chunks;
  std::atomic<size_t> chunk_target{chunk_bytes};
  const size_t in_flight = options.max_chunks_in_flight ? options.max_chunks_in_flight
                           : larger_mapped_chunks       ? 1
                                                        : size_t{4} * threads;
  FieldSet wanted = Aggregator::NeededFields();
  if (detect) wanted |= Detector::NeededFields();

  ReadOptions read_options;
  read_options.chunk_bytes = chunk_bytes;
  read_options.mapped_chunk_bytes = larger_mapped_chunks ? kOneThreadChunkBytes : chunk_bytes;
  if (grow_chunks) {
    read_options.max_chunk_bytes = kManyNamesChunkBytes;
    read_options.chunk_target = &chunk_target;
  }
  read_options.format = options.format;
  read_options.map_files = options.map_files;
  // One pool of chunk buffers for every file: a chunk in flight holds one, and so does each
  // file open at once (threads + 1, below). Per file, each `.gz` object of the S3 layout took
  // fresh pages for its few chunks.
  read_options.buffers = SharedChunkBuffers(read_options, in_flight + threads + 1);

  std::vector<std::unique_ptr<FileReader>> readers(files.size());
  // A plain file's bytes counted as done so far (progress): up to its last chunk's end, and at
  // its last chunk the whole file. A file's chunks are read one after another.
  std::vector<uint64_t> plain_done(progress != nullptr ? files.size() : 0);
  std::atomic<size_t> next_file{0};
  std::vector<Aggregator> aggregators;
  std::vector<Aggregator> exposures;  // without detection: each partition's exposure table
  std::vector<Detector> detectors;
  for (unsigned k = 0; k < parts; ++k) {
    aggregators.emplace_back(options.aggregate);
    if (exposure_apart) exposures.emplace_back(options.aggregate);
    detectors.emplace_back(options.detect);
  }
  Reporter reporter(files.size());
  // Per-thread buffers of the parse node.
  struct Scratch {
    ParseScratch parse;
    ColumnVector<uint32_t> kept;  // rows inside [since, until)
  };
  tbb::enumerable_thread_specific<Scratch> scratch;
  tbb::enumerable_thread_specific<ThreadTimes> times;

  WorkPool pool;  // outlives the graph, whose messages hold Works
  flow::graph g;
  flow::queue_node<ReadToken> tokens(g);
  flow::limiter_node<ReadToken> limiter(g, in_flight);
  using ReadNode =
      flow::multifunction_node<ReadToken, std::tuple<std::shared_ptr<const Chunk>, ReadToken>>;
  std::vector<std::unique_ptr<flow::function_node<PartMsg>>> aggregate_nodes;
  std::vector<std::unique_ptr<flow::function_node<PartMsg>>> second_nodes;  // detect or exposure

  const auto release_slot = [&limiter] { limiter.decrementer().try_put(flow::continue_msg()); };

  ReadNode read(g, flow::unlimited, [&](const ReadToken& t, ReadNode::output_ports_type& out) {
    std::unique_ptr<FileReader>& reader = readers[t.file];
    // A file's first chunk on the monotonic clock: most files of a run of many are one small
    // chunk. Its later chunks (a big file's, each read_options.chunk_bytes) on the CPU clock.
    const StageClock clock(reader != nullptr);
    if (!reader) reader = std::make_unique<FileReader>(t.file, files[t.file], read_options);
    const uint64_t disk_before = reader->outcome().disk_bytes;
    std::optional<Chunk> chunk = reader->Next();
    if (!chunk) {  // cannot happen: the token stops after the last chunk
      release_slot();
      return;
    }
    const bool last = chunk->last;
    if (progress != nullptr) {
      const FileOutcome& o = reader->outcome();
      if (o.compression == Compression::kNone) {
        // Through the chunk's end, which counts the bytes the reader took between chunks (a
        // header line, a BOM, lines too long): the chunks' sizes alone left every AWS file's
        // header out, and the bar stopped short of its total.
        uint64_t& done = plain_done[t.file];
        const uint64_t end = std::max(chunk->offset + chunk->size, last ? o.disk_bytes : 0);
        progress->bytes_done += end - std::min(done, end);
        done = std::max(done, end);
      } else {
        progress->bytes_done += o.disk_bytes - disk_before;
      }
      if (last) ++progress->files_done;
    }
    if (last) reader.reset();  // the chunks keep what they point into alive
    times.local().read += clock.Seconds();
    std::get<0>(out).try_put(std::make_shared<const Chunk>(std::move(*chunk)));
    if (!last) {
      std::get<1>(out).try_put(t);
    } else if (const size_t next = next_file++; next < files.size()) {
      std::get<1>(out).try_put(ReadToken{static_cast<uint32_t>(next)});
    }
  });

  flow::function_node<ChunkReport> report(g, flow::serial,
                                          [&](ChunkReport r) { reporter.Add(std::move(r)); });

  flow::function_node<std::shared_ptr<const Chunk>> parse(
      g, flow::unlimited, [&](const std::shared_ptr<const Chunk>& chunk) {
        if (options.before_parse) options.before_parse(*chunk);
        const StageClock clock = StageClock::ForChunk(chunk->size);
        std::shared_ptr<Work> work = pool.Get();
        work->chunk = chunk;
        const Format& format = chunk->format ? *chunk->format : Format::Default();
        work->batch = ParseChunk(chunk->data, chunk->size, format, wanted, scratch.local().parse,
                                 std::move(work->batch));
        ParsedBatch& b = work->batch;
        if (grow_chunks) {
          const Column* names = b.FindInterface();
          if (names != nullptr && names->dict.size() >= kManyNamesPerChunk) {
            chunk_target.store(kManyNamesChunkBytes, std::memory_order_relaxed);
          }
        }

        ChunkReport rep;
        rep.file = chunk->file;
        rep.seq = chunk->seq;
        rep.last = chunk->last;
        rep.lines_before = chunk->lines_before;
        rep.offset = chunk->offset;
        rep.reader_errors = chunk->reader_errors;
        rep.outcome = chunk->outcome;
        rep.lines = b.lines;
        rep.header_lines = b.header_lines + chunk->header_lines;
        rep.blank_lines = b.blank_lines;
        // A mapped file that shrank under us: its zero-filled bytes are not records, and their
        // "bad lines" are not the file's either (the file's status says what happened).
        const bool damaged = chunk->Damaged();
        rep.damaged = damaged;
        if (!damaged) {
          rep.bad = b.bad_lines;
          rep.bad_by_reason = b.bad_by_reason;
        }
        // Text for the first bad lines of each reason only: no more can become samples.
        std::array<size_t, kNumLineErrors> texts{};
        rep.bad_text.resize(rep.bad.size());
        for (size_t i = 0; i < rep.bad.size(); ++i) {
          const BadLine& bl = rep.bad[i];
          if (texts[static_cast<size_t>(bl.reason)]++ >= kSamplesPerReason) continue;
          const size_t end = std::min<size_t>(chunk->size, bl.offset + kSampleBytes);
          std::string_view text(reinterpret_cast<const char*>(chunk->data) + bl.offset,
                                end - bl.offset);
          rep.bad_text[i] = std::string(text.substr(0, text.find('\n')));
        }

        work->parts.resize(parts);
        // With one partition every row updates every table there: no routing needed.
        ColumnVector<uint32_t>& kept = parts == 1 ? work->parts[0].rows : scratch.local().kept;
        // The rows whose start is in [since, until), and their NODATA and SKIPDATA counts:
        // branch-free stores into the sized array (with no time filter, the common case, every
        // row; a loop with a push_back and a branch a row was ~1% of a run's samples).
        const size_t rows = damaged ? 0 : b.rows;
        kept.resize(rows);
        const ColumnView v_status(b.Find(Field::kLogStatus)), v_start(b.Find(Field::kStart));
        const bool filter = options.since != 0 || options.until != UINT64_MAX;
        uint32_t* const out = kept.data();
        size_t n = 0;
        if (!filter) {
          for (size_t r = 0; r < rows; ++r) out[r] = static_cast<uint32_t>(r);
          n = rows;
        } else {
          uint64_t first = UINT64_MAX, last = 0;
          for (size_t r = 0; r < rows; ++r) {
            const uint64_t t = v_start.U64Or0(r);
            out[n] = static_cast<uint32_t>(r);
            n += t >= options.since && t < options.until;
            first = std::min(first, t);
            last = std::max(last, t);
          }
          rep.first_start = first;
          rep.last_start = last;
        }
        kept.resize(n);
        rep.records += n;
        rep.filtered += rows - n;
        if (v_status.exists()) {
          for (size_t k = 0; k < n; ++k) {
            const auto code = static_cast<kernels::LogStatus>(v_status.code[out[k]]);
            rep.nodata += code == kernels::LogStatus::kNoData;
            rep.skipdata += code == kernels::LogStatus::kSkipData;
          }
        }
        if (parts > 1) {
          Aggregator::Route(b, chunk->data, kept.data(), kept.size(), options.aggregate.internal,
                            work->parts);
        }
        if (progress != nullptr) progress->records += rep.records;
        report.try_put(std::move(rep));

        unsigned busy = 0;
        for (const PartitionRows& p : work->parts) busy += !p.rows.empty();
        times.local().parse += clock.Seconds();
        if (busy == 0) {
          ReleasePages(*chunk);
          release_slot();
          return;
        }
        work->pending = second_nodes.empty() ? busy : 2 * busy;
        for (unsigned k = 0; k < parts; ++k) {
          if (work->parts[k].rows.empty()) continue;
          aggregate_nodes[k]->try_put(PartMsg{work, k});
          if (!second_nodes.empty()) second_nodes[k]->try_put(PartMsg{work, k});
        }
      });

  // The last of a chunk's serial nodes to finish hands its pages back and frees its slot.
  const auto done = [&](const PartMsg& m) {
    if (--m.work->pending == 0) {
      ReleasePages(*m.work->chunk);
      release_slot();
    }
  };
  // Beside each partition's aggregator, its detector; or, without detection and on more than
  // one thread, a second aggregator that keeps the partition's exposure table, so that two
  // threads still share the work (the first then keeps windows and talkers).
  const uint8_t first_mask = exposure_apart ? kWindowTable | kTalkerTable : kAllTables;
  // An aggregating node's work on a chunk: its partition's rows, the tables in `mask`.
  const auto aggregate = [&](Aggregator& into, const PartMsg& m, uint8_t mask) {
    const Work& w = *m.work;
    const StageClock clock = StageClock::ForChunk(w.chunk->size);
    const uint64_t order = (uint64_t{w.chunk->file} << 32) | w.chunk->seq;
    const PartitionRows& p = w.parts[m.part];
    into.AddRows(w.batch, w.chunk->data, order, p.rows.data(),
                 p.tables.empty() ? nullptr : p.tables.data(), p.rows.size(), mask);
    times.local().aggregate += clock.Seconds();
    done(m);
  };
  for (unsigned k = 0; k < parts; ++k) {
    aggregate_nodes.push_back(std::make_unique<flow::function_node<PartMsg>>(
        g, flow::serial, [&, k](const PartMsg& m) { aggregate(aggregators[k], m, first_mask); }));
    if (exposure_apart) {
      second_nodes.push_back(std::make_unique<flow::function_node<PartMsg>>(
          g, flow::serial,
          [&, k](const PartMsg& m) { aggregate(exposures[k], m, kExposureTable); }));
    } else if (detect) {
      // The rows whose source this partition owns: each record is detected once.
      second_nodes.push_back(
          std::make_unique<flow::function_node<PartMsg>>(g, flow::serial, [&, k](const PartMsg& m) {
            const Work& w = *m.work;
            const StageClock clock = StageClock::ForChunk(w.chunk->size);
            const PartitionRows& p = w.parts[m.part];
            detectors[k].AddRows(w.batch, w.chunk->data, p.rows.data(),
                                 p.tables.empty() ? nullptr : p.tables.data(), p.rows.size());
            times.local().detect += clock.Seconds();
            done(m);
          }));
    }
  }

  // When a node's body throws (std::bad_alloc under a memory limit), wait_for_all rethrows
  // while tasks that point at nodes may still be queued; unwinding then destroyed the nodes
  // before ~graph ran those tasks ("pure virtual method called", SIGABRT). Declared after every
  // node, this is destroyed first: it cancels the graph and waits for it while they exist.
  struct QuiesceOnThrow {
    flow::graph& g;
    int exceptions = std::uncaught_exceptions();
    ~QuiesceOnThrow() {
      if (std::uncaught_exceptions() <= exceptions) return;
      g.cancel();
      try {
        g.wait_for_all();
      } catch (...) {  // the first exception is the one that propagates
      }
    }
  } quiesce{g};

  flow::make_edge(tokens, limiter);
  flow::make_edge(limiter, read);
  flow::make_edge(flow::output_port<0>(read), parse);
  flow::make_edge(flow::output_port<1>(read), tokens);

  // Open a few files at once: enough to keep every thread decompressing.
  const size_t open = std::min(files.size(), size_t{threads} + 1);
  next_file = open;
  for (size_t f = 0; f < open; ++f) tokens.try_put(ReadToken{static_cast<uint32_t>(f)});
  g.wait_for_all();

  GraphResult result;
  const Clock::time_point merge_start = Clock::now();
  // Window keys (and detection's destination-keyed ones) are in several partitions; talkers,
  // exposure and every source's state have one owner. The two combines share nothing: one
  // thread each.
  tbb::parallel_invoke(
      [&] {
        for (Aggregator& a : aggregators) a.Flush();
        for (Aggregator& e : exposures) e.Flush();
        for (unsigned k = 1; k < parts; ++k) {
          aggregators[0].AbsorbPartition(std::move(aggregators[k]));
        }
        for (Aggregator& e : exposures) aggregators[0].AbsorbPartition(std::move(e));
      },
      [&] { Detector::CombinePartitions(detectors); });
  result.aggregate = std::move(aggregators[0]);
  result.detect = std::move(detectors[0]);
  result.times.merge = SecondsSince(merge_start);
  result.files = reporter.TakeFiles();
  result.samples = reporter.TakeSamples();
  // The files' own counts (header lines included), so the manifest's total is their sum.
  for (const FileReport& f : result.files) {
    result.records += f.records;
    result.data_bytes += f.outcome.data_bytes;
  }
  for (const ThreadTimes& t : times) {
    result.times.read += t.read;
    result.times.parse += t.parse;
    result.times.aggregate += t.aggregate;
    result.times.detect += t.detect;
  }
  result.times.wall = SecondsSince(wall_start);
  return result;
}

}  // namespace flowsift
