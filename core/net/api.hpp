// The unified REST interface as a function from request to response, testable without
// sockets: /api/v1/{tenant}/{service path}, /healthz, /readyz, /metrics.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/engine/bus.hpp"
#include "core/net/beast.hpp"

namespace egov::core {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

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
  HttpResponse plain(const HttpRequest& request, http::status status, std::string body,
                     const char* content_type) const;

  Bus& bus_;
};

// Percent-decoding of a path segment or query component ('+' is a space only in queries).
bool percentDecode(std::string_view in, std::string& out, bool plus_is_space);

}  // namespace egov::core
