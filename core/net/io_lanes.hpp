// The I/O contexts of `egovbus serve`, one per I/O thread, handed out in turn: connections,
// deliveries of one-way exchanges and the exchanges of a csv source's file are spread over
// them. Empty where the process has none (egovbus check/test, adapter tests).
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "core/net/asio.hpp"

namespace egov::core {

class IoLanes {
 public:
  IoLanes() = default;
  explicit IoLanes(std::vector<net::any_io_executor> executors)
      : executors_(std::move(executors)) {}

  bool empty() const { return executors_.empty(); }
  // The next context in turn (any thread), or nothing when there are none.
  std::optional<net::any_io_executor> next() const {
    if (executors_.empty()) return std::nullopt;
    return executors_[next_++ % executors_.size()];
  }

 private:
  std::vector<net::any_io_executor> executors_;
  mutable std::atomic<std::size_t> next_{0};
};

}  // namespace egov::core
