// The `db` adapter against a real PostgreSQL server, started once for this test binary on
// 127.0.0.1 (tests/support/postgres_server.hpp) the first time one of these tests runs.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include <yaml-cpp/yaml.h>

#include "adapters/db/db_endpoint.hpp"
#include "adapters/db/db_factory.hpp"
#include "core/engine/bus.hpp"
#include "core/json/json_xml.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/api.hpp"
#include "tests/support/adapter_runtime.hpp"
#include "tests/support/api_call.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"
#include "tests/support/test_http_server.hpp"

namespace {

namespace core = egov::core;
namespace net = egov::net;
namespace dbx = egov::adapters::db;
using egov::test::PostgresServer;
using egov::test::runCoroutine;
using namespace std::chrono_literals;

constexpr const char* kEmptyMap = "<map xmlns=\"http://www.w3.org/2005/xpath-functions\"/>";

constexpr const char* kSchema = R"yaml(
DROP TABLE IF EXISTS pagamenti, posizioni;
CREATE TABLE posizioni (cf text NOT NULL, tributo text NOT NULL, anno integer NOT NULL,
                        importo numeric(10,2), note text, allegato bytea, pagato boolean,
                        PRIMARY KEY (cf, tributo, anno));
INSERT INTO posizioni VALUES
  ('RSSMRA80A01A662A', 'TARI', 2024, 182.5, NULL, NULL, true),
  ('RSSMRA80A01A662A', 'IMU', 2023, 1200, '', '\x00ff10', false),
  ('RSSMRA80A01A662A', 'TOSAP', 2024, 10, 'Città – è ✓ 😀', NULL, NULL),
  ('VRDLGU70B02A662B', 'TARI', 2024, 99.99, NULL, NULL, false);
CREATE TABLE pagamenti (iuv text PRIMARY KEY, cf text NOT NULL, importo numeric CHECK (importo > 0));
GRANT ALL ON posizioni, pagamenti TO egov_test;
)yaml";

// The shared server with fresh tables. Fails the test (rather than skipping it) when the
// server cannot start: `make test` installs PostgreSQL.
PostgresServer& freshServer() {
  PostgresServer* server = nullptr;
  try {
    server = &egov::test::testPostgres();
  } catch (const std::exception& e) {
    FAIL(e.what());
  }
  if (!server->running()) server->start();
  server->exec(kSchema);
  return *server;
}

struct Runtime : egov::test::AdapterRuntime {
  Runtime() : AdapterRuntime(4) {}

  std::shared_ptr<dbx::DbEndpoint> endpoint(const std::string& dsn, const std::string& rest) {
    YAML::Node yaml = YAML::Load("type: db\ndriver: postgresql\n" + rest);
    yaml["dsn"] = dsn;  // set as a node, so its quoting is YAML's business
    return std::dynamic_pointer_cast<dbx::DbEndpoint>(dbx::makeDbEndpoint(context(yaml)));
  }
};

core::Result<core::XmlDocPtr> callOnce(core::Endpoint& endpoint, std::string_view body,
                                       core::Clock::time_point deadline) {
  core::Exchange exchange;
  auto doc = body.substr(0, 1) == "{" ? core::jsonToXml(body) : core::parseXml(body);
  REQUIRE(doc.ok());
  exchange.body = std::move(doc).value();
  core::CallRequest request{exchange, *exchange.body, deadline};
  return runCoroutine(endpoint.call(request));
}

core::Result<core::XmlDocPtr> callOnce(core::Endpoint& endpoint, std::string_view body) {
  return callOnce(endpoint, body, core::Clock::now() + 60s);
}

std::string text(const core::Result<core::XmlDocPtr>& result) {
  return result.ok() ? core::serializeXml(**result) : "error: " + result.error().message;
}

const char* kStatements = R"yaml(
statements:
  posizioni:
    sql: >-
      SELECT tributo, anno, importo, note, allegato, pagato FROM posizioni
      WHERE cf = :cf AND anno >= :anno::integer ORDER BY tributo
    params:
      cf: "fn:map/fn:string[@key='cf']"
      anno: "fn:map/fn:string[@key='anno']"
  paga:
    sql: "INSERT INTO pagamenti (iuv, cf, importo) VALUES (:iuv, :cf, :importo)"
    params:
      iuv: "fn:map/fn:string[@key='iuv']"
      cf: "fn:map/fn:string[@key='cf']"
      importo: "fn:map/fn:string[@key='importo']"
  sgravio:
    sql: "UPDATE posizioni SET importo = importo / 2 WHERE cf = :cf"
    params: { cf: "fn:map/fn:string[@key='cf']" }
)yaml";

std::string query(const std::string& statement, const std::string& params) {
  return "<query xmlns=\"urn:egovbus:db\" statement=\"" + statement + "\">" + params + "</query>";
}

std::string param(const std::string& name, const std::string& value) {
  return "<param name=\"" + name + "\">" + value + "</param>";
}

}  // namespace

TEST_CASE("db postgres: SELECT gives rows (NULL, empty, numeric, unicode, bytea, boolean)") {
  auto& server = freshServer();
  Runtime rt;
  auto endpoint = rt.endpoint(server.dsn(), kStatements);
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  auto reply = callOnce(
      *endpoint, query("posizioni", param("cf", "RSSMRA80A01A662A") + param("anno", "2023")));
  CHECK(text(reply) ==
        "<rows xmlns=\"urn:egovbus:db\">"
        "<row><field name=\"tributo\">IMU</field><field name=\"anno\">2023</field>"
        "<field name=\"importo\">1200.00</field><field name=\"note\"/>"
        "<field name=\"allegato\">AP8Q</field><field name=\"pagato\">false</field></row>"
        "<row><field name=\"tributo\">TARI</field><field name=\"anno\">2024</field>"
        "<field name=\"importo\">182.50</field><field name=\"note\" null=\"true\"/>"
        "<field name=\"allegato\" null=\"true\"/><field name=\"pagato\">true</field></row>"
        "<row><field name=\"tributo\">TOSAP</field><field name=\"anno\">2024</field>"
        "<field name=\"importo\">10.00</field><field name=\"note\">Città – è ✓ 😀</field>"
        "<field name=\"allegato\" null=\"true\"/><field name=\"pagato\" null=\"true\"/></row>"
        "</rows>");
  // A value that tries to be SQL is compared as a value.
  CHECK(text(callOnce(*endpoint,
                      query("posizioni", param("cf", "x' OR '1'='1") + param("anno", "0")))) ==
        "<rows xmlns=\"urn:egovbus:db\"/>");
}

TEST_CASE("db postgres: DML answers the affected count and commits; errors roll back") {
  auto& server = freshServer();
  Runtime rt;
  auto endpoint = rt.endpoint(server.dsn(), kStatements);
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  CHECK(text(callOnce(*endpoint, query("sgravio", param("cf", "RSSMRA80A01A662A")))) ==
        "<rows xmlns=\"urn:egovbus:db\" affected=\"3\"/>");
  const auto pay = [&](const std::string& iuv, const std::string& importo) {
    return callOnce(
        *endpoint, query("paga", param("iuv", iuv) + param("cf", "X") + param("importo", importo)));
  };
  CHECK(text(pay("IUV1", "10")) == "<rows xmlns=\"urn:egovbus:db\" affected=\"1\"/>");

  auto duplicate = pay("IUV1", "10");
  REQUIRE_FALSE(duplicate.ok());
  CHECK(duplicate.error().kind == core::ErrorKind::backend_rejected);
  CHECK(duplicate.error().message ==
        "t/x: SQLSTATE 23505: duplicate key value violates unique constraint \"pagamenti_pkey\"");
  auto negative = pay("IUV2", "-1");
  REQUIRE_FALSE(negative.ok());
  CHECK(negative.error().kind == core::ErrorKind::backend_rejected);
  CHECK(negative.error().message.find("SQLSTATE 23514") != std::string::npos);
  auto not_a_number = pay("IUV3", "dieci");
  REQUIRE_FALSE(not_a_number.ok());
  CHECK(not_a_number.error().message.find("SQLSTATE 22P02") != std::string::npos);

  // Each failed transaction was rolled back, so the one connection is still usable.
  CHECK(text(pay("IUV4", "1")) == "<rows xmlns=\"urn:egovbus:db\" affected=\"1\"/>");
  CHECK(endpoint->connectionsOpened() == 1);
  CHECK(text(callOnce(*endpoint,
                      query("posizioni", param("cf", "VRDLGU70B02A662B") + param("anno", "0")))) ==
        "<rows xmlns=\"urn:egovbus:db\"><row><field name=\"tributo\">TARI</field>"
        "<field name=\"anno\">2024</field><field name=\"importo\">99.99</field>"
        "<field name=\"note\" null=\"true\"/><field name=\"allegato\" null=\"true\"/>"
        "<field name=\"pagato\">false</field></row></rows>");
}

TEST_CASE("db postgres: for_each runs once per node in one transaction; SELECT rows gathered") {
  auto& server = freshServer();
  Runtime rt;
  auto endpoint = rt.endpoint(server.dsn(), R"yaml(
statements:
  carica:
    for_each: "/*/*[local-name() = 'row']"
    sql: "INSERT INTO pagamenti (iuv, cf, importo) VALUES (:iuv, :cf, :importo)"
    params: { iuv: "*[@name = 'iuv']", cf: "*[@name = 'cf']", importo: "*[@name = 'importo']" }
  anni:
    for_each: "/*/*[local-name() = 'row']"
    sql: "SELECT iuv, importo FROM pagamenti WHERE cf = :cf ORDER BY iuv"
    params: { cf: "*[@name = 'cf']" }
)yaml");
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  const auto chunk = [](std::initializer_list<std::array<const char*, 3>> rows) {
    std::string body = R"(<query xmlns="urn:egovbus:db" statement="carica">)";
    for (const auto& [iuv, cf, importo] : rows) {
      body += "<row>" + param("iuv", iuv) + param("cf", cf) + param("importo", importo) + "</row>";
    }
    return body + "</query>";
  };
  CHECK(text(callOnce(*endpoint, chunk({{"A", "X", "1"}, {"B", "Y", "2"}, {"C", "X", "3"}}))) ==
        "<rows xmlns=\"urn:egovbus:db\" affected=\"3\"/>");
  auto failed = callOnce(*endpoint, chunk({{"D", "X", "1"}, {"E", "X", "-1"}, {"F", "X", "1"}}));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == core::ErrorKind::backend_rejected);
  CHECK(failed.error().message.find("t/x: for_each node 2 of 3: SQLSTATE 23514") == 0);

  // Every run's rows, in order; D went with the failed transaction.
  CHECK(text(callOnce(*endpoint, R"(<query xmlns="urn:egovbus:db" statement="anni">)"
                                 "<row>" +
                                     param("cf", "Y") + "</row><row>" + param("cf", "X") +
                                     "</row></query>")) ==
        "<rows xmlns=\"urn:egovbus:db\">"
        "<row><field name=\"iuv\">B</field><field name=\"importo\">2</field></row>"
        "<row><field name=\"iuv\">A</field><field name=\"importo\">1</field></row>"
        "<row><field name=\"iuv\">C</field><field name=\"importo\">3</field></row></rows>");
  CHECK(endpoint->connectionsOpened() == 1);
}

// Rows as <rows><row n="..."><f>cf</f><f>importo</f></row>...</rows>, numbered from `first`.
std::string numberedRows(int first, int count, const std::string& cf,
                         int failing = -1 /* this row's importo breaks the CHECK */) {
  std::string body = "<rows>";
  for (int n = first; n < first + count; ++n) {
    body += "<row n=\"" + std::to_string(n) + "\"><f>" + cf + "</f><f>" +
            (n == failing ? "-1" : std::to_string(n % 90 + 1)) + "</f></row>";
  }
  return body + "</rows>";
}

TEST_CASE(
    "db postgres: for_each runs in pipelines of batches; an error in a late batch undoes all") {
  auto& server = freshServer();
  Runtime rt;
  auto endpoint = rt.endpoint(server.dsn(), R"yaml(
statements:
  carica:
    for_each: "/*/*"
    sql: "INSERT INTO pagamenti (iuv, cf, importo) VALUES (:iuv, :cf, :importo)"
    params: { iuv: "@n", cf: "*[1]", importo: "*[2]" }
)yaml");
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  auto elenco = rt.endpoint(server.dsn(), R"yaml(
statements:
  elenco:
    for_each: "/*/*"
    sql: "SELECT iuv, importo FROM pagamenti WHERE iuv = :iuv OR iuv = :iuv || '-bis'"
    params: { iuv: "@n" }
)yaml");
  REQUIRE_MESSAGE(elenco, rt.errors.str());
  auto conta = rt.endpoint(server.dsn(), R"yaml(
statements:
  conta:
    sql: "SELECT count(*) AS n, min(length(cf)) AS w FROM pagamenti WHERE iuv::int >= :da::int"
    params: { da: "/da" }
)yaml");
  REQUIRE_MESSAGE(conta, rt.errors.str());
  const auto count = [&](int from) {
    return text(callOnce(*conta, "<da>" + std::to_string(from) + "</da>"));
  };

  // 600 rows: three batches of statements (256 at most each); row 550 fails in the third.
  auto failed = callOnce(*endpoint, numberedRows(1, 600, "RSSMRA80A01A662A", 550));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == core::ErrorKind::backend_rejected);
  CHECK(failed.error().message.find("t/x: for_each node 550 of 600: SQLSTATE 23514") == 0);
  CHECK(count(0) ==
        "<rows xmlns=\"urn:egovbus:db\"><row><field name=\"n\">0</field>"
        "<field name=\"w\" null=\"true\"/></row></rows>");

  // The same connection then runs them all, and a SELECT per row gathers 600 answers in order.
  CHECK(text(callOnce(*endpoint, numberedRows(1, 600, "RSSMRA80A01A662A"))) ==
        "<rows xmlns=\"urn:egovbus:db\" affected=\"600\"/>");
  auto listed = callOnce(*elenco, numberedRows(1, 600, "X"));
  REQUIRE(listed.ok());
  const std::string listed_text = text(listed);
  CHECK(listed_text.find("<row><field name=\"iuv\">1</field><field name=\"importo\">2</field>"
                         "</row><row><field name=\"iuv\">2</field>") != std::string::npos);
  CHECK(listed_text.find("<field name=\"iuv\">600</field><field name=\"importo\">61</field>"
                         "</row></rows>") != std::string::npos);
  CHECK(endpoint->connectionsOpened() == 1);

  // Values of 40 KB: batches cut by size (64 KB of values), still one transaction.
  const std::string wide(40 * 1024, 'x');
  CHECK(text(callOnce(*endpoint, numberedRows(1001, 7, wide))) ==
        "<rows xmlns=\"urn:egovbus:db\" affected=\"7\"/>");
  CHECK(count(1001) ==
        "<rows xmlns=\"urn:egovbus:db\"><row><field name=\"n\">7</field>"
        "<field name=\"w\">40960</field></row></rows>");
  CHECK(endpoint->connectionsOpened() == 1);
}

TEST_CASE("db postgres: a wrong password or no server is backend_unavailable, without secrets") {
  auto& server = freshServer();
  Runtime rt;
  auto wrong = rt.endpoint(server.dsn("not-the-password"), kStatements);
  REQUIRE_MESSAGE(wrong, rt.errors.str());
  auto refused = callOnce(*wrong, query("sgravio", param("cf", "X")));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == core::ErrorKind::backend_unavailable);
  CHECK(refused.error().message.find("t/x: cannot connect: ") == 0);
  CHECK(refused.error().message.find("password authentication failed for user \"egov_test\"") !=
        std::string::npos);
  CHECK(refused.error().message.find("not-the-password") == std::string::npos);

  const std::string closed = "postgresql://egov_test:" + std::string(PostgresServer::kPassword) +
                             "@127.0.0.1:" + std::to_string(egov::test::closedLocalPort()) +
                             "/egov_test";
  auto nobody = rt.endpoint(closed, kStatements);
  REQUIRE_MESSAGE(nobody, rt.errors.str());
  auto unreachable = callOnce(*nobody, query("sgravio", param("cf", "X")));
  REQUIRE_FALSE(unreachable.ok());
  CHECK(unreachable.error().kind == core::ErrorKind::backend_unavailable);
  CHECK(unreachable.error().message.find("Connection refused") != std::string::npos);
  CHECK(unreachable.error().message.find(PostgresServer::kPassword) == std::string::npos);
}

// A server that takes the connection and never answers it (the kernel completes the handshake
// of a socket that listens and never accepts): connect_timeout, or the route's deadline, ends
// the wait.
TEST_CASE("db postgres: a server that never answers ends at connect_timeout or the deadline") {
  const int silent = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(silent >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(listen(silent, 8) == 0);
  socklen_t size = sizeof address;
  REQUIRE(getsockname(silent, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  const std::string dsn =
      "postgresql://egov_test:x@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) +
      "/egov_test";
  Runtime rt;
  auto quick = rt.endpoint(dsn, std::string("connect_timeout: 1s\n") + kStatements);
  REQUIRE_MESSAGE(quick, rt.errors.str());
  auto timed_out = callOnce(*quick, query("sgravio", param("cf", "X")));
  REQUIRE_FALSE(timed_out.ok());
  CHECK(timed_out.error().kind == core::ErrorKind::backend_unavailable);
  CHECK_MESSAGE(timed_out.error().message.starts_with("t/x: cannot connect: "),
                timed_out.error().message);

  auto patient = rt.endpoint(dsn, std::string("connect_timeout: 1h\n") + kStatements);
  REQUIRE_MESSAGE(patient, rt.errors.str());
  auto late = callOnce(*patient, query("sgravio", param("cf", "X")), core::Clock::now() + 1s);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().kind == core::ErrorKind::deadline_exceeded);
  close(silent);
}

TEST_CASE("db postgres end to end: JSON in, XSLT, PostgreSQL, XSLT, JSON out through /api/v1") {
  auto& server = freshServer();
  egov::test::TempConfig config;
  config.copy("tests/data/db/posizioni-request.xsl");
  config.copy("tests/data/db/posizioni-response.xsl");
  setenv("EGOV_TEST_PG_DSN", server.dsn().c_str(), 1);
  setenv("EGOV_TEST_PG_WRONG_DSN", server.dsn("not-the-password").c_str(), 1);
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\npaths: { mappings: ../tests/data }\n");
  config.write("conf/profiles/db.yaml", R"yaml(routes:
  - service: tributi.posizioni
    methods: [GET]
    steps:
      - map: db/posizioni-request.xsl
      - call: tributi
      - map: db/posizioni-response.xsl
)yaml");
  const std::string endpoint = R"yaml(
endpoints:
  tributi:
    type: db
    driver: postgresql
    statements:
      posizioni:
        sql: >-
          SELECT tributo, anno, importo, note FROM posizioni
          WHERE cf = :cf AND anno >= :anno::integer ORDER BY anno DESC, tributo
        params:
          cf: "fn:map/fn:string[@key='cf']"
          anno: "fn:map/fn:string[@key='anno']"
)yaml";
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: db\n" + endpoint +
                   "    dsn: \"${env:EGOV_TEST_PG_DSN}\"\n");
  config.write("conf/tenants/bitonto.yaml",
               "tenant: { istat: \"072011\", slug: bitonto, name: Bitonto }\nprofile: db\n" +
                   endpoint + "    dsn: \"${env:EGOV_TEST_PG_WRONG_DSN}\"\n");
  const auto key = config.apiKey();
  core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.reload(errors), errors.str());
  core::ApiHandler api(bus);
  auto get = [&](const std::string& target) {
    return egov::test::apiCall(api, "Bearer " + key, egov::http::verb::get, target);
  };
  auto response = get("/api/v1/bari/tributi/posizioni?codice_fiscale=rssmra80a01a662a&anno=2024");
  CHECK(response.result_int() == 200);
  CHECK(response.body() ==
        R"({"positions":[)"
        R"({"tax":"TARI","year":2024,"amount":182.50,"note":null},)"
        R"({"tax":"TOSAP","year":2024,"amount":10.00,"note":"Città – è ✓ 😀"}]})");
  // Wrong credentials: a problem naming the failure, never the password.
  auto refused = get("/api/v1/bitonto/tributi/posizioni?codice_fiscale=X&anno=2024");
  CHECK(refused.result_int() == 502);
  CHECK(refused.body().find("urn:egovbus:problem:backend-unavailable") != std::string::npos);
  CHECK(refused.body().find("password authentication failed") != std::string::npos);
  CHECK(refused.body().find("not-the-password") == std::string::npos);
  unsetenv("EGOV_TEST_PG_DSN");
  unsetenv("EGOV_TEST_PG_WRONG_DSN");
}

TEST_CASE("db postgres: statement_timeout, and the route's deadline, end a slow statement") {
  auto& server = freshServer();
  Runtime rt;
  const std::string slow = R"yaml(
statements:
  dormi:
    sql: "SELECT pg_sleep(:secondi)"
    params: { secondi: "fn:map/fn:string[@key='s']" }
)yaml";
  auto quick = rt.endpoint(server.dsn(), "statement_timeout: 200ms" + slow);
  REQUIRE_MESSAGE(quick, rt.errors.str());
  auto timed_out = callOnce(*quick, R"({"s":"30"})");
  REQUIRE_FALSE(timed_out.ok());
  CHECK(timed_out.error().kind == core::ErrorKind::backend_unavailable);
  CHECK(timed_out.error().message == "t/x: statement timeout");

  auto patient = rt.endpoint(server.dsn(), "statement_timeout: 1h" + slow);
  REQUIRE_MESSAGE(patient, rt.errors.str());
  auto late = callOnce(*patient, R"({"s":"30"})", core::Clock::now() + 300ms);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().kind == core::ErrorKind::deadline_exceeded);
  // Canceled statements leave the connection usable.
  CHECK(text(callOnce(*patient, R"({"s":"0"})")) ==
        "<rows xmlns=\"urn:egovbus:db\"><row><field name=\"pg_sleep\"/></row></rows>");
  CHECK(patient->connectionsOpened() == 1);
}

TEST_CASE("db postgres: a server that goes away is backend_unavailable; calls reconnect") {
  auto& server = freshServer();
  Runtime rt;
  auto endpoint = rt.endpoint(server.dsn(), kStatements);
  REQUIRE_MESSAGE(endpoint, rt.errors.str());
  const auto ask = [&] {
    return callOnce(*endpoint,
                    query("posizioni", param("cf", "VRDLGU70B02A662B") + param("anno", "0")));
  };
  REQUIRE(ask().ok());
  CHECK(endpoint->poolStats().idle == 1);

  server.stop();
  auto gone = ask();
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().kind == core::ErrorKind::backend_unavailable);
  CHECK(gone.error().message.find("t/x: ") == 0);
  CHECK(endpoint->poolStats().idle == 0);  // the dead connection was dropped

  server.start();
  auto back = ask();
  CHECK_MESSAGE(back.ok(), text(back));
  CHECK(endpoint->connectionsOpened() == 2);
}

TEST_CASE("db config: postgresql needs a valid dsn and refuses sqlite's keys") {
  Runtime rt;
  CHECK_FALSE(rt.endpoint("host=x port", "path: x.db\nstatements: { a: { sql: SELECT 1 } }\n"));
  const std::string errors = rt.errors.str();
  CHECK(errors.find("endpoints.x.path: path is for driver sqlite") != std::string::npos);
  CHECK(errors.find("endpoints.x.dsn: not a valid libpq connection string or URI") !=
        std::string::npos);
}
