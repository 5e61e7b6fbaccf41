// Files for `flowsift gen`: layouts, compression, atomic renames. See generate_files.h.
#include "pipeline/generate_files.h"

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "pipeline/temporaries.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kPeriod = 300;  // AWS publishes an object per 5 minutes per flow log

std::string_view Extension(GenCompression c) {
  return c == GenCompression::kGzip ? ".gz" : c == GenCompression::kZstd ? ".zst" : "";
}

// One output file: bytes in, compressed bytes out to a temporary name, renamed on Close().
// Its errors name the file, not its temporary, which is removed by then (".flows-00000.log.tmp:
// File too large" named a file that was not there), nor std::filesystem's raw words.
class FileSink {
 public:
  FileSink(fs::path path, GenCompression compression)
      : path_(std::move(path)), compression_(compression) {
    std::error_code ec;
    fs::create_directories(path_.parent_path(), ec);
    if (ec) {
      throw std::runtime_error("cannot create " + path_.parent_path().string() + ": " +
                               ec.message());
    }
    tmp_ = path_.parent_path() / ("." + path_.filename().string() + ".tmp");
    {
      // Created and registered under the registry's lock: an interrupt in between waits.
      auto registry = LockTemporaries();
      file_ = std::fopen(tmp_.c_str(), "wb");
      // A test hook (tests/tools/cli_output_test.cc).
      if (file_) PauseForTest("FLOWSIFT_TEST_PAUSE_BEFORE_REGISTER");
      if (file_) AddTemporaryLocked(tmp_);  // removed if the process is interrupted
    }
    if (!file_)
      throw std::runtime_error("cannot create " + path_.string() + ": " + std::strerror(errno));
    if (compression_ == GenCompression::kGzip) {
      // Level 1 (ISA-L's fastest with Huffman tables tuned per block) in a gzip wrapper: one
      // member, as AWS writes.
      level_buf_.resize(ISAL_DEF_LVL1_DEFAULT);
      isal_deflate_init(&gz_);
      gz_.level = 1;
      gz_.level_buf = level_buf_.data();
      gz_.level_buf_size = static_cast<uint32_t>(level_buf_.size());
      gz_.gzip_flag = IGZIP_GZIP;
    } else if (compression_ == GenCompression::kZstd) {
      zs_ = ZSTD_createCCtx();
      ZSTD_CCtx_setParameter(zs_, ZSTD_c_compressionLevel, 3);
    }
    out_.resize(compression_ == GenCompression::kNone ? 0 : (size_t{1} << 20));
  }
  ~FileSink() {
    if (zs_) ZSTD_freeCCtx(zs_);
    if (file_) std::fclose(file_);  // not closed: an exception is on its way
    if (!renamed_) {  // leave no temporary behind, also when closing or renaming it failed
      std::error_code ec;
      fs::remove(tmp_, ec);
    }
    DropTemporary(tmp_);
  }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  void Write(std::string_view data, bool last = false) {
    text_bytes_ += data.size();
    switch (compression_) {
      case GenCompression::kNone:
        Put(data.data(), data.size());
        break;
      case GenCompression::kGzip:
        gz_.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(data.data()));
        gz_.avail_in = static_cast<uint32_t>(data.size());
        gz_.end_of_stream = last;
        do {
          gz_.next_out = reinterpret_cast<uint8_t*>(out_.data());
          gz_.avail_out = static_cast<uint32_t>(out_.size());
          if (isal_deflate(&gz_) != COMP_OK) throw std::runtime_error("isal_deflate failed");
          Put(out_.data(), out_.size() - gz_.avail_out);
        } while (gz_.avail_in > 0 || (last && gz_.internal_state.state != ZSTATE_END));
        break;
      case GenCompression::kZstd: {
        ZSTD_inBuffer in{data.data(), data.size(), 0};
        size_t left = 0;
        do {
          ZSTD_outBuffer out{out_.data(), out_.size(), 0};
          left = ZSTD_compressStream2(zs_, &out, &in, last ? ZSTD_e_end : ZSTD_e_continue);
          if (ZSTD_isError(left)) throw std::runtime_error(ZSTD_getErrorName(left));
          Put(out_.data(), out.pos);
        } while (in.pos < in.size || (last && left != 0));
        break;
      }
    }
  }
  // Finishes the stream and renames the file into place; returns the bytes written.
  uint64_t Close() {
    Write({}, true);
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0)
      throw std::runtime_error("cannot write " + path_.string() + ": " + std::strerror(errno));
    {
      std::unique_lock<std::mutex> lock = LockTemporaries();
      std::error_code ec;
      fs::rename(tmp_, path_, ec);
      if (ec) throw std::runtime_error("cannot write " + path_.string() + ": " + ec.message());
      renamed_ = true;
    }
    DropTemporary(tmp_);
    return file_bytes_;
  }
  uint64_t text_bytes() const { return text_bytes_; }
  const fs::path& path() const { return path_; }

 private:
  void Put(const char* p, size_t n) {
    if (n != 0 && std::fwrite(p, 1, n, file_) != n) {
      throw std::runtime_error("cannot write " + path_.string() + ": " + std::strerror(errno));
    }
    file_bytes_ += n;
  }

  fs::path path_, tmp_;
  bool renamed_ = false;
  GenCompression compression_;
  std::FILE* file_ = nullptr;
  isal_zstream gz_{};
  std::vector<uint8_t> level_buf_;
  ZSTD_CCtx* zs_ = nullptr;
  std::vector<char> out_;
  uint64_t text_bytes_ = 0, file_bytes_ = 0;
};

std::string Sprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Sprintf(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return std::string(buf, static_cast<size_t>(std::clamp(n, 0, static_cast<int>(sizeof buf) - 1)));
}

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void WriteLines(const fs::path& path, const std::vector<std::string>& lines) {
  FileSink sink(path, GenCompression::kNone);
  for (const std::string& l : lines) {
    sink.Write(l);
    sink.Write("\n");
  }
  sink.Close();
}

void Finish(FileSink& sink, GenFilesResult& result) {
  result.text_bytes += sink.text_bytes();
  result.file_bytes += sink.Close();
  result.paths.push_back(sink.path().string());
}

}  // namespace

std::string FlatFileName(unsigned i, GenCompression compression) {
  return Sprintf("flows-%05u.log", i) + std::string(Extension(compression));
}

std::string S3ObjectKey(GenLayout layout, std::string_view account, std::string_view region,
                        std::string_view flow_log_id, uint64_t period, uint32_t hash,
                        GenCompression compression) {
  const std::time_t t = static_cast<std::time_t>(period);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const int year = tm.tm_year + 1900, month = tm.tm_mon + 1;
  const std::string acct(account), reg(region), id(flow_log_id);
  const std::string folder =
      layout == GenLayout::kS3Hive
          ? Sprintf(
                "AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/"
                "year=%04d/month=%02d/day=%02d/",
                acct.c_str(), reg.c_str(), year, month, tm.tm_mday)
          : Sprintf("AWSLogs/%s/vpcflowlogs/%s/%04d/%02d/%02d/", acct.c_str(), reg.c_str(), year,
                    month, tm.tm_mday);
  return folder +
         Sprintf("%s_vpcflowlogs_%s_%s_%04d%02d%02dT%02d%02dZ_%08x.log", acct.c_str(), reg.c_str(),
                 id.c_str(), year, month, tm.tm_mday, tm.tm_hour, tm.tm_min, hash) +
         std::string(Extension(compression));
}

GenFilesResult GenerateFiles(const GenFilesOptions& o) {
  GenOptions gen = o.gen;
  gen.header = false;
  FlowGenerator generator(gen);  // throws on impossible options before any file exists
  const std::string header = gen.format.HeaderLine() + "\n";
  const fs::path dir(o.dir);
  const bool earlier_output = fs::exists(dir / "truth.jsonl");
  fs::create_directories(dir);
  // The folders made inside DIR for the S3 layouts' object keys (AWSLogs/ACCOUNT/...): a gen
  // that fails or is interrupted removes them, where an -o that was there kept an AWSLogs tree
  // of empty folders (tools/gen.cc removes an -o it made itself). Before the files: they are
  // closed (or removed) first.
  MadeDirectories folders;
  GenFilesResult result;
  constexpr size_t kChunk = size_t{1} << 20;
  std::string buf;

  if (o.layout == GenLayout::kFlat) {
    const uint32_t files = std::max<uint32_t>(o.files, 1);
    for (uint32_t i = 0; i < files; ++i) {
      // File i holds records [i*N/K, (i+1)*N/K): consecutive in time, counts differ by <= 1.
      const uint64_t until =
          static_cast<uint64_t>(static_cast<unsigned __int128>(gen.records) * (i + 1) / files);
      FileSink sink(dir / FlatFileName(i, o.compression), o.compression);
      buf = header;
      bool more = true;
      while (more) {
        more = generator.Append(buf, kChunk, until);
        sink.Write(buf);
        buf.clear();
      }
      Finish(sink, result);
    }
  } else {
    // Open objects by period; a period closes once no record still to come can end in it,
    // when it ends by the generator's next_start_bound (records to come start, so end, at or
    // after it). Not by the last record's start: each interface's intervals run on their own
    // clock, so a later record may start before an earlier one.
    struct Open {
      std::unique_ptr<FileSink> sink;
      std::string buf;
    };
    std::map<uint64_t, Open> open;
    auto close = [&](std::map<uint64_t, Open>::iterator it) {
      it->second.sink->Write(it->second.buf);
      Finish(*it->second.sink, result);
      return open.erase(it);
    };
    uint64_t start = 0, end = 0;
    std::string line;
    while (true) {
      line.clear();
      if (!generator.AppendRecord(line, &start, &end)) break;
      const uint64_t period = end - end % kPeriod;
      auto it = open.find(period);
      if (it == open.end()) {
        const uint32_t hash = static_cast<uint32_t>(Mix(gen.seed * 0x9E3779B97F4A7C15ull ^ period));
        Open fresh;
        const fs::path path =
            dir / S3ObjectKey(o.layout, generator.account(), generator.region(),
                              generator.flow_log_id(), period, hash, o.compression);
        std::error_code ec;
        fs::path failed;
        if (!folders.Create(path.parent_path(), &ec, &failed)) {
          throw std::runtime_error("cannot create " + failed.string() + ": " + ec.message());
        }
        fresh.sink = std::make_unique<FileSink>(path, o.compression);
        fresh.buf = header;
        it = open.emplace(period, std::move(fresh)).first;
      }
      it->second.buf += line;
      if (it->second.buf.size() >= kChunk) {
        it->second.sink->Write(it->second.buf);
        it->second.buf.clear();
      }
      const uint64_t bound = generator.next_start_bound();
      while (!open.empty() && open.begin()->first + kPeriod <= bound) close(open.begin());
    }
    while (!open.empty()) close(open.begin());
  }
  result.records = generator.records_emitted();
  result.attacks = generator.truth().size();
  result.lookalikes = generator.lookalikes().size();
  WriteLines(dir / "truth.jsonl", generator.truth());
  WriteLines(dir / "lookalikes.jsonl", generator.lookalikes());
  if (!generator.truth().empty()) {
    WriteLines(dir / "scanners.jsonl", generator.background_scanners());
  } else if (earlier_output) {
    // An earlier gen's list (with attacks) would name another data set's scanners beside an
    // empty truth.jsonl.
    fs::remove(dir / "scanners.jsonl");
  }
  folders.Keep();
  return result;
}

}  // namespace flowsift
