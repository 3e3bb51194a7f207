// The PostgreSQL side of the `db` adapter, on libpq's blocking API (worker threads only).
// Values travel as statement parameters, never in the SQL text.
#include <memory>
#include <new>
#include <optional>
#include <string>

#include <libpq-fe.h>

#include "adapters/db/db_connection.hpp"
#include "adapters/db/db_rows.hpp"

namespace egov::adapters::db {
namespace {

using core::ErrorKind;

constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
struct PqMemoryDeleter {
  void operator()(unsigned char* bytes) const { PQfreemem(bytes); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// libpq messages end with a newline and may span lines; a log line and a problem detail
// want one line.
std::string oneLine(const char* text) {
  std::string out = text ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  for (auto pos = out.find('\n'); pos != std::string::npos; pos = out.find('\n', pos)) {
    out.replace(pos, 1, "; ");
  }
  return out;
}

// Notices (e.g. WARNING lines) would otherwise go to stderr, bypassing the structured log.
void ignoreNotice(void*, const char*) {}

class PostgresConnection final : public DbConnection {
 public:
  explicit PostgresConnection(ConnPtr conn) : conn_(std::move(conn)) {
    PQsetNoticeProcessor(conn_.get(), ignoreNotice, nullptr);
  }

  core::Result<core::XmlDocPtr> execute(const DbStatement& statement, const ParamRuns& runs,
                                        const CallLimits& limits) override {
    health_ = Health::ok;
    limits_ = limits;
    // One round trip opens the transaction and bounds every statement in it.
    const std::string begin =
        "BEGIN; SET LOCAL statement_timeout = " + std::to_string(limits.left().count());
    ResultPtr begun(PQexec(conn_.get(), begin.c_str()));
    if (PQresultStatus(begun.get()) != PGRES_COMMAND_OK) {
      if (PQstatus(conn_.get()) == CONNECTION_BAD) {
        health_ = Health::stale;  // nothing ran: the server went away while it sat idle
        return core::makeError(ErrorKind::backend_unavailable,
                               "connection lost: " + oneLine(PQerrorMessage(conn_.get())));
      }
      auto error = failure(begun.get());
      rollback();
      return error;
    }

    core::Result<core::XmlDocPtr> answer = core::makeError(ErrorKind::internal, "out of memory");
    try {
      answer = runAll(statement, runs);
    } catch (const std::bad_alloc&) {
      health_ = Health::broken;
    }
    if (!answer) {
      rollback();
      return answer;
    }
    auto committed = commit();
    if (!committed) return std::move(committed).error();
    return answer;
  }

  Health health() const override { return health_; }

 private:
  // Every run of the statement, their rows gathered in one document or their affected
  // counts summed. No run at all answers <rows affected="0"/>. Several runs (a for_each
  // statement) go in pipelines instead of one round trip each.
  core::Result<core::XmlDocPtr> runAll(const DbStatement& statement, const ParamRuns& runs) {
    std::optional<RowsBuilder> rows;
    std::int64_t affected = 0;
    if (runs.size() > 1) {
      auto ran = runPipelined(statement, runs, rows, affected);
      if (!ran) return std::move(ran).error();
    } else if (runs.size() == 1) {
      const auto params = paramPointers(runs.front());
      // Types are left for the server to infer, as if the values were untyped literals.
      ResultPtr result(PQexecParams(conn_.get(), statement.driver_sql.c_str(),
                                    static_cast<int>(params.size()), nullptr, params.data(),
                                    nullptr, nullptr, 0));
      auto read = readResult(result.get(), rows, affected);
      if (!read) return runError(statement, 0, runs.size(), std::move(read).error());
    }
    if (rows) return rows->finish();
    return RowsBuilder::affected(affected);
  }

  static std::vector<const char*> paramPointers(const ParamValues& values) {
    std::vector<const char*> params;
    params.reserve(values.size());
    for (const auto& value : values) params.push_back(value ? value->c_str() : nullptr);
    return params;
  }

  // The runs in libpq's pipeline mode, in batches: each batch's statements are sent, then a
  // sync, then their results are read. A batch is at most kPipelineRuns statements and about
  // kPipelineBytes of values, so that what is sent always fits in the sockets' buffers: the
  // connection is blocking, and a server blocked writing results it has not yet been asked
  // for cannot then leave us blocked sending. After the first error the batch's remaining
  // results are read (the server skips those statements) and nothing more is sent.
  core::Result<void> runPipelined(const DbStatement& statement, const ParamRuns& runs,
                                  std::optional<RowsBuilder>& rows, std::int64_t& affected) {
    constexpr std::size_t kPipelineRuns = 256;
    constexpr std::size_t kPipelineBytes = 64 * 1024;
    if (PQenterPipelineMode(conn_.get()) != 1) return failure(nullptr);
    std::optional<core::Error> error;
    for (std::size_t next = 0; next < runs.size() && !error;) {
      const std::size_t first = next;
      std::size_t bytes = 0;
      std::optional<core::Error> unsent;  // libpq refused to send run `next`
      while (next < runs.size() && next - first < kPipelineRuns && bytes < kPipelineBytes) {
        for (const auto& value : runs[next]) bytes += value ? value->size() : 0;
        const auto params = paramPointers(runs[next]);
        if (PQsendQueryParams(conn_.get(), statement.driver_sql.c_str(),
                              static_cast<int>(params.size()), nullptr, params.data(), nullptr,
                              nullptr, 0) != 1) {
          unsent = runError(statement, next, runs.size(), failure(nullptr));
          break;  // the runs sent so far are still read, then nothing more is sent
        }
        ++next;
      }
      if (PQpipelineSync(conn_.get()) != 1) {
        health_ = Health::broken;
        return failure(nullptr);
      }
      for (std::size_t i = first; i < next; ++i) {
        ResultPtr result(PQgetResult(conn_.get()));
        if (!result) {
          health_ = Health::broken;
          return failure(nullptr);
        }
        if (!error && PQresultStatus(result.get()) != PGRES_PIPELINE_ABORTED) {
          auto read = readResult(result.get(), rows, affected);
          if (!read) error = runError(statement, i, runs.size(), std::move(read).error());
        }
        ResultPtr end(PQgetResult(conn_.get()));  // null: the statement's results are over
      }
      ResultPtr synced(PQgetResult(conn_.get()));
      if (PQresultStatus(synced.get()) != PGRES_PIPELINE_SYNC) {
        health_ = Health::broken;
        return error ? std::move(*error) : failure(synced.get());
      }
      if (!error) error = std::move(unsent);
    }
    if (PQexitPipelineMode(conn_.get()) != 1) health_ = Health::broken;
    if (error) return std::move(*error);
    if (health_ == Health::broken) return failure(nullptr);
    return {};
  }

  core::Result<void> readResult(const PGresult* result, std::optional<RowsBuilder>& rows,
                                std::int64_t& affected) {
    switch (PQresultStatus(result)) {
      case PGRES_TUPLES_OK:
        if (!rows) rows.emplace();
        return readRows(result, *rows);
      case PGRES_COMMAND_OK: {
        const std::string count = PQcmdTuples(const_cast<PGresult*>(result));
        affected += count.empty() ? 0 : std::stoll(count);
        return {};
      }
      default:
        return failure(result);
    }
  }

  core::Result<void> readRows(const PGresult* result, RowsBuilder& rows) {
    const int columns = PQnfields(result);
    for (int r = 0; r < PQntuples(result); ++r) {
      rows.beginRow();
      for (int c = 0; c < columns; ++c) {
        auto added = addColumn(rows, result, r, c);
        if (!added) return std::move(added).error();
      }
    }
    return {};
  }

  static core::Result<void> addColumn(RowsBuilder& rows, const PGresult* result, int r, int c) {
    const char* name = PQfname(result, c);
    if (PQgetisnull(result, r, c)) return rows.addField(name, std::nullopt);
    const char* text = PQgetvalue(result, r, c);
    const auto length = static_cast<std::size_t>(PQgetlength(result, r, c));
    switch (PQftype(result, c)) {
      case kBoolOid:  // "t"/"f" on the wire; the XPath and JSON spelling is friendlier
        return rows.addField(name, text[0] == 't' ? "true" : "false");
      case kByteaOid: {
        std::size_t size = 0;
        std::unique_ptr<unsigned char, PqMemoryDeleter> bytes(
            PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size));
        if (!bytes) throw std::bad_alloc();
        return rows.addBlob(name, std::string_view(reinterpret_cast<char*>(bytes.get()), size));
      }
      default:
        return rows.addField(name, std::string_view(text, length));
    }
  }

  // Both leave the connection idle or mark it broken, so the pool never hands out a
  // connection that is inside a transaction.
  core::Result<void> commit() {
    ResultPtr done(PQexec(conn_.get(), "COMMIT"));
    core::Result<void> outcome;
    if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) outcome = failure(done.get());
    checkIdle();
    return outcome;
  }

  void rollback() {
    if (PQstatus(conn_.get()) == CONNECTION_OK) {
      ResultPtr rolled_back(PQexec(conn_.get(), "ROLLBACK"));
    }
    checkIdle();
  }

  void checkIdle() {
    if (PQstatus(conn_.get()) != CONNECTION_OK ||
        PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
      health_ = Health::broken;
    }
  }

  core::Error failure(const PGresult* result) {
    if (PQstatus(conn_.get()) == CONNECTION_BAD) {
      health_ = Health::broken;
      return core::makeError(ErrorKind::backend_unavailable,
                             "connection lost: " + oneLine(PQerrorMessage(conn_.get())));
    }
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state ? state : "";
    const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    const std::string message = "SQLSTATE " + (sqlstate.empty() ? std::string("?") : sqlstate) +
                                ": " + oneLine(primary ? primary : PQerrorMessage(conn_.get()));
    if (sqlstate == "57014") return limits_.timeout();  // canceled by statement_timeout
    const std::string type = sqlstate.substr(0, 2);
    if (type == "08" || sqlstate.rfind("57P", 0) == 0) {  // connection gone, server shutting down
      health_ = Health::broken;
      return core::makeError(ErrorKind::backend_unavailable, message);
    }
    // Out of resources, or a conflict with another transaction: a retry may well succeed.
    if (type == "53" || type == "58" || sqlstate == "40001" || sqlstate == "40P01" ||
        sqlstate == "55P03") {
      return core::makeError(ErrorKind::backend_unavailable, message);
    }
    return core::makeError(ErrorKind::backend_rejected, message);
  }

  ConnPtr conn_;
  CallLimits limits_;
  Health health_ = Health::ok;
};

class PostgresDriver final : public DbDriver {
 public:
  explicit PostgresDriver(std::shared_ptr<const DbConfig> config) : config_(std::move(config)) {}

  core::Result<std::unique_ptr<DbConnection>> open(const CallLimits& limits) const override {
    const auto wait = std::min(config_->connect_timeout, limits.left());
    const bool deadline_binds = wait < config_->connect_timeout;
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(wait).count();
    const std::string timeout = std::to_string(std::max<long long>(seconds, 1));
    // Keywords are applied in order and the DSN is expanded where it stands: it may override
    // the keepalive defaults before it, not the limits and encoding after it. Keepalives
    // notice a server that vanished without closing the connection (libpq would wait for
    // its answer for as long as the system's default of about two hours).
    const char* keywords[] = {
        "keepalives_idle", "keepalives_interval", "keepalives_count",          "dbname",
        "connect_timeout", "client_encoding",     "fallback_application_name", nullptr};
    const char* values[] = {"30",   "10",      "3",    config_->dsn.c_str(), timeout.c_str(),
                            "UTF8", "egovbus", nullptr};
    ConnPtr conn(PQconnectdbParams(keywords, values, 1));
    if (!conn) throw std::bad_alloc();
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      if (deadline_binds && core::Clock::now() >= limits.until) {
        return core::makeError(ErrorKind::deadline_exceeded, "deadline passed while connecting");
      }
      // libpq names host, port, user and database, never the password.
      return core::makeError(ErrorKind::backend_unavailable,
                             "cannot connect: " + oneLine(PQerrorMessage(conn.get())));
    }
    return std::unique_ptr<DbConnection>(std::make_unique<PostgresConnection>(std::move(conn)));
  }

 private:
  std::shared_ptr<const DbConfig> config_;
};

}  // namespace

std::shared_ptr<const DbDriver> makePostgresDriver(std::shared_ptr<const DbConfig> config) {
  return std::make_shared<PostgresDriver>(std::move(config));
}

}  // namespace egov::adapters::db
