// flowsift demo: generate a sample data set, parse it with the SIMD kernels on all cores, and
// print what was found. Until the run pipeline lands, the demo stops at parse and count.
#include <fmt/core.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "kernels/enums.h"
#include "kernels/target.h"
#include "pipeline/format.h"
#include "pipeline/generate.h"
#include "pipeline/parse_chunk.h"
#include "tools/commands.h"

namespace flowsift::tools {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Per-chunk tallies, summed in chunk order afterwards.
struct Tally {
  uint64_t records = 0, lines = 0, accepted = 0, rejected = 0, nodata = 0, skipdata = 0;
  uint64_t packets = 0, bytes = 0;
  std::vector<BadLine> bad;  // line numbers relative to the chunk
  std::map<std::string, uint64_t> bytes_by_interface;
};

Tally CountBatch(const ParsedBatch& b, const uint8_t* base) {
  Tally t;
  t.records = b.rows;
  t.lines = b.lines;
  t.bad = b.bad_lines;
  const Column* action = b.Find(Field::kAction);
  const Column* status = b.Find(Field::kLogStatus);
  const Column* packets = b.Find(Field::kPackets);
  const Column* bytes = b.Find(Field::kBytes);
  const Column* eni = b.Find(Field::kInterfaceId);
  for (size_t r = 0; r < b.rows; ++r) {
    t.accepted += action->code[r] == static_cast<uint8_t>(kernels::Action::kAccept);
    t.rejected += action->code[r] == static_cast<uint8_t>(kernels::Action::kReject);
    t.nodata += status->code[r] == static_cast<uint8_t>(kernels::LogStatus::kNoData);
    t.skipdata += status->code[r] == static_cast<uint8_t>(kernels::LogStatus::kSkipData);
    t.packets += packets->u64[r];
    t.bytes += bytes->u64[r];
    const kernels::FieldSpan s = eni->spans[r];
    t.bytes_by_interface[std::string(reinterpret_cast<const char*>(base + s.begin),
                                     s.end - s.begin)] += bytes->u64[r];
  }
  return t;
}

// Cuts text[0, size) into chunks of about `target` bytes that end at a newline.
std::vector<std::pair<size_t, size_t>> CutChunks(const std::string& text, size_t size,
                                                 size_t target) {
  std::vector<std::pair<size_t, size_t>> chunks;
  size_t pos = 0;
  while (pos < size) {
    size_t end = std::min(size, pos + target);
    if (end < size) {
      const size_t nl = text.find('\n', end);
      end = nl == std::string::npos ? size : nl + 1;
    }
    chunks.emplace_back(pos, end);
    pos = end;
  }
  return chunks;
}

}  // namespace

CLI::App* AddDemo(CLI::App& app, DemoFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "Generate a sample of realistic VPC flow logs in memory (with a few malformed lines),\n"
      "parse it with the SIMD kernels on all cores and print what was found.");
  cmd->add_option("--bytes", f.bytes, "Size of the sample in bytes")
      ->transform([](const std::string& s) { return std::to_string(ParseSize(s)); })
      ->capture_default_str();
  cmd->add_option("--seed", f.seed, "Random seed for the sample")->capture_default_str();
  cmd->add_option("-j,--threads", f.threads, "Worker threads (default: all cores)");
  return cmd;
}

int RunDemo(const DemoFlags& f) {
  const unsigned threads =
      f.threads ? f.threads : std::max(1u, std::thread::hardware_concurrency());
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);

  // 1. Generate.
  const Clock::time_point t0 = Clock::now();
  GenOptions opt;
  opt.seed = f.seed;
  opt.records = std::max<uint64_t>(1000, f.bytes / 112);
  opt.header = false;
  std::string text = GenerateText(opt);
  // Three malformed lines, as real archives have: a truncated record, a typo, binary junk.
  const std::string bad[] = {"2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.9 443",
                             "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.9 443 5432 6 "
                             "12 4096 1700000000 1700000060 ACCPET OK",
                             std::string("\x1f\x8b\x08\x00 binary\x00junk", 16)};
  for (size_t i = 0; i < 3; ++i) {
    size_t at = text.find('\n', text.size() / 4 * (i + 1));
    text.insert(at + 1, bad[i] + "\n");
  }
  const size_t size = text.size();
  text.append(kernels::kPadding, '\0');
  const double gen_s = Seconds(t0);
  fmt::print("flowsift demo: generated {:.1f} MB of default-format (v2) flow logs in {:.2f} s\n",
             size / 1e6, gen_s);

  // 2. Parse and count on all cores, chunk by chunk.
  const Format format = Format::Default();
  const auto chunks = CutChunks(text, size, 4 << 20);
  std::vector<Tally> tallies(chunks.size());
  tbb::enumerable_thread_specific<ParseScratch> scratch;
  const Clock::time_point t1 = Clock::now();
  tbb::parallel_for(size_t{0}, chunks.size(), [&](size_t i) {
    const uint8_t* base = reinterpret_cast<const uint8_t*>(text.data()) + chunks[i].first;
    const ParsedBatch b =
        ParseChunk(base, chunks[i].second - chunks[i].first, format, AllFields(), scratch.local());
    tallies[i] = CountBatch(b, base);
  });
  const double parse_s = Seconds(t1);

  // 3. Report, resolving chunk-relative line numbers in order.
  Tally total;
  std::vector<std::pair<uint64_t, BadLine>> bad_lines;
  for (const Tally& t : tallies) {
    for (const BadLine& b : t.bad) bad_lines.push_back({total.lines + b.line + 1, b});
    total.records += t.records;
    total.lines += t.lines;
    total.accepted += t.accepted;
    total.rejected += t.rejected;
    total.nodata += t.nodata;
    total.skipdata += t.skipdata;
    total.packets += t.packets;
    total.bytes += t.bytes;
    for (const auto& [eni, b] : t.bytes_by_interface) total.bytes_by_interface[eni] += b;
  }
  fmt::print(
      "parsed {} lines on {} thread(s) with SIMD target {} in {:.3f} s: {:.2f} GB/s, "
      "{:.1f} M records/s\n",
      total.lines, threads, kernels::ActiveTargetName(), parse_s, size / parse_s / 1e9,
      total.records / parse_s / 1e6);
  fmt::print("records {}: accepted {}, rejected {}, NODATA {}, SKIPDATA {}\n", total.records,
             total.accepted, total.rejected, total.nodata, total.skipdata);
  fmt::print("traffic: {} packets, {:.2f} GB\n", total.packets, total.bytes / 1e9);
  fmt::print("bad lines {} (counted and skipped; the run goes on):\n", bad_lines.size());
  for (const auto& [line, b] : bad_lines) {
    fmt::print("  line {}: {}\n", line, LineErrorName(b.reason));
  }
  std::vector<std::pair<uint64_t, std::string>> top;
  for (const auto& [eni, b] : total.bytes_by_interface) top.push_back({b, eni});
  std::sort(top.rbegin(), top.rend());
  fmt::print("busiest interfaces by bytes:\n");
  for (size_t i = 0; i < std::min<size_t>(5, top.size()); ++i) {
    fmt::print("  {}  {:>10.2f} GB\n", top[i].second, top[i].first / 1e9);
  }
  return kExitOk;
}

}  // namespace flowsift::tools
