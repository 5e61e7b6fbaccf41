#include "tests/schema_validator.h"

#include <algorithm>
#include <regex>
#include <set>

namespace flowsift::testing {
namespace {

using nlohmann::json;

const std::set<std::string> kKeywords = {"$schema",
                                         "$id",
                                         "$comment",
                                         "$defs",
                                         "$ref",
                                         "title",
                                         "description",
                                         "type",
                                         "required",
                                         "properties",
                                         "additionalProperties",
                                         "items",
                                         "enum",
                                         "const",
                                         "minimum",
                                         "maximum",
                                         "minItems",
                                         "maxItems",
                                         "minLength",
                                         "maxLength",
                                         "pattern",
                                         "anyOf"};

bool CheckKeywords(const json& s, const std::string& where, std::string* error) {
  if (s.is_boolean()) return true;
  if (!s.is_object()) {
    *error = where + ": a schema must be an object or a boolean";
    return false;
  }
  for (const auto& [key, value] : s.items()) {
    if (kKeywords.count(key) == 0) {
      *error = where + ": keyword '" + key + "' is not supported";
      return false;
    }
  }
  auto sub = [&](const char* key, bool map) {
    const auto it = s.find(key);
    if (it == s.end()) return true;
    if (map || it->is_array()) {
      for (const auto& [k, v] : it->items()) {
        if (!CheckKeywords(v, where + "/" + key + "/" + k, error)) return false;
      }
      return true;
    }
    return CheckKeywords(*it, where + "/" + key, error);
  };
  return sub("properties", true) && sub("$defs", true) && sub("items", false) &&
         sub("anyOf", false) && sub("additionalProperties", false);
}

bool HasType(const json& doc, const std::string& type) {
  if (type == "object") return doc.is_object();
  if (type == "array") return doc.is_array();
  if (type == "string") return doc.is_string();
  if (type == "integer") return doc.is_number_integer();
  if (type == "number") return doc.is_number();
  if (type == "boolean") return doc.is_boolean();
  if (type == "null") return doc.is_null();
  return false;
}

size_t CodePoints(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

bool SchemaValidator::Load(const json& schema, std::string* error) {
  if (!CheckKeywords(schema, "#", error)) return false;
  root_ = schema;
  return true;
}

std::vector<std::string> SchemaValidator::Validate(const json& doc) const {
  std::vector<std::string> errors;
  Check(root_, doc, "", &errors);
  return errors;
}

void SchemaValidator::Check(const json& s, const json& doc, const std::string& where,
                            std::vector<std::string>* errors) const {
  const std::string at = where.empty() ? "/" : where;
  auto fail = [&](const std::string& what) { errors->push_back(at + ": " + what); };
  if (s.is_boolean()) {
    if (!s.get<bool>()) fail("no value is allowed here");
    return;
  }
  if (const auto ref = s.find("$ref"); ref != s.end()) {
    const std::string target = ref->get<std::string>();
    if (target.rfind("#/", 0) != 0 || !root_.contains(json::json_pointer(target.substr(1)))) {
      fail("unresolved $ref " + target);
      return;
    }
    Check(root_.at(json::json_pointer(target.substr(1))), doc, where, errors);
  }
  if (const auto type = s.find("type"); type != s.end()) {
    const std::vector<std::string> types = type->is_array()
                                               ? type->get<std::vector<std::string>>()
                                               : std::vector<std::string>{type->get<std::string>()};
    if (std::none_of(types.begin(), types.end(),
                     [&](const std::string& t) { return HasType(doc, t); })) {
      fail("expected " + type->dump() + ", got " + doc.dump());
      return;  // the other keywords assume the type
    }
  }
  if (const auto c = s.find("const"); c != s.end() && *c != doc) {
    fail("expected " + c->dump() + ", got " + doc.dump());
  }
  if (const auto e = s.find("enum");
      e != s.end() && std::find(e->begin(), e->end(), doc) == e->end()) {
    fail(doc.dump() + " is not one of " + e->dump());
  }
  if (doc.is_number()) {
    const double v = doc.get<double>();
    if (const auto m = s.find("minimum"); m != s.end() && v < m->get<double>()) {
      fail(doc.dump() + " < minimum " + m->dump());
    }
    if (const auto m = s.find("maximum"); m != s.end() && v > m->get<double>()) {
      fail(doc.dump() + " > maximum " + m->dump());
    }
  }
  if (doc.is_string()) {
    const std::string& v = doc.get_ref<const std::string&>();
    if (const auto m = s.find("minLength"); m != s.end() && CodePoints(v) < m->get<size_t>()) {
      fail("shorter than " + m->dump() + " characters");
    }
    if (const auto m = s.find("maxLength"); m != s.end() && CodePoints(v) > m->get<size_t>()) {
      fail("longer than " + m->dump() + " characters");
    }
    if (const auto p = s.find("pattern");
        p != s.end() && !std::regex_search(v, std::regex(p->get<std::string>()))) {
      fail(doc.dump() + " does not match " + p->dump());
    }
  }
  if (doc.is_array()) {
    if (const auto m = s.find("minItems"); m != s.end() && doc.size() < m->get<size_t>()) {
      fail("fewer than " + m->dump() + " items");
    }
    if (const auto m = s.find("maxItems"); m != s.end() && doc.size() > m->get<size_t>()) {
      fail("more than " + m->dump() + " items");
    }
    if (const auto items = s.find("items"); items != s.end()) {
      for (size_t i = 0; i < doc.size(); ++i) {
        Check(*items, doc[i], where + "/" + std::to_string(i), errors);
      }
    }
  }
  if (doc.is_object()) {
    if (const auto r = s.find("required"); r != s.end()) {
      for (const json& name : *r) {
        if (!doc.contains(name.get<std::string>())) {
          fail("required property '" + name.get<std::string>() + "' is missing");
        }
      }
    }
    const auto props = s.find("properties");
    const auto extra = s.find("additionalProperties");
    for (const auto& [key, value] : doc.items()) {
      const std::string path = where + "/" + key;
      if (props != s.end() && props->contains(key)) {
        Check((*props)[key], value, path, errors);
      } else if (extra != s.end()) {
        Check(*extra, value, path, errors);
      }
    }
  }
  if (const auto any = s.find("anyOf"); any != s.end()) {
    const bool ok = std::any_of(any->begin(), any->end(), [&](const json& alt) {
      std::vector<std::string> e;
      Check(alt, doc, where, &e);
      return e.empty();
    });
    if (!ok) fail("matches none of the anyOf alternatives");
  }
}

}  // namespace flowsift::testing
