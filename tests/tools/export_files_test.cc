// The files `flowsift export` writes and the tables it reads: its -o file written atomically,
// through pipes and links, never over a summary's file; usage errors and exit codes; corrupt,
// cut and unreadable tables and rows, named and passed over.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/export.h"
#include "pipeline/summary.h"
#include "pipeline/tables.h"
#include "tests/test_util.h"
#include "tests/tools/export_fixture.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using export_fixture::Export;
using export_fixture::ExportTest;
using export_fixture::Lines;
using export_fixture::Replace;
using export_fixture::Result;
using export_fixture::SmallFindings;
using flowsift::testing::ReadFile;
using flowsift::testing::WriteFile;
using flowsift::testing::WriteZstd;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------------------------
// Behaviour.

TEST_F(ExportTest, WritesFilesAtomicallyAndZstdWhenNamedSo) {
  const fs::path dir = *dir_ / "files";
  fs::create_directories(dir);
  const Result stdout_run = Export(*dir_, "small --as ecs");
  ASSERT_EQ(stdout_run.code, 0);
  WriteFile(dir / "e.jsonl", "old content\n");
  Result r = Export(*dir_, "small --as ecs -o files/e.jsonl");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(ReadFile(dir / "e.jsonl"), stdout_run.out);  // replaced whole
  // A file made private stays private when replaced (it had become 0644 by the umask).
  fs::permissions(dir / "e.jsonl", fs::perms::owner_read | fs::perms::owner_write);
  r = Export(*dir_, "small --as ecs -o files/e.jsonl");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(fs::status(dir / "e.jsonl").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  r = Export(*dir_, "small --as ecs --output files/e.jsonl.zst");
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string packed = ReadFile(dir / "e.jsonl.zst");
  EXPECT_EQ(packed.substr(0, 4), std::string("\x28\xB5\x2F\xFD", 4));  // zstd magic
  EXPECT_EQ(flowsift::testing::DecodeZstd(packed), stdout_run.out);
  // No temporary file is left behind.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"e.jsonl", "e.jsonl.zst"}));
  EXPECT_EQ(Export(*dir_, "small --as ocsf -o -").out, Export(*dir_, "small --as ocsf").out);
  // The extension in capitals is zstd too; a gzip name (which held plain text) is refused.
  r = Export(*dir_, "small --as ecs --output files/E.JSONL.ZST");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(flowsift::testing::DecodeZstd(ReadFile(dir / "E.JSONL.ZST")), stdout_run.out);
  r = Export(*dir_, "small --as ecs --output files/e.jsonl.gz");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("zstd only"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "e.jsonl.gz"));
  for (const char* name : {"e.jsonl.gzip", "e.jsonl.bz2", "e.jsonl.xz", "e.jsonl.lz4"}) {
    r = Export(*dir_, std::string("small --as ecs --output files/") + name);
    EXPECT_EQ(r.code, 2) << name;
    EXPECT_NE(r.err.find("zstd only"), std::string::npos) << name << ": " << r.err;
    EXPECT_FALSE(fs::exists(dir / name)) << name;
  }
}

// Only a regular file is replaced by a renamed temporary: a FIFO (or a device such as
// /dev/null) is written in place, and a symbolic link stays a link to the file it names
// (renaming over -o /dev/full had made it a regular file).
TEST_F(ExportTest, PipesAndLinksAreWrittenThroughNotReplaced) {
  const std::string stdout_lines = Export(*dir_, "small --as ecs").out;
  ASSERT_FALSE(stdout_lines.empty());
  const fs::path pipe = *dir_ / "pipe";
  fs::remove(pipe);
  ASSERT_EQ(::mkfifo(pipe.c_str(), 0600), 0);
  // The export runs in the background (with `cd`), a reader drains the pipe (not forever, if
  // the pipe was replaced and has no writer), and `wait`
  // gives the export's exit code.
  Result r = Export(*dir_, "small --as ecs -o pipe & timeout 20 cat '" + pipe.string() + "' > '" +
                               (*dir_ / "from-pipe.txt").string() + "'; wait $!");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_fifo(pipe));
  EXPECT_EQ(ReadFile(*dir_ / "from-pipe.txt"), stdout_lines);
  fs::remove(pipe);
  for (const char* name : {"to.jsonl", "link.jsonl", "dangling.jsonl", "made.jsonl"}) {
    fs::remove(*dir_ / name);
  }
  std::ofstream(*dir_ / "to.jsonl") << "old\n";
  fs::create_symlink("to.jsonl", *dir_ / "link.jsonl");
  r = Export(*dir_, "small --as ecs -o link.jsonl");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(*dir_ / "link.jsonl"));
  EXPECT_EQ(ReadFile(*dir_ / "to.jsonl"), stdout_lines);
  fs::create_symlink("made.jsonl", *dir_ / "dangling.jsonl");
  r = Export(*dir_, "small --as ecs -o dangling.jsonl");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(*dir_ / "dangling.jsonl"));
  EXPECT_EQ(ReadFile(*dir_ / "made.jsonl"), stdout_lines);
  for (const auto& e : fs::directory_iterator(*dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

TEST_F(ExportTest, UnwritableOutputExitsThreeAndLeavesNothing) {
  Result r = Export(*dir_, "small --as ocsf -o nowhere/x.jsonl");
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("cannot create nowhere/x.jsonl"));
  EXPECT_FALSE(fs::exists(*dir_ / "nowhere"));
  r = Export(*dir_, "small --as ocsf -o small");  // a directory
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("cannot write small: Is a directory"));
  EXPECT_TRUE(fs::exists(*dir_ / "small" / kManifestFile));
  for (const auto& e : fs::directory_iterator(*dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
  if (fs::exists("/dev/full")) {
    r = Export(*dir_, "generated --as splunk > /dev/full");
    EXPECT_EQ(r.code, 3);
    EXPECT_THAT(r.err, HasSubstr("cannot write"));
  }
}

// An export killed by SIGKILL leaves its temporary behind; the next export to the same FILE
// removes it once no live export holds its lock, and says so. A locked one (a live export's) is
// never taken, however old; nor a young one, another host's, an older version's unlabelled one,
// or another FILE's.
TEST_F(ExportTest, ATemporaryLeftByAKilledExportIsRemovedByTheNextExport) {
  const fs::path dir = *dir_ / "stale";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string host = HostForFileName();
  const std::string dead = ".e.jsonl.tmp-" + host + "-abcdef";
  const std::vector<std::string> kept = {
      ".e.jsonl.tmp-" + host + "-ghijkl",  // locked below: a live export's
      ".e.jsonl.tmp-" + host + "-mnopqr",  // young: made old below it is not
      ".e.jsonl.tmp-elsewhere-abcdef",     // another host's
      ".e.jsonl.tmp-abcdef",               // an older version's, which held no lock
      ".f.jsonl.tmp-" + host + "-abcdef",  // another FILE's
  };
  const auto two_minutes_ago = fs::file_time_type::clock::now() - std::chrono::minutes(2);
  for (const std::string& name : kept) WriteFile(dir / name, "half an export\n");
  WriteFile(dir / dead, "half an export\n");
  for (const std::string& name : {dead, kept[0], kept[2], kept[3], kept[4]}) {
    fs::last_write_time(dir / name, two_minutes_ago);
  }
  const int live = ::open((dir / kept[0]).c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(live, 0);
  ASSERT_EQ(::flock(live, LOCK_EX | LOCK_NB), 0);
  const Result r = Export(*dir_, "small --as ecs -o stale/e.jsonl");
  ::close(live);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("note: removed stale/" + dead +
                               ", the temporary output of an export that did not finish"));
  EXPECT_EQ(ReadFile(dir / "e.jsonl"), Export(*dir_, "small --as ecs").out);
  std::vector<std::string> names, want = kept;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  want.push_back("e.jsonl");
  std::sort(names.begin(), names.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(names, want);  // the dead one gone, the export's own temporary too
}

// A FILE whose name the file system takes is written, however long: the temporary's longer
// name failed with "File name too long" (exit 3) from 245 bytes on.
TEST_F(ExportTest, AFileOfTheLongestNameIsWritten) {
  const std::string name = std::string(249, 'a') + ".json";  // 254 bytes
  fs::remove(*dir_ / name);
  const Result r = Export(*dir_, "small --as ocsf -o " + name);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ReadFile(*dir_ / name), Export(*dir_, "small --as ocsf").out);
  fs::remove(*dir_ / name);
}

// One name longer than the file system takes is refused before the export, named as given: it
// had been exported whole to the temporary (cut to fit), then failed at the rename naming that
// removed temporary.
TEST_F(ExportTest, AFileNameTooLongIsRefusedFirst) {
  const std::string name = std::string(300, 'a') + ".json";
  const Result r = Export(*dir_, "small --as ocsf -o " + name);
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("flowsift: cannot write " + name + ": File name too long\n"));
  EXPECT_THAT(r.err, Not(HasSubstr(".tmp-"))) << r.err;
  for (const auto& e : fs::directory_iterator(*dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

// A failed write says why, and names the FILE given: stdout's had said only "cannot write
// stdout", and a .zst FILE's named its removed temporary (".x.jsonl.zst.tmp-...: File too large").
TEST_F(ExportTest, AFailedWriteSaysWhyAndNamesTheFileGiven) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  // More than stdout's 1 MiB buffer (a write fails: 4,000 windows of ~650 bytes), and less
  // (Finish's flush fails).
  const fs::path many = CopyOfSmall("many");
  std::string csv = std::string(WindowsHeader()) + "\n";
  for (int i = 0; i < 4000; ++i) {
    csv += "eni-0a1b2c3d4e5f60718,123456789012," + std::to_string(1700000000 + 600 * i) + "," +
           std::to_string(1700000600 + 600 * i) + ",1,0,0,1,0,1,1,0,0,0,1,1,1\n";
  }
  WriteZstd(many / kWindowsFile, csv);
  for (const char* args : {"many --as splunk > /dev/full", "small --as splunk > /dev/full"}) {
    const Result r = Export(*dir_, args);
    EXPECT_EQ(r.code, 3) << args;
    EXPECT_THAT(r.err, HasSubstr("cannot write to stdout: No space left on device")) << args;
  }
  for (const char* name : {"limited.jsonl.zst", "limited.jsonl"}) {
    const auto r = flowsift::testing::RunCommand(
        "cd '" + dir_->string() + "' && ulimit -f 1 && " + FLOWSIFT_BINARY +
        " export generated --as ocsf -o " + name + " 2>&1");
    EXPECT_EQ(r.code, 3) << r.out;
    EXPECT_THAT(r.out, HasSubstr(std::string("cannot write ") + name + ": File too large"));
    EXPECT_THAT(r.out, Not(HasSubstr(".tmp-")));
    EXPECT_FALSE(fs::exists(*dir_ / name));
  }
}

TEST_F(ExportTest, UsageErrorsExitTwo) {
  for (const char* args : {"small", "small --as xml", "--as ocsf", "small --as ocsf --bogus",
                           "small --as asff --account 12345", "small --as ocsf --region mars",
                           "small --as ocsf --account 11112222333x"}) {
    EXPECT_EQ(Export(*dir_, args).code, 2) << args;
  }
  Result r = Export(*dir_, "nowhere --as ocsf");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("nowhere: no such directory"));
  r = Export(*dir_, "in --as ocsf");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("in is not a flowsift output directory"));
  auto m = json::parse(ReadFile(*dir_ / "small" / kManifestFile));
  m["format_version"] = kOutputFormatVersion + 1;
  WriteFile(*dir_ / "future" / kManifestFile, m.dump());
  r = Export(*dir_, "future --as ocsf");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("this flowsift reads format version"));
}

// An export aimed at one of the summary's own files would replace the table it reads.
TEST_F(ExportTest, RefusesToOverwriteAFileOfTheSummary) {
  const fs::path out = CopyOfSmall("self");
  const std::string before = ReadFile(out / "windows.csv.zst");
  fs::create_symlink(out / "windows.csv.zst", *dir_ / "w.lnk");  // through a link too
  for (const char* target :
       {"self/windows.csv.zst", "self/./manifest.json", "./self/windows.csv.zst", "w.lnk",
        "self/../self/findings.jsonl.zst"}) {
    const Result r = Export(*dir_, std::string("self --as ocsf -o ") + target);
    EXPECT_EQ(r.code, 2) << target;
    EXPECT_THAT(r.err, HasSubstr("the summary being exported")) << target;
  }
  EXPECT_EQ(ReadFile(out / "windows.csv.zst"), before);
  // Another file inside it is not one of its tables: written, and written again.
  EXPECT_EQ(Export(*dir_, "self --as ocsf -o self/events.ndjson").code, 0);
  EXPECT_EQ(Export(*dir_, "self --as ocsf -o self/events.ndjson").code, 0);
  EXPECT_TRUE(fs::exists(out / "events.ndjson"));
}

// Nor one of another output: it had become the events, and show and merge read it as corrupt.
TEST_F(ExportTest, RefusesToOverwriteAFileOfAnotherOutput) {
  const fs::path other = CopyOfSmall("other");
  const std::string windows = ReadFile(other / "windows.csv.zst");
  const std::string manifest = ReadFile(other / "manifest.json");
  for (const char* target :
       {"other/windows.csv.zst", "other/manifest.json", "./other/../other/findings.jsonl.zst"}) {
    const Result r = Export(*dir_, std::string("small --as ocsf -o ") + target);
    EXPECT_EQ(r.code, 2) << target;
    EXPECT_THAT(r.err, HasSubstr("an output of flowsift that the export would damage")) << target;
  }
  EXPECT_EQ(ReadFile(other / "windows.csv.zst"), windows);
  EXPECT_EQ(ReadFile(other / "manifest.json"), manifest);
  // A table's name in a directory that is no output is a file like any other.
  fs::create_directories(*dir_ / "plain");
  EXPECT_EQ(Export(*dir_, "small --as ocsf -o plain/windows.csv.zst").code, 0);
  EXPECT_TRUE(fs::exists(*dir_ / "plain" / "windows.csv.zst"));
}

TEST_F(ExportTest, CorruptTablesExitOneNamingFileAndLine) {
  const fs::path out = CopyOfSmall("corrupt");
  // A bad finding on line 3: it is named and skipped, the findings before and after it are
  // exported, in every format.
  const std::string good = SmallFindings();
  const std::string two = good.substr(0, good.find('\n', good.find('\n') + 1) + 1);
  const std::string rest = good.substr(two.size());  // five more findings
  WriteZstd(out / kFindingsFile,
            two + R"({"id":"0000000000000bad","type":"port_scan","severity":9})" + "\n" + rest);
  for (const char* as : {"splunk", "ocsf", "ecs", "asff --account 111122223333"}) {
    const Result r = Export(*dir_, std::string("corrupt --as ") + as);
    EXPECT_EQ(r.code, 1) << as;
    EXPECT_THAT(r.err, HasSubstr("corrupt/findings.jsonl.zst:3: not a finding: `severity` must "
                                 "be 1..4, not 9"))
        << as;
    if (std::string(as) == "splunk") {
      EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3 + 7);  // 3 windows, 7 findings
    } else if (std::string(as).starts_with("asff")) {
      // A request body per account (three), the windows are not findings.
      size_t findings = 0;
      for (const json& body : Lines(r.out)) findings += body["Findings"].size();
      EXPECT_EQ(Lines(r.out).size(), 3u);
      EXPECT_EQ(findings, 7u);
    } else {
      EXPECT_EQ(Lines(r.out).size(), 3u + 7) << as;
    }
  }
  WriteZstd(out / kFindingsFile, two + "\n{oops\n" + rest);
  Result r = Export(*dir_, "corrupt --as ocsf -o corrupt.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("corrupt/findings.jsonl.zst:4: not valid JSON"));
  EXPECT_EQ(Lines(ReadFile(*dir_ / "corrupt.jsonl")).size(), 3u + 7);  // the readable rows

  // Many bad lines: the first 10 are named, the rest counted.
  std::string garbage;
  for (int i = 0; i < 25; ++i) garbage += "[" + std::to_string(i) + "]\n";
  WriteZstd(out / kFindingsFile, two + garbage + rest);
  r = Export(*dir_, "corrupt --as ocsf");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("corrupt/findings.jsonl.zst:12: not a JSON object"));
  EXPECT_THAT(r.err, Not(HasSubstr("corrupt/findings.jsonl.zst:13:")));
  EXPECT_THAT(r.err, HasSubstr("corrupt/findings.jsonl.zst: 15 more unreadable rows skipped (25 "
                               "in all)"));
  EXPECT_EQ(Lines(r.out).size(), 3u + 7);

  // A window with a non-number on line 3: named and skipped; the windows before and after it
  // and every finding are exported.
  std::string csv = flowsift::testing::ReadZstd(out / kWindowsFile);
  const size_t line3 = csv.find('\n', csv.find('\n') + 1) + 1;
  csv.replace(csv.find(",1700001000,", line3), 12, ",17000O1000,");
  WriteZstd(out / kWindowsFile, csv);
  WriteZstd(out / kFindingsFile, good);
  r = Export(*dir_, "corrupt --as ecs");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("corrupt/windows.csv.zst:3: column `window_end`: '17000O1000' is "
                               "not an unsigned integer"));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2 + 7);

  const std::string packed = ReadFile(*dir_ / "small" / kWindowsFile);
  WriteFile(out / kWindowsFile, packed.substr(0, packed.size() - 6));
  r = Export(*dir_, "corrupt --as ocsf");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("corrupt/windows.csv.zst"));
  fs::remove(out / kFindingsFile);
  r = Export(*dir_, "corrupt --as asff --account 111122223333");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot open corrupt/findings.jsonl.zst"));
}

// Bad rows in the middle of both tables, in every format: each is named with its line and
// skipped, the rows after it are exported (and still give the findings their accounts), exit 1,
// and FILE is still written.
TEST_F(ExportTest, RowsAfterAnUnreadableRowAreExportedInEveryFormat) {
  const fs::path out = CopyOfSmall("bad-rows");
  // windows.csv.zst: the header, then the window of IFACE_A at 1699999800, a row of 3 fields,
  // a row with a quote inside an unquoted field, and the window of IFACE_B, which is the only
  // source of IFACE_B's account.
  const std::string csv = flowsift::testing::ReadZstd(out / kWindowsFile);
  const size_t line2 = csv.find('\n') + 1, line3 = csv.find('\n', line2) + 1;
  const size_t line4 = csv.find('\n', line3) + 1;
  ASSERT_NE(csv.find("eni-0f00000000000000b,000000000007,", line4), std::string::npos);
  const std::string quoted =
      Replace(csv.substr(line3, line4 - line3), ",123456789012,", ",1234\"5678\"9012,");
  WriteZstd(out / kWindowsFile, csv.substr(0, line3) +
                                    "eni-0a1b2c3d4e5f60718,123456789012,1700000400\n" + quoted +
                                    csv.substr(line4));
  // findings.jsonl.zst: a line that is not JSON first, then every finding.
  const std::string good = SmallFindings();
  WriteZstd(out / kFindingsFile, "{oops\n" + good);
  for (const std::string as : {"splunk", "ocsf", "ecs", "asff --account 111122223333"}) {
    const Result r = Export(*dir_, "bad-rows --as " + as);
    EXPECT_EQ(r.code, 1) << as;
    EXPECT_THAT(r.err, HasSubstr("bad-rows/windows.csv.zst:3: 3 fields, the header has 17")) << as;
    EXPECT_THAT(r.err, HasSubstr("bad-rows/windows.csv.zst:4: malformed CSV quoting")) << as;
    EXPECT_THAT(r.err, HasSubstr("bad-rows/findings.jsonl.zst:1: not valid JSON")) << as;
    if (as.starts_with("asff")) {
      // One batch per account (BatchImportFindings takes one account's findings).
      const std::vector<json> bodies = Lines(r.out);
      ASSERT_EQ(bodies.size(), 3u) << r.err;
      std::map<std::string, std::string> accounts;  // finding id -> AwsAccountId
      for (const json& body : bodies) {
        for (const json& f : body["Findings"]) accounts[f["Id"]] = f["AwsAccountId"];
      }
      EXPECT_EQ(accounts.size(), 7u);
      // From the windows before and after the bad rows, not --account.
      EXPECT_EQ(accounts["flowsift/3f2a9c0d11e5b7a4"], "123456789012");
      EXPECT_EQ(accounts["flowsift/a07d5c22e9f18b60"], "000000000007");
      EXPECT_EQ(accounts["flowsift/d0d0d0d0d0d0d0d0"], "111122223333");
      continue;
    }
    const std::vector<json> lines = Lines(r.out);
    ASSERT_EQ(lines.size(), 2u + 7) << as;  // the windows before and after, every finding
    EXPECT_THAT(lines[1].dump(), HasSubstr("eni-0f00000000000000b")) << as;
    // The finding on IFACE_B has the account of the window after the bad rows.
    EXPECT_THAT(lines[2 + 3].dump(), HasSubstr("a07d5c22e9f18b60")) << as;
    EXPECT_THAT(lines[2 + 3].dump(), HasSubstr("000000000007")) << as;
  }
  Result r = Export(*dir_, "bad-rows --as ecs -o bad-rows.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(Lines(ReadFile(*dir_ / "bad-rows.jsonl")).size(), 2u + 7);
  for (const auto& entry : fs::directory_iterator(*dir_)) {
    EXPECT_FALSE(entry.path().filename().string().starts_with(".bad-rows.jsonl.tmp-"));
  }

  // With whole windows, the findings after a line that is not JSON still get the accounts of
  // their interfaces' windows (the first pass over the findings stopped at that line, so ASFF
  // gave them --account's).
  WriteZstd(out / kWindowsFile, csv);
  r = Export(*dir_, "bad-rows --as asff --account 111122223333");
  EXPECT_EQ(r.code, 1);
  std::map<std::string, std::string> account_of;  // finding id -> AwsAccountId
  for (const json& body : Lines(r.out)) {
    for (const json& f : body["Findings"]) account_of[f["Id"]] = f["AwsAccountId"];
  }
  ASSERT_EQ(account_of.size(), 7u) << r.err;
  EXPECT_EQ(account_of["flowsift/3f2a9c0d11e5b7a4"], "123456789012");
  EXPECT_EQ(account_of["flowsift/a07d5c22e9f18b60"], "000000000007");
}

// A table whose zstd data cannot be decompressed past some point ends there: the rows before
// it are exported, the damage is named, and the next table is still exported (exit 1).
// Gaps that mutants of pipeline/export.cc survived.

// An OUT without findings (`run --no-detect`, a quiet night) exports every window: the windows
// were read only when a finding named an interface (a mutant skipping them passed every test).
TEST_F(ExportTest, AnOutWithoutFindingsExportsItsWindows) {
  const fs::path out = CopyOfSmall("quiet");
  WriteZstd(out / kFindingsFile, "");
  for (const char* as : {"ocsf", "ecs", "splunk"}) {
    const Result r = Export(*dir_, std::string("quiet --as ") + as);
    EXPECT_EQ(r.code, 0) << as << ": " << r.err;
    EXPECT_EQ(Lines(r.out).size(), 3u) << as;
  }
  const Result r = Export(*dir_, "quiet --as asff");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

// Blank lines between findings are passed over (exit 0), and a bad row after them is named by
// its own line.
TEST_F(ExportTest, BlankLinesBetweenFindingsArePassedOver) {
  const fs::path out = CopyOfSmall("blank");
  const std::string good = SmallFindings();
  const std::string first = good.substr(0, good.find('\n') + 1);
  WriteZstd(out / kFindingsFile, "\n" + first + "  \n\r\n" + good.substr(first.size()));
  Result r = Export(*dir_, "blank --as ecs");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 3u + 7);
  WriteZstd(out / kFindingsFile, "\n" + first + "  \n[1]\n");
  r = Export(*dir_, "blank --as ecs");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("blank/findings.jsonl.zst:4: not a JSON object"));
}

// Exactly 10 bad rows are all named, with no "0 more unreadable rows" line.
TEST_F(ExportTest, TenBadRowsAreAllNamedAndNoneCounted) {
  const fs::path out = CopyOfSmall("ten");
  std::string garbage;
  for (int i = 0; i < 10; ++i) garbage += "[" + std::to_string(i) + "]\n";
  WriteZstd(out / kFindingsFile, garbage + SmallFindings());
  const Result r = Export(*dir_, "ten --as ocsf");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("ten/findings.jsonl.zst:10: not a JSON object"));
  EXPECT_THAT(r.err, Not(HasSubstr("more unreadable rows"))) << r.err;
}

// Eleven bad rows: the one past the ten named is counted in the singular, as every count the
// commands print is ("1 more unreadable rows skipped" before).
TEST_F(ExportTest, OneBadRowPastTheTenNamedIsCountedInTheSingular) {
  const fs::path out = CopyOfSmall("eleven");
  std::string garbage;
  for (int i = 0; i < 11; ++i) garbage += "[" + std::to_string(i) + "]\n";
  WriteZstd(out / kFindingsFile, garbage + SmallFindings());
  const Result r = Export(*dir_, "eleven --as ocsf");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("eleven/findings.jsonl.zst: 1 more unreadable row skipped (11 in "
                               "all)\n"))
      << r.err;
}

// A finding ASFF cannot name an account for is a usage error (exit 2, FILE not written) also
// after a bad row: the bad row's exit 1 had won, and FILE was written without that finding and
// those after it.
TEST_F(ExportTest, AsffWithoutAnAccountAfterABadRowIsStillAUsageError) {
  const fs::path out = CopyOfSmall("badthenusage");
  WriteZstd(out / kFindingsFile, "{oops\n" + SmallFindings());
  const Result r = Export(*dir_, "badthenusage --as asff -o badthenusage.json");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("badthenusage/findings.jsonl.zst:1: not valid JSON"));
  EXPECT_THAT(r.err, HasSubstr("finding d0d0d0d0d0d0d0d0"));
  EXPECT_FALSE(fs::exists(*dir_ / "badthenusage.json"));
}

// The accounts' first pass keeps its reports only when it fails: without --account, a bad row
// among findings that all have accounts is named once (the first pass's report of it had been
// kept too), exit 1, and the findings around it still go out (not ended as a failed check).
TEST_F(ExportTest, AsffWithoutAnAccountNamesABadRowOnceAndExportsTheRest) {
  const fs::path out = CopyOfSmall("badbetween");
  const std::string first = SmallFindings().substr(0, SmallFindings().find('\n') + 1);
  WriteZstd(out / kFindingsFile,
            first + "{oops\n" + Replace(first, "3f2a9c0d11e5b7a4", "3f2a9c0d11e5b7a5"));
  const Result r = Export(*dir_, "badbetween --as asff");
  EXPECT_EQ(r.code, 1) << r.err;
  const std::string bad = "badbetween/findings.jsonl.zst:2: not valid JSON";
  ASSERT_THAT(r.err, HasSubstr(bad));
  EXPECT_EQ(r.err.find(bad), r.err.rfind(bad)) << r.err;
  const std::vector<json> batches = Lines(r.out);
  ASSERT_EQ(batches.size(), 1u) << r.out;
  EXPECT_EQ(batches[0]["Findings"].size(), 2u);
}

// A finding without an account is a usage error for the whole ASFF export, also to stdout after
// batches of other findings: 1,000 findings with an account came first, 10 full batches, more
// than stdout's 1 MiB buffer, and went out before the error (a pipe into batch-import-findings
// had imported them, and the last partial batches not).
TEST_F(ExportTest, AsffWithoutAnAccountWritesNoBatchToStdout) {
  const fs::path out = CopyOfSmall("latenoaccount");
  const std::string first = SmallFindings().substr(0, SmallFindings().find('\n') + 1);
  std::string text;
  for (int i = 0; i < 1000; ++i) {
    char id[17];
    std::snprintf(id, sizeof id, "%016x", i);
    text += Replace(first, "3f2a9c0d11e5b7a4", id);
  }
  const std::string all = SmallFindings();
  text += all.substr(all.find(R"({"id":"d0d0d0d0d0d0d0d0")"));  // eni-0ff..: in no window
  WriteZstd(out / kFindingsFile, text);
  Result r = Export(*dir_, "latenoaccount --as asff");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("finding d0d0d0d0d0d0d0d0 (latenoaccount/findings.jsonl.zst:1001)"));
  EXPECT_EQ(r.out.size(), 0u);
  r = Export(*dir_, "latenoaccount --as asff --account 111122223333");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 11u);  // 10 batches of 123456789012's, 1 of 111122223333's
}

// A windows.csv.zst whose header lacks a column is reported (line 1), and the findings are
// still exported (the header's failure had ended the export in a mutant no test caught).
TEST_F(ExportTest, AWindowsHeaderWithoutAColumnStillExportsTheFindings) {
  const fs::path out = CopyOfSmall("badheader");
  WriteZstd(out / kWindowsFile, Replace(flowsift::testing::ReadZstd(out / kWindowsFile),
                                        "distinct_dstport", "distinct_dst_port"));
  const Result r = Export(*dir_, "badheader --as splunk");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err,
              HasSubstr("badheader/windows.csv.zst:1: no column `distinct_dstport` in the header"));
  EXPECT_EQ(Lines(r.out).size(), 7u);
}

TEST_F(ExportTest, CorruptZstdEndsTheTableAndTheNextIsExported) {
  const fs::path out = CopyOfSmall("bad-zstd");
  const std::string good = SmallFindings();
  // A valid frame with the header and the first window, then bytes that are not zstd.
  const std::string csv = flowsift::testing::ReadZstd(out / kWindowsFile);
  WriteZstd(out / kWindowsFile, csv.substr(0, csv.find('\n', csv.find('\n') + 1) + 1));
  const std::string junk = "this is not zstd data at all\n";
  WriteFile(out / kWindowsFile, ReadFile(out / kWindowsFile) + junk);
  WriteZstd(out / kFindingsFile, good);
  Result r = Export(*dir_, "bad-zstd --as splunk");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad-zstd/windows.csv.zst: corrupt zstd data"));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 7);

  // The same in findings.jsonl.zst: the windows and the first two findings are exported.
  WriteZstd(out / kWindowsFile, csv);
  WriteZstd(out / kFindingsFile, good.substr(0, good.find('\n', good.find('\n') + 1) + 1));
  WriteFile(out / kFindingsFile, ReadFile(out / kFindingsFile) + junk);
  r = Export(*dir_, "bad-zstd --as ocsf");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad-zstd/findings.jsonl.zst: corrupt zstd data"));
  EXPECT_EQ(Lines(r.out).size(), 3u + 2);
}

// `text` as two zstd frames, its first `lines` lines in the first (as run writes a frame per
// 65,536 rows); returns the size of the first frame.
size_t WriteTwoFrames(const fs::path& path, const std::string& text, size_t lines) {
  size_t cut = 0;
  for (size_t i = 0; i < lines; ++i) cut = text.find('\n', cut) + 1;
  WriteZstd(path, text.substr(0, cut));
  const std::string first = ReadFile(path);
  WriteZstd(path, text.substr(cut));
  WriteFile(path, first + ReadFile(path));
  return first.size();
}

// A table of more than 65,536 rows is several zstd frames, and one cut exactly at the end of a
// frame decodes whole, its last rows missing: export wrote them short with exit 0. manifest.json's
// `tables` keeps each table's frame count (as `show` checks it); a manifest of an earlier
// version has none and is read as before.
TEST_F(ExportTest, ATableCutAtTheEndOfAFrameIsTruncated) {
  const fs::path out = CopyOfSmall("frame-cut");
  const std::string csv = flowsift::testing::ReadZstd(out / kWindowsFile);
  const std::string findings = SmallFindings();
  const size_t windows_first = WriteTwoFrames(out / kWindowsFile, csv, 2);
  const size_t findings_first = WriteTwoFrames(out / kFindingsFile, findings, 3);
  const std::string windows_whole = ReadFile(out / kWindowsFile);
  const std::string findings_whole = ReadFile(out / kFindingsFile);
  json manifest = json::parse(ReadFile(out / kManifestFile));
  ASSERT_TRUE(manifest.contains("tables")) << manifest.dump();
  manifest["tables"]["windows.csv.zst"]["frames"] = 2;
  manifest["tables"]["findings.jsonl.zst"]["frames"] = 2;
  WriteFile(out / kManifestFile, manifest.dump(2));
  const size_t windows = std::count(csv.begin(), csv.end(), '\n') - 1;
  Result r = Export(*dir_, "frame-cut --as splunk");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), windows + 7);

  WriteFile(out / kWindowsFile, windows_whole.substr(0, windows_first));
  r = Export(*dir_, "frame-cut --as splunk");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("frame-cut/windows.csv.zst: truncated (1 of the 2 zstd frames "
                               "manifest.json lists"));
  EXPECT_EQ(Lines(r.out).size(), 1u + 7);  // the findings are still exported
  // ASFF reads the windows for the findings' accounts: as cut short for it.
  r = Export(*dir_, "frame-cut --as asff --account 123456789012 -o frame-cut.asff");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("frame-cut/windows.csv.zst: truncated"));

  WriteFile(out / kWindowsFile, windows_whole);
  WriteFile(out / kFindingsFile, findings_whole.substr(0, findings_first));
  r = Export(*dir_, "frame-cut --as ocsf -o frame-cut.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("frame-cut/findings.jsonl.zst: truncated (1 of the 2 zstd frames "
                               "manifest.json lists"));
  EXPECT_EQ(Lines(ReadFile(*dir_ / "frame-cut.jsonl")).size(), windows + 3);  // still written

  // An earlier version's manifest has no `tables`: nothing to compare it with.
  manifest.erase("tables");
  WriteFile(out / kManifestFile, manifest.dump(2));
  r = Export(*dir_, "frame-cut --as ocsf");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), windows + 3);
}
}  // namespace
}  // namespace flowsift
