// The few cryptographic operations the security module needs, each a thin wrapper over
// OpenSSL (EVP, HMAC, PKCS5_PBKDF2_HMAC, RAND_bytes, CRYPTO_memcmp). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace egov::core {

std::string toHex(std::string_view bytes);
// Bytes from lower- or upper-case hex; empty when malformed.
std::string fromHex(std::string_view hex);

// `count` bytes from OpenSSL's CSPRNG; throws when it fails (control plane only).
std::string randomBytes(std::size_t count);

std::string sha256(std::string_view data);                            // 32 raw bytes
std::string hmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes
// PBKDF2-HMAC-SHA256, 32 raw bytes.
std::string pbkdf2Sha256(std::string_view secret, std::string_view salt, int iterations);

// Compares in time that depends only on the length (CRYPTO_memcmp).
bool constantTimeEqual(std::string_view a, std::string_view b);

}  // namespace egov::core
