#include "adapters/pagopa/pagopa_factory.hpp"

#include "adapters/pagopa/pagopa_inbound.hpp"
#include "core/engine/generation.hpp"

namespace egov::adapters::pagopa {

std::shared_ptr<core::InboundHandler> makePagopaInbound(const core::InboundContext& context) {
  const auto& settings = context.settings;
  auto inbound = parseInboundSettings(settings, context.generation.bus.schemas_dir);
  auto load = [&](const char* key, const std::filesystem::path& file) {
    auto schema = core::XsdSchema::load(file);
    if (!schema) {
      settings.errorAt(key, schema.error().message);
      return std::shared_ptr<const core::XsdSchema>();
    }
    return std::move(schema).value();
  };
  auto wire_schema = load("schema", inbound.schema);
  auto canonical_schema = load("canonical_schema", inbound.canonical_schema);

  std::map<std::string, TenantSettings> tenants;
  for (const auto& tenant : context.generation.tenants) {
    if (!tenant->pagopa.IsDefined()) continue;
    auto parsed = parseTenantSettings(*tenant, inbound, settings.errors());
    if (parsed.fiscal_code.empty()) continue;
    if (auto [it, fresh] = tenants.emplace(parsed.fiscal_code, parsed); !fresh) {
      settings.errors().add(tenant->file.string(), "tenant.fiscal_code: " + parsed.fiscal_code +
                                                       " is also the fiscal code of tenant " +
                                                       it->second.istat +
                                                       ": the node tells creditors apart by it");
    }
  }
  if (tenants.empty()) settings.error("no tenant has a pagopa: section");
  if (!wire_schema || !canonical_schema) return nullptr;
  return std::make_shared<PagopaInbound>(context.name, std::move(inbound), std::move(wire_schema),
                                         std::move(canonical_schema), std::move(tenants),
                                         context.runtime.metrics());
}

}  // namespace egov::adapters::pagopa
