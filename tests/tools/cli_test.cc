// The flowsift command line: --version, --help, usage errors (exit 2, SPEC 2.2), the values of
// flags, --config and --print-config, --stats-json, paths printed escaped. gen and demo are in
// cli_gen_test.cc, what run reads in cli_input_test.cc, OUT and signals in cli_output_test.cc,
// the progress line in progress_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/test_util.h"
#include "tests/tools/cli_fixture.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using cli_fixture::Cli;
using cli_fixture::Result;
using cli_fixture::RunCli;
using flowsift::testing::ReadFile;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(Cli, VersionNamesTheSimdTarget) {
  const Result r = RunCli("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("flowsift "));
  EXPECT_THAT(r.out, HasSubstr("SIMD target: "));
  EXPECT_THAT(r.out, HasSubstr("SCALAR"));  // the scalar target is always available
  EXPECT_THAT(r.out, HasSubstr("Heap pages: "));
}

// -V or --version after a command is said to go before it (it was "The following argument was
// not expected: -V" alone, and for `show --version` "OUT is required").
TEST_F(Cli, VersionAfterACommandIsSaidToGoBeforeIt) {
  const struct {
    const char* args;
    const char* flag;
  } cases[] = {{"run -V", "-V"},
               {"run logs --version -o out", "--version"},
               {"show --version", "--version"},
               {"gen -o x -V", "-V"},
               {"merge p -o m --version", "--version"}};
  for (const auto& c : cases) {
    const Result r = RunCli(c.args);
    EXPECT_EQ(r.code, 2) << c.args << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr(std::string("\nflowsift: ") + c.flag +
                                 " goes before the command: `flowsift " + c.flag +
                                 "` prints the version (no command takes it)\n"))
        << c.args << ": " << r.out;
  }
}

TEST_F(Cli, VersionNamesTheHeapPagesTheEnvironmentAskedFor) {
  EXPECT_THAT(RunCli("--version", "MIMALLOC_LARGE_OS_PAGES=1 ").out,
              HasSubstr("Heap pages: 2 MiB where transparent huge pages allow "
                        "(MIMALLOC_LARGE_OS_PAGES=1)\n"));
  EXPECT_THAT(RunCli("--version", "MIMALLOC_LARGE_OS_PAGES=0 ").out,
              HasSubstr("Heap pages: 4 KiB (MIMALLOC_LARGE_OS_PAGES=0)\n"));
}

// A value mimalloc cannot read is its default, 4 KiB pages, which it says only with
// MIMALLOC_VERBOSE: flowsift warns once at start-up, naming the value and the pages used. The
// values mimalloc reads (any case; an empty value is 1) are no mistake.
TEST_F(Cli, AHeapPagesValueMimallocCannotReadIsWarnedOfOnce) {
  const std::string warning =
      "flowsift: MIMALLOC_LARGE_OS_PAGES=garbage is no value mimalloc reads (1, 0, yes, no, on, "
      "off, true, false or a whole number): it is ignored, and the heap uses 4 KiB pages\n";
  Result r = RunCli("--version", "MIMALLOC_LARGE_OS_PAGES=garbage ");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr(warning));
  EXPECT_THAT(r.out, HasSubstr("Heap pages: 4 KiB (MIMALLOC_LARGE_OS_PAGES=garbage)\n"));
  r = RunCli("show " + (dir_ / "nowhere").string(), "MIMALLOC_LARGE_OS_PAGES=garbage ");
  EXPECT_EQ(r.code, 2);
  ASSERT_NE(r.out.find(warning), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(warning, r.out.find(warning) + 1), std::string::npos) << r.out;  // once
  // A control byte in the value is escaped, not sent to the terminal.
  EXPECT_THAT(RunCli("--version", "MIMALLOC_LARGE_OS_PAGES=\"$(printf 'x\\033[2J')\" ").out,
              HasSubstr("MIMALLOC_LARGE_OS_PAGES=x\\x1b[2J is no value mimalloc reads"));
  // A number with more after it is no number to mimalloc ("2x": invalid, 4 KiB pages).
  EXPECT_THAT(RunCli("--version", "MIMALLOC_LARGE_OS_PAGES=2x ").out,
              HasSubstr("MIMALLOC_LARGE_OS_PAGES=2x is no value mimalloc reads"));
  // Past 64 bytes mimalloc reads the first 64: 70 digits are a number (read, no warning).
  r = RunCli("--version", "MIMALLOC_LARGE_OS_PAGES=" + std::string(70, '1') + " ");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, Not(HasSubstr("mimalloc reads"))) << r.out;
  for (const char* value : {"1", "0", "yes", "OFF", "True", "2", "''"}) {
    r = RunCli("--version", std::string("MIMALLOC_LARGE_OS_PAGES=") + value + " ");
    EXPECT_EQ(r.code, 0);
    EXPECT_THAT(r.out, Not(HasSubstr("mimalloc reads"))) << value;
  }
}

TEST_F(Cli, VersionSaysWhatTheHeapPagesWereChosenBy) {
  // Without the variable the process measures fresh pages and chooses.
  const std::string out = RunCli("--version", "env -u MIMALLOC_LARGE_OS_PAGES ").out;
  EXPECT_THAT(out, ::testing::ContainsRegex(
                       "Heap pages: (2 MiB where transparent huge pages allow|4 KiB) \\(measured "
                       "at start-up: fresh 4 KiB pages [0-9.]+ ms a MiB"));
  // The second self of a process that chose 2 MiB pages reports what the first measured.
  EXPECT_THAT(RunCli("--version", "MIMALLOC_LARGE_OS_PAGES=1 FLOWSIFT_HEAP_PAGES_MEASURED=x ").out,
              HasSubstr("Heap pages: 2 MiB where transparent huge pages allow (x)\n"));
}

TEST_F(Cli, FreedHeapMemoryIsKeptForASecondUnlessTheEnvironmentSaysOtherwise) {
  EXPECT_THAT(RunCli("--version").out,
              HasSubstr("Freed heap memory: returned to the kernel after 1000 ms unused"));
  EXPECT_THAT(RunCli("--version", "MIMALLOC_DECOMMIT_DELAY=25 ").out,
              HasSubstr("Freed heap memory: returned to the kernel after 25 ms unused"));
}

TEST_F(Cli, UsageErrorsExitTwo) {
  // No command: a line saying so, then the help (it was the help alone).
  const Result none = RunCli("");
  EXPECT_EQ(none.code, 2);
  EXPECT_TRUE(
      none.out.starts_with("flowsift: no command given: give one of run, demo, gen, "
                           "show, export, merge (`flowsift CMD --help` shows one's "
                           "flags)\n\nflowsift - fast batch processing"))
      << none.out;
  EXPECT_EQ(RunCli("no-such-command").code, 2);
  EXPECT_EQ(RunCli("gen").code, 2);  // -o is required
  const Result r = RunCli("gen -o " + dir_.string() + " --format 'version 2'");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("not a field name"));
  // A bad size names --bytes, in gen as in demo (gen's had said "size: '12Q'").
  for (const char* cmd : {"gen -o ", "demo -o "}) {
    const Result q = RunCli(cmd + (dir_ / "q").string() + " --bytes 12Q");
    EXPECT_EQ(q.code, 2) << cmd;
    EXPECT_THAT(q.out, HasSubstr("--bytes: '12Q': unknown unit (use K, M, G or T)")) << q.out;
    EXPECT_FALSE(fs::exists(dir_ / "q")) << cmd;
  }
  EXPECT_EQ(RunCli("gen -o " + dir_.string() + " --bytes 1e30").code, 2);  // no uint64_t holds it
  EXPECT_EQ(RunCli("gen -o " + dir_.string() + " --bytes nan").code, 2);
  EXPECT_EQ(RunCli("gen -o " + dir_.string() + " --interval 30").code, 2);
}

// Every message begins "flowsift: ", CLI11's usage errors too (they began with the error alone,
// gen's lines with "flowsift gen: "), and a usage error CLI11 finds points at the --help of the
// command it is about (it said "Run with --help", the top-level help, without gen's flags).
TEST_F(Cli, MessagesBeginWithFlowsiftAndUsageErrorsNameTheirCommandsHelp) {
  const struct {
    std::string args;
    const char* help;
  } cases[] = {
      {"gen", "flowsift gen --help"},
      {"gen -o " + (dir_ / "g").string() + " --interval 30", "flowsift gen --help"},
      {"gen -o " + (dir_ / "g").string() + " --records 5 --bytes 1G", "flowsift gen --help"},
      {"show", "flowsift show --help"},
      {"show " + dir_.string() + " --as xml", "flowsift show --help"},
      {"export " + dir_.string(), "flowsift export --help"},
      {"merge", "flowsift merge --help"},
      {"run -x", "flowsift run --help"},
      {"shwo", "flowsift --help"},
  };
  for (const auto& c : cases) {
    const Result r = RunCli(c.args);
    EXPECT_EQ(r.code, 2) << c.args;
    EXPECT_TRUE(r.out.starts_with("flowsift: ")) << c.args << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr(std::string("\nRun `") + c.help + "` for more information.\n"))
        << c.args << ": " << r.out;
  }
  fs::create_directories(dir_ / "g");
  std::ofstream(dir_ / "g" / "other.log") << "x\n";
  const Result r = RunCli("gen --records 10 -o " + (dir_ / "g").string());
  EXPECT_EQ(r.code, 0) << r.out;
  std::istringstream lines(r.out);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    EXPECT_TRUE(line.starts_with("flowsift: ")) << line;
  }
  EXPECT_EQ(count, 2) << r.out;  // the note of other.log and the report
}

// show and export without their OUT name it as --help and the docs write it: "OUT is required"
// (it was "out is required", read as a word of a sentence).
TEST_F(Cli, ShowAndExportWithoutOutNameIt) {
  for (const char* args : {"show", "export --as ocsf", "show --table windows"}) {
    const Result r = RunCli(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_THAT(r.out, HasSubstr("OUT is required")) << args << ": " << r.out;
  }
  EXPECT_THAT(RunCli("show --help").out, HasSubstr("Usage: flowsift show [OPTIONS] OUT\n"));
  EXPECT_THAT(RunCli("export --help").out, HasSubstr("Usage: flowsift export [OPTIONS] OUT\n"));
  // Its line in the list names it once ("OUT OUT REQUIRED" with a type name beside it).
  for (const char* cmd : {"show --help", "export --help"}) {
    EXPECT_THAT(RunCli(cmd).out, HasSubstr("\n  OUT REQUIRED ")) << cmd;
  }
}

// `flowsift run` with nothing says what the command takes; with inputs alone, that -o is
// missing; with -o alone, that the inputs are.
TEST_F(Cli, RunWithoutArgumentsSaysWhatItTakes) {
  Result r = RunCli("run");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("flowsift run INPUT... -o OUT"));
  r = RunCli("run /dev/null");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("--out: required"));
  r = RunCli("run -o " + (dir_ / "o").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("no inputs"));
  // --files-from gives inputs: only -o is missing.
  r = RunCli("run --files-from /dev/null");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("--out: required"));
  EXPECT_FALSE(fs::exists(dir_ / "o"));
}

TEST_F(Cli, MisspeltFormatsAreUsageErrorsAndUnknownNamesAreNamed) {
  for (const char* format : {"v9x", "'foo bar'"}) {
    for (const char* cmd : {"gen -o ", "run /dev/null -o "}) {
      const Result r = RunCli(cmd + (dir_ / "o").string() + " --format " + format);
      EXPECT_EQ(r.code, 2) << cmd << format << ": " << r.out;
      EXPECT_FALSE(fs::exists(dir_ / "o"));
    }
  }
  const Result r =
      RunCli("gen -o " + (dir_ / "o").string() + " --records 10 --format 'srcadr dstaddr bytes'");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("'srcadr' is not a field flowsift knows"));
}

// An OUT whose name cannot be looked up (a component over 255 bytes, a symbolic-link loop) is
// a usage error naming why: it had been std::filesystem's "filesystem error: status: File name
// too long [...]" and exit 3, the status of an output that could not be written.
TEST_F(Cli, AnOutThatCannotBeLookedUpIsAUsageError) {
  fs::create_directories(dir_);
  fs::create_symlink("loop2", dir_ / "loop1");
  fs::create_symlink("loop1", dir_ / "loop2");
  const std::string long_name = (dir_ / std::string(300, 'x')).string();
  for (const std::string& out : {long_name, (dir_ / "loop1" / "out").string()}) {
    for (const char* cmd : {"run /dev/null --no-progress -o ", "merge /dev/null -o "}) {
      const Result r = RunCli(cmd + out);
      EXPECT_EQ(r.code, 2) << cmd << out << ": " << r.out;
      EXPECT_THAT(r.out, HasSubstr("--out: " + out + ": ")) << r.out;
      EXPECT_THAT(r.out, Not(HasSubstr("filesystem error"))) << r.out;
    }
  }
}

TEST_F(Cli, AnEmptyInternalListIsAUsageErrorNotTheDefault) {
  for (const char* list : {"''", "' , '"}) {
    const Result r = RunCli("run /dev/null -o " + (dir_ / "o").string() + " --internal " + list);
    EXPECT_EQ(r.code, 2) << list << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr("empty list"));
  }
  // So is an empty entry in a list (a trailing comma, "$A,$B" with B unset), named by its place:
  // the list had been read as the entries around it.
  for (const char* list : {"10.0.0.0/8,", "10.0.0.0/8,,fd00::/8"}) {
    const Result r = RunCli("run /dev/null -o " + (dir_ / "o").string() + " --internal " + list);
    EXPECT_EQ(r.code, 2) << list << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr("--internal: entry 2 of '" + std::string(list) + "' is empty"))
        << r.out;
  }
  EXPECT_FALSE(fs::exists(dir_ / "o"));
}

// A --config that names a directory or nothing readable is a usage error, not the defaults.
TEST_F(Cli, AConfigThatCannotBeReadIsAUsageError) {
  fs::create_directories(dir_ / "cfgdir");
  for (const fs::path& config : {dir_ / "cfgdir", dir_ / "missing.conf"}) {
    const Result r =
        RunCli("run /dev/null -o " + (dir_ / "o").string() + " --config " + config.string());
    EXPECT_EQ(r.code, 2) << config << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr("cannot read " + config.string() + ": "));
  }
  EXPECT_FALSE(fs::exists(dir_ / "o"));
  std::ofstream(dir_ / "empty.conf").flush();  // an empty file is the defaults
  const Result r = RunCli("run /dev/null -o " + (dir_ / "o").string() + " --config " +
                          (dir_ / "empty.conf").string());
  EXPECT_EQ(r.code, 0) << r.out;
}

// --print-config with --config prints what a run with that file uses, the file's values marked
// with the default beside them; it had printed the defaults whatever the file said. The printed
// text is itself a config file that reads back to the same options.
TEST_F(Cli, PrintConfigShowsTheValuesOfTheGivenConfig) {
  fs::create_directories(dir_);
  const std::string config = (dir_ / "tuned.conf").string();
  testing::WriteFile(config, "port_scan.min_ports = 20\nbrute_force.ports = 22, 2222\n");
  Result r = RunCli("run --print-config --config " + config);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("# The values in effect with --config " + config));
  EXPECT_THAT(r.out, HasSubstr("\nport_scan.min_ports = 20  # from --config " + config +
                               " (default 15); Zeek"));
  EXPECT_THAT(r.out, HasSubstr("\nbrute_force.ports = 22,2222  # from --config " + config +
                               " (default 22,23,3389,5900,5985,5986); GuardDuty"));
  // A key the file leaves alone is the default, unmarked.
  EXPECT_THAT(r.out, HasSubstr("\nport_sweep.min_dsts = 25  # Zeek"));
  EXPECT_THAT(r.out, HasSubstr("\ndetection.enabled = true\n"));
  testing::WriteFile(dir_ / "printed.conf", r.out);
  const Result again = RunCli("run --print-config --config " + (dir_ / "printed.conf").string());
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("\nport_scan.min_ports = 20  # from"));

  // --no-detect is where detection.enabled comes from, and the file where the thresholds do
  // (each had been credited to both).
  r = RunCli("run --print-config --config " + config + " --no-detect");
  EXPECT_THAT(r.out,
              HasSubstr("# The values in effect with --config " + config + " and --no-detect;"));
  EXPECT_THAT(r.out, HasSubstr("\ndetection.enabled = false  # from --no-detect\n"));
  EXPECT_THAT(r.out, HasSubstr("\nport_scan.min_ports = 20  # from --config " + config +
                               " (default 15); Zeek"));
  r = RunCli("run --print-config --no-detect");
  EXPECT_THAT(r.out, HasSubstr("# The values in effect with --no-detect;"));
  EXPECT_THAT(r.out, HasSubstr("\ndetection.enabled = false  # from --no-detect\n"));
  EXPECT_THAT(r.out, HasSubstr("\nport_scan.min_ports = 15  # Zeek"));
  // A config that does not parse is refused as a run refuses it.
  testing::WriteFile(dir_ / "bad.conf", "port_scan.min_port = 20\n");
  r = RunCli("run --print-config --config " + (dir_ / "bad.conf").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("line 1"));
  // Without --config the defaults, unmarked, and no line of what is in effect.
  r = RunCli("run --print-config");
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("from ")));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("in effect")));
  EXPECT_THAT(r.out, HasSubstr("\nport_scan.min_ports = 15  # Zeek"));
}

// The origin is the path as text: a newline in it had ended its comment line, and the printed
// file, refused ("expected `key = value`"), was no config file.
TEST_F(Cli, PrintConfigNamesAConfigWithANewlineAsText) {
  fs::create_directories(dir_);
  const fs::path config = dir_ / "tuned\nb.conf";
  testing::WriteFile(config, "port_scan.min_ports = 20\n");
  const Result r = RunCli("run --print-config --config '" + config.string() + "'");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out,
              HasSubstr("# from --config " + (dir_ / "tuned\\nb.conf").string() + " (default 15)"));
  testing::WriteFile(dir_ / "printed.conf", r.out);
  const Result again = RunCli("run --print-config --config " + (dir_ / "printed.conf").string());
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("\nport_scan.min_ports = 20  # from"));
}

// A port list's repeats cost no memory: 20,000 times "0-65535" (a 160 KB file) were expanded
// port by port before the repeats were dropped, 2.6 GB, out of memory under a 1 GB limit.
TEST_F(Cli, AConfigPortListThatRepeatsARangeNeedsLittleMemory) {
  fs::create_directories(dir_);
  std::string list = "brute_force.ports = 22";
  for (int i = 0; i < 20000; ++i) list += ",0-65535";
  testing::WriteFile(dir_ / "ports.conf", list + "\n");
  const Result r = RunCli("run /dev/null -o " + (dir_ / "o").string() + " --no-progress --config " +
                              (dir_ / "ports.conf").string(),
                          "ulimit -v 1000000; ");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(testing::ReadFile(dir_ / "o" / "manifest.json"),
              HasSubstr("\"brute_force.ports\": \"0-65535\""));
}

// A --config that never ends (`--config <(yes)`, a FIFO fed forever) is a usage error once it
// passes 16 MiB: it was read until memory ran out (exit 3 under a limit, the host's memory
// without one). The shell waits for its writer, which the end of the read stops.
TEST_F(Cli, AConfigThatNeverEndsIsAUsageError) {
  fs::create_directories(dir_);
  const std::string fifo = (dir_ / "endless.conf").string();
  const Result r = flowsift::testing::RunCommand(
      "ulimit -v 2000000; mkfifo " + fifo + " || exit 99; yes '# a comment' > " + fifo +
      " & writer=$!; " + std::string(FLOWSIFT_BINARY) + " run /dev/null -o " +
      (dir_ / "o").string() + " --no-progress --config " + fifo +
      " 2>&1; code=$?; kill $writer 2>/dev/null; wait; exit $code");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr(fifo + ": more than 16 MiB, no config file")) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "o"));
}

// The cap is 16 MiB exactly: a file of 16 MiB (of comments) is read, one byte more is refused.
TEST_F(Cli, AConfigOf16MiBIsReadAndOneByteMoreIsNot) {
  fs::create_directories(dir_);
  const std::string conf = (dir_ / "big.conf").string();
  const std::string line = "#" + std::string(1022, 'x') + "\n";
  std::string text;
  for (int i = 0; i < 16 * 1024; ++i) text += line;
  ASSERT_EQ(text.size(), size_t{16} << 20);
  std::ofstream(conf, std::ios::binary) << text;
  const std::string run =
      "run /dev/null --no-progress --force -o " + (dir_ / "o").string() + " --config " + conf;
  Result r = RunCli(run);
  EXPECT_EQ(r.code, 0) << r.out;
  std::ofstream(conf, std::ios::binary | std::ios::app) << "\n";
  r = RunCli(run);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr(conf + ": more than 16 MiB, no config file")) << r.out;
}

// An empty value (`--config "$CONF"` with CONF unset) is a usage error in every command: taken
// as not given, an empty --config had run with the default thresholds.
TEST_F(Cli, AnEmptyOptionValueIsAUsageError) {
  for (const std::string& args :
       {"run /dev/null -o " + (dir_ / "o").string() + " --config ''",
        "run /dev/null -o " + (dir_ / "o").string() + " --stats-json ''",
        "run /dev/null -o " + (dir_ / "o").string() + " --since ''",
        "run /dev/null -o " + (dir_ / "o").string() + " --format ''", std::string("gen -o ''"),
        "show " + dir_.string() + " --type ''"}) {
    const Result r = RunCli(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr(": empty value (an unset shell variable?)")) << args;
  }
  EXPECT_FALSE(fs::exists(dir_ / "o"));
}

// A --stats-json that cannot be written (a missing directory, a directory, a name too long for
// the file system, a loop of links) is a usage error before the run: it exited 3 after the run
// had published OUT.
TEST_F(Cli, AStatsJsonThatCannotBeWrittenIsAUsageError) {
  fs::create_directories(dir_);
  fs::create_symlink("loop", dir_ / "loop");
  for (const fs::path& stats :
       {dir_ / "missing" / "s.json", dir_, dir_ / std::string(300, 's'), dir_ / "loop"}) {
    const Result r =
        RunCli("run /dev/null -o " + (dir_ / "o").string() + " --stats-json " + stats.string());
    EXPECT_EQ(r.code, 2) << stats << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr("cannot write " + stats.string() + ": "));
  }
  EXPECT_FALSE(fs::exists(dir_ / "o"));
  const Result r = RunCli("run /dev/null -o " + (dir_ / "o").string() + " --stats-json " +
                          (dir_ / "s.json").string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(dir_ / "s.json"));
  // An earlier run's stats are replaced; a file of anything else is not: `--stats-json a.log
  // b.log`, the flag taken for a switch, replaced the log.
  EXPECT_EQ(RunCli("run /dev/null --force -o " + (dir_ / "o").string() + " --stats-json " +
                   (dir_ / "s.json").string())
                .code,
            0);
  std::ofstream(dir_ / "a.log") << "version account-id\n";
  const Result log = RunCli("run --stats-json " + (dir_ / "a.log").string() + " /dev/null -o " +
                            (dir_ / "o2").string());
  EXPECT_EQ(log.code, 2) << log.out;
  EXPECT_THAT(log.out, HasSubstr("is not an earlier run's --stats-json"));
  EXPECT_EQ(ReadFile(dir_ / "a.log"), "version account-id\n");
  EXPECT_FALSE(fs::exists(dir_ / "o2"));
  // Nor any other JSON: another OUT's manifest.json (replaced, show and export refused that
  // OUT), a JSON config.
  std::ofstream(dir_ / "config.json") << R"({"name": "important config"})";
  for (const fs::path& other : {dir_ / "o" / "manifest.json", dir_ / "config.json"}) {
    const std::string before = ReadFile(other);
    const Result refused =
        RunCli("run /dev/null -o " + (dir_ / "o3").string() + " --stats-json " + other.string());
    EXPECT_EQ(refused.code, 2) << other << ": " << refused.out;
    EXPECT_THAT(refused.out, HasSubstr("is not an earlier run's --stats-json"));
    EXPECT_EQ(ReadFile(other), before) << other;
    EXPECT_FALSE(fs::exists(dir_ / "o3"));
  }
  // A write that fails only when flushed (a full disk) is exit 3 (it was 0, the file empty).
  std::ofstream(dir_ / "in.log")
      << "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
         "bytes start end action log-status\n2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 1 1 2 ACCEPT OK\n";
  const Result full = RunCli("run " + (dir_ / "in.log").string() + " -o " + (dir_ / "o3").string() +
                             " --no-progress --stats-json /dev/full");
  EXPECT_EQ(full.code, 3) << full.out;
  EXPECT_THAT(full.out, HasSubstr("cannot write /dev/full: No space left on device"));
  // A stderr that cannot be written does not stop the stats or change the exit status: the
  // outputs are complete (it was exit 3, and no stats file).
  const Result quiet = flowsift::testing::RunCommand(
      std::string(FLOWSIFT_BINARY) + " run " + (dir_ / "in.log").string() + " -o " +
      (dir_ / "o4").string() + " --no-progress --stats-json " + (dir_ / "s.json").string() +
      " 2>/dev/full; echo rc=$?");
  EXPECT_THAT(quiet.out, HasSubstr("rc=0")) << quiet.out;
  EXPECT_THAT(ReadFile(dir_ / "s.json"), HasSubstr("\"records\": 1"));
  // The same with a failed input, whose line on stderr came before the stats were written.
  fs::remove(dir_ / "s.json");
  const Result failed = flowsift::testing::RunCommand(
      std::string(FLOWSIFT_BINARY) + " run " + (dir_ / "in.log").string() + " " +
      (dir_ / "missing.log").string() + " -o " + (dir_ / "o5").string() +
      " --no-progress --stats-json " + (dir_ / "s.json").string() + " 2>/dev/full; echo rc=$?");
  EXPECT_THAT(failed.out, HasSubstr("rc=1")) << failed.out;
  EXPECT_THAT(ReadFile(dir_ / "s.json"), HasSubstr("\"records\": 1"));
}

// A path with control bytes (from a --files-from list, or a file name) is printed escaped on
// stderr: an escape sequence in a name cannot color, move or clear the user's terminal.
TEST_F(Cli, PathsWithControlBytesArePrintedEscaped) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "list") << "\x1b[2Jgone\x01\x7f.log\n";  // ESC, SOH, DEL
  const Result r =
      RunCli("run --files-from " + (dir_ / "list").string() + " -o " + (dir_ / "o").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\\x1b[2Jgone\\x01\\x7f.log: not_found"));
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(r.out.find('\x7f'), std::string::npos);
}

// The other commands escape such a path too, in their own messages, in the usage errors that
// quote an argument (CLI11's and flowsift's) and in gen's and merge's reports: show, export and
// merge had named a missing OUT or part raw, gen its -o, CLI11 an unexpected argument.
TEST_F(Cli, EveryCommandPrintsPathsWithControlBytesEscaped) {
  fs::create_directories(dir_);
  const std::string name = "x\x1b[2Jy\nz\x7f";  // ESC, a newline, DEL
  const std::string shown = "x\\x1b[2Jy\\nz\\x7f";
  // The name through the shell (popen's sh has no $'...'; printf keeps the newline inside).
  const auto quoted = [&](const fs::path& in) {
    return "\"" + in.string() + "/$(printf 'x\\033[2Jy\\nz\\177')\"";
  };
  const auto expect_escaped = [&](const Result& r, int code, const std::string& what) {
    EXPECT_EQ(r.code, code) << what << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr(shown)) << what << ": " << r.out;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << what;
    EXPECT_EQ(r.out.find('\x7f'), std::string::npos) << what;
  };
  expect_escaped(RunCli("show " + quoted(dir_)), 2, "show");
  expect_escaped(RunCli("export " + quoted(dir_) + " --as ocsf"), 2, "export");
  expect_escaped(RunCli("merge " + quoted(dir_) + " -o " + (dir_ / "m").string()), 1, "merge");
  expect_escaped(RunCli("show " + (dir_ / "o").string() + " " + quoted(dir_)), 2, "CLI11's");
  expect_escaped(RunCli("show " + (dir_ / "o").string() + " --type " + quoted(dir_)), 2,
                 "a ValidationError");
  // A log gen did not write (named in its note) and its -o (in its report).
  fs::create_directories(dir_ / "g" / name);
  std::ofstream(dir_ / "g" / name / (name + ".log")) << "x\n";
  expect_escaped(RunCli("gen --records 100 -o " + quoted(dir_ / "g")), 0, "gen");
  // merge's report names its -o.
  ASSERT_EQ(RunCli("gen --records 100 -o " + (dir_ / "in").string()).code, 0);
  ASSERT_EQ(RunCli("run " + (dir_ / "in").string() + " --partial --no-progress -o " +
                   (dir_ / "p").string())
                .code,
            0);
  expect_escaped(RunCli("merge " + (dir_ / "p").string() + " -o " + quoted(dir_)), 0,
                 "merge's report");
}

// --config of a device is a usage error: /dev/zero read until memory ran out (exit 3).
TEST_F(Cli, ConfigOfADeviceIsAUsageError) {
  const Result r = RunCli("run x -o " + (dir_ / "o").string() + " --config /dev/zero");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--config: /dev/zero: a device, not a config file"));
}

// Every --window name is the width it says, as the manifest records it.
TEST_F(Cli, WindowNamesAreTheSecondsTheySay) {
  fs::create_directories(dir_);
  const std::string in = (dir_ / "in.log").string();
  std::ofstream(in) << "";
  const std::pair<const char*, const char*> kWindows[] = {
      {"60", "60"},   {"1m", "60"},   {"300", "300"},   {"5m", "300"},
      {"600", "600"}, {"10m", "600"}, {"3600", "3600"}, {"1h", "3600"}};
  for (const auto& [name, seconds] : kWindows) {
    const fs::path out = dir_ / "out";
    fs::remove_all(out);
    const Result r =
        RunCli("run " + in + " -o " + out.string() + " --no-progress --window " + name);
    ASSERT_EQ(r.code, 0) << name << ": " << r.out;
    EXPECT_THAT(ReadFile(out / "manifest.json"),
                HasSubstr("\"window\": " + std::string(seconds) + ","))
        << name;
  }
}

TEST_F(Cli, HelpTeaches) {
  const Result r = RunCli("gen --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("Example:"));
  EXPECT_THAT(r.out, HasSubstr("--format"));
}

// The top-level help lists each command by its first sentence and fits a screen or two; a
// command's own --help has the rest (its examples and exit codes). It had been ~100 lines,
// every command's whole text.
TEST_F(Cli, TheTopLevelHelpListsCommandsShortly) {
  const Result r = RunCli("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_LT(std::count(r.out.begin(), r.out.end(), '\n'), 50) << r.out;
  for (const char* cmd : {"run", "demo", "gen", "show", "export", "merge"}) {
    EXPECT_THAT(r.out, HasSubstr("\n  " + std::string(cmd) + " ")) << cmd;
  }
  // Every command's, as the top-level help says (gen's and demo's had none).
  for (const char* cmd : {"run", "demo", "gen", "show", "export", "merge"}) {
    EXPECT_THAT(RunCli(std::string(cmd) + " --help").out, HasSubstr("Exit codes: 0 ok")) << cmd;
  }
  EXPECT_THAT(r.out, Not(HasSubstr("Exit codes")));
  EXPECT_THAT(r.out, Not(HasSubstr("Examples:\n    flowsift run")));
  EXPECT_THAT(r.out, HasSubstr("(inputs, errors, timings).\n  demo "));
  EXPECT_THAT(r.out, HasSubstr("one command's flags, examples and exit codes"));
  // Values are named by what they are, not CLI11's TEXT; demo's size as it is typed.
  const std::string run = RunCli("run --help").out;
  for (const char* flag : {"inputs PATH ...", "--files-from FILE", "-o,--out OUT", "--since TIME",
                           "--shard I/N", "--stats-json FILE", "--config FILE"}) {
    EXPECT_THAT(run, HasSubstr(flag));
  }
  // How --files-from reads a list's lines.
  EXPECT_THAT(run, HasSubstr("one per line (blank lines skipped; blanks and a CR at"));
  EXPECT_THAT(RunCli("export --help").out, HasSubstr("-o,--output FILE"));
  // Every option merge compares is named among the reasons for exit 2 (--strict was not).
  const std::string merge = RunCli("merge --help").out;
  for (const char* option : {"--window", "--internal", "--since", "--until", "--format", "--strict",
                             "detection options"}) {
    EXPECT_THAT(merge, HasSubstr(option));
  }
  EXPECT_THAT(RunCli("demo --help").out, HasSubstr("--bytes SIZE=200M"));
  // demo's threads are run's default, the CPUs it may use (a container's, a job's), as -j says.
  EXPECT_THAT(r.out, HasSubstr("run the pipeline on every CPU this process may"));
}

TEST_F(Cli, ThreadsDefaultToTheCpusTheProcessMayUse) {
  // `taskset -c 0` gives the process one CPU, as a Slurm job's cpuset or a container's does:
  // the default is one thread (std::thread::hardware_concurrency would say the machine's all).
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "in").string() + " --records 2000").code, 0);
  const std::string run =
      "run " + (dir_ / "in").string() + " --no-progress --force --stats-json - -o ";
  Result r = RunCli(run + (dir_ / "out").string(), "taskset -c 0 ");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"threads\": 1,"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("note:")));
  // More threads than that run as asked, with a note; -j 0 is the default.
  r = RunCli(run + (dir_ / "out").string() + " -j 3", "taskset -c 0 ");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"threads\": 3,"));
  EXPECT_THAT(r.out, HasSubstr("note: -j 3 is more than the 1 CPU this process may use"));
  r = RunCli(run + (dir_ / "out").string() + " -j 0", "taskset -c 0 ");
  EXPECT_THAT(r.out, HasSubstr("\"threads\": 1,"));
  // As many as the CPUs is no note.
  r = RunCli(run + (dir_ / "out").string() + " -j 1", "taskset -c 0 ");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("note:")));
  EXPECT_EQ(RunCli(run + (dir_ / "out").string() + " -j 5000").code, 2);
  // The bound is 4096 itself (checked by the parser, so --print-config needs no input).
  EXPECT_EQ(RunCli("run --print-config -j 4096").code, 0);
  EXPECT_EQ(RunCli("run --print-config -j 4097").code, 2);
  EXPECT_EQ(RunCli(run + (dir_ / "out").string() + " -j -1").code, 2);
}

// -j that is not a whole number says so: CLI11's range check said "Value 1.5 not in range 0 to
// 4096" (1.5 is), "Value abc not in range", "Value  not in range". So do gen's counts and
// show's --min-severity; gen's --interval 60.0 said "--interval: 60.0" and nothing else.
TEST_F(Cli, NumbersThatAreNotWholeAreNamedSo) {
  for (const char* value : {"1.5", "abc", "-1", "''", "4097"}) {
    SCOPED_TRACE(value);
    for (const char* cmd : {"run --print-config", "demo"}) {
      const Result r = RunCli(std::string(cmd) + " -j " + value);
      EXPECT_EQ(r.code, 2) << r.out;
      EXPECT_THAT(r.out, HasSubstr("--threads must be a whole number from 0 to 4096")) << r.out;
    }
  }
  Result r = RunCli("gen -o " + (dir_ / "g").string() + " --files 1.5");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("'1.5': --files must be a whole number from 1 to 100000"));
  r = RunCli("gen -o " + (dir_ / "g").string() + " --interfaces x");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("'x': --interfaces must be a whole number from 1 to 1000000"));
  r = RunCli("gen -o " + (dir_ / "g").string() + " --interval 60.0");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("'60.0': --interval must be 60 or 600"));
  r = RunCli("show " + (dir_ / "g").string() + " --min-severity 2.5");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("'2.5': --min-severity must be a whole number from 1 to 4"));
  EXPECT_FALSE(fs::exists(dir_ / "g"));
}

// A mistyped flag or command is named with what was probably meant: CLI11 said only "The
// following arguments were not expected: small rnu" (in reverse order, and no word of the
// commands) or "...: --thread".
TEST_F(Cli, MistypedFlagsAndCommandsAreNamedWithWhatWasMeant) {
  const struct {
    const char* args;
    const char* said;
  } cases[] = {
      {"run in -o out --thread 2",
       "--thread: did you mean --threads? (`flowsift run --help` lists"},
      {"run in -o out --no-progres", "--no-progres: did you mean --no-progress?"},
      {"show out --tabel windows", "--tabel: did you mean --table?"},
      {"--hepl", "--hepl: did you mean --help? (`flowsift --help` lists them)"},
      {"rnu logs",
       "'rnu' is not a command (did you mean run?); the commands are run, demo, gen, show, "
       "export, merge"},
      {"help run", "'help' is not a command; the commands are"},
      {"help run", "`flowsift CMD --help`"},
      {"version", "'version' is not a command (did you mean --version?)"},
      {"show out --format csv", "--format: did you mean --as?"},
      {"export out --format ocsf", "--format: did you mean --as?"},
  };
  for (const auto& c : cases) {
    const Result r = RunCli(c.args);
    EXPECT_EQ(r.code, 2) << c.args;
    EXPECT_THAT(r.out, HasSubstr(c.said)) << c.args;
  }
  // Nothing near: CLI11's line alone.
  const Result r = RunCli("run in -o out --zzzzzzzz");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, Not(HasSubstr("did you mean")));
}

// An unknown command is a usage error also with -V or --help beside it: CLI11 answered those
// flags first, and `flowsift shwo -V` printed the version, `flowsift shwo --help` the help, exit
// 0. Before a known command (`flowsift -V run`) -V is still the version.
TEST_F(Cli, AnUnknownCommandBesideVersionOrHelpIsStillAUsageError) {
  for (const char* args : {"shwo -V", "shwo --version", "shwo --help", "-V shwo", "shwo -h run"}) {
    const Result r = RunCli(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr("'shwo' is not a command (did you mean show?)")) << args;
    EXPECT_THAT(r.out, Not(HasSubstr("SIMD target"))) << args;
    EXPECT_THAT(r.out, Not(HasSubstr("Examples:"))) << args;
  }
  Result r = RunCli("-V run");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("SIMD target"));
  r = RunCli("run --help");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Examples:"));
}
}  // namespace
}  // namespace flowsift
