// The serial stages of a run alone: Aggregator::Add and Detector::Add over parsed batches on one
// thread, without the flow graph, the reading or the parse. A `flowsift run` times the same
// work (the manifest's aggregate_cpu_s and detect_cpu_s) but interleaved with the other
// stages, whose cache traffic and the VM's noise move it by 10-30% from run to run
// (BENCHMARKS.md); here each iteration repeats the same work on batches parsed once.
//
// The data: 256 MiB of the default format (v2) with every attack and look-alike, as
// `flowsift gen --seed 3` writes it, over 15 minutes instead of an hour, so that each window
// of each interface gets as many records as in the 1 GiB benchmark set (200 interfaces,
// ~6,600 records per 10-minute window) and the tables' working set per stretch of input is the
// same. Batches are 16 MiB chunks, as a one-thread run reads mapped files.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "kernels/types.h"
#include "pipeline/aggregate.h"
#include "pipeline/detect.h"
#include "pipeline/format.h"
#include "pipeline/generate.h"
#include "pipeline/parse_chunk.h"

namespace flowsift {
namespace {

struct Parsed {
  std::string text;  // padded
  std::vector<ParsedBatch> batches;
  std::vector<const uint8_t*> starts;  // each batch's chunk: its spans are offsets from there
  size_t records = 0;
};

const Parsed& Data() {
  static const Parsed data = [] {
    Parsed d;
    GenOptions opt;
    opt.seed = 3;
    opt.records = (256u << 20) / 116;
    opt.hours = 0.25;
    opt.header = false;
    opt.attacks = AllAttacks();
    d.text = GenerateText(opt);
    const size_t size = d.text.size();
    d.text.append(kernels::kPadding, '\0');
    const auto* bytes = reinterpret_cast<const uint8_t*>(d.text.data());
    FieldSet wanted = Aggregator::NeededFields();
    wanted |= Detector::NeededFields();
    ParseScratch scratch;
    constexpr size_t kChunk = 16 << 20;
    for (size_t pos = 0; pos < size;) {
      size_t end = std::min(size, pos + kChunk);
      while (end < size && d.text[end - 1] != '\n') ++end;
      d.batches.push_back(ParseChunk(bytes + pos, end - pos, Format::Default(), wanted, scratch));
      d.starts.push_back(bytes + pos);
      d.records += d.batches.back().rows;
      pos = end;
    }
    return d;
  }();
  return data;
}

void SetRecordRate(benchmark::State& state, size_t records) {
  state.counters["records/s"] =
      benchmark::Counter(static_cast<double>(records) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  state.counters["ns/record"] =
      benchmark::Counter(static_cast<double>(records) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Every table of the aggregation (windows, talkers, exposure), as a one-thread run with or
// without detection fills them, then Flush; the aggregator's destruction is timed too.
void BM_Aggregate(benchmark::State& state) {
  const Parsed& d = Data();
  for (auto _ : state) {
    Aggregator agg(AggregateOptions{});
    for (size_t i = 0; i < d.batches.size(); ++i) agg.Add(d.batches[i], d.starts[i], i);
    agg.Flush();
    benchmark::DoNotOptimize(agg.records());
  }
  SetRecordRate(state, d.records);
}

// Every detector with the default options, as a one-thread run feeds them (findings are made
// after the graph, in the output phase, and not timed here).
void BM_Detect(benchmark::State& state) {
  const Parsed& d = Data();
  for (auto _ : state) {
    Detector det(DetectOptions{});
    for (size_t i = 0; i < d.batches.size(); ++i) det.Add(d.batches[i], d.starts[i]);
    benchmark::ClobberMemory();
  }
  SetRecordRate(state, d.records);
}

BENCHMARK(BM_Aggregate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Detect)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace flowsift
