// `flowsift show`'s terminal view: the columns a width leaves out, colour, escapes of control
// characters, multi-byte text, rows shown. (tests/tools/show_test.cc has the goldens.)
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

// The overview's tables name the columns they leave out, as the --table views do: with a long
// interface id the busiest windows had lost their `window` column without a word.
TEST_F(ShowTest, TheOverviewNamesTheColumnsItLeavesOut) {
  const std::string id(90, 'x');
  const std::string windows = flowsift::testing::ReadZstd(dir_ / "out" / "windows.csv.zst");
  std::string replaced = windows;
  for (size_t at; (at = replaced.find("eni-0a1b2c3d4e5f60718")) != std::string::npos;) {
    replaced.replace(at, 21, id);
  }
  WriteZstd(dir_ / "out" / "windows.csv.zst", replaced);
  const Result r = Show("");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(id));
  EXPECT_THAT(r.out, HasSubstr("(not shown: "));
}

// A fixed column (numbers, ids, times) is never cut: past the first page of --limit 0, whose
// widths were laid out from the first 1,000 rows, a wider value shifts its row instead of
// reading "tgw-attach-00…" or "123456…".
TEST_F(ShowTest, AWideValuePastTheFirstPageIsNotCut) {
  std::string text(WindowsHeader());
  text += '\n';
  for (int i = 0; i < 1200; ++i) {
    // The first page is 1,000 rows: the wide id of its last row sets its column's width.
    const std::string id = i == 999   ? std::string("eni-wide-in-the-first-page")
                           : i < 1100 ? fmt::format("eni-{:04d}", i)
                                      : fmt::format("tgw-attach-0{:016d}", i);
    const std::string records = i == 1150 ? "123456789012" : "1";
    text += fmt::format("{},123456789012,1700000000,1700000600,{},0,0,1,0,1,40,0,0,0,1,1,1\n", id,
                        records);
  }
  WriteZstd(dir_ / "out" / "windows.csv.zst", text);
  const Result r = Show("--table windows --limit 0");
  EXPECT_EQ(r.code, 0) << r.err;
  // (find, not HasSubstr: a failure would print all 1,200 rows)
  EXPECT_NE(r.out.find("\ntgw-attach-00000000000001150  2023-11-14T22:13:20Z  123456789012 "),
            std::string::npos);
  EXPECT_EQ(r.out.find("…"), std::string::npos);
  EXPECT_EQ(r.out.find('\n' + std::string(26, '-') + "  ---"), r.out.find('\n'));
}

// Columns that do not fit are left out least important first: once one is, none after it is
// shown, so a narrow terminal never shows `port` without the `src` and `dst` it belongs to
// (nor, narrower, without the finding's `type`). On a 52-column terminal `port` had fitted
// where `src` did not.
TEST_F(ShowTest, ANarrowTerminalLeavesOutColumnsInOrder) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1)";
  // script(1) gives show a terminal of 52 columns; what it prints is the terminal's output.
  const flowsift::testing::CommandResult r = flowsift::testing::RunCommand(
      "cd '" + dir_.string() + "' && script -qec \"stty cols 52; " + std::string(FLOWSIFT_BINARY) +
      " show out --table findings --limit 3\" /dev/null");
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string header = r.out.substr(0, r.out.find('\n'));
  EXPECT_THAT(header, HasSubstr("type"));
  EXPECT_THAT(header, Not(HasSubstr("port"))) << r.out;
  EXPECT_THAT(r.out, HasSubstr("(not shown: src, dst, dst_port"));
}

// Not on a terminal, the width is $COLUMNS when it is set (watch(1) sets it; a user piping into
// less may): the table for 52 columns as on a terminal of 52. Without it, or not a number, 100.
TEST_F(ShowTest, ColumnsSetsTheWidthWhenStdoutIsNotATerminal) {
  const Result narrow = RunIn(dir_, "show out --table findings --limit 3", "COLUMNS=52");
  ASSERT_EQ(narrow.code, 0) << narrow.err;
  const std::string header = narrow.out.substr(0, narrow.out.find('\n'));
  EXPECT_THAT(header, HasSubstr("type"));
  EXPECT_THAT(header, Not(HasSubstr("port"))) << narrow.out;
  EXPECT_THAT(narrow.out, HasSubstr("(not shown: src, dst, dst_port"));
  const std::string wide = Show("--table findings --limit 3").out;
  EXPECT_THAT(wide.substr(0, wide.find('\n')), HasSubstr("port"));
  for (const char* columns : {"COLUMNS=", "COLUMNS=abc", "COLUMNS=0", "COLUMNS=-5"}) {
    EXPECT_EQ(RunIn(dir_, "show out --table findings --limit 3", columns).out, wide) << columns;
  }
}

// Severity is coloured on a terminal unless NO_COLOR is set to a non-empty value
// (no-color.org) or TERM is "dumb" (an editor's shell buffer, which shows the escapes as text).
TEST_F(ShowTest, SeverityIsColouredOnATerminalUnlessNoColorOrADumbTerminal) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1)";
  const auto on_terminal = [&](const std::string& env) {
    return flowsift::testing::RunCommand(
        "cd '" + dir_.string() + "' && " + env + " script -qec \"stty cols 200; " +
        std::string(FLOWSIFT_BINARY) + " show out --table findings\" /dev/null");
  };
  for (const std::string env : {"TERM=xterm NO_COLOR=", "TERM=xterm NO_COLOR=1", "TERM=dumb"}) {
    const flowsift::testing::CommandResult r = on_terminal("env -u NO_COLOR " + env);
    ASSERT_EQ(r.code, 0) << env << ": " << r.out;
    ASSERT_THAT(r.out, HasSubstr("critical")) << env;
    if (env == "TERM=xterm NO_COLOR=") {
      EXPECT_THAT(r.out, HasSubstr("\033[1;31mcritical\033[0m")) << env;
    } else {
      EXPECT_THAT(r.out, Not(HasSubstr("\033["))) << env;
    }
  }
}

// The C1 control characters (U+0080..U+009F; U+009B is a CSI, as ESC [ is) are escaped in the
// terminal view as the C0 ones are, so a flow log's interface id cannot drive the terminal.
TEST_F(ShowTest, ControlCharactersAreEscapedInTheTerminalView) {
  const std::string table = flowsift::testing::ReadZstd(dir_ / "out" / "windows.csv.zst");
  WriteZstd(dir_ / "out" / "windows.csv.zst",
            table +
                "eni-\x1b[2J\x7f\xc2\x9b"
                "2J\xc2\x85\x9b"
                "3J\xe2\x80\x9b,1,1700000400,1700001000,1,0,0,1,0,1,1,0,"
                "0,0,1,1,1\n");
  const Result r = Show("--table windows");
  EXPECT_EQ(r.code, 0) << r.err;
  // A bare 0x9B (a CSI to an 8-bit terminal) too, but not the same byte inside a UTF-8
  // character (U+201B, E2 80 9B).
  EXPECT_THAT(r.out, HasSubstr("eni-\\x1b[2J\\x7f\\u009b2J\\u0085\\x9b3J\xe2\x80\x9b "));
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(r.out.find("\xc2\x9b"), std::string::npos);

  // The overview's text from a (hand-edited) manifest too: its version, a bad-line reason.
  auto m = nlohmann::ordered_json::parse(ReadFile(dir_ / "out" / "manifest.json"));
  m["version"] = "1.0\x1b[2J";
  m["totals"]["bad_lines_by_reason"] = {{"odd\x1b[5m", 1}};
  WriteFile(dir_ / "out" / "manifest.json", m.dump());
  const Result o = Show("");
  EXPECT_THAT(o.out, HasSubstr("written by flowsift 1.0\\x1b[2J,"));
  EXPECT_THAT(o.out, HasSubstr("odd\\x1b[5m 1"));
  EXPECT_EQ(o.out.find('\x1b'), std::string::npos) << o.out;
}

// The C1 range's first and last (C2 80, C2 9F) are escaped; C2 A0 (a no-break space) and a C2
// that ends the value are not C1 controls and pass as they are.
TEST_F(ShowTest, TheC1RangeIsEscapedToItsEnds) {
  const std::string table = flowsift::testing::ReadZstd(dir_ / "out" / "windows.csv.zst");
  WriteZstd(dir_ / "out" / "windows.csv.zst", table +
                                                  "eni-\xc2\x80"
                                                  "a\xc2\x9f"
                                                  "b\xc2\xa0"
                                                  "c\xc2,1,1700000400,1700001000,1,0,0,1,"
                                                  "0,1,1,0,0,0,1,1,1\n");
  const Result r = Show("--table windows --as table");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("eni-\\u0080a\\u009fb\xc2\xa0"
                               "c\xc2 "));
}

// Columns a later minor version appends to a CSV table are text in csv and json, and named as
// not shown in the terminal view (whose columns are this version's).
TEST_F(ShowTest, ColumnsOfALaterMinorVersionAreShownAsText) {
  const std::string table = flowsift::testing::ReadZstd(dir_ / "out" / "windows.csv.zst");
  std::string appended;
  for (size_t at = 0, end; (end = table.find('\n', at)) != std::string::npos; at = end + 1) {
    appended += table.substr(at, end - at) + (at == 0 ? ",later_column\n" : ",42\n");
  }
  WriteZstd(dir_ / "out" / "windows.csv.zst", appended);
  Result r = Show("--table windows --as csv");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, appended);
  r = Show("--table windows --as json --limit 1");
  EXPECT_THAT(r.out, HasSubstr(",\"later_column\":\"42\"}"));
  r = Show("--table windows");
  EXPECT_THAT(r.out, HasSubstr("(not shown: later_column, "));
}

// Terminal columns are counted in characters, not bytes: a row with a multi-byte character
// lines up with the others.
TEST_F(ShowTest, ColumnsLineUpWithMultiByteCharacters) {
  const std::string table = flowsift::testing::ReadZstd(dir_ / "out" / "windows.csv.zst");
  WriteZstd(dir_ / "out" / "windows.csv.zst",
            table + "eni-\xc3\xa9\xc3\xa9,1,1700000400,1700001000,1,0,0,1,0,1,1,0,0,0,1,1,1\n");
  const Result r = Show("--table windows");
  EXPECT_EQ(r.code, 0) << r.err;
  std::set<size_t> columns;  // where each row's window starts, in characters
  for (size_t at = 0, end; (end = r.out.find('\n', at)) != std::string::npos; at = end + 1) {
    const std::string line = r.out.substr(at, end - at);
    const size_t window = line.find("2023-11-14T");
    if (window == std::string::npos) continue;
    columns.insert(
        static_cast<size_t>(std::count_if(line.begin(), line.begin() + window, [](char c) {
          return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        })));
  }
  EXPECT_EQ(columns.size(), 1u) << r.out;
  EXPECT_THAT(r.out, HasSubstr("eni-\xc3\xa9\xc3\xa9"));
}

// The terminal view shows 50 rows unless --limit says otherwise, and says so; the overview's
// busiest windows are by bytes, the earlier row first among equals.
TEST_F(ShowTest, TheTerminalViewShowsFiftyRowsAndTheBusiestInTableOrder) {
  std::string text(WindowsHeader());
  text += '\n';
  for (int i = 0; i < 60; ++i) {
    text += fmt::format("eni-{:04d},1,1700000000,1700000600,1,0,0,1,0,1,{},0,0,0,1,1,1\n", i,
                        i == 30 ? 500 : 40);
  }
  WriteZstd(dir_ / "out" / "windows.csv.zst", text);
  Result r = Show("--table windows");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\neni-0049 "));
  EXPECT_THAT(r.out, Not(HasSubstr("\neni-0050 ")));
  EXPECT_THAT(r.out, HasSubstr("(first 50 rows; --limit N or --limit 0 shows more)"));
  r = Show("--as json --limit 4");
  EXPECT_EQ(r.code, 0) << r.err;
  const auto o = nlohmann::ordered_json::parse(r.out);
  std::string busiest;
  for (const auto& w : o["busiest_windows"]) {
    busiest += w["interface_id"].get<std::string>() + " ";
  }
  EXPECT_EQ(busiest, "eni-0030 eni-0000 eni-0001 eni-0002 ");
}

}  // namespace
}  // namespace flowsift
