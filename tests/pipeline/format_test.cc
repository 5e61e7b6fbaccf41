#include "pipeline/format.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace flowsift {
namespace {

TEST(Fields, NamesAreUniqueAndRoundTrip) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kNumFields; ++i) {
    const Field f = static_cast<Field>(i);
    EXPECT_TRUE(names.insert(InfoOf(f).name).second) << InfoOf(f).name;
    EXPECT_EQ(FieldByName(InfoOf(f).name), f);
  }
  EXPECT_EQ(FieldByName("no-such-field"), Field::kUnknown);
  EXPECT_EQ(FieldByName("Version"), Field::kUnknown);
}

TEST(Format, DefaultIsTheFourteenV2Fields) {
  const Format f = Format::Default();
  EXPECT_EQ(f.HeaderLine(),
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
            "bytes start end action log-status");
  EXPECT_EQ(f.IndexOf(Field::kBytes), 9);
  EXPECT_FALSE(f.Has(Field::kTcpFlags));
  EXPECT_FALSE(f.IsTransitGateway());
}

TEST(Format, PresetsHaveThePeersFieldCounts) {
  // reference/flowlogs.md: v2 14, v2-v3 21, v2-v5 29, v2-v7 39, v2-v8 40, v2-v10 42, +12 in v11,
  // TGW default 36.
  const std::pair<const char*, size_t> kCounts[] = {
      {"v2", 14}, {"v3", 21}, {"v4", 25},  {"v5", 29},  {"v6", 29},
      {"v7", 39}, {"v8", 40}, {"v10", 42}, {"v11", 54}, {"tgw", 36}};
  for (const auto& [preset, count] : kCounts) {
    std::string error;
    const auto f = Format::Parse(preset, &error);
    ASSERT_TRUE(f) << preset << ": " << error;
    EXPECT_EQ(f->size(), count) << preset;
    for (size_t i = 0; i < f->size(); ++i) EXPECT_NE(f->field(i), Field::kUnknown);
  }
  std::string error;
  EXPECT_TRUE(Format::Parse("tgw", &error)->IsTransitGateway());
  EXPECT_FALSE(Format::Parse("v1", &error));
  EXPECT_FALSE(Format::Parse("v12", &error));
  EXPECT_FALSE(Format::Parse("v0002", &error));
  EXPECT_FALSE(Format::Parse("v99999999999999999999", &error));  // no overflow exception
  EXPECT_NE(error.find("unknown format preset"), std::string::npos) << error;
}

TEST(Format, ParsesDollarBraceTokensAndKeepsUnknownNames) {
  std::string error;
  const auto f = Format::Parse("${version} ${vpc-id} ${future-field} ${srcaddr}", &error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->size(), 4u);
  EXPECT_EQ(f->field(2), Field::kUnknown);
  EXPECT_EQ(f->name(2), "future-field");
  EXPECT_EQ(f->IndexOf(Field::kSrcAddr), 3);
  EXPECT_EQ(f->HeaderLine(), "version vpc-id future-field srcaddr");
  EXPECT_FALSE(Format::Parse("", &error));
  EXPECT_FALSE(Format::Parse("version 2", &error));
  EXPECT_NE(error.find("'2'"), std::string::npos);
}

// Unknown names are kept (a field AWS adds later), but a value without one known name is a typo
// that would make every line parse to nothing.
TEST(Format, RefusesAMisspeltPresetOrAListOfOnlyUnknownNames) {
  std::string error;
  EXPECT_FALSE(Format::Parse("v9x", &error));
  EXPECT_NE(error.find("neither a preset (v2..v11, tgw) nor a field name"), std::string::npos)
      << error;
  EXPECT_FALSE(Format::Parse("V5", &error));
  EXPECT_FALSE(Format::Parse("srcadr dstadr", &error));
  EXPECT_NE(error.find("none of 'srcadr dstadr' is a field name"), std::string::npos) << error;
  EXPECT_FALSE(Format::Parse("${future-a} ${future-b}", &error));
  const auto one_known = Format::Parse("srcadr dstaddr", &error);
  ASSERT_TRUE(one_known) << error;
  EXPECT_EQ(one_known->field(0), Field::kUnknown);
  EXPECT_EQ(one_known->field(1), Field::kDstAddr);
  EXPECT_TRUE(Format::Parse("srcaddr", &error));
}

// AWS refuses a format naming a field twice; in --format it is a typo whose second column was
// silently ignored. Unknown names may repeat (they are not read).
TEST(Format, RefusesAFieldNamedTwice) {
  std::string error;
  EXPECT_FALSE(Format::Parse("version srcaddr ${srcaddr} bytes", &error));
  EXPECT_EQ(error, "'srcaddr' is named twice (fields 2 and 3)");
  EXPECT_TRUE(Format::Parse("srcaddr x-new x-new dstaddr", &error)) << error;
}

TEST(Format, HeaderLineDetection) {
  EXPECT_TRUE(Format::FromHeaderLine("version account-id interface-id srcaddr"));
  EXPECT_TRUE(Format::FromHeaderLine("account-id bytes dstaddr dstport end"));  // alphabetical
  EXPECT_TRUE(Format::FromHeaderLine("version srcaddr custom-a\r"));
  // Data lines are not headers, even where most tokens are name-shaped.
  EXPECT_FALSE(Format::FromHeaderLine(
      "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
      "1418530010 1418530070 ACCEPT OK"));
  EXPECT_FALSE(Format::FromHeaderLine("eni-abc vpc-123 subnet-1"));  // name-shaped, none known
  EXPECT_FALSE(Format::FromHeaderLine(""));
  EXPECT_FALSE(Format::FromHeaderLine("version account-id 5"));
}

// A header line is a list of names at least half of which flowsift knows (a later AWS field
// beside known ones): exactly half is a header, fewer is a data line of name-shaped words.
// The console's log-format string: every token ${name}, names as a header line's.
TEST(Format, LogFormatLineIsEveryTokenInDollarBraces) {
  const auto f = Format::FromLogFormatLine("${version}\t${srcaddr}  ${dstaddr} ${new-field}\r");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->HeaderLine(), "version srcaddr dstaddr new-field");
  EXPECT_EQ(f->field(3), Field::kUnknown);
  for (const char* line :
       {"version ${srcaddr}", "${version} srcaddr", "${} ${srcaddr}", "$version ${srcaddr}",
        "${Version} ${srcaddr}", "${a} ${b} ${srcaddr}", "", "${srcaddr"}) {
    EXPECT_FALSE(Format::FromLogFormatLine(line)) << line;
  }
  // A header line is never one, nor the other way round.
  EXPECT_FALSE(Format::FromHeaderLine("${version} ${srcaddr}"));
  EXPECT_FALSE(Format::FromLogFormatLine("version srcaddr"));
}

TEST(Format, HeaderLineOfHalfKnownNamesIsAHeader) {
  const auto half = Format::FromHeaderLine("version srcaddr custom-a custom-b");
  ASSERT_TRUE(half);
  EXPECT_EQ(half->size(), 4u);
  EXPECT_EQ(half->IndexOf(Field::kSrcAddr), 1);
  EXPECT_TRUE(Format::FromHeaderLine("srcaddr custom-a"));
  EXPECT_FALSE(Format::FromHeaderLine("srcaddr custom-a custom-b"));
}

// A header naming a field twice reads its first column, as --format would name it (the second
// is kept as a column, not used).
TEST(Format, AFieldListedTwiceInAHeaderIsItsFirstColumn) {
  const auto f = Format::FromHeaderLine("srcaddr dstaddr bytes srcaddr");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->size(), 4u);
  EXPECT_EQ(f->IndexOf(Field::kSrcAddr), 0);
  EXPECT_EQ(f->IndexOf(Field::kBytes), 2);
}

}  // namespace
}  // namespace flowsift
