// flowsift export: an OUT directory as NDJSON events for a SIEM (SPEC section 5, issue 6,
// docs/export.md). The mapping is pipeline/export.h; this file owns the flags, where the lines
// go (stdout, a file written atomically, zstd when the name ends in .zst) and the exit code.
#include "pipeline/export.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <regex>
#include <string>

#include "pipeline/input.h"
#include "pipeline/run.h"
#include "pipeline/summary.h"
#include "pipeline/tables.h"
#include "pipeline/temporaries.h"
#include "tools/commands.h"
#include "tools/show_print.h"

namespace flowsift::tools {
namespace {

// Where the lines go. Write returns false once output has failed; Finish makes the result
// visible (flush, or close and rename into place); Abort leaves no trace of it.
class LineOutput {
 public:
  virtual ~LineOutput() = default;
  [[nodiscard]] virtual bool Write(std::string_view line) = 0;
  [[nodiscard]] virtual bool Finish(std::string* error) = 0;
  virtual void Abort() {}
};

// stdout in 1 MiB writes: an export of a million rows makes a few hundred write calls.
class StdoutOutput : public LineOutput {
 public:
  bool Write(std::string_view line) override {
    buffer_ += line;
    return buffer_.size() < kFlushBytes || Flush();
  }
  // Also after a Write that failed: says why (it had said only "cannot write stdout").
  bool Finish(std::string* error) override {
    const bool flushed = Flush() && std::fflush(stdout) == 0;
    if (!flushed && failed_errno_ == 0) failed_errno_ = errno != 0 ? errno : EIO;
    if (failed_errno_ != 0) {
      *error = std::string("cannot write to stdout: ") + std::strerror(failed_errno_);
      return false;
    }
    return true;
  }

 private:
  static constexpr size_t kFlushBytes = size_t{1} << 20;
  bool Flush() {
    const bool ok = std::fwrite(buffer_.data(), 1, buffer_.size(), stdout) == buffer_.size();
    if (!ok && failed_errno_ == 0) failed_errno_ = errno != 0 ? errno : EIO;
    buffer_.clear();
    return ok;
  }
  std::string buffer_;
  int failed_errno_ = 0;
};

// ".zst" for "x.ZST" too.
std::string LowerExtension(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// An export killed by SIGKILL (the OOM killer, a job's time limit) or a crash leaves its
// temporary `.FILE.tmp-HOST-XXXXXX` behind, a copy of the events the size of the export, and
// nothing else removed it: every night another. Each temporary holds an flock(2) while its
// export lives, which the kernel drops when the process ends however it ends; so the next export
// to FILE removes those of this host whose lock it can take (`prefix` is the temporary's name
// up to its six random characters), each named on stderr. Left alone, as run leaves OUT's: one
// younger than a minute (its export may be between mkstemp and flock), another host's (its
// locks may not reach this one), and the unlabelled `.FILE.tmp-XXXXXX` of older versions,
// which held no lock.
void RemoveStaleTemporaries(const std::filesystem::path& dir, const std::string& prefix) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path path = it->path();
    const std::string name = path.filename().string();
    if (name.size() != prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0) continue;
    const int fd = LockAbandonedTemporary(path, /*directory=*/false);
    if (fd < 0) continue;
    std::error_code rm;
    fs::remove(path, rm);
    fmt::print(stderr, "flowsift: note: {}\n",
               Printable(rm ? "cannot remove " + path.string() +
                                  ", left by an export that did not finish: " + rm.message()
                            : "removed " + path.string() +
                                  ", the temporary output of an export that did not finish"));
    close(fd);
  }
}

// FILE, written as a hidden temporary sibling (.FILE.tmp-HOST-XXXXXX) renamed over FILE at the
// end, so a reader never sees half an export and a failed one leaves FILE as it was.
class FileOutput : public LineOutput {
 public:
  ~FileOutput() override { Abort(); }

  [[nodiscard]] bool Open(const std::string& path, std::string* error) {
    namespace fs = std::filesystem;
    path_ = path;
    const fs::path p(path);
    zstd_ = LowerExtension(p) == ".zst";
    // Only a regular file is replaced by renaming. A device, FIFO or socket (-o /dev/null, a
    // named pipe to a shipper) is written in place: renaming over it replaced /dev/null itself.
    // A symbolic link to a regular file keeps the link: its target is the file replaced; a
    // dangling link is written through.
    struct stat st;
    const bool exists = ::stat(path.c_str(), &st) == 0;  // follows links
    // A name that cannot be looked up (a component over 255 bytes, a loop of links) cannot be
    // written either: said now, not after the whole export, at the rename ("cannot rename
    // ./.aaa...tmp-HOST-a1b2c3 to aaa...: File name too long", naming a removed temporary).
    if (!exists && errno != ENOENT) {
      *error = "cannot write " + path + ": " + std::strerror(errno);
      return false;
    }
    std::error_code ec;
    const bool link = fs::is_symlink(p, ec);
    if (exists && S_ISDIR(st.st_mode)) {
      *error = "cannot write " + path + ": " + std::strerror(EISDIR);
      return false;
    }
    if ((exists && !S_ISREG(st.st_mode)) || (!exists && link)) {
      if (zstd_) return zstd_writer_.Open(path, error);
      file_ = std::fopen(path.c_str(), "wb");
      if (file_ == nullptr) {
        *error = "cannot write " + path + ": " + std::strerror(errno);
        return false;
      }
      return true;
    }
    fs::path target = p;
    if (exists && link) {
      target = fs::canonical(p, ec);
      if (ec) target = p;
    }
    path_ = target.string();
    // FILE's name is cut to leave room for the rest: a name of 240 bytes and more, which the
    // file system takes, failed as "File name too long" for its temporary's. (Cut at a byte:
    // the name is only for finding it.)
    const std::string suffix = ".tmp-" + HostForFileName() + "-";
    const std::string prefix =
        "." + target.filename().string().substr(0, 255 - 1 - suffix.size() - 6) + suffix;
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    RemoveStaleTemporaries(dir, prefix);
    temp_ = (dir / (prefix + "XXXXXX")).string();
    // Created and registered under the registry's lock: an interrupt in between waits for it.
    auto registry = LockTemporaries();
    const int fd = mkstemp(temp_.data());
    if (fd < 0) {
      registry.unlock();
      *error = "cannot create " + path + ": " + std::strerror(errno);
      temp_.clear();
      return false;
    }
    // The lock says that this export lives (RemoveStaleTemporaries): held by a descriptor of
    // its own (above the standard ones, so that a closed stdout is not taken by it) until the
    // temporary is renamed or removed, or the process ends.
    const int lock_fd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (lock_fd >= 0) (void)flock(lock_fd, LOCK_EX | LOCK_NB);
    PauseForTest("FLOWSIFT_TEST_PAUSE_BEFORE_REGISTER");  // tests/tools/cli_output_test.cc
    AddTemporaryLocked(temp_, lock_fd);                   // removed if the process is interrupted
    registry.unlock();
    // mkstemp makes the file 0600; an export is as readable as any file the user creates, and a
    // file replaced keeps its mode (one made private stayed so when written in place, but was
    // 0644 after a replace: it holds internal addresses and findings).
    const mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, exists ? (st.st_mode & 07777) : (0666 & ~mask));
    if (zstd_) {
      close(fd);
      return zstd_writer_.Open(temp_, error);
    }
    file_ = fdopen(fd, "wb");
    if (file_ == nullptr) {
      *error = "cannot write " + path + ": " + std::strerror(errno);
      close(fd);
      return false;
    }
    return true;
  }
  bool Write(std::string_view line) override {
    if (zstd_) {
      zstd_writer_.Write(line);  // errors are sticky and reported by Close
      return true;
    }
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
      failed_errno_ = errno;
      return false;
    }
    return true;
  }
  bool Finish(std::string* error) override {
    bool ok = true;
    if (zstd_) {
      ok = zstd_writer_.Close(error);
      // Named as the user gave it: the temporary is removed below, and its hidden name
      // (".x.jsonl.zst.tmp-HOST-a1b2c3: File too large") named a file that was not there.
      if (!ok && !temp_.empty()) {
        for (size_t at = error->find(temp_); at != std::string::npos;
             at = error->find(temp_, at + path_.size())) {
          error->replace(at, temp_.size(), path_);
        }
      }
    } else {
      const bool written = failed_errno_ == 0 && std::fflush(file_) == 0 && !std::ferror(file_);
      if (!written && failed_errno_ == 0) failed_errno_ = errno;
      ok = std::fclose(file_) == 0 && written;
      file_ = nullptr;
      if (!ok)
        *error =
            "cannot write " + path_ + ": " + std::strerror(failed_errno_ ? failed_errno_ : errno);
    }
    if (ok && !temp_.empty()) {
      std::unique_lock<std::mutex> lock = LockTemporaries();
      if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
        *error = "cannot rename " + temp_ + " to " + path_ + ": " + std::strerror(errno);
        ok = false;
      } else {
        // In place: a signal from here on ends nothing, as for run's and merge's OUT
        // (tools/flowsift.cc); the exit status says what the file holds.
        MarkOutputPublishedLocked();
      }
    }
    if (ok && !temp_.empty()) {
      DropTemporary(temp_);
      temp_.clear();
    }
    Abort();
    return ok;
  }
  void Abort() override {
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
    if (!temp_.empty()) {
      std::remove(temp_.c_str());
      DropTemporary(temp_);
    }
    temp_.clear();
  }

 private:
  std::string path_, temp_;
  bool zstd_ = false;
  std::FILE* file_ = nullptr;
  ZstdFileWriter zstd_writer_;
  int failed_errno_ = 0;
};

// AWS region names: two letters, optional -gov / -iso*, a direction word, a number.
bool IsRegion(const std::string& s) {
  static const std::regex kRegion("[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+");
  return std::regex_match(s, kRegion);
}

}  // namespace

CLI::App* AddExport(CLI::App& app, ExportFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write the windows and findings of OUT as NDJSON events for a SIEM, one JSON object per\n"
      "line: windows first (in windows.csv.zst order), then findings (in findings.jsonl.zst\n"
      "order). Tables are streamed, never loaded whole.\n\n"
      "Formats (--as):\n"
      "  ocsf    OCSF 1.1.0: windows as Network Activity (4001, Traffic), findings as\n"
      "          Detection Finding (2004) with MITRE ATT&CK attacks\n"
      "  ecs     Elastic Common Schema, field names as Elastic's aws.vpcflow integration\n"
      "  splunk  Splunk HEC events (sourcetype flowsift:window / flowsift:finding) with CIM\n"
      "          Network_Traffic / Intrusion_Detection fields\n"
      "  asff    AWS Security Finding Format: FINDINGS ONLY (windows are not findings), as\n"
      "          BatchImportFindings request bodies {\"Findings\":[...]} of at most 100\n"
      "          findings, one per line\n\n"
      "Examples:\n"
      "  flowsift export out --as ocsf -o events.ocsf.jsonl.zst\n"
      "  flowsift export out --as splunk | curl -H \"Authorization: Splunk $TOKEN\" \\\n"
      "      --data-binary @- https://splunk:8088/services/collector/event\n"
      "  flowsift export out --as asff --account 123456789012 --region eu-west-1 |\n"
      "      while read -r body; do printf '%s' \"$body\" > batch.json\n"
      "        aws securityhub batch-import-findings --cli-input-json file://batch.json; done\n"
      "  (a batch of 100 findings is ~300 KB, more than one command-line argument may hold)\n\n"
      "Exit codes: 0 ok; 1 a table in OUT is missing or corrupt (each bad row named with its\n"
      "line and skipped; the readable rows are still exported); 2 usage error (also: OUT\n"
      "missing, not a flowsift directory or of another major format version; asff without a\n"
      "12-digit account); 3 the output could not be written.");
  cmd->add_option("OUT", f.out_dir, "The directory `flowsift run -o OUT` wrote")->required();
  cmd->add_option("--as", f.as, "Format: ocsf, ecs, splunk or asff")
      ->required()
      ->check(CLI::IsMember({"ocsf", "ecs", "splunk", "asff"}));
  cmd->add_option("-o,--output", f.output,
                  "Write to FILE (atomically: a temporary sibling renamed into place; a pipe\n"
                  "or device such as /dev/null is written in place), zstd-compressed when FILE\n"
                  "ends in .zst; default (or -): stdout");
  cmd->add_option("--region", f.region,
                  "AWS region for cloud.region, ARNs and the ASFF ProductArn (default: the "
                  "region of the inputs' S3 keys in the manifest when they agree, else none; "
                  "asff uses us-east-1)");
  cmd->add_option("--account", f.account,
                  "12-digit AWS account for findings whose interfaces have no 12-digit "
                  "account_id in windows.csv.zst (asff needs one for every finding)");
  return cmd;
}

int RunExport(const ExportFlags& f) {
  const std::optional<ExportFormat> format = ParseExportFormat(f.as);
  if (!format) throw CLI::ValidationError("--as", "unknown format '" + f.as + "'");
  if (!f.account.empty() &&
      (f.account.size() != 12 || f.account.find_first_not_of("0123456789") != std::string::npos)) {
    throw CLI::ValidationError("--account", "'" + f.account + "' is not a 12-digit AWS account");
  }
  if (!f.region.empty() && !IsRegion(f.region)) {
    throw CLI::ValidationError("--region", "'" + f.region + "' is not an AWS region name");
  }

  // Compressed output is zstd only: a name of another compression would hold plain text.
  if (const std::string ext = LowerExtension(f.output);
      ext == ".gz" || ext == ".gzip" || ext == ".bz2" || ext == ".xz" || ext == ".lz4") {
    throw CLI::ValidationError("-o", f.output +
                                         ": export compresses with zstd only; name the file "
                                         "*.zst, or pipe stdout through the compressor (" +
                                         "flowsift export OUT | gzip > FILE.gz)");
  }

  // A file of OUT itself (its windows.csv.zst, its manifest) is never replaced by the export
  // of it, also not through a link to it: that destroyed the summary it was reading. Nor is one
  // of another output (`export a --as ocsf -o b/windows.csv.zst` left b's windows table NDJSON
  // events, which show and merge then read as corrupt). Another file in an output (an earlier
  // export) is written as anywhere else.
  if (!f.output.empty() && f.output != "-") {
    std::error_code ec;
    const std::filesystem::path target = std::filesystem::weakly_canonical(f.output, ec);
    if (!ec && IsOwnOutputFile(target.filename().string())) {
      const std::string name = target.filename().string();
      if (std::filesystem::equivalent(target.parent_path(), f.out_dir, ec)) {
        throw CLI::ValidationError("-o", f.output + " is " + name + " of " + f.out_dir +
                                             ", the summary being exported: write the export "
                                             "elsewhere (e.g. -o events.ndjson.zst)");
      }
      if (IsFlowsiftOutput(target.parent_path().string())) {
        throw CLI::ValidationError(
            "-o", f.output + " is " + name + " of " + target.parent_path().string() +
                      ", an output of flowsift that the export would damage: write the export "
                      "elsewhere (e.g. -o events.ndjson.zst)");
      }
    }
  }

  Summary summary;
  std::string error;
  if (const int code = OpenSummaryOrReport(f.out_dir, &summary); code != kExitOk) return code;
  if (const std::string part = PartOfRun(summary.manifest); !part.empty()) {
    fmt::print(stderr,
               "flowsift: note: {} is {} of a distributed run (--partial): its events are of "
               "its own inputs alone; export the output of `flowsift merge` for the whole run\n",
               Printable(f.out_dir), Printable(part));
  }
  ExportContext ctx;
  const auto version = summary.manifest.find("version");
  ctx.product_version = version != summary.manifest.end() && version->is_string()
                            ? version->get<std::string>()
                            : std::string("unknown");
  ctx.region = f.region.empty() ? RegionFromManifest(summary.manifest) : f.region;
  ctx.account = f.account;
  // ASFF's Resources[].Partition is aws, aws-cn or aws-us-gov (Security Hub has no isolated
  // partition): a finding of an ISO region would not import.
  if (f.as == "asff") {
    const std::string_view partition = PartitionOf(ctx.region);
    if (partition != "aws" && partition != "aws-cn" && partition != "aws-us-gov") {
      throw CLI::ValidationError(
          "--as asff", "the region " + ctx.region + " is in the " + std::string(partition) +
                           " partition, which Security Hub and ASFF do not have (their "
                           "partitions: aws, aws-cn, aws-us-gov); export it as ocsf, ecs or "
                           "splunk");
    }
  }

  std::unique_ptr<LineOutput> out;
  if (f.output.empty() || f.output == "-") {
    out = std::make_unique<StdoutOutput>();
  } else {
    auto file = std::make_unique<FileOutput>();
    if (!file->Open(f.output, &error)) {
      PrintError(error);
      return kExitOutput;
    }
    out = std::move(file);
  }
  const ExportResult r =
      ExportSummary(summary, *format, ctx, [&](std::string_view line) { return out->Write(line); });
  for (const std::string& e : r.errors) PrintError(e);
  switch (r.status) {
    case ExportStatus::kUsage:
      out->Abort();
      return kExitUsage;
    case ExportStatus::kOutput:
      // A file output fails its Finish too (and removes its temporary); stdout says why.
      if (out->Finish(&error) || error.empty()) {
        error = "cannot write " + (f.output.empty() ? std::string("stdout") : f.output);
      }
      PrintError(error);
      return kExitOutput;
    case ExportStatus::kOk:
    case ExportStatus::kCorrupt:
      break;
  }
  if (!out->Finish(&error)) {
    PrintError(error);
    return kExitOutput;
  }
  const int status = r.status == ExportStatus::kCorrupt ? kExitInputErrors : kExitOk;
  if (!f.output.empty() && f.output != "-") BeginReport(status);
  return status;
}

}  // namespace flowsift::tools
