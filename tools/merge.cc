// flowsift merge: partial outputs of `run --partial` -> one summary directory
// (docs/distributed.md).
#include "pipeline/merge.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>

#include "pipeline/allowlist.h"
#include "pipeline/partial.h"
#include "pipeline/reader.h"
#include "tools/commands.h"
#include "tools/show_print.h"

namespace flowsift::tools {

CLI::App* AddMerge(CLI::App& app, MergeFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "merge",
      "Combine the partial outputs of `flowsift run --partial` (one per shard of the inputs,\n"
      "in any order) into OUT: the same windows, talkers and exposure tables and the same\n"
      "findings as one run over all the inputs, and a manifest listing every part's inputs.\n\n"
      "Examples:\n"
      "  flowsift run logs/ --shard 0/4 --partial -o parts/0   # ... and 1/4, 2/4, 3/4\n"
      "  flowsift merge parts/* -o out\n\n"
      "Exit codes: 0 ok; 1 a part is unreadable, corrupt, truncated or without its\n"
      "state.bin.zst (named; the rest is merged), some part's inputs failed, the parts do\n"
      "not cover every shard (the missing ones are named; the rest is merged), or their\n"
      "--since/--until kept none of the records they read (as one run); 2 usage error or\n"
      "parts that cannot be merged (other --window, --internal, --since, --until, --format,\n"
      "--strict, detection options or format version, a part given twice, an output without\n"
      "state.bin.zst (a run's without --partial, a merge's), the directory holding the parts\n"
      "(give parts/*), the same input in two parts, -o that is or holds a part;\n"
      "nothing is written); 3 outputs could not be written.");
  cmd->add_option("parts", f.parts, "Part directories (OUT of run --partial) or state.bin.zst");
  cmd->add_option("--parts-from", f.parts_from,
                  "Read part paths from FILE, one per line or NUL-separated as find -print0\n"
                  "writes them (- for stdin)");
  cmd->add_option("-o,--out", f.out_dir, "Output directory (written atomically)")->required();
  cmd->add_flag("--force", f.force,
                "Replace OUT if it exists and is an earlier output (flowsift's manifest.json) or\n"
                "empty; files in it that flowsift did not write are moved into the new OUT");
  return cmd;
}

int RunMerge(const MergeFlags& f, const std::string& command_line) {
  MergeOptions opt;
  opt.parts = f.parts;
  if (!f.parts_from.empty()) {
    // "-" is stdin, as for run's --files-from: `ls -d parts/* | flowsift merge --parts-from -`.
    std::ifstream file;
    if (f.parts_from != "-") {
      // A directory opens, and reading it throws std::ios_base::failure (exit 3 with the
      // library's words): said as the mistake it is.
      std::error_code ec;
      if (std::filesystem::is_directory(f.parts_from, ec)) {
        throw CLI::ValidationError("--parts-from",
                                   f.parts_from +
                                       " is a directory, not a list of parts: give parts as "
                                       "arguments (flowsift merge " +
                                       f.parts_from + " ..., or " + f.parts_from +
                                       "/* for the parts in it)");
      }
      file.open(f.parts_from);
      if (!file) {
        throw CLI::ValidationError("--parts-from",
                                   "cannot read " + f.parts_from + ": " + std::strerror(errno));
      }
    }
    std::istream& in = f.parts_from == "-" ? std::cin : file;
    std::ostringstream read;
    read << in.rdbuf();  // as getline did, a read error ends the list without throwing
    const std::string text = std::move(read).str();
    // A part's state file (or any compressed file) given for the list: its bytes split into
    // paths were dozens of parts not found, or "a directory of parts" for one that read as ".".
    switch (CompressionOf(reinterpret_cast<const uint8_t*>(text.data()), text.size())) {
      case Compression::kGzip:
      case Compression::kZstd:
        throw CLI::ValidationError(
            "--parts-from", f.parts_from + " is compressed data, not a list of parts (a part's " +
                                std::string(kStateFile) + "? give it as a part: flowsift merge " +
                                f.parts_from + " ...)");
      case Compression::kNone:
        break;
    }
    // A list holding a NUL byte is NUL-separated (`find parts -name state.bin.zst -print0`), as
    // run's --files-from reads one. Split at newlines it was one path, which stat() cut at its
    // first NUL: the first part alone was merged, with exit 0 for nightly parts (each 0/1).
    const char end = text.find('\0') != std::string::npos ? '\0' : '\n';
    for (size_t pos = 0; pos < text.size();) {
      size_t stop = text.find(end, pos);
      if (stop == std::string::npos) stop = text.size();
      std::string line = text.substr(pos, stop - pos);
      pos = stop + 1;
      if (end == '\n' && !line.empty() && line.back() == '\r') line.pop_back();
      // A line of blanks alone is a blank line, as in run's --files-from (and in a NUL-separated
      // list, so is the newline an `echo` adds after the last NUL).
      if (line.find_first_not_of(end == '\n' ? " \t" : " \t\r\n") != std::string::npos) {
        opt.parts.push_back(std::move(line));
      }
    }
  }
  if (opt.parts.empty()) {
    // A list that names none (a nightly `find ... | flowsift merge --parts-from -` that matched
    // nothing) is said as such: "give ... or --parts-from" asked for what was given.
    if (!f.parts_from.empty()) {
      throw CLI::ValidationError(
          "merge", "no parts: the list of --parts-from " +
                       (f.parts_from == "-" ? std::string("- (stdin)") : f.parts_from) +
                       " names none");
    }
    throw CLI::ValidationError("merge", "no parts: give part directories or --parts-from");
  }
  opt.force = f.force;
  opt.version = FLOWSIFT_VERSION;
  opt.options_text = command_line;
  opt.out_dir = OutDirArg(f.out_dir, opt.force);
  const MergeResult r = MergeParts(opt);
  if (r.error.empty()) BeginReport(r.exit_code);
  for (const std::string& failure : r.failures) PrintError(failure);
  if (!r.error.empty()) {  // nothing written: exit 1 (no part readable), 2 or 3
    PrintError(r.error);
    return r.exit_code;
  }
  for (const std::string& missing : r.missing_shards) PrintError(missing);
  for (const std::string& note : r.notes)
    fmt::print(stderr, "flowsift: note: {}\n", Printable(note));
  for (const std::string& failure : r.input_failures) {
    fmt::print(stderr, "flowsift: input failed in a part: {}\n", Printable(failure));
  }
  // Singular at 1, as run's summary line: "merged 1 of 1 parts ..., 1 records".
  fmt::print(stderr,
             "flowsift: merged {} of {} part{} ({} failed), {} record{} in {:.2f} s (read {:.2f} "
             "s, merge {:.2f} s, write {:.2f} s) -> {}\n",
             r.parts_merged, opt.parts.size(), opt.parts.size() == 1 ? "" : "s", r.failures.size(),
             r.records, r.records == 1 ? "" : "s", r.wall_seconds, r.read_seconds, r.merge_seconds,
             r.write_seconds, Printable(opt.out_dir));
  if (const std::string allowed = AllowedNote(r.findings_allowed); !allowed.empty()) {
    fmt::print(stderr, "flowsift: note: {}\n", allowed);
  }
  return r.exit_code;
}

}  // namespace flowsift::tools
