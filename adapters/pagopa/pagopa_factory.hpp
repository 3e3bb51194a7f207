// The `pagopa` inbound type: builds the handler of one bus.yaml `inbound:` entry from its
// settings and from every tenant that has a `pagopa:` section.
#pragma once

#include <memory>

#include "core/engine/inbound.hpp"

namespace egov::adapters::pagopa {

std::shared_ptr<core::InboundHandler> makePagopaInbound(const core::InboundContext& context);

}  // namespace egov::adapters::pagopa
