// What the bus gives adapter factories, for adapter tests: a worker pool, metrics, the
// process services, and the config context of one endpoint's settings.
#pragma once

#include <memory>
#include <string>

#include <yaml-cpp/yaml.h>

#include "core/engine/endpoint.hpp"
#include "core/metrics/metrics.hpp"

namespace egov::test {

struct AdapterRuntime {
  explicit AdapterRuntime(std::size_t threads = 2) : pool(threads) {}
  ~AdapterRuntime() {
    services.shutdown();
    pool.join();
  }

  // The context a factory gets for endpoint "t/x" with settings `yaml`, as if written at key
  // endpoints.x of `file` (relative paths in the settings resolve against its folder).
  core::EndpointContext context(YAML::Node yaml, const std::string& file = "test.yaml") {
    return core::EndpointContext{
        "t/x",
        core::ConfigNode(std::move(yaml), std::make_shared<const std::string>(file), "endpoints.x",
                         &errors),
        services};
  }

  net::thread_pool pool;
  core::Metrics metrics;
  core::RuntimeServices services{pool.get_executor(), metrics};
  core::ConfigErrors errors;
};

}  // namespace egov::test
