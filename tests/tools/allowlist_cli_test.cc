// The detection allowlists as users meet them: --print-config, a bad list, run's and merge's
// stderr note and show's overview.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/test_util.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using Result = flowsift::testing::CommandResult;

Result RunCli(const std::string& args) {
  return flowsift::testing::RunCommand(std::string(FLOWSIFT_BINARY) + " " + args + " 2>&1");
}

class AllowlistCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("flowsift-allow-" + std::to_string(::getpid()) + "-" +
            testing::FileNamePart(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    // 198.51.100.7 rejected at 15 ports of one host: a port_scan.
    std::string text;
    for (int p = 0; p < 15; ++p) {
      const std::string start = std::to_string(1700000100 + p);
      text += "2 123456789012 eni-a 198.51.100.7 10.0.1.5 40000 " + std::to_string(1000 + p) +
              " 6 1 44 " + start + " " + start + " REJECT OK\n";
    }
    testing::WriteFile(dir_ / "data" / "a.log", text);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(AllowlistCli, PrintConfigListsTheKeysAndABadListIsAUsageError) {
  const Result defaults = RunCli("run --print-config");
  EXPECT_EQ(defaults.code, 0);
  EXPECT_THAT(defaults.out,
              HasSubstr("\nallow.sources =  # every type whose src is in these networks"));
  EXPECT_THAT(defaults.out, HasSubstr("\nddos_fan_in.allow_destinations =  # "));
  testing::WriteFile(dir_ / "bad.conf", "allow.sources = 10.0.0.1,\n");
  const Result bad =
      RunCli("run --config " + Path("bad.conf") + " " + Path("data") + " -o " + Path("out"));
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("line 1: allow.sources wants CIDR blocks"));
  EXPECT_THAT(bad.out, HasSubstr("is empty (a comma too many?)"));
}

TEST_F(AllowlistCli, RunSaysWhatWasAllowedAndShowCountsIt) {
  const Result plain = RunCli("run " + Path("data") + " -o " + Path("plain"));
  ASSERT_EQ(plain.code, 0) << plain.out;
  EXPECT_THAT(plain.out, Not(HasSubstr("allowlist")));
  EXPECT_THAT(RunCli("show " + Path("plain")).out, Not(HasSubstr("allowed")));

  testing::WriteFile(dir_ / "allow.conf", "port_scan.allow_sources = 198.51.100.7\n");
  const Result r =
      RunCli("run --config " + Path("allow.conf") + " " + Path("data") + " -o " + Path("allowed"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("flowsift: note: 1 finding matched the allowlist (not written: 1 "
                               "port_scan)\n"));
  const Result show = RunCli("show " + Path("allowed"));
  EXPECT_EQ(show.code, 0) << show.out;
  EXPECT_THAT(show.out,
              HasSubstr("allowed    1 finding matched the allowlist (not written: 1 port_scan)\n"));
  EXPECT_THAT(RunCli("show " + Path("allowed") + " --as json").out,
              HasSubstr("\"allowed\":{\"port_scan\":1}"));

  // merge says it too: of a part made with the list.
  const Result part = RunCli("run --partial --config " + Path("allow.conf") + " " + Path("data") +
                             " -o " + Path("part"));
  ASSERT_EQ(part.code, 0) << part.out;
  const Result merged = RunCli("merge " + Path("part") + " -o " + Path("merged"));
  EXPECT_EQ(merged.code, 0) << merged.out;
  EXPECT_THAT(merged.out, HasSubstr("flowsift: note: 1 finding matched the allowlist"));
}

}  // namespace
}  // namespace flowsift
