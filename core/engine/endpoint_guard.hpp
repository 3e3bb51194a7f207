// Protective limits in front of one endpoint, so a click-day spike queues or is shed instead
// of flattening a small municipality's server:
//   max_concurrency  calls in flight at once; up to `queue` more wait (bounded by their
//                    deadline), the rest are refused at once with 503 + Retry-After;
//   rate_limit       calls per second (token bucket with `burst`);
//   breaker          after `failures` consecutive retryable failures the endpoint is open
//                    (calls refused at once) for `open_for`; then one probe call is let
//                    through (half-open): success closes it, failure opens it again.
// Settings are read from the endpoint's own map (keys shared with its adapter) into the
// config generation; the guard itself (counts, queue, breaker state) lives in the process,
// so a reload keeps the cap honest for calls still running on the old generation.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/config/config_node.hpp"
#include "core/engine/exchange.hpp"
#include "core/net/asio.hpp"

namespace egov::core {

class Metrics;

struct GuardSettings {
  int max_concurrency = 0;  // 0: no cap
  int queue = 0;            // waiters beyond the cap; default 4 x max_concurrency
  double rate = 0;          // calls per second; 0: no limit
  double burst = 0;         // bucket size; default max(1, rate)
  int breaker_failures = 0; // 0: no breaker
  std::chrono::milliseconds breaker_open_for{30'000};
};

// Keys of an endpoint's map that belong to the guard rather than to its adapter.
const std::vector<std::string>& guardKeys();
GuardSettings parseGuardSettings(const ConfigNode& endpoint);
// A `rate_limit: { per_second, burst }` map alone (a tenant's, an API client's): rate and burst
// of the result; errors go to the node.
GuardSettings parseRateLimit(const ConfigNode& rate);

class EndpointGuard {
 public:
  EndpointGuard(std::string endpoint, Metrics& metrics);

  // Waits (without blocking the thread) for permission to call, or says why not:
  // ErrorKind::unavailable with retry_after_s (saturated queue, open breaker, rate) or
  // deadline_exceeded while queued. On success the caller must call release() once.
  awaitable<Result<void>> acquire(const GuardSettings& settings, Clock::time_point deadline);
  void release(const GuardSettings& settings, const Result<void>& outcome);

  // The rate and breaker checks alone, for limits with no call to wrap (a tenant's or an API
  // client's request rate). `now` drives the token bucket's refill (tests pass their own).
  Result<void> admit(const GuardSettings& settings);
  Result<void> admit(const GuardSettings& settings, Clock::time_point now);

  int inFlight() const;

  // Live health for the admin API: the breaker, calls in flight and waiting, and the calls
  // of the last `window` (route_runner records each call's outcome and duration).
  struct Health {
    std::string breaker;  // "closed", "open" or "half-open"
    int in_flight = 0;
    int queued = 0;
    std::size_t calls = 0;  // in the window
    std::size_t errors = 0;
    double error_rate = 0;  // errors / calls; 0 without calls
    double latency_mean_s = 0;
    double latency_p95_s = 0;
  };
  void recordCall(bool failed, double seconds);
  Health health(std::chrono::seconds window = std::chrono::seconds(300)) const;

 private:
  struct RecentCall {
    Clock::time_point at;
    bool failed;
    double seconds;
  };
  static constexpr std::size_t kMaxRecent = 4096;
  struct Waiter {
    std::shared_ptr<net::steady_timer> timer;
    bool granted = false;
  };
  // Breaker and rate checks; mutex held. Sets `reason` for the metrics when refusing.
  std::optional<Error> refuseNow(const GuardSettings& settings, Clock::time_point now,
                                 std::string& reason);
  void publish();                                         // mutex held

  const std::string endpoint_;
  Metrics& metrics_;
  mutable std::mutex mutex_;
  int in_flight_ = 0;
  std::deque<std::shared_ptr<Waiter>> waiters_;
  double tokens_ = -1;  // negative: not used yet, starts full
  Clock::time_point refilled_{};
  int consecutive_failures_ = 0;
  enum class Breaker { closed, open, half_open } breaker_ = Breaker::closed;
  Clock::time_point open_until_{};
  bool probe_in_flight_ = false;
  std::deque<RecentCall> recent_;  // newest last; at most kMaxRecent
};

// The guards of every endpoint of the process, by endpoint name ("bari/tributi").
class GuardRegistry {
 public:
  explicit GuardRegistry(Metrics& metrics);
  std::shared_ptr<EndpointGuard> guard(const std::string& endpoint);

 private:
  Metrics& metrics_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<EndpointGuard>> guards_;
};

}  // namespace egov::core
