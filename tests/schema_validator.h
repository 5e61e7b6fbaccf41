// A small JSON Schema validator for tests (Debian packages no C++ one). It covers the subset
// the export schemas in tests/schemas/ use, with draft 2020-12 meanings: type (a name or a
// list), required, properties, additionalProperties (false or a schema), items, enum, const,
// minimum, maximum, minItems, maxItems, minLength, maxLength, pattern (ECMAScript regex,
// searched as the spec says, so anchor it), anyOf, and $ref to "#/$defs/NAME". A keyword it
// does not know makes the schema invalid rather than silently ignored.
#ifndef FLOWSIFT_TESTS_SCHEMA_VALIDATOR_H_
#define FLOWSIFT_TESTS_SCHEMA_VALIDATOR_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace flowsift::testing {

class SchemaValidator {
 public:
  // False with *error when `schema` uses a keyword this validator does not implement.
  [[nodiscard]] bool Load(const nlohmann::json& schema, std::string* error);
  // Every violation of `doc`, each "JSON-pointer: what is wrong"; empty when it conforms.
  std::vector<std::string> Validate(const nlohmann::json& doc) const;

 private:
  void Check(const nlohmann::json& schema, const nlohmann::json& doc, const std::string& where,
             std::vector<std::string>* errors) const;
  nlohmann::json root_;
};

}  // namespace flowsift::testing

#endif  // FLOWSIFT_TESTS_SCHEMA_VALIDATOR_H_
