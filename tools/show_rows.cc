#include "tools/show_rows.h"

#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tools/commands.h"

namespace flowsift::tools {

using nlohmann::ordered_json;

void SkippedRows::Add(const std::string& error) {
  if (++count_ <= kNamed) fmt::print(stderr, "flowsift: {} (skipped)\n", Printable(error));
}

std::string SkippedRows::Summary(const std::string& path, std::string_view unit) const {
  if (count_ == 0) return {};
  return fmt::format("{}: {} unreadable {}{} skipped", path, count_, unit, count_ == 1 ? "" : "s");
}

bool CsvSource::Open(const std::string& path, std::span<const ColumnSpec> known,
                     std::string* error) {
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

bool CsvSource::Next(ordered_json* row) {
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

std::string CsvSource::error() const {
  if (!reader_.error().empty() && !reader_.AtBadRow()) return reader_.error();
  return skipped_.Summary(reader_.path(), "row");
}

bool FindingsSource::Open(const std::string& path, std::string* error) {
  columns_.assign(FindingsColumns().begin(), FindingsColumns().end());
  return reader_.Open(path, error);
}

bool FindingsSource::Next(ordered_json* row) {
  while (!reader_.Next(row)) {
    if (!reader_.AtBadLine()) return false;
    skipped_.Add(reader_.error());
  }
  return true;
}

std::string FindingsSource::error() const {
  if (!reader_.error().empty()) return reader_.error();
  return skipped_.Summary(reader_.path(), "line");
}

ordered_json FailureText(const ordered_json& in, const std::string& drop) {
  if (!in.contains("error") || !in["error"].is_string()) return ordered_json();
  const std::string error = in["error"].get<std::string>();
  return error.compare(0, drop.size(), drop) == 0 ? error.substr(drop.size()) : error;
}

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

bool DetectionWasOff(const ordered_json& manifest) {
  const auto detection = manifest.find("detection");
  return detection != manifest.end() && detection->is_object() && detection->contains("enabled") &&
         (*detection)["enabled"].is_boolean() && !(*detection)["enabled"].get<bool>();
}

bool Filters::HasInterface(const ordered_json& row) const {
  if (interface_id.empty()) return true;
  const auto one = row.find("interface_id");
  const auto many = row.find("interfaces");
  return (one != row.end() && *one == interface_id) ||
         (many != row.end() && many->is_array() &&
          std::find(many->begin(), many->end(), ordered_json(interface_id)) != many->end());
}

std::optional<TimeSpan> TimeSpanOf(const ordered_json& row) {
  const auto time = [&](const char* key) -> std::optional<uint64_t> {
    const auto it = row.find(key);
    if (it == row.end() || !it->is_number_unsigned()) return std::nullopt;
    return it->get<uint64_t>();
  };
  const std::optional<uint64_t> start = time("window_start");
  if (!row.contains("last_seen")) {  // a window's, a talker's row
    if (!start) return std::nullopt;
    return TimeSpan{*start, *start, false};
  }
  const std::optional<uint64_t> first = time("first_seen"), last = time("last_seen");
  if (first && last) return TimeSpan{*first, std::max(*first, *last), true};
  if (!start) return std::nullopt;  // a damaged finding: its window's start alone
  return TimeSpan{*start, *start, false};
}

bool Filters::InTime(const TimeSpan& span) const {
  return (!since || span.last >= *since) && (!until || span.first < *until);
}

bool Filters::Match(const ordered_json& row) const {
  if (!HasInterface(row)) return false;
  if (since || until) {
    const std::optional<TimeSpan> span = TimeSpanOf(row);
    if (!span || !InTime(*span)) return false;
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

void InterfaceMiss::See(const ordered_json& row) {
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

void InterfaceMiss::Report(std::string_view table) const {
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
    which =
        fmt::format("its {} interface{} {}", ids_.size(), ids_.size() == 1 ? " is" : "s are", list);
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

void TimeMiss::See(const ordered_json& row) {
  if ((!filters_.since && !filters_.until) || found_) return;
  const std::optional<TimeSpan> span = TimeSpanOf(row);
  if (!span) return;
  if (filters_.InTime(*span)) {
    found_ = true;
    return;
  }
  first_ = std::min(first_, span->first);
  last_ = std::max(last_, span->last);
  seen_ = true;
  activity_ = activity_ || span->activity;
}

void TimeMiss::Report(std::string_view table) const {
  if (found_ || !seen_) return;  // a row within, or no row with a start: nothing to say
  std::string filter;
  if (filters_.since) filter = "--since " + FormatIsoTime(*filters_.since);
  if (filters_.until) {
    filter +=
        (filter.empty() ? "" : " ") + std::string("--until ") + FormatIsoTime(*filters_.until);
  }
  if (activity_) {
    fmt::print(stderr,
               "flowsift: note: no row of {} was seen within {}: its first_seen runs from {}, "
               "its last_seen to {}\n",
               table, filter, FormatIsoTime(first_), FormatIsoTime(last_));
    return;
  }
  fmt::print(stderr,
             "flowsift: note: no row of {} starts within {}: its window_start runs from {} to "
             "{}\n",
             table, filter, FormatIsoTime(first_), FormatIsoTime(last_));
}

std::string Copy(RowSource& source, const Filters& filters, uint64_t limit, RowSink& sink,
                 InterfaceMiss* miss, bool* stopped, TimeMiss* time_miss) {
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

}  // namespace flowsift::tools
