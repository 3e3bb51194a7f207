// Authentication of a request to the bus: an API key (Authorization: Bearer ...) or a client
// certificate verified by the TLS listener and mapped to a client in bus.yaml.
//
// Verifying a key means PBKDF2 of what was sent, which costs milliseconds: too slow for
// every one of hundreds of thousands of calls a day, and never to be done on an I/O thread.
// So the first verification of a key runs on the worker pool, and a success is remembered
// in a process-wide cache keyed by SHA-256 of the key text; later requests cost one SHA-256
// and a hash-map lookup. The cache holds no secret (a digest cannot be turned back into the
// key) and is checked against the serving generation's key rows on every hit, so a revoked
// key (gone from the store after a reload) stops working even while cached. Requests that
// bring the same uncached key at once wait for the one verification under way.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "core/common/result.hpp"
#include "core/net/beast.hpp"
#include "core/security/credentials.hpp"

namespace egov::core {

class RuntimeServices;

// An authenticated caller. Points into the Credentials of the generation that
// authenticated it: valid while the request holds that generation.
struct Principal {
  std::string name;  // the client (or, for admin keys, the operator)
  KeyKind kind = KeyKind::client;
  std::string method;                   // "api-key" or "certificate"
  std::string key_id;                   // public id of the key; empty for a certificate
  const Scope* client_scope = nullptr;  // bus.yaml `clients.<name>`, when declared
  const Scope* key_scope = nullptr;     // the key's own scopes, when it has some

  // Every scope that applies must allow it; a principal with no scope at all allows nothing.
  bool allowsTenant(std::string_view istat, std::string_view slug) const;
  bool allows(std::string_view istat, std::string_view slug, std::string_view service) const;
  bool allTenants() const;
};

class Authenticator {
 public:
  static constexpr std::size_t kCacheCapacity = 65'536;
  static constexpr int kMaxConcurrentVerifications = 16;

  explicit Authenticator(net::any_io_executor workers) : workers_(std::move(workers)) {}

  // The process-wide instance (created on first use).
  static Authenticator& of(RuntimeServices& runtime);

  // Runs on an I/O thread; PBKDF2 (a cache miss) runs on the worker pool. Errors are
  // `unauthorized` with one detail for every cause (the log names the cause), or
  // `unavailable` when too many first verifications are under way.
  awaitable<Result<Principal>> authenticate(const HttpRequest& request, const PeerCertificate* peer,
                                            const Credentials& credentials);
  // The client a verified certificate is mapped to; `unauthorized` when none (or no peer).
  static Result<Principal> byCertificate(const PeerCertificate* peer,
                                         const Credentials& credentials);

 private:
  struct Cached {
    std::string id;
    std::string hash;  // the stored PBKDF2 it was verified against
  };
  Principal principalOf(const StoredKey& key, const Credentials& credentials) const;
  std::optional<Cached> cached(const std::string& digest);
  void remember(std::string digest, Cached entry);

  net::any_io_executor workers_;
  std::mutex mutex_;
  std::unordered_map<std::string, Cached> cache_;  // by SHA-256 of the key text
  std::set<std::string> in_flight_;  // digests being verified now (one PBKDF2 per key at once)
  std::atomic<int> verifying_{0};
};

// The one detail of every 401: it says nothing of which part was wrong.
inline constexpr const char* kUnauthorizedDetail =
    "missing or invalid credentials (send Authorization: Bearer <API key>)";

}  // namespace egov::core
