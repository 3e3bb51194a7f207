// WS-Security of the soap adapter: UsernameToken, Timestamp, X.509 signatures checked here with
// xmlsec directly (not through the adapter's own verifier), and verification of signed replies,
// including signature-wrapping attempts.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <libxml/parser.h>
#include <libxml/valid.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <yaml-cpp/yaml.h>

#include "adapters/soap/soap_config.hpp"
#include "adapters/soap/soap_factory.hpp"
#include "adapters/soap/ws_security.hpp"
#include "adapters/soap/xml_signature.hpp"
#include "core/common/xs_datetime.hpp"
#include "core/engine/endpoint.hpp"
#include "core/metrics/metrics.hpp"
#include "core/xml/xml.hpp"
#include "tests/support/adapter_runtime.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/test_http_server.hpp"

namespace {

namespace core = egov::core;
namespace net = egov::net;
namespace soap = egov::adapters::soap;
using egov::test::runCoroutine;
using egov::test::TestHttpRequest;
using egov::test::TestHttpResponse;
using egov::test::TestHttpServer;
using namespace std::chrono_literals;

const std::string kDataDir = std::string(EGOV_SOURCE_DIR) + "/tests/data/soap/";
constexpr const char* kDsNs = "http://www.w3.org/2000/09/xmldsig#";
constexpr const char* kPayload =
    "<t:ElencoPosizioniRichiesta xmlns:t=\"urn:comune:tributi:posizioni\">"
    "<t:codiceFiscale>RSSMRA80A01A662A</t:codiceFiscale></t:ElencoPosizioniRichiesta>";
constexpr const char* kReplyPayload =
    "<r:Esito xmlns:r=\"urn:comune:tributi:posizioni\"><r:stato>pagato</r:stato></r:Esito>";

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

struct Runtime : egov::test::AdapterRuntime {
  // Paths in `yaml` resolve against tests/data/soap/, as if the settings were written there.
  std::shared_ptr<core::Endpoint> endpoint(const std::string& yaml) {
    return soap::makeSoapEndpoint(context(YAML::Load(yaml), kDataDir + "tenant.yaml"));
  }
};

// Sets an environment variable for one test, for ${env:} secrets.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

core::Result<core::XmlDocPtr> callOnce(core::Endpoint& endpoint) {
  core::Exchange exchange;
  exchange.id = "5b0c7a1e-0000-4000-8000-000000000003";
  auto body = core::parseXml(kPayload);
  REQUIRE(body.ok());
  exchange.body = std::move(body).value();
  core::CallRequest request{exchange, *exchange.body, core::Clock::now() + 5s};
  return runCoroutine(endpoint.call(request));
}

template <class T>
std::string failure(const core::Result<T>& result) {
  return result.ok() ? std::string() : result.error().message;
}

std::string endpointYaml(const TestHttpServer& server, std::string_view wssec) {
  return "type: soap\nurl: " + server.url("/ws") + "\nwssec:\n" + std::string(wssec);
}

TestHttpResponse okReply() {
  return {200, "text/xml",
          std::string("<s:Envelope xmlns:s=\"") + soap::kSoap11Ns + "\"><s:Body>" + kReplyPayload +
              "</s:Body></s:Envelope>"};
}

// The first descendant element with this name and namespace, depth first.
xmlNode* find(xmlNode* node, const char* name, const char* ns) {
  for (; node; node = node->next) {
    if (node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, x(name)) && node->ns &&
        xmlStrEqual(node->ns->href, x(ns))) {
      return node;
    }
    if (xmlNode* found = find(node->children, name, ns)) return found;
  }
  return nullptr;
}

xmlNode* find(const core::XmlDocPtr& doc, const char* name, const char* ns) {
  return find(xmlDocGetRootElement(doc.get()), name, ns);
}

core::XmlDocPtr parse(const std::string& text) {
  auto doc = core::parseXml(text);
  REQUIRE_MESSAGE(doc.ok(), failure(doc));
  return std::move(doc).value();
}

std::string readFile(const std::string& name) {
  std::ifstream in(kDataDir + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::time_t parseUtc(const std::string& text) {
  std::tm tm{};
  REQUIRE_MESSAGE(strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm), text);
  return timegm(&tm);
}

// Checks a signed envelope with xmlsec alone, the way a receiving stack would: ids registered
// by hand, the key taken from the certificate file. Returns whether the signature holds.
bool verifiedWith(xmlDoc& doc, const std::string& cert_file) {
  for (xmlNode* node : {find(xmlDocGetRootElement(&doc), "Body", soap::kSoap11Ns),
                        find(xmlDocGetRootElement(&doc), "Timestamp", soap::kWsuNs),
                        find(xmlDocGetRootElement(&doc), "BinarySecurityToken", soap::kWsseNs)}) {
    REQUIRE(node);
    xmlAttr* id = xmlHasNsProp(node, x("Id"), x(soap::kWsuNs));
    REQUIRE(id);
    std::unique_ptr<xmlChar, void (*)(void*)> value(xmlNodeListGetString(&doc, id->children, 1),
                                                    xmlFree);
    xmlAddID(nullptr, &doc, value.get(), id);
  }
  xmlNode* signature = find(xmlDocGetRootElement(&doc), "Signature", kDsNs);
  REQUIRE(signature);
  std::unique_ptr<xmlSecDSigCtx, void (*)(xmlSecDSigCtx*)> ctx(xmlSecDSigCtxCreate(nullptr),
                                                               xmlSecDSigCtxDestroy);
  ctx->signKey = xmlSecCryptoAppKeyLoad(cert_file.c_str(), xmlSecKeyDataFormatCertPem, nullptr,
                                        nullptr, nullptr);
  REQUIRE(ctx->signKey);
  REQUIRE(xmlSecDSigCtxVerify(ctx.get(), signature) >= 0);
  return ctx->status == xmlSecDSigStatusSucceeded;
}

// How a signed test reply is made: its Timestamp (none when `ttl` is unset) and what is signed.
struct ReplyOptions {
  std::optional<std::chrono::milliseconds> ttl = 5min;
  std::chrono::system_clock::duration created_offset{0};  // Created = now + this
  bool sign_timestamp = true;
};

// A 1.1 reply envelope around kReplyPayload, signed over Body and Timestamp by `key`, the way
// a WS-Security stack on the back-end would send it.
std::string signedReply(const std::string& key, const std::string& cert,
                        const ReplyOptions& options = {}) {
  auto credentials = soap::SigningCredentials::load(kDataDir + key, kDataDir + cert, "");
  REQUIRE_MESSAGE(credentials.ok(), failure(credentials));
  auto doc = parse(std::string("<s:Envelope xmlns:s=\"") + soap::kSoap11Ns +
                   "\"><s:Header/><s:Body>" + kReplyPayload + "</s:Body></s:Envelope>");
  xmlNode* root = xmlDocGetRootElement(doc.get());
  xmlNode* header = find(root, "Header", soap::kSoap11Ns);
  xmlNode* body = find(root, "Body", soap::kSoap11Ns);
  soap::WsSecurityConfig config;
  config.timestamp_ttl = options.ttl;
  auto added = soap::addSecurityHeader(*header, *root->ns, false, config,
                                       std::chrono::system_clock::now() + options.created_offset);
  REQUIRE(added.ok());
  REQUIRE(soap::setWsuId(*body, "reply-body").ok());
  std::vector<xmlNode*> signed_elements{body};
  if (added->timestamp) {
    REQUIRE(soap::setWsuId(*added->timestamp, "reply-ts").ok());
    if (options.sign_timestamp) signed_elements.push_back(added->timestamp);
  }
  auto signed_ok = (*credentials)->sign(*added->security, signed_elements);
  REQUIRE_MESSAGE(signed_ok.ok(), failure(signed_ok));
  return core::serializeXml(*doc, true);
}

}  // namespace

TEST_CASE("soap wssec UsernameToken with PasswordText") {
  ScopedEnv password("EGOV_TEST_SOAP_PASSWORD", "s3gr&to");
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) { return okReply(); });
  auto endpoint = rt.endpoint(endpointYaml(
      server, "  username: bus-bari\n  password: \"${env:EGOV_TEST_SOAP_PASSWORD}\"\n"));
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  auto reply = callOnce(*endpoint);
  REQUIRE_MESSAGE(reply.ok(), failure(reply));
  CHECK(core::serializeXml(**reply) == kReplyPayload);

  auto sent = parse(server.requests().at(0).body);
  xmlNode* security = find(sent, "Security", soap::kWsseNs);
  REQUIRE(security);
  CHECK(core::xmlText(xmlHasNsProp(security, x("mustUnderstand"), x(soap::kSoap11Ns))->children) ==
        "1");
  CHECK(core::xmlText(find(sent, "Username", soap::kWsseNs)) == "bus-bari");
  xmlNode* sent_password = find(sent, "Password", soap::kWsseNs);
  REQUIRE(sent_password);
  CHECK(core::xmlText(sent_password) == "s3gr&to");
  CHECK(core::xmlAttr(sent_password, "Type") == soap::kPasswordTextType);
  CHECK(!find(sent, "Nonce", soap::kWsseNs));
  CHECK(!find(sent, "Timestamp", soap::kWsuNs));
}

TEST_CASE(
    "soap wssec UsernameToken with PasswordDigest: the digest recomputed from what was sent") {
  ScopedEnv password("EGOV_TEST_SOAP_PASSWORD", "segreto");
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) { return okReply(); });
  auto endpoint = rt.endpoint(endpointYaml(server,
                                           "  username: bus-bari\n"
                                           "  password: \"${env:EGOV_TEST_SOAP_PASSWORD}\"\n"
                                           "  password_type: digest\n"));
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  REQUIRE(callOnce(*endpoint).ok());
  REQUIRE(callOnce(*endpoint).ok());

  std::vector<std::string> nonces;
  for (const auto& request : server.requests()) {
    auto sent = parse(request.body);
    xmlNode* token = find(sent, "UsernameToken", soap::kWsseNs);
    REQUIRE(token);
    xmlNode* nonce = find(token, "Nonce", soap::kWsseNs);
    xmlNode* created = find(token, "Created", soap::kWsuNs);
    xmlNode* digest = find(token, "Password", soap::kWsseNs);
    REQUIRE((nonce && created && digest));
    CHECK(core::xmlAttr(nonce, "EncodingType") == soap::kBase64BinaryEncoding);
    CHECK(core::xmlAttr(digest, "Type") == soap::kPasswordDigestType);

    // Base64(SHA-1(nonce + created + password)), with OpenSSL's EVP directly.
    const std::string nonce64 = core::xmlText(nonce);
    std::string raw(nonce64.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                            reinterpret_cast<const unsigned char*>(nonce64.data()),
                            static_cast<int>(nonce64.size()));
    REQUIRE(n > 0);
    raw.resize(static_cast<std::size_t>(n) - std::count(nonce64.begin(), nonce64.end(), '='));
    CHECK(raw.size() == 16);
    const std::string input = raw + core::xmlText(created) + "segreto";
    unsigned char sha1[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    REQUIRE(EVP_Digest(input.data(), input.size(), sha1, &length, EVP_sha1(), nullptr) == 1);
    std::string expected(64, '\0');
    expected.resize(static_cast<std::size_t>(
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(expected.data()), sha1, length)));
    CHECK(core::xmlText(digest) == expected);
    CHECK(core::xmlText(digest).find("segreto") == std::string::npos);
    nonces.push_back(nonce64);
  }
  CHECK(nonces.at(0) != nonces.at(1));
}

TEST_CASE("soap wssec Timestamp: Created now, Expires after it by the ttl") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) { return okReply(); });
  auto endpoint = rt.endpoint(endpointYaml(server, "  timestamp: { ttl: 90s }\n"));
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  REQUIRE(callOnce(*endpoint).ok());
  auto sent = parse(server.requests().at(0).body);
  xmlNode* timestamp = find(sent, "Timestamp", soap::kWsuNs);
  REQUIRE(timestamp);
  const std::string created = core::xmlText(find(timestamp, "Created", soap::kWsuNs));
  const std::string expires = core::xmlText(find(timestamp, "Expires", soap::kWsuNs));
  CHECK(created.size() == std::string("2024-07-31T10:15:00.250Z").size());
  CHECK(created.back() == 'Z');
  CHECK(parseUtc(expires) - parseUtc(created) == 90);
  CHECK(!find(sent, "UsernameToken", soap::kWsseNs));
}

TEST_CASE(
    "soap wssec signature over Body and Timestamp verifies with xmlsec; tampering breaks it") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) { return okReply(); });
  auto endpoint = rt.endpoint(
      endpointYaml(server, "  sign: { key_file: bus-key.pem, cert_file: bus-cert.pem }\n"));
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  auto reply = callOnce(*endpoint);
  REQUIRE_MESSAGE(reply.ok(), failure(reply));

  const std::string sent_text = server.requests().at(0).body;
  auto sent = parse(sent_text);
  xmlNode* root = xmlDocGetRootElement(sent.get());
  // A timestamp is always signed along: a signature without one could be replayed for ever.
  xmlNode* timestamp = find(root, "Timestamp", soap::kWsuNs);
  xmlNode* body = find(root, "Body", soap::kSoap11Ns);
  xmlNode* token = find(root, "BinarySecurityToken", soap::kWsseNs);
  REQUIRE((timestamp && body && token));
  CHECK(core::xmlAttr(token, "ValueType") == soap::kX509v3ValueType);
  CHECK(core::xmlAttr(token, "EncodingType") == soap::kBase64BinaryEncoding);
  {
    // The token holds the configured certificate.
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_file((kDataDir + "bus-cert.pem").c_str(), "r"), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    REQUIRE(cert);
    unsigned char* der = nullptr;
    const int size = i2d_X509(cert.get(), &der);
    CHECK(core::xmlText(token) ==
          soap::base64Encode(std::string_view(reinterpret_cast<char*>(der), size)));
    OPENSSL_free(der);
  }
  xmlNode* signature = find(root, "Signature", kDsNs);
  REQUIRE(signature);
  CHECK(core::xmlAttr(find(signature, "SignatureMethod", kDsNs), "Algorithm") ==
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
  CHECK(core::xmlAttr(find(signature, "CanonicalizationMethod", kDsNs), "Algorithm") ==
        "http://www.w3.org/2001/10/xml-exc-c14n#");
  CHECK(core::xmlAttr(find(signature, "DigestMethod", kDsNs), "Algorithm") ==
        "http://www.w3.org/2001/04/xmlenc#sha256");
  std::vector<std::string> uris;
  for (xmlNode* ref = find(signature, "Reference", kDsNs); ref; ref = ref->next) {
    if (ref->type == XML_ELEMENT_NODE) uris.push_back(core::xmlAttr(ref, "URI"));
  }
  auto idOf = [](xmlNode* node) {
    return core::xmlText(xmlHasNsProp(node, x("Id"), x(soap::kWsuNs))->children);
  };
  CHECK(uris == std::vector<std::string>{"#" + idOf(body), "#" + idOf(timestamp)});
  xmlNode* key_info = find(signature, "KeyInfo", kDsNs);
  REQUIRE(key_info);
  CHECK(core::xmlAttr(find(key_info, "Reference", soap::kWsseNs), "URI") == "#" + idOf(token));

  CHECK(verifiedWith(*sent, kDataDir + "bus-cert.pem"));
  CHECK(!verifiedWith(*parse(sent_text), kDataDir + "other-cert.pem"));

  auto tampered = parse(sent_text);
  xmlNode* cf =
      find(xmlDocGetRootElement(tampered.get()), "codiceFiscale", "urn:comune:tributi:posizioni");
  REQUIRE(cf);
  xmlNodeSetContent(cf, x("VRDGPP80A01A662B"));
  CHECK(!verifiedWith(*tampered, kDataDir + "bus-cert.pem"));
}

TEST_CASE("soap wssec an encrypted signing key needs its key_password") {
  ScopedEnv password("EGOV_TEST_SOAP_KEY_PASSWORD", "segreto");
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) { return okReply(); });
  auto endpoint =
      rt.endpoint(endpointYaml(server,
                               "  sign:\n"
                               "    key_file: bus-key-encrypted.pem\n"
                               "    cert_file: bus-cert.pem\n"
                               "    key_password: \"${env:EGOV_TEST_SOAP_KEY_PASSWORD}\"\n"));
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  REQUIRE(callOnce(*endpoint).ok());
  CHECK(verifiedWith(*parse(server.requests().at(0).body), kDataDir + "bus-cert.pem"));

  Runtime without;
  CHECK(!without.endpoint(endpointYaml(
      server, "  sign: { key_file: bus-key-encrypted.pem, cert_file: bus-cert.pem }\n")));
  CHECK(without.errors.str().find("endpoints.x.wssec.sign.key_file: cannot read the private key") !=
        std::string::npos);
}

TEST_CASE("soap wssec verify_response accepts a reply signed by the configured certificate") {
  const std::string reply = signedReply("backend-key.pem", "backend-cert.pem");
  Runtime rt;
  TestHttpServer server([&](const TestHttpRequest&) {
    return TestHttpResponse{200, "text/xml", reply};
  });
  auto endpoint =
      rt.endpoint(endpointYaml(server, "  verify_response: { cert_file: backend-cert.pem }\n"));
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  auto result = callOnce(*endpoint);
  REQUIRE_MESSAGE(result.ok(), failure(result));
  // The payload alone, without the wsu namespace the signed Body declared.
  CHECK(core::serializeXml(**result) == kReplyPayload);
}

TEST_CASE(
    "soap wssec verify_response refuses unsigned, wrongly signed, tampered and wrapped replies") {
  const std::string good = signedReply("backend-key.pem", "backend-cert.pem");

  // The signed Body moved into a header, a new Body put in its place: the signature still
  // verifies, but over an element the reader would not use.
  auto wrapped = [&](bool same_id) {
    auto doc = parse(good);
    xmlNode* root = xmlDocGetRootElement(doc.get());
    xmlNode* header = find(root, "Header", soap::kSoap11Ns);
    xmlNode* body = find(root, "Body", soap::kSoap11Ns);
    xmlNode* wrapper = xmlNewChild(header, nullptr, x("Wrapper"), nullptr);
    xmlUnlinkNode(body);
    xmlAddChild(wrapper, body);
    xmlNode* evil = xmlNewChild(root, root->ns, x("Body"), nullptr);
    if (same_id) {
      xmlNs* wsu = xmlNewNs(evil, x(soap::kWsuNs), x("wsu"));
      xmlSetNsProp(evil, wsu, x("Id"), x("reply-body"));
    }
    xmlNode* payload = xmlNewChild(evil, nullptr, x("Esito"), nullptr);
    xmlNewChild(payload, nullptr, x("stato"), x("annullato"));
    return core::serializeXml(*doc, true);
  };
  std::string tampered = good;
  tampered.replace(tampered.find("pagato"), 6, "annullato");

  const std::pair<std::string, const char*> cases[] = {
      {okReply().body, "t/x: the reply is not signed"},
      {signedReply("other-key.pem", "other-cert.pem"),
       "t/x: the reply's signature does not match the configured certificate"},
      {tampered, "t/x: the reply's signature does not match the configured certificate"},
      {wrapped(false), "t/x: the reply's signature does not cover its SOAP Body"},
      {wrapped(true), "t/x: the reply has two elements with the same wsu:Id"},
  };
  for (const auto& [body, message] : cases) {
    CAPTURE(message);
    Runtime rt;
    TestHttpServer server([&](const TestHttpRequest&) {
      return TestHttpResponse{200, "text/xml", body};
    });
    auto endpoint =
        rt.endpoint(endpointYaml(server, "  verify_response: { cert_file: backend-cert.pem }\n"));
    REQUIRE_MESSAGE(endpoint, rt.errors.str());
    auto result = callOnce(*endpoint);
    REQUIRE(!result.ok());
    CHECK(result.error().kind == core::ErrorKind::backend_invalid);
    CHECK(result.error().message == message);
  }
}

TEST_CASE("soap wssec verify_response checks the reply's Timestamp and that it is signed") {
  // The times are minutes away from the limits, so no test machine is slow enough to matter.
  ReplyOptions expired;
  expired.created_offset = -10min;  // Expires 5 minutes ago
  ReplyOptions future;
  future.created_offset = 10min;  // beyond the default skew of 60s
  ReplyOptions unsigned_timestamp;
  unsigned_timestamp.sign_timestamp = false;
  const std::pair<std::string, const char*> refused[] = {
      {signedReply("backend-key.pem", "backend-cert.pem", expired),
       "t/x: the reply's wsu:Timestamp has expired (Expires "},
      {signedReply("backend-key.pem", "backend-cert.pem", future),
       "t/x: the reply's wsu:Timestamp was created in the future (Created "},
      {signedReply("backend-key.pem", "backend-cert.pem", unsigned_timestamp),
       "t/x: the reply's signature does not cover its wsu:Timestamp"},
  };
  for (const auto& [body, message] : refused) {
    CAPTURE(message);
    Runtime rt;
    TestHttpServer server([&](const TestHttpRequest&) {
      return TestHttpResponse{200, "text/xml", body};
    });
    auto endpoint =
        rt.endpoint(endpointYaml(server, "  verify_response: { cert_file: backend-cert.pem }\n"));
    REQUIRE_MESSAGE(endpoint, rt.errors.str());
    auto result = callOnce(*endpoint);
    REQUIRE(!result.ok());
    CHECK(result.error().kind == core::ErrorKind::backend_invalid);
    CHECK(result.error().backend_status == 200);
    CHECK_MESSAGE(result.error().message.starts_with(message), result.error().message);
  }

  // A second Timestamp (one the signature may not cover) is refused before anything is read.
  std::string twice = signedReply("backend-key.pem", "backend-cert.pem");
  const auto ts = twice.find("<wsu:Timestamp");
  REQUIRE(ts != std::string::npos);
  twice.insert(ts,
               "<wsu:Timestamp><wsu:Created>2099-01-01T00:00:00Z</wsu:Created></wsu:Timestamp>");

  // Accepted: a Created a little ahead (within the skew), and a signed reply with no Timestamp.
  ReplyOptions ahead;
  ahead.created_offset = 20s;
  ReplyOptions no_timestamp;
  no_timestamp.ttl.reset();
  const std::string ahead_reply = signedReply("backend-key.pem", "backend-cert.pem", ahead);
  for (const std::string& body :
       {ahead_reply, signedReply("backend-key.pem", "backend-cert.pem", no_timestamp)}) {
    Runtime rt;
    TestHttpServer server([&](const TestHttpRequest&) {
      return TestHttpResponse{200, "text/xml", body};
    });
    auto endpoint =
        rt.endpoint(endpointYaml(server, "  verify_response: { cert_file: backend-cert.pem }\n"));
    REQUIRE_MESSAGE(endpoint, rt.errors.str());
    auto result = callOnce(*endpoint);
    REQUIRE_MESSAGE(result.ok(), failure(result));
    CHECK(core::serializeXml(**result) == kReplyPayload);
  }

  Runtime rt;
  TestHttpServer server([&](const TestHttpRequest& request) {
    return TestHttpResponse{200, "text/xml", request.target == "/twice" ? twice : ahead_reply};
  });
  // With no tolerance the reply created 20s ahead is refused too.
  auto strict = rt.endpoint(
      endpointYaml(server, "  verify_response: { cert_file: backend-cert.pem, clock_skew: 0s }\n"));
  REQUIRE_MESSAGE(strict, rt.errors.str());
  auto result = callOnce(*strict);
  REQUIRE(!result.ok());
  CHECK(result.error().message.starts_with(
      "t/x: the reply's wsu:Timestamp was created in the future"));
  auto doubled = rt.endpoint("type: soap\nurl: " + server.url("/twice") +
                             "\nwssec:\n  verify_response: { cert_file: backend-cert.pem }\n");
  REQUIRE(doubled);
  result = callOnce(*doubled);
  REQUIRE(!result.ok());
  CHECK(result.error().kind == core::ErrorKind::backend_invalid);
  CHECK(result.error().message ==
        "t/x: the reply's Security header has more than one wsu:Timestamp");
}

TEST_CASE("soap wssec reply timestamps: xs:dateTime reading and the checks at their limits") {
  using std::chrono::system_clock;
  const auto at = [](const char* text) {
    auto instant = core::parseXsDateTime(text);
    REQUIRE_MESSAGE(instant, text);
    return *instant;
  };
  CHECK(soap::xsDateTime(at("2025-03-01T10:15:00Z")) == "2025-03-01T10:15:00.000Z");
  CHECK(soap::xsDateTime(at("2025-03-01T10:15:00.25Z")) == "2025-03-01T10:15:00.250Z");
  CHECK(soap::xsDateTime(at("2025-03-01T11:15:00+01:00")) == "2025-03-01T10:15:00.000Z");
  CHECK(soap::xsDateTime(at("2025-03-01T00:15:00.123456-02:30")) == "2025-03-01T02:45:00.123Z");
  for (const char* bad : {"2025-03-01T10:15:00", "2025-02-30T10:15:00Z", "2025-03-01 10:15:00Z",
                          "2025-03-01T24:00:00Z", "2025-03-01T10:15:00.Z", "2025-03-01T10:15Z",
                          "2025-03-01T10:15:00Zx", "", "tomorrow"}) {
    CAPTURE(bad);
    CHECK_FALSE(core::parseXsDateTime(bad));
  }

  const auto timestamp = [](const std::string& inner) {
    return parse(std::string("<wsu:Timestamp xmlns:wsu=\"") + soap::kWsuNs + "\">" + inner +
                 "</wsu:Timestamp>");
  };
  const auto check = [&](const std::string& inner, const char* now, std::chrono::seconds skew) {
    auto doc = timestamp(inner);
    return soap::checkTimestamp(*xmlDocGetRootElement(doc.get()), at(now), skew);
  };
  const std::string window =
      "<wsu:Created>2025-03-01T10:00:00Z</wsu:Created><wsu:Expires>2025-03-01T10:05:00Z"
      "</wsu:Expires>";
  CHECK(check(window, "2025-03-01T10:00:00Z", 0s).ok());
  CHECK(check(window, "2025-03-01T10:04:59.999Z", 0s).ok());
  CHECK(check(window, "2025-03-01T09:59:30Z", 30s).ok());  // Created 30s ahead: the skew
  const std::pair<std::tuple<std::string, const char*, std::chrono::seconds>, const char*>
      refused[] = {
          {{window, "2025-03-01T10:05:00Z", 30s},
           "the reply's wsu:Timestamp has expired (Expires 2025-03-01T10:05:00.000Z, now "
           "2025-03-01T10:05:00.000Z)"},
          {{window, "2025-03-01T09:59:29Z", 30s},
           "the reply's wsu:Timestamp was created in the future (Created "
           "2025-03-01T10:00:00.000Z, now 2025-03-01T09:59:29.000Z)"},
          {{"<wsu:Created>yesterday</wsu:Created>", "2025-03-01T10:00:00Z", 30s},
           "the reply's wsu:Timestamp has an unreadable Created (yesterday)"},
          {{"<wsu:Expires>2025-03-01T10:05:00</wsu:Expires>", "2025-03-01T10:00:00Z", 30s},
           "the reply's wsu:Timestamp has an unreadable Expires (2025-03-01T10:05:00)"},
          {{"<wsu:Created>2025-03-01T10:00:00Z</wsu:Created>"
            "<wsu:Created>2025-03-01T10:01:00Z</wsu:Created>",
            "2025-03-01T10:00:00Z", 30s},
           "the reply's wsu:Timestamp has more than one Created"},
          {{"<wsu:Created>2025-03-01T10:06:00Z</wsu:Created>"
            "<wsu:Expires>2025-03-01T10:05:00Z</wsu:Expires>",
            "2025-03-01T10:04:00Z", 600s},
           "the reply's wsu:Timestamp expires before it was created"},
      };
  for (const auto& [input, message] : refused) {
    const auto& [inner, now, skew] = input;
    CAPTURE(inner);
    auto result = check(inner, now, skew);
    REQUIRE(!result.ok());
    CHECK(result.error().kind == core::ErrorKind::backend_invalid);
    CHECK(result.error().message == message);
  }
}

TEST_CASE("soap wssec a fault is reported as such even when replies must be signed") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) {
    return TestHttpResponse{500, "text/xml", readFile("fault-11-client.xml")};
  });
  auto endpoint =
      rt.endpoint(endpointYaml(server, "  verify_response: { cert_file: backend-cert.pem }\n"));
  REQUIRE(endpoint);
  auto result = callOnce(*endpoint);
  REQUIRE(!result.ok());
  CHECK(result.error().kind == core::ErrorKind::backend_rejected);
}

TEST_CASE("soap wssec config rejects what cannot work, with file:line:col") {
  ScopedEnv password("EGOV_TEST_SOAP_PASSWORD", "segreto");
  const std::pair<const char*, const char*> cases[] = {
      {"  username: bus\n  password_type: digest\n",
       "tenant.yaml:4:3: endpoints.x.wssec.password: password_type digest needs a password"},
      {"  username: bus\n  password: segreto\n",
       "tenant.yaml:5:13: endpoints.x.wssec.password: must be a ${env:NAME} or ${file:PATH} "
       "reference"},
      {"  password: \"${env:EGOV_TEST_SOAP_PASSWORD}\"\n",
       "tenant.yaml:4:3: endpoints.x.wssec.username: missing key"},
      {"  username: bus\n  password: \"${env:EGOV_TEST_SOAP_PASSWORD}\"\n  password_type: md5\n",
       "tenant.yaml:6:18: endpoints.x.wssec.password_type: expected text or digest"},
      {"  sign: { cert_file: bus-cert.pem }\n",
       "tenant.yaml:4:9: endpoints.x.wssec.sign.key_file: missing key"},
      {"  sign: { key_file: bus-key.pem, cert_file: other-cert.pem }\n",
       "endpoints.x.wssec.sign.key_file: "},
      {"  sign: { key_file: missing.pem, cert_file: bus-cert.pem }\n",
       "endpoints.x.wssec.sign.key_file: cannot read file "},
      {"  verify_response: { cert_file: bus-key.pem }\n",
       "endpoints.x.wssec.verify_response.cert_file: no PEM certificate in "},
      {"  timestamp: { ttl: 0s }\n",
       "tenant.yaml:4:21: endpoints.x.wssec.timestamp.ttl: must be "
       "greater than 0"},
      {"  encrypt: true\n", "tenant.yaml:4:3: endpoints.x.wssec.encrypt: unknown key"},
      {"  verify_response: { cert_file: backend-cert.pem, clock_skew: 1h }\n",
       "tenant.yaml:4:63: endpoints.x.wssec.verify_response.clock_skew: must be between 0s and "
       "10m"},
      {"  verify_response: { cert_file: backend-cert.pem, clock_skew: soon }\n",
       "tenant.yaml:4:63: endpoints.x.wssec.verify_response.clock_skew: expected a duration"},
  };
  for (const auto& [wssec, message] : cases) {
    CAPTURE(wssec);
    Runtime rt;
    CHECK(!rt.endpoint(std::string("type: soap\nurl: http://127.0.0.1:1/ws\nwssec:\n") + wssec));
    const std::string text = rt.errors.str();
    CAPTURE(text);
    CHECK(text.find(message) != std::string::npos);
    CHECK(text.find("segreto") == std::string::npos);
  }
  // The key and certificate that do not belong together say so.
  Runtime rt;
  CHECK(
      !rt.endpoint("type: soap\nurl: http://127.0.0.1:1/ws\nwssec:\n"
                   "  sign: { key_file: bus-key.pem, cert_file: other-cert.pem }\n"));
  CHECK(rt.errors.str().find("other-cert.pem does not hold the public key of") !=
        std::string::npos);
}
