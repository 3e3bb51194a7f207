// The pagoPA creditor interface on the wire: SOAP 1.1 document/literal, the Body's root element
// in the paForNode namespace and its children unqualified. Reading the node's requests and
// writing the bus's answers (an OK payload, or outcome KO with a fault bean). Pure functions,
// any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/schema/xsd_schema.hpp"
#include "core/xml/xml.hpp"

namespace egov::adapters::pagopa {

inline constexpr const char* kPaForNodeNs = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";
inline constexpr const char* kSoap11Ns = "http://schemas.xmlsoap.org/soap/envelope/";

enum class Operation { verify, get_payment, get_payment_v2, send_rt, send_rt_v2, demand };

struct OperationInfo {
  Operation operation;
  const char* name;      // the WSDL operation, "paVerifyPaymentNotice"
  const char* request;   // the Body's root element the node sends
  const char* response;  // the one the bus answers
  const char* service;   // the canonical service its route serves
};

const OperationInfo& operationInfo(Operation operation);
// By the local name of the Body's root element; null when it is none of ours.
const OperationInfo* operationByRequest(std::string_view local_name);

// A pagoPA fault: faultCode (PAA_*), and a description for the node's operators.
struct Fault {
  std::string code;
  std::string description;
};
// The official faultString of a code ("Errore generico" for PAA_SYSTEM_ERROR).
std::string_view faultString(std::string_view code);

// What readRequest found: the operation when it could be told (even from a malformed
// request, so that the answer is that operation's response), and either the payload (the
// Body's root element as a document of its own, valid against the wire schema) or a fault.
struct WireRequest {
  const OperationInfo* operation = nullptr;
  core::XmlDocPtr payload;
  Fault fault;  // set when payload is null
};

// Dispatches on the Body's root element (SOAPAction is not looked at) and validates it.
// PAA_SINTASSI_EXTRAXSD for anything that is not a well-formed SOAP 1.1 envelope with exactly
// one element in its Body, a root element outside the paForNode namespace, or a payload the
// schema refuses.
WireRequest readRequest(std::string_view body, const core::XmlLimits& limits,
                        const core::XsdSchema& schema);

// Text of the unqualified child `name` of `parent` ("" when absent), and the child itself.
const xmlNode* wireChild(const xmlNode* parent, const char* name);
std::string wireText(const xmlNode* parent, const char* name);

// A response payload: the operation's response element with its unqualified children; the
// caller appends them with wireAppend.
core::XmlDocPtr newResponse(const OperationInfo& operation);
xmlNode* wireAppend(xmlNode* parent, const char* name, const std::string* text = nullptr);
inline xmlNode* wireAppend(xmlNode* parent, const char* name, const std::string& text) {
  return wireAppend(parent, name, &text);
}

// outcome KO with the fault bean: faultCode, faultString, id (who raises it: the creditor's
// fiscal code, or the broker's), description.
core::XmlDocPtr faultResponse(const OperationInfo& operation, const Fault& fault,
                              std::string_view id);

// The SOAP 1.1 envelope around a payload document.
std::string envelope(const xmlDoc& payload);
// A SOAP 1.1 Client fault, for requests no operation can be told from.
std::string soapClientFault(std::string_view faultstring);

}  // namespace egov::adapters::pagopa
