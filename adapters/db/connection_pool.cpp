#include "adapters/db/connection_pool.hpp"

#include <algorithm>

namespace egov::adapters::db {

// The timer lives on a strand of its own, so that arming it (after the waiter is queued)
// and cancelling it (from whichever thread granted the lease) never run at the same time.
struct ConnectionPool::Waiter {
  explicit Waiter(const net::any_io_executor& executor, std::unique_ptr<Completion> done)
      : timer(net::make_strand(executor)), completion(std::move(done)) {}
  net::steady_timer timer;
  std::unique_ptr<Completion> completion;  // null once completed; guarded by the pool mutex
};

ConnectionPool::Lease::~Lease() {
  release();
}

void ConnectionPool::Lease::release() {
  if (auto pool = std::move(pool_)) pool->release(std::move(connection_));
}

ConnectionPool::Stats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  return Stats{in_use_, peak_in_use_, waiters_.size(), idle_.size()};
}

void ConnectionPool::enqueue(const net::any_io_executor& executor,
                             std::unique_ptr<Completion> completion,
                             core::Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (in_use_ < max_) {
    ++in_use_;
    peak_in_use_ = std::max(peak_in_use_, in_use_);
    std::unique_ptr<DbConnection> connection;
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    }
    lock.unlock();
    completion->complete(Lease(shared_from_this(), std::move(connection)));
    return;
  }
  if (core::Clock::now() >= deadline) {
    lock.unlock();
    completion->complete(core::makeError(core::ErrorKind::deadline_exceeded,
                                         "deadline passed waiting for a connection"));
    return;
  }
  auto waiter = std::make_shared<Waiter>(executor, std::move(completion));
  waiters_.push_back(waiter);
  lock.unlock();
  net::post(waiter->timer.get_executor(),
            [self = shared_from_this(), waiter, deadline] { self->startTimer(waiter, deadline); });
}

void ConnectionPool::startTimer(const std::shared_ptr<Waiter>& waiter,
                                core::Clock::time_point deadline) {
  {
    std::lock_guard lock(mutex_);
    if (!waiter->completion) return;  // granted before the timer was even armed
  }
  waiter->timer.expires_at(deadline);
  waiter->timer.async_wait([self = shared_from_this(), waiter](boost::system::error_code ec) {
    if (!ec) self->expire(waiter);
  });
}

void ConnectionPool::expire(const std::shared_ptr<Waiter>& waiter) {
  std::unique_lock lock(mutex_);
  auto it = std::find(waiters_.begin(), waiters_.end(), waiter);
  if (it == waiters_.end()) return;  // granted in the meantime
  waiters_.erase(it);
  auto completion = std::move(waiter->completion);
  lock.unlock();
  completion->complete(core::makeError(
      core::ErrorKind::deadline_exceeded,
      "deadline passed waiting for a connection (pool max " + std::to_string(max_) + ")"));
}

void ConnectionPool::release(std::unique_ptr<DbConnection> connection) {
  std::unique_lock lock(mutex_);
  if (waiters_.empty()) {
    --in_use_;
    if (connection) idle_.push_back(std::move(connection));
    return;
  }
  // The permit passes straight to the first waiter; in_use_ does not change.
  auto waiter = std::move(waiters_.front());
  waiters_.pop_front();
  auto completion = std::move(waiter->completion);
  if (!connection && !idle_.empty()) {
    connection = std::move(idle_.back());
    idle_.pop_back();
  }
  lock.unlock();
  // The cancel goes first: until the lease is handed over, the waiter's completion keeps the
  // caller's io_context running, so that it runs the cancel before it can finish and be
  // destroyed (the timer may never have been armed, and then nothing else holds it).
  net::post(waiter->timer.get_executor(), [waiter] { waiter->timer.cancel(); });
  completion->complete(Lease(shared_from_this(), std::move(connection)));
}

}  // namespace egov::adapters::db
