// Work handed to a journal's own thread(s): each operation is a task carrying what to do on the
// connection and the completion of the coroutine waiting for it. Shared by SqliteJournal and
// PgJournal; the threads, the transaction around a batch and what a failed task undoes are each
// journal's own.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "core/common/result.hpp"
#include "core/net/asio.hpp"
#include "core/net/completion.hpp"

namespace egov::core {

// One operation: run() inside the batch transaction on a journal thread; its result is
// delivered by finish() only after the commit (or after the commit failed: fail() first).
template <class Conn>
class JournalTask {
 public:
  virtual ~JournalTask() = default;
  virtual bool run(Conn* conn) = 0;  // false: the operation failed (its result says why)
  virtual void fail(Error error) = 0;
  virtual void finish() noexcept = 0;
};

template <class Conn>
class JournalTaskQueue {
 public:
  using Task = JournalTask<Conn>;

  // Queues `work` for a journal thread; completes with its result once finish() runs.
  template <class T>
  awaitable<Result<T>> submit(std::function<Result<T>(Conn*)> work) {
    return net::async_initiate<decltype(net::use_awaitable), void(Result<T>)>(
        [this](auto handler, std::function<Result<T>(Conn*)> task) {
          push(std::make_unique<Typed<T>>(std::move(task),
                                          makeCompletion<Result<T>>(std::move(handler))));
        },
        net::use_awaitable, std::move(work));
  }

  // Waits for work; moves up to `max` tasks into `batch` (a container of unique_ptr<Task>).
  // Returns false once stopping and everything queued has been taken.
  template <class Container>
  bool take(Container& batch, std::size_t max) {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return false;
    while (!queue_.empty() && batch.size() < max) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    return true;
  }

  // New work is refused ("journal: closing"); what is queued is still taken.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
  }

 private:
  template <class T>
  class Typed final : public Task {
   public:
    Typed(std::function<Result<T>(Conn*)> work, std::unique_ptr<Completion<Result<T>>> done)
        : work_(std::move(work)), done_(std::move(done)) {}
    bool run(Conn* conn) override {
      result_.emplace(work_(conn));
      return result_->ok();
    }
    void fail(Error error) override { result_.emplace(std::move(error)); }
    void finish() noexcept override {
      if (!result_) result_.emplace(makeError(ErrorKind::internal, "journal: task not run"));
      done_->complete(std::move(*result_));
    }

   private:
    std::function<Result<T>(Conn*)> work_;
    std::unique_ptr<Completion<Result<T>>> done_;
    std::optional<Result<T>> result_;
  };

  void push(std::unique_ptr<Task> task) {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        queue_.push_back(std::move(task));
        task = nullptr;
      }
    }
    if (task) {
      task->fail(makeError(ErrorKind::unavailable, "journal: closing"));
      task->finish();
      return;
    }
    wake_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Task>> queue_;
  bool stopping_ = false;
};

}  // namespace egov::core
