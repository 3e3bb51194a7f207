// What the `db` adapter's SQLite tests share: a runtime with a temporary folder, endpoints
// built from YAML, a connection of the test's own, one call run to its end.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include "adapters/db/db_endpoint.hpp"
#include "adapters/db/db_factory.hpp"
#include "core/engine/bus.hpp"
#include "core/json/json_xml.hpp"
#include "core/metrics/metrics.hpp"
#include "tests/support/run_coroutine.hpp"

namespace egov::test::dbtest {

namespace core = egov::core;
namespace net = egov::net;
namespace dbx = egov::adapters::db;
using egov::awaitable;
using egov::test::runCoroutine;
using namespace std::chrono_literals;

inline constexpr const char* kEmptyMap = "<map xmlns=\"http://www.w3.org/2005/xpath-functions\"/>";

inline constexpr const char* kSchema = R"yaml(
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
inline SqlitePtr openSqlite(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqlitePtr db(raw);
  REQUIRE(rc == SQLITE_OK);
  return db;
}

inline void sqliteExec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  const std::string text = message ? message : "";
  sqlite3_free(message);
  REQUIRE_MESSAGE(rc == SQLITE_OK, text);
}

inline std::string sqliteScalar(sqlite3* db, const std::string& sql) {
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

inline core::Exchange exchangeOf(std::string_view body) {
  core::Exchange exchange;
  exchange.id = "5b0c7a1e-0000-4000-8000-000000000001";
  auto doc = body.substr(0, 1) == "{" ? core::jsonToXml(body) : core::parseXml(body);
  REQUIRE(doc.ok());
  exchange.body = std::move(doc).value();
  return exchange;
}

inline core::Result<core::XmlDocPtr> callOnce(core::Endpoint& endpoint, std::string_view body,
                                              core::Clock::time_point deadline) {
  auto exchange = exchangeOf(body);
  core::CallRequest request{exchange, *exchange.body, deadline};
  return runCoroutine(endpoint.call(request));
}

inline core::Result<core::XmlDocPtr> callOnce(core::Endpoint& endpoint, std::string_view body) {
  return callOnce(endpoint, body, core::Clock::now() + 60s);
}

inline std::string text(const core::Result<core::XmlDocPtr>& result) {
  return result.ok() ? core::serializeXml(**result) : "error: " + result.error().message;
}

// Polls until `done` holds: a condition, not a duration, is what the test waits for.
inline void waitUntil(const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE(done());
}

inline const char* kPosizioniYaml = R"yaml(type: db
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

}  // namespace egov::test::dbtest
