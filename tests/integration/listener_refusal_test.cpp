// Requests the HTTP listener refuses before any handler sees them (body too large, header
// fields too many or too large, malformed), over real sockets with raw bytes: on an inbound
// SOAP path (a soap handler, the pagoPA creditor interface) the answer is a SOAP 1.1 fault
// with the HTTP status of the refusal, since the pagoPA node must never get anything but
// SOAP; on /api/v1 and elsewhere it stays problem+json.
#include <doctest/doctest.h>

#include <string>

#include "core/xml/xml.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/served_bus.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;

namespace {

constexpr const char* kSoap11Ns = "http://schemas.xmlsoap.org/soap/envelope/";

struct RefusingBus {
  test::TempConfig config;
  std::unique_ptr<test::ServedBus> served;

  RefusingBus() {
    config.copy("schemas/pagopa/paForNode.xsd").copy("schemas/pagopa/canonical.xsd");
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\n"
                 "limits: { max_body: 4KiB, max_header: 4KiB, max_headers: 30, read_timeout: 5s }\n"
                 "inbound:\n"
                 "  tributi: { type: soap, path: \"/soap/{tenant}/tributi\",\n"
                 "             operations: { \"{urn:echo}Ping\": echo.ping } }\n"
                 "  pagopa: { type: pagopa, path: /pagopa/paForNode,\n"
                 "            id_broker_pa: \"80000190729\", id_station: \"80000190729_01\" }\n");
    config.write("conf/profiles/p.yaml",
                 "routes:\n"
                 "  - service: echo.ping\n    steps: [ { call: x } ]\n"
                 "  - service: pagopa.verify\n    steps: [ { call: x } ]\n"
                 "  - service: pagopa.activate\n    steps: [ { call: x } ]\n"
                 "  - service: pagopa.receipt\n    mode: one-way\n    steps: [ { call: x } ]\n");
    config.write("conf/tenants/bari.yaml",
                 "tenant: { istat: \"072006\", slug: bari, name: Bari, fiscal_code: "
                 "\"80015010723\" }\nprofile: p\nendpoints: { x: { type: memory } }\n"
                 "pagopa: {}\n");
    config.bearer();
    served = std::make_unique<test::ServedBus>(config);
  }

  std::string exchange(const std::string& raw) const {
    return test::rawExchange(served->port(), raw);
  }

  std::string post(const std::string& target, const std::string& body,
                   const std::string& extra_headers = {}) {
    return exchange("POST " + target + " HTTP/1.1\r\nHost: bus\r\nConnection: close\r\n" +
                    "Authorization: " + config.bearer() +
                    "\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body);
  }
};

using test::bodyOf;
using test::isProblem;
using test::statusOf;

// A SOAP 1.1 envelope whose Body holds a Fault (parsed, not searched as text).
bool isSoap11Fault(const std::string& response) {
  if (response.find("Content-Type: text/xml; charset=utf-8") == std::string::npos) return false;
  auto doc = core::parseXml(bodyOf(response));
  if (!doc) return false;
  const xmlNode* envelope = xmlDocGetRootElement(doc->get());
  auto is = [](const xmlNode* node, const char* name) {
    return node && node->type == XML_ELEMENT_NODE && node->ns &&
           std::string(reinterpret_cast<const char*>(node->ns->href)) == kSoap11Ns &&
           std::string(reinterpret_cast<const char*>(node->name)) == name;
  };
  if (!is(envelope, "Envelope")) return false;
  for (const xmlNode* body = envelope->children; body; body = body->next) {
    if (!is(body, "Body")) continue;
    for (const xmlNode* fault = body->children; fault; fault = fault->next) {
      if (is(fault, "Fault")) return true;
    }
  }
  return false;
}

std::string manyHeaders() {
  std::string many;
  for (int i = 0; i < 40; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  return many;
}

}  // namespace

TEST_CASE(
    "listener refusals: a body too large gets a SOAP fault on SOAP paths, problem+json "
    "elsewhere") {
  RefusingBus running;
  const std::string oversized(8 * 1024, 'x');

  auto pagopa = running.post("/pagopa/paForNode", oversized);
  CAPTURE(pagopa);
  CHECK(statusOf(pagopa) == 413);
  CHECK(isSoap11Fault(pagopa));
  CHECK(bodyOf(pagopa).find("body larger than 4096 bytes") != std::string::npos);

  auto soap = running.post("/soap/bari/tributi", oversized);
  CAPTURE(soap);
  CHECK(statusOf(soap) == 413);
  CHECK(isSoap11Fault(soap));
  CHECK(bodyOf(soap).find("payload-too-large") != std::string::npos);
  // A tenant the path does not know is refused the same way: the limit comes first.
  CHECK(isSoap11Fault(running.post("/soap/nowhere/tributi", oversized)));

  auto api = running.post("/api/v1/bari/echo/ping", oversized);
  CAPTURE(api);
  CHECK(statusOf(api) == 413);
  CHECK(isProblem(api));
  CHECK_FALSE(isSoap11Fault(api));
  auto other = running.post("/somewhere/else", oversized);
  CHECK(statusOf(other) == 413);
  CHECK(isProblem(other));

  // Within the limits the handlers answer as usual (the SOAP handler runs the route).
  auto fine = running.post("/soap/bari/tributi",
                           "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                           "<s:Body><e:Ping xmlns:e=\"urn:echo\"/></s:Body></s:Envelope>");
  CAPTURE(fine);
  CHECK(statusOf(fine) == 200);
}

TEST_CASE(
    "listener refusals: header fields too many or too large, and malformed requests, on "
    "SOAP paths") {
  RefusingBus running;
  for (const std::string target : {"/pagopa/paForNode", "/soap/bari/tributi"}) {
    CAPTURE(target);
    auto too_many = running.post(target, "<x/>", manyHeaders());
    CHECK(statusOf(too_many) == 431);
    CHECK(isSoap11Fault(too_many));
    CHECK(bodyOf(too_many).find("header fields") != std::string::npos);

    // The header never completes within the limit: the request line still names the path.
    auto too_big = running.post(target, "<x/>", "X-Big: " + std::string(6000, 'b') + "\r\n");
    CHECK(statusOf(too_big) == 431);
    CHECK(isSoap11Fault(too_big));

    auto malformed = running.exchange("POST " + target +
                                      " HTTP/1.1\r\nHost: bus\r\nTransfer-Encoding: chunked\r\n"
                                      "Content-Type: text/xml\r\n\r\nZZZ\r\n<x/>\r\n0\r\n\r\n");
    CHECK(statusOf(malformed) == 400);
    CHECK(isSoap11Fault(malformed));
  }
  auto api = running.post("/api/v1/bari/echo/ping", "{}", manyHeaders());
  CHECK(statusOf(api) == 431);
  CHECK(isProblem(api));
  auto garbage = running.exchange("GARBAGE\r\n\r\n");
  CHECK(statusOf(garbage) == 400);
  CHECK(isProblem(garbage));
}
