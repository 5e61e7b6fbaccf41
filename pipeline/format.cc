#include "pipeline/format.h"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace flowsift {
namespace {

constexpr std::array<FieldInfo, kNumFields> kFieldInfo = {{
#define FLOWSIFT_FIELD_INFO(e, name, version, kind, max, enum_kind) \
  {name, version, FieldKind::kind, max, kernels::EnumKind::enum_kind},
    FLOWSIFT_FIELDS(FLOWSIFT_FIELD_INFO)
#undef FLOWSIFT_FIELD_INFO
}};

// Number of VPC fields introduced up to version v, in table order (reference/flowlogs.md).
size_t VpcFieldCountUpTo(unsigned v) {
  size_t n = 0;
  while (n < kNumFields && kFieldInfo[n].version <= v && kFieldInfo[n].version != 6) ++n;
  return n;
}

bool IsNameShaped(std::string_view token) {
  if (token.empty() || token[0] < 'a' || token[0] > 'z') return false;
  return std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\r') ++j;
    if (j > i) tokens.push_back(s.substr(i, j - i));
    i = j;
  }
  return tokens;
}

constexpr std::string_view kTgwDefault =
    "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id "
    "tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id "
    "tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr "
    "srcport dstport protocol packets bytes start end log-status type packets-lost-no-route "
    "packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region "
    "flow-direction pkt-src-aws-service pkt-dst-aws-service";

}  // namespace

const FieldInfo& InfoOf(Field f) { return kFieldInfo[static_cast<size_t>(f)]; }

Field FieldByName(std::string_view name) {
  // A hash map: the reader looks up the first word of every line that starts with a lowercase
  // letter (a format whose first field is flow-direction: "ingress", "egress" on every line).
  static const std::unordered_map<std::string_view, Field> kByName = [] {
    std::unordered_map<std::string_view, Field> m;
    for (size_t i = 0; i < kNumFields; ++i) m.emplace(kFieldInfo[i].name, static_cast<Field>(i));
    return m;
  }();
  const auto it = kByName.find(name);
  return it == kByName.end() ? Field::kUnknown : it->second;
}

FieldSet AllFields() { return FieldSet().set(); }

Format::Format(std::vector<std::string> names) : names_(std::move(names)) {
  std::fill(std::begin(index_of_), std::end(index_of_), -1);
  fields_.reserve(names_.size());
  for (size_t i = 0; i < names_.size(); ++i) {
    const Field f = FieldByName(names_[i]);
    fields_.push_back(f);
    // A name listed twice: the first occurrence is the column (AWS rejects duplicates).
    if (f != Field::kUnknown && index_of_[static_cast<size_t>(f)] < 0) {
      index_of_[static_cast<size_t>(f)] = static_cast<int>(i);
    }
  }
}

Format Format::Default() {
  std::string error;
  return *Parse("v2", &error);
}

std::optional<Format> Format::Parse(std::string_view spec, std::string* error) {
  const std::vector<std::string_view> tokens = SplitSpaces(spec);
  if (tokens.size() == 1) {
    const std::string_view t = tokens[0];
    if (t == "tgw") return Parse(kTgwDefault, error);
    if (t.size() >= 2 && t[0] == 'v' && t.find_first_not_of("0123456789", 1) == t.npos) {
      // At most 3 digits read: "v99999999999999999999" is unknown, not an overflow.
      const unsigned v =
          t.size() > 4 ? 0 : static_cast<unsigned>(std::stoul(std::string(t.substr(1))));
      if (v < 2 || v > 11) {
        *error = "unknown format preset '" + std::string(t) + "' (use v2..v11 or tgw)";
        return std::nullopt;
      }
      std::vector<std::string> names;
      for (size_t i = 0; i < VpcFieldCountUpTo(v); ++i) names.emplace_back(kFieldInfo[i].name);
      return Format(std::move(names));
    }
  }
  if (tokens.empty()) {
    *error = "empty format: give field names such as 'version account-id interface-id ...'";
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (std::string_view t : tokens) {
    if (t.size() > 3 && t.substr(0, 2) == "${" && t.back() == '}') t = t.substr(2, t.size() - 3);
    if (!IsNameShaped(t)) {
      *error = "'" + std::string(t) + "' is not a field name (expected e.g. srcaddr or ${srcaddr})";
      return std::nullopt;
    }
    names.emplace_back(t);
  }
  Format format(std::move(names));
  // AWS refuses a log format that names a field twice: in --format it is a typo (one field
  // meant another), and the second column would be silently ignored.
  if (const auto repeat = format.FirstRepeat()) {
    *error = "'" + format.name(repeat->second) + "' is named twice (fields " +
             std::to_string(repeat->first + 1) + " and " + std::to_string(repeat->second + 1) + ")";
    return std::nullopt;
  }
  // Unknown names are kept (a field AWS adds later), but a list of nothing but unknown names is
  // a typo ("v9x", "vs2", "srcadr dstadr"): every line would parse to nothing.
  if (std::all_of(format.fields_.begin(), format.fields_.end(),
                  [](Field f) { return f == Field::kUnknown; })) {
    *error = tokens.size() == 1
                 ? "'" + std::string(tokens[0]) +
                       "' is neither a preset (v2..v11, tgw) nor a field name flowsift knows"
                 : "none of '" + std::string(spec) +
                       "' is a field name flowsift knows (e.g. srcaddr dstaddr bytes start)";
    return std::nullopt;
  }
  return format;
}

std::optional<Format> Format::FromHeaderLine(std::string_view line) {
  const std::vector<std::string_view> tokens = SplitSpaces(line);
  if (tokens.empty()) return std::nullopt;
  size_t known = 0;
  for (std::string_view t : tokens) {
    if (!IsNameShaped(t)) return std::nullopt;
    known += FieldByName(t) != Field::kUnknown;
  }
  if (known * 2 < tokens.size()) return std::nullopt;
  return Format(std::vector<std::string>(tokens.begin(), tokens.end()));
}

std::optional<Format> Format::FromLogFormatLine(std::string_view line) {
  std::string names;
  for (std::string_view t : SplitSpaces(line)) {
    if (t.size() <= 3 || t.substr(0, 2) != "${" || t.back() != '}') return std::nullopt;
    if (!names.empty()) names += ' ';
    names += t.substr(2, t.size() - 3);
  }
  return FromHeaderLine(names);
}

std::optional<std::pair<size_t, size_t>> Format::FirstRepeat() const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i] == Field::kUnknown) continue;
    const size_t first = static_cast<size_t>(IndexOf(fields_[i]));
    if (first != i) return std::make_pair(first, i);
  }
  return std::nullopt;
}

std::string Format::HeaderLine() const {
  std::string line;
  for (const std::string& n : names_) {
    if (!line.empty()) line += ' ';
    line += n;
  }
  return line;
}

}  // namespace flowsift
