#include "adapters/db/db_endpoint.hpp"

#include <exception>

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

// On a worker thread: the connection of the lease (opened when there is none), the
// statement, and what the connection's state means for the pool.
core::Result<core::XmlDocPtr> runLeased(const std::string& name, const DbDriver& driver,
                                        ConnectionPool::Lease& lease, const DbCall& call,
                                        const CallLimits& limits,
                                        std::atomic<std::size_t>& opened) noexcept {
  auto& connection = lease.connection();
  try {
    for (int attempt = 0;; ++attempt) {
      if (!connection) {
        auto fresh = driver.open(limits);
        if (!fresh) return std::move(fresh).error();
        connection = std::move(fresh).value();
        ++opened;
      }
      auto result = connection->execute(*call.statement, call.runs, limits);
      const auto health = connection->health();
      if (health == DbConnection::Health::ok) return result;
      // Dropped rather than pooled: the next call (or the retry below) opens a new one.
      connection.reset();
      core::logEvent(core::LogLevel::warn, "db connection dropped",
                     {{"endpoint", std::string_view(name)},
                      {"reason", std::string_view(result ? "" : result.error().message)}});
      // A pooled connection the server closed while idle: nothing ran, so try once more.
      if (health == DbConnection::Health::stale && attempt == 0) continue;
      return result;
    }
  } catch (const std::exception& e) {
    connection.reset();
    return core::makeError(ErrorKind::internal, e.what());
  }
}

}  // namespace

DbEndpoint::DbEndpoint(std::string name, std::shared_ptr<const DbConfig> config,
                       std::shared_ptr<const DbDriver> driver, net::any_io_executor workers)
    : core::Endpoint(std::move(name), "db"),
      config_(std::move(config)),
      driver_(std::move(driver)),
      pool_(std::make_shared<ConnectionPool>(config_->pool_max)),
      workers_(std::move(workers)),
      opened_(std::make_shared<std::atomic<std::size_t>>(0)) {}

awaitable<core::Result<core::XmlDocPtr>> DbEndpoint::call(const core::CallRequest& request) {
  if (core::Clock::now() >= request.deadline) {
    co_return core::makeError(ErrorKind::deadline_exceeded,
                              name() + ": deadline passed before the call");
  }
  auto resolved = resolveDbCall(*config_, request.body);
  if (!resolved) co_return named(name(), std::move(resolved).error());

  auto lease = co_await pool_->acquire(request.deadline);
  if (!lease) co_return named(name(), std::move(lease).error());

  CallLimits limits{core::Clock::now() + config_->statement_timeout, false};
  if (request.deadline < limits.until) limits = CallLimits{request.deadline, true};
  // The job owns what it uses (config, driver, lease), so it stays valid even if this
  // coroutine is destroyed while the worker runs it. A named local, not a temporary in the
  // co_await expression: g++ 12 mishandles the captures of such temporaries.
  auto job = [name = name(), config = config_, driver = driver_, lease = std::move(lease).value(),
              call = std::move(resolved).value(), limits, opened = opened_]() mutable {
    auto result = runLeased(name, *driver, lease, call, limits, *opened);
    // Before the caller resumes, so that its next call finds this connection idle.
    lease.release();
    return result;
  };
  auto result = co_await core::runOn(workers_, std::move(job));
  if (!result) co_return named(name(), std::move(result).error());
  co_return result;
}

}  // namespace egov::adapters::db
