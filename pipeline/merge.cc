#include "pipeline/merge.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "pipeline/export.h"
#include "pipeline/graph.h"
#include "pipeline/merge_coverage.h"
#include "pipeline/networks.h"
#include "pipeline/parse_chunk.h"
#include "pipeline/serial.h"
#include "pipeline/summary.h"
#include "pipeline/tables.h"
#include "pipeline/temporaries.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// A manifest entry of what could not be listed: a directory or --files-from list that could not
// be read (`compression` null), or in parts written before such entries had every key, any
// path that could not be looked at (no `bytes`). Every shard of a run lists these.
bool CouldNotBeListed(const ordered_json& in) {
  return !in.contains("bytes") || (in.contains("compression") && in["compression"].is_null());
}

// The run options that change what a record contributes: parts must agree on all of them
// (window and networks are in the header).
ordered_json MustMatch(const RunOptions& opt) {
  return {{"since", opt.since},
          {"until", opt.until == UINT64_MAX ? ordered_json() : ordered_json(opt.until)},
          {"format", opt.format ? opt.format->HeaderLine() : Format::Default().HeaderLine()},
          {"detection", DetectConfigText(opt.detect)}};
}

// A part's detection options as this version prints them (DetectConfigText), so that parts are
// compared by their options: a part made before a key existed (the allowlists) has no line of
// it, where a newer one has its default. As written when they do not parse (the first part is
// then refused as corrupt; another, as different).
ordered_json DetectionText(const ordered_json& run) {
  const ordered_json text = run.value("detection", ordered_json());
  DetectOptions d;
  std::string error;
  if (!text.is_string() || !ParseDetectConfig(text.get<std::string>(), &d, &error)) return text;
  return DetectConfigText(d);
}

// One merged part as the manifest tells it.
struct PartInfo {
  std::string path;
  uint32_t shard_index = 0, shard_count = 1;
  ordered_json manifest;
  std::string cwd;  // where its run ran ("" when the part does not say)
  // Its run's list of inputs before sharding ("count:hash"; "" from a part made before
  // flowsift saved it): the parts of one run share it.
  std::string run_list;
};

// An input's path as one file's name over all parts: absolute by the directory its part ran
// in, normalised (./data/a.log, data/a.log and /home/u/data/a.log are one file).
std::string AbsoluteInput(const std::string& input, const std::string& cwd) {
  fs::path key(input);
  if (key.is_relative() && !cwd.empty()) key = fs::path(cwd) / key;
  return key.lexically_normal().string();
}

// Statuses of manifest inputs that are not failures (reader.h IsFailure).
bool IsFailedStatus(const ordered_json& status) {
  return status.is_string() && status != "ok" && status != "empty";
}

// obj[key] by reference (value() copies), or an empty array / object when absent: pointers
// into a part's manifest stay valid.
const ordered_json& Member(const ordered_json& obj, const char* key, bool array = true) {
  static const ordered_json kArray = ordered_json::array(), kObject = ordered_json::object();
  if (obj.is_object()) {
    const auto it = obj.find(key);
    if (it != obj.end()) return *it;
  }
  return array ? kArray : kObject;
}

uint64_t U64Of(const ordered_json& v) { return v.is_number_unsigned() ? v.get<uint64_t>() : 0; }

// A part's --internal list as a set (NetworkSet::Canonical), or as written if it does not parse
// (the part is then refused when it is loaded).
std::string CanonicalNetworks(const std::string& list) {
  std::string error;
  const std::optional<NetworkSet> set = NetworkSet::Parse(list, &error);
  return set ? set->Canonical() : list;
}

// Where a bad-line reason comes in a run's manifest (its LineError order), as a key to sort
// the merged reasons and samples in the same order; a name this version does not know (a part
// of a newer one) after all known ones, by name.
std::pair<size_t, std::string> ReasonRank(const std::string& name) {
  for (size_t i = 0; i < kNumLineErrors; ++i) {
    if (LineErrorName(static_cast<LineError>(i)) == name) return {i, std::string()};
  }
  return {kNumLineErrors, name};
}

// The merged manifest: the inputs of all parts in the order one run would list them (inputs
// that could not be listed first, once each; then the files by their index in the whole
// sorted input list), totals summed, bad-line samples re-ranked, the parts themselves.
ordered_json MergedManifest(const MergeOptions& opt, const std::vector<PartInfo>& parts,
                            const std::vector<std::pair<std::string, std::string>>& failures,
                            const MergeResult& r) {
  const ordered_json& first = parts.empty() ? ordered_json::object() : parts[0].manifest;
  ordered_json m;
  m["tool"] = "flowsift";
  m["version"] = opt.version;
  m["format_version"] = kOutputFormatVersion;
  // What each part may have had its own way without a merged byte changing (merge refuses parts
  // that differ in anything else), said alike whatever the parts' order: they were the first
  // part's. The SIMD targets of parts made on different machines, sorted, comma-separated;
  // --internal as every part spelled it, else as the one set their spellings are; mmap true
  // when every part mapped its files.
  std::set<std::string> targets;
  bool internal_differs = false, all_mapped = true;
  const ordered_json& first_options = Member(first, "options", false);
  for (const PartInfo& p : parts) {
    if (std::string t = p.manifest.value("simd_target", ""); !t.empty()) targets.insert(t);
    const ordered_json& o = Member(p.manifest, "options", false);
    internal_differs |=
        o.value("internal", ordered_json()) != first_options.value("internal", ordered_json());
    all_mapped &= o.value("mmap", ordered_json()) == true;
  }
  std::string simd_target;
  for (const std::string& t : targets) simd_target += (simd_target.empty() ? "" : ",") + t;
  m["simd_target"] = simd_target;
  m["command_line"] = opt.options_text;
  ordered_json options = first.value("options", ordered_json::object());
  options.erase("threads");
  options["shard"] = nullptr;
  if (internal_differs && options.contains("internal") && options["internal"].is_string()) {
    options["internal"] = CanonicalNetworks(options["internal"].get<std::string>());
  }
  if (options.contains("mmap")) options["mmap"] = all_mapped;
  // No --since is null; a part of an earlier version wrote 0.
  if (options.contains("since") && options["since"] == 0) options["since"] = nullptr;
  m["options"] = options;
  if (first.contains("detection")) m["detection"] = first["detection"];

  ordered_json missing = ordered_json::array();
  std::set<std::string> missing_paths;
  // (index in the whole input list, path, absolute path, entry, part); the path breaks ties between
  // parts of separate runs, whose indices all start at 0, and the absolute path those of runs
  // in other directories that name their inputs alike (each night's `run logs/a.log`), whose
  // order had followed the parts' order.
  std::vector<std::tuple<uint64_t, std::string, std::string, const ordered_json*, size_t>> files;
  for (size_t part = 0; part < parts.size(); ++part) {
    const PartInfo& p = parts[part];
    uint64_t j = 0;
    for (const ordered_json& in : Member(p.manifest, "inputs")) {
      if (!in.is_object()) continue;
      const std::string path = in.value("path", "");
      if (CouldNotBeListed(in)) {  // every shard of a run lists it
        if (missing_paths.insert(path).second) missing.push_back(in);
        continue;
      }
      const uint64_t index = j++ * p.shard_count + p.shard_index;
      files.emplace_back(index, path, AbsoluteInput(path, p.cwd), &in, part);
    }
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b));
  });
  // A named path that could not be looked at is a file of the shard of its place and could not
  // be listed in the other shards (pipeline/run.cc): listed once, as that file.
  std::set<std::string> file_paths;
  for (const auto& f : files) file_paths.insert(std::get<1>(f));
  ordered_json inputs = ordered_json::array();
  for (const ordered_json& in : missing) {
    if (file_paths.count(in.value("path", "")) == 0) inputs.push_back(in);
  }
  // Each part's file by its place in the merged list, which orders the bad-line samples: by
  // the index alone, files of separate runs at one index (each night's first) had their
  // samples interleaved by line number, and the first 20 kept were not the first files'.
  std::map<std::pair<size_t, std::string>, uint64_t> place_of;
  for (const auto& f : files) {
    place_of.emplace(std::pair(std::get<4>(f), std::get<1>(f)), inputs.size());
    inputs.push_back(*std::get<3>(f));
  }
  m["inputs"] = inputs;

  ordered_json totals = ordered_json::object();
  std::map<std::pair<size_t, std::string>, std::pair<std::string, uint64_t>> by_reason;
  for (const PartInfo& p : parts) {
    for (const auto& [key, value] : Member(p.manifest, "totals", false).items()) {
      if (key == "bad_lines_by_reason") {
        if (!value.is_object()) continue;
        for (const auto& [reason, n] : value.items()) {
          auto& [name, count] = by_reason[ReasonRank(reason)];
          name = reason;
          count += U64Of(n);
        }
      } else if (value.is_number_unsigned()) {
        totals[key] = U64Of(totals.value(key, ordered_json(0))) + U64Of(value);
      }
    }
  }
  ordered_json reasons = ordered_json::object();  // in a run's order
  for (const auto& [rank, entry] : by_reason) reasons[entry.first] = entry.second;
  uint64_t failed = 0;
  for (const ordered_json& in : inputs) failed += IsFailedStatus(in.value("status", ""));
  totals["inputs"] = inputs.size();
  totals["failed_inputs"] = failed;
  totals["bad_lines_by_reason"] = reasons;
  m["totals"] = totals;
  // The merged findings' own (the allowlists apply as the findings are made), not the parts'.
  m["findings_allowed"] = r.findings_allowed;

  // The first kSamplesPerReason per reason in input order, as one run keeps them (and in its
  // order: by reason as the run ranks them, then input order).
  std::vector<std::tuple<std::pair<size_t, std::string>, uint64_t, uint64_t, const ordered_json*>>
      samples;
  for (size_t part = 0; part < parts.size(); ++part) {
    for (const ordered_json& s : Member(parts[part].manifest, "bad_line_samples")) {
      if (!s.is_object()) continue;
      const auto it = place_of.find(std::pair(part, s.value("path", "")));
      samples.emplace_back(ReasonRank(s.value("reason", "")), it == place_of.end() ? 0 : it->second,
                           s.value("line", uint64_t{0}), &s);
    }
  }
  std::sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b));
  });
  ordered_json kept = ordered_json::array();
  std::map<std::pair<size_t, std::string>, size_t> per_reason;
  for (const auto& s : samples) {
    if (per_reason[std::get<0>(s)]++ < kSamplesPerReason) kept.push_back(*std::get<3>(s));
  }
  m["bad_line_samples"] = kept;
  if (first.contains("distinct_counts")) m["distinct_counts"] = first["distinct_counts"];

  ordered_json merged = ordered_json::array();
  for (const PartInfo& p : parts) {
    merged.push_back(
        {{"path", p.path},
         {"shard", std::to_string(p.shard_index) + "/" + std::to_string(p.shard_count)},
         {"records", U64Of(Member(Member(p.manifest, "totals", false), "records"))},
         {"status", "ok"},
         {"error", nullptr}});
  }
  for (const auto& [path, error] : failures) {
    merged.push_back({{"path", path}, {"status", "failed"}, {"error", error}});
  }
  m["merged_from"] = merged;
  m["timings"] = {{"wall_s", r.wall_seconds},
                  {"read_s", r.read_seconds},
                  {"merge_s", r.merge_seconds},
                  {"write_s", r.write_seconds}};
  return m;
}

// A part's (or a merge's) manifest.json as JSON: a value that is no object when the file is
// missing, no regular file (a FIFO is never opened), unreadable or damaged.
nlohmann::json ReadManifestJson(const std::string& path) {
  std::string text;
  std::string ignored;
  if (!NotARegularFile(path).empty() || !ReadTextFile(path, &text, &ignored)) return {};
  return nlohmann::json::parse(text, nullptr, false);
}

// The shard of the part whose state file is `state_path`, from the manifest.json beside it;
// none for a state file of another name (collected on its own) or a manifest that says none.
std::optional<FailedShard> ShardOfFailedPart(const std::string& state_path) {
  const fs::path state(state_path);
  if (state.filename().string() != kStateFile) return std::nullopt;
  const fs::path dir = state.has_parent_path() ? state.parent_path() : fs::path(".");
  const nlohmann::json manifest = ReadManifestJson((dir / kManifestFile).string());
  if (!manifest.is_object() || !manifest.contains("options")) return std::nullopt;
  const nlohmann::json& options = manifest["options"];
  if (!options.is_object() || !options.contains("shard") || !options["shard"].is_string()) {
    return std::nullopt;
  }
  const std::string& text = options["shard"].get_ref<const std::string&>();
  unsigned index = 0, count = 0;
  char end = 0;
  if (std::sscanf(text.c_str(), "%u/%u%c", &index, &count, &end) != 2 || index >= count ||
      count > kMaxShards) {
    return std::nullopt;
  }
  return FailedShard{dir.string(), index, count};
}

// Why the state file at `state_path` is not the state of the part it is in: empty when it is
// (or cannot be told). A run writes its manifest twice, as manifest.json and in the state's run
// section, from one text; a state copied from another part (night a's into night b's
// directory) holds the other's. Compared only for a file named state.bin.zst with a
// manifest.json beside it that reads as JSON: a state file collected on its own, or one beside
// a damaged manifest, is judged by itself, as before.
std::string NotThePartsOwnState(const std::string& state_path, const ordered_json& held) {
  const fs::path state(state_path);
  if (state.filename().string() != kStateFile) return {};
  const std::string manifest_path = (state.parent_path() / kManifestFile).string();
  // As unordered objects: the same values are the same manifest whatever the keys' order.
  const nlohmann::json own = ReadManifestJson(manifest_path);
  if (!own.is_object()) return {};
  const nlohmann::json other = nlohmann::json::parse(
      held.dump(-1, ' ', false, ordered_json::error_handler_t::replace), nullptr, false);
  if (own == other) return {};
  // Named by the inputs when they differ (what tells parts apart), else the first key that does.
  std::string key = "inputs";
  if (own.value("inputs", nlohmann::json()) == other.value("inputs", nlohmann::json())) {
    for (const auto& item : held.items()) {
      if (!own.contains(item.key()) || own[item.key()] != other[item.key()]) {
        key = item.key();
        break;
      }
    }
    if (key == "inputs") {  // a key only manifest.json has
      for (const auto& item : own.items()) {
        if (!other.contains(item.key())) key = item.key();
      }
    }
  }
  return state_path + ": not this part's state: the manifest it holds is not " + manifest_path +
         " (its " + key + " differ" + (key == "inputs" ? "" : "s") +
         "; copied from another part?): put that part's own " + std::string(kStateFile) +
         " back, or run the part again, and merge again";
}

}  // namespace

bool WritePartialState(const std::string& path, const RunOptions& opt, const RunResult& r,
                       std::string* error) {
  PartialHeader h;
  h.output_format_version = kOutputFormatVersion;
  h.window = opt.window;
  h.internal = opt.internal.ToString();
  PartialBuilder b(h);
  ordered_json run = MustMatch(opt);
  run["tool_version"] = opt.version;
  run["shard"] = {opt.shard_index, opt.shard_count};
  // The list its shard was taken from: merge checks coverage per list, so that another run's
  // shard I/N does not stand in for this run's missing one.
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(r.listed_files_hash));
  run["listed_files"] = {{"count", r.listed_files}, {"hash", hash}};
  // The directory relative input paths are relative to: merge compares inputs by their
  // absolute paths (`run data/` and `run $PWD/data` are the same files).
  std::error_code cwd_error;
  const fs::path cwd = fs::current_path(cwd_error);
  if (!cwd_error) run["cwd"] = cwd.string();
  run["manifest"] = ordered_json::parse(r.manifest_json, nullptr, false);
  b.AddSection(static_cast<uint32_t>(PartialSection::kRun),
               run.dump(-1, ' ', false, ordered_json::error_handler_t::replace));
  std::string state;
  ByteWriter w(state);
  r.graph.aggregate.Save(w);
  b.AddSection(static_cast<uint32_t>(PartialSection::kAggregate), state);
  state.clear();
  r.graph.detect.Save(w);
  b.AddSection(static_cast<uint32_t>(PartialSection::kDetection), state);
  state.clear();
  state.shrink_to_fit();
  return b.Write(path, opt.threads, error);
}

// The first `key = value` line (comments dropped) in which two detection option texts (the
// --config form a part records) differ, as the two lines, e.g. "detection.enabled = false" and
// "detection.enabled = true"; a key one of them lacks is "(none)".
std::pair<std::string, std::string> FirstDifferingSetting(const ordered_json& a,
                                                          const ordered_json& b) {
  const auto settings = [](const ordered_json& text) {
    std::map<std::string, std::string> m;
    if (!text.is_string()) return m;
    std::istringstream in(text.get<std::string>());
    for (std::string line; std::getline(in, line);) {
      line = line.substr(0, line.find('#'));
      const size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      const auto trim = [](std::string t) {
        t.erase(0, t.find_first_not_of(" \t"));
        t.erase(t.find_last_not_of(" \t") + 1);
        return t;
      };
      m[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
    return m;
  };
  const std::map<std::string, std::string> x = settings(a), y = settings(b);
  std::set<std::string> keys;
  for (const auto& [k, v] : x) keys.insert(k);
  for (const auto& [k, v] : y) keys.insert(k);
  for (const std::string& k : keys) {
    const auto i = x.find(k), j = y.find(k);
    const std::string u = i == x.end() ? "(none)" : i->second;
    const std::string v = j == y.end() ? "(none)" : j->second;
    if (u != v) return {k + " = " + u, k + " = " + v};
  }
  return {"(other options)", "(other options)"};
}

MergeResult MergeParts(const MergeOptions& opt) {
  const Clock::time_point wall = Clock::now();
  MergeResult r;
  const fs::path out = opt.out_dir;
  std::error_code ec;
  if (opt.parts.empty()) {
    r.exit_code = 2;
    r.error = "no parts to merge";
    return r;
  }
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

  std::vector<PartInfo> parts;
  std::optional<Aggregator> merged;
  std::optional<AggregateOptions> aggregate;  // of the first readable part
  DetectOptions detect_options;               // of the first readable part
  std::optional<Detector> detect;
  PartialHeader header;
  ordered_json must_match;
  std::string first_path;
  struct Reader {
    std::string path;
    uint32_t shard_index, shard_count;
    ordered_json bytes;  // the input's size as the part read it (null when it does not say)
  };
  std::map<std::string, Reader> input_part;  // input path -> the part that read it
  // Each interface's account as the merged manifest's input order would see it first: by
  // (file index, the file's path and absolute path, chunk and row, account). The parts' own
  // first-seen orders compare files by index alone, and parts of separate runs (nightly parts,
  // each 0/1) all number theirs from 0: an interface logged under two accounts took the
  // smaller id, not the one of the file the merged manifest lists first.
  using AccountKey =
      std::tuple<uint64_t, std::string, std::string, uint64_t, uint64_t, std::string>;
  std::unordered_map<std::string, AccountKey> first_account;
  std::vector<std::pair<std::string, std::string>> failed;  // (part path, why), as r.failures
  const auto fail = [&](const std::string& path, std::string why) {
    failed.emplace_back(path, why);
    r.failures.push_back(std::move(why));
  };
  // OUT must not be one of the parts (or hold one): publishing would replace it, and a merge
  // run again would miss that part (`merge p0 p1 -o p0 --force` deleted p0's state).
  for (const std::string& arg : opt.parts) {
    const fs::path dir = fs::is_directory(arg, ec) ? fs::path(arg) : fs::path(arg).parent_path();
    const fs::path part = fs::weakly_canonical(dir.empty() ? fs::path(".") : dir, ec);
    const fs::path target = fs::weakly_canonical(out, ec);
    const auto [end, at] = std::mismatch(target.begin(), target.end(), part.begin(), part.end());
    if (!ec && end == target.end()) {
      r.exit_code = 2;
      std::error_code state_ec;
      if (at == part.end() && !fs::exists(part / kStateFile, state_ec)) {
        // No part but -o itself, listed again: a nightly `merge nights/* -o nights/week --force`
        // the second night. It was called "the part nights/week", which it is not.
        r.error = "-o " + out.string() + " is given as a part too (" + arg +
                  "), and it is none: it has no " + std::string(kStateFile) +
                  " (an earlier output of this merge, matched by a pattern such as DIR/*?): leave "
                  "it out of the parts, or choose an -o outside the parts' directory";
        return r;
      }
      r.error = "-o " + out.string() + " is " + (at == part.end() ? "" : "a directory holding ") +
                "the part " + arg + ": merging into it would delete that part; choose another -o";
      return r;
    }
  }
  // An output without state (a run's without --partial, a merge's) is a mistake in the list,
  // which no retry mends: refused with nothing written, as the other parts that cannot be
  // merged are, before any part is read. It had been a failed part (exit 1, OUT written from
  // the others), the exit status of a part that could not be read this time.
  // A part given twice, under one name or two (`P ./P`, a link, `P P/state.bin.zst`), is
  // refused by the identity of its state file (device and inode, what fs::equivalent compares;
  // a map, not a comparison of each pair, for a list of thousands). It was caught only as its
  // first input being "in both P/state.bin.zst and P/state.bin.zst".
  // A part is a directory holding the state file, or the file itself.
  const auto state_file_of = [&](const std::string& arg) {
    return fs::is_directory(arg, ec) ? (fs::path(arg) / kStateFile).string() : arg;
  };
  std::map<std::pair<dev_t, ino_t>, const std::string*> part_of_file;
  // Parts whose state file is missing though their manifest says they are parts (or cannot
  // say), with the message: failed parts, named when their turn comes.
  std::map<const std::string*, std::string> lost;
  std::map<std::pair<dev_t, ino_t>, const std::string*> lost_dirs;
  for (const std::string& arg : opt.parts) {
    const std::string path = state_file_of(arg);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      if (path != arg && fs::exists(fs::path(arg) / kManifestFile, ec)) {  // a directory
        // A merge's own output keeps no state: its parts are what can be merged again.
        const std::string manifest_path = (fs::path(arg) / kManifestFile).string();
        const nlohmann::json parsed = ReadManifestJson(manifest_path);
        const bool merged_output = parsed.is_object() && parsed.contains("merged_from");
        // A part whose state file was deleted or not copied with the rest: its manifest has
        // `partial`. It was called a run without --partial, to be run again with that flag.
        const bool lost_state = parsed.is_object() && parsed.contains("partial");
        // A manifest that is no JSON object (damaged, cut short) does not say how it was run.
        const bool unreadable = !parsed.is_object();
        // Those two are a part that cannot be read, as one whose state file is cut short or
        // was never written (exit 1, the rest merged, the part named in merged_from): a rerun
        // of that part mends them. They had been refused as a mistake in the list (exit 2,
        // nothing written) while a truncated state file was exit 1.
        if (lost_state || unreadable) {
          lost.emplace(
              &arg,
              lost_state
                  ? arg + ": a part of a run with --partial, but its " + std::string(kStateFile) +
                        " is missing (deleted, or not copied with the rest): run that part "
                        "again (its command_line in " +
                        manifest_path + ") and merge again"
                  : arg + ": it has no " + std::string(kStateFile) + ", and its " + manifest_path +
                        " is not a manifest flowsift can read (damaged?): run that part "
                        "again with --partial and merge again");
          // Given twice, it is the list's mistake all the same: by its directory's identity,
          // as it has no state file.
          struct stat dir_st {};
          if (stat(arg.c_str(), &dir_st) == 0) {
            const auto [it, inserted] =
                lost_dirs.emplace(std::pair(dir_st.st_dev, dir_st.st_ino), &arg);
            if (!inserted) {
              r.exit_code = 2;
              r.error = "the part " + arg + " is given twice" +
                        (*it->second == arg ? std::string() : " (as " + *it->second + " too)") +
                        ": give each part once";
              return r;
            }
          }
          continue;
        }
        r.exit_code = 2;
        r.error = merged_output
                      ? arg + ": an output of flowsift merge, which keeps no " +
                            std::string(kStateFile) +
                            ": merge the parts it was made of (its manifest's merged_from) "
                            "with the others instead"
                      : arg + ": an output of a run without --partial (it has no " +
                            std::string(kStateFile) + "): run it again with --partial to merge it";
        return r;
      }
      if (path != arg) {
        // A directory holding parts rather than being one (`merge parts -o out` for
        // `merge parts/* -o out`): a mistake in the list, refused as an output without state
        // is. It had been a part that could not be read ("parts/state.bin.zst: No such file or
        // directory"), with nothing written and exit 1. So is one of state files renamed as
        // they were collected (parts/p0.state.zst ...).
        std::vector<std::string> held;
        for (fs::directory_iterator it(arg, ec), end; !ec && it != end; it.increment(ec)) {
          std::error_code state_ec;
          if (fs::is_regular_file(it->path() / kStateFile, state_ec) ||
              BeginsAsPartial(it->path().string())) {
            held.push_back(it->path().filename().string());
          }
        }
        if (!held.empty()) {
          std::sort(held.begin(), held.end());
          std::string names;
          for (size_t i = 0; i < held.size() && i < 3; ++i) {
            names += (i == 0 ? "" : ", ") + (fs::path(arg) / held[i]).string();
          }
          if (held.size() > 3) names += ", ...";
          r.exit_code = 2;
          r.error = arg + ": a directory of parts (" + names + "), not a part (it has no " +
                    std::string(kStateFile) +
                    "): give the parts themselves (each the OUT of a `run --partial`, or its "
                    "state file under any name), e.g. " +
                    (fs::path(arg) / "*").string();
          return r;
        }
      }
      continue;  // named when it is read
    }
    const auto [it, inserted] = part_of_file.emplace(std::pair(st.st_dev, st.st_ino), &arg);
    if (!inserted) {
      r.exit_code = 2;
      r.error = "the part " + arg + " is given twice" +
                (*it->second == arg
                     ? std::string()
                     : " (as " + *it->second + " too: the same " + std::string(kStateFile) + ")") +
                ": give each part once";
      return r;
    }
  }
  for (const std::string& arg : opt.parts) {
    const std::string path = state_file_of(arg);
    if (const auto it = lost.find(&arg); it != lost.end()) {
      fail(path, it->second);
      continue;
    }
    Clock::time_point start = Clock::now();
    PartialFile file;
    std::string error;
    const PartialStatus status = ReadPartial(path, &file, &error);
    if (status == PartialStatus::kVersion) {
      r.exit_code = 2;
      r.error = error;
      return r;
    }
    if (status == PartialStatus::kUnreadable && !fs::exists(fs::symlink_status(path, ec))) {
      // Said as a part that is not there, and what to do (it was "P: No such file or
      // directory", like an input's failure).
      error = path == arg
                  ? arg +
                        ": no such part (nothing at that path): check it; a part that "
                        "was never written: run it with --partial and merge again"
                  : arg + ": not a part: a directory without " + std::string(kStateFile) + " or " +
                        std::string(kManifestFile) + " (give the OUT of each `run --partial`)";
    }
    if (status != PartialStatus::kOk) {
      fail(path, error);
      continue;
    }
    // --strict is matched too: mixed, the merge's exit status depended on the parts' order.
    const ordered_json& run_options = Member(Member(file.run, "manifest", false), "options", false);
    const ordered_json match = {{"since", file.run.value("since", ordered_json())},
                                {"until", file.run.value("until", ordered_json())},
                                {"format", file.run.value("format", ordered_json())},
                                {"strict", run_options.value("strict", false)},
                                {"detection", DetectionText(file.run)}};
    if (!aggregate) {
      header = file.header;
      must_match = match;
      first_path = path;
      AggregateOptions a;
      a.window = header.window;
      auto internal = NetworkSet::Parse(header.internal, &error);
      if (!internal) {
        fail(path, path + ": corrupt (internal networks: " + error + ")");
        continue;
      }
      a.internal = *internal;
      const ordered_json& text = match["detection"];
      DetectOptions d;
      if (!text.is_string() || !ParseDetectConfig(text.get<std::string>(), &d, &error)) {
        fail(path, path + ": corrupt (detection options: " + error + ")");
        continue;
      }
      d.internal = a.internal;
      detect_options = d;
      aggregate = a;
    } else {
      const auto refuse = [&](const std::string& what, const std::string& here,
                              const std::string& there) {
        r.exit_code = 2;
        r.error = "cannot merge " + path + " (" + what + " " + here + ") with " + first_path +
                  " (" + what + " " + there + "): make all parts with the same options";
        return r;
      };
      if (file.header.window != header.window) {
        return refuse("--window", std::to_string(file.header.window),
                      std::to_string(header.window));
      }
      // As sets: 10.0.0.0/8,192.168.0.0/16 is 192.168.0.0/16,10.0.0.0/8.
      if (file.header.internal != header.internal &&
          CanonicalNetworks(file.header.internal) != CanonicalNetworks(header.internal)) {
        return refuse("--internal", file.header.internal, header.internal);
      }
      if (match["detection"] != must_match["detection"]) {
        const auto [here, there] =
            FirstDifferingSetting(match["detection"], must_match["detection"]);
        return refuse("detection option", here, there);
      }
      // An unset --since is 0 in a part, an unset --until null: both said as "not given". A
      // time is ISO-8601 UTC, as run's messages write it (epoch seconds were the part's own).
      const auto shown = [](const char* key, const ordered_json& v) {
        const std::string_view name = key;
        const bool unset = v.is_null() || (name == "since" && v == 0);
        const bool time = v.is_number_unsigned() && (name == "since" || name == "until");
        return unset  ? std::string("not given")
               : time ? FormatIsoTime(v.get<uint64_t>())
                      : v.dump();
      };
      for (const char* key : {"since", "until", "format", "strict"}) {
        if (match[key] != must_match[key]) {
          return refuse(std::string("--") + key, shown(key, match[key]),
                        shown(key, must_match[key]));
        }
      }
    }
    PartInfo info;
    info.path = path;
    // A run writes its shard as [I, N] with I < N <= kMaxShards, and its manifest: anything
    // else is a damaged (or hand-made) part, which taken as 0/1 had passed the coverage check.
    const ordered_json& shard = file.run.value("shard", ordered_json());
    if (!shard.is_array() || shard.size() != 2 || !shard[0].is_number_unsigned() ||
        !shard[1].is_number_unsigned() || shard[0] >= shard[1] || shard[1] > kMaxShards) {
      fail(path, path + ": corrupt (its shard is " + shard.dump() +
                     ", not [I, N] with I < N <= " + std::to_string(kMaxShards) + ")");
      continue;
    }
    info.shard_index = shard[0].get<uint32_t>();
    info.shard_count = shard[1].get<uint32_t>();
    if (!file.run.contains("manifest") || !file.run["manifest"].is_object()) {
      fail(path, path + ": corrupt (it holds no manifest of its run)");
      continue;
    }
    info.manifest = file.run["manifest"];
    // Its manifest is what a run wrote, or the part is corrupt: a checksummed file can still
    // hold a value of another type ("path": [...]), which would throw in the middle of the merge
    // (exit 3 with the JSON library's words). Tried on its own first. The values the merged
    // manifest adds up and the input check reads must have a run's types too: `inputs` null
    // listed 16 of 25 inputs and let the same inputs in two parts count twice (exit 0), and a
    // total of text or below zero was summed as nothing.
    try {
      static_cast<void>(MergedManifest(opt, std::vector<PartInfo>{info}, {}, r));
      const ordered_json& inputs = Member(info.manifest, "inputs", false);
      if (!inputs.is_array()) throw std::invalid_argument("its inputs are not a list");
      for (const ordered_json& in : inputs) {
        if (!in.is_object() || !in.contains("path") || !in["path"].is_string()) {
          throw std::invalid_argument("an input is not an object with a path");
        }
      }
      const ordered_json& totals = Member(info.manifest, "totals", false);
      if (!totals.is_object()) throw std::invalid_argument("its totals are not an object");
      for (const auto& [key, value] : totals.items()) {
        const bool counts =
            value.is_object() && std::all_of(value.begin(), value.end(), [](const ordered_json& v) {
              return v.is_number_unsigned();
            });
        if (!value.is_number_unsigned() && !counts) {
          throw std::invalid_argument("its total " + key + " is " + value.dump() + ", not a count");
        }
      }
      const ordered_json& samples = Member(info.manifest, "bad_line_samples");  // [] if none
      if (!samples.is_array()) throw std::invalid_argument("its bad-line samples are not a list");
      for (const ordered_json& sample : samples) {
        if (!sample.is_object() || !sample.value("path", ordered_json()).is_string() ||
            !sample.value("line", ordered_json()).is_number_unsigned() ||
            !sample.value("reason", ordered_json()).is_string()) {
          throw std::invalid_argument("a bad-line sample is " + sample.dump());
        }
      }
    } catch (const std::exception& e) {
      fail(path, path + ": corrupt (its manifest: " + e.what() + ")");
      continue;
    }
    // A state copied into another part's directory: as a part that cannot be read (a rerun or
    // the right copy mends it), before its inputs are taken as that part's.
    if (std::string why = NotThePartsOwnState(path, info.manifest); !why.empty()) {
      fail(path, std::move(why));
      continue;
    }
    const ordered_json& cwd = file.run.value("cwd", ordered_json());
    if (cwd.is_string()) info.cwd = cwd.get<std::string>();
    if (const ordered_json& l = file.run.value("listed_files", ordered_json());
        l.is_object() && l.value("count", ordered_json()).is_number_unsigned() &&
        l.value("hash", ordered_json()).is_string()) {
      info.run_list =
          std::to_string(l["count"].get<uint64_t>()) + ":" + l["hash"].get<std::string>();
    }
    // The part's files (path, absolute path) by their place in its list, as MergedManifest
    // numbers them (index = place * shard_count + shard_index).
    std::vector<std::pair<std::string, std::string>> listed;
    for (const ordered_json& in : Member(info.manifest, "inputs")) {
      if (!in.is_object() || CouldNotBeListed(in)) continue;
      const std::string input = in.value("path", "");
      // By its absolute path when the part says where it ran (./data/a.log, data/a.log and
      // /home/u/data/a.log are one file), else by its normalised text.
      listed.emplace_back(input, AbsoluteInput(input, info.cwd));
      if (input == "-") continue;
      const ordered_json bytes = in.value("bytes", ordered_json());
      const auto [it, inserted] = input_part.emplace(
          listed.back().second, Reader{path, info.shard_index, info.shard_count, bytes});
      if (!inserted) {
        const Reader& other = it->second;
        r.exit_code = 2;
        r.error = "input " + input + (it->first == input ? "" : " (" + it->first + ")") +
                  " is in both " + other.path + " and " + path;
        // Read with other sizes, it is two files under one name (a staging file each night's
        // job rewrites), not one file twice: still refused (inputs are told apart by path),
        // but said as what it is, since the mend is another.
        if (bytes.is_number_unsigned() && other.bytes.is_number_unsigned() &&
            bytes != other.bytes) {
          r.error += ", read with other sizes (" + other.bytes.dump() + " and " + bytes.dump() +
                     " bytes): two files under one name (a file each run rewrites?); merge tells "
                     "inputs apart by their paths: give each run's files names of their own";
        } else {
          r.error += ": its records would count twice";
        }
        // Two shards of one count never share an input of one list: the list changed between
        // their runs (a file added or removed moves the later files to other shards; INPUT
        // arguments in another order list their files in that order).
        if (other.shard_count == info.shard_count && other.shard_index != info.shard_index) {
          r.error += " (shards " + std::to_string(other.shard_index) + "/" +
                     std::to_string(other.shard_count) + " and " +
                     std::to_string(info.shard_index) + "/" + std::to_string(info.shard_count) +
                     " of one input list never share an input: were files added to or removed "
                     "from the inputs between the parts' runs, or the INPUT arguments given in "
                     "another order (the list keeps their order)? Run every part again with "
                     "one input list)";
        }
        return r;
      }
    }
    // Loaded on its own first: a part that turns out malformed leaves the merge untouched.
    Aggregator part(*aggregate);
    ByteReader reader(*file.Find(PartialSection::kAggregate));
    Detector part_detect(detect_options);
    ByteReader detect_reader(*file.Find(PartialSection::kDetection));
    if (!part.Load(reader, &error) || !part_detect.Load(detect_reader, &error)) {
      fail(path, path + ": " + error);
      continue;
    }
    // Its manifest's records are its tables': the merged manifest sums the former, the tables
    // hold the latter (a hand-edited count made the two disagree).
    const ordered_json& counted = Member(Member(info.manifest, "totals", false), "records");
    if (!counted.is_number_unsigned() || counted.get<uint64_t>() != part.records()) {
      fail(path, path + ": corrupt (its manifest counts " + counted.dump() +
                     " records, its tables " + std::to_string(part.records()) + ")");
      continue;
    }
    // Each interface's first-seen file by its place in the merged manifest (first_account).
    for (Aggregator::SeenAccount& a : part.Accounts()) {
      const uint64_t index = a.order == UINT64_MAX ? UINT64_MAX : a.order >> 32;
      const uint64_t j =
          index >= info.shard_index ? (index - info.shard_index) / info.shard_count : UINT64_MAX;
      const bool known = j < listed.size();
      AccountKey key{index,
                     known ? listed[j].first : std::string(),
                     known ? listed[j].second : std::string(),
                     a.order & 0xFFFFFFFF,
                     a.row,
                     std::move(a.account)};
      const auto [it, inserted] = first_account.try_emplace(std::move(a.name), key);
      if (!inserted && key < it->second) it->second = std::move(key);
    }
    file = PartialFile();  // the decompressed bytes are not needed any more
    r.read_seconds += SecondsSince(start);
    start = Clock::now();
    if (merged) {
      merged->Merge(part);
      detect->Merge(part_detect);
    } else {
      merged.emplace(std::move(part));
      detect.emplace(std::move(part_detect));
    }
    r.merge_seconds += SecondsSince(start);
    parts.push_back(std::move(info));
    ++r.parts_merged;
  }
  if (!merged) {
    // Every part failed: an empty output would replace a good one (with --force) and look
    // like a merge of nothing. Nothing is written; each part is named in failures.
    r.exit_code = 1;
    r.error = "none of the " + std::to_string(opt.parts.size()) +
              " part(s) could be read: nothing written";
    return r;
  }
  std::vector<FailedShard> failed_shards;
  for (const auto& part : failed) {
    if (std::optional<FailedShard> shard = ShardOfFailedPart(part.first)) {
      failed_shards.push_back(std::move(*shard));
    }
  }
  std::vector<PartShard> shards;
  for (const PartInfo& p : parts) {
    shards.push_back({p.path, p.shard_index, p.shard_count, p.run_list});
  }
  r.missing_shards =
      ShardCoverageNotes(shards, failed_shards, failed.size() - failed_shards.size(), &r.notes);
  r.records = merged->records();
  {
    std::unordered_map<std::string, std::string> accounts;
    for (auto& [name, key] : first_account) accounts.emplace(name, std::move(std::get<5>(key)));
    merged->SetAccounts(accounts);
  }

  const Clock::time_point write_start = Clock::now();
  fs::path tmp;
  if (!MakeSiblingTempDir(out, &tmp, &r.error, &r.notes)) {
    r.exit_code = 3;
    return r;
  }
  std::string error;
  std::vector<Finding> findings;
  const bool written = WriteTables(
      tmp, *merged,
      [&](WindowRows& windows) -> const std::vector<Finding>& {
        windows = merged->WindowsInOrder();
        const InterfaceLives lives = LivesOf(windows);
        findings = detect->Findings(&lives, &r.findings_allowed);
        r.findings = findings.size();
        detect.reset();  // freed as soon as its findings are made (as Run does)
        return findings;
      },
      &error);
  r.write_seconds = SecondsSince(write_start);
  r.wall_seconds = SecondsSince(wall);
  ordered_json manifest = MergedManifest(opt, parts, failed, r);
  if (written) manifest["tables"] = TableFrames(tmp);
  for (const ordered_json& in : manifest["inputs"]) {
    if (IsFailedStatus(in.value("status", ""))) {
      const ordered_json& e = in.value("error", ordered_json());
      r.input_failures.push_back(e.is_string() ? e.get<std::string>()
                                               : in.value("path", "") + ": failed");
    }
  }
  r.manifest_json = manifest.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
  if (!written || !WriteTextFile(tmp / kManifestFile, r.manifest_json, &error) ||
      !PublishOutput(tmp, out, opt.force, &error)) {
    RemoveTemporary(tmp);
    r.exit_code = 3;
    r.error = FailedOutputText(tmp, out, error);
    return r;
  }
  const bool strict = manifest["options"].value("strict", false);
  const uint64_t bad_lines = manifest["totals"].value("bad_lines", uint64_t{0});
  if (strict && bad_lines > 0) {
    // Exit 1 for bad lines under --strict, as one run: say so, and where the first one is (in
    // input order), or the exit has no reason on stderr.
    std::map<std::string, size_t> position;
    size_t i = 0;
    for (const ordered_json& in : manifest.value("inputs", ordered_json::array())) {
      if (in.is_object()) position.emplace(in.value("path", ""), i++);
    }
    const ordered_json samples = manifest.value("bad_line_samples", ordered_json::array());
    const ordered_json* first = nullptr;  // into `samples`, which outlives it
    std::pair<size_t, uint64_t> first_at{SIZE_MAX, UINT64_MAX};
    for (const ordered_json& sample : samples) {
      if (!sample.is_object()) continue;
      const auto it = position.find(sample.value("path", ""));
      const std::pair<size_t, uint64_t> at{it != position.end() ? it->second : SIZE_MAX,
                                           sample.value("line", uint64_t{0})};
      if (first == nullptr || at < first_at) {
        first = &sample;
        first_at = at;
      }
    }
    std::string note = "the parts were made with --strict and hold " + std::to_string(bad_lines) +
                       " bad line" + (bad_lines == 1 ? "" : "s");
    if (first != nullptr) {
      note += "; the first is " + first->value("path", std::string("?")) + ":" +
              std::to_string(first->value("line", uint64_t{0})) + ": " +
              first->value("reason", std::string("?"));
    }
    r.notes.push_back(note + " (exit 1, as one run with --strict)");
  }
  // Records read and none kept by the parts' --since/--until is exit 1, as in one run
  // (pipeline/run.cc): each part exited 1 for it, and their merge must not pass as a quiet day.
  const uint64_t filtered = manifest["totals"].value("filtered", uint64_t{0});
  const bool nothing_kept = r.records == 0 && filtered > 0;
  if (nothing_kept) {
    const ordered_json& options = manifest.value("options", ordered_json::object());
    const ordered_json since = options.value("since", ordered_json()),
                       until = options.value("until", ordered_json());
    std::string filter;
    if (since.is_number_unsigned() && since.get<uint64_t>() != 0) {
      filter = " --since " + FormatIsoTime(since.get<uint64_t>());
    }
    if (until.is_number_unsigned()) filter += " --until " + FormatIsoTime(until.get<uint64_t>());
    r.notes.push_back("none of the " + std::to_string(filtered) +
                      " records the parts read starts within" + filter + " (exit 1, as one run)");
  }
  r.exit_code = (!r.failures.empty() || !r.input_failures.empty() || !r.missing_shards.empty() ||
                 (strict && bad_lines > 0) || nothing_kept)
                    ? 1
                    : 0;
  return r;
}

}  // namespace flowsift
