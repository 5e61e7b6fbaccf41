// `flowsift show` as users run it: golden outputs of every table in every format, filters,
// limits, exit codes. OUT is made by flowsift::Run on hand-written flow logs plus a
// hand-written findings file (detection does not write findings yet).
//
// To rewrite the goldens after an intended change: FLOWSIFT_UPDATE_GOLDEN=1 tools_test
// --gtest_filter='ShowGolden*', then read the diff before committing it.
#include <fmt/core.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>

#include "pipeline/run.h"
#include "pipeline/tables.h"
#include "tests/test_util.h"
#include "tests/tools/show_fixture.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using flowsift::testing::ReadFile;
using flowsift::testing::WriteFile;
using flowsift::testing::WriteZstd;
using show_fixture::kFindings;
using show_fixture::kLogA;
using show_fixture::kLogB;
using show_fixture::Result;
using show_fixture::RunIn;
using show_fixture::ShowTest;
using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------------------------
// Goldens: every table in every format, and the overview.

class ShowGolden : public ShowTest,
                   public ::testing::WithParamInterface<std::tuple<std::string, std::string>> {};

TEST_P(ShowGolden, MatchesTheCheckedInOutput) {
  const auto [table, as] = GetParam();
  const std::string ext = as == "table" ? "txt" : as == "csv" ? "csv" : "jsonl";
  const std::string args = table == "overview" ? "--as " + as : "--table " + table + " --as " + as;
  const Result r = Show(args);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const fs::path golden =
      fs::path(FLOWSIFT_SOURCE_DIR) / "tests" / "golden" / "show" / (table + "." + ext);
  if (std::getenv("FLOWSIFT_UPDATE_GOLDEN") != nullptr) WriteFile(golden, r.out);
  ASSERT_TRUE(fs::exists(golden)) << golden;
  EXPECT_EQ(r.out, ReadFile(golden)) << "flowsift show out " << args << " differs from " << golden;
  EXPECT_THAT(r.out, Not(HasSubstr("\033[")));  // no colour when stdout is not a terminal
}

std::string GoldenName(const ::testing::TestParamInfo<ShowGolden::ParamType>& p) {
  return std::get<0>(p.param) + "_" + std::get<1>(p.param);
}

INSTANTIATE_TEST_SUITE_P(Tables, ShowGolden,
                         ::testing::Combine(::testing::Values<std::string>("inputs", "windows",
                                                                           "findings", "talkers",
                                                                           "exposure", "errors"),
                                            ::testing::Values<std::string>("table", "csv", "json")),
                         GoldenName);
INSTANTIATE_TEST_SUITE_P(Overview, ShowGolden,
                         ::testing::Combine(::testing::Values<std::string>("overview"),
                                            ::testing::Values<std::string>("table", "json")),
                         GoldenName);

// ---------------------------------------------------------------------------------------------
// Behaviour.

TEST_F(ShowTest, CsvIsTheTableFileItself) {
  for (const char* table : {"windows", "talkers", "exposure"}) {
    const Result r = Show(std::string("--table ") + table + " --as csv");
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out, testing::ReadZstd(dir_ / "out" / (std::string(table) + ".csv.zst"))) << table;
  }
}

TEST_F(ShowTest, JsonRowsHaveNumbersAsNumbers) {
  const Result r = Show("--table windows --as json --limit 1");
  ASSERT_EQ(r.code, 0);
  const auto row = nlohmann::json::parse(r.out);
  EXPECT_TRUE(row["bytes"].is_number_unsigned());
  EXPECT_TRUE(row["window_start"].is_number_unsigned());
  EXPECT_TRUE(row["account_id"].is_string());  // "123456789012" stays text
  EXPECT_EQ(row["account_id"], "123456789012");
}

TEST_F(ShowTest, FiltersSelectRows) {
  Result r = Show("--table windows --as csv --interface eni-0f00000000000000b");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 2);
  EXPECT_THAT(r.out, Not(HasSubstr("eni-0a1b2c3d4e5f60718")));

  r = Show("--table windows --as csv --since 1700000400 --until 2023-11-14T22:30:00Z");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 2);  // both interfaces at 22:20
  EXPECT_THAT(r.out, HasSubstr(",1700000400,1700001000,"));

  r = Show("--table findings --as json --min-severity 3");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2);
  EXPECT_THAT(r.out, HasSubstr("\"exfiltration\""));
  EXPECT_THAT(r.out, HasSubstr("\"port_scan\""));

  r = Show("--table findings --as json --min-severity 4");  // critical, the highest
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
  EXPECT_THAT(r.out, HasSubstr("\"exfiltration\""));

  // By the name the table view prints, in any case: `high` was refused as not a number.
  const std::string high = Show("--table findings --as json --min-severity 3").out;
  for (const char* name : {"high", "HIGH", "High"}) {
    r = Show(std::string("--table findings --as json --min-severity ") + name);
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
    EXPECT_EQ(r.out, high) << name;
  }
  r = Show("--table findings --as json --min-severity critical");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
  r = Show("--table findings --as json --min-severity low");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 4);
  r = Show("--table findings --min-severity hi");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("'hi': --min-severity must be a whole number from 1 to 4 or a "
                               "severity's name: low, medium, high, critical"));

  r = Show("--table findings --as json --type brute_force");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
  // A finding matches an interface in its `interfaces` list.
  r = Show("--table findings --as json --interface eni-0a1b2c3d4e5f60718");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3);

  r = Show("--type port_scan");  // the overview counts only the selected findings
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("findings   1\n"));
  EXPECT_THAT(r.out, HasSubstr("in 5 windows on 2 interfaces"));  // windows are not filtered
}

// --interface takes a whole id: a table none of whose rows has it says so on stderr with the
// ids it has (those the text begins first), and still prints its empty table, exit 0. A row
// that has it, even one the other filters drop, is no miss.
TEST_F(ShowTest, AnInterfaceNoRowHasNamesTheTablesOwn) {
  Result r = Show("--table windows --as csv --interface eni-0f");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
  EXPECT_EQ(r.err,
            "flowsift: note: no row of the windows table has interface eni-0f (--interface takes "
            "a whole id); 1 of its 2 interfaces begins with it: eni-0f00000000000000b\n");
  r = Show("--table findings --as json --interface eni-");  // from `interfaces` lists
  EXPECT_THAT(r.err, HasSubstr("all 2 of its interfaces begin with it: eni-0a1b2c3d4e5f60718, "
                               "eni-0f00000000000000b\n"));
  r = Show("--table exposure --interface nope");
  EXPECT_THAT(r.err, HasSubstr("interface nope (--interface takes a whole id); its 2 interfaces "
                               "are eni-0a1b2c3d4e5f60718, eni-0f00000000000000b\n"));
  r = Show("--interface eni-0a1b");  // the overview's windows
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no row of the windows table has interface eni-0a1b"));
  r = Show("--table findings --as json --interface eni-0f00000000000000b --type port_scan");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  r = Show("--table windows --as csv --interface eni-0f00000000000000b");
  EXPECT_EQ(r.err, "");
}

// --since/--until that no row starts within (a wrong day, a local time taken for UTC) said
// "(no rows)", and the overview "0 windows" and "findings none", as of a quiet night: stderr
// names the filter and the table's first and last window_start. The output and exit 0 stay. A
// row within, even one another filter drops, is no miss.
TEST_F(ShowTest, ATimeNoRowStartsWithinNamesTheTablesRange) {
  Result r = Show("--table windows --as csv --since 2030-01-01");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
  EXPECT_EQ(r.err,
            "flowsift: note: no row of the windows table starts within --since "
            "2030-01-01T00:00:00Z: its window_start runs from 2023-11-14T22:10:00Z to "
            "2023-11-14T22:30:00Z\n");
  r = Show("--table findings --since 2023-11-14T20:00Z --until 2023-11-14T21:00Z");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(no rows)"));
  // Findings are selected by when they were seen (docs/show.md), and named so.
  EXPECT_THAT(r.err, HasSubstr("no row of the findings table was seen within --since "
                               "2023-11-14T20:00:00Z --until 2023-11-14T21:00:00Z: its "
                               "first_seen runs from 2023-11-14T22:13:20Z, its last_seen to "
                               "2023-11-14T22:26:50Z\n"));
  r = Show("--until 2023-11-14");  // the overview's windows
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("findings   none"));
  EXPECT_THAT(r.err, HasSubstr("no row of the windows table starts within --until "
                               "2023-11-14T00:00:00Z"));
  r = Show("--table talkers --as csv --since 2023-11-14T22:20Z");
  EXPECT_EQ(r.err, "");
  r = Show("--table findings --as json --since 2023-11-14T22:20Z --type port_scan");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST_F(ShowTest, LimitStopsEarlyAndSaysSo) {
  Result r = Show("--table windows --as csv --limit 2");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 2);
  r = Show("--table windows --limit 1");
  EXPECT_THAT(r.out, HasSubstr("(first 1 row; --limit N or --limit 0 shows more)"));
  r = Show("--table windows --limit 0");
  EXPECT_THAT(r.out, Not(HasSubstr("first")));
}

// A windows table of 300,000 rows at `path`, its compressed second half cut off.
void WriteBigWindowsCutInHalf(const fs::path& path) {
  std::vector<WindowRow> rows;
  for (uint64_t i = 0; i < 300000; ++i) {
    rows.push_back({"eni-" + std::to_string(i), "1", i * 600, i * 600 + 600, i, 0, 0, i, 0, i, i, 0,
                    0, 0, 1, 1, 1});
  }
  std::string error;
  ASSERT_TRUE(WriteWindows(path.string(), rows, &error)) << error;
  const std::string packed = ReadFile(path);
  WriteFile(path, packed.substr(0, packed.size() / 2));
}

TEST_F(ShowTest, StreamsBigTablesAndReadsOnlyWhatItPrints) {
  // A big windows table whose second half is cut off: the first rows print without touching
  // the damage; reading it all reports it, naming the file, after the rows before it.
  WriteBigWindowsCutInHalf(dir_ / "out" / "windows.csv.zst");

  Result r = Show("--table windows --as csv --limit 3");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 3);
  r = Show("--table windows --as json");
  EXPECT_EQ(r.code, 1);
  EXPECT_GT(std::count(r.out.begin(), r.out.end(), '\n'), 1000);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst: truncated zstd data"));
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst: truncated zstd data"));
}

// A write to stdout that fails ends the reading: the rows after it would go nowhere (a reader of
// a pipe that has gone, `| head` with SIGPIPE ignored; a full disk), and a huge table was decoded
// to its end first. The error is named by its cause, exit 3: "a full disk?" was guessed of a
// closed pipe too.
TEST_F(ShowTest, AFailedWriteToStdoutEndsTheReadingAndIsNamed) {
  WriteBigWindowsCutInHalf(dir_ / "out" / "windows.csv.zst");  // damage only the end shows
  if (fs::exists("/dev/full")) {
    const Result r = Show("--table windows --as csv >/dev/full");
    EXPECT_EQ(r.code, 3);
    EXPECT_EQ(r.err,
              "flowsift: cannot write to stdout: No space left on device: the output is "
              "incomplete\n");
  }
  // SIGPIPE ignored, as some job runners leave it: the pipe's reader has gone after one byte.
  const fs::path err = dir_ / "stderr.txt", code = dir_ / "code.txt";
  flowsift::testing::RunCommand("cd '" + dir_.string() + "' && (trap '' PIPE; " + FLOWSIFT_BINARY +
                                " show out --table windows --as json 2>'" + err.string() +
                                "'; echo $? >'" + code.string() + "') | head -c 1 >/dev/null");
  EXPECT_EQ(ReadFile(code), "3\n");
  EXPECT_EQ(ReadFile(err),
            "flowsift: cannot write to stdout: Broken pipe: the output is incomplete\n");
}

TEST_F(ShowTest, CorruptOrMissingFilesExitOneNamingThem) {
  WriteFile(dir_ / "out" / "talkers.csv.zst", "not zstd at all\n");
  Result r = Show("--table talkers");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/talkers.csv.zst: corrupt zstd data"));

  fs::remove(dir_ / "out" / "exposure.csv.zst");
  r = Show("--table exposure --as csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot open out/exposure.csv.zst"));

  ZstdFileWriter w;
  std::string error;
  ASSERT_TRUE(w.Open((dir_ / "out" / "findings.jsonl.zst").string(), &error));
  w.Write("{\"type\":\"port_scan\"}\n{oops\n{\"type\":\"brute_force\"}\n[]\n");
  ASSERT_TRUE(w.Close(&error));
  // A bad line is named and skipped; the findings after it are still shown; exit 1.
  r = Show("--table findings --as json");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "{\"type\":\"port_scan\"}\n{\"type\":\"brute_force\"}\n");
  EXPECT_THAT(r.err, HasSubstr("out/findings.jsonl.zst:2: not valid JSON (skipped)"));
  EXPECT_THAT(r.err, HasSubstr("out/findings.jsonl.zst:4: not a JSON object (skipped)"));
  EXPECT_THAT(r.err, HasSubstr("out/findings.jsonl.zst: 2 unreadable lines skipped"));
  // The overview still counts the readable findings.
  r = Show("--as json");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("\"by_type\":{\"port_scan\":1,\"brute_force\":1}"));
  EXPECT_THAT(r.out, HasSubstr("2 unreadable lines skipped"));  // findings.error in the JSON
  r = Show("");
  EXPECT_THAT(r.out, HasSubstr("findings   2 readable (the file is damaged: see stderr)\n"));
  // A findings file cut after its frame header: nothing readable is not "none".
  const std::string whole = ReadFile(dir_ / "out" / "findings.jsonl.zst");
  WriteFile(dir_ / "out" / "findings.jsonl.zst", whole.substr(0, 6));
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/findings.jsonl.zst: truncated zstd data"));
  EXPECT_THAT(r.out, HasSubstr("findings   none readable (the file is damaged: see stderr)\n"));

  WriteFile(dir_ / "out" / "manifest.json", "{\"tool\":");
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/manifest.json: corrupt"));
}

// A windows row that cannot be read is named and skipped as a bad findings line is: the rows
// after it are still shown and the overview is printed, exit 1 (one bad row stopped the table
// there and printed no overview at all). A value of the wrong type in a row (a number for a
// finding's type, text in a number column) is the row's problem, not the manifest's.
TEST_F(ShowTest, ABadRowIsSkippedAndTheOverviewStillPrinted) {
  const std::string table = flowsift::testing::ReadZstd(dir_ / "out" / "windows.csv.zst");
  const size_t second = table.find('\n', table.find('\n') + 1) + 1;  // after the first row
  const std::string bad_row = "eni-x,1,notanumber,2,3\n";
  const std::string text_in_number =
      "eni-y,123456789012,5,6,7,8,9,10,11,text,13,14,15,16,17,18,19\n";
  ZstdFileWriter w;
  std::string error;
  ASSERT_TRUE(w.Open((dir_ / "out" / "windows.csv.zst").string(), &error));
  w.Write(table.substr(0, second) + bad_row + text_in_number + table.substr(second));
  ASSERT_TRUE(w.Close(&error));
  const size_t rows = static_cast<size_t>(std::count(table.begin(), table.end(), '\n')) - 1;
  Result r = Show("--table windows --as csv --limit 0");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(static_cast<size_t>(std::count(r.out.begin(), r.out.end(), '\n')), 1 + rows + 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst:3: 5 fields, the header has 17 (skipped)"));
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst: 1 unreadable row skipped"));
  // The same with a limit the copy stops at (the terminal view's default of 50 rows).
  r = Show("--table windows --limit 5");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst: 1 unreadable row skipped"));
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("busiest windows by bytes"));
  EXPECT_THAT(r.out, HasSubstr("findings"));
  EXPECT_THAT(r.err, Not(HasSubstr("manifest.json")));

  ASSERT_TRUE(w.Open((dir_ / "out" / "windows.csv.zst").string(), &error));
  w.Write(table);
  ASSERT_TRUE(w.Close(&error));
  ASSERT_TRUE(w.Open((dir_ / "out" / "findings.jsonl.zst").string(), &error));
  w.Write("{\"type\":\"port_scan\",\"severity\":2}\n{\"type\":5}\n");
  ASSERT_TRUE(w.Close(&error));
  r = Show("");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("manifest.json")));
  EXPECT_THAT(r.out, HasSubstr("port_scan"));
}

// A table that cannot be opened (cut before its first row, missing) is named and left out of the
// overview, whose other parts are printed, exit 1: it printed nothing at all.
TEST_F(ShowTest, TheOverviewIsPrintedWhenATableCannotBeOpened) {
  fs::resize_file(dir_ / "out" / "windows.csv.zst", 10);
  Result r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst"));
  EXPECT_THAT(r.out, HasSubstr("records    "));
  EXPECT_THAT(r.out, HasSubstr("traffic    unreadable (windows.csv.zst: see stderr)"));
  EXPECT_THAT(r.out, HasSubstr("\nfindings   "));
  fs::remove(dir_ / "out" / "findings.jsonl.zst");
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("findings   none readable"));  // not "none": a clean night
  const auto o = DamagedOverviewJson();
  EXPECT_TRUE(o.contains("windows_error"));
  EXPECT_TRUE(o["findings"].contains("error"));
}

// The overview does not summarise talkers and exposure, but a job that runs it as the check
// of an OUT learns when either is missing or damaged (it exited 0): named on stderr, listed as
// damaged, exit 1. Whole, they add nothing to the output (the goldens), however large.
TEST_F(ShowTest, TheOverviewFailsWhenTalkersOrExposureAreMissingOrDamaged) {
  const fs::path exposure = dir_ / "out" / "exposure.csv.zst";
  const std::string whole = ReadFile(exposure);
  // Decoded to its end, not only as far as its header: a table of megabytes whose first blocks
  // are whole and whose end is cut is named (the goldens' tables are one block).
  const std::string text = flowsift::testing::ReadZstd(exposure);
  const size_t header = text.find('\n') + 1;
  ASSERT_GT(text.size(), header);
  std::string big = text;
  while (big.size() < (4u << 20)) big += text.substr(header);
  WriteZstd(exposure, big);
  Result r = Show("");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string packed = ReadFile(exposure);
  WriteFile(exposure, packed.substr(0, packed.size() - 6));
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/exposure.csv.zst: truncated"));
  EXPECT_THAT(r.out, HasSubstr("damaged    exposure.csv.zst (see stderr)\n\nbusiest"));
  fs::remove(dir_ / "out" / "talkers.csv.zst");
  WriteFile(exposure, "garbage\n");
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/talkers.csv.zst"));
  EXPECT_THAT(r.out, HasSubstr("damaged    talkers.csv.zst, exposure.csv.zst (see stderr)"));
  const auto o = DamagedOverviewJson();
  ASSERT_TRUE(o.contains("table_errors"));
  EXPECT_EQ(o["table_errors"].size(), 2u);
  EXPECT_THAT(o["table_errors"]["exposure.csv.zst"].get<std::string>(),
              HasSubstr("exposure.csv.zst"));
  // Whole again but another table's copy in its place: refused by its header.
  fs::copy_file(dir_ / "out" / "windows.csv.zst", dir_ / "out" / "talkers.csv.zst");
  WriteFile(exposure, whole);
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("talkers.csv.zst:1: not this table's header"));
}

// The overview's busiest windows: --limit N of them, and --limit 0 all, as --help says of
// every listing (it showed the default 10).
TEST_F(ShowTest, TheOverviewListsLimitWindowsAndAllWithZero) {
  ASSERT_EQ(RunIn(dir_, "gen -o g --records 20000").code, 0);
  ASSERT_EQ(RunIn(dir_, "run g -o og --no-progress").code, 0);
  const Result csv = RunIn(dir_, "show og --table windows --as csv --limit 0");
  const auto windows = static_cast<size_t>(std::count(csv.out.begin(), csv.out.end(), '\n')) - 1;
  ASSERT_GT(windows, 10u);  // more than the default
  // The listed windows are the lines between the busiest windows' rule and the blank line.
  const auto listed = [](const std::string& out) {
    const size_t rule = out.find("\n---", out.find("busiest windows by bytes"));
    const size_t begin = out.find('\n', rule + 1) + 1, end = out.find("\n\n", begin);
    return static_cast<size_t>(std::count(out.begin() + begin, out.begin() + end, '\n')) + 1;
  };
  EXPECT_EQ(listed(RunIn(dir_, "show og --limit 1").out), 1u);
  EXPECT_EQ(listed(RunIn(dir_, "show og").out), 10u);
  EXPECT_EQ(listed(RunIn(dir_, "show og --limit 0").out), windows);
}

// The overview's traffic saturates at 2^63 - 1 as the windows' own sums do: two windows of
// 2^63 - 1 bytes and one of 2 had wrapped to "0 B" (and "bytes":0 in JSON).
TEST_F(ShowTest, TheOverviewsTrafficSaturatesInsteadOfWrapping) {
  std::string log;
  for (const char* eni : {"eni-1", "eni-2"}) {
    log += std::string("2 123456789012 ") + eni +
           " 10.0.1.5 10.0.2.9 40000 5432 6 1 9223372036854775807 1700000000 1700000060 "
           "ACCEPT OK\n";
  }
  log +=
      "2 123456789012 eni-3 10.0.1.5 10.0.2.9 40000 5432 6 1 2 1700000000 1700000060 ACCEPT OK\n";
  WriteFile(dir_ / "big.log", log);
  ASSERT_EQ(RunIn(dir_, "run big.log -o big --no-progress --no-detect").code, 0);
  const Result r = RunIn(dir_, "show big");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("traffic    8.0 EiB in 3 windows on 3 interfaces\n")) << r.out;
  EXPECT_THAT(RunIn(dir_, "show big --as json").out, HasSubstr(R"("bytes":9223372036854775807,)"));
}

// One window on one interface is said in the singular, as run's summary line counts ("in 1
// windows on 1 interfaces" before; `show OUT --interface ID` of any busy OUT says it).
TEST_F(ShowTest, TheOverviewsTrafficCountsOneInTheSingular) {
  WriteFile(dir_ / "one.log",
            "2 123456789012 eni-1 10.0.1.5 10.0.2.9 40000 5432 6 1 2 1700000000 1700000060 "
            "ACCEPT OK\n");
  ASSERT_EQ(RunIn(dir_, "run one.log -o one --no-progress --no-detect").code, 0);
  const Result r = RunIn(dir_, "show one");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("traffic    2 B in 1 window on 1 interface\n")) << r.out;
}

// Each count its own number: two windows of one interface are "2 windows on 1 interface".
TEST_F(ShowTest, TheOverviewsTrafficCountsWindowsAndInterfacesApart) {
  WriteFile(dir_ / "two.log",
            "2 123456789012 eni-1 10.0.1.5 10.0.2.9 40000 5432 6 1 2 1700000000 1700000060 "
            "ACCEPT OK\n"
            "2 123456789012 eni-1 10.0.1.5 10.0.2.9 40000 5432 6 1 2 1700007200 1700007260 "
            "ACCEPT OK\n");
  ASSERT_EQ(RunIn(dir_, "run two.log -o two --no-progress --no-detect").code, 0);
  const Result r = RunIn(dir_, "show two");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("traffic    4 B in 2 windows on 1 interface\n")) << r.out;
}

// A table replaced by a FIFO (or a directory) is named as not a file: opening the FIFO waited
// for a writer for ever. (Without the check, ctest's timeout fails this test.)
TEST_F(ShowTest, ATableThatIsNotAFileIsNamedNotWaitedFor) {
  fs::remove(dir_ / "out" / "talkers.csv.zst");
  ASSERT_EQ(mkfifo((dir_ / "out" / "talkers.csv.zst").c_str(), 0644), 0);
  Result r = Show("--table talkers");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/talkers.csv.zst: not a regular file (a FIFO)"));
  fs::remove(dir_ / "out" / "exposure.csv.zst");
  fs::create_directory(dir_ / "out" / "exposure.csv.zst");
  r = Show("--table exposure");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/exposure.csv.zst: not a regular file (a directory)"));
  // So is the manifest: a FIFO waited for ever, a link to /dev/zero read until memory ran out.
  fs::remove(dir_ / "out" / "manifest.json");
  ASSERT_EQ(mkfifo((dir_ / "out" / "manifest.json").c_str(), 0644), 0);
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/manifest.json: not a regular file (a FIFO)"));
  fs::remove(dir_ / "out" / "manifest.json");
  fs::create_symlink("/dev/zero", dir_ / "out" / "manifest.json");
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/manifest.json: not a regular file (a device)"));
}

// Another table in a table's place (a copy over it, two swapped) is named with exit 1 and not
// shown: talkers.csv.zst copied over windows.csv.zst was shown as windows with exit 0 and the
// overview's totals wrong ("139.8 GB ... on 1 interfaces"), where export refused it.
TEST_F(ShowTest, AnotherTableInATablesPlaceIsNamedNotShown) {
  const fs::path out = dir_ / "out";
  // windows and exposure both start with interface_id: the second column tells them apart.
  fs::copy_file(out / "windows.csv.zst", out / "exposure.csv.zst",
                fs::copy_options::overwrite_existing);
  Result r = Show("--table exposure --as csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/exposure.csv.zst:1: not this table's header: column 2 is "
                               "`account_id`, not `dst_port`"));
  EXPECT_EQ(r.out, "");
  fs::copy_file(out / "talkers.csv.zst", out / "windows.csv.zst",
                fs::copy_options::overwrite_existing);
  r = Show("--table windows --as csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst:1: not this table's header: column 1 is "
                               "`window_start`, not `interface_id` (another table in its "
                               "place?)"));
  EXPECT_EQ(r.out, "");
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst:1: not this table's header"));
  r = Show("--table talkers --limit 1");
  EXPECT_EQ(r.code, 0) << r.err;
}

// A manifest that is JSON but has a value of the wrong type ("options": null, an input that is
// a number) is named as corrupt with exit 1; it was exit 3 with the JSON library's words only.
TEST_F(ShowTest, AManifestOfWrongTypesIsCorruptNotAnOutputError) {
  const std::string good = ReadFile(dir_ / "out" / "manifest.json");
  auto m = nlohmann::ordered_json::parse(good);
  m["tool"] = nullptr;
  WriteFile(dir_ / "out" / "manifest.json", m.dump());
  Result r = Show("");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("out/manifest.json: corrupt: a value has the wrong type"));
  // The values every view walks are checked by key, alike for every view: --as json printed a
  // null "totals", and --table inputs listed an "inputs" of "x" as a row (exit 0).
  const struct {
    const char* key;
    nlohmann::ordered_json value;
    const char* says;
  } cases[] = {{"options", nullptr, "\"options\" is null, not an object"},
               {"totals", nullptr, "\"totals\" is null, not an object"},
               {"inputs", "x", "\"inputs\" is a string, not an array of objects"},
               {"merged_from", "x", "\"merged_from\" is a string, not an array of objects"},
               {"bad_line_samples", {1}, "\"bad_line_samples\" is an array with an element"},
               // Nested values the overview reads, named by their path.
               {"totals.records", "7", "\"totals.records\" is a string, not a whole number"},
               {"totals.bad_lines_by_reason",
                {1},
                "\"totals.bad_lines_by_reason\" is an array, not an object of whole numbers"},
               {"options.window", -600, "\"options.window\" is a number, not a whole number"},
               {"version", 1, "\"version\" is a number, not a string"}};
  for (const auto& c : cases) {
    m = nlohmann::ordered_json::parse(good);
    const std::string key = c.key;
    if (const size_t dot = key.find('.'); dot != std::string::npos) {
      m[key.substr(0, dot)][key.substr(dot + 1)] = c.value;
    } else {
      m[key] = c.value;
    }
    WriteFile(dir_ / "out" / "manifest.json", m.dump());
    for (const char* view : {"", "--as json", "--table inputs", "--table errors"}) {
      r = Show(view);
      EXPECT_EQ(r.code, 1) << c.key << " " << view << ": " << r.err;
      EXPECT_THAT(r.err, HasSubstr(std::string("out/manifest.json: corrupt (") + c.says))
          << c.key << " " << view;
    }
  }
  WriteFile(dir_ / "out" / "manifest.json", good);
  EXPECT_EQ(Show("").code, 0);
}

// A merged OUT (docs/distributed.md) lists its parts under merged_from; a part that failed has
// inputs that are in no total, and the overview used to say "(0 failed)" and nothing else.
TEST_F(ShowTest, AMergedOutputNamesItsFailedParts) {
  auto m = nlohmann::ordered_json::parse(ReadFile(dir_ / "out" / "manifest.json"));
  m["merged_from"] = {{{"path", "p0/state.bin.zst"},
                       {"shard", "0/2"},
                       {"records", 9},
                       {"status", "ok"},
                       {"error", nullptr}},
                      {{"path", "p1/state.bin.zst"},
                       {"status", "failed"},
                       {"error", "p1/state.bin.zst: corrupt (Unknown frame descriptor)"}}};
  WriteFile(dir_ / "out" / "manifest.json", m.dump());
  Result r = Show("");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("parts      1 of 2 merged (1 failed: their inputs are not counted)\n"
                        "  failed   p1/state.bin.zst: corrupt (Unknown frame descriptor)\n"));
  r = Show("--as json");
  const auto o = nlohmann::ordered_json::parse(r.out);
  EXPECT_EQ(o["parts"], 2);
  EXPECT_EQ(o["failed_parts"].dump(),
            R"j([{"path":"p1/state.bin.zst","error":"corrupt (Unknown frame descriptor)"}])j");
  // The errors table: the failed input of the run first, then the part, then the samples.
  r = Show("--table errors --as json");
  EXPECT_THAT(r.out, HasSubstr("{\"path\":\"in/missing.log\""));
  EXPECT_THAT(r.out, HasSubstr("{\"path\":\"p1/state.bin.zst\",\"line\":null,\"offset\":null,"
                               "\"reason\":\"failed part\",\"text\":\"corrupt (Unknown frame "
                               "descriptor)\"}\n{\"path\":\"in/b.log\""));
  // Every part read: the line says so; an OUT of one run has no parts line at all.
  m["merged_from"].erase(1);
  WriteFile(dir_ / "out" / "manifest.json", m.dump());
  EXPECT_THAT(Show("").out, HasSubstr("parts      1 of 1 merged (0 failed)\n"));
  // That part is shard 0 of 2: shard 1 was never merged (merge exits 1 and writes OUT), and
  // the overview says so, not only in merge's own exit status.
  EXPECT_THAT(Show("").out, HasSubstr("parts      1 of 1 merged (0 failed)\n"
                                      "  missing  1 of 2 shards not merged (1): their inputs "
                                      "are not counted\n"));
  EXPECT_THAT(Show("--as json").out, HasSubstr(R"("shards":2,"missing_shards":[1])"));
  m["merged_from"].push_back({{"path", "p1/state.bin.zst"},
                              {"shard", "1/2"},
                              {"records", 1},
                              {"status", "ok"},
                              {"error", nullptr}});
  WriteFile(dir_ / "out" / "manifest.json", m.dump());
  EXPECT_THAT(Show("").out, Not(HasSubstr("missing ")));
  EXPECT_THAT(Show("--as json").out, Not(HasSubstr("missing_shards")));
  m.erase("merged_from");
  WriteFile(dir_ / "out" / "manifest.json", m.dump());
  EXPECT_THAT(Show("").out, Not(HasSubstr("parts ")));
  EXPECT_THAT(Show("--as json").out, Not(HasSubstr("failed_parts")));
}

// A part of a distributed run (run --partial) is shown and exported as one, saying that its
// tables are of its own inputs alone: it had read as the whole night's, silently.
TEST_F(ShowTest, APartSaysItIsOne) {
  ASSERT_EQ(RunIn(dir_, "run in --partial --shard 1/2 --no-progress -o part").code, 0);
  Result r = RunIn(dir_, "show part");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\n\npart       shard 1/2 of a distributed run (--partial): its "
                               "tables are of its own inputs alone; `flowsift merge` the parts "
                               "for the whole\ninputs "));
  EXPECT_EQ(nlohmann::ordered_json::parse(RunIn(dir_, "show part --as json").out)["part"],
            "shard 1/2");
  r = RunIn(dir_, "export part --as ecs");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err,
            "flowsift: note: part is shard 1/2 of a distributed run (--partial): its events are "
            "of its own inputs alone; export the output of `flowsift merge` for the whole run\n");
  // A run's own OUT, and a merge's, are no part.
  EXPECT_THAT(Show("").out, Not(HasSubstr("part ")));
  EXPECT_FALSE(nlohmann::ordered_json::parse(Show("--as json").out).contains("part"));
  EXPECT_EQ(RunIn(dir_, "export out --as ecs").err, "");
  ASSERT_EQ(RunIn(dir_, "merge part -o merged").code, 1);  // shard 0/2 is missing
  EXPECT_THAT(RunIn(dir_, "show merged").out, Not(HasSubstr("part ")));
  EXPECT_EQ(RunIn(dir_, "export merged --as ecs").err, "");
}

// A run without detection has no findings file rows: "none" would read as a clean night.
// The overview's inputs, records and bad lines are the whole run's; its traffic, busiest windows
// and findings only what the filters select. A line between them names the filters, so that
// "findings 1" of --min-severity 3 does not read as the night's count.
TEST_F(ShowTest, TheOverviewNamesItsFilters) {
  Result r = Show("--interface eni-0a1b2c3d4e5f60718 --since 1700000400 --min-severity 3");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\nbad lines  3: "));
  EXPECT_THAT(r.out, HasSubstr("\nfilter     --interface eni-0a1b2c3d4e5f60718 --since 1700000400 "
                               "--min-severity 3: the lines below count only what it selects\n"
                               "traffic    "));
  r = Show("--until '2023-11-14 23:00'");
  EXPECT_THAT(r.out, HasSubstr("\nfilter     --until '2023-11-14 23:00': "));
  EXPECT_THAT(Show("").out, Not(HasSubstr("filter")));
  // --limit's help says what it counts in the overview.
  EXPECT_THAT(RunIn(dir_, "show --help").out, HasSubstr("without --table, the busiest windows "
                                                        "(default 10)"));
}

TEST_F(ShowTest, TheOverviewOfARunWithoutDetectionSaysSo) {
  auto m = nlohmann::ordered_json::parse(ReadFile(dir_ / "out" / "manifest.json"));
  m["detection"] = {{"enabled", false}};
  WriteFile(dir_ / "out" / "manifest.json", m.dump());
  WriteZstd(dir_ / "out" / "findings.jsonl.zst", "");
  Result r = Show("");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("findings   none looked for (detection was off: --no-detect or "
                               "detection.enabled = false)"));
  EXPECT_THAT(Show("--as json").out, HasSubstr(R"("findings":{"total":0,"detection":false,)"));
  // The findings table's "(no rows)" too: stderr says none were looked for, exit 0.
  const std::string note =
      "flowsift: note: no findings were looked for: detection was off (--no-detect or "
      "detection.enabled = false)\n";
  r = Show("--table findings");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(no rows)"));
  EXPECT_EQ(r.err, note);
  EXPECT_EQ(Show("--table findings --as json").err, note);
  m["detection"]["enabled"] = true;
  WriteFile(dir_ / "out" / "manifest.json", m.dump());
  EXPECT_THAT(Show("").out, HasSubstr("findings   none\n"));
  EXPECT_EQ(Show("--table findings").err, "");
  EXPECT_THAT(Show("--as json").out, HasSubstr(R"("findings":{"total":0,"detection":true,)"));
}

TEST_F(ShowTest, UsageErrorsExitTwoAndExplainTheFix) {
  Result r = RunIn(dir_, "show nowhere");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("nowhere: no such directory; make one with `flowsift run"));
  r = RunIn(dir_, "show in");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("in is not a flowsift output directory"));
  EXPECT_EQ(RunIn(dir_, "show").code, 2);
  for (const char* limit : {"-1", "1.5", "abc", "-99999999999999999999"}) {
    r = Show(std::string("--limit ") + limit);
    EXPECT_EQ(r.code, 2) << limit;
    EXPECT_THAT(r.err, HasSubstr(std::string("--limit: '") + limit +
                                 "' is not a row count: give 0 (all rows) or a positive number"));
  }
  // A number too large is said as such, with the range (it was "not a row count").
  for (const char* limit : {"99999999999999999999", "1000000000000000000"}) {
    r = Show(std::string("--limit ") + limit);
    EXPECT_EQ(r.code, 2) << limit;
    EXPECT_THAT(r.err, HasSubstr(std::string("--limit: '") + limit +
                                 "' is too large: give 0 (all rows) or a row count of at most 18 "
                                 "digits (up to 999999999999999999)"))
        << r.err;
  }
  EXPECT_EQ(Show("--limit 999999999999999999").code, 0);
  // Leading zeros are decimal, and do not count as digits: CLI11 read a leading 0 as octal
  // (010 printed 8 rows, 09 was no number).
  const Result nine = Show("--table windows --as csv --limit 9");
  ASSERT_EQ(nine.code, 0) << nine.err;
  const Result zero_nine = Show("--table windows --as csv --limit 09");
  EXPECT_EQ(zero_nine.code, 0) << zero_nine.err;
  EXPECT_EQ(zero_nine.out, nine.out);
  const Result one = Show("--table windows --as csv --limit 00000000000000000000000001");
  EXPECT_EQ(one.code, 0) << one.err;
  EXPECT_EQ(std::count(one.out.begin(), one.out.end(), '\n'), 2) << one.out;  // and the header

  auto m = nlohmann::ordered_json::parse(ReadFile(dir_ / "out" / "manifest.json"));
  m["format_version"] = kOutputFormatVersion + 1;
  WriteFile(dir_ / "other" / "manifest.json", m.dump());
  r = RunIn(dir_, "show other");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err,
              HasSubstr("has output format version " + std::to_string(kOutputFormatVersion + 1) +
                        " (written by flowsift test); this flowsift reads format version " +
                        std::to_string(kOutputFormatVersion)));

  for (const char* args :
       {"--table nope", "--as xml", "--limit -1", "--limit x", "--min-severity 5",
        "--since yesterday", "--table windows --bogus", "--since 99999999999999999999",
        "--since 1700000600 --until 1700000000", "--until 0", "--since 1960-01-01"}) {
    EXPECT_EQ(Show(args).code, 2) << args;
  }
  r = Show("--type syn_flood");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown finding type 'syn_flood'; use one of port_scan"));
  r = Show("--table talkers --interface eni-x");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--interface: does not apply to --table talkers"));
  // Also when the table's file is missing: the filters are checked first (it was exit 1).
  fs::copy(dir_ / "out", dir_ / "no-talkers", fs::copy_options::recursive);
  fs::remove(dir_ / "no-talkers" / "talkers.csv.zst");
  r = RunIn(dir_, "show no-talkers --table talkers --interface eni-x");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--interface: does not apply to --table talkers"));
  EXPECT_EQ(RunIn(dir_, "show no-talkers --table talkers").code, 1);
  EXPECT_EQ(Show("--table windows --type port_scan").code, 2);
  r = Show("--table exposure --min-severity 2");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--min-severity: does not apply to --table exposure"));
  EXPECT_EQ(Show("--table errors --since 0").code, 2);
  r = Show("--table errors --until 1700000000");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--until: does not apply to --table errors"));
  r = Show("--as csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("give --table T with --as csv"));
}

// A format_version written as text ("1", "1.2": a version any flowsift reads, FormatMajor) is
// said in the overview's first line as the number it is, not as a JSON string ("output format
// "1""); --as json keeps the manifest's value.
TEST_F(ShowTest, TheOverviewSaysATextFormatVersionUnquoted) {
  for (const std::string& version :
       {std::to_string(kOutputFormatVersion), std::to_string(kOutputFormatVersion) + ".2"}) {
    fs::remove_all(dir_ / "text");
    fs::copy(dir_ / "out", dir_ / "text", fs::copy_options::recursive);
    auto m = nlohmann::ordered_json::parse(ReadFile(dir_ / "text" / "manifest.json"));
    m["format_version"] = version;
    WriteFile(dir_ / "text" / "manifest.json", m.dump());
    Result r = RunIn(dir_, "show text");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("text: output format " + version + ", written by flowsift test"))
        << r.out;
    r = RunIn(dir_, "show text --as json");
    EXPECT_EQ(nlohmann::ordered_json::parse(r.out)["format_version"], version) << r.out;
  }
}

TEST_F(ShowTest, HelpListsTablesAndFilters) {
  const Result r = RunIn(dir_, "show --help");
  EXPECT_EQ(r.code, 0);
  for (const char* s : {"--table", "--as", "--limit", "--interface", "--type", "--since", "--until",
                        "--min-severity", "Examples:", "Exit codes"}) {
    EXPECT_THAT(r.out, HasSubstr(s));
  }
  // Each value named once, as the text says it (--limit's was "INT:N").
  EXPECT_THAT(r.out, HasSubstr("  --limit N "));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("INT:N")));
}

// A damaged table's values are shown as they are (docs/show.md): a number too large for 64
// bits was read as 0 (std::from_chars reports it out of range past its digits), so --as csv
// was not the file itself; a negative number in a findings line printed as 2^64 - n.
TEST_F(ShowTest, ValuesOfADamagedTableAreShownAsTheyAre) {
  const std::string table = flowsift::testing::ReadZstd(dir_ / "out" / "windows.csv.zst");
  const std::string row =
      "eni-big,123456789012,1700000400,1700001000,1,0,0,1,0,1,99999999999999999999,0,0,0,1,1,1\n";
  WriteZstd(dir_ / "out" / "windows.csv.zst", table + row);
  Result r = Show("--table windows --as csv --limit 0");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, table + row);
  r = Show("--table windows --as json --interface eni-big");
  EXPECT_THAT(r.out, HasSubstr("\"bytes\":\"99999999999999999999\""));
  r = Show("--table windows --interface eni-big");
  EXPECT_THAT(r.out, HasSubstr("99999999999999999999"));

  WriteZstd(dir_ / "out" / "findings.jsonl.zst",
            R"({"id":"x","type":"port_scan","severity":-2,"dst_port":-1,"flows":-3})"
            "\n");
  r = Show("--table findings");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("1844674407370955161")));
  EXPECT_THAT(r.out, HasSubstr("-2 "));
  EXPECT_THAT(r.out, HasSubstr(" -1"));
}

// The overview's "samples:" command names OUT quoted for the shell, to be pasted as it is.
TEST_F(ShowTest, TheOverviewsSamplesCommandQuotesOut) {
  fs::copy(dir_ / "out", dir_ / "my out", fs::copy_options::recursive);
  const Result r = RunIn(dir_, "show 'my out'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(samples: flowsift show 'my out' --table errors)")) << r.out;
}

// A table of more than 65,536 rows is several zstd frames, and cut exactly at the end of one it
// still decodes whole, its last rows missing: the overview, a job's check of an OUT, passed it
// (exit 0). manifest.json's `tables` keeps each table's frame count, which finds it; an OUT of
// an earlier version, without `tables`, is read as before.
TEST_F(ShowTest, TheOverviewFindsATableCutAtTheEndOfAFrame) {
  std::string log =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status\n";
  for (int i = 0; i < 70000; ++i) {  // a window and an exposure row per interface
    log += fmt::format(
        "2 123456789012 eni-{:08d} 203.0.113.12 10.0.1.5 49152 22 6 3 180 1700000000 "
        "1700000050 REJECT OK\n",
        i);
  }
  WriteFile(dir_ / "big" / "a.log", log);
  Result r = RunIn(dir_, "run big -o bigout --no-progress -j 1");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json manifest = nlohmann::json::parse(ReadFile(dir_ / "bigout/manifest.json"));
  EXPECT_EQ(manifest["tables"]["windows.csv.zst"]["frames"], 2) << manifest["tables"];
  EXPECT_EQ(manifest["tables"]["exposure.csv.zst"]["frames"], 2) << manifest["tables"];
  EXPECT_EQ(manifest["tables"]["findings.jsonl.zst"]["frames"], 1) << manifest["tables"];
  r = RunIn(dir_, "show bigout");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* table : {"windows.csv.zst", "exposure.csv.zst"}) {
    const fs::path path = dir_ / "bigout" / table;
    const std::string whole = ReadFile(path);
    const size_t first = ZSTD_findFrameCompressedSize(whole.data(), whole.size());
    ASSERT_FALSE(ZSTD_isError(first));
    ASSERT_LT(first, whole.size());
    WriteFile(path, whole.substr(0, first));
    r = RunIn(dir_, "show bigout");
    EXPECT_EQ(r.code, 1) << table;
    EXPECT_THAT(r.err, HasSubstr("bigout/" + std::string(table) +
                                 ": truncated (1 of the 2 zstd frames manifest.json lists"));
    r = RunIn(dir_, "show bigout --as json");
    EXPECT_EQ(r.code, 1) << table;
    const auto o = nlohmann::json::parse(r.out);
    EXPECT_TRUE(std::string(table) == "windows.csv.zst" ? o.contains("windows_error")
                                                        : o.contains("table_errors"))
        << r.out;
    WriteFile(path, whole);
  }
  // findings.jsonl.zst too: made two frames (its one frame twice: no finding, no row more), and
  // cut to its first. Only windows and exposure had been cut.
  {
    const fs::path path = dir_ / "bigout" / "findings.jsonl.zst";
    const std::string whole = ReadFile(path);
    nlohmann::json two = manifest;
    two["tables"]["findings.jsonl.zst"]["frames"] = 2;
    WriteFile(dir_ / "bigout/manifest.json", two.dump(2));
    WriteFile(path, whole + whole);
    r = RunIn(dir_, "show bigout");
    EXPECT_EQ(r.code, 0) << r.err;
    WriteFile(path, whole);
    r = RunIn(dir_, "show bigout");
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("bigout/findings.jsonl.zst: truncated (1 of the 2 zstd frames"))
        << r.err;
    WriteFile(dir_ / "bigout/manifest.json", manifest.dump(2));
  }
  // An earlier version's manifest has no `tables`: nothing to compare, exit 0 when whole.
  nlohmann::json old = manifest;
  old.erase("tables");
  WriteFile(dir_ / "bigout/manifest.json", old.dump(2));
  r = RunIn(dir_, "show bigout");
  EXPECT_EQ(r.code, 0) << r.err;
}

// `--table T` of a table cut exactly at the end of one of its zstd frames printed its first
// rows with exit 0, as if whole: it is checked against manifest.json's `tables` as the
// overview checks it, once the rows were read to the end (`--limit` stops before: the rows
// printed are whole). A manifest of an earlier version has no `tables`: as before.
TEST_F(ShowTest, ATableCutAtTheEndOfAFrameIsTruncatedInItsView) {
  nlohmann::ordered_json manifest =
      nlohmann::ordered_json::parse(ReadFile(dir_ / "out/manifest.json"));
  ASSERT_TRUE(manifest.contains("tables")) << manifest.dump();
  for (const std::string table : {"windows", "talkers", "exposure", "findings"}) {
    SCOPED_TRACE(table);
    const std::string file = table == "findings" ? "findings.jsonl.zst" : table + ".csv.zst";
    const fs::path path = dir_ / "out" / file;
    const std::string original = ReadFile(path);
    const std::string text = flowsift::testing::ReadZstd(path);
    ASSERT_GE(std::count(text.begin(), text.end(), '\n'), 4);
    // Two frames: the first three lines, then the rest.
    size_t cut = 0;
    for (int i = 0; i < 3; ++i) cut = text.find('\n', cut) + 1;
    WriteZstd(path, text.substr(0, cut));
    const std::string first = ReadFile(path);
    WriteZstd(path, text.substr(cut));
    WriteFile(path, first + ReadFile(path));
    manifest["tables"][file]["frames"] = 2;
    WriteFile(dir_ / "out/manifest.json", manifest.dump(2));
    Result r = Show("--table " + table + " --as csv");
    EXPECT_EQ(r.code, 0) << r.err;

    WriteFile(path, first);
    for (const char* as : {"csv", "json", "table"}) {
      r = Show("--table " + table + " --as " + as);
      EXPECT_EQ(r.code, 1) << as;
      EXPECT_THAT(r.err, HasSubstr("out/" + file +
                                   ": truncated (1 of the 2 zstd frames manifest.json lists"))
          << as;
    }
    // A limit that stops before the cut printed whole rows: nothing past them is looked at.
    r = Show("--table " + table + " --as csv --limit 1");
    EXPECT_EQ(r.code, 0) << r.err;
    // An earlier version's manifest: decoding alone, as before.
    manifest["tables"].erase(file);
    WriteFile(dir_ / "out/manifest.json", manifest.dump(2));
    r = Show("--table " + table + " --as csv");
    EXPECT_EQ(r.code, 0) << r.err;
    WriteFile(path, original);
  }
}

// The overview of a windows table damaged after its header (its rows cut off) is not a quiet
// night of "0 windows": the JSON has windows_error, as findings.error for damaged findings,
// and the traffic line says that only what was readable is counted.
TEST_F(ShowTest, TheOverviewOfADamagedWindowsTableSaysSo) {
  const std::string table = flowsift::testing::ReadZstd(dir_ / "out" / "windows.csv.zst");
  const size_t header = table.find('\n') + 1;
  const fs::path windows = dir_ / "out" / "windows.csv.zst";
  WriteZstd(windows, table.substr(0, header));
  const std::string first = ReadFile(windows);
  WriteZstd(windows, table.substr(header));
  const std::string rows = ReadFile(windows);
  WriteFile(windows, first + rows.substr(0, rows.size() - 6));  // a second frame cut short
  Result r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst: truncated zstd data"));
  EXPECT_THAT(r.out, HasSubstr(" readable (windows.csv.zst is damaged: see stderr)\n"));
  const auto o = DamagedOverviewJson();
  ASSERT_TRUE(o.contains("windows_error"));
  EXPECT_THAT(o["windows_error"].get<std::string>(), HasSubstr("truncated zstd data"));
}

// Of many unreadable rows the first 10 are named, and all are counted.
TEST_F(ShowTest, TheFirstTenUnreadableRowsAreNamed) {
  std::string text = flowsift::testing::ReadZstd(dir_ / "out" / "exposure.csv.zst");
  for (int i = 0; i < 12; ++i) text += "eni-x,1\n";
  WriteZstd(dir_ / "out" / "exposure.csv.zst", text);
  const Result r = Show("--table exposure --as csv");
  EXPECT_EQ(r.code, 1);
  size_t named = 0;
  for (size_t at = 0; (at = r.err.find("(skipped)", at)) != std::string::npos; ++at) ++named;
  EXPECT_EQ(named, 10u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("out/exposure.csv.zst: 12 unreadable rows skipped"));
}

// An empty input (status "empty") is read, not failed: the overview does not count it as one.
TEST_F(ShowTest, AnEmptyInputIsNotAFailedOne) {
  auto m = nlohmann::ordered_json::parse(ReadFile(dir_ / "out" / "manifest.json"));
  for (auto& in : m["inputs"]) {
    if (in["status"] == "ok") in["status"] = "empty";
  }
  WriteFile(dir_ / "out" / "manifest.json", m.dump());
  Result r = Show("");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(" (1 failed), "));
  r = Show("--table errors --as csv");
  EXPECT_THAT(r.out, Not(HasSubstr(",empty,")));
}

}  // namespace
}  // namespace flowsift
