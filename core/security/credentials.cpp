#include "core/security/credentials.hpp"

#include "core/engine/endpoint.hpp"
#include "core/engine/generation.hpp"
#include "core/security/crypto.hpp"

namespace egov::core {

const ClientConfig* Credentials::client(std::string_view name) const {
  auto it = clients.find(name);
  return it == clients.end() ? nullptr : &it->second;
}

const ClientConfig* Credentials::byCertificate(const PeerCertificate& peer) const {
  for (const auto& [name, client] : clients) {
    for (const auto& fingerprint : client.fingerprints) {
      if (constantTimeEqual(fingerprint, peer.fingerprint)) return &client;
    }
    for (const auto& subject : client.subjects) {
      if (subject == peer.subject) return &client;
    }
  }
  return nullptr;
}

ClientLimit Credentials::limitOf(std::string_view name) const {
  const ClientConfig* declared = client(name);
  const GuardSettings& settings =
      declared && declared->rate_limit.rate > 0 ? declared->rate_limit : default_rate_limit;
  if (settings.rate <= 0 || !guards) return {};
  return {guards->guard("client:" + std::string(name)), settings};
}

const StoredKey* Credentials::key(std::string_view id) const {
  auto it = keys.find(id);
  return it == keys.end() ? nullptr : &it->second;
}

std::string normaliseFingerprint(std::string_view text) {
  if (text.starts_with("sha256:") || text.starts_with("SHA256:")) text.remove_prefix(7);
  std::string hex;
  for (char c : text) {
    if (c == ':') continue;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return fromHex(hex).size() == 32 ? hex : std::string();
}

namespace {

Scope readScope(const ConfigNode& node, const Generation& generation) {
  Scope scope;
  scope.tenants = node.stringList("tenants");
  scope.services = node.stringList("services");
  if (!node.has("tenants"))
    node.errorAt("tenants", "missing key (a list of ISTAT codes, slugs or \"*\")");
  if (!node.has("services"))
    node.errorAt("services", "missing key (a list such as [\"tributi.*\"] or [\"*\"])");
  for (const auto& tenant : scope.tenants) {
    if (tenant != "*" && !generation.findTenant(tenant)) {
      node.errorAt("tenants", "unknown tenant " + tenant);
    }
  }
  for (const auto& service : scope.services) {
    if (!isServicePattern(service)) {
      node.errorAt(
          "services",
          "\"" + service + "\" is not a service name or pattern (tributi.posizioni, tributi.*, *)");
    }
  }
  return scope;
}

}  // namespace

std::shared_ptr<const Credentials> loadCredentials(const ConfigNode& clients, const BusConfig& bus,
                                                   const Generation& generation,
                                                   RuntimeServices& runtime, ConfigErrors& errors) {
  auto credentials = std::make_shared<Credentials>();
  credentials->guards = runtime.shared<GuardRegistry>(
      [&runtime] { return std::make_shared<GuardRegistry>(runtime.metrics()); });
  credentials->default_rate_limit.rate = bus.auth.client_rate;
  credentials->default_rate_limit.burst = bus.auth.client_burst;
  if (clients.valid() && clients.expectMap()) {
    for (const auto& [name, node] : clients.entries()) {
      // and go on: report everything
      node.allowKeys({"tenants", "services", "certificates", "rate_limit"});
      if (!node.isMap()) continue;
      ClientConfig client;
      client.name = name;
      client.scope = readScope(node, generation);
      if (node.has("rate_limit")) client.rate_limit = parseRateLimit(node["rate_limit"]);
      if (auto certificates = node["certificates"]; certificates.valid()) {
        if (!certificates.isSequence()) {
          certificates.error("expected a list of { subject: ... } or { fingerprint: ... }");
        } else {
          for (const auto& certificate : certificates.items()) {
            if (!certificate.allowKeys({"subject", "fingerprint"})) continue;
            if (certificate.has("subject") == certificate.has("fingerprint")) {
              certificate.error("give exactly one of subject or fingerprint");
              continue;
            }
            if (certificate.has("subject")) {
              client.subjects.push_back(certificate.requiredString("subject"));
              continue;
            }
            auto fingerprint = normaliseFingerprint(certificate.requiredString("fingerprint"));
            if (fingerprint.empty()) {
              certificate.errorAt("fingerprint",
                                  "expected the SHA-256 fingerprint in hex (colons allowed)");
            } else {
              client.fingerprints.push_back(std::move(fingerprint));
            }
          }
        }
      }
      credentials->clients.emplace(name, std::move(client));
    }
  }
  auto keys = KeyStore::readActive(bus.auth.keys);
  if (!keys) {
    errors.add(bus.file.string(), "auth.keys: " + keys.error().message);
  } else {
    for (auto& key : *keys) credentials->keys.emplace(key.id, std::move(key));
  }
  return credentials;
}

}  // namespace egov::core
