// Enforcement of a route's `require` (who may run it), before its first step.
#pragma once

#include "core/common/result.hpp"
#include "core/engine/exchange.hpp"
#include "core/engine/route.hpp"

namespace egov::core {

// OK when the route requires nothing. Otherwise ErrorKind::unauthorized when the exchange has
// no citizen identity, forbidden when its SPID level is below the route's minimum, or when
// `self_only` is set and the canonical request does not name exactly the caller's own fiscal
// code (every node the XPath selects must be it, and it must select at least one). Pure CPU
// work on the exchange's body; runs on the calling thread.
Result<void> checkCitizenAccess(const Route& route, const Exchange& exchange);

}  // namespace egov::core
