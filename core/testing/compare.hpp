// How `egovbus test` compares what a route or mapping produced with what a case expects, and
// how it shows a difference: JSON as data (pretty, keys sorted, one member per line), XML
// canonical (exclusive C14N: unused namespace declarations dropped; whitespace-only text
// dropped; one element per line), and a unified diff
// of the two texts.
#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "core/common/result.hpp"
#include "core/xml/xml.hpp"

namespace egov::core::testing {

// JSON text -> pretty JSON with object members sorted by key, so two texts are equal exactly
// when they hold the same data (numbers compared as written after RapidJSON's reading).
Result<std::string> normalizedJson(std::string_view json);

// YAML data (a case file's `json:`) -> JSON text. Quoted scalars are strings; plain scalars
// are null (null, ~, empty), booleans (true, false), numbers (when they read as JSON
// numbers) or strings.
std::string yamlToJson(const YAML::Node& node);

// XML text or document -> its canonical form (exclusive C14N after dropping whitespace-only text
// nodes; exclusive, so a namespace declared but not used does not count), re-indented one
// element per line. Errors: the text does not parse.
Result<std::string> normalizedXml(std::string_view xml);
Result<std::string> normalizedXml(const xmlDoc& doc);

// A unified diff ("--- expected", "+++ actual", @@ hunks with 3 lines of context) of two
// texts, each line prefixed by `indent`; empty when they are equal.
std::string unifiedDiff(std::string_view expected, std::string_view actual,
                        std::string_view indent = "    ");

}  // namespace egov::core::testing
