#include "adapters/db/commit_queue.hpp"

#include <algorithm>
#include <string>

namespace egov::adapters::db {

bool CommitQueue::push(const std::shared_ptr<Call>& call) {
  std::lock_guard lock(mutex_);
  waiting_.push_back(call);
  if (leaders_ == max_leaders_) return false;  // a leader takes it after its current group
  ++leaders_;
  return true;
}

std::vector<std::shared_ptr<CommitQueue::Call>> CommitQueue::takeOrRetire() noexcept {
  std::vector<std::shared_ptr<Call>> group;
  try {
    group.reserve(max_group_);
  } catch (const std::exception&) {
    retire();
    return group;
  }
  std::lock_guard lock(mutex_);
  if (waiting_.empty()) {
    --leaders_;
    return group;
  }
  const auto n = std::min(waiting_.size(), max_group_);
  for (std::size_t i = 0; i < n; ++i) {
    waiting_.front()->taken = true;
    group.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
  }
  ++stats_.groups;
  stats_.calls += n;
  return group;
}

void CommitQueue::retire() {
  std::lock_guard lock(mutex_);
  --leaders_;
}

void CommitQueue::finish(const std::vector<std::shared_ptr<Call>>& group) {
  std::lock_guard lock(mutex_);
  for (const auto& call : group) {
    call->done = true;
    if (auto waiter = std::move(call->waiter)) waiter->complete(std::move(call->grouped.result));
    if (call->timer) net::post(call->timer->get_executor(), [call] { call->timer->cancel(); });
  }
}

awaitable<core::Result<core::XmlDocPtr>> CommitQueue::result(std::shared_ptr<Call> call) {
  {
    std::lock_guard lock(mutex_);
    if (call->done) co_return std::move(call->grouped.result);
  }
  // A named local, not a temporary in the co_await expression: g++ 12 mishandles the
  // captures of such temporaries (here, the shared pointers' counts).
  auto initiate = [self = shared_from_this(), call](auto handler) {
    auto executor = net::get_associated_executor(handler);
    self->wait(executor, call,
               core::makeCompletion<core::Result<core::XmlDocPtr>>(std::move(handler)));
  };
  co_return co_await net::async_initiate<decltype(net::use_awaitable),
                                         void(core::Result<core::XmlDocPtr>)>(initiate,
                                                                              net::use_awaitable);
}

// As in ConnectionPool: the timer lives on a strand of its own, so that arming it and
// cancelling it (from the thread that finished the group) never run at the same time.
void CommitQueue::wait(const net::any_io_executor& executor, const std::shared_ptr<Call>& call,
                       std::unique_ptr<Completion> completion) {
  std::unique_lock lock(mutex_);
  if (call->done) {
    lock.unlock();
    completion->complete(std::move(call->grouped.result));
    return;
  }
  call->waiter = std::move(completion);
  if (call->taken) return;  // its group answers it
  call->timer.emplace(net::make_strand(executor));
  lock.unlock();
  net::post(call->timer->get_executor(),
            [self = shared_from_this(), call] { self->startTimer(call); });
}

void CommitQueue::startTimer(const std::shared_ptr<Call>& call) {
  {
    std::lock_guard lock(mutex_);
    if (call->taken) return;  // taken before the timer was even armed
  }
  call->timer->expires_at(call->deadline);
  call->timer->async_wait([self = shared_from_this(), call](boost::system::error_code ec) {
    if (!ec) self->expire(call);
  });
}

void CommitQueue::expire(const std::shared_ptr<Call>& call) {
  std::unique_lock lock(mutex_);
  auto it = std::find(waiting_.begin(), waiting_.end(), call);
  if (it == waiting_.end()) return;  // taken in the meantime
  waiting_.erase(it);
  call->done = true;
  auto waiter = std::move(call->waiter);
  lock.unlock();
  waiter->complete(core::makeError(
      core::ErrorKind::deadline_exceeded,
      "deadline passed waiting for a connection (pool max " + std::to_string(max_leaders_) + ")"));
}

CommitQueue::Stats CommitQueue::stats() const {
  std::lock_guard lock(mutex_);
  Stats stats = stats_;
  stats.waiting = waiting_.size();
  return stats;
}

}  // namespace egov::adapters::db
