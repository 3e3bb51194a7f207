#include "adapters/soap/ws_security.hpp"
#include "core/common/xs_datetime.hpp"

#include <array>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include <libxml/valid.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace egov::adapters::soap {
namespace {

struct XmlCharDeleter {
  void operator()(xmlChar* text) const { xmlFree(text); }
};

using core::ErrorKind;
using core::makeError;

// A UsernameToken nonce of 16 random bytes, as most stacks send.
constexpr std::size_t kNonceBytes = 16;

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

core::Error outOfMemory() {
  return makeError(ErrorKind::internal, "out of memory building the WS-Security header");
}

bool isWsuElement(const xmlNode* node, const char* name) {
  return node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, x(name)) && node->ns &&
         xmlStrEqual(node->ns->href, x(kWsuNs));
}

// The back-end's value, quoted short and printable in an error message.
std::string shown(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 40)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  return value.size() > 40 ? out + "..." : out;
}

}  // namespace

std::string base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string passwordDigest(std::string_view nonce, std::string_view created,
                           std::string_view password) {
  std::string input;
  input.reserve(nonce.size() + created.size() + password.size());
  input.append(nonce).append(created).append(password);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha1(), nullptr) != 1) {
    return {};
  }
  OPENSSL_cleanse(input.data(), input.size());  // it held the password
  return base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

std::string xsDateTime(std::chrono::system_clock::time_point when) {
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];  // room for any int year, so the format can never truncate
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis % 1000));
  return text;
}

core::Result<xmlNode*> findTimestamp(xmlNode& security) {
  xmlNode* found = nullptr;
  for (xmlNode* child = security.children; child; child = child->next) {
    if (!isWsuElement(child, "Timestamp")) continue;
    if (found) {
      return makeError(ErrorKind::backend_invalid,
                       "the reply's Security header has more than one wsu:Timestamp");
    }
    found = child;
  }
  return found;
}

core::Result<void> checkTimestamp(const xmlNode& timestamp,
                                  std::chrono::system_clock::time_point now,
                                  std::chrono::milliseconds skew) {
  auto invalid = [](std::string message) {
    return makeError(ErrorKind::backend_invalid, "the reply's wsu:Timestamp " + message);
  };
  std::optional<std::chrono::system_clock::time_point> created;
  std::optional<std::chrono::system_clock::time_point> expires;
  for (const xmlNode* child = timestamp.children; child; child = child->next) {
    const bool is_created = isWsuElement(child, "Created");
    if (!is_created && !isWsuElement(child, "Expires")) continue;
    auto& slot = is_created ? created : expires;
    const char* name = is_created ? "Created" : "Expires";
    if (slot) return invalid(std::string("has more than one ") + name);
    std::unique_ptr<xmlChar, XmlCharDeleter> text(xmlNodeGetContent(child));
    const std::string value = text ? reinterpret_cast<const char*>(text.get()) : "";
    slot = core::parseXsDateTime(value);
    if (!slot) return invalid(std::string("has an unreadable ") + name + " (" + shown(value) + ")");
  }
  if (expires && *expires <= now) {
    return invalid("has expired (Expires " + xsDateTime(*expires) + ", now " + xsDateTime(now) +
                   ")");
  }
  if (created && *created > now + skew) {
    return invalid("was created in the future (Created " + xsDateTime(*created) + ", now " +
                   xsDateTime(now) + ")");
  }
  if (created && expires && *created > *expires) return invalid("expires before it was created");
  return {};
}

core::Result<void> setWsuId(xmlNode& element, const char* id) {
  xmlNs* wsu = xmlSearchNsByHref(element.doc, &element, x(kWsuNs));
  if (!wsu) wsu = xmlNewNs(&element, x(kWsuNs), x("wsu"));
  xmlAttr* attr = wsu ? xmlSetNsProp(&element, wsu, x("Id"), x(id)) : nullptr;
  if (!attr) return outOfMemory();
  if (!xmlAddID(nullptr, element.doc, x(id), attr)) {
    return makeError(ErrorKind::internal, std::string("wsu:Id ") + id + " is already in use");
  }
  return {};
}

core::Result<void> registerWsuIds(xmlDoc& doc) {
  // Iterative walk: the document came from a back-end, its depth is bounded by the parser but
  // recursion would still spend stack per level.
  xmlNode* node = xmlDocGetRootElement(&doc);
  while (node) {
    if (node->type == XML_ELEMENT_NODE) {
      for (xmlAttr* attr = node->properties; attr; attr = attr->next) {
        if (!attr->ns || !xmlStrEqual(attr->ns->href, x(kWsuNs)) ||
            !xmlStrEqual(attr->name, x("Id"))) {
          continue;
        }
        std::unique_ptr<xmlChar, XmlCharDeleter> value(
            xmlNodeListGetString(&doc, attr->children, 1));
        if (!value) return outOfMemory();
        if (!xmlAddID(nullptr, &doc, value.get(), attr)) {
          return makeError(ErrorKind::backend_invalid,
                           "the reply has two elements with the same wsu:Id");
        }
      }
    }
    if (node->type == XML_ELEMENT_NODE && node->children) {
      node = node->children;
      continue;
    }
    while (node && !node->next) node = node->parent;
    if (node) node = node->next;
  }
  return {};
}

core::Result<SecurityHeader> addSecurityHeader(xmlNode& header, const xmlNs& envelope_ns,
                                               bool soap12, const WsSecurityConfig& config,
                                               std::chrono::system_clock::time_point now) {
  SecurityHeader added;
  xmlNode* security = xmlNewChild(&header, nullptr, x("Security"), nullptr);
  if (!security) return outOfMemory();
  xmlNs* wsse = xmlNewNs(security, x(kWsseNs), x("wsse"));
  xmlNs* wsu = xmlNewNs(security, x(kWsuNs), x("wsu"));
  if (!wsse || !wsu) return outOfMemory();
  xmlSetNs(security, wsse);
  if (!xmlSetNsProp(security, const_cast<xmlNs*>(&envelope_ns), x("mustUnderstand"),
                    x(soap12 ? "true" : "1"))) {
    return outOfMemory();
  }
  added.security = security;

  const auto ttl = config.timestamp_ttl;
  if (ttl) {
    xmlNode* timestamp = xmlNewChild(security, wsu, x("Timestamp"), nullptr);
    if (!timestamp) return outOfMemory();
    const std::string created = xsDateTime(now);
    const std::string expires = xsDateTime(now + *ttl);
    if (!xmlNewChild(timestamp, wsu, x("Created"), x(created.c_str())) ||
        !xmlNewChild(timestamp, wsu, x("Expires"), x(expires.c_str()))) {
      return outOfMemory();
    }
    added.timestamp = timestamp;
  }

  if (const auto& token = config.username_token) {
    xmlNode* element = xmlNewChild(security, wsse, x("UsernameToken"), nullptr);
    if (!element) return outOfMemory();
    // xmlNewTextChild escapes; a username with '&' or '<' stays the text it is.
    if (!xmlNewTextChild(element, wsse, x("Username"), x(token->username.c_str()))) {
      return outOfMemory();
    }
    if (token->type == PasswordType::text) {
      xmlNode* password = xmlNewTextChild(element, wsse, x("Password"), x(token->password.c_str()));
      if (!password || !xmlNewProp(password, x("Type"), x(kPasswordTextType))) {
        return outOfMemory();
      }
    } else {
      std::array<unsigned char, kNonceBytes> nonce{};
      if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
        return makeError(ErrorKind::internal, "no random bytes for the UsernameToken nonce");
      }
      const std::string_view raw(reinterpret_cast<const char*>(nonce.data()), nonce.size());
      const std::string created = xsDateTime(now);
      const std::string digest = passwordDigest(raw, created, token->password);
      if (digest.empty()) return makeError(ErrorKind::internal, "SHA-1 is not available");
      xmlNode* password = xmlNewChild(element, wsse, x("Password"), x(digest.c_str()));
      xmlNode* nonce_element = xmlNewChild(element, wsse, x("Nonce"), x(base64Encode(raw).c_str()));
      if (!password || !nonce_element || !xmlNewProp(password, x("Type"), x(kPasswordDigestType)) ||
          !xmlNewProp(nonce_element, x("EncodingType"), x(kBase64BinaryEncoding)) ||
          !xmlNewChild(element, wsu, x("Created"), x(created.c_str()))) {
        return outOfMemory();
      }
    }
  }
  return added;
}

}  // namespace egov::adapters::soap
