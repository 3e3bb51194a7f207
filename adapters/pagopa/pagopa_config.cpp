#include "adapters/pagopa/pagopa_config.hpp"

#include <regex>

#include "core/engine/generation.hpp"

namespace egov::adapters::pagopa {
namespace {

const std::regex kFiscalCode("[0-9]{11}");

// A scalar or a list of scalars, as a set.
std::set<std::string> stations(const core::ConfigNode& node, std::string_view key) {
  std::set<std::string> out;
  auto child = node[key];
  if (!child.valid()) return out;
  if (child.isScalar()) {
    out.insert(child.asString());
  } else {
    for (auto& value : node.stringList(key)) out.insert(std::move(value));
  }
  for (const auto& station : out) {
    if (station.empty() || station.size() > 35) {
      node.errorAt(key, "a station id is 1 to 35 characters");
      break;
    }
  }
  return out;
}

DuplicateReceipt duplicateReceipt(const core::ConfigNode& node, DuplicateReceipt fallback) {
  if (!node.has("duplicate_receipt")) return fallback;
  const auto text = node.optionalString("duplicate_receipt");
  if (text == "ok") return DuplicateReceipt::ok;
  if (text == "fault") return DuplicateReceipt::fault;
  node.errorAt("duplicate_receipt",
               "expected ok (answer OK again) or fault (PAA_RECEIPT_DUPLICATA), not " + text);
  return fallback;
}

void checkBroker(const core::ConfigNode& node, const std::string& broker) {
  if (!broker.empty() && !std::regex_match(broker, kFiscalCode)) {
    node.errorAt("id_broker_pa", "expected the broker's 11-digit fiscal code");
  }
}

}  // namespace

InboundSettings parseInboundSettings(const core::ConfigNode& settings,
                                     const std::filesystem::path& schemas_dir) {
  InboundSettings out;
  settings.allowKeys({"deadline", "margin", "schema", "canonical_schema", "id_broker_pa",
                      "id_station", "duplicate_receipt", "receipt_window"});
  out.deadline = settings.duration("deadline", out.deadline);
  out.margin = settings.duration("margin", out.margin);
  if (out.deadline <= out.margin) {
    settings.errorAt("margin", "must be shorter than deadline");
  }
  auto schema = [&](const char* key, const char* fallback) {
    std::filesystem::path path = settings.optionalString(key, fallback);
    return path.is_absolute() ? path : schemas_dir / path;
  };
  out.schema = schema("schema", "pagopa/paForNode.xsd");
  out.canonical_schema = schema("canonical_schema", "pagopa/canonical.xsd");
  out.id_broker_pa = settings.optionalString("id_broker_pa");
  checkBroker(settings, out.id_broker_pa);
  out.id_stations = stations(settings, "id_station");
  out.duplicate_receipt = duplicateReceipt(settings, out.duplicate_receipt);
  out.receipt_window = settings.duration("receipt_window", out.receipt_window);
  return out;
}

TenantSettings parseTenantSettings(const core::Tenant& tenant, const InboundSettings& defaults,
                                   core::ConfigErrors& errors) {
  const core::ConfigNode node(
      tenant.pagopa, std::make_shared<const std::string>(tenant.file.string()), "pagopa", &errors);
  TenantSettings out;
  out.istat = tenant.istat;
  out.fiscal_code = tenant.fiscal_code;
  if (!node.yaml().IsMap()) {
    node.error("expected a map (use pagopa: {} to take every default)");
    return out;
  }
  node.allowKeys({"id_broker_pa", "id_station", "company_name", "office_name", "duplicate_receipt",
                  "demand_payment_notice"});
  if (tenant.fiscal_code.empty()) {
    node.error("pagoPA needs tenant.fiscal_code (the idPA the node sends)");
  }
  out.id_broker_pa = node.optionalString("id_broker_pa", defaults.id_broker_pa);
  if (node.has("id_broker_pa")) checkBroker(node, out.id_broker_pa);
  if (out.id_broker_pa.empty()) {
    node.error("missing id_broker_pa (here or in the pagopa inbound of bus.yaml)");
  }
  out.id_stations = node.has("id_station") ? stations(node, "id_station") : defaults.id_stations;
  if (out.id_stations.empty()) {
    node.error("missing id_station (here or in the pagopa inbound of bus.yaml)");
  }
  out.company_name = node.optionalString("company_name", "Comune di " + tenant.name);
  if (out.company_name.empty() || out.company_name.size() > 140) {
    node.errorAt("company_name", "1 to 140 characters");
  }
  out.office_name = node.optionalString("office_name");
  if (out.office_name.size() > 140) node.errorAt("office_name", "at most 140 characters");
  out.duplicate_receipt = duplicateReceipt(node, defaults.duplicate_receipt);
  out.demand_payment_notice = node.boolean("demand_payment_notice", false);

  // The operations need these routes; a missing one would fail every payment at run time.
  std::vector<std::string> services = {"pagopa.verify", "pagopa.activate", "pagopa.receipt"};
  if (out.demand_payment_notice) services.push_back("pagopa.demand");
  for (const auto& service : services) {
    const auto* route = core::Generation::findRoute(tenant, service);
    if (!route) {
      node.error("no route for " + service + " (profile " +
                 (tenant.profile.empty() ? std::string("none") : tenant.profile) + ")");
    } else if (service == "pagopa.receipt" && !route->enqueue_at) {
      node.error("the route for pagopa.receipt (" + route->where +
                 ") must be one-way (an enqueue step): a receipt is stored before OK");
    } else if (service != "pagopa.receipt" && route->enqueue_at) {
      node.error("the route for " + service + " (" + route->where +
                 ") must be request-reply: the node waits for its answer");
    }
  }
  return out;
}

}  // namespace egov::adapters::pagopa
