#include "tests/support/journal_store.hpp"

#include <unistd.h>

#include <atomic>
#include <stdexcept>

#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "core/journal/pg_journal.hpp"
#include "core/journal/sqlite_journal.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/run_coroutine.hpp"

namespace egov::test {
namespace {

std::atomic<int> counter{0};

PostgresServer& server() {
  auto& pg = testPostgres();
  if (!pg.running()) pg.start();
  return pg;
}

}  // namespace

core::JournalEntry journalEntry(std::string id, std::string key, std::string order_key) {
  core::JournalEntry e;
  e.id = std::move(id);
  e.tenant_istat = "072006";
  e.tenant_slug = "bari";
  e.service = "welfare.domanda";
  e.method = "POST";
  e.trace_id = "trace-1";
  e.client = "portale";
  e.body =
      "<map xmlns=\"http://www.w3.org/2005/xpath-functions\"><string "
      "key=\"città\">Bari</string></map>";
  e.resume_step = 1;
  e.idempotency_key = std::move(key);
  e.order_key = std::move(order_key);
  return e;
}

std::int64_t leaseToken(core::Journal& journal, const std::string& id) {
  auto found = runCoroutine(journal.find("072006", id));
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  return (*found)->lease_token;
}

const char* journalBackendName(JournalBackend backend) {
  return backend == JournalBackend::sqlite ? "sqlite" : "postgresql";
}

JournalStore::JournalStore(JournalBackend backend) : backend_(backend) {
  const std::string name =
      "journal_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  if (backend == JournalBackend::sqlite) {
    folder_ = std::filesystem::temp_directory_path() / ("egovbus-" + name);
    std::filesystem::remove_all(folder_);
    std::filesystem::create_directories(folder_);
    return;
  }
  schema_ = name;
  auto& pg = server();
  pg.exec("CREATE SCHEMA " + schema_ + " AUTHORIZATION " + PostgresServer::kUser);
  dsn_ = pg.dsn() + " options='-c search_path=" + schema_ + "'";
}

JournalStore::~JournalStore() {
  std::error_code ec;
  if (!folder_.empty()) std::filesystem::remove_all(folder_, ec);
  if (!schema_.empty()) {
    try {
      server().exec("DROP SCHEMA " + schema_ + " CASCADE");
    } catch (...) {
      // The server may be gone at exit; its folder goes with it.
    }
  }
}

core::Result<std::unique_ptr<core::Journal>> JournalStore::tryOpen() const {
  if (backend_ == JournalBackend::sqlite) {
    auto journal = core::SqliteJournal::open(folder_ / "journal.db");
    if (!journal) return std::move(journal).error();
    return std::unique_ptr<core::Journal>(std::move(journal).value());
  }
  auto journal = core::PgJournal::open(core::PgJournalOptions{dsn_, 2});
  if (!journal) return std::move(journal).error();
  return std::unique_ptr<core::Journal>(std::move(journal).value());
}

std::unique_ptr<core::Journal> JournalStore::open() const {
  auto journal = tryOpen();
  if (!journal.ok()) FAIL(journal.error().message);
  return std::move(journal).value();
}

std::string JournalStore::sql(const std::string& statement) const {
  if (backend_ == JournalBackend::sqlite) {
    sqlite3* db = nullptr;
    sqlite3_open((folder_ / "journal.db").c_str(), &db);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> owned(db, sqlite3_close);
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, statement.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db));
    }
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, sqlite3_finalize);
    const int rc = sqlite3_step(raw);
    if (rc == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(raw, 0);
      return text ? reinterpret_cast<const char*>(text) : "";
    }
    if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
    return "";
  }
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(dsn_.c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), statement.c_str()),
                                                       PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    throw std::runtime_error(PQerrorMessage(conn.get()));
  }
  if (status == PGRES_TUPLES_OK && PQntuples(result.get()) > 0)
    return PQgetvalue(result.get(), 0, 0);
  return "";
}

std::string JournalStore::yamlSettings() const {
  if (backend_ == JournalBackend::sqlite) return "path: " + (folder_ / "journal.db").string();
  return "driver: postgresql, dsn: \"" + dsn_ + "\"";
}

}  // namespace egov::test
