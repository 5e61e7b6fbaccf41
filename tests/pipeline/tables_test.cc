#include "pipeline/tables.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>
#include <unistd.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline/detect.h"
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
  ASSERT_TRUE(WriteExposure(Path("empty.zst"), std::vector<ExposureRow>{}, &error));
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

// A table of more than 65,536 rows is cut into zstd frames of 65,536 rows, formatted and
// compressed in parallel (16 at a time): the frames decode, in order, to the whole table, and
// the bytes do not depend on the number of threads.
TEST_F(Tables, BigTablesAreFramesInRowOrderWhateverTheThreads) {
  std::vector<std::string> names;
  for (char c = 'a'; c <= 'z'; ++c) names.push_back(std::string("eni-") + c);
  std::vector<ExposureRow> rows;
  std::string want = std::string(ExposureHeader()) + "\n";
  for (uint32_t i = 0; i < 17 * 65536 + 5; ++i) {  // 18 frames: more than one wave of 16
    rows.push_back({names[i % 26], i % 65536, 6, i, i / 3, 1});
    want += rows.back().interface_id;
    want += "," + std::to_string(i % 65536) + ",6," + std::to_string(i) + "," +
            std::to_string(i / 3) + ",1\n";
  }
  std::string error, packed[2];
  for (int threads : {1, 2}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    const std::string path = Path(threads == 1 ? "e1.zst" : "e2.zst");
    ASSERT_TRUE(WriteExposure(path, rows, &error)) << error;
    packed[threads - 1] = flowsift::testing::ReadFile(path);
  }
  EXPECT_TRUE(packed[0] == packed[1]);  // not EXPECT_EQ: no binary dump on failure
  EXPECT_TRUE(flowsift::testing::DecodeZstd(packed[0]) == want);
  size_t frames = 0;
  for (size_t pos = 0; pos < packed[0].size(); ++frames) {
    const size_t n = ZSTD_findFrameCompressedSize(packed[0].data() + pos, packed[0].size() - pos);
    ASSERT_FALSE(ZSTD_isError(n));
    pos += n;
  }
  EXPECT_EQ(frames, 18u);
}

// A name holding a line break is quoted as RFC 4180 says, whichever of CR and LF it holds:
// unquoted, the row would end in the middle of the name for every CSV reader.
TEST_F(Tables, LineBreaksInNamesAreQuoted) {
  std::string error;
  ASSERT_TRUE(WriteExposure(Path("e.zst"),
                            {{"eni-a\rb", 22, 6, 1, 0, 1}, {"eni-c\nd", 23, 6, 2, 0, 1}}, &error))
      << error;
  EXPECT_EQ(ReadZstd(Path("e.zst")),
            std::string(ExposureHeader()) + "\n\"eni-a\rb\",22,6,1,0,1\n\"eni-c\nd\",23,6,2,0,1\n");
}

// Whether every zstd frame of `packed` has zstd's content checksum (bit 2 of the frame header
// descriptor, the byte after the 4-byte magic); false for no frame at all.
::testing::AssertionResult EveryFrameHasAChecksum(const std::string& packed) {
  if (packed.empty()) return ::testing::AssertionFailure() << "no frame";
  for (size_t pos = 0, frame = 0; pos < packed.size(); ++frame) {
    const size_t n = ZSTD_findFrameCompressedSize(packed.data() + pos, packed.size() - pos);
    if (ZSTD_isError(n) || n < 5) return ::testing::AssertionFailure() << "frame " << frame;
    if (((static_cast<uint8_t>(packed[pos + 4]) >> 2) & 1) == 0) {
      return ::testing::AssertionFailure() << "frame " << frame << " has no checksum";
    }
    pos += n;
  }
  return ::testing::AssertionSuccess();
}

// The tables' frames and a streamed file's (findings.jsonl.zst) carry zstd's content checksum,
// as ZstdFileWriter promises: `zstd -t` and every reader then find a flipped byte.
TEST_F(Tables, EveryFrameCarriesAChecksum) {
  std::vector<ExposureRow> rows(70000, ExposureRow{"eni-a", 22, 6, 1, 0, 1});  // two frames
  std::string error;
  ASSERT_TRUE(WriteExposure(Path("e.zst"), rows, &error)) << error;
  EXPECT_TRUE(EveryFrameHasAChecksum(flowsift::testing::ReadFile(Path("e.zst"))));
  ZstdFileWriter w;
  ASSERT_TRUE(w.Open(Path("s.zst"), &error)) << error;
  w.Write("{}\n");
  ASSERT_TRUE(w.Close(&error)) << error;
  EXPECT_TRUE(EveryFrameHasAChecksum(flowsift::testing::ReadFile(Path("s.zst"))));
}

TEST_F(Tables, UnwritablePathIsAnErrorNotACrash) {
  std::string error;
  EXPECT_FALSE(
      WriteWindows((dir_ / "no-such-dir" / "w.zst").string(), std::vector<WindowRow>{}, &error));
  EXPECT_NE(error.find("no-such-dir"), std::string::npos) << error;
  // /dev/full accepts the open and fails the writes.
  if (std::filesystem::exists("/dev/full")) {
    std::vector<TalkerRow> rows(200000, TalkerRow{1, 1, "10.0.0.1", 1, 1, 1});
    EXPECT_FALSE(WriteTalkers("/dev/full", rows, &error));
  }
}

// docs/duckdb.sql's macros read each table with its types given: their columns must be the
// files' own, in order (a column added to a table and not there would shift every later one).
TEST(DuckDbMacros, NameEveryColumnInTheFilesOrder) {
  std::ifstream in(std::string(FLOWSIFT_SOURCE_DIR) + "/docs/duckdb.sql");
  std::stringstream text;
  text << in.rdbuf();
  const std::string sql = text.str();
  // The keys of the `columns = {...}` after "MACRO name(", joined by commas.
  const auto columns_of = [&](const std::string& macro) {
    const size_t at = sql.find("MACRO " + macro + "(");
    EXPECT_NE(at, std::string::npos) << macro;
    if (at == std::string::npos) return std::string();
    const size_t open = sql.find("columns = {", at);
    const size_t close = sql.find('}', open);
    // The quoted strings inside the braces alternate: a name, its type.
    std::string names;
    bool is_name = true;
    for (size_t q = sql.find('\'', open); q < close;) {
      const size_t end = sql.find('\'', q + 1);
      if (is_name) names += (names.empty() ? "" : ",") + sql.substr(q + 1, end - q - 1);
      is_name = !is_name;
      q = sql.find('\'', end + 1);
    }
    return names;
  };
  EXPECT_EQ(columns_of("flowsift_windows"), WindowsHeader());
  EXPECT_EQ(columns_of("flowsift_talkers"), TalkersHeader());
  EXPECT_EQ(columns_of("flowsift_exposure"), ExposureHeader());
  // The findings' keys, in FindingJson's order.
  Finding f;
  f.type = "port_scan";
  std::string keys;
  const nlohmann::ordered_json line = nlohmann::ordered_json::parse(FindingJson(f));
  for (const auto& [key, value] : line.items()) {
    keys += (keys.empty() ? "" : ",") + key;
  }
  EXPECT_EQ(columns_of("flowsift_findings"), keys);
}

// A name holding a comma and nothing else to quote is quoted: unquoted, every CSV reader would
// split it into two columns and shift the row's numbers one column on.
TEST_F(Tables, ACommaAloneInANameIsQuoted) {
  std::string error;
  ASSERT_TRUE(WriteExposure(Path("e.zst"), {{"eni-a,b", 22, 6, 1, 0, 1}}, &error)) << error;
  EXPECT_EQ(ReadZstd(Path("e.zst")), std::string(ExposureHeader()) + "\n\"eni-a,b\",22,6,1,0,1\n");
}

}  // namespace
}  // namespace flowsift
