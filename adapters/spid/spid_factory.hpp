// The spid adapter's entry point: builds the core's SpidVerifier from bus.yaml's `spid`
// section (registered in adapters/register.cpp).
#pragma once

#include <filesystem>
#include <memory>

#include "core/engine/spid_verifier.hpp"

namespace egov::adapters::spid {

// Control plane. Null after reporting errors (bad settings, unreadable metadata) at their
// place in bus.yaml.
std::shared_ptr<const core::SpidVerifier> makeSpidVerifier(const core::ConfigNode& section,
                                                           const std::filesystem::path& config_dir);

}  // namespace egov::adapters::spid
