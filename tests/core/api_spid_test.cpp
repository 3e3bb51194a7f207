// SPID through the unified API: the portal opens a bus session with the SAML Response the IdP
// gave it (vectors signed by the xmlsec1 tool), then calls routes that require a citizen, a
// minimum SPID level and self-only access. Real routes, memory endpoints, no sockets.
#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <rapidjson/document.h>

#include "core/engine/bus.hpp"
#include "core/net/api.hpp"
#include "core/net/spid_sessions.hpp"
#include "tests/support/api_call.hpp"
#include "tests/support/spid_vectors.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using egov::test::SpidVectors;
using egov::test::TempConfig;

namespace {

const char* kProfile =
    "routes:\n"
    "  - service: citizen.profile\n"
    "    methods: [GET]\n"
    "    require: { spid_level: 2, self_only: \"fn:map/fn:string[@key='codice_fiscale']\" }\n"
    "    steps: [ { map: whoami.xsl } ]\n"
    "  - service: citizen.sensitive\n"
    "    require: { spid_level: 3 }\n"
    "    steps: [ { call: echo } ]\n"
    "  - service: public.ping\n"
    "    steps: [ { map: whoami.xsl } ]\n";

// Shows what the route saw of the identity, through the mapping parameters.
const char* kWhoAmI =
    "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"\n"
    "    xmlns=\"http://www.w3.org/2005/xpath-functions\">\n"
    "  <xsl:param name=\"citizen-fiscal-code\"/><xsl:param name=\"spid-level\"/>\n"
    "  <xsl:template match=\"/\"><map>\n"
    "    <string key=\"citizen\"><xsl:value-of select=\"$citizen-fiscal-code\"/></string>\n"
    "    <string key=\"level\"><xsl:value-of select=\"$spid-level\"/></string>\n"
    "  </map></xsl:template>\n"
    "</xsl:stylesheet>\n";

struct SpidApiFixture {
  const SpidVectors& vectors = SpidVectors::get();
  TempConfig config;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::ApiHandler> api;

  SpidApiFixture() {
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\n"
                 "spid:\n"
                 "  sp_entity_id: " +
                     std::string(SpidVectors::kSpEntityId) +
                     "\n"
                     "  acs_url: " +
                     SpidVectors::kAcsUrl +
                     "\n"
                     "  idp_metadata: [" +
                     vectors.metadata().string() +
                     "]\n"
                     "  session_ttl: 10m\n");
    config.write("conf/profiles/p.yaml", kProfile).write("mappings/whoami.xsl", kWhoAmI);
    config.write("conf/tenants/bari.yaml",
                 "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n"
                 "endpoints: { echo: { type: memory } }\n");
    config.bearer();  // before the generation loads: it must know the key
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    api = std::make_unique<core::ApiHandler>(*bus);
  }
  ~SpidApiFixture() { config.runtime().shutdown(); }

  HttpResponse call(http::verb verb, const std::string& target, const std::string& session = {},
                    const std::string& body = {}) {
    return test::apiCall(*api, config.bearer(), verb, target, session, body);
  }

  HttpResponse openSession(const std::string& vector, const std::string& request_id = {}) {
    std::string body = "{\"saml_response\":\"" + base64(vectors.read(vector)) + "\"";
    if (!request_id.empty()) body += ",\"request_id\":\"" + request_id + "\"";
    return call(http::verb::post, "/api/v1/spid/session", {}, body + "}");
  }

  static std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    out.resize(static_cast<std::size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(out.data()),
        reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()))));
    return out;
  }
};

rapidjson::Document json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string detail(const HttpResponse& response) {
  return json(response.body())["detail"].GetString();
}

}  // namespace

TEST_CASE_FIXTURE(SpidApiFixture, "spid api: a session carries the identity into the route") {
  auto opened = openSession("valid", SpidVectors::kRequestId);
  REQUIRE_MESSAGE(opened.result_int() == 201, opened.body());
  auto session = json(opened.body());
  const std::string token = session["session"].GetString();
  CHECK(token.size() == 43);  // 256 bits, base64url
  CHECK(std::string(session["fiscal_code"].GetString()) == "RSSMRA80A01A662A");
  CHECK(std::string(session["given_name"].GetString()) == "Mario");
  CHECK(std::string(session["family_name"].GetString()) == "Rossi");
  CHECK(session["spid_level"].GetInt() == 2);
  CHECK(std::string(session["expires_at"].GetString()).size() == 20);

  // The citizen asks for their own data: the route sees who they are.
  auto own =
      call(http::verb::get, "/api/v1/bari/citizen/profile?codice_fiscale=RSSMRA80A01A662A", token);
  CHECK(own.result_int() == 200);
  CHECK(own.body() == R"({"citizen":"RSSMRA80A01A662A","level":"2"})");

  // Someone else's fiscal code, or none: 403.
  auto other =
      call(http::verb::get, "/api/v1/bari/citizen/profile?codice_fiscale=VRDGPP75B02A662H", token);
  CHECK(other.result_int() == 403);
  CHECK(other[http::field::content_type] == "application/problem+json");
  CHECK(detail(other).starts_with("a citizen may ask only for their own data"));
  auto none = call(http::verb::get, "/api/v1/bari/citizen/profile", token);
  CHECK(none.result_int() == 403);
  CHECK(detail(none).starts_with("the request names no fiscal code"));

  // Level 2 is not enough for a level-3 route.
  auto sensitive = call(http::verb::post, "/api/v1/bari/citizen/sensitive", token, "{}");
  CHECK(sensitive.result_int() == 403);
  CHECK(detail(sensitive) == "citizen.sensitive needs SPID level 3; this session has level 2");

  // A route that requires nothing still sees the identity when there is one.
  auto ping = call(http::verb::get, "/api/v1/bari/public/ping", token);
  CHECK(ping.body() == R"({"citizen":"RSSMRA80A01A662A","level":"2"})");
  auto anonymous = call(http::verb::get, "/api/v1/bari/public/ping");
  CHECK(anonymous.body() == R"({"citizen":"","level":"0"})");
}

TEST_CASE_FIXTURE(SpidApiFixture, "spid api: no identity, an unknown or a closed session is 401") {
  auto anonymous =
      call(http::verb::get, "/api/v1/bari/citizen/profile?codice_fiscale=RSSMRA80A01A662A");
  CHECK(anonymous.result_int() == 401);
  CHECK(std::string(json(anonymous.body())["type"].GetString()) ==
        "urn:egovbus:problem:unauthorized");
  CHECK(detail(anonymous).find("needs a citizen authenticated with SPID") != std::string::npos);

  auto forged = call(http::verb::get, "/api/v1/bari/public/ping",
                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  CHECK(forged.result_int() == 401);

  auto opened = openSession("valid-l3");
  REQUIRE(opened.result_int() == 201);
  const std::string token = json(opened.body())["session"].GetString();
  CHECK(call(http::verb::post, "/api/v1/bari/citizen/sensitive", token, "{}").result_int() == 200);
  CHECK(call(http::verb::delete_, "/api/v1/spid/session", token).result_int() == 204);
  CHECK(call(http::verb::post, "/api/v1/bari/citizen/sensitive", token, "{}").result_int() == 401);
}

TEST_CASE_FIXTURE(SpidApiFixture, "spid api: a refused or replayed Response opens no session") {
  auto wrapped = openSession("wrap-evil-before");
  CHECK(wrapped.result_int() == 401);
  CHECK(detail(wrapped) == "SPID: the Response must hold exactly one Assertion, it holds 2");
  auto forged = openSession("other-key");
  CHECK(forged.result_int() == 401);
  auto wrong_request = openSession("valid-l1", "_not-the-request");
  CHECK(wrong_request.result_int() == 401);
  CHECK(detail(wrong_request).find("InResponseTo") != std::string::npos);

  REQUIRE(openSession("valid-l1").result_int() == 201);
  auto replayed = openSession("valid-l1");
  CHECK(replayed.result_int() == 401);
  CHECK(detail(replayed).starts_with("this SAML Response was used before"));

  auto not_json = call(http::verb::post, "/api/v1/spid/session", {}, "[1]");
  CHECK(not_json.result_int() == 400);
  auto unknown = call(http::verb::post, "/api/v1/spid/session", {}, R"({"SAMLResponse":"x"})");
  CHECK(unknown.result_int() == 400);
  auto get = call(http::verb::get, "/api/v1/spid/session");
  CHECK(get.result_int() == 405);
  CHECK(get[http::field::allow] == "POST, DELETE");
}

TEST_CASE("spid sessions: expiry, closing, replay and the cap") {
  core::SpidSessions sessions;
  core::SpidLogin login;
  login.identity.citizen_fiscal_code = "RSSMRA80A01A662A";
  login.identity.spid_level = 2;
  login.issuer = "https://idp";
  login.assertion_id = "_a";
  const auto now = std::chrono::system_clock::now();
  login.usable_until = now + std::chrono::minutes(5);
  auto opened = sessions.open(login, now, std::chrono::minutes(10), 2);
  REQUIRE(opened.ok());
  CHECK(opened->expires == now + std::chrono::minutes(10));
  CHECK(sessions.find(opened->token, now + std::chrono::minutes(9))->spid_level == 2);
  CHECK_FALSE(sessions.find(opened->token, now + std::chrono::minutes(10)));  // expired
  CHECK_FALSE(sessions.find(opened->token, now));                             // and gone

  auto again = sessions.open(login, now, std::chrono::minutes(10), 2);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == core::ErrorKind::unauthorized);
  // Once the assertion is no longer usable its ID is forgotten (the verifier refuses it).
  CHECK(sessions
            .open(login, login.usable_until + std::chrono::seconds(1), std::chrono::minutes(10), 2)
            .ok());

  login.assertion_id = "_b";
  auto second = sessions.open(login, now, std::chrono::minutes(10), 2);
  REQUIRE(second.ok());
  login.assertion_id = "_c";
  auto full = sessions.open(login, now, std::chrono::minutes(10), 2);
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().kind == core::ErrorKind::unavailable);
  CHECK(sessions.close(second->token));
  CHECK_FALSE(sessions.close(second->token));
  CHECK(sessions.open(login, now, std::chrono::minutes(10), 2).ok());
}
