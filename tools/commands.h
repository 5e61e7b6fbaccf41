// The subcommands of the flowsift binary. Each Add* registers its flags on `app` and returns
// the subcommand; Run* executes it and returns the process exit code (SPEC 2.2).
#ifndef FLOWSIFT_TOOLS_COMMANDS_H_
#define FLOWSIFT_TOOLS_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace flowsift::tools {

// Exit codes, SPEC section 2.2.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInputErrors = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitOutput = 3;

struct DemoFlags {
  uint64_t bytes = 200ull << 20;
  uint64_t seed = 1;
  unsigned threads = 0;  // 0 = all cores
};
CLI::App* AddDemo(CLI::App& app, DemoFlags& flags);
int RunDemo(const DemoFlags& flags);

struct GenFlags {
  std::string out_dir;
  uint64_t records = 0;
  std::string bytes;  // "500M", "1G"
  uint64_t seed = 1;
  unsigned files = 1;
  std::string format = "v2";
  uint64_t start = 1700000000;
  double hours = 1.0;
  uint32_t interfaces = 200;
  uint32_t interval = 600;
};
CLI::App* AddGen(CLI::App& app, GenFlags& flags);
int RunGen(const GenFlags& flags);

// "500M" -> 524288000; accepts K, M, G, T (powers of 1024) and plain byte counts.
// Throws CLI::ValidationError on anything else.
uint64_t ParseSize(const std::string& text);

}  // namespace flowsift::tools

#endif  // FLOWSIFT_TOOLS_COMMANDS_H_
