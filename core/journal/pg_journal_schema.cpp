// The PostgreSQL journal's schema: versioned migrations, applied in order at open.
#include <array>

#include "core/journal/pg_journal.hpp"
#include "core/journal/pg_support.hpp"

namespace egov::core::pg {
namespace {

// Versioned migrations, applied in order at open; never edit one that has shipped.
constexpr std::array<const char*, PgJournal::kSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE exchanges (
  seq BIGSERIAL NOT NULL UNIQUE,
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
  order_key TEXT,
  state TEXT NOT NULL CHECK (state IN ('queued', 'delivering', 'delivered', 'dead', 'discarded')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  next_attempt_ms BIGINT NOT NULL,
  lease_until_ms BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exchanges_queued ON exchanges (next_attempt_ms) WHERE state = 'queued';
CREATE INDEX exchanges_leased ON exchanges (lease_until_ms) WHERE state = 'delivering';
CREATE INDEX exchanges_dead ON exchanges (updated_ms) WHERE state = 'dead';
CREATE INDEX exchanges_open_order ON exchanges (tenant, service, order_key, seq)
  WHERE order_key IS NOT NULL AND state IN ('queued', 'delivering');
CREATE TABLE idempotency_keys (
  tenant TEXT NOT NULL,
  key TEXT NOT NULL,
  exchange_id TEXT NOT NULL,
  expires_ms BIGINT NOT NULL,
  PRIMARY KEY (tenant, key)
);
CREATE TABLE attempts (
  exchange_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at_ms BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX attempts_exchange ON attempts (exchange_id);
CREATE TABLE dead_letter_actions (
  exchange_id TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  action TEXT NOT NULL,
  who TEXT NOT NULL,
  why TEXT NOT NULL
);
CREATE TABLE batch_files (
  seq BIGSERIAL NOT NULL UNIQUE,
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  source TEXT NOT NULL,
  file_name TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
  rows_total BIGINT NOT NULL DEFAULT -1,
  rows_done BIGINT NOT NULL DEFAULT 0,
  rows_failed BIGINT NOT NULL DEFAULT 0,
  started_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  UNIQUE (source, file_name, content_hash)
);
CREATE INDEX batch_files_recent ON batch_files (tenant, started_ms);
)sql",
    // Lease tokens: every claim raises the entry's token; a settle applies only with the
    // token of the latest claim.
    R"sql(
ALTER TABLE exchanges ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0;
)sql",
    // Exchange search (admin API, console) lists the newest first: walked in this index's
    // order and cut at the limit instead of sorting the whole table.
    R"sql(
CREATE INDEX exchanges_created ON exchanges (created_ms, seq);
)sql"};

// Any fixed number: instances starting together take turns applying migrations.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7200600001)";
}  // namespace

Result<void> migrate(PGconn* conn) {
  if (auto r = command(conn, "BEGIN", "migrate"); !r) return r;
  auto applied = [&]() -> Result<void> {
    if (auto r = command(conn, kMigrationLock, "migration lock"); !r) return r;
    if (auto r =
            command(conn,
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                    "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                    "migrate");
        !r) {
      return r;
    }
    PgResult current(PQexec(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    if (PQresultStatus(current.get()) != PGRES_TUPLES_OK) {
      return pgError(conn, current.get(), "read schema version");
    }
    const auto version = static_cast<std::size_t>(integerAt(current.get(), 0, 0));
    if (version > kMigrations.size()) {
      return makeError(ErrorKind::internal, "journal: schema version " + std::to_string(version) +
                                                " is newer than this egovbus (" +
                                                std::to_string(kMigrations.size()) + ")");
    }
    for (std::size_t v = version; v < kMigrations.size(); ++v) {
      if (auto r = command(conn, kMigrations[v], "migration " + std::to_string(v + 1)); !r)
        return r;
      if (auto r = execute(conn, "INSERT INTO schema_migrations (version) VALUES ($1)",
                           {std::to_string(v + 1)}, "migrate");
          !r) {
        return r;
      }
    }
    return {};
  }();
  if (!applied) {
    (void)command(conn, "ROLLBACK", "migrate");
    return applied;
  }
  return command(conn, "COMMIT", "migrate");
}

}  // namespace egov::core::pg
