#include "tools/progress.h"

#include <fmt/core.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pipeline/temporaries.h"

namespace flowsift::tools {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The share of the inputs' bytes read, 0 while their total is unknown.
double DoneFraction(const Progress& progress) {
  const uint64_t done = progress.bytes_done, total = progress.bytes_total;
  return total > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 0;
}

}  // namespace

ProgressDisplay::Mode ProgressDisplay::Choose(bool terminal, bool progress, bool no_progress) {
  if (no_progress) return Mode::kOff;
  if (terminal) return Mode::kBar;
  return progress ? Mode::kLog : Mode::kOff;
}

ProgressDisplay::Mode ProgressDisplay::ForStderr(bool progress, bool no_progress) {
  return Choose(isatty(STDERR_FILENO) != 0, progress, no_progress);
}

ProgressDisplay::ProgressDisplay(const Progress& progress, Mode mode)
    : progress_(progress), mode_(mode), start_(Now()) {
  if (mode_ != Mode::kOff) thread_ = std::thread([this] { Loop(); });
}

ProgressDisplay::~ProgressDisplay() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  Draw(true);
}

void ProgressDisplay::Loop() {
  const auto period =
      mode_ == Mode::kBar ? std::chrono::milliseconds(200) : std::chrono::seconds(10);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stop_; })) Draw(false);
}

// Time left as a person reads it: "6s", "2m05s", "2h13m" ("ETA 7998s" on a nightly job's
// terabytes before).
std::string EtaText(double seconds) {
  const uint64_t s = static_cast<uint64_t>(std::llround(std::max(0.0, seconds)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

std::string ProgressText(const Progress& progress, double elapsed, bool final) {
  const uint64_t done = progress.bytes_done, total = progress.bytes_total;
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  const double fraction = DoneFraction(progress);
  // After the last chunk the findings and the tables take a few seconds on a big run, with the
  // bar full: say what it is doing.
  if (progress.writing && !final) {
    const uint64_t records = progress.records.load(), files = progress.files_done.load();
    return fmt::format("{} record{} read from {} file{}; writing the outputs", records,
                       records == 1 ? "" : "s", files, files == 1 ? "" : "s");
  }
  // ETA before the counts: a narrow terminal's bar leaves out whole fields from the end
  // (BarLine), and how long is left matters more there than how many records and files.
  const std::string eta = (rate > 0 && total > done && !final)
                              ? ", ETA " + EtaText(static_cast<double>(total - done) / rate)
                              : "";
  const uint64_t files = progress.files_total.load();
  // Bytes as the files hold them: compressed for .gz and .zst, so the rate here is below the
  // summary line's, which counts the text read out of them.
  // The share cut, not rounded: 99.6% read is 99%, and 100% is all of it.
  return fmt::format("{} of {} on disk ({:.0f}%), {}/s{}, {} record{}, {}/{} file{}",
                     HumanBytes(static_cast<double>(done)),
                     total ? HumanBytes(static_cast<double>(total)) : "?",
                     std::floor(fraction * 100), HumanBytes(rate), eta, progress.records.load(),
                     progress.records.load() == 1 ? "" : "s", progress.files_done.load(), files,
                     files == 1 ? "" : "s");
}

std::string BarLine(double fraction, const std::string& text, int columns) {
  const size_t room = static_cast<size_t>(std::max(columns - 1, 1));
  // The text cut to `n` columns (ASCII: a byte is a column) after its last whole field that fits:
  // a number cut short reads as another number ("144" of 144002 records).
  const auto cut = [&text](size_t n) {
    if (text.size() <= n) return text;
    size_t at = n >= 2 ? text.rfind(", ", n - 2) : std::string::npos;
    if (at == std::string::npos || at == 0) at = text.rfind(' ', n);  // else at a word's end
    return text.substr(0, at == std::string::npos || at == 0 ? n : at);
  };
  if (columns < 60) return cut(room);
  // The bar from 30 wide down to 10, then whole fields of the text left out from its end.
  const size_t width =
      std::clamp<size_t>(room > text.size() + 3 ? room - text.size() - 3 : 0, 10, 30);
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(width));
  return fmt::format("[{}{}] {}", std::string(filled, '#'), std::string(width - filled, '.'),
                     cut(room - width - 3));
}

int ColumnsOf(int fd) {
  winsize size{};
  return ioctl(fd, TIOCGWINSZ, &size) == 0 ? size.ws_col : 0;
}

int ColumnsOfEnvironment() {
  const char* columns = std::getenv("COLUMNS");
  if (columns == nullptr) return 0;
  int n = 0;
  const char* end = columns + std::strlen(columns);
  const auto [at, ec] = std::from_chars(columns, end, n);
  return ec == std::errc() && at == end && n > 0 ? n : 0;
}

int TerminalColumns() {
  if (const int columns = ColumnsOf(STDERR_FILENO); columns > 0) return columns;
  if (const int columns = ColumnsOfEnvironment(); columns > 0) return columns;
  return 80;
}

void ProgressDisplay::Draw(bool final) {
  const double fraction = DoneFraction(progress_);
  const std::string text = ProgressText(progress_, Now() - start_, final);
  if (mode_ == Mode::kBar) {
    // The terminal's width at each draw: a window made narrower mid-run.
    WriteProgressLine(
        fmt::format("\r{}\033[K{}", BarLine(fraction, text, TerminalColumns()), final ? "\n" : ""),
        !final);
  } else if (!final) {
    WriteProgressLine(fmt::format("flowsift: {}\n", text), false);
  }
}

}  // namespace flowsift::tools
