// Small helpers shared by tests: temporary directories, whole-file reads, zstd decoding.
#ifndef FLOWSIFT_TESTS_TEST_UTIL_H_
#define FLOWSIFT_TESTS_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace flowsift::testing {

// A test's name as one file name: a parameterised test's "Suite/Name/3" has slashes, which made
// a shared parent directory that was never removed and that another user could not write into.
inline std::string FileNamePart(std::string name) {
  std::replace(name.begin(), name.end(), '/', '_');
  return name;
}

// A fresh directory under the system temp dir, removed with everything in it at scope end.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ =
        std::filesystem::temp_directory_path() /
        ("flowsift-" + FileNamePart(info ? info->name() : "test") + "-" + std::to_string(getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// The decompressed content of zstd data (any number of frames), "<corrupt>" or "<truncated>".
inline std::string DecodeZstd(const std::string& packed) {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ZSTD_inBuffer in{packed.data(), packed.size(), 0};
  std::string out, buf(1 << 16, '\0');
  size_t last = 0;
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    last = ZSTD_decompressStream(d, &o, &in);
    if (ZSTD_isError(last)) {
      ZSTD_freeDCtx(d);
      return "<corrupt>";
    }
    out.append(buf.data(), o.pos);
  }
  ZSTD_freeDCtx(d);
  return last == 0 ? out : "<truncated>";
}

inline std::string ReadZstd(const std::filesystem::path& path) {
  return DecodeZstd(ReadFile(path));
}

// `text` as one zstd frame at `path`, as a table is written (its readers take any frames).
inline void WriteZstd(const std::filesystem::path& path, const std::string& text) {
  std::string packed(ZSTD_compressBound(text.size()), '\0');
  const size_t n = ZSTD_compress(packed.data(), packed.size(), text.data(), text.size(), 1);
  ASSERT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
  packed.resize(n);
  WriteFile(path, packed);
}

// Runs `command` with /bin/sh and returns its exit status (-1 if it did not exit normally or
// could not start) and everything it wrote to stdout.
struct CommandResult {
  int code = -1;
  std::string out;
};
inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace flowsift::testing

#endif  // FLOWSIFT_TESTS_TEST_UTIL_H_
