#include "adapters/soap/xml_signature.hpp"

#include <cstring>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <xmlsec/crypto.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "adapters/soap/ws_security.hpp"
#include "adapters/soap/xmlsec_library.hpp"

namespace egov::adapters::soap {

void XmlSecKeyDeleter::operator()(_xmlSecKey* key) const {
  xmlSecKeyDestroy(key);
}

namespace {

using core::ErrorKind;
using core::makeError;

constexpr const char* kTokenId = "egov-x509-token";

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyDataDeleter {
  void operator()(xmlSecKeyData* data) const { xmlSecKeyDataDestroy(data); }
};
struct DSigCtxDeleter {
  void operator()(xmlSecDSigCtx* ctx) const { xmlSecDSigCtxDestroy(ctx); }
};
struct OpenSslFree {
  void operator()(unsigned char* bytes) const { OPENSSL_free(bytes); }
};
struct XmlCharDeleter {
  void operator()(xmlChar* text) const { xmlFree(text); }
};
struct XmlNodeDeleter {
  void operator()(xmlNode* node) const { xmlFreeNode(node); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using DSigCtxPtr = std::unique_ptr<xmlSecDSigCtx, DSigCtxDeleter>;

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

// OpenSSL's reason for the last failure on this thread, and the queue emptied for the next.
std::string openSslReason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  return reason ? reason : "unreadable";
}

// Runs inside PEM_read_bio_PrivateKey. Without it OpenSSL would prompt on the terminal for
// an encrypted key's password.
int providePassword(char* buffer, int size, int /*writing*/, void* user) noexcept {
  const auto* password = static_cast<const std::string*>(user);
  if (password->empty() || password->size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buffer, password->data(), password->size());
  return static_cast<int>(password->size());
}

core::Result<X509Ptr> readCertificate(const std::string& file) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) return makeError(ErrorKind::bad_request, "cannot read file " + file);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return makeError(ErrorKind::bad_request,
                     "no PEM certificate in " + file + ": " + openSslReason());
  }
  return cert;
}

// Hands an OpenSSL key to a new xmlsec key; `pkey` is consumed either way.
core::Result<XmlSecKeyPtr> toXmlSecKey(PkeyPtr pkey) {
  std::unique_ptr<xmlSecKeyData, KeyDataDeleter> data(xmlSecOpenSSLEvpKeyAdopt(pkey.get()));
  if (!data) return makeError(ErrorKind::bad_request, "xmlsec cannot use this key");
  pkey.release();  // owned by data from here
  XmlSecKeyPtr key(xmlSecKeyCreate());
  if (!key || xmlSecKeySetValue(key.get(), data.get()) < 0) {
    return makeError(ErrorKind::internal, "out of memory creating an xmlsec key");
  }
  data.release();  // owned by key from here
  return key;
}

core::Error signingFailure(const std::string& what) {
  std::string message = "WS-Security signature: " + what;
  if (auto detail = lastXmlSecurityError(); !detail.empty()) message += ": " + detail;
  return makeError(ErrorKind::internal, std::move(message));
}

// The allow-list a reply's signature is checked against; anything else (XSLT or XPath
// transforms, SHA-1, HMAC) fails verification.
bool restrictAlgorithms(xmlSecDSigCtx& ctx) {
  bool ok = true;
  for (auto id : {xmlSecTransformExclC14NId, xmlSecTransformInclC14NId, xmlSecTransformSha256Id,
                  xmlSecTransformSha384Id, xmlSecTransformSha512Id}) {
    ok = ok && xmlSecDSigCtxEnableReferenceTransform(&ctx, id) >= 0;
  }
  for (auto id : {xmlSecTransformExclC14NId, xmlSecTransformInclC14NId, xmlSecTransformRsaSha256Id,
                  xmlSecTransformRsaSha384Id, xmlSecTransformRsaSha512Id}) {
    ok = ok && xmlSecDSigCtxEnableSignatureTransform(&ctx, id) >= 0;
  }
  // Only "#id" references: no URI="" (whole document), no files, no network.
  ctx.enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
  return ok;
}

xmlNode* firstChildElement(xmlNode& parent, const xmlChar* name, const xmlChar* ns) {
  for (xmlNode* child = parent.children; child; child = child->next) {
    if (child->type == XML_ELEMENT_NODE && xmlStrEqual(child->name, name) && child->ns &&
        xmlStrEqual(child->ns->href, ns)) {
      return child;
    }
  }
  return nullptr;
}

}  // namespace

core::Result<std::shared_ptr<const SigningCredentials>> SigningCredentials::load(
    const std::string& key_file, const std::string& cert_file, const std::string& key_password) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_file(key_file.c_str(), "r"));
  if (!bio) return makeError(ErrorKind::bad_request, "cannot read file " + key_file);
  std::string password = key_password;
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, providePassword, &password));
  OPENSSL_cleanse(password.data(), password.size());
  if (!pkey) {
    return makeError(ErrorKind::bad_request,
                     "cannot read the private key in " + key_file + ": " + openSslReason() +
                         (key_password.empty() ? " (is it encrypted? set key_password)" : ""));
  }
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_RSA) {
    return makeError(ErrorKind::bad_request,
                     key_file + " is not an RSA key (rsa-sha256 needs one)");
  }
  auto cert = readCertificate(cert_file);
  if (!cert) return std::move(cert).error();
  if (X509_check_private_key(cert->get(), pkey.get()) != 1) {
    ERR_clear_error();
    return makeError(ErrorKind::bad_request,
                     cert_file + " does not hold the public key of " + key_file);
  }
  unsigned char* der_raw = nullptr;
  const int der_size = i2d_X509(cert->get(), &der_raw);
  std::unique_ptr<unsigned char, OpenSslFree> der(der_raw);
  if (der_size <= 0) return makeError(ErrorKind::bad_request, "cannot encode " + cert_file);
  std::string certificate = base64Encode(std::string_view(reinterpret_cast<const char*>(der.get()),
                                                          static_cast<std::size_t>(der_size)));

  auto key = toXmlSecKey(std::move(pkey));
  if (!key) return std::move(key).error();
  return std::shared_ptr<const SigningCredentials>(
      new SigningCredentials(std::move(*key), std::move(certificate)));
}

core::Result<void> SigningCredentials::sign(xmlNode& security,
                                            const std::vector<xmlNode*>& signed_elements) const {
  xmlDoc* doc = security.doc;
  xmlNs* wsse = xmlSearchNsByHref(doc, &security, x(kWsseNs));
  if (!wsse) return signingFailure("the Security header has no wsse namespace");

  xmlNode* token =
      xmlNewChild(&security, wsse, x("BinarySecurityToken"), x(certificate_base64_.c_str()));
  if (!token || !xmlNewProp(token, x("EncodingType"), x(kBase64BinaryEncoding)) ||
      !xmlNewProp(token, x("ValueType"), x(kX509v3ValueType))) {
    return signingFailure("out of memory");
  }
  if (auto id = setWsuId(*token, kTokenId); !id) return std::move(id).error();

  std::unique_ptr<xmlNode, XmlNodeDeleter> template_node(xmlSecTmplSignatureCreateNsPref(
      doc, xmlSecTransformExclC14NId, xmlSecTransformRsaSha256Id, nullptr, x("ds")));
  if (!template_node) return signingFailure("cannot create the template");
  if (!xmlAddChild(&security, template_node.get())) return signingFailure("out of memory");
  xmlNode* signature = template_node.release();  // the Security header owns it now
  for (xmlNode* element : signed_elements) {
    std::unique_ptr<xmlChar, XmlCharDeleter> id(xmlGetNsProp(element, x("Id"), x(kWsuNs)));
    if (!id) return signingFailure("a signed element has no wsu:Id");
    const std::string uri = "#" + std::string(reinterpret_cast<const char*>(id.get()));
    xmlNode* reference = xmlSecTmplSignatureAddReference(signature, xmlSecTransformSha256Id,
                                                         nullptr, x(uri.c_str()), nullptr);
    if (!reference || !xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NId)) {
      return signingFailure("cannot add a reference");
    }
  }
  xmlNode* key_info = xmlSecTmplSignatureEnsureKeyInfo(signature, nullptr);
  xmlNode* token_reference =
      key_info ? xmlNewChild(key_info, wsse, x("SecurityTokenReference"), nullptr) : nullptr;
  xmlNode* reference =
      token_reference ? xmlNewChild(token_reference, wsse, x("Reference"), nullptr) : nullptr;
  const std::string token_uri = std::string("#") + kTokenId;
  if (!reference || !xmlNewProp(reference, x("URI"), x(token_uri.c_str())) ||
      !xmlNewProp(reference, x("ValueType"), x(kX509v3ValueType))) {
    return signingFailure("out of memory");
  }

  DSigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return signingFailure("out of memory");
  // The context destroys its key: each signature gets its own copy of the shared one.
  ctx->signKey = xmlSecKeyDuplicate(key_.get());
  if (!ctx->signKey) return signingFailure("cannot copy the key");
  clearXmlSecurityError();
  if (xmlSecDSigCtxSign(ctx.get(), signature) < 0) return signingFailure("signing failed");
  return {};
}

core::Result<std::shared_ptr<const VerificationKey>> VerificationKey::load(
    const std::string& cert_file) {
  auto cert = readCertificate(cert_file);
  if (!cert) return std::move(cert).error();
  PkeyPtr pkey(X509_get_pubkey(cert->get()));
  if (!pkey) {
    return makeError(ErrorKind::bad_request,
                     "no usable public key in " + cert_file + ": " + openSslReason());
  }
  auto key = toXmlSecKey(std::move(pkey));
  if (!key) return std::move(key).error();
  return std::shared_ptr<const VerificationKey>(new VerificationKey(std::move(*key)));
}

core::Result<void> VerificationKey::verify(xmlNode& security, const xmlNode& body,
                                           const xmlNode* timestamp) const {
  auto invalid = [](std::string message) {
    return makeError(ErrorKind::backend_invalid, std::move(message));
  };
  xmlNode* signature = firstChildElement(security, xmlSecNodeSignature, xmlSecDSigNs);
  if (!signature) return invalid("the reply is not signed");

  DSigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return makeError(ErrorKind::internal, "out of memory verifying a signature");
  ctx->signKey = xmlSecKeyDuplicate(key_.get());
  if (!ctx->signKey || !restrictAlgorithms(*ctx)) {
    return makeError(ErrorKind::internal, "cannot set up signature verification");
  }
  clearXmlSecurityError();
  if (xmlSecDSigCtxVerify(ctx.get(), signature) < 0) {
    std::string message = "the reply's signature cannot be checked";
    if (auto detail = lastXmlSecurityError(); !detail.empty()) message += ": " + detail;
    return invalid(std::move(message));
  }
  if (ctx->status != xmlSecDSigStatusSucceeded) {
    return invalid("the reply's signature does not match the configured certificate");
  }

  // Every reference verified; among them must be the Body the caller will read (and the
  // Timestamp it will check), found by id exactly as xmlsec resolved them (ids are unique:
  // registerWsuIds refused repeats).
  bool body_signed = false;
  bool timestamp_signed = timestamp == nullptr;
  const xmlSecSize count = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
  for (xmlSecSize i = 0; i < count; ++i) {
    auto* reference =
        static_cast<xmlSecDSigReferenceCtx*>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, i));
    if (!reference || !reference->uri || reference->uri[0] != '#') continue;
    const xmlAttr* id = xmlGetID(security.doc, reference->uri + 1);
    if (!id) continue;
    body_signed = body_signed || id->parent == &body;
    timestamp_signed = timestamp_signed || id->parent == timestamp;
  }
  if (!body_signed) return invalid("the reply's signature does not cover its SOAP Body");
  if (!timestamp_signed) return invalid("the reply's signature does not cover its wsu:Timestamp");
  return {};
}

}  // namespace egov::adapters::soap
