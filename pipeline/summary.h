// Reading an OUT directory of `flowsift run` back (SPEC section 3, docs/outputs.md): the
// manifest with its format-version check, and the zstd CSV / JSON Lines tables as streams of
// rows, so that `show` (and later `export` and `merge`) never hold a whole table in memory.
#ifndef FLOWSIFT_PIPELINE_SUMMARY_H_
#define FLOWSIFT_PIPELINE_SUMMARY_H_

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flowsift {

// The files of OUT.
inline constexpr std::string_view kManifestFile = "manifest.json";
inline constexpr std::string_view kWindowsFile = "windows.csv.zst";
inline constexpr std::string_view kTalkersFile = "talkers.csv.zst";
inline constexpr std::string_view kExposureFile = "exposure.csv.zst";
inline constexpr std::string_view kFindingsFile = "findings.jsonl.zst";

// What a column holds, so that readers can type it (JSON numbers) and print it (units).
enum class ColumnKind : uint8_t {
  kText = 0,      // a string as written
  kInteger = 1,   // an unsigned count, port, protocol, rank, line number
  kBytes = 2,     // an unsigned byte count
  kTime = 3,      // epoch seconds (UTC)
  kSeverity = 4,  // 1 low .. 4 critical (SPEC 3.2)
  kList = 5,      // a JSON array (findings, manifest)
  kObject = 6,    // a JSON object (findings, manifest)
};
inline bool IsNumeric(ColumnKind k) {
  return k == ColumnKind::kInteger || k == ColumnKind::kBytes || k == ColumnKind::kTime ||
         k == ColumnKind::kSeverity;
}

struct ColumnSpec {
  std::string_view name;
  ColumnKind kind = ColumnKind::kText;
};

// The columns of each table in the order format version 1 writes them. The CSV tables' own
// header rows are authoritative (a later minor version may append columns); these say what
// the known ones hold.
std::span<const ColumnSpec> WindowsColumns();
std::span<const ColumnSpec> TalkersColumns();
std::span<const ColumnSpec> ExposureColumns();
std::span<const ColumnSpec> FindingsColumns();  // SPEC 3.2, in its order
std::span<const ColumnSpec> InputsColumns();    // manifest inputs[]
// The `errors` view: failed inputs (reason = status, text = error; no line) then
// bad_line_samples[].
std::span<const ColumnSpec> ErrorsColumns();
// The kind of `name` among `columns`; kText for a name not listed.
ColumnKind KindOf(std::span<const ColumnSpec> columns, std::string_view name);

// The number of zstd frames in the file at `path`, counted by their headers (the blocks are
// skipped, not decoded; skippable frames are not counted): a table cut exactly at the end of
// one of its frames still decodes whole, and only its frame count (manifest.json's `tables`)
// tells. False with *error naming the file when it cannot be read or is not zstd frames.
[[nodiscard]] bool CountZstdFrames(const std::string& path, uint64_t* frames, std::string* error);

// Decompresses one zstd file (any number of frames) block by block. Anything but complete,
// valid zstd frames with matching checksums is an error that names the file.
class ZstdFileReader {
 public:
  ZstdFileReader() = default;
  ~ZstdFileReader();
  ZstdFileReader(const ZstdFileReader&) = delete;
  ZstdFileReader& operator=(const ZstdFileReader&) = delete;

  [[nodiscard]] bool Open(const std::string& path, std::string* error);
  // The next decompressed bytes in *block (valid until the next call); an empty block at the
  // end. False with *error on a read error, corrupt or truncated data.
  [[nodiscard]] bool Read(std::string_view* block, std::string* error);

 private:
  std::FILE* file_ = nullptr;
  void* dctx_ = nullptr;  // ZSTD_DCtx
  std::string path_;
  std::string in_, out_;
  size_t in_pos_ = 0, in_size_ = 0;
  size_t frame_left_ = 0;  // ZSTD_decompressStream's last hint: 0 = between frames
  uint64_t compressed_ = 0;
  bool eof_ = false, flush_ = false;
};

// The longest line ZstdLineReader returns: flowsift's rows and findings are a few KB.
inline constexpr size_t kMaxOutputLineBytes = size_t{16} << 20;

// The lines of a zstd text file, without their '\n'; a last line without '\n' counts.
class ZstdLineReader {
 public:
  [[nodiscard]] bool Open(const std::string& path, std::string* error);
  // True with the next line; false at the end (error() empty) or on an error.
  [[nodiscard]] bool Next(std::string* line);
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  uint64_t line_number() const { return line_; }  // of the last line returned, 1-based

 private:
  ZstdFileReader reader_;
  std::string_view block_;
  size_t pos_ = 0;
  uint64_t line_ = 0;
  bool done_ = false;
  std::string path_, error_;
};

// Appends `field` as pipeline/tables.cc writes text: quoted (with '"' doubled) only when it
// holds ',', '"', CR or LF.
void AppendCsvField(std::string_view field, std::string& out);
// Splits one RFC 4180 record (without its line end) into fields. False when the quoting is
// malformed: a quote inside an unquoted field, an unclosed quote, text after a closing quote.
[[nodiscard]] bool SplitCsvRecord(std::string_view record, std::vector<std::string>* fields);

// A zstd CSV table: header row, then records (a quoted field may span lines). Every record
// must have as many fields as the header.
class CsvTableReader {
 public:
  // Opens the file and reads its header row (an empty file is an error).
  [[nodiscard]] bool Open(const std::string& path, std::string* error);
  const std::vector<std::string>& header() const { return header_; }
  // True with the next record's fields; false at the end (error() empty) or on an error.
  [[nodiscard]] bool Next(std::vector<std::string>* fields);
  const std::string& error() const { return lines_.error().empty() ? error_ : lines_.error(); }
  // After Next returned false: it stopped at a record that cannot be read (malformed quoting,
  // another number of fields than the header; error() names it), and Next goes on with the
  // record after it. False at the end, or when the file cannot be read further (cut short,
  // corrupt zstd, a quote left open to the end of the file).
  bool AtBadRow() const { return !error_.empty() && lines_.error().empty() && !open_quote_; }
  // The line on which the last record read (or refused) starts, 1-based.
  uint64_t line_number() const { return first_line_; }
  const std::string& path() const { return lines_.path(); }

 private:
  [[nodiscard]] bool ReadRecord(std::vector<std::string>* fields);
  ZstdLineReader lines_;
  std::vector<std::string> header_;
  std::string record_, line_, error_;
  uint64_t first_line_ = 0;
  bool open_quote_ = false;
};

// A zstd JSON Lines file: one object per line; blank lines are skipped.
class JsonLinesReader {
 public:
  [[nodiscard]] bool Open(const std::string& path, std::string* error);
  // True with the next object; false at the end (error() empty) or on an error (a line that
  // is not a JSON object, named by file and line).
  [[nodiscard]] bool Next(nlohmann::ordered_json* object);
  const std::string& error() const { return lines_.error().empty() ? error_ : lines_.error(); }
  // After Next returned false: it stopped at a line that is not a JSON object (error() names
  // it), and Next goes on with the line after it. False at the end, or when the file cannot be
  // read further (cut short, corrupt zstd).
  bool AtBadLine() const { return !error_.empty() && lines_.error().empty(); }
  const std::string& path() const { return lines_.path(); }

 private:
  ZstdLineReader lines_;
  std::string line_, error_;
};

// An OUT directory whose manifest was read and accepted.
struct Summary {
  std::filesystem::path dir;
  nlohmann::ordered_json manifest;
  std::string PathOf(std::string_view file) const { return (dir / file).string(); }
};

// Empty, or why `file` of OUT has fewer zstd frames than manifest.json's `tables` gives it
// ("OUT/windows.csv.zst: truncated (1 of the 2 zstd frames manifest.json lists: ...)"): a
// table cut exactly at the end of one of its frames (every 65,536 rows) decodes whole, its
// last rows missing. Asked by `show` (the overview and --table) and `export` once a table read
// to its end without an error. A manifest of an earlier version has no `tables`: nothing to
// compare. More frames are no cut (the table was rewritten); a file that cannot be read is
// said when it is opened or decoded.
std::string TableFramesProblem(const Summary& s, std::string_view file);

// Why OpenSummary refused a directory.
enum class SummaryStatus : uint8_t {
  kOk = 0,
  kNotFound = 1,      // OUT does not exist
  kNotSummary = 2,    // not a directory, no manifest.json, or a manifest of another tool
  kOtherVersion = 3,  // format_version of another major version than kOutputFormatVersion
  kCorrupt = 4,       // manifest.json cannot be read or is not JSON
};

// The major version of a manifest's `format_version` (an integer N, or "N" / "N.M" of digits),
// or -1 when it is none of these ("1.2.3" too, and "01" or "1.01": leading zeros).
int FormatMajor(const nlohmann::ordered_json& format_version);

// What a part of a distributed run (`run --partial`) is, from its manifest: "shard I/N" with
// --shard, else "a part"; empty for any other OUT. A part's tables are of its own inputs alone.
std::string PartOfRun(const nlohmann::ordered_json& manifest);

// Opens OUT: reads manifest.json and accepts it when it was written by flowsift with the same
// major format version as kOutputFormatVersion (pipeline/run.h). Otherwise *error says what
// is wrong and what to do.
[[nodiscard]] SummaryStatus OpenSummary(const std::string& dir, Summary* summary,
                                        std::string* error);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_SUMMARY_H_
