// Typed settings of an `anpr` endpoint (one tenant's PDND client and the ANPR e-services it
// may call) and their parser.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "adapters/anpr/modi_tokens.hpp"
#include "adapters/http/curl_multi_loop.hpp"
#include "core/config/config_node.hpp"

namespace egov::adapters::anpr {

// One e-service the tenant has a PDND purpose for, e.g. C020.
struct EserviceConfig {
  std::string code;        // "C020", as in datiRichiesta.casoUso
  std::string purpose_id;  // the PDND purposeId of this tenant for this e-service
  std::string url;  // base URL of the e-service, e.g. .../C020-servizioAccertamentoResidenza/v1
  std::string audience;  // aud of the TrackingEvidence and Agid-JWT-Signature
};

enum class Pseudonym { none, hmac_sha256 };

struct AuditConfig {
  std::string user_location;  // empty: the API client of the exchange, else "egovbus"
  Pseudonym pseudonymise = Pseudonym::none;
  std::string pseudonym_key;            // secret, for hmac-sha256
  std::string default_loa = "unknown";  // when the exchange has no SPID level
};

struct AnprConfig {
  ModiSigner signer;                                // client_id, kid, private key
  std::string token_url;                            // PDND token endpoint
  std::string assertion_audience;                   // aud of the client assertion
  std::map<std::string, EserviceConfig> eservices;  // by code
  AuditConfig audit;
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds connect_timeout{3'000};
  std::chrono::milliseconds voucher_margin{30'000};  // refresh a voucher this long before expiry
  std::chrono::milliseconds cooldown{60'000};        // after a 429 that says no Retry-After
  http::HttpTlsOptions tls;
  std::uint64_t max_response_bytes = 1024 * 1024;
};

// The well-known addresses of a PDND/ANPR environment.
struct AnprEnvironment {
  const char* token_url;
  const char* assertion_audience;
  const char* base_url;  // .../MinInternoPortaANPR-PDND
};
const AnprEnvironment& testEnvironment();
const AnprEnvironment& productionEnvironment();

// The path of an e-service under base_url, for the codes the adapter knows (C030, C020, C021,
// C015, C008); empty for others, which then need `path` in the config.
std::string knownEservicePath(const std::string& code);

// Reads an endpoint's settings (the map that also holds `type: anpr`). Every problem is
// reported into settings.errors() with its line; returns nullopt when there was any.
// Loads the private key (control plane).
std::optional<AnprConfig> parseAnprConfig(const core::ConfigNode& settings);

}  // namespace egov::adapters::anpr
