// Input discovery: the INPUT arguments and --files-from lists of `flowsift run` (SPEC 2.1) ->
// the ordered list of files to read, plus the inputs that could not be listed.
#ifndef FLOWSIFT_PIPELINE_INPUT_H_
#define FLOWSIFT_PIPELINE_INPUT_H_

#include <string>
#include <string_view>
#include <vector>

namespace flowsift {

// One file to read. `fd` >= 0 means "read this already open descriptor" (stdin, or a pipe a
// test feeds); the reader never closes it. Otherwise `path` is opened.
struct InputFile {
  std::string path;  // "-" for stdin
  int fd = -1;
  // A named path (INPUT or a --files-from line) whose stat failed: its errno. It is listed in
  // its place all the same (the reader fails it); Run has the shards it does not fall to
  // report it too.
  int stat_error = 0;
};

// What could not be listed: a directory that cannot be opened or read to its end, a --files-from
// list that cannot be read. (A named path that does not exist is listed as a file: the reader
// reports it; with --shard, the shards it does not fall to report it here too: Run, by the
// file's stat_error.) `reason` says what failed and why ("cannot list the directory: Permission
// denied"), `error` is the errno value (0 when the reason is not an errno).
struct InputError {
  std::string path;
  std::string reason;
  int error = 0;
};

struct DiscoverOptions {
  std::vector<std::string> inputs;      // files, directories, or "-" for stdin
  std::vector<std::string> files_from;  // lists of paths, one per line; "-" = stdin
  int stdin_fd = 0;                     // what "-" means (tests pass a pipe)
};

struct Discovery {
  std::vector<InputFile> files;  // in argument order; each directory's files sorted bytewise
  std::vector<InputError> errors;
  // Directories skipped because they are flowsift's own outputs (IsFlowsiftOutput).
  std::vector<std::string> skipped_outputs;
};

// True when directory `dir` holds a manifest.json that flowsift wrote ("tool": "flowsift" in
// its first bytes): an OUT of run, merge or demo, whose *.zst tables are not flow logs.
bool IsFlowsiftOutput(const std::string& dir);

// True for the names a directory search takes: *.log, *.gz, *.zst, *.txt (so also *.log.gz and
// *.log.zst), not hidden (leading '.').
bool IsInputName(std::string_view name);

// Lists the inputs. A named file is taken whatever its name or type (a FIFO, /dev/stdin), and
// so is a named path that cannot be looked at (missing, no permission): reading it fails in its
// place in the list, with the status the reader gives it;
// a directory is searched recursively: hidden entries are skipped, files are taken by
// IsInputName, symlinks are followed (a directory reached twice is searched once), and the
// files found under one directory argument are sorted by path bytewise, so the order never
// depends on the file system. A directory that is a flowsift output (IsFlowsiftOutput: a
// nightly `run logs/ -o logs/summary` finds the last night's summary) is skipped with what is
// under it, and named in skipped_outputs. A directory argument under which nothing is taken is
// an InputError (ENOENT, "no flow-log files in it ..."): a job pointed at a wrong or empty
// prefix says so instead of summarising nothing. --files-from entries follow the INPUT arguments
// and may be files or directories too; blank lines and a trailing '\r' are ignored; a list
// holding a NUL byte is NUL-separated (find -print0). A file named twice is listed once, at its
// first place: the same path up to "." and repeated '/' components and the current directory
// ("a.log", "./a.log", "$PWD/a.log"); links and ".." are not resolved. A pipe, FIFO or socket
// named twice ("-" and /dev/stdin, a FIFO and a link to it) is listed once: it is one stream.
// Never throws for bad inputs: a directory or list that cannot be read becomes an InputError and
// the rest is still listed.
Discovery DiscoverInputs(const DiscoverOptions& options);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_INPUT_H_
