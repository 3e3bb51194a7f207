#include "core/journal/pg_journal.hpp"

#include "core/common/thread_name.hpp"
#include "core/journal/pg_support.hpp"

#include <initializer_list>
#include <optional>

namespace egov::core {

using namespace pg;  // the libpq helpers (pg_support.hpp)

namespace {

constexpr std::size_t kMaxBatch = 256;

std::string columns(const char* t) {
  std::string p = std::string(t) + ".";
  return p + "id, " + p + "tenant, " + p + "tenant_slug, " + p + "service, " + p + "method, " + p +
         "trace_id, " + p + "client, " + p + "body, " + p + "resume_step, COALESCE(" + p +
         "idempotency_key, ''), " + p + "state, " + p + "attempts, " + p + "created_ms, " + p +
         "updated_ms, " + p + "next_attempt_ms, " + p + "last_error, COALESCE(" + p +
         "order_key, ''), " + p + "lease_token";
}

JournalEntry readEntry(const PGresult* result, int row) {
  auto text = [&](int column) {
    return std::string(PQgetvalue(result, row, column),
                       static_cast<std::size_t>(PQgetlength(result, row, column)));
  };
  JournalEntry e;
  e.id = text(0);
  e.tenant_istat = text(1);
  e.tenant_slug = text(2);
  e.service = text(3);
  e.method = text(4);
  e.trace_id = text(5);
  e.client = text(6);
  e.body = text(7);
  e.resume_step = static_cast<int>(integerAt(result, row, 8));
  e.idempotency_key = text(9);
  e.state = entryStateFromName(text(10)).value_or(EntryState::queued);
  e.attempts = static_cast<int>(integerAt(result, row, 11));
  e.created_ms = integerAt(result, row, 12);
  e.updated_ms = integerAt(result, row, 13);
  e.next_attempt_ms = integerAt(result, row, 14);
  e.last_error = text(15);
  e.order_key = text(16);
  e.lease_token = integerAt(result, row, 17);
  return e;
}

std::vector<JournalEntry> readEntries(const PGresult* result) {
  std::vector<JournalEntry> entries;
  for (int row = 0; row < PQntuples(result); ++row) entries.push_back(readEntry(result, row));
  return entries;
}

constexpr const char* kBatchColumns =
    "id, tenant, source, file_name, content_hash, state, rows_total, rows_done, rows_failed, "
    "started_ms, updated_ms, detail";

BatchFile readBatch(const PGresult* result, int row) {
  auto text = [&](int column) {
    return std::string(PQgetvalue(result, row, column),
                       static_cast<std::size_t>(PQgetlength(result, row, column)));
  };
  BatchFile b;
  b.id = text(0);
  b.tenant_istat = text(1);
  b.source = text(2);
  b.file_name = text(3);
  b.content_hash = text(4);
  b.state = batchStateFromName(text(5)).value_or(BatchState::running);
  b.rows_total = integerAt(result, row, 6);
  b.rows_done = integerAt(result, row, 7);
  b.rows_failed = integerAt(result, row, 8);
  b.started_ms = integerAt(result, row, 9);
  b.updated_ms = integerAt(result, row, 10);
  b.detail = text(11);
  return b;
}

Result<void> recordAttempt(PGconn* conn, const std::string& id, int attempt, const char* outcome,
                           const std::string& error) {
  return execute(conn, "INSERT INTO attempts VALUES ($1, $2, $3, $4, $5)",
                 {id, str(attempt), str(nowMs()), std::string(outcome), error}, "record attempt");
}

// Completes a settle's conditional UPDATE: no row changed means the claim was stale (nothing
// recorded); otherwise the attempt is recorded.
Result<Settled> settle(PGconn* conn, const PgResult& updated, std::string_view what,
                       const std::string& id, int attempts, const char* outcome,
                       const std::string& error) {
  if (!succeeded(updated)) return pgError(conn, updated.get(), what);
  if (std::string_view(PQcmdTuples(updated.get())) == "0") return Settled::stale;
  if (auto r = recordAttempt(conn, id, attempts, outcome, error); !r) return std::move(r).error();
  return Settled::applied;
}

void ignoreNotice(void*, const char*) {}

Result<PgJournal::ConnPtr> connect(const PgJournalOptions& options) {
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(options.connect_timeout).count();
  const std::string timeout = std::to_string(std::max<long long>(seconds, 1));
  // The DSN is expanded where `dbname` stands: it may override the keepalives before it,
  // not the timeout and encoding after it. Keepalives notice a server that vanished.
  const char* keywords[] = {
      "keepalives_idle", "keepalives_interval", "keepalives_count",          "dbname",
      "connect_timeout", "client_encoding",     "fallback_application_name", nullptr};
  const char* values[] = {
      "30", "10", "3", options.dsn.c_str(), timeout.c_str(), "UTF8", "egovbus-journal", nullptr};
  PgJournal::ConnPtr conn(PQconnectdbParams(keywords, values, 1));
  if (!conn) return makeError(ErrorKind::unavailable, "journal postgresql: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    // libpq names host, port, user and database, never the password.
    return makeError(ErrorKind::unavailable,
                     "journal postgresql: cannot connect: " + oneLine(PQerrorMessage(conn.get())));
  }
  PQsetNoticeProcessor(conn.get(), ignoreNotice, nullptr);
  // A journal operation never waits long: a hung server fails it instead of holding the
  // journal thread (enqueue answers 503, delivery retries).
  if (auto r = command(conn.get(), "SET statement_timeout = 30000", "configure session"); !r) {
    return std::move(r).error();
  }
  return conn;
}

}  // namespace

// --- the journal threads -------------------------------------------------------------------

Result<std::unique_ptr<PgJournal>> PgJournal::open(const PgJournalOptions& options) {
  auto conn = connect(options);
  if (!conn) return std::move(conn).error();
  if (auto r = migrate(conn->get()); !r) {
    return makeError(r.error().kind, "journal postgresql: " + r.error().message);
  }
  return std::unique_ptr<PgJournal>(new PgJournal(options, std::move(conn).value()));
}

PgJournal::PgJournal(PgJournalOptions options, ConnPtr first) : options_(std::move(options)) {
  const int count = std::max(1, options_.connections);
  threads_.emplace_back([this, conn = std::move(first)]() mutable {
    nameThisThread("egov-journal");
    run(std::move(conn));
  });
  for (int i = 1; i < count; ++i) {
    threads_.emplace_back([this] {
      nameThisThread("egov-journal");
      run(nullptr);
    });
  }
}

PgJournal::~PgJournal() {
  tasks_.stop();
  for (auto& thread : threads_) thread.join();
}

void PgJournal::run(ConnPtr conn) {
  for (;;) {
    std::vector<std::unique_ptr<Task>> batch;
    if (!tasks_.take(batch, kMaxBatch)) return;  // stopping, and everything queued is done
    runBatch(conn, batch);
    for (auto& task : batch) task->finish();
  }
}

void PgJournal::runBatch(ConnPtr& conn, std::vector<std::unique_ptr<Task>>& batch) {
  auto failAll = [&](const Error& error) {
    for (auto& task : batch) task->fail(error);
  };
  // A connection that died while idle (server restarted) shows only when used: nothing has
  // run yet, so reconnecting once and starting again is safe.
  auto begin = [&]() -> Result<void> {
    if (conn && PQstatus(conn.get()) == CONNECTION_OK) {
      if (command(conn.get(), "BEGIN", "begin")) return {};
    }
    auto fresh = connect(options_);
    if (!fresh) return std::move(fresh).error();
    conn = std::move(fresh).value();
    return command(conn.get(), "BEGIN", "begin");
  };
  if (auto begun = begin(); !begun) return failAll(begun.error());
  for (auto& task : batch) task->run(conn.get());
  if (PQtransactionStatus(conn.get()) == PQTRANS_INTRANS) {
    if (auto committed = command(conn.get(), "COMMIT", "commit"); !committed)
      failAll(committed.error());
    return;
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return failAll(makeError(ErrorKind::unavailable,
                             "journal: connection lost: " + oneLine(PQerrorMessage(conn.get()))));
  }
  (void)command(conn.get(), "ROLLBACK", "rollback");
  if (batch.size() == 1) return;  // the task holds its own error
  // One task's SQL failed and aborted the batch: each runs again in a transaction of its
  // own, so that the others are not undone by it.
  for (auto& task : batch) {
    if (auto begun = command(conn.get(), "BEGIN", "begin"); !begun) {
      task->fail(begun.error());
      continue;
    }
    task->run(conn.get());
    if (PQtransactionStatus(conn.get()) == PQTRANS_INTRANS) {
      if (auto committed = command(conn.get(), "COMMIT", "commit"); !committed)
        task->fail(committed.error());
    } else if (PQstatus(conn.get()) == CONNECTION_OK) {
      (void)command(conn.get(), "ROLLBACK", "rollback");
    }
  }
}

// --- operations ----------------------------------------------------------------------------

awaitable<Result<EnqueueOutcome>> PgJournal::store(JournalEntry entry,
                                                   std::chrono::milliseconds window,
                                                   std::optional<std::chrono::milliseconds> claim) {
  return submit<EnqueueOutcome>([entry = std::move(entry), window,
                                 claim](PGconn* conn) -> Result<EnqueueOutcome> {
    const EpochMs now = nowMs();
    if (!entry.idempotency_key.empty()) {
      // The key row is the lock between instances: a concurrent insert of the same key
      // waits for the other transaction, then sees its row. An expired key is taken over.
      auto claimed =
          query(conn,
                "INSERT INTO idempotency_keys (tenant, key, exchange_id, expires_ms) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, key) DO UPDATE "
                "SET exchange_id = EXCLUDED.exchange_id, expires_ms = EXCLUDED.expires_ms "
                "WHERE idempotency_keys.expires_ms <= $5 RETURNING exchange_id",
                {entry.tenant_istat, entry.idempotency_key, entry.id, str(now + window.count()),
                 str(now)});
      if (!succeeded(claimed)) return pgError(conn, claimed.get(), "store idempotency key");
      if (PQntuples(claimed.get()) == 0) {
        auto seen =
            query(conn, "SELECT exchange_id FROM idempotency_keys WHERE tenant = $1 AND key = $2",
                  {entry.tenant_istat, entry.idempotency_key});
        if (!succeeded(seen) || PQntuples(seen.get()) != 1) {
          return pgError(conn, seen.get(), "read idempotency key");
        }
        return EnqueueOutcome{PQgetvalue(seen.get(), 0, 0), true};
      }
    }
    auto stored = execute(
        conn,
        "INSERT INTO exchanges (id, tenant, tenant_slug, service, method, trace_id, client, body, "
        "resume_step, idempotency_key, order_key, state, attempts, created_ms, updated_ms, "
        "next_attempt_ms, lease_until_ms, lease_token) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $13, $13, $14, $15)",
        {entry.id, entry.tenant_istat, entry.tenant_slug, entry.service, entry.method,
         entry.trace_id, entry.client, entry.body, str(entry.resume_step),
         entry.idempotency_key.empty() ? Param() : Param(entry.idempotency_key),
         entry.order_key.empty() ? Param() : Param(entry.order_key),
         Param(claim ? "delivering" : "queued"), str(now),
         str(claim ? now + claim->count() : EpochMs{0}), str(std::int64_t{claim ? 1 : 0})},
        "store exchange");
    if (!stored) return std::move(stored).error();
    return EnqueueOutcome{entry.id, false, claim ? 1 : 0};
  });
}

awaitable<Result<std::optional<JournalEntry>>> PgJournal::find(std::string tenant_istat,
                                                               std::string id) {
  return submit<std::optional<JournalEntry>>(
      [tenant = std::move(tenant_istat),
       id = std::move(id)](PGconn* conn) -> Result<std::optional<JournalEntry>> {
        static const std::string sql =
            "SELECT " + columns("e") + " FROM exchanges e WHERE e.tenant = $1 AND e.id = $2";
        auto found = query(conn, sql.c_str(), {tenant, id});
        if (!succeeded(found)) return pgError(conn, found.get(), "find exchange");
        if (PQntuples(found.get()) == 0) return std::optional<JournalEntry>();
        return std::optional<JournalEntry>(readEntry(found.get(), 0));
      });
}

awaitable<Result<std::vector<JournalEntry>>> PgJournal::claimDue(std::size_t limit,
                                                                 std::chrono::milliseconds lease) {
  return submit<std::vector<JournalEntry>>(
      [limit, lease](PGconn* conn) -> Result<std::vector<JournalEntry>> {
        // SKIP LOCKED: rows another instance is claiming right now are left to it. Rows it has
        // claimed already fail the state test when re-read under the lock. An ordered entry
        // waits while an earlier one of its key is open (queued or delivering).
        static const std::string sql =
            "WITH due AS (SELECT e.id FROM exchanges e "
            "WHERE ((e.state = 'queued' AND e.next_attempt_ms <= $2) "
            "OR (e.state = 'delivering' AND e.lease_until_ms < $2)) "
            "AND (e.order_key IS NULL OR NOT EXISTS (SELECT 1 FROM exchanges p "
            "WHERE p.tenant = e.tenant AND p.service = e.service AND p.order_key = e.order_key "
            "AND p.seq < e.seq AND p.state IN ('queued', 'delivering'))) "
            "ORDER BY e.next_attempt_ms LIMIT $3 FOR UPDATE SKIP LOCKED) "
            "UPDATE exchanges x SET state = 'delivering', lease_until_ms = $1, updated_ms = $2, "
            "lease_token = x.lease_token + 1 "
            "FROM due WHERE x.id = due.id RETURNING " +
            columns("x");
        const EpochMs now = nowMs();
        auto claimed =
            query(conn, sql.c_str(),
                  {str(now + lease.count()), str(now), str(static_cast<std::int64_t>(limit))});
        if (!succeeded(claimed)) return pgError(conn, claimed.get(), "claim due exchanges");
        return readEntries(claimed.get());
      });
}

awaitable<Result<Settled>> PgJournal::markDelivered(std::string id, std::int64_t lease_token,
                                                    int attempts) {
  return submit<Settled>([id = std::move(id), lease_token, attempts](PGconn* conn) {
    auto updated =
        query(conn,
              "UPDATE exchanges SET state = 'delivered', attempts = $1, updated_ms = $2, "
              "lease_until_ms = 0, last_error = '' "
              "WHERE id = $3 AND lease_token = $4 AND state = 'delivering'",
              {str(attempts), str(nowMs()), id, str(lease_token)});
    return settle(conn, updated, "mark delivered", id, attempts, "delivered", "");
  });
}

awaitable<Result<Settled>> PgJournal::reschedule(std::string id, std::int64_t lease_token,
                                                 int attempts, EpochMs next_attempt_ms,
                                                 std::string error) {
  return submit<Settled>([id = std::move(id), lease_token, attempts, next_attempt_ms,
                          error = std::move(error)](PGconn* conn) {
    auto updated =
        query(conn,
              "UPDATE exchanges SET state = 'queued', attempts = $1, next_attempt_ms = $2, "
              "updated_ms = $3, lease_until_ms = 0, last_error = $4 "
              "WHERE id = $5 AND lease_token = $6 AND state = 'delivering'",
              {str(attempts), str(next_attempt_ms), str(nowMs()), error, id, str(lease_token)});
    return settle(conn, updated, "reschedule", id, attempts, "retry", error);
  });
}

awaitable<Result<Settled>> PgJournal::deadLetter(std::string id, std::int64_t lease_token,
                                                 int attempts, std::string error) {
  return submit<Settled>(
      [id = std::move(id), lease_token, attempts, error = std::move(error)](PGconn* conn) {
        auto updated = query(conn,
                             "UPDATE exchanges SET state = 'dead', attempts = $1, updated_ms = $2, "
                             "lease_until_ms = 0, last_error = $3 "
                             "WHERE id = $4 AND lease_token = $5 AND state = 'delivering'",
                             {str(attempts), str(nowMs()), error, id, str(lease_token)});
        return settle(conn, updated, "dead-letter", id, attempts, "dead", error);
      });
}

awaitable<Result<std::vector<JournalEntry>>> PgJournal::listDead(std::string tenant_istat,
                                                                 std::size_t limit) {
  return submit<std::vector<JournalEntry>>(
      [tenant = std::move(tenant_istat), limit](PGconn* conn) -> Result<std::vector<JournalEntry>> {
        static const std::string sql =
            "SELECT " + columns("e") +
            " FROM exchanges e WHERE e.state = 'dead' AND ($1 = '' OR e.tenant = $1) "
            "ORDER BY e.updated_ms, e.seq LIMIT $2";
        auto dead = query(conn, sql.c_str(), {tenant, str(static_cast<std::int64_t>(limit))});
        if (!succeeded(dead)) return pgError(conn, dead.get(), "list dead letters");
        return readEntries(dead.get());
      });
}

awaitable<Result<void>> PgJournal::resolveDead(DeadLetterAction action) {
  return submit<void>([action = std::move(action)](PGconn* conn) -> Result<void> {
    if (action.action != "replay" && action.action != "discard") {
      return makeError(ErrorKind::bad_request, "unknown dead-letter action " + action.action);
    }
    const std::string now = str(nowMs());
    auto resolved =
        action.action == "replay"
            ? query(conn,
                    "UPDATE exchanges SET state = 'queued', attempts = 0, next_attempt_ms = $1, "
                    "updated_ms = $1, last_error = '' WHERE id = $2 AND state = 'dead'",
                    {now, action.id})
            : query(conn,
                    "UPDATE exchanges SET state = 'discarded', updated_ms = $1 "
                    "WHERE id = $2 AND state = 'dead'",
                    {now, action.id});
    if (!succeeded(resolved)) return pgError(conn, resolved.get(), "resolve dead letter");
    if (std::string(PQcmdTuples(resolved.get())) == "0") {
      return makeError(ErrorKind::not_found, "no dead letter " + action.id);
    }
    return execute(conn, "INSERT INTO dead_letter_actions VALUES ($1, $2, $3, $4, $5)",
                   {action.id, now, action.action, action.who, action.why},
                   "record dead-letter action");
  });
}

// --- batch files ---------------------------------------------------------------------------

awaitable<Result<BatchFile>> PgJournal::beginBatch(BatchFile file) {
  return submit<BatchFile>([file = std::move(file)](PGconn* conn) mutable -> Result<BatchFile> {
    // Two instances watching one shared drop may both see a file: the unique key makes one
    // record, and the other instance gets it back as already running.
    file.started_ms = file.updated_ms = nowMs();
    file.state = BatchState::running;
    static const std::string insert =
        std::string(
            "INSERT INTO batch_files (id, tenant, source, file_name, content_hash, state, "
            "rows_total, rows_done, rows_failed, started_ms, updated_ms, detail) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) "
            "ON CONFLICT (source, file_name, content_hash) DO NOTHING RETURNING ") +
        kBatchColumns;
    auto stored =
        query(conn, insert.c_str(),
              {file.id, file.tenant_istat, file.source, file.file_name, file.content_hash,
               std::string(batchStateName(file.state)), str(file.rows_total), str(file.rows_done),
               str(file.rows_failed), str(file.started_ms), file.detail});
    if (!succeeded(stored)) return pgError(conn, stored.get(), "record batch file");
    if (PQntuples(stored.get()) == 1) return readBatch(stored.get(), 0);
    static const std::string select = std::string("SELECT ") + kBatchColumns +
                                      " FROM batch_files WHERE source = $1 AND file_name = $2 "
                                      "AND content_hash = $3";
    auto seen = query(conn, select.c_str(), {file.source, file.file_name, file.content_hash});
    if (!succeeded(seen) || PQntuples(seen.get()) != 1)
      return pgError(conn, seen.get(), "find batch file");
    return readBatch(seen.get(), 0);
  });
}

awaitable<Result<void>> PgJournal::updateBatch(std::string id, std::int64_t rows_done,
                                               std::int64_t rows_failed, std::int64_t rows_total) {
  return submit<void>(
      [id = std::move(id), rows_done, rows_failed, rows_total](PGconn* conn) -> Result<void> {
        auto updated =
            query(conn,
                  "UPDATE batch_files SET rows_done = $1, rows_failed = $2, rows_total = $3, "
                  "updated_ms = $4 WHERE id = $5",
                  {str(rows_done), str(rows_failed), str(rows_total), str(nowMs()), id});
        if (!succeeded(updated)) return pgError(conn, updated.get(), "update batch file");
        if (std::string(PQcmdTuples(updated.get())) == "0") {
          return makeError(ErrorKind::not_found, "no batch file " + id);
        }
        return {};
      });
}

awaitable<Result<void>> PgJournal::finishBatch(std::string id, BatchState state,
                                               std::string detail) {
  return submit<void>([id = std::move(id), state,
                       detail = std::move(detail)](PGconn* conn) -> Result<void> {
    auto finished =
        query(conn, "UPDATE batch_files SET state = $1, detail = $2, updated_ms = $3 WHERE id = $4",
              {std::string(batchStateName(state)), detail, str(nowMs()), id});
    if (!succeeded(finished)) return pgError(conn, finished.get(), "finish batch file");
    if (std::string(PQcmdTuples(finished.get())) == "0") {
      return makeError(ErrorKind::not_found, "no batch file " + id);
    }
    return {};
  });
}

awaitable<Result<std::vector<BatchFile>>> PgJournal::listBatches(std::string tenant_istat,
                                                                 std::size_t limit) {
  return submit<std::vector<BatchFile>>(
      [tenant = std::move(tenant_istat), limit](PGconn* conn) -> Result<std::vector<BatchFile>> {
        static const std::string sql = std::string("SELECT ") + kBatchColumns +
                                       " FROM batch_files WHERE ($1 = '' OR tenant = $1) "
                                       "ORDER BY started_ms DESC, seq DESC LIMIT $2";
        auto listed = query(conn, sql.c_str(), {tenant, str(static_cast<std::int64_t>(limit))});
        if (!succeeded(listed)) return pgError(conn, listed.get(), "list batch files");
        std::vector<BatchFile> files;
        for (int row = 0; row < PQntuples(listed.get()); ++row)
          files.push_back(readBatch(listed.get(), row));
        return files;
      });
}

// --- search ------------------------------------------------------------------------------

awaitable<Result<std::vector<JournalEntry>>> PgJournal::searchExchanges(ExchangeQuery query) {
  return submit<std::vector<JournalEntry>>(
      [query = std::move(query)](PGconn* conn) -> Result<std::vector<JournalEntry>> {
        // Tenants travel as one comma-separated list of ISTAT codes (digits only).
        static const std::string sql =
            "SELECT " + columns("e") +
            " FROM exchanges e WHERE ($1 = '' OR e.id = $1) "
            "AND ($2 = '' OR e.tenant = ANY(string_to_array($2, ','))) "
            "AND ($3 = '' OR e.service = $3) AND ($4 = '' OR e.state = $4) "
            "AND e.created_ms >= $5::bigint AND ($6::bigint = 0 OR e.created_ms < $6::bigint) "
            "ORDER BY e.created_ms DESC, e.seq DESC LIMIT $7::bigint";
        std::string tenants;
        for (const auto& t : query.tenants) tenants += (tenants.empty() ? "" : ",") + t;
        auto found = pg::query(
            conn, sql.c_str(),
            {query.id, tenants, query.service,
             std::string(query.state ? entryStateName(*query.state) : std::string_view()),
             str(query.since), str(query.until), str(static_cast<std::int64_t>(query.limit))});
        if (!succeeded(found)) return pgError(conn, found.get(), "search exchanges");
        return readEntries(found.get());
      });
}

awaitable<Result<std::vector<ExchangeEvent>>> PgJournal::exchangeHistory(std::string id) {
  return submit<std::vector<ExchangeEvent>>([id = std::move(id)](PGconn* conn)
                                                -> Result<std::vector<ExchangeEvent>> {
    auto found = pg::query(
        conn,
        "SELECT at_ms, 'attempt', attempt, outcome, '', error FROM attempts WHERE exchange_id = $1 "
        "UNION ALL SELECT at_ms, action, 0, '', who, why FROM dead_letter_actions "
        "WHERE exchange_id = $1 ORDER BY 1",
        {id});
    if (!succeeded(found)) return pgError(conn, found.get(), "exchange history");
    const PGresult* r = found.get();
    std::vector<ExchangeEvent> events;
    for (int row = 0; row < PQntuples(r); ++row) {
      events.push_back({integerAt(r, row, 0), PQgetvalue(r, row, 1),
                        static_cast<int>(integerAt(r, row, 2)), PQgetvalue(r, row, 3),
                        PQgetvalue(r, row, 4), PQgetvalue(r, row, 5)});
    }
    return events;
  });
}

}  // namespace egov::core
