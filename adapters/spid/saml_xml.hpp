// Small helpers to read SAML documents (libxml2 trees) strictly: elements by namespace and
// local name, "exactly one" children, text values, base64 and xs:dateTime.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libxml/tree.h>

namespace egov::adapters::spid {

inline constexpr const char* kSamlpNs = "urn:oasis:names:tc:SAML:2.0:protocol";
inline constexpr const char* kSamlNs = "urn:oasis:names:tc:SAML:2.0:assertion";
inline constexpr const char* kMetadataNs = "urn:oasis:names:tc:SAML:2.0:metadata";
inline constexpr const char* kDsNs = "http://www.w3.org/2000/09/xmldsig#";

bool isElement(const xmlNode* node, const char* ns, const char* name);
// Child elements of `parent` with this namespace and local name, in document order.
std::vector<xmlNode*> childElements(const xmlNode& parent, const char* ns, const char* name);

// The one child element of that name: `found` is null when there is none; `repeated` is true
// when there are several (a SAML element that occurs once must not be ambiguous).
struct OnlyChild {
  xmlNode* found = nullptr;
  bool repeated = false;
};
OnlyChild onlyChild(const xmlNode& parent, const char* ns, const char* name);

// All text of an element's descendants concatenated (comments and processing instructions
// do not split a value: "RSS<!---->MRA" is "RSSMRA"), with surrounding XML blanks removed.
std::string textValue(const xmlNode& element);
// An attribute without namespace, or nullopt when absent.
std::optional<std::string> attribute(const xmlNode& element, const char* name);

// Standard base64 with any XML blanks between characters (as in ds:X509Certificate and the
// HTTP-POST binding); nullopt when not base64.
std::optional<std::string> base64Decode(std::string_view text);

// SAML instants are xs:dateTime with a zone: core::parseXsDateTime reads them.
std::string formatInstant(std::chrono::system_clock::time_point instant);  // "...Z", seconds

}  // namespace egov::adapters::spid
