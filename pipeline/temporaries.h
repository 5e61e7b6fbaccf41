// Paths a command writes under a temporary name before renaming them into place (run's and
// merge's OUT directory, export's and gen's files). When the process is interrupted (SIGINT,
// SIGTERM, SIGHUP: tools/flowsift.cc's signal thread), they are removed before it ends, so an
// interrupted command leaves neither a half-written output nor a hidden temporary behind.
#ifndef FLOWSIFT_PIPELINE_TEMPORARIES_H_
#define FLOWSIFT_PIPELINE_TEMPORARIES_H_

#include <filesystem>
#include <mutex>
#include <string_view>
#include <system_error>
#include <vector>

namespace flowsift {

// Registers `path` (a file or a directory tree) as temporary; `lock_fd`, if any, is an open
// descriptor that holds the path's lock (MakeSiblingTempDir), closed when the path is dropped.
void AddTemporary(const std::filesystem::path& path, int lock_fd = -1);
// The same, with the registry's lock (LockTemporaries) held by the caller since before it
// created the path: an interrupt between creating a temporary and registering it found nothing
// to remove and left it behind (the signal thread waits for the lock instead).
void AddTemporaryLocked(const std::filesystem::path& path, int lock_fd = -1);
// `path` is no longer temporary: renamed into place or removed. Closes its lock descriptor.
void DropTemporary(const std::filesystem::path& path);
// The same, with the registry's lock (LockTemporaries) already held by the caller.
void DropTemporaryLocked(const std::filesystem::path& path);
// Deletes the temporary `path` and drops it, its lock descriptor closed first (with few
// descriptors left, `ulimit -n`, the deletion needed that one and left the directory).
void RemoveTemporary(const std::filesystem::path& path);
// Directories made for a command's output, each registered as a temporary as it is made, so
// that a command that fails (a full disk) or is interrupted removes them with what it wrote into
// them, and never a directory that was there: they are made one at a time, and one that another
// process made meanwhile is not counted. The destructor removes those made (deepest first)
// unless Keep() said the output is complete. gen's -o and the S3 layouts' folders in it.
class MadeDirectories {
 public:
  MadeDirectories() = default;
  ~MadeDirectories();
  MadeDirectories(const MadeDirectories&) = delete;
  MadeDirectories& operator=(const MadeDirectories&) = delete;

  // Makes `dir` and its missing parents ("a/b/" as "a/b"). False when one cannot be made, with
  // *ec its error and *failed its path; those made before it stay registered here.
  bool Create(const std::filesystem::path& dir, std::error_code* ec, std::filesystem::path* failed);
  // The output is complete: the directories are no longer temporary.
  void Keep();

 private:
  std::vector<std::filesystem::path> made_;
};

// Hold it across renaming a temporary into place (and DropTemporary after it): an interrupt
// then removes the temporary before the rename or finds it gone after, never half-published.
std::unique_lock<std::mutex> LockTemporaries();
// Removes every registered path and keeps the registry locked for good, so that nothing is
// published afterwards: just before the process ends. Returns how many paths could not be
// removed whole (a writer kept adding files; retried a few times first).
int RemoveTemporariesForExit();
// The command's output (run's or merge's OUT) is in place: called by PublishOutput with the
// registry's lock held across the rename, so that an interrupt is taken either before it
// (RemoveTemporariesUnlessPublished removes the temporary and the process ends by the signal, no
// OUT) or after it (the command then finishes: its exit status says what OUT holds).
void MarkOutputPublishedLocked();
// For the signal thread: false, with nothing removed and the registry left unlocked, once the
// output is published (MarkOutputPublishedLocked); else RemoveTemporariesForExit and true, and
// the caller ends the process by the signal. A complete OUT with exit status 143 had failed a
// scheduler's job whose retry then found OUT there ("exists").
bool RemoveTemporariesUnlessPublished();
// The command's output is published and all that is left is its report, after which it would
// exit with `status`: a second signal then ends the process with that status (a report stuck on
// a stdout nobody reads had taken SIGKILL), so that 128 + a signal's number still means that no
// new output was published. Before this call signals after publishing are only noted (the
// moves of an OUT replaced with --force must finish).
void SetReportStatus(int status);
// The status given to SetReportStatus, or -1 before it.
int ReportStatus();

// The progress bar (tools/progress.cc) redraws one line of stderr without ending it, and its
// log lines go to stderr too: both are written here, with stdio's fwrite, which does not throw
// (fmt::print threw in the display's thread when stderr could not be written, 2>/dev/full, and
// the process aborted, its temporary OUT left behind). `open`: the text leaves its line unended.
// ExitOutOfMemory ends such a line before its message (it was written after the bar, on its
// line), and nothing is written here after that message.
void WriteProgressLine(std::string_view text, bool open);
// Ends an unended progress line, and nothing is written by WriteProgressLine after it: the
// signal that ends the process (Ctrl-C) had left the shell's prompt on the bar's line. Waits
// for a line being written at most 0.1 s (its write may be blocked on a full pipe).
void CloseProgressLine();

// Memory ran out: says so on stderr, removes the temporaries and ends the process with exit
// status 3, without unwinding. Thrown, std::bad_alloc unwound through tables caught half-way
// through an insert or a rehash (a segfault in their destructors) and through deleters that
// must not throw (terminate): an exit here has no such states to meet. The executable's
// operator new (tools/new_delete.cc) and the tables' own allocations call it.
[[noreturn]] void ExitOutOfMemory();
// What it says (after "flowsift: "), and the command's handler of a std::bad_alloc thrown past
// it (by a library's own allocation).
inline constexpr char kOutOfMemoryMessage[] =
    "out of memory (a memory limit: `ulimit -v`, a container's or a job's; a run with fewer "
    "--threads, or one split by time or by --shard, needs less)";

// A test hook (tests/tools/cli_output_test.cc): with the environment variable `variable` set to
// a whole number of seconds, sleeps that long (at most a minute; anything else, a negative value
// included, not at all), so that a test can send a signal at that point of a command.
void PauseForTest(const char* variable);

// The temporary for a scope: registered on construction, dropped on destruction (whatever
// became of the path).
class TemporaryPath {
 public:
  explicit TemporaryPath(std::filesystem::path path) : path_(std::move(path)) {
    AddTemporary(path_);
  }
  ~TemporaryPath() { DropTemporary(path_); }
  TemporaryPath(const TemporaryPath&) = delete;
  TemporaryPath& operator=(const TemporaryPath&) = delete;

 private:
  std::filesystem::path path_;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_TEMPORARIES_H_
