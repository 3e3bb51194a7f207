// The SPID verifier on vectors signed by the xmlsec1 command-line tool (tests/spid/
// make_vectors.py): valid Responses, every signature-wrapping shape, tampering, policy
// violations and time conditions; the IdP metadata loader; the bus.yaml `spid` section.
#include <doctest/doctest.h>

#include <fstream>

#include "adapters/spid/idp_metadata.hpp"
#include "adapters/spid/saml_verifier.hpp"
#include "adapters/spid/saml_xml.hpp"
#include "core/common/xs_datetime.hpp"
#include "tests/support/spid_vectors.hpp"
#include "tests/support/temp_config.hpp"

namespace {

namespace core = egov::core;
namespace spid = egov::adapters::spid;
using egov::test::SpidVectors;
using namespace std::chrono_literals;

core::SystemTime at(const std::string& instant) {
  auto parsed = core::parseXsDateTime(instant);
  REQUIRE(parsed);
  return *parsed;
}

struct Verifier {
  const SpidVectors& vectors = SpidVectors::get();
  spid::SamlVerifier verifier{
      spid::SamlSettings{SpidVectors::kSpEntityId, SpidVectors::kAcsUrl, 30s}, load()};
  core::SystemTime now = at(vectors.now());

  static std::shared_ptr<const spid::IdentityProviders> load() {
    auto providers = spid::IdentityProviders::load({SpidVectors::get().metadata()});
    REQUIRE_MESSAGE(providers.ok(), (providers.ok() ? "" : providers.error().message));
    return std::move(providers).value();
  }

  core::Result<core::SpidLogin> verify(const std::string& vector, std::string_view request_id = {},
                                       std::optional<core::SystemTime> when = {}) {
    return verifier.verify(vectors.read(vector), request_id, when.value_or(now));
  }

  // The reason a vector is refused for ("" when it is accepted).
  std::string refusal(const std::string& vector, std::string_view request_id = {},
                      std::optional<core::SystemTime> when = {}) {
    auto result = verify(vector, request_id, when);
    if (result) return "";
    CHECK(result.error().kind == core::ErrorKind::unauthorized);
    return result.error().message;
  }
};

}  // namespace

TEST_CASE_FIXTURE(Verifier, "spid: a valid Response gives the citizen's identity and level") {
  auto login = verify("valid", SpidVectors::kRequestId);
  REQUIRE_MESSAGE(login.ok(), login.error().message);
  CHECK(login->identity.citizen_fiscal_code == "RSSMRA80A01A662A");  // TINIT- stripped
  CHECK(login->identity.given_name == "Mario");
  CHECK(login->identity.family_name == "Rossi");
  CHECK(login->identity.spid_level == 2);
  CHECK(login->issuer == SpidVectors::kIdp);
  CHECK(login->assertion_id == "_a-1");
  CHECK(login->usable_until == now + 1h + 30s);

  auto level3 = verify("valid-l3");
  REQUIRE(level3.ok());
  CHECK(level3->identity.spid_level == 3);
  CHECK(level3->identity.citizen_fiscal_code == "BNCLCU85T50A662U");
  CHECK(verify("valid-l1")->identity.spid_level == 1);

  // As the IdP's HTTP-POST binding delivers it: base64, with line breaks.
  auto base64 = verify("valid.b64");
  REQUIRE(base64.ok());
  CHECK(base64->identity.citizen_fiscal_code == "RSSMRA80A01A662A");
}

TEST_CASE_FIXTURE(Verifier, "spid: the Response's signature is optional but checked when present") {
  CHECK(refusal("valid-response-signed", SpidVectors::kRequestId) == "");
  CHECK(refusal("response-signature-tampered") == "the Response was modified after it was signed");
  // A signed Response does not make up for an unsigned Assertion.
  CHECK(refusal("signed-response-unsigned-assertion") == "the Assertion is not signed");
}

TEST_CASE_FIXTURE(Verifier, "spid: only the IdP metadata's key verifies, never KeyInfo") {
  CHECK(refusal("unsigned-assertion") == "the Assertion is not signed");
  CHECK(refusal("other-key")
            .starts_with("the Assertion is not signed by the identity provider's key"));
  CHECK(refusal("tampered") == "the Assertion was modified after it was signed");
}

TEST_CASE_FIXTURE(Verifier, "spid: signature wrapping is refused in every shape") {
  for (const char* vector : {"wrap-evil-before", "wrap-evil-after", "wrap-evil-wrapping",
                             "wrap-hidden-in-extensions", "wrap-hidden-in-object"}) {
    CAPTURE(vector);
    CHECK(refusal(vector) == "the Response must hold exactly one Assertion, it holds 2");
  }
  CHECK(refusal("wrap-signed-foreign-first") ==
        "the Assertion's signature references \"#_foreign\", not the Assertion's ID");
  CHECK(refusal("duplicate-id") == "two elements have the ID \"_a-1\"");
}

TEST_CASE_FIXTURE(Verifier, "spid: a comment cannot split the fiscal number") {
  // The comment holds another fiscal code and cuts the real one in two; the signature still
  // verifies (exclusive c14n drops comments) and the value is all the text, joined.
  CHECK(vectors.read("comment-in-fiscal-number").find("<!-- VRDGPP75B02A662H -->") !=
        std::string::npos);
  auto login = verify("comment-in-fiscal-number");
  REQUIRE_MESSAGE(login.ok(), login.error().message);
  CHECK(login->identity.citizen_fiscal_code == "RSSMRA80A01A662A");
}

TEST_CASE_FIXTURE(Verifier, "spid: DOCTYPE, algorithms and status") {
  CHECK(refusal("doctype").find("DOCTYPE is not allowed") != std::string::npos);
  CHECK(refusal("inclusive-c14n") ==
        "the Assertion's signature: transform \"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\" "
        "is not allowed (enveloped-signature and exclusive c14n, once each)");
  CHECK(refusal("rsa-sha1")
            .starts_with("the Assertion's signature: signature method "
                         "\"http://www.w3.org/2000/09/xmldsig#rsa-sha1\""));
  CHECK(refusal("status-failed") ==
        "the identity provider answered \"urn:oasis:names:tc:SAML:2.0:status:Responder\"");
  CHECK(refusal("valid.b64", {}, {}) == "");
  auto garbage = verifier.verify("not base64 at all!", {}, now);
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().message == "the Response is neither XML nor base64");
  auto other_root = verifier.verify("<a/>", {}, now);
  REQUIRE_FALSE(other_root.ok());
  CHECK(other_root.error().message == "not a samlp:Response");
}

TEST_CASE_FIXTURE(Verifier, "spid: audience, recipient, destination and InResponseTo") {
  CHECK(refusal("wrong-audience") ==
        "the Audience \"https://other.example/sp\" is not this service's entityID");
  CHECK(refusal("wrong-recipient") ==
        "the Recipient \"https://other.example/acs\" is not this service's ACS URL");
  CHECK(refusal("wrong-destination") ==
        "the Destination \"https://other.example/acs\" is not this service's ACS URL");
  CHECK(refusal("valid", "_another-request") ==
        "the Response's InResponseTo is not the authentication request's ID");
}

TEST_CASE_FIXTURE(Verifier, "spid: time conditions with the clock skew") {
  const auto expires = now + 1h;
  CHECK(refusal("valid", {}, expires - 1s) == "");
  CHECK(refusal("valid", {}, expires + 29s) == "");  // within the 30s skew
  CHECK(refusal("valid", {}, expires + 30s).starts_with("the Assertion has expired"));
  CHECK(refusal("valid", {}, now - 29s) == "");
  CHECK(refusal("valid", {}, now - 31s) == "the Response is issued in the future");
}

TEST_CASE_FIXTURE(Verifier, "spid: expired, not yet valid, and every other rule's own vector") {
  // Each vector is signed by the IdP's key (xmlsec1) and breaks exactly one rule.
  CHECK(refusal("expired").starts_with("the Assertion has expired"));
  CHECK(refusal("not-yet-valid").starts_with("the Assertion is not valid yet (NotBefore "));
  CHECK(refusal("assertion-not-child") == "the Assertion is not a child of the Response");
  CHECK(refusal("encrypted-assertion") ==
        "encrypted assertions are not supported (SPID assertions are signed only)");
  CHECK(refusal("two-signatures") == "the Assertion has more than one signature");
  CHECK(refusal("level-unknown") ==
        "the AuthnContextClassRef \"https://www.spid.gov.it/SpidL4\" is not a SPID level "
        "(SpidL1, SpidL2, SpidL3)");
  CHECK(refusal("response-issuer-mismatch") == "the Response's Issuer is not the Assertion's");
  // The Response's InResponseTo is right, the SubjectConfirmationData's is not.
  CHECK(refusal("subject-in-response-to") == "");
  CHECK(refusal("subject-in-response-to", SpidVectors::kRequestId) ==
        "the SubjectConfirmationData InResponseTo is not the authentication request's ID");
  CHECK(refusal("no-fiscal-number") == "the Assertion has no fiscalNumber attribute");
  CHECK(refusal("fiscal-number-not-italian") ==
        "the fiscalNumber is not an Italian one (TINIT-...)");
  CHECK(refusal("fiscal-number-invalid") == "the fiscalNumber is not a valid Italian fiscal code");
  CHECK(refusal("attribute-twice") == "the attribute \"fiscalNumber\" is given twice");
  // The expired one was valid in its time: only the clock refuses it.
  CHECK(refusal("expired", {}, now - 90min) == "");
}

TEST_CASE("spid: IdP metadata errors name the file") {
  const auto dir = SpidVectors::get().dir();
  auto missing = spid::IdentityProviders::load({dir / "none.xml"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.starts_with("cannot read file"));

  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return dir / name;
  };
  const std::string md = "xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"";
  auto not_metadata = spid::IdentityProviders::load({write("x.xml", "<x/>")});
  REQUIRE_FALSE(not_metadata.ok());
  CHECK(not_metadata.error().message.find("no md:EntityDescriptor") != std::string::npos);

  auto no_key = spid::IdentityProviders::load(
      {write("nokey.xml", "<md:EntityDescriptor " + md +
                              " entityID=\"https://i\"><md:IDPSSODescriptor/>"
                              "</md:EntityDescriptor>")});
  REQUIRE_FALSE(no_key.ok());
  CHECK(no_key.error().message.find("nokey.xml:1: https://i: no signing certificate") !=
        std::string::npos);

  auto sp_only = spid::IdentityProviders::load(
      {write("sp.xml", "<md:EntityDescriptor " + md +
                           " entityID=\"https://sp\"><md:SPSSODescriptor/>"
                           "</md:EntityDescriptor>")});
  REQUIRE_FALSE(sp_only.ok());
  CHECK(sp_only.error().message.starts_with("no identity provider"));

  auto bad_cert = spid::IdentityProviders::load(
      {write("badcert.xml", "<md:EntityDescriptor " + md +
                                " entityID=\"https://i\"><md:IDPSSODescriptor>"
                                "<md:KeyDescriptor><ds:KeyInfo "
                                "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Data>"
                                "<ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data></"
                                "ds:KeyInfo></md:KeyDescriptor>"
                                "</md:IDPSSODescriptor></md:EntityDescriptor>")});
  REQUIRE_FALSE(bad_cert.ok());
  CHECK(bad_cert.error().message.find("is not a certificate") != std::string::npos);

  // The same IdP twice, and an IdP unknown to the verifier.
  auto twice =
      spid::IdentityProviders::load({SpidVectors::get().metadata(), SpidVectors::get().metadata()});
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().message.find("identity provider listed twice") != std::string::npos);
}

TEST_CASE_FIXTURE(Verifier, "spid: an issuer missing from the metadata is refused") {
  spid::SamlVerifier other{{"https://egov.ba.it/spid", SpidVectors::kAcsUrl, 30s}, load()};
  auto text = vectors.read("valid");
  std::string renamed = text;
  for (auto pos = renamed.find(SpidVectors::kIdp); pos != std::string::npos;
       pos = renamed.find(SpidVectors::kIdp, pos + 1)) {
    renamed.replace(pos, std::string_view(SpidVectors::kIdp).size(), "https://idp.evil.example/x");
  }
  auto result = other.verify(renamed, {}, now);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message ==
        "the issuer \"https://idp.evil.example/x\" is not a configured identity provider");
}

TEST_CASE("spid: xs:dateTime instants") {
  const auto parseInstant = [](std::string_view text) { return core::parseXsDateTime(text); };
  CHECK(spid::formatInstant(*parseInstant("2026-01-15T10:00:00Z")) == "2026-01-15T10:00:00Z");
  CHECK(*parseInstant("2026-01-15T11:00:00.250+01:00") ==
        *parseInstant("2026-01-15T10:00:00Z") + 250ms);
  CHECK_FALSE(parseInstant("2026-01-15T10:00:00"));  // no zone
  CHECK_FALSE(parseInstant("2026-02-30T10:00:00Z"));
  CHECK_FALSE(parseInstant("2026-01-15 10:00:00Z"));
  CHECK_FALSE(parseInstant("2026-01-15T10:00:00Zjunk"));
}

TEST_CASE("spid: the bus.yaml section is checked with file and line") {
  egov::test::TempConfig config;
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\nendpoints: {}\n");
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\n"
               "spid:\n"
               "  acs_url: ftp://x\n"
               "  idp_metadata: [missing.xml]\n"
               "  clock_skew: 1h\n"
               "  colour: blue\n");
  CHECK_FALSE(config.load());
  const auto errors = config.errorText();
  CAPTURE(errors);
  CHECK(errors.find("conf/bus.yaml:3:3: spid.sp_entity_id: missing key") != std::string::npos);
  CHECK(errors.find("conf/bus.yaml:3:12: spid.acs_url: expected the portal's") !=
        std::string::npos);
  CHECK(errors.find("conf/bus.yaml:5:15: spid.clock_skew: at most 10m") != std::string::npos);
  CHECK(errors.find("conf/bus.yaml:6:3: spid.colour: unknown key") != std::string::npos);

  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\nspid:\n  sp_entity_id: https://sp\n"
               "  acs_url: https://sp/acs\n  idp_metadata: [missing.xml]\n");
  CHECK_FALSE(config.load());
  CHECK(config.errorText().find("conf/bus.yaml:5:17: spid.idp_metadata: cannot read file "
                                "conf/missing.xml") != std::string::npos);

  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\nspid:\n  sp_entity_id: https://sp\n"
               "  acs_url: https://sp/acs\n  idp_metadata: " +
                   SpidVectors::get().metadata().string() + "\n");
  auto generation = config.load();
  REQUIRE_MESSAGE(generation, config.errorText());
  REQUIRE(generation->spid);
  CHECK(generation->spid->sessionTtl() == 30min);
}

TEST_CASE("spid: a route's require is compiled and needs the spid section") {
  egov::test::TempConfig config;
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n"
               "endpoints: { echo: { type: memory } }\n");
  config.write("conf/profiles/p.yaml",
               "routes:\n"
               "  - service: a.b\n"
               "    require: { spid_level: 4, self_only: \"fn:map/[\", colour: red }\n"
               "    steps: [ { call: echo } ]\n");
  CHECK_FALSE(config.load());
  const auto errors = config.errorText();
  CAPTURE(errors);
  CHECK(errors.find("conf/profiles/p.yaml:3:14: routes[0].require: a route can require a "
                    "citizen only when bus.yaml has a spid section") != std::string::npos);
  CHECK(errors.find("routes[0].require.spid_level:") != std::string::npos);
  CHECK(errors.find("routes[0].require.self_only: invalid XPath: fn:map/[") != std::string::npos);
  CHECK(errors.find("routes[0].require.colour: unknown key") != std::string::npos);
}
