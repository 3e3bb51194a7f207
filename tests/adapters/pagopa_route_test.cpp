// What the pagopa inbound does with what a tenant's routes answer, with memory endpoints
// standing in for the back-end: answers it refuses become PAA_SYSTEM_ERROR (never a malformed
// response), a route's not-found is PAA_PAGAMENTO_SCONOSCIUTO, a receipt a route refuses
// before the journal is PAA_SEMANTICA, and no journal at all is PAA_SYSTEM_ERROR.
#include <doctest/doctest.h>

#include "adapters/pagopa/notice_number.hpp"
#include "core/engine/bus.hpp"
#include "core/journal/sqlite_journal.hpp"
#include "core/net/api.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;

namespace {

const std::string kNotice = adapters::pagopa::makeNoticeNumber(3, "01", "42")->text;

std::string request(const char* root, const std::string& inner) {
  return std::string(
             "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
             "<p:") +
         root +
         " xmlns:p=\"http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd\">"
         "<idPA>80015010723</idPA><idBrokerPA>80000190729</idBrokerPA>"
         "<idStation>80000190729_01</idStation>" +
         inner + "</p:" + root + "></s:Body></s:Envelope>";
}

std::string qr() {
  return "<qrCode><fiscalCode>80015010723</fiscalCode><noticeNumber>" + kNotice +
         "</noticeNumber></qrCode>";
}

std::string receiptBody() {
  return "<receipt><receiptId>r-1</receiptId><noticeNumber>" + kNotice +
         "</noticeNumber><fiscalCode>80015010723</fiscalCode><outcome>OK</outcome>"
         "<creditorReferenceId>x</creditorReferenceId><paymentAmount>1.00</paymentAmount>"
         "<description>d</description><companyName>c</companyName><debtor><uniqueIdentifier>"
         "<entityUniqueIdentifierType>F</entityUniqueIdentifierType>"
         "<entityUniqueIdentifierValue>RSSMRA80A01A662A</entityUniqueIdentifierValue>"
         "</uniqueIdentifier><fullName>M</fullName></debtor><transferList><transfer>"
         "<idTransfer>1</idTransfer><transferAmount>1.00</transferAmount>"
         "<fiscalCodePA>80015010723</fiscalCodePA><IBAN>IT1</IBAN><remittanceInformation>r"
         "</remittanceInformation><transferCategory>c</transferCategory></transfer>"
         "</transferList><idPSP>p</idPSP><PSPCompanyName>p</PSPCompanyName><idChannel>c"
         "</idChannel><channelDescription>c</channelDescription></receipt>";
}

struct RouteFixture {
  test::TempConfig config;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::ApiHandler> api;
  std::unique_ptr<core::SqliteJournal> journal;

  ~RouteFixture() {
    if (bus) bus->setJournal(nullptr);
  }
  void openJournal() {
    auto opened = core::SqliteJournal::open(bus->generation()->bus.journal.path);
    REQUIRE(opened.ok());
    journal = std::move(opened).value();
    bus->setJournal(journal.get());
  }

  void load(const std::string& verify_reply, const std::string& activate_reply) {
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\njournal: { path: ../var/journal.db }\n"
                 "inbound:\n  pagopa: { type: pagopa, path: /pagopa, id_broker_pa: "
                 "\"80000190729\", id_station: \"80000190729_01\" }\n");
    config.copy("schemas/pagopa/paForNode.xsd").copy("schemas/pagopa/canonical.xsd");
    config.write(
        "mappings/refuse.xsl",
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"
        "<xsl:template match=\"/\"><xsl:message terminate=\"yes\">bad-request: not ours"
        "</xsl:message></xsl:template></xsl:stylesheet>\n");
    config.write(
        "conf/profiles/p.yaml",
        "routes:\n"
        "  - service: pagopa.verify\n    steps: [ " +
            verify_reply +
            " ]\n"
            "  - service: pagopa.activate\n    steps: [ { call: activate } ]\n"
            "  - service: pagopa.receipt\n    steps: [ { map: refuse.xsl }, { enqueue: {} } ]\n");
    config.write(
        "conf/tenants/bari.yaml",
        "tenant: { istat: \"072006\", slug: bari, name: Bari, fiscal_code: \"80015010723\" }\n"
        "profile: p\n"
        "endpoints:\n"
        "  verify: { type: memory, reply: { xml: \"<verifyResponse xmlns='urn:egovbus:pagopa'>"
        "<status>maybe</status></verifyResponse>\" } }\n"
        "  activate: { type: memory, reply: { xml: \"" +
            activate_reply +
            "\" } }\n"
            "pagopa: {}\n");
    config.bearer();  // before the generation loads: it must know the key
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    api = std::make_unique<core::ApiHandler>(*bus);
  }

  // faultCode and description of the answer (outcome KO expected).
  std::pair<std::string, std::string> fault(const std::string& body) {
    HttpRequest http{http::verb::post, "/pagopa", 11};
    http.body() = body;
    http.set(http::field::authorization, config.bearer());
    http.prepare_payload();
    auto response = test::runCoroutine(api->handle(std::move(http)));
    CHECK(response.result_int() == 200);
    auto text = response.body();
    auto between = [&](const std::string& open, const std::string& close) {
      auto a = text.find(open);
      if (a == std::string::npos) return std::string();
      a += open.size();
      return text.substr(a, text.find(close, a) - a);
    };
    CHECK(between("<outcome>", "</outcome>") == "KO");
    return {between("<faultCode>", "</faultCode>"), between("<description>", "</description>")};
  }
};

}  // namespace

TEST_CASE_FIXTURE(RouteFixture, "pagopa routes: answers the bus will not pass on") {
  // An activate answer valid for the canonical schema whose debtor's civic number is longer
  // than the node's 16 characters: the bus's last check catches it.
  load("{ call: verify }",
       "<activateResponse xmlns='urn:egovbus:pagopa'><status>payable</status><amount>1</amount>"
       "<dueDate>2030-01-01</dueDate><description>d</description><debtor><type>F</type>"
       "<id>RSSMRA80A01A662A</id><fullName>M</fullName><civicNumber>12345678901234567</civicNumber>"
       "</debtor><transfer><amount>1</amount><iban>IT1</iban><remittanceInformation>r"
       "</remittanceInformation><category>c</category></transfer></activateResponse>");
  auto [code, description] = fault(request("paVerifyPaymentNoticeReq", qr()));
  CHECK(code == "PAA_SYSTEM_ERROR");
  CHECK(description.find("not a canonical pagopa.verify response") != std::string::npos);
  std::tie(code, description) = fault(request("paGetPaymentReq", qr()));
  CHECK(code == "PAA_SYSTEM_ERROR");
  CHECK(description.find("would break the schema") != std::string::npos);
  // A receipt the steps before the journal refuse.
  openJournal();
  std::tie(code, description) = fault(request("paSendRTReq", receiptBody()));
  CHECK(code == "PAA_SEMANTICA");
  CHECK(description.find("not ours") != std::string::npos);
}

TEST_CASE_FIXTURE(RouteFixture, "pagopa routes: not-found, a wrong answer element, no journal") {
  load("{ reply: { error: not-found, detail: no such position } }",
       "<verifyResponse xmlns='urn:egovbus:pagopa'><status>payable</status></verifyResponse>");
  auto [code, description] = fault(request("paVerifyPaymentNoticeReq", qr()));
  CHECK(code == "PAA_PAGAMENTO_SCONOSCIUTO");
  CHECK(description.find("no such position") != std::string::npos);
  std::tie(code, description) = fault(request("paGetPaymentV2Request", qr()));
  CHECK(code == "PAA_SYSTEM_ERROR");
  CHECK(description.find("not activateResponse") != std::string::npos);
  config.write("mappings/refuse.xsl",
               "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"
               "<xsl:template match=\"/\"><xsl:copy-of select=\".\"/></xsl:template>"
               "</xsl:stylesheet>\n");
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus->reload(errors), errors.str());
  CHECK(bus->journal() == nullptr);
  std::tie(code, description) = fault(request("paSendRTV2Request", receiptBody()));
  CHECK(code == "PAA_SYSTEM_ERROR");
  CHECK(description.find("journal") != std::string::npos);
}
