#include "adapters/anpr/anpr_endpoint.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <optional>
#include <utility>

#include "adapters/anpr/anpr_reply.hpp"
#include "adapters/http/http_endpoint.hpp"
#include "core/json/json_xml.hpp"
#include "core/net/run_on.hpp"

namespace egov::adapters::anpr {
namespace {

using core::ErrorKind;

constexpr const char* kJson = "application/json";

std::int64_t epochSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool isElement(const xmlNode* node, const char* name, const char* key) {
  if (!node || node->type != XML_ELEMENT_NODE || !node->ns || !node->ns->href) return false;
  if (std::string_view(reinterpret_cast<const char*>(node->ns->href)) != core::kXpathFunctionsNs)
    return false;
  if (std::string_view(reinterpret_cast<const char*>(node->name)) != name) return false;
  return !key || core::xmlAttr(node, "key") == key;
}

const xmlNode* member(const xmlNode* map, const char* name, const char* key) {
  for (const xmlNode* child = map ? map->children : nullptr; child; child = child->next) {
    if (isElement(child, name, key)) return child;
  }
  return nullptr;
}

struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};

std::string formEscape(const std::string& text) {
  std::unique_ptr<char, CurlStringDeleter> escaped(
      curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size())));
  if (!escaped) throw std::bad_alloc();
  return escaped.get();
}

std::string joinKey(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (auto part : parts) {
    key += part;
    key += '\x1f';  // unit separator: cannot occur in any part (all are checked tokens or ids)
  }
  return key;
}

}  // namespace

struct AnprEndpoint::Prepared {
  Evidence evidence;
  std::string digest;     // Digest header value
  std::string signature;  // Agid-JWT-Signature
};

core::Result<AuditClaims> auditClaims(const AuditConfig& config, const core::Identity& identity) {
  AuditClaims audit;
  std::string user = !identity.citizen_fiscal_code.empty() ? identity.citizen_fiscal_code
                     : !identity.client.empty()            ? identity.client
                                                           : std::string("anonymous");
  if (config.pseudonymise == Pseudonym::hmac_sha256) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t size = 0;
    if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, config.pseudonym_key.data(),
                   config.pseudonym_key.size(), reinterpret_cast<const unsigned char*>(user.data()),
                   user.size(), mac, sizeof mac, &size)) {
      return core::makeError(ErrorKind::internal, "HMAC-SHA256 of the audit user failed");
    }
    user = hexLower(std::string_view(reinterpret_cast<const char*>(mac), size));
  }
  audit.user_id = std::move(user);
  audit.user_location = !config.user_location.empty() ? config.user_location
                        : !identity.client.empty()    ? identity.client
                                                      : std::string("egovbus");
  audit.loa = identity.spid_level >= 1 && identity.spid_level <= 3
                  ? "SpidL" + std::to_string(identity.spid_level)
                  : config.default_loa;
  return audit;
}

core::Result<const EserviceConfig*> chooseEservice(const AnprConfig& config, const xmlDoc& body) {
  const xmlNode* root = xmlDocGetRootElement(const_cast<xmlDoc*>(&body));
  const xmlNode* dati =
      isElement(root, "map", nullptr) ? member(root, "map", "datiRichiesta") : nullptr;
  const xmlNode* caso = member(dati, "string", "casoUso");
  if (!caso) {
    return core::makeError(ErrorKind::mapping_failed,
                           "the body is not a RichiestaE002: datiRichiesta.casoUso is missing");
  }
  const std::string code = core::xmlText(caso);
  auto it = config.eservices.find(code);
  if (it == config.eservices.end()) {
    std::string known;
    for (const auto& [name, _] : config.eservices) known += (known.empty() ? "" : ", ") + name;
    return core::makeError(ErrorKind::mapping_failed,
                           "casoUso " + code.substr(0, 16) +
                               " is not an e-service of this endpoint (configured: " + known + ")");
  }
  return &it->second;
}

AnprEndpoint::AnprEndpoint(std::string name, AnprConfig config,
                           std::shared_ptr<http::CurlMultiLoop> loop,
                           std::shared_ptr<AnprShared> shared, net::any_io_executor workers)
    : core::Endpoint(std::move(name), "anpr"),
      config_(std::move(config)),
      loop_(std::move(loop)),
      shared_(std::move(shared)),
      workers_(std::move(workers)) {}

std::string AnprEndpoint::tenant() const {
  return name().substr(0, name().find('/'));
}

core::Result<AnprEndpoint::Prepared> AnprEndpoint::prepare(const EserviceConfig& eservice,
                                                           const AuditClaims& audit,
                                                           const std::string& body) const {
  Prepared prepared;
  const std::int64_t now = epochSeconds();
  const std::string evidence_key = joinKey({tenant(), config_.signer.client_id, eservice.code,
                                            audit.user_id, audit.user_location, audit.loa});
  if (auto reused = shared_->evidence.find(evidence_key)) {
    prepared.evidence = std::move(*reused);
  } else {
    auto token =
        makeTrackingEvidence(config_.signer, eservice.audience, eservice.purpose_id, audit, now);
    if (!token) return std::move(token).error();
    Evidence fresh;
    fresh.digest_hex = auditDigest(token->jws);
    fresh.token = std::move(*token);
    fresh.reuse_until = core::Clock::now() + kEvidenceReuse;
    prepared.evidence = shared_->evidence.offer(evidence_key, std::move(fresh));
  }
  prepared.digest = digestHeader(body);
  auto signature =
      makeIntegritySignature(config_.signer, eservice.audience, prepared.digest, kJson, now);
  if (!signature) return std::move(signature).error();
  prepared.signature = std::move(signature->jws);
  return prepared;
}

awaitable<core::Result<Voucher>> AnprEndpoint::fetchVoucher(
    const EserviceConfig& eservice, const Evidence& evidence,
    core::Clock::time_point deadline) const {
  // PDND's 429 limits the client, whatever the purpose: until its Retry-After has passed no
  // voucher of this client is asked for (a cached one is still used).
  const std::string token_key = joinKey({tenant(), config_.token_url, config_.signer.client_id});
  if (auto left = shared_->cooldowns.remaining(token_key)) {
    const std::string message = name() +
                                ": PDND token endpoint asked to slow down (429); not asked again "
                                "for " +
                                std::to_string(*left) + " s";
    core::Error error = core::makeError(ErrorKind::rate_limited, message);
    error.retry_after_s = *left;
    co_return error;
  }
  auto sign = [&] {
    return makeClientAssertion(config_.signer, config_.assertion_audience, eservice.purpose_id,
                               evidence.digest_hex, epochSeconds());
  };
  auto assertion = co_await core::runOn(workers_, sign);
  if (!assertion) co_return std::move(assertion).error();

  http::HttpRequestSpec spec;
  spec.method = "POST";
  spec.url = config_.token_url;
  spec.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  spec.body = "client_id=" + formEscape(config_.signer.client_id) +
              "&client_assertion=" + formEscape(assertion->jws) +
              "&client_assertion_type=" + formEscape(kClientAssertionType) +
              "&grant_type=client_credentials";
  spec.max_response_bytes = 64 * 1024;
  spec.tls = config_.tls;
  auto reply =
      co_await http::performWithin(*loop_, std::move(spec), deadline, config_.timeout,
                                   config_.connect_timeout, name() + ": PDND token endpoint");
  if (!reply) co_return std::move(reply).error();
  TokenReplyContext context{core::Clock::now(), config_.voucher_margin, evidence.reuse_until,
                            config_.cooldown, name()};
  auto voucher = readTokenReply(*reply, context);
  if (!voucher && voucher.error().kind == ErrorKind::rate_limited) {
    shared_->cooldowns.start(
        token_key, core::Clock::now() + std::chrono::seconds(voucher.error().retry_after_s));
  }
  co_return voucher;
}

awaitable<core::Result<core::XmlDocPtr>> AnprEndpoint::call(const core::CallRequest& request) {
  if (request.deadline <= core::Clock::now()) {
    co_return core::makeError(ErrorKind::deadline_exceeded,
                              name() + ": deadline passed before the call");
  }
  auto chosen = chooseEservice(config_, request.body);
  if (!chosen) {
    core::Error error = std::move(chosen).error();
    error.message = name() + ": " + error.message;
    co_return error;
  }
  const EserviceConfig& eservice = **chosen;
  const std::string label = name() + ": ANPR " + eservice.code;

  const std::string cooldown_key = joinKey({tenant(), config_.signer.client_id, eservice.code});
  if (auto left = shared_->cooldowns.remaining(cooldown_key)) {
    core::Error error = core::makeError(
        ErrorKind::rate_limited, label + ": ANPR asked to slow down (429); not called again for " +
                                     std::to_string(*left) + " s");
    error.retry_after_s = *left;
    co_return error;
  }

  auto json = core::xmlToJson(request.body);
  if (!json) co_return std::move(json).error();
  const std::string body = std::move(json).value();
  auto audit = auditClaims(config_.audit, request.exchange.identity);
  if (!audit) co_return std::move(audit).error();

  auto work = [&] { return prepare(eservice, *audit, body); };
  auto prepared = co_await core::runOn(workers_, work);
  if (!prepared) co_return std::move(prepared).error();

  const std::string voucher_key = joinKey({tenant(), config_.token_url, config_.signer.client_id,
                                           eservice.purpose_id, prepared->evidence.digest_hex});
  const Evidence& evidence = prepared->evidence;
  const core::Clock::time_point deadline = request.deadline;
  VoucherCache::Fetch fetch = [this, &eservice, &evidence, deadline] {
    return fetchVoucher(eservice, evidence, deadline);
  };
  auto voucher = co_await shared_->vouchers.get(voucher_key, fetch);
  if (!voucher) co_return std::move(voucher).error();

  http::HttpRequestSpec spec;
  spec.method = "POST";
  spec.url = eservice.url + kOperationPath;
  spec.headers = {
      std::string("Content-Type: ") + kJson,
      std::string("Accept: ") + kJson + ", application/problem+json",
      "Digest: " + prepared->digest,
      "Agid-JWT-Signature: " + prepared->signature,
      "Agid-JWT-TrackingEvidence: " + evidence.token.jws,
      "Authorization: Bearer " + voucher->access_token,
  };
  spec.body = body;
  spec.max_response_bytes = config_.max_response_bytes;
  spec.tls = config_.tls;
  auto reply = co_await http::performWithin(*loop_, std::move(spec), request.deadline,
                                            config_.timeout, config_.connect_timeout, label);
  if (!reply) co_return std::move(reply).error();
  // A voucher the e-service refuses is not offered again; the next call asks for a new one.
  if (reply->status == 401 || reply->status == 403) shared_->vouchers.invalidate(voucher_key);
  auto result = readEserviceReply(*reply, config_.max_response_bytes, config_.cooldown, label);
  if (!result && result.error().kind == ErrorKind::rate_limited) {
    shared_->cooldowns.start(
        cooldown_key, core::Clock::now() + std::chrono::seconds(result.error().retry_after_s));
  }
  co_return result;
}

}  // namespace egov::adapters::anpr
