#include "adapters/soap/soap_factory.hpp"

#include "adapters/http/curl_multi_loop.hpp"
#include "adapters/soap/soap_config.hpp"
#include "adapters/soap/soap_endpoint.hpp"
#include "core/log/log.hpp"

namespace egov::adapters::soap {

std::shared_ptr<core::Endpoint> makeSoapEndpoint(const core::EndpointContext& context) {
  auto config = parseSoapConfig(context.settings);
  if (!config) return nullptr;
  if (!config->tls.verify) {
    core::logEvent(core::LogLevel::warn, "TLS certificate verification is disabled",
                   {{"endpoint", std::string_view(context.name)}});
  }
  // The same loop as the http adapter's (one per process), so SOAP and REST back-ends share
  // it and connections survive a reload.
  auto loop = http::sharedCurlMultiLoop(context.runtime);
  return std::make_shared<SoapEndpoint>(context.name, std::move(*config), std::move(loop),
                                        context.runtime.workers());
}

}  // namespace egov::adapters::soap
