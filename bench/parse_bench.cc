// Kernel benchmarks on generated realistic default-format lines: bytes/s and records/s for the
// SIMD path and the scalar reference of each stage. Run: build/release/bench/flowsift_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "hwy/targets.h"
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

// The reader's search for header lines inside a file, over 4 MiB chunks (the default chunk
// size) of v2 text: no line is a candidate, so this is the pass alone.
template <class Fn>
void FindHeaderCandidates(benchmark::State& state, Fn fn) {
  constexpr size_t kChunk = size_t{4} << 20;
  const size_t size = TextSize();
  for (auto _ : state) {
    size_t total = 0;
    for (size_t pos = 0; pos < size; pos += kChunk) {
      total += fn(TextBytes() + pos, std::min(kChunk, size - pos));
    }
    benchmark::DoNotOptimize(total);
  }
  SetRates(state, size, CountLines());
}
void BM_FindHeaderLineStart(benchmark::State& state) {
  FindHeaderCandidates(state, kernels::FindHeaderLineStart);
}
void BM_FindHeaderLineStartScalar(benchmark::State& state) {
  FindHeaderCandidates(state, kernels::FindHeaderLineStartScalar);
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
  // Each chunk is parsed into the last one's batch, as the run's pooled batches are (graph.cc,
  // WorkPool): its columns keep their capacity, and the parse writes memory already mapped.
  ParsedBatch b;
  for (auto _ : state) {
    records = 0;
    size_t pos = 0;
    while (pos < size) {
      size_t end = std::min(size, pos + kChunk);
      while (end < size && Text()[end - 1] != '\n') ++end;
      b = ParseChunk(TextBytes() + pos, end - pos, format, wanted, scratch, std::move(b));
      records += b.rows;
      pos = end;
    }
    benchmark::DoNotOptimize(records);
  }
  SetRates(state, size, records);
}

void BM_ParseChunkAllFields(benchmark::State& state) { ParseAll(state, AllFields()); }

// Stage 1 and the full parse pinned to each compiled target this CPU supports.
template <class Body>
void OnTarget(benchmark::State& state, int64_t target, Body body) {
  hwy::SetSupportedTargetsForTest(target);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  body(state);
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

[[maybe_unused]] const bool kTargetBenchmarksRegistered = [] {
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const std::string name = hwy::TargetName(target);
    benchmark::RegisterBenchmark(("BM_IndexDelimitersOnTarget/" + name).c_str(),
                                 [target](benchmark::State& st) {
                                   OnTarget(st, target, [](benchmark::State& s) {
                                     IndexBlocks(s, kernels::IndexDelimiters);
                                   });
                                 })
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_ParseChunkAllFieldsOnTarget/" + name).c_str(),
                                 [target](benchmark::State& st) {
                                   OnTarget(st, target,
                                            [](benchmark::State& s) { ParseAll(s, AllFields()); });
                                 })
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}();

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

// Integer conversion alone, SWAR vs the digit loop: the "bytes" fields (1-10 digits) and the
// "start" fields (10 digits) of the first 64k records, copied into a compact buffer so the
// measurement is of the conversion, not of cache misses on the 64 MiB text.
struct IntFields {
  std::string text;
  std::vector<kernels::FieldSpan> spans;
};
const IntFields& IntFieldsOf(size_t field_index) {
  static IntFields cache[14];
  IntFields& f = cache[field_index];
  if (!f.spans.empty()) return f;
  size_t field = 0, start = 0;
  for (size_t pos = 0; pos < TextSize() && f.spans.size() < 65536; ++pos) {
    const char c = Text()[pos];
    if (c != ' ' && c != '\n') continue;
    if (field == field_index) {
      const uint32_t b = static_cast<uint32_t>(f.text.size());
      f.text.append(Text(), start, pos - start);
      f.spans.push_back({b, static_cast<uint32_t>(f.text.size())});
      f.text += ' ';
    }
    field = c == '\n' ? 0 : field + 1;
    start = pos + 1;
  }
  f.text.append(kernels::kPadding, '\0');
  return f;
}

template <class Fn>
void ParseIntField(benchmark::State& state, size_t field_index, Fn fn) {
  const IntFields& f = IntFieldsOf(field_index);
  const uint8_t* base = reinterpret_cast<const uint8_t*>(f.text.data());
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const auto& s : f.spans) sum += fn(base + s.begin, s.end - s.begin, UINT64_MAX).value;
    benchmark::DoNotOptimize(sum);
  }
  SetRates(state, f.text.size() - kernels::kPadding, f.spans.size());
}

// The column kernel (SIMD per target) over the same fields, with the field's largest value.
void ParseIntColumn(benchmark::State& state, size_t field_index, uint64_t max = UINT64_MAX) {
  const IntFields& f = IntFieldsOf(field_index);
  const uint8_t* base = reinterpret_cast<const uint8_t*>(f.text.data());
  std::vector<uint64_t> values(f.spans.size());
  std::vector<kernels::FieldStatus> status(f.spans.size());
  for (auto _ : state) {
    kernels::ParseUintColumn(base, f.spans.data(), f.spans.size(), max, values.data(),
                             status.data());
    benchmark::DoNotOptimize(values.data());
  }
  SetRates(state, f.text.size() - kernels::kPadding, f.spans.size());
}

void BM_ParseUintColumnBytes(benchmark::State& state) { ParseIntColumn(state, 9); }
void BM_ParseUintColumnStart(benchmark::State& state) { ParseIntColumn(state, 10); }
// The "srcport" fields (1-5 digits, max 65535): eight a vector on AVX-512.
void BM_ParseUintColumnSrcPort(benchmark::State& state) { ParseIntColumn(state, 5, 65535); }
void BM_ParseUintBytes(benchmark::State& state) { ParseIntField(state, 9, kernels::ParseUint); }
void BM_ParseUintBytesScalar(benchmark::State& state) {
  ParseIntField(state, 9, kernels::ParseUintScalar);
}
void BM_ParseUintStart(benchmark::State& state) { ParseIntField(state, 10, kernels::ParseUint); }
void BM_ParseUintStartScalar(benchmark::State& state) {
  ParseIntField(state, 10, kernels::ParseUintScalar);
}

// The action column (field 12: ACCEPT / REJECT) of the same records: the column kernel on each
// target (a vector of fields on AVX2 and AVX-512, the 8-byte compare field by field on the
// others) and the scalar reference field by field.
void ParseActionColumn(benchmark::State& state) {
  const IntFields& f = IntFieldsOf(12);
  const uint8_t* base = reinterpret_cast<const uint8_t*>(f.text.data());
  std::vector<uint8_t> codes(f.spans.size());
  std::vector<kernels::FieldStatus> status(f.spans.size());
  for (auto _ : state) {
    kernels::ParseEnumColumn(kernels::EnumKind::kAction, base, f.spans.data(), f.spans.size(),
                             codes.data(), status.data());
    benchmark::DoNotOptimize(codes.data());
  }
  SetRates(state, f.text.size() - kernels::kPadding, f.spans.size());
}
void BM_ParseEnumActionScalar(benchmark::State& state) {
  const IntFields& f = IntFieldsOf(12);
  const uint8_t* base = reinterpret_cast<const uint8_t*>(f.text.data());
  for (auto _ : state) {
    unsigned sum = 0;
    for (const auto& sp : f.spans) {
      uint8_t code = 0;
      (void)kernels::ParseEnumScalar(kernels::EnumKind::kAction, base + sp.begin, sp.end - sp.begin,
                                     &code);
      sum += code;
    }
    benchmark::DoNotOptimize(sum);
  }
  SetRates(state, f.text.size() - kernels::kPadding, f.spans.size());
}
[[maybe_unused]] const bool kEnumBenchmarksRegistered = [] {
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    benchmark::RegisterBenchmark(
        ("BM_ParseEnumColumnActionOnTarget/" + std::string(hwy::TargetName(target))).c_str(),
        [target](benchmark::State& st) { OnTarget(st, target, ParseActionColumn); })
        ->Unit(benchmark::kMicrosecond);
  }
  return true;
}();
void BM_ParseEnumColumnAction(benchmark::State& state) { ParseActionColumn(state); }

BENCHMARK(BM_IndexDelimiters)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IndexDelimitersScalar)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FindHeaderLineStart)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FindHeaderLineStartScalar)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseChunkAllFields)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseChunkWindowsColumns)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseUintColumnBytes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseUintColumnStart)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseUintColumnSrcPort)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseUintBytes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseUintBytesScalar)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseUintStart)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseUintStartScalar)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseEnumColumnAction)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseEnumActionScalar)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace flowsift
