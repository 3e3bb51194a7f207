#include "adapters/anpr/anpr_config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "adapters/http/http_config.hpp"

namespace egov::adapters::anpr {
namespace {

constexpr std::uint64_t kMaxResponseBytesLimit = 64ull * 1024 * 1024;

std::string resolvePath(const core::ConfigNode& node, const std::string& path) {
  if (path.empty()) return path;
  std::filesystem::path p(path);
  if (p.is_absolute()) return path;
  return (std::filesystem::path(node.file()).parent_path() / p).lexically_normal().string();
}

void readDuration(const core::ConfigNode& node, std::string_view key,
                  std::chrono::milliseconds& value) {
  if (!node.has(key)) return;
  value = node.duration(key, value);
  if (value.count() <= 0) node.errorAt(key, "must be greater than 0");
}

// A secret must arrive by reference, so that it never sits in a file under version control.
std::string readSecret(const core::ConfigNode& node, std::string_view key) {
  if (!node.has(key)) return {};
  const core::ConfigNode value = node[key];
  const std::string& raw = value.yaml().IsScalar() ? value.yaml().Scalar() : std::string();
  if (!raw.starts_with("${env:") && !raw.starts_with("${file:")) {
    value.error("must be a ${env:NAME} or ${file:PATH} reference, not the secret itself");
    return {};
  }
  return value.asString();
}

// Values that travel inside JWT claims and cache keys: printable, no spaces.
bool isToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

std::string readToken(const core::ConfigNode& node, std::string_view key, bool required) {
  std::string value = required ? node.requiredString(key) : node.optionalString(key);
  if (!value.empty() && !isToken(value)) {
    node.errorAt(key, "must be printable ASCII without spaces");
  }
  return value;
}

bool isEserviceCode(std::string_view code) {
  return code.size() == 4 && code[0] == 'C' &&
         std::all_of(code.begin() + 1, code.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

void readEservices(const core::ConfigNode& node, const std::string& base_url, AnprConfig& config) {
  if (!node.expectMap()) return;
  for (const auto& [code, entry] : node.entries()) {
    if (!isEserviceCode(code)) {
      entry.error("an e-service is named by its code, e.g. C020");
      continue;
    }
    if (!entry.allowKeys({"purpose_id", "path", "url", "audience"}) && !entry.isMap()) continue;
    EserviceConfig eservice;
    eservice.code = code;
    eservice.purpose_id = readToken(entry, "purpose_id", true);
    if (entry.has("url")) {
      if (entry.has("path")) entry.errorAt("path", "give either url or path");
      eservice.url = entry.optionalString("url");
      if (!eservice.url.empty()) http::checkHttpUrl(entry, eservice.url);
    } else {
      std::string path = entry.optionalString("path", knownEservicePath(code));
      if (path.empty()) {
        entry.error("e-service " + code +
                    " is not one the adapter knows (C030, C020, C021, C015, C008): give its "
                    "path, e.g. \"" +
                    code + "-servizioX/v1\", or its url");
        continue;
      }
      while (!path.empty() && path.front() == '/') path.erase(0, 1);
      eservice.url = base_url + "/" + path;
    }
    while (!eservice.url.empty() && eservice.url.back() == '/') eservice.url.pop_back();
    eservice.audience =
        entry.has("audience") ? readToken(entry, "audience", true) : anprAudience(eservice.url);
    config.eservices.emplace(code, std::move(eservice));
  }
  if (config.eservices.empty() && node.isMap()) node.error("at least one e-service is needed");
}

void readAudit(const core::ConfigNode& node, AuditConfig& audit) {
  if (!node.allowKeys({"user_location", "pseudonymise", "pseudonym_key", "default_loa"}) &&
      !node.isMap()) {
    return;
  }
  audit.user_location = node.optionalString("user_location");
  audit.default_loa = node.optionalString("default_loa", audit.default_loa);
  const std::string mode = node.optionalString("pseudonymise", "none");
  if (mode == "hmac-sha256") {
    audit.pseudonymise = Pseudonym::hmac_sha256;
    audit.pseudonym_key = readSecret(node, "pseudonym_key");
    if (!node.has("pseudonym_key")) {
      node.errorAt("pseudonymise", "hmac-sha256 needs pseudonym_key (${file:...} or ${env:...})");
    } else if (!audit.pseudonym_key.empty() && audit.pseudonym_key.size() < 16) {
      node.errorAt("pseudonym_key", "must be at least 16 bytes");
    }
  } else if (mode != "none") {
    node.errorAt("pseudonymise", "expected none or hmac-sha256");
  } else if (node.has("pseudonym_key")) {
    node.errorAt("pseudonym_key", "only used with pseudonymise: hmac-sha256");
  }
}

}  // namespace

const AnprEnvironment& testEnvironment() {
  static const AnprEnvironment kTest{
      "https://auth.uat.interop.pagopa.it/token.oauth2",
      "auth.uat.interop.pagopa.it/client-assertion",
      "https://modipa-val.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND"};
  return kTest;
}

const AnprEnvironment& productionEnvironment() {
  static const AnprEnvironment kProduction{
      "https://auth.interop.pagopa.it/token.oauth2", "auth.interop.pagopa.it/client-assertion",
      "https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND"};
  return kProduction;
}

std::string knownEservicePath(const std::string& code) {
  static const std::map<std::string, std::string> kKnown = {
      {"C030", "C030-servizioAccertamentoIdUnicoNazionale/v1"},
      {"C020", "C020-servizioAccertamentoResidenza/v1"},
      {"C021", "C021-servizioAccertamentoStatoFamiglia/v1"},
      {"C015", "C015-servizioAccertamentoGeneralita/v1"},
      {"C008", "C008-servizioVerificaDichResidenza/v1"},
  };
  auto it = kKnown.find(code);
  return it == kKnown.end() ? std::string() : it->second;
}

std::optional<AnprConfig> parseAnprConfig(const core::ConfigNode& settings) {
  const std::size_t errors_before = settings.errors().size();
  settings.allowKeys({"type", "environment", "client_id", "kid", "key_file", "key_password",
                      "token_url", "assertion_audience", "base_url", "eservices", "audit",
                      "timeout", "connect_timeout", "voucher_margin", "cooldown", "tls",
                      "max_response_bytes"});
  if (!settings.isMap()) return std::nullopt;

  AnprConfig config;
  const std::string environment = settings.requiredString("environment");
  const AnprEnvironment* defaults = nullptr;
  if (environment == "test") {
    defaults = &testEnvironment();
  } else if (environment == "production") {
    defaults = &productionEnvironment();
  } else if (!environment.empty()) {
    settings.errorAt("environment", "expected test or production");
  }

  config.signer.client_id = readToken(settings, "client_id", true);
  config.signer.kid = readToken(settings, "kid", true);
  const std::string key_file = resolvePath(settings, settings.requiredString("key_file"));
  const std::string key_password = readSecret(settings, "key_password");

  config.token_url =
      settings.optionalString("token_url", defaults ? defaults->token_url : std::string());
  if (!config.token_url.empty()) http::checkHttpUrl(settings, config.token_url, "token_url");
  config.assertion_audience = settings.has("assertion_audience")
                                  ? readToken(settings, "assertion_audience", true)
                                  : std::string(defaults ? defaults->assertion_audience : "");
  std::string base_url =
      settings.optionalString("base_url", defaults ? defaults->base_url : std::string());
  if (settings.has("base_url")) http::checkHttpUrl(settings, base_url, "base_url");
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();

  if (!settings.has("eservices")) {
    settings.errorAt("eservices",
                     "missing key (one entry per e-service, e.g. C020: { purpose_id })");
  } else {
    readEservices(settings["eservices"], base_url, config);
  }
  if (settings.has("audit")) readAudit(settings["audit"], config.audit);

  readDuration(settings, "timeout", config.timeout);
  readDuration(settings, "connect_timeout", config.connect_timeout);
  readDuration(settings, "voucher_margin", config.voucher_margin);
  readDuration(settings, "cooldown", config.cooldown);
  if (settings.has("tls")) http::readTlsSettings(settings["tls"], config.tls);
  if (settings.has("max_response_bytes")) {
    config.max_response_bytes = settings.bytes("max_response_bytes", config.max_response_bytes);
    if (config.max_response_bytes == 0 || config.max_response_bytes > kMaxResponseBytesLimit) {
      settings.errorAt("max_response_bytes", "must be between 1 byte and 64MiB");
    }
  }

  if (!key_file.empty()) {
    auto key = loadRsaPrivateKey(key_file, key_password);
    if (key) {
      config.signer.key = std::move(*key);
    } else {
      settings.errorAt("key_file", key.error().message);
    }
  }
  if (settings.errors().size() != errors_before) return std::nullopt;
  return config;
}

}  // namespace egov::adapters::anpr
