// Address column parsing: ParseAddrColumn (SIMD dotted quads, per Highway target) against a loop
// of ParseAddrScalar, on 100k realistic flow-log addresses and on IPv4 alone.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hwy/targets.h"
#include "kernels/addr.h"
#include "kernels/types.h"

namespace flowsift::kernels {
namespace {

constexpr size_t kAddrs = 100000;

// A column of space-separated fields padded by kPadding, as the chunk reader hands it over.
struct AddrColumn {
  std::vector<uint8_t> bytes;
  std::vector<FieldSpan> spans;
  size_t text_bytes = 0;
};

std::string RandomIPv6(std::mt19937_64& rng) {
  // Mostly global unicast under one /32 with a random interface id, like a VPC's IPv6 block.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "2600:1f18:";
  for (int g = 0; g < 6; ++g) {
    uint32_t v = static_cast<uint32_t>(rng()) & 0xFFFF;
    if (g == 1 || g == 2) v = 0;
    std::string group;
    do {
      group.insert(group.begin(), kHex[v & 0xF]);
      v >>= 4;
    } while (v != 0);
    s += group;
    if (g < 5) s += ':';
  }
  return s;
}

// The 39-byte form: eight groups of four hex digits, as RFC 5952 writes an address whose groups
// all have a leading nonzero digit (a random interface id under a /56, often).
std::string FullIPv6(std::mt19937_64& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "2a05:d018:cf15:cd01";
  for (int g = 0; g < 4; ++g) {
    s += ':';
    s += kHex[1 + rng() % 15];
    for (int d = 0; d < 3; ++d) s += kHex[rng() % 16];
  }
  return s;
}

enum class Mix { kFlowLog, kIPv4Only, kIPv6Only, kIPv6Full };

// kFlowLog: half private 10.x.y.z, the rest public IPv4, ~10% IPv6, ~2% "-".
// kIPv4Only: every field a dotted quad (half private, half public). kIPv6Only: every field IPv6.
// kIPv6Full: every field IPv6 of 39 bytes.
AddrColumn BuildColumn(Mix mix) {
  std::mt19937_64 rng(static_cast<uint64_t>(mix) + 4);
  const bool ipv4_only = mix == Mix::kIPv4Only;
  std::string text;
  AddrColumn c;
  for (size_t i = 0; i < kAddrs; ++i) {
    const uint32_t r = static_cast<uint32_t>(rng() % 100);
    std::string field;
    if (mix == Mix::kIPv6Only) {
      field = RandomIPv6(rng);
    } else if (mix == Mix::kIPv6Full) {
      field = FullIPv6(rng);
    } else if (!ipv4_only && r < 2) {
      field = "-";
    } else if (!ipv4_only && r < 12) {
      field = RandomIPv6(rng);
    } else {
      const uint32_t v = static_cast<uint32_t>(rng());
      const uint32_t a = r % 2 == 0 ? 10 : 1 + (v >> 24) % 223;
      field = std::to_string(a) + "." + std::to_string((v >> 16) & 0xFF) + "." +
              std::to_string((v >> 8) & 0xFF) + "." + std::to_string(v & 0xFF);
    }
    const uint32_t begin = static_cast<uint32_t>(text.size());
    text += field;
    c.spans.push_back({begin, static_cast<uint32_t>(text.size())});
    text += ' ';
  }
  c.text_bytes = text.size();
  c.bytes.assign(text.begin(), text.end());
  c.bytes.resize(text.size() + kPadding, 0);
  return c;
}

// Arg 0: the flow-log mix; 1: IPv4 only; 2: IPv6 only; 3: IPv6 only, all in the 39-byte form.
const AddrColumn& Column(int64_t arg) {
  static const AddrColumn flow_log = BuildColumn(Mix::kFlowLog);
  static const AddrColumn ipv4 = BuildColumn(Mix::kIPv4Only);
  static const AddrColumn ipv6 = BuildColumn(Mix::kIPv6Only);
  static const AddrColumn ipv6_full = BuildColumn(Mix::kIPv6Full);
  return arg == 0 ? flow_log : arg == 1 ? ipv4 : arg == 2 ? ipv6 : ipv6_full;
}

void ReportRates(benchmark::State& state, const AddrColumn& c) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.text_bytes));
  state.counters["addrs/s"] = benchmark::Counter(static_cast<double>(c.spans.size()),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ParseAddrColumn(benchmark::State& state) {
  const AddrColumn& c = Column(state.range(0));
  std::vector<Addr128> out(c.spans.size());
  std::vector<FieldStatus> status(c.spans.size());
  for (auto _ : state) {
    ParseAddrColumn(c.bytes.data(), c.spans.data(), c.spans.size(), out.data(), status.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(status.data());
    benchmark::ClobberMemory();
  }
  ReportRates(state, c);
}
BENCHMARK(BM_ParseAddrColumn)->Arg(0)->Arg(1)->Arg(2)->Arg(3);

void BM_ParseAddrScalar(benchmark::State& state) {
  const AddrColumn& c = Column(state.range(0));
  std::vector<Addr128> out(c.spans.size());
  std::vector<FieldStatus> status(c.spans.size());
  for (auto _ : state) {
    for (size_t i = 0; i < c.spans.size(); ++i) {
      const FieldSpan s = c.spans[i];
      status[i] = ParseAddrScalar(c.bytes.data() + s.begin, s.end - s.begin, &out[i]);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(status.data());
    benchmark::ClobberMemory();
  }
  ReportRates(state, c);
}
BENCHMARK(BM_ParseAddrScalar)->Arg(0)->Arg(1)->Arg(2)->Arg(3);

// ParseAddrColumn pinned to each compiled target this CPU supports, to compare targets in one
// run. The pin is undone after each benchmark so the others keep the normal dispatch.
void BM_ParseAddrColumnOnTarget(benchmark::State& state, int64_t target) {
  hwy::SetSupportedTargetsForTest(target);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  BM_ParseAddrColumn(state);
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

[[maybe_unused]] const bool kTargetBenchmarksRegistered = [] {
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const std::string name = std::string("BM_ParseAddrColumnOnTarget/") + hwy::TargetName(target);
    benchmark::RegisterBenchmark(name.c_str(), BM_ParseAddrColumnOnTarget, target)
        ->Arg(0)
        ->Arg(1)
        ->Arg(2)
        ->Arg(3);
  }
  return true;
}();

}  // namespace
}  // namespace flowsift::kernels
