// The temporaries' registry (pipeline/temporaries.h): what an interrupted or failed process
// leaves behind.
#include "pipeline/temporaries.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace flowsift {
namespace {

namespace fs = std::filesystem;

class Temporaries : public ::testing::Test {
 protected:
  void SetUp() override {
    // The death tests fork (gtest's default "fast" style): the child removes this very path.
    dir_ = fs::temp_directory_path() /
           ("flowsift-temporaries-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "tmp");
    std::ofstream(dir_ / "tmp" / "part") << "x";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// Memory running out while the registry's lock is held (a temporary's registration growing
// the registry) ends the process with exit 3 and the temporary removed. ExitOutOfMemory had
// waited for that lock, held by its own thread: the process hung. alarm() turns a hang into
// SIGALRM, which the death test reports as the wrong exit.
TEST_F(Temporaries, OutOfMemoryWhileTheRegistryIsLockedExitsAndRemoves) {
  const fs::path tmp = dir_ / "tmp";
  EXPECT_EXIT(
      {
        alarm(10);
        auto registry = LockTemporaries();
        AddTemporaryLocked(tmp);
        ExitOutOfMemory();
      },
      ::testing::ExitedWithCode(3), "out of memory");
  EXPECT_FALSE(fs::exists(tmp));
}

// The same without the lock held: the usual case, another thread's allocation failing.
TEST_F(Temporaries, OutOfMemoryRemovesTheRegisteredTemporaries) {
  const fs::path tmp = dir_ / "tmp";
  EXPECT_EXIT(
      {
        alarm(10);
        AddTemporary(tmp);
        ExitOutOfMemory();
      },
      ::testing::ExitedWithCode(3), "out of memory");
  EXPECT_FALSE(fs::exists(tmp));
}

}  // namespace
}  // namespace flowsift
