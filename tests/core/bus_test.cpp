#include <doctest/doctest.h>

#include "core/engine/bus.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;

TEST_CASE("bus: a reload swaps generations; a bad config is refused and the old one serves") {
  test::TempConfig config;
  config.write("conf/profiles/p.yaml", "routes:\n  - service: a.b\n    steps: [ { call: x } ]\n");
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n"
               "endpoints: { x: { type: memory } }\n");
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
  core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  CHECK(bus.generation() == nullptr);

  core::ConfigErrors errors;
  REQUIRE(bus.reload(errors));
  auto first = bus.generation();
  CHECK(first->number == 1);

  config.write("conf/tenants/molfetta.yaml",
               "tenant: { istat: \"072029\", slug: molfetta, name: Molfetta }\nprofile: p\n"
               "endpoints: { x: { type: memory } }\n");
  REQUIRE(bus.reload(errors));
  auto second = bus.generation();
  CHECK(second->number == 2);
  CHECK(second->findTenant("molfetta") != nullptr);
  CHECK(first->findTenant("molfetta") == nullptr);  // a request in flight keeps its generation

  config.write("conf/tenants/molfetta.yaml", "tenant: { istat: \"072029\" }\n");
  core::ConfigErrors bad;
  CHECK_FALSE(bus.reload(bad));
  CHECK(bad.size() == 2);  // tenant.slug and tenant.name missing
  CHECK(bus.generation() == second);
  CHECK(bus.metrics().render().find("egov_config_generation 2\n") != std::string::npos);
}
