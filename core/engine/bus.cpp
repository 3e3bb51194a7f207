#include "core/engine/bus.hpp"

#include "core/engine/route_runner.hpp"

namespace egov::core {

Bus::Bus(std::filesystem::path config_file, const AdapterRegistry& adapters,
         RuntimeServices& runtime)
    : config_file_(std::move(config_file)), adapters_(adapters), runtime_(runtime) {
  declareRouteMetrics(runtime_.metrics());
  runtime_.metrics().declareGauge("egov_config_generation",
                                  "Number of the serving config generation.");
}

bool Bus::reload(ConfigErrors& errors) {
  std::lock_guard lock(reload_mutex_);
  auto generation = loadGeneration(config_file_, adapters_, runtime_, errors, next_number_);
  if (!generation) return false;
  ++next_number_;
  runtime_.metrics().set("egov_config_generation", {}, static_cast<double>(generation->number));
  current_.store(std::move(generation));
  return true;
}

}  // namespace egov::core
