// Invalid configs: each must be refused with every error as file:line:col: key.path: message.
#include <doctest/doctest.h>

#include <cstdlib>

#include "tests/support/temp_config.hpp"

using egov::test::TempConfig;

namespace {

const char* kTenant =
    "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
    "profile: p\n"
    "endpoints:\n"
    "  backend: { type: memory }\n";

const char* kProfile =
    "routes:\n"
    "  - service: tributi.posizioni\n"
    "    steps:\n"
    "      - call: backend\n";

// Loads and returns the error text; the load must fail.
std::string refused(TempConfig& config) {
  auto generation = config.load();
  CHECK(generation == nullptr);
  return config.errorText();
}

}  // namespace

TEST_CASE("config: a valid minimal tree loads") {
  TempConfig config;
  config.write("conf/tenants/bari.yaml", kTenant).write("conf/profiles/p.yaml", kProfile);
  auto generation = config.load();
  REQUIRE_MESSAGE(generation != nullptr, config.errorText());
  CHECK(generation->findTenant("bari") == generation->findTenant("072006"));
  CHECK(generation->findTenant("bari")->routes.count("tributi.posizioni") == 1);
}

TEST_CASE("config: the shipped demo config loads") {
  TempConfig config;  // only for its runtime and adapters
  // Its data comes from demo/generate.py (ctest fixture demo-data); vendor B's WS-Security
  // password from the environment.
  setenv("EGOV_DEMO_SOAPB_PASSWORD", "unit-test", 0);
  egov::core::ConfigErrors errors;
  auto generation =
      egov::core::loadGeneration(std::filesystem::path(EGOV_SOURCE_DIR) / "conf/bus.yaml",
                                 config.adapters(), config.runtime(), errors);
  REQUIRE_MESSAGE(generation != nullptr, errors.str());
  CHECK(generation->tenants.size() == 41);
  for (const auto& tenant : generation->tenants) CHECK(tenant->routes.size() >= 10);
  CHECK(errors.warnings().size() == 40);  // every fiscal code but Bari's is a placeholder
  CHECK(generation->findTenant("bari")->fiscal_code == "80015010723");
}

TEST_CASE("config: a placeholder fiscal code is a warning, not an error") {
  TempConfig config;
  config
      .write("conf/tenants/bari.yaml",
             "tenant: { istat: \"072006\", slug: bari, name: Bari, fiscal_code: PLACEHOLDER }\n"
             "profile: p\nendpoints:\n  backend: { type: memory }\n")
      .write("conf/profiles/p.yaml", kProfile);
  auto generation = config.load();
  REQUIRE_MESSAGE(generation != nullptr, config.errorText());
  const auto* bari = generation->findTenant("bari");
  CHECK(bari->fiscal_code.empty());
  CHECK(bari->fiscal_code_placeholder);
  REQUIRE(config.errors().warnings().size() == 1);
  CHECK(config.errors().warningsStr().find(
            "bari.yaml:1:65: tenant.fiscal_code: warning: placeholder") != std::string::npos);
}

TEST_CASE("config: a profile's endpoint defaults are merged under the tenant's settings") {
  TempConfig config;
  config
      .write("conf/profiles/p.yaml",
             "endpoints:\n"
             "  backend: { type: memory, reply: { json: '{\"from\":\"profile\"}' } }\n"
             "  other: { type: memory }\n" +
                 std::string(kProfile))
      .write("conf/tenants/bari.yaml",
             "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n")
      .write("conf/tenants/molfetta.yaml",
             "tenant: { istat: \"072029\", slug: molfetta, name: Molfetta }\nprofile: p\n"
             "endpoints:\n  backend: { error: not-found, status: 404 }\n");
  auto generation = config.load();
  REQUIRE_MESSAGE(generation != nullptr, config.errorText());
  CHECK(generation->findTenant("bari")->endpoints.size() == 2);
  CHECK(generation->findTenant("molfetta")->endpoints.at("backend") != nullptr);
}

TEST_CASE("config: errors in merged endpoint settings name the file each key came from") {
  TempConfig config;
  config
      .write("conf/profiles/p.yaml",
             "endpoints:\n  backend: { type: memory, colour: red }\n" + std::string(kProfile))
      .write("conf/tenants/bari.yaml",
             "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n"
             "endpoints:\n  backend: { flavour: sweet }\n");
  const auto errors = refused(config);
  CHECK(errors.find("conf/profiles/p.yaml:2:28: endpoints.backend.colour: unknown key") !=
        std::string::npos);
  CHECK(errors.find("conf/tenants/bari.yaml:4:14: endpoints.backend.flavour: unknown key") !=
        std::string::npos);
}

TEST_CASE("config: unknown key in bus.yaml") {
  TempConfig config;
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\nlisten_port: 8080\n");
  CHECK(refused(config) == "conf/bus.yaml:2:1: listen_port: unknown key\n");
}

TEST_CASE("config: wrong types and malformed values name their key") {
  TempConfig config;
  config.write("conf/bus.yaml",
               "listen: localhost\n"
               "threads: { io: many }\n"
               "limits:\n"
               "  read_timeout: 30 seconds\n"
               "  max_body: 1GB\n");
  config.write("conf/tenants/bari.yaml", kTenant).write("conf/profiles/p.yaml", kProfile);
  CHECK(refused(config) ==
        "conf/bus.yaml:1:9: listen: expected HOST:PORT\n"
        "conf/bus.yaml:2:16: threads.io: expected an integer\n"
        "conf/bus.yaml:4:17: limits.read_timeout: expected a duration such as 250ms, 3s, 2m or 1h\n"
        "conf/bus.yaml:5:13: limits.max_body: expected a size such as 512, 64KiB or 10MiB\n");
}

TEST_CASE("config: missing keys point at the map that lacks them") {
  TempConfig config;
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", name: Bari }\n"
               "profile: p\n"
               "endpoints:\n"
               "  backend: { url: x }\n");
  config.write("conf/profiles/p.yaml", "routes:\n  - steps:\n      - call: backend\n");
  CHECK(refused(config) ==
        "conf/profiles/p.yaml:2:5: routes[0].service: missing key\n"
        "conf/tenants/bari.yaml:1:9: tenant.slug: missing key\n"
        "conf/tenants/bari.yaml:4:12: endpoints.backend.type: missing key\n");
}

TEST_CASE("config: unknown profile, adapter, endpoint and step") {
  TempConfig config;
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
               "profile: vendor-x\n"
               "endpoints:\n"
               "  backend: { type: carrier-pigeon }\n"
               "routes:\n"
               "  - service: a.b\n"
               "    steps:\n"
               "      - call: tributi\n"
               "      - transform: x.xsl\n");
  auto text = refused(config);
  CHECK(text.find("conf/tenants/bari.yaml:4:20: endpoints.backend.type: unknown adapter "
                  "carrier-pigeon (known: ") != std::string::npos);
  CHECK(text.find("http, memory") != std::string::npos);
  CHECK(text.find("conf/tenants/bari.yaml:2:10: profile: unknown profile vendor-x") !=
        std::string::npos);
  CHECK(text.find("conf/tenants/bari.yaml:8:15: routes[0].steps[0].call: endpoint tributi is not "
                  "defined by tenant bari") != std::string::npos);
  CHECK(text.find("conf/tenants/bari.yaml:9:20: routes[0].steps[1].transform: unknown step "
                  "(validate, map, call, choose, reply, enqueue)\n") != std::string::npos);
}

TEST_CASE("config: a mapping that is missing or does not compile") {
  TempConfig config;
  config.write("conf/tenants/bari.yaml", kTenant);
  config.write("conf/profiles/p.yaml",
               "routes:\n"
               "  - service: a.b\n"
               "    steps:\n"
               "      - map: nowhere.xsl\n"
               "      - map: { stylesheet: broken.xsl, params: { anno: \"2024\" } }\n");
  config.write(
      "mappings/broken.xsl",
      "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n"
      "  <xsl:template match=\"/\">\n"
      "    <xsl:value-of select=\"((\"/>\n"
      "  </xsl:template>\n"
      "</xsl:stylesheet>\n");
  auto text = refused(config);
  CHECK(text.find("conf/profiles/p.yaml:4:14: routes[0].steps[0].map: mapping not found: ") !=
        std::string::npos);
  CHECK(
      text.find("conf/profiles/p.yaml:5:14: routes[0].steps[1].map: mapping does not compile: ") !=
      std::string::npos);
  CHECK(text.find("broken.xsl:3") != std::string::npos);
}

TEST_CASE("config: an XSD that does not parse") {
  TempConfig config;
  config.write("conf/tenants/bari.yaml", kTenant);
  config.write("conf/profiles/p.yaml",
               "routes:\n  - service: a.b\n    steps:\n      - validate: canonical/bad.xsd\n");
  config.write("schemas/canonical/bad.xsd",
               "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n"
               "  <xs:element name=\"a\" type=\"xs:nonsense\"/>\n"
               "</xs:schema>\n");
  auto text = refused(config);
  CHECK(
      text.find("conf/profiles/p.yaml:4:19: routes[0].steps[0].validate: schema does not load: ") !=
      std::string::npos);
  CHECK(text.find("bad.xsd") != std::string::npos);
}

TEST_CASE("config: duplicate tenants by ISTAT code and by slug") {
  TempConfig config;
  config.write("conf/profiles/p.yaml", kProfile);
  config.write("conf/tenants/a.yaml", kTenant);
  config.write("conf/tenants/b.yaml", std::string(kTenant));
  config.write("conf/tenants/c.yaml",
               "tenant: { istat: \"072029\", slug: bari, name: Molfetta }\n"
               "profile: p\nendpoints:\n  backend: { type: memory }\n");
  auto text = refused(config);
  CHECK(text.find("conf/tenants/b.yaml: tenant.istat: duplicate tenant 072006 (also in ") !=
        std::string::npos);
  CHECK(text.find("conf/tenants/c.yaml: tenant.slug: duplicate slug bari (also in ") !=
        std::string::npos);
}

TEST_CASE("config: ${env:...} and ${file:...} references must resolve") {
  TempConfig config;
  ::unsetenv("EGOV_TEST_UNSET_SECRET");
  config.write("conf/profiles/p.yaml", kProfile);
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
               "profile: p\n"
               "endpoints:\n"
               "  backend: { type: http, url: \"${env:EGOV_TEST_UNSET_SECRET}\" }\n"
               "params: { token: \"${file:/nonexistent/egov/secret}\", other: \"${vault:x}\" }\n");
  auto text = refused(config);
  CHECK(text.find("conf/tenants/bari.yaml:4:31: endpoints.backend.url: environment variable "
                  "EGOV_TEST_UNSET_SECRET is not set") != std::string::npos);
  CHECK(text.find("conf/tenants/bari.yaml:5:18: params.token: cannot read secret file "
                  "/nonexistent/egov/secret") != std::string::npos);
  CHECK(text.find("params.other: unknown reference ${vault:x}") != std::string::npos);
}

TEST_CASE("config: a resolved ${env:...} reference reaches the endpoint") {
  TempConfig config;
  ::setenv("EGOV_TEST_PARAM", "from-env", 1);
  config.write("conf/profiles/p.yaml", kProfile);
  config.write("conf/tenants/bari.yaml",
               std::string(kTenant) + "params: { x: \"${env:EGOV_TEST_PARAM}\" }\n");
  auto generation = config.load();
  REQUIRE_MESSAGE(generation, config.errorText());
  const auto& params = generation->findTenant("bari")->params;
  REQUIRE(params.size() == 1);
  CHECK(params[0].second == "from-env");
}

TEST_CASE("config: YAML syntax errors carry line and column") {
  TempConfig config;
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\nthreads: { io: 2\n");
  auto text = refused(config);
  CHECK(text.rfind("conf/bus.yaml:3:", 0) == 0);
}

TEST_CASE("config: a YAML alias bomb is refused") {
  TempConfig config;
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char name = 'b'; name <= 'j'; ++name, ++prev) {
    bomb += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", " : "") + "*" + prev;
    bomb += "]\n";
  }
  config.write("conf/tenants/bomb.yaml", bomb);
  auto text = refused(config);
  CHECK(text.find("conf/tenants/bomb.yaml: more than 200000 nodes") != std::string::npos);
}

TEST_CASE("config: choose with an invalid XPath, reply with an unknown error kind") {
  TempConfig config;
  config.write("conf/tenants/bari.yaml", kTenant);
  config.write("conf/profiles/p.yaml",
               "routes:\n"
               "  - service: a.b\n"
               "    steps:\n"
               "      - choose:\n"
               "          - when: \"fn:map[[\"\n"
               "            steps: [ { call: backend } ]\n"
               "          - otherwise: [ { reply: { error: teapot } } ]\n");
  auto text = refused(config);
  CHECK(text.find("conf/profiles/p.yaml:5:19: routes[0].steps[0].choose[0].when: invalid XPath: "
                  "fn:map[[") != std::string::npos);
  CHECK(
      text.find("conf/profiles/p.yaml:7:44: routes[0].steps[0].choose[1].otherwise[0].reply.error: "
                "unknown error kind teapot") != std::string::npos);
}

TEST_CASE("config: every error of a config is reported at once, profile errors once") {
  TempConfig config;
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
  config.write(
      "conf/profiles/p.yaml",
      "routes:\n  - service: a.b\n    steps:\n      - map: missing.xsl\n    colour: blue\n");
  for (const char* slug : {"bari", "molfetta", "altamura"}) {
    static int istat = 72006;
    config.write(std::string("conf/tenants/") + slug + ".yaml",
                 "tenant: { istat: \"0" + std::to_string(istat++) + "\", slug: " + slug +
                     ", name: X }\nprofile: p\nendpoints: {}\nextra: 1\n");
  }
  auto text = refused(config);
  // 3 tenants' "extra", and the profile's "colour" and missing mapping once each
  CHECK(config.errors().size() == 5);
  CHECK(text.find("conf/profiles/p.yaml:5:5: routes[0].colour: unknown key") != std::string::npos);
  CHECK(text.find("conf/tenants/molfetta.yaml:4:1: extra: unknown key") != std::string::npos);
}
