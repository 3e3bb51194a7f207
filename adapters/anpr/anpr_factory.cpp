#include "adapters/anpr/anpr_factory.hpp"

#include "adapters/anpr/anpr_endpoint.hpp"
#include "core/log/log.hpp"

namespace egov::adapters::anpr {

std::shared_ptr<core::Endpoint> makeAnprEndpoint(const core::EndpointContext& context) {
  auto config = parseAnprConfig(context.settings);
  if (!config) return nullptr;
  if (!config->tls.verify) {
    core::logEvent(core::LogLevel::warn, "TLS certificate verification is disabled",
                   {{"endpoint", std::string_view(context.name)}});
  }
  // Shared with the http and soap adapters: one loop per process, connections kept on reload.
  auto loop = http::sharedCurlMultiLoop(context.runtime);
  // Vouchers, reused TrackingEvidence and cool-downs survive reloads too.
  auto shared = context.runtime.shared<AnprShared>([] { return std::make_shared<AnprShared>(); });
  return std::make_shared<AnprEndpoint>(context.name, std::move(*config), std::move(loop),
                                        std::move(shared), context.runtime.workers());
}

}  // namespace egov::adapters::anpr
