#include "core/engine/endpoint_guard.hpp"

#include <algorithm>
#include <cmath>

#include <boost/asio/redirect_error.hpp>

#include "core/metrics/metrics.hpp"

namespace egov::core {
namespace {

bool countsAsFailure(const Result<void>& outcome) {
  if (outcome) return false;
  const auto kind = outcome.error().kind;
  return kind == ErrorKind::backend_unavailable || kind == ErrorKind::deadline_exceeded;
}

int secondsUntil(Clock::time_point when, Clock::time_point now) {
  const auto left = std::chrono::ceil<std::chrono::seconds>(when - now).count();
  return static_cast<int>(std::max<std::int64_t>(1, left));
}

}  // namespace

const std::vector<std::string>& guardKeys() {
  static const std::vector<std::string> keys = {"max_concurrency", "queue", "rate_limit", "breaker"};
  return keys;
}

GuardSettings parseGuardSettings(const ConfigNode& endpoint) {
  GuardSettings s;
  s.max_concurrency = static_cast<int>(endpoint.integer("max_concurrency", 0, 1, 100000));
  s.queue = static_cast<int>(endpoint.integer("queue", s.max_concurrency * 4, 0, 1000000));
  if (endpoint.has("queue") && !endpoint.has("max_concurrency")) {
    endpoint.errorAt("queue", "a queue needs max_concurrency");
  }
  if (auto rate = endpoint["rate_limit"]; rate.valid() && rate.expectMap()) {
    rate.allowKeys({"per_second", "burst"});
    s.rate = static_cast<double>(rate.integer("per_second", 0, 1, 1000000));
    s.burst = static_cast<double>(rate.integer("burst", static_cast<std::int64_t>(std::max(1.0, s.rate)), 1, 1000000));
    if (!rate.has("per_second")) rate.errorAt("per_second", "missing key");
  }
  if (auto breaker = endpoint["breaker"]; breaker.valid() && breaker.expectMap()) {
    breaker.allowKeys({"failures", "open_for"});
    s.breaker_failures = static_cast<int>(breaker.integer("failures", 5, 1, 10000));
    s.breaker_open_for = breaker.duration("open_for", s.breaker_open_for);
  }
  return s;
}

GuardSettings parseRateLimit(const ConfigNode& rate) {
  GuardSettings s;
  if (!rate.valid() || !rate.expectMap()) return s;
  rate.allowKeys({"per_second", "burst"});
  s.rate = static_cast<double>(rate.integer("per_second", 0, 1, 1000000));
  s.burst = static_cast<double>(
      rate.integer("burst", static_cast<std::int64_t>(std::max(1.0, s.rate)), 1, 1000000));
  if (!rate.has("per_second")) rate.errorAt("per_second", "missing key");
  return s;
}

EndpointGuard::EndpointGuard(std::string endpoint, Metrics& metrics)
    : endpoint_(std::move(endpoint)), metrics_(metrics) {}

int EndpointGuard::inFlight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

std::optional<Error> EndpointGuard::refuseNow(const GuardSettings& settings, Clock::time_point now,
                                              std::string& reason) {
  if (breaker_ == Breaker::open) {
    if (now < open_until_) {
      reason = "breaker_open";
      return Error{ErrorKind::unavailable, endpoint_ + ": circuit open after repeated failures", 0,
                   secondsUntil(open_until_, now)};
    }
    breaker_ = Breaker::half_open;
  }
  if (breaker_ == Breaker::half_open) {
    if (probe_in_flight_) {
      reason = "breaker_half_open";
      return Error{ErrorKind::unavailable, endpoint_ + ": circuit half-open, probing", 0, 1};
    }
    probe_in_flight_ = true;
  }
  if (settings.rate > 0) {
    if (tokens_ < 0) {
      tokens_ = settings.burst;
    } else {
      const double elapsed = std::max(0.0, std::chrono::duration<double>(now - refilled_).count());
      tokens_ = std::min(settings.burst, tokens_ + elapsed * settings.rate);
    }
    refilled_ = now;
    if (tokens_ < 1.0) {
      if (breaker_ == Breaker::half_open) probe_in_flight_ = false;
      reason = "rate_limit";
      const int wait = static_cast<int>(std::ceil((1.0 - tokens_) / settings.rate));
      return Error{ErrorKind::unavailable, endpoint_ + ": rate limit reached", 0, std::max(1, wait)};
    }
    tokens_ -= 1.0;
  }
  return std::nullopt;
}

Result<void> EndpointGuard::admit(const GuardSettings& settings) {
  return admit(settings, Clock::now());
}

Result<void> EndpointGuard::admit(const GuardSettings& settings, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::string reason;
  if (auto refused = refuseNow(settings, now, reason)) {
    metrics_.add("egov_endpoint_refused_total", {{"endpoint", endpoint_}, {"reason", reason}});
    return *refused;
  }
  return {};
}

awaitable<Result<void>> EndpointGuard::acquire(const GuardSettings& settings,
                                               Clock::time_point deadline) {
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mutex_);
    std::string reason;
    if (auto refused = refuseNow(settings, Clock::now(), reason)) {
      metrics_.add("egov_endpoint_refused_total", {{"endpoint", endpoint_}, {"reason", reason}});
      co_return *refused;
    }
    if (settings.max_concurrency == 0 || in_flight_ < settings.max_concurrency) {
      ++in_flight_;
      publish();
      co_return Result<void>{};
    }
    if (static_cast<int>(waiters_.size()) >= settings.queue) {
      if (breaker_ == Breaker::half_open) probe_in_flight_ = false;
      metrics_.add("egov_endpoint_refused_total", {{"endpoint", endpoint_}, {"reason", "saturated"}});
      co_return Error{ErrorKind::unavailable, endpoint_ + ": saturated (" +
                          std::to_string(settings.max_concurrency) + " in flight, " +
                          std::to_string(waiters_.size()) + " waiting)", 0, 1};
    }
    waiter = std::make_shared<Waiter>();
    waiter->timer = std::make_shared<net::steady_timer>(co_await net::this_coro::executor);
    waiter->timer->expires_at(deadline);
    waiters_.push_back(waiter);
    publish();
  }
  boost::system::error_code ignored;
  co_await waiter->timer->async_wait(net::redirect_error(net::use_awaitable, ignored));
  std::lock_guard lock(mutex_);
  if (waiter->granted) co_return Result<void>{};  // release() handed its slot over
  std::erase(waiters_, waiter);
  publish();
  co_return Error{ErrorKind::deadline_exceeded, endpoint_ + ": deadline passed while queued", 0, 0};
}

void EndpointGuard::release(const GuardSettings& settings, const Result<void>& outcome) {
  std::lock_guard lock(mutex_);
  if (breaker_ == Breaker::half_open && probe_in_flight_) probe_in_flight_ = false;
  if (settings.breaker_failures > 0) {
    if (countsAsFailure(outcome)) {
      ++consecutive_failures_;
      if (breaker_ == Breaker::half_open || consecutive_failures_ >= settings.breaker_failures) {
        breaker_ = Breaker::open;
        open_until_ = Clock::now() + settings.breaker_open_for;
      }
    } else if (outcome || outcome.error().kind != ErrorKind::unavailable) {
      consecutive_failures_ = 0;
      breaker_ = Breaker::closed;
    }
  }
  // Hand the slot to the first waiter instead of freeing it, so waiters keep their order
  // and a newcomer cannot overtake them.
  if (!waiters_.empty()) {
    auto next = waiters_.front();
    waiters_.pop_front();
    next->granted = true;
    net::post(next->timer->get_executor(), [timer = next->timer] { timer->cancel(); });
  } else {
    --in_flight_;
  }
  publish();
}

void EndpointGuard::recordCall(bool failed, double seconds) {
  std::lock_guard lock(mutex_);
  recent_.push_back({Clock::now(), failed, seconds});
  if (recent_.size() > kMaxRecent) recent_.pop_front();
}

EndpointGuard::Health EndpointGuard::health(std::chrono::seconds window) const {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  Health h;
  h.in_flight = in_flight_;
  h.queued = static_cast<int>(waiters_.size());
  h.breaker = breaker_ == Breaker::closed                           ? "closed"
              : breaker_ == Breaker::open && now < open_until_ ? "open"
                                                                    : "half-open";
  std::vector<double> latencies;
  double total = 0;
  for (auto it = recent_.rbegin(); it != recent_.rend() && now - it->at <= window; ++it) {
    ++h.calls;
    if (it->failed) ++h.errors;
    latencies.push_back(it->seconds);
    total += it->seconds;
  }
  if (h.calls > 0) {
    h.error_rate = static_cast<double>(h.errors) / static_cast<double>(h.calls);
    h.latency_mean_s = total / static_cast<double>(h.calls);
    const auto rank = static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(h.calls))) - 1;
    std::nth_element(latencies.begin(), latencies.begin() + static_cast<std::ptrdiff_t>(rank),
                     latencies.end());
    h.latency_p95_s = latencies[rank];
  }
  return h;
}

void EndpointGuard::publish() {
  const Labels labels{{"endpoint", endpoint_}};
  metrics_.set("egov_endpoint_inflight", labels, in_flight_);
  metrics_.set("egov_endpoint_queued", labels, static_cast<double>(waiters_.size()));
  metrics_.set("egov_endpoint_breaker_open", labels, breaker_ == Breaker::closed ? 0 : 1);
}

GuardRegistry::GuardRegistry(Metrics& metrics) : metrics_(metrics) {
  metrics_.declareGauge("egov_endpoint_inflight", "Calls in flight per endpoint.");
  metrics_.declareGauge("egov_endpoint_queued", "Calls waiting for a slot per endpoint.");
  metrics_.declareGauge("egov_endpoint_breaker_open", "1 while an endpoint's circuit breaker is open or half-open.");
  metrics_.declareCounter("egov_endpoint_refused_total", "Calls refused by an endpoint's limits, by reason.");
}

std::shared_ptr<EndpointGuard> GuardRegistry::guard(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  auto& slot = guards_[endpoint];
  if (!slot) slot = std::make_shared<EndpointGuard>(endpoint, metrics_);
  return slot;
}

}  // namespace egov::core
