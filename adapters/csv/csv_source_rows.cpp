#include "adapters/csv/csv_source_rows.hpp"

#include "adapters/csv/csv_body.hpp"
#include "core/csv/byte_scan.hpp"

namespace egov::adapters::csv {
namespace {

using core::ErrorKind;

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

// XML 1.0 cannot carry most control characters; a field holding one is rejected. Eight bytes
// at a time while none of them is below 0x20 (tab, LF and CR are, and are fine).
bool xmlSafe(const std::string& text) {
  const char* at = text.data();
  const char* end = at + text.size();
  while (end - at >= 8 && !core::byte_scan::hasBelow(core::byte_scan::load(at), 0x20)) at += 8;
  for (; at < end; ++at) {
    const auto c = static_cast<unsigned char>(*at);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

// The names a chunk's nodes carry, each stored once in the document's dictionary: its
// elements and attributes are made with them as they are (libxml2's *EatName calls), not
// looked up again for every node, and the column names repeat on every row. libxml2 frees
// a node's name or content only when the document's dictionary does not own it.
struct ChunkNames {
  xmlChar* row;
  xmlChar* field;
  xmlChar* number;
  xmlChar* line;
  xmlChar* name;
  std::vector<const xmlChar*> columns;
};

xmlChar* interned(xmlDict* dict, const char* text) {
  return const_cast<xmlChar*>(xmlDictLookup(dict, x(text), -1));
}

// An attribute whose value is `value`, a string of the document's dictionary.
bool addInternedProp(xmlNode* element, xmlChar* name, const xmlChar* value) {
  xmlAttr* attr = xmlNewNsPropEatName(element, nullptr, name, nullptr);
  xmlNode* text = attr ? xmlNewDocText(element->doc, nullptr) : nullptr;
  if (!text) return false;
  text->content = const_cast<xmlChar*>(value);
  text->parent = reinterpret_cast<xmlNode*>(attr);
  attr->children = attr->last = text;
  return true;
}

// <row number=".." line=".."><field name="..">..</field>...</row> under `parent`.
bool addRow(xmlNode* parent, xmlNs* ns, const ChunkNames& names, const CsvRow& row) {
  xmlDoc* doc = parent->doc;
  xmlNode* node = xmlNewDocNodeEatName(doc, ns, names.row, nullptr);
  if (!node) return false;
  xmlAddChild(parent, node);
  if (!xmlNewNsPropEatName(node, nullptr, names.number, x(std::to_string(row.number).c_str())) ||
      !xmlNewNsPropEatName(node, nullptr, names.line, x(std::to_string(row.line).c_str()))) {
    return false;
  }
  for (std::size_t i = 0; i < names.columns.size(); ++i) {
    xmlNode* field = xmlNewDocNodeEatName(doc, ns, names.field, nullptr);
    if (!field) return false;
    xmlAddChild(node, field);
    xmlNode* text = xmlNewDocText(doc, x(row.fields[i].c_str()));
    if (!text) return false;
    text->parent = field;
    field->children = field->last = text;
    if (!addInternedProp(field, names.name, names.columns[i])) return false;
  }
  return true;
}

}  // namespace

// Why a row cannot be handed to the route (a wrong number of fields, a control character),
// as its outcome's detail; empty when it can.
std::string rowProblem(const std::vector<std::string>& header, const CsvRow& row) {
  if (row.fields.size() != header.size()) {
    return "bad-request: the row has " + std::to_string(row.fields.size()) +
           " fields, the header " + std::to_string(header.size());
  }
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (!xmlSafe(row.fields[i])) {
      return "bad-request: column '" + header[i] + "' holds a control character";
    }
  }
  return {};
}

// One row per exchange (rows_per_exchange 1): the row is the root, with the file's name.
core::Result<core::XmlDocPtr> rowDocument(const std::string& file,
                                          const std::vector<std::string>& header,
                                          const CsvRow& row) {
  core::XmlDocPtr doc(xmlNewDoc(x("1.0")));
  xmlNode* root = doc ? xmlNewDocNode(doc.get(), nullptr, x("row"), nullptr) : nullptr;
  if (!root) return core::makeError(ErrorKind::internal, "out of memory");
  xmlDocSetRootElement(doc.get(), root);
  xmlNs* ns = xmlNewNs(root, x(kCsvNamespace), nullptr);
  xmlSetNs(root, ns);
  xmlNewProp(root, x("file"), x(file.c_str()));
  xmlNewProp(root, x("number"), x(std::to_string(row.number).c_str()));
  xmlNewProp(root, x("line"), x(std::to_string(row.line).c_str()));
  for (std::size_t i = 0; i < header.size(); ++i) {
    xmlNode* field = xmlNewTextChild(root, ns, x("field"), x(row.fields[i].c_str()));
    if (!field) return core::makeError(ErrorKind::internal, "out of memory");
    xmlNewProp(field, x("name"), x(header[i].c_str()));
  }
  return doc;
}

// Chunk mode: <rows file=".." first=".." last=".."> holding the given rows, in file order.
// The document has a dictionary, so element and attribute names are stored once.
core::Result<core::XmlDocPtr> chunkDocument(const std::string& file,
                                            const std::vector<std::string>& header,
                                            const std::vector<const CsvRow*>& rows) {
  core::XmlDocPtr doc(xmlNewDoc(x("1.0")));
  if (!doc) return core::makeError(ErrorKind::internal, "out of memory");
  doc->dict = xmlDictCreate();
  xmlNode* root = doc->dict ? xmlNewDocNode(doc.get(), nullptr, x("rows"), nullptr) : nullptr;
  if (!root) return core::makeError(ErrorKind::internal, "out of memory");
  xmlDocSetRootElement(doc.get(), root);
  xmlNs* ns = xmlNewNs(root, x(kCsvNamespace), nullptr);
  xmlSetNs(root, ns);
  xmlNewProp(root, x("file"), x(file.c_str()));
  xmlNewProp(root, x("first"), x(std::to_string(rows.front()->number).c_str()));
  xmlNewProp(root, x("last"), x(std::to_string(rows.back()->number).c_str()));
  xmlDict* dict = doc->dict;
  ChunkNames names{interned(dict, "row"),  interned(dict, "field"), interned(dict, "number"),
                   interned(dict, "line"), interned(dict, "name"),  {}};
  bool interned_all = names.row && names.field && names.number && names.line && names.name;
  names.columns.reserve(header.size());
  for (const auto& name : header) {
    names.columns.push_back(xmlDictLookup(dict, x(name.c_str()), -1));
    interned_all = interned_all && names.columns.back();
  }
  if (!interned_all) return core::makeError(ErrorKind::internal, "out of memory");
  for (const CsvRow* row : rows) {
    if (!addRow(root, ns, names, *row))
      return core::makeError(ErrorKind::internal, "out of memory");
  }
  return doc;
}

}  // namespace egov::adapters::csv
