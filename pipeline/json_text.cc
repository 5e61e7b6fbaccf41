#include "pipeline/json_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace flowsift {

void AppendUint(uint64_t v, std::string& out) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void AppendJsonString(std::string_view s, std::string& out) {
  if (std::any_of(s.begin(), s.end(),
                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    out += nlohmann::ordered_json(s).dump(-1, ' ', false,
                                          nlohmann::ordered_json::error_handler_t::replace);
    return;
  }
  const auto plain = [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\';
  };
  out += '"';
  for (size_t i = 0; i < s.size();) {
    size_t run = i;
    while (run < s.size() && plain(s[run])) ++run;
    out.append(s.data() + i, run - i);  // the bytes that need no escape, at once
    if (run == s.size()) break;
    switch (const char c = s[run]) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default: {  // the other control bytes
        char buf[7];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        out += buf;
      }
    }
    i = run + 1;
  }
  out += '"';
}

void AppendJson(const nlohmann::ordered_json& v, std::string& out) {
  using Type = nlohmann::ordered_json::value_t;
  switch (v.type()) {
    case Type::object: {
      out += '{';
      bool first = true;
      for (auto it = v.cbegin(); it != v.cend(); ++it) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(it.key(), out);
        out += ':';
        AppendJson(it.value(), out);
      }
      out += '}';
      return;
    }
    case Type::array: {
      out += '[';
      bool first = true;
      for (const auto& x : v) {
        if (!first) out += ',';
        first = false;
        AppendJson(x, out);
      }
      out += ']';
      return;
    }
    case Type::string:
      AppendJsonString(*v.get_ptr<const std::string*>(), out);
      return;
    case Type::number_unsigned:
      AppendUint(*v.get_ptr<const uint64_t*>(), out);
      return;
    case Type::number_integer: {
      char buf[24];
      out.append(buf, std::to_chars(buf, buf + sizeof buf, *v.get_ptr<const int64_t*>()).ptr);
      return;
    }
    case Type::number_float: {
      const double x = *v.get_ptr<const double*>();
      if (!std::isfinite(x)) {
        out += "null";
        return;
      }
      char buf[64];
      out.append(buf, nlohmann::detail::to_chars(buf, buf + sizeof buf, x));
      return;
    }
    case Type::boolean:
      out += *v.get_ptr<const bool*>() ? "true" : "false";
      return;
    case Type::null:
      out += "null";
      return;
    default:  // binary and discarded values, which no output holds
      out += v.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
}

}  // namespace flowsift
