#include "pipeline/parse_chunk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "kernels/addr.h"
#include "kernels/enums.h"
#include "tests/batch_diff.h"

namespace flowsift {
namespace {

using kernels::FieldStatus;

struct Parsed {
  std::string text;  // owns the bytes the batch's spans point into
  ParsedBatch batch;
  std::string Str(Field f, size_t row) const {
    const kernels::FieldSpan s = batch.Find(f)->spans[row];
    return text.substr(s.begin, s.end - s.begin);
  }
  uint64_t U64(Field f, size_t row) const { return batch.Find(f)->u64[row]; }
};

Parsed Parse(std::string text, const Format& format = Format::Default(),
             const FieldSet& wanted = AllFields()) {
  Parsed p;
  p.text = std::move(text);
  const size_t size = p.text.size();
  p.text.append(kernels::kPadding, '\0');
  ParseScratch scratch;
  p.batch =
      ParseChunk(reinterpret_cast<const uint8_t*>(p.text.data()), size, format, wanted, scratch);
  return p;
}

const char kLine1[] =
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
    "1418530010 1418530070 ACCEPT OK";
const char kLine2[] =
    "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 "
    "1418530010 1418530070 REJECT OK";
const char kNoData[] =
    "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA";

TEST(ParseChunk, DefaultFormatRecords) {
  const Parsed p = Parse(std::string(kLine1) + "\n" + kLine2 + "\n" + kNoData + "\n");
  const ParsedBatch& b = p.batch;
  ASSERT_EQ(b.rows, 3u);
  EXPECT_EQ(b.lines, 3u);
  EXPECT_TRUE(b.bad_lines.empty());
  EXPECT_EQ(b.columns.size(), 14u);
  EXPECT_EQ(p.Str(Field::kAccountId, 0), "123456789010");
  EXPECT_EQ(p.Str(Field::kInterfaceId, 1), "eni-1235b8ca123456789");
  EXPECT_EQ(kernels::FormatAddr(b.Find(Field::kSrcAddr)->addr[1]), "172.31.9.69");
  EXPECT_EQ(p.U64(Field::kDstPort, 1), 3389u);
  EXPECT_EQ(p.U64(Field::kBytes, 0), 4249u);
  EXPECT_EQ(p.U64(Field::kStart, 2), 1431280876u);
  EXPECT_EQ(b.Find(Field::kAction)->code[1], static_cast<uint8_t>(kernels::Action::kReject));
  EXPECT_EQ(b.Find(Field::kLogStatus)->code[2], static_cast<uint8_t>(kernels::LogStatus::kNoData));
  EXPECT_FALSE(b.Find(Field::kSrcAddr)->present(2));
  EXPECT_FALSE(b.Find(Field::kBytes)->present(2));
  EXPECT_TRUE(b.Find(Field::kEnd)->present(2));
  EXPECT_EQ(b.Find(Field::kAction)->status[2], FieldStatus::kMissing);
}

TEST(ParseChunk, OnlyWantedColumnsAreMaterialised) {
  FieldSet wanted;
  wanted.set(static_cast<size_t>(Field::kBytes)).set(static_cast<size_t>(Field::kTcpFlags));
  const Parsed p = Parse(std::string(kLine1) + "\n", Format::Default(), wanted);
  ASSERT_EQ(p.batch.columns.size(), 1u);  // tcp-flags is not in the default format
  EXPECT_EQ(p.batch.Find(Field::kBytes)->u64[0], 4249u);
  EXPECT_EQ(p.batch.Find(Field::kTcpFlags), nullptr);
}

TEST(ParseChunk, SlowPathAcceptsRunsOfSpacesTrailingSpaceAndCr) {
  std::string a = kLine1, b = kLine2;
  a.replace(a.find(" 20641"), 1, "   ");
  const Parsed p = Parse(" " + a + " \r\n" + b + "\r\n" + std::string(kNoData) + "  ");
  ASSERT_EQ(p.batch.rows, 3u);
  EXPECT_TRUE(p.batch.bad_lines.empty());
  EXPECT_EQ(p.U64(Field::kSrcPort, 0), 20641u);
  EXPECT_EQ(p.Str(Field::kAccountId, 1), "123456789010");
  EXPECT_EQ(p.batch.Find(Field::kLogStatus)->code[1],
            static_cast<uint8_t>(kernels::LogStatus::kOk));
  EXPECT_EQ(p.U64(Field::kEnd, 2), 1431280934u);
}

TEST(ParseChunk, LastLineWithoutNewlineAndBlankLines) {
  const Parsed p = Parse(std::string("\n\n") + kLine1 + "\n\n" + kLine2);
  EXPECT_EQ(p.batch.rows, 2u);
  EXPECT_EQ(p.batch.blank_lines, 3u);
  EXPECT_EQ(p.batch.lines, 5u);
  EXPECT_TRUE(p.batch.bad_lines.empty());
}

TEST(ParseChunk, BadLinesAreCountedWithLineAndOffsetAndTheRestIsKept) {
  std::string few = kLine1;
  few.resize(few.rfind(' '));  // 13 fields
  std::string many = std::string(kLine1) + " extra";
  std::string bad_int = kLine1;
  bad_int.replace(bad_int.find(" 4249 "), 6, " 42x9 ");
  std::string overflow = kLine1;
  overflow.replace(overflow.find(" 20641 "), 7, " 70000 ");
  std::string bad_addr = kLine1;
  bad_addr.replace(bad_addr.find("172.31.16.139"), 13, "172.31.16.256");
  std::string bad_enum = kLine1;
  bad_enum.replace(bad_enum.find("ACCEPT"), 6, "accept");
  std::string utf8 = kLine1;
  utf8.replace(utf8.find("eni-"), 4, "eni\xff");
  std::string ctrl = kLine1;
  ctrl.replace(ctrl.find(" 22 "), 1, "\t");
  std::string good_utf8 = kLine1;
  good_utf8.replace(good_utf8.find("eni-"), 4, "eni\xD0\xB1");  // Cyrillic, valid UTF-8
  const std::string lines[] = {few,      kLine2, many, bad_int,   overflow, bad_addr,
                               bad_enum, utf8,   ctrl, good_utf8, kLine2};
  std::string text;
  std::vector<uint32_t> offsets;
  for (const std::string& l : lines) {
    offsets.push_back(static_cast<uint32_t>(text.size()));
    text += l + "\n";
  }
  const Parsed p = Parse(text);
  const LineError want[] = {LineError::kTooFewFields, LineError::kTooManyFields,
                            LineError::kBadInteger,   LineError::kIntegerOverflow,
                            LineError::kBadAddress,   LineError::kBadEnum,
                            LineError::kInvalidUtf8,  LineError::kControlCharacter};
  const uint32_t want_line[] = {0, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_EQ(p.batch.bad_lines.size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(p.batch.bad_lines[i].reason, want[i]) << LineErrorName(want[i]);
    EXPECT_EQ(p.batch.bad_lines[i].line, want_line[i]);
    EXPECT_EQ(p.batch.bad_lines[i].offset, offsets[want_line[i]]);
  }
  ASSERT_EQ(p.batch.rows, 3u);
  EXPECT_EQ(p.Str(Field::kInterfaceId, 1),
            "eni\xD0\xB1"
            "1235b8ca123456789");
  EXPECT_EQ(p.U64(Field::kDstPort, 2), 3389u);
  EXPECT_EQ(p.batch.Find(Field::kBytes)->u64.size(), 3u);
}

// packets and bytes are AWS's INT_64: 2^63 - 1 is a value, 2^63 an integer_overflow bad line
// (so no sum of them can wrap: pipeline/saturating.h). Times keep the unsigned range.
TEST(ParseChunk, CountersAreSignedSixtyFourBitValues) {
  auto with = [](const std::string& packets, const std::string& bytes) {
    std::string line = kLine1;
    line.replace(line.find(" 20 4249 "), 9, " " + packets + " " + bytes + " ");
    return line + "\n";
  };
  const Parsed p =
      Parse(with("9223372036854775807", "9223372036854775807") + with("9223372036854775808", "1") +
            with("1", "9223372036854775808") + with("1", "18446744073709551614") + with("0", "0") +
            "2 123456789010 eni-1 - - - - - - - 253402300799999 253402300799999 - NODATA\n"
            // Past the last millisecond of the year 9999 (kMaxTime): the year 584 million was
            // a record, which the SIEM exports wrote with an end before its start.
            "2 123456789010 eni-1 - - - - - - - 18446744073709551614 "
            "18446744073709551614 - NODATA\n");
  ASSERT_EQ(p.batch.rows, 3u);
  EXPECT_EQ(p.U64(Field::kPackets, 0), uint64_t{INT64_MAX});
  EXPECT_EQ(p.U64(Field::kBytes, 0), uint64_t{INT64_MAX});
  EXPECT_EQ(p.U64(Field::kBytes, 1), 0u);
  EXPECT_EQ(p.U64(Field::kStart, 2), 253402300799u);  // milliseconds: 9999-12-31T23:59:59Z
  ASSERT_EQ(p.batch.bad_lines.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(p.batch.bad_lines[i].reason, LineError::kIntegerOverflow);
    EXPECT_EQ(p.batch.bad_lines[i].line, i < 3 ? i + 1 : 6);
  }
}

// A chunk keeps the first kBadLinesKeptPerReason bad lines of each reason, in line order, and
// counts them all: 5,000 short garbage lines with bad integers and bad addresses among them.
TEST(ParseChunk, BadLinesKeptAreTheFirstOfEachReasonAndAllAreCounted) {
  std::string bad_int = kLine1, bad_addr = kLine1;
  bad_int.replace(bad_int.find(" 4249 "), 6, " 42x9 ");
  bad_addr.replace(bad_addr.find("172.31.16.139"), 13, "172.31.16.256");
  std::string text;
  std::map<LineError, std::vector<uint32_t>> want;
  uint32_t records = 0;
  for (uint32_t i = 0; i < 5000; ++i) {
    if (i % 7 == 3) {
      text += bad_int + "\n";
      want[LineError::kBadInteger].push_back(i);
    } else if (i % 11 == 5) {
      text += bad_addr + "\n";
      want[LineError::kBadAddress].push_back(i);
    } else if (i % 13 == 0) {
      text += std::string(kLine2) + "\n";
      ++records;
    } else {
      text += "x\n";
      want[LineError::kTooFewFields].push_back(i);
    }
  }
  const Parsed p = Parse(text);
  EXPECT_EQ(p.batch.rows, records);
  std::vector<BadLine> kept;
  for (auto& [reason, lines] : want) {
    EXPECT_EQ(p.batch.bad_by_reason[static_cast<size_t>(reason)], lines.size());
    for (size_t k = 0; k < std::min(lines.size(), kBadLinesKeptPerReason); ++k) {
      kept.push_back({lines[k], 0, reason});
    }
  }
  EXPECT_EQ(p.batch.BadLineCount() + records, 5000u);
  std::sort(kept.begin(), kept.end(),
            [](const BadLine& a, const BadLine& b) { return a.line < b.line; });
  ASSERT_EQ(p.batch.bad_lines.size(), kept.size());
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(p.batch.bad_lines[i].line, kept[i].line) << i;
    EXPECT_EQ(p.batch.bad_lines[i].reason, kept[i].reason) << i;
  }
}

TEST(ParseChunk, RepeatedHeaderLinesAreSkippedNotBad) {
  const Format f = Format::Default();
  const Parsed p = Parse(f.HeaderLine() + "\n" + kLine1 + "\n" + f.HeaderLine() + "\n" + kLine2 +
                         "\n" + "version srcaddr dstaddr\n");
  EXPECT_EQ(p.batch.rows, 2u);
  EXPECT_EQ(p.batch.header_lines, 3u);
  EXPECT_TRUE(p.batch.bad_lines.empty());
}

TEST(ParseChunk, MillisecondTimestampsBecomeSeconds) {
  const Parsed p =
      Parse("2 123456789010 eni-1 - - - - - - - 1512564058000 1512564059000 - SKIPDATA\n");
  ASSERT_EQ(p.batch.rows, 1u);
  EXPECT_EQ(p.U64(Field::kStart, 0), 1512564058u);
  EXPECT_EQ(p.U64(Field::kEnd, 0), 1512564059u);
}

// Seconds and milliseconds mixed in one block: only the values at or above 10^11 are divided,
// wherever they sit among the others (the block is checked as a whole first). Two texts: one
// with a millisecond record among seconds, one whose only such value is 10^11 itself.
TEST(ParseChunk, MillisecondValuesAmongSecondsInOneBlock) {
  for (const int special : {313, 401}) {
    std::mt19937_64 rng(5);
    std::string text;
    std::vector<std::pair<uint64_t, uint64_t>> want;  // (start, end) in seconds
    for (int i = 0; i < 600; ++i) {
      uint64_t start = 1700000000 + rng() % 100000, end = start + 60;
      std::string start_text = std::to_string(start), end_text = std::to_string(end);
      if (i == special && special == 313) {  // milliseconds
        start_text += "123";
        end_text += "999";
      } else if (i == special) {  // the largest value kept as seconds, the smallest divided
        start = 99999999999;
        end = 100000000;
        start_text = "99999999999";
        end_text = "100000000000";
      }
      text += "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 " + start_text + " " + end_text +
              " ACCEPT OK\n";
      want.emplace_back(start, end);
    }
    const Parsed p = Parse(text);
    ASSERT_EQ(p.batch.rows, want.size());
    for (size_t r = 0; r < want.size(); ++r) {
      EXPECT_EQ(p.U64(Field::kStart, r), want[r].first) << special << " " << r;
      EXPECT_EQ(p.U64(Field::kEnd, r), want[r].second) << special << " " << r;
    }
  }
}

TEST(ParseChunk, LongLinesAreRejectedAndParsingResumes) {
  const std::string huge(kMaxLineBytes * 3 + 17, 'x');
  const Parsed p = Parse(std::string(kLine1) + "\n" + huge + "\n" + kLine2 + "\n" + huge);
  EXPECT_EQ(p.batch.rows, 2u);
  ASSERT_EQ(p.batch.bad_lines.size(), 2u);
  EXPECT_EQ(p.batch.bad_lines[0].reason, LineError::kLineTooLong);
  EXPECT_EQ(p.batch.bad_lines[0].line, 1u);
  EXPECT_EQ(p.batch.bad_lines[1].line, 3u);
  EXPECT_EQ(p.U64(Field::kDstPort, 1), 3389u);
}

TEST(ParseChunk, CustomOrderAndIPv6) {
  std::string error;
  const auto f = Format::Parse("srcaddr dstaddr action bytes tcp-flags type future", &error);
  ASSERT_TRUE(f);
  const Parsed p = Parse(
      "2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 ACCEPT "
      "608 19 IPv6 whatever\n",
      *f);
  ASSERT_EQ(p.batch.rows, 1u);
  EXPECT_EQ(kernels::FormatAddr(p.batch.Find(Field::kSrcAddr)->addr[0]),
            "2001:db8:1234:a100:8d6e:3477:df66:f105");
  EXPECT_EQ(p.U64(Field::kTcpFlags, 0), 19u);
  EXPECT_EQ(p.batch.Find(Field::kType)->code[0], static_cast<uint8_t>(kernels::AddrType::kIPv6));
}

// Blocks are 64 KiB: records straddling block boundaries, in every position, parse the same as
// when each line is parsed alone. Lines for the slow path (trailing spaces and '\r', runs of
// spaces) come alone and in runs among the simple ones, so a block's rows alternate between
// runs read from the delimiter index and runs the byte loop split: every field of every row
// must come from its own line.
TEST(ParseChunk, ManyLinesAcrossBlocksMatchLineByLine) {
  std::mt19937_64 rng(31);
  std::string text;
  size_t expected_rows = 0;
  size_t slow_run = 0;
  std::vector<std::string> accounts;  // field 1, a string column: "-" is missing
  while (text.size() < 3 * kMaxLineBytes) {
    // Fields 1 (account), 2 (interface), 5 (srcport), 9 (bytes) and 11 (end) vary from line to
    // line.
    std::vector<std::string> fields;
    std::istringstream words(rng() % 2 ? kLine1 : kLine2);
    for (std::string w; words >> w;) fields.push_back(w);
    const char* const kAccounts[] = {"-", "x", "--", "-1", "0123456789012"};
    fields[1] = kAccounts[rng() % 5];
    accounts.push_back(fields[1]);
    fields[2] = "eni-1235b8ca" + std::to_string(100000000 + rng() % 900000000);
    fields[5] = std::to_string(rng() % 65536);
    fields[9] = std::to_string(rng() % 100000000);
    fields[11] = std::to_string(1418530070 + rng() % 1000);
    std::string line = fields[0];
    for (size_t i = 1; i < fields.size(); ++i) line += " " + fields[i];
    if (slow_run == 0 && rng() % 10 == 0) slow_run = 1 + rng() % 4;
    if (slow_run > 0) {
      --slow_run;
      if (rng() % 2) {
        line += "  \r";
      } else {
        line.replace(line.find(' '), 1, "   ");
      }
    }
    text += line + "\n";
    ++expected_rows;
  }
  const Parsed p = Parse(text);
  EXPECT_EQ(p.batch.rows, expected_rows);
  EXPECT_TRUE(p.batch.bad_lines.empty());
  size_t row = 0, pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    const std::string line = text.substr(pos, nl - pos);
    const Parsed one = Parse(line);
    ASSERT_EQ(one.batch.rows, 1u);
    ASSERT_EQ(p.U64(Field::kBytes, row), one.U64(Field::kBytes, 0)) << row;
    ASSERT_EQ(p.U64(Field::kSrcPort, row), one.U64(Field::kSrcPort, 0)) << row;
    ASSERT_EQ(p.U64(Field::kEnd, row), one.U64(Field::kEnd, 0)) << row;
    ASSERT_EQ(p.Str(Field::kInterfaceId, row), one.Str(Field::kInterfaceId, 0)) << row;
    ASSERT_EQ(p.Str(Field::kAccountId, row), accounts[row]) << row;
    ASSERT_EQ(p.batch.Find(Field::kAccountId)->status[row],
              accounts[row] == "-" ? FieldStatus::kMissing : FieldStatus::kOk)
        << row;
    ASSERT_EQ(p.batch.Find(Field::kSrcAddr)->addr[row], one.batch.Find(Field::kSrcAddr)->addr[0])
        << row;
    ASSERT_EQ(p.batch.Find(Field::kAction)->code[row], one.batch.Find(Field::kAction)->code[0])
        << row;
    ++row;
    pos = nl + 1;
  }
}

// Interface ids are interned: equal texts get equal chunk-local ids, every dict entry is a
// distinct text, ids stay aligned with rows when bad lines are dropped, and the tables grow
// past their first size (more than 128 names) across 64 KiB blocks. Names of 1 to 40 bytes:
// short ones (up to 24, interned by their masked words) and long ones (by their text), names
// that differ only in their last byte or only past byte 24, names sharing their last 8
// bytes, each followed by varying bytes (the next field), which no key may take in. Ids go to
// names in the order of their first rows, also when a block's new names repeat in it.
TEST(ParseChunk, InterfaceIdsAreInternedPerChunk) {
  std::mt19937_64 rng(7);
  std::string text;
  std::vector<std::string> expected;  // the interface of each good row
  const std::string base = "eni-0123456789abcdef0123456789abcdef0123";  // 40 bytes
  while (text.size() < 3 * kMaxLineBytes) {
    if (rng() % 50 == 0) {
      text += "2 123 eni-bad 1.2.3.4 5.6.7.8 1 2 6 not-a-number 1 1 2 ACCEPT OK\n";
      continue;
    }
    const uint64_t k = rng() % 400;
    std::string name;
    if (k < 20) {
      name = "e" + std::to_string(k);
    } else if (k < 40) {
      name = "eni-" + std::to_string(k) + "aaaaaaaaaaaaaaaa";
    } else if (k < 120) {  // prefixes of every length, each also with its last byte changed
      name = base.substr(0, 1 + (k - 40) / 2);
      if (k % 2 == 1) name.back() = 'z';
    } else if (k < 140) {  // 25-40 bytes differing only after byte 24
      name = base.substr(0, 25 + (k - 120) % 16) + std::to_string(k);
    } else {
      name = "eni-" + std::to_string(1000000 + k * 7919);
    }
    const std::string src = "10." + std::to_string(rng() % 256) + ".2.3";
    text += "2 123 " + name + " " + src + " 5.6.7.8 1 2 6 3 4 1 2 ACCEPT OK\n";
    expected.push_back(name);
  }
  const Parsed p = Parse(text);
  ASSERT_EQ(p.batch.rows, expected.size());
  const Column* c = p.batch.Find(Field::kInterfaceId);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->ids.size(), expected.size());
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(p.text.data());
  std::map<std::string, uint32_t> id_of;
  std::map<uint32_t, size_t> first_row;  // by id
  for (size_t r = 0; r < expected.size(); ++r) {
    ASSERT_LT(c->ids[r], c->dict.size()) << r;
    first_row.emplace(c->ids[r], r);
    EXPECT_EQ(LocalText(c, c->ids[r], bytes), expected[r]) << r;
    EXPECT_EQ(p.Str(Field::kInterfaceId, r), expected[r]) << r;
    const auto [it, inserted] = id_of.emplace(expected[r], c->ids[r]);
    EXPECT_EQ(it->second, c->ids[r]) << "one text, two ids: " << expected[r];
  }
  // Ids go in the order of their texts' first rows (a dropped row's text may hold an id between).
  size_t last_first = 0;
  for (const auto& [id, row] : first_row) {
    if (id != first_row.begin()->first) {
      EXPECT_GT(row, last_first) << "id " << id;
    }
    last_first = row;
  }
  std::set<std::string_view> texts;
  ASSERT_EQ(c->dict_keys.size(), c->dict.size());
  for (uint32_t local = 0; local < c->dict.size(); ++local) {
    const std::string_view name = LocalText(c, local, bytes);
    EXPECT_TRUE(texts.insert(name).second) << "two ids, one text";
    // Its key: the hash, the length and a short name's bytes, zero after them.
    const NameKey& key = c->dict_keys[local];
    EXPECT_EQ(key.hash, HashName(name)) << name;
    if (name.size() <= kInlineNameBytes) {
      EXPECT_EQ(key.length, name.size()) << name;
      EXPECT_EQ(std::string_view(key.text, name.size()), name);
      for (size_t i = name.size(); i < kInlineNameBytes; ++i) EXPECT_EQ(key.text[i], 0) << name;
    } else {
      EXPECT_EQ(key.length, kLongName) << name;
    }
  }
  EXPECT_GT(c->dict.size(), 128u);
  EXPECT_TRUE(texts.count("eni-bad")) << "a bad row's value may be in dict, unused";
  // Uninterned string columns have no ids.
  EXPECT_TRUE(p.batch.Find(Field::kAccountId)->ids.empty());
}

// The table of long names (over 24 bytes) holds every dict id, short names' too, so when the
// first long name comes after hundreds of short ones, or many short ones came between two
// long ones, the table grows to fit them all at once: it doubled once, and 300 short names
// then a long one filled its 256 slots and the insert probed forever (a v2 file with a
// Transit Gateway attachment id, or a column shifted by a foreign line, hung the run).
TEST(ParseChunk, ALongNameAfterManyShortOnesIsInterned) {
  std::string text;
  std::vector<std::string> expected;
  const auto add = [&](const std::string& name) {
    text += "2 123 " + name + " 1.2.3.4 5.6.7.8 1 2 6 3 4 1 2 ACCEPT OK\n";
    expected.push_back(name);
  };
  for (int i = 0; i < 300; ++i) add("eni-" + std::to_string(100000 + i));
  add("tgw-attach-0123456789abcdef0");
  for (int i = 300; i < 2000; ++i) add("eni-" + std::to_string(100000 + i));
  add("tgw-attach-0123456789abcdef1");
  add("tgw-attach-0123456789abcdef0");
  const Parsed p = Parse(text);
  ASSERT_EQ(p.batch.rows, expected.size());
  const Column* c = p.batch.Find(Field::kInterfaceId);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->dict.size(), 2002u);
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(p.text.data());
  for (size_t r = 0; r < expected.size(); ++r) {
    ASSERT_EQ(LocalText(c, c->ids[r], bytes), expected[r]) << r;
  }
  EXPECT_EQ(c->ids[300], c->ids[2002]);
}

// A run parses each chunk into the storage of a batch it is done with (and reuses the
// scratch's check-only columns): the result equals a fresh parse, whatever the recycled batch
// held: more rows, bad lines, another format, other wanted fields.
TEST(ParseChunk, RecycledBatchParsesLikeAFreshOne) {
  std::mt19937_64 rng(5);
  const auto make_text = [&](size_t bytes, bool with_bad) {
    std::string text;
    while (text.size() < bytes) {
      std::string line = rng() % 2 ? kLine1 : kLine2;
      line.replace(line.find("4249"), 4, std::to_string(rng() % 100000000));
      line.replace(line.find("eni-1235b8ca"), 12, "eni-" + std::to_string(rng() % 40 + 10000000));
      if (with_bad && rng() % 20 == 0) line += " extra";
      text += line + "\n";
    }
    return text;
  };
  const auto parse_into = [](const std::string& text, const Format& format, const FieldSet& wanted,
                             ParseScratch& scratch, ParsedBatch recycled) {
    return ParseChunk(reinterpret_cast<const uint8_t*>(text.data()),
                      text.size() - kernels::kPadding, format, wanted, scratch,
                      std::move(recycled));
  };
  const auto padded = [](std::string s) { return s.append(kernels::kPadding, '\0'); };
  const std::string big = padded(make_text(3 * kMaxLineBytes, true));
  const std::string small = padded(make_text(kMaxLineBytes / 2, false));
  std::string error;
  const auto custom = Format::Parse("srcaddr dstaddr action bytes packets start", &error);
  ASSERT_TRUE(custom);
  const std::string other = padded(
      "10.0.0.1 10.0.0.2 ACCEPT 100 1 1418530010\n10.0.0.3 - REJECT 5 2 1418530070\n"
      "10.0.0.4 10.0.0.5 MAYBE 1 1 1\n");
  FieldSet some;
  some.set(static_cast<size_t>(Field::kBytes));
  some.set(static_cast<size_t>(Field::kInterfaceId));

  ParseScratch scratch;
  ParsedBatch batch = parse_into(big, Format::Default(), AllFields(), scratch, ParsedBatch());
  ASSERT_GT(batch.bad_lines.size(), 0u);
  const auto step = [&](const std::string& text, const Format& format, const FieldSet& wanted) {
    ParseScratch fresh_scratch;
    const ParsedBatch fresh = parse_into(text, format, wanted, fresh_scratch, ParsedBatch());
    batch = parse_into(text, format, wanted, scratch, std::move(batch));
    EXPECT_EQ(flowsift::testing::BatchDifference(batch, fresh), "");
  };
  step(small, Format::Default(), AllFields());
  step(big, Format::Default(), AllFields());
  step(other, *custom, AllFields());
  step(big, Format::Default(), some);  // typed fields checked only, in the scratch's columns
  step(small, Format::Default(), AllFields());
  step(big, Format::Default(), AllFields());
}

// A run's chunks differ by a percent or two in rows: a recycled batch whose columns hold the
// last chunk's rows keeps them (no new memory, which a run pays for in page faults) when the
// next chunk has a few more, as ReserveColumns rounds its estimate up.
TEST(ParseChunk, RecycledBatchKeepsItsColumnsForAChunkWithAFewMoreRows) {
  const auto make_text = [](size_t bytes, const std::string& packets) {
    std::string text, line = kLine1;
    line.replace(line.find(" 20 "), 4, " " + packets + " ");
    while (text.size() + line.size() + 1 <= bytes) text += line + "\n";
    return text.append(kernels::kPadding, '\0');
  };
  // The same bytes, lines two bytes shorter in the second: ~1.6% more rows.
  const std::string longer = make_text(4 * kMaxLineBytes, "2000");
  const std::string shorter = make_text(4 * kMaxLineBytes, "20");
  const auto parse_into = [](const std::string& text, ParseScratch& scratch, ParsedBatch recycled) {
    return ParseChunk(reinterpret_cast<const uint8_t*>(text.data()),
                      text.size() - kernels::kPadding, Format::Default(), AllFields(), scratch,
                      std::move(recycled));
  };
  ParseScratch scratch;
  ParsedBatch batch = parse_into(longer, scratch, ParsedBatch());
  const size_t rows_before = batch.rows;
  std::vector<const void*> storage;
  for (const Column& c : batch.columns) storage.push_back(c.status.data());
  batch = parse_into(shorter, scratch, std::move(batch));
  EXPECT_GT(batch.rows, rows_before + rows_before / 100);
  ASSERT_EQ(batch.columns.size(), storage.size());
  for (size_t k = 0; k < storage.size(); ++k) {
    EXPECT_EQ(batch.columns[k].status.data(), storage[k]) << "column " << k << " moved";
  }
}

// A consumer's LocalIdMap looks each local id up once per batch (Reset with the same batch
// keeps them; another batch starts over), and an absent column is the text "-".
TEST(ParseChunk, LocalIdMapLooksUpEachValueOncePerBatch) {
  const Parsed p = Parse(std::string(kLine1) + "\n" + kLine2 + "\n" + kLine1 + "\n");
  const Parsed q = Parse(std::string(kLine2) + "\n");
  EXPECT_NE(p.batch.serial, q.batch.serial);
  const Column* c = p.batch.Find(Field::kInterfaceId);
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(p.text.data());
  LocalIdMap map;
  int lookups = 0;
  const auto lookup = [&](std::string_view text, const NameKey& key) {
    ++lookups;
    EXPECT_EQ(key.hash, HashName(text));
    EXPECT_TRUE(key.SameShape(NameKey::Of(text))) << text;
    return text == "eni-1235b8ca123456789" ? 42u : 0u;
  };
  map.Reset(p.batch, c);
  for (size_t r = 0; r < 3; ++r) EXPECT_EQ(map.Get(c, LocalId(c, r), bytes, lookup), 42u);
  EXPECT_EQ(lookups, 1);
  map.Reset(p.batch, c);  // the next block of the same batch
  EXPECT_EQ(map.Get(c, LocalId(c, 2), bytes, lookup), 42u);
  EXPECT_EQ(lookups, 1);
  const Column* qc = q.batch.Find(Field::kInterfaceId);
  map.Reset(q.batch, qc);
  EXPECT_EQ(map.Get(qc, LocalId(qc, 0), reinterpret_cast<const uint8_t*>(q.text.data()), lookup),
            42u);
  EXPECT_EQ(lookups, 2);
  map.Reset(ParsedBatch{}, nullptr);
  EXPECT_EQ(map.Get(nullptr, LocalId(nullptr, 5), bytes,
                    [](std::string_view text, const NameKey& key) {
                      return text == "-" && key.hash == HashName("-") && key.length == 1 &&
                                     key.text[0] == '-'
                                 ? 7u
                                 : 0u;
                    }),
            7u);
}
}  // namespace
}  // namespace flowsift
