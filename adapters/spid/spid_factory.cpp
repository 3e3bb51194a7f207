#include "adapters/spid/spid_factory.hpp"

#include "adapters/spid/spid_config.hpp"

namespace egov::adapters::spid {
namespace {

class SpidVerifierImpl final : public core::SpidVerifier {
 public:
  SpidVerifierImpl(const SpidConfig& config, std::shared_ptr<const IdentityProviders> providers)
      : saml_(config.saml, std::move(providers)),
        session_ttl_(config.session_ttl),
        max_sessions_(config.max_sessions) {}

  core::Result<core::SpidLogin> verify(std::string_view response, std::string_view request_id,
                                       core::SystemTime now) const override {
    return saml_.verify(response, request_id, now);
  }
  std::chrono::milliseconds sessionTtl() const override { return session_ttl_; }
  std::size_t maxSessions() const override { return max_sessions_; }

 private:
  SamlVerifier saml_;
  std::chrono::milliseconds session_ttl_;
  std::size_t max_sessions_;
};

}  // namespace

std::shared_ptr<const core::SpidVerifier> makeSpidVerifier(
    const core::ConfigNode& section, const std::filesystem::path& config_dir) {
  const auto before = section.errors().size();
  auto config = parseSpidConfig(section, config_dir);
  if (section.errors().size() != before || config.idp_metadata.empty()) return nullptr;
  auto providers = IdentityProviders::load(config.idp_metadata);
  if (!providers) {
    section.errorAt("idp_metadata", providers.error().message);
    return nullptr;
  }
  return std::make_shared<SpidVerifierImpl>(config, std::move(providers).value());
}

}  // namespace egov::adapters::spid
