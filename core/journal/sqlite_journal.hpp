// The embedded journal on SQLite: WAL, synchronous=FULL, one connection owned by one thread.
// Work queued while a transaction runs is committed together in the next one (group
// commit): under load many enqueues share one fsync.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "core/journal/journal.hpp"
#include "core/journal/journal_tasks.hpp"

namespace egov::core {

class SqliteJournal final : public Journal {
 public:
  // Opens (creating folders and file) and applies pending schema migrations. Control plane.
  static Result<std::unique_ptr<SqliteJournal>> open(const std::filesystem::path& file);
  // Finishes queued work, then closes.
  ~SqliteJournal() override;

  awaitable<Result<std::optional<JournalEntry>>> find(std::string tenant_istat,
                                                      std::string id) override;
  awaitable<Result<std::vector<JournalEntry>>> claimDue(std::size_t limit,
                                                        std::chrono::milliseconds lease) override;
  awaitable<Result<Settled>> markDelivered(std::string id, std::int64_t lease_token,
                                           int attempts) override;
  awaitable<Result<Settled>> reschedule(std::string id, std::int64_t lease_token, int attempts,
                                        EpochMs next_attempt_ms, std::string error) override;
  awaitable<Result<Settled>> deadLetter(std::string id, std::int64_t lease_token, int attempts,
                                        std::string error) override;
  awaitable<Result<std::vector<JournalEntry>>> listDead(std::string tenant_istat,
                                                        std::size_t limit) override;
  awaitable<Result<void>> resolveDead(DeadLetterAction action) override;
  awaitable<Result<BatchFile>> beginBatch(BatchFile file) override;
  awaitable<Result<void>> updateBatch(std::string id, std::int64_t rows_done,
                                      std::int64_t rows_failed, std::int64_t rows_total) override;
  awaitable<Result<void>> finishBatch(std::string id, BatchState state,
                                      std::string detail) override;
  awaitable<Result<std::vector<BatchFile>>> listBatches(std::string tenant_istat,
                                                        std::size_t limit) override;
  awaitable<Result<std::vector<JournalEntry>>> searchExchanges(ExchangeQuery query) override;
  awaitable<Result<std::vector<ExchangeEvent>>> exchangeHistory(std::string id) override;

  // The statement searchExchanges runs, with or without an id (tests check its query plan).
  static std::string searchSql(bool by_id);
  // The statements of claimDue, listDead and exchangeHistory (tests check that they read the
  // partial indexes of states and the attempts' index).
  static std::string claimSql();
  static std::string deadSql();
  static const char* historySql();

  // Schema version after migrations (for tests).
  static constexpr int kSchemaVersion = 6;

 protected:
  awaitable<Result<EnqueueOutcome>> store(JournalEntry entry,
                                          std::chrono::milliseconds idempotency_window,
                                          std::optional<std::chrono::milliseconds> claim) override;

 private:
  struct DbDeleter {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  using DbPtr = std::unique_ptr<sqlite3, DbDeleter>;

  using Task = JournalTask<sqlite3>;

  explicit SqliteJournal(DbPtr db);
  // Applies the migrations the file lacks (sqlite_journal_schema.cpp); refuses a newer schema.
  static Result<void> migrate(sqlite3* db);

  // Each task runs in the batch's transaction on the journal thread (in a savepoint of its
  // own only when the batch is run again after a failure); its result is delivered only after
  // the batch has committed.
  template <class T>
  awaitable<Result<T>> submit(std::function<Result<T>(sqlite3*)> work) {
    return tasks_.submit<T>(std::move(work));
  }
  void run();  // the journal thread
  void runBatch(std::vector<std::unique_ptr<Task>>& batch);
  // One transaction over the batch, with or without a savepoint per task. Without, false when a
  // task failed (the transaction is rolled back; run it again with them).
  bool runTransaction(std::vector<std::unique_ptr<Task>>& batch, bool savepoints);

  DbPtr db_;
  JournalTaskQueue<sqlite3> tasks_;
  std::thread thread_;
};

}  // namespace egov::core
