#include "pipeline/input.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace flowsift {
namespace {

namespace fs = std::filesystem;

class InputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/flowsift_input_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string Path(const std::string& rel) const { return root_ + "/" + rel; }
  void Touch(const std::string& rel, const std::string& text = "") const {
    fs::create_directories(fs::path(Path(rel)).parent_path());
    const int fd = open(Path(rel).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
  }
  static std::vector<std::string> Paths(const Discovery& d) {
    std::vector<std::string> out;
    for (const InputFile& f : d.files) out.push_back(f.path);
    return out;
  }

  std::string root_;
};

TEST(IsInputName, TakesLogGzZstTxtOnly) {
  for (const char* name : {"a.log", "a.log.gz", "a.gz", "a.log.zst", "a.zst", "a.txt",
                           "123_vpcflowlogs_us-east-1_fl-1_20180620T1620Z_fe123456.log.gz"}) {
    EXPECT_TRUE(IsInputName(name)) << name;
  }
  for (const char* name : {"", ".log", ".a.log", "a.md", "a.LOG", "a.log.parquet", "a.gz.tmp",
                           "log", "a.zstd", "a.json"}) {
    EXPECT_FALSE(IsInputName(name)) << name;
  }
}

TEST_F(InputTest, DirectoryIsSortedBytewiseSkippingHiddenAndOtherNames) {
  for (const char* rel : {"d/b.log", "d/a.log.gz", "d/a/x.zst", "d/a.txt", "d/.hidden.log",
                          "d/.git/c.log", "d/readme.md", "d/c.LOG", "d/sub/z.log", "d/e.gz",
                          "d/f.log.zst", "d/sub/.h/y.log", "d/Z.log"}) {
    Touch(rel);
  }
  const Discovery d = DiscoverInputs({.inputs = {Path("d")}});
  EXPECT_TRUE(d.errors.empty());
  // '.' (0x2E) sorts before '/' (0x2F) and 'Z' before 'a': plain bytewise path order.
  const std::vector<std::string> want = {Path("d/Z.log"),     Path("d/a.log.gz"), Path("d/a.txt"),
                                         Path("d/a/x.zst"),   Path("d/b.log"),    Path("d/e.gz"),
                                         Path("d/f.log.zst"), Path("d/sub/z.log")};
  EXPECT_EQ(Paths(d), want);
  for (const InputFile& f : d.files) EXPECT_EQ(f.fd, -1);
}

TEST_F(InputTest, TrailingSlashAndNamedFilesWhateverTheirName) {
  Touch("d/a.log");
  Touch("notes.md");
  const Discovery d = DiscoverInputs({.inputs = {Path("d") + "//", Path("notes.md")}});
  EXPECT_EQ(Paths(d), (std::vector<std::string>{Path("d/a.log"), Path("notes.md")}));
}

// A path that cannot be looked at is listed in its place: the reader's open fails the same way
// and gives it a whole manifest entry (status, message), in argument order.
TEST_F(InputTest, MissingAndBadPathsAreListedInTheirPlace) {
  Touch("d/a.log");
  Touch("plain.log");
  const Discovery d = DiscoverInputs(
      {.inputs = {Path("missing.log"), Path("d"), Path("plain.log/x"), Path("gone/")}});
  EXPECT_EQ(Paths(d), (std::vector<std::string>{Path("missing.log"), Path("d/a.log"),
                                                Path("plain.log/x"), Path("gone/")}));
  EXPECT_TRUE(d.errors.empty());
}

// A nightly `run logs/ -o logs/summary --force` finds the last night's summary under logs/: its
// tables are not flow logs (they were read as 118 bad lines). A manifest.json of another tool
// does not make a directory an output.
TEST_F(InputTest, FlowsiftOutputsAreSkipped) {
  Touch("logs/a.log");
  Touch("logs/summary/manifest.json",
        "{\n  \"tool\": \"flowsift\",\n  \"version\": \"0.1.0\"\n}\n");
  Touch("logs/summary/windows.csv.zst");
  Touch("logs/summary/sub/b.log");
  Touch("logs/other/manifest.json", "{\"tool\": \"other\"}");
  Touch("logs/other/c.log");
  const Discovery d = DiscoverInputs({.inputs = {Path("logs")}});
  EXPECT_TRUE(d.errors.empty());
  EXPECT_EQ(Paths(d), (std::vector<std::string>{Path("logs/a.log"), Path("logs/other/c.log")}));
  EXPECT_EQ(d.skipped_outputs, std::vector<std::string>{Path("logs/summary")});
  EXPECT_TRUE(IsFlowsiftOutput(Path("logs/summary")));
  EXPECT_FALSE(IsFlowsiftOutput(Path("logs/other")));
  EXPECT_FALSE(IsFlowsiftOutput(Path("logs")));
  Touch("min/manifest.json", "{\"tool\":\"flowsift\",\"version\":\"0.1.0\"}");  // minified
  EXPECT_TRUE(IsFlowsiftOutput(Path("min")));
  Touch("quoted/manifest.json", "{\"note\": \"tool\", \"tool\": \"other\", \"x\": \"flowsift\"}");
  EXPECT_FALSE(IsFlowsiftOutput(Path("quoted")));
  // Keys sorted (jq -S): "tool" after a long "inputs".
  Touch("sorted/manifest.json",
        "{\n  \"inputs\": [\"" + std::string(20000, 'a') + "\"],\n  \"tool\": \"flowsift\"\n}\n");
  EXPECT_TRUE(IsFlowsiftOutput(Path("sorted")));
  // Named alone, it yields nothing, which is an error that says why.
  const Discovery alone = DiscoverInputs({.inputs = {Path("logs/summary")}});
  EXPECT_TRUE(alone.files.empty());
  ASSERT_EQ(alone.errors.size(), 1u);
  EXPECT_EQ(alone.errors[0].path, Path("logs/summary"));
  EXPECT_EQ(alone.errors[0].error, ENOENT);
  EXPECT_NE(alone.errors[0].reason.find("it is a flowsift output"), std::string::npos)
      << alone.errors[0].reason;
}

// "tool": "flowsift" is found however the manifest is spaced: blanks and line ends before the
// colon too (a manifest rewritten by another JSON printer), and the directory is then skipped.
TEST_F(InputTest, AFlowsiftManifestIsKnownWithBlanksAroundItsColon) {
  Touch("spaced/manifest.json", "{\"tool\" :\t\"flowsift\"}");
  EXPECT_TRUE(IsFlowsiftOutput(Path("spaced")));
  Touch("lines/out/manifest.json", "{\n  \"tool\"\n  :\n  \"flowsift\"\n}\n");
  Touch("lines/out/sub/b.log");
  Touch("lines/a.log");
  EXPECT_TRUE(IsFlowsiftOutput(Path("lines/out")));
  const Discovery d = DiscoverInputs({.inputs = {Path("lines")}});
  EXPECT_EQ(Paths(d), std::vector<std::string>{Path("lines/a.log")});
  EXPECT_EQ(d.skipped_outputs, std::vector<std::string>{Path("lines/out")});
}

// A directory argument under which nothing is taken is an error in its place (a job pointed at
// a wrong or empty prefix); one that holds an input file anywhere below is not.
TEST_F(InputTest, DirectoryWithoutInputsIsAnError) {
  fs::create_directories(Path("empty"));
  Touch("other/readme.md");
  Touch("other/.hidden.log");
  Touch("deep/x/y/z.log.gz");
  const Discovery d = DiscoverInputs({.inputs = {Path("empty"), Path("deep"), Path("other/")}});
  EXPECT_EQ(Paths(d), std::vector<std::string>{Path("deep/x/y/z.log.gz")});
  ASSERT_EQ(d.errors.size(), 2u);
  EXPECT_EQ(d.errors[0].path, Path("empty"));
  EXPECT_EQ(d.errors[1].path, Path("other/"));
  for (const InputError& e : d.errors) {
    EXPECT_EQ(e.error, ENOENT);
    EXPECT_NE(e.reason.find("no flow-log files in it"), std::string::npos) << e.reason;
  }
}

// A directory whose only logs are inside a flowsift output under it is an error that says so,
// not that the directory itself is an output (only a directory that is one is told that).
TEST_F(InputTest, ADirectoryHoldingOnlyAnOutputSaysTheOutputWasSkipped) {
  Touch("top/summary/manifest.json", "{\"tool\": \"flowsift\"}");
  Touch("top/summary/sub/b.log");
  const Discovery d = DiscoverInputs({.inputs = {Path("top")}});
  EXPECT_TRUE(d.files.empty());
  EXPECT_EQ(d.skipped_outputs, std::vector<std::string>{Path("top/summary")});
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].path, Path("top"));
  EXPECT_EQ(d.errors[0].error, ENOENT);
  EXPECT_EQ(d.errors[0].reason, "no flow-log files in it but in flowsift outputs (skipped)");
}

// A directory named again (inside one named before, by another spelling, through a link) adds
// nothing and is no error: the check for a directory without logs took it for an empty one.
TEST_F(InputTest, DirectoriesNamedAgainAreNoError) {
  Touch("logs/a.log");
  Touch("logs/sub/b.log");
  fs::create_directory_symlink(Path("logs"), Path("link"));
  const Discovery d = DiscoverInputs(
      {.inputs = {Path("logs"), Path("logs/sub"), Path("logs") + "/./", Path("link")}});
  EXPECT_TRUE(d.errors.empty()) << d.errors[0].path << ": " << d.errors[0].reason;
  EXPECT_EQ(Paths(d), (std::vector<std::string>{Path("logs/a.log"), Path("logs/sub/b.log")}));
  const Discovery inner_first = DiscoverInputs({.inputs = {Path("logs/sub"), Path("logs")}});
  EXPECT_TRUE(inner_first.errors.empty());
  EXPECT_EQ(Paths(inner_first),
            (std::vector<std::string>{Path("logs/sub/b.log"), Path("logs/a.log")}));
}

TEST_F(InputTest, DuplicatesAreListedOnce) {
  Touch("d/a.log");
  Touch("d/b.log");
  const Discovery d =
      DiscoverInputs({.inputs = {Path("d/b.log"), Path("d"), Path("d/"), Path("d/b.log")}});
  EXPECT_EQ(Paths(d), (std::vector<std::string>{Path("d/b.log"), Path("d/a.log")}));
}

// One file under several spellings is read once: its records must not count twice.
TEST_F(InputTest, SpellingsOfOnePathAreListedOnce) {
  Touch("d/a.log");
  Touch("d/b.log");
  const std::string cwd = fs::current_path().string();
  fs::current_path(Path(""));
  const Discovery d = DiscoverInputs({.inputs = {"d/a.log", "./d/a.log", "d//a.log", "d/./a.log",
                                                 Path("d/a.log"), "d/", "./d", "d/sub/../b.log"}});
  fs::current_path(cwd);
  EXPECT_EQ(Paths(d), (std::vector<std::string>{"d/a.log", "d/b.log", "d/sub/../b.log"}));
}

TEST_F(InputTest, SymlinkLoopsAreSearchedOnce) {
  Touch("d/a.log");
  Touch("e/b.log");
  fs::create_directory_symlink(Path("d"), Path("d/loop"));
  fs::create_directory_symlink(Path("e"), Path("d/e_link"));
  fs::create_symlink(Path("e/b.log"), Path("d/c.log"));
  fs::create_symlink(Path("nowhere"), Path("d/dangling.log"));
  const Discovery d = DiscoverInputs({.inputs = {Path("d")}});
  EXPECT_TRUE(d.errors.empty());
  EXPECT_EQ(Paths(d),
            (std::vector<std::string>{Path("d/a.log"), Path("d/c.log"), Path("d/e_link/b.log")}));
}

// A directory reached twice, by its name and by a link beside it, is searched under the first
// of the two in name order whatever order the file system lists them in (the one readdir met
// first won: on tmpfs the entry made last, on ext4 by its name's hash). Eight trees, the link
// made before or after the directory and named differently in each, so that some list it first.
TEST_F(InputTest, ADirectoryReachedTwiceIsListedUnderItsFirstPathInNameOrder) {
  for (int i = 0; i < 8; ++i) {
    const std::string tree = "t" + std::to_string(i);
    const std::string link = tree + "/z" + std::to_string(i * 7919) + "_link";
    fs::create_directories(Path(tree));
    if (i % 2 == 0) fs::create_directory_symlink("a", Path(link));  // dangling until a is made
    Touch(tree + "/a/x.log");
    if (i % 2 == 1) fs::create_directory_symlink("a", Path(link));
    Touch(tree + "/b.log");
    const Discovery d = DiscoverInputs({.inputs = {Path(tree)}});
    EXPECT_TRUE(d.errors.empty());
    EXPECT_EQ(Paths(d), (std::vector<std::string>{Path(tree + "/a/x.log"), Path(tree + "/b.log")}))
        << tree;
  }
}

// A link in a directory that cannot be followed for a reason other than a missing target (a
// loop of links, ENOTDIR, no permission) is listed when it has an input's name, so that the
// reader names the failure: it was skipped like a dangling link, silently.
TEST_F(InputTest, LinksThatCannotBeFollowedAreListedNotSkipped) {
  Touch("d/a.log");
  Touch("plain.log");
  fs::create_symlink(Path("d/y.log"), Path("d/x.log"));  // x -> y -> x: ELOOP
  fs::create_symlink(Path("d/x.log"), Path("d/y.log"));
  fs::create_symlink(Path("plain.log/z"), Path("d/z.log"));  // ENOTDIR
  fs::create_symlink(Path("plain.log/z"), Path("d/z.md"));   // not an input's name
  fs::create_symlink(Path("nowhere"), Path("d/gone.log"));   // dangling: skipped
  const Discovery d = DiscoverInputs({.inputs = {Path("d")}});
  EXPECT_TRUE(d.errors.empty());
  EXPECT_EQ(Paths(d), (std::vector<std::string>{Path("d/a.log"), Path("d/x.log"), Path("d/y.log"),
                                                Path("d/z.log")}));
}

TEST_F(InputTest, FilesFromSkipsBlankLinesAndCarriageReturns) {
  Touch("a.log");
  Touch("d/b.gz");
  Touch("list.txt", Path("a.log") + "\r\n\n\r\n  \t\r\n" + Path("d") + "\n \n" + Path("missing") +
                        "\n" + Path("a.log"));
  const Discovery d = DiscoverInputs({.files_from = {Path("list.txt"), Path("nolist")}});
  EXPECT_EQ(Paths(d), (std::vector<std::string>{Path("a.log"), Path("d/b.gz"), Path("missing")}));
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].path, Path("nolist"));
  EXPECT_EQ(d.errors[0].reason, "cannot read the --files-from list: No such file or directory");
  EXPECT_EQ(d.errors[0].error, ENOENT);
}

// Blanks at a line's ends are not part of its name, as `while read -r` reads it (a list edited
// by hand, pasted from a terminal): "a.log " had been a path not found. A name that has them
// and exists is taken as it is; a NUL-separated list is taken as it is.
TEST_F(InputTest, FilesFromTrimsBlanksAtALinesEnds) {
  Touch("a.log");
  Touch("b.log");
  Touch("space.log ");
  Touch("list.txt", Path("a.log") + " \t\r\n\t" + Path("b.log") + "\n" + Path("space.log ") +
                        "\n " + Path("missing") + " \n");
  const Discovery d = DiscoverInputs({.files_from = {Path("list.txt")}});
  EXPECT_TRUE(d.errors.empty());
  EXPECT_EQ(Paths(d), (std::vector<std::string>{Path("a.log"), Path("b.log"), Path("space.log "),
                                                Path("missing")}));
}

// A list saved by Notepad as UTF-8 starts with a byte order mark: not the first path's.
TEST_F(InputTest, FilesFromSkipsAByteOrderMark) {
  Touch("a.log");
  Touch("list.txt", "\xEF\xBB\xBF" + Path("a.log") + "\r\n" + Path("missing") + "\r\n");
  const Discovery d = DiscoverInputs({.files_from = {Path("list.txt")}});
  EXPECT_TRUE(d.errors.empty());
  EXPECT_EQ(Paths(d), (std::vector<std::string>{Path("a.log"), Path("missing")}));
}

// A list from `find -print0` ends each path with a NUL. Split at newlines it was one "path"
// that open() cut at its first NUL: a.log was read and every other file silently was not.
TEST_F(InputTest, FilesFromWithNulsIsNulSeparated) {
  Touch("a.log");
  Touch("d/b.gz");
  Touch("new\nline.log");
  Touch("cr.log\r");  // a name's '\r' is its own, not a line end's
  Touch("list0", Path("a.log") + '\0' + Path("d") + '\0' + Path("new\nline.log") + '\0' +
                     Path("cr.log\r") + '\0' + Path("missing") + '\0' + '\0' + " \t" + '\0' + "\n");
  const Discovery d = DiscoverInputs({.files_from = {Path("list0")}});
  EXPECT_TRUE(d.errors.empty());
  EXPECT_EQ(Paths(d),
            (std::vector<std::string>{Path("a.log"), Path("d/b.gz"), Path("new\nline.log"),
                                      Path("cr.log\r"), Path("missing")}));
}

// A flow log given to --files-from by mistake is one failed list, not a path not found per
// record (200,000 of them took 42 s and flooded stderr). A list whose first path has spaces, or
// is a word of a header alone, is still a list.
TEST_F(InputTest, AFlowLogGivenAsAListIsRefusedAsOne) {
  Touch("a.log");
  const std::string header = "version account-id interface-id srcaddr dstaddr";
  const struct {
    const char* name;
    std::string text;
    const char* why;  // null: read as a list
  } lists[] = {
      {"log", header + "\n2 1 eni-1 10.0.0.1 10.0.0.2\n", "its first line is a flow-log header"},
      {"crlf", header + "\r\n", "its first line is a flow-log header"},
      {"bom", "\xEF\xBB\xBF" + header + "\r\n", "its first line is a flow-log header"},
      {"gz", std::string("\x1f\x8b\x08\x00", 4) + "rest", "it is gzip-compressed"},
      {"zst", std::string("\x28\xb5\x2f\xfd", 4) + "rest", "it is zstd-compressed"},
      {"spaces", "my logs/a b.log\n" + Path("a.log") + "\n", nullptr},
      {"word", "version\n" + Path("a.log") + "\n", nullptr},
  };
  for (const auto& l : lists) {
    Touch(l.name, l.text);
    const Discovery d = DiscoverInputs({.files_from = {Path(l.name)}});
    if (l.why == nullptr) {
      EXPECT_TRUE(d.errors.empty()) << l.name;
      EXPECT_EQ(d.files.size(), 2u) << l.name;
      continue;
    }
    EXPECT_TRUE(d.files.empty()) << l.name;
    ASSERT_EQ(d.errors.size(), 1u) << l.name;
    EXPECT_EQ(d.errors[0].path, Path(l.name));
    EXPECT_EQ(d.errors[0].reason, std::string("not a list of paths: ") + l.why +
                                      "; give it as an input (flowsift run FILE), not to "
                                      "--files-from");
  }
}

TEST_F(InputTest, StdinAsInputAndAsFilesFrom) {
  Touch("a.log");
  const Discovery plain = DiscoverInputs({.inputs = {"-", Path("a.log"), "-"}, .stdin_fd = 7});
  ASSERT_EQ(plain.files.size(), 2u);
  EXPECT_EQ(plain.files[0].path, "-");
  EXPECT_EQ(plain.files[0].fd, 7);
  EXPECT_EQ(plain.files[1].fd, -1);

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string list = Path("a.log") + "\n";
  ASSERT_EQ(write(fds[1], list.data(), list.size()), static_cast<ssize_t>(list.size()));
  close(fds[1]);
  const Discovery d =
      DiscoverInputs({.inputs = {"-"}, .files_from = {"-", "-"}, .stdin_fd = fds[0]});
  close(fds[0]);
  EXPECT_EQ(Paths(d), std::vector<std::string>{Path("a.log")});
  ASSERT_EQ(d.errors.size(), 2u);  // a second "--files-from -", and "-" as an input
  EXPECT_EQ(d.errors[0].reason, "stdin is already read by another --files-from -");
  EXPECT_EQ(d.errors[1].reason, "stdin is already read by --files-from -");
}

// A pipe or FIFO is one stream whatever it is called: `-` with /dev/stdin (here the pipe's
// /proc/self/fd path), or a FIFO with a link to it, had two readers taking turns at its bytes,
// each with part of the lines and some lines cut in two, exit 0. It is listed once.
TEST_F(InputTest, APipeOrFifoNamedTwiceIsListedOnce) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string fd_path = "/proc/self/fd/" + std::to_string(fds[0]);
  ASSERT_EQ(mkfifo(Path("f").c_str(), 0600), 0);
  fs::create_symlink(Path("f"), Path("link"));
  Touch("a.log");
  fs::create_symlink(Path("a.log"), Path("a-link.log"));  // a file: links are not resolved
  const Discovery d = DiscoverInputs(
      {.inputs = {"-", Path("f"), fd_path, Path("a.log"), Path("link"), Path("a-link.log")},
       .stdin_fd = fds[0]});
  EXPECT_TRUE(d.errors.empty());
  EXPECT_EQ(Paths(d),
            (std::vector<std::string>{"-", Path("f"), Path("a.log"), Path("a-link.log")}));
  const Discovery named_first = DiscoverInputs({.inputs = {fd_path, "-"}, .stdin_fd = fds[0]});
  EXPECT_EQ(Paths(named_first), std::vector<std::string>{fd_path});

  // Once --files-from - has read stdin, its other names are refused as "-" is.
  const std::string list = Path("a.log") + "\n";
  ASSERT_EQ(write(fds[1], list.data(), list.size()), static_cast<ssize_t>(list.size()));
  close(fds[1]);
  const Discovery listed =
      DiscoverInputs({.inputs = {fd_path}, .files_from = {"-"}, .stdin_fd = fds[0]});
  close(fds[0]);
  EXPECT_EQ(Paths(listed), std::vector<std::string>{Path("a.log")});
  ASSERT_EQ(listed.errors.size(), 1u);
  EXPECT_EQ(listed.errors[0].path, fd_path);
  EXPECT_EQ(listed.errors[0].reason, "stdin is already read by --files-from -");
}

// A socket is one stream too (stdin a socket, as under some supervisors): `-` and its
// /proc/self/fd path are listed once, whichever comes first.
TEST_F(InputTest, ASocketNamedTwiceIsListedOnce) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  const std::string fd_path = "/proc/self/fd/" + std::to_string(sv[0]);
  const Discovery d = DiscoverInputs({.inputs = {"-", fd_path}, .stdin_fd = sv[0]});
  const Discovery named_first = DiscoverInputs({.inputs = {fd_path, "-"}, .stdin_fd = sv[0]});
  close(sv[0]);
  close(sv[1]);
  EXPECT_TRUE(d.errors.empty());
  EXPECT_EQ(Paths(d), std::vector<std::string>{"-"});
  EXPECT_EQ(Paths(named_first), std::vector<std::string>{fd_path});
}

// 20,000 files in one directory, as a day of S3 deliveries can hold. Speed is measured in
// docs/input.md, not here.
TEST_F(InputTest, TwentyThousandFiles) {
  const std::string dir = Path("many");
  fs::create_directory(dir);
  for (int i = 0; i < 20000; ++i) {
    const std::string p = dir + "/f" + std::to_string(i) + (i % 2 ? ".log.gz" : ".log");
    const int fd = open(p.c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  Touch("many/skip.md");
  const Discovery d = DiscoverInputs({.inputs = {dir}});
  EXPECT_TRUE(d.errors.empty());
  ASSERT_EQ(d.files.size(), 20000u);
  for (size_t i = 1; i < d.files.size(); ++i) {
    ASSERT_LT(d.files[i - 1].path, d.files[i].path);
  }
}

}  // namespace
}  // namespace flowsift
