// The flowsift binary as the CLI tests run it (tests/tools/cli_*_test.cc, progress_test.cc): a
// command line run through the shell with stderr folded into stdout, and a fixture whose
// dir_, a fresh path per test (not made: the tests make it when they need it), is removed after.
#ifndef FLOWSIFT_TESTS_TOOLS_CLI_FIXTURE_H_
#define FLOWSIFT_TESTS_TOOLS_CLI_FIXTURE_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/test_util.h"

namespace flowsift::cli_fixture {

using Result = flowsift::testing::CommandResult;  // code, stdout and stderr together

// Runs the binary with `args`; `env` ("NAME=value ...") prefixes the command line.
inline Result RunCli(const std::string& args, const std::string& env = "") {
  return flowsift::testing::RunCommand(env + std::string(FLOWSIFT_BINARY) + " " + args + " 2>&1");
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flowsift-cli-" + std::to_string(::getpid()) + "-" +
            testing::FileNamePart(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

}  // namespace flowsift::cli_fixture

#endif  // FLOWSIFT_TESTS_TOOLS_CLI_FIXTURE_H_
