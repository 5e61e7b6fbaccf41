// The subcommands of the flowsift binary. Each Add* registers its flags on `app` and returns
// the subcommand; Run* executes it and returns the process exit code (SPEC 2.2).
#ifndef FLOWSIFT_TOOLS_COMMANDS_H_
#define FLOWSIFT_TOOLS_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/format.h"

namespace flowsift {
struct Summary;  // pipeline/summary.h
}  // namespace flowsift

namespace flowsift::tools {

// `text` as a decimal number; nullopt when it is empty, has anything but digits or passes
// 2^64 - 1 (std::from_chars alone leaves its value as it was then, its end past the digits as
// for a good one: a damaged table's 99999999999999999999 was read as 0). tools/run.cc.
std::optional<uint64_t> DecimalU64(std::string_view text);

// Exit codes, SPEC section 2.2.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInputErrors = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitOutput = 3;

struct DemoFlags {
  std::string out_dir;
  bool force = false;
  uint64_t bytes = 200ull << 20;
  uint64_t seed = 1;
  unsigned threads = 0;  // 0 = all cores
  // How the executable was named (argv[0]): the "try:" lines name it so when it is a path
  // (scripts/demo runs build/release/tools/flowsift by its absolute path, on no PATH).
  std::string program = "flowsift";
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
  std::string attacks = "none";   // comma-separated kinds, "all" or "none"
  std::string compress = "auto";  // none|gz|zst; auto: gz for the S3 layouts, else none
  std::string layout = "flat";    // flat|s3|s3-hive
  bool no_lookalikes = false;
};
CLI::App* AddGen(CLI::App& app, GenFlags& flags);
int RunGen(const GenFlags& flags);

struct RunFlags {
  std::vector<std::string> inputs;
  std::string files_from;
  std::string out_dir;
  bool force = false;
  std::string window = "600";
  unsigned threads = 0;  // 0 = all cores
  std::string internal;
  std::string format;
  std::string since, until;
  std::string shard;
  bool strict = false;
  bool partial = false;  // also write the mergeable state (flowsift merge)
  bool progress = false, no_progress = false;
  std::string stats_json;
  std::string config;  // detection thresholds file
  bool no_detect = false, print_config = false;
  bool mmap = false;  // map plain files instead of read()
};
CLI::App* AddRun(CLI::App& app, RunFlags& flags);
int RunRun(const RunFlags& flags, const std::string& command_line);

struct MergeFlags {
  std::vector<std::string> parts;
  std::string parts_from;
  std::string out_dir;
  bool force = false;
};
CLI::App* AddMerge(CLI::App& app, MergeFlags& flags);
// Exit codes: 0; 1 a part unreadable, corrupt or truncated (named; the rest is merged) or a
// part's inputs failed; 2 usage, or parts that cannot be merged (nothing written); 3 outputs.
int RunMerge(const MergeFlags& flags, const std::string& command_line);

struct ShowFlags {
  std::string out_dir;
  std::string table;         // inputs|windows|findings|talkers|exposure|errors; empty: overview
  std::string as = "table";  // table|csv|json
  int64_t limit = -1;        // -1: 50 rows for --as table, all for csv/json; 0: all
  std::string interface_id, type;
  std::string since, until;  // on window_start, like run's --since/--until
  int min_severity = 0;      // 0: any
  std::string id;            // --id: one finding, by its id or a prefix of 6 or more characters
};
CLI::App* AddShow(CLI::App& app, ShowFlags& flags);
// Exit codes: 0; 1 a table in OUT is missing or corrupt (rows before the damage are printed);
// 2 usage errors, OUT missing, not a flowsift directory or of another major format version.
int RunShow(const ShowFlags& flags);
// Opens OUT for show and export (OpenSummary); on failure prints why and returns the exit code
// (1 a corrupt manifest, 2 anything else), else kExitOk.
int OpenSummaryOrReport(const std::string& dir, Summary* summary);

struct ExportFlags {
  std::string out_dir;
  std::string as;       // ocsf|ecs|splunk|asff
  std::string output;   // empty or "-": stdout
  std::string region;   // empty: from the manifest's S3 keys, else unknown
  std::string account;  // 12 digits, for findings without a known account
};
CLI::App* AddExport(CLI::App& app, ExportFlags& flags);
// Exit codes: 0; 1 a table in OUT is missing or corrupt (bad rows skipped, the rest exported);
// 2 usage errors (OUT as for show; asff without an account); 3 the output cannot be written.
int RunExport(const ExportFlags& flags);

// run's and merge's OUT (export -o's file) is published and what is left is the report, after
// which the command exits with `status`: a second signal stops it with that status
// (SetReportStatus). A test hook too: with FLOWSIFT_TEST_PAUSE_AFTER_PUBLISH=SECONDS in the
// environment the command sleeps that long here, so that a test can send a signal then
// (tests/tools/cli_output_test.cc).
void BeginReport(int status);

// A --format value (run, gen) -> the format. Names flowsift does not know are kept (their
// columns are read and ignored), each with a warning on stderr: a misspelt name would otherwise
// only show as a missing field. Throws CLI::ValidationError for what Format::Parse refuses.
Format ParseFormatFlag(const std::string& text);
// "600", "10m", "1h" -> seconds; only 60, 300, 600 and 3600 are accepted (SPEC 2.1).
// Throws CLI::ValidationError otherwise.
uint32_t ParseWindow(const std::string& text);
// Epoch seconds (milliseconds from kMillisecondTimes, as in the records) or ISO-8601
// ("2026-11-28", "2026-11-28T10:00", "2026-11-28 10:00:00Z", "2026-11-28T11:00:00.25+01:00",
// "20261128T100000Z"; no offset means UTC) -> epoch seconds, a fraction of a second rounded up
// (the filters keep whole-second starts in [since, until)). Throws CLI::ValidationError naming
// `option` otherwise (also for a number past 2^64 - 1, a time before 1970, or a fraction without
// seconds: ISO-8601's 10:00.5 is half a minute).
uint64_t ParseTime(const char* option, const std::string& text);
// --since and --until (either may be empty: 0 and 2^64 - 1) -> [since, until). Throws
// CLI::ValidationError when until is not after since: no record or window could match.
std::pair<uint64_t, uint64_t> ParseTimeRange(const std::string& since, const std::string& until);
// A check that an option is a whole number from min to max written as digits only: CLI11
// reads "-5" into a uint64_t as 2^64 - 5, and "1.5" is its own message. Give it with
// ->transform: it passes the value on without leading zeros, which CLI11 reads as octal.
CLI::Validator Digits(uint64_t min, uint64_t max, const char* what);
// "I/N" with 0 <= I < N -> {I, N}; empty -> the array-job environment (SLURM_ARRAY_TASK_ID /
// SLURM_ARRAY_TASK_COUNT, AWS_BATCH_JOB_ARRAY_INDEX / AWS_BATCH_JOB_ARRAY_SIZE,
// JOB_COMPLETION_INDEX with FLOWSIFT_SHARD_COUNT), else {0, 1}; N at most kMaxShards.
// *source, if given, names the environment variables a shard came from (empty for --shard).
std::pair<uint32_t, uint32_t> ParseShard(const std::string& text, std::string* source = nullptr);

// -j/--threads: 0 -> the CPUs this process may use (pipeline/cpus.h); more than those is run as
// asked, with a note on stderr (the extra threads take turns on the CPUs and add memory).
unsigned ThreadsFor(unsigned requested);

// -o of run, merge and demo, checked before any work and returned as the pipeline takes it:
// trailing '/' removed ("out/" made the temporary directory inside OUT, where its rename could
// not go). Throws CLI::ValidationError for a directory that holds the current one ("." "..",
// "/": OUT is replaced by a rename, which a process inside it cannot survive), for what is not
// an earlier output (WhyNotReplaceable; refused as such first: --force would not help), and
// for an existing OUT without `force`.
std::string OutDirArg(const std::string& text, bool force);

// Free bytes where `dir` is or will be (its nearest existing ancestor); nothing when unknown.
std::optional<uint64_t> FreeBytes(const std::filesystem::path& dir);

// "500M" -> 524288000; accepts K, M, G, T (powers of 1024) and plain byte counts.
// Throws CLI::ValidationError on anything else. The inverse for advice is SizeAtLeast
// (pipeline/human_bytes.h).
uint64_t ParseSize(const std::string& text);

}  // namespace flowsift::tools

#endif  // FLOWSIFT_TOOLS_COMMANDS_H_
