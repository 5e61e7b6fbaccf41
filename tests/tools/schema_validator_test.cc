// The test-only JSON Schema validator: every keyword accepts what conforms and rejects what
// does not, so a schema test that passes means something.
#include "tests/schema_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/test_util.h"

namespace flowsift::testing {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

SchemaValidator Load(const char* schema) {
  SchemaValidator v;
  std::string error;
  EXPECT_TRUE(v.Load(json::parse(schema), &error)) << error;
  return v;
}

TEST(SchemaValidator, TypesIncludingListsAndIntegerVersusNumber) {
  const SchemaValidator v = Load(R"({"type": ["integer", "null"]})");
  EXPECT_THAT(v.Validate(json(3)), IsEmpty());
  EXPECT_THAT(v.Validate(json(nullptr)), IsEmpty());
  EXPECT_THAT(v.Validate(json(3.5)), ElementsAre(HasSubstr("expected [\"integer\",\"null\"]")));
  EXPECT_THAT(v.Validate(json("3")), ::testing::SizeIs(1));
  const SchemaValidator n = Load(R"({"type": "number"})");
  EXPECT_THAT(n.Validate(json(3.5)), IsEmpty());
  EXPECT_THAT(n.Validate(json(true)), ::testing::SizeIs(1));
}

TEST(SchemaValidator, ObjectsRequiredPropertiesAndAdditionalProperties) {
  const SchemaValidator v = Load(R"({
    "type": "object", "required": ["a"], "additionalProperties": false,
    "properties": {"a": {"const": 1}, "b": {"type": "string"}}})");
  EXPECT_THAT(v.Validate(json::parse(R"({"a": 1, "b": "x"})")), IsEmpty());
  EXPECT_THAT(v.Validate(json::parse(R"({"b": "x"})")),
              ElementsAre("/: required property 'a' is missing"));
  EXPECT_THAT(v.Validate(json::parse(R"({"a": 2})")), ElementsAre(HasSubstr("/a: expected 1")));
  EXPECT_THAT(v.Validate(json::parse(R"({"a": 1, "c": 0})")),
              ElementsAre("/c: no value is allowed here"));
  const SchemaValidator typed = Load(R"({"additionalProperties": {"type": "integer"}})");
  EXPECT_THAT(typed.Validate(json::parse(R"({"x": 1, "y": "z"})")), ::testing::SizeIs(1));
}

TEST(SchemaValidator, ArraysItemsAndCounts) {
  const SchemaValidator v =
      Load(R"({"type": "array", "minItems": 1, "maxItems": 2, "items": {"enum": ["a", "b"]}})");
  EXPECT_THAT(v.Validate(json::parse(R"(["a", "b"])")), IsEmpty());
  EXPECT_THAT(v.Validate(json::array()), ElementsAre("/: fewer than 1 items"));
  EXPECT_THAT(v.Validate(json::parse(R"(["a", "b", "a"])")), ElementsAre("/: more than 2 items"));
  EXPECT_THAT(v.Validate(json::parse(R"(["a", "c"])")),
              ElementsAre("/1: \"c\" is not one of [\"a\",\"b\"]"));
}

TEST(SchemaValidator, NumbersStringsAndPatterns) {
  const SchemaValidator v = Load(R"({"minimum": 1, "maximum": 4})");
  EXPECT_THAT(v.Validate(json(1)), IsEmpty());
  EXPECT_THAT(v.Validate(json(4)), IsEmpty());
  EXPECT_THAT(v.Validate(json(0)), ::testing::SizeIs(1));
  EXPECT_THAT(v.Validate(json(5)), ::testing::SizeIs(1));
  const SchemaValidator s = Load(R"({"minLength": 2, "maxLength": 3, "pattern": "^[0-9é]+$"})");
  EXPECT_THAT(s.Validate(json("12")), IsEmpty());
  EXPECT_THAT(s.Validate(json("1é2")), IsEmpty());  // three characters, four bytes
  EXPECT_THAT(s.Validate(json("1")), ElementsAre("/: shorter than 2 characters"));
  EXPECT_THAT(s.Validate(json("1234")), ElementsAre("/: longer than 3 characters"));
  EXPECT_THAT(s.Validate(json("1a")), ElementsAre(HasSubstr("does not match")));
}

TEST(SchemaValidator, RefsAndAnyOf) {
  const SchemaValidator v = Load(R"({
    "$defs": {"port": {"type": "integer", "minimum": 0, "maximum": 65535}},
    "properties": {"p": {"$ref": "#/$defs/port"}},
    "anyOf": [{"required": ["p"]}, {"required": ["q"]}]})");
  EXPECT_THAT(v.Validate(json::parse(R"({"p": 22})")), IsEmpty());
  EXPECT_THAT(v.Validate(json::parse(R"({"q": 1})")), IsEmpty());
  EXPECT_THAT(v.Validate(json::parse(R"({"p": 70000})")), ::testing::SizeIs(1));
  EXPECT_THAT(v.Validate(json::parse(R"({"r": 1})")),
              ElementsAre("/: matches none of the anyOf alternatives"));
  const SchemaValidator dangling = Load(R"({"$ref": "#/$defs/missing"})");
  EXPECT_THAT(dangling.Validate(json(1)), ElementsAre(HasSubstr("unresolved $ref")));
}

TEST(SchemaValidator, RefusesKeywordsItDoesNotImplement) {
  SchemaValidator v;
  std::string error;
  EXPECT_FALSE(v.Load(json::parse(R"({"properties": {"a": {"oneOf": []}}})"), &error));
  EXPECT_THAT(error, HasSubstr("'oneOf' is not supported"));
}

TEST(SchemaValidator, TheExportSchemasLoadAndRejectAWrongEvent) {
  const std::filesystem::path dir =
      std::filesystem::path(FLOWSIFT_SOURCE_DIR) / "tests" / "schemas";
  for (const char* name : {"ocsf_network_activity", "ocsf_detection_finding", "ecs_window",
                           "ecs_finding", "splunk_hec", "asff_batch"}) {
    SchemaValidator v;
    std::string error;
    ASSERT_TRUE(v.Load(json::parse(ReadFile(dir / (std::string(name) + ".json"))), &error))
        << name << ": " << error;
    // An event of another kind fails every schema.
    EXPECT_THAT(v.Validate(json::parse(R"({"class_uid": 1001, "time": "yesterday"})")),
                ::testing::Not(IsEmpty()))
        << name;
  }
}

}  // namespace
}  // namespace flowsift::testing
