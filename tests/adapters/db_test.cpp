// The `db` adapter on SQLite files in a temporary folder: config checks, results, errors,
// transactions, the pool cap, and a whole route through the REST API. Commit groups:
// db_group_test.cpp.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <sqlite3.h>

#include "adapters/db/db_endpoint.hpp"
#include "adapters/db/db_factory.hpp"
#include "adapters/db/sql_placeholders.hpp"
#include "core/engine/bus.hpp"
#include "core/json/json_xml.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/api.hpp"
#include "tests/adapters/db_test_support.hpp"
#include "tests/support/api_call.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov::test::dbtest;

TEST_CASE("db placeholders: :name becomes positional, outside literals, comments and casts") {
  auto pg = dbx::translatePlaceholders(
      "SELECT ':no', \":no\", $$ :no $$, E'\\' :no', x::text -- :no\n"
      "FROM t /* :no */ WHERE a = :a AND b = :b OR a = :a",
      dbx::PlaceholderStyle::postgres);
  CHECK(pg.error.empty());
  CHECK(pg.sql ==
        "SELECT ':no', \":no\", $$ :no $$, E'\\' :no', x::text -- :no\n"
        "FROM t /* :no */ WHERE a = $1 AND b = $2 OR a = $1");
  CHECK(pg.names == std::vector<std::string>{"a", "b"});

  auto lite =
      dbx::translatePlaceholders("SELECT [:no] FROM t WHERE a = :a", dbx::PlaceholderStyle::sqlite);
  CHECK(lite.sql == "SELECT [:no] FROM t WHERE a = ?1");
  CHECK(dbx::translatePlaceholders("SELECT ? ", dbx::PlaceholderStyle::sqlite).error ==
        "use :name placeholders, not ? at character 8");
  CHECK(!dbx::translatePlaceholders("SELECT $1", dbx::PlaceholderStyle::postgres).error.empty());
  CHECK(!dbx::translatePlaceholders("SELECT 'open", dbx::PlaceholderStyle::sqlite).error.empty());
}

TEST_CASE("db config: a good sqlite config builds an endpoint; relative paths follow the YAML") {
  Runtime rt;
  rt.database();
  auto endpoint = rt.endpoint(kPosizioniYaml);
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  CHECK(endpoint->type() == "db");
  CHECK(endpoint->config().path == (rt.folder / "tributi.db").string());
  CHECK(endpoint->config().pool_max == 4);
  REQUIRE(endpoint->config().statements.size() == 1);
  CHECK(endpoint->config().statements[0].driver_sql.find("cf = ?1 AND anno >= ?2") !=
        std::string::npos);
}

TEST_CASE("db config: unknown key, wrong types, missing sql and bad values carry file:line:col") {
  Runtime rt;
  rt.database();
  auto endpoint = rt.endpoint(R"yaml(type: db
driver: sqlite
path: tributi.db
colour: blue
pool: 4
statement_timeout: soon
mode: write
statements:
  a: { params: {} }
)yaml");
  CHECK_FALSE(endpoint);
  const std::string errors = rt.errorText();
  CHECK(errors.find("tenant.yaml:4:1: colour: unknown key") != std::string::npos);
  CHECK(errors.find("tenant.yaml:5:7: pool: expected a map") != std::string::npos);
  CHECK(errors.find("tenant.yaml:6:20: statement_timeout: expected a duration") !=
        std::string::npos);
  CHECK(errors.find("tenant.yaml:7:7: mode: expected ro or rw") != std::string::npos);
  CHECK(errors.find("tenant.yaml:9:6: statements.a.sql: missing key") != std::string::npos);
}

TEST_CASE("db config: missing or unknown driver, and a pool size that is no number") {
  Runtime rt;
  CHECK_FALSE(rt.endpoint("type: db\npath: x.db\nstatements: { a: { sql: SELECT 1 } }\n"));
  CHECK(rt.errorText().find("tenant.yaml:1:1: driver: missing key") != std::string::npos);
  rt.errors = {};
  CHECK_FALSE(rt.endpoint("type: db\ndriver: oracle\n"));
  CHECK(
      rt.errorText().find("tenant.yaml:2:9: driver: unknown driver oracle (sqlite, postgresql)") !=
      std::string::npos);
  rt.errors = {};
  CHECK_FALSE(rt.endpoint(
      "type: db\ndriver: postgresql\ndsn: host=x\npool: { max: many }\nstatements: {}\n"));
  CHECK(rt.errorText().find("tenant.yaml:4:14: pool.max: expected an integer") !=
        std::string::npos);
  CHECK(rt.errorText().find("statements: at least one statement is needed") != std::string::npos);
}

TEST_CASE("db config: every placeholder needs a param and every param a placeholder") {
  Runtime rt;
  rt.database();
  auto endpoint = rt.endpoint(R"yaml(type: db
driver: sqlite
path: tributi.db
statements:
  a:
    sql: "SELECT * FROM posizioni WHERE cf = :cf AND anno = :anno"
    params:
      cf: "fn:map/fn:string[@key='cf']"
      tributo: "fn:map/fn:string[@key='tributo']"
  b:
    sql: "SELECT * FROM posizioni WHERE cf = :cf"
    params: { cf: "fn:map/fn:string[@key='cf'" }
)yaml");
  CHECK_FALSE(endpoint);
  const std::string errors = rt.errorText();
  CHECK(errors.find("tenant.yaml:9:16: statements.a.params.tributo: param tributo is not used in "
                    "sql (no :tributo)") != std::string::npos);
  CHECK(errors.find("tenant.yaml:8:7: statements.a.params: placeholder :anno has no entry in "
                    "params") != std::string::npos);
  CHECK(errors.find("tenant.yaml:12:19: statements.b.params.cf: invalid XPath") !=
        std::string::npos);
}

TEST_CASE("db config: an unknown table is reported at load at the statement's sql line") {
  Runtime rt;
  rt.database();
  auto endpoint = rt.endpoint(R"yaml(type: db
driver: sqlite
path: tributi.db
statements:
  a: { sql: "SELECT x FROM nowhere" }
  b: { sql: "SELECT 1; DROP TABLE posizioni" }
)yaml");
  CHECK_FALSE(endpoint);
  const std::string errors = rt.errorText();
  CHECK(errors.find("tenant.yaml:5:13: statements.a.sql: no such table: nowhere") !=
        std::string::npos);
  CHECK(errors.find("tenant.yaml:6:13: statements.b.sql: only one SQL statement per entry") !=
        std::string::npos);
}

TEST_CASE("db sqlite: a SELECT gives rows with NULL apart from empty, numbers, unicode, blobs") {
  Runtime rt;
  rt.database();
  auto endpoint = rt.endpoint(kPosizioniYaml);
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  auto reply = callOnce(*endpoint, R"({"codice_fiscale":"RSSMRA80A01A662A","anno":"2023"})");
  CHECK(text(reply) ==
        "<rows xmlns=\"urn:egovbus:db\">"
        "<row><field name=\"tributo\">IMU</field><field name=\"anno\">2023</field>"
        "<field name=\"importo\">1200.0</field><field name=\"note\"/>"
        "<field name=\"allegato\">AP8Q</field></row>"
        "<row><field name=\"tributo\">TARI</field><field name=\"anno\">2024</field>"
        "<field name=\"importo\">182.5</field><field name=\"note\" null=\"true\"/>"
        "<field name=\"allegato\" null=\"true\"/></row>"
        "<row><field name=\"tributo\">TOSAP</field><field name=\"anno\">2024</field>"
        "<field name=\"importo\">10.0</field><field name=\"note\">Città – è ✓ 😀</field>"
        "<field name=\"allegato\" null=\"true\"/></row>"
        "</rows>");
  // A key the body does not have is an empty node-set: SQL NULL, so `anno >= NULL` is false.
  CHECK(text(callOnce(*endpoint, R"({"codice_fiscale":"RSSMRA80A01A662A"})")) ==
        "<rows xmlns=\"urn:egovbus:db\"/>");
}

TEST_CASE("db sqlite: DML answers the affected count, and commits") {
  Runtime rt;
  auto file = rt.database();
  auto endpoint = rt.endpoint(R"yaml(type: db
driver: sqlite
path: tributi.db
statements:
  sgravio:
    sql: "UPDATE posizioni SET importo = importo / 2 WHERE cf = :cf AND tributo = 'TARI'"
    params: { cf: "fn:map/fn:string[@key='cf']" }
)yaml");
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  CHECK(text(callOnce(*endpoint, R"({"cf":"RSSMRA80A01A662A"})")) ==
        "<rows xmlns=\"urn:egovbus:db\" affected=\"2\"/>");
  auto db = openSqlite(file);
  CHECK(sqliteScalar(db.get(), "SELECT importo FROM posizioni WHERE anno = 2021") == "75.0");
}

TEST_CASE("db sqlite: the query envelope names the statement and gives the values") {
  Runtime rt;
  rt.database();
  auto endpoint = rt.endpoint(R"yaml(type: db
driver: sqlite
path: tributi.db
statements:
  conta:
    sql: "SELECT count(*) AS n, :etichetta IS NULL AS senza_etichetta FROM posizioni WHERE cf = :cf"
    params: { cf: "fn:map/fn:string[@key='cf']", etichetta: "fn:map/fn:string[@key='e']" }
  anni: { sql: "SELECT DISTINCT anno FROM posizioni ORDER BY anno DESC LIMIT 1" }
)yaml");
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  CHECK(text(callOnce(*endpoint, R"(<query xmlns="urn:egovbus:db" statement="conta">
      <param name="cf">RSSMRA80A01A662A</param><param name="etichetta" null="true"/></query>)")) ==
        "<rows xmlns=\"urn:egovbus:db\"><row><field name=\"n\">4</field>"
        "<field name=\"senza_etichetta\">1</field></row></rows>");
  CHECK(text(callOnce(*endpoint, R"(<query xmlns="urn:egovbus:db" statement="anni"/>)")) ==
        "<rows xmlns=\"urn:egovbus:db\"><row><field name=\"anno\">2024</field></row></rows>");

  auto several = callOnce(*endpoint, R"({"cf":"RSSMRA80A01A662A"})");
  REQUIRE_FALSE(several.ok());
  CHECK(several.error().kind == core::ErrorKind::mapping_failed);
  CHECK(several.error().message.find("t/x: the endpoint has several statements (conta, anni)") ==
        0);
  auto missing = callOnce(*endpoint, R"(<query xmlns="urn:egovbus:db" statement="conta">
      <param name="cf">X</param></query>)");
  CHECK(text(missing) == "error: t/x: query envelope: missing param etichetta");
  auto unknown = callOnce(*endpoint, R"(<query xmlns="urn:egovbus:db" statement="drop"/>)");
  CHECK(text(unknown) == "error: t/x: query envelope: unknown statement drop (conta, anni)");
}

TEST_CASE("db sqlite: a failing statement rolls back the whole transaction") {
  Runtime rt;
  auto file = rt.database();
  // OR FAIL keeps the rows written before the failure in autocommit mode: only the call's
  // own transaction, rolled back, takes the first row away again.
  auto endpoint = rt.endpoint(R"yaml(type: db
driver: sqlite
path: tributi.db
statements:
  registra:
    sql: "INSERT OR FAIL INTO pagamenti (iuv, cf, importo) VALUES (:a, 'X', 1), (:b, 'X', 1)"
    params: { a: "fn:map/fn:string[@key='a']", b: "fn:map/fn:string[@key='b']" }
)yaml");
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  CHECK(text(callOnce(*endpoint, R"({"a":"IUV1","b":"IUV2"})")) ==
        "<rows xmlns=\"urn:egovbus:db\" affected=\"2\"/>");
  auto clash = callOnce(*endpoint, R"({"a":"IUV3","b":"IUV1"})");
  REQUIRE_FALSE(clash.ok());
  CHECK(clash.error().kind == core::ErrorKind::backend_rejected);
  CHECK(clash.error().message ==
        "t/x: UNIQUE constraint failed: pagamenti.iuv (sqlite error 1555)");
  auto db = openSqlite(file);
  CHECK(sqliteScalar(db.get(), "SELECT count(*) FROM pagamenti") == "2");
  // The connection went back to the pool outside any transaction, and still works.
  CHECK(text(callOnce(*endpoint, R"({"a":"IUV3","b":"IUV4"})")) ==
        "<rows xmlns=\"urn:egovbus:db\" affected=\"2\"/>");
  CHECK(endpoint->connectionsOpened() == 1);
}

TEST_CASE("db sqlite: a constraint violation is backend_rejected, NULL included") {
  Runtime rt;
  rt.database();
  auto endpoint = rt.endpoint(R"yaml(type: db
driver: sqlite
path: tributi.db
statements:
  paga:
    sql: "INSERT INTO pagamenti (iuv, cf, importo) VALUES (:iuv, :cf, :importo)"
    params:
      iuv: "fn:map/fn:string[@key='iuv']"
      cf: "fn:map/fn:string[@key='cf']"
      importo: "fn:map/fn:number[@key='importo']"
)yaml");
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  auto check = callOnce(*endpoint, R"({"iuv":"1","cf":"X","importo":-5})");
  REQUIRE_FALSE(check.ok());
  CHECK(check.error().kind == core::ErrorKind::backend_rejected);
  CHECK(check.error().message.find("CHECK constraint failed") != std::string::npos);
  auto not_null = callOnce(*endpoint, R"({"iuv":"1","importo":5})");
  REQUIRE_FALSE(not_null.ok());
  CHECK(not_null.error().kind == core::ErrorKind::backend_rejected);
  CHECK(not_null.error().message.find("NOT NULL constraint failed: pagamenti.cf") !=
        std::string::npos);
}

// A chunk of CSV rows as the csv source sends it, for the for_each tests.
std::string csvChunk(std::initializer_list<std::array<const char*, 3>> rows) {
  std::string body = R"(<rows xmlns="urn:egovbus:csv" file="p.csv" first="1" last="3">)";
  int number = 0;
  for (const auto& [iuv, cf, importo] : rows) {
    body += "<row number=\"" + std::to_string(++number) + "\"><field name=\"iuv\">" + iuv +
            "</field><field name=\"cf\">" + cf + "</field><field name=\"importo\">" + importo +
            "</field></row>";
  }
  return body + "</rows>";
}

constexpr const char* kCaricaStatements = R"yaml(  carica:
    for_each: "/*/*[local-name() = 'row']"
    sql: "INSERT INTO pagamenti (iuv, cf, importo) VALUES (:iuv, :cf, egov_decimal_it(:importo))"
    params:
      iuv: "concat(*[@name = 'iuv'], '-', position(), '/', last())"
      cf: "*[@name = 'cf']"
      importo: "*[@name = 'importo']"
)yaml";

TEST_CASE("db sqlite: for_each runs the statement once per selected node, in one transaction") {
  Runtime rt;
  auto file = rt.database();
  auto endpoint = rt.sqliteEndpoint(kCaricaStatements);
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  auto db = openSqlite(file);

  CHECK(text(callOnce(*endpoint,
                      csvChunk({{"A", "X", "1.234,56"}, {"B", "Y", "2,5"}, {"C", "Z", "7"}}))) ==
        "<rows xmlns=\"urn:egovbus:db\" affected=\"3\"/>");
  // Each param was evaluated on its own row, position() and last() counting the rows.
  CHECK(sqliteScalar(db.get(),
                     "SELECT group_concat(iuv || ':' || cf || ':' || importo, ' ') "
                     "FROM (SELECT * FROM pagamenti ORDER BY rowid)") ==
        "A-1/3:X:1234.56 B-2/3:Y:2.5 C-3/3:Z:7.0");

  // The second row fails: the first is rolled back with it, the third never runs, and the
  // message names the row.
  auto failed = callOnce(*endpoint, csvChunk({{"D", "X", "1"}, {"E", "Y", "-1"}, {"F", "", "1"}}));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == core::ErrorKind::backend_rejected);
  CHECK(failed.error().message ==
        "t/x: for_each node 2 of 3: CHECK constraint failed: importo > 0 (sqlite error 275)");
  // A missing field binds NULL, refused by the column.
  auto missing = callOnce(*endpoint, R"(<rows xmlns="urn:egovbus:csv"><row>
      <field name="iuv">G</field><field name="importo">1</field></row></rows>)");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("for_each node 1 of 1: NOT NULL constraint failed: "
                                     "pagamenti.cf") != std::string::npos);
  CHECK(sqliteScalar(db.get(), "SELECT count(*) FROM pagamenti") == "3");

  // Nothing selected: no run, nothing written.
  CHECK(text(callOnce(*endpoint, R"(<rows xmlns="urn:egovbus:csv"/>)")) ==
        "<rows xmlns=\"urn:egovbus:db\" affected=\"0\"/>");
  CHECK(endpoint->connectionsOpened() == 1);
}

TEST_CASE("db sqlite: a for_each SELECT gathers every run's rows, in order") {
  Runtime rt;
  rt.database();
  auto endpoint = rt.sqliteEndpoint(R"yaml(  anni:
    for_each: "fn:map/fn:array[@key='richieste']/fn:map"
    sql: "SELECT :cf AS cf, anno FROM posizioni WHERE cf = :cf AND tributo = :tributo ORDER BY anno"
    params: { cf: "fn:string[@key='cf']", tributo: "fn:string[@key='tributo']" }
)yaml");
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  CHECK(text(callOnce(*endpoint, R"({"richieste":[{"cf":"VRDLGU70B02A662B","tributo":"TARI"},
      {"cf":"NESSUNO","tributo":"TARI"},{"cf":"RSSMRA80A01A662A","tributo":"TARI"}]})")) ==
        "<rows xmlns=\"urn:egovbus:db\">"
        "<row><field name=\"cf\">VRDLGU70B02A662B</field><field name=\"anno\">2024</field></row>"
        "<row><field name=\"cf\">RSSMRA80A01A662A</field><field name=\"anno\">2021</field></row>"
        "<row><field name=\"cf\">RSSMRA80A01A662A</field><field name=\"anno\">2024</field></row>"
        "</rows>");
  // An XPath that selects no nodes is a mapping error, not zero runs.
  auto number = rt.sqliteEndpoint(R"yaml(  conta: { for_each: "count(/*)", sql: "SELECT 1" }
)yaml",
                                  "number.yaml");
  REQUIRE_MESSAGE(number, rt.errorText());
  auto refused = callOnce(*number, R"({"a":1})");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == core::ErrorKind::mapping_failed);
  CHECK(refused.error().message == "t/x: for_each: the XPath must select nodes: count(/*)");
  // A param whose XPath fails when evaluated names the node it failed on.
  auto unknown = rt.sqliteEndpoint(R"yaml(  uno:
    for_each: "/*/*"
    sql: "SELECT :x"
    params: { x: "nosuch(.)" }
)yaml",
                                   "unknown.yaml");
  REQUIRE_MESSAGE(unknown, rt.errorText());
  auto failed = callOnce(*unknown, "<a><b/><c/></a>");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == core::ErrorKind::mapping_failed);
  CHECK(failed.error().message == "t/x: for_each node 1 of 2: param x: XPath failed: nosuch(.)");
}

TEST_CASE("db sqlite: the query envelope gives a for_each statement one <row> per run") {
  Runtime rt;
  auto file = rt.database();
  auto endpoint = rt.sqliteEndpoint(kCaricaStatements);
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  const auto row = [](const char* iuv, const char* cf) {
    return std::string("<row><param name=\"iuv\">") + iuv + "</param><param name=\"cf\">" + cf +
           "</param><param name=\"importo\">10</param></row>";
  };
  CHECK(text(callOnce(*endpoint, "<query xmlns=\"urn:egovbus:db\" statement=\"carica\">" +
                                     row("A", "X") + row("B", "Y") + "</query>")) ==
        "<rows xmlns=\"urn:egovbus:db\" affected=\"2\"/>");
  auto db = openSqlite(file);
  CHECK(sqliteScalar(db.get(), "SELECT group_concat(iuv, ',') FROM pagamenti") == "A,B");

  auto flat = callOnce(*endpoint, R"(<query xmlns="urn:egovbus:db">
      <param name="iuv">C</param><param name="cf">X</param><param name="importo">1</param></query>)");
  CHECK(text(flat) ==
        "error: t/x: query envelope: statement carica runs for_each: only <row> elements may "
        "be in <query>");
  auto short_row = callOnce(*endpoint, "<query xmlns=\"urn:egovbus:db\">" + row("C", "X") +
                                           "<row><param name=\"iuv\">D</param></row></query>");
  CHECK(text(short_row) == "error: t/x: query envelope, row 2: missing param cf");
  auto stray = callOnce(*endpoint, "<query xmlns=\"urn:egovbus:db\"><row><x/></row></query>");
  CHECK(text(stray) == "error: t/x: query envelope, row 1: only <param> elements may be in <row>");
  CHECK(sqliteScalar(db.get(), "SELECT count(*) FROM pagamenti") == "2");
}

TEST_CASE("db config: for_each must be an XPath") {
  Runtime rt;
  rt.database();
  auto endpoint = rt.sqliteEndpoint(R"yaml(  a: { for_each: "/rows/row[", sql: "SELECT 1" }
  b: { for_each: { path: /rows }, sql: "SELECT 1" }
  c: { for_each: "", sql: "SELECT 1" }
)yaml");
  CHECK_FALSE(endpoint);
  const std::string errors = rt.errorText();
  CHECK(errors.find("tenant.yaml:5:18: statements.a.for_each: invalid XPath: /rows/row[") !=
        std::string::npos);
  CHECK(errors.find("tenant.yaml:6:18: statements.b.for_each: expected a string") !=
        std::string::npos);
  CHECK(errors.find("tenant.yaml:7:18: statements.c.for_each: expected an XPath expression") !=
        std::string::npos);
}

TEST_CASE("db sqlite: SQL in a param value stays a value") {
  Runtime rt;
  auto file = rt.database();
  auto endpoint = rt.endpoint(kPosizioniYaml);
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  for (const char* attack :
       {R"(x' OR '1'='1)", R"(x'; DROP TABLE posizioni; --)", "RSSMRA80A01A662A' --"}) {
    auto body = std::string(R"({"codice_fiscale":")") + attack + R"(","anno":"0"})";
    CHECK(text(callOnce(*endpoint, body)) == "<rows xmlns=\"urn:egovbus:db\"/>");
  }
  auto db = openSqlite(file);
  CHECK(sqliteScalar(db.get(), "SELECT count(*) FROM posizioni") == "5");
}

TEST_CASE("db sqlite: a slow query ends at statement_timeout, or at the route's deadline") {
  Runtime rt;
  rt.database();
  const std::string slow = R"yaml(type: db
driver: sqlite
path: tributi.db
statement_timeout: TIMEOUT
statements:
  infinita: { sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c" }
)yaml";
  auto quick = rt.endpoint(std::string(slow).replace(slow.find("TIMEOUT"), 7, "200ms"));
  REQUIRE_MESSAGE(quick, rt.errorText());
  auto timed_out = callOnce(*quick, kEmptyMap);
  REQUIRE_FALSE(timed_out.ok());
  CHECK(timed_out.error().kind == core::ErrorKind::backend_unavailable);
  CHECK(timed_out.error().message == "t/x: statement timeout");

  auto patient = rt.endpoint(std::string(slow).replace(slow.find("TIMEOUT"), 7, "1h"));
  REQUIRE_MESSAGE(patient, rt.errorText());
  auto late = callOnce(*patient, kEmptyMap, core::Clock::now() + 200ms);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().kind == core::ErrorKind::deadline_exceeded);
  // The interrupted connection is fine for the next call.
  CHECK(patient->poolStats().idle == 1);
}

TEST_CASE("db sqlite: mode ro refuses writes; a missing file is unavailable until it appears") {
  Runtime rt;
  rt.database();
  auto read_only = rt.endpoint(R"yaml(type: db
driver: sqlite
path: tributi.db
mode: ro
statements:
  cancella: { sql: "DELETE FROM posizioni" }
)yaml");
  REQUIRE_MESSAGE(read_only, rt.errorText());
  auto refused = callOnce(*read_only, kEmptyMap);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == core::ErrorKind::backend_rejected);
  CHECK(refused.error().message.find("readonly") != std::string::npos);

  auto later = rt.endpoint(R"yaml(type: db
driver: sqlite
path: later.db
statements:
  conta: { sql: "SELECT count(*) AS n FROM posizioni" }
)yaml");
  REQUIRE_MESSAGE(later, rt.errorText());
  auto absent = callOnce(*later, kEmptyMap);
  REQUIRE_FALSE(absent.ok());
  CHECK(absent.error().kind == core::ErrorKind::backend_unavailable);
  CHECK(absent.error().message.find("t/x: cannot open later.db: unable to open database file") ==
        0);
  rt.database("later.db");
  CHECK(text(callOnce(*later, kEmptyMap)) ==
        "<rows xmlns=\"urn:egovbus:db\"><row><field name=\"n\">5</field></row></rows>");
}

namespace {

// An io_context run by a thread of its own, for calls in flight while the test looks on.
struct Background {
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  std::atomic<int> done{0};
  std::atomic<int> ok{0};

  ~Background() {
    guard.reset();
    thread.join();
  }

  void spawnCall(std::shared_ptr<core::Endpoint> endpoint) {
    net::co_spawn(
        io,
        [this, endpoint]() -> awaitable<void> {
          auto exchange = exchangeOf(kEmptyMap);
          core::CallRequest request{exchange, *exchange.body, core::Clock::now() + 60s};
          auto result = co_await endpoint->call(request);
          if (result) ++ok;
          ++done;
        },
        net::detached);
  }
};

// Read-only: a read-only file has no commit to share, so its calls are not grouped and each
// waiting call holds its place in the pool's queue.
const char* kCountYaml = R"yaml(type: db
driver: sqlite
path: FILE
mode: ro
pool: { max: MAX }
statement_timeout: 1h
statements:
  conta: { sql: "SELECT count(*) AS n FROM posizioni" }
)yaml";

std::string countYaml(const std::string& file, int max) {
  std::string yaml = kCountYaml;
  yaml.replace(yaml.find("FILE"), 4, file);
  yaml.replace(yaml.find("MAX"), 3, std::to_string(max));
  return yaml;
}

}  // namespace

TEST_CASE("db pool: at most pool.max connections are in use; queued calls hold no worker") {
  Runtime rt;  // 4 worker threads
  auto file = rt.database();
  rt.database("other.db");
  auto endpoint = rt.endpoint(countYaml("tributi.db", 2));
  auto other = rt.endpoint(countYaml("other.db", 2), "other.yaml");
  REQUIRE_MESSAGE((endpoint && other), rt.errorText());

  // While the test holds the file's exclusive lock, calls with a connection wait inside
  // SQLite (busy timeout), each on a worker thread; the others wait in the pool's queue.
  auto lock = openSqlite(file);
  sqliteExec(lock.get(), "BEGIN EXCLUSIVE");
  Background background;
  for (int i = 0; i < 6; ++i) background.spawnCall(endpoint);
  waitUntil([&] {
    auto stats = endpoint->poolStats();
    return stats.in_use == 2 && stats.waiting == 4;
  });
  // Two of the four workers are taken; the four queued calls hold none, so another
  // endpoint is still served.
  CHECK(text(callOnce(*other, kEmptyMap)) ==
        "<rows xmlns=\"urn:egovbus:db\"><row><field name=\"n\">5</field></row></rows>");

  sqliteExec(lock.get(), "COMMIT");
  waitUntil([&] { return background.done == 6; });
  CHECK(background.ok == 6);
  const auto stats = endpoint->poolStats();
  CHECK(stats.peak_in_use == 2);
  CHECK(stats.in_use == 0);
  CHECK(stats.idle == 2);
  CHECK(endpoint->connectionsOpened() == 2);
}

TEST_CASE("db pool: the route's deadline bounds the wait for a connection") {
  Runtime rt;
  auto file = rt.database();
  auto endpoint = rt.endpoint(countYaml("tributi.db", 1));
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  auto lock = openSqlite(file);
  sqliteExec(lock.get(), "BEGIN EXCLUSIVE");
  Background background;
  background.spawnCall(endpoint);
  waitUntil([&] { return endpoint->poolStats().in_use == 1; });

  auto queued = callOnce(*endpoint, kEmptyMap, core::Clock::now() + 50ms);
  REQUIRE_FALSE(queued.ok());
  CHECK(queued.error().kind == core::ErrorKind::deadline_exceeded);
  CHECK(queued.error().message == "t/x: deadline passed waiting for a connection (pool max 1)");
  CHECK(endpoint->poolStats().waiting == 0);

  sqliteExec(lock.get(), "COMMIT");
  waitUntil([&] { return background.done == 1; });
  CHECK(background.ok == 1);
}

namespace {

std::string readSource(const std::string& relative) {
  std::ifstream in(std::filesystem::path(EGOV_SOURCE_DIR) / relative, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("db end to end: JSON in, XSLT, SQLite, XSLT, JSON out through /api/v1") {
  egov::test::TempConfig config;
  std::filesystem::create_directories(config.root() / "data");
  {
    auto db = openSqlite(config.root() / "data/tributi.db");
    sqliteExec(db.get(), kSchema);
  }
  config.write("mappings/db/posizioni-request.xsl",
               readSource("tests/data/db/posizioni-request.xsl"));
  config.write("mappings/db/posizioni-response.xsl",
               readSource("tests/data/db/posizioni-response.xsl"));
  config.write("conf/profiles/db.yaml", R"yaml(routes:
  - service: tributi.posizioni
    methods: [GET]
    steps:
      - map: db/posizioni-request.xsl
      - call: tributi
      - map: db/posizioni-response.xsl
)yaml");
  config.write("conf/tenants/bari.yaml", R"yaml(tenant: { istat: "072006", slug: bari, name: Bari }
profile: db
endpoints:
  tributi:
    type: db
    driver: sqlite
    path: ../../data/tributi.db
    mode: ro
    statements:
      posizioni:
        sql: >-
          SELECT tributo, anno, importo, note FROM posizioni
          WHERE cf = :cf AND anno >= :anno ORDER BY anno DESC, tributo
        params:
          cf: "fn:map/fn:string[@key='cf']"
          anno: "fn:map/fn:string[@key='anno']"
)yaml");
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
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
  CHECK(response.body() == R"({"positions":[)"
                           R"({"tax":"TARI","year":2024,"amount":182.5,"note":null},)"
                           R"({"tax":"TOSAP","year":2024,"amount":10.0,"note":"Città – è ✓ 😀"}]})");

  auto none = get("/api/v1/072006/tributi/posizioni?codice_fiscale=VRDLGU70B02A662B&anno=2030");
  CHECK(none.body() == R"({"positions":[]})");
}
