// egovbus test (core/testing): the comparisons and diffs, case file errors, and route cases
// run with mocked endpoints.
#include <doctest/doctest.h>

#include "core/testing/case_runner.hpp"
#include "core/testing/compare.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov::core;
using namespace egov::core::testing;

TEST_CASE("egovbus test compares JSON as data and XML canonically") {
  auto a = normalizedJson(R"({"b":[1,{"y":true,"x":null}],"a":"1.0"})");
  auto b = normalizedJson("{ \"a\": \"1.0\",\n \"b\": [1, {\"x\": null, \"y\": true}] }");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == *b);
  CHECK(*a != *normalizedJson(R"({"a":1.0,"b":[1,{"x":null,"y":true}]})"));  // "1.0" vs 1.0
  CHECK_FALSE(normalizedJson("{nope").ok());

  // Quoted YAML scalars are strings, plain ones read as JSON when they can.
  auto yaml =
      YAML::Load("{ s: \"2026\", n: 2026, d: 1.50, t: true, z: ~, w: due parole, q: 'true' }");
  CHECK(yamlToJson(yaml) ==
        R"({"s":"2026","n":2026,"d":1.50,"t":true,"z":null,"w":"due parole","q":"true"})");

  // Blank text, attribute order and unused namespace declarations do not count.
  auto x = normalizedXml("<r xmlns:u=\"urn:unused\" b=\"2\" a=\"1\">\n  <c>t</c>\n</r>");
  auto y = normalizedXml(R"(<r a="1" b="2"><c>t</c></r>)");
  REQUIRE(x.ok());
  CHECK(*x == *y);
  CHECK(*x == "<r a=\"1\" b=\"2\">\n  <c>t</c>\n</r>");
  CHECK(*x != *normalizedXml(R"(<r a="1" b="2"><c>u</c></r>)"));
  CHECK_FALSE(normalizedXml("<r>").ok());
}

TEST_CASE("egovbus test diffs are unified, with context") {
  CHECK(unifiedDiff("a\nb\nc", "a\nb\nc").empty());
  const auto diff = unifiedDiff("1\n2\n3\n4\n5\n6\n7\n8\n9", "1\n2\n3\n4\nfive\n6\n7\n8\n9", "");
  CHECK(diff == "--- expected\n+++ actual\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
  // Two changes far apart are two hunks.
  const auto two = unifiedDiff("a\n1\n2\n3\n4\n5\n6\n7\n8\nb", "A\n1\n2\n3\n4\n5\n6\n7\n8\nB", "");
  CHECK(two ==
        "--- expected\n+++ actual\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -7,4 +7,4 @@\n 6\n 7\n "
        "8\n-b\n+B\n");
}

namespace {

// A config with one tenant whose route maps, calls `backend` twice, and replies.
struct CaseConfig {
  egov::test::TempConfig config;
  CaseConfig() {
    config.copy("mappings/demo-rest/posizioni-request.xsl")
        .write("conf/bus.yaml", "listen: 127.0.0.1:0\n")
        .write(
            "conf/profiles/p.yaml",
            "routes:\n"
            "  - service: tributi.posizioni\n"
            "    steps:\n"
            "      - map: demo-rest/posizioni-request.xsl\n"
            "      - call: backend\n"
            "      - call: backend\n"
            "      - choose:\n"
            "          - when: \"fn:map/fn:string[@key='esito'] = 'ko'\"\n"
            "            steps: [ { reply: { error: not-found, detail: nessuna posizione } } ]\n")
        .write("conf/tenants/t.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
               "profile: p\n"
               "endpoints:\n"
               "  backend: { type: http, url: \"http://127.0.0.1:1/\" }\n"
               "params: { ente: C_A662 }\n");
  }
  CaseFile load(const std::string& cases, ConfigErrors& errors) {
    config.write("cases/c.yaml", "config: ../conf/bus.yaml\ntenant: bari\ncases:\n" + cases);
    return loadCaseFile(config.root() / "cases/c.yaml", errors);
  }
};

constexpr const char* kCase =
    "  - name: two calls\n"
    "    service: tributi.posizioni\n"
    "    input: { query: { codice_fiscale: RSSMRA80A01A662A } }\n"
    "    mocks:\n"
    "      backend:\n"
    "        - json: { first: 1 }\n"
    "        - json: { esito: ok, second: 2 }\n"
    "    requests:\n"
    "      backend:\n"
    "        - xml: <http:request xmlns:http=\"urn:egovbus:http\" method=\"GET\" "
    "path=\"/posizioni/RSSMRA80A01A662A\"><http:header name=\"X-Ente\">C_A662</http:header>"
    "</http:request>\n"
    "        - json: { first: 1 }\n";

}  // namespace

TEST_CASE("egovbus test runs a route case with mocked endpoints, in call order") {
  CaseConfig setup;
  ConfigErrors errors;
  auto file = setup.load(
      std::string(kCase) + "    expect: { status: 200, json: { esito: ok, second: 2 } }\n", errors);
  INFO(errors.str());
  REQUIRE(errors.empty());
  REQUIRE(file.routes.size() == 1);
  auto outcome = runRouteCase(file.routes[0], setup.config.adapters());
  INFO(outcome.report);
  CHECK(outcome.passed);
}

TEST_CASE("egovbus test reports a wrong reply, request, error and unused mock") {
  CaseConfig setup;
  ConfigErrors errors;
  auto wrong_reply = setup.load(
      std::string(kCase) + "    expect: { status: 201, json: { esito: ok, second: 3 } }\n", errors);
  REQUIRE(errors.empty());
  auto outcome = runRouteCase(wrong_reply.routes[0], setup.config.adapters());
  CHECK_FALSE(outcome.passed);
  CHECK(outcome.report.find("status: expected 201, got 200") != std::string::npos);
  CHECK(outcome.report.find("-  \"second\": 3") != std::string::npos);
  CHECK(outcome.report.find("+  \"second\": 2") != std::string::npos);

  // The route's own error: the kind, status and detail are checked.
  auto ko = setup.load(
      "  - name: ko\n    service: tributi.posizioni\n"
      "    input: { query: { codice_fiscale: RSSMRA80A01A662A } }\n"
      "    mocks: { backend: [ { json: {} }, { json: { esito: ko } }, { json: {} } ] }\n"
      "    expect: { error: not-found, status: 404, detail: altro }\n",
      errors);
  REQUIRE(errors.empty());
  outcome = runRouteCase(ko.routes[0], setup.config.adapters());
  CHECK_FALSE(outcome.passed);
  CHECK(outcome.report.find("detail: expected to contain \"altro\", got \"nessuna posizione\"") !=
        std::string::npos);
  CHECK(outcome.report.find("mocks.backend: 1 mocked reply never used") != std::string::npos);

  // A call with no mocked reply left fails the case.
  auto short_script = setup.load(
      "  - name: one reply only\n    service: tributi.posizioni\n"
      "    input: { query: { codice_fiscale: RSSMRA80A01A662A } }\n"
      "    mocks: { backend: { json: {} } }\n"
      "    expect: { status: 200 }\n",
      errors);
  REQUIRE(errors.empty());
  outcome = runRouteCase(short_script.routes[0], setup.config.adapters());
  CHECK_FALSE(outcome.passed);
  CHECK(outcome.report.find("call 2 to bari/backend has no mocked reply") != std::string::npos);
}

TEST_CASE("egovbus test case files report errors at file:line with the key path") {
  CaseConfig setup;
  ConfigErrors errors;
  setup.load(
      "  - name: bad\n"
      "    service: tributi.posizioni\n"
      "    mocks: { backend: { json: {}, error: not-found } }\n"
      "    expect: { status: 200, eror: x }\n"
      "  - name: neither\n",
      errors);
  const auto text = errors.str();
  INFO(text);
  CHECK(text.find("c.yaml:6:23: cases[0].mocks.backend: give only one of json, xml, error") !=
        std::string::npos);
  CHECK(text.find("c.yaml:7:28: cases[0].expect.eror: unknown key") != std::string::npos);
  CHECK(text.find("c.yaml:8:5: cases[1]: a case names a service (route case) or a stylesheet") !=
        std::string::npos);
}
