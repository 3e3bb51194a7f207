// The SQLite journal's schema: versioned migrations, applied in order at open.
#include <array>
#include <string>

#include "core/journal/sqlite_journal.hpp"
#include "core/journal/sqlite_statement.hpp"

namespace egov::core {
namespace {

// Versioned migrations, applied in order at open; never edit one that has shipped.
constexpr std::array<const char*, SqliteJournal::kSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE exchanges (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  tenant_slug TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  client TEXT NOT NULL,
  body TEXT NOT NULL,
  resume_step INTEGER NOT NULL,
  idempotency_key TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  lease_until_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exchanges_due ON exchanges (state, next_attempt_ms);
CREATE TABLE idempotency_keys (
  tenant TEXT NOT NULL,
  key TEXT NOT NULL,
  exchange_id TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, key)
);
CREATE TABLE attempts (
  exchange_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  error TEXT NOT NULL
);
CREATE TABLE dead_letter_actions (
  exchange_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  action TEXT NOT NULL,
  who TEXT NOT NULL,
  why TEXT NOT NULL
);
)sql",
    R"sql(
CREATE TABLE batch_files (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  source TEXT NOT NULL,
  file_name TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  state TEXT NOT NULL,
  rows_total INTEGER NOT NULL DEFAULT -1,
  rows_done INTEGER NOT NULL DEFAULT 0,
  rows_failed INTEGER NOT NULL DEFAULT 0,
  started_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  UNIQUE (source, file_name, content_hash)
);
CREATE INDEX batch_files_recent ON batch_files (tenant, started_ms);
)sql",
    // Ordering per key: `seq` is the acceptance order (rowids are not stable across VACUUM).
    R"sql(
ALTER TABLE exchanges ADD COLUMN order_key TEXT;
ALTER TABLE exchanges ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE exchanges SET seq = rowid;
CREATE INDEX exchanges_seq ON exchanges (seq);
CREATE INDEX exchanges_order ON exchanges (tenant, service, order_key, seq) WHERE order_key IS NOT NULL;
)sql",
    // Lease tokens: every claim raises the entry's token; a settle applies only with the
    // token of the latest claim.
    R"sql(
ALTER TABLE exchanges ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
)sql",
    // Exchange search (admin API, console) lists the newest first: walked in this index's
    // order and cut at the limit instead of sorting the whole table.
    R"sql(
CREATE INDEX exchanges_created ON exchanges (created_ms, seq);
)sql",
    // `seq` becomes the table's key (an INTEGER PRIMARY KEY is the rowid, and unlike an
    // implicit rowid it survives VACUUM): the table is stored in acceptance order, the
    // exchanges_seq index and the MAX(seq) lookup of every enqueue go, and exchanges_created
    // holds created_ms alone (an index ends with the rowid, here seq). exchanges_due (state,
    // next_attempt_ms), which held every exchange ever journaled, becomes partial indexes of
    // the states that are looked for: queued and leased entries (the claims), dead letters (the
    // list). A delivered entry leaves them and enters none, so they hold what is in flight.
    // B2 (64 connections), WAL frames per commit: 14.4 -> 12.5; an exchanges_seq page was in
    // most commits, and both ends of exchanges_due. The table is copied once, in one
    // transaction, with its ids and seqs. attempts gets the index PostgreSQL's has: an
    // exchange's history (admin API, console) read the whole table, on the journal thread.
    R"sql(
CREATE TABLE exchanges_v6 (
  id TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  tenant_slug TEXT NOT NULL,
  service TEXT NOT NULL,
  method TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  client TEXT NOT NULL,
  body TEXT NOT NULL,
  resume_step INTEGER NOT NULL,
  idempotency_key TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  lease_until_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  order_key TEXT,
  seq INTEGER PRIMARY KEY,
  lease_token INTEGER NOT NULL DEFAULT 0
);
INSERT INTO exchanges_v6 (id, tenant, tenant_slug, service, method, trace_id, client, body,
  resume_step, idempotency_key, state, attempts, created_ms, updated_ms, next_attempt_ms,
  lease_until_ms, last_error, order_key, seq, lease_token)
SELECT id, tenant, tenant_slug, service, method, trace_id, client, body, resume_step,
  idempotency_key, state, attempts, created_ms, updated_ms, next_attempt_ms, lease_until_ms,
  last_error, order_key, seq, lease_token FROM exchanges ORDER BY seq;
DROP TABLE exchanges;
ALTER TABLE exchanges_v6 RENAME TO exchanges;
CREATE INDEX exchanges_queued ON exchanges (next_attempt_ms) WHERE state = 'queued';
CREATE INDEX exchanges_leased ON exchanges (next_attempt_ms) WHERE state = 'delivering';
CREATE INDEX exchanges_dead ON exchanges (updated_ms) WHERE state = 'dead';
CREATE INDEX attempts_exchange ON attempts (exchange_id);
CREATE INDEX exchanges_order ON exchanges (tenant, service, order_key, seq) WHERE order_key IS NOT NULL;
CREATE INDEX exchanges_created ON exchanges (created_ms);
)sql"};

Result<void> exec(sqlite3* db, const char* sql) {
  return sqliteExec(db, sql, "journal");
}

}  // namespace

Result<void> SqliteJournal::migrate(sqlite3* db) {
  if (auto r = exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); !r)
    return r;
  std::size_t version = 0;
  {
    // Finalized before the migrations run: a DROP TABLE fails while a statement is active.
    SqliteStatement current(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (current.step() != SQLITE_ROW) {
      return makeError(ErrorKind::internal,
                       std::string("journal: read schema version: ") + sqlite3_errmsg(db));
    }
    version = static_cast<std::size_t>(current.integer(0));
  }
  if (version > kMigrations.size()) {
    return makeError(ErrorKind::internal, "journal: schema version " + std::to_string(version) +
                                              " is newer than this egovbus (" +
                                              std::to_string(kMigrations.size()) + ")");
  }
  for (std::size_t v = version; v < kMigrations.size(); ++v) {
    if (auto r = exec(db, "BEGIN IMMEDIATE"); !r) return r;
    auto applied = exec(db, kMigrations[v]);
    if (applied) {
      applied =
          exec(db, ("INSERT INTO schema_version VALUES (" + std::to_string(v + 1) + ")").c_str());
    }
    if (!applied) {
      (void)exec(db, "ROLLBACK");
      return applied;
    }
    if (auto r = exec(db, "COMMIT"); !r) return r;
  }
  return {};
}

}  // namespace egov::core
