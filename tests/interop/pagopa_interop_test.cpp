// A third-party SOAP client (node-soap, loading the official paForNode.wsdl with its XSD
// imports) calls every operation of the creditor interface against a running bus (Beast on a
// real socket), which asks a SOAP back-end (node-soap, pagopa_backend.js) through the
// pagopa-soap profile. `make deps` installs node-soap (npm ci --prefix tests/interop).
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "adapters/pagopa/notice_number.hpp"
#include "core/engine/bus.hpp"
#include "core/journal/sqlite_journal.hpp"
#include "core/net/api.hpp"
#include "core/net/http_server.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;

namespace {

std::string notice(int position) {
  return adapters::pagopa::makeNoticeNumber(3, "01", std::to_string(position))->text;
}

// node pagopa_node_client.js, run to its end; its one line of JSON output.
std::string runClient(const std::string& endpoint, const std::filesystem::path& requests) {
  const auto wsdl =
      std::filesystem::path(EGOV_SOURCE_DIR) / "../shared/reference/pagopa/wsdl/paForNode.wsdl";
  const std::string command = "node '" + (test::interopDir() / "pagopa_node_client.js").string() +
                              "' '" + wsdl.string() + "' '" + endpoint + "' '" + requests.string() +
                              "'";
  std::FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  pclose(pipe);
  return out;
}

// node-soap may read an xs:decimal as a number: either way, the same amount.
bool sameAmount(const rapidjson::Value& value, const char* amount) {
  if (value.IsString()) return std::string(value.GetString()) == amount;
  return value.IsNumber() && std::abs(value.GetDouble() - std::atof(amount)) < 1e-9;
}

}  // namespace

TEST_CASE(
    "pagopa interop: node-soap with the official WSDL calls every operation of a running bus") {
  test::NodeProcess backend("pagopa_backend.js");
  test::TempConfig config;
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\n"
               "journal: { path: ../var/journal.db }\n"
               "inbound:\n"
               "  pagopa: { type: pagopa, path: /pagopa/paForNode, id_broker_pa: \"80000190729\","
               " id_station: \"80000190729_01\" }\n");
  config.copy("schemas/pagopa/paForNode.xsd").copy("schemas/pagopa/canonical.xsd");
  config.copy("conf/profiles/pagopa-soap.yaml");
  for (const char* xsl : {"cerca-request", "stato", "verify-response", "activate-response",
                          "receipt-request", "avviso-request", "avviso-response"}) {
    config.copy(std::string("mappings/pagopa-soap/") + xsl + ".xsl");
  }
  config.write(
      "conf/tenants/bari.yaml",
      "tenant: { istat: \"072006\", slug: bari, name: Bari, fiscal_code: \"80015010723\" }\n"
      "profile: pagopa-soap\n"
      "endpoints:\n"
      "  posizioni: { type: soap, url: \"" +
          backend.url("/posizioni") +
          "\" }\n"
          "  domanda: { type: memory, reply: { xml: \"<demandResponse xmlns='urn:egovbus:pagopa'>"
          "<status>payable</status><amount>30</amount><description>ZTL</description>"
          "<noticeNumber>" +
          notice(77) +
          "</noticeNumber></demandResponse>\" } }\n"
          "routes:\n  - service: pagopa.demand\n    steps: [ { call: domanda } ]\n"
          "pagopa: { demand_payment_notice: true }\n");
  // The node's credential (the client reads it from the environment).
  setenv("EGOV_API_KEY", config.apiKey("pagopa-node", {"bari"}, {"pagopa.*"}).c_str(), 1);
  core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.reload(errors), errors.str());
  auto journal = core::SqliteJournal::open(bus.generation()->bus.journal.path);
  REQUIRE(journal.ok());
  bus.setJournal(journal->get());
  core::ApiHandler api(bus);
  net::io_context io{2};
  core::HttpServer server(
      io, [&](HttpRequest request) { return api.handle(std::move(request)); },
      [&] { return bus.generation()->bus.limits; });
  const auto port = server.listen("127.0.0.1", 0);
  server.start();
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&] { io.run(); });

  const std::string caller =
      R"("idPA":"80015010723","idBrokerPA":"80000190729","idStation":"80000190729_01")";
  const std::string qr =
      R"("qrCode":{"fiscalCode":"80015010723","noticeNumber":")" + notice(1) + "\"}";
  auto receipt = [&](const char* id) {
    return std::string(R"({"receiptId":")") + id + R"(","noticeNumber":")" + notice(1) +
           R"(","fiscalCode":"80015010723","outcome":"OK","creditorReferenceId":")" +
           notice(1).substr(1) +
           R"(","paymentAmount":"120.00","description":"TARI","companyName":"Comune di Bari",)"
           R"("debtor":{"uniqueIdentifier":{"entityUniqueIdentifierType":"F",)"
           R"("entityUniqueIdentifierValue":"RSSMRA80A01A662A"},"fullName":"Mario Rossi"},)"
           R"("transferList":{"transfer":[{"idTransfer":1,"transferAmount":"120.00",)"
           R"("fiscalCodePA":"80015010723","IBAN":"IT60X0542811101000000123456",)"
           R"("remittanceInformation":"TARI","transferCategory":"9/0101108TS/"}]},)"
           R"("idPSP":"PSP01","PSPCompanyName":"Banca","idChannel":"PSP01_01",)"
           R"("channelDescription":"app"})";
  };
  const std::string requests =
      "[" + std::string(R"({"operation":"paVerifyPaymentNotice","args":{)") + caller + "," + qr +
      "}}," + R"({"operation":"paGetPayment","args":{)" + caller + "," + qr +
      R"(,"amount":"120.00"}},)" + R"({"operation":"paGetPaymentV2","args":{)" + caller + "," + qr +
      "}}," + R"({"operation":"paSendRT","args":{)" + caller + R"(,"receipt":)" +
      receipt("interop-1") + "}}," + R"({"operation":"paSendRTV2","args":{)" + caller +
      R"(,"receipt":)" + receipt("interop-2") + "}}," +
      R"({"operation":"paDemandPaymentNotice","args":{)" + caller +
      R"(,"idServizio":"00001","idSoggettoServizio":"00002","datiSpecificiServizioRequest":"PHg+PC94Pg=="}},)" +
      R"({"operation":"paVerifyPaymentNotice","args":{"idPA":"80015010723","idBrokerPA":"80000190729",)"
      R"("idStation":"80000190729_99",)" +
      qr + "}}" + "]";
  config.write("requests.json", requests);
  const auto output = runClient("http://127.0.0.1:" + std::to_string(port) + "/pagopa/paForNode",
                                config.root() / "requests.json");
  io.stop();
  for (auto& thread : threads) thread.join();
  bus.setJournal(nullptr);

  rapidjson::Document results;
  results.Parse(output.c_str());
  REQUIRE_MESSAGE(results.IsArray(), output);
  REQUIRE_MESSAGE(results.Size() == 7, output);
  for (rapidjson::SizeType i = 0; i < 6; ++i) {
    CAPTURE(i);
    REQUIRE_MESSAGE(results[i].IsObject(), output);
    REQUIRE_MESSAGE(!results[i].HasMember("error"), output);
    CHECK_MESSAGE(std::string(results[i]["outcome"].GetString()) == "OK", output);
  }
  // node-soap read the values back through the official schema.
  const auto& verify = results[0];
  CHECK(sameAmount(verify["paymentList"]["paymentOptionDescription"]["amount"], "120.00"));
  CHECK(std::string(verify["fiscalCodePA"].GetString()) == "80015010723");
  const auto& payment = results[2]["data"];
  CHECK(sameAmount(payment["paymentAmount"], "120.00"));
  CHECK(payment["transferList"]["transfer"].IsArray());
  CHECK(std::string(results[5]["qrCode"]["noticeNumber"].GetString()) == notice(77));
  const auto& wrong_station = results[6];
  CHECK(std::string(wrong_station["outcome"].GetString()) == "KO");
  CHECK(std::string(wrong_station["fault"]["faultCode"].GetString()) == "PAA_STAZIONE_INT_ERRATA");
}
