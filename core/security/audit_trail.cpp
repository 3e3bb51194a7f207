#include "core/security/audit_trail.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/common/thread_name.hpp"
#include "core/journal/journal.hpp"
#include "core/journal/sqlite_statement.hpp"
#include "core/log/log.hpp"
#include "core/mapping/fiscal_code.hpp"
#include "core/security/crypto.hpp"
#include "core/security/scope.hpp"

namespace egov::core {
namespace {

const std::string kZeroHash(64, '0');

// UPDATE is never allowed; DELETE only of records at or before the retention anchor, which
// applyRetention moves first in the same transaction.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit_records (
  seq INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  exchange_id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  client TEXT NOT NULL,
  service TEXT NOT NULL,
  citizen TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  anchor_seq INTEGER NOT NULL,
  anchor_hash TEXT NOT NULL,
  head_seq INTEGER NOT NULL,
  head_hash TEXT NOT NULL
);
INSERT OR IGNORE INTO audit_state VALUES (1, 0,
  '0000000000000000000000000000000000000000000000000000000000000000', 0,
  '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TRIGGER IF NOT EXISTS audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_records_no_delete BEFORE DELETE ON audit_records
WHEN OLD.seq > (SELECT anchor_seq FROM audit_state WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
)sql";

constexpr const char* kColumns =
    "seq, at_ms, exchange_id, tenant, client, service, citizen, outcome, detail, prev_hash, hash";

AuditRecord readRecord(const SqliteStatement& row) {
  AuditRecord r;
  r.seq = row.integer(0);
  r.at_ms = row.integer(1);
  r.exchange_id = row.text(2);
  r.tenant = row.text(3);
  r.client = row.text(4);
  r.service = row.text(5);
  r.citizen = row.text(6);
  r.outcome = row.text(7);
  r.detail = row.text(8);
  r.prev_hash = row.text(9);
  r.hash = row.text(10);
  return r;
}

Error auditError(sqlite3* db, std::string_view what) {
  return makeError(ErrorKind::internal, "audit trail: " + std::string(what) + ": " +
                                            (db ? sqlite3_errmsg(db) : "cannot open"));
}

Result<void> exec(sqlite3* db, const char* sql, std::string_view what) {
  return sqliteExec(db, sql, "audit trail: " + std::string(what));
}

struct State {
  std::int64_t anchor_seq = 0;
  std::string anchor_hash;
  std::int64_t head_seq = 0;
  std::string head_hash;
};

Result<State> readState(sqlite3* db) {
  SqliteStatement select(
      db, "SELECT anchor_seq, anchor_hash, head_seq, head_hash FROM audit_state WHERE id = 1");
  if (select.step() != SQLITE_ROW) return auditError(db, "read state");
  return State{select.integer(0), select.text(1), select.integer(2), select.text(3)};
}

Result<void> insert(sqlite3* db, const AuditRecord& r) {
  static const std::string sql = std::string("INSERT INTO audit_records (") + kColumns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  SqliteStatement stmt(db, sql);
  stmt.bind(1, r.seq).bind(2, r.at_ms).bind(3, r.exchange_id).bind(4, r.tenant).bind(5, r.client);
  stmt.bind(6, r.service).bind(7, r.citizen).bind(8, r.outcome).bind(9, r.detail);
  stmt.bind(10, r.prev_hash).bind(11, r.hash);
  if (stmt.step() != SQLITE_DONE) return auditError(db, "append");
  return {};
}

Result<void> setHead(sqlite3* db, std::int64_t seq, const std::string& hash) {
  SqliteStatement stmt(db, "UPDATE audit_state SET head_seq = ?, head_hash = ? WHERE id = 1");
  stmt.bind(1, seq).bind(2, hash);
  if (stmt.step() != SQLITE_DONE) return auditError(db, "move head");
  return {};
}

// Appends records after the head inside the caller's transaction.
Result<void> appendAll(sqlite3* db, std::deque<AuditRecord>& batch) {
  auto state = readState(db);
  if (!state) return std::move(state).error();
  auto seq = state->head_seq;
  auto prev = state->head_hash;
  for (auto& record : batch) {
    record.seq = ++seq;
    record.prev_hash = prev;
    record.hash = auditHash(prev, record);
    if (auto done = insert(db, record); !done) return done;
    prev = record.hash;
  }
  return setHead(db, seq, prev);
}

std::string retentionDetail(std::int64_t through, const std::string& hash, std::int64_t removed) {
  return "through=" + std::to_string(through) + " hash=" + hash +
         " removed=" + std::to_string(removed);
}

std::string readOrCreateKey(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto key = text.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    return key;
  }
  auto key = toHex(randomBytes(32));
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    ::chmod(file.c_str(), 0600);
    out << key << '\n';
    if (!out) return {};
  }
  return key;
}

}  // namespace

std::string canonicalAuditRecord(const AuditRecord& r) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartArray();
  writer.Int64(r.seq);
  writer.Int64(r.at_ms);
  for (const auto* field :
       {&r.exchange_id, &r.tenant, &r.client, &r.service, &r.citizen, &r.outcome, &r.detail}) {
    writer.String(field->c_str(), static_cast<rapidjson::SizeType>(field->size()));
  }
  writer.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string auditHash(const std::string& prev_hash, const AuditRecord& record) {
  return toHex(sha256(prev_hash + canonicalAuditRecord(record)));
}

std::string findFiscalCode(std::string_view text) {
  auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  for (std::size_t i = 0; i + 16 <= text.size(); ++i) {
    if (i > 0 && alnum(text[i - 1])) continue;
    if (i + 16 < text.size() && alnum(text[i + 16])) continue;
    auto candidate = text.substr(i, 16);
    if (isValidFiscalCode(candidate)) return std::string(candidate);
  }
  return {};
}

Result<std::unique_ptr<AuditTrail>> AuditTrail::open(const AuditConfig& config) {
  std::error_code ec;
  if (config.path.has_parent_path())
    std::filesystem::create_directories(config.path.parent_path(), ec);
  const bool existed = std::filesystem::exists(config.path, ec);
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(config.path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, DbDeleter> db(raw);
  if (rc != SQLITE_OK) return auditError(raw, "open " + config.path.string());
  if (!existed) ::chmod(config.path.c_str(), 0600);
  sqlite3_busy_timeout(db.get(), 5000);
  if (auto r = exec(db.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "pragmas"); !r)
    return std::move(r).error();
  if (auto r = exec(db.get(), kSchema, "create schema"); !r) return std::move(r).error();
  std::string key = config.pseudonym_key;
  if (key.empty()) {
    key = readOrCreateKey(config.path.string() + ".key");
    if (key.empty()) {
      return makeError(ErrorKind::internal, "audit trail: cannot create the pseudonym key " +
                                                config.path.string() + ".key");
    }
  }
  std::unique_ptr<AuditTrail> trail(new AuditTrail(config, std::move(db), std::move(key)));
  if (config.retention.count() > 0) {
    if (auto removed = trail->applyRetention(nowMs()); !removed) return std::move(removed).error();
  }
  return trail;
}

AuditTrail::AuditTrail(AuditConfig config, std::unique_ptr<sqlite3, DbDeleter> db, std::string key)
    : config_(std::move(config)), db_(std::move(db)), pseudonym_key_(key) {
  thread_ = std::thread([this] {
    nameThisThread("egov-audit");
    run();
  });
}

AuditTrail::~AuditTrail() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void AuditTrail::record(AuditRecord record) {
  if (record.at_ms == 0) record.at_ms = nowMs();
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(record));
    ++queued_;
    // The writer waits for the first record, then gathers: only the first and a full batch
    // wake it (a notify per record woke it once per request, perf of B1 at half load).
    wake = queue_.size() == 1 || queue_.size() == kGatherMax;
  }
  if (wake) wake_.notify_one();
}

std::string AuditTrail::pseudonymise(std::string_view fiscal_code) const {
  std::string upper(fiscal_code);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return toHex(pseudonym_key_.digest(upper));
}

bool AuditTrail::auditsService(std::string_view service) const {
  for (const auto& pattern : config_.services) {
    if (servicePatternMatches(pattern, service)) return true;
  }
  return false;
}

void AuditTrail::flush() {
  std::unique_lock lock(mutex_);
  const auto target = queued_;
  ++flushing_;
  wake_.notify_all();  // ends a gathering window
  idle_.wait(lock, [&] { return committed_ >= target; });
  --flushing_;
}

void AuditTrail::gather(std::unique_lock<std::mutex>& lock) {
  const auto until = std::chrono::steady_clock::now() + kGatherWindow;
  wake_.wait_until(lock, until,
                   [&] { return stopping_ || flushing_ > 0 || queue_.size() >= kGatherMax; });
}

Result<void> AuditTrail::append(std::deque<AuditRecord>& batch) {
  std::lock_guard lock(db_mutex_);
  sqlite3* db = db_.get();
  // On the audit thread these statements come from its cache (see run()).
  auto step = [db](std::string_view sql, std::string_view what) -> Result<void> {
    SqliteStatement stmt(db, sql);
    if (stmt.step() != SQLITE_DONE) return auditError(db, what);
    return {};
  };
  if (auto r = step("BEGIN IMMEDIATE", "begin"); !r) return r;
  auto done = appendAll(db, batch);
  if (done) done = step("COMMIT", "commit");
  if (!done) (void)step("ROLLBACK", "rollback");
  return done;
}

void AuditTrail::run() {
  // The audit thread appends with the same few statements for its whole life: prepare them once
  // (perf of the B1 benchmark route showed this thread re-preparing four statements per batch,
  // a tenth of the bus's CPU). Other threads (verify, retention from open) prepare as before.
  SqliteStatementCache statements(db_.get());
  SqliteStatementCache::Scope scope(statements);
  auto next_retention = std::chrono::steady_clock::now() + std::chrono::hours(1);
  for (;;) {
    std::deque<AuditRecord> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_retention, [&] { return stopping_ || !queue_.empty(); });
      if (!queue_.empty()) gather(lock);
      batch.swap(queue_);
      if (batch.empty() && stopping_) return;
    }
    if (!batch.empty()) {
      const auto count = batch.size();
      if (auto done = append(batch); !done) {
        // The records cannot be kept: say so loudly (the log has no personal data).
        logEvent(LogLevel::error, "audit records lost",
                 {{"count", static_cast<std::int64_t>(count)}, {"error", done.error().message}});
      }
      {
        std::lock_guard lock(mutex_);
        committed_ += count;
      }
      idle_.notify_all();
    }
    if (config_.retention.count() > 0 && std::chrono::steady_clock::now() >= next_retention) {
      next_retention = std::chrono::steady_clock::now() + std::chrono::hours(1);
      if (auto removed = applyRetention(nowMs()); !removed) {
        logEvent(LogLevel::error, "audit retention failed", {{"error", removed.error().message}});
      }
    }
  }
}

Result<std::int64_t> AuditTrail::applyRetention(std::int64_t now_ms) {
  if (config_.retention.count() <= 0) return std::int64_t{0};
  std::lock_guard lock(db_mutex_);
  sqlite3* db = db_.get();
  const auto cutoff = now_ms - config_.retention.count();
  if (auto r = exec(db, "BEGIN IMMEDIATE", "begin"); !r) return std::move(r).error();
  auto run = [&]() -> Result<std::int64_t> {
    // Records are removed from the start of the chain up to the last one that is too old.
    SqliteStatement last(db,
                         "SELECT seq, hash FROM audit_records WHERE seq = "
                         "(SELECT MAX(seq) FROM audit_records WHERE at_ms < ?)");
    last.bind(1, cutoff);
    if (last.step() != SQLITE_ROW) return std::int64_t{0};
    const auto through = last.integer(0);
    const auto hash = last.text(1);
    auto state = readState(db);
    if (!state) return std::move(state).error();
    SqliteStatement anchor(db,
                           "UPDATE audit_state SET anchor_seq = ?, anchor_hash = ? WHERE id = 1");
    anchor.bind(1, through).bind(2, hash);
    if (anchor.step() != SQLITE_DONE) return auditError(db, "move anchor");
    SqliteStatement remove(db, "DELETE FROM audit_records WHERE seq <= ?");
    remove.bind(1, through);
    if (remove.step() != SQLITE_DONE) return auditError(db, "remove old records");
    const std::int64_t removed = sqlite3_changes(db);
    std::deque<AuditRecord> note(1);
    note.front().at_ms = now_ms;
    note.front().service = "audit.retention";
    note.front().outcome = "retention";
    note.front().detail = retentionDetail(through, hash, removed);
    if (auto appended = appendAll(db, note); !appended) return std::move(appended).error();
    return removed;
  };
  auto removed = run();
  if (removed) {
    if (auto r = exec(db, "COMMIT", "commit"); !r) removed = std::move(r).error();
  }
  if (!removed) (void)exec(db, "ROLLBACK", "rollback");
  return removed;
}

Result<AuditVerification> verifyAuditTrail(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    return makeError(ErrorKind::not_found, "audit trail: no file " + file.string());
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Closer> db(raw);
  if (rc != SQLITE_OK) return auditError(raw, "open " + file.string());
  sqlite3_busy_timeout(db.get(), 5000);
  // One read transaction: a bus appending meanwhile does not move what is checked.
  if (auto r = exec(db.get(), "BEGIN", "begin"); !r) return std::move(r).error();
  auto state = readState(db.get());
  if (!state) return std::move(state).error();

  AuditVerification result;
  auto fail = [&](std::int64_t seq, std::string problem) {
    result.ok = false;
    result.first_bad_seq = seq;
    result.problem = std::move(problem);
    return result;
  };
  std::int64_t expected = state->anchor_seq + 1;
  std::string prev = state->anchor_hash;
  std::string last_retention;
  SqliteStatement rows(db.get(),
                       std::string("SELECT ") + kColumns + " FROM audit_records ORDER BY seq");
  int step;
  while ((step = rows.step()) == SQLITE_ROW) {
    const auto record = readRecord(rows);
    if (record.seq != expected) {
      return fail(expected, record.seq > expected
                                ? "record " + std::to_string(expected) + " is missing (removed)"
                                : "record " + std::to_string(record.seq) + " is out of place");
    }
    if (record.prev_hash != prev) {
      return fail(record.seq, "does not follow record " + std::to_string(record.seq - 1) +
                                  " (a record before it was removed, replaced or reordered)");
    }
    if (auditHash(prev, record) != record.hash) {
      return fail(record.seq, "its content does not match its hash (modified)");
    }
    if (record.outcome == "retention") last_retention = record.detail;
    prev = record.hash;
    ++expected;
    ++result.records;
  }
  if (step != SQLITE_DONE) return auditError(db.get(), "read records");
  const auto last = expected - 1;
  if (last != state->head_seq || prev != state->head_hash) {
    return fail(last + 1, "records after " + std::to_string(last) +
                              " are missing (the head is record " +
                              std::to_string(state->head_seq) + ")");
  }
  const auto anchor_claim =
      "through=" + std::to_string(state->anchor_seq) + " hash=" + state->anchor_hash + " ";
  if (state->anchor_seq > 0 && !last_retention.starts_with(anchor_claim)) {
    return fail(state->anchor_seq + 1,
                "the retention anchor does not match the last retention record");
  }
  result.ok = true;
  result.head_seq = state->head_seq;
  result.head_hash = state->head_hash;
  return result;
}

}  // namespace egov::core
