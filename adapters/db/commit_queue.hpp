// The calls of a `db` endpoint whose driver groups commits (SQLite, where a commit is an
// fsync), waiting to run. Up to `leaders` callers at a time (the pool's size) lead: each
// holds a connection and runs the calls waiting, a group at a time, each group in one
// transaction (DbConnection::executeGroup), until none is left. The other callers only wait
// for their result, resumed as soon as their group has committed. A call whose deadline
// passes before a group takes it is answered then, and never runs.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "adapters/db/db_connection.hpp"
#include "adapters/db/db_request.hpp"
#include "core/net/asio.hpp"
#include "core/net/completion.hpp"

namespace egov::adapters::db {

class CommitQueue : public std::enable_shared_from_this<CommitQueue> {
 public:
  struct Call {
    DbCall call;
    GroupedCall grouped;  // its statement and runs point into `call`; its result the group's

   private:
    friend class CommitQueue;
    // Guarded by the queue's mutex.
    bool taken = false;  // by a group: its answer comes from there
    bool done = false;   // answered
    std::unique_ptr<core::Completion<core::Result<core::XmlDocPtr>>> waiter;
    // The deadline, on a strand of the caller's io_context. Only ever used and destroyed on
    // that strand: the call itself may outlive the io_context (a group's runner holds it).
    std::unique_ptr<net::steady_timer> timer;
  };

  struct Stats {
    std::size_t groups = 0;   // groups taken: each ran in one transaction (two when SQLite
                              // ended the first under them)
    std::size_t calls = 0;    // calls in them
    std::size_t waiting = 0;  // calls waiting for a group now
  };

  // Create with std::make_shared. `leaders`: the pool's size; `max_group`: calls per group.
  CommitQueue(std::size_t leaders, std::size_t max_group)
      : max_leaders_(leaders), max_group_(max_group) {}

  // Queues `call`. True when the caller must lead: take a connection and run a job that
  // calls takeOrRetire() until it gives nothing, and finish() after each group.
  bool push(const std::shared_ptr<Call>& call);
  // The next group (the oldest calls waiting), or nothing, and then the leader has retired.
  std::vector<std::shared_ptr<Call>> takeOrRetire() noexcept;
  // The group's results are final: answers its calls.
  void finish(const std::vector<std::shared_ptr<Call>>& group);
  // The call's result: its group's, or deadline_exceeded if no group took it in time.
  awaitable<core::Result<core::XmlDocPtr>> result(std::shared_ptr<Call> call);
  // For a leader that could not start: a call left waiting is answered by its deadline.
  void retire();

  Stats stats() const;

 private:
  using Completion = core::Completion<core::Result<core::XmlDocPtr>>;

  void wait(const net::any_io_executor& executor, const std::shared_ptr<Call>& call,
            std::unique_ptr<Completion> completion);
  void startTimer(const std::shared_ptr<Call>& call);
  void expire(const std::shared_ptr<Call>& call);

  const std::size_t max_leaders_;
  const std::size_t max_group_;
  mutable std::mutex mutex_;  // guards everything below
  std::deque<std::shared_ptr<Call>> waiting_;
  std::size_t leaders_ = 0;
  Stats stats_;
};

}  // namespace egov::adapters::db
