// X.509 signatures of SOAP envelopes with xmlsec1 (WS-Security X.509 token profile): signing
// outgoing envelopes and verifying the signature of a reply against one pinned certificate.
//
// Keys are loaded once per config generation and then only read; every sign() or verify()
// works on its own copy of the key and its own xmlsec context, so calls may run concurrently
// on any threads. Both are CPU work of about a millisecond for a small envelope (one RSA
// operation); the endpoint runs them on the worker pool, not on the I/O thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <libxml/tree.h>

#include "core/common/result.hpp"

struct _xmlSecKey;

namespace egov::adapters::soap {

struct XmlSecKeyDeleter {
  void operator()(_xmlSecKey* key) const;
};
using XmlSecKeyPtr = std::unique_ptr<_xmlSecKey, XmlSecKeyDeleter>;

class SigningCredentials {
 public:
  // Control plane. An RSA private key (PEM, encrypted when `key_password` is not empty) and
  // its certificate (PEM), which must hold the matching public key. Errors (bad_request)
  // say which file and why, never the password.
  static core::Result<std::shared_ptr<const SigningCredentials>> load(
      const std::string& key_file, const std::string& cert_file, const std::string& key_password);

  // Adds a wsse:BinarySecurityToken with the certificate and a ds:Signature (exclusive c14n,
  // rsa-sha256, sha256 digests, KeyInfo as a wsse:SecurityTokenReference to the token) to
  // `security`, with one reference per element of `signed_elements`, each of which must
  // already carry a registered wsu:Id (setWsuId). Errors are ErrorKind::internal.
  core::Result<void> sign(xmlNode& security, const std::vector<xmlNode*>& signed_elements) const;

  const std::string& certificateBase64() const { return certificate_base64_; }

 private:
  SigningCredentials(XmlSecKeyPtr key, std::string certificate_base64)
      : key_(std::move(key)), certificate_base64_(std::move(certificate_base64)) {}

  XmlSecKeyPtr key_;
  std::string certificate_base64_;  // DER, for the BinarySecurityToken
};

class VerificationKey {
 public:
  // Control plane. The certificate (PEM) whose public key must have signed every reply. It is
  // pinned: trusted as configured, without a chain or a validity check.
  static core::Result<std::shared_ptr<const VerificationKey>> load(const std::string& cert_file);

  // Verifies the ds:Signature in `security` (a wsse:Security header block of `envelope`'s
  // document) and checks that its verified references include `body` itself and, when not
  // null, `timestamp` (the block's wsu:Timestamp), so that a signature over a moved copy of
  // the Body (signature wrapping) or a timestamp nobody signed is refused. Only same-document
  // references, exclusive or inclusive c14n and SHA-2 algorithms are accepted. The document's
  // wsu:Id attributes must already be registered (registerWsuIds). Errors: backend_invalid.
  core::Result<void> verify(xmlNode& security, const xmlNode& body,
                            const xmlNode* timestamp = nullptr) const;

 private:
  explicit VerificationKey(XmlSecKeyPtr key) : key_(std::move(key)) {}

  XmlSecKeyPtr key_;
};

}  // namespace egov::adapters::soap
