#include "adapters/csv/csv_factory.hpp"

#include <variant>

#include "adapters/csv/csv_config.hpp"
#include "adapters/csv/csv_index.hpp"
#include "adapters/csv/csv_lookup_endpoint.hpp"
#include "adapters/csv/csv_output_endpoint.hpp"

namespace egov::adapters::csv {

std::shared_ptr<core::Endpoint> makeCsvEndpoint(const core::EndpointContext& context) {
  const auto slash = context.name.rfind('/');
  const std::string key =
      slash == std::string::npos ? context.name : context.name.substr(slash + 1);
  auto config = parseCsvConfig(context.settings, key);
  if (!config) return nullptr;

  if (auto* output = std::get_if<CsvOutputConfig>(&*config)) {
    return std::make_shared<CsvOutputEndpoint>(context.name, std::move(*output),
                                               context.runtime.workers());
  }
  auto& lookup = std::get<CsvLookupConfig>(*config);
  // Indexed now, so that a missing or malformed export fails the config load (and a reload
  // with a broken file keeps the previous generation serving).
  bool key_at_fault = false;
  auto index = CsvIndex::load(lookup, &key_at_fault);
  if (!index) {
    context.settings.errorAt(key_at_fault ? "key" : "file", index.error().message);
    return nullptr;
  }
  return std::make_shared<CsvLookupEndpoint>(context.name, std::move(lookup), std::move(*index),
                                             context.runtime.workers());
}

}  // namespace egov::adapters::csv
