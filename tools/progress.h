// The progress display of long runs on stderr: a redrawn bar when stderr is a terminal, plain
// log lines every 10 s when --progress asks for it on a pipe or file (a job's log), nothing
// otherwise (SPEC 2.1: on when stderr is a terminal).
#ifndef FLOWSIFT_TOOLS_PROGRESS_H_
#define FLOWSIFT_TOOLS_PROGRESS_H_

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "pipeline/graph.h"
#include "pipeline/human_bytes.h"

namespace flowsift::tools {

// "1.2 GiB" (pipeline/human_bytes.h): show, the bar, run's and gen's reports.
using flowsift::HumanBytes;

// Seconds left for the progress line's ETA: "6s", "2m05s", "2h13m".
std::string EtaText(double seconds);

// The display's line: bytes of the inputs on disk read, the rate, records and files, an ETA;
// once every input is read (Progress::writing, not `final`), that the outputs are being written.
std::string ProgressText(const Progress& progress, double elapsed, bool final);

// The bar's line (without "\r" and the erase to its end) for a terminal `columns` wide, at most
// columns - 1 (a line that reaches the last column wraps on some terminals): the bar, 30 wide
// down to 10 as room asks, and `text` without the fields at its end that do not fit. Below 60
// columns the text alone, cut the same way. A line wider than the terminal wraps, and "\r"
// returns to the start of its last row only: each redraw left a row behind, five a second on an
// 80-column terminal (the line is ~120 wide).
std::string BarLine(double fraction, const std::string& text, int columns);

// The columns of the terminal on descriptor `fd` (TIOCGWINSZ); 0 when it is none.
int ColumnsOf(int fd);
// $COLUMNS when it is a whole number above 0 (watch(1) sets it; a user may, COLUMNS=60); else 0.
int ColumnsOfEnvironment();
// The width of the terminal on stderr; else $COLUMNS; else 80.
int TerminalColumns();

class ProgressDisplay {
 public:
  enum class Mode { kOff, kBar, kLog };
  // `run`'s flags: --no-progress gives kOff; else kBar on a terminal; else kLog with
  // --progress, kOff without.
  static Mode Choose(bool terminal, bool progress, bool no_progress);
  // Choose for stderr.
  static Mode ForStderr(bool progress, bool no_progress);

  ProgressDisplay(const Progress& progress, Mode mode);
  ~ProgressDisplay();  // stops the thread and ends the bar's line

 private:
  void Loop();
  void Draw(bool final);

  const Progress& progress_;
  Mode mode_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  double start_ = 0;
  std::thread thread_;
};

}  // namespace flowsift::tools

#endif  // FLOWSIFT_TOOLS_PROGRESS_H_
