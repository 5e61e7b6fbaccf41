// The fixture tests' shared reading of tests/fixtures (fixtures_test.cc: the AWS examples, real
// lines from issues and properties of every file; peer_fixtures_test.cc: other parsers' test
// data): a fixture's bytes, the file parsed as the reader parses it, its rows and bad lines as
// JSON, and the simplest reading of a record line to compare the rows with.
#ifndef FLOWSIFT_TESTS_PIPELINE_FIXTURE_PARSE_H_
#define FLOWSIFT_TESTS_PIPELINE_FIXTURE_PARSE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/addr.h"
#include "kernels/enums.h"
#include "kernels/types.h"
#include "pipeline/format.h"
#include "pipeline/parse_chunk.h"

namespace flowsift::fixture_test {

using nlohmann::json;

inline std::string FixturePath(std::string_view relative) {
  return std::string(FLOWSIFT_FIXTURES_DIR) + "/" + std::string(relative);
}

// The file's bytes, or nullopt when it cannot be read.
inline std::optional<std::string> TryReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string ReadFixture(std::string_view relative) {
  const std::optional<std::string> text = TryReadFile(FixturePath(relative));
  if (!text) ADD_FAILURE() << "cannot read fixture " << FixturePath(relative);
  return text.value_or("");
}

inline Format ParseFormat(std::string_view spec) {
  std::string error;
  const std::optional<Format> f = Format::Parse(spec, &error);
  if (!f) {
    ADD_FAILURE() << "Format::Parse(\"" << spec << "\"): " << error;
    return Format::Default();
  }
  return *f;
}

// Splits on runs of spaces: the simplest statement of what a field is.
inline std::vector<std::string_view> SplitRuns(std::string_view s) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) tokens.push_back(s.substr(start, i - start));
  }
  return tokens;
}

inline std::vector<std::string_view> SplitLines(std::string_view s) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == s.npos) nl = s.size();
    lines.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

inline std::string Underscored(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

inline std::string Hyphenated(std::string s) {
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

// A gtest parameter name: letters, digits and '_' only.
inline std::string TestName(std::string_view s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// "2021-03-26T03:28:12Z" -> 1616729292 (days-from-civil, proleptic Gregorian calendar).
inline int64_t Rfc3339ToEpoch(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &sec) != 6) {
    ADD_FAILURE() << "not an RFC 3339 UTC time: " << s;
    return -1;
  }
  y -= mo <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + h * 3600 + mi * 60 + sec;
}

// j[k0][k1]..., or null when a key is absent (operator[] on a const json must not miss).
inline json Path(const json& j, std::initializer_list<const char*> keys) {
  const json* at = &j;
  for (const char* k : keys) {
    if (!at->is_object() || !at->contains(k)) return nullptr;
    at = &(*at)[k];
  }
  return *at;
}

// ---------------------------------------------------------------------------------------------
// Running the parser and looking at its output.

struct Parsed {
  std::string text;  // the parsed bytes, then kPadding zero bytes; string spans point here
  Format format = Format::Default();
  bool header = false;        // the file's first line was its header (and was not parsed)
  uint32_t first_line = 0;    // file line number (0-based) of the chunk's line 0
  uint32_t first_offset = 0;  // file offset of the chunk's byte 0
  ParsedBatch batch;
};

// Parses `text` with `format`, every field wanted.
inline Parsed ParseText(const Format& format, std::string_view text, uint32_t first_line = 0,
                        uint32_t first_offset = 0, const FieldSet& wanted = AllFields()) {
  Parsed p;
  p.format = format;
  p.first_line = first_line;
  p.first_offset = first_offset;
  p.text.assign(text);
  p.text.append(kernels::kPadding, '\0');
  ParseScratch scratch;
  p.batch = ParseChunk(reinterpret_cast<const uint8_t*>(p.text.data()), text.size(), format, wanted,
                       scratch);
  return p;
}

// Parses a whole file as the reader does: a first line that is a header gives the format and
// is not parsed; otherwise `fallback` is the format and every line is data.
inline Parsed ParseFile(std::string_view file, const Format& fallback,
                        const FieldSet& wanted = AllFields()) {
  const size_t nl = file.find('\n');
  const std::string_view first = file.substr(0, nl);
  if (const std::optional<Format> header = Format::FromHeaderLine(first)) {
    const size_t rest = nl == file.npos ? file.size() : nl + 1;
    Parsed p = ParseText(*header, file.substr(rest), 1, static_cast<uint32_t>(rest), wanted);
    p.header = true;
    return p;
  }
  return ParseText(fallback, file, 0, 0, wanted);
}

// One value as JSON: integers and times as numbers, addresses in FormatAddr's text, enums as
// their spelling, strings as written; "-" (kMissing) is null.
inline json ValueOf(const Parsed& p, const Column& c, size_t r) {
  if (r >= c.status.size()) return "<no row " + std::to_string(r) + ">";
  if (c.status[r] == kernels::FieldStatus::kMissing) return nullptr;
  if (c.status[r] != kernels::FieldStatus::kOk) {
    return "<status " + std::to_string(static_cast<int>(c.status[r])) + ">";
  }
  switch (c.kind) {
    case FieldKind::kUint:
    case FieldKind::kTime:
      return c.u64[r];
    case FieldKind::kAddr:
      return kernels::FormatAddr(c.addr[r]);
    case FieldKind::kEnum: {
      size_t count = 0;
      const std::string_view* names = kernels::EnumNames(InfoOf(c.field).enum_kind, &count);
      if (c.code[r] >= count) return "<code " + std::to_string(c.code[r]) + ">";
      return std::string(names[c.code[r]]);
    }
    case FieldKind::kString:
      return p.text.substr(c.spans[r].begin, c.spans[r].end - c.spans[r].begin);
  }
  return "<kind?>";
}

// Row r as {field name: value}; a field of the format whose value is "-" maps to null.
inline json Row(const Parsed& p, size_t r) {
  json row = json::object();
  for (const Column& c : p.batch.columns) row[std::string(InfoOf(c.field).name)] = ValueOf(p, c, r);
  return row;
}

// The bad lines as "line N: reason" with 1-based file line numbers.
inline std::vector<std::string> BadLines(const Parsed& p) {
  std::vector<std::string> out;
  for (const BadLine& b : p.batch.bad_lines) {
    out.push_back("line " + std::to_string(p.first_line + b.line + 1) + ": " +
                  std::string(LineErrorName(b.reason)));
  }
  return out;
}

// A summary for failure messages.
inline std::string Describe(const Parsed& p) {
  std::string s = "rows=" + std::to_string(p.batch.rows) +
                  " lines=" + std::to_string(p.batch.lines) +
                  " header_lines=" + std::to_string(p.batch.header_lines) +
                  " blank_lines=" + std::to_string(p.batch.blank_lines) + " bad=[";
  for (const std::string& b : BadLines(p)) s += b + "; ";
  s += "] format=\"" + p.format.HeaderLine() + "\"";
  if (p.batch.rows > 0) s += " row0=" + Row(p, 0).dump();
  return s;
}

// Every key of `expected` against the same key of `got`. A null expected value means the field
// must be "-"; a key that `got` lacks (not in the format) fails.
inline void ExpectFields(const json& got, const json& expected, const std::string& where) {
  for (const auto& [key, want] : expected.items()) {
    if (!got.contains(key)) {
      ADD_FAILURE() << where << ": field '" << key << "' is not a column of the parsed format";
      continue;
    }
    EXPECT_EQ(got[key], want) << where << ": field '" << key << "'";
  }
}

// Expected values written as JSON text, e.g. J(R"({"srcport": 0, "action": null})").
inline json J(const char* text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) ADD_FAILURE() << "bad JSON in the test: " << text;
  return j;
}

// What the simplest reading of a record line gives, per field of `format`: split on runs of
// spaces, "-" is null, integers as numbers (13-digit milliseconds / 1000), the rest as written.
// Fixture addresses are written canonically, so they equal FormatAddr's text.
inline json ReferenceRow(const Format& format, std::string_view line) {
  const std::vector<std::string_view> tokens = SplitRuns(line);
  json row = json::object();
  if (tokens.size() != format.size()) return {{"<token count>", tokens.size()}};
  for (size_t i = 0; i < format.size(); ++i) {
    const Field f = format.field(i);
    if (f == Field::kUnknown || row.contains(format.name(i))) continue;
    const std::string t(tokens[i]);
    if (t == "-") {
      row[format.name(i)] = nullptr;
      continue;
    }
    const FieldKind kind = InfoOf(f).kind;
    const bool digits = !t.empty() && t.find_first_not_of("0123456789") == t.npos;
    if ((kind == FieldKind::kUint || kind == FieldKind::kTime) && digits && t.size() < 20) {
      uint64_t v = std::stoull(t);
      if (kind == FieldKind::kTime && t.size() == 13) v /= 1000;
      row[format.name(i)] = v;
    } else {
      row[format.name(i)] = t;
    }
  }
  return row;
}

// Every record of a fixture that has no bad lines: rows pair with the non-blank, non-header
// lines in order, and every field equals ReferenceRow's.
inline void ExpectRowsMatchReference(const Parsed& p, const std::string& where) {
  const std::string_view parsed(p.text.data(), p.text.size() - kernels::kPadding);
  size_t r = 0;
  uint32_t line_no = p.first_line;
  for (std::string_view line : SplitLines(parsed)) {
    ++line_no;
    if (SplitRuns(line).empty() || Format::FromHeaderLine(line)) continue;
    if (r >= p.batch.rows) {
      ADD_FAILURE() << where << ": line " << line_no << " gave no record; " << Describe(p);
      return;
    }
    ExpectFields(Row(p, r), ReferenceRow(p.format, line),
                 where + " line " + std::to_string(line_no) + " (row " + std::to_string(r) + ")");
    ++r;
  }
  EXPECT_EQ(r, p.batch.rows) << where << ": more rows than record lines";
}
// ---------------------------------------------------------------------------------------------
// peers/elastic-integrations/ (peer_fixtures_test.cc), whose files every-file tests read too.

struct IntegrationsFile {
  const char* file;
  const char* layout;  // Format::Parse preset used when the file has no header
  size_t rows;
  size_t bad;
  uint32_t header_lines;  // header lines repeated inside the data
  bool header;            // the first line is a header
};

inline const IntegrationsFile kIntegrationsFiles[] = {
    {"test-extra-samples.log", "v2", 7, 0, 0, false},
    {"test-with-message-field.log", "v2", 0, 1, 0, false},
    {"test-tcp-flag-sequence.log", "v3", 3, 0, 2, true},
    {"test-v5-all-fields.log", "v5", 1, 0, 0, false},
    {"test-tgw-samples.log", "tgw", 10, 0, 0, false},
    {"test-ecs-samples.log", "v7", 10, 0, 0, false},
    {"test-v8-samples.log", "v8", 1, 0, 0, false},
};

inline void PrintTo(const IntegrationsFile& f, std::ostream* os) { *os << f.file; }

}  // namespace flowsift::fixture_test

#endif  // FLOWSIFT_TESTS_PIPELINE_FIXTURE_PARSE_H_
