#include "adapters/spid/idp_metadata.hpp"

#include <fstream>
#include <sstream>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/evp.h>

#include "adapters/spid/saml_xml.hpp"
#include "core/xml/xml.hpp"

namespace egov::adapters::spid {
namespace {

using core::ErrorKind;
using core::makeError;

// The SPID registry's metadata of every IdP is a few hundred kilobytes.
constexpr std::size_t kMaxMetadataBytes = 16 * 1024 * 1024;

struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct KeyDataDeleter {
  void operator()(xmlSecKeyData* data) const { xmlSecKeyDataDestroy(data); }
};

// An xmlsec key holding the public key of a DER certificate.
core::Result<soap::XmlSecKeyPtr> publicKeyOf(const std::string& der, const std::string& where) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<X509, X509Deleter> cert(d2i_X509(nullptr, &bytes, static_cast<long>(der.size())));
  if (!cert) {
    ERR_clear_error();
    return makeError(ErrorKind::bad_request, where + ": ds:X509Certificate is not a certificate");
  }
  std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey(X509_get_pubkey(cert.get()));
  if (!pkey) {
    ERR_clear_error();
    return makeError(ErrorKind::bad_request, where + ": no usable public key in the certificate");
  }
  std::unique_ptr<xmlSecKeyData, KeyDataDeleter> data(xmlSecOpenSSLEvpKeyAdopt(pkey.get()));
  if (!data) return makeError(ErrorKind::bad_request, where + ": xmlsec cannot use this key");
  pkey.release();  // owned by data from here
  soap::XmlSecKeyPtr key(xmlSecKeyCreate());
  if (!key || xmlSecKeySetValue(key.get(), data.get()) < 0) {
    return makeError(ErrorKind::internal, "out of memory creating an xmlsec key");
  }
  data.release();  // owned by key from here
  return key;
}

// Every md:EntityDescriptor of the document, however deeply md:EntitiesDescriptor nest them.
void collectEntities(xmlNode* node, std::vector<xmlNode*>& entities) {
  for (; node; node = node->next) {
    if (isElement(node, kMetadataNs, "EntityDescriptor")) {
      entities.push_back(node);
    } else if (isElement(node, kMetadataNs, "EntitiesDescriptor")) {
      collectEntities(node->children, entities);
    }
  }
}

}  // namespace

core::Result<std::shared_ptr<const IdentityProviders>> IdentityProviders::load(
    const std::vector<std::filesystem::path>& files) {
  auto providers = std::make_shared<IdentityProviders>();
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return makeError(ErrorKind::bad_request, "cannot read file " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    const std::string name = file.string();
    auto doc =
        core::parseXml(text.str(), core::XmlLimits{kMaxMetadataBytes, 64, 2'000'000}, name.c_str());
    if (!doc) return makeError(ErrorKind::bad_request, doc.error().message);
    std::vector<xmlNode*> entities;
    collectEntities(xmlDocGetRootElement(doc->get()), entities);
    if (entities.empty()) {
      return makeError(ErrorKind::bad_request, name + ": no md:EntityDescriptor (SAML metadata)");
    }
    for (xmlNode* entity : entities) {
      auto idp = onlyChild(*entity, kMetadataNs, "IDPSSODescriptor");
      if (!idp.found) continue;  // a service provider's entry
      const auto entity_id = attribute(*entity, "entityID").value_or("");
      const std::string where = name + ":" + std::to_string(xmlGetLineNo(entity)) + ": " +
                                (entity_id.empty() ? "(no entityID)" : entity_id);
      if (entity_id.empty()) return makeError(ErrorKind::bad_request, where + ": no entityID");
      if (idp.repeated) {
        return makeError(ErrorKind::bad_request, where + ": more than one IDPSSODescriptor");
      }
      if (providers->keys_.contains(entity_id)) {
        return makeError(ErrorKind::bad_request, where + ": identity provider listed twice");
      }
      std::vector<soap::XmlSecKeyPtr> keys;
      for (xmlNode* descriptor : childElements(*idp.found, kMetadataNs, "KeyDescriptor")) {
        const auto use = attribute(*descriptor, "use");
        if (use && *use != "signing") continue;
        for (xmlNode* info : childElements(*descriptor, kDsNs, "KeyInfo")) {
          for (xmlNode* data : childElements(*info, kDsNs, "X509Data")) {
            for (xmlNode* cert : childElements(*data, kDsNs, "X509Certificate")) {
              auto der = base64Decode(textValue(*cert));
              if (!der || der->empty()) {
                return makeError(ErrorKind::bad_request,
                                 where + ": ds:X509Certificate is not base64");
              }
              auto key = publicKeyOf(*der, where);
              if (!key) return std::move(key).error();
              keys.push_back(std::move(key).value());
            }
          }
        }
      }
      if (keys.empty()) {
        return makeError(ErrorKind::bad_request,
                         where + ": no signing certificate (md:KeyDescriptor use=\"signing\")");
      }
      providers->keys_.emplace(entity_id, std::move(keys));
    }
  }
  if (providers->keys_.empty()) {
    return makeError(ErrorKind::bad_request, "no identity provider (md:IDPSSODescriptor) in " +
                                                 std::to_string(files.size()) +
                                                 " metadata file(s)");
  }
  return std::shared_ptr<const IdentityProviders>(std::move(providers));
}

const std::vector<soap::XmlSecKeyPtr>* IdentityProviders::signingKeys(
    std::string_view entity_id) const {
  auto it = keys_.find(entity_id);
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace egov::adapters::spid
