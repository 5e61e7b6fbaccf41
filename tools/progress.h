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

namespace flowsift::tools {

// "1.2 GB": bytes in decimal units with one decimal, for humans.
std::string HumanBytes(double bytes);

// The display's line: bytes of the inputs on disk read, the rate, records and files, an ETA;
// once every input is read (Progress::writing, not `final`), that the outputs are being written.
std::string ProgressText(const Progress& progress, double elapsed, bool final);

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
