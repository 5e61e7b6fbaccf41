// flowsift demo: generate a sample data set with attacks into a temporary directory, run the
// pipeline on it, print what was found and where the outputs are.
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kernels/target.h"
#include "pipeline/export.h"
#include "pipeline/generate_files.h"
#include "pipeline/human_bytes.h"
#include "pipeline/reader.h"
#include "pipeline/run.h"
#include "pipeline/temporaries.h"
#include "tools/commands.h"
#include "tools/heap_pages.h"
#include "tools/progress.h"
#include "tools/show_print.h"

namespace flowsift::tools {
namespace {

namespace fs = std::filesystem;

// Bytes of text a generated v2 record takes, about: --bytes / this is the records asked for.
constexpr uint64_t kBytesPerRecord = 116;

// Why the run at the demo's end could not make OUT's temporary beside `out` (run.cc
// MakeSiblingTempDir), found by making and removing a directory where it would go: in the parent,
// or in the nearest ancestor that is there when the parent is not (the run makes it). Empty
// when it can. `demo -o /proc/x` generated the whole sample before it failed.
std::string WhyOutCannotBeWritten(const fs::path& out) {
  fs::path at = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::error_code ec;
  while (!fs::exists(at, ec) && at.has_relative_path()) at = at.parent_path();
  std::string probe = (at / ".flowsift-demo-probe-XXXXXX").string();
  if (mkdtemp(probe.data()) == nullptr) {
    return "cannot create a directory in " + at.string() + ": " + std::strerror(errno);
  }
  fs::remove(probe, ec);
  return {};
}

}  // namespace

CLI::App* AddDemo(CLI::App& app, DemoFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "Generate about 200 MiB of realistic VPC flow logs with injected attacks (S3 layout,\n"
      "gzip, plus a file with malformed lines), run the pipeline on every CPU this process may\n"
      "use and print what it found and where the outputs are. The logs are kept in a new\n"
      "directory under $TMPDIR (or /tmp), named at the end with the command that removes it.\n\n"
      "Exit codes: 0 ok (the sample's malformed lines are counted, not failures); 2 usage\n"
      "error (also -o as `flowsift run` refuses it); 3 the sample or the outputs could not be\n"
      "written (also: a sample sure not to fit $TMPDIR, the sample removed again; an -o where\n"
      "no directory can be made, said before the sample is generated).");
  cmd->add_option("-o,--out", f.out_dir,
                  "Where to write the outputs (default: a temporary directory)");
  cmd->add_flag("--force", f.force,
                "Replace -o if it exists (only an earlier output: a directory with flowsift's "
                "manifest.json, or an empty one)");
  cmd->add_option("--bytes", f.bytes, "Size of the sample (uncompressed): bytes, or 20M, 1G")
      ->type_name("SIZE")
      ->transform([](const std::string& s) { return std::to_string(ParseSize(s)); })
      ->default_str("200M");
  cmd->add_option("--seed", f.seed, "Random seed for the sample")
      ->transform(Digits(0, UINT64_MAX, "--seed"))
      ->capture_default_str();
  cmd->add_option("-j,--threads", f.threads,
                  "Worker threads (default: the CPUs this process may use)")
      ->transform(Digits(0, 4096, "--threads"));
  return cmd;
}

int RunDemo(const DemoFlags& f) {
  const unsigned threads = ThreadsFor(f.threads);
  // -o is checked as `run` checks it, before minutes of generating: it never deletes what is not
  // an earlier output, and replaces one only with --force.
  const std::string out_arg = f.out_dir.empty() ? std::string() : OutDirArg(f.out_dir, f.force);
  if (const std::string why = out_arg.empty() ? "" : WhyOutCannotBeWritten(out_arg); !why.empty()) {
    fmt::print(stderr,
               "flowsift: demo: cannot write -o {}: {} (nothing was generated); give an -o where "
               "a directory can be made\n",
               Printable(out_arg), Printable(why));
    return kExitOutput;
  }
  // $TMPDIR as the README says, /tmp when it is unset or empty (std::filesystem's
  // temp_directory_path failed on an empty one with "No such file or directory").
  const char* tmpdir = std::getenv("TMPDIR");
  const bool from_env = tmpdir != nullptr && *tmpdir != '\0';
  const fs::path parent = from_env ? fs::path(tmpdir) : "/tmp";
  // A sample sure not to fit is refused before anything is written, as gen refuses one: `demo
  // --bytes 1T` began hours of filling the disk. Its gzip files take about a fifth of the text
  // (counted so, only a size sure not to fit is refused).
  if (const std::optional<uint64_t> free = FreeBytes(parent)) {
    const double disk_bytes = static_cast<double>(f.bytes) / 5;
    if (disk_bytes > static_cast<double>(*free)) {
      fmt::print(stderr,
                 "flowsift: demo: a sample of {} of text takes about {} as gzip files, and {} "
                 "has {} free: ask for less (--bytes), or set TMPDIR to a directory with room\n",
                 HumanBytes(static_cast<double>(f.bytes)), HumanBytes(disk_bytes),
                 Printable(parent.string()), HumanBytes(static_cast<double>(*free)));
      return kExitOutput;
    }
  }
  std::string base_tmpl = (parent / "flowsift-demo-XXXXXX").string();
  // Created and registered under the registry's lock: an interrupt in between waits for it.
  auto registry = LockTemporaries();
  if (mkdtemp(base_tmpl.data()) == nullptr) {
    registry.unlock();
    throw std::runtime_error("cannot create a directory for the sample in " + parent.string() +
                             " (" + (from_env ? "TMPDIR" : "/tmp") + "): " + std::strerror(errno) +
                             "; set TMPDIR to a directory you can write");
  }
  const fs::path base = base_tmpl;
  // Until the demo is done, its sample is a temporary: interrupted (Ctrl-C), it went on
  // holding tens of MB under a name the demo had not yet printed.
  PauseForTest("FLOWSIFT_TEST_PAUSE_BEFORE_REGISTER");  // tests/tools/cli_output_test.cc
  AddTemporaryLocked(base);
  registry.unlock();
  const fs::path data = base / "logs";
  const fs::path out = out_arg.empty() ? base / "out" : fs::path(out_arg);

  // 1. Generate: S3 layout, gzip, every attack kind, benign look-alikes.
  const auto t0 = std::chrono::steady_clock::now();
  GenFilesOptions gen;
  gen.gen.seed = f.seed;
  gen.gen.records = std::max<uint64_t>(20000, f.bytes / kBytesPerRecord);
  gen.gen.hours = 2;
  gen.gen.attacks = AllAttacks();
  gen.dir = data.string();
  gen.layout = GenLayout::kS3;
  gen.compression = GenCompression::kGzip;
  GenFilesResult made;
  try {
    made = GenerateFiles(gen);
  } catch (const TooFewRecords& e) {
    RemoveTemporary(base);
    throw CLI::ValidationError(
        "--bytes", fmt::format("a sample with every kind of attack needs {} records: raise "
                               "--bytes to at least {}",
                               e.min_records,
                               SizeAtLeast(static_cast<double>(e.min_records) * kBytesPerRecord)));
  }
  // Real archives have broken lines: a truncated record, a typo, binary junk.
  std::ofstream broken(data / "broken.log");
  broken << Format::Default().HeaderLine() << "\n"
         << "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.9 443\n"
         << "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.9 443 5432 6 12 4096 "
            "1700000000 1700000060 ACCPET OK\n"
         << std::string("\x1f\x8b\x08\x00 binary\x00junk\n", 17);
  broken.close();
  fmt::print(
      "flowsift demo: generated {} of flow logs ({} records, {} attacks, {} look-alikes) "
      "as {} gzip files in {:.1f} s\n  in {}\n",
      HumanBytes(static_cast<double>(made.text_bytes)), made.records, made.attacks, made.lookalikes,
      made.paths.size(), SecondsSince(t0), Printable(data.string()));

  // 2. Run.
  RunOptions run;
  run.inputs = {data.string()};
  run.out_dir = out.string();
  run.force = true;
  run.threads = threads;
  run.version = FLOWSIFT_VERSION;
  run.simd_target = kernels::ActiveTargetName();
  run.heap_pages = HeapPagesText();
  run.options_text = "flowsift demo";
  Progress progress;
  RunResult r;
  {
    ProgressDisplay display(progress,
                            ProgressDisplay::ForStderr(/*progress=*/false, /*no_progress=*/false));
    r = Run(run, &progress);
  }
  if (r.exit_code != kExitOk && r.exit_code != kExitInputErrors) {
    PrintError(r.error);
    RemoveTemporary(base);
    return r.exit_code;
  }

  // 3. Report.
  const double wall = std::max(r.wall_seconds, 1e-9);
  fmt::print(
      "ran on {} thread(s), SIMD target {}: {} inputs, {} records, {} in {:.2f} s "
      "({}/s of text, {:.1f} M records/s)\n",
      threads, run.simd_target, r.graph.files.size(), r.graph.records,
      HumanBytes(static_cast<double>(r.graph.data_bytes)), r.wall_seconds,
      HumanBytes(r.graph.data_bytes / wall), r.graph.records / wall / 1e6);
  fmt::print("bad lines {} (counted and skipped; the run goes on):\n", r.bad_lines);
  for (const BadLineSample& s : r.graph.samples) {
    fmt::print("  {}:{}: {}\n", fs::path(r.graph.files[s.file].outcome.path).filename().string(),
               s.line, LineErrorName(s.reason));
  }
  std::vector<WindowRow> windows = r.graph.aggregate.Windows();
  std::sort(windows.begin(), windows.end(),
            [](const WindowRow& a, const WindowRow& b) { return a.bytes > b.bytes; });
  fmt::print("busiest interface windows:\n");
  for (size_t i = 0; i < std::min<size_t>(5, windows.size()); ++i) {
    const WindowRow& w = windows[i];
    fmt::print("  {} at {}: {} in {} records, {} rejected, {} distinct sources\n", w.interface_id,
               FormatIsoTime(w.window_start), HumanBytes(static_cast<double>(w.bytes)), w.records,
               w.rejected, w.distinct_srcaddr);
  }
  std::vector<ExposureRow> exposure = r.graph.aggregate.Exposure();
  std::sort(exposure.begin(), exposure.end(), [](const ExposureRow& a, const ExposureRow& b) {
    return a.distinct_external_sources > b.distinct_external_sources;
  });
  fmt::print("ports reached from the most external sources:\n");
  for (size_t i = 0; i < std::min<size_t>(5, exposure.size()); ++i) {
    const ExposureRow& e = exposure[i];
    fmt::print("  {} port {}/{}: {} accepted, {} rejected, {} sources\n", e.interface_id,
               e.dst_port, e.protocol, e.accepted_external, e.rejected_external,
               e.distinct_external_sources);
  }
  // Findings: counts by type, then the most severe first (ties in file order).
  std::vector<Finding> findings = r.findings;
  std::map<std::string, size_t> by_type;
  for (const Finding& x : findings) ++by_type[x.type];
  std::string counts;
  for (const auto& [type, n] : by_type)
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, type);
  fmt::print("findings: {} ({})\n", findings.size(), counts.empty() ? "none" : counts);
  std::stable_sort(findings.begin(), findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  // One example per type first, so a flood of one kind does not hide the others.
  std::vector<const Finding*> shown;
  std::set<std::string> seen;
  for (const Finding& x : findings) {
    if (seen.insert(x.type).second) shown.push_back(&x);
  }
  for (const Finding* x : shown)
    fmt::print("  [severity {}] {}: {}\n", x->severity, x->type, x->summary);
  fmt::print("  ground truth of the injected attacks: {}\n",
             Printable((data / "truth.jsonl").string()));
  fmt::print(
      "outputs: {} (windows.csv.zst, findings.jsonl.zst, talkers.csv.zst, exposure.csv.zst,\n"
      "  manifest.json)\n"
      "  try: {} show {}            # overview\n"
      "       {} show {} --table findings\n",
      Printable(out.string()), Printable(ShellQuote(f.program)),
      Printable(ShellQuote(out.string())), Printable(ShellQuote(f.program)),
      Printable(ShellQuote(out.string())));
  // The logs stay for `flowsift run` by hand; ~40 MB of gzip a default demo, so say where.
  fmt::print("the generated logs stay in {} for runs of your own; remove them with: rm -r {}\n",
             Printable(data.string()), Printable(ShellQuote(base.string())));
  DropTemporary(base);
  return kExitOk;
}

}  // namespace flowsift::tools
