// bus.yaml's `spid` section: how the bus verifies the SAML Responses the portal forwards,
// and how long the bus sessions minted from them last.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <vector>

#include "adapters/spid/saml_verifier.hpp"
#include "core/config/config_node.hpp"

namespace egov::adapters::spid {

struct SpidConfig {
  SamlSettings saml;                                   // sp_entity_id, acs_url, clock_skew
  std::vector<std::filesystem::path> idp_metadata;     // absolute
  std::chrono::milliseconds session_ttl{30 * 60'000};  // a bus session's lifetime
  std::size_t max_sessions = 100'000;                  // open at once, per bus process
};

// Reports every error into node.errors() (file:line: spid.key: message). Relative metadata
// paths are resolved against `config_dir` (bus.yaml's folder).
SpidConfig parseSpidConfig(const core::ConfigNode& node, const std::filesystem::path& config_dir);

}  // namespace egov::adapters::spid
