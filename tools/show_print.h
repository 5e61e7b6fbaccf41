// How `flowsift show` prints rows (JSON objects keyed by column name): aligned columns for a
// terminal, CSV as pipeline/tables.cc writes it, or JSON Lines. Every sink takes rows one at a
// time and holds at most a page of them.
#ifndef FLOWSIFT_TOOLS_SHOW_PRINT_H_
#define FLOWSIFT_TOOLS_SHOW_PRINT_H_

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/summary.h"

namespace flowsift::tools {

// SPEC 3.2 severities, indexed by value.
inline constexpr std::string_view kSeverityNames[] = {"-", "low", "medium", "high", "critical"};

// How a text column gives way when the terminal is too narrow for every column.
enum class Fit : uint8_t {
  kFixed,     // never cut (numbers, times, addresses): dropped instead
  kCutRight,  // "a long summary…"
  kCutLeft,   // "…/2026/11/28/file.log.gz": the end of a path names the file
  kWrap,      // continued on the row's next lines, whole: a bad line's fault may be anywhere
};

// A column of the terminal view. Columns are shown in list order; when they do not all fit,
// those with the lowest `keep` win.
struct ViewColumn {
  std::string_view name;
  std::string_view label;
  int keep;
  Fit fit = Fit::kFixed;
};

// Buffered stdout: rows are printed as they come, in 64 KiB writes.
class Output {
 public:
  static constexpr size_t kFlushBytes = size_t{1} << 16;
  ~Output() { Flush(); }
  std::string& text() { return text_; }
  void MaybeFlush() {
    if (text_.size() >= kFlushBytes) Flush();
  }
  void Flush() {
    if (!text_.empty() && std::fwrite(text_.data(), 1, text_.size(), stdout) != text_.size() &&
        errno_ == 0) {
      errno_ = errno != 0 ? errno : EIO;
    }
    text_.clear();
    if (std::fflush(stdout) != 0 && errno_ == 0) errno_ = errno != 0 ? errno : EIO;
  }
  // The errno of the first write to stdout that failed (EPIPE: the reader of a pipe has gone,
  // with SIGPIPE ignored; ENOSPC: a full disk); 0 while every write succeeded.
  int error() const { return errno_; }

 private:
  std::string text_;
  int errno_ = 0;
};

// Flushes `out`; when a write to stdout failed, says so on stderr by its errno ("cannot write to
// stdout: No space left on device: the output is incomplete"; "a full disk?" was guessed also
// of a pipe whose reader had gone) and returns false: the command exits 3.
[[nodiscard]] bool FlushOrReport(Output& out);

// Takes rows one by one (objects keyed by column name; a row is not kept after Add).
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void Add(const nlohmann::ordered_json& row) = 0;
  // After the last row; `more` when --limit left rows out.
  virtual void Finish(bool more) = 0;
  // Whether stdout could not be written: the rows after it would go nowhere.
  virtual bool Failed() const = 0;
};

// `columns` (header order) must outlive the sink.
std::unique_ptr<RowSink> MakeCsvSink(const std::vector<ColumnSpec>& columns, Output& out);
std::unique_ptr<RowSink> MakeJsonSink(Output& out);
// `view` picks and labels the columns; `width` is the terminal's; `color` colours severity;
// the table ends with a line naming the view's columns that did not fit and, with
// `note_outside_view` (a --table view; not the overview's excerpts), the columns not in the view.
std::unique_ptr<RowSink> MakeTableSink(const std::vector<ColumnSpec>& columns,
                                       std::span<const ViewColumn> view, int width, bool color,
                                       Output& out, bool note_outside_view = true);

// Each row as a block of "name  value" lines (a blank line between rows), for a terminal:
// every key of the row, none cut to the terminal's width; times and bytes also as their number,
// severity also as its name; an object (a finding's evidence) a line per key, `evidence.KEY`.
std::unique_ptr<RowSink> MakeRecordSink(const std::vector<ColumnSpec>& columns, bool color,
                                        Output& out);

// Columns of the terminal on stdout (TIOCGWINSZ); else $COLUMNS (`watch flowsift show OUT`,
// `COLUMNS=60 flowsift show OUT | less`); else 100.
int TerminalWidth();
// Whether severity is coloured: stdout is a terminal, NO_COLOR is unset or empty (no-color.org)
// and TERM is not "dumb".
bool ColorOnStdout();
// Control bytes (a bad line's tab or NUL, an ESC) would move the cursor or colour the
// terminal: shown as C escapes.
std::string Printable(std::string_view s);

// "flowsift: MESSAGE" on stderr, the message through Printable: a command's error or note that
// quotes a path or value as the user or a file gave it.
void PrintError(std::string_view message);
// Compact JSON; invalid UTF-8 becomes U+FFFD instead of an exception.
std::string Dump(const nlohmann::ordered_json& v);

}  // namespace flowsift::tools

#endif  // FLOWSIFT_TOOLS_SHOW_PRINT_H_
