// The JWTs of a ModI call to an e-service through PDND, built exactly as the AgID guidelines
// and the PDND manual ask (see ../shared/reference/anpr/README.md):
//   client assertion   (voucher request)  iss=sub=client_id, aud, jti, iat, exp, purposeId,
//                                          digest {alg: SHA256, value: hex of the audit JWS}
//   Agid-JWT-TrackingEvidence (AUDIT_REST_02) iss, sub, aud, iat, exp, jti, purposeId, dnonce,
//                                          userID, userLocation, LoA
//   Agid-JWT-Signature (INTEGRITY_REST_02) iss, sub, aud, iat, exp, jti,
//                                          signed_headers [{digest}, {content-type}]
// iat and exp are integers (seconds since the epoch); no token has `nbf` (PDND rejects it).
// Pure functions: `now` is passed in; jti values are fresh UUIDs.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/anpr/jws.hpp"
#include "core/common/result.hpp"

namespace egov::adapters::anpr {

// Who signs: the PDND client of one tenant.
struct ModiSigner {
  std::string client_id;
  std::string kid;
  PrivateKey key;
};

// The audit claims of AUDIT_REST_02: who asked, from where, how strongly authenticated.
struct AuditClaims {
  std::string user_id;
  std::string user_location;
  std::string loa;
};

struct SignedToken {
  std::string jws;
  std::string jti;
  std::int64_t iat = 0;
  std::int64_t exp = 0;
};

inline constexpr std::chrono::seconds kTokenLifetime{300};
inline constexpr const char* kClientAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

core::Result<SignedToken> makeTrackingEvidence(const ModiSigner& signer,
                                               const std::string& audience,
                                               const std::string& purpose_id,
                                               const AuditClaims& audit, std::int64_t now);

// `audit_digest_hex`: auditDigest() of the TrackingEvidence the voucher will travel with.
core::Result<SignedToken> makeClientAssertion(const ModiSigner& signer,
                                              const std::string& assertion_audience,
                                              const std::string& purpose_id,
                                              const std::string& audit_digest_hex,
                                              std::int64_t now);

// `digest_header` and `content_type` are the header values exactly as sent.
core::Result<SignedToken> makeIntegritySignature(const ModiSigner& signer,
                                                 const std::string& audience,
                                                 const std::string& digest_header,
                                                 const std::string& content_type, std::int64_t now);

// "SHA-256=<base64 of sha256(body)>" (RFC 3230), for the Digest header.
std::string digestHeader(std::string_view body);
// Lower-case hex of sha256(TrackingEvidence JWS), for the voucher's digest claim.
std::string auditDigest(std::string_view tracking_evidence);

// The audience of an ANPR e-service: its URL without "-PDND" in "MinInternoPortaANPR-PDND"
// (and without the operation suffix, which `eservice_url` does not have).
std::string anprAudience(std::string_view eservice_url);

}  // namespace egov::adapters::anpr
