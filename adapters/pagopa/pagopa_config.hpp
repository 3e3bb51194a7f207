// Settings of the pagopa inbound (bus.yaml `inbound.<name>` with `type: pagopa`) and of each
// municipality it answers for (the tenant file's `pagopa:` section). Read once per config
// generation by the inbound factory; immutable afterwards.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "core/config/config_node.hpp"

namespace egov::core {
struct Tenant;
}

namespace egov::adapters::pagopa {

// What a resent receipt (a receiptId already stored) is answered.
enum class DuplicateReceipt { ok, fault };

struct InboundSettings {
  // The pagoPA node gives up on a creditor after its own timeout: the bus answers
  // PAA_SYSTEM_ERROR `margin` before `deadline`, whatever the back-end is doing.
  std::chrono::milliseconds deadline{5'000};
  std::chrono::milliseconds margin{250};
  std::filesystem::path schema;            // the wire schema (default pagopa/paForNode.xsd)
  std::filesystem::path canonical_schema;  // default pagopa/canonical.xsd
  // Defaults for every tenant's section: the bus is the technology intermediary of all the
  // municipalities, so the broker (and often the station) is the same for all.
  std::string id_broker_pa;
  std::set<std::string> id_stations;
  DuplicateReceipt duplicate_receipt = DuplicateReceipt::ok;
  std::chrono::milliseconds receipt_window{std::chrono::hours(24 * 3650)};
};

struct TenantSettings {
  std::string istat;        // the tenant
  std::string fiscal_code;  // its idPA
  std::string id_broker_pa;
  std::set<std::string> id_stations;
  std::string company_name;  // default "Comune di <name>"
  std::string office_name;   // optional
  DuplicateReceipt duplicate_receipt = DuplicateReceipt::ok;
  bool demand_payment_notice = false;  // paDemandPaymentNotice routed to pagopa.demand
};

// Reads the inbound's own keys (type and path are read by the loader); errors go to
// settings.errors(). Relative schema paths resolve under paths.schemas.
InboundSettings parseInboundSettings(const core::ConfigNode& settings,
                                     const std::filesystem::path& schemas_dir);

// Reads tenant.pagopa (which must be defined); reports errors at the tenant file, and checks
// that the tenant has a fiscal code and the routes the operations need. `errors` is the
// load's error list.
TenantSettings parseTenantSettings(const core::Tenant& tenant, const InboundSettings& defaults,
                                   core::ConfigErrors& errors);

}  // namespace egov::adapters::pagopa
