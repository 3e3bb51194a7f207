// The I/O contexts of `egovbus serve`, one per I/O thread, handed out in turn: connections
// and deliveries of one-way exchanges are spread over them (and sources, by SourceRunner).
// Empty where the process has none (egovbus check/test, adapter tests).
//
// Each lane also counts the requests being handled on it, so that the listener can run a
// request read on a busy lane on an idle one: a connection stays on the lane it was accepted
// on, but its request need not wait for a busy thread while another has nothing to do.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/net/asio.hpp"

namespace egov::core {

class IoLanes {
 public:
  IoLanes() = default;
  explicit IoLanes(std::vector<net::any_io_executor> executors)
      : executors_(std::move(executors)),
        busy_(std::make_unique<std::atomic<int>[]>(executors_.size())) {}

  bool empty() const { return executors_.empty(); }
  std::size_t size() const { return executors_.size(); }
  const net::any_io_executor& at(std::size_t lane) const { return executors_.at(lane); }

  // The next context in turn (any thread), or nothing when there are none.
  std::optional<net::any_io_executor> next() const {
    if (executors_.empty()) return std::nullopt;
    return executors_[nextIndex()];
  }
  // The index of the next context in turn (call only when not empty).
  std::size_t nextIndex() const { return next_++ % executors_.size(); }

  // Where a request read on `home` should be handled: `home` when it has no request in hand
  // or no other lane is idle; else the first idle lane. (Only to an idle lane: counting
  // requests in hand cannot tell one waiting for a back-end from one using the CPU, so
  // "fewer" would move requests back and forth between two saturated lanes.)
  std::size_t idleOr(std::size_t home) const {
    if (busy_[home].load(std::memory_order_relaxed) == 0) return home;
    for (std::size_t lane = 0; lane < executors_.size(); ++lane) {
      if (busy_[lane].load(std::memory_order_relaxed) == 0) return lane;
    }
    return home;
  }

  // Counts a request as being handled on `lane` for the life of the returned guard.
  class Busy {
   public:
    explicit Busy(std::atomic<int>* counter) : counter_(counter) {
      counter_->fetch_add(1, std::memory_order_relaxed);
    }
    Busy(Busy&& other) noexcept : counter_(std::exchange(other.counter_, nullptr)) {}
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;
    Busy& operator=(Busy&&) = delete;
    ~Busy() {
      if (counter_) counter_->fetch_sub(1, std::memory_order_relaxed);
    }

   private:
    std::atomic<int>* counter_;
  };
  Busy handling(std::size_t lane) const { return Busy(&busy_[lane]); }

 private:
  std::vector<net::any_io_executor> executors_;
  std::unique_ptr<std::atomic<int>[]> busy_;
  mutable std::atomic<std::size_t> next_{0};
};

}  // namespace egov::core
