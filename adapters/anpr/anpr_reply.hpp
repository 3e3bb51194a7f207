// Reading what PDND's token endpoint and an ANPR e-service answered, and classifying their
// errors into the bus's ErrorKind. Pure functions: no I/O, safe on any thread. Messages quote
// only error codes and texts of the providers, with fiscal codes masked, never the payload.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

#include "adapters/anpr/voucher_cache.hpp"
#include "adapters/http/curl_multi_loop.hpp"
#include "core/xml/xml.hpp"

namespace egov::adapters::anpr {

// Seconds to wait from a Retry-After value (delta-seconds or an HTTP-date, read by curl),
// at least 1; nullopt when absent or unreadable.
std::optional<int> retryAfterSeconds(const std::string& value, std::time_t now);

struct TokenReplyContext {
  core::Clock::time_point now;
  std::chrono::milliseconds margin;         // refresh this long before expires_in
  core::Clock::time_point latest_refresh;   // the bound TrackingEvidence stops being reused then
  std::chrono::milliseconds default_retry;  // a 429 without Retry-After
  std::string name;                         // endpoint name, prefixed to messages
};

// 200 {access_token, token_type: Bearer, expires_in > 0} -> a voucher; otherwise:
// 429 rate_limited (retry_after_s), 400/401/403 backend_rejected with PDND's error codes,
// 408/5xx backend_unavailable, anything unreadable backend_invalid.
core::Result<Voucher> readTokenReply(const http::HttpReply& reply,
                                     const TokenReplyContext& context);

// 2xx: the RispostaE002OK as a canonical document. Otherwise, with ANPR's listaErrori or the
// gateway's problem+json codes in the message and backend_status set:
//   404 with listaErrori     not_found (the subject is not in ANPR)
//   429                      rate_limited, retry_after_s from Retry-After or `default_retry`
//   400, 401, 403, 409, 4xx  backend_rejected
//   408, 5xx                 backend_unavailable
//   other statuses, unreadable 2xx bodies: backend_invalid
core::Result<core::XmlDocPtr> readEserviceReply(const http::HttpReply& reply,
                                                std::uint64_t max_bytes,
                                                std::chrono::milliseconds default_retry,
                                                const std::string& name);

}  // namespace egov::adapters::anpr
