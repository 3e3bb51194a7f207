// Runs a compiled route over an exchange. Runs on the calling (I/O) thread: map, validate
// and choose are CPU work bounded by the body limits; `call` awaits the endpoint, which
// never blocks the thread.
#pragma once

#include <cstdint>

#include "core/engine/generation.hpp"
#include "core/metrics/metrics.hpp"

namespace egov::core {

// Runs the route's top-level steps [first, last) (all of them by default). On success
// ex.body holds the reply and ex.status its status. Errors carry the step's place
// ("profiles/x.yaml:12") in their message when the step caused them.
awaitable<Result<void>> runRoute(const Generation& generation, const Tenant& tenant,
                                 const Route& route, Exchange& exchange, Metrics& metrics,
                                 std::size_t first = 0, std::size_t last = SIZE_MAX);

// The order key of a one-way exchange (route.order_key evaluated on its body as it is
// journaled, as a string); empty when the route has none or the XPath gives "". A key over
// kMaxOrderKey bytes is bad_request.
inline constexpr std::size_t kMaxOrderKey = 512;
Result<std::string> orderKeyOf(const Route& route, const Tenant& tenant, const Exchange& exchange);

// Declares the metric families the runner updates.
void declareRouteMetrics(Metrics& metrics);

}  // namespace egov::core
