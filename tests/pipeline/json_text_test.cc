#include "pipeline/json_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace flowsift {
namespace {

using nlohmann::ordered_json;

// What the hand-written text must equal: nlohmann's compact dump, invalid UTF-8 replaced.
std::string Dump(const ordered_json& v) {
  return v.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

TEST(AppendJsonString, EqualsNlohmannForEveryByte) {
  // Every single byte, then random strings over the bytes that matter (controls, '"', '\\',
  // DEL, printable ASCII, and UTF-8 lead and continuation bytes, valid or not).
  std::vector<std::string> cases = {"",
                                    "eni-0a1b",
                                    "a\"b\\c",
                                    "tab\there",
                                    "caf\xc3\xa9",
                                    "\xe4\xb8\xad",
                                    "bad \xff byte",
                                    std::string("nul\0x", 5)};
  for (int b = 0; b < 256; ++b) cases.emplace_back(1, static_cast<char>(b));
  const std::string alphabet =
      std::string("\x01\x1f\b\t\n\f\r\"\\/ aZ~\x7f\xc3\xa9\xe4\xb8\xad\xff", 22);
  std::mt19937 rng(7);
  for (int k = 0; k < 2000; ++k) {
    std::string s;
    for (size_t n = rng() % 12; n > 0; --n) s += alphabet[rng() % alphabet.size()];
    cases.push_back(s);
  }
  for (const std::string& s : cases) {
    std::string out = "x";  // appends, keeps what was there
    AppendJsonString(s, out);
    EXPECT_EQ(out, "x" + Dump(ordered_json(s))) << testing::PrintToString(s);
  }
  std::string out;
  AppendJsonString("bad \xff byte", out);
  EXPECT_EQ(ordered_json::parse(out), "bad \xef\xbf\xbd byte");  // U+FFFD
}

TEST(AppendJson, EqualsNlohmannForEveryKindOfValue) {
  ordered_json v = {
      {"unsigned", uint64_t{18446744073709551615ull}},
      {"negative", -3},
      {"zero", 0},
      {"doubles", {0.8, 3.0, 1e-7, 1e21, 1.0 / 3, -0.0, 99.0, 5e-324, 1.7976931348623157e308}},
      {"not_finite", {std::nan(""), HUGE_VAL, -HUGE_VAL}},
      {"flags", {true, false}},
      {"none", nullptr},
      {"empty_object", ordered_json::object()},
      {"empty_array", ordered_json::array()},
      {"nested", {{"list", {1, 2.5, "a\"b", ordered_json::array()}}}},
      {"key \"quoted\" \x01", "caf\xc3\xa9"},
      {"bad \xff key", "bad \xff value"}};
  for (const ordered_json& x : {v, v["doubles"], v["nested"], ordered_json("s"), ordered_json()}) {
    std::string out;
    AppendJson(x, out);
    EXPECT_EQ(out, Dump(x));
  }
}

// Binary values (the default branch) are written as nlohmann writes them too.
TEST(JsonGap, BinaryValuesEqualNlohmann) {
  const ordered_json v = {{"b", ordered_json::binary({1, 2, 255})},
                          {"s", ordered_json::binary({7}, 42)}};
  std::string out;
  AppendJson(v, out);
  EXPECT_EQ(out, Dump(v));
}

}  // namespace
}  // namespace flowsift
