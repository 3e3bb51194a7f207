// The `db` adapter on SQLite files in a temporary folder: config checks, results, errors,
// transactions, the pool cap, and a whole route through the REST API.
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
#include "tests/support/api_call.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

namespace {

namespace core = egov::core;
namespace net = egov::net;
namespace dbx = egov::adapters::db;
using egov::awaitable;
using egov::test::runCoroutine;
using namespace std::chrono_literals;

constexpr const char* kEmptyMap = "<map xmlns=\"http://www.w3.org/2005/xpath-functions\"/>";

constexpr const char* kSchema = R"yaml(
CREATE TABLE posizioni (cf TEXT NOT NULL, tributo TEXT NOT NULL, anno INTEGER NOT NULL,
                        importo REAL, note TEXT, allegato BLOB, PRIMARY KEY (cf, tributo, anno));
INSERT INTO posizioni VALUES
  ('RSSMRA80A01A662A', 'TARI', 2024, 182.5, NULL, NULL),
  ('RSSMRA80A01A662A', 'IMU', 2023, 1200, '', x'00FF10'),
  ('RSSMRA80A01A662A', 'TOSAP', 2024, 10, 'Città – è ✓ 😀', NULL),
  ('RSSMRA80A01A662A', 'TARI', 2021, 150, 'vecchia', NULL),
  ('VRDLGU70B02A662B', 'TARI', 2024, 99.99, NULL, NULL);
CREATE TABLE pagamenti (iuv TEXT PRIMARY KEY, cf TEXT NOT NULL, importo REAL CHECK (importo > 0));
)yaml";

struct SqliteDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqlitePtr = std::unique_ptr<sqlite3, SqliteDeleter>;

// A connection of the test's own, to set up files and look behind the adapter's back.
SqlitePtr openSqlite(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqlitePtr db(raw);
  REQUIRE(rc == SQLITE_OK);
  return db;
}

void sqliteExec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  const std::string text = message ? message : "";
  sqlite3_free(message);
  REQUIRE_MESSAGE(rc == SQLITE_OK, text);
}

std::string sqliteScalar(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) == SQLITE_OK);
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement(raw, sqlite3_finalize);
  REQUIRE(sqlite3_step(statement.get()) == SQLITE_ROW);
  return reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), 0));
}

// What the bus gives adapters, and a folder for the YAML and the database files.
struct Runtime {
  std::filesystem::path folder;
  net::thread_pool pool{4};
  core::Metrics metrics;
  core::RuntimeServices services{pool.get_executor(), metrics};
  core::ConfigErrors errors;

  Runtime() {
    static int counter = 0;
    folder = std::filesystem::temp_directory_path() /
             ("egovbus-db-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
  }
  ~Runtime() {
    services.shutdown();
    pool.join();
    std::error_code ec;
    std::filesystem::remove_all(folder, ec);
  }

  std::filesystem::path database(const std::string& name = "tributi.db") {
    auto db = openSqlite(folder / name);
    sqliteExec(db.get(), kSchema);
    return folder / name;
  }

  // Builds an endpoint from `yaml`, written to a file so errors carry file:line:col.
  std::shared_ptr<dbx::DbEndpoint> endpoint(const std::string& yaml,
                                            const std::string& file = "tenant.yaml") {
    std::ofstream(folder / file) << yaml;
    auto root = core::ConfigNode::loadFile((folder / file).string(), &errors);
    auto made = dbx::makeDbEndpoint(core::EndpointContext{"t/x", root, services});
    return std::dynamic_pointer_cast<dbx::DbEndpoint>(made);
  }

  // An endpoint on tributi.db with the statements of `yaml` (the map under statements:).
  std::shared_ptr<dbx::DbEndpoint> sqliteEndpoint(const std::string& statements,
                                                  const std::string& file = "tenant.yaml") {
    return endpoint("type: db\ndriver: sqlite\npath: tributi.db\nstatements:\n" + statements, file);
  }

  std::string errorText() const {
    std::string text = errors.str();
    const std::string prefix = folder.string() + "/";
    for (auto pos = text.find(prefix); pos != std::string::npos; pos = text.find(prefix)) {
      text.erase(pos, prefix.size());
    }
    return text;
  }
};

core::Exchange exchangeOf(std::string_view body) {
  core::Exchange exchange;
  exchange.id = "5b0c7a1e-0000-4000-8000-000000000001";
  auto doc = body.substr(0, 1) == "{" ? core::jsonToXml(body) : core::parseXml(body);
  REQUIRE(doc.ok());
  exchange.body = std::move(doc).value();
  return exchange;
}

core::Result<core::XmlDocPtr> callOnce(core::Endpoint& endpoint, std::string_view body,
                                       core::Clock::time_point deadline) {
  auto exchange = exchangeOf(body);
  core::CallRequest request{exchange, *exchange.body, deadline};
  return runCoroutine(endpoint.call(request));
}

core::Result<core::XmlDocPtr> callOnce(core::Endpoint& endpoint, std::string_view body) {
  return callOnce(endpoint, body, core::Clock::now() + 60s);
}

std::string text(const core::Result<core::XmlDocPtr>& result) {
  return result.ok() ? core::serializeXml(**result) : "error: " + result.error().message;
}

// Polls until `done` holds: a condition, not a duration, is what the test waits for.
void waitUntil(const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE(done());
}

const char* kPosizioniYaml = R"yaml(type: db
driver: sqlite
path: tributi.db
statements:
  posizioni:
    sql: >-
      SELECT tributo, anno, importo, note, allegato FROM posizioni
      WHERE cf = :cf AND anno >= :anno ORDER BY tributo, anno
    params:
      cf: "fn:map/fn:string[@key='codice_fiscale']"
      anno: "fn:map/fn:string[@key='anno']"
)yaml";

}  // namespace

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

// Calls in flight on an io_context of their own, each one's answer kept in its slot.
struct Calls {
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  std::vector<std::string> answers = std::vector<std::string>(16);
  std::atomic<int> done{0};

  ~Calls() {
    guard.reset();
    thread.join();
  }

  void spawn(std::shared_ptr<core::Endpoint> endpoint, std::size_t slot, std::string body,
             core::Clock::duration timeout = 60s) {
    net::co_spawn(
        io,
        [this, endpoint, slot, body, timeout]() -> awaitable<void> {
          auto exchange = exchangeOf(body);
          core::CallRequest request{exchange, *exchange.body, core::Clock::now() + timeout};
          answers[slot] = text(co_await endpoint->call(request));
          ++done;
        },
        net::detached);
  }
};

constexpr const char* kGroupStatements = R"yaml(  paga:
    sql: "INSERT INTO pagamenti (iuv, cf, importo) VALUES (:iuv, 'X', 1)"
    params: { iuv: "iuv" }
  carica:
    for_each: "row"
    sql: "INSERT INTO pagamenti (iuv, cf, importo) VALUES (:iuv, :cf, egov_decimal_it(:importo))"
    params: { iuv: "iuv", cf: "cf", importo: "importo" }
  infinita:
    sql: >-
      INSERT INTO pagamenti (iuv, cf, importo) SELECT :iuv, 'X', 1 FROM (WITH RECURSIVE
      c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c) WHERE x < 0
    params: { iuv: "iuv" }
)yaml";

// The query envelope: several statements, so each call names its own.
std::string query(const std::string& statement, const std::string& inner) {
  return R"(<query xmlns="urn:egovbus:db" statement=")" + statement + "\">" + inner + "</query>";
}

std::string paga(const std::string& iuv, const std::string& statement = "paga") {
  return query(statement, R"(<param name="iuv">)" + iuv + "</param>");
}

std::string carica(std::initializer_list<std::array<const char*, 3>> rows) {
  std::string inner;
  for (const auto& [iuv, cf, importo] : rows) {
    inner += std::string(R"(<row><param name="iuv">)") + iuv + R"(</param><param name="cf">)" + cf +
             R"(</param><param name="importo">)" + importo + "</param></row>";
  }
  return query("carica", inner);
}

const std::string kOne = "<rows xmlns=\"urn:egovbus:db\" affected=\"1\"/>";

// The first call holds the only connection, waiting for the test's lock on the file; the
// calls spawned by `queue` wait for the connection, and run as one group once the lock goes.
struct Group {
  Runtime rt;
  std::filesystem::path file = rt.database();
  std::shared_ptr<dbx::DbEndpoint> endpoint =
      rt.endpoint("type: db\ndriver: sqlite\npath: tributi.db\npool: { max: 1 }\nstatements:\n" +
                  std::string(kGroupStatements));
  SqlitePtr lock = openSqlite(file);
  Calls calls;

  Group() {
    REQUIRE_MESSAGE(endpoint, rt.errorText());
    sqliteExec(lock.get(), "BEGIN EXCLUSIVE");
    calls.spawn(endpoint, 0, paga("PRIMA"));
    // Taken into a group of its own (and waiting for the lock inside SQLite) before any other
    // call is queued.
    waitUntil([&] { return endpoint->groupStats().groups == 1; });
  }

  // Spawns the calls (slot 1, 2, ...) and waits until they all wait for the connection.
  void queue(const std::vector<std::string>& bodies) {
    for (std::size_t i = 0; i < bodies.size(); ++i) calls.spawn(endpoint, i + 1, bodies[i]);
    waitUntil([&] { return endpoint->groupStats().waiting == bodies.size(); });
  }

  void release(int calls_in_all) {
    sqliteExec(lock.get(), "COMMIT");
    waitUntil([&] { return calls.done == calls_in_all; });
  }

  std::string stored() {
    return sqliteScalar(lock.get(),
                        "SELECT coalesce(group_concat(iuv, ' '), '') FROM "
                        "(SELECT iuv FROM pagamenti ORDER BY iuv)");
  }
};

}  // namespace

TEST_CASE("db sqlite: calls waiting for the connection share one transaction and its commit") {
  Group group;
  std::vector<std::string> bodies;
  for (int i = 1; i <= 9; ++i) bodies.push_back(paga("IUV" + std::to_string(i)));
  group.queue(bodies);

  // A call whose deadline passes while it waits is answered, and never runs.
  auto late = callOnce(*group.endpoint, paga("TARDI"), core::Clock::now() + 50ms);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().kind == core::ErrorKind::deadline_exceeded);
  CHECK(late.error().message == "t/x: deadline passed waiting for a connection (pool max 1)");

  group.release(10);
  for (int i = 0; i < 10; ++i) CHECK(group.calls.answers[i] == kOne);
  CHECK(group.stored() == "IUV1 IUV2 IUV3 IUV4 IUV5 IUV6 IUV7 IUV8 IUV9 PRIMA");
  // The first call alone, then the nine that waited, together.
  const auto stats = group.endpoint->groupStats();
  CHECK(stats.groups == 2);
  CHECK(stats.calls == 10);
  CHECK(group.endpoint->connectionsOpened() == 1);
  CHECK(group.endpoint->poolStats().idle == 1);
}

TEST_CASE("db sqlite: a call that fails in a group is undone alone; the others commit") {
  Group group;
  group.queue({paga("A"), carica({{"B", "Y", "2,5"}, {"C", "Y", "-1"}}), paga("D"), paga("A"),
               carica({{"E", "Y", "1"}, {"F", "Z", "3"}})});
  group.release(6);
  CHECK(group.calls.answers[1] == kOne);
  // The chunk's first row, B, went in before its second failed: undone with the call.
  CHECK(group.calls.answers[2] ==
        "error: t/x: for_each node 2 of 2: CHECK constraint failed: importo > 0 (sqlite error "
        "275)");
  CHECK(group.calls.answers[3] == kOne);
  CHECK(group.calls.answers[4] ==
        "error: t/x: UNIQUE constraint failed: pagamenti.iuv (sqlite error 1555)");
  CHECK(group.calls.answers[5] == "<rows xmlns=\"urn:egovbus:db\" affected=\"2\"/>");
  CHECK(group.stored() == "A D E F PRIMA");
  CHECK(group.endpoint->groupStats().groups == 2);
}

TEST_CASE("db sqlite: when SQLite ends a group's transaction, the calls that ran run again") {
  Group group;
  // An interrupted INSERT rolls back the whole transaction (SQLite's rule), A's row with it:
  // A runs again in a new transaction with C, and the interrupted call alone fails.
  group.calls.spawn(group.endpoint, 1, paga("A"));
  group.calls.spawn(group.endpoint, 2, paga("B", "infinita"), 300ms);
  group.calls.spawn(group.endpoint, 3, paga("C"));
  waitUntil([&] { return group.endpoint->groupStats().waiting == 3; });
  group.release(4);
  CHECK(group.calls.answers[1] == kOne);
  CHECK(group.calls.answers[2].starts_with("error: t/x: deadline"));
  CHECK(group.calls.answers[3] == kOne);
  CHECK(group.stored() == "A C PRIMA");
  CHECK(group.endpoint->groupStats().groups == 2);
  CHECK(group.endpoint->connectionsOpened() == 1);
}

TEST_CASE("db sqlite: a group that cannot begin its transaction fails every call in it") {
  Runtime rt;  // 4 worker threads, all held below until the calls are queued
  auto file = rt.database();
  auto endpoint = rt.endpoint(
      "type: db\ndriver: sqlite\npath: tributi.db\npool: { max: 1 }\n"
      "statement_timeout: 300ms\n"
      "statements:\n" +
      std::string(kGroupStatements));
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  auto lock = openSqlite(file);
  sqliteExec(lock.get(), "BEGIN EXCLUSIVE");
  std::promise<void> go;
  std::shared_future<void> held = go.get_future().share();
  for (int i = 0; i < 4; ++i) net::post(rt.pool, [held] { held.wait(); });

  // The leader's runner waits behind the held workers, so the three calls are in one group;
  // the file's lock outlasts their statement_timeout, so BEGIN IMMEDIATE gives up.
  Calls calls;
  for (std::size_t i = 0; i < 3; ++i) calls.spawn(endpoint, i, paga("G" + std::to_string(i)));
  waitUntil([&] { return endpoint->groupStats().waiting == 3; });
  go.set_value();
  waitUntil([&] { return calls.done == 3; });
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(calls.answers[i] ==
          "error: t/x: database is locked: database is locked (sqlite error 5)");
  }
  const auto stats = endpoint->groupStats();
  CHECK(stats.groups == 1);
  CHECK(stats.calls == 3);
  sqliteExec(lock.get(), "COMMIT");
  CHECK(sqliteScalar(lock.get(), "SELECT count(*) FROM pagamenti") == "0");
  // The connection is fine for the next call.
  CHECK(text(callOnce(*endpoint, paga("DOPO"))) == kOne);
  CHECK(endpoint->connectionsOpened() == 1);
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
