#include "adapters/spid/spid_config.hpp"

namespace egov::adapters::spid {
namespace {

bool isHttpUrl(const std::string& text) {
  return text.starts_with("https://") || text.starts_with("http://");
}

}  // namespace

SpidConfig parseSpidConfig(const core::ConfigNode& node, const std::filesystem::path& config_dir) {
  SpidConfig config;
  if (!node.expectMap()) return config;
  node.allowKeys(
      {"sp_entity_id", "acs_url", "idp_metadata", "clock_skew", "session_ttl", "max_sessions"});
  config.saml.sp_entity_id = node.requiredString("sp_entity_id");
  config.saml.acs_url = node.requiredString("acs_url");
  if (!config.saml.acs_url.empty() && !isHttpUrl(config.saml.acs_url)) {
    node.errorAt("acs_url", "expected the portal's AssertionConsumerService URL (https://...)");
  }
  config.saml.clock_skew = node.duration("clock_skew", config.saml.clock_skew);
  if (config.saml.clock_skew > std::chrono::minutes(10)) {
    node.errorAt("clock_skew", "at most 10m: a larger skew stretches every assertion's validity");
  }
  config.session_ttl = node.duration("session_ttl", config.session_ttl);
  if (config.session_ttl < std::chrono::minutes(1) || config.session_ttl > std::chrono::hours(24)) {
    node.errorAt("session_ttl", "expected between 1m and 24h");
  }
  config.max_sessions = static_cast<std::size_t>(
      node.integer("max_sessions", static_cast<std::int64_t>(config.max_sessions), 1, 10'000'000));

  if (!node.has("idp_metadata")) {
    node.errorAt("idp_metadata", "missing key");
  } else if (auto metadata = node["idp_metadata"]; metadata.isScalar()) {
    config.idp_metadata.emplace_back(metadata.asString());
  } else {
    for (const auto& file : node.stringList("idp_metadata")) config.idp_metadata.emplace_back(file);
    if (metadata.isSequence() && metadata.items().empty()) {
      node.errorAt("idp_metadata", "list at least one IdP metadata file");
    }
  }
  for (auto& file : config.idp_metadata) {
    if (file.is_relative()) file = (config_dir / file).lexically_normal();
  }
  return config;
}

}  // namespace egov::adapters::spid
