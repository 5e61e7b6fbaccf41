// Issue 3's round trip: generate in every format and compression, read back through the input
// layer and the parser, and check that every record comes back identical, field by field.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "kernels/addr.h"
#include "kernels/enums.h"
#include "pipeline/generate_files.h"
#include "pipeline/input.h"
#include "pipeline/parse_chunk.h"
#include "pipeline/reader.h"
#include "tests/test_util.h"

namespace flowsift {
namespace {

using flowsift::testing::ReadFile;
using flowsift::testing::TempDir;

// The file's text by an independent path: the gzip and zstd command-line tools.
std::string Decompressed(const std::string& path, GenCompression c) {
  if (c == GenCompression::kNone) return ReadFile(path);
  const std::string cmd = (c == GenCompression::kGzip ? "gzip -dc '" : "zstd -qdc '") + path + "'";
  const flowsift::testing::CommandResult r = flowsift::testing::RunCommand(cmd);
  if (r.code != 0) ADD_FAILURE() << cmd << " failed";
  return r.out;
}

// A parsed record rendered back to text: the field values joined by single spaces.
std::string Render(const ParsedBatch& b, const Format& format, size_t row, const uint8_t* bytes) {
  std::string line;
  for (size_t i = 0; i < format.size(); ++i) {
    if (i > 0) line += ' ';
    if (format.field(i) == Field::kUnknown) {  // carried, not parsed; gen writes "-"
      line += '-';
      continue;
    }
    const Column* c = b.Find(format.field(i));
    if (c == nullptr || !c->present(row)) {
      line += c == nullptr ? "?" : "-";
      continue;
    }
    switch (c->kind) {
      case FieldKind::kString:
        line.append(reinterpret_cast<const char*>(bytes) + c->spans[row].begin,
                    c->spans[row].end - c->spans[row].begin);
        break;
      case FieldKind::kUint:
      case FieldKind::kTime:
        line += std::to_string(c->u64[row]);
        break;
      case FieldKind::kAddr:
        line += kernels::FormatAddr(c->addr[row]);
        break;
      case FieldKind::kEnum: {
        size_t count;
        line += kernels::EnumNames(InfoOf(c->field).enum_kind, &count)[c->code[row]];
        break;
      }
    }
  }
  return line;
}

struct Case {
  const char* format;
  GenCompression compression;
};

class RoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(RoundTrip, EveryRecordComesBackIdentical) {
  const Case c = GetParam();
  TempDir tmp;
  std::string error;
  const auto format = Format::Parse(c.format, &error);
  ASSERT_TRUE(format) << error;
  GenFilesOptions opt;
  opt.gen.seed = 17;
  opt.gen.records = 4000;
  opt.gen.interfaces = 20;
  opt.gen.format = *format;
  opt.dir = tmp.path().string();
  opt.compression = c.compression;
  opt.files = 2;
  const GenFilesResult gen = GenerateFiles(opt);
  ASSERT_EQ(gen.paths.size(), 2u);

  ReadOptions read;
  read.chunk_bytes = 8 << 10;  // many chunks per file
  size_t records = 0;
  for (uint32_t f = 0; f < gen.paths.size(); ++f) {
    const std::string text = Decompressed(gen.paths[f], c.compression);
    std::vector<std::string> lines;
    for (size_t pos = 0; pos < text.size();) {
      const size_t nl = text.find('\n', pos);
      lines.push_back(text.substr(pos, nl - pos));
      pos = nl == std::string::npos ? text.size() : nl + 1;
    }
    ASSERT_EQ(lines.at(0), format->HeaderLine());
    FileReader reader(f, InputFile{gen.paths[f], -1}, read);
    ParseScratch scratch;
    size_t line = 1;  // after the header
    while (std::optional<Chunk> chunk = reader.Next()) {
      ASSERT_TRUE(chunk->format != nullptr);
      ASSERT_EQ(*chunk->format, *format);
      const ParsedBatch b =
          ParseChunk(chunk->data, chunk->size, *chunk->format, AllFields(), scratch);
      ASSERT_TRUE(b.bad_lines.empty()) << gen.paths[f];
      for (size_t r = 0; r < b.rows; ++r, ++line) {
        ASSERT_LT(line, lines.size());
        ASSERT_EQ(Render(b, *format, r, chunk->data), lines[line])
            << gen.paths[f] << " line " << line + 1;
      }
      records += b.rows;
      if (chunk->last) {
        EXPECT_EQ(chunk->outcome->status, FileStatus::kOk) << chunk->outcome->message;
        EXPECT_EQ(chunk->outcome->data_bytes, text.size());
      }
    }
    EXPECT_EQ(line, lines.size()) << gen.paths[f];
  }
  EXPECT_EQ(records, gen.records);
  EXPECT_EQ(records, 4000u);
}

INSTANTIATE_TEST_SUITE_P(
    FormatsAndCompressions, RoundTrip,
    ::testing::Values(Case{"v2", GenCompression::kNone}, Case{"v2", GenCompression::kGzip},
                      Case{"v2", GenCompression::kZstd}, Case{"v3", GenCompression::kGzip},
                      Case{"v5", GenCompression::kZstd}, Case{"v8", GenCompression::kNone},
                      Case{"v11", GenCompression::kGzip}, Case{"tgw", GenCompression::kNone},
                      Case{"tgw", GenCompression::kZstd},
                      Case{"start bytes srcaddr action interface-id pkt-dstaddr custom-name",
                           GenCompression::kGzip}),
    [](const ::testing::TestParamInfo<Case>& param) {
      std::string name = param.param.format;
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      if (name.size() > 20) name = "custom";
      return name + (param.param.compression == GenCompression::kNone   ? "_plain"
                     : param.param.compression == GenCompression::kGzip ? "_gz"
                                                                        : "_zst");
    });

}  // namespace
}  // namespace flowsift
