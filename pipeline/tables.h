// The summary tables as CSV (RFC 4180) in zstd files that `zstd -dc`, DuckDB and pandas read
// as they are (SPEC section 3).
#ifndef FLOWSIFT_PIPELINE_TABLES_H_
#define FLOWSIFT_PIPELINE_TABLES_H_

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/aggregate.h"

namespace flowsift {

// Writes a zstd file (level 1, with checksums): either streamed bytes (Write, one frame) or
// frames compressed elsewhere (WriteFrames), not both. Errors are sticky and reported by
// Close; nothing throws.
class ZstdFileWriter {
 public:
  ZstdFileWriter() = default;
  ~ZstdFileWriter();
  ZstdFileWriter(const ZstdFileWriter&) = delete;
  ZstdFileWriter& operator=(const ZstdFileWriter&) = delete;

  [[nodiscard]] bool Open(const std::string& path, std::string* error);
  void Write(std::string_view bytes);
  // Appends complete zstd frames (CompressFrame's output) as they are. zstd readers decode
  // concatenated frames as one stream (RFC 8878).
  void WriteFrames(std::string_view frames);
  // Finishes the frame and closes the file; false (with *error) if anything failed.
  [[nodiscard]] bool Close(std::string* error);

 private:
  void Compress(std::string_view bytes, bool end);
  void Put(std::string_view bytes);
  std::FILE* file_ = nullptr;
  bool framed_ = false;   // WriteFrames was called: Close adds no frame of its own
  void* cctx_ = nullptr;  // ZSTD_CCtx, made by the first Write (or Close without frames)
  std::string out_;
  std::string path_;
  std::string error_;
};

// `text` as one zstd frame, as ZstdFileWriter writes it (level 1, checksum).
std::string CompressFrame(std::string_view text);

// Column names, comma separated, in SPEC order (no newline).
std::string_view WindowsHeader();
std::string_view TalkersHeader();
std::string_view ExposureHeader();

// One CSV line per row (with '\n'); text fields are quoted only when they hold ',', '"', '\r'
// or '\n'.
void AppendCsv(const WindowRow& row, std::string& out);
void AppendCsv(const TalkerRow& row, std::string& out);
void AppendCsv(const ExposureRow& row, std::string& out);

// Writes header + rows to `path` (zstd). False with *error on any I/O failure.
[[nodiscard]] bool WriteWindows(const std::string& path, const std::vector<WindowRow>& rows,
                                std::string* error);
[[nodiscard]] bool WriteTalkers(const std::string& path, const std::vector<TalkerRow>& rows,
                                std::string* error);
[[nodiscard]] bool WriteExposure(const std::string& path, const std::vector<ExposureRow>& rows,
                                 std::string* error);
// The same from the aggregator's tables (Aggregator::WindowsInOrder, ExposureInOrder), with no
// copy of them.
[[nodiscard]] bool WriteWindows(const std::string& path, const WindowRows& rows,
                                std::string* error);
[[nodiscard]] bool WriteExposure(const std::string& path, const ExposureRows& rows,
                                 std::string* error);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_TABLES_H_
