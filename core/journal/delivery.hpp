// Delivers journaled one-way exchanges: claims due entries, runs the rest of their route
// (the steps after `enqueue`) on the current config generation, and settles each one:
// delivered, rescheduled with exponential backoff and jitter, or dead-lettered (permanent
// error, too many attempts, too old, or its route is gone). The retry policy is the
// route's `delivery`, overridden by the `retry` settings of the endpoint whose call failed. At
// least once: an entry whose delivery was cut off (crash, kill -9) is retaken when its lease
// expires.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "core/engine/bus.hpp"
#include "core/net/io_lanes.hpp"

namespace egov::core {

class DeliveryWorker {
 public:
  DeliveryWorker(net::io_context& io, Bus& bus, Journal& journal, JournalConfig config);

  // Runs the deliveries on these executors in turn (one per I/O thread's io_context; call
  // before start()); without it, on `io`.
  void setLanes(std::vector<net::any_io_executor> lanes) { lanes_.emplace(std::move(lanes)); }
  // Starts the claim loop on `io`. Thread-safe wake(); stop() stops claiming (deliveries in
  // flight finish or are retaken after their lease).
  void start();
  void wake();
  void stop();

  std::size_t inFlight() const { return in_flight_.load(); }

  // Delay before attempt `attempts + 1`: backoff * 2^(attempts-1), capped, then jittered into
  // [delay/2, delay]. Exposed for tests.
  static std::chrono::milliseconds retryDelay(const DeliveryPolicy& policy, int attempts);

 private:
  awaitable<void> claimLoop();
  awaitable<void> deliver(JournalEntry entry);
  awaitable<void> settle(const JournalEntry& entry, const DeliveryPolicy& policy,
                         Result<void> outcome);

  net::io_context& io_;
  std::optional<IoLanes> lanes_;  // setLanes
  Bus& bus_;
  Journal& journal_;
  JournalConfig config_;
  net::steady_timer timer_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace egov::core
