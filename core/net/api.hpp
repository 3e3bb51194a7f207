// The unified REST interface as a function from request to response, testable without
// sockets: /api/v1/{tenant}/{service path}, /healthz, /readyz, /metrics.
#pragma once

#include "core/engine/bus.hpp"
#include "core/net/beast.hpp"

namespace egov::core {

class ApiHandler {
 public:
  explicit ApiHandler(Bus& bus);

  // Runs on the I/O thread that read the request; never blocks it.
  awaitable<HttpResponse> handle(HttpRequest request);

 private:
  awaitable<HttpResponse> handleService(const HttpRequest& request, std::string_view path,
                                        std::string_view query);
  HttpResponse plain(const HttpRequest& request, http::status status, std::string body,
                     const char* content_type) const;

  Bus& bus_;
};

// Percent-decoding of a path segment or query component ('+' is a space only in queries).
bool percentDecode(std::string_view in, std::string& out, bool plus_is_space);

}  // namespace egov::core
