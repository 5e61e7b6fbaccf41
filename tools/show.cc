// flowsift show: an OUT directory as aligned tables for a terminal, CSV or JSON Lines
// (SPEC section 2, issue 6). Tables are streamed row by row; only the rows on screen (a page
// of them with --limit 0) and the overview's top windows are held in memory.
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/export.h"
#include "pipeline/reader.h"
#include "pipeline/saturating.h"
#include "pipeline/summary.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/show_print.h"

namespace flowsift::tools {
namespace {

using nlohmann::ordered_json;

constexpr const char* kTableNames[] = {"inputs",  "windows",  "findings",
                                       "talkers", "exposure", "errors"};
// SPEC 3.2; the overview lists them in this order, unknown types after them.
constexpr std::string_view kFindingTypes[] = {"port_scan",   "port_sweep",   "scan_trw",
                                              "brute_force", "exfiltration", "reject_spike",
                                              "ddos_fan_in"};
constexpr int64_t kDefaultTableRows = 50;
constexpr size_t kDefaultBusiest = 10;
// Rows laid out at once with --limit 0: column widths come from the first page, so a huge
// table prints in bounded memory (a later wider value shifts its row, nothing is cut).

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
constexpr ViewColumn kFindingsView[] = {{"severity", "severity", 1},
                                        {"window_start", "window", 2},
                                        {"type", "type", 3},
                                        {"src", "src", 4},
                                        {"dst", "dst", 5},
                                        {"dst_port", "port", 6},
                                        {"protocol", "proto", 8},
                                        {"flows", "flows", 9},
                                        {"bytes", "bytes", 10},
                                        {"distinct_dst_ports", "dports", 11},
                                        {"distinct_dsts", "dsts", 12},
                                        {"packets", "packets", 13},
                                        {"interfaces", "interfaces", 14},
                                        {"mitre", "mitre", 15},
                                        {"first_seen", "first_seen", 16},
                                        {"last_seen", "last_seen", 17},
                                        {"window_end", "window_end", 18},
                                        {"id", "id", 19},
                                        {"summary", "summary", 7, Fit::kCutRight},
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
                                      {"text", "text", 5, Fit::kCutRight}};
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

// ---------------------------------------------------------------------------------------------
// Sources: every table as a stream of JSON objects keyed by column name.

class RowSource {
 public:
  virtual ~RowSource() = default;
  const std::vector<ColumnSpec>& columns() const { return columns_; }
  // True with the next row; false at the end or on an error (then error() says which file).
  virtual bool Next(ordered_json* row) = 0;
  virtual std::string error() const { return {}; }

 protected:
  std::vector<ColumnSpec> columns_;
};

// The rows a source skips (a CSV record or a JSON line it cannot read): the first kNamed named
// on stderr as they come, all of them counted for the source's error().
class SkippedRows {
 public:
  void Add(const std::string& error) {
    if (++count_ <= kNamed) fmt::print(stderr, "flowsift: {} (skipped)\n", Printable(error));
  }
  // "PATH: N unreadable UNITs skipped", or empty when none was.
  std::string Summary(const std::string& path, std::string_view unit) const {
    if (count_ == 0) return {};
    return fmt::format("{}: {} unreadable {}{} skipped", path, count_, unit,
                       count_ == 1 ? "" : "s");
  }

 private:
  static constexpr uint64_t kNamed = 10;
  uint64_t count_ = 0;
};

// A CSV table: its header names the columns (a newer minor version may append some; those are
// text), numeric columns become JSON numbers.
class CsvSource : public RowSource {
 public:
  bool Open(const std::string& path, std::span<const ColumnSpec> known, std::string* error) {
    if (!reader_.Open(path, error)) return false;
    // Another table in this one's place (talkers.csv.zst copied over windows.csv.zst) was shown
    // as this one's rows with exit 0, its totals wrong, where export refused it. A table's first
    // two columns name it (windows and exposure both start with interface_id); a newer minor
    // version may append columns, never change those.
    const std::vector<std::string>& header = reader_.header();
    for (size_t i = 0; i < std::min<size_t>(2, known.size()); ++i) {
      if (i >= header.size() || header[i] != known[i].name) {
        *error = path + ":1: not this table's header: column " + std::to_string(i + 1) + " is `" +
                 (i < header.size() ? header[i] : std::string()) + "`, not `" +
                 std::string(known[i].name) + "` (another table in its place?)";
        return false;
      }
    }
    for (const std::string& name : header) columns_.push_back({name, KindOf(known, name)});
    return true;
  }
  // A record that cannot be read (malformed quoting, another number of fields than the header)
  // is skipped (SkippedRows), as a bad line of findings is: the rows after it are still shown.
  bool Next(ordered_json* row) override {
    while (!reader_.Next(&fields_)) {
      if (!reader_.AtBadRow()) return false;
      skipped_.Add(reader_.error());
    }
    // The caller passes the same object row after row: its keys are set once and the values
    // overwritten in place (a fresh object per row costs more than reading the row).
    if (!row->is_object() || row->size() != fields_.size()) {
      *row = ordered_json::object();
      for (const ColumnSpec& c : columns_) (*row)[std::string(c.name)] = nullptr;
    }
    auto it = row->begin();
    for (size_t i = 0; i < fields_.size(); ++i, ++it) {
      const std::string& f = fields_[i];
      ordered_json& v = it.value();
      std::optional<uint64_t> n;
      if (f.empty()) {
        v = nullptr;
      } else if (IsNumeric(columns_[i].kind) && (n = DecimalU64(f))) {
        v = *n;
      } else if (v.is_string()) {
        v.get_ref<std::string&>() = f;
      } else {
        v = f;
      }
    }
    return true;
  }
  std::string error() const override {
    if (!reader_.error().empty() && !reader_.AtBadRow()) return reader_.error();
    return skipped_.Summary(reader_.path(), "row");
  }

 private:
  CsvTableReader reader_;
  std::vector<std::string> fields_;
  SkippedRows skipped_;
};

class FindingsSource : public RowSource {
 public:
  bool Open(const std::string& path, std::string* error) {
    columns_.assign(FindingsColumns().begin(), FindingsColumns().end());
    return reader_.Open(path, error);
  }
  // A line that is not a JSON object is skipped (SkippedRows): the findings after it are still
  // shown.
  bool Next(ordered_json* row) override {
    while (!reader_.Next(row)) {
      if (!reader_.AtBadLine()) return false;
      skipped_.Add(reader_.error());
    }
    return true;
  }
  std::string error() const override {
    if (!reader_.error().empty()) return reader_.error();
    return skipped_.Summary(reader_.path(), "line");
  }

 private:
  JsonLinesReader reader_;
  SkippedRows skipped_;
};

// Rows already in memory: the manifest's inputs and errors, the overview's tables.
class VectorSource : public RowSource {
 public:
  VectorSource(std::span<const ColumnSpec> columns, std::vector<ordered_json> rows)
      : rows_(std::move(rows)) {
    columns_.assign(columns.begin(), columns.end());
  }
  bool Next(ordered_json* row) override {
    if (next_ >= rows_.size()) return false;
    *row = std::move(rows_[next_++]);
    return true;
  }

 private:
  std::vector<ordered_json> rows_;
  size_t next_ = 0;
};

// A failed input's `error` without what a row already shows in columns of its own: the manifest's
// message starts "path: status: " (docs/input.md), which `drop` lists.
ordered_json FailureText(const ordered_json& in, const std::string& drop) {
  if (!in.contains("error") || !in["error"].is_string()) return ordered_json();
  const std::string error = in["error"].get<std::string>();
  return error.compare(0, drop.size(), drop) == 0 ? error.substr(drop.size()) : error;
}

// The parts of a merged OUT (`merged_from`, docs/distributed.md) that could not be read, as
// {path, error} with the path cut from the front of the error: their inputs are not in OUT,
// and the manifest's `inputs` do not list them.
std::vector<ordered_json> FailedParts(const ordered_json& manifest) {
  std::vector<ordered_json> parts;
  const auto from = manifest.find("merged_from");
  if (from == manifest.end() || !from->is_array()) return parts;
  for (const ordered_json& p : *from) {
    if (!p.is_object() || p.value("status", "") == "ok") continue;
    const std::string path = p.value("path", "");
    parts.push_back({{"path", path}, {"error", FailureText(p, path + ": ")}});
  }
  return parts;
}

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

// ---------------------------------------------------------------------------------------------
// Filters.

struct Filters {
  std::string interface_id, type;
  std::optional<uint64_t> since, until;
  int min_severity = 0;

  // Whether the row is of --interface (any row when it is not given).
  bool HasInterface(const ordered_json& row) const {
    if (interface_id.empty()) return true;
    const auto one = row.find("interface_id");
    const auto many = row.find("interfaces");
    return (one != row.end() && *one == interface_id) ||
           (many != row.end() && many->is_array() &&
            std::find(many->begin(), many->end(), ordered_json(interface_id)) != many->end());
  }

  bool Match(const ordered_json& row) const {
    if (!HasInterface(row)) return false;
    if (since || until) {
      const auto w = row.find("window_start");
      if (w == row.end() || !w->is_number_unsigned()) return false;
      const uint64_t t = w->get<uint64_t>();
      if ((since && t < *since) || (until && t >= *until)) return false;
    }
    if (!type.empty()) {
      const auto it = row.find("type");
      if (it == row.end() || *it != type) return false;
    }
    if (min_severity > 0) {
      const auto it = row.find("severity");
      if (it == row.end() || !it->is_number() || it->get<int>() < min_severity) return false;
    }
    return true;
  }
};

// --interface is a whole id: a table none of whose rows has it is said so on stderr with the
// ids it does have (those that begin with the text given first), so that a prefix or a typo
// does not read as an interface with no traffic. The output (no rows) and the exit code stay.
class InterfaceMiss {
 public:
  explicit InterfaceMiss(const Filters& f) : filters_(f) {}
  void See(const ordered_json& row) {
    if (filters_.interface_id.empty() || found_) return;
    if (filters_.HasInterface(row)) {
      found_ = true;
      ids_.clear();
      return;
    }
    const auto add = [&](const ordered_json& id) {
      if (id.is_string()) ids_.insert(id.get<std::string>());
    };
    if (const auto one = row.find("interface_id"); one != row.end()) add(*one);
    if (const auto many = row.find("interfaces"); many != row.end() && many->is_array()) {
      for (const ordered_json& id : *many) add(id);
    }
  }
  void Report(std::string_view table) const {
    if (filters_.interface_id.empty() || found_) return;
    if (ids_.empty()) return;        // no rows, or none with an id: nothing to suggest
    std::vector<std::string> begin;  // the ids that begin with the text given, else all
    for (const std::string& id : ids_) {
      if (id.starts_with(filters_.interface_id)) begin.push_back(id);
    }
    const bool prefix = !begin.empty();
    if (!prefix) begin.assign(ids_.begin(), ids_.end());
    std::string list;
    for (size_t i = 0; i < std::min(begin.size(), kNamed); ++i) {
      list += (i == 0 ? "" : ", ") + Printable(begin[i]);
    }
    if (begin.size() > kNamed) list += ", ...";
    std::string which;
    if (!prefix) {
      which = fmt::format("its {} interface{} {}", ids_.size(), ids_.size() == 1 ? " is" : "s are",
                          list);
    } else if (begin.size() == ids_.size()) {
      which = fmt::format("all {} of its interfaces begin with it: {}", begin.size(), list);
    } else {
      which = fmt::format("{} of its {} interfaces begin{} with it: {}", begin.size(), ids_.size(),
                          begin.size() == 1 ? "s" : "", list);
    }
    fmt::print(stderr,
               "flowsift: note: no row of {} has interface {} (--interface takes a whole id); "
               "{}\n",
               table, Printable(filters_.interface_id), which);
  }

 private:
  static constexpr size_t kNamed = 5;
  const Filters& filters_;
  bool found_ = false;
  std::set<std::string> ids_;  // the ids seen while none matched
};

// --since/--until that no row of a table starts within (a wrong day, a local time taken for UTC)
// printed "(no rows)", and the overview "0 windows" and "findings none", as of a quiet night:
// stderr says so with the table's first and last window_start, as `run` names the data's. The
// output (no rows) and the exit code stay.
class TimeMiss {
 public:
  explicit TimeMiss(const Filters& f) : filters_(f) {}
  void See(const ordered_json& row) {
    if ((!filters_.since && !filters_.until) || found_) return;
    const auto w = row.find("window_start");
    if (w == row.end() || !w->is_number_unsigned()) return;
    const uint64_t t = w->get<uint64_t>();
    if ((!filters_.since || t >= *filters_.since) && (!filters_.until || t < *filters_.until)) {
      found_ = true;
      return;
    }
    first_ = std::min(first_, t);
    last_ = std::max(last_, t);
    seen_ = true;
  }
  void Report(std::string_view table) const {
    if (found_ || !seen_) return;  // a row within, or no row with a start: nothing to say
    std::string filter;
    if (filters_.since) filter = "--since " + FormatIsoTime(*filters_.since);
    if (filters_.until) {
      filter +=
          (filter.empty() ? "" : " ") + std::string("--until ") + FormatIsoTime(*filters_.until);
    }
    fmt::print(stderr,
               "flowsift: note: no row of {} starts within {}: its window_start runs from {} to "
               "{}\n",
               table, filter, FormatIsoTime(first_), FormatIsoTime(last_));
  }

 private:
  const Filters& filters_;
  bool found_ = false, seen_ = false;
  uint64_t first_ = UINT64_MAX, last_ = 0;
};

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

// Streams `source` through the filters into the sink, stopping after `limit` rows (0: all).
// Returns the source's error, if any; *stopped, when given, says whether the limit stopped the
// copy before the source's end.
// Rows that do not match are shown to `miss` and `time_miss`, when given, until one has the
// interface, or starts within --since/--until.
std::string Copy(RowSource& source, const Filters& filters, uint64_t limit, RowSink& sink,
                 InterfaceMiss* miss = nullptr, bool* stopped = nullptr,
                 TimeMiss* time_miss = nullptr) {
  ordered_json row;
  uint64_t n = 0;
  bool more = false;
  // Not past a write to stdout that failed: a million rows decoded for a reader of a pipe that
  // has gone (`| head` with SIGPIPE ignored) or for a full disk.
  while (!sink.Failed() && source.Next(&row)) {
    if (miss != nullptr) miss->See(row);
    if (time_miss != nullptr) time_miss->See(row);
    if (!filters.Match(row)) continue;
    if (limit != 0 && n == limit) {
      more = true;  // one row past the limit says there is more, without reading the rest
      break;
    }
    sink.Add(row);
    ++n;
  }
  sink.Finish(more);
  if (stopped != nullptr) *stopped = more;
  // Rows skipped among those read count even when the limit stopped the copy; what was never
  // read is not looked at.
  return source.error();
}

// ---------------------------------------------------------------------------------------------
// The overview.

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

// Whether the run had detection switched off (--no-detect, detection.enabled = false): its
// findings file is empty because none were looked for.
bool DetectionWasOff(const ordered_json& manifest) {
  const auto detection = manifest.find("detection");
  return detection != manifest.end() && detection->is_object() && detection->contains("enabled") &&
         (*detection)["enabled"].is_boolean() && !(*detection)["enabled"].get<bool>();
}

struct Busiest {
  uint64_t bytes, seq;
  ordered_json row;
  // Min-heap on (bytes, earlier rows first among equals): the top is the one to drop.
  bool operator<(const Busiest& o) const {
    return bytes != o.bytes ? bytes > o.bytes : seq < o.seq;
  }
};

int ShowOverview(const Summary& s, const ShowFlags& flags, const Filters& filters) {
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
  Output out;
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
                     {"by_severity", fs}};
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
  if (finding_count == 0) {
    // "none" of a damaged file, or of a run without detection, would read as a clean night:
    // say what was counted.
    t += !findings_problem.empty()
             ? "\nfindings   none readable (the file is damaged: see stderr)\n"
         : detection_off ? "\nfindings   none looked for (detection was off: --no-detect or "
                           "detection.enabled = false)\n"
                         : "\nfindings   none\n";
    return code;
  }
  t += fmt::format("\nfindings   {}{}\n", finding_count,
                   findings_problem.empty() ? "" : " readable (the file is damaged: see stderr)");
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
      "  flowsift show out --table errors\n\n"
      "Exit codes: 0 ok; 1 a file in OUT is missing or corrupt (bad finding lines are named\n"
      "and skipped); 2 usage error (also: OUT missing, not a flowsift directory, or of another\n"
      "major format version); 3 stdout could not all be written.");
  cmd->add_option("OUT", f.out_dir, "The directory `flowsift run -o OUT` wrote")->required();
  cmd->add_option("--table", f.table,
                  "One table: inputs, windows, findings, talkers, exposure, errors")
      ->check(
          CLI::IsMember(std::vector<std::string>(std::begin(kTableNames), std::end(kTableNames))));
  cmd->add_option("--as", f.as, "Output: table (for a terminal), csv or json (JSON Lines)")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->add_option("--limit", f.limit,
                  "At most N rows (0 = all; default 50 for --as table, all for csv and json);\n"
                  "without --table, the busiest windows (default 10)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            // CLI11's NonNegativeNumber printed its range as a 309-digit double.
            const bool digits =
                !v.empty() && v.size() <= 18 &&
                std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
            return digits
                       ? std::string()
                       : "'" + v + "' is not a row count: give 0 (all rows) or a positive number";
          },
          "", "row count"))
      ->type_name("N");
  cmd->add_option("--interface", f.interface_id,
                  "Only this interface (windows, exposure, findings)");
  std::string types;
  for (std::string_view t : kFindingTypes) types += (types.empty() ? "" : ", ") + std::string(t);
  cmd->add_option("--type", f.type, "Only findings of this type: " + types);
  cmd->add_option("--since", f.since,
                  "Only windows starting at or after this time: epoch seconds (milliseconds\n"
                  "from 10^11, as in the records) or ISO-8601\n"
                  "(2026-11-28, 2026-11-28T10:00Z, 2026-11-28 11:30:00+01:00, 20261128T100000Z;\n"
                  "UTC when no offset is given; a fraction of a second rounds up)");
  cmd->add_option("--until", f.until, "Only windows starting before this time");
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

int RunShow(const ShowFlags& f) {
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

static int ShowSummary(const ShowFlags& f, const Filters& filters) {
  Summary summary;
  std::string error;
  if (const int code = OpenSummaryOrReport(f.out_dir, &summary); code != kExitOk) return code;
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
  out.Flush();
  if (out.error() != 0) {
    // Named by its cause: "a full disk?" was guessed also of a pipe whose reader had gone.
    fmt::print(stderr, "flowsift: cannot write to stdout: {}: the output is incomplete\n",
               std::strerror(out.error()));
    return kExitOutput;
  }
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
