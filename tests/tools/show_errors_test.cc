// `flowsift show OUT --table errors` in a terminal: a bad line is shown whole, wrapped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/tools/show_fixture.h"

namespace flowsift {
namespace {

using show_fixture::Result;
using show_fixture::RunIn;
using show_fixture::ShowTest;
using show_fixture::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

// The text column of the errors view: each row's text with its continuation lines joined.
std::vector<std::string> TextColumn(const std::string& out) {
  std::istringstream lines(out);
  std::string line;
  std::getline(lines, line);
  const size_t at = line.find("text");
  std::getline(lines, line);  // the rule
  std::vector<std::string> texts;
  while (std::getline(lines, line)) {
    if (line.size() <= at) continue;
    const bool continued = line.find_first_not_of(' ') >= at;  // blank up to the text
    if (continued && !texts.empty()) {
      texts.back() += line.substr(at);
    } else {
      texts.push_back(line.substr(at));
    }
  }
  return texts;
}

TEST_F(ShowTest, TheErrorsViewWrapsABadLineWhole) {
  for (const char* columns : {"100", "80", "70"}) {
    const Result r = RunIn(dir_, "show out --table errors", std::string("COLUMNS=") + columns);
    EXPECT_EQ(r.code, 0) << r.err;
    // "ACCPET", the fault of line 3, is at its end: cut on the right at 100 columns, it was not
    // shown.
    EXPECT_THAT(r.out, HasSubstr("ACCPET")) << columns;
    EXPECT_THAT(r.out, Not(HasSubstr("…"))) << columns;
    const std::vector<std::string> texts = TextColumn(r.out);
    ASSERT_EQ(texts.size(), 4u) << r.out;
    EXPECT_EQ(texts[0], "cannot open: No such file or directory");
    EXPECT_EQ(texts[1], "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 203.0.113.12");
    EXPECT_EQ(texts[2],
              "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 203.0.113.12 443 5432 6 12 4096 "
              "1700001300 1700001360 ACCPET OK")
        << r.out;
    EXPECT_EQ(texts[3],
              "2 123456789012 eni-0a1b2c3d4e5f60718\\t10.0.1.5 203.0.113.12 443 5432 6 12 4096 "
              "1700001300 1700001360 ACCEPT OK")
        << r.out;
    // No line is wider than the terminal.
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("(")) continue;  // the notes under the table
      EXPECT_LE(line.size(), std::stoul(columns)) << line;
    }
  }
}

// Wrapped after a space where one is in a piece's second half: a field is not split, and the
// space stays at the end of its piece, so that the pieces joined are the line.
TEST_F(ShowTest, TheErrorsViewBreaksABadLineBetweenFields) {
  const Result r = RunIn(dir_, "show out --table errors", "COLUMNS=100");
  EXPECT_THAT(r.out, HasSubstr("  bad_enum           2 123456789012 eni-0a1b2c3d4e5f60718 "
                               "10.0.1.5 \n"
                               "                                                 203.0.113.12 "
                               "443 5432 6 12 4096 1700001300 \n"
                               "                                                 1700001360 "
                               "ACCPET OK\n"))
      << r.out;
}

// A line without spaces is broken at the width, but not inside the escape of a control byte:
// `\x1b` split as `\x` and `1b` read as the text "\x" and the text "1b".
TEST_F(ShowTest, TheErrorsViewDoesNotSplitAnEscape) {
  std::string bad = "2 123456789012 eni-0a1b2c3d4e5f60718 ";
  for (int i = 0; i < 20; ++i) bad += "abcdef\x1b";
  WriteFile(dir_ / "esc.log", bad + "\n");
  ASSERT_EQ(RunIn(dir_, "run esc.log -o esc --no-progress").code, 0);
  std::string want = "2 123456789012 eni-0a1b2c3d4e5f60718 ";
  for (int i = 0; i < 20; ++i) want += "abcdef\\x1b";
  for (int columns = 70; columns <= 100; ++columns) {
    const Result r = RunIn(dir_, "show esc --table errors", "COLUMNS=" + std::to_string(columns));
    ASSERT_EQ(r.code, 0) << r.err;
    const std::vector<std::string> texts = TextColumn(r.out);
    ASSERT_EQ(texts.size(), 1u) << r.out;
    EXPECT_EQ(texts[0], want) << columns;  // the pieces joined are the line
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      for (const char* cut : {"\\", "\\x", "\\x1"}) {
        EXPECT_FALSE(line.ends_with(cut)) << columns << ": " << line;
      }
    }
  }
}

TEST_F(ShowTest, HelpSaysTheErrorsTextIsWrapped) {
  EXPECT_THAT(RunIn(dir_, "show --help").out, HasSubstr("errors' text is wrapped"));
}

}  // namespace
}  // namespace flowsift
