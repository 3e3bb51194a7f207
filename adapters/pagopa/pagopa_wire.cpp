#include "adapters/pagopa/pagopa_wire.hpp"

#include <array>
#include <cstring>

namespace egov::adapters::pagopa {
namespace {

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

constexpr std::array<OperationInfo, 6> kOperations = {{
    {Operation::verify, "paVerifyPaymentNotice", "paVerifyPaymentNoticeReq",
     "paVerifyPaymentNoticeRes", "pagopa.verify"},
    {Operation::get_payment, "paGetPayment", "paGetPaymentReq", "paGetPaymentRes",
     "pagopa.activate"},
    {Operation::get_payment_v2, "paGetPaymentV2", "paGetPaymentV2Request", "paGetPaymentV2Response",
     "pagopa.activate"},
    {Operation::send_rt, "paSendRT", "paSendRTReq", "paSendRTRes", "pagopa.receipt"},
    {Operation::send_rt_v2, "paSendRTV2", "paSendRTV2Request", "paSendRTV2Response",
     "pagopa.receipt"},
    {Operation::demand, "paDemandPaymentNotice", "paDemandPaymentNoticeRequest",
     "paDemandPaymentNoticeResponse", "pagopa.demand"},
}};

bool ignorable(const xmlNode* node) {
  if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE) return true;
  if (node->type != XML_TEXT_NODE) return false;
  return xmlIsBlankNode(const_cast<xmlNode*>(node)) != 0;
}

bool inNamespace(const xmlNode* node, const char* ns) {
  return node->ns && node->ns->href &&
         std::strcmp(reinterpret_cast<const char*>(node->ns->href), ns) == 0;
}

// libxml2 keeps an element with an undeclared prefix as "prefix:name" without a namespace.
std::string_view localName(const xmlNode* node) {
  std::string_view name(reinterpret_cast<const char*>(node->name));
  if (!node->ns) {
    if (auto colon = name.find(':'); colon != std::string_view::npos) name.remove_prefix(colon + 1);
  }
  return name;
}

WireRequest refused(const OperationInfo* operation, std::string description) {
  WireRequest out;
  out.operation = operation;
  out.fault = Fault{"PAA_SINTASSI_EXTRAXSD", std::move(description)};
  return out;
}

// From a request that does not even parse, the operation can still be told when the name of
// one of its root elements appears in it: the node then gets that operation's response.
const OperationInfo* guessOperation(std::string_view body) {
  const OperationInfo* found = nullptr;
  std::size_t at = std::string_view::npos;
  for (const auto& info : kOperations) {
    const std::string open = std::string(info.request);
    for (auto pos = body.find(open); pos != std::string_view::npos;
         pos = body.find(open, pos + 1)) {
      const bool starts = pos > 0 && (body[pos - 1] == '<' || body[pos - 1] == ':');
      const char after = pos + open.size() < body.size() ? body[pos + open.size()] : '\0';
      const bool ends = after == '>' || after == ' ' || after == '/' || after == '\n' ||
                        after == '\t' || after == '\r';
      if (starts && ends && pos < at) {
        at = pos;
        found = &info;
      }
    }
  }
  return found;
}

}  // namespace

const OperationInfo& operationInfo(Operation operation) {
  return kOperations[static_cast<std::size_t>(operation)];
}

const OperationInfo* operationByRequest(std::string_view local_name) {
  for (const auto& info : kOperations) {
    if (local_name == info.request) return &info;
  }
  return nullptr;
}

std::string_view faultString(std::string_view code) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kStrings = {{
      {"PAA_SINTASSI_EXTRAXSD", "Errore di sintassi extra XSD"},
      {"PAA_SINTASSI_XSD", "Errore di sintassi XSD"},
      {"PAA_ID_DOMINIO_ERRATO", "La PAA non corrisponde al Dominio indicato"},
      {"PAA_ID_INTERMEDIARIO_ERRATO", "Identificativo intermediario non corrispondente"},
      {"PAA_STAZIONE_INT_ERRATA", "Stazione intermediario non corrispondente"},
      {"PAA_PAGAMENTO_SCONOSCIUTO", "Pagamento in attesa risulta sconosciuto all'Ente Creditore"},
      {"PAA_PAGAMENTO_DUPLICATO", "Pagamento in attesa risulta concluso all'Ente Creditore"},
      {"PAA_PAGAMENTO_SCADUTO", "Pagamento in attesa risulta scaduto all'Ente Creditore"},
      {"PAA_PAGAMENTO_ANNULLATO", "Pagamento in attesa risulta annullato all'Ente Creditore"},
      {"PAA_PAGAMENTO_IN_CORSO", "Pagamento in attesa risulta in corso all'Ente Creditore"},
      {"PAA_RECEIPT_DUPLICATA", "La receipt e' gia' stata ricevuta"},
      {"PAA_SEMANTICA", "Errore semantico"},
      {"PAA_SYSTEM_ERROR", "Errore generico"},
  }};
  for (const auto& [known, text] : kStrings) {
    if (known == code) return text;
  }
  return "Errore generico";
}

WireRequest readRequest(std::string_view body, const core::XmlLimits& limits,
                        const core::XsdSchema& schema) {
  auto parsed = core::parseXml(body, limits, "request");
  if (!parsed)
    return refused(guessOperation(body), "not well-formed XML: " + parsed.error().message);
  const xmlNode* envelope = xmlDocGetRootElement(parsed->get());
  if (!envelope || localName(envelope) != "Envelope" || !inNamespace(envelope, kSoap11Ns)) {
    return refused(guessOperation(body), "not a SOAP 1.1 Envelope");
  }
  const xmlNode* soap_body = nullptr;
  for (const xmlNode* child = envelope->children; child; child = child->next) {
    if (child->type == XML_ELEMENT_NODE && localName(child) == "Body" &&
        inNamespace(child, kSoap11Ns)) {
      soap_body = child;
    }
  }
  if (!soap_body) return refused(guessOperation(body), "the Envelope has no SOAP 1.1 Body");
  const xmlNode* root = nullptr;
  for (const xmlNode* child = soap_body->children; child; child = child->next) {
    if (ignorable(child)) continue;
    if (child->type != XML_ELEMENT_NODE || root) {
      return refused(guessOperation(body), "the SOAP Body must hold exactly one element");
    }
    root = child;
  }
  if (!root) return refused(nullptr, "the SOAP Body is empty");

  WireRequest out;
  out.operation = operationByRequest(localName(root));
  if (!out.operation) {
    return refused(nullptr, "unknown operation " + std::string(localName(root)));
  }
  if (!inNamespace(root, kPaForNodeNs)) {
    const std::string ns = root->ns && root->ns->href
                               ? reinterpret_cast<const char*>(root->ns->href)
                               : std::string("no namespace (undeclared prefix?)");
    return refused(out.operation, std::string(out.operation->request) + " must be in namespace " +
                                      kPaForNodeNs + ", not " + ns);
  }
  core::XmlDocPtr payload(xmlNewDoc(x("1.0")));
  xmlNode* copy = payload ? xmlDocCopyNode(const_cast<xmlNode*>(root), payload.get(), 1) : nullptr;
  if (!copy) return refused(out.operation, "out of memory");
  xmlDocSetRootElement(payload.get(), copy);
  xmlReconciliateNs(payload.get(), copy);
  if (auto valid = schema.validate(*payload); !valid) {
    return refused(out.operation, valid.error().message);
  }
  out.payload = std::move(payload);
  return out;
}

const xmlNode* wireChild(const xmlNode* parent, const char* name) {
  if (!parent) return nullptr;
  for (const xmlNode* child = parent->children; child; child = child->next) {
    if (child->type == XML_ELEMENT_NODE && !child->ns &&
        std::strcmp(reinterpret_cast<const char*>(child->name), name) == 0) {
      return child;
    }
  }
  return nullptr;
}

std::string wireText(const xmlNode* parent, const char* name) {
  return core::xmlText(wireChild(parent, name));
}

core::XmlDocPtr newResponse(const OperationInfo& operation) {
  core::XmlDocPtr doc(xmlNewDoc(x("1.0")));
  if (!doc) return doc;
  xmlNode* root = xmlNewDocNode(doc.get(), nullptr, x(operation.response), nullptr);
  if (!root) return nullptr;
  xmlDocSetRootElement(doc.get(), root);
  xmlSetNs(root, xmlNewNs(root, x(kPaForNodeNs), x("pafn")));
  return doc;
}

xmlNode* wireAppend(xmlNode* parent, const char* name, const std::string* text) {
  // Not xmlNewChild: with no namespace it would inherit the parent's, and the children of the
  // root element must be unqualified.
  xmlNode* node = xmlNewDocNode(parent->doc, nullptr, x(name), nullptr);
  if (!node) return nullptr;
  if (text) xmlNodeAddContent(node, x(text->c_str()));
  return xmlAddChild(parent, node);
}

core::XmlDocPtr faultResponse(const OperationInfo& operation, const Fault& fault,
                              std::string_view id) {
  auto doc = newResponse(operation);
  if (!doc) return doc;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  wireAppend(root, "outcome", std::string("KO"));
  xmlNode* bean = wireAppend(root, "fault");
  wireAppend(bean, "faultCode", fault.code);
  wireAppend(bean, "faultString", std::string(faultString(fault.code)));
  wireAppend(bean, "id", std::string(id));
  if (!fault.description.empty()) wireAppend(bean, "description", fault.description);
  return doc;
}

std::string envelope(const xmlDoc& payload) {
  const xmlNode* root = xmlDocGetRootElement(const_cast<xmlDoc*>(&payload));
  return std::string(
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soapenv:Envelope xmlns:soapenv=\"") +
         kSoap11Ns + "\"><soapenv:Body>" + (root ? core::serializeXmlNode(*root) : "") +
         "</soapenv:Body></soapenv:Envelope>";
}

std::string soapClientFault(std::string_view faultstring) {
  core::XmlDocPtr doc(xmlNewDoc(x("1.0")));
  if (!doc) return {};
  xmlNode* envelope = xmlNewDocNode(doc.get(), nullptr, x("Envelope"), nullptr);
  xmlDocSetRootElement(doc.get(), envelope);
  xmlNs* ns = xmlNewNs(envelope, x(kSoap11Ns), x("soapenv"));
  xmlSetNs(envelope, ns);
  xmlNode* fault =
      xmlNewChild(xmlNewChild(envelope, ns, x("Body"), nullptr), ns, x("Fault"), nullptr);
  // SOAP 1.1: faultcode and faultstring are unqualified.
  wireAppend(fault, "faultcode", std::string("soapenv:Client"));
  wireAppend(fault, "faultstring", std::string(faultstring));
  return core::serializeXml(*doc, true);
}

}  // namespace egov::adapters::pagopa
