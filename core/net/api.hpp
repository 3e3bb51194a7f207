// The unified REST interface as a function from request to response, testable without
// sockets: /api/v1/{tenant}/{service path}, /healthz, /readyz, /metrics.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/engine/bus.hpp"
#include "core/net/beast.hpp"

namespace egov::core {

class SpidSessions;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// POST (open) and DELETE (close) a citizen's bus session from a SPID SAML Response.
inline constexpr std::string_view kSpidSessionPath = "/api/v1/spid/session";
// The request header that carries the session token (never passed on to routes).
inline constexpr const char* kSpidSessionHeader = "X-Spid-Session";

class ApiHandler {
 public:
  explicit ApiHandler(Bus& bus);

  // Runs on the I/O thread that read the request; never blocks it.
  awaitable<HttpResponse> handle(HttpRequest request);

 private:
  awaitable<HttpResponse> handleService(const HttpRequest& request, std::string_view path,
                                        std::string_view query);
  // One-way routes: run the steps before `enqueue`, journal the exchange, answer 202.
  awaitable<Result<void>> handOff(const HttpRequest& request, const Generation& generation,
                                  const Tenant& tenant, const Route& route, Exchange& exchange,
                                  HeaderList& extra_headers);
  // GET /api/v1/{tenant}/exchanges/{id}: a journaled exchange's state.
  awaitable<Result<void>> exchangeStatus(const Tenant& tenant, const std::string& id,
                                         Exchange& exchange);
  // SPID (api_spid.cpp): the session endpoint, and the citizen of a service request — its
  // identity from X-Spid-Session, then the route's `require` (401/403).
  awaitable<HttpResponse> spidSession(const HttpRequest& request);
  Result<void> admitCitizen(const HttpRequest& request, const Generation& generation,
                            const Route& route, Exchange& exchange);
  SpidSessions& spidSessions() const;
  HttpResponse plain(const HttpRequest& request, http::status status, std::string body,
                     const char* content_type) const;

  Bus& bus_;
};

// Percent-decoding of a path segment or query component ('+' is a space only in queries).
bool percentDecode(std::string_view in, std::string& out, bool plus_is_space);

}  // namespace egov::core
