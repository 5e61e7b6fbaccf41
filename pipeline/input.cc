#include "pipeline/input.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_set>
#include <utility>

#include "pipeline/format.h"
#include "pipeline/reader.h"

namespace flowsift {
namespace {

constexpr const char* kListError = "cannot read the --files-from list";
constexpr const char* kDirError = "cannot list the directory";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

InputError ErrnoError(std::string path, const char* what, int error) {
  return {std::move(path), std::string(what) + ": " + std::strerror(error), error};
}

// Why a --files-from list's text is a flow log rather than a list of paths (compressed, or a
// first line that is a flow-log header of two or more fields); null for a list.
const char* NotAList(std::string_view text) {
  switch (CompressionOf(reinterpret_cast<const uint8_t*>(text.data()), text.size())) {
    case Compression::kGzip:
      return "it is gzip-compressed";
    case Compression::kZstd:
      return "it is zstd-compressed";
    case Compression::kNone:
      break;
  }
  const std::string_view first = text.substr(0, text.find('\n'));
  if (first.find(' ') != std::string_view::npos && Format::FromHeaderLine(first)) {
    return "its first line is a flow-log header";
  }
  return nullptr;
}

// Reads a whole descriptor; false (errno set) on a read error.
bool ReadAll(int fd, std::string* out) {
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    out->append(buf, static_cast<size_t>(n));
  }
}

class Lister {
 public:
  explicit Lister(const DiscoverOptions& options) : options_(options) {}

  Discovery Run() {
    // --files-from lists are read first: one of them may own stdin, which "-" then cannot.
    std::vector<std::string> listed;
    bool stdin_taken = false;
    for (const std::string& list : options_.files_from) ReadList(list, &listed, &stdin_taken);
    for (const std::string& input : options_.inputs) Add(input, stdin_taken);
    for (const std::string& input : listed) Add(input, stdin_taken);
    return std::move(out_);
  }

 private:
  void ReadList(const std::string& list, std::vector<std::string>* listed, bool* stdin_taken) {
    std::string text;
    if (list == "-") {
      if (*stdin_taken) {
        out_.errors.push_back({list, "stdin is already read by another --files-from -", 0});
        return;
      }
      *stdin_taken = true;
      if (!ReadAll(options_.stdin_fd, &text)) {
        out_.errors.push_back(ErrnoError(list, kListError, errno));
        return;
      }
    } else {
      const int fd = open(list.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        out_.errors.push_back(ErrnoError(list, kListError, errno));
        return;
      }
      const bool ok = ReadAll(fd, &text);
      const int error = errno;
      close(fd);
      if (!ok) {
        out_.errors.push_back(ErrnoError(list, kListError, error));
        return;
      }
    }
    // A UTF-8 byte order mark, as Notepad writes a list saved as UTF-8, is no part of the first
    // path: "\xEF\xBB\xBFlogs/a.log" was a path not found, and a flow log with one, a list.
    if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
    if (const char* what = NotAList(text)) {
      // A flow log given to --files-from for an input: each of its lines was a path not found
      // (200,000 messages for 200,000 records, and as many failed inputs in the manifest).
      out_.errors.push_back({list,
                             std::string("not a list of paths: ") + what +
                                 "; give it as an input (flowsift run FILE), not to --files-from",
                             0});
      return;
    }
    // A list with a NUL byte is one of `find -print0` (or `git ls-files -z`): its paths end at
    // NULs, as `xargs -0` reads them, so a name may hold a newline. Split at newlines, such a
    // list was one "path" that open() cut at its first NUL: the first file was read and the
    // others silently were not.
    const char end_of_path = text.find('\0') != std::string::npos ? '\0' : '\n';
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find(end_of_path, pos);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + pos, end - pos);
      pos = end + 1;
      // A line of blanks alone is a blank line (a list edited by hand), not a path " "; in a
      // NUL-separated list, so is the newline an `echo` adds after the last NUL.
      const size_t first = line.find_first_not_of(end_of_path == '\n' ? " \t\r" : " \t\r\n");
      if (first == std::string_view::npos) continue;
      if (end_of_path == '\n') {
        if (line.back() == '\r') line.remove_suffix(1);
        // Blanks at a line's ends are not the name's, as `while read -r` reads it: "a.log " (a
        // list edited by hand or pasted from a terminal) was a path not found. A name that has
        // them and exists is taken as it is (a NUL-separated list is always).
        const std::string_view name = line.substr(first, line.find_last_not_of(" \t") + 1 - first);
        struct stat st;
        if (name.size() != line.size() && lstat(std::string(line).c_str(), &st) != 0) line = name;
      }
      listed->emplace_back(line);
    }
  }

  void Add(const std::string& input, bool stdin_taken) {
    if (input == "-") {
      if (stdin_taken) {
        out_.errors.push_back({input, "stdin is already read by --files-from -", 0});
      } else if (seen_.insert(input).second && NewStream(StdinStream())) {
        out_.files.push_back({input, options_.stdin_fd});
      }
      return;
    }
    // A path that cannot be looked at (missing, no permission) is still listed, in its place:
    // the reader's open fails the same way and gives it a whole manifest entry with its status.
    struct stat st;
    if (stat(input.c_str(), &st) != 0) {
      Take(input, errno);
      return;
    }
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
      const Stream stream{st.st_dev, st.st_ino};
      if (stdin_taken && stream == StdinStream()) {
        out_.errors.push_back({input, "stdin is already read by --files-from -", 0});
      } else if (NewStream(stream)) {
        Take(input);
      }
      return;
    }
    if (!S_ISDIR(st.st_mode)) {
      Take(input);
      return;
    }
    std::string root = input;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    std::vector<std::string> found;
    const size_t errors_before = out_.errors.size();
    const size_t skipped_before = out_.skipped_outputs.size();
    // A directory searched already (`logs logs/sub`, `logs ./logs/`, a link to it) adds
    // nothing and is no error: its files are listed where it was first found.
    if (!Walk(root, &found)) return;
    if (found.empty() && out_.errors.size() == errors_before) {
      const bool skipped = out_.skipped_outputs.size() > skipped_before;
      out_.errors.push_back(
          {input,
           skipped && out_.skipped_outputs[skipped_before] == root
               ? "no flow-log files taken: it is a flowsift output (its manifest.json), not "
                 "flow logs"
           : skipped ? "no flow-log files in it but in flowsift outputs (skipped)"
                     : "no flow-log files in it (names ending .log, .gz, .zst or .txt, not hidden)",
           ENOENT});
      return;
    }
    // Sorting the whole tree's paths (not each directory's names) gives plain bytewise path
    // order: "a.log" < "a/x.log" because '.' < '/'.
    std::sort(found.begin(), found.end());
    for (std::string& path : found) Take(std::move(path));
  }

  // A pipe, FIFO or socket, by its inode: one stream whatever it is called. `-` and
  // /dev/stdin (or /proc/self/fd/0, or a link to a FIFO and the FIFO) named together were two
  // readers taking turns at one pipe's bytes: each got part of the lines, some cut in two (bad
  // lines, records lost), exit 0.
  using Stream = std::pair<dev_t, ino_t>;
  // Stdin's stream, or {0, 0} when it is a file, a terminal or closed (not a stream).
  Stream StdinStream() {
    if (!stdin_stream_) {
      struct stat st;
      stdin_stream_ =
          fstat(options_.stdin_fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
              ? Stream{st.st_dev, st.st_ino}
              : Stream{0, 0};
    }
    return *stdin_stream_;
  }
  // False when `stream` was listed already (under another name); {0, 0} is never a stream.
  bool NewStream(const Stream& stream) {
    return stream == Stream{0, 0} || streams_.insert(stream).second;
  }

  void Take(std::string path, int stat_error = 0) {
    if (seen_.insert(SameFileKey(path)).second) {
      out_.files.push_back({std::move(path), -1, stat_error});
    }
  }

  // One string for the spellings of a path that name the same file without looking at the file
  // system: "a.log", "./a.log", "d//a.log" from d, and $PWD/a.log. Only "." and empty components
  // go: "x/../a.log" is not "a.log" when x is a symlink. Cheap (no allocation beyond the key)
  // because a run may list 20,000 small S3 objects.
  std::string SameFileKey(const std::string& path) {
    std::string key;
    if (path.empty() || path[0] != '/') {
      if (cwd_.empty()) {
        char buf[4096];
        cwd_ = getcwd(buf, sizeof buf) != nullptr ? buf : "?";
      }
      key = cwd_;
    }
    key.reserve(key.size() + path.size() + 1);
    size_t pos = 0;
    while (pos < path.size()) {
      size_t end = path.find('/', pos);
      if (end == std::string::npos) end = path.size();
      const std::string_view part(path.data() + pos, end - pos);
      if (!part.empty() && part != ".") {
        key += '/';
        key += part;
      }
      pos = end + 1;
    }
    return key;
  }

  // Appends the input files under directory `dir` to `found`. readdir's d_type answers for
  // almost every entry on local file systems, so only symlinks and DT_UNKNOWN cost a stat.
  // False when `dir` was searched before (nothing appended).
  bool Walk(const std::string& dir, std::vector<std::string>* found) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) {
      out_.errors.push_back(ErrnoError(dir, kDirError, errno));
      return true;
    }
    struct stat self;
    if (fstat(dirfd(d), &self) == 0 && !visited_.insert({self.st_dev, self.st_ino}).second) {
      closedir(d);  // a symlink loop, or a directory reached twice through links
      return false;
    }
    std::vector<std::string> subdirs, files;
    const std::string prefix = dir == "/" ? dir : dir + "/";
    int error = 0;
    bool manifest = false;
    for (;;) {
      errno = 0;
      const dirent* e = readdir(d);
      if (e == nullptr) {
        error = errno;
        break;
      }
      const char* name = e->d_name;
      if (name[0] == '.') continue;  // hidden, ".", ".."
      unsigned char type = e->d_type;
      if (type == DT_LNK || type == DT_UNKNOWN) {
        struct stat st;
        if (fstatat(dirfd(d), name, &st, 0) != 0) {
          // A dangling symlink is skipped. One that cannot be followed for another reason (no
          // permission on its target's directory, a loop of links) and has an input's name is
          // taken like a file: the reader then names why it fails, and the run says so.
          if (errno != ENOENT && IsInputName(name)) found->push_back(prefix + name);
          continue;
        }
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
      if (type == DT_DIR) {
        subdirs.push_back(prefix + name);
      } else if (type == DT_REG && IsInputName(name)) {
        files.push_back(prefix + name);
      } else if (type == DT_REG && std::strcmp(name, "manifest.json") == 0) {
        manifest = true;
      }
    }
    closedir(d);
    if (manifest && IsFlowsiftOutput(dir)) {
      out_.skipped_outputs.push_back(dir);
      return true;
    }
    if (error != 0) out_.errors.push_back(ErrnoError(dir, kDirError, error));
    for (std::string& file : files) found->push_back(std::move(file));
    // In name order, not readdir's: a directory reached twice (a link to a sibling) is searched
    // under the path met first, which then was the file system's choice (on tmpfs, the entry
    // made last), and its files' paths, their place in the sorted list and --shard's split with
    // it. Here the first of its paths in sorted order, component by component.
    std::sort(subdirs.begin(), subdirs.end());
    for (const std::string& sub : subdirs) Walk(sub, found);
    return true;
  }

  const DiscoverOptions& options_;
  Discovery out_;
  std::unordered_set<std::string> seen_;  // SameFileKey of each file taken; "-"
  std::string cwd_;
  std::set<std::pair<dev_t, ino_t>> visited_;
  std::set<Stream> streams_;            // pipes, FIFOs and sockets listed
  std::optional<Stream> stdin_stream_;  // StdinStream, once looked at
};

}  // namespace

bool IsInputName(std::string_view name) {
  if (name.empty() || name[0] == '.') return false;
  return EndsWith(name, ".log") || EndsWith(name, ".gz") || EndsWith(name, ".zst") ||
         EndsWith(name, ".txt");
}

namespace {

// True when `text` has the key "tool" with the value "flowsift", however spaced.
bool HasFlowsiftTool(std::string_view text) {
  for (size_t at = text.find("\"tool\""); at != std::string_view::npos;
       at = text.find("\"tool\"", at + 1)) {
    size_t i = at + 6;
    const auto skip_blanks = [&] {
      while (i < text.size() &&
             (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
        ++i;
      }
    };
    skip_blanks();
    if (i >= text.size() || text[i] != ':') continue;
    ++i;
    skip_blanks();
    if (text.substr(i, 10) == "\"flowsift\"") return true;
  }
  return false;
}

}  // namespace

bool IsFlowsiftOutput(const std::string& dir) {
  const int fd = open((dir + "/manifest.json").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // run and merge write "tool" first; a manifest whose keys jq sorted has it near the end, so
  // the rest is read when the start does not say (at most 64 MiB: 20,000 inputs make 13 MB).
  std::string text(4096, '\0');
  ssize_t n = read(fd, text.data(), text.size());
  bool found = n > 0 && HasFlowsiftTool(std::string_view(text.data(), static_cast<size_t>(n)));
  if (!found && n == static_cast<ssize_t>(text.size())) {
    text.resize(static_cast<size_t>(n));
    char buf[64 * 1024];
    while (text.size() < (64u << 20) && (n = read(fd, buf, sizeof buf)) > 0) {
      text.append(buf, static_cast<size_t>(n));
    }
    found = HasFlowsiftTool(text);
  }
  close(fd);
  return found;
}

Discovery DiscoverInputs(const DiscoverOptions& options) { return Lister(options).Run(); }

}  // namespace flowsift
