// `flowsift show` as users run it: golden outputs of every table in every format, filters,
// limits, the overview, exit codes. OUT is made by flowsift::Run on hand-written flow logs plus a
// hand-written findings file (detection does not write findings yet). A damaged OUT is in
// show_damaged_test.cc.
//
// To rewrite the goldens after an intended change: FLOWSIFT_UPDATE_GOLDEN=1 tools_test
// --gtest_filter='ShowGolden*', then read the diff before committing it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

// The overview's "samples:" command names OUT quoted for the shell, to be pasted as it is.
TEST_F(ShowTest, TheOverviewsSamplesCommandQuotesOut) {
  fs::copy(dir_ / "out", dir_ / "my out", fs::copy_options::recursive);
  const Result r = RunIn(dir_, "show 'my out'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(samples: flowsift show 'my out' --table errors)")) << r.out;
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
