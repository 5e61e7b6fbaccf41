// export_bench_gen OUT [WINDOWS] [FINDINGS]: writes a summary directory with WINDOWS rows in
// windows.csv.zst (default 1,000,000: 10,000 interfaces x 100 windows) and FINDINGS findings
// (default 10,000), streamed in constant memory, for timing `flowsift export` on a big table:
//
//   export_bench_gen /tmp/big && /usr/bin/time -v flowsift export /tmp/big --as ocsf -o x.zst
//
// The numbers are made up but shaped like a run's (docs/export.md has the measurements).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "pipeline/run.h"
#include "pipeline/summary.h"
#include "pipeline/tables.h"

int main(int argc, char** argv) {
  using namespace flowsift;
  using ull = unsigned long long;
  if (argc < 2) {
    std::fprintf(stderr, "usage: export_bench_gen OUT [WINDOWS] [FINDINGS]\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const uint64_t windows = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1'000'000;
  const uint64_t findings = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 10'000;
  const uint64_t per_interface = 100;
  std::filesystem::create_directories(out);
  // The keys every reader checks (summary.cc, ReadSummaryManifest): the totals and options a run
  // writes, no inputs. A manifest of the first three keys alone was refused as corrupt, so the
  // recipe in docs/export.md failed (the test export_bench_gen.exports runs it small).
  std::ofstream(out / kManifestFile)
      << R"({"tool":"flowsift","version":"bench","format_version":)" << kOutputFormatVersion
      << R"(,"options":{"window":600},"inputs":[],"totals":{"records":)" << windows * 100
      << R"(},"detection":{"enabled":true}})"
      << "\n";
  auto eni = [](uint64_t i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "eni-%017llx", static_cast<unsigned long long>(i));
    return std::string(buf);
  };

  std::string error, text;
  ZstdFileWriter w;
  if (!w.Open((out / kWindowsFile).string(), &error))
    return std::fprintf(stderr, "%s\n", error.c_str()), 3;
  text.assign(WindowsHeader());
  text += '\n';
  WindowRow row;
  row.account_id = "123456789012";
  for (uint64_t i = 0; i < windows; ++i) {
    row.interface_id = eni(i / per_interface);
    row.window_start = 1700000000 - 1700000000 % 600 + (i % per_interface) * 600;
    row.window_end = row.window_start + 600;
    row.records = 100 + i % 997;
    row.nodata = i % 3;
    row.skipdata = i % 2;
    row.accepted = row.records - row.nodata - row.skipdata - i % 7;
    row.rejected = i % 7;
    row.packets = row.records * 11;
    row.bytes = row.packets * 731;
    row.rejected_bytes = row.rejected * 60;
    row.bytes_out_external = row.bytes / 3;
    row.bytes_in_external = row.bytes / 5;
    row.distinct_srcaddr = 1 + i % 53;
    row.distinct_dstaddr = 1 + i % 47;
    row.distinct_dstport = 1 + i % 61;
    AppendCsv(row, text);
    if (text.size() > (1 << 20)) {
      w.Write(text);
      text.clear();
    }
  }
  w.Write(text);
  if (!w.Close(&error)) return std::fprintf(stderr, "%s\n", error.c_str()), 3;

  ZstdFileWriter f;
  if (!f.Open((out / kFindingsFile).string(), &error))
    return std::fprintf(stderr, "%s\n", error.c_str()), 3;
  text.clear();
  for (uint64_t i = 0; i < findings; ++i) {
    char buf[1024];
    const uint64_t ws = 1700000000 - 1700000000 % 600 + (i % per_interface) * 600;
    std::snprintf(
        buf, sizeof buf,
        R"({"id":"%016llx","type":"port_scan","severity":%llu,"mitre":["T1046","T1595.001"],)"
        R"("src":"203.0.113.%llu","dst":"10.0.%llu.%llu","dst_port":null,"protocol":6,)"
        R"("interfaces":["%s"],"window_start":%llu,"window_end":%llu,"first_seen":%llu,)"
        R"("last_seen":%llu,"flows":40,"packets":40,"bytes":2400,"distinct_dst_ports":40,)"
        R"("distinct_dsts":1,"evidence":{"failed_ports":40},"summary":"a scan"})"
        "\n",
        ull{i * 0x9E3779B97F4A7C15ull}, ull{1 + i % 4}, ull{i % 256}, ull{i / 256 % 256},
        ull{i % 256}, eni(i % (windows / per_interface + 1)).c_str(), ull{ws}, ull{ws + 600},
        ull{ws + 5}, ull{ws + 300});
    text += buf;
  }
  f.Write(text);
  if (!f.Close(&error)) return std::fprintf(stderr, "%s\n", error.c_str()), 3;
  return 0;
}
