// The db source (a legacy table polled for new rows) in a running bus, against SQLite and a
// real PostgreSQL server: each row runs the route once, in order, and is marked processed
// only after its exchange is recorded; refused rows are rejected with their reason; a
// back-end that is down, or a mark that fails, leaves the row for the next poll, and the
// idempotency key keeps a one-way exchange from being journaled twice; wrong credentials
// do not hang the source; and its config.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/log/log.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/source_harness.hpp"
#include "tests/support/test_http_server.hpp"

using namespace egov;
using egov::test::SourceHarness;
using egov::test::TempConfig;
using egov::test::TestHttpRequest;
using egov::test::TestHttpResponse;
using egov::test::TestHttpServer;
using egov::test::waitUntil;

namespace {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

class SqliteFile {
 public:
  explicit SqliteFile(const std::filesystem::path& path) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    db_.reset(db);
    sqlite3_busy_timeout(db, 5000);
  }
  void exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
    const std::string text = message ? message : "";
    sqlite3_free(message);
    REQUIRE_MESSAGE(rc == SQLITE_OK, text);
  }
  std::string value(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0)) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
    return out;
  }

 private:
  std::unique_ptr<sqlite3, SqliteCloser> db_;
};

std::string fieldOf(const std::string& body, const std::string& name) {
  const std::string open = "<field name=\"" + name + "\">";
  auto at = body.find(open);
  if (at == std::string::npos) return {};
  at += open.size();
  return body.substr(at, body.find('<', at) - at);
}

// A back-end recording the ids it got; refuses "RIFIUTA" (400); down (503) while `down`.
struct Backend {
  std::atomic<bool> down{false};
  std::mutex mutex;
  std::vector<std::string> ids;
  TestHttpServer server{[this](const TestHttpRequest& request) {
    if (down) return TestHttpResponse{503, "application/json", "{}"};
    if (fieldOf(request.body, "oggetto") == "RIFIUTA") {
      return TestHttpResponse{400, "application/json", R"({"errore":"oggetto non ammesso"})"};
    }
    std::lock_guard lock(mutex);
    ids.push_back(fieldOf(request.body, "id"));
    return TestHttpResponse{200, "application/json", "{}"};
  }};
  std::vector<std::string> received() {
    std::lock_guard lock(mutex);
    return ids;
  }
};

std::string endpointYaml(const std::string& driver_settings, const std::string& mark_sql) {
  return "  protocollo:\n"
         "    type: db\n" +
         driver_settings +
         "    statements:\n"
         "      nuove: { sql: \"SELECT id, oggetto FROM pratiche WHERE stato = 'nuova' "
         "ORDER BY id LIMIT 2\" }\n"
         "      segna: { sql: \"" +
         mark_sql +
         "\", params: { id: \".\" } }\n"
         "      scarta: { sql: \"UPDATE pratiche SET stato = 'scartata', esito = :reason "
         "WHERE id = :id\", params: { id: \".\", reason: \".\" } }\n";
}

std::string tenantFile(const std::string& url, const std::string& endpoint,
                       const std::string& route_extra = "", const std::string& source_extra = "") {
  return "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
         "endpoints:\n"
         "  registro: { type: http, url: \"" +
         url + "\", format: xml, timeout: 5s }\n" + endpoint +
         "routes:\n"
         "  - service: protocollo.registra\n" +
         route_extra +
         "    steps: [ { call: registro } ]\n"
         "sources:\n"
         "  pratiche:\n"
         "    type: db\n"
         "    service: protocollo.registra\n"
         "    endpoint: protocollo\n"
         "    select: nuove\n"
         "    mark: segna\n"
         "    key: id\n"
         "    interval: 20ms\n" +
         source_extra;
}

constexpr const char* kMarkSql = "UPDATE pratiche SET stato = 'inoltrata' WHERE id = :id";

std::mutex log_mutex;
std::string log_text;
void captureLog(std::string_view line) {
  std::lock_guard lock(log_mutex);
  log_text.append(line).append("\n");
}
std::string logged() {
  std::lock_guard lock(log_mutex);
  return log_text;
}

double metric(core::Bus& bus, const std::string& series) {
  const std::string text = bus.metrics().render();
  const auto at = text.find(series + " ");
  return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size() + 1));
}

}  // namespace

TEST_CASE("db source (SQLite): each new row runs the route once, in order, then is marked") {
  Backend backend;
  TempConfig config;
  SqliteFile db(config.root() / "protocollo.db");
  db.exec(
      "CREATE TABLE pratiche (id INTEGER PRIMARY KEY, oggetto TEXT, stato TEXT NOT NULL, "
      "esito TEXT);"
      "INSERT INTO pratiche (oggetto, stato) VALUES ('uno', 'nuova'), ('due', 'nuova'), "
      "('RIFIUTA', 'nuova'), ('quattro', 'nuova'), ('vecchia', 'inoltrata');");
  config.write(
      "conf/tenants/bari.yaml",
      tenantFile(backend.server.url("/protocollo"),
                 endpointYaml("    driver: sqlite\n    path: ../../protocollo.db\n", kMarkSql), "",
                 "    reject: scarta\n"));
  SourceHarness bus(config);
  bus.start();
  REQUIRE(waitUntil(
      [&] { return db.value("SELECT count(*) FROM pratiche WHERE stato = 'nuova'") == "0"; }));
  CHECK(backend.received() == std::vector<std::string>{"1", "2", "4"});
  CHECK(db.value("SELECT group_concat(stato) FROM (SELECT stato FROM pratiche ORDER BY id)") ==
        "inoltrata,inoltrata,scartata,inoltrata,inoltrata");
  const std::string reason = db.value("SELECT esito FROM pratiche WHERE id = 3");
  CHECK(reason.starts_with("backend-rejected: "));

  // New rows are picked up by the next polls.
  db.exec("INSERT INTO pratiche (oggetto, stato) VALUES ('sei', 'nuova'), ('sette', 'nuova');");
  REQUIRE(waitUntil([&] { return backend.received().size() == 5; }));
  REQUIRE(waitUntil(
      [&] { return db.value("SELECT count(*) FROM pratiche WHERE stato = 'nuova'") == "0"; }));
  CHECK(backend.received() == std::vector<std::string>{"1", "2", "4", "6", "7"});
  // The row counter moves after the row's mark commits: wait for it, not for the clock.
  CHECK(waitUntil([&] {
    return metric(bus.bus(), "egov_source_rows_total{source=\"bari/pratiche\",outcome=\"ok\"}") ==
           5;
  }));
  CHECK(metric(bus.bus(),
               "egov_source_rows_total{source=\"bari/pratiche\",outcome=\"rejected\"}") == 1);
}

TEST_CASE("db source (SQLite): while the back-end is down rows stay new, then go through") {
  Backend backend;
  backend.down = true;
  TempConfig config;
  SqliteFile db(config.root() / "protocollo.db");
  db.exec(
      "CREATE TABLE pratiche (id INTEGER PRIMARY KEY, oggetto TEXT, stato TEXT NOT NULL, "
      "esito TEXT);"
      "INSERT INTO pratiche (oggetto, stato) VALUES ('uno', 'nuova'), ('due', 'nuova');");
  config.write(
      "conf/tenants/bari.yaml",
      tenantFile(backend.server.url("/protocollo"),
                 endpointYaml("    driver: sqlite\n    path: ../../protocollo.db\n", kMarkSql), "",
                 "    reject: scarta\n"));
  SourceHarness bus(config);
  bus.start();
  // Several polls fail on the first row (503 is retryable: not rejected, not marked).
  REQUIRE(waitUntil([&] { return backend.server.requestCount() >= 3; }));
  CHECK(db.value("SELECT count(*) FROM pratiche WHERE stato = 'nuova'") == "2");
  backend.down = false;
  REQUIRE(waitUntil(
      [&] { return db.value("SELECT count(*) FROM pratiche WHERE stato = 'inoltrata'") == "2"; }));
  CHECK(backend.received() == std::vector<std::string>{"1", "2"});
}

TEST_CASE("db source (PostgreSQL): one-way rows are journaled once, even when marking fails") {
  test::PostgresServer* server = nullptr;
  try {
    server = &test::testPostgres();
  } catch (const std::exception& e) {
    FAIL(e.what());
  }
  if (!server->running()) server->start();
  server->exec(
      "DROP TABLE IF EXISTS pratiche, blocco;"
      "CREATE TABLE pratiche (id serial PRIMARY KEY, oggetto text, stato text NOT NULL, "
      "esito text);"
      "INSERT INTO pratiche (oggetto, stato) VALUES ('uno', 'nuova'), ('due', 'nuova'), "
      "('tre', 'nuova');"
      // The mark fails while blocco holds NULL (stato is NOT NULL): as if the bus lost the
      // database between the journal commit and the mark.
      "CREATE TABLE blocco (stato_nuovo text); INSERT INTO blocco VALUES (NULL);"
      "GRANT ALL ON pratiche, blocco TO egov_test;");
  Backend backend;
  TempConfig config;
  setenv("EGOV_TEST_PG_DSN", server->dsn().c_str(), 1);
  config.write(
      "conf/tenants/bari.yaml",
      tenantFile(backend.server.url("/protocollo"),
                 endpointYaml("    driver: postgresql\n    dsn: \"${env:EGOV_TEST_PG_DSN}\"\n",
                              "UPDATE pratiche SET stato = (SELECT stato_nuovo FROM "
                              "blocco) WHERE id = :id"),
                 "    mode: one-way\n"));
  core::setLogSink(captureLog);
  SourceHarness bus(config);
  bus.start();
  REQUIRE(waitUntil([&] {
    return metric(bus.bus(),
                  "egov_source_polls_total{source=\"bari/pratiche\",outcome=\"error\"}") >= 3;
  }));
  server->exec("UPDATE blocco SET stato_nuovo = 'inoltrata';");
  REQUIRE(waitUntil([&] { return backend.received().size() == 3; }));
  REQUIRE(waitUntil([&] {
    return metric(bus.bus(),
                  "egov_source_rows_total{source=\"bari/pratiche\",outcome=\"queued\"}") +
               metric(bus.bus(),
                      "egov_source_rows_total{source=\"bari/pratiche\",outcome=\"duplicate\"}") ==
           3;
  }));
  core::setLogSink(nullptr);
  // The first row was submitted at every failed poll, and journaled (and delivered) once.
  CHECK(metric(bus.bus(),
               "egov_source_rows_total{source=\"bari/pratiche\",outcome=\"duplicate\"}") == 1);
  CHECK(backend.received() == std::vector<std::string>{"1", "2", "3"});
  CHECK(logged().find("db source row handed off but not marked") != std::string::npos);
  server->exec("DROP TABLE pratiche, blocco;");
}

TEST_CASE("db source (PostgreSQL): wrong credentials are a logged error, not a hang") {
  test::PostgresServer* server = nullptr;
  try {
    server = &test::testPostgres();
  } catch (const std::exception& e) {
    FAIL(e.what());
  }
  if (!server->running()) server->start();
  Backend backend;
  TempConfig config;
  setenv("EGOV_TEST_PG_BAD_DSN", server->dsn("sbagliata").c_str(), 1);
  config.write(
      "conf/tenants/bari.yaml",
      tenantFile(backend.server.url("/protocollo"),
                 endpointYaml("    driver: postgresql\n    dsn: \"${env:EGOV_TEST_PG_BAD_DSN}\"\n",
                              kMarkSql)));
  core::setLogSink(captureLog);
  SourceHarness bus(config);
  bus.start();
  REQUIRE(waitUntil([&] {
    return metric(bus.bus(),
                  "egov_source_polls_total{source=\"bari/pratiche\",outcome=\"error\"}") >= 2;
  }));
  bus.stop();  // returns: the source stopped between polls
  core::setLogSink(nullptr);
  const std::string log = logged();
  CHECK(log.find("db source select failed") != std::string::npos);
  CHECK(log.find("backend-unavailable") != std::string::npos);
  CHECK(backend.server.requestCount() == 0);
}

TEST_CASE("db source config: a good config builds; unknown, missing and wrong keys rejected") {
  TempConfig good;
  SqliteFile db(good.root() / "protocollo.db");
  db.exec("CREATE TABLE pratiche (id INTEGER PRIMARY KEY, oggetto TEXT, stato TEXT, esito TEXT);");
  const std::string sqlite = "    driver: sqlite\n    path: ../../protocollo.db\n";
  good.write("conf/tenants/bari.yaml",
             tenantFile("http://127.0.0.1:9/", endpointYaml(sqlite, kMarkSql), "",
                        "    reject: scarta\n"));
  auto generation = good.load();
  REQUIRE_MESSAGE(generation, good.errorText());
  CHECK(generation->tenants.front()->sources.at("pratiche")->type() == "db");

  const std::pair<const char*, const char*> cases[] = {
      {"    colour: red\n", "conf/tenants/bari.yaml:24:5: sources.pratiche.colour: unknown key"},
      {"    timeout: soon\n", "conf/tenants/bari.yaml:24:14: sources.pratiche.timeout: "},
      {"    reject: butta\n",
       "sources.pratiche.reject: endpoint protocollo has no statement butta (known: nuove, segna, "
       "scarta)"},
  };
  for (const auto& [extra, message] : cases) {
    CAPTURE(extra);
    TempConfig bad;
    SqliteFile bad_db(bad.root() / "protocollo.db");
    bad_db.exec(
        "CREATE TABLE pratiche (id INTEGER PRIMARY KEY, oggetto TEXT, stato TEXT, esito TEXT);");
    bad.write("conf/tenants/bari.yaml",
              tenantFile("http://127.0.0.1:9/", endpointYaml(sqlite, kMarkSql), "", extra));
    CHECK_FALSE(bad.load());
    CAPTURE(bad.errorText());
    CHECK(bad.errorText().find(message) != std::string::npos);
  }

  {  // a statement that runs once per node of a body has no single row to take values from
    TempConfig bad;
    SqliteFile bad_db(bad.root() / "protocollo.db");
    bad_db.exec(
        "CREATE TABLE pratiche (id INTEGER PRIMARY KEY, oggetto TEXT, stato TEXT, esito TEXT);");
    std::string endpoint = endpointYaml(sqlite, kMarkSql);
    endpoint.replace(endpoint.find("scarta: { sql:"), 14, "scarta: { for_each: /*, sql:");
    bad.write("conf/tenants/bari.yaml",
              tenantFile("http://127.0.0.1:9/", endpoint, "", "    reject: scarta\n"));
    CHECK_FALSE(bad.load());
    CHECK(bad.errorText().find("sources.pratiche.reject: statement scarta of endpoint protocollo "
                               "runs for_each; a db source's statements run once per row") !=
          std::string::npos);
  }

  TempConfig bad;
  SqliteFile bad_db(bad.root() / "protocollo.db");
  bad_db.exec(
      "CREATE TABLE pratiche (id INTEGER PRIMARY KEY, oggetto TEXT, stato TEXT, esito TEXT);");
  bad.write(
      "conf/tenants/bari.yaml",
      "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
      "endpoints:\n"
      "  web: { type: memory }\n"
      "  protocollo:\n"
      "    type: db\n" +
          sqlite +
          "    statements:\n"
          "      tutte: { sql: \"SELECT id FROM pratiche WHERE id > :id\", params: { id: "
          "\".\" } }\n"
          "      tutto: { sql: \"UPDATE pratiche SET stato = 'x'\" }\n"
          "routes: [ { service: a.b, steps: [ { call: web } ] } ]\n"
          "sources:\n"
          "  uno: { type: db, service: a.b }\n"
          "  due: { type: db, service: a.b, endpoint: web, select: s, mark: m, key: id }\n"
          "  tre: { type: db, service: a.b, endpoint: nessuno, select: s, mark: m, key: id }\n"
          "  quattro: { type: db, service: a.b, endpoint: protocollo, select: tutte, "
          "mark: tutto, key: id, interval: 0s }\n");
  CHECK_FALSE(bad.load());
  const std::string text = bad.errorText();
  CAPTURE(text);
  CHECK(text.find("conf/tenants/bari.yaml:13:") != std::string::npos);
  CHECK(text.find("sources.uno.endpoint: missing key") != std::string::npos);
  CHECK(text.find("sources.uno.select: missing key") != std::string::npos);
  CHECK(text.find("sources.uno.mark: missing key") != std::string::npos);
  CHECK(text.find("sources.uno.key: missing key") != std::string::npos);
  CHECK(text.find("sources.due.endpoint: endpoint web is not of type db") != std::string::npos);
  CHECK(text.find("sources.tre.endpoint: tenant bari has no endpoint nessuno") !=
        std::string::npos);
  CHECK(text.find("sources.quattro.select: the select statement takes no params") !=
        std::string::npos);
  CHECK(text.find("sources.quattro.mark: the mark statement must name the row") !=
        std::string::npos);
  CHECK(text.find("sources.quattro.interval: must be greater than 0") != std::string::npos);
}
