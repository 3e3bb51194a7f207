#include "adapters/soap/soap_config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include <curl/curl.h>

#include "adapters/http/http_config.hpp"
#include "adapters/soap/xml_signature.hpp"

namespace egov::adapters::soap {
namespace {

constexpr std::uint64_t kMaxResponseBytesLimit = 1024ull * 1024 * 1024;
constexpr std::chrono::milliseconds kDefaultTimestampTtl{5 * 60 * 1000};
constexpr std::chrono::milliseconds kMaxClockSkew{10 * 60 * 1000};

std::string resolvePath(const core::ConfigNode& node, const std::string& path) {
  return http::resolveConfigPath(node, path);
}

void readDuration(const core::ConfigNode& node, std::string_view key,
                  std::chrono::milliseconds& value) {
  if (!node.has(key)) return;
  value = node.duration(key, value);
  if (value.count() <= 0) node.errorAt(key, "must be greater than 0");
}

bool isQuotable(std::string_view text) {
  // The action travels inside a quoted string of a header: no quote, backslash or control.
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '"' || c == '\\' || u < 0x20 || u == 0x7f;
  });
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

void readSign(const core::ConfigNode& sign, WsSecurityConfig& wssec) {
  if (!sign.allowKeys({"key_file", "cert_file", "key_password"}) && !sign.isMap()) return;
  const std::size_t errors_before = sign.errors().size();
  const std::string key_file = resolvePath(sign, sign.requiredString("key_file"));
  const std::string cert_file = resolvePath(sign, sign.requiredString("cert_file"));
  const std::string password = readSecret(sign, "key_password");
  if (sign.errors().size() != errors_before) return;
  auto credentials = SigningCredentials::load(key_file, cert_file, password);
  if (!credentials) return sign.errorAt("key_file", credentials.error().message);
  wssec.sign = std::move(*credentials);
}

void readVerify(const core::ConfigNode& verify, WsSecurityConfig& wssec) {
  if (!verify.allowKeys({"cert_file", "clock_skew"}) && !verify.isMap()) return;
  if (verify.has("clock_skew")) {
    wssec.response_clock_skew = verify.duration("clock_skew", wssec.response_clock_skew);
    if (wssec.response_clock_skew.count() < 0 || wssec.response_clock_skew > kMaxClockSkew) {
      verify.errorAt("clock_skew", "must be between 0s and 10m");
    }
  }
  const std::string cert_file = resolvePath(verify, verify.requiredString("cert_file"));
  if (cert_file.empty()) return;
  auto key = VerificationKey::load(cert_file);
  if (!key) return verify.errorAt("cert_file", key.error().message);
  wssec.verify_response = std::move(*key);
}

void readWsSecurity(const core::ConfigNode& node, SoapConfig& config) {
  if (!node.allowKeys(
          {"username", "password", "password_type", "timestamp", "sign", "verify_response"}) &&
      !node.isMap()) {
    return;
  }
  WsSecurityConfig wssec;
  const bool has_username = node.has("username");
  if (has_username || node.has("password") || node.has("password_type")) {
    UsernameTokenConfig token;
    token.username = node.requiredString("username");
    token.password = readSecret(node, "password");
    const std::string type = node.optionalString("password_type", "text");
    if (type == "digest") {
      token.type = PasswordType::digest;
    } else if (type != "text") {
      node.errorAt("password_type", "expected text or digest");
    }
    if (!node.has("password")) {
      node.errorAt("password", type == "digest" ? "password_type digest needs a password"
                                                : "a UsernameToken needs a password");
    }
    wssec.username_token = std::move(token);
  }
  if (node.has("timestamp")) {
    const core::ConfigNode timestamp = node["timestamp"];
    if (timestamp.allowKeys({"ttl"}) || timestamp.isMap()) {
      std::chrono::milliseconds ttl = kDefaultTimestampTtl;
      readDuration(timestamp, "ttl", ttl);
      wssec.timestamp_ttl = ttl;
    }
  }
  if (node.has("sign")) readSign(node["sign"], wssec);
  if (node.has("verify_response")) readVerify(node["verify_response"], wssec);
  if (wssec.sign && !wssec.timestamp_ttl) wssec.timestamp_ttl = kDefaultTimestampTtl;
  if (!wssec.username_token && !wssec.timestamp_ttl && !node.has("sign") &&
      !node.has("verify_response")) {
    node.error("expected at least one of username, timestamp, sign, verify_response");
  }
  config.wssec = std::move(wssec);
}

}  // namespace

std::optional<SoapConfig> parseSoapConfig(const core::ConfigNode& settings) {
  const std::size_t errors_before = settings.errors().size();
  settings.allowKeys({"type", "url", "version", "action", "timeout", "connect_timeout", "tls",
                      "headers", "max_response_bytes", "response_schema", "wssec", "faults"});
  if (!settings.isMap()) return std::nullopt;

  SoapConfig config;
  config.url = settings.requiredString("url");
  if (!config.url.empty()) http::checkHttpUrl(settings, config.url);

  const std::string version = settings.optionalString("version", "1.1");
  if (version == "1.1") {
    config.version = SoapVersion::v11;
  } else if (version == "1.2") {
    config.version = SoapVersion::v12;
  } else {
    settings.errorAt("version", "expected \"1.1\" or \"1.2\"");
  }
  config.action = settings.optionalString("action");
  if (!isQuotable(config.action)) {
    settings.errorAt("action", "must not contain quotes, backslashes or control characters");
  }

  readDuration(settings, "timeout", config.timeout);
  readDuration(settings, "connect_timeout", config.connect_timeout);
  if (settings.has("headers")) {
    http::readHeaderSettings(settings["headers"], {"content-type", "soapaction"}, config.headers);
  }
  if (settings.has("tls")) http::readTlsSettings(settings["tls"], config.tls);
  if (settings.has("max_response_bytes")) {
    config.max_response_bytes = settings.bytes("max_response_bytes", config.max_response_bytes);
    if (config.max_response_bytes == 0 || config.max_response_bytes > kMaxResponseBytesLimit) {
      settings.errorAt("max_response_bytes", "must be between 1 byte and 1GiB");
    }
  }
  if (settings.has("response_schema")) {
    const std::string path = resolvePath(settings, settings.optionalString("response_schema"));
    auto schema = core::XsdSchema::load(path);
    if (schema) {
      config.response_schema = std::move(*schema);
    } else {
      settings.errorAt("response_schema", "schema does not load: " + schema.error().message);
    }
  }
  if (settings.has("wssec")) readWsSecurity(settings["wssec"], config);
  if (const std::string faults = settings.optionalString("faults", "error"); faults == "reply") {
    config.faults = FaultHandling::reply;
  } else if (faults != "error") {
    settings.errorAt("faults", "expected error or reply");
  }

  if (settings.errors().size() != errors_before) return std::nullopt;
  return config;
}

}  // namespace egov::adapters::soap
