// `flowsift show` when stdout cannot be written: exit 3, the cause named by its errno.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/tools/show_fixture.h"

namespace flowsift {
namespace {

using show_fixture::Result;
using show_fixture::RunIn;
using show_fixture::ShowTest;
using ::testing::HasSubstr;

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

TEST_F(ShowTest, HelpNamesTheCauseOfExitThree) {
  EXPECT_THAT(RunIn(dir_, "show --help").out, HasSubstr("(its cause named: No space"));
}

}  // namespace
}  // namespace flowsift
