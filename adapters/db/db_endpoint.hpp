// The `db` adapter's endpoint: one database (SQLite file or PostgreSQL server) and its named
// statements. The XPath params are evaluated on the calling I/O thread; SQLite and libpq
// block, so the statement runs on the runtime's worker pool and the coroutine resumes on its
// own executor when it is done.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "adapters/db/commit_queue.hpp"
#include "adapters/db/connection_pool.hpp"
#include "adapters/db/db_config.hpp"
#include "adapters/db/db_connection.hpp"
#include "adapters/db/db_request.hpp"
#include "core/engine/endpoint.hpp"

namespace egov::adapters::db {

class DbEndpoint final : public core::Endpoint {
 public:
  // `workers` is the bounded pool for blocking libraries (RuntimeServices::workers()).
  DbEndpoint(std::string name, std::shared_ptr<const DbConfig> config,
             std::shared_ptr<const DbDriver> driver, net::any_io_executor workers);
  ~DbEndpoint() override;

  // Waits (suspended, bounded by the route's deadline) for one of the pool's connections,
  // then runs the statement in one transaction on a worker thread. Where the driver groups
  // commits (SQLite), the calls that waited for the connection run in one transaction, each
  // under a savepoint of its own, and are answered after its one commit. Any thread may call it
  // concurrently; the endpoint must stay alive until the returned awaitable completes.
  awaitable<core::Result<core::XmlDocPtr>> call(const core::CallRequest& request) override;

  const DbConfig& config() const { return *config_; }
  ConnectionPool::Stats poolStats() const { return pool_->stats(); }
  // Connections opened so far (each reconnect counts).
  std::size_t connectionsOpened() const { return opened_->load(); }
  // Where the driver groups commits: the groups run, their calls, the calls waiting.
  CommitQueue::Stats groupStats() const;

 private:
  awaitable<core::Result<core::XmlDocPtr>> callGrouped(DbCall call,
                                                       core::Clock::time_point deadline);

  std::shared_ptr<const DbConfig> config_;
  std::shared_ptr<const DbDriver> driver_;
  std::shared_ptr<ConnectionPool> pool_;
  net::any_io_executor workers_;
  std::shared_ptr<std::atomic<std::size_t>> opened_;
  std::shared_ptr<CommitQueue> queue_;  // only when the driver groups commits
};

}  // namespace egov::adapters::db
