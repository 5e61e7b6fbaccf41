#include "tools/show_overview.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <map>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/allowlist.h"
#include "pipeline/reader.h"
#include "pipeline/saturating.h"
#include "tools/progress.h"
#include "tools/show_print.h"

namespace flowsift::tools {
namespace {

using nlohmann::ordered_json;

constexpr size_t kDefaultBusiest = 10;

// The overview's own small tables.
constexpr ViewColumn kBusiestView[] = {{"interface_id", "interface", 1},
                                       {"window_start", "window", 2},
                                       {"bytes", "bytes", 3},
                                       {"records", "records", 4},
                                       {"rejected", "rejected", 5},
                                       {"distinct_srcaddr", "srcs", 6},
                                       {"distinct_dstaddr", "dsts", 7},
                                       {"distinct_dstport", "dports", 8}};
constexpr ColumnSpec kMatrixColumns[] = {
    {"type", ColumnKind::kText},        {"findings", ColumnKind::kInteger},
    {"critical", ColumnKind::kInteger}, {"high", ColumnKind::kInteger},
    {"medium", ColumnKind::kInteger},   {"low", ColumnKind::kInteger}};
constexpr ViewColumn kMatrixView[] = {{"type", "type", 1},         {"findings", "findings", 2},
                                      {"critical", "critical", 3}, {"high", "high", 4},
                                      {"medium", "medium", 5},     {"low", "low", 6}};

// The shards a merged OUT lacks, from its merged parts' "I/N": a merge of too few parts writes
// its OUT (and exits 1), whose overview must not read as the whole run's. None when the parts
// do not agree on N (merge refuses that) or none says.
struct MissingShards {
  uint64_t count = 0;            // N
  uint64_t missing = 0;          // shards no merged part is
  std::vector<uint64_t> listed;  // the first 1,000 of them (2^24 shards are allowed)
};
MissingShards MissingShardsOf(const ordered_json& manifest) {
  const auto from = manifest.find("merged_from");
  if (from == manifest.end() || !from->is_array()) return {};
  uint64_t count = 0;
  std::set<uint64_t> seen;
  for (const ordered_json& p : *from) {
    if (!p.is_object() || p.value("status", "") != "ok") continue;
    const auto shard = p.find("shard");
    if (shard == p.end() || !shard->is_string()) continue;
    const std::string& text = shard->get_ref<const std::string&>();
    const char* const end = text.data() + text.size();
    const char* const slash = std::find(text.data(), end, '/');
    const std::optional<uint64_t> i = DecimalU64({text.data(), slash});
    const std::optional<uint64_t> n = slash == end ? std::nullopt : DecimalU64({slash + 1, end});
    if (!i || !n || *n == 0 || *i >= *n || (count != 0 && *n != count)) return {};
    count = *n;
    seen.insert(*i);
  }
  MissingShards m{count, count - seen.size(), {}};
  for (uint64_t i = 0; i < count && m.listed.size() < std::min<uint64_t>(m.missing, 1000); ++i) {
    if (!seen.count(i)) m.listed.push_back(i);
  }
  return m;
}

// Whether the CSV table at `path` opens as the table of `columns` (its header) and decodes to
// its end (every zstd frame whole, its checksum right); else false with *error naming it.
bool TableIsWhole(const std::string& path, std::span<const ColumnSpec> columns,
                  std::string* error) {
  CsvSource header;
  if (!header.Open(path, columns, error)) return false;
  ZstdFileReader reader;
  if (!reader.Open(path, error)) return false;
  std::string_view block;
  do {
    if (!reader.Read(&block, error)) return false;
  } while (!block.empty());
  return true;
}

// The manifest's findings_allowed (docs/detection.md, "Allowlists"): the known types' counts
// alone, so a hand-edited manifest's text reaches no terminal.
FindingCounts AllowedOf(const ordered_json& manifest) {
  FindingCounts counts;
  const auto allowed = manifest.find("findings_allowed");
  if (allowed == manifest.end() || !allowed->is_object()) return counts;
  for (const FindingAddresses& t : kFindingAddresses) {
    const auto n = allowed->find(std::string(t.type));
    if (n != allowed->end() && n->is_number_unsigned() && *n != 0) {
      counts[std::string(t.type)] = n->get<uint64_t>();
    }
  }
  return counts;
}

struct Busiest {
  uint64_t bytes, seq;
  ordered_json row;
  // Min-heap on (bytes, earlier rows first among equals): the top is the one to drop.
  bool operator<(const Busiest& o) const {
    return bytes != o.bytes ? bytes > o.bytes : seq < o.seq;
  }
};

// The overview into `out`; returns the exit code of what it read (0 or 1).
int WriteOverview(const Summary& s, const ShowFlags& flags, const Filters& filters, Output& out) {
  if (flags.as == "csv") {
    throw CLI::ValidationError("--as",
                               "the overview is not one table: give --table T with --as csv");
  }
  std::string error;
  // --type and --min-severity select findings only; the rest select windows too.
  Filters window_filters = filters;
  window_filters.type.clear();
  window_filters.min_severity = 0;
  // Windows: totals and the busiest, streamed with a bounded heap.
  // --limit 0 is all of them here too, as --help says of every listing.
  const size_t top = flags.limit > 0    ? static_cast<size_t>(flags.limit)
                     : flags.limit == 0 ? SIZE_MAX
                                        : kDefaultBusiest;
  // A table that cannot be opened (missing, empty, cut before its header) is named and left
  // out, exit 1; the rest of the overview is printed (it printed nothing).
  int code = kExitOk;
  CsvSource windows;
  const bool windows_open = windows.Open(s.PathOf(kWindowsFile), WindowsColumns(), &error);
  const std::string error_windows = windows_open ? std::string() : error;
  if (!windows_open) {
    PrintError(error);
    code = kExitInputErrors;
  }
  std::priority_queue<Busiest> heap;
  uint64_t window_rows = 0, total_bytes = 0, interfaces = 0, seq = 0;
  std::string last_interface;
  ordered_json row;
  InterfaceMiss miss(window_filters);
  TimeMiss time_miss(window_filters);
  while (windows_open && windows.Next(&row)) {
    miss.See(row);
    time_miss.See(row);
    if (!window_filters.Match(row)) continue;
    ++window_rows;
    // A value of another type (text in a number column of a damaged table) counts as 0: the
    // overview is of what can be read, never an exception blamed on the manifest.
    const auto bytes_it = row.find("bytes");
    const uint64_t bytes =
        bytes_it != row.end() && bytes_it->is_number_unsigned() ? bytes_it->get<uint64_t>() : 0;
    // Saturating as the windows' own sums (pipeline/saturating.h): two windows of 2^63 - 1 bytes
    // and one of 2 had wrapped to "0 B".
    AddSaturating(total_bytes, ClampToSum(bytes));
    // windows.csv is sorted by interface: counting changes counts interfaces.
    const auto id = row.find("interface_id");
    const std::string_view id_text = id != row.end() && id->is_string()
                                         ? std::string_view(id->get_ref<const std::string&>())
                                         : std::string_view("-");
    if (window_rows == 1 || id_text != last_interface) {
      ++interfaces;
      last_interface = id_text;  // a copy: the row's strings are overwritten by the next row
    }
    // Copies only the rows that enter the heap; `row` keeps its keys for the next one.
    if (heap.size() < top || bytes > heap.top().bytes) {
      heap.push({bytes, seq, row});
      if (heap.size() > top) heap.pop();
    }
    ++seq;
  }
  // Unreadable windows rows were skipped, or the table ends early (cut short, corrupt): the
  // overview of what was read is still printed, exit 1.
  // Said on the traffic line and as windows_error, as of damaged findings: "0 windows" of a
  // table cut after its header read as a quiet night.
  std::string windows_problem = windows_open ? windows.error() : error_windows;
  if (windows_open && windows_problem.empty()) {
    windows_problem = TableFramesProblem(s, kWindowsFile);
  }
  if (windows_open && !windows_problem.empty()) {
    PrintError(windows_problem);
    code = kExitInputErrors;
  }
  miss.Report("the windows table");
  time_miss.Report("the windows table");
  std::vector<ordered_json> busiest(heap.size());
  for (size_t i = heap.size(); i-- > 0; heap.pop()) busiest[i] = heap.top().row;

  // Findings: counts by type and severity.
  FindingsSource findings;
  const bool findings_open = findings.Open(s.PathOf(kFindingsFile), &error);
  if (!findings_open) {
    PrintError(error);
    code = kExitInputErrors;
  }
  std::string findings_problem = findings_open ? std::string() : error;
  std::map<std::string, std::array<uint64_t, 5>> by_type;  // [0] total, [1..4] per severity
  uint64_t finding_count = 0;
  while (findings_open && findings.Next(&row)) {
    if (!filters.Match(row)) continue;
    ++finding_count;
    const auto type = row.find("type");
    auto& counts = by_type[type != row.end() && type->is_string() ? type->get<std::string>() : "?"];
    ++counts[0];
    const auto sev = row.find("severity");
    if (sev != row.end() && sev->is_number_unsigned() && sev->get<uint64_t>() >= 1 &&
        sev->get<uint64_t>() <= 4) {
      ++counts[sev->get<uint64_t>()];
    }
  }
  // Unreadable findings were skipped: the overview of the rest is still printed, exit 1.
  if (findings_open && !findings.error().empty()) {
    PrintError(findings.error());
    code = kExitInputErrors;
    findings_problem = findings.error();
  }
  if (findings_open && findings_problem.empty()) {
    findings_problem = TableFramesProblem(s, kFindingsFile);
    if (!findings_problem.empty()) {
      PrintError(findings_problem);
      code = kExitInputErrors;
    }
  }
  std::vector<std::string> types;
  for (std::string_view t : kFindingTypes) {
    if (by_type.count(std::string(t))) types.emplace_back(t);
  }
  for (const auto& [t, counts] : by_type) {
    if (std::find(std::begin(kFindingTypes), std::end(kFindingTypes), t) ==
        std::end(kFindingTypes)) {
      types.push_back(t);
    }
  }

  // Talkers and exposure are not summarised here, but a job that runs the overview as its
  // check of last night's OUT must learn when either is missing or damaged (exit 0 said all was
  // well with both gone): each is opened (its header) and decoded to its end (zstd checksums),
  // and its frames counted against the manifest's (TableFramesProblem).
  ordered_json table_errors = ordered_json::object();
  for (const auto& [file, columns] :
       {std::pair{kTalkersFile, TalkersColumns()}, std::pair{kExposureFile, ExposureColumns()}}) {
    if (!TableIsWhole(s.PathOf(file), columns, &error) ||
        !(error = TableFramesProblem(s, file)).empty()) {
      PrintError(error);
      code = kExitInputErrors;
      table_errors[std::string(file)] = error;
    }
  }

  const ordered_json& m = s.manifest;
  const ordered_json totals = m.value("totals", ordered_json::object());
  std::vector<ordered_json> failed;
  for (const ordered_json& in : m.value("inputs", ordered_json::array())) {
    const std::string status = in.value("status", "");
    if (status != "ok" && status != "empty") {
      failed.push_back({{"path", in.value("path", "")},
                        {"status", status},
                        {"error", FailureText(in, in.value("path", "") + ": ")}});
    }
  }
  const std::vector<ordered_json> failed_parts = FailedParts(m);
  const MissingShards shards = MissingShardsOf(m);
  // Detection switched off (--no-detect, detection.enabled = false): no findings is not "none".
  const bool detection_off = DetectionWasOff(m);
  const auto merged_from = m.find("merged_from");
  const size_t parts = merged_from != m.end() && merged_from->is_array() ? merged_from->size() : 0;
  std::string& t = out.text();
  if (flags.as == "json") {
    ordered_json o = {{"out", s.dir.string()},
                      {"format_version", m["format_version"]},
                      {"version", m.value("version", "")},
                      {"window", m.value("options", ordered_json::object()).value("window", 0)},
                      {"failed_inputs", failed},
                      {"totals", totals},
                      {"windows", window_rows},
                      {"interfaces", interfaces},
                      {"bytes", total_bytes},
                      {"busiest_windows", busiest}};
    if (const std::string part = PartOfRun(m); !part.empty()) o["part"] = part;
    if (merged_from != m.end()) {  // a merged OUT: its parts, and those that failed
      o["parts"] = parts;
      o["failed_parts"] = failed_parts;
      if (shards.missing > 0) {
        o["shards"] = shards.count;
        o["missing_shards"] = shards.listed;
      }
    }
    ordered_json ft = ordered_json::object(), fs = ordered_json::object();
    for (const std::string& type : types) ft[type] = by_type[type][0];
    for (int sev = 4; sev >= 1; --sev) {
      uint64_t n = 0;
      for (const auto& [type, counts] : by_type) n += counts[sev];
      if (n > 0) fs[std::string(kSeverityNames[sev])] = n;
    }
    o["findings"] = {{"total", finding_count},
                     {"detection", !detection_off},
                     {"by_type", ft},
                     {"by_severity", fs},
                     {"allowed", AllowedOf(m)}};
    if (!findings_problem.empty()) o["findings"]["error"] = findings_problem;
    if (!windows_problem.empty()) o["windows_error"] = windows_problem;
    if (!table_errors.empty()) o["table_errors"] = table_errors;
    t += Dump(o) + "\n";
    return code;
  }

  auto count = [&](const char* key) { return totals.value(key, uint64_t{0}); };
  // A hand-edited manifest's text is escaped like the tables' (no terminal escapes).
  // A format_version of text ("1.2", which OpenSummary accepts) as its digits, not quoted.
  const ordered_json& format_version = m["format_version"];
  t += fmt::format("{}: output format {}, written by flowsift {}, window {} s\n\n",
                   Printable(s.dir.string()),
                   Printable(format_version.is_string() ? format_version.get<std::string>()
                                                        : format_version.dump()),
                   Printable(m.value("version", "?")),
                   m.value("options", ordered_json::object()).value("window", 0));
  if (const std::string part = PartOfRun(m); !part.empty()) {
    t += fmt::format(
        "part       {} of a distributed run (--partial): its tables are of its own inputs "
        "alone; `flowsift merge` the parts for the whole\n",
        Printable(part));
  }
  t += fmt::format("inputs     {} ({} failed), {} on disk, {} of text\n", count("inputs"),
                   failed.size(), HumanBytes(static_cast<double>(count("bytes"))),
                   HumanBytes(static_cast<double>(count("data_bytes"))));
  // A failed input or part: its path, then its error (else `otherwise`).
  const auto failed_line = [&](const ordered_json& f, const std::string& otherwise) {
    t += fmt::format("  failed   {}: {}\n", Printable(f["path"].get<std::string>()),
                     f["error"].is_string() ? Printable(f["error"].get<std::string>()) : otherwise);
  };
  for (const ordered_json& f : failed) failed_line(f, f["status"].get<std::string>());
  if (merged_from != m.end()) {
    // A failed part's inputs are in no total above: say so where the inputs are counted.
    // merged_from lists every part given; the failed ones were not merged (merge's own words:
    // "merged 1 of 2 parts").
    t += fmt::format("parts      {} of {} merged ({} failed{})\n",
                     parts - std::min(parts, failed_parts.size()), parts, failed_parts.size(),
                     failed_parts.empty() ? "" : ": their inputs are not counted");
    for (const ordered_json& f : failed_parts) failed_line(f, "failed");
    if (shards.missing > 0) {
      std::string list;
      for (uint64_t i : shards.listed) list += (list.empty() ? "" : ", ") + std::to_string(i);
      if (shards.missing > shards.listed.size()) list += ", ...";
      t += fmt::format("  missing  {} of {} shards not merged ({}): their inputs are not counted\n",
                       shards.missing, shards.count, list);
    }
  }
  t += fmt::format("records    {} (nodata {}, skipdata {})", count("records"), count("nodata"),
                   count("skipdata"));
  if (count("filtered") > 0) t += fmt::format(", {} outside --since/--until", count("filtered"));
  t += '\n';
  t += fmt::format("bad lines  {}", count("bad_lines"));
  const ordered_json reasons = totals.value("bad_lines_by_reason", ordered_json::object());
  if (!reasons.empty()) {
    std::string list;
    for (const auto& [reason, n] : reasons.items()) {
      list += fmt::format("{}{} {}", list.empty() ? "" : ", ", Printable(reason), n.dump());
    }
    // A command to paste: OUT quoted for the shell (a path with a space), escaped for the terminal.
    t += fmt::format(": {} (samples: flowsift show {} --table errors)", list,
                     Printable(ShellQuote(s.dir.string())));
  }
  t += '\n';
  // The lines above are the whole run's; with a filter, "findings 2" or "7 windows" below read
  // as the whole run's too. The filter is named as given, quoted for the shell.
  std::string filter;
  for (const auto& [flag, value] :
       {std::pair{"--interface", flags.interface_id}, std::pair{"--since", flags.since},
        std::pair{"--until", flags.until}, std::pair{"--type", flags.type},
        std::pair{"--min-severity",
                  flags.min_severity > 0 ? std::to_string(flags.min_severity) : std::string()}}) {
    if (!value.empty()) filter += fmt::format(" {} {}", flag, Printable(ShellQuote(value)));
  }
  if (!filter.empty()) {
    t += fmt::format("filter    {}: the lines below count only what it selects\n", filter);
  }
  t +=
      windows_open
          ? fmt::format(
                "traffic    {} in {} window{} on {} interface{}{}\n",
                HumanBytes(static_cast<double>(total_bytes)), window_rows,
                window_rows == 1 ? "" : "s", interfaces, interfaces == 1 ? "" : "s",
                windows_problem.empty() ? "" : " readable (windows.csv.zst is damaged: see stderr)")
          : std::string("traffic    unreadable (windows.csv.zst: see stderr)\n");
  if (!table_errors.empty()) {
    std::string names;
    for (const auto& [file, e] : table_errors.items()) names += (names.empty() ? "" : ", ") + file;
    t += fmt::format("damaged    {} (see stderr)\n", names);
  }
  t += '\n';

  const int width = TerminalWidth();
  const bool color = ColorOnStdout();
  t += "busiest windows by bytes\n";
  {
    VectorSource source(WindowsColumns(), std::move(busiest));
    const auto sink = MakeTableSink(source.columns(), kBusiestView, width, color, out,
                                    /*note_outside_view=*/false);
    (void)Copy(source, Filters{}, 0, *sink);
  }
  // Findings the allowlists left out: "allowed    3 findings matched the allowlist (...)".
  std::string allowed = AllowedNote(AllowedOf(m));
  if (!allowed.empty()) allowed = "allowed    " + allowed + "\n";
  if (finding_count == 0) {
    // "none" of a damaged file, or of a run without detection, would read as a clean night:
    // say what was counted.
    t += !findings_problem.empty()
             ? "\nfindings   none readable (the file is damaged: see stderr)\n"
         : detection_off ? "\nfindings   none looked for (detection was off: --no-detect or "
                           "detection.enabled = false)\n"
                         : "\nfindings   none\n";
    if (!allowed.empty()) t += allowed;
    return code;
  }
  t += fmt::format("\nfindings   {}{}\n", finding_count,
                   findings_problem.empty() ? "" : " readable (the file is damaged: see stderr)");
  t += allowed;
  std::vector<ordered_json> matrix;
  for (const std::string& type : types) {
    const auto& c = by_type[type];
    matrix.push_back({{"type", type},
                      {"findings", c[0]},
                      {"critical", c[4]},
                      {"high", c[3]},
                      {"medium", c[2]},
                      {"low", c[1]}});
  }
  VectorSource source(kMatrixColumns, std::move(matrix));
  const auto sink =
      MakeTableSink(source.columns(), kMatrixView, width, color, out, /*note_outside_view=*/false);
  (void)Copy(source, Filters{}, 0, *sink);
  return code;
}

}  // namespace

int ShowOverview(const Summary& s, const ShowFlags& flags, const Filters& filters) {
  Output out;
  const int code = WriteOverview(s, flags, filters, out);
  // Named by its errno: main's check of stdout, which the overview's failed write had been left
  // to, could only guess "a full disk, or past `ulimit -f`?", also of a pipe whose reader had
  // gone.
  return FlushOrReport(out) ? code : kExitOutput;
}

}  // namespace flowsift::tools
