#include "pipeline/tables.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/test_util.h"

namespace flowsift {
namespace {

using flowsift::testing::ReadZstd;

class Tables : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("flowsift-tables-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const char* name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(Tables, WindowsCsvInZstd) {
  std::vector<WindowRow> rows = {
      {"eni-a", "000000000001", 1700000400, 1700001000, 4, 1, 0, 2, 1, 19, 25040, 40, 20000, 5040,
       3, 2, 3},
      {"eni,\"odd\"", "unknown", 0, 600, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  std::string error;
  ASSERT_TRUE(WriteWindows(Path("windows.csv.zst"), rows, &error)) << error;
  EXPECT_EQ(ReadZstd(Path("windows.csv.zst")),
            std::string(WindowsHeader()) +
                "\neni-a,000000000001,1700000400,1700001000,4,1,0,2,1,19,25040,40,20000,5040,3,2,"
                "3\n\"eni,\"\"odd\"\"\",unknown,0,600,1,0,0,0,0,0,0,0,0,0,0,0,0\n");
}

TEST_F(Tables, TalkersAndExposureAndEmptyTables) {
  std::string error;
  ASSERT_TRUE(WriteTalkers(Path("t.zst"), {{600, 1, "2001:db8::1", 5, 2, 1}}, &error));
  EXPECT_EQ(ReadZstd(Path("t.zst")),
            "window_start,rank,srcaddr,bytes,packets,flows\n600,1,2001:db8::1,5,2,1\n");
  ASSERT_TRUE(WriteExposure(Path("e.zst"), {{"eni-b", 3389, 6, 1, 2, 3}}, &error));
  EXPECT_EQ(ReadZstd(Path("e.zst")), std::string(ExposureHeader()) + "\neni-b,3389,6,1,2,3\n");
  ASSERT_TRUE(WriteExposure(Path("empty.zst"), {}, &error));
  EXPECT_EQ(ReadZstd(Path("empty.zst")), std::string(ExposureHeader()) + "\n");
}

TEST_F(Tables, LargeTablesStreamAcrossBuffers) {
  std::vector<TalkerRow> rows;
  std::string want = "window_start,rank,srcaddr,bytes,packets,flows\n";
  for (uint32_t i = 0; i < 100000; ++i) {
    rows.push_back({i * 600ull, 1, "10.0.0.1", i, i, 1});
    want += std::to_string(i * 600ull) + ",1,10.0.0.1," + std::to_string(i) + "," +
            std::to_string(i) + ",1\n";
  }
  std::string error;
  ASSERT_TRUE(WriteTalkers(Path("big.zst"), rows, &error)) << error;
  EXPECT_EQ(ReadZstd(Path("big.zst")), want);
}

TEST_F(Tables, UnwritablePathIsAnErrorNotACrash) {
  std::string error;
  EXPECT_FALSE(WriteWindows((dir_ / "no-such-dir" / "w.zst").string(), {}, &error));
  EXPECT_NE(error.find("no-such-dir"), std::string::npos) << error;
  // /dev/full accepts the open and fails the writes.
  if (std::filesystem::exists("/dev/full")) {
    std::vector<TalkerRow> rows(200000, TalkerRow{1, 1, "10.0.0.1", 1, 1, 1});
    EXPECT_FALSE(WriteTalkers("/dev/full", rows, &error));
  }
}

}  // namespace
}  // namespace flowsift
