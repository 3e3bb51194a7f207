// The anpr adapter's parts without a network: config, the ModI tokens (claims, headers,
// signatures checked with OpenSSL against the public key), audit claims, the e-service choice,
// the mapping of PDND's and ANPR's answers to canonical errors, the voucher cache with single
// flight, and the cool-down. The whole adapter against the PDND/ANPR simulator is in
// anpr_sim_test.cpp.
#include <doctest/doctest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <rapidjson/document.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "adapters/anpr/anpr_config.hpp"
#include "adapters/anpr/anpr_endpoint.hpp"
#include "adapters/anpr/anpr_reply.hpp"
#include "adapters/anpr/anpr_shared.hpp"
#include "adapters/anpr/jws.hpp"
#include "adapters/anpr/modi_tokens.hpp"
#include "adapters/anpr/voucher_cache.hpp"
#include "core/json/json_xml.hpp"
#include "tests/support/adapter_runtime.hpp"
#include "tests/support/run_coroutine.hpp"

namespace {

namespace core = egov::core;
namespace net = egov::net;
namespace anpr = egov::adapters::anpr;
namespace http = egov::adapters::http;
using namespace std::chrono_literals;

const std::string kDataDir = std::string(EGOV_SOURCE_DIR) + "/tests/data/anpr/";

std::string base64UrlDecode(std::string text) {
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  std::size_t pad = (4 - text.size() % 4) % 4;
  text.append(pad, '=');
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

struct DecodedJws {
  rapidjson::Document header;
  rapidjson::Document claims;
  bool signature_valid = false;
};

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// Splits a compact JWS, parses its parts, and checks its RS256 signature with the public key.
DecodedJws decode(const std::string& jws, const std::string& public_key_file) {
  const auto first = jws.find('.');
  const auto second = jws.find('.', first + 1);
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  REQUIRE(jws.find('.', second + 1) == std::string::npos);
  DecodedJws decoded;
  decoded.header.Parse(base64UrlDecode(jws.substr(0, first)).c_str());
  decoded.claims.Parse(base64UrlDecode(jws.substr(first + 1, second - first - 1)).c_str());
  REQUIRE(!decoded.header.HasParseError());
  REQUIRE(!decoded.claims.HasParseError());

  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_file(public_key_file.c_str(), "r"));
  REQUIRE(bio);
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(key);
  const std::string input = jws.substr(0, second);
  const std::string signature = base64UrlDecode(jws.substr(second + 1));
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1);
  decoded.signature_valid =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1;
  return decoded;
}

std::set<std::string> memberNames(const rapidjson::Value& object) {
  std::set<std::string> names;
  for (const auto& m : object.GetObject()) names.insert(m.name.GetString());
  return names;
}

anpr::ModiSigner signer(const std::string& key_file = "client-key.pem") {
  auto key = anpr::loadRsaPrivateKey(kDataDir + key_file, "");
  REQUIRE_MESSAGE(key.ok(), key.error().message);
  return anpr::ModiSigner{"client-bari", "kid-bari", *key};
}

void checkHeader(const DecodedJws& jws) {
  CHECK(memberNames(jws.header) == std::set<std::string>{"alg", "typ", "kid"});
  CHECK(std::string(jws.header["alg"].GetString()) == "RS256");
  CHECK(std::string(jws.header["typ"].GetString()) == "JWT");
  CHECK(std::string(jws.header["kid"].GetString()) == "kid-bari");
  CHECK(jws.signature_valid);
}

void checkTimes(const DecodedJws& jws, std::int64_t now) {
  REQUIRE(jws.claims["iat"].IsInt64());  // integers, never strings
  REQUIRE(jws.claims["exp"].IsInt64());
  CHECK(jws.claims["iat"].GetInt64() == now);
  CHECK(jws.claims["exp"].GetInt64() == now + 300);
  CHECK(!jws.claims.HasMember("nbf"));
}

// ---- config ---------------------------------------------------------------------------

struct Runtime : egov::test::AdapterRuntime {
  std::optional<anpr::AnprConfig> parse(const std::string& yaml) {
    return anpr::parseAnprConfig(context(YAML::Load(yaml), kDataDir + "tenant.yaml").settings);
  }
};

const std::string kMinimal =
    "type: anpr\n"
    "environment: test\n"
    "client_id: client-bari\n"
    "kid: kid-bari\n"
    "key_file: client-key.pem\n"
    "eservices:\n"
    "  C020: { purpose_id: purpose-c020 }\n";

}  // namespace

TEST_CASE("anpr config: test and production defaults, audiences without -PDND") {
  Runtime runtime;
  auto config = runtime.parse(kMinimal);
  REQUIRE_MESSAGE(config, runtime.errors.str());
  CHECK(config->token_url == "https://auth.uat.interop.pagopa.it/token.oauth2");
  CHECK(config->assertion_audience == "auth.uat.interop.pagopa.it/client-assertion");
  const auto& c020 = config->eservices.at("C020");
  CHECK(c020.purpose_id == "purpose-c020");
  CHECK(c020.url ==
        "https://modipa-val.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND/"
        "C020-servizioAccertamentoResidenza/v1");
  CHECK(c020.audience ==
        "https://modipa-val.anpr.interno.it/govway/rest/in/MinInternoPortaANPR/"
        "C020-servizioAccertamentoResidenza/v1");
  CHECK(config->signer.key);

  std::string production = kMinimal;
  production.replace(production.find("test"), 4, "production");
  production += "  C030: { purpose_id: purpose-c030 }\n";
  config = runtime.parse(production);
  REQUIRE_MESSAGE(config, runtime.errors.str());
  CHECK(config->token_url == "https://auth.interop.pagopa.it/token.oauth2");
  CHECK(config->assertion_audience == "auth.interop.pagopa.it/client-assertion");
  CHECK(config->eservices.at("C030").audience ==
        "https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR/"
        "C030-servizioAccertamentoIdUnicoNazionale/v1");
}

TEST_CASE("anpr config: bad settings are reported with their line") {
  struct Case {
    const char* what;
    std::string yaml;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"unknown key", kMinimal + "colour: red\n", "colour"},
      {"environment",
       "type: anpr\nenvironment: staging\nclient_id: c\nkid: k\n"
       "key_file: client-key.pem\neservices: { C020: { purpose_id: p } }\n",
       "expected test or production"},
      {"missing client_id",
       "type: anpr\nenvironment: test\nkid: k\nkey_file: client-key.pem\n"
       "eservices: { C020: { purpose_id: p } }\n",
       "client_id"},
      {"inline key password", kMinimal + "key_password: segreto\n", "reference"},
      {"short key",
       "type: anpr\nenvironment: test\nclient_id: c\nkid: k\n"
       "key_file: short-key.pem\neservices: { C020: { purpose_id: p } }\n",
       "shorter than 2048 bits"},
      {"EC key",
       "type: anpr\nenvironment: test\nclient_id: c\nkid: k\n"
       "key_file: ec-key.pem\neservices: { C020: { purpose_id: p } }\n",
       "not an RSA key"},
      {"missing key file",
       "type: anpr\nenvironment: test\nclient_id: c\nkid: k\n"
       "key_file: nowhere.pem\neservices: { C020: { purpose_id: p } }\n",
       "cannot read key file"},
      {"no e-services",
       "type: anpr\nenvironment: test\nclient_id: c\nkid: k\n"
       "key_file: client-key.pem\neservices: {}\n",
       "at least one e-service"},
      {"unknown e-service", kMinimal + "  C999: { purpose_id: p }\n", "give its path"},
      {"not a code", kMinimal + "  residenza: { purpose_id: p }\n", "named by its code"},
      {"missing purpose", kMinimal + "  C030: { path: x }\n", "purpose_id"},
      {"hmac without key", kMinimal + "audit: { pseudonymise: hmac-sha256 }\n",
       "needs pseudonym_key"},
      {"inline pseudonym key",
       kMinimal + "audit: { pseudonymise: hmac-sha256, pseudonym_key: abcdefghijklmnopq }\n",
       "reference"},
      {"client_id with space",
       "type: anpr\nenvironment: test\nclient_id: \"a b\"\nkid: k\n"
       "key_file: client-key.pem\neservices: { C020: { purpose_id: p } }\n",
       "without spaces"},
      {"bad url", kMinimal + "token_url: \"ftp://x/token\"\n", "token_url"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    Runtime runtime;
    CHECK(!runtime.parse(c.yaml));
    const std::string errors = runtime.errors.str();
    CHECK_MESSAGE(errors.find(c.message) != std::string::npos, errors);
    CHECK_MESSAGE(errors.find("tenant.yaml:") != std::string::npos, errors);  // file:line
  }
}

// ---- tokens ---------------------------------------------------------------------------

TEST_CASE("anpr tokens: TrackingEvidence, client assertion and Agid-JWT-Signature claims") {
  const auto s = signer();
  const std::string pub = kDataDir + "client-pub.pem";
  const std::string aud =
      "https://modipa-val.anpr.interno.it/govway/rest/in/MinInternoPortaANPR/"
      "C020-servizioAccertamentoResidenza/v1";
  const std::int64_t now = 1'790'000'000;
  anpr::AuditClaims audit{"RSSMRA80A01A662A", "portale-egov", "SpidL2"};

  auto evidence = anpr::makeTrackingEvidence(s, aud, "purpose-c020", audit, now);
  REQUIRE(evidence.ok());
  auto te = decode(evidence->jws, pub);
  checkHeader(te);
  checkTimes(te, now);
  CHECK(memberNames(te.claims) == std::set<std::string>{"iss", "sub", "aud", "iat", "exp", "jti",
                                                        "purposeId", "dnonce", "userID",
                                                        "userLocation", "LoA"});
  CHECK(std::string(te.claims["iss"].GetString()) == "client-bari");
  CHECK(std::string(te.claims["sub"].GetString()) == "client-bari");
  CHECK(std::string(te.claims["aud"].GetString()) == aud);
  CHECK(std::string(te.claims["purposeId"].GetString()) == "purpose-c020");
  CHECK(std::string(te.claims["userID"].GetString()) == "RSSMRA80A01A662A");
  CHECK(std::string(te.claims["userLocation"].GetString()) == "portale-egov");
  CHECK(std::string(te.claims["LoA"].GetString()) == "SpidL2");
  REQUIRE(te.claims["dnonce"].IsInt64());
  CHECK(std::to_string(te.claims["dnonce"].GetInt64()).size() == 13);
  CHECK(std::string(te.claims["jti"].GetString()) == evidence->jti);

  const std::string digest_hex = anpr::auditDigest(evidence->jws);
  CHECK(digest_hex.size() == 64);
  CHECK(digest_hex == anpr::hexLower(anpr::sha256(evidence->jws)));
  CHECK(digest_hex.find_first_not_of("0123456789abcdef") == std::string::npos);

  auto assertion = anpr::makeClientAssertion(s, "auth.uat.interop.pagopa.it/client-assertion",
                                             "purpose-c020", digest_hex, now);
  REQUIRE(assertion.ok());
  auto ca = decode(assertion->jws, pub);
  checkHeader(ca);
  checkTimes(ca, now);
  CHECK(memberNames(ca.claims) ==
        std::set<std::string>{"iss", "sub", "aud", "iat", "exp", "jti", "purposeId", "digest"});
  CHECK(std::string(ca.claims["iss"].GetString()) == "client-bari");
  CHECK(std::string(ca.claims["sub"].GetString()) == "client-bari");
  CHECK(std::string(ca.claims["aud"].GetString()) == "auth.uat.interop.pagopa.it/client-assertion");
  CHECK(memberNames(ca.claims["digest"]) == std::set<std::string>{"alg", "value"});
  CHECK(std::string(ca.claims["digest"]["alg"].GetString()) == "SHA256");
  CHECK(std::string(ca.claims["digest"]["value"].GetString()) == digest_hex);

  const std::string body = R"({"idOperazioneClient":"1"})";
  const std::string digest = anpr::digestHeader(body);
  auto signature = anpr::makeIntegritySignature(s, aud, digest, "application/json", now);
  REQUIRE(signature.ok());
  auto sig = decode(signature->jws, pub);
  checkHeader(sig);
  checkTimes(sig, now);
  CHECK(memberNames(sig.claims) ==
        std::set<std::string>{"iss", "sub", "aud", "iat", "exp", "jti", "signed_headers"});
  CHECK(std::string(sig.claims["aud"].GetString()) == aud);
  const auto& signed_headers = sig.claims["signed_headers"];
  REQUIRE(signed_headers.IsArray());
  REQUIRE(signed_headers.Size() == 2);
  CHECK(std::string(signed_headers[0]["digest"].GetString()) == digest);
  CHECK(std::string(signed_headers[1]["content-type"].GetString()) == "application/json");

  // Fresh jti each time; a token signed by another key does not verify.
  auto again = anpr::makeIntegritySignature(s, aud, digest, "application/json", now);
  REQUIRE(again.ok());
  CHECK(again->jti != signature->jti);
  auto foreign =
      anpr::makeIntegritySignature(signer("other-key.pem"), aud, digest, "application/json", now);
  REQUIRE(foreign.ok());
  CHECK(!decode(foreign->jws, pub).signature_valid);
}

TEST_CASE("anpr tokens: Digest is base64 SHA-256 of the exact body; hex and base64url") {
  // sha256("{}") = 44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a
  CHECK(anpr::digestHeader("{}") == "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=");
  CHECK(anpr::hexLower(anpr::sha256("{}")) ==
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  CHECK(anpr::digestHeader("{} ") != anpr::digestHeader("{}"));
  CHECK(anpr::base64Url("\xfb\xff\xfe") == "-__-");
  CHECK(anpr::base64("\xfb\xff") == "+/8=");
  CHECK(anpr::anprAudience("https://h/govway/rest/in/MinInternoPortaANPR-PDND/C021-x/v1/") ==
        "https://h/govway/rest/in/MinInternoPortaANPR/C021-x/v1");
}

// ---- audit claims and e-service choice --------------------------------------------------

TEST_CASE("anpr audit: userID from the identity, pseudonymised; channel; LoA from SPID level") {
  anpr::AuditConfig config;
  core::Identity citizen{"portale", "RSSMRA80A01A662A", 2, {}, {}};
  auto audit = anpr::auditClaims(config, citizen);
  REQUIRE(audit.ok());
  CHECK(audit->user_id == "RSSMRA80A01A662A");
  CHECK(audit->user_location == "portale");
  CHECK(audit->loa == "SpidL2");

  core::Identity anonymous;
  audit = anpr::auditClaims(config, anonymous);
  REQUIRE(audit.ok());
  CHECK(audit->user_id == "anonymous");
  CHECK(audit->user_location == "egovbus");
  CHECK(audit->loa == "unknown");

  config.user_location = "sportello-anagrafe";
  config.default_loa = "LoA-none";
  config.pseudonymise = anpr::Pseudonym::hmac_sha256;
  config.pseudonym_key = "0123456789abcdef-key";
  audit = anpr::auditClaims(config, core::Identity{"portale", "RSSMRA80A01A662A", 0, {}, {}});
  REQUIRE(audit.ok());
  // python3: hmac.new(b'0123456789abcdef-key', b'RSSMRA80A01A662A', hashlib.sha256).hexdigest()
  CHECK(audit->user_id == "87ccba959a8090ed90cf3c215f99094891c8e5d82db995c7540ed1c04bf98d98");
  CHECK(audit->user_location == "sportello-anagrafe");
  CHECK(audit->loa == "LoA-none");
}

TEST_CASE("anpr call: datiRichiesta.casoUso picks the e-service; others are mapping errors") {
  Runtime runtime;
  auto config = runtime.parse(kMinimal);
  REQUIRE(config);
  auto body = core::jsonToXml(
      R"({"idOperazioneClient":"1","criteriRicerca":{"codiceFiscale":"RSSMRA80A01A662A"},)"
      R"("datiRichiesta":{"dataRiferimentoRichiesta":"2026-01-01","motivoRichiesta":"x","casoUso":"C020"}})");
  REQUIRE(body.ok());
  auto chosen = anpr::chooseEservice(*config, **body);
  REQUIRE(chosen.ok());
  CHECK((*chosen)->code == "C020");

  auto other = core::jsonToXml(R"({"datiRichiesta":{"casoUso":"C021"}})");
  auto refused = anpr::chooseEservice(*config, **other);
  REQUIRE(!refused.ok());
  CHECK(refused.error().kind == core::ErrorKind::mapping_failed);
  CHECK(refused.error().message.find("configured: C020") != std::string::npos);

  auto none = core::jsonToXml(R"({"codice_fiscale":"RSSMRA80A01A662A"})");
  auto missing = anpr::chooseEservice(*config, **none);
  REQUIRE(!missing.ok());
  CHECK(missing.error().message.find("not a RichiestaE002") != std::string::npos);
}

// ---- answers -> canonical errors ------------------------------------------------------

TEST_CASE("anpr replies: listaErrori, problem+json and 429 become canonical errors") {
  const auto read = [](long status, std::string body, std::string retry_after = "") {
    http::HttpReply reply{status, "application/problem+json", std::move(body),
                          std::move(retry_after)};
    return anpr::readEserviceReply(reply, 1 << 20, 60s, "bari/anpr: ANPR C020");
  };
  const std::string ko =
      R"({"idOperazioneANPR":"1","listaErrori":[{"codiceErroreAnomalia":"EN122",)"
      R"("tipoErroreAnomalia":"E","testoErroreAnomalia":"Soggetto RSSMRA80A01A662A non presente"}]})";

  auto not_found = read(404, ko);
  REQUIRE(!not_found.ok());
  CHECK(not_found.error().kind == core::ErrorKind::not_found);
  CHECK(not_found.error().backend_status == 404);
  CHECK(not_found.error().message.find("EN122 Soggetto RSS************A non presente") !=
        std::string::npos);
  CHECK(not_found.error().message.find("RSSMRA80A01A662A") == std::string::npos);

  auto rejected = read(400, ko);
  REQUIRE(!rejected.ok());
  CHECK(rejected.error().kind == core::ErrorKind::backend_rejected);

  auto gateway = read(400, R"({"type":"https://govway.org/handling-errors/400/)"
                           R"(InteroperabilityInvalidRequest.html","title":)"
                           R"("InteroperabilityInvalidRequest","status":400,"detail":"x"})");
  REQUIRE(!gateway.ok());
  CHECK(gateway.error().kind == core::ErrorKind::backend_rejected);
  CHECK(gateway.error().message.find("InteroperabilityInvalidRequest") != std::string::npos);

  // A gateway 404 (wrong URL) is not "subject not found".
  auto wrong_url = read(404, R"({"title":"UnknownResource","status":404})");
  REQUIRE(!wrong_url.ok());
  CHECK(wrong_url.error().kind == core::ErrorKind::backend_rejected);

  auto limited = read(429, R"({"title":"LimitExceeded","status":429})", "120");
  REQUIRE(!limited.ok());
  CHECK(limited.error().kind == core::ErrorKind::rate_limited);
  CHECK(limited.error().retry_after_s == 120);
  auto limited_default = read(429, "");
  CHECK(limited_default.error().retry_after_s == 60);

  auto replay = read(409, R"({"title":"Conflict","status":409})");
  CHECK(replay.error().kind == core::ErrorKind::backend_rejected);
  auto down = read(503, "<html>");
  CHECK(down.error().kind == core::ErrorKind::backend_unavailable);
  auto garbage = read(200, "{\"listaSoggetti\":");
  CHECK(garbage.error().kind == core::ErrorKind::backend_invalid);
  auto array = read(200, "[]");
  CHECK(array.error().kind == core::ErrorKind::backend_invalid);
  auto ok = read(200, R"({"idOperazioneANPR":"9","listaSoggetti":{"datiSoggetto":[]}})");
  CHECK(ok.ok());

  CHECK(anpr::retryAfterSeconds(" 30 ", 0) == 30);
  CHECK(anpr::retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT", 1445412420) == 60);
  CHECK(!anpr::retryAfterSeconds("soon", 0));
  CHECK(!anpr::retryAfterSeconds("", 0));
}

TEST_CASE("anpr replies: the PDND token endpoint's answers") {
  const auto now = core::Clock::now();
  anpr::TokenReplyContext context{now, 30s, now + 1h, 60s, "bari/anpr"};
  const auto read = [&](long status, std::string body, std::string retry_after = "") {
    http::HttpReply reply{status, "application/json", std::move(body), std::move(retry_after)};
    return anpr::readTokenReply(reply, context);
  };
  auto voucher = read(200, R"({"access_token":"eyJ.a.b","token_type":"Bearer","expires_in":600})");
  REQUIRE(voucher.ok());
  CHECK(voucher->access_token == "eyJ.a.b");
  CHECK(voucher->refresh_at == now + 570s);

  // Never kept past the TrackingEvidence it is bound to.
  context.latest_refresh = now + 100s;
  voucher = read(200, R"({"access_token":"eyJ.a.b","token_type":"Bearer","expires_in":600})");
  REQUIRE(voucher.ok());
  CHECK(voucher->refresh_at == now + 100s);

  for (const char* bad : {R"({"token_type":"Bearer","expires_in":600})",
                          R"({"access_token":"t","token_type":"MAC","expires_in":600})",
                          R"({"access_token":"t","token_type":"Bearer","expires_in":"600"})",
                          R"({"access_token":"t","token_type":"Bearer"})", "not json"}) {
    CAPTURE(bad);
    auto invalid = read(200, bad);
    REQUIRE(!invalid.ok());
    CHECK(invalid.error().kind == core::ErrorKind::backend_invalid);
  }

  auto refused = read(400, R"({"correlationId":"c","errors":[{"code":"015-0008","detail":)"
                           R"("Unable to generate a token for the given request"}],"status":400,)"
                           R"("title":"The request contains bad syntax or cannot be fulfilled.",)"
                           R"("type":"about:blank"})");
  REQUIRE(!refused.ok());
  CHECK(refused.error().kind == core::ErrorKind::backend_rejected);
  CHECK(refused.error().message.find("015-0008 Unable to generate a token") != std::string::npos);
  CHECK(refused.error().message.find("PDND token endpoint refused") != std::string::npos);

  auto limited = read(429, "", "7");
  CHECK(limited.error().kind == core::ErrorKind::rate_limited);
  CHECK(limited.error().retry_after_s == 7);
  CHECK(read(502, "").error().kind == core::ErrorKind::backend_unavailable);
}

// ---- voucher cache --------------------------------------------------------------------

TEST_CASE("anpr voucher cache: concurrent callers share one token request") {
  anpr::VoucherCache cache;
  net::io_context io;
  net::steady_timer gate(io, 1h);  // holds the fetch until every caller has joined
  int fetched = 0;
  anpr::VoucherCache::Fetch fetch = [&]() -> egov::awaitable<core::Result<anpr::Voucher>> {
    ++fetched;
    boost::system::error_code ignored;
    co_await gate.async_wait(net::redirect_error(net::use_awaitable, ignored));
    co_return anpr::Voucher{"voucher-" + std::to_string(fetched), core::Clock::now() + 1h};
  };
  std::vector<std::string> got;
  for (int i = 0; i < 8; ++i) {
    net::co_spawn(
        io,
        [&]() -> egov::awaitable<void> {
          auto voucher = co_await cache.get("bari|purpose|digest", fetch);
          got.push_back(voucher ? voucher->access_token : voucher.error().message);
        },
        net::detached);
  }
  // Spawned last: by the time it runs, all eight have asked and the first is fetching.
  net::co_spawn(
      io,
      [&]() -> egov::awaitable<void> {
        co_await net::post(io, net::use_awaitable);
        gate.cancel();
      },
      net::detached);
  io.run();
  CHECK(fetched == 1);
  CHECK(cache.fetches() == 1);
  CHECK(got == std::vector<std::string>(8, "voucher-1"));

  // Cached now: no new request; another key asks again.
  io.restart();
  gate.expires_after(0s);
  auto cached = egov::test::runCoroutine(io, cache.get("bari|purpose|digest", fetch));
  REQUIRE(cached.ok());
  CHECK(cached->access_token == "voucher-1");
  CHECK(fetched == 1);
  auto other = egov::test::runCoroutine(io, cache.get("bari|purpose|other-digest", fetch));
  REQUIRE(other.ok());
  CHECK(other->access_token == "voucher-2");
  CHECK(cache.fetches() == 2);

  // Invalidated: asked again.
  cache.invalidate("bari|purpose|digest");
  auto renewed = egov::test::runCoroutine(io, cache.get("bari|purpose|digest", fetch));
  REQUIRE(renewed.ok());
  CHECK(renewed->access_token == "voucher-3");
}

TEST_CASE("anpr voucher cache: errors reach every waiter and are not cached; stale not reused") {
  anpr::VoucherCache cache;
  net::io_context io;
  int fetched = 0;
  anpr::VoucherCache::Fetch failing = [&]() -> egov::awaitable<core::Result<anpr::Voucher>> {
    ++fetched;
    co_await net::post(io, net::use_awaitable);
    co_return core::makeError(core::ErrorKind::backend_rejected, "015-0008");
  };
  int errors = 0;
  for (int i = 0; i < 3; ++i) {
    net::co_spawn(
        io,
        [&]() -> egov::awaitable<void> {
          auto voucher = co_await cache.get("k", failing);
          if (!voucher && voucher.error().kind == core::ErrorKind::backend_rejected) ++errors;
        },
        net::detached);
  }
  io.run();
  CHECK(fetched == 1);
  CHECK(errors == 3);
  io.restart();
  auto again = egov::test::runCoroutine(io, cache.get("k", failing));
  CHECK(!again.ok());
  CHECK(fetched == 2);

  // A voucher already due for refresh is handed to its caller but not kept.
  anpr::VoucherCache::Fetch stale = [&]() -> egov::awaitable<core::Result<anpr::Voucher>> {
    ++fetched;
    co_return anpr::Voucher{"stale", core::Clock::now() - 1s};
  };
  io.restart();
  CHECK(egov::test::runCoroutine(io, cache.get("s", stale)).ok());
  io.restart();
  CHECK(egov::test::runCoroutine(io, cache.get("s", stale)).ok());
  CHECK(fetched == 4);
  CHECK(cache.size() == 0);
}

TEST_CASE("anpr shared state: evidence reused per user, cool-down counts down") {
  anpr::EvidenceCache evidence;
  anpr::Evidence first{{"jws-1", "jti-1", 1, 2}, "d1", core::Clock::now() + 1h};
  anpr::Evidence second{{"jws-2", "jti-2", 1, 2}, "d2", core::Clock::now() + 1h};
  CHECK(!evidence.find("user"));
  CHECK(evidence.offer("user", first).token.jws == "jws-1");
  // A concurrent call that signed its own gets the one already stored.
  CHECK(evidence.offer("user", second).token.jws == "jws-1");
  CHECK(evidence.find("user")->digest_hex == "d1");
  anpr::Evidence old{{"jws-0", "jti-0", 1, 2}, "d0", core::Clock::now() - 1s};
  CHECK(evidence.offer("other", old).token.jws == "jws-0");
  CHECK(!evidence.find("other"));

  anpr::Cooldowns cooldowns;
  CHECK(!cooldowns.remaining("bari|C020"));
  cooldowns.start("bari|C020", core::Clock::now() + 120s);
  auto left = cooldowns.remaining("bari|C020");
  REQUIRE(left);
  CHECK(*left >= 1);
  CHECK(*left <= 120);
  cooldowns.start("bari|C020", core::Clock::now() + 10s);  // never shortened
  CHECK(*cooldowns.remaining("bari|C020") > 10);
  CHECK(!cooldowns.remaining("bari|C021"));
}
