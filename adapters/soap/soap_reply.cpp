// readSoapReply (soap_message.hpp): envelope checks, faults, signature verification, the
// Body's payload as the new canonical body.
#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "adapters/http/http_message.hpp"
#include "adapters/soap/soap_message.hpp"
#include "adapters/soap/xml_signature.hpp"
#include "core/json/json_xml.hpp"

namespace egov::adapters::soap {
namespace {

struct NsListDeleter {
  void operator()(xmlNs** list) const { xmlFree(list); }
};

using core::ErrorKind;
using core::makeError;

// Fault texts are the back-end's: quoted short and printable only.
constexpr std::size_t kMaxQuotedChars = 200;

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

bool isElement(const xmlNode* node, const char* name, const char* ns) {
  return node && node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, x(name)) && node->ns &&
         xmlStrEqual(node->ns->href, x(ns));
}

bool isIgnorable(const xmlNode* node) {
  if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE) return true;
  if (node->type != XML_TEXT_NODE) return false;
  const std::string text = core::xmlText(node);
  return std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  });
}

xmlNode* childElement(xmlNode* parent, const char* name, const char* ns) {
  for (xmlNode* child = parent ? parent->children : nullptr; child; child = child->next) {
    if (isElement(child, name, ns)) return child;
  }
  return nullptr;
}

xmlNode* childElementAnyNs(xmlNode* parent, const char* name) {
  for (xmlNode* child = parent ? parent->children : nullptr; child; child = child->next) {
    if (child->type == XML_ELEMENT_NODE && xmlStrEqual(child->name, x(name))) return child;
  }
  return nullptr;
}

// Whitespace collapsed, control characters dropped, cut at a character boundary.
std::string quoted(std::string text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > kMaxQuotedChars) {
    std::size_t cut = kMaxQuotedChars;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "...";
  }
  return out;
}

struct EnvelopeParts {
  xmlNode* header = nullptr;
  xmlNode* body = nullptr;
};

core::Result<EnvelopeParts> readEnvelope(xmlDoc& doc, SoapVersion version) {
  auto invalid = [](std::string message) {
    return makeError(ErrorKind::backend_invalid, std::move(message));
  };
  const char* ns = envelopeNamespace(version);
  xmlNode* root = xmlDocGetRootElement(&doc);
  if (!root || !xmlStrEqual(root->name, x("Envelope")) || !root->ns) {
    return invalid("the reply is not a SOAP envelope");
  }
  if (!xmlStrEqual(root->ns->href, x(ns))) {
    const bool other =
        xmlStrEqual(root->ns->href, x(version == SoapVersion::v11 ? kSoap12Ns : kSoap11Ns));
    if (other) {
      return invalid(version == SoapVersion::v11 ? "the reply is a SOAP 1.2 envelope, not 1.1"
                                                 : "the reply is a SOAP 1.1 envelope, not 1.2");
    }
    return invalid("the reply is not a SOAP envelope");
  }
  // Header?, Body, and nothing else: a second Body or a Body in an odd place is how a
  // wrapped signature would smuggle a different payload past the reader.
  EnvelopeParts parts;
  for (xmlNode* child = root->children; child; child = child->next) {
    if (isIgnorable(child)) continue;
    if (isElement(child, "Header", ns) && !parts.header && !parts.body) {
      parts.header = child;
    } else if (isElement(child, "Body", ns) && !parts.body) {
      parts.body = child;
    } else {
      return invalid("unexpected content in the SOAP envelope");
    }
  }
  if (!parts.body) return invalid("the SOAP envelope has no Body");
  return parts;
}

bool isFaultOf(std::string_view local, std::initializer_list<std::string_view> names) {
  // SOAP 1.1 refines codes with dots ("Client.Authentication").
  const std::string_view head = local.substr(0, local.find('.'));
  return std::find(names.begin(), names.end(), head) != names.end();
}

struct FaultInfo {
  std::string code;    // the QName as sent, quoted()
  std::string reason;  // faultstring (1.1) or Reason/Text (1.2), quoted()
  ErrorKind kind = ErrorKind::backend_rejected;
  xmlNode* detail = nullptr;  // detail (1.1) or Detail (1.2), when present
};

FaultInfo readFault(xmlNode& fault, SoapVersion version, long status) {
  const char* ns = envelopeNamespace(version);
  FaultInfo info;
  xmlNode* code_element = nullptr;
  if (version == SoapVersion::v11) {
    // faultcode and faultstring are unqualified in SOAP 1.1; some stacks qualify them anyway.
    code_element = childElementAnyNs(&fault, "faultcode");
    info.reason = quoted(core::xmlText(childElementAnyNs(&fault, "faultstring")));
    info.detail = childElementAnyNs(&fault, "detail");
  } else {
    code_element = childElement(childElement(&fault, "Code", ns), "Value", ns);
    info.reason =
        quoted(core::xmlText(childElement(childElement(&fault, "Reason", ns), "Text", ns)));
    info.detail = childElement(&fault, "Detail", ns);
  }
  info.code = quoted(core::xmlText(code_element));

  // The code is a QName: its prefix must resolve to the envelope namespace to be a standard
  // code. An unprefixed one is accepted too, as sloppy servers send "Client".
  std::string_view local = info.code;
  bool standard = false;
  if (const auto colon = info.code.find(':'); colon != std::string::npos) {
    const std::string prefix = info.code.substr(0, colon);
    local = std::string_view(info.code).substr(colon + 1);
    const xmlNs* bound = xmlSearchNs(fault.doc, code_element, x(prefix.c_str()));
    standard = bound && xmlStrEqual(bound->href, x(ns));
  } else {
    standard = !info.code.empty();
  }
  if (info.code.empty()) {
    // Nothing to classify by: the status says whose fault it is.
    info.kind = status >= 500 ? ErrorKind::backend_unavailable : ErrorKind::backend_rejected;
  } else if (standard && isFaultOf(local, {"Server", "Receiver"})) {
    info.kind = ErrorKind::backend_unavailable;
  }
  return info;
}

core::Error faultError(const FaultInfo& info, long status, const std::string& name) {
  std::string message = name + ": SOAP fault " + (info.code.empty() ? "(no code)" : info.code);
  if (!info.reason.empty()) message += ": " + info.reason;
  core::Error error = makeError(info.kind, std::move(message));
  error.backend_status = static_cast<int>(status);
  return error;
}

// <fault xmlns="urn:egovbus:soap" code="soap:Client" class="client" status="500">
//   <string>...</string><detail>the fault's detail children, copied</detail></fault>
core::Result<core::XmlDocPtr> faultDocument(const FaultInfo& info, long status) {
  core::XmlDocPtr doc(xmlNewDoc(x("1.0")));
  xmlNode* root = doc ? xmlNewDocNode(doc.get(), nullptr, x("fault"), nullptr) : nullptr;
  if (!root) return makeError(ErrorKind::internal, "out of memory building the fault body");
  xmlDocSetRootElement(doc.get(), root);
  xmlSetNs(root, xmlNewNs(root, x(kSoapFaultNs), nullptr));
  xmlNewProp(root, x("code"), x(info.code.c_str()));
  xmlNewProp(root, x("class"),
             x(info.kind == ErrorKind::backend_unavailable ? "server" : "client"));
  xmlNewProp(root, x("status"), x(std::to_string(status).c_str()));
  xmlNewTextChild(root, root->ns, x("string"), x(info.reason.c_str()));
  xmlNode* detail = xmlNewChild(root, root->ns, x("detail"), nullptr);
  for (xmlNode* child = info.detail ? info.detail->children : nullptr; child && detail;
       child = child->next) {
    if (child->type != XML_ELEMENT_NODE && child->type != XML_TEXT_NODE) continue;
    xmlNode* copy = xmlDocCopyNode(child, doc.get(), 1);
    if (!copy || !xmlAddChild(detail, copy)) {
      xmlFreeNode(copy);
      return makeError(ErrorKind::internal, "out of memory copying the fault detail");
    }
  }
  xmlReconciliateNs(doc.get(), root);
  return doc;
}

xmlNode* securityHeader(xmlNode* header) {
  // The block addressed to the ultimate receiver: without actor (1.1) or role (1.2).
  for (xmlNode* child = header ? header->children : nullptr; child; child = child->next) {
    if (!isElement(child, "Security", kWsseNs)) continue;
    if (!xmlHasNsProp(child, x("actor"), x(kSoap11Ns)) &&
        !xmlHasNsProp(child, x("role"), x(kSoap12Ns))) {
      return child;
    }
  }
  return nullptr;
}

bool isTransportNamespace(const xmlChar* href) {
  for (const char* ns :
       {kSoap11Ns, kSoap12Ns, kWsseNs, kWsuNs, "http://www.w3.org/2000/09/xmldsig#"}) {
    if (xmlStrEqual(href, x(ns))) return true;
  }
  return false;
}

}  // namespace

namespace {

// The one element of the Body, or the reason there is none.
core::Result<xmlNode*> payloadOf(xmlNode& body) {
  xmlNode* payload = nullptr;
  for (xmlNode* child = body.children; child; child = child->next) {
    if (isIgnorable(child)) continue;
    if (child->type != XML_ELEMENT_NODE || payload) {
      return makeError(ErrorKind::backend_invalid, "the SOAP Body must hold exactly one element");
    }
    payload = child;
  }
  if (!payload) return makeError(ErrorKind::backend_invalid, "the SOAP Body is empty");
  return payload;
}

// Prefixes declared on the Envelope may be used inside text and attribute values
// (xsi:type="tns:Posizione"), where a detached payload cannot see them: they move along to
// `root`, except the envelope's and WS-Security's own. `payload` is the element in its
// envelope, `root` the payload's new root (the payload itself, or its copy).
bool declareInScope(xmlNode& payload, xmlDoc& doc, xmlNode& root) {
  std::unique_ptr<xmlNs*, NsListDeleter> in_scope(xmlGetNsList(payload.doc, &payload));
  for (xmlNs** ns = in_scope.get(); ns && *ns; ++ns) {
    if (isTransportNamespace((*ns)->href)) continue;
    // Declared on the root itself already (the nearest declaration of a prefix comes first).
    bool declared = false;
    for (const xmlNs* own = root.nsDef; own && !declared; own = own->next) {
      declared = xmlStrEqual(own->prefix, (*ns)->prefix) != 0;
    }
    if (declared) continue;
    if (&root != &payload && xmlSearchNs(&doc, &root, (*ns)->prefix)) continue;
    if (!xmlNewNs(&root, (*ns)->href, (*ns)->prefix)) return false;
  }
  return true;
}

}  // namespace

core::Result<core::XmlDocPtr> extractPayload(xmlNode& body) {
  auto payload = payloadOf(body);
  if (!payload) return std::move(payload).error();

  core::XmlDocPtr doc(xmlNewDoc(x("1.0")));
  xmlNode* copy = doc ? xmlDocCopyNode(*payload, doc.get(), 1) : nullptr;
  if (!copy) return makeError(ErrorKind::internal, "out of memory copying the SOAP Body");
  xmlDocSetRootElement(doc.get(), copy);
  if (!declareInScope(**payload, *doc, *copy)) {
    return makeError(ErrorKind::internal, "out of memory copying the SOAP Body");
  }
  xmlReconciliateNs(doc.get(), copy);
  return doc;
}

core::Result<core::XmlDocPtr> takePayload(core::XmlDocPtr envelope, xmlNode& body) {
  auto found = payloadOf(body);
  if (!found) return std::move(found).error();
  xmlNode* payload = *found;
  // The payload's namespace references may point at declarations of the Envelope or the Body:
  // the in-scope ones are declared on the payload, which is then detached (nothing above it
  // is in scope any more) and reconciled, so that every reference points into its own subtree
  // before the Envelope is freed. No copy of the payload is made (callgrind: copying it and
  // freeing the parsed envelope were about 5% of a mapped SOAP round trip).
  if (!declareInScope(*payload, *envelope, *payload)) {
    return makeError(ErrorKind::internal, "out of memory detaching the SOAP Body");
  }
  xmlUnlinkNode(payload);
  if (xmlReconciliateNs(envelope.get(), payload) < 0) {
    xmlFreeNode(payload);
    return makeError(ErrorKind::internal, "out of memory detaching the SOAP Body");
  }
  xmlNode* old_root = xmlDocSetRootElement(envelope.get(), payload);
  xmlFreeNode(old_root);
  // Whatever sat beside the Envelope (comments, processing instructions) goes too.
  for (xmlNode* node = envelope->children; node;) {
    xmlNode* next = node->next;
    if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE) {
      xmlUnlinkNode(node);
      xmlFreeNode(node);
    }
    node = next;
  }
  return envelope;
}

core::Result<core::XmlDocPtr> readSoapReply(const http::HttpReply& reply, const SoapConfig& config,
                                            std::string_view endpoint_name) {
  const std::string name(endpoint_name);
  const long status = reply.status;
  const bool success = status >= 200 && status <= 299;
  auto invalid = [&](std::string message) {
    core::Error error = makeError(ErrorKind::backend_invalid, name + ": " + std::move(message));
    error.backend_status = static_cast<int>(status);
    return error;
  };

  if (reply.body.empty()) {
    if (status == 202 || status == 204) return core::jsonToXml("{}");
    return success ? invalid("empty reply") : http::httpStatusError(status, name);
  }

  core::XmlLimits limits;
  limits.max_bytes = config.max_response_bytes;
  auto parsed = core::parseXml(reply.body, limits, "reply");
  // Faults travel with any status (500 in SOAP 1.1, 400 or 500 in 1.2, 200 from some stacks),
  // so an error status is only reported as such when the body says nothing better.
  std::optional<core::Result<EnvelopeParts>> parts;
  if (parsed) parts.emplace(readEnvelope(**parsed, config.version));
  if (parts && parts->ok()) {
    for (xmlNode* child = (*parts)->body->children; child; child = child->next) {
      if (isElement(child, "Fault", envelopeNamespace(config.version))) {
        const FaultInfo info = readFault(*child, config.version, status);
        if (config.faults == FaultHandling::reply) return faultDocument(info, status);
        return faultError(info, status, name);
      }
    }
  }
  if (!success) return http::httpStatusError(status, name);
  if (!parsed) return invalid("invalid XML reply: " + parsed.error().message);
  if (!parts->ok()) return invalid(parts->error().message);

  const EnvelopeParts& envelope = **parts;
  if (config.wssec && config.wssec->verify_response) {
    if (auto ids = registerWsuIds(**parsed); !ids) return invalid(ids.error().message);
    xmlNode* security = securityHeader(envelope.header);
    if (!security) return invalid("the reply is not signed");
    auto timestamp = findTimestamp(*security);
    if (!timestamp) return invalid(timestamp.error().message);
    // The signature first: a timestamp is only worth reading once it is known to be signed.
    auto verified = config.wssec->verify_response->verify(*security, *envelope.body, *timestamp);
    if (verified && *timestamp) {
      verified = checkTimestamp(**timestamp, std::chrono::system_clock::now(),
                                config.wssec->response_clock_skew);
    }
    if (!verified) {
      core::Error error = std::move(verified).error();
      error.message = name + ": " + error.message;
      error.backend_status = static_cast<int>(status);
      return error;
    }
  }

  auto payload = takePayload(std::move(*parsed), *envelope.body);
  if (!payload) {
    core::Error error = std::move(payload).error();
    error.message = name + ": " + error.message;
    error.backend_status = static_cast<int>(status);
    return error;
  }
  if (config.response_schema) {
    if (auto valid = config.response_schema->validate(**payload); !valid) {
      return invalid("the reply does not match " +
                     config.response_schema->file().filename().string() + ": " +
                     valid.error().message);
    }
  }
  return payload;
}

}  // namespace egov::adapters::soap
