// Owned libxml2 handles and the one bounded XML parser every entry point uses.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <libxml/tree.h>

#include "core/common/result.hpp"

namespace egov::core {

struct XmlDocDeleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocDeleter>;

struct XmlLimits {
  std::size_t max_bytes = 10 * 1024 * 1024;
  unsigned max_depth = 256;
  std::size_t max_nodes = 1'000'000;
};

// Parses untrusted XML: no DTD at all (a DOCTYPE is an error, so no entity expansion and
// no external fetch), no network, bounded size, depth and node count. Errors are
// ErrorKind::bad_request with "name:line:col: message". Safe to call from any thread.
Result<XmlDocPtr> parseXml(std::string_view text, const XmlLimits& limits = {},
                           const char* name = "input");

// Serializes a document as UTF-8. Without the declaration unless asked for.
std::string serializeXml(const xmlDoc& doc, bool with_declaration = false);
std::string serializeXmlNode(const xmlNode& node);

// Deep copy of a document (xmlCopyDoc), or null when out of memory.
XmlDocPtr copyXml(const xmlDoc& doc);

// Library-wide init of libxml2/libxslt/EXSLT; call once from main (and test main).
void initXmlLibraries();

// Text content of a node, as std::string.
std::string xmlText(const xmlNode* node);
// Attribute value or empty.
std::string xmlAttr(const xmlNode* node, const char* name);

}  // namespace egov::core
