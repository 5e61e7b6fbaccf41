// flowsift show: an OUT directory as aligned tables for a terminal, CSV or JSON Lines
// (SPEC section 2, issue 6). Tables are streamed row by row; only the rows on screen (a page
// of them with --limit 0) and the overview's top windows are held in memory. This file has the
// flags and one --table's view; the rows and filters are in tools/show_rows.cc, the overview in
// tools/show_overview.cc.
#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/reader.h"
#include "pipeline/summary.h"
#include "tools/commands.h"
#include "tools/show_overview.h"
#include "tools/show_print.h"
#include "tools/show_rows.h"

namespace flowsift::tools {
namespace {

using nlohmann::ordered_json;

constexpr const char* kTableNames[] = {"inputs",  "windows",  "findings",
                                       "talkers", "exposure", "errors"};
constexpr int64_t kDefaultTableRows = 50;
// The shortest prefix --id takes: 6 hex digits are 16.7 million ids, so a run's few thousand
// findings rarely share one (a shared one is named as ambiguous).
constexpr size_t kMinIdPrefix = 6;

constexpr ViewColumn kWindowsView[] = {{"interface_id", "interface", 1},
                                       {"account_id", "account", 14},
                                       {"window_start", "window", 2},
                                       {"window_end", "window_end", 17},
                                       {"records", "records", 3},
                                       {"nodata", "nodata", 15},
                                       {"skipdata", "skipdata", 16},
                                       {"accepted", "accepted", 5},
                                       {"rejected", "rejected", 6},
                                       {"packets", "packets", 10},
                                       {"bytes", "bytes", 4},
                                       {"rejected_bytes", "rej_bytes", 11},
                                       {"bytes_out_external", "out_ext", 12},
                                       {"bytes_in_external", "in_ext", 13},
                                       {"distinct_srcaddr", "srcs", 7},
                                       {"distinct_dstaddr", "dsts", 8},
                                       {"distinct_dstport", "dports", 9}};
constexpr ViewColumn kTalkersView[] = {{"window_start", "window", 1}, {"rank", "rank", 2},
                                       {"srcaddr", "srcaddr", 3},     {"bytes", "bytes", 4},
                                       {"packets", "packets", 6},     {"flows", "flows", 5}};
constexpr ViewColumn kExposureView[] = {{"interface_id", "interface", 1},
                                        {"dst_port", "port", 2},
                                        {"protocol", "proto", 3},
                                        {"accepted_external", "accepted", 4},
                                        {"rejected_external", "rejected", 5},
                                        {"distinct_external_sources", "ext_sources", 6}};
// The id before the summary (it is what --id takes: the view had left it out at 100 columns,
// so a finding could be picked only through --as csv).
constexpr ViewColumn kFindingsView[] = {{"severity", "severity", 1},
                                        {"window_start", "window", 2},
                                        {"type", "type", 3},
                                        {"src", "src", 4},
                                        {"dst", "dst", 5},
                                        {"dst_port", "port", 7},
                                        {"protocol", "proto", 9},
                                        {"flows", "flows", 10},
                                        {"bytes", "bytes", 11},
                                        {"distinct_dst_ports", "dports", 12},
                                        {"distinct_dsts", "dsts", 13},
                                        {"packets", "packets", 14},
                                        {"interfaces", "interfaces", 15},
                                        {"mitre", "mitre", 16},
                                        {"first_seen", "first_seen", 17},
                                        {"last_seen", "last_seen", 18},
                                        {"window_end", "window_end", 19},
                                        {"id", "id", 6},
                                        {"summary", "summary", 8, Fit::kCutRight},
                                        {"evidence", "evidence", 20, Fit::kCutRight}};
constexpr ViewColumn kInputsView[] = {{"path", "path", 1, Fit::kCutLeft},
                                      {"status", "status", 2},
                                      {"compression", "compression", 7},
                                      {"bytes", "bytes", 5},
                                      {"data_bytes", "text", 8},
                                      {"lines", "lines", 12},
                                      {"records", "records", 3},
                                      {"nodata", "nodata", 9},
                                      {"skipdata", "skipdata", 10},
                                      {"filtered", "filtered", 11},
                                      {"header_lines", "headers", 13},
                                      {"bad_lines", "bad", 4},
                                      {"bad_lines_by_reason", "bad_by_reason", 14, Fit::kCutRight},
                                      {"error", "error", 6, Fit::kCutRight},
                                      {"header", "header", 15, Fit::kCutRight}};
constexpr ViewColumn kErrorsView[] = {{"path", "path", 1, Fit::kCutLeft},
                                      {"line", "line", 2},
                                      {"offset", "offset", 4},
                                      {"reason", "reason", 3},
                                      {"text", "text", 5, Fit::kWrap}};

// The `errors` view: failed inputs first (their status as the reason, the message as text),
// then a merged OUT's failed parts (reason "failed part"), then the bad-line samples as the
// manifest lists them.
std::vector<ordered_json> ErrorRows(const ordered_json& manifest) {
  std::vector<ordered_json> rows;
  for (const ordered_json& in : manifest.value("inputs", ordered_json::array())) {
    const std::string status = in.value("status", "");
    if (status == "ok" || status == "empty") continue;
    rows.push_back({{"path", in.value("path", "")},
                    {"line", nullptr},
                    {"offset", nullptr},
                    {"reason", status},
                    {"text", FailureText(in, in.value("path", "") + ": " + status + ": ")}});
  }
  for (const ordered_json& part : FailedParts(manifest)) {
    rows.push_back({{"path", part["path"]},
                    {"line", nullptr},
                    {"offset", nullptr},
                    {"reason", "failed part"},
                    {"text", part["error"]}});
  }
  for (const ordered_json& s : manifest.value("bad_line_samples", ordered_json::array())) {
    ordered_json row = ordered_json::object();
    for (const ColumnSpec& c : ErrorsColumns()) {
      const std::string name(c.name);
      row[name] = s.contains(name) ? s[name] : ordered_json();
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

bool HasColumn(const std::vector<ColumnSpec>& columns, std::string_view name) {
  return std::any_of(columns.begin(), columns.end(),
                     [&](const ColumnSpec& c) { return c.name == name; });
}

// A filter that cannot apply to the table is a usage error, not a silent no-op.
void CheckFilters(const Filters& f, const ShowFlags& flags, const std::vector<ColumnSpec>& cols) {
  auto refuse = [&](const char* flag, const char* tables) {
    throw CLI::ValidationError(
        flag, "does not apply to --table " + flags.table + " (it filters " + tables + ")");
  };
  if (!f.interface_id.empty() && !HasColumn(cols, "interface_id") &&
      !HasColumn(cols, "interfaces")) {
    refuse("--interface", "windows, exposure and findings");
  }
  if ((f.since || f.until) && !HasColumn(cols, "window_start")) {
    refuse(f.since ? "--since" : "--until", "windows, talkers and findings");
  }
  if (!f.type.empty() && !HasColumn(cols, "type")) refuse("--type", "findings");
  if (f.min_severity > 0 && !HasColumn(cols, "severity")) refuse("--min-severity", "findings");
}

std::span<const ViewColumn> ViewOf(std::string_view table) {
  if (table == "windows") return kWindowsView;
  if (table == "talkers") return kTalkersView;
  if (table == "exposure") return kExposureView;
  if (table == "findings") return kFindingsView;
  if (table == "inputs") return kInputsView;
  return kErrorsView;
}

// The columns format version 1 writes in --table's rows (a later minor version's CSV header may
// append some, none that a filter reads).
std::span<const ColumnSpec> KnownColumns(std::string_view table) {
  if (table == "windows") return WindowsColumns();
  if (table == "talkers") return TalkersColumns();
  if (table == "exposure") return ExposureColumns();
  if (table == "findings") return FindingsColumns();
  if (table == "inputs") return InputsColumns();
  return ErrorsColumns();
}

// The file of OUT that holds --table's rows; empty for the manifest's views (inputs, errors).
std::string_view FileOfTable(std::string_view table) {
  if (table == "windows") return kWindowsFile;
  if (table == "talkers") return kTalkersFile;
  if (table == "exposure") return kExposureFile;
  if (table == "findings") return kFindingsFile;
  return {};
}

// Opens --table's rows; false with *error when its file is missing or unreadable.
// `terminal`: rows for --as table, where an input's error drops its "path: status: " (columns
// of their own beside it), which had cut the cause off at any width ("in/missing.log:
// not_found: cannot open…"); csv and json print the inputs as stored.
std::unique_ptr<RowSource> OpenTable(const Summary& s, std::string_view table, bool terminal,
                                     std::string* error) {
  if (table == "findings") {
    auto source = std::make_unique<FindingsSource>();
    return source->Open(s.PathOf(kFindingsFile), error) ? std::move(source) : nullptr;
  }
  if (const std::string_view file = FileOfTable(table); !file.empty()) {  // a CSV table
    auto source = std::make_unique<CsvSource>();
    return source->Open(s.PathOf(file), KnownColumns(table), error) ? std::move(source) : nullptr;
  }
  if (table == "inputs") {
    std::vector<ordered_json> rows;
    for (const ordered_json& in : s.manifest.value("inputs", ordered_json::array())) {
      rows.push_back(in);
      if (terminal && in.is_object() && in.contains("error") && in["error"].is_string()) {
        rows.back()["error"] = FailureText(
            in, in.value("path", "") + ": " + std::string(in.value("status", "")) + ": ");
      }
    }
    return std::make_unique<VectorSource>(InputsColumns(), std::move(rows));
  }
  return std::make_unique<VectorSource>(ErrorsColumns(), ErrorRows(s.manifest));
}

std::unique_ptr<RowSink> MakeSink(const ShowFlags& f, const std::vector<ColumnSpec>& columns,
                                  std::span<const ViewColumn> view, Output& out) {
  if (f.as == "csv") return MakeCsvSink(columns, out);
  if (f.as == "json") return MakeJsonSink(out);
  return MakeTableSink(columns, view, TerminalWidth(), ColorOnStdout(), out);
}

}  // namespace

CLI::App* AddShow(CLI::App& app, ShowFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "show",
      "Print the outputs of `flowsift run` in OUT: without --table an overview (inputs and\n"
      "failures, totals, the busiest windows, findings by type and severity), with --table one\n"
      "table as aligned columns, CSV or JSON Lines. Tables are streamed, never loaded whole.\n\n"
      "Examples:\n"
      "  flowsift show out\n"
      "  flowsift show out --table windows --interface eni-0a1b2c3d --since 2026-11-28T10:00:00Z\n"
      "  flowsift show out --table findings --min-severity 3 --as json | jq .summary\n"
      "  flowsift show out --table errors\n"
      "  flowsift show out --id 5e0c1a\n\n"
      "Exit codes: 0 ok; 1 a file in OUT is missing or corrupt (bad finding lines are named\n"
      "and skipped); 2 usage error (also: OUT missing, not a flowsift directory, or of another\n"
      "major format version); 3 stdout could not all be written (its cause named: No space\n"
      "left on device, Broken pipe).");
  cmd->add_option("OUT", f.out_dir, "The directory `flowsift run -o OUT` wrote")->required();
  cmd->add_option("--table", f.table,
                  "One table: inputs, windows, findings, talkers, exposure, errors (as a\n"
                  "table, long text is cut to the terminal's width, marked with an ellipsis,\n"
                  "three dots unless the locale is UTF-8; but errors' text is wrapped whole:\n"
                  "the fault of a bad line may be anywhere in it)")
      ->check(
          CLI::IsMember(std::vector<std::string>(std::begin(kTableNames), std::end(kTableNames))));
  cmd->add_option("--as", f.as, "Output: table (for a terminal), csv or json (JSON Lines)")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->add_option("--limit", f.limit,
                  "At most N rows (0 = all; default 50 for --as table, all for csv and json);\n"
                  "without --table, the busiest windows (default 10)")
      ->transform(CLI::Validator(
          [](std::string& v) -> std::string {
            // CLI11's NonNegativeNumber printed its range as a 309-digit double; 19 digits and
            // more, which may not fit the count, were "not a row count" as "-1" is. Passed on
            // without leading zeros, which CLI11 reads as octal (010 printed 8 rows).
            const bool digits = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
              return c >= '0' && c <= '9';
            });
            if (!digits)
              return "'" + v + "' is not a row count: give 0 (all rows) or a positive number";
            const std::string given = v;
            v.erase(0, std::min(v.find_first_not_of('0'), v.size() - 1));
            return v.size() <= 18 ? std::string()
                                  : "'" + given +
                                        "' is too large: give 0 (all rows) or a row count of at "
                                        "most 18 digits (up to 999999999999999999)";
          },
          "", "row count"))
      ->type_name("N");
  cmd->add_option("--interface", f.interface_id,
                  "Only this interface (windows, exposure, findings)");
  std::string types;
  for (std::string_view t : kFindingTypes) types += (types.empty() ? "" : ", ") + std::string(t);
  cmd->add_option("--type", f.type, "Only findings of this type: " + types);
  cmd->add_option("--since", f.since,
                  "Only windows starting at or after this time, findings seen at or after it\n"
                  "(last_seen; one whose window began before it too): epoch seconds (milliseconds\n"
                  "from 10^11, as in the records) or ISO-8601\n"
                  "(2026-11-28, 2026-11-28T10:00Z, 2026-11-28 11:30:00+01:00, 20261128T100000Z;\n"
                  "UTC when no offset is given; a fraction of a second rounds up)");
  cmd->add_option("--until", f.until,
                  "Only windows starting before this time, findings first seen before it");
  cmd->add_option("--id", f.id,
                  "One finding, whole (every field and its evidence, none cut): its id, or\n"
                  "its first 6 or more characters; implies --table findings");
  cmd->add_option("--min-severity", f.min_severity,
                  "Only findings of at least this severity: 1 low, 2 medium, 3 high, 4 critical\n"
                  "(the number or the name)")
      ->transform(CLI::Validator(
          [](std::string& v) -> std::string {
            // The names the table view prints: `--min-severity high` was refused as not a
            // number, the number it stands for not named.
            for (size_t n = 1; n < std::size(kSeverityNames); ++n) {
              if (std::equal(v.begin(), v.end(), kSeverityNames[n].begin(), kSeverityNames[n].end(),
                             [](char a, char b) {
                               return std::tolower(static_cast<unsigned char>(a)) == b;
                             })) {
                v = std::to_string(n);
                return {};
              }
            }
            const std::optional<uint64_t> n = DecimalU64(v);
            return n && *n >= 1 && *n <= 4
                       ? std::string()
                       : "'" + v +
                             "': --min-severity must be a whole number from 1 to 4 or a "
                             "severity's name: low, medium, high, critical";
          },
          "", "severity"))
      ->type_name("N|NAME");
  return cmd;
}

int OpenSummaryOrReport(const std::string& dir, Summary* summary) {
  std::string error;
  switch (OpenSummary(dir, summary, &error)) {
    case SummaryStatus::kOk:
      return kExitOk;
    case SummaryStatus::kCorrupt:
      PrintError(error);
      return kExitInputErrors;
    default:
      PrintError(error);
      return kExitUsage;
  }
}

static int ShowSummary(const ShowFlags& f, const Filters& filters);

// --id picks one finding: with another --table, a filter or --limit it is a usage error (a
// filter that left the finding out would read as an unknown id).
static void CheckId(const ShowFlags& f) {
  if (f.id.empty()) return;
  if (!f.table.empty() && f.table != "findings") {
    throw CLI::ValidationError("--id", "picks a finding: it does not apply to --table " + f.table);
  }
  for (const auto& [flag, given] :
       {std::pair{"--interface", !f.interface_id.empty()}, std::pair{"--type", !f.type.empty()},
        std::pair{"--since", !f.since.empty()}, std::pair{"--until", !f.until.empty()},
        std::pair{"--min-severity", f.min_severity > 0}, std::pair{"--limit", f.limit >= 0}}) {
    if (given) {
      throw CLI::ValidationError(
          "--id", std::string("picks one finding: leave out ") + flag + " (it selects rows)");
    }
  }
  if (f.id.size() < kMinIdPrefix) {
    throw CLI::ValidationError(
        "--id", "'" + f.id + "' is too short: give a finding's id (16 characters) or its first " +
                    std::to_string(kMinIdPrefix) + " or more");
  }
}

int RunShow(const ShowFlags& f) {
  CheckId(f);
  Filters filters;
  filters.interface_id = f.interface_id;
  filters.type = f.type;
  if (!f.type.empty() && std::find(std::begin(kFindingTypes), std::end(kFindingTypes), f.type) ==
                             std::end(kFindingTypes)) {
    std::string types;
    for (std::string_view t : kFindingTypes) types += (types.empty() ? "" : ", ") + std::string(t);
    throw CLI::ValidationError("--type",
                               "unknown finding type '" + f.type + "'; use one of " + types);
  }
  const auto [since, until] = ParseTimeRange(f.since, f.until);
  if (!f.since.empty()) filters.since = since;
  if (!f.until.empty()) filters.until = until;
  filters.min_severity = f.min_severity;

  try {
    return ShowSummary(f, filters);
  } catch (const nlohmann::json::exception& e) {
    // A manifest that is JSON but not ours (a key of the wrong type: "options": null): named
    // as the damaged input it is, not an output error with the library's words alone.
    fmt::print(stderr,
               "flowsift: {}/manifest.json: corrupt: a value has the wrong type ({}); re-run to "
               "rewrite it\n",
               Printable(f.out_dir), e.what());
    return kExitInputErrors;
  }
}

// --id: the findings whose id begins with f.id (one, unless the file repeats an id), each
// whole: the table view cuts a summary to ~20 characters at 100 columns and leaves the
// evidence out. The whole file is read: a prefix is only known to be unambiguous at its end.
static int ShowFinding(const Summary& summary, const ShowFlags& f) {
  std::string error;
  FindingsSource source;
  if (!source.Open(summary.PathOf(kFindingsFile), &error)) {
    PrintError(error);
    return kExitInputErrors;
  }
  std::string prefix = f.id;  // ids are lower-case hex (pipeline/fnv.h)
  for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::set<std::string> ids;  // every id that begins with the prefix
  std::vector<ordered_json> rows;
  ordered_json row;
  while (source.Next(&row)) {
    const auto id = row.find("id");
    if (id == row.end() || !id->is_string()) continue;
    const std::string& text = id->get_ref<const std::string&>();
    if (!text.starts_with(prefix)) continue;
    ids.insert(text);
    if (ids.size() == 1 && text == *ids.begin()) rows.push_back(row);
  }
  error = source.error();
  if (error.empty()) error = TableFramesProblem(summary, kFindingsFile);
  const std::string list_ids = "the ids are the first column of `flowsift show " +
                               ShellQuote(f.out_dir) + " --table findings --as csv --limit 0`";
  if (ids.size() != 1) {
    if (!error.empty()) PrintError(error);  // the finding may be in what could not be read
    if (ids.empty()) {
      PrintError(
          "no finding in " + summary.PathOf(kFindingsFile) + " has an id beginning with " + f.id +
          (DetectionWasOff(summary.manifest) ? " (detection was off: no findings were looked for)"
                                             : "") +
          "; " + list_ids);
      return kExitUsage;
    }
    std::string names;
    size_t n = 0;
    for (const std::string& id : ids) {
      if (n++ == 5) {
        names += ", ...";
        break;
      }
      names += (names.empty() ? "" : ", ") + id;
    }
    PrintError(
        fmt::format("--id {} is ambiguous: {} findings' ids begin with it ({}); give more "
                    "of the id: {}",
                    f.id, ids.size(), names, list_ids));
    return kExitUsage;
  }
  Output out;
  const std::unique_ptr<RowSink> sink =
      f.as == "csv"    ? MakeCsvSink(source.columns(), out)
      : f.as == "json" ? MakeJsonSink(out)
                       : MakeRecordSink(source.columns(), ColorOnStdout(), out);
  VectorSource found(FindingsColumns(), std::move(rows));
  (void)Copy(found, Filters{}, 0, *sink);
  if (!FlushOrReport(out)) return kExitOutput;
  if (!error.empty()) {
    PrintError(error);
    return kExitInputErrors;
  }
  return kExitOk;
}

static int ShowSummary(const ShowFlags& f, const Filters& filters) {
  Summary summary;
  std::string error;
  if (const int code = OpenSummaryOrReport(f.out_dir, &summary); code != kExitOk) return code;
  if (!f.id.empty()) return ShowFinding(summary, f);
  if (f.table.empty()) return ShowOverview(summary, f, filters);

  // Filters by the table's known columns, before its file is opened: a filter that does not
  // apply is a usage error (exit 2) also when the file is missing (it was exit 1 then).
  const std::span<const ColumnSpec> known = KnownColumns(f.table);
  CheckFilters(filters, f, {known.begin(), known.end()});
  std::unique_ptr<RowSource> source = OpenTable(summary, f.table, f.as == "table", &error);
  if (source == nullptr) {
    PrintError(error);
    return kExitInputErrors;
  }
  const uint64_t limit =
      f.limit >= 0 ? static_cast<uint64_t>(f.limit) : (f.as == "table" ? kDefaultTableRows : 0);
  Output out;
  std::unique_ptr<RowSink> sink = MakeSink(f, source->columns(), ViewOf(f.table), out);
  InterfaceMiss miss(filters);
  TimeMiss time_miss(filters);
  bool stopped = false;
  error = Copy(*source, filters, limit, *sink, &miss, &stopped, &time_miss);
  if (!FlushOrReport(out)) return kExitOutput;
  miss.Report("the " + f.table + " table");
  time_miss.Report("the " + f.table + " table");
  if (f.table == "findings" && DetectionWasOff(summary.manifest)) {
    // "(no rows)" read as a clean night, as the overview's "none" did.
    fmt::print(stderr,
               "flowsift: note: no findings were looked for: detection was off (--no-detect or "
               "detection.enabled = false)\n");
  }
  // Read to its end without an error, a table cut exactly at the end of one of its zstd frames
  // looked whole: its frames are counted against manifest.json's `tables`, as the overview
  // counts them. Rows past a limit were never read and are not looked at.
  if (error.empty() && !stopped) {
    const std::string_view file = FileOfTable(f.table);
    if (!file.empty()) error = TableFramesProblem(summary, file);
  }
  if (!error.empty()) {
    PrintError(error);
    return kExitInputErrors;
  }
  return kExitOk;
}

}  // namespace flowsift::tools
