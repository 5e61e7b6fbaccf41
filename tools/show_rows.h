// `flowsift show`'s rows: every table of an OUT as a stream of JSON objects keyed by column
// name (RowSource), the filters on them and the copy of a source's rows into a sink
// (tools/show_print.h). tools/show.cc prints one table with them, tools/show_overview.cc the
// overview.
#ifndef FLOWSIFT_TOOLS_SHOW_ROWS_H_
#define FLOWSIFT_TOOLS_SHOW_ROWS_H_

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/export.h"
#include "pipeline/summary.h"
#include "tools/show_print.h"

namespace flowsift::tools {

// SPEC 3.2; the overview lists them in this order, unknown types after them.
inline constexpr std::string_view kFindingTypes[] = {"port_scan",   "port_sweep",   "scan_trw",
                                                     "brute_force", "exfiltration", "reject_spike",
                                                     "ddos_fan_in"};

class RowSource {
 public:
  virtual ~RowSource() = default;
  const std::vector<ColumnSpec>& columns() const { return columns_; }
  // True with the next row; false at the end or on an error (then error() says which file).
  virtual bool Next(nlohmann::ordered_json* row) = 0;
  virtual std::string error() const { return {}; }

 protected:
  std::vector<ColumnSpec> columns_;
};

// The rows a source skips (a CSV record or a JSON line it cannot read): the first kNamed named
// on stderr as they come, all of them counted for the source's error().
class SkippedRows {
 public:
  void Add(const std::string& error);
  // "PATH: N unreadable UNITs skipped", or empty when none was.
  std::string Summary(const std::string& path, std::string_view unit) const;

 private:
  static constexpr uint64_t kNamed = 10;
  uint64_t count_ = 0;
};

// A CSV table: its header names the columns (a newer minor version may append some; those are
// text), numeric columns become JSON numbers.
class CsvSource : public RowSource {
 public:
  // False with *error when the file cannot be opened or its header is another table's.
  bool Open(const std::string& path, std::span<const ColumnSpec> known, std::string* error);
  // A record that cannot be read (malformed quoting, another number of fields than the header)
  // is skipped (SkippedRows), as a bad line of findings is: the rows after it are still shown.
  bool Next(nlohmann::ordered_json* row) override;
  std::string error() const override;

 private:
  CsvTableReader reader_;
  std::vector<std::string> fields_;
  SkippedRows skipped_;
};

class FindingsSource : public RowSource {
 public:
  bool Open(const std::string& path, std::string* error);
  // A line that is not a JSON object is skipped (SkippedRows): the findings after it are still
  // shown.
  bool Next(nlohmann::ordered_json* row) override;
  std::string error() const override;

 private:
  JsonLinesReader reader_;
  SkippedRows skipped_;
};

// Rows already in memory: the manifest's inputs and errors, the overview's tables.
class VectorSource : public RowSource {
 public:
  VectorSource(std::span<const ColumnSpec> columns, std::vector<nlohmann::ordered_json> rows)
      : rows_(std::move(rows)) {
    columns_.assign(columns.begin(), columns.end());
  }
  bool Next(nlohmann::ordered_json* row) override {
    if (next_ >= rows_.size()) return false;
    *row = std::move(rows_[next_++]);
    return true;
  }

 private:
  std::vector<nlohmann::ordered_json> rows_;
  size_t next_ = 0;
};

// A failed input's `error` without what a row already shows in columns of its own: the manifest's
// message starts "path: status: " (docs/input.md), which `drop` lists.
nlohmann::ordered_json FailureText(const nlohmann::ordered_json& in, const std::string& drop);
// The parts of a merged OUT (`merged_from`, docs/distributed.md) that could not be read, as
// {path, error} with the path cut from the front of the error: their inputs are not in OUT,
// and the manifest's `inputs` do not list them.
std::vector<nlohmann::ordered_json> FailedParts(const nlohmann::ordered_json& manifest);
// Whether the run had detection switched off (--no-detect, detection.enabled = false): its
// findings file is empty because none were looked for.
bool DetectionWasOff(const nlohmann::ordered_json& manifest);

// The time a row is of, as --since/--until select it: a finding's flows, first_seen to
// last_seen (a finding whose window started before --since may be seen past it: "since" keeps
// it); another row's window_start alone (and a finding without first_seen and last_seen).
struct TimeSpan {
  uint64_t first, last;
  bool activity;  // of first_seen and last_seen
};
std::optional<TimeSpan> TimeSpanOf(const nlohmann::ordered_json& row);

struct Filters {
  std::string interface_id, type;
  std::optional<uint64_t> since, until;
  int min_severity = 0;

  // Whether the row is of --interface (any row when it is not given).
  bool HasInterface(const nlohmann::ordered_json& row) const;
  // Whether the span overlaps [since, until): last >= since and first < until.
  bool InTime(const TimeSpan& span) const;
  bool Match(const nlohmann::ordered_json& row) const;
};

// --interface is a whole id: a table none of whose rows has it is said so on stderr with the
// ids it does have (those that begin with the text given first), so that a prefix or a typo
// does not read as an interface with no traffic. The output (no rows) and the exit code stay.
class InterfaceMiss {
 public:
  explicit InterfaceMiss(const Filters& f) : filters_(f) {}
  void See(const nlohmann::ordered_json& row);
  void Report(std::string_view table) const;

 private:
  static constexpr size_t kNamed = 5;
  const Filters& filters_;
  bool found_ = false;
  std::set<std::string> ids_;  // the ids seen while none matched
};

// --since/--until that no row of a table starts within (a wrong day, a local time taken for UTC)
// printed "(no rows)", and the overview "0 windows" and "findings none", as of a quiet night:
// stderr says so with the table's first and last window_start (of findings, their first
// first_seen and last last_seen), as `run` names the data's. The output (no rows) and the exit
// code stay.
class TimeMiss {
 public:
  explicit TimeMiss(const Filters& f) : filters_(f) {}
  void See(const nlohmann::ordered_json& row);
  void Report(std::string_view table) const;

 private:
  const Filters& filters_;
  bool found_ = false, seen_ = false, activity_ = false;
  uint64_t first_ = UINT64_MAX, last_ = 0;
};

// Streams `source` through the filters into the sink, stopping after `limit` rows (0: all).
// Returns the source's error, if any; *stopped, when given, says whether the limit stopped the
// copy before the source's end.
// Rows that do not match are shown to `miss` and `time_miss`, when given, until one has the
// interface, or starts within --since/--until.
std::string Copy(RowSource& source, const Filters& filters, uint64_t limit, RowSink& sink,
                 InterfaceMiss* miss = nullptr, bool* stopped = nullptr,
                 TimeMiss* time_miss = nullptr);

}  // namespace flowsift::tools

#endif  // FLOWSIFT_TOOLS_SHOW_ROWS_H_
