#include "tools/show_print.h"

#include <fmt/core.h>
#include <langinfo.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "pipeline/json_text.h"
#include "tools/progress.h"

namespace flowsift::tools {
namespace {

using nlohmann::ordered_json;

// Rows laid out at once with --limit 0: column widths come from the first page, so a huge
// table prints in bounded memory (a later wider value shifts its row, nothing is cut).
constexpr size_t kPageRows = 1000;
constexpr int kGap = 2;             // spaces between columns
constexpr size_t kMinElastic = 12;  // narrowest a truncated text column gets
constexpr int kDefaultWidth = 100;  // when stdout is not a terminal and COLUMNS is not set

// Terminal columns of UTF-8 text: one per code point (no East Asian wide characters here).
size_t DisplayWidth(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The mark of cut text: "…" where the locale's codeset is UTF-8, else "..." ("…" is three bytes
// of UTF-8, which a terminal in the C or a Latin-1 locale shows as three other characters). The
// locale is set from the environment only to ask, and put back: the C locale of every other
// function (std::tolower, the parsers) stays. A locale the system does not have (LANG=
// en_US.UTF-8 in a container without it) is judged by its name.
std::string_view Ellipsis() {
  static const bool utf8 = [] {
    const auto is_utf8 = [](std::string_view name) {
      std::string lower;
      for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return lower.find("utf-8") != std::string::npos || lower.find("utf8") != std::string::npos;
    };
    const char* current = std::setlocale(LC_CTYPE, nullptr);
    const std::string previous = current != nullptr ? current : "C";
    bool yes = false;
    if (std::setlocale(LC_CTYPE, "") != nullptr) {
      yes = is_utf8(nl_langinfo(CODESET));
      std::setlocale(LC_CTYPE, previous.c_str());
    } else {
      for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {  // POSIX's order of precedence
        const char* value = std::getenv(name);
        if (value != nullptr && *value != '\0') {
          yes = is_utf8(value);
          break;
        }
      }
    }
    return yes;
  }();
  return utf8 ? "…" : "...";
}

// `s` cut to `width` columns with an ellipsis on the given side; a fixed column's value whole
// (wider than the first page's, it shifts its row: the rows after the first 1,000 of --limit 0
// had numbers and ids cut to "tgw-attach-00…").
std::string CutTo(std::string_view s, size_t width, Fit fit) {
  if (fit == Fit::kFixed || DisplayWidth(s) <= width || width == 0) return std::string(s);
  const std::string_view mark = Ellipsis();
  const size_t mark_width = DisplayWidth(mark);
  if (width <= mark_width) return std::string(mark.substr(0, width));
  size_t keep = width - mark_width, n = 0;
  if (fit == Fit::kCutLeft) {
    size_t i = s.size();
    while (i > 0) {
      --i;
      if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++n == keep) break;
    }
    return std::string(mark) + std::string(s.substr(i));
  }
  size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && n++ == keep) break;
  }
  return std::string(s.substr(0, i)) + std::string(mark);
}

// The length of the escape that Printable writes at s's start (`\x1b` 4, `\u009b` 6, `\t` 2),
// or 1 when s starts with another character.
size_t EscapeLength(std::string_view s) {
  if (s.size() < 2 || s[0] != '\\') return 1;
  switch (s[1]) {
    case 'x':
      return 4;
    case 'u':
      return 6;
    case 't':
    case 'n':
    case 'r':
      return 2;
    default:
      return 1;
  }
}

// `s` in pieces of at most `width` columns, each broken after its last space past the middle of
// the piece when it has one (a flow log line's fields stay whole), else at `width` but not
// inside an escape of a control byte: `\x1b` split as `\x` and `1b` read as text.
std::vector<std::string> WrapTo(std::string_view s, size_t width) {
  std::vector<std::string> pieces;
  if (width == 0) width = 1;
  while (DisplayWidth(s) > width) {
    size_t end = 0, n = 0, space = 0;
    for (; end < s.size(); ++end) {
      if ((static_cast<unsigned char>(s[end]) & 0xC0) != 0x80 && n++ == width) break;
      if (s[end] == ' ' && n > width / 2) space = end + 1;
    }
    if (space != 0 && space < end) {
      end = space;
    } else {
      // An escape is ASCII, at most 6 bytes: one that starts before `end` and ends after it
      // goes whole to the next piece (unless it starts the piece: a piece is never empty).
      for (size_t back = 1; back < 6 && back < end; ++back) {
        if (s[end - back] != '\\') continue;
        if (EscapeLength(s.substr(end - back)) > back) end -= back;
        break;
      }
    }
    pieces.emplace_back(s.substr(0, end));
    s.remove_prefix(end);
  }
  pieces.emplace_back(s);
  return pieces;
}

std::string IsoTime(uint64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return std::to_string(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Join(const ordered_json& list, std::string_view sep) {
  std::string out;
  for (const ordered_json& v : list) {
    if (!out.empty()) out += sep;
    out += v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

// A value as the terminal view shows it.
std::string Render(const ordered_json& v, ColumnKind kind) {
  if (v.is_null()) return "-";
  // A negative number (a damaged line's) as it is: as unsigned it was 2^64 - n.
  if (v.is_number_integer() && !v.is_number_unsigned()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) {
    const uint64_t n = v.get<uint64_t>();
    switch (kind) {
      case ColumnKind::kBytes:
        return HumanBytes(static_cast<double>(n));
      case ColumnKind::kTime:
        return IsoTime(n);
      case ColumnKind::kSeverity:
        return n < std::size(kSeverityNames) ? std::string(kSeverityNames[n]) : std::to_string(n);
      default:
        return std::to_string(n);
    }
  }
  if (v.is_string()) return Printable(v.get_ref<const std::string&>());
  if (v.is_array()) return Printable(Join(v, ","));
  return Printable(Dump(v));
}

bool RightAligned(ColumnKind kind) {
  return kind == ColumnKind::kInteger || kind == ColumnKind::kBytes;
}

const char* SeverityColor(const ordered_json& v) {
  if (!v.is_number()) return nullptr;
  switch (v.get<int>()) {
    case 4:
      return "\033[1;31m";  // bold red
    case 3:
      return "\033[31m";
    case 2:
      return "\033[33m";
    case 1:
      return "\033[36m";
    default:
      return nullptr;
  }
}

class CsvSink : public RowSink {
 public:
  CsvSink(const std::vector<ColumnSpec>& columns, Output& out) : columns_(columns), out_(out) {
    std::string& t = out_.text();
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) t += ',';
      AppendCsvField(columns_[i].name, t);
    }
    t += '\n';
  }
  // Lists are joined with ';' (no comma, so rarely quoted) and objects are JSON text.
  void Add(const ordered_json& row) override {
    std::string& t = out_.text();
    auto next = row.begin();  // rows usually hold the columns in order: no lookup then
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) t += ',';
      auto it =
          next != row.end() && next.key() == columns_[i].name ? next : row.find(columns_[i].name);
      if (it == row.end()) continue;
      next = std::next(it);
      const ordered_json& v = *it;
      if (v.is_null()) continue;
      if (v.is_number_unsigned()) {
        AppendUint(v.get<uint64_t>(), t);
      } else if (v.is_string()) {
        AppendCsvField(v.get_ref<const std::string&>(), t);
      } else if (v.is_array()) {
        AppendCsvField(Join(v, ";"), t);
      } else {
        AppendCsvField(Dump(v), t);
      }
    }
    t += '\n';
    out_.MaybeFlush();
  }
  void Finish(bool) override {}
  bool Failed() const override { return out_.error() != 0; }

 private:
  const std::vector<ColumnSpec>& columns_;
  Output& out_;
};

class JsonSink : public RowSink {
 public:
  explicit JsonSink(Output& out) : out_(out) {}
  void Add(const ordered_json& row) override {
    std::string& t = out_.text();
    AppendJson(row, t);
    t += '\n';
    out_.MaybeFlush();
  }
  void Finish(bool) override {}
  bool Failed() const override { return out_.error() != 0; }

 private:
  Output& out_;
};

class TableSink : public RowSink {
 public:
  // Ends with a line naming the view's columns that did not fit and, with
  // `note_outside_view`, the table's columns the view does not have.
  TableSink(const std::vector<ColumnSpec>& columns, std::span<const ViewColumn> view, int width,
            bool color, Output& out, bool note_outside_view = true)
      : width_(width), color_(color), note_outside_view_(note_outside_view), out_(out) {
    for (const ViewColumn& v : view) {
      for (const ColumnSpec& c : columns) {
        if (c.name == v.name) cols_.push_back({&v, c.kind});
      }
    }
    for (const ColumnSpec& c : columns) {
      if (std::none_of(view.begin(), view.end(),
                       [&](const ViewColumn& v) { return v.name == c.name; })) {
        hidden_.push_back(std::string(c.name));
      }
    }
  }

  void Add(const ordered_json& row) override {
    Line line;
    for (const Col& c : cols_) {
      const auto it = row.find(c.view->name);
      line.cells.push_back(it == row.end() ? "-" : Render(*it, c.kind));
      if (c.kind == ColumnKind::kSeverity && it != row.end()) line.color = SeverityColor(*it);
    }
    page_.push_back(std::move(line));
    if (page_.size() >= kPageRows) PrintPage();
  }

  bool Failed() const override { return out_.error() != 0; }

  void Finish(bool more) override {
    PrintPage();
    std::string& t = out_.text();
    if (rows_ == 0) t += "(no rows)\n";
    if (more) {
      t += fmt::format("(first {} row{}; --limit N or --limit 0 shows more)\n", rows_,
                       rows_ == 1 ? "" : "s");
    }
    std::vector<std::string> hidden = note_outside_view_ ? hidden_ : std::vector<std::string>();
    bool ids = false;  // the findings' ids are on screen: --id shows one of them whole
    for (const Col& c : cols_) {
      if (!c.shown) hidden.push_back(std::string(c.view->name));
      ids |= c.shown && c.view->name == "id";
    }
    if (!hidden.empty()) {
      std::string names;
      for (const std::string& h : hidden) names += (names.empty() ? "" : ", ") + h;
      t += fmt::format("(not shown: {}; widen the terminal or use --as csv or --as json{})\n",
                       names, ids ? ", or --id ID for one finding whole" : "");
    }
  }

 private:
  struct Col {
    const ViewColumn* view;
    ColumnKind kind;
    size_t width = 0;
    bool shown = false;
  };
  struct Line {
    std::vector<std::string> cells;
    const char* color = nullptr;  // of the severity cell
  };

  // Widths from the first page. Columns are taken most important first: a fixed one when it
  // fits at its natural width; a text column that may be cut claims up to a third of the
  // terminal (so one long path or summary does not crowd out the rest), or what is left if
  // that is at least kMinElastic. The first that does not fit ends the taking: a narrower,
  // less important one after it (a port without its finding's type or addresses) would read
  // as the row's whole story. What remains at the end widens the cut columns.
  void LayOut() {
    std::vector<size_t> natural(cols_.size());
    for (size_t i = 0; i < cols_.size(); ++i) {
      natural[i] = DisplayWidth(cols_[i].view->label);
      for (const Line& l : page_) natural[i] = std::max(natural[i], DisplayWidth(l.cells[i]));
    }
    std::vector<size_t> order(cols_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return cols_[a].view->keep < cols_[b].view->keep; });
    const size_t width = static_cast<size_t>(width_);
    size_t used = 0;
    bool any = false;
    for (size_t i : order) {
      Col& c = cols_[i];
      const size_t gap = any ? kGap : 0;
      const size_t avail = used + gap < width ? width - used - gap : 0;
      if (c.view->fit == Fit::kFixed) {
        c.width = natural[i];
      } else {
        c.width = std::min({natural[i], std::max(kMinElastic, width / 3), avail});
        c.width = std::max(c.width, std::min(natural[i], kMinElastic));
      }
      if (any && c.width > avail) break;
      c.shown = any = true;
      used += gap + c.width;
    }
    for (size_t i = 0; i < cols_.size(); ++i) {
      Col& c = cols_[i];
      if (!c.shown || c.view->fit == Fit::kFixed) continue;
      const size_t extra = std::min(natural[i] - c.width, used < width ? width - used : 0);
      c.width += extra;
      used += extra;
    }
    std::vector<std::string> labels, rules;
    for (const Col& c : cols_) {
      labels.emplace_back(c.view->label);
      rules.emplace_back(c.width, '-');
    }
    PrintLine({labels, nullptr}, /*align_numbers=*/true);
    PrintLine({rules, nullptr}, false);
  }

  void PrintLine(const Line& line, bool align_numbers) {
    std::string& t = out_.text();
    size_t last = 0;
    for (size_t i = 0; i < cols_.size(); ++i) {
      if (cols_[i].shown) last = i;
    }
    // A wrapped cell's pieces after its first go on lines of their own, under its column, the
    // other columns blank there. Rows without one wider than its column print as they did.
    std::vector<std::vector<std::string>> wrapped;
    size_t lines = 1;
    for (size_t i = 0; i < cols_.size(); ++i) {
      const Col& c = cols_[i];
      if (!c.shown || c.view->fit != Fit::kWrap || DisplayWidth(line.cells[i]) <= c.width) continue;
      if (wrapped.empty()) wrapped.resize(cols_.size());
      wrapped[i] = WrapTo(line.cells[i], c.width);
      lines = std::max(lines, wrapped[i].size());
    }
    for (size_t k = 0; k < lines; ++k) {
      bool first = true;
      size_t content = t.size();  // the end of the line's last non-empty cell
      for (size_t i = 0; i < cols_.size(); ++i) {
        const Col& c = cols_[i];
        if (!c.shown) continue;
        if (!first) t.append(kGap, ' ');
        first = false;
        const std::string cell = !wrapped.empty() && !wrapped[i].empty()
                                     ? (k < wrapped[i].size() ? wrapped[i][k] : std::string())
                                 : k == 0 ? CutTo(line.cells[i], c.width, c.view->fit)
                                          : std::string();
        const size_t pad = c.width > DisplayWidth(cell) ? c.width - DisplayWidth(cell) : 0;
        const char* color =
            color_ && c.kind == ColumnKind::kSeverity && k == 0 ? line.color : nullptr;
        if (align_numbers && RightAligned(c.kind)) t.append(pad, ' ');
        if (color != nullptr) t += color;
        t += cell;
        if (color != nullptr) t += "\033[0m";
        if (!cell.empty()) content = t.size();
        if (!(align_numbers && RightAligned(c.kind)) && i != last) t.append(pad, ' ');
      }
      // A continuation line ends where its piece does (a space it was broken after included),
      // without the blanks of the empty columns after it.
      if (k > 0) t.resize(content);
      t += '\n';
    }
  }

  void PrintPage() {
    if (page_.empty()) {
      if (!laid_out_ && rows_ == 0) {
        LayOut();
        laid_out_ = true;
      }
      return;
    }
    if (!laid_out_) LayOut();
    laid_out_ = true;
    for (const Line& l : page_) {
      PrintLine(l, true);
      out_.MaybeFlush();
    }
    rows_ += page_.size();
    page_.clear();
  }

  int width_;
  bool color_;
  bool note_outside_view_;
  Output& out_;
  std::vector<Col> cols_;
  std::vector<std::string> hidden_;
  std::vector<Line> page_;
  bool laid_out_ = false;
  size_t rows_ = 0;
};

// One row as a block of "name  value" lines: every key of the row in its order, each value
// whole (the terminal wraps a long one), an object's keys a line each ("evidence.threshold").
class RecordSink : public RowSink {
 public:
  RecordSink(const std::vector<ColumnSpec>& columns, bool color, Output& out)
      : columns_(columns), color_(color), out_(out) {}

  void Add(const ordered_json& row) override {
    std::vector<std::pair<std::string, std::string>> lines;
    for (const auto& [key, v] : row.items()) {
      const ColumnKind kind = KindOf(columns_, key);
      if (v.is_object() && !v.empty()) {
        for (const auto& [k, e] : v.items()) {
          lines.emplace_back(Printable(key + "." + k),
                             e.is_string() ? Printable(e.get<std::string>()) : Printable(Dump(e)));
        }
        continue;
      }
      std::string text = Render(v, kind);
      // The number beside its rendering: the view of one record is where it is looked up.
      if (v.is_number_unsigned() && (kind == ColumnKind::kTime || kind == ColumnKind::kBytes ||
                                     kind == ColumnKind::kSeverity)) {
        text = kind == ColumnKind::kBytes ? std::to_string(v.get<uint64_t>()) + " (" + text + ")"
                                          : text + " (" + std::to_string(v.get<uint64_t>()) + ")";
      }
      if (v.is_array()) text = v.empty() ? "-" : Printable(Join(v, ", "));
      if (v.is_object()) text = "-";  // an empty object: no evidence
      if (const char* color = color_ && kind == ColumnKind::kSeverity ? SeverityColor(v) : nullptr;
          color != nullptr) {
        text = color + text + "\033[0m";
      }
      lines.emplace_back(Printable(key), std::move(text));
    }
    size_t width = 0;
    for (const auto& l : lines) width = std::max(width, DisplayWidth(l.first));
    std::string& t = out_.text();
    if (rows_ > 0) t += '\n';
    for (const auto& [name, value] : lines) {
      t += name;
      t.append(width - DisplayWidth(name) + kGap, ' ');
      t += value;
      t += '\n';
    }
    ++rows_;
    out_.MaybeFlush();
  }
  void Finish(bool) override {
    if (rows_ == 0) out_.text() += "(no rows)\n";
  }
  bool Failed() const override { return out_.error() != 0; }

 private:
  const std::vector<ColumnSpec>& columns_;
  bool color_;
  Output& out_;
  size_t rows_ = 0;
};

}  // namespace

std::unique_ptr<RowSink> MakeCsvSink(const std::vector<ColumnSpec>& columns, Output& out) {
  return std::make_unique<CsvSink>(columns, out);
}
std::unique_ptr<RowSink> MakeJsonSink(Output& out) { return std::make_unique<JsonSink>(out); }
std::unique_ptr<RowSink> MakeTableSink(const std::vector<ColumnSpec>& columns,
                                       std::span<const ViewColumn> view, int width, bool color,
                                       Output& out, bool note_outside_view) {
  return std::make_unique<TableSink>(columns, view, width, color, out, note_outside_view);
}

std::unique_ptr<RowSink> MakeRecordSink(const std::vector<ColumnSpec>& columns, bool color,
                                        Output& out) {
  return std::make_unique<RecordSink>(columns, color, out);
}

int TerminalWidth() {
  if (const int columns = ColumnsOf(STDOUT_FILENO); columns > 0) return columns;
  if (const int columns = ColumnsOfEnvironment(); columns > 0) return columns;
  return kDefaultWidth;
}

bool ColorOnStdout() {
  if (isatty(STDOUT_FILENO) == 0) return false;
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return (no_color == nullptr || *no_color == '\0') &&
         (term == nullptr || std::string_view(term) != "dumb");
}

std::string Printable(std::string_view s) {
  std::string out;
  int continuations = 0;  // of the UTF-8 sequence under way
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    // U+0080..U+009F, C2 80..C2 9F in UTF-8, are the C1 controls: U+009B is a CSI, as ESC [.
    const unsigned char next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    const bool continuation = c >= 0x80 && c <= 0xBF && continuations > 0;
    continuations = continuation             ? continuations - 1
                    : c >= 0xC2 && c <= 0xDF ? 1
                    : c >= 0xE0 && c <= 0xEF ? 2
                    : c >= 0xF0 && c <= 0xF4 ? 3
                                             : 0;
    if (c == 0xC2 && next >= 0x80 && next <= 0x9F) {
      out += fmt::format("\\u{:04x}", next);
      ++i;
      continuations = 0;
    } else if (c >= 0x80 && c <= 0x9F && !continuation) {
      // A bare byte 0x80..0x9F, in no UTF-8 sequence, is the same C1 control to a terminal in
      // a Latin-1 or other 8-bit locale (0x9B a CSI there): escaped as the C0 bytes are.
      out += fmt::format("\\x{:02x}", c);
    } else if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

bool FlushOrReport(Output& out) {
  out.Flush();
  if (out.error() == 0) return true;
  fmt::print(stderr, "flowsift: cannot write to stdout: {}: the output is incomplete\n",
             std::strerror(out.error()));
  return false;
}

void PrintError(std::string_view message) {
  fmt::print(stderr, "flowsift: {}\n", Printable(message));
}

std::string Dump(const ordered_json& v) {
  return v.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace flowsift::tools
