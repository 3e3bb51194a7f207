// What the core knows of SPID: a verifier of the SAML Responses the portal forwards, built
// from bus.yaml's `spid` section by the spid adapter (adapters/spid), which registers its
// factory in the AdapterRegistry. The core itself parses no SAML.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/common/result.hpp"
#include "core/config/config_node.hpp"
#include "core/engine/exchange.hpp"

namespace egov::core {

using SystemTime = std::chrono::system_clock::time_point;

// A citizen's SPID authentication, as verified.
struct SpidLogin {
  Identity identity;         // citizen_fiscal_code (without "TINIT-"), names, spid_level
  std::string issuer;        // the identity provider's entityID
  std::string assertion_id;  // the signed Assertion's ID, for replay detection
  SystemTime usable_until;   // the verifier accepts this assertion until then (NotOnOrAfter
                             // plus the clock skew): remember its ID that long to refuse replays
};

// Immutable once built; shared by a config generation; verify() may run concurrently on any
// threads. It is CPU work (XML parsing and one or two RSA verifications, about a
// millisecond): callers on an I/O thread run it on RuntimeServices::workers().
class SpidVerifier {
 public:
  virtual ~SpidVerifier() = default;

  // Verifies a SAML Response (its XML text) at instant `now`. `request_id`, when not empty,
  // must be the Response's and the SubjectConfirmationData's InResponseTo. Errors are
  // ErrorKind::unauthorized with the reason (no secret, no fiscal code in it).
  virtual Result<SpidLogin> verify(std::string_view response_xml, std::string_view request_id,
                                   SystemTime now) const = 0;

  // How long a bus session minted from one login lasts, and how many may be open at once.
  virtual std::chrono::milliseconds sessionTtl() const = 0;
  virtual std::size_t maxSessions() const = 0;
};

// Builds the verifier from bus.yaml's `spid` map (relative paths against `config_dir`);
// returns null after reporting errors into section.errors().
using SpidVerifierFactory = std::function<std::shared_ptr<const SpidVerifier>(
    const ConfigNode& section, const std::filesystem::path& config_dir)>;

}  // namespace egov::core
