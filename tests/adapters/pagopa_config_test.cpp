// The pagopa inbound's settings and the tenants' pagopa: sections are checked at load, with
// the file, line and key of each mistake.
#include <doctest/doctest.h>

#include "tests/support/temp_config.hpp"

using namespace egov;

namespace {

void writeCommon(test::TempConfig& config) {
  config.copy("schemas/pagopa/paForNode.xsd").copy("schemas/pagopa/canonical.xsd");
  config.write("conf/profiles/p.yaml",
               "routes:\n"
               "  - service: pagopa.verify\n    steps: [ { call: x } ]\n"
               "  - service: pagopa.activate\n    steps: [ { call: x } ]\n"
               "  - service: pagopa.receipt\n    mode: one-way\n    steps: [ { call: x } ]\n");
  config.write("conf/profiles/sync-receipt.yaml",
               "routes:\n"
               "  - service: pagopa.verify\n    steps: [ { call: x } ]\n"
               "  - service: pagopa.activate\n    steps: [ { call: x } ]\n"
               "  - service: pagopa.receipt\n    steps: [ { call: x } ]\n");
}

std::string tenant(const char* istat, const char* slug, const char* fiscal, const char* profile,
                   const char* pagopa) {
  std::string header = std::string("tenant: { istat: \"") + istat + "\", slug: " + slug +
                       ", name: X" +
                       (fiscal[0] ? std::string(", fiscal_code: \"") + fiscal + "\"" : "") + " }\n";
  return header + "profile: " + profile +
         "\nendpoints: { x: { type: memory } }\npagopa: " + pagopa + "\n";
}

}  // namespace

TEST_CASE("pagopa config: a valid inbound loads") {
  test::TempConfig config;
  writeCommon(config);
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\n"
               "inbound:\n"
               "  pagopa: { type: pagopa, path: /pagopa/paForNode, deadline: 4s,\n"
               "            id_broker_pa: \"80000190729\", id_station: [a, b] }\n");
  config.write("conf/tenants/bari.yaml", tenant("072006", "bari", "80015010723", "p", "{}"));
  REQUIRE_MESSAGE(config.load(), config.errorText());
  CHECK(config.load()->inbound.size() == 1);
}

TEST_CASE("pagopa config: errors name the file, line and key") {
  test::TempConfig config;
  writeCommon(config);
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\n"
               "inbound:\n"
               "  pagopa:\n"
               "    type: pagopa\n"
               "    path: /pagopa/paForNode\n"
               "    deadline: 1s\n"
               "    margin: 2s\n"
               "    id_broker_pa: \"8000\"\n"
               "    duplicate_receipt: maybe\n"
               "    colour: red\n"
               "    schema: nowhere.xsd\n");
  config.write("conf/tenants/a.yaml",
               tenant("072006", "bari", "80015010723", "p",
                      "{ id_station: s, demand_payment_notice: true, extra: 1 }"));
  config.write("conf/tenants/b.yaml", tenant("072029", "molfetta", "", "p", "{ id_station: s }"));
  config.write("conf/tenants/c.yaml",
               tenant("072011", "bitonto", "80015010723", "sync-receipt", "{ id_station: s }"));
  config.write("conf/tenants/d.yaml", tenant("072012", "bitetto", "00306180720", "p", "[]"));
  CHECK_FALSE(config.load());
  const auto text = config.errorText();
  CAPTURE(text);
  CHECK(text.find("conf/bus.yaml:7:") != std::string::npos);
  CHECK(text.find("inbound.pagopa.margin: must be shorter than deadline") != std::string::npos);
  CHECK(text.find("inbound.pagopa.id_broker_pa: expected the broker's 11-digit fiscal code") !=
        std::string::npos);
  CHECK(text.find("inbound.pagopa.duplicate_receipt: expected ok") != std::string::npos);
  CHECK(text.find("inbound.pagopa.colour: unknown key") != std::string::npos);
  CHECK(text.find("inbound.pagopa.schema: ") != std::string::npos);
  CHECK(text.find("nowhere.xsd: no such file") != std::string::npos);
  CHECK(text.find("conf/tenants/a.yaml:4:") != std::string::npos);
  CHECK(text.find("pagopa.extra: unknown key") != std::string::npos);
  CHECK(text.find("no route for pagopa.demand") != std::string::npos);
  CHECK(text.find("conf/tenants/b.yaml") != std::string::npos);
  CHECK(text.find("pagoPA needs tenant.fiscal_code") != std::string::npos);
  CHECK(text.find("conf/tenants/c.yaml") != std::string::npos);
  CHECK(text.find("must be one-way") != std::string::npos);
  CHECK(text.find("80015010723 is also the fiscal code of tenant") != std::string::npos);
  CHECK(text.find("conf/tenants/d.yaml") != std::string::npos);
  CHECK(text.find("pagopa: expected a map") != std::string::npos);
}

TEST_CASE("pagopa config: the broker and the station are required somewhere") {
  test::TempConfig config;
  writeCommon(config);
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\ninbound:\n  pagopa: { type: pagopa, path: /pagopa/x }\n");
  config.write("conf/tenants/bari.yaml", tenant("072006", "bari", "80015010723", "p", "{}"));
  CHECK_FALSE(config.load());
  const auto text = config.errorText();
  CAPTURE(text);
  CHECK(text.find("missing id_broker_pa") != std::string::npos);
  CHECK(text.find("missing id_station") != std::string::npos);
}
