// The running bus: the current config generation, the adapters and the runtime services.
// generation() may be called from any thread; reload() swaps generations atomically and
// keeps the old one serving when the new config has errors.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>

#include "core/engine/generation.hpp"
#include "core/journal/journal.hpp"
#include "core/metrics/metrics.hpp"

namespace egov::core {

class AuditTrail;

// Where journaled one-way exchanges go to be delivered (the DeliveryWorker of `serve`).
// Every member is thread-safe.
class DeliveryDesk {
 public:
  virtual ~DeliveryDesk() = default;
  // A delivery slot for an exchange about to be stored claimed (Journal::enqueueClaimed); false
  // when no slot for hand-offs is free (some are kept for claims) or delivery is stopping.
  virtual bool reserve() = 0;
  // Gives a reserved slot back unused: the enqueue failed or found a duplicate.
  virtual void release() = 0;
  // Delivers, in its reserved slot, an entry just stored claimed; `body` is the exchange's
  // body as the steps before `enqueue` left it, so it is not parsed again.
  virtual void deliverClaimed(JournalEntry entry, XmlDocPtr body) = 0;
  // An entry was stored queued: look for due entries without waiting for the next poll.
  virtual void wake() = 0;
};

class Bus {
 public:
  Bus(std::filesystem::path config_file, const AdapterRegistry& adapters, RuntimeServices& runtime);

  // Loads the config file into a new generation. On success it becomes current; on failure
  // the errors are returned and the current generation stays.
  bool reload(ConfigErrors& errors);

  std::shared_ptr<const Generation> generation() const { return current_.load(); }
  Metrics& metrics() const { return runtime_.metrics(); }
  RuntimeServices& runtime() const { return runtime_; }

  // The journal of one-way exchanges, owned by whoever started the bus; null when none.
  Journal* journal() const { return journal_.load(); }
  void setJournal(Journal* journal) { journal_ = journal; }
  // The audit trail of exchanges touching personal data, owned by whoever started the bus;
  // null when none (then nothing is audited).
  AuditTrail* audit() const { return audit_.load(); }
  void setAudit(AuditTrail* audit) { audit_ = audit; }
  // Where one-way exchanges are handed once journaled, owned by whoever started the bus;
  // null when none (they wait for a delivery worker to claim them).
  DeliveryDesk* delivery() const { return delivery_.load(); }
  void setDelivery(DeliveryDesk* desk) { delivery_ = desk; }

  bool draining() const { return draining_.load(); }
  void startDraining() { draining_ = true; }

 private:
  std::filesystem::path config_file_;
  const AdapterRegistry& adapters_;
  RuntimeServices& runtime_;
  std::mutex reload_mutex_;  // one reload at a time
  std::atomic<std::shared_ptr<const Generation>> current_;
  std::atomic<bool> draining_{false};
  std::atomic<Journal*> journal_{nullptr};
  std::atomic<AuditTrail*> audit_{nullptr};
  std::atomic<DeliveryDesk*> delivery_{nullptr};
  std::uint64_t next_number_ = 1;
};

}  // namespace egov::core
