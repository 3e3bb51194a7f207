#include "adapters/http/http_factory.hpp"

#include "adapters/http/http_config.hpp"
#include "adapters/http/http_endpoint.hpp"
#include "core/log/log.hpp"

namespace egov::adapters::http {

std::shared_ptr<core::Endpoint> makeHttpEndpoint(const core::EndpointContext& context) {
  auto config = parseHttpConfig(context.settings);
  if (!config) return nullptr;
  if (!config->tls.verify) {
    core::logEvent(core::LogLevel::warn, "TLS certificate verification is disabled",
                   {{"endpoint", std::string_view(context.name)}});
  }
  // One loop per process, so connections stay pooled across config reloads.
  auto loop = sharedCurlMultiLoop(context.runtime);
  return std::make_shared<HttpEndpoint>(context.name, std::move(*config), std::move(loop));
}

}  // namespace egov::adapters::http
