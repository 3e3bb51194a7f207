#include "adapters/spid/saml_xml.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <memory>

#include <openssl/evp.h>

#include "core/xml/xml.hpp"

namespace egov::adapters::spid {
namespace {

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

bool isXmlBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct EncodeCtxDeleter {
  void operator()(EVP_ENCODE_CTX* ctx) const { EVP_ENCODE_CTX_free(ctx); }
};

}  // namespace

bool isElement(const xmlNode* node, const char* ns, const char* name) {
  return node && node->type == XML_ELEMENT_NODE && node->ns && xmlStrEqual(node->name, x(name)) &&
         xmlStrEqual(node->ns->href, x(ns));
}

std::vector<xmlNode*> childElements(const xmlNode& parent, const char* ns, const char* name) {
  std::vector<xmlNode*> found;
  for (xmlNode* child = parent.children; child; child = child->next) {
    if (isElement(child, ns, name)) found.push_back(child);
  }
  return found;
}

OnlyChild onlyChild(const xmlNode& parent, const char* ns, const char* name) {
  OnlyChild result;
  for (xmlNode* child = parent.children; child; child = child->next) {
    if (!isElement(child, ns, name)) continue;
    if (result.found) {
      result.repeated = true;
      break;
    }
    result.found = child;
  }
  return result;
}

std::string textValue(const xmlNode& element) {
  // xmlNodeGetContent concatenates every text and CDATA descendant and skips comments and
  // processing instructions, which is what makes "RSS<!-- x -->MRA" read as one value.
  std::string text = core::xmlText(&element);
  std::size_t begin = 0, end = text.size();
  while (begin < end && isXmlBlank(text[begin])) ++begin;
  while (end > begin && isXmlBlank(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

std::optional<std::string> attribute(const xmlNode& element, const char* name) {
  xmlAttr* attr = xmlHasNsProp(&element, x(name), nullptr);
  if (!attr) return std::nullopt;
  xmlChar* value = xmlNodeListGetString(element.doc, attr->children, 1);
  std::string out = value ? reinterpret_cast<const char*>(value) : "";
  xmlFree(value);
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  // OpenSSL's decoder skips blanks but also stops silently at '-'; only base64 goes in.
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || c == '=' || isXmlBlank(c);
    if (!ok) return std::nullopt;
  }
  std::unique_ptr<EVP_ENCODE_CTX, EncodeCtxDeleter> ctx(EVP_ENCODE_CTX_new());
  if (!ctx) return std::nullopt;
  EVP_DecodeInit(ctx.get());
  std::string out(text.size() / 4 * 3 + 3, '\0');
  int written = 0, tail = 0;
  if (EVP_DecodeUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &written,
                       reinterpret_cast<const unsigned char*>(text.data()),
                       static_cast<int>(text.size())) < 0 ||
      EVP_DecodeFinal(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + written, &tail) <
          0) {
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(written + tail));
  return out;
}

std::string formatInstant(std::chrono::system_clock::time_point instant) {
  const std::time_t seconds =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(instant));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return text;
}

}  // namespace egov::adapters::spid
