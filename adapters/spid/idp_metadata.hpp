// The SPID identity providers the bus trusts, read from their SAML metadata: for each
// entityID, the public keys of its signing certificates. Assertions are verified only with
// these keys, never with a key or certificate the Response carries in its KeyInfo.
//
// Loaded once per config generation (control plane), then only read: signingKeys() may be
// called from any thread; each verification duplicates the key it uses.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/soap/xml_signature.hpp"
#include "core/common/result.hpp"

namespace egov::adapters::spid {

class IdentityProviders {
 public:
  // Reads metadata files, each an md:EntityDescriptor or an md:EntitiesDescriptor of several
  // (as the SPID registry publishes them). Every entity with an md:IDPSSODescriptor is an
  // identity provider and must have at least one signing certificate (a KeyDescriptor with
  // use="signing" or without `use`); other entities are skipped. The metadata are trusted as
  // configured: their own signature is not checked (download them from the AgID registry,
  // check them, then configure them). Errors (bad_request) name the file.
  static core::Result<std::shared_ptr<const IdentityProviders>> load(
      const std::vector<std::filesystem::path>& files);

  // The signing keys of an identity provider; null when the entityID is unknown.
  const std::vector<soap::XmlSecKeyPtr>* signingKeys(std::string_view entity_id) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, std::vector<soap::XmlSecKeyPtr>, std::less<>> keys_;
};

}  // namespace egov::adapters::spid
