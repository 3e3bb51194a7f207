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
  core::Metrics& metrics = context.runtime.metrics();
  // The same loop as the http adapter's (one per process, keyed by type), so SOAP and REST
  // back-ends share one thread and connections survive a reload.
  auto loop = context.runtime.shared<http::CurlMultiLoop>(
      [&metrics] { return std::make_shared<http::CurlMultiLoop>(metrics); });
  return std::make_shared<SoapEndpoint>(context.name, std::move(*config), std::move(loop),
                                        context.runtime.workers());
}

}  // namespace egov::adapters::soap
