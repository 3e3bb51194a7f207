// The anpr adapter against the PDND/ANPR simulator (tools/pdnd-sim, started by the tests):
// whole routes of the unified API (/api/v1/bari/anagrafe/...), the voucher cache and single
// flight counted by the simulator, 404 and 429 mapping, the tokens the bus sends verified by
// npm jose, and the simulator's strictness: every check it makes refuses a request broken in
// exactly that way.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "adapters/anpr/jws.hpp"
#include "adapters/anpr/modi_tokens.hpp"
#include "core/common/ids.hpp"
#include "core/engine/bus.hpp"
#include "core/net/api.hpp"
#include "tests/support/pdnd_simulator.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"
#include "tests/support/test_http_server.hpp"

namespace {

using namespace egov;
namespace anpr = egov::adapters::anpr;
using test::PdndSimulator;
using test::SimReply;
using test::simRequest;
using test::TempConfig;

const std::filesystem::path kRoot = EGOV_SOURCE_DIR;
const std::string kKey = (kRoot / "tests/data/anpr/client-key.pem").string();
const std::string kPublicKey = (kRoot / "tests/data/anpr/client-pub.pem").string();
const std::string kOtherKey = (kRoot / "tests/data/anpr/other-key.pem").string();
constexpr const char* kAssertionAudience = "auth.uat.interop.pagopa.it/client-assertion";

std::string simConfig() {
  return std::string(R"({"clients":[{"client_id":"client-bari","kid":"kid-bari",)") +
         R"("public_key_file":")" + kPublicKey + R"(","purposes":{)" +
         R"("purpose-c030":"C030","purpose-c020":"C020","purpose-c021":"C021"}}]})";
}

std::string anprEndpoint(const PdndSimulator& sim) {
  return "  anpr:\n"
         "    type: anpr\n"
         "    environment: test\n"
         "    client_id: client-bari\n"
         "    kid: kid-bari\n"
         "    key_file: \"" +
         kKey + "\"\n" + "    token_url: \"" + sim.url("/token.oauth2") + "\"\n" +
         "    base_url: \"" + sim.eserviceBase() + "\"\n" +
         "    timeout: 20s\n"
         "    eservices:\n"
         "      C030: { purpose_id: purpose-c030 }\n"
         "      C020: { purpose_id: purpose-c020 }\n"
         "      C021: { purpose_id: purpose-c021 }\n"
         "    audit: { user_location: portale-egov }\n";
}

void copyAnprMappings(TempConfig& config) {
  config.copy("conf/profiles/anagrafe-anpr.yaml");
  // anagrafe.residenza answers in the catalogue's canonical shape: its mappings and schemas.
  for (const char* folder : {"mappings/anpr", "mappings/catalogue", "schemas/canonical"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(kRoot / folder)) {
      if (entry.is_regular_file()) {
        config.copy(std::filesystem::relative(entry.path(), kRoot).string());
      }
    }
  }
}

struct SimFixture {
  TempConfig config;
  std::unique_ptr<PdndSimulator> sim;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::ApiHandler> api;

  SimFixture() {
    config.write("sim.json", simConfig());
    sim = std::make_unique<PdndSimulator>(config.root() / "sim.json");
    config.write("conf/bus.yaml", "listen: 127.0.0.1:0\nroutes: { default_deadline: 30s }\n");
    copyAnprMappings(config);
    config.write("conf/tenants/072006-bari.yaml",
                 "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
                 "profile: anagrafe-anpr\n"
                 "endpoints:\n" +
                     anprEndpoint(*sim) + "params: { motivo-richiesta: \"portale-egov\" }\n");
    // Molfetta signs with a key PDND does not know; Bitonto's token endpoint is down.
    std::string molfetta = anprEndpoint(*sim);
    molfetta.replace(molfetta.find(kKey), kKey.size(), kOtherKey);
    config.write("conf/tenants/072029-molfetta.yaml",
                 "tenant: { istat: \"072029\", slug: molfetta, name: Molfetta }\n"
                 "profile: anagrafe-anpr\n"
                 "endpoints:\n" +
                     molfetta + "params: { motivo-richiesta: \"portale-egov\" }\n");
    std::string bitonto = anprEndpoint(*sim);
    const std::string token_url = sim->url("/token.oauth2");
    bitonto.replace(bitonto.find(token_url), token_url.size(), "http://127.0.0.1:1/token.oauth2");
    config.write("conf/tenants/072011-bitonto.yaml",
                 "tenant: { istat: \"072011\", slug: bitonto, name: Bitonto }\n"
                 "profile: anagrafe-anpr\n"
                 "endpoints:\n" +
                     bitonto + "params: { motivo-richiesta: \"portale-egov\" }\n");
    config.bearer();  // before the generation loads: it must know the key
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    api = std::make_unique<core::ApiHandler>(*bus);
  }

  HttpResponse get(const std::string& target) {
    HttpRequest request{http::verb::get, target, 11};
    request.set(http::field::authorization, config.bearer());
    request.prepare_payload();
    return test::runCoroutine(api->handle(std::move(request)));
  }
};

rapidjson::Document json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_MESSAGE(!doc.HasParseError(), text);
  return doc;
}

std::string problemType(const HttpResponse& response) {
  auto doc = json(response.body());
  return doc["type"].GetString();
}

// ---- crafting requests for the strictness tests ---------------------------------------

anpr::ModiSigner signer(const std::string& key_file = kKey) {
  auto key = anpr::loadRsaPrivateKey(key_file, "");
  REQUIRE(key.ok());
  return anpr::ModiSigner{"client-bari", "kid-bari", *key};
}

std::int64_t epochNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string c020Audience(const PdndSimulator& sim) {
  return sim.url("/govway/rest/in/MinInternoPortaANPR/C020-servizioAccertamentoResidenza/v1");
}

std::string c020Url(const PdndSimulator& sim) {
  return sim.eserviceBase() + "/C020-servizioAccertamentoResidenza/v1/anpr-service-e002";
}

// A JWS with exactly these claims (JSON text), for tokens the adapter would never make.
std::string rawJwt(const std::string& claims, const std::string& key_file = kKey) {
  auto s = signer(key_file);
  auto jws = anpr::signJwt(*s.key, s.kid, claims);
  REQUIRE(jws.ok());
  return *jws;
}

std::string tokenForm(const std::string& assertion, const std::string& client_id = "client-bari") {
  return "client_id=" + client_id + "&client_assertion=" + assertion +
         "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
         "&grant_type=client_credentials";
}

SimReply requestToken(const PdndSimulator& sim, const std::string& form) {
  return simRequest("POST", sim.url("/token.oauth2"),
                    {"Content-Type: application/x-www-form-urlencoded"}, form);
}

std::string accessToken(const SimReply& reply) {
  REQUIRE_MESSAGE(reply.status == 200, reply.reason);
  auto doc = json(reply.body);
  return doc["access_token"].GetString();
}

// Everything a valid C020 call carries; tests break one piece at a time.
struct ModiCall {
  std::string evidence;
  std::string voucher;
  std::string body;
  std::string digest;
  std::string signature;
  std::string content_type = "application/json";

  std::vector<std::string> headers() const {
    std::vector<std::string> out = {"Content-Type: " + content_type, "Digest: " + digest,
                                    "Agid-JWT-Signature: " + signature,
                                    "Agid-JWT-TrackingEvidence: " + evidence};
    if (!voucher.empty()) out.push_back("Authorization: Bearer " + voucher);
    return out;
  }
};

const std::string kBody =
    R"({"idOperazioneClient":"sim-1","criteriRicerca":{"codiceFiscale":"RSSMRA80A01A662A"},)"
    R"("datiRichiesta":{"dataRiferimentoRichiesta":"2026-11-26","motivoRichiesta":"pratica-1",)"
    R"("casoUso":"C020"}})";

std::string signature(const PdndSimulator& sim, const std::string& digest,
                      const std::string& content_type = "application/json") {
  auto jws =
      anpr::makeIntegritySignature(signer(), c020Audience(sim), digest, content_type, epochNow());
  REQUIRE(jws.ok());
  return jws->jws;
}

ModiCall validCall(const PdndSimulator& sim) {
  ModiCall call;
  auto evidence = anpr::makeTrackingEvidence(signer(), c020Audience(sim), "purpose-c020",
                                             {"RSSMRA80A01A662A", "test", "SpidL2"}, epochNow());
  REQUIRE(evidence.ok());
  call.evidence = evidence->jws;
  auto assertion = anpr::makeClientAssertion(signer(), kAssertionAudience, "purpose-c020",
                                             anpr::auditDigest(call.evidence), epochNow());
  REQUIRE(assertion.ok());
  call.voucher = accessToken(requestToken(sim, tokenForm(assertion->jws)));
  call.body = kBody;
  call.digest = anpr::digestHeader(call.body);
  call.signature = signature(sim, call.digest);
  return call;
}

SimReply send(const PdndSimulator& sim, const ModiCall& call) {
  return simRequest("POST", c020Url(sim), call.headers(), call.body);
}

// Client-assertion claims as JSON text, with `extra` members appended (or `iat_exp` replacing
// the integer times).
std::string assertionClaims(const std::string& audit_digest, std::int64_t iat, std::int64_t exp,
                            const std::string& extra = "", const char* aud = kAssertionAudience,
                            const char* purpose = "purpose-c020") {
  return std::string(R"({"iss":"client-bari","sub":"client-bari","aud":")") + aud + R"(","jti":")" +
         core::newUuid() + R"(","iat":)" + std::to_string(iat) + R"(,"exp":)" +
         std::to_string(exp) + R"(,"purposeId":")" + purpose +
         R"(","digest":{"alg":"SHA256","value":")" + audit_digest + "\"}" + extra + "}";
}

}  // namespace

TEST_CASE_FIXTURE(SimFixture, "anpr sim: residenza, id-anpr and stato-famiglia through the API") {
  // The catalogue's canonical shape (the same for every profile).
  auto residenza = get("/api/v1/bari/anagrafe/residenza?fiscal_code=RSSMRA80A01A662A");
  REQUIRE_MESSAGE(residenza.result_int() == 200, residenza.body());
  auto doc = json(residenza.body());
  CHECK(std::string(doc["tenant"].GetString()) == "bari");
  CHECK(std::string(doc["fiscal_code"].GetString()) == "RSSMRA80A01A662A");
  CHECK(doc["resident"].GetBool());
  CHECK(std::string(doc["address"].GetString()) == "VIA SPARANO DA BARI 15");
  CHECK(std::string(doc["postal_code"].GetString()) == "70122");
  CHECK(std::string(doc["municipality"].GetString()) == "BARI");

  auto id = get("/api/v1/bari/anagrafe/id-anpr?codice_fiscale=DLCGPP75C15F284L");
  REQUIRE_MESSAGE(id.result_int() == 200, id.body());
  CHECK(std::string(json(id.body())["id_anpr"].GetString()) == "CD98765EF");

  auto famiglia = get("/api/v1/072006/anagrafe/stato-famiglia?codice_fiscale=BNCNNA82M45A662D");
  REQUIRE_MESSAGE(famiglia.result_int() == 200, famiglia.body());
  auto family = json(famiglia.body());
  REQUIRE(family["componenti"].Size() == 3);
  CHECK(std::string(family["componenti"][0]["nome"].GetString()) == "MARIO");
  CHECK(std::string(family["componenti"][0]["legame"].GetString()) == "1");
  CHECK(std::string(family["componenti"][1]["legame_descrizione"].GetString()) == "MOGLIE");

  // One voucher per purpose (three e-services); repeated calls reuse it.
  CHECK(sim->stat("token_requests") == 3);
  for (int i = 0; i < 3; ++i) {
    auto again = get("/api/v1/bari/anagrafe/residenza?fiscal_code=RSSMRA80A01A662A");
    CHECK(again.result_int() == 200);
  }
  CHECK(sim->stat("token_requests") == 3);
  CHECK(sim->stat("eservice_ok") == 6);
}

TEST_CASE_FIXTURE(SimFixture, "anpr sim: concurrent calls share one voucher request") {
  net::io_context io;
  std::vector<int> statuses;
  for (int i = 0; i < 6; ++i) {
    net::co_spawn(
        io,
        [&]() -> awaitable<void> {
          HttpRequest request{http::verb::get,
                              "/api/v1/bari/anagrafe/residenza?fiscal_code=RSSMRA80A01A662A", 11};
          request.set(http::field::authorization, config.bearer());
          request.prepare_payload();
          auto response = co_await api->handle(std::move(request));
          statuses.push_back(response.result_int());
        },
        net::detached);
  }
  io.run();
  CHECK(statuses == std::vector<int>(6, 200));
  CHECK(sim->stat("token_requests") == 1);
  CHECK(sim->stat("eservice_ok") == 6);
}

TEST_CASE_FIXTURE(SimFixture, "anpr sim: not in ANPR is 404; a bad request never reaches ANPR") {
  auto missing = get("/api/v1/bari/anagrafe/residenza?fiscal_code=VRDLRA90E50A662L");
  CHECK(missing.result_int() == 404);
  CHECK(problemType(missing) == "urn:egovbus:problem:not-found");
  CHECK(missing.body().find("EN122") != std::string::npos);

  auto invalid = get("/api/v1/bari/anagrafe/residenza?fiscal_code=RSSMRA80A01A662B");
  CHECK(invalid.result_int() == 400);
  CHECK(problemType(invalid) == "urn:egovbus:problem:bad-request");
  auto bad_date = get("/api/v1/bari/anagrafe/residenza?fiscal_code=RSSMRA80A01A662A&date=ieri");
  CHECK(bad_date.result_int() == 400);
  CHECK(sim->stat("eservice_calls") == 1);
}

TEST_CASE_FIXTURE(SimFixture,
                  "anpr sim: a refused or unreachable token endpoint is a clear error") {
  auto refused = get("/api/v1/molfetta/anagrafe/residenza?fiscal_code=RSSMRA80A01A662A");
  CHECK(refused.result_int() == 502);
  CHECK(problemType(refused) == "urn:egovbus:problem:backend-rejected");
  CHECK(refused.body().find("PDND token endpoint refused the voucher request: HTTP 400: "
                            "015-0008 Unable to generate a token") != std::string::npos);
  // Errors are not cached: the next call asks PDND again.
  CHECK(get("/api/v1/molfetta/anagrafe/residenza?fiscal_code=RSSMRA80A01A662A").result_int() ==
        502);
  CHECK(sim->stat("token_requests") == 2);
  CHECK(sim->stat("eservice_calls") == 0);

  auto down = get("/api/v1/bitonto/anagrafe/residenza?fiscal_code=RSSMRA80A01A662A");
  CHECK(down.result_int() == 502);
  CHECK(problemType(down) == "urn:egovbus:problem:backend-unavailable");
  CHECK(down.body().find("bitonto/anpr: PDND token endpoint") != std::string::npos);
}

TEST_CASE("anpr sim: a voucher the e-service refuses is not offered again") {
  int calls = 0;
  test::TestHttpServer peer([&calls](const test::TestHttpRequest& request) {
    test::TestHttpResponse response;
    if (request.target == "/token.oauth2") {
      response.body = R"({"access_token":"voucher","token_type":"Bearer","expires_in":600})";
    } else if (++calls == 1) {
      response.status = 401;
      response.content_type = "application/problem+json";
      response.body = R"({"title":"TokenAuthenticationFailed","status":401})";
    } else {
      response.body = R"({"idOperazioneANPR":"1","listaSoggetti":{"datiSoggetto":[)"
                      R"({"identificativi":{"idANPR":"AB12345CD"}}]}})";
    }
    return response;
  });
  TempConfig config;
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\nroutes: { default_deadline: 30s }\n");
  copyAnprMappings(config);
  config.write("conf/tenants/072006-bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
               "profile: anagrafe-anpr\n"
               "endpoints:\n"
               "  anpr:\n"
               "    type: anpr\n"
               "    environment: test\n"
               "    client_id: client-bari\n"
               "    kid: kid-bari\n"
               "    key_file: \"" +
                   kKey + "\"\n    token_url: \"" + peer.url("/token.oauth2") +
                   "\"\n    base_url: \"" + peer.url("/govway/rest/in/MinInternoPortaANPR-PDND") +
                   "\"\n    eservices: { C030: { purpose_id: purpose-c030 } }\n"
                   "params: { motivo-richiesta: \"portale-egov\" }\n");
  config.bearer();  // before the generation loads: it must know the key
  core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.reload(errors), errors.str());
  core::ApiHandler api(bus);
  auto get = [&] {
    HttpRequest request{http::verb::get,
                        "/api/v1/bari/anagrafe/id-anpr?codice_fiscale=RSSMRA80A01A662A", 11};
    request.set(http::field::authorization, config.bearer());
    request.prepare_payload();
    return test::runCoroutine(api.handle(std::move(request)));
  };
  auto refused = get();
  CHECK(refused.result_int() == 502);
  CHECK(problemType(refused) == "urn:egovbus:problem:backend-rejected");
  CHECK(refused.body().find("TokenAuthenticationFailed") != std::string::npos);
  CHECK(get().result_int() == 200);
  CHECK(get().result_int() == 200);
  int token_requests = 0;
  for (const auto& r : peer.requests()) token_requests += r.target == "/token.oauth2" ? 1 : 0;
  CHECK(token_requests == 2);  // a new one after the 401, then reused
}

TEST_CASE_FIXTURE(SimFixture,
                  "anpr sim: ANPR's 429 reaches the portal as 429 without a retry storm") {
  REQUIRE(simRequest("POST", sim->url("/sim/quota"), {"Content-Type: application/json"},
                     R"({"eservice":"C020","remaining":0,"retry_after":120})")
              .status == 204);
  auto limited = get("/api/v1/bari/anagrafe/residenza?fiscal_code=RSSMRA80A01A662A");
  CHECK(limited.result_int() == 429);
  CHECK(problemType(limited) == "urn:egovbus:problem:rate-limited");
  CHECK(std::string(limited[http::field::retry_after]) == "120");
  CHECK(sim->stat("eservice_calls") == 1);

  // While the cool-down lasts, callers get 429 at once and ANPR hears nothing.
  for (int i = 0; i < 5; ++i) {
    auto again = get("/api/v1/bari/anagrafe/residenza?fiscal_code=RSSMRA80A01A662A");
    CHECK(again.result_int() == 429);
    const int retry = std::stoi(std::string(again[http::field::retry_after]));
    CHECK(retry >= 1);
    CHECK(retry <= 120);
  }
  CHECK(sim->stat("eservice_calls") == 1);
  // Another e-service of the same client is not cooled down.
  CHECK(get("/api/v1/bari/anagrafe/id-anpr?codice_fiscale=RSSMRA80A01A662A").result_int() == 200);
}

TEST_CASE_FIXTURE(SimFixture,
                  "anpr sim: PDND's 429 reaches the portal as 429; no voucher request until then") {
  // A voucher for C030 first: a cached voucher keeps serving while PDND says slow down.
  REQUIRE(get("/api/v1/bari/anagrafe/id-anpr?codice_fiscale=RSSMRA80A01A662A").result_int() == 200);
  REQUIRE(simRequest("POST", sim->url("/sim/token-limit"), {"Content-Type: application/json"},
                     R"({"remaining":0,"retry_after":45})")
              .status == 204);
  auto limited = get("/api/v1/bari/anagrafe/residenza?fiscal_code=RSSMRA80A01A662A");
  CHECK(limited.result_int() == 429);
  CHECK(problemType(limited) == "urn:egovbus:problem:rate-limited");
  CHECK(std::string(limited[http::field::retry_after]) == "45");
  CHECK(limited.body().find("PDND token endpoint: HTTP 429") != std::string::npos);
  CHECK(sim->stat("token_requests") == 2);

  // Until Retry-After has passed no e-service of this client asks PDND for a voucher.
  for (int i = 0; i < 3; ++i) {
    for (const char* target : {"/api/v1/bari/anagrafe/residenza?fiscal_code=RSSMRA80A01A662A",
                               "/api/v1/bari/anagrafe/stato-famiglia?codice_fiscale="
                               "RSSMRA80A01A662A"}) {
      CAPTURE(target);
      auto again = get(target);
      CHECK(again.result_int() == 429);
      const int retry = std::stoi(std::string(again[http::field::retry_after]));
      CHECK(retry >= 1);
      CHECK(retry <= 45);
      CHECK(again.body().find("not asked again for") != std::string::npos);
    }
  }
  CHECK(sim->stat("token_requests") == 2);
  CHECK(get("/api/v1/bari/anagrafe/id-anpr?codice_fiscale=RSSMRA80A01A662A").result_int() == 200);
  CHECK(sim->stat("token_requests") == 2);
  CHECK(sim->stat("eservice_calls") == 2);
}

TEST_CASE("anpr sim: the tokens the bus sends verify with npm jose") {
  // A recording peer stands in for PDND and ANPR, so the exact bytes the adapter sent can be
  // handed to a third-party verifier.
  test::TestHttpServer peer([](const test::TestHttpRequest& request) {
    test::TestHttpResponse response;
    if (request.target == "/token.oauth2") {
      response.body = R"({"access_token":"voucher-1","token_type":"Bearer","expires_in":600})";
    } else {
      response.body = R"({"idOperazioneANPR":"1","listaSoggetti":{"datiSoggetto":[)"
                      R"({"identificativi":{"idANPR":"AB12345CD"}}]},"listaAnomalie":[]})";
    }
    return response;
  });
  TempConfig config;
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\nroutes: { default_deadline: 30s }\n");
  copyAnprMappings(config);
  const std::string base = peer.url("/govway/rest/in/MinInternoPortaANPR-PDND");
  config.write("conf/tenants/072006-bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
               "profile: anagrafe-anpr\n"
               "endpoints:\n"
               "  anpr:\n"
               "    type: anpr\n"
               "    environment: test\n"
               "    client_id: client-bari\n"
               "    kid: kid-bari\n"
               "    key_file: \"" +
                   kKey +
                   "\"\n"
                   "    token_url: \"" +
                   peer.url("/token.oauth2") +
                   "\"\n"
                   "    base_url: \"" +
                   base +
                   "\"\n"
                   "    eservices: { C030: { purpose_id: purpose-c030 } }\n"
                   "params: { motivo-richiesta: \"portale-egov\" }\n");
  config.bearer();  // before the generation loads: it must know the key
  core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.reload(errors), errors.str());
  core::ApiHandler api(bus);
  HttpRequest request{http::verb::get,
                      "/api/v1/bari/anagrafe/id-anpr?codice_fiscale=RSSMRA80A01A662A", 11};
  request.set(http::field::authorization, config.bearer());
  request.prepare_payload();
  auto response = test::runCoroutine(api.handle(std::move(request)));
  REQUIRE_MESSAGE(response.result_int() == 200, response.body());

  auto requests = peer.requests();
  REQUIRE(requests.size() == 2);
  const auto& token = requests[0];
  const auto& call = requests[1];
  CHECK(token.target == "/token.oauth2");
  CHECK(token.header("content-type") == "application/x-www-form-urlencoded");
  CHECK(call.target ==
        "/govway/rest/in/MinInternoPortaANPR-PDND/C030-servizioAccertamentoIdUnicoNazionale/v1/"
        "anpr-service-e002");
  CHECK(call.header("authorization") == "Bearer voucher-1");

  rapidjson::StringBuffer text;
  rapidjson::Writer<rapidjson::StringBuffer> w(text);
  auto field = [&](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  field("client_id", "client-bari");
  field("kid", "kid-bari");
  field("assertion_audience", kAssertionAudience);
  field("audience", peer.url("/govway/rest/in/MinInternoPortaANPR/"
                             "C030-servizioAccertamentoIdUnicoNazionale/v1"));
  field("purpose_id", "purpose-c030");
  field("form", token.body);
  field("body", call.body);
  w.Key("headers");
  w.StartObject();
  for (const char* name :
       {"agid-jwt-trackingevidence", "agid-jwt-signature", "digest", "content-type"}) {
    field(name, call.header(name));
  }
  w.EndObject();
  w.EndObject();
  config.write("capture.json", text.GetString());

  const std::string command = "node " + (kRoot / "tests/interop/verify_modi.js").string() + " " +
                              kPublicKey + " " + (config.root() / "capture.json").string() +
                              " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  REQUIRE(pipe);
  std::string output;
  char buffer[256];
  while (fgets(buffer, sizeof buffer, pipe.get())) output += buffer;
  CHECK_MESSAGE(output == "ok\n", output);
}

TEST_CASE("anpr sim: the token endpoint refuses every malformed client assertion") {
  TempConfig config;
  config.write("sim.json", simConfig());
  PdndSimulator sim(config.root() / "sim.json");
  auto evidence = anpr::makeTrackingEvidence(signer(), c020Audience(sim), "purpose-c020",
                                             {"u", "l", "SpidL2"}, epochNow());
  REQUIRE(evidence.ok());
  const std::string digest = anpr::auditDigest(evidence->jws);
  const std::int64_t now = epochNow();

  // The baseline passes, so each refusal below is the one broken piece.
  const std::string good = rawJwt(assertionClaims(digest, now, now + 300));
  CHECK(requestToken(sim, tokenForm(good)).status == 200);

  struct Case {
    const char* what;
    std::string form;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"signed by another key",
       tokenForm(rawJwt(assertionClaims(digest, now, now + 300), kOtherKey)),
       "client assertion: signature"},
      {"wrong audience",
       tokenForm(rawJwt(assertionClaims(digest, now, now + 300, "", "auth.interop.pagopa.it/x"))),
       "client assertion: aud"},
      {"nbf present",
       tokenForm(
           rawJwt(assertionClaims(digest, now, now + 300, ",\"nbf\":" + std::to_string(now)))),
       "client assertion: nbf is not allowed"},
      {"iat 6 minutes old", tokenForm(rawJwt(assertionClaims(digest, now - 360, now + 300))),
       "client assertion: iat too old"},
      {"iat 1 minute ahead", tokenForm(rawJwt(assertionClaims(digest, now + 60, now + 300))),
       "client assertion: iat in the future"},
      {"expired", tokenForm(rawJwt(assertionClaims(digest, now - 100, now - 1))),
       "client assertion: exp"},
      {"unknown purpose",
       tokenForm(rawJwt(assertionClaims(digest, now, now + 300, "", kAssertionAudience, "p-x"))),
       "client assertion: purposeId not of this client"},
      {"no digest (AUDIT_REST_02)",
       tokenForm(rawJwt(R"({"iss":"client-bari","sub":"client-bari","aud":")" +
                        std::string(kAssertionAudience) + R"(","jti":"j-1","iat":)" +
                        std::to_string(now) + R"(,"exp":)" + std::to_string(now + 300) +
                        R"(,"purposeId":"purpose-c020"})")),
       "client assertion: digest {alg: SHA256, value: hex} required (AUDIT_REST_02)"},
      {"unknown client", tokenForm(good, "client-x"), "unknown client_id"},
      {"replayed jti", tokenForm(good), "client assertion: jti replayed"},
      {"wrong grant",
       "client_id=client-bari&client_assertion=" + good +
           "&client_assertion_type=x&grant_type=client_credentials",
       "client_assertion_type"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto reply = requestToken(sim, c.form);
    CHECK(reply.status == 400);
    CHECK(reply.reason == c.reason);
    // PDND's own shape: problem+json with errors[].code 015-0008.
    auto doc = json(reply.body);
    CHECK(std::string(doc["errors"][0]["code"].GetString()) == "015-0008");
  }
  // iat and exp as strings.
  const std::string strings = R"({"iss":"client-bari","sub":"client-bari","aud":")" +
                              std::string(kAssertionAudience) + R"(","jti":"j-2","iat":")" +
                              std::to_string(now) + R"(","exp":")" + std::to_string(now + 300) +
                              R"(","purposeId":"purpose-c020","digest":{"alg":"SHA256","value":")" +
                              digest + R"("}})";
  auto reply = requestToken(sim, tokenForm(rawJwt(strings)));
  CHECK(reply.status == 400);
  CHECK(!reply.reason.empty());
}

TEST_CASE("anpr sim: the e-service refuses every broken ModI header") {
  TempConfig config;
  config.write("sim.json", simConfig());
  PdndSimulator sim(config.root() / "sim.json");

  auto ok = send(sim, validCall(sim));
  REQUIRE_MESSAGE(ok.status == 200, ok.reason);

  auto check = [&](const char* what, const ModiCall& call, long status, const std::string& reason) {
    CAPTURE(what);
    auto reply = send(sim, call);
    CHECK(reply.status == status);
    CHECK(reply.reason == reason);
    auto doc = json(reply.body);
    CHECK(doc["status"].GetInt() == status);  // RFC 7807 gateway error
  };

  {
    ModiCall call = validCall(sim);
    call.body.replace(call.body.find("pratica-1"), 9, "pratica-2");  // tampered after signing
    check("body tampered", call, 400, "Digest does not match the body");
  }
  {
    ModiCall call = validCall(sim);
    call.body.replace(call.body.find("pratica-1"), 9, "pratica-2");
    call.digest = anpr::digestHeader(call.body);  // Digest recomputed, signature not
    check("digest not the signed one", call, 400,
          "signed_headers: digest differs from the header sent");
  }
  {
    ModiCall call = validCall(sim);
    call.signature = signature(sim, call.digest, "text/plain");
    check("content-type not the signed one", call, 400,
          "signed_headers: content-type differs from the header sent");
  }
  {
    ModiCall call = validCall(sim);
    call.content_type = "text/plain";
    check("content type", call, 400, "Content-Type must be application/json");
  }
  {
    ModiCall call = validCall(sim);
    REQUIRE(send(sim, call).status == 200);
    check("Agid-JWT-Signature replayed", call, 409, "Agid-JWT-Signature: jti replayed");
  }
  {
    ModiCall call = validCall(sim);
    auto other = anpr::makeTrackingEvidence(signer(), c020Audience(sim), "purpose-c020",
                                            {"someone-else", "l", "SpidL2"}, epochNow());
    REQUIRE(other.ok());
    call.evidence = other->jws;  // valid on its own, but not the one the voucher is bound to
    check("voucher bound to another TrackingEvidence", call, 400,
          "voucher not bound to this TrackingEvidence");
  }
  {
    ModiCall call = validCall(sim);
    auto s = signer(kOtherKey);
    auto forged = anpr::makeIntegritySignature(s, c020Audience(sim), call.digest,
                                               "application/json", epochNow());
    REQUIRE(forged.ok());
    call.signature = forged->jws;
    check("signature by another key", call, 400, "Agid-JWT-Signature: signature");
  }
  {
    ModiCall call = validCall(sim);
    auto wrong = anpr::makeIntegritySignature(
        signer(), sim.eserviceBase() + "/C020-servizioAccertamentoResidenza/v1", call.digest,
        "application/json", epochNow());  // aud with -PDND: the README's trap
    REQUIRE(wrong.ok());
    call.signature = wrong->jws;
    check("signature audience with -PDND", call, 400, "Agid-JWT-Signature: aud");
  }
  {
    ModiCall call = validCall(sim);
    const std::int64_t old = epochNow() - 400;
    call.signature = rawJwt(std::string(R"({"iss":"client-bari","sub":"client-bari","aud":")") +
                            c020Audience(sim) + R"(","jti":")" + core::newUuid() + R"(","iat":)" +
                            std::to_string(old) + R"(,"exp":)" + std::to_string(old + 3600) +
                            R"(,"signed_headers":[{"digest":")" + call.digest +
                            R"("},{"content-type":"application/json"}]})");
    check("signature iat too old", call, 400, "Agid-JWT-Signature: iat too old");
  }
  {
    ModiCall call = validCall(sim);
    call.signature =
        rawJwt(std::string(R"({"iss":"client-bari","sub":"client-bari","aud":")") +
               c020Audience(sim) + R"(","jti":")" + core::newUuid() + R"(","iat":)" +
               std::to_string(epochNow()) + R"(,"exp":)" + std::to_string(epochNow() + 300) +
               R"(,"signed_headers":[{"digest":")" + call.digest + R"("}]})");
    check("content-type not signed", call, 400,
          "signed_headers must include digest and content-type");
  }
  {
    ModiCall call = validCall(sim);
    call.voucher.clear();
    check("no voucher", call, 401, "voucher missing");
  }
  {
    ModiCall call = validCall(sim);
    char& c = call.voucher[call.voucher.size() - 10];  // inside the signature
    c = c == 'A' ? 'B' : 'A';
    auto reply = send(sim, call);
    CHECK(reply.status == 401);
    CHECK(reply.reason.starts_with("voucher: "));
  }
  {
    ModiCall call = validCall(sim);
    auto foreign = anpr::makeTrackingEvidence(signer(kOtherKey), c020Audience(sim), "purpose-c020",
                                              {"u", "l", "SpidL2"}, epochNow());
    REQUIRE(foreign.ok());
    call.evidence = foreign->jws;
    check("TrackingEvidence by another key", call, 400, "TrackingEvidence: signature");
  }
  // Claims the adapter never writes wrong, each broken alone in a token signed by the right
  // key: the simulator must see every one of them.
  // exp is always an hour from now, so that only the broken claim can refuse.
  const auto claims = [&](const std::string& aud, std::int64_t iat, const std::string& extra) {
    return std::string(R"({"iss":"client-bari","sub":"client-bari","aud":")") + aud +
           R"(","jti":")" + core::newUuid() + R"(","iat":)" + std::to_string(iat) + R"(,"exp":)" +
           std::to_string(epochNow() + 3600) + extra + "}";
  };
  const auto signedHeaders = [](const ModiCall& call) {
    return R"(,"signed_headers":[{"digest":")" + call.digest +
           R"("},{"content-type":"application/json"}])";
  };
  {
    ModiCall call = validCall(sim);
    call.signature = rawJwt(claims(c020Audience(sim), epochNow() + 60, signedHeaders(call)));
    check("signature iat 1 minute ahead", call, 400, "Agid-JWT-Signature: iat in the future");
  }
  {
    ModiCall call = validCall(sim);
    call.signature = rawJwt(claims(c020Audience(sim), epochNow(),
                                   signedHeaders(call) + ",\"nbf\":" + std::to_string(epochNow())));
    check("signature with nbf", call, 400, "Agid-JWT-Signature: nbf is not allowed");
  }
  {
    ModiCall call = validCall(sim);
    call.signature = rawJwt(claims(c020Audience(sim), epochNow(),
                                   R"(,"signed_headers":[{"digest":")" + call.digest +
                                       R"("},{"content-type":)"
                                       R"("application/json"},)"
                                       R"({"X-Extra":"1"}])"));
    check("signed header name not lower case", call, 400,
          "signed_headers: names must be lower case");
  }
  {
    // The TrackingEvidence a voucher is bound to must itself be right: a new voucher is
    // asked for each broken evidence, so the refusal is the evidence's, not the binding's.
    const auto withEvidence = [&](const std::string& evidence) {
      ModiCall call = validCall(sim);
      call.evidence = evidence;
      auto assertion = anpr::makeClientAssertion(signer(), kAssertionAudience, "purpose-c020",
                                                 anpr::auditDigest(evidence), epochNow());
      REQUIRE(assertion.ok());
      call.voucher = accessToken(requestToken(sim, tokenForm(assertion->jws)));
      return call;
    };
    const std::string audit =
        R"(,"purposeId":"purpose-c020","dnonce":1234567890123,"userID":"u","userLocation":"l")";
    check("TrackingEvidence aud with -PDND",
          withEvidence(rawJwt(claims(sim.eserviceBase() + "/C020-servizioAccertamentoResidenza/v1",
                                     epochNow(), audit + R"(,"LoA":"SpidL2")"))),
          400, "TrackingEvidence: aud");
    check("TrackingEvidence without LoA",
          withEvidence(rawJwt(claims(c020Audience(sim), epochNow(), audit))), 400,
          "TrackingEvidence: LoA missing");
    check("TrackingEvidence 6 minutes old",
          withEvidence(
              rawJwt(claims(c020Audience(sim), epochNow() - 360, audit + R"(,"LoA":"SpidL2")"))),
          400, "TrackingEvidence: iat too old");
  }
}
