// What `flowsift show` writes to stdout as a terminal would take it: in the locale's codeset, and
// when stdout cannot be written, exit 3 with the cause named by its errno.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>

#include "tests/tools/show_fixture.h"

namespace flowsift {
namespace {

using show_fixture::Result;
using show_fixture::RunIn;
using show_fixture::ShowTest;
using ::testing::HasSubstr;
using ::testing::Not;

// The overview had left a failed write to main's check of stdout, which could only
// guess: "the output is incomplete (a full disk, or past `ulimit -f`?)".
TEST_F(ShowTest, TheOverviewAndAnIdNameAFailedWriteByItsErrno) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  for (const char* args : {"", "--as json", "--id 5e0c1a", "--id 5e0c1a --as json"}) {
    const Result r = Show(std::string(args) + " >/dev/full");
    EXPECT_EQ(r.code, 3) << args;
    EXPECT_EQ(r.err,
              "flowsift: cannot write to stdout: No space left on device: the output is "
              "incomplete\n")
        << args;
  }
}

// Cut text is marked "…" in a UTF-8 locale only: in the C locale (LANG=C, LC_ALL=C, a cron
// job's) the three bytes of "…" showed as three other characters.
TEST_F(ShowTest, CutTextIsMarkedInTheLocalesCodeset) {
  struct Case {
    const char* env;
    bool utf8;
  };
  for (const Case& c :
       {Case{"LC_ALL=C", false}, Case{"LC_ALL=POSIX", false},
        Case{"LC_ALL= LC_CTYPE= LANG=C", false}, Case{"LC_ALL=C.UTF-8", true},
        // LC_ALL before LANG, as setlocale takes them.
        Case{"LC_ALL=C LANG=C.UTF-8", false}, Case{"LC_ALL= LC_CTYPE=C.UTF-8 LANG=C", true},
        // A locale this system does not have is judged by its name.
        Case{"LC_ALL= LC_CTYPE= LANG=xx_YY.UTF-8", true},
        Case{"LC_ALL= LC_CTYPE= LANG=xx_YY.ISO-8859-1", false}}) {
    // 130 columns: at 100 the id takes the summary's place.
    const Result r = RunIn(dir_, "show out --table findings", std::string("COLUMNS=130 ") + c.env);
    EXPECT_EQ(r.code, 0) << c.env << ": " << r.err;
    EXPECT_THAT(r.out, c.utf8 ? Not(HasSubstr("...")) : Not(HasSubstr("…"))) << c.env;
    // The exfiltration finding's summary is cut, its line as wide either way: the mark's
    // columns are taken from the text.
    std::istringstream lines(r.out);
    std::string critical;
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("critical")) critical = line;
    }
    EXPECT_TRUE(critical.ends_with(c.utf8 ? "…" : "...")) << c.env << ": " << critical;
    const auto columns = [](const std::string& text) {
      return std::count_if(text.begin(), text.end(), [](char b) { return (b & 0xC0) != 0x80; });
    };
    EXPECT_EQ(columns(critical), 130) << c.env;
  }
}

TEST_F(ShowTest, HelpNamesTheCauseOfExitThree) {
  EXPECT_THAT(RunIn(dir_, "show --help").out, HasSubstr("(its cause named: No space"));
}

TEST_F(ShowTest, HelpSaysHowCutTextIsMarked) {
  const Result r = RunIn(dir_, "show --help", "LC_ALL=C");
  EXPECT_THAT(r.out, HasSubstr("three dots unless the locale is UTF-8"));
  EXPECT_THAT(r.out, Not(HasSubstr("…")));
}

}  // namespace
}  // namespace flowsift
