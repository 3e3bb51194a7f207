#include "core/journal/delivery.hpp"

#include <algorithm>
#include <random>

#include "core/engine/route_runner.hpp"
#include "core/log/log.hpp"
#include "core/metrics/traffic.hpp"

namespace egov::core {
namespace {

bool retryable(ErrorKind kind) {
  return kind == ErrorKind::backend_unavailable || kind == ErrorKind::deadline_exceeded ||
         kind == ErrorKind::unavailable;
}

}  // namespace

DeliveryWorker::DeliveryWorker(net::io_context& io, Bus& bus, Journal& journal,
                               JournalConfig config)
    : io_(io), bus_(bus), journal_(journal), config_(std::move(config)), timer_(io) {
  auto& metrics = bus_.metrics();
  metrics.declareCounter("egov_deliveries_total",
                         "Delivery attempts of one-way exchanges by outcome.");
  metrics.declareGauge("egov_deliveries_inflight", "Deliveries of one-way exchanges in flight.");
  metrics.declareCounter("egov_journal_stale_settles_total",
                         "Settles refused because the delivery's lease had expired and the entry "
                         "had been claimed again (the later claim's outcome stands).");
}

void DeliveryWorker::start() {
  net::co_spawn(io_, claimLoop(), net::detached);
}

void DeliveryWorker::wake() {
  net::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

void DeliveryWorker::stop() {
  stopping_ = true;
  wake();
}

std::chrono::milliseconds DeliveryWorker::retryDelay(const DeliveryPolicy& policy, int attempts) {
  const int doublings = std::clamp(attempts - 1, 0, 30);
  const double raw =
      static_cast<double>(policy.backoff.count()) * static_cast<double>(1LL << doublings);
  const double capped = std::min(raw, static_cast<double>(policy.max_backoff.count()));
  // Jitter spreads the retries of many exchanges that failed together (a back-end outage).
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(capped * jitter(random)));
}

awaitable<void> DeliveryWorker::claimLoop() {
  const auto capacity = static_cast<std::size_t>(config_.deliveries);
  while (!stopping_) {
    std::size_t claimed = 0;
    // Claims when nothing is in flight or a quarter of the slots is free, not for every slot
    // freed: each claim is a journal transaction, and under steady load one claim per finished
    // delivery (and per wake by an enqueue) was most of the journal thread's work (B2).
    const std::size_t free_slots = capacity - std::min(capacity, in_flight_.load());
    if (free_slots > 0 &&
        (in_flight_ == 0 || free_slots >= std::max<std::size_t>(1, capacity / 4))) {
      auto due = co_await journal_.claimDue(capacity - in_flight_, config_.lease);
      if (!due) {
        logEvent(LogLevel::error, "journal claim failed", {{"error", due.error().message}});
      } else {
        claimed = due->size();
        for (auto& entry : *due) {
          ++in_flight_;
          net::any_io_executor lane = io_.get_executor();
          if (lanes_) lane = lanes_->next().value_or(lane);
          net::co_spawn(lane, deliver(std::move(entry)), net::detached);
        }
      }
    }
    bus_.metrics().set("egov_deliveries_inflight", {}, static_cast<double>(in_flight_.load()));
    if (claimed > 0 && in_flight_ + std::max<std::size_t>(1, capacity / 4) <= capacity) {
      continue;  // there may be more due now
    }
    boost::system::error_code ignored;
    timer_.expires_after(config_.poll_interval);
    co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ignored));
  }
}

awaitable<void> DeliveryWorker::deliver(JournalEntry entry) {
  auto generation = bus_.generation();
  const Tenant* tenant = generation ? generation->findTenant(entry.tenant_istat) : nullptr;
  const Route* route = tenant ? Generation::findRoute(*tenant, entry.service) : nullptr;
  Result<void> outcome;
  DeliveryPolicy policy = route ? route->delivery : DeliveryPolicy{};
  if (!route || !route->enqueue_at) {
    outcome = makeError(ErrorKind::not_found, "no one-way route " + entry.service + " for tenant " +
                                                  entry.tenant_slug + " in the current config");
  } else if (auto body = parseXml(entry.body, {}, "journal")) {
    Exchange exchange;
    exchange.id = entry.id;
    exchange.trace_id = entry.trace_id;
    exchange.tenant_istat = tenant->istat;
    exchange.tenant_slug = tenant->slug;
    exchange.service = entry.service;
    exchange.method = entry.method;
    exchange.identity.client = entry.client;
    exchange.body = std::move(body).value();
    exchange.deadline = Clock::now() + route->deadline;
    outcome = co_await runRoute(*generation, *tenant, *route, exchange, bus_.metrics(),
                                *route->enqueue_at);
    bus_.runtime()  // the admin console's delivery chart
        .shared<TrafficStats>([] { return std::make_shared<TrafficStats>(); })
        ->recordDelivery(tenant->istat, outcome, nowMs());
    // The endpoint that failed may have retry settings of its own (a slow municipal
    // server may deserve more patience than the route's default).
    if (auto it = tenant->endpoint_retry.find(exchange.failed_endpoint);
        !outcome && it != tenant->endpoint_retry.end()) {
      policy = policy.overriddenBy(it->second);
    }
  } else {
    outcome = std::move(body).error();
  }
  co_await settle(entry, policy, std::move(outcome));
  --in_flight_;
  wake();  // a slot is free
}

awaitable<void> DeliveryWorker::settle(const JournalEntry& entry, const DeliveryPolicy& policy,
                                       Result<void> outcome) {
  const int attempts = entry.attempts + 1;
  const Labels labels{{"tenant", entry.tenant_slug}, {"service", entry.service}};
  Result<Settled> saved = Settled::applied;
  std::string verdict;
  std::string error;
  if (outcome) {
    verdict = "delivered";
    saved = co_await journal_.markDelivered(entry.id, entry.lease_token, attempts);
  } else {
    error = outcome.error().message;
    const bool too_old = nowMs() - entry.created_ms >= policy.max_age.count();
    if (retryable(outcome.error().kind) && attempts < policy.max_attempts && !too_old) {
      verdict = "retry";
      saved = co_await journal_.reschedule(entry.id, entry.lease_token, attempts,
                                           nowMs() + retryDelay(policy, attempts).count(), error);
    } else {
      verdict = "dead";
      if (retryable(outcome.error().kind)) {
        error = (too_old ? "too old after " : "gave up after ") + std::to_string(attempts) +
                " attempts: " + error;
      }
      saved = co_await journal_.deadLetter(entry.id, entry.lease_token, attempts, error);
    }
  }
  Labels counted = labels;
  counted.emplace_back("outcome", verdict);
  bus_.metrics().add("egov_deliveries_total", counted);
  logEvent(verdict == "delivered" ? LogLevel::info : LogLevel::warn, "delivery",
           {{"exchange", entry.id},
            {"tenant", entry.tenant_slug},
            {"service", entry.service},
            {"attempt", static_cast<std::int64_t>(attempts)},
            {"outcome", verdict},
            {"error", error}});
  if (!saved) {
    // The lease will expire and the entry be retaken: at least once, never lost.
    logEvent(LogLevel::error, "journal update failed",
             {{"exchange", entry.id}, {"error", saved.error().message}});
  } else if (*saved == Settled::stale) {
    // This delivery outlived its lease and the entry was claimed again: the later claim
    // settles it, this outcome is dropped (the back-end may have seen the exchange twice).
    Labels stale = labels;
    stale.emplace_back("outcome", verdict);
    bus_.metrics().add("egov_journal_stale_settles_total", stale);
    logEvent(LogLevel::warn, "stale settle ignored",
             {{"exchange", entry.id},
              {"tenant", entry.tenant_slug},
              {"service", entry.service},
              {"lease_token", entry.lease_token},
              {"outcome", verdict}});
  }
}

}  // namespace egov::core
