#include "adapters/csv/csv_body.hpp"

#include <algorithm>
#include <cstring>

#include <rapidjson/document.h>

#include "core/json/json_xml.hpp"

namespace egov::adapters::csv {
namespace {

using core::ErrorKind;

const xmlChar* xmlChars(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

const char* namespaceOf(const xmlNode* node) {
  return node->ns != nullptr && node->ns->href != nullptr
             ? reinterpret_cast<const char*>(node->ns->href)
             : "";
}

bool isElement(const xmlNode* node, const char* ns, const char* name) {
  return node != nullptr && node->type == XML_ELEMENT_NODE &&
         std::strcmp(namespaceOf(node), ns) == 0 &&
         std::strcmp(reinterpret_cast<const char*>(node->name), name) == 0;
}

std::string describe(const xmlNode* node) {
  const std::string ns = namespaceOf(node);
  const std::string name = reinterpret_cast<const char*>(node->name);
  return ns.empty() ? "<" + name + ">" : "{" + ns + "}" + name;
}

std::vector<const xmlNode*> childElements(const xmlNode* node) {
  std::vector<const xmlNode*> out;
  for (const xmlNode* child = node->children; child != nullptr; child = child->next) {
    if (child->type == XML_ELEMENT_NODE) out.push_back(child);
  }
  return out;
}

core::Error mappingError(std::string message) {
  return core::makeError(ErrorKind::mapping_failed, std::move(message));
}

std::string trimmed(std::string text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && blank(text.back())) text.pop_back();
  const auto first = std::find_if_not(text.begin(), text.end(), blank);
  text.erase(text.begin(), first);
  return text;
}

bool isTrueFlag(const std::string& value) {
  const std::string flag = trimmed(value);
  return flag == "true" || flag == "1";
}

// The value of a member of the JSON representation, as CSV text: a string as it is (escapes
// decoded), number text as written, true/false, and null as an empty field.
core::Result<std::string> memberText(const xmlNode* member, const std::string& what,
                                     bool strings_and_numbers_only) {
  const std::string type = reinterpret_cast<const char*>(member->name);
  if (type == "string") {
    if (!isTrueFlag(core::xmlAttr(member, "escaped"))) return core::xmlText(member);
    // The JSON converter already knows how to read the escaped form; reuse it through a
    // JSON string literal rather than decode escapes a second way here.
    auto literal = core::xmlNodeToJson(*member);
    if (!literal) return mappingError(what + ": " + literal.error().message);
    rapidjson::Document parsed;
    parsed.Parse(literal->c_str(), literal->size());
    if (parsed.HasParseError() || !parsed.IsString()) {
      return mappingError(what + ": invalid escaped string");
    }
    return std::string(parsed.GetString(), parsed.GetStringLength());
  }
  if (type == "number") return trimmed(core::xmlText(member));
  if (!strings_and_numbers_only) {
    if (type == "boolean") return std::string(isTrueFlag(core::xmlText(member)) ? "true" : "false");
    if (type == "null") return std::string();
  }
  return mappingError(
      what + " must be " +
      (strings_and_numbers_only ? "a string" : "a string, number, boolean or null") + ", not " +
      type);
}

// The members of a JSON-representation map, by key. Keys escaped with escaped-key="true"
// cannot name a column (column names are plain text), so they are refused.
core::Result<std::vector<std::pair<std::string, const xmlNode*>>> mapMembers(
    const xmlNode* map, const std::string& where) {
  std::vector<std::pair<std::string, const xmlNode*>> members;
  for (const xmlNode* member : childElements(map)) {
    if (std::strcmp(namespaceOf(member), core::kXpathFunctionsNs) != 0) {
      return mappingError(where + ": unexpected element " + describe(member));
    }
    const std::string key = core::xmlAttr(member, "key");
    if (isTrueFlag(core::xmlAttr(member, "escaped-key"))) {
      return mappingError(where + ": member key '" + key + "' is escaped; column names are not");
    }
    for (const auto& [seen, _] : members) {
      if (seen == key) return mappingError(where + ": duplicate member '" + key + "'");
    }
    members.emplace_back(key, member);
  }
  return members;
}

std::string columnList(std::span<const std::string> columns) {
  std::string out;
  for (const auto& column : columns) out += (out.empty() ? "" : ", ") + column;
  return out;
}

core::Result<core::XmlDocPtr> newDocument(const char* root_name, xmlNode*& root, xmlNs*& ns) {
  core::XmlDocPtr doc(xmlNewDoc(xmlChars("1.0")));
  root = doc ? xmlNewDocNode(doc.get(), nullptr, xmlChars(root_name), nullptr) : nullptr;
  if (root == nullptr) return core::makeError(ErrorKind::internal, "out of memory");
  xmlDocSetRootElement(doc.get(), root);
  ns = xmlNewNs(root, xmlChars(kCsvNamespace), nullptr);
  if (ns == nullptr) return core::makeError(ErrorKind::internal, "out of memory");
  xmlSetNs(root, ns);
  return doc;
}

}  // namespace

core::Result<std::vector<std::string>> readLookupKey(const xmlDoc& body,
                                                     std::span<const std::string> key_columns) {
  const xmlNode* root = xmlDocGetRootElement(&body);
  if (root == nullptr) return mappingError("the request body is empty");
  std::vector<std::string> values(key_columns.size());
  std::vector<bool> found(key_columns.size(), false);
  auto slot = [&](const std::string& name) -> std::ptrdiff_t {
    auto it = std::find(key_columns.begin(), key_columns.end(), name);
    return it == key_columns.end() ? -1 : it - key_columns.begin();
  };

  if (isElement(root, kCsvNamespace, "lookup")) {
    for (const xmlNode* key : childElements(root)) {
      if (!isElement(key, kCsvNamespace, "key")) {
        return mappingError("unexpected element " + describe(key) + " in <lookup>");
      }
      const std::string name = core::xmlAttr(key, "name");
      const std::ptrdiff_t index = slot(name);
      if (index < 0) {
        return mappingError("<key name=\"" + name +
                            "\"> is not a key column (key: " + columnList(key_columns) + ")");
      }
      if (found[static_cast<std::size_t>(index)]) {
        return mappingError("key column '" + name + "' given twice");
      }
      if (!childElements(key).empty()) {
        return mappingError("<key name=\"" + name + "\"> must hold text only");
      }
      found[static_cast<std::size_t>(index)] = true;
      values[static_cast<std::size_t>(index)] = core::xmlText(key);
    }
  } else if (isElement(root, core::kXpathFunctionsNs, "map")) {
    auto members = mapMembers(root, "request");
    if (!members) return std::move(members).error();
    for (const auto& [name, member] : *members) {
      const std::ptrdiff_t index = slot(name);
      if (index < 0) continue;
      auto text = memberText(member, "member '" + name + "'", true);
      if (!text) return std::move(text).error();
      found[static_cast<std::size_t>(index)] = true;
      values[static_cast<std::size_t>(index)] = std::move(*text);
    }
  } else {
    return mappingError("expected a JSON map or a {" + std::string(kCsvNamespace) +
                        "}lookup envelope, not " + describe(root));
  }
  for (std::size_t i = 0; i < key_columns.size(); ++i) {
    if (!found[i]) {
      return mappingError("key column '" + key_columns[i] + "' is missing from the request");
    }
  }
  return values;
}

core::Result<core::XmlDocPtr> rowsDocument(const CsvIndex& index,
                                           std::span<const std::size_t> rows) {
  xmlNode* root = nullptr;
  xmlNs* ns = nullptr;
  auto doc = newDocument("rows", root, ns);
  if (!doc) return doc;
  const auto& columns = index.columns();
  for (std::size_t row_index : rows) {
    xmlNode* row = xmlNewChild(root, ns, xmlChars("row"), nullptr);
    if (row == nullptr) return core::makeError(ErrorKind::internal, "out of memory");
    const auto cells = index.row(row_index);
    for (std::size_t i = 0; i < columns.size(); ++i) {
      // xmlNewTextChild escapes its content, unlike xmlNewChild.
      xmlNode* field = xmlNewTextChild(row, ns, xmlChars("field"), xmlChars(cells[i].c_str()));
      if (field == nullptr ||
          xmlNewProp(field, xmlChars("name"), xmlChars(columns[i].c_str())) == nullptr) {
        return core::makeError(ErrorKind::internal, "out of memory");
      }
    }
  }
  return doc;
}

core::Result<std::vector<std::vector<std::string>>> readOutputRows(
    const xmlDoc& body, std::span<const std::string> columns) {
  const xmlNode* root = xmlDocGetRootElement(&body);
  if (root == nullptr) return mappingError("the request body is empty");
  const bool is_rows = isElement(root, kCsvNamespace, "rows");
  if (!is_rows && !isElement(root, core::kXpathFunctionsNs, "array")) {
    return mappingError("expected {" + std::string(kCsvNamespace) +
                        "}rows or a JSON array of maps, not " + describe(root));
  }
  std::vector<std::vector<std::string>> records;
  for (const xmlNode* row : childElements(root)) {
    const std::string where = "row " + std::to_string(records.size() + 1);
    std::vector<std::pair<std::string, const xmlNode*>> fields;
    if (is_rows) {
      if (!isElement(row, kCsvNamespace, "row")) {
        return mappingError(where + ": unexpected element " + describe(row));
      }
      for (const xmlNode* field : childElements(row)) {
        if (!isElement(field, kCsvNamespace, "field")) {
          return mappingError(where + ": unexpected element " + describe(field));
        }
        fields.emplace_back(core::xmlAttr(field, "name"), field);
      }
    } else {
      if (!isElement(row, core::kXpathFunctionsNs, "map")) {
        return mappingError(where + ": expected a JSON map, not " + describe(row));
      }
      auto members = mapMembers(row, where);
      if (!members) return std::move(members).error();
      fields = std::move(*members);
    }
    std::vector<std::string> record(columns.size());
    std::vector<bool> seen(columns.size(), false);
    for (const auto& [name, node] : fields) {
      auto column = std::find(columns.begin(), columns.end(), name);
      if (column == columns.end()) {
        return mappingError(where + ": unknown field '" + name +
                            "' (columns: " + columnList(columns) + ")");
      }
      const auto index = static_cast<std::size_t>(column - columns.begin());
      if (seen[index]) return mappingError(where + ": field '" + name + "' given twice");
      seen[index] = true;
      if (is_rows) {
        if (!childElements(node).empty()) {
          return mappingError(where + ": field '" + name + "' must hold text only");
        }
        record[index] = core::xmlText(node);
      } else {
        auto text = memberText(node, where + ": field '" + name + "'", false);
        if (!text) return std::move(text).error();
        record[index] = std::move(*text);
      }
    }
    records.push_back(std::move(record));
  }
  return records;
}

core::Result<core::XmlDocPtr> writtenDocument(std::string_view file, std::size_t rows) {
  xmlNode* root = nullptr;
  xmlNs* ns = nullptr;
  auto doc = newDocument("written", root, ns);
  if (!doc) return doc;
  const std::string name(file);
  const std::string count = std::to_string(rows);
  if (xmlNewProp(root, xmlChars("file"), xmlChars(name.c_str())) == nullptr ||
      xmlNewProp(root, xmlChars("rows"), xmlChars(count.c_str())) == nullptr) {
    return core::makeError(ErrorKind::internal, "out of memory");
  }
  return doc;
}

}  // namespace egov::adapters::csv
