// Delivers journaled one-way exchanges: claims due entries, runs the rest of their route
// (the steps after `enqueue`) on the current config generation, and settles each one:
// delivered, rescheduled with exponential backoff and jitter, or dead-lettered (permanent
// error, too many attempts, too old, or its route is gone). The retry policy is the
// route's `delivery`, overridden by the `retry` settings of the endpoint whose call failed. At
// least once: an entry whose delivery was cut off (crash, kill -9) is retaken when its lease
// expires.
//
// As the bus's DeliveryDesk it also takes new entries straight from their enqueue, stored
// claimed: no claim transaction, no parse of the stored body. Hand-offs hold three quarters of
// the slots at most (all but one below four). The rest is the claim loop's, for entries stored
// queued when no slot was free, for retries as they fall due and for a backlog left by a
// restart; after a claim that took all it asked for (a backlog), claims take every free slot.
// A slot is held while the route runs (the back-end call), not while the journal records the
// outcome.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/engine/bus.hpp"
#include "core/net/io_lanes.hpp"

namespace egov::core {

class DeliveryWorker final : public DeliveryDesk {
 public:
  DeliveryWorker(net::io_context& io, Bus& bus, Journal& journal, JournalConfig config);

  // Runs the deliveries on these executors in turn (one per I/O thread's io_context; call
  // before start()); without it, on `io`.
  void setLanes(std::vector<net::any_io_executor> lanes) { lanes_.emplace(std::move(lanes)); }
  // Starts the claim loop on `io`. Thread-safe wake(); stop() stops claiming and taking
  // hand-offs (deliveries in flight finish, or are retaken after their lease).
  void start();
  void wake() override;
  void stop();

  bool reserve() override;
  void release() override;
  void deliverClaimed(JournalEntry entry, XmlDocPtr body) override;

  // Deliveries taken and not yet settled in the journal.
  std::size_t inFlight() const;

  // Delay before attempt `attempts + 1`: backoff * 2^(attempts-1), capped, then jittered into
  // [delay/2, delay]. Exposed for tests.
  static std::chrono::milliseconds retryDelay(const DeliveryPolicy& policy, int attempts);

 private:
  awaitable<void> claimLoop();
  std::size_t capacity() const;  // config_.deliveries
  std::size_t quarter() const;   // the slots hand-offs leave to claims: a quarter, at least one
  // Slots for the next claim (0: not enough free to claim now); then the claim's count.
  std::size_t takeForClaim();
  void claimDone(std::size_t claimed);
  void freeSlot(bool handed);  // a delivery's route has run
  // `body`: the parsed body of an entry taken from its enqueue (`handed`); null: parse
  // entry.body. spawnDelivery runs it on the next I/O context.
  awaitable<void> deliver(JournalEntry entry, XmlDocPtr body, bool handed);
  void spawnDelivery(JournalEntry entry, XmlDocPtr body, bool handed);
  awaitable<void> settle(const JournalEntry& entry, const DeliveryPolicy& policy,
                         Result<void> outcome);

  net::io_context& io_;
  std::optional<IoLanes> lanes_;  // setLanes
  Bus& bus_;
  Journal& journal_;
  JournalConfig config_;
  net::steady_timer timer_;
  struct Slots {
    std::size_t handed = 0;    // deliveries taken from their enqueue, routes running
    std::size_t claimed = 0;   // claimed ones, and the slots of a claim in progress
    std::size_t claiming = 0;  // of those, the claim's
  };
  mutable std::mutex slots_mutex_;
  Slots slots_;                           // guarded by slots_mutex_
  std::atomic<std::size_t> settling_{0};  // routes run, outcomes being recorded
  bool claim_all_ = true;                 // the claim loop's: after a full claim (and at start)
  std::atomic<bool> stopping_{false};
  // Entries may be waiting for a free slot: the last claim took as many as it asked for, or
  // one was stored queued since. A finished delivery then wakes the claim loop.
  std::atomic<bool> may_be_due_{true};
};

}  // namespace egov::core
