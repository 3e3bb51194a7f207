// The audit trail: who (client; citizen pseudonymised) did what (service) for which tenant,
// when, with which outcome, per exchange that touches personal data. Append-only records in
// an SQLite file of the data folder (audit.path), each carrying the SHA-256 of the previous
// record and its own (a hash chain), so `egovbus audit verify` finds a record modified,
// removed or moved. Retention deletes old records from the start of the chain and keeps
// an anchor (the last removed record's seq and hash, also written into the chain as a
// `retention` record), so what remains still verifies.
//
// record() never blocks: records are queued for a writer thread of the trail's own, which
// owns the SQLite connection and commits what has queued in one transaction. Woken by the
// first record, the writer gathers for up to kGatherWindow (or kGatherMax records) before it
// commits, so that under steady traffic it wakes and commits once per window instead of once
// per request. Records not yet committed when the process is killed are lost (a few
// milliseconds' worth); flush() and a clean stop commit them all without waiting. One writer
// process per file; PostgreSQL for several instances is not implemented (it would come through the
// same interface).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <sqlite3.h>

#include "core/common/result.hpp"
#include "core/config/bus_config.hpp"
#include "core/security/crypto.hpp"

namespace egov::core {

struct AuditRecord {
  std::int64_t seq = 0;  // position in the chain, from 1, assigned by the writer
  std::int64_t at_ms = 0;
  std::string exchange_id;
  std::string tenant;   // ISTAT code
  std::string client;   // the authenticated client (or admin operator)
  std::string service;  // e.g. tributi.posizioni, admin.dead-letters.replay
  std::string citizen;  // HMAC-SHA256 of the citizen's fiscal code (hex), or empty
  std::string outcome;  // ok, queued, duplicate, or an error kind (forbidden, not-found...)
  std::string detail;   // free text without personal data (e.g. a replay's reason)
  std::string prev_hash;
  std::string hash;
};

// The bytes hashed for a record: a JSON array of its fields in a fixed order.
std::string canonicalAuditRecord(const AuditRecord& record);
// hex SHA-256 of prev_hash (hex) followed by the canonical record.
std::string auditHash(const std::string& prev_hash, const AuditRecord& record);

// The first valid personal fiscal code (16 characters) in `text`, or empty.
std::string findFiscalCode(std::string_view text);

class AuditTrail {
 public:
  static constexpr std::chrono::milliseconds kGatherWindow{5};
  static constexpr std::size_t kGatherMax = 512;

  // Opens (creating folder, file and, when no pseudonym_key is configured, a random key
  // file `<path>.key` with mode 0600) and applies retention once. Control plane.
  static Result<std::unique_ptr<AuditTrail>> open(const AuditConfig& config);
  ~AuditTrail();  // commits what is queued, then closes

  // Queues a record; at_ms is set here when zero. Any thread, never blocks on I/O.
  void record(AuditRecord record);
  // HMAC-SHA256 (hex) of the upper-case fiscal code with the pseudonym key.
  std::string pseudonymise(std::string_view fiscal_code) const;
  // True when `service` is listed in audit.services (audited even without a citizen).
  bool auditsService(std::string_view service) const;
  // Waits until every record queued before the call is committed (tests, shutdown).
  void flush();
  // Removes records older than the retention (also run hourly by the writer); returns how
  // many were removed.
  Result<std::int64_t> applyRetention(std::int64_t now_ms);

 private:
  struct DbDeleter {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  AuditTrail(AuditConfig config, std::unique_ptr<sqlite3, DbDeleter> db, std::string key);
  void run();
  void gather(std::unique_lock<std::mutex>& lock);
  Result<void> append(std::deque<AuditRecord>& batch);

  AuditConfig config_;
  std::unique_ptr<sqlite3, DbDeleter> db_;
  HmacSha256Key pseudonym_key_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<AuditRecord> queue_;
  std::uint64_t queued_ = 0, committed_ = 0;  // records ever queued / handled by the writer
  int flushing_ = 0;  // callers waiting in flush(): commit without gathering
  bool stopping_ = false;
  std::mutex db_mutex_;  // the writer and applyRetention
  std::thread thread_;
};

struct AuditVerification {
  bool ok = false;
  std::int64_t records = 0;        // records checked
  std::int64_t first_bad_seq = 0;  // when not ok: the first record that does not verify
  std::string problem;             // when not ok: what is wrong there
  std::int64_t head_seq = 0;
  std::string head_hash;  // note it elsewhere: a later verify can compare it
};

// Reads the trail read-only and checks the whole chain. Control plane (CLI).
Result<AuditVerification> verifyAuditTrail(const std::filesystem::path& file);

}  // namespace egov::core
