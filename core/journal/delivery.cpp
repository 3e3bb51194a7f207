#include "core/journal/delivery.hpp"

#include <algorithm>
#include <mutex>
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
  may_be_due_ = true;
  net::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

void DeliveryWorker::stop() {
  stopping_ = true;
  net::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

std::size_t DeliveryWorker::capacity() const {
  return static_cast<std::size_t>(config_.deliveries);
}

std::size_t DeliveryWorker::quarter() const {
  return std::max<std::size_t>(1, capacity() / 4);
}

bool DeliveryWorker::reserve() {
  std::lock_guard lock(slots_mutex_);
  if (stopping_ || slots_.handed + quarter() >= capacity() ||
      slots_.handed + slots_.claimed >= capacity()) {
    return false;
  }
  ++slots_.handed;
  return true;
}

void DeliveryWorker::release() {
  freeSlot(true);
}

void DeliveryWorker::freeSlot(bool handed) {
  {
    std::lock_guard lock(slots_mutex_);
    --(handed ? slots_.handed : slots_.claimed);
  }
  if (may_be_due_) wake();
}

std::size_t DeliveryWorker::takeForClaim() {
  std::lock_guard lock(slots_mutex_);
  const std::size_t busy = slots_.handed + slots_.claimed;
  const std::size_t free = capacity() - std::min(capacity(), busy);
  if (free == 0 || (busy > 0 && free < quarter())) return 0;
  slots_.claiming = claim_all_ ? free : std::min(free, quarter());
  slots_.claimed += slots_.claiming;
  return slots_.claiming;
}

void DeliveryWorker::claimDone(std::size_t claimed) {
  std::lock_guard lock(slots_mutex_);
  slots_.claimed -= slots_.claiming - claimed;
  slots_.claiming = 0;
}

std::size_t DeliveryWorker::inFlight() const {
  std::lock_guard lock(slots_mutex_);
  return slots_.handed + slots_.claimed - slots_.claiming + settling_;
}

void DeliveryWorker::deliverClaimed(JournalEntry entry, XmlDocPtr body) {
  spawnDelivery(std::move(entry), std::move(body), true);
}

void DeliveryWorker::spawnDelivery(JournalEntry entry, XmlDocPtr body, bool handed) {
  net::any_io_executor lane = io_.get_executor();
  if (lanes_) lane = lanes_->next().value_or(lane);
  net::co_spawn(lane, deliver(std::move(entry), std::move(body), handed), net::detached);
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
  while (!stopping_) {
    // Claims when nothing is in flight or a quarter of the slots is free, not for every slot
    // freed: each claim is a journal transaction, and under steady load one claim per finished
    // delivery (and per wake by an enqueue) was most of the journal thread's work (B2). The
    // slots are taken before the claim, so that hand-offs meanwhile cannot overbook them.
    const std::size_t wanted = takeForClaim();
    std::size_t claimed = 0;
    if (wanted > 0) {
      may_be_due_ = false;  // a wake() while the claim runs sets it again
      auto due = co_await journal_.claimDue(wanted, config_.lease);
      if (!due) {
        logEvent(LogLevel::error, "journal claim failed", {{"error", due.error().message}});
      } else {
        claimed = due->size();
        // A full claim: a backlog may be waiting, and the next claims take every free slot;
        // otherwise a claim takes the quarter hand-offs leave free.
        claim_all_ = claimed == wanted;
        if (claim_all_) may_be_due_ = true;
        for (auto& entry : *due) spawnDelivery(std::move(entry), nullptr, false);
      }
      claimDone(claimed);
    }
    bus_.metrics().set("egov_deliveries_inflight", {}, static_cast<double>(inFlight()));
    if (claimed > 0 && claimed == wanted) continue;  // there may be more due now
    boost::system::error_code ignored;
    timer_.expires_after(config_.poll_interval);
    co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ignored));
  }
}

awaitable<void> DeliveryWorker::deliver(JournalEntry entry, XmlDocPtr body, bool handed) {
  auto generation = bus_.generation();
  const Tenant* tenant = generation ? generation->findTenant(entry.tenant_istat) : nullptr;
  const Route* route = tenant ? Generation::findRoute(*tenant, entry.service) : nullptr;
  Result<void> outcome;
  DeliveryPolicy policy = route ? route->delivery : DeliveryPolicy{};
  if (!route || !route->enqueue_at) {
    outcome = makeError(ErrorKind::not_found, "no one-way route " + entry.service + " for tenant " +
                                                  entry.tenant_slug + " in the current config");
  } else if (auto parsed =
                 body ? Result<XmlDocPtr>(std::move(body)) : parseXml(entry.body, {}, "journal")) {
    Exchange exchange;
    exchange.id = entry.id;
    exchange.trace_id = entry.trace_id;
    exchange.tenant_istat = tenant->istat;
    exchange.tenant_slug = tenant->slug;
    exchange.service = entry.service;
    exchange.method = entry.method;
    exchange.identity.client = entry.client;
    exchange.body = std::move(parsed).value();
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
    outcome = std::move(parsed).error();
  }
  // The route has run: its slot is free while the journal records the outcome (a commit,
  // shared with other operations, during which the back-end is not waited on).
  ++settling_;
  freeSlot(handed);
  co_await settle(entry, policy, std::move(outcome));
  --settling_;
  // The next entry of an order key may be due now that this one is settled.
  if (!entry.order_key.empty()) wake();
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
