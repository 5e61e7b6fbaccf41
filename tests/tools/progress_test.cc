// The progress line (tools/progress.h): its text, the bar on a terminal and its width, and what
// ends its line first; the byte sizes it prints (pipeline/human_bytes.h).
#include "tools/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "pipeline/human_bytes.h"
#include "tests/tools/cli_fixture.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using cli_fixture::Cli;
using cli_fixture::Result;
using cli_fixture::RunCli;
using ::testing::HasSubstr;
using ::testing::Not;

// SPEC 2.1: progress is on when stderr is a terminal. --progress adds log lines where it is not
// (a job's log); it used to be the other way round: log lines by default into files and pipes,
// and --progress on a terminal replaced the bar by a line every 10 s (none in a short run).
TEST(Progress, OnWhenStderrIsATerminalLinesOnlyWhenAskedFor) {
  using tools::ProgressDisplay;
  using Mode = ProgressDisplay::Mode;
  EXPECT_EQ(ProgressDisplay::Choose(true, false, false), Mode::kBar);
  EXPECT_EQ(ProgressDisplay::Choose(true, true, false), Mode::kBar);
  EXPECT_EQ(ProgressDisplay::Choose(false, false, false), Mode::kOff);
  EXPECT_EQ(ProgressDisplay::Choose(false, true, false), Mode::kLog);
  EXPECT_EQ(ProgressDisplay::Choose(true, false, true), Mode::kOff);
  EXPECT_EQ(ProgressDisplay::Choose(false, true, true), Mode::kOff);
}

// The line says its bytes are the files' on disk (a .gz run's rate is far below the summary's
// rate of text), and once every input is read, that the outputs are being written: the bar sat
// full for seconds without a word on a big run. Run sets `writing` after the graph.
TEST(Progress, TheLineNamesItsBytesAndTheWritingOfTheOutputs) {
  Progress p;
  p.bytes_total = 4'000'000;
  p.bytes_done = 1'000'000;
  p.records = 1234;
  p.files_done = 2;
  p.files_total = 8;
  EXPECT_EQ(tools::ProgressText(p, 2.0, false),
            "976.5 KiB of 3.8 MiB on disk (25%), 488.2 KiB/s, ETA 6s, 1234 records, 2/8 files");
  p.bytes_done = 4'000'000;
  p.files_done = 8;
  p.writing = true;
  EXPECT_EQ(tools::ProgressText(p, 8.0, false),
            "1234 records read from 8 files; writing the outputs");
  // The last line, printed when the run is done, is the totals again.
  EXPECT_EQ(tools::ProgressText(p, 8.0, true),
            "3.8 MiB of 3.8 MiB on disk (100%), 488.2 KiB/s, 1234 records, 8/8 files");
}

// One record from one file is said in the singular while the outputs are written, as in the
// reading line before it ("1 records read from 1 files" before).
TEST(Progress, TheWritingLineCountsOneInTheSingular) {
  Progress p;
  p.bytes_total = 100;
  p.bytes_done = 100;
  p.records = 1;
  p.files_done = 1;
  p.files_total = 1;
  p.writing = true;
  EXPECT_EQ(tools::ProgressText(p, 1.0, false), "1 record read from 1 file; writing the outputs");
}

// Records and files each by their own count.
TEST(Progress, TheWritingLineCountsRecordsAndFilesApart) {
  Progress p;
  p.bytes_total = 100;
  p.bytes_done = 100;
  p.records = 2;
  p.files_done = 1;
  p.files_total = 1;
  p.writing = true;
  EXPECT_EQ(tools::ProgressText(p, 1.0, false), "2 records read from 1 file; writing the outputs");
  p.records = 1;
  p.files_done = p.files_total = 2;
  EXPECT_EQ(tools::ProgressText(p, 1.0, false), "1 record read from 2 files; writing the outputs");
}

// The ETA in hours and minutes past an hour, minutes and seconds past a minute: a nightly job's
// terabytes read "ETA 7998s".
TEST(Progress, TheEtaIsInHoursMinutesAndSeconds) {
  EXPECT_EQ(tools::EtaText(0), "0s");
  EXPECT_EQ(tools::EtaText(59.4), "59s");
  EXPECT_EQ(tools::EtaText(59.6), "1m00s");
  EXPECT_EQ(tools::EtaText(125), "2m05s");
  EXPECT_EQ(tools::EtaText(3599), "59m59s");
  EXPECT_EQ(tools::EtaText(3600), "1h00m");
  EXPECT_EQ(tools::EtaText(100 * 3600 + 61), "100h01m");
  Progress p;
  p.bytes_total = 4'000'000'000;
  p.bytes_done = 1'000'000;
  p.files_done = 1;
  p.files_total = 8;
  EXPECT_THAT(tools::ProgressText(p, 2.0, false), HasSubstr(", ETA 2h13m, "));  // 7998 s
}

// Inputs that grew while read (a log still written) are 100% read, not more; a total not yet
// known is a question mark, not "0 B".
TEST(Progress, TheShareIsAtMostAllAndAnUnknownTotalIsAQuestionMark) {
  Progress p;
  p.bytes_total = 1'000'000;
  p.bytes_done = 1'500'000;
  p.records = 10;
  p.files_done = 1;
  p.files_total = 1;
  EXPECT_EQ(tools::ProgressText(p, 1.0, true),
            "1.4 MiB of 976.5 KiB on disk (100%), 1.4 MiB/s, 10 records, 1/1 file");
  // 99.6% read is not yet 100%.
  p.bytes_total = 100'000;
  p.bytes_done = 99'600;
  EXPECT_EQ(tools::ProgressText(p, 1.0, false),
            "97.2 KiB of 97.6 KiB on disk (99%), 97.2 KiB/s, ETA 0s, 10 records, 1/1 file");
  p.bytes_total = 0;
  p.bytes_done = 0;
  EXPECT_EQ(tools::ProgressText(p, 1.0, false),
            "0 B of ? on disk (0%), 0 B/s, 10 records, 1/1 file");
}

// Powers of 1024 with IEC names, cut to one decimal as the findings' summaries count them: never
// more than there is, and never "1024.0 KiB".
TEST(HumanBytes, PowersOf1024CutToOneDecimal) {
  EXPECT_EQ(tools::HumanBytes(0), "0 B");
  EXPECT_EQ(tools::HumanBytes(59), "59 B");
  EXPECT_EQ(tools::HumanBytes(1000), "1000 B");
  EXPECT_EQ(tools::HumanBytes(1023), "1023 B");
  EXPECT_EQ(tools::HumanBytes(1023.9), "1023 B");
  EXPECT_EQ(tools::HumanBytes(1024), "1.0 KiB");
  EXPECT_EQ(tools::HumanBytes(1'048'575), "1023.9 KiB");
  EXPECT_EQ(tools::HumanBytes(1'048'576), "1.0 MiB");
  EXPECT_EQ(tools::HumanBytes(1'500'180), "1.4 MiB");
  // A finding's 1.5e9 bytes: its summary says 1.3 GiB (HumanBytes), and so does show.
  EXPECT_EQ(tools::HumanBytes(1.5e9), "1.3 GiB");
  EXPECT_EQ(tools::HumanBytes(1.5 * 0x1p40), "1.5 TiB");
  EXPECT_EQ(tools::HumanBytes(5 * 0x1p50), "5.0 PiB");
  // The largest sums: a saturated one (2^63 - 1, which is 2^63 as a double) and 2^64 - 1.
  EXPECT_EQ(tools::HumanBytes(static_cast<double>(INT64_MAX)), "8.0 EiB");
  EXPECT_EQ(tools::HumanBytes(static_cast<double>(UINT64_MAX)), "16.0 EiB");
  EXPECT_EQ(tools::HumanBytes(0x1p80), "1048576.0 EiB");
  for (double b = 1000; b < 0x1p63; b *= 1.01) {
    const std::string s = tools::HumanBytes(b);
    EXPECT_EQ(s.find("1024.0"), std::string::npos) << b << ": " << s;
  }
}

// The size gen and demo advise ("raise --bytes to at least 3.6M") is at least what is needed,
// rounded up within its unit, and rolls over into the next unit rather than print 1024.0 of one
// ("1024.0K" for 1 MiB - 1 byte): the size --bytes reads back is at least `bytes` either way.
TEST(SizeAtLeast, RoundsUpAndRollsOverIntoTheNextUnit) {
  EXPECT_EQ(SizeAtLeast(1000), "1000");
  EXPECT_EQ(SizeAtLeast(1023.5), "1.0K");  // not "1024"
  EXPECT_EQ(SizeAtLeast(1024), "1.0K");
  EXPECT_EQ(SizeAtLeast(1025), "1.1K");
  EXPECT_EQ(SizeAtLeast(3.55 * 1024 * 1024), "3.6M");
  EXPECT_EQ(SizeAtLeast(1'048'575), "1.0M");  // it was "1024.0K"
  EXPECT_EQ(SizeAtLeast(0x1p30 - 1), "1.0G");
  EXPECT_EQ(SizeAtLeast(0x1p40 - 1), "1.0T");
  EXPECT_EQ(SizeAtLeast(0x1p50 - 1), "1024.0T");  // T is the largest unit --bytes reads
  for (double b = 1000; b < 0x1p40; b *= 1.0007) {
    const std::string s = SizeAtLeast(b);
    EXPECT_EQ(s.find("1024"), std::string::npos) << b << ": " << s;
  }
}

TEST_F(Cli, ProgressOnATerminalIsABarWithOrWithoutTheFlag) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1)";
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "in").string() + " --records 2000").code, 0);
  for (const char* flag : {"", " --progress"}) {
    const fs::path out = dir_ / (std::string("tty") + (flag[0] ? "p" : ""));
    // script(1) gives the command a terminal, 200 columns wide (its width is that of the test's
    // terminal, none in CI: 80 is assumed); what it prints is the terminal's output.
    const flowsift::testing::CommandResult r = flowsift::testing::RunCommand(
        "script -qec 'stty cols 200; " + std::string(FLOWSIFT_BINARY) + " run " +
        (dir_ / "in").string() + " -o " + out.string() + flag + "' /dev/null");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_THAT(r.out, HasSubstr("] ")) << flag;  // the bar's closing bracket
    EXPECT_THAT(r.out, HasSubstr("[" + std::string(30, '#') + "] ")) << flag;  // full when done
    EXPECT_THAT(r.out, HasSubstr("(100%)")) << flag;
  }
  // Not a terminal: no progress unless asked for (a line every 10 s: none in this short run).
  const Result r = RunCli("run " + (dir_ / "in").string() + " -o " + (dir_ / "pipe").string());
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("(100%)")));
}

// Progress lines that cannot be written end nothing: fmt::print threw in the display's thread
// with 2>/dev/full, and the process aborted after 10 s, its temporary OUT left behind.
TEST_F(Cli, ProgressThatCannotBeWrittenDoesNotEndTheRun) {
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "in").string() + " --records 2000").code, 0);
  fs::create_directories(dir_ / "w");
  // stdin held open for 11 s: one log line is due meanwhile.
  const flowsift::testing::CommandResult r = flowsift::testing::RunCommand(
      "cd " + (dir_ / "w").string() + " && (cat " + (dir_ / "in" / "flows-00000.log").string() +
      "; sleep 11) | " + FLOWSIFT_BINARY +
      " run - -o out --progress 2>/dev/full; echo rc=$?; ls -A");
  EXPECT_EQ(r.out, "rc=0\nout\n");
}

// Out of memory with a bar on the terminal: the message begins a line of its own. It was
// written after the bar, on its line ("...ETA 1s\033[Kflowsift: out of memory (...)").
TEST(Progress, OutOfMemoryEndsTheBarsLineFirst) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    WriteProgressLine("\r[###] 1.0 MB\033[K", /*open=*/true);
    ExitOutOfMemory();
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << status;
  EXPECT_EQ(out, std::string("\r[###] 1.0 MB\033[K\nflowsift: ") + kOutOfMemoryMessage + "\n");
}

// The signal that ends a run (Ctrl-C) ends the bar's line first, and no line is drawn after:
// the shell's prompt had been left on the bar's line. A line already ended gets no blank one.
TEST(Progress, ASignalEndsTheBarsLineFirst) {
  const auto child_writes = [](bool open) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    if (pid == 0) {
      dup2(fds[1], STDERR_FILENO);
      WriteProgressLine(open ? "\r[###] 1.0 MB\033[K" : "flowsift: 1.0 MB\n", open);
      CloseProgressLine();
      WriteProgressLine("\r[####] 2.0 MB\033[K", true);  // the display's next draw
      _exit(0);
    }
    close(fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
      out.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    return out;
  };
  EXPECT_EQ(child_writes(true), "\r[###] 1.0 MB\033[K\n");
  EXPECT_EQ(child_writes(false), "flowsift: 1.0 MB\n");
}

// The bar's line fits the terminal: ~120 columns wrapped on an 80-column one, and "\r" went
// back to the start of its last row only, a row left behind at every redraw.
TEST(Progress, TheBarsLineFitsTheTerminal) {
  const std::string text =
      "1.0 MB of 4.0 MB on disk (25%), 500.0 KB/s, ETA 6s, 1234 records, 2/8 files";
  EXPECT_EQ(tools::BarLine(0.25, text, 200),
            "[" + std::string(7, '#') + std::string(23, '.') + "] " + text);
  // The bar narrows to 10, then whole fields go from the end: a number cut short reads as
  // another ("144" of 144002 records).
  EXPECT_EQ(tools::BarLine(0.25, text, 90),
            "[" + std::string(2, '#') + std::string(9, '.') + "] " + text);
  EXPECT_EQ(tools::BarLine(0.25, text, 80),
            "[##........] 1.0 MB of 4.0 MB on disk (25%), 500.0 KB/s, ETA 6s, 1234 records");
  EXPECT_EQ(tools::BarLine(1.0, text, 60),
            "[##########] 1.0 MB of 4.0 MB on disk (25%), 500.0 KB/s");
  // Narrower: the text alone, at a word's end when no field fits.
  EXPECT_EQ(tools::BarLine(0.25, text, 59), "1.0 MB of 4.0 MB on disk (25%), 500.0 KB/s, ETA 6s");
  EXPECT_EQ(tools::BarLine(0.25, text, 20), "1.0 MB of 4.0 MB on");
  EXPECT_EQ(tools::BarLine(0.25, text, 1), "1");
  for (int columns = 1; columns < 200; ++columns) {
    EXPECT_LT(tools::BarLine(0.5, text, columns).size(), static_cast<size_t>(std::max(columns, 2)));
  }
}

TEST_F(Cli, TheBarIsNoWiderThanTheTerminal) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1)";
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "in").string() + " --records 2000").code, 0);
  for (const int columns : {20, 70}) {
    SCOPED_TRACE(columns);
    const flowsift::testing::CommandResult r = flowsift::testing::RunCommand(
        "script -qec 'stty cols " + std::to_string(columns) + "; " + FLOWSIFT_BINARY + " run " +
        (dir_ / "in").string() + " --force -o " + (dir_ / "out").string() + "' /dev/null");
    ASSERT_EQ(r.code, 0) << r.out;
    // Each draw is "\r", the line, and "\033[K" (erase to its end).
    size_t draws = 0;
    for (size_t at = r.out.find('\r'); at != std::string::npos; at = r.out.find('\r', at + 1)) {
      const size_t end = r.out.find("\033[K", at);
      // The terminal's "\r\n" for a newline is no draw.
      if (end == std::string::npos || r.out.compare(at, 2, "\r\n") == 0) continue;
      ++draws;
      EXPECT_LT(end - at - 1, static_cast<size_t>(columns)) << r.out.substr(at + 1, end - at - 1);
    }
    EXPECT_GT(draws, 0u) << r.out;
  }
}
}  // namespace
}  // namespace flowsift
