// JSON text written by hand, byte for byte as nlohmann's compact dump() writes it with invalid
// UTF-8 replaced (error_handler_t::replace). For output paths that write many small values:
// dump() sets up a serializer per call and decodes UTF-8 byte by byte, which costs more than
// the value (findings, SIEM exports, `flowsift show --json`).
#ifndef FLOWSIFT_PIPELINE_JSON_TEXT_H_
#define FLOWSIFT_PIPELINE_JSON_TEXT_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace flowsift {

// Appends the decimal digits of `v`: an unsigned integer as JSON and CSV write it.
void AppendUint(uint64_t v, std::string& out);

// Appends `s` as a JSON string: '"' and '\\' escaped, \b \t \n \f \r by name, other bytes below
// 0x20 as \u00xx, the rest as it is. A string with a byte >= 0x80 goes through nlohmann, which
// checks its UTF-8 and writes U+FFFD for an invalid sequence.
void AppendJsonString(std::string_view s, std::string& out);

// Appends `v` as v.dump(-1, ' ', false, replace) would. Doubles are printed by nlohmann's own
// shortest round-trip formatting (detail::to_chars, what its serializer calls).
void AppendJson(const nlohmann::ordered_json& v, std::string& out);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_JSON_TEXT_H_
