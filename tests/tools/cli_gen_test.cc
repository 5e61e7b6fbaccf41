// `flowsift gen` and `flowsift demo` as users run them: their flags and refusals, the files
// gen writes and leaves alone, what a failed gen removes, demo's report and checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
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

// A size that cannot fit on the disk is refused before anything is written (it used to write
// until the disk was full): exit 3, outputs not written, with what to do.
TEST_F(Cli, GenRefusesWhatCannotFit) {
  const fs::path out = dir_ / "huge";
  const Result r = RunCli("gen -o " + out.string() + " --records 100000000000000");
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_THAT(r.out,
              ::testing::ContainsRegex("about [0-9.]+ PiB of text .* [0-9.]+ [KMGTP]iB free"));
  EXPECT_THAT(r.out, HasSubstr("--records"));
  EXPECT_FALSE(fs::exists(out));
  // Compressed, the same count is still far past any disk here; a count that fits runs.
  EXPECT_EQ(RunCli("gen -o " + out.string() + " --records 100000000000000 --compress zst").code, 3);
  EXPECT_EQ(RunCli("gen -o " + out.string() + " --records 1000").code, 0);
}

// gen's numbers: CLI11 alone read "-5" into a uint64_t as 2^64 - 5, took "nan" hours and
// --records 0 (as the default); each is now a usage error naming the range.
TEST_F(Cli, GenRefusesNegativeZeroAndNotANumber) {
  const std::pair<const char*, const char*> kRefused[] = {
      {"--records 0", "--records must be a whole number from 1"},
      {"--records -3", "--records must be a whole number from 1"},
      {"--seed -1", "--seed must be a whole number from 0"},
      {"--start -5", "--start must be a whole number from 0 to 99999999999"},
      {"--start 100000000000", "--start must be a whole number"},
      // Every record, not only the first, starts before 10^11, which run reads as milliseconds
      // (records of the year 9999 were generated and read back as 1978's).
      {"--start 99999999999",
       "--start: 99999999999 with --hours 1 runs past 5138-11-16T09:46:39Z, the last epoch "
       "second flowsift reads as seconds (larger values are milliseconds); the latest start "
       "for these hours is 99999995799"},
      {"--hours nan", "--hours must be a number above 0 and at most 8784"},
      {"--hours inf", "--hours must be a number above 0"},
      {"--hours 0", "--hours must be a number above 0"},
      {"--hours 8785", "at most 8784"},
      {"--hours 1x", "--hours must be a number"},
      {"--bytes 0", "'0' must be positive"},
      {"--bytes -5", "'-5' must be positive"},
      {"--interfaces 0", "--interfaces must be a whole number from 1 to 1000000"},
      // More ENIs than the VPC's subnets hold: they had shared primary addresses.
      {"--interfaces 40000", "40000 interfaces do not fit the simulated VPC"},
  };
  for (const auto& [flag, message] : kRefused) {
    const Result r = RunCli("gen -o " + (dir_ / "g").string() + " " + flag);
    EXPECT_EQ(r.code, 2) << flag << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr(message)) << flag;
    EXPECT_FALSE(fs::exists(dir_ / "g")) << flag;
  }
}

// A whole number with leading zeros is the decimal number it reads as: CLI11 took a leading 0
// for octal (`--records 010` wrote 8 records, `--records 09` was refused as no number).
TEST_F(Cli, LeadingZerosAreDecimal) {
  for (const auto& [given, records] : {std::pair{"010", "10"}, std::pair{"09", "9"}}) {
    const Result r = RunCli("gen -o " + (dir_ / given).string() + " --records " + given);
    EXPECT_EQ(r.code, 0) << given << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr(std::string("wrote ") + records + " records")) << r.out;
  }
  const Result seed = RunCli("gen -o " + (dir_ / "s1").string() + " --records 50 --seed 017");
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "s2").string() + " --records 50 --seed 17").code, 0);
  ASSERT_EQ(seed.code, 0) << seed.out;
  EXPECT_EQ(ReadFile(dir_ / "s1" / "flows-00000.log"), ReadFile(dir_ / "s2" / "flows-00000.log"));
}

// The latest start the span allows is accepted, its records are of the year 5138, and run reads
// them so (as seconds, not milliseconds).
TEST_F(Cli, GenStartsAsLateAsItsSpanAllows) {
  const Result r =
      RunCli("gen -o " + (dir_ / "g").string() + " --records 50 --start 99999995799 --layout s3");
  ASSERT_EQ(r.code, 0) << r.out;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "g")) {
    if (e.is_regular_file() && e.path().extension() == ".gz") {
      EXPECT_THAT(e.path().string(), HasSubstr("/5138/11/16/")) << e.path();
    }
  }
  ASSERT_EQ(RunCli("run " + (dir_ / "g").string() + " -o " + (dir_ / "o").string()).code, 0);
  const std::string windows = flowsift::testing::ReadZstd(dir_ / "o" / "windows.csv.zst");
  EXPECT_THAT(windows, HasSubstr(",99999996000,99999996600,")) << windows.substr(0, 400);
}

// A write that fails at the close (here the file size limit, as a full disk would) leaves no
// hidden temporary: the file handle was let go before the close's error, and the cleanup
// skipped the file.
TEST_F(Cli, GenThatCannotWriteLeavesNoTemporary) {
  fs::create_directories(dir_ / "g");  // there before: kept (a new one is removed, below)
  const flowsift::testing::CommandResult r = flowsift::testing::RunCommand(
      // 512 bytes: the 20 records' few KB fail at the close's flush, not at a write.
      "trap '' XFSZ; ulimit -f 1; " + std::string(FLOWSIFT_BINARY) + " gen -o " +
      (dir_ / "g").string() + " --records 20 2>&1");
  EXPECT_EQ(r.code, 3) << r.out;
  // The file is named, not its temporary (".flows-00000.log.tmp"), removed by then.
  EXPECT_THAT(r.out, HasSubstr("cannot write " + (dir_ / "g" / "flows-00000.log").string() +
                               ": File too large"));
  EXPECT_THAT(r.out, Not(HasSubstr(".tmp")));
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "g")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
}

// A gen that fails removes the directories it made for -o, with what it wrote into them: a new
// -o had stayed behind, empty or with logs and no truth.jsonl (which the next gen into it then
// refused as not gen's). A directory that was there stays.
TEST_F(Cli, GenThatFailsRemovesTheDirectoriesItMade) {
  fs::create_directories(dir_ / "had");
  const std::string limited = "trap '' XFSZ; ulimit -f 4; ";
  Result r = RunCli("gen -o " + (dir_ / "new" / "sub").string() + " --records 20000", limited);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "new"));
  r = RunCli("gen -o " + (dir_ / "had" / "new").string() + " --records 20000 --layout s3", limited);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_TRUE(fs::is_directory(dir_ / "had"));
  EXPECT_FALSE(fs::exists(dir_ / "had" / "new"));
  r = RunCli("gen -o " + (dir_ / "had").string() + " --records 20000", limited);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_TRUE(fs::is_directory(dir_ / "had"));
  // The S3 layouts' folders it made in an -o that was there go too (an AWSLogs tree of empty
  // folders stayed); a folder that was there stays.
  r = RunCli("gen -o " + (dir_ / "had").string() + " --records 20000 --layout s3", limited);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_TRUE(fs::is_directory(dir_ / "had"));
  EXPECT_FALSE(fs::exists(dir_ / "had" / "AWSLogs")) << r.out;
  fs::create_directories(dir_ / "had" / "AWSLogs");
  r = RunCli("gen -o " + (dir_ / "had").string() + " --records 20000 --layout s3-hive", limited);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_TRUE(fs::is_directory(dir_ / "had" / "AWSLogs"));
  EXPECT_TRUE(fs::is_empty(dir_ / "had" / "AWSLogs")) << r.out;
  // Refused after the directory was made (too few records for the attacks): removed too.
  r = RunCli("gen -o " + (dir_ / "few").string() + " --records 10 --attacks all");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "few"));
  // A gen that finishes keeps what it made.
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "ok" / "sub").string() + " --records 10").code, 0);
  EXPECT_TRUE(fs::exists(dir_ / "ok" / "sub" / "truth.jsonl"));
}

// -o naming a file (or a path through one) is a usage error saying so.
TEST_F(Cli, GenIntoAFileIsAUsageError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "afile") << "x";
  for (const std::string out : {"afile", "afile/sub"}) {
    const Result r = RunCli("gen -o " + (dir_ / out).string() + " --records 10");
    EXPECT_EQ(r.code, 2) << out << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr((dir_ / "afile").string() + " is a file, not a directory"));
  }
}

// -o through a dangling symbolic link, or a name that cannot be looked up, is a usage error
// naming it and what to do; a directory that cannot be made (under /proc) is named with why,
// exit 3. Each had been std::filesystem's raw exception ("filesystem error: cannot create
// directories: File exists [out]"), exit 3.
TEST_F(Cli, GenOutThatCannotBeADirectoryIsNamedWithWhy) {
  fs::create_directories(dir_);
  fs::create_directory_symlink(dir_ / "nowhere", dir_ / "dangling");
  for (const std::string out : {"dangling", "dangling/sub"}) {
    const Result r = RunCli("gen -o " + (dir_ / out).string() + " --records 10");
    EXPECT_EQ(r.code, 2) << out << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr((dir_ / "dangling").string() + " is a symbolic link to " +
                                 (dir_ / "nowhere").string() +
                                 ", which does not exist: create the directory it names"))
        << r.out;
    EXPECT_THAT(r.out, Not(HasSubstr("filesystem error"))) << r.out;
  }
  EXPECT_FALSE(fs::exists(dir_ / "nowhere"));
  fs::create_symlink("loop2", dir_ / "loop1");
  fs::create_symlink("loop1", dir_ / "loop2");
  Result r = RunCli("gen -o " + (dir_ / "loop1" / "x").string() + " --records 10");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--out: " + (dir_ / "loop1" / "x").string() + ": Too many levels"))
      << r.out;
  r = RunCli("gen -o " + (dir_ / std::string(300, 'a')).string() + " --records 10");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr(": File name too long")) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("filesystem error"))) << r.out;
  r = RunCli("gen -o /proc/flowsift-no-such-dir --records 10");
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("flowsift: cannot create /proc/flowsift-no-such-dir: "));
  EXPECT_THAT(r.out, HasSubstr("; give an -o where a directory can be made"));
  EXPECT_THAT(r.out, Not(HasSubstr("filesystem error"))) << r.out;
}

// A gen into a directory that holds other logs (an earlier gen's with more --files, here)
// names them: `flowsift run DIR` would read them with the new set. They are left alone. The
// same gen again is quiet: it replaced every file it wrote.
TEST_F(Cli, GenNamesTheLogsItDidNotWrite) {
  const std::string g = (dir_ / "g").string();
  ASSERT_EQ(RunCli("gen -o " + g + " --records 100 --files 3").code, 0);
  Result r = RunCli("gen -o " + g + " --records 100 --files 3");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("note:")));
  r = RunCli("gen -o " + g + " --records 100 --files 1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("also holds 2 log file(s) this run did not write (first: " + g +
                               "/flows-00001.log)"));
  EXPECT_TRUE(fs::exists(dir_ / "g" / "flows-00002.log"));
  EXPECT_THAT(r.out, HasSubstr("`flowsift run " + g + "` would read them too"));
  // The command to paste is quoted for the shell.
  const std::string spaced = (dir_ / "a b").string();
  ASSERT_EQ(RunCli("gen -o '" + spaced + "' --records 100 --files 2").code, 0);
  r = RunCli("gen -o '" + spaced + "' --records 100");
  EXPECT_THAT(r.out, HasSubstr("`flowsift run '" + spaced + "'` would read them too")) << r.out;
}

// gen's report counts in the units of --bytes (powers of 1024): --bytes 1M read "1.1 MB".
TEST_F(Cli, GenReportsSizesInTheUnitsOfBytes) {
  const Result r =
      RunCli("gen -o " + (dir_ / "g").string() + " --bytes 1M --compress none --files 1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(" records, 1.0 MiB of text (1.0 MiB on disk) in 1 file(s)"))
      << r.out;
}

// The periodic look-alikes stop at their budget (a tenth of the records) instead of being made
// for every 5 minutes of the span and then dropped: a year of 1,000 records ran out of memory
// (~14 GB; 392 MB for 240 hours). 1 GB of address space is plenty now.
TEST_F(Cli, GenOverALongSpanNeedsLittleMemory) {
  const Result r = RunCli("gen -o " + (dir_ / "g").string() + " --records 1000 --hours 8784",
                          "ulimit -v 1000000; ");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("wrote 1000 records"));
}

TEST_F(Cli, GenIsDeterministicAndWritesHeaders) {
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "a").string() + " --records 3000 --seed 9 --files 2").code,
            0);
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "b").string() + " --records 3000 --seed 9 --files 2").code,
            0);
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "c").string() + " --records 3000 --seed 10 --files 2").code,
            0);
  for (const char* name : {"flows-00000.log", "flows-00001.log"}) {
    const std::string a = ReadFile(dir_ / "a" / name);
    EXPECT_EQ(a, ReadFile(dir_ / "b" / name)) << name;
    EXPECT_NE(a, ReadFile(dir_ / "c" / name)) << name;
    EXPECT_EQ(a.substr(0, a.find('\n')),
              "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
              "bytes start end action log-status");
    EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), 1500 + 1);
  }
  EXPECT_FALSE(fs::exists(dir_ / "a" / "flows-00000.log.tmp"));
}

TEST_F(Cli, GenAttackAndLayoutUsageErrors) {
  const std::string out = "gen -o " + dir_.string();
  Result r = RunCli(out + " --attacks port_scan,syn_flood");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("unknown attack 'syn_flood'"));
  for (const char* name :
       {"port_scan", "port_sweep", "brute_force", "exfiltration", "reject_spike", "ddos_fan_in"}) {
    EXPECT_THAT(r.out, HasSubstr(name));
  }
  // A blank list is a usage error that says how to ask for none, not none.
  r = RunCli(out + " --attacks ' '");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("write --attacks none for none"));
  EXPECT_FALSE(fs::exists(dir_ / "truth.jsonl"));
  EXPECT_EQ(RunCli(out + " --layout s4").code, 2);
  EXPECT_EQ(RunCli(out + " --compress bz2").code, 2);
  EXPECT_EQ(RunCli(out + " --layout s3 --files 2").code, 2);
  r = RunCli(out + " --attacks all --records 3000");  // the attacks alone need more
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("raise --records"));
  r = RunCli(out + " --attacks all --format tgw");
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "truth.jsonl"));
}

TEST_F(Cli, GenWritesTruthAndS3Objects) {
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "none").string() + " --records 2000").code, 0);
  EXPECT_TRUE(fs::exists(dir_ / "none" / "truth.jsonl"));
  EXPECT_EQ(ReadFile(dir_ / "none" / "truth.jsonl"), "");  // default: no attacks
  const Result r = RunCli("gen -o " + (dir_ / "s3").string() +
                          " --records 60000 --attacks brute_force,exfiltration --layout s3-hive "
                          "--hours 0.5 --interval 60 --seed 3");
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string truth = ReadFile(dir_ / "s3" / "truth.jsonl");
  EXPECT_EQ(std::count(truth.begin(), truth.end(), '\n'), 8);  // 3 + 2 brute force, 1 + 2 exfil
  EXPECT_THAT(truth, HasSubstr("\"type\":\"exfiltration\""));
  size_t objects = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "s3")) {
    const std::string p = e.path().string();
    if (!e.is_regular_file() || p.find(".log.gz") == std::string::npos) continue;
    ++objects;
    EXPECT_THAT(p, HasSubstr("/AWSLogs/aws-account-id="));
    const std::string gz = ReadFile(e.path());
    EXPECT_EQ(gz.substr(0, 2), "\x1f\x8b");  // gzip by default in the S3 layouts
  }
  // 30 minutes from 200 s into a 5-minute period touch 7 periods: one object each.
  EXPECT_EQ(objects, 7u);
}

TEST_F(Cli, DemoRunsThePipelineAndReportsTheMalformedLines) {
  const Result r = RunCli("demo --bytes 4M -j 2 -o " + (dir_ / "out").string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("bad lines 3"));
  EXPECT_THAT(r.out, HasSubstr("broken.log:2: too_few_fields"));
  EXPECT_THAT(r.out, HasSubstr("broken.log:3: bad_enum"));
  EXPECT_THAT(r.out, HasSubstr("broken.log:4: control_character"));
  EXPECT_THAT(r.out, HasSubstr("busiest interface windows"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex(" at 20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]+Z: "));
  // The "try:" lines name the executable as it was run (a path on no PATH; scripts/demo's).
  EXPECT_THAT(r.out, HasSubstr(std::string("try: ") + FLOWSIFT_BINARY + " show " +
                               (dir_ / "out").string()));
  EXPECT_THAT(r.out, HasSubstr("the generated logs stay in /"));  // and the rm -r that removes them
  const size_t rm = r.out.find("remove them with: rm -r ");
  ASSERT_NE(rm, std::string::npos);
  const std::string base = r.out.substr(rm + 24, r.out.find('\n', rm) - rm - 24);
  EXPECT_TRUE(fs::exists(fs::path(base) / "logs" / "truth.jsonl")) << base;
  fs::remove_all(base);
  for (const char* name : {"windows.csv.zst", "talkers.csv.zst", "exposure.csv.zst",
                           "findings.jsonl.zst", "manifest.json"}) {
    EXPECT_TRUE(fs::exists(dir_ / "out" / name)) << name;
  }
}

// The commands the demo prints are for pasting: a path with a space is quoted, so the printed
// `rm -r` removes the sample and nothing else (bare, `rm -r /x/tmp dir/flowsift-demo-X`
// removed /x/tmp, the whole parent of $TMPDIR's last word).
TEST_F(Cli, DemoQuotesThePathsOfTheCommandsItPrints) {
  fs::create_directories(dir_ / "tmp dir");
  const Result r = RunCli("demo --bytes 4M -j 2 -o '" + (dir_ / "my out").string() + "'",
                          "TMPDIR='" + (dir_ / "tmp dir").string() + "' ");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(std::string("try: ") + FLOWSIFT_BINARY + " show '" +
                               (dir_ / "my out").string() + "'"));
  const size_t rm = r.out.find("remove them with: ");
  ASSERT_NE(rm, std::string::npos) << r.out;
  const std::string command = r.out.substr(rm + 18, r.out.find('\n', rm) - rm - 18);
  EXPECT_THAT(command, HasSubstr("rm -r '" + (dir_ / "tmp dir").string() + "/flowsift-demo-"));
  ASSERT_EQ(flowsift::testing::RunCommand(command).code, 0) << command;
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp dir"));  // the sample gone, its parent kept
  EXPECT_TRUE(fs::exists(dir_ / "my out" / "manifest.json"));
}

// demo's -o is checked as run's is, before it generates anything: it never writes into (or
// reports the outputs of) a directory that is not an earlier output, replaces one only with
// --force, and a sample too small for its attacks is a usage error in --bytes' own unit.
TEST_F(Cli, DemoChecksItsOutputAndSizeFirst) {
  fs::create_directories(dir_ / "tmp");
  const std::string env = "TMPDIR=" + (dir_ / "tmp").string() + " ";
  fs::create_directories(dir_ / "notmine");
  std::ofstream(dir_ / "notmine" / "f") << "x";
  Result r = RunCli("demo --bytes 4M -o " + (dir_ / "notmine").string(), env);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("not an earlier output"));
  EXPECT_EQ(ReadFile(dir_ / "notmine" / "f"), "x");
  r = RunCli("demo --bytes 4M --force -o " + (dir_ / "notmine").string(), env);
  EXPECT_EQ(r.code, 2) << r.out;
  // --seed as gen takes it: digits only (-1 was read as 2^64 - 1).
  r = RunCli("demo --bytes 4M --seed -1 -o " + (dir_ / "seed").string(), env);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--seed must be a whole number"));
  r = RunCli("demo --bytes 3000000 -o " + (dir_ / "small").string(), env);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("raise --bytes to at least 3.6M"));
  EXPECT_FALSE(fs::exists(dir_ / "small"));
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));  // nothing generated, nothing left behind
  // A sample sure not to fit in TMPDIR (its gzip files a fifth of the text) is refused, as gen
  // refuses one, before anything is written: it began filling the disk. (The timeout ends a
  // demo that starts.)
  const uint64_t too_much = fs::space(dir_ / "tmp").available * 6;
  r = RunCli("demo --bytes " + std::to_string(too_much) + " -o " + (dir_ / "huge").string(),
             env + "timeout 60 ");
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("free: ask for less (--bytes), or set TMPDIR"));
  EXPECT_FALSE(fs::exists(dir_ / "huge"));
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
  // An earlier output: refused without --force.
  fs::create_directories(dir_ / "old");
  std::ofstream(dir_ / "old" / "manifest.json") << "{\n  \"tool\": \"flowsift\"\n}\n";
  r = RunCli("demo --bytes 4M -o " + (dir_ / "old").string(), env);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("use --force"));
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
  // An -o where no directory can be made (the run's temporary beside it): said before the
  // sample is generated (it was generated first, and the run failed after), exit 3 as when the
  // run cannot write.
  r = RunCli("demo --bytes 4M -o /proc/flowsift-demo-out", env);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("flowsift: demo: cannot write -o /proc/flowsift-demo-out: cannot "
                               "create a directory in /proc: "))
      << r.out;
  EXPECT_THAT(r.out, HasSubstr("(nothing was generated); give an -o where a directory can be "
                               "made"))
      << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("generated 4"))) << r.out;
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
  // A missing parent is made by the run: an -o under one is no reason to refuse.
  r = RunCli("demo --bytes 4M -o " + (dir_ / "new" / "sub" / "out").string(), env);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(dir_ / "new" / "sub" / "out" / "manifest.json"));
  for (const auto& e : fs::directory_iterator(dir_)) {  // the probe, made where it could be
    EXPECT_FALSE(e.path().filename().string().starts_with(".flowsift-demo-probe")) << e.path();
  }
}

// The sample is a temporary until the demo is done: a demo interrupted while it generates
// leaves nothing in TMPDIR (it left tens of MB under a name not yet printed). A TMPDIR that
// is not a directory is named as the reason (it was temp_directory_path's words).
TEST_F(Cli, AnInterruptedDemoLeavesNoSampleAndTmpdirIsNamed) {
  fs::create_directories(dir_ / "tmp");
  const Result r = flowsift::testing::RunCommand(
      "TMPDIR='" + (dir_ / "tmp").string() + "' " + FLOWSIFT_BINARY + " demo -o '" +
      (dir_ / "out").string() + "' >/dev/null 2>&1 & p=$!; sleep 0.3; kill -TERM $p; wait $p; " +
      "echo rc=$?");
  EXPECT_THAT(r.out, HasSubstr("rc=143")) << r.out;
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
  const Result missing = RunCli("demo --bytes 4M", "TMPDIR=/nonexistent ");
  EXPECT_EQ(missing.code, 3) << missing.out;
  EXPECT_THAT(missing.out, HasSubstr("cannot create a directory for the sample in /nonexistent "
                                     "(TMPDIR): No such file or directory; set TMPDIR"));
}

// gen replaces its own flat files (an earlier output, with truth.jsonl), never a user's file
// of the same name.
TEST_F(Cli, GenDoesNotReplaceFilesItDidNotWrite) {
  fs::create_directories(dir_ / "mine");
  std::ofstream(dir_ / "mine" / "flows-00000.log") << "real logs\n";
  const Result r = RunCli("gen -o " + (dir_ / "mine").string() + " --records 100");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("flows-00000.log exists and is not gen's"));
  EXPECT_EQ(ReadFile(dir_ / "mine" / "flows-00000.log"), "real logs\n");
  // Any name of the K files, not only the first.
  fs::create_directories(dir_ / "third");
  std::ofstream(dir_ / "third" / "flows-00002.log") << "real logs\n";
  const Result third = RunCli("gen -o " + (dir_ / "third").string() + " --records 100 --files 3");
  EXPECT_EQ(third.code, 2) << third.out;
  EXPECT_THAT(third.out, HasSubstr("flows-00002.log exists and is not gen's"));
  EXPECT_FALSE(fs::exists(dir_ / "third" / "flows-00000.log"));
  const std::string again = "gen -o " + (dir_ / "gen").string() + " --records 100";
  ASSERT_EQ(RunCli(again).code, 0);
  EXPECT_EQ(RunCli(again + " --seed 2").code, 0);  // its own: regenerated
  // Its report to a stderr that cannot take it: the files are written, exit 0 (it was 3).
  const Result closed =
      flowsift::testing::RunCommand(std::string(FLOWSIFT_BINARY) + " gen -o " +
                                    (dir_ / "quiet").string() + " --records 100 2>&-; echo rc=$?");
  EXPECT_THAT(closed.out, HasSubstr("rc=0")) << closed.out;
  EXPECT_TRUE(fs::exists(dir_ / "quiet" / "truth.jsonl"));
}

// gen says how much more it needs in the unit it was asked in.
TEST_F(Cli, GenTooSmallForItsAttacksSaysHowMuchInBytes) {
  const std::string out = "gen --attacks all -o " + (dir_ / "g").string();
  Result r = RunCli(out + " --bytes 1M");
  EXPECT_EQ(r.code, 2);
  const size_t at = r.out.find("raise --bytes to at least ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string size = r.out.substr(at + 26, r.out.find('\n', at) - at - 26);
  ASSERT_EQ(RunCli(out + " --bytes " + size).code, 0) << size;  // and that size is enough
}
}  // namespace
}  // namespace flowsift
