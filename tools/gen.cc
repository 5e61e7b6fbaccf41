// flowsift gen: synthetic flow logs with injected attacks and their ground truth (SPEC section 4,
// docs/gen.md). The work is pipeline/generate_files.h; this maps flags to its options.
#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "pipeline/format.h"
#include "pipeline/generate.h"
#include "pipeline/generate_files.h"
#include "pipeline/human_bytes.h"
#include "pipeline/input.h"
#include "pipeline/reader.h"
#include "pipeline/temporaries.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/show_print.h"

namespace flowsift::tools {
namespace fs = std::filesystem;

namespace {

// 5138-11-16T09:46:39Z: the last epoch second `run` reads as seconds (values of 10^11 and up are
// milliseconds, kMillisecondTimes). Records up to the year 9999 were generated, and read back
// as times of 1973-1978.
constexpr uint64_t kLastStart = kMillisecondTimes - 1;
constexpr double kMaxHours = 8784;  // 366 days

}  // namespace

std::optional<uint64_t> FreeBytes(const fs::path& dir) {
  std::error_code ec;
  fs::path at = fs::absolute(dir, ec);
  if (ec) return std::nullopt;
  while (!fs::exists(at, ec) && at.has_relative_path()) at = at.parent_path();
  const fs::space_info space = fs::space(at, ec);
  // A pseudo file system (/proc, /sys) reports no capacity at all: not a full disk, whose
  // message ("has 0 B free") blamed the space for a path that cannot be written.
  if (ec || space.capacity == 0) return std::nullopt;
  return space.available;
}

// Whole numbers written as digits only: CLI11 reads "-5" into a uint64_t as 2^64 - 5, and a
// generated file then mixes records at the end of time with records at 0. The text is given on
// as the value's own digits (with ->transform): CLI11 reads a leading 0 as octal, and
// `--records 010` wrote 8 records (`--records 09` was refused).
CLI::Validator Digits(uint64_t min, uint64_t max, const char* what) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        const std::optional<uint64_t> v = DecimalU64(text);
        if (!v || *v < min || *v > max) {
          return fmt::format("'{}': {} must be a whole number from {} to {}", text, what, min, max);
        }
        text = std::to_string(*v);
        return {};
      },
      "");
}

uint64_t ParseSize(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw CLI::ValidationError("'" + text + "' is not a size (examples: 5000, 500M, 1G)");
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  uint64_t scale = 1;
  if (unit == "K" || unit == "k")
    scale = 1ull << 10;
  else if (unit == "M" || unit == "m")
    scale = 1ull << 20;
  else if (unit == "G" || unit == "g")
    scale = 1ull << 30;
  else if (unit == "T" || unit == "t")
    scale = 1ull << 40;
  else if (!unit.empty()) {
    throw CLI::ValidationError("'" + text + "': unknown unit (use K, M, G or T)");
  }
  if (!(value > 0)) throw CLI::ValidationError("'" + text + "' must be positive");
  const double bytes = value * static_cast<double>(scale);
  // 2^64 as a double: a larger value has no uint64_t (the cast would be undefined).
  if (bytes >= 0x1p64) throw CLI::ValidationError("'" + text + "' is too large");
  return static_cast<uint64_t>(bytes);
}

CLI::App* AddGen(CLI::App& app, GenFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "gen",
      "Write realistic synthetic VPC flow logs: web, app and database tiers, NAT gateways,\n"
      "health checks, backups, DNS, both directions of every connection, NODATA/SKIPDATA,\n"
      "benign look-alikes of attacks, and injected attacks with their ground truth in\n"
      "DIR/truth.jsonl. Deterministic for a seed. See docs/gen.md.\n\n"
      "Example: flowsift gen -o data --bytes 1G --attacks all --layout s3 --format v5\n\n"
      "Exit codes: 0 ok; 2 usage error (also: DIR a file or under one, a dangling symbolic\n"
      "link, a flat-layout file in DIR that gen did not write, too few records for the\n"
      "attacks; nothing is written); 3 the files could not be written (also: a size sure not\n"
      "to fit the disk; a directory gen made for DIR, or in it for --layout s3, is removed\n"
      "again).");
  cmd->add_option("-o,--out", f.out_dir,
                  "Directory to write (created if missing, and removed again if gen then fails)")
      ->required();
  cmd->add_option("--records", f.records,
                  "Number of records to write, injected ones included (default 100000)")
      ->transform(Digits(1, UINT64_MAX, "--records"));
  cmd->add_option("--bytes", f.bytes, "Approximate total size instead of --records: 500M, 1G")
      ->excludes(cmd->get_option("--records"))
      // Read when the flags are: a bad size is named as --bytes's, as demo's is ("size: '1X'"
      // had named no flag).
      ->check(CLI::Validator(
          [](const std::string& text) {
            try {
              ParseSize(text);
            } catch (const CLI::ValidationError& e) {
              return std::string(e.what());
            }
            return std::string();
          },
          ""));
  cmd->add_option("--seed", f.seed, "Random seed; the same seed gives the same bytes")
      ->transform(Digits(0, UINT64_MAX, "--seed"))
      ->capture_default_str();
  cmd->add_option("--files", f.files, "Split the records over K files (flat layout)")
      ->transform(Digits(1, 100000, "--files"))
      ->capture_default_str();
  cmd->add_option("--format", f.format,
                  "v2..v11 (all fields up to that version), tgw, or a field list such as\n"
                  "\"version srcaddr dstaddr bytes\"")
      ->capture_default_str();
  cmd->add_option("--attacks", f.attacks,
                  "Attacks to inject, comma-separated: port_scan, port_sweep, brute_force,\n"
                  "exfiltration, reject_spike, ddos_fan_in; or all, none")
      ->capture_default_str();
  cmd->add_flag("--no-lookalikes", f.no_lookalikes,
                "Leave out the benign look-alikes (monitoring poller, backup, NAT burst,\n"
                "health checks, and with ddos_fan_in a recursive resolver's busy minutes)");
  cmd->add_option("--compress", f.compress,
                  "none, gz (ISA-L, one gzip member as AWS writes) or zst; default: gz for the\n"
                  "S3 layouts, none for flat")
      ->check(CLI::IsMember({"auto", "none", "gz", "zst"}))
      ->capture_default_str();
  cmd->add_option("--layout", f.layout,
                  "flat: DIR/flows-NNNNN.log; s3 or s3-hive: AWS object keys under DIR/AWSLogs/,\n"
                  "one object per 5 minutes of records")
      ->check(CLI::IsMember({"flat", "s3", "s3-hive"}))
      ->capture_default_str();
  // Starts up to kLastStart, the last second `run` reads as seconds (every record ends by it too).
  cmd->add_option("--start", f.start, "Epoch seconds of the first record")
      ->transform(Digits(0, kLastStart, "--start"))
      ->capture_default_str();
  cmd->add_option("--hours", f.hours,
                  "Hours of traffic to spread the records over (more than 0, at most 8784,\n"
                  "a leap year)")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            double v = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            // NaN and infinities fail both compares.
            if (ec != std::errc() || end != text.data() + text.size() || !(v > 0) ||
                !(v <= kMaxHours)) {
              return fmt::format("'{}': --hours must be a number above 0 and at most {}", text,
                                 kMaxHours);
            }
            return {};
          },
          ""))
      ->capture_default_str();
  cmd->add_option("--interfaces", f.interfaces,
                  "Number of network interfaces (ENIs; a VPC's fit its subnets up to about\n"
                  "30000)")
      ->transform(Digits(1, 1000000, "--interfaces"))
      ->capture_default_str();
  cmd->add_option(
         "--interval", f.interval,
         "AWS aggregation interval in seconds: 60 or 600, per interface, aligned to no grid")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            return text == "60" || text == "600"
                       ? std::string()
                       : "'" + text + "': --interval must be 60 or 600 (seconds)";
          },
          ""))
      ->capture_default_str();
  return cmd;
}

// Log files in `dir` that this gen did not write (an earlier one's with more --files, another
// layout or compression, or anything else with a log's name) are named on stderr: `flowsift run
// DIR` reads every one of them with the new data set, whose truth.jsonl knows none of theirs.
// They are not removed: the directory is the user's. The command is quoted for the shell, as
// show's commands to paste are (`flowsift run my logs` named two inputs).
static void WarnOfOtherLogs(const std::string& dir, const std::vector<std::string>& written) {
  std::set<fs::path> ours;
  for (const std::string& p : written) ours.insert(fs::path(p).lexically_normal());
  std::vector<std::string> others;
  for (const InputFile& in : DiscoverInputs({.inputs = {dir}}).files) {
    if (!ours.contains(fs::path(in.path).lexically_normal())) others.push_back(in.path);
  }
  if (others.empty()) return;
  fmt::print(stderr,
             "flowsift: note: {} also holds {} log file(s) this run did not write (first: "
             "{}); `flowsift run {}` would read them too: remove them, or generate into an "
             "empty directory\n",
             Printable(dir), others.size(), Printable(others.front()), Printable(ShellQuote(dir)));
}

// -o as gen can write it, checked before any work. A file where the directory should be (or
// in its path), a dangling symbolic link, or a name the system cannot look up (a component over
// 255 bytes, a loop of links) is a usage error naming it, not std::filesystem's raw exception
// ("filesystem error: cannot create directories: File exists [out]") and exit 3.
static void CheckOutDir(const std::string& out) {
  const fs::path whole = fs::path(out).lexically_normal();
  for (fs::path p = whole; !p.empty() && p != p.root_path(); p = p.parent_path()) {
    const std::string where = p == whole ? out : out + ": " + p.string();
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec);
    // Not found (ENOENT, or ENOTDIR below a file: named at that file) is what gen creates.
    if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory) {
      throw CLI::ValidationError("--out", where + ": " + ec.message());
    }
    if (fs::is_directory(st)) break;  // the rest of the path is there
    if (fs::exists(st)) throw CLI::ValidationError("--out", where + " is a file, not a directory");
    std::error_code link_ec;
    if (fs::is_symlink(fs::symlink_status(p, link_ec))) {
      throw CLI::ValidationError(
          "--out", where + " is a symbolic link to " + fs::read_symlink(p, link_ec).string() +
                       ", which does not exist: create the directory it names, or give another -o");
    }
    if (!p.has_relative_path() || p.parent_path() == p) break;
  }
}

int RunGen(const GenFlags& f) {
  std::string error;
  CheckOutDir(f.out_dir);
  // Every record, not only the first, ends by kLastStart: the span and a last interval's record
  // after it.
  const double last_end = static_cast<double>(f.start) + f.hours * 3600 + f.interval;
  if (last_end > static_cast<double>(kLastStart)) {
    throw CLI::ValidationError(
        "--start", fmt::format("{} with --hours {} runs past 5138-11-16T09:46:39Z, the last "
                               "epoch second flowsift reads as seconds (larger values are "
                               "milliseconds); the latest start for these hours is {}",
                               f.start, f.hours,
                               kLastStart - static_cast<uint64_t>(f.hours * 3600) - f.interval));
  }
  const Format format = ParseFormatFlag(f.format);
  const std::optional<std::vector<AttackKind>> attacks = ParseAttackList(f.attacks, &error);
  if (!attacks) throw CLI::ValidationError("--attacks", error);
  GenFilesOptions opt;
  GenOptions& g = opt.gen;
  g.seed = f.seed;
  g.format = format;
  g.start = f.start;
  g.hours = f.hours;
  g.interfaces = f.interfaces;
  g.interval = f.interval;
  g.attacks = *attacks;
  g.lookalikes = !f.no_lookalikes;
  g.records = f.records ? f.records : 100000;
  // Bytes per record from a sample of the background (attacks are a small share): for
  // --bytes, and for the disk space check below.
  GenOptions sample = g;
  sample.records = 20000;
  sample.header = false;
  sample.attacks.clear();
  sample.lookalikes = false;
  double per_record = 0;
  try {  // a network too large for its subnets is refused here, before anything is written
    per_record = static_cast<double>(GenerateText(sample).size()) / 20000.0;
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError("--interfaces", e.what());
  }
  if (!f.bytes.empty()) {
    g.records = static_cast<uint64_t>(static_cast<double>(ParseSize(f.bytes)) / per_record) + 1;
  }
  opt.dir = f.out_dir;
  opt.files = f.files;
  opt.layout = f.layout == "s3"        ? GenLayout::kS3
               : f.layout == "s3-hive" ? GenLayout::kS3Hive
                                       : GenLayout::kFlat;
  const std::string compress = f.compress != "auto"             ? f.compress
                               : opt.layout == GenLayout::kFlat ? "none"
                                                                : "gz";
  opt.compression = compress == "gz"    ? GenCompression::kGzip
                    : compress == "zst" ? GenCompression::kZstd
                                        : GenCompression::kNone;
  // The flat layout's names (flows-00000.log ...) could be a user's own files: replaced only
  // in an earlier output of gen (with its truth.jsonl), where they are gen's. The S3 layouts'
  // object names carry a hash and never meet a file gen did not write.
  if (opt.layout == GenLayout::kFlat && !fs::exists(fs::path(f.out_dir) / "truth.jsonl")) {
    for (unsigned i = 0; i < std::max(1u, f.files); ++i) {
      const fs::path path = fs::path(f.out_dir) / FlatFileName(i, opt.compression);
      std::error_code ec;
      if (fs::exists(fs::symlink_status(path, ec))) {
        throw CLI::ValidationError(
            "--out", path.string() +
                         " exists and is not gen's (no truth.jsonl beside it): gen would replace "
                         "it; generate into a new or empty directory");
      }
    }
  }
  if (opt.layout != GenLayout::kFlat && f.files != 1) {
    throw CLI::ValidationError("--files",
                               "applies to --layout flat only (S3 layouts write one "
                               "object per 5 minutes)");
  }
  // A size that cannot fit is refused before anything is written, not after filling the disk.
  const double text_bytes = per_record * static_cast<double>(g.records);
  if (const std::optional<uint64_t> free = FreeBytes(f.out_dir)) {
    // The generated text compresses ~3.8x (gzip -6) to ~4x (zstd -3); counted as 5x, so only a
    // size sure not to fit is refused.
    const double disk_bytes =
        opt.compression == GenCompression::kNone ? text_bytes : text_bytes / 5;
    if (disk_bytes > static_cast<double>(*free)) {
      fmt::print(stderr,
                 "flowsift: {} records are about {} of text ({} on disk), and {} has {} "
                 "free: ask for fewer (--records, --bytes), compress them (--compress gz|zst), "
                 "or write elsewhere (-o)\n",
                 g.records, HumanBytes(text_bytes), HumanBytes(disk_bytes), Printable(f.out_dir),
                 HumanBytes(static_cast<double>(*free)));
      return kExitOutput;
    }
  }
  // -o with its missing parents, removed again when the gen does not finish (none when -o was
  // there): no longer a new -o left behind, empty or holding logs without their truth.jsonl
  // (which the next gen into it refused as not gen's). One that cannot be made (under /proc, a
  // read-only mount, no permission) is named with why, exit 3 as for run's OUT; it had been
  // std::filesystem's raw "cannot create directories: No such file or directory [/proc/x]".
  MadeDirectories made;
  {
    std::error_code ec;
    fs::path failed;
    if (!made.Create(f.out_dir, &ec, &failed)) {
      fmt::print(stderr,
                 "flowsift: cannot create {}: {}; give an -o where a directory can be made\n",
                 Printable(f.out_dir), ec.message());
      return kExitOutput;
    }
  }
  GenFilesResult result;
  try {
    result = GenerateFiles(opt);
  } catch (const TooFewRecords& e) {
    // In the unit the user asked in: a byte size for --bytes, a count for --records.
    const std::string need =
        f.bytes.empty() ? fmt::format("raise --records to at least {}", e.min_records)
                        : fmt::format("raise --bytes to at least {}",
                                      SizeAtLeast(per_record * static_cast<double>(e.min_records)));
    throw CLI::ValidationError(
        "gen", fmt::format("the injected attacks need {} records, more than half of the {} "
                           "asked for: {}",
                           e.min_records / 2, g.records, need));
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError("gen", e.what());
  }
  made.Keep();
  // A report of what was written: a stderr that cannot take it (closed, full) leaves the files
  // as complete as they are, and the exit status 0 (it was 3).
  try {
    fmt::print(stderr,
               "flowsift: wrote {} records, {} of text ({} on disk) in {} "
               "file(s) to {}; {} attack(s) in truth.jsonl, {} look-alike(s)\n",
               // In the units of --bytes (powers of 1024): --bytes 1G read "1073.7 MB".
               result.records, HumanBytes(static_cast<double>(result.text_bytes)),
               HumanBytes(static_cast<double>(result.file_bytes)), result.paths.size(),
               Printable(f.out_dir), result.attacks, result.lookalikes);
    WarnOfOtherLogs(f.out_dir, result.paths);
  } catch (const std::system_error&) {
  }
  return kExitOk;
}

}  // namespace flowsift::tools
