// What `flowsift run` reads and what it says of it: bad lines, headers and formats it does not
// read, --since/--until, stdin and --files-from, shards' inputs, --mmap.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/test_util.h"
#include "tests/tools/cli_fixture.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using cli_fixture::Cli;
using cli_fixture::Result;
using cli_fixture::RunCli;
using flowsift::testing::ReadFile;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

// A compressed input cut short after all but the last byte of its text: the one byte of the
// incomplete line it drops is said in the singular ("(1 bytes) is dropped" before), on stderr
// and in the manifest's error.
TEST_F(Cli, AnIncompleteLineOfOneByteIsOneByte) {
  const std::string text =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status\n"
      "2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1700000000 1700000001 ACCEPT OK\n2";
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
  std::string packed(ZSTD_compressBound(text.size()), '\0');
  const size_t n = ZSTD_compress2(c, packed.data(), packed.size(), text.data(), text.size());
  ZSTD_freeCCtx(c);
  ASSERT_FALSE(ZSTD_isError(n));
  packed.resize(n - 4);  // the frame's checksum cut off: every byte of text decodes
  testing::WriteFile(dir_ / "cut.log.zst", packed);
  const Result r = RunCli("run " + (dir_ / "cut.log.zst").string() + " -o " +
                          (dir_ / "o").string() + " --no-progress --no-detect");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("; the incomplete line at byte " + std::to_string(text.size() - 1) +
                               " (1 byte) is dropped\n"))
      << r.out;
  EXPECT_THAT(testing::ReadFile(dir_ / "o" / "manifest.json"), HasSubstr("(1 byte) is dropped"));
}

// Bad lines are counted, and stderr says where the first one is and where the samples are
// (with --strict the exit code alone said nothing of which line).
TEST_F(Cli, TheFirstBadLineIsNamedOnStderr) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "a.log") << "version account-id interface-id srcaddr dstaddr srcport "
                                   "dstport protocol packets bytes start end action log-status\n"
                                   "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 1 1 2 ACCEPT OK\n"
                                   "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 1 1 2 ACCEPT OK extra\n"
                                   "short line\n";
  const std::string out = (dir_ / "o").string();
  for (const char* strict : {"", " --strict"}) {
    fs::remove_all(dir_ / "o");
    const Result r = RunCli("run " + (dir_ / "a.log").string() + " -o " + out + strict);
    EXPECT_EQ(r.code, *strict ? 1 : 0) << r.out;
    EXPECT_THAT(r.out, HasSubstr("2 bad lines"));
    EXPECT_THAT(r.out, HasSubstr("the first bad line is " + (dir_ / "a.log").string() +
                                 ":3: too_many_fields; up to 20 samples of each reason: "
                                 "`flowsift show " +
                                 out + " --table errors`"));
  }
}

TEST_F(Cli, StdinAsInputAndAsTheFileListIsAUsageError) {
  const Result r = RunCli("run - --files-from - -o " + (dir_ / "o").string() + " < /dev/null");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("both read stdin"));
  EXPECT_FALSE(fs::exists(dir_ / "o"));
}

// A --since/--until that keeps none of the records read exits 1, as a directory without logs
// does, and stderr names the filter and where the data's starts are; when some are kept the
// summary line counts the rest. It was exit 0 and "0 records ... 0 findings", a quiet day.
TEST_F(Cli, ATimeFilterThatKeepsNoRecordIsAnInputFailure) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "a.log")
      << "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
         "bytes start end action log-status\n"
         "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 1 1700000100 1700000160 ACCEPT OK\n"
         "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 1 1700000200 1700000260 ACCEPT OK\n";
  const std::string in = (dir_ / "a.log").string();
  Result r = RunCli("run " + in + " -o " + (dir_ / "none").string() +
                    " --since 2026-11-28 --until 2026-11-29 --no-progress");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr(", 0 records, 2 outside --since/--until, ")) << r.out;
  EXPECT_THAT(r.out, HasSubstr("none of the 2 records read starts within --since "
                               "2026-11-28T00:00:00Z --until 2026-11-29T00:00:00Z: their starts "
                               "run from 2023-11-14T22:15:00Z to 2023-11-14T22:16:40Z"))
      << r.out;
  EXPECT_THAT(ReadFile(dir_ / "none" / "manifest.json"), HasSubstr("\"filtered\": 2"));

  r = RunCli("run " + in + " -o " + (dir_ / "some").string() + " --since 1700000150 --no-progress");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(", 1 record, 1 outside --since/--until, ")) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("none of"))) << r.out;

  r = RunCli("run " + in + " -o " + (dir_ / "all").string() + " --no-progress");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(", 2 records, 0 bad lines")) << r.out;

  // Epoch values of 10^11 and up are milliseconds, as in the records: --until 1700000150000
  // had kept both records (and --since of it none), taken as the year 55,840.
  r = RunCli("run " + in + " -o " + (dir_ / "ms").string() +
             " --until 1700000150000 --no-progress");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(", 1 record, 1 outside --since/--until, ")) << r.out;
  EXPECT_THAT(ReadFile(dir_ / "ms" / "manifest.json"), HasSubstr("\"until\": 1700000150"));
  r = RunCli("run " + in + " -o " + (dir_ / "ms2").string() +
             " --since 1700000150000.5 --no-progress");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(", 1 record, 1 outside --since/--until, ")) << r.out;
}

// The summary line's counts are singular at 1 ("1 record, 1 bad line, 1 finding"): it said
// "1 findings".
TEST_F(Cli, TheSummaryLineCountsOneInTheSingular) {
  fs::create_directories(dir_);
  std::ofstream log(dir_ / "a.log");
  log << "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
         "bytes start end action log-status\n"
         "not a record\n";
  for (int port = 1; port <= 15; ++port) {  // port_scan's default: 15 failed ports
    log << "2 1 eni-1 198.51.100.7 10.0.0.1 40000 " << port
        << " 6 1 40 1700000100 1700000160 REJECT OK\n";
  }
  log.close();
  const Result r = RunCli("run " + (dir_ / "a.log").string() + " -o " + (dir_ / "o").string() +
                          " --no-progress -j 1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("1 input (0 failed), 15 records, 1 bad line, 1 finding, ")) << r.out;
  EXPECT_THAT(r.out, HasSubstr(", 1 thread, ")) << r.out;
  // The text read in show's units: 1,319 bytes were "0.00 GB".
  EXPECT_THAT(r.out, HasSubstr(" finding, 1.2 KiB in ")) << r.out;
  EXPECT_THAT(r.out, ::testing::ContainsRegex("s \\([0-9.]+ (B|KiB|MiB|GiB)/s, 1 thread")) << r.out;
}

// --since / --until take the ISO-8601 forms people type; the value used is in the manifest.
TEST_F(Cli, TimesTakeTheIso8601FormsAndRoundAFractionUp) {
  const std::pair<const char*, const char*> kAccepted[] = {
      {"2026-11-28", "1795824000"},
      {"2026-11-28T10:00", "1795860000"},
      {"'2026-11-28 10:00'", "1795860000"},
      {"'2026-11-28 10:00:00Z'", "1795860000"},
      {"2026-11-28t10:00:00z", "1795860000"},
      {"2026-11-28T10:00:00", "1795860000"},  // no offset: UTC
      {"2026-11-28T11:00:00+01:00", "1795860000"},
      {"2026-11-28T11:00:00+0100", "1795860000"},
      {"2026-11-28T11:00:00+01", "1795860000"},
      {"2026-11-28T11:00+01", "1795860000"},
      {"2026-11-28T04:30:00-05:30", "1795860000"},
      {"2026-11-28T04:30:00-0530", "1795860000"},
      {"2026-11-28T10:00:00-00:00", "1795860000"},
      {"2026-11-29T09:59:00+23:59", "1795860000"},  // the largest offset
      {"2026-11-28T00:30:00+01:00", "1795822200"},  // the day before in UTC
      {"20261128T100000Z", "1795860000"},
      {"20261128t100000z", "1795860000"},
      {"20261128T1000Z", "1795860000"},
      {"20261128T110000+0100", "1795860000"},
      {"2026-11-28T10:00:00.000Z", "1795860000"},
      // Starts are whole seconds kept in [since, until): a fraction keeps what the next second
      // keeps.
      {"2026-11-28T10:00:00.5Z", "1795860001"},
      {"2026-11-28T10:00:00,25Z", "1795860001"},
      {"2026-11-28T10:00:00.000000001Z", "1795860001"},
      {"2026-11-28T10:59:59.5+01:00", "1795860000"},
      {"20261128T095959.9Z", "1795860000"},
      {"1970-01-01T00:00:00Z", "0"},
      {"1970-01-01T01:00:00+01:00", "0"},
      {"2024-02-29", "1709164800"},  // a leap day
      {"20261128", "20261128"},      // all digits: epoch seconds
      // Epoch seconds with a fraction (`date +%s.%N`) round up like an ISO-8601 fraction.
      {"1795860000.5", "1795860001"},
      {"1795860000.000000001", "1795860001"},
      {"1795860000.000", "1795860000"},
      // 10^11 and up is milliseconds, rounded up to the second; below it, seconds.
      {"99999999999", "99999999999"},
      {"100000000000", "100000000"},
      {"1700000150001", "1700000151"},
  };
  const std::string in = (dir_ / "in.log").string();
  fs::create_directories(dir_);
  std::ofstream(in) << "";
  for (const auto& [when, epoch] : kAccepted) {
    for (const char* flag : {"since", "until"}) {
      if (std::string(flag) == "until" && std::string(epoch) == "0") continue;  // empty range
      const fs::path out = dir_ / "out";
      fs::remove_all(out);
      const Result r =
          RunCli("run " + in + " -o " + out.string() + " --no-progress --" + flag + " " + when);
      ASSERT_EQ(r.code, 0) << flag << " " << when << ": " << r.out;
      // --since 0 is no bound, null as when it is not given.
      const std::string value = std::string(epoch) == "0" ? "null" : epoch;
      EXPECT_THAT(ReadFile(out / "manifest.json"),
                  HasSubstr("\"" + std::string(flag) + "\": " + value + ","))
          << flag << " " << when;
    }
  }
  const std::string kForms = "use epoch seconds or ISO-8601";
  const std::string kCalendar = "not a date and time of the calendar";
  const std::pair<const char*, std::string> kRejected[] = {
      {"yesterday", kForms},
      {"2026-11-28T10", kForms},  // an hour alone
      {"'2026-11-28T10:00:00 '", kForms},
      {"' 2026-11-28'", kForms},
      {"2026-11-28T10:00:00.", kForms},
      {"1795860000.", kForms},
      {".5", kForms},
      {"1795860000.5.5", kForms},
      {"1795860000.-5", kForms},
      {"2026-1128", kForms},
      {"2026-11-28T1000:00", kForms},
      {"2026-11-28T10:00:00+1", kForms},
      {"2026-11-28T10:00:00+01:", kForms},
      {"2026-11-28T10:00:00+01:00:00", kForms},
      {"2026-11-28T10:00:00Z+01:00", kForms},
      {"2026-11-28X", kForms},
      {"2026-11-28Z", kForms},  // an offset needs a time
      {"2026-11-28T10:00:00UTC", kForms},
      {"2026-11-28T10:00:0", kForms},
      {"26-11-28", kForms},
      // ISO-8601 reads 10:00.5 as half a minute past ten, not as a second: refused rather
      // than guessed.
      {"2026-11-28T10:00.5Z", kForms},
      {"20261128T1000.5", kForms},
      {"2026-13-01", kCalendar},
      {"2026-11-31", kCalendar},
      {"2026-11-28T24:00:00Z", kCalendar},
      {"2026-11-28T23:60Z", kCalendar},
      {"2026-11-28T10:00:60Z", kCalendar},
      {"2026-11-28T10:00:00+24:00", "not a UTC offset"},
      {"2026-11-28T10:00:00-2400", "not a UTC offset"},
      {"2026-11-28T10:00:00+01:60", "not a UTC offset"},
      {"1969-12-31T23:00:00Z", "before 1970"},
      {"1970-01-01T00:30+01:00", "before 1970"},
      {"1969-12-31T23:59:59.5Z", "before 1970"},
  };
  for (const auto& [when, why] : kRejected) {
    const Result r = RunCli("run " + in + " -o " + (dir_ / "bad").string() + " --since " + when);
    EXPECT_EQ(r.code, 2) << when << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr(why)) << when;
    EXPECT_FALSE(fs::exists(dir_ / "bad")) << when;
    fs::remove_all(dir_ / "bad");
  }
}

// Record starts are whole seconds and the filters keep since <= start < until, so a fraction
// rounded up keeps exactly the starts inside the instants given: 10:00:00.5 keeps 10:00:01 and
// later for --since, 10:00:00 and earlier for --until.
TEST_F(Cli, FractionalTimesKeepExactlyTheStartsInsideThem) {
  fs::create_directories(dir_);
  const std::string in = (dir_ / "in.log").string();
  {
    std::ofstream log(in);
    log << "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
           "bytes start end action log-status\n";
    for (int start : {1795859999, 1795860000, 1795860001}) {  // 09:59:59, 10:00:00, 10:00:01
      log << "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.0.1 10.0.0.2 1 2 6 1 40 " << start << " "
          << start + 5 << " ACCEPT OK\n";
    }
  }
  const std::pair<const char*, int> kKept[] = {
      {"--since 2026-11-28T10:00:00Z", 2},
      {"--since 2026-11-28T10:00:00.5Z", 1},
      {"--since 2026-11-28T09:59:59.001Z", 2},
      {"--until 2026-11-28T10:00:00Z", 1},
      {"--until 2026-11-28T10:00:00.5Z", 2},
      {"--until 2026-11-28T10:00:00.999+00:00", 2},
      {"--since 2026-11-28T09:59:59.5Z --until 2026-11-28T10:00:00.5Z", 1},
      {"--since 2026-11-28T10:59:59+01:00 --until 2026-11-28T11:00:01+01:00", 2},
  };
  for (const auto& [flags, kept] : kKept) {
    const fs::path out = dir_ / "out";
    fs::remove_all(out);
    const Result r = RunCli("run " + in + " -o " + out.string() + " --no-progress " + flags);
    ASSERT_EQ(r.code, 0) << flags << ": " << r.out;
    const std::string manifest = ReadFile(out / "manifest.json");
    EXPECT_THAT(manifest, HasSubstr("\"records\": " + std::to_string(kept))) << flags;
    EXPECT_THAT(manifest, HasSubstr("\"filtered\": " + std::to_string(3 - kept))) << flags;
  }
  // Inside one second no whole-second start can be kept: an empty range, a usage error.
  const Result r = RunCli("run " + in + " -o " + (dir_ / "none").string() +
                          " --since 2026-11-28T10:00:00.2Z --until 2026-11-28T10:00:00.7Z");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("is not after --since"));
}

// A file of another format without its header line is all bad lines, each alike: stderr says
// to give --format, and with it the same file is read.
TEST_F(Cli, AFileWithoutARecordSuggestsItsFormat) {
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "v5").string() + " --format v5 --records 500").code, 0);
  const std::string text = ReadFile(dir_ / "v5" / "flows-00000.log");
  std::ofstream(dir_ / "nohdr.log") << text.substr(text.find('\n') + 1);
  const std::string run =
      "run " + (dir_ / "nohdr.log").string() + " --no-progress --force -o " + (dir_ / "o").string();
  Result r = RunCli(run);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("note: no line of " + (dir_ / "nohdr.log").string() +
                               " is a record (500 bad): a file without its header line must "
                               "have the --format of its fields"));
  r = RunCli(run + " --format v5");
  EXPECT_THAT(r.out, HasSubstr("500 records, 0 bad lines"));
  EXPECT_THAT(r.out, Not(HasSubstr("note:")));
  r = RunCli(run + " --format v3");  // a format given, and not the file's
  EXPECT_THAT(r.out, HasSubstr("its fields are not those of --format v3"));
  // Three files are named and the rest counted.
  for (int i = 0; i < 5; ++i) {
    const fs::path f = dir_ / "many" / ("nohdr" + std::to_string(i) + ".log");
    fs::create_directories(f.parent_path());
    std::ofstream(f) << text.substr(text.find('\n') + 1);
  }
  r = RunCli("run " + (dir_ / "many").string() + " --no-progress --force -o " +
             (dir_ / "o").string());
  size_t named = 0;
  for (size_t at = r.out.find("note: no line of"); at != std::string::npos;
       at = r.out.find("note: no line of", at + 1)) {
    ++named;
  }
  EXPECT_EQ(named, 3u) << r.out;
  EXPECT_THAT(r.out, HasSubstr("note: ... and 2 more files without a record\n"));
  fs::remove(dir_ / "many" / "nohdr4.log");
  r = RunCli("run " + (dir_ / "many").string() + " --no-progress --force -o " +
             (dir_ / "o").string());
  EXPECT_THAT(r.out, HasSubstr("note: ... and 1 more file without a record\n")) << r.out;
  // Binary garbage is not a question of format.
  std::ofstream(dir_ / "junk.log") << std::string("\x01\x02\x03\n\x04\x05\n");
  r = RunCli("run " + (dir_ / "junk.log").string() + " --no-progress --force -o " +
             (dir_ / "o").string());
  EXPECT_THAT(r.out, Not(HasSubstr("note:")));
}

// The shapes of text an earlier review found misread, in one run beside a good file: lines
// that end in CR alone (one line_too_long bad line of an "ok" file, exit 0: now an unreadable
// input named with the `tr` that reads it, exit 1, the rest read); blank lines above the header
// (read, but the manifest's `header` was null); a byte order mark before a header inside a file
// (`cat` of two files: the header was missed and the v2 records after it were bad lines).
TEST_F(Cli, CrLineEndsBlankLinesAboveTheHeaderAndAByteOrderMarkInside) {
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "v5").string() + " --format v5 --records 200").code, 0);
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "v2").string() + " --records 300 --seed 2").code, 0);
  const std::string v5 = ReadFile(dir_ / "v5" / "flows-00000.log");
  const std::string v2 = ReadFile(dir_ / "v2" / "flows-00000.log");
  std::string mac = v2;
  std::replace(mac.begin(), mac.end(), '\n', '\r');
  std::ofstream(dir_ / "mac.log") << mac;
  std::ofstream(dir_ / "blank.log") << "\n\r\n" << v5;
  std::ofstream(dir_ / "joined.log") << v5 << "\xEF\xBB\xBF" << v2;
  const std::string mac_path = (dir_ / "mac.log").string();
  const Result r =
      RunCli("run " + mac_path + " " + (dir_ / "blank.log").string() + " " +
             (dir_ / "joined.log").string() + " --no-progress -o " + (dir_ / "o").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr(mac_path +
                               ": unreadable: its lines end in CR alone (classic Mac OS line "
                               "ends), which flowsift does not read: turn them into newlines, "
                               "e.g. `tr '\\r' '\\n' < " +
                               mac_path + " | flowsift run - ...`"))
      << r.out;
  EXPECT_THAT(r.out, HasSubstr("700 records, 0 bad lines")) << r.out;
  const json m = json::parse(ReadFile(dir_ / "o" / "manifest.json"));
  const json& in = m["inputs"];
  ASSERT_EQ(in.size(), 3u);
  EXPECT_EQ(in[0]["status"], "unreadable");
  EXPECT_EQ(in[0]["records"], 0);
  EXPECT_EQ(m["totals"]["failed_inputs"], 1);
  EXPECT_EQ(in[1]["status"], "ok");
  EXPECT_EQ(in[1]["header"].size(), 29u) << in[1]["header"];  // v5's fields
  EXPECT_EQ(in[1]["header_lines"], 0);
  EXPECT_EQ(in[1]["lines"], 203);
  EXPECT_EQ(in[2]["records"], 500);
  EXPECT_EQ(in[2]["bad_lines"], 0);
  EXPECT_EQ(in[2]["header_lines"], 1);
}

// A header line written as the console's log-format string (pasted above the records) is read
// as its names, and stderr says so; every line had been a bad line.
TEST_F(Cli, ALogFormatStringAsTheHeaderIsReadAndNoted) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "pasted.log")
      << "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
         "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}\n"
      << "2 123456789012 eni-a 10.0.0.1 10.0.0.2 1234 443 6 10 1000 1700000000 1700000060 "
         "ACCEPT OK\n";
  const Result r = RunCli("run " + (dir_ / "pasted.log").string() + " --no-progress -o " +
                          (dir_ / "o").string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("1 record, 0 bad lines")) << r.out;
  EXPECT_THAT(r.out, HasSubstr("note: the header line of " + (dir_ / "pasted.log").string() +
                               " is a log-format string (${version} ...): read as the field "
                               "names it lists\n"))
      << r.out;
}

// A header line that names a field twice is read with its first column, and stderr says so (it
// had been silent), at a file's start or inside it; a file whose header names each field once
// gets no note.
TEST_F(Cli, AHeaderNamingAFieldTwiceIsNoted) {
  const std::string header =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status";
  const std::string row =
      "2 123456789012 eni-a 10.0.0.1 10.0.0.2 1234 443 6 10 1000 1700000000 1700000060 ACCEPT OK";
  fs::create_directories(dir_);
  std::ofstream(dir_ / "twice.log") << header << " bytes\n" << row << " 5\n";
  std::ofstream(dir_ / "once.log") << header << "\n" << row << "\n";
  const Result r =
      RunCli("run " + (dir_ / "twice.log").string() + " " + (dir_ / "once.log").string() +
             " --no-progress -o " + (dir_ / "o").string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("note: the header line of " + (dir_ / "twice.log").string() +
                               " names bytes twice (fields 10 and 15): the first is read, the "
                               "other is not"));
  EXPECT_THAT(r.out, Not(HasSubstr("header line of " + (dir_ / "once.log").string())));
  // Inside a file (two files joined, the second's header naming bytes twice) alike, with its
  // byte: the format switches to it, and it had not been noted.
  std::ofstream(dir_ / "joined.log") << header << "\n"
                                     << row << "\n"
                                     << header << " bytes\n"
                                     << row << " 5\n";
  const Result joined = RunCli("run " + (dir_ / "joined.log").string() + " --no-progress -o " +
                               (dir_ / "joined").string());
  EXPECT_EQ(joined.code, 0) << joined.out;
  EXPECT_THAT(joined.out, HasSubstr("2 records, 0 bad lines")) << joined.out;
  EXPECT_THAT(joined.out, HasSubstr("note: the header line of " + (dir_ / "joined.log").string() +
                                    " at byte " + std::to_string(header.size() + row.size() + 2) +
                                    " names bytes twice (fields 10 and 15)"))
      << joined.out;
  // Both files' 1,000 bytes: the first column (packets 20, bytes 2000).
  const Result w = RunCli("show " + (dir_ / "o").string() + " --table windows --as csv");
  EXPECT_THAT(w.out, HasSubstr(",2,0,0,2,0,20,2000,")) << w.out;
  // Three files are named and the rest counted, "file" for one.
  const fs::path many = dir_ / "many";
  fs::create_directories(many);
  for (int files = 1; files <= 5; ++files) {
    fs::copy_file(dir_ / "twice.log", many / ("t" + std::to_string(files) + ".log"));
    if (files < 3) continue;
    const Result m =
        RunCli("run " + many.string() + " --no-progress --force -o " + (dir_ / "m").string());
    size_t named = 0;
    for (size_t at = m.out.find("note: the header line of"); at != std::string::npos;
         at = m.out.find("note: the header line of", at + 1)) {
      ++named;
    }
    EXPECT_EQ(named, 3u) << m.out;
    const char* more[] = {"", "1 more file whose", "2 more files whose"};
    if (files == 3) {
      EXPECT_THAT(m.out, Not(HasSubstr("more file"))) << m.out;
    } else {
      EXPECT_THAT(m.out, HasSubstr(std::string("note: ... and ") + more[files - 3] +
                                   " header names a field twice\n"))
          << m.out;
    }
  }
}

// Tab-separated text (a query console's export) is every line a control_character, with its
// header line or without: stderr names the tabs and how to convert them, not binary garbage.
TEST_F(Cli, ATabSeparatedFileIsToldToUseSpaces) {
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "g").string() + " --records 300").code, 0);
  std::string text = ReadFile(dir_ / "g" / "flows-00000.log");
  const std::string spaces = text;
  std::replace(text.begin(), text.end(), ' ', '\t');
  std::ofstream(dir_ / "tabs.log") << text;
  std::ofstream(dir_ / "tabs-nohdr.log") << text.substr(text.find('\n') + 1);
  std::ofstream(dir_ / "ok.log") << spaces;
  const std::string out = " --no-progress --force -o " + (dir_ / "o").string();
  for (const std::string name : {"tabs.log", "tabs-nohdr.log"}) {
    const Result r =
        RunCli("run " + (dir_ / name).string() + " " + (dir_ / "ok.log").string() + out);
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_THAT(r.out, HasSubstr("note: no line of " + (dir_ / name).string() +
                                 " is a record (300 bad): its fields are separated by tabs, and "
                                 "a flow log's by single spaces: convert it (`tr '\\t' ' '`)"));
    EXPECT_THAT(r.out, Not(HasSubstr("must have the --format")));
    EXPECT_THAT(r.out, Not(HasSubstr("no line of " + (dir_ / "ok.log").string())));
  }
  // One tab in a file of records is a bad line, not a tab-separated file.
  std::string one = spaces;
  one[one.rfind(' ')] = '\t';
  std::ofstream(dir_ / "one.log") << one;
  const Result r = RunCli("run " + (dir_ / "one.log").string() + out);
  EXPECT_THAT(r.out, HasSubstr("1 bad line"));
  EXPECT_THAT(r.out, Not(HasSubstr("note:")));
}

// JSON among the inputs (CloudTrail's .json.gz beside vpcflowlogs/ in an AWSLogs/ sync) is no
// question of --format: stderr says it is JSON, for a line of one object and for an object
// longer than a line may be (a CloudTrail file is one line), after blank lines or indented, and
// the flow logs are read.
TEST_F(Cli, AJsonFileAmongTheInputsIsToldToBeLeftOut) {
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "g").string() + " --records 300").code, 0);
  std::ofstream(dir_ / "trail.json") << R"({"Records": [{"eventVersion": "1.08"}]})"
                                     << "\n";
  std::ofstream(dir_ / "big.json") << "{\"Records\": [\"" << std::string(100000, 'y') << "\"]}\n";
  std::ofstream(dir_ / "pretty.json") << "[\n  {\"a\": 1}\n]\n";
  // After blank lines (CRLF ones too), indented (with a tab: not told to be tab-separated),
  // after a byte order mark and a blank line: it had been told to give its --format or that its
  // fields are separated by tabs, the note looking at line 1's first byte alone.
  std::ofstream(dir_ / "blank.json") << "\n \n\r\n{\"Records\": []}\n";
  std::ofstream(dir_ / "indented.json") << "  \t[1, 2]\n  {\"a\": 1}\n";
  std::ofstream(dir_ / "bom.json") << "\xEF\xBB\xBF\r\n{\"Records\": []}\r\n";
  for (const std::string name :
       {"trail.json", "big.json", "pretty.json", "blank.json", "indented.json", "bom.json"}) {
    const Result r = RunCli("run " + (dir_ / "g").string() + " " + (dir_ / name).string() +
                            " --no-progress --force -o " + (dir_ / "o").string());
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_THAT(r.out, HasSubstr("300 records"));
    EXPECT_THAT(r.out, HasSubstr("note: no line of " + (dir_ / name).string() + " is a record ("))
        << name;
    EXPECT_THAT(r.out, HasSubstr("): it holds JSON, not flow logs")) << name;
    EXPECT_THAT(r.out, Not(HasSubstr("--format"))) << r.out;
  }
}

// The note does not depend on which bad lines were kept as samples (the first 20 of each reason
// in the run): 30 short lines of an earlier file had taken them all, and the JSON file was told
// to give its --format.
TEST_F(Cli, AJsonFileAfterManyBadLinesIsStillToldToBeLeftOut) {
  fs::create_directories(dir_);
  {
    std::ofstream shorter(dir_ / "a.log");
    for (int i = 0; i < 30; ++i) shorter << "a b c\n";
  }
  std::ofstream(dir_ / "trail.json") << R"({"Records": [{"eventVersion": "1.08"}]})"
                                     << "\n";
  const Result r =
      RunCli("run " + (dir_ / "a.log").string() + " " + (dir_ / "trail.json").string() +
             " --no-progress -o " + (dir_ / "o").string());
  EXPECT_THAT(r.out, HasSubstr("note: no line of " + (dir_ / "a.log").string() +
                               " is a record (30 bad): a file without its header"))
      << r.out;
  EXPECT_THAT(r.out, HasSubstr("note: no line of " + (dir_ / "trail.json").string() +
                               " is a record (1 bad): it holds JSON"))
      << r.out;
}

// A format without a source or destination address gives detection nothing to read: stderr says
// so once, naming the first such file (it had found nothing, silently), and not with
// --no-detect nor for a format with the packets' addresses alone (detected as the record's).
TEST_F(Cli, AFormatWithoutAddressesSaysDetectionCannotReadIt) {
  const auto gen = [&](const std::string& name, const std::string& fields) {
    return RunCli("gen -o " + (dir_ / name).string() + " --records 4000 --files 2 --format \"" +
                  fields + "\"")
        .code;
  };
  ASSERT_EQ(gen("none",
                "version interface-id srcport dstport packets bytes start end action "
                "log-status"),
            0);
  ASSERT_EQ(gen("pkt",
                "version interface-id pkt-srcaddr pkt-dstaddr srcport dstport protocol "
                "packets bytes start end action log-status"),
            0);
  const std::string out = " --no-progress --force -o " + (dir_ / "o").string();
  Result r = RunCli("run " + (dir_ / "none").string() + out);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("note: " + (dir_ / "none" / "flows-00000.log").string() +
                               ": its format has no source or destination address: detection "
                               "reads none of its records, nor those of 1 more such file "
                               "(4000 records in all); they are in the tables, in no finding"));
  EXPECT_THAT(RunCli("run " + (dir_ / "none").string() + out + " --no-detect").out,
              Not(HasSubstr("note:")));
  // One file of one record: "its 1 record", not "its 1 records".
  fs::create_directories(dir_ / "one");
  std::ofstream(dir_ / "one" / "a.log")
      << "version interface-id srcport dstport packets bytes start end action log-status\n"
         "2 eni-1 40000 443 1 40 1700000100 1700000160 ACCEPT OK\n";
  r = RunCli("run " + (dir_ / "one" / "a.log").string() + out);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("detection reads none of its 1 record; they are in the tables"))
      << r.out;
  r = RunCli("run " + (dir_ / "pkt").string() + out);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("note:")));
}

// --parts-from - reads the list from stdin, as run's --files-from - does.
TEST_F(Cli, MergeReadsThePartListFromStdin) {
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "in").string() + " --records 4000 --files 2").code, 0);
  for (const char* shard : {"0", "1"}) {
    ASSERT_EQ(RunCli("run " + (dir_ / "in").string() + " --no-progress --partial --shard " + shard +
                     "/2 -o " + (dir_ / "parts" / shard).string())
                  .code,
              0);
  }
  const Result r = RunCli("merge --parts-from - -o " + (dir_ / "m").string(),
                          "(ls -d " + (dir_ / "parts").string() + "/*; echo '  ') | ");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("merged 2 of 2 parts (0 failed), 4000 records"));
  // A list written on Windows (CRLF line ends) names the same parts.
  std::ofstream(dir_ / "crlf.txt") << (dir_ / "parts" / "0").string() << "\r\n"
                                   << (dir_ / "parts" / "1").string() << "\r\n";
  const Result crlf = RunCli("merge --parts-from " + (dir_ / "crlf.txt").string() + " -o " +
                             (dir_ / "m3").string());
  EXPECT_EQ(crlf.code, 0) << crlf.out;
  EXPECT_THAT(crlf.out, HasSubstr("merged 2 of 2 parts (0 failed), 4000 records"));
  // A list of `find -print0` is NUL-separated, as run's --files-from reads one: split at
  // newlines it was one path cut at its first NUL, and one part of two was merged (exit 1 here
  // for the shard it missed; exit 0 for nightly parts).
  const Result nul =
      RunCli("merge --parts-from - -o " + (dir_ / "m4").string(),
             "find " + (dir_ / "parts").string() + " -name state.bin.zst -print0 | ");
  EXPECT_EQ(nul.code, 0) << nul.out;
  EXPECT_THAT(nul.out, HasSubstr("merged 2 of 2 parts (0 failed), 4000 records"));
  // A directory or a part's state file given for the list is a usage error that says so (the
  // directory was exit 3, "basic_filebuf::underflow error reading the file").
  const Result dir =
      RunCli("merge --parts-from " + (dir_ / "parts").string() + " -o " + (dir_ / "m5").string());
  EXPECT_EQ(dir.code, 2) << dir.out;
  EXPECT_THAT(dir.out, HasSubstr("is a directory, not a list of parts: give parts as arguments"));
  const Result state = RunCli("merge --parts-from " + (dir_ / "parts/0/state.bin.zst").string() +
                              " -o " + (dir_ / "m5").string());
  EXPECT_EQ(state.code, 2) << state.out;
  EXPECT_THAT(state.out, HasSubstr("is compressed data, not a list of parts (a part's "
                                   "state.bin.zst? give it as a part"));
  EXPECT_FALSE(fs::exists(dir_ / "m5"));
  // A list that names no part (a `find` that matched nothing) says so; it was told to give
  // --parts-from, which it had.
  const Result none =
      RunCli("merge --parts-from - -o " + (dir_ / "m6").string(), "printf '\\n' | ");
  EXPECT_EQ(none.code, 2) << none.out;
  EXPECT_THAT(none.out, HasSubstr("no parts: the list of --parts-from - (stdin) names none"));
  EXPECT_EQ(
      RunCli("merge --parts-from " + (dir_ / "nolist").string() + " -o " + (dir_ / "m2").string())
          .code,
      2);
}

// stdin (`-`) is one input of the list, read by the one shard it falls to (the first of two
// inputs: shard 0); a path missing beside it fails every shard, as without stdin, and the merge
// lists it once. A shard that is not stdin's never reads it.
TEST_F(Cli, ShardsOfStdinAndAMissingPath) {
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "in").string() + " --records 3000").code, 0);
  const std::string log = (dir_ / "in" / "flows-00000.log").string();
  const std::string missing = (dir_ / "no-such-dir").string();
  for (const char* shard : {"0", "1"}) {
    const Result r = RunCli("run - " + missing + " --no-progress --partial --shard " + shard +
                                "/2 -o " + (dir_ / "parts" / shard).string(),
                            "cat " + log + " | ");
    EXPECT_EQ(r.code, 1) << shard << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr(missing + ": not_found")) << shard;
    EXPECT_THAT(r.out, HasSubstr(std::string(shard) == "0" ? "2 inputs (1 failed), 3000 records"
                                                           : "1 input (1 failed), 0 records"))
        << shard << ": " << r.out;
  }
  const Result m = RunCli("merge " + (dir_ / "parts" / "0").string() + " " +
                          (dir_ / "parts" / "1").string() + " -o " + (dir_ / "m").string());
  EXPECT_EQ(m.code, 1) << m.out;  // an input failed, as in one run
  const json manifest = json::parse(ReadFile(dir_ / "m" / "manifest.json"));
  ASSERT_EQ(manifest["inputs"].size(), 2u) << manifest["inputs"].dump();
  EXPECT_EQ(manifest["inputs"][0]["path"], "-");
  EXPECT_EQ(manifest["inputs"][0]["records"], 3000u);
  EXPECT_EQ(manifest["inputs"][1]["path"], missing);
  EXPECT_EQ(manifest["totals"]["failed_inputs"], 1u);
}

// A nightly `run logs -o logs/summary --force` does not read the last summary as logs, and an
// input directory with no logs in it is an input failure (exit 1), not an empty success.
TEST_F(Cli, RunSkipsItsOwnOutputsAndFailsOnAnEmptyDirectory) {
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "logs").string() + " --records 2000").code, 0);
  const std::string run = "run " + (dir_ / "logs").string() + " --no-progress --strict -o " +
                          (dir_ / "logs" / "summary").string();
  ASSERT_EQ(RunCli(run).code, 0);
  Result r = RunCli(run + " --force");
  EXPECT_EQ(r.code, 0) << r.out;  // --strict: a single bad line would be exit 1
  EXPECT_THAT(r.out, HasSubstr("summary: skipped: an output of flowsift"));
  EXPECT_THAT(r.out, HasSubstr("1 input (0 failed), 2000 records, 0 bad lines"));
  fs::create_directories(dir_ / "empty");
  r = RunCli("run " + (dir_ / "empty").string() + " --no-progress -o " + (dir_ / "o").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("empty: not_found: no flow-log files in it"));
  EXPECT_THAT(ReadFile(dir_ / "o" / "manifest.json"), HasSubstr("no flow-log files in it"));
}

TEST_F(Cli, MmapGivesTheSameOutputs) {
  // 40,000 records (~4.5 MB): a plain file read() in chunks by default, mapped with --mmap.
  ASSERT_EQ(RunCli("gen -o " + (dir_ / "in").string() + " --records 40000 --attacks all").code, 0);
  const std::string run = "run " + (dir_ / "in").string() + " --no-progress -j 2 -o ";
  ASSERT_EQ(RunCli(run + (dir_ / "read").string()).code, 0);
  ASSERT_EQ(RunCli(run + (dir_ / "mmap").string() + " --mmap").code, 0);
  for (const char* name :
       {"windows.csv.zst", "talkers.csv.zst", "exposure.csv.zst", "findings.jsonl.zst"}) {
    EXPECT_EQ(ReadFile(dir_ / "read" / name), ReadFile(dir_ / "mmap" / name)) << name;
  }
}
}  // namespace
}  // namespace flowsift
