// The SQLite journal's own file: its schema and migrations, the query plans of its hot
// statements, and a COMMIT that fails (the journal contract on both backends is in
// journal_contract_test.cpp, delivery through the API in journal_test.cpp).
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/journal/sqlite_journal.hpp"
#include "tests/support/failing_commits.hpp"
#include "tests/support/journal_store.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using namespace std::chrono_literals;
using test::runCoroutine;

namespace {

// The journal's file opened by the test itself, as an operator's sqlite3 would open it.
class File {
 public:
  explicit File(const std::filesystem::path& path) {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
    db_.reset(raw);
  }

  void exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error ? error : ""));
    sqlite3_free(error);
    REQUIRE(rc == SQLITE_OK);
  }

  // Each row a line, its columns joined by '|' (NULL as "NULL").
  std::string rows(const std::string& sql) { return lines(sql, -1); }

  // What EXPLAIN QUERY PLAN says of the statement, a step a line.
  std::string plan(const std::string& sql) { return lines("EXPLAIN QUERY PLAN " + sql, 3); }

  void close() { db_.reset(); }

 private:
  std::string lines(const std::string& sql, int only_column) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    std::string out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const int first = only_column < 0 ? 0 : only_column;
      const int end = only_column < 0 ? sqlite3_column_count(stmt) : only_column + 1;
      for (int i = first; i < end; ++i) {
        const auto* value = sqlite3_column_text(stmt, i);
        out += (i > first ? "|" : "") +
               std::string(value ? reinterpret_cast<const char*>(value) : "NULL");
      }
      out += "\n";
    }
    sqlite3_finalize(stmt);
    return out;
  }

  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
  };
  std::unique_ptr<sqlite3, Close> db_;
};

}  // namespace

TEST_CASE("journal (SQLite): exchange search walks exchanges_created, an id is a key lookup") {
  test::TempConfig folder;
  const auto path = folder.root() / "journal.db";
  REQUIRE(core::SqliteJournal::open(path).ok());  // migrated, then closed
  File file(path);
  const auto newest_first = file.plan(core::SqliteJournal::searchSql(false));
  INFO(newest_first);
  CHECK(newest_first.find("exchanges_created") != std::string::npos);
  CHECK(newest_first.find("TEMP B-TREE") == std::string::npos);  // no sort of the whole table
  const auto by_id = file.plan(core::SqliteJournal::searchSql(true));
  INFO(by_id);
  CHECK(by_id.find("(id=?)") != std::string::npos);
}

TEST_CASE(
    "journal (SQLite): claims and the dead-letter list read the partial indexes of states, an "
    "exchange's history its attempts' index") {
  test::TempConfig folder;
  const auto path = folder.root() / "journal.db";
  REQUIRE(core::SqliteJournal::open(path).ok());
  File file(path);
  const auto claim = file.plan(core::SqliteJournal::claimSql());
  INFO(claim);
  CHECK(claim.find("e USING INDEX exchanges_queued") != std::string::npos);
  CHECK(claim.find("e USING INDEX exchanges_leased") != std::string::npos);
  CHECK(claim.find("SCAN e\n") == std::string::npos);  // never the whole table
  const auto dead = file.plan(core::SqliteJournal::deadSql());
  INFO(dead);
  CHECK(dead.find("exchanges_dead") != std::string::npos);
  CHECK(dead.find("TEMP B-TREE") == std::string::npos);
  const auto history = file.plan(core::SqliteJournal::historySql());
  INFO(history);
  CHECK(history.find("attempts USING INDEX attempts_exchange (exchange_id=?)") !=
        std::string::npos);
}

TEST_CASE("journal (SQLite): a version-5 journal is migrated with its exchanges, seq its key") {
  test::TempConfig folder;
  const auto path = folder.root() / "journal.db";
  File file(path);
  // The exchanges table as migrations 1 to 5 left it (the other tables are unchanged by 6).
  file.exec(R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1), (2), (3), (4), (5);
CREATE TABLE exchanges (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, tenant_slug TEXT NOT NULL, service TEXT NOT NULL,
  method TEXT NOT NULL, trace_id TEXT NOT NULL, client TEXT NOT NULL, body TEXT NOT NULL,
  resume_step INTEGER NOT NULL, idempotency_key TEXT, state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL, lease_until_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '', order_key TEXT, seq INTEGER NOT NULL DEFAULT 0,
  lease_token INTEGER NOT NULL DEFAULT 0);
CREATE INDEX exchanges_due ON exchanges (state, next_attempt_ms);
CREATE INDEX exchanges_seq ON exchanges (seq);
CREATE INDEX exchanges_order ON exchanges (tenant, service, order_key, seq) WHERE order_key IS NOT NULL;
CREATE INDEX exchanges_created ON exchanges (created_ms, seq);
CREATE TABLE idempotency_keys (tenant TEXT NOT NULL, key TEXT NOT NULL, exchange_id TEXT NOT NULL,
  expires_ms INTEGER NOT NULL, PRIMARY KEY (tenant, key));
CREATE TABLE attempts (exchange_id TEXT NOT NULL, attempt INTEGER NOT NULL, at_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL, error TEXT NOT NULL);
CREATE TABLE dead_letter_actions (exchange_id TEXT NOT NULL, at_ms INTEGER NOT NULL,
  action TEXT NOT NULL, who TEXT NOT NULL, why TEXT NOT NULL);
CREATE TABLE batch_files (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, source TEXT NOT NULL,
  file_name TEXT NOT NULL, content_hash TEXT NOT NULL, state TEXT NOT NULL,
  rows_total INTEGER NOT NULL DEFAULT -1, rows_done INTEGER NOT NULL DEFAULT 0,
  rows_failed INTEGER NOT NULL DEFAULT 0, started_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  detail TEXT NOT NULL DEFAULT '', UNIQUE (source, file_name, content_hash));
CREATE INDEX batch_files_recent ON batch_files (tenant, started_ms);
INSERT INTO exchanges VALUES
  ('e-delivered', '072006', 'bari', 'welfare.domanda', 'POST', 't1', 'portale', '<a/>', 1, NULL,
   'delivered', 1, 100, 150, 100, 0, '', NULL, 3, 1),
  ('e-ordered-1', '072006', 'bari', 'welfare.domanda', 'POST', 't2', 'portale', '<b/>', 1, 'k1',
   'queued', 0, 200, 200, 0, 0, '', 'pratica-9', 7, 0),
  ('e-ordered-2', '072006', 'bari', 'welfare.domanda', 'POST', 't3', 'portale', '<c/>', 2, NULL,
   'queued', 2, 300, 300, 0, 0, 'HTTP 503', 'pratica-9', 12, 4);
)sql");
  const std::string before = file.rows(
      "SELECT id, tenant, tenant_slug, service, method, trace_id, client, body, resume_step, "
      "idempotency_key, state, attempts, created_ms, updated_ms, next_attempt_ms, lease_until_ms, "
      "last_error, order_key, seq, lease_token FROM exchanges ORDER BY seq");
  file.close();

  {
    auto journal = core::SqliteJournal::open(path);
    REQUIRE(journal.ok());
    // The ordered pair still goes in its order, and a new exchange comes after the last seq.
    auto claimed = runCoroutine((*journal)->claimDue(10, 60s));
    REQUIRE(claimed.ok());
    REQUIRE(claimed->size() == 1);
    CHECK(claimed->front().id == "e-ordered-1");
    auto fresh = test::journalEntry("e-new");
    REQUIRE(runCoroutine((*journal)->enqueue(std::move(fresh), 24h)).ok());
  }

  File migrated(path);
  CHECK(migrated.rows("SELECT MAX(version) FROM schema_version") == "6\n");
  CHECK(migrated.rows("SELECT name FROM pragma_table_info('exchanges') WHERE pk = 1") == "seq\n");
  CHECK(migrated.rows(
            "SELECT name FROM pragma_index_list('exchanges') WHERE origin = 'c' ORDER BY name") ==
        "exchanges_created\nexchanges_dead\nexchanges_leased\nexchanges_order\nexchanges_queued\n");
  CHECK(migrated.rows("SELECT name FROM pragma_index_list('attempts')") == "attempts_exchange\n");
  CHECK(migrated.rows("SELECT id, seq FROM exchanges ORDER BY seq") ==
        "e-delivered|3\ne-ordered-1|7\ne-ordered-2|12\ne-new|13\n");
  // Every column of the old rows, as they were (but the claim's own changes to e-ordered-1).
  migrated.exec(
      "UPDATE exchanges SET state = 'queued', lease_until_ms = 0, updated_ms = 200, "
      "lease_token = 0 WHERE id = 'e-ordered-1'");
  CHECK(migrated.rows(
            "SELECT id, tenant, tenant_slug, service, method, trace_id, client, body, resume_step, "
            "idempotency_key, state, attempts, created_ms, updated_ms, next_attempt_ms, "
            "lease_until_ms, last_error, order_key, seq, lease_token FROM exchanges WHERE seq < 13 "
            "ORDER BY seq") == before);
  CHECK(migrated.rows("PRAGMA integrity_check") == "ok\n");
}

TEST_CASE("journal (SQLite): a COMMIT that fails fails its batch's operations and stores none") {
  test::FailingCommits failing;
  test::TempConfig folder;
  auto journal = core::SqliteJournal::open(folder.root() / "journal.db");
  REQUIRE(journal.ok());
  test::FailingCommits::pending = 1;
  auto lost = test::journalEntry("lost");
  auto refused = runCoroutine((*journal)->enqueue(std::move(lost), 24h));
  REQUIRE_FALSE(refused.ok());  // the API answers 5xx, not 202: nothing was promised
  CHECK(refused.error().kind == core::ErrorKind::internal);
  CHECK(refused.error().message == "journal: constraint failed");
  CHECK(test::FailingCommits::pending == 0);
  // The transaction is over: the next operation commits, and the failed one left nothing.
  auto kept = test::journalEntry("kept");
  REQUIRE(runCoroutine((*journal)->enqueue(std::move(kept), 24h)).ok());
  CHECK(runCoroutine((*journal)->find("072006", "kept"))->has_value());
  CHECK_FALSE(runCoroutine((*journal)->find("072006", "lost"))->has_value());
}
