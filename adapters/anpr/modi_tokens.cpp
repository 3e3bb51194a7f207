#include "adapters/anpr/modi_tokens.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/common/ids.hpp"

namespace egov::adapters::anpr {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void member(Writer& writer, const char* key, const std::string& value) {
  writer.Key(key);
  writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

// Opens the claims object with the members every token has, in a fixed order.
SignedToken openClaims(Writer& writer, const ModiSigner& signer, const std::string& audience,
                       std::int64_t now) {
  SignedToken token;
  token.jti = core::newUuid();
  token.iat = now;
  token.exp = now + kTokenLifetime.count();
  writer.StartObject();
  member(writer, "iss", signer.client_id);
  member(writer, "sub", signer.client_id);
  member(writer, "aud", audience);
  member(writer, "jti", token.jti);
  writer.Key("iat");
  writer.Int64(token.iat);
  writer.Key("exp");
  writer.Int64(token.exp);
  return token;
}

core::Result<SignedToken> sign(const ModiSigner& signer, SignedToken token,
                               const rapidjson::StringBuffer& claims) {
  auto jws = signJwt(*signer.key, signer.kid, std::string(claims.GetString(), claims.GetSize()));
  if (!jws) return std::move(jws).error();
  token.jws = std::move(*jws);
  return token;
}

}  // namespace

core::Result<SignedToken> makeTrackingEvidence(const ModiSigner& signer,
                                               const std::string& audience,
                                               const std::string& purpose_id,
                                               const AuditClaims& audit, std::int64_t now) {
  rapidjson::StringBuffer claims;
  Writer writer(claims);
  SignedToken token = openClaims(writer, signer, audience, now);
  member(writer, "purposeId", purpose_id);
  // dnonce: a random 13-digit number, as in the PDND examples.
  writer.Key("dnonce");
  writer.Int64(std::stoll(randomDigits(13)));
  member(writer, "userID", audit.user_id);
  member(writer, "userLocation", audit.user_location);
  member(writer, "LoA", audit.loa);
  writer.EndObject();
  return sign(signer, std::move(token), claims);
}

core::Result<SignedToken> makeClientAssertion(const ModiSigner& signer,
                                              const std::string& assertion_audience,
                                              const std::string& purpose_id,
                                              const std::string& audit_digest_hex,
                                              std::int64_t now) {
  rapidjson::StringBuffer claims;
  Writer writer(claims);
  SignedToken token = openClaims(writer, signer, assertion_audience, now);
  member(writer, "purposeId", purpose_id);
  writer.Key("digest");
  writer.StartObject();
  member(writer, "alg", "SHA256");
  member(writer, "value", audit_digest_hex);
  writer.EndObject();
  writer.EndObject();
  return sign(signer, std::move(token), claims);
}

core::Result<SignedToken> makeIntegritySignature(const ModiSigner& signer,
                                                 const std::string& audience,
                                                 const std::string& digest_header,
                                                 const std::string& content_type,
                                                 std::int64_t now) {
  rapidjson::StringBuffer claims;
  Writer writer(claims);
  SignedToken token = openClaims(writer, signer, audience, now);
  writer.Key("signed_headers");
  writer.StartArray();
  writer.StartObject();
  member(writer, "digest", digest_header);
  writer.EndObject();
  writer.StartObject();
  member(writer, "content-type", content_type);
  writer.EndObject();
  writer.EndArray();
  writer.EndObject();
  return sign(signer, std::move(token), claims);
}

std::string digestHeader(std::string_view body) {
  return "SHA-256=" + base64(sha256(body));
}

std::string auditDigest(std::string_view tracking_evidence) {
  return hexLower(sha256(tracking_evidence));
}

std::string anprAudience(std::string_view eservice_url) {
  std::string audience(eservice_url);
  static constexpr std::string_view kPdndPort = "/MinInternoPortaANPR-PDND/";
  static constexpr std::string_view kPort = "/MinInternoPortaANPR/";
  if (auto at = audience.find(kPdndPort); at != std::string::npos) {
    audience.replace(at, kPdndPort.size(), kPort);
  }
  while (!audience.empty() && audience.back() == '/') audience.pop_back();
  return audience;
}

}  // namespace egov::adapters::anpr
