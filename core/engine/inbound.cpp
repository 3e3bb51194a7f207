#include "core/engine/inbound.hpp"

#include "core/engine/generation.hpp"
#include "core/net/problem.hpp"
#include "core/security/authenticator.hpp"

namespace egov::core {

std::optional<InboundAuth> inboundAuthFromName(std::string_view name) {
  if (name == "api-key") return InboundAuth::api_key;
  if (name == "mtls") return InboundAuth::mtls;
  if (name == "none") return InboundAuth::none;
  return std::nullopt;
}

Result<void> InboundRequest::authorize(const Tenant& target, std::string_view service) const {
  if (auth == InboundAuth::none) return {};
  if (principal && principal->kind == KeyKind::client &&
      principal->allows(target.istat, target.slug, service)) {
    return {};
  }
  return makeError(ErrorKind::forbidden, "this client may not call this service");
}

std::string InboundRequest::clientName() const {
  return principal ? principal->name : std::string();
}

HttpResponse InboundHandler::refuse(const InboundRequest& request, const Error& error) const {
  HttpResponse response{static_cast<http::status>(httpStatus(error.kind)), request.http.version()};
  response.set(http::field::content_type, "application/problem+json");
  response.set(http::field::cache_control, "no-store");
  if (error.kind == ErrorKind::unauthorized) response.set(http::field::www_authenticate, "Bearer");
  if (error.retry_after_s > 0)
    response.set(http::field::retry_after, std::to_string(error.retry_after_s));
  response.body() = problemJson(error, "");
  response.prepare_payload();
  return response;
}

}  // namespace egov::core
