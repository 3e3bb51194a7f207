// `egovbus spid verify`: checks one SAML Response offline, as the bus would, for integrators
// and tests.
#pragma once

#include <string>
#include <vector>

namespace egov::adapters::spid {

struct VerifyOptions {
  std::vector<std::string> idp_metadata;  // at least one file
  std::string sp_entity_id;
  std::string acs_url;
  std::string request_id;  // optional: the AuthnRequest's ID (InResponseTo)
  std::string now;         // optional RFC 3339 instant; the clock when empty
  std::string response;    // file with the Response (XML or base64); "-" for standard input
};

// Prints the identity as JSON and returns 0, or prints the reason and returns 1; 2 when the
// options or the metadata are unusable.
int verifyCommand(const VerifyOptions& options);

}  // namespace egov::adapters::spid
