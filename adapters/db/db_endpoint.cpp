#include "adapters/db/db_endpoint.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include "adapters/db/db_request.hpp"
#include "core/log/log.hpp"
#include "core/net/run_on.hpp"

namespace egov::adapters::db {
namespace {

using core::ErrorKind;

core::Error named(const std::string& name, core::Error error) {
  error.message = name + ": " + error.message;
  return error;
}

// On a worker thread: the connection of the lease (opened when there is none), the calls,
// and what the connection's state means for the pool. Every call gets a result.
void runLeased(const std::string& name, const DbDriver& driver, ConnectionPool::Lease& lease,
               std::span<GroupedCall*> calls, std::atomic<std::size_t>& opened) noexcept {
  auto& connection = lease.connection();
  auto fail = [&](const core::Error& error) {
    for (auto* call : calls) call->result = error;
  };
  try {
    for (int attempt = 0;; ++attempt) {
      if (!connection) {
        auto fresh = driver.open(calls.front()->limits());
        if (!fresh) return fail(fresh.error());
        connection = std::move(fresh).value();
        ++opened;
      }
      connection->executeGroup(calls);
      const auto health = connection->health();
      if (health == DbConnection::Health::ok) return;
      // Dropped rather than pooled: the next call (or the retry below) opens a new one.
      connection.reset();
      std::string_view reason;
      for (auto* call : calls) {
        if (!call->result) {
          reason = call->result.error().message;
          break;
        }
      }
      core::logEvent(core::LogLevel::warn, "db connection dropped",
                     {{"endpoint", std::string_view(name)}, {"reason", reason}});
      // A pooled connection the server closed while idle: nothing ran, so try once more.
      if (health == DbConnection::Health::stale && attempt == 0) continue;
      return;
    }
  } catch (const std::exception& e) {
    connection.reset();
    fail(core::makeError(ErrorKind::internal, e.what()));
  }
}

// How many waiting calls one transaction takes at most.
constexpr std::size_t kMaxGroup = 64;

}  // namespace

DbEndpoint::DbEndpoint(std::string name, std::shared_ptr<const DbConfig> config,
                       std::shared_ptr<const DbDriver> driver, net::any_io_executor workers)
    : core::Endpoint(std::move(name), "db"),
      config_(std::move(config)),
      driver_(std::move(driver)),
      pool_(std::make_shared<ConnectionPool>(config_->pool_max)),
      workers_(std::move(workers)),
      opened_(std::make_shared<std::atomic<std::size_t>>(0)),
      queue_(driver_->groupsCommits() ? std::make_shared<CommitQueue>(config_->pool_max, kMaxGroup)
                                      : nullptr) {}

DbEndpoint::~DbEndpoint() = default;

CommitQueue::Stats DbEndpoint::groupStats() const {
  return queue_ ? queue_->stats() : CommitQueue::Stats{};
}

awaitable<core::Result<core::XmlDocPtr>> DbEndpoint::call(const core::CallRequest& request) {
  if (core::Clock::now() >= request.deadline) {
    co_return core::makeError(ErrorKind::deadline_exceeded,
                              name() + ": deadline passed before the call");
  }
  auto resolved = resolveDbCall(*config_, request.body);
  if (!resolved) co_return named(name(), std::move(resolved).error());

  if (queue_) co_return co_await callGrouped(std::move(resolved).value(), request.deadline);

  auto lease = co_await pool_->acquire(request.deadline);
  if (!lease) co_return named(name(), std::move(lease).error());
  // The job owns what it uses (call, driver, lease), so it stays valid even if this
  // coroutine is destroyed while the worker runs it. A named local, not a temporary in the
  // co_await expression: g++ 12 mishandles the captures of such temporaries.
  GroupedCall call;
  call.statement_timeout = config_->statement_timeout;
  call.deadline = request.deadline;
  auto job = [name = name(), driver = driver_, lease = std::move(lease).value(),
              owned = std::move(resolved).value(), call = std::move(call),
              opened = opened_]() mutable {
    call.statement = owned.statement;
    call.runs = &owned.runs;
    GroupedCall* calls[] = {&call};
    runLeased(name, *driver, lease, calls, *opened);
    // Before the caller resumes, so that its next call finds this connection idle.
    lease.release();
    return std::move(call.result);
  };
  auto result = co_await core::runOn(workers_, std::move(job));
  if (!result) co_return named(name(), std::move(result).error());
  co_return result;
}

namespace {

// A leader's work on the worker pool: one group of waiting calls per task, run in one
// transaction on the leader's connection and answered, the next group a task of its own so
// that the pool's other work takes its turn between groups, until no call is left. The
// connection goes back to the pool before the last group is answered, so that its callers'
// next calls find it free.
struct GroupRunner {
  std::string name;
  std::shared_ptr<const DbDriver> driver;
  ConnectionPool::Lease lease;
  std::shared_ptr<CommitQueue> queue;
  std::shared_ptr<std::atomic<std::size_t>> opened;
  net::any_io_executor workers;
  std::vector<std::shared_ptr<CommitQueue::Call>> group;  // taken, not yet run

  void operator()() {
    if (group.empty()) group = queue->takeOrRetire();  // the first task
    if (group.empty()) return;  // another leader took them; the lease goes with this task
    try {
      std::vector<GroupedCall*> calls;
      calls.reserve(group.size());
      for (auto& queued : group) calls.push_back(&queued->grouped);
      runLeased(name, *driver, lease, calls, *opened);
    } catch (const std::exception& e) {
      for (auto& queued : group) {
        queued->grouped.result = core::makeError(ErrorKind::internal, e.what());
      }
    }
    auto ran = std::move(group);
    group = queue->takeOrRetire();
    if (group.empty()) lease.release();  // retired
    queue->finish(ran);
    if (!group.empty()) net::post(workers, std::move(*this));
  }
};

}  // namespace

awaitable<core::Result<core::XmlDocPtr>> DbEndpoint::callGrouped(DbCall call,
                                                                 core::Clock::time_point deadline) {
  auto queued = std::make_shared<CommitQueue::Call>();
  queued->call = std::move(call);
  queued->grouped.statement = queued->call.statement;
  queued->grouped.runs = &queued->call.runs;  // the call stays where make_shared put it
  queued->grouped.statement_timeout = config_->statement_timeout;
  queued->grouped.deadline = deadline;
  if (queue_->push(queued)) {
    // This call leads: a connection is free (no more leaders than connections), and its
    // runner runs the calls waiting, a group per transaction, until none is left.
    auto lease = co_await pool_->acquire(core::Clock::time_point::max());
    if (!lease) {
      queue_->retire();
    } else {
      try {
        net::post(
            workers_,
            GroupRunner{name(), driver_, std::move(lease).value(), queue_, opened_, workers_, {}});
      } catch (const std::exception&) {
        queue_->retire();  // nothing taken: this call is answered by its deadline
      }
    }
  }
  auto result = co_await queue_->result(queued);
  if (!result) co_return named(name(), std::move(result).error());
  co_return result;
}

}  // namespace egov::adapters::db
