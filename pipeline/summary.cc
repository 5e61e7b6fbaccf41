#include "pipeline/summary.h"

#include <sys/stat.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "pipeline/run.h"

namespace flowsift {
namespace {

using nlohmann::ordered_json;
using K = ColumnKind;

constexpr ColumnSpec kWindows[] = {{"interface_id", K::kText},
                                   {"account_id", K::kText},
                                   {"window_start", K::kTime},
                                   {"window_end", K::kTime},
                                   {"records", K::kInteger},
                                   {"nodata", K::kInteger},
                                   {"skipdata", K::kInteger},
                                   {"accepted", K::kInteger},
                                   {"rejected", K::kInteger},
                                   {"packets", K::kInteger},
                                   {"bytes", K::kBytes},
                                   {"rejected_bytes", K::kBytes},
                                   {"bytes_out_external", K::kBytes},
                                   {"bytes_in_external", K::kBytes},
                                   {"distinct_srcaddr", K::kInteger},
                                   {"distinct_dstaddr", K::kInteger},
                                   {"distinct_dstport", K::kInteger}};
constexpr ColumnSpec kTalkers[] = {{"window_start", K::kTime}, {"rank", K::kInteger},
                                   {"srcaddr", K::kText},      {"bytes", K::kBytes},
                                   {"packets", K::kInteger},   {"flows", K::kInteger}};
constexpr ColumnSpec kExposure[] = {
    {"interface_id", K::kText},         {"dst_port", K::kInteger},
    {"protocol", K::kInteger},          {"accepted_external", K::kInteger},
    {"rejected_external", K::kInteger}, {"distinct_external_sources", K::kInteger}};
constexpr ColumnSpec kFindings[] = {{"id", K::kText},
                                    {"type", K::kText},
                                    {"severity", K::kSeverity},
                                    {"mitre", K::kList},
                                    {"src", K::kText},
                                    {"dst", K::kText},
                                    {"dst_port", K::kInteger},
                                    {"protocol", K::kInteger},
                                    {"interfaces", K::kList},
                                    {"window_start", K::kTime},
                                    {"window_end", K::kTime},
                                    {"first_seen", K::kTime},
                                    {"last_seen", K::kTime},
                                    {"flows", K::kInteger},
                                    {"packets", K::kInteger},
                                    {"bytes", K::kBytes},
                                    {"distinct_dst_ports", K::kInteger},
                                    {"distinct_dsts", K::kInteger},
                                    {"evidence", K::kObject},
                                    {"summary", K::kText}};
constexpr ColumnSpec kInputs[] = {{"path", K::kText},
                                  {"bytes", K::kBytes},
                                  {"data_bytes", K::kBytes},
                                  {"compression", K::kText},
                                  {"header", K::kList},
                                  {"lines", K::kInteger},
                                  {"records", K::kInteger},
                                  {"nodata", K::kInteger},
                                  {"skipdata", K::kInteger},
                                  {"filtered", K::kInteger},
                                  {"header_lines", K::kInteger},
                                  {"bad_lines", K::kInteger},
                                  {"bad_lines_by_reason", K::kObject},
                                  {"status", K::kText},
                                  {"error", K::kText}};
constexpr ColumnSpec kErrors[] = {{"path", K::kText},
                                  {"line", K::kInteger},
                                  {"offset", K::kInteger},
                                  {"reason", K::kText},
                                  {"text", K::kText}};

// Compressed bytes per fread: ZSTD_DStreamInSize() is one block (128 KiB) plus a header.
constexpr size_t kReadBytes = size_t{128} << 10;

}  // namespace

std::span<const ColumnSpec> WindowsColumns() { return kWindows; }
std::span<const ColumnSpec> TalkersColumns() { return kTalkers; }
std::span<const ColumnSpec> ExposureColumns() { return kExposure; }
std::span<const ColumnSpec> FindingsColumns() { return kFindings; }
std::span<const ColumnSpec> InputsColumns() { return kInputs; }
std::span<const ColumnSpec> ErrorsColumns() { return kErrors; }

ColumnKind KindOf(std::span<const ColumnSpec> columns, std::string_view name) {
  for (const ColumnSpec& c : columns) {
    if (c.name == name) return c.kind;
  }
  return ColumnKind::kText;
}

bool CountZstdFrames(const std::string& path, uint64_t* frames, std::string* error) {
  *frames = 0;
  if (const std::string why = NotARegularFile(path); !why.empty()) {
    *error = "cannot open " + path + ": " + why;
    return false;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (f == nullptr) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  const auto skip = [&](uint64_t n) {
    return std::fseek(f.get(), static_cast<long>(n), SEEK_CUR) == 0;  // NOLINT(runtime/int)
  };
  const auto le = [](const unsigned char* p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
    return v;
  };
  unsigned char b[4];
  for (;;) {
    const size_t got = std::fread(b, 1, 4, f.get());
    if (got == 0) break;
    if (got < 4) {
      *error = path + ": truncated zstd data (the file ends inside a frame header)";
      return false;
    }
    const uint64_t magic = le(b, 4);
    if ((magic & 0xFFFFFFF0u) == 0x184D2A50u) {  // a skippable frame: its size, its bytes
      if (std::fread(b, 1, 4, f.get()) != 4 || !skip(le(b, 4))) break;
      continue;
    }
    if (magic != 0xFD2FB528u) {
      *error = path + ": corrupt zstd data (not a zstd frame at one of its frames' starts)";
      return false;
    }
    if (std::fread(b, 1, 1, f.get()) != 1) break;
    const unsigned fhd = b[0];
    const bool single_segment = (fhd >> 5) & 1;
    constexpr uint64_t kDictBytes[4] = {0, 1, 2, 4};
    constexpr uint64_t kSizeBytes[4] = {0, 2, 4, 8};
    const uint64_t fcs = (fhd >> 6) == 0 ? (single_segment ? 1 : 0) : kSizeBytes[fhd >> 6];
    if (!skip((single_segment ? 0 : 1) + kDictBytes[fhd & 3] + fcs)) break;
    for (bool last = false; !last;) {
      if (std::fread(b, 1, 3, f.get()) != 3) break;
      const uint64_t block = le(b, 3);
      last = block & 1;
      const unsigned type = (block >> 1) & 3;
      if (type == 3) {
        *error = path + ": corrupt zstd data (a reserved block type)";
        return false;
      }
      if (!skip(type == 1 ? 1 : block >> 3)) break;  // an RLE block holds one byte
    }
    if (((fhd >> 2) & 1) != 0 && !skip(4)) break;  // the content checksum
    ++*frames;
  }
  if (std::ferror(f.get())) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

ZstdFileReader::~ZstdFileReader() {
  if (file_ != nullptr) std::fclose(file_);
  ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_));
}

bool ZstdFileReader::Open(const std::string& path, std::string* error) {
  path_ = path;
  if (const std::string why = NotARegularFile(path); !why.empty()) {
    *error = "cannot open " + path + ": " + why;
    return false;
  }
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  dctx_ = ZSTD_createDCtx();
  in_.resize(kReadBytes);
  out_.resize(ZSTD_DStreamOutSize());
  return true;
}

bool ZstdFileReader::Read(std::string_view* block, std::string* error) {
  *block = {};
  if (file_ == nullptr) {
    *error = path_ + ": not open";
    return false;
  }
  for (;;) {
    if (in_pos_ == in_size_ && !flush_) {
      if (eof_) break;
      in_size_ = std::fread(in_.data(), 1, in_.size(), file_);
      in_pos_ = 0;
      compressed_ += in_size_;
      if (in_size_ == 0) {
        if (std::ferror(file_)) {
          *error = "cannot read " + path_ + ": " + std::strerror(errno);
          return false;
        }
        eof_ = true;
        break;
      }
    }
    ZSTD_inBuffer in{in_.data(), in_size_, in_pos_};
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    const size_t ret = ZSTD_decompressStream(static_cast<ZSTD_DCtx*>(dctx_), &out, &in);
    if (ZSTD_isError(ret)) {
      *error = path_ + ": corrupt zstd data (" + ZSTD_getErrorName(ret) + ")";
      return false;
    }
    in_pos_ = in.pos;
    frame_left_ = ret;
    // A full output buffer may leave decoded bytes inside the context: call again without
    // new input before reading more (zstd's streaming contract).
    flush_ = out.pos == out.size;
    if (out.pos > 0) {
      *block = {out_.data(), out.pos};
      return true;
    }
  }
  if (compressed_ == 0) {
    *error = path_ + ": empty file (not zstd data)";
    return false;
  }
  if (frame_left_ != 0) {
    *error = path_ + ": truncated zstd data (the file ends inside a frame)";
    return false;
  }
  return true;
}

bool ZstdLineReader::Open(const std::string& path, std::string* error) {
  path_ = path;
  return reader_.Open(path, error);
}

bool ZstdLineReader::Next(std::string* line) {
  line->clear();
  if (done_) return false;
  for (;;) {
    const size_t nl = block_.find('\n', pos_);
    const size_t end = nl != std::string_view::npos ? nl : block_.size();
    line->append(block_.data() + pos_, end - pos_);
    pos_ = nl != std::string_view::npos ? nl + 1 : 0;
    if (nl != std::string_view::npos && line->size() <= kMaxOutputLineBytes) {
      ++line_;
      return true;
    }
    if (line->size() > kMaxOutputLineBytes) {
      // A line flowsift writes is a few KB; a 50 KB file of one 1.5 GB row was buffered whole
      // (show and export ran out of memory, exit 3, naming nothing).
      error_ = path_ + ":" + std::to_string(line_ + 1) + ": a line longer than " +
               std::to_string(kMaxOutputLineBytes >> 20) + " MiB: not a file flowsift wrote";
      done_ = true;
      line->clear();
      return false;
    }
    if (!reader_.Read(&block_, &error_)) {
      done_ = true;
      return false;
    }
    if (block_.empty()) {
      done_ = true;
      if (line->empty()) return false;
      ++line_;
      return true;
    }
  }
}

void AppendCsvField(std::string_view s, std::string& out) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

bool SplitCsvRecord(std::string_view s, std::vector<std::string>* fields) {
  size_t n = 0;  // fields filled; the vector's strings are reused across records
  size_t i = 0;
  for (;;) {
    if (fields->size() <= n) fields->emplace_back();
    std::string& f = (*fields)[n++];
    f.clear();
    if (i < s.size() && s[i] == '"') {
      for (++i;; ++i) {
        if (i >= s.size()) return false;  // unclosed quote
        if (s[i] != '"') {
          f += s[i];
        } else if (i + 1 < s.size() && s[i + 1] == '"') {
          f += '"';
          ++i;
        } else {
          ++i;
          break;
        }
      }
      if (i < s.size() && s[i] != ',') return false;
    } else {
      const size_t end = std::min(s.find(',', i), s.size());
      f.assign(s.substr(i, end - i));
      if (f.find('"') != std::string::npos) return false;
      i = end;
    }
    if (i >= s.size()) break;
    ++i;  // the comma
  }
  fields->resize(n);
  return true;
}

bool CsvTableReader::Open(const std::string& path, std::string* error) {
  if (!lines_.Open(path, error)) return false;
  if (!ReadRecord(&header_)) {
    *error = !this->error().empty() ? this->error() : path + ": empty table (no header row)";
    return false;
  }
  return true;
}

namespace {

// Where a CSV line leaves the record: at a field's start, in an unquoted field, in a quoted one
// (its newline is the field's), or just after a quote in a quoted one (its end, or the first of
// a doubled quote). RFC 4180 quotes whole fields only: a quote inside an unquoted field (x"y)
// is a character of a malformed field, which opens nothing. Counting every quote instead had
// made one stray quote join all the lines after it into one "unterminated" record.
enum class CsvState : uint8_t { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };

CsvState ScanCsv(std::string_view text, CsvState state) {
  for (const char c : text) {
    switch (state) {
      case CsvState::kFieldStart:
        state = c == '"'   ? CsvState::kQuoted
                : c == ',' ? CsvState::kFieldStart
                           : CsvState::kUnquoted;
        break;
      case CsvState::kUnquoted:
        if (c == ',') state = CsvState::kFieldStart;
        break;
      case CsvState::kQuoted:
        if (c == '"') state = CsvState::kQuoteInQuoted;
        break;
      case CsvState::kQuoteInQuoted:
        state = c == '"'   ? CsvState::kQuoted
                : c == ',' ? CsvState::kFieldStart
                           : CsvState::kUnquoted;  // text after the closing quote: malformed
        break;
    }
  }
  return state;
}

}  // namespace

bool CsvTableReader::ReadRecord(std::vector<std::string>* fields) {
  error_.clear();
  if (!lines_.Next(&record_)) return false;
  const uint64_t first = first_line_ = lines_.line_number();
  // A quoted field may hold newlines: the record goes on while a line ends inside one.
  CsvState state = ScanCsv(record_, CsvState::kFieldStart);
  while (state == CsvState::kQuoted) {
    if (!lines_.Next(&line_)) {
      if (lines_.error().empty()) {
        error_ = lines_.path() + ":" + std::to_string(first) + ": unterminated quoted field";
        open_quote_ = true;
      }
      return false;
    }
    record_ += '\n';
    record_ += line_;
    if (record_.size() > kMaxOutputLineBytes) {  // an open quote over lines and lines
      error_ = lines_.path() + ":" + std::to_string(first) + ": a row longer than " +
               std::to_string(kMaxOutputLineBytes >> 20) + " MiB: not a table flowsift wrote";
      open_quote_ = true;
      return false;
    }
    state = ScanCsv(line_, CsvState::kQuoted);
  }
  // Outside any quoted field: a trailing CR is a CRLF line end.
  if (!record_.empty() && record_.back() == '\r') record_.pop_back();
  if (!SplitCsvRecord(record_, fields)) {
    error_ = lines_.path() + ":" + std::to_string(first) + ": malformed CSV quoting";
    return false;
  }
  return true;
}

bool CsvTableReader::Next(std::vector<std::string>* fields) {
  if (!ReadRecord(fields)) return false;
  if (fields->size() != header_.size()) {
    error_ = lines_.path() + ":" + std::to_string(first_line_) + ": " +
             std::to_string(fields->size()) + " fields, the header has " +
             std::to_string(header_.size());
    return false;
  }
  return true;
}

bool JsonLinesReader::Open(const std::string& path, std::string* error) {
  return lines_.Open(path, error);
}

bool JsonLinesReader::Next(ordered_json* object) {
  error_.clear();
  while (lines_.Next(&line_)) {
    if (line_.find_first_not_of(" \t\r") == std::string::npos) continue;
    *object = ordered_json::parse(line_, nullptr, /*allow_exceptions=*/false);
    if (!object->is_object()) {
      error_ = lines_.path() + ":" + std::to_string(lines_.line_number()) +
               (object->is_discarded() ? ": not valid JSON" : ": not a JSON object");
      return false;
    }
    return true;
  }
  return false;
}

int FormatMajor(const ordered_json& v) {
  if (v.is_number_unsigned() || v.is_number_integer()) {
    const int64_t n = v.get<int64_t>();
    return n >= 0 && n < (1 << 30) ? static_cast<int>(n) : -1;
  }
  if (!v.is_string()) return -1;
  const std::string& s = v.get_ref<const std::string&>();
  const size_t dot = std::min(s.find('.'), s.size());
  if (dot == 0 || dot > 9 || s.find_first_not_of("0123456789") < dot) return -1;
  // "N.M" and no more: flowsift writes an integer (docs/outputs.md), and a third part
  // ("1.2.3", "1.2.", "1..2") is no version any flowsift wrote.
  if (dot < s.size() &&
      (dot + 1 == s.size() || s.find_first_not_of("0123456789", dot + 1) != std::string::npos)) {
    return -1;
  }
  // Numbers as JSON and semantic versions write them, without leading zeros: "01" and "1.01"
  // are no version any flowsift wrote (they were read as 1).
  if ((dot > 1 && s[0] == '0') || (s.size() > dot + 2 && s[dot + 1] == '0')) return -1;
  return std::stoi(s.substr(0, dot));
}

std::string PartOfRun(const ordered_json& manifest) {
  if (!manifest.is_object() || !manifest.contains("partial")) return {};
  const auto options = manifest.find("options");
  if (options != manifest.end() && options->is_object()) {
    const auto shard = options->find("shard");
    if (shard != options->end() && shard->is_string()) return "shard " + shard->get<std::string>();
  }
  return "a part";
}

std::string TableFramesProblem(const Summary& s, std::string_view file) {
  const auto tables = s.manifest.find("tables");
  if (tables == s.manifest.end() || !tables->is_object()) return {};
  const auto entry = tables->find(std::string(file));
  if (entry == tables->end() || !entry->is_object()) return {};
  const auto frames = entry->find("frames");
  if (frames == entry->end() || !frames->is_number_unsigned()) return {};
  uint64_t found = 0;
  std::string error;
  if (!CountZstdFrames(s.PathOf(file), &found, &error)) return {};
  const uint64_t want = frames->get<uint64_t>();
  if (found >= want) return {};
  return s.PathOf(file) + ": truncated (" + std::to_string(found) + " of the " +
         std::to_string(want) +
         " zstd frames manifest.json lists: cut short at a frame's end, its last rows missing; "
         "copy it again, or run again)";
}

SummaryStatus OpenSummary(const std::string& dir, Summary* summary, std::string* error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (!fs::exists(st)) {
    *error = dir + ": no such directory; make one with `flowsift run INPUT... -o " + dir + "`";
    return SummaryStatus::kNotFound;
  }
  const std::string how = "; give the directory that `flowsift run -o OUT` wrote";
  if (!fs::is_directory(st)) {
    *error = dir + " is not a directory" + how;
    return SummaryStatus::kNotSummary;
  }
  const fs::path manifest_path = fs::path(dir) / kManifestFile;
  if (!fs::exists(manifest_path, ec)) {
    *error = dir + " is not a flowsift output directory (it has no manifest.json)" + how;
    return SummaryStatus::kNotSummary;
  }
  if (const std::string why = NotARegularFile(manifest_path.string()); !why.empty()) {
    *error = "cannot read " + manifest_path.string() + ": " + why;
    return SummaryStatus::kCorrupt;
  }
  std::ifstream in(manifest_path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    *error = "cannot read " + manifest_path.string() + ": " + std::strerror(errno);
    return SummaryStatus::kCorrupt;
  }
  ordered_json m = ordered_json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded() || !m.is_object()) {
    *error = manifest_path.string() + ": corrupt (not a JSON object)";
    return SummaryStatus::kCorrupt;
  }
  if (m.value("tool", "") != "flowsift" || !m.contains("format_version")) {
    *error =
        manifest_path.string() + " was not written by flowsift run (no tool/format_version)" + how;
    return SummaryStatus::kNotSummary;
  }
  const int major = FormatMajor(m["format_version"]);
  if (major != kOutputFormatVersion) {
    const std::string written = m["format_version"].dump();
    const std::string by = m.contains("version") && m["version"].is_string()
                               ? " by flowsift " + m["version"].get<std::string>()
                               : "";
    *error =
        dir + " has output format version " + written + " (written" + by +
        "); this flowsift reads format version " + std::to_string(kOutputFormatVersion) +
        (major > kOutputFormatVersion ? ": read it with the flowsift that wrote it, or a newer one"
         : major < 0                  ? ": " + written +
                           " is not a format version any flowsift writes (manifest.json is "
                           "damaged or not flowsift's); re-run `flowsift run` to rewrite it"
                     : ": re-run `flowsift run` with this flowsift to rewrite it");
    return SummaryStatus::kOtherVersion;
  }
  // The values every reader walks have the types a run writes, or the manifest is corrupt,
  // said once here by key: `show` had called a null "totals" corrupt in its overview (in the
  // JSON library's words) and printed it in --as json, and listed an "inputs" of "x" as a row.
  const auto type_name = [](const ordered_json& v) -> std::string {
    return v.is_null()      ? "null"
           : v.is_string()  ? "a string"
           : v.is_number()  ? "a number"
           : v.is_boolean() ? "a boolean"
           : v.is_array()   ? "an array"
                            : "an object";
  };
  const struct {
    const char* key;
    bool array, required;
  } kShapes[] = {{"totals", false, true},      {"options", false, true},
                 {"inputs", true, true},       {"bad_line_samples", true, false},
                 {"merged_from", true, false}, {"detection", false, false}};
  for (const auto& shape : kShapes) {
    const auto it = m.find(shape.key);
    if (it == m.end() && !shape.required) continue;
    const bool ok = it != m.end() && (shape.array ? it->is_array() : it->is_object());
    bool elements_ok = true;
    if (ok && shape.array) {
      for (const ordered_json& e : *it) elements_ok = elements_ok && e.is_object();
    }
    if (!ok || !elements_ok) {
      *error = manifest_path.string() + ": corrupt (\"" + shape.key + "\" is " +
               (it == m.end() ? std::string("missing")
                : !ok         ? type_name(*it)
                              : std::string("an array with an element that is not an object")) +
               ", not " + (shape.array ? "an array of objects" : "an object") +
               "); re-run `flowsift run` to rewrite it";
      return SummaryStatus::kCorrupt;
    }
  }
  // And the values inside them that the overview reads: every total a whole number (their
  // reasons too), the window one, the version text. A string total had been "a value has the
  // wrong type" in the overview, naming no key, and nothing in the other views.
  const auto whole = [](const ordered_json& v) { return v.is_number_unsigned(); };
  std::string bad_key, wanted;
  const ordered_json* bad = nullptr;  // the value at bad_key
  for (const auto& [key, value] : m["totals"].items()) {
    if (key == "bad_lines_by_reason") {
      bool all = value.is_object();
      if (all) {
        for (const auto& [reason, n] : value.items()) all = all && whole(n);
      }
      if (!all) bad_key = "totals.bad_lines_by_reason", wanted = "an object of whole numbers";
    } else if (!whole(value)) {
      bad_key = "totals." + key, wanted = "a whole number";
    }
    if (!bad_key.empty()) {
      bad = &m["totals"][key];
      break;
    }
  }
  if (bad == nullptr && m["options"].contains("window") && !whole(m["options"]["window"])) {
    bad_key = "options.window", wanted = "a whole number", bad = &m["options"]["window"];
  }
  if (bad == nullptr && m.contains("version") && !m["version"].is_string()) {
    bad_key = "version", wanted = "a string", bad = &m["version"];
  }
  if (bad != nullptr) {
    *error = manifest_path.string() + ": corrupt (\"" + bad_key + "\" is " + type_name(*bad) +
             ", not " + wanted + "); re-run `flowsift run` to rewrite it";
    return SummaryStatus::kCorrupt;
  }
  summary->dir = dir;
  summary->manifest = std::move(m);
  return SummaryStatus::kOk;
}

}  // namespace flowsift
