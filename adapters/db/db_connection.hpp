// What the `db` endpoint needs from a database library: a driver that opens connections and
// a connection that runs one statement in one transaction. Implemented for SQLite and libpq.
// Both libraries block, so everything here runs on the runtime's worker threads.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/db/db_config.hpp"
#include "core/common/result.hpp"
#include "core/engine/exchange.hpp"

namespace egov::adapters::db {

// The time one call may take, worked out from statement_timeout and the route's deadline.
struct CallLimits {
  core::Clock::time_point until;
  bool deadline_binds = false;  // `until` is the route's deadline, not statement_timeout

  // statement_timeout from now, or the route's deadline if sooner.
  static CallLimits from(std::chrono::milliseconds statement_timeout,
                         core::Clock::time_point deadline);
  // Time left, at least 1 ms: a limit that is about to pass still gets a real chance.
  std::chrono::milliseconds left() const;
  // What running out of this limit means: deadline_exceeded when the deadline bound it,
  // else backend_unavailable "statement timeout" (a slow back-end; a retry may succeed).
  core::Error timeout() const;
};

// One value per statement param (DbStatement::params order); nullopt is SQL NULL.
using ParamValues = std::vector<std::optional<std::string>>;
// The values of each run of a statement: one set for a plain statement, one per node a
// `for_each` statement selected (none when it selected nothing).
using ParamRuns = std::vector<ParamValues>;

// The error of run `index` (0-based) of `runs`: a for_each statement's message names the
// node it ran for ("for_each node 17 of 1000: ..."); a plain statement's is left alone.
core::Error runError(const DbStatement& statement, std::size_t index, std::size_t runs,
                     core::Error error);

// One call of a commit group (DbConnection::executeGroup): what it runs, within which limits,
// and what it got.
struct GroupedCall {
  const DbStatement* statement = nullptr;
  const ParamRuns* runs = nullptr;
  std::chrono::milliseconds statement_timeout{0};
  core::Clock::time_point deadline;
  core::Result<core::XmlDocPtr> result = core::makeError(core::ErrorKind::internal, "not run");

  // The limits of a run starting now.
  CallLimits limits() const { return CallLimits::from(statement_timeout, deadline); }
};

class DbConnection {
 public:
  enum class Health {
    ok,      // back to the pool
    broken,  // drop it: the next call opens a new one
    stale,   // found dead before the statement ran: the call may be repeated elsewhere
  };

  virtual ~DbConnection() = default;

  // Runs `statement` once per entry of `runs`, in order, all in one transaction of its own,
  // committed when every run succeeded and rolled back otherwise. Returns the rows of every
  // run in one document (or <rows affected="n"/>, n summed over the runs). Error messages do
  // not name the endpoint (the caller adds it), name the failing run of a `for_each`
  // statement, and never quote the DSN. Blocking; one caller at a time.
  virtual core::Result<core::XmlDocPtr> execute(const DbStatement& statement, const ParamRuns& runs,
                                                const CallLimits& limits) = 0;
  // Runs several calls in one transaction, each as execute() would: all of its runs or none
  // (a call that fails is undone alone, the others go on), every result final only once the
  // transaction committed; a failed commit fails them all. One commit for the lot is the
  // point: on SQLite a commit is an fsync. This default runs each call on its own.
  virtual void executeGroup(std::span<GroupedCall*> calls) {
    for (auto* call : calls) call->result = execute(*call->statement, *call->runs, call->limits());
  }
  // The state execute() or executeGroup() left the connection in.
  virtual Health health() const = 0;
};

// Opens connections to one endpoint's database. Immutable and shared by the worker threads.
class DbDriver {
 public:
  virtual ~DbDriver() = default;
  // Blocking. Failures are backend_unavailable, or deadline_exceeded when the route's
  // deadline cut the attempt short.
  virtual core::Result<std::unique_ptr<DbConnection>> open(const CallLimits& limits) const = 0;
  // Whether calls waiting for a connection are better run together (executeGroup): true
  // where a commit costs far more than a call (an SQLite file written to: an fsync each),
  // false where the server commits concurrent transactions together itself (PostgreSQL).
  virtual bool groupsCommits() const { return false; }
};

std::shared_ptr<const DbDriver> makeSqliteDriver(std::shared_ptr<const DbConfig> config);
std::shared_ptr<const DbDriver> makePostgresDriver(std::shared_ptr<const DbConfig> config);

// Load-time check of a SQLite endpoint whose file exists: every statement is prepared
// against it, so an unknown table or a syntax error is a config error at its `sql` line.
void checkSqliteStatements(const DbConfig& config, const core::ConfigNode& settings);

}  // namespace egov::adapters::db
