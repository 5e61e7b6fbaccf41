// `flowsift show` on a damaged OUT: missing, corrupt, cut or misplaced tables and files, bad
// rows and manifests of the wrong types are named, and what can be read is still shown (the
// overview too, unless windows, talkers or exposure cannot be read).
#include <fmt/core.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "pipeline/run.h"
#include "pipeline/tables.h"
#include "tests/test_util.h"
#include "tests/tools/show_fixture.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using flowsift::testing::ReadFile;
using flowsift::testing::WriteFile;
using flowsift::testing::WriteZstd;
using show_fixture::Result;
using show_fixture::RunIn;
using show_fixture::ShowTest;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(ShowTest, CorruptOrMissingFilesExitOneNamingThem) {
  WriteFile(dir_ / "out" / "talkers.csv.zst", "not zstd at all\n");
  Result r = Show("--table talkers");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/talkers.csv.zst: corrupt zstd data"));

  fs::remove(dir_ / "out" / "exposure.csv.zst");
  r = Show("--table exposure --as csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot open out/exposure.csv.zst"));

  ZstdFileWriter w;
  std::string error;
  ASSERT_TRUE(w.Open((dir_ / "out" / "findings.jsonl.zst").string(), &error));
  w.Write("{\"type\":\"port_scan\"}\n{oops\n{\"type\":\"brute_force\"}\n[]\n");
  ASSERT_TRUE(w.Close(&error));
  // A bad line is named and skipped; the findings after it are still shown; exit 1.
  r = Show("--table findings --as json");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "{\"type\":\"port_scan\"}\n{\"type\":\"brute_force\"}\n");
  EXPECT_THAT(r.err, HasSubstr("out/findings.jsonl.zst:2: not valid JSON (skipped)"));
  EXPECT_THAT(r.err, HasSubstr("out/findings.jsonl.zst:4: not a JSON object (skipped)"));
  EXPECT_THAT(r.err, HasSubstr("out/findings.jsonl.zst: 2 unreadable lines skipped"));
  // The overview still counts the readable findings.
  r = Show("--as json");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("\"by_type\":{\"port_scan\":1,\"brute_force\":1}"));
  EXPECT_THAT(r.out, HasSubstr("2 unreadable lines skipped"));  // findings.error in the JSON
  r = Show("");
  EXPECT_THAT(r.out, HasSubstr("findings   2 readable (the file is damaged: see stderr)\n"));
  // A findings file cut after its frame header: nothing readable is not "none".
  const std::string whole = ReadFile(dir_ / "out" / "findings.jsonl.zst");
  WriteFile(dir_ / "out" / "findings.jsonl.zst", whole.substr(0, 6));
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/findings.jsonl.zst: truncated zstd data"));
  EXPECT_THAT(r.out, HasSubstr("findings   none readable (the file is damaged: see stderr)\n"));

  WriteFile(dir_ / "out" / "manifest.json", "{\"tool\":");
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/manifest.json: corrupt"));
}

// A windows row that cannot be read is named and skipped as a bad findings line is: the rows
// after it are still shown and the overview is printed, exit 1 (one bad row stopped the table
// there and printed no overview at all). A value of the wrong type in a row (a number for a
// finding's type, text in a number column) is the row's problem, not the manifest's.
TEST_F(ShowTest, ABadRowIsSkippedAndTheOverviewStillPrinted) {
  const std::string table = flowsift::testing::ReadZstd(dir_ / "out" / "windows.csv.zst");
  const size_t second = table.find('\n', table.find('\n') + 1) + 1;  // after the first row
  const std::string bad_row = "eni-x,1,notanumber,2,3\n";
  const std::string text_in_number =
      "eni-y,123456789012,5,6,7,8,9,10,11,text,13,14,15,16,17,18,19\n";
  ZstdFileWriter w;
  std::string error;
  ASSERT_TRUE(w.Open((dir_ / "out" / "windows.csv.zst").string(), &error));
  w.Write(table.substr(0, second) + bad_row + text_in_number + table.substr(second));
  ASSERT_TRUE(w.Close(&error));
  const size_t rows = static_cast<size_t>(std::count(table.begin(), table.end(), '\n')) - 1;
  Result r = Show("--table windows --as csv --limit 0");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(static_cast<size_t>(std::count(r.out.begin(), r.out.end(), '\n')), 1 + rows + 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst:3: 5 fields, the header has 17 (skipped)"));
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst: 1 unreadable row skipped"));
  // The same with a limit the copy stops at (the terminal view's default of 50 rows).
  r = Show("--table windows --limit 5");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst: 1 unreadable row skipped"));
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("busiest windows by bytes"));
  EXPECT_THAT(r.out, HasSubstr("findings"));
  EXPECT_THAT(r.err, Not(HasSubstr("manifest.json")));

  ASSERT_TRUE(w.Open((dir_ / "out" / "windows.csv.zst").string(), &error));
  w.Write(table);
  ASSERT_TRUE(w.Close(&error));
  ASSERT_TRUE(w.Open((dir_ / "out" / "findings.jsonl.zst").string(), &error));
  w.Write("{\"type\":\"port_scan\",\"severity\":2}\n{\"type\":5}\n");
  ASSERT_TRUE(w.Close(&error));
  r = Show("");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("manifest.json")));
  EXPECT_THAT(r.out, HasSubstr("port_scan"));
}

// A table that cannot be opened (cut before its first row, missing) is named and left out of the
// overview, whose other parts are printed, exit 1: it printed nothing at all.
TEST_F(ShowTest, TheOverviewIsPrintedWhenATableCannotBeOpened) {
  fs::resize_file(dir_ / "out" / "windows.csv.zst", 10);
  Result r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst"));
  EXPECT_THAT(r.out, HasSubstr("records    "));
  EXPECT_THAT(r.out, HasSubstr("traffic    unreadable (windows.csv.zst: see stderr)"));
  EXPECT_THAT(r.out, HasSubstr("\nfindings   "));
  fs::remove(dir_ / "out" / "findings.jsonl.zst");
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("findings   none readable"));  // not "none": a clean night
  const auto o = DamagedOverviewJson();
  EXPECT_TRUE(o.contains("windows_error"));
  EXPECT_TRUE(o["findings"].contains("error"));
}

// The overview does not summarise talkers and exposure, but a job that runs it as the check
// of an OUT learns when either is missing or damaged (it exited 0): named on stderr, listed as
// damaged, exit 1. Whole, they add nothing to the output (the goldens), however large.
TEST_F(ShowTest, TheOverviewFailsWhenTalkersOrExposureAreMissingOrDamaged) {
  const fs::path exposure = dir_ / "out" / "exposure.csv.zst";
  const std::string whole = ReadFile(exposure);
  // Decoded to its end, not only as far as its header: a table of megabytes whose first blocks
  // are whole and whose end is cut is named (the goldens' tables are one block).
  const std::string text = flowsift::testing::ReadZstd(exposure);
  const size_t header = text.find('\n') + 1;
  ASSERT_GT(text.size(), header);
  std::string big = text;
  while (big.size() < (4u << 20)) big += text.substr(header);
  WriteZstd(exposure, big);
  Result r = Show("");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string packed = ReadFile(exposure);
  WriteFile(exposure, packed.substr(0, packed.size() - 6));
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/exposure.csv.zst: truncated"));
  EXPECT_THAT(r.out, HasSubstr("damaged    exposure.csv.zst (see stderr)\n\nbusiest"));
  fs::remove(dir_ / "out" / "talkers.csv.zst");
  WriteFile(exposure, "garbage\n");
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/talkers.csv.zst"));
  EXPECT_THAT(r.out, HasSubstr("damaged    talkers.csv.zst, exposure.csv.zst (see stderr)"));
  const auto o = DamagedOverviewJson();
  ASSERT_TRUE(o.contains("table_errors"));
  EXPECT_EQ(o["table_errors"].size(), 2u);
  EXPECT_THAT(o["table_errors"]["exposure.csv.zst"].get<std::string>(),
              HasSubstr("exposure.csv.zst"));
  // Whole again but another table's copy in its place: refused by its header.
  fs::copy_file(dir_ / "out" / "windows.csv.zst", dir_ / "out" / "talkers.csv.zst");
  WriteFile(exposure, whole);
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("talkers.csv.zst:1: not this table's header"));
}

// A table replaced by a FIFO (or a directory) is named as not a file: opening the FIFO waited
// for a writer for ever. (Without the check, ctest's timeout fails this test.)
TEST_F(ShowTest, ATableThatIsNotAFileIsNamedNotWaitedFor) {
  fs::remove(dir_ / "out" / "talkers.csv.zst");
  ASSERT_EQ(mkfifo((dir_ / "out" / "talkers.csv.zst").c_str(), 0644), 0);
  Result r = Show("--table talkers");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/talkers.csv.zst: not a regular file (a FIFO)"));
  fs::remove(dir_ / "out" / "exposure.csv.zst");
  fs::create_directory(dir_ / "out" / "exposure.csv.zst");
  r = Show("--table exposure");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/exposure.csv.zst: not a regular file (a directory)"));
  // So is the manifest: a FIFO waited for ever, a link to /dev/zero read until memory ran out.
  fs::remove(dir_ / "out" / "manifest.json");
  ASSERT_EQ(mkfifo((dir_ / "out" / "manifest.json").c_str(), 0644), 0);
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/manifest.json: not a regular file (a FIFO)"));
  fs::remove(dir_ / "out" / "manifest.json");
  fs::create_symlink("/dev/zero", dir_ / "out" / "manifest.json");
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/manifest.json: not a regular file (a device)"));
}

// Another table in a table's place (a copy over it, two swapped) is named with exit 1 and not
// shown: talkers.csv.zst copied over windows.csv.zst was shown as windows with exit 0 and the
// overview's totals wrong ("139.8 GB ... on 1 interfaces"), where export refused it.
TEST_F(ShowTest, AnotherTableInATablesPlaceIsNamedNotShown) {
  const fs::path out = dir_ / "out";
  // windows and exposure both start with interface_id: the second column tells them apart.
  fs::copy_file(out / "windows.csv.zst", out / "exposure.csv.zst",
                fs::copy_options::overwrite_existing);
  Result r = Show("--table exposure --as csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/exposure.csv.zst:1: not this table's header: column 2 is "
                               "`account_id`, not `dst_port`"));
  EXPECT_EQ(r.out, "");
  fs::copy_file(out / "talkers.csv.zst", out / "windows.csv.zst",
                fs::copy_options::overwrite_existing);
  r = Show("--table windows --as csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst:1: not this table's header: column 1 is "
                               "`window_start`, not `interface_id` (another table in its "
                               "place?)"));
  EXPECT_EQ(r.out, "");
  r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst:1: not this table's header"));
  r = Show("--table talkers --limit 1");
  EXPECT_EQ(r.code, 0) << r.err;
}

// A manifest that is JSON but has a value of the wrong type ("options": null, an input that is
// a number) is named as corrupt with exit 1; it was exit 3 with the JSON library's words only.
TEST_F(ShowTest, AManifestOfWrongTypesIsCorruptNotAnOutputError) {
  const std::string good = ReadFile(dir_ / "out" / "manifest.json");
  auto m = nlohmann::ordered_json::parse(good);
  m["tool"] = nullptr;
  WriteFile(dir_ / "out" / "manifest.json", m.dump());
  Result r = Show("");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("out/manifest.json: corrupt: a value has the wrong type"));
  // The values every view walks are checked by key, alike for every view: --as json printed a
  // null "totals", and --table inputs listed an "inputs" of "x" as a row (exit 0).
  const struct {
    const char* key;
    nlohmann::ordered_json value;
    const char* says;
  } cases[] = {{"options", nullptr, "\"options\" is null, not an object"},
               {"totals", nullptr, "\"totals\" is null, not an object"},
               {"inputs", "x", "\"inputs\" is a string, not an array of objects"},
               {"merged_from", "x", "\"merged_from\" is a string, not an array of objects"},
               {"bad_line_samples", {1}, "\"bad_line_samples\" is an array with an element"},
               // Nested values the overview reads, named by their path.
               {"totals.records", "7", "\"totals.records\" is a string, not a whole number"},
               {"totals.bad_lines_by_reason",
                {1},
                "\"totals.bad_lines_by_reason\" is an array, not an object of whole numbers"},
               {"options.window", -600, "\"options.window\" is a number, not a whole number"},
               {"version", 1, "\"version\" is a number, not a string"}};
  for (const auto& c : cases) {
    m = nlohmann::ordered_json::parse(good);
    const std::string key = c.key;
    if (const size_t dot = key.find('.'); dot != std::string::npos) {
      m[key.substr(0, dot)][key.substr(dot + 1)] = c.value;
    } else {
      m[key] = c.value;
    }
    WriteFile(dir_ / "out" / "manifest.json", m.dump());
    for (const char* view : {"", "--as json", "--table inputs", "--table errors"}) {
      r = Show(view);
      EXPECT_EQ(r.code, 1) << c.key << " " << view << ": " << r.err;
      EXPECT_THAT(r.err, HasSubstr(std::string("out/manifest.json: corrupt (") + c.says))
          << c.key << " " << view;
    }
  }
  WriteFile(dir_ / "out" / "manifest.json", good);
  EXPECT_EQ(Show("").code, 0);
}

// A damaged table's values are shown as they are (docs/show.md): a number too large for 64
// bits was read as 0 (std::from_chars reports it out of range past its digits), so --as csv
// was not the file itself; a negative number in a findings line printed as 2^64 - n.
TEST_F(ShowTest, ValuesOfADamagedTableAreShownAsTheyAre) {
  const std::string table = flowsift::testing::ReadZstd(dir_ / "out" / "windows.csv.zst");
  const std::string row =
      "eni-big,123456789012,1700000400,1700001000,1,0,0,1,0,1,99999999999999999999,0,0,0,1,1,1\n";
  WriteZstd(dir_ / "out" / "windows.csv.zst", table + row);
  Result r = Show("--table windows --as csv --limit 0");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, table + row);
  r = Show("--table windows --as json --interface eni-big");
  EXPECT_THAT(r.out, HasSubstr("\"bytes\":\"99999999999999999999\""));
  r = Show("--table windows --interface eni-big");
  EXPECT_THAT(r.out, HasSubstr("99999999999999999999"));

  WriteZstd(dir_ / "out" / "findings.jsonl.zst",
            R"({"id":"x","type":"port_scan","severity":-2,"dst_port":-1,"flows":-3})"
            "\n");
  r = Show("--table findings");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("1844674407370955161")));
  EXPECT_THAT(r.out, HasSubstr("-2 "));
  EXPECT_THAT(r.out, HasSubstr(" -1"));
}

// A table of more than 65,536 rows is several zstd frames, and cut exactly at the end of one it
// still decodes whole, its last rows missing: the overview, a job's check of an OUT, passed it
// (exit 0). manifest.json's `tables` keeps each table's frame count, which finds it; an OUT of
// an earlier version, without `tables`, is read as before.
TEST_F(ShowTest, TheOverviewFindsATableCutAtTheEndOfAFrame) {
  std::string log =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status\n";
  for (int i = 0; i < 70000; ++i) {  // a window and an exposure row per interface
    log += fmt::format(
        "2 123456789012 eni-{:08d} 203.0.113.12 10.0.1.5 49152 22 6 3 180 1700000000 "
        "1700000050 REJECT OK\n",
        i);
  }
  WriteFile(dir_ / "big" / "a.log", log);
  Result r = RunIn(dir_, "run big -o bigout --no-progress -j 1");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json manifest = nlohmann::json::parse(ReadFile(dir_ / "bigout/manifest.json"));
  EXPECT_EQ(manifest["tables"]["windows.csv.zst"]["frames"], 2) << manifest["tables"];
  EXPECT_EQ(manifest["tables"]["exposure.csv.zst"]["frames"], 2) << manifest["tables"];
  EXPECT_EQ(manifest["tables"]["findings.jsonl.zst"]["frames"], 1) << manifest["tables"];
  r = RunIn(dir_, "show bigout");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* table : {"windows.csv.zst", "exposure.csv.zst"}) {
    const fs::path path = dir_ / "bigout" / table;
    const std::string whole = ReadFile(path);
    const size_t first = ZSTD_findFrameCompressedSize(whole.data(), whole.size());
    ASSERT_FALSE(ZSTD_isError(first));
    ASSERT_LT(first, whole.size());
    WriteFile(path, whole.substr(0, first));
    r = RunIn(dir_, "show bigout");
    EXPECT_EQ(r.code, 1) << table;
    EXPECT_THAT(r.err, HasSubstr("bigout/" + std::string(table) +
                                 ": truncated (1 of the 2 zstd frames manifest.json lists"));
    r = RunIn(dir_, "show bigout --as json");
    EXPECT_EQ(r.code, 1) << table;
    const auto o = nlohmann::json::parse(r.out);
    EXPECT_TRUE(std::string(table) == "windows.csv.zst" ? o.contains("windows_error")
                                                        : o.contains("table_errors"))
        << r.out;
    WriteFile(path, whole);
  }
  // findings.jsonl.zst too: made two frames (its one frame twice: no finding, no row more), and
  // cut to its first. Only windows and exposure had been cut.
  {
    const fs::path path = dir_ / "bigout" / "findings.jsonl.zst";
    const std::string whole = ReadFile(path);
    nlohmann::json two = manifest;
    two["tables"]["findings.jsonl.zst"]["frames"] = 2;
    WriteFile(dir_ / "bigout/manifest.json", two.dump(2));
    WriteFile(path, whole + whole);
    r = RunIn(dir_, "show bigout");
    EXPECT_EQ(r.code, 0) << r.err;
    WriteFile(path, whole);
    r = RunIn(dir_, "show bigout");
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("bigout/findings.jsonl.zst: truncated (1 of the 2 zstd frames"))
        << r.err;
    WriteFile(dir_ / "bigout/manifest.json", manifest.dump(2));
  }
  // An earlier version's manifest has no `tables`: nothing to compare, exit 0 when whole.
  nlohmann::json old = manifest;
  old.erase("tables");
  WriteFile(dir_ / "bigout/manifest.json", old.dump(2));
  r = RunIn(dir_, "show bigout");
  EXPECT_EQ(r.code, 0) << r.err;
}

// `--table T` of a table cut exactly at the end of one of its zstd frames printed its first
// rows with exit 0, as if whole: it is checked against manifest.json's `tables` as the
// overview checks it, once the rows were read to the end (`--limit` stops before: the rows
// printed are whole). A manifest of an earlier version has no `tables`: as before.
TEST_F(ShowTest, ATableCutAtTheEndOfAFrameIsTruncatedInItsView) {
  nlohmann::ordered_json manifest =
      nlohmann::ordered_json::parse(ReadFile(dir_ / "out/manifest.json"));
  ASSERT_TRUE(manifest.contains("tables")) << manifest.dump();
  for (const std::string table : {"windows", "talkers", "exposure", "findings"}) {
    SCOPED_TRACE(table);
    const std::string file = table == "findings" ? "findings.jsonl.zst" : table + ".csv.zst";
    const fs::path path = dir_ / "out" / file;
    const std::string original = ReadFile(path);
    const std::string text = flowsift::testing::ReadZstd(path);
    ASSERT_GE(std::count(text.begin(), text.end(), '\n'), 4);
    // Two frames: the first three lines, then the rest.
    size_t cut = 0;
    for (int i = 0; i < 3; ++i) cut = text.find('\n', cut) + 1;
    WriteZstd(path, text.substr(0, cut));
    const std::string first = ReadFile(path);
    WriteZstd(path, text.substr(cut));
    WriteFile(path, first + ReadFile(path));
    manifest["tables"][file]["frames"] = 2;
    WriteFile(dir_ / "out/manifest.json", manifest.dump(2));
    Result r = Show("--table " + table + " --as csv");
    EXPECT_EQ(r.code, 0) << r.err;

    WriteFile(path, first);
    for (const char* as : {"csv", "json", "table"}) {
      r = Show("--table " + table + " --as " + as);
      EXPECT_EQ(r.code, 1) << as;
      EXPECT_THAT(r.err, HasSubstr("out/" + file +
                                   ": truncated (1 of the 2 zstd frames manifest.json lists"))
          << as;
    }
    // A limit that stops before the cut printed whole rows: nothing past them is looked at.
    r = Show("--table " + table + " --as csv --limit 1");
    EXPECT_EQ(r.code, 0) << r.err;
    // An earlier version's manifest: decoding alone, as before.
    manifest["tables"].erase(file);
    WriteFile(dir_ / "out/manifest.json", manifest.dump(2));
    r = Show("--table " + table + " --as csv");
    EXPECT_EQ(r.code, 0) << r.err;
    WriteFile(path, original);
  }
}

// The overview of a windows table damaged after its header (its rows cut off) is not a quiet
// night of "0 windows": the JSON has windows_error, as findings.error for damaged findings,
// and the traffic line says that only what was readable is counted.
TEST_F(ShowTest, TheOverviewOfADamagedWindowsTableSaysSo) {
  const std::string table = flowsift::testing::ReadZstd(dir_ / "out" / "windows.csv.zst");
  const size_t header = table.find('\n') + 1;
  const fs::path windows = dir_ / "out" / "windows.csv.zst";
  WriteZstd(windows, table.substr(0, header));
  const std::string first = ReadFile(windows);
  WriteZstd(windows, table.substr(header));
  const std::string rows = ReadFile(windows);
  WriteFile(windows, first + rows.substr(0, rows.size() - 6));  // a second frame cut short
  Result r = Show("");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("out/windows.csv.zst: truncated zstd data"));
  EXPECT_THAT(r.out, HasSubstr(" readable (windows.csv.zst is damaged: see stderr)\n"));
  const auto o = DamagedOverviewJson();
  ASSERT_TRUE(o.contains("windows_error"));
  EXPECT_THAT(o["windows_error"].get<std::string>(), HasSubstr("truncated zstd data"));
}

// Of many unreadable rows the first 10 are named, and all are counted.
TEST_F(ShowTest, TheFirstTenUnreadableRowsAreNamed) {
  std::string text = flowsift::testing::ReadZstd(dir_ / "out" / "exposure.csv.zst");
  for (int i = 0; i < 12; ++i) text += "eni-x,1\n";
  WriteZstd(dir_ / "out" / "exposure.csv.zst", text);
  const Result r = Show("--table exposure --as csv");
  EXPECT_EQ(r.code, 1);
  size_t named = 0;
  for (size_t at = 0; (at = r.err.find("(skipped)", at)) != std::string::npos; ++at) ++named;
  EXPECT_EQ(named, 10u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("out/exposure.csv.zst: 12 unreadable rows skipped"));
}
}  // namespace
}  // namespace flowsift
