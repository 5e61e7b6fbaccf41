// `flowsift show OUT --id ID`: one finding, whole.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/test_util.h"
#include "tests/tools/show_fixture.h"

namespace flowsift {
namespace {

using flowsift::testing::WriteZstd;
using show_fixture::kFindings;
using show_fixture::Result;
using show_fixture::RunIn;
using show_fixture::ShowTest;
using ::testing::HasSubstr;
using ::testing::Not;

// The first line of kFindings, the exfiltration finding.
std::string FirstFinding() {
  const std::string all = kFindings;
  return all.substr(0, all.find('\n') + 1);
}

TEST_F(ShowTest, AnIdPrintsItsFindingWhole) {
  const Result r = Show("--id 5e0c1a9d2b7f4e31");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // At 100 columns the table view cut this summary to "10.0.1.5 sent 1.5 …" and left the
  // evidence out.
  EXPECT_THAT(r.out, HasSubstr("summary             10.0.1.5 sent 1.5 MB to 198.51.100.7, over the "
                               "1 MB threshold\n"));
  EXPECT_THAT(r.out, HasSubstr("\nevidence.bytes_out  1500000\n"));
  EXPECT_THAT(r.out, HasSubstr("\nevidence.threshold  1000000\n"));
  EXPECT_THAT(r.out, HasSubstr("\nseverity            critical (4)\n"));
  EXPECT_THAT(r.out, HasSubstr("\nwindow_start        2023-11-14T22:10:00Z (1699999800)\n"));
  EXPECT_THAT(r.out, HasSubstr("\nbytes               1500000 (1.4 MiB)\n"));
  EXPECT_THAT(r.out, HasSubstr("\nmitre               T1048, T1041\n"));
  EXPECT_THAT(r.out, HasSubstr("\ninterfaces          eni-0a1b2c3d4e5f60718\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("…")));
  EXPECT_THAT(r.out, Not(HasSubstr("port_scan")));  // that finding alone
  // Every field of the line, in its order, one a line.
  const nlohmann::ordered_json stored = nlohmann::ordered_json::parse(FirstFinding());
  size_t at = 0;
  for (const auto& [key, value] : stored.items()) {
    const size_t next = r.out.find(key == "evidence" ? "evidence." : key + " ", at);
    ASSERT_NE(next, std::string::npos) << key << " missing or out of order in\n" << r.out;
    at = next;
  }
}

TEST_F(ShowTest, AnIdPrefixOfSixOrMoreCharactersPicksItsFinding) {
  const std::string whole = Show("--id 5e0c1a9d2b7f4e31").out;
  for (const char* id : {"5e0c1a", "5E0C1A9D", "5e0c1a9d2b7f4e3"}) {
    const Result r = Show(std::string("--id ") + id);
    EXPECT_EQ(r.code, 0) << id << ": " << r.err;
    EXPECT_EQ(r.out, whole) << id;
  }
  // As stored in json, the table's header and its row in csv; --table findings may be given.
  Result r = Show("--table findings --id 5e0c1a --as json");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::ordered_json::parse(r.out), nlohmann::ordered_json::parse(FirstFinding()));
  r = Show("--id 3f2a9c --as csv");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            Show("--table findings --as csv").out.substr(0, r.out.find('\n')));
  EXPECT_THAT(r.out, HasSubstr("\n3f2a9c0d11e5b7a4,port_scan,3,"));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
}

TEST_F(ShowTest, AnUnknownOrAmbiguousIdIsAnErrorThatSaysWhereTheIdsAre) {
  Result r = Show("--id ffffff");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err,
              HasSubstr("no finding in out/findings.jsonl.zst has an id beginning with ffffff"));
  EXPECT_THAT(r.err, HasSubstr("the first column of `flowsift show out --table findings --as csv "
                               "--limit 0`"));
  // A second id that shares the first six characters of the exfiltration finding's.
  std::string findings = kFindings;
  findings.replace(findings.find("c4b3f2e1d0a99887"), 16, "5e0c1a0000000001");
  WriteZstd(dir_ / "out" / "findings.jsonl.zst", findings);
  r = Show("--id 5e0c1a");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("--id 5e0c1a is ambiguous: 2 findings' ids begin with it "
                               "(5e0c1a0000000001, 5e0c1a9d2b7f4e31); give more of the id"));
  r = Show("--id 5e0c1a9");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("exfiltration"));
}

TEST_F(ShowTest, AnIdWithAnotherTableAFilterOrALimitOrTooShortIsAUsageError) {
  for (const char* args :
       {"--id 5e0c1 ", "--id 5e0c1a --table windows", "--id 5e0c1a --type port_scan",
        "--id 5e0c1a --limit 1", "--id 5e0c1a --since 2023-11-14", "--id 5e0c1a --min-severity 2",
        "--id 5e0c1a --interface eni-0a1b2c3d4e5f60718"}) {
    const Result r = Show(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_THAT(r.err, HasSubstr("--id")) << args;
    EXPECT_EQ(r.out, "") << args;
  }
  EXPECT_THAT(Show("--id 5e0c1").err, HasSubstr("'5e0c1' is too short"));
  EXPECT_THAT(Show("--id 5e0c1a --type port_scan").err, HasSubstr("leave out --type"));
}

// The ids of `show out ARGS --table findings --as json`, in order.
std::vector<std::string> IdsOf(const Result& r) {
  std::vector<std::string> ids;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    ids.push_back(nlohmann::ordered_json::parse(line)["id"].get<std::string>());
  }
  return ids;
}

// --since keeps a finding seen at or after it (last_seen), also one whose window started
// before it: the exfiltration of the 22:10 window went on to 22:16:00, and --since 22:15 left it
// out. --until keeps those first seen before it. Windows are still selected by their start.
TEST_F(ShowTest, SinceAndUntilSelectFindingsByWhenTheyWereSeen) {
  using Ids = std::vector<std::string>;
  const std::string exfiltration = "5e0c1a9d2b7f4e31", port_scan = "3f2a9c0d11e5b7a4",
                    brute_force = "a07d5c22e9f18b60", reject_spike = "c4b3f2e1d0a99887";
  const std::string findings = "--table findings --as json ";
  EXPECT_EQ(IdsOf(Show(findings + "--since 2023-11-14T22:15Z")),
            (Ids{exfiltration, brute_force, reject_spike}));
  EXPECT_EQ(IdsOf(Show(findings + "--since 2023-11-14T22:16:00Z")),
            (Ids{exfiltration, brute_force, reject_spike}));
  EXPECT_EQ(IdsOf(Show(findings + "--since 2023-11-14T22:16:01Z")),
            (Ids{brute_force, reject_spike}));
  EXPECT_EQ(IdsOf(Show(findings + "--until 2023-11-14T22:15Z")), (Ids{port_scan}));
  EXPECT_EQ(IdsOf(Show(findings + "--until 2023-11-14T22:15:01Z")), (Ids{exfiltration, port_scan}));
  EXPECT_EQ(IdsOf(Show(findings + "--since 2023-11-14T22:14Z --until 2023-11-14T22:26:40Z")),
            (Ids{exfiltration, port_scan}));
  // The overview counts the same findings.
  const nlohmann::ordered_json overview =
      nlohmann::ordered_json::parse(Show("--as json --since 2023-11-14T22:15Z").out);
  EXPECT_EQ(overview["findings"]["total"], 3) << overview.dump();
  // A window is of its start: the 22:10 window, to 22:20, is not one since 22:15.
  const Result windows = Show("--table windows --as csv --since 2023-11-14T22:15Z");
  EXPECT_THAT(windows.out, Not(HasSubstr(",1699999800,")));
  EXPECT_THAT(windows.out, HasSubstr(",1700000400,"));
}

TEST_F(ShowTest, HelpSaysSinceKeepsFindingsSeenSinceIt) {
  EXPECT_THAT(RunIn(dir_, "show --help").out, HasSubstr("findings seen at or after it"));
}

TEST_F(ShowTest, HelpNamesTheId) {
  const Result r = RunIn(dir_, "show --help");
  EXPECT_THAT(r.out, HasSubstr("  --id ID "));
  EXPECT_THAT(r.out, HasSubstr("flowsift show out --id 5e0c1a"));
}

}  // namespace
}  // namespace flowsift
