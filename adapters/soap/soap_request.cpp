// buildSoapRequest (soap_message.hpp): the Envelope around the canonical body, its
// WS-Security header and signature, and the HTTP headers of the SOAP version.
#include <cctype>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <libxml/xmlsave.h>

#include "adapters/http/http_config.hpp"
#include "adapters/soap/soap_message.hpp"
#include "adapters/soap/xml_signature.hpp"

namespace egov::adapters::soap {
namespace {

struct XmlNodeDeleter {
  void operator()(xmlNode* node) const { xmlFreeNode(node); }
};

using core::ErrorKind;
using core::makeError;

constexpr const char* kBodyId = "egov-body";
constexpr const char* kTimestampId = "egov-timestamp";

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

core::Error outOfMemory() {
  return makeError(ErrorKind::internal, "out of memory building the SOAP envelope");
}

// Without a WS-Security header the envelope is text around the payload, serialized where it
// is: no copy of the payload into an envelope document (callgrind: copying it, and freeing the
// copy, were about 5% of a mapped SOAP round trip). The bytes are those of the document
// built below (a test compares them): the payload is the root of its document, so it
// declares every namespace it uses.
core::Result<std::string> serializeEnvelope(const SoapConfig& config, const xmlNode& payload) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"";
  out += envelopeNamespace(config.version);
  out += "\"><soap:Body>";
  xmlBuffer* buffer = xmlBufferCreate();
  xmlSaveCtxt* save =
      buffer ? xmlSaveToBuffer(buffer, "UTF-8", XML_SAVE_AS_XML | XML_SAVE_NO_DECL) : nullptr;
  const bool saved = save && xmlSaveTree(save, const_cast<xmlNode*>(&payload)) >= 0;
  const bool closed = save && xmlSaveClose(save) >= 0;
  if (saved && closed) {
    out.append(reinterpret_cast<const char*>(xmlBufferContent(buffer)),
               static_cast<std::size_t>(xmlBufferLength(buffer)));
  }
  if (buffer) xmlBufferFree(buffer);
  if (!saved || !closed) return outOfMemory();
  out += "</soap:Body></soap:Envelope>\n";
  return out;
}

core::Result<std::string> buildEnvelope(const SoapConfig& config, const xmlDoc& body,
                                        std::chrono::system_clock::time_point now) {
  const xmlNode* payload = xmlDocGetRootElement(const_cast<xmlDoc*>(&body));
  if (!payload) return makeError(ErrorKind::mapping_failed, "the body has no root element");
  if (!config.wssec) return serializeEnvelope(config, *payload);

  core::XmlDocPtr doc(xmlNewDoc(x("1.0")));
  xmlNode* envelope = doc ? xmlNewDocNode(doc.get(), nullptr, x("Envelope"), nullptr) : nullptr;
  if (!envelope) return outOfMemory();
  xmlDocSetRootElement(doc.get(), envelope);
  xmlNs* soap = xmlNewNs(envelope, x(envelopeNamespace(config.version)), x("soap"));
  if (!soap) return outOfMemory();
  xmlSetNs(envelope, soap);

  xmlNode* header = nullptr;
  if (config.wssec) {
    header = xmlNewChild(envelope, soap, x("Header"), nullptr);
    if (!header) return outOfMemory();
  }
  xmlNode* soap_body = xmlNewChild(envelope, soap, x("Body"), nullptr);
  // The copy declares the namespaces it uses on its own root, including those the mapping's
  // output had declared further up.
  std::unique_ptr<xmlNode, XmlNodeDeleter> copy(
      soap_body ? xmlDocCopyNode(const_cast<xmlNode*>(payload), doc.get(), 1) : nullptr);
  if (!copy || !xmlAddChild(soap_body, copy.get())) return outOfMemory();
  copy.release();  // the Body owns it now

  if (config.wssec) {
    const WsSecurityConfig& wssec = *config.wssec;
    auto added = addSecurityHeader(*header, *soap, config.version == SoapVersion::v12, wssec, now);
    if (!added) return std::move(added).error();
    if (wssec.sign) {
      std::vector<xmlNode*> signed_elements{soap_body};
      if (auto id = setWsuId(*soap_body, kBodyId); !id) return std::move(id).error();
      if (added->timestamp) {
        if (auto id = setWsuId(*added->timestamp, kTimestampId); !id) return std::move(id).error();
        signed_elements.push_back(added->timestamp);
      }
      if (auto signed_ok = wssec.sign->sign(*added->security, signed_elements); !signed_ok) {
        return std::move(signed_ok).error();
      }
    }
  }
  // Serialized exactly as signed: no indentation is added.
  return core::serializeXml(*doc, true);
}

// Request headers in sending order; a later set() of the same name (any case) replaces it.
class HeaderList {
 public:
  void set(std::string name, std::string value) {
    for (auto& entry : entries_) {
      if (equalNames(entry.first, name)) {
        entry.second = std::move(value);
        return;
      }
    }
    entries_.emplace_back(std::move(name), std::move(value));
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    // curl drops "Name:" (it means "remove this header"); "Name;" sends it empty.
    for (const auto& [name, value] : entries_) {
      out.push_back(value.empty() ? name + ";" : name + ": " + value);
    }
    return out;
  }

 private:
  static bool equalNames(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) !=
          std::tolower(static_cast<unsigned char>(b[i]))) {
        return false;
      }
    }
    return true;
  }
  std::vector<std::pair<std::string, std::string>> entries_;
};

}  // namespace

core::Result<http::HttpRequestSpec> buildSoapRequest(const SoapConfig& config,
                                                     const core::Exchange& exchange,
                                                     const xmlDoc& body,
                                                     std::chrono::system_clock::time_point now) {
  auto envelope = buildEnvelope(config, body, now);
  if (!envelope) return std::move(envelope).error();

  http::HttpRequestSpec spec;
  spec.method = "POST";
  spec.url = config.url;
  spec.body = std::move(*envelope);

  HeaderList headers;
  if (config.version == SoapVersion::v11) {
    headers.set("Accept", "text/xml");
    headers.set("Content-Type", "text/xml; charset=utf-8");
    // SOAP 1.1 requires the header even when the action is empty ("" then).
    headers.set("SOAPAction", "\"" + config.action + "\"");
  } else {
    headers.set("Accept", "application/soap+xml");
    std::string type = "application/soap+xml; charset=utf-8";
    if (!config.action.empty()) type += "; action=\"" + config.action + "\"";
    headers.set("Content-Type", std::move(type));
  }
  for (const auto& [name, value] : config.headers) headers.set(name, value);
  // Set last so nothing overrides them; an id that could break the header block is dropped.
  auto setId = [&](const char* name, const std::string& value) {
    if (!value.empty() && http::isHeaderValue(value)) headers.set(name, value);
  };
  setId("X-Egov-Exchange-Id", exchange.id);
  setId("X-Request-Id", exchange.trace_id);
  spec.headers = headers.lines();

  spec.max_response_bytes = config.max_response_bytes;
  spec.tls = config.tls;
  return spec;
}

}  // namespace egov::adapters::soap
