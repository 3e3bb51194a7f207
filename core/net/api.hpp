// The unified REST interface as a function from request to response, testable without
// sockets: /api/v1/{tenant}/{service path}, /admin/v1/..., /healthz, /readyz, /metrics, and
// the inbound handlers' paths.
//
// Authentication comes first (core/security/authenticator.hpp), before any tenant lookup:
// no or unknown credentials answer 401; a tenant that does not exist and a tenant out of
// the client's scope both answer 403 with the same detail, so a client learns nothing of
// tenants it may not use. /healthz and /readyz are open; /metrics needs an admin key.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/engine/bus.hpp"
#include "core/net/admin_api.hpp"
#include "core/net/beast.hpp"
#include "core/security/authenticator.hpp"

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

  // Runs on the I/O thread that read the request; never blocks it. `peer` is the client
  // certificate the TLS listener verified, if any.
  awaitable<HttpResponse> handle(HttpRequest request,
                                 std::optional<PeerCertificate> peer = std::nullopt);

  // The answer to a request the HTTP listener refused before reading it whole (the
  // HttpServer's RefusalResponder): on an inbound handler's path, that handler's refuse()
  // with `status` (the SOAP and pagoPA handlers answer a SOAP fault: their callers never get
  // anything but SOAP); elsewhere problem+json.
  HttpResponse refuseUnread(const HttpRequest& request, const Error& error,
                            http::status status) const;

 private:
  awaitable<HttpResponse> handleService(const HttpRequest& request, std::string_view path,
                                        std::string_view query, const PeerCertificate* peer);
  awaitable<HttpResponse> handleInbound(const HttpRequest& request, const Generation& generation,
                                        const InboundPath& inbound, std::string tenant_key,
                                        std::string_view path, std::string_view query,
                                        const PeerCertificate* peer);
  // One-way routes: run the steps before `enqueue`, journal the exchange, answer 202 with
  // the acknowledgement in `reply` (JSON; the exchange's body may be gone to its delivery).
  awaitable<Result<void>> handOff(const HttpRequest& request, const Generation& generation,
                                  const Tenant& tenant, const Route& route, Exchange& exchange,
                                  HeaderList& extra_headers, std::string& reply);
  // GET /api/v1/{tenant}/exchanges/{id}: a journaled exchange's state, in `reply` (JSON).
  awaitable<Result<void>> exchangeStatus(const Tenant& tenant, const std::string& id,
                                         const Principal& principal, std::string& reply);
  // SPID (api_spid.cpp): the session endpoint, and the citizen of a service request — its
  // identity from X-Spid-Session, then the route's `require` (401/403).
  awaitable<HttpResponse> spidSession(const HttpRequest& request);
  Result<void> admitCitizen(const HttpRequest& request, const Generation& generation,
                            const Route& route, Exchange& exchange);
  SpidSessions& spidSessions() const;
  HttpResponse plain(const HttpRequest& request, http::status status, std::string body,
                     const char* content_type) const;

  Bus& bus_;
  AdminApi admin_;
};

}  // namespace egov::core
