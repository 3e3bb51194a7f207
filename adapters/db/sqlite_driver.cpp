// The SQLite side of the `db` adapter: one sqlite3 handle per pooled connection, opened
// without SQLite's own mutex because the pool hands a connection to one worker at a time.
#include <filesystem>
#include <map>
#include <new>
#include <optional>

#include <sqlite3.h>

#include "adapters/db/db_connection.hpp"
#include "adapters/db/db_rows.hpp"
#include "adapters/db/sqlite_functions.hpp"
#include "core/log/log.hpp"

namespace egov::adapters::db {
namespace {

using core::ErrorKind;

struct SqliteDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using SqlitePtr = std::unique_ptr<sqlite3, SqliteDeleter>;
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

std::string describe(int code, sqlite3* db) {
  return std::string(db ? sqlite3_errmsg(db) : sqlite3_errstr(code)) + " (sqlite error " +
         std::to_string(code) + ")";
}

// Whatever follows the first statement must be blank: prepare() silently ignores it, and a
// second statement the operator wrote would never run.
bool onlyBlankAfter(const char* tail) {
  for (; tail && *tail; ++tail) {
    if (*tail != ';' && *tail != ' ' && *tail != '\n' && *tail != '\r' && *tail != '\t') {
      return false;
    }
  }
  return true;
}

// Prepares `sql` on `db`. On failure `rc` is SQLite's code (SQLITE_OK when the text itself
// is the problem) and `error` says why.
StatementPtr prepare(sqlite3* db, const std::string& sql, unsigned flags, int& rc,
                     std::string& error) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()) + 1, flags, &raw, &tail);
  StatementPtr statement(raw);
  if (rc != SQLITE_OK) {
    error = describe(rc, db);
    return nullptr;
  }
  if (!statement) {
    error = "no SQL statement";
    return nullptr;
  }
  if (!onlyBlankAfter(tail)) {
    error = "only one SQL statement per entry";
    return nullptr;
  }
  return statement;
}

class SqliteConnection final : public DbConnection {
 public:
  explicit SqliteConnection(SqlitePtr db) : db_(std::move(db)) {
    sqlite3_extended_result_codes(db_.get(), 1);
    // Checked every 1000 virtual machine steps: how a slow query ends at its time limit.
    sqlite3_progress_handler(db_.get(), 1000, &SqliteConnection::onProgress, this);
  }

  core::Result<core::XmlDocPtr> execute(const DbStatement& statement, const ParamRuns& runs,
                                        const CallLimits& limits) override {
    health_ = Health::ok;
    limits_ = limits;
    sqlite3_busy_timeout(db_.get(), static_cast<int>(limits.left().count()));
    auto prepared = preparedFor(statement);
    if (!prepared) return std::move(prepared).error();
    const bool read_only = sqlite3_stmt_readonly(*prepared) != 0;
    // IMMEDIATE takes the write lock up front, so waiting for it is bounded by the busy
    // timeout instead of failing on a lock upgrade half-way.
    int rc =
        sqlite3_exec(db_.get(), read_only ? "BEGIN" : "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return failure(rc);
    auto result = runCall(*prepared, statement, runs);
    if (result) {
      rc = sqlite3_exec(db_.get(), "COMMIT", nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) result = failure(rc);
    }
    if (!result) rollback();
    return result;
  }

  // One BEGIN IMMEDIATE … COMMIT for all the calls, a savepoint around each. SQLite ends the
  // whole transaction itself on some failures (an interrupted write, a full disk): the calls
  // that had run then run again in a new one with those that had not, without the one that
  // failed, so that one call's failure never costs the others theirs.
  void executeGroup(std::span<GroupedCall*> calls) override {
    std::vector<GroupedCall*> pending(calls.begin(), calls.end());
    while (pending.size() > 1) pending = runGroup(pending);
    for (auto* call : pending)
      call->result = execute(*call->statement, *call->runs, call->limits());
  }

  Health health() const override { return health_; }

 private:
  // The group's transaction statements, prepared once.
  enum Fixed { kSavepoint, kRelease, kRollbackTo, kFixedCount };

  // Runs `calls` (two or more) in one transaction; returns the calls to run again in a new
  // one when SQLite ended this one under them (empty when every call has its result).
  std::vector<GroupedCall*> runGroup(const std::vector<GroupedCall*>& calls) {
    health_ = Health::ok;
    // Each call's limits start when it does; the earliest bounds the wait for the lock.
    limits_ = calls.front()->limits();
    for (auto* call : calls) {
      if (const auto limits = call->limits(); limits.until < limits_.until) limits_ = limits;
    }
    sqlite3_busy_timeout(db_.get(), static_cast<int>(limits_.left().count()));
    int rc = sqlite3_exec(db_.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      const auto error = failure(rc);
      for (auto* call : calls) call->result = error;
      return {};
    }
    std::vector<GroupedCall*> ran;  // succeeded in this transaction
    // Ends the transaction with `error` for the calls that ran and those still to run.
    auto abandon = [&](std::size_t next, const core::Error& error) {
      for (auto* call : ran) call->result = error;
      for (std::size_t j = next; j < calls.size(); ++j) calls[j]->result = error;
      rollback();
      return std::vector<GroupedCall*>{};
    };
    for (std::size_t i = 0; i < calls.size(); ++i) {
      auto* call = calls[i];
      limits_ = call->limits();
      if (core::Clock::now() >= limits_.until) {
        call->result = limits_.timeout();
        continue;
      }
      if (rc = step(kSavepoint); rc != SQLITE_OK) return abandon(i, failure(rc));
      auto prepared = preparedFor(*call->statement);
      call->result = prepared ? runCall(*prepared, *call->statement, *call->runs)
                              : core::Result<core::XmlDocPtr>(std::move(prepared).error());
      if (call->result) {
        if (rc = step(kRelease); rc != SQLITE_OK) return abandon(i + 1, failure(rc));
        ran.push_back(call);
        continue;
      }
      if (health_ == Health::broken) return abandon(i + 1, call->result.error());
      if (sqlite3_get_autocommit(db_.get())) {
        std::vector<GroupedCall*> again(ran);
        again.insert(again.end(), calls.begin() + static_cast<std::ptrdiff_t>(i) + 1, calls.end());
        return again;
      }
      limits_.until = core::Clock::time_point::max();  // undoing must not be interrupted
      if (rc = step(kRollbackTo); rc == SQLITE_OK) rc = step(kRelease);
      if (rc != SQLITE_OK) return abandon(i + 1, failure(rc));
    }
    limits_.until = core::Clock::time_point::max();
    rc = sqlite3_exec(db_.get(), "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return abandon(calls.size(), failure(rc));
    return {};
  }

  core::Result<sqlite3_stmt*> preparedFor(const DbStatement& statement) {
    int rc = SQLITE_OK;
    if (auto* prepared = preparedStatement(statement, rc)) return prepared;
    prepared_.clear();  // the schema may have changed under us
    if (rc != SQLITE_OK) return failure(rc);
    return core::makeError(ErrorKind::backend_rejected, error_);
  }

  // One call's runs, inside the transaction already begun.
  core::Result<core::XmlDocPtr> runCall(sqlite3_stmt* prepared, const DbStatement& statement,
                                        const ParamRuns& runs) {
    try {
      return runAll(prepared, statement, runs);
    } catch (const std::bad_alloc&) {
      health_ = Health::broken;
      sqlite3_reset(prepared);
      sqlite3_clear_bindings(prepared);
      return core::makeError(ErrorKind::internal, "out of memory");
    }
  }

  // Steps one of the fixed statements; SQLITE_OK when it ran.
  int step(Fixed which) {
    static constexpr const char* kSql[kFixedCount] = {"SAVEPOINT egov_call", "RELEASE egov_call",
                                                      "ROLLBACK TO egov_call"};
    auto& slot = fixed_[which];
    int rc = SQLITE_OK;
    if (!slot) slot = prepare(db_.get(), kSql[which], SQLITE_PREPARE_PERSISTENT, rc, error_);
    if (!slot) return rc != SQLITE_OK ? rc : SQLITE_ERROR;
    rc = sqlite3_step(slot.get());
    sqlite3_reset(slot.get());
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }

  // Ends an open transaction. Never pooled inside one: the next call would run in it.
  void rollback() {
    if (sqlite3_get_autocommit(db_.get())) return;
    limits_.until = core::Clock::time_point::max();
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    if (!sqlite3_get_autocommit(db_.get())) health_ = Health::broken;
  }

  static int onProgress(void* self) {
    return core::Clock::now() >= static_cast<SqliteConnection*>(self)->limits_.until ? 1 : 0;
  }

  sqlite3_stmt* preparedStatement(const DbStatement& statement, int& rc) {
    auto& slot = prepared_[statement.name];
    if (!slot) {
      slot = prepare(db_.get(), statement.driver_sql, SQLITE_PREPARE_PERSISTENT, rc, error_);
    }
    return slot.get();
  }

  // Every run of the statement, its rows gathered in one document (or its changes summed).
  // No run at all answers <rows affected="0"/>, as on PostgreSQL. The statement is left
  // reset and unbound.
  core::Result<core::XmlDocPtr> runAll(sqlite3_stmt* prepared, const DbStatement& statement,
                                       const ParamRuns& runs) {
    std::optional<RowsBuilder> rows;
    if (sqlite3_column_count(prepared) != 0 && !runs.empty()) rows.emplace();
    std::int64_t affected = 0;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      auto ran = run(prepared, statement, runs[i], rows ? &*rows : nullptr);
      sqlite3_reset(prepared);
      sqlite3_clear_bindings(prepared);
      if (!ran) return runError(statement, i, runs.size(), std::move(ran).error());
      affected += sqlite3_changes64(db_.get());
    }
    if (rows) return rows->finish();
    return RowsBuilder::affected(affected);
  }

  // One run: binds `values` and steps the statement to its end, each row added to `rows`.
  // The values are bound without a copy (SQLITE_STATIC): they outlive the run, which ends
  // with the statement reset and unbound before the next run binds its own.
  core::Result<void> run(sqlite3_stmt* prepared, const DbStatement& statement,
                         const ParamValues& values, RowsBuilder* rows) {
    for (std::size_t i = 0; i < statement.params.size(); ++i) {
      const int position = static_cast<int>(i) + 1;
      const int rc = values[i] ? sqlite3_bind_text64(prepared, position, values[i]->data(),
                                                     values[i]->size(), SQLITE_STATIC, SQLITE_UTF8)
                               : sqlite3_bind_null(prepared, position);
      if (rc != SQLITE_OK) return failure(rc);
    }
    const int columns = sqlite3_column_count(prepared);
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(prepared)) == SQLITE_ROW) {
      if (!rows) continue;  // a DML statement with nothing to return
      rows->beginRow();
      for (int c = 0; c < columns; ++c) {
        const char* name = sqlite3_column_name(prepared, c);
        if (!name) throw std::bad_alloc();
        auto added = addColumn(*rows, prepared, c, name);
        if (!added) return std::move(added).error();
      }
    }
    if (rc != SQLITE_DONE) return failure(rc);
    return {};
  }

  static core::Result<void> addColumn(RowsBuilder& rows, sqlite3_stmt* prepared, int c,
                                      const char* name) {
    switch (sqlite3_column_type(prepared, c)) {
      case SQLITE_NULL:
        return rows.addField(name, std::nullopt);
      case SQLITE_BLOB: {
        const void* data = sqlite3_column_blob(prepared, c);
        const int bytes = sqlite3_column_bytes(prepared, c);
        return rows.addBlob(name, std::string_view(static_cast<const char*>(data),
                                                   static_cast<std::size_t>(bytes)));
      }
      default: {  // numbers are converted to their text by SQLite
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(prepared, c));
        const int bytes = sqlite3_column_bytes(prepared, c);
        if (!text) throw std::bad_alloc();
        return rows.addField(name, std::string_view(text, static_cast<std::size_t>(bytes)));
      }
    }
  }

  core::Error failure(int code) {
    switch (code & 0xff) {
      case SQLITE_INTERRUPT:
        return limits_.timeout();
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        if (limits_.deadline_binds) return limits_.timeout();
        return core::makeError(ErrorKind::backend_unavailable,
                               "database is locked: " + describe(code, db_.get()));
      case SQLITE_IOERR:
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
      case SQLITE_CANTOPEN:
      case SQLITE_FULL:
      case SQLITE_NOMEM:
      case SQLITE_PROTOCOL:
        health_ = Health::broken;
        return core::makeError(ErrorKind::backend_unavailable, describe(code, db_.get()));
      default:  // constraints, SQL errors, writing a read-only database: the call is wrong
        return core::makeError(ErrorKind::backend_rejected, describe(code, db_.get()));
    }
  }

  SqlitePtr db_;  // first member: closed after every statement below is finalized
  std::map<std::string, StatementPtr> prepared_;
  StatementPtr fixed_[kFixedCount];
  CallLimits limits_;
  Health health_ = Health::ok;
  std::string error_;
};

class SqliteDriver final : public DbDriver {
 public:
  explicit SqliteDriver(std::shared_ptr<const DbConfig> config) : config_(std::move(config)) {}

  core::Result<std::unique_ptr<DbConnection>> open(const CallLimits&) const override {
    const int flags =
        (config_->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(config_->path.c_str(), &raw, flags, nullptr);
    SqlitePtr db(raw);  // a handle comes back even on failure, and must be closed
    if (rc != SQLITE_OK) {
      // The file name, not the path: messages reach callers in problem details.
      return core::makeError(ErrorKind::backend_unavailable,
                             "cannot open " +
                                 std::filesystem::path(config_->path).filename().string() + ": " +
                                 describe(rc, db.get()));
    }
    if (const int registered = registerSqliteFunctions(db.get()); registered != SQLITE_OK) {
      return core::makeError(
          ErrorKind::backend_unavailable,
          "cannot register the egov_ SQL functions: " + describe(registered, db.get()));
    }
    return std::unique_ptr<DbConnection>(std::make_unique<SqliteConnection>(std::move(db)));
  }

  // A read-only file has no commit to share.
  bool groupsCommits() const override { return !config_->read_only; }

 private:
  std::shared_ptr<const DbConfig> config_;
};

}  // namespace

std::shared_ptr<const DbDriver> makeSqliteDriver(std::shared_ptr<const DbConfig> config) {
  return std::make_shared<SqliteDriver>(std::move(config));
}

void checkSqliteStatements(const DbConfig& config, const core::ConfigNode& settings) {
  std::error_code ec;
  if (!std::filesystem::exists(config.path, ec)) {
    core::logEvent(core::LogLevel::warn, "SQLite file does not exist yet; statements unchecked",
                   {{"file", std::string_view(config.path)}});
    return;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(config.path.c_str(), &raw,
                                 SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  SqlitePtr db(raw);
  if (rc != SQLITE_OK) {
    settings.errorAt("path", "cannot open: " + describe(rc, db.get()));
    return;
  }
  registerSqliteFunctions(db.get());  // statements may use them (sqlite_functions.hpp)
  const auto statements = settings["statements"];
  for (const auto& statement : config.statements) {
    std::string error;
    int prepare_rc = SQLITE_OK;
    auto prepared = prepare(db.get(), statement.driver_sql, 0, prepare_rc, error);
    if (!prepared) {
      statements[statement.name].errorAt("sql", error);
    } else if (static_cast<std::size_t>(sqlite3_bind_parameter_count(prepared.get())) !=
               statement.params.size()) {
      statements[statement.name].errorAt("sql", "placeholders other than :name are not bound");
    }
  }
}

}  // namespace egov::adapters::db
