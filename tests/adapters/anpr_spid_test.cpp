// SPID and ANPR together, end to end: the portal opens a bus session with a SAML Response
// signed by the xmlsec1 tool (tests/spid/make_vectors.py), then calls ANPR routes through the
// unified API against the PDND/ANPR simulator. The route's `require` (minimum level,
// self-only) is enforced before ANPR is reached, and the citizen's identity is what the
// TrackingEvidence the simulator accepted says: userID (pseudonymised when configured), LoA
// from the SPID level, userLocation the channel.
#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/engine/bus.hpp"
#include "core/net/api.hpp"
#include "tests/support/api_call.hpp"
#include "tests/support/pdnd_simulator.hpp"
#include "tests/support/spid_vectors.hpp"
#include "tests/support/temp_config.hpp"

namespace {

using namespace egov;
using test::PdndSimulator;
using test::simRequest;
using test::SpidVectors;
using test::TempConfig;

const std::filesystem::path kRoot = EGOV_SOURCE_DIR;

// The anagrafe-anpr mappings, with routes that require a citizen.
const char* kProfile =
    "routes:\n"
    "  - service: anagrafe.id-anpr\n"
    "    methods: [GET]\n"
    "    require: { spid_level: 2, self_only: \"fn:map/fn:string[@key='codice_fiscale']\" }\n"
    "    steps:\n"
    "      - map: anpr/id-anpr-request.xsl\n"
    "      - call: anpr\n"
    "      - map: anpr/id-anpr-response.xsl\n"
    "  - service: anagrafe.stato-famiglia\n"
    "    methods: [GET]\n"
    "    require: { spid_level: 3 }\n"
    "    steps:\n"
    "      - map: anpr/stato-famiglia-request.xsl\n"
    "      - call: anpr\n"
    "      - map: anpr/stato-famiglia-response.xsl\n";

std::string tenant(const char* istat, const char* slug, const PdndSimulator& sim,
                   const std::string& audit) {
  return std::string("tenant: { istat: \"") + istat + "\", slug: " + slug + ", name: " + slug +
         " }\n"
         "profile: citizen\n"
         "endpoints:\n"
         "  anpr:\n"
         "    type: anpr\n"
         "    environment: test\n"
         "    client_id: client-bari\n"
         "    kid: kid-bari\n"
         "    key_file: \"" +
         (kRoot / "tests/data/anpr/client-key.pem").string() +
         "\"\n"
         "    token_url: \"" +
         sim.url("/token.oauth2") +
         "\"\n"
         "    base_url: \"" +
         sim.eserviceBase() +
         "\"\n"
         "    timeout: 20s\n"
         "    eservices:\n"
         "      C030: { purpose_id: purpose-c030 }\n"
         "      C021: { purpose_id: purpose-c021 }\n"
         "    audit: " +
         audit +
         "\n"
         "params: { motivo-richiesta: \"portale-egov\" }\n";
}

rapidjson::Document json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_MESSAGE(!doc.HasParseError(), text);
  return doc;
}

struct CitizenFixture {
  const SpidVectors& vectors = SpidVectors::get();
  TempConfig config;
  std::unique_ptr<PdndSimulator> sim;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::ApiHandler> api;

  CitizenFixture() {
    config.write("sim.json",
                 R"({"clients":[{"client_id":"client-bari","kid":"kid-bari","public_key_file":")" +
                     (kRoot / "tests/data/anpr/client-pub.pem").string() +
                     R"(","purposes":{"purpose-c030":"C030","purpose-c021":"C021"}}]})");
    sim = std::make_unique<PdndSimulator>(config.root() / "sim.json");
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\n"
                 "routes: { default_deadline: 30s }\n"
                 "spid:\n"
                 "  sp_entity_id: " +
                     std::string(SpidVectors::kSpEntityId) +
                     "\n"
                     "  acs_url: " +
                     SpidVectors::kAcsUrl +
                     "\n"
                     "  idp_metadata: [" +
                     vectors.metadata().string() + "]\n");
    config.write("conf/profiles/citizen.yaml", kProfile);
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(kRoot / "mappings/anpr")) {
      if (entry.is_regular_file()) {
        config.copy(std::filesystem::relative(entry.path(), kRoot).string());
      }
    }
    config.write("secrets/pseudonym.key", "pseudonym-key-molfetta-0123");
    config.write("conf/tenants/072006-bari.yaml",
                 tenant("072006", "bari", *sim, "{ user_location: portale-egov }"));
    config.write("conf/tenants/072029-molfetta.yaml",
                 tenant("072029", "molfetta", *sim,
                        "{ user_location: sportello-molfetta, pseudonymise: hmac-sha256, "
                        "pseudonym_key: \"${file:" +
                            (config.root() / "secrets/pseudonym.key").string() + "}\" }"));
    config.bearer();  // before the generation loads: it must know the key
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    api = std::make_unique<core::ApiHandler>(*bus);
  }

  HttpResponse call(http::verb verb, const std::string& target, const std::string& session,
                    const std::string& body = {}) {
    return test::apiCall(*api, config.bearer(), verb, target, session, body);
  }

  // Opens a bus session with a Response of the vectors; returns its token.
  std::string session(const std::string& vector) {
    const std::string xml = vectors.read(vector);
    std::string base64(4 * ((xml.size() + 2) / 3) + 1, '\0');
    base64.resize(static_cast<std::size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(base64.data()),
        reinterpret_cast<const unsigned char*>(xml.data()), static_cast<int>(xml.size()))));
    auto opened = call(http::verb::post, "/api/v1/spid/session", {},
                       "{\"saml_response\":\"" + base64 + "\"}");
    REQUIRE_MESSAGE(opened.result_int() == 201, opened.body());
    return json(opened.body())["session"].GetString();
  }

  // The audit claims of the last TrackingEvidence the simulator accepted.
  std::string lastAudit(const char* claim) const {
    auto reply = simRequest("GET", sim->url("/sim/stats"));
    REQUIRE(reply.status == 200);
    auto stats = json(reply.body);
    REQUIRE(stats["last_audit"].IsObject());
    return stats["last_audit"][claim].GetString();
  }
};

}  // namespace

TEST_CASE_FIXTURE(CitizenFixture,
                  "anpr + spid: the citizen's identity and level reach ANPR's TrackingEvidence") {
  const std::string mario = session("valid");  // RSSMRA80A01A662A, SpidL2

  auto own =
      call(http::verb::get, "/api/v1/bari/anagrafe/id-anpr?codice_fiscale=RSSMRA80A01A662A", mario);
  REQUIRE_MESSAGE(own.result_int() == 200, own.body());
  CHECK(std::string(json(own.body())["id_anpr"].GetString()) == "AB12345CD");
  CHECK(lastAudit("userID") == "RSSMRA80A01A662A");
  CHECK(lastAudit("LoA") == "SpidL2");
  CHECK(lastAudit("userLocation") == "portale-egov");
  CHECK(lastAudit("eservice") == "C030");

  // Molfetta pseudonymises: HMAC-SHA256 of the fiscal code with its key (computed with
  // python3's hmac module), and its own channel.
  auto pseudonymised = call(
      http::verb::get, "/api/v1/molfetta/anagrafe/id-anpr?codice_fiscale=RSSMRA80A01A662A", mario);
  REQUIRE_MESSAGE(pseudonymised.result_int() == 200, pseudonymised.body());
  CHECK(lastAudit("userID") == "68bfa8fd5e8b0c1a6f550b04200d376d593d7b8f975e98beb5d1910190d21b52");
  CHECK(lastAudit("userLocation") == "sportello-molfetta");

  // A level-3 citizen on the level-3 route: the LoA follows the session.
  const std::string lucia = session("valid-l3");  // BNCLCU85T50A662U, SpidL3
  auto famiglia =
      call(http::verb::get, "/api/v1/bari/anagrafe/stato-famiglia?codice_fiscale=RSSMRA80A01A662A",
           lucia);
  REQUIRE_MESSAGE(famiglia.result_int() == 200, famiglia.body());
  CHECK(json(famiglia.body())["componenti"].Size() == 3);
  CHECK(lastAudit("userID") == "BNCLCU85T50A662U");
  CHECK(lastAudit("LoA") == "SpidL3");
  CHECK(lastAudit("eservice") == "C021");
  CHECK(sim->stat("eservice_ok") == 3);
}

TEST_CASE_FIXTURE(CitizenFixture,
                  "anpr + spid: no session 401, another's fiscal code or a low level 403, "
                  "before ANPR") {
  const auto problem = [](const HttpResponse& response, int status, const std::string& type) {
    CHECK(response.result_int() == status);
    CHECK(response[http::field::content_type] == "application/problem+json");
    CHECK(std::string(json(response.body())["type"].GetString()) == type);
  };
  problem(
      call(http::verb::get, "/api/v1/bari/anagrafe/id-anpr?codice_fiscale=RSSMRA80A01A662A", {}),
      401, "urn:egovbus:problem:unauthorized");

  const std::string mario = session("valid");
  problem(
      call(http::verb::get, "/api/v1/bari/anagrafe/id-anpr?codice_fiscale=DLCGPP75C15F284L", mario),
      403, "urn:egovbus:problem:forbidden");
  problem(call(http::verb::get,
               "/api/v1/bari/anagrafe/stato-famiglia?codice_fiscale=RSSMRA80A01A662A", mario),
          403, "urn:egovbus:problem:forbidden");
  const std::string level1 = session("valid-l1");
  problem(call(http::verb::get, "/api/v1/bari/anagrafe/id-anpr?codice_fiscale=RSSMRA80A01A662A",
               level1),
          403, "urn:egovbus:problem:forbidden");
  // None of these reached PDND or ANPR.
  CHECK(sim->stat("token_requests") == 0);
  CHECK(sim->stat("eservice_calls") == 0);
}
