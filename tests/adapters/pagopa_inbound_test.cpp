// The pagoPA creditor interface (adapters/pagopa) end to end: SOAP requests as the node sends
// them → the pagopa-soap profile (conf/profiles, mappings/pagopa-soap) → a SOAP back-end
// (tests/interop/pagopa_backend.js on node-soap) → the official response. Every response is
// validated against the official XSD (../shared/reference/pagopa, with its imports).
#include <doctest/doctest.h>

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

#include "adapters/pagopa/notice_number.hpp"
#include "core/engine/bus.hpp"
#include "core/journal/delivery.hpp"
#include "core/journal/sqlite_journal.hpp"
#include "core/net/api.hpp"
#include "core/schema/xsd_schema.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using namespace std::chrono_literals;

namespace {

const std::filesystem::path kReference =
    std::filesystem::path(EGOV_SOURCE_DIR) / "../shared/reference/pagopa";
constexpr const char* kPafn = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";
constexpr const char* kBroker = "80000190729";
constexpr const char* kStation = "80000190729_01";
constexpr const char* kBari = "80015010723";
constexpr const char* kMolfetta = "00306180720";

std::string readFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The official schema, loaded with its imports from the reference files (no network).
const core::XsdSchema& officialSchema() {
  static auto schema = core::XsdSchema::load(kReference / "wsdl/xsd/paForNode.xsd");
  REQUIRE_MESSAGE(schema.ok(), schema.error().message);
  return **schema;
}

// What the bus answered, read from its SOAP envelope.
struct Answer {
  int status = 0;
  std::string content_type;
  bool soap_fault = false;
  std::string root;  // local name of the Body's element
  std::string outcome, fault_code, fault_id, description;
  core::XmlDocPtr payload;

  std::string text(const char* xpath) const {
    auto* ctx = xmlXPathNewContext(payload.get());
    auto* result = xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath), ctx);
    std::string out;
    if (result && result->nodesetval && result->nodesetval->nodeNr > 0) {
      out = core::xmlText(result->nodesetval->nodeTab[0]);
    }
    xmlXPathFreeObject(result);
    xmlXPathFreeContext(ctx);
    return out;
  }
  int count(const char* xpath) const {
    auto* ctx = xmlXPathNewContext(payload.get());
    auto* result = xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath), ctx);
    int n = result && result->nodesetval ? result->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(result);
    xmlXPathFreeContext(ctx);
    return n;
  }
};

Answer readAnswer(const HttpResponse& response) {
  Answer answer;
  answer.status = response.result_int();
  answer.content_type = std::string(response[http::field::content_type]);
  auto doc = core::parseXml(response.body());
  REQUIRE_MESSAGE(doc.ok(), response.body());
  xmlNode* envelope = xmlDocGetRootElement(doc->get());
  REQUIRE(envelope);
  xmlNode* body = nullptr;
  for (xmlNode* c = envelope->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) body = c;
  }
  REQUIRE(body);
  xmlNode* root = nullptr;
  for (xmlNode* c = body->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) root = c;
  }
  REQUIRE(root);
  answer.root = reinterpret_cast<const char*>(root->name);
  if (answer.root == "Fault") {
    answer.soap_fault = true;
    answer.description = core::xmlText(root);
    return answer;
  }
  answer.payload.reset(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
  xmlNode* copy = xmlDocCopyNode(root, answer.payload.get(), 1);
  xmlDocSetRootElement(answer.payload.get(), copy);
  xmlReconciliateNs(answer.payload.get(), copy);
  // The whole point: the node reads only what the official schema allows.
  auto valid = officialSchema().validate(*answer.payload);
  REQUIRE_MESSAGE(valid.ok(),
                  (std::string(valid.ok() ? "" : valid.error().message) + "\n" + response.body()));
  REQUIRE(root->ns);
  CHECK(std::string(reinterpret_cast<const char*>(root->ns->href)) == kPafn);
  answer.outcome = answer.text("/*/outcome");
  answer.fault_code = answer.text("/*/fault/faultCode");
  answer.fault_id = answer.text("/*/fault/id");
  answer.description = answer.text("/*/fault/description");
  if (answer.outcome == "KO") {
    CHECK(!answer.text("/*/fault/faultString").empty());
  }
  return answer;
}

std::string soap(const std::string& payload) {
  return std::string(
             "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
             " xmlns:pafn=\"") +
         kPafn + "\"><soapenv:Header/><soapenv:Body>" + payload +
         "</soapenv:Body></soapenv:Envelope>";
}

std::string caller(const std::string& id_pa, const std::string& broker = kBroker,
                   const std::string& station = kStation) {
  return "<idPA>" + id_pa + "</idPA><idBrokerPA>" + broker + "</idBrokerPA><idStation>" + station +
         "</idStation>";
}

std::string notice(int position) {
  return adapters::pagopa::makeNoticeNumber(3, "01", std::to_string(position))->text;
}

std::string qr(const std::string& fiscal_code, const std::string& notice_number) {
  return "<qrCode><fiscalCode>" + fiscal_code + "</fiscalCode><noticeNumber>" + notice_number +
         "</noticeNumber></qrCode>";
}

std::string verify(const std::string& notice_number, const std::string& id_pa = kBari,
                   const std::string& broker = kBroker, const std::string& station = kStation) {
  return soap("<pafn:paVerifyPaymentNoticeReq>" + caller(id_pa, broker, station) +
              qr(id_pa, notice_number) + "</pafn:paVerifyPaymentNoticeReq>");
}

std::string getPayment(const std::string& notice_number, bool v2,
                       const std::string& id_pa = kBari) {
  const std::string root = v2 ? "paGetPaymentV2Request" : "paGetPaymentReq";
  return soap("<pafn:" + root + ">" + caller(id_pa) + qr(id_pa, notice_number) +
              "<amount>120.00</amount></pafn:" + root + ">");
}

struct Transfer {
  std::string amount;
  std::string fiscal_code;
};

std::string receipt(const std::string& receipt_id, const std::string& id_pa,
                    const std::string& creditor, const std::string& notice_number,
                    const std::vector<Transfer>& transfers, bool v2 = false) {
  std::string list;
  int i = 0;
  for (const auto& t : transfers) {
    list += "<transfer><idTransfer>" + std::to_string(++i) + "</idTransfer><transferAmount>" +
            t.amount + "</transferAmount><fiscalCodePA>" + t.fiscal_code +
            "</fiscalCodePA><IBAN>IT60X0542811101000000123456</IBAN>"
            "<remittanceInformation>TARI</remittanceInformation>"
            "<transferCategory>9/0101108TS/</transferCategory></transfer>";
  }
  const std::string root = v2 ? "paSendRTV2Request" : "paSendRTReq";
  return soap("<pafn:" + root + ">" + caller(id_pa) + "<receipt><receiptId>" + receipt_id +
              "</receiptId><noticeNumber>" + notice_number + "</noticeNumber><fiscalCode>" +
              creditor + "</fiscalCode><outcome>OK</outcome><creditorReferenceId>" +
              notice_number.substr(1) +
              "</creditorReferenceId><paymentAmount>120.00</paymentAmount>"
              "<description>TARI 2026</description><companyName>Comune</companyName>"
              "<debtor><uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType>"
              "<entityUniqueIdentifierValue>RSSMRA80A01A662A</entityUniqueIdentifierValue>"
              "</uniqueIdentifier><fullName>Mario Rossi</fullName></debtor><transferList>" +
              list +
              "</transferList><idPSP>PSP01</idPSP><PSPCompanyName>Banca</PSPCompanyName>"
              "<idChannel>PSP01_01</idChannel><channelDescription>app</channelDescription>"
              "<paymentDateTime>2026-03-05T10:15:00</paymentDateTime></receipt></pafn:" +
              root + ">");
}

size_t collect(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}
std::string httpGet(const std::string& url) {
  CURL* curl = curl_easy_init();
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  REQUIRE(curl_easy_perform(curl) == CURLE_OK);
  curl_easy_cleanup(curl);
  return body;
}

const char* slowBackend() {
  setenv("SLOW_MS", "4000", 1);
  return "pagopa_backend.js";
}

std::string tenantFile(const char* istat, const char* slug, const char* name, const char* fiscal,
                       const std::string& url, const std::string& pagopa,
                       const std::string& extra = {}) {
  return std::string("tenant: { istat: \"") + istat + "\", slug: " + slug + ", name: " + name +
         ", fiscal_code: \"" + fiscal + "\" }\n" +
         "profile: pagopa-soap\n"
         "endpoints:\n"
         "  posizioni: { type: soap, url: \"" +
         url + "\", timeout: 10s }\n" + extra +
         "params: { pagopa_aux_digit: \"3\", pagopa_code: \"01\" }\n" + "pagopa: " + pagopa + "\n";
}

}  // namespace

struct PagopaFixture {
  test::NodeProcess backend{slowBackend()};
  test::TempConfig config;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::SqliteJournal> journal;
  std::unique_ptr<core::ApiHandler> api;

  PagopaFixture() {
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\n"
                 "journal: { path: ../var/journal.db, poll_interval: 5ms }\n"
                 "inbound:\n"
                 "  pagopa:\n"
                 "    type: pagopa\n"
                 "    path: /pagopa/paForNode\n"
                 "    deadline: 1500ms\n"
                 "    margin: 300ms\n"
                 "    id_broker_pa: \"80000190729\"\n"
                 "    id_station: \"80000190729_01\"\n");
    config.copy("schemas/pagopa/paForNode.xsd").copy("schemas/pagopa/canonical.xsd");
    for (const char* xsl : {"cerca-request", "stato", "verify-response", "activate-response",
                            "receipt-request", "avviso-request", "avviso-response"}) {
      config.copy(std::string("mappings/pagopa-soap/") + xsl + ".xsl");
    }
    // The profile as shipped, with retries fast enough for a test.
    auto profile =
        readFile(std::filesystem::path(EGOV_SOURCE_DIR) / "conf/profiles/pagopa-soap.yaml");
    const std::string slow = "backoff: 2s, max_backoff: 10m";
    REQUIRE(profile.find(slow) != std::string::npos);
    profile.replace(profile.find(slow), slow.size(), "backoff: 5ms, max_backoff: 20ms");
    config.write("conf/profiles/pagopa-soap.yaml", profile);
    const auto url = backend.url("/posizioni");
    config.write(
        "conf/tenants/bari.yaml",
        tenantFile("072006", "bari", "Bari", kBari, url, "{ demand_payment_notice: true }",
                   "  domanda:\n    type: memory\n    reply: { xml: \"<demandResponse "
                   "xmlns='urn:egovbus:pagopa'><status>payable</status><amount>30</amount>"
                   "<description>Permesso ZTL</description><noticeNumber>" +
                       notice(77) +
                       "</noticeNumber></demandResponse>\" }\n"
                       "routes:\n  - service: pagopa.demand\n    steps: [ { call: domanda } ]\n"));
    config.write("conf/tenants/molfetta.yaml",
                 tenantFile("072029", "molfetta", "Molfetta", kMolfetta, url,
                            "{ duplicate_receipt: fault, id_station: [\"80000190729_01\", "
                            "\"80000190729_02\"], office_name: Ragioneria }"));
    // The creditor of the official examples (pagopa-mock-ec).
    config.write("conf/tenants/esempio.yaml",
                 tenantFile("099999", "esempio", "Esempio", "77777777777", url,
                            "{ id_broker_pa: \"77777777777\", id_station: \"77777777777_01\" }"));
    config.write("conf/tenants/bitonto.yaml",
                 "tenant: { istat: \"072011\", slug: bitonto, name: Bitonto, fiscal_code: "
                 "\"00382520724\" }\nendpoints: {}\n");
    config.bearer();  // before the generation loads: it must know the key
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    auto opened = core::SqliteJournal::open(bus->generation()->bus.journal.path);
    REQUIRE(opened.ok());
    journal = std::move(opened).value();
    bus->setJournal(journal.get());
    api = std::make_unique<core::ApiHandler>(*bus);
  }
  ~PagopaFixture() { bus->setJournal(nullptr); }

  HttpResponse send(const std::string& body, const char* action = "paVerifyPaymentNotice",
                    http::verb verb = http::verb::post) {
    HttpRequest request{verb, "/pagopa/paForNode", 11};
    request.set(http::field::content_type, "text/xml; charset=utf-8");
    request.set("SOAPAction", action);
    request.body() = body;
    if (!authorization.empty()) request.set(http::field::authorization, authorization);
    request.prepare_payload();
    return test::runCoroutine(api->handle(std::move(request)));
  }
  std::string authorization = config.bearer();  // what send() sends; none when empty
  Answer post(const std::string& body, const char* action = "paVerifyPaymentNotice") {
    return readAnswer(send(body, action));
  }
  int delivered(const std::string& receipt_id) {
    rapidjson::Document doc;
    doc.Parse(httpGet(backend.url("/ricevute")).c_str());
    REQUIRE(doc.IsObject());
    return doc.HasMember(receipt_id.c_str()) ? doc[receipt_id.c_str()].GetInt() : 0;
  }
  // Runs the delivery worker until `done` holds (checked between polls), at most ~20 s.
  template <class Done>
  void deliverUntil(Done done) {
    net::io_context io;
    core::DeliveryWorker worker(io, *bus, *journal, bus->generation()->bus.journal);
    worker.start();
    for (int i = 0; i < 400 && !done(); ++i) io.run_for(50ms);
    worker.stop();
    io.restart();
    io.run();
  }
};

TEST_CASE_FIXTURE(PagopaFixture, "pagopa: paVerifyPaymentNotice through a SOAP back-end") {
  auto ok = post(verify(notice(1)));
  CHECK(ok.status == 200);
  CHECK(ok.content_type.find("text/xml") == 0);
  CHECK(ok.root == "paVerifyPaymentNoticeRes");
  REQUIRE(ok.outcome == "OK");
  CHECK(ok.text("/*/paymentList/paymentOptionDescription/amount") == "120.00");
  CHECK(ok.text("/*/paymentList/paymentOptionDescription/options") == "EQ");
  CHECK(ok.text("/*/paymentList/paymentOptionDescription/dueDate") == "2030-12-31");
  CHECK(ok.text("/*/paymentList/paymentOptionDescription/allCCP") == "false");
  CHECK(ok.text("/*/paymentDescription") == "TARI 2026 - rata unica");
  CHECK(ok.text("/*/fiscalCodePA") == kBari);
  CHECK(ok.text("/*/companyName") == "Comune di Bari");
  CHECK(ok.text("/*/officeName") == "Ufficio Tributi");
  // Only postal accounts: allCCP.
  auto postal = post(verify(notice(6)));
  REQUIRE(postal.outcome == "OK");
  CHECK(postal.text("/*/paymentList/paymentOptionDescription/amount") == "35.50");
  CHECK(postal.text("/*/paymentList/paymentOptionDescription/allCCP") == "true");
  // Dispatch is on the Body's root element: a misleading SOAPAction changes nothing.
  CHECK(post(verify(notice(1)), "paGetPayment").root == "paVerifyPaymentNoticeRes");
}

TEST_CASE_FIXTURE(PagopaFixture, "pagopa: paGetPayment and paGetPaymentV2 with their transfers") {
  for (bool v2 : {false, true}) {
    CAPTURE(v2);
    auto ok = post(getPayment(notice(1), v2), v2 ? "paGetPaymentV2" : "paGetPayment");
    CHECK(ok.root == (v2 ? "paGetPaymentV2Response" : "paGetPaymentRes"));
    REQUIRE(ok.outcome == "OK");
    CHECK(ok.text("/*/data/creditorReferenceId") == notice(1).substr(1));  // the IUV
    CHECK(ok.text("/*/data/paymentAmount") == "120.00");
    CHECK(ok.text("/*/data/dueDate") == "2030-12-31");
    CHECK(ok.text("/*/data/companyName") == "Comune di Bari");
    CHECK(ok.text("/*/data/debtor/uniqueIdentifier/entityUniqueIdentifierValue") ==
          "RSSMRA80A01A662A");
    CHECK(ok.text("/*/data/debtor/e-mail") == "mario.rossi@example.it");
    REQUIRE(ok.count("/*/data/transferList/transfer") == 2);
    CHECK(ok.text("/*/data/transferList/transfer[1]/idTransfer") == "1");
    CHECK(ok.text("/*/data/transferList/transfer[1]/transferAmount") == "100.00");
    CHECK(ok.text("/*/data/transferList/transfer[1]/fiscalCodePA") == kBari);
    CHECK(ok.text("/*/data/transferList/transfer[1]/transferCategory") == "9/0101108TS/");
    CHECK(ok.text("/*/data/transferList/transfer[2]/idTransfer") == "2");
    CHECK(ok.text("/*/data/transferList/transfer[2]/transferAmount") == "20.00");
    CHECK(ok.text("/*/data/transferList/transfer[2]/fiscalCodePA") == "80000190729");
  }
}

TEST_CASE_FIXTURE(PagopaFixture, "pagopa: back-end outcomes become PAA_PAGAMENTO_* faults") {
  const std::vector<std::pair<int, const char*>> cases = {{2, "PAA_PAGAMENTO_DUPLICATO"},
                                                          {3, "PAA_PAGAMENTO_SCADUTO"},
                                                          {4, "PAA_PAGAMENTO_ANNULLATO"},
                                                          {5, "PAA_PAGAMENTO_IN_CORSO"},
                                                          {999, "PAA_PAGAMENTO_SCONOSCIUTO"}};
  for (const auto& [position, code] : cases) {
    CAPTURE(position);
    for (bool activate : {false, true}) {
      auto ko = post(activate ? getPayment(notice(position), true) : verify(notice(position)));
      CHECK(ko.outcome == "KO");
      CHECK(ko.fault_code == code);
      CHECK(ko.fault_id == kBari);
    }
  }
  // A notice whose check digits are wrong never reaches the back-end.
  auto wrong = notice(1);
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  auto ko = post(verify(wrong));
  CHECK(ko.fault_code == "PAA_PAGAMENTO_SCONOSCIUTO");
  CHECK(ko.description.find("check digits") != std::string::npos);
}

TEST_CASE_FIXTURE(PagopaFixture, "pagopa: an unexpected back-end answer is PAA_SYSTEM_ERROR") {
  // 8: transfers that do not add up; 10: six transfers; 9: a SOAP Server fault.
  for (int position : {8, 10, 9}) {
    CAPTURE(position);
    auto ko = post(getPayment(notice(position), false));
    CHECK(ko.outcome == "KO");
    CHECK(ko.fault_code == "PAA_SYSTEM_ERROR");
    CHECK(ko.fault_id == kBari);
  }
  CHECK(post(getPayment(notice(8), false)).description.find("add up") != std::string::npos);
  CHECK(post(verify(notice(9))).fault_code == "PAA_SYSTEM_ERROR");
}

TEST_CASE_FIXTURE(PagopaFixture,
                  "pagopa: a slow back-end gets PAA_SYSTEM_ERROR before the deadline") {
  // Position 7 answers after 4 s; the node's deadline is 1.5 s.
  auto ko = post(verify(notice(7)));
  CHECK(ko.outcome == "KO");
  CHECK(ko.fault_code == "PAA_SYSTEM_ERROR");
  CHECK(ko.description.find("deadline") != std::string::npos);
}

TEST_CASE_FIXTURE(PagopaFixture, "pagopa: the node's credential is checked, scoped to creditors") {
  const auto bari_only = "Bearer " + config.apiKey("nodo-bari", {"bari"}, {"pagopa.*"});
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus->reload(errors), errors.str());  // the new key
  authorization.clear();
  auto missing = send(verify(notice(1)));
  CHECK(missing.result_int() == 401);
  CHECK(missing[http::field::content_type] == "text/xml; charset=utf-8");
  CHECK(missing.body().find(":Client</faultcode>") != std::string::npos);
  CHECK(missing.body().find("unauthorized: ") != std::string::npos);
  authorization = "Bearer egk_0000000000_wrong";
  CHECK(send(verify(notice(1))).result_int() == 401);
  authorization = bari_only;
  CHECK(post(verify(notice(1))).outcome == "OK");
  auto other = send(verify(notice(1), kMolfetta));
  CHECK(other.result_int() == 403);
  CHECK(other.body().find("forbidden: this client may not call this service") != std::string::npos);
  CHECK(other.body().find(":Client</faultcode>") != std::string::npos);
}

TEST_CASE_FIXTURE(PagopaFixture, "pagopa: idPA, idBrokerPA and idStation are checked") {
  auto unknown = post(verify(notice(1), "12345678901"));
  CHECK(unknown.fault_code == "PAA_ID_DOMINIO_ERRATO");
  CHECK(unknown.fault_id == kBroker);
  // A tenant with a fiscal code but no pagopa section is not served.
  CHECK(post(verify(notice(1), "00382520724")).fault_code == "PAA_ID_DOMINIO_ERRATO");
  CHECK(post(verify(notice(1), kBari, "99999999999")).fault_code == "PAA_ID_INTERMEDIARIO_ERRATO");
  CHECK(post(verify(notice(1), kBari, kBroker, "80000190729_02")).fault_code ==
        "PAA_STAZIONE_INT_ERRATA");
  // Molfetta is served by two stations.
  CHECK(post(verify(notice(1), kMolfetta, kBroker, "80000190729_02")).outcome == "OK");
  // The notice's creditor must be the idPA asked.
  auto other = post(soap("<pafn:paVerifyPaymentNoticeReq>" + caller(kBari) +
                         qr(kMolfetta, notice(1)) + "</pafn:paVerifyPaymentNoticeReq>"));
  CHECK(other.fault_code == "PAA_ID_DOMINIO_ERRATO");
  CHECK(post(verify(notice(1), kMolfetta)).text("/*/officeName") == "Ufficio Tributi");
}

TEST_CASE_FIXTURE(PagopaFixture,
                  "pagopa: requests that break the schema get PAA_SINTASSI_EXTRAXSD") {
  // Missing idStation; an amount with one decimal; a 17-digit notice number; a qualified child.
  const std::vector<std::string> broken = {
      soap("<pafn:paVerifyPaymentNoticeReq><idPA>80015010723</idPA><idBrokerPA>80000190729"
           "</idBrokerPA>" +
           qr(kBari, notice(1)) + "</pafn:paVerifyPaymentNoticeReq>"),
      soap("<pafn:paGetPaymentReq>" + caller(kBari) + qr(kBari, notice(1)) +
           "<amount>120.5</amount></pafn:paGetPaymentReq>"),
      verify(notice(1).substr(1)),
      soap("<pafn:paVerifyPaymentNoticeReq><pafn:idPA>80015010723</pafn:idPA>" +
           caller(kBari).substr(std::string("<idPA>80015010723</idPA>").size()) +
           qr(kBari, notice(1)) + "</pafn:paVerifyPaymentNoticeReq>"),
  };
  for (const auto& request : broken) {
    CAPTURE(request);
    auto ko = post(request);
    CHECK(ko.outcome == "KO");
    CHECK(ko.fault_code == "PAA_SINTASSI_EXTRAXSD");
    CHECK(!ko.description.empty());
  }
  CHECK(post(broken[1]).root == "paGetPaymentRes");
  // The root element outside the paForNode namespace, a SOAP 1.2 envelope, broken XML: the
  // operation is still told from the element name, so the node gets its response.
  auto other_ns = post(
      "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
      "<n:paVerifyPaymentNoticeReq "
      "xmlns:n=\"http://pagopa-api.pagopa.gov.it/node/nodeForPsp.xsd\">" +
      caller(kBari) + qr(kBari, notice(1)) + "</n:paVerifyPaymentNoticeReq></s:Body></s:Envelope>");
  CHECK(other_ns.root == "paVerifyPaymentNoticeRes");
  CHECK(other_ns.fault_code == "PAA_SINTASSI_EXTRAXSD");
  auto soap12 = post(
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>"
      "<pafn:paGetPaymentReq xmlns:pafn=\"http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd\">" +
      caller(kBari) + qr(kBari, notice(1)) + "</pafn:paGetPaymentReq></s:Body></s:Envelope>");
  CHECK(soap12.root == "paGetPaymentRes");
  CHECK(soap12.fault_code == "PAA_SINTASSI_EXTRAXSD");
  auto truncated = verify(notice(1));
  truncated.resize(truncated.size() - 30);
  auto cut = post(truncated);
  CHECK(cut.root == "paVerifyPaymentNoticeRes");
  CHECK(cut.fault_code == "PAA_SINTASSI_EXTRAXSD");
  // Nothing to tell the operation from: a SOAP 1.1 Client fault, never HTML or JSON.
  for (const std::string& request :
       {std::string("not xml"), soap("<pafn:nodoChiediNumeroAvviso/>"), soap("")}) {
    CAPTURE(request);
    auto fault = send(request);
    CHECK(fault.result_int() == 500);
    CHECK(std::string(fault[http::field::content_type]).find("text/xml") == 0);
    CHECK(readAnswer(fault).soap_fault);
    CHECK(fault.body().find("<faultcode>soapenv:Client</faultcode>") != std::string::npos);
  }
  auto get = send("", "", http::verb::get);
  CHECK(get.result_int() == 500);
  CHECK(readAnswer(get).soap_fault);
}

TEST_CASE_FIXTURE(PagopaFixture, "pagopa: every official example is answered as it deserves") {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kReference / "examples")) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() == 18);
  for (const auto& file : files) {
    const auto name = file.filename().string();
    CAPTURE(name);
    auto response = send(readFile(file), "");
    if (name == "verifyPaymentNoticeReq.xml") {
      // The node's own operation (nodeForPsp), not a creditor's: no such operation here.
      CHECK(response.result_int() == 500);
      CHECK(readAnswer(response).soap_fault);
      continue;
    }
    auto answer = readAnswer(response);
    CHECK(answer.outcome == "KO");
    if (name.starts_with("paVerifyPaymentNoticeReq")) {
      // avv1 puts the element in the nodeForPsp namespace, the others use an undeclared prefix.
      CHECK(answer.root == "paVerifyPaymentNoticeRes");
      CHECK(answer.fault_code == "PAA_SINTASSI_EXTRAXSD");
    } else if (name.starts_with("paGetPaymentReq")) {
      // Well-formed and valid, but their notice numbers carry no valid check digits.
      CHECK(answer.root == "paGetPaymentRes");
      CHECK(answer.fault_code == "PAA_PAGAMENTO_SCONOSCIUTO");
      CHECK(answer.fault_id == "77777777777");
    } else {
      CHECK(name == "paSendRTReq_avv4.xml");
      CHECK(answer.root == "paSendRTRes");
      CHECK(answer.fault_code == "PAA_SEMANTICA");
    }
  }
}

TEST_CASE_FIXTURE(PagopaFixture,
                  "pagopa: paDemandPaymentNotice only where a tenant configures it") {
  const std::string demand =
      "<idServizio>00001</idServizio><idSoggettoServizio>00002"
      "</idSoggettoServizio><datiSpecificiServizioRequest>PHg+PC94Pg=="
      "</datiSpecificiServizioRequest>";
  auto ok = post(soap("<pafn:paDemandPaymentNoticeRequest>" + caller(kBari) + demand +
                      "</pafn:paDemandPaymentNoticeRequest>"));
  CHECK(ok.root == "paDemandPaymentNoticeResponse");
  REQUIRE(ok.outcome == "OK");
  CHECK(ok.text("/*/qrCode/noticeNumber") == notice(77));
  CHECK(ok.text("/*/qrCode/fiscalCode") == kBari);
  CHECK(ok.text("/*/paymentList/paymentOptionDescription/amount") == "30.00");
  auto ko = post(soap("<pafn:paDemandPaymentNoticeRequest>" + caller(kMolfetta) + demand +
                      "</pafn:paDemandPaymentNoticeRequest>"));
  CHECK(ko.root == "paDemandPaymentNoticeResponse");
  CHECK(ko.fault_code == "PAA_SEMANTICA");
  CHECK(ko.fault_id == kMolfetta);
}

TEST_CASE_FIXTURE(PagopaFixture, "pagopa: a receipt is journaled before OK, then delivered once") {
  const auto request =
      receipt("rcpt-0001", kBari, kBari, notice(1), {{"100.00", kBari}, {"20.00", "80000190729"}});
  auto ok = post(request, "paSendRT");
  CHECK(ok.root == "paSendRTRes");
  REQUIRE(ok.outcome == "OK");
  CHECK(delivered("rcpt-0001") == 0);  // stored, not yet delivered
  deliverUntil([&] { return delivered("rcpt-0001") == 1; });
  CHECK(delivered("rcpt-0001") == 1);
  // Resent (V1 or V2): OK again for Bari, and never delivered a second time.
  CHECK(post(request, "paSendRT").outcome == "OK");
  auto v2 = post(receipt("rcpt-0001", kBari, kBari, notice(1),
                         {{"100.00", kBari}, {"20.00", "80000190729"}}, true),
                 "paSendRTV2");
  CHECK(v2.root == "paSendRTV2Response");
  CHECK(v2.outcome == "OK");
  deliverUntil([] { return false; });
  CHECK(delivered("rcpt-0001") == 1);
}

TEST_CASE_FIXTURE(PagopaFixture,
                  "pagopa: a resent receipt is PAA_RECEIPT_DUPLICATA where configured") {
  const auto request =
      receipt("rcpt-0002", kMolfetta, kMolfetta, notice(1), {{"120.00", kMolfetta}});
  CHECK(post(request, "paSendRT").outcome == "OK");
  auto again = post(request, "paSendRT");
  CHECK(again.outcome == "KO");
  CHECK(again.fault_code == "PAA_RECEIPT_DUPLICATA");
  CHECK(again.fault_id == kMolfetta);
}

TEST_CASE_FIXTURE(PagopaFixture,
                  "pagopa: concurrent duplicate receipts are stored and delivered once") {
  const auto body = receipt("rcpt-0003", kMolfetta, kMolfetta, notice(1), {{"120.00", kMolfetta}});
  constexpr int kCopies = 8;
  net::io_context io;
  std::vector<std::optional<HttpResponse>> responses(kCopies);
  for (int i = 0; i < kCopies; ++i) {
    HttpRequest request{http::verb::post, "/pagopa/paForNode", 11};
    request.set(http::field::content_type, "text/xml");
    request.body() = body;
    request.set(http::field::authorization, config.bearer());
    request.prepare_payload();
    net::co_spawn(
        io,
        [this, &responses, i, request = std::move(request)]() mutable -> awaitable<void> {
          responses[i] = co_await api->handle(std::move(request));
        },
        net::detached);
  }
  io.run();
  int ok = 0, duplicate = 0;
  for (auto& response : responses) {
    REQUIRE(response);
    auto answer = readAnswer(*response);
    ok += answer.outcome == "OK";
    duplicate += answer.fault_code == "PAA_RECEIPT_DUPLICATA";
  }
  CHECK(ok == 1);
  CHECK(duplicate == kCopies - 1);
  deliverUntil([&] { return delivered("rcpt-0003") >= 1; });
  deliverUntil([] { return false; });
  CHECK(delivered("rcpt-0003") == 1);
}

TEST_CASE_FIXTURE(PagopaFixture,
                  "pagopa: receipts of a secondary beneficiary, retried deliveries") {
  // Molfetta's notice, one of whose transfers pays Bari: Bari accepts its receipt.
  httpGet(backend.url("/guasto?n=2"));  // the back-end fails twice before it records
  auto ok = post(receipt("rcpt-0004", kBari, kMolfetta, notice(1),
                         {{"100.00", kMolfetta}, {"20.00", kBari}}, true),
                 "paSendRTV2");
  CHECK(ok.outcome == "OK");
  deliverUntil([&] { return delivered("rcpt-0004") == 1; });
  CHECK(delivered("rcpt-0004") == 1);
  // A receipt that pays this creditor nothing, or whose notice number cannot be, is refused.
  auto nothing =
      post(receipt("rcpt-0005", kBari, kMolfetta, notice(1), {{"120.00", kMolfetta}}), "paSendRT");
  CHECK(nothing.fault_code == "PAA_SEMANTICA");
  auto wrong = notice(1);
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  CHECK(
      post(receipt("rcpt-0006", kBari, kBari, wrong, {{"120.00", kBari}}), "paSendRT").fault_code ==
      "PAA_SEMANTICA");
}

TEST_CASE_FIXTURE(PagopaFixture,
                  "pagopa: pagamenti.avviso creates or fetches a notice for the portal") {
  auto call = [&] {
    HttpRequest request{http::verb::post, "/api/v1/bari/pagamenti/avviso", 11};
    request.set(http::field::content_type, "application/json");
    request.body() = R"({"codice_fiscale":"RSSMRA80A01A662A","servizio":"TARI_2026"})";
    request.set(http::field::authorization, config.bearer());
    request.prepare_payload();
    return test::runCoroutine(api->handle(std::move(request)));
  };
  auto first = call();
  REQUIRE_MESSAGE(first.result_int() == 200, first.body());
  rapidjson::Document doc;
  doc.Parse(first.body().c_str());
  REQUIRE(doc.IsObject());
  const std::string number = doc["notice_number"].GetString();
  CHECK(number == adapters::pagopa::makeNoticeNumber(3, "01", "1000")->text);
  CHECK(std::string(doc["iuv"].GetString()) == number.substr(1));
  CHECK(std::string(doc["amount"].GetString()) == "182.50");
  CHECK(std::string(doc["due_date"].GetString()) == "2030-12-31");
  CHECK(std::string(doc["fiscal_code"].GetString()) == kBari);
  CHECK(std::string(doc["qr_code"].GetString()) == "PAGOPA|002|" + number + "|" + kBari + "|18250");
  // The same citizen and service: the same position and notice.
  rapidjson::Document again;
  again.Parse(call().body().c_str());
  CHECK(std::string(again["notice_number"].GetString()) == number);
  // The node can then verify and pay it.
  auto verified = post(verify(number));
  CHECK(verified.outcome == "OK");
  CHECK(verified.text("/*/paymentList/paymentOptionDescription/amount") == "182.50");
}
