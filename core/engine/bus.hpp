// The running bus: the current config generation, the adapters and the runtime services.
// generation() may be called from any thread; reload() swaps generations atomically and
// keeps the old one serving when the new config has errors.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

#include "core/engine/generation.hpp"
#include "core/journal/journal.hpp"
#include "core/metrics/metrics.hpp"

namespace egov::core {

class AuditTrail;

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
  // Called after an enqueue so that delivery need not wait for its next poll.
  void setDeliveryWake(std::function<void()> wake) { delivery_wake_ = std::move(wake); }
  void wakeDelivery() const {
    if (delivery_wake_) delivery_wake_();
  }

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
  std::function<void()> delivery_wake_;  // set once before serving
  std::uint64_t next_number_ = 1;
};

}  // namespace egov::core
