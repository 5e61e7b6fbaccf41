// Kernel benchmarks on generated realistic default-format lines: bytes/s and records/s for the
// SIMD path and the scalar reference of each stage. Run: build/release/bench/flowsift_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "kernels/enums.h"
#include "kernels/integers.h"
#include "kernels/split.h"
#include "kernels/types.h"
#include "pipeline/format.h"
#include "pipeline/generate.h"
#include "pipeline/parse_chunk.h"

namespace flowsift {
namespace {

// 64 MiB of default-format text (more than the L3 cache, like a real chunk stream), padded.
const std::string& Text() {
  static const std::string text = [] {
    GenOptions opt;
    opt.seed = 42;
    opt.records = (64u << 20) / 112;
    opt.header = false;
    std::string t = GenerateText(opt);
    t.append(kernels::kPadding, '\0');
    return t;
  }();
  return text;
}
size_t TextSize() { return Text().size() - kernels::kPadding; }
const uint8_t* TextBytes() { return reinterpret_cast<const uint8_t*>(Text().data()); }

void SetRates(benchmark::State& state, size_t bytes, size_t records) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["records/s"] =
      benchmark::Counter(static_cast<double>(records) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

size_t CountLines() {
  size_t n = 0;
  for (size_t i = 0; i < TextSize(); ++i) n += Text()[i] == '\n';
  return n;
}

// Stage 1 over 64 KiB blocks, as ParseChunk runs it.
template <class Fn>
void IndexBlocks(benchmark::State& state, Fn fn) {
  constexpr size_t kBlock = 64 * 1024;
  std::vector<uint32_t> delims(kBlock + 64), lines(kBlock + 64), odd(kBlock + 64);
  const size_t size = TextSize();
  const size_t records = CountLines();
  for (auto _ : state) {
    size_t total = 0;
    for (size_t pos = 0; pos < size; pos += kBlock) {
      const size_t len = std::min(kBlock, size - pos);
      total += fn(TextBytes() + pos, len, delims.data(), lines.data(), odd.data()).delimiters;
    }
    benchmark::DoNotOptimize(total);
  }
  SetRates(state, size, records);
}

void BM_IndexDelimiters(benchmark::State& state) { IndexBlocks(state, kernels::IndexDelimiters); }
void BM_IndexDelimitersScalar(benchmark::State& state) {
  IndexBlocks(state, kernels::IndexDelimitersScalar);
}

// The full record parse: stage 1, field spans and every column converted, in 4 MiB chunks.
void ParseAll(benchmark::State& state, const FieldSet& wanted) {
  constexpr size_t kChunk = 4 << 20;
  const Format format = Format::Default();
  ParseScratch scratch;
  const size_t size = TextSize();
  size_t records = 0;
  for (auto _ : state) {
    records = 0;
    size_t pos = 0;
    while (pos < size) {
      size_t end = std::min(size, pos + kChunk);
      while (end < size && Text()[end - 1] != '\n') ++end;
      const ParsedBatch b = ParseChunk(TextBytes() + pos, end - pos, format, wanted, scratch);
      records += b.rows;
      pos = end;
    }
    benchmark::DoNotOptimize(records);
  }
  SetRates(state, size, records);
}

void BM_ParseChunkAllFields(benchmark::State& state) { ParseAll(state, AllFields()); }

void BM_ParseChunkWindowsColumns(benchmark::State& state) {
  // The columns the windows table needs: what a run materialises.
  FieldSet wanted;
  for (Field f :
       {Field::kAccountId, Field::kInterfaceId, Field::kSrcAddr, Field::kDstAddr, Field::kDstPort,
        Field::kPackets, Field::kBytes, Field::kStart, Field::kAction, Field::kLogStatus}) {
    wanted.set(static_cast<size_t>(f));
  }
  ParseAll(state, wanted);
}

// Integer conversion alone: every "bytes" field of the text, SWAR vs the digit loop.
template <class Fn>
void ParseBytesField(benchmark::State& state, Fn fn) {
  // The spans of field 9 (bytes) of the first million records, found by a plain scan.
  std::vector<kernels::FieldSpan> spans;
  const size_t size = TextSize();
  for (size_t pos = 0, field = 0, start = 0; pos < size; ++pos) {
    const char c = Text()[pos];
    if (c == ' ' || c == '\n') {
      if (field == 9) spans.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(pos)});
      field = c == '\n' ? 0 : field + 1;
      start = pos + 1;
    }
    if (spans.size() >= 1000000) break;
  }
  size_t field_bytes = 0;
  for (const auto& s : spans) field_bytes += s.end - s.begin;
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const auto& s : spans) sum += fn(TextBytes() + s.begin, s.end - s.begin, UINT64_MAX).value;
    benchmark::DoNotOptimize(sum);
  }
  SetRates(state, field_bytes, spans.size());
}

void BM_ParseUint(benchmark::State& state) { ParseBytesField(state, kernels::ParseUint); }
void BM_ParseUintScalar(benchmark::State& state) {
  ParseBytesField(state, kernels::ParseUintScalar);
}

BENCHMARK(BM_IndexDelimiters)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IndexDelimitersScalar)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseChunkAllFields)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseChunkWindowsColumns)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseUint)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseUintScalar)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace flowsift
