// flowsift run: inputs -> summary directory (SPEC sections 2 and 3).
#include "pipeline/run.h"

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <tuple>

#include "kernels/target.h"
#include "pipeline/allowlist.h"
#include "pipeline/cpus.h"
#include "pipeline/export.h"
#include "tools/commands.h"
#include "tools/heap_pages.h"
#include "tools/progress.h"
#include "tools/show_print.h"

namespace flowsift::tools {

std::optional<uint64_t> DecimalU64(std::string_view text) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

namespace {

// Whether `path` holds what --stats-json writes (a JSON object with simd_target, totals and
// timings, and no tool: a manifest has those too), so that it may be replaced. Stats are ~1 KB;
// a file of more than 1 MiB is not read.
bool IsEarlierStats(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > (1u << 20) || ec) return false;
  std::ifstream in(path, std::ios::binary);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains("simd_target") && j.contains("totals") &&
         j.contains("timings") && !j.contains("tool");
}

// The most of a --config file that is read: --print-config's file is 3 KB, and a list of all
// 65,536 ports one by one is 380 KB. A stream that never ends (`--config <(yes)`, a FIFO) was
// read until memory ran out.
constexpr size_t kMaxConfigBytes = size_t{16} << 20;

uint64_t ParseUnsigned(const std::string& text, const char* what) {
  if (const auto v = DecimalU64(text)) return *v;
  throw CLI::ValidationError(what, "'" + text + "' is not an integer from 0 to 2^64 - 1");
}

}  // namespace

unsigned ThreadsFor(unsigned requested) {
  const unsigned cpus = UsableCpus();
  if (requested == 0) return cpus;
  if (requested > cpus) {
    fmt::print(stderr,
               "flowsift: note: -j {} is more than the {} CPU{} this process may use; the threads "
               "take turns on {} (each adds chunks in flight to memory)\n",
               requested, cpus, cpus == 1 ? "" : "s", cpus == 1 ? "it" : "them");
  }
  return requested;
}

void BeginReport(int status) {
  SetReportStatus(status);
  PauseForTest("FLOWSIFT_TEST_PAUSE_AFTER_PUBLISH");
}

Format ParseFormatFlag(const std::string& text) {
  std::string error;
  std::optional<Format> format = Format::Parse(text, &error);
  if (!format) throw CLI::ValidationError("--format", error);
  for (size_t i = 0; i < format->size(); ++i) {
    if (format->field(i) == Field::kUnknown) {
      fmt::print(stderr,
                 "flowsift: --format: '{}' is not a field flowsift knows; its column is read "
                 "and ignored (check the spelling)\n",
                 format->name(i));
    }
  }
  return *std::move(format);
}

uint32_t ParseWindow(const std::string& text) {
  static const std::pair<const char*, uint32_t> kNames[] = {
      {"60", 60},   {"1m", 60},   {"300", 300},   {"5m", 300},
      {"600", 600}, {"10m", 600}, {"3600", 3600}, {"1h", 3600}};
  for (const auto& [name, seconds] : kNames) {
    if (text == name) return seconds;
  }
  throw CLI::ValidationError("--window",
                             "'" + text + "': use 60, 300, 600, 3600 (or 1m, 5m, 10m, 1h)");
}

namespace {

// Reads exactly `digits` decimal digits at text[*at]; false (and *at unchanged) otherwise.
bool Digits(std::string_view text, size_t* at, int digits, int* value) {
  if (*at + digits > text.size()) return false;
  int v = 0;
  for (int k = 0; k < digits; ++k) {
    const char c = text[*at + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *at += digits;
  *value = v;
  return true;
}

// Skips `c` at text[*at]; true when it was there.
bool Skip(std::string_view text, size_t* at, char c) {
  if (*at < text.size() && text[*at] == c) {
    ++*at;
    return true;
  }
  return false;
}

}  // namespace

uint64_t ParseTime(const char* option, const std::string& text) {
  // An epoch value of 10^11 and up is milliseconds, as in the records (README, "Millisecond
  // timestamps"), rounded up to the second: `--until 1700000000000` had kept every record, and
  // `--since` of it none.
  const auto epoch_seconds = [](uint64_t whole, bool fraction) {
    if (whole < kMillisecondTimes) return whole + (fraction ? 1 : 0);
    return whole / 1000 + (whole % 1000 != 0 || fraction ? 1 : 0);
  };
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    if (const auto v = DecimalU64(text)) return epoch_seconds(*v, false);
    throw CLI::ValidationError(option, "'" + text + "': past the largest epoch second");
  }
  // Epoch seconds with a fraction (`date +%s.%N`): rounded up, as an ISO-8601 fraction is.
  if (const size_t dot = text.find('.');
      dot != std::string::npos && dot > 0 && dot + 1 < text.size() &&
      text.find_first_not_of("0123456789") == dot &&
      text.find_first_not_of("0123456789", dot + 1) == std::string::npos) {
    const auto whole = DecimalU64(text.substr(0, dot));
    const bool fraction = text.find_first_not_of('0', dot + 1) != std::string::npos;
    if (!whole || (fraction && *whole == UINT64_MAX)) {
      throw CLI::ValidationError(option, "'" + text + "': past the largest epoch second");
    }
    return epoch_seconds(*whole, fraction);
  }
  const auto refuse = [&](const char* why) {
    return CLI::ValidationError(option, "'" + text + "': " + why);
  };
  const char* kForms =
      "use epoch seconds or ISO-8601: 2026-11-28, 2026-11-28T10:00, 2026-11-28T10:00:00Z, "
      "2026-11-28T11:00:00.5+01:00, 20261128T100000Z";
  // ISO-8601 by hand (sscanf took "2026-11-28T10:00:00+01:00" as far as the seconds): a date,
  // extended (2026-11-28) or basic (20261128, only with a time: alone it is an epoch second);
  // then T, t or a space and a time, extended (10:00[:00[.5]]) or basic (1000[00[.5]]); then
  // Z, z, +HH, +HHMM or +HH:MM (or -), none meaning UTC.
  const std::string_view t = text;
  size_t at = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!Digits(t, &at, 4, &y)) throw refuse(kForms);
  const bool extended = Skip(t, &at, '-');
  if (!Digits(t, &at, 2, &mo) || (extended && !Skip(t, &at, '-')) || !Digits(t, &at, 2, &d)) {
    throw refuse(kForms);
  }
  bool round_up = false;
  int64_t offset = 0;
  if (at < t.size()) {
    const char sep = t[at++];
    if (sep != 'T' && sep != 't' && sep != ' ') throw refuse(kForms);
    if (!Digits(t, &at, 2, &h)) throw refuse(kForms);
    const bool colons = Skip(t, &at, ':');
    if (!Digits(t, &at, 2, &mi)) throw refuse(kForms);
    const bool seconds = colons ? Skip(t, &at, ':') : at < t.size() && t[at] >= '0' && t[at] <= '9';
    if (seconds && !Digits(t, &at, 2, &sec)) throw refuse(kForms);
    // Record starts are whole seconds and the filters keep since <= start < until
    // (pipeline/graph.cc, tools/show.cc). For a time s inside a second, start >= s is
    // start >= ceil(s) and start < s is start < ceil(s): rounding up keeps exactly the starts
    // inside the instants given, for --since and --until alike. A fraction only follows the
    // seconds: ISO-8601 reads 10:00.5 as half a minute, which is refused rather than guessed.
    if (seconds && (Skip(t, &at, '.') || Skip(t, &at, ','))) {
      const size_t first = at;
      while (at < t.size() && t[at] >= '0' && t[at] <= '9') round_up |= t[at++] != '0';
      if (at == first) throw refuse(kForms);
    }
    if (Skip(t, &at, 'Z') || Skip(t, &at, 'z')) {
    } else if (at < t.size() && (t[at] == '+' || t[at] == '-')) {
      const int64_t sign = t[at++] == '+' ? 1 : -1;
      int oh = 0, om = 0;
      if (!Digits(t, &at, 2, &oh)) throw refuse(kForms);
      const bool offset_colon = Skip(t, &at, ':');
      if ((offset_colon || at < t.size()) && !Digits(t, &at, 2, &om)) throw refuse(kForms);
      if (oh > 23 || om > 59) throw refuse("not a UTC offset (at most +23:59)");
      offset = sign * (oh * 3600 + om * 60);
    }
    if (at != t.size()) throw refuse(kForms);
  }
  std::tm tm{};
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
  tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
  const time_t local = timegm(&tm);
  // timegm normalises what is out of range (2026-13-45 would be 2027-02-14): a field it changed
  // was not a date.
  if (tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d || tm.tm_hour != h ||
      tm.tm_min != mi || tm.tm_sec != sec) {
    throw refuse("not a date and time of the calendar");
  }
  // 10:00+01:00 is 09:00 UTC. Checked before rounding up: 1969-12-31T23:59:59.5Z is before 1970.
  const int64_t utc = static_cast<int64_t>(local) - offset;
  if (utc < 0) throw refuse("before 1970 (epoch 0)");
  return static_cast<uint64_t>(utc) + (round_up ? 1 : 0);
}

std::pair<uint64_t, uint64_t> ParseTimeRange(const std::string& since, const std::string& until) {
  const uint64_t from = since.empty() ? 0 : ParseTime("--since", since);
  const uint64_t to = until.empty() ? UINT64_MAX : ParseTime("--until", until);
  if (from >= to) {
    throw CLI::ValidationError("--until",
                               fmt::format("{} is not after {}: nothing could be kept", until,
                                           since.empty() ? std::string("epoch 0 (no --since given)")
                                                         : "--since " + since));
  }
  return {from, to};
}

std::pair<uint32_t, uint32_t> ParseShard(const std::string& text, std::string* source) {
  auto check = [](uint64_t i, uint64_t n, const std::string& from) {
    if (n == 0 || n > kMaxShards) {
      throw CLI::ValidationError(
          "--shard", fmt::format("{}: N is {}; it must be from 1 to {}", from, n, kMaxShards));
    }
    if (i >= n) {
      throw CLI::ValidationError("--shard",
                                 fmt::format("{}: I is {} and N {}; need I < N (shards are "
                                             "numbered from 0)",
                                             from, i, n));
    }
    return std::pair<uint32_t, uint32_t>(static_cast<uint32_t>(i), static_cast<uint32_t>(n));
  };
  if (!text.empty()) {
    const size_t slash = text.find('/');
    if (slash == std::string::npos)
      throw CLI::ValidationError("--shard", "'" + text + "': use I/N");
    return check(ParseUnsigned(text.substr(0, slash), "--shard"),
                 ParseUnsigned(text.substr(slash + 1), "--shard"), "'" + text + "'");
  }
  const std::pair<const char*, const char*> kEngines[] = {
      {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"},
      {"AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE"},
      {"JOB_COMPLETION_INDEX", "FLOWSIFT_SHARD_COUNT"}};
  for (const auto& [index, count] : kEngines) {
    const char* i = std::getenv(index);
    const char* n = std::getenv(count);
    if (i == nullptr) continue;
    if (n == nullptr) {
      throw CLI::ValidationError(
          "--shard", std::string(index) + " is set but " + count + " is not: give --shard I/N");
    }
    const uint64_t task = ParseUnsigned(i, index);
    uint64_t id = task;
    std::string from = std::string(index) + "/" + count;
    // A Slurm array's task ids are its range (--array=1-8, --array=1-7:2), not 0..N-1: the
    // shard is the task's position in it, as scripts/slurm/map.sbatch computes it.
    const char* min = std::string_view(index) == "SLURM_ARRAY_TASK_ID"
                          ? std::getenv("SLURM_ARRAY_TASK_MIN")
                          : nullptr;
    if (min != nullptr) {
      const uint64_t lo = ParseUnsigned(min, "SLURM_ARRAY_TASK_MIN");
      const char* step_text = std::getenv("SLURM_ARRAY_TASK_STEP");
      const uint64_t step =
          step_text != nullptr ? ParseUnsigned(step_text, "SLURM_ARRAY_TASK_STEP") : 1;
      if (task < lo || step == 0 || (task - lo) % step != 0) {
        throw CLI::ValidationError(
            "--shard", fmt::format("SLURM_ARRAY_TASK_ID {} is not in the array's range from {} "
                                   "in steps of {}: give --shard I/N",
                                   task, lo, step));
      }
      id = (task - lo) / step;
      from = fmt::format(
          "SLURM_ARRAY_TASK_ID {} (position {} from SLURM_ARRAY_TASK_MIN {}, "
          "step {})/SLURM_ARRAY_TASK_COUNT",
          task, id, lo, step);
    }
    if (source != nullptr) *source = std::string(index) + " and " + count;
    return check(id, ParseUnsigned(n, count), from);
  }
  return {0, 1};
}

std::string OutDirArg(const std::string& text, bool force) {
  std::string out = text;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(out, ec).lexically_normal();
  const std::filesystem::path cwd = std::filesystem::current_path(ec);
  if (!ec) {
    // abs is cwd or one of its ancestors: every component of abs begins cwd.
    auto a = abs.begin(), c = cwd.begin();
    for (; a != abs.end() && c != cwd.end() && *a == *c; ++a, ++c) {
    }
    if (a == abs.end() || (std::next(a) == abs.end() && a->empty())) {
      throw CLI::ValidationError(
          "--out", text +
                       " is the current directory or one above it, which a run cannot "
                       "replace (the new OUT is renamed into its place): run from outside "
                       "it, or give another -o");
    }
  }
  if (const std::string why = WhyNotReplaceable(out); !why.empty()) {
    throw CLI::ValidationError("--out", why);
  }
  // With an error code: a name the system cannot look up (a component over 255 bytes, a
  // symbolic-link loop) had thrown std::filesystem's own message ("filesystem error: status:
  // File name too long [...]") and exit 3, as if an output had failed to be written.
  const bool exists = std::filesystem::exists(out, ec);
  if (ec) throw CLI::ValidationError("--out", out + ": " + ec.message());
  if (exists && !force) {
    throw CLI::ValidationError("--out", out + " exists; use --force to replace it");
  }
  return out;
}

CLI::App* AddRun(CLI::App& app, RunFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Summarise flow logs into OUT: windows.csv.zst (traffic per interface and time window),\n"
      "talkers.csv.zst (top sources per window), exposure.csv.zst (ports reached from outside),\n"
      "findings.jsonl.zst (scans, sweeps, brute force, exfiltration, reject spikes, fan-in)\n"
      "and manifest.json (inputs, errors, timings).\n\n"
      "Examples:\n"
      "  flowsift run s3-sync/AWSLogs -o out\n"
      "  flowsift run --print-config > detect.conf   # edit thresholds, then --config detect.conf\n"
      "  flowsift run day1/ day2/ -o out --window 1h --threads 8\n"
      "  zstd -dc out/windows.csv.zst | head\n\n"
      "Exit codes: 0 ok; 1 some inputs missing, unreadable or corrupt, or a directory without\n"
      "flow logs (the rest is summarised; when none can be read, an existing OUT is kept),\n"
      "records read but none within --since/--until (OUT is written, empty; stderr says where\n"
      "the data's times are), or a bad line with --strict; 2 usage error; 3 outputs could not\n"
      "be written.");
  cmd->add_option("inputs", f.inputs, "Files, directories (searched recursively) or - for stdin");
  cmd->add_option(
      "--files-from", f.files_from,
      "Read input paths from FILE, one per line (blank lines skipped; blanks and a CR at\n"
      "a line's ends are not part of the name), or NUL-separated as find -print0 writes them\n"
      "(taken as they are); - = stdin");
  cmd->add_option("-o,--out", f.out_dir, "Output directory (written atomically; required)");
  cmd->add_flag("--force", f.force,
                "Replace OUT if it exists and is an earlier output (flowsift's manifest.json) or\n"
                "empty; files in it that flowsift did not write are moved into the new OUT");
  cmd->add_option("-w,--window", f.window, "Window: 60, 300, 600, 3600 seconds or 1m, 5m, 10m, 1h")
      ->capture_default_str();
  cmd->add_option("-j,--threads", f.threads,
                  "Worker threads (default: the CPUs this process may use: its affinity mask\n"
                  "and cgroup CPU quota, e.g. a Slurm job's CPUs; 0 = that default)")
      ->transform(Digits(0, 4096, "--threads"));
  cmd->add_option("--internal", f.internal,
                  "Internal networks, CIDR list (default 10.0.0.0/8,172.16.0.0/12,\n"
                  "192.168.0.0/16,100.64.0.0/10,fc00::/7). A VPC's IPv6 range is global:\n"
                  "add it (e.g. ...,2600:1f18:2b4:ab00::/56), or its hosts are external")
      ->check(CLI::Validator(
          [](const std::string& list) {
            // Given but empty ("$NETS" unset in a script) must not quietly mean the default.
            return list.find_first_not_of(" ,") == std::string::npos
                       ? std::string(
                             "empty list: give CIDR blocks (e.g. 10.0.0.0/8,fd00::/8), "
                             "or leave --internal out for the private ranges")
                       : std::string();
          },
          ""))
      ->type_name("CIDRS");
  cmd->add_option("--format", f.format,
                  "Format of files without a header line: v2..v11, tgw or a field list\n"
                  "(default: the 14-field version 2 format)");
  cmd->add_option("--since", f.since,
                  "Only records starting at or after this time: epoch seconds (milliseconds\n"
                  "from 10^11, as in the records) or ISO-8601\n"
                  "(2026-11-28, 2026-11-28T10:00Z, 2026-11-28 11:30:00+01:00, 20261128T100000Z;\n"
                  "UTC when no offset is given; a fraction of a second rounds up)");
  cmd->add_option("--until", f.until, "Only records starting before this time");
  cmd->add_option("--shard", f.shard,
                  "Run shard I of N (0-based) of the sorted inputs; default from SLURM_ARRAY_*,\n"
                  "AWS_BATCH_JOB_ARRAY_*, JOB_COMPLETION_INDEX + FLOWSIFT_SHARD_COUNT");
  cmd->add_flag("--strict", f.strict, "Exit 1 on any bad line, not only on unreadable inputs");
  cmd->add_flag("--partial", f.partial,
                "Also write OUT/state.bin.zst, the state `flowsift merge` combines with other\n"
                "parts (shards) into the outputs of one run over all inputs");
  cmd->add_flag("--progress", f.progress,
                "Show progress on stderr when it is not a terminal too: a line every 10 s (on a "
                "terminal a bar is the default)");
  cmd->add_flag("--no-progress", f.no_progress, "Show no progress");
  cmd->add_option("--stats-json", f.stats_json,
                  "Write run statistics as JSON to FILE (- = stdout)");
  cmd->add_option("--config", f.config,
                  "Detection thresholds, windows and allowlists (key = value lines; see\n"
                  "--print-config; allow.sources = 10.1.2.3 keeps your scanner's findings out)");
  cmd->add_flag("--print-config", f.print_config,
                "Print every detection threshold and allowlist with its default and source, then\n"
                "exit; with --config FILE, the values a run would use, the file's marked");
  cmd->add_flag("--no-detect", f.no_detect, "Skip detection (findings.jsonl.zst is written empty)");
  cmd->add_flag("--mmap", f.mmap,
                "Memory-map plain files instead of read()ing them (same outputs; read() was\n"
                "faster on the VMs we measure, see docs/input.md)");
  return cmd;
}

namespace {

// The summary line and the notes a run prints on stderr when it is done.
void PrintRunReport(const RunFlags& f, const RunOptions& opt, const RunResult& r) {
  // The text read and its rate in show's units (HumanBytes): "0.00 GB" was every run under 5 MB.
  fmt::print(stderr,
             "flowsift: {} input{} ({} failed), {} record{}{}, {} bad line{}, {} finding{}, {} "
             "in {:.2f} s ({}/s, {} thread{}, {}) -> {}\n",
             r.graph.files.size() + r.missing.size(),
             r.graph.files.size() + r.missing.size() == 1 ? "" : "s", r.failures.size(),
             r.graph.records, r.graph.records == 1 ? "" : "s",
             r.filtered > 0 ? fmt::format(", {} outside --since/--until", r.filtered) : "",
             r.bad_lines, r.bad_lines == 1 ? "" : "s", r.findings.size(),
             r.findings.size() == 1 ? "" : "s", HumanBytes(static_cast<double>(r.graph.data_bytes)),
             r.wall_seconds,
             HumanBytes(r.wall_seconds > 0 ? r.graph.data_bytes / r.wall_seconds : 0.0),
             opt.threads, opt.threads == 1 ? "" : "s", opt.simd_target, opt.out_dir);
  if (const std::string allowed = AllowedNote(r.findings_allowed); !allowed.empty()) {
    fmt::print(stderr, "flowsift: note: {}\n", allowed);
  }
  if (r.nothing_kept) {
    // Exit 1 (pipeline/run.cc): say why, with where the data is, so that a wrong date or a
    // local time taken for UTC shows at once.
    std::string filter;
    if (opt.since != 0) filter = "--since " + FormatIsoTime(opt.since);
    if (opt.until != UINT64_MAX) {
      filter += (filter.empty() ? "" : " ") + std::string("--until ") + FormatIsoTime(opt.until);
    }
    fmt::print(stderr,
               "flowsift: none of the {} records read starts within {}: {}; {} holds no "
               "windows, talkers, exposure or findings (exit 1)\n",
               r.filtered, filter,
               r.last_start == 0 ? std::string("they have no start time")
                                 : "their starts run from " + FormatIsoTime(r.first_start) +
                                       " to " + FormatIsoTime(r.last_start),
               opt.out_dir);
  }
  // A file none of whose lines was a record is most often one of another format without its
  // header line (a v5 export, a custom --log-format): each line is bad alike. Say what to try.
  // Binary or other garbage (control characters, bad UTF-8) is not a question of format.
  size_t all_bad = 0;
  for (size_t i = 0; i < r.graph.files.size(); ++i) {
    const FileReport& file = r.graph.files[i];
    // JSON (CloudTrail's and other services' logs beside vpcflowlogs/ under an AWSLogs/ sync,
    // named .json.gz): no --format reads it. Its first line that is not blank opens an object
    // or array (seen whichever bad lines the samples kept: 20 of another file's had hidden it).
    // Before the tabs' note: JSON indented with tabs (`jq --tab`) is JSON.
    if (file.records == 0 && file.bad_lines > 0 && file.outcome.header == nullptr &&
        (file.first_bad_line_byte == '{' || file.first_bad_line_byte == '[')) {
      if (++all_bad > 3) continue;
      fmt::print(stderr,
                 "flowsift: note: no line of {} is a record ({} bad): it holds JSON, not flow "
                 "logs (another service's logs, such as CloudTrail's?): leave it out of the "
                 "inputs (give the vpcflowlogs directories of an AWSLogs sync)\n",
                 Printable(file.outcome.path), file.bad_lines);
      continue;
    }
    // Tab-separated text (a spreadsheet's or a query console's export): every line is a
    // control_character, with or without a header line, which reads as binary garbage.
    if (file.records == 0 && file.bad_lines > 0 &&
        file.bad_by_reason[static_cast<size_t>(LineError::kControlCharacter)] * 2 >=
            file.bad_lines &&
        std::any_of(r.graph.samples.begin(), r.graph.samples.end(), [&](const BadLineSample& s) {
          return s.file == i && s.reason == LineError::kControlCharacter &&
                 s.text.find('\t') != std::string::npos;
        })) {
      if (++all_bad > 3) continue;
      fmt::print(stderr,
                 "flowsift: note: no line of {} is a record ({} bad): its fields are separated "
                 "by tabs, and a flow log's by single spaces: convert it (`tr '\\t' ' '`) and run "
                 "on that\n",
                 Printable(file.outcome.path), file.bad_lines);
      continue;
    }
    if (file.records > 0 || file.bad_lines == 0 || file.outcome.header != nullptr) continue;
    const uint64_t field_counts =
        file.bad_by_reason[static_cast<size_t>(LineError::kTooFewFields)] +
        file.bad_by_reason[static_cast<size_t>(LineError::kTooManyFields)];
    if (field_counts * 2 < file.bad_lines) continue;
    if (++all_bad > 3) continue;
    if (f.format.empty()) {
      fmt::print(stderr,
                 "flowsift: note: no line of {} is a record ({} bad): a file without its header "
                 "line must have the --format of its fields (--format v5, or its log format's "
                 "field list, docs/input.md)\n",
                 Printable(file.outcome.path), file.bad_lines);
    } else {
      fmt::print(stderr,
                 "flowsift: note: no line of {} is a record ({} bad): its fields are not those "
                 "of --format {}; give the format its flow log was created with\n",
                 Printable(file.outcome.path), file.bad_lines, Printable(f.format));
    }
  }
  if (all_bad > 3) {
    fmt::print(stderr, "flowsift: note: ... and {} more file{} without a record\n", all_bad - 3,
               all_bad - 3 == 1 ? "" : "s");
  }
  // A header line that names a field twice (hand-edited, or two exports' headers pasted into
  // one): its first column is read and the other is not. --format refuses such a list; a file's
  // header is taken as it is, and that is said (it had been silent).
  // A header line inside the file (files joined) is noted alike, with its byte.
  size_t doubled = 0;
  for (const FileReport& file : r.graph.files) {
    const Format* header = file.outcome.doubled_header.get();
    const auto repeat = header != nullptr ? header->FirstRepeat() : std::nullopt;
    if (repeat && ++doubled <= 3) {
      fmt::print(stderr,
                 "flowsift: note: the header line of {}{} names {} twice (fields {} and {}): the "
                 "first is read, the other is not\n",
                 Printable(file.outcome.path),
                 header == file.outcome.header.get()
                     ? std::string()
                     : fmt::format(" at byte {}", file.outcome.doubled_header_offset),
                 Printable(header->name(repeat->second)), repeat->first + 1, repeat->second + 1);
    }
  }
  if (doubled > 3) {
    fmt::print(stderr, "flowsift: note: ... and {} more file{} whose header names a field twice\n",
               doubled - 3, doubled - 3 == 1 ? "" : "s");
  }
  // A header line written as the console shows the log format (`${version} ${account-id} ...`,
  // pasted above the records): read as its names, and said, since it is not what AWS writes.
  size_t log_formats = 0;
  for (const FileReport& file : r.graph.files) {
    if (file.outcome.header_log_format && ++log_formats <= 3) {
      fmt::print(stderr,
                 "flowsift: note: the header line of {} is a log-format string (${{version}} "
                 "...): read as the field names it lists\n",
                 Printable(file.outcome.path));
    }
  }
  if (log_formats > 3) {
    fmt::print(stderr,
               "flowsift: note: ... and {} more file{} whose header is a log-format string\n",
               log_formats - 3, log_formats - 3 == 1 ? "" : "s");
  }
  if (r.bad_lines > 0 && !r.graph.samples.empty()) {
    // Where to look: the first bad line in input order, and where the rest are described.
    const BadLineSample& first =
        *std::min_element(r.graph.samples.begin(), r.graph.samples.end(),
                          [](const BadLineSample& a, const BadLineSample& b) {
                            return std::tie(a.file, a.line) < std::tie(b.file, b.line);
                          });
    fmt::print(stderr,
               "flowsift: the first bad line is {}:{}: {}; up to {} samples of each reason: "
               "`flowsift show {} --table errors` or {}/manifest.json\n",
               Printable(r.graph.files[first.file].outcome.path), first.line,
               LineErrorName(first.reason), kSamplesPerReason, opt.out_dir, opt.out_dir);
  }
}

// The detection options of --config FILE over the defaults, and --no-detect.
DetectOptions DetectOptionsFrom(const RunFlags& f) {
  DetectOptions options;
  std::string error;
  if (!f.config.empty()) {
    // Not a stream's `<< rdbuf()`: that reads a directory (EISDIR) as an empty file, the
    // defaults.
    // A device (`--config /dev/zero`) read until memory ran out; a FIFO is read (a shell's
    // `--config <(...)`), a directory is refused by the read.
    struct stat st {};
    if (stat(f.config.c_str(), &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
      throw CLI::ValidationError("--config", f.config + ": a device, not a config file");
    }
    std::string text;
    if (!ReadTextFile(f.config, &text, &error, kMaxConfigBytes)) {
      throw CLI::ValidationError("--config", "cannot read " + error);
    }
    if (text.size() > kMaxConfigBytes) {
      throw CLI::ValidationError("--config", f.config + ": more than " +
                                                 std::to_string(kMaxConfigBytes >> 20) +
                                                 " MiB, no config file (flowsift run "
                                                 "--print-config writes one of 4 KB)");
    }
    if (!ParseDetectConfig(text, &options, &error)) {
      throw CLI::ValidationError("--config", f.config + ": " + error);
    }
  }
  if (f.no_detect) options.enabled = false;
  return options;
}

}  // namespace

int RunRun(const RunFlags& f, const std::string& command_line) {
  if (f.print_config) {
    // What a run with the same --config and --no-detect would use, the file's values marked.
    std::string origin;
    // The path as text (a newline in it had ended the comment, and the printed file did not
    // read back: "expected `key = value`").
    if (!f.config.empty()) origin = "--config " + Printable(f.config);
    fmt::print("{}", DetectConfigText(DetectOptionsFrom(f), origin,
                                      f.no_detect ? "--no-detect" : std::string_view()));
    return kExitOk;
  }
  // `flowsift run` alone, a newcomer's first try: what the command takes, not the first of the
  // two things missing ("--out: required").
  if (f.out_dir.empty() && f.inputs.empty() && f.files_from.empty()) {
    throw CLI::ValidationError(
        "run",
        "give the flow logs to read and a new directory for the outputs: flowsift run "
        "INPUT... -o OUT (e.g. flowsift run logs/ -o out; flowsift run --help)");
  }
  if (f.out_dir.empty()) throw CLI::ValidationError("--out", "required: the output directory");
  RunOptions opt;
  opt.inputs = f.inputs;
  if (!f.files_from.empty()) opt.files_from.push_back(f.files_from);
  if (f.files_from == "-" && std::find(f.inputs.begin(), f.inputs.end(), "-") != f.inputs.end()) {
    throw CLI::ValidationError("run",
                               "- and --files-from - both read stdin: give the list in a file "
                               "(--files-from LIST) or the data on stdin, not both");
  }
  if (opt.inputs.empty() && opt.files_from.empty()) {
    throw CLI::ValidationError("run", "no inputs: give files or directories, or --files-from");
  }
  opt.force = f.force;
  opt.window = ParseWindow(f.window);
  opt.threads = ThreadsFor(f.threads);
  std::string error;
  if (!f.internal.empty()) {
    auto internal = NetworkSet::Parse(f.internal, &error);
    if (!internal) throw CLI::ValidationError("--internal", error);
    opt.internal = *internal;
  }
  if (!f.format.empty()) opt.format = std::make_shared<const Format>(ParseFormatFlag(f.format));
  std::tie(opt.since, opt.until) = ParseTimeRange(f.since, f.until);
  std::string shard_source;
  std::tie(opt.shard_index, opt.shard_count) = ParseShard(f.shard, &shard_source);
  if (!shard_source.empty() && opt.shard_count > 1) {
    // Inside an array job a plain run takes its shard from the environment: said, so that one
    // whole run per array task does not quietly read a part of its inputs.
    fmt::print(stderr,
               "flowsift: note: shard {}/{} from {}: this run reads inputs {}, {}, ... of the "
               "sorted list (from 0); --shard 0/1 reads them all\n",
               opt.shard_index, opt.shard_count, shard_source, opt.shard_index,
               uint64_t{opt.shard_index} + opt.shard_count);
  }
  opt.strict = f.strict;
  opt.map_files = f.mmap;
  opt.partial = f.partial;
  opt.detect = DetectOptionsFrom(f);
  opt.version = FLOWSIFT_VERSION;
  opt.simd_target = kernels::ActiveTargetName();
  opt.heap_pages = HeapPagesText();
  opt.options_text = command_line;
  opt.out_dir = OutDirArg(f.out_dir, opt.force);
  // A --stats-json that cannot be written is found before the run, not after it (which then
  // exited 3 with OUT published).
  if (!f.stats_json.empty() && f.stats_json != "-") {
    const std::filesystem::path path(f.stats_json);
    std::error_code ec;
    const bool is_dir = std::filesystem::is_directory(path, ec);
    // A name that cannot be looked up (longer than the file system's names, a loop of links)
    // cannot be created either, which its parent's access() does not say: the run went on,
    // published OUT and exited 3 ("cannot write ...: File name too long").
    std::error_code lookup;
    const bool exists = std::filesystem::exists(path, lookup);
    const std::string parent =
        path.has_parent_path() ? path.parent_path().string() : std::string(".");
    const bool ok = !lookup && !is_dir &&
                    (exists ? access(f.stats_json.c_str(), W_OK) == 0
                            : access(parent.c_str(), W_OK | X_OK) == 0);
    if (!ok) {
      throw CLI::ValidationError("--stats-json", "cannot write " + f.stats_json + ": " +
                                                     (lookup   ? lookup.message()
                                                      : is_dir ? std::strerror(EISDIR)
                                                               : std::strerror(errno)));
    }
    // An existing file is replaced only when it is an earlier run's stats: `run --stats-json
    // a.log b.log`, the flag taken for a switch, replaced the log a.log, and a name mistyped
    // as another OUT's manifest.json (any JSON object passed the first form of this check)
    // broke that OUT for show, export and --force.
    if (exists && std::filesystem::is_regular_file(path, ec) &&
        std::filesystem::file_size(path, ec) > 0 && !IsEarlierStats(path)) {
      throw CLI::ValidationError(
          "--stats-json", f.stats_json +
                              " exists and is not an earlier run's --stats-json: it would be "
                              "replaced. --stats-json takes a file name (--stats-json "
                              "stats.json, or - for stdout); remove the file if it is to be "
                              "replaced");
    }
  }

  Progress progress;
  RunResult r;
  {
    ProgressDisplay display(progress, ProgressDisplay::ForStderr(f.progress, f.no_progress));
    r = Run(opt, &progress);
  }
  if (r.exit_code == kExitOutput) {
    fmt::print(stderr, "flowsift: {}\n", r.error);
    return kExitOutput;
  }
  if (r.error.empty()) BeginReport(r.exit_code);
  // What stderr says from here on is a report of what was done: when stderr cannot be written
  // (2>/dev/full, closed), the run's outputs are still complete and its exit status stands.
  const auto report = [&](const auto& print) {
    try {
      // Printable: a path from a list or a directory may hold control bytes (an escape
      // sequence).
      for (const std::string& note : r.notes)
        fmt::print(stderr, "flowsift: note: {}\n", Printable(note));
      for (const std::string& failure : r.failures) {
        PrintError(failure);
      }
      print();
    } catch (const std::system_error&) {
    }
  };
  if (!r.error.empty()) {  // nothing written (exit 1): every input failed, OUT kept
    report([&] { PrintError(r.error); });
    return r.exit_code;
  }
  if (!f.stats_json.empty()) {
    // From the run, not a parse of its manifest (13 MB for 20,000 inputs: ~0.1 s). Written
    // before the lines on stderr, which cannot stop it (2>/dev/full skipped it), and checked
    // once flushed: a full disk left an empty file and exit 0.
    if (f.stats_json == "-") {
      fmt::print("{}\n", r.stats_json);
    } else {
      std::ofstream out(f.stats_json);
      out << r.stats_json << "\n";
      out.close();
      if (!out) {
        std::fprintf(stderr, "flowsift: cannot write %s: %s\n", f.stats_json.c_str(),
                     std::strerror(errno));
        return kExitOutput;
      }
    }
  }
  report([&] { PrintRunReport(f, opt, r); });
  return r.exit_code;  // --strict's bad lines are exit 1 there (Run)
}

}  // namespace flowsift::tools
