#include "adapters/db/db_rows.hpp"

#include <new>
#include <string>

namespace egov::adapters::db {
namespace {

const xmlChar* xc(const char* s) {
  return reinterpret_cast<const xmlChar*>(s);
}

bool isXmlChar(std::uint32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

// Strict UTF-8 (no overlong forms, no surrogates) made only of characters XML 1.0 allows.
bool isXmlText(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t c = 0;
    std::uint32_t min = 0;
    if (lead < 0x80) {
      length = 1, c = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, c = lead & 0x1F, min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, c = lead & 0x0F, min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, c = lead & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      c = (c << 6) | (next & 0x3F);
    }
    if (c < min || (c >= 0xD800 && c <= 0xDFFF) || !isXmlChar(c)) return false;
    i += length;
  }
  return true;
}

core::XmlDocPtr newRowsDocument(xmlNode*& root, xmlNs*& ns) {
  core::XmlDocPtr doc(xmlNewDoc(xc("1.0")));
  if (!doc) throw std::bad_alloc();
  root = xmlNewDocNode(doc.get(), nullptr, xc("rows"), nullptr);
  if (!root) throw std::bad_alloc();
  xmlDocSetRootElement(doc.get(), root);
  ns = xmlNewNs(root, xc(kDbNs), nullptr);
  if (!ns) throw std::bad_alloc();
  xmlSetNs(root, ns);
  return doc;
}

}  // namespace

RowsBuilder::RowsBuilder() {
  // In the body, not the initializer list: root_ and ns_ are initialized after doc_.
  doc_ = newRowsDocument(root_, ns_);
}

void RowsBuilder::beginRow() {
  row_ = xmlNewChild(root_, ns_, xc("row"), nullptr);
  if (!row_) throw std::bad_alloc();
}

xmlNode* RowsBuilder::addFieldNode(std::string_view name) {
  // xmlNewTextChild escapes its content, unlike xmlNewChild which reads entity references.
  xmlNode* field = xmlNewTextChild(row_, ns_, xc("field"), nullptr);
  if (!field || !xmlNewProp(field, xc("name"), xc(std::string(name).c_str()))) {
    throw std::bad_alloc();
  }
  return field;
}

core::Result<void> RowsBuilder::addField(std::string_view name,
                                         std::optional<std::string_view> text) {
  if (!isXmlText(name)) {
    return core::makeError(core::ErrorKind::backend_invalid, "a column name is not valid XML text");
  }
  if (text && !isXmlText(*text)) {
    return core::makeError(
        core::ErrorKind::backend_invalid,
        "column " + std::string(name) + " holds text that is not UTF-8 or not valid in XML");
  }
  xmlNode* field = addFieldNode(name);
  if (!text) {
    if (!xmlNewProp(field, xc("null"), xc("true"))) throw std::bad_alloc();
  } else if (!text->empty()) {
    xmlNodeAddContentLen(field, reinterpret_cast<const xmlChar*>(text->data()),
                         static_cast<int>(text->size()));
  }
  return {};
}

core::Result<void> RowsBuilder::addBlob(std::string_view name, std::string_view bytes) {
  if (!isXmlText(name)) {
    return core::makeError(core::ErrorKind::backend_invalid, "a column name is not valid XML text");
  }
  const std::string encoded = base64(bytes);
  xmlNode* field = addFieldNode(name);
  xmlNodeAddContentLen(field, xc(encoded.c_str()), static_cast<int>(encoded.size()));
  return {};
}

core::XmlDocPtr RowsBuilder::affected(std::int64_t count) {
  xmlNode* root = nullptr;
  xmlNs* ns = nullptr;
  auto doc = newRowsDocument(root, ns);
  if (!xmlNewProp(root, xc("affected"), xc(std::to_string(count).c_str()))) {
    throw std::bad_alloc();
  }
  return doc;
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                            static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace egov::adapters::db
