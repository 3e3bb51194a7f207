// The journal on PostgreSQL, for several bus instances behind a load balancer sharing one
// database. libpq blocks, so the journal owns a few threads, each with its own connection;
// operations queue for them and resume the caller on its own executor (never an I/O thread
// blocked). Each thread commits what queued while it was busy in one transaction (group
// commit); when one operation of a batch fails in SQL, the batch is rolled back and its
// operations are run again one transaction each, so that one failure undoes no other.
//
// Across instances: claims take rows with FOR UPDATE SKIP LOCKED and lease them (a crashed
// instance's leased entries are taken again when the lease expires); idempotency keys are
// unique per tenant by a primary key and INSERT ... ON CONFLICT (so is a batch file per
// source, name and content, when two instances see the same drop); migrations are applied at
// open under an advisory lock, so instances starting together do not race.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>

#include "core/journal/journal.hpp"
#include "core/journal/journal_tasks.hpp"

namespace egov::core {

struct PgJournalOptions {
  std::string dsn;  // libpq conninfo or URI; never logged
  int connections = 2;
  std::chrono::milliseconds connect_timeout{5'000};
};

class PgJournal final : public Journal {
 public:
  // Connects and applies pending schema migrations. Control plane: blocks the caller.
  static Result<std::unique_ptr<PgJournal>> open(const PgJournalOptions& options);
  // Finishes queued work, then closes the connections.
  ~PgJournal() override;

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

  static constexpr int kSchemaVersion = 3;

  struct ConnDeleter {
    void operator()(PGconn* conn) const { PQfinish(conn); }
  };
  using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;

 protected:
  awaitable<Result<EnqueueOutcome>> store(JournalEntry entry,
                                          std::chrono::milliseconds idempotency_window,
                                          std::optional<std::chrono::milliseconds> claim) override;

 private:
  using Task = JournalTask<PGconn>;

  PgJournal(PgJournalOptions options, ConnPtr first);

  // Each task runs inside the batch transaction on one of the journal threads; its result is
  // delivered after the commit (or after it failed).
  template <class T>
  awaitable<Result<T>> submit(std::function<Result<T>(PGconn*)> work) {
    return tasks_.submit<T>(std::move(work));
  }
  void run(ConnPtr conn);  // one journal thread
  void runBatch(ConnPtr& conn, std::vector<std::unique_ptr<Task>>& batch);

  PgJournalOptions options_;
  JournalTaskQueue<PGconn> tasks_;
  std::vector<std::thread> threads_;
};

}  // namespace egov::core
