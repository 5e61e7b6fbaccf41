#include "pipeline/run.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <tbb/global_control.h>
#include <tbb/parallel_invoke.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pipeline/fnv.h"
#include "pipeline/input.h"
#include "pipeline/json_text.h"
#include "pipeline/merge.h"
#include "pipeline/partial.h"
#include "pipeline/summary.h"
#include "pipeline/tables.h"
#include "pipeline/temporaries.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

// The value ManifestOf gives the "inputs" key, which ManifestText replaces by the array
// (AppendInputsText). A path or a command line may hold these bytes too, so ManifestText finds
// the key's own line, which no string value can contain (dump escapes a newline in one).
constexpr const char* kInputsPlaceholder = "\x01inputs\x01";

// "logs/private: permission_denied: cannot list the directory: Permission denied", as the
// reader words a file's failure.
std::string InputErrorMessage(const InputError& e) {
  return e.path + ": " + std::string(FileStatusName(StatusOfErrno(e.error))) + ": " + e.reason;
}

// Appends the manifest's "inputs" array as dump(2) writes it as the value of a top-level key: one
// object a file, its fields at indent 6. By hand, because a run over 20,000 small S3 objects spent
// ~0.1 s building and dumping their ~500,000 JSON values (5% of that run); the manifest test
// checks that the text is what dump(2) makes of it.
void AppendInputsText(const RunResult& r, std::string& out) {
  if (r.missing.empty() && r.graph.files.empty()) {
    out += "[]";
    return;
  }
  out += '[';
  bool first = true;
  const auto open_object = [&] {
    out += first ? "\n    {" : ",\n    {";
    first = false;
  };
  const auto key = [&](const char* name) {
    out += "\n      \"";
    out += name;
    out += "\": ";
  };
  const auto next_key = [&](const char* name) {
    out += ',';
    key(name);
  };
  // A directory or --files-from list that could not be read: the fields of an input that
  // yielded nothing, so every entry has the same keys, and `compression` null. Every shard of a
  // run lists these.
  for (const InputError& e : r.missing) {
    open_object();
    key("path");
    AppendJsonString(e.path, out);
    next_key("bytes");
    out += '0';
    next_key("data_bytes");
    out += '0';
    next_key("compression");
    out += "null";  // nothing was opened; also how merge tells these from files (merge.cc)
    next_key("header");
    out += "null";
    for (const char* name :
         {"lines", "records", "nodata", "skipdata", "filtered", "header_lines", "bad_lines"}) {
      next_key(name);
      out += '0';
    }
    next_key("bad_lines_by_reason");
    out += "{}";
    next_key("status");
    AppendJsonString(FileStatusName(StatusOfErrno(e.error)), out);
    next_key("error");
    AppendJsonString(InputErrorMessage(e), out);
    out += "\n    }";
  }
  for (const FileReport& f : r.graph.files) {
    open_object();
    key("path");
    AppendJsonString(f.outcome.path, out);
    next_key("bytes");
    AppendUint(f.outcome.disk_bytes, out);
    next_key("data_bytes");
    AppendUint(f.outcome.data_bytes, out);
    next_key("compression");
    AppendJsonString(CompressionName(f.outcome.compression), out);
    next_key("header");
    if (!f.outcome.header) {
      out += "null";
    } else if (f.outcome.header->size() == 0) {
      out += "[]";
    } else {
      out += '[';
      for (size_t i = 0; i < f.outcome.header->size(); ++i) {
        out += i == 0 ? "\n        " : ",\n        ";
        AppendJsonString(f.outcome.header->name(i), out);
      }
      out += "\n      ]";
    }
    for (const auto& [name, value] : {std::pair{"lines", f.lines},
                                      {"records", f.records},
                                      {"nodata", f.nodata},
                                      {"skipdata", f.skipdata},
                                      {"filtered", f.filtered},
                                      {"header_lines", f.header_lines},
                                      {"bad_lines", f.bad_lines}}) {
      next_key(name);
      AppendUint(value, out);
    }
    next_key("bad_lines_by_reason");
    bool any = false;
    for (size_t i = 0; i < kNumLineErrors; ++i) {
      if (f.bad_by_reason[i] == 0) continue;
      out += any ? ",\n        " : "{\n        ";
      any = true;
      AppendJsonString(LineErrorName(static_cast<LineError>(i)), out);
      out += ": ";
      AppendUint(f.bad_by_reason[i], out);
    }
    out += any ? "\n      }" : "{}";
    next_key("status");
    AppendJsonString(FileStatusName(f.outcome.status), out);
    next_key("error");
    // An empty input is no error (docs/outputs.md): its note is for stderr, its status says it.
    if (f.outcome.message.empty() || f.outcome.status == FileStatus::kEmpty) {
      out += "null";
    } else {
      AppendJsonString(f.outcome.message, out);
    }
    out += "\n    }";
  }
  out += "\n  ]";
}

ordered_json ManifestOf(const RunOptions& opt, const RunResult& r) {
  ordered_json m;
  m["tool"] = "flowsift";
  m["version"] = opt.version;
  m["format_version"] = kOutputFormatVersion;
  m["simd_target"] = opt.simd_target;
  m["heap_pages"] = opt.heap_pages;
  m["command_line"] = opt.options_text;
  m["options"] = {
      {"window", opt.window},
      {"threads", opt.threads},
      {"internal", opt.internal.ToString()},
      {"format", opt.format ? opt.format->HeaderLine() : Format::Default().HeaderLine()},
      // No bound is null, as for until: a 0 read as 1970-01-01 (docs/outputs.md).
      {"since", opt.since == 0 ? ordered_json() : ordered_json(opt.since)},
      {"until", opt.until == UINT64_MAX ? ordered_json() : ordered_json(opt.until)},
      {"shard", std::to_string(opt.shard_index) + "/" + std::to_string(opt.shard_count)},
      {"strict", opt.strict},
      {"mmap", opt.map_files}};
  m["detection"] = DetectOptionsJson(opt.detect);
  // A part of a distributed run: its state file is what `flowsift merge` reads.
  if (opt.partial) m["partial"] = {{"state_file", kStateFile}, {"format", kPartialFormatVersion}};
  uint64_t lines = 0, nodata = 0, skipdata = 0, filtered = 0, headers = 0;
  std::array<uint64_t, kNumLineErrors> by_reason{};
  for (const FileReport& f : r.graph.files) {
    for (size_t i = 0; i < kNumLineErrors; ++i) by_reason[i] += f.bad_by_reason[i];
    lines += f.lines, nodata += f.nodata, skipdata += f.skipdata, filtered += f.filtered;
    headers += f.header_lines;
  }
  // The inputs array is written as text (AppendInputsText) into this string's place by
  // ManifestText.
  m["inputs"] = kInputsPlaceholder;
  ordered_json reasons = ordered_json::object();
  for (size_t i = 0; i < kNumLineErrors; ++i) {
    if (by_reason[i] != 0)
      reasons[std::string(LineErrorName(static_cast<LineError>(i)))] = by_reason[i];
  }
  m["totals"] = {{"inputs", r.graph.files.size() + r.missing.size()},
                 {"failed_inputs", r.failures.size()},
                 {"bytes", r.input_bytes},
                 {"data_bytes", r.graph.data_bytes},
                 {"lines", lines},
                 {"records", r.graph.records},
                 {"nodata", nodata},
                 {"skipdata", skipdata},
                 {"filtered", filtered},
                 {"header_lines", headers},
                 {"bad_lines", r.bad_lines},
                 {"bad_lines_by_reason", reasons}};
  // Not in totals: merge adds those up from its parts, where these are the merged findings'.
  m["findings_allowed"] = r.findings_allowed;
  ordered_json samples = ordered_json::array();
  for (const BadLineSample& s : r.graph.samples) {
    samples.push_back({{"path", r.graph.files[s.file].outcome.path},
                       {"line", s.line},
                       {"offset", s.offset},
                       {"reason", LineErrorName(s.reason)},
                       {"text", s.text}});
  }
  m["bad_line_samples"] = samples;
  m["distinct_counts"] =
      "exact up to 2048 values per key, then HyperLogLog with 2^15 registers (standard error "
      "0.57%); distinct_dstport always exact";
  const StageTimes& t = r.graph.times;
  m["timings"] = {{"wall_s", r.wall_seconds},
                  {"graph_s", t.wall},
                  {"read_cpu_s", t.read},
                  {"parse_cpu_s", t.parse},
                  {"aggregate_cpu_s", t.aggregate},
                  {"detect_cpu_s", t.detect},
                  {"merge_s", t.merge},
                  {"output_s", r.output_seconds}};
  const double wall = r.wall_seconds > 0 ? r.wall_seconds : 1e-9;
  m["throughput"] = {{"records_per_s", static_cast<double>(r.graph.records) / wall},
                     {"data_gb_per_s", static_cast<double>(r.graph.data_bytes) / wall / 1e9},
                     {"input_gb_per_s", static_cast<double>(r.input_bytes) / wall / 1e9}};
  return m;
}

// The manifest `m` (ManifestOf) as m.dump(2) with invalid UTF-8 replaced, and a newline.
std::string ManifestText(const ordered_json& m, const RunResult& r) {
  const std::string dumped = m.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
  const std::string key = "\n  \"inputs\": ";
  const size_t key_at = dumped.find(key);
  std::string placeholder;
  AppendJsonString(kInputsPlaceholder, placeholder);
  const size_t at = key_at + key.size();
  std::string text;
  // ~600 bytes an input: one allocation for the whole manifest (13 MB for 20,000 inputs).
  text.reserve(dumped.size() + (r.missing.size() + r.graph.files.size()) * 640);
  text.append(dumped, 0, at);
  AppendInputsText(r, text);
  text.append(dumped, at + placeholder.size());
  return text;
}

}  // namespace

std::string NotARegularFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return {};
  return std::string("not a regular file") + (S_ISFIFO(st.st_mode)  ? " (a FIFO)"
                                              : S_ISDIR(st.st_mode) ? " (a directory)"
                                              : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)
                                                  ? " (a device)"
                                                  : "");
}

bool ReadTextFile(const std::string& path, std::string* out, std::string* error, size_t max_bytes) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  char buf[1 << 16];
  size_t n;
  const size_t had = out->size();
  while (out->size() - had <= max_bytes && (n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out->append(buf, n);
  }
  const bool ok = !std::ferror(f);
  const int saved = errno;
  std::fclose(f);
  if (!ok) *error = path + ": read error: " + std::strerror(saved);
  return ok;
}

bool WriteTextFile(const fs::path& path, const std::string& text, std::string* error) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) {
    *error = "cannot write " + path.string() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

namespace {

// The process's umask, without changing it: /proc/self/status says it (Linux 4.7 and later);
// elsewhere umask() is set and put back, which no other thread of a run does at that moment.
mode_t CurrentUmask() {
  if (std::FILE* f = std::fopen("/proc/self/status", "re")) {
    char line[256];
    unsigned mask = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f) != nullptr) {
      found = std::sscanf(line, "Umask: %o", &mask) == 1;
    }
    std::fclose(f);
    if (found) return static_cast<mode_t>(mask);
  }
  const mode_t mask = umask(022);
  umask(mask);
  return mask;
}

}  // namespace

namespace {

// Detection needs who talked to whom: a file whose format has no source address (srcaddr or
// pkt-srcaddr) or no destination address had its records counted in the tables and in no
// finding, and nothing said so. One note for all such files, naming the first.
void AddressNotes(const std::vector<FileReport>& files, const Format* given,
                  std::vector<std::string>* notes) {
  uint64_t n_files = 0, records = 0;
  std::string first, missing;
  for (const FileReport& f : files) {
    if (f.records == 0) continue;
    const Format& format = f.outcome.header   ? *f.outcome.header
                           : given != nullptr ? *given
                                              : Format::Default();
    const bool has_src = format.Has(Field::kSrcAddr) || format.Has(Field::kPktSrcAddr);
    const bool has_dst = format.Has(Field::kDstAddr) || format.Has(Field::kPktDstAddr);
    if (has_src && has_dst) continue;
    if (n_files++ == 0) {
      first = f.outcome.path;
      missing = !has_src && !has_dst ? "no source or destination address"
                : !has_src           ? "no source address (srcaddr or pkt-srcaddr)"
                                     : "no destination address (dstaddr or pkt-dstaddr)";
    }
    records += f.records;
  }
  if (n_files == 0) return;
  notes->push_back(first + ": its format has " + missing + ": detection reads none of its " +
                   (n_files == 1 ? std::to_string(records) + (records == 1 ? " record" : " records")
                                 : "records, nor those of " + std::to_string(n_files - 1) +
                                       (n_files == 2 ? " more such file (" : " more such files (") +
                                       std::to_string(records) + " records in all)") +
                   "; they are in the tables, in no finding");
}

}  // namespace

// This host's name as part of a file name ('/' and control bytes replaced), so that a run
// never takes another host's temporary on a shared file system for one of its own.
std::string HostForFileName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "host";
  std::string out(host);
  for (char& c : out) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  }
  return out.substr(0, 64);
}

namespace {

// The directory `dir` opened (a descriptor above the standard ones: with stdin closed, `run -
// <&-`, a lock took descriptor 0 and stdin read the directory), with an exclusive flock(2)
// tried on it; *locked, if given, says whether it was taken. -1 when it cannot be opened. A
// temporary's lock tells a later run that its run is alive (RemoveStaleTemporaries).
int LockDirectory(const fs::path& dir, bool* locked = nullptr) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && fd <= STDERR_FILENO) {
    const int above = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    close(fd);
    fd = above;
  }
  const bool taken = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;
  if (locked != nullptr) *locked = taken;
  return fd;
}

}  // namespace

int LockAbandonedTemporary(const fs::path& path, bool directory) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) ||
      st.st_mtime > time(nullptr) - 60) {
    return -1;
  }
  if (directory) {
    bool locked = false;
    const int fd = LockDirectory(path, &locked);
    if (fd >= 0 && !locked) close(fd);
    return locked ? fd : -1;
  }
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

namespace {

// A run killed by SIGKILL (the OOM killer, a job's time limit) or a crash leaves its
// temporary directory behind: every night another hidden copy of OUT. Each temporary holds an
// exclusive flock(2) on its directory while its run lives, which the kernel drops when the
// process ends however it ends; so a temporary of this host whose lock can be taken belongs to
// no live run, and is removed, whichever OUT it was for (a date in OUT's name changes every
// night). Left alone: one younger than a minute (its run may be between mkdtemp and flock);
// one holding anything but flowsift's own files; another host's (its locks may not reach this
// one); the unlabelled `.OUT.tmp-XXXXXX` of older versions, which held no lock.
void RemoveStaleTemporaries(const fs::path& parent, const std::string& suffix,
                            std::vector<std::string>* notes) {
  const auto ours = [](const fs::path& dir) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (!IsOwnOutputFile(it->path().filename().string()) || !it->is_regular_file() ||
          it->is_symlink()) {
        return false;
      }
    }
    return !ec;
  };
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path path = it->path();
    const std::string name = path.filename().string();
    // .OUT + suffix + six characters of mkdtemp's
    if (name.size() < 2 + suffix.size() + 6 || name[0] != '.' ||
        name.compare(name.size() - 6 - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const int fd = LockAbandonedTemporary(path, /*directory=*/true);
    if (fd < 0) continue;
    if (!ours(path)) {
      // A dead run's temporary with files flowsift does not write: most often an earlier OUT
      // swapped to the temporary's name by a replacement killed before it had moved the user's
      // files (a --stats-json file, notes) into the new OUT and deleted the rest. It was kept
      // without a word, those files hidden in it.
      if (notes != nullptr) {
        notes->push_back("kept " + path.string() +
                         ", left by a run that did not finish: it holds files flowsift does not "
                         "write (from an OUT it replaced?): move them out, then delete it");
      }
    } else {
      std::error_code rm;
      fs::remove_all(path, rm);
      if (notes != nullptr) {
        notes->push_back(rm ? "cannot remove " + path.string() +
                                  ", left by a run that did not finish: " + rm.message()
                            : "removed " + path.string() +
                                  ", the temporary output of a run that did not finish");
      }
    }
    close(fd);
  }
}

}  // namespace

bool MakeSiblingTempDir(const fs::path& out, fs::path* tmp, std::string* error,
                        std::vector<std::string>* notes) {
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(parent, ec);
  const std::string suffix = ".tmp-" + HostForFileName() + "-";
  RemoveStaleTemporaries(parent, suffix, notes);
  // OUT's name is cut to fit a name of 255 bytes: a long OUT that mkdir takes (240 bytes and
  // more) failed as "File name too long" for its temporary's. (Cut at a byte: the name is
  // only for finding it.)
  const std::string name = out.filename().string().substr(0, 255 - 1 - suffix.size() - 6);
  std::string tmpl = (parent / ("." + name + suffix + "XXXXXX")).string();
  // Created and registered under the registry's lock: an interrupt in between waits for it.
  auto registry = LockTemporaries();
  if (mkdtemp(tmpl.data()) == nullptr) {
    registry.unlock();
    // Why the parent could not be made, when it could not (no permission in a directory above
    // it), rather than mkdtemp's "No such file or directory" that follows from it.
    *error = "cannot create a directory next to " + out.string() + ": " +
             (ec ? "cannot create " + parent.string() + ": " + ec.message()
                 : std::string(std::strerror(errno)));
    return false;
  }
  *tmp = tmpl;
  // Held until the temporary is published or removed (DropTemporary closes it), or the process
  // ends. A file system without locks (some network mounts) gives none, and the temporary is
  // then never taken.
  // A test hook (tests/tools/cli_output_test.cc): FLOWSIFT_TEST_PAUSE_BEFORE_REGISTER=SECONDS
  // holds the run here, its temporary made and not yet registered, for a signal to come then (as
  // it holds export, gen and demo at their own temporaries).
  // At most a minute, and none for a negative value (cast, -1 had slept 136 years).
  PauseForTest("FLOWSIFT_TEST_PAUSE_BEFORE_REGISTER");
  AddTemporaryLocked(*tmp, LockDirectory(*tmp));  // removed if interrupted before published
  registry.unlock();
  // mkdtemp makes it 0700; OUT is for analysts and SIEM shippers, often other users: it gets
  // the mode mkdir would give it (0755 under the usual umask 022), as its files get 0644.
  if (chmod(tmp->c_str(), 0777 & ~CurrentUmask()) != 0) {
    *error = "cannot set the permissions of " + tmp->string() + ": " + std::strerror(errno);
    fs::remove(*tmp, ec);
    DropTemporary(*tmp);
    return false;
  }
  return true;
}

std::string WhyNotReplaceable(const fs::path& out) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(out, ec);
  if (!fs::exists(st)) return {};
  if (!fs::is_directory(st)) {
    return out.string() + " is " + (fs::is_symlink(st) ? "a symbolic link" : "a file") +
           ", not an output directory; --force replaces only an earlier output (with its "
           "manifest.json): choose another -o";
  }
  if (fs::is_empty(out, ec)) return {};
  // A manifest.json of another tool (an S3 inventory's, a package's) is not an output, and
  // --force would have deleted that directory's files.
  if (!IsFlowsiftOutput(out.string())) {
    return out.string() +
           " holds no manifest.json of flowsift: it is not an earlier output, and --force "
           "replaces only those (it would delete what is there): choose another -o";
  }
  return {};
}

bool IsOwnOutputFile(std::string_view name) {
  return name == kManifestFile || name == kWindowsFile || name == kTalkersFile ||
         name == kExposureFile || name == kFindingsFile || name == kStateFile;
}

namespace {

// Removes an earlier output's directory (flowsift's own files only: the caller has moved the
// rest out) with its manifest.json last: cut short, what is left is never a directory of
// tables without the manifest that marks it an output (which a run over its parent would
// read as logs, and --force would not replace).
void RemoveOutputDir(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename() != kManifestFile) files.push_back(e.path());
  }
  for (const fs::path& f : files) fs::remove_all(f, ec);
  fs::remove(dir / kManifestFile, ec);
  fs::remove(dir, ec);
}

// Moves what flowsift did not write from the earlier output `old` into the new `out`: a
// --stats-json file or an export put in OUT, logs copied there. False when something could not
// be moved (a name the new OUT has too, which is never replaced).
bool MoveOthers(const fs::path& old, const fs::path& out) {
  std::error_code ec;
  std::vector<fs::path> others;
  for (const fs::directory_entry& e : fs::directory_iterator(old, ec)) {
    if (!IsOwnOutputFile(e.path().filename().string())) others.push_back(e.path().filename());
  }
  bool moved_all = !ec;
  for (const fs::path& name : others) {
    std::error_code move_ec;
    if (fs::exists(fs::symlink_status(out / name, move_ec))) {
      moved_all = false;
      continue;
    }
    fs::rename(old / name, out / name, move_ec);
    if (move_ec) moved_all = false;
  }
  return moved_all;
}

}  // namespace

std::string FailedOutputText(const fs::path& tmp, const fs::path& out, std::string error) {
  const std::string in_tmp = tmp.string() + "/";
  for (size_t at; (at = error.find(in_tmp)) != std::string::npos;) {
    error.replace(at, in_tmp.size(), out.string() + "/");
  }
  std::error_code ec;
  return error + (fs::exists(fs::symlink_status(out, ec))
                      ? " (" + out.string() + " is kept as it was)"
                      : " (nothing was written)");
}

bool PublishOutput(const fs::path& tmp, const fs::path& out, bool force, std::string* error) {
  std::error_code ec;
  // An interrupt waits for the renames: OUT is then the old one or the new one, never missing.
  std::unique_lock<std::mutex> lock = LockTemporaries();
  const bool replacing = fs::exists(fs::symlink_status(out, ec));
  if (replacing) {
    if (!force) {
      *error = out.string() + " exists; use --force to replace it";
      return false;
    }
    if (std::string why = WhyNotReplaceable(out); !why.empty()) {
      *error = std::move(why);
      return false;
    }
  }
  fs::path old;  // where the earlier output is once the new one is in place
  // The earlier output's own lock (below), released however this returns.
  struct Descriptor {
    int fd = -1;
    ~Descriptor() {
      if (fd >= 0) close(fd);
    }
  } old_lock;
  // Where the earlier output goes when it cannot be swapped, or keeps a file it cannot move.
  const fs::path aside = out.string() + ".old-" + std::to_string(getpid());
  if (!replacing) {
    fs::rename(tmp, out, ec);
    if (ec) {
      *error = "cannot rename " + tmp.string() + " to " + out.string() + ": " + ec.message();
      return false;
    }
  } else {
    // The two directories swap names in one step (RENAME_EXCHANGE): OUT is the old output or
    // the new one at every instant, for a reader, a SIGKILL or another run replacing it at the
    // same time (two renames left no OUT between them, and an OUT.old-PID for ever). The old
    // one is then at the temporary's hidden name, locked against RemoveStaleTemporaries
    // while its other files move out.
    old_lock.fd = LockDirectory(out);
    if (renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) == 0) {
      old = tmp;
    } else if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) {
      // A file system without exchange: aside, then in (OUT is missing in between).
      old = aside;
      fs::rename(out, old, ec);
      if (!ec) {
        fs::rename(tmp, out, ec);
        if (ec) {
          std::error_code back;
          fs::rename(old, out, back);
        }
      }
      if (ec) {
        *error = "cannot replace " + out.string() + ": " + ec.message();
        return false;
      }
    } else {
      *error =
          "cannot replace " + out.string() + " with " + tmp.string() + ": " + std::strerror(errno);
      return false;
    }
  }
  // Published, and (after an exchange) the old output at its name: an interrupt from here on
  // must not delete it, its other files not yet moved, nor end the command, whose exit status
  // must then say what OUT holds (MarkOutputPublishedLocked).
  DropTemporaryLocked(tmp);
  MarkOutputPublishedLocked();
  lock.unlock();
  if (old.empty()) return true;
  // The earlier output's other files go into the new OUT, then it is deleted. Interrupted
  // while they move, or when one cannot move (the new OUT has its name), they stay in the old
  // directory, never deleted: named OUT.old-PID when that happens, so that they are found.
  if (MoveOthers(old, out)) {
    AddTemporary(old);  // memory run out meanwhile finishes the deletion (ExitOutOfMemory)
    RemoveOutputDir(old);
    DropTemporary(old);
  } else if (old == tmp) {
    fs::rename(old, aside, ec);
  }
  return true;
}

bool WriteFindings(const std::string& path, const std::vector<Finding>& findings,
                   std::string* error) {
  ZstdFileWriter out;
  if (!out.Open(path, error)) return false;
  std::string line;
  for (const Finding& f : findings) {
    line = FindingJson(f);
    line += '\n';
    out.Write(line);
  }
  return out.Close(error);
}

InterfaceLives LivesOf(const WindowRows& rows) {
  InterfaceLives lives;
  for (size_t i = 0, end = 0; i < rows.size(); i = end) {
    const std::string& name = rows.name(i);
    for (end = i + 1; end < rows.size() && rows.name(end) == name;) ++end;
    // Whole hours, which every --window divides: the findings do not depend on --window.
    constexpr uint64_t kHour = 3600;
    const uint64_t last = WindowOf(rows.start(end - 1), kHour);
    lives.emplace_hint(lives.end(), name,
                       TimeSpan{WindowOf(rows.start(i), kHour),
                                last > UINT64_MAX - kHour ? UINT64_MAX : last + kHour});
  }
  return lives;
}

bool WriteTables(
    const fs::path& dir, const Aggregator& agg,
    const std::function<const std::vector<Finding>&(WindowRows&)>& windows_and_findings,
    std::string* error) {
  // Each task keeps its own message; the first failure in file order is reported.
  std::string errors[3];
  bool ok[3] = {false, false, false};
  const auto path = [&](std::string_view name) { return (dir / name).string(); };
  const auto windows_task = [&] {
    WindowRows windows;
    const std::vector<Finding>& findings = windows_and_findings(windows);
    ok[0] = WriteWindows(path(kWindowsFile), windows, &errors[0]) &&
            WriteFindings(path(kFindingsFile), findings, &errors[0]);
  };
  const auto talkers_task = [&] {
    ok[1] = WriteTalkers(path(kTalkersFile), agg.Talkers(), &errors[1]);
  };
  const auto exposure_task = [&] {
    ok[2] = WriteExposure(path(kExposureFile), agg.ExposureInOrder(), &errors[2]);
  };
  if (tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) <= 1) {
    // In order, so that windows_and_findings frees the detector before any rows are built
    // (one thread would otherwise take the tasks in any order).
    windows_task();
    talkers_task();
    exposure_task();
  } else {
    tbb::parallel_invoke(windows_task, talkers_task, exposure_task);
  }
  for (int k = 0; k < 3; ++k) {
    if (!ok[k]) {
      *error = errors[k];
      return false;
    }
  }
  return true;
}

ordered_json TableFrames(const fs::path& dir) {
  ordered_json tables = ordered_json::object();
  for (const std::string_view file : {kWindowsFile, kFindingsFile, kTalkersFile, kExposureFile}) {
    uint64_t frames = 0;
    std::string error;
    if (CountZstdFrames((dir / file).string(), &frames, &error)) {
      tables[std::string(file)] = {{"frames", frames}};
    }
  }
  return tables;
}

std::vector<InputFile> SelectShard(std::vector<InputFile> files, uint32_t index, uint32_t count) {
  if (count <= 1) return files;
  std::vector<InputFile> mine;
  for (size_t i = 0; i < files.size(); ++i) {
    if (i % count == index) mine.push_back(std::move(files[i]));
  }
  return mine;
}

RunResult Run(const RunOptions& opt, Progress* progress) {
  const auto start = std::chrono::steady_clock::now();
  RunResult r;
  const fs::path out = opt.out_dir;
  std::error_code ec;
  if (fs::exists(out, ec) && !opt.force) {
    r.exit_code = 3;
    r.error = out.string() + " exists; use --force to replace it";
    return r;
  }
  if (std::string why = WhyNotReplaceable(out); !why.empty()) {
    r.exit_code = 2;
    r.error = std::move(why);
    return r;
  }

  DiscoverOptions discover;
  discover.inputs = opt.inputs;
  discover.files_from = opt.files_from;
  Discovery found = DiscoverInputs(discover);
  // A named path (INPUT or a --files-from line) that cannot be looked at is one file of the
  // list, read (and failed) by the shard of its place. The other shards report it too, as an
  // input that could not be listed (merge lists it once, in its place): a directory of inputs
  // missing on one worker alone (a volume not mounted there, a typo in one job) was another
  // shard's file on that worker, whose shards then read nothing and exited 0, their files
  // silently absent from the merge.
  if (opt.shard_count > 1) {
    for (size_t i = 0; i < found.files.size(); ++i) {
      const InputFile& f = found.files[i];
      if (i % opt.shard_count != opt.shard_index && f.stat_error != 0) {
        found.errors.push_back(
            {f.path, std::string("cannot open: ") + std::strerror(f.stat_error), f.stat_error});
      }
    }
  }
  r.missing = std::move(found.errors);
  if (opt.partial) {
    // FNV-1a over the absolute paths, each ended by a NUL: the run's identity for merge (a
    // part's alone: nothing else reads it).
    std::error_code cwd_error;
    const fs::path cwd = fs::current_path(cwd_error);
    uint64_t h = kFnvOffset;
    for (const InputFile& f : found.files) {
      const fs::path p(f.path);
      const std::string abs =
          (p.is_absolute() || cwd_error ? p : cwd / p).lexically_normal().string();
      h = Fnv1a(h, std::string_view(abs.c_str(), abs.size() + 1));  // its NUL too
    }
    r.listed_files = found.files.size();
    r.listed_files_hash = h;
  }
  r.files = SelectShard(std::move(found.files), opt.shard_index, opt.shard_count);
  for (const InputError& e : r.missing) r.failures.push_back(InputErrorMessage(e));
  for (const std::string& dir : found.skipped_outputs) {
    r.notes.push_back(dir + ": skipped: an output of flowsift (its manifest.json), not flow logs");
  }
  if (progress != nullptr) {
    // Unknown (0) when an input's size is: stdin, a FIFO (`<(zcat ...)`). The files' sizes
    // alone were the total of a run of `-` and a file, "314.7 MB of 11.6 KB (100%)" at once.
    uint64_t total = 0;
    bool known = true;
    for (const InputFile& f : r.files) {
      if (f.path == "-") {
        known = false;
        continue;
      }
      const fs::file_status st = fs::status(f.path, ec);
      if (fs::is_regular_file(st)) {
        const uint64_t size = fs::file_size(f.path, ec);
        if (!ec) total += size;
      } else if (fs::exists(st) && !fs::is_directory(st)) {
        known = false;  // read to its end; one missing fails with no byte read
      }
    }
    progress->bytes_total = known ? total : 0;
    progress->files_total = r.files.size();
  }

  // Everything goes to a sibling directory first (same filesystem, so the rename is atomic).
  fs::path tmp;
  if (!MakeSiblingTempDir(out, &tmp, &r.error, &r.notes)) {
    r.exit_code = 3;
    return r;
  }

  GraphOptions g;
  g.threads = opt.threads;
  g.chunk_bytes = opt.chunk_bytes;
  g.format = opt.format;
  g.aggregate.window = opt.window;
  g.aggregate.internal = opt.internal;
  g.detect = opt.detect;
  g.detect.internal = opt.internal;
  g.since = opt.since;
  g.until = opt.until;
  g.map_files = opt.map_files;
  // -j bounds every parallel part of the run: the graph and the output tables.
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            std::max(1u, opt.threads));
  r.graph = RunGraph(r.files, g, progress);
  if (progress != nullptr) progress->writing = true;
  for (const FileReport& f : r.graph.files) {
    r.input_bytes += f.outcome.disk_bytes;
    r.bad_lines += f.bad_lines;
    r.filtered += f.filtered;
    r.first_start = std::min(r.first_start, f.first_start);
    r.last_start = std::max(r.last_start, f.last_start);
    if (IsFailure(f.outcome.status)) r.failures.push_back(f.outcome.message);
  }

  if (opt.detect.enabled) AddressNotes(r.graph.files, opt.format.get(), &r.notes);

  // First-seen orders as one run over all shards' inputs would number them (no-op unsharded).
  r.graph.aggregate.RenumberFiles(opt.shard_index, opt.shard_count);
  std::string error;
  const Aggregator& agg = r.graph.aggregate;
  const auto output_start = std::chrono::steady_clock::now();
  const bool written = WriteTables(
      tmp, agg,
      [&](WindowRows& windows) -> const std::vector<Finding>& {
        windows = agg.WindowsInOrder();
        const InterfaceLives lives = LivesOf(windows);
        r.findings = r.graph.detect.Findings(&lives, &r.findings_allowed);
        // The detector's state is done with (unless the partial file needs it): freed while
        // the exposure rows are built, which on an internet-wide scan are millions too.
        if (!opt.partial) {
          r.graph.detect = Detector(opt.detect);
        } else {
          r.graph.detect.Consolidate();  // the partial state file holds one
        }
        return r.findings;
      },
      &error);
  r.output_seconds = SecondsSince(output_start);
  r.wall_seconds = SecondsSince(start);
  // Bad-line samples may hold invalid UTF-8: written as U+FFFD, never an exception.
  ordered_json manifest = ManifestOf(opt, r);
  if (written) manifest["tables"] = TableFrames(tmp);
  r.manifest_json = ManifestText(manifest, r);
  r.stats_json =
      ordered_json{{"simd_target", opt.simd_target}, {"heap_pages", opt.heap_pages},
                   {"threads", opt.threads},         {"totals", manifest["totals"]},
                   {"timings", manifest["timings"]}, {"throughput", manifest["throughput"]}}
          .dump(2);
  // Not one input could be read (all missing, unreadable or corrupt before their first line; a
  // directory without logs): an existing OUT is kept, as merge keeps it when no part can be
  // read, instead of being replaced by an empty summary of the failures. A new OUT is written:
  // its manifest says what failed. A part (--partial) is always written: a kept one would be an
  // earlier run's, which merge would then combine as this run's, its failures unsaid. An input
  // truncated or corrupt after some of its lines counts as read: those lines are summarised, as
  // beside other inputs (a nightly job's one object cut short had kept yesterday's OUT, with
  // "none of the inputs could be read" though thousands of records were).
  bool read_any = false;
  for (const FileReport& f : r.graph.files) {
    // records counts NODATA and SKIPDATA records too.
    read_any |= !IsFailure(f.outcome.status) || f.records + f.filtered + f.bad_lines > 0;
  }
  if (!opt.partial && !read_any && !r.failures.empty() && fs::exists(fs::symlink_status(out, ec))) {
    RemoveTemporary(tmp);
    r.exit_code = 1;
    r.error = "none of the inputs could be read: " + out.string() + " is kept as it was";
    return r;
  }
  if (!written || !WriteTextFile(tmp / "manifest.json", r.manifest_json, &error) ||
      (opt.partial && !WritePartialState((tmp / kStateFile).string(), opt, r, &error)) ||
      !PublishOutput(tmp, out, opt.force, &error)) {
    RemoveTemporary(tmp);
    r.exit_code = 3;
    r.error = FailedOutputText(tmp, out, error);
    return r;
  }
  // Records read and none kept by --since/--until (another year's date, a local time taken
  // for UTC) is exit 1, as a directory without logs is (docs/input.md): a nightly job must
  // not pass it as a quiet day.
  r.nothing_kept = r.graph.records == 0 && r.filtered > 0;
  r.exit_code = (!r.failures.empty() || (opt.strict && r.bad_lines > 0) || r.nothing_kept) ? 1 : 0;
  return r;
}

}  // namespace flowsift
