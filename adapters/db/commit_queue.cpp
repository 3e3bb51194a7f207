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
    if (call->timer) {
      // Posted before the answer: until then the waiter keeps the caller's io_context
      // running, so the io_context runs this before it can finish and be destroyed.
      auto strand = call->timer->get_executor();
      net::post(strand, [timer = std::move(call->timer)] { timer->cancel(); });
    }
    if (auto waiter = std::move(call->waiter)) waiter->complete(std::move(call->grouped.result));
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
  call->timer = std::make_unique<net::steady_timer>(net::make_strand(executor));
  auto strand = call->timer->get_executor();
  lock.unlock();
  net::post(strand, [self = shared_from_this(), call] { self->startTimer(call); });
}

// On the timer's strand, where finish() and expire() hand the timer too.
void CommitQueue::startTimer(const std::shared_ptr<Call>& call) {
  net::steady_timer* timer = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (call->taken || !call->timer) return;  // taken before the timer was even armed
    timer = call->timer.get();
  }
  timer->expires_at(call->grouped.deadline);
  timer->async_wait([self = shared_from_this(), call](boost::system::error_code ec) {
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
  auto timer = std::move(call->timer);  // destroyed here, on its strand, in its own handler
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
