// Who may call the bus, as one config generation sees it: the clients bus.yaml declares
// (`clients:` — scopes and the certificates that identify them) and the active keys of the
// key store, read when the generation is built (so a reload picks up new and revoked keys).
// Immutable once built; shared read-only by all threads through the generation.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config/bus_config.hpp"
#include "core/engine/endpoint_guard.hpp"
#include "core/security/key_store.hpp"

namespace egov::core {

class Generation;
class RuntimeServices;

// A client certificate as the TLS handshake verified it (against listen.tls.client_ca).
struct PeerCertificate {
  std::string subject;      // RFC 2253, e.g. "CN=portale,O=Citta Metropolitana di Bari,C=IT"
  std::string fingerprint;  // SHA-256 of the DER certificate, lower-case hex without colons
};

struct ClientConfig {
  std::string name;
  Scope scope;
  std::vector<std::string> subjects;      // certificate subjects that identify this client
  std::vector<std::string> fingerprints;  // or certificate fingerprints (normalised hex)
  GuardSettings rate_limit;               // `rate_limit:`; rate 0: none of its own
};

// The request rate limit of one API client: its own `rate_limit`, or else auth.client_rate_limit.
// The guard holds the token bucket; it is the process's, by client name ("client:<name>"),
// so every generation shares it and a reload keeps the count.
struct ClientLimit {
  std::shared_ptr<EndpointGuard> guard;  // null: no limit
  GuardSettings settings;
};

class Credentials {
 public:
  std::map<std::string, ClientConfig, std::less<>> clients;  // bus.yaml `clients:`
  std::map<std::string, StoredKey, std::less<>> keys;        // active keys, by id

  const ClientConfig* client(std::string_view name) const;
  const ClientConfig* byCertificate(const PeerCertificate& peer) const;
  const StoredKey* key(std::string_view id) const;
  ClientLimit limitOf(std::string_view client) const;

  GuardSettings default_rate_limit;       // auth.client_rate_limit
  std::shared_ptr<GuardRegistry> guards;  // where the clients' buckets live
};

// Reads bus.yaml `clients:` (checking tenants against the generation's and service
// patterns) and the key store; errors go to the node's ConfigErrors.
std::shared_ptr<const Credentials> loadCredentials(const ConfigNode& clients, const BusConfig& bus,
                                                   const Generation& generation,
                                                   RuntimeServices& runtime, ConfigErrors& errors);

// "AB:cd:..." or "sha256:ABCD..." -> "abcd..."; empty when it is not 32 bytes of hex.
std::string normaliseFingerprint(std::string_view text);

}  // namespace egov::core
