// From the canonical body to an HTTP request, and from an HTTP answer back to a canonical
// body. Pure functions: no I/O, safe on any thread.
#pragma once

#include <string_view>

#include "adapters/http/curl_multi_loop.hpp"
#include "adapters/http/http_config.hpp"
#include "core/engine/exchange.hpp"

namespace egov::adapters::http {

// A body whose root is {kHttpEnvelopeNs}request describes the request instead of being it:
//
//   <request xmlns="urn:egovbus:http" method="GET" path="/positions/RSSMRA80A01A662X">
//     <header name="X-Year">2024</header>
//     <query name="year">2024</query>          <!-- URL-encoded by the adapter -->
//     <body><map xmlns="http://www.w3.org/2005/xpath-functions">...</map></body>
//   </request>
//
// method overrides the endpoint's; path is appended to the endpoint URL as written (the
// mapping encodes it) and must start with '/' and hold no space, control character, '?' or
// '#'; <body> holds exactly one element, sent in the endpoint's format. Children may be in
// the envelope namespace or in none.
inline constexpr const char* kHttpEnvelopeNs = "urn:egovbus:http";

// The transfer for one call, without its timeouts (the caller knows the deadline). Errors
// are ErrorKind::mapping_failed: the body is what the route's mappings produced.
core::Result<HttpRequestSpec> buildHttpRequest(const HttpConfig& config,
                                               const core::Exchange& exchange, const xmlDoc& body);

// The error for a non-2xx status: 408, 429 and 5xx are retryable (backend_unavailable),
// other 4xx permanent (backend_rejected), 1xx/3xx backend_invalid. Never quotes the body.
// Shared with soap.
core::Error httpStatusError(long status, const std::string& endpoint_name);

// 2xx: the reply body as a canonical document, read by its Content-Type (an empty body gives
// an empty JSON object). Otherwise httpStatusError. Messages never quote the back-end's
// body: it may carry personal data.
core::Result<core::XmlDocPtr> readHttpReply(const HttpReply& reply, const HttpConfig& config,
                                            std::string_view endpoint_name);

}  // namespace egov::adapters::http
