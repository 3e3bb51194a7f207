// The soap adapter against a real HTTP peer on 127.0.0.1: envelopes, versions, faults,
// classification, response schemas, timeouts, and its config. WS-Security is in
// soap_wssec_test.cpp, the third-party interop in tests/interop/soap_interop_test.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <yaml-cpp/yaml.h>

#include "adapters/soap/soap_config.hpp"
#include "adapters/soap/soap_factory.hpp"
#include "adapters/soap/soap_message.hpp"
#include "core/engine/bus.hpp"
#include "core/engine/endpoint.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/api.hpp"
#include "core/xml/xml.hpp"
#include "tests/support/adapter_runtime.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"
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
constexpr const char* kPayload =
    "<t:ElencoPosizioniRichiesta xmlns:t=\"urn:comune:tributi:posizioni\">"
    "<t:codiceFiscale>RSSMRA80A01A662A</t:codiceFiscale><t:anno>2024</t:anno>"
    "</t:ElencoPosizioniRichiesta>";

std::string readData(const std::string& name) {
  std::ifstream in(kDataDir + name, std::ios::binary);
  REQUIRE_MESSAGE(in, "missing test data " << name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What the bus gives adapters, one per test as the bus has one per process.
struct Runtime : egov::test::AdapterRuntime {
  // `file` is where the settings pretend to come from: relative paths resolve against it.
  std::shared_ptr<core::Endpoint> endpoint(const std::string& yaml,
                                           const std::string& file = "test.yaml") {
    return soap::makeSoapEndpoint(context(YAML::Load(yaml), file));
  }
};

core::Exchange exchangeWith(std::string_view xml) {
  core::Exchange exchange;
  exchange.id = "5b0c7a1e-0000-4000-8000-000000000002";
  exchange.trace_id = "trace-7";
  auto body = core::parseXml(xml);
  REQUIRE(body.ok());
  exchange.body = std::move(body).value();
  return exchange;
}

core::Result<core::XmlDocPtr> callOnce(core::Endpoint& endpoint, const core::Exchange& exchange,
                                       core::Clock::time_point deadline) {
  core::CallRequest request{exchange, *exchange.body, deadline};  // outlives the coroutine
  return runCoroutine(endpoint.call(request));
}

core::Result<core::XmlDocPtr> callOnce(core::Endpoint& endpoint) {
  auto exchange = exchangeWith(kPayload);
  return callOnce(endpoint, exchange, core::Clock::now() + 5s);
}

template <class T>
std::string failure(const core::Result<T>& result) {
  return result.ok() ? std::string() : result.error().message;
}

std::string endpointYaml(const TestHttpServer& server, std::string_view extra = "") {
  return "type: soap\nurl: " + server.url("/ws") + "\n" + std::string(extra);
}

TestHttpResponse soap11(int status, std::string body) {
  return {status, "text/xml; charset=utf-8", std::move(body)};
}

// The element children of the sent envelope, as "Header,Body".
std::string envelopeShape(const xmlNode* envelope) {
  std::string shape;
  for (const xmlNode* child = envelope->children; child; child = child->next) {
    if (child->type != XML_ELEMENT_NODE) continue;
    if (!shape.empty()) shape += ",";
    shape += reinterpret_cast<const char*>(child->name);
  }
  return shape;
}

const xmlNode* lastElement(const xmlNode* parent) {
  const xmlNode* last = nullptr;
  for (const xmlNode* child = parent->children; child; child = child->next) {
    if (child->type == XML_ELEMENT_NODE) last = child;
  }
  return last;
}

}  // namespace

TEST_CASE("soap 1.1 round trip: envelope, SOAPAction, payload in and out with its namespaces") {
  Runtime rt;
  TestHttpServer server(
      [](const TestHttpRequest&) { return soap11(200, readData("reply-11.xml")); });
  auto endpoint = rt.endpoint(endpointYaml(server,
                                           "action: urn:comune:tributi:posizioni/ElencoPosizioni\n"
                                           "headers: { X-Ente: C_A662 }\n"));
  REQUIRE(endpoint);
  CHECK(endpoint->type() == "soap");

  auto exchange = exchangeWith(kPayload);
  auto reply = callOnce(*endpoint, exchange, core::Clock::now() + 5s);
  REQUIRE_MESSAGE(reply.ok(), failure(reply));
  // The payload keeps the prefixes the Envelope declared, so xsi:type="t:Posizione" still means
  // what it meant; the envelope's own namespace stays behind.
  const std::string out = core::serializeXml(**reply);
  CHECK(out.rfind("<t:ElencoPosizioniRisposta xmlns:t=\"urn:comune:tributi:posizioni\" "
                  "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">",
                  0) == 0);
  CHECK(out.find("<t:posizione xsi:type=\"t:Posizione\">") != std::string::npos);
  CHECK(out.find("soapenv") == std::string::npos);

  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  const auto& sent = requests[0];
  CHECK(sent.method == "POST");
  CHECK(sent.target == "/ws");
  CHECK(sent.header("Content-Type") == "text/xml; charset=utf-8");
  CHECK(sent.header("SOAPAction") == "\"urn:comune:tributi:posizioni/ElencoPosizioni\"");
  CHECK(sent.header("X-Ente") == "C_A662");
  CHECK(sent.header("X-Egov-Exchange-Id") == exchange.id);
  CHECK(sent.header("X-Request-Id") == "trace-7");

  auto envelope = core::parseXml(sent.body);
  REQUIRE_MESSAGE(envelope.ok(), failure(envelope));
  const xmlNode* root = xmlDocGetRootElement(envelope->get());
  CHECK(std::string(reinterpret_cast<const char*>(root->name)) == "Envelope");
  CHECK(std::string(reinterpret_cast<const char*>(root->ns->href)) == soap::kSoap11Ns);
  CHECK(envelopeShape(root) == "Body");  // no Header without WS-Security
  CHECK(core::serializeXmlNode(*lastElement(lastElement(root))) == kPayload);
}

TEST_CASE("soap 1.2 round trip: application/soap+xml with the action parameter, no SOAPAction") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) {
    return TestHttpResponse{200, "application/soap+xml; charset=utf-8", readData("reply-12.xml")};
  });
  auto endpoint = rt.endpoint(endpointYaml(server, "version: \"1.2\"\naction: urn:x/Elenco\n"));
  REQUIRE(endpoint);
  auto reply = callOnce(*endpoint);
  REQUIRE_MESSAGE(reply.ok(), failure(reply));
  CHECK(core::serializeXml(**reply).rfind(
            "<ElencoPosizioniRisposta xmlns=\"urn:comune:tributi:posizioni\">", 0) == 0);

  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].header("Content-Type") ==
        "application/soap+xml; charset=utf-8; action=\"urn:x/Elenco\"");
  CHECK(requests[0].header("SOAPAction").empty());
  auto envelope = core::parseXml(requests[0].body);
  REQUIRE(envelope.ok());
  const xmlNode* root = xmlDocGetRootElement(envelope->get());
  CHECK(std::string(reinterpret_cast<const char*>(root->ns->href)) == soap::kSoap12Ns);
  CHECK(core::serializeXmlNode(*lastElement(lastElement(root))) == kPayload);
}

TEST_CASE("soap 1.1 without action still sends an empty quoted SOAPAction") {
  Runtime rt;
  TestHttpServer server(
      [](const TestHttpRequest&) { return soap11(200, readData("reply-11.xml")); });
  auto endpoint = rt.endpoint(endpointYaml(server));
  REQUIRE(endpoint);
  REQUIRE(callOnce(*endpoint).ok());
  CHECK(server.requests().at(0).header("SOAPAction") == "\"\"");
}

TEST_CASE("soap faults in 500, 400 and 200 are classified by code and never quote the detail") {
  struct Case {
    const char* file;
    const char* version;
    int status;
    core::ErrorKind kind;
    const char* message;
  };
  const Case cases[] = {
      {"fault-11-client.xml", "1.1", 500, core::ErrorKind::backend_rejected,
       "t/x: SOAP fault soap:Client: Codice fiscale sconosciuto"},
      {"fault-11-client.xml", "1.1", 200, core::ErrorKind::backend_rejected,
       "t/x: SOAP fault soap:Client: Codice fiscale sconosciuto"},
      {"fault-11-server.xml", "1.1", 500, core::ErrorKind::backend_unavailable,
       "t/x: SOAP fault S:Server.Database: Database non raggiungibile"},
      {"fault-11-server.xml", "1.1", 200, core::ErrorKind::backend_unavailable,
       "t/x: SOAP fault S:Server.Database: Database non raggiungibile"},
      {"fault-12-sender.xml", "1.2", 400, core::ErrorKind::backend_rejected,
       "t/x: SOAP fault env:Sender: Anno non valido"},
      {"fault-12-receiver.xml", "1.2", 500, core::ErrorKind::backend_unavailable,
       "t/x: SOAP fault env:Receiver: Servizio temporaneamente non disponibile"},
      {"fault-12-receiver.xml", "1.2", 200, core::ErrorKind::backend_unavailable,
       "t/x: SOAP fault env:Receiver: Servizio temporaneamente non disponibile"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.file);
    CAPTURE(c.status);
    Runtime rt;
    TestHttpServer server(
        [&](const TestHttpRequest&) { return soap11(c.status, readData(c.file)); });
    auto endpoint =
        rt.endpoint(endpointYaml(server, std::string("version: \"") + c.version + "\"\n"));
    REQUIRE(endpoint);
    auto reply = callOnce(*endpoint);
    REQUIRE(!reply.ok());
    CHECK(reply.error().kind == c.kind);
    CHECK(reply.error().message == c.message);
    CHECK(reply.error().backend_status == c.status);
    CHECK(reply.error().message.find("RSSMRA") == std::string::npos);
  }
}

TEST_CASE("soap replies that are not a SOAP answer of the right version are backend_invalid") {
  const std::string reply11 = readData("reply-11.xml");
  const std::pair<TestHttpResponse, const char*> cases[] = {
      {{200, "text/html", "<p>Manutenzione in corso"}, "t/x: invalid XML reply: "},
      {{200, "text/plain", "OK"}, "t/x: invalid XML reply: "},
      {{200, "text/xml", ""}, "t/x: empty reply"},
      {{200, "text/xml", "<ElencoPosizioniRisposta/>"}, "t/x: the reply is not a SOAP envelope"},
      {{200, "application/soap+xml", readData("reply-12.xml")},
       "t/x: the reply is a SOAP 1.2 envelope, not 1.1"},
      {{200, "text/xml",
        "<s:Envelope "
        "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header/></s:Envelope>"},
       "t/x: the SOAP envelope has no Body"},
      {{200, "text/xml",
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body/><s:Body/>"
        "</s:Envelope>"},
       "t/x: unexpected content in the SOAP envelope"},
      {{200, "text/xml",
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body/></s:Envelope>"},
       "t/x: the SOAP Body is empty"},
      {{200, "text/xml",
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><a/><b/>"
        "</s:Body></s:Envelope>"},
       "t/x: the SOAP Body must hold exactly one element"},
      {{200, "text/xml",
        "<!DOCTYPE x [<!ENTITY e \"boom\">]><s:Envelope "
        "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><a>&e;</a></s:Body>"
        "</s:Envelope>"},
       "t/x: invalid XML reply: "},
  };
  for (const auto& [response, message] : cases) {
    CAPTURE(response.body);
    Runtime rt;
    TestHttpServer server([&](const TestHttpRequest&) { return response; });
    auto endpoint = rt.endpoint(endpointYaml(server));
    REQUIRE(endpoint);
    auto reply = callOnce(*endpoint);
    REQUIRE(!reply.ok());
    CHECK(reply.error().kind == core::ErrorKind::backend_invalid);
    CHECK(reply.error().message.rfind(message, 0) == 0);
    CHECK(reply.error().message.find("boom") == std::string::npos);
  }
}

TEST_CASE("soap HTTP errors without a fault are classified like the http adapter's") {
  const std::tuple<int, std::string, core::ErrorKind> cases[] = {
      {503, "Service Unavailable", core::ErrorKind::backend_unavailable},
      {500, readData("reply-11.xml"), core::ErrorKind::backend_unavailable},  // no fault in it
      {404, "<html>not here</html>", core::ErrorKind::backend_rejected},
      {401, "", core::ErrorKind::backend_rejected},
      {302, "", core::ErrorKind::backend_invalid},
  };
  for (const auto& [status, body, kind] : cases) {
    CAPTURE(status);
    Runtime rt;
    TestHttpServer server([&](const TestHttpRequest&) { return soap11(status, body); });
    auto endpoint = rt.endpoint(endpointYaml(server));
    REQUIRE(endpoint);
    auto reply = callOnce(*endpoint);
    REQUIRE(!reply.ok());
    CHECK(reply.error().kind == kind);
    CHECK(reply.error().backend_status == status);
    CHECK(reply.error().message.rfind("t/x: HTTP " + std::to_string(status), 0) == 0);
  }
}

TEST_CASE("soap one-way answers (202 or 204 without a body) give an empty JSON object") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) { return TestHttpResponse{202, "", ""}; });
  auto endpoint = rt.endpoint(endpointYaml(server));
  REQUIRE(endpoint);
  auto reply = callOnce(*endpoint);
  REQUIRE_MESSAGE(reply.ok(), failure(reply));
  CHECK(core::serializeXml(**reply) == "<map xmlns=\"http://www.w3.org/2005/xpath-functions\"/>");
}

TEST_CASE("soap response_schema validates the reply payload, relative to the YAML file") {
  std::string body = readData("reply-12.xml");
  Runtime rt;
  TestHttpServer server([&](const TestHttpRequest&) { return soap11(200, body); });
  auto endpoint = rt.endpoint(
      endpointYaml(server, "version: \"1.2\"\nresponse_schema: posizioni-risposta.xsd\n"),
      kDataDir + "tenant.yaml");
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  auto reply = callOnce(*endpoint);
  CHECK_MESSAGE(reply.ok(), failure(reply));

  body.replace(body.find("410.00"), 6, "molto");
  reply = callOnce(*endpoint);
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::backend_invalid);
  CHECK_MESSAGE(reply.error().message.rfind(
                    "t/x: the reply does not match posizioni-risposta.xsd: line 5: ", 0) == 0,
                reply.error().message);
}

TEST_CASE("soap timeout: the endpoint's own is retryable, the route deadline's is not") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) {
    std::this_thread::sleep_for(700ms);
    return soap11(200, readData("reply-11.xml"));
  });
  auto exchange = exchangeWith(kPayload);

  auto impatient = rt.endpoint(endpointYaml(server, "timeout: 100ms\n"));
  REQUIRE(impatient);
  auto reply = callOnce(*impatient, exchange, core::Clock::now() + 5s);
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::backend_unavailable);
  CHECK(reply.error().message.rfind("t/x: timeout after ", 0) == 0);

  auto patient = rt.endpoint(endpointYaml(server, "timeout: 10s\n"));
  REQUIRE(patient);
  reply = callOnce(*patient, exchange, core::Clock::now() + 100ms);
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::deadline_exceeded);
}

TEST_CASE("soap deadline already passed: deadline_exceeded and nothing is sent") {
  Runtime rt;
  TestHttpServer server(
      [](const TestHttpRequest&) { return soap11(200, readData("reply-11.xml")); });
  auto endpoint = rt.endpoint(endpointYaml(server));
  REQUIRE(endpoint);
  auto exchange = exchangeWith(kPayload);
  auto reply = callOnce(*endpoint, exchange, core::Clock::now() - 1ms);
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::deadline_exceeded);
  CHECK(server.requestCount() == 0);
}

TEST_CASE("soap connection refused is backend_unavailable") {
  Runtime rt;
  const unsigned short port = egov::test::closedLocalPort();
  auto endpoint =
      rt.endpoint("type: soap\nurl: http://127.0.0.1:" + std::to_string(port) + "/ws\n");
  REQUIRE(endpoint);
  auto reply = callOnce(*endpoint);
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::backend_unavailable);
  CHECK(reply.error().backend_status == 0);
  CHECK(reply.error().message.size() > std::string("t/x: ").size());
}

TEST_CASE("soap config defaults") {
  Runtime rt;
  core::ConfigNode node(YAML::Load("type: soap\nurl: https://example.org/ws\n"),
                        std::make_shared<const std::string>("test.yaml"), "endpoints.x",
                        &rt.errors);
  auto config = soap::parseSoapConfig(node);
  REQUIRE(config.has_value());
  CHECK(rt.errors.empty());
  CHECK(config->version == soap::SoapVersion::v11);
  CHECK(config->action.empty());
  CHECK(config->timeout == 10s);
  CHECK(config->connect_timeout == 3s);
  CHECK(config->tls.verify);
  CHECK(config->max_response_bytes == 10u * 1024 * 1024);
  CHECK(!config->response_schema);
  CHECK(!config->wssec.has_value());
}

TEST_CASE("soap config errors are reported with file:line:col and the endpoint is not built") {
  Runtime rt;
  auto endpoint = rt.endpoint(
      "type: soap\n"
      "version: \"1.3\"\n"
      "timeout: soon\n"
      "envelope: strict\n"
      "headers: { SOAPAction: x }\n");
  CHECK(!endpoint);
  const std::string text = rt.errors.str();
  INFO(text);
  CHECK(text.find("test.yaml:1:1: endpoints.x.url: missing key") != std::string::npos);
  CHECK(text.find("test.yaml:2:10: endpoints.x.version: expected \"1.1\" or \"1.2\"") !=
        std::string::npos);
  CHECK(text.find("test.yaml:3:10: endpoints.x.timeout: expected a duration") != std::string::npos);
  CHECK(text.find("test.yaml:4:1: endpoints.x.envelope: unknown key") != std::string::npos);
  CHECK(text.find("test.yaml:5:24: endpoints.x.headers.SOAPAction: header SOAPAction is set by "
                  "the adapter") != std::string::npos);
  CHECK(rt.errors.size() == 5);
}

TEST_CASE("soap config rejects bad urls, actions, schemas and limits") {
  const std::pair<const char*, const char*> cases[] = {
      {"url: ftp://example.org/ws\n", "test.yaml:2:6: endpoints.x.url: must start with http://"},
      {"url: http://example.org/ws\naction: 'a\"b'\n",
       "test.yaml:3:9: endpoints.x.action: must not contain quotes"},
      {"url: http://example.org/ws\nversion: 2\n",
       "test.yaml:3:10: endpoints.x.version: expected \"1.1\" or \"1.2\""},
      {"url: http://example.org/ws\nresponse_schema: /nonexistent/x.xsd\n",
       "test.yaml:3:18: endpoints.x.response_schema: schema does not load"},
      {"url: http://example.org/ws\nmax_response_bytes: 0\n",
       "test.yaml:3:21: endpoints.x.max_response_bytes: must be between 1 byte and 1GiB"},
      {"url: http://example.org/ws\ntls: { pin: abc }\n",
       "test.yaml:3:8: endpoints.x.tls.pin: "
       "unknown key"},
  };
  for (const auto& [yaml, message] : cases) {
    CAPTURE(yaml);
    Runtime rt;
    CHECK(!rt.endpoint(std::string("type: soap\n") + yaml));
    CHECK(rt.errors.str().find(message) != std::string::npos);
  }
}

TEST_CASE("soap faults: with `faults: reply` the fault is the body, for routes to choose on") {
  Runtime rt;
  TestHttpServer server(
      [&](const TestHttpRequest&) { return soap11(400, readData("fault-12-sender.xml")); });
  auto endpoint = rt.endpoint(endpointYaml(server, "version: \"1.2\"\nfaults: reply\n"));
  REQUIRE(endpoint);
  auto reply = callOnce(*endpoint);
  REQUIRE_MESSAGE(reply.ok(), failure(reply));
  const std::string body = core::serializeXml(**reply);
  CAPTURE(body);
  CHECK(body.starts_with("<fault xmlns=\"urn:egovbus:soap\""));
  CHECK(body.find(" code=\"env:Sender\" class=\"client\" status=\"400\"><string>Anno non "
                  "valido</string><detail>") != std::string::npos);
  // The detail travels whole, with its namespace: the route decides what to do with it.
  CHECK(body.find("<t:anno xmlns:t=\"urn:comune:tributi\">RSSMRA80A01A662A/1899</t:anno>") !=
        std::string::npos);

  // A server fault is class="server"; without `faults: reply` it stays an error.
  TestHttpServer down(
      [&](const TestHttpRequest&) { return soap11(500, readData("fault-11-server.xml")); });
  auto server_fault = callOnce(*rt.endpoint(endpointYaml(down, "faults: reply\n")));
  REQUIRE(server_fault.ok());
  CHECK(core::serializeXml(**server_fault).find("class=\"server\"") != std::string::npos);
  CHECK_FALSE(callOnce(*rt.endpoint(endpointYaml(down))).ok());

  CHECK_FALSE(rt.endpoint(endpointYaml(down, "faults: ignore\n")));
  CHECK(rt.errors.str().find("endpoints.x.faults: expected error or reply") != std::string::npos);
}

TEST_CASE("soap faults: a route chooses on the fault's code and maps its detail") {
  TestHttpServer server([&](const TestHttpRequest& request) {
    if (request.body.find("RSSMRA80A01A662A") != std::string::npos) {
      return soap11(500, readData("fault-11-client.xml"));
    }
    return soap11(500, readData("fault-11-server.xml"));
  });
  egov::test::TempConfig config;
  config.write(
      "mappings/errore.xsl",
      "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"\n"
      "    xmlns:s=\"urn:egovbus:soap\" xmlns:e=\"urn:comune:tributi:errori\"\n"
      "    exclude-result-prefixes=\"s e\">\n"
      "  <xsl:template match=\"/s:fault\">\n"
      "    <map xmlns=\"http://www.w3.org/2005/xpath-functions\">\n"
      "      <string key=\"codice\"><xsl:value-of select=\"@code\"/></string>\n"
      "      <string key=\"errore\"><xsl:value-of select=\"s:detail/e:errore\"/></string>\n"
      "    </map>\n"
      "  </xsl:template>\n"
      "</xsl:stylesheet>\n");
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
               "endpoints:\n"
               "  tributi: { type: soap, url: \"" +
                   server.url("/ws") +
                   "\", faults: reply }\n"
                   "routes:\n"
                   "  - service: tributi.posizioni\n"
                   "    steps:\n"
                   "      - map: { stylesheet: richiesta.xsl }\n"
                   "      - call: tributi\n"
                   "      - choose:\n"
                   "          - when: \"/*[local-name() = 'fault'][@class = 'client']\"\n"
                   "            steps: [ { map: errore.xsl }, { reply: { status: 422 } } ]\n"
                   "          - when: \"/*[local-name() = 'fault']\"\n"
                   "            steps: [ { reply: { error: backend-unavailable, "
                   "detail: \"tributi fuori servizio\" } } ]\n");
  config.write(
      "mappings/richiesta.xsl",
      "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"\n"
      "    xmlns:fn=\"http://www.w3.org/2005/xpath-functions\">\n"
      "  <xsl:template match=\"/fn:map\">\n"
      "    <richiesta><xsl:value-of select=\"fn:string[@key='cf']\"/></richiesta>\n"
      "  </xsl:template>\n"
      "</xsl:stylesheet>\n");
  core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
  const auto bearer = config.bearer();
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.reload(errors), errors.str());
  core::ApiHandler api(bus);
  auto get = [&](const std::string& target) {
    egov::HttpRequest request{egov::http::verb::get, target, 11};
    request.set(egov::http::field::authorization, bearer);
    request.prepare_payload();
    return runCoroutine(api.handle(std::move(request)));
  };
  auto client = get("/api/v1/bari/tributi/posizioni?cf=RSSMRA80A01A662A");
  CHECK(client.result_int() == 422);
  CHECK(client.body() ==
        R"({"codice":"soap:Client","errore":"RSSMRA80A01A662A non presente in anagrafe"})");
  auto server_fault = get("/api/v1/bari/tributi/posizioni?cf=VRDGPP80A01A662B");
  CHECK(server_fault.result_int() == 502);
  CHECK(server_fault.body().find("tributi fuori servizio") != std::string::npos);
}

TEST_CASE("soap faults: a fault the route leaves unhandled stays the error, detail unquoted") {
  TestHttpServer server(
      [&](const TestHttpRequest&) { return soap11(500, readData("fault-11-client.xml")); });
  egov::test::TempConfig config;
  config.write("schemas/esito.xsd",
               "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">"
               "<xs:element name=\"esito\" type=\"xs:string\"/></xs:schema>\n");
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
               "endpoints:\n"
               "  tributi: { type: soap, url: \"" +
                   server.url("/ws") +
                   "\", faults: reply }\n"
                   "routes:\n"
                   "  - service: tributi.posizioni\n"
                   "    steps: [ { call: tributi } ]\n"
                   "  - service: tributi.esito\n"
                   "    steps: [ { call: tributi }, { validate: esito.xsd } ]\n"
                   "  - service: tributi.grezzo\n"
                   "    steps: [ { call: tributi }, { reply: { status: 200 } } ]\n");
  core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
  const auto bearer = config.bearer();
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.reload(errors), errors.str());
  core::ApiHandler api(bus);
  auto get = [&](const std::string& target, const char* accept = "application/json") {
    egov::HttpRequest request{egov::http::verb::get, target, 11};
    request.set(egov::http::field::authorization, bearer);
    request.set(egov::http::field::accept, accept);
    request.prepare_payload();
    return runCoroutine(api.handle(std::move(request)));
  };
  for (const char* service : {"posizioni", "esito"}) {
    CAPTURE(service);
    auto response = get(std::string("/api/v1/bari/tributi/") + service);
    CHECK(response.result_int() == 502);
    CHECK(response.body().find("urn:egovbus:problem:backend-rejected") != std::string::npos);
    CHECK(
        response.body().find("bari/tributi: SOAP fault soap:Client: Codice fiscale sconosciuto") !=
        std::string::npos);
    CHECK(response.body().find("anagrafe") == std::string::npos);
  }
  // A `reply` step is the route's own decision: the fault document is its answer.
  auto raw = get("/api/v1/bari/tributi/grezzo", "application/xml");
  CAPTURE(raw.body());
  CHECK(raw.result_int() == 200);
  CHECK(raw.body().find("non presente in anagrafe") != std::string::npos);
}

// buildSoapRequest writes the envelope around the payload as text (no copy of the payload):
// the bytes are those the envelope document gave, non-ASCII text kept as UTF-8.
TEST_CASE("soap envelope without WS-Security: the payload serialized in place, byte for byte") {
  soap::SoapConfig config;
  config.url = "http://127.0.0.1:9/ws";
  const std::string payload =
      "<p:Richiesta xmlns:p=\"urn:a\" xmlns=\"urn:b\" id=\"1\"><Comune>Citt\xC3\xA0 &amp; "
      "Provincia</Comune><p:vuoto/></p:Richiesta>";
  auto body = core::parseXml("<!-- before -->" + payload);
  REQUIRE(body.ok());
  core::Exchange exchange;
  auto spec = soap::buildSoapRequest(config, exchange, **body, std::chrono::system_clock::now());
  REQUIRE(spec.ok());
  CHECK(spec->body == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"" +
                          std::string(soap::kSoap11Ns) + "\"><soap:Body>" + payload +
                          "</soap:Body></soap:Envelope>\n");
  config.version = soap::SoapVersion::v12;
  spec = soap::buildSoapRequest(config, exchange, **body, std::chrono::system_clock::now());
  REQUIRE(spec.ok());
  CHECK(spec->body.find(std::string("<soap:Envelope xmlns:soap=\"") + soap::kSoap12Ns + "\">") !=
        std::string::npos);
}

// readSoapReply keeps the parsed reply and makes the payload its root (no copy): namespaces
// declared on the Envelope and the Body move to the payload, the envelope's own stays behind,
// and nothing of the Envelope is left in the document.
TEST_CASE("soap reply payload taken out of the envelope keeps the namespaces it uses") {
  soap::SoapConfig config;
  {
    egov::adapters::http::HttpReply reply;
    reply.status = 200;
    reply.body =
        "<?xml version=\"1.0\"?><!-- c --><s:Envelope "
        "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:t=\"urn:t\">"
        "<s:Header/><s:Body xmlns:x=\"urn:x\"><t:Risposta s:encodingStyle=\"e\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><x:a xsi:type=\"t:T\">1</x:a>"
        "<b>2</b></t:Risposta></s:Body></s:Envelope><?pi after?>";
    auto doc = soap::readSoapReply(reply, config, "ep");
    REQUIRE_MESSAGE(doc.ok(), failure(doc));
    const std::string out = core::serializeXml(**doc);
    CHECK(out ==
          "<t:Risposta xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
          "xmlns:x=\"urn:x\" xmlns:t=\"urn:t\" "
          "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"e\">"
          "<x:a xsi:type=\"t:T\">1</x:a><b>2</b></t:Risposta>");
    const xmlNode* root = xmlDocGetRootElement(doc->get());
    REQUIRE(root);
    CHECK(root->prev == nullptr);
    CHECK(root->next == nullptr);
    // Every namespace reference points at a declaration inside the payload.
    auto declaredInside = [](const xmlNode* node, const xmlNs* wanted) {
      for (const xmlNode* up = node; up && up->type == XML_ELEMENT_NODE; up = up->parent) {
        for (const xmlNs* ns = up->nsDef; ns; ns = ns->next) {
          if (ns == wanted) return true;
        }
      }
      return false;
    };
    auto check = [&](const xmlNode* node, auto&& self) -> void {
      for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE) continue;
        if (node->ns) CHECK(declaredInside(node, node->ns));
        for (const xmlAttr* attr = node->properties; attr; attr = attr->next) {
          if (attr->ns) CHECK(declaredInside(node, attr->ns));
        }
        self(node->children, self);
      }
    };
    check(root, check);
    // Parsed again, the payload means what it meant.
    auto again = core::parseXml(out);
    CHECK(again.ok());
  }
}
