// libFuzzer: any parsed chunk gives the same tables and findings however a run splits its rows.
// The reference is one Aggregator and one Detector fed every row. Against it, Route's
// partitions (one, two and three):
// - each over two aggregators as a run without detection has them (windows and talkers; the
//   exposure table alone, which has a loop of its own), absorbed after the rows
//   (AbsorbPartition): windows, talkers, exposure rows and the record count must be equal;
// - each with a detector fed its rows (a source's rows in its partition), combined
//   (Detector::CombinePartitions): the findings must be equal, byte for byte as JSON lines.
// Detection runs with every count threshold at 3 and the byte thresholds low, so that inputs of
// a few lines make findings of every type.
//
// Input: byte 0 picks the format, byte 1 the internal networks (the default list, everything,
// nothing); the rest is the chunk's text. Seeds: tests/fuzz/corpus/partition.
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/aggregate.h"
#include "pipeline/detect.h"
#include "pipeline/parse_chunk.h"
#include "pipeline/run.h"

namespace {

// The findings as a run makes them (baselines over the times the rows had records in).
std::vector<std::string> FindingLines(const flowsift::Detector& d) {
  std::vector<std::string> lines;
  for (const flowsift::Finding& f : d.Findings()) {
    lines.push_back(flowsift::FindingJson(f));
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const char* kFormats[] = {
      "v2", "v5", "tgw", "srcaddr dstaddr bytes action",
      "interface-id pkt-srcaddr srcaddr dstaddr dstport protocol bytes start action log-status"};
  static const char* kInternal[] = {"10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7",
                                    "0.0.0.0/0,::/0", ""};
  std::string error;
  const auto format = flowsift::Format::Parse(kFormats[data[0] % 5], &error);
  flowsift::AggregateOptions options;
  options.internal = *flowsift::NetworkSet::Parse(kInternal[data[1] % 3], &error);
  flowsift::DetectOptions detect;
  detect.internal = options.internal;
  detect.scan_min_ports = detect.sweep_min_dsts = detect.brute_min_attempts = 3;
  detect.reject_min_flows = detect.fanin_min_sources = detect.exfil_baseline_windows = 3;
  detect.exfil_min_bytes = 10000;
  detect.exfil_baseline_min_bytes = 1000;
  data += 2;
  size -= 2;
  std::vector<uint8_t> buf(size + flowsift::kernels::kPadding, 0);
  if (size > 0) memcpy(buf.data(), data, size);

  flowsift::ParseScratch scratch;
  const flowsift::ParsedBatch b = flowsift::ParseChunk(
      buf.data(), size, *format,
      flowsift::Aggregator::NeededFields() | flowsift::Detector::NeededFields(), scratch);
  flowsift::Aggregator whole(options);
  whole.Add(b, buf.data(), 0);
  whole.Flush();
  const auto windows = whole.Windows();
  const auto talkers = whole.Talkers();
  const auto exposure = whole.Exposure();
  flowsift::Detector whole_detect(detect);
  whole_detect.Add(b, buf.data());
  const std::vector<std::string> findings = FindingLines(whole_detect);

  std::vector<uint32_t> rows(b.rows);
  for (uint32_t r = 0; r < rows.size(); ++r) rows[r] = r;
  for (size_t parts = 1; parts <= 3; ++parts) {
    std::vector<flowsift::PartitionRows> out(parts);
    flowsift::Aggregator::Route(b, buf.data(), rows.data(), rows.size(), options.internal, out);
    flowsift::Aggregator combined(options);
    std::vector<flowsift::Detector> detectors;
    for (size_t k = 0; k < parts; ++k) {
      // One partition: every row updates every table there, with no table marks (as a run).
      const uint8_t* tables = parts == 1 ? nullptr : out[k].tables.data();
      const uint32_t* part_rows = parts == 1 ? rows.data() : out[k].rows.data();
      const size_t n = parts == 1 ? rows.size() : out[k].rows.size();
      flowsift::Aggregator first(options), second(options);
      first.AddRows(b, buf.data(), 0, part_rows, tables, n,
                    flowsift::kWindowTable | flowsift::kTalkerTable);
      second.AddRows(b, buf.data(), 0, part_rows, tables, n, flowsift::kExposureTable);
      first.Flush();
      second.Flush();
      combined.AbsorbPartition(std::move(first));
      combined.AbsorbPartition(std::move(second));
      detectors.emplace_back(detect);
      detectors.back().AddRows(b, buf.data(), part_rows, tables, n);
    }
    if (combined.records() != whole.records()) __builtin_trap();
    if (combined.Windows() != windows) __builtin_trap();
    if (combined.Talkers() != talkers) __builtin_trap();
    if (combined.Exposure() != exposure) __builtin_trap();
    flowsift::Detector::CombinePartitions(detectors);
    if (FindingLines(detectors[0]) != findings) __builtin_trap();
  }
  return 0;
}
