// The journal: the durable store of one-way exchanges (outbox), their delivery attempts,
// dead letters and idempotency keys. One interface, two backends: SqliteJournal (embedded,
// one instance) and PgJournal (PostgreSQL, shared by several bus instances).
//
// Every operation is asynchronous and completes on the caller's executor; the backend does
// its blocking I/O on a thread of its own, never on an I/O thread. When enqueue() completes
// successfully the entry is durable (committed and synced).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/net/asio.hpp"

namespace egov::core {

enum class EntryState { queued, delivering, delivered, dead, discarded };
std::string_view entryStateName(EntryState state);
std::optional<EntryState> entryStateFromName(std::string_view name);

// Milliseconds since the Unix epoch: the journal's only clock, comparable across processes.
using EpochMs = std::int64_t;
EpochMs nowMs();

struct JournalEntry {
  std::string id;  // the exchange id, also the tracking id given to the caller
  std::string tenant_istat;
  std::string tenant_slug;
  std::string service;
  std::string method;
  std::string trace_id;
  std::string client;
  std::string body;             // canonical XML, serialized
  int resume_step = 0;          // first top-level route step to run at delivery
  std::string idempotency_key;  // empty: none
  // Entries of one (tenant, service, order key) are delivered one at a time, in acceptance
  // order: an entry is not claimed while an earlier one of its key is queued or being
  // delivered. Empty: not ordered.
  std::string order_key;
  EntryState state = EntryState::queued;
  int attempts = 0;
  EpochMs created_ms = 0;
  EpochMs updated_ms = 0;
  EpochMs next_attempt_ms = 0;
  std::string last_error;
  // The fencing token of the entry's latest claim: claimDue raises it on every claim and
  // returns it; settling takes it back (see Journal::markDelivered). 0: never claimed.
  std::int64_t lease_token = 0;
};

// What a settle did: `applied`, or nothing (`stale`) because the caller's claim is no longer
// the entry's latest one (its lease expired and the entry was claimed again, by this instance
// or another, which settles it instead).
enum class Settled { applied, stale };

struct EnqueueOutcome {
  std::string id;          // of the new entry, or of the earlier one with the same key
  bool duplicate = false;  // the idempotency key was already used within its window
  // enqueueClaimed: the new entry's claim, to settle it with (1); 0 for a duplicate, which
  // is left as it was.
  std::int64_t lease_token = 0;
};

struct DeadLetterAction {
  std::string id;
  std::string action;  // "replay" or "discard"
  std::string who;
  std::string why;
};

// Progress of one batch file (a CSV drop, say): a file is known by (source, name, content
// hash), so the same file dropped again is recognised and a restart resumes after the rows
// already handed off.
enum class BatchState { running, done, failed };
std::string_view batchStateName(BatchState state);
std::optional<BatchState> batchStateFromName(std::string_view name);

struct BatchFile {
  std::string id;
  std::string tenant_istat;
  std::string source;  // the configured source's name, e.g. "bari/tari-drop"
  std::string file_name;
  std::string content_hash;  // hex SHA-256 of the file
  BatchState state = BatchState::running;
  std::int64_t rows_total = -1;  // -1 until counted
  std::int64_t rows_done = 0;    // rows handed off (accepted or rejected), in file order
  std::int64_t rows_failed = 0;  // of those, rows rejected
  EpochMs started_ms = 0;
  EpochMs updated_ms = 0;
  std::string detail;  // why it failed, or where its outputs went
};

// A search of journaled exchanges (the admin API): every condition given must hold.
struct ExchangeQuery {
  std::string id;                    // exact; empty: any
  std::vector<std::string> tenants;  // ISTAT codes; empty: every tenant
  std::string service;               // exact; empty: any
  std::optional<EntryState> state;   // none: any
  EpochMs since = 0;                 // created at or after; 0: no bound
  EpochMs until = 0;                 // created before; 0: no bound
  std::size_t limit = 100;
};

// One event of a journaled exchange's life: a delivery attempt, or an operator's replay or
// discard of its dead letter.
struct ExchangeEvent {
  EpochMs at_ms = 0;
  std::string kind;     // "attempt", "replay" or "discard"
  int attempt = 0;      // attempts: its number
  std::string outcome;  // attempts: delivered, retry or dead
  std::string who;      // replay and discard: the operator
  std::string detail;   // attempts: the error; replay and discard: the reason
};

class Journal {
 public:
  virtual ~Journal() = default;

  // Stores a new entry, queued, or finds the live one with the same (tenant, idempotency key).
  awaitable<Result<EnqueueOutcome>> enqueue(JournalEntry entry,
                                            std::chrono::milliseconds idempotency_window) {
    return store(std::move(entry), idempotency_window, std::nullopt);
  }
  // The same, but a new entry is stored already claimed by the caller for `lease` (delivering,
  // lease token 1), as claimDue would have claimed it in a later transaction: the caller
  // delivers it at once, and if it never settles, the entry is retaken when the lease expires.
  awaitable<Result<EnqueueOutcome>> enqueueClaimed(JournalEntry entry,
                                                   std::chrono::milliseconds idempotency_window,
                                                   std::chrono::milliseconds lease) {
    return store(std::move(entry), idempotency_window, lease);
  }
  // The entry of this tenant with this id; an empty optional when there is none.
  virtual awaitable<Result<std::optional<JournalEntry>>> find(std::string tenant_istat,
                                                              std::string id) = 0;
  // Takes up to `limit` entries due now (queued and due, or delivering with an expired
  // lease, as after a crash) and leases them to the caller for `lease`. An ordered entry is
  // due only when no earlier entry of its order key is queued or delivering. With several
  // bus instances on one journal, an entry is leased to one of them at a time.
  virtual awaitable<Result<std::vector<JournalEntry>>> claimDue(
      std::size_t limit, std::chrono::milliseconds lease) = 0;
  // Settles a claimed entry: delivered, queued again for `next_attempt_ms`, or dead-lettered.
  // Conditional on `lease_token` (the claim's JournalEntry::lease_token) and on the entry still
  // being delivering: a late settle of an expired claim never overwrites the outcome of the
  // claim that retook the entry; it changes nothing and answers Settled::stale.
  virtual awaitable<Result<Settled>> markDelivered(std::string id, std::int64_t lease_token,
                                                   int attempts) = 0;
  virtual awaitable<Result<Settled>> reschedule(std::string id, std::int64_t lease_token,
                                                int attempts, EpochMs next_attempt_ms,
                                                std::string error) = 0;
  virtual awaitable<Result<Settled>> deadLetter(std::string id, std::int64_t lease_token,
                                                int attempts, std::string error) = 0;

  // Dead letters: listed, replayed (queued again, attempts reset) or discarded; every
  // replay and discard is recorded with who and why.
  virtual awaitable<Result<std::vector<JournalEntry>>> listDead(std::string tenant_istat,
                                                                std::size_t limit) = 0;
  virtual awaitable<Result<void>> resolveDead(DeadLetterAction action) = 0;

  // Batch files. beginBatch records a new file, or returns the existing record of the same
  // (source, file_name, content_hash) unchanged: done or failed means already processed,
  // running means resume after rows_done.
  virtual awaitable<Result<BatchFile>> beginBatch(BatchFile file) = 0;
  virtual awaitable<Result<void>> updateBatch(std::string id, std::int64_t rows_done,
                                              std::int64_t rows_failed,
                                              std::int64_t rows_total) = 0;
  virtual awaitable<Result<void>> finishBatch(std::string id, BatchState state,
                                              std::string detail) = 0;
  // Most recent first; tenant "" lists every tenant's.
  virtual awaitable<Result<std::vector<BatchFile>>> listBatches(std::string tenant_istat,
                                                                std::size_t limit) = 0;

  // Journaled exchanges matching the query, most recently created first.
  virtual awaitable<Result<std::vector<JournalEntry>>> searchExchanges(ExchangeQuery query) = 0;
  // The attempts and dead-letter actions of one exchange, oldest first.
  virtual awaitable<Result<std::vector<ExchangeEvent>>> exchangeHistory(std::string id) = 0;

 protected:
  // enqueue (no claim) and enqueueClaimed.
  virtual awaitable<Result<EnqueueOutcome>> store(
      JournalEntry entry, std::chrono::milliseconds idempotency_window,
      std::optional<std::chrono::milliseconds> claim) = 0;
};

}  // namespace egov::core
