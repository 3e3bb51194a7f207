// The unified REST interface as a pure function: requests in, responses out, no sockets.
// Routes use the memory adapter, so every step runs for real without a back-end.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include "adapters/memory/memory_endpoint.hpp"
#include "core/engine/bus.hpp"
#include "core/net/api.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using egov::test::TempConfig;

namespace {

const char* kEchoProfile =
    "routes:\n"
    "  - service: echo.ping\n"
    "    steps:\n"
    "      - call: echo\n"
    "  - service: tributi.posizioni\n"
    "    methods: [GET]\n"
    "    steps:\n"
    "      - map: { stylesheet: wrap.xsl, params: { label: \"it's \\\"quoted\\\"\" } }\n"
    "      - call: echo\n"
    "  - service: choose.kind\n"
    "    steps:\n"
    "      - choose:\n"
    "          - when: \"fn:map/fn:string[@key='kind'] = 'created'\"\n"
    "            steps: [ { reply: { status: 201 } } ]\n"
    "          - when: \"fn:map/fn:string[@key='kind'] = 'missing'\"\n"
    "            steps: [ { reply: { error: not-found, detail: \"no such thing\" } } ]\n"
    "          - otherwise: [ { call: echo } ]\n"
    "  - service: broken.backend\n"
    "    steps: [ { call: broken } ]\n"
    "  - service: terminate.me\n"
    "    steps: [ { map: terminate.xsl } ]\n"
    "  - service: not.json\n"
    "    steps: [ { map: plain.xsl } ]\n"
    "  - service: validated.reply\n"
    "    steps: [ { call: echo }, { validate: only-a.xsd } ]\n";

const char* kWrap =
    "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"\n"
    "    xmlns=\"http://www.w3.org/2005/xpath-functions\" "
    "xmlns:fn=\"http://www.w3.org/2005/xpath-functions\">\n"
    "  <xsl:param name=\"label\"/><xsl:param name=\"ente\"/><xsl:param name=\"tenant\"/>\n"
    "  <xsl:template match=\"/fn:map\"><map>\n"
    "    <string key=\"cf\"><xsl:value-of select=\"fn:string[@key='cf']\"/></string>\n"
    "    <string key=\"label\"><xsl:value-of select=\"$label\"/></string>\n"
    "    <string key=\"ente\"><xsl:value-of select=\"$ente\"/></string>\n"
    "    <string key=\"tenant\"><xsl:value-of select=\"$tenant\"/></string>\n"
    "  </map></xsl:template>\n"
    "</xsl:stylesheet>\n";

const char* kTerminate =
    "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n"
    "  <xsl:template match=\"/\">\n"
    "    <xsl:message terminate=\"yes\">bad-request: codice fiscale non valido</xsl:message>\n"
    "  </xsl:template>\n"
    "</xsl:stylesheet>\n";

const char* kPlain =
    "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n"
    "  <xsl:template match=\"/\"><vendor><x>1</x></vendor></xsl:template>\n"
    "</xsl:stylesheet>\n";

const char* kOnlyA =
    "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><xs:element "
    "name=\"a\"/></xs:schema>\n";

struct ApiFixture {
  TempConfig config;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::ApiHandler> api;
  std::string key, admin_key;
  std::string bearer;  // sent as Authorization: Bearer by call(); the client key by default

  ApiFixture() {
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\nlimits: { max_body: 2KiB, json_depth: 8 }\n");
    config.write("conf/profiles/echo.yaml", kEchoProfile);
    config.write("mappings/wrap.xsl", kWrap).write("mappings/terminate.xsl", kTerminate);
    config.write("mappings/plain.xsl", kPlain).write("schemas/only-a.xsd", kOnlyA);
    for (auto [istat, slug] : {std::pair{"072006", "bari"}, std::pair{"072029", "molfetta"}}) {
      config.write(std::string("conf/tenants/") + slug + ".yaml",
                   std::string("tenant: { istat: \"") + istat + "\", slug: " + slug +
                       ", name: X }\n" + "profile: echo\nparams: { ente: \"E-" + slug + "\" }\n" +
                       "endpoints:\n  echo: { type: memory }\n"
                       "  broken: { type: memory, error: backend_unavailable, status: 503 }\n");
    }
    key = bearer = config.apiKey("portal");
    admin_key = config.apiKey("ops", {"*"}, {"*"}, core::KeyKind::admin);
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    api = std::make_unique<core::ApiHandler>(*bus);
  }

  HttpResponse call(http::verb verb, const std::string& target, const std::string& body = {},
                    const std::string& content_type = "application/json",
                    const std::string& accept = {}) {
    HttpRequest request{verb, target, 11};
    if (!body.empty()) {
      request.set(http::field::content_type, content_type);
      request.body() = body;
    }
    if (!accept.empty()) request.set(http::field::accept, accept);
    if (!bearer.empty()) request.set(http::field::authorization, "Bearer " + bearer);
    request.prepare_payload();
    return test::runCoroutine(api->handle(std::move(request)));
  }
};

rapidjson::Document json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

}  // namespace

TEST_CASE_FIXTURE(ApiFixture, "api: JSON body goes through the route and back as JSON") {
  auto response =
      call(http::verb::post, "/api/v1/bari/echo/ping", R"({"a":[1.50,true,null],"b":{}})");
  CHECK(response.result_int() == 200);
  CHECK(response[http::field::content_type] == "application/json");
  CHECK(response.body() == R"({"a":[1.50,true,null],"b":{}})");
  CHECK(response["X-Egov-Exchange-Id"].size() == 36);
}

TEST_CASE_FIXTURE(ApiFixture,
                  "api: tenant by ISTAT code or slug, query parameters, tenant and step params") {
  auto by_slug = call(http::verb::get, "/api/v1/bari/tributi/posizioni?cf=RSSMRA80A01A662A");
  auto by_istat = call(http::verb::get, "/api/v1/072006/tributi/posizioni?cf=RSSMRA80A01A662A");
  CHECK(by_slug.result_int() == 200);
  CHECK(by_slug.body() == by_istat.body());
  CHECK(by_slug.body() ==
        R"({"cf":"RSSMRA80A01A662A","label":"it's \"quoted\"","ente":"E-bari","tenant":"bari"})");
  auto other = call(http::verb::get, "/api/v1/molfetta/tributi/posizioni?cf=X%20Y");
  CHECK(json(other.body())["ente"] == "E-molfetta");
  CHECK(json(other.body())["cf"] == "X Y");
}

TEST_CASE_FIXTURE(ApiFixture,
                  "api: repeated query parameters become an array; clashes are refused") {
  auto response = call(http::verb::post, "/api/v1/bari/echo/ping?x=1&x=2&y=3", R"({"z":0})");
  CHECK(response.body() == R"({"z":0,"x":["1","2"],"y":"3"})");
  auto clash = call(http::verb::post, "/api/v1/bari/echo/ping?z=1", R"({"z":0})");
  CHECK(clash.result_int() == 400);
  auto array_body = call(http::verb::post, "/api/v1/bari/echo/ping?z=1", R"([1])");
  CHECK(array_body.result_int() == 400);
}

TEST_CASE_FIXTURE(ApiFixture, "api: XML in and XML out when asked") {
  auto response = call(http::verb::post, "/api/v1/bari/echo/ping", "<a><b>1</b></a>",
                       "application/xml", "application/xml");
  CHECK(response.result_int() == 200);
  CHECK(response[http::field::content_type] == "application/xml");
  CHECK(response.body() == "<a><b>1</b></a>");
}

TEST_CASE_FIXTURE(ApiFixture,
                  "api: errors are problem+json with a stable type and the exchange id") {
  struct Case {
    http::verb verb;
    std::string target, body, content_type, accept;
    int status;
    std::string type;
  };
  const std::string deep = std::string(20, '[') + std::string(20, ']');
  const std::vector<Case> cases = {
      {http::verb::get, "/api/v1/roma/echo/ping", "", "", "", 403, "forbidden"},
      {http::verb::get, "/api/v1/bari/no/such", "", "", "", 404, "not-found"},
      {http::verb::get, "/api/v1/bari", "", "", "", 404, "not-found"},
      {http::verb::get, "/elsewhere", "", "", "", 404, "not-found"},
      {http::verb::post, "/api/v1/bari/tributi/posizioni", "{}", "application/json", "", 405,
       "method-not-allowed"},
      {http::verb::post, "/api/v1/bari/echo/ping", "{\n  \"a\": }", "application/json", "", 400,
       "bad-request"},
      {http::verb::post, "/api/v1/bari/echo/ping", R"({"a":1,"a":2})", "application/json", "", 400,
       "bad-request"},
      {http::verb::post, "/api/v1/bari/echo/ping", deep, "application/json", "", 400,
       "bad-request"},
      {http::verb::post, "/api/v1/bari/echo/ping", "<a>", "application/xml", "", 400,
       "bad-request"},
      {http::verb::post, "/api/v1/bari/echo/ping", "a=1", "application/x-www-form-urlencoded", "",
       415, "unsupported-media-type"},
      {http::verb::post, "/api/v1/bari/echo/ping", "{}", "application/json", "text/html", 406,
       "not-acceptable"},
      {http::verb::post, "/api/v1/bari/echo/ping", "{\"a\":\"" + std::string(3000, 'x') + "\"}",
       "application/json", "", 413, "payload-too-large"},
      {http::verb::post, "/api/v1/bari/broken/backend", "{}", "application/json", "", 502,
       "backend-unavailable"},
      {http::verb::post, "/api/v1/bari/choose/kind", R"({"kind":"missing"})", "application/json",
       "", 404, "not-found"},
      {http::verb::post, "/api/v1/bari/terminate/me", "{}", "application/json", "", 400,
       "bad-request"},
      {http::verb::post, "/api/v1/bari/not/json", "{}", "application/json", "", 500,
       "mapping-failed"},
      {http::verb::post, "/api/v1/bari/validated/reply", "{}", "application/json", "", 502,
       "backend-invalid"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.target);
    CAPTURE(c.body);
    auto response = call(c.verb, c.target, c.body, c.content_type, c.accept);
    CHECK(response.result_int() == c.status);
    CHECK(response[http::field::content_type] == "application/problem+json");
    auto problem = json(response.body());
    CHECK(std::string(problem["type"].GetString()) == "urn:egovbus:problem:" + c.type);
    CHECK(problem["status"].GetInt() == c.status);
    if (c.target.starts_with("/api/v1/")) {
      CHECK(std::string(problem["exchange_id"].GetString()) ==
            std::string(response["X-Egov-Exchange-Id"]));
    }
  }
}

TEST_CASE_FIXTURE(ApiFixture, "api: error details say where and why") {
  auto malformed = call(http::verb::post, "/api/v1/bari/echo/ping", "{\n  \"a\": }");
  CHECK(std::string(json(malformed.body())["detail"].GetString()).find("line 2, column 8") !=
        std::string::npos);
  auto terminated = call(http::verb::post, "/api/v1/bari/terminate/me", "{}");
  const std::string detail = json(terminated.body())["detail"].GetString();
  CHECK(detail.find("echo.yaml:") != std::string::npos);
  CHECK(detail.find("terminate.xsl:3") != std::string::npos);
  CHECK(detail.find("codice fiscale non valido") != std::string::npos);
  auto wrong_method = call(http::verb::put, "/api/v1/bari/tributi/posizioni", "{}");
  CHECK(wrong_method[http::field::allow] == "GET");
}

TEST_CASE_FIXTURE(ApiFixture, "api: choose picks a branch and reply sets the status") {
  auto created = call(http::verb::post, "/api/v1/bari/choose/kind", R"({"kind":"created"})");
  CHECK(created.result_int() == 201);
  CHECK(created.body() == R"({"kind":"created"})");
  auto other = call(http::verb::post, "/api/v1/bari/choose/kind", R"({"kind":"else"})");
  CHECK(other.result_int() == 200);
}

TEST_CASE_FIXTURE(ApiFixture, "api: the memory endpoint records what the route sent") {
  call(http::verb::post, "/api/v1/molfetta/echo/ping", R"({"n":1})");
  auto tenant = bus->generation()->findTenant("molfetta");
  auto echo =
      std::dynamic_pointer_cast<adapters::memory::MemoryEndpoint>(tenant->endpoints.at("echo"));
  REQUIRE(echo);
  REQUIRE(echo->received().size() == 1);
  CHECK(echo->received()[0].find("<number key=\"n\">1</number>") != std::string::npos);
}

TEST_CASE_FIXTURE(ApiFixture, "api: a route's deadline bounds its calls") {
  auto tenant = bus->generation()->findTenant("bari");
  auto echo =
      std::dynamic_pointer_cast<adapters::memory::MemoryEndpoint>(tenant->endpoints.at("echo"));
  echo->setHandler([](const core::CallRequest&) -> core::Result<core::XmlDocPtr> {
    return core::makeError(core::ErrorKind::deadline_exceeded, "bari/echo: deadline passed");
  });
  auto response = call(http::verb::post, "/api/v1/bari/echo/ping", "{}");
  CHECK(response.result_int() == 504);
}

TEST_CASE_FIXTURE(ApiFixture, "api: health, readiness and metrics") {
  CHECK(call(http::verb::get, "/healthz").result_int() == 200);
  CHECK(call(http::verb::get, "/readyz").result_int() == 200);
  call(http::verb::post, "/api/v1/bari/echo/ping", "{}");
  call(http::verb::get, "/api/v1/bari/no/such");
  CHECK(call(http::verb::get, "/metrics").result_int() == 403);  // a client key
  bearer = admin_key;
  auto metrics = call(http::verb::get, "/metrics");
  CHECK(metrics.body().find(
            "egov_requests_total{tenant=\"bari\",service=\"echo.ping\",status=\"200\"} 1") !=
        std::string::npos);
  CHECK(metrics.body().find(
            "egov_requests_total{tenant=\"bari\",service=\"unknown\",status=\"404\"} 1") !=
        std::string::npos);
  CHECK(metrics.body().find("egov_request_duration_seconds_bucket{tenant=\"bari\",service=\"echo."
                            "ping\",le=\"+Inf\"} 1") != std::string::npos);
  CHECK(metrics.body().find("egov_outbound_calls_total{endpoint=\"bari/echo\",outcome=\"ok\"} 1") !=
        std::string::npos);
  bus->startDraining();
  CHECK(call(http::verb::get, "/readyz").result_int() == 503);
}
