// From the canonical body to a SOAP request, and from a SOAP answer back to a canonical body.
// Pure functions: no I/O, safe on any thread. With WS-Security signing or verification they
// run xmlsec (about a millisecond of CPU each): the endpoint calls them on its worker pool.
#pragma once

#include <chrono>
#include <string_view>

#include "adapters/http/curl_multi_loop.hpp"
#include "adapters/soap/soap_config.hpp"
#include "core/engine/exchange.hpp"

namespace egov::adapters::soap {

// The transfer for one call, without its timeouts (the caller knows the deadline): a POST of
// an Envelope whose Body holds a copy of `body`'s root element (document/literal), with the
// configured wsse:Security header (stamped with `now`) and signature. Errors: mapping_failed
// (the body has no root element), internal (out of memory, a signing failure).
core::Result<http::HttpRequestSpec> buildSoapRequest(const SoapConfig& config,
                                                     const core::Exchange& exchange,
                                                     const xmlDoc& body,
                                                     std::chrono::system_clock::time_point now);

// Reads what the back-end answered, whatever its HTTP status:
//   a Fault in the Body (in a 2xx, 4xx or 5xx alike): client faults (1.1 Client, 1.2 Sender,
//     and MustUnderstand, VersionMismatch, DataEncodingUnknown, and codes of the back-end's
//     own) are backend_rejected; server faults (1.1 Server, 1.2 Receiver) backend_unavailable;
//     the message is "<name>: SOAP fault <code>: <faultstring or Reason>", the fault's detail
//     is never quoted (it may carry personal data);
//   no fault and a non-2xx status: as the http adapter (408, 429, 5xx backend_unavailable,
//     other 4xx backend_rejected, 3xx backend_invalid);
//   2xx: the Body's single element child as a new document, with the namespace declarations it
//     uses; not XML, not an Envelope of the configured version, no Body or not exactly one
//     element in it, a failed signature check (wssec.verify_response) or a failed
//     response_schema validation are backend_invalid. 202 or 204 with no body at all (one-way
//     operations) give an empty JSON object, as the http adapter does.
// Every error carries the HTTP status in backend_status.
core::Result<core::XmlDocPtr> readSoapReply(const http::HttpReply& reply, const SoapConfig& config,
                                            std::string_view endpoint_name);

// The single element child of a SOAP Body as a document of its own, with the namespace
// declarations it uses from the envelope (except the envelope's and WS-Security's).
// Errors: backend_invalid (not exactly one element), internal (out of memory).
core::Result<core::XmlDocPtr> extractPayload(xmlNode& body);

// The same without a copy: `body` is the Body of `envelope`, whose payload becomes the root
// of `envelope` itself (the Envelope is freed). What readSoapReply uses.
core::Result<core::XmlDocPtr> takePayload(core::XmlDocPtr envelope, xmlNode& body);

}  // namespace egov::adapters::soap
