// The soap inbound handler through the bus's request handler: the WSDL at ?wsdl, SOAP 1.1
// and 1.2 requests routed by the Body's root element, request validation, and every error
// as a fault of the request's version (malformed XML, not an envelope, mustUnderstand,
// unknown operation or tenant, schema, back-end refused, timed out, down). The third-party
// client (node-soap) is in tests/interop/soap_interop_test.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "core/engine/bus.hpp"
#include "core/net/api.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"
#include "tests/support/test_http_server.hpp"

using namespace egov;
using egov::test::TempConfig;

namespace {

constexpr const char* kNs = "urn:comune:tributi:posizioni";

std::string envelope11(const std::string& payload, const std::string& header = "") {
  return "<?xml version=\"1.0\"?>\n<s:Envelope "
         "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">" +
         header + "<s:Body>" + payload + "</s:Body></s:Envelope>";
}

std::string envelope12(const std::string& payload) {
  return "<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body>" +
         payload + "</env:Body></env:Envelope>";
}

std::string request(const char* cf = "RSSMRA80A01A662A", const char* anno = "2024") {
  return std::string("<t:ElencoPosizioniRichiesta xmlns:t=\"") + kNs + "\"><t:codiceFiscale>" + cf +
         "</t:codiceFiscale><t:anno>" + anno + "</t:anno></t:ElencoPosizioniRichiesta>";
}

// A tenant whose route answers from a REST back-end (a real peer on 127.0.0.1).
struct InboundFixture {
  test::TestHttpServer backend{[](const test::TestHttpRequest& request) {
    if (request.body.find("LENTO") != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    }
    if (request.body.find("XXXXXXXXXXXXXXXX") != std::string::npos) {
      return test::TestHttpResponse{404, "application/json", R"({"errore":"sconosciuto"})"};
    }
    return test::TestHttpResponse{
        200, "application/xml",
        std::string("<ElencoPosizioniRisposta xmlns=\"") + kNs +
            "\"><posizione><tributo>TARI</tributo></posizione></ElencoPosizioniRisposta>"};
  }};
  TempConfig config;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::ApiHandler> api;

  explicit InboundFixture(const std::string& extra_inbound = "") {
    config.copy("tests/interop/tributi.wsdl").copy("tests/data/soap/posizioni-richiesta.xsd");
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\n"
                 "inbound:\n"
                 "  tributi:\n"
                 "    type: soap\n"
                 "    path: \"/soap/{tenant}/tributi\"\n"
                 "    wsdl: ../tests/interop/tributi.wsdl\n"
                 "    schema: ../tests/data/soap/posizioni-richiesta.xsd\n"
                 "    operations:\n"
                 "      \"{urn:comune:tributi:posizioni}ElencoPosizioniRichiesta\": "
                 "tributi.posizioni\n"
                 "      \"{urn:comune:tributi:posizioni}Altro\": tributi.altro\n" +
                     extra_inbound);
    config.write("conf/tenants/bari.yaml",
                 "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
                 "endpoints:\n"
                 "  tributi: { type: http, url: \"" +
                     backend.url("/posizioni") +
                     "\", format: xml, timeout: 5s }\n"
                     "  spento: { type: http, url: \"http://127.0.0.1:" +
                     std::to_string(test::closedLocalPort()) +
                     "/x\", format: xml }\n"
                     "routes:\n"
                     "  - service: tributi.posizioni\n"
                     "    deadline: 500ms\n"
                     "    steps:\n"
                     "      - choose:\n"
                     "          - when: \"//*[local-name()='codiceFiscale'] = 'SPENTO'\"\n"
                     "            steps: [ { call: spento } ]\n"
                     "          - otherwise: [ { call: tributi } ]\n");
    config.bearer();  // before the generation loads: it must know the key
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    api = std::make_unique<core::ApiHandler>(*bus);
  }

  HttpResponse post(const std::string& target, const std::string& body,
                    const char* content_type = "text/xml; charset=utf-8") {
    return postAs(config.bearer(), target, body, content_type);
  }
  // With `authorization` as the Authorization header (none when empty).
  HttpResponse postAs(const std::string& authorization, const std::string& target,
                      const std::string& body,
                      const char* content_type = "text/xml; charset=utf-8") {
    HttpRequest request{http::verb::post, target, 11};
    request.set(http::field::content_type, content_type);
    request.set(http::field::host, "bus.example:8080");
    request.body() = body;
    if (!authorization.empty()) request.set(http::field::authorization, authorization);
    request.prepare_payload();
    return test::runCoroutine(api->handle(std::move(request)));
  }
  HttpResponse get(const std::string& target) {
    HttpRequest request{http::verb::get, target, 11};
    request.set(http::field::host, "bus.example:8080");
    request.set(http::field::authorization, config.bearer());
    request.prepare_payload();
    return test::runCoroutine(api->handle(std::move(request)));
  }
};

bool has(const HttpResponse& response, const std::string& text) {
  return response.body().find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("soap inbound: the WSDL is served at ?wsdl with its addresses pointing at the bus") {
  InboundFixture bus;
  auto wsdl = bus.get("/soap/bari/tributi?wsdl");
  CHECK(wsdl.result_int() == 200);
  CHECK(wsdl[http::field::content_type] == "text/xml; charset=utf-8");
  CHECK(has(wsdl, "<soap:address location=\"http://bus.example:8080/soap/bari/tributi\"/>"));
  CHECK(has(wsdl, "<soap12:address location=\"http://bus.example:8080/soap/bari/tributi\"/>"));
  CHECK(has(wsdl, "ElencoPosizioniRichiesta"));
}

TEST_CASE("soap inbound: SOAP 1.1 and 1.2 requests run the operation's route") {
  InboundFixture bus;
  auto reply = bus.post("/soap/bari/tributi", envelope11(request()));
  CAPTURE(reply.body());
  CHECK(reply.result_int() == 200);
  CHECK(reply[http::field::content_type] == "text/xml; charset=utf-8");
  CHECK(has(reply, "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"));
  CHECK(has(reply, "<posizione><tributo>TARI</tributo></posizione>"));
  CHECK(reply["X-Egov-Exchange-Id"].size() == 36);
  // The back-end received the Body's element, namespaces included.
  auto sent = bus.backend.requests();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.find("ElencoPosizioniRichiesta") != std::string::npos);
  CHECK(sent[0].body.find(kNs) != std::string::npos);

  auto reply12 = bus.post("/soap/072006/tributi", envelope12(request()),
                          "application/soap+xml; charset=utf-8");
  CAPTURE(reply12.body());
  CHECK(reply12.result_int() == 200);
  CHECK(reply12[http::field::content_type] == "application/soap+xml; charset=utf-8");
  CHECK(has(reply12, "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">"));
  CHECK(has(reply12, "TARI"));
}

TEST_CASE("soap inbound: callers without a key or out of scope get 401/403 faults") {
  InboundFixture bus;
  const auto molfetta = "Bearer " + bus.config.apiKey("molfetta", {"molfetta"}, {"*"});
  const auto other_service =
      "Bearer " + bus.config.apiKey("bari-altro", {"bari"}, {"tributi.altro"});
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.bus->reload(errors), errors.str());  // the new keys

  auto missing = bus.postAs("", "/soap/bari/tributi", envelope11(request()));
  CHECK(missing.result_int() == 401);
  CHECK(missing[http::field::www_authenticate] == "Bearer");
  CHECK(has(missing, "<faultcode>soap:Client</faultcode>"));
  CHECK(has(missing, "unauthorized: "));

  auto wrong = bus.postAs("Bearer egk_0000000000_nope", "/soap/bari/tributi", envelope12(request()),
                          "application/soap+xml");
  CHECK(wrong.result_int() == 401);
  CHECK(wrong[http::field::content_type] == "application/soap+xml; charset=utf-8");
  CHECK(has(wrong, "<soap:Value>soap:Sender</soap:Value>"));

  // Another municipality's client: refused before the envelope is read, like an unknown tenant.
  auto other_tenant = bus.postAs(molfetta, "/soap/bari/tributi", envelope11(request()));
  CHECK(other_tenant.result_int() == 403);
  CHECK(has(other_tenant, "forbidden: "));
  auto unknown_tenant = bus.postAs(molfetta, "/soap/999999/tributi", envelope11(request()));
  CHECK(unknown_tenant.result_int() == 403);
  CHECK(unknown_tenant.body().substr(0, unknown_tenant.body().find("exchange-id")) ==
        other_tenant.body().substr(0, other_tenant.body().find("exchange-id")));
  // Bari, but not this operation's service: refused once the Body names the service.
  auto out_of_scope = bus.postAs(other_service, "/soap/bari/tributi", envelope11(request()));
  CHECK(out_of_scope.result_int() == 403);
  CHECK(has(out_of_scope, "forbidden: this client may not call this service"));
  CHECK(bus.backend.requests().empty());
}

TEST_CASE("soap inbound: caller errors are Client (1.1) or Sender (1.2) faults") {
  InboundFixture bus;
  struct Case {
    std::string body;
    const char* code;
    const char* text;
  };
  const Case cases[] = {
      {"<s:Envelope", "soap:Client", "bad-request: request:1:"},
      {"<a>not soap</a>", "soap:VersionMismatch", "not a SOAP 1.1 or 1.2 Envelope"},
      {envelope11(request(),
                  "<s:Header><w:Security xmlns:w=\"urn:x\" s:mustUnderstand=\"1\"/>"
                  "</s:Header>"),
       "soap:MustUnderstand", "header {urn:x}Security is not understood"},
      {envelope11("<t:Sconosciuta xmlns:t=\"urn:x\"/>"), "soap:Client",
       "not-found: unknown operation {urn:x}Sconosciuta"},
      {envelope11(request("RSSMRA80A01A662A", "duemila")), "soap:Client", "validation-failed: "},
      {envelope11(request() + request()), "soap:Client",
       "bad-request: the SOAP Body must hold exactly one element"},
      {envelope11(std::string("<t:Altro xmlns:t=\"") + kNs + "\"/>"), "soap:Client",
       "not-found: tenant bari has no service tributi.altro"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    auto reply = bus.post("/soap/bari/tributi", c.body);
    CAPTURE(reply.body());
    CHECK(reply.result_int() == 500);
    CHECK(has(reply, std::string("<faultcode>") + c.code + "</faultcode>"));
    CHECK(has(reply, c.text));
    CHECK(has(reply, "<egov:error xmlns:egov=\"urn:egovbus:soap\" kind=\""));
  }
  // An unknown tenant is refused like one out of scope (nothing tells which tenants exist).
  auto unknown = bus.post("/soap/nowhere/tributi", envelope11(request()));
  CHECK(unknown.result_int() == 403);
  CHECK(has(unknown, "<faultcode>soap:Client</faultcode>"));
  CHECK(has(unknown, "forbidden: "));
  // SOAP 1.2: the sender's faults are 400 with a Sender code and a Reason.
  auto reply12 =
      bus.post("/soap/bari/tributi", envelope12(std::string("<t:Sconosciuta xmlns:t=\"urn:x\"/>")),
               "application/soap+xml");
  CAPTURE(reply12.body());
  CHECK(reply12.result_int() == 400);
  CHECK(has(reply12, "<soap:Value>soap:Sender</soap:Value>"));
  CHECK(has(reply12, "<soap:Text xml:lang=\"en\">not-found: unknown operation {urn:x}Sconosciuta"));
  CHECK(has(reply12, "<soap:Detail><egov:error"));
  // Neither a POST nor a ?wsdl GET.
  auto get = bus.get("/soap/bari/tributi");
  CHECK(has(get, "method-not-allowed: POST a SOAP envelope, or GET ?wsdl"));
}

TEST_CASE("soap inbound: back-end refusals, timeouts and refused connections are Server faults") {
  InboundFixture bus;
  auto rejected = bus.post("/soap/bari/tributi", envelope11(request("XXXXXXXXXXXXXXXX")));
  CAPTURE(rejected.body());
  CHECK(rejected.result_int() == 500);
  CHECK(has(rejected, "<faultcode>soap:Server</faultcode>"));
  CHECK(has(rejected, "kind=\"backend-rejected\""));

  // The back-end answers after 1.5s; the route's 500ms deadline ends the wait.
  auto slow = bus.post("/soap/bari/tributi", envelope11(request("LENTO")));
  CAPTURE(slow.body());
  CHECK(has(slow, "<faultcode>soap:Server</faultcode>"));
  CHECK(has(slow, "kind=\"deadline-exceeded\""));

  auto down = bus.post("/soap/bari/tributi", envelope11(request("SPENTO")));
  CAPTURE(down.body());
  CHECK(has(down, "<faultcode>soap:Server</faultcode>"));
  CHECK(has(down, "kind=\"backend-unavailable\""));
}

TEST_CASE("soap inbound config: good config builds; unknown, missing and wrong keys rejected") {
  const std::pair<const char*, const char*> cases[] = {
      {"    colour: red\n", "conf/bus.yaml:11:5: inbound.tributi.colour: unknown key"},
      {"    version: \"1.3\"\n",
       "conf/bus.yaml:11:14: inbound.tributi.version: expected \"1.1\", \"1.2\" or any"},
      {"    tenant: bari\n",
       "conf/bus.yaml:11:13: inbound.tributi.tenant: the path already has a {tenant} segment"},
  };
  for (const auto& [extra, message] : cases) {
    CAPTURE(extra);
    TempConfig config;
    config.copy("tests/interop/tributi.wsdl").copy("tests/data/soap/posizioni-richiesta.xsd");
    config.write("conf/tenants/bari.yaml",
                 "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
                 "endpoints: { e: { type: memory } }\n"
                 "routes: [ { service: tributi.posizioni, steps: [ { call: e } ] } ]\n");
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\n"
                 "inbound:\n"
                 "  tributi:\n"
                 "    type: soap\n"
                 "    path: \"/soap/{tenant}/tributi\"\n"
                 "    wsdl: ../tests/interop/tributi.wsdl\n"
                 "    schema: ../tests/data/soap/posizioni-richiesta.xsd\n"
                 "    operations:\n"
                 "      \"{urn:comune:tributi:posizioni}ElencoPosizioniRichiesta\": "
                 "tributi.posizioni\n"
                 "      Semplice: tributi.posizioni\n" +
                     std::string(extra));
    CHECK_FALSE(config.load());
    CAPTURE(config.errorText());
    CHECK(config.errorText().find(message) != std::string::npos);
  }
  TempConfig config;
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
               "endpoints: { e: { type: memory } }\n"
               "routes: [ { service: tributi.posizioni, steps: [ { call: e } ] } ]\n");
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\n"
               "inbound:\n"
               "  a: { type: soap, path: /soap/a }\n"
               "  b: { type: soap, path: \"/soap/{tenant}/b\", operations: [x] }\n"
               "  c: { type: soap, path: /soap/c, tenant: molfetta, operations: { x: y.z } }\n"
               "  d: { type: soap, path: \"/soap/{tenant}/d\", wsdl: missing.wsdl,\n"
               "       schema: missing.xsd, operations: { \"{urn:x\": y.z, ok: Bad } }\n"
               "  e: { type: soap, path: /soap/e, tenant: bari, operations: { x: a.b } }\n");
  CHECK_FALSE(config.load());
  const auto text = config.errorText();
  CAPTURE(text);
  CHECK(text.find("conf/bus.yaml:3:") != std::string::npos);
  CHECK(text.find("inbound.a.path: needs a {tenant} segment, or set `tenant:`") !=
        std::string::npos);
  CHECK(text.find("inbound.a.operations: missing key") != std::string::npos);
  CHECK(text.find("conf/bus.yaml:4:") != std::string::npos);
  CHECK(text.find("inbound.b.operations: expected a map") != std::string::npos);
  CHECK(text.find("inbound.c.tenant: unknown tenant molfetta") != std::string::npos);
  CHECK(text.find("inbound.d.wsdl: ") != std::string::npos);
  CHECK(text.find("missing.wsdl") != std::string::npos);
  CHECK(text.find("inbound.d.schema: schema does not load") != std::string::npos);
  CHECK(text.find("expected an element name as {namespace}local") != std::string::npos);
  CHECK(text.find("expected a service name such as tributi.posizioni") != std::string::npos);
  CHECK(text.find("inbound.e") == std::string::npos);
}
