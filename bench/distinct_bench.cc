// DistinctCounter: the HyperLogLog estimate (Count) of a sketch. A run counts every window's
// source and destination sketches and every fan-in, sweep and reject counter at its end.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "pipeline/distinct.h"

namespace flowsift {
namespace {

// A sketch of state.range(0) distinct values: 3,000 is a busy window of the 1 GiB benchmark
// (most registers still 0), 5,000,000 an internet-wide scan's (most registers 1-8).
void BM_DistinctCountSketch(benchmark::State& state) {
  DistinctCounter c;
  for (int64_t i = 0; i < state.range(0); ++i) c.Add(Mix64(static_cast<uint64_t>(i) + 1));
  uint64_t sum = 0;
  for (auto _ : state) {
    sum += c.Count();
    benchmark::DoNotOptimize(sum);
  }
  // The registers each estimate reads, as bytes: the kernel table's GB/s column.
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) << DistinctCounter::kPrecision);
}
BENCHMARK(BM_DistinctCountSketch)->Arg(3000)->Arg(5000000)->Unit(benchmark::kMicrosecond);

// What a window's source counter sees: state.range(0) distinct values (420 is the median
// window of the 1 GiB benchmark, 2,200 its 90th percentile, past the exact limit), each added
// 12 times in a shuffled order, into a new counter (its growth included).
void BM_DistinctAdd(benchmark::State& state) {
  const auto distinct = static_cast<uint64_t>(state.range(0));
  std::vector<uint64_t> adds;
  for (uint64_t i = 0; i < distinct * 12; ++i) adds.push_back(Mix64(i % distinct + 1));
  uint64_t x = 88172645463325252ull;  // xorshift64: a fixed shuffle
  for (size_t i = adds.size() - 1; i > 0; --i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::swap(adds[i], adds[x % (i + 1)]);
  }
  for (auto _ : state) {
    DistinctCounter c;
    for (uint64_t h : adds) c.Add(h);
    benchmark::DoNotOptimize(c.Count());
  }
  state.SetItemsProcessed(static_cast<int64_t>(adds.size()) * state.iterations());
  state.counters["ns/add"] =
      benchmark::Counter(static_cast<double>(adds.size()) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DistinctAdd)->Arg(420)->Arg(2200);

}  // namespace
}  // namespace flowsift
