// The connections of one `db` endpoint and the cap on how many are in use at once. A call
// over the cap waits in a queue, as a suspended coroutine: no thread blocks while it waits,
// and the route's deadline bounds the wait.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

#include "adapters/db/db_connection.hpp"
#include "core/net/asio.hpp"
#include "core/net/completion.hpp"

namespace egov::adapters::db {

class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
 public:
  // A permit to use one connection. Holds an idle connection when there was one, else
  // none, and the holder opens one. Moving it to a worker thread is fine; releasing or
  // destroying it (on any thread) returns the permit and the connection it holds (the
  // holder drops a broken connection first, so that it is not pooled).
  class Lease {
   public:
    Lease(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<DbConnection> connection)
        : pool_(std::move(pool)), connection_(std::move(connection)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    std::unique_ptr<DbConnection>& connection() { return connection_; }
    // Returns the connection and the permit now (the destructor otherwise does).
    void release();

   private:
    std::shared_ptr<ConnectionPool> pool_;
    std::unique_ptr<DbConnection> connection_;
  };

  struct Stats {
    std::size_t in_use = 0;       // leases held now
    std::size_t peak_in_use = 0;  // most leases ever held at once
    std::size_t waiting = 0;      // calls queued for a lease
    std::size_t idle = 0;         // open connections nobody holds
  };

  // Create with std::make_shared: leases and timers keep the pool alive.
  explicit ConnectionPool(std::size_t max) : max_(max) {}

  // Resumes the awaiting coroutine on its own executor with a lease, or with
  // deadline_exceeded when `deadline` passes first. Thread-safe.
  awaitable<core::Result<Lease>> acquire(core::Clock::time_point deadline) {
    return net::async_initiate<decltype(net::use_awaitable), void(core::Result<Lease>)>(
        [self = shared_from_this(), deadline](auto handler) {
          auto executor = net::get_associated_executor(handler);
          self->enqueue(executor, makeCompletion(std::move(handler)), deadline);
        },
        net::use_awaitable);
  }

  Stats stats() const;
  std::size_t max() const { return max_; }

 private:
  using Completion = core::Completion<core::Result<Lease>>;
  template <class Handler>
  static std::unique_ptr<Completion> makeCompletion(Handler handler) {
    return core::makeCompletion<core::Result<Lease>>(std::move(handler));
  }

  struct Waiter;

  void enqueue(const net::any_io_executor& executor, std::unique_ptr<Completion> completion,
               core::Clock::time_point deadline);
  void startTimer(const std::shared_ptr<Waiter>& waiter, core::Clock::time_point deadline);
  void expire(const std::shared_ptr<Waiter>& waiter);
  void release(std::unique_ptr<DbConnection> connection);

  const std::size_t max_;
  mutable std::mutex mutex_;  // guards everything below
  std::size_t in_use_ = 0;
  std::size_t peak_in_use_ = 0;
  std::vector<std::unique_ptr<DbConnection>> idle_;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace egov::adapters::db
