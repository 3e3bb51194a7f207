// Compact JWS (RS256) and the hashes ModI needs, on OpenSSL EVP. Pure functions, safe on any
// thread: an EVP_PKEY is only read, and every operation has its own context.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "core/common/result.hpp"

namespace egov::adapters::anpr {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
// Shared read-only by every call of an endpoint (OpenSSL 3 keys are safe to share for signing).
using PrivateKey = std::shared_ptr<EVP_PKEY>;

// Reads a PEM RSA private key of at least 2048 bits (PKCS#1 or PKCS#8, optionally encrypted
// with `password`). Control plane. Errors name the file, never the password.
core::Result<PrivateKey> loadRsaPrivateKey(const std::string& path, const std::string& password);

std::string sha256(std::string_view data);      // the 32 raw bytes
std::string base64(std::string_view bytes);     // RFC 4648 §4, padded
std::string base64Url(std::string_view bytes);  // RFC 4648 §5, unpadded (JWS)
std::string hexLower(std::string_view bytes);   // lower-case hex, no separators

// "<base64url(header)>.<base64url(payload)>.<base64url(RS256 signature)>" with the protected
// header {"alg":"RS256","typ":"JWT","kid":kid}. `payload_json` is the claims object as sent.
core::Result<std::string> signJwt(EVP_PKEY& key, const std::string& kid,
                                  const std::string& payload_json);

// A random decimal number of `digits` digits (no leading zero), from OpenSSL's CSPRNG.
std::string randomDigits(int digits);

}  // namespace egov::adapters::anpr
