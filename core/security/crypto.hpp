// The few cryptographic operations the security module needs, each a thin wrapper over
// OpenSSL (EVP, HMAC, PKCS5_PBKDF2_HMAC, RAND_bytes, CRYPTO_memcmp). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace egov::core {

std::string toHex(std::string_view bytes);
// Bytes from lower- or upper-case hex; empty when malformed.
std::string fromHex(std::string_view hex);

// `count` bytes from OpenSSL's CSPRNG; throws when it fails (control plane only).
std::string randomBytes(std::size_t count);

std::string sha256(std::string_view data);                            // 32 raw bytes
std::string hmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes
// An HMAC-SHA256 key set up once, for a key used on every request (the audit trail's
// pseudonyms): OpenSSL 3's one-shot HMAC() fetches the algorithm and sets the key up on each
// call (19k instructions a call in callgrind of the B1 route); digest() copies the prepared
// context (EVP_MAC_CTX_dup) instead. Thread-safe. Same bytes as hmacSha256(key, data).
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);  // throws when OpenSSL cannot set it up
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  std::string digest(std::string_view data) const;  // 32 raw bytes

 private:
  evp_mac_ctx_st* ctx_ = nullptr;
  mutable std::mutex mutex_;  // around EVP_MAC_CTX_dup of ctx_
};

// PBKDF2-HMAC-SHA256, 32 raw bytes.
std::string pbkdf2Sha256(std::string_view secret, std::string_view salt, int iterations);

// Compares in time that depends only on the length (CRYPTO_memcmp).
bool constantTimeEqual(std::string_view a, std::string_view b);

}  // namespace egov::core
