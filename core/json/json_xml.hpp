// Lossless JSON <-> XML in the W3C XPath 3.1 json-to-xml representation (XPath and XQuery
// Functions 3.1, §17.5), so that XSLT mappings can read and write JSON bodies.
//
//   {"a":[1,"x",true,null]}  <->
//   <map xmlns="http://www.w3.org/2005/xpath-functions"><array key="a"><number>1</number>
//   <string>x</string><boolean>true</boolean><null/></array></map>
//
// Lossless means: number text is kept exactly as written (no double round trip), key order is
// kept, and characters XML 1.0 cannot carry (controls, CR, U+FFFE/U+FFFF) travel as JSON escape
// sequences under escaped="true" / escaped-key="true", as the specification's escape option does.
// All functions are pure and safe to call from any thread; libxml2 must have been initialised
// once (initXmlLibraries) before.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <libxml/tree.h>

#include "core/common/result.hpp"
#include "core/xml/xml.hpp"

namespace egov::core {

inline constexpr const char* kXpathFunctionsNs = "http://www.w3.org/2005/xpath-functions";

struct JsonLimits {
  std::size_t max_bytes = 1 << 20;
  unsigned max_depth = 64;  // nesting of objects and arrays; a top-level {} is depth 1
};

// JSON text (any value at top level) -> a new document whose root element (map, array, string,
// number, boolean or null) declares kXpathFunctionsNs as default namespace. The caller owns it.
// Errors: ErrorKind::payload_too_large over limits.max_bytes; otherwise ErrorKind::bad_request
// "line L, column C: <reason>" (1-based, column counted in characters) for malformed JSON,
// invalid UTF-8, a lone surrogate escape, a duplicate key in one object (duplicate key "k")
// or nesting deeper than limits.max_depth.
Result<XmlDocPtr> jsonToXml(std::string_view json, const JsonLimits& limits = {});

// The XPath 3.1 XML representation -> compact JSON text (no whitespace, key order kept, numbers
// copied as written). Whitespace around number and boolean text is ignored; <number> text must
// follow the JSON grammar (not the wider xs:double one), <boolean> text is xs:boolean (true,
// false, 1, 0). Whitespace, comments and processing instructions between members are layout.
// xmlToJson converts the root element, xmlNodeToJson any element (a key attribute on that element
// itself is ignored, so a map member can be converted on its own). Errors are
// ErrorKind::mapping_failed, since the input is what an XSLT mapping produced:
// "<name> at line N: <reason>" for an unknown element, a wrong namespace, a missing or duplicate
// key in a map, a key inside an array, invalid number/boolean text, text inside map/array, a bad
// escape sequence in an escaped string, or invalid UTF-8.
Result<std::string> xmlToJson(const xmlDoc& doc);
Result<std::string> xmlNodeToJson(const xmlNode& node);

// True when text is exactly a JSON number (RFC 8259 §6), e.g. for building <number> text.
bool isJsonNumber(std::string_view text);

namespace json_detail {
// Shared by json_to_xml.cpp and xml_to_json.cpp: text as a JSON string literal for an error
// message, cut after 64 bytes.
std::string quoteForMessage(std::string_view text);
}  // namespace json_detail

}  // namespace egov::core
