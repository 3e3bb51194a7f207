#include "adapters/spid/saml_verifier.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include <xmlsec/crypto.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include "adapters/soap/xmlsec_library.hpp"
#include "adapters/spid/saml_xml.hpp"
#include "core/common/xs_datetime.hpp"
#include "core/mapping/fiscal_code.hpp"
#include "core/xml/xml.hpp"

namespace egov::adapters::spid {
namespace {

using core::Error;
using core::ErrorKind;
using core::Result;
using core::SystemTime;

constexpr const char* kExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";
constexpr const char* kEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
constexpr std::array kSignatureMethods = {"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                                          "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
                                          "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"};
constexpr std::array kDigestMethods = {"http://www.w3.org/2001/04/xmlenc#sha256",
                                       "http://www.w3.org/2001/04/xmldsig-more#sha384",
                                       "http://www.w3.org/2001/04/xmlenc#sha512"};
constexpr const char* kStatusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success";
constexpr const char* kBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
constexpr const char* kSpidLevelPrefix = "https://www.spid.gov.it/SpidL";
constexpr const char* kTinIt = "TINIT-";

struct DSigCtxDeleter {
  void operator()(xmlSecDSigCtx* ctx) const { xmlSecDSigCtxDestroy(ctx); }
};
struct XmlCharDeleter {
  void operator()(xmlChar* text) const { xmlFree(text); }
};

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

Error refuse(std::string reason) {
  return core::makeError(ErrorKind::unauthorized, std::move(reason));
}

// Attacker-chosen text quoted in a reason: short, and printable ASCII only.
std::string shown(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > 80) out += "...";
  return out + "\"";
}

template <std::size_t N>
bool oneOf(const std::string& value, const std::array<const char*, N>& allowed) {
  for (const char* a : allowed) {
    if (value == a) return true;
  }
  return false;
}

// The XML of the Response: the SAMLResponse form value (base64) or the document itself.
Result<std::string> responseXml(std::string_view response) {
  while (!response.empty() && std::isspace(static_cast<unsigned char>(response.front()))) {
    response.remove_prefix(1);
  }
  if (response.size() > kMaxResponseBytes * 4 / 3 + 4096) {
    return refuse("the Response is larger than " + std::to_string(kMaxResponseBytes) + " bytes");
  }
  if (!response.empty() && response.front() == '<') return std::string(response);
  auto decoded = base64Decode(response);
  if (!decoded) return refuse("the Response is neither XML nor base64");
  return std::move(*decoded);
}

// Registers every SAML ID attribute so that "#id" references resolve, and refuses a document
// where two elements share an identifier (ID, Id or xml:id): a reference must have exactly
// one target.
Result<void> registerIds(xmlDoc& doc) {
  std::set<std::string> seen;
  xmlNode* node = xmlDocGetRootElement(&doc);
  while (node) {
    if (node->type == XML_ELEMENT_NODE) {
      for (xmlAttr* attr = node->properties; attr; attr = attr->next) {
        const bool saml_id = !attr->ns && xmlStrEqual(attr->name, x("ID"));
        const bool other_id = (!attr->ns && xmlStrEqual(attr->name, x("Id"))) ||
                              (attr->ns && xmlStrEqual(attr->ns->href, XML_XML_NAMESPACE) &&
                               xmlStrEqual(attr->name, x("id")));
        if (!saml_id && !other_id) continue;
        std::unique_ptr<xmlChar, XmlCharDeleter> value(
            xmlNodeListGetString(&doc, attr->children, 1));
        const std::string text = value ? reinterpret_cast<const char*>(value.get()) : "";
        if (!seen.insert(text).second) return refuse("two elements have the ID " + shown(text));
        if (saml_id && !xmlAddID(nullptr, &doc, x(text.c_str()), attr)) {
          return refuse("two elements have the ID " + shown(text));
        }
      }
    }
    if (node->type == XML_ELEMENT_NODE && node->children) {
      node = node->children;
      continue;
    }
    while (node && !node->next) node = node->parent;
    if (node) node = node->next;
  }
  return {};
}

// The one saml:Assertion of the document, which must be a child of the Response: another
// Assertion anywhere (before, after, around it, in Extensions, in a ds:Object) is how
// signature wrapping smuggles in an unsigned one.
Result<xmlNode*> theOnlyAssertion(xmlDoc& doc, xmlNode& response) {
  xmlNode* found = nullptr;
  int count = 0;
  xmlNode* node = xmlDocGetRootElement(&doc);
  while (node) {
    if (isElement(node, kSamlNs, "EncryptedAssertion")) {
      return refuse("encrypted assertions are not supported (SPID assertions are signed only)");
    }
    if (isElement(node, kSamlNs, "Assertion")) {
      ++count;
      found = node;
    }
    if (node->type == XML_ELEMENT_NODE && node->children) {
      node = node->children;
      continue;
    }
    while (node && !node->next) node = node->parent;
    if (node) node = node->next;
  }
  if (count == 0) return refuse("the Response has no Assertion");
  if (count > 1) {
    return refuse("the Response must hold exactly one Assertion, it holds " +
                  std::to_string(count));
  }
  if (found->parent != &response) return refuse("the Assertion is not a child of the Response");
  return found;
}

Result<xmlNode*> need(const xmlNode& parent, const char* ns, const char* name,
                      const std::string& where) {
  auto child = onlyChild(parent, ns, name);
  if (child.repeated) return refuse(where + " has more than one " + name);
  if (!child.found) return refuse(where + " has no " + name);
  return child.found;
}

Result<std::string> needAttribute(const xmlNode& element, const char* name,
                                  const std::string& where) {
  auto value = attribute(element, name);
  if (!value || value->empty()) return refuse(where + " has no " + name);
  return std::move(*value);
}

Result<SystemTime> needInstant(const xmlNode& element, const char* name, const std::string& where) {
  auto value = needAttribute(element, name, where);
  if (!value) return std::move(value).error();
  auto instant = core::parseXsDateTime(*value);
  if (!instant) return refuse(where + " " + name + " is not an xs:dateTime with a time zone");
  return *instant;
}

// What xmlsec may do while checking a signature: exclusive c14n, the enveloped-signature
// transform, SHA-2 digests and RSA with SHA-2; only "#id" references (no URI="", no file,
// no network). The SignedInfo is also checked beforehand (checkSignedInfo) for clear reasons.
bool restrictAlgorithms(xmlSecDSigCtx& ctx) {
  bool ok = true;
  for (auto id : {xmlSecTransformExclC14NId, xmlSecTransformEnvelopedId, xmlSecTransformSha256Id,
                  xmlSecTransformSha384Id, xmlSecTransformSha512Id}) {
    ok = ok && xmlSecDSigCtxEnableReferenceTransform(&ctx, id) >= 0;
  }
  for (auto id : {xmlSecTransformExclC14NId, xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id,
                  xmlSecTransformRsaSha512Id}) {
    ok = ok && xmlSecDSigCtxEnableSignatureTransform(&ctx, id) >= 0;
  }
  ctx.enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
  return ok;
}

// The SPID profile of XML Signature: one Reference to the signed element's own ID,
// transforms enveloped-signature and exclusive c14n only, SHA-2.
Result<void> checkSignedInfo(const xmlNode& signature, const std::string& id,
                             const std::string& what) {
  const std::string where = "the " + what + "'s signature";
  auto signed_info = need(signature, kDsNs, "SignedInfo", where);
  if (!signed_info) return std::move(signed_info).error();
  auto c14n = need(**signed_info, kDsNs, "CanonicalizationMethod", where);
  if (!c14n) return std::move(c14n).error();
  if (const auto algorithm = attribute(**c14n, "Algorithm").value_or(""); algorithm != kExcC14n) {
    return refuse(where + ": canonicalization " + shown(algorithm) +
                  " is not allowed (exclusive c14n only)");
  }
  auto method = need(**signed_info, kDsNs, "SignatureMethod", where);
  if (!method) return std::move(method).error();
  if (const auto algorithm = attribute(**method, "Algorithm").value_or("");
      !oneOf(algorithm, kSignatureMethods)) {
    return refuse(where + ": signature method " + shown(algorithm) +
                  " is not allowed (RSA with SHA-256, SHA-384 or SHA-512)");
  }
  const auto references = childElements(**signed_info, kDsNs, "Reference");
  if (references.size() != 1) {
    return refuse(where + " must have exactly one Reference, it has " +
                  std::to_string(references.size()));
  }
  const xmlNode& reference = *references.front();
  if (const auto uri = attribute(reference, "URI").value_or(""); uri != "#" + id) {
    return refuse(where + " references " + shown(uri) + ", not the " + what + "'s ID");
  }
  auto transforms = onlyChild(reference, kDsNs, "Transforms");
  if (transforms.repeated) return refuse(where + " has more than one Transforms");
  if (transforms.found) {
    std::set<std::string> used;
    for (xmlNode* t = transforms.found->children; t; t = t->next) {
      if (t->type != XML_ELEMENT_NODE) continue;
      const auto algorithm =
          isElement(t, kDsNs, "Transform") ? attribute(*t, "Algorithm").value_or("") : "";
      if ((algorithm != kEnveloped && algorithm != kExcC14n) || !used.insert(algorithm).second) {
        return refuse(where + ": transform " + shown(algorithm) +
                      " is not allowed (enveloped-signature and exclusive c14n, once each)");
      }
    }
  }
  auto digest = need(reference, kDsNs, "DigestMethod", where);
  if (!digest) return std::move(digest).error();
  if (const auto algorithm = attribute(**digest, "Algorithm").value_or("");
      !oneOf(algorithm, kDigestMethods)) {
    return refuse(where + ": digest " + shown(algorithm) + " is not allowed (SHA-2 only)");
  }
  return {};
}

// Verifies `signature` with the IdP's keys only (xmlsec reads no KeyInfo when the context
// has its key) and returns the element its Reference resolved to, found by ID exactly as
// xmlsec found it (IDs are unique: registerIds refused repeats).
Result<xmlNode*> verifySignature(xmlNode& signature, const std::vector<soap::XmlSecKeyPtr>& keys,
                                 const std::string& what) {
  bool digest_failed = false;
  for (const auto& key : keys) {
    std::unique_ptr<xmlSecDSigCtx, DSigCtxDeleter> ctx(xmlSecDSigCtxCreate(nullptr));
    if (!ctx) return core::makeError(ErrorKind::internal, "out of memory verifying a signature");
    ctx->signKey = xmlSecKeyDuplicate(key.get());  // the context destroys its own copy
    if (!ctx->signKey || !restrictAlgorithms(*ctx)) {
      return core::makeError(ErrorKind::internal, "cannot set up signature verification");
    }
    soap::clearXmlSecurityError();
    if (xmlSecDSigCtxVerify(ctx.get(), &signature) < 0) {
      std::string reason = "the " + what + "'s signature cannot be checked";
      if (auto detail = soap::lastXmlSecurityError(); !detail.empty()) reason += ": " + detail;
      return refuse(std::move(reason));
    }
    const xmlSecSize count = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
    for (xmlSecSize i = 0; i < count; ++i) {
      auto* reference =
          static_cast<xmlSecDSigReferenceCtx*>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, i));
      digest_failed = digest_failed || !reference || reference->status != xmlSecDSigStatusSucceeded;
    }
    if (ctx->status != xmlSecDSigStatusSucceeded) continue;
    if (count != 1) return refuse("the " + what + "'s signature must have exactly one Reference");
    auto* reference =
        static_cast<xmlSecDSigReferenceCtx*>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
    if (!reference || !reference->uri || reference->uri[0] != '#') {
      return refuse("the " + what + "'s signature does not reference an element by ID");
    }
    const xmlAttr* id = xmlGetID(signature.doc, reference->uri + 1);
    if (!id || !id->parent)
      return refuse("the " + what + "'s signed element cannot be found by its ID");
    return id->parent;
  }
  if (digest_failed) return refuse("the " + what + " was modified after it was signed");
  return refuse("the " + what +
                " is not signed by the identity provider's key (only the keys "
                "of its configured metadata are used, never KeyInfo)");
}

// Verifies the ds:Signature child of `element` and returns the element it covers, which must
// be `element` itself.
Result<xmlNode*> verifySigned(xmlNode& element, xmlNode& signature,
                              const std::vector<soap::XmlSecKeyPtr>& keys,
                              const std::string& what) {
  auto id = needAttribute(element, "ID", "the " + what);
  if (!id) return std::move(id).error();
  if (auto profile = checkSignedInfo(signature, *id, what); !profile) {
    return std::move(profile).error();
  }
  auto covered = verifySignature(signature, keys, what);
  if (!covered) return covered;
  if (*covered != &element) return refuse("the signature does not cover the " + what);
  return covered;
}

// SpidL1..3 from the AuthnContextClassRef; 0 when it is not a SPID level.
int spidLevel(const std::string& class_ref) {
  const std::string prefix = kSpidLevelPrefix;
  if (class_ref.size() != prefix.size() + 1 || class_ref.compare(0, prefix.size(), prefix) != 0) {
    return 0;
  }
  const char level = class_ref.back();
  return level >= '1' && level <= '3' ? level - '0' : 0;
}

// Values read from the verified Assertion only.
class AssertionReader {
 public:
  AssertionReader(const xmlNode& assertion, const SamlSettings& settings,
                  std::string_view request_id, SystemTime now)
      : assertion_(assertion), settings_(settings), request_id_(request_id), now_(now) {}

  Result<core::SpidLogin> read(const std::string& issuer) {
    core::SpidLogin login;
    login.issuer = issuer;
    auto id = needAttribute(assertion_, "ID", "the Assertion");
    if (!id) return std::move(id).error();
    login.assertion_id = *id;
    if (attribute(assertion_, "Version").value_or("") != "2.0") {
      return refuse("the Assertion's Version is not 2.0");
    }
    auto issued = needInstant(assertion_, "IssueInstant", "the Assertion");
    if (!issued) return std::move(issued).error();
    if (*issued > now_ + settings_.clock_skew)
      return refuse("the Assertion is issued in the future");

    auto until = checkSubject();
    if (!until) return std::move(until).error();
    auto conditions_until = checkConditions();
    if (!conditions_until) return std::move(conditions_until).error();
    login.usable_until = std::min(*until, *conditions_until) + settings_.clock_skew;

    auto level = readLevel();
    if (!level) return std::move(level).error();
    login.identity.spid_level = *level;
    if (auto attributes = readAttributes(login.identity); !attributes) {
      return std::move(attributes).error();
    }
    return login;
  }

 private:
  // Subject: a NameID and one bearer confirmation for our ACS; returns its NotOnOrAfter.
  Result<SystemTime> checkSubject() {
    auto subject = need(assertion_, kSamlNs, "Subject", "the Assertion");
    if (!subject) return std::move(subject).error();
    if (auto name_id = need(**subject, kSamlNs, "NameID", "the Subject"); !name_id) {
      return std::move(name_id).error();
    }
    auto confirmation = need(**subject, kSamlNs, "SubjectConfirmation", "the Subject");
    if (!confirmation) return std::move(confirmation).error();
    if (attribute(**confirmation, "Method").value_or("") != kBearer) {
      return refuse("the SubjectConfirmation Method is not bearer");
    }
    const std::string where = "the SubjectConfirmationData";
    auto data = need(**confirmation, kSamlNs, "SubjectConfirmationData", "the SubjectConfirmation");
    if (!data) return std::move(data).error();
    auto recipient = needAttribute(**data, "Recipient", where);
    if (!recipient) return std::move(recipient).error();
    if (*recipient != settings_.acs_url) {
      return refuse("the Recipient " + shown(*recipient) + " is not this service's ACS URL");
    }
    if (!request_id_.empty()) {
      if (attribute(**data, "InResponseTo").value_or("") != request_id_) {
        return refuse(where + " InResponseTo is not the authentication request's ID");
      }
    }
    auto not_on_or_after = needInstant(**data, "NotOnOrAfter", where);
    if (!not_on_or_after) return std::move(not_on_or_after).error();
    if (now_ - settings_.clock_skew >= *not_on_or_after) {
      return refuse("the Assertion has expired (SubjectConfirmationData NotOnOrAfter " +
                    formatInstant(*not_on_or_after) + ")");
    }
    return *not_on_or_after;
  }

  // Conditions: the validity window and our audience; returns NotOnOrAfter.
  Result<SystemTime> checkConditions() {
    const std::string where = "the Conditions";
    auto conditions = need(assertion_, kSamlNs, "Conditions", "the Assertion");
    if (!conditions) return std::move(conditions).error();
    auto not_before = needInstant(**conditions, "NotBefore", where);
    if (!not_before) return std::move(not_before).error();
    auto not_on_or_after = needInstant(**conditions, "NotOnOrAfter", where);
    if (!not_on_or_after) return std::move(not_on_or_after).error();
    if (now_ + settings_.clock_skew < *not_before) {
      return refuse("the Assertion is not valid yet (NotBefore " + formatInstant(*not_before) +
                    ")");
    }
    if (now_ - settings_.clock_skew >= *not_on_or_after) {
      return refuse("the Assertion has expired (NotOnOrAfter " + formatInstant(*not_on_or_after) +
                    ")");
    }
    // Every AudienceRestriction must name us (SAML core 2.5.1.4).
    const auto restrictions = childElements(**conditions, kSamlNs, "AudienceRestriction");
    if (restrictions.empty()) return refuse(where + " have no AudienceRestriction");
    for (xmlNode* restriction : restrictions) {
      bool ours = false;
      std::string seen;
      for (xmlNode* audience : childElements(*restriction, kSamlNs, "Audience")) {
        seen = textValue(*audience);
        ours = ours || seen == settings_.sp_entity_id;
      }
      if (!ours) {
        return refuse("the Audience " + shown(seen) + " is not this service's entityID");
      }
    }
    return *not_on_or_after;
  }

  Result<int> readLevel() {
    auto statement = need(assertion_, kSamlNs, "AuthnStatement", "the Assertion");
    if (!statement) return std::move(statement).error();
    auto context = need(**statement, kSamlNs, "AuthnContext", "the AuthnStatement");
    if (!context) return std::move(context).error();
    auto class_ref = need(**context, kSamlNs, "AuthnContextClassRef", "the AuthnContext");
    if (!class_ref) return std::move(class_ref).error();
    const auto value = textValue(**class_ref);
    const int level = spidLevel(value);
    if (level == 0) {
      return refuse("the AuthnContextClassRef " + shown(value) +
                    " is not a SPID level (SpidL1, SpidL2, SpidL3)");
    }
    return level;
  }

  // fiscalNumber (required), name and familyName; each attribute once, with one value.
  Result<void> readAttributes(core::Identity& identity) {
    auto statement = need(assertion_, kSamlNs, "AttributeStatement", "the Assertion");
    if (!statement) return std::move(statement).error();
    std::set<std::string> names;
    bool fiscal_number = false;
    for (xmlNode* attr : childElements(**statement, kSamlNs, "Attribute")) {
      const auto name = attribute(*attr, "Name").value_or("");
      if (!names.insert(name).second) {
        return refuse("the attribute " + shown(name) + " is given twice");
      }
      std::string* target = name == "fiscalNumber" ? &identity.citizen_fiscal_code
                            : name == "name"       ? &identity.given_name
                            : name == "familyName" ? &identity.family_name
                                                   : nullptr;
      if (!target) continue;
      auto value = need(*attr, kSamlNs, "AttributeValue", "the attribute " + name);
      if (!value) return std::move(value).error();
      *target = textValue(**value);
      fiscal_number = fiscal_number || target == &identity.citizen_fiscal_code;
    }
    if (!fiscal_number) return refuse("the Assertion has no fiscalNumber attribute");
    auto& code = identity.citizen_fiscal_code;
    if (!code.starts_with(kTinIt)) {
      return refuse("the fiscalNumber is not an Italian one (TINIT-...)");
    }
    code.erase(0, std::string_view(kTinIt).size());
    if (!core::isValidFiscalCode(code)) {
      return refuse("the fiscalNumber is not a valid Italian fiscal code");
    }
    return {};
  }

  const xmlNode& assertion_;
  const SamlSettings& settings_;
  std::string_view request_id_;
  SystemTime now_;
};

}  // namespace

Result<core::SpidLogin> SamlVerifier::verify(std::string_view response_text,
                                             std::string_view request_id, SystemTime now) const {
  auto text = responseXml(response_text);
  if (!text) return std::move(text).error();
  auto parsed = core::parseXml(*text, core::XmlLimits{kMaxResponseBytes, 32, 20'000}, "Response");
  if (!parsed) return refuse("the Response is not acceptable XML: " + parsed.error().message);
  xmlDoc& doc = **parsed;
  xmlNode* response = xmlDocGetRootElement(&doc);
  if (!isElement(response, kSamlpNs, "Response")) return refuse("not a samlp:Response");

  // The status first: a failed authentication has no assertion, and says why.
  auto status = need(*response, kSamlpNs, "Status", "the Response");
  if (!status) return std::move(status).error();
  auto code = need(**status, kSamlpNs, "StatusCode", "the Status");
  if (!code) return std::move(code).error();
  if (auto value = attribute(**code, "Value").value_or(""); value != kStatusSuccess) {
    std::string reason = "the identity provider answered " + shown(value);
    if (auto message = onlyChild(**status, kSamlpNs, "StatusMessage"); message.found) {
      reason += " (" + shown(textValue(*message.found)) + ")";
    }
    return refuse(std::move(reason));
  }

  if (auto ids = registerIds(doc); !ids) return std::move(ids).error();
  auto candidate = theOnlyAssertion(doc, *response);
  if (!candidate) return std::move(candidate).error();

  // The Assertion's Issuer chooses the keys; it is read again from the verified element.
  auto issuer_node = need(**candidate, kSamlNs, "Issuer", "the Assertion");
  if (!issuer_node) return std::move(issuer_node).error();
  const std::string issuer = textValue(**issuer_node);
  const auto* keys = providers_->signingKeys(issuer);
  if (!keys)
    return refuse("the issuer " + shown(issuer) + " is not a configured identity provider");

  auto signature = onlyChild(**candidate, kDsNs, "Signature");
  if (signature.repeated) return refuse("the Assertion has more than one signature");
  if (!signature.found) return refuse("the Assertion is not signed");
  auto verified = verifySigned(**candidate, *signature.found, *keys, "Assertion");
  if (!verified) return std::move(verified).error();
  // From here on only the element the signature covers is read (it is the candidate, whose
  // Issuer chose the keys: verifySigned checked that).
  const xmlNode& assertion = **verified;

  // The Response's own signature is optional in SPID; when present it must hold.
  auto response_signature = onlyChild(*response, kDsNs, "Signature");
  if (response_signature.repeated) return refuse("the Response has more than one signature");
  if (response_signature.found) {
    auto covered = verifySigned(*response, *response_signature.found, *keys, "Response");
    if (!covered) return std::move(covered).error();
  }
  if (attribute(*response, "Version").value_or("") != "2.0") {
    return refuse("the Response's Version is not 2.0");
  }
  auto destination = needAttribute(*response, "Destination", "the Response");
  if (!destination) return std::move(destination).error();
  if (*destination != settings_.acs_url) {
    return refuse("the Destination " + shown(*destination) + " is not this service's ACS URL");
  }
  if (!request_id.empty() && attribute(*response, "InResponseTo").value_or("") != request_id) {
    return refuse("the Response's InResponseTo is not the authentication request's ID");
  }
  if (auto response_issuer = onlyChild(*response, kSamlNs, "Issuer"); response_issuer.repeated) {
    return refuse("the Response has more than one Issuer");
  } else if (response_issuer.found && textValue(*response_issuer.found) != issuer) {
    return refuse("the Response's Issuer is not the Assertion's");
  }
  auto issued = needInstant(*response, "IssueInstant", "the Response");
  if (!issued) return std::move(issued).error();
  if (*issued > now + settings_.clock_skew) return refuse("the Response is issued in the future");

  return AssertionReader(assertion, settings_, request_id, now).read(issuer);
}

}  // namespace egov::adapters::spid
