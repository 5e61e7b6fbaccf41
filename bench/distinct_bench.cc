// DistinctCounter: the HyperLogLog estimate (Count) of a sketch. A run counts every window's
// source and destination sketches and every fan-in, sweep and reject counter at its end.
#include <benchmark/benchmark.h>

#include <cstdint>

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

}  // namespace
}  // namespace flowsift
