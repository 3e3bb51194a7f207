// Verification of a SPID SAML Response, per the SPID technical rules (AgID), with xmlsec1:
//  - the document is parsed bounded, with no DTD (a DOCTYPE is refused), and every ID
//    attribute must be unique;
//  - it is a samlp:Response with Status Success and exactly one saml:Assertion in the whole
//    document, a direct child of the Response (no EncryptedAssertion);
//  - the Assertion's ds:Signature is mandatory, the Response's optional (verified when
//    present); each has one Reference whose URI is "#" + the ID of its parent, only the
//    enveloped-signature and exclusive c14n transforms, exclusive c14n, RSA with SHA-2; it is
//    verified only with the keys of the issuing IdP's configured metadata, never with KeyInfo;
//  - the Reference is resolved by ID to the element xmlsec digested, which must be that
//    Assertion, and every value is then read from that verified element;
//  - Issuer (the IdP, and the Response's Issuer when given), Audience (the SP entityID),
//    Recipient and Destination (the ACS URL), InResponseTo (when the request ID is given),
//    NotBefore / NotOnOrAfter with the configured clock skew, and AuthnContextClassRef
//    SpidL1, SpidL2 or SpidL3;
//  - the identity is the fiscalNumber attribute without "TINIT-" (a valid Italian fiscal
//    code), the `name` and `familyName` attributes, and the SPID level.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/spid/idp_metadata.hpp"
#include "core/engine/spid_verifier.hpp"

namespace egov::adapters::spid {

struct SamlSettings {
  std::string sp_entity_id;                      // the portal's SPID entityID (Audience)
  std::string acs_url;                           // its AssertionConsumerService (Recipient)
  std::chrono::milliseconds clock_skew{30'000};  // tolerance on every time condition
};

// Largest Response accepted, as XML (its base64 form may be a third longer).
inline constexpr std::size_t kMaxResponseBytes = 256 * 1024;

class SamlVerifier {
 public:
  SamlVerifier(SamlSettings settings, std::shared_ptr<const IdentityProviders> providers)
      : settings_(std::move(settings)), providers_(std::move(providers)) {}

  // `response` is the SAMLResponse as the portal received it: base64 (HTTP-POST binding) or
  // the XML itself. Thread-safe. Errors: ErrorKind::unauthorized with the reason.
  core::Result<core::SpidLogin> verify(std::string_view response, std::string_view request_id,
                                       core::SystemTime now) const;

  const SamlSettings& settings() const { return settings_; }

 private:
  SamlSettings settings_;
  std::shared_ptr<const IdentityProviders> providers_;
};

}  // namespace egov::adapters::spid
