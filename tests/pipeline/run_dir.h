// Runs of `flowsift run` over a directory of generated files, for run_test.cc and
// run_bad_input_test.cc.
#ifndef FLOWSIFT_TESTS_PIPELINE_RUN_DIR_H_
#define FLOWSIFT_TESTS_PIPELINE_RUN_DIR_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "pipeline/generate.h"
#include "pipeline/run.h"
#include "tests/test_util.h"

namespace flowsift::testing {

// Three generated files (with header lines) in dir; returns their text without headers. With
// port_scans, the second hour holds gen's injected port scans.
inline std::string WriteGenerated(const std::filesystem::path& dir, uint64_t seed,
                                  bool port_scans = false) {
  std::string all;
  for (int i = 0; i < 3; ++i) {
    GenOptions g;
    g.seed = seed + i;
    g.records = 20000;
    g.interfaces = 30;
    g.start = 1700000000 + 3600 * i;
    if (port_scans && i == 1) g.attacks = {AttackKind::kPortScan};
    const std::string text = GenerateText(g);
    WriteFile(dir / ("f" + std::to_string(i) + ".log"), text);
    all += text.substr(text.find('\n') + 1);
  }
  return all;
}

inline RunResult RunDir(const std::string& in, const std::string& out, unsigned threads,
                        size_t chunk_bytes = 64 << 10, bool detect = true, bool map_files = false) {
  RunOptions opt;
  opt.inputs = {in};
  opt.out_dir = out;
  opt.threads = threads;
  opt.chunk_bytes = chunk_bytes;
  opt.detect.enabled = detect;
  opt.map_files = map_files;
  return flowsift::Run(opt, nullptr);
}

}  // namespace flowsift::testing

#endif  // FLOWSIFT_TESTS_PIPELINE_RUN_DIR_H_
