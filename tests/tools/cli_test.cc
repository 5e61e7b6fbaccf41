// The flowsift binary as users run it: exit codes (SPEC 2.2), --version, gen, demo.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Result {
  int code;
  std::string out;  // stdout and stderr
};

Result RunCli(const std::string& args) {
  const std::string cmd = std::string(FLOWSIFT_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  Result r{-1, ""};
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("flowsift-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(Cli, VersionNamesTheSimdTarget) {
  const Result r = RunCli("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("flowsift "));
  EXPECT_THAT(r.out, HasSubstr("SIMD target: "));
  EXPECT_THAT(r.out, HasSubstr("SCALAR"));  // the scalar target is always available
}

TEST_F(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCli("").code, 2);
  EXPECT_EQ(RunCli("no-such-command").code, 2);
  EXPECT_EQ(RunCli("gen").code, 2);  // -o is required
  const Result r = RunCli("gen -o " + dir_.string() + " --format 'version 2'");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("not a field name"));
  EXPECT_EQ(RunCli("gen -o " + dir_.string() + " --bytes 12Q").code, 2);
  EXPECT_EQ(RunCli("gen -o " + dir_.string() + " --interval 30").code, 2);
}

TEST_F(Cli, HelpTeaches) {
  const Result r = RunCli("gen --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("Example:"));
  EXPECT_THAT(r.out, HasSubstr("--format"));
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

TEST_F(Cli, DemoParsesAndReportsTheMalformedLines) {
  const Result r = RunCli("demo --bytes 4M -j 2");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("bad lines 3"));
  EXPECT_THAT(r.out, HasSubstr("too_few_fields"));
  EXPECT_THAT(r.out, HasSubstr("bad_enum"));
  EXPECT_THAT(r.out, HasSubstr("control_character"));
  EXPECT_THAT(r.out, HasSubstr("GB/s"));
}

}  // namespace
}  // namespace flowsift
