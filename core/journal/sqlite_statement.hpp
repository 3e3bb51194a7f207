// A prepared SQLite statement owned by RAII, with the few binders and readers the journal
// needs. Journal thread (or control plane) only.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include "core/common/result.hpp"

namespace egov::core {

// Prepared statements kept for reuse on one connection, by the one thread that uses it (the
// journal thread installs one with a Scope for its whole life). Preparing is most of a small
// statement's cost: callgrind of a durable accept showed sqlite3_prepare_v2 re-preparing the
// claim's UPDATE ... RETURNING (about 0.7M instructions) and the savepoints of every task.
// A SqliteStatement made on that thread for that connection takes its statement from here
// and gives it back, reset, when destroyed. Other threads prepare as before.
class SqliteStatementCache {
 public:
  explicit SqliteStatementCache(sqlite3* db) : db_(db) {}
  ~SqliteStatementCache() {
    for (auto& [sql, stmt] : free_) sqlite3_finalize(stmt);
  }
  SqliteStatementCache(const SqliteStatementCache&) = delete;
  SqliteStatementCache& operator=(const SqliteStatementCache&) = delete;

  sqlite3* db() const { return db_; }

  // A reset statement for `sql`, or null (none kept, or it is in use).
  sqlite3_stmt* take(const std::string& sql) {
    auto it = free_.find(sql);
    if (it == free_.end()) return nullptr;
    sqlite3_stmt* stmt = it->second;
    free_.erase(it);
    return stmt;
  }
  // Back after use (or a second one of the same text, which is finalized).
  void give(std::string sql, sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (!free_.emplace(std::move(sql), stmt).second) sqlite3_finalize(stmt);
  }

  static SqliteStatementCache*& current() {
    thread_local SqliteStatementCache* cache = nullptr;
    return cache;
  }
  // Installs a cache for the calling thread while it lives.
  class Scope {
   public:
    explicit Scope(SqliteStatementCache& cache) : previous_(current()) { current() = &cache; }
    ~Scope() { current() = previous_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    SqliteStatementCache* previous_;
  };

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> free_;
};

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* raw = nullptr;
    SqliteStatementCache* cache = SqliteStatementCache::current();
    if (cache != nullptr && cache->db() == db) {
      cache_ = cache;
      sql_.assign(sql);
      raw = cache->take(sql_);
    }
    if (raw == nullptr) {
      sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    }
    stmt_.reset(raw);
  }
  ~SqliteStatement() {
    if (cache_ != nullptr && stmt_) cache_->give(std::move(sql_), stmt_.release());
  }
  SqliteStatement(SqliteStatement&&) = delete;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  bool prepared() const { return stmt_ != nullptr; }

  SqliteStatement& bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  SqliteStatement& bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_.get(), index, value);
    return *this;
  }
  SqliteStatement& bindNull(int index) {
    sqlite3_bind_null(stmt_.get(), index);
    return *this;
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return stmt_ ? sqlite3_step(stmt_.get()) : SQLITE_ERROR; }

  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_.get(), column);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column)))
             : std::string();
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

  std::string error() const { return sqlite3_errmsg(db_); }

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };
  sqlite3* db_;
  SqliteStatementCache* cache_ = nullptr;
  std::string sql_;  // the cache's key, when it came from the cache
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

// Runs `sql`, one statement or several separated by ';'. A single statement on a thread with a
// cache for `db` (BEGIN, SAVEPOINT, COMMIT...) comes from the cache. Error: internal,
// "<what>: <SQLite's message>".
inline Result<void> sqliteExec(sqlite3* db, const char* sql, std::string_view what) {
  if (SqliteStatementCache* cache = SqliteStatementCache::current();
      cache != nullptr && cache->db() == db && std::strchr(sql, ';') == nullptr) {
    SqliteStatement stmt(db, sql);
    int rc = stmt.prepared() ? stmt.step() : SQLITE_ERROR;
    while (rc == SQLITE_ROW) rc = stmt.step();
    if (rc == SQLITE_DONE) return {};
    return makeError(ErrorKind::internal, std::string(what) + ": " + stmt.error());
  }
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return {};
  std::string text = message ? message : "unknown error";
  sqlite3_free(message);
  return makeError(ErrorKind::internal, std::string(what) + ": " + text);
}

}  // namespace egov::core
