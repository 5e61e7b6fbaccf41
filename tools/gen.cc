// flowsift gen: synthetic flow logs (SPEC section 4). Attacks, S3 layouts and compression are
// added by the input-layer issue; this writes plain text files of any format.
#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "pipeline/format.h"
#include "pipeline/generate.h"
#include "tools/commands.h"

namespace flowsift::tools {
namespace fs = std::filesystem;

uint64_t ParseSize(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw CLI::ValidationError("size", "'" + text + "' is not a size (examples: 5000, 500M, 1G)");
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
    throw CLI::ValidationError("size", "'" + text + "': unknown unit (use K, M, G or T)");
  }
  if (value <= 0) throw CLI::ValidationError("size", "'" + text + "' must be positive");
  return static_cast<uint64_t>(value * static_cast<double>(scale));
}

CLI::App* AddGen(CLI::App& app, GenFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "gen",
      "Write realistic synthetic VPC flow logs: web, app and database tiers, NAT gateways,\n"
      "health checks, backups, DNS, both directions of every connection, NODATA/SKIPDATA.\n"
      "Deterministic for a seed.\n\n"
      "Example: flowsift gen -o data --bytes 1G --files 8 --format v5");
  cmd->add_option("-o,--out", f.out_dir, "Directory to write (created if missing)")->required();
  cmd->add_option("--records", f.records, "Number of records to write (default 100000)");
  cmd->add_option("--bytes", f.bytes, "Approximate total size instead of --records: 500M, 1G")
      ->excludes(cmd->get_option("--records"));
  cmd->add_option("--seed", f.seed, "Random seed; the same seed gives the same bytes")
      ->capture_default_str();
  cmd->add_option("--files", f.files, "Split the records over K files")
      ->check(CLI::Range(1u, 100000u))
      ->capture_default_str();
  cmd->add_option("--format", f.format,
                  "v2..v11 (all fields up to that version), tgw, or a field list such as\n"
                  "\"version srcaddr dstaddr bytes\"")
      ->capture_default_str();
  cmd->add_option("--start", f.start, "Epoch seconds of the first record")->capture_default_str();
  cmd->add_option("--hours", f.hours, "Hours of traffic to spread the records over")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--interfaces", f.interfaces, "Number of network interfaces (ENIs)")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  cmd->add_option("--interval", f.interval, "AWS aggregation interval in seconds: 60 or 600")
      ->check(CLI::IsMember({60u, 600u}))
      ->capture_default_str();
  return cmd;
}

int RunGen(const GenFlags& f) {
  std::string error;
  const std::optional<Format> format = Format::Parse(f.format, &error);
  if (!format) throw CLI::ValidationError("--format", error);
  GenOptions opt;
  opt.seed = f.seed;
  opt.format = *format;
  opt.start = f.start;
  opt.hours = f.hours;
  opt.interfaces = f.interfaces;
  opt.interval = f.interval;
  opt.records = f.records ? f.records : 100000;
  if (!f.bytes.empty()) {
    // Estimate bytes per record from a sample of the same options.
    GenOptions sample = opt;
    sample.records = 20000;
    sample.header = false;
    const double per_record = static_cast<double>(GenerateText(sample).size()) / 20000.0;
    opt.records = static_cast<uint64_t>(static_cast<double>(ParseSize(f.bytes)) / per_record) + 1;
  }

  fs::create_directories(f.out_dir);
  uint64_t total_bytes = 0, total_records = 0;
  for (unsigned i = 0; i < f.files; ++i) {
    GenOptions part = opt;
    part.seed = opt.seed * 1000003 + i;
    part.records = opt.records / f.files + (i < opt.records % f.files ? 1 : 0);
    part.start = opt.start + static_cast<uint64_t>(opt.hours * 3600.0 * i / f.files);
    part.hours = opt.hours / f.files;
    const fs::path path = fs::path(f.out_dir) / fmt::format("flows-{:05}.log", i);
    const fs::path tmp = path.string() + ".tmp";
    std::FILE* out = std::fopen(tmp.c_str(), "wb");
    if (!out) throw std::runtime_error("cannot create " + tmp.string());
    FlowGenerator gen(part);
    std::string buf;
    bool more = true;
    while (more) {
      buf.clear();
      more = gen.Append(buf, 1 << 20);
      if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) {
        std::fclose(out);
        throw std::runtime_error("cannot write " + tmp.string() + " (disk full?)");
      }
      total_bytes += buf.size();
    }
    if (std::fclose(out) != 0) throw std::runtime_error("cannot write " + tmp.string());
    fs::rename(tmp, path);
    total_records += gen.records_emitted();
  }
  fmt::print(stderr, "flowsift gen: wrote {} records, {:.1f} MB in {} file(s) to {}\n",
             total_records, total_bytes / 1e6, f.files, f.out_dir);
  return kExitOk;
}

}  // namespace flowsift::tools
