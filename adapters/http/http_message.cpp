#include "adapters/http/http_message.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <curl/curl.h>
#include <libxml/tree.h>

#include "core/json/json_xml.hpp"

namespace egov::adapters::http {
namespace {

using core::ErrorKind;
using core::makeError;

std::string lowerCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Request headers in sending order; a later set() of the same name (any case) replaces the
// earlier value, so configured and envelope headers can override the adapter's defaults.
class HeaderList {
 public:
  void set(std::string name, std::string value) {
    const std::string key = lowerCase(name);
    for (auto& entry : entries_) {
      if (lowerCase(entry.first) == key) {
        entry.second = std::move(value);
        return;
      }
    }
    entries_.emplace_back(std::move(name), std::move(value));
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    // curl drops "Name:" (it means "remove this header"); "Name;" sends it empty.
    for (const auto& [name, value] : entries_) {
      out.push_back(value.empty() ? name + ";" : name + ": " + value);
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

bool hasName(const xmlNode* node, const char* local_name, bool any_ns_allowed) {
  if (!node || node->type != XML_ELEMENT_NODE) return false;
  if (std::string_view(reinterpret_cast<const char*>(node->name)) != local_name) return false;
  if (!node->ns || !node->ns->href) return any_ns_allowed;
  return std::string_view(reinterpret_cast<const char*>(node->ns->href)) == kHttpEnvelopeNs;
}

bool isWhitespace(const xmlNode* node) {
  if (node->type != XML_TEXT_NODE) return false;
  const std::string text = core::xmlText(node);
  return std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  });
}

bool isMappingNoise(const xmlNode* node) {
  return node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE || isWhitespace(node);
}

core::Error envelopeError(std::string message) {
  return makeError(ErrorKind::mapping_failed, "request envelope: " + std::move(message));
}

bool isPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  return std::none_of(path.begin(), path.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '?' || c == '#';
  });
}

struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};

std::optional<std::string> urlEscape(const std::string& text) {
  // The handle argument is ignored since curl 7.82.
  std::unique_ptr<char, CurlStringDeleter> escaped(
      curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size())));
  if (!escaped) return std::nullopt;
  return std::string(escaped.get());
}

// What an envelope asks for, beyond the endpoint's defaults.
struct Envelope {
  std::optional<std::string> method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> query;
  const xmlNode* payload = nullptr;
};

core::Result<Envelope> readEnvelope(const xmlNode* root) {
  Envelope envelope;
  if (xmlHasProp(root, BAD_CAST "method")) {
    std::string method = core::xmlAttr(root, "method");
    if (!isHttpMethod(method))
      return envelopeError("method must be GET, POST, PUT, DELETE or PATCH");
    envelope.method = std::move(method);
  }
  if (xmlHasProp(root, BAD_CAST "path")) {
    envelope.path = core::xmlAttr(root, "path");
    if (!isPath(envelope.path)) {
      return envelopeError(
          "path must start with '/' and contain no space, control character, '?' or '#'");
    }
  }
  bool has_body = false;
  for (const xmlNode* child = root->children; child; child = child->next) {
    if (isMappingNoise(child)) continue;
    if (hasName(child, "header", true)) {
      std::string name = core::xmlAttr(child, "name");
      std::string value = core::xmlText(child);
      if (!isHeaderName(name)) return envelopeError("invalid header name");
      if (isReservedHeader(name)) return envelopeError("header " + name + " is set by the adapter");
      if (!isHeaderValue(value))
        return envelopeError("header " + name + " has a control character");
      envelope.headers.emplace_back(std::move(name), std::move(value));
    } else if (hasName(child, "query", true)) {
      std::string name = core::xmlAttr(child, "name");
      if (name.empty()) return envelopeError("<query> needs a name");
      envelope.query.emplace_back(std::move(name), core::xmlText(child));
    } else if (hasName(child, "body", true)) {
      if (has_body) return envelopeError("more than one <body>");
      has_body = true;
      for (const xmlNode* item = child->children; item; item = item->next) {
        if (isMappingNoise(item)) continue;
        if (item->type != XML_ELEMENT_NODE || envelope.payload) {
          return envelopeError("<body> must hold exactly one element");
        }
        envelope.payload = item;
      }
      if (!envelope.payload) return envelopeError("<body> must hold exactly one element");
    } else {
      const char* what =
          child->type == XML_ELEMENT_NODE ? reinterpret_cast<const char*>(child->name) : "text";
      return envelopeError(std::string("unexpected ") + what + " in <request>");
    }
  }
  return envelope;
}

// An element of a larger document serialized on its own, with the namespace declarations
// it inherits (xmlNodeDump alone would drop those of its ancestors).
core::Result<std::string> serializeElement(const xmlNode& node) {
  core::XmlDocPtr doc(xmlNewDoc(BAD_CAST "1.0"));
  xmlNode* copy = doc ? xmlDocCopyNode(const_cast<xmlNode*>(&node), doc.get(), 1) : nullptr;
  if (!copy) return makeError(ErrorKind::internal, "out of memory copying the request body");
  xmlDocSetRootElement(doc.get(), copy);
  return core::serializeXml(*doc);
}

std::string buildUrl(const std::string& base, const std::string& path) {
  if (path.empty()) return base;
  const auto query_at = base.find('?');
  std::string url = base.substr(0, query_at);
  if (!url.empty() && url.back() == '/') url.pop_back();
  url += path;
  if (query_at != std::string::npos) url += base.substr(query_at);
  return url;
}

std::string_view mediaTypeText(HttpFormat format) {
  return format == HttpFormat::json ? "application/json" : "application/xml";
}

}  // namespace

core::Result<HttpRequestSpec> buildHttpRequest(const HttpConfig& config,
                                               const core::Exchange& exchange, const xmlDoc& body) {
  const xmlNode* root = xmlDocGetRootElement(const_cast<xmlDoc*>(&body));
  if (!root) return makeError(ErrorKind::mapping_failed, "the body has no root element");

  Envelope envelope;
  const bool enveloped = hasName(root, "request", false);
  if (enveloped) {
    auto read = readEnvelope(root);
    if (!read) return std::move(read).error();
    envelope = std::move(*read);
  }

  HttpRequestSpec spec;
  spec.method = envelope.method.value_or(config.method);
  spec.url = buildUrl(config.url, envelope.path);
  char separator = spec.url.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : envelope.query) {
    auto escaped_name = urlEscape(name);
    auto escaped_value = urlEscape(value);
    if (!escaped_name || !escaped_value) {
      return envelopeError("query parameter " + name + " cannot be URL-encoded");
    }
    spec.url += separator + *escaped_name + "=" + *escaped_value;
    separator = '&';
  }

  const bool sends_body = spec.method != "GET" && spec.method != "DELETE";
  const xmlNode* payload = enveloped ? envelope.payload : root;
  if (sends_body && payload) {
    core::Result<std::string> text = std::string();
    if (config.format == HttpFormat::json) {
      text = enveloped ? core::xmlNodeToJson(*payload) : core::xmlToJson(body);
    } else {
      text = enveloped ? serializeElement(*payload)
                       : core::Result<std::string>(core::serializeXml(body));
    }
    if (!text) return std::move(text).error();
    spec.body = std::move(*text);
  }

  HeaderList headers;
  headers.set("Accept", std::string(mediaTypeText(config.format)));
  if (!spec.body.empty()) headers.set("Content-Type", std::string(mediaTypeText(config.format)));
  for (const auto& [name, value] : config.headers) headers.set(name, value);
  for (const auto& [name, value] : envelope.headers) headers.set(name, value);
  // Set last so nothing overrides them; an id that could break the header block is dropped.
  auto setId = [&](const char* name, const std::string& value) {
    if (!value.empty() && isHeaderValue(value)) headers.set(name, value);
  };
  setId("X-Egov-Exchange-Id", exchange.id);
  setId("X-Request-Id", exchange.trace_id);
  spec.headers = headers.lines();

  spec.max_response_bytes = config.max_response_bytes;
  spec.tls = config.tls;
  return spec;
}

core::Error httpStatusError(long status, const std::string& endpoint_name) {
  const std::string message = endpoint_name + ": HTTP " + std::to_string(status);
  core::Error error;
  if (status == 408 || status == 429 || (status >= 500 && status <= 599)) {
    error = makeError(ErrorKind::backend_unavailable, message);
  } else if (status >= 400 && status <= 499) {
    error = makeError(ErrorKind::backend_rejected, message);
  } else {
    // 1xx leftovers and 3xx: redirects are not followed, so the URL is wrong.
    error = makeError(ErrorKind::backend_invalid, message + " (redirects are not followed)");
  }
  error.backend_status = static_cast<int>(status);
  return error;
}

core::Result<core::XmlDocPtr> readHttpReply(const HttpReply& reply, const HttpConfig& config,
                                            std::string_view endpoint_name) {
  const std::string name(endpoint_name);
  const long status = reply.status;
  if (status < 200 || status > 299) return httpStatusError(status, name);

  if (reply.body.empty()) return core::jsonToXml("{}");

  std::string media_type = lowerCase(reply.content_type.substr(0, reply.content_type.find(';')));
  while (!media_type.empty() && media_type.back() == ' ') media_type.pop_back();
  while (!media_type.empty() && media_type.front() == ' ') media_type.erase(0, 1);

  if (media_type == "application/json" || endsWith(media_type, "+json")) {
    core::JsonLimits limits;
    limits.max_bytes = config.max_response_bytes;
    auto doc = core::jsonToXml(reply.body, limits);
    if (!doc) {
      return makeError(ErrorKind::backend_invalid,
                       name + ": invalid JSON reply: " + doc.error().message);
    }
    return doc;
  }
  if (media_type == "application/xml" || media_type == "text/xml" || endsWith(media_type, "+xml")) {
    core::XmlLimits limits;
    limits.max_bytes = config.max_response_bytes;
    auto doc = core::parseXml(reply.body, limits, "reply");
    if (!doc) {
      return makeError(ErrorKind::backend_invalid,
                       name + ": invalid XML reply: " + doc.error().message);
    }
    return doc;
  }
  // The header is the back-end's, so only a short, printable prefix of it is quoted.
  std::string shown = media_type.empty() ? "(none)" : media_type.substr(0, 64);
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return makeError(ErrorKind::backend_invalid, name + ": unexpected content type " + shown);
}

}  // namespace egov::adapters::http
