// OASIS WS-Security 1.0/1.1 header elements: UsernameToken (PasswordText or PasswordDigest),
// Timestamp, and the wsu:Id plumbing signatures rely on. Pure libxml2 and OpenSSL work: safe on
// any thread, no I/O.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libxml/tree.h>

#include "core/common/result.hpp"

namespace egov::adapters::soap {

inline constexpr const char* kWsseNs =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
inline constexpr const char* kWsuNs =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
inline constexpr const char* kPasswordTextType =
    "http://docs.oasis-open.org/wss/2004/01/"
    "oasis-200401-wss-username-token-profile-1.0#PasswordText";
inline constexpr const char* kPasswordDigestType =
    "http://docs.oasis-open.org/wss/2004/01/"
    "oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
inline constexpr const char* kBase64BinaryEncoding =
    "http://docs.oasis-open.org/wss/2004/01/"
    "oasis-200401-wss-soap-message-security-1.0#Base64Binary";
inline constexpr const char* kX509v3ValueType =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";

class SigningCredentials;
class VerificationKey;

enum class PasswordType { text, digest };

struct UsernameTokenConfig {
  std::string username;
  std::string password;  // a secret: never logged, never in an error message
  PasswordType type = PasswordType::text;
};

// The `wssec` settings of a soap endpoint. Read-only once built; shared by every call.
struct WsSecurityConfig {
  std::optional<UsernameTokenConfig> username_token;
  // Lifetime of the wsu:Timestamp; always set when signing (a signature without a timestamp
  // could be replayed for ever).
  std::optional<std::chrono::milliseconds> timestamp_ttl;
  std::shared_ptr<const SigningCredentials> sign;
  std::shared_ptr<const VerificationKey> verify_response;
  // With verify_response: how far in the future a reply's wsu:Timestamp Created may lie (the
  // back-end's clock may run ahead of ours).
  std::chrono::milliseconds response_clock_skew{60'000};
};

// Base64(SHA-1(nonce + created + password)), the UsernameToken profile's PasswordDigest.
// `nonce` is the raw bytes (not their base64).
std::string passwordDigest(std::string_view nonce, std::string_view created,
                           std::string_view password);

// xs:dateTime in UTC with milliseconds, e.g. "2024-07-31T10:15:00.250Z".
std::string xsDateTime(std::chrono::system_clock::time_point when);

std::string base64Encode(std::string_view bytes);

// The wsu:Timestamp child of a received wsse:Security block, or null when it has none.
// Errors (backend_invalid): more than one (WS-Security allows one per block).
core::Result<xmlNode*> findTimestamp(xmlNode& security);

// Checks a received wsu:Timestamp against `now`: Expires, when present, must not have passed;
// Created, when present, must not lie more than `skew` ahead of `now` nor after Expires; each
// must be a readable xs:dateTime with a zone. Errors: backend_invalid, naming the value.
core::Result<void> checkTimestamp(const xmlNode& timestamp,
                                  std::chrono::system_clock::time_point now,
                                  std::chrono::milliseconds skew);

// What was added to the envelope, for the signature that may follow.
struct SecurityHeader {
  xmlNode* security = nullptr;   // wsse:Security
  xmlNode* timestamp = nullptr;  // wsu:Timestamp, or null
};

// Appends a wsse:Security header block (mustUnderstand, as WS-Security requires of a
// receiver that cannot process it) to `header`, with the Timestamp first and then the
// UsernameToken, as configured. `envelope_ns` is the SOAP namespace of the envelope, whose
// mustUnderstand attribute is used. Errors: ErrorKind::internal (out of memory, no entropy).
core::Result<SecurityHeader> addSecurityHeader(xmlNode& header, const xmlNs& envelope_ns,
                                               bool soap12, const WsSecurityConfig& config,
                                               std::chrono::system_clock::time_point now);

// Gives `element` a wsu:Id attribute with `id` and registers it as an XML ID of its document,
// so that a signature reference "#id" resolves to it.
core::Result<void> setWsuId(xmlNode& element, const char* id);

// Registers every wsu:Id attribute under `root` as an XML ID. Fails (backend_invalid) when a
// value repeats: two elements with one id is how signature-wrapping attacks hide the signed
// element, so such a document is refused rather than resolved either way.
core::Result<void> registerWsuIds(xmlDoc& doc);

}  // namespace egov::adapters::soap
