#include "core/journal/sqlite_journal.hpp"

#include <array>
#include <cstring>
#include <limits>

#include "core/common/thread_name.hpp"
#include "core/journal/sqlite_statement.hpp"

namespace egov::core {
namespace {

constexpr const char* kEntryColumns =
    "id, tenant, tenant_slug, service, method, trace_id, client, body, resume_step, "
    "COALESCE(idempotency_key, ''), state, attempts, created_ms, updated_ms, next_attempt_ms, "
    "last_error, COALESCE(order_key, ''), lease_token";

JournalEntry readEntry(const SqliteStatement& row) {
  JournalEntry e;
  e.id = row.text(0);
  e.tenant_istat = row.text(1);
  e.tenant_slug = row.text(2);
  e.service = row.text(3);
  e.method = row.text(4);
  e.trace_id = row.text(5);
  e.client = row.text(6);
  e.body = row.text(7);
  e.resume_step = static_cast<int>(row.integer(8));
  e.idempotency_key = row.text(9);
  e.state = entryStateFromName(row.text(10)).value_or(EntryState::queued);
  e.attempts = static_cast<int>(row.integer(11));
  e.created_ms = row.integer(12);
  e.updated_ms = row.integer(13);
  e.next_attempt_ms = row.integer(14);
  e.last_error = row.text(15);
  e.order_key = row.text(16);
  e.lease_token = row.integer(17);
  return e;
}

constexpr const char* kBatchColumns =
    "id, tenant, source, file_name, content_hash, state, rows_total, rows_done, rows_failed, "
    "started_ms, updated_ms, detail";

BatchFile readBatch(const SqliteStatement& row) {
  BatchFile b;
  b.id = row.text(0);
  b.tenant_istat = row.text(1);
  b.source = row.text(2);
  b.file_name = row.text(3);
  b.content_hash = row.text(4);
  b.state = batchStateFromName(row.text(5)).value_or(BatchState::running);
  b.rows_total = row.integer(6);
  b.rows_done = row.integer(7);
  b.rows_failed = row.integer(8);
  b.started_ms = row.integer(9);
  b.updated_ms = row.integer(10);
  b.detail = row.text(11);
  return b;
}

Error dbError(sqlite3* db, std::string_view what) {
  return makeError(ErrorKind::internal,
                   "journal: " + std::string(what) + ": " + sqlite3_errmsg(db));
}

Result<void> exec(sqlite3* db, const char* sql) {
  return sqliteExec(db, sql, "journal");
}

// Runs a statement that returns no rows; error when it fails.
Result<void> execute(SqliteStatement& stmt, sqlite3* db, std::string_view what) {
  if (stmt.step() != SQLITE_DONE) return dbError(db, what);
  return {};
}

Result<void> recordAttempt(sqlite3* db, const std::string& id, int attempt, const char* outcome,
                           const std::string& error) {
  SqliteStatement stmt(db, "INSERT INTO attempts VALUES (?, ?, ?, ?, ?)");
  stmt.bind(1, id).bind(2, std::int64_t{attempt}).bind(3, nowMs()).bind(4, outcome).bind(5, error);
  return execute(stmt, db, "record attempt");
}

// Runs a settle's conditional UPDATE: no row changed means the claim was stale (nothing
// recorded); otherwise the attempt is recorded.
Result<Settled> settle(SqliteStatement& stmt, sqlite3* db, std::string_view what,
                       const std::string& id, int attempts, const char* outcome,
                       const std::string& error) {
  if (auto r = execute(stmt, db, what); !r) return std::move(r).error();
  if (sqlite3_changes(db) == 0) return Settled::stale;
  if (auto r = recordAttempt(db, id, attempts, outcome, error); !r) return std::move(r).error();
  return Settled::applied;
}

}  // namespace

// --- the journal thread --------------------------------------------------------------------

Result<std::unique_ptr<SqliteJournal>> SqliteJournal::open(const std::filesystem::path& file) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return makeError(ErrorKind::internal, "journal " + file.string() + ": " +
                                              (db ? sqlite3_errmsg(db.get()) : "cannot open"));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  // WAL lets the CLI read while the bus writes; synchronous=FULL makes a commit durable
  // (fsynced) before enqueue() completes, which is what a 202 promises.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    if (auto r = exec(db.get(), pragma); !r) {
      return makeError(ErrorKind::internal, "journal " + file.string() + ": " + r.error().message);
    }
  }
  if (auto r = migrate(db.get()); !r) {
    return makeError(ErrorKind::internal, "journal " + file.string() + ": " + r.error().message);
  }
  return std::unique_ptr<SqliteJournal>(new SqliteJournal(std::move(db)));
}

SqliteJournal::SqliteJournal(DbPtr db)
    : db_(std::move(db)), thread_([this] {
        nameThisThread("egov-journal");
        run();
      }) {}

SqliteJournal::~SqliteJournal() {
  tasks_.stop();
  thread_.join();
}

void SqliteJournal::run() {
  // Finalized when the thread ends, before the destructor closes the connection.
  SqliteStatementCache statements(db_.get());
  SqliteStatementCache::Scope scope(statements);
  for (;;) {
    // Everything queued while the previous batch committed goes into this one (group commit).
    std::vector<std::unique_ptr<Task>> batch;
    if (!tasks_.take(batch, std::numeric_limits<std::size_t>::max())) return;
    runBatch(batch);
  }
}

void SqliteJournal::runBatch(std::vector<std::unique_ptr<Task>>& batch) {
  // Most batches fail nowhere: their tasks run one after another in the transaction. Only when
  // one fails is the transaction rolled back and the batch run again with a savepoint around
  // each task, so that the failure undoes that task alone. (A task only works on the
  // connection: running it again after the rollback is running it for the first time.)
  // (A savepoint and its release around every task were four more statements per one-way
  // exchange: its enqueue and its settle.)
  if (!runTransaction(batch, false)) (void)runTransaction(batch, true);
  for (auto& task : batch) task->finish();
}

bool SqliteJournal::runTransaction(std::vector<std::unique_ptr<Task>>& batch, bool savepoints) {
  sqlite3* db = db_.get();
  auto begun = exec(db, "BEGIN IMMEDIATE");
  if (!begun) {
    for (auto& task : batch) task->fail(begun.error());
    return true;
  }
  for (auto& task : batch) {
    if (savepoints) (void)exec(db, "SAVEPOINT task");
    const bool ok = task->run(db);
    if (savepoints) {
      if (!ok) (void)exec(db, "ROLLBACK TO task");
      (void)exec(db, "RELEASE task");
    } else if (!ok) {
      (void)exec(db, "ROLLBACK");
      // A batch of one is done: its task failed and what it did is undone.
      return batch.size() == 1;
    }
  }
  auto committed = exec(db, "COMMIT");
  if (!committed) {
    (void)exec(db, "ROLLBACK");
    for (auto& task : batch) task->fail(committed.error());
  }
  return true;
}

// --- operations --------------------------------------------------------------------------

awaitable<Result<EnqueueOutcome>> SqliteJournal::store(
    JournalEntry entry, std::chrono::milliseconds window,
    std::optional<std::chrono::milliseconds> claim) {
  return submit<EnqueueOutcome>([entry = std::move(entry), window,
                                 claim](sqlite3* db) -> Result<EnqueueOutcome> {
    const EpochMs now = nowMs();
    if (!entry.idempotency_key.empty()) {
      SqliteStatement seen(db,
                           "SELECT exchange_id FROM idempotency_keys WHERE tenant = ? AND key = ? "
                           "AND expires_ms > ?");
      seen.bind(1, entry.tenant_istat).bind(2, entry.idempotency_key).bind(3, now);
      if (seen.step() == SQLITE_ROW) return EnqueueOutcome{seen.text(0), true};
      SqliteStatement remember(db, "INSERT OR REPLACE INTO idempotency_keys VALUES (?, ?, ?, ?)");
      remember.bind(1, entry.tenant_istat)
          .bind(2, entry.idempotency_key)
          .bind(3, entry.id)
          .bind(4, now + window.count());
      if (auto r = execute(remember, db, "store idempotency key"); !r) return std::move(r).error();
    }
    SqliteStatement insert(
        db,
        "INSERT INTO exchanges (id, tenant, tenant_slug, service, method, trace_id, client, body, "
        "resume_step, idempotency_key, state, attempts, created_ms, updated_ms, next_attempt_ms, "
        "order_key, lease_until_ms, lease_token) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, entry.id)
        .bind(2, entry.tenant_istat)
        .bind(3, entry.tenant_slug)
        .bind(4, entry.service);
    insert.bind(5, entry.method).bind(6, entry.trace_id).bind(7, entry.client).bind(8, entry.body);
    insert.bind(9, std::int64_t{entry.resume_step});
    if (entry.idempotency_key.empty()) {
      insert.bindNull(10);
    } else {
      insert.bind(10, entry.idempotency_key);
    }
    insert.bind(11, claim ? "delivering" : "queued").bind(12, now).bind(13, now).bind(14, now);
    if (entry.order_key.empty()) {
      insert.bindNull(15);
    } else {
      insert.bind(15, entry.order_key);
    }
    const std::int64_t token = claim ? 1 : 0;
    insert.bind(16, claim ? now + claim->count() : EpochMs{0}).bind(17, token);
    if (auto r = execute(insert, db, "store exchange"); !r) return std::move(r).error();
    return EnqueueOutcome{entry.id, false, token};
  });
}

awaitable<Result<std::optional<JournalEntry>>> SqliteJournal::find(std::string tenant_istat,
                                                                   std::string id) {
  return submit<std::optional<JournalEntry>>(
      [tenant = std::move(tenant_istat),
       id = std::move(id)](sqlite3* db) -> Result<std::optional<JournalEntry>> {
        SqliteStatement stmt(db, std::string("SELECT ") + kEntryColumns +
                                     " FROM exchanges WHERE tenant = ? AND id = ?");
        stmt.bind(1, tenant).bind(2, id);
        const int rc = stmt.step();
        if (rc == SQLITE_ROW) return std::optional<JournalEntry>(readEntry(stmt));
        if (rc == SQLITE_DONE) return std::optional<JournalEntry>();
        return dbError(db, "find exchange");
      });
}

// The due exchanges, as two arms that each read their partial index (exchanges_queued,
// exchanges_leased) in next_attempt_ms order and stop at the limit: one `state = 'queued' ...
// OR state = 'delivering' ...` condition made SQLite collect and sort every due row for each
// claim (callgrind of B2: 4M instructions per claim with a few thousand queued, growing with
// the backlog a slow back-end leaves).
#define EGOV_DUE_ORDER                                                                 \
  " AND (e.order_key IS NULL OR NOT EXISTS (SELECT 1 FROM exchanges p "                \
  "WHERE p.tenant = e.tenant AND p.service = e.service AND p.order_key = e.order_key " \
  "AND p.seq < e.seq AND p.state IN ('queued', 'delivering'))) "
constexpr const char* kDueQueued =
    "SELECT id, due FROM (SELECT e.id, e.next_attempt_ms AS due FROM exchanges e "
    "WHERE e.state = 'queued' AND e.next_attempt_ms <= ?2" EGOV_DUE_ORDER
    "ORDER BY e.next_attempt_ms LIMIT ?3)";
constexpr const char* kDueExpired =
    "SELECT id, due FROM (SELECT e.id, e.next_attempt_ms AS due FROM exchanges e "
    "WHERE e.state = 'delivering' AND e.lease_until_ms < ?2" EGOV_DUE_ORDER
    "ORDER BY e.next_attempt_ms LIMIT ?3)";
#undef EGOV_DUE_ORDER

std::string SqliteJournal::claimSql() {
  return std::string(
             "UPDATE exchanges SET state = 'delivering', lease_until_ms = ?1, updated_ms = ?2, "
             "lease_token = lease_token + 1 WHERE id IN (SELECT id FROM (") +
         kDueQueued + " UNION ALL " + kDueExpired + ") ORDER BY due LIMIT ?3) RETURNING " +
         kEntryColumns;
}

std::string SqliteJournal::deadSql() {
  return std::string("SELECT ") + kEntryColumns +
         " FROM exchanges WHERE state = 'dead' AND (? = '' OR tenant = ?) ORDER BY updated_ms "
         "LIMIT ?";
}

awaitable<Result<std::vector<JournalEntry>>> SqliteJournal::claimDue(
    std::size_t limit, std::chrono::milliseconds lease) {
  return submit<std::vector<JournalEntry>>(
      [limit, lease](sqlite3* db) -> Result<std::vector<JournalEntry>> {
        const EpochMs now = nowMs();
        static const std::string sql = claimSql();
        SqliteStatement stmt(db, sql);
        stmt.bind(1, now + lease.count()).bind(2, now).bind(3, static_cast<std::int64_t>(limit));
        std::vector<JournalEntry> claimed;
        int rc;
        while ((rc = stmt.step()) == SQLITE_ROW) claimed.push_back(readEntry(stmt));
        if (rc != SQLITE_DONE) return dbError(db, "claim due exchanges");
        return claimed;
      });
}

awaitable<Result<Settled>> SqliteJournal::markDelivered(std::string id, std::int64_t lease_token,
                                                        int attempts) {
  return submit<Settled>([id = std::move(id), lease_token,
                          attempts](sqlite3* db) -> Result<Settled> {
    SqliteStatement stmt(db,
                         "UPDATE exchanges SET state = 'delivered', attempts = ?, updated_ms = ?, "
                         "lease_until_ms = 0, last_error = '' "
                         "WHERE id = ? AND lease_token = ? AND state = 'delivering'");
    stmt.bind(1, std::int64_t{attempts}).bind(2, nowMs()).bind(3, id).bind(4, lease_token);
    return settle(stmt, db, "mark delivered", id, attempts, "delivered", "");
  });
}

awaitable<Result<Settled>> SqliteJournal::reschedule(std::string id, std::int64_t lease_token,
                                                     int attempts, EpochMs next_attempt_ms,
                                                     std::string error) {
  return submit<Settled>([id = std::move(id), lease_token, attempts, next_attempt_ms,
                          error = std::move(error)](sqlite3* db) -> Result<Settled> {
    SqliteStatement stmt(
        db,
        "UPDATE exchanges SET state = 'queued', attempts = ?, next_attempt_ms = ?, updated_ms = ?, "
        "lease_until_ms = 0, last_error = ? "
        "WHERE id = ? AND lease_token = ? AND state = 'delivering'");
    stmt.bind(1, std::int64_t{attempts})
        .bind(2, next_attempt_ms)
        .bind(3, nowMs())
        .bind(4, error)
        .bind(5, id)
        .bind(6, lease_token);
    return settle(stmt, db, "reschedule", id, attempts, "retry", error);
  });
}

awaitable<Result<Settled>> SqliteJournal::deadLetter(std::string id, std::int64_t lease_token,
                                                     int attempts, std::string error) {
  return submit<Settled>([id = std::move(id), lease_token, attempts,
                          error = std::move(error)](sqlite3* db) -> Result<Settled> {
    SqliteStatement stmt(
        db,
        "UPDATE exchanges SET state = 'dead', attempts = ?, updated_ms = ?, lease_until_ms = 0, "
        "last_error = ? WHERE id = ? AND lease_token = ? AND state = 'delivering'");
    stmt.bind(1, std::int64_t{attempts})
        .bind(2, nowMs())
        .bind(3, error)
        .bind(4, id)
        .bind(5, lease_token);
    return settle(stmt, db, "dead-letter", id, attempts, "dead", error);
  });
}

awaitable<Result<std::vector<JournalEntry>>> SqliteJournal::listDead(std::string tenant_istat,
                                                                     std::size_t limit) {
  return submit<std::vector<JournalEntry>>(
      [tenant = std::move(tenant_istat), limit](sqlite3* db) -> Result<std::vector<JournalEntry>> {
        static const std::string sql = deadSql();
        SqliteStatement stmt(db, sql);
        stmt.bind(1, tenant).bind(2, tenant).bind(3, static_cast<std::int64_t>(limit));
        std::vector<JournalEntry> dead;
        int rc;
        while ((rc = stmt.step()) == SQLITE_ROW) dead.push_back(readEntry(stmt));
        if (rc != SQLITE_DONE) return dbError(db, "list dead letters");
        return dead;
      });
}

awaitable<Result<void>> SqliteJournal::resolveDead(DeadLetterAction action) {
  return submit<void>([action = std::move(action)](sqlite3* db) -> Result<void> {
    if (action.action != "replay" && action.action != "discard") {
      return makeError(ErrorKind::bad_request, "unknown dead-letter action " + action.action);
    }
    const EpochMs now = nowMs();
    const bool replay = action.action == "replay";
    SqliteStatement stmt(
        db, replay ? "UPDATE exchanges SET state = 'queued', attempts = 0, next_attempt_ms = ?, "
                     "updated_ms = ?, last_error = '' WHERE id = ? AND state = 'dead'"
                   : "UPDATE exchanges SET state = 'discarded', updated_ms = ? "
                     "WHERE id = ? AND state = 'dead'");
    stmt.bind(1, now);
    if (replay) stmt.bind(2, now);
    stmt.bind(replay ? 3 : 2, action.id);
    if (auto r = execute(stmt, db, "resolve dead letter"); !r) return r;
    if (sqlite3_changes(db) == 0)
      return makeError(ErrorKind::not_found, "no dead letter " + action.id);
    SqliteStatement audit(db, "INSERT INTO dead_letter_actions VALUES (?, ?, ?, ?, ?)");
    audit.bind(1, action.id)
        .bind(2, now)
        .bind(3, action.action)
        .bind(4, action.who)
        .bind(5, action.why);
    return execute(audit, db, "record dead-letter action");
  });
}

// --- batch files -------------------------------------------------------------------------

awaitable<Result<BatchFile>> SqliteJournal::beginBatch(BatchFile file) {
  return submit<BatchFile>([file = std::move(file)](sqlite3* db) mutable -> Result<BatchFile> {
    SqliteStatement seen(
        db, std::string("SELECT ") + kBatchColumns +
                " FROM batch_files WHERE source = ? AND file_name = ? AND content_hash = ?");
    seen.bind(1, file.source).bind(2, file.file_name).bind(3, file.content_hash);
    const int rc = seen.step();
    if (rc == SQLITE_ROW) return readBatch(seen);
    if (rc != SQLITE_DONE) return dbError(db, "find batch file");
    file.started_ms = file.updated_ms = nowMs();
    file.state = BatchState::running;
    SqliteStatement insert(
        db,
        "INSERT INTO batch_files (id, tenant, source, file_name, content_hash, state, rows_total, "
        "rows_done, rows_failed, started_ms, updated_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?)");
    insert.bind(1, file.id).bind(2, file.tenant_istat).bind(3, file.source).bind(4, file.file_name);
    insert.bind(5, file.content_hash).bind(6, batchStateName(file.state)).bind(7, file.rows_total);
    insert.bind(8, file.rows_done)
        .bind(9, file.rows_failed)
        .bind(10, file.started_ms)
        .bind(11, file.updated_ms);
    insert.bind(12, file.detail);
    if (auto r = execute(insert, db, "record batch file"); !r) return std::move(r).error();
    return file;
  });
}

awaitable<Result<void>> SqliteJournal::updateBatch(std::string id, std::int64_t rows_done,
                                                   std::int64_t rows_failed,
                                                   std::int64_t rows_total) {
  return submit<void>([id = std::move(id), rows_done, rows_failed,
                       rows_total](sqlite3* db) -> Result<void> {
    SqliteStatement stmt(
        db,
        "UPDATE batch_files SET rows_done = ?, rows_failed = ?, rows_total = ?, updated_ms = ? "
        "WHERE id = ?");
    stmt.bind(1, rows_done).bind(2, rows_failed).bind(3, rows_total).bind(4, nowMs()).bind(5, id);
    if (auto r = execute(stmt, db, "update batch file"); !r) return r;
    if (sqlite3_changes(db) == 0) return makeError(ErrorKind::not_found, "no batch file " + id);
    return {};
  });
}

awaitable<Result<void>> SqliteJournal::finishBatch(std::string id, BatchState state,
                                                   std::string detail) {
  return submit<void>(
      [id = std::move(id), state, detail = std::move(detail)](sqlite3* db) -> Result<void> {
        SqliteStatement stmt(
            db, "UPDATE batch_files SET state = ?, detail = ?, updated_ms = ? WHERE id = ?");
        stmt.bind(1, batchStateName(state)).bind(2, detail).bind(3, nowMs()).bind(4, id);
        if (auto r = execute(stmt, db, "finish batch file"); !r) return r;
        if (sqlite3_changes(db) == 0) return makeError(ErrorKind::not_found, "no batch file " + id);
        return {};
      });
}

awaitable<Result<std::vector<BatchFile>>> SqliteJournal::listBatches(std::string tenant_istat,
                                                                     std::size_t limit) {
  return submit<std::vector<BatchFile>>(
      [tenant = std::move(tenant_istat), limit](sqlite3* db) -> Result<std::vector<BatchFile>> {
        SqliteStatement stmt(db, std::string("SELECT ") + kBatchColumns +
                                     " FROM batch_files WHERE (? = '' OR tenant = ?) ORDER BY "
                                     "started_ms DESC, rowid DESC LIMIT ?");
        stmt.bind(1, tenant).bind(2, tenant).bind(3, static_cast<std::int64_t>(limit));
        std::vector<BatchFile> files;
        int rc;
        while ((rc = stmt.step()) == SQLITE_ROW) files.push_back(readBatch(stmt));
        if (rc != SQLITE_DONE) return dbError(db, "list batch files");
        return files;
      });
}

// --- search ------------------------------------------------------------------------------

namespace {
std::string joinTenants(const std::vector<std::string>& tenants) {
  std::string joined;
  for (const auto& t : tenants) joined += (joined.empty() ? "" : ",") + t;
  return joined;
}
}  // namespace

std::string SqliteJournal::searchSql(bool by_id) {
  // The other filters are written so that one statement serves every query; the order is
  // exchanges_created's (newest first, cut at the limit). An id is a primary-key lookup.
  return std::string("SELECT ") + kEntryColumns + " FROM exchanges WHERE " +
         (by_id ? "id = ?1 " : "?1 = '' ") +
         "AND (?2 = '' OR instr(',' || ?2 || ',', ',' || tenant || ',') > 0) "
         "AND (?3 = '' OR service = ?3) AND (?4 = '' OR state = ?4) "
         "AND created_ms >= ?5 AND (?6 = 0 OR created_ms < ?6) "
         "ORDER BY created_ms DESC, seq DESC LIMIT ?7";
}

awaitable<Result<std::vector<JournalEntry>>> SqliteJournal::searchExchanges(ExchangeQuery query) {
  return submit<std::vector<JournalEntry>>(
      [query = std::move(query)](sqlite3* db) -> Result<std::vector<JournalEntry>> {
        static const std::string by_id = searchSql(true);
        static const std::string any = searchSql(false);
        SqliteStatement stmt(db, query.id.empty() ? any : by_id);
        // Tenants travel as one comma-separated list of ISTAT codes (digits only).
        stmt.bind(1, query.id).bind(2, joinTenants(query.tenants)).bind(3, query.service);
        stmt.bind(4, query.state ? entryStateName(*query.state) : std::string_view(""));
        stmt.bind(5, query.since).bind(6, query.until);
        stmt.bind(7, static_cast<std::int64_t>(query.limit));
        std::vector<JournalEntry> found;
        int rc;
        while ((rc = stmt.step()) == SQLITE_ROW) found.push_back(readEntry(stmt));
        if (rc != SQLITE_DONE) return dbError(db, "search exchanges");
        return found;
      });
}

const char* SqliteJournal::historySql() {
  return "SELECT at_ms, 'attempt', attempt, outcome, '', error FROM attempts WHERE exchange_id = "
         "?1 UNION ALL SELECT at_ms, action, 0, '', who, why FROM dead_letter_actions "
         "WHERE exchange_id = ?1 ORDER BY 1";
}

awaitable<Result<std::vector<ExchangeEvent>>> SqliteJournal::exchangeHistory(std::string id) {
  return submit<std::vector<ExchangeEvent>>(
      [id = std::move(id)](sqlite3* db) -> Result<std::vector<ExchangeEvent>> {
        SqliteStatement stmt(db, historySql());
        stmt.bind(1, id);
        std::vector<ExchangeEvent> events;
        int rc;
        while ((rc = stmt.step()) == SQLITE_ROW) {
          events.push_back({stmt.integer(0), stmt.text(1), static_cast<int>(stmt.integer(2)),
                            stmt.text(3), stmt.text(4), stmt.text(5)});
        }
        if (rc != SQLITE_DONE) return dbError(db, "exchange history");
        return events;
      });
}

}  // namespace egov::core
